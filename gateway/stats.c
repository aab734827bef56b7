/*
 * stats.c — the stats socket of stats.h.
 *
 * Commands are a table of keyword rows with a handler each, as HAProxy's
 * stats.c does.  A connection is read up to its first line end (at most
 * STATS_MAX_LINE bytes, within STATS_TIMEOUT_S seconds), answered, and
 * closed; a slow reader never blocks the loop: the answer is written as the
 * socket accepts it.  "reload registry" is answered when the reload ends
 * (stats_reload_done()); its connection waits meanwhile, at most
 * STATS_RELOAD_WAIT_S seconds, and the others are served as usual.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/utils.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/accept_guard.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/json.h"
#include "gateway/lib/logging.h"
#include "gateway/stats.h"

#define STATS_MAX_LINE	256
#define STATS_TIMEOUT_S	10
#define STATS_GAUGES_MAX	16
#define STATS_RELOAD_WAIT_S	120	/* a registry of PEM certificates loads slowly */

struct stats_sock {
	struct osmo_fd listen;
	struct accept_guard guard;	/* no spinning when descriptors run out */
	char *path;
	char *name;
	char *version;
	time_t started;
	struct rate_ctr_group *ctrs;
	const struct stats_ops *ops;
	void *data;
	struct llist_head waiting;	/* connections waiting for a reload's end */
};

struct stats_conn {
	struct stats_sock *s;
	struct osmo_fd ofd;
	struct osmo_timer_list timeout;
	char line[STATS_MAX_LINE + 1];
	size_t line_len;
	char *answer;		/* talloc string being written */
	size_t answer_len;
	size_t answer_off;
	bool waiting;		/* in s->waiting */
	struct llist_head wait_entry;
};

/* The answer, as a talloc string on c; NULL when it comes later (the
 * connection is then in s->waiting). */
typedef char *(*stats_handler)(struct stats_conn *c, struct stats_sock *s);

static char *jw_to_talloc(void *ctx, struct jw *w)
{
	char *out = jw_finish(w) == 0 ? talloc_strndup(ctx, w->buf, w->len) : NULL;
	jw_free(w);
	return out;
}

static char *cmd_show_info(struct stats_conn *c, struct stats_sock *s)
{
	struct jw w;
	jw_init(&w, 0);
	jw_obj_open(&w);
	jw_kstr(&w, "name", s->name);
	jw_kstr(&w, "version", s->version);
	jw_kint(&w, "pid", getpid());
	jw_kint(&w, "uptime_s", (int64_t)(time(NULL) - s->started));
	if (s->ops && s->ops->info)
		s->ops->info(s->data, &w);
	jw_obj_close(&w);
	return jw_to_talloc(c, &w);
}

static unsigned gauges_of(struct stats_sock *s, struct stats_gauge *g)
{
	return s->ops && s->ops->gauges ? s->ops->gauges(s->data, g, STATS_GAUGES_MAX) : 0;
}

static char *cmd_show_stats(struct stats_conn *c, struct stats_sock *s)
{
	const struct rate_ctr_group_desc *d = s->ctrs->desc;
	char name[64];
	struct jw w;

	jw_init(&w, 0);
	jw_obj_open(&w);
	for (unsigned i = 0; i < d->num_ctr; i++) {
		txgw_ctr_stats_name(name, sizeof(name), d->ctr_desc[i].name);
		jw_kuint(&w, name, rate_ctr_group_get_ctr(s->ctrs, i)->current);
	}
	struct stats_gauge g[STATS_GAUGES_MAX];
	for (unsigned i = 0, n = gauges_of(s, g); i < n; i++)
		jw_kuint(&w, g[i].name, g[i].value);
	jw_obj_close(&w);
	return jw_to_talloc(c, &w);
}

/* Prometheus text exposition format: txgw_ prefix, dots as underscores. */
static char *cmd_show_metrics(struct stats_conn *c, struct stats_sock *s)
{
	const struct rate_ctr_group_desc *d = s->ctrs->desc;
	char *out = talloc_strdup(c, "");

	for (unsigned i = 0; out && i < d->num_ctr; i++) {
		char name[64];
		txgw_ctr_stats_name(name, sizeof(name), d->ctr_desc[i].name);
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '_';
		out = talloc_asprintf_append(out, "# HELP txgw_%s %s\n# TYPE txgw_%s counter\ntxgw_%s %llu\n",
					     name, d->ctr_desc[i].description, name, name,
					     (unsigned long long)rate_ctr_group_get_ctr(s->ctrs, i)->current);
	}
	struct stats_gauge g[STATS_GAUGES_MAX];
	for (unsigned i = 0, n = gauges_of(s, g); out && i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s", g[i].name);
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '_';
		out = talloc_asprintf_append(out, "# HELP txgw_%s %s\n# TYPE txgw_%s gauge\ntxgw_%s %llu\n",
					     name, g[i].desc, name, name, (unsigned long long)g[i].value);
	}
	return out;
}

