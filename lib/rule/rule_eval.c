/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule evaluation: ipt_do_table() / ip6t_do_table() semantics on a compiled set.
 *
 * Overview. ctg_rule_eval() walks the hook's chain: for each candidate rule (all rules in
 * order, or the classifier's candidates merged in order, see rule_compile.c), the IP part
 * is checked (ip_packet_match / ip6_packet_match), then each match in rule order (the
 * functions below transcribe the kernel's xt match functions, including "hotdrop": a
 * match that cannot read the header it needs drops the packet), then the rule's
 * counters are bumped and its target applied: ACCEPT/DROP/REJECT end the walk, RETURN
 * pops the call stack (or applies the built-in chain's policy when it is empty), a jump
 * pushes the position after the rule, a goto does not, and the non-terminating targets
 * (LOG, NFLOG, MARK, CONNMARK, NOTRACK, CT) record their effect and continue. Falling off
 * the end of a chain is an implicit RETURN.
 *
 * Ownership & synchronization. The set is read-only. The only writes go to the caller's
 * per-worker counter block (rule packet/byte counters, policy counters, -m limit token
 * buckets), which has a single writer. No allocation, no logging, bounded stack
 * (RULE_MAX_DEPTH frames, checked at load).
 *
 * -m limit keeps xt_limit's token bucket (credits per jiffy, RULE_LIMIT_HZ jiffies per
 * second) but per worker: with N workers each worker allows the configured rate.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"

#include "rule_private.h"

/* ---------------------------------------------------------------------------------- */
/* xt_limit arithmetic. */

#define MAX_CPJ (0xFFFFFFFFu / (RULE_LIMIT_HZ * 60 * 60 * 24))
#define POW2_BELOW2(x)	((x) | ((x) >> 1))
#define POW2_BELOW4(x)	(POW2_BELOW2(x) | POW2_BELOW2((x) >> 2))
#define POW2_BELOW8(x)	(POW2_BELOW4(x) | POW2_BELOW4((x) >> 4))
#define POW2_BELOW16(x) (POW2_BELOW8(x) | POW2_BELOW8((x) >> 8))
#define POW2_BELOW32(x) (POW2_BELOW16(x) | POW2_BELOW16((x) >> 16))
#define CREDITS_PER_JIFFY (POW2_BELOW32(MAX_CPJ) - (POW2_BELOW32(MAX_CPJ) >> 1))

uint32_t
rule_limit_user2credits(uint32_t user)
{
	if (user > 0xFFFFFFFFu / (RULE_LIMIT_HZ * CREDITS_PER_JIFFY))
		return (user / RULE_LIMIT_SCALE) * RULE_LIMIT_HZ * CREDITS_PER_JIFFY;
	return (user * RULE_LIMIT_HZ * CREDITS_PER_JIFFY) / RULE_LIMIT_SCALE;
}

static bool
limit_mt(const struct rule_match *m, struct ctg_rule_counters *cnt, uint64_t now_ns)
{
	struct rule_limit_state *st;
	uint64_t now = now_ns / (CTG_NS_PER_S / RULE_LIMIT_HZ);
	uint32_t credit;

	if (cnt == NULL)
		return true;
	st = &cnt->limit[m->u.limit.slot];
	if (!st->init) {
		st->init = 1;
		st->prev = now;
		st->credit = m->u.limit.cap;
	}
	if (st->credit < m->u.limit.cost && st->prev == now)
		return false;
	/* u32 arithmetic, as the kernel's. */
	credit = st->credit + (uint32_t)((now - st->prev) * CREDITS_PER_JIFFY);
	st->prev = now;
	if (credit > m->u.limit.cap)
		credit = m->u.limit.cap;
	if (credit >= m->u.limit.cost) {
		st->credit = credit - m->u.limit.cost;
		return true;
	}
	st->credit = credit;
	return false;
}

/* ---------------------------------------------------------------------------------- */
/* Packet access. */

struct pview {
	const struct ctg_rule_pkt *rp;
	const uint8_t *l4;
	uint32_t l4len;
	uint32_t fragoff; /* in 8-byte units, as par->fragoff */
	uint32_t mark;	  /* current skb mark (MARK may change it mid-walk) */
	uint32_t ctmark;  /* current connmark */
};

