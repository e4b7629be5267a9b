/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULE_GEN_H_
#define RULE_GEN_H_

/*
 * Random rulesets and packets from a small vocabulary (few addresses and ports, so that
 * rules and packets collide often), for the classifier differential test and the
 * benchmark. Deterministic xorshift generator.
 *
 * The vocabulary covers everything the classifier files rules under and everything that
 * must keep a rule from being filed or a packet from being classified: host, prefix,
 * non-contiguous-mask and range addresses (plain and inverted, at the ends of the address
 * space too), port ranges and multiport lists (plain, inverted, --ports), -p and ! -p,
 * --state/--ctstate (plain and inverted), -m limit before other matches (its bucket must
 * advance exactly as in the linear walk), tcp flags and options, length, icmp types; and
 * packets with truncated transport headers, odd TCP data offsets and fragments.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rule_test_util.h"

static inline uint32_t
gen_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

#define GEN_PICK(s, a) ((a)[gen_rand(s) % (sizeof(a) / sizeof((a)[0]))])

/* Rule-side addresses (-s/-d) and ranges (--src-range/--dst-range), per family. */
static const char *const gen_addr4[] = { "10.0.0.1", "10.0.0.2", "10.0.1.0/24", "10.0.0.0/8",
	"10.0.0.3", "10.0.0.0/30", "10.0.0.0/23", "10.0.1.7/32", "10.0.2.0/255.0.255.0",
	"0.0.0.0/1", "128.0.0.0/1", "10.0.0.1/0", "255.255.255.255" };
static const char *const gen_range4[] = { "10.0.0.2-10.0.1.7", "10.0.0.0-10.0.0.2",
	"10.0.2.0-255.255.255.255", "0.0.0.0-10.0.0.1", "10.0.0.3-10.0.0.3",
	"10.0.1.0-10.0.0.1" };
