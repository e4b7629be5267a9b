/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctgate-bench: throughput, connection-rate and memory benchmark of the pipeline
 * (ctg_pipeline_process), the function every appliance worker runs per packet.
 *
 * Overview
 *	Traffic is generated in memory before the clock starts: real Ethernet/IPv4/TCP/UDP
 *	frames with valid IP and transport checksums, stored in arrays (frame memory is
 *	advised onto transparent huge pages, as DPDK mbufs live in huge pages), and an
 *	"order" array of frame indices that says which frame goes next. The timed loop
 *	does what a worker does after rte_eth_rx_burst(): one ctg_pipeline_process_burst()
 *	per burst of 32 frames (established, new-udp, tcp-lifecycle, hot-flow-burst) or
 *	one ctg_pipeline_process() per frame (the NAME-single lines, hot-flow, frag,
 *	rules), the clock read once per burst, and the next frames' first cache line
 *	prefetched (a NIC with DDIO leaves received packets in the LLC).
 *	One core, one pipeline (nb_workers = 1), no EAL.
 *
 *	Every workload is checked before it is timed: the connections are set up with
 *	real handshakes (TCP: SYN, SYN/ACK, ACK, then data with correct sequence and
 *	acknowledgement numbers; UDP: a packet each way) and each frame carries the
 *	conntrack state, pipeline verdict and TCP state it must produce. The warm-up pass
 *	and every timed run count packets that come out differently; any such packet aborts
 *	the program with a message naming it, so a figure is never printed for traffic the
 *	tracker classified other than intended (INVALID, NEW instead of ESTABLISHED ...).
 *
 * Workloads (one output line each, see usage())
 *	hot-flow             one established UDP flow, 64-byte frames, orig direction
 *	established-uniform  N established flows (half TCP, half UDP), both directions,
 *	established-zipf     flows drawn uniformly or Zipf(0.99); N = 10k, 1M, 10M
 *	new-udp              every packet opens a new UDP flow in a table kept full at N
 *	                     (the bench deletes the oldest connection, as expiry would)
 *	tcp-lifecycle        9-packet TCP connections (SYN ... last ACK), 100k concurrent,
 *	                     deleted after the last ACK (as TIME_WAIT expiry would)
 *	frag                 IMIX (64/594/1514 in 7:4:1) with 5% of the datagrams sent
 *	                     as 2 fragments; conns_per_s is datagrams classified per second
 *	frag-only            every datagram in 2 fragments; conns_per_s is datagrams
 *	                     reassembled per second
 *	rules-R              established traffic (10k flows) through a filter FORWARD
 *	                     chain of R-1 non-matching rules before an ESTABLISHED,RELATED
 *	                     ACCEPT (policy DROP); R = 0 (no rule set), 10, 1000, 10000
 *
 * Measurement
 *	Each run processes packets for --seconds; cycles come from the TSC (rdtsc), time
 *	from CLOCK_MONOTONIC, and the TSC rate is calibrated against CLOCK_MONOTONIC at
 *	start-up. The line printed is the run with the median Mpps of --runs runs. Figures
 *	a workload does not measure are "-". Lines starting with '#' are notes.
 *
 * Ownership & synchronization
 *	Single-threaded; the process pins itself to --cpu when given.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "ctg_pipeline.h"

#define BURST	     32	      /* packets per clock read, as an rx burst */
#define BATCH	     1024     /* packets between deadline checks */
#define PREFETCH_AHD 8	      /* frames prefetched ahead */
#define SMALL_FRAME  64	      /* bytes of a small frame (and its slot) */
#define MAX_RUNS     101
#define ZIPF_S	     0.99
#define BENCH_TIMEOUT_S "3600" /* UDP timeouts: no flow expires during a run */

/* What the loop does with a frame besides checking its outcome. */
enum frame_action {
	ACT_NONE,
	ACT_UNIT,    /* count one unit (a datagram) */
	ACT_NEWFLOW, /* must create a connection; keep the table at N by deleting the oldest */
	ACT_CLOSE,   /* last packet of a connection: count it and delete the connection */
};

/* One frame of a stream and the outcome it must have. */
struct frame {
	const uint8_t *data;
	uint32_t len;
	uint8_t exp_state;   /* enum ctg_ct_state */
	uint8_t exp_verdict; /* enum ctg_pipeline_verdict */
	uint8_t exp_tcp;     /* TCP state after the packet, CTG_CT_TCP_NONE for non-TCP */
	uint8_t action;	     /* enum frame_action */
};

/* A workload's traffic: frames and the order they are sent in (cyclic). */
struct stream {
	struct frame *frames;
	uint32_t nb_frames;
	uint32_t *order;
	uint64_t nb_order;
	uint64_t pos;	 /* next position in order */
	bool wrap_ends_burst; /* a burst never spans the end of the order */
	uint8_t *mem;	 /* frame bytes */
	size_t mem_size; /* bytes reserved at mem */
	size_t mem_used;
};

/* One timed run. */
struct run {
	uint64_t pkts;
	uint64_t units;
	uint64_t tsc;
	uint64_t ns;
	uint64_t cpu_ns; /* this thread's CPU time: less than ns when it was preempted */
	double mpps;
};

/* Which API the workloads that have both run with. */
enum api_mode {
	MODE_BOTH,
	MODE_BURST,
	MODE_SINGLE,
};

struct opts {
	enum api_mode mode;
	unsigned int runs;
	double seconds;
	uint64_t max_flows;
	const char *workloads;
	int cpu;
	uint64_t seed;
};

struct bench {
	const struct opts *o;
	bool burst; /* ctg_pipeline_process_burst() instead of one call per packet */
	struct ctg_ct_params params;
	struct ctg_pipeline *pl;
	struct ctg_ct_shard *ct;
	/* new-udp: connections in creation order */
	uint32_t *fifo;
	uint32_t fifo_size;
	uint32_t fifo_head;
	uint32_t fifo_count;
	/* outcome checks */
	uint64_t bad;
	uint64_t units;
	uint32_t bad_frame;
	struct ctg_pipeline_out bad_out;
};

static double tsc_hz;
static uint64_t tsc_at_start;
static uint64_t rng_state = 0x6374676174656265ULL;
/* ctg_pipeline_pkt.flags of the timed frames: CTG_PIPELINE_PKT_L4_CSUM_OK with
 * --csum-offload (what the appliance passes when the NIC verified the checksum). */
static uint8_t timed_pkt_flags;

/* ---- clocks ---- */

static inline uint64_t
rdtsc_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* TSC ticks per second, measured against CLOCK_MONOTONIC over about 200 ms. */
static double
tsc_calibrate(void)
{
	uint64_t n0 = mono_ns(), c0 = rdtsc_now(), n1, c1;

	do {
		n1 = mono_ns();
	} while (n1 - n0 < 200000000u);
	c1 = rdtsc_now();
	return (double)(c1 - c0) * 1e9 / (double)(n1 - n0);
}

