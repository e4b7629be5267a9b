/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_RULE_H_
#define CTG_RULE_H_

/**
 * @file
 * iptables-save / ip6tables-save rulesets: load (parse + compile), evaluate, count, save.
 *
 * A rule set is immutable once loaded: workers evaluate it concurrently (it is published
 * by pointer swap and reclaimed after an RCU grace period by the caller). Everything that
 * changes per packet (rule counters, -m limit token buckets) lives in a per-worker
 * struct ctg_rule_counters block that only its worker writes; the control core sums the
 * blocks. Evaluation allocates nothing and never logs: LOG/NFLOG hits are returned in the
 * result for the caller to report. See lib/rule/README.md for the classifier.
 *
 * Supported: tables filter (INPUT, FORWARD, OUTPUT; only FORWARD is evaluated) and raw
 * (PREROUTING, OUTPUT; only PREROUTING is evaluated), user chains, policies, counters,
 * and the matches/targets listed in lib/rule/README.md. Anything else is a load error
 * that names the file, line and token.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctg_common.h"
#include "ctg_ct.h"
#include "ctg_pkt.h"

/** The chains that are evaluated. */
enum ctg_rule_hook {
	CTG_RULE_RAW_PREROUTING, /**< raw table, before conntrack (state INVALID, conn NULL) */
	CTG_RULE_FILTER_FORWARD, /**< filter table, after conntrack */
	CTG_RULE_HOOK_COUNT
};

/** What the file passed to the loader is, and which families it filters. */
enum ctg_rule_family {
	/**
	 * An iptables-save file for IPv4. With no IPv6 source (opts.file6/str6 NULL), and if
	 * the file has no address literals (-s, -d, --src-range, --dst-range, and the
	 * conntrack address options), the same rules also filter IPv6 with -p icmp ->
	 * ipv6-icmp, -m icmp --icmp-type -> -m icmp6 --icmpv6-type and --reject-with icmp-*
	 * -> icmp6-* mapped as the oracle does (rules on IPv4-only ICMP types are left out of
	 * the IPv6 copy). With address literals IPv6 is not filtered (everything ACCEPTed).
	 * This is the oracle's --ruleset behaviour.
	 */
	CTG_RULE_FAMILY_AUTO,
	CTG_RULE_FAMILY_IPV4, /**< iptables-save file for IPv4 only; IPv6 is not filtered */
	CTG_RULE_FAMILY_IPV6, /**< ip6tables-save file for IPv6 only; IPv4 is not filtered */
	CTG_RULE_FAMILY_COUNT
};

/** Port index meaning "no interface" (e.g. out_port in raw PREROUTING). */
#define CTG_RULE_PORT_NONE UINT16_MAX

/** Options of ctg_rule_set_load_file() / ctg_rule_set_load_str(). */
struct ctg_rule_load_opts {
	enum ctg_rule_family family; /**< what the main file is */
	/**
	 * Optional ip6tables-save source for IPv6 (load_file: file6, load_str: str6), used
	 * with family AUTO or IPV4 (the oracle's --ruleset6). NULL: see family.
	 */
	const char *file6;
	const char *str6;
	/**
	 * Interface names of the appliance's ports, indexed by port index; -i/-o are
	 * resolved against them at load time (iptables wildcards "eth+" allowed). A name
	 * that matches no port is accepted (the rule can never match, as in iptables).
	 * NULL with ignore_interfaces false: -i/-o are a load error.
	 */
	const char *const *port_names;
	uint16_t nb_ports;
	/**
	 * Replay mode: accept -i/-o and treat them as always matching (the oracle removes
	 * them, with their '!', before loading).
	 */
	bool ignore_interfaces;
	/** Disable the classifier: evaluate every rule in order (tests, comparisons). */
	bool linear;
};

