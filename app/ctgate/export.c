/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	What monitoring reads: DPDK telemetry endpoints under /ctgate/ (dpdk-telemetry.py),
 *	Prometheus text exposition on 127.0.0.1:PORT/metrics (libmicrohttpd, its own
 *	thread), and IPFIX (RFC 7011) connection records over UDP: one data record per
 *	direction of every connection that ends (flowStart/EndMilliseconds, 5-tuple,
 *	octetDeltaCount, packetDeltaCount, flowEndReason), templates 256 (IPv4) and 257
 *	(IPv6) sent first and then every `ipfix collector HOST PORT SECONDS`.
 *
 *	Counter names come from the X-macro lists (CTGATE_WORKER_COUNTERS, CTG_CT_COUNTERS,
 *	CTG_PL_DROPS, CTG_FRAG_REASONS, CTG_CT_REASONS), the lists `show stats` prints.
 *
 * Ownership & synchronization
 *	Telemetry callbacks (DPDK's telemetry thread) and the HTTP handler (libmicrohttpd's
 *	thread) only read: per-worker 64-bit counters as racy snapshots and immutable
 *	configuration. They never take the control core's locks or write any state. The
 *	file-scope app pointer is set once before either thread starts (DPDK 22.11 has no
 *	rte_telemetry_register_cmd_arg). IPFIX runs on the control core (events_poll()).
 */

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include <rte_telemetry.h>

#include "ctg_common.h"
#include "ctgate.h"

static struct ctgate_app *tel_app;

static const char *const pl_drop_names[] = {
#define CTG_PL_X(n, s) #n,
	CTG_PL_DROPS(CTG_PL_X)
#undef CTG_PL_X
};
static const char *const frag_reason_names[] = {
#define CTG_FRAG_X(n, s) #n,
	CTG_FRAG_REASONS(CTG_FRAG_X)
#undef CTG_FRAG_X
};
static const char *const ct_reason_names[] = {
#define CTG_CT_X(n, s) #n,
	CTG_CT_REASONS(CTG_CT_X)
#undef CTG_CT_X
};
static const char *const verdict_names[CTG_PL_VERDICT_COUNT] = { "forward", "drop", "held",
	"bypass", "handoff" };

/* ---- DPDK telemetry ---- */

static int
tel_worker_dict(struct rte_tel_data *d, const struct ctgate_worker_stats *s)
{
	rte_tel_data_start_dict(d);
#define CTGATE_X(n, h) rte_tel_data_add_dict_u64(d, #n, s->n);
	CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
	return 0;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_app *app = tel_app;
	char *end;
	unsigned long id;

	(void)cmd;
	if (params == NULL || params[0] == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
		for (uint16_t i = 0; i < app->conf.nb_workers; i++)
			rte_tel_data_add_array_u64(d, i);
		return 0;
	}
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= app->conf.nb_workers)
		return -EINVAL;
	tel_worker_dict(d, &app->workers[id].st);
	rte_tel_data_add_dict_u64(d, "lcore", app->workers[id].lcore);
	rte_tel_data_add_dict_u64(d, "conns", ctg_ct_count(ctg_pipeline_ct(app->workers[id].pl)));
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_worker_stats sum;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	ctgate_worker_stats_sum(tel_app, &sum);
	return tel_worker_dict(d, &sum);
}

static int
tel_ct_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctg_ct_stats s;
	uint64_t count;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	ctgate_ct_stats_sum(tel_app, &s, &count);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "count", count);
#define CTG_CT_X(n) rte_tel_data_add_dict_u64(d, #n, s.n);
	CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_app *app = tel_app;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (int r = 1; r < CTG_PL_DROP_COUNT; r++) {
		uint64_t v = 0;

		for (uint16_t i = 0; i < app->conf.nb_workers; i++)
			v += ctg_pipeline_stats_get(app->workers[i].pl)->drops[r];
		rte_tel_data_add_dict_u64(d, pl_drop_names[r], v);
	}
	return 0;
}

