/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Turns a frame into struct ctg_pkt the way the Linux receive path prepares a packet
 *	for the conntrack hook: link header (Ethernet with up to two VLAN tags, Linux SLL
 *	and SLL2, BSD NULL, raw IP), then ip_rcv_core() / ip6_rcv_core() validation. A
 *	packet those functions would drop is CTG_PKT_DROP (the oracle's DROPPED) with a
 *	reason; anything that is not IP is CTG_PKT_NOT_IP. The datagram is trimmed to the
 *	IP total length (pskb_trim_rcsum), the IPv6 extension-header chain is walked like
 *	ipv6_skip_exthdr() to find the transport header, and fragments are noted for lib/frag.
 *
 * Life-cycle and ownership
 *	Pure functions over caller-owned bytes: struct ctg_pkt points into the frame.
 */

#include <string.h>

#include "ctg_pkt.h"

#define ETH_HLEN       14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define IP6_HLEN 40
#define NH_HOP	 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AUTH	 51
#define NH_NONE	 59
#define NH_DEST	 60

static const char *const drop_names[] = {
#define CTG_PKT_X(n, s) s,
	CTG_PKT_DROP_REASONS(CTG_PKT_X)
#undef CTG_PKT_X
};

const char *
ctg_pkt_drop_reason_str(enum ctg_pkt_drop_reason r)
{
	return (unsigned int)r < CTG_PKT_DROP_COUNT ? drop_names[r] : "?";
}

static enum ctg_pkt_status
drop(struct ctg_pkt *pkt, enum ctg_pkt_drop_reason r)
{
	pkt->drop_reason = (uint8_t)r;
	return CTG_PKT_DROP;
}

static enum ctg_pkt_status
parse_ipv4(const uint8_t *l3, uint32_t caplen, struct ctg_pkt *pkt)
{
	uint32_t ihl, tot_len;
	uint16_t frag;

	if (caplen < 20)
		return drop(pkt, CTG_PKT_DROP_IP_TRUNCATED);
	if ((l3[0] >> 4) != 4)
		return drop(pkt, CTG_PKT_DROP_IP_VERSION);
	ihl = (uint32_t)(l3[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > caplen)
		return drop(pkt, CTG_PKT_DROP_IP_HDR_LEN);
	if (ctg_pkt_csum_native16(ctg_pkt_csum_acc(l3, ihl, 0)) != 0xffff)
		return drop(pkt, CTG_PKT_DROP_IP_CSUM);
	tot_len = ctg_get_be16(l3 + 2);
	if (tot_len > caplen || tot_len < ihl)
		return drop(pkt, CTG_PKT_DROP_IP_TOT_LEN);

	pkt->l3 = l3;
	pkt->len = tot_len;
	pkt->family = 4;
	pkt->proto = l3[9];
	pkt->l4_off = (uint16_t)ihl;
	frag = ctg_get_be16(l3 + 6);
	pkt->frag_mf = (frag & 0x2000) != 0;
	pkt->frag_off = (uint32_t)(frag & 0x1fff) * 8;
	pkt->frag = pkt->frag_mf || pkt->frag_off != 0;
	pkt->frag_id = ctg_get_be16(l3 + 4);
	return CTG_PKT_OK;
}

static bool
ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t lo[16] = { [15] = 1 };

	return memcmp(a, lo, 16) == 0;
}

static bool
ip6_is_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, pfx, 12) == 0;
}

/*
 * Hop-by-hop options as ipv6_parse_hopopts() checks them before PREROUTING: the TLVs
 * must fit, unknown options whose two high bits are not 00 make the packet drop.
 */
