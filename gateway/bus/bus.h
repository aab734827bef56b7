/*
 * bus.h — the ZeroMQ bus of bus.md: a PUB socket for the live stream and a
 * ROUTER socket answering replay requests, both served from the libosmocore
 * select loop.
 *
 * Messages are two frames, [topic, payload].  The bus does not number or
 * store them: the caller publishes what it has written to the journal, and
 * replay reads the journal back through struct bus_replay_ops.
 *
 * Replay protocol (bus.md "Replay"), on the ROUTER socket, identity first:
 *   ["REPLAY", from, max]  ->  [topic, payload] for each seq in
 *                              from .. min(from + max, next) - 1 that exists,
 *                              then ["END", next_seq]
 *   from < oldest kept     ->  ["ERROR", oldest]       (so "0" always is)
 *   anything else          ->  ["ERROR", "bad request"]
 * from and max are plain decimal ASCII: digits only, no sign, no white
 * space, no leading zero (except "0" itself), at most 20 digits, no
 * overflow.  max 0 is a bad request; max above BUS_REPLAY_MAX is cut to
 * BUS_REPLAY_MAX (the END tells the client where to go on).
 * next_seq in END is min(from + max, next) where next is the gateway's next
 * seq when the request arrived: the seq after the last one the answer
 * covers, so asking again from there neither repeats nor skips a message.
 * A from at or past the gateway's next answers no message and END next.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define BUS_REPLAY_MAX		10000	/* messages per request, at most */
#define BUS_REPLAY_BURST	256	/* messages sent per loop wake-up */
#define BUS_MAX_JOBS		64	/* replay requests queued; more wait in ZeroMQ */
#define BUS_PUB_SNDHWM		100000	/* messages queued per subscriber */
#define BUS_PUB_LINGER_MS	1000	/* at close, for the last messages to leave */

/* The journal, as the replay socket needs it.  Both are called from the
 * select loop. */
struct bus_replay_ops {
	/* oldest seq still kept, and the next seq to be assigned */
	void (*range)(void *data, uint64_t *oldest, uint64_t *next);
	/*
	 * Call emit() for each message seq from .. from+max-1 that exists, in
	 * order.  Stop at the first emit() that returns non-zero and return
	 * that value; else return how many were emitted (or a negative errno
	 * of its own).
	 */
	int (*fetch)(void *data, uint64_t from, unsigned max,
		     int (*emit)(void *arg, const char *topic, const char *payload, size_t len),
		     void *arg);
};

/* One ZeroMQ frame, for the request parser. */
struct bus_frame {
	const uint8_t *buf;
	size_t len;
};

/* What the replay socket did, for the caller's counters. */
struct bus_stats {
	uint64_t requests;	/* well-formed REPLAY requests received */
	uint64_t bad_requests;	/* answered ERROR "bad request" */
	uint64_t too_old;	/* answered ERROR <oldest> */
	uint64_t replayed;	/* messages sent in replay answers */
	uint64_t lost_clients;	/* answers dropped: the client went away */
};

struct bus;

/*
 * Bind a PUB socket to pub_ep and, unless replay_ep is NULL, a ROUTER socket
 * to replay_ep, and register both with the select loop.  ops and data serve
 * replay.  The struct is allocated under the talloc context ctx.  Returns 0
 * and *out, or a negative errno (-EADDRINUSE, -EINVAL for a bad endpoint,
 * -EIO for ZeroMQ's own errors, ...) after logging why on DBUS.
 */
int bus_open(void *ctx, const char *pub_ep, const char *replay_ep, const struct bus_replay_ops *ops,
	     void *data, struct bus **out);

/*
 * Publish [topic, payload] on the PUB socket without blocking.  Returns 0
 * when handed to ZeroMQ, -EINVAL for a NULL or empty topic, -EAGAIN when
 * ZeroMQ refused it for now, -EIO on another ZeroMQ error.  Note: a PUB
 * socket drops silently for a subscriber whose queue is at its high-water
 * mark (BUS_PUB_SNDHWM); the subscriber sees the gap in seq and replays.
 */
int bus_publish(struct bus *b, const char *topic, const char *payload, size_t len);

/*
 * Parse a replay request: the frames after the identity.  On success 0 and
 * *from, *max (max cut to BUS_REPLAY_MAX).  -EINVAL for anything else.
 */
int bus_parse_replay(const struct bus_frame *f, unsigned n, uint64_t *from, unsigned *max);

/* Counts so far. */
void bus_get_stats(const struct bus *b, struct bus_stats *st);

/* The endpoint a socket is bound to ("tcp://127.0.0.1:41234" when bound to
 * port 0 or "*"): 0, or -ENOSPC / -EIO.  which: 0 publish, 1 replay. */
int bus_endpoint(const struct bus *b, int which, char *out, size_t cap);

/*
 * Unregister and close both sockets: the PUB socket lingers up to
 * BUS_PUB_LINGER_MS so the last messages leave; pending replay answers are
 * dropped.  NULL is a no-op.
 */
void bus_close(struct bus *b);

/*
 * For the bus's other sockets (bus_send.h): the ZeroMQ context they must
 * share (a ZAP handler serves one context), and the security every bus
 * socket gets before it binds (bus.md "Who may connect": CURVE server and
 * the ZAP check when configured).  bus_sock_secure() is the one place
 * that applies it; 0, or a negative errno after logging why on DBUS.
 * Until CURVE is configured it applies nothing and returns 0.
 */
void *bus_zmq_ctx(struct bus *b);
int bus_sock_secure(struct bus *b, void *sock, const char *what);
/* ZMQ_EVENTS of a socket (0 on error), and the last ZeroMQ error as a
 * negative errno (-EIO for ZeroMQ's own numbers, which strerror() does not
 * know). */
int bus_zmq_events(void *sock);
int bus_zmq_neg_errno(void);
