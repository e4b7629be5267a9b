/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overview
 *	The control core's run time: the console on the terminal (a small line editor with
 *	history, Tab completion and '?' help when stdin is a TTY; plain lines otherwise),
 *	the control socket of ctgate-cli, requests to the workers (list/delete/get/expect/
 *	zero), parameter publication, and the fan-out of what the workers report over their
 *	rings: connection events (to `events` subscribers and to IPFIX) and LOG hits (kept
 *	for `show log`). ctgate_ctl_poll() is one iteration of it, called from main().
 *
 *	Socket protocol (SOCK_SEQPACKET, mode 0600, owner root): a request is one record,
 *	"[--json ][--ro ]COMMAND WORDS"; the answer is zero or more output records followed
 *	by one trailer record "\0OK" or "\0ERR message". After `events` the session keeps
 *	receiving one record per event until the client closes it.
 *
 * Life-cycle
 *	ctgate_ctl_init() after the workers launched (the console and socket need them);
 *	ctgate_ctl_fini() restores the terminal, closes the sessions and unlinks the socket.
 *
 * Ownership & synchronization
 *	Control core only. It writes no worker state: a request is written into the worker's
 *	request buffer *before* it is enqueued (the ring orders it), and read back after the
 *	worker's release store of done. Event and LOG rings are single-consumer here.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "ctg_common.h"
#include "ctgate.h"

#define MAX_SESSIONS 16
#define HISTORY	     64
#define EDIT_MAX     1000
#define EV_BURST     64
#define PROMPT	     "ctgate> "

struct ctgate_session {
	int fd;			 /* socket, or -1 for the console */
	bool used;
	bool console;
	bool events;		 /* subscribed to connection events */
	bool has_filter;
	bool quit;
	struct ctgate_ct_filter filter;
	uint64_t lost;		 /* events this slow reader missed */
	uint64_t lost_reported;	 /* lost + workers' events_lost last reported */
};

struct log_line {
	struct ctgate_log_rec r;
	uint64_t wall_ms;
};

struct ctgate_ctl {
	int listen_fd;
	struct ctgate_session sessions[MAX_SESSIONS];
	struct ctgate_session console;
	bool console_on;	/* reading commands from stdin */
	bool tty;		/* stdin is a terminal: line editor */
	bool stdin_eof;
	struct termios saved_tio;
	char edit[EDIT_MAX + 1];
	size_t edit_len, edit_pos;
	char *history[HISTORY];
	unsigned int nb_history, history_pos;
	char inbuf[4096];	/* non-TTY stdin: partial line */
	size_t inlen;
	unsigned int esc;	/* escape sequence state */
	unsigned int nb_subscribers;
	struct log_line log[CTGATE_LOG_KEEP];
	uint64_t log_seen;	/* records drained in all */
	const struct ctg_ct_params *params_owned; /* a published block we allocated */
};

static struct ctgate_ctl ctl_storage;

/* ---- requests to workers ---- */

static void events_poll(struct ctgate_app *app);

void
ctgate_req_run_all(struct ctgate_app *app, const bool *mask)
{
	uint16_t nw = app->conf.nb_workers;
	bool posted[CTGATE_MAX_WORKERS] = { false };

	for (uint16_t i = 0; i < nw; i++) {
		struct ctgate_worker *w = &app->workers[i];

		if (!mask[i])
			continue;
		atomic_store_explicit(&w->req->done, false, memory_order_relaxed);
		if (atomic_load_explicit(&w->running, memory_order_acquire) &&
				rte_ring_sp_enqueue(w->req_ring, w->req) == 0) {
			posted[i] = true;
		} else {
			/* Not running: nothing to serve. */
			w->req->n = 0;
			w->req->cursor = UINT32_MAX;
		}
	}
	for (uint16_t i = 0; i < nw; i++) {
		struct ctgate_worker *w = &app->workers[i];
		unsigned int spins = 0;

		if (!posted[i])
			continue;
		while (!atomic_load_explicit(&w->req->done, memory_order_acquire)) {
			if (!atomic_load_explicit(&w->running, memory_order_acquire)) {
				/* Stopped while we waited: the request may still be on the
				 * ring; take it back so the buffer is ours again. */
				void *obj;

				while (rte_ring_sc_dequeue(w->req_ring, &obj) == 0)
					;
				w->req->n = 0;
				w->req->cursor = UINT32_MAX;
				break;
			}
			if (++spins % 1024 == 0) {
				/* Long walks: keep the event rings moving meanwhile. */
				events_poll(app);
				usleep(10);
			}
			rte_pause();
		}
	}
}

