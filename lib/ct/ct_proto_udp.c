/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The stateless trackers: UDP and UDP-Lite (nf_conntrack_proto_udp.c), GRE
 *	(nf_conntrack_proto_gre.c, without the PPTP keymap) and the generic protocol
 *	(nf_conntrack_proto_generic.c).
 *
 *	UDP: a connection stays at the "unreplied" timeout (30 s) until a reply has been
 *	seen; a packet that arrives more than 2 s after the connection was created, once a
 *	reply was seen, switches it to the "stream" timeout (120 s) and sets ASSURED. The
 *	status is read before this packet's own SEEN_REPLY is set, so the first reply
 *	still gets the unreplied timeout. Header checks (udp_error): the length field must
 *	fit the packet and be >= 8; a zero checksum means "none"; otherwise, with
 *	nf_conntrack_checksum, the checksum over the whole transport payload must hold.
 *	UDP-Lite: coverage 0 means the whole packet, otherwise 8..length; the checksum is
 *	mandatory, and (a kernel quirk, verified with the oracle: tests/data/udplite*) it is
 *	verified with protocol 17, not 136, in the pseudo header.
 *
 *	GRE: 30 s, and 180 s plus ASSURED once a reply has been seen (IPv4 and IPv6, as the
 *	6.18 oracle shows). Generic: 600 s, nothing else.
 */

#define CT_CORE
#include "ct_private.h"

static bool
udp_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	const uint8_t *h = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	uint32_t ulen;

	if (l4_len < 8) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	ulen = ctg_get_be16(h + 4);
	if (ulen > l4_len || ulen < 8) {
		*reason = CTG_CT_R_UDP_LEN;
		return false;
	}
	if (ctg_get_be16(h + 6) == 0)
		return true;
	if (p->checksum && !ctg_pkt_l4_csum_ok(pkt, l4_len, l4_len)) {
		*reason = CTG_CT_R_L4_CSUM;
		return false;
	}
	return true;
}

static bool
udplite_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	const uint8_t *h = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	uint32_t cov;

	if (l4_len < 8) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	cov = ctg_get_be16(h + 4);
	if (cov == 0) {
		cov = l4_len;
	} else if (cov < 8 || cov > l4_len) {
		*reason = CTG_CT_R_UDPLITE_COVERAGE;
		return false;
	}
	if (ctg_get_be16(h + 6) == 0) {
		*reason = CTG_CT_R_UDPLITE_COVERAGE;
		return false;
	}
	/* nf_checksum_partial(..., IPPROTO_UDP): the kernel's pseudo header says 17. */
	if (p->checksum && !ctg_pkt_l4_csum_ok_proto(pkt, l4_len, cov, 17)) {
		*reason = CTG_CT_R_L4_CSUM;
		return false;
	}
	return true;
}

static enum ct_l4_verdict
udp_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt, bool is_new,
		const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	(void)dir;
	(void)pkt;
	(void)is_new;
	(void)reason;
	if (c->status & CTG_CT_S_SEEN_REPLY) {
		/* time_after(jiffies, stream_ts) with stream_ts = creation + 2 s */
		if (now_ns > c->start_ns + 2 * CTG_NS_PER_S) {
			*timeout_s = p->udp_timeout_stream;
			c->status |= CTG_CT_S_ASSURED;
		} else {
			*timeout_s = p->udp_timeout;
		}
	} else {
		*timeout_s = p->udp_timeout;
	}
	return CT_L4_ACCEPT;
}

static bool
no_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	(void)pkt;
	(void)p;
	(void)reason;
	return true;
}

static enum ct_l4_verdict
generic_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt,
		bool is_new, const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	(void)c;
	(void)dir;
	(void)pkt;
	(void)is_new;
	(void)now_ns;
	(void)reason;
	*timeout_s = p->generic_timeout;
	return CT_L4_ACCEPT;
}

static enum ct_l4_verdict
gre_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt, bool is_new,
		const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	(void)dir;
	(void)is_new;
	(void)now_ns;
	(void)pkt;
	(void)reason;
	if (c->status & CTG_CT_S_SEEN_REPLY) {
		*timeout_s = p->gre_timeout_stream;
		c->status |= CTG_CT_S_ASSURED;
	} else {
		*timeout_s = p->gre_timeout;
	}
	return CT_L4_ACCEPT;
}

const struct ct_l4_ops ct_l4_udp_ops = {
	.error = udp_error,
	.packet = udp_packet,
};

const struct ct_l4_ops ct_l4_udplite_ops = {
	.error = udplite_error,
	.packet = udp_packet,
};

const struct ct_l4_ops ct_l4_generic_ops = {
	.error = no_error,
	.packet = generic_packet,
};

const struct ct_l4_ops ct_l4_gre_ops = {
	.error = no_error,
	.packet = gre_packet,
};
