/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	ctgate-gen, a testpmd-style traffic generator and checker for a bump-in-the-wire
 *	firewall: `ctgate-gen [EAL options] -- --profile NAME [options]`. Port A (the first
 *	port) plays clients on the inside, port B servers on the outside. Every legitimate
 *	conversation is real on both ends: the client side opens it, the server side is a
 *	stateful responder that answers what arrives (a SYN gets a SYN-ACK with its own
 *	ISN, data gets acknowledged and answered, a FIN gets a FIN), so whatever the
 *	appliance does to a packet (drop, delay, reorder) shows up as a retransmission, a
 *	failed flow or a wrong byte, never as a replay mismatch.
 *
 *	Flows. Flow number n has a unique tuple: client address base + n / GEN_PORTS,
 *	client port (or echo id) GEN_PORT_BASE + n % GEN_PORTS, so either end finds the
 *	flow of a received packet from the tuple alone (slot n % nb_slots, whose n and
 *	full tuple are then compared). Kinds: TCP (handshake, K request/response exchanges
 *	with correct seq/ack/window, sender honours the peer's window, go-back-N
 *	retransmission on RTO, FIN or RST close), UDP request/response (retried on RTO like
 *	a resolver) or one-way stream (paced by --pps, no retries), ICMP echo, ICMP error
 *	(the server answers the last request of a UDP flow with port unreachable quoting
 *	it), and fragmented UDP (both directions fragmented at --mtu, reassembled and
 *	verified by the receiver).
 *
 *	Attacks are sent alongside legitimate flows (--legit) at --attack-pps: SYN flood,
 *	mid-stream ACKs, out-of-window data and RSTs injected into live connections,
 *	incomplete fragment sets, ICMP errors quoting unknown flows or with a wrong outer
 *	destination, and a port scan. Their sources are in 198.18.0.0/16 /
 *	2001:db8:bad::/48, or their payload stamp says GEN_ATTACK_FLOW, or (injected RSTs)
 *	their sequence number is far outside the window, so the receiving side knows one
 *	when it sees one.
 *
 *	The checks assume the default-style policy: inside may open connections, outside
 *	may only answer (ESTABLISHED, RELATED), INVALID is dropped. Errors: a payload or
 *	checksum that did not arrive intact, a packet that matches nothing we sent, a
 *	blocked packet that arrived, and a flow that did not complete (unless --loss-ok).
 *	The last line of output is machine-readable (`gen: profile=... errors=...`); the
 *	exit status is 0 when errors=0, 1 on a check failure, 2 on a set-up failure.
 *
 * Life-cycle
 *	EAL init -> options -> mempool -> ports (1 rx/tx queue each) -> wait for links ->
 *	main loop (rx both ports, start flows, timers, attacks, tx) until every flow ended
 *	and every attack packet was sent -> settle (keep receiving for --settle-ms) ->
 *	report -> close.
 *
 * Ownership & synchronization
 *	One lcore (the main one) does everything; there is no shared state.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ctg_pkt.h"
#include "gen.h"

#define BURST	      32
#define TXBUF	      2048
#define RX_DESC	      1024
#define TX_DESC	      1024
#define TCP_WIN	      65535
#define LAT_BUCKET_NS 100
#define LAT_BUCKETS   200000 /* 0.1 us buckets up to 20 ms */
#define SERVER_TCP    80
#define SERVER_UDP    53
#define SERVER_FRAG   4789
#define SERVER_CLOSED 9	     /* icmp-error: the "closed" UDP port */
#define QUOTE_V4      64     /* bytes of the offending datagram's payload an ICMP error quotes */
#define QUOTE_V6      512

/* Profiles: legitimate ones, then attacks (sent alongside --legit flows). */
#define GEN_PROFILES(X)                                                                  \
	X(TCP, "tcp")                                                                    \
	X(UDP, "udp")                                                                    \
	X(ICMP, "icmp")                                                                  \
	X(ICMP_ERROR, "icmp-error")                                                      \
	X(FRAG, "frag")                                                                  \
	X(SYN_FLOOD, "syn-flood")                                                        \
	X(MIDSTREAM, "midstream")                                                        \
	X(OOW, "oow")                                                                    \
	X(FRAG_FLOOD, "frag-flood")                                                      \
	X(FRAG_TINY, "frag-tiny")                                                        \
	X(ICMP_SPOOF, "icmp-spoof")                                                      \
	X(PORTSCAN, "portscan")

enum gen_profile {
#define GEN_X(n, s) GEN_P_##n,
	GEN_PROFILES(GEN_X)
#undef GEN_X
	GEN_P_COUNT
};

static const char *const profile_names[] = {
#define GEN_X(n, s) s,
	GEN_PROFILES(GEN_X)
#undef GEN_X
};

enum flow_kind {
	FK_TCP,
	FK_UDP,
	FK_ICMP,
	FK_ICMP_ERROR,
	FK_FRAG,
	FK_COUNT
};

enum legit_mix {
	LEGIT_PROFILE, /* the profile's own kind */
	LEGIT_TCP,
	LEGIT_UDP,
	LEGIT_MIX,
	LEGIT_NONE,
};

/* TCP endpoint states (the generator's, not conntrack's). */
enum tcp_st {
	TS_CLOSED,
	TS_SYN_SENT,
	TS_SYN_RCVD,
	TS_ESTAB,
	TS_FIN_WAIT,  /* our FIN sent */
	TS_LAST_ACK,  /* peer's FIN received, our FIN sent */
	TS_DONE,
};

/* Class of a transmitted frame, for the sent/expected/blocked accounting. */
enum tx_class {
	TXC_LEGIT,
	TXC_BLOCKED,	/* attack the policy must block */
	TXC_ALLOWED,	/* attack the policy lets through (inside-initiated) */
	TXC_COUNT
};

struct tcp_side {
	uint8_t st;
	bool fin_queued;
	bool fin_rcvd;
	bool need_ack;
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t peer_wnd;
	uint32_t tx_limit;	/* stream bytes the application has queued */
	uint32_t rx_bytes;	/* in-order stream bytes received */
};

struct gen_flow {
	uint32_t n;
	uint8_t kind;
	uint8_t family;
	bool active;
	bool client_done;
	bool server_done;
	bool close_rst;
	uint8_t retries;
	uint16_t cport;
	uint16_t sport;
	struct gen_addr caddr;
	struct gen_addr saddr;
	uint32_t msg;		/* client: exchanges completed / stream datagrams sent */
	uint32_t srv_msg;	/* server: requests answered / stream datagrams received */
	uint64_t last_tsc;	/* last progress (flow timeout) */
	uint64_t rto_tsc;	/* retransmission deadline, 0: none */
	struct tcp_side c;
	struct tcp_side s;
};

struct gen_opts {
	enum gen_profile profile;
	enum legit_mix legit;
	uint8_t family;		/* 4, 6, or 46 (alternate) */
	uint32_t flows;
	uint32_t concurrency;
	double cps;
	double duration_s;
	uint32_t requests;
	int size;		/* frame size incl. FCS; -1: IMIX */
	int resp_size;		/* -2: same as size */
	bool udp_stream;
	int close_mode;		/* 0 fin, 1 rst, 2 mix */
	double pps;
	uint16_t mtu;
	uint32_t frag_bytes;
	uint32_t rto_ms;
	uint32_t retries;
	uint32_t flow_timeout_ms;
	double attack_pps;
	uint32_t attack_count;
	bool attack_inside;
	bool loss_ok;
	uint32_t settle_ms;
	uint32_t wait_link_s;
	uint16_t port[2];
	uint16_t nb_queues;
	uint32_t linger_s; /* keep the ports up after the report, until a signal or this */
	const char *pcap;
	struct gen_addr client4, server4, client6, server6;
};

#define MAX_QUEUES 8

struct port_tx {
	uint16_t port_id;
	uint16_t queue;
	uint16_t count;
	struct rte_mbuf *pkts[TXBUF];
};

struct gen_stats {
	uint64_t sent[TXC_COUNT];
	uint64_t tx_full;	/* frames our own tx buffer could not hold */
	uint64_t received;
	uint64_t recv_legit;
	uint64_t attack_arrived;	/* blocked attack frames that arrived: errors */
	uint64_t attack_passed;		/* allowed attack frames that arrived */
	uint64_t corrupt;
	uint64_t unexpected;
	uint64_t late;		/* legit frames of a flow that already ended */
	uint64_t oow_arrived;
	uint64_t retrans;
	uint64_t flows_started;
	uint64_t flows_done;
	uint64_t flows_failed;
	uint64_t reasm_done;
	uint64_t first_tx_tsc;
	uint64_t last_rx_tsc;
	uint64_t last_tx_tsc;
	uint64_t lat_max_ns;
	uint64_t lat_count;
};

struct gen {
	struct gen_opts o;
	struct rte_mempool *mp;
	struct port_tx txq[2][MAX_QUEUES];
	struct port_tx *tx[2];	/* the queue frames go out on now (see send_l4()) */
	struct gen_reasm *reasm[2];
	struct gen_pcap *pcap;
	struct gen_flow *slots;
	uint32_t nb_slots;
	uint32_t active;
	uint32_t next_n;
	uint32_t scan;
	uint64_t hz;
	uint64_t rto_tsc;
	uint64_t flow_timeout_tsc;
	uint64_t start_tsc;
	uint64_t end_start_tsc;	/* stop starting flows after this (0: never) */
	double cps_tokens;
	double pps_tokens;
	double atk_tokens;
	uint64_t last_tok_tsc;
	uint32_t atk_sent;	/* attack actions done */
	uint32_t ipid;
	enum tx_class cls;	/* class of the frames being emitted */
	uint8_t scratch[GEN_MAX_DGRAM + 64];
	uint32_t lat_hist[LAT_BUCKETS];
	struct gen_stats st;
};

static atomic_int stop_signal;
static struct gen gen_storage;

static const uint8_t mac_client[6] = { 0x02, 0xc7, 0x9e, 0x00, 0x00, 0x01 };
static const uint8_t mac_server[6] = { 0x02, 0xc7, 0x9e, 0x00, 0x00, 0x02 };

static void
on_signal(int sig)
{
	atomic_store(&stop_signal, sig);
}

/* ---------------------------------------------------------------- helpers */

