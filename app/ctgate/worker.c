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
 *	- the parameter block: published like the rule set (params_next, params_gen);
 *	- the request ring (control -> worker, SP/SC): the control core fills the worker's
 *	  request buffer, enqueues it and waits for done (acquire); the worker serves one
 *	  request per iteration, bounded (CTGATE_REQ_SCAN slots, CTGATE_REQ_CHUNK entries);
 *	- the event and LOG rings (worker -> control, SP/SC, fixed-size records): a full
 *	  ring is a counted loss (events_lost, log_lost); the worker never waits;
 *	- counters: 64-bit, written by the worker, read by the control core as snapshots;
 *	- the unmap guard (unmap_guard.c): a quiescent-state report at the top of every
 *	  iteration, outside every burst, so a PMD's munmap() of a port's memory waits
 *	  until no worker is still inside a burst on it.
 */

#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>
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

static inline void after_packet(struct ctgate_worker *w, const struct ctg_pipeline_out *out,
		uint16_t in_port, uint16_t out_port);

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
	/* A full tx ring is usually drained within a few hundred cycles (a NIC, or the
	 * memif peer's core): retry a bounded number of times before counting drops, as
	 * testpmd's --tx-retry does, so a burst is not lost to a momentary stall. */
	for (unsigned int retry = 0; n < b->count && retry < CTGATE_TX_RETRIES; retry++) {
		rte_pause();
		n += rte_eth_tx_burst(w->app->conf.ports[port].port_id, w->id, &b->pkts[n],
				(uint16_t)(b->count - n));
	}
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
		/* The NIC verified the TCP/UDP checksum: CHECKSUM_UNNECESSARY. */
		.flags = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD ?
				CTG_PIPELINE_PKT_L4_CSUM_OK :
				0,
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
	if (out.verdict != CTG_PL_HELD && out.verdict != CTG_PL_HANDOFF)
		after_packet(w, &out, port, p->peer);
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
	after_packet(w, &out, msg->in_port, peer);
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

/* A connection's state as far as UPDATE events go: L4 state and the visible status bits. */
static inline uint16_t
ev_key(const struct ctg_ct_conn *c)
{
	uint16_t st = c->orig.proto == 6 ? c->l4.tcp.state :
			c->orig.proto == 132 ? c->l4.sctp.state : 0;

	return (uint16_t)(st | (c->status & (CTG_CT_S_SEEN_REPLY | CTG_CT_S_ASSURED)) << 8);
}

static void
event_push(struct ctgate_worker *w, const struct ctg_ct_conn *c, enum ctgate_event_type type,
		uint8_t reason)
{
	struct ctgate_event e;

	e.type = (uint8_t)type;
	e.reason = reason;
	e.worker = w->id;
	e.pad = 0;
	e.now_ns = w->now;
	e.c = *c;
	if (rte_ring_sp_enqueue_elem(w->ev_ring, &e, sizeof(e)) != 0) {
		w->st.events_lost++;
		return;
	}
	w->st.events++;
}

#ifdef CTGATE_HAVE_CT_EVENTS
/* ctg_ct_event_fn: the shard confirmed or is about to free @p c (this worker). */
static void
on_ct_event(const struct ctg_ct_conn *c, enum ctg_ct_event ev, uint64_t now_ns, void *arg)
{
	struct ctgate_worker *w = arg;
	struct ctgate_app *app = w->app;
	uint8_t reason = w->ev_reason;

	(void)now_ns;
	if (!atomic_load_explicit(&app->events_on, memory_order_relaxed))
		return;
	if (ev == CTG_CT_EV_NEW) {
		event_push(w, c, CTGATE_EV_NEW, 0);
		return;
	}
	/* DESTROY: why, from what this worker was doing (IPFIX flowEndReason). */
	if (c->orig.proto == 6 && (c->l4.tcp.state == CTG_CT_TCP_TIME_WAIT ||
			c->l4.tcp.state == CTG_CT_TCP_CLOSE || c->l4.tcp.state == CTG_CT_TCP_LAST_ACK))
		reason = reason == CTGATE_END_FORCED ? reason : CTGATE_END_OF_FLOW;
	event_push(w, c, CTGATE_EV_DESTROY, reason);
}
#endif

