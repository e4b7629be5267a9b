/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 and IPv6 reassembly with the semantics of Linux 6.18 nf_defrag_ipv4 and
 * nf_defrag_ipv6.
 *
 * Overview
 *
 *	frag_insert_v4() follows ip_defrag() -> ip_frag_queue() -> ip_frag_reasm()
 *	(net/ipv4/ip_fragment.c), frag_insert_v6() follows nf_ct_frag6_gather() ->
 *	nf_ct_frag6_queue() -> nf_ct_frag6_reasm() (net/ipv6/netfilter/nf_conntrack_reasm.c),
 *	and both place fragments as inet_frag_queue_insert() does (net/ipv4/inet_fragment.c).
 *	The checks run in the kernel's order and change the queue state in the kernel's
 *	order, because some of them leave the queue changed behind a dropped fragment (an
 *	IPv4 final fragment that turns out to be a duplicate still sets LAST_IN and the
 *	length). lib/frag/README.md lists every behaviour with its source. The code is
 *	written from the kernel's behaviour, not copied from it.
 *
 *	The two families differ in what a bad fragment costs: IPv4 throws the whole queue
 *	away for a bad end, an empty fragment or an overlap (ip_frag_queue's discard_qp),
 *	IPv6 drops only the fragment for a bad end or an empty one, keeps the queue, throws it
 *	away for an overlap, and for a non-final fragment whose length is not a multiple of 8
 *	throws the queue away but lets the fragment itself through unreassembled (-EPROTO
 *	mapped to NF_ACCEPT by nf_ct_frag6_gather).
 *
 * Life-cycle
 *
 *	A queue is found or created before any check, as inet_frag_find() does, so an IPv6
 *	fragment rejected without a kill (bad end, empty, too long) can leave an empty queue
 *	behind whose timer keeps running: a later fragment of that datagram inherits it, as
 *	in the kernel. A queue leaves the table when it completes, is killed, times out or
 *	is evicted; see frag_table.c.
 *
 * Ownership & synchronization
 *
 *	Owner worker only, like the table. The datagram completed by a call is built in the
 *	table's output buffer, valid until the next call.
 */

#include <string.h>

#include "ctg_frag.h"

#include "frag_private.h"

#define IP4_MF	     0x2000
#define IP4_DF	     0x4000
#define IP4_OFFMASK  0x1fff
#define IP6_MF	     0x0001
#define IP6_OFFMASK  0xfff8
#define NH_HOP	     0
#define NH_TCP	     6
#define NH_UDP	     17
#define NH_ROUTING   43
#define NH_FRAGMENT  44
#define NH_AUTH	     51
#define NH_ICMPV6    58
#define NH_NONE	     59
#define NH_DEST	     60
#define IP_MAX_LEN   65535u

/* Where inet_frag_queue_insert() puts a fragment. */
enum frag_place {
	PLACE_NEW_TAIL,	 /* a new run after every fragment */
	PLACE_APPEND,	 /* appended to the tail run */
	PLACE_NEW_INNER, /* a new run in a hole */
	PLACE_DUP,	 /* inside one run: IPFRAG_DUP */
	PLACE_OVERLAP,	 /* IPFRAG_OVERLAP */
};

/*
 * inet_frag_queue_insert(): a fragment that ends beyond the tail fragment either starts
 * exactly at the tail's end (appended to its run), after it (new run) or before it
 * (overlap). Any other fragment is looked up among the runs: contained in one run it is
 * a duplicate, touching one run without being inside it an overlap, touching none it
 * fills a hole as a run of its own. Runs never overlap, so which run the kernel's tree
 * walk meets first does not change the answer.
 */
static enum frag_place
queue_place(const struct frag_queue *q, uint32_t offset, uint32_t end)
{
	const struct frag_run *tail;

	if (q->nb_runs == 0)
		return PLACE_NEW_TAIL;
	tail = &q->runs[q->tail_run];
	if (tail->end < end) {
		if (offset < tail->end)
			return PLACE_OVERLAP;
		return offset == tail->end ? PLACE_APPEND : PLACE_NEW_TAIL;
	}
	for (unsigned int i = 0; i < q->nb_runs; i++) {
		const struct frag_run *r = &q->runs[i];

		if (end <= r->start || offset >= r->end)
			continue;
		if (offset >= r->start && end <= r->end)
			return PLACE_DUP;
		return PLACE_OVERLAP;
	}
	return PLACE_NEW_INNER;
}

static void
queue_commit(struct ctg_frag_table *t, struct frag_queue *q, enum frag_place place,
		uint32_t offset, uint32_t end, uint64_t cookie)
{
	struct frag_ent *e = &q->frags[q->nb_frags++];

	switch (place) {
	case PLACE_NEW_TAIL:
		q->runs[q->nb_runs].start = offset;
		q->runs[q->nb_runs].end = end;
		q->tail_run = q->nb_runs++;
		break;
	case PLACE_APPEND:
		q->runs[q->tail_run].end = end;
		break;
	case PLACE_NEW_INNER:
		q->runs[q->nb_runs].start = offset;
		q->runs[q->nb_runs].end = end;
		q->nb_runs++;
		break;
	case PLACE_DUP:
	case PLACE_OVERLAP:
		break;
	}
	e->cookie = cookie;
	e->offset = offset;
	e->end = end;
	q->meat += end - offset;
	t->stats.bytes += end - offset;
	t->stats.held++;
}

/* The memory budget: arena pages for @p need, and a slot under conf.max_held. */
static inline bool
budget_ok(const struct ctg_frag_table *t, uint32_t need)
{
	return need <= t->nb_page_free &&
			(t->conf.max_held == 0 || t->stats.held < t->conf.max_held);
}

/* Cookie of the queued fragment that holds payload byte @p offset (for a duplicate). */
static uint64_t
queue_holder(const struct frag_queue *q, uint32_t offset)
{
	for (unsigned int i = 0; i < q->nb_frags; i++) {
		if (q->frags[i].offset <= offset && offset < q->frags[i].end)
			return q->frags[i].cookie;
	}
	return 0;
}

/*
 * ip_frag_ecn_table (inet_fragment.c, RFC 3168 5.3) on the OR of 1 << codepoint:
 * bit 0 Not-ECT, bit 1 ECT(1), bit 2 ECT(0), bit 3 CE. Not-ECT mixed with anything else
 * kills the datagram (0xff); CE with some ECT sets CE on the result (3); else 0.
 */
static uint8_t
ecn_result(uint8_t bits)
{
	if ((bits & 0x1) && (bits & 0xe))
		return 0xff;
	if ((bits & 0x8) && (bits & 0x6))
		return 0x3;
	return 0;
}

static void
drop(struct ctg_frag_table *t, struct ctg_frag_result *res, enum ctg_frag_reason reason)
{
	res->status = CTG_FRAG_DROP;
	res->reason = (uint8_t)reason;
	t->stats.dropped[reason]++;
}

static void
pass(struct ctg_frag_table *t, struct ctg_frag_result *res, enum ctg_frag_reason reason)
{
	res->status = CTG_FRAG_PASS;
	res->reason = (uint8_t)reason;
	t->stats.passed++;
}

/* Kill the queue and drop the fragment given (ip_frag_queue's discard_qp). */
static void
discard(struct ctg_frag_table *t, struct frag_queue *q, struct ctg_frag_result *res,
		enum ctg_frag_reason reason)
{
	frag_kill(t, q, reason, res);
	drop(t, res, reason);
}

/*
 * The last fragment queued completed the queue but the datagram cannot be built: the
 * queue dies, that fragment is the one dropped, the others are discarded.
 */
static void
reasm_fail(struct ctg_frag_table *t, struct frag_queue *q, struct ctg_frag_result *res,
		enum ctg_frag_reason reason)
{
	q->nb_frags--;
	t->stats.held--;
	discard(t, q, res, reason);
}

static void
reasm_done(struct ctg_frag_table *t, struct frag_queue *q, struct ctg_frag_result *res,
		uint32_t dgram_len, uint32_t max_frag_len)
{
	res->status = CTG_FRAG_COMPLETE;
	res->reason = CTG_FRAG_R_NONE;
	res->nb_cookies = q->nb_frags;
	for (unsigned int i = 0; i < q->nb_frags; i++)
		res->cookies[i] = q->frags[i].cookie;
	res->max_frag_len = (uint16_t)CTG_MIN(max_frag_len, UINT16_MAX);
	res->dgram = t->out;
	res->dgram_len = dgram_len;
	t->stats.reassembled++;
	frag_free(t, q);
}

/* Pages a fragment will need; a NULL queue has none mapped. */
static uint32_t
pages_needed(const struct frag_queue *q, uint32_t vpos, uint32_t n)
{
	if (n == 0)
		return 0;
	if (q == NULL)
		return ((vpos + n - 1) >> FRAG_PAGE_SHIFT) - (vpos >> FRAG_PAGE_SHIFT) + 1;
	return frag_pages_needed(q, vpos, n);
}

/*
 * Find the queue; one whose timer has run out is gone in the kernel (ip_expire /
 * nf_ct_frag6_expire ran), so it is thrown away here and a new one is made.
 */
static struct frag_queue *
find_live(struct ctg_frag_table *t, uint8_t family, const uint8_t *saddr,
		const uint8_t *daddr, uint32_t id, uint8_t proto, uint32_t user, uint64_t now_ns,
		struct ctg_frag_result *res)
{
	struct frag_queue *q = frag_lookup(t, family, saddr, daddr, id, proto, user);

	if (q != NULL && now_ns >= q->deadline_ns) {
		t->stats.timeouts++;
		frag_kill(t, q, CTG_FRAG_R_TIMEOUT, res);
		q = NULL;
	}
	return q;
}

static uint16_t
hdr_csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += ctg_get_be16(p + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ip_frag_reasm(): build the datagram in t->out, or kill the queue. */
static void
reasm_v4(struct ctg_frag_table *t, struct frag_queue *q, struct ctg_frag_result *res)
{
	uint8_t ecn = ecn_result(q->ecn);
	uint32_t tot = q->hdr_len + q->len;
	uint8_t *h = t->out;

	if (ecn == 0xff) {
		reasm_fail(t, q, res, CTG_FRAG_R_ECN);
		return;
	}
	if (tot > IP_MAX_LEN || q->doomed) {
		reasm_fail(t, q, res, CTG_FRAG_R_OVERSIZE);
		return;
	}
	frag_vread(t, q, FRAG_PAYLOAD - q->hdr_len, h, tot);
	/* tot_len, tos |= ecn, DF only if the largest fragment had DF, new checksum. */
	ctg_put_be16(h + 2, (uint16_t)tot);
	h[1] |= ecn;
	ctg_put_be16(h + 6, q->max_df_size == q->max_size ? IP4_DF : 0);
	h[10] = 0;
	h[11] = 0;
	ctg_put_be16(h + 10, hdr_csum(h, q->hdr_len));
	reasm_done(t, q, res, tot, CTG_MAX(q->max_df_size, q->max_size));
}

void
frag_insert_v4(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res)
{
	const uint8_t *l3 = pkt->l3;
	uint32_t len = pkt->len, ihl, offset, end, kept_end, need, fragsize;
	enum frag_place place;
	struct frag_queue *q;
	uint16_t fo;
	bool mf, df;

	if (len < 20 || (l3[0] >> 4) != 4) {
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	ihl = (uint32_t)(l3[0] & 0xf) * 4;
	if (ihl < 20 || ihl > len) {
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	fo = ctg_get_be16(l3 + 6);
	mf = (fo & IP4_MF) != 0;
	df = (fo & IP4_DF) != 0;
	offset = (uint32_t)(fo & IP4_OFFMASK) << 3;
	if (!mf && offset == 0) {
		/* ip_is_fragment() is false: nf_defrag_ipv4 lets it through. */
		pass(t, res, CTG_FRAG_R_NONE);
		return;
	}
	end = offset + len - ihl;
	kept_end = mf ? end & ~7u : end;

	q = find_live(t, 4, l3 + 12, l3 + 16, ctg_get_be16(l3 + 4), l3[9], user, now_ns, res);

	/*
	 * Byte budget, checked before anything changes (the kernel refuses a fragment in
	 * inet_frag_find() when over ipfrag_high_thresh, before any check).
	 */
	need = 0;
	if (kept_end > offset && kept_end <= FRAG_PAYLOAD_MAX)
		need += pages_needed(q, FRAG_PAYLOAD + offset, kept_end - offset);
	if (offset == 0)
		need += pages_needed(q, FRAG_PAYLOAD - ihl, ihl);
	if (!budget_ok(t, need)) {
		drop(t, res, CTG_FRAG_R_NO_MEMORY);
		return;
	}
	if (q == NULL)
		q = frag_create(t, 4, l3 + 12, l3 + 16, ctg_get_be16(l3 + 4), l3[9], user, now_ns,
				res);

	if (!mf) {
		/* Final fragment: nothing may lie beyond it, and only one end. */
		bool beyond = end < q->len;
		bool other_end = (q->flags & FRAG_LAST_IN) && end != q->len;

		if (beyond || other_end) {
			discard(t, q, res, CTG_FRAG_R_BAD_END);
			return;
		}
		q->flags |= FRAG_LAST_IN;
		q->len = end;
	} else {
		/* Non-final: the end is rounded down to 8 bytes, the rest ignored. */
		end = kept_end;
		if (end > q->len) {
			if (q->flags & FRAG_LAST_IN) {
				discard(t, q, res, CTG_FRAG_R_BAD_END);
				return;
			}
			q->len = end;
		}
	}
	if (end == offset) {
		discard(t, q, res, CTG_FRAG_R_EMPTY);
		return;
	}
	place = queue_place(q, offset, end);
	if (place == PLACE_DUP) {
		res->duplicate_of = queue_holder(q, offset);
		drop(t, res, CTG_FRAG_R_DUPLICATE);
		return;
	}
	if (place == PLACE_OVERLAP) {
		discard(t, q, res, CTG_FRAG_R_OVERLAP);
		return;
	}
	if (q->nb_frags >= t->conf.max_frags) {
		discard(t, q, res, CTG_FRAG_R_TOO_MANY_FRAGS);
		return;
	}
	queue_commit(t, q, place, offset, end, cookie);
	if (end <= FRAG_PAYLOAD_MAX)
		frag_vwrite(t, q, FRAG_PAYLOAD + offset, l3 + ihl, end - offset);
	else
		q->doomed = 1;
	q->ecn |= (uint8_t)(1u << (l3[1] & 0x3));
	if (offset == 0) {
		q->flags |= FRAG_FIRST_IN;
		q->hdr_len = (uint16_t)ihl;
		frag_vwrite(t, q, FRAG_PAYLOAD - ihl, l3, ihl);
	}
	fragsize = end - offset + ihl;
	if (fragsize > q->max_size)
		q->max_size = fragsize;
	if (df && fragsize > q->max_df_size)
		q->max_df_size = fragsize;

	if (q->flags == (FRAG_FIRST_IN | FRAG_LAST_IN) && q->meat == q->len) {
		reasm_v4(t, q, res);
		return;
	}
	res->status = CTG_FRAG_HELD;
}

static bool
ipv6_ext_hdr(uint8_t nh)
{
	return nh == NH_HOP || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_AUTH ||
			nh == NH_NONE || nh == NH_DEST;
}

static uint32_t
ext_hdr_len(uint8_t nh, const uint8_t *p)
{
	return nh == NH_AUTH ? ((uint32_t)p[1] + 2) << 2 : ((uint32_t)p[1] + 1) << 3;
}

/*
 * find_prev_fhdr() of nf_conntrack_reasm.c: the fragment header's offset and the offset
 * of the next-header byte naming it. The kernel keeps the latter in a u8, so past 255 it
 * wraps; reproduced, see README.md. @return false when there is no fragment header to
 * find (the packet is let through).
 */
static bool
find_prev_fhdr(const uint8_t *l3, uint32_t len, uint32_t *nhoff, uint32_t *fhoff)
{
	uint8_t nexthdr = l3[6];
	uint8_t prev_nhoff = 6;
	uint32_t start = 40;
	int64_t rem = (int64_t)len - 40;

	while (nexthdr != NH_FRAGMENT) {
		uint32_t hdrlen;

		if (!ipv6_ext_hdr(nexthdr) || nexthdr == NH_NONE || rem < 2)
			return false;
		hdrlen = ext_hdr_len(nexthdr, l3 + start);
		prev_nhoff = (uint8_t)start;
		nexthdr = l3[start];
		rem -= hdrlen;
		start += hdrlen;
	}
	if (rem < 0)
		return false;
	*nhoff = prev_nhoff;
	*fhoff = start;
	return true;
}

/*
 * ipv6frag_thdr_truncated() (include/net/ipv6_frag.h): a first fragment must hold the
 * extension headers after the fragment header and the start of the transport header
 * (RFC 8200 4.5). Walks as ipv6_skip_exthdr() from the fragment header.
 */
static bool
thdr_truncated(const uint8_t *l3, uint32_t len, uint32_t fhoff)
{
	uint8_t nexthdr = NH_FRAGMENT;
	uint32_t start = fhoff;
	uint16_t frag_off = 0;

	while (ipv6_ext_hdr(nexthdr)) {
		uint32_t hdrlen;

		if (nexthdr == NH_NONE || start + 2 > len)
			return false;
		if (nexthdr == NH_FRAGMENT) {
			if (start + 4 > len)
				return false;
			frag_off = ctg_get_be16(l3 + start + 2);
			if (frag_off & ~0x7)
				break;
			hdrlen = 8;
		} else {
			hdrlen = ext_hdr_len(nexthdr, l3 + start);
		}
		nexthdr = l3[start];
		start += hdrlen;
	}
	if (frag_off & IP6_OFFMASK)
		return false;
	switch (nexthdr) {
	case NH_TCP:
		start += 20;
		break;
	case NH_UDP:
	case NH_ICMPV6:
		start += 8;
		break;
	default:
		start += 1;
		break;
	}
	return start > len;
}

/* nf_ct_frag6_reasm(): build the datagram in t->out, or kill the queue. */
static void
reasm_v6(struct ctg_frag_table *t, struct frag_queue *q, struct ctg_frag_result *res)
{
	uint8_t ecn = ecn_result(q->ecn);
	uint32_t payload_len = q->hdr_len - 40 + q->len;
	uint32_t tot = q->hdr_len + q->len;
	uint8_t *h = t->out;

	if (ecn == 0xff) {
		reasm_fail(t, q, res, CTG_FRAG_R_ECN);
		return;
	}
	if (payload_len > IP_MAX_LEN || q->doomed) {
		reasm_fail(t, q, res, CTG_FRAG_R_OVERSIZE);
		return;
	}
	/* The stored header already names the fragment header's next header. */
	frag_vread(t, q, FRAG_PAYLOAD - q->hdr_len, h, tot);
	ctg_put_be16(h + 4, (uint16_t)payload_len);
	h[1] |= (uint8_t)(ecn << 4);
	reasm_done(t, q, res, tot, 40 + q->max_size);
}

void
frag_insert_v6(struct ctg_frag_table *t, const struct ctg_pkt *pkt, uint32_t user,
		uint64_t cookie, uint64_t now_ns, struct ctg_frag_result *res)
{
	const uint8_t *l3 = pkt->l3;
	uint32_t len = pkt->len, plen, nhoff, fhoff, offset, end, need, id;
	enum frag_place place;
	struct frag_queue *q;
	uint16_t fo;
	bool mf;

	if (len < 40 || (l3[0] >> 4) != 6) {
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	plen = ctg_get_be16(l3 + 4);
	if (plen == 0) {
		/* Jumbo payload inhibits the fragment header: let it through. */
		pass(t, res, CTG_FRAG_R_NONE);
		return;
	}
	if (40 + plen > len) {
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	len = 40 + plen;
	if (!find_prev_fhdr(l3, len, &nhoff, &fhoff)) {
		pass(t, res, CTG_FRAG_R_NONE);
		return;
	}
	if (thdr_truncated(l3, len, fhoff)) {
		pass(t, res, CTG_FRAG_R_TRUNCATED_FIRST);
		return;
	}
	if (fhoff + 8 > len) {
		/* pskb_may_pull() of the fragment header fails: NF_DROP. */
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	fo = ctg_get_be16(l3 + fhoff + 2);
	mf = (fo & IP6_MF) != 0;
	offset = fo & IP6_OFFMASK;
	id = ctg_get_be32(l3 + fhoff + 4);
	if (offset == 0 && fhoff > CTG_FRAG_HDR_MAX) {
		/* Our own limit on the unfragmentable part we keep. */
		drop(t, res, CTG_FRAG_R_MALFORMED);
		return;
	}
	end = offset + (plen - (fhoff + 8 - 40));

	q = find_live(t, 6, l3 + 8, l3 + 24, id, 0, user, now_ns, res);
	need = 0;
	if (end > offset && end <= IP_MAX_LEN && (!mf || (end & 7) == 0))
		need += pages_needed(q, FRAG_PAYLOAD + offset, end - offset);
	if (offset == 0)
		need += pages_needed(q, FRAG_PAYLOAD - fhoff, fhoff);
	if (!budget_ok(t, need)) {
		drop(t, res, CTG_FRAG_R_NO_MEMORY);
		return;
	}
	if (q == NULL)
		q = frag_create(t, 6, l3 + 8, l3 + 24, id, 0, user, now_ns, res);

	if (end > IP_MAX_LEN) {
		/* "offset is too large": dropped, the queue stays. */
		drop(t, res, CTG_FRAG_R_OVERSIZE);
		return;
	}
	if (!mf) {
		bool beyond = end < q->len;
		bool other_end = (q->flags & FRAG_LAST_IN) && end != q->len;

		if (beyond || other_end) {
			drop(t, res, CTG_FRAG_R_BAD_END);
			return;
		}
		q->flags |= FRAG_LAST_IN;
		q->len = end;
	} else {
		if (end & 7) {
			/* -EPROTO: the queue dies, the fragment goes on unreassembled. */
			frag_kill(t, q, CTG_FRAG_R_NOT_ALIGNED, res);
			pass(t, res, CTG_FRAG_R_NOT_ALIGNED);
			return;
		}
		if (end > q->len) {
			if (q->flags & FRAG_LAST_IN) {
				drop(t, res, CTG_FRAG_R_BAD_END);
				return;
			}
			q->len = end;
		}
	}
	if (end == offset) {
		drop(t, res, CTG_FRAG_R_EMPTY);
		return;
	}
	place = queue_place(q, offset, end);
	if (place == PLACE_DUP) {
		/* "No error for duplicates, pretend they got queued": freed silently. */
		res->duplicate_of = queue_holder(q, offset);
		drop(t, res, CTG_FRAG_R_DUPLICATE);
		return;
	}
	if (place == PLACE_OVERLAP) {
		discard(t, q, res, CTG_FRAG_R_OVERLAP);
		return;
	}
	if (q->nb_frags >= t->conf.max_frags) {
		discard(t, q, res, CTG_FRAG_R_TOO_MANY_FRAGS);
		return;
	}
	queue_commit(t, q, place, offset, end, cookie);
	frag_vwrite(t, q, FRAG_PAYLOAD + offset, l3 + fhoff + 8, end - offset);
	q->ecn |= (uint8_t)(1u << ((l3[1] >> 4) & 0x3));
	if (plen > q->max_size)
		q->max_size = plen;
	if (offset == 0) {
		uint8_t nh = l3[fhoff];

		q->flags |= FRAG_FIRST_IN;
		q->hdr_len = (uint16_t)fhoff;
		frag_vwrite(t, q, FRAG_PAYLOAD - fhoff, l3, fhoff);
		/* The header before the fragment header now names what followed it. */
		frag_vwrite(t, q, FRAG_PAYLOAD - fhoff + nhoff, &nh, 1);
	}
	if (q->flags == (FRAG_FIRST_IN | FRAG_LAST_IN) && q->meat == q->len) {
		reasm_v6(t, q, res);
		return;
	}
	res->status = CTG_FRAG_HELD;
}