static bool
is_attack_profile(enum gen_profile p)
{
	return p >= GEN_P_SYN_FLOOD;
}

static uint64_t
ms_to_tsc(const struct gen *g, uint64_t ms)
{
	return g->hz / 1000 * ms;
}

static bool
attack_src(uint8_t family, const struct gen_addr *a)
{
	static const uint8_t v6[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad };

	if (family == 4)
		return a->b[0] == 198 && a->b[1] == 18;
	return memcmp(a->b, v6, 6) == 0;
}

static void
attack_addr(uint8_t family, struct gen_addr *a, uint32_t host)
{
	static const uint8_t v6[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad };

	memset(a, 0, sizeof(*a));
	if (family == 4) {
		a->b[0] = 198;
		a->b[1] = 18;
		a->b[2] = (uint8_t)(host >> 8);
		a->b[3] = (uint8_t)(host | 1);
	} else {
		memcpy(a->b, v6, 6);
		a->b[14] = (uint8_t)(host >> 8);
		a->b[15] = (uint8_t)(host | 1);
	}
}

/*
 * Frame size (incl. FCS) of message @p msg of flow @p n in one direction. IMIX (7:4:1 of
 * 64, 594 and 1518 bytes) is a function of the flow, the message and the direction, so
 * both ends know the size of what they expect without telling each other.
 */
static uint32_t
frame_size(const struct gen *g, uint32_t n, bool response, uint32_t msg)
{
	static const uint16_t imix[12] = { 64, 594, 64, 64, 594, 1518, 64, 594, 64, 64, 594, 64 };
	int s = response && g->o.resp_size != -2 ? g->o.resp_size : g->o.size;

	if (s == -1)
		return imix[(n * 5u + msg * 7u + (response ? 3u : 0u)) % 12];
	return (uint32_t)s;
}

/* Payload bytes of a transport segment in a frame of @p size bytes (incl. FCS). */
static uint32_t
payload_for(uint8_t family, uint32_t l4hdr, uint32_t size)
{
	uint32_t hdr = 4 + RTE_ETHER_HDR_LEN + (family == 4 ? 20 : 40) + l4hdr;

	return size > hdr ? size - hdr : 0;
}

static void
lat_record(struct gen *g, uint64_t tsc_sent, uint64_t now)
{
	uint64_t ns;

	if (tsc_sent == 0 || tsc_sent > now || now - tsc_sent > g->hz)
		return;
	ns = (now - tsc_sent) * 1000000000ull / g->hz;
	g->lat_hist[RTE_MIN(ns / LAT_BUCKET_NS, (uint64_t)LAT_BUCKETS - 1)]++;
	g->st.lat_count++;
	if (ns > g->st.lat_max_ns)
		g->st.lat_max_ns = ns;
}

static double
lat_pct(const struct gen *g, double p)
{
	uint64_t want, acc = 0;

	if (g->st.lat_count == 0)
		return 0;
	want = (uint64_t)ceil(p * (double)g->st.lat_count);
	if (want == 0)
		want = 1;
	for (uint32_t i = 0; i < LAT_BUCKETS; i++) {
		acc += g->lat_hist[i];
		if (acc >= want)
			return (double)(i + 1) * LAT_BUCKET_NS / 1000.0;
	}
	return (double)g->st.lat_max_ns / 1000.0;
}

/* ---------------------------------------------------------------- transmit */

static void
txq_flush(struct port_tx *t)
{
	uint16_t n;

	if (t->count == 0)
		return;
	n = rte_eth_tx_burst(t->port_id, t->queue, t->pkts, t->count);
	if (n > 0 && n < t->count)
		memmove(t->pkts, t->pkts + n, (t->count - n) * sizeof(t->pkts[0]));
	t->count = (uint16_t)(t->count - n);
}

static void
tx_flush(struct gen *g, int side)
{
	for (uint16_t q = 0; q < g->o.nb_queues; q++)
		txq_flush(&g->txq[side][q]);
}

/* Frames waiting in the tx buffers of @p side. */
static uint32_t
tx_pending(const struct gen *g, int side)
{
	uint32_t n = 0;

	for (uint16_t q = 0; q < g->o.nb_queues; q++)
		n += g->txq[side][q].count;
	return n;
}

static bool
emit_side(struct gen *g, int side, struct rte_mbuf *m)
{
	struct port_tx *t = g->tx[side];
	uint64_t now = rte_rdtsc();

	if (t->count == TXBUF)
		txq_flush(t);
	if (t->count == TXBUF) {
		rte_pktmbuf_free(m);
		g->st.tx_full++;
		return false;
	}
	if (g->pcap != NULL)
		gen_pcap_write(g->pcap, m, now - g->start_tsc, g->hz);
	t->pkts[t->count++] = m;
	g->st.sent[g->cls]++;
	if (g->st.first_tx_tsc == 0)
		g->st.first_tx_tsc = now;
	g->st.last_tx_tsc = now;
	return true;
}

static bool
emit_client(void *ctx, struct rte_mbuf *m)
{
	return emit_side(ctx, 0, m);
}

static bool
emit_server(void *ctx, struct rte_mbuf *m)
{
	return emit_side(ctx, 1, m);
}

/* Send transport segment @p l4 from @p side (0: client port, 1: server port). */
static unsigned int
send_l4(struct gen *g, int side, uint8_t family, uint8_t proto, const struct gen_addr *src,
		const struct gen_addr *dst, uint8_t *l4, uint32_t len, uint16_t mtu,
		int frag_attack)
{
	struct gen_ip ip = {
		.family = family,
		.proto = proto,
		.ttl = 64,
		.src = *src,
		.dst = *dst,
		.frag_id = ++g->ipid,
		.mtu = mtu,
		.frag_first_only = frag_attack == 1,
		.frag_skip_middle = frag_attack == 2,
		.frag_skip_last = frag_attack == 3,
	};
	uint16_t c;
	uint32_t csum_off;

	switch (proto) {
	case IPPROTO_TCP:
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		csum_off = 6;
		break;
	default:
		csum_off = 2;
		break;
	}
	if (family == 6 && ip.frag_id == 0)
		ip.frag_id = ++g->ipid;
	if (g->o.nb_queues > 1) {
		/* Queue by the ports (or echo id), the same for both directions of a flow. */
		uint16_t a, b, q;

		memcpy(&a, l4 + (proto == IPPROTO_TCP || proto == IPPROTO_UDP ? 0 : 4), 2);
		memcpy(&b, l4 + (proto == IPPROTO_TCP || proto == IPPROTO_UDP ? 2 : 4), 2);
		/* In host order: the low bits of ports that differ by one must differ. */
		q = (uint16_t)((rte_be_to_cpu_16(a) ^ rte_be_to_cpu_16(b)) % g->o.nb_queues);
		g->tx[0] = &g->txq[0][q];
		g->tx[1] = &g->txq[1][q];
	}
	l4[csum_off] = l4[csum_off + 1] = 0;
	c = rte_cpu_to_be_16(gen_l4_csum(family, src, dst, proto, l4, len));
	memcpy(l4 + csum_off, &c, 2);
	return gen_ip_emit(g->mp, side == 0 ? mac_client : mac_server,
			side == 0 ? mac_server : mac_client, &ip, l4, len,
			side == 0 ? emit_client : emit_server, g);
}

/* ---------------------------------------------------------------- flows */

static uint32_t
pattern_flow(const struct gen_flow *f, int dir)
{
	return f->n * 2u + (uint32_t)dir;
}

static struct gen_flow *
flow_by_n(struct gen *g, uint32_t n)
{
	struct gen_flow *f = &g->slots[n % g->nb_slots];

	return f->active && f->n == n ? f : NULL;
}

/* Flow number from a client tuple, UINT32_MAX if the tuple is not one of ours. */
static uint32_t
flow_n_of(const struct gen *g, uint8_t family, const struct gen_addr *caddr, uint16_t cport)
{
	uint32_t h = gen_addr_diff(family, caddr, family == 4 ? &g->o.client4 : &g->o.client6);

	if (h >= 65536 || cport < GEN_PORT_BASE || cport >= GEN_PORT_BASE + GEN_PORTS)
		return UINT32_MAX;
	return h * GEN_PORTS + (uint32_t)(cport - GEN_PORT_BASE);
}

static void
flow_end(struct gen *g, struct gen_flow *f, bool ok)
{
	if (!f->active)
		return;
	f->active = false;
	g->active--;
	if (ok)
		g->st.flows_done++;
	else
		g->st.flows_failed++;
}

static void
flow_check_done(struct gen *g, struct gen_flow *f)
{
	if (f->client_done && f->server_done)
		flow_end(g, f, true);
}

/* Payload bytes of message @p msg (TCP: every message of the flow has the same size). */
static uint32_t
req_len(const struct gen *g, const struct gen_flow *f, bool response, uint32_t msg)
{
	switch ((enum flow_kind)f->kind) {
	case FK_TCP:
		return RTE_MAX(1u, payload_for(f->family, 20, frame_size(g, f->n, response, 0)));
	case FK_UDP:
	case FK_ICMP_ERROR:
	case FK_ICMP:
		/* At least the stamp: the receiver needs the message number. */
		return RTE_MAX((uint32_t)GEN_STAMP_LEN,
				payload_for(f->family, 8, frame_size(g, f->n, response, msg)));
	case FK_FRAG:
		return g->o.frag_bytes;
	case FK_COUNT:
		break;
	}
	return 0;
}

/* --- TCP ------------------------------------------------------------------ */

static uint32_t
tcp_mss(const struct gen *g, const struct gen_flow *f)
{
	uint32_t hdr = (f->family == 4 ? 20 : 40) + 20;

	return (uint32_t)(g->o.mtu > hdr ? g->o.mtu - hdr : 536);
}

