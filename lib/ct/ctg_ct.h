/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_CT_H_
#define CTG_CT_H_

/**
 * @file
 * Connection tracking with Linux nf_conntrack semantics (see lib/ct/README.md).
 *
 * A shard is one worker's connection table: fixed-size entries in a preallocated pool,
 * one index entry per connection keyed by the direction-independent (normalised) tuple,
 * one writer (the owner worker), no heap allocation per packet. Time is always passed in
 * by the caller in nanoseconds.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctg_common.h"
#include "ctg_param.h"
#include "ctg_pkt.h"

/** An IPv4 or IPv6 address; IPv4 uses the first 4 bytes, the rest are zero. */
union ctg_addr {
	uint8_t b[16];
	uint32_t w[4];
	uint64_t q[2];
};

/**
 * A connection tuple in one direction. Ports are in host order. ICMP/ICMPv6:
 * sport = identifier, dport = type << 8 | code. GRE and generic: ports are 0.
 */
struct ctg_ct_tuple {
	union ctg_addr src;
	union ctg_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t family; /**< 4 or 6 */
	uint16_t zone;
};

enum ctg_ct_dir {
	CTG_CT_DIR_ORIG,
	CTG_CT_DIR_REPLY,
	CTG_CT_DIR_COUNT
};

/** What rules see: the user-land states of the Iptables Tutorial, chapter 7. */
enum ctg_ct_state {
	CTG_CT_INVALID,
	CTG_CT_NEW,
	CTG_CT_ESTABLISHED,
	CTG_CT_RELATED,
	CTG_CT_UNTRACKED,
	CTG_CT_STATE_COUNT
};

/** TCP conntrack states, in the kernel's order (TCP_CONNTRACK_*). */
#define CTG_CT_TCP_STATES(X)                                                             \
	X(NONE, "NONE")                                                                  \
	X(SYN_SENT, "SYN_SENT")                                                          \
	X(SYN_RECV, "SYN_RECV")                                                          \
	X(ESTABLISHED, "ESTABLISHED")                                                    \
	X(FIN_WAIT, "FIN_WAIT")                                                          \
	X(CLOSE_WAIT, "CLOSE_WAIT")                                                      \
	X(LAST_ACK, "LAST_ACK")                                                          \
	X(TIME_WAIT, "TIME_WAIT")                                                        \
	X(CLOSE, "CLOSE")                                                                \
	X(SYN_SENT2, "SYN_SENT2")

enum ctg_ct_tcp_state {
#define CTG_CT_X(n, s) CTG_CT_TCP_##n,
	CTG_CT_TCP_STATES(CTG_CT_X)
#undef CTG_CT_X
	CTG_CT_TCP_S_COUNT
};

/** SCTP conntrack states, in the kernel's order (SCTP_CONNTRACK_*). */
#define CTG_CT_SCTP_STATES(X)                                                            \
	X(NONE, "NONE")                                                                  \
	X(CLOSED, "CLOSED")                                                              \
	X(COOKIE_WAIT, "COOKIE_WAIT")                                                    \
	X(COOKIE_ECHOED, "COOKIE_ECHOED")                                                \
	X(ESTABLISHED, "ESTABLISHED")                                                    \
	X(SHUTDOWN_SENT, "SHUTDOWN_SENT")                                                \
	X(SHUTDOWN_RECD, "SHUTDOWN_RECD")                                                \
	X(SHUTDOWN_ACK_SENT, "SHUTDOWN_ACK_SENT")                                        \
	X(HEARTBEAT_SENT, "HEARTBEAT_SENT")

enum ctg_ct_sctp_state {
#define CTG_CT_X(n, s) CTG_CT_SCTP_##n,
	CTG_CT_SCTP_STATES(CTG_CT_X)
#undef CTG_CT_X
	CTG_CT_SCTP_S_COUNT
};

/** SCTP tracking state of a connection (struct ip_ct_sctp). */
struct ctg_ct_sctp {
	uint8_t state;			    /**< enum ctg_ct_sctp_state */
	uint8_t last_dir;		    /**< direction of the last packet */
	uint8_t init[CTG_CT_DIR_COUNT];	    /**< INIT/INIT-ACK seen per direction */
	uint8_t flags;			    /**< tracker flags (e.g. heartbeat pending) */
	uint32_t vtag[CTG_CT_DIR_COUNT];    /**< verification tag expected per direction */
};