static bool
ip6_hopopts_ok(const uint8_t *h, uint32_t len)
{
	uint32_t off = 2;

	while (off < len) {
		uint8_t type = h[off];
		uint32_t olen;

		if (type == 0) { /* Pad1 */
			off++;
			continue;
		}
		if (off + 2 > len)
			return false;
		olen = (uint32_t)h[off + 1] + 2;
		if (off + olen > len)
			return false;
		switch (type) {
		case 1:	   /* PadN */
		case 5:	   /* router alert */
		case 0xc2: /* jumbo payload (only the length is checked by the caller) */
		case 0x63: /* RPL, ignored by a router */
			break;
		default:
			if ((type & 0xc0) != 0)
				return false;
			break;
		}
		off += olen;
	}
	return true;
}

static enum ctg_pkt_status
parse_ipv6(const uint8_t *l3, uint32_t caplen, struct ctg_pkt *pkt)
{
	uint32_t plen, len, off;
	uint8_t nh;
	uint16_t nh_off = 6;

	if (caplen < IP6_HLEN)
		return drop(pkt, CTG_PKT_DROP_IP_TRUNCATED);
	if ((l3[0] >> 4) != 6)
		return drop(pkt, CTG_PKT_DROP_IP_VERSION);
	if (l3[8] == 0xff)
		return drop(pkt, CTG_PKT_DROP_IP6_SRC_MCAST);
	if (ip6_is_loopback(l3 + 8) || ip6_is_loopback(l3 + 24) || ip6_is_v4mapped(l3 + 8))
		return drop(pkt, CTG_PKT_DROP_IP6_LOOPBACK);
	if (l3[24] == 0xff && ((l3[25] & 0x0f) == 1 || (l3[25] & 0x0f) == 0))
		return drop(pkt, CTG_PKT_DROP_IP6_MCAST_SCOPE);
	plen = ctg_get_be16(l3 + 4);
	if (plen == 0 && l3[6] == NH_HOP) {
		/* Jumbogram: not on our links (MTU < 64k); the kernel drops it unless
		 * the interface is GSO-capable loopback. */
		return drop(pkt, CTG_PKT_DROP_IP_TOT_LEN);
	}
	len = plen + IP6_HLEN;
	if (len > caplen)
		return drop(pkt, CTG_PKT_DROP_IP_TOT_LEN);

	pkt->l3 = l3;
	pkt->len = len;
	pkt->family = 6;
	pkt->frag = 0;
	pkt->frag_mf = 0;
	pkt->frag_off = 0;
	pkt->frag_id = 0;

	nh = l3[6];
	off = IP6_HLEN;
	if (nh == NH_HOP) {
		uint32_t hlen;

		if (off + 2 > len)
			return drop(pkt, CTG_PKT_DROP_IP6_EXTHDR);
		hlen = ((uint32_t)l3[off + 1] + 1) * 8;
		if (off + hlen > len || !ip6_hopopts_ok(l3 + off, hlen))
			return drop(pkt, CTG_PKT_DROP_IP6_EXTHDR);
	}
	/* ipv6_skip_exthdr(): a truncated chain leaves no transport header (no_l4);
	 * conntrack then calls the packet invalid. "No next header" (59) also makes
	 * ipv6_skip_exthdr() fail: the tracker checks proto == 59 on IPv6. */
	for (;;) {
		uint32_t hlen;

		if (nh != NH_HOP && nh != NH_ROUTING && nh != NH_FRAGMENT && nh != NH_AUTH &&
				nh != NH_DEST)
			break;
		if (off + 8 > len) {
			pkt->proto = NH_NONE;
			pkt->l4_off = (uint16_t)len;
			pkt->no_l4 = 1;
			return CTG_PKT_OK;
		}
		if (nh == NH_FRAGMENT) {
			uint16_t fo = ctg_get_be16(l3 + off + 2);

			pkt->frag_hdr_off = (uint16_t)off;
			pkt->frag_nh_off = nh_off;
			pkt->frag_off = fo & 0xfff8;
			pkt->frag_mf = fo & 1;
			pkt->frag_id = ctg_get_be32(l3 + off + 4);
			pkt->frag = 1;
			hlen = 8;
			if (pkt->frag_off != 0) {
				/* Non-first fragment: the chain ends here for conntrack. */
				pkt->proto = l3[off];
				pkt->l4_off = (uint16_t)(off + hlen);
				return CTG_PKT_OK;
			}
		} else if (nh == NH_AUTH) {
			hlen = ((uint32_t)l3[off + 1] + 2) * 4;
		} else {
			hlen = ((uint32_t)l3[off + 1] + 1) * 8;
		}
		nh_off = (uint16_t)off;
		nh = l3[off];
		off += hlen;
		if (off > len) {
			pkt->proto = NH_NONE;
			pkt->l4_off = (uint16_t)len;
			pkt->no_l4 = 1;
			return CTG_PKT_OK;
		}
	}
	pkt->proto = nh;
	pkt->l4_off = (uint16_t)off;
	return CTG_PKT_OK;
}

