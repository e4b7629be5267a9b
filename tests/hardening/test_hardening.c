/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile traffic through the pipeline API (issue 9): table exhaustion and early drop,
 * the per-zone / per-source / half-open limits, hash flooding measured in probes,
 * fragment floods, TCP SYN floods, blind RST and out-of-window injection, mid-stream
 * garbage. Every case asserts that legitimate traffic keeps flowing, that memory stays
 * within its configured bounds and that every discard is counted with a reason.
 * Figures are printed as TAP comments ("# ...") for docs/hardening.md.
 */

#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"
#include "ctg_test.h"

static struct ctg_ct_params params;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static struct ctg_pipeline *
mk(uint32_t capacity, uint64_t seed)
{
	struct ctg_pipeline_conf pc = { 0 };

	ctg_param_defaults(&ctg_ct_param_table, &params);
	params.checksum = 0;
	params.max = capacity;
	pc.ct.capacity = capacity;
	pc.ct.seed = seed;
	pc.ct_params = &params;
	pc.frag.max_datagrams = 64;
	pc.frag.max_frags = 16;
	pc.frag.max_bytes = 256 * 1024;
	pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
	pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
	pc.frag.hash_seed = (uint32_t)seed;
	pc.nb_workers = 1;
	return ctg_pipeline_create(&pc);
}

static void
ip4_hdr(uint8_t *b, uint32_t len, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	ctg_put_be16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = proto;
	ctg_put_be32(b + 12, src);
	ctg_put_be32(b + 16, dst);
	ctg_put_be16(b + 10, ctg_pkt_csum_fold(ctg_pkt_csum_partial(b, 20, 0)));
}

static uint32_t
udp4(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	ip4_hdr(b, 28, 17, src, dst);
	ctg_put_be16(b + 20, sport);
	ctg_put_be16(b + 22, dport);
	ctg_put_be16(b + 24, 8);
	ctg_put_be16(b + 26, 0);
	return 28;
}

#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define FIN 0x01

static uint32_t
tcp4(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
		uint32_t seq, uint32_t ack, uint32_t payload)
{
	uint32_t len = 20 + 20 + payload;

	ip4_hdr(b, len, 6, src, dst);
	memset(b + 20, 0, 20 + payload);
	ctg_put_be16(b + 20, sport);
	ctg_put_be16(b + 22, dport);
	ctg_put_be32(b + 24, seq);
	ctg_put_be32(b + 28, ack);
	b[32] = 5 << 4;
	b[33] = flags;
	ctg_put_be16(b + 34, 65535);
	return len;
}

static void
run(struct ctg_pipeline *pl, const uint8_t *b, uint32_t len, uint64_t now,
		struct ctg_pipeline_out *o)
{
	struct ctg_pipeline_pkt in = { .data = b, .len = len, .link = CTG_PKT_LINK_RAW };

	ctg_pipeline_process(pl, &in, now, o);
}

/* A legitimate TCP connection that the tests keep using during an attack. */
struct conn {
	uint32_t c, s;
	uint16_t cp, sp;
	uint32_t cseq, sseq;
};

/* Three-way handshake plus one data exchange: ESTABLISHED and ASSURED. */
static int
tcp_open(struct ctg_pipeline *pl, struct conn *k, uint64_t now)
{
	struct ctg_pipeline_out o;
	uint8_t b[128];
	uint32_t n;

	n = tcp4(b, k->c, k->s, k->cp, k->sp, SYN, k->cseq, 0, 0);
	run(pl, b, n, now, &o);
	if (o.verdict != CTG_PL_FORWARD || o.ct.state != CTG_CT_NEW)
		return -1;
	n = tcp4(b, k->s, k->c, k->sp, k->cp, SYN | ACK, k->sseq, k->cseq + 1, 0);
	run(pl, b, n, now, &o);
	if (o.verdict != CTG_PL_FORWARD)
		return -1;
	k->cseq++;
	k->sseq++;
	n = tcp4(b, k->c, k->s, k->cp, k->sp, ACK, k->cseq, k->sseq, 0);
	run(pl, b, n, now, &o);
	if (o.verdict != CTG_PL_FORWARD || !(o.conn_status & CTG_CT_S_ASSURED))
		return -1;
	return 0;
}

/* One data segment each way; 0 if both pass as ESTABLISHED. */
static int
tcp_data(struct ctg_pipeline *pl, struct conn *k, uint64_t now)
{
	struct ctg_pipeline_out o;
	uint8_t b[256];
	uint32_t n;

	n = tcp4(b, k->c, k->s, k->cp, k->sp, ACK | PSH, k->cseq, k->sseq, 100);
	run(pl, b, n, now, &o);
	if (o.verdict != CTG_PL_FORWARD || o.ct.state != CTG_CT_ESTABLISHED)
		return -1;
	k->cseq += 100;
	n = tcp4(b, k->s, k->c, k->sp, k->cp, ACK | PSH, k->sseq, k->cseq, 100);
	run(pl, b, n, now, &o);
	if (o.verdict != CTG_PL_FORWARD || o.ct.state != CTG_CT_ESTABLISHED)
		return -1;
	k->sseq += 100;
	return 0;
}

