/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REJECT: the packet the kernel sends back.
 *
 * Overview. A transcription of net/ipv4/netfilter/nf_reject_ipv4.c,
 * net/ipv6/netfilter/nf_reject_ipv6.c and the eligibility checks of icmp_send() and
 * icmpv6_send():
 *   - tcp-reset: nothing for a non-first fragment, a short or RST segment or a bad TCP
 *     checksum; otherwise a bare RST from the packet's destination: seq = the packet's
 *     ack if it had ACK, else ack = seq + SYN + FIN + payload length with ACK set.
 *   - ICMP: nothing for a non-first fragment, a bad TCP/UDP(non-zero)/ICMP checksum, an
 *     ICMP error (or unknown ICMP type), a multicast/broadcast destination or a
 *     source that does not name one host; otherwise a destination unreachable quoting the
 *     datagram up to 576 bytes in all (IPv4) or 1280 (IPv6).
 * The router's own address is the ICMP error's source (the caller may give it).
 *
 * Ownership: pure functions on caller buffers; any context.
 */

#include <errno.h>
#include <string.h>

#include "ctg_rule.h"

#include "rule_private.h"

/* Pseudo-header sum: addresses at @p src (family's size each, dst follows src). */
static uint32_t
pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len)
{
	int n = family == 4 ? 4 : 16;
	uint32_t sum = ctg_pkt_csum_partial(src, (uint32_t)n, 0);

	sum = ctg_pkt_csum_partial(dst, (uint32_t)n, sum);
	sum += proto;
	sum += len >> 16;
	sum += len & 0xffff;
	return sum;
}

static const uint8_t *
pkt_src(const struct ctg_pkt *pkt)
{
	return pkt->l3 + (pkt->family == 4 ? 12 : 8);
}

static const uint8_t *
pkt_dst(const struct ctg_pkt *pkt)
{
	return pkt->l3 + (pkt->family == 4 ? 16 : 24);
}

/* The transport checksum is right (nf_ip_checksum / nf_ip6_checksum). */
static bool
l4_csum_ok(const struct ctg_pkt *pkt)
{
	uint32_t len = ctg_pkt_l4_len(pkt);
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t sum;

	if (pkt->family == 4 && pkt->proto == 1)
		return ctg_pkt_csum_fold(ctg_pkt_csum_partial(l4, len, 0)) == 0;
	sum = pseudo_sum(pkt->family, pkt_src(pkt), pkt_dst(pkt), pkt->proto, len);
	return ctg_pkt_csum_fold(ctg_pkt_csum_partial(l4, len, sum)) == 0;
}

/* nf_reject_verify_csum(): does the protocol carry a checksum worth checking? */
static bool
verify_csum(const struct ctg_pkt *pkt)
{
	switch (pkt->proto) {
	case 17:
		return ctg_pkt_l4_len(pkt) >= 8 && ctg_get_be16(ctg_pkt_l4(pkt) + 6) != 0;
	case 6:
	case 1:
	case 58:
		return true;
	default:
		return false;
	}
}

static bool
is_first_fragment_or_whole(const struct ctg_pkt *pkt)
{
	return !(pkt->frag && pkt->frag_off != 0);
}

static bool
v4_not_unicast(const uint8_t *a)
{
	uint32_t x = ctg_get_be32(a);

	return (x & 0xf0000000u) == 0xe0000000u || x == 0xffffffffu || x == 0;
}

static bool
v6_not_unicast(const uint8_t *a)
{
	static const uint8_t zero[16];

	return a[0] == 0xff || memcmp(a, zero, 16) == 0;
}

static void
put_ip4(uint8_t *o, uint32_t total, uint8_t tos, uint16_t frag, uint8_t proto,
		const uint8_t *src, const uint8_t *dst)
{
	memset(o, 0, 20);
	o[0] = 0x45;
	o[1] = tos;
	ctg_put_be16(o + 2, (uint16_t)total);
	ctg_put_be16(o + 6, frag);
	o[8] = 64;
	o[9] = proto;
	memcpy(o + 12, src, 4);
	memcpy(o + 16, dst, 4);
	ctg_put_be16(o + 10, ctg_pkt_csum_fold(ctg_pkt_csum_partial(o, 20, 0)));
}

