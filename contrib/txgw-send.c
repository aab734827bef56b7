/*
 * txgw-send.c — the operation server's side of the downlink (doc/downlink.md)
 * as a command: send SEND requests to txgw's send socket, wait for each
 * answer (QUEUED or ERROR), and optionally follow txlog.downlink until
 * every message queued has ended, then print a summary.
 *
 * Requests are JSON lines from a file (or stdin), sent as they are, or one
 * request made from the options.  An answer is matched to its request by
 * id (an ERROR with an empty id, to one whose id could not be read).  A
 * request unanswered within --timeout is sent again (SEND is idempotent by
 * id), --retry times.  --follow reads the bus from the replay socket, from
 * the lowest seq QUEUED gave, in seq order (the journal's order), asking
 * again as the publish socket says that something new came; a message has
 * ended once failed, delivered, or submitted when it asked for no receipt.
 * With --curve-server-key and --curve-key every socket speaks CURVE to a
 * gateway configured with curve-secret-key (doc/bus.md "Who may connect");
 * a refused handshake gets no answer at all, so the send socket's
 * handshakes are watched to say why a request goes unanswered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/bus_client.h"
#include "gateway/lib/json.h"
#include "gateway/lib/json_read.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define LINE_MAX_	(256 * 1024)	/* a request line; the gateway takes 192 KiB at most */
#define PAYLOAD_MAX	65536
#define REPLAY_SLICE	1000
#define POLL_MS		100
#define REPLAY_WAIT_MS	2000		/* a replay answer waited for this long */
#define ID_MAX		64
#define FRAME_MAX	4096		/* an answer or event frame, cut there */

struct req {
	char *json;
	size_t len;
	char id[ID_MAX + 1];		/* "" when it could not be read */
	bool receipt;
	unsigned sent;			/* times sent */
	int64_t sent_ms;
	bool answered, queued;
	uint64_t seq;
	char detail[32];		/* the ERROR reason */
	char state[12];			/* the last state followed */
	char error[SJ_STR_MAX + 1];
};

struct opts {
	const char *send, *pub, *replay, *file;
	const char *server_key, *key_file;	/* --curve-server-key, --curve-key */
	struct bc_curve curve;
	bool follow, json, quiet;
	int64_t timeout_ms, wait_ms;
	unsigned retries, window;
	/* one request from the options */
	const char *id, *msisdn, *device, *mail, *payload_hex, *payload_b64, *payload_file, *expires;
	bool receipt;
};

