/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctgate-burst-check: ctg_pipeline_process_burst() must classify exactly as
 * ctg_pipeline_process() one packet at a time. Runs every frame of the given pcap files
 * through two pipelines with the same settings, one per packet and one in bursts of
 * 1, 2, 3, 7 and 32 frames (each burst shares one clock value, so the per-packet
 * pipeline is given the same one), and compares every outcome field. With --rules the
 * rule set (iptables-save text, IPv4 and IPv6) is applied to both.
 *
 *	ctgate-burst-check [--rules FILE] [--helper ftp:tcp:21 ...] a.pcap b.pcap ...
 *
 * Exit status 0 when every packet agrees, 1 on the first difference (printed).
 */

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"
#include "pcap_link.h"

#define MAX_FRAMES (1u << 20)

struct side {
	struct ctg_pipeline *pl;
	struct ctg_rule_set *rs;
	struct ctg_rule_counters *cnt;
};

static struct ctg_ct_params params;

static int
side_open(struct side *sd, const char *rules, const char **helpers, int nb_helpers)
{
	struct ctg_pipeline_conf pc;

	memset(sd, 0, sizeof(*sd));
	memset(&pc, 0, sizeof(pc));
	pc.ct.capacity = 1u << 16;
	pc.ct.seed = 0x6374676174650001ULL;
	pc.ct_params = &params;
	pc.frag.max_datagrams = 1024;
	pc.frag.max_frags = CTG_FRAG_MAX_FRAGS;
	pc.frag.max_bytes = 4u << 20;
	pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
	pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
	pc.nb_workers = 1;
	sd->pl = ctg_pipeline_create(&pc);
	if (sd->pl == NULL)
		return -1;
	for (int i = 0; i < nb_helpers; i++) {
		char name[16], proto[8];
		unsigned int port;

		if (sscanf(helpers[i], "%15[^:]:%7[^:]:%u", name, proto, &port) != 3)
			return -1;
		ctg_ct_helper_port_add(ctg_pipeline_ct(sd->pl), ctg_ct_helper_by_name(name),
				strcmp(proto, "tcp") == 0 ? 6 : 17, (uint16_t)port);
	}
	if (rules != NULL) {
		struct ctg_rule_load_opts lo = { .family = CTG_RULE_FAMILY_IPV4,
			.ignore_interfaces = true };
		char err[512] = "";

		if (ctg_rule_set_load_file(rules, &lo, &sd->rs, err, sizeof(err)) != 0) {
			fprintf(stderr, "ctgate-burst-check: %s: %s\n", rules, err);
			return -1;
		}
		sd->cnt = ctg_rule_counters_create(sd->rs);
		ctg_pipeline_set_rules(sd->pl, sd->rs, sd->cnt);
	}
	return 0;
}

static void
side_close(struct side *sd)
{
	ctg_pipeline_destroy(sd->pl);
	ctg_rule_counters_free(sd->cnt);
	ctg_rule_set_free(sd->rs);
}

#define SAME(f)                                                                          \
	do {                                                                             \
		if (a->f != b->f) {                                                      \
			fprintf(stderr, "%s: frame %" PRIu64 " (burst %u): " #f          \
					" %" PRIu64 " (one by one) != %" PRIu64 " (burst)\n",    \
					file, idx, burst, (uint64_t)a->f, (uint64_t)b->f);      \
			return false;                                                    \
		}                                                                        \
	} while (0)

static bool
same(const char *file, uint64_t idx, unsigned int burst, const struct ctg_pipeline_out *a,
		const struct ctg_pipeline_out *b)
{
	SAME(verdict);
	SAME(drop);
	SAME(pkt_status);
	SAME(pkt_drop_reason);
	SAME(frag_status);
	SAME(frag_reason);
	SAME(rule_verdict);
	SAME(rules_ran);
	SAME(owner);
	SAME(zone);
	SAME(ct.state);
	SAME(ct.dir);
	SAME(ct.reason);
	SAME(ct.flags);
	SAME(ct.conn);
	SAME(conn_id);
	SAME(conn_tcp_state);
	SAME(conn_gone);
	SAME(helper_drop);
	SAME(conn_status);
	SAME(mark);
	SAME(nb_frag_cookies);
	SAME(max_frag_len);
	SAME(nb_discarded);
	SAME(duplicate_of);
	SAME(dgram_len);
	SAME(reject_len);
	SAME(nb_log);
	if ((a->conn_l4_state == NULL) != (b->conn_l4_state == NULL) ||
			(a->conn_l4_state != NULL &&
					strcmp(a->conn_l4_state, b->conn_l4_state) != 0)) {
		fprintf(stderr, "%s: frame %" PRIu64 ": l4 state differs\n", file, idx);
		return false;
	}
	if (a->reject_len != 0 && memcmp(a->reject, b->reject, a->reject_len) != 0) {
		fprintf(stderr, "%s: frame %" PRIu64 ": reject packet differs\n", file, idx);
		return false;
	}
	return true;
}

