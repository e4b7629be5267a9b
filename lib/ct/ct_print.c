/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names and the `conntrack -L -o extended` text form of a connection
 * (conntrack-tools' format: l3 name and number, l4 name and number, remaining
 * seconds, TCP state, original tuple, counters, [UNREPLIED], reply tuple, counters,
 * [ASSURED], mark, zone, use).
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "ctg_ct.h"

static const char *const state_names[] = {
	[CTG_CT_INVALID] = "INVALID",
	[CTG_CT_NEW] = "NEW",
	[CTG_CT_ESTABLISHED] = "ESTABLISHED",
	[CTG_CT_RELATED] = "RELATED",
	[CTG_CT_UNTRACKED] = "UNTRACKED",
};

static const char *const tcp_names[] = {
#define CTG_CT_X(n, s) s,
	CTG_CT_TCP_STATES(CTG_CT_X)
#undef CTG_CT_X
};

static const char *const sctp_names[] = {
#define CTG_CT_X(n, s) s,
	CTG_CT_SCTP_STATES(CTG_CT_X)
#undef CTG_CT_X
};

static const char *const reason_names[] = {
#define CTG_CT_X(n, s) s,
	CTG_CT_REASONS(CTG_CT_X)
#undef CTG_CT_X
};

const char *
ctg_ct_state_str(enum ctg_ct_state st)
{
	return (unsigned int)st < CTG_CT_STATE_COUNT ? state_names[st] : "?";
}

const char *
ctg_ct_tcp_state_str(enum ctg_ct_tcp_state st)
{
	return (unsigned int)st < CTG_CT_TCP_S_COUNT ? tcp_names[st] : "?";
}

const char *
ctg_ct_sctp_state_str(enum ctg_ct_sctp_state st)
{
	return (unsigned int)st < CTG_CT_SCTP_S_COUNT ? sctp_names[st] : "?";
}

const char *
ctg_ct_reason_str(enum ctg_ct_reason r)
{
	return (unsigned int)r < CTG_CT_R_COUNT ? reason_names[r] : "?";
}

void
ctg_ct_status_str(uint32_t status, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ CTG_CT_S_EXPECTED, "EXPECTED" },
		{ CTG_CT_S_SEEN_REPLY, "SEEN_REPLY" },
		{ CTG_CT_S_ASSURED, "ASSURED" },
		{ CTG_CT_S_FIXED_TIMEOUT, "FIXED_TIMEOUT" },
		{ CTG_CT_S_HELPER, "HELPER" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < CTG_ARRAY_SIZE(bits); i++) {
		if (!(status & bits[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "|" : "",
				bits[i].name);
	}
	if (n == 0)
		snprintf(buf, size, "-");
}

static const char *
l4_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 58: return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return "unknown";
	}
}

static void
print_tuple(const struct ctg_ct_tuple *t, FILE *f)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = t->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, t->src.b, a, sizeof(a));
	inet_ntop(af, t->dst.b, b, sizeof(b));
	fprintf(f, "src=%s dst=%s ", a, b);
	switch (t->proto) {
	case 1:
	case 58:
		fprintf(f, "type=%u code=%u id=%u ", t->dport >> 8, t->dport & 0xff, t->sport);
		break;
	case 6:
	case 17:
	case 132:
	case 136:
		fprintf(f, "sport=%u dport=%u ", t->sport, t->dport);
		break;
	case 47:
		fprintf(f, "srckey=0x%x dstkey=0x%x ", t->sport, t->dport);
		break;
	default:
		break;
	}
}

void
ctg_ct_conn_print(const struct ctg_ct_conn *c, uint64_t now_ns, FILE *f)
{
	struct ctg_ct_tuple reply;
	int64_t left = (int64_t)(c->expires_ns - now_ns);

	if (left < 0)
		left = 0;
	fprintf(f, "%-8s %u %-8s %u %" PRId64 " ", c->orig.family == 4 ? "ipv4" : "ipv6",
			c->orig.family == 4 ? 2 : 10, l4_name(c->orig.proto), c->orig.proto,
			left / (int64_t)CTG_NS_PER_S);
	if (ctg_ct_conn_l4_state_str(c) != NULL)
		fprintf(f, "%s ", ctg_ct_conn_l4_state_str(c));
	print_tuple(&c->orig, f);
	fprintf(f, "packets=%" PRIu64 " bytes=%" PRIu64 " ", ctg_ct_conn_packets(c, CTG_CT_DIR_ORIG),
			ctg_ct_conn_bytes(c, CTG_CT_DIR_ORIG));
	if (!(c->status & CTG_CT_S_SEEN_REPLY))
		fprintf(f, "[UNREPLIED] ");
	ctg_ct_conn_reply_tuple(c, &reply);
	print_tuple(&reply, f);
	fprintf(f, "packets=%" PRIu64 " bytes=%" PRIu64 " ",
			ctg_ct_conn_packets(c, CTG_CT_DIR_REPLY), ctg_ct_conn_bytes(c, CTG_CT_DIR_REPLY));
	if (c->status & CTG_CT_S_ASSURED)
		fprintf(f, "[ASSURED] ");
	fprintf(f, "mark=%u ", c->mark);
	if (c->helper != CTG_CT_HELPER_NONE)
		fprintf(f, "helper=%s ", ctg_ct_helper_name((enum ctg_ct_helper)c->helper));
	if (c->orig.zone)
		fprintf(f, "zone=%u ", c->orig.zone);
	fprintf(f, "use=1");
}