/*
 * Table exhaustion: a SYN flood against a table half full of ASSURED connections. Early
 * drop evicts only non-ASSURED entries; the assured ones keep flowing; every flood packet
 * is either admitted (NEW) or dropped and counted (TABLE_FULL).
 */
static int
test_syn_flood_early_drop(void)
{
	enum { CAP = 256, LEGIT = 128, FLOOD = 50000 };
	struct ctg_pipeline *pl = mk(CAP, 0x1234);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(s);
	static struct conn legit[LEGIT];
	uint64_t now = CTG_NS_PER_S, admitted = 0, dropped = 0, legit_ok = 0;

	CTG_ASSERT(pl != NULL, "create");
	for (int i = 0; i < LEGIT; i++) {
		legit[i] = (struct conn){ 0x0a000001, 0xc0a80001 + (uint32_t)i,
			(uint16_t)(10000 + i), 443, rnd(), rnd() };
		CTG_ASSERT(tcp_open(pl, &legit[i], now) == 0, "open %d", i);
	}
	for (int i = 0; i < FLOOD; i++) {
		struct ctg_pipeline_out o;
		uint8_t b[64];
		uint32_t n = tcp4(b, rnd(), 0xc0a80001, (uint16_t)rnd(), 443, SYN, rnd(), 0, 0);

		now += 1000;
		run(pl, b, n, now, &o);
		if (o.verdict == CTG_PL_FORWARD && o.ct.state == CTG_CT_NEW) {
			admitted++;
		} else {
			CTG_ASSERT_EQ(o.verdict, CTG_PL_DROP);
			CTG_ASSERT_EQ(o.drop, CTG_PL_DROP_CT);
			CTG_ASSERT_EQ(o.ct.reason, CTG_CT_R_TABLE_FULL);
			dropped++;
		}
		CTG_ASSERT(ctg_ct_count(s) <= CAP, "count %u", ctg_ct_count(s));
		if (i % 64 == 0) {
			struct conn *k = &legit[(i / 64) % LEGIT];

			CTG_ASSERT(tcp_data(pl, k, now) == 0, "legit conn %d during flood", i);
			legit_ok++;
		}
	}
	for (int i = 0; i < LEGIT; i++)
		CTG_ASSERT(tcp_data(pl, &legit[i], now) == 0, "legit %d after flood", i);
	printf("# syn flood: %d SYNs, table %d, %d assured: admitted %llu, dropped "
	       "table-full %llu, early_drop %llu, legit exchanges %llu all passed\n",
			FLOOD, CAP, LEGIT, (unsigned long long)admitted,
			(unsigned long long)dropped, (unsigned long long)st->early_drop,
			(unsigned long long)legit_ok);
	CTG_ASSERT_EQ(admitted + dropped, FLOOD);
	CTG_ASSERT(st->early_drop > 0, "early drop ran");
	CTG_ASSERT_EQ(st->invalid_by_reason[CTG_CT_R_TABLE_FULL], dropped);
	CTG_ASSERT_EQ(st->drop, dropped);
	/* Every admitted SYN is in the table or was early-dropped (nothing else expires). */
	CTG_ASSERT_EQ(admitted, st->early_drop + (ctg_ct_count(s) - LEGIT));
	ctg_pipeline_destroy(pl);
	return 0;
}