/* The pipeline's clock: nanoseconds from the TSC, starting at 1000 s. */
static inline uint64_t
pipeline_now_ns(void)
{
	double ns = (double)(rdtsc_now() - tsc_at_start) * 1e9 / tsc_hz;

	return 1000 * CTG_NS_PER_S + (uint64_t)ns;
}

/* ---- small helpers ---- */

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static void *
xalloc(size_t size)
{
	void *p = NULL;

	if (size == 0)
		size = 1;
	/* 2 MiB alignment lets large arrays live on transparent huge pages. */
	if (posix_memalign(&p, size >= (2u << 20) ? (2u << 20) : 64, size) != 0 || p == NULL) {
		fprintf(stderr, "ctgate-bench: out of memory (%zu bytes)\n", size);
		exit(1);
	}
	if (size >= (2u << 20))
		(void)madvise(p, size, MADV_HUGEPAGE);
	return p;
}

static uint64_t
rss_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (f == NULL)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static uint64_t
mem_available(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			break;
	fclose(f);
	return kb ? kb * 1024 : UINT64_MAX;
}

/* ---- frame construction ---- */

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Endpoints of a generated flow; c is the client (original direction's source). */
struct flow {
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint8_t proto;
	uint32_t cisn, sisn;
};

/* Flow number @p i: unique client address per flow (10.0.0.0/8), servers in 172.16/16. */
static void
flow_make(uint32_t i, bool tcp, struct flow *f)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ULL;

	f->cip = 0x0a000000u | (i & 0xffffffu);
	f->sip = 0xac100000u | (uint32_t)((h >> 40) & 0xffffu);
	f->cport = (uint16_t)(1024 + (h >> 20) % 60000);
	f->sport = tcp ? 443 : 53;
	f->proto = tcp ? 6 : 17;
	f->cisn = (uint32_t)(h >> 13);
	f->sisn = (uint32_t)(h >> 29) ^ 0x5a5a5a5au;
}

/*
 * Ethernet + IPv4 header for a packet of flow @p f in direction @p reply, IP total
 * length @p ip_len; @p frag is the flags/offset field. @return the L4 header.
 */