static char *cmd_show_binds(struct stats_conn *c, struct stats_sock *s)
{
	struct jw w;
	jw_init(&w, 0);
	jw_arr_open(&w);
	if (s->ops && s->ops->binds)
		s->ops->binds(s->data, &w);
	jw_arr_close(&w);
	return jw_to_talloc(c, &w);
}

static char *reload_answer(void *ctx, long n, const char *msg)
{
	if (n >= 0)
		return talloc_asprintf(ctx, "ok %ld", n);
	return talloc_asprintf(ctx, "error %s", msg ? msg : strerror(-n));
}

static char *reload(struct stats_conn *c, struct stats_sock *s, bool force)
{
	char msg[256] = "reload not available";
	long n = s->ops && s->ops->reload ? s->ops->reload(s->data, force, msg, sizeof(msg)) : -ENOTSUP;

	if (n != -EINPROGRESS)
		return reload_answer(c, n, msg);
	c->waiting = true;
	llist_add_tail(&c->wait_entry, &s->waiting);
	osmo_timer_schedule(&c->timeout, STATS_RELOAD_WAIT_S, 0);
	return NULL;
}

static char *cmd_reload_registry(struct stats_conn *c, struct stats_sock *s)
{
	return reload(c, s, false);
}

static char *cmd_reload_registry_force(struct stats_conn *c, struct stats_sock *s)
{
	return reload(c, s, true);
}

static const struct {
	const char *cmd;
	stats_handler handler;
} stats_commands[] = {
	{ "show info", cmd_show_info },
	{ "show stats", cmd_show_stats },
	{ "show metrics", cmd_show_metrics },
	{ "show binds", cmd_show_binds },
	{ "reload registry", cmd_reload_registry },
	{ "reload registry force", cmd_reload_registry_force },
};

/* Fold runs of blanks, drop leading and trailing ones: "show  info " works. */
static void normalize(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	bool blank = false;
	for (; *in && o + 1 < cap; in++) {
		if (*in == ' ' || *in == '\t') {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < cap)
			out[o++] = ' ';
		blank = false;
		out[o++] = *in;
	}
	out[o] = '\0';
}

static char *answer(struct stats_conn *c, const char *cmd)
{
	char norm[STATS_MAX_LINE + 1];
	normalize(norm, sizeof(norm), cmd);
	for (size_t i = 0; i < ARRAY_SIZE(stats_commands); i++)
		if (!strcmp(norm, stats_commands[i].cmd))
			return stats_commands[i].handler(c, c->s);
	return talloc_strdup(c, "error unknown command");
}

/* Also runs when the whole socket is freed with connections open. */
static int conn_destructor(struct stats_conn *c)
{
	if (c->waiting)
		llist_del(&c->wait_entry);
	osmo_timer_del(&c->timeout);
	osmo_fd_unregister(&c->ofd);
	close(c->ofd.fd);
	return 0;
}

static void conn_free(struct stats_conn *c)
{
	talloc_free(c);
}

/* Start writing answer (a talloc string on c, or NULL: out of memory). */
static void conn_reply(struct stats_conn *c, char *answer)
{
	c->answer = answer ? answer : talloc_strdup(c, "error out of memory");
	c->answer = talloc_strdup_append(c->answer, "\n");
	c->answer_len = strlen(c->answer);
	osmo_fd_update_when(&c->ofd, OSMO_FD_MASK, OSMO_FD_WRITE);
}

static void conn_timeout(void *data)
{
	struct stats_conn *c = data;

	if (!c->waiting) {
		conn_free(c);
		return;
	}
	/* the reload goes on and its end is logged; this client is told */
	llist_del(&c->wait_entry);
	c->waiting = false;
	conn_reply(c, talloc_asprintf(c, "error no end of the reload within %d s; it goes on, "
				      "see the log", STATS_RELOAD_WAIT_S));
	osmo_timer_schedule(&c->timeout, STATS_TIMEOUT_S, 0);
}

static void conn_answer(struct stats_conn *c)
{
	char *a;

	c->line[c->line_len] = '\0';
	c->line[strcspn(c->line, "\r\n")] = '\0';
	a = answer(c, c->line);
	if (c->waiting)		/* nothing more is read from it */
		osmo_fd_update_when(&c->ofd, OSMO_FD_MASK, 0);
	else
		conn_reply(c, a);
}

