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
#define CTGATE_TXBUF	    (4 * CTGATE_BURST + CTG_FRAG_MAX_FRAGS)
#define CTGATE_RX_DESC	    512
#define CTGATE_TX_DESC	    512
#define CTGATE_HANDOFF_RING 1024
#define CTGATE_BIGBUF_SIZE  (65536 + 128)
#define CTGATE_NO_PEER	    UINT16_MAX

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
	unsigned int workers_line;	/* line of "workers", 0 from the command line */
	uint32_t mempool_size;		/* mbufs per socket ("mempool N") */
	uint64_t ct_max;		/* total connections ("conntrack max N") */
	struct ctg_ct_params ct_params; /* "set param NAME VALUE" */
	char rules_file[CTGATE_PATH];	/* "rules load FILE" / --rules */
	unsigned int rules_line;
	uint64_t exit_idle_ns;		/* --exit-idle: stop after this long without rx */
	uint32_t stats_interval_s;	/* --stats SECONDS: periodic stats, 0 = off */
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
	X(rules_switch, "rule sets switched to")

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
	/* Owner worker only. */
	struct ctgate_txbuf txb[CTGATE_MAX_PORTS];
	struct ctgate_worker_stats st;	  /* read by the control core (64-bit snapshots) */
	const struct ctg_rule_set *rules; /* the set this worker uses now */
	/* Shared: control writes, worker reads (rule publication, see README.md). */
	_Atomic(const struct ctg_rule_set *) rules_next;
	struct ctg_rule_counters *_Atomic rules_next_cnt;
	/* Shared: worker writes, control reads. */
	atomic_uint_fast64_t rules_gen_seen; /* last publication generation applied */
	atomic_uint_fast64_t last_rx_ns;     /* time of the last received frame */
	atomic_bool running;		     /* the loop is running */
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
	struct ctg_ct_params shard_params; /* tunables of every shard (max: a share) */
	uint64_t shutdown_drops;	 /* frames freed from rings at shutdown */
};

/* commands.c: the command language shared by the config file and the console. */

/** Where a command runs and writes. */
struct ctgate_cmd_ctx {
	struct ctgate_app *app;
	FILE *out;		/* normal output */
	unsigned int line;	/* config line, 0 for the console */
	bool started;		/* the appliance runs: start-up-only commands are refused */
	const char *basedir;	/* relative file names are taken from here (config's dir) */
	char err[256];		/* a handler's error message */
};

typedef int ctgate_cmd_fn(struct ctgate_cmd_ctx *ctx, int argc, char **argv);

/** One command: "path" words, then min..max arguments. */
struct ctgate_cmd {
	const char *path;	/* "port add", "set param" */
	const char *usage;	/* "NAME DEVARGS" */
	uint8_t min_args;
	uint8_t max_args;
	bool startup_only;	/* only before the ports start (config file) */
	ctgate_cmd_fn *fn;
	const char *help;
};

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
int ctgate_ports_probe(struct ctgate_app *app, FILE *err);
int ctgate_ports_start(struct ctgate_app *app, FILE *err);
void ctgate_ports_close(struct ctgate_app *app);
void ctgate_ports_stats(struct ctgate_app *app, FILE *out);

/* worker.c */
int ctgate_worker_main(void *arg);
uint64_t ctgate_now_ns(const struct ctgate_app *app);
void ctgate_handoff_drain_stopped(struct ctgate_app *app);
void ctgate_free_held_fragments(struct ctgate_app *app);

/* rules (main.c): load, publish to every worker, wait for quiescence, free the old set. */
int ctgate_rules_load(struct ctgate_app *app, const char *path, FILE *err);
int ctgate_rules_publish(struct ctgate_app *app, struct ctg_rule_set *rs, FILE *err);


#endif /* CTGATE_H_ */
