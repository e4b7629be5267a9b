/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CT_PRIVATE_H_
#define CT_PRIVATE_H_

#ifndef CTG_CT_INTERNAL
#error "ct_private.h is internal to lib/ct"
#endif

#include "ctg_ct.h"

/**
 * What a protocol tracker decided about a packet on a connection (the kernel's
 * NF_ACCEPT / -NF_ACCEPT / NF_REPEAT and the kill-on-RST case).
 */
enum ct_l4_verdict {
	CT_L4_ACCEPT,  /**< valid: refresh the timeout with *timeout_s, count the packet */
	CT_L4_IGNORE,  /**< accepted (ESTABLISHED/NEW), but no refresh and no accounting */
	CT_L4_INVALID, /**< no connection attached: the packet is INVALID (*reason) */
	CT_L4_REPEAT,  /**< kill the connection and track the packet again (SYN reopen) */
	CT_L4_DESTROY, /**< accepted and counted, then the connection is deleted at once */
	CT_L4_VERDICT_COUNT
};

/**
 * Protocol tracker operations (OVS's ct_l4_proto). One const instance per protocol file;
 * the core dispatches through a table indexed by IP protocol.
 */
struct ct_l4_ops {
	/**
	 * Validate the transport header before any lookup (the kernel's *_error()):
	 * length, checksum (when params->checksum), flag combinations.
	 * @return true if the packet may be tracked; false: INVALID with *reason.
	 */
	bool (*error)(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason);
	/**
	 * Process a packet on connection @p c in direction @p dir. @p is_new is true when
	 * @p c was just created for this packet (unconfirmed, state zeroed, orig set): the
	 * tracker first decides whether the packet may create a connection at all.
	 * On CT_L4_ACCEPT / CT_L4_DESTROY, *timeout_s is the new timeout.
	 * The tracker may set status bits (ASSURED) and, for the kernel's
	 * nf_tcp_handle_invalid(), shorten c->expires_ns itself (it gets @p now_ns).
	 */
	enum ct_l4_verdict (*packet)(struct ctg_ct_conn *c, enum ctg_ct_dir dir,
			const struct ctg_pkt *pkt, bool is_new, const struct ctg_ct_params *p,
			uint64_t now_ns, uint64_t *timeout_s, uint8_t *reason);
};

extern const struct ct_l4_ops ct_l4_tcp_ops;
extern const struct ct_l4_ops ct_l4_sctp_ops;

/** Next TCP state for (direction, flag class, state) from the state table (tests). */
uint8_t ct_tcp_fsm_next(unsigned int dir, unsigned int event, unsigned int state);

/** nf_conntrack_tcp_set_closing(): a REJECT tcp-reset was sent for this connection. */
void ct_tcp_set_closing(struct ctg_ct_conn *c, const struct ctg_ct_params *p, uint64_t now_ns);

#endif /* CT_PRIVATE_H_ */

/* ---- Core (ct_table.c, ct_track.c); not used by the protocol trackers. ---- */
#ifdef CT_CORE

/*
 * Internal status bits (not kernel IPS_* bits, never printed): the connection is counted
 * by a limit of ct_limit.c and must be uncounted when it leaves that state or the table.
 */
#define CT_S_LIM_ZONE (1u << 28)
#define CT_S_LIM_SRC  (1u << 29)
#define CT_S_LIM_EMB  (1u << 30)
#define CT_S_LIM_ANY  (CT_S_LIM_ZONE | CT_S_LIM_SRC | CT_S_LIM_EMB)

/** Expectations per shard (nf_conntrack_expect_max is buckets/256 * 4 in the kernel). */
#define CT_MAX_EXPECT 256

/*
 * The index (see README.md): buckets of one cache line, CT_BUCKET_SLOTS slots each, a
 * 16-bit signature and a pool index per slot; a key's home bucket is chosen from its hash
 * by multiply-shift, and a full bucket overflows into the next one (linear probing by
 * bucket). ovf counts the entries stored beyond this bucket whose home is this bucket or
 * one before it (F14's outbound overflow count): a lookup stops at the first bucket whose
 * count is zero, and removal needs neither tombstones nor shifting.
 */
