/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	ICMP and ICMPv6 (nf_conntrack_proto_icmp.c, nf_conntrack_proto_icmpv6.c).
 *
 *	Queries (echo, timestamp, information, address mask; ICMPv6 echo and node
 *	information) are connections keyed by identifier, type and code; the reply type is
 *	derived. Only a request may create one; the entry outlives its reply (30 s) so
 *	duplicate replies still match.
 *
 *	Errors (ICMP 3, 4, 5, 11, 12; ICMPv6 types < 128 and redirects) are RELATED to the
 *	connection of the packet they quote (nf_conntrack_inet_error): the quoted header is
 *	parsed as the outer family, its tuple inverted and looked up; the outer destination
 *	must equal the destination of the matching direction of that connection, so an
 *	error forged by a third host cannot ride an A<->B connection. ICMPv6 neighbour
 *	discovery, router solicitation/advertisement and MLD are never tracked (UNTRACKED).
 *
 *	The order of the checks is the kernel's: length, checksum (nf_conntrack_checksum),
 *	type range, then error handling.
 */

#include <string.h>

#define CT_CORE
#include "ct_private.h"

#define ICMP_NR_TYPES 18
#define ICMPV6_REDIRECT 137
#define ND_OPT_REDIRECT_HDR 4

static bool
icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * ICMPv6 messages conntrack never tracks (noct_valid_new): MLD 130-132, RS/RA/NS/NA
 * 133-136, MLDv2 report 143, multicast router advertisement 151.
 */
static bool
icmpv6_untracked(uint8_t type)
{
	return (type >= 130 && type <= 136) || type == 143 || type == 151;
}

static bool
ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* nf_conntrack_inet_error(): is the quoted packet part of one of our connections? */
static enum ct_icmp_class
inet_error(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint32_t inner_off,
		uint16_t zone, uint64_t now_ns, uint32_t *conn, uint8_t *dir, uint8_t *reason)
{
	const struct ctg_ct_conn *c;
	struct ctg_ct_tuple orig, inv;
	const union ctg_addr *ct_daddr;
	union ctg_addr outer_daddr;
	struct ctg_pkt inner;
	enum ctg_ct_dir d;
	uint32_t idx;

	*reason = CTG_CT_R_ICMP_ERROR_INNER;
	if (inner_off >= pkt->len ||
			!ctg_pkt_parse_inner(pkt->l3 + inner_off, pkt->len - inner_off,
					pkt->family, &inner))
		return CT_ICMP_INVALID;
	if (inner.l4_off > inner.len)
		return CT_ICMP_INVALID;
	if (!ctg_ct_pkt_tuple(&inner, zone, &orig))
		return CT_ICMP_INVALID;
	if (!ctg_ct_tuple_invert(&orig, &inv))
		return CT_ICMP_INVALID;

	*reason = CTG_CT_R_ICMP_ERROR_NOMATCH;
	idx = ctg_ct_lookup(s, &inv, now_ns, &d);
	if (idx == CTG_CT_NO_CONN)
		return CT_ICMP_INVALID;
	*conn = idx; /* reported as the entry of the quoted flow even when INVALID */
	*dir = (uint8_t)d;
	c = &s->pool[idx];
	ct_daddr = d == CTG_CT_DIR_ORIG ? &c->orig.dst : &c->orig.src;
	memset(&outer_daddr, 0, sizeof(outer_daddr));
	if (pkt->family == 4)
		memcpy(outer_daddr.b, pkt->l3 + 16, 4);
	else
		memcpy(outer_daddr.b, pkt->l3 + 24, 16);
	if (memcmp(&outer_daddr, ct_daddr, sizeof(outer_daddr)) != 0)
		return CT_ICMP_INVALID;
	*conn = idx;
	*dir = (uint8_t)d;
	*reason = CTG_CT_R_NONE;
	return CT_ICMP_RELATED;
}

