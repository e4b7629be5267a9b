/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark: nanoseconds per FORWARD evaluation with 10 and with 10,000 rules, with
 * the classifier and with the linear walk. Printed, not asserted (suite 'perf').
 * Rules: "-d <host> -p tcp --dport <port> -j ACCEPT" style service rules plus a few
 * stateful ones, the shape of a real large ruleset; packets hit random rules or none.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctg_rule.h"
#include "rule_gen.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static char *
make_rules(int n)
{
	size_t cap = (size_t)n * 100 + 1024, len = 0;
	char *t = malloc(cap);

	len += (size_t)snprintf(t + len, cap - len,
			"*filter\n:FORWARD DROP [0:0]\n"
			"-A FORWARD -m conntrack --ctstate INVALID -j DROP\n"
			"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	for (int i = 0; i < n - 2; i++) {
		if (i % 3 == 0)
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -d 10.%d.%d.%d -p tcp -m tcp --dport 443 -j ACCEPT\n",
					(i >> 16) & 255, (i >> 8) & 255, i & 255);
		else if (i % 3 == 1)
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -p udp -m udp --dport %d -j ACCEPT\n", 1024 + i);
		else
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -s 172.16.%d.%d -j DROP\n", (i >> 8) & 255, i & 255);
	}
	snprintf(t + len, cap - len, "COMMIT\n");
	return t;
}

static double
run(int nb_rules, bool linear, int iters)
{
	char *text = make_rules(nb_rules);
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4, .linear = linear };
	struct ctg_rule_set *rs = NULL;
	struct ctg_rule_counters *cnt;
	struct tpkt *pk = calloc(256, sizeof(*pk));
	char err[256];
	uint64_t s = 42, t0, sink = 0;

	if (ctg_rule_set_load_str(text, "bench", &o, &rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "load: %s\n", err);
		exit(1);
	}
	cnt = ctg_rule_counters_create(rs);
	for (int i = 0; i < 256; i++) {
		char d[32];
		int r = (int)(gen_rand(&s) % (uint32_t)nb_rules);

		snprintf(d, sizeof(d), "10.%d.%d.%d", (r >> 16) & 255, (r >> 8) & 255, r & 255);
		if (i % 2)
			tpkt_tcp(&pk[i], 4, "192.0.2.1", d, 40000, 443, 0x02, 1, 0, 0);
		else
			tpkt_udp(&pk[i], 4, "192.0.2.1", "198.51.100.1", 5000,
					(uint16_t)(1024 + gen_rand(&s) % (uint32_t)(nb_rules + 100)), 0);
		tpkt_conn(&pk[i], CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	}
	t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		struct ctg_rule_result res;

		ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &pk[i & 255].rp, cnt, 0, &res);
		sink += res.verdict;
	}
	t0 = now_ns() - t0;
	if (sink == UINT64_MAX)
		printf("!");
	ctg_rule_counters_free(cnt);
	ctg_rule_set_free(rs);
	free(pk);
	free(text);
	return (double)t0 / iters;
}

int
main(void)
{
	int sizes[] = { 10, 100, 1000, 10000 };

	printf("%8s %14s %14s\n", "rules", "indexed ns/pkt", "linear ns/pkt");
	for (size_t i = 0; i < CTG_ARRAY_SIZE(sizes); i++) {
		int it = sizes[i] >= 10000 ? 20000 : 200000;

		printf("%8d %14.1f %14.1f\n", sizes[i], run(sizes[i], false, 200000),
				run(sizes[i], true, it));
	}
	return 0;
}
