/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser tests: every supported match and target in a good file; a table of bad lines,
 * each of which must fail the whole load with "file:line: ... 'token'"; counters read
 * from the file; save -> load round trip; the oracle's IPv6 copy rules.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctg_rule.h"
#include "ctg_test.h"

static const char good4[] =
	"# every supported match and target\n"
	"*raw\n"
	":PREROUTING ACCEPT [1:2]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack\n"
	"-A PREROUTING -p udp -m udp --sport 53 -j NOTRACK\n"
	"-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
	"-A PREROUTING -s 10.0.0.0/8 -j CT --zone 7\n"
	"-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff\n"
	"COMMIT\n"
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD DROP [10:2000]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":svc - [0:0]\n"
	":other - [0:0]\n"
	"[3:180] -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-c 4 240 -A FORWARD -s 192.0.2.0/24 ! -d 198.51.100.0/255.255.255.0 -p tcp -j svc\n"
	"-A FORWARD -i eth0 -o eth1 -p tcp -m tcp --sport 1024:65535 ! --dport 22 -j ACCEPT\n"
	"-A FORWARD ! -i eth0 ! -o eth+ -g other\n"
	"-A FORWARD -p 17 -m multiport --dports 53,123,1000:2000 -j ACCEPT\n"
	"-A FORWARD -p udp -m multiport ! --sports 1:2 -j ACCEPT\n"
	"-A FORWARD -p tcp -m multiport --ports 80,443 -j ACCEPT\n"
	"-A FORWARD -m state --state NEW,UNTRACKED -j LOG --log-prefix \"new: \" --log-level 6\n"
	"-A FORWARD -m state ! --state INVALID -j NFLOG --nflog-group 3 --nflog-prefix x\n"
	"-A FORWARD -m conntrack --ctstatus SEEN_REPLY,ASSURED --ctdir REPLY -j ACCEPT\n"
	"-A FORWARD -m conntrack ! --ctstatus NONE,EXPECTED,CONFIRMED -j ACCEPT\n"
	"-A FORWARD -m conntrack --ctstate SNAT,DNAT,INVALID,NEW,UNTRACKED --ctproto tcp -j DROP\n"
	"-A FORWARD -m conntrack --ctorigsrc 10.0.0.1 --ctorigdst 10.0.0.0/8 -j ACCEPT\n"
	"-A FORWARD -m conntrack ! --ctreplsrc 10.0.0.1/32 --ctrepldst 10.1.0.0/16 -j ACCEPT\n"
	"-A FORWARD -m conntrack --ctorigsrcport 1 --ctorigdstport 2:3 --ctreplsrcport 4 "
	"! --ctrepldstport 5 -j ACCEPT\n"
	"-A FORWARD -p tcp --syn -j ACCEPT\n"
	"-A FORWARD -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP\n"
	"-A FORWARD -p tcp -m tcp --tcp-flags ALL NONE --tcp-option 2 -j DROP\n"
	"-A FORWARD -p tcp -m tcp ! --tcp-option 8 -j REJECT --reject-with tcp-reset\n"
	"-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
	"-A FORWARD -p icmp -m icmp --icmp-type 3/4 -j ACCEPT\n"
	"-A FORWARD -p icmp --icmp-type echo-request -j ACCEPT\n"
	"-A FORWARD -p icmp -m icmp ! --icmp-type any -j ACCEPT\n"
	"-A FORWARD -m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 10.0.1.1-10.0.1.2 "
	"-j ACCEPT\n"
	"-A FORWARD -m length --length 0:100 -j ACCEPT\n"
	"-A FORWARD -m length ! --length 1500 -j ACCEPT\n"
	"-A FORWARD -m ttl --ttl-lt 10 -j DROP\n"
	"-A FORWARD -m ttl ! --ttl-eq 64 -j ACCEPT\n"
	"-A FORWARD -m dscp --dscp 0x2e -j ACCEPT\n"
	"-A FORWARD -m dscp ! --dscp-class AF41 -j ACCEPT\n"
	"-A FORWARD -m limit --limit 5/sec --limit-burst 10 -j LOG\n"
	"-A FORWARD -m limit --limit 3/hour -j ACCEPT\n"
	"-A FORWARD -m comment --comment \"a \\\"quoted\\\" comment\" -j ACCEPT\n"
	"-A FORWARD -m mark --mark 0x1/0xff -m connmark ! --mark 2 -j ACCEPT\n"
	"-A FORWARD -m helper --helper ftp -j ACCEPT\n"
	"-A FORWARD -m helper ! --helper \"\" -j ACCEPT\n"
	"-A FORWARD -j MARK --set-mark 5\n"
	"-A FORWARD -j MARK --and-mark 0xf0\n"
	"-A FORWARD -j MARK --or-mark 0x3\n"
	"-A FORWARD -j MARK --xor-mark 0x3\n"
	"-A FORWARD -j CONNMARK --set-xmark 0x4/0xff\n"
	"-A FORWARD -j CONNMARK --set-mark 0x4\n"
	"-A FORWARD -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff\n"
	"-A FORWARD -j CONNMARK --restore-mark --mask 0xf\n"
	"-A FORWARD -p udp -j REJECT --reject-with icmp-port-unreachable\n"
	"-A FORWARD -j REJECT --reject-with icmp-net-unreachable\n"
	"-A FORWARD -j REJECT --reject-with icmp-host-unreachable\n"
	"-A FORWARD -j REJECT --reject-with icmp-proto-unreachable\n"
	"-A FORWARD -j REJECT --reject-with icmp-net-prohibited\n"
	"-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n"
	"-A FORWARD -j REJECT --reject-with icmp-admin-prohibited\n"
	"-A FORWARD -f -j DROP\n"
	"-A FORWARD -p tcp -m tcp --dport ssh -j ACCEPT\n"
	"-A FORWARD\n"
	"-I FORWARD 1 -p esp -j ACCEPT\n"
	"-A svc -p tcp -m tcp --dport 22 -j RETURN\n"
	"-A svc -j ACCEPT\n"
	"-A other -j RETURN\n"
	"COMMIT\n";