static int
tel_frag(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_app *app = tel_app;
	uint64_t frags = 0, reasm = 0, failed = 0, timeouts = 0, queues = 0;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		const struct ctg_frag_stats *f = ctg_frag_stats_get(ctg_pipeline_frag(app->workers[i].pl));

		frags += f->fragments;
		reasm += f->reassembled;
		failed += f->failed;
		timeouts += f->timeouts;
		queues += f->queues;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "fragments", frags);
	rte_tel_data_add_dict_u64(d, "reassembled", reasm);
	rte_tel_data_add_dict_u64(d, "failed", failed);
	rte_tel_data_add_dict_u64(d, "timeouts", timeouts);
	rte_tel_data_add_dict_u64(d, "queues", queues);
	return 0;
}

static int
tel_params(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_app *app = tel_app;
	const struct ctg_ct_params *p = app->params != NULL ? app->params : &app->shard_params;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (const struct ctg_param_desc *pd = ctg_ct_param_table.params; pd->name != NULL; pd++)
		rte_tel_data_add_dict_u64(d, pd->name,
				strcmp(pd->name, "nf_conntrack_max") == 0 ? app->conf.ct_max :
									    ctg_param_get(pd, p));
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_app *app = tel_app;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < app->conf.nb_ports; i++)
		rte_tel_data_add_dict_u64(d, app->conf.ports[i].name, app->conf.ports[i].port_id);
	return 0;
}

static int
tel_events(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctgate_worker_stats sum;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	ctgate_worker_stats_sum(tel_app, &sum);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "events", sum.events);
	rte_tel_data_add_dict_u64(d, "events_lost", sum.events_lost);
	rte_tel_data_add_dict_u64(d, "ipfix_records", ctgate_ipfix_records(tel_app));
	rte_tel_data_add_dict_u64(d, "ipfix_messages", ctgate_ipfix_messages(tel_app));
	rte_tel_data_add_dict_u64(d, "log", sum.log);
	rte_tel_data_add_dict_u64(d, "log_lost", sum.log_lost);
	return 0;
}

int
ctgate_telemetry_init(struct ctgate_app *app)
{
	static const struct {
		const char *path;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/ctgate/workers", tel_workers,
			"Worker ids, or one worker's counters. Parameters: int worker_id" },
		{ "/ctgate/stats", tel_stats, "Worker counters summed over the workers" },
		{ "/ctgate/ct/stats", tel_ct_stats, "Conntrack counters (conntrack -S) summed" },
		{ "/ctgate/pipeline/drops", tel_drops, "Pipeline drops by reason, summed" },
		{ "/ctgate/frag/stats", tel_frag, "Reassembly counters, summed" },
		{ "/ctgate/ct/params", tel_params, "Conntrack tunables in force" },
		{ "/ctgate/ports", tel_ports, "Port names and DPDK port ids (see /ethdev/stats)" },
		{ "/ctgate/events", tel_events, "Connection events, LOG records and IPFIX counters" },
	};

	tel_app = app;
	for (size_t i = 0; i < CTG_ARRAY_SIZE(cmds); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].path, cmds[i].fn, cmds[i].help);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- Prometheus ---- */

static struct MHD_Daemon *prom_daemon;

#define PROM_HEAD(f, name, type, help)                                                   \
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type)

