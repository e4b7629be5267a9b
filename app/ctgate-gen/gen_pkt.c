/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Frames of the generator: Ethernet + IPv4/IPv6 around a transport segment that the
 *	caller built (checksum included), fragmented at the caller's MTU the way a host
 *	stack does (IPv4: MF/offset in 8-byte units, every fragment its own header; IPv6:
 *	a Fragment extension header after the fixed header), plus the two attack variants
 *	that never complete (first fragment only; first and last without the middle).
 *
 *	Payloads are self-checking: the first 16 bytes are a stamp (flow number, message
 *	number or stream offset, TSC at build time), the rest a pattern computed from the
 *	flow and each byte's position, so the receiver can tell "arrived intact" without
 *	keeping copies, and the stamp gives the one-way latency (both ports belong to the
 *	same process and read the same TSC). A payload shorter than the stamp is pattern
 *	only (and the transport checksum is then the integrity check).
 *
 *	Reassembly of what the generator receives (fragmented datagrams the appliance
 *	forwarded) uses a small open-addressing table with an 8-byte-unit bitmap per
 *	datagram; the oldest incomplete datagram of a probe window is evicted when the
 *	table is full. The pcap writer is the classic libpcap format written by hand.
 *
 * Ownership & synchronization
 *	Single-threaded: everything here runs on the generator's one lcore.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "ctg_pkt.h"
#include "gen.h"

/*
 * Transport checksum in host order (ctg_pkt_csum_partial() sums big-endian words): store
 * it with rte_cpu_to_be_16(). Over a segment whose checksum is right it gives 0.
 */
uint16_t
gen_l4_csum(uint8_t family, const struct gen_addr *src, const struct gen_addr *dst,
		uint8_t proto, const uint8_t *l4, uint32_t len)
{
	uint32_t sum;
	uint8_t ph[8];
	uint16_t c;

	if (family == 4) {
		if (proto == IPPROTO_ICMP)
			return ctg_pkt_csum_fold(ctg_pkt_csum_partial(l4, len, 0));
		sum = ctg_pkt_csum_partial(src->b, 4, 0);
		sum = ctg_pkt_csum_partial(dst->b, 4, sum);
		ph[0] = 0;
		ph[1] = proto;
		ph[2] = (uint8_t)(len >> 8);
		ph[3] = (uint8_t)len;
		sum = ctg_pkt_csum_partial(ph, 4, sum);
	} else {
		sum = ctg_pkt_csum_partial(src->b, 16, 0);
		sum = ctg_pkt_csum_partial(dst->b, 16, sum);
		ph[0] = (uint8_t)(len >> 24);
		ph[1] = (uint8_t)(len >> 16);
		ph[2] = (uint8_t)(len >> 8);
		ph[3] = (uint8_t)len;
		ph[4] = ph[5] = ph[6] = 0;
		ph[7] = proto;
		sum = ctg_pkt_csum_partial(ph, 8, sum);
	}
	c = ctg_pkt_csum_fold(ctg_pkt_csum_partial(l4, len, sum));
	/* UDP sends a computed zero as all ones (0 means "no checksum" in IPv4). */
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	return c;
}

bool
gen_addr_eq(uint8_t family, const struct gen_addr *a, const struct gen_addr *b)
{
	return memcmp(a->b, b->b, family == 4 ? 4 : 16) == 0;
}

/* Add @p n to the low 32 bits of the address (host part). */
void
gen_addr_add(uint8_t family, struct gen_addr *a, uint32_t n)
{
	unsigned int off = family == 4 ? 0 : 12;
	uint32_t v;

	memcpy(&v, a->b + off, 4);
	v = htonl(ntohl(v) + n);
	memcpy(a->b + off, &v, 4);
}

uint32_t
gen_addr_diff(uint8_t family, const struct gen_addr *a, const struct gen_addr *base)
{
	unsigned int off = family == 4 ? 0 : 12;
	uint32_t x, y;

	if (family == 6 && memcmp(a->b, base->b, 12) != 0)
		return UINT32_MAX;
	memcpy(&x, a->b + off, 4);
	memcpy(&y, base->b + off, 4);
	return ntohl(x) - ntohl(y);
}

