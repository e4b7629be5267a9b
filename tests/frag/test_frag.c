/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/frag against the Linux nf_defrag_ipv4 / nf_defrag_ipv6 behaviours
 * listed in lib/frag/README.md. Fragments are hand-made byte buffers with a struct
 * ctg_pkt filled by hand (no dependency on the packet parser); every completed datagram
 * is compared byte for byte with one built independently here, checksum included.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_frag.h"
#include "ctg_test.h"

#define S(x) ((uint64_t)(x) * 1000000000ULL)

static uint8_t fbuf[70000];  /* the fragment being offered */
static uint8_t expect[70000]; /* the datagram expected */

static uint8_t
pat(uint32_t i)
{
	return (uint8_t)((i * 131u + 7u) ^ (i >> 8));
}

static uint16_t
csum16(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static struct ctg_frag_table *
mk_table(uint32_t dgrams, uint32_t frags, uint64_t bytes)
{
	struct ctg_frag_conf c = {
		.max_datagrams = dgrams,
		.max_frags = frags,
		.max_bytes = bytes,
		.timeout_ns_v4 = S(30),
		.timeout_ns_v6 = S(60),
		.hash_seed = 0x1234567,
	};

	return ctg_frag_table_create(&c);
}

static struct ctg_frag_table *
std_table(void)
{
	return mk_table(64, CTG_FRAG_MAX_FRAGS, 4u << 20);
}

/* ------------------------------------------------------------------ IPv4 builders */

struct v4f {
	uint16_t id;
	uint32_t off;  /* payload offset, bytes */
	uint32_t len;  /* payload bytes */
	bool mf;
	bool df;
	uint8_t tos;
	uint8_t ihl;   /* 0: 20 */
	uint32_t user;
};

static uint32_t
build4(uint8_t *b, const struct v4f *f, uint32_t tot_payload)
{
	uint32_t ihl = f->ihl ? f->ihl : 20;
	uint16_t fo = (uint16_t)((f->off >> 3) | (f->mf ? 0x2000 : 0) | (f->df ? 0x4000 : 0));

	memset(b, 0, ihl);
	b[0] = (uint8_t)(0x40 | (ihl / 4));
	b[1] = f->tos;
	ctg_put_be16(b + 2, (uint16_t)(ihl + tot_payload));
	ctg_put_be16(b + 4, f->id);
	ctg_put_be16(b + 6, fo);
	b[8] = 64;
	b[9] = 17;
	b[12] = 192, b[13] = 0, b[14] = 2, b[15] = 1;
	b[16] = 198, b[17] = 51, b[18] = 100, b[19] = 2;
	for (uint32_t i = 20; i < ihl; i++)
		b[i] = 1; /* NOP options */
	ctg_put_be16(b + 10, csum16(b, ihl));
	return ihl;
}

static void
ins4(struct ctg_frag_table *t, const struct v4f *f, uint64_t cookie, uint64_t now,
		struct ctg_frag_result *r)
{
	uint32_t ihl = build4(fbuf, f, f->len);
	struct ctg_pkt pkt = { 0 };

	for (uint32_t i = 0; i < f->len; i++)
		fbuf[ihl + i] = pat(f->off + i);
	pkt.l3 = fbuf;
	pkt.len = ihl + f->len;
	pkt.family = 4;
	pkt.proto = 17;
	pkt.frag = 1;
	pkt.frag_mf = f->mf;
	pkt.frag_off = f->off;
	pkt.frag_id = f->id;
	pkt.l4_off = (uint16_t)ihl;
	ctg_frag_insert_user(t, &pkt, f->user, cookie, now, r);
	memset(fbuf, 0xee, ihl + f->len); /* the table must have copied what it needs */
}

/* The datagram Linux builds: first header, tot_len, DF or 0, new checksum. */
static uint32_t
expect4(const struct v4f *first, uint32_t n, bool df, uint8_t ecn)
{
	struct v4f h = *first;
	uint32_t ihl;

	h.mf = false;
	h.off = 0;
	h.df = df;
	h.tos = (uint8_t)(first->tos | ecn);
	ihl = build4(expect, &h, n);
	for (uint32_t i = 0; i < n; i++)
		expect[ihl + i] = pat(i);
	return ihl + n;
}

static int
check_dgram(const struct ctg_frag_result *r, uint32_t len)
{
	CTG_ASSERT_EQ(r->status, CTG_FRAG_COMPLETE);
	CTG_ASSERT_EQ(r->dgram_len, len);
	for (uint32_t i = 0; i < len; i++)
		CTG_ASSERT(r->dgram[i] == expect[i], "byte %u: %02x != %02x", i, r->dgram[i],
				expect[i]);
	if ((r->dgram[0] >> 4) == 4)
		CTG_ASSERT_EQ(csum16(r->dgram, (uint32_t)(r->dgram[0] & 0xf) * 4), 0);
	return 0;
}

static int
check_empty(struct ctg_frag_table *t)
{
	const struct ctg_frag_stats *s = ctg_frag_stats_get(t);

	CTG_ASSERT_EQ(s->queues, 0);
	CTG_ASSERT_EQ(s->bytes, 0);
	CTG_ASSERT_EQ(s->mem_bytes, 0);
	CTG_ASSERT_EQ(s->held, 0);
	return 0;
}

/* Fragment a payload of n bytes in pieces of sz (multiple of 8). */
static uint32_t
split(struct v4f *out, uint16_t id, uint32_t n, uint32_t sz)
{
	uint32_t k = 0;

	for (uint32_t off = 0; off < n; off += sz, k++) {
		out[k] = (struct v4f){ .id = id, .off = off, .len = CTG_MIN(sz, n - off),
			.mf = off + sz < n };
	}
	return k;
}

static int
run_order4(const uint32_t *order, uint32_t n, uint32_t sz, uint32_t nb_expected)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v4f f[64];
	uint32_t k = split(f, 77, n, sz);

	CTG_ASSERT(t != NULL, "create");
	CTG_ASSERT_EQ(k, nb_expected);
	for (uint32_t i = 0; i < k; i++) {
		ins4(t, &f[order[i]], 100 + order[i], S(1), &r);
		if (i + 1 < k) {
			CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
		}
	}
	if (check_dgram(&r, expect4(&f[0], n, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.nb_cookies, k);
	for (uint32_t i = 0; i < k; i++)
		CTG_ASSERT_EQ(r.cookies[i], 100 + order[i]);
	CTG_ASSERT_EQ(r.max_frag_len, 20 + sz);
	CTG_ASSERT_EQ(r.nb_discarded, 0);
	if (check_empty(t))
		return 1;
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->reassembled, 1);
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_in_order(void)
{
	const uint32_t o[] = { 0, 1, 2 };

	return run_order4(o, 3000, 1480, 3);
}

static int
t_v4_reverse(void)
{
	const uint32_t o[] = { 2, 1, 0 };

	return run_order4(o, 3000, 1480, 3);
}

static int
t_v4_random(void)
{
	uint32_t o[20];

	srand(42);
	for (int round = 0; round < 50; round++) {
		for (uint32_t i = 0; i < 20; i++)
			o[i] = i;
		for (uint32_t i = 19; i > 0; i--) {
			uint32_t j = (uint32_t)rand() % (i + 1), x = o[i];

			o[i] = o[j];
			o[j] = x;
		}
		if (run_order4(o, 20 * 64 - 5, 64, 20))
			return 1;
	}
	return 0;
}

static int
t_v4_tiny(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v4f f[64];
	uint32_t k = split(f, 5, 100, 8); /* 13 fragments of 8 bytes, the last 4 */

	for (uint32_t i = 0; i < k; i++)
		ins4(t, &f[k - 1 - i], i, S(1), &r);
	if (check_dgram(&r, expect4(&f[0], 100, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.max_frag_len, 28);

	/* A non-final fragment of 5 bytes rounds down to nothing: EMPTY kills the queue. */
	ins4(t, &(struct v4f){ .id = 6, .off = 0, .len = 16, .mf = true }, 1, S(1), &r);
	ins4(t, &(struct v4f){ .id = 6, .off = 16, .len = 5, .mf = true }, 2, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_EMPTY);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 1);
	CTG_ASSERT_EQ(r.discard_reason, CTG_FRAG_R_EMPTY);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_rounding(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	/* 1483 bytes with MF: the 3 bytes beyond 1480 are ignored (end &= ~7). */
	ins4(t, &(struct v4f){ .id = 9, .off = 0, .len = 1483, .mf = true }, 1, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	ins4(t, &(struct v4f){ .id = 9, .off = 1480, .len = 20 }, 2, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 9 }, 1500, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.max_frag_len, 1500);
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_duplicate(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v4f f[3];

	split(f, 11, 3000, 1480);
	ins4(t, &f[0], 1, S(1), &r);
	ins4(t, &f[1], 2, S(1), &r);
	ins4(t, &f[1], 3, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_DUPLICATE);
	CTG_ASSERT_EQ(r.duplicate_of, 2);
	CTG_ASSERT_EQ(r.nb_discarded, 0);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 1);
	ins4(t, &f[2], 4, S(1), &r);
	if (check_dgram(&r, expect4(&f[0], 3000, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.nb_cookies, 3);
	CTG_ASSERT_EQ(r.cookies[0], 1);
	CTG_ASSERT_EQ(r.cookies[1], 2);
	CTG_ASSERT_EQ(r.cookies[2], 4);
	ctg_frag_table_destroy(t);
	return 0;
}

/*
 * inet_frag_queue_insert() runs: [0,16) then [16,32) form one run, so [8,24) lies inside
 * it (duplicate). Arriving the other way round they are two runs and [8,24) straddles
 * them (overlap).
 */
static int
t_v4_runs(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	ins4(t, &(struct v4f){ .id = 1, .off = 0, .len = 16, .mf = true }, 1, S(1), &r);
	ins4(t, &(struct v4f){ .id = 1, .off = 16, .len = 16, .mf = true }, 2, S(1), &r);
	ins4(t, &(struct v4f){ .id = 1, .off = 8, .len = 16, .mf = true }, 3, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_DUPLICATE);
	CTG_ASSERT_EQ(r.duplicate_of, 1);

	ins4(t, &(struct v4f){ .id = 2, .off = 16, .len = 16, .mf = true }, 4, S(1), &r);
	ins4(t, &(struct v4f){ .id = 2, .off = 0, .len = 16, .mf = true }, 5, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	ins4(t, &(struct v4f){ .id = 2, .off = 8, .len = 16, .mf = true }, 6, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERLAP);
	CTG_ASSERT_EQ(r.nb_discarded, 2);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 1);
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_overlap(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v4f f[3];

	split(f, 12, 3000, 1480);
	ins4(t, &f[0], 1, S(1), &r);
	ins4(t, &f[2], 2, S(1), &r);
	ins4(t, &(struct v4f){ .id = 12, .off = 1472, .len = 16, .mf = true }, 3, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERLAP);
	CTG_ASSERT_EQ(r.nb_discarded, 2);
	CTG_ASSERT_EQ(r.discarded[0], 1);
	CTG_ASSERT_EQ(r.discarded[1], 2);
	CTG_ASSERT_EQ(r.discard_reason, CTG_FRAG_R_OVERLAP);
	if (check_empty(t))
		return 1;
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->dropped[CTG_FRAG_R_OVERLAP], 3);
	/* The missing fragment now starts a new queue that cannot complete. */
	ins4(t, &f[1], 4, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	/* A tail-path overlap: beyond the tail but starting inside it. */
	ins4(t, &(struct v4f){ .id = 12, .off = 2952, .len = 16, .mf = true }, 5, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERLAP);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_oversize(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v4f f[64];
	uint32_t k;

	/* 65515 bytes of payload: a 65535-byte datagram, the largest. */
	k = split(f, 20, 65515, 1480);
	for (uint32_t i = 0; i < k; i++)
		ins4(t, &f[i], i, S(1), &r);
	if (check_dgram(&r, expect4(&f[0], 65515, false, 0)))
		return 1;
	/* One byte more is "Oversized IP packet": the queue dies when it completes. */
	k = split(f, 21, 65516, 1480);
	for (uint32_t i = 0; i < k; i++) {
		ins4(t, &f[i], 100 + i, S(1), &r);
		if (i + 1 < k)
			CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	}
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERSIZE);
	CTG_ASSERT_EQ(r.nb_discarded, k - 1);
	/* Far beyond 65535 (offset 65528 + 1480): held, never completes. */
	ins4(t, &(struct v4f){ .id = 22, .off = 65528, .len = 1480, .mf = true }, 7, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	ins4(t, &(struct v4f){ .id = 22, .off = 0, .len = 1480, .mf = true }, 8, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	ctg_frag_expire(t, S(100), 100, NULL, NULL);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_zero_length(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	ins4(t, &(struct v4f){ .id = 30, .off = 0, .len = 0, .mf = true }, 1, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_EMPTY);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 0);
	ins4(t, &(struct v4f){ .id = 31, .off = 0, .len = 1480, .mf = true }, 2, S(1), &r);
	ins4(t, &(struct v4f){ .id = 31, .off = 1480, .len = 0 }, 3, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_EMPTY);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 2);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_bad_end(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	/* Two different final ends. */
	ins4(t, &(struct v4f){ .id = 40, .off = 0, .len = 1480, .mf = true }, 1, S(1), &r);
	ins4(t, &(struct v4f){ .id = 40, .off = 2960, .len = 100 }, 2, S(1), &r);
	ins4(t, &(struct v4f){ .id = 40, .off = 2960, .len = 50 }, 3, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 2);
	/* A final fragment ending before data already queued. */
	ins4(t, &(struct v4f){ .id = 41, .off = 1480, .len = 1480, .mf = true }, 4, S(1), &r);
	ins4(t, &(struct v4f){ .id = 41, .off = 8, .len = 1000 }, 5, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	/* A non-final fragment beyond the final end. */
	ins4(t, &(struct v4f){ .id = 42, .off = 0, .len = 1000 + 0 * 1, .mf = false,
			.df = false }, 6, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_PASS); /* offset 0 and no MF: not a fragment */
	ins4(t, &(struct v4f){ .id = 42, .off = 1480, .len = 8 }, 7, S(1), &r);
	ins4(t, &(struct v4f){ .id = 42, .off = 1480, .len = 16, .mf = true }, 8, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	/*
	 * Order of effects: a final copy of a queued fragment sets LAST_IN before it is
	 * found to be a duplicate, so the datagram can no longer grow beyond it.
	 */
	ins4(t, &(struct v4f){ .id = 43, .off = 8, .len = 1480, .mf = true }, 9, S(1), &r);
	ins4(t, &(struct v4f){ .id = 43, .off = 8, .len = 1480 }, 10, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_DUPLICATE);
	ins4(t, &(struct v4f){ .id = 43, .off = 1488, .len = 100 }, 11, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	/* ... and the first fragment then completes it short (kernel oracle: len 1508). */
	ins4(t, &(struct v4f){ .id = 44, .off = 8, .len = 1480, .mf = true }, 12, S(1), &r);
	ins4(t, &(struct v4f){ .id = 44, .off = 8, .len = 1480 }, 13, S(1), &r);
	ins4(t, &(struct v4f){ .id = 44, .off = 0, .len = 8, .mf = true }, 14, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 44 }, 1488, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.nb_cookies, 2);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_too_many_frags(void)
{
	struct ctg_frag_table *t = mk_table(8, 4, 1u << 20);
	struct ctg_frag_result r;

	for (uint32_t i = 0; i < 4; i++) {
		ins4(t, &(struct v4f){ .id = 50, .off = 16 * i, .len = 8, .mf = true }, i, S(1),
				&r);
		CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	}
	ins4(t, &(struct v4f){ .id = 50, .off = 64, .len = 8, .mf = true }, 4, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_TOO_MANY_FRAGS);
	CTG_ASSERT_EQ(r.nb_discarded, 4);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_table_full(void)
{
	struct ctg_frag_table *t = mk_table(2, 8, 1u << 20);
	struct ctg_frag_result r;

	ins4(t, &(struct v4f){ .id = 60, .off = 0, .len = 8, .mf = true }, 1, S(1), &r);
	ins4(t, &(struct v4f){ .id = 61, .off = 0, .len = 8, .mf = true }, 2, S(2), &r);
	ins4(t, &(struct v4f){ .id = 61, .off = 8, .len = 8, .mf = true }, 3, S(2), &r);
	ins4(t, &(struct v4f){ .id = 62, .off = 0, .len = 8, .mf = true }, 4, S(3), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 1);
	CTG_ASSERT_EQ(r.discard_reason, CTG_FRAG_R_NO_QUEUE);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->evicted, 1);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 2);
	/* The oldest across families: an IPv6 datagram created later is kept. */
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_byte_budget(void)
{
	/* 4 pages of 512: a 1480-byte first fragment takes 3 + 1 for its header. */
	struct ctg_frag_table *t = mk_table(8, 8, 2048);
	struct ctg_frag_result r;

	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->mem_limit, 2048);
	ins4(t, &(struct v4f){ .id = 70, .off = 0, .len = 1480, .mf = true }, 1, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->mem_bytes, 2048);
	ins4(t, &(struct v4f){ .id = 71, .off = 0, .len = 8, .mf = true }, 2, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_NO_MEMORY);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 1);
	/* 1480..1536 shares the last page: no new page needed, completes. */
	ins4(t, &(struct v4f){ .id = 70, .off = 1480, .len = 56 }, 3, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 70 }, 1536, false, 0)))
		return 1;
	if (check_empty(t))
		return 1;
	ins4(t, &(struct v4f){ .id = 71, .off = 0, .len = 8, .mf = true }, 4, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	ctg_frag_table_destroy(t);
	return 0;
}

/* max_held: tiny fragments cannot pin more packets than the budget allows. */
static int
t_held_budget(void)
{
	struct ctg_frag_conf c = {
		.max_datagrams = 64,
		.max_frags = CTG_FRAG_MAX_FRAGS,
		.max_bytes = 4u << 20,
		.max_held = 6,
		.timeout_ns_v4 = S(30),
		.timeout_ns_v6 = S(60),
		.hash_seed = 0x1234567,
	};
	struct ctg_frag_table *t = ctg_frag_table_create(&c);
	struct ctg_frag_result r;
	uint64_t cookie = 1;

	CTG_ASSERT(t != NULL, "table not created");
	/* Two datagrams of 8-byte fragments, never completed: 6 held, then refused. */
	for (uint16_t k = 0; k < 6; k++) {
		ins4(t, &(struct v4f){ .id = (uint16_t)(90 + k % 2), .off = (uint16_t)(k / 2 * 8),
				     .len = 8, .mf = true }, cookie++, S(1), &r);
		CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	}
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->held, 6);
	ins4(t, &(struct v4f){ .id = 92, .off = 0, .len = 8, .mf = true }, cookie++, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_NO_MEMORY);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 2);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->dropped[CTG_FRAG_R_NO_MEMORY], 1);
	/* Their timeout frees all six (the kernel's budget is freed the same way). */
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(31), 10, NULL, NULL), 2);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->held, 0);
	ins4(t, &(struct v4f){ .id = 93, .off = 0, .len = 8, .mf = true }, cookie++, S(32), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->held, 1);
	ins4(t, &(struct v4f){ .id = 93, .off = 8, .len = 8 }, cookie++, S(32), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_COMPLETE);
	CTG_ASSERT_EQ(r.nb_cookies, 2);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

struct rel {
	uint64_t cookies[16];
	int n;
};

static void
on_release(uint64_t cookie, enum ctg_frag_reason reason, void *arg)
{
	struct rel *rl = arg;

	if (reason == CTG_FRAG_R_TIMEOUT && rl->n < 16)
		rl->cookies[rl->n++] = cookie;
}

static int
t_timeout(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct rel rl = { .n = 0 };

	ins4(t, &(struct v4f){ .id = 80, .off = 0, .len = 8, .mf = true }, 1, S(0), &r);
	/* A later fragment does not push the timer back. */
	ins4(t, &(struct v4f){ .id = 80, .off = 8, .len = 8, .mf = true }, 2, S(20), &r);
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(30) - 1, 10, on_release, &rl), 0);
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(30), 10, on_release, &rl), 1);
	CTG_ASSERT_EQ(rl.n, 2);
	CTG_ASSERT_EQ(rl.cookies[0], 1);
	CTG_ASSERT_EQ(rl.cookies[1], 2);
	if (check_empty(t))
		return 1;
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->timeouts, 1);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->dropped[CTG_FRAG_R_TIMEOUT], 2);

	/* Expiry noticed on lookup: the old queue goes, the fragment starts a new one. */
	ins4(t, &(struct v4f){ .id = 81, .off = 0, .len = 8, .mf = true }, 3, S(100), &r);
	ins4(t, &(struct v4f){ .id = 81, .off = 8, .len = 8 }, 4, S(131), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 3);
	CTG_ASSERT_EQ(r.discard_reason, CTG_FRAG_R_TIMEOUT);
	/* Budget: two datagrams, one per call. */
	ins4(t, &(struct v4f){ .id = 82, .off = 0, .len = 8, .mf = true }, 5, S(131), &r);
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(500), 1, NULL, NULL), 1);
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(500), 1, NULL, NULL), 1);
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(500), 1, NULL, NULL), 0);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v4_ecn_df_options(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	/* CE with ECT(0): the result carries CE. */
	ins4(t, &(struct v4f){ .id = 90, .off = 0, .len = 800, .mf = true, .tos = 0x2 }, 1,
			S(1), &r);
	ins4(t, &(struct v4f){ .id = 90, .off = 800, .len = 100, .tos = 0x3 }, 2, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 90, .tos = 0x2 }, 900, false, 3)))
		return 1;
	/* Not-ECT with ECT(0): RFC 3168 says drop; the queue dies on completion. */
	ins4(t, &(struct v4f){ .id = 91, .off = 0, .len = 800, .mf = true, .tos = 0x0 }, 3,
			S(1), &r);
	ins4(t, &(struct v4f){ .id = 91, .off = 800, .len = 100, .tos = 0x2 }, 4, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_ECN);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 3);
	/* DF on every fragment: DF kept. */
	ins4(t, &(struct v4f){ .id = 92, .off = 0, .len = 800, .mf = true, .df = true }, 5,
			S(1), &r);
	ins4(t, &(struct v4f){ .id = 92, .off = 800, .len = 100, .df = true }, 6, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 92 }, 900, true, 0)))
		return 1;
	/* DF only on the small one: cleared. */
	ins4(t, &(struct v4f){ .id = 93, .off = 0, .len = 800, .mf = true }, 7, S(1), &r);
	ins4(t, &(struct v4f){ .id = 93, .off = 800, .len = 100, .df = true }, 8, S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 93 }, 900, false, 0)))
		return 1;
	/* Options (ihl 28) of the first fragment are kept, checksum recomputed. */
	ins4(t, &(struct v4f){ .id = 94, .off = 800, .len = 100 }, 9, S(1), &r);
	ins4(t, &(struct v4f){ .id = 94, .off = 0, .len = 800, .mf = true, .ihl = 28 }, 10,
			S(1), &r);
	if (check_dgram(&r, expect4(&(struct v4f){ .id = 94, .ihl = 28 }, 900, false, 0)))
		return 1;
	CTG_ASSERT_EQ(r.max_frag_len, 828);
	/* Zone: same key, another user, another datagram. */
	ins4(t, &(struct v4f){ .id = 95, .off = 0, .len = 800, .mf = true }, 11, S(1), &r);
	ins4(t, &(struct v4f){ .id = 95, .off = 800, .len = 100, .user = 1 }, 12, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 2);
	ctg_frag_table_destroy(t);
	return 0;
}

