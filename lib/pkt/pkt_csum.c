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
#else
#define ctg_native_to_be16(v)	 (v)
#endif

/* Native-order ones' complement sum of @p len bytes, folded to 16 bits. */
static inline uint32_t
sum_native16(const uint8_t *p, uint32_t len)
{
	return ctg_pkt_csum_native16(ctg_pkt_csum_acc(p, len, 0));
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

bool
ctg_pkt_l4_csum_ok(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover)
{
	return ctg_pkt_l4_csum_ok_proto(pkt, l4_len, cover, pkt->proto);
}

/*
 * One native accumulator over the pseudo-header addresses and the covered bytes, one
 * fold and one swap, then the host-order protocol and length words. The result is
 * congruent modulo 0xffff to summing the pseudo header and the data separately, and is
 * zero only when both are (it has a non-zero term whenever the data has one), so the
 * verdict is the one of the separate sums.
 */
bool
ctg_pkt_l4_csum_ok_proto(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover,
		uint8_t proto)
{
	const uint8_t *l4 = ctg_pkt_l4(pkt);
	uint64_t acc = 0;
	uint32_t sum = 0;
	bool pseudo;

	if (cover > l4_len)
		return false;
	/* CHECKSUM_UNNECESSARY: only for the plain TCP/UDP check the NIC did. */
	if (pkt->l4_csum_good && proto == pkt->proto && cover == l4_len &&
			(proto == 6 || proto == 17))
		return true;
	pseudo = !(pkt->family == 4 && pkt->proto == 1);
	if (pseudo) {
		if (pkt->family == 4)
			acc = ctg_pkt_csum_acc(pkt->l3 + 12, 8, 0);
		else
			acc = ctg_pkt_csum_acc(pkt->l3 + 8, 32, 0);
	}
	acc = ctg_pkt_csum_acc(l4, cover, acc);
	sum = ctg_native_to_be16((uint16_t)ctg_pkt_csum_native16(acc));
	if (pseudo) {
		sum += proto;
		sum += l4_len & 0xffff;
		sum += l4_len >> 16;
	}
	return ctg_pkt_csum_fold(sum) == 0;
}
