/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential property test of the classifier: for random rulesets and random packets,
 * evaluation with the index gives exactly what the plain linear walk (load option
 * .linear) gives: verdict, rule, flags, marks, LOG hits, every rule counter and, through
 * them, every -m limit bucket. Small random sets (IPv4 and IPv6) from rule_gen.h's
 * vocabulary of prefixes, ranges, multiport, states, negations, limits and odd packets;
 * large sets from wide vocabularies with packets drawn around the rules' values.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"
#include "ctg_test.h"
#include "rule_gen.h"

static void
result_cmp(const struct ctg_rule_result *ra, const struct ctg_rule_result *rb, uint64_t seed,
		int i, int *bad)
{
	if (*bad)
		return;
	if (ra->verdict != rb->verdict || ra->rule != rb->rule || ra->flags != rb->flags ||
			ra->mark != rb->mark || ra->connmark != rb->connmark ||
			ra->reject != rb->reject || ra->line != rb->line || ra->nb_log != rb->nb_log) {
		fprintf(stderr, "# seed %llu packet %d: linear %d/%u/%x, indexed %d/%u/%x\n",
				(unsigned long long)seed, i, ra->verdict, ra->rule, ra->flags,
				rb->verdict, rb->rule, rb->flags);
		*bad = 1;
		return;
	}
	for (int k = 0; k < ra->nb_log; k++)
		if (ra->log[k].rule != rb->log[k].rule)
			*bad = 1;
}

/* Linear and indexed loads of @p text, @p nb packets from @p gen, every counter equal. */
static int
diff_text(const char *text, int family, uint64_t seed, int nb,
		void (*gen)(uint64_t *s, int family, struct tpkt *t, void *arg), void *arg)
{
	enum ctg_rule_family f = family == 4 ? CTG_RULE_FAMILY_IPV4 : CTG_RULE_FAMILY_IPV6;
	struct ctg_rule_load_opts lin = { .family = f, .linear = true };
	struct ctg_rule_load_opts idx = { .family = f };
	struct ctg_rule_set *a = NULL, *b = NULL;
	struct ctg_rule_counters *ca, *cb;
	char err[256] = "";
	uint64_t s = seed, now = 1000000000ULL;
	int bad = 0;

	CTG_ASSERT(ctg_rule_set_load_str(text, "lin", &lin, &a, err, sizeof(err)) == 0, "%s", err);
	CTG_ASSERT(ctg_rule_set_load_str(text, "idx", &idx, &b, err, sizeof(err)) == 0, "%s", err);
	ca = ctg_rule_counters_create(a);
	cb = ctg_rule_counters_create(b);
	CTG_ASSERT(ca != NULL && cb != NULL, "counters");
	for (int i = 0; i < nb && !bad; i++) {
		struct tpkt t;
		struct ctg_rule_result ra, rb;

		gen(&s, family, &t, arg);
		/* Time moves by 0 .. 400 ms: -m limit buckets both fill and run dry. */
		now += (uint64_t)(gen_rand(&s) % 400) * 1000000ULL;
		ctg_rule_eval(a, CTG_RULE_FILTER_FORWARD, &t.rp, ca, now, &ra);
		ctg_rule_eval(b, CTG_RULE_FILTER_FORWARD, &t.rp, cb, now, &rb);
		result_cmp(&ra, &rb, seed, i, &bad);
	}
	CTG_ASSERT(!bad, "seed %llu: indexed result differs", (unsigned long long)seed);
	for (uint32_t r = 0; r < ctg_rule_set_nb_rules(a); r++) {
		uint64_t pa, ba, pb, bb;

		ctg_rule_counters_get(ca, r, &pa, &ba);
		ctg_rule_counters_get(cb, r, &pb, &bb);
		CTG_ASSERT(pa == pb && ba == bb, "seed %llu rule %u counters", (unsigned long long)seed,
				r);
	}
	ctg_rule_counters_free(ca);
	ctg_rule_counters_free(cb);
	ctg_rule_set_free(a);
	ctg_rule_set_free(b);
	return 0;
}

static void
gen_small(uint64_t *s, int family, struct tpkt *t, void *arg)
{
	(void)arg;
	gen_packet_fam(s, family, t);
}

static int
one_set(uint64_t seed, int nb_rules, int family)
{
	size_t cap = (size_t)nb_rules * 400 + 4096, n = 0;
	char *text = malloc(cap);
	uint64_t s = seed;
	int rc;

	CTG_ASSERT(text != NULL, "malloc");
	n += (size_t)snprintf(text + n, cap - n, "*filter\n:FORWARD %s [0:0]\n:sub - [0:0]\n",
			gen_rand(&s) % 2 ? "DROP" : "ACCEPT");
	for (int i = 0; i < nb_rules; i++)
		n += gen_rule_fam(&s, family, text + n, cap - n, "FORWARD", true);
	for (int i = 0; i < nb_rules / 4 + 4; i++)
		n += gen_rule_fam(&s, family, text + n, cap - n, "sub", false);
	snprintf(text + n, cap - n, "COMMIT\n");
	rc = diff_text(text, family, s, 4000, gen_small, NULL);
	free(text);
	return rc;
}

