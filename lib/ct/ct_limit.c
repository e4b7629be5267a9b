/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	ctgate's connection limits, which the kernel's conntrack does not have on its own
 *	(they are iptables matches there: -m connlimit, or nft ct count): connections per
 *	zone, connections per source prefix (connlimit --connlimit-mask), and half-open
 *	TCP connections (SYN_SENT, SYN_SENT2, SYN_RECV) per shard. Every limit is a
 *	tunable of the ct param table, 0 (unlimited) by default, so that default settings
 *	keep nf_conntrack's semantics exactly; nothing here runs while all are 0 but one
 *	test of the tunables per new connection.
 *
 *	A NEW packet over a limit is dropped like a table-full drop (INVALID with
 *	CTG_CT_RES_DROP) with its own reason (LIMIT_ZONE, LIMIT_SOURCE, LIMIT_EMBRYONIC)
 *	and counter (stats.limit_*). Nothing is evicted to make room: the connections
 *	already counted keep flowing.
 *
 * Counting
 *	A connection is counted when it is confirmed, by each limit that is on at that
 *	moment, and marks that with an internal status bit (CT_S_LIM_*), so that it is
 *	uncounted exactly once: when it leaves the table (ctg_ct_delete: expiry, early drop,
 *	RST, flush) or, for the half-open count, when its TCP state leaves the handshake.
 *	A limit turned on at run time therefore counts the connections created from then on.
 *
 * Memory (bounded, allocated once per shard)
 *	- per zone: one 32-bit counter per zone id (65536 x 4 = 256 KiB, touched lazily);
 *	- per source: a fixed table of CT_LIMIT_SRC_SLOTS entries { prefix, zone, count }
 *	  in buckets of CT_LIMIT_SRC_WAYS (one keyed hash, seeded from the shard's secret
 *	  seed so that an attacker cannot aim at one bucket). An entry with count 0 is free.
 *	  Eviction policy: when a new source finds its bucket full, the entry with the
 *	  smallest count is replaced (stats.limit_source_evict). The replaced source's
 *	  connections are then no longer counted (their release finds no entry), so it
 *	  fails open, and only for the lightest source of the bucket: heavy sources, the
 *	  ones a per-source limit is for, keep their counts. A source that comes back after
 *	  eviction starts from 0 (undercounted, never overcounted: a legitimate source is
 *	  never refused because of someone else). Changing the prefix lengths restarts the
 *	  per-source counts the same way.
 *
 * Ownership & synchronization
 *	Owner worker only, like the rest of the shard.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CT_CORE
#include "ct_private.h"

#define CT_LIMIT_ZONES	   65536
#define CT_LIMIT_SRC_WAYS  8
#define CT_LIMIT_SRC_SLOTS 16384 /* per shard: 384 KiB */

struct ct_limit_src {
	union ctg_addr prefix; /**< source address masked to the prefix length */
	uint16_t zone;
	uint8_t family;
	uint8_t plen;
	uint32_t count; /**< counted connections; 0: the entry is free */
};

struct ct_limit {
	uint32_t zone_count[CT_LIMIT_ZONES];
	struct ct_limit_src src[CT_LIMIT_SRC_SLOTS];
	uint8_t plen4; /**< prefix lengths the source table was filled with */
	uint8_t plen6;
};

_Static_assert(CT_LIMIT_SRC_SLOTS % CT_LIMIT_SRC_WAYS == 0, "whole buckets");

struct ct_limit *
ct_limit_create(void)
{
	struct ct_limit *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	l->plen4 = 32;
	l->plen6 = 128;
	return l;
}

void
ct_limit_destroy(struct ct_limit *l)
{
	free(l);
}

static bool
tcp_half_open(const struct ctg_ct_conn *c)
{
	if (c->orig.proto != 6)
		return false;
	return c->l4.tcp.state == CTG_CT_TCP_SYN_SENT || c->l4.tcp.state == CTG_CT_TCP_SYN_RECV ||
			c->l4.tcp.state == CTG_CT_TCP_SYN_SENT2;
}

