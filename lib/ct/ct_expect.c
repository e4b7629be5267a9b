/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Expectations and helper assignment (nf_conntrack_expect.c, nf_conntrack_helper.c).
 *	An expectation is the original tuple of a connection a helper announced (FTP
 *	data), with the source port as a wildcard, a master connection and a timeout
 *	(FTP: 5 min). The first packet of a new connection that matches one takes it
 *	(it is removed), the connection gets EXPECTED and its master, and the packet is
 *	RELATED. A master keeps at most one expectation per helper policy (FTP
 *	max_expected = 1: a newer one evicts the older); an identical expectation replaces
 *	the old one; deleting a master deletes its expectations.
 *
 *	TFTP (nf_conntrack_tftp.c): a read or write request (opcode 1 or 2) in any state,
 *	the first packet included, expects the server's answer from any port to the
 *	client's port.
 *
 *	Helpers are attached explicitly, as kernels since 6.0 require: by port
 *	(ctg_ct_helper_port_add, the oracle's `ct helper set` rule) or by the raw table's
 *	`CT --helper`. A helper-attached connection carries the HELPER status bit.
 *
 * Ownership & synchronization
 *	Per shard, owner worker only. An expected connection must reach the shard that
 *	holds the expectation: the pipeline's default owner function (dispatch l3) gives
 *	every connection between two hosts to one worker, so the expected connection is
 *	tracked where its master created the expectation (app/ctgate/README.md, "Helpers
 *	and expectations across workers"). With dispatch l4 it may not be.
 */

#include <errno.h>
#include <string.h>

#define CT_CORE
#include "ct_private.h"

#define FTP_EXPECT_TIMEOUT_S 300
#define FTP_MAX_EXPECTED 1

static const char *const helper_names[CTG_CT_HELPER_COUNT] = {
	[CTG_CT_HELPER_NONE] = "",
	[CTG_CT_HELPER_FTP] = "ftp",
	[CTG_CT_HELPER_TFTP] = "tftp",
};

enum ctg_ct_helper
ctg_ct_helper_by_name(const char *name)
{
	for (int h = 1; h < CTG_CT_HELPER_COUNT; h++)
		if (strcmp(name, helper_names[h]) == 0)
			return (enum ctg_ct_helper)h;
	return CTG_CT_HELPER_NONE;
}

const char *
ctg_ct_helper_name(enum ctg_ct_helper h)
{
	return (unsigned int)h < CTG_CT_HELPER_COUNT ? helper_names[h] : "?";
}

int
ctg_ct_helper_port_add(struct ctg_ct_shard *s, enum ctg_ct_helper helper, uint8_t proto,
		uint16_t port)
{
	if (s->nb_helper_ports >= CTG_ARRAY_SIZE(s->helper_ports))
		return -ENOSPC;
	s->helper_ports[s->nb_helper_ports].helper = (uint8_t)helper;
	s->helper_ports[s->nb_helper_ports].proto = proto;
	s->helper_ports[s->nb_helper_ports].port = port;
	s->nb_helper_ports++;
	return 0;
}

uint8_t
ct_helper_for(const struct ctg_ct_shard *s, const struct ctg_ct_tuple *t)
{
	for (uint32_t i = 0; i < s->nb_helper_ports; i++)
		if (s->helper_ports[i].proto == t->proto && s->helper_ports[i].port == t->dport)
			return s->helper_ports[i].helper;
	return CTG_CT_HELPER_NONE;
}

static bool
expect_matches(const struct ctg_ct_expect *e, const struct ctg_ct_tuple *t)
{
	struct ctg_ct_tuple a = e->tuple, b = *t;

	a.sport = 0;
	b.sport = 0;
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
expect_remove(struct ctg_ct_shard *s, struct ctg_ct_expect *e)
{
	e->in_use = 0;
	s->nb_expect--;
	s->stats.expect_delete++;
}

bool
ct_expect_take(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint64_t now_ns,
		uint32_t *master)
{
	if (s->nb_expect == 0)
		return false;
	for (uint32_t i = 0; i < CT_MAX_EXPECT; i++) {
		struct ctg_ct_expect *e = &s->expect[i];

		if (!e->in_use)
			continue;
		if ((int64_t)(e->expires_ns - now_ns) <= 0) {
			expect_remove(s, e);
			continue;
		}
		if (expect_matches(e, t)) {
			*master = e->master;
			expect_remove(s, e);
			s->stats.expect_new++;
			return true;
		}
	}
	return false;
}

void
ct_expect_remove_master(struct ctg_ct_shard *s, uint32_t master)
{
	for (uint32_t i = 0; i < CT_MAX_EXPECT && s->nb_expect > 0; i++)
		if (s->expect[i].in_use && s->expect[i].master == master)
			expect_remove(s, &s->expect[i]);
}

bool
ct_expect_add(struct ctg_ct_shard *s, const struct ctg_ct_tuple *t, uint32_t master,
		uint8_t helper, uint64_t now_ns)
{
	struct ctg_ct_expect *slot = NULL, *oldest = NULL;
	uint32_t mine = 0;

	for (uint32_t i = 0; i < CT_MAX_EXPECT; i++) {
		struct ctg_ct_expect *e = &s->expect[i];

		if (e->in_use && (int64_t)(e->expires_ns - now_ns) <= 0)
			expect_remove(s, e);
		if (!e->in_use) {
			if (slot == NULL)
				slot = e;
			continue;
		}
		if (expect_matches(e, t)) { /* same expectation again: replace it */
			expect_remove(s, e);
			if (slot == NULL)
				slot = e;
			continue;
		}
		if (e->master == master) {
			mine++;
			if (oldest == NULL || e->expires_ns < oldest->expires_ns)
				oldest = e;
		}
	}
	if (mine >= FTP_MAX_EXPECTED && oldest != NULL) {
		expect_remove(s, oldest);
		if (slot == NULL)
			slot = oldest;
	}
	if (slot == NULL)
		return false;
	slot->tuple = *t;
	slot->master = master;
	slot->helper = helper;
	slot->expires_ns = now_ns + ctg_s_to_ns(FTP_EXPECT_TIMEOUT_S);
	slot->in_use = 1;
	s->nb_expect++;
	s->stats.expect_create++;
	return true;
}

void
ctg_ct_expect_foreach(const struct ctg_ct_shard *s, uint64_t now_ns, ctg_ct_expect_visit_fn *fn,
		void *arg)
{
	for (uint32_t i = 0; i < CT_MAX_EXPECT; i++) {
		const struct ctg_ct_expect *e = &s->expect[i];

		if (e->in_use && (int64_t)(e->expires_ns - now_ns) > 0 && fn(e, arg) != 0)
			return;
	}
}

uint32_t
ctg_ct_expect_delete(struct ctg_ct_shard *s, ctg_ct_expect_pred_fn *pred, void *arg)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < CT_MAX_EXPECT && s->nb_expect > 0; i++) {
		struct ctg_ct_expect *e = &s->expect[i];

		if (e->in_use && (pred == NULL || pred(e, arg))) {
			expect_remove(s, e);
			n++;
		}
	}
	return n;
}

static bool
ct_helper_tftp(struct ctg_ct_shard *s, struct ctg_ct_conn *c, uint32_t idx,
		const struct ctg_pkt *pkt, uint64_t now_ns)
{
	const uint8_t *udp = ctg_pkt_l4(pkt);
	struct ctg_ct_tuple reply, exp;
	uint16_t opcode;

	if (ctg_pkt_l4_len(pkt) < 8 + 2)
		return true;
	opcode = ctg_get_be16(udp + 8);
	if (opcode != 1 && opcode != 2)
		return true;
	ctg_ct_conn_reply_tuple(c, &reply);
	exp = reply;
	exp.sport = 0;
	if (!ct_expect_add(s, &exp, idx, CTG_CT_HELPER_TFTP, now_ns)) {
		s->stats.helper_drop++;
		return false;
	}
	return true;
}

bool
ctg_ct_help(struct ctg_ct_shard *s, const struct ctg_pkt *pkt, const struct ctg_ct_result *res,
		uint64_t now_ns)
{
	struct ctg_ct_conn *c;

	if (res->conn == CTG_CT_NO_CONN || (res->flags & CTG_CT_RES_NOT_ATTACHED))
		return true;
	c = &s->pool[res->conn];
	if (c->helper == CTG_CT_HELPER_TFTP)
		return ct_helper_tftp(s, c, res->conn, pkt, now_ns);
	if (c->helper != CTG_CT_HELPER_FTP || res->state != CTG_CT_ESTABLISHED)
		return true;
	if (!ct_helper_ftp(s, c, res->conn, (enum ctg_ct_dir)res->dir, pkt, now_ns)) {
		s->stats.helper_drop++;
		return false;
	}
	return true;
}
