/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTGATE_H_
#define CTGATE_H_

/*
 * Shared definitions of the ctgate appliance (app/ctgate): the configuration the command
 * table builds, the port and worker descriptions, and the entry points of main.c,
 * port.c, worker.c and commands.c. See README.md in this directory for the design.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctg_pipeline.h"

#define CTGATE_MAX_PORTS    16
#define CTGATE_MAX_WORKERS  64
#define CTGATE_PORT_NAME    32
#define CTGATE_DEVARGS	    256
#define CTGATE_PATH	    512
#define CTGATE_BURST	    32
#define CTGATE_TX_RETRIES 64 /* tx_burst retries before a full ring counts as drops */
#define CTGATE_UNMAP_GRACE_MS 500 /* longest wait of an munmap() for the workers (unmap_guard.c) */
#define CTGATE_TXBUF	    (4 * CTGATE_BURST + CTG_FRAG_MAX_FRAGS)
#define CTGATE_RX_DESC	    512
#define CTGATE_TX_DESC	    512
#define CTGATE_HANDOFF_RING 4096
#define CTGATE_FRAG_DATAGRAMS 1024 /* datagrams in reassembly per worker */
#define CTGATE_FRAG_HELD_MIN 1024  /* mbufs reserved per worker for held fragments */
#define CTGATE_BIGBUF_SIZE  (65536 + 128)
#define CTGATE_NO_PEER	    UINT16_MAX
#define CTGATE_REQ_CHUNK    256	 /* entries one worker request copies at most */
#define CTGATE_REQ_SCAN	    4096 /* pool slots one worker request visits at most */
#define CTGATE_EVENT_RING   8192 /* per-worker event records */
#define CTGATE_LOG_RING	    512	 /* per-worker LOG records */
#define CTGATE_LOG_KEEP	    256	 /* LOG lines the control core remembers */
#define CTGATE_LOG_RATE	    20	 /* LOG records per second and worker ... */
#define CTGATE_LOG_BURST    50	 /* ... with this burst */
#define CTGATE_SOCK_DEFAULT "/run/ctgate/ctgate.sock"

/** One configured port (a "port add" line). Immutable once the workers run. */
struct ctgate_port {
	char name[CTGATE_PORT_NAME];	/* the config's name ("tap0") */
	char devargs[CTGATE_DEVARGS];	/* "net_tap0,iface=ctg_in" or a PCI address */
	unsigned int line;		/* config line that added it */
	uint16_t port_id;		/* DPDK port id once probed */
	uint16_t peer;			/* index of the bridge peer, CTGATE_NO_PEER */
	uint16_t nb_rxq;		/* rx queues: min(workers, device max) */
	bool rss;			/* symmetric RSS configured */
	bool probed;			/* port_id is valid */
	bool probed_here;		/* we probed it (vdev/devargs), so we remove it */
	struct rte_ether_addr mac;
};

/** Everything the config file (and the command line) sets before start. */
struct ctgate_conf {
	struct ctgate_port ports[CTGATE_MAX_PORTS];
	uint16_t nb_ports;
	uint16_t nb_workers;		/* "workers N" / --workers */
	uint8_t owner_mode;		/* "dispatch l3|l4": enum ctg_pipeline_owner_mode */
	unsigned int workers_line;	/* line of "workers", 0 from the command line */
	uint32_t mempool_size;		/* mbufs per socket ("mempool N") */
	uint64_t ct_max;		/* total connections ("conntrack max N") */
	struct ctg_ct_params ct_params; /* "set param NAME VALUE" */
	char rules_file[CTGATE_PATH];	/* "rules load FILE" / --rules */
	unsigned int rules_line;
	uint64_t exit_idle_ns;		/* --exit-idle: stop after this long without rx */
	uint32_t stats_interval_s;	/* --stats SECONDS: periodic stats, 0 = off */
	char sock_path[CTGATE_PATH];	/* "control socket PATH", "" = none */
	bool sock_explicit;		/* configured (not the default): in use is an error */
	bool console;			/* "console on|off" / --no-console */
	uint16_t prom_port;		/* "prometheus port N", 0 = off */
	char ipfix_host[64];		/* "ipfix collector HOST PORT" */
	uint16_t ipfix_port;		/* 0 = off */
	uint32_t ipfix_template_s;	/* template refresh interval (UDP) */
};

