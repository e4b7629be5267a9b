/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/frag: the input is turned into a sequence of IPv4 and IPv6
 * fragments (well-formed ones with fuzzed offsets, lengths, flags, ids and times, and raw
 * byte strings handed over as packets) fed into a small table. Invariants checked:
 *
 *  - every cookie the table holds comes back exactly once: in a completed datagram, in
 *    a discarded list, or through ctg_frag_expire(); a cookie never comes back twice and
 *    the cookie of the fragment given is never among the discarded;
 *  - a completed datagram is a valid IP packet: its length field matches, an IPv4 header
 *    checksum verifies, and its payload is the pattern every generated fragment carries;
 *  - the table never holds more datagrams or arena bytes than configured, and after
 *    expiring everything its datagram, byte and page counters are back to zero.
 *
 * Memory errors are for the sanitizers to find. Built with -fsanitize=fuzzer when the
 * meson option fuzz is enabled (clang), and always with tests/harness/fuzz_main.c to
 * replay tests/frag/corpus/ in the normal test suite.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 512

#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c))                                                                \
			__builtin_trap();                                                \
	} while (0)

static uint8_t pkt_buf[70000];
static uint8_t held[MAX_OPS];	/* 1 while the table holds cookie i */
static bool raw_seen;		/* payload pattern check off once raw packets were fed */

static uint8_t
pat(uint32_t i)
{
	return (uint8_t)((i * 131u + 7u) ^ (i >> 8));
}

struct in {
	const uint8_t *p;
	size_t n;
};

static uint32_t
take(struct in *in, unsigned int bytes)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n > 0) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static void
release(uint64_t cookie, enum ctg_frag_reason reason, void *arg)
{
	(void)reason;
	(void)arg;
	CHECK(cookie < MAX_OPS && held[cookie]);
	held[cookie] = 0;
}

static uint32_t
build_v4(struct in *in, uint8_t op)
{
	uint32_t off = (take(in, 2) & 0x1fff) << 3;
	uint32_t len = take(in, 2) % 1600;
	uint8_t fl = (uint8_t)take(in, 1);
	uint32_t ihl = 20 + 4 * (fl >> 5);
	uint16_t fo = (uint16_t)((off >> 3) | ((fl & 1) ? 0x2000 : 0) | ((fl & 2) ? 0x4000 : 0));

	memset(pkt_buf, 0, ihl);
	pkt_buf[0] = (uint8_t)(0x40 | ihl / 4);
	pkt_buf[1] = (uint8_t)((fl >> 2) & 3);
	ctg_put_be16(pkt_buf + 2, (uint16_t)(ihl + len));
	ctg_put_be16(pkt_buf + 4, (uint16_t)(op >> 4)); /* a few ids: collisions */
	ctg_put_be16(pkt_buf + 6, fo);
	pkt_buf[9] = (uint8_t)(op & 0x10 ? 6 : 17);
	pkt_buf[12] = 10;
	pkt_buf[16] = 10;
	pkt_buf[19] = 1;
	for (uint32_t i = 0; i < len; i++)
		pkt_buf[ihl + i] = pat(off + i);
	return ihl + len;
}

static uint32_t
build_v6(struct in *in, uint8_t op)
{
	uint32_t off = take(in, 2) & 0xfff8;
	uint32_t len = take(in, 2) % 1600;
	uint8_t fl = (uint8_t)take(in, 1);
	uint32_t n = 40, plen;

	memset(pkt_buf, 0, 40);
	pkt_buf[0] = 0x60;
	pkt_buf[1] = (uint8_t)(((fl >> 2) & 3) << 4);
	pkt_buf[7] = 64;
	pkt_buf[8] = 0xfd;
	pkt_buf[24] = 0xfd;
	pkt_buf[39] = 1;
	if (fl & 0x10) {
		pkt_buf[6] = 0;
		memcpy(pkt_buf + 40, (const uint8_t[]){ 60, 0, 1, 4, 0, 0, 0, 0 }, 8);
		memcpy(pkt_buf + 48, (const uint8_t[]){ 44, 0, 1, 4, 0, 0, 0, 0 }, 8);
		n += 16;
	} else {
		pkt_buf[6] = 44;
	}
	pkt_buf[n] = (fl & 0x20) ? 59 : 17;
	pkt_buf[n + 1] = 0;
	ctg_put_be16(pkt_buf + n + 2, (uint16_t)(off | (fl & 1)));
	ctg_put_be32(pkt_buf + n + 4, (uint32_t)(op >> 4));
	for (uint32_t i = 0; i < len; i++)
		pkt_buf[n + 8 + i] = pat(off + i);
	plen = n - 40 + 8 + len;
	if (fl & 0x40)
		plen = (uint16_t)(plen + (uint32_t)take(in, 1) - 128); /* lie about it */
	ctg_put_be16(pkt_buf + 4, (uint16_t)plen);
	return n + 8 + len;
}