int
gen_addr_parse(const char *s, uint8_t *family, struct gen_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static inline uint8_t
pattern_byte(uint32_t flow, uint32_t base, uint32_t i)
{
	uint32_t x = (base + i) * 2654435761u ^ flow * 40503u;

	return (uint8_t)(x >> 13);
}

void
gen_payload_fill(uint8_t *p, uint32_t len, uint32_t flow, uint32_t seq, uint64_t tsc,
		uint32_t pattern_base)
{
	uint32_t i = 0;

	if (len >= GEN_STAMP_LEN) {
		struct gen_stamp st = { .flow = flow, .seq = seq, .tsc = tsc };

		memcpy(p, &st, sizeof(st));
		i = GEN_STAMP_LEN;
	}
	for (; i < len; i++)
		p[i] = pattern_byte(flow, pattern_base, i);
}

bool
gen_payload_check(const uint8_t *p, uint32_t len, uint32_t flow, uint32_t pattern_base)
{
	uint32_t i = 0;

	if (len >= GEN_STAMP_LEN) {
		struct gen_stamp st;

		memcpy(&st, p, sizeof(st));
		if (st.flow != flow)
			return false;
		i = GEN_STAMP_LEN;
	}
	for (; i < len; i++)
		if (p[i] != pattern_byte(flow, pattern_base, i))
			return false;
	return true;
}

/* One frame: Ethernet, the IP header for @p data_len bytes of this fragment, the bytes. */
static struct rte_mbuf *
frame(struct rte_mempool *mp, const uint8_t *smac, const uint8_t *dmac,
		const struct gen_ip *ip, const uint8_t *data, uint32_t data_len, uint32_t off,
		bool frag, bool mf)
{
	uint32_t ihl = ip->family == 4 ? 20 : 40 + (frag ? 8 : 0);
	uint32_t flen = RTE_ETHER_HDR_LEN + ihl + data_len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	uint8_t *l3;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)flen);
	if (eh == NULL || flen > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(eh->dst_addr.addr_bytes, dmac, 6);
	memcpy(eh->src_addr.addr_bytes, smac, 6);
	l3 = (uint8_t *)(eh + 1);
	if (ip->family == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)l3;
		uint16_t fo = (uint16_t)(off >> 3);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(h, 0, 20);
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(ihl + data_len));
		h->packet_id = rte_cpu_to_be_16((uint16_t)ip->frag_id);
		if (mf)
			fo |= RTE_IPV4_HDR_MF_FLAG;
		else if (!frag)
			fo = RTE_IPV4_HDR_DF_FLAG;
		h->fragment_offset = rte_cpu_to_be_16(fo);
		h->time_to_live = ip->ttl;
		h->next_proto_id = ip->proto;
		memcpy(&h->src_addr, ip->src.b, 4);
		memcpy(&h->dst_addr, ip->dst.b, 4);
		h->hdr_checksum = rte_cpu_to_be_16(ctg_pkt_csum_fold(ctg_pkt_csum_partial(l3, 20, 0)));
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)l3;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(ihl - 40 + data_len));
		h->proto = frag ? 44 : ip->proto;
		h->hop_limits = ip->ttl;
		memcpy(h->src_addr, ip->src.b, 16);
		memcpy(h->dst_addr, ip->dst.b, 16);
		if (frag) {
			uint8_t *fh = l3 + 40;
			uint32_t id = rte_cpu_to_be_32(ip->frag_id);
			uint16_t fo = (uint16_t)(off | (mf ? 1 : 0));

			fh[0] = ip->proto;
			fh[1] = 0;
			fh[2] = (uint8_t)(fo >> 8);
			fh[3] = (uint8_t)fo;
			memcpy(fh + 4, &id, 4);
		}
	}
	memcpy(l3 + ihl, data, data_len);
	return m;
}

unsigned int
gen_ip_emit(struct rte_mempool *mp, const uint8_t *smac, const uint8_t *dmac,
		const struct gen_ip *ip, const uint8_t *l4, uint32_t l4_len, gen_emit_fn *emit,
		void *ctx)
{
	uint32_t hdr = ip->family == 4 ? 20 : 40;
	uint32_t per, off, n = 0;
	bool frag = ip->mtu != 0 && hdr + l4_len > ip->mtu;

	if (!frag) {
		struct rte_mbuf *m = frame(mp, smac, dmac, ip, l4, l4_len, 0, false, false);

		return m != NULL && emit(ctx, m) ? 1 : 0;
	}
	per = (ip->mtu - hdr - (ip->family == 6 ? 8 : 0)) & ~7u;
	if (per == 0)
		return 0;
	for (off = 0; off < l4_len; off += per) {
		uint32_t len = RTE_MIN(per, l4_len - off);
		bool last = off + len >= l4_len;
		struct rte_mbuf *m;

		if (ip->frag_first_only && off > 0)
			break;
		if (ip->frag_skip_middle && off > 0 && !last)
			continue;
		if (ip->frag_skip_last && last)
			break;
		m = frame(mp, smac, dmac, ip, l4 + off, len, off, true, !last);
		if (m != NULL && emit(ctx, m))
			n++;
	}
	return n;
}

/* ---------------------------------------------------------------- reassembly */

#define REASM_PROBE 8

