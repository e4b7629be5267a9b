/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading: text -> parsed rules -> compiled, immutable rule set.
 *
 * Overview. ctg_rule_set_load_str() parses the main text for its family (and, for
 * family AUTO, a second time as the oracle's IPv6 copy, or the separate IPv6 text), then
 * rule_compile() turns the parse result into what evaluation needs:
 *   1. the rules are reordered so that each chain's rules are contiguous, in chain order
 *      (that order is also the rule index space used by counters, listings and saves);
 *   2. the jump graph is checked: a loop is -ELOOP (the kernel refuses it too), and the
 *      deepest call stack must fit RULE_MAX_DEPTH frames;
 *   3. each chain with enough rules gets a classifier (struct rule_index, built by
 *      rule_classify.c, see there and README.md): every rule is filed under one
 *      condition (address, port or protocol range, conntrack state) that any packet it
 *      matches meets; evaluation visits only the rules whose condition the packet meets,
 *      merged in rule order, which is exactly the linear scan minus rules that cannot
 *      match.
 *
 * Life-cycle and ownership. Runs on the control core. The set is private until the load
 * returns it; from then on it is immutable and may be read by any number of workers.
 * ctg_rule_set_free() must only run after every reader is done (RCU grace period).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_rule.h"

#include "rule_private.h"

#define RULE_INDEX_MIN 4 /* chains with fewer rules are scanned linearly */

/* ---------------------------------------------------------------------------------- */
/* Jump graph. */

static int
visit_depth(const struct ctg_rule_set *rs, uint32_t chain, uint8_t *mark, uint32_t *depth,
		uint32_t *bad)
{
	const struct rule_chain *ch = &rs->chains[chain];
	uint32_t best = 0;

	if (mark[chain] == 2)
		return 0;
	if (mark[chain] == 1) {
		*bad = chain;
		return -ELOOP;
	}
	mark[chain] = 1;
	for (uint32_t i = 0; i < ch->nb; i++) {
		const struct rule *r = &rs->rules[ch->first + i];
		int rc;

		if (r->target != RT_JUMP && r->target != RT_GOTO)
			continue;
		rc = visit_depth(rs, r->jump, mark, depth, bad);
		if (rc != 0)
			return rc;
		if (depth[r->jump] + (r->target == RT_JUMP ? 1u : 0u) > best)
			best = depth[r->jump] + (r->target == RT_JUMP ? 1u : 0u);
	}
	depth[chain] = best;
	mark[chain] = 2;
	return 0;
}

static int
check_graph(struct ctg_rule_set *rs, char *err, size_t errlen)
{
	uint8_t *mark = calloc(rs->nb_chains + 1, 1);
	uint32_t *depth = calloc(rs->nb_chains + 1, sizeof(uint32_t));
	uint32_t bad = 0;
	int rc = 0;

	if (mark == NULL || depth == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t c = 0; c < rs->nb_chains && rc == 0; c++) {
		rc = visit_depth(rs, c, mark, depth, &bad);
		if (rc == 0 && depth[c] + 1 > RULE_MAX_DEPTH) {
			bad = c;
			rc = -E2BIG;
		}
	}
	if (rc == -ELOOP || rc == -E2BIG) {
		const struct rule_chain *ch = &rs->chains[bad];

		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: chain '%s': %s",
					rs->file[ch->family == 4 ? 0 : 1], ch->name,
					rc == -ELOOP ? "jump loop" : "chain calls nested too deeply");
		rc = -ELOOP;
	}
out:
	free(mark);
	free(depth);
	return rc;
}

/* ---------------------------------------------------------------------------------- */
/* Compile. */

