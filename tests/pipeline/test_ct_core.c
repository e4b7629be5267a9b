/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ct core and lib/pipeline: the index under random insert/delete (backward-shift
 * deletion keeps every entry reachable), confirm on accept, early drop when full, the
 * UDP 2-second ASSURED rule, expiry, ICMP errors RELATED with the outer-destination check.
 */

#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"
#include "ctg_test.h"

static struct ctg_ct_params params;

/* Raw IPv4 packet: proto, addresses as last octets, ports (or icmp type/id). */
static uint32_t
ip4(uint8_t *b, uint8_t proto, uint8_t src, uint8_t dst, uint16_t sport, uint16_t dport,
		uint32_t payload)
{
	uint32_t len = 20 + 8 + payload;

	memset(b, 0, len);
	b[0] = 0x45;
	ctg_put_be16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = proto;
	b[12] = 10;
	b[15] = src;
	b[16] = 10;
	b[19] = dst;
	ctg_put_be16(b + 10, ctg_pkt_csum_fold(ctg_pkt_csum_partial(b, 20, 0)));
	if (proto == 17) {
		ctg_put_be16(b + 20, sport);
		ctg_put_be16(b + 22, dport);
		ctg_put_be16(b + 24, (uint16_t)(8 + payload));
	} else if (proto == 1) {
		b[20] = (uint8_t)(dport >> 8); /* type */
		b[21] = (uint8_t)dport;	       /* code */
		ctg_put_be16(b + 24, sport);   /* id */
	}
	return len;
}

static struct ctg_pipeline *
mk(uint32_t capacity)
{
	struct ctg_pipeline_conf pc = { 0 };

	ctg_param_defaults(&ctg_ct_param_table, &params);
	params.checksum = 0;
	params.max = capacity;
	pc.ct.capacity = capacity;
	pc.ct.seed = 42;
	pc.ct_params = &params;
	pc.frag.max_datagrams = 16;
	pc.frag.max_frags = 16;
	pc.frag.max_bytes = 1 << 20;
	pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
	pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
	pc.nb_workers = 1;
	return ctg_pipeline_create(&pc);
}

static void
run(struct ctg_pipeline *pl, const uint8_t *b, uint32_t len, uint64_t now,
		struct ctg_pipeline_out *o)
{
	struct ctg_pipeline_pkt in = { .data = b, .len = len, .link = CTG_PKT_LINK_RAW };

	ctg_pipeline_process(pl, &in, now, o);
}

static int
test_index_random(void)
{
	enum { N = 20000 };
	struct ctg_pipeline *pl = mk(N);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	static uint8_t alive[N];
	struct ctg_ct_tuple t;
	uint32_t *idx = calloc(N, sizeof(*idx));

	CTG_ASSERT(pl != NULL && idx != NULL, "create");
	srand(7);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t b[64];
		struct ctg_pipeline_out o;

		ip4(b, 17, (uint8_t)(i & 0xff), (uint8_t)(i >> 8), (uint16_t)(1000 + i % 7), 53, 0);
		run(pl, b, 28, CTG_NS_PER_S, &o);
		CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
		idx[i] = o.ct.conn;
		alive[i] = 1;
	}
	CTG_ASSERT_EQ(ctg_ct_count(s), N);
	for (uint32_t i = 0; i < N; i++) {
		if (rand() % 2) {
			ctg_ct_delete(s, idx[i]);
			alive[i] = 0;
		}
	}
	for (uint32_t i = 0; i < N; i++) {
		uint8_t b[64];
		struct ctg_pkt p;
		enum ctg_ct_dir d;

		/* look up from the reply side */
		ip4(b, 17, (uint8_t)(i >> 8), (uint8_t)(i & 0xff), 53, (uint16_t)(1000 + i % 7), 0);
		CTG_ASSERT_EQ(ctg_pkt_parse_l3(b, 28, &p), CTG_PKT_OK);
		ctg_ct_pkt_tuple(&p, 0, &t);
		uint32_t got = ctg_ct_lookup(s, &t, CTG_NS_PER_S, &d);

		CTG_ASSERT(alive[i] ? got == idx[i] && d == CTG_CT_DIR_REPLY : got == CTG_CT_NO_CONN,
				"flow %u alive %u got %u", i, alive[i], got);
	}
	free(idx);
	ctg_pipeline_destroy(pl);
	return 0;
}

