/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The FTP helper (nf_conntrack_ftp.c): on a control connection it reads, in the
 *	original direction, "PORT h1,h2,h3,h4,p1,p2" and "EPRT |af|addr|port|", and in the
 *	reply direction "227 ...(h1,h2,h3,h4,p1,p2)" and "229 ...(|||port|)", and expects
 *	the data connection they announce (RELATED, EXPECTED).
 *
 *	As in the kernel it parses only packets that start right after a line end it has
 *	seen in that direction: it remembers up to two sequence numbers that follow a
 *	packet ending in '\n' per direction, so the first line of each direction (the 220
 *	banner, USER) is never parsed, and a command split across segments is not either.
 *	Only ESTABLISHED packets are looked at (so only after two-way traffic). A packet
 *	that is a prefix of a command ("partial matching") is dropped. An announced address
 *	other than the sender's is refused (the kernel's `loose=0`: no DMZ bypass). The
 *	expectation is from the other end of the control connection (any source port) to
 *	the announced port.
 */

#include <ctype.h>
#include <string.h>

#include <arpa/inet.h>

#define CT_CORE
#include "ct_private.h"

struct ftp_cmd {
	union ctg_addr addr;
	uint16_t port;
	uint8_t family;
};

typedef uint32_t (*ftp_getnum_fn)(const char *d, uint32_t len, struct ftp_cmd *cmd, char term);

/* Numbers separated by @p sep; true length when the terminator follows the last one. */
static uint32_t
try_number(const char *d, uint32_t dlen, uint32_t *arr, int n, char sep, char term)
{
	uint32_t len;
	int i = 0;

	memset(arr, 0, sizeof(*arr) * (size_t)n);
	for (len = 0; len < dlen && i < n; len++) {
		char ch = d[len];

		if (ch >= '0' && ch <= '9') {
			arr[i] = arr[i] * 10 + (uint32_t)(ch - '0');
		} else if (ch == sep) {
			i++;
		} else {
			if ((ch == term || !term) && i == n - 1)
				return len;
			return 0;
		}
	}
	return 0;
}

static uint32_t
try_rfc959(const char *d, uint32_t dlen, struct ftp_cmd *cmd, char term)
{
	uint32_t a[6], len = try_number(d, dlen, a, 6, ',', term);

	if (len == 0)
		return 0;
	memset(&cmd->addr, 0, sizeof(cmd->addr));
	cmd->addr.b[0] = (uint8_t)a[0];
	cmd->addr.b[1] = (uint8_t)a[1];
	cmd->addr.b[2] = (uint8_t)a[2];
	cmd->addr.b[3] = (uint8_t)a[3];
	cmd->port = (uint16_t)((a[4] << 8) | a[5]);
	cmd->family = 4;
	return len;
}

static uint32_t
get_port(const char *d, uint32_t start, uint32_t dlen, char delim, uint16_t *port)
{
	uint16_t p = 0;

	for (uint32_t i = start; i < dlen; i++) {
		if (d[i] == delim) {
			if (p == 0)
				return 0;
			*port = p;
			return i + 1;
		}
		if (d[i] < '0' || d[i] > '9')
			return 0;
		p = (uint16_t)(p * 10 + (d[i] - '0'));
	}
	return 0;
}

static bool
bad_delim(char c)
{
	return isdigit((unsigned char)c) || c < 33 || c > 126;
}

static uint32_t
try_eprt(const char *d, uint32_t dlen, struct ftp_cmd *cmd, char term)
{
	uint32_t len = 0;
	char delim;

	(void)term;
	if (dlen <= 3)
		return 0;
	delim = d[0];
	if (bad_delim(delim) || d[2] != delim)
		return 0;
	if ((cmd->family == 4 && d[1] != '1') || (cmd->family == 6 && d[1] != '2'))
		return 0;
	if (d[1] == '1') {
		uint32_t a[4];

		len = try_number(d + 3, dlen - 3, a, 4, '.', delim);
		if (len != 0) {
			memset(&cmd->addr, 0, sizeof(cmd->addr));
			for (int i = 0; i < 4; i++)
				cmd->addr.b[i] = (uint8_t)a[i];
		}
	} else {
		char buf[INET6_ADDRSTRLEN + 1];
		uint32_t n = 0;

		while (3 + n < dlen && d[3 + n] != delim && n < INET6_ADDRSTRLEN)
			n++;
		if (3 + n >= dlen || d[3 + n] != delim)
			return 0;
		memcpy(buf, d + 3, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, cmd->addr.b) != 1)
			return 0;
		len = n;
	}
	if (len == 0)
		return 0;
	return get_port(d, 3 + len + 1, dlen, delim, &cmd->port);
}

static uint32_t
try_epsv(const char *d, uint32_t dlen, struct ftp_cmd *cmd, char term)
{
	char delim;

	(void)term;
	if (dlen <= 3)
		return 0;
	delim = d[0];
	if (bad_delim(delim) || d[1] != delim || d[2] != delim)
		return 0;
	return get_port(d, 3, dlen, delim, &cmd->port);
}

