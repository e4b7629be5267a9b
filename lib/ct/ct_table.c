/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The connection table of one shard: a pool of fixed-size struct ctg_ct_conn
 *	entries and a bucketised index with one slot per connection, keyed by the
 *	connection's canonical tuple (the same for both directions; see
 *	ct_tuple_normalise()). The kernel hashes every connection twice (original and
 *	reply tuple); without NAT the reply tuple is always the inverse of the original,
 *	so one direction-independent key finds a connection from either side at half the
 *	index memory. The hash is keyed with a per-shard random seed, so crafted tuples
 *	cannot aim at one probe sequence (the kernel uses siphash for the same reason).
 *	Layout, load factor and the measurements behind them: README.md.
 *
 * Life-cycle
 *	ct_conn_alloc() takes an entry from the free list for a NEW packet; it is not in
 *	the index (unconfirmed) until ctg_ct_finish() inserts it, or returns it (confirm on
 *	accept). Entries leave through ctg_ct_delete(), a lookup that finds them expired,
 *	or the incremental ctg_ct_expire() scan. Free entries are linked through their
 *	master field, most recently freed first; entries at or beyond s->fresh were never
 *	used (so creation does not touch the whole pool up front).
 *
 * Ownership & synchronization
 *	One writer: the owner worker. Nothing here is thread-safe; other cores read
 *	through requests to the owner (see app/ctgate/README.md).
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CT_CORE
#include "ct_private.h"

#define HUGE_PAGE_SIZE (2u << 20)

#ifdef __SSE2__
#include <emmintrin.h>
#endif

_Static_assert(sizeof(struct ct_bucket) == 64, "an index bucket is one cache line");
_Static_assert(sizeof(struct ctg_ct_tuple) == 40, "tuple compare reads five words");
_Static_assert(sizeof(struct ctg_ct_conn) == 160, "a connection is 2.5 cache lines");
_Static_assert(offsetof(struct ctg_ct_conn, acct_packets) == 64,
		"lookup fields fill the first cache line");

/* Helper side table: one slot per 64 connections of capacity, 64 to 65535 slots. */
#define HELP_SLOTS_MIN 64u
#define HELP_SLOTS_MAX 65535u

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

static void
hash_keys(uint64_t seed, uint64_t k[4])
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		k[i] = splitmix64(&x);
}

