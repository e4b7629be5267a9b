/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Evaluation tests with hand-built IPv4/IPv6 packets and connections: the oracle's
 * scn_fw_* rulesets, chain semantics (RETURN, jump, goto, policies, non-terminating
 * targets), every match, marks, -m limit, counters, hotdrop, and the REJECT packets.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"
#include "ctg_test.h"
#include "rule_test_util.h"

static struct ctg_rule_set *
load(const char *text, enum ctg_rule_family fam)
{
	struct ctg_rule_load_opts o = { .family = fam, .ignore_interfaces = true };
	struct ctg_rule_set *rs = NULL;
	char err[256] = "";

	if (ctg_rule_set_load_str(text, "t.rules", &o, &rs, err, sizeof(err)) != 0) {
		printf("# load failed: %s\n", err);
		return NULL;
	}
	return rs;
}

static int
fwd(const struct ctg_rule_set *rs, struct tpkt *t, struct ctg_rule_counters *cnt,
		struct ctg_rule_result *res)
{
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t->rp, cnt, 0, res);
	return res->verdict;
}

static const char classic[] = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
			      ":OUTPUT ACCEPT [0:0]\n"
			      "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
			      "-A FORWARD -s 192.0.2.0/24 -m conntrack --ctstate NEW -j ACCEPT\n"
			      "COMMIT\n";

static int
test_classic_stateful(void)
{
	struct ctg_rule_set *rs = load(classic, CTG_RULE_FAMILY_AUTO);
	struct ctg_rule_counters *cnt;
	struct ctg_rule_result res;
	struct tpkt t;
	uint64_t p, b;

	CTG_ASSERT(rs != NULL, "load");
	/* Address literals: IPv6 not filtered. */
	CTG_ASSERT(!ctg_rule_set_filters(rs, 6), "v6 unfiltered");
	cnt = ctg_rule_counters_create(rs);
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 80, 0x02, 1000, 0, 0);
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, cnt, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT_EQ(res.rule, 1);
	CTG_ASSERT_EQ(res.line, 6);
	/* The reply SYN/ACK is ESTABLISHED. */
	tpkt_tcp(&t, 4, "198.51.100.2", "192.0.2.1", 80, 40000, 0x12, 5000, 1001, 0);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_REPLY, CTG_CT_S_SEEN_REPLY);
	CTG_ASSERT_EQ(fwd(rs, &t, cnt, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT_EQ(res.rule, 0);
	/* NEW from outside: policy DROP. */
	tpkt_tcp(&t, 4, "203.0.113.9", "192.0.2.1", 1234, 22, 0x02, 1, 0, 0);
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, cnt, &res), CTG_RULE_DROP);
	CTG_ASSERT(res.flags & CTG_RULE_F_POLICY, "policy");
	CTG_ASSERT_EQ(res.rule, CTG_RULE_NONE);
	/* INVALID (no conn): policy DROP. */
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 80, 0x10, 1, 1, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, cnt, &res), CTG_RULE_DROP);
	/* IPv6 passes (unfiltered). */
	tpkt_tcp(&t, 6, "2001:db8::1", "2001:db8:1::2", 1, 2, 0x02, 1, 0, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, cnt, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT(res.flags & CTG_RULE_F_UNFILTERED, "unfiltered");
	/* Counters. */
	CTG_ASSERT_EQ(ctg_rule_counters_get(cnt, 0, &p, &b), 0);
	CTG_ASSERT(p == 1 && b == 40, "%llu %llu", (unsigned long long)p, (unsigned long long)b);
	CTG_ASSERT_EQ(ctg_rule_counters_get(cnt, 1, &p, &b), 0);
	CTG_ASSERT_EQ(p, 1);
	{
		struct ctg_rule_counters *sum = ctg_rule_counters_create(rs);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		ctg_rule_counters_sum(sum, cnt);
		ctg_rule_counters_sum(sum, cnt);
		CTG_ASSERT_EQ(ctg_rule_counters_get(sum, 0, &p, &b), 0);
		CTG_ASSERT(p == 2 && b == 80, "sum");
		ctg_rule_set_save(rs, 4, sum, f);
		fclose(f);
		CTG_ASSERT(strstr(buf, ":FORWARD DROP [4:160]") != NULL, "%s", buf);
		CTG_ASSERT(strstr(buf, "-c 2 80 -A FORWARD -m conntrack") != NULL, "%s", buf);
		free(buf);
		ctg_rule_counters_zero(sum);
		CTG_ASSERT_EQ(ctg_rule_counters_get(sum, 0, &p, &b), 0);
		CTG_ASSERT_EQ(p, 0);
		ctg_rule_counters_free(sum);
	}
	ctg_rule_counters_free(cnt);
	ctg_rule_set_free(rs);
	return 0;
}

