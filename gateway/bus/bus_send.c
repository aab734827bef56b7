/*
 * bus_send.c — the send socket (bus_send.h, doc/downlink.md "Socket").
 *
 * As for the replay socket (bus.c), ZMQ_FD only says that the socket's
 * state may have changed: a wake-up reads while ZMQ_EVENTS says
 * ZMQ_POLLIN, at most BUS_SEND_BURST requests, and looks at the state again
 * after the last receive, and after each answer sent (a send can take the
 * edge of a request waiting); what is left goes on from a zero timer.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/bus/bus_send.h"
#include "gateway/lib/log_ratelimit.h"
#include "gateway/lib/logging.h"

#define SEND_VERB	"SEND"

struct bus_send {
	void *sock;
	struct osmo_fd ofd;
	struct osmo_timer_list timer;
	const struct bus_send_ops *ops;
	void *data;
	bool paused;
	struct bus_send_stats st;
	struct log_ratelimit rl_bad, rl_lost;
};

int bus_send_answer(struct bus_send *s, const struct bus_send_peer *peer, const char *verb,
		    const char *id, const char *detail)
{
	int rc = 0;

	/* ZeroMQ decides on the identity frame whether the message goes;
	 * after it, the message is taken whole */
	if (zmq_send(s->sock, peer->id, peer->len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		rc = errno == EAGAIN ? -EAGAIN : -EHOSTUNREACH;
	else if (zmq_send(s->sock, verb, strlen(verb), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
		 zmq_send(s->sock, id, strlen(id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
		 zmq_send(s->sock, detail, strlen(detail), ZMQ_DONTWAIT) < 0)
		rc = -EIO;
	/* the send may have taken the edge of a request waiting: read on */
	if (!s->paused && (bus_zmq_events(s->sock) & ZMQ_POLLIN))
		osmo_timer_schedule(&s->timer, 0, 0);
	if (rc == 0) {
		s->st.answers++;
		return 0;
	}
	s->st.lost_answers++;
	LOGP_RL(&s->rl_lost, DBUS, LOGL_NOTICE, "send: answer %s %s dropped: %s", verb, id,
		rc == -EAGAIN ? "the client does not read" : "the client is gone");
	return rc;
}

/* Read one whole message: 1 handled, 0 none waiting. */
static int read_request(struct bus_send *s)
{
	struct bus_send_peer peer = { 0 };
	zmq_msg_t m[3];
	unsigned part = 0;
	bool more = true;

	while (more) {
		zmq_msg_t extra, *cur = part < 3 ? &m[part] : &extra;	/* a 4th frame on: read, dropped */
		zmq_msg_init(cur);
		if (zmq_msg_recv(cur, s->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(cur);
			if (part == 0)
				return 0;
			break;	/* cannot happen: the parts of a message arrive together */
		}
		more = zmq_msg_more(cur);
		if (cur == &extra)
			zmq_msg_close(cur);
		part++;
	}
	size_t idl = zmq_msg_size(&m[0]);
	peer.len = (uint8_t)(idl < BUS_SEND_ID_MAX ? idl : BUS_SEND_ID_MAX);
	memcpy(peer.id, zmq_msg_data(&m[0]), peer.len);
	if (part == 3 && zmq_msg_size(&m[1]) == strlen(SEND_VERB) &&
	    !memcmp(zmq_msg_data(&m[1]), SEND_VERB, strlen(SEND_VERB))) {
		s->st.requests++;
		s->ops->request(s->data, &peer, zmq_msg_data(&m[2]), zmq_msg_size(&m[2]));
	} else if (peer.len) {
		s->st.bad_frames++;
		LOGP_RL(&s->rl_bad, DBUS, LOGL_NOTICE, "send: a request of %u frames, not "
			"[\"SEND\", json]: bad_request", part - 1);
		bus_send_answer(s, &peer, "ERROR", "", "bad_request");
	}
	for (unsigned i = 0; i < part && i < 3; i++)
		zmq_msg_close(&m[i]);
	return 1;
}

static void run(struct bus_send *s)
{
	unsigned n = 0;

	while (!s->paused && n < BUS_SEND_BURST && read_request(s) > 0)
		n++;
	/* the receives may have eaten the edge of requests still queued */
	if (!s->paused && (bus_zmq_events(s->sock) & ZMQ_POLLIN))
		osmo_timer_schedule(&s->timer, 0, 0);
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	run(ofd->data);
	return 0;
}

static void timer_cb(void *data)
{
	run(data);
}

void bus_send_pause(struct bus_send *s, bool paused)
{
	if (s->paused == paused)
		return;
	s->paused = paused;
	if (paused) {
		/* ZMQ_FD stays readable while commands wait: do not poll it */
		osmo_fd_read_disable(&s->ofd);
		osmo_timer_del(&s->timer);
	} else {
		osmo_fd_read_enable(&s->ofd);
		osmo_timer_schedule(&s->timer, 0, 0);
	}
}

static int sock_bind(struct bus_send *s, struct bus *b, const char *ep)
{
	int one = 1, hwm = BUS_SEND_SNDHWM, fd, rc;
	int64_t max = BUS_SEND_MAXMSG;
	size_t sz = sizeof(fd);

	s->sock = zmq_socket(bus_zmq_ctx(b), ZMQ_ROUTER);
	if (!s->sock || zmq_setsockopt(s->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0 ||
	    zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0)
		goto zfail;
	rc = bus_sock_secure(b, s->sock, "send");
	if (rc < 0)
		return rc;
	if (zmq_bind(s->sock, ep) < 0 || zmq_getsockopt(s->sock, ZMQ_FD, &fd, &sz) < 0)
		goto zfail;
	osmo_fd_setup(&s->ofd, fd, OSMO_FD_READ, fd_cb, s, 0);
	rc = osmo_fd_register(&s->ofd);
	if (rc < 0) {
		s->ofd.fd = -1;
		LOGP(DBUS, LOGL_ERROR, "cannot bind the send socket %s: cannot register its fd\n", ep);
	}
	return rc;
zfail:
	rc = bus_zmq_neg_errno();
	LOGP(DBUS, LOGL_ERROR, "cannot bind the send socket %s: %s\n", ep, zmq_strerror(zmq_errno()));
	return rc;
}

int bus_send_open(void *ctx, struct bus *b, const char *ep, const struct bus_send_ops *ops,
		  void *data, struct bus_send **out)
{
	struct bus_send *s;
	char bound[128] = "?";
	int rc;

	if (!b || !ep || !ops || !ops->request) {
		LOGP(DBUS, LOGL_ERROR, "bus_send_open: no bus, endpoint or request callback\n");
		return -EINVAL;
	}
	s = talloc_zero(ctx, struct bus_send);
	if (!s) {
		LOGP(DBUS, LOGL_ERROR, "send socket: out of memory\n");
		return -ENOMEM;
	}
	s->ops = ops;
	s->data = data;
	s->ofd.fd = -1;
	osmo_timer_setup(&s->timer, timer_cb, s);
	rc = sock_bind(s, b, ep);
	if (rc < 0) {
		bus_send_close(s);
		return rc;
	}
	bus_send_endpoint(s, bound, sizeof(bound));
	LOGP(DBUS, LOGL_NOTICE, "taking downlink requests on %s\n", bound);
	*out = s;
	return 0;
}

void bus_send_get_stats(const struct bus_send *s, struct bus_send_stats *st)
{
	*st = s->st;
}

int bus_send_endpoint(const struct bus_send *s, char *out, size_t cap)
{
	size_t sz = cap;

	if (zmq_getsockopt(s->sock, ZMQ_LAST_ENDPOINT, out, &sz) < 0)
		return errno == EINVAL ? -ENOSPC : -EIO;
	return 0;
}

void bus_send_close(struct bus_send *s)
{
	int zero = 0;

	if (!s)
		return;
	osmo_timer_del(&s->timer);
	if (s->ofd.fd >= 0)
		osmo_fd_unregister(&s->ofd);
	if (s->sock) {
		zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(s->sock);
	}
	talloc_free(s);
}