struct run {
	struct opts o;
	void *zctx, *snd, *sub, *rep;
	struct bc_watch watch;		/* the send socket's handshakes */
	bool gave_up;			/* a request went unanswered */
	struct req *r;
	size_t n, cap;
	size_t answered, outstanding;
	uint64_t next_seq;		/* --follow: the next seq to read */
	size_t ended;
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: txgw-send [OPTIONS] [FILE]\n"
"       txgw-send [OPTIONS] --id ID (--msisdn N | --device D | --mail A) PAYLOAD\n"
"\n"
"Send messages for handsets to txgw (doc/downlink.md): each request goes\n"
"to txgw's send socket as [\"SEND\", json]; txgw answers [\"QUEUED\", id, seq]\n"
"once the request is in its journal, or [\"ERROR\", id, reason].  With\n"
"--follow, txgw-send then reads what became of each queued message on the\n"
"bus (topic txlog.downlink) until every one has ended.\n"
"\n"
"Requests:\n"
"  FILE                JSON lines, one request each, sent as they are ('-':\n"
"                      standard input), for example\n"
"                      {\"id\":\"r-1\",\"device\":\"00112233aabbccdd\",\"payload\":\"3q2+7w==\"}\n"
"  --id ID             or one request made from options: its id (1 to 64 of\n"
"                      A-Za-z0-9._:-, the idempotency key)\n"
"  --msisdn N          the handset's number (digits, a leading + allowed)\n"
"  --device D          or its device id (16 hex digits): the registry's MSISDN\n"
"  --mail ADDR         or a mailbox (the mail bearer)\n"
"  --payload-hex HEX   the payload, in hex, or:\n"
"  --payload-b64 B64   in base64, or:\n"
"  --payload-file F    the bytes of file F\n"
"  --receipt           ask the SMSC for delivery receipts\n"
"  --expires TIME      not submitted after TIME (RFC 3339 UTC,\n"
"                      2026-11-25T22:00:00Z); txgw's max-age otherwise\n"
"\n"
"Sockets:\n"
"  --send EP           txgw's send socket (" BC_DEF_SEND ")\n"
"  --publish EP        its publish socket, with --follow (" BC_DEF_PUB ")\n"
"  --replay EP         its replay socket, with --follow (" BC_DEF_REPLAY ")\n"
"  --curve-server-key KEY|FILE\n"
"                      speak CURVE (RFC 26) on all three sockets to a gateway\n"
"                      configured with curve-secret-key: its public key, 40\n"
"                      characters of Z85, or a key file holding it\n"
"                      (txgw-keygen's PUBLIC-FILE)\n"
"  --curve-key FILE    with --curve-server-key: our secret key file\n"
"                      (txgw-keygen's SECRET-FILE, readable by its owner only);\n"
"                      our public key is derived from it and must be in the\n"
"                      gateway's curve-clients file.  A gateway that refuses\n"
"                      our handshake does not answer at all: txgw-send says why\n"
"                      on standard error (at most every 10 s) and, once a\n"
"                      request is unanswered after its retries, names the\n"
"                      reason again\n"
"\n"
"Behaviour:\n"
"  --timeout S         seconds to wait for an answer before sending again (10)\n"
"  --retry N           times a request unanswered is sent again (2); SEND is\n"
"                      idempotent by id: the answer is the first seq\n"
"  --window N          requests unanswered at once (64)\n"
"  --follow            then follow txlog.downlink until every queued message\n"
"                      has ended: failed, delivered, or submitted when it asked\n"
"                      for no receipt\n"
"  --wait S            with --follow, give up after S seconds (120)\n"
"\n"
"Output:\n"
"  One line per answer: \"QUEUED id seq\" or \"ERROR id reason\" (id \"-\"\n"
"  when txgw could not read it), \"UNANSWERED id\" after the retries; with\n"
"  --follow one per event of a queued message: \"seq id state [error]\";\n"
"  then a summary on standard error.\n"
"  --json              JSON lines instead: {\"answer\":\"QUEUED\",\"id\":...,\n"
"                      \"detail\":...}, {\"unanswered\":id}, and each event's\n"
"                      payload as published\n"
"  -q, --quiet         no summary\n"
"  -h, --help          this help;  --version  the version\n"
"\n"
"Exit status: 0 when every request was queued (and, with --follow, every\n"
"message ended and none failed); 1 when one was refused, unanswered,\n"
"failed or did not end in time; 2 on bad usage, a key that cannot be read\n"
"(a secret key file that group or others may read is refused), or when a\n"
"socket could not be set up.\n"
"\n"
"Key files: one 40-character Z85 key on a line of its own; lines starting\n"
"with '#', and blank lines, are comments (doc/bus.md).  txgw-keygen makes\n"
"them.\n"
"\n"
"Examples:\n"
"  txgw-send --id cmd-42 --device 00112233aabbccdd --payload-hex deadbeef \\\n"
"      --receipt --follow\n"
"  txgw-send --follow --json requests.jsonl > outcome.jsonl\n"
"  txgw-send --send tcp://gw1.example:5562 --curve-server-key /etc/txgw/gw1.pub \\\n"
"      --curve-key ~/.txgw/ops.key --id cmd-43 --msisdn +886912345678 \\\n"
"      --payload-b64 3q2+7w==\n");
}

/* ---- options -------------------------------------------------------------------- */

