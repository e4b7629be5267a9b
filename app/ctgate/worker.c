/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The worker loop, run to completion on one lcore:
 *	  1. apply a newly published rule set, if any (between bursts, see below);
 *	  2. for every port: rx burst on this worker's queue, then each frame through
 *	     ctg_pipeline_process(): FORWARD and BYPASS frames go to the peer port's tx
 *	     buffer, DROP frees, HELD keeps the mbuf (reassembly holds its cookie), a
 *	     completed datagram releases all its original fragments with one verdict,
 *	     HANDOFF sends the datagram to its owner's ring;
 *	  3. drain this worker's handoff ring: each message is classified with
 *	     ctg_pipeline_process_datagram() and its original frames forwarded or freed;
 *	  4. flush the tx buffers (this worker's own tx queue on each port);
 *	  5. every EXPIRE_EVERY iterations, ctg_pipeline_expire() with a small budget
 *	     (connections and reassembly queues; expired fragments' mbufs are freed).
 *	Time is the TSC converted to nanoseconds (ctgate_now_ns()), read once a loop.
 *
 * Life-cycle
 *	Launched by the control core after the ports started and the first rule set was
 *	published; leaves the loop when app->stop is set, flushes its tx buffers and
 *	returns. Handoff messages still on rings and fragments still held are freed by the
 *	control core once every worker returned (ctgate_handoff_drain_stopped(),
 *	ctgate_free_held_fragments()).
 *
 * Ownership & synchronization
 *	A worker owns its pipeline (conntrack shard, reassembly table), its tx buffers and
 *	its counters; no other core writes them. The only shared objects are:
 *	- the handoff rings: one per destination worker, multi-producer/single-consumer
 *	  (lock-free rte_ring). A message carries mbufs, whose ownership moves with it;
 *	  a full ring is a counted drop (ring_drop), never a silent loss;
 *	- the rule set: the control core stores rules_next (release) then bumps
 *	  app->rules_gen (release); a worker that sees a new generation (acquire) between
 *	  bursts switches to rules_next and stores the generation in rules_gen_seen. The
 *	  worker keeps no rule pointer across that point, so once every running worker
 *	  reported the generation the old set is unreachable and the control core frees it
 *	  (the quiescent-state scheme of rte_rcu_qsbr, with one report per publication);
 *	- counters: 64-bit, written by the worker, read by the control core as snapshots.
 */

#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_lcore.h>

#include "ctgate.h"

#define EXPIRE_EVERY  256
#define EXPIRE_BUDGET 64

uint64_t
ctgate_now_ns(const struct ctgate_app *app)
{
	uint64_t d = rte_rdtsc() - app->tsc0;

	/* Start at 1 s: 0 is "never" for some engine timestamps. */
	return CTG_NS_PER_S + d / app->tsc_hz * CTG_NS_PER_S +
			(d % app->tsc_hz) * CTG_NS_PER_S / app->tsc_hz;
}

static inline struct rte_mbuf *
cookie_mbuf(uint64_t cookie)
{
	return (struct rte_mbuf *)(uintptr_t)cookie;
}

static void
tx_flush(struct ctgate_worker *w, uint16_t port)
{
	struct ctgate_txbuf *b = &w->txb[port];
	uint16_t n;

	if (b->count == 0)
		return;
	n = rte_eth_tx_burst(w->app->conf.ports[port].port_id, w->id, b->pkts, b->count);
	w->st.tx += n;
	if (n < b->count) {
		w->st.tx_drop += b->count - n;
		rte_pktmbuf_free_bulk(&b->pkts[n], b->count - n);
	}
	b->count = 0;
}

static inline void
tx_enqueue(struct ctgate_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct ctgate_txbuf *b = &w->txb[port];

	if (b->count == CTGATE_TXBUF)
		tx_flush(w, port);
	b->pkts[b->count++] = m;
}

/* Frees an expired or discarded fragment (ctg_frag_release_fn). */
static void
release_fragment(uint64_t cookie, enum ctg_frag_reason reason, void *arg)
{
	struct ctgate_worker *w = arg;

	(void)reason;
	rte_pktmbuf_free(cookie_mbuf(cookie));
	w->st.frag_freed++;
}

/*
 * Send a REJECT answer (IP packet @p ip) back out of @p port, with the MAC addresses of
 * the frame @p orig swapped. The answer is untagged (VLAN frames are not re-tagged).
 */
static void
send_reject(struct ctgate_worker *w, uint16_t port, const struct rte_mbuf *orig,
		const uint8_t *ip, uint32_t len)
{
	const struct rte_ether_hdr *oe = rte_pktmbuf_mtod(orig, const struct rte_ether_hdr *);
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->mbuf_pool);
	struct rte_ether_hdr *e;

	if (m == NULL || orig->data_len < sizeof(*oe)) {
		rte_pktmbuf_free(m);
		w->st.reject_drop++;
		return;
	}
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*e) + len));
	if (e == NULL || len > UINT16_MAX) {
		rte_pktmbuf_free(m);
		w->st.reject_drop++;
		return;
	}
	rte_ether_addr_copy(&oe->src_addr, &e->dst_addr);
	rte_ether_addr_copy(&oe->dst_addr, &e->src_addr);
	e->ether_type = rte_cpu_to_be_16((ip[0] >> 4) == 6 ? RTE_ETHER_TYPE_IPV6 :
							    RTE_ETHER_TYPE_IPV4);
	memcpy(e + 1, ip, len);
	tx_enqueue(w, port, m);
	w->st.reject_sent++;
}

