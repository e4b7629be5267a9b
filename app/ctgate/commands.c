/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The command language of ctgate. The config file is a list of console commands,
 *	one a line ('#' starts a comment); the future console and control socket reuse
 *	this same table. A command is a row {path, usage, min/max arguments, flags,
 *	handler} (OVS unixctl's shape): ctgate_cmd_exec() splits a line into words, finds
 *	the row whose path words match the longest prefix, checks the argument count and
 *	calls the handler. Handlers report through struct ctgate_cmd_ctx: output to
 *	ctx->out (a FILE *, so a socket or a memstream works as well as stdout), errors
 *	as a message in ctx->err and a negative errno.
 *
 * Life-cycle
 *	Start-up commands (port add, bridge, workers, mempool, conntrack max, rules load)
 *	only fill struct ctgate_conf; nothing touches a device until the whole file has
 *	parsed and ctgate_conf_validate() has accepted it, so a bad config exits before any
 *	port starts. Rows flagged startup_only are refused once the appliance runs.
 *
 * Ownership & synchronization
 *	Control core only. Handlers never write worker state.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>

#include "ctg_common.h"
#include "ctgate.h"

#define MAX_WORDS 16
#define LINE_MAX_LEN 1024

static int __attribute__((format(printf, 2, 3)))
fail(struct ctgate_cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A decimal number in [min, max]. */
static int
parse_num(struct ctgate_cmd_ctx *ctx, const char *what, const char *s, uint64_t min,
		uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return fail(ctx, "bad number '%s' for %s", s, what);
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return fail(ctx, "bad number '%s' for %s", s, what);
	if (x < min || x > max)
		return fail(ctx, "%s %llu out of range [%" PRIu64 ", %" PRIu64 "]", what, x, min,
				max);
	*v = x;
	return 0;
}

static int
port_find(const struct ctgate_conf *conf, const char *name)
{
	for (uint16_t i = 0; i < conf->nb_ports; i++)
		if (strcmp(conf->ports[i].name, name) == 0)
			return i;
	return -1;
}

static int
cmd_port_add(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_conf *conf = &ctx->app->conf;
	struct ctgate_port *p;

	(void)argc;
	if (conf->nb_ports >= CTGATE_MAX_PORTS)
		return fail(ctx, "too many ports (at most %u)", CTGATE_MAX_PORTS);
	if (strlen(argv[0]) >= CTGATE_PORT_NAME)
		return fail(ctx, "port name '%s' too long", argv[0]);
	if (strlen(argv[1]) >= CTGATE_DEVARGS)
		return fail(ctx, "devargs of '%s' too long", argv[0]);
	if (port_find(conf, argv[0]) >= 0)
		return fail(ctx, "port '%s' already exists", argv[0]);
	for (uint16_t i = 0; i < conf->nb_ports; i++)
		if (strcmp(conf->ports[i].devargs, argv[1]) == 0)
			return fail(ctx, "device '%s' already used by port '%s'", argv[1],
					conf->ports[i].name);
	p = &conf->ports[conf->nb_ports++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", argv[0]);
	snprintf(p->devargs, sizeof(p->devargs), "%s", argv[1]);
	p->line = ctx->line;
	p->peer = CTGATE_NO_PEER;
	return 0;
}

static int
cmd_bridge(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_conf *conf = &ctx->app->conf;
	int a = port_find(conf, argv[0]), b = port_find(conf, argv[1]);

	(void)argc;
	if (a < 0)
		return fail(ctx, "no port '%s' (add it with 'port add' first)", argv[0]);
	if (b < 0)
		return fail(ctx, "no port '%s' (add it with 'port add' first)", argv[1]);
	if (a == b)
		return fail(ctx, "cannot bridge port '%s' to itself", argv[0]);
	if (conf->ports[a].peer != CTGATE_NO_PEER)
		return fail(ctx, "port '%s' is already bridged", argv[0]);
	if (conf->ports[b].peer != CTGATE_NO_PEER)
		return fail(ctx, "port '%s' is already bridged", argv[1]);
	conf->ports[a].peer = (uint16_t)b;
	conf->ports[b].peer = (uint16_t)a;
	return 0;
}

static int
cmd_workers(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v;
	int rc;

	(void)argc;
	rc = parse_num(ctx, "workers", argv[0], 1, CTGATE_MAX_WORKERS, &v);
	if (rc)
		return rc;
	ctx->app->conf.nb_workers = (uint16_t)v;
	ctx->app->conf.workers_line = ctx->line;
	return 0;
}

static int
cmd_mempool(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v;
	int rc;

	(void)argc;
	rc = parse_num(ctx, "mempool", argv[0], 1024, 1u << 24, &v);
	if (rc)
		return rc;
	ctx->app->conf.mempool_size = (uint32_t)v;
	return 0;
}

static int
cmd_conntrack_max(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v;
	int rc;

	(void)argc;
	rc = parse_num(ctx, "conntrack max", argv[0], 1, 1u << 26, &v);
	if (rc)
		return rc;
	ctx->app->conf.ct_max = v;
	return 0;
}

static int
cmd_set_param(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	const char *name = argv[0];
	int rc;

	(void)argc;
	if (strncmp(name, "net.netfilter.", 14) == 0)
		name += 14;
	/* The table's maximum is the appliance total; shards get a share at start. */
	if (strcmp(name, "nf_conntrack_max") == 0) {
		char *av[] = { argv[1] };

		return cmd_conntrack_max(ctx, 1, av);
	}
	rc = ctg_param_set(&ctg_ct_param_table, &ctx->app->conf.ct_params, name, argv[1]);
	switch (rc) {
	case 0:
		return 0;
	case -ENOENT:
		return fail(ctx, "unknown parameter '%s' (see 'show params')", name);
	case -ERANGE:
		return fail(ctx, "%s %s out of range", name, argv[1]);
	default:
		return fail(ctx, "bad number '%s' for %s", argv[1], name);
	}
}

static int
cmd_rules_load(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_conf *conf = &ctx->app->conf;
	char path[CTGATE_PATH];
	int n;

	(void)argc;
	if (argv[0][0] != '/' && ctx->basedir != NULL)
		n = snprintf(path, sizeof(path), "%s/%s", ctx->basedir, argv[0]);
	else
		n = snprintf(path, sizeof(path), "%s", argv[0]);
	if (n < 0 || (size_t)n >= sizeof(path))
		return fail(ctx, "rules file name too long");
	if (!ctx->started) {
		/* Loaded (and validated) once the ports are named, before any port starts. */
		memcpy(conf->rules_file, path, sizeof(conf->rules_file));
		conf->rules_line = ctx->line;
		return 0;
	}
	if (ctgate_rules_load(ctx->app, path, ctx->out) != 0)
		return fail(ctx, "rules not loaded; the previous set stays in force");
	return 0;
}

static int
cmd_show_params(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(ctx->out, "nf_conntrack_max = %" PRIu64 " (all workers)\n",
			ctx->app->conf.ct_max);
	ctg_param_dump(&ctg_ct_param_table, &ctx->app->conf.ct_params, ctx->out);
	return 0;
}

static int cmd_help(struct ctgate_cmd_ctx *ctx, int argc, char **argv);

/* The command table. Longer paths that share a prefix need no particular order. */
static const struct ctgate_cmd commands[] = {
	{ "port add", "NAME DEVARGS", 2, 2, true, cmd_port_add,
		"add a DPDK port (vdev args or PCI address) under NAME" },
	{ "bridge", "PORT PORT", 2, 2, true, cmd_bridge,
		"forward between two ports (a transparent bump in the wire)" },
	{ "workers", "N", 1, 1, true, cmd_workers,
		"number of worker lcores (one rx and tx queue each per port)" },
	{ "mempool", "N", 1, 1, true, cmd_mempool, "mbufs per NUMA socket" },
	{ "conntrack max", "N", 1, 1, true, cmd_conntrack_max,
		"connections in all (each worker's shard gets N / workers)" },
	{ "set param", "NAME VALUE", 2, 2, false, cmd_set_param,
		"set a conntrack tunable (nf_conntrack_* sysctl names)" },
	{ "rules load", "FILE", 1, 1, false, cmd_rules_load,
		"load an iptables-save ruleset (relative: to the config file's directory)" },
	{ "show params", "", 0, 0, false, cmd_show_params, "list the conntrack tunables" },
	{ "help", "", 0, 0, false, cmd_help, "list the commands" },
};

void
ctgate_cmd_help(FILE *out)
{
	for (size_t i = 0; i < CTG_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %s %-14s %s\n", commands[i].path, commands[i].usage,
				commands[i].help);
}

static int
cmd_help(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ctgate_cmd_help(ctx->out);
	return 0;
}

/* How many leading words of @p words the path of @p c matches (0: none). */
static int
path_match(const struct ctgate_cmd *c, char **words, int nb)
{
	const char *p = c->path;
	int n = 0;

	while (*p != '\0') {
		size_t l = strcspn(p, " ");

		if (n >= nb || strlen(words[n]) != l || strncmp(words[n], p, l) != 0)
			return 0;
		n++;
		p += l;
		while (*p == ' ')
			p++;
	}
	return n;
}

int
ctgate_cmd_exec(struct ctgate_cmd_ctx *ctx, const char *line)
{
	char buf[LINE_MAX_LEN], *words[MAX_WORDS + 1], *s, *hash;
	const struct ctgate_cmd *best = NULL;
	int nb = 0, best_n = 0, nargs;

	ctx->err[0] = '\0';
	if (strlen(line) >= sizeof(buf))
		return fail(ctx, "line too long");
	snprintf(buf, sizeof(buf), "%s", line);
	hash = strchr(buf, '#');
	if (hash != NULL)
		*hash = '\0';
	for (s = strtok(buf, " \t\r\n"); s != NULL; s = strtok(NULL, " \t\r\n")) {
		if (nb == MAX_WORDS + 1)
			return fail(ctx, "too many words");
		words[nb++] = s;
	}
	if (nb == 0)
		return 0;
	for (size_t i = 0; i < CTG_ARRAY_SIZE(commands); i++) {
		int n = path_match(&commands[i], words, nb);

		if (n > best_n) {
			best_n = n;
			best = &commands[i];
		}
	}
	if (best == NULL)
		return fail(ctx, "unknown command '%s' (try 'help')", words[0]);
	nargs = nb - best_n;
	if (nargs < best->min_args || nargs > best->max_args)
		return fail(ctx, "usage: %s %s", best->path, best->usage);
	if (best->startup_only && ctx->started)
		return fail(ctx, "'%s' can only be used in the config file", best->path);
	return best->fn(ctx, nargs, words + best_n);
}

void
ctgate_conf_defaults(struct ctgate_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->nb_workers = 1;
	conf->mempool_size = 8192;
	ctg_param_defaults(&ctg_ct_param_table, &conf->ct_params);
	conf->ct_max = conf->ct_params.max;
}

int
ctgate_cmd_run_file(struct ctgate_app *app, const char *path, FILE *out, FILE *err)
{
	struct ctgate_cmd_ctx ctx = { .app = app, .out = out };
	char line[LINE_MAX_LEN], dir[CTGATE_PATH];
	const char *slash = strrchr(path, '/');
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (slash != NULL)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	ctx.basedir = dir;
	if (f == NULL) {
		fprintf(err, "config: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		ctx.line++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(err, "config:%u: line too long\n", ctx.line);
			rc = -EINVAL;
			break;
		}
		rc = ctgate_cmd_exec(&ctx, line);
		if (rc != 0) {
			fprintf(err, "config:%u: %s\n", ctx.line, ctx.err);
			break;
		}
	}
	fclose(f);
	return rc;
}

int
ctgate_conf_validate(struct ctgate_app *app, FILE *err)
{
	struct ctgate_conf *conf = &app->conf;
	unsigned int avail = rte_lcore_count() - 1;

	if (conf->nb_ports == 0) {
		fprintf(err, "config: no ports (add one with 'port add NAME DEVARGS')\n");
		return -EINVAL;
	}
	for (uint16_t i = 0; i < conf->nb_ports; i++) {
		if (conf->ports[i].peer == CTGATE_NO_PEER) {
			fprintf(err, "config:%u: port '%s' is not in a bridge\n",
					conf->ports[i].line, conf->ports[i].name);
			return -EINVAL;
		}
	}
	if (conf->nb_workers > avail) {
		fprintf(err,
			"config:%u: %u workers need %u worker lcores, the EAL gave %u "
			"(use -l/--lcores, e.g. --lcores 0@0,(1-%u)@1)\n",
			conf->workers_line, conf->nb_workers, conf->nb_workers, avail,
			conf->nb_workers);
		return -EINVAL;
	}
	return 0;
}