enum {
	O_SEND = 256, O_PUB, O_REPLAY, O_FOLLOW, O_JSON, O_TIMEOUT, O_WAIT, O_RETRY, O_WINDOW, O_ID,
	O_MSISDN, O_DEVICE, O_MAIL, O_PHEX, O_PB64, O_PFILE, O_RECEIPT, O_EXPIRES, O_VERSION,
	O_SERVER_KEY, O_KEY,
};

static const struct option long_opts[] = {
	{ "send", 1, NULL, O_SEND }, { "publish", 1, NULL, O_PUB }, { "replay", 1, NULL, O_REPLAY },
	{ "follow", 0, NULL, O_FOLLOW }, { "json", 0, NULL, O_JSON }, { "timeout", 1, NULL, O_TIMEOUT },
	{ "wait", 1, NULL, O_WAIT }, { "retry", 1, NULL, O_RETRY }, { "window", 1, NULL, O_WINDOW },
	{ "id", 1, NULL, O_ID }, { "msisdn", 1, NULL, O_MSISDN }, { "device", 1, NULL, O_DEVICE },
	{ "mail", 1, NULL, O_MAIL }, { "payload-hex", 1, NULL, O_PHEX },
	{ "payload-b64", 1, NULL, O_PB64 }, { "payload-file", 1, NULL, O_PFILE },
	{ "receipt", 0, NULL, O_RECEIPT }, { "expires", 1, NULL, O_EXPIRES },
	{ "curve-server-key", 1, NULL, O_SERVER_KEY }, { "curve-key", 1, NULL, O_KEY },
	{ "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' }, { "version", 0, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "txgw-send: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(txgw-send --help tells more)\n");
	exit(2);
}

static unsigned long number(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	uint64_t v;

	if (bc_parse_u64(s, lo, &v) < 0 || v > hi)
		die_usage("--%s: not a number in range", opt);
	return (unsigned long)v;
}

static void parse_opt(struct opts *o, int c, const char *a)
{
	switch (c) {
	case O_SEND: o->send = a; break;
	case O_PUB: o->pub = a; break;
	case O_REPLAY: o->replay = a; break;
	case O_FOLLOW: o->follow = true; break;
	case O_JSON: o->json = true; break;
	case O_TIMEOUT: o->timeout_ms = (int64_t)number("timeout", a, 1, 86400) * 1000; break;
	case O_WAIT: o->wait_ms = (int64_t)number("wait", a, 1, 864000) * 1000; break;
	case O_RETRY: o->retries = (unsigned)number("retry", a, 0, 1000000); break;
	case O_WINDOW: o->window = (unsigned)number("window", a, 1, 100000); break;
	case O_ID: o->id = a; break;
	case O_MSISDN: o->msisdn = a; break;
	case O_DEVICE: o->device = a; break;
	case O_MAIL: o->mail = a; break;
	case O_PHEX: o->payload_hex = a; break;
	case O_PB64: o->payload_b64 = a; break;
	case O_PFILE: o->payload_file = a; break;
	case O_RECEIPT: o->receipt = true; break;
	case O_EXPIRES: o->expires = a; break;
	case O_SERVER_KEY: o->server_key = a; break;
	case O_KEY: o->key_file = a; break;
	case 'q': o->quiet = true; break;
	case 'h': usage(stdout); exit(0);
	case O_VERSION: printf("txgw-send %s\n", PACKAGE_VERSION); exit(0);
	default: usage(stderr); exit(2);
	}
}

/* ---- requests ---------------------------------------------------------------------- */

static struct req *add_req(struct run *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct req *n = realloc(r->r, cap * sizeof(*n));
		if (!n)
			die_usage("%s", "out of memory");
		r->r = n;
		r->cap = cap;
	}
	memset(&r->r[r->n], 0, sizeof(r->r[0]));
	return &r->r[r->n++];
}

