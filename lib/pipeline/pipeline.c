/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	One packet through the firewall, in the order of the Linux hooks a forwarded
 *	packet crosses (see ../shared/oracle/README.md, "Hook order"):
 *	  1. ip_rcv checks (lib/pkt): malformed -> DROP, not IP -> BYPASS;
 *	  2. defragmentation (lib/frag, nf_defrag at -400): a fragment is HELD until its
 *	     datagram completes; the completing fragment carries the datagram's verdict and
 *	     every fragment of it shares that verdict;
 *	  3. owner check: with several workers the datagram's flow (an ICMP error: the
 *	     quoted flow) may belong to another worker -> HANDOFF;
 *	  4. raw PREROUTING (-300): DROP, NOTRACK, CT --zone, MARK;
 *	  5. conntrack (-200, lib/ct);
 *	  6. filter FORWARD: ACCEPT, DROP or REJECT (the reject packet is built here);
 *	  7. confirm on accept (postrouting): a NEW packet's entry is inserted only if the
 *	     packet was accepted.
 *
 * Ownership & synchronization
 *	A pipeline belongs to one worker: it owns the conntrack shard, the reassembly
 *	table and the counters. The rule set is read-only and shared; the caller swaps it
 *	with ctg_pipeline_set_rules() from the worker itself (after an RCU-style hand-over).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_pipeline.h"

#define REJECT_BUF 1600

struct ctg_pipeline {
	struct ctg_ct_shard *ct;
	struct ctg_frag_table *frag;
	const struct ctg_rule_set *rules;
	struct ctg_rule_counters *rule_cnt;
	uint16_t worker_id;
	uint16_t nb_workers;
	uint64_t owner_seed;
	bool router_ttl;
	bool owner_l4;
	struct ctg_frag_result fres;
	struct ctg_rule_result rres;
	struct ctg_pipeline_stats stats;
	uint8_t reject[REJECT_BUF];
};

static const char *const drop_names[] = {
#define CTG_PL_X(n, s) s,
	CTG_PL_DROPS(CTG_PL_X)
#undef CTG_PL_X
};

const char *
ctg_pipeline_drop_str(enum ctg_pipeline_drop d)
{
	return (unsigned int)d < CTG_PL_DROP_COUNT ? drop_names[d] : "?";
}

struct ctg_pipeline *
ctg_pipeline_create(const struct ctg_pipeline_conf *conf)
{
	struct ctg_pipeline *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pl->ct = ctg_ct_shard_create(&conf->ct, conf->ct_params);
	pl->frag = ctg_frag_table_create(&conf->frag);
	if (pl->ct == NULL || pl->frag == NULL) {
		int e = errno;

		ctg_pipeline_destroy(pl);
		errno = e ? e : ENOMEM;
		return NULL;
	}
	pl->worker_id = conf->worker_id;
	pl->nb_workers = conf->nb_workers ? conf->nb_workers : 1;
	pl->router_ttl = conf->router_ttl;
	pl->owner_l4 = conf->owner_mode == CTG_PL_OWNER_L4;
	pl->owner_seed = conf->owner_seed;
	return pl;
}

void
ctg_pipeline_destroy(struct ctg_pipeline *pl)
{
	if (pl == NULL)
		return;
	ctg_ct_shard_destroy(pl->ct);
	ctg_frag_table_destroy(pl->frag);
	free(pl);
}

void
ctg_pipeline_set_rules(struct ctg_pipeline *pl, const struct ctg_rule_set *rs,
		struct ctg_rule_counters *cnt)
{
	pl->rules = rs;
	pl->rule_cnt = cnt;
}

struct ctg_ct_shard *
ctg_pipeline_ct(struct ctg_pipeline *pl)
{
	return pl->ct;
}

struct ctg_frag_table *
ctg_pipeline_frag(struct ctg_pipeline *pl)
{
	return pl->frag;
}

const struct ctg_pipeline_stats *
ctg_pipeline_stats_get(const struct ctg_pipeline *pl)
{
	return &pl->stats;
}

/* The owner of a flow tuple: a symmetric hash of the addresses (L3) or of the tuple. */
static uint16_t
owner_of(const struct ctg_pipeline *pl, struct ctg_ct_tuple *t)
{
	if (!pl->owner_l4) {
		t->sport = 0;
		t->dport = 0;
		t->proto = 0;
	}
	return (uint16_t)(ctg_ct_flow_hash(t, pl->owner_seed) % pl->nb_workers);
}