int
ctgate_req_run(struct ctgate_app *app, struct ctgate_worker *w)
{
	bool mask[CTGATE_MAX_WORKERS] = { false };

	mask[w->id] = true;
	ctgate_req_run_all(app, mask);
	return 0;
}

int
ctgate_params_publish(struct ctgate_app *app, const struct ctg_ct_params *p)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct ctg_ct_params *next = malloc(sizeof(*next));
	uint64_t g;

	if (next == NULL)
		return -ENOMEM;
	*next = *p;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++)
		atomic_store_explicit(&app->workers[i].params_next, next, memory_order_release);
	g = atomic_fetch_add_explicit(&app->params_gen, 1, memory_order_acq_rel) + 1;
	/* Grace period: every running worker switched between two bursts. */
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		struct ctgate_worker *w = &app->workers[i];

		while (atomic_load_explicit(&w->running, memory_order_acquire) &&
				atomic_load_explicit(&w->params_gen_seen, memory_order_acquire) < g)
			rte_pause();
	}
	free((void *)(uintptr_t)ctl->params_owned);
	ctl->params_owned = next;
	app->params = next;
	return 0;
}

/* ---- sessions ---- */

static void
update_events_on(struct ctgate_app *app)
{
	atomic_store_explicit(&app->events_on,
			app->ctl->nb_subscribers > 0 || ctgate_ipfix_on(app), memory_order_relaxed);
}

static struct ctgate_app *the_app;

void
ctgate_session_events(struct ctgate_session *s, bool on)
{
	struct ctgate_ctl *ctl = the_app->ctl;

	if (s == NULL || s->events == on)
		return;
	s->events = on;
	if (on) {
		ctl->nb_subscribers++;
		s->lost = 0;
		s->lost_reported = 0;
		{
			struct ctgate_worker_stats sum;

			ctgate_worker_stats_sum(the_app, &sum);
			s->lost_reported = sum.events_lost;
		}
	} else {
		ctl->nb_subscribers--;
	}
	update_events_on(the_app);
}

void
ctgate_session_set_filter(struct ctgate_session *s, const struct ctgate_ct_filter *f)
{
	if (s == NULL)
		return;
	s->has_filter = f != NULL;
	if (f != NULL)
		s->filter = *f;
}

void
ctgate_session_quit(struct ctgate_session *s)
{
	if (s != NULL)
		s->quit = true;
}

uint64_t
ctgate_session_events_lost(const struct ctgate_session *s)
{
	return s->lost;
}

void
ctgate_ctl_request_stop(struct ctgate_app *app)
{
	atomic_store(&app->stop, true);
}

static void
session_close(struct ctgate_app *app, struct ctgate_session *s)
{
	ctgate_session_events(s, false);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->used = false;
	(void)app;
}