static inline uint32_t
hash_with(const uint64_t k[4], const struct ctg_ct_tuple *n)
{
	uint64_t w[5];
	uint64_t h;

	memcpy(w, n, sizeof(w));
	h = mum(w[0] ^ k[0], w[1] ^ k[1]) ^ mum(w[2] ^ k[2], w[3] ^ k[3]);
	h = mum(h ^ w[4], k[0] ^ k[3]);
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t
ctg_ct_tuple_hash(const struct ctg_ct_tuple *n, uint64_t seed)
{
	uint64_t k[4];

	hash_keys(seed, k);
	return hash_with(k, n);
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

/* memcmp() order of two addresses, without the library call. */
static inline int
addr_cmp(const union ctg_addr *a, const union ctg_addr *b)
{
	for (int i = 0; i < 2; i++) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		uint64_t x = __builtin_bswap64(a->q[i]), y = __builtin_bswap64(b->q[i]);
#else
		uint64_t x = a->q[i], y = b->q[i];
#endif

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
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
	int c = addr_cmp(&t->src, &t->dst);

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

uint32_t
ct_hash(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t)
{
	struct ctg_ct_tuple n;

	ct_tuple_normalise(t, &n);
	return hash_with(s->hkey, &n);
}

void
ctg_ct_conn_reply_tuple(const struct ctg_ct_conn *c, struct ctg_ct_tuple *reply)
{
	if (!ctg_ct_tuple_invert(&c->orig, reply))
		*reply = c->orig;
}

/*
 * Anonymous memory for the pool and the index, zero-filled, on transparent huge pages
 * when the kernel allows it (a TLB entry then covers 2 MiB instead of 4 KiB: at millions
 * of connections every lookup otherwise pays a page walk). No EAL: the engine also runs
 * in tests and tools. Falls back quietly to small pages.
 */
static void *
mem_alloc(size_t size, size_t *mapped)
{
	size_t len = size;
	uint8_t *p, *a;

	if (size >= HUGE_PAGE_SIZE) {
		len = (size + HUGE_PAGE_SIZE - 1) & ~(size_t)(HUGE_PAGE_SIZE - 1);
		p = mmap(NULL, len + HUGE_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		/* Keep a 2 MiB-aligned range, so that every huge page is usable. */
		a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE_SIZE - 1) &
				~(uintptr_t)(HUGE_PAGE_SIZE - 1));
		if (a > p)
			munmap(p, (size_t)(a - p));
		if (a + len < p + len + HUGE_PAGE_SIZE)
			munmap(a + len, (size_t)(p + len + HUGE_PAGE_SIZE - (a + len)));
		(void)madvise(a, len, MADV_HUGEPAGE);
		*mapped = len;
		return a;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*mapped = len;
	return p;
}

static void
mem_free(void *p, size_t mapped)
{
	if (p != NULL)
		munmap(p, mapped);
}

struct ctg_ct_shard *
ctg_ct_shard_create(const struct ctg_ct_conf *conf, const struct ctg_ct_params *params)
{
	struct ctg_ct_shard *s;
	uint64_t slots;

	if (conf->capacity == 0 || conf->capacity > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	/* Load factor at most 0.8: 1.25 slots per connection, in whole buckets. */
	slots = (uint64_t)conf->capacity + conf->capacity / 4 + 1;
	s->nb_buckets = (uint32_t)((slots + CT_BUCKET_SLOTS - 1) / CT_BUCKET_SLOTS);
	s->capacity = conf->capacity;
	s->pool = mem_alloc((size_t)conf->capacity * sizeof(*s->pool), &s->pool_size);
	s->index = mem_alloc((size_t)s->nb_buckets * sizeof(*s->index), &s->index_size);
	s->limit = ct_limit_create();
	s->help_cap = conf->capacity / 64;
	s->help_cap = s->help_cap < HELP_SLOTS_MIN ? HELP_SLOTS_MIN :
			s->help_cap > HELP_SLOTS_MAX ? HELP_SLOTS_MAX : s->help_cap;
	s->help = mem_alloc((size_t)s->help_cap * sizeof(*s->help), &s->help_size);
	if (s->pool == NULL || s->index == NULL || s->limit == NULL || s->help == NULL) {
		ctg_ct_shard_destroy(s);
		errno = ENOMEM;
		return NULL;
	}
	s->nb_free = conf->capacity;
	s->free_head = 0;
	s->fresh = 0;
	s->seed = conf->seed;
	hash_keys(conf->seed, s->hkey);
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
	mem_free(s->pool, s->pool_size);
	mem_free(s->index, s->index_size);
	mem_free(s->help, s->help_size);
	ct_limit_destroy(s->limit);
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

/* The most recently freed entry first, then never-used ones in pool order. */
uint32_t
ct_conn_alloc(struct ctg_ct_shard *s, const struct ctg_ct_tuple *orig, uint32_t hash,
		uint64_t now_ns)
{
	struct ctg_ct_conn *c;
	uint32_t idx;

	if (s->nb_free == 0)
		return CTG_CT_NO_CONN;
	if (s->free_head != 0) {
		idx = s->free_head - 1;
		s->free_head = s->pool[idx].master;
	} else {
		idx = s->fresh++;
	}
	s->nb_free--;
	c = &s->pool[idx];
	memset(c, 0, sizeof(*c));
	c->orig = *orig;
	c->hash = hash;
	c->start_ns = now_ns;
	c->id = s->next_id;
	s->next_id += s->id_stride;
	c->in_use = 1;
	return idx;
}

bool
ct_help_attach(struct ctg_ct_shard *s, struct ctg_ct_conn *c, uint8_t h)
{
	uint32_t slot;

	if (h == CTG_CT_HELPER_FTP) {
		if (s->help_free != 0) {
			slot = s->help_free - 1;
			s->help_free = s->help[slot].next;
		} else if (s->help_fresh < s->help_cap) {
			slot = s->help_fresh++;
		} else {
			return false;
		}
		memset(&s->help[slot], 0, sizeof(s->help[slot]));
		c->help_slot = (uint16_t)(slot + 1);
	}
	c->helper = h;
	c->status |= CTG_CT_S_HELPER;
	return true;
}

void
ct_conn_free(struct ctg_ct_shard *s, uint32_t idx)
{
	struct ctg_ct_conn *c = &s->pool[idx];

	if (c->help_slot != 0) {
		s->help[c->help_slot - 1].next = s->help_free;
		s->help_free = c->help_slot;
		c->help_slot = 0;
	}
	c->in_use = 0;
	c->master = s->free_head;
	s->free_head = idx + 1;
	s->nb_free++;
}

/* Bit k set: slot k of @p bk has signature @p sig (possibly an empty slot: check idx1). */
static inline uint32_t
bucket_match(const struct ct_bucket *bk, uint16_t sig)
{
#ifdef __SSE2__
	__m128i v = _mm_set1_epi16((short)sig);
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)&bk->sig[0]);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)&bk->sig[2]);
	/* Lanes 0-7: slots 0-7; lanes 8-15: slots 2-9 (the overlap agrees). */
	uint32_t m = (uint32_t)_mm_movemask_epi8(
			_mm_packs_epi16(_mm_cmpeq_epi16(lo, v), _mm_cmpeq_epi16(hi, v)));

	return (m & 0xff) | ((m >> 8) << 2);
#else
	uint32_t m = 0;

	for (unsigned int k = 0; k < CT_BUCKET_SLOTS; k++)
		m |= (uint32_t)(bk->sig[k] == sig) << k;
	return m;
#endif
}

static inline uint32_t
home_bucket(const struct ctg_ct_shard *s, uint32_t hash)
{
	return ct_home_bucket(s, hash);
}

static inline uint32_t
next_bucket(const struct ctg_ct_shard *s, uint32_t b)
{
	return b + 1 == s->nb_buckets ? 0 : b + 1;
}

int
ct_index_insert(struct ctg_ct_shard *s, uint32_t idx)
{
	uint32_t h = s->pool[idx].hash;
	uint32_t b = home_bucket(s, h);

	/* Load stays <= 0.8, so a bucket with room always exists. */
	for (;;) {
		struct ct_bucket *bk = &s->index[b];

		if (bk->nb_used < CT_BUCKET_SLOTS) {
			for (unsigned int k = 0; k < CT_BUCKET_SLOTS; k++) {
				if (bk->idx1[k] == 0) {
					bk->idx1[k] = idx + 1;
					bk->sig[k] = (uint16_t)h;
					bk->nb_used++;
					return 0;
				}
			}
		}
		if (bk->ovf != CT_OVF_STICKY)
			bk->ovf++;
		b = next_bucket(s, b);
	}
}

void
ct_index_remove(struct ctg_ct_shard *s, uint32_t idx)
{
	uint32_t h = s->pool[idx].hash;
	uint32_t home = home_bucket(s, h);
	uint32_t b = home;

	for (;;) {
		struct ct_bucket *bk = &s->index[b];

		for (unsigned int k = 0; k < CT_BUCKET_SLOTS; k++) {
			if (bk->idx1[k] == idx + 1) {
				bk->idx1[k] = 0;
				bk->sig[k] = 0;
				bk->nb_used--;
				/* Undo the overflow counts of the buckets it passed. */
				for (uint32_t j = home; j != b; j = next_bucket(s, j))
					if (s->index[j].ovf != CT_OVF_STICKY)
						s->index[j].ovf--;
				return;
			}
		}
		if (bk->ovf == 0)
			return; /* not indexed */
		b = next_bucket(s, b);
	}
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
		if (s->pool[idx].status & CT_S_LIM_ANY)
			ct_limit_release(s, &s->pool[idx]);
	}
	ct_conn_free(s, idx);
}

