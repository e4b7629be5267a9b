/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	ctgate-cli: the client of ctgate's control socket. `ctgate-cli [-s PATH] [--json]
 *	[--read-only] COMMAND...` runs one command and exits (0: done, 1: the command
 *	failed, 2: usage or no ctgate to talk to); without a command it reads commands from
 *	stdin, one a line (a prompt when stdin is a terminal). `events` streams until
 *	interrupted.
 *
 *	Protocol (app/ctgate/control.c): SOCK_SEQPACKET; a request is one record
 *	"[--json ][--ro ]COMMAND"; the answer is output records, then a trailer record
 *	"\0OK" or "\0ERR message"; after `events`, one record per event.
 *
 * Ownership & synchronization
 *	Single-threaded; no EAL.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCK "/run/ctgate/ctgate.sock"
#define REC_MAX	     (1 << 20)

static char rec[REC_MAX];

static void
usage(FILE *f)
{
	fprintf(f, "usage: ctgate-cli [-s|--socket PATH] [-j|--json] [-r|--read-only] "
		   "[COMMAND [ARGS...]]\n"
		   "  without COMMAND: read commands from stdin, one a line\n"
		   "  ctgate-cli help: the commands of the running ctgate\n"
		   "  socket: $CTGATE_SOCKET or " DEFAULT_SOCK "\n");
}

static void
json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Send one command and print the answer. @return 0, 1 (command error) or 2 (lost). */
static int
run(int fd, const char *cmd, bool json, bool ro)
{
	char req[4096];
	bool events;
	int n;

	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	events = strncmp(cmd, "events", 6) == 0 && (cmd[6] == '\0' || cmd[6] == ' ');
	n = snprintf(req, sizeof(req), "%s%s%s", json ? "--json " : "", ro ? "--ro " : "", cmd);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "ctgate-cli: command too long\n");
		return 1;
	}
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "ctgate-cli: lost the connection to ctgate: %s\n", strerror(errno));
		return 2;
	}
	for (;;) {
		ssize_t r = recv(fd, rec, sizeof(rec) - 1, 0);

		if (r <= 0) {
			fprintf(stderr, "ctgate-cli: ctgate closed the connection\n");
			return 2;
		}
		rec[r] = '\0';
		if (r > 0 && rec[0] == '\0') {
			if (strncmp(rec + 1, "OK", 2) == 0)
				break;
			if (json) {
				printf("{\"error\": ");
				json_escape(stdout, rec + 5);
				printf("}\n");
			}
			fprintf(stderr, "ctgate-cli: error: %s\n", rec + 5);
			fflush(stdout);
			return 1;
		}
		fwrite(rec, 1, (size_t)r, stdout);
	}
	fflush(stdout);
	if (!events)
		return 0;
	/* A stream: one record per event until we are interrupted or ctgate leaves. */
	for (;;) {
		ssize_t r = recv(fd, rec, sizeof(rec) - 1, 0);

		if (r <= 0)
			return 0;
		rec[r] = '\0';
		printf("%s\n", rec);
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("CTGATE_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool json = false, ro = false;
	int opt, fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		path = DEFAULT_SOCK;
	/* '+': stop at the first non-option, so "delete -p tcp" reaches ctgate. */
	while ((opt = getopt_long(argc, argv, "+s:jrh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			ro = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctgate-cli: socket path too long: %s\n", path);
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr,
			"ctgate-cli: cannot connect to %s: %s\n"
			"  (is ctgate running? its socket is set by 'control socket PATH' or "
			"--socket; here: -s PATH or CTGATE_SOCKET)\n",
			path, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (optind < argc) {
		char cmd[4096];
		size_t len = 0;

		for (int i = optind; i < argc; i++) {
			int n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i > optind ? " " : "",
					argv[i]);

			if (n < 0 || (size_t)n >= sizeof(cmd) - len) {
				fprintf(stderr, "ctgate-cli: command too long\n");
				return 2;
			}
			len += (size_t)n;
		}
		rc = run(fd, cmd, json, ro);
	} else {
		char line[4096];
		bool tty = isatty(STDIN_FILENO);

		for (;;) {
			size_t l;

			if (tty) {
				fputs("ctgate> ", stdout);
				fflush(stdout);
			}
			if (fgets(line, sizeof(line), stdin) == NULL)
				break;
			l = strlen(line);
			while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
				line[--l] = '\0';
			if (l == 0 || line[0] == '#')
				continue;
			rc = run(fd, line, json, ro);
			if (rc == 2 || strcmp(line, "quit") == 0)
				break;
		}
		if (rc == 1)
			rc = 0; /* interactive: errors were shown, the session went on */
	}
	close(fd);
	return rc;
}