/* Traffic class / TOS byte. */
static uint8_t
ip_tos(const struct pview *v)
{
	const uint8_t *ip = v->rp->pkt->l3;

	if (v->rp->pkt->family == 4)
		return ip[1];
	return (uint8_t)(((ip[0] & 0x0f) << 4) | (ip[1] >> 4));
}

/* xt_ttl / xt_hl, on the TTL the hook sees (a router has decremented it before FORWARD). */
static int
ttl_mt(const struct rule_match *m, const struct pview *v)
{
	const uint8_t *ip = v->rp->pkt->l3;
	uint8_t ttl = v->rp->pkt->family == 4 ? ip[8] : ip[7];

	ttl = (uint8_t)(ttl - v->rp->ttl_dec);
	switch (m->u.ttl.op) {
	case RULE_TTL_EQ:
		return ttl == m->u.ttl.value;
	case RULE_TTL_NE:
		return ttl != m->u.ttl.value;
	case RULE_TTL_LT:
		return ttl < m->u.ttl.value;
	case RULE_TTL_GT:
		return ttl > m->u.ttl.value;
	default:
		return 0;
	}
}

static bool
port_in(uint16_t lo, uint16_t hi, uint16_t port, bool inv)
{
	return (port >= lo && port <= hi) ^ inv;
}

static int
tcpudp_mt(const struct rule_match *m, const struct pview *v)
{
	bool tcp = m->kind == RM_TCP;
	uint16_t sp, dp;

	if (v->fragoff != 0) {
		/* "Don't allow a fragment of TCP 8 bytes in" (xt_tcpudp). */
		return tcp && v->fragoff == 1 ? -1 : 0;
	}
	if (v->l4len < (tcp ? 20u : 8u))
		return -1;
	sp = ctg_get_be16(v->l4);
	dp = ctg_get_be16(v->l4 + 2);
	if (!port_in(m->u.tcp.spt[0], m->u.tcp.spt[1], sp, m->inv & RULE_PINV_SPT))
		return 0;
	if (!port_in(m->u.tcp.dpt[0], m->u.tcp.dpt[1], dp, m->inv & RULE_PINV_DPT))
		return 0;
	if (!tcp)
		return 1;
	if ((((v->l4[13] & m->u.tcp.flg_mask) == m->u.tcp.flg_cmp) ^
			    !!(m->inv & RULE_PINV_FLG)) == 0)
		return 0;
	if (m->u.tcp.option != 0) {
		uint32_t hlen = (uint32_t)(v->l4[12] >> 4) * 4;
		bool inv = m->inv & RULE_PINV_OPT;
		uint32_t optlen, i;

		if (hlen < 20)
			return -1;
		optlen = hlen - 20;
		if (optlen == 0)
			return inv;
		if (v->l4len < hlen)
			return -1;
		for (i = 0; i < optlen;) {
			const uint8_t *op = v->l4 + 20;

			if (op[i] == m->u.tcp.option)
				return !inv;
			if (op[i] < 2)
				i++;
			else
				i += (i + 1 < optlen && op[i + 1] != 0) ? op[i + 1] : 1;
		}
		return inv;
	}
	return 1;
}

static int
icmp_mt(const struct rule_match *m, const struct pview *v)
{
	bool hit;

	if (v->fragoff != 0)
		return 0;
	if (v->l4len < 8)
		return -1;
	hit = (m->kind == RM_ICMP && m->u.icmp.any) ||
	      (m->kind == RM_ICMP6 && m->u.icmp.any) ||
	      (v->l4[0] == m->u.icmp.type && v->l4[1] >= m->u.icmp.code[0] &&
			      v->l4[1] <= m->u.icmp.code[1]);
	return hit ^ (m->inv != 0);
}