static void
tcp_segment(struct gen *g, struct gen_flow *f, int side, uint8_t flags, uint32_t seq,
		uint32_t off, uint32_t len)
{
	struct tcp_side *t = side == 0 ? &f->c : &f->s;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)g->scratch;
	uint8_t *p = g->scratch + 20;

	memset(th, 0, 20);
	th->src_port = rte_cpu_to_be_16(side == 0 ? f->cport : f->sport);
	th->dst_port = rte_cpu_to_be_16(side == 0 ? f->sport : f->cport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32((flags & RTE_TCP_ACK_FLAG) ? t->rcv_nxt : 0);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(TCP_WIN);
	if (len > 0)
		gen_payload_fill(p, len, pattern_flow(f, side), off, rte_rdtsc(), off);
	send_l4(g, side, f->family, IPPROTO_TCP, side == 0 ? &f->caddr : &f->saddr,
			side == 0 ? &f->saddr : &f->caddr, g->scratch, 20 + len, 0, 0);
	t->need_ack = false;
}

/* Send what the window allows from snd_nxt: data, then the FIN; or a bare ACK. */
static void
tcp_output(struct gen *g, struct gen_flow *f, int side)
{
	struct tcp_side *t = side == 0 ? &f->c : &f->s;
	uint32_t mss = tcp_mss(g, f);
	uint32_t data_end = t->iss + 1 + t->tx_limit;
	bool sent = false;

	if (t->st == TS_SYN_SENT) {
		tcp_segment(g, f, side, RTE_TCP_SYN_FLAG, t->iss, 0, 0);
		t->snd_nxt = t->iss + 1;
		return;
	}
	if (t->st == TS_SYN_RCVD) {
		tcp_segment(g, f, side, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, t->iss, 0, 0);
		t->snd_nxt = t->iss + 1;
		return;
	}
	while ((int32_t)(data_end - t->snd_nxt) > 0 &&
			t->snd_nxt - t->snd_una < t->peer_wnd) {
		uint32_t room = t->peer_wnd - (t->snd_nxt - t->snd_una);
		uint32_t len = RTE_MIN(RTE_MIN(mss, data_end - t->snd_nxt), room);
		uint32_t seg = len;
		uint32_t off = t->snd_nxt - t->iss - 1;

		tcp_segment(g, f, side, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, t->snd_nxt, off, seg);
		t->snd_nxt += seg;
		sent = true;
	}
	if (t->fin_queued && t->snd_nxt == data_end && t->snd_nxt - t->snd_una < t->peer_wnd) {
		tcp_segment(g, f, side, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, t->snd_nxt, 0, 0);
		t->snd_nxt = data_end + 1;
		if (t->st == TS_ESTAB)
			t->st = t->fin_rcvd ? TS_LAST_ACK : TS_FIN_WAIT;
		sent = true;
	}
	if (!sent && t->need_ack)
		tcp_segment(g, f, side, RTE_TCP_ACK_FLAG, t->snd_nxt, 0, 0);
}

static void
flow_arm(struct gen *g, struct gen_flow *f, uint64_t now)
{
	f->rto_tsc = now + g->rto_tsc;
	f->retries = 0;
	f->last_tsc = now;
}

/* Application logic after in-order bytes arrived. */
static void
tcp_app(struct gen *g, struct gen_flow *f, int side, uint64_t now)
{
	struct tcp_side *t = side == 0 ? &f->c : &f->s;
	uint32_t req = req_len(g, f, false, 0), resp = req_len(g, f, true, 0);

	if (side == 1) {
		/* Server: answer each complete request. */
		while (f->srv_msg < g->o.requests && t->rx_bytes >= (f->srv_msg + 1) * req) {
			f->srv_msg++;
			t->tx_limit += resp;
		}
		return;
	}
	while (f->msg < g->o.requests && t->rx_bytes >= (f->msg + 1) * resp) {
		f->msg++;
		flow_arm(g, f, now);
		if (f->msg < g->o.requests) {
			t->tx_limit += req;
		} else if (f->close_rst) {
			tcp_segment(g, f, 0, RTE_TCP_RST_FLAG, t->snd_nxt, 0, 0);
			t->st = TS_DONE;
			f->client_done = true;
		} else {
			t->fin_queued = true;
		}
	}
}

/* The receiving side's acceptance test: far outside the window is an injection. */
static bool
tcp_far(const struct tcp_side *t, uint32_t seq)
{
	int32_t d = (int32_t)(seq - t->rcv_nxt);

	return d > 4 * TCP_WIN || d < -4 * TCP_WIN;
}

static void
tcp_input(struct gen *g, struct gen_flow *f, int side, const uint8_t *l4, uint32_t len,
		uint64_t now)
{
	struct tcp_side *t = side == 0 ? &f->c : &f->s;
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)l4;
	uint32_t hlen = (th->data_off >> 4) * 4u;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	uint8_t fl = th->tcp_flags;
	const uint8_t *p = l4 + hlen;
	uint32_t plen = len > hlen ? len - hlen : 0;
	bool ackable = (fl & RTE_TCP_ACK_FLAG) != 0;

	if (hlen < 20 || hlen > len) {
		g->st.corrupt++;
		return;
	}
	/* SYN handling. */
	if (fl & RTE_TCP_SYN_FLAG) {
		if (side == 1 && !(fl & RTE_TCP_ACK_FLAG)) {
			if (t->st == TS_CLOSED) {
				t->irs = seq;
				t->rcv_nxt = seq + 1;
				t->iss = (uint32_t)rte_rand();
				t->snd_una = t->iss;
				t->peer_wnd = rte_be_to_cpu_16(th->rx_win);
				t->st = TS_SYN_RCVD;
				tcp_output(g, f, 1);
			} else if (t->st == TS_SYN_RCVD && seq == t->irs) {
				tcp_output(g, f, 1);	/* our SYN-ACK was lost */
			} else if (seq != t->irs) {
				g->st.unexpected++;
			}
			return;
		}
		if (side == 0 && (fl & RTE_TCP_ACK_FLAG)) {
			if (t->st == TS_SYN_SENT && ack == t->iss + 1) {
				t->irs = seq;
				t->rcv_nxt = seq + 1;
				t->snd_una = ack;
				t->peer_wnd = rte_be_to_cpu_16(th->rx_win);
				t->st = TS_ESTAB;
				t->need_ack = true;
				flow_arm(g, f, now);
				tcp_output(g, f, 0);
			} else if (t->st != TS_SYN_SENT && seq == t->irs) {
				t->need_ack = true;	/* our ACK was lost: repeat it */
				tcp_output(g, f, 0);
			} else {
				g->st.unexpected++;
			}
			return;
		}
		g->st.unexpected++;
		return;
	}
	if (t->st == TS_CLOSED || t->st == TS_SYN_SENT) {
		g->st.unexpected++;
		return;
	}
	if (fl & RTE_TCP_RST_FLAG) {
		if (seq != t->rcv_nxt) {
			g->st.oow_arrived++;
			return;
		}
		t->st = TS_DONE;
		if (side == 1 && f->close_rst && f->msg >= g->o.requests)
			f->server_done = true;
		else
			flow_end(g, f, false);
		flow_check_done(g, f);
		return;
	}
	if (tcp_far(t, seq)) {
		g->st.oow_arrived++;
		return;
	}
	if (plen >= GEN_STAMP_LEN) {
		struct gen_stamp stp;

		memcpy(&stp, p, sizeof(stp));
		if (stp.flow == GEN_ATTACK_FLOW) {
			g->st.attack_arrived++;
			return;
		}
	}
	if (ackable) {
		if ((int32_t)(ack - t->snd_una) > 0 && (int32_t)(ack - t->snd_nxt) <= 0) {
			t->snd_una = ack;
			flow_arm(g, f, now);
			if (t->st == TS_SYN_RCVD)
				t->st = TS_ESTAB;
		}
		t->peer_wnd = rte_be_to_cpu_16(th->rx_win);
	}
	if (plen > 0) {
		if (seq == t->rcv_nxt) {
			uint32_t off = seq - t->irs - 1;
			struct gen_stamp stp;

			if (!gen_payload_check(p, plen, pattern_flow(f, !side), off)) {
				g->st.corrupt++;
				return;
			}
			if (plen >= GEN_STAMP_LEN) {
				memcpy(&stp, p, sizeof(stp));
				if (stp.seq != off)
					g->st.corrupt++;
				lat_record(g, stp.tsc, now);
			}
			t->rcv_nxt += plen;
			t->rx_bytes += plen;
			tcp_app(g, f, side, now);
		}
		t->need_ack = true;	/* in order: ack; duplicate or ahead: dup-ack */
	}
	if ((fl & RTE_TCP_FIN_FLAG) && seq + plen == t->rcv_nxt && !t->fin_rcvd) {
		t->fin_rcvd = true;
		t->rcv_nxt++;
		t->need_ack = true;
		if (side == 1)
			t->fin_queued = true;	/* the server closes when the client does */
	} else if ((fl & RTE_TCP_FIN_FLAG) && t->fin_rcvd) {
		t->need_ack = true;		/* retransmitted FIN: ack again */
	}
	/* Completion: both FINs exchanged and ours acknowledged. */
	if (t->fin_rcvd && t->fin_queued && t->snd_una == t->iss + 1 + t->tx_limit + 1) {
		t->st = TS_DONE;
		if (side == 0)
			f->client_done = true;
		else
			f->server_done = true;
	}
	if (t->st != TS_DONE || t->need_ack)
		tcp_output(g, f, side);
	flow_check_done(g, f);
}

/* --- UDP, ICMP, fragments ------------------------------------------------- */

static void
udp_send(struct gen *g, struct gen_flow *f, int side, uint32_t msg)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)g->scratch;
	uint32_t len = req_len(g, f, side == 1, msg);

	uh->src_port = rte_cpu_to_be_16(side == 0 ? f->cport : f->sport);
	uh->dst_port = rte_cpu_to_be_16(side == 0 ? f->sport : f->cport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	gen_payload_fill(g->scratch + 8, len, pattern_flow(f, side), msg, rte_rdtsc(), msg);
	send_l4(g, side, f->family, IPPROTO_UDP, side == 0 ? &f->caddr : &f->saddr,
			side == 0 ? &f->saddr : &f->caddr, g->scratch, 8 + len,
			f->kind == FK_FRAG ? g->o.mtu : 0, 0);
}

