/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP connection tracking with Linux nf_conntrack semantics.
 *
 * Overview
 *
 *	This file is ctgate's counterpart of the kernel's nf_conntrack_proto_tcp.c (as of
 *	Linux 6.18): the same state table, the same window tracking after Guido van Rooij's
 *	"Real Stateful TCP Packet Filtering in IP Filter", the same special cases around the
 *	table (SYN reopen of a TIME_WAIT/CLOSE entry, resynchronisation on a SYN/ACK that
 *	answers an ignored SYN, RFC 5961 challenge ACKs, RST validation, the "RST as only
 *	reply" kill) and the same timeout choice. It was written from the kernel's behaviour
 *	(and checked against the kernel through the oracle in ../shared/oracle), not copied.
 *	Every packet-level decision must match the kernel's, packet for packet, because the
 *	replay output is diffed against the kernel's.
 *
 *	The work is split the way the house style asks for state machines:
 *	(a) event classification: tcp_event() maps the flag byte to a flag class,
 *	    RST > SYN(+ACK) > FIN > ACK > none, in the kernel's numbering (the class is
 *	    stored in last_index and compared later, so the numbering matters);
 *	(b) the transition table tcp_fsm[dir][event][state] with the sIV/sIG sentinels;
 *	(c) side effects in ordinary code after the lookup: tcp_in_window() for the
 *	    sequence/window checks, tcp_pick_timeout() for the timeout, ASSURED.
 *
 *	The kernel's three-valued window verdict (enum nf_ct_tcp_action) is kept as
 *	enum tcp_action. How the kernel's return values map onto ct_l4_verdict:
 *
 *	NF_ACCEPT after nf_ct_refresh_acct()	CT_L4_ACCEPT, *timeout_s = new timeout
 *	NF_ACCEPT without a refresh (ignored	CT_L4_IGNORE: the state may have changed
 *	  packets, window IGNORE, SYN		  (last_* bookkeeping) but the timer is not
 *	  retransmit in SYN_SENT, challenge	  renewed and the packet is not counted, which
 *	  ACK in LAST_ACK)			  is exactly what the kernel does
 *	-NF_ACCEPT				CT_L4_INVALID, *reason says why
 *	-NF_REPEAT after nf_ct_kill()		CT_L4_REPEAT
 *	nf_ct_kill_acct() then NF_ACCEPT	CT_L4_DESTROY
 *
 *	A SYN retransmitted in SYN_SENT is therefore CT_L4_IGNORE with reason NONE: the
 *	kernel deliberately does not renew the timer (port reuse or a NAT box could keep an
 *	entry alive forever) and does not count the packet (the oracle's table shows
 *	packets=1 after two SYNs).
 *
 * Life-cycle
 *
 *	The core creates a zeroed connection for a packet without an entry and calls
 *	packet() with is_new set: tcp_new() decides whether this packet may create a
 *	connection at all (a SYN, or any ACK when nf_conntrack_tcp_loose is set) and seeds
 *	the original direction's window data. Then the normal processing runs on it, as the
 *	kernel runs nf_conntrack_tcp_packet() on an unconfirmed entry. The entry lives until
 *	the core expires it, deletes it on CT_L4_DESTROY, or replaces it on CT_L4_REPEAT.
 *
 * Ownership & synchronization
 *
 *	All TCP state lives in struct ctg_ct_conn::l4.tcp and is written only by the
 *	owner worker that tracks the connection; there is no lock (the kernel's ct->lock
 *	has no counterpart because no other core writes a connection). The tunables in
 *	struct ctg_ct_params are read-only here. Nothing on this path allocates, logs or
 *	blocks; the kernel's log messages become reason codes.
 *
 * Lock/ordering rules
 *
 *	None: single writer. The core sets CTG_CT_S_SEEN_REPLY after packet() returns for
 *	a reply-direction packet (as nf_conntrack_in() does after the protocol handler), so
 *	"SEEN_REPLY not set" below means "no reply accepted before this packet".
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctg_common.h"
#include "ctg_ct.h"
#include "ctg_pkt.h"

#include "ct_private.h"

/* TCP header layout (RFC 793, RFC 3168). */
#define TCP_HDR_LEN	20
#define TCP_HDR_MAX_LEN 60
#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_PSH		0x08
#define TH_ACK		0x10
#define TH_URG		0x20
#define TH_ECE		0x40
#define TH_CWR		0x80

/* TCP options the tracker looks at. */
#define TCPOPT_EOL	      0
#define TCPOPT_NOP	      1
#define TCPOPT_WINDOW	      3
#define TCPOPT_SACK_PERM      4
#define TCPOPT_SACK	      5
#define TCPOPT_TIMESTAMP      8
#define TCPOLEN_WINDOW	      3
#define TCPOLEN_SACK_PERM     2
#define TCPOLEN_SACK_BASE     2
#define TCPOLEN_SACK_PERBLOCK 8
#define TCPOLEN_TIMESTAMP     10
#define TCPOLEN_TSTAMP_ALIGNED 12
#define TCP_MAX_WSCALE	      14

/* The lower bound of acceptable (s)acks is td_end minus this or td_maxwin. */
#define MAXACKWINCONST 66000

/* The "are we in the reply's answer window" threshold of nf_tcp_handle_invalid(). */
#define HANDLE_INVALID_MIN_S 120

/*
 * Flag classes, in the kernel's numbering (enum tcp_bit_set): last_index stores them
 * and the NONE class seeds a new connection's last_index.
 */
enum tcp_event {
	TCP_EV_SYN,
	TCP_EV_SYNACK,
	TCP_EV_FIN,
	TCP_EV_ACK,
	TCP_EV_RST,
	TCP_EV_NONE,
	TCP_EV_COUNT
};

