/*
 * accept_guard.h — accept(2) for a listening socket on the select loop
 * that does not spin when the process runs out of descriptors.
 *
 * The select loop is level-triggered: while a connection waits in the
 * backlog the listening socket stays readable, and an accept() that fails
 * with EMFILE leaves it there, so the handler runs again at once, for ever
 * (issue 9: 5.87 million "accept: Too many open files" lines in 25 s, both
 * cores busy).  The guard answers such a failure the way libevent's and
 * nginx's listeners do:
 *
 *  - EMFILE/ENFILE: the spare descriptor kept for this (/dev/null, opened
 *    by accept_guard_init()) is closed, the waiting connections are
 *    accepted into its place and closed at once (after an optional
 *    one-line refusal, best effort), so that no peer is left hanging in
 *    the backlog; the spare is opened again;
 *  - EMFILE/ENFILE/ENOBUFS/ENOMEM: the listening socket leaves the select
 *    loop for ACCEPT_GUARD_PAUSE_MS and is registered again after;
 *  - one log line per pause (ERROR) with the count of connections refused,
 *    and one (NOTICE) when a connection is accepted again.
 *
 * accept_guard_adopt_listeners() puts listening sockets that libraries
 * registered on the loop (libosmovty's telnet) under a guard too.
 * Single-threaded, as the select loop is.
 */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#define ACCEPT_GUARD_PAUSE_MS	1000
#define ACCEPT_GUARD_DRAIN_MAX	64	/* connections refused per pause, at most */

struct accept_guard {
	struct llist_head list;		/* every guard, for adopt_listeners */
	struct osmo_fd *ofd;		/* the listening socket */
	const char *name;		/* for the log: "SMTP", "stats socket" */
	int log_cat;
	const char *refusal;		/* sent to a connection refused, or NULL */
	struct osmo_timer_list resume;
	unsigned long refused;		/* since the last "accepting again" line */
	bool paused;			/* out of the select loop */
	bool troubled;			/* a pause since the last accept */
	int (*adopted_cb)(struct osmo_fd *ofd, unsigned int what);	/* adopted: the library's */
};

/*
 * Guard the listening socket ofd (registered or about to be; ofd must
 * outlive the guard); name and refusal are borrowed.  Opens the spare
 * descriptor if it is not open yet: 0, or a negative errno (logged).
 */
int accept_guard_init(struct accept_guard *g, struct osmo_fd *ofd, int log_cat, const char *name,
		      const char *refusal);

/*
 * accept4(ofd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC) from the listening
 * socket's read callback: the new descriptor, or -1 with errno EAGAIN
 * when there is nothing to serve now (none waiting, or out of descriptors
 * or buffers: handled as above).  An error that concerns one connection
 * only (ECONNABORTED, EPERM, EPROTO, ...) is -1 with its errno, for the
 * caller to log (rate-limited) and go on.
 */
int accept_guard_accept(struct accept_guard *g, struct sockaddr *sa, socklen_t *len);

/* Before the listening socket is closed: no more resume; a paused socket
 * is registered again, so that it is as its owner left it.  Does nothing
 * on a zeroed guard or one stopped already. */
void accept_guard_stop(struct accept_guard *g);

/*
 * Every listening stream socket on the select loop that no guard has yet
 * (libosmovty's telnet server) gets one, allocated under ctx: before its
 * own callback runs, a probe (a dup of the socket) tells whether accept()
 * could get a descriptor; if not, the guard refuses and pauses as above.
 * Returns how many were adopted, or a negative errno.
 */
int accept_guard_adopt_listeners(void *ctx, int log_cat);

/* The spare descriptor, or -1 (for tests). */
int accept_guard_spare_fd(void);