static const char user_chain[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	":tcp_svc - [0:0]\n"
	"-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-A FORWARD -p tcp -m tcp --syn -m conntrack --ctstate NEW -j tcp_svc\n"
	"-A FORWARD -p tcp -m tcp --dport 22 -j LOG --log-prefix \"ssh-drop \"\n"
	"-A FORWARD -p udp -m multiport --dports 53,123 -m conntrack --ctstate NEW -j ACCEPT\n"
	"-A tcp_svc -p tcp -m tcp --dport 22 -j RETURN\n"
	"-A tcp_svc -p tcp -m multiport --dports 80,443 -j ACCEPT\n"
	"-A tcp_svc -j RETURN\n"
	"COMMIT\n";

static int
test_user_chain_return(void)
{
	struct ctg_rule_set *rs = load(user_chain, CTG_RULE_FAMILY_AUTO);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	CTG_ASSERT(ctg_rule_set_filters(rs, 6), "no literals: IPv6 copy");
	for (int fam = 4; fam <= 6; fam += 2) {
		const char *s = fam == 4 ? "192.0.2.1" : "2001:db8::1";
		const char *d = fam == 4 ? "198.51.100.2" : "2001:db8:1::2";

		tpkt_tcp(&t, fam, s, d, 40000, 22, 0x02, 1, 0, 0);
		tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
		CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
		CTG_ASSERT(res.flags & CTG_RULE_F_POLICY, "policy");
		CTG_ASSERT_EQ(res.nb_log, 1);
		CTG_ASSERT(strcmp(res.log[0].prefix, "ssh-drop ") == 0 && res.log[0].line == 8 &&
				res.log[0].level == 4 && !res.log[0].nflog, "log hit");
		tpkt_tcp(&t, fam, s, d, 40000, 443, 0x02, 1, 0, 0);
		tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
		CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
		CTG_ASSERT_EQ(res.line, 11);
		CTG_ASSERT_EQ(res.nb_log, 0);
		tpkt_tcp(&t, fam, s, d, 40000, 8080, 0x02, 1, 0, 0);
		tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
		CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
		tpkt_udp(&t, fam, s, d, 5353, 123, 4);
		tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
		CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
		tpkt_udp(&t, fam, s, d, 5353, 124, 4);
		tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
		CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
	}
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_goto_and_nonterminating(void)
{
	const char *text = "*filter\n:FORWARD ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n"
			   "-A FORWARD -j a\n"
			   "-A FORWARD -p udp -j DROP\n"
			   "-A a -g b\n"
			   "-A a -j DROP\n" /* never reached: goto b returns past a */
			   "-A b -j MARK --set-mark 7\n"
			   "-A b -m mark --mark 7 -j c\n"
			   "-A b -p tcp -j RETURN\n"
			   "-A b -j NFLOG --nflog-group 2 --nflog-prefix after-return\n"
			   "-A c -j LOG --log-prefix c1\n"
			   "-A c -m mark --mark 8 -j DROP\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_IPV4);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	/* tcp: a -> goto b -> MARK, c (LOG, back), RETURN -> back to FORWARD rule 2 (not a's DROP). */
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0x02, 1, 0, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT(res.flags & CTG_RULE_F_POLICY, "policy accept");
	CTG_ASSERT(res.flags & CTG_RULE_F_MARK, "mark");
	CTG_ASSERT_EQ(res.mark, 7);
	CTG_ASSERT_EQ(res.nb_log, 1);
	/* udp: b falls through after NFLOG, back to FORWARD -> DROP rule. */
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
	CTG_ASSERT_EQ(res.line, 7);
	CTG_ASSERT_EQ(res.nb_log, 2);
	CTG_ASSERT(res.log[1].nflog && res.log[1].group == 2 &&
			strcmp(res.log[1].prefix, "after-return") == 0, "nflog");
	/* The packet's mark on entry is what -m mark sees first. */
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0x02, 1, 0, 0);
	t.rp.mark = 0x100;
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT_EQ(res.mark, 0x7);
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_raw_table(void)
{
	const char *text = "*raw\n:PREROUTING ACCEPT [0:0]\n"
			   "-A PREROUTING -m conntrack --ctstate INVALID -j LOG --log-prefix inv\n"
			   "-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack\n"
			   "-A PREROUTING -p udp -j CT --zone 5\n"
			   "-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\n"
			   "-A PREROUTING -p tcp -m tcp --dport 21 -j CT --zone 9\n"
			   "-A PREROUTING -p tcp -m tcp --dport 9 -j DROP\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_AUTO);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 53, 0);
	ctg_rule_eval(rs, CTG_RULE_RAW_PREROUTING, &t.rp, NULL, 0, &res);
	CTG_ASSERT(res.verdict == CTG_RULE_ACCEPT && res.flags & CTG_RULE_F_NOTRACK, "notrack");
	CTG_ASSERT(!(res.flags & CTG_RULE_F_CT_ZONE), "first CT wins");
	CTG_ASSERT_EQ(res.nb_log, 1);
	tpkt_udp(&t, 6, "2001:db8::1", "2001:db8::2", 1, 54, 0);
	ctg_rule_eval(rs, CTG_RULE_RAW_PREROUTING, &t.rp, NULL, 0, &res);
	CTG_ASSERT((res.flags & CTG_RULE_F_CT_ZONE) && res.zone == 5, "zone");
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 21, 0x02, 1, 0, 0);
	ctg_rule_eval(rs, CTG_RULE_RAW_PREROUTING, &t.rp, NULL, 0, &res);
	CTG_ASSERT((res.flags & CTG_RULE_F_CT_HELPER) && strcmp(res.helper, "ftp") == 0, "helper");
	CTG_ASSERT(!(res.flags & CTG_RULE_F_CT_ZONE), "second CT ignored");
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 9, 0x02, 1, 0, 0);
	ctg_rule_eval(rs, CTG_RULE_RAW_PREROUTING, &t.rp, NULL, 0, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	/* No filter table: FORWARD accepts. */
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
	CTG_ASSERT(!ctg_rule_set_hook_used(rs, 4, CTG_RULE_FILTER_FORWARD), "no filter");
	ctg_rule_set_free(rs);
	return 0;
}

/* One rule per match kind; the packet must hit exactly the rule with the expected line. */
static int
test_matches(void)
{
	const char *text =
		"*filter\n:FORWARD DROP [0:0]\n"
		"-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT\n"	  /* 3 */
		"-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT\n"			  /* 4 */
		"-A FORWARD -p tcp -m tcp --sport 1000:1999 ! --dport 1:100 -j ACCEPT\n" /* 5 */
		"-A FORWARD -p icmp -m icmp --icmp-type 3/4 -j ACCEPT\n"		  /* 6 */
		"-A FORWARD -p icmp -m icmp --icmp-type echo-request -j ACCEPT\n"	  /* 7 */
		"-A FORWARD -m iprange --src-range 10.9.0.1-10.9.0.9 -j ACCEPT\n"	  /* 8 */
		"-A FORWARD -m length --length 1000:1100 -j ACCEPT\n"			  /* 9 */
		"-A FORWARD -m conntrack --ctorigsrc 10.7.0.0/16 --ctreplsrcport 5000 -j ACCEPT\n"
		"-A FORWARD -m conntrack --ctstatus ASSURED --ctdir REPLY -j ACCEPT\n"	  /* 11 */
		"-A FORWARD -m conntrack --ctproto udp ! --ctorigdstport 7 -j ACCEPT\n"  /* 12 */
		"-A FORWARD -m helper --helper ftp -j ACCEPT\n"			  /* 13 */
		"-A FORWARD -m connmark --mark 0x10/0xf0 -j ACCEPT\n"			  /* 14 */
		"-A FORWARD -p udp -m multiport --ports 7777 -j ACCEPT\n"		  /* 15 */
		"-A FORWARD -m state --state INVALID -j DROP\n"				  /* 16 */
		"-A FORWARD ! -s 10.0.0.0/8 -j REJECT\n"				  /* 17 */
		"COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_IPV4);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 5, 6, 0x12, 1, 1, 0);
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 3);
	/* SYN with MSS option (kind 2). */
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 5, 6, 0x02, 1, 0, 4);
	t.buf[20 + 12] = 6 << 4;
	t.buf[40] = 2;
	t.buf[41] = 4;
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 4);
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1500, 101, 0x02, 1, 0, 0);
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 5);
	tpkt_tcp(&t, 4, "10.0.0.1", "10.0.0.2", 1500, 100, 0x02, 1, 0, 0);
	tpkt_conn(&t, CTG_CT_NEW, CTG_CT_DIR_ORIG, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.rule, CTG_RULE_NONE);
	tpkt_icmp(&t, 4, "10.0.0.1", "10.0.0.2", 3, 4);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 6);
	tpkt_icmp(&t, 4, "10.0.0.1", "10.0.0.2", 3, 3);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.rule, CTG_RULE_NONE);
	tpkt_icmp(&t, 4, "10.0.0.1", "10.0.0.2", 8, 0);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 7);
	tpkt_udp(&t, 4, "10.9.0.9", "10.0.0.2", 1, 2, 0);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 8);
	tpkt_udp(&t, 4, "10.9.0.10", "10.0.0.2", 1, 2, 1000 - 28);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 9);
	/* A reply from 10.0.0.2:5000 to 10.7.0.1: orig src 10.7.0.1, reply src port 5000. */
	tpkt_udp(&t, 4, "10.0.0.2", "10.7.0.1", 5000, 2, 0);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_REPLY, CTG_CT_S_SEEN_REPLY);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 10);
	tpkt_udp(&t, 4, "10.0.0.2", "10.7.0.1", 5001, 2, 0);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_REPLY, CTG_CT_S_ASSURED);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 11);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_ORIG, CTG_CT_S_ASSURED);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 12);
	tpkt_tcp(&t, 4, "10.0.0.2", "10.7.0.1", 20, 7, 0x10, 1, 1, 0);
	tpkt_conn(&t, CTG_CT_RELATED, CTG_CT_DIR_ORIG, CTG_CT_S_EXPECTED);
	t.rp.master_helper = "ftp";
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 13);
	t.rp.master_helper = NULL;
	t.conn.mark = 0x1f;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 14);
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 7777, 3, 0);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 15);
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 7776, 3, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT_EQ(res.line, 16);
	tpkt_udp(&t, 4, "11.0.0.1", "10.0.0.2", 7776, 3, 0);
	t.rp.ct_state = CTG_CT_UNTRACKED;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT(res.line == 17 && res.verdict == CTG_RULE_REJECT &&
			res.reject == CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE, "reject default");
	ctg_rule_set_free(rs);
	return 0;
}