/** Verdicts. */
enum ctg_rule_verdict {
	CTG_RULE_ACCEPT,
	CTG_RULE_DROP,
	CTG_RULE_REJECT, /**< drop and send what ctg_rule_reject_build() makes */
	CTG_RULE_VERDICT_COUNT
};

/** REJECT --reject-with types (IPv4 and IPv6). */
#define CTG_RULE_REJECT_TYPES(X)                                                         \
	X(ICMP_NET_UNREACHABLE, "icmp-net-unreachable")                                  \
	X(ICMP_HOST_UNREACHABLE, "icmp-host-unreachable")                                \
	X(ICMP_PROT_UNREACHABLE, "icmp-proto-unreachable")                               \
	X(ICMP_PORT_UNREACHABLE, "icmp-port-unreachable")                                \
	X(ICMP_NET_PROHIBITED, "icmp-net-prohibited")                                    \
	X(ICMP_HOST_PROHIBITED, "icmp-host-prohibited")                                  \
	X(ICMP_ADMIN_PROHIBITED, "icmp-admin-prohibited")                                \
	X(TCP_RESET, "tcp-reset")                                                        \
	X(ICMP6_NO_ROUTE, "icmp6-no-route")                                              \
	X(ICMP6_ADM_PROHIBITED, "icmp6-adm-prohibited")                                  \
	X(ICMP6_ADDR_UNREACH, "icmp6-addr-unreachable")                                  \
	X(ICMP6_PORT_UNREACH, "icmp6-port-unreachable")                                  \
	X(ICMP6_POLICY_FAIL, "icmp6-policy-fail")                                        \
	X(ICMP6_REJECT_ROUTE, "icmp6-reject-route")

enum ctg_rule_reject {
#define CTG_RULE_X(n, s) CTG_RULE_REJECT_##n,
	CTG_RULE_REJECT_TYPES(CTG_RULE_X)
#undef CTG_RULE_X
	CTG_RULE_REJECT_COUNT
};

/** What a packet presents to the rules. */
struct ctg_rule_pkt {
	const struct ctg_pkt *pkt;	 /**< reassembled datagram (l3, len, l4_off, family, proto) */
	const struct ctg_ct_conn *conn; /**< NULL when INVALID / UNTRACKED / raw PREROUTING */
	const char *master_helper;	 /**< helper name of conn's master (-m helper), or NULL */
	uint32_t mark;			 /**< packet (skb) mark on entry */
	uint16_t in_port;		 /**< ingress port index or CTG_RULE_PORT_NONE */
	uint16_t out_port;		 /**< egress port index or CTG_RULE_PORT_NONE */
	uint8_t ct_state;		 /**< enum ctg_ct_state */
	uint8_t ct_dir;			 /**< enum ctg_ct_dir (meaningful when conn != NULL) */
	/**
	 * Hops the TTL / hop limit was decremented before this hook: a router (the kernel
	 * oracle) forwards with TTL - 1 before FORWARD, so -m ttl/hl see that; a bridge
	 * (the appliance) does not decrement: 0.
	 */
	uint8_t ttl_dec;
};

/** One LOG/NFLOG hit. Pointers stay valid as long as the rule set. */
struct ctg_rule_log_hit {
	const char *prefix; /**< --log-prefix / --nflog-prefix, "" if none */
	uint32_t rule;	    /**< rule index (ctg_rule_info) */
	uint32_t line;	    /**< line in the file */
	uint8_t level;	    /**< syslog level (LOG: --log-level, default 4) */
	uint8_t nflog;	    /**< 1 for NFLOG */
	uint16_t group;	    /**< NFLOG group */
};

#define CTG_RULE_MAX_LOG 8