/* Send one record without blocking; false if the reader is too slow (or gone). */
static bool
send_record(int fd, const char *buf, size_t len)
{
	return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

static void
trailer(int fd, int rc, const char *err)
{
	char buf[300];
	int n;

	if (rc == 0)
		n = snprintf(buf, sizeof(buf), "%cOK", '\0');
	else
		n = snprintf(buf, sizeof(buf), "%cERR %s", '\0', err[0] ? err : strerror(-rc));
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		return;
}

static void
session_request(struct ctgate_app *app, struct ctgate_session *s, char *req)
{
	struct ctgate_cmd_ctx ctx = { .app = app, .started = true, .session = s };
	int fd2, rc;

	for (;;) {
		if (strncmp(req, "--json ", 7) == 0) {
			ctx.json = true;
			req += 7;
		} else if (strncmp(req, "--ro ", 5) == 0) {
			ctx.read_only = true;
			req += 5;
		} else {
			break;
		}
	}
	fd2 = dup(s->fd);
	ctx.out = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
	if (ctx.out == NULL) {
		if (fd2 >= 0)
			close(fd2);
		trailer(s->fd, -ENOMEM, "no memory");
		return;
	}
	/* Output records of at most 32 KB: below the socket's buffer. */
	setvbuf(ctx.out, NULL, _IOFBF, 32768);
	rc = ctgate_cmd_exec(&ctx, req);
	fclose(ctx.out);
	trailer(s->fd, rc, ctx.err);
	if (rc == 0 && s->events) {
		char hello[64];
		int n = snprintf(hello, sizeof(hello), "# events: streaming until you disconnect");

		send_record(s->fd, hello, (size_t)n);
	}
}

static void
session_readable(struct ctgate_app *app, struct ctgate_session *s)
{
	char buf[2048];
	ssize_t n = recv(s->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		session_close(app, s);
		return;
	}
	if (n < 0)
		return;
	buf[n] = '\0';
	if (s->events) {
		/* Any request ends a stream. */
		ctgate_session_events(s, false);
	}
	session_request(app, s, buf);
	if (s->quit)
		session_close(app, s);
}

static void
accept_client(struct ctgate_app *app)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct timeval tv = { .tv_sec = 10 };
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int sndbuf = 1 << 20;

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct ctgate_session *s = &ctl->sessions[i];

		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->fd = fd;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		return;
	}
	trailer(fd, -EBUSY, "too many sessions");
	close(fd);
}

static int
socket_open(struct ctgate_app *app, FILE *err)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = app->conf.sock_path;
	char dir[CTGATE_PATH], *slash;
	mode_t old;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			fprintf(err, "ctgate: control socket: cannot create %s: %s\n", dir,
					strerror(errno));
			return -errno;
		}
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(err, "ctgate: control socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket nobody answers on is a leftover of a previous run. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fprintf(err, "ctgate: control socket %s is in use by another ctgate\n", path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		int e = errno;

		umask(old);
		fprintf(err, "ctgate: control socket %s: %s\n", path, strerror(e));
		close(fd);
		return -e;
	}
	umask(old);
	chmod(path, 0600);
	ctl->listen_fd = fd;
	return 0;
}

/* ---- console ---- */

static void
console_redraw(struct ctgate_ctl *ctl)
{
	printf("\r\033[K%s%.*s", PROMPT, (int)ctl->edit_len, ctl->edit);
	if (ctl->edit_pos < ctl->edit_len)
		printf("\033[%zuD", ctl->edit_len - ctl->edit_pos);
	fflush(stdout);
}

static void
console_exec(struct ctgate_app *app, const char *line)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct ctgate_cmd_ctx ctx = { .app = app, .out = stdout, .started = true,
		.session = &ctl->console };
	int rc = ctgate_cmd_exec(&ctx, line);

	if (rc != 0)
		printf("error: %s\n", ctx.err);
	if (ctl->console.quit) {
		printf("ctgate: quit from the console, stopping\n");
		ctgate_ctl_request_stop(app);
	}
	if (ctl->console.events)
		printf("(events: press Enter to stop)\n");
	fflush(stdout);
}

struct completion {
	char words[64][64];
	unsigned int n;
};

static void
complete_add(const char *word, void *arg)
{
	struct completion *c = arg;

	for (unsigned int i = 0; i < c->n; i++)
		if (strcmp(c->words[i], word) == 0)
			return;
	if (c->n < 64)
		snprintf(c->words[c->n++], sizeof(c->words[0]), "%s", word);
}