/* ------------------------------------------------------------------ IPv6 builders */

struct v6f {
	uint32_t id;
	uint32_t off;
	uint32_t len;
	bool mf;
	bool ext;	   /* hop-by-hop + destination options before the fragment header */
	uint8_t tc;
	uint8_t nh;	   /* next header after the fragment header (0: UDP) */
	int32_t plen_adj;  /* added to the payload length field (0 = exact) */
};

static uint32_t
v6_fixed(uint8_t *b, const struct v6f *f, uint32_t payload_len)
{
	uint32_t n = 40;

	memset(b, 0, 40);
	b[0] = (uint8_t)(0x60 | (f->tc >> 4));
	b[1] = (uint8_t)(f->tc << 4);
	ctg_put_be16(b + 4, (uint16_t)payload_len);
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[29] = 1, b[39] = 2;
	if (f->ext) {
		b[6] = 0; /* hop-by-hop */
		memcpy(b + 40, (const uint8_t[]){ 60, 0, 1, 4, 0, 0, 0, 0 }, 8);
		memcpy(b + 48, (const uint8_t[]){ 44, 0, 1, 4, 0, 0, 0, 0 }, 8);
		n += 16;
	} else {
		b[6] = 44;
	}
	return n;
}

static void
ins6(struct ctg_frag_table *t, const struct v6f *f, uint64_t cookie, uint64_t now,
		struct ctg_frag_result *r)
{
	uint32_t n = v6_fixed(fbuf, f, 0);
	struct ctg_pkt pkt = { 0 };
	uint32_t plen = n - 40 + 8 + f->len;