enum ctg_pkt_status
ctg_pkt_parse_l3(const uint8_t *l3, uint32_t len, struct ctg_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	if (len < 1)
		return drop(pkt, CTG_PKT_DROP_IP_TRUNCATED);
	switch (l3[0] >> 4) {
	case 4:
		return parse_ipv4(l3, len, pkt);
	case 6:
		return parse_ipv6(l3, len, pkt);
	default:
		return CTG_PKT_NOT_IP;
	}
}

enum ctg_pkt_status
ctg_pkt_parse(const uint8_t *frame, uint32_t len, enum ctg_pkt_link link, struct ctg_pkt *pkt)
{
	uint32_t off = 0;
	uint16_t etype;

	memset(pkt, 0, sizeof(*pkt));
	switch (link) {
	case CTG_PKT_LINK_ETHER:
		if (len < ETH_HLEN)
			return drop(pkt, CTG_PKT_DROP_L2_TRUNCATED);
		etype = ctg_get_be16(frame + 12);
		off = ETH_HLEN;
		while (etype == ETHERTYPE_VLAN || etype == ETHERTYPE_QINQ ||
				etype == ETHERTYPE_QINQ_OLD) {
			if (len < off + 4)
				return drop(pkt, CTG_PKT_DROP_L2_TRUNCATED);
			if (pkt->nb_vlan < 2)
				pkt->vlan[pkt->nb_vlan] = ctg_get_be16(frame + off) & 0x0fff;
			pkt->nb_vlan++;
			etype = ctg_get_be16(frame + off + 2);
			off += 4;
		}
		break;
	case CTG_PKT_LINK_SLL:
		if (len < 16)
			return drop(pkt, CTG_PKT_DROP_L2_TRUNCATED);
		etype = ctg_get_be16(frame + 14);
		off = 16;
		break;
	case CTG_PKT_LINK_SLL2:
		if (len < 20)
			return drop(pkt, CTG_PKT_DROP_L2_TRUNCATED);
		etype = ctg_get_be16(frame);
		off = 20;
		break;
	case CTG_PKT_LINK_NULL: {
		uint32_t fam;

		if (len < 4)
			return drop(pkt, CTG_PKT_DROP_L2_TRUNCATED);
		memcpy(&fam, frame, 4);
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		off = 4;
		if (fam == 2)
			etype = ETHERTYPE_IPV4;
		else if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			etype = ETHERTYPE_IPV6;
		else
			return CTG_PKT_NOT_IP;
		break;
	}
	case CTG_PKT_LINK_RAW:
		if (len < 1)
			return drop(pkt, CTG_PKT_DROP_IP_TRUNCATED);
		if ((frame[0] >> 4) == 4)
			etype = ETHERTYPE_IPV4;
		else if ((frame[0] >> 4) == 6)
			etype = ETHERTYPE_IPV6;
		else
			return CTG_PKT_NOT_IP;
		break;
	case CTG_PKT_LINK_COUNT:
	default:
		return CTG_PKT_NOT_IP;
	}
	pkt->l2_len = (uint16_t)off;
	if (etype == ETHERTYPE_IPV4)
		return parse_ipv4(frame + off, len - off, pkt);
	if (etype == ETHERTYPE_IPV6)
		return parse_ipv6(frame + off, len - off, pkt);
	return CTG_PKT_NOT_IP;
}