/** Counters of one worker: written by that worker only, read by the control core. */
#define CTGATE_WORKER_COUNTERS(X)                                                        \
	X(rx, "frames received")                                                         \
	X(tx, "frames sent")                                                             \
	X(tx_drop, "frames the tx queue refused (dropped)")                              \
	X(forward, "frames forwarded")                                                   \
	X(drop, "frames dropped by the pipeline")                                        \
	X(bypass, "non-IP frames bridged")                                               \
	X(held, "fragments held by reassembly")                                          \
	X(frag_freed, "held fragments freed (discarded or expired)")                     \
	X(handoff_out, "datagrams handed to another worker")                             \
	X(handoff_in, "datagrams received from another worker")                          \
	X(ring_drop, "frames dropped: owner's handoff ring full")                        \
	X(handoff_nomem, "frames dropped: no handoff buffer")                            \
	X(reject_sent, "REJECT packets sent")                                            \
	X(reject_drop, "REJECT packets not sent (no mbuf or tx full)")                   \
	X(rules_switch, "rule sets switched to")                                         \
	X(params_switch, "parameter blocks switched to")                                 \
	X(requests, "control requests served (list, delete, get ...)")                   \
	X(events, "connection events queued (NEW, UPDATE, DESTROY)")                     \
	X(events_lost, "connection events lost: the event ring was full")                \
	X(log, "LOG records queued")                                                     \
	X(log_lost, "LOG records suppressed (rate limit or ring full)")                  \
	X(loops, "loop iterations")                                                      \
	X(busy_loops, "loop iterations that received or processed something")           \
	X(busy_cycles, "TSC cycles spent in busy iterations")                            \
	X(max_loop_cycles, "longest loop iteration (TSC cycles)")                        \
	X(max_req_cycles, "longest time serving one control request (TSC cycles)")

struct ctgate_worker_stats {
#define CTGATE_X(n, s) uint64_t n;
	CTGATE_WORKER_COUNTERS(CTGATE_X)
#undef CTGATE_X
};

/** A message on a handoff ring: one datagram and the original frames that carry it. */
struct ctgate_handoff {
	const uint8_t *data;	/* the IP datagram: inside mbufs[0] or in bigbuf */
	void *bigbuf;		/* a reassembled datagram's copy (bigbuf pool), or NULL */
	uint32_t len;
	uint16_t in_port;	/* port index (not DPDK id) it came in on */
	uint16_t nb_mbufs;
	struct rte_mbuf *mbufs[CTG_FRAG_MAX_FRAGS];
};

/* IPFIX flowEndReason (RFC 7011 / IANA), also carried by DESTROY events. */
#define CTGATE_END_IDLE	    1
#define CTGATE_END_ACTIVE   2
#define CTGATE_END_OF_FLOW  3
#define CTGATE_END_FORCED   4
#define CTGATE_END_RESOURCE 5

enum ctgate_event_type {
	CTGATE_EV_NEW,
	CTGATE_EV_UPDATE,
	CTGATE_EV_DESTROY,
};

/** One connection event: a fixed-size record on a worker's event ring (SP/SC). */
struct ctgate_event {
	uint8_t type;	  /* enum ctgate_event_type */
	uint8_t reason;	  /* DESTROY: CTGATE_END_* */
	uint16_t worker;
	uint32_t pad;
	uint64_t now_ns;  /* when it happened (ctgate_now_ns) */
	struct ctg_ct_conn c; /* a copy of the entry at that moment */
};

