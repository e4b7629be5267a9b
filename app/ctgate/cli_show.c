/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Run-time `show` commands of ports, workers, counters and reassembly: show ports,
 *	show workers, show stats, show frag. Every counter comes from one X-macro list
 *	(CTGATE_WORKER_COUNTERS, CTG_PL_DROPS, CTG_FRAG_REASONS ...), the same lists that
 *	feed telemetry and Prometheus (export.c).
 *
 * Ownership & synchronization
 *	Control core only. Worker counters are read as racy 64-bit snapshots (each has one
 *	writer); nothing here writes worker state.
 */

#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "ctg_common.h"
#include "ctgate.h"

void
ctgate_worker_stats_sum(struct ctgate_app *app, struct ctgate_worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctgate_worker_stats *s = &app->workers[i].st;

#define CTGATE_X(n, d) sum->n += s->n;
		CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
	}
}

void
ctgate_ct_stats_sum(struct ctgate_app *app, struct ctg_ct_stats *sum, uint64_t *count)
{
	memset(sum, 0, sizeof(*sum));
	*count = 0;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctg_ct_stats *s = ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl));

#define CTG_CT_X(n) sum->n += s->n;
		CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
		for (int r = 0; r < CTG_CT_R_COUNT; r++)
			sum->invalid_by_reason[r] += s->invalid_by_reason[r];
		*count += s->count;
	}
}

void
ctgate_ports_show(struct ctgate_app *app, FILE *out, bool json)
{
	if (json)
		fprintf(out, "[");
	else
		fprintf(out, "%-8s %-4s %-8s %-4s %-3s %-17s %-5s %12s %12s %12s %12s %8s\n",
				"port", "id", "peer", "rxq", "rss", "mac", "link", "rx-pkts",
				"tx-pkts", "rx-bytes", "tx-bytes", "missed");
	for (uint16_t i = 0; i < app->conf.nb_ports; i++) {
		const struct ctgate_port *p = &app->conf.ports[i];
		struct rte_eth_stats s = { 0 };
		struct rte_eth_link link = { 0 };
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_eth_stats_get(p->port_id, &s);
		rte_eth_link_get_nowait(p->port_id, &link);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		if (json) {
			fprintf(out,
				"%s{\"name\": \"%s\", \"port_id\": %u, \"devargs\": ", i ? ", " : "",
				p->name, p->port_id);
			ctgate_json_str(out, p->devargs);
			fprintf(out,
				", \"peer\": \"%s\", \"rx_queues\": %u, \"rss\": %s, \"mac\": "
				"\"%s\", \"link_up\": %s, \"link_speed_mbps\": %u, \"ipackets\": "
				"%" PRIu64 ", \"opackets\": %" PRIu64 ", \"ibytes\": %" PRIu64
				", \"obytes\": %" PRIu64 ", \"imissed\": %" PRIu64
				", \"ierrors\": %" PRIu64 ", \"oerrors\": %" PRIu64
				", \"rx_nombuf\": %" PRIu64 "}",
				app->conf.ports[p->peer].name, p->nb_rxq, p->rss ? "true" : "false",
				mac, link.link_status ? "true" : "false", link.link_speed, s.ipackets,
				s.opackets, s.ibytes, s.obytes, s.imissed, s.ierrors, s.oerrors,
				s.rx_nombuf);
			continue;
		}
		fprintf(out,
			"%-8s %-4u %-8s %-4u %-3s %-17s %-5s %12" PRIu64 " %12" PRIu64 " %12" PRIu64
			" %12" PRIu64 " %8" PRIu64 "\n",
			p->name, p->port_id, app->conf.ports[p->peer].name, p->nb_rxq,
			p->rss ? "yes" : "no", mac, link.link_status ? "up" : "down", s.ipackets,
			s.opackets, s.ibytes, s.obytes, s.imissed);
	}
	if (json)
		fprintf(out, "]\n");
}

static int
cmd_show_ports(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ctgate_ports_show(ctx->app, ctx->out, ctx->json);
	return 0;
}

static double
cycles_us(const struct ctgate_app *app, uint64_t c)
{
	return (double)c * 1e6 / (double)app->tsc_hz;
}

