/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier: which rules of a chain can a packet match at all?
 *
 * Overview. Every rule of an indexed chain is filed under exactly one *dimension*
 * (source address, destination address, source port, destination port, protocol,
 * conntrack state) or in the chain's "wild" list. Filing a rule under dimension D with
 * the key ranges R states a necessary condition: a packet whose D-key is outside R
 * cannot match the rule. Per dimension, the ranges of all rules filed there cut the key
 * space into elementary intervals (sorted interval starts, found by binary search behind
 * a direct-mapped first level); each interval has the ascending list of the rule
 * positions whose ranges cover it. A packet looks up one interval per dimension that has
 * rules, and its candidates are the union of those (at most six) lists and the wild
 * list, merged in rule order (rule_eval.c). So a packet visits the rules that pass the
 * one condition each is filed under, not the whole chain: on the benchmark's 10,000
 * rules (/32 and /24 sources, /32 destinations, port ranges, --ctstate NEW) an
 * established packet gets the final ESTABLISHED,RELATED rule and nothing else.
 *
 * Keys (struct rule_key, 128 bits compared as hi:lo):
 *   SRC, DST   the address (IPv4 in lo, IPv6 as two big-endian halves);
 *   SPORT,
 *   DPORT      proto << 16 | port, so that a "-p tcp --dport 22" rule is one exact range
 *              and tcp and udp ports do not collide (packets without ports: port 0);
 *   PROTO      the transport protocol;
 *   STATE      the index of the packet's state bit (INVALID, ESTABLISHED, RELATED, NEW,
 *              UNTRACKED: the bit rule_eval.c's state_bit() gives).
 *
 * Which conditions are necessary. The walk checks the IP part (-s, -d, -p, ...) first,
 * then the matches in rule order and stops at the first that fails. A rule may be
 * skipped because a condition of match i fails only if the matches before i could not
 * have done anything else: no side effect (-m limit updates its bucket) and no hotdrop.
 * So conditions are taken from the IP part and from the matches up to the first -m
 * limit; and packets on which a match could hotdrop (non-first fragments, transport
 * headers shorter than the protocol's header or than the TCP data offset, ICMP shorter
 * than 8 bytes) are never classified: they take the linear walk (rule_eval.c). The
 * conditions: -s/-d (not inverted; a dotted non-contiguous mask gives the enclosing
 * range), -p (not inverted), --sport/--dport of -m tcp/udp (inverted: the two ranges
 * around), multiport --sports/--dports (not inverted), --state/--ctstate (the
 * ctstate test is the first thing xt_conntrack does), --src-range/--dst-range.
 *
 * Which dimension. Each rule goes where it is most selective: a score in bits (address
 * ranges: width minus log2 of the range size; ports: 16 minus log2 of the ports plus 2
 * for the protocol; state: 2 for one state, 1 for two; protocol: 3) minus log2 of the
 * number of rules with the very same ranges in that dimension (a /24 that 2,000 rules
 * share selects nothing once a packet is in it). Ties go to DST, SRC, DPORT, SPORT,
 * STATE, PROTO in that order. A dimension that would put a rule in more than
 * RULE_CLS_MAX_SPAN elementary intervals (a /8 over a thousand /32s, a wide port range
 * over many single ports) is refused to that rule, which then takes its next choice;
 * this bounds the lists to RULE_CLS_MAX_SPAN entries per rule and range, so memory is
 * linear in the rules (figures in README.md).
 *
 * Life-cycle. Built by rule_compile() on the control core into the chain's rule_index,
 * immutable afterwards, freed with the set. Lookups (rule_cls_find) allocate nothing.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"

#include "rule_private.h"

#define RULE_CLS_MAX_SPAN   64 /* elementary intervals one range of a rule may cover */
#define RULE_CLS_MAX_RANGES 16 /* ranges of one rule in one dimension (multiport: 15) */
#define RULE_CLS_ROUNDS	    8  /* refiling rounds before offenders go to the wild list */
#define RULE_CLS_WILD	    RULE_DIM_COUNT

