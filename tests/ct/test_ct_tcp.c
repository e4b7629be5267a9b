/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the TCP tracker (lib/ct/ct_proto_tcp.c).
 *
 * Two kinds of test, after NPF:
 *  - properties of the state table, walked cell by cell through ct_tcp_fsm_next();
 *  - data-driven packet sequences: rows {dir, flags, seq, ack, win, len, options,
 *    expected verdict, state, ASSURED, reason, timeout}. The expectations come from the
 *    kernel (Linux 6.18 through the oracle in ../shared/oracle): the sequences are the
 *    oracle scenarios of /tmp/orc (named in each comment) or small scapy captures replayed
 *    through the oracle while this file was written (their kernel log lines are quoted).
 *
 * A tiny model of the core drives the tracker: it calls error() and packet(), creates the
 * connection for the first packet, sets SEEN_REPLY after an accepted reply packet, applies
 * the timeout on ACCEPT, deletes on DESTROY and re-tracks on REPEAT, as ct_track.c does.
 * Packets are built by hand (IPv4 + TCP with a correct checksum), so the test needs nothing
 * from lib/pkt but ctg_pkt_l4_csum_ok(), which tcp_error() calls.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctg_common.h"
#include "ctg_ct.h"
#include "ctg_pkt.h"
#include "ctg_test.h"

#include "ct_private.h"

/* The tracker's table lookup (lib-internal, defined in ct_proto_tcp.c). */

/* Flag classes and sentinels, in the tracker's (the kernel's) numbering. */
enum { EV_SYN, EV_SYNACK, EV_FIN, EV_ACK, EV_RST, EV_NONE, EV_COUNT };
#define S_INVALID CTG_CT_TCP_S_COUNT
#define S_IGNORE  (CTG_CT_TCP_S_COUNT + 1)

/* Internet checksum helpers, to build packets with a correct TCP checksum. */
static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t
tcp4_csum(const uint8_t *ip, const uint8_t *l4, uint32_t l4_len)
{
	uint32_t sum = sum16(ip + 12, 8, 0);

	sum += 6 + l4_len;
	return fold(sum16(l4, l4_len, sum));
}

/* ------------------------------------------------------------------------------------ */
/* Packets. */

#define O CTG_CT_DIR_ORIG
#define R CTG_CT_DIR_REPLY

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80
#define S     F_SYN
#define SA    (F_SYN | F_ACK)
#define A     F_ACK
#define PA    (F_PSH | F_ACK)
#define FA    (F_FIN | F_ACK)
#define RS    F_RST
#define RA    (F_RST | F_ACK)

struct tpkt {
	uint8_t buf[20 + 60 + 4096];
	struct ctg_pkt pkt;
};

/* Build an IPv4/TCP packet 192.0.2.1:40000 <-> 198.51.100.2:80 in direction @p dir. */
static void
tpkt_build(struct tpkt *tp, unsigned int dir, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t win, uint16_t len, const char *opt, uint8_t optlen)
{
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, srv[4] = { 198, 51, 100, 2 };
	uint8_t *ip = tp->buf, *th = tp->buf + 20;
	uint32_t hdr_len = 20u + optlen, tot = 20 + hdr_len + len;

	memset(tp, 0, sizeof(*tp));
	ip[0] = 0x45;
	ctg_put_be16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, dir == O ? cli : srv, 4);
	memcpy(ip + 16, dir == O ? srv : cli, 4);
	ctg_put_be16(ip + 10, fold(sum16(ip, 20, 0)));
	ctg_put_be16(th, dir == O ? 40000 : 80);
	ctg_put_be16(th + 2, dir == O ? 80 : 40000);
	ctg_put_be32(th + 4, seq);
	ctg_put_be32(th + 8, ack);
	th[12] = (uint8_t)((hdr_len / 4) << 4);
	th[13] = flags;
	ctg_put_be16(th + 14, win);
	if (optlen)
		memcpy(th + 20, opt, optlen);
	memset(th + hdr_len, 'x', len);
	ctg_put_be16(th + 16, tcp4_csum(ip, th, hdr_len + len));

	tp->pkt.l3 = tp->buf;
	tp->pkt.len = tot;
	tp->pkt.l4_off = 20;
	tp->pkt.family = 4;
	tp->pkt.proto = 6;
}

/* ------------------------------------------------------------------------------------ */
/* A model of the core. */

static void
params_default(struct ctg_ct_params *p)
{
	static const uint64_t tcp_timeouts[CTG_CT_TCP_S_COUNT] = {
		[CTG_CT_TCP_SYN_SENT] = 120,
		[CTG_CT_TCP_SYN_RECV] = 60,
		[CTG_CT_TCP_ESTABLISHED] = 432000,
		[CTG_CT_TCP_FIN_WAIT] = 120,
		[CTG_CT_TCP_CLOSE_WAIT] = 60,
		[CTG_CT_TCP_LAST_ACK] = 30,
		[CTG_CT_TCP_TIME_WAIT] = 120,
		[CTG_CT_TCP_CLOSE] = 10,
		[CTG_CT_TCP_SYN_SENT2] = 120,
	};

	memset(p, 0, sizeof(*p));
	p->checksum = 1;
	p->tcp_loose = 1;
	p->tcp_max_retrans = 3;
	memcpy(p->tcp_timeout, tcp_timeouts, sizeof(tcp_timeouts));
	p->tcp_timeout_max_retrans = 300;
	p->tcp_timeout_unacknowledged = 300;
}

struct sim {
	struct ctg_ct_conn c;
	bool exists;
	uint64_t now_ns;
	struct ctg_ct_params p;
	unsigned int nb_repeat; /* REPEATs seen (a new entry replaced the old one) */
};

/* Verdicts as the rows spell them; REPEAT rows expect the verdict of the re-tracking. */
enum want {
	W_ACC = CT_L4_ACCEPT,
	W_IGN = CT_L4_IGNORE,
	W_INV = CT_L4_INVALID,
	W_RPT = CT_L4_REPEAT,
	W_DES = CT_L4_DESTROY,
};

static void
sim_init(struct sim *sim)
{
	memset(sim, 0, sizeof(*sim));
	params_default(&sim->p);
	sim->now_ns = 1000 * CTG_NS_PER_S;
}