static enum ct_icmp_class
icmpv6_redirect(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint64_t now_ns, uint32_t *conn, uint8_t *dir, uint8_t *reason)
{
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	const uint8_t *opt;

	*reason = CTG_CT_R_ICMPV6_REDIRECT;
	if (l4_len < 40)
		return CT_ICMP_INVALID;
	if (l4[1] != 0)
		return CT_ICMP_QUERY; /* tracked normally: no inverse, so INVALID there */
	if (pkt->l3[7] != 255 || !ip6_is_linklocal(pkt->l3 + 8))
		return CT_ICMP_INVALID;
	if (l4_len < 48)
		return CT_ICMP_INVALID;
	opt = l4 + 40;
	if (opt[1] == 0)
		return CT_ICMP_INVALID;
	if (opt[0] != ND_OPT_REDIRECT_HDR)
		return CT_ICMP_QUERY;
	return inet_error(s, pkt, pkt->l4_off + 48, zone, now_ns, conn, dir, reason);
}

enum ct_icmp_class
ct_icmp_classify(const struct ctg_ct_shard *s, const struct ctg_pkt *pkt, uint16_t zone,
		uint64_t now_ns, uint32_t *conn, uint8_t *dir, uint8_t *reason)
{
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	uint8_t type;

	if (l4_len < 8) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return CT_ICMP_INVALID;
	}
	type = l4[0];
	if (s->params->checksum && !ctg_pkt_l4_csum_ok(pkt, l4_len, l4_len)) {
		uint8_t r;

		/* Name the quoted flow's entry, as the oracle reads it back. */
		if ((pkt->family == 4 && icmp_is_error(type)) || (pkt->family == 6 && type < 128))
			inet_error(s, pkt, pkt->l4_off + 8u, zone, now_ns, conn, dir, &r);
		*reason = CTG_CT_R_L4_CSUM;
		return CT_ICMP_INVALID;
	}
	if (pkt->family == 4) {
		if (type > ICMP_NR_TYPES) {
			*reason = CTG_CT_R_ICMP_TYPE;
			return CT_ICMP_INVALID;
		}
		if (!icmp_is_error(type))
			return CT_ICMP_QUERY;
		return inet_error(s, pkt, pkt->l4_off + 8u, zone, now_ns, conn, dir, reason);
	}
	if (icmpv6_untracked(type))
		return CT_ICMP_UNTRACKED;
	if (type == ICMPV6_REDIRECT)
		return icmpv6_redirect(s, pkt, zone, now_ns, conn, dir, reason);
	if (type >= 128)
		return CT_ICMP_QUERY;
	return inet_error(s, pkt, pkt->l4_off + 8u, zone, now_ns, conn, dir, reason);
}

static bool
icmp_no_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	/* Length, checksum and type were checked by ct_icmp_classify(); ICMP carried
	 * over the other family only needs its 8-byte header for the tuple. */
	(void)p;
	if (ctg_pkt_l4_len(pkt) < 8) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	return true;
}

static enum ct_l4_verdict
icmp_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt, bool is_new,
		const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	uint8_t otype = (uint8_t)(c->orig.dport >> 8);

	(void)dir;
	(void)is_new;
	(void)now_ns;
	if (pkt->family != 4) {
		*reason = CTG_CT_R_PROTO_L3;
		return CT_L4_INVALID;
	}
	if (otype != 8 && otype != 13 && otype != 15 && otype != 17) {
		*reason = CTG_CT_R_ICMP_TYPE;
		return CT_L4_INVALID;
	}
	*timeout_s = p->icmp_timeout;
	return CT_L4_ACCEPT;
}

static enum ct_l4_verdict
icmpv6_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt,
		bool is_new, const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	uint8_t otype = (uint8_t)(c->orig.dport >> 8);

	(void)dir;
	(void)now_ns;
	if (pkt->family != 6) {
		*reason = CTG_CT_R_PROTO_L3;
		return CT_L4_INVALID;
	}
	if (is_new && otype != 128 && otype != 139) {
		*reason = CTG_CT_R_ICMP_TYPE;
		return CT_L4_INVALID;
	}
	*timeout_s = p->icmpv6_timeout;
	return CT_L4_ACCEPT;
}

const struct ct_l4_ops ct_l4_icmp_ops = {
	.error = icmp_no_error,
	.packet = icmp_packet,
};

const struct ct_l4_ops ct_l4_icmpv6_ops = {
	.error = icmp_no_error,
	.packet = icmpv6_packet,
};