/** Status bits, with the kernel's bit numbers (IPS_*), so printing in bit order matches. */
#define CTG_CT_S_EXPECTED      (1u << 0)
#define CTG_CT_S_SEEN_REPLY    (1u << 1)
#define CTG_CT_S_ASSURED       (1u << 2)
#define CTG_CT_S_CONFIRMED     (1u << 3)
#define CTG_CT_S_DYING	       (1u << 9)
#define CTG_CT_S_FIXED_TIMEOUT (1u << 10)
#define CTG_CT_S_HELPER	       (1u << 13)

/** Per-direction TCP window-tracking state (struct ip_ct_tcp_state). */
struct ctg_ct_tcp_peer {
	uint32_t td_end;    /**< max of seq + len */
	uint32_t td_maxend; /**< max of ack + max(win, 1) */
	uint32_t td_maxwin; /**< max(win) */
	uint32_t td_maxack; /**< max of ack */
	uint8_t td_scale;   /**< window scale factor */
	uint8_t flags;	    /**< CTG_CT_TCP_F_* */
};

/* Per-direction TCP flags (IP_CT_TCP_FLAG_* values). */
#define CTG_CT_TCP_F_WINDOW_SCALE	 0x01
#define CTG_CT_TCP_F_SACK_PERM		 0x02
#define CTG_CT_TCP_F_CLOSE_INIT		 0x04
#define CTG_CT_TCP_F_BE_LIBERAL		 0x08
#define CTG_CT_TCP_F_DATA_UNACKNOWLEDGED 0x10
#define CTG_CT_TCP_F_MAXACK_SET		 0x20
#define CTG_CT_TCP_F_EXP_CHALLENGE_ACK	 0x40
#define CTG_CT_TCP_F_SIMULTANEOUS_OPEN	 0x80

/** TCP tracking state of a connection (struct ip_ct_tcp). */
struct ctg_ct_tcp {
	struct ctg_ct_tcp_peer seen[CTG_CT_DIR_COUNT];
	uint8_t state;	     /**< enum ctg_ct_tcp_state */
	uint8_t last_dir;    /**< direction of the last packet */
	uint8_t retrans;     /**< number of retransmitted packets */
	uint8_t last_index;  /**< index of the last packet's flag class */
	uint32_t last_seq;   /**< last sequence number seen in dir */
	uint32_t last_ack;   /**< last ack number seen in dir */
	uint32_t last_end;   /**< last seq + len */
	uint16_t last_win;   /**< last window seen in dir */
	uint8_t last_wscale; /**< last window scale seen in an ignored SYN */
	uint8_t last_flags;  /**< last flags seen in an ignored SYN */
};

/** Helpers (expectation-creating protocol parsers). */
enum ctg_ct_helper {
	CTG_CT_HELPER_NONE,
	CTG_CT_HELPER_FTP,
	CTG_CT_HELPER_TFTP,
	CTG_CT_HELPER_COUNT
};

/** FTP helper state of a control connection (struct nf_ct_ftp_master). */
struct ctg_ct_ftp {
	uint32_t seq_aft_nl[CTG_CT_DIR_COUNT][2]; /**< sequence numbers right after a '\n' */
	uint8_t seq_aft_nl_num[CTG_CT_DIR_COUNT];  /**< how many are remembered */
};

/**
 * One connection: 160 bytes (2.5 cache lines), in the shard's pool. The first cache line
 * holds everything a lookup and the state decision read (tuple, hash, status, expiry),
 * so a lookup that finds a connection touches one line of it; accounting, start time and
 * the protocol state follow. FTP helper state lives in a side table of the shard (only
 * helper connections need it). See lib/ct/README.md for the layout and its history.
 *
 * Counters (the kernel's nf_conn_acct) are 32-bit packets and 48-bit bytes per
 * direction and wrap modulo 2^32 and 2^48 (the kernel's are 64-bit): read them with
 * ctg_ct_conn_packets() and ctg_ct_conn_bytes().
 */
