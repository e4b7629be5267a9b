/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The per-packet entry point of connection tracking, in the order of the kernel's
 *	nf_conntrack_in(): find the transport header (a fragment or an IPv6 packet whose
 *	extension chain ends without one is INVALID), ICMP/ICMPv6 errors are RELATED to
 *	the connection they quote or INVALID, ND/MLD are UNTRACKED; otherwise the protocol
 *	tracker validates the header, the tuple is looked up (a connection is created for a
 *	NEW packet, evicting a non-ASSURED entry when the table is full), the user-land state
 *	(ctinfo) is decided from the direction and status bits *before* the tracker runs,
 *	and the tracker's verdict decides refresh, accounting, SEEN_REPLY, re-tracking
 *	(SYN reopening a closed connection) or immediate destruction.
 *
 * Life-cycle
 *	ctg_ct_track() leaves a NEW packet's connection unconfirmed (pending); the caller
 *	runs the rules and calls ctg_ct_finish(), which inserts it only if the packet was
 *	accepted (confirm on accept), and deletes a connection the packet destroyed.
 *
 * Ownership & synchronization
 *	Owner worker only.
 */

#include <string.h>

#define CT_CORE
#include "ct_private.h"

#define IPPROTO_ICMP_	 1
#define IPPROTO_TCP_	 6
#define IPPROTO_UDP_	 17
#define IPPROTO_GRE_	 47
#define IPPROTO_ICMPV6_	 58
#define IPPROTO_SCTP_	 132
#define IPPROTO_UDPLITE_ 136
#define NEXTHDR_NONE	 59

static const struct ct_l4_ops *
l4_ops(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP_:
		return &ct_l4_tcp_ops;
	case IPPROTO_UDP_:
		return &ct_l4_udp_ops;
	case IPPROTO_UDPLITE_:
		return &ct_l4_udplite_ops;
	case IPPROTO_ICMP_:
		return &ct_l4_icmp_ops;
	case IPPROTO_ICMPV6_:
		return &ct_l4_icmpv6_ops;
	case IPPROTO_GRE_:
		return &ct_l4_gre_ops;
	case IPPROTO_SCTP_:
		return &ct_l4_sctp_ops;
	default:
		return &ct_l4_generic_ops;
	}
}

bool
ctg_ct_pkt_tuple(const struct ctg_pkt *pkt, uint16_t zone, struct ctg_ct_tuple *t)
{
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);

	memset(t, 0, sizeof(*t));
	t->family = pkt->family;
	t->proto = pkt->proto;
	t->zone = zone;
	if (pkt->family == 4) {
		memcpy(t->src.b, pkt->l3 + 12, 4);
		memcpy(t->dst.b, pkt->l3 + 16, 4);
	} else {
		memcpy(t->src.b, pkt->l3 + 8, 16);
		memcpy(t->dst.b, pkt->l3 + 24, 16);
	}
	switch (pkt->proto) {
	case IPPROTO_TCP_:
	case IPPROTO_UDP_:
	case IPPROTO_UDPLITE_:
	case IPPROTO_SCTP_:
		if (l4_len < 4)
			return false;
		t->sport = ctg_get_be16(l4);
		t->dport = ctg_get_be16(l4 + 2);
		return true;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		if (l4_len < 8)
			return false;
		t->sport = ctg_get_be16(l4 + 4); /* identifier */
		t->dport = (uint16_t)(l4[0] << 8 | l4[1]);
		return true;
	case IPPROTO_GRE_:
		/* Only PPTP's enhanced GRE (version 1) carries a key the kernel tracks;
		 * everything else is tracked like the generic protocol. */
		if (l4_len >= 8 && (l4[1] & 0x07) == 1) {
			t->dport = ctg_get_be16(l4 + 6); /* call id */
			return true;
		}
		return true;
	default:
		return true;
	}
}

static void
res_invalid(struct ctg_ct_shard *s, struct ctg_ct_result *res, uint8_t reason)
{
	res->state = CTG_CT_INVALID;
	res->reason = reason;
	s->stats.invalid++;
	s->stats.invalid_by_reason[reason < CTG_CT_R_COUNT ? reason : 0]++;
}

/* An INVALID packet whose tuple has an entry: the oracle's "(cN)". */
static void
note_existing(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint64_t now_ns, struct ctg_ct_result *res)
{
	struct ctg_ct_tuple t;
	enum ctg_ct_dir dir;
	uint32_t idx;

	if (!ctg_ct_pkt_tuple(pkt, zone, &t))
		return;
	idx = ct_lookup_reap(s, &t, ct_hash(s, &t), now_ns, &dir);
	if (idx != CTG_CT_NO_CONN) {
		res->conn = idx;
		res->dir = (uint8_t)dir;
		res->flags |= CTG_CT_RES_NOT_ATTACHED;
	}
}