bool
ctg_pkt_parse_inner(const uint8_t *l3, uint32_t len, uint8_t family, struct ctg_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	if (len < 1)
		return false;
	if (family == 4) {
		uint32_t ihl;

		if (len < 20)
			return false;
		ihl = (uint32_t)(l3[0] & 0x0f) * 4;
		if (ihl > len || (ctg_get_be16(l3 + 6) & 0x1fff) != 0)
			return false;
		pkt->l3 = l3;
		pkt->len = len;
		pkt->family = 4;
		pkt->proto = l3[9];
		pkt->l4_off = (uint16_t)ihl;
		pkt->frag_off = (uint32_t)(ctg_get_be16(l3 + 6) & 0x1fff) * 8;
		pkt->frag_mf = (ctg_get_be16(l3 + 6) & 0x2000) != 0;
		pkt->frag = pkt->frag_off != 0 || pkt->frag_mf;
		return true;
	}
	if (family == 6) {
		uint32_t off = IP6_HLEN;
		uint8_t nh;

		if (len < IP6_HLEN)
			return false;
		pkt->l3 = l3;
		pkt->len = len;
		pkt->family = 6;
		nh = l3[6];
		for (;;) {
			uint32_t hlen;

			if (nh == NH_NONE)
				return false;
			if (nh != NH_HOP && nh != NH_ROUTING && nh != NH_FRAGMENT &&
					nh != NH_AUTH && nh != NH_DEST)
				break;
			if (off + 8 > len)
				return false;
			if (nh == NH_FRAGMENT) {
				uint16_t fo = ctg_get_be16(l3 + off + 2);

				pkt->frag = 1;
				pkt->frag_off = fo & 0xfff8;
				if (pkt->frag_off != 0)
					return false;
				hlen = 8;
			} else if (nh == NH_AUTH) {
				hlen = ((uint32_t)l3[off + 1] + 2) * 4;
			} else {
				hlen = ((uint32_t)l3[off + 1] + 1) * 8;
			}
			nh = l3[off];
			off += hlen;
		}
		if (off > len)
			return false;
		pkt->proto = nh;
		pkt->l4_off = (uint16_t)off;
		return true;
	}
	return false;
}

bool
ctg_pkt_ipv4_options_drop(const struct ctg_pkt *pkt)
{
	const uint8_t *o = pkt->l3 + 20;
	uint32_t l = (uint32_t)(pkt->l3[0] & 0x0f) * 4 - 20;
	bool srr = false, rr = false, ts = false;

	while (l > 0) {
		uint32_t optlen;

		if (o[0] == 0) /* end of option list */
			break;
		if (o[0] == 1) { /* no-op */
			o++;
			l--;
			continue;
		}
		if (l < 2)
			return true;
		optlen = o[1];
		if (optlen < 2 || optlen > l)
			return true;
		switch (o[0]) {
		case 0x83: /* LSRR */
		case 0x89: /* SSRR */
			if (optlen < 3 || o[2] < 4 || srr)
				return true;
			srr = true;
			break;
		case 0x07: /* record route */
			if (rr || optlen < 3 || o[2] < 4)
				return true;
			if (o[2] <= optlen && o[2] + 3u > optlen)
				return true;
			rr = true;
			break;
		case 0x44: /* timestamp */
			if (ts || optlen < 4 || o[2] < 5)
				return true;
			ts = true;
			break;
		case 0x94: /* router alert */
			if (optlen != 4 || o[2] != 0 || o[3] != 0)
				return true;
			break;
		case 0x86: /* CIPSO: no DOI configured on the router */
			return true;
		default:
			break;
		}
		o += optlen;
		l -= optlen;
	}
	/* accept_source_route=0 */
	return srr;
}