/** One LOG target hit (kernel LOG line fields), on a worker's log ring (SP/SC). */
struct ctgate_log_rec {
	uint64_t now_ns;
	uint32_t line;	  /* rule's line in the ruleset */
	uint32_t len;	  /* datagram length */
	uint16_t worker;
	uint16_t in_port;
	uint16_t out_port;
	uint16_t sport;
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
	uint8_t level;
	uint8_t pad[3];
	union ctg_addr src;
	union ctg_addr dst;
	char prefix[32];
};

/** conntrack-tool filters (-p, -s/-d, --sport/--dport, --state, --status, --zone, --mark). */
struct ctgate_ct_filter {
	uint8_t proto;	   /* 0: any */
	uint8_t family;	   /* 0: any, 4, 6 */
	bool has_src, has_dst, has_sport, has_dport, has_zone, has_mark;
	int16_t l4_state;  /* -1: any; otherwise the name's index (TCP or SCTP) */
	char l4_state_name[24];
	uint32_t status;   /* these status bits must all be set */
	union ctg_addr src, dst;
	uint8_t src_family, dst_family;
	uint16_t sport, dport, zone;
	uint32_t mark, mark_mask;
};

enum ctgate_req_op {
	CTGATE_REQ_LIST,       /* copy matching entries from cursor on */
	CTGATE_REQ_DELETE,     /* delete matching entries from cursor on */
	CTGATE_REQ_GET,	       /* copy the entry of a tuple */
	CTGATE_REQ_EXPECT,     /* copy the expectations */
	CTGATE_REQ_EXPECT_DELETE, /* delete the expectations matching the filter */
	CTGATE_REQ_RULES_ZERO, /* zero this worker's rule counters */
	CTGATE_REQ_CLEAR_MAX,  /* restart the longest-iteration/-request measurements */
};

/**
 * A request from the control core to one worker, served between two bursts: at most
 * CTGATE_REQ_SCAN pool slots visited and CTGATE_REQ_CHUNK entries copied or deleted,
 * then the worker stores the cursor to resume from and sets done (release).
 */
struct ctgate_req {
	uint8_t op;		  /* enum ctgate_req_op */
	struct ctgate_ct_filter filter;
	struct ctg_ct_tuple tuple; /* GET */
	uint32_t cursor;	  /* in: first pool slot; out: next one (UINT32_MAX: end) */
	uint32_t n;		  /* out: entries copied / deleted */
	uint64_t now_ns;	  /* out: the worker's clock */
	atomic_bool done;
	union {
		struct ctg_ct_conn conns[CTGATE_REQ_CHUNK];
		struct ctg_ct_expect expects[CTGATE_REQ_CHUNK];
	} u;
};

/** Transmit buffer of one worker for one port. Owner worker only. */
struct ctgate_txbuf {
	uint16_t count;
	struct rte_mbuf *pkts[CTGATE_TXBUF];
};