static const char *const ports[] = { "eth0", "eth1" };

static int
test_good_file(void)
{
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4, .port_names = ports,
		.nb_ports = 2 };
	struct ctg_rule_set *rs = NULL;
	char err[256] = "";
	int rc = ctg_rule_set_load_str(good4, "good.rules", &o, &rs, err, sizeof(err));
	struct ctg_rule_info info;

	CTG_ASSERT(rc == 0, "load failed: %d %s", rc, err);
	CTG_ASSERT_EQ(ctg_rule_set_nb_rules(rs), 63);
	CTG_ASSERT(ctg_rule_set_filters(rs, 4), "v4");
	CTG_ASSERT(!ctg_rule_set_filters(rs, 6), "family IPV4 does not filter IPv6");
	CTG_ASSERT(ctg_rule_set_hook_used(rs, 4, CTG_RULE_FILTER_FORWARD), "fwd");
	/* -I FORWARD 1 puts the esp rule first: rule 5 (after the 5 raw ones). */
	CTG_ASSERT_EQ(ctg_rule_info_get(rs, 5, &info), 0);
	CTG_ASSERT_EQ(info.line, 71);
	CTG_ASSERT(strcmp(info.chain, "FORWARD") == 0 && strcmp(info.table, "filter") == 0,
			"%s %s", info.table, info.chain);
	ctg_rule_set_free(rs);
	return 0;
}

struct bad {
	const char *line; /* put in FORWARD's table at line 6 */
	const char *want; /* substring of the error */
};

