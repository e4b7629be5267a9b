/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP reassembly table: slots, index, byte arena and ageing.
 *
 * Overview
 *
 *	A table holds the datagrams one worker is reassembling, IPv4 and IPv6 together,
 *	with the semantics of Linux nf_defrag_ipv4 / nf_defrag_ipv6 (frag_reasm.c has the
 *	protocol logic, lib/frag/README.md the design and every kernel behaviour with its
 *	source). This file owns the memory: a fixed array of datagram slots, a chained hash
 *	index over them, and an arena of FRAG_PAGE_SIZE pages into which fragment payloads
 *	are copied. Each slot has a page table for its virtual datagram space (see
 *	frag_private.h), so a datagram takes only the pages its fragments touch and the
 *	arena size (conf.max_bytes) bounds the bytes held by all datagrams together.
 *
 * Life-cycle
 *
 *	ctg_frag_table_create() allocates everything: slots, page tables, fragment and run
 *	arrays, hash buckets, the arena and one output buffer for the datagram a call
 *	completes. Nothing is allocated afterwards. A slot is taken from the free list when
 *	the first fragment of a datagram arrives (frag_create), and returns to it when the
 *	datagram completes, is discarded, times out or is evicted (frag_free). A datagram
 *	expires timeout_ns after its creation, as the kernel's queue timer (never pushed
 *	back by later fragments); expired datagrams are noticed by ctg_frag_expire() and by
 *	a lookup that finds one. When every slot is in use, the oldest datagram is evicted.
 *
 * Ownership & synchronization
 *
 *	One table per worker; only that worker calls into it (insert, expire). There is no
 *	lock and no atomic. ctg_frag_stats_get() returns a pointer into the table: another
 *	core may read it for monitoring and sees possibly torn, never dangerous, values.
 *
 * Ordering rules
 *
 *	Age lists: one per family, in creation order, which is also deadline order since
 *	all datagrams of a family share a timeout. Eviction takes the older of the heads.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_frag.h"

#include "frag_private.h"

static const char *const reason_names[] = {
#define CTG_FRAG_X(n, s) [CTG_FRAG_R_##n] = s,
	CTG_FRAG_REASONS(CTG_FRAG_X)
#undef CTG_FRAG_X
};

const char *
ctg_frag_reason_str(enum ctg_frag_reason r)
{
	if ((unsigned int)r >= CTG_FRAG_R_COUNT)
		return "?";
	return reason_names[r];
}

static inline unsigned int
fam_idx(uint8_t family)
{
	return family == 6;
}

