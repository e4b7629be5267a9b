/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pkt: link headers, the ip_rcv()/ip6_rcv() drop checks, IPv6 extension chains,
 * fragments and checksums, on hand-built frames.
 */

#include <string.h>

#include "ctg_pkt.h"
#include "ctg_test.h"

static void
ip4_csum(uint8_t *ip)
{
	uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;

	ip[10] = ip[11] = 0;
	ctg_put_be16(ip + 10, ctg_pkt_csum_fold(ctg_pkt_csum_partial(ip, ihl, 0)));
}

/* Ethernet + optional tags + IPv4/UDP with a correct UDP checksum; returns frame len. */
static uint32_t
build_udp4(uint8_t *f, int tags, uint32_t payload)
{
	uint32_t off = 12;
	uint8_t *ip, *udp;
	struct ctg_pkt p;

	memset(f, 0, 2048);
	for (int i = 0; i < tags; i++) {
		ctg_put_be16(f + off, i == 0 && tags == 2 ? 0x88a8 : 0x8100);
		ctg_put_be16(f + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	ctg_put_be16(f + off, 0x0800);
	ip = f + off + 2;
	ip[0] = 0x45;
	ctg_put_be16(ip + 2, (uint16_t)(20 + 8 + payload));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\xc0\x00\x02\x01\xc6\x33\x64\x02", 8);
	ip4_csum(ip);
	udp = ip + 20;
	ctg_put_be16(udp, 1234);
	ctg_put_be16(udp + 2, 53);
	ctg_put_be16(udp + 4, (uint16_t)(8 + payload));
	memset(udp + 8, 'x', payload);
	memset(&p, 0, sizeof(p));
	p.l3 = ip;
	p.len = 28 + payload;
	p.l4_off = 20;
	p.family = 4;
	p.proto = 17;
	{
		/* Compute the checksum with the library, then verify it round-trips. */
		uint32_t sum = ctg_pkt_csum_partial(ip + 12, 8, 0) + 17 + 8 + payload;

		sum = ctg_pkt_csum_partial(udp, 8 + payload, sum);
		ctg_put_be16(udp + 6, ctg_pkt_csum_fold(sum));
	}
	return off + 2 + 28 + payload;
}

static int
test_ether_udp(void)
{
	uint8_t f[2048];
	uint32_t n = build_udp4(f, 0, 10);
	struct ctg_pkt p;

	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.family, 4);
	CTG_ASSERT_EQ(p.proto, 17);
	CTG_ASSERT_EQ(p.len, 38);
	CTG_ASSERT_EQ(p.l4_off, 20);
	CTG_ASSERT_EQ(p.frag, 0);
	CTG_ASSERT(ctg_pkt_l4_csum_ok(&p, 18, 18), "udp checksum");
	f[n - 1] ^= 1;
	CTG_ASSERT(!ctg_pkt_l4_csum_ok(&p, 18, 18), "corrupted payload must fail");
	return 0;
}

static int
test_vlan_qinq(void)
{
	uint8_t f[2048];
	struct ctg_pkt p;
	uint32_t n = build_udp4(f, 1, 4);

	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.nb_vlan, 1);
	CTG_ASSERT_EQ(p.vlan[0], 100);
	n = build_udp4(f, 2, 4);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.nb_vlan, 2);
	CTG_ASSERT_EQ(p.vlan[1], 101);
	CTG_ASSERT_EQ(p.l2_len, 22);
	/* A tag cut short */
	CTG_ASSERT_EQ(ctg_pkt_parse(f, 16, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	return 0;
}

static int
test_not_ip(void)
{
	uint8_t f[64] = { 0 };
	struct ctg_pkt p;

	ctg_put_be16(f + 12, 0x0806); /* ARP */
	CTG_ASSERT_EQ(ctg_pkt_parse(f, 60, CTG_PKT_LINK_ETHER, &p), CTG_PKT_NOT_IP);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, 10, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_L2_TRUNCATED);
	return 0;
}

static int
test_ipv4_drops(void)
{
	uint8_t f[2048];
	struct ctg_pkt p;
	uint32_t n = build_udp4(f, 0, 10);
	uint8_t *ip = f + 14;

	/* bad header checksum */
	ip[10] ^= 0xff;
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP_CSUM);
	/* total length beyond the frame */
	n = build_udp4(f, 0, 10);
	ctg_put_be16(ip + 2, 1000);
	ip4_csum(ip);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP_TOT_LEN);
	/* total length below the header */
	ctg_put_be16(ip + 2, 12);
	ip4_csum(ip);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	/* IHL < 5 */
	n = build_udp4(f, 0, 10);
	ip[0] = 0x44;
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP_HDR_LEN);
	/* Ethernet padding is trimmed to the IP total length */
	n = build_udp4(f, 0, 2);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n + 20, CTG_PKT_LINK_ETHER, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.len, 30);
	/* version 6 in an IPv4 ethertype */
	ip[0] = 0x65;
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP_VERSION);
	return 0;
}