struct reasm_slot {
	bool used;
	uint8_t family;
	uint8_t proto;
	struct gen_addr src;
	struct gen_addr dst;
	uint32_t id;
	uint32_t total;		/* datagram length once the last fragment came, else 0 */
	uint32_t have;		/* bytes received (distinct 8-byte units) */
	uint64_t first_tsc;
	uint8_t *buf;		/* GEN_MAX_DGRAM bytes */
	uint8_t map[GEN_MAX_DGRAM / 8 / 8 + 1];
};

struct gen_reasm {
	unsigned int nb_slots;
	unsigned int pending;
	struct reasm_slot slots[];
};

struct gen_reasm *
gen_reasm_create(unsigned int slots)
{
	struct gen_reasm *r = calloc(1, sizeof(*r) + slots * sizeof(r->slots[0]));

	if (r != NULL)
		r->nb_slots = slots;
	return r;
}

void
gen_reasm_destroy(struct gen_reasm *r)
{
	if (r == NULL)
		return;
	for (unsigned int i = 0; i < r->nb_slots; i++)
		free(r->slots[i].buf);
	free(r);
}

unsigned int
gen_reasm_pending(const struct gen_reasm *r)
{
	return r->pending;
}

static bool
slot_match(const struct reasm_slot *s, const struct gen_frag *f)
{
	return s->used && s->family == f->family && s->proto == f->proto && s->id == f->id &&
			gen_addr_eq(f->family, &s->src, &f->src) &&
			gen_addr_eq(f->family, &s->dst, &f->dst);
}

int
gen_reasm_add(struct gen_reasm *r, const struct gen_frag *f, uint64_t now_tsc,
		struct gen_dgram *out)
{
	uint32_t h = f->id * 2654435761u ^ f->src.b[f->family == 4 ? 3 : 15] ^ f->proto;
	struct reasm_slot *s = NULL, *victim = NULL;
	uint32_t end = f->off + f->len;

	if (end > GEN_MAX_DGRAM || (f->mf && (f->len & 7) != 0) || (f->off & 7) != 0)
		return -1;
	for (unsigned int i = 0; i < REASM_PROBE; i++) {
		struct reasm_slot *c = &r->slots[(h + i) % r->nb_slots];

		if (slot_match(c, f)) {
			s = c;
			break;
		}
		if (victim == NULL || !c->used ||
				(victim->used && c->first_tsc < victim->first_tsc))
			victim = c;
	}
	if (s == NULL) {
		s = victim;
		if (!s->used)
			r->pending++;
		if (s->buf == NULL) {
			s->buf = malloc(GEN_MAX_DGRAM);
			if (s->buf == NULL)
				return -1;
		}
		s->used = true;
		s->family = f->family;
		s->proto = f->proto;
		s->src = f->src;
		s->dst = f->dst;
		s->id = f->id;
		s->total = 0;
		s->have = 0;
		s->first_tsc = now_tsc;
		memset(s->map, 0, sizeof(s->map));
	}
	memcpy(s->buf + f->off, f->data, f->len);
	for (uint32_t u = f->off / 8; u < (end + 7) / 8; u++) {
		if (!(s->map[u / 8] & (1u << (u % 8)))) {
			s->map[u / 8] |= (uint8_t)(1u << (u % 8));
			s->have += 8;
		}
	}
	if (!f->mf)
		s->total = end;
	if (s->total == 0 || s->have < (s->total + 7) / 8 * 8)
		return 0;
	out->family = s->family;
	out->proto = s->proto;
	out->src = s->src;
	out->dst = s->dst;
	out->l4 = s->buf;
	out->l4_len = s->total;
	s->used = false;
	r->pending--;
	return 1;
}

/* ---------------------------------------------------------------- pcap */

struct gen_pcap {
	FILE *f;
};

struct gen_pcap *
gen_pcap_open(const char *path)
{
	struct gen_pcap *pc = calloc(1, sizeof(*pc));
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	if (pc == NULL)
		return NULL;
	pc->f = fopen(path, "wb");
	if (pc->f == NULL || fwrite(hdr, sizeof(hdr), 1, pc->f) != 1) {
		if (pc->f != NULL)
			fclose(pc->f);
		free(pc);
		return NULL;
	}
	return pc;
}

void
gen_pcap_write(struct gen_pcap *pc, const struct rte_mbuf *m, uint64_t tsc, uint64_t hz)
{
	uint32_t rec[4];
	uint64_t us = tsc / hz * 1000000 + (tsc % hz) * 1000000 / hz;

	rec[0] = (uint32_t)(us / 1000000);
	rec[1] = (uint32_t)(us % 1000000);
	rec[2] = rte_pktmbuf_pkt_len(m);
	rec[3] = rec[2];
	fwrite(rec, sizeof(rec), 1, pc->f);
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next)
		fwrite(rte_pktmbuf_mtod(s, const void *), s->data_len, 1, pc->f);
}

void
gen_pcap_close(struct gen_pcap *pc)
{
	if (pc == NULL)
		return;
	fclose(pc->f);
	free(pc);
}
