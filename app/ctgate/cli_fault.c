/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Fault injection from the console and the control socket, for the hardening tests
 *	and for operators who want to see what the appliance does before production shows
 *	them:
 *	  debug stall WORKER MS   the worker stops polling for MS ms, as a descheduled or
 *	                          stuck core does: its rx queues and its handoff ring fill,
 *	                          the other workers count ring drops (ring_drop), the
 *	                          devices count what they could not deliver;
 *	  debug mbuf-hold N|all   the control core takes N mbufs, or every free one, out of
 *	                          the workers' pools: receive allocation fails (the device
 *	                          keeps or drops the frames and counts them), REJECT and
 *	                          handoff allocations fail and are counted;
 *	  debug mbuf-release      gives them back.
 *	What is still held at stop is given back before the mbuf leak check.
 *
 * Ownership & synchronization
 *	Control core only. A stall is a store of the deadline into the worker's stall_until,
 *	read by the worker at the top of its loop; mempools are multi-consumer.
 */

#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctgate.h"

#define STALL_MAX_MS 10000

static int
cmd_debug_stall(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	uint64_t wid, ms;

	(void)argc;
	if (ctgate_cmd_num(ctx, "worker", argv[0], 0, app->conf.nb_workers - 1u, &wid) != 0 ||
			ctgate_cmd_num(ctx, "milliseconds", argv[1], 1, STALL_MAX_MS, &ms) != 0)
		return -EINVAL;
	atomic_store_explicit(&app->workers[wid].stall_until,
			rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms, memory_order_relaxed);
	fprintf(ctx->out, "worker %" PRIu64 " stops polling for %" PRIu64 " ms\n", wid, ms);
	return 0;
}

static uint32_t
pools_count(const struct ctgate_app *app, bool avail)
{
	uint32_t n = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (app->mbuf_pools[s] != NULL)
			n += avail ? rte_mempool_avail_count(app->mbuf_pools[s]) :
				     app->mbuf_pools[s]->size;
	return n;
}

static int
cmd_debug_mbuf_hold(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	uint32_t before = app->fault_nb;
	uint64_t want;

	(void)argc;
	if (app->fault_mbufs == NULL) {
		app->fault_cap = pools_count(app, false);
		app->fault_mbufs = rte_zmalloc("ctgate_fault_mbufs",
				sizeof(app->fault_mbufs[0]) * app->fault_cap, 0);
		if (app->fault_mbufs == NULL)
			return ctgate_cmd_fail(ctx, "no memory for the mbuf table");
	}
	if (strcmp(argv[0], "all") == 0)
		want = app->fault_cap;
	else if (ctgate_cmd_num(ctx, "mbufs", argv[0], 1, app->fault_cap, &want) != 0)
		return -EINVAL;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		while (app->mbuf_pools[s] != NULL && app->fault_nb - before < want &&
				app->fault_nb < app->fault_cap) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(app->mbuf_pools[s]);

			if (m == NULL)
				break;
			app->fault_mbufs[app->fault_nb++] = m;
		}
	}
	fprintf(ctx->out, "holding %u mbufs (%u more); %u of %u free in the pools\n",
			app->fault_nb, app->fault_nb - before, pools_count(app, true),
			pools_count(app, false));
	return 0;
}

void
ctgate_fault_release(struct ctgate_app *app)
{
	if (app->fault_nb > 0)
		rte_pktmbuf_free_bulk(app->fault_mbufs, app->fault_nb);
	app->fault_nb = 0;
}

static int
cmd_debug_mbuf_release(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint32_t n = ctx->app->fault_nb;

	(void)argc;
	(void)argv;
	ctgate_fault_release(ctx->app);
	fprintf(ctx->out, "released %u mbufs; %u of %u free in the pools\n", n,
			pools_count(ctx->app, true), pools_count(ctx->app, false));
	return 0;
}

CTGATE_CMD(debug_stall, "debug stall", "WORKER MS", 2, 2, CTGATE_CMD_RW | CTGATE_CMD_RUNTIME,
		cmd_debug_stall, "fault injection: the worker stops polling for MS ms (<= 10000)")
CTGATE_CMD(debug_mbuf_hold, "debug mbuf-hold", "N|all", 1, 1,
		CTGATE_CMD_RW | CTGATE_CMD_RUNTIME, cmd_debug_mbuf_hold,
		"fault injection: take N (or all free) mbufs out of the pools")
CTGATE_CMD(debug_mbuf_release, "debug mbuf-release", "", 0, 0,
		CTGATE_CMD_RW | CTGATE_CMD_RUNTIME, cmd_debug_mbuf_release,
		"fault injection: give back what debug mbuf-hold took")
