/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULE_GEN_H_
#define RULE_GEN_H_

/*
 * Random rulesets and packets from a small vocabulary (few addresses and ports, so that
 * rules and packets collide often), for the classifier differential test and the
 * benchmark. Deterministic xorshift generator.
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

/* Append one random rule for @p chain to @p out. */
static inline size_t
gen_rule(uint64_t *s, char *out, size_t size, const char *chain, bool jumps)
{
	static const char *const addrs[] = { "10.0.0.1", "10.0.0.2", "10.0.1.0/24", "10.0.0.0/8",
		"10.0.0.3" };
	static const char *const targets[] = { "ACCEPT", "DROP", "RETURN", "LOG", "MARK --set-mark 1",
		"REJECT" };
	size_t n = (size_t)snprintf(out, size, "-A %s", chain);
	uint32_t r = gen_rand(s);
	int proto = (int)(r % 4); /* 0 none, 1 tcp, 2 udp, 3 icmp */

	if (gen_rand(s) % 2)
		n += (size_t)snprintf(out + n, size - n, " %s-d %s", gen_rand(s) % 8 ? "" : "! ",
				addrs[gen_rand(s) % 5]);
	if (gen_rand(s) % 3 == 0)
		n += (size_t)snprintf(out + n, size - n, " %s-s %s", gen_rand(s) % 8 ? "" : "! ",
				addrs[gen_rand(s) % 5]);
	if (proto == 1 || proto == 2) {
		const char *p = proto == 1 ? "tcp" : "udp";

		n += (size_t)snprintf(out + n, size - n, " -p %s", p);
		switch (gen_rand(s) % 5) {
		case 0:
			n += (size_t)snprintf(out + n, size - n, " -m %s %s--dport %u", p,
					gen_rand(s) % 6 ? "" : "! ", 20 + gen_rand(s) % 8);
			break;
		case 1:
			n += (size_t)snprintf(out + n, size - n, " -m %s --dport %u:%u", p,
					20 + gen_rand(s) % 4, 24 + gen_rand(s) % 4);
			break;
		case 2:
			n += (size_t)snprintf(out + n, size - n, " -m multiport --dports %u,%u:%u",
					20 + gen_rand(s) % 8, 22 + gen_rand(s) % 2, 25 + gen_rand(s) % 3);
			break;
		case 3:
			n += (size_t)snprintf(out + n, size - n, " -m %s --sport %u", p,
					1000 + gen_rand(s) % 3);
			break;
		default:
			break;
		}
	} else if (proto == 3) {
		n += (size_t)snprintf(out + n, size - n, " -p icmp");
		if (gen_rand(s) % 2)
			n += (size_t)snprintf(out + n, size - n, " -m icmp --icmp-type %u",
					gen_rand(s) % 2 ? 8 : 0);
	}
	if (gen_rand(s) % 4 == 0)
		n += (size_t)snprintf(out + n, size - n, " -m conntrack --ctstate %s",
				gen_rand(s) % 2 ? "NEW" : "ESTABLISHED,RELATED");
	if (gen_rand(s) % 10 == 0)
		n += (size_t)snprintf(out + n, size - n, " -m mark --mark 1");
	if (jumps && gen_rand(s) % 8 == 0)
		n += (size_t)snprintf(out + n, size - n, " -%c sub", gen_rand(s) % 2 ? 'j' : 'g');
	else
		n += (size_t)snprintf(out + n, size - n, " -j %s", targets[gen_rand(s) % 6]);
	n += (size_t)snprintf(out + n, size - n, "\n");
	return n;
}

static inline void
gen_packet(uint64_t *s, struct tpkt *t)
{
	static const char *const addrs[] = { "10.0.0.1", "10.0.0.2", "10.0.1.7", "10.0.0.3",
		"192.0.2.1" };
	const char *src = addrs[gen_rand(s) % 5], *dst = addrs[gen_rand(s) % 5];
	uint16_t sp = (uint16_t)(1000 + gen_rand(s) % 4), dp = (uint16_t)(19 + gen_rand(s) % 10);

	switch (gen_rand(s) % 4) {
	case 0:
		tpkt_tcp(t, 4, src, dst, sp, dp, (uint8_t)(gen_rand(s) & 0x3f), 1, 2, 0);
		break;
	case 1:
		tpkt_udp(t, 4, src, dst, sp, dp, gen_rand(s) % 20);
		break;
	case 2:
		tpkt_icmp(t, 4, src, dst, gen_rand(s) % 2 ? 8 : 0, 0);
		break;
	default: {
		/* Truncated transport headers sometimes. */
		uint8_t l4[12] = { 0, 1, 0, (uint8_t)dp };

		tpkt_ip(t, 4, src, dst, gen_rand(s) % 2 ? 6 : 17, l4, gen_rand(s) % 12);
		break;
	}
	}
	if (gen_rand(s) % 2)
		tpkt_conn(t, gen_rand(s) % 2 ? CTG_CT_NEW : CTG_CT_ESTABLISHED,
				gen_rand(s) % 2 ? CTG_CT_DIR_ORIG : CTG_CT_DIR_REPLY, 0);
	t->rp.mark = gen_rand(s) % 2;
}

#endif /* RULE_GEN_H_ */
