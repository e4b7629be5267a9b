/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTGATE_GEN_H_
#define CTGATE_GEN_H_

/*
 * ctgate-gen: shared definitions of the generator's two files. gen_pkt.c builds and
 * checks frames (headers, payload stamps and patterns, fragmentation, reassembly, pcap);
 * gen.c holds the options, the flows (clients and the stateful responders), the attack
 * sources, the main loop and the report. See docs/ctgate-gen.md.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#define GEN_ADDR_LEN	16
#define GEN_MAX_DGRAM	65535
#define GEN_STAMP_LEN	16
#define GEN_ATTACK_FLOW 0xa77ac4edu /* stamp.flow of every attack payload */
#define GEN_PORT_BASE	20000	    /* client ports (and echo ids) start here */
#define GEN_PORTS	40000	    /* client ports per client address */

/** An IPv4 (first 4 bytes) or IPv6 address. */
struct gen_addr {
	uint8_t b[GEN_ADDR_LEN];
};

/** What a transport segment needs to become one or more frames. */
struct gen_ip {
	uint8_t family;		/* 4 or 6 */
	uint8_t proto;
	uint8_t ttl;
	struct gen_addr src;
	struct gen_addr dst;
	uint32_t frag_id;	/* IPv4 id (16 bits) or IPv6 fragment id */
	uint16_t mtu;		/* fragment above this IP length; 0: never */
	bool frag_first_only;	/* attack: emit only the first fragment */
	bool frag_skip_middle;	/* attack: emit first and last fragments only */
	bool frag_skip_last;	/* attack: emit every fragment but the last */
};

/** Payload stamp: the first GEN_STAMP_LEN bytes of a payload that is long enough. */
struct gen_stamp {
	uint32_t flow;
	uint32_t seq;
	uint64_t tsc;
};

/** A completed reassembly handed back by gen_reasm_add(). */
struct gen_dgram {
	uint8_t family;
	uint8_t proto;
	struct gen_addr src;
	struct gen_addr dst;
	const uint8_t *l4;	/* transport header and payload */
	uint32_t l4_len;
};

/** Frames out: the caller's transmit hook. Returns false when the frame was dropped. */
typedef bool gen_emit_fn(void *ctx, struct rte_mbuf *m);

/* Checksums and addresses. */
uint16_t gen_l4_csum(uint8_t family, const struct gen_addr *src, const struct gen_addr *dst,
		uint8_t proto, const uint8_t *l4, uint32_t len);
bool gen_addr_eq(uint8_t family, const struct gen_addr *a, const struct gen_addr *b);
void gen_addr_add(uint8_t family, struct gen_addr *a, uint32_t n);
int gen_addr_parse(const char *s, uint8_t *family, struct gen_addr *a);
uint32_t gen_addr_diff(uint8_t family, const struct gen_addr *a, const struct gen_addr *base);

/* Payloads: stamp (when len >= GEN_STAMP_LEN) and a pattern derived from (flow, seq). */
void gen_payload_fill(uint8_t *p, uint32_t len, uint32_t flow, uint32_t seq, uint64_t tsc,
		uint32_t pattern_base);
bool gen_payload_check(const uint8_t *p, uint32_t len, uint32_t flow, uint32_t pattern_base);

/*
 * Turn the transport segment @p l4 (checksum already set) into frames, fragmenting at
 * ip->mtu, and pass each to @p emit. @return the number of frames emitted.
 */
unsigned int gen_ip_emit(struct rte_mempool *mp, const uint8_t *smac, const uint8_t *dmac,
		const struct gen_ip *ip, const uint8_t *l4, uint32_t l4_len, gen_emit_fn *emit,
		void *ctx);

/* Reassembly of the fragments the generator receives (bounded, oldest evicted). */
struct gen_reasm;
struct gen_reasm *gen_reasm_create(unsigned int slots);
void gen_reasm_destroy(struct gen_reasm *r);
/** One received fragment. */
struct gen_frag {
	uint8_t family;
	uint8_t proto;
	bool mf;
	struct gen_addr src;
	struct gen_addr dst;
	uint32_t id;
	uint32_t off;		/* bytes */
	const uint8_t *data;	/* fragment payload */
	uint32_t len;
};
/*
 * Add a fragment. @return 1 with @p out set when a datagram completed (valid until the
 * next call), 0 when held, -1 when malformed (overlong, misaligned).
 */
int gen_reasm_add(struct gen_reasm *r, const struct gen_frag *f, uint64_t now_tsc,
		struct gen_dgram *out);
/** Slots still holding incomplete datagrams. */
unsigned int gen_reasm_pending(const struct gen_reasm *r);

/* pcap output (classic format, microsecond timestamps). */
struct gen_pcap;
struct gen_pcap *gen_pcap_open(const char *path);
void gen_pcap_write(struct gen_pcap *pc, const struct rte_mbuf *m, uint64_t tsc, uint64_t hz);
void gen_pcap_close(struct gen_pcap *pc);

#endif /* CTGATE_GEN_H_ */