struct ftp_search {
	const char *pattern;
	uint32_t plen;
	char skip;
	char term;
	ftp_getnum_fn getnum;
};

static const struct ftp_search search[CTG_CT_DIR_COUNT][2] = {
	[CTG_CT_DIR_ORIG] = {
		{ "PORT", 4, ' ', '\r', try_rfc959 },
		{ "EPRT", 4, ' ', '\r', try_eprt },
	},
	[CTG_CT_DIR_REPLY] = {
		{ "227 ", 4, '(', ')', try_rfc959 },
		{ "229 ", 4, '(', ')', try_epsv },
	},
};

/* 1 match, 0 no match, -1 partial match (the packet is dropped). */
static int
find_pattern(const char *d, uint32_t dlen, const struct ftp_search *sp, struct ftp_cmd *cmd)
{
	uint32_t i;

	if (dlen <= sp->plen)
		return strncasecmp(d, sp->pattern, dlen) == 0 ? -1 : 0;
	if (strncasecmp(d, sp->pattern, sp->plen) != 0)
		return 0;
	for (i = sp->plen; d[i] != sp->skip; i++)
		if (i == dlen - 1)
			return -1;
	i++;
	return sp->getnum(d + i, dlen - i, cmd, sp->term) ? 1 : -1;
}

static bool
find_nl_seq(const struct ctg_ct_ftp *f, enum ctg_ct_dir dir, uint32_t seq)
{
	for (int i = 0; i < f->seq_aft_nl_num[dir]; i++)
		if (f->seq_aft_nl[dir][i] == seq)
			return true;
	return false;
}

static void
update_nl_seq(struct ctg_ct_ftp *f, enum ctg_ct_dir dir, uint32_t seq)
{
	int oldest;

	for (int i = 0; i < f->seq_aft_nl_num[dir]; i++)
		if (f->seq_aft_nl[dir][i] == seq)
			return;
	if (f->seq_aft_nl_num[dir] < 2) {
		f->seq_aft_nl[dir][f->seq_aft_nl_num[dir]++] = seq;
		return;
	}
	oldest = ctg_seq_before(f->seq_aft_nl[dir][0], f->seq_aft_nl[dir][1]) ? 0 : 1;
	if (ctg_seq_after(seq, f->seq_aft_nl[dir][oldest]))
		f->seq_aft_nl[dir][oldest] = seq;
}

bool
ct_helper_ftp(struct ctg_ct_shard *s, struct ctg_ct_conn *c, uint32_t idx, enum ctg_ct_dir dir,
		const struct ctg_pkt *pkt, uint64_t now_ns)
{
	const uint8_t *th = ctg_pkt_l4(pkt);
	uint32_t l4_len = ctg_pkt_l4_len(pkt), doff, dlen, seq;
	struct ctg_ct_tuple sender, other, exp;
	struct ctg_ct_ftp *f = ct_help_ftp(s, c);
	struct ftp_cmd cmd;
	const char *data;
	bool ends_nl;
	int found = 0;

	if (l4_len < 20)
		return true;
	doff = (uint32_t)(th[12] >> 4) * 4;
	if (doff > l4_len)
		return true;
	dlen = l4_len - doff;
	if (dlen == 0)
		return true;
	data = (const char *)th + doff;
	seq = ctg_get_be32(th + 4);
	ends_nl = data[dlen - 1] == '\n';

	if (!find_nl_seq(f, dir, seq))
		goto update;

	/* The tuple of the sender's direction, and of the other one. */
	if (dir == CTG_CT_DIR_ORIG) {
		sender = c->orig;
		ctg_ct_conn_reply_tuple(c, &other);
	} else {
		ctg_ct_conn_reply_tuple(c, &sender);
		other = c->orig;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.family = c->orig.family;
	cmd.addr = sender.src;
	for (int i = 0; i < 2; i++) {
		found = find_pattern(data, dlen, &search[dir][i], &cmd);
		if (found != 0)
			break;
	}
	if (found < 0)
		return false; /* partial matching: the kernel drops the packet */
	if (found == 0)
		goto update;
	/* An address other than the sender's is refused (loose = 0). */
	if (cmd.family != c->orig.family || memcmp(&cmd.addr, &sender.src, sizeof(cmd.addr)) != 0)
		goto update;
	memset(&exp, 0, sizeof(exp));
	exp.family = c->orig.family;
	exp.proto = 6;
	exp.zone = c->orig.zone;
	exp.src = other.src;
	exp.dst = other.dst;
	exp.dport = cmd.port;
	if (!ct_expect_add(s, &exp, idx, CTG_CT_HELPER_FTP, now_ns))
		return false; /* "cannot add expectation": dropped */
update:
	if (ends_nl)
		update_nl_seq(f, dir, seq + dlen);
	return true;
}