/*
 * Track one packet. Returns the tracker's verdict; after a REPEAT the packet is tracked
 * again on a fresh entry and *repeated is set (the returned verdict is the second one).
 */
static enum ct_l4_verdict
sim_track(struct sim *sim, const struct ctg_pkt *pkt, unsigned int dir, uint8_t *reason,
		uint64_t *timeout_s, bool *repeated)
{
	enum ct_l4_verdict v;
	bool is_new;

	*repeated = false;
	*timeout_s = 0;
	*reason = CTG_CT_R_NONE;
	sim->now_ns += CTG_NS_PER_MS;
	if (!ct_l4_tcp_ops.error(pkt, &sim->p, reason))
		return CT_L4_INVALID;
again:
	is_new = !sim->exists;
	if (is_new) {
		memset(&sim->c, 0, sizeof(sim->c));
		dir = O;
	}
	v = ct_l4_tcp_ops.packet(&sim->c, (enum ctg_ct_dir)dir, pkt, is_new, &sim->p, sim->now_ns,
			timeout_s, reason);
	switch (v) {
	case CT_L4_ACCEPT:
		sim->c.expires_ns = sim->now_ns + ctg_s_to_ns(*timeout_s);
		sim->exists = true;
		break;
	case CT_L4_IGNORE:
		sim->exists = true;
		break;
	case CT_L4_INVALID:
		if (is_new)
			sim->exists = false;
		return v;
	case CT_L4_REPEAT:
		if (*repeated)
			return v; /* never twice */
		*repeated = true;
		sim->nb_repeat++;
		sim->exists = false;
		goto again;
	case CT_L4_DESTROY:
		sim->exists = false;
		return v;
	case CT_L4_VERDICT_COUNT:
		return v;
	}
	if (dir == R)
		sim->c.status |= CTG_CT_S_SEEN_REPLY;
	return v;
}

/* ------------------------------------------------------------------------------------ */
/* Packet sequences. */

#define NOOPT	 NULL, 0
#define OPT(s)	 s, (uint8_t)(sizeof(s) - 1)
#define ANY	 0xff /* reason not checked */
#define NOTIME	 0    /* timeout not checked */
#define GONE	 0xfe /* no entry after the packet */

struct step {
	uint8_t dir;
	uint8_t flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t win;
	uint16_t len;
	const char *opt;
	uint8_t optlen;
	uint8_t verdict; /* enum want */
	uint8_t state;	 /* TCP state after the packet, or GONE */
	uint8_t assured; /* ASSURED after the packet */
	uint8_t reason;	 /* enum ctg_ct_reason, or ANY */
	uint32_t timeout; /* on ACCEPT: the timeout in seconds, or NOTIME */
};

struct scenario {
	const struct step *steps;
	size_t nb_steps;
	uint8_t loose;
	uint8_t liberal;
	uint8_t ignore_invalid_rst;
	/* Optional extra check after a given step (1-based), 0 = none. */
	unsigned int check_at;
	int (*check)(const struct sim *sim);
};

/* Names, from the X-macro lists (ct_print.c is not linked into this test). */
static const char *
state_str(unsigned int st)
{
	static const char *const names[] = {
#define CTG_CT_X(n, s) s,
		CTG_CT_TCP_STATES(CTG_CT_X)
#undef CTG_CT_X
	};

	return st < CTG_ARRAY_SIZE(names) ? names[st] : "?";
}

static const char *
reason_str(unsigned int r)
{
	static const char *const names[] = {
#define CTG_CT_X(n, s) s,
		CTG_CT_REASONS(CTG_CT_X)
#undef CTG_CT_X
	};

	return r < CTG_ARRAY_SIZE(names) ? names[r] : "?";
}

static const char *
verdict_str(unsigned int v)
{
	static const char *const names[] = { "ACCEPT", "IGNORE", "INVALID", "REPEAT", "DESTROY" };

	return v < CTG_ARRAY_SIZE(names) ? names[v] : "?";
}

static int
run_steps(struct sim *sim, const struct scenario *sc)
{
	for (size_t i = 0; i < sc->nb_steps; i++) {
		const struct step *st = &sc->steps[i];
		struct tpkt tp;
		uint64_t timeout;
		uint8_t reason;
		bool repeated;
		enum ct_l4_verdict v;
		unsigned int want = st->verdict, got;

		tpkt_build(&tp, st->dir, st->flags, st->seq, st->ack, st->win, st->len, st->opt,
				st->optlen);
		v = sim_track(sim, &tp.pkt, st->dir, &reason, &timeout, &repeated);
		got = repeated ? CT_L4_REPEAT : v;
		if (want == W_RPT && repeated && v != CT_L4_ACCEPT) {
			printf("# step %zu: re-tracked after REPEAT as %s\n", i + 1,
					verdict_str(v));
			return 1;
		}
		if (got != want) {
			printf("# step %zu: verdict %s, expected %s (reason %s)\n", i + 1,
					verdict_str(got), verdict_str(want),
					reason_str(reason));
			return 1;
		}
		if (st->reason != ANY && reason != st->reason) {
			printf("# step %zu: reason %s, expected %s\n", i + 1,
					reason_str(reason),
					reason_str(st->reason));
			return 1;
		}
		if (st->state == GONE) {
			CTG_ASSERT(!sim->exists, "step %zu: the entry should be gone", i + 1);
		} else {
			CTG_ASSERT(sim->exists, "step %zu: no entry", i + 1);
			if (sim->c.l4.tcp.state != st->state) {
				printf("# step %zu: state %s, expected %s\n", i + 1,
						state_str(sim->c.l4.tcp.state),
						state_str(st->state));
				return 1;
			}
			CTG_ASSERT(!!(sim->c.status & CTG_CT_S_ASSURED) == !!st->assured,
					"step %zu: ASSURED is %d", i + 1,
					!!(sim->c.status & CTG_CT_S_ASSURED));
		}
		if (st->timeout != NOTIME && (v == CT_L4_ACCEPT || v == CT_L4_DESTROY))
			CTG_ASSERT(timeout == st->timeout, "step %zu: timeout %llu, expected %u",
					i + 1, (unsigned long long)timeout, st->timeout);
		if (sc->check != NULL && sc->check_at == i + 1 && sc->check(sim) != 0) {
			printf("# step %zu: extra check failed\n", i + 1);
			return 1;
		}
	}
	return 0;
}