static int
test_confirm_on_accept_and_early_drop(void)
{
	struct ctg_pipeline *pl = mk(4);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	struct ctg_pipeline_out o;
	uint8_t b[64];

	for (int i = 0; i < 4; i++) {
		ip4(b, 17, 1, 2, (uint16_t)(100 + i), 53, 0);
		run(pl, b, 28, CTG_NS_PER_S, &o);
		CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	}
	CTG_ASSERT_EQ(ctg_ct_count(s), 4);
	/* Full: a fifth flow evicts a non-ASSURED one (early drop). */
	ip4(b, 17, 1, 2, 200, 53, 0);
	run(pl, b, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	CTG_ASSERT_EQ(ctg_ct_stats_get(s)->early_drop, 1);
	CTG_ASSERT_EQ(ctg_ct_count(s), 4);
	/* Make every entry ASSURED: no candidate, the packet is dropped and counted. */
	for (uint32_t i = 0; i < 4; i++) {
		struct ctg_ct_conn *c = ctg_ct_conn_get_mut(s, i);

		if (c != NULL)
			c->status |= CTG_CT_S_ASSURED;
	}
	ip4(b, 17, 1, 2, 201, 53, 0);
	run(pl, b, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.verdict, CTG_PL_DROP);
	CTG_ASSERT_EQ(o.drop, CTG_PL_DROP_CT);
	CTG_ASSERT_EQ(ctg_ct_stats_get(s)->drop, 1);
	ctg_pipeline_destroy(pl);

	/* Confirm on accept: an aborted NEW leaves nothing behind. */
	pl = mk(16);
	s = ctg_pipeline_ct(pl);
	{
		struct ctg_pkt p;
		struct ctg_ct_result r;

		ip4(b, 17, 1, 2, 300, 53, 0);
		ctg_pkt_parse_l3(b, 28, &p);
		ctg_ct_track(s, &p, 0, CTG_CT_HELPER_NONE, CTG_NS_PER_S, &r);
		CTG_ASSERT_EQ(r.state, CTG_CT_NEW);
		CTG_ASSERT(r.flags & CTG_CT_RES_UNCONFIRMED, "unconfirmed");
		ctg_ct_finish(s, &r, false);
		CTG_ASSERT_EQ(ctg_ct_count(s), 0);
		ctg_ct_track(s, &p, 0, CTG_CT_HELPER_NONE, CTG_NS_PER_S, &r);
		CTG_ASSERT_EQ(r.state, CTG_CT_NEW);
		ctg_ct_finish(s, &r, true);
		CTG_ASSERT_EQ(ctg_ct_count(s), 1);
	}
	ctg_pipeline_destroy(pl);
	return 0;
}

static int
test_udp_assured_and_expiry(void)
{
	struct ctg_pipeline *pl = mk(16);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	struct ctg_pipeline_out o;
	const struct ctg_ct_conn *c;
	uint8_t q[64], r[64];
	uint64_t t0 = 10 * CTG_NS_PER_S;

	ip4(q, 17, 1, 2, 5000, 53, 0);
	ip4(r, 17, 2, 1, 53, 5000, 0);
	run(pl, q, 28, t0, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	run(pl, r, 28, t0 + CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_ESTABLISHED);
	CTG_ASSERT_EQ(o.ct.dir, CTG_CT_DIR_REPLY);
	c = ctg_ct_conn_get(s, o.ct.conn);
	CTG_ASSERT(!(c->status & CTG_CT_S_ASSURED), "not assured within 2 s");
	CTG_ASSERT_EQ(c->expires_ns, t0 + CTG_NS_PER_S + 30 * CTG_NS_PER_S);
	run(pl, q, 28, t0 + 2 * CTG_NS_PER_S + 1, &o);
	c = ctg_ct_conn_get(s, o.ct.conn);
	CTG_ASSERT(c->status & CTG_CT_S_ASSURED, "assured after 2 s and a reply");
	CTG_ASSERT_EQ(c->expires_ns, t0 + 2 * CTG_NS_PER_S + 1 + 120 * CTG_NS_PER_S);
	/* After the timeout the next packet is NEW again. */
	run(pl, q, 28, t0 + 200 * CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	CTG_ASSERT_EQ(ctg_ct_stats_get(s)->expired, 1);
	/* The incremental scan removes expired entries without traffic. */
	CTG_ASSERT_EQ(ctg_ct_expire(s, t0 + 1000 * CTG_NS_PER_S, 100), 1);
	CTG_ASSERT_EQ(ctg_ct_count(s), 0);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* ICMP port unreachable from @p from to @p to quoting the UDP packet @p q (28 bytes). */
static uint32_t
icmp_err(uint8_t *b, uint8_t from, uint8_t to, const uint8_t *q)
{
	uint32_t len = ip4(b, 1, from, to, 0, 3 << 8 | 3, 28);

	memcpy(b + 28, q, 28);
	return len;
}

static int
test_icmp_related(void)
{
	struct ctg_pipeline *pl = mk(16);
	struct ctg_pipeline_out o;
	uint8_t q[64], e[128];
	uint32_t n;

	ip4(q, 17, 1, 2, 5000, 53, 0);
	run(pl, q, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	/* From the server back to the client: RELATED, reply direction. */
	n = icmp_err(e, 2, 1, q);
	run(pl, e, n, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_RELATED);
	CTG_ASSERT_EQ(o.ct.dir, CTG_CT_DIR_REPLY);
	/* From a router (3) to the client: still RELATED (outer dst = client). */
	n = icmp_err(e, 3, 1, q);
	run(pl, e, n, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_RELATED);
	/* Sent to a third host: the outer destination check fails. */
	n = icmp_err(e, 2, 9, q);
	run(pl, e, n, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_INVALID);
	CTG_ASSERT_EQ(o.ct.reason, CTG_CT_R_ICMP_ERROR_NOMATCH);
	/* Quoting an unknown flow. */
	ip4(q, 17, 1, 2, 5001, 53, 0);
	n = icmp_err(e, 2, 1, q);
	run(pl, e, n, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_INVALID);
	/* Echo request/reply and an unsolicited reply. */
	ip4(q, 1, 1, 2, 77, 8 << 8, 0);
	run(pl, q, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	ip4(q, 1, 2, 1, 77, 0, 0);
	run(pl, q, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_ESTABLISHED);
	ip4(q, 1, 2, 1, 78, 0, 0);
	run(pl, q, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_INVALID);
	ctg_pipeline_destroy(pl);
	return 0;
}

/* Counters are 32-bit packets and 48-bit bytes per direction: carries and wrap. */
static int
test_counters_wrap(void)
{
	struct ctg_pipeline *pl = mk(16);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	struct ctg_pipeline_out o;
	struct ctg_ct_conn *c;
	uint8_t q[128];
	uint32_t len = ip4(q, 17, 1, 2, 5000, 53, 72);

	run(pl, q, len, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
	c = ctg_ct_conn_get_mut(s, o.ct.conn);
	CTG_ASSERT_EQ(ctg_ct_conn_packets(c, CTG_CT_DIR_ORIG), 1);
	CTG_ASSERT_EQ(ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG), 100);
	CTG_ASSERT_EQ(ctg_ct_conn_packets(c, CTG_CT_DIR_REPLY), 0);
	c->acct_bytes_lo[CTG_CT_DIR_ORIG] = UINT32_MAX - 10;
	c->acct_packets[CTG_CT_DIR_ORIG] = UINT32_MAX;
	run(pl, q, len, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG), (1ull << 32) + 89);
	CTG_ASSERT_EQ(ctg_ct_conn_packets(c, CTG_CT_DIR_ORIG), 0);
	c->acct_bytes_lo[CTG_CT_DIR_ORIG] = UINT32_MAX;
	c->acct_bytes_hi[CTG_CT_DIR_ORIG] = UINT16_MAX;
	run(pl, q, len, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG), 99);
	ctg_pipeline_destroy(pl);
	return 0;
}

/*
 * FTP helper state lives in a side table (capacity/64 slots, at least 64): when it is
 * full a new connection gets no helper (the kernel when the helper extension cannot be
 * allocated); a freed connection returns its slot.
 */
static int
test_helper_side_table(void)
{
	enum { N = 200, SLOTS = 64 };
	struct ctg_pipeline *pl = mk(N);
	struct ctg_ct_shard *s = ctg_pipeline_ct(pl);
	struct ctg_pipeline_out o;
	uint32_t first = CTG_CT_NO_CONN;
	uint8_t q[64];

	CTG_ASSERT_EQ(ctg_ct_helper_port_add(s, CTG_CT_HELPER_FTP, 17, 21), 0);
	for (uint32_t i = 0; i <= SLOTS; i++) {
		const struct ctg_ct_conn *c;

		ip4(q, 17, 1, 2, (uint16_t)(1000 + i), 21, 0);
		run(pl, q, 28, CTG_NS_PER_S, &o);
		CTG_ASSERT_EQ(o.ct.state, CTG_CT_NEW);
		c = ctg_ct_conn_get(s, o.ct.conn);
		CTG_ASSERT_EQ(c->helper, i < SLOTS ? CTG_CT_HELPER_FTP : CTG_CT_HELPER_NONE);
		CTG_ASSERT_EQ(!!(c->status & CTG_CT_S_HELPER), i < SLOTS);
		if (i == 0)
			first = o.ct.conn;
	}
	ctg_ct_delete(s, first);
	ip4(q, 17, 1, 2, 999, 21, 0);
	run(pl, q, 28, CTG_NS_PER_S, &o);
	CTG_ASSERT_EQ(ctg_ct_conn_get(s, o.ct.conn)->helper, CTG_CT_HELPER_FTP);
	ctg_pipeline_destroy(pl);
	return 0;
}

int
main(void)
{
	static const struct ctg_test_case cases[] = {
		{ "index_random", test_index_random },
		{ "confirm_on_accept_and_early_drop", test_confirm_on_accept_and_early_drop },
		{ "udp_assured_and_expiry", test_udp_assured_and_expiry },
		{ "icmp_related", test_icmp_related },
		{ "counters_wrap", test_counters_wrap },
		{ "helper_side_table", test_helper_side_table },
		{ NULL, NULL },
	};

	return ctg_test_run(cases);
}