static int
cmd_show_workers(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	uint64_t elapsed = rte_rdtsc() - app->tsc0;

	(void)argc;
	(void)argv;
	if (ctx->json)
		fprintf(ctx->out, "[");
	else
		fprintf(ctx->out,
			"%-6s %-5s %-6s %6s %12s %12s %10s %10s %10s %9s %11s %11s %9s\n",
			"worker", "lcore", "socket", "busy%", "rx", "tx", "handoff-out",
			"handoff-in", "ring-drop", "conns", "max-loop-us", "max-req-us",
			"ev-lost");
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctgate_worker *w = &app->workers[i];
		const struct ctgate_worker_stats *s = &w->st;
		double busy = elapsed ? 100.0 * (double)s->busy_cycles / (double)elapsed : 0;
		uint32_t conns = ctg_ct_count(ctg_pipeline_ct(w->pl));

		if (ctx->json) {
			fprintf(ctx->out,
				"%s{\"worker\": %u, \"lcore\": %u, \"socket\": %d, \"busy_percent\": "
				"%.2f, \"conns\": %u, \"max_loop_us\": %.1f, \"max_req_us\": %.1f",
				i ? ", " : "", i, w->lcore, w->socket, busy, conns,
				cycles_us(app, s->max_loop_cycles), cycles_us(app, s->max_req_cycles));
#define CTGATE_X(n, d) fprintf(ctx->out, ", \"" #n "\": %" PRIu64, s->n);
			CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
			fprintf(ctx->out, "}");
			continue;
		}
		fprintf(ctx->out,
			"%-6u %-5u %-6d %6.2f %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 " %9u %11.1f %11.1f %9" PRIu64 "\n",
			i, w->lcore, w->socket, busy, s->rx, s->tx, s->handoff_out, s->handoff_in,
			s->ring_drop, conns, cycles_us(app, s->max_loop_cycles),
			cycles_us(app, s->max_req_cycles), s->events_lost);
	}
	if (ctx->json)
		fprintf(ctx->out, "]\n");
	else
		fprintf(ctx->out, "busy%%: share of TSC cycles in iterations that did work; "
				  "max-loop: longest loop iteration; max-req: longest request served (list, delete ...)\n");
	return 0;
}

