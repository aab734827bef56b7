/*
 * accept_guard.c — accept() that backs off when descriptors run out; see
 * accept_guard.h.
 *
 * The spare descriptor and the list of guards are global: the descriptor
 * table they stand for is the process's, and a library's listener
 * (adopted) keeps its own callback data, so its guard is found by the
 * osmo_fd in the list.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "gateway/lib/accept_guard.h"

/* One spare for the whole process: the loop runs one handler at a time. */
static int spare_fd = -1;
static LLIST_HEAD(guards);

int accept_guard_spare_fd(void)
{
	return spare_fd;
}

static int spare_open(void)
{
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return spare_fd < 0 ? -errno : 0;
}

static void resume_cb(void *data)
{
	struct accept_guard *g = data;

	spare_open();
	if (osmo_fd_register(g->ofd) < 0) {
		LOGP(g->log_cat, LOGL_ERROR, "%s: cannot listen again; retrying in %u ms\n", g->name,
		     ACCEPT_GUARD_PAUSE_MS);
		osmo_timer_schedule(&g->resume, 0, ACCEPT_GUARD_PAUSE_MS * 1000);
		return;
	}
	g->paused = false;
}

int accept_guard_init(struct accept_guard *g, struct osmo_fd *ofd, int log_cat, const char *name,
		      const char *refusal)
{
	int rc = spare_open();

	memset(g, 0, sizeof(*g));
	g->ofd = ofd;
	g->log_cat = log_cat;
	g->name = name;
	g->refusal = refusal;
	osmo_timer_setup(&g->resume, resume_cb, g);
	llist_add_tail(&g->list, &guards);
	if (rc < 0)
		LOGP(log_cat, LOGL_ERROR, "%s: cannot open the spare descriptor: %s\n", name,
		     strerror(-rc));
	return rc;
}

void accept_guard_stop(struct accept_guard *g)
{
	if (!g->ofd)
		return;	/* never started, or stopped already */
	osmo_timer_del(&g->resume);
	llist_del(&g->list);
	if (g->paused && osmo_fd_register(g->ofd) == 0)
		g->paused = false;	/* the socket as its owner left it */
	g->ofd = NULL;
}

/*
 * Out of descriptors: the spare makes room for one, and each waiting
 * connection is accepted into it and closed (with the refusal line), so
 * that the peers hear no and the backlog empties.  Returns how many.
 */
static unsigned long refuse_waiting(struct accept_guard *g)
{
	unsigned long n = 0;

	if (spare_fd < 0)
		return 0;
	close(spare_fd);
	spare_fd = -1;
	while (n < ACCEPT_GUARD_DRAIN_MAX) {
		int fd = accept4(g->ofd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		if (g->refusal)	/* best effort: the close says no anyway */
			send(fd, g->refusal, strlen(g->refusal), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		n++;
	}
	spare_open();
	return n;
}

/* Leave the select loop for a while; one line says so. */
static void pause_accepting(struct accept_guard *g, int err)
{
	unsigned long n = (err == EMFILE || err == ENFILE) ? refuse_waiting(g) : 0;

	g->refused += n;
	g->troubled = true;
	if (!g->paused) {
		osmo_fd_unregister(g->ofd);
		g->paused = true;
	}
	osmo_timer_schedule(&g->resume, ACCEPT_GUARD_PAUSE_MS / 1000,
			    (ACCEPT_GUARD_PAUSE_MS % 1000) * 1000);
	LOGP(g->log_cat, LOGL_ERROR, "%s: accept: %s; %lu waiting connection(s) refused, "
	     "accepting nothing for %u ms%s\n", g->name, strerror(err), n, ACCEPT_GUARD_PAUSE_MS,
	     spare_fd < 0 ? " (no spare descriptor)" : "");
}

/* The first connection accepted after a pause: say so, once. */
static void accepting_again(struct accept_guard *g)
{
	if (!g->troubled)
		return;
	LOGP(g->log_cat, LOGL_NOTICE, "%s: accepting connections again (%lu refused meanwhile)\n",
	     g->name, g->refused);
	g->troubled = false;
	g->refused = 0;
}

int accept_guard_accept(struct accept_guard *g, struct sockaddr *sa, socklen_t *len)
{
	int fd = accept4(g->ofd->fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int err = errno;

	if (fd >= 0) {
		accepting_again(g);
		if (spare_fd < 0)
			spare_open();	/* taken back as soon as there is room */
		return fd;
	}
	switch (err) {
	case EAGAIN:
	case EINTR:
		errno = EAGAIN;
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		pause_accepting(g, err);
		errno = EAGAIN;	/* handled: nothing for the caller to do */
		return -1;
	default:
		errno = err;	/* this connection's own trouble */
		return -1;
	}
}

/* ---- listeners of libraries (libosmovty's telnet) ---- */

static struct accept_guard *guard_of(const struct osmo_fd *ofd)
{
	struct accept_guard *g;

	llist_for_each_entry(g, &guards, list)
		if (g->ofd == ofd)
			return g;
	return NULL;
}

/* Would accept() get a descriptor?  A dup of the socket says. */
static int adopted_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct accept_guard *g = guard_of(ofd);
	int probe;

	if (!g)
		return 0;
	probe = fcntl(ofd->fd, F_DUPFD_CLOEXEC, 0);
	if (probe < 0 && (errno == EMFILE || errno == ENFILE)) {
		pause_accepting(g, errno);
		return 0;
	}
	if (probe >= 0)
		close(probe);
	accepting_again(g);
	return g->adopted_cb(ofd, what);
}

static int adopted_destructor(struct accept_guard *g)
{
	struct osmo_fd *ofd = g->ofd;

	accept_guard_stop(g);
	if (ofd)
		ofd->cb = g->adopted_cb;
	return 0;
}

static bool is_listener(int fd, char *name, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int acc = 0;
	socklen_t alen = sizeof(acc);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) < 0 || !acc)
		return false;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(name, cap, "listener on descriptor %d", fd);
	else
		snprintf(name, cap, "listener on %s port %s", host, serv);
	return true;
}

int accept_guard_adopt_listeners(void *ctx, int log_cat)
{
	struct rlimit rl;
	int max = 1024, n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	for (int fd = 0; fd < max; fd++) {
		struct osmo_fd *ofd = osmo_fd_get_by_fd(fd);
		struct accept_guard *g;
		char name[NI_MAXHOST + NI_MAXSERV + 32];

		if (!ofd || guard_of(ofd) || !ofd->cb || !is_listener(fd, name, sizeof(name)))
			continue;
		g = talloc_zero(ctx, struct accept_guard);
		if (!g)
			return -ENOMEM;
		accept_guard_init(g, ofd, log_cat, talloc_strdup(g, name), NULL);
		g->adopted_cb = ofd->cb;
		ofd->cb = adopted_cb;
		talloc_set_destructor(g, adopted_destructor);
		LOGP(log_cat, LOGL_DEBUG, "%s: guarded against running out of descriptors\n", g->name);
		n++;
	}
	return n;
}
