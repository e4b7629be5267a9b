/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the command language of the config file, the console and the
 * control socket (app/ctgate/commands.c: tokenizer, command match, argument counts,
 * number parsing, the start-up commands and `set param`), linked on its own.
 *
 * Input: lines of a config file, run in the start-up context (as `ctgate --config`
 * runs them) against a zeroed application; each line is run whatever the previous one
 * answered (a config file stops at the first error: this reaches further). The commands
 * registered by the rest of the appliance (show, conntrack, rules ...) are not linked,
 * so they answer "unknown command". Invariants: no crash, every failure leaves an error
 * message, the configuration stays within its bounds.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctgate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The two hooks commands.c calls into the running appliance (control.c, main.c). */
static struct ctg_ct_params published;

int
ctgate_params_publish(struct ctgate_app *app, const struct ctg_ct_params *p)
{
	(void)app;
	if (p->max == 0)
		abort(); /* a shard share of 0 connections */
	published = *p;
	return 0;
}

void
ctgate_session_quit(struct ctgate_session *s)
{
	(void)s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctgate_app app;
	struct ctgate_cmd_ctx ctx = { .app = &app, .basedir = "/nonexistent" };
	char *text = malloc(size + 1), *line, *save = NULL;
	FILE *out = fopen("/dev/null", "w");

	if (text == NULL || out == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&app, 0, sizeof(app));
	ctgate_conf_defaults(&app.conf);
	ctx.out = out;
	/* Half the inputs as a running appliance (console/socket context). */
	ctx.started = size > 0 && (data[0] & 1);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		int rc;

		ctx.line++;
		rc = ctgate_cmd_exec(&ctx, line);
		if (rc != 0 && ctx.err[0] == '\0')
			abort(); /* a failure without a message */
		if (app.conf.nb_ports > CTGATE_MAX_PORTS || app.conf.nb_workers > CTGATE_MAX_WORKERS)
			abort();
	}
	fclose(out);
	free(text);
	return 0;
}