static void
console_complete(struct ctgate_ctl *ctl)
{
	struct completion c = { .n = 0 };
	size_t common;

	ctl->edit[ctl->edit_len] = '\0';
	ctl->edit_pos = ctl->edit_len;
	ctgate_cmd_complete(ctl->edit, complete_add, &c);
	if (c.n == 0)
		return;
	common = strlen(c.words[0]);
	for (unsigned int i = 1; i < c.n; i++) {
		size_t k = 0;

		while (k < common && c.words[i][k] == c.words[0][k])
			k++;
		common = k;
	}
	if (c.n == 1) {
		ctl->edit_len = (size_t)snprintf(ctl->edit, sizeof(ctl->edit), "%s ", c.words[0]);
	} else if (common > ctl->edit_len) {
		memcpy(ctl->edit, c.words[0], common);
		ctl->edit_len = common;
	} else {
		printf("\r\n");
		for (unsigned int i = 0; i < c.n; i++)
			printf("  %s\n", c.words[i]);
	}
	ctl->edit_pos = ctl->edit_len;
}

static void
history_add(struct ctgate_ctl *ctl, const char *line)
{
	if (line[0] == '\0' || (ctl->nb_history > 0 &&
			strcmp(ctl->history[(ctl->nb_history - 1) % HISTORY], line) == 0)) {
		ctl->history_pos = ctl->nb_history;
		return;
	}
	free(ctl->history[ctl->nb_history % HISTORY]);
	ctl->history[ctl->nb_history % HISTORY] = strdup(line);
	ctl->nb_history++;
	ctl->history_pos = ctl->nb_history;
}

static void
history_move(struct ctgate_ctl *ctl, int d)
{
	unsigned int oldest = ctl->nb_history > HISTORY ? ctl->nb_history - HISTORY : 0;
	unsigned int pos = ctl->history_pos;

	if (d < 0 && pos > oldest)
		pos--;
	else if (d > 0 && pos < ctl->nb_history)
		pos++;
	else
		return;
	ctl->history_pos = pos;
	if (pos == ctl->nb_history)
		ctl->edit_len = 0;
	else
		ctl->edit_len = (size_t)snprintf(ctl->edit, sizeof(ctl->edit), "%s",
				ctl->history[pos % HISTORY] ? ctl->history[pos % HISTORY] : "");
	ctl->edit_pos = ctl->edit_len;
}