static bool
icmp_invertible(const struct ctg_ct_tuple *t)
{
	struct ctg_ct_tuple inv;

	return ctg_ct_tuple_invert(t, &inv);
}

void
ctg_ct_track(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint8_t helper, uint64_t now_ns, struct ctg_ct_result *res)
{
	ctg_ct_track_key(s, pkt, zone, helper, now_ns, NULL, res);
}

void
ctg_ct_track_key(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint8_t helper, uint64_t now_ns, const struct ctg_ct_key *key,
		struct ctg_ct_result *res)
{
	const struct ctg_ct_params *p = s->params;
	const struct ct_l4_ops *ops;
	struct ctg_ct_key local;
	const struct ctg_ct_tuple *tp;
	uint32_t hash;
	uint8_t reason = CTG_CT_R_NONE;

	res->state = CTG_CT_INVALID;
	res->dir = 0;
	res->reason = CTG_CT_R_NONE;
	res->flags = 0;
	res->conn = CTG_CT_NO_CONN;

	/* get_l4proto(): fragments that escaped reassembly and IPv6 packets whose chain
	 * leaves no transport header are not tracked. */
	if (pkt->family == 4 && pkt->frag_off != 0) {
		res_invalid(s, res, CTG_CT_R_L3_FRAGMENT);
		return;
	}
	if (pkt->family == 6 && (pkt->no_l4 || pkt->proto == NEXTHDR_NONE ||
					(pkt->frag && pkt->frag_off != 0))) {
		res_invalid(s, res, pkt->no_l4 ? CTG_CT_R_L4_TRUNCATED : CTG_CT_R_L3_FRAGMENT);
		return;
	}

	/* ICMP errors and never-tracked ICMPv6 messages (nf_conntrack_handle_icmp). */
	if ((pkt->family == 4 && pkt->proto == IPPROTO_ICMP_) ||
			(pkt->family == 6 && pkt->proto == IPPROTO_ICMPV6_)) {
		uint32_t conn = CTG_CT_NO_CONN;
		uint8_t dir = 0;

		switch (ct_icmp_classify(s, pkt, zone, now_ns, &conn, &dir, &reason)) {
		case CT_ICMP_QUERY:
			break;
		case CT_ICMP_INVALID:
			s->stats.icmp_error++;
			res_invalid(s, res, reason);
			if (conn != CTG_CT_NO_CONN) {
				res->conn = conn;
				res->dir = dir;
				res->flags |= CTG_CT_RES_NOT_ATTACHED;
			} else {
				/* A query (e.g. an echo reply with a bad checksum): its own entry. */
				note_existing(s, pkt, zone, now_ns, res);
			}
			return;
		case CT_ICMP_RELATED:
			res->state = CTG_CT_RELATED;
			res->dir = dir;
			res->conn = conn;
			s->stats.found++;
			return;
		case CT_ICMP_UNTRACKED:
			res->state = CTG_CT_UNTRACKED;
			s->stats.untracked++;
			return;
		}
	}

	ops = l4_ops(pkt->proto);
	if (!ops->error(pkt, p, &reason)) {
		res_invalid(s, res, reason);
		note_existing(s, pkt, zone, now_ns, res);
		return;
	}
	if (key == NULL || !key->ok || key->zone != zone) {
		if (!ctg_ct_key_prepare(s, pkt, zone, &local)) {
			res_invalid(s, res, CTG_CT_R_L4_TRUNCATED);
			return;
		}
		key = &local;
	}
	tp = &key->t;
	hash = key->hash;