/* A request line: its id and receipt, when they can be read. */
static void req_member(void *data, const char *key, const struct sj_val *v)
{
	struct req *q = data;

	if (!strcmp(key, "id") && v->type == SJ_STR && !v->truncated && v->s_len <= ID_MAX)
		memcpy(q->id, v->s, v->s_len + 1);
	if (!strcmp(key, "receipt") && v->type == SJ_BOOL)
		q->receipt = v->b;
}

static void read_file(struct run *r, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		die_usage("cannot read %s", path);
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if (n > LINE_MAX_)
			die_usage("a request line of %s is too long", path);
		struct req *q = add_req(r);
		q->json = strdup(line);
		q->len = (size_t)n;
		if (sj_object(line, (size_t)n, req_member, q) < 0)
			q->id[0] = '\0';	/* txgw cannot read it either: ERROR "" */
	}
	free(line);
	if (f != stdin)
		fclose(f);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* The payload of the options, as bytes (NULL for --payload-b64: as given). */
static uint8_t *payload_bytes(const struct opts *o, size_t *len)
{
	static uint8_t buf[PAYLOAD_MAX + 1];

	if (o->payload_hex) {
		size_t n = strlen(o->payload_hex);
		if (n % 2 || n / 2 > PAYLOAD_MAX)
			die_usage("--payload-hex %s: an even number of hex digits, 64 KiB at most", o->payload_hex);
		for (size_t i = 0; i < n / 2; i++) {
			int h = hexval(o->payload_hex[2 * i]), l = hexval(o->payload_hex[2 * i + 1]);
			if (h < 0 || l < 0)
				die_usage("--payload-hex %s: not hex", o->payload_hex);
			buf[i] = (uint8_t)(h << 4 | l);
		}
		*len = n / 2;
		return buf;
	}
	FILE *f = fopen(o->payload_file, "rb");
	if (!f)
		die_usage("--payload-file %s: cannot read it", o->payload_file);
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (*len > PAYLOAD_MAX)
		die_usage("--payload-file %s: over 64 KiB", o->payload_file);
	return buf;
}

/* The one request of the options, as JSON. */
static void make_request(struct run *r)
{
	const struct opts *o = &r->o;
	int addrs = !!o->msisdn + !!o->device + !!o->mail;
	int payloads = !!o->payload_hex + !!o->payload_b64 + !!o->payload_file;
	struct jw w;

	if (addrs != 1 || payloads != 1)
		die_usage("%s", "--id needs one of --msisdn, --device, --mail and one payload option");
	jw_init(&w, 0);
	jw_obj_open(&w);
	jw_kstr(&w, "id", o->id);
	if (o->msisdn)
		jw_kstr(&w, "msisdn", o->msisdn);
	else
		jw_kstr(&w, o->device ? "device" : "mail", o->device ? o->device : o->mail);
	if (o->payload_b64) {
		jw_kstr(&w, "payload", o->payload_b64);
	} else {
		size_t n;
		uint8_t *b = payload_bytes(o, &n);
		jw_key(&w, "payload");
		jw_base64(&w, b, n);
	}
	if (o->receipt)
		jw_kbool(&w, "receipt", true);
	if (o->expires)
		jw_kstr(&w, "expires", o->expires);
	jw_obj_close(&w);
	if (jw_finish(&w) < 0)
		die_usage("%s", "out of memory");
	struct req *q = add_req(r);
	q->json = strdup(w.buf);
	q->len = w.len;
	snprintf(q->id, sizeof(q->id), "%s", o->id);
	q->receipt = o->receipt;
	jw_free(&w);
}

/* ---- sockets ---------------------------------------------------------------------------- */

static void *sock(struct run *r, int type, const char *ep, const char *topic, struct bc_watch *w)
{
	struct bc_sock want = { .type = type, .ep = ep, .subscribe = topic, .curve = &r->o.curve,
				.watch = w, .watch_name = "txgw-send" };
	struct bc_fail fail;
	void *s = bc_connect(r->zctx, &want, &fail);

	if (!s) {
		fprintf(stderr, "txgw-send: %s%s: %s\n", fail.stage == BC_CURVE ? "CURVE on " : "", ep,
			zmq_strerror(fail.err));
		exit(2);
	}
	return s;
}

