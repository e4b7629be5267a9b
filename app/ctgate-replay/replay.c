/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctgate-replay: runs a pcap through the pipeline the appliance workers run and prints
 * one line per frame with the kernel oracle's columns (../shared/oracle/README.md):
 *   idx verdict dir ct l4state status [rule-verdict] | packet | notes
 * Options mirror the oracle's. Time comes from the capture (--timing pcap, gaps capped
 * by --max-gap as the oracle sleeps them) or advances 1 us per frame (--timing fast,
 * the oracle's back-to-back replay), so every run is deterministic.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"
#include "pcap_link.h"

#define MAX_CONN_NAMES (1u << 20)

struct replay {
	struct ctg_ct_params params;
	struct ctg_pipeline *pl;
	struct ctg_rule_set *rules;
	struct ctg_rule_counters *rule_cnt;
	const char *rules_file;
	const char *rules6_file;
	bool timing_pcap;
	bool print_table;
	uint64_t max_gap_ns;
	/* conn id -> cN, numbered by first appearance */
	uint32_t *names;
	uint32_t nb_names;
	uint64_t counts[16];
	uint64_t rule_counts[3];
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ctgate-replay [options] FILE.pcap\n"
		"  --tcp-loose 0|1            nf_conntrack_tcp_loose (default 1)\n"
		"  --tcp-be-liberal 0|1       nf_conntrack_tcp_be_liberal (default 0)\n"
		"  --tcp-ignore-invalid-rst 0|1\n"
		"  --checksum 0|1             nf_conntrack_checksum (default 1)\n"
		"  --sysctl nf_conntrack_NAME=VALUE   any conntrack tunable (repeatable)\n"
		"  --timing fast|pcap         back-to-back (default) or the capture's clock\n"
		"  --max-gap SECONDS          cap of one gap with --timing pcap (default 5)\n"
		"  --rules FILE               iptables-save ruleset (7th column: FORWARD verdict)\n"
		"  --rules6 FILE              ip6tables-save ruleset for IPv6\n"
		"  --table                    print the final connection table\n"
		"  --helper NAME:PROTO:PORT   attach a helper (ftp:tcp:21, tftp:udp:69) to new conns\n"
		"  --help\n");
}

static int
set_param(struct replay *r, const char *name, const char *value)
{
	int rc = ctg_param_set(&ctg_ct_param_table, &r->params, name, value);

	if (rc == -ENOENT)
		fprintf(stderr, "ctgate-replay: unknown tunable '%s'\n", name);
	else if (rc == -EINVAL)
		fprintf(stderr, "ctgate-replay: '%s' is not a number for %s\n", value, name);
	else if (rc == -ERANGE)
		fprintf(stderr, "ctgate-replay: %s=%s is out of range\n", name, value);
	return rc;
}

static uint32_t
conn_name(struct replay *r, uint32_t id)
{
	/* Ids are sequential from 1 in a single shard. */
	if (id == 0 || id >= MAX_CONN_NAMES)
		return 0;
	if (r->names[id] == 0)
		r->names[id] = ++r->nb_names;
	return r->names[id];
}

static void
summarize(const struct ctg_pipeline_out *o, const uint8_t *frame, uint32_t len, int link,
		FILE *f)
{
	struct ctg_pkt p;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (ctg_pkt_parse(frame, len, (enum ctg_pkt_link)link, &p) != CTG_PKT_OK) {
		fprintf(f, "%s", o->pkt_status == CTG_PKT_NOT_IP ? "non-IP frame" :
									  "malformed IP");
		return;
	}
	inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.l3 + (p.family == 4 ? 12 : 8), a,
			sizeof(a));
	inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.l3 + (p.family == 4 ? 16 : 24), b,
			sizeof(b));
	fprintf(f, "ip%s %s > %s proto %u len %u", p.family == 4 ? "" : "6", a, b, p.proto,
			p.len);
	if (p.frag)
		fprintf(f, " frag id=%u off=%u%s", p.frag_id, p.frag_off, p.frag_mf ? " MF" : "");
}