static int
run_scenario(const struct scenario *sc)
{
	struct sim sim;

	sim_init(&sim);
	sim.p.tcp_loose = sc->loose;
	sim.p.tcp_be_liberal = sc->liberal;
	sim.p.tcp_ignore_invalid_rst = sc->ignore_invalid_rst;
	return run_steps(&sim, sc);
}

#define SS  CTG_CT_TCP_SYN_SENT
#define SR  CTG_CT_TCP_SYN_RECV
#define ES  CTG_CT_TCP_ESTABLISHED
#define FW  CTG_CT_TCP_FIN_WAIT
#define CW  CTG_CT_TCP_CLOSE_WAIT
#define LA  CTG_CT_TCP_LAST_ACK
#define TW  CTG_CT_TCP_TIME_WAIT
#define CL  CTG_CT_TCP_CLOSE
#define S2  CTG_CT_TCP_SYN_SENT2
#define RN  CTG_CT_R_NONE
#define RIG CTG_CT_R_TCP_IGNORED

#define SCENARIO(name, loose, liberal, ignrst, at, fn, ...)                                 \
	static const struct step name##_steps[] = { __VA_ARGS__ };                       \
	static int test_##name(void)                                                     \
	{                                                                                \
		static const struct scenario sc = { name##_steps,                        \
			CTG_ARRAY_SIZE(name##_steps), loose, liberal, ignrst, at, fn };  \
		return run_scenario(&sc);                                                \
	}

/* scn_tcp_handshake_close: 3-way handshake, data both ways, FIN/ACK close from the client. */
SCENARIO(handshake_close, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	/* Data: unacknowledged until the peer ACKs it, which caps the timeout at 300 s. */
	{ O, PA, 1001, 5001, 65535, 100, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ R, A, 5001, 1101, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 5001, 1101, 65535, 200, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1101, 5201, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, FA, 1101, 5201, 65535, 0, NOOPT, W_ACC, FW, 1, RN, 120 },
	{ R, A, 5201, 1102, 65535, 0, NOOPT, W_ACC, CW, 1, RN, 60 },
	{ R, FA, 5201, 1102, 65535, 0, NOOPT, W_ACC, LA, 1, RN, 30 },
	{ O, A, 1102, 5202, 65535, 0, NOOPT, W_ACC, TW, 1, RN, 120 })

/* scn_tcp_syn_rst: a RST/ACK as the only answer deletes the entry at once. */
SCENARIO(syn_rst, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, RA, 0, 1001, 65535, 0, NOOPT, W_DES, GONE, 0, RN, 10 })

/* scn_tcp_midstream_loose1: pickup; ASSURED only with the first packet after a reply. */
SCENARIO(loose1, 1, 0, 0, 0, NULL,
	/* No reply seen: the pickup is held at the unacknowledged timeout. */
	{ O, PA, 1000, 5000, 65535, 5, NOOPT, W_ACC, ES, 0, RN, 300 },
	{ R, A, 5000, 1005, 65535, 0, NOOPT, W_ACC, ES, 0, RN, 300 },
	{ R, PA, 5000, 1005, 65535, 5, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1005, 5005, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 })

/* scn_tcp_midstream_loose0: without tcp_loose nothing but a SYN creates an entry. */
SCENARIO(loose0, 0, 0, 0, 0, NULL,
	{ O, PA, 1000, 5000, 65535, 5, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_NOT_SYN, NOTIME },
	{ R, A, 5000, 1005, 65535, 0, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_NOT_SYN, NOTIME },
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 })

/* Packets that can never open a connection: "invalid new". */
SCENARIO(invalid_new, 1, 0, 0, 0, NULL,
	{ O, SA, 1000, 5000, 65535, 0, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_INVALID_NEW, NOTIME },
	{ O, FA, 1000, 5000, 65535, 0, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_INVALID_NEW, NOTIME },
	{ O, RS, 1000, 0, 65535, 0, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_INVALID_NEW, NOTIME },
	{ O, RA, 1000, 5000, 65535, 0, NOOPT, W_INV, GONE, 0, CTG_CT_R_TCP_INVALID_NEW, NOTIME })

/*
 * scn_tcp_out_of_window: far above the window is INVALID ("SEQ is over upper bound 66547");
 * 3 MB below is accepted but ignored ("SEQ is under lower bound 4294902771"), no refresh.
 */
static int
check_oow_bounds(const struct sim *sim)
{
	const struct ctg_ct_tcp *t = &sim->c.l4.tcp;

	/* The bounds the kernel printed for steps 6 and 7. */
	CTG_ASSERT_EQ(t->seen[O].td_maxend + 1, 66547);
	CTG_ASSERT_EQ((uint32_t)(t->seen[O].td_end - t->seen[R].td_maxwin - 1), 4294902771u);
	return 0;
}

SCENARIO(out_of_window, 1, 0, 0, 5, check_oow_bounds,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1001, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ R, A, 5001, 1011, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 10001011, 5001, 65535, 10, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_SEQ_OVER, NOTIME },
	{ O, PA, 4291968307u, 5001, 65535, 10, NOOPT, W_IGN, ES, 1, CTG_CT_R_TCP_SEQ_UNDER,
			NOTIME },
	{ O, PA, 1011, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 })

/* scn_tcp_out_of_window_liberal: the same with tcp_be_liberal=1: all accepted. */
SCENARIO(out_of_window_liberal, 1, 1, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1001, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ R, A, 5001, 1011, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 10001011, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 4291968307u, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1011, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 })

/* scn_tcp_rst_out_of_window: "SEQ is over upper bound 70537", then an in-window RST closes. */
SCENARIO(rst_out_of_window, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, RS, 5005001, 0, 65535, 0, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_SEQ_OVER, NOTIME },
	{ R, RS, 5001, 0, 65535, 0, NOOPT, W_ACC, CL, 1, RN, 10 })