struct krange {
	struct rule_key lo, hi;
};

/* ---------------------------------------------------------------------------------- */
/* Keys. */

static int
key_cmp(const struct rule_key *a, const struct rule_key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static int
key_qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

/* @return false if @p k is the largest key (no successor). */
static bool
key_inc(struct rule_key *k)
{
	if (++k->lo != 0)
		return true;
	if (++k->hi != 0)
		return true;
	k->lo = k->hi = UINT64_MAX;
	return false;
}

static struct rule_key
key_small(uint64_t v)
{
	struct rule_key k = { .hi = 0, .lo = v };

	return k;
}

void
rule_key_addr(struct rule_key *k, const uint8_t *a, int family)
{
	uint64_t hi = 0, lo = 0;

	if (family == 4) {
		k->hi = 0;
		k->lo = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[2] << 8 | a[3];
		return;
	}
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | a[i];
		lo = lo << 8 | a[8 + i];
	}
	k->hi = hi;
	k->lo = lo;
}

/* floor(log2(hi - lo + 1)) of a range, 128 when it is the whole 128-bit space. */
static int
range_log2(const struct krange *r)
{
	uint64_t dh = r->hi.hi - r->lo.hi, dl = r->hi.lo - r->lo.lo;

	if (r->hi.lo < r->lo.lo)
		dh--;
	/* size = (dh:dl) + 1 */
	if (dl == UINT64_MAX) {
		dl = 0;
		dh++;
		if (dh == 0)
			return 128;
		return 64 + 63 - __builtin_clzll(dh);
	}
	dl++;
	if (dh != 0)
		return 64 + 63 - __builtin_clzll(dh);
	return 63 - __builtin_clzll(dl);
}

static int
ilog2_u32(uint32_t v)
{
	return v <= 1 ? 0 : 31 - __builtin_clz(v);
}

/* ---------------------------------------------------------------------------------- */
/* Conditions of a rule. */

static int
addr_range(const union ctg_addr *a, const union ctg_addr *m, int family, struct krange *out)
{
	int n = family == 4 ? 4 : 16;
	uint8_t lo[16], hi[16];
	bool all = true;

	for (int i = 0; i < n; i++) {
		lo[i] = a->b[i] & m->b[i];
		hi[i] = lo[i] | (uint8_t)~m->b[i];
		if (m->b[i] != 0)
			all = false;
	}
	if (all)
		return 0;
	rule_key_addr(&out->lo, lo, family);
	rule_key_addr(&out->hi, hi, family);
	return 1;
}

static int
ip_range(const union ctg_addr *lo, const union ctg_addr *hi, int family, bool inv,
		struct krange *out)
{
	struct krange r;
	struct rule_key max = { .hi = family == 4 ? 0 : UINT64_MAX,
		.lo = family == 4 ? UINT32_MAX : UINT64_MAX };
	int n = 0;

	rule_key_addr(&r.lo, lo->b, family);
	rule_key_addr(&r.hi, hi->b, family);
	if (key_cmp(&r.lo, &r.hi) > 0)
		return inv ? 0 : -1; /* empty range: never (or, inverted, always) true */
	if (!inv) {
		out[0] = r;
		return 1;
	}
	/* The complement: below lo and above hi. */
	if (r.lo.hi != 0 || r.lo.lo != 0) {
		out[n].lo = key_small(0);
		out[n].hi = r.lo;
		if (out[n].hi.lo-- == 0)
			out[n].hi.hi--;
		n++;
	}
	if (key_cmp(&r.hi, &max) < 0) {
		out[n].lo = r.hi;
		key_inc(&out[n].lo);
		out[n].hi = max;
		n++;
	}
	return n;
}