static int
multiport_mt(const struct rule_match *m, const struct pview *v)
{
	uint16_t sp, dp;

	if (v->fragoff != 0)
		return 0;
	if (v->l4len < 4)
		return -1;
	sp = ctg_get_be16(v->l4);
	dp = ctg_get_be16(v->l4 + 2);
	for (int i = 0; i < m->u.mp.count; i++) {
		uint16_t lo = m->u.mp.ports[i][0], hi = m->u.mp.ports[i][1];
		bool s = sp >= lo && sp <= hi;
		bool d = dp >= lo && dp <= hi;
		bool hit = m->u.mp.kind == RULE_MP_SRC ? s : m->u.mp.kind == RULE_MP_DST ? d : s || d;

		if (hit)
			return !m->inv;
	}
	return m->inv != 0;
}

static uint16_t
state_bit(const struct ctg_rule_pkt *rp)
{
	switch ((enum ctg_ct_state)rp->ct_state) {
	case CTG_CT_NEW:
		return RULE_ST_NEW;
	case CTG_CT_ESTABLISHED:
		return RULE_ST_ESTABLISHED;
	case CTG_CT_RELATED:
		return RULE_ST_RELATED;
	case CTG_CT_UNTRACKED:
		return RULE_ST_UNTRACKED;
	case CTG_CT_INVALID:
	case CTG_CT_STATE_COUNT:
		break;
	}
	return RULE_ST_INVALID;
}

static bool
addr_masked_eq(const union ctg_addr *a, const union ctg_addr *b, const union ctg_addr *m,
		int family)
{
	int n = family == 4 ? 4 : 16;

	for (int i = 0; i < n; i++)
		if ((a->b[i] & m->b[i]) != (b->b[i] & m->b[i]))
			return false;
	return true;
}

/* ICMP request type -> reply type and back (nf_conntrack_proto_icmp invmap). */
static uint8_t
icmp_invert_type(uint8_t proto, uint8_t t)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 17, 18 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 139, 140 } };
	const uint8_t(*tab)[2] = proto == 1 ? v4 : v6;
	size_t n = proto == 1 ? CTG_ARRAY_SIZE(v4) : CTG_ARRAY_SIZE(v6);

	for (size_t i = 0; i < n; i++) {
		if (tab[i][0] == t)
			return tab[i][1];
		if (tab[i][1] == t)
			return tab[i][0];
	}
	return t;
}

static bool
conntrack_mt(const struct rule_match *m, const struct pview *v)
{
	const struct ctg_rule_pkt *rp = v->rp;
	const struct ctg_ct_conn *ct = rp->conn;
	uint16_t f = m->u.ct.flags, inv = m->u.ct.invflags;
	struct ctg_ct_tuple t[2];

	if (f & RULE_CT_STATE) {
		if (((m->u.ct.state_mask & state_bit(rp)) != 0) ^ !(inv & RULE_CT_STATE))
			return false;
	}
	if (ct == NULL)
		return (f & RULE_CT_STATE) != 0;
	if ((f & RULE_CT_DIRECTION) &&
			((rp->ct_dir == CTG_CT_DIR_ORIG) ^ (m->u.ct.dir == CTG_CT_DIR_ORIG)))
		return false;
	t[0] = ct->orig;
	t[1] = ct->orig;
	t[1].src = ct->orig.dst;
	t[1].dst = ct->orig.src;
	if (ct->orig.proto == 1 || ct->orig.proto == 58) {
		uint8_t ty = icmp_invert_type(ct->orig.proto, (uint8_t)(ct->orig.dport >> 8));

		t[1].dport = (uint16_t)(ty << 8 | (ct->orig.dport & 0xff));
	} else {
		t[1].sport = ct->orig.dport;
		t[1].dport = ct->orig.sport;
	}
	for (int i = 0; i < 4; i++) {
		uint16_t fl = (uint16_t)(RULE_CT_ORIGSRC << i);
		const union ctg_addr *a = (i & 1) ? &t[i / 2].dst : &t[i / 2].src;

		if ((f & fl) && addr_masked_eq(a, &m->u.ct.addr[i], &m->u.ct.mask[i],
					  ct->orig.family) ^ !(inv & fl))
			return false;
	}
	if ((f & RULE_CT_PROTO) && (ct->orig.proto == m->u.ct.l4proto) ^ !(inv & RULE_CT_PROTO))
		return false;
	for (int i = 0; i < 4; i++) {
		uint16_t fl = (uint16_t)(RULE_CT_ORIGSRC_PORT << i);
		uint16_t port = (i & 1) ? t[i / 2].dport : t[i / 2].sport;

		if ((f & fl) && !port_in(m->u.ct.port[i][0], m->u.ct.port[i][1], port, inv & fl))
			return false;
	}
	if ((f & RULE_CT_STATUS) &&
			((m->u.ct.status_mask & ct->status) != 0) ^ !(inv & RULE_CT_STATUS))
		return false;
	return true;
}