static void
check_result(const struct ctg_frag_table *t, const struct ctg_frag_result *r, uint64_t cookie)
{
	const struct ctg_frag_stats *s = ctg_frag_stats_get(t);

	CHECK(r->nb_cookies <= CTG_FRAG_MAX_FRAGS && r->nb_discarded <= CTG_FRAG_MAX_FRAGS);
	for (unsigned int i = 0; i < r->nb_discarded; i++) {
		CHECK(r->discarded[i] != cookie);
		release(r->discarded[i], CTG_FRAG_R_NONE, NULL);
	}
	switch ((enum ctg_frag_status)r->status) {
	case CTG_FRAG_HELD:
		held[cookie] = 1;
		break;
	case CTG_FRAG_COMPLETE: {
		const uint8_t *d = r->dgram;
		uint32_t hl;
		bool mine = false;

		CHECK(r->nb_cookies >= 1 && r->dgram_len <= CTG_FRAG_DGRAM_MAX);
		for (unsigned int i = 0; i < r->nb_cookies; i++) {
			if (r->cookies[i] == cookie) {
				CHECK(!mine);
				mine = true;
			} else {
				release(r->cookies[i], CTG_FRAG_R_NONE, NULL);
			}
		}
		CHECK(mine && r->cookies[r->nb_cookies - 1] == cookie);
		if ((d[0] >> 4) == 4) {
			uint32_t sum = 0;

			hl = (uint32_t)(d[0] & 0xf) * 4;
			CHECK(ctg_get_be16(d + 2) == r->dgram_len);
			CHECK((ctg_get_be16(d + 6) & 0xbfff) == 0);
			for (uint32_t i = 0; i < hl; i += 2)
				sum += ctg_get_be16(d + i);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			CHECK(sum == 0xffff);
		} else {
			CHECK((d[0] >> 4) == 6);
			CHECK(ctg_get_be16(d + 4) + 40u == r->dgram_len);
			hl = 40 + ((d[6] == 0) ? 16 : 0);
		}
		if (!raw_seen) {
			for (uint32_t i = hl; i < r->dgram_len; i++)
				CHECK(d[i] == pat(i - hl));
		}
		break;
	}
	case CTG_FRAG_DROP:
	case CTG_FRAG_PASS:
		CHECK(r->reason < CTG_FRAG_R_COUNT);
		break;
	case CTG_FRAG_STATUS_COUNT:
		CHECK(0);
		break;
	}
	CHECK(s->mem_bytes <= s->mem_limit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint8_t cfg = (uint8_t)take(&in, 1);
	struct ctg_frag_conf conf = {
		.max_datagrams = 1 + (cfg & 3),
		.max_frags = 1 + ((cfg >> 2) & 7),
		.max_bytes = (uint64_t)(1 + (cfg >> 5)) * 3000,
		.timeout_ns_v4 = 30,
		.timeout_ns_v6 = 60,
		.hash_seed = cfg,
	};
	struct ctg_frag_table *t = ctg_frag_table_create(&conf);
	static struct ctg_frag_result res;
	const struct ctg_frag_stats *s;
	uint64_t now = 0;

	if (t == NULL)
		return 0;
	memset(held, 0, sizeof(held));
	raw_seen = false;
	for (uint64_t cookie = 0; cookie < MAX_OPS && in.n > 0; cookie++) {
		uint8_t op = (uint8_t)take(&in, 1);
		struct ctg_pkt pkt = { 0 };
		uint32_t len;

		now += take(&in, 1) & 0x1f;
		switch (op & 3) {
		case 0:
		case 1:
			len = build_v4(&in, op);
			pkt.family = 4;
			break;
		case 2:
			len = build_v6(&in, op);
			pkt.family = 6;
			break;
		default:
			/* Raw bytes as a packet. */
			len = take(&in, 1) + 1;
			len = CTG_MIN(len, (uint32_t)in.n);
			memcpy(pkt_buf, in.p, len);
			in.p += len;
			in.n -= len;
			pkt.family = (op & 4) ? 6 : 4;
			raw_seen = true;
			break;
		}
		pkt.l3 = pkt_buf;
		pkt.len = len;
		ctg_frag_insert(t, &pkt, cookie, now, &res);
		check_result(t, &res, cookie);
		s = ctg_frag_stats_get(t);
		CHECK(s->queues <= conf.max_datagrams);
		if (op & 0x80)
			ctg_frag_expire(t, now, 1 + (op & 3), release, NULL);
	}
	ctg_frag_expire(t, UINT64_MAX, UINT32_MAX, release, NULL);
	s = ctg_frag_stats_get(t);
	CHECK(s->queues == 0 && s->bytes == 0 && s->mem_bytes == 0);
	for (unsigned int i = 0; i < MAX_OPS; i++)
		CHECK(!held[i]);
	ctg_frag_table_destroy(t);
	return 0;
}