/* A truncated TCP header makes the tcp match drop the packet (hotdrop). */
static int
test_hotdrop(void)
{
	const char *text = "*filter\n:FORWARD ACCEPT [0:0]\n"
			   "-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT\n"
			   "-A FORWARD -p tcp -m tcp --dport 23 -j ACCEPT\n"
			   "-A FORWARD -p tcp -m tcp --dport 24 -j ACCEPT\n"
			   "-A FORWARD -p tcp -m tcp --dport 25 -j ACCEPT\n"
			   "-A FORWARD -p tcp -m tcp --dport 26 -j ACCEPT\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_IPV4);
	struct ctg_rule_result res;
	struct tpkt t;
	uint8_t shortl4[10] = { 0, 1, 0, 80 };

	CTG_ASSERT(rs != NULL, "load");
	tpkt_ip(&t, 4, "10.0.0.1", "10.0.0.2", 6, shortl4, sizeof(shortl4));
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
	CTG_ASSERT(res.flags & CTG_RULE_F_HOTDROP, "hotdrop");
	CTG_ASSERT_EQ(res.line, 3);
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_limit(void)
{
	const char *text = "*filter\n:FORWARD DROP [0:0]\n"
			   "-A FORWARD -m limit --limit 1/sec --limit-burst 2 -j ACCEPT\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_IPV4);
	struct ctg_rule_counters *cnt;
	struct ctg_rule_result res;
	struct tpkt t;
	uint64_t t0 = 5 * CTG_NS_PER_S;

	CTG_ASSERT(rs != NULL, "load");
	cnt = ctg_rule_counters_create(rs);
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_ACCEPT);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_ACCEPT);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0 + CTG_NS_PER_MS, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0 + 500 * CTG_NS_PER_MS, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0 + 1001 * CTG_NS_PER_MS, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_ACCEPT);
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, cnt, t0 + 1002 * CTG_NS_PER_MS, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_DROP);
	/* Without a counter block, limit always matches. */
	ctg_rule_eval(rs, CTG_RULE_FILTER_FORWARD, &t.rp, NULL, t0, &res);
	CTG_ASSERT_EQ(res.verdict, CTG_RULE_ACCEPT);
	ctg_rule_counters_free(cnt);
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_connmark(void)
{
	const char *text = "*filter\n:FORWARD ACCEPT [0:0]\n"
			   "-A FORWARD -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff\n"
			   "-A FORWARD -m mark --mark 0x5 -j MARK --or-mark 0x100\n"
			   "-A FORWARD -j CONNMARK --save-mark --nfmask 0xf00 --ctmask 0xf00\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_IPV4);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	tpkt_conn(&t, CTG_CT_ESTABLISHED, CTG_CT_DIR_ORIG, 0);
	t.conn.mark = 0x2005;
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT(res.flags & CTG_RULE_F_MARK, "mark");
	CTG_ASSERT_EQ(res.mark, 0x105);
	CTG_ASSERT(res.flags & CTG_RULE_F_CONNMARK, "connmark");
	CTG_ASSERT_EQ(res.connmark, 0x2105);
	/* No connection: CONNMARK does nothing. */
	tpkt_udp(&t, 4, "10.0.0.1", "10.0.0.2", 1, 2, 0);
	fwd(rs, &t, NULL, &res);
	CTG_ASSERT(!(res.flags & (CTG_RULE_F_CONNMARK | CTG_RULE_F_MARK)), "untouched");
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_mirror_icmp(void)
{
	const char *text = "*filter\n:FORWARD DROP [0:0]\n"
			   "-A FORWARD -p icmp -m icmp --icmp-type echo-request -j ACCEPT\n"
			   "-A FORWARD -p icmp -m icmp --icmp-type 3/4 -j ACCEPT\n"
			   "-A FORWARD -p udp -j REJECT --reject-with icmp-admin-prohibited\n"
			   "COMMIT\n";
	struct ctg_rule_set *rs = load(text, CTG_RULE_FAMILY_AUTO);
	struct ctg_rule_result res;
	struct tpkt t;

	CTG_ASSERT(rs != NULL, "load");
	tpkt_icmp(&t, 6, "2001:db8::1", "2001:db8::2", 128, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
	tpkt_icmp(&t, 6, "2001:db8::1", "2001:db8::2", 2, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_ACCEPT);
	tpkt_icmp(&t, 6, "2001:db8::1", "2001:db8::2", 129, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_DROP);
	tpkt_udp(&t, 6, "2001:db8::1", "2001:db8::2", 1, 2, 0);
	CTG_ASSERT_EQ(fwd(rs, &t, NULL, &res), CTG_RULE_REJECT);
	CTG_ASSERT_EQ(res.reject, CTG_RULE_REJECT_ICMP6_ADM_PROHIBITED);
	ctg_rule_set_free(rs);
	return 0;
}

static int
test_reject_build(void)
{
	struct ctg_rule_result res = { .verdict = CTG_RULE_REJECT,
		.reject = CTG_RULE_REJECT_TCP_RESET };
	uint8_t out[2048];
	struct tpkt t;
	int n;

	/* RST for a SYN: ack = seq + 1, from the packet's destination. */
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 23, 0x02, 1000, 0, 0);
	n = ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out));
	CTG_ASSERT_EQ(n, 40);
	CTG_ASSERT(memcmp(out + 12, t.buf + 16, 4) == 0 && memcmp(out + 16, t.buf + 12, 4) == 0,
			"addresses");
	CTG_ASSERT(ctg_get_be16(out + 20) == 23 && ctg_get_be16(out + 22) == 40000, "ports");
	CTG_ASSERT_EQ(ctg_get_be32(out + 24), 0);
	CTG_ASSERT_EQ(ctg_get_be32(out + 28), 1001);
	CTG_ASSERT_EQ(out[33], 0x14);
	CTG_ASSERT(tsum(out, 20, 0) == 0xffff, "ip csum");
	/* RST for an ACK segment with 10 bytes: seq = its ack. */
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 23, 0x18, 1000, 77, 10);
	n = ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out));
	CTG_ASSERT_EQ(n, 40);
	CTG_ASSERT(ctg_get_be32(out + 24) == 77 && ctg_get_be32(out + 28) == 0 && out[33] == 0x04,
			"rst seq");
	/* No RST for a RST, nor for a bad checksum. */
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 23, 0x04, 1000, 0, 0);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	tpkt_tcp(&t, 4, "192.0.2.1", "198.51.100.2", 40000, 23, 0x02, 1000, 0, 0);
	t.buf[36] ^= 1;
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	/* IPv6 RST. */
	tpkt_tcp(&t, 6, "2001:db8::1", "2001:db8:1::2", 40000, 23, 0x02, 5, 0, 0);
	n = ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out));
	CTG_ASSERT_EQ(n, 60);
	CTG_ASSERT(out[0] == 0x60 && out[6] == 6 && ctg_get_be32(out + 48) == 6, "v6 rst");
	/* ICMP port unreachable quoting the datagram, capped at 576 bytes. */
	res.reject = CTG_RULE_REJECT_ICMP_PORT_UNREACHABLE;
	tpkt_udp(&t, 4, "192.0.2.1", "198.51.100.2", 1, 2, 1000);
	n = ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out));
	CTG_ASSERT_EQ(n, 576);
	CTG_ASSERT(out[9] == 1 && out[20] == 3 && out[21] == 3, "icmp type/code");
	CTG_ASSERT(memcmp(out + 28, t.buf, 548) == 0, "quote");
	CTG_ASSERT(out[12] == 198 && out[13] == 18 && out[15] == 254, "router source");
	CTG_ASSERT(tsum(out + 20, 556, 0) == 0xffff, "icmp csum");
	tpkt_udp(&t, 4, "192.0.2.1", "198.51.100.2", 1, 2, 4);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 20 + 8 + 32);
	/* Not for an ICMP error, yes for an echo request. */
	tpkt_icmp(&t, 4, "192.0.2.1", "198.51.100.2", 3, 1);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	tpkt_icmp(&t, 4, "192.0.2.1", "198.51.100.2", 8, 0);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 56);
	/* Not for a multicast destination, nor a non-first fragment. */
	tpkt_udp(&t, 4, "192.0.2.1", "239.1.1.1", 1, 2, 4);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	tpkt_udp(&t, 4, "192.0.2.1", "198.51.100.2", 1, 2, 4);
	t.pkt.frag = 1;
	t.pkt.frag_off = 8;
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	/* ICMPv6: quote up to 1280 bytes in all, never about an ICMPv6 error. */
	res.reject = CTG_RULE_REJECT_ICMP6_ADM_PROHIBITED;
	tpkt_udp(&t, 6, "2001:db8::1", "2001:db8:1::2", 1, 2, 1024);
	n = ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out));
	CTG_ASSERT_EQ(n, 40 + 8 + 40 + 8 + 1024);
	CTG_ASSERT(out[40] == 1 && out[41] == 1, "icmp6 type/code");
	tpkt_icmp(&t, 6, "2001:db8::1", "2001:db8:1::2", 1, 4);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), 0);
	/* Wrong family for the type, small buffer, not a REJECT. */
	tpkt_udp(&t, 4, "192.0.2.1", "198.51.100.2", 1, 2, 4);
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), -EINVAL);
	res.reject = CTG_RULE_REJECT_ICMP_HOST_PROHIBITED;
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, 20), -ENOSPC);
	res.verdict = CTG_RULE_DROP;
	CTG_ASSERT_EQ(ctg_rule_reject_build(&res, &t.pkt, out, sizeof(out)), -EINVAL);
	return 0;
}

static const struct ctg_test_case cases[] = {
	{ "scn_fw_classic_stateful ruleset, counters, save", test_classic_stateful },
	{ "scn_fw_user_chain_return ruleset, IPv4 and IPv6 copy", test_user_chain_return },
	{ "goto, RETURN, MARK, LOG/NFLOG", test_goto_and_nonterminating },
	{ "raw PREROUTING: NOTRACK, CT zone/helper, first CT wins", test_raw_table },
	{ "every match kind", test_matches },
	{ "hotdrop on a truncated TCP header", test_hotdrop },
	{ "-m limit token bucket", test_limit },
	{ "CONNMARK restore/save, MARK or", test_connmark },
	{ "IPv6 copy maps ICMP types and reject types", test_mirror_icmp },
	{ "REJECT packets", test_reject_build },
	{ NULL, NULL },
};

int
main(void)
{
	return ctg_test_run(cases);
}