uint16_t
ctg_pipeline_owner(const struct ctg_pipeline *pl, const struct ctg_pkt *pkt)
{
	struct ctg_ct_tuple t;
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);

	if (pl->nb_workers <= 1)
		return 0;
	/* ICMP errors belong to the worker of the flow they quote. */
	if (l4_len >= 8 && ((pkt->family == 4 && pkt->proto == 1 &&
					    (l4[0] == 3 || l4[0] == 4 || l4[0] == 5 ||
							    l4[0] == 11 || l4[0] == 12)) ||
				       (pkt->family == 6 && pkt->proto == 58 && l4[0] < 128))) {
		struct ctg_pkt inner;

		if (ctg_pkt_parse_inner(l4 + 8, l4_len - 8, pkt->family, &inner) &&
				ctg_ct_pkt_tuple(&inner, 0, &t))
			return owner_of(pl, &t);
	}
	if (!ctg_ct_pkt_tuple(pkt, 0, &t))
		memset(&t.sport, 0, 4);
	return owner_of(pl, &t);
}

/*
 * Every field the paths below may leave unwritten, field by field rather than a memset
 * of the whole struct (the common path writes verdict, drop and pkt_status itself, and
 * most of the rest; the compiler merges adjacent stores and drops the overwritten).
 */
static inline void
out_init(struct ctg_pipeline_out *out)
{
	out->verdict = 0;
	out->drop = 0;
	out->pkt_status = 0;
	out->pkt_drop_reason = 0;
	out->frag_status = 0xff;
	out->frag_reason = 0;
	out->rule_verdict = CTG_RULE_ACCEPT;
	out->rules_ran = 0;
	out->owner = 0;
	out->zone = 0;
	out->ct.state = CTG_CT_INVALID;
	out->ct.dir = 0;
	out->ct.reason = 0;
	out->ct.flags = 0;
	out->ct.conn = CTG_CT_NO_CONN;
	out->conn_id = 0;
	out->conn_l4_state = NULL;
	out->conn_tcp_state = 0;
	out->conn_gone = 0;
	out->helper_drop = 0;
	out->conn_status = 0;
	out->mark = 0;
	out->frag_cookies = NULL;
	out->nb_frag_cookies = 0;
	out->max_frag_len = 0;
	out->discarded = NULL;
	out->nb_discarded = 0;
	out->duplicate_of = 0;
	out->dgram = NULL;
	out->dgram_len = 0;
	out->reject = NULL;
	out->reject_len = 0;
	out->nb_log = 0;
	out->log = NULL;
}

static void
finish(struct ctg_pipeline *pl, struct ctg_pipeline_out *out, enum ctg_pipeline_verdict v,
		enum ctg_pipeline_drop d)
{
	out->verdict = (uint8_t)v;
	out->drop = (uint8_t)d;
	pl->stats.verdicts[v]++;
	if (v == CTG_PL_DROP)
		pl->stats.drops[d]++;
}

/*
 * What the packet left behind, for reports (read before confirmation or removal).
 * @p c is the connection of out->ct.conn when the packet is attached to it, or NULL.
 */
static inline __attribute__((always_inline)) void
report_conn(struct ctg_pipeline *pl, struct ctg_pipeline_out *out, const struct ctg_ct_conn *c,
		bool accepted)
{
	if (out->ct.conn == CTG_CT_NO_CONN)
		return;
	if (c == NULL)
		c = ctg_ct_conn_get(pl->ct, out->ct.conn);
	out->conn_id = c->id;
	out->conn_l4_state = ctg_ct_conn_l4_state_str(c);
	out->conn_tcp_state = c->orig.proto == 6 ? c->l4.tcp.state : 0;
	out->conn_status = c->status | (accepted ? CTG_CT_S_CONFIRMED : 0);
	out->conn_gone = (out->ct.flags & CTG_CT_RES_DESTROYED) ||
			((out->ct.flags & CTG_CT_RES_UNCONFIRMED) && !accepted);
}