	ctg_put_be16(fbuf + 4, (uint16_t)((int32_t)plen + f->plen_adj));
	fbuf[n] = f->nh ? f->nh : 17;
	fbuf[n + 1] = 0;
	ctg_put_be16(fbuf + n + 2, (uint16_t)(f->off | (f->mf ? 1 : 0)));
	ctg_put_be32(fbuf + n + 4, f->id);
	for (uint32_t i = 0; i < f->len; i++)
		fbuf[n + 8 + i] = pat(f->off + i);
	pkt.l3 = fbuf;
	pkt.len = 40 + plen;
	pkt.family = 6;
	pkt.proto = 17;
	pkt.frag = 1;
	pkt.frag_mf = f->mf;
	pkt.frag_off = f->off;
	pkt.frag_id = f->id;
	pkt.frag_hdr_off = (uint16_t)n;
	pkt.frag_nh_off = f->ext ? 48 : 6;
	pkt.l4_off = (uint16_t)(n + 8);
	ctg_frag_insert(t, &pkt, cookie, now, r);
	memset(fbuf, 0xee, 40 + plen);
}

static uint32_t
expect6(const struct v6f *first, uint32_t n, uint8_t ecn)
{
	struct v6f h = *first;
	uint32_t hl;

	h.tc = (uint8_t)(first->tc | ecn);
	hl = v6_fixed(expect, &h, 0);
	ctg_put_be16(expect + 4, (uint16_t)(hl - 40 + n));
	expect[first->ext ? 48 : 6] = 17;
	for (uint32_t i = 0; i < n; i++)
		expect[hl + i] = pat(i);
	return hl + n;
}