/* ctg_rule_result.flags */
#define CTG_RULE_F_NOTRACK   0x0001 /**< raw: NOTRACK / CT --notrack: the packet is UNTRACKED */
#define CTG_RULE_F_CT_ZONE   0x0002 /**< raw: CT --zone: zone holds the zone */
#define CTG_RULE_F_CT_HELPER 0x0004 /**< raw: CT --helper: helper names it */
#define CTG_RULE_F_MARK	     0x0008 /**< MARK (or CONNMARK --restore-mark) changed: mark */
#define CTG_RULE_F_CONNMARK  0x0010 /**< CONNMARK set/save: connmark is conn's new mark */
#define CTG_RULE_F_POLICY    0x0020 /**< the verdict is the built-in chain's policy */
#define CTG_RULE_F_HOTDROP   0x0040 /**< a match dropped a malformed packet (iptables hotdrop) */
#define CTG_RULE_F_LOG_LOST  0x0080 /**< more than CTG_RULE_MAX_LOG LOG hits: some are lost */
#define CTG_RULE_F_UNFILTERED 0x0100 /**< the set has no rules for this family: ACCEPT */

#define CTG_RULE_NONE UINT32_MAX

/** Outcome of ctg_rule_eval(). */
struct ctg_rule_result {
	uint8_t verdict;    /**< enum ctg_rule_verdict */
	uint8_t reject;	    /**< enum ctg_rule_reject when verdict is REJECT */
	uint16_t flags;	    /**< CTG_RULE_F_* */
	uint16_t zone;	    /**< CT --zone value */
	uint8_t nb_log;	    /**< entries in log[] */
	uint8_t family;	    /**< 4 or 6: the packet's family */
	const char *helper; /**< CT --helper name */
	uint32_t mark;	    /**< new packet mark (F_MARK) */
	uint32_t connmark;  /**< new connection mark (F_CONNMARK) */
	uint32_t rule;	    /**< rule that gave the verdict, CTG_RULE_NONE for a policy */
	uint32_t line;	    /**< its line in the file, 0 for a policy */
	struct ctg_rule_log_hit log[CTG_RULE_MAX_LOG];
};

struct ctg_rule_set;
struct ctg_rule_counters;

/**
 * Load a ruleset file (iptables-restore semantics: the whole file or nothing).
 * @param path  iptables-save (or ip6tables-save for family IPV6) file
 * @param opts  options (NULL: family AUTO, interfaces ignored)
 * @param out   the new set on success
 * @param err   on failure, "file:line: message 'token'" (may be NULL)
 * @return 0, or -EINVAL (syntax or unsupported feature), -ENOENT/-EIO, -ENOMEM, -ELOOP.
 * Context: control core. Concurrency: none.
 */
int ctg_rule_set_load_file(const char *path, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen);

/** As ctg_rule_set_load_file() from text; @p name is used in error messages. */
int ctg_rule_set_load_str(const char *text, const char *name,
		const struct ctg_rule_load_opts *opts, struct ctg_rule_set **out, char *err,
		size_t errlen);

/** Free a set (after every reader is done with it). NULL is fine. Context: control core. */
void ctg_rule_set_free(struct ctg_rule_set *rs);

/** True if @p family (4 or 6) is filtered by the set (false: everything is ACCEPTed). */
bool ctg_rule_set_filters(const struct ctg_rule_set *rs, int family);

/** True if the set has at least one rule or non-ACCEPT policy in the chain of @p hook. */
bool ctg_rule_set_hook_used(const struct ctg_rule_set *rs, int family, enum ctg_rule_hook hook);

/**
 * Evaluate the chain of @p hook for one packet, with iptables semantics (first match
 * wins, RETURN, jumps, goto, non-terminating targets, policies).
 * @param cnt  the calling worker's counter block (rule counters and -m limit state), or
 *             NULL (nothing counted; -m limit then always matches)
 * @param now_ns  the packet's time (for -m limit)
 * Context: any worker. Concurrency: @p rs read-only; @p cnt written by its owner only.
 */
void ctg_rule_eval(const struct ctg_rule_set *rs, enum ctg_rule_hook hook,
		const struct ctg_rule_pkt *rp, struct ctg_rule_counters *cnt, uint64_t now_ns,
		struct ctg_rule_result *res);

