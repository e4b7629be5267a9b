/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The connection table on the console (conntrack-tools' vocabulary): show conntrack
 *	[filters] (`conntrack -L -o extended`), count, get (by tuple), delete (by filter),
 *	flush, events (`conntrack -E`), show conntrack stats (`conntrack -S`), show
 *	expect (`conntrack -L expect`). Filters are the conntrack tool's: -p/--proto,
 *	-f/--family, -s/--src/--orig-src, -d/--dst/--orig-dst, --sport/--orig-port-src,
 *	--dport/--orig-port-dst, --state, --status, --zone, --mark VALUE[/MASK].
 *
 * Life-cycle
 *	Listing and deleting walk every worker's shard in chunks (ct_walk): the control core
 *	posts one request per worker (CTGATE_REQ_LIST/DELETE with a cursor), each worker
 *	serves it between two bursts (at most CTGATE_REQ_SCAN slots and CTGATE_REQ_CHUNK
 *	entries, see worker.c), the control core prints the copies and posts the next
 *	chunk. A million entries are ~4000 short requests per worker, never one long pause.
 *
 * Ownership & synchronization
 *	Control core only; the workers copy and delete their own entries (request ring).
 *	ctgate_ct_filter_match() runs on the worker.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctg_common.h"
#include "ctgate.h"

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", 6 },
	{ "udp", 17 },
	{ "icmp", 1 },
	{ "icmpv6", 58 },
	{ "sctp", 132 },
	{ "udplite", 136 },
	{ "gre", 47 },
	{ "dccp", 33 },
};

static const struct {
	const char *name;
	uint32_t bit;
} status_names[] = {
	{ "EXPECTED", CTG_CT_S_EXPECTED },
	{ "SEEN_REPLY", CTG_CT_S_SEEN_REPLY },
	{ "ASSURED", CTG_CT_S_ASSURED },
	{ "CONFIRMED", CTG_CT_S_CONFIRMED },
	{ "DYING", CTG_CT_S_DYING },
	{ "FIXED_TIMEOUT", CTG_CT_S_FIXED_TIMEOUT },
	{ "HELPER", CTG_CT_S_HELPER },
};