static void
icmp_echo_send(struct gen *g, struct gen_flow *f, int side, uint32_t msg)
{
	uint8_t *h = g->scratch;
	uint32_t len = req_len(g, f, side == 1, msg);
	uint16_t id = rte_cpu_to_be_16(f->cport), sq = rte_cpu_to_be_16((uint16_t)msg);

	if (f->family == 4)
		h[0] = side == 0 ? 8 : 0;
	else
		h[0] = side == 0 ? 128 : 129;
	h[1] = 0;
	memcpy(h + 4, &id, 2);
	memcpy(h + 6, &sq, 2);
	gen_payload_fill(h + 8, len, pattern_flow(f, side), msg, rte_rdtsc(), msg);
	send_l4(g, side, f->family, f->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			side == 0 ? &f->caddr : &f->saddr, side == 0 ? &f->saddr : &f->caddr,
			g->scratch, 8 + len, 0, 0);
}

/* ICMP(v6) port unreachable from the server, quoting the datagram @p q (its IP packet). */
static void
icmp_unreach_send(struct gen *g, struct gen_flow *f, const uint8_t *q, uint32_t qlen)
{
	uint8_t *h = g->scratch;

	memset(h, 0, 8);
	h[0] = f->family == 4 ? 3 : 1;
	h[1] = f->family == 4 ? 3 : 4;
	memcpy(h + 8, q, qlen);
	send_l4(g, 1, f->family, f->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, &f->saddr,
			&f->caddr, g->scratch, 8 + qlen, 0, 0);
}

/* The client's next message of a request/response or stream flow. */
static void
client_send(struct gen *g, struct gen_flow *f)
{
	switch ((enum flow_kind)f->kind) {
	case FK_UDP:
	case FK_ICMP_ERROR:
	case FK_FRAG:
		udp_send(g, f, 0, f->msg);
		break;
	case FK_ICMP:
		icmp_echo_send(g, f, 0, f->msg);
		break;
	case FK_TCP:
	case FK_COUNT:
		break;
	}
}

static bool
stream_flow(const struct gen *g, const struct gen_flow *f)
{
	return f->kind == FK_UDP && g->o.udp_stream;
}

/*
 * A request/response or stream message arrived (UDP payload, echo payload). @p side is
 * where it arrived; @p ip/iplen is the whole IP packet (the ICMP error quotes it).
 */
static void
msg_input(struct gen *g, struct gen_flow *f, int side, uint32_t msg, const uint8_t *p,
		uint32_t plen, const uint8_t *ip, uint32_t iplen, uint64_t now)
{
	if (!gen_payload_check(p, plen, pattern_flow(f, !side), msg)) {
		g->st.corrupt++;
		return;
	}
	if (plen >= GEN_STAMP_LEN) {
		struct gen_stamp stp;

		memcpy(&stp, p, sizeof(stp));
		lat_record(g, stp.tsc, now);
	}
	if (side == 1) {
		if (stream_flow(g, f)) {
			f->srv_msg++;
			if (f->srv_msg >= (f->client_done ? f->msg : g->o.requests))
				f->server_done = true;
			flow_arm(g, f, now);
			flow_check_done(g, f);
			return;
		}
		if (msg >= g->o.requests) {
			g->st.unexpected++;
			return;
		}
		if (msg + 1 > f->srv_msg)
			f->srv_msg = msg + 1;
		if (f->srv_msg >= g->o.requests)
			f->server_done = true;
		if (f->kind == FK_ICMP_ERROR && msg + 1 == g->o.requests) {
			uint32_t q = (f->family == 4 ? 20 + 8 + QUOTE_V4 : 40 + 8 + QUOTE_V6);

			icmp_unreach_send(g, f, ip, RTE_MIN(iplen, q));
		} else if (f->kind == FK_ICMP) {
			icmp_echo_send(g, f, 1, msg);
		} else {
			udp_send(g, f, 1, msg);
		}
		return;
	}
	if (msg != f->msg)
		return;		/* a duplicate answer to a retransmitted request */
	f->msg++;
	flow_arm(g, f, now);
	if (f->msg >= g->o.requests) {
		f->client_done = true;
		flow_check_done(g, f);
		return;
	}
	client_send(g, f);
}

/* ---------------------------------------------------------------- starting flows */

static enum flow_kind
kind_for(const struct gen *g, uint32_t n)
{
	enum legit_mix m = g->o.legit;

	if (m == LEGIT_PROFILE) {
		switch (g->o.profile) {
		case GEN_P_UDP:
			return FK_UDP;
		case GEN_P_ICMP:
			return FK_ICMP;
		case GEN_P_ICMP_ERROR:
			return FK_ICMP_ERROR;
		case GEN_P_FRAG:
			return FK_FRAG;
		default:
			return FK_TCP;
		}
	}
	if (m == LEGIT_UDP)
		return FK_UDP;
	if (m == LEGIT_MIX)
		return (n % 2) ? FK_UDP : FK_TCP;
	return FK_TCP;
}

static bool
flow_start(struct gen *g, uint64_t now)
{
	uint32_t n = g->next_n;
	struct gen_flow *f = &g->slots[n % g->nb_slots];
	uint8_t fam;

	if (f->active)
		return false;
	fam = g->o.family == 46 ? ((n / 2) % 2 ? 6 : 4) : g->o.family;
	memset(f, 0, sizeof(*f));
	f->n = n;
	f->family = fam;
	f->kind = (uint8_t)kind_for(g, n);
	f->active = true;
	f->caddr = fam == 4 ? g->o.client4 : g->o.client6;
	gen_addr_add(fam, &f->caddr, n / GEN_PORTS);
	f->saddr = fam == 4 ? g->o.server4 : g->o.server6;
	f->cport = (uint16_t)(GEN_PORT_BASE + n % GEN_PORTS);
	f->close_rst = g->o.close_mode == 1 || (g->o.close_mode == 2 && (n / 4) % 2);
	switch ((enum flow_kind)f->kind) {
	case FK_TCP:
		f->sport = SERVER_TCP;
		break;
	case FK_UDP:
		f->sport = SERVER_UDP;
		break;
	case FK_FRAG:
		f->sport = SERVER_FRAG;
		break;
	case FK_ICMP_ERROR:
		f->sport = SERVER_CLOSED;
		break;
	case FK_ICMP:
	case FK_COUNT:
		f->sport = 0;
		break;
	}
	flow_arm(g, f, now);
	g->next_n++;
	g->active++;
	g->st.flows_started++;
	g->cls = TXC_LEGIT;
	if (f->kind == FK_TCP) {
		f->c.iss = (uint32_t)rte_rand();
		f->c.snd_una = f->c.iss;
		f->c.peer_wnd = TCP_WIN;
		f->c.tx_limit = req_len(g, f, false, 0);
		f->c.st = TS_SYN_SENT;
		tcp_output(g, f, 0);
	} else if (!stream_flow(g, f)) {
		client_send(g, f);
	}
	return true;
}

/*
 * Stream flows: the next datagram of every active stream, paced by the pps tokens. At
 * the end of --duration every stream stops where it is (the server then expects what
 * was sent).
 */
static void
streams_send(struct gen *g, uint64_t now)
{
	uint32_t budget = g->nb_slots;

	if (g->end_start_tsc != 0 && now >= g->end_start_tsc) {
		for (uint32_t i = 0; i < g->nb_slots; i++) {
			struct gen_flow *f = &g->slots[i];

			if (!f->active || !stream_flow(g, f) || f->client_done)
				continue;
			f->client_done = true;
			f->server_done = f->srv_msg >= f->msg;
			f->last_tsc = now;
			flow_check_done(g, f);
		}
		return;
	}

	for (uint32_t i = 0; i < budget && g->pps_tokens >= 1; i++) {
		struct gen_flow *f = &g->slots[(g->scan + i) % g->nb_slots];

		if (!f->active || !stream_flow(g, f) || f->msg >= g->o.requests)
			continue;
		if (g->tx[0]->count >= TXBUF - 4)
			break;
		g->cls = TXC_LEGIT;
		udp_send(g, f, 0, f->msg++);
		g->pps_tokens -= 1;
		f->last_tsc = now;
		if (f->msg >= g->o.requests) {
			f->client_done = true;
			flow_check_done(g, f);
		}
	}
}

/* Retransmission and flow timeouts, a bounded slice of the slots per call. */
static void
timers(struct gen *g, uint64_t now)
{
	uint32_t slice = RTE_MIN(g->nb_slots, 64u);

	for (uint32_t i = 0; i < slice; i++) {
		struct gen_flow *f = &g->slots[g->scan];

		g->scan = (g->scan + 1) % g->nb_slots;
		if (!f->active)
			continue;
		if (now - f->last_tsc > g->flow_timeout_tsc) {
			flow_end(g, f, false);
			continue;
		}
		if (f->rto_tsc == 0 || now < f->rto_tsc || stream_flow(g, f))
			continue;
		if (f->retries >= g->o.retries) {
			f->rto_tsc = 0;
			continue;
		}
		f->retries++;
		f->rto_tsc = now + (g->rto_tsc << RTE_MIN(f->retries, 4));
		g->cls = TXC_LEGIT;
		if (f->kind == FK_TCP) {
			if (f->c.st != TS_DONE && f->c.snd_una != f->c.snd_nxt) {
				g->st.retrans++;
				f->c.snd_nxt = f->c.snd_una;
				if (f->c.st == TS_FIN_WAIT || f->c.st == TS_LAST_ACK)
					f->c.st = TS_ESTAB;
				tcp_output(g, f, 0);
			}
			if (f->s.st != TS_CLOSED && f->s.st != TS_DONE &&
					f->s.snd_una != f->s.snd_nxt) {
				g->st.retrans++;
				f->s.snd_nxt = f->s.snd_una;
				if (f->s.st == TS_FIN_WAIT || f->s.st == TS_LAST_ACK)
					f->s.st = TS_ESTAB;
				tcp_output(g, f, 1);
			}
		} else if (!f->client_done) {
			g->st.retrans++;
			client_send(g, f);
		}
	}
}

/* ---------------------------------------------------------------- attacks */

/* A random active flow of @p kind in a state worth attacking, or NULL. */
static struct gen_flow *
live_flow(struct gen *g, bool tcp_only)
{
	for (int tries = 0; tries < 16; tries++) {
		struct gen_flow *f = &g->slots[rte_rand_max(g->nb_slots)];

		if (!f->active || f->client_done || f->server_done)
			continue;
		if (f->kind == FK_TCP && f->c.st == TS_ESTAB && f->s.st == TS_ESTAB)
			return f;
		if (!tcp_only && (f->kind == FK_UDP || f->kind == FK_ICMP_ERROR) && f->msg > 0)
			return f;
	}
	return NULL;
}