/* The source key of a connection under the current prefix lengths. */
static void
src_key(const struct ct_limit *l, const struct ctg_ct_conn *c, struct ct_limit_src *k)
{
	unsigned int plen = c->orig.family == 4 ? l->plen4 : l->plen6;

	memset(k, 0, sizeof(*k));
	k->family = c->orig.family;
	k->zone = c->orig.zone;
	k->plen = (uint8_t)plen;
	for (unsigned int i = 0; i < 16 && plen > 0; i++) {
		unsigned int bits = plen >= 8 ? 8 : plen;

		k->prefix.b[i] = (uint8_t)(c->orig.src.b[i] & (uint8_t)(0xff00u >> bits));
		plen -= bits;
	}
}

static bool
src_eq(const struct ct_limit_src *a, const struct ct_limit_src *b)
{
	return a->family == b->family && a->zone == b->zone && a->plen == b->plen &&
			a->prefix.q[0] == b->prefix.q[0] && a->prefix.q[1] == b->prefix.q[1];
}

static struct ct_limit_src *
src_bucket(const struct ctg_ct_shard *s, const struct ct_limit_src *k)
{
	struct ctg_ct_tuple t;
	uint32_t h, b;

	memset(&t, 0, sizeof(t));
	t.src = k->prefix;
	t.family = k->family;
	t.zone = k->zone;
	t.proto = k->plen;
	/* A different key from the index's (the seed is the shard's secret one). */
	h = ctg_ct_tuple_hash(&t, s->seed ^ 0x6c696d6974736563ULL);
	b = (uint32_t)(((uint64_t)h * (CT_LIMIT_SRC_SLOTS / CT_LIMIT_SRC_WAYS)) >> 32);
	return &s->limit->src[b * CT_LIMIT_SRC_WAYS];
}

/* The entry of @p k, or NULL. */
static struct ct_limit_src *
src_find(const struct ctg_ct_shard *s, const struct ct_limit_src *k)
{
	struct ct_limit_src *bk = src_bucket(s, k);

	for (unsigned int i = 0; i < CT_LIMIT_SRC_WAYS; i++)
		if (bk[i].count != 0 && src_eq(&bk[i], k))
			return &bk[i];
	return NULL;
}

/* Prefix lengths changed: forget every per-source count (see the header comment). */
static void
src_sync_prefix(struct ctg_ct_shard *s)
{
	const struct ctg_ct_params *p = s->params;
	struct ct_limit *l = s->limit;

	if (l->plen4 == p->limit_source_prefix4 && l->plen6 == p->limit_source_prefix6)
		return;
	memset(l->src, 0, sizeof(l->src));
	l->plen4 = (uint8_t)(p->limit_source_prefix4 ? p->limit_source_prefix4 : 32);
	l->plen6 = (uint8_t)(p->limit_source_prefix6 ? p->limit_source_prefix6 : 128);
}

uint8_t
ct_limit_admit(struct ctg_ct_shard *s, const struct ctg_ct_conn *c)
{
	const struct ctg_ct_params *p = s->params;
	struct ct_limit *l = s->limit;

	if (l == NULL)
		return CTG_CT_R_NONE;
	if (p->limit_per_zone != 0 && l->zone_count[c->orig.zone] >= p->limit_per_zone) {
		s->stats.limit_zone++;
		return CTG_CT_R_LIMIT_ZONE;
	}
	if (p->limit_embryonic != 0 && tcp_half_open(c) &&
			s->stats.embryonic >= p->limit_embryonic) {
		s->stats.limit_embryonic++;
		return CTG_CT_R_LIMIT_EMBRYONIC;
	}
	if (p->limit_per_source != 0) {
		struct ct_limit_src k;
		const struct ct_limit_src *e;

		src_sync_prefix(s);
		src_key(l, c, &k);
		e = src_find(s, &k);
		if (e != NULL && e->count >= p->limit_per_source) {
			s->stats.limit_source++;
			return CTG_CT_R_LIMIT_SOURCE;
		}
	}
	return CTG_CT_R_NONE;
}