/* A table full of ASSURED connections: new ones are dropped, none is evicted. */
static int
test_full_of_assured(void)
{
	enum { CAP = 64 };
	struct ctg_pipeline *pl = mk(CAP, 99);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	static struct conn k[CAP];
	struct ctg_pipeline_out o;
	uint8_t b[64];

	for (int i = 0; i < CAP; i++) {
		k[i] = (struct conn){ 0x0a000002, 0xc0a80100 + (uint32_t)i, 2000, 80, rnd(), rnd() };
		CTG_ASSERT(tcp_open(pl, &k[i], CTG_NS_PER_S) == 0, "open");
	}
	for (int i = 0; i < 1000; i++) {
		uint32_t n = udp4(b, rnd(), 0xc0a80001, (uint16_t)rnd(), 53);

		run(pl, b, n, 2 * CTG_NS_PER_S, &o);
		CTG_ASSERT_EQ(o.verdict, CTG_PL_DROP);
		CTG_ASSERT_EQ(o.ct.reason, CTG_CT_R_TABLE_FULL);
	}
	for (int i = 0; i < CAP; i++)
		CTG_ASSERT(tcp_data(pl, &k[i], 2 * CTG_NS_PER_S) == 0, "assured %d", i);
	CTG_ASSERT_EQ(ctg_ct_stats_get(s)->early_drop, 0);
	CTG_ASSERT_EQ(ctg_ct_stats_get(s)->drop, 1000);
	CTG_ASSERT_EQ(ctg_ct_count(s), CAP);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Per-zone limit through the ct API (zones come from raw rules in the pipeline). */
static int
test_limit_per_zone(void)
{
	struct ctg_pipeline *pl = mk(1024, 5);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(s);
	uint32_t first = CTG_CT_NO_CONN;
	int ok[3] = { 0 }, lim[3] = { 0 };

	params.limit_per_zone = 10;
	for (int i = 0; i < 45; i++) {
		uint16_t zone = (uint16_t)(i % 3);
		struct ctg_ct_result r;
		struct ctg_pkt pkt;
		uint8_t b[64];
		uint32_t n = udp4(b, 0x0a000001, 0x0a000002, (uint16_t)(1000 + i), 53);

		CTG_ASSERT_EQ(ctg_pkt_parse_l3(b, n, &pkt), CTG_PKT_OK);
		ctg_ct_track(s, &pkt, zone, 0, CTG_NS_PER_S, &r);
		if (r.state == CTG_CT_NEW) {
			if (first == CTG_CT_NO_CONN)
				first = r.conn;
			ok[zone]++;
		} else {
			CTG_ASSERT_EQ(r.reason, CTG_CT_R_LIMIT_ZONE);
			CTG_ASSERT(r.flags & CTG_CT_RES_DROP, "drop flag");
			lim[zone]++;
		}
		ctg_ct_finish(s, &r, true);
	}
	for (int z = 0; z < 3; z++) {
		CTG_ASSERT_EQ(ok[z], 10);
		CTG_ASSERT_EQ(lim[z], 5);
	}
	CTG_ASSERT_EQ(st->limit_zone, 15);
	CTG_ASSERT_EQ(st->invalid_by_reason[CTG_CT_R_LIMIT_ZONE], 15);
	/* One leaves zone 0: one more fits. */
	ctg_ct_delete(s, first);
	{
		struct ctg_ct_result r;
		struct ctg_pkt pkt;
		uint8_t b[64];
		uint32_t n = udp4(b, 0x0a000001, 0x0a000002, 7777, 53);

		ctg_pkt_parse_l3(b, n, &pkt);
		ctg_ct_track(s, &pkt, 0, 0, CTG_NS_PER_S, &r);
		CTG_ASSERT_EQ(r.state, CTG_CT_NEW);
		ctg_ct_finish(s, &r, true);
		ctg_ct_track(s, &pkt, 0, 0, CTG_NS_PER_S, &r);
		CTG_ASSERT_EQ(r.state, CTG_CT_NEW); /* same flow, no reply yet: found */
		ctg_ct_finish(s, &r, true);
	}
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Per-source limit: /32 by default, /24 when configured; expiry gives the slot back. */
static int
test_limit_per_source(void)
{
	struct ctg_pipeline *pl = mk(4096, 6);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(s);
	struct ctg_pipeline_out o;
	uint8_t b[64];
	int ok = 0;

	params.limit_per_source = 5;
	for (int i = 0; i < 8; i++) {
		run(pl, b, udp4(b, 0x0a000001, 0x0a0000fe, (uint16_t)(1000 + i), 53), CTG_NS_PER_S,
				&o);
		ok += o.verdict == CTG_PL_FORWARD;
	}
	CTG_ASSERT_EQ(ok, 5);
	CTG_ASSERT_EQ(st->limit_source, 3);
	CTG_ASSERT_EQ(o.ct.reason, CTG_CT_R_LIMIT_SOURCE);
	/* Another /32 of the same /24 is not affected with the default prefix. */
	run(pl, b, udp4(b, 0x0a000002, 0x0a0000fe, 1000, 53), CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.verdict, CTG_PL_FORWARD);
	/* Established flows of a limited source keep flowing (replies and repeats). */
	run(pl, b, udp4(b, 0x0a0000fe, 0x0a000001, 53, 1000), CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_ESTABLISHED);
	/* After the UDP timeout (30 s) the source may open new connections again. */
	ctg_pipeline_expire(pl, 40 * CTG_NS_PER_S, 1u << 20, NULL, NULL);
	CTG_ASSERT_EQ(ctg_ct_count(s), 0);
	run(pl, b, udp4(b, 0x0a000001, 0x0a0000fe, 5000, 53), 41 * CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.verdict, CTG_PL_FORWARD);
	/* /24: 10.0.1.0/24 shares one budget. */
	params.limit_source_prefix4 = 24;
	ok = 0;
	for (int i = 0; i < 20; i++) {
		run(pl, b, udp4(b, 0x0a000100 + (uint32_t)i, 0x0a0000fe, 1000, 53),
				42 * CTG_NS_PER_S, &o);
		ok += o.verdict == CTG_PL_FORWARD;
	}
	CTG_ASSERT_EQ(ok, 5);
	/* A spoofed flood of many sources: bounded table, evictions counted, no refusal. */
	params.limit_source_prefix4 = 32;
	for (int i = 0; i < 3000; i++)
		run(pl, b, udp4(b, rnd(), 0x0a0000fe, 1000, 53), 43 * CTG_NS_PER_S, &o);
	CTG_ASSERT(ctg_ct_count(s) <= 4096, "bounded");
	printf("# per-source: %llu refused, %llu source entries evicted\n",
			(unsigned long long)st->limit_source,
			(unsigned long long)st->limit_source_evict);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Half-open limit: a SYN flood fills it; completing handshakes give room back. */
static int
test_limit_embryonic(void)
{
	enum { LIM = 100 };
	struct ctg_pipeline *pl = mk(4096, 8);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(s);
	struct ctg_pipeline_out o;
	struct conn k = { 0x0a000009, 0x0a0000fe, 3333, 22, 1000, 5000 };
	uint8_t b[64];
	int admitted = 0;

	CTG_ASSERT(tcp_open(pl, &k, CTG_NS_PER_S) == 0, "legit before");
	params.limit_embryonic = LIM;
	for (int i = 0; i < 2000; i++) {
		run(pl, b, tcp4(b, rnd(), 0x0a0000fe, (uint16_t)rnd(), 80, SYN, rnd(), 0, 0),
				CTG_NS_PER_S, &o);
		if (o.verdict == CTG_PL_FORWARD)
			admitted++;
		else
			CTG_ASSERT_EQ(o.ct.reason, CTG_CT_R_LIMIT_EMBRYONIC);
	}
	CTG_ASSERT_EQ(admitted, LIM);
	CTG_ASSERT_EQ(st->embryonic, LIM);
	CTG_ASSERT_EQ(st->limit_embryonic, 2000 - LIM);
	/* Established connections are not affected. */
	CTG_ASSERT(tcp_data(pl, &k, CTG_NS_PER_S) == 0, "legit during");
	/* Half-open entries time out (SYN_SENT 120 s): room again. */
	ctg_pipeline_expire(pl, 200 * CTG_NS_PER_S, 1u << 20, NULL, NULL);
	CTG_ASSERT_EQ(st->embryonic, 0);
	{
		struct conn k2 = { 0x0a00000a, 0x0a0000fe, 3334, 22, 7, 9 };

		CTG_ASSERT(tcp_open(pl, &k2, 201 * CTG_NS_PER_S) == 0, "legit after");
		/* Completed handshake: no longer half-open. */
		CTG_ASSERT_EQ(st->embryonic, 0);
	}
	printf("# embryonic limit %d: 2000 SYNs, %d admitted, %llu refused\n", LIM, admitted,
			(unsigned long long)st->limit_embryonic);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Limits off (default): no limit counter moves and no CT_S_LIM bit leaks to status. */
static int
test_limits_default_off(void)
{
	struct ctg_pipeline *pl = mk(64, 3);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(ctg_pipeline_ct(pl));
	struct ctg_pipeline_out o;
	uint8_t b[64];

	CTG_ASSERT_EQ(params.limit_per_zone + params.limit_per_source + params.limit_embryonic, 0);
	for (int i = 0; i < 200; i++) {
		run(pl, b, tcp4(b, 0x0a000001, 0x0a000002, (uint16_t)i, 80, SYN, 1, 0, 0),
				CTG_NS_PER_S, &o);
		CTG_ASSERT((o.conn_status & 0xf0000000u) == 0, "internal bits");
	}
	CTG_ASSERT_EQ(st->limit_zone + st->limit_source + st->limit_embryonic + st->embryonic, 0);
	ctg_pipeline_destroy(pl);
	return 0;
}

/*
 * Hash flooding. An attacker who knows the seed picks tuples whose index hash lands in
 * one home bucket; with that seed they pile up and every lookup of that region probes
 * many buckets. The same tuples under another (secret) seed spread like random ones.
 * Cost is measured in probes (buckets read), from ctg_ct_index_probe_stats().
 */
static int
test_hash_flood(void)
{
	enum { CAP = 16384, NB = 1500 };
	const uint64_t known = 42, secret = 0x5ec7e75eedULL;
	struct ctg_pipeline *pl = mk(CAP, known);
	struct ctg_ct_probe_stats ps;
	struct ctg_ct_tuple *tu = calloc(NB, sizeof(*tu));
	uint32_t nb = 0, target;
	uint64_t tried = 0;

	CTG_ASSERT(pl != NULL && tu != NULL, "create");
	ctg_ct_index_probe_stats(ctg_pipeline_ct(pl), &ps);
	target = 7;
	/* Offline search under the known seed (what the attacker does). */
	for (uint32_t src = 0x0b000000; nb < NB; src++) {
		for (uint32_t sp = 1024; sp < 1024 + 64 && nb < NB; sp++) {
			struct ctg_ct_tuple t = { 0 };
			uint32_t h;

			t.family = 4;
			t.proto = 17;
			ctg_put_be32(t.src.b, src);
			ctg_put_be32(t.dst.b, 0xc0a80001);
			t.sport = (uint16_t)sp;
			t.dport = 53;
			tried++;
			h = ctg_ct_flow_hash(&t, known);
			if ((uint32_t)(((uint64_t)h * ps.nb_buckets) >> 32) == target)
				tu[nb++] = t;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		struct ctg_pipeline *p2 = pass == 0 ? pl : mk(CAP, secret);
		struct ctg_ct_shard *s = ctg_pipeline_ct(p2);
		struct ctg_pipeline_out o;
		uint8_t b[64];

		for (uint32_t i = 0; i < nb; i++) {
			uint32_t src, dst;

			memcpy(&src, tu[i].src.b, 4);
			memcpy(&dst, tu[i].dst.b, 4);
			run(p2, b, udp4(b, ctg_get_be32(tu[i].src.b), ctg_get_be32(tu[i].dst.b),
						   tu[i].sport, tu[i].dport),
					CTG_NS_PER_S, &o);
			CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
			if (i == 0) {
				const struct ctg_ct_conn *c = ctg_ct_conn_get(s, o.ct.conn);

				/* The index hash is the flow hash under the shard's seed. */
				CTG_ASSERT_EQ(c->hash, ctg_ct_flow_hash(&c->orig,
								       pass == 0 ? known : secret));
			}
		}
		ctg_ct_index_probe_stats(s, &ps);
		printf("# hash flood, %s seed: %u crafted tuples (%llu tried), %u buckets: "
		       "longest probe %u buckets, mean %.2f, longest overflow chain %u\n",
				pass == 0 ? "known" : "secret", nb, (unsigned long long)tried,
				ps.nb_buckets, ps.max_dist + 1,
				1.0 + (double)ps.sum_dist / (double)ps.entries, ps.max_chain);
		CTG_ASSERT_EQ(ps.entries, nb);
		if (pass == 0) {
			CTG_ASSERT(ps.max_dist + 1 >= nb / 10 - 1, "collisions pile up");
		} else {
			CTG_ASSERT(ps.max_dist + 1 <= 2, "spread: %u", ps.max_dist + 1);
			CTG_ASSERT(ps.occupancy[10] == 0 || ps.max_dist <= 1, "flat");
		}
		ctg_pipeline_destroy(p2);
	}
	free(tu);
	return 0;
}

/* Blind RST injection: in-window guesses do not tear the connection down. */
static int
test_rst_injection(void)
{
	struct ctg_pipeline *pl = mk(1024, 11);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(ctg_pipeline_ct(pl));
	struct conn k = { 0x0a000001, 0x0a000002, 40000, 443, 100000, 900000 };
	struct ctg_pipeline_out o;
	uint64_t inwin = 0, invalid = 0;
	uint8_t b[64];

	CTG_ASSERT(tcp_open(pl, &k, CTG_NS_PER_S) == 0, "open");
	CTG_ASSERT(tcp_data(pl, &k, CTG_NS_PER_S) == 0, "data");
	for (int i = 0; i < 20000; i++) {
		bool fromc = i & 1;
		/* Half in the window (+-64 KiB of the next sequence), half anywhere. */
		uint32_t base = fromc ? k.cseq : k.sseq;
		uint32_t seq = (i & 2) ? rnd() : base + 1 + (rnd() % 65535) - 32768;

		if (seq == base)
			seq++;
		if (fromc)
			run(pl, b, tcp4(b, k.c, k.s, k.cp, k.sp, RST, seq, 0, 0), CTG_NS_PER_S, &o);
		else
			run(pl, b, tcp4(b, k.s, k.c, k.sp, k.cp, RST, seq, 0, 0), CTG_NS_PER_S, &o);
		CTG_ASSERT(!(o.ct.flags & CTG_CT_RES_DESTROYED), "RST %d seq %u tore it down", i,
				seq);
		CTG_ASSERT(o.conn_l4_state != NULL && strcmp(o.conn_l4_state, "ESTABLISHED") == 0,
				"state %s", o.conn_l4_state ? o.conn_l4_state : "-");
		if (o.ct.state == CTG_CT_INVALID)
			invalid++;
		else
			inwin++;
		if (i % 1000 == 0)
			CTG_ASSERT(tcp_data(pl, &k, CTG_NS_PER_S) == 0, "data after RSTs");
	}
	printf("# blind RST: 20000 guesses, %llu INVALID (out of window/under maxack), "
	       "%llu in-window accepted without teardown, rst reasons: invalid rst %llu\n",
			(unsigned long long)invalid, (unsigned long long)inwin,
			(unsigned long long)st->invalid_by_reason[CTG_CT_R_TCP_RST_INVALID]);
	/* The exact sequence number does close it: the check is real. */
	run(pl, b, tcp4(b, k.c, k.s, k.cp, k.sp, RST, k.cseq, 0, 0), CTG_NS_PER_S, &o);
	CTG_ASSERT(strcmp(o.conn_l4_state, "CLOSE") == 0, "exact RST: %s", o.conn_l4_state);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Out-of-window data and mid-stream garbage: INVALID with a reason, conns unaffected. */
static int
test_oow_and_garbage(void)
{
	struct ctg_pipeline *pl = mk(4096, 12);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	const struct ctg_pipeline_stats *ps = ctg_pipeline_stats_get(pl);
	const struct ctg_ct_stats *st = ctg_ct_stats_get(s);
	struct conn k = { 0x0a000001, 0x0a000002, 40001, 80, 5, 7 };
	struct ctg_pipeline_out o;
	uint64_t inv = 0, n_pkts = 0;
	uint8_t b[1600];

	CTG_ASSERT(tcp_open(pl, &k, CTG_NS_PER_S) == 0, "open");
	for (int i = 0; i < 10000; i++) {
		uint32_t seq = k.cseq + 0x40000000u + rnd() % 0x40000000u;

		run(pl, b, tcp4(b, k.c, k.s, k.cp, k.sp, ACK | PSH, seq, k.sseq, 10),
				CTG_NS_PER_S, &o);
		n_pkts++;
		CTG_ASSERT_EQ(o.ct.state, CTG_CT_INVALID);
		CTG_ASSERT(o.ct.reason == CTG_CT_R_TCP_SEQ_OVER || o.ct.reason ==
				CTG_CT_R_TCP_SEQ_UNDER, "reason %u", o.ct.reason);
		inv++;
	}
	CTG_ASSERT(tcp_data(pl, &k, CTG_NS_PER_S) == 0, "legit after oow");
	/* Garbage: random bytes after valid IPv4/TCP headers, random flags/ports. */
	for (int i = 0; i < 50000; i++) {
		uint32_t n = tcp4(b, 0x0a000000 | (rnd() & 0xff), 0x0a000002, (uint16_t)rnd(),
				(uint16_t)(rnd() % 4 ? 80 : rnd()), (uint8_t)rnd(), rnd(), rnd(),
				rnd() % 64);

		b[32] = (uint8_t)((rnd() % 16) << 4);
		for (uint32_t j = 40; j < n; j++)
			b[j] = (uint8_t)rnd();
		if (rnd() % 8 == 0)
			n = rnd() % n;
		run(pl, b, n, CTG_NS_PER_S + (uint64_t)i * 1000, &o);
		n_pkts++;
		CTG_ASSERT(o.verdict < CTG_PL_VERDICT_COUNT, "verdict");
		if (o.verdict == CTG_PL_DROP)
			CTG_ASSERT(o.drop != CTG_PL_DROP_NONE, "drop without reason");
		if (o.ct.state == CTG_CT_INVALID && o.verdict != CTG_PL_DROP)
			CTG_ASSERT(o.ct.reason != CTG_CT_R_NONE, "INVALID without reason");
		if (i % 5000 == 0)
			CTG_ASSERT(tcp_data(pl, &k, CTG_NS_PER_S + (uint64_t)i * 1000) == 0,
					"legit during garbage");
	}
	{
		uint64_t sum = 0;

		for (int v = 0; v < CTG_PL_VERDICT_COUNT; v++)
			sum += ps->verdicts[v];
		CTG_ASSERT_EQ(sum, ps->packets);
		sum = 0;
		for (int r = 0; r < CTG_CT_R_COUNT; r++)
			sum += st->invalid_by_reason[r];
		CTG_ASSERT_EQ(sum, st->invalid);
		CTG_ASSERT_EQ(st->invalid_by_reason[CTG_CT_R_NONE], 0);
	}
	printf("# out-of-window: %llu INVALID (seq over/under); garbage: %llu packets, "
	       "drops ip-input %llu, ct invalid %llu\n",
			(unsigned long long)inv, (unsigned long long)n_pkts,
			(unsigned long long)ps->drops[CTG_PL_DROP_IP_INPUT],
			(unsigned long long)st->invalid);
	ctg_pipeline_destroy(pl);
	return 0;
}

static uint32_t
frag4(uint8_t *b, uint32_t src, uint32_t dst, uint16_t id, uint32_t off, bool mf,
		uint32_t payload)
{
	uint32_t len = 20 + payload;

	ip4_hdr(b, len, 17, src, dst);
	ctg_put_be16(b + 4, id);
	ctg_put_be16(b + 6, (uint16_t)((mf ? 0x2000 : 0) | (off / 8)));
	b[10] = b[11] = 0;
	memset(b + 20, 0xab, payload);
	if (off == 0 && payload >= 8) {
		ctg_put_be16(b + 20, 1000);
		ctg_put_be16(b + 22, 2000);
		ctg_put_be16(b + 24, 0); /* the datagram length is checked after reassembly */
		ctg_put_be16(b + 26, 0);
	}
	ctg_put_be16(b + 10, ctg_pkt_csum_fold(ctg_pkt_csum_partial(b, 20, 0)));
	return len;
}

static uint32_t
frag6(uint8_t *b, uint32_t id, uint32_t off, bool m, uint32_t payload, uint8_t last)
{
	memset(b, 0, 48 + payload);
	b[0] = 0x60;
	ctg_put_be16(b + 4, (uint16_t)(8 + payload));
	b[6] = 44;
	b[7] = 64;
	b[8] = 0x20;
	b[9] = 0x01;
	b[23] = last;
	b[24] = 0x20;
	b[25] = 0x01;
	b[39] = 2;
	b[40] = 17;
	ctg_put_be16(b + 42, (uint16_t)(off | (m ? 1 : 0)));
	ctg_put_be32(b + 44, id);
	if (off == 0 && payload >= 8) {
		ctg_put_be16(b + 48, 1000);
		ctg_put_be16(b + 50, 53);
		ctg_put_be16(b + 52, (uint16_t)payload);
	}
	return 48 + payload;
}

/*
 * Fragment floods: incomplete datagrams, tiny and overlapping fragments, > 65535 bytes,
 * IPv6 atomic fragments; with legitimate two-fragment datagrams in between that must
 * complete. Memory (queues, bytes) stays within the table's bounds; every fragment is
 * accounted for: completed, discarded (counted by reason), or still queued.
 */
static int
test_frag_flood(void)
{
	struct ctg_pipeline *pl = mk(65536, 13);
	struct ctg_frag_table *ft = ctg_pipeline_frag(pl);
	struct ctg_frag_stats fs;
#define FRAG_STATS() (fs = *ctg_frag_stats_get(ft))
	struct ctg_pipeline_out o;
	uint64_t legit = 0, legit_ok = 0, peak_bytes = 0, peak_q = 0, offered = 0;
	uint64_t held = 0, completed = 0, discarded = 0, dropped_self = 0, nb_done = 0;
	uint64_t now = CTG_NS_PER_S;
	static uint8_t b[9000];
	const char *kind[] = { "incomplete", "tiny", "overlap", "oversize", "atomic6" };

	for (int i = 0; i < 100000; i++) {
		uint32_t n, src = 0x0c000000 | (rnd() & 0xffffff);
		int k = i % 5;

		now += 500;
		switch (k) {
		case 0: /* first fragment of a datagram that never completes */
			n = frag4(b, src, 0x0a000002, (uint16_t)rnd(), 0, true, 1000);
			break;
		case 1: /* tiny: 8 bytes, at random offsets */
			n = frag4(b, src & 0xffffff0f, 0x0a000002, (uint16_t)(rnd() & 0xff),
					(rnd() % 100) * 8, true, 8);
			break;
		case 2: /* overlapping pair of the same datagram */
			n = frag4(b, 0x0d000001, 0x0a000002, (uint16_t)i, 0, true, 64);
			run(pl, b, n, now, &o);
			offered++;
			held += o.verdict == CTG_PL_HELD;
			dropped_self += o.verdict == CTG_PL_DROP;
			discarded += o.nb_discarded;
			n = frag4(b, 0x0d000001, 0x0a000002, (uint16_t)i, 32, true, 64);
			break;
		case 3: /* beyond 65535 bytes: 8 fragments up to offset 65528 then 512 more
			 * (Linux refuses the datagram at reassembly, "oversized IP packet") */
			for (uint32_t off = 0; off < 65528; off += 8192) {
				n = frag4(b, src, 0x0a000002, (uint16_t)i, off, true,
						off + 8192 > 65528 ? 65528 - off : 8192);
				run(pl, b, n, now, &o);
				offered++;
				held += o.verdict == CTG_PL_HELD;
				dropped_self += o.verdict == CTG_PL_DROP;
				discarded += o.nb_discarded;
			}
			n = frag4(b, src, 0x0a000002, (uint16_t)i, 65528, false, 512);
			break;
		default: /* IPv6 atomic fragment: a complete datagram on its own */
			n = frag6(b, rnd(), 0, false, 16, (uint8_t)rnd());
			break;
		}
		run(pl, b, n, now, &o);
		offered++;
		(void)kind;
		if (o.verdict == CTG_PL_HELD)
			held++;
		else if (o.frag_status == CTG_FRAG_DROP)
			dropped_self++;
		else if (o.frag_status == CTG_FRAG_COMPLETE)
			completed += o.nb_frag_cookies, nb_done++;
		discarded += o.nb_discarded;
		if (k == 4)
			CTG_ASSERT(o.frag_status == CTG_FRAG_COMPLETE && o.verdict == CTG_PL_FORWARD,
					"atomic fragment %u/%u", o.frag_status, o.verdict);
		if (k == 3)
			CTG_ASSERT(o.frag_reason == CTG_FRAG_R_OVERSIZE, "oversize %u st %u v %u drop %u pkt %u", o.frag_reason, o.frag_status, o.verdict, o.drop, o.pkt_drop_reason);
		FRAG_STATS();
		if (fs.bytes > peak_bytes)
			peak_bytes = fs.bytes;
		if (fs.queues > peak_q)
			peak_q = fs.queues;
		CTG_ASSERT(fs.queues <= 64 && fs.mem_bytes <= fs.mem_limit, "bounds");
		if (i % 100 == 99) { /* a legitimate 2-fragment datagram */
			uint16_t id = (uint16_t)(i / 100);

			legit++;
			run(pl, b, frag4(b, 0x0a000001, 0x0a000002, id, 0, true, 1480), now, &o);
			offered++;
			discarded += o.nb_discarded;
			held += o.verdict == CTG_PL_HELD;
			run(pl, b, frag4(b, 0x0a000001, 0x0a000002, id, 1480, false, 100), now, &o);
			offered++;
			discarded += o.nb_discarded;
			if (o.frag_status == CTG_FRAG_COMPLETE && o.verdict == CTG_PL_FORWARD) {
				legit_ok++;
				completed += o.nb_frag_cookies;
				nb_done++;
			} else if (o.frag_status == CTG_FRAG_DROP) {
				dropped_self++;
			} else {
				held++;
			}
		}
	}
	FRAG_STATS();
	{
		uint64_t sum = 0;

		for (int r = 0; r < CTG_FRAG_R_COUNT; r++)
			sum += fs.dropped[r];
		printf("# frag flood: %llu fragments offered; legit datagrams %llu/%llu "
		       "reassembled; peak queues %llu/64, peak bytes %llu (arena %llu of %llu); "
		       "dropped: overlap %llu oversize %llu no_queue %llu no_memory %llu "
		       "timeout %llu bad_end %llu\n",
				(unsigned long long)offered, (unsigned long long)legit_ok,
				(unsigned long long)legit, (unsigned long long)peak_q,
				(unsigned long long)peak_bytes, (unsigned long long)fs.mem_bytes,
				(unsigned long long)fs.mem_limit,
				(unsigned long long)fs.dropped[CTG_FRAG_R_OVERLAP],
				(unsigned long long)fs.dropped[CTG_FRAG_R_OVERSIZE],
				(unsigned long long)fs.dropped[CTG_FRAG_R_NO_QUEUE],
				(unsigned long long)fs.dropped[CTG_FRAG_R_NO_MEMORY],
				(unsigned long long)fs.dropped[CTG_FRAG_R_TIMEOUT],
				(unsigned long long)fs.dropped[CTG_FRAG_R_BAD_END]);
		/*
		 * Every fragment offered is in a completed datagram, dropped with a reason, or
		 * still queued (held, and neither completed since nor discarded).
		 */
		uint64_t queued = held - discarded - (completed - nb_done);

		printf("# frag accounting: %llu in completed datagrams + %llu dropped + %llu "
		       "still queued = %llu offered\n",
				(unsigned long long)completed, (unsigned long long)sum,
				(unsigned long long)queued, (unsigned long long)offered);
		CTG_ASSERT_EQ(fs.fragments, offered);
		CTG_ASSERT_EQ(sum, dropped_self + discarded);
		CTG_ASSERT_EQ(offered, completed + sum + queued);
		CTG_ASSERT(queued <= 64 * 16, "queued %llu", (unsigned long long)queued);
	}
	CTG_ASSERT(legit_ok >= legit * 9 / 10, "legit %llu/%llu", (unsigned long long)legit_ok,
			(unsigned long long)legit);
	ctg_pipeline_destroy(pl);
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "syn_flood_early_drop", test_syn_flood_early_drop },
	{ "full_of_assured", test_full_of_assured },
	{ "limits_default_off", test_limits_default_off },
	{ "limit_per_zone", test_limit_per_zone },
	{ "limit_per_source", test_limit_per_source },
	{ "limit_embryonic", test_limit_embryonic },
	{ "hash_flood", test_hash_flood },
	{ "rst_injection", test_rst_injection },
	{ "oow_and_garbage", test_oow_and_garbage },
	{ "frag_flood", test_frag_flood },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