struct ctg_ct_conn {
	/* Immutable after creation. */
	struct ctg_ct_tuple orig; /**< original-direction tuple (the reply is its inverse) */
	uint32_t hash;		  /**< index hash of the canonical tuple (removal, no re-hash) */
	/* Owner worker only (readers on other cores read racy snapshots). */
	uint32_t status;     /**< CTG_CT_S_* */
	uint64_t expires_ns; /**< absolute expiry time */
	uint32_t id;	     /**< connection id, unique per shard run (immutable) */
	uint32_t master;     /**< pool index + 1 of the master connection, 0 if none
				  (immutable; links the free list while the entry is free) */
	/* Second cache line. */
	uint32_t acct_packets[CTG_CT_DIR_COUNT];  /**< packets, modulo 2^32 */
	uint32_t acct_bytes_lo[CTG_CT_DIR_COUNT]; /**< bytes, low 32 of 48 bits */
	uint16_t acct_bytes_hi[CTG_CT_DIR_COUNT]; /**< bytes, high 16 of 48 bits */
	uint8_t helper;	     /**< enum ctg_ct_helper */
	uint8_t in_use;	     /**< slot holds a live (confirmed or pending) connection */
	uint16_t help_slot;  /**< helper state slot + 1 in the shard's side table, 0: none */
	uint64_t start_ns;   /**< creation time (immutable) */
	uint32_t mark;	     /**< connmark */
	union {
		struct ctg_ct_tcp tcp;
		struct ctg_ct_sctp sctp;
	} l4;
};

/** Packets of a connection in direction @p d (modulo 2^32). */
static inline uint64_t
ctg_ct_conn_packets(const struct ctg_ct_conn *c, enum ctg_ct_dir d)
{
	return c->acct_packets[d];
}

/** Bytes of a connection in direction @p d (modulo 2^48). */
static inline uint64_t
ctg_ct_conn_bytes(const struct ctg_ct_conn *c, enum ctg_ct_dir d)
{
	return (uint64_t)c->acct_bytes_hi[d] << 32 | c->acct_bytes_lo[d];
}

/**
 * The conntrack tunables: one table (ct_params.c) names them after the kernel sysctls
 * (without the net.netfilter. prefix). Timeouts are in seconds.
 */
struct ctg_ct_params {
	uint64_t max;			/**< nf_conntrack_max (per shard) */
	uint64_t checksum;		/**< nf_conntrack_checksum */
	uint64_t tcp_loose;		/**< nf_conntrack_tcp_loose */
	uint64_t tcp_be_liberal;	/**< nf_conntrack_tcp_be_liberal */
	uint64_t tcp_ignore_invalid_rst; /**< nf_conntrack_tcp_ignore_invalid_rst */
	uint64_t tcp_max_retrans;	/**< nf_conntrack_tcp_max_retrans */
	uint64_t tcp_timeout[CTG_CT_TCP_S_COUNT]; /**< per TCP state, NONE unused */
	uint64_t tcp_timeout_max_retrans;	  /**< nf_conntrack_tcp_timeout_max_retrans */
	uint64_t tcp_timeout_unacknowledged;	  /**< ..._unacknowledged */
	uint64_t udp_timeout;			  /**< nf_conntrack_udp_timeout */
	uint64_t udp_timeout_stream;		  /**< nf_conntrack_udp_timeout_stream */
	uint64_t icmp_timeout;			  /**< nf_conntrack_icmp_timeout */
	uint64_t icmpv6_timeout;		  /**< nf_conntrack_icmpv6_timeout */
	uint64_t generic_timeout;		  /**< nf_conntrack_generic_timeout */
	uint64_t gre_timeout;			  /**< nf_conntrack_gre_timeout */
	uint64_t gre_timeout_stream;		  /**< nf_conntrack_gre_timeout_stream */
	uint64_t sctp_timeout[CTG_CT_SCTP_S_COUNT]; /**< per SCTP state, NONE unused */
	/*
	 * ctgate's own limits (no kernel sysctl; see lib/ct/ct_limit.c). 0 = unlimited, the
	 * default, so that default settings keep the kernel's semantics. A limit counts the
	 * connections confirmed while it is enabled.
	 */
	uint64_t limit_per_zone;	/**< ctgate_limit_per_zone: connections per zone */
	uint64_t limit_per_source;	/**< ctgate_limit_per_source: per source prefix */
	uint64_t limit_source_prefix4;	/**< ctgate_limit_source_prefix4: /1 .. /32 */
	uint64_t limit_source_prefix6;	/**< ctgate_limit_source_prefix6: /1 .. /128 */
	uint64_t limit_embryonic;	/**< ctgate_limit_embryonic: half-open TCP */
};