static void
put_ip6(uint8_t *o, uint32_t plen, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	memset(o, 0, 40);
	o[0] = 0x60;
	ctg_put_be16(o + 4, (uint16_t)plen);
	o[6] = nh;
	o[7] = 64;
	memcpy(o + 8, src, 16);
	memcpy(o + 24, dst, 16);
}

static int
build_rst(const struct ctg_pkt *pkt, uint8_t *out, size_t out_size)
{
	const uint8_t *th = ctg_pkt_l4(pkt);
	uint32_t tlen = ctg_pkt_l4_len(pkt);
	uint32_t hlen = pkt->family == 4 ? 20 : 40;
	uint8_t *t;
	uint32_t sum;

	if (!is_first_fragment_or_whole(pkt) || pkt->proto != 6 || tlen < 20)
		return 0;
	if (th[13] & 0x04) /* no RST for a RST */
		return 0;
	if (!l4_csum_ok(pkt))
		return 0;
	if (pkt->family == 6 && (v6_not_unicast(pkt_src(pkt)) || v6_not_unicast(pkt_dst(pkt))))
		return 0;
	if (pkt->family == 4 && v4_not_unicast(pkt_dst(pkt)))
		return 0;
	if (out_size < hlen + 20)
		return -ENOSPC;
	t = out + hlen;
	memset(t, 0, 20);
	memcpy(t, th + 2, 2);
	memcpy(t + 2, th, 2);
	t[12] = 5 << 4;
	if (th[13] & 0x10) {
		memcpy(t + 4, th + 8, 4);
		t[13] = 0x04;
	} else {
		uint32_t ack = ctg_get_be32(th + 4) + ((th[13] >> 1) & 1) + (th[13] & 1) + tlen -
			       (uint32_t)(th[12] >> 4) * 4;

		ctg_put_be32(t + 8, ack);
		t[13] = 0x14;
	}
	if (pkt->family == 4)
		put_ip4(out, hlen + 20, 0, 0x4000, 6, pkt_dst(pkt), pkt_src(pkt));
	else
		put_ip6(out, 20, 6, pkt_dst(pkt), pkt_src(pkt));
	sum = pseudo_sum(pkt->family, pkt_dst(pkt), pkt_src(pkt), 6, 20);
	ctg_put_be16(t + 16, ctg_pkt_csum_fold(ctg_pkt_csum_partial(t, 20, sum)));
	return (int)(hlen + 20);
}

static int
icmp_code(enum ctg_rule_reject r, int family)
{
	switch (r) {
	case CTG_RULE_REJECT_ICMP_NET_UNREACHABLE:
		return family == 4 ? 0 : -1;
	case CTG_RULE_REJECT_ICMP_HOST_UNREACHABLE:
		return family == 4 ? 1 : -1;
	case CTG_RULE_REJECT_ICMP_PROT_UNREACHABLE:
		return family == 4 ? 2 : -1;
	case CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE:
		return family == 4 ? 3 : -1;
	case CTG_RULE_REJECT_ICMP_NET_PROHIBITED:
		return family == 4 ? 9 : -1;
	case CTG_RULE_REJECT_ICMP_HOST_PROHIBITED:
		return family == 4 ? 10 : -1;
	case CTG_RULE_REJECT_ICMP_ADMIN_PROHIBITED:
		return family == 4 ? 13 : -1;
	case CTG_RULE_REJECT_ICMP6_NO_ROUTE:
		return family == 6 ? 0 : -1;
	case CTG_RULE_REJECT_ICMP6_ADM_PROHIBITED:
		return family == 6 ? 1 : -1;
	case CTG_RULE_REJECT_ICMP6_ADDR_UNREACH:
		return family == 6 ? 3 : -1;
	case CTG_RULE_REJECT_ICMP6_PORT_UNREACH:
		return family == 6 ? 4 : -1;
	case CTG_RULE_REJECT_ICMP6_POLICY_FAIL:
		return family == 6 ? 5 : -1;
	case CTG_RULE_REJECT_ICMP6_REJECT_ROUTE:
		return family == 6 ? 6 : -1;
	case CTG_RULE_REJECT_TCP_RESET:
	case CTG_RULE_REJECT_COUNT:
		break;
	}
	return -1;
}