static inline uint32_t
mix32(uint32_t h, uint32_t v)
{
	v *= 0xcc9e2d51u;
	v = (v << 15) | (v >> 17);
	v *= 0x1b873593u;
	h ^= v;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

static uint32_t
key_hash(const struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user)
{
	unsigned int alen = family == 6 ? 16 : 4;
	uint32_t h = t->conf.hash_seed;

	for (unsigned int i = 0; i < alen; i += 4) {
		h = mix32(h, ctg_get_be32(saddr + i));
		h = mix32(h, ctg_get_be32(daddr + i));
	}
	h = mix32(h, id);
	h = mix32(h, user);
	h = mix32(h, ((uint32_t)family << 8) | proto);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & t->mask;
}

struct frag_queue *
frag_lookup(struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user)
{
	unsigned int alen = family == 6 ? 16 : 4;
	uint32_t i = t->buckets[key_hash(t, family, saddr, daddr, id, proto, user)];

	while (i != FRAG_NIL) {
		struct frag_queue *q = &t->queues[i];
		bool same = q->family == family && q->id == id && q->proto == proto &&
				q->user == user;

		if (same && memcmp(q->saddr, saddr, alen) == 0 &&
				memcmp(q->daddr, daddr, alen) == 0)
			return q;
		i = q->hnext;
	}
	return NULL;
}

static void
age_unlink(struct ctg_frag_table *t, struct frag_queue *q)
{
	unsigned int f = fam_idx(q->family);

	if (q->prev != FRAG_NIL)
		t->queues[q->prev].next = q->next;
	else
		t->age_head[f] = q->next;
	if (q->next != FRAG_NIL)
		t->queues[q->next].prev = q->prev;
	else
		t->age_tail[f] = q->prev;
}

void
frag_free(struct ctg_frag_table *t, struct frag_queue *q)
{
	uint32_t idx = (uint32_t)(q - t->queues);
	uint32_t *pp = &t->buckets[key_hash(t, q->family, q->saddr, q->daddr, q->id, q->proto,
			q->user)];

	while (*pp != idx)
		pp = &t->queues[*pp].hnext;
	*pp = q->hnext;
	age_unlink(t, q);
	for (unsigned int p = 0; p < FRAG_NB_VPAGES; p++) {
		if (q->pages[p] != FRAG_NIL) {
			t->page_free[t->nb_page_free++] = q->pages[p];
			q->pages[p] = FRAG_NIL;
		}
	}
	t->stats.bytes -= q->meat;
	t->stats.held -= q->nb_frags;
	t->stats.mem_bytes = (uint64_t)(t->nb_pages - t->nb_page_free) * FRAG_PAGE_SIZE;
	t->stats.queues--;
	q->family = 0;
	q->next = t->free_head;
	t->free_head = idx;
}

void
frag_kill(struct ctg_frag_table *t, struct frag_queue *q, enum ctg_frag_reason reason,
		struct ctg_frag_result *res)
{
	if (res != NULL && q->nb_frags > 0) {
		res->discard_reason = (uint8_t)reason;
		for (unsigned int i = 0; i < q->nb_frags; i++) {
			if (res->nb_discarded < CTG_FRAG_MAX_FRAGS)
				res->discarded[res->nb_discarded++] = q->frags[i].cookie;
		}
	}
	t->stats.dropped[reason] += q->nb_frags;
	t->stats.failed++;
	frag_free(t, q);
}

struct frag_queue *
frag_create(struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user, uint64_t now_ns,
		struct ctg_frag_result *res)
{
	unsigned int alen = family == 6 ? 16 : 4;
	unsigned int f = fam_idx(family);
	struct frag_queue *q;
	uint64_t timeout;
	uint32_t idx, h;

	if (t->free_head == FRAG_NIL) {
		/* Every slot is in use: evict the oldest datagram. */
		uint32_t a = t->age_head[0], b = t->age_head[1], victim;

		if (a == FRAG_NIL)
			victim = b;
		else if (b == FRAG_NIL)
			victim = a;
		else
			victim = t->queues[b].created_ns < t->queues[a].created_ns ? b : a;
		t->stats.evicted++;
		frag_kill(t, &t->queues[victim], CTG_FRAG_R_NO_QUEUE, res);
	}
	idx = t->free_head;
	q = &t->queues[idx];
	t->free_head = q->next;

	memset(q->saddr, 0, sizeof(q->saddr));
	memset(q->daddr, 0, sizeof(q->daddr));
	memcpy(q->saddr, saddr, alen);
	memcpy(q->daddr, daddr, alen);
	q->id = id;
	q->user = user;
	q->family = family;
	q->proto = proto;
	q->flags = 0;
	q->ecn = 0;
	q->doomed = 0;
	q->nb_frags = 0;
	q->nb_runs = 0;
	q->tail_run = 0;
	q->hdr_len = 0;
	q->len = 0;
	q->meat = 0;
	q->max_size = 0;
	q->max_df_size = 0;
	q->created_ns = now_ns;
	timeout = family == 6 ? t->conf.timeout_ns_v6 : t->conf.timeout_ns_v4;
	q->deadline_ns = now_ns + timeout < now_ns ? UINT64_MAX : now_ns + timeout;

	h = key_hash(t, family, q->saddr, q->daddr, id, proto, user);
	q->hnext = t->buckets[h];
	t->buckets[h] = idx;

	q->next = FRAG_NIL;
	q->prev = t->age_tail[f];
	if (q->prev != FRAG_NIL)
		t->queues[q->prev].next = idx;
	else
		t->age_head[f] = idx;
	t->age_tail[f] = idx;
	t->stats.queues++;
	return q;
}

uint32_t
frag_pages_needed(const struct frag_queue *q, uint32_t vpos, uint32_t n)
{
	uint32_t need = 0;

	if (n == 0)
		return 0;
	for (uint32_t p = vpos >> FRAG_PAGE_SHIFT; p <= (vpos + n - 1) >> FRAG_PAGE_SHIFT; p++)
		need += q->pages[p] == FRAG_NIL;
	return need;
}

void
frag_vwrite(struct ctg_frag_table *t, struct frag_queue *q, uint32_t vpos, const uint8_t *src,
		uint32_t n)
{
	while (n > 0) {
		uint32_t p = vpos >> FRAG_PAGE_SHIFT;
		uint32_t in = vpos & (FRAG_PAGE_SIZE - 1);
		uint32_t chunk = CTG_MIN(n, FRAG_PAGE_SIZE - in);

		if (q->pages[p] == FRAG_NIL) {
			/* The caller checked frag_pages_needed() against the free pages. */
			q->pages[p] = t->page_free[--t->nb_page_free];
		}
		memcpy(t->arena + (size_t)q->pages[p] * FRAG_PAGE_SIZE + in, src, chunk);
		vpos += chunk;
		src += chunk;
		n -= chunk;
	}
	t->stats.mem_bytes = (uint64_t)(t->nb_pages - t->nb_page_free) * FRAG_PAGE_SIZE;
}

void
frag_vread(const struct ctg_frag_table *t, const struct frag_queue *q, uint32_t vpos,
		uint8_t *dst, uint32_t n)
{
	while (n > 0) {
		uint32_t p = vpos >> FRAG_PAGE_SHIFT;
		uint32_t in = vpos & (FRAG_PAGE_SIZE - 1);
		uint32_t chunk = CTG_MIN(n, FRAG_PAGE_SIZE - in);

		/* A complete queue has every byte mapped; zeros keep a bug harmless. */
		if (q->pages[p] == FRAG_NIL)
			memset(dst, 0, chunk);
		else
			memcpy(dst, t->arena + (size_t)q->pages[p] * FRAG_PAGE_SIZE + in, chunk);
		vpos += chunk;
		dst += chunk;
		n -= chunk;
	}
}

struct ctg_frag_table *
ctg_frag_table_create(const struct ctg_frag_conf *conf)
{
	struct ctg_frag_table *t;
	uint32_t nb_buckets = 1;
	uint64_t nb_pages;

	if (conf == NULL || conf->max_datagrams == 0 || conf->max_datagrams > (1u << 24) ||
			conf->max_frags == 0 || conf->max_frags > CTG_FRAG_MAX_FRAGS) {
		errno = EINVAL;
		return NULL;
	}
	nb_pages = conf->max_bytes / FRAG_PAGE_SIZE;
	if (nb_pages >= FRAG_NIL) {
		errno = EINVAL;
		return NULL;
	}
	while (nb_buckets < conf->max_datagrams * 2)
		nb_buckets <<= 1;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->conf = *conf;
	t->mask = nb_buckets - 1;
	t->nb_pages = (uint32_t)nb_pages;
	t->buckets = malloc(sizeof(*t->buckets) * nb_buckets);
	t->queues = calloc(conf->max_datagrams, sizeof(*t->queues));
	t->page_mem = malloc(sizeof(*t->page_mem) * FRAG_NB_VPAGES * conf->max_datagrams);
	t->ent_mem = calloc((size_t)conf->max_datagrams * conf->max_frags, sizeof(*t->ent_mem));
	t->run_mem = calloc((size_t)conf->max_datagrams * conf->max_frags, sizeof(*t->run_mem));
	t->arena = malloc(nb_pages > 0 ? nb_pages * FRAG_PAGE_SIZE : 1);
	t->page_free = malloc(sizeof(*t->page_free) * (nb_pages > 0 ? nb_pages : 1));
	t->out = malloc(CTG_FRAG_DGRAM_MAX);
	if (t->buckets == NULL || t->queues == NULL || t->page_mem == NULL ||
			t->ent_mem == NULL || t->run_mem == NULL || t->arena == NULL ||
			t->page_free == NULL || t->out == NULL)
		goto fail_table;

	for (uint32_t i = 0; i < nb_buckets; i++)
		t->buckets[i] = FRAG_NIL;
	for (uint32_t i = 0; i < conf->max_datagrams; i++) {
		struct frag_queue *q = &t->queues[i];

		q->pages = &t->page_mem[(size_t)i * FRAG_NB_VPAGES];
		for (unsigned int p = 0; p < FRAG_NB_VPAGES; p++)
			q->pages[p] = FRAG_NIL;
		q->frags = &t->ent_mem[(size_t)i * conf->max_frags];
		q->runs = &t->run_mem[(size_t)i * conf->max_frags];
		q->next = i + 1 < conf->max_datagrams ? i + 1 : FRAG_NIL;
	}
	t->free_head = 0;
	for (uint32_t p = 0; p < nb_pages; p++)
		t->page_free[p] = (uint32_t)(nb_pages - 1 - p);
	t->nb_page_free = (uint32_t)nb_pages;
	t->age_head[0] = t->age_head[1] = FRAG_NIL;
	t->age_tail[0] = t->age_tail[1] = FRAG_NIL;
	t->stats.mem_limit = nb_pages * FRAG_PAGE_SIZE;
	return t;

fail_table:
	ctg_frag_table_destroy(t);
fail:
	errno = ENOMEM;
	return NULL;
}

void
ctg_frag_table_destroy(struct ctg_frag_table *t)
{
	if (t == NULL)
		return;
	free(t->out);
	free(t->page_free);
	free(t->arena);
	free(t->run_mem);
	free(t->ent_mem);
	free(t->page_mem);
	free(t->queues);
	free(t->buckets);
	free(t);
}

static void
result_init(struct ctg_frag_result *res)
{
	res->status = CTG_FRAG_DROP;
	res->reason = CTG_FRAG_R_NONE;
	res->discard_reason = CTG_FRAG_R_NONE;
	res->nb_cookies = 0;
	res->nb_discarded = 0;
	res->max_frag_len = 0;
	res->duplicate_of = 0;
	res->dgram = NULL;
	res->dgram_len = 0;
}

void
ctg_frag_insert_user(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res)
{
	result_init(res);
	t->stats.fragments++;
	if (pkt->family == 4) {
		frag_insert_v4(t, pkt, user, cookie, now_ns, res);
	} else if (pkt->family == 6) {
		frag_insert_v6(t, pkt, user, cookie, now_ns, res);
	} else {
		res->reason = CTG_FRAG_R_MALFORMED;
		t->stats.dropped[CTG_FRAG_R_MALFORMED]++;
	}
}

void
ctg_frag_insert(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint64_t cookie,
		uint64_t now_ns, struct ctg_frag_result *res)
{
	ctg_frag_insert_user(t, pkt, 0, cookie, now_ns, res);
}

uint32_t
ctg_frag_expire(struct ctg_frag_table *t, uint64_t now_ns, uint32_t budget,
		ctg_frag_release_fn *fn, void *arg)
{
	uint32_t done = 0;

	while (done < budget) {
		uint32_t a = t->age_head[0], b = t->age_head[1], idx;
		struct frag_queue *q;

		/* Of the two heads, the one that expires first. */
		if (a == FRAG_NIL)
			idx = b;
		else if (b == FRAG_NIL)
			idx = a;
		else
			idx = t->queues[b].deadline_ns < t->queues[a].deadline_ns ? b : a;
		if (idx == FRAG_NIL || t->queues[idx].deadline_ns > now_ns)
			break;
		q = &t->queues[idx];
		if (fn != NULL) {
			for (unsigned int i = 0; i < q->nb_frags; i++)
				fn(q->frags[i].cookie, CTG_FRAG_R_TIMEOUT, arg);
		}
		t->stats.timeouts++;
		frag_kill(t, q, CTG_FRAG_R_TIMEOUT, NULL);
		done++;
	}
	return done;
}

const struct ctg_frag_stats *
ctg_frag_stats_get(const struct ctg_frag_table *t)
{
	return &t->stats;
}