void
ctgate_prom_write(struct ctgate_app *app, FILE *f)
{
	const uint16_t nw = app->conf.nb_workers;

	/* Ports. */
#define PORT_METRIC(mname, field, help)                                                  \
	PROM_HEAD(f, "ctgate_port_" mname "_total", "counter", help);                    \
	for (uint16_t i = 0; i < app->conf.nb_ports; i++) {                              \
		struct rte_eth_stats s = { 0 };                                          \
		rte_eth_stats_get(app->conf.ports[i].port_id, &s);                       \
		fprintf(f, "ctgate_port_" mname "_total{port=\"%s\"} %" PRIu64 "\n",     \
				app->conf.ports[i].name, s.field);                       \
	}
	PORT_METRIC("rx_packets", ipackets, "Frames received by the port")
	PORT_METRIC("tx_packets", opackets, "Frames sent by the port")
	PORT_METRIC("rx_bytes", ibytes, "Bytes received by the port")
	PORT_METRIC("tx_bytes", obytes, "Bytes sent by the port")
	PORT_METRIC("rx_missed", imissed, "Frames the port dropped: rx queue full")
	PORT_METRIC("rx_errors", ierrors, "Erroneous frames received")
	PORT_METRIC("tx_errors", oerrors, "Failed transmissions")
	PORT_METRIC("rx_nombuf", rx_nombuf, "Rx mbuf allocation failures")
#undef PORT_METRIC
	/* Worker counters: max_* are gauges, the rest counters. */
#define CTGATE_X(n, h)                                                                   \
	if (strncmp(#n, "max_", 4) == 0) {                                               \
		PROM_HEAD(f, "ctgate_worker_" #n, "gauge", h);                           \
		for (uint16_t i = 0; i < nw; i++)                                        \
			fprintf(f, "ctgate_worker_" #n "{worker=\"%u\"} %" PRIu64 "\n", i, \
					app->workers[i].st.n);                           \
	} else {                                                                         \
		PROM_HEAD(f, "ctgate_worker_" #n "_total", "counter", h);                \
		for (uint16_t i = 0; i < nw; i++)                                        \
			fprintf(f, "ctgate_worker_" #n "_total{worker=\"%u\"} %" PRIu64 "\n", \
					i, app->workers[i].st.n);                        \
	}
	CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
	PROM_HEAD(f, "ctgate_tsc_hz", "gauge", "TSC frequency (cycles per second)");
	fprintf(f, "ctgate_tsc_hz %" PRIu64 "\n", app->tsc_hz);
	/* Pipeline. */
	PROM_HEAD(f, "ctgate_pipeline_verdicts_total", "counter", "Pipeline verdicts");
	for (uint16_t i = 0; i < nw; i++)
		for (int v = 0; v < CTG_PL_VERDICT_COUNT; v++)
			fprintf(f,
				"ctgate_pipeline_verdicts_total{worker=\"%u\",verdict=\"%s\"} %" PRIu64
				"\n",
				i, verdict_names[v], ctg_pipeline_stats_get(app->workers[i].pl)->verdicts[v]);
	PROM_HEAD(f, "ctgate_pipeline_drops_total", "counter", "Pipeline drops by reason");
	for (uint16_t i = 0; i < nw; i++)
		for (int r = 1; r < CTG_PL_DROP_COUNT; r++)
			fprintf(f,
				"ctgate_pipeline_drops_total{worker=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
				i, pl_drop_names[r], ctg_pipeline_stats_get(app->workers[i].pl)->drops[r]);
	PROM_HEAD(f, "ctgate_pipeline_ct_states_total", "counter",
			"Packets by conntrack state (NEW, ESTABLISHED ...)");
	for (uint16_t i = 0; i < nw; i++)
		for (int st = 0; st < CTG_CT_STATE_COUNT; st++)
			fprintf(f,
				"ctgate_pipeline_ct_states_total{worker=\"%u\",state=\"%s\"} %" PRIu64
				"\n",
				i, ctg_ct_state_str((enum ctg_ct_state)st),
				ctg_pipeline_stats_get(app->workers[i].pl)->ct_states[st]);
	/* Conntrack. */
	PROM_HEAD(f, "ctgate_conntrack_entries", "gauge", "Live confirmed connections");
	for (uint16_t i = 0; i < nw; i++)
		fprintf(f, "ctgate_conntrack_entries{worker=\"%u\"} %u\n", i,
				ctg_ct_count(ctg_pipeline_ct(app->workers[i].pl)));
	PROM_HEAD(f, "ctgate_conntrack_embryonic", "gauge",
			"Half-open TCP connections counted (ctgate_limit_embryonic on)");
	for (uint16_t i = 0; i < nw; i++)
		fprintf(f, "ctgate_conntrack_embryonic{worker=\"%u\"} %" PRIu64 "\n", i,
				ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl))->embryonic);
	/* Packet buffers. */
	PROM_HEAD(f, "ctgate_mbufs_in_use", "gauge", "Mbufs taken from the pool of a socket");
	for (int so = 0; so < RTE_MAX_NUMA_NODES; so++)
		if (app->mbuf_pools[so] != NULL)
			fprintf(f, "ctgate_mbufs_in_use{socket=\"%d\"} %u\n", so,
					rte_mempool_in_use_count(app->mbuf_pools[so]));
	PROM_HEAD(f, "ctgate_mbufs", "gauge", "Mbufs in the pool of a socket");
	for (int so = 0; so < RTE_MAX_NUMA_NODES; so++)
		if (app->mbuf_pools[so] != NULL)
			fprintf(f, "ctgate_mbufs{socket=\"%d\"} %u\n", so,
					app->mbuf_pools[so]->size);
#define CTG_CT_X(n)                                                                      \
	PROM_HEAD(f, "ctgate_conntrack_" #n "_total", "counter",                         \
			"Conntrack statistic " #n " (conntrack -S)");                    \
	for (uint16_t i = 0; i < nw; i++)                                                \
		fprintf(f, "ctgate_conntrack_" #n "_total{worker=\"%u\"} %" PRIu64 "\n", i, \
				ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl))->n);
	CTG_CT_COUNTERS(CTG_CT_X)
#undef CTG_CT_X
	PROM_HEAD(f, "ctgate_conntrack_invalid_by_reason_total", "counter",
			"INVALID or ignored packets by reason");
	for (uint16_t i = 0; i < nw; i++)
		for (int r = 1; r < CTG_CT_R_COUNT; r++)
			fprintf(f,
				"ctgate_conntrack_invalid_by_reason_total{worker=\"%u\",reason=\"%s\"} "
				"%" PRIu64 "\n",
				i, ct_reason_names[r],
				ctg_ct_stats_get(ctg_pipeline_ct(app->workers[i].pl))->invalid_by_reason[r]);
	/* Reassembly. */
#define FRAG_METRIC(mname, type, field, help)                                            \
	PROM_HEAD(f, "ctgate_frag_" mname, type, help);                                  \
	for (uint16_t i = 0; i < nw; i++)                                                \
		fprintf(f, "ctgate_frag_" mname "{worker=\"%u\"} %" PRIu64 "\n", i,      \
				ctg_frag_stats_get(ctg_pipeline_frag(app->workers[i].pl))->field);
	FRAG_METRIC("fragments_total", "counter", fragments, "Fragments offered to reassembly")
	FRAG_METRIC("reassembled_total", "counter", reassembled, "Datagrams reassembled")
	FRAG_METRIC("failed_total", "counter", failed, "Datagrams thrown away")
	FRAG_METRIC("timeouts_total", "counter", timeouts, "Datagrams timed out")
	FRAG_METRIC("queues", "gauge", queues, "Datagrams being reassembled")
	FRAG_METRIC("held_bytes", "gauge", bytes, "Payload bytes held")
	FRAG_METRIC("held_fragments", "gauge", held, "Fragments (and their mbufs) held")
#undef FRAG_METRIC
	PROM_HEAD(f, "ctgate_frag_dropped_total", "counter", "Fragments dropped by reason");
	for (uint16_t i = 0; i < nw; i++)
		for (int r = 1; r < CTG_FRAG_R_COUNT; r++)
			fprintf(f, "ctgate_frag_dropped_total{worker=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
					i, frag_reason_names[r],
					ctg_frag_stats_get(ctg_pipeline_frag(app->workers[i].pl))->dropped[r]);
	/* Control plane. */
	PROM_HEAD(f, "ctgate_rules_loaded", "gauge", "1 if a ruleset is loaded");
	fprintf(f, "ctgate_rules_loaded %d\n", app->rules != NULL);
	PROM_HEAD(f, "ctgate_ipfix_records_total", "counter", "IPFIX data records sent");
	fprintf(f, "ctgate_ipfix_records_total %" PRIu64 "\n", ctgate_ipfix_records(app));
	PROM_HEAD(f, "ctgate_ipfix_messages_total", "counter", "IPFIX messages sent");
	fprintf(f, "ctgate_ipfix_messages_total %" PRIu64 "\n", ctgate_ipfix_messages(app));
}

