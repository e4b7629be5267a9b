/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_PKT_H_
#define CTG_PKT_H_

/**
 * @file
 * Frame -> parsed packet metadata. Pure C on byte buffers: no EAL, no mbuf.
 *
 * ctg_pkt_parse() does what the Linux receive path does before the conntrack hook:
 * find the IP header behind the link header (Ethernet, 802.1Q, QinQ, Linux SLL/SLL2,
 * BSD NULL, raw IP), validate it as ip_rcv()/ipv6_rcv() do (a packet they would drop is
 * CTG_PKT_DROP with a reason, the oracle's DROPPED), trim it to the IP total length, walk
 * the IPv6 extension-header chain to the transport header and note fragments. Transport
 * header checks (length, checksum, flags) are conntrack's business: see lib/ct.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ctg_common.h"

/** Link-layer framing of the bytes handed to ctg_pkt_parse(). */
enum ctg_pkt_link {
	CTG_PKT_LINK_ETHER, /**< Ethernet II, optionally 802.1Q / 802.1ad tagged */
	CTG_PKT_LINK_RAW,   /**< raw IPv4 or IPv6, version from the first nibble */
	CTG_PKT_LINK_SLL,   /**< Linux cooked capture v1 (DLT_LINUX_SLL) */
	CTG_PKT_LINK_SLL2,  /**< Linux cooked capture v2 (DLT_LINUX_SLL2) */
	CTG_PKT_LINK_NULL,  /**< BSD loopback (DLT_NULL / DLT_LOOP), host or network order */
	CTG_PKT_LINK_COUNT
};

/** Outcome of ctg_pkt_parse(). */
enum ctg_pkt_status {
	CTG_PKT_OK,	/**< an IP packet that reaches the conntrack hook */
	CTG_PKT_NOT_IP, /**< not IPv4/IPv6 (ARP, LLDP ...): SKIPPED, bridged as is */
	CTG_PKT_DROP,	/**< the IP layer drops it before conntrack (DROPPED) */
	CTG_PKT_STATUS_COUNT
};

/** Why the IP layer dropped a packet; one X-macro list feeds the enum and the names. */
#define CTG_PKT_DROP_REASONS(X)                                                          \
	X(NONE, "none")                                                                  \
	X(L2_TRUNCATED, "frame shorter than its link-layer header")                      \
	X(IP_TRUNCATED, "frame shorter than the IP header")                              \
	X(IP_VERSION, "IP version does not match the link type")                         \
	X(IP_HDR_LEN, "IPv4 header length below 20 or beyond the frame")                 \
	X(IP_CSUM, "bad IPv4 header checksum")                                           \
	X(IP_TOT_LEN, "IP total length beyond the frame or below the header")            \
	X(IP6_LOOPBACK, "IPv6 loopback or v4-mapped address on a wire")                  \
	X(IP6_SRC_MCAST, "IPv6 multicast source address")                                \
	X(IP6_MCAST_SCOPE, "IPv6 interface-local multicast destination")                 \
	X(IP6_EXTHDR, "malformed IPv6 extension header")

enum ctg_pkt_drop_reason {
#define CTG_PKT_X(n, s) CTG_PKT_DROP_##n,
	CTG_PKT_DROP_REASONS(CTG_PKT_X)
#undef CTG_PKT_X
	CTG_PKT_DROP_COUNT
};

/** Human-readable name of a drop reason. */
const char *ctg_pkt_drop_reason_str(enum ctg_pkt_drop_reason r);

/** Parsed packet metadata. All offsets are relative to @c l3. */
struct ctg_pkt {
	const uint8_t *l3;   /**< IP header */
	uint32_t len;	     /**< datagram bytes from l3: IP total length (trimmed) */
	uint16_t l4_off;     /**< transport header offset (after IPv6 extension headers) */
	uint8_t family;	     /**< 4 or 6 */
	uint8_t proto;	     /**< transport protocol (IPv6: the last next-header) */
	uint8_t nb_vlan;     /**< VLAN tags seen (0..2) */
	uint8_t frag;	     /**< 1 if this is a fragment (v4: MF or offset; v6: frag hdr) */
	uint8_t frag_mf;     /**< more-fragments flag */
	uint8_t drop_reason; /**< enum ctg_pkt_drop_reason when CTG_PKT_DROP */
	uint8_t no_l4;	     /**< IPv6: the extension chain ends before a transport header */
	uint16_t vlan[2];    /**< VLAN ids, outer first */
	uint16_t frag_hdr_off; /**< IPv6: offset of the fragment header */
	uint16_t frag_nh_off;  /**< IPv6: offset of the next-header byte naming the frag hdr */
	uint32_t frag_off;     /**< fragment offset in bytes */
	uint32_t frag_id;      /**< IPv4 identification or IPv6 fragment identification */
	uint16_t l2_len;       /**< bytes before l3 in the frame */
	uint8_t l4_csum_good;  /**< the NIC verified the TCP/UDP checksum (set by the caller
				    after parsing; ctg_pkt_l4_csum_ok() then trusts it) */
};