/** One worker lcore. */
struct ctgate_worker {
	/* Immutable after start. */
	uint16_t id;
	unsigned int lcore;
	int socket;
	struct ctg_pipeline *pl;
	struct rte_mempool *mbuf_pool;	  /* socket-local mbufs (rejects) */
	struct rte_ring *ring;		  /* handoffs to this worker: MP/SC */
	struct ctgate_app *app;
	uint32_t ct_capacity;		  /* pool slots of the shard */
	struct rte_ring *req_ring;	  /* control -> worker requests: SP/SC */
	struct ctgate_req *req;		  /* the control core's request buffer */
	struct rte_ring *ev_ring;	  /* worker -> control events: SP/SC, elems */
	struct rte_ring *log_ring;	  /* worker -> control LOG records: SP/SC, elems */
	/* Owner worker only. */
	struct ctgate_txbuf txb[CTGATE_MAX_PORTS];
	uint16_t *ev_shadow;		  /* per slot: L4 state | status, for UPDATE */
	uint64_t now;			  /* this loop's time */
	uint8_t ev_reason;		  /* DESTROY reason of the engine call in progress */
	uint64_t log_tokens_ns;		  /* LOG token bucket (ns of credit) */
	struct ctgate_worker_stats st;	  /* read by the control core (64-bit snapshots) */
	const struct ctg_rule_set *rules; /* the set this worker uses now */
	struct ctg_rule_counters *rules_cnt; /* and its counter block */
	/* Shared: control writes, worker reads (rule publication, see README.md). */
	_Atomic(const struct ctg_rule_set *) rules_next;
	struct ctg_rule_counters *_Atomic rules_next_cnt;
	_Atomic(const struct ctg_ct_params *) params_next;
	/* Shared: worker writes, control reads. */
	atomic_uint_fast64_t rules_gen_seen; /* last publication generation applied */
	atomic_uint_fast64_t params_gen_seen; /* last parameter generation applied */
	atomic_uint_fast64_t last_rx_ns;     /* time of the last received frame */
	atomic_bool running;		     /* the loop is running */
	atomic_uint_fast64_t stall_until;    /* debug stall: TSC until which it stops polling */
} __rte_cache_aligned;

/** The appliance. */
struct ctgate_app {
	struct ctgate_conf conf;
	struct ctgate_worker workers[CTGATE_MAX_WORKERS];
	struct rte_mempool *mbuf_pools[RTE_MAX_NUMA_NODES];
	struct rte_mempool *msg_pool;	 /* struct ctgate_handoff */
	struct rte_mempool *bigbuf_pool; /* reassembled datagram copies */
	unsigned int mbufs_in_use_start[RTE_MAX_NUMA_NODES];
	uint64_t tsc_hz;
	uint64_t tsc0;
	atomic_bool stop;		 /* control -> workers: leave the loop */
	atomic_uint_fast64_t rules_gen;	 /* publication generation */
	const struct ctg_rule_set *rules; /* current set (control core's view) */
	struct ctg_rule_counters *rule_cnt[CTGATE_MAX_WORKERS];
	struct ctg_ct_params shard_params; /* first tunables of every shard (max: a share) */
	const struct ctg_ct_params *params; /* the block the workers use now */
	atomic_uint_fast64_t params_gen;  /* parameter publication generation */
	atomic_bool events_on;		 /* workers queue events (subscribers or IPFIX) */
	uint64_t wall0_ns;		 /* CLOCK_REALTIME at ctgate_now_ns() == 0 */
	struct ctgate_ctl *ctl;		 /* console, socket, exporters (control.c) */
	uint64_t shutdown_drops;	 /* frames freed from rings at shutdown */
	struct rte_mbuf **fault_mbufs;	 /* debug mbuf-hold: mbufs taken out of the pools */
	uint32_t fault_nb;
	uint32_t fault_cap;
};

/* commands.c: the command language shared by the config file and the console. */

struct ctgate_session;

/** Where a command runs and writes. */
struct ctgate_cmd_ctx {
	struct ctgate_app *app;
	FILE *out;		/* normal output */
	unsigned int line;	/* config line, 0 for the console */
	bool started;		/* the appliance runs: start-up-only commands are refused */
	bool json;		/* JSON output (commands flagged CTGATE_CMD_JSON) */
	bool read_only;		/* read-write commands are refused (ctgate-cli --read-only) */
	struct ctgate_session *session; /* console or socket client; NULL: config file */
	const char *basedir;	/* relative file names are taken from here (config's dir) */
	char err[256];		/* a handler's error message */
};

typedef int ctgate_cmd_fn(struct ctgate_cmd_ctx *ctx, int argc, char **argv);

#define CTGATE_CMD_RO	   0x01 /* reads only */
#define CTGATE_CMD_RW	   0x02 /* changes state */
#define CTGATE_CMD_STARTUP 0x04 /* only before the ports start (config file) */
#define CTGATE_CMD_RUNTIME 0x08 /* only once the appliance runs (console, socket) */
#define CTGATE_CMD_JSON	   0x10 /* writes JSON itself when ctx->json */
#define CTGATE_CMD_SESSION 0x20 /* needs a session (events, quit) */