/** The parameter table of struct ctg_ct_params. */
extern const struct ctg_param_table ctg_ct_param_table;

/** Why a packet is INVALID or was IGNOREd; one X-macro list for the enum and names. */
#define CTG_CT_REASONS(X)                                                                \
	X(NONE, "none")                                                                  \
	X(L3_FRAGMENT, "fragment that escaped reassembly")                               \
	X(L4_TRUNCATED, "truncated transport header")                                    \
	X(L4_CSUM, "bad checksum")                                                       \
	X(TCP_FLAGS, "invalid tcp flag combination")                                     \
	X(TCP_INVALID_NEW, "invalid new")                                                \
	X(TCP_NOT_SYN, "tcp_loose=0 pickup without SYN")                                 \
	X(TCP_INVALID_STATE, "invalid state")                                            \
	X(TCP_SEQ_OVER, "SEQ is over upper bound")                                       \
	X(TCP_SEQ_UNDER, "SEQ is under lower bound")                                     \
	X(TCP_ACK_OVER, "ACK is over upper bound")                                       \
	X(TCP_ACK_UNDER, "ACK is under lower bound")                                     \
	X(TCP_RST_INVALID, "invalid rst")                                                \
	X(TCP_IGNORED, "ignored (state machine)")                                        \
	X(TCP_OVERSHOOT, "data beyond the window, tolerated")                            \
	X(UDP_LEN, "bad udp length")                                                     \
	X(UDPLITE_COVERAGE, "bad udplite coverage")                                      \
	X(ICMP_TYPE, "unknown or non-creating icmp type")                                \
	X(ICMP_ERROR_NOMATCH, "icmp error quoting no tracked flow")                      \
	X(ICMP_ERROR_INNER, "icmp error with a malformed quoted packet")                 \
	X(ICMPV6_REDIRECT, "bad icmpv6 redirect")                                        \
	X(PROTO_L3, "protocol not tracked on this family")                               \
	X(SCTP, "invalid sctp packet")                                                   \
	X(TABLE_FULL, "table full, no early-drop candidate")                            \
	X(LIMIT_ZONE, "connection limit of the zone reached")                            \
	X(LIMIT_SOURCE, "connection limit of the source reached")                        \
	X(LIMIT_EMBRYONIC, "half-open tcp connection limit reached")

enum ctg_ct_reason {
#define CTG_CT_X(n, s) CTG_CT_R_##n,
	CTG_CT_REASONS(CTG_CT_X)
#undef CTG_CT_X
	CTG_CT_R_COUNT
};

/** Result of tracking one packet. */
struct ctg_ct_result {
	uint8_t state;	/**< enum ctg_ct_state */
	uint8_t dir;	/**< enum ctg_ct_dir (meaningful when a conn is attached) */
	uint8_t reason; /**< enum ctg_ct_reason for INVALID, or why it was ignored */
	uint8_t flags;	/**< CTG_CT_RES_* */
	uint32_t conn;	/**< pool index of the attached conn; CTG_CT_NO_CONN if none */
};

#define CTG_CT_NO_CONN UINT32_MAX
#define CTG_CT_RES_UNCONFIRMED 0x01 /**< conn is new: confirm or abort after the rules */
#define CTG_CT_RES_NOT_ATTACHED 0x02 /**< INVALID, conn names the entry of the tuple */
#define CTG_CT_RES_DESTROYED 0x04   /**< the packet destroyed conn (it is gone after) */
#define CTG_CT_RES_IGNORED 0x08	    /**< accepted but ignored by the tracker */
#define CTG_CT_RES_DROP 0x10	    /**< conntrack drops the packet (table full) */

/** Shard configuration. */
struct ctg_ct_conf {
	uint32_t capacity; /**< pool size (>= params.max) */
	uint64_t seed;	   /**< hash key; pick a random one per start */
	uint32_t id_base;  /**< first connection id (ids are id_base, id_base+stride, ...) */
	uint32_t id_stride;
};