static int
cmd_show_stats(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	const uint16_t nw = app->conf.nb_workers;

	(void)argc;
	(void)argv;
	if (ctx->json) {
		fprintf(ctx->out, "{\"ports\": ");
		ctgate_ports_show(app, ctx->out, true);
		fprintf(ctx->out, ", \"workers\": [");
		for (uint16_t i = 0; i < nw; i++) {
			const struct ctgate_worker_stats *s = &app->workers[i].st;
			const struct ctg_pipeline_stats *ps =
					ctg_pipeline_stats_get(app->workers[i].pl);

			fprintf(ctx->out, "%s{\"worker\": %u", i ? ", " : "", i);
#define CTGATE_X(n, d) fprintf(ctx->out, ", \"" #n "\": %" PRIu64, s->n);
			CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
			fprintf(ctx->out, ", \"drops\": {");
			for (int d = 1; d < CTG_PL_DROP_COUNT; d++)
				fprintf(ctx->out, "%s\"%s\": %" PRIu64, d > 1 ? ", " : "",
						ctg_pipeline_drop_str((enum ctg_pipeline_drop)d),
						ps->drops[d]);
			fprintf(ctx->out, "}}");
		}
		fprintf(ctx->out, "]}\n");
		return 0;
	}
	fprintf(ctx->out, "ports:\n");
	ctgate_ports_show(app, ctx->out, false);
	fprintf(ctx->out, "\n%-28s", "worker counters");
	for (uint16_t i = 0; i < nw; i++)
		fprintf(ctx->out, " %12s%-2u", "worker", i);
	fprintf(ctx->out, "\n");
#define CTGATE_X(n, d)                                                                   \
	fprintf(ctx->out, "%-28s", #n);                                                  \
	for (uint16_t i = 0; i < nw; i++)                                                \
		fprintf(ctx->out, " %14" PRIu64, app->workers[i].st.n);                  \
	fprintf(ctx->out, "\n");
	CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
	fprintf(ctx->out, "\n%-28s\n", "pipeline verdicts");
	{
		static const char *const vn[CTG_PL_VERDICT_COUNT] = { "forward", "drop", "held",
			"bypass", "handoff" };

		for (int v = 0; v < CTG_PL_VERDICT_COUNT; v++) {
			fprintf(ctx->out, "%-28s", vn[v]);
			for (uint16_t i = 0; i < nw; i++)
				fprintf(ctx->out, " %14" PRIu64,
						ctg_pipeline_stats_get(app->workers[i].pl)->verdicts[v]);
			fprintf(ctx->out, "\n");
		}
	}
	fprintf(ctx->out, "\ndrops by reason\n");
	for (int d = 1; d < CTG_PL_DROP_COUNT; d++) {
		fprintf(ctx->out, "%-28s", ctg_pipeline_drop_str((enum ctg_pipeline_drop)d));
		for (uint16_t i = 0; i < nw; i++)
			fprintf(ctx->out, " %14" PRIu64,
					ctg_pipeline_stats_get(app->workers[i].pl)->drops[d]);
		fprintf(ctx->out, "\n");
	}
	return 0;
}

static int
cmd_show_frag(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	const uint16_t nw = app->conf.nb_workers;

	(void)argc;
	(void)argv;
	if (ctx->json) {
		fprintf(ctx->out, "[");
		for (uint16_t i = 0; i < nw; i++) {
			const struct ctg_frag_stats *f =
					ctg_frag_stats_get(ctg_pipeline_frag(app->workers[i].pl));

			fprintf(ctx->out,
				"%s{\"worker\": %u, \"fragments\": %" PRIu64 ", \"reassembled\": %" PRIu64
				", \"passed\": %" PRIu64 ", \"failed\": %" PRIu64 ", \"timeouts\": %" PRIu64
				", \"evicted\": %" PRIu64 ", \"queues\": %" PRIu64 ", \"bytes\": %" PRIu64
				", \"mem_bytes\": %" PRIu64 ", \"mem_limit\": %" PRIu64 ", \"dropped\": {",
				i ? ", " : "", i, f->fragments, f->reassembled, f->passed, f->failed,
				f->timeouts, f->evicted, f->queues, f->bytes, f->mem_bytes, f->mem_limit);
			for (int r = 1; r < CTG_FRAG_R_COUNT; r++)
				fprintf(ctx->out, "%s\"%s\": %" PRIu64, r > 1 ? ", " : "",
						ctg_frag_reason_str((enum ctg_frag_reason)r), f->dropped[r]);
			fprintf(ctx->out, "}}");
		}
		fprintf(ctx->out, "]\n");
		return 0;
	}
	fprintf(ctx->out, "%-52s", "reassembly");
	for (uint16_t i = 0; i < nw; i++)
		fprintf(ctx->out, " %10s%-2u", "worker", i);
	fprintf(ctx->out, "\n");
#define ROW(name, expr)                                                                  \
	do {                                                                             \
		fprintf(ctx->out, "%-52s", name);                                        \
		for (uint16_t i = 0; i < nw; i++) {                                      \
			const struct ctg_frag_stats *f =                                 \
					ctg_frag_stats_get(ctg_pipeline_frag(app->workers[i].pl)); \
			fprintf(ctx->out, " %12" PRIu64, (uint64_t)(expr));              \
		}                                                                        \
		fprintf(ctx->out, "\n");                                                 \
	} while (0)
	ROW("fragments", f->fragments);
	ROW("reassembled", f->reassembled);
	ROW("passed (not fragments)", f->passed);
	ROW("datagrams failed", f->failed);
	ROW("datagrams timed out", f->timeouts);
	ROW("datagrams evicted", f->evicted);
	ROW("queues now", f->queues);
	ROW("bytes held now", f->bytes);
	ROW("fragments held now", f->held);
	ROW("arena bytes in use", f->mem_bytes);
	ROW("arena size", f->mem_limit);
	for (int r = 1; r < CTG_FRAG_R_COUNT; r++) {
		char name[64];

		snprintf(name, sizeof(name), "dropped: %s",
				ctg_frag_reason_str((enum ctg_frag_reason)r));
		ROW(name, f->dropped[r]);
	}
#undef ROW
	return 0;
}

static int
cmd_clear_max(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	bool mask[CTGATE_MAX_WORKERS];

	(void)argc;
	(void)argv;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		app->workers[i].req->op = CTGATE_REQ_CLEAR_MAX;
		mask[i] = true;
	}
	ctgate_req_run_all(app, mask);
	fprintf(ctx->out, "max-loop and max-req restarted on %u workers\n", app->conf.nb_workers);
	return 0;
}

CTGATE_CMD(clear_max, "clear workers max", "", 0, 0, CTGATE_CMD_RW | CTGATE_CMD_RUNTIME,
		cmd_clear_max, "restart the workers' longest-iteration and longest-request figures")
CTGATE_CMD(show_ports, "show ports", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_ports,
		"ports: peer, queues, RSS, link, packet and byte counters")
CTGATE_CMD(show_workers, "show workers", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_workers,
		"workers: busy cycles, packets, handoffs, ring drops, longest pause")
CTGATE_CMD(show_stats, "show stats", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_stats,
		"counters per port, per worker and per drop reason")
CTGATE_CMD(show_frag, "show frag", "", 0, 0,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_frag,
		"reassembly counters per worker")