static uint8_t *
put_eth_ip(uint8_t *b, const struct flow *f, bool reply, uint32_t ip_len, uint16_t id,
		uint16_t frag)
{
	static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_s[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint8_t *ip = b + 14;

	memcpy(b, reply ? mac_c : mac_s, 6);
	memcpy(b + 6, reply ? mac_s : mac_c, 6);
	put16(b + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, ip_len);
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = f->proto;
	put16(ip + 10, 0);
	put32(ip + 12, reply ? f->sip : f->cip);
	put32(ip + 16, reply ? f->cip : f->sip);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	return ip + 20;
}

static uint32_t
pseudo_sum(const uint8_t *ip, uint32_t l4_len)
{
	uint32_t s = csum_add(0, ip + 12, 8);

	return s + ip[9] + l4_len;
}

/* A UDP frame with @p payload bytes. @return the frame length. */
static uint32_t
put_udp(uint8_t *b, const struct flow *f, bool reply, uint32_t payload, uint16_t id)
{
	uint32_t l4_len = 8 + payload;
	uint8_t *u = put_eth_ip(b, f, reply, 20 + l4_len, id, 0x4000);

	put16(u, reply ? f->sport : f->cport);
	put16(u + 2, reply ? f->cport : f->sport);
	put16(u + 4, l4_len);
	put16(u + 6, 0);
	for (uint32_t k = 0; k < payload; k++)
		u[8 + k] = (uint8_t)(k * 7 + id);
	uint16_t c = csum_fold(csum_add(pseudo_sum(b + 14, l4_len), u, l4_len));
	put16(u + 6, c ? c : 0xffff);
	return 14 + 20 + l4_len;
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* A TCP frame (no options, window 65535). @return the frame length. */
static uint32_t
put_tcp(uint8_t *b, const struct flow *f, bool reply, uint8_t flags, uint32_t seq,
		uint32_t ack, uint32_t payload)
{
	uint32_t l4_len = 20 + payload;
	uint8_t *t = put_eth_ip(b, f, reply, 20 + l4_len, (uint16_t)seq, 0x4000);

	put16(t, reply ? f->sport : f->cport);
	put16(t + 2, reply ? f->cport : f->sport);
	put32(t + 4, seq);
	put32(t + 8, (flags & TH_ACK) ? ack : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	put16(t + 16, 0);
	put16(t + 18, 0);
	for (uint32_t k = 0; k < payload; k++)
		t[20 + k] = (uint8_t)('a' + k % 26);
	put16(t + 16, csum_fold(csum_add(pseudo_sum(b + 14, l4_len), t, l4_len)));
	return 14 + 20 + l4_len;
}

/* ---- streams ---- */

static void
stream_init(struct stream *s, uint32_t nb_frames, size_t mem_size, uint64_t nb_order)
{
	memset(s, 0, sizeof(*s));
	s->frames = xalloc(sizeof(*s->frames) * nb_frames);
	s->mem = xalloc(mem_size);
	s->mem_size = mem_size;
	s->order = xalloc(sizeof(*s->order) * (nb_order ? nb_order : 1));
	s->nb_order = nb_order;
}

static void
stream_free(struct stream *s)
{
	free(s->frames);
	free(s->mem);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

/* Room for a frame of up to @p len bytes, in 64-byte slots. */
static uint8_t *
stream_room(struct stream *s, uint32_t len)
{
	size_t slot = (len + 63u) & ~(size_t)63;
	uint8_t *p;

	if (s->mem_used + slot > s->mem_size) {
		fprintf(stderr, "ctgate-bench: internal error: frame memory exhausted\n");
		exit(1);
	}
	p = s->mem + s->mem_used;
	s->mem_used += slot;
	return p;
}

static uint32_t
stream_add(struct stream *s, const uint8_t *data, uint32_t len, enum ctg_ct_state st,
		enum ctg_pipeline_verdict v, enum ctg_ct_tcp_state tcp, enum frame_action act)
{
	struct frame *f = &s->frames[s->nb_frames];

	f->data = data;
	f->len = len;
	f->exp_state = (uint8_t)st;
	f->exp_verdict = (uint8_t)v;
	f->exp_tcp = (uint8_t)tcp;
	f->action = (uint8_t)act;
	return s->nb_frames++;
}

/* ---- the pipeline ---- */

static void
set_param(struct ctg_ct_params *p, const char *name, const char *value)
{
	if (ctg_param_set(&ctg_ct_param_table, p, name, value) != 0) {
		fprintf(stderr, "ctgate-bench: cannot set %s=%s\n", name, value);
		exit(1);
	}
}

static void
bench_open(struct bench *b, const struct opts *o, uint64_t capacity)
{
	struct ctg_pipeline_conf pc;

	memset(b, 0, sizeof(*b));
	b->o = o;
	ctg_param_defaults(&ctg_ct_param_table, &b->params);
	b->params.max = capacity;
	set_param(&b->params, "nf_conntrack_udp_timeout", BENCH_TIMEOUT_S);
	set_param(&b->params, "nf_conntrack_udp_timeout_stream", BENCH_TIMEOUT_S);
	memset(&pc, 0, sizeof(pc));
	pc.ct.capacity = (uint32_t)capacity;
	pc.ct.seed = rng_next();
	pc.ct_params = &b->params;
	pc.frag.max_datagrams = 1024;
	pc.frag.max_frags = CTG_FRAG_MAX_FRAGS;
	pc.frag.max_bytes = 4u << 20;
	pc.frag.timeout_ns_v4 = 30 * CTG_NS_PER_S;
	pc.frag.timeout_ns_v6 = 60 * CTG_NS_PER_S;
	pc.frag.hash_seed = (uint32_t)rng_next();
	pc.nb_workers = 1;
	b->pl = ctg_pipeline_create(&pc);
	if (b->pl == NULL) {
		fprintf(stderr, "ctgate-bench: cannot create a pipeline of %" PRIu64
				" connections: %s\n", capacity, strerror(errno));
		exit(1);
	}
	b->ct = ctg_pipeline_ct(b->pl);
}

static void
bench_close(struct bench *b)
{
	ctg_pipeline_destroy(b->pl);
	free(b->fifo);
	b->pl = NULL;
	b->fifo = NULL;
}

static const char *
verdict_str(unsigned int v)
{
	static const char *const names[] = { "FORWARD", "DROP", "HELD", "BYPASS", "HANDOFF" };

	return v < CTG_PL_VERDICT_COUNT ? names[v] : "?";
}

static void
describe_out(const struct ctg_pipeline_out *out, FILE *f)
{
	fprintf(f, "verdict %s (%s), ct %s (%s), tcp %s", verdict_str(out->verdict),
			ctg_pipeline_drop_str((enum ctg_pipeline_drop)out->drop),
			ctg_ct_state_str((enum ctg_ct_state)out->ct.state),
			ctg_ct_reason_str((enum ctg_ct_reason)out->ct.reason),
			ctg_ct_tcp_state_str((enum ctg_ct_tcp_state)out->conn_tcp_state));
	if (out->pkt_status != CTG_PKT_OK)
		fprintf(f, ", ip input: %s",
				ctg_pkt_drop_reason_str(
						(enum ctg_pkt_drop_reason)out->pkt_drop_reason));
	if (out->frag_status != 0xff)
		fprintf(f, ", frag status %u (%s)", out->frag_status,
				ctg_frag_reason_str((enum ctg_frag_reason)out->frag_reason));
}

/* One untimed packet that must come out as expected (connection set-up). */
static struct ctg_pipeline_out
setup_pkt(struct bench *b, const uint8_t *data, uint32_t len, enum ctg_ct_state st,
		enum ctg_ct_tcp_state tcp, const char *what)
{
	struct ctg_pipeline_pkt in = { .data = data, .len = len, .link = CTG_PKT_LINK_ETHER };
	struct ctg_pipeline_out out;

	ctg_pipeline_process(b->pl, &in, pipeline_now_ns(), &out);
	if (out.verdict != CTG_PL_FORWARD || out.ct.state != st ||
			(tcp != CTG_CT_TCP_NONE && out.conn_tcp_state != tcp)) {
		fprintf(stderr, "ctgate-bench: set-up packet '%s' expected %s/%s, got ", what,
				ctg_ct_state_str(st), ctg_ct_tcp_state_str(tcp));
		describe_out(&out, stderr);
		fprintf(stderr, "\n");
		exit(1);
	}
	return out;
}

/* Outcome checks and the frame's action, after the pipeline processed it. */
static inline void
after_pkt(struct bench *b, const struct frame *f, uint32_t frame_idx,
		const struct ctg_pipeline_out *out, bool delete_oldest)
{
	if (__builtin_expect(out->ct.state != f->exp_state || out->verdict != f->exp_verdict ||
					    out->conn_tcp_state != f->exp_tcp,
			    0)) {
		if (b->bad++ == 0) {
			b->bad_frame = frame_idx;
			b->bad_out = *out;
		}
	}
	switch ((enum frame_action)f->action) {
	case ACT_NONE:
		break;
	case ACT_UNIT:
		b->units++;
		break;
	case ACT_NEWFLOW:
		b->units++;
		if (!(out->ct.flags & CTG_CT_RES_UNCONFIRMED) || out->ct.conn == CTG_CT_NO_CONN) {
			if (b->bad++ == 0) {
				b->bad_frame = frame_idx;
				b->bad_out = *out;
			}
			break;
		}
		b->fifo[(b->fifo_head + b->fifo_count++) % b->fifo_size] = out->ct.conn;
		if (delete_oldest && b->fifo_count == b->fifo_size) {
			ctg_ct_delete(b->ct, b->fifo[b->fifo_head]);
			b->fifo_head = (b->fifo_head + 1) % b->fifo_size;
			b->fifo_count--;
		}
		break;
	case ACT_CLOSE:
		b->units++;
		if (out->ct.conn != CTG_CT_NO_CONN)
			ctg_ct_delete(b->ct, out->ct.conn);
		break;
	}
}

/* One ctg_pipeline_process() call per packet. */
static void
process_n_single(struct bench *b, struct stream *s, uint64_t n)
{
	struct ctg_pipeline_pkt in = { .link = CTG_PKT_LINK_ETHER, .flags = timed_pkt_flags };
	struct ctg_pipeline_out out;
	const struct frame *frames = s->frames;
	const uint32_t *order = s->order;
	uint64_t pos = s->pos, nb_order = s->nb_order;
	uint64_t now = 0;

	for (uint64_t k = 0; k < n; k++) {
		const struct frame *f = &frames[order[pos]];
		uint64_t ahead = pos + PREFETCH_AHD;

		if (ahead >= nb_order)
			ahead %= nb_order;
		__builtin_prefetch(frames[order[ahead]].data);
		if ((k & (BURST - 1)) == 0)
			now = pipeline_now_ns();
		in.data = f->data;
		in.len = f->len;
		in.cookie = pos;
		ctg_pipeline_process(b->pl, &in, now, &out);
		after_pkt(b, f, order[pos], &out, true);
		if (++pos == nb_order)
			pos = 0;
	}
	s->pos = pos;
}

/*
 * The burst loop: what a worker does with rte_eth_rx_burst() and
 * ctg_pipeline_process_burst(). With wrap_ends_burst (tcp-lifecycle) a burst never spans
 * the end of the order, so that the deletion after a connection's last packet happens
 * before the connection's next incarnation starts. new-udp deletes the oldest
 * connections before the burst, as many as it will create, so the table never holds
 * more than N - 1 confirmed connections when a new one is created (as one packet at a
 * time).
 */
static void
process_n_burst(struct bench *b, struct stream *s, uint64_t n)
{
	struct ctg_pipeline_pkt in[BURST];
	struct ctg_pipeline_out outs[BURST];
	uint32_t fidx[BURST];
	const struct frame *frames = s->frames;
	const uint32_t *order = s->order;
	uint64_t pos = s->pos, nb_order = s->nb_order;

	memset(in, 0, sizeof(in));
	for (uint64_t k = 0; k < n;) {
		uint32_t m = BURST, nb_new = 0;
		uint64_t now, p = pos;

		if (n - k < m)
			m = (uint32_t)(n - k);
		if (s->wrap_ends_burst && nb_order - pos < m)
			m = (uint32_t)(nb_order - pos);
		for (uint32_t i = 0; i < m; i++) {
			const struct frame *f = &frames[order[p]];

			fidx[i] = order[p];
			in[i].data = f->data;
			in[i].len = f->len;
			in[i].link = CTG_PKT_LINK_ETHER;
			in[i].flags = timed_pkt_flags;
			in[i].cookie = p;
			nb_new += f->action == ACT_NEWFLOW;
			if (++p == nb_order)
				p = 0;
		}
		/* The next burst's frames (DDIO leaves received packets in the LLC). */
		for (uint32_t i = 0, q = (uint32_t)p; i < BURST && i < nb_order; i++) {
			__builtin_prefetch(frames[order[q]].data);
			if (++q == nb_order)
				q = 0;
		}
		while (nb_new > 0 && b->fifo_count > 0 && b->fifo_count + nb_new >= b->fifo_size) {
			ctg_ct_delete(b->ct, b->fifo[b->fifo_head]);
			b->fifo_head = (b->fifo_head + 1) % b->fifo_size;
			b->fifo_count--;
		}
		now = pipeline_now_ns();
		for (uint32_t done = 0; done < m;) {
			uint16_t got = ctg_pipeline_process_burst(b->pl, in + done,
					(uint16_t)(m - done), now, outs + done);

			for (uint32_t i = done; i < done + got; i++)
				after_pkt(b, &frames[fidx[i]], fidx[i], &outs[i], false);
			done += got;
		}
		pos = p;
		k += m;
	}
	s->pos = pos;
}

/* Process @p n packets of @p s; the hot loop. */
static void
process_n(struct bench *b, struct stream *s, uint64_t n)
{
	if (b->burst) {
		process_n_burst(b, s, n);
		return;
	}
	process_n_single(b, s, n);
}

static void
check_bad(struct bench *b, const struct stream *s, const char *name, const char *phase)
{
	const struct frame *f;

	if (b->bad == 0)
		return;
	f = &s->frames[b->bad_frame];
	fprintf(stderr,
			"ctgate-bench: %s (%s): %" PRIu64 " packets not classified as intended; "
			"first: frame %u expected %s/%s/%s, got ",
			name, phase, b->bad, b->bad_frame, verdict_str(f->exp_verdict),
			ctg_ct_state_str((enum ctg_ct_state)f->exp_state),
			ctg_ct_tcp_state_str((enum ctg_ct_tcp_state)f->exp_tcp));
	describe_out(&b->bad_out, stderr);
	fprintf(stderr, "\n");
	exit(1);
}

/*
 * Untimed, checked pass over every frame once, in frame order (each workload stores its
 * frames so that this order is valid traffic: a connection's packets in sequence).
 */
static void
warm_frames(struct bench *b, struct stream *s, const char *name)
{
	struct stream lin = *s;

	lin.order = xalloc(sizeof(*lin.order) * s->nb_frames);
	lin.nb_order = s->nb_frames;
	lin.pos = 0;
	for (uint32_t i = 0; i < s->nb_frames; i++)
		lin.order[i] = i;
	b->bad = 0;
	process_n(b, &lin, s->nb_frames);
	check_bad(b, s, name, "warm-up, every frame");
	free(lin.order);
}

/* Untimed, checked pass along the order (at most 1M packets, 1 s or 2 runs' time). */
static void
warm_order(struct bench *b, struct stream *s, const char *name)
{
	uint64_t n = s->nb_order < (1u << 20) ? s->nb_order : (1u << 20);
	double secs = b->o->seconds * 2 < 1.0 ? b->o->seconds * 2 : 1.0;
	uint64_t c0 = rdtsc_now(), done = 0;

	b->bad = 0;
	s->pos = 0;
	while (done < n && rdtsc_now() - c0 < (uint64_t)(secs * tsc_hz)) {
		uint64_t k = n - done < BATCH ? n - done : BATCH;

		process_n(b, s, k);
		done += k;
	}
	check_bad(b, s, name, "warm-up");
}

static int
cmp_run(const void *a, const void *c)
{
	const struct run *x = a, *y = c;

	return x->mpps < y->mpps ? -1 : x->mpps > y->mpps;
}

/* Timed runs; prints the median run's line. */
static void
measure(struct bench *b, struct stream *s, const char *name, uint64_t flows, bool conns,
		uint32_t pkts_per_conn, double bytes_per_conn)
{
	struct run runs[MAX_RUNS];
	uint64_t limit = (uint64_t)(b->o->seconds * tsc_hz);
	char cps[32] = "-", bpc[32] = "-";
	const struct run *m;

	for (unsigned int r = 0; r < b->o->runs; r++) {
		uint64_t pkts = 0, t0, c0, c1, t1, u0;

		b->bad = 0;
		b->units = 0;
		u0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		t0 = mono_ns();
		c0 = rdtsc_now();
		do {
			process_n(b, s, BATCH);
			pkts += BATCH;
			c1 = rdtsc_now();
		} while (c1 - c0 < limit);
		t1 = mono_ns();
		runs[r].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - u0;
		check_bad(b, s, name, "timed run");
		runs[r].pkts = pkts;
		/* A fixed-size connection is counted by its packets, not by where a run ends. */
		runs[r].units = pkts_per_conn ? pkts / pkts_per_conn : b->units;
		runs[r].tsc = c1 - c0;
		runs[r].ns = t1 - t0;
		runs[r].mpps = (double)pkts * 1e3 / (double)runs[r].ns;
	}
	qsort(runs, b->o->runs, sizeof(runs[0]), cmp_run);
	m = &runs[b->o->runs / 2];
	if (conns)
		snprintf(cps, sizeof(cps), "%.0f", (double)m->units * 1e9 / (double)m->ns);
	if (bytes_per_conn > 0)
		snprintf(bpc, sizeof(bpc), "%.1f", bytes_per_conn);
	/* On a shared machine: how much of the wall time the run really had the CPU. */
	printf("# %s: cpu_share=%.3f (thread CPU time / wall time of the median run)\n", name,
			(double)m->cpu_ns / (double)m->ns);
	printf("workload=%s flows=%" PRIu64 " pkts=%" PRIu64 " mpps=%.4f ns_per_pkt=%.2f "
	       "cycles_per_pkt=%.1f conns_per_s=%s bytes_per_conn=%s\n",
			name, flows, m->pkts, m->mpps, (double)m->ns / (double)m->pkts,
			(double)m->tsc / (double)m->pkts, cps, bpc);
	fflush(stdout);
}

static void
print_skipped(const char *name, uint64_t flows, const char *why)
{
	printf("# %s: %s\n", name, why);
	printf("workload=%s flows=%" PRIu64 " pkts=- mpps=- ns_per_pkt=- cycles_per_pkt=- "
	       "conns_per_s=- bytes_per_conn=-\n",
			name, flows);
	fflush(stdout);
}

/*
 * Measure with the burst API under @p name and one call per packet under NAME-single,
 * as --mode selects. The stream goes on where the previous measurement left it.
 */
static void
measure_modes(struct bench *b, struct stream *s, const char *name, uint64_t flows, bool conns,
		uint32_t pkts_per_conn, double bytes_per_conn)
{
	char single[64];

	snprintf(single, sizeof(single), "%s-single", name);
	if (b->o->mode != MODE_SINGLE) {
		b->burst = true;
		measure(b, s, name, flows, conns, pkts_per_conn, bytes_per_conn);
	}
	if (b->o->mode != MODE_BURST) {
		b->burst = false;
		measure(b, s, single, flows, conns, pkts_per_conn, bytes_per_conn);
	}
	b->burst = false;
}

/* ---- established flows (hot-flow, established, rules) ---- */

/*
 * Set up @p n flows (even: TCP, odd: UDP) in the pipeline and store two timed frames per
 * flow in @p s: frame 2i is flow i's original direction, 2i+1 its reply. TCP: the
 * client's data segment (10 bytes) and the server's ACK of it; UDP: a datagram each way.
 * Every timed frame is 64 bytes. @p udp_only: no TCP flows (hot-flow, frag).
 */
static void
flows_setup(struct bench *b, struct stream *s, uint32_t n, bool udp_only)
{
	uint8_t scratch[128];
	char what[64];

	for (uint32_t i = 0; i < n; i++) {
		bool tcp = !udp_only && (i & 1) == 0;
		struct flow f;
		uint8_t *o, *r;
		uint32_t lo, lr;

		flow_make(i, tcp, &f);
		o = stream_room(s, SMALL_FRAME);
		r = stream_room(s, SMALL_FRAME);
		if (tcp) {
			uint32_t len;

			snprintf(what, sizeof(what), "flow %u SYN", i);
			len = put_tcp(scratch, &f, false, TH_SYN, f.cisn, 0, 0);
			setup_pkt(b, scratch, len, CTG_CT_NEW, CTG_CT_TCP_SYN_SENT, what);
			snprintf(what, sizeof(what), "flow %u SYN/ACK", i);
			len = put_tcp(scratch, &f, true, TH_SYN | TH_ACK, f.sisn, f.cisn + 1, 0);
			setup_pkt(b, scratch, len, CTG_CT_ESTABLISHED, CTG_CT_TCP_SYN_RECV, what);
			snprintf(what, sizeof(what), "flow %u ACK", i);
			len = put_tcp(scratch, &f, false, TH_ACK, f.cisn + 1, f.sisn + 1, 0);
			setup_pkt(b, scratch, len, CTG_CT_ESTABLISHED, CTG_CT_TCP_ESTABLISHED,
					what);
			/* 14 + 20 + 20 + 10 = 64 bytes. */
			lo = put_tcp(o, &f, false, TH_PSH | TH_ACK, f.cisn + 1, f.sisn + 1, 10);
			lr = put_tcp(r, &f, true, TH_ACK, f.sisn + 1, f.cisn + 11, 0);
			/* Once in order, so the reply may ack data the tracker has seen. */
			snprintf(what, sizeof(what), "flow %u data", i);
			setup_pkt(b, o, lo, CTG_CT_ESTABLISHED, CTG_CT_TCP_ESTABLISHED, what);
			snprintf(what, sizeof(what), "flow %u ACK of data", i);
			setup_pkt(b, r, lr, CTG_CT_ESTABLISHED, CTG_CT_TCP_ESTABLISHED, what);
			stream_add(s, o, lo, CTG_CT_ESTABLISHED, CTG_PL_FORWARD,
					CTG_CT_TCP_ESTABLISHED, ACT_NONE);
			stream_add(s, r, lr, CTG_CT_ESTABLISHED, CTG_PL_FORWARD,
					CTG_CT_TCP_ESTABLISHED, ACT_NONE);
		} else {
			/* 14 + 20 + 8 + 22 = 64 bytes. */
			lo = put_udp(o, &f, false, 22, (uint16_t)i);
			lr = put_udp(r, &f, true, 22, (uint16_t)~i);
			snprintf(what, sizeof(what), "flow %u first datagram", i);
			setup_pkt(b, o, lo, CTG_CT_NEW, CTG_CT_TCP_NONE, what);
			snprintf(what, sizeof(what), "flow %u reply", i);
			setup_pkt(b, r, lr, CTG_CT_ESTABLISHED, CTG_CT_TCP_NONE, what);
			stream_add(s, o, lo, CTG_CT_ESTABLISHED, CTG_PL_FORWARD, CTG_CT_TCP_NONE,
					ACT_NONE);
			stream_add(s, r, lr, CTG_CT_ESTABLISHED, CTG_PL_FORWARD, CTG_CT_TCP_NONE,
					ACT_NONE);
		}
	}
}

/* A random permutation of 0..n-1 (maps popularity ranks to flows). */
static uint32_t *
permutation(uint32_t n)
{
	uint32_t *p = xalloc(sizeof(*p) * n);

	for (uint32_t i = 0; i < n; i++)
		p[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng_next() % (i + 1));
		uint32_t t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

/* Fill the order with flows drawn uniformly (zipf false) or Zipf(ZIPF_S), random direction. */
static void
order_fill(struct stream *s, uint32_t n, bool zipf)
{
	uint32_t *perm = permutation(n);
	double *cdf = NULL;

	if (zipf) {
		double sum = 0;

		cdf = xalloc(sizeof(*cdf) * n);
		for (uint32_t k = 0; k < n; k++) {
			sum += 1.0 / pow((double)k + 1, ZIPF_S);
			cdf[k] = sum;
		}
		for (uint32_t k = 0; k < n; k++)
			cdf[k] /= sum;
	}
	for (uint64_t i = 0; i < s->nb_order; i++) {
		uint64_t r = rng_next();
		uint32_t rank;

		if (zipf) {
			double u = rng_unit();
			uint32_t lo = 0, hi = n - 1;

			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;

				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			rank = lo;
		} else {
			rank = (uint32_t)((r >> 1) % n);
		}
		s->order[i] = perm[rank] * 2 + (uint32_t)(r & 1);
	}
	free(cdf);
	free(perm);
}

static uint64_t
order_len(uint64_t flows)
{
	uint64_t l = 2 * flows;

	return l < (1u << 22) ? (1u << 22) : l > (1u << 24) ? (1u << 24) : l;
}

static void
wl_hot_flow(const struct opts *o)
{
	struct bench b;
	struct stream s;

	bench_open(&b, o, 1024);
	stream_init(&s, 2, 2 * SMALL_FRAME, 1);
	flows_setup(&b, &s, 1, true);
	s.order[0] = 0;
	warm_order(&b, &s, "hot-flow");
	measure(&b, &s, "hot-flow", 1, false, 0, 0);
	if (o->mode != MODE_SINGLE) {
		b.burst = true;
		measure(&b, &s, "hot-flow-burst", 1, false, 0, 0);
		b.burst = false;
	}
	stream_free(&s);
	bench_close(&b);
}

static void
wl_established(const struct opts *o, uint64_t n)
{
	struct bench b;
	struct stream s;
	uint64_t rss0, rss1, mem;
	double bpc;

	if (n > (1u << 24)) {
		print_skipped("established-uniform", n, "at most 16M flows");
		return;
	}
	rss0 = rss_bytes();
	bench_open(&b, o, n);
	stream_init(&s, (uint32_t)(2 * n), 2 * n * SMALL_FRAME, order_len(n));
	flows_setup(&b, &s, (uint32_t)n, false);
	rss1 = rss_bytes();
	mem = ctg_ct_memory(b.ct);
	bpc = (double)mem / (double)n;
	printf("# established flows=%" PRIu64 ": ctg_ct_memory=%" PRIu64 " (%.1f B/conn, "
	       "sizeof(struct ctg_ct_conn)=%zu); rss delta incl. %zu B/flow of frames=%" PRIu64
	       " (%.1f B/conn without frames)\n",
			n, mem, bpc, sizeof(struct ctg_ct_conn),
			(size_t)(2 * SMALL_FRAME + 2 * sizeof(struct frame)), rss1 - rss0,
			((double)(rss1 - rss0) - (double)n * (2 * SMALL_FRAME + 2 *
					sizeof(struct frame))) / (double)n);
	for (int z = 0; z < 2; z++) {
		const char *name = z ? "established-zipf" : "established-uniform";

		order_fill(&s, (uint32_t)n, z != 0);
		/* flows_setup() has checked every frame. */
		warm_order(&b, &s, name);
		measure_modes(&b, &s, name, n, false, 0, bpc);
	}
	stream_free(&s);
	bench_close(&b);
}

/* ---- new-udp ---- */

static void
wl_new_udp(const struct opts *o, uint64_t n)
{
	uint64_t nb = 2 * n;
	struct bench b;
	struct stream s;

	bench_open(&b, o, n);
	b.fifo_size = (uint32_t)n;
	b.fifo = xalloc(sizeof(*b.fifo) * n);
	stream_init(&s, (uint32_t)nb, nb * SMALL_FRAME, nb);
	for (uint32_t i = 0; i < nb; i++) {
		struct flow f;
		uint8_t *p = stream_room(&s, SMALL_FRAME);

		flow_make(i, false, &f);
		stream_add(&s, p, put_udp(p, &f, false, 22, (uint16_t)i), CTG_CT_NEW,
				CTG_PL_FORWARD, CTG_CT_TCP_NONE, ACT_NEWFLOW);
		s.order[i] = i;
	}
	warm_frames(&b, &s, "new-udp");
	if (ctg_ct_count(b.ct) + 1 != n) {
		fprintf(stderr, "ctgate-bench: new-udp: table holds %u, expected %" PRIu64 "\n",
				ctg_ct_count(b.ct), n - 1);
		exit(1);
	}
	measure_modes(&b, &s, "new-udp", n, true, 0, (double)ctg_ct_memory(b.ct) / (double)n);
	stream_free(&s);
	bench_close(&b);
}

/* ---- tcp-lifecycle ---- */

static void
wl_tcp_lifecycle(const struct opts *o, uint64_t n)
{
	static const struct {
		bool reply;
		uint8_t flags;
		enum ctg_ct_tcp_state tcp;
	} steps[9] = {
		{ false, TH_SYN, CTG_CT_TCP_SYN_SENT },
		{ true, TH_SYN | TH_ACK, CTG_CT_TCP_SYN_RECV },
		{ false, TH_ACK, CTG_CT_TCP_ESTABLISHED },
		{ false, TH_PSH | TH_ACK, CTG_CT_TCP_ESTABLISHED }, /* request, 100 bytes */
		{ true, TH_PSH | TH_ACK, CTG_CT_TCP_ESTABLISHED },  /* response, 400 bytes */
		{ false, TH_FIN | TH_ACK, CTG_CT_TCP_FIN_WAIT },
		{ true, TH_ACK, CTG_CT_TCP_CLOSE_WAIT },
		{ true, TH_FIN | TH_ACK, CTG_CT_TCP_LAST_ACK },
		{ false, TH_ACK, CTG_CT_TCP_TIME_WAIT },
	};
	struct bench b;
	struct stream s;
	uint32_t *perm;

	bench_open(&b, o, n);
	stream_init(&s, (uint32_t)(9 * n), n * (5 * 64 + 192 + 512 + 2 * 64), 9 * n);
	for (uint32_t i = 0; i < n; i++) {
		struct flow f;
		uint32_t c, sv;

		flow_make(i, true, &f);
		c = f.cisn;
		sv = f.sisn;
		for (int k = 0; k < 9; k++) {
			uint32_t seq = 0, ack = 0, pl = 0, len;
			uint8_t *p;

			switch (k) {
			case 0: seq = c; break;
			case 1: seq = sv; ack = c + 1; break;
			case 2: seq = c + 1; ack = sv + 1; break;
			case 3: seq = c + 1; ack = sv + 1; pl = 100; break;
			case 4: seq = sv + 1; ack = c + 101; pl = 400; break;
			case 5: seq = c + 101; ack = sv + 401; break;
			case 6: seq = sv + 401; ack = c + 102; break;
			case 7: seq = sv + 401; ack = c + 102; break;
			default: seq = c + 102; ack = sv + 402; break;
			}
			p = stream_room(&s, 54 + pl);
			len = put_tcp(p, &f, steps[k].reply, steps[k].flags, seq, ack, pl);
			stream_add(&s, p, len, k == 0 ? CTG_CT_NEW : CTG_CT_ESTABLISHED,
					CTG_PL_FORWARD, steps[k].tcp,
					k == 8 ? ACT_CLOSE : ACT_NONE);
		}
	}
	/* Waves: every connection takes step k, in a fresh random order, before step k+1. */
	for (int k = 0; k < 9; k++) {
		perm = permutation((uint32_t)n);
		for (uint32_t i = 0; i < n; i++)
			s.order[(uint64_t)k * n + i] = perm[i] * 9 + (uint32_t)k;
		free(perm);
	}
	s.wrap_ends_burst = true;
	warm_frames(&b, &s, "tcp-lifecycle");
	if (ctg_ct_count(b.ct) != 0) {
		fprintf(stderr, "ctgate-bench: tcp-lifecycle: %u connections left after a cycle\n",
				ctg_ct_count(b.ct));
		exit(1);
	}
	warm_order(&b, &s, "tcp-lifecycle");
	measure_modes(&b, &s, "tcp-lifecycle", n, true, 9,
			(double)ctg_ct_memory(b.ct) / (double)n);
	stream_free(&s);
	bench_close(&b);
}

/* ---- frag ---- */

/*
 * @p nb_dgrams UDP datagrams over @p nflows established UDP flows (original direction).
 * @p frag_pct percent of them are 2948-byte datagrams sent as two fragments (1480 + 1448
 * bytes of payload behind the IP header: frames of 1514 and 1482 bytes); the others
 * have IMIX frame sizes 64/594/1514 (1518 less the FCS) in the ratio 7:4:1.
 */
static void
wl_frag(const struct opts *o, const char *name, uint32_t nflows, uint32_t nb_dgrams,
		unsigned int frag_pct)
{
	static const uint32_t imix[12] = { 64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1514 };
	struct bench b;
	struct stream s;
	uint8_t *dg = xalloc(4096);
	uint64_t nb_pkts = 0;

	bench_open(&b, o, nflows);
	stream_init(&s, 2 * nflows + 2 * nb_dgrams, 2 * (size_t)nflows * SMALL_FRAME +
			(size_t)nb_dgrams * 3072, 2 * (uint64_t)nb_dgrams);
	flows_setup(&b, &s, nflows, true);
	for (uint32_t d = 0; d < nb_dgrams; d++) {
		uint32_t fl = (uint32_t)(rng_next() % nflows);
		uint16_t id = (uint16_t)(d * 2654435761u >> 16);
		struct flow f;

		flow_make(fl, false, &f);
		if (rng_next() % 100 < frag_pct) {
			/* Whole datagram first (for the UDP checksum), then cut it in two. */
			uint32_t total = put_udp(dg, &f, false, 2948 - 28, id) - 14;
			uint32_t off = 0;

			for (int k = 0; k < 2; k++) {
				uint32_t chunk = k == 0 ? 1480 : total - 20 - 1480;
				uint8_t *p = stream_room(&s, 14 + 20 + chunk);
				uint8_t *ip = p + 14;
				uint32_t idx;

				memcpy(p, dg, 14 + 20);
				memcpy(ip + 20, dg + 14 + 20 + off, chunk);
				put16(ip + 2, 20 + chunk);
				put16(ip + 6, (k == 0 ? 0x2000u : 0) | (off / 8));
				put16(ip + 10, 0);
				put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
				if (k == 0)
					idx = stream_add(&s, p, 14 + 20 + chunk, CTG_CT_INVALID,
							CTG_PL_HELD, CTG_CT_TCP_NONE, ACT_NONE);
				else
					idx = stream_add(&s, p, 14 + 20 + chunk, CTG_CT_ESTABLISHED,
							CTG_PL_FORWARD, CTG_CT_TCP_NONE, ACT_UNIT);
				s.order[nb_pkts++] = idx;
				off += chunk;
			}
		} else {
			uint32_t flen = imix[rng_next() % 12];
			uint8_t *p = stream_room(&s, flen);
			uint32_t len = put_udp(p, &f, false, flen - 42, id);

			s.order[nb_pkts++] = stream_add(&s, p, len, CTG_CT_ESTABLISHED,
					CTG_PL_FORWARD, CTG_CT_TCP_NONE, ACT_UNIT);
		}
	}
	s.nb_order = nb_pkts;
	free(dg);
	warm_frames(&b, &s, name);
	warm_order(&b, &s, name);
	measure(&b, &s, name, nflows, true, 0, 0);
	stream_free(&s);
	bench_close(&b);
}

/* ---- rules ---- */

/* iptables-save text: @p nb_rules - 1 rules that match none of the traffic, then the accept. */
static char *
ruleset_text(uint32_t nb_rules)
{
	size_t cap = 256 + (size_t)nb_rules * 160, len = 0;
	char *t = xalloc(cap);

	len += (size_t)snprintf(t + len, cap - len,
			"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
			":OUTPUT ACCEPT [0:0]\n");
	for (uint32_t i = 0; i + 1 < nb_rules; i++) {
		uint32_t a = i & 0xff, c = (i >> 8) & 0xff;
		int n;

		/* Documentation and benchmark ranges: none of it is 10/8 or 172.16/16. */
		switch (i % 5) {
		case 0:
			n = snprintf(t + len, cap - len,
					"-A FORWARD -s 192.0.2.%u/32 -d 198.51.100.%u/32 "
					"-p tcp -m tcp "
					"--dport %u -j ACCEPT\n",
					a, c, 1000 + i % 50000);
			break;
		case 1:
			n = snprintf(t + len, cap - len,
					"-A FORWARD -s 198.18.%u.0/24 -p udp -m udp "
					"--dport %u -j DROP\n",
					a, 1000 + i % 50000);
			break;
		case 2:
			n = snprintf(t + len, cap - len,
					"-A FORWARD -d 203.0.%u.%u/32 -p tcp -m tcp --dport 22 "
					"-m conntrack --ctstate NEW -j ACCEPT\n",
					c, a);
			break;
		case 3:
			n = snprintf(t + len, cap - len,
					"-A FORWARD -s 100.%u.%u.0/24 -d 192.0.2.0/24 -j DROP\n",
					64 + c % 64, a);
			break;
		default:
			n = snprintf(t + len, cap - len,
					"-A FORWARD -p tcp -m tcp --sport %u:%u "
					"--dport 7 -j DROP\n",
					1 + i % 60000, 2 + i % 60000);
			break;
		}
		len += (size_t)n;
	}
	len += (size_t)snprintf(t + len, cap - len,
			"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED "
			"-j ACCEPT\nCOMMIT\n");
	return t;
}

static void
wl_rules(const struct opts *o, uint64_t n)
{
	static const uint32_t sizes[] = { 0, 10, 1000, 10000 };
	struct ctg_rule_load_opts lo = {
		.family = CTG_RULE_FAMILY_IPV4,
		.ignore_interfaces = true,
	};
	struct bench b;
	struct stream s;
	uint8_t probe[SMALL_FRAME];
	struct flow pf;
	uint32_t plen;

	bench_open(&b, o, n + 16);
	stream_init(&s, (uint32_t)(2 * n), 2 * n * SMALL_FRAME, order_len(n));
	flows_setup(&b, &s, (uint32_t)n, false);
	order_fill(&s, (uint32_t)n, false);
	flow_make(0xfffffe, false, &pf);
	plen = put_udp(probe, &pf, false, 22, 1);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct ctg_rule_set *rs = NULL;
		struct ctg_rule_counters *cnt = NULL;
		struct ctg_pipeline_pkt in = { .data = probe, .len = plen,
			.link = CTG_PKT_LINK_ETHER };
		struct ctg_pipeline_out out;
		char name[32], err[512] = "";
		int rc;

		snprintf(name, sizeof(name), "rules-%u", sizes[k]);
		if (sizes[k] > 0) {
			char *text = ruleset_text(sizes[k]);

			rc = ctg_rule_set_load_str(text, name, &lo, &rs, err, sizeof(err));
			free(text);
			if (rc != 0) {
				char why[600];

				snprintf(why, sizeof(why),
						"cannot load the generated rule set: %s (%s)",
						strerror(-rc), err);
				print_skipped(name, n, why);
				continue;
			}
			cnt = ctg_rule_counters_create(rs);
			ctg_pipeline_set_rules(b.pl, rs, cnt);
			/* A new flow must meet the DROP policy: proves the rules are evaluated. */
			ctg_pipeline_process(b.pl, &in, pipeline_now_ns(), &out);
			if (out.verdict != CTG_PL_DROP || out.drop != CTG_PL_DROP_RULES) {
				ctg_pipeline_set_rules(b.pl, NULL, NULL);
				ctg_rule_counters_free(cnt);
				ctg_rule_set_free(rs);
				print_skipped(name, n,
						"rule evaluation is not active (probe passed)");
				continue;
			}
		}
		warm_frames(&b, &s, name);
		warm_order(&b, &s, name);
		measure(&b, &s, name, n, false, 0, 0);
		ctg_pipeline_set_rules(b.pl, NULL, NULL);
		ctg_rule_counters_free(cnt);
		ctg_rule_set_free(rs);
	}
	stream_free(&s);
	bench_close(&b);
}

/* ---- driver ---- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ctgate-bench [options]\n"
		"  --workload LIST   comma-separated: hot-flow, established, new-udp,\n"
		"                    tcp-lifecycle, frag, rules, all (default all)\n"
		"  --flows N         largest table size used (default 10000000; smaller\n"
		"                    sizes of each workload are used up to N, at least N)\n"
		"  --runs N          timed runs per workload, median printed (default 5)\n"
		"  --seconds S       length of one timed run (default 1)\n"
		"  --cpu N           pin to CPU N\n"
		"  --seed N          traffic and hash seed\n"
		"  --mode M          burst, single or both (default): established, new-udp\n"
		"                    and tcp-lifecycle use ctg_pipeline_process_burst()\n"
		"                    (NAME) and/or one ctg_pipeline_process() a packet\n"
		"                    (NAME-single); hot-flow-burst is hot-flow in bursts\n"
		"  --csum-offload    timed frames carry CTG_PIPELINE_PKT_L4_CSUM_OK (the NIC\n"
		"                    verified TCP/UDP checksums, as the appliance passes)\n"
		"  --help\n"
		"Prints: workload=NAME flows=N pkts=P mpps=X ns_per_pkt=Y cycles_per_pkt=Z\n"
		"        conns_per_s=C bytes_per_conn=B   ('-': not measured; '#': notes)\n");
}

static bool
selected(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (strcmp(list, "all") == 0)
		return true;
	while ((p = strstr(p, name)) != NULL) {
		bool start = p == list || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

/* Table sizes of a workload that fit in --flows (at least one: the cap itself). */
static unsigned int
sizes_for(const uint64_t *want, unsigned int nb, uint64_t cap, uint64_t *out)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < nb; i++)
		if (want[i] <= cap)
			out[k++] = want[i];
	if (k == 0)
		out[k++] = cap;
	return k;
}

static bool
memory_ok(uint64_t flows, uint64_t extra_per_flow)
{
	uint64_t need = flows * (sizeof(struct ctg_ct_conn) + 4 + 32 + extra_per_flow);

	return need + need / 4 < mem_available();
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || d < 0)
		return false;
	if (*end == 'k' || *end == 'K') {
		d *= 1e3;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		d *= 1e6;
		end++;
	}
	if (*end != '\0')
		return false;
	*v = (uint64_t)d;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "flows", required_argument, NULL, 'f' },
		{ "runs", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "mode", required_argument, NULL, 'm' },
		{ "csum-offload", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint64_t est_sizes[] = { 10000, 1000000, 10000000 };
	static const uint64_t new_sizes[] = { 10000, 100000, 1000000 };
	struct opts o = { .runs = 5, .seconds = 1.0, .max_flows = 10000000, .workloads = "all",
		.cpu = -1 };
	uint64_t sz[8], v;
	unsigned int nb;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			o.workloads = optarg;
			break;
		case 'f':
			if (!parse_u64(optarg, &o.max_flows) || o.max_flows < 2 ||
					o.max_flows > (1u << 24)) {
				fprintf(stderr, "ctgate-bench: --flows wants 2..16M\n");
				return 2;
			}
			break;
		case 'r':
			if (!parse_u64(optarg, &v) || v < 1 || v > MAX_RUNS) {
				fprintf(stderr, "ctgate-bench: --runs wants 1..%d\n", MAX_RUNS);
				return 2;
			}
			o.runs = (unsigned int)v;
			break;
		case 's':
			o.seconds = strtod(optarg, NULL);
			if (!(o.seconds > 0 && o.seconds <= 3600)) {
				fprintf(stderr, "ctgate-bench: bad --seconds\n");
				return 2;
			}
			break;
		case 'c':
			o.cpu = atoi(optarg);
			break;
		case 'S':
			if (!parse_u64(optarg, &o.seed)) {
				fprintf(stderr, "ctgate-bench: bad --seed\n");
				return 2;
			}
			rng_state ^= o.seed * 0x9e3779b97f4a7c15ULL;
			break;
		case 'm':
			if (strcmp(optarg, "both") == 0) {
				o.mode = MODE_BOTH;
			} else if (strcmp(optarg, "burst") == 0) {
				o.mode = MODE_BURST;
			} else if (strcmp(optarg, "single") == 0) {
				o.mode = MODE_SINGLE;
			} else {
				fprintf(stderr, "ctgate-bench: --mode burst|single|both\n");
				return 2;
			}
			break;
		case 'o':
			timed_pkt_flags = CTG_PIPELINE_PKT_L4_CSUM_OK;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			fprintf(stderr, "ctgate-bench: cannot pin to CPU %d: %s\n", o.cpu,
					strerror(errno));
	}
	tsc_hz = tsc_calibrate();
	tsc_at_start = rdtsc_now();
	printf("# ctgate-bench: tsc_hz=%.0f runs=%u seconds=%g max_flows=%" PRIu64 " cpu=%d\n",
			tsc_hz, o.runs, o.seconds, o.max_flows, sched_getcpu());
	fflush(stdout);

	if (selected(o.workloads, "hot-flow"))
		wl_hot_flow(&o);
	if (selected(o.workloads, "established")) {
		nb = sizes_for(est_sizes, 3, o.max_flows, sz);
		for (unsigned int i = 0; i < nb; i++) {
			if (!memory_ok(sz[i], 2 * (SMALL_FRAME + sizeof(struct frame)) + 8)) {
				print_skipped("established-uniform", sz[i], "not enough memory");
				print_skipped("established-zipf", sz[i], "not enough memory");
				continue;
			}
			wl_established(&o, sz[i]);
		}
	}
	if (selected(o.workloads, "new-udp")) {
		nb = sizes_for(new_sizes, 3, o.max_flows, sz);
		for (unsigned int i = 0; i < nb; i++)
			wl_new_udp(&o, sz[i]);
	}
	if (selected(o.workloads, "tcp-lifecycle"))
		wl_tcp_lifecycle(&o, o.max_flows < 100000 ? o.max_flows : 100000);
	if (selected(o.workloads, "frag")) {
		uint32_t nf = (uint32_t)(o.max_flows < 1000 ? o.max_flows : 1000);

		wl_frag(&o, "frag", nf, 100000, 5);
		wl_frag(&o, "frag-only", nf, 20000, 100);
	}
	if (selected(o.workloads, "rules"))
		wl_rules(&o, o.max_flows < 10000 ? o.max_flows : 10000);
	return 0;
}