/** Counters of a shard (conntrack -S), written by the owner only. */
#define CTG_CT_COUNTERS(X)                                                               \
	X(found)                                                                         \
	X(new)                                                                           \
	X(invalid)                                                                       \
	X(ignore)                                                                        \
	X(insert)                                                                        \
	X(insert_failed)                                                                 \
	X(drop)                                                                          \
	X(early_drop)                                                                    \
	X(icmp_error)                                                                    \
	X(expect_new)                                                                    \
	X(expect_create)                                                                 \
	X(expect_delete)                                                                 \
	X(helper_drop)                                                                   \
	X(delete)                                                                        \
	X(expired)                                                                       \
	X(untracked)                                                                     \
	X(limit_zone)                                                                    \
	X(limit_source)                                                                  \
	X(limit_embryonic)                                                               \
	X(limit_source_evict)

struct ctg_ct_stats {
#define CTG_CT_X(n) uint64_t n;
	CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
	uint64_t invalid_by_reason[CTG_CT_R_COUNT];
	uint64_t count; /**< live confirmed connections */
	uint64_t embryonic; /**< half-open TCP connections counted (limit_embryonic on) */
};

struct ctg_ct_shard;

/**
 * Create a shard. @p params is read on every packet and may be replaced by the caller
 * (it is not copied).
 * @return the shard or NULL (errno set).
 * Context: control core at start-up.
 */
struct ctg_ct_shard *ctg_ct_shard_create(const struct ctg_ct_conf *conf,
		const struct ctg_ct_params *params);

/** Free a shard. Context: control core, workers stopped. */
void ctg_ct_shard_destroy(struct ctg_ct_shard *s);

/** Connection events (the kernel's ecache NEW and DESTROY, for conntrack -E and IPFIX). */
enum ctg_ct_event {
	CTG_CT_EV_NEW,	   /**< the connection was confirmed (inserted) */
	CTG_CT_EV_DESTROY, /**< it is about to be freed (expiry, delete, early drop, RST) */
	CTG_CT_EV_COUNT
};

/**
 * Event callback: called on the owner worker, synchronously, while the entry is still
 * valid. It must not block (queue a copy and drop + count when the queue is full).
 */
typedef void ctg_ct_event_fn(const struct ctg_ct_conn *c, enum ctg_ct_event ev, uint64_t now_ns,
		void *arg);

/** Register the event callback (NULL: none). Context: owner worker or workers stopped. */
void ctg_ct_shard_set_event_cb(struct ctg_ct_shard *s, ctg_ct_event_fn *fn, void *arg);

/** Replace the tunables the shard reads. Context: owner worker (or workers stopped). */
void ctg_ct_shard_set_params(struct ctg_ct_shard *s, const struct ctg_ct_params *params);

/**
 * Track one (reassembled, non-fragment) IP packet, as nf_conntrack_in() does.
 * A NEW packet gets an unconfirmed connection (CTG_CT_RES_UNCONFIRMED); a packet may
 * also end its connection (CTG_CT_RES_DESTROYED). The connection stays readable through
 * res->conn until the caller calls ctg_ct_finish(), which it must do after the rules
 * and before tracking the next packet.
 * @param zone  conntrack zone of the packet
 * Context: owner worker.
 */
void ctg_ct_track(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint8_t helper, uint64_t now_ns, struct ctg_ct_result *res);

/**
 * A packet's lookup key computed ahead of tracking, so that a burst can hash every
 * packet first and prefetch the index and the connections before tracking them in order
 * (see ctg_pipeline_process_burst()). It is a pure function of the packet, the zone and
 * the shard's seed: it caches no table state, so tracking with it is exact even when an
 * earlier packet of the burst created or deleted the connection.
 */
struct ctg_ct_key {
	struct ctg_ct_tuple t; /**< the packet's tuple, as ctg_ct_pkt_tuple() fills it */
	uint32_t hash;	       /**< index hash of the canonical form of t */
	uint16_t zone;	       /**< zone t was computed for */
	uint8_t ok;	       /**< 1: t and hash are valid */
};

/**
 * Compute @p k for @p pkt in @p zone and prefetch its index bucket.
 * @return true if the packet has a key (k->ok).
 * Context: owner worker (reads only immutable shard fields).
 */
bool ctg_ct_key_prepare(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		struct ctg_ct_key *k);

/**
 * Read @p k's index bucket (prefetched by ctg_ct_key_prepare()) and prefetch the
 * connection entries whose signature matches. A hint only: nothing is remembered.
 * Context: owner worker.
 */
void ctg_ct_key_prefetch(const struct ctg_ct_shard *s, const struct ctg_ct_key *k);

