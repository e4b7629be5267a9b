/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) over byte buffers, and the transport checksum check
 * conntrack does when nf_conntrack_checksum is on: TCP, UDP and UDP-Lite (IPv4 and IPv6)
 * and ICMPv6 include the pseudo header; ICMP does not.
 */

#include <string.h>

#include "ctg_pkt.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ctg_native_to_be16(v)	 __builtin_bswap16(v)
#define ctg_native_first_byte(b) ((uint32_t)(b))
#else
#define ctg_native_to_be16(v)	 (v)
#define ctg_native_first_byte(b) ((uint32_t)(b) << 8)
#endif

/*
 * The ones' complement sum does not depend on byte order (RFC 1071, 2.(B)): sum the
 * buffer as native 32-bit words into a 64-bit accumulator (no carry is lost below 2^32
 * words), fold to 16 bits and swap the bytes once on a little-endian host. The result
 * is congruent modulo 0xffff to the big-endian 16-bit word sum the callers add to, and
 * non-zero for non-zero data, so every fold and comparison gives what it gave before.
 */
/* Native-order ones' complement sum of @p len bytes, folded to 16 bits. */
static inline uint32_t
sum_native16(const uint8_t *p, uint32_t len)
{
	uint64_t acc = 0, w;
	uint32_t w32;
	uint16_t w16;

	while (len >= 8) {
		memcpy(&w, p, 8);
		acc += w;
		acc += acc < w; /* end-around carry */
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
		acc += acc < w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		acc += acc < w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		acc += ctg_native_first_byte(p[0]);
		acc += acc < ctg_native_first_byte(p[0]);
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/*
 * The ones' complement sum does not depend on byte order (RFC 1071, 2.(B)): sum the
 * buffer as native 64-bit words with end-around carry, fold to 16 bits and swap the
 * bytes once on a little-endian host. The result is congruent modulo 0xffff to the
 * big-endian 16-bit word sum the callers add to, and non-zero for non-zero data, so
 * every fold and comparison gives what it gave before.
 */
uint32_t
ctg_pkt_csum_partial(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint64_t acc = ctg_native_to_be16((uint16_t)sum_native16(p, len));

	acc += sum;
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
	/* CHECKSUM_UNNECESSARY: only for the plain TCP/UDP check the NIC did. */
	if (pkt->l4_csum_good && proto == pkt->proto && cover == l4_len &&
			(proto == 6 || proto == 17))
		return true;
	if (!(pkt->family == 4 && pkt->proto == 1))
		sum = pseudo_header_sum(pkt, l4_len, proto);
	sum = ctg_pkt_csum_partial(l4, cover, sum);
	return ctg_pkt_csum_fold(sum) == 0;
}
