/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The command language of ctgate, shared by the config file (one command a line,
 *	'#' starts a comment), the console and the control socket. A command is declared
 *	once, as a row {path, usage, min/max arguments, flags, handler, help} (OVS
 *	unixctl's shape) registered by constructor with CTGATE_CMD() from the file of its
 *	module (this file: configuration; cli_show.c, cli_ct.c, cli_rules.c: run time).
 *	ctgate_cmd_exec() splits a line into words, finds the row whose path words match
 *	the longest prefix, checks the argument count and the flags (start-up only, run
 *	time only, read-write refused on a read-only session) and calls the handler.
 *	Handlers report through struct ctgate_cmd_ctx: output to ctx->out (a FILE *:
 *	stdout, a socket or a memstream), errors as a message in ctx->err and a negative
 *	errno. A handler flagged CTGATE_CMD_JSON writes JSON itself when ctx->json; the
 *	others' text is wrapped into a JSON string by ctgate_cmd_exec().
 *
 * Life-cycle
 *	Start-up commands (port add, bridge, workers, mempool, conntrack max, control
 *	socket, prometheus, ipfix, rules load) only fill struct ctgate_conf; nothing touches a device until the whole file has
 *	parsed and ctgate_conf_validate() has accepted it, so a bad config exits before any
 *	port starts. Rows flagged CTGATE_CMD_STARTUP are refused once the appliance runs.
 *
 * Ownership & synchronization
 *	Control core only. Handlers never write worker state.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_debug.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "ctg_common.h"
#include "ctgate.h"

#define MAX_WORDS    24
#define LINE_MAX_LEN 1024
#define MAX_COMMANDS 96

static const struct ctgate_cmd *commands[MAX_COMMANDS];
static unsigned int nb_commands;

void
ctgate_cmd_register(const struct ctgate_cmd *cmd)
{
	RTE_VERIFY(nb_commands < MAX_COMMANDS);
	commands[nb_commands++] = cmd;
}

int
ctgate_cmd_fail(struct ctgate_cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail ctgate_cmd_fail

void
ctgate_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int
ctgate_cmd_num(struct ctgate_cmd_ctx *ctx, const char *what, const char *s, uint64_t min,
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
	uint64_t v = 0;
	int rc;

	(void)argc;
	rc = ctgate_cmd_num(ctx, "workers", argv[0], 1, CTGATE_MAX_WORKERS, &v);
	if (rc)
		return rc;
	ctx->app->conf.nb_workers = (uint16_t)v;
	ctx->app->conf.workers_line = ctx->line;
	return 0;
}

static int
cmd_dispatch(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "l3") == 0)
		ctx->app->conf.owner_mode = CTG_PL_OWNER_L3;
	else if (strcmp(argv[0], "l4") == 0)
		ctx->app->conf.owner_mode = CTG_PL_OWNER_L4;
	else
		return fail(ctx, "dispatch wants l3 or l4, not '%s'", argv[0]);
	return 0;
}

static int
cmd_mempool(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v = 0;
	int rc;

	(void)argc;
	rc = ctgate_cmd_num(ctx, "mempool", argv[0], 1024, 1u << 24, &v);
	if (rc)
		return rc;
	ctx->app->conf.mempool_size = (uint32_t)v;
	return 0;
}

static int
cmd_conntrack_max(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v = 0;
	int rc;

	(void)argc;
	rc = ctgate_cmd_num(ctx, "conntrack max", argv[0], 1, 1u << 26, &v);
	if (rc)
		return rc;
	ctx->app->conf.ct_max = v;
	return 0;
}