	for (int attempt = 0; attempt < 2; attempt++) {
		enum ctg_ct_dir dir = CTG_CT_DIR_ORIG;
		enum ct_l4_verdict v;
		struct ctg_ct_conn *c;
		uint64_t timeout_s = 0;
		bool is_new = false;
		uint32_t idx;
		uint8_t ctinfo;

		idx = ct_lookup_reap(s, tp, hash, now_ns, &dir);
		if (idx != CTG_CT_NO_CONN) {
			s->stats.found++;
		} else {
			/* init_conntrack(): the reply tuple must exist (ICMP answers). */
			if (ops == &ct_l4_icmp_ops || ops == &ct_l4_icmpv6_ops) {
				if (!icmp_invertible(tp)) {
					res_invalid(s, res, CTG_CT_R_ICMP_TYPE);
					return;
				}
			}
			if (s->stats.count + 1 > p->max || s->nb_free == 0) {
				if (!ct_early_drop(s, hash, now_ns) || s->nb_free == 0) {
					s->stats.drop++;
					res_invalid(s, res, CTG_CT_R_TABLE_FULL);
					res->flags |= CTG_CT_RES_DROP;
					return;
				}
			}
			idx = ct_conn_alloc(s, tp, hash, now_ns);
			is_new = true;
			/* init_conntrack(): an expected connection, or a helper to attach. */
			{
				struct ctg_ct_conn *nc = &s->pool[idx];
				uint32_t master;

				if (ct_expect_take(s, tp, now_ns, &master)) {
					nc->status |= CTG_CT_S_EXPECTED;
					nc->master = master + 1;
					nc->mark = s->pool[master].mark;
				} else {
					uint8_t h = helper ? helper : ct_helper_for(s, tp);

					if (h != CTG_CT_HELPER_NONE)
						(void)ct_help_attach(s, nc, h);
				}
			}
		}
		c = &s->pool[idx];
		if (dir == CTG_CT_DIR_REPLY || (c->status & CTG_CT_S_SEEN_REPLY))
			ctinfo = CTG_CT_ESTABLISHED;
		else if (c->status & CTG_CT_S_EXPECTED)
			ctinfo = CTG_CT_RELATED;
		else
			ctinfo = CTG_CT_NEW;

		v = ops->packet(c, dir, pkt, is_new, p, now_ns, &timeout_s, &reason);
		switch (v) {
		case CT_L4_INVALID:
			if (is_new) {
				ct_conn_free(s, idx);
			} else {
				res->conn = idx;
				res->dir = (uint8_t)dir;
				res->flags |= CTG_CT_RES_NOT_ATTACHED;
			}
			res_invalid(s, res, reason);
			return;
		case CT_L4_REPEAT:
			if (is_new)
				ct_conn_free(s, idx);
			else
				ctg_ct_delete(s, idx);
			continue;
		case CT_L4_IGNORE:
			if (reason != CTG_CT_R_NONE)
				s->stats.ignore++;
			res->flags |= CTG_CT_RES_IGNORED;
			res->reason = reason;
			break;
		case CT_L4_ACCEPT:
		case CT_L4_DESTROY:
			if (!(c->status & CTG_CT_S_FIXED_TIMEOUT))
				c->expires_ns = now_ns + ctg_s_to_ns(timeout_s);
			/* 32-bit packets, 48-bit bytes (wrap; see struct ctg_ct_conn). */
			c->acct_packets[dir]++;
			{
				uint64_t b = ctg_ct_conn_bytes(c, dir) + pkt->len;

				c->acct_bytes_lo[dir] = (uint32_t)b;
				c->acct_bytes_hi[dir] = (uint16_t)(b >> 32);
			}
			if (v == CT_L4_DESTROY)
				res->flags |= CTG_CT_RES_DESTROYED;
			break;
		case CT_L4_VERDICT_COUNT:
			break;
		}
		if (is_new && ct_limit_enabled(p)) {
			/* ctgate's limits (ct_limit.c), decided once the tracker set the state. */
			uint8_t lr = ct_limit_admit(s, c);

			if (lr != CTG_CT_R_NONE) {
				ct_conn_free(s, idx);
				res_invalid(s, res, lr);
				res->flags |= CTG_CT_RES_DROP;
				return;
			}
		} else if (c->status & CT_S_LIM_EMB) {
			ct_limit_update(s, c);
		}
		if (dir == CTG_CT_DIR_REPLY)
			c->status |= CTG_CT_S_SEEN_REPLY;
		res->state = ctinfo;
		res->dir = (uint8_t)dir;
		res->conn = idx;
		if (is_new) {
			res->flags |= CTG_CT_RES_UNCONFIRMED;
			s->stats.new++;
			s->pending = idx;
		}
		return;
	}
	/* A second REPEAT in a row cannot happen with a fresh connection; be safe. */
	res_invalid(s, res, CTG_CT_R_TCP_INVALID_STATE);
}

void
ctg_ct_finish_attached(struct ctg_ct_shard *s, struct ctg_ct_result *res, bool accepted)
{
	if (res->conn == CTG_CT_NO_CONN || (res->flags & CTG_CT_RES_NOT_ATTACHED))
		return;
	if (res->flags & CTG_CT_RES_UNCONFIRMED) {
		s->pending = CTG_CT_NO_CONN;
		if (!accepted || (res->flags & CTG_CT_RES_DESTROYED)) {
			ct_conn_free(s, res->conn);
			return;
		}
		s->pool[res->conn].status |= CTG_CT_S_CONFIRMED;
		if (ct_limit_enabled(s->params))
			ct_limit_confirm(s, &s->pool[res->conn]);
		ct_index_insert(s, res->conn);
		s->stats.count++;
		s->stats.insert++;
		if (s->event_fn != NULL)
			s->event_fn(&s->pool[res->conn], CTG_CT_EV_NEW, s->now_ns, s->event_arg);
		return;
	}
	if (res->flags & CTG_CT_RES_DESTROYED) {
		ctg_ct_delete(s, res->conn);
		s->stats.delete ++;
	}
}

void
ctg_ct_count_untracked(struct ctg_ct_shard *s)
{
	s->stats.untracked++;
}