static int
port_ranges(uint8_t proto, uint16_t lo, uint16_t hi, bool inv, struct krange *out)
{
	uint64_t base = (uint64_t)proto << 16;
	int n = 0;

	if (lo > hi)
		return inv ? 0 : -1;
	if (!inv) {
		if (lo == 0 && hi == UINT16_MAX)
			return 0;
		out[0].lo = key_small(base | lo);
		out[0].hi = key_small(base | hi);
		return 1;
	}
	if (lo > 0) {
		out[n].lo = key_small(base);
		out[n].hi = key_small(base | (uint64_t)(lo - 1));
		n++;
	}
	if (hi < UINT16_MAX) {
		out[n].lo = key_small(base | (uint64_t)(hi + 1));
		out[n].hi = key_small(base | UINT16_MAX);
		n++;
	}
	return n == 0 ? -1 : n;
}

/* State index -> bit, as rule_eval.c's state_bit(). */
static const uint16_t state_bits[RULE_CLS_NB_STATES] = { RULE_ST_INVALID, RULE_ST_ESTABLISHED,
	RULE_ST_RELATED, RULE_ST_NEW, RULE_ST_UNTRACKED };

static int
state_ranges(uint16_t mask, bool inv, struct krange *out)
{
	int n = 0, cnt = 0;

	for (int i = 0; i < RULE_CLS_NB_STATES; i++) {
		bool pass = ((mask & state_bits[i]) != 0) ^ inv;

		if (!pass)
			continue;
		cnt++;
		if (n > 0 && out[n - 1].hi.lo + 1 == (uint64_t)i) {
			out[n - 1].hi.lo++;
			continue;
		}
		out[n].lo = key_small((uint64_t)i);
		out[n].hi = key_small((uint64_t)i);
		n++;
	}
	if (cnt == 0)
		return -1;
	return cnt == RULE_CLS_NB_STATES ? 0 : n;
}

/*
 * Ranges of dimension @p dim that any packet matching @p r has: > 0 ranges, 0 when the
 * rule has no usable condition there, -1 when the condition can never hold (the rule
 * never matches; filed anywhere it would only cost, so it is filed under it: no range).
 */
static int
rule_dim_ranges(const struct ctg_rule_set *rs, const struct rule *r, int dim, struct krange *out)
{
	int fam = r->family;

	switch (dim) {
	case RULE_DIM_SRC:
		if (!(r->inv & RULE_INV_SRC) && addr_range(&r->src, &r->smask, fam, out) > 0)
			return 1;
		break;
	case RULE_DIM_DST:
		if (!(r->inv & RULE_INV_DST) && addr_range(&r->dst, &r->dmask, fam, out) > 0)
			return 1;
		break;
	case RULE_DIM_PROTO:
		if (r->proto != 0 && !(r->inv & RULE_INV_PROTO)) {
			out[0].lo = out[0].hi = key_small(r->proto);
			return 1;
		}
		return 0;
	default:
		break;
	}
	for (uint32_t i = 0; i < r->nb_match; i++) {
		const struct rule_match *m = &rs->matches[r->match_first + i];
		int n = 0;

		switch ((enum rule_match_kind)m->kind) {
		case RM_TCP:
		case RM_UDP:
			if (dim == RULE_DIM_SPORT)
				n = port_ranges(r->proto, m->u.tcp.spt[0], m->u.tcp.spt[1],
						m->inv & RULE_PINV_SPT, out);
			else if (dim == RULE_DIM_DPORT)
				n = port_ranges(r->proto, m->u.tcp.dpt[0], m->u.tcp.dpt[1],
						m->inv & RULE_PINV_DPT, out);
			break;
		case RM_MULTIPORT:
			if (m->inv || m->u.mp.kind == RULE_MP_ANY ||
					(m->u.mp.kind == RULE_MP_SRC) != (dim == RULE_DIM_SPORT) ||
					(dim != RULE_DIM_SPORT && dim != RULE_DIM_DPORT))
				break;
			for (int k = 0; k < m->u.mp.count; k++) {
				int c = port_ranges(r->proto, m->u.mp.ports[k][0], m->u.mp.ports[k][1],
						false, out + n);

				if (c == 0)
					return 0; /* 0:65535 among them: no condition */
				n += c > 0 ? c : 0;
			}
			if (n == 0)
				n = -1;
			break;
		case RM_STATE:
			if (dim == RULE_DIM_STATE)
				n = state_ranges(m->u.state.mask, m->inv != 0, out);
			break;
		case RM_CONNTRACK:
			if (dim == RULE_DIM_STATE && (m->u.ct.flags & RULE_CT_STATE))
				n = state_ranges(m->u.ct.state_mask,
						(m->u.ct.invflags & RULE_CT_STATE) != 0, out);
			break;
		case RM_IPRANGE:
			if (dim == RULE_DIM_SRC && (m->inv & RULE_PINV_SRCR))
				n = ip_range(&m->u.iprange.src[0], &m->u.iprange.src[1], fam,
						m->inv & RULE_PINV_SRC, out);
			else if (dim == RULE_DIM_DST && (m->inv & RULE_PINV_DSTR))
				n = ip_range(&m->u.iprange.dst[0], &m->u.iprange.dst[1], fam,
						m->inv & RULE_PINV_DST, out);
			break;
		case RM_LIMIT:
			/* Side effect: nothing after it may skip the rule. */
			return 0;
		default:
			break;
		}
		if (n != 0)
			return n;
	}
	return 0;
}