/**
 * ctg_ct_track() with a key from ctg_ct_key_prepare() (NULL, or a key for another zone:
 * computed here). Same result as ctg_ct_track(). Context: owner worker.
 */
void ctg_ct_track_key(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint8_t helper, uint64_t now_ns, const struct ctg_ct_key *k,
		struct ctg_ct_result *res);

/**
 * Run the connection's helper on an accepted packet (after the filter rules, as the
 * kernel's helper hook does): the FTP helper reads PORT/EPRT and 227/229 replies and
 * creates expectations. @return false if the helper drops the packet (partial match,
 * expectation refused). Context: owner worker.
 */
bool ctg_ct_help(struct ctg_ct_shard *s, const struct ctg_pkt *pkt,
		const struct ctg_ct_result *res, uint64_t now_ns);

/**
 * Attach @p helper to new connections of @p proto to port @p port (the oracle's
 * `--helper ftp:tcp:21`, i.e. `ct state new tcp dport 21 ct helper set ftp`).
 * @return 0, or -ENOSPC when the table of assignments is full.
 */
int ctg_ct_helper_port_add(struct ctg_ct_shard *s, enum ctg_ct_helper helper, uint8_t proto,
		uint16_t port);

/** Helper by name ("ftp"); CTG_CT_HELPER_NONE if unknown. */
enum ctg_ct_helper ctg_ct_helper_by_name(const char *name);
const char *ctg_ct_helper_name(enum ctg_ct_helper h);

/** An expectation (conntrack -L expect): a connection a helper announced. */
struct ctg_ct_expect {
	struct ctg_ct_tuple tuple; /**< expected original tuple; sport is a wildcard */
	uint64_t expires_ns;
	uint32_t master;	   /**< pool index of the master connection */
	uint8_t helper;
	uint8_t in_use;
};

/** Visit live expectations. */
typedef int ctg_ct_expect_visit_fn(const struct ctg_ct_expect *e, void *arg);
void ctg_ct_expect_foreach(const struct ctg_ct_shard *s, uint64_t now_ns,
		ctg_ct_expect_visit_fn *fn, void *arg);

/** Which expectations ctg_ct_expect_delete() removes (NULL: all). */
typedef bool ctg_ct_expect_pred_fn(const struct ctg_ct_expect *e, void *arg);

/**
 * Delete the expectations @p pred selects (conntrack -D expect / -F expect).
 * @return how many were deleted. Context: owner worker.
 */
uint32_t ctg_ct_expect_delete(struct ctg_ct_shard *s, ctg_ct_expect_pred_fn *pred, void *arg);

/**
 * Conclude a tracked packet: confirm on accept (insert the unconfirmed connection when
 * @p accepted, discard it otherwise), and delete a connection the packet destroyed.
 * Context: owner worker.
 */
void ctg_ct_finish_attached(struct ctg_ct_shard *s, struct ctg_ct_result *res, bool accepted);

static inline void
ctg_ct_finish(struct ctg_ct_shard *s, struct ctg_ct_result *res, bool accepted)
{
	/* Nothing to conclude for a packet of an existing connection it did not destroy. */
	if (res->flags & (CTG_CT_RES_UNCONFIRMED | CTG_CT_RES_DESTROYED))
		ctg_ct_finish_attached(s, res, accepted);
}

/** Mark that the rules decided on a packet classified UNTRACKED (counts it). */
void ctg_ct_count_untracked(struct ctg_ct_shard *s);

/** Connection by pool index (NULL if out of range or free). */
const struct ctg_ct_conn *ctg_ct_conn_get(const struct ctg_ct_shard *s, uint32_t idx);

/** Mutable access for the owner (marks, helpers). */
struct ctg_ct_conn *ctg_ct_conn_get_mut(struct ctg_ct_shard *s, uint32_t idx);

/** The reply tuple of a connection (the inverse of its original tuple). */
void ctg_ct_conn_reply_tuple(const struct ctg_ct_conn *c, struct ctg_ct_tuple *reply);

/** Invert a tuple (swap ends; ICMP: request type <-> reply type). */
bool ctg_ct_tuple_invert(const struct ctg_ct_tuple *t, struct ctg_ct_tuple *inv);

/** Find the confirmed connection of a tuple (either direction). @return index or NO_CONN. */
uint32_t ctg_ct_lookup(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t,
		uint64_t now_ns, enum ctg_ct_dir *dir);