/*
 * The entry of tuple @p t (hash @p h) in either direction. The reply direction is
 * checked by comparing the entry's original tuple with the inverse of t (inversion is
 * an involution on the tuples the table holds), computed once, on the first candidate
 * that is not t itself.
 */
static uint32_t
index_find(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint32_t h, uint64_t now_ns,
		enum ctg_ct_dir *dir, bool reap)
{
	struct ctg_ct_tuple inv;
	uint32_t b = home_bucket(s, h);
	uint16_t sig = (uint16_t)h;
	int inv_state = 0; /* 0: not computed, 1: valid, -1: t has no inverse */

	for (;;) {
		const struct ct_bucket *bk = &s->index[b];

		for (uint32_t m = bucket_match(bk, sig); m != 0; m &= m - 1) {
			unsigned int k = (unsigned int)__builtin_ctz(m);
			struct ctg_ct_conn *c;
			enum ctg_ct_dir d;
			uint32_t idx;

			if (bk->idx1[k] == 0)
				continue;
			idx = bk->idx1[k] - 1;
			c = &s->pool[idx];
			if (c->hash != h)
				continue;
			if (ct_tuple_eq(t, &c->orig)) {
				d = CTG_CT_DIR_ORIG;
			} else {
				if (inv_state == 0)
					inv_state = ctg_ct_tuple_invert(t, &inv) ? 1 : -1;
				if (inv_state < 0 || !ct_tuple_eq(&inv, &c->orig))
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
		if (bk->ovf == 0)
			return CTG_CT_NO_CONN;
		b = next_bucket(s, b);
	}
}

uint32_t
ctg_ct_lookup(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		enum ctg_ct_dir *dir)
{
	return index_find((struct ctg_ct_shard *)(uintptr_t)s, t, ct_hash(s, t), now_ns, dir,
			false);
}

uint32_t
ct_lookup_reap(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint32_t hash,
		uint64_t now_ns, enum ctg_ct_dir *dir)
{
	return index_find(s, t, hash, now_ns, dir, true);
}

bool
ctg_ct_key_prepare(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		struct ctg_ct_key *k)
{
	k->zone = zone;
	k->ok = 0;
	if (!ctg_ct_pkt_tuple(pkt, zone, &k->t))
		return false;
	k->hash = ct_hash(s, &k->t);
	k->ok = 1;
	__builtin_prefetch(&s->index[home_bucket(s, k->hash)]);
	return true;
}

void
ctg_ct_key_prefetch(const struct ctg_ct_shard *s, const struct ctg_ct_key *k)
{
	const struct ct_bucket *bk;
	uint16_t sig;

	if (!k->ok)
		return;
	bk = &s->index[home_bucket(s, k->hash)];
	sig = (uint16_t)k->hash;
	for (uint32_t m = bucket_match(bk, sig); m != 0; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctz(m);
		const uint8_t *c;

		if (bk->idx1[i] == 0)
			continue;
		c = (const uint8_t *)&s->pool[bk->idx1[i] - 1];
		__builtin_prefetch(c);
		__builtin_prefetch(c + 64);
		if (k->t.proto == 6)
			__builtin_prefetch(c + 128);
	}
}

/*
 * Table full: like the kernel's early_drop(), look at the neighbourhood of the new
 * tuple's hash (here the 64 index slots from its home bucket on) and evict one
 * connection that is not ASSURED.
 */
bool
ct_early_drop(struct ctg_ct_shard *s, uint32_t hash, uint64_t now_ns)
{
	uint32_t b = home_bucket(s, hash);
	uint32_t seen = 0;

	for (uint32_t nb = 0; nb < s->nb_buckets && seen < 64; nb++, b = next_bucket(s, b)) {
		const struct ct_bucket *bk = &s->index[b];

		for (unsigned int k = 0; k < CT_BUCKET_SLOTS && seen < 64; k++, seen++) {
			struct ctg_ct_conn *c;
			uint32_t idx;

			if (bk->idx1[k] == 0)
				continue;
			idx = bk->idx1[k] - 1;
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
	return sizeof(*s) + s->pool_size + s->index_size + s->help_size;
}
