/*
 * bus_send.h — the send socket of doc/downlink.md: a ZeroMQ ROUTER bound at
 * `bus / send`, where the operation server's DEALER sockets hand the
 * gateway messages for handsets.
 *
 *   request  [identity] "SEND" <json>        -> ops->request()
 *   answers  [identity] "QUEUED" <id> <seq>
 *            [identity] "ERROR" <id> <reason>
 *
 * The socket knows the frames, not the JSON: a request of another shape
 * (not two frames, the first not "SEND") is answered here with
 * ["ERROR", "", "bad_request"]; the JSON goes to the owner, which answers
 * with bus_send_answer() once it knows (after the journal sync for
 * QUEUED), with a copy of the peer it was given.
 *
 * Limits (bus.md "Limits"): a frame over BUS_SEND_MAXMSG makes ZeroMQ drop
 * the connection that sent it (ZMQ_MAXMSGSIZE), so the gateway's memory
 * does not grow with what a peer sends; at most BUS_SEND_BURST requests
 * are read per loop wake-up; the owner can stop reading while it has too
 * many requests in hand (bus_send_pause()).  An answer to a client that
 * left, or whose queue is full (ZMQ_ROUTER_MANDATORY: EHOSTUNREACH,
 * EAGAIN), is dropped and counted: the client asks again, SEND is
 * idempotent by id.
 *
 * Security: the socket shares the bus's ZeroMQ context and gets
 * bus_sock_secure() (bus.h) before it binds, as every bus socket does.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;

/*
 * The largest frame a peer may send.  The largest valid SEND carries a
 * mail payload of 65,536 bytes, 87,384 characters of base64, which a JSON
 * encoder that writes '/' as '\/' makes at most twice as long; with the
 * other fields (id 64, mail 254, expires ...) it stays under 180,000
 * bytes.  What lies between a valid request's size and this limit is
 * answered too_large; beyond it the connection goes.
 */
#define BUS_SEND_MAXMSG		(192 * 1024)
#define BUS_SEND_BURST		256	/* requests read per loop wake-up */
#define BUS_SEND_ID_MAX		255	/* ZeroMQ routing ids are 1..255 bytes */
/*
 * Answers queued per client (ZMQ_SNDHWM; ZeroMQ's default is 1,000).  One
 * journal sync answers every request it covers at once, and up to 10,000
 * may wait for it (OB_MAX_JOURNALING, engine/outbox.h): with 1,000 a
 * client that reads as it should lost answers whenever a slow sync covered
 * more than its I/O thread had written out yet.  Twice that, so that a
 * client with at most 10,000 requests outstanding never loses an answer
 * (a queued answer is about 100 bytes: 2 MB a client at most).
 */
#define BUS_SEND_SNDHWM		20000

/* A client, as the ROUTER names it: copy it to answer later. */
struct bus_send_peer {
	uint8_t len;
	uint8_t id[BUS_SEND_ID_MAX];
};

struct bus_send_ops {
	/* ["SEND", json]: json (len bytes, not NUL-terminated) and peer are
	 * valid during the call only. */
	void (*request)(void *data, const struct bus_send_peer *peer, const char *json, size_t len);
};

struct bus_send_stats {
	uint64_t requests;	/* SEND requests handed to the owner */
	uint64_t bad_frames;	/* answered ERROR bad_request here */
	uint64_t answers;	/* answers sent */
	uint64_t lost_answers;	/* answers dropped: the client left or does not read */
};

struct bus_send;

/*
 * Bind a ROUTER socket at ep in the context of bus b (bus_zmq_ctx()),
 * secured by bus_sock_secure(), and serve it from the select loop.
 * Returns 0 and *out, or a negative errno (-EADDRINUSE, -EINVAL for a bad
 * endpoint, -EIO for ZeroMQ's own errors) after logging why on DBUS.
 */
int bus_send_open(void *ctx, struct bus *b, const char *ep, const struct bus_send_ops *ops,
		  void *data, struct bus_send **out);

/*
 * Send [verb, id, detail] to peer without blocking.  0, or -EHOSTUNREACH
 * (the client left), -EAGAIN (its queue is full), -EIO: the answer is
 * dropped and counted in lost_answers.
 */
int bus_send_answer(struct bus_send *s, const struct bus_send_peer *peer, const char *verb,
		    const char *id, const char *detail);

/* Stop (true) or resume (false) reading requests. */
void bus_send_pause(struct bus_send *s, bool paused);

void bus_send_get_stats(const struct bus_send *s, struct bus_send_stats *st);

/* The endpoint bound ("tcp://127.0.0.1:41234" for port 0): 0, -ENOSPC, -EIO. */
int bus_send_endpoint(const struct bus_send *s, char *out, size_t cap);

/* Unregister and close the socket (answers not sent yet are dropped).
 * NULL is a no-op. */
void bus_send_close(struct bus_send *s);
