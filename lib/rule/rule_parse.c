/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iptables-save text -> rules.
 *
 * Overview. rule_parse_text() reads an iptables-save (or ip6tables-save) file the way
 * iptables-restore does: "*table" opens a table, ":CHAIN POLICY [p:b]" declares a chain,
 * "-A CHAIN ..." / "-I CHAIN [n] ..." add a rule, "COMMIT" closes the table, '#' lines
 * and blank lines are ignored. A rule line is split into words with iptables-restore's
 * quoting (double or single quotes, backslash escapes inside double quotes), then read
 * left to right: the IP part (-p -s -d -i -o -f, each optionally preceded by '!'),
 * counters (-c p b), matches (-m NAME followed by that match's options; as in iptables a
 * port option after -p tcp/udp or an --icmp-type after -p icmp loads the protocol match
 * implicitly) and one target (-j / -g, followed by the target's options). The result
 * is stored in kernel terms (xt_* structures' semantics) in struct rule and struct
 * rule_match, so that rule_eval.c is a transcription of the kernel's match functions.
 *
 * Only what the kernel would accept is accepted: protocol matches need their -p,
 * REJECT is filter-only and tcp-reset needs -p tcp, NOTRACK/CT are raw-only, CT
 * --helper needs -p. Anything unsupported is an error "file:line: message 'token'".
 *
 * The IPv6 copy of an IPv4 file (family AUTO without a separate IPv6 file) is made by
 * rewriting the words of each rule first, exactly as the oracle does (ctoracle.py
 * Ruleset._to_v6): -p icmp -> ipv6-icmp, -m icmp -> icmp6, --icmp-type -> --icmpv6-type
 * with the ICMPv4 -> ICMPv6 type map (rules on IPv4-only types are left out), and
 * --reject-with icmp-* -> icmp6-*.
 *
 * Life-cycle and ownership. Runs on the control core while loading; it appends to the
 * set under construction, which nobody else sees until the load succeeds. On error the
 * caller frees the partial set: a bad file never yields a set.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctg_rule.h"

#include "rule_private.h"

#define MAX_WORDS 256
#define LINE_MAX_LEN 8192

struct pctx {
	struct ctg_rule_set *rs;
	const struct ctg_rule_load_opts *opts;
	const char *name;
	unsigned int line;
	int family; /* 4 or 6 */
	int fam_idx;
	bool mirror;
	bool *has_addr;
	int table; /* -1: none open */
	char *err;
	size_t errlen;
};

static int
perr(struct pctx *c, const char *tok, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tok != NULL)
		snprintf(c->err, c->errlen, "%s:%u: %s '%s'", c->name, c->line, msg, tok);
	else
		snprintf(c->err, c->errlen, "%s:%u: %s", c->name, c->line, msg);
	return -EINVAL;
}

/* ---------------------------------------------------------------------------------- */
/* Words. */

/*
 * Split @p line into words (iptables-restore quoting). Words are written NUL-separated
 * into @p buf. @return the number of words or -1 on an unterminated quote / overflow.
 */
static int
split_words(const char *line, char *buf, size_t bufsize, char **words, int max)
{
	size_t o = 0;
	int n = 0;
	const char *p = line;

	for (;;) {
		char quote = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return -1;
		words[n++] = buf + o;
		while (*p != '\0') {
			char ch = *p;

			if (quote == 0 && (ch == ' ' || ch == '\t'))
				break;
			if (quote == 0 && (ch == '"' || ch == '\'')) {
				quote = ch;
				p++;
				continue;
			}
			if (quote != 0 && ch == quote) {
				quote = 0;
				p++;
				continue;
			}
			if (quote == '"' && ch == '\\' && p[1] != '\0') {
				p++;
				ch = *p;
			}
			if (o + 2 >= bufsize)
				return -1;
			buf[o++] = ch;
			p++;
		}
		if (quote != 0)
			return -1;
		buf[o++] = '\0';
	}
	return n;
}

/* Append @p w to @p out (for the saved text), quoting it as iptables-save does. */
static void
text_append(char *out, size_t size, size_t *len, const char *w)
{
	bool q = *w == '\0' || strpbrk(w, " \t\"'\\#") != NULL;
	size_t l = *len;

	/* A control character (a CR in a --log-prefix) is kept inside quotes too: bare at
	 * the end of a saved line it would be taken for line-end white space on reload. */
	for (const char *p = w; !q && *p != '\0'; p++)
		q = (unsigned char)*p < 0x20 || *p == 0x7f;

	if (l != 0 && l + 1 < size)
		out[l++] = ' ';
	if (q && l + 1 < size)
		out[l++] = '"';
	for (const char *p = w; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') && l + 1 < size)
			out[l++] = '\\';
		if (l + 1 < size)
			out[l++] = *p;
	}
	if (q && l + 1 < size)
		out[l++] = '"';
	out[l < size ? l : size - 1] = '\0';
	*len = l;
}

/* ---------------------------------------------------------------------------------- */
/* Values. */

static bool
parse_u64(const char *s, int base, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || x > max)
		return false;
	*v = x;
	return true;
}

static bool
parse_u32(const char *s, int base, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (!parse_u64(s, base, max, &x))
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "value[/mask]" as xtables_strtoui with base 0; mask defaults to all ones. */
static bool
parse_mark(const char *s, uint32_t *value, uint32_t *mask, bool *has_mask)
{
	char buf[64];
	char *slash;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	*mask = UINT32_MAX;
	*has_mask = slash != NULL;
	if (slash != NULL) {
		*slash = '\0';
		if (!parse_u32(slash + 1, 0, UINT32_MAX, mask))
			return false;
	}
	return parse_u32(buf, 0, UINT32_MAX, value);
}

struct name_val {
	const char *name;
	uint32_t val;
};

static const struct name_val proto_names[] = {
	{ "all", 0 },	  { "tcp", 6 },	     { "udp", 17 },	   { "udplite", 136 },
	{ "icmp", 1 },	  { "icmpv6", 58 },  { "ipv6-icmp", 58 },  { "esp", 50 },
	{ "ah", 51 },	  { "sctp", 132 },   { "mh", 135 },	   { "ipv6-mh", 135 },
	{ "gre", 47 },	  { "dccp", 33 },    { "igmp", 2 },	   { "ipip", 4 },
	{ "ipv6", 41 },	  { "pim", 103 },    { "vrrp", 112 },	   { "ospf", 89 },
	{ "ipencap", 4 }, { "l2tp", 115 },   { "ipcomp", 108 },	   { NULL, 0 },
};

static bool
parse_proto(const char *s, uint8_t *proto)
{
	uint32_t v;

	for (const struct name_val *n = proto_names; n->name != NULL; n++) {
		if (strcasecmp(s, n->name) == 0) {
			*proto = (uint8_t)n->val;
			return true;
		}
	}
	if (!parse_u32(s, 10, 255, &v))
		return false;
	*proto = (uint8_t)v;
	return true;
}

static bool
proto_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 136 || p == 132 || p == 33;
}

static bool
parse_port(const char *s, uint8_t proto, uint16_t *port)
{
	uint32_t v;
	struct servent *se;

	if (parse_u32(s, 10, 65535, &v)) {
		*port = (uint16_t)v;
		return true;
	}
	if (*s == '\0' || strlen(s) > 32)
		return false;
	se = getservbyname(s, proto == 17 ? "udp" : "tcp");
	if (se == NULL)
		return false;
	*port = ntohs((uint16_t)se->s_port);
	return true;
}

/* "a", "a:b", ":b", "a:" -> [lo, hi]. */
static bool
parse_port_range(const char *s, uint8_t proto, uint16_t pr[2])
{
	char buf[80];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon == NULL) {
		if (!parse_port(buf, proto, &pr[0]))
			return false;
		pr[1] = pr[0];
		return true;
	}
	*colon = '\0';
	pr[0] = 0;
	pr[1] = 65535;
	if (buf[0] != '\0' && !parse_port(buf, proto, &pr[0]))
		return false;
	if (colon[1] != '\0' && !parse_port(colon + 1, proto, &pr[1]))
		return false;
	return pr[0] <= pr[1];
}

/* "addr", "addr/len", "addr/dotted-mask" (IPv4). The address is masked. */
static bool
parse_addr_mask(int family, const char *s, union ctg_addr *a, union ctg_addr *m)
{
	char buf[80];
	char *slash;
	int bits = family == 4 ? 32 : 128;
	uint32_t plen;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(a, 0, sizeof(*a));
	memset(m, 0, sizeof(*m));
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, buf, a->b) != 1)
		return false;
	if (slash == NULL) {
		plen = (uint32_t)bits;
	} else if (family == 4 && strchr(slash + 1, '.') != NULL) {
		union ctg_addr mm;

		if (inet_pton(AF_INET, slash + 1, mm.b) != 1)
			return false;
		memcpy(m->b, mm.b, 4);
		for (int i = 0; i < 4; i++)
			a->b[i] &= m->b[i];
		return true;
	} else if (!parse_u32(slash + 1, 10, (uint32_t)bits, &plen)) {
		return false;
	}
	for (uint32_t i = 0; i < plen; i++)
		m->b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	for (int i = 0; i < 16; i++)
		a->b[i] &= m->b[i];
	return true;
}

static bool
parse_addr(int family, const char *s, union ctg_addr *a)
{
	memset(a, 0, sizeof(*a));
	return inet_pton(family == 4 ? AF_INET : AF_INET6, s, a->b) == 1;
}

/* Interface name (with iptables' '+' wildcard) -> port mask. */
static bool
parse_iface(struct pctx *c, const char *s, uint64_t *mask)
{
	size_t len = strlen(s);
	bool wild;

	if (len == 0 || len >= 16)
		return false;
	wild = s[len - 1] == '+';
	*mask = 0;
	if (c->opts == NULL || c->opts->ignore_interfaces) {
		*mask = UINT64_MAX;
		return true;
	}
	for (uint16_t i = 0; i < c->opts->nb_ports && i < RULE_MAX_PORTS; i++) {
		const char *pn = c->opts->port_names[i];

		if (pn == NULL)
			continue;
		if (wild ? strncmp(pn, s, len - 1) == 0 : strcmp(pn, s) == 0)
			*mask |= 1ULL << i;
	}
	return true;
}