/*
 * scn_tcp_syn_retrans_and_reopen: a retransmitted SYN is ignored (no refresh, the entry
 * stays SYN_SENT and NEW); a SYN on a TIME_WAIT entry kills it and opens a new one.
 */
SCENARIO(syn_retrans_reopen, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_IGN, SS, 0, RN, NOTIME },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, FA, 1001, 5001, 65535, 0, NOOPT, W_ACC, FW, 1, RN, 120 },
	{ R, FA, 5001, 1002, 65535, 0, NOOPT, W_ACC, LA, 1, RN, 30 },
	{ O, A, 1002, 5002, 65535, 0, NOOPT, W_ACC, TW, 1, RN, 120 },
	{ O, S, 900000, 0, 65535, 0, NOOPT, W_RPT, SS, 0, RN, 120 },
	{ R, SA, 700000, 900001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 900001, 700001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: simultaneous open. The reply's SYN gives SYN_SENT2 (without a refresh: no reply
 * was seen before and it is a SYN in SYN_SENT, which the kernel treats like a
 * retransmitted SYN; the kernel's table counts no packet for it); the client's SYN/ACK
 * SYN_RECV; the server's late SYN/ACK is ignored ("packet (index 1) in dir 1 ignored,
 * state SYN_RECV"); the client's ACK establishes and assures.
 */
SCENARIO(simultaneous_open, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, S, 5000, 0, 65535, 0, NOOPT, W_IGN, S2, 0, RN, NOTIME },
	{ O, SA, 1000, 5001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_IGN, SR, 0, RIG, NOTIME },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, A, 5001, 1001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1001, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 })

/* Oracle: simultaneous open completed by the server's SYN/ACK and the client's ACK. */
SCENARIO(simultaneous_open2, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, S, 5000, 0, 65535, 0, NOOPT, W_IGN, S2, 0, RN, NOTIME },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, A, 5001, 1001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: window scaling. With wscale 7 on both SYNs the client's window 512 means 64 KiB,
 * so server data 20000 bytes ahead is in the window; with the option on the client's SYN
 * only, scaling is off and the same data is INVALID ("SEQ is over upper bound 5514").
 */
#define WS7 OPT("\x01\x03\x03\x07")
static int
check_ws_both(const struct sim *sim)
{
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[O].td_scale, 7);
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_scale, 7);
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_maxend, 5001 + (512 << 7));
	return 0;
}

SCENARIO(wscale_both, 1, 0, 0, 3, check_ws_both,
	{ O, S, 1000, 0, 512, 0, WS7, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 512, 0, WS7, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 512, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 25001, 1001, 512, 100, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, PA, 1001, 5001, 512, 3000, NOOPT, W_ACC, ES, 1, RN, 300 })

static int
check_ws_one(const struct sim *sim)
{
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[O].td_scale, 0);
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_scale, 0);
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_maxend + 1, 5514);
	return 0;
}

SCENARIO(wscale_orig_only, 1, 0, 0, 3, check_ws_one,
	{ O, S, 1000, 0, 512, 0, WS7, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 512, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 512, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 25001, 1001, 512, 100, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_SEQ_OVER, NOTIME },
	{ O, PA, 1001, 5001, 512, 3000, NOOPT, W_ACC, ES, 1, RN, 300 })

/*
 * Oracle: SACK. With SACK permitted on both SYNs, an ACK whose SACK block ends beyond the
 * data seen is INVALID ("ACK is over upper bound 5102"); without SACK-permitted the
 * block is not looked at and the same packet passes.
 */
#define SACKPERM OPT("\x01\x01\x04\x02")
#define SACK_BAD OPT("\x01\x01\x05\x0a\x00\x00\x13\xbb\x00\x00\x14\x51") /* 5051-5201 */
#define SACK_OK	 OPT("\x01\x01\x05\x0a\x00\x00\x13\x89\x00\x00\x13\xed") /* 5001-5101 */
SCENARIO(sack_permitted, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, SACKPERM, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, SACKPERM, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 5001, 1001, 65535, 100, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1001, 5001, 65535, 0, SACK_BAD, W_INV, ES, 1, CTG_CT_R_TCP_ACK_OVER, NOTIME },
	{ O, A, 1001, 5101, 65535, 0, SACK_OK, W_ACC, ES, 1, RN, 432000 })

SCENARIO(sack_not_permitted, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 5001, 1001, 65535, 100, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1001, 5001, 65535, 0, SACK_BAD, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1001, 5101, 65535, 0, SACK_OK, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: the same pure ACK four more times. The third repeat reaches tcp_max_retrans=3
 * and the timeout drops to 300 s (the kernel's table shows 299 afterwards).
 */
SCENARIO(retransmissions, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 300 },
	/* Anything new resets the count. */
	{ R, A, 5001, 1001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: RFC 5961 challenge ACK in LAST_ACK. A new SYN on the closing entry is ignored
 * and marks that a challenge ACK may follow; the server's ACK is then "challenge-ack
 * ignored" (still LAST_ACK), and only the client's real last ACK leads to TIME_WAIT.
 */
SCENARIO(challenge_ack, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, FA, 1001, 5001, 65535, 0, NOOPT, W_ACC, FW, 1, RN, 120 },
	{ R, FA, 5001, 1002, 65535, 0, NOOPT, W_ACC, LA, 1, RN, 30 },
	{ O, S, 77777, 0, 65535, 0, NOOPT, W_IGN, LA, 1, RIG, NOTIME },
	{ R, A, 5002, 1002, 65535, 0, NOOPT, W_IGN, LA, 1, RIG, NOTIME },
	{ O, A, 1002, 5002, 65535, 0, NOOPT, W_ACC, TW, 1, RN, 120 },
	{ O, S, 88888, 0, 65535, 0, NOOPT, W_RPT, SS, 0, RN, 120 })

/*
 * Oracle: a RST before the peer's highest ACK is "invalid rst"; an inexact one keeps
 * ESTABLISHED with the CLOSE timeout (a challenge ACK may follow); a SYN from the client
 * afterwards is ignored, not a reopen (the RST came from the other side).
 */
SCENARIO(invalid_rst, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1001, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ R, A, 5001, 1011, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, RS, 4990, 0, 65535, 0, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_RST_INVALID, NOTIME },
	{ R, RS, 5005, 0, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 10 },
	{ O, S, 2000, 0, 65535, 0, NOOPT, W_IGN, ES, 1, RIG, NOTIME },
	{ O, S, 2000, 0, 65535, 0, NOOPT, W_IGN, ES, 1, RIG, NOTIME })

/* Oracle, with nf_conntrack_tcp_ignore_invalid_rst=1: the early RST passes. */
SCENARIO(invalid_rst_ignored, 1, 0, 1, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, PA, 1001, 5001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 },
	{ R, A, 5001, 1011, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, RS, 4990, 0, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 10 },
	{ R, RS, 5005, 0, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 10 })

