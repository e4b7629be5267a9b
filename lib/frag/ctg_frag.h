/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_FRAG_H_
#define CTG_FRAG_H_

/**
 * @file
 * IPv4 and IPv6 reassembly with the Linux nf_defrag_ipv4 / nf_defrag_ipv6 semantics
 * (see lib/frag/README.md). One table per worker, one writer, bounded in datagrams,
 * fragments per datagram, bytes and time. The table copies fragment payloads into its own
 * preallocated buffers, so callers keep ownership of their packets: each fragment is named
 * by an opaque 64-bit cookie (an mbuf pointer, a pcap index) that comes back when the
 * datagram completes or is thrown away. Pure C, no EAL.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ctg_common.h"
#include "ctg_pkt.h"

/** Most fragments one datagram may have (beyond it the datagram is discarded). */
#define CTG_FRAG_MAX_FRAGS 64

/**
 * Most bytes of unfragmentable part kept for a datagram: the IPv4 header with options, or
 * the IPv6 header and the extension headers in front of the fragment header. A first
 * fragment with a longer one is dropped (MALFORMED); Linux has no such limit.
 */
#define CTG_FRAG_HDR_MAX 2048

/** Largest datagram ctg_frag_insert() can produce (IPv6: 40 + 65535). */
#define CTG_FRAG_DGRAM_MAX (40 + 65535)

struct ctg_frag_conf {
	uint32_t max_datagrams;	     /**< datagrams being reassembled at once */
	uint32_t max_frags;	     /**< fragments per datagram, <= CTG_FRAG_MAX_FRAGS */
	uint64_t max_bytes;	     /**< payload bytes held in all queues */
	/**
	 * Fragments held in all queues, 0 for no limit. The caller keeps each held
	 * fragment's packet (an mbuf) until its datagram ends, so this bounds the packet
	 * buffers a flood of tiny fragments can pin (64 per datagram, 8 bytes each, would
	 * otherwise pin max_datagrams x 64 of them within a small byte budget).
	 */
	uint32_t max_held;
	uint64_t timeout_ns_v4;	     /**< ipfrag_time (30 s) */
	uint64_t timeout_ns_v6;	     /**< nf_conntrack_frag6_timeout (60 s) */
	uint32_t hash_seed;	     /**< seed of the datagram index hash (pick it at random) */
};

/** Outcome of ctg_frag_insert() for the fragment given. */
enum ctg_frag_status {
	CTG_FRAG_HELD,	   /**< queued; the datagram is not complete yet */
	CTG_FRAG_COMPLETE, /**< this fragment completed the datagram: see dgram */
	CTG_FRAG_DROP,	   /**< this fragment was dropped (reason); see also discarded */
	/**
	 * Not reassembled: track the packet as it is. Not a fragment (IPv4 without MF and
	 * offset, IPv6 without a fragment header), an IPv6 jumbogram (payload length 0), an
	 * IPv6 first fragment that does not hold the whole transport header, or an IPv6
	 * non-final fragment whose length is not a multiple of 8 (reason NOT_ALIGNED: its
	 * datagram is discarded, see discarded). An IPv6 atomic fragment (offset 0, no M
	 * flag) is not PASS: like Linux, it completes a one-fragment datagram whose fragment
	 * header is removed (COMPLETE).
	 */
	CTG_FRAG_PASS,
	CTG_FRAG_STATUS_COUNT
};

#define CTG_FRAG_REASONS(X)                                                              \
	X(NONE, "none")                                                                  \
	X(DUPLICATE, "duplicate of a queued fragment")                                   \
	X(OVERLAP, "overlapping fragment: datagram discarded")                           \
	X(BAD_END, "fragment end inconsistent with the datagram length")                 \
	X(EMPTY, "fragment without payload")                                             \
	X(OVERSIZE, "datagram beyond 65535 bytes")                                       \
	X(NOT_ALIGNED, "non-final fragment not a multiple of 8 bytes")                   \
	X(TOO_MANY_FRAGS, "too many fragments in one datagram")                          \
	X(NO_QUEUE, "datagram table full")                                               \
	X(NO_MEMORY, "fragment memory budget exhausted (bytes or fragments held)")       \
	X(TIMEOUT, "reassembly timed out")                                               \
	X(MALFORMED, "malformed fragment")                                               \
	X(ECN, "fragments with conflicting ECN codepoints (RFC 3168)")                   \
	X(TRUNCATED_FIRST, "first fragment does not hold the whole transport header")

enum ctg_frag_reason {
#define CTG_FRAG_X(n, s) CTG_FRAG_R_##n,
	CTG_FRAG_REASONS(CTG_FRAG_X)
#undef CTG_FRAG_X
	CTG_FRAG_R_COUNT
};