/* ---------------------------------------------------------------------------------- */
/* ICMP names. */

struct icmp_name {
	const char *name;
	uint8_t type;
	uint8_t code_min;
	uint8_t code_max;
};

static const struct icmp_name icmp4_names[] = {
	{ "echo-reply", 0, 0, 0xff },
	{ "pong", 0, 0, 0xff },
	{ "destination-unreachable", 3, 0, 0xff },
	{ "network-unreachable", 3, 0, 0 },
	{ "host-unreachable", 3, 1, 1 },
	{ "protocol-unreachable", 3, 2, 2 },
	{ "port-unreachable", 3, 3, 3 },
	{ "fragmentation-needed", 3, 4, 4 },
	{ "source-route-failed", 3, 5, 5 },
	{ "network-unknown", 3, 6, 6 },
	{ "host-unknown", 3, 7, 7 },
	{ "network-prohibited", 3, 9, 9 },
	{ "host-prohibited", 3, 10, 10 },
	{ "TOS-network-unreachable", 3, 11, 11 },
	{ "TOS-host-unreachable", 3, 12, 12 },
	{ "communication-prohibited", 3, 13, 13 },
	{ "host-precedence-violation", 3, 14, 14 },
	{ "precedence-cutoff", 3, 15, 15 },
	{ "source-quench", 4, 0, 0xff },
	{ "redirect", 5, 0, 0xff },
	{ "network-redirect", 5, 0, 0 },
	{ "host-redirect", 5, 1, 1 },
	{ "TOS-network-redirect", 5, 2, 2 },
	{ "TOS-host-redirect", 5, 3, 3 },
	{ "echo-request", 8, 0, 0xff },
	{ "ping", 8, 0, 0xff },
	{ "router-advertisement", 9, 0, 0xff },
	{ "router-solicitation", 10, 0, 0xff },
	{ "time-exceeded", 11, 0, 0xff },
	{ "ttl-exceeded", 11, 0, 0xff },
	{ "ttl-zero-during-transit", 11, 0, 0 },
	{ "ttl-zero-during-reassembly", 11, 1, 1 },
	{ "parameter-problem", 12, 0, 0xff },
	{ "ip-header-bad", 12, 0, 0 },
	{ "required-option-missing", 12, 1, 1 },
	{ "timestamp-request", 13, 0, 0xff },
	{ "timestamp-reply", 14, 0, 0xff },
	{ "address-mask-request", 17, 0, 0xff },
	{ "address-mask-reply", 18, 0, 0xff },
	{ NULL, 0, 0, 0 },
};

static const struct icmp_name icmp6_names[] = {
	{ "destination-unreachable", 1, 0, 0xff },
	{ "no-route", 1, 0, 0 },
	{ "communication-prohibited", 1, 1, 1 },
	{ "beyond-scope", 1, 2, 2 },
	{ "address-unreachable", 1, 3, 3 },
	{ "port-unreachable", 1, 4, 4 },
	{ "failed-policy", 1, 5, 5 },
	{ "reject-route", 1, 6, 6 },
	{ "packet-too-big", 2, 0, 0xff },
	{ "time-exceeded", 3, 0, 0xff },
	{ "ttl-exceeded", 3, 0, 0xff },
	{ "ttl-zero-during-transit", 3, 0, 0 },
	{ "ttl-zero-during-reassembly", 3, 1, 1 },
	{ "parameter-problem", 4, 0, 0xff },
	{ "bad-header", 4, 0, 0 },
	{ "unknown-header-type", 4, 1, 1 },
	{ "unknown-option", 4, 2, 2 },
	{ "echo-request", 128, 0, 0xff },
	{ "ping", 128, 0, 0xff },
	{ "echo-reply", 129, 0, 0xff },
	{ "pong", 129, 0, 0xff },
	{ "mld-listener-query", 130, 0, 0xff },
	{ "mld-listener-report", 131, 0, 0xff },
	{ "mld-listener-done", 132, 0, 0xff },
	{ "mld-listener-reduction", 132, 0, 0xff },
	{ "router-solicitation", 133, 0, 0xff },
	{ "router-advertisement", 134, 0, 0xff },
	{ "neighbour-solicitation", 135, 0, 0xff },
	{ "neighbor-solicitation", 135, 0, 0xff },
	{ "neighbour-advertisement", 136, 0, 0xff },
	{ "neighbor-advertisement", 136, 0, 0xff },
	{ "redirect", 137, 0, 0xff },
	{ NULL, 0, 0, 0 },
};

/* "any", a name, "type" or "type/code". */
static bool
parse_icmp_type(const char *s, bool v6, struct rule_match *m)
{
	const struct icmp_name *tab = v6 ? icmp6_names : icmp4_names;
	char buf[32];
	char *slash;
	uint32_t t, code;

	m->u.icmp.any = 0;
	if (strcasecmp(s, "any") == 0) {
		m->u.icmp.any = 1;
		m->u.icmp.type = 0xff;
		m->u.icmp.code[0] = 0;
		m->u.icmp.code[1] = 0xff;
		return true;
	}
	for (const struct icmp_name *n = tab; n->name != NULL; n++) {
		if (strcasecmp(s, n->name) == 0) {
			m->u.icmp.type = n->type;
			m->u.icmp.code[0] = n->code_min;
			m->u.icmp.code[1] = n->code_max;
			return true;
		}
	}
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!parse_u32(buf, 10, 255, &t))
		return false;
	m->u.icmp.type = (uint8_t)t;
	m->u.icmp.code[0] = 0;
	m->u.icmp.code[1] = 0xff;
	if (slash != NULL) {
		if (!parse_u32(slash + 1, 10, 255, &code))
			return false;
		m->u.icmp.code[0] = (uint8_t)code;
		m->u.icmp.code[1] = (uint8_t)code;
	}
	/* Type 255 is iptables' "any" in IPv4. */
	if (!v6 && t == 0xff)
		m->u.icmp.any = 1;
	return true;
}

/* The oracle's map for the IPv6 copy of an IPv4 file (NULL: IPv4-only type). */
static const char *const icmp4_to_6[][2] = {
	{ "any", "any" },
	{ "0", "129" },
	{ "echo-reply", "echo-reply" },
	{ "pong", "echo-reply" },
	{ "8", "128" },
	{ "echo-request", "echo-request" },
	{ "ping", "echo-request" },
	{ "3", "1" },
	{ "destination-unreachable", "destination-unreachable" },
	{ "3/0", "1/0" },
	{ "network-unreachable", "no-route" },
	{ "3/1", "1/3" },
	{ "host-unreachable", "address-unreachable" },
	{ "3/3", "1/4" },
	{ "port-unreachable", "port-unreachable" },
	{ "3/4", "2" },
	{ "fragmentation-needed", "packet-too-big" },
	{ "3/13", "1/1" },
	{ "communication-prohibited", "communication-prohibited" },
	{ "11", "3" },
	{ "time-exceeded", "time-exceeded" },
	{ "ttl-exceeded", "time-exceeded" },
	{ "11/0", "3/0" },
	{ "ttl-zero-during-transit", "ttl-zero-during-transit" },
	{ "11/1", "3/1" },
	{ "ttl-zero-during-reassembly", "ttl-zero-during-reassembly" },
	{ "12", "4" },
	{ "parameter-problem", "parameter-problem" },
};

static const char *const reject4_to_6[][2] = {
	{ "icmp-net-unreachable", "icmp6-no-route" },
	{ "net-unreach", "icmp6-no-route" },
	{ "icmp-host-unreachable", "icmp6-addr-unreachable" },
	{ "host-unreach", "icmp6-addr-unreachable" },
	{ "icmp-port-unreachable", "icmp6-port-unreachable" },
	{ "port-unreach", "icmp6-port-unreachable" },
	{ "icmp-proto-unreachable", "icmp6-port-unreachable" },
	{ "proto-unreach", "icmp6-port-unreachable" },
	{ "icmp-net-prohibited", "icmp6-adm-prohibited" },
	{ "net-prohib", "icmp6-adm-prohibited" },
	{ "icmp-host-prohibited", "icmp6-adm-prohibited" },
	{ "host-prohib", "icmp6-adm-prohibited" },
	{ "icmp-admin-prohibited", "icmp6-adm-prohibited" },
	{ "admin-prohib", "icmp6-adm-prohibited" },
	{ "tcp-reset", "tcp-reset" },
};

static const char *
map_pair(const char *const (*tab)[2], size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i][0], s) == 0)
			return tab[i][1];
	return NULL;
}

struct reject_name {
	const char *name;
	uint8_t type;
	uint8_t family; /* 4, 6, or 0 for both */
};