/* One attack packet (or fragment set). @return false when nothing could be sent now. */
static bool
attack_one(struct gen *g)
{
	uint32_t k = g->atk_sent;
	uint8_t fam = g->o.family == 46 ? ((k / 2) % 2 ? 6 : 4) : g->o.family;
	int side = g->o.attack_inside ? 0 : 1;
	struct gen_addr src, dst;
	uint8_t *l4 = g->scratch;

	attack_addr(fam, &src, (uint32_t)rte_rand_max(65535));
	if (side == 1) {
		dst = fam == 4 ? g->o.client4 : g->o.client6;
		gen_addr_add(fam, &dst, (uint32_t)rte_rand_max(4));
	} else {
		dst = fam == 4 ? g->o.server4 : g->o.server6;
	}
	switch (g->o.profile) {
	case GEN_P_SYN_FLOOD:
	case GEN_P_MIDSTREAM:
	case GEN_P_PORTSCAN: {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		uint32_t plen = 0;
		bool scan = g->o.profile == GEN_P_PORTSCAN;
		uint16_t dport = scan ? (uint16_t)(1 + k % 1024) : (uint16_t)(1 + rte_rand_max(1024));

		if (scan) {
			attack_addr(fam, &src, 7);	/* one scanner */
			dst = side == 1 ? (fam == 4 ? g->o.client4 : g->o.client6) :
					  (fam == 4 ? g->o.server4 : g->o.server6);
			gen_addr_add(fam, &dst, side == 1 ? (k / 1024) % 4 : 0);
		}
		if (scan && k % 4 == 3) {
			struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;

			uh->src_port = rte_cpu_to_be_16(40000);
			uh->dst_port = rte_cpu_to_be_16(dport);
			uh->dgram_len = rte_cpu_to_be_16(8 + 32);
			gen_payload_fill(l4 + 8, 32, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
			g->cls = g->o.attack_inside ? TXC_ALLOWED : TXC_BLOCKED;
			send_l4(g, side, fam, IPPROTO_UDP, &src, &dst, l4, 8 + 32, 0, 0);
			break;
		}
		memset(th, 0, 20);
		th->src_port = rte_cpu_to_be_16(scan ? 40000 : (uint16_t)(1024 + rte_rand_max(60000)));
		th->dst_port = rte_cpu_to_be_16(dport);
		th->sent_seq = rte_cpu_to_be_32((uint32_t)rte_rand());
		th->data_off = 5 << 4;
		th->rx_win = rte_cpu_to_be_16(64240);
		if (g->o.profile == GEN_P_MIDSTREAM) {
			th->recv_ack = rte_cpu_to_be_32((uint32_t)rte_rand());
			th->tcp_flags = RTE_TCP_ACK_FLAG | (k % 2 ? RTE_TCP_PSH_FLAG : 0);
			if (k % 2) {
				plen = 32;
				gen_payload_fill(l4 + 20, plen, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
			}
		} else {
			th->tcp_flags = RTE_TCP_SYN_FLAG;
		}
		g->cls = g->o.attack_inside ? TXC_ALLOWED : TXC_BLOCKED;
		send_l4(g, side, fam, IPPROTO_TCP, &src, &dst, l4, 20 + plen, 0, 0);
		break;
	}
	case GEN_P_OOW: {
		struct gen_flow *f = live_flow(g, true);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		int from = (int)(k % 2);	/* 0: spoofing the client, 1: the server */
		const struct tcp_side *to, *as;
		uint32_t plen = 0;

		if (f == NULL)
			return false;
		to = from == 0 ? &f->s : &f->c;
		as = from == 0 ? &f->c : &f->s;
		memset(th, 0, 20);
		th->src_port = rte_cpu_to_be_16(from == 0 ? f->cport : f->sport);
		th->dst_port = rte_cpu_to_be_16(from == 0 ? f->sport : f->cport);
		th->sent_seq = rte_cpu_to_be_32(to->rcv_nxt + (1u << 30) + (uint32_t)rte_rand_max(1u << 20));
		th->recv_ack = rte_cpu_to_be_32(as->rcv_nxt);
		th->data_off = 5 << 4;
		th->rx_win = rte_cpu_to_be_16(TCP_WIN);
		if ((k / 2) % 2) {
			th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
		} else {
			th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
			plen = 64;
			gen_payload_fill(l4 + 20, plen, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
		}
		g->cls = TXC_BLOCKED;
		send_l4(g, from, f->family, IPPROTO_TCP, from == 0 ? &f->caddr : &f->saddr,
				from == 0 ? &f->saddr : &f->caddr, l4, 20 + plen, 0, 0);
		break;
	}
	case GEN_P_FRAG_FLOOD: {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uint32_t plen = 2 * 1400 + 600;

		uh->src_port = rte_cpu_to_be_16((uint16_t)(1024 + rte_rand_max(60000)));
		uh->dst_port = rte_cpu_to_be_16(SERVER_FRAG);
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + plen));
		gen_payload_fill(l4 + 8, plen, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
		g->cls = TXC_BLOCKED;
		send_l4(g, side, fam, IPPROTO_UDP, &src, &dst, l4, 8 + plen, 1500,
				(int)(k % 2) + 1);
		break;
	}
	case GEN_P_FRAG_TINY: {
		/* 63 fragments of 8 bytes, the last never sent: 62 held per datagram. */
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uint32_t plen = 63 * 8 - 8;

		uh->src_port = rte_cpu_to_be_16((uint16_t)(1024 + rte_rand_max(60000)));
		uh->dst_port = rte_cpu_to_be_16(SERVER_FRAG);
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + plen));
		gen_payload_fill(l4 + 8, plen, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
		g->cls = TXC_BLOCKED;
		send_l4(g, side, fam, IPPROTO_UDP, &src, &dst, l4, 8 + plen,
				(uint16_t)(fam == 4 ? 20 + 8 : 40 + 8 + 8), 3);
		break;
	}
	case GEN_P_ICMP_SPOOF: {
		/* Quoted datagram: an unknown flow (k even) or a live one with a wrong outer dst. */
		struct gen_flow *f = (k % 2) ? live_flow(g, false) : NULL;
		uint8_t q[48 + 8 + 32];
		struct gen_addr in_src, in_dst;
		uint32_t qhl = fam == 4 ? 20 : 40, ql;
		uint16_t csp, cdp;
		uint8_t qfam = fam;

		if (f != NULL) {
			qfam = f->family;
			qhl = qfam == 4 ? 20 : 40;
			in_src = f->caddr;
			in_dst = f->saddr;
			csp = f->cport;
			cdp = f->sport;
			dst = f->caddr;
			gen_addr_add(qfam, &dst, 77);	/* not the quoted source */
			src = f->saddr;
		} else {
			in_src = fam == 4 ? g->o.client4 : g->o.client6;
			attack_addr(fam, &in_dst, (uint32_t)rte_rand_max(65535));
			csp = (uint16_t)(GEN_PORT_BASE + rte_rand_max(GEN_PORTS));
			cdp = (uint16_t)(1 + rte_rand_max(1024));
			dst = in_src;
		}
		memset(q, 0, sizeof(q));
		if (qfam == 4) {
			q[0] = 0x45;
			q[3] = (uint8_t)(20 + 8 + 32);
			q[8] = 64;
			q[9] = IPPROTO_UDP;
			memcpy(q + 12, in_src.b, 4);
			memcpy(q + 16, in_dst.b, 4);
			{
				uint16_t c = rte_cpu_to_be_16(
						ctg_pkt_csum_fold(ctg_pkt_csum_partial(q, 20, 0)));

				memcpy(q + 10, &c, 2);
			}
		} else {
			q[0] = 0x60;
			q[5] = 8 + 32;
			q[6] = IPPROTO_UDP;
			q[7] = 64;
			memcpy(q + 8, in_src.b, 16);
			memcpy(q + 24, in_dst.b, 16);
		}
		csp = rte_cpu_to_be_16(csp);
		cdp = rte_cpu_to_be_16(cdp);
		memcpy(q + qhl, &csp, 2);
		memcpy(q + qhl + 2, &cdp, 2);
		q[qhl + 5] = 8 + 32;
		gen_payload_fill(q + qhl + 8, 32, GEN_ATTACK_FLOW, k, rte_rdtsc(), k);
		ql = qhl + 8 + 32;
		memset(l4, 0, 8);
		l4[0] = qfam == 4 ? 3 : 1;
		l4[1] = qfam == 4 ? 3 : 4;
		memcpy(l4 + 8, q, ql);
		g->cls = TXC_BLOCKED;
		send_l4(g, 1, qfam, qfam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, &src, &dst, l4, 8 + ql,
				0, 0);
		break;
	}
	default:
		return false;
	}
	g->cls = TXC_LEGIT;
	g->atk_sent++;
	return true;
}

/* ---------------------------------------------------------------- receive */

static bool
csum_ok(uint8_t family, const struct gen_addr *src, const struct gen_addr *dst, uint8_t proto,
		const uint8_t *l4, uint32_t len)
{
	uint16_t c = gen_l4_csum(family, src, dst, proto, l4, len);

	/* Summing a correct segment gives 0 (UDP: rewritten to 0xffff by gen_l4_csum). */
	return c == 0 || (proto == IPPROTO_UDP && c == 0xffff);
}

/*
 * A datagram (reassembled or whole) that arrived on @p side. @p ip is the IP packet of
 * a datagram that came whole (checksum already verified), NULL for a reassembled one.
 */
static void
dgram_input(struct gen *g, int side, uint8_t family, uint8_t proto, const struct gen_addr *src,
		const struct gen_addr *dst, const uint8_t *l4, uint32_t l4_len, const uint8_t *ip,
		uint32_t iplen, uint64_t now)
{
	const struct gen_addr *caddr = side == 1 ? src : dst;
	struct gen_flow *f;
	uint16_t sp, dp, cport;
	uint32_t n;

	if (attack_src(family, src)) {
		if (g->o.attack_inside && side == 1 &&
				(g->o.profile == GEN_P_SYN_FLOOD || g->o.profile == GEN_P_MIDSTREAM ||
						g->o.profile == GEN_P_PORTSCAN))
			g->st.attack_passed++;
		else
			g->st.attack_arrived++;
		return;
	}
	if (ip == NULL && !csum_ok(family, src, dst, proto, l4, l4_len)) {
		g->st.corrupt++;	/* a reassembled datagram's transport checksum */
		return;
	}
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (l4_len < (proto == IPPROTO_TCP ? 20u : 8u)) {
			g->st.corrupt++;
			return;
		}
		memcpy(&sp, l4, 2);
		memcpy(&dp, l4 + 2, 2);
		sp = rte_be_to_cpu_16(sp);
		dp = rte_be_to_cpu_16(dp);
		cport = side == 1 ? sp : dp;
		n = flow_n_of(g, family, caddr, cport);
		f = n == UINT32_MAX ? NULL : flow_by_n(g, n);
		if (f == NULL || f->family != family || !gen_addr_eq(family, caddr, &f->caddr) ||
				(side == 1 ? dp : sp) != f->sport) {
			if (n != UINT32_MAX && n < g->next_n)
				g->st.late++;
			else
				g->st.unexpected++;
			return;
		}
		g->st.recv_legit++;
		if (proto == IPPROTO_TCP) {
			if (f->kind != FK_TCP) {
				g->st.unexpected++;
				return;
			}
			tcp_input(g, f, side, l4, l4_len, now);
			return;
		}
		{
			uint16_t ulen;
			struct gen_stamp stp;
			uint32_t plen;

			memcpy(&ulen, l4 + 4, 2);
			ulen = rte_be_to_cpu_16(ulen);
			if (ulen != l4_len) {
				g->st.corrupt++;
				return;
			}
			plen = l4_len - 8;
			if (plen >= GEN_STAMP_LEN) {
				memcpy(&stp, l4 + 8, sizeof(stp));
				if (stp.flow == GEN_ATTACK_FLOW) {
					g->st.attack_arrived++;
					return;
				}
			} else {
				/* No stamp: the message the receiver expects next. */
				stp.seq = stream_flow(g, f) && side == 1 ? f->srv_msg : f->msg;
			}
			msg_input(g, f, side, stp.seq, l4 + 8, plen, ip, iplen, now);
		}
		return;
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		uint8_t type = l4_len >= 8 ? l4[0] : 255;
		bool echo = family == 4 ? (type == 8 || type == 0) : (type == 128 || type == 129);
		bool err = family == 4 ? (type == 3 || type == 11 || type == 12)
				       : (type >= 1 && type <= 4);

		if (echo) {
			uint16_t id, sq;

			memcpy(&id, l4 + 4, 2);
			memcpy(&sq, l4 + 6, 2);
			id = rte_be_to_cpu_16(id);
			sq = rte_be_to_cpu_16(sq);
			n = flow_n_of(g, family, caddr, id);
			f = n == UINT32_MAX ? NULL : flow_by_n(g, n);
			if (f == NULL || f->kind != FK_ICMP || !gen_addr_eq(family, caddr, &f->caddr)) {
				if (n != UINT32_MAX && n < g->next_n)
					g->st.late++;
				else
					g->st.unexpected++;
				return;
			}
			g->st.recv_legit++;
			msg_input(g, f, side, sq, l4 + 8, l4_len - 8, ip, iplen, now);
			return;
		}
		if (err && side == 0) {
			/* The quoted datagram: our own UDP request of a live flow. */
			struct ctg_pkt in;
			const uint8_t *qu;
			uint16_t qsp, qdp;
			struct gen_addr qsrc = { 0 };

			if (!ctg_pkt_parse_inner(l4 + 8, l4_len - 8, family, &in) ||
					in.proto != IPPROTO_UDP || in.l4_off + 8u > l4_len - 8) {
				g->st.unexpected++;
				return;
			}
			qu = l4 + 8 + in.l4_off;
			memcpy(qsrc.b, l4 + 8 + (family == 4 ? 12 : 8), family == 4 ? 4 : 16);
			memcpy(&qsp, qu, 2);
			memcpy(&qdp, qu + 2, 2);
			qsp = rte_be_to_cpu_16(qsp);
			qdp = rte_be_to_cpu_16(qdp);
			if (l4_len - 8 - in.l4_off >= 8 + GEN_STAMP_LEN) {
				struct gen_stamp stp;

				memcpy(&stp, qu + 8, sizeof(stp));
				if (stp.flow == GEN_ATTACK_FLOW) {
					g->st.attack_arrived++;
					return;
				}
			}
			n = flow_n_of(g, family, &qsrc, qsp);
			f = n == UINT32_MAX ? NULL : flow_by_n(g, n);
			if (f == NULL || f->kind != FK_ICMP_ERROR || qdp != f->sport ||
					!gen_addr_eq(family, &qsrc, &f->caddr) ||
					!gen_addr_eq(family, dst, &f->caddr)) {
				if (n != UINT32_MAX && n < g->next_n && f == NULL)
					g->st.late++;
				else
					g->st.unexpected++;
				return;
			}
			g->st.recv_legit++;
			if (f->msg + 1 == g->o.requests) {
				f->msg++;
				f->client_done = true;
				flow_check_done(g, f);
			}
			return;
		}
	}
	g->st.unexpected++;
}