static int
parse_addr(const char *s, union ctg_addr *a, uint8_t *family)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static const char *
proto_name(uint8_t p)
{
	for (size_t i = 0; i < CTG_ARRAY_SIZE(protos); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return "unknown";
}

/* The state name's index among TCP, then SCTP states; -1 if unknown. */
static int
state_index(const char *name)
{
	for (int i = 1; i < CTG_CT_TCP_S_COUNT; i++)
		if (strcasecmp(name, ctg_ct_tcp_state_str((enum ctg_ct_tcp_state)i)) == 0)
			return i;
	for (int i = 1; i < CTG_CT_SCTP_S_COUNT; i++)
		if (strcasecmp(name, ctg_ct_sctp_state_str((enum ctg_ct_sctp_state)i)) == 0)
			return 100 + i;
	return -1;
}

/* ICMP tuple parts given to get: --icmp-type, --icmp-code, --icmp-id. */
struct icmp_args {
	bool has_type, has_code, has_id;
	uint16_t type, code, id;
};

static int
parse_filter(struct ctgate_cmd_ctx *ctx, int argc, char **argv, struct ctgate_ct_filter *f,
		struct icmp_args *icmp)
{
	memset(f, 0, sizeof(*f));
	f->l4_state = -1;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

		if (v == NULL)
			return ctgate_cmd_fail(ctx, "option '%s' needs a value", o);
		i++;
		if (strcmp(o, "-p") == 0 || strcmp(o, "--proto") == 0) {
			size_t k;

			for (k = 0; k < CTG_ARRAY_SIZE(protos); k++)
				if (strcasecmp(v, protos[k].name) == 0)
					break;
			if (k < CTG_ARRAY_SIZE(protos))
				f->proto = protos[k].proto;
			else if (ctgate_cmd_num(ctx, "protocol", v, 1, 255, &n) == 0)
				f->proto = (uint8_t)n;
			else
				return ctgate_cmd_fail(ctx, "unknown protocol '%s'", v);
		} else if (strcmp(o, "-f") == 0 || strcmp(o, "--family") == 0) {
			if (strcmp(v, "ipv4") == 0)
				f->family = 4;
			else if (strcmp(v, "ipv6") == 0)
				f->family = 6;
			else
				return ctgate_cmd_fail(ctx, "family: ipv4 or ipv6, not '%s'", v);
		} else if (strcmp(o, "-s") == 0 || strcmp(o, "--src") == 0 ||
				strcmp(o, "--orig-src") == 0) {
			if (parse_addr(v, &f->src, &f->src_family) != 0)
				return ctgate_cmd_fail(ctx, "bad address '%s'", v);
			f->has_src = true;
		} else if (strcmp(o, "-d") == 0 || strcmp(o, "--dst") == 0 ||
				strcmp(o, "--orig-dst") == 0) {
			if (parse_addr(v, &f->dst, &f->dst_family) != 0)
				return ctgate_cmd_fail(ctx, "bad address '%s'", v);
			f->has_dst = true;
		} else if (strcmp(o, "--sport") == 0 || strcmp(o, "--orig-port-src") == 0) {
			if (ctgate_cmd_num(ctx, "port", v, 0, 65535, &n) != 0)
				return -EINVAL;
			f->sport = (uint16_t)n;
			f->has_sport = true;
		} else if (strcmp(o, "--dport") == 0 || strcmp(o, "--orig-port-dst") == 0) {
			if (ctgate_cmd_num(ctx, "port", v, 0, 65535, &n) != 0)
				return -EINVAL;
			f->dport = (uint16_t)n;
			f->has_dport = true;
		} else if (strcmp(o, "--state") == 0) {
			if (state_index(v) < 0)
				return ctgate_cmd_fail(ctx, "unknown state '%s' (TCP or SCTP state)", v);
			f->l4_state = (int16_t)state_index(v);
			for (size_t k = 0; k < sizeof(f->l4_state_name) - 1 && v[k]; k++)
				f->l4_state_name[k] = (char)toupper((unsigned char)v[k]);
		} else if (strcmp(o, "--status") == 0) {
			char buf[128], *tok, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", v);
			for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				size_t k;

				for (k = 0; k < CTG_ARRAY_SIZE(status_names); k++)
					if (strcasecmp(tok, status_names[k].name) == 0)
						break;
				if (k == CTG_ARRAY_SIZE(status_names))
					return ctgate_cmd_fail(ctx, "unknown status '%s' (%s)", tok,
							"EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED,...");
				f->status |= status_names[k].bit;
			}
		} else if (strcmp(o, "-w") == 0 || strcmp(o, "--zone") == 0) {
			if (ctgate_cmd_num(ctx, "zone", v, 0, 65535, &n) != 0)
				return -EINVAL;
			f->zone = (uint16_t)n;
			f->has_zone = true;
		} else if (strcmp(o, "-m") == 0 || strcmp(o, "--mark") == 0) {
			char *end;
			unsigned long long m, mask = UINT32_MAX;

			errno = 0;
			m = strtoull(v, &end, 0);
			if (*end == '/')
				mask = strtoull(end + 1, &end, 0);
			if (errno || *end != '\0' || v[0] == '\0' || m > UINT32_MAX ||
					mask > UINT32_MAX)
				return ctgate_cmd_fail(ctx, "bad mark '%s' (VALUE[/MASK])", v);
			f->mark = (uint32_t)m;
			f->mark_mask = (uint32_t)mask;
			f->has_mark = true;
		} else if (icmp != NULL && (strcmp(o, "--icmp-type") == 0 ||
				strcmp(o, "--icmp-code") == 0 || strcmp(o, "--icmp-id") == 0)) {
			if (ctgate_cmd_num(ctx, o + 2, v, 0, o[7] == 'i' ? 65535 : 255, &n) != 0)
				return -EINVAL;
			if (o[7] == 't') {
				icmp->type = (uint16_t)n;
				icmp->has_type = true;
			} else if (o[7] == 'c') {
				icmp->code = (uint16_t)n;
				icmp->has_code = true;
			} else {
				icmp->id = (uint16_t)n;
				icmp->has_id = true;
			}
		} else {
			return ctgate_cmd_fail(ctx, "unknown option '%s' (try 'help %s')", o,
					icmp != NULL ? "get" : "show conntrack");
		}
	}
	if (f->has_src && f->has_dst && f->src_family != f->dst_family)
		return ctgate_cmd_fail(ctx, "source and destination of different families");
	return 0;
}

static bool
addr_eq(const union ctg_addr *a, const union ctg_addr *b)
{
	return a->q[0] == b->q[0] && a->q[1] == b->q[1];
}