/* Receive one message without waiting, its first 3 frames copied,
 * NUL-terminated, cut to FRAME_MAX - 1; returns the frame count, 0 when
 * none is waiting. */
static int recv3(void *s, char fr[3][FRAME_MAX])
{
	struct bc_frames f;

	if (bc_frames_recv(s, &f) <= 0)
		return 0;
	for (unsigned i = 0; i < f.n; i++) {
		size_t l = bc_fsize(&f, i) < FRAME_MAX - 1 ? bc_fsize(&f, i) : FRAME_MAX - 1;
		memcpy(fr[i], bc_fdata(&f, i), l);
		fr[i][l] = '\0';
	}
	bc_frames_close(&f);
	return (int)f.total;
}

/* ---- answers ---------------------------------------------------------------------------------- */

/* {"<k>":v1,"id":v2,"detail":v3} (or {"<k>":v1}), escaped by the JSON writer */
static void json_line(const char *k, const char *v1, const char *id, const char *detail)
{
	struct jw w;

	jw_init(&w, 0);
	jw_obj_open(&w);
	jw_kstr(&w, k, v1);
	if (id) {
		jw_kstr(&w, "id", id);
		jw_kstr(&w, "detail", detail);
	}
	jw_obj_close(&w);
	if (jw_finish(&w) == 0)
		printf("%s\n", w.buf);
	jw_free(&w);
}

static void send_req(struct run *r, struct req *q)
{
	if (zmq_send(r->snd, "SEND", 4, ZMQ_SNDMORE) < 0 || zmq_send(r->snd, q->json, q->len, 0) < 0) {
		fprintf(stderr, "txgw-send: send: %s\n", zmq_strerror(zmq_errno()));
		exit(2);
	}
	if (!q->sent)
		r->outstanding++;
	q->sent++;
	q->sent_ms = bc_now_ms();
}

static struct req *match(struct run *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->r[i].sent && !r->r[i].answered && !strcmp(r->r[i].id, id))
			return &r->r[i];
	return NULL;
}

static void on_answer(struct run *r, char fr[3][FRAME_MAX])
{
	struct req *q = match(r, fr[1]);

	if (!q)
		return;		/* a second answer to a request sent again */
	q->answered = true;
	r->answered++;
	r->outstanding--;
	q->queued = !strcmp(fr[0], "QUEUED");
	if (q->queued)
		q->seq = strtoull(fr[2], NULL, 10);
	else
		snprintf(q->detail, sizeof(q->detail), "%s", fr[2]);
	if (r->o.json)
		json_line("answer", fr[0], q->id, fr[2]);
	else
		printf("%s %s %s\n", fr[0], q->id[0] ? q->id : "-", fr[2]);
}

/* The first request unanswered after its retries: say why, once (not a
 * summary: -q keeps it).  A refused handshake is the likely reason. */
static void gave_up(struct run *r, const struct req *q)
{
	if (r->gave_up)
		return;
	r->gave_up = true;
	bc_watch_read(&r->watch, r->o.send, &r->o.curve, bc_now_ms());
	fprintf(stderr, "txgw-send: no answer from %s to %s in %" PRId64 " s (%u %s): %s\n", r->o.send,
		q->id[0] ? q->id : "-", q->sent * r->o.timeout_ms / 1000, q->sent,
		q->sent == 1 ? "try" : "tries", r->watch.why[0] ? r->watch.why :
		"is txgw running there, with a send socket?");
}