static void
frame_input(struct gen *g, int side, struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	struct ctg_pkt pkt;
	struct gen_addr src = { 0 }, dst = { 0 };
	const uint8_t *l4;
	uint32_t l4_len;
	uint8_t alen;

	g->st.received++;
	g->st.last_rx_tsc = now;
	g->cls = TXC_LEGIT;	/* whatever the handlers send in answer is legitimate */
	if (m->nb_segs > 1 || ctg_pkt_parse(d, rte_pktmbuf_data_len(m), CTG_PKT_LINK_ETHER,
					      &pkt) != CTG_PKT_OK) {
		g->st.unexpected++;
		return;
	}
	alen = pkt.family == 4 ? 4 : 16;
	memcpy(src.b, pkt.l3 + (pkt.family == 4 ? 12 : 8), alen);
	memcpy(dst.b, pkt.l3 + (pkt.family == 4 ? 16 : 24), alen);
	if (pkt.frag) {
		struct gen_frag fr = {
			.family = pkt.family,
			.proto = pkt.proto,
			.mf = pkt.frag_mf,
			.src = src,
			.dst = dst,
			.id = pkt.frag_id,
			.off = pkt.frag_off,
		};
		struct gen_dgram dg;
		uint32_t hoff = pkt.family == 4 ? (pkt.l3[0] & 0xf) * 4u : pkt.frag_hdr_off + 8u;
		int rc;

		if (attack_src(pkt.family, &src)) {
			g->st.attack_arrived++;
			return;
		}
		if (pkt.family == 6)
			fr.proto = pkt.l3[pkt.frag_hdr_off];
		fr.data = pkt.l3 + hoff;
		fr.len = pkt.len > hoff ? pkt.len - hoff : 0;
		rc = gen_reasm_add(g->reasm[side], &fr, now, &dg);
		if (rc < 0) {
			g->st.corrupt++;
			return;
		}
		g->st.recv_legit++;
		if (rc == 0)
			return;
		g->st.recv_legit--;	/* the datagram's own accounting counts it once more */
		g->st.reasm_done++;
		dgram_input(g, side, dg.family, dg.proto, &dg.src, &dg.dst, dg.l4, dg.l4_len,
				NULL, 0, now);
		return;
	}
	l4 = pkt.l3 + pkt.l4_off;
	l4_len = ctg_pkt_l4_len(&pkt);
	if (!ctg_pkt_l4_csum_ok(&pkt, l4_len, l4_len)) {
		if (attack_src(pkt.family, &src))
			g->st.attack_arrived++;
		else
			g->st.corrupt++;
		return;
	}
	dgram_input(g, side, pkt.family, pkt.proto, &src, &dst, l4, l4_len, pkt.l3, pkt.len,
			now);
}

/* ---------------------------------------------------------------- set-up */

static int
port_init(struct gen *g, int side)
{
	uint16_t pid = g->o.port[side];
	struct rte_eth_conf pc;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int rc;

	memset(&pc, 0, sizeof(pc));
	if (!rte_eth_dev_is_valid_port(pid)) {
		fprintf(stderr, "ctgate-gen: no port %u (give two ports: --vdev ... or -a ...)\n",
				pid);
		return -ENODEV;
	}
	rc = rte_eth_dev_configure(pid, g->o.nb_queues, g->o.nb_queues, &pc);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; rc == 0 && q < g->o.nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, (unsigned int)rte_eth_dev_socket_id(pid),
				NULL, g->mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, nb_txd,
					(unsigned int)rte_eth_dev_socket_id(pid), NULL);
		g->txq[side][q].port_id = pid;
		g->txq[side][q].queue = q;
	}
	if (rc == 0) {
		rc = rte_eth_promiscuous_enable(pid);
		if (rc == -ENOTSUP)
			rc = 0;
	}
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		fprintf(stderr, "ctgate-gen: cannot set up port %u: %s\n", pid, rte_strerror(-rc));
		return rc;
	}
	g->tx[side] = &g->txq[side][0];
	return 0;
}