static int
cmd_show_params(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	const struct ctg_ct_params *p = &ctx->app->conf.ct_params;
	const struct ctg_param_desc *d;

	(void)argc;
	(void)argv;
	if (ctx->started && ctx->app->params != NULL)
		p = ctx->app->params;
	if (ctx->json) {
		fprintf(ctx->out, "{\"nf_conntrack_max\": %" PRIu64, ctx->app->conf.ct_max);
		for (d = ctg_ct_param_table.params; d->name != NULL; d++)
			if (strcmp(d->name, "nf_conntrack_max") != 0)
				fprintf(ctx->out, ", \"%s\": %" PRIu64, d->name,
						ctg_param_get(d, p));
		fprintf(ctx->out, "}\n");
		return 0;
	}
	fprintf(ctx->out, "nf_conntrack_max = %" PRIu64 " (all workers)\n",
			ctx->app->conf.ct_max);
	for (d = ctg_ct_param_table.params; d->name != NULL; d++)
		if (strcmp(d->name, "nf_conntrack_max") != 0)
			fprintf(ctx->out, "%s = %" PRIu64 "\n", d->name, ctg_param_get(d, p));
	return 0;
}

static int
cmd_set_param(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_app *app = ctx->app;
	struct ctg_ct_params next;
	const char *name = argv[0];
	uint64_t max = 0;
	int rc;

	(void)argc;
	if (strncmp(name, "net.netfilter.", 14) == 0)
		name += 14;
	/* The table's maximum is the appliance total; shards get a share. */
	if (strcmp(name, "nf_conntrack_max") == 0) {
		char *av[] = { argv[1] };

		if (!ctx->started)
			return cmd_conntrack_max(ctx, 1, av);
		/* Running: the pools are sized; the limit may go down, not beyond them. */
		rc = ctgate_cmd_num(ctx, "nf_conntrack_max", argv[1], 1,
				(uint64_t)app->workers[0].ct_capacity * app->conf.nb_workers, &max);
		if (rc)
			return rc;
	}
	next = app->conf.ct_params;
	if (max != 0)
		rc = 0;
	else
		rc = ctg_param_set(&ctg_ct_param_table, &next, name, argv[1]);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		return fail(ctx, "unknown parameter '%s' (see 'show params')", name);
	case -ERANGE:
		return fail(ctx, "%s %s out of range", name, argv[1]);
	default:
		return fail(ctx, "bad number '%s' for %s", argv[1], name);
	}
	if (!ctx->started) {
		app->conf.ct_params = next;
		return 0;
	}
	/* Running: publish a new block; the workers switch between bursts. */
	if (max != 0)
		app->conf.ct_max = max;
	next.max = (app->conf.ct_max + app->conf.nb_workers - 1) / app->conf.nb_workers;
	rc = ctgate_params_publish(app, &next);
	if (rc != 0)
		return fail(ctx, "cannot publish the parameters: %s", strerror(-rc));
	app->conf.ct_params = next;
	app->conf.ct_params.max = app->conf.ct_max;
	return 0;
}

static int
cmd_control_socket(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "off") == 0) {
		ctx->app->conf.sock_path[0] = '\0';
		return 0;
	}
	if (argv[0][0] != '/' || strlen(argv[0]) >= sizeof(ctx->app->conf.sock_path) ||
			strlen(argv[0]) >= 108)
		return fail(ctx, "control socket: an absolute path under 108 bytes, or 'off'");
	snprintf(ctx->app->conf.sock_path, sizeof(ctx->app->conf.sock_path), "%s", argv[0]);
	ctx->app->conf.sock_explicit = true;
	return 0;
}

static int
cmd_console(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "off") != 0)
		return fail(ctx, "usage: console on|off");
	ctx->app->conf.console = strcmp(argv[0], "on") == 0;
	return 0;
}

static int
cmd_prometheus(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	uint64_t v = 0;
	int rc;

	(void)argc;
	rc = ctgate_cmd_num(ctx, "prometheus port", argv[0], 0, 65535, &v);
	if (rc)
		return rc;
	ctx->app->conf.prom_port = (uint16_t)v;
	return 0;
}

static int
cmd_ipfix(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	struct ctgate_conf *conf = &ctx->app->conf;
	uint64_t v = 0;
	int rc;

	if (strlen(argv[0]) >= sizeof(conf->ipfix_host))
		return fail(ctx, "ipfix collector address too long");
	rc = ctgate_cmd_num(ctx, "ipfix collector port", argv[1], 1, 65535, &v);
	if (rc)
		return rc;
	snprintf(conf->ipfix_host, sizeof(conf->ipfix_host), "%s", argv[0]);
	conf->ipfix_port = (uint16_t)v;
	if (argc == 3) {
		rc = ctgate_cmd_num(ctx, "ipfix template interval", argv[2], 1, 3600, &v);
		if (rc)
			return rc;
		conf->ipfix_template_s = (uint32_t)v;
	}
	return 0;
}

