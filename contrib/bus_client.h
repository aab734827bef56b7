/*
 * bus_client.h — what the bus's command-line clients, txgw-sub and
 * txgw-send, share: the default endpoints, a monotonic clock, decimal
 * option values, the CURVE keys of --curve-server-key and --curve-key
 * (doc/bus.md "Who may connect"), a connected socket, the watch that
 * says why a gateway refused our handshake, whole messages
 * received without waiting, and the ["REPLAY", from, max] request
 * (doc/bus.md "Replay").  Compiled into each client; uses lib only.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "gateway/lib/keyfile.h"

#define BC_DEF_PUB	"tcp://127.0.0.1:5560"
#define BC_DEF_REPLAY	"tcp://127.0.0.1:5561"
#define BC_DEF_SEND	"tcp://127.0.0.1:5562"

/* CLOCK_MONOTONIC in milliseconds. */
int64_t bc_now_ms(void);

/* A decimal count: digits only (no sign, no blank), within uint64, at
 * least min.  0, -EINVAL (not a number) or -ERANGE. */
int bc_parse_u64(const char *s, uint64_t min, uint64_t *out);

/* ---- CURVE (RFC 26) ---------------------------------------------------------- */

struct bc_curve {
	bool on;
	uint8_t server[KEY_LEN], secret[KEY_LEN];
	char public_z85[KEY_Z85_LEN + 1];	/* ours, derived from the secret */
};

/* The keys of --curve-server-key KEY|FILE and --curve-key FILE (both or
 * neither; neither leaves c->on false).  0, or -1 with the reason on
 * stderr after "PROG: ". */
int bc_curve_load(const char *prog, const char *server_key, const char *key_file,
		  struct bc_curve *c);

/* ---- sockets ------------------------------------------------------------------ */

struct bc_watch;

struct bc_sock {
	int type;			/* ZMQ_SUB, ZMQ_DEALER */
	const char *ep;
	const char *subscribe;		/* ZMQ_SUB: the topic prefix */
	int64_t max_msg;		/* ZMQ_MAXMSGSIZE; 0: libzmq's (none) */
	const struct bc_curve *curve;	/* NULL or not on: no CURVE */
	/* watch its handshakes (bc_watch_open()) from before it connects:
	 * a refusal of the first attempt is said too */
	struct bc_watch *watch;
	const char *watch_name;
};

enum bc_stage { BC_SOCKET = 1, BC_CURVE, BC_CONNECT };

struct bc_fail {
	enum bc_stage stage;		/* what failed */
	int err;			/* its zmq_errno() */
};

/* A socket with no linger, connected to s->ep.  NULL on failure, with the
 * stage and the error in *fail, for the caller's own message. */
void *bc_connect(void *zctx, const struct bc_sock *s, struct bc_fail *fail);

/* A refused handshake leaves a client waiting in silence while libzmq
 * retries (a refused CURVE client gets no answer): the socket's failed
 * handshakes, read from a monitor, say why. */
struct bc_watch {
	void *mon;			/* the PAIR reading the events; NULL: none */
	int64_t said_ms;		/* when a reason was last given */
	char why[320];			/* the last reason, "" before any */
};

/* Watch sock's handshakes (name: unique in the process).  0, or -1 (then
 * w->mon is NULL: no explanations, no harm). */
int bc_watch_open(void *zctx, void *sock, const char *name, struct bc_watch *w);
void bc_watch_close(struct bc_watch *w);

/* Read the failures queued on w->mon; true when there is one to report
 * now (at most every 10 s): then w->why says, without the program's
 * name, why ep refused us, with what to do. */
bool bc_watch_read(struct bc_watch *w, const char *ep, const struct bc_curve *c, int64_t now);

/* Send ["REPLAY", from, max] (with flags, e.g. ZMQ_DONTWAIT): 0 or -1. */
int bc_ask_replay(void *dealer, uint64_t from, uint64_t max, int flags);

/* ---- messages ------------------------------------------------------------------ */

#define BC_FRAMES_KEPT 3

/* A message received: its first BC_FRAMES_KEPT frames kept, the rest
 * counted. */
struct bc_frames {
	zmq_msg_t m[BC_FRAMES_KEPT];
	unsigned n;		/* frames kept */
	unsigned total;		/* frames in the message */
};

/* Receive one whole message without waiting.  Returns 1, 0 when none is
 * queued, or -1 on a socket error; after 1, bc_frames_close(). */
int bc_frames_recv(void *sock, struct bc_frames *f);
void bc_frames_close(struct bc_frames *f);
const char *bc_fdata(struct bc_frames *f, unsigned i);
size_t bc_fsize(struct bc_frames *f, unsigned i);
/* Frame i is exactly word. */
bool bc_frame_is(struct bc_frames *f, unsigned i, const char *word);
/* Frame i holds a decimal seq >= 1. */
bool bc_frame_seq(struct bc_frames *f, unsigned i, uint64_t *out);