#define CT_BUCKET_SLOTS 10
#define CT_OVF_STICKY	UINT16_MAX /* saturated: never decremented again */

struct ct_bucket {
	uint16_t sig[CT_BUCKET_SLOTS];	/**< low 16 bits of the hash */
	uint16_t ovf;			/**< entries homed here or before, stored beyond */
	uint16_t nb_used;		/**< occupied slots */
	uint32_t idx1[CT_BUCKET_SLOTS]; /**< pool index + 1; 0 = empty */
} __attribute__((aligned(64)));

/** Helper state of one connection, in the shard's side table (ct_table.c). */
struct ct_help {
	struct ctg_ct_ftp ftp; /**< FTP: sequence numbers after '\n' */
	uint32_t next;	       /**< free list link (slot + 1) while free */
};

struct ctg_ct_shard {
	/* Immutable after creation. */
	struct ctg_ct_conn *pool; /**< capacity entries */
	uint32_t capacity;
	uint32_t nb_buckets;	  /**< index buckets (not a power of two) */
	struct ct_bucket *index;
	uint64_t hkey[4];	  /**< hash keys, derived from the seed once */
	size_t pool_size;	  /**< bytes mapped for the pool */
	size_t index_size;	  /**< bytes mapped for the index */
	uint64_t seed;
	uint32_t id_stride;
	struct ct_help *help;	  /**< helper state side table (FTP control connections) */
	uint32_t help_cap;	  /**< its slots (at most 65535: conn->help_slot is 16-bit) */
	size_t help_size;	  /**< bytes mapped for it */
	uint32_t help_free;	  /**< free slot + 1 (list through next), 0: none */
	uint32_t help_fresh;	  /**< slots >= help_fresh were never used */
	/* Owner worker only. */
	const struct ctg_ct_params *params;
	uint32_t nb_free;	 /**< free pool entries */
	uint32_t free_head;	 /**< most recently freed entry + 1 (list through master), 0: none */
	uint32_t fresh;		 /**< entries >= fresh were never used */
	uint32_t next_id;
	uint32_t gc_cursor;	 /**< next pool index the expiry scan visits */
	uint32_t pending;	 /**< unconfirmed conn of the packet in flight, or NO_CONN */
	struct ctg_ct_stats stats;
	ctg_ct_event_fn *event_fn; /**< NEW/DESTROY notifications, or NULL */
	void *event_arg;
	uint64_t now_ns;	   /**< time of the packet or expiry scan in progress */
	/* Helpers and expectations (ct_expect.c). */
	struct {
		uint8_t helper;
		uint8_t proto;
		uint16_t port;
	} helper_ports[8];
	uint32_t nb_helper_ports;
	uint32_t nb_expect;			 /**< live expectations */
	struct ctg_ct_expect expect[CT_MAX_EXPECT]; /**< small: helpers are rare */
	struct ct_limit *limit;	/**< counters of ct_limit.c (owner worker only) */
};

/** Home bucket of a hash (multiply-shift over a non-power-of-two bucket count). */
static inline uint32_t
ct_home_bucket(const struct ctg_ct_shard *s, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * s->nb_buckets) >> 32);
}

/** Limits (ct_limit.c). */
struct ct_limit *ct_limit_create(void);
void ct_limit_destroy(struct ct_limit *l);
/** Whether any limit is on (a cheap test of the tunables). */
static inline bool
ct_limit_enabled(const struct ctg_ct_params *p)
{
	return (p->limit_per_zone | p->limit_per_source | p->limit_embryonic) != 0;
}
/** May new connection @p c (tracked, unconfirmed) be created? CTG_CT_R_NONE or a reason. */
uint8_t ct_limit_admit(struct ctg_ct_shard *s, const struct ctg_ct_conn *c);
/** @p c was confirmed: count it in the limits that are on. */
void ct_limit_confirm(struct ctg_ct_shard *s, struct ctg_ct_conn *c);
/** A counted connection's TCP state changed: uncount it once it is no longer half-open. */
void ct_limit_update(struct ctg_ct_shard *s, struct ctg_ct_conn *c);
/** A counted connection leaves the table. */
void ct_limit_release(struct ctg_ct_shard *s, struct ctg_ct_conn *c);