/** One command: "path" words, then min..max arguments. Declared once, see CTGATE_CMD. */
struct ctgate_cmd {
	const char *path;	/* "port add", "set param" */
	const char *usage;	/* "NAME DEVARGS" */
	uint8_t min_args;
	uint8_t max_args;
	uint32_t flags;		/* CTGATE_CMD_* */
	ctgate_cmd_fn *fn;
	const char *help;
};

/** Register a command (constructor; see CTGATE_CMD). */
void ctgate_cmd_register(const struct ctgate_cmd *cmd);

/** Declare and register a command row: CTGATE_CMD(show_ports, "show ports", ...). */
#define CTGATE_CMD(id, path_, usage_, min_, max_, flags_, fn_, help_)                     \
	static const struct ctgate_cmd cmd_row_##id = { .path = path_,                \
		.usage = usage_,                                                         \
		.min_args = min_,                                                        \
		.max_args = max_,                                                        \
		.flags = flags_,                                                         \
		.fn = fn_,                                                               \
		.help = help_ };                                                         \
	RTE_INIT(cmd_row_init_##id)                                                   \
	{                                                                                \
		ctgate_cmd_register(&cmd_row_##id);                                   \
	}

/** Set ctx->err and return -EINVAL. */
int ctgate_cmd_fail(struct ctgate_cmd_ctx *ctx, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

/** Parse a decimal number in [min, max] (ctgate_cmd_fail on error). */
int ctgate_cmd_num(struct ctgate_cmd_ctx *ctx, const char *what, const char *s, uint64_t min,
		uint64_t max, uint64_t *v);

/** Command names completing @p line (console Tab); calls @p fn for each word. */
void ctgate_cmd_complete(const char *line, void (*fn)(const char *word, void *arg), void *arg);

/** Write @p s as a JSON string (quotes and escapes). */
void ctgate_json_str(FILE *f, const char *s);

/** Run one command line. @return 0, or negative errno with ctx->err set. */
int ctgate_cmd_exec(struct ctgate_cmd_ctx *ctx, const char *line);

/** Run a config file; errors are printed to @p err as "config:LINE: message". */
int ctgate_cmd_run_file(struct ctgate_app *app, const char *path, FILE *out, FILE *err);

/** Check the configuration as a whole (ports bridged, lcores); same error format. */
int ctgate_conf_validate(struct ctgate_app *app, FILE *err);

/** Set the defaults of a configuration. */
void ctgate_conf_defaults(struct ctgate_conf *conf);

/** Print the command list. */
void ctgate_cmd_help(FILE *out);

/* port.c */
void ctgate_ports_show(struct ctgate_app *app, FILE *out, bool json);
int ctgate_ports_probe(struct ctgate_app *app, FILE *err);
int ctgate_ports_start(struct ctgate_app *app, FILE *err);
void ctgate_ports_close(struct ctgate_app *app);
void ctgate_ports_stats(struct ctgate_app *app, FILE *out);

/* worker.c */
int ctgate_worker_main(void *arg);
uint64_t ctgate_now_ns(const struct ctgate_app *app);
void ctgate_handoff_drain_stopped(struct ctgate_app *app);
void ctgate_free_held_fragments(struct ctgate_app *app);

/* cli_fault.c: gives back what "debug mbuf-hold" took (before the leak check) */
void ctgate_fault_release(struct ctgate_app *app);

/* unmap_guard.c: munmap() waits for the workers to leave their bursts */
int ctgate_unmap_guard_init(unsigned int nb_workers);
void ctgate_unmap_guard_fini(void);
void ctgate_unmap_guard_worker_online(unsigned int worker);
void ctgate_unmap_guard_worker_offline(unsigned int worker);
void ctgate_unmap_guard_quiescent(unsigned int worker);
void ctgate_unmap_guard_stats(uint64_t *waits, uint64_t *timeouts, uint64_t *max_wait_us);

/* worker.c: requests and events */
void ctgate_worker_events_setup(struct ctgate_worker *w);

/* control.c: requests to workers, sessions, event and log fan-out */
int ctgate_ctl_init(struct ctgate_app *app, FILE *err);
void ctgate_ctl_fini(struct ctgate_app *app);
/** One control-core iteration: console, socket, events, logs, exporters (waits <= ms). */
void ctgate_ctl_poll(struct ctgate_app *app, int timeout_ms);
/** Post @p w's request and wait for the answer (serving events meanwhile). */
int ctgate_req_run(struct ctgate_app *app, struct ctgate_worker *w);
/** Post the request of every worker in @p mask, then wait for all. */
void ctgate_req_run_all(struct ctgate_app *app, const bool *mask);
/** Publish a new parameter block to every worker; frees the old after the grace period. */
int ctgate_params_publish(struct ctgate_app *app, const struct ctg_ct_params *p);
/** Subscribe (on) or unsubscribe a session to connection events. */
void ctgate_session_events(struct ctgate_session *s, bool on);
/** Ask the session to end after this command. */
void ctgate_session_quit(struct ctgate_session *s);
/** Only events of connections matching @p f (NULL: all). */
void ctgate_session_set_filter(struct ctgate_session *s, const struct ctgate_ct_filter *f);
/** Filter match, on the worker (cli_ct.c). */
bool ctgate_ct_filter_match(const struct ctgate_ct_filter *f, const struct ctg_ct_conn *c);
/** Events lost for a session (slow reader) and in the workers. */
uint64_t ctgate_session_events_lost(const struct ctgate_session *s);
/** Print the remembered LOG lines (last @p n). */
void ctgate_log_show(struct ctgate_app *app, FILE *out, unsigned int n, bool json);
uint64_t ctgate_log_seen(const struct ctgate_app *app);
/** Format one event like `conntrack -E -o extended,id` (no newline). */
void ctgate_event_print(const struct ctgate_event *e, FILE *f);
/** Stop requested by a command (quit on the console when stdin is a pipe, ...). */
void ctgate_ctl_request_stop(struct ctgate_app *app);

/* export.c: DPDK telemetry, Prometheus, IPFIX */
int ctgate_telemetry_init(struct ctgate_app *app);
int ctgate_prom_start(struct ctgate_app *app, FILE *err);
void ctgate_prom_stop(struct ctgate_app *app);
/** Write every counter in Prometheus text exposition format. */
void ctgate_prom_write(struct ctgate_app *app, FILE *f);
int ctgate_ipfix_start(struct ctgate_app *app, FILE *err);
void ctgate_ipfix_stop(struct ctgate_app *app);
/** Export one DESTROY event (buffers; sends when full or on flush). */
void ctgate_ipfix_event(struct ctgate_app *app, const struct ctgate_event *e);
void ctgate_ipfix_flush(struct ctgate_app *app, bool force);
bool ctgate_ipfix_on(const struct ctgate_app *app);
uint64_t ctgate_ipfix_records(const struct ctgate_app *app);
uint64_t ctgate_ipfix_messages(const struct ctgate_app *app);

/** Sums of every worker's counters (racy 64-bit snapshots). */
void ctgate_worker_stats_sum(struct ctgate_app *app, struct ctgate_worker_stats *sum);
void ctgate_ct_stats_sum(struct ctgate_app *app, struct ctg_ct_stats *sum, uint64_t *count);

/* rules (main.c): load, publish to every worker, wait for quiescence, free the old set. */
int ctgate_rules_load(struct ctgate_app *app, const char *path, FILE *err);
int ctgate_rules_publish(struct ctgate_app *app, struct ctg_rule_set *rs, FILE *err);


#endif /* CTGATE_H_ */