static void
print_line(struct replay *r, uint64_t idx, const struct ctg_pipeline_out *o,
		const uint8_t *frame, uint32_t len, int link)
{
	const char *verdict, *dir = "-", *l4 = "-", *rule = "-";
	char ct[24] = "-", status[96] = "-", note[160] = "";

	switch ((enum ctg_pipeline_verdict)o->verdict) {
	case CTG_PL_BYPASS:
		verdict = "SKIPPED";
		break;
	case CTG_PL_HELD:
		verdict = "FRAG_HELD";
		break;
	case CTG_PL_HANDOFF:
	case CTG_PL_VERDICT_COUNT:
		verdict = "HANDOFF";
		break;
	case CTG_PL_DROP:
		if (o->drop == CTG_PL_DROP_IP_INPUT || o->drop == CTG_PL_DROP_RAW_RULES ||
				o->drop == CTG_PL_DROP_CT) {
			verdict = "DROPPED";
			if (o->drop == CTG_PL_DROP_IP_INPUT)
				snprintf(note, sizeof(note), "ip input: %s",
						ctg_pkt_drop_reason_str(o->pkt_drop_reason));
			else
				snprintf(note, sizeof(note), "%s",
						ctg_pipeline_drop_str(o->drop));
			break;
		}
		if (o->drop == CTG_PL_DROP_FRAG) {
			verdict = "FRAG_HELD";
			snprintf(note, sizeof(note), "defrag: %s",
					ctg_frag_reason_str(o->frag_reason));
			break;
		}
		/* fall through: dropped by the rules after tracking */
		/* FALLTHROUGH */
	case CTG_PL_FORWARD:
	default:
		verdict = ctg_ct_state_str(o->ct.state);
		break;
	}
	if (o->rules_ran == 1 || o->rules_ran == 2)
		rule = ctg_rule_verdict_str(o->rule_verdict);

	bool tracked = (o->verdict == CTG_PL_FORWARD || o->verdict == CTG_PL_DROP) &&
			o->drop != CTG_PL_DROP_IP_INPUT && o->drop != CTG_PL_DROP_FRAG &&
			o->drop != CTG_PL_DROP_RAW_RULES && o->drop != CTG_PL_DROP_CT;
	if (tracked && o->ct.conn != CTG_CT_NO_CONN) {
		bool noted = (o->ct.flags & CTG_CT_RES_NOT_ATTACHED) != 0;
		bool unconfirmed_gone = (o->ct.flags & CTG_CT_RES_UNCONFIRMED) && o->conn_gone;

		if (!unconfirmed_gone) {
			uint32_t n = conn_name(r, o->conn_id);

			snprintf(ct, sizeof(ct), noted ? "(c%u)" : "c%u", n);
			if (!o->conn_gone) {
				if (o->conn_l4_state != NULL)
					l4 = o->conn_l4_state;
				ctg_ct_status_str(o->conn_status, status, sizeof(status));
			} else {
				snprintf(note, sizeof(note), "entry c%u destroyed by this very packet",
						n);
			}
		} else {
			snprintf(note, sizeof(note), "not confirmed: %s",
					ctg_pipeline_drop_str(o->drop));
		}
		if (!noted)
			dir = o->ct.dir == CTG_CT_DIR_ORIG ? "orig" : "reply";
	}
	if (tracked && o->ct.state == CTG_CT_INVALID && note[0] == '\0')
		snprintf(note, sizeof(note), "ctgate: %s", ctg_ct_reason_str(o->ct.reason));
	if (o->nb_frag_cookies > 1) {
		size_t n = strlen(note);

		snprintf(note + n, sizeof(note) - n, "%sreassembled datagram of %u fragments, total len %u",
				n ? "; " : "", o->nb_frag_cookies, o->dgram_len);
	}

	printf("%" PRIu64 "\t%s\t%s\t%s\t%s\t%s", idx, verdict, dir, ct, l4, status);
	if (r->rules != NULL) {
		printf("\t%s", rule);
		r->rule_counts[strcmp(rule, "ACCEPT") == 0 ? 0 : strcmp(rule, "DROP") == 0 ? 1 : 2]++;
	}
	printf("\t| ");
	summarize(o, frame, len, link, stdout);
	if (note[0])
		printf(" | %s", note);
	printf("\n");
}

struct table_ctx {
	struct replay *r;
	uint64_t now;
};

static int
print_conn(const struct ctg_ct_conn *c, uint32_t idx, void *arg)
{
	struct table_ctx *t = arg;

	(void)idx;
	printf("c%u\t", conn_name(t->r, c->id));
	ctg_ct_conn_print(c, t->now, stdout);
	printf("\n");
	return 0;
}

