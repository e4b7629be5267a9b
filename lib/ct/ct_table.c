/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The connection table of one shard: a pool of fixed-size struct ctg_ct_conn
 *	entries and an open-addressing index with one slot per connection, keyed by the
 *	connection's canonical tuple (the same for both directions; see
 *	ct_tuple_normalise()). The kernel hashes every connection twice (original and
 *	reply tuple); without NAT the reply tuple is always the inverse of the original,
 *	so one direction-independent key finds a connection from either side at half the
 *	index memory. The hash is keyed with a per-shard random seed, so crafted tuples
 *	cannot aim at one probe sequence (the kernel uses siphash for the same reason).
 *
 * Life-cycle
 *	ct_conn_alloc() takes an entry from the free stack for a NEW packet; it is not in
 *	the index (unconfirmed) until ctg_ct_confirm() inserts it, or ctg_ct_abort()
 *	returns it (confirm on accept). Entries leave through ctg_ct_delete(), a lookup
 *	that finds them expired, or the incremental ctg_ct_expire() scan.
 *
 * Ownership & synchronization
 *	One writer: the owner worker. Nothing here is thread-safe; other cores read
 *	through requests to the owner (see app/ctgate/README.md).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CT_CORE
#include "ct_private.h"

static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t
ctg_ct_tuple_hash(const struct ctg_ct_tuple *n, uint64_t seed)
{
	uint64_t w[5], s = seed, k[4];
	uint64_t h;

	memcpy(w, n, sizeof(w));
	for (int i = 0; i < 4; i++)
		k[i] = splitmix64(&s);
	h = mum(w[0] ^ k[0], w[1] ^ k[1]) ^ mum(w[2] ^ k[2], w[3] ^ k[3]);
	h = mum(h ^ w[4], k[0] ^ k[3]);
	return (uint32_t)(h ^ (h >> 32));
}

/* ICMP query types and their answers (icmp_invert_tuple's invmap). */
static int
icmp_inverse(uint8_t family, uint8_t type)
{
	if (family == 4) {
		switch (type) {
		case 8: return 0;
		case 0: return 8;
		case 13: return 14;
		case 14: return 13;
		case 15: return 16;
		case 16: return 15;
		case 17: return 18;
		case 18: return 17;
		default: return -1;
		}
	}
	switch (type) {
	case 128: return 129;
	case 129: return 128;
	case 139: return 140;
	case 140: return 139;
	default: return -1;
	}
}

static bool
icmp_is_reply(uint8_t family, uint8_t type)
{
	if (family == 4)
		return type == 0 || type == 14 || type == 16 || type == 18;
	return type == 129 || type == 140;
}

static bool
is_icmp(const struct ctg_ct_tuple *t)
{
	return (t->family == 4 && t->proto == 1) || (t->family == 6 && t->proto == 58);
}

bool
ctg_ct_tuple_invert(const struct ctg_ct_tuple *t, struct ctg_ct_tuple *inv)
{
	*inv = *t;
	inv->src = t->dst;
	inv->dst = t->src;
	if (is_icmp(t)) {
		int it = icmp_inverse(t->family, (uint8_t)(t->dport >> 8));

		if (it < 0)
			return false;
		inv->dport = (uint16_t)((it << 8) | (t->dport & 0xff));
	} else {
		inv->sport = t->dport;
		inv->dport = t->sport;
	}
	return true;
}

void
ct_tuple_normalise(const struct ctg_ct_tuple *t, struct ctg_ct_tuple *n)
{
	if (is_icmp(t)) {
		if (icmp_is_reply(t->family, (uint8_t)(t->dport >> 8)))
			ctg_ct_tuple_invert(t, n);
		else
			*n = *t;
		return;
	}
	int c = memcmp(&t->src, &t->dst, sizeof(t->src));

	if (c > 0 || (c == 0 && t->sport > t->dport)) {
		*n = *t;
		n->src = t->dst;
		n->dst = t->src;
		n->sport = t->dport;
		n->dport = t->sport;
	} else {
		*n = *t;
	}
}

uint32_t
ctg_ct_flow_hash(const struct ctg_ct_tuple *t, uint64_t seed)
{
	struct ctg_ct_tuple n;

	ct_tuple_normalise(t, &n);
	return ctg_ct_tuple_hash(&n, seed);
}