/* Selectivity of @p n ranges of @p dim, in bits (see the file comment). */
static int
dim_bits(int dim, int family, const struct krange *rg, int n)
{
	int width = family == 4 ? 32 : 128, lg = 0;

	if (n < 0)
		return 200; /* never matches: anywhere is fine, this is best */
	if (n > 1) {
		/* Approximate the union by the largest range plus log2(n). */
		for (int i = 0; i < n; i++)
			if (range_log2(&rg[i]) > lg)
				lg = range_log2(&rg[i]);
		lg += ilog2_u32((uint32_t)n) + 1;
	} else {
		lg = range_log2(&rg[0]);
	}
	switch (dim) {
	case RULE_DIM_SRC:
	case RULE_DIM_DST:
		return width - lg;
	case RULE_DIM_SPORT:
	case RULE_DIM_DPORT:
		return 16 - lg + 2;
	case RULE_DIM_STATE:
		return n == 1 && rg[0].lo.lo == rg[0].hi.lo ? 2 : 1;
	default:
		return 3;
	}
}

/* ---------------------------------------------------------------------------------- */
/* Build. */

struct cls_rule {
	uint8_t dim;	     /* chosen dimension or RULE_CLS_WILD */
	uint8_t banned;	     /* dimensions refused to this rule (span too wide) */
	int16_t score[RULE_DIM_COUNT];
};

/* Signature of a rule's ranges in one dimension, to count identical conditions. */
struct cls_sig {
	uint64_t h;
	uint32_t dim;
	uint32_t rule;
};

static uint64_t
ranges_hash(const struct krange *rg, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL * (uint64_t)(n + 1);

	for (int i = 0; i < n; i++) {
		const uint64_t w[4] = { rg[i].lo.hi, rg[i].lo.lo, rg[i].hi.hi, rg[i].hi.lo };

		for (int k = 0; k < 4; k++) {
			h ^= w[k];
			h *= 0xff51afd7ed558ccdULL;
			h ^= h >> 33;
		}
	}
	return h;
}

static int
sig_cmp(const void *a, const void *b)
{
	const struct cls_sig *x = a, *y = b;

	if (x->dim != y->dim)
		return x->dim < y->dim ? -1 : 1;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return 0;
}