bool
ctgate_ct_filter_match(const struct ctgate_ct_filter *f, const struct ctg_ct_conn *c)
{
	const struct ctg_ct_tuple *t = &c->orig;

	if (f->proto && t->proto != f->proto)
		return false;
	if (f->family && t->family != f->family)
		return false;
	if (f->has_src && (t->family != f->src_family || !addr_eq(&t->src, &f->src)))
		return false;
	if (f->has_dst && (t->family != f->dst_family || !addr_eq(&t->dst, &f->dst)))
		return false;
	if (f->has_sport && t->sport != f->sport)
		return false;
	if (f->has_dport && t->dport != f->dport)
		return false;
	if (f->has_zone && t->zone != f->zone)
		return false;
	if (f->has_mark && (c->mark & f->mark_mask) != (f->mark & f->mark_mask))
		return false;
	if ((c->status & f->status) != f->status)
		return false;
	if (f->l4_state >= 0) {
		const char *st = ctg_ct_conn_l4_state_str(c);

		if (st == NULL || strcmp(st, f->l4_state_name) != 0)
			return false;
	}
	return true;
}

static void
json_tuple(FILE *f, const struct ctg_ct_tuple *t, uint64_t packets, uint64_t bytes)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = t->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, t->src.b, s, sizeof(s));
	inet_ntop(af, t->dst.b, d, sizeof(d));
	fprintf(f,
		"{\"src\": \"%s\", \"dst\": \"%s\", \"sport\": %u, \"dport\": %u, \"packets\": "
		"%" PRIu64 ", \"bytes\": %" PRIu64 "}",
		s, d, t->sport, t->dport, packets, bytes);
}

static void
conn_json(FILE *f, const struct ctg_ct_conn *c, uint64_t now)
{
	struct ctg_ct_tuple reply;
	int64_t left = (int64_t)(c->expires_ns - now);
	const char *st = ctg_ct_conn_l4_state_str(c);
	bool first = true;

	ctg_ct_conn_reply_tuple(c, &reply);
	fprintf(f,
		"{\"id\": %u, \"family\": \"ipv%u\", \"proto\": \"%s\", \"protonum\": %u, "
		"\"timeout\": %" PRId64 ", \"state\": ",
		c->id, c->orig.family, proto_name(c->orig.proto), c->orig.proto,
		left > 0 ? left / (int64_t)CTG_NS_PER_S : 0);
	if (st != NULL)
		ctgate_json_str(f, st);
	else
		fprintf(f, "null");
	fprintf(f, ", \"orig\": ");
	json_tuple(f, &c->orig, ctg_ct_conn_packets(c, CTG_CT_DIR_ORIG),
			ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG));
	fprintf(f, ", \"reply\": ");
	json_tuple(f, &reply, ctg_ct_conn_packets(c, CTG_CT_DIR_REPLY),
			ctg_ct_conn_bytes(c, CTG_CT_DIR_REPLY));
	fprintf(f, ", \"status\": [");
	for (size_t k = 0; k < CTG_ARRAY_SIZE(status_names); k++) {
		if (!(c->status & status_names[k].bit))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ", ", status_names[k].name);
		first = false;
	}
	fprintf(f, "], \"mark\": %u, \"zone\": %u}", c->mark, c->orig.zone);
}

typedef void walk_fn(const struct ctg_ct_conn *c, uint16_t worker, uint64_t now, void *arg);

/* Walk every shard in chunks with LIST (fn per copy) or DELETE. @return entries. */
static uint64_t
ct_walk(struct ctgate_app *app, enum ctgate_req_op op, const struct ctgate_ct_filter *f,
		walk_fn *fn, void *arg)
{
	const uint16_t nw = app->conf.nb_workers;
	bool active[CTGATE_MAX_WORKERS] = { false };
	uint32_t cursor[CTGATE_MAX_WORKERS] = { 0 };
	uint64_t total = 0;
	bool any = true;

	for (uint16_t i = 0; i < nw; i++)
		active[i] = true;
	while (any) {
		for (uint16_t i = 0; i < nw; i++) {
			struct ctgate_req *r = app->workers[i].req;

			if (!active[i])
				continue;
			r->op = (uint8_t)op;
			r->filter = *f;
			r->cursor = cursor[i];
		}
		ctgate_req_run_all(app, active);
		any = false;
		for (uint16_t i = 0; i < nw; i++) {
			struct ctgate_req *r = app->workers[i].req;

			if (!active[i])
				continue;
			if (op == CTGATE_REQ_LIST)
				for (uint32_t k = 0; k < r->n; k++)
					fn(&r->u.conns[k], i, r->now_ns, arg);
			total += r->n;
			cursor[i] = r->cursor;
			if (r->cursor == UINT32_MAX)
				active[i] = false;
			else
				any = true;
		}
	}
	return total;
}

