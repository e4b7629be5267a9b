/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	ctgate, the appliance: `ctgate [EAL options] -- --config FILE [--rules FILE]
 *	[--workers N] [--exit-idle SECONDS] [--stats SECONDS] [--socket PATH]
 *	[--no-console]`. The main lcore is the
 *	control core: it reads the config (commands.c), checks it as a whole, creates the
 *	per-worker state (pipelines, NUMA-local mempools, handoff rings), probes and starts
 *	the ports (port.c), loads and publishes the rule set, launches the workers
 *	(worker.c) and then runs the control plane (control.c: console, control socket,
 *	events, IPFIX; export.c: telemetry, Prometheus) until SIGINT/SIGTERM or `quit` on
 *	the console (stop), SIGHUP (reload the rule file) or --exit-idle. On stop it prints a summary, frees what the workers still held and
 *	checks that every mbuf came back ("mbuf leak check: OK").
 *
 * Life-cycle
 *	init EAL -> config -> validate -> workers' state -> probe ports -> load rules ->
 *	start ports -> leak baseline -> publish rules -> exporters -> launch workers ->
 *	console/socket -> serve -> stop -> drain rings -> IPFIX end records -> summary -> free held fragments -> leak check -> close ports.
 *	Nothing touches a device before the config is known to be good. Only this file
 *	exits, and only while starting (style 8.7).
 *
 * Ownership & synchronization
 *	The control core writes only its own objects and the shared publication fields
 *	(app->stop, rules_next/rules_gen, see worker.c); it reads worker counters as
 *	snapshots. Signal handlers only store atomics.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring_elem.h>

#include "ctgate.h"

static atomic_int signal_stop;
static atomic_int signal_reload;

static struct ctgate_app app_storage;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&signal_reload, 1);
	else
		atomic_store(&signal_stop, sig);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ctgate [EAL options] -- --config FILE [options]\n"
		"       ctgate --features     (what this build supports; no EAL)\n"
		"  --config FILE        console commands, one a line ('#' comments)\n"
		"  --rules FILE         iptables-save ruleset (overrides 'rules load')\n"
		"  --workers N          worker lcores (overrides 'workers')\n"
		"  --exit-idle SECONDS  stop when no frame arrived for that long\n"
		"  --stats SECONDS      print the counters periodically\n"
		"  --socket PATH        control socket (default " CTGATE_SOCK_DEFAULT ")\n"
		"  --no-console         no console on the terminal\n"
		"config commands:\n");
	ctgate_cmd_help(f);
}

static int
parse_args(struct ctgate_app *app, int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "exit-idle", required_argument, NULL, 'i' },
		{ "stats", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "no-console", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*config = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case 'r':
			snprintf(app->conf.rules_file, sizeof(app->conf.rules_file), "%s", optarg);
			app->conf.rules_line = 0;
			break;
		case 'w':
		case 'i':
		case 's':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end != '\0' || optarg[0] == '\0' ||
					(opt == 'w' && (v < 1 || v > CTGATE_MAX_WORKERS))) {
				fprintf(stderr, "ctgate: bad number '%s'\n", optarg);
				return -EINVAL;
			}
			if (opt == 'w') {
				app->conf.nb_workers = (uint16_t)v;
				app->conf.workers_line = 0;
			} else if (opt == 'i') {
				app->conf.exit_idle_ns = v * CTG_NS_PER_S;
			} else {
				app->conf.stats_interval_s = (uint32_t)v;
			}
			break;
		case 'S':
			snprintf(app->conf.sock_path, sizeof(app->conf.sock_path), "%s", optarg);
			app->conf.sock_explicit = true;
			break;
		case 'C':
			app->conf.console = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ctgate: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Re-apply the command-line overrides that a config file may have changed. */
struct overrides {
	char sock_path[CTGATE_PATH];
	bool sock_explicit;
	bool no_console;
	uint16_t nb_workers;
	bool workers_set;
	char rules_file[CTGATE_PATH];
	uint64_t exit_idle_ns;
	uint32_t stats_interval_s;
};