/* Scores of every (rule, dimension); INT16_MIN where the rule has no condition. */
static int
cls_score(const struct ctg_rule_set *rs, const struct rule_chain *ch, struct cls_rule *cr)
{
	struct cls_sig *sig = calloc((size_t)ch->nb * RULE_DIM_COUNT + 1, sizeof(*sig));
	struct krange rg[RULE_CLS_MAX_RANGES];
	uint32_t ns = 0;

	if (sig == NULL)
		return -ENOMEM;
	for (uint32_t p = 0; p < ch->nb; p++) {
		const struct rule *r = &rs->rules[ch->first + p];

		for (int d = 0; d < RULE_DIM_COUNT; d++) {
			int n = rule_dim_ranges(rs, r, d, rg);

			cr[p].score[d] = INT16_MIN;
			if (n == 0)
				continue;
			cr[p].score[d] = (int16_t)dim_bits(d, r->family, rg, n);
			sig[ns].h = ranges_hash(rg, n > 0 ? n : 0);
			sig[ns].dim = (uint32_t)d;
			sig[ns].rule = p;
			ns++;
		}
	}
	qsort(sig, ns, sizeof(*sig), sig_cmp);
	for (uint32_t i = 0; i < ns;) {
		uint32_t j = i;

		while (j < ns && sig_cmp(&sig[i], &sig[j]) == 0)
			j++;
		for (uint32_t k = i; k < j; k++)
			cr[sig[k].rule].score[sig[k].dim] =
					(int16_t)(cr[sig[k].rule].score[sig[k].dim] -
							ilog2_u32(j - i));
		i = j;
	}
	free(sig);
	return 0;
}

static void
cls_choose(struct cls_rule *c)
{
	static const uint8_t order[RULE_DIM_COUNT] = { RULE_DIM_DST, RULE_DIM_SRC,
		RULE_DIM_DPORT, RULE_DIM_SPORT, RULE_DIM_STATE, RULE_DIM_PROTO };
	int best = INT16_MIN;

	c->dim = RULE_CLS_WILD;
	for (int i = 0; i < RULE_DIM_COUNT; i++) {
		int d = order[i];

		if ((c->banned & (1u << d)) || c->score[d] == INT16_MIN || c->score[d] <= best)
			continue;
		best = c->score[d];
		c->dim = (uint8_t)d;
	}
}