static void
console_key(struct ctgate_app *app, unsigned char ch)
{
	struct ctgate_ctl *ctl = app->ctl;

	if (ctl->console.events) {
		/* A key ends the event stream. */
		ctgate_session_events(&ctl->console, false);
		printf("\r\033[K(events stopped)\n");
		console_redraw(ctl);
		return;
	}
	if (ctl->esc == 1) {
		ctl->esc = ch == '[' || ch == 'O' ? 2 : 0;
		return;
	}
	if (ctl->esc == 2) {
		ctl->esc = 0;
		switch (ch) {
		case 'A':
			history_move(ctl, -1);
			break;
		case 'B':
			history_move(ctl, 1);
			break;
		case 'C':
			if (ctl->edit_pos < ctl->edit_len)
				ctl->edit_pos++;
			break;
		case 'D':
			if (ctl->edit_pos > 0)
				ctl->edit_pos--;
			break;
		case 'H':
			ctl->edit_pos = 0;
			break;
		case 'F':
			ctl->edit_pos = ctl->edit_len;
			break;
		default:
			break;
		}
		console_redraw(ctl);
		return;
	}
	switch (ch) {
	case 27:
		ctl->esc = 1;
		return;
	case '\r':
	case '\n':
		ctl->edit[ctl->edit_len] = '\0';
		printf("\r\n");
		history_add(ctl, ctl->edit);
		{
			char line[EDIT_MAX + 1];

			memcpy(line, ctl->edit, ctl->edit_len + 1);
			ctl->edit_len = ctl->edit_pos = 0;
			console_exec(app, line);
		}
		break;
	case '\t':
		console_complete(ctl);
		break;
	case '?':
		ctl->edit[ctl->edit_len] = '\0';
		printf("\r\n");
		{
			char line[EDIT_MAX + 8];
			size_t l = ctl->edit_len;

			while (l > 0 && ctl->edit[l - 1] == ' ')
				l--;
			snprintf(line, sizeof(line), "help %.*s", (int)l, ctl->edit);
			console_exec(app, line);
		}
		break;
	case 127:
	case 8:
		if (ctl->edit_pos > 0) {
			memmove(ctl->edit + ctl->edit_pos - 1, ctl->edit + ctl->edit_pos,
					ctl->edit_len - ctl->edit_pos);
			ctl->edit_pos--;
			ctl->edit_len--;
		}
		break;
	case 1: /* ^A */
		ctl->edit_pos = 0;
		break;
	case 5: /* ^E */
		ctl->edit_pos = ctl->edit_len;
		break;
	case 21: /* ^U */
		ctl->edit_len = ctl->edit_pos = 0;
		break;
	case 4: /* ^D */
		if (ctl->edit_len == 0) {
			printf("\r\n");
			console_exec(app, "quit");
			return;
		}
		break;
	case 12: /* ^L */
		printf("\033[H\033[2J");
		break;
	default:
		if (ch >= 32 && ch < 127 && ctl->edit_len < EDIT_MAX) {
			memmove(ctl->edit + ctl->edit_pos + 1, ctl->edit + ctl->edit_pos,
					ctl->edit_len - ctl->edit_pos);
			ctl->edit[ctl->edit_pos++] = (char)ch;
			ctl->edit_len++;
		}
		break;
	}
	if (!atomic_load(&app->stop))
		console_redraw(ctl);
}

static void
console_readable(struct ctgate_app *app)
{
	struct ctgate_ctl *ctl = app->ctl;
	char buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		ctl->stdin_eof = true;
		return;
	}
	if (ctl->tty) {
		for (ssize_t i = 0; i < n && !atomic_load(&app->stop); i++)
			console_key(app, (unsigned char)buf[i]);
		return;
	}
	/* Not a terminal: whole lines, one command each (a script piped in). */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && ctl->inlen < sizeof(ctl->inbuf) - 1) {
			ctl->inbuf[ctl->inlen++] = buf[i];
			continue;
		}
		ctl->inbuf[ctl->inlen] = '\0';
		ctl->inlen = 0;
		console_exec(app, ctl->inbuf);
		if (atomic_load(&app->stop))
			return;
	}
}

/* ---- events and logs from the workers ---- */

static void
session_event(struct ctgate_app *app, struct ctgate_session *s, const struct ctgate_event *e,
		const char *line, size_t len)
{
	(void)app;
	if (s->has_filter && !ctgate_ct_filter_match(&s->filter, &e->c))
		return;
	if (s->console) {
		printf("\r\033[K%s\n", line);
		return;
	}
	if (!send_record(s->fd, line, len))
		s->lost++;
}

static void
report_lost(struct ctgate_app *app, struct ctgate_session *s, uint64_t workers_lost)
{
	uint64_t total = workers_lost + s->lost;
	char line[96];
	int n;

	if (total == s->lost_reported)
		return;
	n = snprintf(line, sizeof(line), "[LOST] %" PRIu64 " events lost", total - s->lost_reported);
	if (s->console) {
		printf("\r\033[K%s\n", line);
		s->lost_reported = total;
		return;
	}
	if (send_record(s->fd, line, (size_t)n))
		s->lost_reported = total;
	(void)app;
}