/* Oracle: a RST from the client, then the client's SYN reopens (a new entry). */
SCENARIO(rst_reopen, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, RS, 1001, 0, 65535, 0, NOOPT, W_ACC, CL, 1, RN, 10 },
	{ O, S, 3000, 0, 65535, 0, NOOPT, W_RPT, SS, 0, RN, 120 },
	{ R, SA, 7000, 3001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 })

/*
 * Oracle: a SYN/ACK from the client in ESTABLISHED is invalid ("packet (index 1) in dir 0
 * invalid"); a new SYN is ignored, and the server's SYN/ACK answering it resynchronises
 * the entry (SYN_RECV, then ESTABLISHED on the client's ACK).
 */
SCENARIO(ignored_syn_resync, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, SA, 1001, 5001, 65535, 0, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_INVALID_STATE, NOTIME },
	{ O, S, 50000, 0, 65535, 0, NOOPT, W_IGN, ES, 1, RIG, NOTIME },
	{ R, SA, 60000, 50001, 65535, 0, NOOPT, W_ACC, SR, 1, RN, 60 },
	{ O, A, 50001, 60001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: nf_tcp_handle_invalid. An out-of-window FIN, then an out-of-window RST from the
 * other side: both INVALID, and the assured entry's 5-day timeout shrinks to 300 s
 * (the kernel's table shows 299).
 */
static int
check_shrunk(const struct sim *sim)
{
	CTG_ASSERT_EQ(sim->c.expires_ns, sim->now_ns + 300 * CTG_NS_PER_S);
	return 0;
}

SCENARIO(invalid_fin_rst_shrinks, 1, 0, 0, 5, check_shrunk,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, FA, 900000, 5001, 65535, 0, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_SEQ_OVER, NOTIME },
	{ R, RS, 9000000, 0, 65535, 0, NOOPT, W_INV, ES, 1, CTG_CT_R_TCP_SEQ_OVER, NOTIME })

/*
 * Oracle: data starting beyond the receiver's window but by less than a window is
 * tolerated: accepted but ignored ("201 bytes more than expected"), and remembered, so
 * the peer's ACK for it is not "ACK over upper bound".
 */
static int
check_overshoot(const struct sim *sim)
{
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_end, 6201);
	CTG_ASSERT(sim->c.l4.tcp.seen[R].flags & CTG_CT_TCP_F_DATA_UNACKNOWLEDGED, "unacked");
	return 0;
}

SCENARIO(overshoot, 1, 0, 0, 4, check_overshoot,
	{ O, S, 1000, 0, 1000, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 1000, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 1000, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 6101, 1001, 1000, 100, NOOPT, W_IGN, ES, 1, CTG_CT_R_TCP_OVERSHOOT, NOTIME },
	{ O, A, 1001, 6201, 1000, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ R, PA, 5001, 1001, 1000, 1100, NOOPT, W_ACC, ES, 1, RN, 432000 })

/*
 * Oracle: an ACK more than MAXACKWINDOW (66000) below the data seen is ignored
 * ("ignored ACK under lower bound 4294906296"), with or without data.
 */
SCENARIO(ack_under, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, A, 1001, 4294902297u, 65535, 0, NOOPT, W_IGN, ES, 1, CTG_CT_R_TCP_ACK_UNDER, NOTIME },
	{ O, PA, 1001, 4294902297u, 65535, 5, NOOPT, W_IGN, ES, 1, CTG_CT_R_TCP_ACK_UNDER,
			NOTIME },
	{ R, PA, 5001, 1001, 65535, 10, NOOPT, W_ACC, ES, 1, RN, 300 })

/* Oracle: a zero window takes the retransmission timeout (the kernel shows 299). */
SCENARIO(zero_window, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 0, 0, NOOPT, W_ACC, ES, 1, RN, 300 })

/*
 * Oracle: a SYN from the server on a TIME_WAIT entry reopens with the roles swapped:
 * the old entry dies and the server is the new entry's original side.
 */
static int
check_swapped(const struct sim *sim)
{
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[O].td_end, 9001);
	CTG_ASSERT_EQ(sim->c.l4.tcp.seen[R].td_end, 0);
	CTG_ASSERT_EQ(sim->nb_repeat, 1);
	return 0;
}

SCENARIO(time_wait_reply_reopen, 1, 0, 0, 7, check_swapped,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, FA, 1001, 5001, 65535, 0, NOOPT, W_ACC, FW, 1, RN, 120 },
	{ R, FA, 5001, 1002, 65535, 0, NOOPT, W_ACC, LA, 1, RN, 30 },
	{ O, A, 1002, 5002, 65535, 0, NOOPT, W_ACC, TW, 1, RN, 120 },
	{ R, S, 9000, 0, 65535, 0, NOOPT, W_RPT, SS, 0, RN, 120 })

/* Oracle: a RST from the client before any reply deletes the entry too. */
SCENARIO(rst_before_reply, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ O, RS, 1001, 0, 65535, 0, NOOPT, W_DES, GONE, 0, RN, 10 },
	{ O, S, 3000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, RA, 0, 3001, 65535, 0, NOOPT, W_DES, GONE, 0, RN, 10 })

/*
 * Oracle: the server's RST answering a SYN we ignored closes without a window check; a
 * new SYN from the client then is ignored, not a reopen (no FIN was seen and the RST came
 * from the other side): "packet (index 0) in dir 0 ignored, state CLOSE".
 */