struct list_arg {
	FILE *out;
	bool json;
	uint64_t n;
};

static void
list_one(const struct ctg_ct_conn *c, uint16_t worker, uint64_t now, void *arg)
{
	struct list_arg *la = arg;

	(void)worker;
	if (la->json) {
		fprintf(la->out, "%s", la->n ? ",\n " : "");
		conn_json(la->out, c, now);
	} else {
		ctg_ct_conn_print(c, now, la->out);
		fputc('\n', la->out);
	}
	la->n++;
}

static int
cmd_show_conntrack(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_ct_filter f;
	struct list_arg la = { .out = ctx->out, .json = ctx->json };
	int rc = parse_filter(ctx, argc, argv, &f, NULL);

	if (rc)
		return rc;
	if (ctx->json)
		fprintf(ctx->out, "[");
	ct_walk(ctx->app, CTGATE_REQ_LIST, &f, list_one, &la);
	if (ctx->json)
		fprintf(ctx->out, "]\n");
	else
		fprintf(ctx->out, "ctgate: %" PRIu64 " flow entries have been shown.\n", la.n);
	return 0;
}

static void
count_one(const struct ctg_ct_conn *c, uint16_t worker, uint64_t now, void *arg)
{
	(void)c;
	(void)worker;
	(void)now;
	(*(uint64_t *)arg)++;
}

static int
cmd_count(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_ct_filter f;
	uint64_t n = 0;
	int rc = parse_filter(ctx, argc, argv, &f, NULL);

	if (rc)
		return rc;
	if (argc == 0) {
		/* conntrack -C: the shards' live counts, no walk. */
		struct ctg_ct_stats s;

		ctgate_ct_stats_sum(ctx->app, &s, &n);
	} else {
		ct_walk(ctx->app, CTGATE_REQ_LIST, &f, count_one, &n);
	}
	fprintf(ctx->out, ctx->json ? "{\"count\": %" PRIu64 "}\n" : "%" PRIu64 "\n", n);
	return 0;
}

static int
cmd_get(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	struct ctgate_ct_filter f;
	struct icmp_args icmp = { 0 };
	struct ctg_ct_tuple t = { 0 };
	bool mask[CTGATE_MAX_WORKERS];
	bool found = false;
	int rc = parse_filter(ctx, argc, argv, &f, &icmp);

	if (rc)
		return rc;
	if (!f.proto || !f.has_src || !f.has_dst)
		return ctgate_cmd_fail(ctx, "get needs -p PROTO -s SRC -d DST (and ports)");
	t.src = f.src;
	t.dst = f.dst;
	t.family = f.src_family;
	t.proto = f.proto;
	t.zone = f.zone;
	if (f.proto == 1 || f.proto == 58) {
		if (!icmp.has_type || !icmp.has_id)
			return ctgate_cmd_fail(ctx, "get -p %s needs --icmp-type and --icmp-id",
					proto_name(f.proto));
		t.sport = icmp.id;
		t.dport = (uint16_t)(icmp.type << 8 | icmp.code);
	} else if (f.proto == 6 || f.proto == 17 || f.proto == 132 || f.proto == 136 ||
			f.proto == 33) {
		if (!f.has_sport || !f.has_dport)
			return ctgate_cmd_fail(ctx, "get -p %s needs --sport and --dport",
					proto_name(f.proto));
		t.sport = f.sport;
		t.dport = f.dport;
	}
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		app->workers[i].req->op = CTGATE_REQ_GET;
		app->workers[i].req->tuple = t;
		mask[i] = true;
	}
	ctgate_req_run_all(app, mask);
	for (uint16_t i = 0; i < app->conf.nb_workers && !found; i++) {
		struct ctgate_req *r = app->workers[i].req;

		if (r->n == 0)
			continue;
		found = true;
		if (ctx->json) {
			conn_json(ctx->out, &r->u.conns[0], r->now_ns);
			fputc('\n', ctx->out);
		} else {
			ctg_ct_conn_print(&r->u.conns[0], r->now_ns, ctx->out);
			fprintf(ctx->out, "\nctgate: 1 flow entries have been shown.\n");
		}
	}
	if (!found)
		return ctgate_cmd_fail(ctx, "no such connection");
	return 0;
}