static const struct bad bad_lines[] = {
	{ "-A FORWARD -m nosuch -j ACCEPT", ":6: unsupported match 'nosuch'" },
	{ "-A FORWARD -j NOSUCHCHAIN", ":6: no such chain or target 'NOSUCHCHAIN'" },
	{ "-A FORWARD -j SNAT", ":6: unsupported target 'SNAT'" },
	{ "-A FORWARD -m tcp --dport 22 -j ACCEPT", ":6: match needs the matching -p" },
	{ "-A FORWARD ! -p tcp -m tcp --dport 22", "match needs the matching -p" },
	{ "-A FORWARD -p udp --syn", ":6: unknown or unsupported option '--syn'" },
	{ "-A FORWARD -p tcp --dport 99999", ":6: bad port or port range '99999'" },
	{ "-A FORWARD -p tcp --dport 5:4", "bad port or port range '5:4'" },
	{ "-A FORWARD -s 300.1.1.1", ":6: bad address" },
	{ "-A FORWARD -s 2001:db8::1", "address of the wrong family '2001:db8::1'" },
	{ "-A FORWARD -s host.example", "host names are not supported" },
	{ "-A FORWARD -s 1.2.3.4,5.6.7.8", "address lists are not supported" },
	{ "-A FORWARD -p nosuchproto", "unknown protocol 'nosuchproto'" },
	{ "-A FORWARD -p tcp -p udp", "multiple -p flags '-p'" },
	{ "-A FORWARD -j NOTRACK", "target is only valid in the raw table 'NOTRACK'" },
	{ "-A FORWARD -j CT --notrack", "only valid in the raw table 'CT'" },
	{ "-A FORWARD -j REJECT --reject-with tcp-reset", "tcp-reset needs -p tcp 'tcp-reset'" },
	{ "-A FORWARD -j REJECT --reject-with icmp6-no-route", "bad --reject-with type" },
	{ "-A FORWARD -j REJECT --reject-with bogus", "'bogus'" },
	{ "-A FORWARD -m state --state BOGUS", "bad state list 'BOGUS'" },
	{ "-A FORWARD -m conntrack --ctstate NEW,FOO", "bad ctstate list 'NEW,FOO'" },
	{ "-A FORWARD -m conntrack --ctstatus BOGUS", "bad ctstatus list" },
	{ "-A FORWARD -m conntrack --ctdir SIDEWAYS", "bad --ctdir" },
	{ "-A FORWARD -m conntrack --ctexpire 10", "unsupported conntrack option '--ctexpire'" },
	{ "-A FORWARD -m conntrack", "conntrack match needs an option" },
	{ "-A FORWARD -m state", "state match needs --state" },
	{ "-A FORWARD -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
		"too many ports" },
	{ "-A FORWARD -p icmp -m multiport --dports 1", "multiport needs -p" },
	{ "-A FORWARD -p icmp --icmp-type bogus", "bad icmp type 'bogus'" },
	{ "-A FORWARD -p icmp -m icmp6 --icmpv6-type 1", "icmp6" },
	{ "-A FORWARD -m limit --limit 0/sec", "bad rate '0/sec'" },
	{ "-A FORWARD -m limit --limit 5/fortnight", "bad rate unit" },
	{ "-A FORWARD -m limit --limit-burst 0", "limit overflow" },
	{ "-A FORWARD -m mark --mark zz", "bad mark value[/mask] 'zz'" },
	{ "-A FORWARD -j MARK", "MARK needs a mark option" },
	{ "-A FORWARD -j LOG --log-prefix 123456789012345678901234567890", "prefix too long" },
	{ "-A FORWARD -j LOG --log-level 9", "bad log level '9'" },
	{ "-A FORWARD -j ACCEPT -j DROP", "more than one target 'DROP'" },
	{ "-A FORWARD -m iprange --src-range 1.2.3.4-x", "bad address range" },
	{ "-A FORWARD -m length --length 9:1", "bad length range" },
	{ "-A FORWARD -m ttl -j DROP", "needs --ttl-eq" },
	{ "-A FORWARD -m ttl ! --ttl-lt 3 -j DROP", "only --ttl-eq/--hl-eq can be negated" },
	{ "-A FORWARD -m ttl --ttl-gt 256 -j DROP", "bad TTL/hop limit value" },
	{ "-A FORWARD -m hl --hl-eq 3 -j DROP", "ttl is an IPv4 match" },
	{ "-A FORWARD -m dscp --dscp 64 -j DROP", "DSCP value out of range" },
	{ "-A FORWARD -m dscp --dscp-class XX -j DROP", "unknown DSCP class" },
	{ "-A FORWARD -m dscp -j DROP", "needs --dscp" },
	{ "-A FORWARD bogus", ":6: unexpected word 'bogus'" },
	{ "-A FORWARD ! ! -p tcp", "double negation '!'" },
	{ "-A FORWARD -p tcp !", "dangling '!'" },
	{ "-A FORWARD -i", "option needs an argument '-i'" },
	{ "-A NOCHAIN -j ACCEPT", ":6: no such chain 'NOCHAIN'" },
	{ "-D FORWARD 1", ":6: unsupported command (want -A or -I) '-D'" },
	{ "-A FORWARD -j FORWARD", "cannot jump to a built-in chain 'FORWARD'" },
	{ "-A FORWARD -m comment --comment \"unterminated", "unterminated quote" },
	{ "*nat", ":6: COMMIT expected before 'nat'" },
	{ ":user ACCEPT [0:0]", "a user chain has no policy" },
	{ ":ACCEPT - [0:0]", "bad chain name 'ACCEPT'" },
	{ "-A FORWARD -c 1", "bad counters after '-c'" },
	{ "[1:x] -A FORWARD", "bad counters '[1:x]'" },
	{ "-A FORWARD -i eth9 -j ACCEPT", NULL }, /* unknown interface: accepted */
};