static const char *const gen_addr6[] = { "2001:db8::1", "2001:db8::2", "2001:db8:0:1::/64",
	"2001:db8::/32", "2001:db8::3", "2001:db8::/126", "2001:db8:0:1::7/128", "::/1",
	"8000::/1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
static const char *const gen_range6[] = { "2001:db8::2-2001:db8:0:1::7",
	"2001:db8::-2001:db8::2", "2001:db8:0:2::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"::-2001:db8::1", "2001:db8::3-2001:db8::3" };

/* Packet-side addresses: inside, at the edges of and outside the rules' ones. */
static const char *const gen_paddr4[] = { "10.0.0.1", "10.0.0.2", "10.0.1.7", "10.0.0.3",
	"192.0.2.1", "10.0.0.0", "255.255.255.255", "0.0.0.0", "10.0.2.9", "10.9.2.1",
	"10.0.1.255" };
static const char *const gen_paddr6[] = { "2001:db8::1", "2001:db8::2", "2001:db8:0:1::7",
	"2001:db8::3", "2001:db9::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"2001:db8:0:2::1", "2001:db8::4" };

static const char *const gen_states[] = { "NEW", "ESTABLISHED,RELATED", "INVALID",
	"NEW,INVALID", "UNTRACKED", "RELATED", "ESTABLISHED,NEW,RELATED,INVALID,UNTRACKED" };

/* Append a port condition for @p p ("tcp" or "udp"). */
static inline size_t
gen_ports(uint64_t *s, char *out, size_t size, const char *p)
{
	switch (gen_rand(s) % 10) {
	case 0:
		return (size_t)snprintf(out, size, " -m %s %s--dport %u", p,
				gen_rand(s) % 6 ? "" : "! ", 20 + gen_rand(s) % 8);
	case 1:
		return (size_t)snprintf(out, size, " -m %s --dport %u:%u", p, 20 + gen_rand(s) % 4,
				24 + gen_rand(s) % 4);
	case 2:
		return (size_t)snprintf(out, size, " -m multiport --dports %u,%u:%u",
				20 + gen_rand(s) % 8, 22 + gen_rand(s) % 2, 25 + gen_rand(s) % 3);
	case 3:
		return (size_t)snprintf(out, size, " -m %s %s--sport %u", p,
				gen_rand(s) % 5 ? "" : "! ", 1000 + gen_rand(s) % 3);
	case 4:
		return (size_t)snprintf(out, size, " -m %s --sport %u:%u --dport %u", p,
				1000 + gen_rand(s) % 2, 1001 + gen_rand(s) % 3, 19 + gen_rand(s) % 10);
	case 5:
		return (size_t)snprintf(out, size, " -m multiport %s--sports 1000,1002:1003",
				gen_rand(s) % 4 ? "" : "! ");
	case 6:
		return (size_t)snprintf(out, size, " -m multiport --ports %u,1001",
				20 + gen_rand(s) % 8);
	case 7:
		return (size_t)snprintf(out, size, " -m %s --dport %s", p,
				gen_rand(s) % 2 ? "0:22" : "65535");
	case 8:
		return (size_t)snprintf(out, size, " -m multiport ! --dports 21:23,27");
	default:
		return 0;
	}
}

/* Append one random rule of @p family for @p chain to @p out. */
static inline size_t
gen_rule_fam(uint64_t *s, int family, char *out, size_t size, const char *chain, bool jumps)
{
	static const char *const targets[] = { "ACCEPT", "DROP", "RETURN", "LOG", "MARK --set-mark 1",
		"REJECT", "MARK --set-mark 0" };
	bool v4 = family == 4;
	size_t n = (size_t)snprintf(out, size, "-A %s", chain);
	uint32_t r = gen_rand(s);
	int proto = (int)(r % 6); /* 0 none, 1 tcp, 2 udp, 3 icmp, 4 ! tcp, 5 sctp */
	bool limit_first = gen_rand(s) % 12 == 0;

#define GEN_ADD(...) (n += (size_t)snprintf(out + n, size - n, __VA_ARGS__))
	if (gen_rand(s) % 2)
		GEN_ADD(" %s-d %s", gen_rand(s) % 8 ? "" : "! ",
				v4 ? GEN_PICK(s, gen_addr4) : GEN_PICK(s, gen_addr6));
	if (gen_rand(s) % 3 == 0)
		GEN_ADD(" %s-s %s", gen_rand(s) % 8 ? "" : "! ",
				v4 ? GEN_PICK(s, gen_addr4) : GEN_PICK(s, gen_addr6));
	if (v4 && gen_rand(s) % 40 == 0)
		GEN_ADD(" -f");
	if (limit_first)
		GEN_ADD(" -m limit --limit %u/sec --limit-burst %u", 1 + gen_rand(s) % 3,
				1 + gen_rand(s) % 2);
	if (proto == 1 || proto == 2) {
		const char *p = proto == 1 ? "tcp" : "udp";

		GEN_ADD(" -p %s", p);
		n += gen_ports(s, out + n, size - n, p);
		if (proto == 1 && gen_rand(s) % 6 == 0)
			GEN_ADD(" -m tcp %s", gen_rand(s) % 2 ? "--syn" : "--tcp-flags SYN,ACK ACK");
		if (proto == 1 && gen_rand(s) % 10 == 0)
			GEN_ADD(" -m tcp %s--tcp-option 2", gen_rand(s) % 2 ? "" : "! ");
	} else if (proto == 3) {
		GEN_ADD(" -p %s", v4 ? "icmp" : "ipv6-icmp");
		if (gen_rand(s) % 2) {
			uint32_t t = gen_rand(s) % 2;

			if (v4)
				GEN_ADD(" -m icmp --icmp-type %u", t ? 8 : 0);
			else
				GEN_ADD(" -m icmp6 --icmpv6-type %u", t ? 128 : 129);
		}
	} else if (proto == 4) {
		GEN_ADD(" ! -p tcp");
	} else if (proto == 5 && gen_rand(s) % 2) {
		GEN_ADD(" -p sctp -m multiport --dports %u:%u", 20 + gen_rand(s) % 3,
				23 + gen_rand(s) % 3);
	}
	if (gen_rand(s) % 8 == 0) {
		const char *rg = v4 ? GEN_PICK(s, gen_range4) : GEN_PICK(s, gen_range6);

		GEN_ADD(" -m iprange %s--%s-range %s", gen_rand(s) % 4 ? "" : "! ",
				gen_rand(s) % 2 ? "src" : "dst", rg);
	}
	switch (gen_rand(s) % 8) {
	case 0:
		GEN_ADD(" -m conntrack %s--ctstate %s", gen_rand(s) % 6 ? "" : "! ",
				GEN_PICK(s, gen_states));
		break;
	case 1:
		GEN_ADD(" -m state %s--state %s", gen_rand(s) % 6 ? "" : "! ",
				GEN_PICK(s, gen_states));
		break;
	case 2:
		GEN_ADD(" -m conntrack --ctstate %s --ctdir %s", GEN_PICK(s, gen_states),
				gen_rand(s) % 2 ? "ORIGINAL" : "REPLY");
		break;
	default:
		break;
	}
	if (!limit_first && gen_rand(s) % 16 == 0)
		GEN_ADD(" -m limit --limit %u/sec --limit-burst 1", 1 + gen_rand(s) % 3);
	if (gen_rand(s) % 12 == 0)
		GEN_ADD(" -m length %s--length %u:%u", gen_rand(s) % 4 ? "" : "! ",
				20 + gen_rand(s) % 20, 40 + gen_rand(s) % 60);
	if (gen_rand(s) % 10 == 0)
		GEN_ADD(" -m mark --mark 1");
	if (jumps && gen_rand(s) % 8 == 0)
		GEN_ADD(" -%c sub", gen_rand(s) % 2 ? 'j' : 'g');
	else
		GEN_ADD(" -j %s", GEN_PICK(s, targets));
	GEN_ADD("\n");
#undef GEN_ADD
	return n;
}

static inline size_t
gen_rule(uint64_t *s, char *out, size_t size, const char *chain, bool jumps)
{
	return gen_rule_fam(s, 4, out, size, chain, jumps);
}

static inline uint16_t
gen_port(uint64_t *s, bool src)
{
	switch (gen_rand(s) % 12) {
	case 0:
		return 0;
	case 1:
		return 65535;
	default:
		return (uint16_t)(src ? 999 + gen_rand(s) % 6 : 19 + gen_rand(s) % 10);
	}
}

static inline void
gen_packet_fam(uint64_t *s, int family, struct tpkt *t)
{
	bool v4 = family == 4;
	const char *src = v4 ? GEN_PICK(s, gen_paddr4) : GEN_PICK(s, gen_paddr6);
	const char *dst = v4 ? GEN_PICK(s, gen_paddr4) : GEN_PICK(s, gen_paddr6);
	uint16_t sp = gen_port(s, true), dp = gen_port(s, false);
	static const enum ctg_ct_state st[] = { CTG_CT_NEW, CTG_CT_ESTABLISHED, CTG_CT_RELATED,
		CTG_CT_INVALID, CTG_CT_UNTRACKED, CTG_CT_ESTABLISHED };

	switch (gen_rand(s) % 6) {
	case 0:
	case 1:
		tpkt_tcp(t, family, src, dst, sp, dp, (uint8_t)(gen_rand(s) & 0x3f), 1, 2,
				gen_rand(s) % 3 ? 0 : 8);
		if (gen_rand(s) % 6 == 0) {
			/* Options (MSS) or a data offset that does not fit. */
			uint8_t *l4 = t->buf + t->pkt.l4_off;

			l4[12] = (uint8_t)((gen_rand(s) % 2 ? 6 : gen_rand(s) % 16) << 4);
			l4[20] = 2;
			l4[21] = 4;
		}
		break;
	case 2:
		tpkt_udp(t, family, src, dst, sp, dp, gen_rand(s) % 40);
		break;
	case 3:
		tpkt_icmp(t, family, src, dst,
				(uint8_t)(gen_rand(s) % 2 ? (v4 ? 8 : 128) : (v4 ? 0 : 129)), 0);
		break;
	case 4: {
		uint8_t l4[8] = { (uint8_t)(sp >> 8), (uint8_t)sp, (uint8_t)(dp >> 8), (uint8_t)dp };

		tpkt_ip(t, family, src, dst, 132, l4, 4 + gen_rand(s) % 5);
		break;
	}
	default: {
		/* Truncated transport headers. */
		static const uint8_t protos[] = { 6, 17, 1, 58, 132 };
		uint8_t l4[20] = { (uint8_t)(sp >> 8), (uint8_t)sp, (uint8_t)(dp >> 8), (uint8_t)dp };

		tpkt_ip(t, family, src, dst, GEN_PICK(s, protos), l4, gen_rand(s) % 20);
		break;
	}
	}
	if (gen_rand(s) % 16 == 0) {
		/* A fragment: the first (offset 0) or a later one. */
		t->pkt.frag = 1;
		t->pkt.frag_mf = 1;
		t->pkt.frag_off = gen_rand(s) % 2 ? 0 : 8 * (1 + gen_rand(s) % 2);
	}
	if (gen_rand(s) % 4) {
		enum ctg_ct_state cs = GEN_PICK(s, st);

		tpkt_conn(t, cs, gen_rand(s) % 2 ? CTG_CT_DIR_ORIG : CTG_CT_DIR_REPLY, 0);
		if (cs == CTG_CT_INVALID || cs == CTG_CT_UNTRACKED)
			t->rp.conn = NULL;
	}
	t->rp.mark = gen_rand(s) % 2;
}

static inline void
gen_packet(uint64_t *s, struct tpkt *t)
{
	gen_packet_fam(s, 4, t);
}

#endif /* RULE_GEN_H_ */