static int
cmd_delete(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_ct_filter f;
	uint64_t n;
	int rc = parse_filter(ctx, argc, argv, &f, NULL);

	if (rc)
		return rc;
	if (argc == 0)
		return ctgate_cmd_fail(ctx, "delete needs a filter (use 'flush' to delete all)");
	n = ct_walk(ctx->app, CTGATE_REQ_DELETE, &f, NULL, NULL);
	if (ctx->json)
		fprintf(ctx->out, "{\"deleted\": %" PRIu64 "}\n", n);
	else
		fprintf(ctx->out, "ctgate: %" PRIu64 " flow entries have been deleted.\n", n);
	return 0;
}

static int
cmd_flush(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_ct_filter f;
	uint64_t n;

	(void)argc;
	(void)argv;
	memset(&f, 0, sizeof(f));
	f.l4_state = -1;
	n = ct_walk(ctx->app, CTGATE_REQ_DELETE, &f, NULL, NULL);
	if (ctx->json)
		fprintf(ctx->out, "{\"deleted\": %" PRIu64 "}\n", n);
	else
		fprintf(ctx->out, "ctgate: connection tracking table has been emptied (%" PRIu64
				  " entries).\n",
				n);
	return 0;
}

static int
cmd_ct_stats(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;

	(void)argc;
	(void)argv;
	if (ctx->json)
		fprintf(ctx->out, "[");
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctg_ct_stats *s = ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl));

		if (ctx->json) {
			fprintf(ctx->out, "%s{\"worker\": %u, \"count\": %" PRIu64, i ? ", " : "", i,
					s->count);
#define CTG_CT_X(n) fprintf(ctx->out, ", \"" #n "\": %" PRIu64, s->n);
			CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
			fprintf(ctx->out, ", \"invalid_by_reason\": {");
			for (int r = 1; r < CTG_CT_R_COUNT; r++)
				fprintf(ctx->out, "%s\"%s\": %" PRIu64, r > 1 ? ", " : "",
						ctg_ct_reason_str((enum ctg_ct_reason)r),
						s->invalid_by_reason[r]);
			fprintf(ctx->out, "}}");
			continue;
		}
		fprintf(ctx->out, "worker=%-3u count=%" PRIu64, i, s->count);
#define CTG_CT_X(n) fprintf(ctx->out, " " #n "=%" PRIu64, s->n);
		CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
		fprintf(ctx->out, "\n");
	}
	if (ctx->json) {
		fprintf(ctx->out, "]\n");
		return 0;
	}
	fprintf(ctx->out, "invalid by reason:");
	for (int r = 1; r < CTG_CT_R_COUNT; r++) {
		uint64_t v = 0;

		for (uint16_t i = 0; i < app->conf.nb_workers; i++)
			v += ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl))
						->invalid_by_reason[r];
		if (v)
			fprintf(ctx->out, " %s=%" PRIu64, ctg_ct_reason_str((enum ctg_ct_reason)r),
					v);
	}
	fprintf(ctx->out, "\n");
	return 0;
}

static int
cmd_show_expect(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	bool mask[CTGATE_MAX_WORKERS];
	uint64_t n = 0;

	(void)argc;
	(void)argv;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		app->workers[i].req->op = CTGATE_REQ_EXPECT;
		mask[i] = true;
	}
	ctgate_req_run_all(app, mask);
	if (ctx->json)
		fprintf(ctx->out, "[");
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctgate_req *r = app->workers[i].req;

		for (uint32_t k = 0; k < r->n; k++) {
			const struct ctg_ct_expect *e = &r->u.expects[k];
			int af = e->tuple.family == 4 ? AF_INET : AF_INET6;
			char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
			int64_t left = (int64_t)(e->expires_ns - r->now_ns);

			inet_ntop(af, e->tuple.src.b, s, sizeof(s));
			inet_ntop(af, e->tuple.dst.b, d, sizeof(d));
			if (left < 0)
				left = 0;
			if (ctx->json)
				fprintf(ctx->out,
					"%s{\"timeout\": %" PRId64 ", \"proto\": %u, \"src\": \"%s\", "
					"\"dst\": \"%s\", \"dport\": %u, \"helper\": \"%s\", "
					"\"worker\": %u}",
					n ? ", " : "", left / (int64_t)CTG_NS_PER_S, e->tuple.proto, s, d,
					e->tuple.dport,
					ctg_ct_helper_name((enum ctg_ct_helper)e->helper), i);
			else
				fprintf(ctx->out,
					"%" PRId64 " proto=%u src=%s dst=%s sport=0 dport=%u "
					"mask-src=%s mask-dst=%s sport=0 dport=65535 helper=%s\n",
					left / (int64_t)CTG_NS_PER_S, e->tuple.proto, s, d,
					e->tuple.dport, e->tuple.family == 4 ? "255.255.255.255" : "ffff::",
					e->tuple.family == 4 ? "255.255.255.255" : "ffff::",
					ctg_ct_helper_name((enum ctg_ct_helper)e->helper));
			n++;
		}
	}
	if (ctx->json)
		fprintf(ctx->out, "]\n");
	else
		fprintf(ctx->out, "ctgate: %" PRIu64 " expectations have been shown.\n", n);
	return 0;
}