/* Index of the elementary interval holding @p k in a sorted start array. */
static uint32_t
starts_find(const struct rule_key *st, uint32_t nb, const struct rule_key *k)
{
	uint32_t lo = 0, hi = nb;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (key_cmp(&st[mid], k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* Width in bits of the keys of @p dim when they fit in 32 bits (first level), else 0. */
static int
dim_key_width(int dim, int family)
{
	switch (dim) {
	case RULE_DIM_SRC:
	case RULE_DIM_DST:
		return family == 4 ? 32 : 0;
	case RULE_DIM_SPORT:
	case RULE_DIM_DPORT:
		return 24;
	case RULE_DIM_PROTO:
		return 8;
	default:
		return 3;
	}
}

/* Sorted unique interval starts of the rules filed under @p dim (first one: key 0). */
static int
dim_starts(const struct ctg_rule_set *rs, const struct rule_chain *ch, const struct cls_rule *cr,
		int dim, struct rule_key **out, uint32_t *nb_out)
{
	struct krange rg[RULE_CLS_MAX_RANGES];
	int width = dim_key_width(dim, ch->family);
	struct rule_key *st;
	uint32_t cap = 1, n = 0, u = 0;

	for (uint32_t p = 0; p < ch->nb; p++) {
		int c;

		if (cr[p].dim != dim)
			continue;
		c = rule_dim_ranges(rs, &rs->rules[ch->first + p], dim, rg);

		cap += 2 * (uint32_t)(c > 0 ? c : 0);
	}
	st = malloc(cap * sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st[n++] = key_small(0);
	for (uint32_t p = 0; p < ch->nb; p++) {
		int c;

		if (cr[p].dim != dim)
			continue;
		c = rule_dim_ranges(rs, &rs->rules[ch->first + p], dim, rg);

		for (int i = 0; i < c; i++) {
			struct rule_key e = rg[i].hi;

			st[n++] = rg[i].lo;
			/* No start past the largest key (the 32-bit first level needs that). */
			if (key_inc(&e) && (width == 0 || (e.hi == 0 && e.lo >> width == 0)))
				st[n++] = e;
		}
	}
	qsort(st, n, sizeof(*st), key_qcmp);
	for (uint32_t i = 0; i < n; i++)
		if (u == 0 || key_cmp(&st[u - 1], &st[i]) != 0)
			st[u++] = st[i];
	*out = st;
	*nb_out = u;
	return 0;
}

/* Ban @p dim to the rules whose ranges span too many intervals. @return rules banned. */
static uint32_t
dim_check_span(const struct ctg_rule_set *rs, const struct rule_chain *ch, struct cls_rule *cr,
		int dim, const struct rule_key *st, uint32_t nb)
{
	struct krange rg[RULE_CLS_MAX_RANGES];
	uint32_t banned = 0;

	for (uint32_t p = 0; p < ch->nb; p++) {
		int c;

		if (cr[p].dim != dim)
			continue;
		c = rule_dim_ranges(rs, &rs->rules[ch->first + p], dim, rg);

		for (int i = 0; i < c; i++) {
			uint32_t a = starts_find(st, nb, &rg[i].lo);
			uint32_t b = starts_find(st, nb, &rg[i].hi);

			if (b - a + 1 > RULE_CLS_MAX_SPAN) {
				cr[p].banned |= (uint8_t)(1u << dim);
				banned++;
				break;
			}
		}
	}
	return banned;
}

/*
 * Fill dimension @p dim of @p ix from its interval starts: the lists (pass 0 counts,
 * pass 1 writes; a rule is added once to an interval even if its ranges overlap) and
 * the first level.
 */
static int
dim_build(const struct ctg_rule_set *rs, const struct rule_chain *ch, const struct cls_rule *cr,
		int dim, struct rule_key *st, uint32_t nb, struct rule_dim_index *di)
{
	struct krange rg[RULE_CLS_MAX_RANGES];
	uint32_t *last = malloc(((size_t)nb + 1) * sizeof(uint32_t));
	uint32_t *pos = malloc(((size_t)nb + 1) * sizeof(uint32_t));
	int width = dim_key_width(dim, ch->family);
	int rc = -ENOMEM;

	di->starts = st;
	di->nb = nb;
	di->off = calloc((size_t)nb + 1, sizeof(uint32_t));
	if (last == NULL || pos == NULL || di->off == NULL)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		memset(last, 0xff, nb * sizeof(uint32_t));
		for (uint32_t p = 0; p < ch->nb; p++) {
			int c;

			if (cr[p].dim != dim)
				continue;
			c = rule_dim_ranges(rs, &rs->rules[ch->first + p], dim, rg);
			for (int i = 0; i < c; i++) {
				uint32_t a = starts_find(st, nb, &rg[i].lo);
				uint32_t b = starts_find(st, nb, &rg[i].hi);

				for (uint32_t k = a; k <= b; k++) {
					if (last[k] == p)
						continue;
					last[k] = p;
					if (pass == 0)
						di->off[k + 1]++;
					else
						di->list[pos[k]++] = p;
				}
			}
		}
		if (pass == 1)
			break;
		/* Counts -> offsets: list k is list[off[k] .. off[k + 1]). */
		for (uint32_t k = 0; k < nb; k++)
			di->off[k + 1] += di->off[k];
		memcpy(pos, di->off, nb * sizeof(uint32_t));
		di->list = malloc(((size_t)di->off[nb] + 1) * sizeof(uint32_t));
		if (di->list == NULL)
			goto out;
	}
	rc = 0;
out:
	free(last);
	free(pos);
	if (rc != 0)
		return rc;

	if (width == 0 || nb == 1)
		return 0;
	/* 32-bit keys and the first level over [base, last start]. */
	di->s32 = malloc((size_t)nb * sizeof(uint32_t));
	if (di->s32 == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < nb; k++)
		di->s32[k] = (uint32_t)st[k].lo;
	free(di->starts);
	di->starts = NULL;
	{
		uint32_t span, nbk = 1u << (ilog2_u32(nb) + 2 > 16 ? 16 : ilog2_u32(nb) + 2);
		uint8_t shift = 0;

		di->base = di->s32[1];
		span = di->s32[nb - 1] - di->base;
		while (shift < 32 && (span >> shift) >= nbk)
			shift++;
		di->nb_dir = nbk;
		di->dir_shift = shift;
		di->dir = malloc(((size_t)nbk + 1) * sizeof(uint32_t));
		if (di->dir == NULL)
			return -ENOMEM;
		for (uint32_t b = 0, k = 0; b < nbk; b++) {
			uint64_t first = (uint64_t)di->base + ((uint64_t)b << shift);

			while (k < nb && di->s32[k] < first)
				k++;
			di->dir[b] = k;
		}
		di->dir[nbk] = nb;
	}
	return 0;
}

static size_t
dim_mem(const struct rule_dim_index *di)
{
	if (di->nb == 0)
		return 0;
	return (size_t)di->nb * (di->s32 != NULL ? 4 : sizeof(struct rule_key)) +
	       ((size_t)di->nb + 1) * 4 + ((size_t)di->off[di->nb] + 1) * 4 +
	       (di->dir != NULL ? ((size_t)di->nb_dir + 1) * 4 : 0);
}

int
rule_cls_build(const struct ctg_rule_set *rs, struct rule_chain *ch)
{
	struct rule_index *ix = &ch->idx;
	struct cls_rule *cr = calloc((size_t)ch->nb + 1, sizeof(*cr));
	struct rule_key *st[RULE_DIM_COUNT] = { NULL };
	uint32_t nbst[RULE_DIM_COUNT] = { 0 };
	int rc;

	memset(ix, 0, sizeof(*ix));
	if (cr == NULL)
		return -ENOMEM;
	rc = cls_score(rs, ch, cr);
	if (rc != 0)
		goto out;
	for (uint32_t p = 0; p < ch->nb; p++)
		cls_choose(&cr[p]);
	for (int round = 0;; round++) {
		uint32_t banned = 0;

		for (int d = 0; d < RULE_DIM_COUNT; d++) {
			free(st[d]);
			st[d] = NULL;
			rc = dim_starts(rs, ch, cr, d, &st[d], &nbst[d]);
			if (rc != 0)
				goto out;
			banned += dim_check_span(rs, ch, cr, d, st[d], nbst[d]);
		}
		if (banned == 0)
			break;
		for (uint32_t p = 0; p < ch->nb; p++) {
			if (cr[p].dim == RULE_CLS_WILD || !(cr[p].banned & (1u << cr[p].dim)))
				continue;
			if (round + 1 < RULE_CLS_ROUNDS)
				cls_choose(&cr[p]);
			else
				cr[p].dim = RULE_CLS_WILD;
		}
	}
	ix->wild = malloc(((size_t)ch->nb + 1) * sizeof(uint32_t));
	if (ix->wild == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t p = 0; p < ch->nb; p++)
		if (cr[p].dim == RULE_CLS_WILD)
			ix->wild[ix->nb_wild++] = p;
	ix->mem = ((size_t)ch->nb + 1) * sizeof(uint32_t);
	for (int d = 0; d < RULE_DIM_COUNT; d++) {
		bool used = false;

		for (uint32_t p = 0; p < ch->nb && !used; p++)
			used = cr[p].dim == d;
		if (!used)
			continue;
		rc = dim_build(rs, ch, cr, d, st[d], nbst[d], &ix->dim[d]);
		st[d] = NULL; /* owned by the index now */
		if (rc != 0)
			goto out;
		ix->used |= (uint8_t)(1u << d);
		ix->mem += dim_mem(&ix->dim[d]);
	}
	ix->built = 1;
out:
	for (int d = 0; d < RULE_DIM_COUNT; d++)
		free(st[d]);
	free(cr);
	return rc;
}

void
rule_cls_free(struct rule_index *ix)
{
	free(ix->wild);
	for (int d = 0; d < RULE_DIM_COUNT; d++) {
		free(ix->dim[d].starts);
		free(ix->dim[d].s32);
		free(ix->dim[d].off);
		free(ix->dim[d].list);
		free(ix->dim[d].dir);
	}
	memset(ix, 0, sizeof(*ix));
}