SCENARIO(rst_answers_ignored_syn, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, SA, 5000, 1001, 65535, 0, NOOPT, W_ACC, SR, 0, RN, 60 },
	{ O, A, 1001, 5001, 65535, 0, NOOPT, W_ACC, ES, 1, RN, 432000 },
	{ O, S, 50000, 0, 65535, 0, NOOPT, W_IGN, ES, 1, RIG, NOTIME },
	{ R, RA, 5001, 50001, 65535, 0, NOOPT, W_ACC, CL, 1, RN, 10 },
	{ O, S, 50000, 0, 65535, 0, NOOPT, W_IGN, CL, 1, RIG, NOTIME })

/*
 * Oracle: a half-open connection. The server answers the SYN with a (challenge) ACK,
 * which is ignored ("packet (index 3) in dir 1 ignored, state SYN_SENT") but is a reply;
 * the client's RST with that ACK's number closes; the client's next SYN reopens.
 */
SCENARIO(half_open_challenge, 1, 0, 0, 0, NULL,
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_ACC, SS, 0, RN, 120 },
	{ R, A, 777, 555, 65535, 0, NOOPT, W_IGN, SS, 0, RIG, NOTIME },
	{ O, RS, 555, 0, 65535, 0, NOOPT, W_ACC, CL, 0, RN, 10 },
	{ O, S, 1000, 0, 65535, 0, NOOPT, W_RPT, SS, 0, RN, 120 })

/* ------------------------------------------------------------------------------------ */
/* tcp_error(). */

/* The kernel's valid combinations, with PSH, ECE and CWR ignored. */
static bool
flags_valid(uint8_t f)
{
	switch (f & (F_FIN | F_SYN | F_RST | F_ACK | F_URG)) {
	case F_SYN:
	case F_SYN | F_URG:
	case F_SYN | F_ACK:
	case F_RST:
	case F_RST | F_ACK:
	case F_FIN | F_ACK:
	case F_FIN | F_ACK | F_URG:
	case F_ACK:
	case F_ACK | F_URG:
		return true;
	default:
		return false;
	}
}

static int
test_error_flags(void)
{
	struct ctg_ct_params p;
	unsigned int nb_valid = 0;

	params_default(&p);
	for (unsigned int f = 0; f < 256; f++) {
		struct tpkt tp;
		uint8_t reason = CTG_CT_R_NONE;
		bool ok;

		tpkt_build(&tp, O, (uint8_t)f, 1, 0, 100, 0, NOOPT);
		ok = ct_l4_tcp_ops.error(&tp.pkt, &p, &reason);
		CTG_ASSERT(ok == flags_valid((uint8_t)f), "flags 0x%02x: %d", f, ok);
		if (!ok)
			CTG_ASSERT_EQ(reason, CTG_CT_R_TCP_FLAGS);
		nb_valid += ok;
	}
	/* 9 combinations times the 8 settings of PSH, ECE and CWR. */
	CTG_ASSERT_EQ(nb_valid, 9 * 8);
	return 0;
}

static int
test_error_truncated(void)
{
	struct ctg_ct_params p;
	struct tpkt tp;
	uint8_t reason;

	params_default(&p);
	p.checksum = 0;
	/* A whole header passes. */
	tpkt_build(&tp, O, S, 1, 0, 100, 0, WS7);
	CTG_ASSERT(ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "whole header");
	/* Options beyond the end. */
	tp.pkt.len -= 1;
	reason = 0;
	CTG_ASSERT(!ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "header beyond the packet");
	CTG_ASSERT_EQ(reason, CTG_CT_R_L4_TRUNCATED);
	/* Less than 20 bytes. */
	tpkt_build(&tp, O, S, 1, 0, 100, 0, NOOPT);
	tp.pkt.len = 20 + 19;
	CTG_ASSERT(!ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "19 bytes");
	CTG_ASSERT_EQ(reason, CTG_CT_R_L4_TRUNCATED);
	/* Data offset below 5. */
	for (unsigned int doff = 0; doff < 5; doff++) {
		tpkt_build(&tp, O, S, 1, 0, 100, 40, NOOPT);
		tp.buf[20 + 12] = (uint8_t)(doff << 4);
		reason = 0;
		CTG_ASSERT(!ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "doff %u", doff);
		CTG_ASSERT_EQ(reason, CTG_CT_R_L4_TRUNCATED);
	}
	return 0;
}