static enum MHD_Result
prom_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
		const char *version, const char *upload_data, size_t *upload_size, void **ptr)
{
	struct ctgate_app *app = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	size_t size = 0;
	unsigned int status = MHD_HTTP_OK;
	FILE *f;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)ptr;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_NO;
	f = open_memstream(&text, &size);
	if (f == NULL)
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		ctgate_prom_write(app, f);
	} else {
		fprintf(f, "ctgate: metrics are at /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	}
	fclose(f);
	resp = MHD_create_response_from_buffer(size, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int
ctgate_prom_start(struct ctgate_app *app, FILE *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (app->conf.prom_port == 0)
		return 0;
	sa.sin_port = htons(app->conf.prom_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	prom_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, app->conf.prom_port,
			NULL, NULL, prom_handler, app, MHD_OPTION_SOCK_ADDR, &sa,
			MHD_OPTION_CONNECTION_LIMIT, 16U, MHD_OPTION_END);
	if (prom_daemon == NULL) {
		fprintf(err, "ctgate: cannot serve Prometheus metrics on 127.0.0.1:%u\n",
				app->conf.prom_port);
		return -EADDRINUSE;
	}
	printf("ctgate: Prometheus metrics on http://127.0.0.1:%u/metrics\n", app->conf.prom_port);
	return 0;
}

void
ctgate_prom_stop(struct ctgate_app *app)
{
	(void)app;
	if (prom_daemon != NULL)
		MHD_stop_daemon(prom_daemon);
	prom_daemon = NULL;
}

/* ---- IPFIX (RFC 7011) ---- */

#define IPFIX_VERSION	 10
#define IPFIX_MTU	 1400
#define IPFIX_TMPL_V4	 256
#define IPFIX_TMPL_V6	 257
#define IPFIX_FLUSH_NS	 (1 * CTG_NS_PER_S)

/* Information elements (IANA): id, length. */
static const uint16_t ipfix_v4_fields[][2] = {
	{ 152, 8 }, /* flowStartMilliseconds */
	{ 153, 8 }, /* flowEndMilliseconds */
	{ 8, 4 },   /* sourceIPv4Address */
	{ 12, 4 },  /* destinationIPv4Address */
	{ 7, 2 },   /* sourceTransportPort */
	{ 11, 2 },  /* destinationTransportPort */
	{ 4, 1 },   /* protocolIdentifier */
	{ 136, 1 }, /* flowEndReason */
	{ 1, 8 },   /* octetDeltaCount */
	{ 2, 8 },   /* packetDeltaCount */
};
static const uint16_t ipfix_v6_fields[][2] = {
	{ 152, 8 }, { 153, 8 }, { 27, 16 }, { 28, 16 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
	{ 136, 1 }, { 1, 8 }, { 2, 8 },
};
#define IPFIX_REC_V4 (8 + 8 + 4 + 4 + 2 + 2 + 1 + 1 + 8 + 8)
#define IPFIX_REC_V6 (8 + 8 + 16 + 16 + 2 + 2 + 1 + 1 + 8 + 8)

static struct {
	int fd;
	uint8_t buf[IPFIX_MTU];
	size_t len;	     /* bytes in buf (header included once started) */
	size_t set_off;	     /* offset of the open data set's header, 0 if none */
	uint16_t set_id;
	uint32_t seq;	     /* data records sent before this message */
	uint32_t pending;    /* data records in buf */
	uint64_t last_send_ns;
	uint64_t last_tmpl_ns;
	uint64_t records, messages;
	bool on;
} ipfix = { .fd = -1 };

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void
ipfix_close_set(void)
{
	if (ipfix.set_off != 0)
		put16(ipfix.buf + ipfix.set_off + 2, (uint16_t)(ipfix.len - ipfix.set_off));
	ipfix.set_off = 0;
	ipfix.set_id = 0;
}

static void
ipfix_send(struct ctgate_app *app)
{
	struct timespec ts;

	if (ipfix.len <= 16)
		return;
	ipfix_close_set();
	clock_gettime(CLOCK_REALTIME, &ts);
	put16(ipfix.buf, IPFIX_VERSION);
	put16(ipfix.buf + 2, (uint16_t)ipfix.len);
	put32(ipfix.buf + 4, (uint32_t)ts.tv_sec);
	put32(ipfix.buf + 8, ipfix.seq);
	put32(ipfix.buf + 12, 1); /* observation domain */
	if (send(ipfix.fd, ipfix.buf, ipfix.len, MSG_DONTWAIT) == (ssize_t)ipfix.len)
		ipfix.messages++;
	ipfix.seq += ipfix.pending;
	ipfix.records += ipfix.pending;
	ipfix.pending = 0;
	ipfix.len = 16;
	ipfix.last_send_ns = ctgate_now_ns(app);
}

static void
ipfix_template(struct ctgate_app *app)
{
	uint8_t *p;

	ipfix_close_set();
	p = ipfix.buf + ipfix.len;
	put16(p, 2); /* template set */
	put16(p + 2, (uint16_t)(4 + 2 * (4 + 4 * CTG_ARRAY_SIZE(ipfix_v4_fields))));
	p += 4;
	put16(p, IPFIX_TMPL_V4);
	put16(p + 2, CTG_ARRAY_SIZE(ipfix_v4_fields));
	p += 4;
	for (size_t i = 0; i < CTG_ARRAY_SIZE(ipfix_v4_fields); i++, p += 4) {
		put16(p, ipfix_v4_fields[i][0]);
		put16(p + 2, ipfix_v4_fields[i][1]);
	}
	put16(p, IPFIX_TMPL_V6);
	put16(p + 2, CTG_ARRAY_SIZE(ipfix_v6_fields));
	p += 4;
	for (size_t i = 0; i < CTG_ARRAY_SIZE(ipfix_v6_fields); i++, p += 4) {
		put16(p, ipfix_v6_fields[i][0]);
		put16(p + 2, ipfix_v6_fields[i][1]);
	}
	ipfix.len = (size_t)(p - ipfix.buf);
	ipfix.last_tmpl_ns = ctgate_now_ns(app);
}

static void
ipfix_record(struct ctgate_app *app, const struct ctg_ct_tuple *t, uint64_t start_ms,
		uint64_t end_ms, uint8_t reason, uint64_t bytes, uint64_t packets)
{
	uint16_t set = t->family == 4 ? IPFIX_TMPL_V4 : IPFIX_TMPL_V6;
	size_t rec = t->family == 4 ? IPFIX_REC_V4 : IPFIX_REC_V6;
	size_t alen = t->family == 4 ? 4 : 16;
	bool icmp = t->proto == 1 || t->proto == 58;
	uint8_t *p;

	if (ipfix.len + rec + 4 > IPFIX_MTU)
		ipfix_send(app);
	if (ipfix.set_id != set) {
		ipfix_close_set();
		ipfix.set_off = ipfix.len;
		ipfix.set_id = set;
		put16(ipfix.buf + ipfix.len, set);
		ipfix.len += 4;
	}
	p = ipfix.buf + ipfix.len;
	put64(p, start_ms);
	put64(p + 8, end_ms);
	memcpy(p + 16, t->src.b, alen);
	memcpy(p + 16 + alen, t->dst.b, alen);
	p += 16 + 2 * alen;
	/* ICMP: no source port, destination port type << 8 | code (the NetFlow habit). */
	put16(p, icmp ? 0 : t->sport);
	put16(p + 2, t->dport);
	p[4] = t->proto;
	p[5] = reason;
	put64(p + 6, bytes);
	put64(p + 14, packets);
	ipfix.len += rec;
	ipfix.pending++;
}

void
ctgate_ipfix_event(struct ctgate_app *app, const struct ctgate_event *e)
{
	const struct ctg_ct_conn *c = &e->c;
	struct ctg_ct_tuple reply;
	uint64_t start_ms = (app->wall0_ns + c->start_ns) / 1000000;
	uint64_t end_ms = (app->wall0_ns + e->now_ns) / 1000000;
	uint8_t reason = e->reason ? e->reason : CTGATE_END_IDLE;

	if (!ipfix.on)
		return;
	ipfix_record(app, &c->orig, start_ms, end_ms, reason, ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG),
			ctg_ct_conn_packets(c, CTG_CT_DIR_ORIG));
	if (ctg_ct_conn_packets(c, CTG_CT_DIR_REPLY) > 0) {
		ctg_ct_conn_reply_tuple(c, &reply);
		ipfix_record(app, &reply, start_ms, end_ms, reason, ctg_ct_conn_bytes(c, CTG_CT_DIR_REPLY),
				ctg_ct_conn_packets(c, CTG_CT_DIR_REPLY));
	}
}

void
ctgate_ipfix_flush(struct ctgate_app *app, bool force)
{
	uint64_t now = ctgate_now_ns(app);

	if (!ipfix.on)
		return;
	if (now - ipfix.last_tmpl_ns >= (uint64_t)app->conf.ipfix_template_s * CTG_NS_PER_S) {
		/* Template refresh (UDP transport, RFC 7011 section 8.4). */
		ipfix_send(app);
		ipfix_template(app);
		ipfix.last_send_ns = 0;
	}
	if (ipfix.len > 16 && (force || now - ipfix.last_send_ns >= IPFIX_FLUSH_NS))
		ipfix_send(app);
}

bool
ctgate_ipfix_on(const struct ctgate_app *app)
{
	(void)app;
	return ipfix.on;
}

uint64_t
ctgate_ipfix_records(const struct ctgate_app *app)
{
	(void)app;
	return ipfix.records;
}

uint64_t
ctgate_ipfix_messages(const struct ctgate_app *app)
{
	(void)app;
	return ipfix.messages;
}

int
ctgate_ipfix_start(struct ctgate_app *app, FILE *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char port[8];
	int rc;

	if (app->conf.ipfix_port == 0)
		return 0;
	snprintf(port, sizeof(port), "%u", app->conf.ipfix_port);
	rc = getaddrinfo(app->conf.ipfix_host, port, &hints, &res);
	if (rc != 0) {
		fprintf(err, "ctgate: ipfix collector %s: %s\n", app->conf.ipfix_host,
				gai_strerror(rc));
		return -EINVAL;
	}
	ipfix.fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ipfix.fd < 0 || connect(ipfix.fd, res->ai_addr, res->ai_addrlen) != 0) {
		fprintf(err, "ctgate: ipfix collector %s:%s: %s\n", app->conf.ipfix_host, port,
				strerror(errno));
		freeaddrinfo(res);
		if (ipfix.fd >= 0)
			close(ipfix.fd);
		ipfix.fd = -1;
		return -errno;
	}
	freeaddrinfo(res);
	ipfix.len = 16;
	ipfix.on = true;
	ipfix_template(app);
	ipfix_send(app);
	printf("ctgate: IPFIX records to %s:%u\n", app->conf.ipfix_host, app->conf.ipfix_port);
	return 0;
}

void
ctgate_ipfix_stop(struct ctgate_app *app)
{
	if (!ipfix.on)
		return;
	ctgate_ipfix_flush(app, true);
	close(ipfix.fd);
	ipfix.fd = -1;
	ipfix.on = false;
}
