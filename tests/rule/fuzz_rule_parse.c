/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the ruleset loader: the input is a ruleset text (an optional first
 * byte selects the family mode). A successful load is also saved, reloaded and
 * evaluated against a few fixed packets, so the classifier, the evaluator and the saver
 * see every set the parser accepts. Built with -fsanitize=fuzzer under clang with
 * -Dfuzz=enabled, and always as a corpus replay (tests/harness/fuzz_main.c).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
eval_some(const struct ctg_rule_set *rs, struct ctg_rule_counters *cnt)
{
	static const uint8_t v4tcp[40] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2,
		1, 198, 51, 100, 2, 0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff,
		0xff, 0, 0, 0, 0 };
	static const uint8_t v6udp[48] = { 0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 1, 0xd, 0xb8, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x30, 0x39, 0, 53, 0, 8, 0, 0 };
	struct ctg_pkt p4 = { .l3 = v4tcp, .len = 40, .l4_off = 20, .family = 4, .proto = 6 };
	struct ctg_pkt p6 = { .l3 = v6udp, .len = 48, .l4_off = 40, .family = 6, .proto = 17 };
	struct ctg_rule_pkt rp = { .in_port = CTG_RULE_PORT_NONE, .out_port = CTG_RULE_PORT_NONE };
	struct ctg_rule_result res;
	uint8_t out[1600];

	for (int h = 0; h < CTG_RULE_HOOK_COUNT; h++) {
		for (int st = 0; st < CTG_CT_STATE_COUNT; st++) {
			rp.ct_state = (uint8_t)st;
			rp.pkt = &p4;
			ctg_rule_eval(rs, (enum ctg_rule_hook)h, &rp, cnt, (uint64_t)st << 30, &res);
			if (res.verdict == CTG_RULE_REJECT)
				(void)ctg_rule_reject_build(&res, &p4, out, sizeof(out));
			rp.pkt = &p6;
			ctg_rule_eval(rs, (enum ctg_rule_hook)h, &rp, cnt, (uint64_t)st << 30, &res);
			if (res.verdict == CTG_RULE_REJECT)
				(void)ctg_rule_reject_build(&res, &p6, out, sizeof(out));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ports[] = { "eth0", "eth1" };
	struct ctg_rule_load_opts o = { .ignore_interfaces = true };
	struct ctg_rule_set *rs = NULL, *rs2 = NULL;
	char err[256];
	char *text;

	if (size > 0 && data[0] < CTG_RULE_FAMILY_COUNT * 2) {
		o.family = (enum ctg_rule_family)(data[0] % CTG_RULE_FAMILY_COUNT);
		if (data[0] >= CTG_RULE_FAMILY_COUNT) {
			o.ignore_interfaces = false;
			o.port_names = ports;
			o.nb_ports = 2;
		}
		data++;
		size--;
	}
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ctg_rule_set_load_str(text, "fuzz", &o, &rs, err, sizeof(err)) == 0) {
		struct ctg_rule_counters *cnt = ctg_rule_counters_create(rs);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		eval_some(rs, cnt);
		if (f != NULL) {
			int fam = ctg_rule_set_filters(rs, 4) ? 4 : 6;

			(void)ctg_rule_set_save(rs, fam, cnt, f);
			fclose(f);
			f = fopen("/dev/null", "w");
			if (f != NULL) {
				(void)ctg_rule_set_list(rs, fam, "filter", cnt, f);
				(void)ctg_rule_set_list(rs, fam, "raw", cnt, f);
				fclose(f);
			}
			/* What was saved loads again. */
			o.family = fam == 4 ? CTG_RULE_FAMILY_IPV4 : CTG_RULE_FAMILY_IPV6;
			o.ignore_interfaces = true;
			if (buf != NULL && ctg_rule_set_load_str(buf, "saved", &o, &rs2, err,
							   sizeof(err)) != 0)
				abort();
			ctg_rule_set_free(rs2);
		}
		free(buf);
		ctg_rule_counters_free(cnt);
		ctg_rule_set_free(rs);
	}
	free(text);
	return 0;
}