static int
test_differential(void)
{
	for (uint64_t seed = 1; seed <= 120; seed++) {
		int rc = one_set(seed * 0x9e3779b97f4a7c15ULL, (int)(4 + seed * 7 % 200),
				seed % 3 == 0 ? 6 : 4);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Large sets from wide vocabularies (thousands of /32, /24, /16 prefixes, ranges, ports,
 * port ranges), so that the dimensions have many intervals, first-level buckets hold
 * several, and wide rules get refused dimensions; packets are drawn around the rules'
 * own values.
 */
struct big_vocab {
	uint32_t addr[512];
	uint16_t port[256];
};

static void
gen_big_packet(uint64_t *s, int family, struct tpkt *t, void *arg)
{
	const struct big_vocab *v = arg;
	char sa[64], da[64];
	uint32_t a = v->addr[gen_rand(s) % 512] + gen_rand(s) % 3 - 1;
	uint32_t b = v->addr[gen_rand(s) % 512] + gen_rand(s) % 3 - 1;
	uint16_t sp = (uint16_t)(v->port[gen_rand(s) % 256] + gen_rand(s) % 3 - 1);
	uint16_t dp = (uint16_t)(v->port[gen_rand(s) % 256] + gen_rand(s) % 3 - 1);
	static const enum ctg_ct_state st[] = { CTG_CT_NEW, CTG_CT_ESTABLISHED, CTG_CT_RELATED };

	(void)family;
	snprintf(sa, sizeof(sa), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	snprintf(da, sizeof(da), "%u.%u.%u.%u", b >> 24, (b >> 16) & 255, (b >> 8) & 255, b & 255);
	if (gen_rand(s) % 2)
		tpkt_tcp(t, 4, sa, da, sp, dp, 0x10, 1, 2, 0);
	else
		tpkt_udp(t, 4, sa, da, sp, dp, 0);
	tpkt_conn(t, st[gen_rand(s) % 3], CTG_CT_DIR_ORIG, 0);
}

static int
test_large_mixed(void)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		static struct big_vocab v;
		int nb = 3000;
		size_t cap = (size_t)nb * 200 + 1024, n = 0;
		char *text = malloc(cap);
		uint64_t s = seed * 0x2545f4914f6cdd1dULL;
		int rc;

		CTG_ASSERT(text != NULL, "malloc");
		for (int i = 0; i < 512; i++)
			v.addr[i] = (gen_rand(&s) % 4 ? 0x0a000000u : 0xc6120000u) |
				    (gen_rand(&s) & (seed % 2 ? 0xffffu : 0x3fffu));
		for (int i = 0; i < 256; i++)
			v.port[i] = (uint16_t)(gen_rand(&s) % 2 ? 1 + gen_rand(&s) % 2000
								: gen_rand(&s) % 65536);
		n += (size_t)snprintf(text + n, cap - n, "*filter\n:FORWARD DROP [0:0]\n");
		for (int i = 0; i < nb; i++) {
			uint32_t a = v.addr[gen_rand(&s) % 512], b = v.addr[gen_rand(&s) % 512];
			uint16_t p = v.port[gen_rand(&s) % 256], q = v.port[gen_rand(&s) % 256];
			static const int plen[] = { 32, 32, 24, 16, 28, 8 };
			int sl = plen[gen_rand(&s) % 6], dl = plen[gen_rand(&s) % 6];
			const char *proto = gen_rand(&s) % 2 ? "tcp" : "udp";

			n += (size_t)snprintf(text + n, cap - n, "-A FORWARD");
			switch (gen_rand(&s) % 7) {
			case 0:
				n += (size_t)snprintf(text + n, cap - n, " -s %u.%u.%u.%u/%d",
						a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, sl);
				break;
			case 1:
				n += (size_t)snprintf(text + n, cap - n, " -d %u.%u.%u.%u/%d",
						b >> 24, (b >> 16) & 255, (b >> 8) & 255, b & 255, dl);
				break;
			case 2:
				n += (size_t)snprintf(text + n, cap - n,
						" -m iprange --src-range 10.0.%u.0-10.0.%u.255",
						(a >> 8) & 255,
						((a >> 8) & 255) + gen_rand(&s) % (256 - ((a >> 8) & 255)));
				break;
			default:
				break;
			}
			switch (gen_rand(&s) % 5) {
			case 0:
				n += (size_t)snprintf(text + n, cap - n, " -p %s --dport %u", proto, p);
				break;
			case 1:
				n += (size_t)snprintf(text + n, cap - n, " -p %s --sport %u:%u",
						proto, p < q ? p : q, p < q ? q : p);
				break;
			case 2:
				n += (size_t)snprintf(text + n, cap - n,
						" -p %s -m multiport --dports %u,%u", proto, p, q);
				break;
			case 3:
				n += (size_t)snprintf(text + n, cap - n, " -p %s", proto);
				break;
			default:
				break;
			}
			if (gen_rand(&s) % 5 == 0)
				n += (size_t)snprintf(text + n, cap - n, " -m conntrack --ctstate %s",
						gen_rand(&s) % 2 ? "NEW" : "RELATED");
			n += (size_t)snprintf(text + n, cap - n, " -j %s\n",
					gen_rand(&s) % 3 ? "DROP" : gen_rand(&s) % 2 ? "ACCEPT" : "LOG");
		}
		snprintf(text + n, cap - n,
				"-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n");
		rc = diff_text(text, 4, s, 20000, gen_big_packet, &v);
		free(text);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The classifier must actually be exercised: a large set of exact-key rules. */
static int
test_large_exact(void)
{
	size_t cap = 2000 * 80, n = 0;
	char *text = malloc(cap);
	struct ctg_rule_set *rs = NULL;
	struct ctg_rule_result res;
	char err[256] = "";
	struct tpkt t;

	CTG_ASSERT(text != NULL, "malloc");
	n += (size_t)snprintf(text + n, cap - n, "*filter\n:FORWARD DROP [0:0]\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n,
				"-A FORWARD -d 10.1.%d.%d -p tcp -m tcp --dport %d -j ACCEPT\n",
				i / 250, i % 250, 1000 + i);
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(text + n, cap - n,
				"-A FORWARD -p udp -m udp --dport %d -j ACCEPT\n", 2000 + i);
	snprintf(text + n, cap - n, "COMMIT\n");
	CTG_ASSERT(ctg_rule_set_load_str(text, "big", NULL, &rs, err, sizeof(err)) == 0, "%s", err);
	tpkt_tcp(&t, 4, "10.0.0.1", "10.1.3.99", 1, 1000 + 849, 0x02, 1, 0, 0);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, NULL, 0, &res);
	CTG_ASSERT(res.verdict == CTG_RULE_ACCEPT && res.line == 3 + 849, "line %u", res.line);
	tpkt_tcp(&t, 4, "10.0.0.1", "10.1.3.99", 1, 1000 + 848, 0x02, 1, 0, 0);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, NULL, 0, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	tpkt_udp(&t, 4, "10.0.0.1", "10.1.3.99", 1, 2499, 0);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, NULL, 0, &res);
	CTG_ASSERT(res.verdict == CTG_RULE_ACCEPT && res.line == 3 + 1499, "line %u", res.line);
	ctg_rule_set_free(rs);
	free(text);
	return 0;
}

/* A rule is a candidate once even when its ranges overlap (LOG counts each visit). */
static int
test_overlap(void)
{
	static const char text[] = "*filter\n:FORWARD ACCEPT [0:0]\n"
				   "-A FORWARD -p tcp -m multiport --dports 20:30,25:40,26 -j LOG\n"
				   "-A FORWARD -p tcp -m multiport --sports 1:9,5:6 -j LOG\n"
				   "-A FORWARD -s 10.0.0.0/8 -j LOG\n"
				   "-A FORWARD -m iprange --src-range 10.0.0.0-10.0.0.255 -j LOG\n"
				   "-A FORWARD -m state ! --state NEW -j LOG\n"
				   "-A FORWARD -p tcp -m tcp ! --dport 100 -j LOG\n"
				   "-A FORWARD -d 10.0.0.1 -j DROP\n"
				   "COMMIT\n";
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4 };
	struct ctg_rule_set *rs = NULL;
	struct ctg_rule_result res;
	char err[256] = "";
	struct tpkt t;

	CTG_ASSERT(ctg_rule_set_load_str(text, "ov", &o, &rs, err, sizeof(err)) == 0, "%s", err);
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.1", 5, 26, 0x10, 1, 2, 0);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_ORIG, 0);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, NULL, 0, &res);
	CTG_ASSERT_EQ(res.nb_log, 6);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	for (int i = 0; i < 6; i++)
		CTG_ASSERT_EQ(res.log[i].rule, (uint32_t)i);
	ctg_rule_set_free(rs);
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "indexed evaluation equals linear evaluation (random sets)", test_differential },
	{ "large exact-key set", test_large_exact },
	{ "indexed evaluation equals linear evaluation (large mixed sets)", test_large_mixed },
	{ "overlapping ranges: one visit per rule", test_overlap },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