static int
load_rules(struct replay *r, char *err, size_t errlen)
{
	struct ctg_rule_load_opts opts = {
		.family = CTG_RULE_FAMILY_AUTO,
		.ignore_interfaces = true,
	};
	int rc;

	if (r->rules_file == NULL && r->rules6_file == NULL)
		return 0;
	if (r->rules_file != NULL) {
		opts.file6 = r->rules6_file;
		rc = ctg_rule_set_load_file(r->rules_file, &opts, &r->rules, err, errlen);
	} else {
		opts.family = CTG_RULE_FAMILY_IPV6;
		rc = ctg_rule_set_load_file(r->rules6_file, &opts, &r->rules, err, errlen);
	}
	if (rc != 0)
		return rc;
	r->rule_cnt = ctg_rule_counters_create(r->rules);
	if (r->rule_cnt == NULL)
		return -ENOMEM;
	ctg_pipeline_set_rules(r->pl, r->rules, r->rule_cnt);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tcp-loose", required_argument, NULL, 'l' },
		{ "tcp-be-liberal", required_argument, NULL, 'b' },
		{ "tcp-ignore-invalid-rst", required_argument, NULL, 'i' },
		{ "checksum", required_argument, NULL, 'c' },
		{ "sysctl", required_argument, NULL, 's' },
		{ "timing", required_argument, NULL, 't' },
		{ "max-gap", required_argument, NULL, 'g' },
		{ "rules", required_argument, NULL, 'r' },
		{ "rules6", required_argument, NULL, '6' },
		{ "table", no_argument, NULL, 'T' },
		{ "helper", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay r = { .max_gap_ns = 5 * CTG_NS_PER_S };
	struct {
		uint8_t helper;
		uint8_t proto;
		uint16_t port;
	} helpers[8];
	unsigned int nb_helpers = 0;
	struct ctg_pipeline_conf pc = { 0 };
	char errbuf[PCAP_ERRBUF_SIZE > 512 ? PCAP_ERRBUF_SIZE : 512];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t idx = 0, now = CTG_NS_PER_S, last_ts = 0;
	pcap_t *pc_in;
	int opt, link, rc;

	ctg_param_defaults(&ctg_ct_param_table, &r.params);
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *eq;

		switch (opt) {
		case 'l':
			rc = set_param(&r, "nf_conntrack_tcp_loose", optarg);
			break;
		case 'b':
			rc = set_param(&r, "nf_conntrack_tcp_be_liberal", optarg);
			break;
		case 'i':
			rc = set_param(&r, "nf_conntrack_tcp_ignore_invalid_rst", optarg);
			break;
		case 'c':
			rc = set_param(&r, "nf_conntrack_checksum", optarg);
			break;
		case 's':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr, "ctgate-replay: --sysctl wants NAME=VALUE\n");
				return 2;
			}
			*eq = '\0';
			if (strncmp(optarg, "net.netfilter.", 14) == 0)
				optarg += 14;
			rc = set_param(&r, optarg, eq + 1);
			break;
		case 't':
			rc = 0;
			if (strcmp(optarg, "pcap") == 0)
				r.timing_pcap = true;
			else if (strcmp(optarg, "fast") != 0)
				rc = -EINVAL;
			if (rc)
				fprintf(stderr, "ctgate-replay: --timing fast|pcap\n");
			break;
		case 'g': {
			char *end;
			double g = strtod(optarg, &end);

			rc = 0;
			if (*end != '\0' || g < 0) {
				fprintf(stderr, "ctgate-replay: bad --max-gap '%s'\n", optarg);
				rc = -EINVAL;
			}
			r.max_gap_ns = (uint64_t)(g * 1e9);
			break;
		}
		case 'r':
			r.rules_file = optarg;
			rc = 0;
			break;
		case '6':
			r.rules6_file = optarg;
			rc = 0;
			break;
		case 'T':
			r.print_table = true;
			rc = 0;
			break;
		case 'H': {
			char name[16], proto[8];
			unsigned int port;

			rc = -EINVAL;
			if (sscanf(optarg, "%15[^:]:%7[^:]:%u", name, proto, &port) == 3 &&
					ctg_ct_helper_by_name(name) != CTG_CT_HELPER_NONE &&
					(strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) &&
					port > 0 && port < 65536 &&
					nb_helpers < 8) {
				helpers[nb_helpers].helper = (uint8_t)ctg_ct_helper_by_name(name);
				helpers[nb_helpers].proto = strcmp(proto, "tcp") == 0 ? 6 : 17;
				helpers[nb_helpers].port = (uint16_t)port;
				nb_helpers++;
				rc = 0;
			} else {
				fprintf(stderr, "ctgate-replay: --helper ftp:tcp:PORT or tftp:udp:PORT (got '%s')\n",
						optarg);
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (rc != 0)
			return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}

	pc_in = pcap_open_offline(argv[optind], errbuf);
	if (pc_in == NULL) {
		fprintf(stderr, "ctgate-replay: %s: %s\n", argv[optind], errbuf);
		return 1;
	}
	link = ctg_pcap_link(pcap_datalink(pc_in));
	if (link < 0) {
		fprintf(stderr, "ctgate-replay: %s: unsupported link type %s\n", argv[optind],
				pcap_datalink_val_to_name(pcap_datalink(pc_in)));
		pcap_close(pc_in);
		return 1;
	}

	pc.ct.capacity = (uint32_t)CTG_MIN(r.params.max, 1u << 22);
	pc.ct.seed = 0x6374676174650001ULL;
	pc.ct_params = &r.params;
	pc.frag.max_datagrams = 1024;
	pc.frag.max_frags = CTG_FRAG_MAX_FRAGS;
	pc.frag.max_bytes = 4u << 20;
	pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
	pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
	pc.nb_workers = 1;
	pc.router_ttl = true; /* the oracle is a router: FORWARD sees TTL - 1 */
	r.pl = ctg_pipeline_create(&pc);
	r.names = calloc(MAX_CONN_NAMES, sizeof(*r.names));
	if (r.pl == NULL || r.names == NULL) {
		fprintf(stderr, "ctgate-replay: cannot create the pipeline: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned int i = 0; i < nb_helpers; i++)
		ctg_ct_helper_port_add(ctg_pipeline_ct(r.pl), (enum ctg_ct_helper)helpers[i].helper,
				helpers[i].proto, helpers[i].port);
	if (load_rules(&r, errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "ctgate-replay: %s\n", errbuf);
		return 2;
	}

	printf("# ctgate-replay %s: ctgate classification of %s\n", "0.1", argv[optind]);
	printf("# settings: checksum=%" PRIu64 " tcp_be_liberal=%" PRIu64
	       " tcp_ignore_invalid_rst=%" PRIu64 " tcp_loose=%" PRIu64 "\n",
			r.params.checksum, r.params.tcp_be_liberal, r.params.tcp_ignore_invalid_rst,
			r.params.tcp_loose);
	printf("# timing: %s\n", r.timing_pcap ? "pcap" : "fast");
	if (r.rules != NULL)
		printf("# ruleset: %s%s%s\n", r.rules_file ? r.rules_file : "",
				r.rules6_file ? " ruleset6: " : "", r.rules6_file ? r.rules6_file : "");
	printf("# columns: idx verdict dir ct l4state status%s | packet | notes\n",
			r.rules ? " rule-verdict" : "");

	while ((rc = pcap_next_ex(pc_in, &h, &data)) == 1) {
		struct ctg_pipeline_pkt in = {
			.data = data,
			.len = h->caplen,
			.link = (uint8_t)link,
			.in_port = 0,
			.out_port = 1,
		};
		struct ctg_pipeline_out out;
		uint64_t ts = (uint64_t)h->ts.tv_sec * CTG_NS_PER_S + (uint64_t)h->ts.tv_usec * 1000;

		idx++;
		if (r.timing_pcap) {
			if (idx > 1 && ts > last_ts)
				now += CTG_MIN(ts - last_ts, r.max_gap_ns);
			last_ts = ts;
		}
		now += 1000; /* the oracle's lock-step replay takes time too */
		in.cookie = idx;
		/* Reassembly timeouts and expired connections go first, as in the kernel. */
		ctg_pipeline_expire(r.pl, now, 64, NULL, NULL);
		ctg_pipeline_process(r.pl, &in, now, &out);
		print_line(&r, idx, &out, data, h->caplen, link);
	}
	if (rc == -1) {
		fprintf(stderr, "ctgate-replay: %s: %s\n", argv[optind], pcap_geterr(pc_in));
		pcap_close(pc_in);
		return 1;
	}
	if (r.print_table) {
		struct table_ctx t = { &r, now };

		printf("# conntrack table after the last packet\n");
		ctg_ct_foreach(ctg_pipeline_ct(r.pl), print_conn, &t);
	}
	{
		const struct ctg_pipeline_stats *st = ctg_pipeline_stats_get(r.pl);

		printf("# summary: %" PRIu64 " packets: forwarded=%" PRIu64 " dropped=%" PRIu64
		       " held=%" PRIu64 " skipped=%" PRIu64 "\n",
				idx, st->verdicts[CTG_PL_FORWARD], st->verdicts[CTG_PL_DROP],
				st->verdicts[CTG_PL_HELD], st->verdicts[CTG_PL_BYPASS]);
		if (r.rules)
			printf("# rule-verdicts: ACCEPT=%" PRIu64 " DROP=%" PRIu64 " -=%" PRIu64 "\n",
					r.rule_counts[0], r.rule_counts[1], r.rule_counts[2]);
	}
	pcap_close(pc_in);
	ctg_rule_counters_free(r.rule_cnt);
	ctg_rule_set_free(r.rules);
	ctg_pipeline_destroy(r.pl);
	free(r.names);
	return 0;
}