/** Delete one connection. Context: owner worker. */
void ctg_ct_delete(struct ctg_ct_shard *s, uint32_t idx);

/**
 * Expire up to @p budget connections whose timeout passed, walking the pool
 * incrementally. @return how many were removed. Context: owner worker.
 */
uint32_t ctg_ct_expire(struct ctg_ct_shard *s, uint64_t now_ns, uint32_t budget);

/** Visit every live confirmed connection (index order). Return non-zero to stop. */
typedef int ctg_ct_visit_fn(const struct ctg_ct_conn *c, uint32_t idx, void *arg);
void ctg_ct_foreach(const struct ctg_ct_shard *s, ctg_ct_visit_fn *fn, void *arg);

/** Counters. */
const struct ctg_ct_stats *ctg_ct_stats_get(const struct ctg_ct_shard *s);

/** Number of live confirmed connections. */
uint32_t ctg_ct_count(const struct ctg_ct_shard *s);

/**
 * Bytes of memory the shard allocated (pool and index, as mapped: whole huge pages when
 * they are used).
 */
uint64_t ctg_ct_memory(const struct ctg_ct_shard *s);

/** Index load, for hash-flooding checks (ctg_ct_index_probe_stats()). */
#define CTG_CT_PROBE_HIST 16
struct ctg_ct_probe_stats {
	uint32_t nb_buckets;
	uint64_t entries;
	/** Entries by distance (buckets) from their home bucket; the last bin is >= 15. */
	uint64_t dist[CTG_CT_PROBE_HIST];
	uint32_t max_dist;		/**< longest probe of any entry, in buckets */
	uint64_t sum_dist;		/**< total distance (mean = sum_dist / entries) */
	uint64_t occupancy[11];		/**< buckets by used slots, 0 .. 10 */
	uint32_t max_chain;		/**< longest run of buckets with ovf != 0 */
};

/**
 * Walk the index and report how far entries sit from their home bucket: the lookup cost
 * in probes (each probe is one bucket, one cache line). O(buckets); for tests and the
 * control core (racy snapshot on a live shard). Context: any.
 */
void ctg_ct_index_probe_stats(const struct ctg_ct_shard *s, struct ctg_ct_probe_stats *ps);

/** Names for printing. */
const char *ctg_ct_state_str(enum ctg_ct_state st);
const char *ctg_ct_tcp_state_str(enum ctg_ct_tcp_state st);
const char *ctg_ct_sctp_state_str(enum ctg_ct_sctp_state st);

/**
 * The protocol state name of a connection (TCP or SCTP), or NULL for stateless ones.
 * Inline: the pipeline reports it for every tracked packet.
 */
static inline const char *
ctg_ct_conn_l4_state_str(const struct ctg_ct_conn *c)
{
	if (c->orig.proto == 6)
		return ctg_ct_tcp_state_str((enum ctg_ct_tcp_state)c->l4.tcp.state);
	if (c->orig.proto == 132)
		return ctg_ct_sctp_state_str((enum ctg_ct_sctp_state)c->l4.sctp.state);
	return NULL;
}
const char *ctg_ct_reason_str(enum ctg_ct_reason r);

/** Append the status bits "SEEN_REPLY|ASSURED" (or "-") to @p buf. */
void ctg_ct_status_str(uint32_t status, char *buf, size_t size);

/**
 * Print a connection in `conntrack -L -o extended` form (without id), remaining timeout
 * computed from @p now_ns, to @p f (no newline).
 */
void ctg_ct_conn_print(const struct ctg_ct_conn *c, uint64_t now_ns, FILE *f);

/** Keyed hash of a tuple as given (the index hashes the canonical form). */
uint32_t ctg_ct_tuple_hash(const struct ctg_ct_tuple *t, uint64_t seed);

/**
 * Direction-independent hash of a flow: both directions of a connection (and ICMP
 * errors' quoted tuples, inverted) give the same value. The owner function's input.
 */
uint32_t ctg_ct_flow_hash(const struct ctg_ct_tuple *t, uint64_t seed);

/**
 * Fill the original-direction-as-seen tuple of a packet (no validation beyond what is
 * needed to read ports). @return false if the transport header is too short.
 */
bool ctg_ct_pkt_tuple(const struct ctg_pkt *pkt, uint16_t zone, struct ctg_ct_tuple *t);

#endif /* CTG_CT_H_ */