static int
test_ipv4_fragment(void)
{
	uint8_t f[2048];
	struct ctg_pkt p;
	uint32_t n = build_udp4(f, 0, 100);
	uint8_t *ip = f + 14;

	ctg_put_be16(ip + 4, 4242);
	ctg_put_be16(ip + 6, 0x2000 | 185); /* MF, offset 1480 */
	ip4_csum(ip);
	CTG_ASSERT_EQ(ctg_pkt_parse(f, n, CTG_PKT_LINK_ETHER, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.frag, 1);
	CTG_ASSERT_EQ(p.frag_mf, 1);
	CTG_ASSERT_EQ(p.frag_off, 1480);
	CTG_ASSERT_EQ(p.frag_id, 4242);
	return 0;
}

/* IPv6 with the given extension headers (each 8 bytes) before UDP. */
static uint32_t
build_udp6(uint8_t *ip, const uint8_t *exts, int nb_ext)
{
	uint32_t off = 40;
	uint8_t *nh = ip + 6;

	memset(ip, 0, 200);
	ip[0] = 0x60;
	ip[7] = 64;
	ip[8] = 0x20;
	ip[9] = 0x01;
	ip[23] = 1;
	ip[24] = 0x20;
	ip[25] = 0x01;
	ip[39] = 2;
	for (int i = 0; i < nb_ext; i++) {
		*nh = exts[i];
		nh = ip + off;
		if (exts[i] == 44)
			ctg_put_be32(ip + off + 4, 99); /* fragment id, offset 0, MF 0 */
		off += 8;
	}
	*nh = 17;
	ctg_put_be16(ip + off + 4, 8);
	ctg_put_be16(ip + 4, (uint16_t)(off + 8 - 40));
	return off + 8;
}

static int
test_ipv6_chain(void)
{
	static const uint8_t exts[] = { 0, 43, 60 };
	uint8_t ip[256];
	struct ctg_pkt p;
	uint32_t n = build_udp6(ip, exts, 3);

	/* Hop-by-hop with a PadN of 4 */
	ip[42] = 1;
	ip[43] = 4;
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.family, 6);
	CTG_ASSERT_EQ(p.proto, 17);
	CTG_ASSERT_EQ(p.l4_off, 64);
	CTG_ASSERT_EQ(p.no_l4, 0);
	/* An unknown hop-by-hop option with "discard" bits makes ip6_rcv drop it */
	ip[42] = 0x80;
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP6_EXTHDR);
	/* Chain running past the packet: no transport header */
	n = build_udp6(ip, exts + 1, 2);
	ip[41] = 200; /* routing header length way beyond */
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.no_l4, 1);
	return 0;
}

static int
test_ipv6_fragment_and_drops(void)
{
	static const uint8_t exts[] = { 60, 44 };
	uint8_t ip[256];
	struct ctg_pkt p;
	uint32_t n = build_udp6(ip, exts, 2);

	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.frag, 1); /* atomic fragment */
	CTG_ASSERT_EQ(p.frag_hdr_off, 48);
	CTG_ASSERT_EQ(p.frag_nh_off, 40);
	CTG_ASSERT_EQ(p.frag_id, 99);
	CTG_ASSERT_EQ(p.proto, 17);
	/* non-first fragment: chain stops at the fragment header */
	ctg_put_be16(ip + 50, 0x0100);
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_OK);
	CTG_ASSERT_EQ(p.frag_off, 256);
	CTG_ASSERT_EQ(p.l4_off, 56);
	/* loopback destination, multicast source, payload length beyond the frame */
	n = build_udp6(ip, exts, 0);
	ip[24] = 0;
	ip[25] = 0;
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_OK);
	memset(ip + 24, 0, 16);
	ip[39] = 1;
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP6_LOOPBACK);
	n = build_udp6(ip, exts, 0);
	ip[8] = 0xff;
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n, CTG_PKT_LINK_RAW, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP6_SRC_MCAST);
	n = build_udp6(ip, exts, 0);
	CTG_ASSERT_EQ(ctg_pkt_parse(ip, n - 1, CTG_PKT_LINK_RAW, &p), CTG_PKT_DROP);
	CTG_ASSERT_EQ(p.drop_reason, CTG_PKT_DROP_IP_TOT_LEN);
	return 0;
}

