/*
 * bus_client.c — the connection side both bus clients share
 * (contrib/bus_client.h): clock, numbers, CURVE keys, sockets, messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contrib/bus_client.h"

int64_t bc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bc_parse_u64(const char *s, uint64_t min, uint64_t *out)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

/* ---- CURVE ------------------------------------------------------------------------ */

static int take_key(void *arg, const uint8_t key[KEY_LEN])
{
	memcpy(arg, key, KEY_LEN);
	return 0;
}

/* The server's public key: 40 characters of Z85, or a file holding one. */
static int server_key_load(const char *prog, const char *arg, uint8_t key[KEY_LEN])
{
	char err[256];
	int n;

	if (key_z85_decode(arg, strlen(arg), key) == 0)
		return 0;
	n = keyfile_read(arg, false, take_key, key, err, sizeof(err));
	if (n == 1)
		return 0;
	fprintf(stderr, "%s: --curve-server-key: %s\n", prog, n < 0 ? err :
		"not a 40-character Z85 key, nor a file holding exactly one");
	return -1;
}

int bc_curve_load(const char *prog, const char *server_key, const char *key_file,
		  struct bc_curve *c)
{
	char err[256], sec[KEY_Z85_LEN + 1];

	if (!server_key && !key_file)
		return 0;
	if (!server_key || !key_file) {
		fprintf(stderr, "%s: --curve-server-key and --curve-key go together\n", prog);
		return -1;
	}
	if (server_key_load(prog, server_key, c->server) < 0)
		return -1;
	if (keyfile_read_secret(key_file, c->secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --curve-key: %s\n", prog, err);
		return -1;
	}
	key_z85_encode(c->secret, sec);
	if (zmq_curve_public(c->public_z85, sec) < 0) {
		fprintf(stderr, "%s: --curve-key: libzmq has no CURVE: %s\n", prog,
			zmq_strerror(zmq_errno()));
		return -1;
	}
	memset(sec, 0, sizeof(sec));
	c->on = true;
	return 0;
}

/* ---- sockets ------------------------------------------------------------------------ */

static int curve_set(void *z, const struct bc_curve *c)
{
	if (!c || !c->on)
		return 0;
	if (zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, c->server, KEY_LEN) < 0 ||
	    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, c->secret, KEY_LEN) < 0 ||
	    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, c->public_z85, KEY_Z85_LEN) < 0)
		return -1;
	return 0;
}

static void *failed(void *z, struct bc_fail *fail, enum bc_stage stage)
{
	fail->stage = stage;
	fail->err = zmq_errno();
	if (z)
		zmq_close(z);
	return NULL;
}

void *bc_connect(void *zctx, const struct bc_sock *s, struct bc_fail *fail)
{
	int zero = 0;
	void *z = zmq_socket(zctx, s->type);

	if (!z || zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero)) < 0)
		return failed(z, fail, BC_SOCKET);
	if (s->max_msg)
		zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &s->max_msg, sizeof(s->max_msg));
	if (curve_set(z, s->curve) < 0)
		return failed(z, fail, BC_CURVE);
	if (s->subscribe)
		zmq_setsockopt(z, ZMQ_SUBSCRIBE, s->subscribe, strlen(s->subscribe));
	if (s->watch)
		bc_watch_open(zctx, z, s->watch_name, s->watch);	/* none: no reasons, no harm */
	if (zmq_connect(z, s->ep) < 0)
		return failed(z, fail, BC_CONNECT);
	return z;
}

/* ---- handshakes ------------------------------------------------------------------- */

#define WATCH_SAY_MS	10000

int bc_watch_open(void *zctx, void *sock, const char *name, struct bc_watch *w)
{
	char ep[96];

	memset(w, 0, sizeof(*w));
	snprintf(ep, sizeof(ep), "inproc://bc-handshakes-%s", name);
	if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) < 0)
		return -1;
	w->mon = zmq_socket(zctx, ZMQ_PAIR);
	if (w->mon && zmq_connect(w->mon, ep) < 0) {
		zmq_close(w->mon);
		w->mon = NULL;
	}
	return w->mon ? 0 : -1;
}

void bc_watch_close(struct bc_watch *w)
{
	if (w->mon)
		zmq_close(w->mon);
	w->mon = NULL;
}

/* Why ep refused us: RFC 27 (ZAP) status for an unlisted key, else the
 * ZMTP error (RFC 23, RFC 26). */