static const struct reject_name reject_names[] = {
	{ "icmp-net-unreachable", CTG_RULE_REJECT_ICMP_NET_UNREACHABLE, 4 },
	{ "net-unreach", CTG_RULE_REJECT_ICMP_NET_UNREACHABLE, 4 },
	{ "icmp-host-unreachable", CTG_RULE_REJECT_ICMP_HOST_UNREACHABLE, 4 },
	{ "host-unreach", CTG_RULE_REJECT_ICMP_HOST_UNREACHABLE, 4 },
	{ "icmp-proto-unreachable", CTG_RULE_REJECT_ICMP_PROT_UNREACHABLE, 4 },
	{ "proto-unreach", CTG_RULE_REJECT_ICMP_PROT_UNREACHABLE, 4 },
	{ "icmp-port-unreachable", CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE, 4 },
	{ "port-unreach", CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE, 4 },
	{ "icmp-net-prohibited", CTG_RULE_REJECT_ICMP_NET_PROHIBITED, 4 },
	{ "net-prohib", CTG_RULE_REJECT_ICMP_NET_PROHIBITED, 4 },
	{ "icmp-host-prohibited", CTG_RULE_REJECT_ICMP_HOST_PROHIBITED, 4 },
	{ "host-prohib", CTG_RULE_REJECT_ICMP_HOST_PROHIBITED, 4 },
	{ "icmp-admin-prohibited", CTG_RULE_REJECT_ICMP_ADMIN_PROHIBITED, 4 },
	{ "admin-prohib", CTG_RULE_REJECT_ICMP_ADMIN_PROHIBITED, 4 },
	{ "tcp-reset", CTG_RULE_REJECT_TCP_RESET, 0 },
	{ "tcp-rst", CTG_RULE_REJECT_TCP_RESET, 0 },
	{ "icmp6-no-route", CTG_RULE_REJECT_ICMP6_NO_ROUTE, 6 },
	{ "no-route", CTG_RULE_REJECT_ICMP6_NO_ROUTE, 6 },
	{ "icmp6-adm-prohibited", CTG_RULE_REJECT_ICMP6_ADM_PROHIBITED, 6 },
	{ "adm-prohibited", CTG_RULE_REJECT_ICMP6_ADM_PROHIBITED, 6 },
	{ "icmp6-addr-unreachable", CTG_RULE_REJECT_ICMP6_ADDR_UNREACH, 6 },
	{ "addr-unreach", CTG_RULE_REJECT_ICMP6_ADDR_UNREACH, 6 },
	{ "icmp6-port-unreachable", CTG_RULE_REJECT_ICMP6_PORT_UNREACH, 6 },
	{ "port-unreach", CTG_RULE_REJECT_ICMP6_PORT_UNREACH, 6 },
	{ "icmp6-policy-fail", CTG_RULE_REJECT_ICMP6_POLICY_FAIL, 6 },
	{ "policy-fail", CTG_RULE_REJECT_ICMP6_POLICY_FAIL, 6 },
	{ "icmp6-reject-route", CTG_RULE_REJECT_ICMP6_REJECT_ROUTE, 6 },
	{ "reject-route", CTG_RULE_REJECT_ICMP6_REJECT_ROUTE, 6 },
	{ NULL, 0, 0 },
};

static const char *const match_names[RM_COUNT] = {
#define RULE_X(n, s) [RM_##n] = s,
	RULE_MATCHES(RULE_X)
#undef RULE_X
};

/* ---------------------------------------------------------------------------------- */
/* Set building. */

static int
grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * elem);
	if (p == NULL)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

static const char *const builtin_chains[RULE_TABLE_COUNT][4] = {
	[RULE_TABLE_FILTER] = { "INPUT", "FORWARD", "OUTPUT", NULL },
	[RULE_TABLE_RAW] = { "PREROUTING", "OUTPUT", NULL, NULL },
};

static int
chain_find(const struct ctg_rule_set *rs, int family, int table, const char *name)
{
	for (uint32_t i = 0; i < rs->nb_chains; i++) {
		const struct rule_chain *ch = &rs->chains[i];

		if (ch->family == family && ch->table == table && strcmp(ch->name, name) == 0)
			return (int)i;
	}
	return -1;
}

static int
chain_add(struct pctx *c, const char *name, bool builtin)
{
	struct ctg_rule_set *rs = c->rs;
	struct rule_chain *ch;

	if (grow((void **)&rs->chains, &rs->cap_chains, rs->nb_chains + 1, sizeof(*ch)) != 0)
		return -ENOMEM;
	if (rs->nb_chains >= UINT16_MAX)
		return perr(c, name, "too many chains");
	ch = &rs->chains[rs->nb_chains];
	memset(ch, 0, sizeof(*ch));
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->family = (uint8_t)c->family;
	ch->table = (uint8_t)c->table;
	ch->builtin = builtin;
	ch->policy = RT_ACCEPT;
	return (int)rs->nb_chains++;
}

static bool
is_target_name(const char *s)
{
	static const char *const t[] = { "ACCEPT", "DROP", "RETURN", "REJECT", "LOG", "NFLOG",
		"NOTRACK", "CT", "MARK", "CONNMARK", "QUEUE", "NFQUEUE", "DNAT", "SNAT",
		"MASQUERADE", "REDIRECT", NULL };

	for (int i = 0; t[i] != NULL; i++)
		if (strcmp(s, t[i]) == 0)
			return true;
	return false;
}

