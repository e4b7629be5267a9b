/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	Rules on the console: rules show (`iptables -L -v -n`, the workers' counters
 *	summed), rules load FILE (validate, publish, grace period, free the old set: see
 *	ctgate_rules_publish() in main.c), rules save (`iptables-save -c`), rules zero
 *	(`iptables -Z`), show log (LOG target hits collected from the workers).
 *
 * Ownership & synchronization
 *	Control core only. Each worker owns its rule counter block: sums read racy 64-bit
 *	snapshots; zeroing is a request the worker serves itself (CTGATE_REQ_RULES_ZERO).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctg_common.h"
#include "ctgate.h"

/* This set's counters summed over the workers (caller frees), or NULL. */
static struct ctg_rule_counters *
counters_sum(struct ctgate_app *app)
{
	struct ctg_rule_counters *sum;

	if (app->rules == NULL)
		return NULL;
	sum = ctg_rule_counters_create(app->rules);
	if (sum == NULL)
		return NULL;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++)
		if (app->rule_cnt[i] != NULL)
			ctg_rule_counters_sum(sum, app->rule_cnt[i]);
	return sum;
}

static int
family_arg(struct ctgate_cmd_ctx *ctx, const char *a, int *family, const char **table)
{
	if (strcmp(a, "-4") == 0)
		*family = 4;
	else if (strcmp(a, "-6") == 0)
		*family = 6;
	else if (table != NULL && (strcmp(a, "filter") == 0 || strcmp(a, "raw") == 0))
		*table = a;
	else
		return ctgate_cmd_fail(ctx, "unexpected '%s' (%s)", a,
				table != NULL ? "filter|raw, -4|-6" : "-4|-6");
	return 0;
}

static int
cmd_rules_show(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctg_rule_counters *sum;
	const char *table = "filter";
	int family = 4, rc;

	for (int i = 0; i < argc; i++)
		if (family_arg(ctx, argv[i], &family, &table) != 0)
			return -EINVAL;
	if (ctx->app->rules == NULL) {
		fprintf(ctx->out, "no rules loaded: every packet is accepted\n");
		return 0;
	}
	sum = counters_sum(ctx->app);
	rc = ctg_rule_set_list(ctx->app->rules, family, table, sum, ctx->out);
	ctg_rule_counters_free(sum);
	if (rc != 0)
		return ctgate_cmd_fail(ctx, "no table '%s'", table);
	return 0;
}

static int
cmd_rules_save(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctg_rule_counters *sum;
	int family = 4, rc;

	for (int i = 0; i < argc; i++)
		if (family_arg(ctx, argv[i], &family, NULL) != 0)
			return -EINVAL;
	if (ctx->app->rules == NULL) {
		fprintf(ctx->out, "# no rules loaded: every packet is accepted\n");
		return 0;
	}
	sum = counters_sum(ctx->app);
	rc = ctg_rule_set_save(ctx->app->rules, family, sum, ctx->out);
	ctg_rule_counters_free(sum);
	if (rc != 0)
		return ctgate_cmd_fail(ctx, "cannot save the rules: %s", strerror(-rc));
	return 0;
}

static int
cmd_rules_zero(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	bool mask[CTGATE_MAX_WORKERS];

	(void)argc;
	(void)argv;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		app->workers[i].req->op = CTGATE_REQ_RULES_ZERO;
		mask[i] = true;
	}
	ctgate_req_run_all(app, mask);
	fprintf(ctx->out, "rule counters zeroed\n");
	return 0;
}

static int
cmd_rules_load(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_conf *conf = &ctx->app->conf;
	char path[CTGATE_PATH], *msg = NULL;
	size_t msg_size = 0;
	FILE *err;
	int n, rc;

	(void)argc;
	if (argv[0][0] != '/' && ctx->basedir != NULL)
		n = snprintf(path, sizeof(path), "%s/%s", ctx->basedir, argv[0]);
	else
		n = snprintf(path, sizeof(path), "%s", argv[0]);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ctgate_cmd_fail(ctx, "rules file name too long");
	if (!ctx->started) {
		/* Loaded (and validated) once the ports are named, before any port starts. */
		memcpy(conf->rules_file, path, sizeof(conf->rules_file));
		conf->rules_line = ctx->line;
		return 0;
	}
	err = open_memstream(&msg, &msg_size);
	if (err == NULL)
		return ctgate_cmd_fail(ctx, "no memory");
	rc = ctgate_rules_load(ctx->app, path, err);
	fclose(err);
	if (rc != 0) {
		size_t l = msg != NULL ? strlen(msg) : 0;

		while (l > 0 && msg[l - 1] == '\n')
			msg[--l] = '\0';
		ctgate_cmd_fail(ctx, "%s; the previous set stays in force", l ? msg : "not loaded");
		free(msg);
		return rc < 0 ? rc : -EINVAL;
	}
	free(msg);
	/* SIGHUP reloads the file loaded last. */
	memcpy(conf->rules_file, path, sizeof(conf->rules_file));
	fprintf(ctx->out, "rules loaded from %s (%u rules), published to %u workers\n", path,
			ctg_rule_set_nb_rules(ctx->app->rules), conf->nb_workers);
	return 0;
}

static int
cmd_show_log(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t n = 20;

	if (argc == 1 && ctgate_cmd_num(ctx, "lines", argv[0], 1, CTGATE_LOG_KEEP, &n) != 0)
		return -EINVAL;
	ctgate_log_show(ctx->app, ctx->out, (unsigned int)n, ctx->json);
	return 0;
}

CTGATE_CMD(rules_show, "rules show", "[filter|raw] [-4|-6]", 0, 2,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME, cmd_rules_show,
		"the ruleset with packet and byte counters (iptables -L -v -n)")
CTGATE_CMD(rules_load, "rules load", "FILE", 1, 1, CTGATE_CMD_RW, cmd_rules_load,
		"load an iptables-save ruleset: validate, publish, wait for the workers, free the "
		"old set (config: relative to its directory)")
CTGATE_CMD(rules_save, "rules save", "[-4|-6]", 0, 1, CTGATE_CMD_RO | CTGATE_CMD_RUNTIME,
		cmd_rules_save, "the ruleset in iptables-save -c form (with counters)")
CTGATE_CMD(rules_zero, "rules zero", "", 0, 0, CTGATE_CMD_RW | CTGATE_CMD_RUNTIME,
		cmd_rules_zero, "zero the rule and policy counters (iptables -Z)")
CTGATE_CMD(show_log, "show log", "[N]", 0, 1,
		CTGATE_CMD_RO | CTGATE_CMD_RUNTIME | CTGATE_CMD_JSON, cmd_show_log,
		"the last N (20) LOG target hits (rate-limited per worker)")