static int
wait_links(struct gen *g)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * g->o.wait_link_s;

	for (;;) {
		struct rte_eth_link l0, l1;

		rte_eth_link_get_nowait(g->o.port[0], &l0);
		rte_eth_link_get_nowait(g->o.port[1], &l1);
		if (l0.link_status && l1.link_status)
			return 0;
		if (rte_get_timer_cycles() > end || atomic_load(&stop_signal)) {
			fprintf(stderr, "ctgate-gen: links not up after %u s (port A %s, B %s)\n",
					g->o.wait_link_s, l0.link_status ? "up" : "down",
					l1.link_status ? "up" : "down");
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ctgate-gen [EAL options] -- --profile NAME [options]\n"
		"  port A (first) = clients (inside), port B (second) = servers (outside)\n"
		"  --profile P        tcp udp icmp icmp-error frag | syn-flood midstream oow\n"
		"                     frag-flood frag-tiny icmp-spoof portscan\n"
		"  --family 4|6|both  address family (both: alternate per flow)   [4]\n"
		"  --flows N          flows to run in all                        [100]\n"
		"  --concurrency N    flows open at once                         [16]\n"
		"  --cps R            flow starts per second (0: no limit)       [0]\n"
		"  --duration S       stop starting flows after S seconds (0: off) [0]\n"
		"  --requests K       exchanges (stream: datagrams) per flow     [4]\n"
		"  --size N|imix      frame size incl. FCS, 64..9600              [128]\n"
		"  --resp-size N|imix server answers' frame size                [= --size]\n"
		"  --udp-mode rr|stream  request/response or one-way             [rr]\n"
		"  --close fin|rst|mix   TCP close                               [fin]\n"
		"  --pps R            client-initiated packets per second (0: no limit) [0]\n"
		"  --mtu N            IP MTU (TCP MSS, fragment size)             [1500]\n"
		"  --frag-bytes N     frag profile: UDP payload per datagram      [4000]\n"
		"  --rto-ms N  --retries N  --flow-timeout-ms N                   [20 8 10000]\n"
		"  --legit tcp|udp|mix|none  legit flows of attack profiles       [mix]\n"
		"  --attack-pps R  --attack-count N                               [20000 5000]\n"
		"  --attack-from outside|inside                                   [outside]\n"
		"  --client-ip A --server-ip A --client-ip6 A --server-ip6 A\n"
		"                     [10.1.0.1 10.2.0.1 fd00:1::1 fd00:2::1]\n"
		"  --ports A,B        DPDK port ids                               [0,1]\n"
		"  --queues N         rx/tx queues a port (memif: the peer's count) [1]\n"
		"  --linger S         after the report, keep the links up until SIGTERM or S seconds\n"
		"                     (lets the peer stop first: a memif peer that sees its link\n"
		"                     torn down while polling can crash in DPDK 22.11's PMD)\n"
		"  --pcap FILE        write every generated frame\n"
		"  --loss-ok          incomplete flows are reported, not errors\n"
		"  --settle-ms N      keep receiving after the end               [300]\n"
		"  --wait-link S      wait for both links                        [15]\n");
}

static int
parse_size(const char *s, int *out)
{
	char *end;
	long v;

	if (strcmp(s, "imix") == 0) {
		*out = -1;
		return 0;
	}
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 64 || v > 9600)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int
parse_args(struct gen_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "family", required_argument, NULL, 'f' },
		{ "flows", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "cps", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "resp-size", required_argument, NULL, 'S' },
		{ "udp-mode", required_argument, NULL, 'u' },
		{ "close", required_argument, NULL, 'x' },
		{ "pps", required_argument, NULL, 'P' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "frag-bytes", required_argument, NULL, 'F' },
		{ "rto-ms", required_argument, NULL, 'r' },
		{ "retries", required_argument, NULL, 'R' },
		{ "flow-timeout-ms", required_argument, NULL, 'T' },
		{ "legit", required_argument, NULL, 'l' },
		{ "attack-pps", required_argument, NULL, 'a' },
		{ "attack-count", required_argument, NULL, 'A' },
		{ "attack-from", required_argument, NULL, 'w' },
		{ "client-ip", required_argument, NULL, '1' },
		{ "server-ip", required_argument, NULL, '2' },
		{ "client-ip6", required_argument, NULL, '3' },
		{ "server-ip6", required_argument, NULL, '4' },
		{ "ports", required_argument, NULL, 'o' },
		{ "queues", required_argument, NULL, 'q' },
		{ "linger", required_argument, NULL, 'G' },
		{ "pcap", required_argument, NULL, 'W' },
		{ "loss-ok", no_argument, NULL, 'L' },
		{ "settle-ms", required_argument, NULL, 'e' },
		{ "wait-link", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, i;
	uint8_t fam;
	bool have_profile = false;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			for (i = 0; i < GEN_P_COUNT; i++)
				if (strcmp(optarg, profile_names[i]) == 0)
					break;
			if (i == GEN_P_COUNT)
				goto bad;
			o->profile = (enum gen_profile)i;
			have_profile = true;
			break;
		case 'f':
			if (strcmp(optarg, "4") == 0)
				o->family = 4;
			else if (strcmp(optarg, "6") == 0)
				o->family = 6;
			else if (strcmp(optarg, "both") == 0)
				o->family = 46;
			else
				goto bad;
			break;
		case 'n':
			o->flows = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			o->concurrency = (uint32_t)strtoul(optarg, NULL, 0);
			if (o->concurrency == 0)
				goto bad;
			break;
		case 'C':
			o->cps = strtod(optarg, NULL);
			break;
		case 'd':
			o->duration_s = strtod(optarg, NULL);
			break;
		case 'k':
			o->requests = (uint32_t)strtoul(optarg, NULL, 0);
			if (o->requests == 0)
				goto bad;
			break;
		case 's':
			if (parse_size(optarg, &o->size) != 0)
				goto bad;
			break;
		case 'S':
			if (parse_size(optarg, &o->resp_size) != 0)
				goto bad;
			break;
		case 'u':
			if (strcmp(optarg, "rr") == 0)
				o->udp_stream = false;
			else if (strcmp(optarg, "stream") == 0)
				o->udp_stream = true;
			else
				goto bad;
			break;
		case 'x':
			if (strcmp(optarg, "fin") == 0)
				o->close_mode = 0;
			else if (strcmp(optarg, "rst") == 0)
				o->close_mode = 1;
			else if (strcmp(optarg, "mix") == 0)
				o->close_mode = 2;
			else
				goto bad;
			break;
		case 'P':
			o->pps = strtod(optarg, NULL);
			break;
		case 'm':
			o->mtu = (uint16_t)strtoul(optarg, NULL, 0);
			if (o->mtu < 576 || o->mtu > 9600)
				goto bad;
			break;
		case 'F':
			o->frag_bytes = (uint32_t)strtoul(optarg, NULL, 0);
			if (o->frag_bytes < 16 || o->frag_bytes > 65000)
				goto bad;
			break;
		case 'r':
			o->rto_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'R':
			o->retries = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'T':
			o->flow_timeout_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			if (strcmp(optarg, "tcp") == 0)
				o->legit = LEGIT_TCP;
			else if (strcmp(optarg, "udp") == 0)
				o->legit = LEGIT_UDP;
			else if (strcmp(optarg, "mix") == 0)
				o->legit = LEGIT_MIX;
			else if (strcmp(optarg, "none") == 0)
				o->legit = LEGIT_NONE;
			else
				goto bad;
			break;
		case 'a':
			o->attack_pps = strtod(optarg, NULL);
			break;
		case 'A':
			o->attack_count = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			if (strcmp(optarg, "outside") == 0)
				o->attack_inside = false;
			else if (strcmp(optarg, "inside") == 0)
				o->attack_inside = true;
			else
				goto bad;
			break;
		case '1':
		case '2':
		case '3':
		case '4': {
			struct gen_addr *a = opt == '1' ? &o->client4 :
					     opt == '2' ? &o->server4 :
					     opt == '3' ? &o->client6 : &o->server6;

			if (gen_addr_parse(optarg, &fam, a) != 0 || fam != (opt <= '2' ? 4 : 6))
				goto bad;
			break;
		}
		case 'o':
			if (sscanf(optarg, "%hu,%hu", &o->port[0], &o->port[1]) != 2)
				goto bad;
			break;
		case 'q':
			o->nb_queues = (uint16_t)strtoul(optarg, NULL, 0);
			if (o->nb_queues < 1 || o->nb_queues > MAX_QUEUES)
				goto bad;
			break;
		case 'W':
			o->pcap = optarg;
			break;
		case 'G':
			o->linger_s = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'L':
			o->loss_ok = true;
			break;
		case 'e':
			o->settle_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			o->wait_link_s = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!have_profile) {
		fprintf(stderr, "ctgate-gen: --profile is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (is_attack_profile(o->profile) && o->legit == LEGIT_PROFILE)
		o->legit = LEGIT_MIX;
	if (o->profile == GEN_P_OOW && (o->legit == LEGIT_UDP || o->legit == LEGIT_NONE)) {
		fprintf(stderr, "ctgate-gen: oow injects into live TCP connections: "
				"--legit tcp or mix\n");
		return -EINVAL;
	}
	if (o->legit == LEGIT_NONE)
		o->flows = 0;
	return 0;
bad:
	fprintf(stderr, "ctgate-gen: bad value '%s' for --%s\n", optarg,
			opts[0].name != NULL ? argv[optind - 1] + 2 : "?");
	return -EINVAL;
}

static void
opts_defaults(struct gen_opts *o)
{
	uint8_t fam;

	memset(o, 0, sizeof(*o));
	o->legit = LEGIT_PROFILE;
	o->family = 4;
	o->flows = 100;
	o->concurrency = 16;
	o->requests = 4;
	o->size = 128;
	o->resp_size = -2;
	o->mtu = 1500;
	o->frag_bytes = 4000;
	o->rto_ms = 20;
	o->retries = 8;
	o->flow_timeout_ms = 10000;
	o->attack_pps = 20000;
	o->attack_count = 5000;
	o->settle_ms = 300;
	o->wait_link_s = 15;
	o->port[0] = 0;
	o->port[1] = 1;
	o->nb_queues = 1;
	gen_addr_parse("10.1.0.1", &fam, &o->client4);
	gen_addr_parse("10.2.0.1", &fam, &o->server4);
	gen_addr_parse("fd00:1::1", &fam, &o->client6);
	gen_addr_parse("fd00:2::1", &fam, &o->server6);
}

/* ---------------------------------------------------------------- main loop */

static void
tokens(struct gen *g, uint64_t now)
{
	double dt = (double)(now - g->last_tok_tsc) / (double)g->hz;

	g->last_tok_tsc = now;
	g->cps_tokens = g->o.cps > 0 ? RTE_MIN(g->cps_tokens + dt * g->o.cps, 64.0) : 1e9;
	g->pps_tokens = g->o.pps > 0 ? RTE_MIN(g->pps_tokens + dt * g->o.pps, 256.0) : 1e9;
	g->atk_tokens = g->o.attack_pps > 0 ? RTE_MIN(g->atk_tokens + dt * g->o.attack_pps, 64.0)
					    : 1e9;
}

static bool
starting(const struct gen *g, uint64_t now)
{
	if (g->end_start_tsc != 0 && now >= g->end_start_tsc)
		return false;
	return g->o.flows == 0 ? g->end_start_tsc != 0 : g->next_n < g->o.flows;
}

static void
run(struct gen *g)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t now = rte_rdtsc(), settle_end = 0;
	bool attacks = is_attack_profile(g->o.profile);

	g->start_tsc = now;
	g->last_tok_tsc = now;
	if (g->o.duration_s > 0)
		g->end_start_tsc = now + (uint64_t)(g->o.duration_s * (double)g->hz);
	for (;;) {
		now = rte_rdtsc();
		for (int side = 0; side < 2; side++) {
			for (uint16_t q = 0; q < g->o.nb_queues; q++) {
				uint16_t n = rte_eth_rx_burst(g->o.port[side], q, pkts, BURST);

				for (uint16_t i = 0; i < n; i++) {
					frame_input(g, side, pkts[i], now);
					rte_pktmbuf_free(pkts[i]);
				}
			}
		}
		tokens(g, now);
		if (settle_end == 0 && atomic_load_explicit(&stop_signal, memory_order_relaxed)) {
			settle_end = now;	/* interrupted: report at once */
		}
		if (settle_end == 0) {
			while (starting(g, now) && g->active < g->o.concurrency &&
					g->cps_tokens >= 1 && g->pps_tokens >= 1 &&
					tx_pending(g, 0) < TXBUF / 2) {
				if (!flow_start(g, now))
					break;
				g->cps_tokens -= 1;
				g->pps_tokens -= 1;
			}
			if (g->o.udp_stream)
				streams_send(g, now);
			timers(g, now);
			if (attacks && g->atk_sent < g->o.attack_count) {
				while (g->atk_tokens >= 1 && g->atk_sent < g->o.attack_count &&
						tx_pending(g, 0) < TXBUF / 2 && tx_pending(g, 1) < TXBUF / 2) {
					g->atk_tokens -= 1;
					if (!attack_one(g))
						break;
				}
			}
			/* No live connection to inject into any more: stop the attack. */
			if (attacks && g->o.profile == GEN_P_OOW && g->active == 0 && !starting(g, now))
				g->o.attack_count = g->atk_sent;
			if (!starting(g, now) && g->active == 0 &&
					(!attacks || g->atk_sent >= g->o.attack_count))
				settle_end = now + ms_to_tsc(g, g->o.settle_ms);
		}
		tx_flush(g, 0);
		tx_flush(g, 1);
		if (settle_end != 0 && now >= settle_end && tx_pending(g, 0) == 0 &&
				tx_pending(g, 1) == 0)
			break;
		if (settle_end != 0 && now >= settle_end + g->hz)
			break;
	}
	/* Flows still open (interrupted run) count as failed. */
	for (uint32_t i = 0; i < g->nb_slots; i++)
		flow_end(g, &g->slots[i], false);
}