static int
open_table(struct pctx *c, const char *name)
{
	int t;

	if (c->table >= 0)
		return perr(c, name, "COMMIT expected before");
	if (strcmp(name, "filter") == 0)
		t = RULE_TABLE_FILTER;
	else if (strcmp(name, "raw") == 0)
		t = RULE_TABLE_RAW;
	else
		return perr(c, name, "unsupported table (only filter and raw)");
	if (c->rs->has_table[c->fam_idx][t])
		return perr(c, name, "table given twice");
	c->rs->has_table[c->fam_idx][t] = 1;
	c->table = t;
	for (int i = 0; builtin_chains[t][i] != NULL; i++) {
		int rc = chain_add(c, builtin_chains[t][i], true);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool
parse_counters(const char *s, uint64_t *p, uint64_t *b)
{
	char buf[64];
	char *colon;
	size_t len = strlen(s);

	if (len < 5 || len >= sizeof(buf) || s[0] != '[' || s[len - 1] != ']')
		return false;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	colon = strchr(buf, ':');
	if (colon == NULL)
		return false;
	*colon = '\0';
	return parse_u64(buf, 10, UINT64_MAX, p) && parse_u64(colon + 1, 10, UINT64_MAX, b);
}

/* ":NAME POLICY [p:b]" */
static int
declare_chain(struct pctx *c, char **w, int n)
{
	const char *name = w[0] + 1;
	int idx;
	struct rule_chain *ch;
	bool builtin = false;

	if (c->table < 0)
		return perr(c, w[0], "chain declared outside a table");
	if (n < 2 || n > 3)
		return perr(c, w[0], "bad chain declaration");
	if (*name == '\0' || strlen(name) >= RULE_CHAIN_NAME_MAX)
		return perr(c, w[0], "bad chain name");
	idx = chain_find(c->rs, c->family, c->table, name);
	if (idx >= 0)
		builtin = c->rs->chains[idx].builtin;
	if (idx >= 0 && c->rs->chains[idx].declared)
		return perr(c, name, "chain declared twice");
	if (!builtin) {
		if (name[0] == '-' || name[0] == '!' || is_target_name(name))
			return perr(c, name, "bad chain name");
		if (strcmp(w[1], "-") != 0)
			return perr(c, w[1], "a user chain has no policy, want '-'");
		if (idx < 0)
			idx = chain_add(c, name, false);
		if (idx < 0)
			return idx;
	}
	ch = &c->rs->chains[idx];
	if (builtin) {
		if (strcmp(w[1], "ACCEPT") == 0)
			ch->policy = RT_ACCEPT;
		else if (strcmp(w[1], "DROP") == 0)
			ch->policy = RT_DROP;
		else
			return perr(c, w[1], "bad policy (ACCEPT or DROP)");
	}
	if (n == 3 && !parse_counters(w[2], &ch->base_pkts, &ch->base_bytes))
		return perr(c, w[2], "bad counters");
	ch->declared = 1;
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Matches. */

struct rctx {
	struct pctx *c;
	struct rule *r;
	uint32_t ridx;
	bool proto_set;
};

static struct rule_match *
match_add(struct rctx *x, enum rule_match_kind kind)
{
	struct ctg_rule_set *rs = x->c->rs;
	struct rule_match *m;

	if (grow((void **)&rs->matches, &rs->cap_matches, rs->nb_matches + 1, sizeof(*m)) != 0)
		return NULL;
	if (x->r->nb_match == 0)
		x->r->match_first = rs->nb_matches;
	m = &rs->matches[rs->nb_matches++];
	memset(m, 0, sizeof(*m));
	m->kind = (uint8_t)kind;
	x->r->nb_match++;
	switch (kind) {
	case RM_TCP:
	case RM_UDP:
		m->u.tcp.spt[1] = 65535;
		m->u.tcp.dpt[1] = 65535;
		break;
	case RM_ICMP:
	case RM_ICMP6:
		m->u.icmp.any = 1;
		m->u.icmp.type = 0xff;
		m->u.icmp.code[1] = 0xff;
		break;
	case RM_LENGTH:
		m->u.length.max = 65535;
		break;
	case RM_LIMIT:
		m->u.limit.avg = RULE_LIMIT_SCALE * 3600 / 3; /* 3/hour */
		m->u.limit.burst = 5;
		break;
	case RM_MARK:
	case RM_CONNMARK:
		m->u.mark.mask = UINT32_MAX;
		break;
	case RM_TTL:
	case RM_HL:
		m->u.ttl.op = RULE_TTL_NONE;
		break;
	case RM_MULTIPORT:
	case RM_STATE:
	case RM_CONNTRACK:
	case RM_IPRANGE:
	case RM_COMMENT:
	case RM_HELPER:
	case RM_DSCP:
	case RM_COUNT:
		break;
	}
	return m;
}

/* Returned by option handlers. */
#define OPT_UNKNOWN (-1000)

static const struct name_val tcp_flag_names[] = {
	{ "FIN", 0x01 }, { "SYN", 0x02 }, { "RST", 0x04 }, { "PSH", 0x08 }, { "ACK", 0x10 },
	{ "URG", 0x20 }, { "ECE", 0x40 }, { "CWR", 0x80 }, { "ALL", 0xff }, { "NONE", 0 },
	{ NULL, 0 },
};

static bool
parse_list(const char *s, const struct name_val *tab, uint32_t *out)
{
	char buf[256];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return false;
	strcpy(buf, s);
	*out = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		const struct name_val *n;

		for (n = tab; n->name != NULL; n++)
			if (strcasecmp(tok, n->name) == 0)
				break;
		if (n->name == NULL)
			return false;
		*out |= n->val;
	}
	return true;
}

static int
need_args(struct rctx *x, const char *opt, int avail, int want)
{
	if (avail < want)
		return perr(x->c, opt, "option needs an argument");
	return 0;
}

static int
opt_tcpudp(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	bool tcp = m->kind == RM_TCP;
	uint8_t proto = tcp ? 6 : 17;
	int rc;

	if (strcmp(opt, "--sport") == 0 || strcmp(opt, "--source-port") == 0 ||
			strcmp(opt, "--dport") == 0 || strcmp(opt, "--destination-port") == 0) {
		bool src = opt[2] == 's';

		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (!parse_port_range(a[0], proto, src ? m->u.tcp.spt : m->u.tcp.dpt))
			return perr(x->c, a[0], "bad port or port range");
		if (inv)
			m->inv |= src ? RULE_PINV_SPT : RULE_PINV_DPT;
		return 1;
	}
	if (!tcp)
		return OPT_UNKNOWN;
	if (strcmp(opt, "--syn") == 0) {
		m->u.tcp.flg_mask = 0x17; /* FIN,SYN,RST,ACK */
		m->u.tcp.flg_cmp = 0x02;
		if (inv)
			m->inv |= RULE_PINV_FLG;
		return 0;
	}
	if (strcmp(opt, "--tcp-flags") == 0) {
		uint32_t mask, cmp;

		if ((rc = need_args(x, opt, n, 2)) != 0)
			return rc;
		if (!parse_list(a[0], tcp_flag_names, &mask))
			return perr(x->c, a[0], "bad tcp flag list");
		if (!parse_list(a[1], tcp_flag_names, &cmp))
			return perr(x->c, a[1], "bad tcp flag list");
		m->u.tcp.flg_mask = (uint8_t)mask;
		m->u.tcp.flg_cmp = (uint8_t)cmp;
		if (inv)
			m->inv |= RULE_PINV_FLG;
		return 2;
	}
	if (strcmp(opt, "--tcp-option") == 0) {
		uint32_t v;

		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (!parse_u32(a[0], 10, 255, &v) || v == 0)
			return perr(x->c, a[0], "bad tcp option number");
		m->u.tcp.option = (uint8_t)v;
		if (inv)
			m->inv |= RULE_PINV_OPT;
		return 1;
	}
	return OPT_UNKNOWN;
}

static int
opt_icmp(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	bool v6 = m->kind == RM_ICMP6;
	int rc;

	if (strcmp(opt, v6 ? "--icmpv6-type" : "--icmp-type") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (!parse_icmp_type(a[0], v6, m))
		return perr(x->c, a[0], v6 ? "bad icmpv6 type" : "bad icmp type");
	m->inv = inv;
	return 1;
}

static int
opt_multiport(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	char buf[512];
	char *save = NULL;
	int rc, slots = 0;
	uint8_t k;

	if (strcmp(opt, "--sports") == 0 || strcmp(opt, "--source-ports") == 0)
		k = RULE_MP_SRC;
	else if (strcmp(opt, "--dports") == 0 || strcmp(opt, "--destination-ports") == 0)
		k = RULE_MP_DST;
	else if (strcmp(opt, "--ports") == 0)
		k = RULE_MP_ANY;
	else
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (m->u.mp.count != 0)
		return perr(x->c, opt, "multiport accepts only one port option");
	if (strlen(a[0]) >= sizeof(buf))
		return perr(x->c, a[0], "port list too long");
	strcpy(buf, a[0]);
	m->u.mp.kind = k;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		uint16_t pr[2];

		/* A range uses two of the kernel's 15 slots, a port one. */
		if (!parse_port_range(tok, x->r->proto, pr))
			return perr(x->c, a[0], "bad port list");
		slots += strchr(tok, ':') != NULL ? 2 : 1;
		if (slots > RULE_MULTIPORT_MAX)
			return perr(x->c, a[0], "too many ports specified (15 at most)");
		m->u.mp.ports[m->u.mp.count][0] = pr[0];
		m->u.mp.ports[m->u.mp.count][1] = pr[1];
		m->u.mp.count++;
	}
	if (m->u.mp.count == 0)
		return perr(x->c, a[0], "bad port list");
	m->inv = inv;
	return 1;
}

static const struct name_val state_names[] = {
	{ "INVALID", RULE_ST_INVALID },
	{ "NEW", RULE_ST_NEW },
	{ "ESTABLISHED", RULE_ST_ESTABLISHED },
	{ "RELATED", RULE_ST_RELATED },
	{ "UNTRACKED", RULE_ST_UNTRACKED },
	{ "SNAT", RULE_ST_SNAT },
	{ "DNAT", RULE_ST_DNAT },
	{ NULL, 0 },
};

static const struct name_val status_names[] = {
	{ "NONE", 0 },
	{ "EXPECTED", CTG_CT_S_EXPECTED },
	{ "SEEN_REPLY", CTG_CT_S_SEEN_REPLY },
	{ "ASSURED", CTG_CT_S_ASSURED },
	{ "CONFIRMED", CTG_CT_S_CONFIRMED },
	{ NULL, 0 },
};

static int
opt_state(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	uint32_t v;
	int rc;

	if (strcmp(opt, "--state") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (!parse_list(a[0], state_names, &v) || (v & (RULE_ST_SNAT | RULE_ST_DNAT)) != 0)
		return perr(x->c, a[0], "bad state list");
	m->u.state.mask = (uint16_t)v;
	m->inv = inv;
	return 1;
}

static int
opt_conntrack(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	static const char *const addr_opts[4] = { "--ctorigsrc", "--ctorigdst", "--ctreplsrc",
		"--ctrepldst" };
	static const char *const port_opts[4] = { "--ctorigsrcport", "--ctorigdstport",
		"--ctreplsrcport", "--ctrepldstport" };
	uint16_t flag = 0;
	uint32_t v;
	int rc;

	if ((rc = need_args(x, opt, n, 1)) != 0 && strncmp(opt, "--ct", 4) == 0)
		return rc;
	for (int i = 0; i < 4; i++) {
		if (strcmp(opt, addr_opts[i]) == 0) {
			if (!parse_addr_mask(x->c->family, a[0], &m->u.ct.addr[i], &m->u.ct.mask[i]))
				return perr(x->c, a[0], "bad address");
			*x->c->has_addr = true;
			flag = (uint16_t)(RULE_CT_ORIGSRC << i);
			goto done;
		}
		if (strcmp(opt, port_opts[i]) == 0) {
			if (!parse_port_range(a[0], 6, m->u.ct.port[i]))
				return perr(x->c, a[0], "bad port or port range");
			flag = (uint16_t)(RULE_CT_ORIGSRC_PORT << i);
			goto done;
		}
	}
	if (strcmp(opt, "--ctstate") == 0) {
		if (!parse_list(a[0], state_names, &v))
			return perr(x->c, a[0], "bad ctstate list");
		m->u.ct.state_mask = (uint16_t)v;
		flag = RULE_CT_STATE;
	} else if (strcmp(opt, "--ctproto") == 0) {
		if (!parse_proto(a[0], &m->u.ct.l4proto))
			return perr(x->c, a[0], "bad protocol");
		flag = RULE_CT_PROTO;
	} else if (strcmp(opt, "--ctstatus") == 0) {
		if (!parse_list(a[0], status_names, &v))
			return perr(x->c, a[0], "bad ctstatus list");
		m->u.ct.status_mask = v;
		flag = RULE_CT_STATUS;
	} else if (strcmp(opt, "--ctdir") == 0) {
		if (inv)
			return perr(x->c, opt, "--ctdir cannot be inverted");
		if (strcasecmp(a[0], "ORIGINAL") == 0)
			m->u.ct.dir = CTG_CT_DIR_ORIG;
		else if (strcasecmp(a[0], "REPLY") == 0)
			m->u.ct.dir = CTG_CT_DIR_REPLY;
		else
			return perr(x->c, a[0], "bad --ctdir (ORIGINAL or REPLY)");
		flag = RULE_CT_DIRECTION;
	} else if (strcmp(opt, "--ctexpire") == 0) {
		return perr(x->c, opt, "unsupported conntrack option");
	} else {
		return OPT_UNKNOWN;
	}
done:
	if (m->u.ct.flags & flag)
		return perr(x->c, opt, "option given twice");
	m->u.ct.flags |= flag;
	if (inv)
		m->u.ct.invflags |= flag;
	return 1;
}

static int
opt_iprange(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	char buf[128];
	char *dash;
	union ctg_addr *r;
	int rc;
	bool src;

	if (strcmp(opt, "--src-range") == 0)
		src = true;
	else if (strcmp(opt, "--dst-range") == 0)
		src = false;
	else
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (strlen(a[0]) >= sizeof(buf))
		return perr(x->c, a[0], "bad address range");
	strcpy(buf, a[0]);
	r = src ? m->u.iprange.src : m->u.iprange.dst;
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (!parse_addr(x->c->family, buf, &r[0]) ||
			!parse_addr(x->c->family, dash != NULL ? dash + 1 : buf, &r[1]))
		return perr(x->c, a[0], "bad address range");
	*x->c->has_addr = true;
	m->inv |= src ? RULE_PINV_SRCR : RULE_PINV_DSTR;
	if (inv)
		m->inv |= src ? RULE_PINV_SRC : RULE_PINV_DST;
	return 1;
}

static int
opt_length(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	char buf[64];
	char *colon;
	uint32_t lo, hi;
	int rc;

	if (strcmp(opt, "--length") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (strlen(a[0]) >= sizeof(buf))
		return perr(x->c, a[0], "bad length");
	strcpy(buf, a[0]);
	colon = strchr(buf, ':');
	if (colon != NULL)
		*colon = '\0';
	lo = 0;
	hi = 65535;
	if ((buf[0] != '\0' || colon == NULL) && !parse_u32(buf, 10, 65535, &lo))
		return perr(x->c, a[0], "bad length");
	if (colon == NULL)
		hi = lo;
	else if (colon[1] != '\0' && !parse_u32(colon + 1, 10, 65535, &hi))
		return perr(x->c, a[0], "bad length");
	if (lo > hi)
		return perr(x->c, a[0], "bad length range");
	m->u.length.min = (uint16_t)lo;
	m->u.length.max = (uint16_t)hi;
	m->inv = inv;
	return 1;
}

static int
opt_limit(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	static const struct {
		const char *unit;
		uint32_t mult;
	} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };
	int rc;

	if (strcmp(opt, "--limit") != 0 && strcmp(opt, "--limit-burst") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (inv)
		return perr(x->c, opt, "limit cannot be inverted");
	if (strcmp(opt, "--limit-burst") == 0) {
		if (!parse_u32(a[0], 10, 10000, &m->u.limit.burst))
			return perr(x->c, a[0], "bad --limit-burst (0..10000)");
		return 1;
	} else {
		char buf[64];
		char *slash;
		uint32_t r, mult = 1;

		if (strlen(a[0]) >= sizeof(buf))
			return perr(x->c, a[0], "bad rate");
		strcpy(buf, a[0]);
		slash = strchr(buf, '/');
		if (slash != NULL) {
			size_t l = strlen(slash + 1);
			size_t i;

			*slash = '\0';
			for (i = 0; i < CTG_ARRAY_SIZE(units); i++)
				if (l != 0 && strncasecmp(slash + 1, units[i].unit, l) == 0)
					break;
			if (i == CTG_ARRAY_SIZE(units))
				return perr(x->c, a[0], "bad rate unit");
			mult = units[i].mult;
		}
		if (!parse_u32(buf, 10, UINT32_MAX, &r) || r == 0)
			return perr(x->c, a[0], "bad rate");
		if ((uint64_t)RULE_LIMIT_SCALE * mult / r == 0)
			return perr(x->c, a[0], "rate too fast");
		m->u.limit.avg = (uint32_t)((uint64_t)RULE_LIMIT_SCALE * mult / r);
	}
	return 1;
}

/* -m ttl --ttl-eq/--ttl-lt/--ttl-gt N and -m hl --hl-eq/--hl-lt/--hl-gt N (xt_ttl, xt_hl). */
static int
opt_ttl(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	const char *pfx = m->kind == RM_TTL ? "--ttl-" : "--hl-";
	size_t pl = strlen(pfx);
	uint32_t v;
	int rc;

	if (strncmp(opt, pfx, pl) != 0)
		return OPT_UNKNOWN;
	if (strcmp(opt + pl, "eq") == 0)
		m->u.ttl.op = inv ? RULE_TTL_NE : RULE_TTL_EQ;
	else if (strcmp(opt + pl, "lt") == 0 && !inv)
		m->u.ttl.op = RULE_TTL_LT;
	else if (strcmp(opt + pl, "gt") == 0 && !inv)
		m->u.ttl.op = RULE_TTL_GT;
	else
		return inv ? perr(x->c, opt, "only --ttl-eq/--hl-eq can be negated") : OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (!parse_u32(a[0], 10, 255, &v))
		return perr(x->c, a[0], "bad TTL/hop limit value");
	m->u.ttl.value = (uint8_t)v;
	return 1;
}

/* -m dscp --dscp N (decimal or 0x hex, 0..63) or --dscp-class NAME (xt_dscp). */
static int
opt_dscp(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	static const struct name_val classes[] = {
		{ "CS0", 0 }, { "CS1", 8 }, { "CS2", 16 }, { "CS3", 24 }, { "CS4", 32 },
		{ "CS5", 40 }, { "CS6", 48 }, { "CS7", 56 }, { "BE", 0 }, { "AF11", 10 },
		{ "AF12", 12 }, { "AF13", 14 }, { "AF21", 18 }, { "AF22", 20 }, { "AF23", 22 },
		{ "AF31", 26 }, { "AF32", 28 }, { "AF33", 30 }, { "AF41", 34 }, { "AF42", 36 },
		{ "AF43", 38 }, { "EF", 46 },
	};
	uint32_t v = 0;
	int rc;

	if (strcmp(opt, "--dscp") != 0 && strcmp(opt, "--dscp-class") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (strcmp(opt, "--dscp") == 0) {
		if (!parse_u32(a[0], 0, 63, &v))
			return perr(x->c, a[0], "DSCP value out of range (0..63)");
	} else {
		size_t i;

		for (i = 0; i < CTG_ARRAY_SIZE(classes); i++)
			if (strcasecmp(a[0], classes[i].name) == 0)
				break;
		if (i == CTG_ARRAY_SIZE(classes))
			return perr(x->c, a[0], "unknown DSCP class");
		v = classes[i].val;
	}
	m->u.dscp.value = (uint8_t)v;
	m->u.dscp.given = 1;
	m->inv = inv;
	return 1;
}

static int
opt_simple(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	int rc;

	switch ((enum rule_match_kind)m->kind) {
	case RM_COMMENT:
		if (strcmp(opt, "--comment") != 0)
			return OPT_UNKNOWN;
		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (inv || strlen(a[0]) > 255)
			return perr(x->c, a[0], "bad comment");
		return 1;
	case RM_MARK:
	case RM_CONNMARK: {
		bool hm;

		if (strcmp(opt, "--mark") != 0)
			return OPT_UNKNOWN;
		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (!parse_mark(a[0], &m->u.mark.value, &m->u.mark.mask, &hm))
			return perr(x->c, a[0], "bad mark value[/mask]");
		m->u.mark.value &= m->u.mark.mask;
		m->inv = inv;
		return 1;
	}
	case RM_HELPER:
		if (strcmp(opt, "--helper") != 0)
			return OPT_UNKNOWN;
		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (strlen(a[0]) >= sizeof(m->u.helper.name))
			return perr(x->c, a[0], "helper name too long");
		strcpy(m->u.helper.name, a[0]);
		m->inv = inv;
		return 1;
	case RM_TCP:
	case RM_UDP:
	case RM_ICMP:
	case RM_ICMP6:
	case RM_MULTIPORT:
	case RM_STATE:
	case RM_CONNTRACK:
	case RM_IPRANGE:
	case RM_LENGTH:
	case RM_LIMIT:
	case RM_TTL:
	case RM_HL:
	case RM_DSCP:
	case RM_COUNT:
		break;
	}
	return OPT_UNKNOWN;
}

static int
match_opt(struct rctx *x, struct rule_match *m, const char *opt, bool inv, char **a, int n)
{
	switch ((enum rule_match_kind)m->kind) {
	case RM_TCP:
	case RM_UDP:
		return opt_tcpudp(x, m, opt, inv, a, n);
	case RM_ICMP:
	case RM_ICMP6:
		return opt_icmp(x, m, opt, inv, a, n);
	case RM_MULTIPORT:
		return opt_multiport(x, m, opt, inv, a, n);
	case RM_STATE:
		return opt_state(x, m, opt, inv, a, n);
	case RM_CONNTRACK:
		return opt_conntrack(x, m, opt, inv, a, n);
	case RM_IPRANGE:
		return opt_iprange(x, m, opt, inv, a, n);
	case RM_LENGTH:
		return opt_length(x, m, opt, inv, a, n);
	case RM_LIMIT:
		return opt_limit(x, m, opt, inv, a, n);
	case RM_TTL:
	case RM_HL:
		return opt_ttl(x, m, opt, inv, a, n);
	case RM_DSCP:
		return opt_dscp(x, m, opt, inv, a, n);
	case RM_COMMENT:
	case RM_MARK:
	case RM_CONNMARK:
	case RM_HELPER:
		return opt_simple(x, m, opt, inv, a, n);
	case RM_COUNT:
		break;
	}
	return OPT_UNKNOWN;
}

/* Checks at the end of the rule (the kernel's checkentry). */
static int
match_check(struct rctx *x, struct rule_match *m)
{
	struct rule *r = x->r;
	bool proto_ok;

	switch ((enum rule_match_kind)m->kind) {
	case RM_TCP:
	case RM_UDP:
	case RM_ICMP:
	case RM_ICMP6: {
		static const uint8_t need[] = { [RM_TCP] = 6, [RM_UDP] = 17, [RM_ICMP] = 1,
			[RM_ICMP6] = 58 };

		if (r->proto != need[m->kind] || (r->inv & RULE_INV_PROTO))
			return perr(x->c, match_names[m->kind],
					"match needs the matching -p (not inverted)");
		if (m->kind == RM_ICMP && r->family != 4)
			return perr(x->c, "icmp", "icmp match in an IPv6 table (use icmp6)");
		if (m->kind == RM_ICMP6 && r->family != 6)
			return perr(x->c, "icmp6", "icmp6 match in an IPv4 table");
		break;
	}
	case RM_MULTIPORT:
		proto_ok = proto_has_ports(r->proto) && !(r->inv & RULE_INV_PROTO);
		if (!proto_ok)
			return perr(x->c, "multiport",
					"multiport needs -p tcp, udp, udplite, sctp or dccp");
		if (m->u.mp.count == 0)
			return perr(x->c, "multiport", "multiport needs a port option");
		break;
	case RM_STATE:
		if (m->u.state.mask == 0)
			return perr(x->c, "state", "state match needs --state");
		break;
	case RM_CONNTRACK:
		if (m->u.ct.flags == 0)
			return perr(x->c, "conntrack", "conntrack match needs an option");
		break;
	case RM_IPRANGE:
		if ((m->inv & (RULE_PINV_SRCR | RULE_PINV_DSTR)) == 0)
			return perr(x->c, "iprange", "iprange needs --src-range or --dst-range");
		break;
	case RM_LIMIT: {
		struct rule_limit_check {
			uint32_t a, b;
		} ck;

		if (m->u.limit.burst == 0 ||
				(uint64_t)m->u.limit.avg * m->u.limit.burst > UINT32_MAX)
			return perr(x->c, "limit", "limit overflow, try a lower value");
		ck.a = rule_limit_user2credits(m->u.limit.avg * m->u.limit.burst);
		ck.b = rule_limit_user2credits(m->u.limit.avg);
		if (ck.a < ck.b)
			return perr(x->c, "limit", "limit overflow, try a lower value");
		m->u.limit.cap = ck.a;
		m->u.limit.cost = ck.b;
		m->u.limit.slot = x->c->rs->nb_limits++;
		break;
	}
	case RM_TTL:
	case RM_HL:
		if (m->u.ttl.op == RULE_TTL_NONE)
			return perr(x->c, m->kind == RM_TTL ? "ttl" : "hl",
					"needs --ttl-eq/--ttl-lt/--ttl-gt (--hl-* for hl)");
		if ((m->kind == RM_TTL) != (x->c->family == 4))
			return perr(x->c, m->kind == RM_TTL ? "ttl" : "hl",
					"ttl is an IPv4 match, hl its IPv6 counterpart");
		break;
	case RM_DSCP:
		if (!m->u.dscp.given)
			return perr(x->c, "dscp", "needs --dscp or --dscp-class");
		break;
	case RM_HELPER:
	case RM_LENGTH:
	case RM_COMMENT:
	case RM_MARK:
	case RM_CONNMARK:
	case RM_COUNT:
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Targets. */

static int
parse_target_name(struct rctx *x, const char *name, bool go)
{
	struct rule *r = x->r;
	static const char *const names[RT_COUNT] = {
#define RULE_X(n, s) [RT_##n] = s,
		RULE_TARGETS(RULE_X)
#undef RULE_X
	};

	if (r->target != RT_NONE)
		return perr(x->c, name, "more than one target");
	if (*name == '\0' || strlen(name) >= RULE_CHAIN_NAME_MAX)
		return perr(x->c, name, "bad target");
	for (int t = RT_ACCEPT; t < RT_COUNT && !go; t++) {
		if (names[t][0] != '\0' && strcmp(names[t], name) == 0) {
			r->target = (uint8_t)t;
			switch ((enum rule_target_kind)t) {
			case RT_REJECT:
				r->reject = r->family == 4 ? CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE
							   : CTG_RULE_REJECT_ICMP6_PORT_UNREACH;
				break;
			case RT_LOG:
				r->log_level = 4;
				break;
			case RT_NOTRACK:
				r->ct_notrack = 1;
				break;
			case RT_NONE:
			case RT_ACCEPT:
			case RT_DROP:
			case RT_RETURN:
			case RT_JUMP:
			case RT_GOTO:
			case RT_NFLOG:
			case RT_CT:
			case RT_MARK:
			case RT_CONNMARK:
			case RT_COUNT:
				break;
			}
			return 0;
		}
	}
	if (is_target_name(name))
		return perr(x->c, name, "unsupported target");
	if (name[0] == '-' || name[0] == '!')
		return perr(x->c, name, "bad target");
	r->target = go ? RT_GOTO : RT_JUMP;
	r->jump_name = strdup(name);
	if (r->jump_name == NULL)
		return -ENOMEM;
	return 0;
}

static const struct name_val log_levels[] = {
	{ "emerg", 0 },	  { "alert", 1 },  { "crit", 2 },   { "error", 3 }, { "err", 3 },
	{ "warning", 4 }, { "warn", 4 },   { "notice", 5 }, { "info", 6 },  { "debug", 7 },
	{ "panic", 0 },	  { NULL, 0 },
};

static int
set_prefix(struct rctx *x, const char *s, size_t max)
{
	if (strlen(s) > max)
		return perr(x->c, s, "prefix too long");
	free(x->r->log_prefix);
	x->r->log_prefix = strdup(s);
	return x->r->log_prefix == NULL ? -ENOMEM : 1;
}

static int
opt_mark_target(struct rctx *x, const char *opt, char **a, int n)
{
	struct rule *r = x->r;
	uint32_t v, m;
	bool hm;
	bool conn = r->target == RT_CONNMARK;
	int rc;

	if (strcmp(opt, "--save-mark") == 0 || strcmp(opt, "--restore-mark") == 0) {
		if (!conn)
			return OPT_UNKNOWN;
		r->connmark_mode = opt[2] == 's' ? 1 : 2;
		r->mark_mask = UINT32_MAX;
		r->nfmask = UINT32_MAX;
		return 0;
	}
	if (conn && (strcmp(opt, "--nfmask") == 0 || strcmp(opt, "--ctmask") == 0 ||
			    strcmp(opt, "--mask") == 0)) {
		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		if (!parse_u32(a[0], 0, UINT32_MAX, &v))
			return perr(x->c, a[0], "bad mask");
		if (opt[2] != 'c')
			r->nfmask = v;
		if (opt[2] != 'n')
			r->mark_mask = v;
		return 1;
	}
	if (strcmp(opt, "--set-xmark") != 0 && strcmp(opt, "--set-mark") != 0 &&
			strcmp(opt, "--and-mark") != 0 && strcmp(opt, "--or-mark") != 0 &&
			strcmp(opt, "--xor-mark") != 0)
		return OPT_UNKNOWN;
	if ((rc = need_args(x, opt, n, 1)) != 0)
		return rc;
	if (strcmp(opt, "--set-xmark") == 0 || strcmp(opt, "--set-mark") == 0) {
		if (!parse_mark(a[0], &v, &m, &hm))
			return perr(x->c, a[0], "bad value[/mask]");
		r->mark_value = v;
		r->mark_mask = opt[6] == 'x' ? m : (m | v);
	} else if (strcmp(opt, "--and-mark") == 0) {
		if (!parse_u32(a[0], 0, UINT32_MAX, &v))
			return perr(x->c, a[0], "bad value");
		r->mark_value = 0;
		r->mark_mask = ~v;
	} else if (strcmp(opt, "--or-mark") == 0) {
		if (!parse_u32(a[0], 0, UINT32_MAX, &v))
			return perr(x->c, a[0], "bad value");
		r->mark_value = v;
		r->mark_mask = v;
	} else if (strcmp(opt, "--xor-mark") == 0) {
		if (!parse_u32(a[0], 0, UINT32_MAX, &v))
			return perr(x->c, a[0], "bad value");
		r->mark_value = v;
		r->mark_mask = 0;
	} else {
		return OPT_UNKNOWN;
	}
	r->connmark_mode = 0;
	r->has_zone = 1; /* "a mark option was given" */
	return 1;
}

static int
target_opt(struct rctx *x, const char *opt, bool inv, char **a, int n)
{
	struct rule *r = x->r;
	uint32_t v;
	int rc;

	switch ((enum rule_target_kind)r->target) {
	case RT_REJECT:
		if (strcmp(opt, "--reject-with") != 0)
			return OPT_UNKNOWN;
		if ((rc = need_args(x, opt, n, 1)) != 0)
			return rc;
		for (const struct reject_name *rn = reject_names; rn->name != NULL; rn++) {
			if (strcmp(rn->name, a[0]) == 0 &&
					(rn->family == 0 || rn->family == r->family)) {
				r->reject = rn->type;
				return inv ? perr(x->c, opt, "cannot be inverted") : 1;
			}
		}
		return perr(x->c, a[0], "bad --reject-with type for this family");
	case RT_LOG:
		if (strcmp(opt, "--log-prefix") == 0) {
			if ((rc = need_args(x, opt, n, 1)) != 0)
				return rc;
			return set_prefix(x, a[0], 29);
		}
		if (strcmp(opt, "--log-level") == 0) {
			if ((rc = need_args(x, opt, n, 1)) != 0)
				return rc;
			if (parse_u32(a[0], 10, 7, &v)) {
				r->log_level = (uint8_t)v;
				return 1;
			}
			for (const struct name_val *l = log_levels; l->name != NULL; l++) {
				if (strcasecmp(l->name, a[0]) == 0) {
					r->log_level = (uint8_t)l->val;
					return 1;
				}
			}
			return perr(x->c, a[0], "bad log level");
		}
		if (strcmp(opt, "--log-tcp-sequence") == 0 || strcmp(opt, "--log-tcp-options") == 0 ||
				strcmp(opt, "--log-ip-options") == 0 || strcmp(opt, "--log-uid") == 0 ||
				strcmp(opt, "--log-macdecode") == 0)
			return 0;
		return OPT_UNKNOWN;
	case RT_NFLOG:
		if (strcmp(opt, "--nflog-prefix") == 0) {
			if ((rc = need_args(x, opt, n, 1)) != 0)
				return rc;
			return set_prefix(x, a[0], 63);
		}
		if (strcmp(opt, "--nflog-group") == 0 || strcmp(opt, "--nflog-range") == 0 ||
				strcmp(opt, "--nflog-size") == 0 ||
				strcmp(opt, "--nflog-threshold") == 0) {
			if ((rc = need_args(x, opt, n, 1)) != 0)
				return rc;
			if (!parse_u32(a[0], 10, UINT32_MAX, &v))
				return perr(x->c, a[0], "bad number");
			if (opt[8] == 'g') {
				if (v > UINT16_MAX)
					return perr(x->c, a[0], "bad NFLOG group");
				r->nflog_group = (uint16_t)v;
			}
			return 1;
		}
		return OPT_UNKNOWN;
	case RT_CT:
		if (strcmp(opt, "--notrack") == 0) {
			r->ct_notrack = 1;
			return 0;
		}
		if ((rc = need_args(x, opt, n, 1)) != 0 &&
				(strcmp(opt, "--zone") == 0 || strcmp(opt, "--helper") == 0))
			return rc;
		if (strcmp(opt, "--zone") == 0) {
			if (!parse_u32(a[0], 0, UINT16_MAX, &v))
				return perr(x->c, a[0], "bad zone");
			r->zone = (uint16_t)v;
			r->has_zone = 1;
			return 1;
		}
		if (strcmp(opt, "--helper") == 0) {
			if (strlen(a[0]) == 0 || strlen(a[0]) > 15 ||
					strspn(a[0], "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
							strlen(a[0]))
				return perr(x->c, a[0], "bad helper name");
			free(r->helper);
			r->helper = strdup(a[0]);
			return r->helper == NULL ? -ENOMEM : 1;
		}
		if (strncmp(opt, "--", 2) == 0 &&
				(strstr(opt, "zone") != NULL || strstr(opt, "events") != NULL ||
						strcmp(opt, "--timeout") == 0))
			return perr(x->c, opt, "unsupported CT option");
		return OPT_UNKNOWN;
	case RT_MARK:
	case RT_CONNMARK:
		if (inv)
			return OPT_UNKNOWN;
		return opt_mark_target(x, opt, a, n);
	case RT_NONE:
	case RT_ACCEPT:
	case RT_DROP:
	case RT_RETURN:
	case RT_JUMP:
	case RT_GOTO:
	case RT_NOTRACK:
	case RT_COUNT:
		break;
	}
	return OPT_UNKNOWN;
}

static int
target_check(struct rctx *x)
{
	struct rule *r = x->r;
	int table = x->c->table;

	switch ((enum rule_target_kind)r->target) {
	case RT_REJECT:
		if (table != RULE_TABLE_FILTER)
			return perr(x->c, "REJECT", "REJECT is only valid in the filter table");
		if (r->reject == CTG_RULE_REJECT_TCP_RESET &&
				(r->proto != 6 || (r->inv & RULE_INV_PROTO)))
			return perr(x->c, "tcp-reset", "tcp-reset needs -p tcp");
		break;
	case RT_NOTRACK:
	case RT_CT:
		if (table != RULE_TABLE_RAW)
			return perr(x->c, r->target == RT_CT ? "CT" : "NOTRACK",
					"target is only valid in the raw table");
		if (r->target == RT_CT && r->helper != NULL &&
				(r->proto == 0 || (r->inv & RULE_INV_PROTO)))
			return perr(x->c, r->helper, "CT --helper needs -p (not inverted)");
		if (r->target == RT_CT && r->ct_notrack && (r->helper != NULL || r->has_zone))
			return perr(x->c, "--notrack", "CT --notrack takes no other option");
		if (r->target == RT_CT && !r->ct_notrack && r->helper == NULL && !r->has_zone)
			return perr(x->c, "CT", "CT needs --notrack, --zone or --helper");
		break;
	case RT_MARK:
		if (!r->has_zone)
			return perr(x->c, "MARK", "MARK needs a mark option");
		r->has_zone = 0;
		break;
	case RT_CONNMARK:
		if (!r->has_zone && r->connmark_mode == 0)
			return perr(x->c, "CONNMARK", "CONNMARK needs a mark option");
		r->has_zone = 0;
		break;
	case RT_LOG:
	case RT_NFLOG:
		if (r->log_prefix == NULL) {
			r->log_prefix = strdup("");
			if (r->log_prefix == NULL)
				return -ENOMEM;
		}
		break;
	case RT_NONE:
	case RT_ACCEPT:
	case RT_DROP:
	case RT_RETURN:
	case RT_JUMP:
	case RT_GOTO:
	case RT_COUNT:
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Rule lines. */

static bool
is_ipopt(const char *w)
{
	static const char *const o[] = { "-p", "--protocol", "-s", "--source", "--src", "-d",
		"--destination", "--dst", "-i", "--in-interface", "-o", "--out-interface", "-f",
		"--fragment", NULL };

	for (int i = 0; o[i] != NULL; i++)
		if (strcmp(w, o[i]) == 0)
			return true;
	return false;
}

static bool
is_addr_literal(int family, const char *s)
{
	union ctg_addr a, m;

	(void)family;
	return parse_addr_mask(4, s, &a, &m) || parse_addr_mask(6, s, &a, &m);
}

/*
 * The IPv6 copy of an IPv4 rule (oracle _to_v6). @return the word count, 0 if the rule is
 * left out, negative on error.
 */
static int
mirror_words(struct pctx *c, char **w, int n)
{
	for (int i = 0; i < n; i++) {
		const char *nx = i + 1 < n ? w[i + 1] : NULL;

		if (nx == NULL)
			break;
		if ((strcmp(w[i], "-p") == 0 || strcmp(w[i], "--protocol") == 0) &&
				(strcmp(nx, "icmp") == 0 || strcmp(nx, "1") == 0)) {
			w[i + 1] = (char *)(uintptr_t)(strcmp(nx, "icmp") == 0 ? "ipv6-icmp" : "58");
			i++;
		} else if ((strcmp(w[i], "-m") == 0 || strcmp(w[i], "--match") == 0) &&
				strcmp(nx, "icmp") == 0) {
			w[i + 1] = (char *)(uintptr_t)"icmp6";
			i++;
		} else if ((strcmp(w[i], "-m") == 0 || strcmp(w[i], "--match") == 0) &&
				strcmp(nx, "ttl") == 0) {
			return 0; /* IPv4-only match: ip6tables has none, the rule is left out */
		} else if (strcmp(w[i], "--icmp-type") == 0) {
			const char *v6 = map_pair(icmp4_to_6, CTG_ARRAY_SIZE(icmp4_to_6), nx);

			if (v6 == NULL)
				return 0;
			w[i] = (char *)(uintptr_t)"--icmpv6-type";
			w[i + 1] = (char *)(uintptr_t)v6;
			i++;
		} else if (strcmp(w[i], "--reject-with") == 0) {
			const char *v6 = map_pair(reject4_to_6, CTG_ARRAY_SIZE(reject4_to_6), nx);

			if (v6 == NULL)
				return perr(c, nx, "--reject-with has no IPv6 equivalent; give an "
						   "IPv6 ruleset");
			w[i + 1] = (char *)(uintptr_t)v6;
			i++;
		}
	}
	return n;
}

static int
rule_line(struct pctx *c, char **w, int n)
{
	struct ctg_rule_set *rs = c->rs;
	struct rctx x = { .c = c };
	struct rule *r;
	struct rule_chain *ch;
	uint64_t cp = 0, cb = 0;
	bool has_counters = false;
	char text[LINE_MAX_LEN];
	size_t tlen = 0;
	int i = 0, chain, insert_at = -1;
	bool inv = false;
	int rc;

	text[0] = '\0';
	if (n > 0 && w[0][0] == '[') {
		if (!parse_counters(w[0], &cp, &cb))
			return perr(c, w[0], "bad counters");
		has_counters = true;
		i++;
	}
	if (i + 2 < n && strcmp(w[i], "-c") == 0) {
		if (!parse_u64(w[i + 1], 10, UINT64_MAX, &cp) ||
				!parse_u64(w[i + 2], 10, UINT64_MAX, &cb))
			return perr(c, w[i], "bad counters after");
		has_counters = true;
		i += 3;
	}
	if (i >= n)
		return perr(c, NULL, "empty rule");
	if (strcmp(w[i], "-A") == 0 || strcmp(w[i], "--append") == 0) {
		insert_at = -1;
	} else if (strcmp(w[i], "-I") == 0 || strcmp(w[i], "--insert") == 0) {
		insert_at = 0;
	} else {
		return perr(c, w[i], "unsupported command (want -A or -I)");
	}
	if (c->table < 0)
		return perr(c, w[i], "rule outside a table");
	if (i + 1 >= n)
		return perr(c, w[i], "chain name missing after");
	chain = chain_find(rs, c->family, c->table, w[i + 1]);
	if (chain < 0)
		return perr(c, w[i + 1], "no such chain");
	i += 2;
	if (insert_at == 0 && i < n) {
		uint32_t pos;

		if (parse_u32(w[i], 10, UINT32_MAX, &pos)) {
			if (pos == 0 || pos > rs->chains[chain].tmp_nb + 1)
				return perr(c, w[i], "bad rule position");
			insert_at = (int)pos - 1;
			i++;
		}
	}
	if (c->mirror) {
		rc = mirror_words(c, w + i, n - i);
		if (rc <= 0)
			return rc;
	}

	if (grow((void **)&rs->rules, &rs->cap_rules, rs->nb_rules + 1, sizeof(*r)) != 0)
		return -ENOMEM;
	x.ridx = rs->nb_rules++;
	r = &rs->rules[x.ridx];
	memset(r, 0, sizeof(*r));
	x.r = r;
	r->line = c->line;
	r->family = (uint8_t)c->family;
	r->chain = (uint16_t)chain;
	r->target = RT_NONE;

	for (; i < n; i++) {
		const char *o = w[i];
		int avail = n - i - 1;
		char **args = w + i + 1;
		bool was_inv = inv;

		if (strcmp(o, "!") == 0) {
			if (inv)
				return perr(c, o, "double negation");
			inv = true;
			continue;
		}
		inv = false;
		if (strcmp(o, "-c") == 0 || strcmp(o, "--set-counters") == 0) {
			if (avail < 2 || !parse_u64(args[0], 10, UINT64_MAX, &cp) ||
					!parse_u64(args[1], 10, UINT64_MAX, &cb))
				return perr(c, o, "bad counters after");
			has_counters = true;
			i += 2;
			continue;
		}
		if (is_ipopt(o) && r->target == RT_NONE) {
			bool flag = strcmp(o, "-f") == 0 || strcmp(o, "--fragment") == 0;

			if (!flag && avail < 1)
				return perr(c, o, "option needs an argument");
			if (was_inv)
				text_append(text, sizeof(text), &tlen, "!");
			if (o[1] == 'p' || strcmp(o, "--protocol") == 0) {
				if (x.proto_set)
					return perr(c, o, "multiple -p flags");
				if (!parse_proto(args[0], &r->proto))
					return perr(c, args[0], "unknown protocol");
				x.proto_set = true;
				if (was_inv)
					r->inv |= RULE_INV_PROTO;
			} else if (o[1] == 's' || o[1] == 'd' || strncmp(o, "--s", 3) == 0 ||
					strncmp(o, "--d", 3) == 0) {
				bool src = o[1] == 's' || o[2] == 's';
				union ctg_addr *a = src ? &r->src : &r->dst;
				union ctg_addr *m = src ? &r->smask : &r->dmask;

				if (strchr(args[0], ',') != NULL)
					return perr(c, args[0], "address lists are not supported");
				if (!parse_addr_mask(c->family, args[0], a, m))
					return perr(c, args[0], is_addr_literal(c->family, args[0])
									? "address of the wrong family"
									: "bad address (host names are not "
									  "supported)");
				*c->has_addr = true;
				if (was_inv)
					r->inv |= src ? RULE_INV_SRC : RULE_INV_DST;
			} else if (o[1] == 'i' || o[1] == 'o' || strncmp(o, "--in", 4) == 0 ||
					strncmp(o, "--out", 5) == 0) {
				bool in = o[1] == 'i' || o[2] == 'i';

				if (c->opts != NULL && c->opts->port_names == NULL &&
						!c->opts->ignore_interfaces)
					return perr(c, o, "interfaces are not known here");
				if (!parse_iface(c, args[0], in ? &r->in_mask : &r->out_mask))
					return perr(c, args[0], "bad interface name");
				/* Replay mode: dropped with its '!', as the oracle does. */
				if (c->opts == NULL || c->opts->ignore_interfaces)
					;
				else if (in)
					r->has_in = 1;
				else
					r->has_out = 1;
				if (was_inv && r->has_in + r->has_out != 0)
					r->inv |= in ? RULE_INV_IN : RULE_INV_OUT;
				snprintf(in ? r->in_name : r->out_name, sizeof(r->in_name), "%s%s",
						was_inv ? "!" : "", args[0]);
			} else {
				if (c->family == 6)
					return perr(c, o, "-f is not supported by ip6tables");
				r->frag = 1;
				if (was_inv)
					r->inv |= RULE_INV_FRAG;
			}
			text_append(text, sizeof(text), &tlen, o);
			if (!flag) {
				text_append(text, sizeof(text), &tlen, args[0]);
				i++;
			}
			continue;
		}
		if (strcmp(o, "-m") == 0 || strcmp(o, "--match") == 0) {
			int k;

			if (was_inv)
				return perr(c, o, "'!' before -m");
			if (avail < 1)
				return perr(c, o, "option needs an argument");
			for (k = 0; k < RM_COUNT; k++)
				if (strcmp(match_names[k], args[0]) == 0)
					break;
			if (k == RM_COUNT)
				return perr(c, args[0], "unsupported match");
			if (match_add(&x, (enum rule_match_kind)k) == NULL)
				return -ENOMEM;
			text_append(text, sizeof(text), &tlen, o);
			text_append(text, sizeof(text), &tlen, args[0]);
			i++;
			continue;
		}
		if (strcmp(o, "-j") == 0 || strcmp(o, "--jump") == 0 || strcmp(o, "-g") == 0 ||
				strcmp(o, "--goto") == 0) {
			if (was_inv)
				return perr(c, o, "'!' before the target");
			if (avail < 1)
				return perr(c, o, "option needs an argument");
			rc = parse_target_name(&x, args[0], o[1] == 'g' || o[2] == 'g');
			if (rc != 0)
				return rc;
			text_append(text, sizeof(text), &tlen, o);
			text_append(text, sizeof(text), &tlen, args[0]);
			i++;
			continue;
		}
		if (strncmp(o, "--", 2) != 0 || o[2] == '\0')
			return perr(c, o, "unexpected word");
		/* An option of the target, of a loaded match, or of the implicit proto match. */
		rc = OPT_UNKNOWN;
		if (r->target != RT_NONE)
			rc = target_opt(&x, o, was_inv, args, avail);
		for (int k = (int)r->nb_match - 1; k >= 0 && rc == OPT_UNKNOWN; k--)
			rc = match_opt(&x, &rs->matches[r->match_first + (uint32_t)k], o, was_inv,
					args, avail);
		if (rc == OPT_UNKNOWN && x.proto_set && !(r->inv & RULE_INV_PROTO)) {
			enum rule_match_kind k = RM_COUNT;

			if (r->proto == 6)
				k = RM_TCP;
			else if (r->proto == 17)
				k = RM_UDP;
			else if (r->proto == 1 && c->family == 4)
				k = RM_ICMP;
			else if (r->proto == 58 && c->family == 6)
				k = RM_ICMP6;
			if (k != RM_COUNT) {
				struct rule_match *m = match_add(&x, k);

				if (m == NULL)
					return -ENOMEM;
				rc = match_opt(&x, m, o, was_inv, args, avail);
				if (rc == OPT_UNKNOWN) {
					x.r->nb_match--;
					rs->nb_matches--;
				} else {
					text_append(text, sizeof(text), &tlen, "-m");
					text_append(text, sizeof(text), &tlen, match_names[k]);
				}
			}
		}
		if (rc == OPT_UNKNOWN)
			return perr(c, o, "unknown or unsupported option");
		if (rc < 0)
			return rc;
		if (was_inv)
			text_append(text, sizeof(text), &tlen, "!");
		text_append(text, sizeof(text), &tlen, o);
		for (int k = 0; k < rc; k++)
			text_append(text, sizeof(text), &tlen, args[k]);
		i += rc;
	}
	if (inv)
		return perr(c, "!", "dangling");
	for (uint32_t k = 0; k < r->nb_match; k++) {
		rc = match_check(&x, &rs->matches[r->match_first + k]);
		if (rc != 0)
			return rc;
	}
	rc = target_check(&x);
	if (rc != 0)
		return rc;
	if (has_counters) {
		r->base_pkts = cp;
		r->base_bytes = cb;
	}
	r->text = strdup(text);
	if (r->text == NULL)
		return -ENOMEM;

	ch = &rs->chains[chain];
	if (grow((void **)&ch->tmp, &ch->tmp_cap, ch->tmp_nb + 1, sizeof(uint32_t)) != 0)
		return -ENOMEM;
	if (insert_at < 0) {
		ch->tmp[ch->tmp_nb++] = x.ridx;
	} else {
		memmove(&ch->tmp[insert_at + 1], &ch->tmp[insert_at],
				(ch->tmp_nb - (uint32_t)insert_at) * sizeof(uint32_t));
		ch->tmp[insert_at] = x.ridx;
		ch->tmp_nb++;
	}
	return 0;
}

/* COMMIT: resolve jump targets of this table. */
static int
commit_table(struct pctx *c)
{
	struct ctg_rule_set *rs = c->rs;

	for (uint32_t i = 0; i < rs->nb_rules; i++) {
		struct rule *r = &rs->rules[i];
		const struct rule_chain *from = &rs->chains[r->chain];
		int t;

		if (r->jump_name == NULL || from->family != c->family || from->table != c->table)
			continue;
		t = chain_find(rs, c->family, c->table, r->jump_name);
		if (t < 0 || rs->chains[t].builtin) {
			c->line = r->line;
			return perr(c, r->jump_name,
					t < 0 ? "no such chain or target" : "cannot jump to a built-in chain");
		}
		r->jump = (uint32_t)t;
		free(r->jump_name);
		r->jump_name = NULL;
	}
	c->table = -1;
	return 0;
}

int
rule_parse_text(struct ctg_rule_set *rs, const char *text, const char *name, int family,
		bool mirror, const struct ctg_rule_load_opts *opts, bool *has_addr, char *err,
		size_t errlen)
{
	struct pctx c = {
		.rs = rs,
		.opts = opts,
		.name = name,
		.family = family,
		.fam_idx = family == 4 ? 0 : 1,
		.mirror = mirror,
		.has_addr = has_addr,
		.table = -1,
		.err = err,
		.errlen = errlen,
	};
	char *line, *words_buf;
	char *w[MAX_WORDS];
	const char *p = text;
	int rc = 0;

	*has_addr = false;
	line = malloc(LINE_MAX_LEN);
	words_buf = malloc(LINE_MAX_LEN + MAX_WORDS);
	if (line == NULL || words_buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		char *s;
		int n;

		c.line++;
		if (len >= LINE_MAX_LEN) {
			rc = perr(&c, NULL, "line too long");
			goto out;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (eol != NULL ? 1 : 0);
		if (memchr(line, '\0', len) != NULL && strlen(line) != len) {
			rc = perr(&c, NULL, "NUL byte in line");
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
						  line[len - 1] == '\t'))
			line[--len] = '\0';
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '*') {
			rc = open_table(&c, s + 1);
			if (rc != 0)
				goto out;
			continue;
		}
		if (strcmp(s, "COMMIT") == 0) {
			if (c.table < 0) {
				rc = perr(&c, s, "no table open for");
				goto out;
			}
			rc = commit_table(&c);
			if (rc != 0)
				goto out;
			continue;
		}
		n = split_words(s, words_buf, LINE_MAX_LEN + MAX_WORDS, w, MAX_WORDS);
		if (n < 0) {
			rc = perr(&c, NULL, "unterminated quote or too many words");
			goto out;
		}
		if (*s == ':')
			rc = declare_chain(&c, w, n);
		else
			rc = rule_line(&c, w, n);
		if (rc != 0)
			goto out;
	}
	if (c.table >= 0) {
		c.line++;
		rc = perr(&c, NULL, "COMMIT expected at end of file");
	}
out:
	free(line);
	free(words_buf);
	return rc;
}