static int
t_v6_orders(void)
{
	for (int ext = 0; ext < 2; ext++) {
		struct ctg_frag_table *t = std_table();
		struct ctg_frag_result r;
		struct v6f f[3] = {
			{ .id = 0xabcd, .off = 0, .len = 1232, .mf = true, .ext = ext },
			{ .id = 0xabcd, .off = 1232, .len = 1232, .mf = true, .ext = ext },
			{ .id = 0xabcd, .off = 2464, .len = 544, .ext = ext },
		};

		ins6(t, &f[0], 1, S(1), &r);
		CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);
		ins6(t, &f[1], 2, S(1), &r);
		ins6(t, &f[2], 3, S(1), &r);
		if (check_dgram(&r, expect6(&f[0], 3008, 0)))
			return 1;
		CTG_ASSERT_EQ(r.max_frag_len, 40 + 1232 + 8 + (ext ? 16 : 0));
		ins6(t, &f[2], 4, S(1), &r);
		ins6(t, &f[1], 5, S(1), &r);
		ins6(t, &f[0], 6, S(1), &r);
		if (check_dgram(&r, expect6(&f[0], 3008, 0)))
			return 1;
		CTG_ASSERT_EQ(r.cookies[0], 4);
		CTG_ASSERT_EQ(r.cookies[2], 6);
		if (check_empty(t))
			return 1;
		ctg_frag_table_destroy(t);
	}
	return 0;
}