static int
test_sll_null(void)
{
	uint8_t f[2048], g[2048];
	uint32_t n = build_udp4(f, 0, 4) - 14;
	struct ctg_pkt p;

	/* SLL: 16-byte header, protocol at 14 */
	memset(g, 0, 16);
	ctg_put_be16(g + 14, 0x0800);
	memcpy(g + 16, f + 14, n);
	CTG_ASSERT_EQ(ctg_pkt_parse(g, n + 16, CTG_PKT_LINK_SLL, &p), CTG_PKT_OK);
	/* SLL2: 20 bytes, protocol first */
	memset(g, 0, 20);
	ctg_put_be16(g, 0x0800);
	memcpy(g + 20, f + 14, n);
	CTG_ASSERT_EQ(ctg_pkt_parse(g, n + 20, CTG_PKT_LINK_SLL2, &p), CTG_PKT_OK);
	/* NULL: AF_INET in host order, then network order */
	uint32_t af = 2;

	memcpy(g, &af, 4);
	memcpy(g + 4, f + 14, n);
	CTG_ASSERT_EQ(ctg_pkt_parse(g, n + 4, CTG_PKT_LINK_NULL, &p), CTG_PKT_OK);
	af = __builtin_bswap32(2);
	memcpy(g, &af, 4);
	CTG_ASSERT_EQ(ctg_pkt_parse(g, n + 4, CTG_PKT_LINK_NULL, &p), CTG_PKT_OK);
	af = 7;
	memcpy(g, &af, 4);
	CTG_ASSERT_EQ(ctg_pkt_parse(g, n + 4, CTG_PKT_LINK_NULL, &p), CTG_PKT_NOT_IP);
	return 0;
}

static int
test_inner(void)
{
	uint8_t f[2048];
	uint32_t n = build_udp4(f, 0, 4);
	struct ctg_pkt p;

	/* Quoted headers may be cut to 8 transport bytes and are read as the outer family */
	CTG_ASSERT(ctg_pkt_parse_inner(f + 14, 28, 4, &p), "inner v4");
	CTG_ASSERT_EQ(p.proto, 17);
	CTG_ASSERT(!ctg_pkt_parse_inner(f + 14, 12, 4, &p), "too short");
	(void)n;
	return 0;
}

static int
test_ipv4_options(void)
{
	static const struct {
		const char *opts; /* hex, 4-byte multiple */
		int drop;
	} cases[] = {
		{ "830704cb00710101", 1 }, /* LSRR: source routing refused */
		{ "9e040000", 0 },	   /* unknown option, well formed: ignored */
		{ "07280400", 1 },	   /* record route longer than the header */
		{ "07070400000000000", 0 }, /* record route, room for one address */
		{ "94040000", 0 },	   /* router alert */
		{ "01010100", 0 },	   /* NOPs and end of list */
		{ "0702", 1 },		   /* record route too short */
	};
	for (size_t i = 0; i < CTG_ARRAY_SIZE(cases); i++) {
		uint8_t ip[80] = { 0 };
		size_t n = strlen(cases[i].opts) / 2;
		uint32_t olen = (uint32_t)((n + 3) & ~3u);
		struct ctg_pkt p;

		for (size_t k = 0; k < n; k++) {
			unsigned int v;

			sscanf(cases[i].opts + 2 * k, "%2x", &v);
			ip[20 + k] = (uint8_t)v;
		}
		ip[0] = (uint8_t)(0x40 | (20 + olen) / 4);
		ctg_put_be16(ip + 2, (uint16_t)(20 + olen + 8));
		ip[8] = 64;
		ip[9] = 17;
		ip4_csum(ip);
		CTG_ASSERT_EQ(ctg_pkt_parse_l3(ip, 20 + olen + 8, &p), CTG_PKT_OK);
		CTG_ASSERT(ctg_pkt_ipv4_options_drop(&p) == (cases[i].drop != 0), "case %zu", i);
	}
	return 0;
}

int
main(void)
{
	static const struct ctg_test_case cases[] = {
		{ "ether_udp", test_ether_udp },
		{ "vlan_qinq", test_vlan_qinq },
		{ "not_ip", test_not_ip },
		{ "ipv4_drops", test_ipv4_drops },
		{ "ipv4_fragment", test_ipv4_fragment },
		{ "ipv6_chain", test_ipv6_chain },
		{ "ipv6_fragment_and_drops", test_ipv6_fragment_and_drops },
		{ "sll_null", test_sll_null },
		{ "inner", test_inner },
		{ "ipv4_options", test_ipv4_options },
		{ NULL, NULL },
	};

	return ctg_test_run(cases);
}