static int
check_file(const char *file, const char *rules, const char **helpers, int nb_helpers,
		unsigned int burst)
{
	static struct ctg_pipeline_pkt in[MAX_FRAMES];
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct side one, many;
	uint64_t n = 0, now = CTG_NS_PER_S;
	pcap_t *pc;
	int link, rc = 0;

	pc = pcap_open_offline(file, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "ctgate-burst-check: %s: %s\n", file, errbuf);
		return 1;
	}
	link = ctg_pcap_link(pcap_datalink(pc));
	if (link < 0) {
		pcap_close(pc);
		return 0; /* not a link type the pipeline reads */
	}
	while (n < MAX_FRAMES && pcap_next_ex(pc, &h, &data) == 1) {
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);

		memcpy(copy, data, h->caplen);
		in[n] = (struct ctg_pipeline_pkt){ .data = copy, .len = h->caplen,
			.link = (uint8_t)link, .out_port = 1, .cookie = n + 1 };
		n++;
	}
	pcap_close(pc);
	if (side_open(&one, rules, helpers, nb_helpers) != 0 ||
			side_open(&many, rules, helpers, nb_helpers) != 0) {
		fprintf(stderr, "ctgate-burst-check: cannot create the pipelines\n");
		return 1;
	}
	for (uint64_t i = 0; i < n && rc == 0;) {
		struct ctg_pipeline_out outs[CTG_PIPELINE_BURST];
		uint16_t want = (uint16_t)(n - i < burst ? n - i : burst);
		uint16_t got;

		now += 100 * 1000;
		got = ctg_pipeline_process_burst(many.pl, &in[i], want, now, outs);
		if (got == 0 || got > want) {
			fprintf(stderr, "%s: burst returned %u of %u\n", file, got, want);
			rc = 1;
			break;
		}
		for (uint16_t k = 0; k < got; k++) {
			struct ctg_pipeline_out o;

			ctg_pipeline_process(one.pl, &in[i + k], now, &o);
			if (!same(file, i + k + 1, burst, &o, &outs[k])) {
				rc = 1;
				break;
			}
		}
		i += got;
	}
	if (rc == 0 && ctg_ct_count(ctg_pipeline_ct(one.pl)) !=
			ctg_ct_count(ctg_pipeline_ct(many.pl))) {
		fprintf(stderr, "%s: tables differ in size at the end\n", file);
		rc = 1;
	}
	side_close(&one);
	side_close(&many);
	for (uint64_t i = 0; i < n; i++)
		free((void *)(uintptr_t)in[i].data);
	return rc;
}

int
main(int argc, char **argv)
{
	static const unsigned int bursts[] = { 1, 2, 3, 7, 32 };
	const char *helpers[8];
	const char *rules = NULL;
	int nb_helpers = 0, nb_files = 0;

	ctg_param_defaults(&ctg_ct_param_table, &params);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
			rules = argv[++i];
		} else if (strcmp(argv[i], "--helper") == 0 && i + 1 < argc && nb_helpers < 8) {
			helpers[nb_helpers++] = argv[++i];
		} else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "usage: ctgate-burst-check [--rules FILE] "
					"[--helper NAME:PROTO:PORT] FILE.pcap...\n");
			return 2;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rules") == 0 || strcmp(argv[i], "--helper") == 0) {
			i++;
			continue;
		}
		for (size_t b = 0; b < sizeof(bursts) / sizeof(bursts[0]); b++)
			if (check_file(argv[i], rules, helpers, nb_helpers, bursts[b]) != 0)
				return 1;
		nb_files++;
	}
	printf("ctgate-burst-check: %d files agree in bursts of 1, 2, 3, 7 and 32\n", nb_files);
	return 0;
}