static int
report(struct gen *g)
{
	struct gen_stats *s = &g->st;
	uint64_t sent = s->sent[TXC_LEGIT] + s->sent[TXC_BLOCKED] + s->sent[TXC_ALLOWED];
	uint64_t blocked_ok = s->sent[TXC_BLOCKED] > s->attack_arrived ?
			s->sent[TXC_BLOCKED] - s->attack_arrived : 0;
	uint64_t lost = s->sent[TXC_LEGIT] > s->recv_legit + s->late ?
			s->sent[TXC_LEGIT] - s->recv_legit - s->late : 0;
	uint64_t errors = s->corrupt + s->unexpected + s->attack_arrived + s->oow_arrived +
			(g->o.loss_ok ? 0 : s->flows_failed);
	uint64_t last = RTE_MAX(s->last_rx_tsc, s->last_tx_tsc);
	double dur = last > s->first_tx_tsc ? (double)(last - s->first_tx_tsc) / (double)g->hz : 0;
	double mpps = dur > 0 ? (double)s->received / dur / 1e6 : 0;
	double tx_mpps = dur > 0 ? (double)sent / dur / 1e6 : 0;
	const char *fam = g->o.family == 46 ? "both" : g->o.family == 4 ? "4" : "6";

	printf("ctgate-gen: flows started %" PRIu64 ", completed %" PRIu64 ", failed %" PRIu64
	       "; frames sent %" PRIu64 " (legit %" PRIu64 ", blocked %" PRIu64
	       ", allowed attack %" PRIu64 "), received %" PRIu64 "\n",
			s->flows_started, s->flows_done, s->flows_failed, sent, s->sent[TXC_LEGIT],
			s->sent[TXC_BLOCKED], s->sent[TXC_ALLOWED], s->received);
	printf("ctgate-gen: corrupt %" PRIu64 ", unexpected %" PRIu64 ", blocked arrived %" PRIu64
	       ", out-of-window arrived %" PRIu64 ", late %" PRIu64 ", retransmissions %" PRIu64
	       ", own tx drops %" PRIu64 ", reassembled %" PRIu64 ", held fragments %u+%u\n",
			s->corrupt, s->unexpected, s->attack_arrived, s->oow_arrived, s->late,
			s->retrans, s->tx_full, s->reasm_done, gen_reasm_pending(g->reasm[0]),
			gen_reasm_pending(g->reasm[1]));
	printf("gen: profile=%s family=%s sent=%" PRIu64 " received=%" PRIu64
	       " expected_received=%" PRIu64 " blocked_ok=%" PRIu64 " errors=%" PRIu64
	       " mpps=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f flows=%" PRIu64
	       " completed=%" PRIu64 " failed=%" PRIu64 " corrupt=%" PRIu64 " unexpected=%" PRIu64
	       " blocked_sent=%" PRIu64 " blocked_arrived=%" PRIu64 " attack_allowed_sent=%" PRIu64
	       " attack_passed=%" PRIu64 " lost=%" PRIu64 " retrans=%" PRIu64 " tx_mpps=%.3f"
	       " duration_s=%.3f\n",
			profile_names[g->o.profile], fam, sent, s->received, s->sent[TXC_LEGIT],
			blocked_ok, errors, mpps, lat_pct(g, 0.50), lat_pct(g, 0.99),
			lat_pct(g, 0.999), (double)s->lat_max_ns / 1000.0, s->flows_started,
			s->flows_done, s->flows_failed, s->corrupt, s->unexpected,
			s->sent[TXC_BLOCKED], s->attack_arrived + s->oow_arrived,
			s->sent[TXC_ALLOWED], s->attack_passed, lost, s->retrans, tx_mpps, dur);
	fflush(stdout);
	return errors == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct gen *g = &gen_storage;
	uint32_t nb_mbufs, room;
	int rc, ret = 2;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ctgate-gen: cannot init EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= rc;
	argv += rc;
	argv[0] = (char *)(uintptr_t)"ctgate-gen";
	opts_defaults(&g->o);
	if (parse_args(&g->o, argc, argv) != 0)
		goto out_eal;
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "ctgate-gen: two ports are needed, %u found\n",
				rte_eth_dev_count_avail());
		goto out_eal;
	}
	g->hz = rte_get_tsc_hz();
	g->rto_tsc = ms_to_tsc(g, g->o.rto_ms);
	g->flow_timeout_tsc = ms_to_tsc(g, g->o.flow_timeout_ms);
	g->nb_slots = 2;
	while (g->nb_slots < 2 * g->o.concurrency)
		g->nb_slots *= 2;
	g->slots = calloc(g->nb_slots, sizeof(g->slots[0]));
	g->reasm[0] = gen_reasm_create(RTE_MAX(64u, 4 * g->o.concurrency));
	g->reasm[1] = gen_reasm_create(RTE_MAX(64u, 4 * g->o.concurrency));
	if (g->slots == NULL || g->reasm[0] == NULL || g->reasm[1] == NULL) {
		fprintf(stderr, "ctgate-gen: out of memory\n");
		goto out_mem;
	}
	room = RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE,
			(uint32_t)RTE_MAX(g->o.size, g->o.resp_size) + RTE_PKTMBUF_HEADROOM + 64);
	nb_mbufs = room > RTE_MBUF_DEFAULT_BUF_SIZE ? 8191 : 32767;
	g->mp = rte_pktmbuf_pool_create("gen_mbuf", nb_mbufs, 256, 0, (uint16_t)room,
			rte_socket_id());
	if (g->mp == NULL) {
		fprintf(stderr, "ctgate-gen: cannot create %u mbufs: %s\n", nb_mbufs,
				rte_strerror(rte_errno));
		goto out_mem;
	}
	if (g->o.pcap != NULL) {
		g->pcap = gen_pcap_open(g->o.pcap);
		if (g->pcap == NULL) {
			fprintf(stderr, "ctgate-gen: cannot write %s: %s\n", g->o.pcap,
					strerror(errno));
			goto out_pool;
		}
	}
	if (port_init(g, 0) != 0 || port_init(g, 1) != 0)
		goto out_ports;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (wait_links(g) != 0)
		goto out_ports;
	printf("ctgate-gen: profile %s, ports %u (clients) and %u (servers) up\n",
			profile_names[g->o.profile], g->o.port[0], g->o.port[1]);
	fflush(stdout);
	run(g);
	ret = report(g);
	fflush(stdout);
	atomic_store(&stop_signal, 0);
	for (uint64_t t = 0; t < (uint64_t)g->o.linger_s * 10 && !atomic_load(&stop_signal); t++)
		rte_delay_us_sleep(100000);
out_ports:
	for (int side = 0; side < 2; side++) {
		for (uint16_t q = 0; q < MAX_QUEUES; q++) {
			struct port_tx *t = &g->txq[side][q];

			rte_pktmbuf_free_bulk(t->pkts, t->count);
			t->count = 0;
		}
		if (rte_eth_dev_is_valid_port(g->o.port[side])) {
			rte_eth_dev_stop(g->o.port[side]);
			rte_eth_dev_close(g->o.port[side]);
		}
	}
	gen_pcap_close(g->pcap);
out_pool:
	rte_mempool_free(g->mp);
out_mem:
	free(g->slots);
	gen_reasm_destroy(g->reasm[0]);
	gen_reasm_destroy(g->reasm[1]);
out_eal:
	rte_eal_cleanup();
	return ret;
}