static bool
iprange_mt(const struct rule_match *m, const struct pview *v)
{
	const struct ctg_pkt *pkt = v->rp->pkt;
	int n = pkt->family == 4 ? 4 : 16;
	const uint8_t *sa = pkt->l3 + (pkt->family == 4 ? 12 : 8);
	const uint8_t *da = sa + n;

	if (m->inv & RULE_PINV_SRCR) {
		bool out = memcmp(sa, m->u.iprange.src[0].b, (size_t)n) < 0 ||
			   memcmp(sa, m->u.iprange.src[1].b, (size_t)n) > 0;

		if (out ^ !!(m->inv & RULE_PINV_SRC))
			return false;
	}
	if (m->inv & RULE_PINV_DSTR) {
		bool out = memcmp(da, m->u.iprange.dst[0].b, (size_t)n) < 0 ||
			   memcmp(da, m->u.iprange.dst[1].b, (size_t)n) > 0;

		if (out ^ !!(m->inv & RULE_PINV_DST))
			return false;
	}
	return true;
}

static bool
helper_mt(const struct rule_match *m, const struct pview *v)
{
	bool ret = m->inv != 0;
	const char *h = v->rp->master_helper;

	if (v->rp->conn == NULL || h == NULL)
		return ret;
	if (m->u.helper.name[0] == '\0')
		return !ret;
	return ret ^ (strncmp(h, m->u.helper.name, strlen(h)) == 0);
}

/* @return 1 match, 0 no match, -1 hotdrop. */
static int
match_one(const struct rule_match *m, struct pview *v, struct ctg_rule_counters *cnt,
		uint64_t now_ns)
{
	switch ((enum rule_match_kind)m->kind) {
	case RM_TCP:
	case RM_UDP:
		return tcpudp_mt(m, v);
	case RM_ICMP:
	case RM_ICMP6:
		return icmp_mt(m, v);
	case RM_MULTIPORT:
		return multiport_mt(m, v);
	case RM_STATE:
		return ((m->u.state.mask & state_bit(v->rp)) != 0) ^ (m->inv != 0);
	case RM_CONNTRACK:
		return conntrack_mt(m, v);
	case RM_IPRANGE:
		return iprange_mt(m, v);
	case RM_LENGTH:
		return (v->rp->pkt->len >= m->u.length.min && v->rp->pkt->len <= m->u.length.max) ^
		       (m->inv != 0);
	case RM_LIMIT:
		return limit_mt(m, cnt, now_ns);
	case RM_COMMENT:
		return 1;
	case RM_MARK:
		return ((v->mark & m->u.mark.mask) == m->u.mark.value) ^ (m->inv != 0);
	case RM_CONNMARK:
		if (v->rp->conn == NULL)
			return 0;
		return ((v->ctmark & m->u.mark.mask) == m->u.mark.value) ^ (m->inv != 0);
	case RM_HELPER:
		return helper_mt(m, v);
	case RM_TTL:
	case RM_HL:
		return ttl_mt(m, v);
	case RM_DSCP:
		return ((uint8_t)(ip_tos(v) >> 2) == m->u.dscp.value) ^ (m->inv != 0);
	case RM_COUNT:
		break;
	}
	return 0;
}

static bool
masked_ne(const uint8_t *a, const union ctg_addr *r, const union ctg_addr *m, int n)
{
	for (int i = 0; i < n; i++)
		if ((a[i] & m->b[i]) != r->b[i])
			return true;
	return false;
}