/* scn_tcp_bad_checksum / _nocheck: a bad checksum is INVALID only with checksum=1. */
static int
test_error_checksum(void)
{
	struct ctg_ct_params p;
	struct tpkt tp;
	uint8_t reason = 0;

	params_default(&p);
	tpkt_build(&tp, O, S, 1000, 0, 65535, 0, NOOPT);
	CTG_ASSERT(ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "good checksum");
	tp.buf[20 + 16] ^= 0x5a;
	CTG_ASSERT(!ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "bad checksum");
	CTG_ASSERT_EQ(reason, CTG_CT_R_L4_CSUM);
	p.checksum = 0;
	CTG_ASSERT(ct_l4_tcp_ops.error(&tp.pkt, &p, &reason), "checksum not checked");
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The state table. */

static int
test_fsm_cells(void)
{
	for (unsigned int d = 0; d < CTG_CT_DIR_COUNT; d++)
		for (unsigned int e = 0; e < EV_COUNT; e++)
			for (unsigned int s = 0; s < CTG_CT_TCP_S_COUNT; s++) {
				uint8_t n = ct_tcp_fsm_next(d, e, s);

				CTG_ASSERT(n < CTG_CT_TCP_S_COUNT || n == S_INVALID ||
								n == S_IGNORE,
						"cell [%u][%u][%u] = %u", d, e, s, n);
				/* Nothing ever leads back to NONE. */
				CTG_ASSERT(n != CTG_CT_TCP_NONE, "[%u][%u][%u] -> NONE", d, e,
						s);
				/* A packet without flags is always invalid. */
				if (e == EV_NONE)
					CTG_ASSERT_EQ(n, S_INVALID);
			}
	/* Out-of-range lookups are invalid, not out-of-bounds reads. */
	CTG_ASSERT_EQ(ct_tcp_fsm_next(2, 0, 0), S_INVALID);
	CTG_ASSERT_EQ(ct_tcp_fsm_next(0, EV_COUNT, 0), S_INVALID);
	CTG_ASSERT_EQ(ct_tcp_fsm_next(0, 0, CTG_CT_TCP_S_COUNT), S_INVALID);
	return 0;
}

static int
test_fsm_rst_closes(void)
{
	for (unsigned int d = 0; d < CTG_CT_DIR_COUNT; d++) {
		/* A RST cannot create anything. */
		CTG_ASSERT_EQ(ct_tcp_fsm_next(d, EV_RST, CTG_CT_TCP_NONE), S_INVALID);
		for (unsigned int s = CTG_CT_TCP_SYN_SENT; s < CTG_CT_TCP_S_COUNT; s++)
			CTG_ASSERT(ct_tcp_fsm_next(d, EV_RST, s) == CTG_CT_TCP_CLOSE,
					"RST in %s (dir %u)", state_str(s), d);
	}
	return 0;
}

/*
 * ESTABLISHED is entered only by an ACK completing the handshake (SYN_RECV, original
 * direction), by a loose pickup (NONE, original direction) or by staying there; without
 * those two edges it is unreachable from NONE.
 */
static bool
is_entry_edge(unsigned int d, unsigned int e, unsigned int s)
{
	return d == O && e == EV_ACK && (s == CTG_CT_TCP_NONE || s == CTG_CT_TCP_SYN_RECV);
}

static int
test_fsm_established_entry(void)
{
	bool reach[CTG_CT_TCP_S_COUNT] = { [CTG_CT_TCP_NONE] = true };
	bool changed = true;
	unsigned int nb_entry = 0;

	for (unsigned int d = 0; d < CTG_CT_DIR_COUNT; d++)
		for (unsigned int e = 0; e < EV_COUNT; e++)
			for (unsigned int s = 0; s < CTG_CT_TCP_S_COUNT; s++) {
				if (ct_tcp_fsm_next(d, e, s) != CTG_CT_TCP_ESTABLISHED ||
						s == CTG_CT_TCP_ESTABLISHED)
					continue;
				CTG_ASSERT(is_entry_edge(d, e, s), "[%u][%u][%s] -> ESTABLISHED",
						d, e, state_str(s));
				nb_entry++;
			}
	CTG_ASSERT_EQ(nb_entry, 2);

	/* Closure over every other edge, starting from NONE. */
	while (changed) {
		changed = false;
		for (unsigned int d = 0; d < CTG_CT_DIR_COUNT; d++)
			for (unsigned int e = 0; e < EV_COUNT; e++)
				for (unsigned int s = 0; s < CTG_CT_TCP_S_COUNT; s++) {
					uint8_t n = ct_tcp_fsm_next(d, e, s);

					if (!reach[s] || n >= CTG_CT_TCP_S_COUNT ||
							is_entry_edge(d, e, s) || reach[n])
						continue;
					reach[n] = true;
					changed = true;
				}
	}
	CTG_ASSERT(!reach[CTG_CT_TCP_ESTABLISHED], "ESTABLISHED reachable without handshake");
	/* ... but the handshake states are reachable (the walk is not vacuous). */
	CTG_ASSERT(reach[CTG_CT_TCP_SYN_SENT] && reach[CTG_CT_TCP_SYN_RECV] &&
					reach[CTG_CT_TCP_SYN_SENT2],
			"handshake states not reachable");
	return 0;
}

/*
 * Every sIV cell behaves as INVALID through packet(): put a connection in each state
 * (liberal, so that window checks cannot interfere) and send the packet class.
 */
static int
test_fsm_invalid_cells(void)
{
	static const uint8_t ev_flags[EV_COUNT] = { S, SA, FA, A, RS, 0 };
	struct ctg_ct_params p;
	unsigned int nb = 0;

	params_default(&p);
	p.checksum = 0;
	for (unsigned int d = 0; d < CTG_CT_DIR_COUNT; d++)
		for (unsigned int e = 0; e < EV_NONE; e++)
			for (unsigned int s = CTG_CT_TCP_SYN_SENT; s < CTG_CT_TCP_S_COUNT; s++) {
				struct ctg_ct_conn c;
				struct tpkt tp;
				uint64_t timeout = 0;
				uint8_t reason = 0;
				enum ct_l4_verdict v;

				if (ct_tcp_fsm_next(d, e, s) != S_INVALID)
					continue;
				memset(&c, 0, sizeof(c));
				c.l4.tcp.state = (uint8_t)s;
				c.l4.tcp.seen[0].flags = CTG_CT_TCP_F_BE_LIBERAL;
				c.l4.tcp.seen[1].flags = CTG_CT_TCP_F_BE_LIBERAL;
				c.status = CTG_CT_S_SEEN_REPLY;
				tpkt_build(&tp, d, ev_flags[e], 1, 1, 100, 0, NOOPT);
				v = ct_l4_tcp_ops.packet(&c, (enum ctg_ct_dir)d, &tp.pkt, false, &p,
						0, &timeout, &reason);
				CTG_ASSERT(v == CT_L4_INVALID, "[%u][%u][%s]: %s", d, e,
						state_str(s), verdict_str(v));
				CTG_ASSERT_EQ(reason, CTG_CT_R_TCP_INVALID_STATE);
				CTG_ASSERT_EQ(c.l4.tcp.state, s);
				nb++;
			}
	/* 11 in the original direction, 8 in the reply direction (the kernel's table). */
	CTG_ASSERT_EQ(nb, 19);
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Unit checks of pieces the sequences do not pin down. */

/* The options parser: scale clamped to 14, SACK-permitted, a malformed option stops. */
static int
test_options(void)
{
	struct sim sim;
	struct tpkt tp;
	uint64_t timeout;
	uint8_t reason;
	bool rep;

	sim_init(&sim);
	/* wscale 15 -> 14, SACK-permitted after it. */
	tpkt_build(&tp, O, S, 1000, 0, 100, 0, OPT("\x03\x03\x0f\x04\x02\x00\x00\x00"));
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_scale, 14);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].flags,
			CTG_CT_TCP_F_WINDOW_SCALE | CTG_CT_TCP_F_SACK_PERM);
	/* A length byte of 1 ("silly option") stops parsing before the wscale. */
	sim_init(&sim);
	tpkt_build(&tp, O, S, 1000, 0, 100, 0, OPT("\x08\x01\x03\x03\x07\x00\x00\x00"));
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].flags, 0);
	/* A partial option (length beyond the header) is not parsed. */
	sim_init(&sim);
	tpkt_build(&tp, O, S, 1000, 0, 100, 0, OPT("\x01\x01\x01\x03\x03\x07\x00\x00"));
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_scale, 7);
	sim_init(&sim);
	tpkt_build(&tp, O, S, 1000, 0, 100, 0, OPT("\x01\x01\x01\x01\x01\x01\x03\x03"));
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].flags, 0);
	return 0;
}

