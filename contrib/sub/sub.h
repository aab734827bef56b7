/*
 * sub.h — the parts of txgw-sub (contrib/txgw-sub.c, where the design is
 * described): options (sub_opts.c), payloads and output (sub_out.c), seqs
 * in order with replay filling the gaps (sub_order.c), sockets and the
 * handshake watch (sub_conn.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/bus_client.h"
#include "gateway/lib/json_read.h"

#define RING_SLOTS	4096		/* messages held out of order; also the replay slice */
#define IDLE_MS		1000		/* nothing new this long: ask replay again */
#define ANSWER_MS	5000		/* a replay answer lost: ask again */
#define SAVE_MS		1000		/* --state written at most this often while running */
#define POLL_MS		200
#define MSG_MAX		(1 << 20)	/* larger ZeroMQ messages are refused by the socket */
#define TOPIC_MAX	63
#define TOPICS_MAX	8		/* names in --topics */
#define TALLY_MAX	16		/* distinct names counted per summary field */
#define GAPS_SHOWN	8		/* gap ranges named in the summary */
#define TOPIC_PREFIX	"txlog."

enum out_mode { OUT_AUTO, OUT_TABLE, OUT_JSON };

struct opts {
	const char *pub, *replay, *state;
	const char *server_key, *key_file;	/* --curve-server-key, --curve-key */
	struct bc_curve curve;
	uint64_t from, until, count;
	bool from_set, from_live, has_until;
	int64_t timeout_ms;		/* 0: none */
	enum out_mode mode;
	unsigned n_topics;
	char topics[TOPICS_MAX][TOPIC_MAX + 1];
};

struct slot {
	bool used, replayed;
	char topic[TOPIC_MAX + 1];
	char *payload;			/* malloc'ed, NUL-terminated */
};

/* The keys of a payload the table shows, as printable ASCII. */
struct row {
	bool has_seq, has_counter, has_amount, has_balance, late;
	int64_t seq, counter, amount, balance;
	char time[32], rx[32], device[24], kind[24], reason[24], type[16], currency[8];
};

struct tally {
	unsigned n;
	struct { char name[24]; uint64_t count; } t[TALLY_MAX];
	uint64_t other;
};

struct gap {
	uint64_t from, to;
	bool expired;
};

struct sub {
	struct opts o;
	void *zctx, *sub, *dealer;
	struct bc_watch watch;		/* the DEALER's handshake failures */
	int sigfd;
	bool tty;
	struct slot *ring;
	unsigned held;			/* used slots */
	uint64_t next;			/* next seq to print */
	uint64_t top;			/* highest seq seen */
	bool started;			/* next is known (--from live waits for the first message) */
	bool pending;			/* a replay answer is outstanding */
	int64_t asked_ms, news_ms, saved_ms;
	uint64_t saved_next;
	uint64_t shown, replayed, malformed, requests;
	struct tally topics, kinds, reasons;
	uint64_t gap_seqs;
	unsigned n_gaps;
	struct gap gaps[GAPS_SHOWN];
	bool status_on;			/* a status line is on the terminal */
	bool printed;			/* stdout needs a flush */
};

/* sub_opts.c: returns 0, or exits: 0 after --help/--version, 2 on bad usage. */
int sub_parse_opts(int argc, char **argv, struct opts *o);

/* sub_out.c */
int sub_row_parse(const char *payload, size_t len, struct row *r);
bool sub_topic_ok(const char *t, size_t len);
void sub_status_clear(struct sub *s);
void sub_status_show(struct sub *s);
void sub_summary(struct sub *s);
void sub_note_gap(struct sub *s, uint64_t from, uint64_t to, bool expired);
void sub_table_header(void);
void sub_emit(struct sub *s, const struct slot *sl);

/* sub_order.c */
bool sub_done(const struct sub *s);
void sub_maybe_ask(struct sub *s, int64_t now, bool first);
int sub_read_sockets(struct sub *s, int64_t now);

/* sub_conn.c */
int sub_open(struct sub *s);
void sub_close(struct sub *s);
void sub_handshake_failed(struct sub *s, int64_t now);
