/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_PIPELINE_H_
#define CTG_PIPELINE_H_

/**
 * @file
 * The per-packet processing every driver shares (appliance workers, ctgate-replay,
 * ctgate-bench, fuzzers): parse -> reassemble -> raw PREROUTING -> track ->
 * filter FORWARD -> confirm on accept. It knows nothing about ports, mbufs or lcores:
 * packets are byte buffers named by an opaque 64-bit cookie, and time is passed in.
 * One pipeline per worker; it owns that worker's conntrack shard, reassembly table and
 * counters (one writer). The rule set is read through a pointer the caller publishes
 * (ctg_pipeline_set_rules) and reclaims after a grace period.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ctg_ct.h"
#include "ctg_frag.h"
#include "ctg_pkt.h"
#include "ctg_rule.h"

/** What to do with a packet. */
enum ctg_pipeline_verdict {
	CTG_PL_FORWARD,	 /**< pass it to the peer port */
	CTG_PL_DROP,	 /**< drop it (reason in drop) */
	CTG_PL_HELD,	 /**< a fragment kept by reassembly: the caller keeps the packet */
	CTG_PL_BYPASS,	 /**< not IP: bridged untouched (ARP, LLDP ...) */
	CTG_PL_HANDOFF,	 /**< tracked by another worker (owner): hand the datagram over */
	CTG_PL_VERDICT_COUNT
};

/** Why the pipeline dropped a packet; one list for the enum, names and counters. */
#define CTG_PL_DROPS(X)                                                                  \
	X(NONE, "none")                                                                  \
	X(IP_INPUT, "dropped by the IP input checks")                                    \
	X(IP_OPTIONS, "IPv4 options refused after PREROUTING (source route, malformed)") \
	X(FRAG, "dropped by reassembly")                                                 \
	X(RAW_RULES, "dropped in raw PREROUTING")                                        \
	X(CT, "dropped by conntrack (table full)")                                       \
	X(RULES, "dropped in filter FORWARD")                                            \
	X(REJECT, "rejected in filter FORWARD")                                          \
	X(HELPER, "dropped by a helper (partial command, expectation refused)")

enum ctg_pipeline_drop {
#define CTG_PL_X(n, s) CTG_PL_DROP_##n,
	CTG_PL_DROPS(CTG_PL_X)
#undef CTG_PL_X
	CTG_PL_DROP_COUNT
};

const char *ctg_pipeline_drop_str(enum ctg_pipeline_drop d);

/**
 * What decides a packet's owner worker. L3 (the default): the two addresses and the
 * zone, so every connection between two hosts - an FTP or TFTP control connection and
 * the data connections its helper expects, fragments, ICMP errors about them - is owned
 * by one worker and no expectation ever crosses workers; one host pair then uses one
 * core. L4: the addresses and ports (spreads a single host pair's connections over the
 * workers; an expected connection owned by another worker is then not RELATED).
 */
enum ctg_pipeline_owner_mode {
	CTG_PL_OWNER_L3,
	CTG_PL_OWNER_L4,
	CTG_PL_OWNER_COUNT
};

/** Configuration of one pipeline. */
struct ctg_pipeline_conf {
	struct ctg_ct_conf ct;			/**< conntrack shard */
	const struct ctg_ct_params *ct_params;	/**< tunables (not copied) */
	struct ctg_frag_conf frag;		/**< reassembly table */
	uint16_t worker_id;			/**< this pipeline's worker */
	uint16_t nb_workers;			/**< owner = hash % nb_workers; 1: no handoff */
	uint64_t owner_seed;			/**< seed of the owner hash (same on all) */
	uint8_t owner_mode;			/**< enum ctg_pipeline_owner_mode */
	/**
	 * Router model: FORWARD rules see the TTL / hop limit decremented, as on the kernel
	 * oracle's router (ctgate-replay sets it). The appliance is a transparent bridge and
	 * leaves it false: bridged packets keep their TTL.
	 */
	bool router_ttl;
};

/* ctg_pipeline_pkt.flags */
/**
 * The NIC verified the transport checksum (mbuf RTE_MBUF_F_RX_L4_CKSUM_GOOD): conntrack
 * skips its TCP/UDP checksum check, as the kernel does for CHECKSUM_UNNECESSARY. Ignored
 * for fragments (the reassembled datagram is always checked) and for other protocols.
 */
#define CTG_PIPELINE_PKT_L4_CSUM_OK 0x01

/** One input packet. */
struct ctg_pipeline_pkt {
	const uint8_t *data;	/**< frame (link) or IP datagram (for process_datagram) */
	uint32_t len;
	uint8_t link;		/**< enum ctg_pkt_link */
	uint8_t flags;		/**< CTG_PIPELINE_PKT_* */
	uint16_t in_port;	/**< ingress port index */
	uint16_t out_port;	/**< egress port index (rules -o) */
	uint32_t mark;		/**< packet mark on entry */
	uint64_t cookie;	/**< the caller's name for it (mbuf pointer, pcap index) */
};

