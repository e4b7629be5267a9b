/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) over byte buffers, and the transport checksum check
 * conntrack does when nf_conntrack_checksum is on: TCP, UDP and UDP-Lite (IPv4 and IPv6)
 * and ICMPv6 include the pseudo header; ICMP does not.
 */

#include "ctg_pkt.h"

uint32_t
ctg_pkt_csum_partial(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint64_t acc = sum;

	while (len >= 8) {
		acc += (uint64_t)ctg_get_be16(p) + ctg_get_be16(p + 2) + ctg_get_be16(p + 4) +
				ctg_get_be16(p + 6);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += ctg_get_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

static uint32_t
pseudo_header_sum(const struct ctg_pkt *pkt, uint32_t l4_len, uint8_t proto)
{
	uint32_t sum;

	if (pkt->family == 4) {
		sum = ctg_pkt_csum_partial(pkt->l3 + 12, 8, 0);
	} else {
		sum = ctg_pkt_csum_partial(pkt->l3 + 8, 32, 0);
	}
	sum += proto;
	sum += l4_len & 0xffff;
	sum += l4_len >> 16;
	return sum;
}

bool
ctg_pkt_l4_csum_ok(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover)
{
	return ctg_pkt_l4_csum_ok_proto(pkt, l4_len, cover, pkt->proto);
}

bool
ctg_pkt_l4_csum_ok_proto(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover,
		uint8_t proto)
{
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint32_t sum = 0;

	if (cover > l4_len)
		return false;
	if (!(pkt->family == 4 && pkt->proto == 1))
		sum = pseudo_header_sum(pkt, l4_len, proto);
	sum = ctg_pkt_csum_partial(l4, cover, sum);
	return ctg_pkt_csum_fold(sum) == 0;
}