static int
build_icmp(const struct ctg_pkt *pkt, int code, const union ctg_addr *src, uint8_t *out,
		size_t out_size)
{
	bool v4 = pkt->family == 4;
	uint32_t hlen = v4 ? 20 : 40;
	uint32_t quote = pkt->len;
	uint32_t max = v4 ? 576 - 20 - 8 : 1280 - 40 - 8;
	uint8_t *ic;
	uint32_t sum;

	if (!is_first_fragment_or_whole(pkt))
		return 0;
	if (verify_csum(pkt) && !l4_csum_ok(pkt))
		return 0;
	if (pkt->proto == (v4 ? 1 : 58)) {
		const uint8_t *l4 = ctg_pkt_l4(pkt);

		if (ctg_pkt_l4_len(pkt) < 1)
			return 0;
		if (v4 && (l4[0] > 18 || l4[0] == 3 || l4[0] == 4 || l4[0] == 5 || l4[0] == 11 ||
					  l4[0] == 12))
			return 0;
		if (!v4 && !(l4[0] & 0x80))
			return 0;
	}
	if (v4 ? v4_not_unicast(pkt_dst(pkt)) || v4_not_unicast(pkt_src(pkt))
	       : v6_not_unicast(pkt_dst(pkt)) || v6_not_unicast(pkt_src(pkt)))
		return 0;
	if (quote > max)
		quote = max;
	if (out_size < hlen + 8 + quote)
		return -ENOSPC;
	ic = out + hlen;
	memset(ic, 0, 8);
	ic[0] = v4 ? 3 : 1;
	ic[1] = (uint8_t)code;
	memcpy(ic + 8, pkt->l3, quote);
	if (v4) {
		put_ip4(out, hlen + 8 + quote, (uint8_t)((pkt->l3[1] & 0x1e) | 0xc0), 0, 1, src->b,
				pkt_src(pkt));
		ctg_put_be16(ic + 2, ctg_pkt_csum_fold(ctg_pkt_csum_partial(ic, 8 + quote, 0)));
	} else {
		put_ip6(out, 8 + quote, 58, src->b, pkt_src(pkt));
		sum = pseudo_sum(6, src->b, pkt_src(pkt), 58, 8 + quote);
		ctg_put_be16(ic + 2, ctg_pkt_csum_fold(ctg_pkt_csum_partial(ic, 8 + quote, sum)));
	}
	return (int)(hlen + 8 + quote);
}

int
ctg_rule_reject_build_src(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		const union ctg_addr *icmp_src, uint8_t *out, size_t out_size)
{
	static const union ctg_addr src4 = { .b = { 198, 18, 255, 254 } };
	static const union ctg_addr src6 = { .b = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0,
						   0, 0, 0, 0, 0, 0, 0xfe } };
	uint32_t minlen;
	int code;

	if (res == NULL || pkt == NULL || out == NULL || res->verdict != CTG_RULE_REJECT)
		return -EINVAL;
	if (pkt->family != 4 && pkt->family != 6)
		return -EINVAL;
	minlen = pkt->family == 4 ? 20 : 40;
	if (pkt->len < minlen || pkt->l4_off > pkt->len || pkt->l4_off < minlen)
		return -EINVAL;
	if (res->reject == CTG_RULE_REJECT_TCP_RESET)
		return build_rst(pkt, out, out_size);
	code = icmp_code((enum ctg_rule_reject)res->reject, pkt->family);
	if (code < 0)
		return -EINVAL;
	if (icmp_src == NULL)
		icmp_src = pkt->family == 4 ? &src4 : &src6;
	return build_icmp(pkt, code, icmp_src, out, out_size);
}

int
ctg_rule_reject_build(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		uint8_t *out, size_t out_size)
{
	return ctg_rule_reject_build_src(res, pkt, NULL, out, out_size);
}