/**
 * Build the packet a REJECT sends (IP header onwards, no L2): a TCP RST as
 * nf_send_reset()/nf_send_reset6() make it, or an ICMP/ICMPv6 destination unreachable
 * quoting the packet as icmp_send()/icmpv6_send() do. ICMP errors come from the oracle
 * router's address (198.18.255.254, 2001:db8:ffff::fe): use ctg_rule_reject_build_src()
 * to give another.
 * @return the packet length, 0 when the kernel would send nothing (RST for a RST, error
 *         about an ICMP error, non-first fragment, bad checksum, multicast ...), or
 *         -EINVAL (res is not a REJECT) / -ENOSPC (out_size too small).
 * Context: any. Concurrency: none.
 */
int ctg_rule_reject_build(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		uint8_t *out, size_t out_size);

/** As ctg_rule_reject_build() with the ICMP error source @p icmp_src (family of pkt). */
int ctg_rule_reject_build_src(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		const union ctg_addr *icmp_src, uint8_t *out, size_t out_size);

/** Name of a reject type ("icmp-port-unreachable"). */
const char *ctg_rule_reject_str(enum ctg_rule_reject r);

/** Name of a verdict ("ACCEPT"). */
const char *ctg_rule_verdict_str(enum ctg_rule_verdict v);

/** Description of a rule, for listings and reports. */
struct ctg_rule_info {
	uint32_t line;	    /**< line in its file */
	uint8_t family;	    /**< 4 or 6 */
	const char *table;  /**< "filter" or "raw" */
	const char *chain;  /**< chain name */
	const char *file;   /**< file name (or the name given to load_str) */
};

/** Number of rules in the set (both families). Rule indexes are 0 .. n - 1. */
uint32_t ctg_rule_set_nb_rules(const struct ctg_rule_set *rs);

/** Describe rule @p idx. @return 0 or -ENOENT. */
int ctg_rule_info_get(const struct ctg_rule_set *rs, uint32_t idx, struct ctg_rule_info *info);

/**
 * Allocate a counter block for one worker (zeroed). @return NULL on -ENOMEM.
 * A block belongs to the set it was created for. Context: control core.
 */
struct ctg_rule_counters *ctg_rule_counters_create(const struct ctg_rule_set *rs);

/** Free a counter block. NULL is fine. */
void ctg_rule_counters_free(struct ctg_rule_counters *cnt);

/** Zero the rule and policy counters (not the limit state). Context: the block's owner. */
void ctg_rule_counters_zero(struct ctg_rule_counters *cnt);

/**
 * Add @p src's counters into @p dst (same set). Reads of a live worker's block are racy
 * snapshots of 64-bit counters (fine on 64-bit targets). Context: control core.
 */
void ctg_rule_counters_sum(struct ctg_rule_counters *dst, const struct ctg_rule_counters *src);

/** Counters of rule @p idx. @return 0 or -ENOENT. */
int ctg_rule_counters_get(const struct ctg_rule_counters *cnt, uint32_t idx, uint64_t *packets,
		uint64_t *bytes);

/**
 * Write the set in iptables-save form, with counters ([p:b] on chains, "-c p b" before
 * each rule: the counters read from the file plus @p cnt, which may be NULL).
 * @param family  4 (iptables-save) or 6 (ip6tables-save)
 * @return 0 or -ENOENT if the family is not filtered. Context: control core.
 */
int ctg_rule_set_save(const struct ctg_rule_set *rs, int family,
		const struct ctg_rule_counters *cnt, FILE *f);

/**
 * Write an `iptables -t TABLE -L -v -n`-like listing of @p table ("filter" or "raw").
 * @return 0 or -ENOENT. Context: control core.
 */
int ctg_rule_set_list(const struct ctg_rule_set *rs, int family, const char *table,
		const struct ctg_rule_counters *cnt, FILE *f);

#endif /* CTG_RULE_H_ */