static int
t_v6_atomic(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;
	struct v6f f = { .id = 7, .off = 0, .len = 100 };

	ins6(t, &f, 1, S(1), &r);
	if (check_dgram(&r, expect6(&f, 100, 0)))
		return 1;
	CTG_ASSERT_EQ(r.nb_cookies, 1);
	CTG_ASSERT_EQ(r.cookies[0], 1);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v6_dup_overlap(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	ins6(t, &(struct v6f){ .id = 1, .off = 0, .len = 1000, .mf = true }, 1, S(1), &r);
	ins6(t, &(struct v6f){ .id = 1, .off = 0, .len = 1000, .mf = true }, 2, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_DROP);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_DUPLICATE);
	CTG_ASSERT_EQ(r.duplicate_of, 1);
	ins6(t, &(struct v6f){ .id = 1, .off = 1000, .len = 10 }, 3, S(1), &r);
	if (check_dgram(&r, expect6(&(struct v6f){ .id = 1 }, 1010, 0)))
		return 1;

	ins6(t, &(struct v6f){ .id = 2, .off = 0, .len = 1000, .mf = true }, 4, S(1), &r);
	ins6(t, &(struct v6f){ .id = 2, .off = 992, .len = 100 }, 5, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERLAP);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 4);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v6_soft_errors(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	/* Bad final end, empty fragment: dropped, the queue stays (unlike IPv4). */
	ins6(t, &(struct v6f){ .id = 3, .off = 0, .len = 1000, .mf = true }, 1, S(1), &r);
	ins6(t, &(struct v6f){ .id = 3, .off = 0, .len = 500 }, 2, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 0);
	ins6(t, &(struct v6f){ .id = 3, .off = 1000, .len = 0, .mf = true }, 3, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_EMPTY);
	CTG_ASSERT_EQ(r.nb_discarded, 0);
	ins6(t, &(struct v6f){ .id = 3, .off = 1000, .len = 24 }, 4, S(1), &r);
	if (check_dgram(&r, expect6(&(struct v6f){ .id = 3 }, 1024, 0)))
		return 1;
	/*
	 * An empty final fragment is dropped only after it set LAST_IN and the length:
	 * the datagram can no longer grow, the next piece is a bad end.
	 */
	ins6(t, &(struct v6f){ .id = 10, .off = 0, .len = 1000, .mf = true }, 12, S(1), &r);
	ins6(t, &(struct v6f){ .id = 10, .off = 1000, .len = 0 }, 13, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_EMPTY);
	ins6(t, &(struct v6f){ .id = 10, .off = 1000, .len = 24 }, 14, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_BAD_END);
	CTG_ASSERT_EQ(r.nb_discarded, 0);

	/* Non-final fragment not a multiple of 8: the queue dies, the fragment passes. */
	ins6(t, &(struct v6f){ .id = 4, .off = 0, .len = 1000, .mf = true }, 5, S(1), &r);
	ins6(t, &(struct v6f){ .id = 4, .off = 1000, .len = 1001, .mf = true }, 6, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_PASS);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_NOT_ALIGNED);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 5);

	/* Beyond IPV6_MAXPLEN: dropped; the (empty) queue it created stays. */
	ins6(t, &(struct v6f){ .id = 5, .off = 65528, .len = 16 }, 7, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_OVERSIZE);
	CTG_ASSERT_EQ(ctg_frag_stats_get(t)->queues, 2); /* ids 10 and 5 */

	/* Jumbo (payload length 0): not reassembled. */
	ins6(t, &(struct v6f){ .id = 6, .off = 8, .len = 16, .plen_adj = -24 }, 8, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_PASS);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_NONE);

	/* First fragment without the whole UDP header (4 of 8 bytes). */
	ins6(t, &(struct v6f){ .id = 7, .off = 0, .len = 4, .mf = true }, 9, S(1), &r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_PASS);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_TRUNCATED_FIRST);
	/* ... but 4 bytes are enough for an unknown transport (needs 1). */
	ins6(t, &(struct v6f){ .id = 8, .off = 0, .len = 8, .mf = true, .nh = 250 }, 10, S(1),
			&r);
	CTG_ASSERT_EQ(r.status, CTG_FRAG_HELD);

	/* Payload length beyond the bytes: malformed. */
	ins6(t, &(struct v6f){ .id = 9, .off = 8, .len = 16, .plen_adj = 8 }, 11, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_MALFORMED);

	/* The empty queue of id 5 inherited the timer of its creation. */
	CTG_ASSERT_EQ(ctg_frag_expire(t, S(61), 10, NULL, NULL), 3);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_v6_ecn(void)
{
	struct ctg_frag_table *t = std_table();
	struct ctg_frag_result r;

	ins6(t, &(struct v6f){ .id = 1, .off = 0, .len = 800, .mf = true, .tc = 0x01 }, 1,
			S(1), &r);
	ins6(t, &(struct v6f){ .id = 1, .off = 800, .len = 8, .tc = 0x03 }, 2, S(1), &r);
	if (check_dgram(&r, expect6(&(struct v6f){ .id = 1, .tc = 0x01 }, 808, 3)))
		return 1;
	ins6(t, &(struct v6f){ .id = 2, .off = 0, .len = 800, .mf = true, .tc = 0x00 }, 3,
			S(1), &r);
	ins6(t, &(struct v6f){ .id = 2, .off = 800, .len = 8, .tc = 0x03 }, 4, S(1), &r);
	CTG_ASSERT_EQ(r.reason, CTG_FRAG_R_ECN);
	if (check_empty(t))
		return 1;
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_mixed_families_eviction(void)
{
	struct ctg_frag_table *t = mk_table(2, 8, 1u << 20);
	struct ctg_frag_result r;

	ins6(t, &(struct v6f){ .id = 1, .off = 0, .len = 8, .mf = true }, 1, S(1), &r);
	ins4(t, &(struct v4f){ .id = 1, .off = 0, .len = 8, .mf = true }, 2, S(2), &r);
	ins4(t, &(struct v4f){ .id = 2, .off = 0, .len = 8, .mf = true }, 3, S(3), &r);
	CTG_ASSERT_EQ(r.nb_discarded, 1);
	CTG_ASSERT_EQ(r.discarded[0], 1); /* the IPv6 one was the oldest */
	ctg_frag_table_destroy(t);
	return 0;
}

static int
t_bad_conf(void)
{
	struct ctg_frag_conf c = { .max_datagrams = 4, .max_frags = CTG_FRAG_MAX_FRAGS + 1 };

	CTG_ASSERT(ctg_frag_table_create(&c) == NULL, "max_frags too large");
	c.max_frags = 0;
	CTG_ASSERT(ctg_frag_table_create(&c) == NULL, "max_frags 0");
	c.max_frags = 1;
	c.max_datagrams = 0;
	CTG_ASSERT(ctg_frag_table_create(&c) == NULL, "no datagram");
	CTG_ASSERT(strcmp(ctg_frag_reason_str(CTG_FRAG_R_OVERLAP),
				   "overlapping fragment: datagram discarded") == 0,
			"reason name");
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "v4 in order", t_v4_in_order },
	{ "v4 reverse order", t_v4_reverse },
	{ "v4 random orders", t_v4_random },
	{ "v4 tiny fragments", t_v4_tiny },
	{ "v4 non-final end rounded down to 8", t_v4_rounding },
	{ "v4 duplicate keeps the queue", t_v4_duplicate },
	{ "v4 runs decide duplicate vs overlap", t_v4_runs },
	{ "v4 overlap discards the queue", t_v4_overlap },
	{ "v4 datagram beyond 65535", t_v4_oversize },
	{ "v4 zero-length fragment", t_v4_zero_length },
	{ "v4 bad end of last fragment", t_v4_bad_end },
	{ "too many fragments", t_too_many_frags },
	{ "table full: oldest evicted", t_table_full },
	{ "byte budget", t_byte_budget },
	{ "held fragment budget", t_held_budget },
	{ "timeouts", t_timeout },
	{ "v4 ECN, DF, options, zone", t_v4_ecn_df_options },
	{ "v6 orders, extension headers", t_v6_orders },
	{ "v6 atomic fragment", t_v6_atomic },
	{ "v6 duplicate and overlap", t_v6_dup_overlap },
	{ "v6 errors that keep the queue", t_v6_soft_errors },
	{ "v6 ECN", t_v6_ecn },
	{ "eviction across families", t_mixed_families_eviction },
	{ "bad configuration", t_bad_conf },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
