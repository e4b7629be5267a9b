/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_FRAG_PRIVATE_H_
#define CTG_FRAG_PRIVATE_H_

#ifndef CTG_FRAG_INTERNAL
#error "frag_private.h is internal to lib/frag"
#endif

/*
 * Internal layout of a reassembly table, shared by frag_table.c (slots, index, pages,
 * ageing) and frag_reasm.c (the nf_defrag_ipv4 / nf_defrag_ipv6 logic).
 */

#include <stdint.h>

#include "ctg_frag.h"

/*
 * Each datagram owns a virtual byte space of FRAG_VSPACE bytes, mapped page by page onto
 * the table's arena: the unfragmentable part of the first fragment ends at FRAG_PAYLOAD
 * and the fragment payload at byte offset o lives at FRAG_PAYLOAD + o. Since a queue never
 * holds overlapping fragments, every byte is written at most once and the datagram is one
 * contiguous virtual range [FRAG_PAYLOAD - hdr_len, FRAG_PAYLOAD + len) once complete.
 */
#define FRAG_PAGE_SHIFT 9
#define FRAG_PAGE_SIZE	(1u << FRAG_PAGE_SHIFT)
#define FRAG_PAYLOAD	CTG_FRAG_HDR_MAX
#define FRAG_PAYLOAD_MAX 65536u
#define FRAG_VSPACE	(FRAG_PAYLOAD + FRAG_PAYLOAD_MAX)
#define FRAG_NB_VPAGES	(FRAG_VSPACE >> FRAG_PAGE_SHIFT)
#define FRAG_NIL	UINT32_MAX

_Static_assert(CTG_FRAG_HDR_MAX % FRAG_PAGE_SIZE == 0, "header area must be whole pages");

/* Queue flags, as the kernel's INET_FRAG_FIRST_IN / INET_FRAG_LAST_IN. */
#define FRAG_FIRST_IN 0x1
#define FRAG_LAST_IN  0x2

/* One queued fragment, in arrival order. */
struct frag_ent {
	uint64_t cookie; /* caller's name for it */
	uint32_t offset; /* first payload byte */
	uint32_t end;	 /* one past the last payload byte kept */
};

/*
 * A run: fragments that were appended one after the other at the tail of the queue
 * (inet_frag_queue_insert's "runs"). A fragment contained in one run is a duplicate,
 * one that straddles runs or extends one from inside is an overlap.
 */
struct frag_run {
	uint32_t start;
	uint32_t end;
};

/* One datagram being reassembled (the kernel's struct ipq / frag_queue). */
struct frag_queue {
	/* Key. */
	uint8_t saddr[16];  /* IPv4: first 4 bytes, the rest zero */
	uint8_t daddr[16];
	uint32_t id;	    /* IPv4 identification or IPv6 fragment identification */
	uint32_t user;	    /* zone / defrag user */
	uint8_t family;	    /* 4 or 6; 0 when the slot is free */
	uint8_t proto;	    /* IPv4 protocol; 0 for IPv6 */
	/* Reassembly state, as inet_frag_queue. */
	uint8_t flags;	    /* FRAG_FIRST_IN | FRAG_LAST_IN */
	uint8_t ecn;	    /* OR of 1 << ECN codepoint of the queued fragments */
	uint8_t doomed;	    /* payload beyond FRAG_PAYLOAD_MAX was not stored */
	uint16_t nb_frags;  /* entries used in frags */
	uint16_t nb_runs;   /* entries used in runs */
	uint16_t tail_run;  /* run holding the fragment with the highest end */
	uint16_t hdr_len;   /* unfragmentable part stored (first fragment) */
	uint32_t len;	    /* datagram payload length known so far (q.len) */
	uint32_t meat;	    /* payload bytes queued (q.meat) */
	uint32_t max_size;  /* IPv4: largest ihl + kept payload; IPv6: largest payload_len */
	uint32_t max_df_size; /* IPv4: same, over fragments with DF */
	uint64_t created_ns;  /* creation time */
	uint64_t deadline_ns; /* expires at */
	/* Links. */
	uint32_t hnext;	    /* next slot in the hash chain */
	uint32_t prev;	    /* age list (creation order) of its family, or free list */
	uint32_t next;
	uint32_t *pages;    /* FRAG_NB_VPAGES arena page numbers, FRAG_NIL if unmapped */
	struct frag_ent *frags; /* conf.max_frags entries */
	struct frag_run *runs;	/* conf.max_frags entries */
};

/* The table: everything allocated at creation, nothing on the per-packet path. */
struct ctg_frag_table {
	/* Immutable after creation. */
	struct ctg_frag_conf conf;
	uint32_t mask;		  /* hash buckets - 1 */
	uint32_t nb_pages;	  /* arena pages */
	uint32_t *buckets;	  /* heads of hash chains */
	struct frag_queue *queues; /* conf.max_datagrams slots */
	uint32_t *page_mem;	  /* page tables of all slots */
	struct frag_ent *ent_mem;
	struct frag_run *run_mem;
	uint8_t *arena;		  /* nb_pages * FRAG_PAGE_SIZE bytes */
	uint8_t *out;		  /* CTG_FRAG_DGRAM_MAX bytes: the last datagram completed */
	/* Owner worker only. */
	uint32_t *page_free;	  /* stack of free arena pages */
	uint32_t nb_page_free;
	uint32_t free_head;	  /* free slots, linked by next */
	uint32_t age_head[2];	  /* [0] IPv4, [1] IPv6: oldest first */
	uint32_t age_tail[2];
	struct ctg_frag_stats stats;
};

/* frag_table.c */
struct frag_queue *frag_lookup(struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user);
struct frag_queue *frag_create(struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user, uint64_t now_ns,
		struct ctg_frag_result *res);
void frag_kill(struct ctg_frag_table *t, struct frag_queue *q, enum ctg_frag_reason reason,
		struct ctg_frag_result *res);
void frag_free(struct ctg_frag_table *t, struct frag_queue *q);
uint32_t frag_pages_needed(const struct frag_queue *q, uint32_t vpos, uint32_t n);
void frag_vwrite(struct ctg_frag_table *t, struct frag_queue *q, uint32_t vpos,
		const uint8_t *src, uint32_t n);
void frag_vread(const struct ctg_frag_table *t, const struct frag_queue *q, uint32_t vpos,
		uint8_t *dst, uint32_t n);

/* frag_reasm.c */
void frag_insert_v4(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res);
void frag_insert_v6(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res);

#endif /* CTG_FRAG_PRIVATE_H_ */