/* Hand the datagram of @p out (carried by @p frames) to its owner. */
static void
handoff(struct ctgate_worker *w, const struct ctg_pipeline_out *out, uint16_t in_port,
		struct rte_mbuf **frames, uint16_t nb)
{
	struct ctgate_app *app = w->app;
	struct ctgate_handoff *msg = NULL;
	void *big = NULL;

	if (rte_mempool_get(app->msg_pool, (void **)&msg) != 0)
		goto nomem;
	msg->bigbuf = NULL;
	if (out->nb_frag_cookies > 0) {
		/* A reassembled datagram lives in the reassembly table: copy it. */
		if (out->dgram_len > CTGATE_BIGBUF_SIZE ||
				rte_mempool_get(app->bigbuf_pool, &big) != 0)
			goto nomem;
		memcpy(big, out->dgram, out->dgram_len);
		msg->bigbuf = big;
		msg->data = big;
	} else {
		/* A plain datagram is inside its frame, which travels with the message. */
		msg->data = out->dgram;
	}
	msg->len = out->dgram_len;
	msg->in_port = in_port;
	msg->nb_mbufs = nb;
	memcpy(msg->mbufs, frames, nb * sizeof(frames[0]));
	if (rte_ring_mp_enqueue(app->workers[out->owner].ring, msg) != 0) {
		w->st.ring_drop += nb;
		goto drop;
	}
	w->st.handoff_out++;
	return;
nomem:
	w->st.handoff_nomem += nb;
drop:
	if (big != NULL)
		rte_mempool_put(app->bigbuf_pool, big);
	if (msg != NULL)
		rte_mempool_put(app->msg_pool, msg);
	rte_pktmbuf_free_bulk(frames, nb);
}

static void
handle_frame(struct ctgate_worker *w, uint16_t port, struct rte_mbuf *m, uint64_t now)
{
	const struct ctgate_port *p = &w->app->conf.ports[port];
	struct ctg_pipeline_pkt in = {
		.data = rte_pktmbuf_mtod(m, const uint8_t *),
		.len = rte_pktmbuf_data_len(m),
		.link = CTG_PKT_LINK_ETHER,
		.in_port = port,
		.out_port = p->peer,
		.cookie = (uint64_t)(uintptr_t)m,
	};
	struct ctg_pipeline_out out;
	struct rte_mbuf *frames[CTG_FRAG_MAX_FRAGS];
	uint16_t nb = 0;

	w->st.rx++;
	if (m->nb_segs > 1) {
		/* No scattered rx is configured; a chain would be a PMD surprise. */
		w->st.drop++;
		rte_pktmbuf_free(m);
		return;
	}
	ctg_pipeline_process(w->pl, &in, now, &out);
	for (uint16_t i = 0; i < out.nb_discarded; i++)
		release_fragment(out.discarded[i], CTG_FRAG_R_NONE, w);
	/* The frames that share the verdict: a completed datagram's fragments, or m. */
	if (out.nb_frag_cookies > 0) {
		for (uint16_t i = 0; i < out.nb_frag_cookies; i++)
			frames[nb++] = cookie_mbuf(out.frag_cookies[i]);
	} else {
		frames[nb++] = m;
	}
	switch ((enum ctg_pipeline_verdict)out.verdict) {
	case CTG_PL_FORWARD:
		for (uint16_t i = 0; i < nb; i++)
			tx_enqueue(w, p->peer, frames[i]);
		w->st.forward += nb;
		break;
	case CTG_PL_BYPASS:
		tx_enqueue(w, p->peer, m);
		w->st.bypass++;
		break;
	case CTG_PL_HELD:
		w->st.held++;
		break;
	case CTG_PL_HANDOFF:
		handoff(w, &out, port, frames, nb);
		break;
	case CTG_PL_DROP:
	case CTG_PL_VERDICT_COUNT:
		if (out.reject_len > 0)
			send_reject(w, port, frames[0], out.reject, out.reject_len);
		w->st.drop += nb;
		rte_pktmbuf_free_bulk(frames, nb);
		break;
	}
}