static void
events_poll(struct ctgate_app *app)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct ctgate_event ev[EV_BURST];
	bool any = false;

	if (ctl == NULL)
		return;
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		struct ctgate_worker *w = &app->workers[i];
		unsigned int n;

		do {
			n = rte_ring_sc_dequeue_burst_elem(w->ev_ring, ev, sizeof(ev[0]), EV_BURST,
					NULL);
			for (unsigned int k = 0; k < n; k++) {
				char *line = NULL;
				size_t len = 0;
				FILE *f;

				if (ev[k].type == CTGATE_EV_DESTROY && ctgate_ipfix_on(app))
					ctgate_ipfix_event(app, &ev[k]);
				if (ctl->nb_subscribers == 0)
					continue;
				f = open_memstream(&line, &len);
				if (f == NULL)
					continue;
				ctgate_event_print(&ev[k], f);
				fclose(f);
				if (ctl->console.events)
					session_event(app, &ctl->console, &ev[k], line, len);
				for (int s = 0; s < MAX_SESSIONS; s++)
					if (ctl->sessions[s].used && ctl->sessions[s].events)
						session_event(app, &ctl->sessions[s], &ev[k], line, len);
				free(line);
				any = true;
			}
		} while (n == EV_BURST);
	}
	if (ctl->nb_subscribers > 0) {
		struct ctgate_worker_stats sum;

		ctgate_worker_stats_sum(app, &sum);
		if (ctl->console.events)
			report_lost(app, &ctl->console, sum.events_lost);
		for (int s = 0; s < MAX_SESSIONS; s++)
			if (ctl->sessions[s].used && ctl->sessions[s].events)
				report_lost(app, &ctl->sessions[s], sum.events_lost);
	}
	if (any && ctl->console.events)
		fflush(stdout);
}

static void
logs_poll(struct ctgate_app *app)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct ctgate_log_rec r[16];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (uint16_t i = 0; i < app->conf.nb_workers; i++) {
		unsigned int n = rte_ring_sc_dequeue_burst_elem(app->workers[i].log_ring, r,
				sizeof(r[0]), 16, NULL);

		for (unsigned int k = 0; k < n; k++) {
			struct log_line *l = &ctl->log[ctl->log_seen % CTGATE_LOG_KEEP];

			l->r = r[k];
			l->wall_ms = (app->wall0_ns + r[k].now_ns) / 1000000;
			ctl->log_seen++;
		}
	}
}

uint64_t
ctgate_log_seen(const struct ctgate_app *app)
{
	return app->ctl != NULL ? app->ctl->log_seen : 0;
}

void
ctgate_log_show(struct ctgate_app *app, FILE *out, unsigned int n, bool json)
{
	struct ctgate_ctl *ctl = app->ctl;
	uint64_t first, kept;
	struct ctgate_worker_stats sum;

	logs_poll(app);
	kept = ctl->log_seen < CTGATE_LOG_KEEP ? ctl->log_seen : CTGATE_LOG_KEEP;
	if (n > kept)
		n = (unsigned int)kept;
	first = ctl->log_seen - n;
	ctgate_worker_stats_sum(app, &sum);
	if (json)
		fprintf(out, "{\"seen\": %" PRIu64 ", \"suppressed\": %" PRIu64 ", \"lines\": [",
				sum.log, sum.log_lost);
	for (uint64_t i = first; i < ctl->log_seen; i++) {
		const struct log_line *l = &ctl->log[i % CTGATE_LOG_KEEP];
		const struct ctgate_log_rec *r = &l->r;
		char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?", when[32];
		time_t t = (time_t)(l->wall_ms / 1000);
		struct tm tm;
		char *text = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&text, &size);

		if (f == NULL)
			break;
		if (r->family)
			inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->src.b, s, sizeof(s));
		if (r->family)
			inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->dst.b, d, sizeof(d));
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(f, "%s.%03u worker %u: %sIN=%s OUT=%s SRC=%s DST=%s LEN=%u PROTO=%u", when,
				(unsigned int)(l->wall_ms % 1000), r->worker, r->prefix,
				app->conf.ports[r->in_port].name,
				r->out_port < app->conf.nb_ports ? app->conf.ports[r->out_port].name : "",
				s, d, r->len, r->proto);
		if (r->sport || r->dport)
			fprintf(f, " SPT=%u DPT=%u", r->sport, r->dport);
		fprintf(f, " (rule line %u, level %u)", r->line, r->level);
		fclose(f);
		if (json) {
			fprintf(out, "%s", i > first ? ", " : "");
			ctgate_json_str(out, text);
		} else {
			fprintf(out, "%s\n", text);
		}
		free(text);
	}
	if (json)
		fprintf(out, "]}\n");
	else
		fprintf(out, "LOG records: %" PRIu64 " queued by the workers, %" PRIu64
			     " suppressed (rate %u/s per worker, burst %u)\n",
				sum.log, sum.log_lost, CTGATE_LOG_RATE, CTGATE_LOG_BURST);
}