/* Steps 4-7 on a complete datagram. */
static void
classify(struct ctg_pipeline *pl, const struct ctg_pkt *dg, const struct ctg_pipeline_pkt *in,
		const struct ctg_ct_key *key, uint64_t now_ns, struct ctg_pipeline_out *out)
{
	struct ctg_rule_pkt rp;
	struct ctg_rule_result *rr = &pl->rres;
	const struct ctg_ct_conn *c;
	bool notrack = false, accepted;
	uint16_t zone = 0;
	uint8_t helper = CTG_CT_HELPER_NONE;

	out->dgram = dg->l3;
	out->dgram_len = dg->len;
	out->mark = in->mark;

	if (pl->rules != NULL) {
		memset(&rp, 0, sizeof(rp));
		rp.pkt = dg;
		rp.in_port = in->in_port;
		rp.out_port = in->out_port;
		rp.mark = in->mark;
		rp.ct_state = CTG_CT_INVALID;
	}

	if (pl->rules != NULL && ctg_rule_set_hook_used(pl->rules, dg->family,
					       CTG_RULE_RAW_PREROUTING)) {
		rp.out_port = CTG_RULE_PORT_NONE;
		ctg_rule_eval(pl->rules, CTG_RULE_RAW_PREROUTING, &rp, pl->rule_cnt, now_ns, rr);
		rp.out_port = in->out_port;
		if (rr->verdict != CTG_RULE_ACCEPT) {
			out->rule_verdict = CTG_RULE_DROP;
			out->rules_ran = 2;
			finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_RAW_RULES);
			return;
		}
		if (rr->flags & CTG_RULE_F_NOTRACK)
			notrack = true;
		if (rr->flags & CTG_RULE_F_CT_ZONE)
			zone = rr->zone;
		if ((rr->flags & CTG_RULE_F_CT_HELPER) && rr->helper != NULL)
			helper = (uint8_t)ctg_ct_helper_by_name(rr->helper);
		if (rr->flags & CTG_RULE_F_MARK) {
			out->mark = rr->mark;
			rp.mark = rr->mark;
		}
	}
	out->zone = zone;

	if (notrack) {
		out->ct.state = CTG_CT_UNTRACKED;
		ctg_ct_count_untracked(pl->ct);
	} else {
		ctg_ct_track_key(pl->ct, dg, zone, helper, now_ns, key, &out->ct);
		if (out->ct.flags & CTG_CT_RES_DROP) {
			pl->stats.ct_states[out->ct.state]++;
			finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_CT);
			return;
		}
	}
	pl->stats.ct_states[out->ct.state]++;

	c = NULL;
	if (out->ct.conn != CTG_CT_NO_CONN && !(out->ct.flags & CTG_CT_RES_NOT_ATTACHED))
		c = ctg_ct_conn_get(pl->ct, out->ct.conn);

	/* ip_rcv_options() runs after PREROUTING: a refused packet never reaches FORWARD
	 * and its new entry is never confirmed. */
	if (dg->family == 4 && dg->l4_off > 20 && ctg_pkt_ipv4_options_drop(dg)) {
		report_conn(pl, out, c, false);
		if (!notrack)
			ctg_ct_finish(pl->ct, &out->ct, false);
		finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_IP_OPTIONS);
		return;
	}

	accepted = true;
	if (pl->rules != NULL) {
		const struct ctg_ct_conn *m = NULL;

		if (c != NULL && c->master != 0)
			m = ctg_ct_conn_get(pl->ct, c->master - 1);
		rp.master_helper = m != NULL && m->helper != CTG_CT_HELPER_NONE ?
				ctg_ct_helper_name((enum ctg_ct_helper)m->helper) :
				NULL;
		rp.ct_state = out->ct.state;
		rp.ct_dir = out->ct.dir;
		rp.ttl_dec = pl->router_ttl ? 1 : 0;
		rp.conn = c;
		ctg_rule_eval(pl->rules, CTG_RULE_FILTER_FORWARD, &rp, pl->rule_cnt, now_ns, rr);
		out->rules_ran = 1;
		out->rule_verdict = rr->verdict;
		out->nb_log = rr->nb_log;
		out->log = rr->log;
		if (rr->flags & CTG_RULE_F_MARK)
			out->mark = rr->mark;
		if (c != NULL && (rr->flags & CTG_RULE_F_CONNMARK))
			ctg_ct_conn_get_mut(pl->ct, out->ct.conn)->mark = rr->connmark;
		if (rr->verdict == CTG_RULE_REJECT) {
			int n = ctg_rule_reject_build(rr, dg, pl->reject, sizeof(pl->reject));

			if (n > 0) {
				out->reject = pl->reject;
				out->reject_len = (uint32_t)n;
			}
			out->rule_verdict = CTG_RULE_DROP;
		}
		accepted = rr->verdict == CTG_RULE_ACCEPT;
	}

	/* The helper hook runs on accepted packets, before confirmation (ctg_ct_help()
	 * accepts without looking further when the attached connection has no helper). */
	if (accepted && !notrack && (c == NULL || c->helper != CTG_CT_HELPER_NONE) &&
			!ctg_ct_help(pl->ct, dg, &out->ct, now_ns)) {
		accepted = false;
		out->helper_drop = 1;
	}

	report_conn(pl, out, c, accepted);
	if (!notrack)
		ctg_ct_finish(pl->ct, &out->ct, accepted);
	if (accepted)
		finish(pl, out, CTG_PL_FORWARD, CTG_PL_DROP_NONE);
	else if (out->helper_drop)
		finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_HELPER);
	else
		finish(pl, out, CTG_PL_DROP,
				rr->verdict == CTG_RULE_REJECT ? CTG_PL_DROP_REJECT :
								 CTG_PL_DROP_RULES);
}