void
ctgate_worker_events_setup(struct ctgate_worker *w)
{
#ifdef CTGATE_HAVE_CT_EVENTS
	ctg_ct_shard_set_event_cb(ctg_pipeline_ct(w->pl), on_ct_event, w);
#else
	(void)w;
#endif
}

/* After a packet: an UPDATE event when its connection's state or status changed. */
static inline void
events_after(struct ctgate_worker *w, const struct ctg_pipeline_out *out)
{
	const struct ctg_ct_conn *c;
	uint16_t k;

	if (out->ct.conn == CTG_CT_NO_CONN || out->conn_gone ||
			(out->ct.flags & CTG_CT_RES_NOT_ATTACHED) || out->ct.conn >= w->ct_capacity)
		return;
	c = ctg_ct_conn_get(ctg_pipeline_ct(w->pl), out->ct.conn);
	if (c == NULL || !(c->status & CTG_CT_S_CONFIRMED))
		return;
	k = ev_key(c);
	if (out->ct.flags & CTG_CT_RES_UNCONFIRMED) {
		/* The packet that created it: NEW came from the shard; remember the state. */
		w->ev_shadow[out->ct.conn] = k;
		return;
	}
	if (w->ev_shadow[out->ct.conn] == k)
		return;
	w->ev_shadow[out->ct.conn] = k;
	if (atomic_load_explicit(&w->app->events_on, memory_order_relaxed))
		event_push(w, c, CTGATE_EV_UPDATE, 0);
}

/* LOG hits of a packet: one record each on the log ring, rate-limited (token bucket). */
static void
log_hits(struct ctgate_worker *w, const struct ctg_pipeline_out *out, uint16_t in_port,
		uint16_t out_port)
{
	const uint64_t cost = CTG_NS_PER_S / CTGATE_LOG_RATE;
	const uint8_t *ip = out->dgram;
	struct ctgate_log_rec r;
	uint32_t l4 = 0;

	for (uint8_t i = 0; i < out->nb_log; i++) {
		const struct ctg_rule_log_hit *h = &out->log[i];

		/* Credit grows with time up to a burst; one record costs 1/RATE s. */
		if (w->log_tokens_ns + (uint64_t)CTGATE_LOG_BURST * cost < w->now)
			w->log_tokens_ns = w->now - (uint64_t)CTGATE_LOG_BURST * cost;
		if (w->log_tokens_ns + cost > w->now) {
			w->st.log_lost++;
			continue;
		}
		w->log_tokens_ns += cost;
		memset(&r, 0, sizeof(r));
		r.now_ns = w->now;
		r.line = h->line;
		r.level = h->level;
		r.worker = w->id;
		r.in_port = in_port;
		r.out_port = out_port;
		snprintf(r.prefix, sizeof(r.prefix), "%s", h->prefix != NULL ? h->prefix : "");
		r.len = out->dgram_len;
		if (ip != NULL && out->dgram_len >= 20 && (ip[0] >> 4) == 4) {
			r.family = 4;
			r.proto = ip[9];
			memcpy(r.src.b, ip + 12, 4);
			memcpy(r.dst.b, ip + 16, 4);
			if ((ip[6] & 0x1f) == 0 && ip[7] == 0)
				l4 = (ip[0] & 0xfu) * 4;
		} else if (ip != NULL && out->dgram_len >= 40 && (ip[0] >> 4) == 6) {
			r.family = 6;
			r.proto = ip[6];
			memcpy(r.src.b, ip + 8, 16);
			memcpy(r.dst.b, ip + 24, 16);
			l4 = 40;
		}
		if (l4 != 0 && (r.proto == 6 || r.proto == 17 || r.proto == 132) &&
				out->dgram_len >= l4 + 4) {
			r.sport = (uint16_t)(ip[l4] << 8 | ip[l4 + 1]);
			r.dport = (uint16_t)(ip[l4 + 2] << 8 | ip[l4 + 3]);
		}
		if (rte_ring_sp_enqueue_elem(w->log_ring, &r, sizeof(r)) != 0)
			w->st.log_lost++;
		else
			w->st.log++;
	}
}