static void watch_why(struct bc_watch *w, const char *ep, const struct bc_curve *c, uint16_t event,
		      uint32_t value)
{
	bool on = c && c->on;

	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
		snprintf(w->why, sizeof(w->why), "%s refused our CURVE key %s (ZAP status %u): is it "
			 "in the gateway's curve-clients file?", ep, on ? c->public_z85 : "-", value);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
		 value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
		snprintf(w->why, sizeof(w->why), "%s %s", ep, on ?
			 "does not speak CURVE: drop --curve-server-key and --curve-key" :
			 "wants CURVE: give --curve-server-key and --curve-key");
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		/* the gateway closed the connection before we read its
		 * mechanism: a CURVE gateway does that to a plain client as
		 * often as it lets it see the mismatch */
		snprintf(w->why, sizeof(w->why), "%s %s (it closed the connection during the "
			 "handshake: %s)", ep, on ?
			 "refused our CURVE handshake: is --curve-server-key the gateway's public key?" :
			 "wants CURVE: give --curve-server-key and --curve-key", zmq_strerror((int)value));
	else
		snprintf(w->why, sizeof(w->why), "%s: handshake failed (protocol error 0x%x)%s", ep,
			 value, on ? ": is --curve-server-key the gateway's public key?" : "");
}

bool bc_watch_read(struct bc_watch *w, const char *ep, const struct bc_curve *c, int64_t now)
{
	uint8_t ev[6];
	uint16_t event;
	uint32_t value;
	char addr[256];
	bool say = false;

	while (w->mon && zmq_recv(w->mon, ev, sizeof(ev), ZMQ_DONTWAIT) == (int)sizeof(ev)) {
		zmq_recv(w->mon, addr, sizeof(addr), 0);	/* the endpoint frame */
		memcpy(&event, ev, 2);
		memcpy(&value, ev + 2, 4);
		if (!say)	/* the first of a burst is the one said */
			watch_why(w, ep, c, event, value);
		if (w->said_ms && now - w->said_ms < WATCH_SAY_MS)
			continue;
		w->said_ms = now;
		say = true;
	}
	return say;
}

int bc_ask_replay(void *dealer, uint64_t from, uint64_t max, int flags)
{
	char f[24], m[24];

	snprintf(f, sizeof(f), "%" PRIu64, from);
	snprintf(m, sizeof(m), "%" PRIu64, max);
	if (zmq_send(dealer, "REPLAY", 6, ZMQ_SNDMORE | flags) < 0 ||
	    zmq_send(dealer, f, strlen(f), ZMQ_SNDMORE | flags) < 0 ||
	    zmq_send(dealer, m, strlen(m), flags) < 0)
		return -1;
	return 0;
}

/* ---- messages ------------------------------------------------------------------------ */

int bc_frames_recv(void *sock, struct bc_frames *f)
{
	int more = 1;

	f->n = f->total = 0;
	while (more) {
		zmq_msg_t spare, *m = f->n < BC_FRAMES_KEPT ? &f->m[f->n] : &spare;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, sock, f->total ? 0 : ZMQ_DONTWAIT) < 0) {
			int err = zmq_errno();
			zmq_msg_close(m);
			if (!f->total && (err == EAGAIN || err == EINTR))
				return 0;
			bc_frames_close(f);
			return -1;
		}
		more = zmq_msg_more(m);
		f->total++;
		if (m == &spare)
			zmq_msg_close(m);
		else
			f->n++;
	}
	return 1;
}

void bc_frames_close(struct bc_frames *f)
{
	for (unsigned i = 0; i < f->n; i++)
		zmq_msg_close(&f->m[i]);
	f->n = 0;
}

const char *bc_fdata(struct bc_frames *f, unsigned i)
{
	return zmq_msg_data(&f->m[i]);
}

size_t bc_fsize(struct bc_frames *f, unsigned i)
{
	return zmq_msg_size(&f->m[i]);
}

bool bc_frame_is(struct bc_frames *f, unsigned i, const char *word)
{
	return bc_fsize(f, i) == strlen(word) && !memcmp(bc_fdata(f, i), word, bc_fsize(f, i));
}

bool bc_frame_seq(struct bc_frames *f, unsigned i, uint64_t *out)
{
	char txt[24];
	if (bc_fsize(f, i) >= sizeof(txt))
		return false;
	memcpy(txt, bc_fdata(f, i), bc_fsize(f, i));
	txt[bc_fsize(f, i)] = '\0';
	return bc_parse_u64(txt, 1, out) == 0;
}