/*
 * A key for the hashes an attacker must not predict (connection table, reassembly index,
 * worker ownership): the kernel's CSPRNG (getrandom), like the kernel's own hash keys;
 * rte_rand() (a PRNG seeded at start) only if getrandom is unavailable.
 */
static uint64_t
hash_key(void)
{
	uint64_t k;

	if (getrandom(&k, sizeof(k), 0) == (ssize_t)sizeof(k))
		return k;
	return rte_rand();
}

static int
workers_create(struct ctgate_app *app)
{
	struct ctgate_conf *conf = &app->conf;
	unsigned int lcore, need, per_socket[RTE_MAX_NUMA_NODES] = { 0 };
	uint32_t held_max[RTE_MAX_NUMA_NODES] = { 0 };
	uint64_t owner_seed = hash_key();
	uint16_t i = 0;
	char name[RTE_MEMPOOL_NAMESIZE];

	/* Per-shard share of nf_conntrack_max: a copy of the tunables read by all shards. */
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct ctgate_worker *w;

		if (i == conf->nb_workers)
			break;
		w = &app->workers[i];
		w->id = i;
		w->lcore = lcore;
		w->socket = (int)rte_lcore_to_socket_id(lcore);
		if (w->socket < 0 || w->socket >= RTE_MAX_NUMA_NODES)
			w->socket = 0;
		w->app = app;
		per_socket[w->socket]++;
		i++;
	}
	/*
	 * Mbufs each socket needs at least: rx rings of its queues, tx rings, bursts, and
	 * CTGATE_FRAG_HELD_MIN held fragments per worker. What is left above the rings is
	 * the workers' reassembly budget (ctg_frag_conf.max_held), so a flood of tiny
	 * fragments is refused by reassembly before it can empty the pool and starve rx.
	 */
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		uint32_t n;

		if (per_socket[s] == 0)
			continue;
		need = per_socket[s] * conf->nb_ports *
				(CTGATE_RX_DESC + CTGATE_TX_DESC + CTGATE_TXBUF) + 2048;
		n = RTE_MAX(conf->mempool_size, need + per_socket[s] * CTGATE_FRAG_HELD_MIN);
		held_max[s] = RTE_MIN((n - need) / per_socket[s],
				CTGATE_FRAG_DATAGRAMS * CTG_FRAG_MAX_FRAGS);
		if (n != conf->mempool_size)
			printf("ctgate: mempool on socket %d raised from %u to %u mbufs "
			       "(rx/tx rings of %u queues, %u held fragments per worker)\n",
					s, conf->mempool_size, n, per_socket[s] * conf->nb_ports,
					CTGATE_FRAG_HELD_MIN);
		snprintf(name, sizeof(name), "ctg_mbuf_s%d", s);
		app->mbuf_pools[s] = rte_pktmbuf_pool_create(name, n, 256, 0,
				RTE_MBUF_DEFAULT_BUF_SIZE, s);
		if (app->mbuf_pools[s] == NULL) {
			fprintf(stderr, "ctgate: cannot create %u mbufs on socket %d: %s\n", n, s,
					rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	/*
	 * Handoff messages: enough to fill every worker's ring, plus every lcore's cache
	 * and a burst in flight each, so a worker that stops draining its ring (stuck,
	 * descheduled) costs drops on its own ring (ring_drop), not the messages the other
	 * workers need to hand datagrams to each other (handoff_nomem).
	 */
	app->msg_pool = rte_mempool_create("ctg_handoff",
			conf->nb_workers * (CTGATE_HANDOFF_RING + 3u * 64 + CTGATE_BURST),
			sizeof(struct ctgate_handoff), 64, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY,
			0);
	app->bigbuf_pool = rte_mempool_create("ctg_bigbuf", conf->nb_workers * 32 - 1,
			CTGATE_BIGBUF_SIZE, 0, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (app->msg_pool == NULL || app->bigbuf_pool == NULL) {
		fprintf(stderr, "ctgate: cannot create the handoff pools: %s\n",
				rte_strerror(rte_errno));
		return -ENOMEM;
	}
	app->shard_params = conf->ct_params;
	app->shard_params.max = (conf->ct_max + conf->nb_workers - 1) / conf->nb_workers;
	for (i = 0; i < conf->nb_workers; i++) {
		struct ctgate_worker *w = &app->workers[i];
		struct ctg_pipeline_conf pc = { 0 };

		w->mbuf_pool = app->mbuf_pools[w->socket];
		snprintf(name, sizeof(name), "ctg_handoff_%u", i);
		w->ring = rte_ring_create(name, CTGATE_HANDOFF_RING, w->socket, RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctg_req_%u", i);
		w->req_ring = rte_ring_create(name, 16, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctg_ev_%u", i);
		w->ev_ring = rte_ring_create_elem(name, sizeof(struct ctgate_event),
				CTGATE_EVENT_RING, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctg_log_%u", i);
		w->log_ring = rte_ring_create_elem(name, sizeof(struct ctgate_log_rec),
				CTGATE_LOG_RING, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->req = rte_zmalloc_socket("ctg_req", sizeof(*w->req), RTE_CACHE_LINE_SIZE,
				w->socket);
		w->ct_capacity = (uint32_t)app->shard_params.max;
		w->ev_shadow = rte_zmalloc_socket("ctg_ev_shadow",
				sizeof(w->ev_shadow[0]) * w->ct_capacity, RTE_CACHE_LINE_SIZE,
				w->socket);
		if (w->req_ring == NULL || w->ev_ring == NULL || w->log_ring == NULL ||
				w->req == NULL || w->ev_shadow == NULL) {
			fprintf(stderr, "ctgate: cannot create worker %u's control rings: %s\n", i,
					rte_strerror(rte_errno));
			return -ENOMEM;
		}
		pc.ct.capacity = (uint32_t)app->shard_params.max;
		pc.ct.seed = hash_key();
		pc.ct.id_base = i + 1u;
		pc.ct.id_stride = conf->nb_workers;
		pc.ct_params = &app->shard_params;
		pc.frag.max_datagrams = CTGATE_FRAG_DATAGRAMS;
		pc.frag.max_frags = CTG_FRAG_MAX_FRAGS;
		pc.frag.max_bytes = 4u << 20;
		pc.frag.max_held = held_max[w->socket];
		pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
		pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
		pc.frag.hash_seed = (uint32_t)hash_key();
		pc.worker_id = i;
		pc.nb_workers = conf->nb_workers;
		pc.owner_seed = owner_seed;
		pc.owner_mode = conf->owner_mode;
		w->pl = ctg_pipeline_create(&pc);
		if (w->ring == NULL || w->pl == NULL) {
			fprintf(stderr, "ctgate: cannot create worker %u's state: %s\n", i,
					strerror(errno));
			return -ENOMEM;
		}
		ctgate_worker_events_setup(w);
	}
	return 0;
}

static void
workers_destroy(struct ctgate_app *app)
{
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		ctg_pipeline_destroy(app->workers[i].pl);
		rte_ring_free(app->workers[i].ring);
		rte_ring_free(app->workers[i].req_ring);
		rte_ring_free(app->workers[i].ev_ring);
		rte_ring_free(app->workers[i].log_ring);
		rte_free(app->workers[i].req);
		rte_free(app->workers[i].ev_shadow);
		ctg_rule_counters_free(app->rule_cnt[i]);
	}
	ctg_rule_set_free((struct ctg_rule_set *)(uintptr_t)app->rules);
	rte_mempool_free(app->msg_pool);
	rte_mempool_free(app->bigbuf_pool);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(app->mbuf_pools[s]);
}

int
ctgate_rules_publish(struct ctgate_app *app, struct ctg_rule_set *rs, FILE *err)
{
	struct ctg_rule_counters *cnt[CTGATE_MAX_WORKERS] = { NULL };
	const struct ctg_rule_set *old = app->rules;
	uint16_t nw = app->conf.nb_workers;
	uint64_t g;

	for (uint16_t i = 0; rs != NULL && i < nw; i++) {
		cnt[i] = ctg_rule_counters_create(rs);
		if (cnt[i] == NULL) {
			for (uint16_t j = 0; j < i; j++)
				ctg_rule_counters_free(cnt[j]);
			fprintf(err, "ctgate: no memory for the rule counters\n");
			return -ENOMEM;
		}
	}
	for (uint16_t i = 0; i < nw; i++) {
		atomic_store_explicit(&app->workers[i].rules_next_cnt, cnt[i],
				memory_order_relaxed);
		atomic_store_explicit(&app->workers[i].rules_next, rs, memory_order_release);
	}
	g = atomic_fetch_add_explicit(&app->rules_gen, 1, memory_order_acq_rel) + 1;
	/* Grace period: every running worker has switched between two bursts. */
	for (uint16_t i = 0; i < nw; i++) {
		struct ctgate_worker *w = &app->workers[i];

		while (atomic_load_explicit(&w->running, memory_order_acquire) &&
				atomic_load_explicit(&w->rules_gen_seen, memory_order_acquire) < g)
			rte_pause();
	}
	for (uint16_t i = 0; i < nw; i++) {
		ctg_rule_counters_free(app->rule_cnt[i]);
		app->rule_cnt[i] = cnt[i];
	}
	ctg_rule_set_free((struct ctg_rule_set *)(uintptr_t)old);
	app->rules = rs;
	return 0;
}

int
ctgate_rules_load(struct ctgate_app *app, const char *path, FILE *err)
{
	const char *names[CTGATE_MAX_PORTS];
	struct ctg_rule_load_opts opts = { .family = CTG_RULE_FAMILY_AUTO };
	struct ctg_rule_set *rs = NULL;
	char msg[512];
	int rc;

	for (uint16_t i = 0; i < app->conf.nb_ports; i++)
		names[i] = app->conf.ports[i].name;
	opts.port_names = names;
	opts.nb_ports = app->conf.nb_ports;
	rc = ctg_rule_set_load_file(path, &opts, &rs, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(err, "%s\n", msg);
		return rc;
	}
	rc = ctgate_rules_publish(app, rs, err);
	if (rc != 0) {
		ctg_rule_set_free(rs);
		return rc;
	}
	printf("ctgate: rules loaded from %s (%u rules)\n", path, ctg_rule_set_nb_rules(rs));
	return 0;
}

static void
print_workers(struct ctgate_app *app, FILE *out)
{
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctgate_worker *w = &app->workers[i];

		fprintf(out, "  worker %u (lcore %u, socket %d):", i, w->lcore, w->socket);
#define CTGATE_X(n, s) fprintf(out, " " #n "=%" PRIu64, w->st.n);
		CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
		fprintf(out, "\n");
	}
}

static void
print_summary(struct ctgate_app *app, FILE *out)
{
	struct ctg_ct_stats ct = { 0 };
	uint64_t count = 0, handoffs = 0, ring_drops = 0, reassembled = 0, frags = 0;
	uint64_t verdicts[CTG_PL_VERDICT_COUNT] = { 0 }, states[CTG_CT_STATE_COUNT] = { 0 };

	uint64_t g_waits, g_timeouts, g_max_us;

	fprintf(out, "ctgate: summary\n");
	ctgate_ports_stats(app, out);
	ctgate_unmap_guard_stats(&g_waits, &g_timeouts, &g_max_us);
	fprintf(out, "  unmap guard: grace_periods=%" PRIu64 " timeouts=%" PRIu64
		     " max_wait_us=%" PRIu64 "\n", g_waits, g_timeouts, g_max_us);
	print_workers(app, out);
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctgate_worker *w = &app->workers[i];
		const struct ctg_ct_stats *s = ctg_ct_stats_get(ctg_pipeline_ct(w->pl));
		const struct ctg_pipeline_stats *ps = ctg_pipeline_stats_get(w->pl);
		const struct ctg_frag_stats *fs = ctg_frag_stats_get(ctg_pipeline_frag(w->pl));

#define CTG_CT_X(n) ct.n += s->n;
		CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
		count += ctg_ct_count(ctg_pipeline_ct(w->pl));
		handoffs += w->st.handoff_out;
		ring_drops += w->st.ring_drop;
		reassembled += fs->reassembled;
		frags += fs->fragments;
		for (int v = 0; v < CTG_PL_VERDICT_COUNT; v++)
			verdicts[v] += ps->verdicts[v];
		for (int v = 0; v < CTG_CT_STATE_COUNT; v++)
			states[v] += ps->ct_states[v];
	}
	fprintf(out, "  pipeline: forward=%" PRIu64 " drop=%" PRIu64 " held=%" PRIu64
		     " bypass=%" PRIu64 " handoff=%" PRIu64 "\n",
			verdicts[CTG_PL_FORWARD], verdicts[CTG_PL_DROP], verdicts[CTG_PL_HELD],
			verdicts[CTG_PL_BYPASS], verdicts[CTG_PL_HANDOFF]);
	fprintf(out, "  ct states:");
	for (int v = 0; v < CTG_CT_STATE_COUNT; v++)
		fprintf(out, " %s=%" PRIu64, ctg_ct_state_str((enum ctg_ct_state)v), states[v]);
	fprintf(out, "\n  conntrack: count=%" PRIu64, count);
#define CTG_CT_X(n) fprintf(out, " " #n "=%" PRIu64, ct.n);
	CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
	fprintf(out, "\n  reassembly: fragments=%" PRIu64 " reassembled=%" PRIu64 "\n", frags,
			reassembled);
	fprintf(out, "  handoffs=%" PRIu64 " ring_drops=%" PRIu64 " shutdown_drops=%" PRIu64
		     " rules=%s\n",
			handoffs, ring_drops, app->shutdown_drops,
			app->rules != NULL ? "loaded" : "none (accept all)");
}

/* IPFIX end records of what the workers queued, then of every live connection (forced). */
static int
ipfix_forced(const struct ctg_ct_conn *c, uint32_t idx, void *arg)
{
	struct ctgate_app *app = arg;
	struct ctgate_event e = { .type = CTGATE_EV_DESTROY, .reason = CTGATE_END_FORCED };

	(void)idx;
	e.now_ns = ctgate_now_ns(app);
	e.c = *c;
	ctgate_ipfix_event(app, &e);
	return 0;
}

static void
ipfix_shutdown(struct ctgate_app *app)
{
	struct ctgate_event ev;

	if (!ctgate_ipfix_on(app))
		return;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		while (rte_ring_sc_dequeue_elem(app->workers[i].ev_ring, &ev, sizeof(ev)) == 0)
			if (ev.type == CTGATE_EV_DESTROY)
				ctgate_ipfix_event(app, &ev);
		/* Workers stopped: the control core may read the shards. */
		ctg_ct_foreach(ctg_pipeline_ct(app->workers[i].pl), ipfix_forced, app);
	}
	ctgate_ipfix_stop(app);
}

static bool
all_idle(struct ctgate_app *app, uint64_t now, uint64_t start)
{
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		uint64_t last = atomic_load_explicit(&app->workers[i].last_rx_ns,
				memory_order_relaxed);

		if (RTE_MAX(last, start) + app->conf.exit_idle_ns > now)
			return false;
	}
	return true;
}

static unsigned int
mbufs_in_use(struct ctgate_app *app, int s)
{
	return app->mbuf_pools[s] != NULL ? rte_mempool_in_use_count(app->mbuf_pools[s]) : 0;
}

int
main(int argc, char **argv)
{
	struct ctgate_app *app = &app_storage;
	struct overrides ov = { 0 };
	const char *config;
	unsigned int leaks = 0;
	uint64_t start, last_stats;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--features") == 0) {
		printf("rules: available\nhelpers: ftp tftp\n");
#ifdef CTGATE_HAVE_CT_EVENTS
		printf("events: available\n");
#else
		printf("events: missing (lib/ct has no ctg_ct_shard_set_event_cb)\n");
#endif
		return 0;
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ctgate: cannot init EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	argv[0] = (char *)(uintptr_t)"ctgate";
	ctgate_conf_defaults(&app->conf);
	if (parse_args(app, argc, argv, &config) != 0)
		goto fail_eal;
	if (config == NULL) {
		fprintf(stderr, "ctgate: --config FILE is required\n");
		usage(stderr);
		goto fail_eal;
	}
	/* The command line wins over the file: keep its values and re-apply them. */
	ov.nb_workers = app->conf.nb_workers;
	ov.workers_set = false;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--workers") == 0 || strncmp(argv[i], "--workers=", 10) == 0)
			ov.workers_set = true;
	memcpy(ov.rules_file, app->conf.rules_file, sizeof(ov.rules_file));
	ov.exit_idle_ns = app->conf.exit_idle_ns;
	ov.stats_interval_s = app->conf.stats_interval_s;
	memcpy(ov.sock_path, app->conf.sock_path, sizeof(ov.sock_path));
	ov.sock_explicit = app->conf.sock_explicit;
	ov.no_console = !app->conf.console;
	if (ctgate_cmd_run_file(app, config, stdout, stderr) != 0)
		goto fail_eal;
	if (ov.workers_set) {
		app->conf.nb_workers = ov.nb_workers;
		app->conf.workers_line = 0;
	}
	if (ov.rules_file[0] != '\0') {
		memcpy(app->conf.rules_file, ov.rules_file, sizeof(app->conf.rules_file));
		app->conf.rules_line = 0;
	}
	app->conf.exit_idle_ns = ov.exit_idle_ns;
	app->conf.stats_interval_s = ov.stats_interval_s;
	if (ov.sock_explicit) {
		memcpy(app->conf.sock_path, ov.sock_path, sizeof(app->conf.sock_path));
		app->conf.sock_explicit = true;
	}
	if (ov.no_console)
		app->conf.console = false;
	if (ctgate_conf_validate(app, stderr) != 0)
		goto fail_eal;
	app->tsc_hz = rte_get_tsc_hz();
	app->tsc0 = rte_rdtsc();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		app->wall0_ns = (uint64_t)ts.tv_sec * CTG_NS_PER_S + (uint64_t)ts.tv_nsec -
				ctgate_now_ns(app);
	}
	if (workers_create(app) != 0)
		goto fail_workers;
	if (ctgate_ports_probe(app, stderr) != 0)
		goto fail_ports;
	if (app->conf.rules_file[0] != '\0') {
		/* Loaded before any port starts: a bad ruleset is a config error. */
		if (ctgate_rules_load(app, app->conf.rules_file, stderr) != 0) {
			fprintf(stderr, "config:%u: cannot load rules %s\n", app->conf.rules_line,
					app->conf.rules_file);
			goto fail_ports;
		}
	} else {
		printf("ctgate: no rules: every packet is accepted (conntrack still tracks)\n");
	}
	if (ctgate_ports_start(app, stderr) != 0)
		goto fail_ports;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		app->mbufs_in_use_start[s] = mbufs_in_use(app, s);
	app->params = &app->shard_params;
	if (ctgate_telemetry_init(app) != 0)
		fprintf(stderr, "ctgate: telemetry endpoints not registered\n");
	if (ctgate_prom_start(app, stderr) != 0 || ctgate_ipfix_start(app, stderr) != 0)
		goto fail_export;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (ctgate_unmap_guard_init(app->conf.nb_workers) != 0)
		fprintf(stderr, "ctgate: unmap guard not set up: a port's teardown may race "
				"its workers\n");
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		rc = rte_eal_remote_launch(ctgate_worker_main, &app->workers[i],
				app->workers[i].lcore);
		if (rc != 0) {
			fprintf(stderr, "ctgate: cannot launch worker %u: %s\n", i,
					rte_strerror(-rc));
			atomic_store(&app->stop, true);
			break;
		}
	}
	printf("ctgate: running with %u workers on lcores", app->conf.nb_workers);
	for (uint16_t i = 0; i < app->conf.nb_workers; i++)
		printf(" %u", app->workers[i].lcore);
	printf("\n");
	fflush(stdout);
	if (ctgate_ctl_init(app, stderr) != 0) {
		if (app->conf.sock_explicit) {
			atomic_store(&app->stop, true);
		} else {
			/* The default path is taken (another ctgate): run without a socket. */
			fprintf(stderr, "ctgate: running without a control socket\n");
			app->conf.sock_path[0] = '\0';
			ctgate_ctl_fini(app);
			if (ctgate_ctl_init(app, stderr) != 0)
				atomic_store(&app->stop, true);
		}
	}

	start = last_stats = ctgate_now_ns(app);
	while (!atomic_load(&app->stop) && atomic_load(&signal_stop) == 0) {
		uint64_t now;

		ctgate_ctl_poll(app, 20);
		now = ctgate_now_ns(app);
		if (atomic_exchange(&signal_reload, 0) && app->conf.rules_file[0] != '\0') {
			printf("ctgate: SIGHUP: reloading %s\n", app->conf.rules_file);
			ctgate_rules_load(app, app->conf.rules_file, stderr);
		}
		if (app->conf.exit_idle_ns != 0 && all_idle(app, now, start)) {
			printf("ctgate: idle for %" PRIu64 " s, stopping\n",
					(uint64_t)(app->conf.exit_idle_ns / CTG_NS_PER_S));
			break;
		}
		if (app->conf.stats_interval_s != 0 &&
				now - last_stats >= app->conf.stats_interval_s * CTG_NS_PER_S) {
			last_stats = now;
			print_workers(app, stdout);
		}
		fflush(stdout);
	}
	if (atomic_load(&signal_stop) != 0)
		printf("ctgate: %s, stopping\n",
				atomic_load(&signal_stop) == SIGINT ? "SIGINT" : "SIGTERM");
	atomic_store(&app->stop, true);
	rte_eal_mp_wait_lcore();
	ctgate_unmap_guard_fini();
	ctgate_ctl_fini(app);
	ctgate_handoff_drain_stopped(app);
	ipfix_shutdown(app);
	ctgate_prom_stop(app);
	print_summary(app, stdout);
	ctgate_free_held_fragments(app);
	ctgate_fault_release(app);
	rte_free(app->fault_mbufs);
	app->fault_mbufs = NULL;
	for (uint16_t i = 0; i < app->conf.nb_ports; i++)
		for (uint16_t q = 0; q < app->conf.nb_workers; q++)
			rte_eth_tx_done_cleanup(app->conf.ports[i].port_id, q, 0);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		unsigned int now_used = mbufs_in_use(app, s);

		if (app->mbuf_pools[s] == NULL)
			continue;
		if (now_used != app->mbufs_in_use_start[s]) {
			leaks += now_used > app->mbufs_in_use_start[s] ?
					now_used - app->mbufs_in_use_start[s] :
					app->mbufs_in_use_start[s] - now_used;
			printf("  socket %d: %u mbufs in use, %u at start\n", s, now_used,
					app->mbufs_in_use_start[s]);
		}
	}
	if (leaks == 0)
		printf("mbuf leak check: OK\n");
	else
		printf("mbuf leak check: LEAK %u\n", leaks);
	fflush(stdout);
	ctgate_ports_close(app);
	workers_destroy(app);
	rte_eal_cleanup();
	return leaks == 0 ? 0 : 3;

fail_export:
	ctgate_prom_stop(app);
	ctgate_ipfix_stop(app);
fail_ports:
	ctgate_ports_close(app);
fail_workers:
	workers_destroy(app);
fail_eal:
	rte_eal_cleanup();
	return 2;
}