static inline void
after_packet(struct ctgate_worker *w, const struct ctg_pipeline_out *out, uint16_t in_port,
		uint16_t out_port)
{
	events_after(w, out);
	if (unlikely(out->nb_log > 0))
		log_hits(w, out, in_port, out_port);
}

static int
expect_copy(const struct ctg_ct_expect *e, void *arg)
{
	struct ctgate_req *r = arg;

	if (r->n >= CTGATE_REQ_CHUNK)
		return 1;
	r->u.expects[r->n++] = *e;
	return 0;
}

/* An expectation against the address/port/protocol part of a conntrack filter. */
static bool
expect_match(const struct ctg_ct_expect *e, void *arg)
{
	const struct ctgate_ct_filter *f = arg;
	size_t alen = e->tuple.family == 4 ? 4 : 16;

	if (f->proto != 0 && e->tuple.proto != f->proto)
		return false;
	if (f->family != 0 && e->tuple.family != f->family)
		return false;
	if (f->has_src && (f->src_family != e->tuple.family ||
					  memcmp(f->src.b, e->tuple.src.b, alen) != 0))
		return false;
	if (f->has_dst && (f->dst_family != e->tuple.family ||
					  memcmp(f->dst.b, e->tuple.dst.b, alen) != 0))
		return false;
	if (f->has_dport && e->tuple.dport != f->dport)
		return false;
	return true;
}

/* Serve one control request: a bounded chunk of the shard (see struct ctgate_req). */
static void
serve_request(struct ctgate_worker *w, struct ctgate_req *r)
{
	struct ctg_ct_shard *ct = ctg_pipeline_ct(w->pl);
	uint32_t i = r->cursor, end, n = 0;

	r->now_ns = w->now;
	switch ((enum ctgate_req_op)r->op) {
	case CTGATE_REQ_LIST:
	case CTGATE_REQ_DELETE:
		end = i + CTGATE_REQ_SCAN < w->ct_capacity ? i + CTGATE_REQ_SCAN : w->ct_capacity;
		w->ev_reason = CTGATE_END_FORCED;
		for (; i < end && n < CTGATE_REQ_CHUNK; i++) {
			const struct ctg_ct_conn *c = ctg_ct_conn_get(ct, i);

			if (c == NULL || !(c->status & CTG_CT_S_CONFIRMED) ||
					!ctgate_ct_filter_match(&r->filter, c))
				continue;
			if (r->op == CTGATE_REQ_LIST) {
				r->u.conns[n++] = *c;
			} else {
				ctg_ct_delete(ct, i);
				n++;
			}
		}
		w->ev_reason = CTGATE_END_RESOURCE;
		r->cursor = i >= w->ct_capacity ? UINT32_MAX : i;
		break;
	case CTGATE_REQ_GET: {
		enum ctg_ct_dir dir;
		uint32_t idx = ctg_ct_lookup(ct, &r->tuple, w->now, &dir);
		const struct ctg_ct_conn *c = idx != CTG_CT_NO_CONN ? ctg_ct_conn_get(ct, idx) : NULL;

		if (c != NULL)
			r->u.conns[n++] = *c;
		break;
	}
	case CTGATE_REQ_EXPECT:
		r->n = 0;
		ctg_ct_expect_foreach(ct, w->now, expect_copy, r);
		n = r->n;
		break;
	case CTGATE_REQ_EXPECT_DELETE:
		n = ctg_ct_expect_delete(ct, expect_match, &r->filter);
		break;
	case CTGATE_REQ_CLEAR_MAX:
		w->st.max_loop_cycles = 0;
		w->st.max_req_cycles = 0;
		break;
	case CTGATE_REQ_RULES_ZERO:
		if (w->rules_cnt != NULL)
			ctg_rule_counters_zero(w->rules_cnt);
		break;
	}
	r->n = n;
	w->st.requests++;
	atomic_store_explicit(&r->done, true, memory_order_release);
}