/** Canonical (direction-independent) form of a tuple: the index key. */
void ct_tuple_normalise(const struct ctg_ct_tuple *t, struct ctg_ct_tuple *n);

/** Tuples are 40 bytes without padding (ctg_ct_pkt_tuple() zeroes unused bytes). */
static inline bool
ct_tuple_eq(const struct ctg_ct_tuple *a, const struct ctg_ct_tuple *b)
{
	const uint64_t *x = (const uint64_t *)(const void *)a;
	const uint64_t *y = (const uint64_t *)(const void *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
			       (x[4] ^ y[4])) == 0;
}

/** Index hash of a tuple's canonical form, with the shard's keys. */
uint32_t ct_hash(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t);
uint32_t ct_conn_alloc(struct ctg_ct_shard *s, const struct ctg_ct_tuple *orig, uint32_t hash,
		uint64_t now_ns);
void ct_conn_free(struct ctg_ct_shard *s, uint32_t idx);
/** Attach helper @p h to new connection @p c (takes a side-table slot for FTP).
 * @return false when the side table is full: the connection gets no helper, as in the
 * kernel when the helper extension cannot be allocated. */
bool ct_help_attach(struct ctg_ct_shard *s, struct ctg_ct_conn *c, uint8_t h);
/** FTP state of @p c (which has a slot). */
static inline struct ctg_ct_ftp *
ct_help_ftp(struct ctg_ct_shard *s, const struct ctg_ct_conn *c)
{
	return &s->help[c->help_slot - 1].ftp;
}
int ct_index_insert(struct ctg_ct_shard *s, uint32_t idx);
void ct_index_remove(struct ctg_ct_shard *s, uint32_t idx);
/** Lookup for the tracker (@p hash = ct_hash(t)): expired entries found are reaped. */
uint32_t ct_lookup_reap(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint32_t hash,
		uint64_t now_ns, enum ctg_ct_dir *dir);
bool ct_early_drop(struct ctg_ct_shard *s, uint32_t hash, uint64_t now_ns);

/** Expectations (ct_expect.c). */
bool ct_expect_take(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		uint32_t *master);
void ct_expect_remove_master(struct ctg_ct_shard *s, uint32_t master);
uint8_t ct_helper_for(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t);
bool ct_helper_ftp(struct ctg_ct_shard *s, struct ctg_ct_conn *c, uint32_t idx,
		enum ctg_ct_dir dir, const struct ctg_pkt *pkt, uint64_t now_ns);
bool ct_expect_add(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint32_t master,
		uint8_t helper, uint64_t now_ns);

/** ICMP / ICMPv6 (ct_proto_icmp.c). */
extern const struct ct_l4_ops ct_l4_icmp_ops;
extern const struct ct_l4_ops ct_l4_icmpv6_ops;
/** ICMP error handling: RELATED lookup of the quoted packet (nf_conntrack_inet_error). */
enum ct_icmp_class {
	CT_ICMP_QUERY,	   /**< track it as a query */
	CT_ICMP_INVALID,   /**< INVALID (reason set) */
	CT_ICMP_RELATED,   /**< RELATED to *conn in *dir */
	CT_ICMP_UNTRACKED, /**< never tracked (ND, RS/RA, MLD) */
};
enum ct_icmp_class ct_icmp_classify(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt,
		uint16_t zone, uint64_t now_ns, uint32_t *conn, uint8_t *dir, uint8_t *reason);
/** UDP, UDP-Lite, generic, GRE (ct_proto_udp.c). */
extern const struct ct_l4_ops ct_l4_udp_ops;
extern const struct ct_l4_ops ct_l4_udplite_ops;
extern const struct ct_l4_ops ct_l4_generic_ops;
extern const struct ct_l4_ops ct_l4_gre_ops;

#endif /* CT_CORE */