static int
cmd_delete_expect(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	bool mask[CTGATE_MAX_WORKERS];
	struct ctgate_ct_filter f;
	uint64_t n = 0;
	int rc = parse_filter(ctx, argc, argv, &f, NULL);

	if (rc)
		return rc;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		app->workers[i].req->op = CTGATE_REQ_EXPECT_DELETE;
		app->workers[i].req->filter = f;
		mask[i] = true;
	}
	ctgate_req_run_all(app, mask);
	for (uint16_t i = 0; i < app->conf.nb_workers; i++)
		n += app->workers[i].req->n;
	if (ctx->json)
		fprintf(ctx->out, "{\"deleted\": %" PRIu64 "}\n", n);
	else
		fprintf(ctx->out, "ctgate: %" PRIu64 " expectations have been deleted.\n", n);
	return 0;
}

static int
cmd_events(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_ct_filter f;
	int rc = parse_filter(ctx, argc, argv, &f, NULL);

	if (rc)
		return rc;
	ctgate_session_events(ctx->session, true);
	ctgate_session_set_filter(ctx->session, argc > 0 ? &f : NULL);
	return 0;
}

void
ctgate_event_print(const struct ctgate_event *e, FILE *f)
{
	static const char *const names[] = { "    [NEW] ", " [UPDATE] ", "[DESTROY] " };

	fputs(names[e->type], f);
	ctg_ct_conn_print(&e->c, e->now_ns, f);
	fprintf(f, " id=%u", e->c.id);
}

CTGATE_CMD(show_conntrack, "show conntrack", "[FILTERS]", 0, 20,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_conntrack,
		"list connections (conntrack -L -o extended); FILTERS: -p PROTO -f ipv4|ipv6 "
		"-s ADDR -d ADDR --sport N --dport N --state S --status BITS --zone N --mark M[/MASK]")
CTGATE_CMD(show_ct_stats, "show conntrack stats", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_ct_stats,
		"conntrack counters per worker (conntrack -S)")
CTGATE_CMD(count, "count", "[FILTERS]", 0, 20,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_count,
		"number of connections (conntrack -C), or of those matching FILTERS")
CTGATE_CMD(get, "get", "-p PROTO -s SRC -d DST --sport N --dport N [--zone N]", 6, 14,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_get,
		"the connection of a tuple, either direction (conntrack -G); ICMP: --icmp-type "
		"T --icmp-code C --icmp-id I")
CTGATE_CMD(delete, "delete", "FILTERS", 2, 20, CTGATE_CMD_RW | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON,
		cmd_delete, "delete the connections matching FILTERS (conntrack -D)")
CTGATE_CMD(delete_expect, "delete expect", "[FILTERS]", 0, 20,
		CTGATE_CMD_RW | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_delete_expect,
		"delete the expectations matching FILTERS (-p, -s, -d, --dport), all without "
		"(conntrack -D/-F expect)")
CTGATE_CMD(flush, "flush", "", 0, 0, CTGATE_CMD_RW | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON,
		cmd_flush, "delete every connection (conntrack -F)")
CTGATE_CMD(events, "events", "[FILTERS]", 0, 20,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_SESSION, cmd_events,
		"stream NEW/UPDATE/DESTROY events (conntrack -E) until the client leaves "
		"(the console: until a key is pressed)")
CTGATE_CMD(show_expect, "show expect", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_expect,
		"expectations of the helpers (conntrack -L expect)")