static void
process_parsed(struct ctg_pipeline *pl, const struct ctg_pkt *pkt,
		const struct ctg_pipeline_pkt *in, const struct ctg_ct_key *key, uint64_t now_ns,
		bool check_owner, struct ctg_pipeline_out *out)
{
	if (check_owner && pl->nb_workers > 1) {
		uint16_t owner = ctg_pipeline_owner(pl, pkt);

		if (owner != pl->worker_id) {
			out->owner = owner;
			out->dgram = pkt->l3;
			out->dgram_len = pkt->len;
			finish(pl, out, CTG_PL_HANDOFF, CTG_PL_DROP_NONE);
			return;
		}
	}
	classify(pl, pkt, in, key, now_ns, out);
}

/* Parse a frame; the NIC's checksum verdict applies to a whole (non-fragment) packet. */
static inline enum ctg_pkt_status
parse_frame(const struct ctg_pipeline_pkt *in, struct ctg_pkt *pkt)
{
	enum ctg_pkt_status st = ctg_pkt_parse(in->data, in->len, (enum ctg_pkt_link)in->link, pkt);

	if ((in->flags & CTG_PIPELINE_PKT_L4_CSUM_OK) && st == CTG_PKT_OK && !pkt->frag)
		pkt->l4_csum_good = 1;
	return st;
}

/* Steps 1-7 on a parsed frame; @p key (may be NULL) was computed for zone 0. */
static void
process_frame(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *in, struct ctg_pkt *pkt,
		enum ctg_pkt_status st, const struct ctg_ct_key *key, uint64_t now_ns,
		struct ctg_pipeline_out *out)
{
	out_init(out);
	pl->stats.packets++;
	pl->stats.bytes += in->len;
	out->pkt_status = (uint8_t)st;
	if (st == CTG_PKT_NOT_IP) {
		finish(pl, out, CTG_PL_BYPASS, CTG_PL_DROP_NONE);
		return;
	}
	if (st == CTG_PKT_DROP) {
		out->pkt_drop_reason = pkt->drop_reason;
		finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_IP_INPUT);
		return;
	}
	if (pkt->frag == 1) {
		struct ctg_frag_result *fr = &pl->fres;
		struct ctg_pkt dg;

		ctg_frag_insert(pl->frag, pkt, in->cookie, now_ns, fr);
		out->frag_status = fr->status;
		out->frag_reason = fr->reason;
		out->discarded = fr->discarded;
		out->nb_discarded = fr->nb_discarded;
		switch ((enum ctg_frag_status)fr->status) {
		case CTG_FRAG_HELD:
			finish(pl, out, CTG_PL_HELD, CTG_PL_DROP_NONE);
			return;
		case CTG_FRAG_DROP:
			out->duplicate_of = fr->duplicate_of;
			finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_FRAG);
			return;
		case CTG_FRAG_COMPLETE:
			out->frag_cookies = fr->cookies;
			out->nb_frag_cookies = fr->nb_cookies;
			out->max_frag_len = fr->max_frag_len;
			if (ctg_pkt_parse_l3(fr->dgram, fr->dgram_len, &dg) != CTG_PKT_OK) {
				finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_FRAG);
				return;
			}
			process_parsed(pl, &dg, in, NULL, now_ns, true, out);
			return;
		case CTG_FRAG_PASS:
		case CTG_FRAG_STATUS_COUNT:
			break;
		}
		key = NULL;
	}
	process_parsed(pl, pkt, in, key, now_ns, true, out);
}

