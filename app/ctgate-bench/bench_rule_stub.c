/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weak stand-ins for lib/rule functions that are not written yet, compiled only for
 * the ones meson.build did not find (BENCH_STUB_<NAME>). They behave like a build
 * without rule support: loading fails with -ENOSYS (the bench then prints the rules
 * workloads as '-'), and evaluation ACCEPTs. Being weak, a real definition always wins;
 * the bench also checks with a probe packet that a loaded rule set really drops.
 */

#include <errno.h>

#include "ctg_rule.h"

#define BENCH_WEAK __attribute__((weak))

#ifdef BENCH_STUB_CTG_RULE_SET_LOAD_STR
BENCH_WEAK int
ctg_rule_set_load_str(const char *text, const char *name, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen)
{
	(void)text;
	(void)name;
	(void)opts;
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return -ENOSYS;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_SET_FREE
BENCH_WEAK void
ctg_rule_set_free(struct ctg_rule_set *rs)
{
	(void)rs;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_SET_HOOK_USED
BENCH_WEAK bool
ctg_rule_set_hook_used(const struct ctg_rule_set *rs, int family, enum ctg_rule_hook hook)
{
	(void)rs;
	(void)family;
	(void)hook;
	return false;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_EVAL
BENCH_WEAK void
ctg_rule_eval(const struct ctg_rule_set *rs, enum ctg_rule_hook hook,
		const struct ctg_rule_pkt *rp, struct ctg_rule_counters *cnt, uint64_t now_ns,
		struct ctg_rule_result *res)
{
	(void)rs;
	(void)hook;
	(void)rp;
	(void)cnt;
	(void)now_ns;
	res->verdict = CTG_RULE_ACCEPT;
	res->flags = 0;
	res->nb_log = 0;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_REJECT_BUILD
BENCH_WEAK int
ctg_rule_reject_build(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		uint8_t *out, size_t out_size)
{
	(void)res;
	(void)pkt;
	(void)out;
	(void)out_size;
	return -ENOSYS;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_COUNTERS_CREATE
BENCH_WEAK struct ctg_rule_counters *
ctg_rule_counters_create(const struct ctg_rule_set *rs)
{
	(void)rs;
	return NULL;
}
#endif

#ifdef BENCH_STUB_CTG_RULE_COUNTERS_FREE
BENCH_WEAK void
ctg_rule_counters_free(struct ctg_rule_counters *cnt)
{
	(void)cnt;
}
#endif