static void
check_params(struct ctgate_worker *w)
{
	uint64_t g = atomic_load_explicit(&w->app->params_gen, memory_order_acquire);

	if (g == atomic_load_explicit(&w->params_gen_seen, memory_order_relaxed))
		return;
	ctg_ct_shard_set_params(ctg_pipeline_ct(w->pl),
			atomic_load_explicit(&w->params_next, memory_order_acquire));
	w->st.params_switch++;
	atomic_store_explicit(&w->params_gen_seen, g, memory_order_release);
}

static void
check_rules(struct ctgate_worker *w)
{
	uint64_t g = atomic_load_explicit(&w->app->rules_gen, memory_order_acquire);

	if (g == atomic_load_explicit(&w->rules_gen_seen, memory_order_relaxed))
		return;
	w->rules = atomic_load_explicit(&w->rules_next, memory_order_acquire);
	w->rules_cnt = atomic_load_explicit(&w->rules_next_cnt, memory_order_acquire);
	ctg_pipeline_set_rules(w->pl, w->rules, w->rules_cnt);
	w->st.rules_switch++;
	atomic_store_explicit(&w->rules_gen_seen, g, memory_order_release);
}

/* "debug stall": stop polling, as a descheduled or stuck core does (cli_fault.c). */
static void __rte_noinline
stall(struct ctgate_worker *w)
{
	uint64_t until = atomic_exchange_explicit(&w->stall_until, 0, memory_order_relaxed);

	while (rte_rdtsc() < until && !atomic_load_explicit(&w->app->stop, memory_order_relaxed)) {
		ctgate_unmap_guard_quiescent(w->id);
		rte_pause();
	}
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

	ctgate_unmap_guard_worker_online(w->id);
	atomic_store_explicit(&w->running, true, memory_order_release);
	while (!atomic_load_explicit(&app->stop, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc(), cycles;
		uint64_t now = ctgate_now_ns(app);
		unsigned int n, total = 0, work;
		void *req = NULL;

		/* Outside every burst: a PMD may now unmap what the last bursts used. */
		ctgate_unmap_guard_quiescent(w->id);
		if (unlikely(atomic_load_explicit(&w->stall_until, memory_order_relaxed) != 0))
			stall(w);
		w->now = now;
		check_rules(w);
		check_params(w);
		w->ev_reason = CTGATE_END_RESOURCE;
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
		work = total + n;
		for (uint16_t p = 0; p < nb_ports; p++)
			tx_flush(w, p);
		if (total > 0)
			atomic_store_explicit(&w->last_rx_ns, now, memory_order_relaxed);
		if ((++iter % EXPIRE_EVERY) == 0) {
			w->ev_reason = CTGATE_END_IDLE;
			ctg_pipeline_expire(w->pl, now, EXPIRE_BUDGET, release_fragment, w);
		}
		if (rte_ring_sc_dequeue(w->req_ring, &req) == 0) {
			uint64_t r0 = rte_rdtsc();

			serve_request(w, req);
			work++;
			r0 = rte_rdtsc() - r0;
			if (r0 > w->st.max_req_cycles)
				w->st.max_req_cycles = r0;
		}
		/* Account the iteration: busy cycles and the longest pause. */
		cycles = rte_rdtsc() - t0;
		w->st.loops++;
		if (work > 0) {
			w->st.busy_loops++;
			w->st.busy_cycles += cycles;
		}
		if (cycles > w->st.max_loop_cycles)
			w->st.max_loop_cycles = cycles;
	}
	for (uint16_t p = 0; p < nb_ports; p++)
		tx_flush(w, p);
	ctgate_unmap_guard_worker_offline(w->id);
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