/* The window checks' verdict (the kernel's enum nf_ct_tcp_action). */
enum tcp_action {
	TCP_ACT_IGNORE,
	TCP_ACT_INVALID,
	TCP_ACT_ACCEPT
};

/* Outcome sentinels of the table, outside the state range. */
#define TCP_S_INVALID CTG_CT_TCP_S_COUNT
#define TCP_S_IGNORE  (CTG_CT_TCP_S_COUNT + 1)

_Static_assert(TCP_S_IGNORE <= UINT8_MAX, "table cells are uint8_t");
_Static_assert(CTG_CT_DIR_ORIG == 0 && CTG_CT_DIR_REPLY == 1, "!dir is the other direction");

/*
 * The state table.
 *
 *	next = tcp_fsm[dir][event][state]
 *
 * We are the box in the middle: every packet passes us but may be lost after us, and
 * our view of the windows is not the endpoints' own. We always try to guess the state
 * of the current sender. A cell is a state, sIV (the packet is INVALID: nothing
 * changes, no conntrack is attached) or sIG (the packet passes without a state change
 * and is remembered, so that we can resynchronise if the endpoints turn out to be in
 * sync while we are not; the receiver answers an invalid one with a RST that we catch).
 * Every cell is written; there is no implicit default.
 */
/* clang-format off */
#define sNO CTG_CT_TCP_NONE
#define sSS CTG_CT_TCP_SYN_SENT
#define sSR CTG_CT_TCP_SYN_RECV
#define sES CTG_CT_TCP_ESTABLISHED
#define sFW CTG_CT_TCP_FIN_WAIT
#define sCW CTG_CT_TCP_CLOSE_WAIT
#define sLA CTG_CT_TCP_LAST_ACK
#define sTW CTG_CT_TCP_TIME_WAIT
#define sCL CTG_CT_TCP_CLOSE
#define sS2 CTG_CT_TCP_SYN_SENT2
#define sIV TCP_S_INVALID
#define sIG TCP_S_IGNORE
static const uint8_t tcp_fsm[CTG_CT_DIR_COUNT][TCP_EV_COUNT][CTG_CT_TCP_S_COUNT] = {
[CTG_CT_DIR_ORIG] = {
/*		    sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
[TCP_EV_SYN]	= { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/*
 *	sNO -> sSS	a new connection
 *	sSS -> sSS	retransmitted SYN
 *	sSR..sLA -> sIG	a SYN inside a live connection: an error (the receiver answers with
 *			a RST), or we hold a dead connection and are out of sync
 *	sTW, sCL -> sSS	reopened connection (RFC 1122); the code kills and re-tracks
 *	sS2 -> sS2	late retransmitted SYN of a simultaneous open
 */
[TCP_EV_SYNACK]	= { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/*
 *	sNO -> sIV	too late, nothing to do
 *	sSS -> sIV	the client cannot send a SYN and then a SYN/ACK
 *	sSR -> sSR	late retransmitted SYN/ACK in a simultaneous open
 *	sES..sCL -> sIV	a SYN/ACK from the client
 *	sS2 -> sSR	SYN/ACK answering the reply's SYN in a simultaneous open
 */
[TCP_EV_FIN]	= { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	sNO, sSS, sS2 -> sIV	no FIN before the SYN/ACK reply
 *	sSR, sES -> sFW		close started
 *	sFW, sCW -> sLA		FIN seen in both directions (or a retransmitted FIN)
 *	sLA, sTW, sCL		stay (retransmitted FIN)
 */
[TCP_EV_ACK]	= { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/*
 *	sNO -> sES	assumed: a picked-up connection (tcp_loose)
 *	sSS, sS2 -> sIV	an ACK before any SYN/ACK
 *	sSR -> sES	the handshake completes
 *	sFW -> sCW	the close request is acknowledged
 *	sLA -> sTW	the last ACK (unless it is an RFC 5961 challenge ACK, see the code)
 */
[TCP_EV_RST]	= { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*
 *	sNO -> sIV	a RST cannot open anything; everything else closes (window-checked)
 */
[TCP_EV_NONE]	= { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
},
[CTG_CT_DIR_REPLY] = {
/*		    sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
[TCP_EV_SYN]	= { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/*
 *	sNO -> sIV	never reached (a new connection is always "original")
 *	sSS -> sS2	simultaneous open
 *	sSR..sLA -> sIV	a SYN from the server inside a connection
 *	sTW -> sSS	reopened connection with the roles swapped
 *	sCL -> sIV
 *	sS2 -> sS2	retransmitted simultaneous SYN
 */
[TCP_EV_SYNACK]	= { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/*
 *	sSS -> sSR	standard open
 *	sS2 -> sSR	simultaneous open
 *	sSR, sES -> sIG	retransmitted or late SYN/ACK
 *	sFW..sCL -> sIG	may answer a SYN we ignored: resynchronise if so
 */
[TCP_EV_FIN]	= { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	as in the original direction
 */
[TCP_EV_ACK]	= { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/*
 *	sSS, sS2 -> sIG	may be a half-open connection (or a challenge ACK to the SYN)
 *	sSR -> sSR	may answer a late resent SYN (a simultaneous open completes here
 *			in the code)
 *	sLA -> sTW	the last ACK (unless a challenge ACK)
 */
[TCP_EV_RST]	= { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
[TCP_EV_NONE]	= { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
},
};
#undef sNO
#undef sSS
#undef sSR
#undef sES
#undef sFW
#undef sCW
#undef sLA
#undef sTW
#undef sCL
#undef sS2
#undef sIV
#undef sIG
/* clang-format on */

_Static_assert(sizeof(tcp_fsm) == CTG_CT_DIR_COUNT * TCP_EV_COUNT * CTG_CT_TCP_S_COUNT,
		"the state table is dense");

/*
 * Valid flag combinations (the kernel's tcp_valid_flags), indexed by the flag byte
 * without PSH, ECE and CWR, which are always allowed.
 */
#define TCP_VALID_MASK (TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG)
static const uint8_t tcp_valid_flags[TCP_VALID_MASK + 1] = {
	[TH_SYN] = 1,
	[TH_SYN | TH_URG] = 1,
	[TH_SYN | TH_ACK] = 1,
	[TH_RST] = 1,
	[TH_RST | TH_ACK] = 1,
	[TH_FIN | TH_ACK] = 1,
	[TH_FIN | TH_ACK | TH_URG] = 1,
	[TH_ACK] = 1,
	[TH_ACK | TH_URG] = 1,
};

/* One TCP segment, decoded once. */
struct tcp_seg {
	const uint8_t *th; /* TCP header */
	uint32_t seq;
	uint32_t ack;	  /* the raw acknowledgement number */
	uint32_t end;	  /* seq + payload + SYN + FIN */
	uint16_t win;	  /* the raw window field */
	uint8_t flags;	  /* the flag byte */
	uint8_t hdr_len;  /* doff * 4 */
	uint8_t event;	  /* enum tcp_event */
};

/*
 * Look up the state table. Lib-internal (declared here because the table is this
 * file's business); the tests walk every cell through it.
 */

uint8_t
ct_tcp_fsm_next(unsigned int dir, unsigned int event, unsigned int state)
{
	if (dir >= CTG_CT_DIR_COUNT || event >= TCP_EV_COUNT || state >= CTG_CT_TCP_S_COUNT)
		return TCP_S_INVALID;
	return tcp_fsm[dir][event][state];
}

static inline unsigned int
tcp_event(uint8_t flags)
{
	if (flags & TH_RST)
		return TCP_EV_RST;
	if (flags & TH_SYN)
		return (flags & TH_ACK) ? TCP_EV_SYNACK : TCP_EV_SYN;
	if (flags & TH_FIN)
		return TCP_EV_FIN;
	if (flags & TH_ACK)
		return TCP_EV_ACK;
	return TCP_EV_NONE;
}

/* Decode the header; false if it is not a whole TCP header (error() checked that). */
static bool
tcp_seg_decode(const struct ctg_pkt *pkt, struct tcp_seg *s)
{
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	const uint8_t *th = ctg_pkt_l4(pkt);
	uint32_t hdr_len;

	if (l4_len < TCP_HDR_LEN)
		return false;
	hdr_len = (uint32_t)(th[12] >> 4) * 4;
	if (hdr_len < TCP_HDR_LEN || l4_len < hdr_len)
		return false;
	s->th = th;
	s->seq = ctg_get_be32(th + 4);
	s->ack = ctg_get_be32(th + 8);
	s->win = ctg_get_be16(th + 14);
	s->flags = th[13];
	s->hdr_len = (uint8_t)hdr_len;
	s->event = (uint8_t)tcp_event(s->flags);
	s->end = s->seq + (l4_len - hdr_len) + ((s->flags & TH_SYN) ? 1 : 0) +
			((s->flags & TH_FIN) ? 1 : 0);
	return true;
}

/*
 * Read the window-scale and SACK-permitted options into @p peer (a simplified
 * tcp_parse_options, as the kernel's). A header without options leaves @p peer alone;
 * otherwise the scale and every flag except BE_LIBERAL are reset first.
 */
static void
tcp_options(const struct tcp_seg *s, struct ctg_ct_tcp_peer *peer)
{
	const uint8_t *ptr = s->th + TCP_HDR_LEN;
	int length = s->hdr_len - TCP_HDR_LEN;

	if (length == 0)
		return;
	peer->td_scale = 0;
	peer->flags &= CTG_CT_TCP_F_BE_LIBERAL;

	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		if (opcode == TCPOPT_EOL)
			return;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return; /* silly or partial option */
		if (opcode == TCPOPT_SACK_PERM && opsize == TCPOLEN_SACK_PERM) {
			peer->flags |= CTG_CT_TCP_F_SACK_PERM;
		} else if (opcode == TCPOPT_WINDOW && opsize == TCPOLEN_WINDOW) {
			peer->td_scale = CTG_MIN(*ptr, TCP_MAX_WSCALE);
			peer->flags |= CTG_CT_TCP_F_WINDOW_SCALE;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
}

/*
 * Raise *sack to the highest right edge of the first well-formed SACK option. A header
 * carrying only the aligned timestamp option is skipped quickly, as the kernel does.
 */
static void
tcp_sack(const struct tcp_seg *s, uint32_t *sack)
{
	const uint8_t *ptr = s->th + TCP_HDR_LEN;
	int length = s->hdr_len - TCP_HDR_LEN;

	if (length == 0)
		return;
	if (length == TCPOLEN_TSTAMP_ALIGNED && ptr[0] == TCPOPT_NOP && ptr[1] == TCPOPT_NOP &&
			ptr[2] == TCPOPT_TIMESTAMP && ptr[3] == TCPOLEN_TIMESTAMP)
		return;

	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		if (opcode == TCPOPT_EOL)
			return;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return;
		if (opcode == TCPOPT_SACK && opsize >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK &&
				(opsize - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK == 0) {
			int blocks_len = opsize - TCPOLEN_SACK_BASE;

			for (int i = 0; i < blocks_len; i += TCPOLEN_SACK_PERBLOCK) {
				uint32_t right = ctg_get_be32(ptr + i + 4);

				if (ctg_seq_after(right, *sack))
					*sack = right;
			}
			return;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
}

/*
 * (Re)initialise a sender from its SYN or SYN/ACK. Window scaling (RFC 1323) is used
 * only when both SYNs carried the option: when the reply's SYN(/ACK) arrives without
 * both, both scales are cleared.
 */
static void
tcp_init_sender(struct ctg_ct_tcp_peer *sender, struct ctg_ct_tcp_peer *receiver,
		const struct tcp_seg *s, enum ctg_ct_dir dir)
{
	sender->td_end = s->end;
	sender->td_maxend = s->end;
	sender->td_maxwin = s->win == 0 ? 1 : s->win;
	tcp_options(s, sender);
	if (dir == CTG_CT_DIR_REPLY && !((sender->flags & CTG_CT_TCP_F_WINDOW_SCALE) &&
						   (receiver->flags & CTG_CT_TCP_F_WINDOW_SCALE))) {
		sender->td_scale = 0;
		receiver->td_scale = 0;
	}
}

/*
 * A window check failed with @p act: a liberal connection (per-side flag or the
 * nf_conntrack_tcp_be_liberal tunable) accepts the packet anyway, without any of the
 * window updates that a passing packet makes.
 */
static enum tcp_action
tcp_window_fail(const struct ctg_ct_tcp_peer *sender, const struct ctg_ct_params *p,
		enum tcp_action act, enum ctg_ct_reason why, uint8_t *reason)
{
	if ((sender->flags & CTG_CT_TCP_F_BE_LIBERAL) || p->tcp_be_liberal)
		return TCP_ACT_ACCEPT;
	*reason = why;
	return act;
}

static inline uint32_t
max_ack_window(const struct ctg_ct_tcp_peer *sender)
{
	return sender->td_maxwin > MAXACKWINCONST ? sender->td_maxwin : MAXACKWINCONST;
}

/*
 * The window checks (I-IV, see the overview in the kernel and in
 * reference/conntrack-semantics.md) and the window bookkeeping:
 *
 *	td_end	  = max(seq + len) the side sent
 *	td_maxend = max(sack + max(win, 1)) the other side allowed
 *	td_maxwin = max(max(win, 1)) + (sack - ack), grown when data passes td_maxend
 *
 *	I.   seq <= sender.td_maxend
 *	II.  seq + len >= sender.td_end - receiver.td_maxwin
 *	III. sack <= receiver.td_end
 *	IV.  sack >= receiver.td_end - MAXACKWINDOW(sender)
 *
 * ctgate does no NAT, so there is no sequence offset to take into account.
 */
static enum tcp_action
tcp_in_window(struct ctg_ct_tcp *t, enum ctg_ct_dir dir, unsigned int index,
		const struct tcp_seg *s, const struct ctg_ct_params *p, uint8_t *reason)
{
	struct ctg_ct_tcp_peer *sender = &t->seen[dir];
	struct ctg_ct_tcp_peer *receiver = &t->seen[!dir];
	uint32_t seq = s->seq;
	uint32_t ack = s->ack;
	uint32_t sack = s->ack;
	uint32_t end = s->end;
	uint32_t win = s->win;
	bool syn = s->flags & TH_SYN;
	bool has_ack = s->flags & TH_ACK;
	bool in_recv_win;
	uint32_t swin;

	if (receiver->flags & CTG_CT_TCP_F_SACK_PERM)
		tcp_sack(s, &sack);

	if (sender->td_maxwin == 0) {
		/* The first packet of this direction. */
		if (syn) {
			/* SYN/ACK answering the SYN, or the reply's SYN of a simultaneous open. */
			tcp_init_sender(sender, receiver, s, dir);
			if (!has_ack)
				return TCP_ACT_ACCEPT;
		} else {
			/*
			 * A picked-up connection: its history is lost, so believe the
			 * packet.
			 */
			sender->td_end = end;
			swin = win << sender->td_scale;
			sender->td_maxwin = swin == 0 ? 1 : swin;
			sender->td_maxend = end + sender->td_maxwin;
			if (receiver->td_maxwin == 0) {
				/* Nothing seen the other way yet: let III and IV pass. */
				receiver->td_end = sack;
				receiver->td_maxend = sack;
			} else if (sack == receiver->td_end + 1) {
				/* Probably the answer to a keep-alive: needed for III. */
				receiver->td_end++;
			}
		}
	} else if (syn && ctg_seq_after(end, sender->td_end) &&
			(t->state == CTG_CT_TCP_SYN_SENT || t->state == CTG_CT_TCP_SYN_RECV)) {
		/*
		 * RFC 793: a reinitialised TCP need not wait, it only has to use higher
		 * sequence numbers. Start this direction afresh, like its first SYN(/ACK).
		 */
		tcp_init_sender(sender, receiver, s, dir);
		if (dir == CTG_CT_DIR_REPLY && !has_ack)
			return TCP_ACT_ACCEPT;
	}

	if (!has_ack) {
		/* No ACK: pretend it acknowledges everything, which passes III and IV. */
		ack = receiver->td_end;
		sack = receiver->td_end;
	} else if ((s->flags & (TH_ACK | TH_RST)) == (TH_ACK | TH_RST) && ack == 0) {
		/* Broken stacks send RST/ACK with a zero ack. */
		ack = receiver->td_end;
		sack = receiver->td_end;
	}

	if ((s->flags & TH_RST) && seq == 0 && t->state == CTG_CT_TCP_SYN_SENT) {
		/* A RST answering the SYN. */
		seq = sender->td_end;
		end = sender->td_end;
	}

	/* I. */
	if (!ctg_seq_before(seq, sender->td_maxend + 1)) {
		uint32_t overshot = end - sender->td_maxend + 1;
		bool ack_ok = ctg_seq_after(sack, receiver->td_end - max_ack_window(sender) - 1);

		in_recv_win = receiver->td_maxwin != 0 &&
				ctg_seq_after(end, sender->td_end - receiver->td_maxwin - 1);
		if (in_recv_win && ack_ok && overshot <= receiver->td_maxwin &&
				ctg_seq_before(sack, receiver->td_end + 1)) {
			/*
			 * Only the upper sequence bound fails, by less than a window: a
			 * TCP that sends more than the receive window allows. Remember
			 * the data, so that the peer's ACK for it is not "ACK over".
			 */
			sender->td_end = end;
			sender->flags |= CTG_CT_TCP_F_DATA_UNACKNOWLEDGED;
			return tcp_window_fail(sender, p, TCP_ACT_IGNORE, CTG_CT_R_TCP_OVERSHOOT,
					reason);
		}
		return tcp_window_fail(sender, p, TCP_ACT_INVALID, CTG_CT_R_TCP_SEQ_OVER, reason);
	}

	/* III. */
	if (!ctg_seq_before(sack, receiver->td_end + 1))
		return tcp_window_fail(sender, p, TCP_ACT_INVALID, CTG_CT_R_TCP_ACK_OVER, reason);

	/* II. */
	in_recv_win = receiver->td_maxwin == 0 ||
			ctg_seq_after(end, sender->td_end - receiver->td_maxwin - 1);
	if (!in_recv_win)
		return tcp_window_fail(sender, p, TCP_ACT_IGNORE, CTG_CT_R_TCP_SEQ_UNDER, reason);

	/* IV. */
	if (!ctg_seq_after(sack, receiver->td_end - max_ack_window(sender) - 1))
		return tcp_window_fail(sender, p, TCP_ACT_IGNORE, CTG_CT_R_TCP_ACK_UNDER, reason);

	/* The window of a SYN is never scaled (RFC 1323). */
	if (!syn)
		win <<= sender->td_scale;

	/* Update the sender. */
	swin = win + (sack - ack);
	if (sender->td_maxwin < swin)
		sender->td_maxwin = swin;
	if (ctg_seq_after(end, sender->td_end)) {
		sender->td_end = end;
		sender->flags |= CTG_CT_TCP_F_DATA_UNACKNOWLEDGED;
	}
	if (has_ack) {
		if (!(sender->flags & CTG_CT_TCP_F_MAXACK_SET)) {
			sender->td_maxack = ack;
			sender->flags |= CTG_CT_TCP_F_MAXACK_SET;
		} else if (ctg_seq_after(ack, sender->td_maxack)) {
			sender->td_maxack = ack;
		}
	}

	/* Update the receiver. */
	if (receiver->td_maxwin != 0 && ctg_seq_after(end, sender->td_maxend))
		receiver->td_maxwin += end - sender->td_maxend;
	if (ctg_seq_after(sack + win, receiver->td_maxend - 1)) {
		receiver->td_maxend = sack + win;
		if (win == 0)
			receiver->td_maxend++;
	}
	if (ack == receiver->td_end)
		receiver->flags &= (uint8_t)~CTG_CT_TCP_F_DATA_UNACKNOWLEDGED;

	/* Count retransmissions: the same ACK-class segment again from the same side. */
	if (index == TCP_EV_ACK) {
		if (t->last_dir == dir && t->last_seq == seq && t->last_ack == ack &&
				t->last_end == end && t->last_win == s->win) {
			t->retrans++;
		} else {
			t->last_dir = (uint8_t)dir;
			t->last_seq = seq;
			t->last_ack = ack;
			t->last_end = end;
			t->last_win = s->win;
			t->retrans = 0;
		}
	}
	return TCP_ACT_ACCEPT;
}

/*
 * An assured connection got an out-of-window FIN or RST. If the other side's last
 * packet was a FIN or RST too, the endpoints and we are out of sync on a dying
 * connection: shrink a long timeout to the unacknowledged-data one so that it does not
 * linger for days. Otherwise remember this packet as the last one.
 */
static void
tcp_handle_invalid(struct ctg_ct_conn *c, enum ctg_ct_dir dir, unsigned int index,
		const struct ctg_ct_params *p, uint64_t now_ns)
{
	struct ctg_ct_tcp *t = &c->l4.tcp;
	uint64_t left_ns, unack_ns;

	if (!(c->status & CTG_CT_S_ASSURED) || (c->status & CTG_CT_S_FIXED_TIMEOUT))
		return;
	if (index != TCP_EV_RST && index != TCP_EV_FIN)
		return;

	if (t->last_dir != dir && (t->last_index == TCP_EV_FIN || t->last_index == TCP_EV_RST)) {
		left_ns = c->expires_ns > now_ns ? c->expires_ns - now_ns : 0;
		if (left_ns < ctg_s_to_ns(HANDLE_INVALID_MIN_S))
			return;
		unack_ns = ctg_s_to_ns(p->tcp_timeout_unacknowledged);
		if (left_ns > unack_ns)
			c->expires_ns = now_ns + unack_ns;
	} else {
		t->last_index = (uint8_t)index;
		t->last_dir = (uint8_t)dir;
	}
}

/* Decide whether a packet may create a connection, and seed the original side. */
static enum ct_l4_verdict
tcp_new(struct ctg_ct_conn *c, const struct tcp_seg *s, const struct ctg_ct_params *p,
		uint8_t *reason)
{
	struct ctg_ct_tcp *t = &c->l4.tcp;
	struct ctg_ct_tcp_peer *orig = &t->seen[CTG_CT_DIR_ORIG];
	uint8_t next = tcp_fsm[CTG_CT_DIR_ORIG][s->event][CTG_CT_TCP_NONE];

	if (next >= TCP_S_INVALID) {
		*reason = CTG_CT_R_TCP_INVALID_NEW;
		return CT_L4_INVALID;
	}
	if (next == CTG_CT_TCP_SYN_SENT) {
		memset(t, 0, sizeof(*t));
		orig->td_end = s->end;
		orig->td_maxwin = s->win == 0 ? 1 : s->win;
		orig->td_maxend = orig->td_end;
		tcp_options(s, orig);
	} else if (!p->tcp_loose) {
		*reason = CTG_CT_R_TCP_NOT_SYN;
		return CT_L4_INVALID;
	} else {
		/*
		 * Picked up in the middle: the history is lost, so believe the packet, and
		 * assume SACK and liberal window checks on both sides (we cannot know
		 * the window scales).
		 */
		memset(t, 0, sizeof(*t));
		orig->td_end = s->end;
		orig->td_maxwin = s->win == 0 ? 1 : s->win;
		orig->td_maxend = orig->td_end + orig->td_maxwin;
		t->seen[CTG_CT_DIR_ORIG].flags = CTG_CT_TCP_F_SACK_PERM | CTG_CT_TCP_F_BE_LIBERAL;
		t->seen[CTG_CT_DIR_REPLY].flags = CTG_CT_TCP_F_SACK_PERM | CTG_CT_TCP_F_BE_LIBERAL;
	}
	t->last_index = TCP_EV_NONE; /* the packet processing sets it */
	return CT_L4_ACCEPT;
}

/* Clear a side's window data, keeping only its liberal flag. */
static void
tcp_peer_reset(struct ctg_ct_tcp_peer *peer)
{
	peer->td_end = 0;
	peer->td_maxend = 0;
	peer->td_maxwin = 0;
	peer->td_maxack = 0;
	peer->td_scale = 0;
	peer->flags &= CTG_CT_TCP_F_BE_LIBERAL;
}

/* The kernel's tcp_can_early_drop(): the closing states. */
static inline bool
tcp_is_closing(uint8_t state)
{
	return state == CTG_CT_TCP_FIN_WAIT || state == CTG_CT_TCP_LAST_ACK ||
			state == CTG_CT_TCP_TIME_WAIT || state == CTG_CT_TCP_CLOSE ||
			state == CTG_CT_TCP_CLOSE_WAIT;
}

/* nf_conntrack_tcp_established(): ESTABLISHED and ASSURED. */
static inline bool
tcp_is_established(const struct ctg_ct_conn *c)
{
	return c->l4.tcp.state == CTG_CT_TCP_ESTABLISHED && (c->status & CTG_CT_S_ASSURED);
}

/*
 * A packet the state machine ignores: remember it (to resynchronise on the answer),
 * note the options of a SYN in the original direction and whether an RFC 5961
 * challenge ACK may follow, and let it pass without a refresh.
 */
static enum ct_l4_verdict
tcp_note_ignored(struct ctg_ct_tcp *t, enum ctg_ct_dir dir, uint8_t old_state,
		const struct tcp_seg *s, uint8_t *reason)
{
	t->last_index = s->event;
	t->last_dir = (uint8_t)dir;
	t->last_seq = s->seq;
	t->last_end = s->end;
	t->last_win = s->win;

	if (s->event == TCP_EV_SYN && dir == CTG_CT_DIR_ORIG) {
		/*
		 * A SYN in the original direction: the endpoints may be in sync while we
		 * are not. Keep its options: a SYN/ACK answering it resynchronises us.
		 */
		struct ctg_ct_tcp_peer seen = { 0 };

		t->last_flags = 0;
		t->last_wscale = 0;
		tcp_options(s, &seen);
		if (seen.flags & CTG_CT_TCP_F_WINDOW_SCALE) {
			t->last_flags |= CTG_CT_TCP_F_WINDOW_SCALE;
			t->last_wscale = seen.td_scale;
		}
		if (seen.flags & CTG_CT_TCP_F_SACK_PERM)
			t->last_flags |= CTG_CT_TCP_F_SACK_PERM;
		/* In LAST_ACK, the answer may be a challenge ACK, not the last ACK. */
		if (old_state == CTG_CT_TCP_LAST_ACK)
			t->last_flags |= CTG_CT_TCP_F_EXP_CHALLENGE_ACK;
	}

	/* A possible challenge ACK answering the SYN. */
	if (old_state == CTG_CT_TCP_SYN_SENT && s->event == TCP_EV_ACK && dir == CTG_CT_DIR_REPLY)
		t->last_ack = s->ack;

	*reason = CTG_CT_R_TCP_IGNORED;
	return CT_L4_IGNORE;
}

/* The kernel's timeout choice for the state the packet leads to. */
static uint64_t
tcp_pick_timeout(const struct ctg_ct_tcp *t, uint8_t new_state, unsigned int index,
		const struct ctg_ct_params *p)
{
	uint64_t state_s = p->tcp_timeout[new_state];
	uint8_t flags = t->seen[0].flags | t->seen[1].flags;

	if (t->retrans >= p->tcp_max_retrans && state_s > p->tcp_timeout_max_retrans)
		return p->tcp_timeout_max_retrans;
	if (index == TCP_EV_RST)
		return p->tcp_timeout[CTG_CT_TCP_CLOSE];
	if ((flags & CTG_CT_TCP_F_DATA_UNACKNOWLEDGED) && state_s > p->tcp_timeout_unacknowledged)
		return p->tcp_timeout_unacknowledged;
	if (t->last_win == 0 && state_s > p->tcp_timeout_max_retrans)
		return p->tcp_timeout_max_retrans;
	return state_s;
}

/*
 * The RST checks before the window check (the kernel's TCP_CONNTRACK_CLOSE case).
 * @return CT_L4_INVALID for an invalid RST, CT_L4_ACCEPT to go on (to the window check
 * unless *skip_window was set). *new_state is reset to the old state for a RST whose
 * sequence number is not exact on an established connection (a challenge ACK may
 * follow, so ESTABLISHED is kept).
 */
static enum ct_l4_verdict
tcp_check_rst(const struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct tcp_seg *s,
		const struct ctg_ct_params *p, uint8_t old_state, uint8_t *new_state,
		bool *skip_window, uint8_t *reason)
{
	const struct ctg_ct_tcp *t = &c->l4.tcp;
	const struct ctg_ct_tcp_peer *other = &t->seen[!dir];
	bool ack_matches_ignored;

	/*
	 * Closing: the tuple may have been reused already, and the bookkeeping used
	 * below is stale. Skip the checks.
	 */
	if (tcp_is_closing(t->state)) {
		*skip_window = true;
		return CT_L4_ACCEPT;
	}

	/* td_maxack may be stale if a SYN passed earlier. */
	if ((other->flags & CTG_CT_TCP_F_MAXACK_SET) && t->last_index != TCP_EV_SYN) {
		/*
		 * SEQ 0 outside an established connection: most likely the answer to a
		 * SYN we let through.
		 */
		if (s->seq == 0 && !tcp_is_established(c))
			return CT_L4_ACCEPT;
		if (ctg_seq_before(s->seq, other->td_maxack) && !p->tcp_ignore_invalid_rst) {
			*reason = CTG_CT_R_TCP_RST_INVALID;
			return CT_L4_INVALID;
		}
		if (!tcp_is_established(c) || s->seq == other->td_maxack)
			return CT_L4_ACCEPT;
		/* The RST closes a train of data: "P seq:end(n)" then "R end:end(0)". */
		if (t->last_index == TCP_EV_ACK && t->last_dir == dir && s->seq == t->last_end)
			return CT_L4_ACCEPT;
		/* Not exact: keep the state, to allow for a challenge ACK. */
		*new_state = old_state;
	}
	/*
	 * A RST answering a SYN (a) or an ACK (c, a half-open connection) that we let
	 * through as ignored: delete the entry, skipping the window check, since the
	 * RST may acknowledge data we ignored.
	 */
	ack_matches_ignored = ctg_get_be32(s->th + 8) == t->last_end;
	if ((((c->status & CTG_CT_S_SEEN_REPLY) && t->last_index == TCP_EV_SYN) ||
			    (!(c->status & CTG_CT_S_ASSURED) && t->last_index == TCP_EV_ACK)) &&
			ack_matches_ignored) {
		*skip_window = true;
		return CT_L4_ACCEPT;
	}
	/* A RST answering a challenge ACK that we let through in SYN_SENT. */
	if (old_state == CTG_CT_TCP_SYN_SENT && t->last_index == TCP_EV_ACK &&
			t->last_dir == CTG_CT_DIR_REPLY && s->seq == t->last_ack)
		*skip_window = true;
	return CT_L4_ACCEPT;
}

static enum ct_l4_verdict
tcp_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt, bool is_new,
		const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	struct ctg_ct_tcp *t = &c->l4.tcp;
	bool skip_window = false;
	unsigned int index;
	uint8_t old_state, new_state;
	enum ct_l4_verdict v;
	struct tcp_seg s;
	uint64_t timeout;

	*reason = CTG_CT_R_NONE;
	if (!tcp_seg_decode(pkt, &s)) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return CT_L4_INVALID;
	}
	if (is_new) {
		v = tcp_new(c, &s, p, reason);
		if (v != CT_L4_ACCEPT)
			return v;
	}

	old_state = t->state;
	index = s.event;
	new_state = tcp_fsm[dir][index][old_state];

	switch (new_state) {
	case CTG_CT_TCP_SYN_SENT:
		if (old_state < CTG_CT_TCP_TIME_WAIT)
			break;
		/*
		 * RFC 1122 lets a SYN reopen a connection in TIME_WAIT (we skip its
		 * conditions: we are in TIME_WAIT anyway), and a client may abort a
		 * connection and start a new one. If the entry was closing or the same
		 * side reset it, kill it and track the SYN as new.
		 */
		if (((t->seen[dir].flags | t->seen[!dir].flags) & CTG_CT_TCP_F_CLOSE_INIT) ||
				(t->last_dir == dir && t->last_index == TCP_EV_RST))
			return CT_L4_REPEAT;
		/* Otherwise ignore the SYN like one in a live connection. */
		return tcp_note_ignored(t, dir, old_state, &s, reason);
	case TCP_S_IGNORE:
		if (index == TCP_EV_SYNACK && t->last_index == TCP_EV_SYN && t->last_dir != dir &&
				s.ack == t->last_end) {
			/*
			 * This SYN/ACK answers a SYN we ignored: the endpoints are in sync
			 * and we are not. Resynchronise from the SYN we noted.
			 */
			struct ctg_ct_tcp_peer *syn_side = &t->seen[t->last_dir];

			old_state = CTG_CT_TCP_SYN_SENT;
			new_state = CTG_CT_TCP_SYN_RECV;
			syn_side->td_end = t->last_end;
			syn_side->td_maxend = t->last_end;
			syn_side->td_maxwin = t->last_win == 0 ? 1 : t->last_win;
			syn_side->td_scale = t->last_wscale;
			t->last_flags &= (uint8_t)~CTG_CT_TCP_F_EXP_CHALLENGE_ACK;
			syn_side->flags = t->last_flags;
			tcp_peer_reset(&t->seen[dir]);
			break;
		}
		return tcp_note_ignored(t, dir, old_state, &s, reason);
	case TCP_S_INVALID:
		/* (The kernel's SYN proxy keep-alive exception does not apply: no SYN proxy.) */
		*reason = CTG_CT_R_TCP_INVALID_STATE;
		return CT_L4_INVALID;
	case CTG_CT_TCP_TIME_WAIT:
		/*
		 * RFC 5961 stacks answer a spurious SYN with a challenge ACK: in LAST_ACK
		 * it must not be taken for the last ACK.
		 */
		if (old_state == CTG_CT_TCP_LAST_ACK && index == TCP_EV_ACK && t->last_dir != dir &&
				t->last_index == TCP_EV_SYN &&
				(t->last_flags & CTG_CT_TCP_F_EXP_CHALLENGE_ACK)) {
			t->last_flags &= (uint8_t)~CTG_CT_TCP_F_EXP_CHALLENGE_ACK;
			*reason = CTG_CT_R_TCP_IGNORED;
			return CT_L4_IGNORE;
		}
		break;
	case CTG_CT_TCP_SYN_SENT2:
		/* The table alone cannot follow a simultaneous open. */
		t->last_flags |= CTG_CT_TCP_F_SIMULTANEOUS_OPEN;
		break;
	case CTG_CT_TCP_SYN_RECV:
		if (dir == CTG_CT_DIR_REPLY && index == TCP_EV_ACK &&
				(t->last_flags & CTG_CT_TCP_F_SIMULTANEOUS_OPEN))
			new_state = CTG_CT_TCP_ESTABLISHED;
		break;
	case CTG_CT_TCP_CLOSE:
		if (index != TCP_EV_RST)
			break;
		v = tcp_check_rst(c, dir, &s, p, old_state, &new_state, &skip_window, reason);
		if (v != CT_L4_ACCEPT)
			return v;
		break;
	default:
		break;
	}

	if (!skip_window) {
		switch (tcp_in_window(t, dir, index, &s, p, reason)) {
		case TCP_ACT_IGNORE:
			return CT_L4_IGNORE;
		case TCP_ACT_INVALID:
			tcp_handle_invalid(c, dir, index, p, now_ns);
			return CT_L4_INVALID;
		case TCP_ACT_ACCEPT:
			break;
		}
	}

	/* From here on the packet is in the window. */
	t->last_index = (uint8_t)index;
	t->last_dir = (uint8_t)dir;
	t->state = new_state;
	if (old_state != new_state && new_state == CTG_CT_TCP_FIN_WAIT)
		t->seen[dir].flags |= CTG_CT_TCP_F_CLOSE_INIT;

	timeout = tcp_pick_timeout(t, new_state, index, p);

	if (!(c->status & CTG_CT_S_SEEN_REPLY)) {
		/*
		 * A RST as the only answer: no connection was established, which is a
		 * common case, so delete the entry at once.
		 */
		if (s.flags & TH_RST) {
			*timeout_s = timeout;
			return CT_L4_DESTROY;
		}
		/*
		 * A retransmitted SYN does not renew the timer: port reuse by a client
		 * or a NAT box could otherwise keep the entry alive forever.
		 */
		if (index == TCP_EV_SYN && old_state == CTG_CT_TCP_SYN_SENT)
			return CT_L4_IGNORE;
		/* A loose pickup without a reply gets no 5-day timeout. */
		if (new_state == CTG_CT_TCP_ESTABLISHED && timeout > p->tcp_timeout_unacknowledged)
			timeout = p->tcp_timeout_unacknowledged;
	} else if (!(c->status & CTG_CT_S_ASSURED) &&
			(old_state == CTG_CT_TCP_SYN_RECV || old_state == CTG_CT_TCP_ESTABLISHED) &&
			new_state == CTG_CT_TCP_ESTABLISHED) {
		/*
		 * A valid ACK in ESTABLISHED after SYN_RECV, or a valid answer on a
		 * picked-up connection.
		 */
		c->status |= CTG_CT_S_ASSURED;
	}
	*timeout_s = timeout;
	return CT_L4_ACCEPT;
}

/*
 * The checks before any lookup (the kernel's tcp_error()): a whole header, a correct
 * checksum when nf_conntrack_checksum is set (ctgate forwards, so it always is the
 * PRE_ROUTING case), and a valid flag combination.
 */
static bool
tcp_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	uint32_t l4_len = ctg_pkt_l4_len(pkt);
	const uint8_t *th = ctg_pkt_l4(pkt);
	uint32_t hdr_len;
	uint8_t flags;

	if (l4_len < TCP_HDR_LEN) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	hdr_len = (uint32_t)(th[12] >> 4) * 4;
	if (hdr_len < TCP_HDR_LEN || l4_len < hdr_len) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	if (p->checksum && !ctg_pkt_l4_csum_ok(pkt, l4_len, l4_len)) {
		*reason = CTG_CT_R_L4_CSUM;
		return false;
	}
	flags = th[13] & (uint8_t)~(TH_ECE | TH_CWR | TH_PSH);
	if (!tcp_valid_flags[flags]) {
		*reason = CTG_CT_R_TCP_FLAGS;
		return false;
	}
	return true;
}

/*
 * The kernel's nf_conntrack_tcp_set_closing(), called when the firewall itself answers
 * a packet of the connection with a TCP reset (REJECT --reject-with tcp-reset): the
 * entry goes to CLOSE and, unless it was already closed or has a fixed timeout, gets
 * the CLOSE timeout. Lib-internal; the caller passes a confirmed connection only (the
 * kernel does nothing for an unconfirmed one).
 */

void
ct_tcp_set_closing(struct ctg_ct_conn *c, const struct ctg_ct_params *p, uint64_t now_ns)
{
	uint8_t old_state = c->l4.tcp.state;

	c->l4.tcp.state = CTG_CT_TCP_CLOSE;
	if (old_state == CTG_CT_TCP_CLOSE || (c->status & CTG_CT_S_FIXED_TIMEOUT))
		return;
	c->expires_ns = now_ns + ctg_s_to_ns(p->tcp_timeout[CTG_CT_TCP_CLOSE]);
}

const struct ct_l4_ops ct_l4_tcp_ops = {
	.error = tcp_error,
	.packet = tcp_packet,
};