int
rule_compile(struct ctg_rule_set *rs, const struct ctg_rule_load_opts *opts, char *err,
		size_t errlen)
{
	struct rule *nr;
	uint32_t n = 0;
	int rc;

	nr = calloc(rs->nb_rules + 1, sizeof(*nr));
	if (nr == NULL)
		return -ENOMEM;
	for (uint32_t c = 0; c < rs->nb_chains; c++) {
		struct rule_chain *ch = &rs->chains[c];

		ch->first = n;
		ch->nb = ch->tmp_nb;
		for (uint32_t i = 0; i < ch->tmp_nb; i++)
			nr[n++] = rs->rules[ch->tmp[i]];
		free(ch->tmp);
		ch->tmp = NULL;
		ch->tmp_nb = ch->tmp_cap = 0;
	}
	/* Every parsed rule belongs to exactly one chain. */
	free(rs->rules);
	rs->rules = nr;
	rs->nb_rules = n;
	rs->cap_rules = n + 1;

	rc = check_graph(rs, err, errlen);
	if (rc != 0)
		return rc;

	for (uint32_t c = 0; c < rs->nb_chains; c++) {
		struct rule_chain *ch = &rs->chains[c];
		int fi = ch->family == 4 ? 0 : 1;

		if (ch->builtin && ch->table == RULE_TABLE_FILTER && strcmp(ch->name, "FORWARD") == 0)
			rs->hook_chain[fi][CTG_RULE_FILTER_FORWARD] = c;
		if (ch->builtin && ch->table == RULE_TABLE_RAW && strcmp(ch->name, "PREROUTING") == 0)
			rs->hook_chain[fi][CTG_RULE_RAW_PREROUTING] = c;
		if ((opts == NULL || !opts->linear) && ch->nb >= RULE_INDEX_MIN) {
			rc = rule_cls_build(rs, ch);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

void
rule_set_destroy(struct ctg_rule_set *rs)
{
	for (uint32_t i = 0; i < rs->nb_rules; i++) {
		free(rs->rules[i].log_prefix);
		free(rs->rules[i].helper);
		free(rs->rules[i].text);
		free(rs->rules[i].jump_name);
	}
	for (uint32_t c = 0; c < rs->nb_chains; c++) {
		free(rs->chains[c].tmp);
		rule_cls_free(&rs->chains[c].idx);
	}
	free(rs->rules);
	free(rs->matches);
	free(rs->chains);
	free(rs->file[0]);
	free(rs->file[1]);
	free(rs);
}

void
ctg_rule_set_free(struct ctg_rule_set *rs)
{
	if (rs != NULL)
		rule_set_destroy(rs);
}

static struct ctg_rule_set *
set_alloc(void)
{
	struct ctg_rule_set *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	for (int f = 0; f < 2; f++)
		for (int h = 0; h < CTG_RULE_HOOK_COUNT; h++)
			rs->hook_chain[f][h] = UINT32_MAX;
	return rs;
}

static int
parse_family(struct ctg_rule_set *rs, const char *text, const char *name, int family,
		bool mirror, const struct ctg_rule_load_opts *opts, bool *has_addr, char *err,
		size_t errlen)
{
	int fi = family == 4 ? 0 : 1;
	int rc;

	if (rs->file[fi] == NULL) {
		rs->file[fi] = strdup(name);
		if (rs->file[fi] == NULL)
			return -ENOMEM;
	}
	rc = rule_parse_text(rs, text, name, family, mirror, opts, has_addr, err, errlen);
	if (rc == 0)
		rs->filters[fi] = 1;
	return rc;
}

static int
load_common(const char *text, const char *name, const char *text6, const char *name6,
		const struct ctg_rule_load_opts *opts, struct ctg_rule_set **out, char *err,
		size_t errlen)
{
	static const struct ctg_rule_load_opts defaults = {
		.family = CTG_RULE_FAMILY_AUTO,
		.ignore_interfaces = true,
	};
	struct ctg_rule_set *rs;
	bool has_addr = false, has6 = false;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL || out == NULL || (unsigned int)opts->family >= CTG_RULE_FAMILY_COUNT)
		return -EINVAL;
	if (opts->port_names != NULL && opts->nb_ports > RULE_MAX_PORTS)
		return -EINVAL;
	rs = set_alloc();
	if (rs == NULL)
		return -ENOMEM;
	if (opts->family == CTG_RULE_FAMILY_IPV6) {
		rc = parse_family(rs, text, name, 6, false, opts, &has6, err, errlen);
	} else {
		rc = parse_family(rs, text, name, 4, false, opts, &has_addr, err, errlen);
		if (rc == 0 && text6 != NULL) {
			rc = parse_family(rs, text6, name6, 6, false, opts, &has6, err, errlen);
		} else if (rc == 0 && opts->family == CTG_RULE_FAMILY_AUTO && !has_addr) {
			rc = parse_family(rs, text, name, 6, true, opts, &has6, err, errlen);
		}
	}
	if (rc == 0)
		rc = rule_compile(rs, opts, err, errlen);
	if (rc != 0) {
		rule_set_destroy(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int
ctg_rule_set_load_str(const char *text, const char *name, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen)
{
	const char *t6 = opts != NULL ? opts->str6 : NULL;

	return load_common(text, name != NULL ? name : "<string>", t6, "<string6>", opts, out,
			err, errlen);
}

static int
read_file(const char *path, char **text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0;
	char *buf;

	if (f == NULL) {
		int e = errno;

		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? -ENOENT : -EIO;
	}
	buf = malloc(cap);
	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL)
		return -ENOMEM;
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: NUL byte in file", path);
		return -EINVAL;
	}
	*text = buf;
	return 0;
}

int
ctg_rule_set_load_file(const char *path, const struct ctg_rule_load_opts *opts,
		struct ctg_rule_set **out, char *err, size_t errlen)
{
	char *text = NULL, *text6 = NULL;
	const char *p6 = opts != NULL ? opts->file6 : NULL;
	int rc;

	if (path == NULL)
		return -EINVAL;
	rc = read_file(path, &text, err, errlen);
	if (rc == 0 && p6 != NULL)
		rc = read_file(p6, &text6, err, errlen);
	if (rc == 0)
		rc = load_common(text, path, text6, p6, opts, out, err, errlen);
	free(text);
	free(text6);
	return rc;
}