static int
test_bad_lines(void)
{
	for (size_t i = 0; i < CTG_ARRAY_SIZE(bad_lines); i++) {
		char text[1024], err[512] = "";
		struct ctg_rule_set *rs = NULL;
		struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4,
			.port_names = ports, .nb_ports = 2 };
		int rc;

		snprintf(text, sizeof(text),
				"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
				":OUTPUT ACCEPT [0:0]\n-A FORWARD -j ACCEPT\n%s\nCOMMIT\n",
				bad_lines[i].line);
		rc = ctg_rule_set_load_str(text, "bad.rules", &o, &rs, err, sizeof(err));
		if (bad_lines[i].want == NULL) {
			CTG_ASSERT(rc == 0, "line %zu '%s' should load: %s", i, bad_lines[i].line,
					err);
			ctg_rule_set_free(rs);
			continue;
		}
		CTG_ASSERT(rc == -EINVAL && rs == NULL, "line %zu '%s' loaded (rc %d)", i,
				bad_lines[i].line, rc);
		CTG_ASSERT(strncmp(err, "bad.rules:", 10) == 0 &&
				strstr(err, bad_lines[i].want) != NULL,
				"line %zu: error '%s' lacks '%s'", i, err, bad_lines[i].want);
	}
	return 0;
}

static int
test_bad_structure(void)
{
	static const struct bad files[] = {
		{ "*filter\n:FORWARD ACCEPT [0:0]\n", ":3: COMMIT expected at end of file" },
		{ "-A FORWARD -j ACCEPT\n", ":1: rule outside a table" },
		{ "COMMIT\n", ":1: no table open for 'COMMIT'" },
		{ "*mangle\nCOMMIT\n", ":1: unsupported table (only filter and raw) 'mangle'" },
		{ "*filter\nCOMMIT\n*filter\nCOMMIT\n", ":3: table given twice 'filter'" },
		{ "*raw\n-A PREROUTING -j REJECT\nCOMMIT\n", "REJECT is only valid in the filter" },
		{ "*raw\n-A PREROUTING -j CT --helper ftp\nCOMMIT\n", "CT --helper needs -p" },
		{ "*raw\n-A PREROUTING -j CT --zone-orig 1\nCOMMIT\n", "unsupported CT option" },
		{ "*filter\n:a - [0:0]\n:b - [0:0]\n-A a -j b\n-A b -g a\nCOMMIT\n", "jump loop" },
		{ "*filter\n:a - [0:0]\n:a - [0:0]\nCOMMIT\n", ":3: chain declared twice 'a'" },
		{ "*filter\n:FORWARD BOGUS [0:0]\nCOMMIT\n", ":2: bad policy (ACCEPT or DROP) 'BOGUS'" },
	};

	for (size_t i = 0; i < CTG_ARRAY_SIZE(files); i++) {
		char err[512] = "";
		struct ctg_rule_set *rs = NULL;
		int rc = ctg_rule_set_load_str(files[i].line, "f.rules", NULL, &rs, err, sizeof(err));

		CTG_ASSERT(rc < 0 && rs == NULL, "file %zu loaded", i);
		CTG_ASSERT(strstr(err, files[i].want) != NULL, "file %zu: '%s' lacks '%s'", i, err,
				files[i].want);
	}
	return 0;
}