void
ctg_pipeline_process(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *in,
		uint64_t now_ns, struct ctg_pipeline_out *out)
{
	struct ctg_pkt pkt;
	enum ctg_pkt_status st;

	st = parse_frame(in, &pkt);
	process_frame(pl, in, &pkt, st, NULL, now_ns, out);
}

/*
 * Three passes over at most CTG_PIPELINE_BURST packets: (1) parse and hash each packet
 * (zone 0: a raw-table CT --zone makes conntrack compute its own key) and prefetch its
 * index bucket; (2) read the buckets and prefetch the candidate connections; (3) process
 * the packets in order exactly as ctg_pipeline_process() would. Passes 1 and 2 only
 * compute pure functions of the packets and issue prefetches, so the outcome cannot
 * differ from one packet at a time; the memory latency of the lookups overlaps.
 */
uint16_t
ctg_pipeline_process_burst(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *pkts,
		uint16_t n, uint64_t now_ns, struct ctg_pipeline_out *outs)
{
	struct ctg_pkt pkt[CTG_PIPELINE_BURST];
	struct ctg_ct_key key[CTG_PIPELINE_BURST];
	uint8_t st[CTG_PIPELINE_BURST];
	uint16_t done = 0;

	while (done < n) {
		uint16_t m = n - done < CTG_PIPELINE_BURST ? n - done : CTG_PIPELINE_BURST;
		const struct ctg_pipeline_pkt *in = pkts + done;

		for (uint16_t i = 0; i < m; i++) {
			st[i] = (uint8_t)parse_frame(&in[i], &pkt[i]);
			key[i].ok = 0;
			if (st[i] == CTG_PKT_OK && !pkt[i].frag)
				ctg_ct_key_prepare(pl->ct, &pkt[i], 0, &key[i]);
		}
		for (uint16_t i = 0; i < m; i++)
			ctg_ct_key_prefetch(pl->ct, &key[i]);
		for (uint16_t i = 0; i < m; i++) {
			struct ctg_pipeline_out *out = &outs[done];

			process_frame(pl, &in[i], &pkt[i], (enum ctg_pkt_status)st[i], &key[i],
					now_ns, out);
			done++;
			/* The next packet would overwrite what this outcome points to. */
			if (out->frag_status != 0xff || out->reject != NULL || out->nb_log != 0)
				return done;
		}
	}
	return done;
}

void
ctg_pipeline_process_datagram(struct ctg_pipeline *pl, const struct ctg_pipeline_pkt *in,
		uint64_t now_ns, struct ctg_pipeline_out *out)
{
	struct ctg_pkt pkt;
	enum ctg_pkt_status st;

	out_init(out);
	pl->stats.packets++;
	pl->stats.bytes += in->len;
	st = ctg_pkt_parse_l3(in->data, in->len, &pkt);
	out->pkt_status = (uint8_t)st;
	if (st != CTG_PKT_OK) {
		out->pkt_drop_reason = pkt.drop_reason;
		finish(pl, out, CTG_PL_DROP, CTG_PL_DROP_IP_INPUT);
		return;
	}
	process_parsed(pl, &pkt, in, NULL, now_ns, false, out);
}

void
ctg_pipeline_expire(struct ctg_pipeline *pl, uint64_t now_ns, uint32_t budget,
		ctg_frag_release_fn *fn, void *arg)
{
	ctg_ct_expire(pl->ct, now_ns, budget);
	ctg_frag_expire(pl->frag, now_ns, budget, fn, arg);
}