static int
cmd_help(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	size_t len = 0;
	bool any = false;
	char want[LINE_MAX_LEN] = "";

	for (int i = 0; i < argc; i++) {
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%s", i ? " " : "",
				argv[i]);
		if (len >= sizeof(want))
			return fail(ctx, "help: too long");
	}
	for (unsigned int i = 0; i < nb_commands; i++) {
		const struct ctgate_cmd *c = commands[i];

		if (argc > 0 && strncmp(c->path, want, strlen(want)) != 0)
			continue;
		if (ctx->started && (c->flags & CTGATE_CMD_STARTUP) && argc == 0)
			continue;
		any = true;
		if (argc > 0)
			fprintf(ctx->out, "%s %s\n    %s%s%s\n", c->path, c->usage, c->help,
					c->flags & CTGATE_CMD_STARTUP ? " (config file only)" : "",
					c->flags & CTGATE_CMD_RW ? " [rw]" : "");
		else
			fprintf(ctx->out, "  %-22s %-30s %s\n", c->path, c->usage, c->help);
	}
	if (!any)
		return fail(ctx, "no command '%s' (try 'help')", want);
	return 0;
}

static int
cmd_version(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (ctx->json)
		fprintf(ctx->out, "{\"ctgate\": \"%s\", \"dpdk\": \"%s\"}\n", CTGATE_VERSION,
				rte_version());
	else
		fprintf(ctx->out, "ctgate %s (%s)\n", CTGATE_VERSION, rte_version());
	return 0;
}

static int
cmd_quit(struct ctgate_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ctgate_session_quit(ctx->session);
	return 0;
}

/* The configuration commands; the run-time ones are in cli_*.c. */
CTGATE_CMD(port_add, "port add", "NAME DEVARGS", 2, 2, CTGATE_CMD_STARTUP, cmd_port_add,
		"add a DPDK port (vdev args or PCI address) under NAME")
CTGATE_CMD(bridge, "bridge", "PORT PORT", 2, 2, CTGATE_CMD_STARTUP, cmd_bridge,
		"forward between two ports (a transparent bump in the wire)")
CTGATE_CMD(workers, "workers", "N", 1, 1, CTGATE_CMD_STARTUP, cmd_workers,
		"number of worker lcores (one rx and tx queue each per port)")
CTGATE_CMD(dispatch, "dispatch", "l3|l4", 1, 1, CTGATE_CMD_STARTUP, cmd_dispatch,
		"owner of a packet: its host pair (l3, default: helpers and fragments stay on one "
		"worker) or its 5-tuple (l4)")
CTGATE_CMD(mempool, "mempool", "N", 1, 1, CTGATE_CMD_STARTUP, cmd_mempool,
		"mbufs per NUMA socket")
CTGATE_CMD(ct_max, "conntrack max", "N", 1, 1, CTGATE_CMD_STARTUP, cmd_conntrack_max,
		"connections in all (each worker's shard gets N / workers)")
CTGATE_CMD(control_socket, "control socket", "PATH|off", 1, 1, CTGATE_CMD_STARTUP,
		cmd_control_socket, "unix socket of ctgate-cli (default " CTGATE_SOCK_DEFAULT ")")
CTGATE_CMD(console, "console", "on|off", 1, 1, CTGATE_CMD_STARTUP, cmd_console,
		"the console on the terminal (default on)")
CTGATE_CMD(prometheus, "prometheus port", "PORT", 1, 1, CTGATE_CMD_STARTUP, cmd_prometheus,
		"serve /metrics on 127.0.0.1:PORT (0: off)")
CTGATE_CMD(ipfix, "ipfix collector", "HOST PORT [TEMPLATE_SECONDS]", 2, 3,
		CTGATE_CMD_STARTUP, cmd_ipfix, "send IPFIX connection records over UDP")