void
ct_limit_confirm(struct ctg_ct_shard *s, struct ctg_ct_conn *c)
{
	const struct ctg_ct_params *p = s->params;
	struct ct_limit *l = s->limit;

	if (l == NULL)
		return;
	if (p->limit_per_zone != 0) {
		l->zone_count[c->orig.zone]++;
		c->status |= CT_S_LIM_ZONE;
	}
	if (p->limit_embryonic != 0 && tcp_half_open(c)) {
		s->stats.embryonic++;
		c->status |= CT_S_LIM_EMB;
	}
	if (p->limit_per_source != 0) {
		struct ct_limit_src k, *e, *bk, *victim = NULL;

		src_sync_prefix(s);
		src_key(l, c, &k);
		e = src_find(s, &k);
		if (e == NULL) {
			bk = src_bucket(s, &k);
			for (unsigned int i = 0; i < CT_LIMIT_SRC_WAYS; i++) {
				if (bk[i].count == 0) {
					victim = &bk[i];
					break;
				}
				if (victim == NULL || bk[i].count < victim->count)
					victim = &bk[i];
			}
			if (victim->count != 0)
				s->stats.limit_source_evict++;
			*victim = k;
			victim->count = 0;
			e = victim;
		}
		e->count++;
		c->status |= CT_S_LIM_SRC;
	}
}

void
ct_limit_update(struct ctg_ct_shard *s, struct ctg_ct_conn *c)
{
	if ((c->status & CT_S_LIM_EMB) && !tcp_half_open(c)) {
		c->status &= ~CT_S_LIM_EMB;
		if (s->stats.embryonic > 0)
			s->stats.embryonic--;
	}
}

void
ct_limit_release(struct ctg_ct_shard *s, struct ctg_ct_conn *c)
{
	struct ct_limit *l = s->limit;

	if (l == NULL)
		return;
	if ((c->status & CT_S_LIM_ZONE) && l->zone_count[c->orig.zone] > 0)
		l->zone_count[c->orig.zone]--;
	if ((c->status & CT_S_LIM_EMB) && s->stats.embryonic > 0)
		s->stats.embryonic--;
	if (c->status & CT_S_LIM_SRC) {
		struct ct_limit_src k, *e;

		src_key(l, c, &k);
		e = src_find(s, &k);
		if (e != NULL)
			e->count--; /* count 0 frees the entry */
	}
	c->status &= ~CT_S_LIM_ANY;
}

void
ctg_ct_index_probe_stats(const struct ctg_ct_shard *s, struct ctg_ct_probe_stats *ps)
{
	uint32_t run = 0;

	memset(ps, 0, sizeof(*ps));
	ps->nb_buckets = s->nb_buckets;
	for (uint32_t b = 0; b < s->nb_buckets; b++) {
		const struct ct_bucket *bk = &s->index[b];
		unsigned int used = 0;

		for (unsigned int k = 0; k < CT_BUCKET_SLOTS; k++) {
			uint32_t home, dist;

			if (bk->idx1[k] == 0)
				continue;
			used++;
			home = ct_home_bucket(s, s->pool[bk->idx1[k] - 1].hash);
			dist = b >= home ? b - home : b + s->nb_buckets - home;
			ps->entries++;
			ps->sum_dist += dist;
			ps->dist[dist < CTG_CT_PROBE_HIST ? dist : CTG_CT_PROBE_HIST - 1]++;
			if (dist > ps->max_dist)
				ps->max_dist = dist;
		}
		ps->occupancy[used]++;
		run = bk->ovf != 0 ? run + 1 : 0;
		if (run > ps->max_chain)
			ps->max_chain = run;
	}
}