const char *ctg_frag_reason_str(enum ctg_frag_reason r);

/** Result of inserting one fragment. Pointers stay valid until the next call on the table. */
struct ctg_frag_result {
	uint8_t status;		/**< enum ctg_frag_status */
	uint8_t reason;		/**< enum ctg_frag_reason when DROP (or PASS, why) */
	uint8_t discard_reason; /**< enum ctg_frag_reason of the discarded fragments */
	uint16_t nb_cookies;	/**< COMPLETE: fragments of the datagram, in arrival order */
	uint16_t nb_discarded;	/**< fragments of a queue thrown away by this insert */
	/**
	 * COMPLETE: largest fragment (IP length) received, what Linux puts in frag_max_size:
	 * IPv4 header plus the fragment payload kept (trimmed to a multiple of 8 when not
	 * final); IPv6 40 plus the largest payload length. Refragment no larger than this.
	 */
	uint16_t max_frag_len;
	uint64_t duplicate_of;	/**< DROP/DUPLICATE: cookie of the queued fragment covering it */
	const uint8_t *dgram;	/**< COMPLETE: the reassembled IP datagram */
	uint32_t dgram_len;	/**< COMPLETE: its length */
	uint64_t cookies[CTG_FRAG_MAX_FRAGS];	/**< COMPLETE: includes this fragment's */
	/**
	 * Queued fragments thrown away by this call, for discard_reason: their datagram
	 * overlapped, timed out (seen on lookup), was evicted to make room (NO_QUEUE), ...
	 * It never holds the cookie of the fragment given.
	 */
	uint64_t discarded[CTG_FRAG_MAX_FRAGS];
};

struct ctg_frag_stats {
	uint64_t fragments;	/**< fragments offered */
	uint64_t reassembled;	/**< datagrams completed */
	/**
	 * Fragments dropped, by reason: the fragment offered and every queued fragment
	 * thrown away with its datagram (overlap, timeout, eviction ...).
	 */
	uint64_t dropped[CTG_FRAG_R_COUNT];
	uint64_t passed;	/**< CTG_FRAG_PASS answers */
	uint64_t failed;	/**< datagrams thrown away, whatever the reason */
	uint64_t timeouts;	/**< datagrams thrown away by their timeout */
	uint64_t evicted;	/**< datagrams evicted because every slot was in use */
	uint64_t queues;	/**< datagrams being reassembled now */
	uint64_t bytes;		/**< payload bytes held now */
	uint64_t held;		/**< fragments held now (conf.max_held) */
	uint64_t mem_bytes;	/**< arena bytes in use now (whole pages) */
	uint64_t mem_limit;	/**< arena size (max_bytes rounded down to pages) */
};

struct ctg_frag_table;

/** Create a table. @return NULL with errno set on failure. Context: control core. */
struct ctg_frag_table *ctg_frag_table_create(const struct ctg_frag_conf *conf);

/** Free a table (cookies still queued are forgotten). */
void ctg_frag_table_destroy(struct ctg_frag_table *t);

/**
 * Offer one fragment (pkt->frag set by ctg_pkt_parse()) with its cookie. Same as
 * ctg_frag_insert_user() with user 0.
 * Context: owner worker.
 */
void ctg_frag_insert(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint64_t cookie,
		uint64_t now_ns, struct ctg_frag_result *res);

/**
 * Offer one fragment. The fragment header fields are read from the packet bytes
 * (pkt->l3, pkt->len, pkt->family); the other parsed fields are not needed.
 * @param user  part of the datagram key, as the kernel's defrag "user": the conntrack
 *              zone, and for IPv6 to link-local or multicast destinations the input
 *              interface as well (Linux keys those by iif).
 * @param cookie  names the fragment in later results and releases
 * @param now_ns  monotonic time; a datagram expires timeout_ns after its creation
 * @param res   filled on return
 * Context: owner worker. Concurrency: one writer per table.
 */
void ctg_frag_insert_user(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res);

/** Called for every fragment of an expired or evicted datagram. */
typedef void ctg_frag_release_fn(uint64_t cookie, enum ctg_frag_reason reason, void *arg);

/**
 * Throw away datagrams whose timeout passed, at most @p budget of them, handing each
 * held fragment's cookie to @p fn. @return datagrams expired. Context: owner worker.
 */
uint32_t ctg_frag_expire(struct ctg_frag_table *t, uint64_t now_ns, uint32_t budget,
		ctg_frag_release_fn *fn, void *arg);

const struct ctg_frag_stats *ctg_frag_stats_get(const struct ctg_frag_table *t);

#endif /* CTG_FRAG_H_ */
