/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential property test of the classifier: for random rulesets and random packets,
 * evaluation with the index gives exactly what the plain linear walk (load option
 * .linear) gives: verdict, rule, flags, marks, LOG hits and every rule counter.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"
#include "ctg_test.h"
#include "rule_gen.h"

static int
one_set(uint64_t seed, int nb_rules)
{
	size_t cap = (size_t)nb_rules * 200 + 1024, n = 0;
	char *text = malloc(cap);
	uint64_t s = seed;
	struct ctg_rule_load_opts lin = { .family = CTG_RULE_FAMILY_IPV4, .linear = true };
	struct ctg_rule_load_opts idx = { .family = CTG_RULE_FAMILY_IPV4 };
	struct ctg_rule_set *a = NULL, *b = NULL;
	struct ctg_rule_counters *ca, *cb;
	char err[256] = "";

	CTG_ASSERT(text != NULL, "malloc");
	n += (size_t)snprintf(text + n, cap - n, "*filter\n:FORWARD %s [0:0]\n:sub - [0:0]\n",
			gen_rand(&s) % 2 ? "DROP" : "ACCEPT");
	for (int i = 0; i < nb_rules; i++)
		n += gen_rule(&s, text + n, cap - n, "FORWARD", true);
	for (int i = 0; i < nb_rules / 4 + 4; i++)
		n += gen_rule(&s, text + n, cap - n, "sub", false);
	snprintf(text + n, cap - n, "COMMIT\n");
	CTG_ASSERT(ctg_rule_set_load_str(text, "lin", &lin, &a, err, sizeof(err)) == 0, "%s", err);
	CTG_ASSERT(ctg_rule_set_load_str(text, "idx", &idx, &b, err, sizeof(err)) == 0, "%s", err);
	ca = ctg_rule_counters_create(a);
	cb = ctg_rule_counters_create(b);
	for (int i = 0; i < 2000; i++) {
		struct tpkt t;
		struct ctg_rule_result ra, rb;

		gen_packet(&s, &t);
		ctg_rule_eval(a, CTG_RULE_FILTER_FORWARD, &t.rp, ca, 0, &ra);
		ctg_rule_eval(b, CTG_RULE_FILTER_FORWARD, &t.rp, cb, 0, &rb);
		CTG_ASSERT(ra.verdict == rb.verdict && ra.rule == rb.rule && ra.flags == rb.flags &&
				ra.mark == rb.mark && ra.nb_log == rb.nb_log,
				"seed %llu packet %d: linear %d/%u/%x, indexed %d/%u/%x",
				(unsigned long long)seed, i, ra.verdict, ra.rule, ra.flags, rb.verdict,
				rb.rule, rb.flags);
		for (int k = 0; k < ra.nb_log; k++)
			CTG_ASSERT_EQ(ra.log[k].rule, rb.log[k].rule);
	}
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
	free(text);
	return 0;
}

static int
test_differential(void)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		int rc = one_set(seed * 0x9e3779b97f4a7c15ULL, (int)(4 + seed * 7 % 200));

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

static const struct ctg_test_case cases[] = {
	{ "indexed evaluation equals linear evaluation (random sets)", test_differential },
	{ "large exact-key set", test_large_exact },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
