/*
 * sub_conn.c — txgw-sub's sockets: the SUB on the publish socket and the
 * DEALER on the replay socket (with CURVE when asked), the watch on the
 * DEALER's handshakes that says why a gateway refuses us (bus_client.c),
 * the signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "contrib/sub/sub.h"

static void *zsock(struct sub *s, int type, const char *ep)
{
	struct bc_sock want = { .type = type, .ep = ep, .max_msg = MSG_MAX, .curve = &s->o.curve,
				.subscribe = type == ZMQ_SUB ? TOPIC_PREFIX : NULL,
				/* the replay socket's handshakes: why a gateway refuses us */
				.watch = type == ZMQ_DEALER ? &s->watch : NULL,
				.watch_name = "txgw-sub" };
	struct bc_fail fail;
	void *z = bc_connect(s->zctx, &want, &fail);

	if (!z && fail.stage == BC_CURVE)
		fprintf(stderr, "txgw-sub: CURVE: %s\n", zmq_strerror(fail.err));
	else if (!z && fail.stage == BC_CONNECT)
		fprintf(stderr, "txgw-sub: cannot connect to %s: %s\n", ep, zmq_strerror(fail.err));
	return z;
}

void sub_handshake_failed(struct sub *s, int64_t now)
{
	if (!bc_watch_read(&s->watch, s->o.replay, &s->o.curve, now))
		return;
	sub_status_clear(s);
	fprintf(stderr, "txgw-sub: %s\n", s->watch.why);
}

/* SIGINT and SIGTERM arrive on a descriptor polled with the sockets. */
static int signals_open(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sub_open(struct sub *s)
{
	s->sigfd = signals_open();
	s->ring = calloc(RING_SLOTS, sizeof(*s->ring));
	s->zctx = zmq_ctx_new();
	if (s->sigfd < 0 || !s->ring || !s->zctx) {
		fprintf(stderr, "txgw-sub: cannot start: %s\n", strerror(errno));
		return -1;
	}
	s->sub = zsock(s, ZMQ_SUB, s->o.pub);
	s->dealer = s->sub ? zsock(s, ZMQ_DEALER, s->o.replay) : NULL;
	return s->dealer ? 0 : -1;
}

void sub_close(struct sub *s)
{
	if (s->sub)
		zmq_close(s->sub);
	if (s->dealer)
		zmq_close(s->dealer);
	bc_watch_close(&s->watch);
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	for (unsigned i = 0; s->ring && i < RING_SLOTS; i++)
		free(s->ring[i].payload);
	free(s->ring);
	if (s->sigfd >= 0)
		close(s->sigfd);
}