/* ---- init, poll, fini ---- */

int
ctgate_ctl_init(struct ctgate_app *app, FILE *err)
{
	struct ctgate_ctl *ctl = &ctl_storage;
	int rc;

	memset(ctl, 0, sizeof(*ctl));
	ctl->listen_fd = -1;
	ctl->console.fd = -1;
	ctl->console.console = true;
	ctl->console.used = true;
	app->ctl = ctl;
	the_app = app;
	for (int i = 0; i < MAX_SESSIONS; i++)
		ctl->sessions[i].fd = -1;
	if (app->conf.sock_path[0] != '\0') {
		rc = socket_open(app, err);
		if (rc != 0)
			return rc;
		printf("ctgate: control socket %s\n", app->conf.sock_path);
	}
	if (app->conf.console) {
		ctl->console_on = true;
		ctl->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
		if (ctl->tty && tcgetattr(STDIN_FILENO, &ctl->saved_tio) == 0) {
			struct termios t = ctl->saved_tio;

			t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
			t.c_cc[VMIN] = 1;
			t.c_cc[VTIME] = 0;
			tcsetattr(STDIN_FILENO, TCSANOW, &t);
			printf("ctgate console: 'help' lists the commands, Tab completes, "
			       "'?' helps, 'quit' stops ctgate\n");
			console_redraw(ctl);
		} else {
			ctl->tty = false;
		}
	}
	update_events_on(app);
	return 0;
}

void
ctgate_ctl_poll(struct ctgate_app *app, int timeout_ms)
{
	struct ctgate_ctl *ctl = app->ctl;
	struct pollfd pfd[MAX_SESSIONS + 2];
	int idx[MAX_SESSIONS + 2];
	int n = 0, rc;

	if (ctl->console_on && !ctl->stdin_eof) {
		pfd[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		idx[n++] = -2;
	}
	if (ctl->listen_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = ctl->listen_fd, .events = POLLIN };
		idx[n++] = -1;
	}
	for (int i = 0; i < MAX_SESSIONS; i++) {
		if (!ctl->sessions[i].used)
			continue;
		pfd[n] = (struct pollfd){ .fd = ctl->sessions[i].fd, .events = POLLIN };
		idx[n++] = i;
	}
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	for (int k = 0; rc > 0 && k < n; k++) {
		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (idx[k] == -2)
			console_readable(app);
		else if (idx[k] == -1)
			accept_client(app);
		else if (ctl->sessions[idx[k]].used)
			session_readable(app, &ctl->sessions[idx[k]]);
	}
	events_poll(app);
	logs_poll(app);
	if (ctgate_ipfix_on(app))
		ctgate_ipfix_flush(app, false);
	fflush(stdout);
}

void
ctgate_ctl_fini(struct ctgate_app *app)
{
	struct ctgate_ctl *ctl = app->ctl;

	if (ctl == NULL)
		return;
	if (ctl->tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &ctl->saved_tio);
		printf("\r\033[K");
	}
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (ctl->sessions[i].used)
			session_close(app, &ctl->sessions[i]);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(app->conf.sock_path);
	}
	for (unsigned int i = 0; i < HISTORY; i++)
		free(ctl->history[i]);
	free((void *)(uintptr_t)ctl->params_owned);
	ctl->params_owned = NULL;
	app->ctl = NULL;
}