/* Send within the window, read answers, send again what waited too long. */
static void exchange(struct run *r)
{
	size_t next = 0;
	int64_t now;

	while (r->answered < r->n) {
		while (next < r->n && r->outstanding < r->o.window)
			send_req(r, &r->r[next++]);
		zmq_pollitem_t pi[] = { { r->snd, 0, ZMQ_POLLIN, 0 }, { r->watch.mon, 0, ZMQ_POLLIN, 0 } };
		zmq_poll(pi, r->watch.mon ? 2 : 1, POLL_MS);
		char fr[3][FRAME_MAX];
		while (recv3(r->snd, fr) == 3)
			on_answer(r, fr);
		now = bc_now_ms();
		if (pi[1].revents && bc_watch_read(&r->watch, r->o.send, &r->o.curve, now))
			fprintf(stderr, "txgw-send: %s\n", r->watch.why);
		for (size_t i = 0; i < next; i++) {
			struct req *q = &r->r[i];
			if (q->answered || now - q->sent_ms < r->o.timeout_ms)
				continue;
			if (q->sent > r->o.retries) {
				q->answered = true;	/* given up */
				r->answered++;
				r->outstanding--;
				snprintf(q->detail, sizeof(q->detail), "unanswered");
				gave_up(r, q);
				if (r->o.json)
					json_line("unanswered", q->id, NULL, NULL);
				else
					printf("UNANSWERED %s\n", q->id[0] ? q->id : "-");
				continue;
			}
			send_req(r, q);
		}
	}
	fflush(stdout);
}

/* ---- following ------------------------------------------------------------------------------ */

struct event {
	char id[ID_MAX + 1], state[12], error[SJ_STR_MAX + 1];
	uint64_t queued, seq;
};

static void event_member(void *data, const char *key, const struct sj_val *v)
{
	struct event *e = data;

	if (v->type == SJ_STR && !strcmp(key, "id"))
		snprintf(e->id, sizeof(e->id), "%.64s", v->s);
	else if (v->type == SJ_STR && !strcmp(key, "state"))
		snprintf(e->state, sizeof(e->state), "%.11s", v->s);
	else if (v->type == SJ_STR && !strcmp(key, "error"))
		snprintf(e->error, sizeof(e->error), "%s", v->s);
	else if (v->type == SJ_INT && !strcmp(key, "queued"))
		e->queued = (uint64_t)v->i;
	else if (v->type == SJ_INT && !strcmp(key, "seq"))
		e->seq = (uint64_t)v->i;
}

static bool ended(const struct req *q)
{
	return !strcmp(q->state, "failed") || !strcmp(q->state, "delivered") ||
	       (!strcmp(q->state, "submitted") && !q->receipt);
}

static void on_event(struct run *r, const char *payload)
{
	struct event e = { 0 };

	if (sj_object(payload, strlen(payload), event_member, &e) < 0)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct req *q = &r->r[i];
		if (!q->queued || q->seq != e.queued || ended(q))
			continue;
		snprintf(q->state, sizeof(q->state), "%s", e.state);
		snprintf(q->error, sizeof(q->error), "%s", e.error);
		if (r->o.json)
			printf("%s\n", payload);
		else
			printf("%" PRIu64 " %s %s%s%s\n", e.seq, q->id, e.state, e.error[0] ? " " : "",
			       e.error);
		r->ended += ended(q);
	}
}

/* One REPLAY slice from next_seq: events in order, then END.  An answer
 * that does not come (txgw restarted) is asked for again. */
static bool replay_slice(struct run *r, int64_t deadline)
{
	char fr[3][FRAME_MAX];

	if (bc_now_ms() + REPLAY_WAIT_MS < deadline)
		deadline = bc_now_ms() + REPLAY_WAIT_MS;

	bc_ask_replay(r->rep, r->next_seq, REPLAY_SLICE, 0);
	while (bc_now_ms() < deadline) {
		zmq_pollitem_t pi = { r->rep, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&pi, 1, POLL_MS) <= 0)
			continue;
		if (recv3(r->rep, fr) != 2)
			continue;
		if (!strcmp(fr[0], "END")) {
			uint64_t next = strtoull(fr[1], NULL, 10);
			bool more = next > r->next_seq;
			r->next_seq = next;
			return more;
		}
		if (!strcmp(fr[0], "ERROR"))
			return false;
		if (!strcmp(fr[0], "txlog.downlink"))
			on_event(r, fr[1]);
	}
	return false;
}