/** The outcome for one input packet. Pointers stay valid until the next call. */
struct ctg_pipeline_out {
	uint8_t verdict;	 /**< enum ctg_pipeline_verdict */
	uint8_t drop;		 /**< enum ctg_pipeline_drop */
	uint8_t pkt_status;	 /**< enum ctg_pkt_status */
	uint8_t pkt_drop_reason; /**< enum ctg_pkt_drop_reason */
	uint8_t frag_status;	 /**< enum ctg_frag_status, or 0xff when not a fragment */
	uint8_t frag_reason;	 /**< enum ctg_frag_reason */
	uint8_t rule_verdict;	 /**< enum ctg_rule_verdict of FORWARD (ACCEPT without rules) */
	uint8_t rules_ran;	 /**< 1 if FORWARD was evaluated, 2 if raw dropped the packet */
	uint16_t owner;		 /**< owner worker (HANDOFF) */
	uint16_t zone;		 /**< conntrack zone used */
	struct ctg_ct_result ct; /**< tracking result (ct.conn valid until the next call) */
	uint32_t conn_id;	 /**< id of the attached/noted connection, 0 if none */
	const char *conn_l4_state; /**< its TCP/SCTP state name after the packet, or NULL */
	uint8_t conn_tcp_state;	   /**< its TCP state (enum ctg_ct_tcp_state) after the packet */
	uint8_t conn_gone;	 /**< the connection no longer exists (destroyed/unconfirmed) */
	uint8_t helper_drop;	 /**< the connection's helper dropped the packet */
	uint32_t conn_status;	 /**< its status bits after the packet */
	uint32_t mark;		 /**< packet mark after the rules */
	/* Reassembly: when this packet completed a datagram, every fragment shares its
	 * verdict; when a queue was thrown away, those fragments are dropped. */
	const uint64_t *frag_cookies;	/**< fragments of the completed datagram */
	uint16_t nb_frag_cookies;
	uint16_t max_frag_len;		/**< largest fragment received (refragmentation) */
	const uint64_t *discarded;	/**< fragments dropped with a discarded queue */
	uint16_t nb_discarded;
	uint64_t duplicate_of;		/**< a duplicate fragment: the queued one it repeats */
	/* The datagram that was classified (reassembled or the packet itself). */
	const uint8_t *dgram;
	uint32_t dgram_len;
	/* REJECT: the packet to send back out of the ingress port (IP, no L2). */
	const uint8_t *reject;
	uint32_t reject_len;
	/* LOG hits of this packet (pointers into the rule set). */
	uint8_t nb_log;
	const struct ctg_rule_log_hit *log;
};

/** Counters of a pipeline, written by its worker only. */
struct ctg_pipeline_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t verdicts[CTG_PL_VERDICT_COUNT];
	uint64_t drops[CTG_PL_DROP_COUNT];
	uint64_t ct_states[CTG_CT_STATE_COUNT];
};

struct ctg_pipeline;

/** Create a pipeline. @return NULL with errno set. Context: control core. */
struct ctg_pipeline *ctg_pipeline_create(const struct ctg_pipeline_conf *conf);

/** Free it. Context: control core, its worker stopped. */
void ctg_pipeline_destroy(struct ctg_pipeline *pl);

/**
 * Use @p rs (NULL: no rules, everything ACCEPTed) from the next packet on.
 * @p cnt is this worker's counter block for @p rs (may be NULL).
 * Context: the pipeline's worker (it reads the pointers it is given per packet).
 */
void ctg_pipeline_set_rules(struct ctg_pipeline *pl, const struct ctg_rule_set *rs,
		struct ctg_rule_counters *cnt);

/**
 * Process one frame. Context: the pipeline's worker.
 */
void ctg_pipeline_process(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *pkt,
		uint64_t now_ns, struct ctg_pipeline_out *out);

/** Packets ctg_pipeline_process_burst() hashes and prefetches together. */
#define CTG_PIPELINE_BURST 32

/**
 * Process up to @p n frames, with the same result as calling ctg_pipeline_process() on
 * each in order: the burst is parsed and hashed first and the conntrack index and
 * connections are prefetched, then every packet is tracked, classified and confirmed in
 * order (so packets of one flow see each other's updates).
 *
 * Stops after a packet whose outcome points into the pipeline's per-packet buffers (a
 * fragment: frag_cookies, discarded, a reassembled dgram; a REJECT packet; LOG hits),
 * because the next packet reuses them.
 * @return the number of packets processed, k >= 1 when n >= 1: outs[0..k-1] are
 * filled; their pointers stay valid until the next call. Call again for the rest.
 * Context: the pipeline's worker.
 */
uint16_t ctg_pipeline_process_burst(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *pkts,
		uint16_t n, uint64_t now_ns, struct ctg_pipeline_out *outs);

/**
 * Process a complete IP datagram handed over by another worker (HANDOFF): no parsing of
 * link headers, no reassembly, no owner check. Context: the owner worker.
 */
void ctg_pipeline_process_datagram(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *pkt,
		uint64_t now_ns, struct ctg_pipeline_out *out);

/**
 * Periodic housekeeping: expire connections and reassembly queues within a budget.
 * Fragments of expired queues are given to @p fn (the caller frees those packets).
 */
void ctg_pipeline_expire(struct ctg_pipeline *pl, uint64_t now_ns, uint32_t budget,
		ctg_frag_release_fn *fn, void *arg);

/** The owner worker of a parsed datagram (an ICMP error: the quoted flow's owner). */
uint16_t ctg_pipeline_owner(const struct ctg_pipeline *pl, const struct ctg_pkt *pkt);

struct ctg_ct_shard *ctg_pipeline_ct(struct ctg_pipeline *pl);
struct ctg_frag_table *ctg_pipeline_frag(struct ctg_pipeline *pl);
const struct ctg_pipeline_stats *ctg_pipeline_stats_get(const struct ctg_pipeline *pl);

#endif /* CTG_PIPELINE_H_ */
