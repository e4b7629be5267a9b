/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SCTP connection tracking with Linux nf_conntrack semantics.
 *
 * Overview
 *
 *	This file is ctgate's counterpart of the kernel's nf_conntrack_proto_sctp.c as of
 *	Linux 6.18 (the version with nine states, the HEARTBEAT_ACKED state folded into
 *	ESTABLISHED, and the HEARTBEAT vtag-failure handling that lets a re-used
 *	association's heartbeats through). It was written from the kernel's behaviour and
 *	checked packet by packet against the kernel through the oracle in ../shared/oracle.
 *
 *	The kernel does four things with an SCTP packet, and so do we, in the same order:
 *
 *	1. sctp_error(): the common header must be present (12 bytes) and, when
 *	   nf_conntrack_checksum is set, its CRC32c must be right. This runs before the
 *	   lookup here (the core's error() hook); the kernel runs it at the top of
 *	   nf_conntrack_sctp_packet(), after the lookup, which is the same to an observer
 *	   because an unconfirmed entry of an INVALID packet is thrown away.
 *	2. do_basic_checks(): a walk over the chunks that builds a bitmap of the chunk
 *	   types present. INIT, INIT ACK and SHUTDOWN COMPLETE must be the only chunk,
 *	   COOKIE ECHO and COOKIE ACK must be the first one, no chunk may have length 0 and
 *	   there must be at least one chunk. The walk stops where less than a chunk header
 *	   is left; a chunk that claims more bytes than the packet holds is not an error.
 *	3. For a new entry, sctp_new(): an out-of-the-blue ABORT, SHUTDOWN COMPLETE or
 *	   COOKIE ACK creates nothing, neither does a chunk the table does not know (DATA,
 *	   SACK ...: they "stay in NONE", which is refused) nor an INIT with a non-zero
 *	   verification tag. The first vtags are taken from the packet.
 *	4. The verification-tag checks of RFC 9260 section 8.5 and the state table, chunk
 *	   by chunk, with the INIT / INIT ACK vtag bookkeeping and collision checks.
 *
 *	The work is split the way the house style asks for state machines:
 *	(a) event classification: sctp_chunk_event() maps a chunk type to a row of the
 *	    table, in the kernel's row order; unknown chunk types map to SCTP_EV_OTHER,
 *	    an identity row (the kernel's "other chunks do not change the state");
 *	(b) the transition table sctp_fsm[dir][event][state] with the sIV sentinel;
 *	(c) side effects in ordinary code: vtags, init flags, ASSURED, the timeout.
 *
 *	How the kernel's return values map onto ct_l4_verdict:
 *
 *	NF_ACCEPT after nf_ct_refresh_acct()	CT_L4_ACCEPT, *timeout_s = timeouts[state]
 *	NF_ACCEPT with "ignore" set (an INIT	CT_L4_IGNORE, reason NONE: no refresh, no
 *	  retransmitted in a confirmed CLOSED	  accounting; state changes made by earlier
 *	  entry, a HEARTBEAT with an unknown	  chunks of the packet stay
 *	  vtag)
 *	-NF_ACCEPT				CT_L4_INVALID, reason CTG_CT_R_SCTP
 *
 *	The 6.18 tracker never kills an entry nor asks for a repeat: an ABORT or SHUTDOWN
 *	COMPLETE leaves the entry in CLOSED (10 s), and a new INIT on it keeps it CLOSED
 *	without renewing the timer until the INIT ACK moves it to COOKIE_WAIT. So
 *	CT_L4_REPEAT and CT_L4_DESTROY are never returned.
 *
 *	Like the kernel, an INVALID verdict half-way through the chunk walk does not undo
 *	what the earlier chunks of the packet did to the entry (state, vtags, init flags):
 *	the kernel updates the entry in place under its lock and simply returns -NF_ACCEPT.
 *
 * Life-cycle
 *
 *	The core creates a zeroed connection for a packet without an entry and calls
 *	packet() with is_new set: sctp_new() decides whether the packet may create one and
 *	seeds the vtags, then the normal processing runs on it, as the kernel runs
 *	nf_conntrack_sctp_packet() on an unconfirmed entry. The entry lives until the core
 *	expires it.
 *
 * Ownership & synchronization
 *
 *	All SCTP state lives in struct ctg_ct_conn::l4.sctp and is written only by the
 *	owner worker of the connection; no lock (the kernel's ct->lock has no counterpart).
 *	Vtags are kept in host byte order; the kernel keeps them in network order, which
 *	makes no difference to the comparisons and the zero tests it does. The tunables are
 *	read-only here. Nothing on this path allocates, logs or blocks.
 *
 * Lock/ordering rules
 *
 *	None: single writer. The core sets CTG_CT_S_SEEN_REPLY after packet() returns.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctg_common.h"
#include "ctg_ct.h"
#include "ctg_pkt.h"

#include "ct_private.h"

/* SCTP wire format (RFC 9260). */
#define SCTP_HDR_LEN	   12 /* common header: ports, verification tag, checksum */
#define SCTP_CHUNK_HDR_LEN 4  /* type, flags, length */
#define SCTP_INIT_HDR_LEN  16 /* INIT / INIT ACK: initiate tag, a_rwnd, streams, TSN */
#define SCTP_VTAG_OFF	   4
#define SCTP_CSUM_OFF	   8
#define SCTP_CHUNK_FLAG_T  0x01 /* ABORT / SHUTDOWN COMPLETE: the T bit */

/* Chunk types the tracker looks at (SCTP_CID_*). */
enum sctp_cid {
	SCTP_CID_DATA = 0,
	SCTP_CID_INIT = 1,
	SCTP_CID_INIT_ACK = 2,
	SCTP_CID_SACK = 3,
	SCTP_CID_HEARTBEAT = 4,
	SCTP_CID_HEARTBEAT_ACK = 5,
	SCTP_CID_ABORT = 6,
	SCTP_CID_SHUTDOWN = 7,
	SCTP_CID_SHUTDOWN_ACK = 8,
	SCTP_CID_ERROR = 9,
	SCTP_CID_COOKIE_ECHO = 10,
	SCTP_CID_COOKIE_ACK = 11,
	SCTP_CID_SHUTDOWN_COMPLETE = 14,
};

/* Tracker flags in ctg_ct_sctp::flags (the kernel's SCTP_FLAG_*). */
#define SCTP_F_HEARTBEAT_VTAG_FAILED 0x01

/* Chunk classes: the rows of the table, in the kernel's order, plus the identity row. */
enum sctp_event {
	SCTP_EV_INIT,
	SCTP_EV_INIT_ACK,
	SCTP_EV_ABORT,
	SCTP_EV_SHUTDOWN,
	SCTP_EV_SHUTDOWN_ACK,
	SCTP_EV_ERROR,
	SCTP_EV_COOKIE_ECHO,
	SCTP_EV_COOKIE_ACK,
	SCTP_EV_SHUTDOWN_COMPLETE,
	SCTP_EV_HEARTBEAT,
	SCTP_EV_HEARTBEAT_ACK,
	SCTP_EV_OTHER, /* DATA, SACK and everything else: no state change */
	SCTP_EV_COUNT
};

/* Outcome sentinel of the table, outside the state range. */
#define SCTP_S_INVALID CTG_CT_SCTP_S_COUNT

_Static_assert(SCTP_S_INVALID <= UINT8_MAX, "table cells are uint8_t");
_Static_assert(CTG_CT_DIR_ORIG == 0 && CTG_CT_DIR_REPLY == 1, "!dir is the other direction");

/* The table lookup, lib-internal for the unit test (tests/ct/test_ct_sctp.c). */
uint8_t ct_sctp_fsm_next(unsigned int dir, unsigned int event, unsigned int state);

/*
 * The state table.
 *
 *	next = sctp_fsm[dir][event][state]
 *
 * A cell is a state or sIV (the packet is INVALID; earlier chunks of the same packet
 * keep their effect). These are the states of the association as a box in the middle
 * sees it, not the states of an endpoint: COOKIE_WAIT means an INIT was seen (and maybe
 * its INIT ACK), COOKIE_ECHOED a COOKIE ECHO, ESTABLISHED a COOKIE ACK, SHUTDOWN_SENT /
 * SHUTDOWN_RECD a SHUTDOWN from the original / reply side, SHUTDOWN_ACK_SENT its answer,
 * CLOSED a SHUTDOWN COMPLETE or an ABORT, HEARTBEAT_SENT a HEARTBEAT that opened a new
 * entry (a secondary path of a multi-homed association). As in the kernel, the first
 * INIT is assumed to travel in the original direction. Every cell is written.
 */
/* clang-format off */
#define sNO CTG_CT_SCTP_NONE
#define sCL CTG_CT_SCTP_CLOSED
#define sCW CTG_CT_SCTP_COOKIE_WAIT
#define sCE CTG_CT_SCTP_COOKIE_ECHOED
#define sES CTG_CT_SCTP_ESTABLISHED
#define sSS CTG_CT_SCTP_SHUTDOWN_SENT
#define sSR CTG_CT_SCTP_SHUTDOWN_RECD
#define sSA CTG_CT_SCTP_SHUTDOWN_ACK_SENT
#define sHS CTG_CT_SCTP_HEARTBEAT_SENT
#define sIV SCTP_S_INVALID
static const uint8_t sctp_fsm[CTG_CT_DIR_COUNT][SCTP_EV_COUNT][CTG_CT_SCTP_S_COUNT] = {
[CTG_CT_DIR_ORIG] = {
/*				sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS */
[SCTP_EV_INIT]		    = { sCL, sCL, sCW, sCE, sES, sCL, sCL, sSA, sCW },
/*
 *	sNO -> sCL	a new association (CLOSED until the INIT ACK answers)
 *	sCL -> sCL	retransmitted INIT or a restart: the timer is not renewed (code)
 *	sSS, sSR -> sCL	an INIT during shutdown starts over
 *	sHS -> sCW	an INIT on a flow first seen through a HEARTBEAT
 */
[SCTP_EV_INIT_ACK]	    = { sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL },
/*
 *	an INIT ACK from the original side: only an INIT collision explains it
 */
[SCTP_EV_ABORT]		    = { sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
[SCTP_EV_SHUTDOWN]	    = { sCL, sCL, sCW, sCE, sSS, sSS, sSR, sSA, sCL },
[SCTP_EV_SHUTDOWN_ACK]	    = { sSA, sCL, sCW, sCE, sES, sSA, sSA, sSA, sSA },
/*
 *	sNO -> sSA	an out-of-the-blue SHUTDOWN ACK expects a SHUTDOWN COMPLETE back
 */
[SCTP_EV_ERROR]		    = { sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL },
[SCTP_EV_COOKIE_ECHO]	    = { sCL, sCL, sCE, sCE, sES, sSS, sSR, sSA, sCL },
[SCTP_EV_COOKIE_ACK]	    = { sCL, sCL, sCW, sES, sES, sSS, sSR, sSA, sCL },
/*
 *	sCE -> sES	cannot come from the original side in a normal open, but the
 *			kernel accepts it (INIT collision)
 */
[SCTP_EV_SHUTDOWN_COMPLETE] = { sCL, sCL, sCW, sCE, sES, sSS, sSR, sCL, sCL },
[SCTP_EV_HEARTBEAT]	    = { sHS, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS },
/*
 *	sNO -> sHS	a HEARTBEAT opens an entry for a secondary path
 */
[SCTP_EV_HEARTBEAT_ACK]	    = { sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS },
[SCTP_EV_OTHER]		    = { sNO, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS },
/*
 *	identity: DATA, SACK ... change nothing; sNO stays sNO, which sctp_new() refuses
 */
},
[CTG_CT_DIR_REPLY] = {
/*				sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS */
[SCTP_EV_INIT]		    = { sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sIV },
/*
 *	sNO -> sIV	never reached (a new entry is always "original")
 *	sHS -> sIV	no INIT from the answering side of a heartbeat-opened entry
 */
[SCTP_EV_INIT_ACK]	    = { sIV, sCW, sCW, sCE, sES, sSS, sSR, sSA, sIV },
/*
 *	sCL -> sCW	the INIT is answered
 */
[SCTP_EV_ABORT]		    = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sIV },
[SCTP_EV_SHUTDOWN]	    = { sIV, sCL, sCW, sCE, sSR, sSS, sSR, sSA, sIV },
[SCTP_EV_SHUTDOWN_ACK]	    = { sIV, sCL, sCW, sCE, sES, sSA, sSA, sSA, sIV },
[SCTP_EV_ERROR]		    = { sIV, sCL, sCW, sCL, sES, sSS, sSR, sSA, sIV },
/*
 *	sCE -> sCL	an ERROR (stale cookie) answering the COOKIE ECHO
 */
[SCTP_EV_COOKIE_ECHO]	    = { sIV, sCL, sCE, sCE, sES, sSS, sSR, sSA, sIV },
[SCTP_EV_COOKIE_ACK]	    = { sIV, sCL, sCW, sES, sES, sSS, sSR, sSA, sIV },
/*
 *	sCE -> sES	the association is up (ASSURED)
 */
[SCTP_EV_SHUTDOWN_COMPLETE] = { sIV, sCL, sCW, sCE, sES, sSS, sSR, sCL, sIV },
[SCTP_EV_HEARTBEAT]	    = { sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS },
[SCTP_EV_HEARTBEAT_ACK]	    = { sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sES },
/*
 *	sHS -> sES	the secondary path answers: established (ASSURED)
 */
[SCTP_EV_OTHER]		    = { sNO, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS },
},
};
#undef sNO
#undef sCL
#undef sCW
#undef sCE
#undef sES
#undef sSS
#undef sSR
#undef sSA
#undef sHS
#undef sIV
/* clang-format on */

_Static_assert(sizeof(sctp_fsm) == CTG_CT_DIR_COUNT * SCTP_EV_COUNT * CTG_CT_SCTP_S_COUNT,
		"the state table is dense");

uint8_t
ct_sctp_fsm_next(unsigned int dir, unsigned int event, unsigned int state)
{
	if (dir >= CTG_CT_DIR_COUNT || event >= SCTP_EV_COUNT || state >= CTG_CT_SCTP_S_COUNT)
		return SCTP_S_INVALID;
	return sctp_fsm[dir][event][state];
}

/* (a) Event classification: chunk type -> table row. */
static enum sctp_event
sctp_chunk_event(uint8_t type)
{
	switch (type) {
	case SCTP_CID_INIT:
		return SCTP_EV_INIT;
	case SCTP_CID_INIT_ACK:
		return SCTP_EV_INIT_ACK;
	case SCTP_CID_ABORT:
		return SCTP_EV_ABORT;
	case SCTP_CID_SHUTDOWN:
		return SCTP_EV_SHUTDOWN;
	case SCTP_CID_SHUTDOWN_ACK:
		return SCTP_EV_SHUTDOWN_ACK;
	case SCTP_CID_ERROR:
		return SCTP_EV_ERROR;
	case SCTP_CID_COOKIE_ECHO:
		return SCTP_EV_COOKIE_ECHO;
	case SCTP_CID_COOKIE_ACK:
		return SCTP_EV_COOKIE_ACK;
	case SCTP_CID_SHUTDOWN_COMPLETE:
		return SCTP_EV_SHUTDOWN_COMPLETE;
	case SCTP_CID_HEARTBEAT:
		return SCTP_EV_HEARTBEAT;
	case SCTP_CID_HEARTBEAT_ACK:
		return SCTP_EV_HEARTBEAT_ACK;
	default:
		return SCTP_EV_OTHER;
	}
}

/*
 * CRC32c (Castagnoli, reflected polynomial 0x82f63b78), the SCTP checksum (RFC 9260
 * appendix B). Table: crc32c_table[i] is the CRC register after shifting the byte i
 * through it; the unit test recomputes it bit by bit.
 */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint32_t
crc32c_update(uint32_t crc, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * sctp_compute_cksum(): the CRC32c of the SCTP packet with its checksum field taken as
 * zero. The field carries the final value in little-endian byte order.
 */
static bool
sctp_csum_ok(const uint8_t *sh, uint32_t len)
{
	static const uint8_t zero[4];
	uint32_t crc = ~0u, want;

	crc = crc32c_update(crc, sh, SCTP_CSUM_OFF);
	crc = crc32c_update(crc, zero, sizeof(zero));
	crc = crc32c_update(crc, sh + SCTP_HDR_LEN, len - SCTP_HDR_LEN);
	crc = ~crc;
	want = (uint32_t)sh[SCTP_CSUM_OFF] | (uint32_t)sh[SCTP_CSUM_OFF + 1] << 8 |
	       (uint32_t)sh[SCTP_CSUM_OFF + 2] << 16 | (uint32_t)sh[SCTP_CSUM_OFF + 3] << 24;
	return crc == want;
}

/* sctp_error(): a short header or a bad CRC32c (when checked) is INVALID. */
static bool
sctp_error(const struct ctg_pkt *pkt, const struct ctg_ct_params *p, uint8_t *reason)
{
	uint32_t len = ctg_pkt_l4_len(pkt);

	if (len < SCTP_HDR_LEN) {
		*reason = CTG_CT_R_L4_TRUNCATED;
		return false;
	}
	if (p->checksum && !sctp_csum_ok(ctg_pkt_l4(pkt), len)) {
		*reason = CTG_CT_R_L4_CSUM;
		return false;
	}
	return true;
}

/*
 * The chunk walk (the kernel's for_each_sctp_chunk): chunks start after the common
 * header, each at the previous one's offset plus its length rounded up to 4; the walk
 * ends where less than a chunk header is left. The caller guarantees non-zero lengths
 * (sctp_basic_checks() ran) except in sctp_basic_checks() itself, which stops there.
 */
static inline bool
sctp_chunk_present(uint32_t len, uint32_t off)
{
	return off < len && len - off >= SCTP_CHUNK_HDR_LEN;
}

static inline uint32_t
sctp_chunk_next(const uint8_t *sh, uint32_t off)
{
	return off + (((uint32_t)ctg_get_be16(sh + off + 2) + 3) & ~3u);
}

/* A bitmap of the chunk types present (the kernel's map). */
struct sctp_map {
	uint64_t w[4];
};

static inline void
sctp_map_set(struct sctp_map *m, uint8_t type)
{
	m->w[type >> 6] |= UINT64_C(1) << (type & 63);
}

static inline bool
sctp_map_has(const struct sctp_map *m, uint8_t type)
{
	return (m->w[type >> 6] >> (type & 63)) & 1;
}

/*
 * do_basic_checks(): COOKIE ECHO / COOKIE ACK only as the first chunk, INIT / INIT ACK /
 * SHUTDOWN COMPLETE only alone (once one was seen, no further chunk may follow), no
 * zero-length chunk, at least one chunk. Fills @p map. @return true if the packet passes.
 */
static bool
sctp_basic_checks(const uint8_t *sh, uint32_t len, struct sctp_map *map)
{
	uint32_t off, count;
	bool alone = false;

	for (off = SCTP_HDR_LEN, count = 0; sctp_chunk_present(len, off);
			off = sctp_chunk_next(sh, off), count++) {
		uint8_t type = sh[off];

		if (type == SCTP_CID_INIT || type == SCTP_CID_INIT_ACK ||
				type == SCTP_CID_SHUTDOWN_COMPLETE)
			alone = true;
		if (((type == SCTP_CID_COOKIE_ACK || type == SCTP_CID_COOKIE_ECHO || alone) &&
				    count != 0) ||
				ctg_get_be16(sh + off + 2) == 0)
			return false;
		sctp_map_set(map, type);
	}
	return count != 0;
}

/* The initiate tag of the INIT / INIT ACK chunk at @p off, if its header is present. */
static bool
sctp_init_tag(const uint8_t *sh, uint32_t len, uint32_t off, uint32_t *tag)
{
	uint32_t ih = off + SCTP_CHUNK_HDR_LEN;

	if (ih > len || len - ih < SCTP_INIT_HDR_LEN)
		return false;
	*tag = ctg_get_be32(sh + ih);
	return true;
}

/*
 * sctp_new(): may this packet create an entry? Every chunk must move a NONE entry
 * somewhere (so no DATA, SACK or unknown chunk), an INIT needs a zero vtag (RFC 9260
 * 8.5.1 A) and a complete INIT header. Seeds the vtags: an INIT announces the tag the
 * reply direction will carry, a HEARTBEAT shows the original direction's own tag, and an
 * out-of-the-blue SHUTDOWN ACK expects its own tag back in the SHUTDOWN COMPLETE
 * (8.4 (5)). Other chunks (ERROR, COOKIE ECHO, SHUTDOWN, INIT ACK, HEARTBEAT ACK) seed
 * nothing: 6.18 dropped the older kernels' "every other chunk seeds the reply tag", so
 * an ERROR + HEARTBEAT bundle leaves the reply tag to be learnt from the first
 * HEARTBEAT (ACK) that comes back (oracle-checked, sctp_multi).
 */
static bool
sctp_new(struct ctg_ct_sctp *s, const uint8_t *sh, uint32_t len, uint32_t vtag)
{
	uint32_t off;

	memset(s, 0, sizeof(*s));
	for (off = SCTP_HDR_LEN; sctp_chunk_present(len, off); off = sctp_chunk_next(sh, off)) {
		uint8_t type = sh[off];
		uint8_t next = sctp_fsm[CTG_CT_DIR_ORIG][sctp_chunk_event(type)][CTG_CT_SCTP_NONE];

		if (next == CTG_CT_SCTP_NONE || next == SCTP_S_INVALID)
			return false;
		if (type == SCTP_CID_INIT) {
			uint32_t tag;

			if (vtag != 0 || !sctp_init_tag(sh, len, off, &tag))
				return false;
			s->vtag[CTG_CT_DIR_REPLY] = tag;
		} else if (type == SCTP_CID_HEARTBEAT) {
			s->vtag[CTG_CT_DIR_ORIG] = vtag;
		} else if (type == SCTP_CID_SHUTDOWN_ACK) {
			s->vtag[CTG_CT_DIR_REPLY] = vtag;
		}
		s->state = CTG_CT_SCTP_NONE;
	}
	return true;
}

/* Chunk types that carry their own vtag rules (8.5.1): the blanket check skips them. */
#define SCTP_VTAG_SPECIAL                                                               \
	(UINT64_C(1) << SCTP_CID_INIT | UINT64_C(1) << SCTP_CID_SHUTDOWN_COMPLETE |     \
			UINT64_C(1) << SCTP_CID_COOKIE_ECHO | UINT64_C(1) << SCTP_CID_ABORT | \
			UINT64_C(1) << SCTP_CID_SHUTDOWN_ACK |                          \
			UINT64_C(1) << SCTP_CID_HEARTBEAT |                             \
			UINT64_C(1) << SCTP_CID_HEARTBEAT_ACK)

/* ABORT and SHUTDOWN COMPLETE (8.5.1 B, C): own vtag, or the peer's with the T bit. */
static inline bool
sctp_vtag_t_ok(const struct ctg_ct_sctp *s, unsigned int dir, uint8_t chunk_flags,
		uint32_t vtag)
{
	if (chunk_flags & SCTP_CHUNK_FLAG_T)
		return vtag == s->vtag[!dir];
	return vtag == s->vtag[dir];
}

/*
 * The per-chunk vtag rules for HEARTBEAT and HEARTBEAT ACK. A HEARTBEAT with a tag other
 * than the one we know may belong to a new association that re-uses the ports: it is let
 * through without touching the state (and without renewing the timer), and remembered;
 * a HEARTBEAT ACK with a new tag from the other side then confirms the new association
 * and its tag replaces ours (the other direction's tag is learnt again).
 * @return 1 to go on with the state table, 0 to skip this chunk, -1 for INVALID.
 */
static int
sctp_heartbeat_vtag(struct ctg_ct_sctp *s, unsigned int dir, uint8_t type, uint32_t vtag,
		const struct sctp_map *map, bool *ignore)
{
	if (s->vtag[dir] == 0) {
		s->vtag[dir] = vtag;
		return 1;
	}
	if (vtag == s->vtag[dir]) {
		s->flags &= (uint8_t)~SCTP_F_HEARTBEAT_VTAG_FAILED;
		return 1;
	}
	if (sctp_map_has(map, SCTP_CID_DATA) || *ignore)
		return -1;
	if (type == SCTP_CID_HEARTBEAT) {
		s->flags |= SCTP_F_HEARTBEAT_VTAG_FAILED;
		s->last_dir = (uint8_t)dir;
		*ignore = true;
		return 0;
	}
	if (!(s->flags & SCTP_F_HEARTBEAT_VTAG_FAILED) || s->last_dir == dir)
		return -1;
	s->flags &= (uint8_t)~SCTP_F_HEARTBEAT_VTAG_FAILED;
	s->vtag[dir] = vtag;
	s->vtag[!dir] = 0;
	return 1;
}

/* nf_conntrack_sctp_packet(). */
static enum ct_l4_verdict
sctp_packet(struct ctg_ct_conn *c, enum ctg_ct_dir dir, const struct ctg_pkt *pkt,
		bool is_new, const struct ctg_ct_params *p, uint64_t now_ns, uint64_t *timeout_s,
		uint8_t *reason)
{
	const uint8_t *sh = ctg_pkt_l4(pkt);
	uint32_t len = ctg_pkt_l4_len(pkt);
	struct ctg_ct_sctp *s = &c->l4.sctp;
	struct sctp_map map = { { 0 } };
	uint8_t new_state = CTG_CT_SCTP_NONE;
	bool ignore = false;
	uint32_t vtag, off;

	(void)now_ns;
	*reason = CTG_CT_R_SCTP;
	if (len < SCTP_HDR_LEN || !sctp_basic_checks(sh, len, &map))
		return CT_L4_INVALID;
	vtag = ctg_get_be32(sh + SCTP_VTAG_OFF);

	if (is_new) {
		/* Out-of-the-blue packets with these chunks are discarded (8.4). */
		if (sctp_map_has(&map, SCTP_CID_ABORT) ||
				sctp_map_has(&map, SCTP_CID_SHUTDOWN_COMPLETE) ||
				sctp_map_has(&map, SCTP_CID_COOKIE_ACK))
			return CT_L4_INVALID;
		if (!sctp_new(s, sh, len, vtag))
			return CT_L4_INVALID;
	}

	/* The verification tag (8.5), unless a chunk with its own rules is present. */
	if (!(map.w[0] & SCTP_VTAG_SPECIAL) && vtag != s->vtag[dir])
		return CT_L4_INVALID;

	for (off = SCTP_HDR_LEN; sctp_chunk_present(len, off); off = sctp_chunk_next(sh, off)) {
		uint8_t type = sh[off], chunk_flags = sh[off + 1];
		uint8_t old_state;
		uint32_t tag;

		switch (type) {
		case SCTP_CID_INIT:
			if (vtag != 0) /* 8.5.1 A */
				return CT_L4_INVALID;
			break;
		case SCTP_CID_ABORT:
		case SCTP_CID_SHUTDOWN_COMPLETE:
			if (!sctp_vtag_t_ok(s, dir, chunk_flags, vtag))
				return CT_L4_INVALID;
			break;
		case SCTP_CID_COOKIE_ECHO:
			if (vtag != s->vtag[dir]) /* 8.5.1 D */
				return CT_L4_INVALID;
			break;
		case SCTP_CID_COOKIE_ACK:
			s->init[CTG_CT_DIR_ORIG] = 0;
			s->init[CTG_CT_DIR_REPLY] = 0;
			break;
		case SCTP_CID_HEARTBEAT:
		case SCTP_CID_HEARTBEAT_ACK: {
			int r = sctp_heartbeat_vtag(s, dir, type, vtag, &map, &ignore);

			if (r < 0)
				return CT_L4_INVALID;
			if (r == 0)
				continue;
			break;
		}
		default:
			break;
		}

		old_state = s->state;
		new_state = sctp_fsm[dir][sctp_chunk_event(type)][old_state];
		if (new_state == SCTP_S_INVALID)
			return CT_L4_INVALID;

		if (type == SCTP_CID_INIT) {
			if (!sctp_init_tag(sh, len, off, &tag))
				return CT_L4_INVALID;
			/* A second INIT from the other side (collision) forgets the first. */
			if (s->init[dir] && s->init[!dir])
				s->init[!dir] = 0;
			s->init[dir] = 1;
			s->vtag[!dir] = tag;
			/* An INIT retransmitted on a CLOSED entry does not renew the timer, so
			 * port reuse cannot keep an entry alive for ever. */
			if (new_state == CTG_CT_SCTP_CLOSED && old_state == CTG_CT_SCTP_CLOSED &&
					!is_new)
				ignore = true;
		} else if (type == SCTP_CID_INIT_ACK) {
			uint32_t known = s->vtag[!dir];

			if (!sctp_init_tag(sh, len, off, &tag))
				return CT_L4_INVALID;
			if (!s->init[!dir] && known != 0 && known != tag)
				return CT_L4_INVALID;
			if (s->init[dir] && s->init[!dir] && known != tag) /* collision */
				return CT_L4_INVALID;
			s->vtag[!dir] = tag;
		}

		s->state = new_state;
		if (old_state != new_state && new_state == CTG_CT_SCTP_ESTABLISHED)
			c->status |= CTG_CT_S_ASSURED;
	}

	if (ignore) {
		/* Accepted, but neither refreshed nor counted. */
		*reason = CTG_CT_R_NONE;
		return CT_L4_IGNORE;
	}
	/* timeouts[NONE] is the CLOSED timeout in the kernel (nf_conntrack_sctp_init_net). */
	*timeout_s = p->sctp_timeout[new_state == CTG_CT_SCTP_NONE ? CTG_CT_SCTP_CLOSED
								   : new_state];
	*reason = CTG_CT_R_NONE;
	return CT_L4_ACCEPT;
}

const struct ct_l4_ops ct_l4_sctp_ops = {
	.error = sctp_error,
	.packet = sctp_packet,
};