static int
test_interfaces(void)
{
	const char *t = "*filter\n-A FORWARD -i eth0 -j DROP\nCOMMIT\n";
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4 };
	struct ctg_rule_set *rs = NULL;
	char err[256] = "";

	/* No port names and not in replay mode: -i is an error. */
	CTG_ASSERT_EQ(ctg_rule_set_load_str(t, "i.rules", &o, &rs, err, sizeof(err)), -EINVAL);
	CTG_ASSERT(strstr(err, "i.rules:2: interfaces are not known here '-i'") != NULL, "%s",
			err);
	o.ignore_interfaces = true;
	CTG_ASSERT_EQ(ctg_rule_set_load_str(t, "i.rules", &o, &rs, err, sizeof(err)), 0);
	ctg_rule_set_free(rs);
	return 0;
}

/* Counters from the file and save output; the saved text loads again. */
static int
test_save_roundtrip(void)
{
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_IPV4, .port_names = ports,
		.nb_ports = 2 };
	struct ctg_rule_set *rs = NULL, *rs2 = NULL;
	char err[256] = "", *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f;

	CTG_ASSERT_EQ(ctg_rule_set_load_str(good4, "good.rules", &o, &rs, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	CTG_ASSERT_EQ(ctg_rule_set_save(rs, 4, NULL, f), 0);
	fclose(f);
	CTG_ASSERT(strstr(buf, ":FORWARD DROP [10:2000]\n") != NULL, "%s", buf);
	CTG_ASSERT(strstr(buf, ":PREROUTING ACCEPT [1:2]\n") != NULL, "%s", buf);
	CTG_ASSERT(strstr(buf, "-c 3 180 -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED "
			       "-j ACCEPT\n") != NULL, "%s", buf);
	CTG_ASSERT(strstr(buf, "-c 4 240 -A FORWARD -s 192.0.2.0/24 ! -d 198.51.100.0/255.255.255.0"
			       " -p tcp -j svc\n") != NULL, "%s", buf);
	CTG_ASSERT(strstr(buf, "-p tcp -m tcp --syn -j ACCEPT") != NULL, "implicit -m tcp: %s",
			buf);
	CTG_ASSERT_EQ(ctg_rule_set_save(rs, 6, NULL, stdout), -ENOENT);
	CTG_ASSERT_EQ(ctg_rule_set_load_str(buf, "saved", &o, &rs2, err, sizeof(err)), 0);
	f = open_memstream(&buf2, &len2);
	CTG_ASSERT_EQ(ctg_rule_set_save(rs2, 4, NULL, f), 0);
	fclose(f);
	/* Same text after the first line (which names the source). */
	CTG_ASSERT(strcmp(strchr(buf, '\n'), strchr(buf2, '\n')) == 0, "round trip differs");
	free(buf2);
	f = open_memstream(&buf2, &len2);
	CTG_ASSERT_EQ(ctg_rule_set_list(rs, 4, "filter", NULL, f), 0);
	fclose(f);
	CTG_ASSERT(strstr(buf2, "Chain FORWARD (policy DROP 10 packets, 2000 bytes)") != NULL,
			"%s", buf2);
	CTG_ASSERT(strstr(buf2, "Chain svc (1 references)") != NULL, "%s", buf2);
	/* Interfaces are listed by name, as iptables -L -v does. */
	CTG_ASSERT(strstr(buf2, " eth0   eth1 ") != NULL, "%s", buf2);
	CTG_ASSERT(strstr(buf2, " !eth0  !eth+ ") != NULL, "%s", buf2);
	free(buf);
	free(buf2);
	ctg_rule_set_free(rs);
	ctg_rule_set_free(rs2);
	return 0;
}

/* The oracle's one-file-for-both-families rules. */
static int
test_mirror(void)
{
	const char *noaddr = "*filter\n:FORWARD DROP [0:0]\n"
			     "-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
			     "-A FORWARD -p icmp -m icmp --icmp-type 13 -j ACCEPT\n"
			     "-A FORWARD -p udp -j REJECT --reject-with icmp-host-prohibited\n"
			     "COMMIT\n";
	const char *addr = "*filter\n-A FORWARD -d 10.0.0.1 -j DROP\nCOMMIT\n";
	const char *badrej = "*filter\n-A FORWARD -j REJECT --reject-with icmp-net-prohibited\n"
			     "-A FORWARD -p icmp -j REJECT --reject-with icmp-admin-prohibited\n"
			     "COMMIT\n";
	const char *v6 = "*filter\n-A FORWARD -d 2001:db8::1 -j DROP\nCOMMIT\n";
	struct ctg_rule_load_opts o = { .family = CTG_RULE_FAMILY_AUTO, .ignore_interfaces = true };
	struct ctg_rule_set *rs = NULL;
	struct ctg_rule_info info;
	char err[256] = "";

	CTG_ASSERT_EQ(ctg_rule_set_load_str(noaddr, "m.rules", &o, &rs, err, sizeof(err)), 0);
	CTG_ASSERT(ctg_rule_set_filters(rs, 4) && ctg_rule_set_filters(rs, 6), "both");
	/* 3 IPv4 rules + 2 IPv6 (timestamp is IPv4-only, left out). */
	CTG_ASSERT_EQ(ctg_rule_set_nb_rules(rs), 5);
	CTG_ASSERT_EQ(ctg_rule_info_get(rs, 4, &info), 0);
	CTG_ASSERT(info.family == 6 && info.line == 5, "fam %d line %u", info.family, info.line);
	ctg_rule_set_free(rs);

	CTG_ASSERT_EQ(ctg_rule_set_load_str(addr, "a.rules", &o, &rs, err, sizeof(err)), 0);
	CTG_ASSERT(ctg_rule_set_filters(rs, 4) && !ctg_rule_set_filters(rs, 6), "v4 only");
	ctg_rule_set_free(rs);

	CTG_ASSERT_EQ(ctg_rule_set_load_str(badrej, "r.rules", &o, &rs, err, sizeof(err)), 0);
	ctg_rule_set_free(rs);

	o.str6 = v6;
	CTG_ASSERT_EQ(ctg_rule_set_load_str(addr, "a.rules", &o, &rs, err, sizeof(err)), 0);
	CTG_ASSERT(ctg_rule_set_filters(rs, 4) && ctg_rule_set_filters(rs, 6), "v4 + v6 file");
	ctg_rule_set_free(rs);

	o.str6 = NULL;
	o.family = CTG_RULE_FAMILY_IPV6;
	CTG_ASSERT_EQ(ctg_rule_set_load_str(v6, "6.rules", &o, &rs, err, sizeof(err)), 0);
	CTG_ASSERT(!ctg_rule_set_filters(rs, 4) && ctg_rule_set_filters(rs, 6), "v6 only");
	ctg_rule_set_free(rs);
	CTG_ASSERT_EQ(ctg_rule_set_load_str(addr, "6.rules", &o, &rs, err, sizeof(err)), -EINVAL);
	CTG_ASSERT(strstr(err, "6.rules:2: address of the wrong family '10.0.0.1'") != NULL, "%s",
			err);
	return 0;
}

static int
test_load_file(void)
{
	char err[256] = "";
	struct ctg_rule_set *rs = NULL;
	char path[] = "/tmp/ctg_rule_test_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	CTG_ASSERT(fd >= 0, "mkstemp");
	f = fdopen(fd, "w");
	fputs("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -p tcp --dport 80 -j ACCEPT\nCOMMIT\n", f);
	fclose(f);
	CTG_ASSERT_EQ(ctg_rule_set_load_file(path, NULL, &rs, err, sizeof(err)), 0);
	CTG_ASSERT_EQ(ctg_rule_set_nb_rules(rs), 2);
	ctg_rule_set_free(rs);
	unlink(path);
	CTG_ASSERT_EQ(ctg_rule_set_load_file(path, NULL, &rs, err, sizeof(err)), -ENOENT);
	CTG_ASSERT(strstr(err, path) != NULL, "%s", err);
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "good file with every match and target", test_good_file },
	{ "bad lines name file:line:token", test_bad_lines },
	{ "bad file structure", test_bad_structure },
	{ "-i/-o with and without port names", test_interfaces },
	{ "counters and save round trip", test_save_roundtrip },
	{ "IPv6 copy of an IPv4 file", test_mirror },
	{ "load from a file", test_load_file },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
