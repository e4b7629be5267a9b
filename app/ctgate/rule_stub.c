/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Weak stand-ins for the entry points of lib/rule that the pipeline and ctgate call,
 *	so that the appliance links and runs (accept-all, no rules) while the rules library
 *	is unfinished. They live in their own static library that meson places after
 *	libctg_rule.a on the link line: the linker takes every symbol the real library
 *	defines from it first, and only what is still undefined from here. Each stub is a
 *	weak alias of a static function, so ctgate_rules_available() can tell at run time
 *	whether any stub was linked (the symbol's address is the stub's) and ctgate then
 *	refuses rule files with a clear message instead of silently accepting everything.
 *
 * Life-cycle
 *	Once lib/rule implements all of these, no stub is linked and
 *	ctgate_rules_available() is true; this file can then be deleted.
 *
 * Ownership & synchronization
 *	Stateless.
 */

#include <errno.h>
#include <stdio.h>

#include "ctg_rule.h"
#include "rule_stub.h"

static bool
stub_hook_used(const struct ctg_rule_set *rs, int family, enum ctg_rule_hook hook)
{
	(void)rs;
	(void)family;
	(void)hook;
	return false;
}

static void
stub_eval(const struct ctg_rule_set *rs, enum ctg_rule_hook hook, const struct ctg_rule_pkt *rp,
		struct ctg_rule_counters *cnt, uint64_t now_ns, struct ctg_rule_result *res)
{
	(void)rs;
	(void)hook;
	(void)rp;
	(void)cnt;
	(void)now_ns;
	res->verdict = CTG_RULE_ACCEPT;
	res->flags = CTG_RULE_F_UNFILTERED;
	res->nb_log = 0;
}

static int
stub_reject_build(const struct ctg_rule_result *res, const struct ctg_pkt *pkt, uint8_t *out,
		size_t out_size)
{
	(void)res;
	(void)pkt;
	(void)out;
	(void)out_size;
	return 0;
}

static int
stub_load_file(const char *path, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen)
{
	(void)opts;
	*out = NULL;
	if (err != NULL)
		snprintf(err, errlen, "%s: the rules library is not complete in this build",
				path);
	return -ENOTSUP;
}

static struct ctg_rule_counters *
stub_counters_create(const struct ctg_rule_set *rs)
{
	(void)rs;
	errno = ENOTSUP;
	return NULL;
}

static void
stub_counters_free(struct ctg_rule_counters *cnt)
{
	(void)cnt;
}

static uint32_t
stub_nb_rules(const struct ctg_rule_set *rs)
{
	(void)rs;
	return 0;
}

static void
stub_set_free(struct ctg_rule_set *rs)
{
	(void)rs;
}

bool ctg_rule_set_hook_used(const struct ctg_rule_set *rs, int family, enum ctg_rule_hook hook)
	__attribute__((weak, alias("stub_hook_used")));
void ctg_rule_eval(const struct ctg_rule_set *rs, enum ctg_rule_hook hook,
		const struct ctg_rule_pkt *rp, struct ctg_rule_counters *cnt, uint64_t now_ns,
		struct ctg_rule_result *res) __attribute__((weak, alias("stub_eval")));
int ctg_rule_reject_build(const struct ctg_rule_result *res, const struct ctg_pkt *pkt,
		uint8_t *out, size_t out_size) __attribute__((weak, alias("stub_reject_build")));
int ctg_rule_set_load_file(const char *path, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen)
	__attribute__((weak, alias("stub_load_file")));
struct ctg_rule_counters *ctg_rule_counters_create(const struct ctg_rule_set *rs)
	__attribute__((weak, alias("stub_counters_create")));
void ctg_rule_counters_free(struct ctg_rule_counters *cnt)
	__attribute__((weak, alias("stub_counters_free")));
void ctg_rule_set_free(struct ctg_rule_set *rs) __attribute__((weak, alias("stub_set_free")));
uint32_t ctg_rule_set_nb_rules(const struct ctg_rule_set *rs)
	__attribute__((weak, alias("stub_nb_rules")));

/* Compare addresses through an opaque barrier so the compiler cannot fold them. */
static bool
differs(const void *a, const void *b)
{
	__asm__("" : "+r"(a));
	return a != b;
}

bool
ctgate_rules_available(void)
{
	return differs((const void *)ctg_rule_set_hook_used, (const void *)stub_hook_used) &&
			differs((const void *)ctg_rule_eval, (const void *)stub_eval) &&
			differs((const void *)ctg_rule_reject_build,
					(const void *)stub_reject_build) &&
			differs((const void *)ctg_rule_set_load_file,
					(const void *)stub_load_file) &&
			differs((const void *)ctg_rule_counters_create,
					(const void *)stub_counters_create) &&
			differs((const void *)ctg_rule_counters_free,
					(const void *)stub_counters_free) &&
			differs((const void *)ctg_rule_set_free, (const void *)stub_set_free) &&
			differs((const void *)ctg_rule_set_nb_rules, (const void *)stub_nb_rules);
}
