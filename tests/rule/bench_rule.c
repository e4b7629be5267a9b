/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark: nanoseconds per FORWARD evaluation with 10 to 10,000 rules, with the
 * classifier and with the linear walk. Printed, not asserted (suite 'perf'). Time is the
 * thread's CPU time, so that a busy machine does not count other processes.
 *   services  "-d <host> -p tcp --dport <port> -j ACCEPT" style service rules plus a few
 *             stateful ones; packets (NEW) hit random rules or none.
 *   ctgate-bench  the ruleset of ctgate-bench's rules-R workload (/32 and /24 sources,
 *             /32 destinations, port ranges, --ctstate NEW, then ESTABLISHED,RELATED
 *             ACCEPT) and its traffic: established 10.x <-> 172.16.x flows, both
 *             directions, so every packet reaches the last rule.
 * Also prints the classifier's memory for the FORWARD chain (internal header).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctg_rule.h"
#include "rule_gen.h"

#define CTG_RULE_INTERNAL
#include "rule_private.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

/* ctgate-bench's ruleset_text() (app/ctgate-bench/bench.c), kept in step by hand. */
static char *
make_bench_rules(int nb_rules)
{
	size_t cap = 256 + (size_t)nb_rules * 160, len = 0;
	char *t = malloc(cap);

	len += (size_t)snprintf(t + len, cap - len,
			"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (uint32_t i = 0; i + 1 < (uint32_t)nb_rules; i++) {
		uint32_t a = i & 0xff, c = (i >> 8) & 0xff;

		switch (i % 5) {
		case 0:
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -s 192.0.2.%u/32 -d 198.51.100.%u/32 -p tcp -m tcp "
					"--dport %u -j ACCEPT\n",
					a, c, 1000 + i % 50000);
			break;
		case 1:
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -s 198.18.%u.0/24 -p udp -m udp --dport %u -j DROP\n",
					a, 1000 + i % 50000);
			break;
		case 2:
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -d 203.0.%u.%u/32 -p tcp -m tcp --dport 22 "
					"-m conntrack --ctstate NEW -j ACCEPT\n",
					c, a);
			break;
		case 3:
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -s 100.%u.%u.0/24 -d 192.0.2.0/24 -j DROP\n",
					64 + c % 64, a);
			break;
		default:
			len += (size_t)snprintf(t + len, cap - len,
					"-A FORWARD -p tcp -m tcp --sport %u:%u --dport 7 -j DROP\n",
					1 + i % 60000, 2 + i % 60000);
			break;
		}
	}
	snprintf(t + len, cap - len,
			"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n");
	return t;
}

#define NB_PKTS 4096

static void
packets_services(struct tpkt *pk, int nb_rules)
{
	uint64_t s = 42;

	for (int i = 0; i < NB_PKTS; i++) {
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
}

/* ctgate-bench's flow_make(): client 10.x, server 172.16.x, half TCP 443, half UDP 53. */
static void
packets_bench(struct tpkt *pk, int nb_rules)
{
	(void)nb_rules;
	for (uint32_t i = 0; i < NB_PKTS; i++) {
		uint32_t f = i / 2 * 2654435761u % 10000;
		uint64_t h = (uint64_t)f * 0x9e3779b97f4a7c15ULL;
		uint32_t cip = 0x0a000000u | (f & 0xffffffu);
		uint32_t sip = 0xac100000u | (uint32_t)((h >> 40) & 0xffffu);
		uint16_t cport = (uint16_t)(1024 + (h >> 20) % 60000);
		bool tcp = f % 2, reply = i % 2;
		char c[32], sv[32];

		snprintf(c, sizeof(c), "%u.%u.%u.%u", cip >> 24, (cip >> 16) & 255, (cip >> 8) & 255,
				cip & 255);
		snprintf(sv, sizeof(sv), "%u.%u.%u.%u", sip >> 24, (sip >> 16) & 255,
				(sip >> 8) & 255, sip & 255);
		if (tcp)
			tpkt_tcp(&pk[i], 4, reply ? sv : c, reply ? c : sv, reply ? 443 : cport,
					reply ? cport : 443, 0x10, 1, 2, 0);
		else
			tpkt_udp(&pk[i], 4, reply ? sv : c, reply ? c : sv, reply ? 53 : cport,
					reply ? cport : 53, 18);
		tpkt_conn(&pk[i], CTG_CT_ESTABLISHED, reply ? CTG_CT_DIR_REPLY : CTG_CT_DIR_ORIG, 0);
	}
}

static double
run(char *(*rules)(int), void (*pkts)(struct tpkt *, int), int nb_rules, bool linear, int iters,
		size_t *mem)
{
	char *text = rules(nb_rules);
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4, .linear = linear };
	struct ctg_rule_set *rs = NULL;
	struct ctg_rule_counters *cnt;
	struct tpkt *pk = calloc(NB_PKTS, sizeof(*pk));
	char err[256];
	uint64_t t0, sink = 0;

	if (pk == NULL || ctg_rule_set_load_str(text, "bench", &o, &rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "load: %s\n", err);
		exit(1);
	}
	if (mem != NULL) {
		*mem = 0;
		for (uint32_t c = 0; c < rs->nb_chains; c++)
			*mem += rs->chains[c].idx.mem;
	}
	cnt = ctg_rule_counters_create(rs);
	pkts(pk, nb_rules);
	for (int i = 0; i < NB_PKTS; i++) {
		struct ctg_rule_result res;

		ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &pk[i].rp, cnt, 0, &res);
	}
	t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		struct ctg_rule_result res;

		ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &pk[i & (NB_PKTS - 1)].rp, cnt, 0, &res);
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
	static const struct {
		const char *name;
		char *(*rules)(int);
		void (*pkts)(struct tpkt *, int);
	} sets[] = {
		{ "services", make_rules, packets_services },
		{ "ctgate-bench", make_bench_rules, packets_bench },
	};
	int sizes[] = { 10, 100, 1000, 10000 };

	for (size_t k = 0; k < CTG_ARRAY_SIZE(sets); k++) {
		printf("%-13s %8s %14s %14s %12s\n", sets[k].name, "rules", "indexed ns/pkt",
				"linear ns/pkt", "index bytes");
		for (size_t i = 0; i < CTG_ARRAY_SIZE(sizes); i++) {
			int it = sizes[i] >= 10000 ? 20000 : sizes[i] >= 1000 ? 100000 : 400000;
			size_t mem = 0;
			double ix = run(sets[k].rules, sets[k].pkts, sizes[i], false, 2000000, &mem);

			printf("%-13s %8d %14.1f %14.1f %12zu\n", "", sizes[i], ix,
					run(sets[k].rules, sets[k].pkts, sizes[i], true, it, NULL), mem);
		}
	}
	return 0;
}