bool
rule_match_ip(const struct rule *r, const struct ctg_rule_pkt *rp)
{
	const struct ctg_pkt *pkt = rp->pkt;
	int n = pkt->family == 4 ? 4 : 16;
	const uint8_t *sa = pkt->l3 + (pkt->family == 4 ? 12 : 8);

	if (masked_ne(sa, &r->src, &r->smask, n) ^ !!(r->inv & RULE_INV_SRC))
		return false;
	if (masked_ne(sa + n, &r->dst, &r->dmask, n) ^ !!(r->inv & RULE_INV_DST))
		return false;
	if (r->has_in) {
		bool hit = rp->in_port < RULE_MAX_PORTS && ((r->in_mask >> rp->in_port) & 1);

		if (!hit ^ !!(r->inv & RULE_INV_IN))
			return false;
	}
	if (r->has_out) {
		bool hit = rp->out_port < RULE_MAX_PORTS && ((r->out_mask >> rp->out_port) & 1);

		if (!hit ^ !!(r->inv & RULE_INV_OUT))
			return false;
	}
	if (r->proto != 0 && ((pkt->proto != r->proto) ^ !!(r->inv & RULE_INV_PROTO)))
		return false;
	if (r->frag || (r->inv & RULE_INV_FRAG)) {
		bool isfrag = pkt->frag && pkt->frag_off != 0;

		if ((r->frag && !isfrag) ^ !!(r->inv & RULE_INV_FRAG))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------------------- */
/* Candidate iteration. */

#define CURSOR_LISTS (RULE_DIM_COUNT + 1)

/* The candidates of one chain: the lists the packet's keys select, merged in order. */
struct cursor {
	const uint32_t *list[CURSOR_LISTS];
	uint32_t pos[CURSOR_LISTS];
	uint32_t len[CURSOR_LISTS];
	uint32_t nb_lists;
	uint32_t lin; /* linear mode: next position */
	uint32_t end; /* linear mode: chain length; UINT32_MAX in indexed mode */
};

/* The packet's classifier keys (rule_classify.c). */
struct pkey {
	bool fast; /* classified; false: no match may hotdrop it is not guaranteed: linear */
	struct rule_key k[RULE_DIM_COUNT];
};

static uint32_t
state_index(const struct ctg_rule_pkt *rp)
{
	switch ((enum ctg_ct_state)rp->ct_state) {
	case CTG_CT_ESTABLISHED:
		return 1;
	case CTG_CT_RELATED:
		return 2;
	case CTG_CT_NEW:
		return 3;
	case CTG_CT_UNTRACKED:
		return 4;
	case CTG_CT_INVALID:
	case CTG_CT_STATE_COUNT:
		break;
	}
	return 0; /* INVALID, as state_bit() */
}

/* The elementary interval of @p k in dimension @p d: its rule list. */
static void
dim_lookup(const struct rule_dim_index *d, const struct rule_key *k, const uint32_t **list,
		uint32_t *len)
{
	uint32_t lo, hi, i;

	if (d->s32 != NULL) {
		const uint32_t *st = d->s32;
		uint32_t x = (uint32_t)k->lo, b;

		if (x < d->base) {
			i = 0;
			goto found;
		}
		b = (x - d->base) >> d->dir_shift;
		if (b >= d->nb_dir)
			b = d->nb_dir - 1;
		lo = d->dir[b];
		hi = d->dir[b + 1];
		/* Count the interval starts <= x (all below lo are). */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (st[mid] <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
	} else {
		const struct rule_key *st = d->starts;

		lo = 0;
		hi = d->nb;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (st[mid].hi < k->hi || (st[mid].hi == k->hi && st[mid].lo <= k->lo))
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	i = lo - 1;
found:
	*list = d->list + d->off[i];
	*len = d->off[i + 1] - d->off[i];
}

static void
cursor_init(struct cursor *c, const struct rule_chain *ch, const struct pkey *k)
{
	const struct rule_index *ix = &ch->idx;
	uint32_t n = 0;

	if (!ix->built || !k->fast) {
		c->nb_lists = 0;
		c->lin = 0;
		c->end = ch->nb;
		return;
	}
	c->end = UINT32_MAX;
	if (ix->nb_wild != 0) {
		c->list[0] = ix->wild;
		c->len[0] = ix->nb_wild;
		c->pos[0] = 0;
		n = 1;
	}
	for (uint32_t d = 0; d < RULE_DIM_COUNT; d++) {
		if (!(ix->used & (1u << d)))
			continue;
		dim_lookup(&ix->dim[d], &k->k[d], &c->list[n], &c->len[n]);
		if (c->len[n] != 0)
			c->pos[n++] = 0;
	}
	c->nb_lists = n;
}

static uint32_t
cursor_next(struct cursor *c)
{
	uint32_t best = UINT32_MAX, bi = 0;

	if (c->end != UINT32_MAX)
		return c->lin < c->end ? c->lin++ : UINT32_MAX;
	for (uint32_t i = 0; i < c->nb_lists; i++) {
		if (c->pos[i] < c->len[i] && c->list[i][c->pos[i]] < best) {
			best = c->list[i][c->pos[i]];
			bi = i;
		}
	}
	if (best != UINT32_MAX)
		c->pos[bi]++;
	return best;
}

/*
 * A packet is classified only when no match can hotdrop it (rule_classify.c): not a
 * non-first fragment, and a transport header as long as the matches of its protocol
 * read (TCP: the data offset too, for --tcp-option).
 */
static void
pkey_init(struct pkey *k, const struct pview *v)
{
	const struct ctg_pkt *pkt = v->rp->pkt;
	int n = pkt->family == 4 ? 4 : 16;
	const uint8_t *sa = pkt->l3 + (pkt->family == 4 ? 12 : 8);
	uint64_t sp = 0, dp = 0;
	uint32_t need = 0;
	bool ports = true;

	k->fast = v->fragoff == 0 && !(pkt->frag && pkt->frag_off != 0);
	switch (pkt->proto) {
	case 6:
		need = 20;
		if (v->l4len >= 20) {
			uint32_t hlen = (uint32_t)(v->l4[12] >> 4) * 4;

			if (hlen < 20 || hlen > v->l4len)
				k->fast = false;
		}
		break;
	case 17:
	case 136:
		need = 8;
		break;
	case 132:
	case 33:
		need = 4;
		break;
	case 1:
	case 58:
		need = 8;
		ports = false;
		break;
	default:
		ports = false;
		break;
	}
	if (v->l4len < need)
		k->fast = false;
	if (!k->fast)
		return;
	if (ports) {
		sp = ctg_get_be16(v->l4);
		dp = ctg_get_be16(v->l4 + 2);
	}
	rule_key_addr(&k->k[RULE_DIM_SRC], sa, pkt->family);
	rule_key_addr(&k->k[RULE_DIM_DST], sa + n, pkt->family);
	k->k[RULE_DIM_SPORT].hi = 0;
	k->k[RULE_DIM_SPORT].lo = (uint64_t)pkt->proto << 16 | sp;
	k->k[RULE_DIM_DPORT].hi = 0;
	k->k[RULE_DIM_DPORT].lo = (uint64_t)pkt->proto << 16 | dp;
	k->k[RULE_DIM_PROTO].hi = 0;
	k->k[RULE_DIM_PROTO].lo = pkt->proto;
	k->k[RULE_DIM_STATE].hi = 0;
	k->k[RULE_DIM_STATE].lo = state_index(v->rp);
}

/* ---------------------------------------------------------------------------------- */
/* The walk. */

struct frame {
	uint32_t chain;
	struct cursor cur;
};

static void
result_init(struct ctg_rule_result *res, const struct ctg_pkt *pkt)
{
	res->verdict = CTG_RULE_ACCEPT;
	res->reject = 0;
	res->flags = 0;
	res->zone = 0;
	res->nb_log = 0;
	res->family = pkt->family;
	res->helper = NULL;
	res->mark = 0;
	res->connmark = 0;
	res->rule = CTG_RULE_NONE;
	res->line = 0;
}

static void
log_hit(struct ctg_rule_result *res, const struct rule *r, uint32_t idx)
{
	struct ctg_rule_log_hit *h;

	if (res->nb_log >= CTG_RULE_MAX_LOG) {
		res->flags |= CTG_RULE_F_LOG_LOST;
		return;
	}
	h = &res->log[res->nb_log++];
	h->prefix = r->log_prefix != NULL ? r->log_prefix : "";
	h->rule = idx;
	h->line = r->line;
	h->level = r->log_level;
	h->nflog = r->target == RT_NFLOG;
	h->group = r->nflog_group;
}

void
ctg_rule_eval(const struct ctg_rule_set *rs, enum ctg_rule_hook hook,
		const struct ctg_rule_pkt *rp, struct ctg_rule_counters *cnt, uint64_t now_ns,
		struct ctg_rule_result *res)
{
	const struct ctg_pkt *pkt = rp->pkt;
	int fi = pkt->family == 4 ? 0 : 1;
	struct frame stack[RULE_MAX_DEPTH];
	uint32_t sp = 0, base, chain;
	struct cursor cur;
	struct pview v;
	struct pkey key;
	bool ct_done = false;

	result_init(res, pkt);
	if (cnt != NULL && cnt->rs != rs)
		cnt = NULL;
	if (!rs->filters[fi]) {
		res->flags |= CTG_RULE_F_UNFILTERED;
		return;
	}
	base = (unsigned int)hook < CTG_RULE_HOOK_COUNT ? rs->hook_chain[fi][hook] : UINT32_MAX;
	if (base == UINT32_MAX) {
		/* The table was not loaded: its built-in chains are empty with policy ACCEPT. */
		res->flags |= CTG_RULE_F_POLICY;
		return;
	}
	v.rp = rp;
	v.l4 = ctg_pkt_l4(pkt);
	v.l4len = ctg_pkt_l4_len(pkt);
	v.fragoff = pkt->frag ? pkt->frag_off / 8 : 0;
	v.mark = rp->mark;
	v.ctmark = rp->conn != NULL ? rp->conn->mark : 0;
	pkey_init(&key, &v);

	chain = base;
	cursor_init(&cur, &rs->chains[chain], &key);
	for (;;) {
		const struct rule_chain *ch = &rs->chains[chain];
		uint32_t p = cursor_next(&cur);
		const struct rule *r;
		uint32_t idx;
		bool ok = true;

		if (p == UINT32_MAX) {
			/* End of chain: implicit RETURN. */
			goto do_return;
		}
		idx = ch->first + p;
		r = &rs->rules[idx];
		if (!rule_match_ip(r, rp))
			continue;
		for (uint32_t i = 0; i < r->nb_match && ok; i++) {
			int m = match_one(&rs->matches[r->match_first + i], &v, cnt, now_ns);

			if (m < 0) {
				res->verdict = CTG_RULE_DROP;
				res->flags |= CTG_RULE_F_HOTDROP;
				res->rule = idx;
				res->line = r->line;
				goto out;
			}
			ok = m != 0;
		}
		if (!ok)
			continue;
		if (cnt != NULL) {
			cnt->rule[idx].packets++;
			cnt->rule[idx].bytes += pkt->len;
		}
		switch ((enum rule_target_kind)r->target) {
		case RT_NONE:
			continue;
		case RT_ACCEPT:
		case RT_DROP:
		case RT_REJECT:
			res->verdict = r->target == RT_ACCEPT ? CTG_RULE_ACCEPT
				     : r->target == RT_DROP   ? CTG_RULE_DROP
							      : CTG_RULE_REJECT;
			res->reject = r->reject;
			res->rule = idx;
			res->line = r->line;
			goto out;
		case RT_RETURN:
			goto do_return;
		case RT_JUMP:
			if (sp >= RULE_MAX_DEPTH) {
				res->verdict = CTG_RULE_DROP;
				res->rule = idx;
				res->line = r->line;
				goto out;
			}
			stack[sp].chain = chain;
			stack[sp].cur = cur;
			sp++;
			/* fall through */
		case RT_GOTO:
			chain = r->jump;
			cursor_init(&cur, &rs->chains[chain], &key);
			continue;
		case RT_LOG:
		case RT_NFLOG:
			log_hit(res, r, idx);
			continue;
		case RT_NOTRACK:
		case RT_CT:
			/* The first CT/NOTRACK attaches a template; later ones see it and pass. */
			if (ct_done)
				continue;
			ct_done = true;
			if (r->ct_notrack) {
				res->flags |= CTG_RULE_F_NOTRACK;
				continue;
			}
			if (r->has_zone) {
				res->flags |= CTG_RULE_F_CT_ZONE;
				res->zone = r->zone;
			}
			if (r->helper != NULL) {
				res->flags |= CTG_RULE_F_CT_HELPER;
				res->helper = r->helper;
			}
			continue;
		case RT_MARK:
			v.mark = (v.mark & ~r->mark_mask) ^ r->mark_value;
			res->flags |= CTG_RULE_F_MARK;
			res->mark = v.mark;
			continue;
		case RT_CONNMARK:
			if (rp->conn == NULL)
				continue;
			if (r->connmark_mode == 2) {
				v.mark = (v.mark & ~r->nfmask) ^ (v.ctmark & r->mark_mask);
				res->flags |= CTG_RULE_F_MARK;
				res->mark = v.mark;
				continue;
			}
			if (r->connmark_mode == 1)
				v.ctmark = (v.ctmark & ~r->mark_mask) ^ (v.mark & r->nfmask);
			else
				v.ctmark = (v.ctmark & ~r->mark_mask) ^ r->mark_value;
			res->flags |= CTG_RULE_F_CONNMARK;
			res->connmark = v.ctmark;
			continue;
		case RT_COUNT:
			continue;
		}
		continue;
do_return:
		if (sp == 0) {
			const struct rule_chain *bc = &rs->chains[base];

			res->verdict = bc->policy == RT_DROP ? CTG_RULE_DROP : CTG_RULE_ACCEPT;
			res->flags |= CTG_RULE_F_POLICY;
			if (cnt != NULL) {
				cnt->policy[base].packets++;
				cnt->policy[base].bytes += pkt->len;
			}
			goto out;
		}
		sp--;
		chain = stack[sp].chain;
		cur = stack[sp].cur;
	}
out:
	return;
}

/* ---------------------------------------------------------------------------------- */
/* Counter blocks. */

struct ctg_rule_counters *
ctg_rule_counters_create(const struct ctg_rule_set *rs)
{
	struct ctg_rule_counters *c;
	size_t sz;

	if (rs == NULL)
		return NULL;
	sz = sizeof(*c) + (size_t)(rs->nb_rules + rs->nb_chains) * sizeof(struct rule_cnt) +
	     (size_t)rs->nb_limits * sizeof(struct rule_limit_state);
	c = calloc(1, sz);
	if (c == NULL)
		return NULL;
	c->rs = rs;
	c->nb_rules = rs->nb_rules;
	c->nb_chains = rs->nb_chains;
	c->nb_limits = rs->nb_limits;
	c->rule = (struct rule_cnt *)(c + 1);
	c->policy = c->rule + rs->nb_rules;
	c->limit = (struct rule_limit_state *)(c->policy + rs->nb_chains);
	return c;
}

void
ctg_rule_counters_free(struct ctg_rule_counters *cnt)
{
	free(cnt);
}

void
ctg_rule_counters_zero(struct ctg_rule_counters *cnt)
{
	if (cnt == NULL)
		return;
	memset(cnt->rule, 0, (size_t)(cnt->nb_rules + cnt->nb_chains) * sizeof(struct rule_cnt));
}

void
ctg_rule_counters_sum(struct ctg_rule_counters *dst, const struct ctg_rule_counters *src)
{
	if (dst == NULL || src == NULL || dst->rs != src->rs)
		return;
	for (uint32_t i = 0; i < dst->nb_rules + dst->nb_chains; i++) {
		dst->rule[i].packets += src->rule[i].packets;
		dst->rule[i].bytes += src->rule[i].bytes;
	}
}

int
ctg_rule_counters_get(const struct ctg_rule_counters *cnt, uint32_t idx, uint64_t *packets,
		uint64_t *bytes)
{
	if (cnt == NULL || idx >= cnt->nb_rules)
		return -ENOENT;
	*packets = cnt->rule[idx].packets;
	*bytes = cnt->rule[idx].bytes;
	return 0;
}