void stats_reload_done(struct stats_sock *s, long n, const char *msg)
{
	struct stats_conn *c, *tmp;

	llist_for_each_entry_safe(c, tmp, &s->waiting, wait_entry) {
		llist_del(&c->wait_entry);
		c->waiting = false;
		conn_reply(c, reload_answer(c, n, msg));
		osmo_timer_schedule(&c->timeout, STATS_TIMEOUT_S, 0);
	}
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct stats_conn *c = ofd->data;

	if ((what & OSMO_FD_READ) && !c->answer && !c->waiting) {
		ssize_t n = read(ofd->fd, c->line + c->line_len, STATS_MAX_LINE - c->line_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0) {
			conn_free(c);
			return 0;
		}
		c->line_len += (size_t)n;
		if (n == 0 || memchr(c->line, '\n', c->line_len) || c->line_len == STATS_MAX_LINE)
			conn_answer(c);
		return 0;
	}
	if ((what & OSMO_FD_WRITE) && c->answer) {
		/* MSG_NOSIGNAL: a client gone while it waited for a reload is
		 * EPIPE, not a SIGPIPE */
		ssize_t n = send(ofd->fd, c->answer + c->answer_off, c->answer_len - c->answer_off,
				 MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0 || (c->answer_off += (size_t)n) == c->answer_len)
			conn_free(c);
	}
	return 0;
}

static int listen_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct stats_sock *s = ofd->data;
	int fd = accept_guard_accept(&s->guard, NULL, NULL);
	if (fd < 0)
		return 0;
	struct stats_conn *c = talloc_zero(s, struct stats_conn);
	if (!c) {
		close(fd);
		return 0;
	}
	c->s = s;
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		talloc_free(c);
		return 0;
	}
	osmo_timer_setup(&c->timeout, conn_timeout, c);
	osmo_timer_schedule(&c->timeout, STATS_TIMEOUT_S, 0);
	talloc_set_destructor(c, conn_destructor);
	return 0;
}

static int stats_sock_destructor(struct stats_sock *s)
{
	accept_guard_stop(&s->guard);
	if (s->listen.fd >= 0) {
		osmo_fd_unregister(&s->listen);
		close(s->listen.fd);
		unlink(s->path);
	}
	return 0;
}

int stats_sock_open(void *ctx, const char *path, const char *name, const char *version,
		    struct rate_ctr_group *ctrs, const struct stats_ops *ops, void *data,
		    struct stats_sock **out)
{
	struct stats_sock *s = talloc_zero(ctx, struct stats_sock);
	int rc;

	if (!s) {
		LOGP(DSTATS, LOGL_ERROR, "cannot open the stats socket %s: %s\n", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	s->listen.fd = -1;
	s->path = talloc_strdup(s, path);
	s->name = talloc_strdup(s, name);
	s->version = talloc_strdup(s, version);
	s->started = time(NULL);
	s->ctrs = ctrs;
	s->ops = ops;
	s->data = data;
	INIT_LLIST_HEAD(&s->waiting);
	talloc_set_destructor(s, stats_sock_destructor);

	unlink(path);
	/* stats.md: mode 0660 from the moment bind() makes the file, not
	 * after a chmod(); the umask is the process's, and the only other
	 * threads (ZeroMQ's, the verifiers) create no files */
	mode_t old = umask(0117);
	errno = 0;
	int fd = osmo_sock_unix_init(SOCK_STREAM, 0, path, OSMO_SOCK_F_BIND | OSMO_SOCK_F_NONBLOCK);
	int err = errno;
	umask(old);
	if (fd < 0) {
		/* osmo_sock_unix_init() returns -1 and leaves errno to the call that failed */
		rc = err ? -err : -EADDRINUSE;
		goto fail;
	}
	osmo_fd_setup(&s->listen, fd, OSMO_FD_READ, listen_cb, s, 0);
	accept_guard_init(&s->guard, &s->listen, DSTATS, "stats socket", NULL);
	rc = osmo_fd_register(&s->listen);
	if (rc < 0) {
		close(fd);
		s->listen.fd = -1;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	LOGP(DSTATS, LOGL_ERROR, "cannot open the stats socket %s: %s\n", path, strerror(-rc));
	talloc_set_destructor(s, NULL);
	talloc_free(s);
	return rc;
}

void stats_sock_close(struct stats_sock *s)
{
	talloc_free(s);
}