static void follow(struct run *r)
{
	int64_t deadline = bc_now_ms() + r->o.wait_ms;
	size_t queued = 0;

	r->next_seq = UINT64_MAX;
	for (size_t i = 0; i < r->n; i++) {
		if (!r->r[i].queued)
			continue;
		queued++;
		if (r->r[i].seq < r->next_seq)
			r->next_seq = r->r[i].seq;
	}
	while (queued && r->ended < queued && bc_now_ms() < deadline) {
		if (replay_slice(r, deadline))
			continue;	/* a full slice: more may be there */
		/* wait for news on the publish socket, or a while */
		zmq_pollitem_t pi = { r->sub, 0, ZMQ_POLLIN, 0 };
		zmq_poll(&pi, 1, 500);
		char fr[3][FRAME_MAX];
		while (recv3(r->sub, fr) > 0)
			;
	}
	fflush(stdout);
}

/* ---- the summary ---------------------------------------------------------------------------- */

static int summary(struct run *r)
{
	size_t q = 0, refused = 0, submitted = 0, delivered = 0, failed = 0, open = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct req *x = &r->r[i];
		if (!x->queued) {
			refused++;
			continue;
		}
		q++;
		if (!r->o.follow)
			continue;
		if (!ended(x))
			open++;
		else if (!strcmp(x->state, "failed"))
			failed++;
		else if (!strcmp(x->state, "delivered"))
			delivered++;
		else
			submitted++;
	}
	if (!r->o.quiet) {
		fprintf(stderr, "txgw-send: %zu requests: %zu queued, %zu refused or unanswered\n", r->n, q,
			refused);
		if (r->o.follow)
			fprintf(stderr, "txgw-send: ended: %zu submitted (no receipt asked), %zu delivered, "
				"%zu failed; %zu not ended\n", submitted, delivered, failed, open);
	}
	return refused || failed || open ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct run r = { .o = { .send = BC_DEF_SEND, .pub = BC_DEF_PUB, .replay = BC_DEF_REPLAY,
				.timeout_ms = 10000, .wait_ms = 120000, .retries = 2, .window = 64 } };
	int c;

	while ((c = getopt_long(argc, argv, "qh", long_opts, NULL)) != -1)
		parse_opt(&r.o, c, optarg);
	if (optind + 1 < argc || (optind < argc) == !!r.o.id)
		die_usage("%s", "give a FILE of requests, or --id and its options");
	if (r.o.id)
		make_request(&r);
	else
		read_file(&r, argv[optind]);
	if (!r.n)
		die_usage("%s", "no request");
	if (bc_curve_load("txgw-send", r.o.server_key, r.o.key_file, &r.o.curve) < 0) {
		fprintf(stderr, "(txgw-send --help tells more)\n");
		exit(2);
	}
	r.zctx = zmq_ctx_new();
	/* the send socket's handshakes, watched from before it connects */
	r.snd = sock(&r, ZMQ_DEALER, r.o.send, NULL, &r.watch);
	if (r.o.follow) {
		r.sub = sock(&r, ZMQ_SUB, r.o.pub, "txlog.downlink", NULL);
		r.rep = sock(&r, ZMQ_DEALER, r.o.replay, NULL, NULL);
	}
	exchange(&r);
	if (r.o.follow)
		follow(&r);
	int rc = summary(&r);
	bc_watch_close(&r.watch);
	zmq_close(r.snd);
	if (r.sub) {
		zmq_close(r.sub);
		zmq_close(r.rep);
	}
	zmq_ctx_term(r.zctx);
	for (size_t i = 0; i < r.n; i++)
		free(r.r[i].json);
	free(r.r);
	return rc;
}