/* A pickup is liberal on both sides and remembers SACK; a SYN is not liberal. */
static int
test_new_flags(void)
{
	struct sim sim;
	struct tpkt tp;
	uint64_t timeout;
	uint8_t reason;
	bool rep;

	sim_init(&sim);
	tpkt_build(&tp, O, A, 1000, 5000, 0, 0, NOOPT);
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	for (unsigned int d = 0; d < 2; d++)
		CTG_ASSERT(sim.c.l4.tcp.seen[d].flags & CTG_CT_TCP_F_BE_LIBERAL, "dir %u", d);
	/* A zero window counts as 1. */
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_maxwin, 1);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_maxend, 1001);

	sim_init(&sim);
	tpkt_build(&tp, O, S, 1000, 0, 0, 0, NOOPT);
	CTG_ASSERT_EQ(sim_track(&sim, &tp.pkt, O, &reason, &timeout, &rep), CT_L4_ACCEPT);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].flags, 0);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_end, 1001);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_maxend, 1001);
	CTG_ASSERT_EQ(sim.c.l4.tcp.seen[O].td_maxwin, 1);
	return 0;
}

/* nf_conntrack_tcp_set_closing(): CLOSE with the CLOSE timeout, unless closed or fixed. */
static int
test_set_closing(void)
{
	struct ctg_ct_params p;
	struct ctg_ct_conn c;

	params_default(&p);
	memset(&c, 0, sizeof(c));
	c.l4.tcp.state = CTG_CT_TCP_ESTABLISHED;
	c.expires_ns = 500 * CTG_NS_PER_S;
	ct_tcp_set_closing(&c, &p, 100 * CTG_NS_PER_S);
	CTG_ASSERT_EQ(c.l4.tcp.state, CTG_CT_TCP_CLOSE);
	CTG_ASSERT_EQ(c.expires_ns, 110 * CTG_NS_PER_S);
	/* Already closed: the timer is left alone. */
	ct_tcp_set_closing(&c, &p, 105 * CTG_NS_PER_S);
	CTG_ASSERT_EQ(c.expires_ns, 110 * CTG_NS_PER_S);
	/* Fixed timeout: the state changes, the timer does not. */
	c.l4.tcp.state = CTG_CT_TCP_SYN_RECV;
	c.status = CTG_CT_S_FIXED_TIMEOUT;
	ct_tcp_set_closing(&c, &p, 200 * CTG_NS_PER_S);
	CTG_ASSERT_EQ(c.l4.tcp.state, CTG_CT_TCP_CLOSE);
	CTG_ASSERT_EQ(c.expires_ns, 110 * CTG_NS_PER_S);
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "fsm: every cell is a state or a sentinel", test_fsm_cells },
	{ "fsm: RST closes every state", test_fsm_rst_closes },
	{ "fsm: ESTABLISHED only via handshake or pickup", test_fsm_established_entry },
	{ "fsm: sIV cells are INVALID through packet()", test_fsm_invalid_cells },
	{ "error: flag combinations", test_error_flags },
	{ "error: truncated headers", test_error_truncated },
	{ "error: checksum", test_error_checksum },
	{ "options parser", test_options },
	{ "new: SYN and pickup seeding", test_new_flags },
	{ "set_closing (REJECT tcp-reset)", test_set_closing },
	{ "seq: handshake and close", test_handshake_close },
	{ "seq: SYN answered by RST destroys", test_syn_rst },
	{ "seq: loose pickup, tcp_loose=1", test_loose1 },
	{ "seq: no pickup with tcp_loose=0", test_loose0 },
	{ "seq: invalid new", test_invalid_new },
	{ "seq: out of window", test_out_of_window },
	{ "seq: out of window, be_liberal", test_out_of_window_liberal },
	{ "seq: RST out of window / in window", test_rst_out_of_window },
	{ "seq: SYN retransmit and TIME_WAIT reopen", test_syn_retrans_reopen },
	{ "seq: simultaneous open", test_simultaneous_open },
	{ "seq: simultaneous open, server SYN/ACK", test_simultaneous_open2 },
	{ "seq: window scaling on both SYNs", test_wscale_both },
	{ "seq: window scaling on one SYN only", test_wscale_orig_only },
	{ "seq: SACK-based ack check", test_sack_permitted },
	{ "seq: SACK ignored without SACK-permitted", test_sack_not_permitted },
	{ "seq: retransmissions -> max_retrans timeout", test_retransmissions },
	{ "seq: challenge ACK in LAST_ACK", test_challenge_ack },
	{ "seq: invalid RST", test_invalid_rst },
	{ "seq: invalid RST ignored by sysctl", test_invalid_rst_ignored },
	{ "seq: RST then SYN from the same side reopens", test_rst_reopen },
	{ "seq: ignored SYN, SYN/ACK resynchronises", test_ignored_syn_resync },
	{ "seq: invalid FIN+RST shrink the timeout", test_invalid_fin_rst_shrinks },
	{ "seq: overshoot tolerated and remembered", test_overshoot },
	{ "seq: zero window -> retrans timeout", test_zero_window },
	{ "seq: ACK under the lower bound is ignored", test_ack_under },
	{ "seq: server SYN in TIME_WAIT reopens swapped", test_time_wait_reply_reopen },
	{ "seq: RST before any reply destroys", test_rst_before_reply },
	{ "seq: RST answering an ignored SYN", test_rst_answers_ignored_syn },
	{ "seq: half-open, challenge ACK then RST", test_half_open_challenge },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