CTGATE_CMD(set_param, "set param", "NAME VALUE", 2, 2, CTGATE_CMD_RW, cmd_set_param,
		"set a conntrack tunable (nf_conntrack_* sysctl names)")
CTGATE_CMD(show_params, "show params", "", 0, 0, CTGATE_CMD_RO | CTGATE_CMD_JSON,
		cmd_show_params, "list the conntrack tunables")
CTGATE_CMD(help, "help", "[COMMAND]", 0, 4, CTGATE_CMD_RO, cmd_help,
		"list the commands, or the usage of one")
CTGATE_CMD(version, "version", "", 0, 0, CTGATE_CMD_RO | CTGATE_CMD_JSON, cmd_version,
		"ctgate and DPDK versions")
CTGATE_CMD(quit, "quit", "", 0, 0, CTGATE_CMD_RO | CTGATE_CMD_SESSION, cmd_quit,
		"leave the session (the console: stop ctgate)")

void
ctgate_cmd_help(FILE *out)
{
	for (unsigned int i = 0; i < nb_commands; i++)
		fprintf(out, "  %-22s %-30s %s\n", commands[i]->path, commands[i]->usage,
				commands[i]->help);
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

void
ctgate_cmd_complete(const char *line, void (*fn)(const char *word, void *arg), void *arg)
{
	size_t len = strlen(line);

	/* Every command path that starts with the line, cut after the next word. */
	for (unsigned int i = 0; i < nb_commands; i++) {
		const char *p = commands[i]->path;
		char word[64];
		size_t end;

		if (commands[i]->flags & CTGATE_CMD_STARTUP)
			continue;
		if (strncmp(p, line, len) != 0)
			continue;
		end = len + strcspn(p + len, " ");
		if (end >= sizeof(word))
			continue;
		memcpy(word, p, end);
		word[end] = '\0';
		fn(word, arg);
	}
}

static int
run_json_wrapped(struct ctgate_cmd_ctx *ctx, const struct ctgate_cmd *c, int nargs,
		char **args)
{
	FILE *saved = ctx->out;
	char *text = NULL;
	size_t size = 0;
	int rc;

	ctx->out = open_memstream(&text, &size);
	if (ctx->out == NULL) {
		ctx->out = saved;
		return fail(ctx, "no memory");
	}
	rc = c->fn(ctx, nargs, args);
	fclose(ctx->out);
	ctx->out = saved;
	if (rc == 0) {
		ctgate_json_str(ctx->out, text != NULL ? text : "");
		fputc('\n', ctx->out);
	}
	free(text);
	return rc;
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
	for (unsigned int i = 0; i < nb_commands; i++) {
		int n = path_match(commands[i], words, nb);

		if (n > best_n) {
			best_n = n;
			best = commands[i];
		}
	}
	if (best == NULL)
		return fail(ctx, "unknown command '%s' (try 'help')", words[0]);
	nargs = nb - best_n;
	if (nargs < best->min_args || nargs > best->max_args)
		return fail(ctx, "usage: %s %s", best->path, best->usage);
	if ((best->flags & CTGATE_CMD_STARTUP) && ctx->started)
		return fail(ctx, "'%s' can only be used in the config file", best->path);
	if ((best->flags & CTGATE_CMD_RUNTIME) && !ctx->started)
		return fail(ctx, "'%s' needs a running appliance (console or ctgate-cli)",
				best->path);
	if ((best->flags & CTGATE_CMD_SESSION) && ctx->session == NULL)
		return fail(ctx, "'%s' is for the console and ctgate-cli", best->path);
	if ((best->flags & CTGATE_CMD_RW) && ctx->read_only)
		return fail(ctx, "'%s' changes state: refused on a read-only session",
				best->path);
	if (ctx->json && !(best->flags & CTGATE_CMD_JSON))
		return run_json_wrapped(ctx, best, nargs, words + best_n);
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
	snprintf(conf->sock_path, sizeof(conf->sock_path), "%s", CTGATE_SOCK_DEFAULT);
	conf->console = true;
	conf->ipfix_template_s = 30;
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