static void
handle_handoff(struct ctgate_worker *w, struct ctgate_handoff *msg, uint64_t now)
{
	struct ctgate_app *app = w->app;
	uint16_t peer = app->conf.ports[msg->in_port].peer;
	struct ctg_pipeline_pkt in = {
		.data = msg->data,
		.len = msg->len,
		.link = CTG_PKT_LINK_ETHER,
		.in_port = msg->in_port,
		.out_port = peer,
		.cookie = (uint64_t)(uintptr_t)msg->mbufs[0],
	};
	struct ctg_pipeline_out out;

	w->st.handoff_in++;
	ctg_pipeline_process_datagram(w->pl, &in, now, &out);
	if (out.verdict == CTG_PL_FORWARD) {
		for (uint16_t i = 0; i < msg->nb_mbufs; i++)
			tx_enqueue(w, peer, msg->mbufs[i]);
		w->st.forward += msg->nb_mbufs;
	} else {
		if (out.reject_len > 0)
			send_reject(w, msg->in_port, msg->mbufs[0], out.reject, out.reject_len);
		w->st.drop += msg->nb_mbufs;
		rte_pktmbuf_free_bulk(msg->mbufs, msg->nb_mbufs);
	}
	if (msg->bigbuf != NULL)
		rte_mempool_put(app->bigbuf_pool, msg->bigbuf);
	rte_mempool_put(app->msg_pool, msg);
}

static void
check_rules(struct ctgate_worker *w)
{
	uint64_t g = atomic_load_explicit(&w->app->rules_gen, memory_order_acquire);

	if (g == atomic_load_explicit(&w->rules_gen_seen, memory_order_relaxed))
		return;
	w->rules = atomic_load_explicit(&w->rules_next, memory_order_acquire);
	ctg_pipeline_set_rules(w->pl, w->rules,
			atomic_load_explicit(&w->rules_next_cnt, memory_order_acquire));
	w->st.rules_switch++;
	atomic_store_explicit(&w->rules_gen_seen, g, memory_order_release);
}

int
ctgate_worker_main(void *arg)
{
	struct ctgate_worker *w = arg;
	struct ctgate_app *app = w->app;
	const uint16_t nb_ports = app->conf.nb_ports;
	struct rte_mbuf *pkts[CTGATE_BURST];
	void *msgs[CTGATE_BURST];
	uint64_t iter = 0;

	atomic_store_explicit(&w->running, true, memory_order_release);
	while (!atomic_load_explicit(&app->stop, memory_order_relaxed)) {
		uint64_t now = ctgate_now_ns(app);
		unsigned int n, total = 0;

		check_rules(w);
		for (uint16_t p = 0; p < nb_ports; p++) {
			if (w->id >= app->conf.ports[p].nb_rxq)
				continue;
			n = rte_eth_rx_burst(app->conf.ports[p].port_id, w->id, pkts, CTGATE_BURST);
			for (unsigned int i = 0; i < n; i++)
				handle_frame(w, p, pkts[i], now);
			total += n;
		}
		n = rte_ring_sc_dequeue_burst(w->ring, msgs, CTGATE_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			handle_handoff(w, msgs[i], now);
		for (uint16_t p = 0; p < nb_ports; p++)
			tx_flush(w, p);
		if (total > 0)
			atomic_store_explicit(&w->last_rx_ns, now, memory_order_relaxed);
		if ((++iter % EXPIRE_EVERY) == 0)
			ctg_pipeline_expire(w->pl, now, EXPIRE_BUDGET, release_fragment, w);
	}
	for (uint16_t p = 0; p < nb_ports; p++)
		tx_flush(w, p);
	atomic_store_explicit(&w->running, false, memory_order_release);
	return 0;
}

void
ctgate_handoff_drain_stopped(struct ctgate_app *app)
{
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		void *obj;

		while (rte_ring_dequeue(app->workers[i].ring, &obj) == 0) {
			struct ctgate_handoff *msg = obj;

			app->shutdown_drops += msg->nb_mbufs;
			rte_pktmbuf_free_bulk(msg->mbufs, msg->nb_mbufs);
			if (msg->bigbuf != NULL)
				rte_mempool_put(app->bigbuf_pool, msg->bigbuf);
			rte_mempool_put(app->msg_pool, msg);
		}
	}
}

void
ctgate_free_held_fragments(struct ctgate_app *app)
{
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		struct ctgate_worker *w = &app->workers[i];

		ctg_frag_expire(ctg_pipeline_frag(w->pl), UINT64_MAX >> 2, UINT32_MAX,
				release_fragment, w);
	}
}