/**
 * Parse a frame.
 * @param frame  first byte of the link-layer header
 * @param len    captured length of the frame
 * @param link   link-layer framing
 * @param pkt    filled on CTG_PKT_OK (and partly on DROP)
 * @return the status; on CTG_PKT_DROP pkt->drop_reason says why.
 * Context: any. Concurrency: none (pure function).
 */
enum ctg_pkt_status ctg_pkt_parse(const uint8_t *frame, uint32_t len, enum ctg_pkt_link link,
		struct ctg_pkt *pkt);

/**
 * Parse an IP packet that starts at @p l3 (the datagram a reassembly produced, or
 * an IP packet without link header). Same checks as ctg_pkt_parse().
 */
enum ctg_pkt_status ctg_pkt_parse_l3(const uint8_t *l3, uint32_t len, struct ctg_pkt *pkt);

/**
 * Parse the IP header quoted inside an ICMP/ICMPv6 error. Lenient as the kernel is:
 * the quoted datagram may be cut short (only 8 transport bytes are required for ports),
 * and its total length is not checked against what is present. As in the kernel, the
 * quoted header is read as the outer packet's @p family (its version is not checked),
 * and a quoted non-first fragment has no transport header.
 * @return true if an IP header and the offset of its transport header were found.
 */
bool ctg_pkt_parse_inner(const uint8_t *l3, uint32_t len, uint8_t family, struct ctg_pkt *pkt);

/**
 * IPv4 options as ip_rcv_options() sees them after PREROUTING (a router with
 * accept_source_route=0): true when the packet is dropped there, i.e. a malformed
 * option (length or pointer out of range, as ip_options_compile() checks) or a
 * source-route option. Unknown well-formed options are ignored, as in the kernel.
 */
bool ctg_pkt_ipv4_options_drop(const struct ctg_pkt *pkt);

/** Internet checksum partial sum (ones' complement, not folded) of @p len bytes. */
uint32_t ctg_pkt_csum_partial(const uint8_t *p, uint32_t len, uint32_t sum);

/*
 * Inline building blocks of the checksums (RFC 1071, 2.(B): the ones' complement sum
 * does not depend on byte order): add native 64-bit words with end-around carry into
 * @p acc, then fold the accumulator to 16 bits. The folded value is the native-order
 * ones' complement sum; it is 0 only for all-zero data and 0xffff for a buffer whose
 * checksum verifies (swapping it to big-endian maps 0xffff to itself).
 */
static inline uint64_t
ctg_pkt_csum_add64(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w); /* end-around carry */
}

static inline uint64_t
ctg_pkt_csum_acc(const uint8_t *p, uint32_t len, uint64_t acc)
{
	uint64_t w;
	uint32_t w32;
	uint16_t w16;

	while (len >= 8) {
		__builtin_memcpy(&w, p, 8);
		acc = ctg_pkt_csum_add64(acc, w);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		__builtin_memcpy(&w32, p, 4);
		acc = ctg_pkt_csum_add64(acc, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		__builtin_memcpy(&w16, p, 2);
		acc = ctg_pkt_csum_add64(acc, w16);
		p += 2;
		len -= 2;
	}
	if (len) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		acc = ctg_pkt_csum_add64(acc, p[0]);
#else
		acc = ctg_pkt_csum_add64(acc, (uint32_t)p[0] << 8);
#endif
	}
	return acc;
}

/** Fold a native accumulator of ctg_pkt_csum_acc() to 16 bits (native order). */
static inline uint32_t
ctg_pkt_csum_native16(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/** Fold a partial sum to 16 bits and complement it. */
static inline uint16_t
ctg_pkt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * Verify the transport checksum (TCP, UDP, UDP-Lite coverage, ICMPv6 with the pseudo
 * header; ICMP without) over @p l4_len bytes at pkt->l3 + pkt->l4_off.
 * @param cover  bytes covered (UDP-Lite coverage; otherwise l4_len)
 * @return true if it is correct.
 */
bool ctg_pkt_l4_csum_ok(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover);

/**
 * As ctg_pkt_l4_csum_ok() with @p proto in the pseudo header instead of pkt->proto
 * (the kernel verifies UDP-Lite with IPPROTO_UDP in its pseudo header).
 */
bool ctg_pkt_l4_csum_ok_proto(const struct ctg_pkt *pkt, uint32_t l4_len, uint32_t cover,
		uint8_t proto);

/** Transport bytes present (header and payload). */
static inline uint32_t
ctg_pkt_l4_len(const struct ctg_pkt *pkt)
{
	return pkt->len > pkt->l4_off ? pkt->len - pkt->l4_off : 0;
}

/** Pointer to the transport header. */
static inline const uint8_t *
ctg_pkt_l4(const struct ctg_pkt *pkt)
{
	return pkt->l3 + pkt->l4_off;
}

#endif /* CTG_PKT_H_ */