bool
ct_tuple_eq(const struct ctg_ct_tuple *a, const struct ctg_ct_tuple *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void
ctg_ct_conn_reply_tuple(const struct ctg_ct_conn *c, struct ctg_ct_tuple *reply)
{
	if (!ctg_ct_tuple_invert(&c->orig, reply))
		*reply = c->orig;
}

static uint32_t
roundup_pow2(uint64_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

struct ctg_ct_shard *
ctg_ct_shard_create(const struct ctg_ct_conf *conf, const struct ctg_ct_params *params)
{
	struct ctg_ct_shard *s;
	uint32_t slots;

	if (conf->capacity == 0 || conf->capacity > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	slots = roundup_pow2((uint64_t)conf->capacity * 2);
	s->capacity = conf->capacity;
	s->index_mask = slots - 1;
	s->pool = calloc(conf->capacity, sizeof(*s->pool));
	s->index = calloc(slots, sizeof(*s->index));
	s->free_stack = malloc(sizeof(uint32_t) * conf->capacity);
	if (s->pool == NULL || s->index == NULL || s->free_stack == NULL) {
		ctg_ct_shard_destroy(s);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < conf->capacity; i++)
		s->free_stack[i] = conf->capacity - 1 - i;
	s->nb_free = conf->capacity;
	s->seed = conf->seed;
	s->next_id = conf->id_base ? conf->id_base : 1;
	s->id_stride = conf->id_stride ? conf->id_stride : 1;
	s->params = params;
	s->pending = CTG_CT_NO_CONN;
	return s;
}

void
ctg_ct_shard_destroy(struct ctg_ct_shard *s)
{
	if (s == NULL)
		return;
	free(s->pool);
	free(s->index);
	free(s->free_stack);
	free(s);
}

void
ctg_ct_shard_set_params(struct ctg_ct_shard *s, const struct ctg_ct_params *params)
{
	s->params = params;
}

void
ctg_ct_shard_set_event_cb(struct ctg_ct_shard *s, ctg_ct_event_fn *fn, void *arg)
{
	s->event_fn = fn;
	s->event_arg = arg;
}

uint32_t
ct_conn_alloc(struct ctg_ct_shard *s, const struct ctg_ct_tuple *orig, uint64_t now_ns)
{
	struct ctg_ct_conn *c;
	uint32_t idx;

	if (s->nb_free == 0)
		return CTG_CT_NO_CONN;
	idx = s->free_stack[--s->nb_free];
	c = &s->pool[idx];
	memset(c, 0, sizeof(*c));
	c->orig = *orig;
	c->start_ns = now_ns;
	c->id = s->next_id;
	s->next_id += s->id_stride;
	c->in_use = 1;
	return idx;
}

void
ct_conn_free(struct ctg_ct_shard *s, uint32_t idx)
{
	s->pool[idx].in_use = 0;
	s->free_stack[s->nb_free++] = idx;
}

static uint32_t
conn_hash(const struct ctg_ct_shard *s, const struct ctg_ct_conn *c)
{
	struct ctg_ct_tuple n;

	ct_tuple_normalise(&c->orig, &n);
	return ctg_ct_tuple_hash(&n, s->seed);
}

int
ct_index_insert(struct ctg_ct_shard *s, uint32_t idx)
{
	uint32_t h = conn_hash(s, &s->pool[idx]);
	uint32_t i = h & s->index_mask;

	/* Load stays <= 1/2 (slots >= 2 x capacity), so a free slot always exists. */
	while (s->index[i].idx1 != 0)
		i = (i + 1) & s->index_mask;
	s->index[i].hash = h;
	s->index[i].idx1 = idx + 1;
	return 0;
}

void
ct_index_remove(struct ctg_ct_shard *s, uint32_t idx)
{
	uint32_t h = conn_hash(s, &s->pool[idx]);
	uint32_t i = h & s->index_mask;
	uint32_t j;

	while (s->index[i].idx1 != idx + 1) {
		if (s->index[i].idx1 == 0)
			return; /* not indexed */
		i = (i + 1) & s->index_mask;
	}
	/* Backward-shift deletion keeps every probe sequence unbroken without tombstones. */
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & s->index_mask;
		if (s->index[j].idx1 == 0)
			break;
		home = s->index[j].hash & s->index_mask;
		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if (((j - home) & s->index_mask) >= ((j - i) & s->index_mask)) {
			s->index[i] = s->index[j];
			i = j;
		}
	}
	s->index[i].idx1 = 0;
	s->index[i].hash = 0;
}

void
ctg_ct_delete(struct ctg_ct_shard *s, uint32_t idx)
{
	if (idx >= s->capacity || !s->pool[idx].in_use)
		return;
	if (s->pool[idx].helper != CTG_CT_HELPER_NONE && s->nb_expect > 0)
		ct_expect_remove_master(s, idx);
	if (s->pool[idx].status & CTG_CT_S_CONFIRMED) {
		if (s->event_fn != NULL)
			s->event_fn(&s->pool[idx], CTG_CT_EV_DESTROY, s->now_ns, s->event_arg);
		ct_index_remove(s, idx);
		s->stats.count--;
	}
	ct_conn_free(s, idx);
}

static uint32_t
index_find(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		enum ctg_ct_dir *dir, bool reap)
{
	struct ctg_ct_tuple n, reply;
	uint32_t h, i;

	ct_tuple_normalise(t, &n);
	h = ctg_ct_tuple_hash(&n, s->seed);
	for (i = h & s->index_mask; s->index[i].idx1 != 0; i = (i + 1) & s->index_mask) {
		uint32_t idx = s->index[i].idx1 - 1;
		struct ctg_ct_conn *c;
		enum ctg_ct_dir d;

		if (s->index[i].hash != h)
			continue;
		c = &s->pool[idx];
		if (ct_tuple_eq(t, &c->orig)) {
			d = CTG_CT_DIR_ORIG;
		} else {
			ctg_ct_conn_reply_tuple(c, &reply);
			if (!ct_tuple_eq(t, &reply))
				continue;
			d = CTG_CT_DIR_REPLY;
		}
		if ((int64_t)(c->expires_ns - now_ns) <= 0) {
			if (reap) {
				ctg_ct_delete(s, idx);
				s->stats.expired++;
			}
			return CTG_CT_NO_CONN;
		}
		if (dir != NULL)
			*dir = d;
		return idx;
	}
	return CTG_CT_NO_CONN;
}

uint32_t
ctg_ct_lookup(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		enum ctg_ct_dir *dir)
{
	return index_find((struct ctg_ct_shard *)(uintptr_t)s, t, now_ns, dir, false);
}

uint32_t
ct_lookup_reap(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		enum ctg_ct_dir *dir)
{
	return index_find(s, t, now_ns, dir, true);
}

/*
 * Table full: like the kernel's early_drop(), look at the neighbourhood of the new
 * tuple's hash (here 64 index slots) and evict one connection that is not ASSURED.
 */
bool
ct_early_drop(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns)
{
	struct ctg_ct_tuple n;
	uint32_t i;

	ct_tuple_normalise(t, &n);
	i = ctg_ct_tuple_hash(&n, s->seed) & s->index_mask;
	for (uint32_t k = 0; k < 64; k++, i = (i + 1) & s->index_mask) {
		struct ctg_ct_conn *c;
		uint32_t idx;

		if (s->index[i].idx1 == 0)
			continue;
		idx = s->index[i].idx1 - 1;
		c = &s->pool[idx];
		if ((int64_t)(c->expires_ns - now_ns) <= 0) {
			ctg_ct_delete(s, idx);
			s->stats.expired++;
			return true;
		}
		if (!(c->status & CTG_CT_S_ASSURED)) {
			ctg_ct_delete(s, idx);
			s->stats.early_drop++;
			return true;
		}
	}
	return false;
}

uint32_t
ctg_ct_expire(struct ctg_ct_shard *s, uint64_t now_ns, uint32_t budget)
{
	uint32_t removed = 0;

	s->now_ns = now_ns;

	for (uint32_t k = 0; k < budget && k < s->capacity; k++) {
		uint32_t idx = s->gc_cursor;
		struct ctg_ct_conn *c = &s->pool[idx];

		s->gc_cursor = idx + 1 == s->capacity ? 0 : idx + 1;
		if (!c->in_use || !(c->status & CTG_CT_S_CONFIRMED))
			continue;
		if ((int64_t)(c->expires_ns - now_ns) <= 0) {
			ctg_ct_delete(s, idx);
			s->stats.expired++;
			removed++;
		}
	}
	return removed;
}

void
ctg_ct_foreach(const struct ctg_ct_shard *s, ctg_ct_visit_fn *fn, void *arg)
{
	for (uint32_t i = 0; i < s->capacity; i++) {
		const struct ctg_ct_conn *c = &s->pool[i];

		if (c->in_use && (c->status & CTG_CT_S_CONFIRMED) && fn(c, i, arg) != 0)
			return;
	}
}

const struct ctg_ct_conn *
ctg_ct_conn_get(const struct ctg_ct_shard *s, uint32_t idx)
{
	if (idx >= s->capacity || !s->pool[idx].in_use)
		return NULL;
	return &s->pool[idx];
}

struct ctg_ct_conn *
ctg_ct_conn_get_mut(struct ctg_ct_shard *s, uint32_t idx)
{
	if (idx >= s->capacity || !s->pool[idx].in_use)
		return NULL;
	return &s->pool[idx];
}

const struct ctg_ct_stats *
ctg_ct_stats_get(const struct ctg_ct_shard *s)
{
	return &s->stats;
}

uint32_t
ctg_ct_count(const struct ctg_ct_shard *s)
{
	return (uint32_t)s->stats.count;
}

uint64_t
ctg_ct_memory(const struct ctg_ct_shard *s)
{
	return sizeof(*s) + (uint64_t)s->capacity * (sizeof(*s->pool) + sizeof(uint32_t)) +
			((uint64_t)s->index_mask + 1) * sizeof(*s->index);
}
