/*
 * sub_conn.c — txgw-sub's sockets: the SUB on the publish socket and the
 * DEALER on the replay socket (with CURVE when asked), the watch on the
 * DEALER's handshakes that says why a gateway refuses us, the signals.
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
				.subscribe = type == ZMQ_SUB ? TOPIC_PREFIX : NULL };
	struct bc_fail fail;
	void *z = bc_connect(s->zctx, &want, &fail);

	if (!z && fail.stage == BC_CURVE)
		fprintf(stderr, "txgw-sub: CURVE: %s\n", zmq_strerror(fail.err));
	else if (!z && fail.stage == BC_CONNECT)
		fprintf(stderr, "txgw-sub: cannot connect to %s: %s\n", ep, zmq_strerror(fail.err));
	return z;
}

/* A refused handshake leaves the client waiting in silence while libzmq
 * retries: watch the replay socket's handshakes and say why. */
static void *watch_handshakes(struct sub *s)
{
	static const char ep[] = "inproc://txgw-sub-handshakes";
	void *m;

	if (zmq_socket_monitor(s->dealer, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) < 0)
		return NULL;
	m = zmq_socket(s->zctx, ZMQ_PAIR);
	if (m && zmq_connect(m, ep) < 0) {
		zmq_close(m);
		return NULL;
	}
	return m;
}

void sub_handshake_failed(struct sub *s, int64_t now)
{
	uint8_t ev[6];
	uint16_t event;
	uint32_t value;
	char ep[256];

	while (zmq_recv(s->mon, ev, sizeof(ev), ZMQ_DONTWAIT) == (int)sizeof(ev)) {
		zmq_recv(s->mon, ep, sizeof(ep), 0);	/* the endpoint frame */
		if (s->mon_said_ms && now - s->mon_said_ms < 10000)
			continue;
		s->mon_said_ms = now;
		memcpy(&event, ev, 2);
		memcpy(&value, ev + 2, 4);
		sub_status_clear(s);
		if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			fprintf(stderr, "txgw-sub: %s refused our CURVE key %s (ZAP status %u): is it in "
				"the gateway's curve-clients file?\n", s->o.replay, s->o.curve.public_z85, value);
		else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
			fprintf(stderr, "txgw-sub: %s %s\n", s->o.replay, s->o.curve.on ?
				"does not speak CURVE: drop --curve-server-key and --curve-key" :
				"wants CURVE: give --curve-server-key and --curve-key");
		else
			fprintf(stderr, "txgw-sub: %s: handshake failed (protocol error 0x%x)%s\n",
				s->o.replay, value, s->o.curve.on ? ": is --curve-server-key the gateway's "
				"public key?" : "");
	}
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
	if (s->dealer)
		s->mon = watch_handshakes(s);	/* none: no explanations, no harm */
	return s->dealer ? 0 : -1;
}

void sub_close(struct sub *s)
{
	if (s->sub)
		zmq_close(s->sub);
	if (s->dealer)
		zmq_close(s->dealer);
	if (s->mon)
		zmq_close(s->mon);
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	for (unsigned i = 0; s->ring && i < RING_SLOTS; i++)
		free(s->ring[i].payload);
	free(s->ring);
	if (s->sigfd >= 0)
		close(s->sigfd);
}
