/*
 * bus.h — the ZeroMQ bus of bus.md: a PUB socket for the live stream and a
 * ROUTER socket answering replay requests, both served from the libosmocore
 * select loop; with CURVE, a ZAP handler deciding who gets in.
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
 *   more than BUS_CLIENT_JOBS requests of one client in progress (or
 *   BUS_MAX_JOBS of all clients)  ->  ["ERROR", "busy"], in its turn
 * from and max are plain decimal ASCII: digits only, no sign, no white
 * space, no leading zero (except "0" itself), at most 20 digits, no
 * overflow.  max 0 is a bad request; max above BUS_REPLAY_MAX is cut to
 * BUS_REPLAY_MAX (the END tells the client where to go on).
 * next_seq in END is min(from + max, next) where next is the gateway's next
 * seq when the request arrived: the seq after the last one the answer
 * covers, so asking again from there neither repeats nor skips a message.
 * A from at or past the gateway's next answers no message and END next.
 *
 * Who may connect (bus.md): with a CURVE secret key every socket is a CURVE
 * server and a ZAP handler (RFC 27) lets in only the client keys of a
 * struct bus_keyset; every socket refuses messages over a size limit
 * (ZMQ_MAXMSGSIZE: ZeroMQ drops the connection that sends one).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_REPLAY_MAX		10000	/* messages per request, at most */
#define BUS_REPLAY_BURST	256	/* messages sent per loop wake-up */
#define BUS_READ_BURST		1024	/* requests read per loop wake-up */
#define BUS_MAX_JOBS		64	/* replay requests in progress, all clients */
#define BUS_CLIENT_JOBS		4	/* ... of one client (routing id); more: busy */
#define BUS_STALL_MS		10000	/* a client not reading this long is dropped */
#define BUS_PUB_SNDHWM		100000	/* messages queued per subscriber */
#define BUS_REPLAY_SNDHWM	1000	/* replay messages queued per client */
#define BUS_PUB_LINGER_MS	1000	/* at close, for the last messages to leave */
/* The largest message frame a peer may send (ZMQ_MAXMSGSIZE), handshake
 * included: a subscription is a topic prefix of at most 64 bytes (11 more
 * as a ZMTP 3.1 SUBSCRIBE command, 33 more encrypted), a replay request
 * is three short frames; a CURVE INITIATE is 257 bytes and its metadata. */
#define BUS_PUB_MAXMSG		512
#define BUS_REPLAY_MAXMSG	4096
/* A connection that has not finished the ZMTP greeting (and, with CURVE,
 * the handshake) in this time is closed: an idle TCP connection holds a
 * descriptor for 5 s instead of libzmq's 30 (doc/security.md). */
#define BUS_HANDSHAKE_MS	5000

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
	uint64_t busy;		/* answered ERROR "busy" */
	uint64_t replayed;	/* messages sent in replay answers */
	uint64_t lost_clients;	/* answers dropped: the client went away */
	uint64_t stalled;	/* answers dropped: the client stopped reading */
	uint64_t refused;	/* bus.refused: CURVE refusals and busy answers */
};

/* The client public keys CURVE lets in (curve-clients). */
struct bus_keyset;

/*
 * Read a clients file (gateway/lib/keyfile.h) into a key set under ctx:
 * 0, or a negative errno with "FILE:LINE: reason" in err.  An empty file
 * is a valid set that lets nobody in.
 */
int bus_keyset_load(void *ctx, const char *path, struct bus_keyset **out, char *err, size_t cap);
size_t bus_keyset_count(const struct bus_keyset *ks);
bool bus_keyset_has(const struct bus_keyset *ks, const uint8_t key[32]);

struct bus_cfg {
	const char *publish;		/* the PUB socket's endpoint */
	const char *replay;		/* the replay ROUTER's, or NULL for none */
	const uint8_t *curve_secret;	/* 32 bytes: CURVE on every socket; NULL: none */
	struct bus_keyset *clients;	/* with curve_secret: who gets in; the bus
					 * takes it over (talloc_steal) */
	unsigned stall_ms;		/* 0: BUS_STALL_MS */
};

struct bus;

/*
 * Bind the PUB socket and, unless cfg->replay is NULL, the ROUTER socket,
 * with CURVE and the ZAP handler when cfg->curve_secret is set, and
 * register them with the select loop.  ops and data serve replay.  The
 * struct is allocated under the talloc context ctx; cfg->clients is the
 * bus's (freed with it, or at once on failure).  Returns 0 and *out, or a
 * negative errno (-EADDRINUSE, -EINVAL for a bad endpoint, -EIO for
 * ZeroMQ's own errors, ...) after logging why on DBUS.
 */
int bus_open(void *ctx, const struct bus_cfg *cfg, const struct bus_replay_ops *ops, void *data,
	     struct bus **out);

/* Let in the keys of ks from now on (connections already in stay); the bus
 * takes ks over and frees the set it had.  No-op without CURVE. */
void bus_set_clients(struct bus *b, struct bus_keyset *ks);

/*
 * Is a bind endpoint reachable from this host only (bus.md "Loopback only
 * without CURVE")?  tcp://127.0.0.1:PORT, tcp://[::1]:PORT and ipc://PATH.
 */
bool bus_endpoint_is_local(const char *ep);

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
