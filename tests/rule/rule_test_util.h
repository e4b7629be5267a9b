/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULE_TEST_UTIL_H_
#define RULE_TEST_UTIL_H_

/*
 * Hand-built packets for the rule tests: IPv4/IPv6 headers and TCP/UDP/ICMP transport
 * headers written byte by byte, with struct ctg_pkt filled by hand (the tests do not
 * depend on lib/pkt's parser).
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "ctg_pkt.h"
#include "ctg_rule.h"

struct tpkt {
	uint8_t buf[2048];
	struct ctg_pkt pkt;
	struct ctg_rule_pkt rp;
	struct ctg_ct_conn conn;
};

static inline uint32_t
tsum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)(p[i] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Fill the transport checksum (TCP/UDP/ICMPv6 with pseudo header, ICMP without). */
static inline void
tpkt_csum(struct tpkt *t)
{
	struct ctg_pkt *p = &t->pkt;
	uint8_t *l4 = t->buf + p->l4_off;
	uint32_t len = p->len - p->l4_off;
	uint32_t sum = 0;
	int off = p->proto == 6 ? 16 : p->proto == 17 ? 6 : 2;
	int n = p->family == 4 ? 4 : 16;

	if (len < (uint32_t)off + 2)
		return;
	l4[off] = l4[off + 1] = 0;
	if (!(p->family == 4 && p->proto == 1)) {
		sum = tsum(t->buf + (p->family == 4 ? 12 : 8), (uint32_t)(2 * n), 0);
		sum += p->proto + (len >> 16) + (len & 0xffff);
	}
	sum = tsum(l4, len, sum);
	sum = (uint16_t)~sum;
	l4[off] = (uint8_t)(sum >> 8);
	l4[off + 1] = (uint8_t)sum;
}

/* An IPv4 (family 4) or IPv6 packet with @p l4len transport bytes from @p l4. */
static inline void
tpkt_ip(struct tpkt *t, int family, const char *src, const char *dst, uint8_t proto,
		const uint8_t *l4, uint32_t l4len)
{
	uint32_t hl = family == 4 ? 20 : 40;

	memset(t, 0, sizeof(*t));
	if (family == 4) {
		t->buf[0] = 0x45;
		t->buf[2] = (uint8_t)((hl + l4len) >> 8);
		t->buf[3] = (uint8_t)(hl + l4len);
		t->buf[8] = 64;
		t->buf[9] = proto;
		inet_pton(AF_INET, src, t->buf + 12);
		inet_pton(AF_INET, dst, t->buf + 16);
	} else {
		t->buf[0] = 0x60;
		t->buf[4] = (uint8_t)(l4len >> 8);
		t->buf[5] = (uint8_t)l4len;
		t->buf[6] = proto;
		t->buf[7] = 64;
		inet_pton(AF_INET6, src, t->buf + 8);
		inet_pton(AF_INET6, dst, t->buf + 24);
	}
	memcpy(t->buf + hl, l4, l4len);
	t->pkt.l3 = t->buf;
	t->pkt.len = hl + l4len;
	t->pkt.l4_off = (uint16_t)hl;
	t->pkt.family = (uint8_t)family;
	t->pkt.proto = proto;
	t->rp.pkt = &t->pkt;
	t->rp.in_port = CTG_RULE_PORT_NONE;
	t->rp.out_port = CTG_RULE_PORT_NONE;
	t->rp.ct_state = CTG_CT_INVALID;
	tpkt_csum(t);
}

/* TCP segment: flags as the byte (0x02 SYN, 0x10 ACK, 0x04 RST ...), @p pay payload bytes. */
static inline void
tpkt_tcp(struct tpkt *t, int family, const char *src, const char *dst, uint16_t sport,
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t pay)
{
	uint8_t h[20 + 256] = { 0 };

	h[0] = (uint8_t)(sport >> 8);
	h[1] = (uint8_t)sport;
	h[2] = (uint8_t)(dport >> 8);
	h[3] = (uint8_t)dport;
	h[4] = (uint8_t)(seq >> 24);
	h[5] = (uint8_t)(seq >> 16);
	h[6] = (uint8_t)(seq >> 8);
	h[7] = (uint8_t)seq;
	h[8] = (uint8_t)(ack >> 24);
	h[9] = (uint8_t)(ack >> 16);
	h[10] = (uint8_t)(ack >> 8);
	h[11] = (uint8_t)ack;
	h[12] = 5 << 4;
	h[13] = flags;
	h[14] = 0xff;
	h[15] = 0xff;
	tpkt_ip(t, family, src, dst, 6, h, 20 + (pay > 256 ? 256 : pay));
}

static inline void
tpkt_udp(struct tpkt *t, int family, const char *src, const char *dst, uint16_t sport,
		uint16_t dport, uint32_t pay)
{
	uint8_t h[8 + 1024] = { 0 };
	uint32_t len = 8 + (pay > 1024 ? 1024 : pay);

	h[0] = (uint8_t)(sport >> 8);
	h[1] = (uint8_t)sport;
	h[2] = (uint8_t)(dport >> 8);
	h[3] = (uint8_t)dport;
	h[4] = (uint8_t)(len >> 8);
	h[5] = (uint8_t)len;
	tpkt_ip(t, family, src, dst, 17, h, len);
}

static inline void
tpkt_icmp(struct tpkt *t, int family, const char *src, const char *dst, uint8_t type,
		uint8_t code)
{
	uint8_t h[8] = { type, code, 0, 0, 0, 1, 0, 1 };

	tpkt_ip(t, family, src, dst, family == 4 ? 1 : 58, h, 8);
}

/* Attach a connection (orig tuple = this packet as seen, unless @p reply). */
static inline void
tpkt_conn(struct tpkt *t, enum ctg_ct_state st, enum ctg_ct_dir dir, uint32_t status)
{
	struct ctg_ct_tuple *o = &t->conn.orig;
	const uint8_t *l4 = t->buf + t->pkt.l4_off;
	int n = t->pkt.family == 4 ? 4 : 16;
	const uint8_t *sa = t->buf + (t->pkt.family == 4 ? 12 : 8);

	memset(&t->conn, 0, sizeof(t->conn));
	o->family = t->pkt.family;
	o->proto = t->pkt.proto;
	memcpy(dir == CTG_CT_DIR_ORIG ? o->src.b : o->dst.b, sa, (size_t)n);
	memcpy(dir == CTG_CT_DIR_ORIG ? o->dst.b : o->src.b, sa + n, (size_t)n);
	if (t->pkt.proto == 6 || t->pkt.proto == 17) {
		uint16_t sp = (uint16_t)(l4[0] << 8 | l4[1]), dp = (uint16_t)(l4[2] << 8 | l4[3]);

		o->sport = dir == CTG_CT_DIR_ORIG ? sp : dp;
		o->dport = dir == CTG_CT_DIR_ORIG ? dp : sp;
	}
	t->conn.status = status;
	t->rp.conn = &t->conn;
	t->rp.ct_state = (uint8_t)st;
	t->rp.ct_dir = (uint8_t)dir;
}

#endif /* RULE_TEST_UTIL_H_ */
