/*
 * txgw-sub.c — a subscriber of the txgw bus (doc/bus.md) for operators:
 * prints records, alerts and rejects as a live table or as JSON lines, each
 * seq exactly once and in seq order, filling what it missed from the replay
 * socket.
 *
 * Ordering: messages are kept in a ring indexed by seq, RING_SLOTS wide,
 * starting at the next seq to print.  A live message ahead of that seq waits
 * in the ring until the gap before it is filled by replay; one too far ahead
 * is dropped, which is safe, since every published message is in the
 * journal (bus.md "Sequence and durability") and comes back by replay.
 *
 * Replay ["REPLAY", from, max] is asked at start, when a gap shows, and when
 * nothing arrived for IDLE_MS (loss at the tail shows no gap).  After its
 * ["END", next], a seq below next that is still missing cannot be filled;
 * ["ERROR", oldest] means the journal no longer keeps what is below oldest.
 * Both are reported and skipped, so the output never stalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "gateway/lib/json_read.h"
#include "gateway/lib/keyfile.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

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
#define DEF_PUB		"tcp://127.0.0.1:5560"
#define DEF_REPLAY	"tcp://127.0.0.1:5561"
#define TOPIC_PREFIX	"txlog."

enum out_mode { OUT_AUTO, OUT_TABLE, OUT_JSON };

struct opts {
	const char *pub, *replay, *state;
	const char *server_key, *key_file;	/* --curve-server-key, --curve-key */
	bool curve;
	uint8_t curve_server[KEY_LEN], curve_secret[KEY_LEN];
	char curve_public[KEY_Z85_LEN + 1];	/* ours, from the secret */
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
	void *mon;			/* the DEALER's handshake failures */
	int64_t mon_said_ms;
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- usage ----------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
"NAME\n"
"    txgw-sub - follow the txgw bus: records, alerts and rejects, gaps filled\n"
"\n"
"SYNOPSIS\n"
"    txgw-sub [--pub EP] [--replay EP] [--from SEQ|live] [--until-seq N]\n"
"             [--count N] [--timeout S] [--json | --table] [--topics LIST]\n"
"             [--state FILE] [--curve-server-key KEY|FILE --curve-key FILE]\n"
"    txgw-sub --help | --version\n"
"\n"
"DESCRIPTION\n"
"    txgw-sub subscribes to the publish socket of a txgw gateway (topics\n"
"    \"txlog.\") and keeps a DEALER on its replay socket.  Every message\n"
"    carries the gateway's journal sequence \"seq\", which grows by one per\n"
"    message; txgw-sub prints each seq exactly once, in seq order.  What it\n"
"    missed (it started late, a live message was lost, the stream went\n"
"    quiet) it asks for with [\"REPLAY\", from, max].  Live messages that\n"
"    arrive ahead of a gap wait until the gap is filled (%u at most; more\n"
"    are fetched by replay later).  Seqs the gateway no longer keeps, or that\n"
"    replay could not supply, are reported on stderr and skipped.\n"
"\n"
"OPTIONS\n"
"    --pub EP        the publish endpoint [" DEF_PUB "]\n"
"    --replay EP     the replay endpoint [" DEF_REPLAY "]\n"
"    --from SEQ      the first seq to print [1, or what --state remembers];\n"
"                    \"live\" starts at the first live message, with no backfill\n"
"    --until-seq N   stop after seq N (exit 0)\n"
"    --count N       stop after printing N messages (exit 0)\n"
"    --timeout S     give up after S seconds (exit 1); may be fractional\n"
"    --json          one line per message: {\"topic\":T,\"payload\":P}, P as\n"
"                    received; the summary goes to stderr\n"
"    --table         aligned columns (the default when stdout is a terminal):\n"
"                    seq, time (record time, else reception), topic, device,\n"
"                    counter/kind/reason, type, amount and currency (minor\n"
"                    units), balance, flags (\"late\")\n"
"    --topics LIST   comma-separated topics to print: record,alert,reject or\n"
"                    full names (txlog.record); other messages are passed\n"
"                    over but still ordered and counted for --until-seq\n"
"    --state FILE    keep the next seq to ask for in FILE (written atomically\n"
"                    while running and at exit); --from overrides it\n"
"    --curve-server-key KEY|FILE\n"
"                    speak CURVE (RFC 26) to a gateway configured with\n"
"                    curve-secret-key: its public key, 40 characters of Z85,\n"
"                    or a key file holding it (txgw-keygen's PUBLIC-FILE)\n"
"    --curve-key FILE\n"
"                    with --curve-server-key: our secret key file (txgw-keygen's\n"
"                    SECRET-FILE, readable by its owner only); our public key\n"
"                    is derived from it and must be in the gateway's\n"
"                    curve-clients file.  A refused handshake is reported on\n"
"                    stderr (at most every 10 s) and tried again\n"
"    -h, --help      this text\n"
"    -v, --version   the version\n"
"\n"
"OUTPUT\n"
"    At exit, a summary line: messages by topic, alerts by kind, rejects by\n"
"    reason, how many came by replay, and the gaps that could not be filled.\n"
"    Malformed messages (not [topic, JSON object with an integer seq]) are\n"
"    counted, reported on stderr and not printed.\n"
"\n"
"EXIT STATUS\n"
"    0  --until-seq or --count reached, or stopped by SIGINT/SIGTERM\n"
"    1  --timeout reached first, or a failure (socket, state file, a replay\n"
"       socket that refuses our requests)\n"
"    2  bad usage, or a key that cannot be read (a secret key file that group\n"
"       or others may read is refused)\n"
"\n"
"KEY FILES\n"
"    One 40-character Z85 key on a line of its own; lines starting with\n"
"    '#', and blank lines, are comments (doc/bus.md).  txgw-keygen makes\n"
"    them.\n"
"\n"
"EXAMPLES\n"
"    txgw-sub --state /var/lib/txgw-sub/next\n"
"    txgw-sub --json --from 1 --until-seq 5 --timeout 20 > first5.jsonl\n"
"    txgw-sub --topics alert,reject --from live\n"
"    txgw-sub --pub tcp://gw1.example:5560 --replay tcp://gw1.example:5561 \\\n"
"        --curve-server-key /etc/txgw-sub/gw1.pub --curve-key ~/.txgw/sub.key\n",
		RING_SLOTS);
}

/* A decimal count: digits only, within uint64, at least min. */
static int parse_u64(const char *s, uint64_t min, uint64_t *out)
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

static int parse_topics(struct opts *o, const char *list)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool full = memchr(p, '.', n) != NULL;
		size_t len = n + (full ? 0 : strlen(TOPIC_PREFIX));
		if (!n || len > TOPIC_MAX || o->n_topics == TOPICS_MAX)
			return -EINVAL;
		snprintf(o->topics[o->n_topics++], TOPIC_MAX + 1, "%s%.*s", full ? "" : TOPIC_PREFIX,
			 (int)n, p);
		p += n;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	return o->n_topics ? 0 : -EINVAL;
}

static int parse_timeout(const char *s, int64_t *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e9)
		return -EINVAL;
	*ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

static int opt_value(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case 'p':
		o->pub = arg;
		return 0;
	case 'r':
		o->replay = arg;
		return 0;
	case 'f':
		o->from_set = true;
		o->from_live = !strcmp(arg, "live");
		return o->from_live ? 0 : parse_u64(arg, 1, &o->from);
	case 'u':
		o->has_until = true;
		return parse_u64(arg, 1, &o->until);
	case 'n':
		return parse_u64(arg, 1, &o->count);
	case 't':
		return parse_timeout(arg, &o->timeout_ms);
	case 'T':
		return parse_topics(o, arg);
	case 's':
		o->state = arg;
		return 0;
	case 'S':
		o->server_key = arg;
		return 0;
	case 'K':
		o->key_file = arg;
		return 0;
	}
	return -EINVAL;
}

static int take_key(void *arg, const uint8_t key[KEY_LEN])
{
	memcpy(arg, key, KEY_LEN);
	return 0;
}

/* The CURVE keys of --curve-server-key and --curve-key: 0, or -1 with the
 * reason printed. */
static int load_keys(struct opts *o)
{
	char err[256], sec[KEY_Z85_LEN + 1];
	int n;

	if (!o->server_key && !o->key_file)
		return 0;
	if (!o->server_key || !o->key_file) {
		fprintf(stderr, "txgw-sub: --curve-server-key and --curve-key go together\n");
		return -1;
	}
	if (key_z85_decode(o->server_key, strlen(o->server_key), o->curve_server) < 0) {
		n = keyfile_read(o->server_key, false, take_key, o->curve_server, err, sizeof(err));
		if (n != 1) {
			fprintf(stderr, "txgw-sub: --curve-server-key: %s\n", n < 0 ? err :
				"not a 40-character Z85 key, nor a file holding exactly one");
			return -1;
		}
	}
	if (keyfile_read_secret(o->key_file, o->curve_secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "txgw-sub: --curve-key: %s\n", err);
		return -1;
	}
	key_z85_encode(o->curve_secret, sec);
	if (zmq_curve_public(o->curve_public, sec) < 0) {
		fprintf(stderr, "txgw-sub: --curve-key: libzmq has no CURVE: %s\n",
			zmq_strerror(zmq_errno()));
		return -1;
	}
	memset(sec, 0, sizeof(sec));
	o->curve = true;
	return 0;
}

/* Returns 0, or exits: 0 after --help/--version, 2 on bad usage. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ "until-seq", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "table", no_argument, NULL, 'b' },
		{ "topics", required_argument, NULL, 'T' },
		{ "state", required_argument, NULL, 's' },
		{ "curve-server-key", required_argument, NULL, 'S' },
		{ "curve-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0;

	o->pub = DEF_PUB;
	o->replay = DEF_REPLAY;
	o->from = 1;
	while ((c = getopt_long(argc, argv, "hv", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c == 'v') {
			printf("txgw-sub %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (c == 'j' || c == 'b') {
			o->mode = c == 'j' ? OUT_JSON : OUT_TABLE;
		} else if (c == '?' || opt_value(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, "txgw-sub: bad value for --%s: '%s'\n", longopts[idx].name,
					optarg);
			fprintf(stderr, "Try 'txgw-sub --help'.\n");
			exit(2);
		}
	}
	if (optind != argc || (o->has_until && !o->from_live && o->until < o->from)) {
		fprintf(stderr, "txgw-sub: %s\nTry 'txgw-sub --help'.\n",
			optind != argc ? "unexpected argument" : "--until-seq is below --from");
		exit(2);
	}
	if (load_keys(o) < 0) {
		fprintf(stderr, "Try 'txgw-sub --help'.\n");
		exit(2);
	}
	return 0;
}

/* ---- payloads ---------------------------------------------------------------- */

/* Copy a decoded string for a terminal: printable ASCII only, cut to fit. */
static void copy_shown(char *dst, size_t cap, const struct sj_val *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->s_len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)v->s[i];
		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = '\0';
}

static void row_member(void *data, const char *key, const struct sj_val *v)
{
	static const struct {
		const char *key;
		size_t off, cap;
	} strs[] = {
#define S(k) { #k, offsetof(struct row, k), sizeof(((struct row *)0)->k) }
		S(time), S(rx), S(device), S(kind), S(reason), S(type), S(currency),
#undef S
	};
	struct row *r = data;

	if (v->type == SJ_STR) {
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (!strcmp(key, strs[i].key))
				copy_shown((char *)r + strs[i].off, strs[i].cap, v);
	} else if (v->type == SJ_INT) {
		if (!strcmp(key, "seq"))
			r->has_seq = true, r->seq = v->i;
		else if (!strcmp(key, "counter"))
			r->has_counter = true, r->counter = v->i;
		else if (!strcmp(key, "amount"))
			r->has_amount = true, r->amount = v->i;
		else if (!strcmp(key, "balance"))
			r->has_balance = true, r->balance = v->i;
	} else if (v->type == SJ_BOOL && !strcmp(key, "late")) {
		r->late = v->b;
	}
}

/* A payload as bus.md makes it: one line, one JSON object, a seq >= 1. */
static int row_parse(const char *payload, size_t len, struct row *r)
{
	memset(r, 0, sizeof(*r));
	if (memchr(payload, '\n', len) || memchr(payload, '\r', len))
		return -EINVAL;
	int rc = sj_object(payload, len, row_member, r);
	if (rc < 0)
		return rc;
	return r->has_seq && r->seq >= 1 ? 0 : -EINVAL;
}

/* A topic we can print without escaping: 1..TOPIC_MAX printable ASCII,
 * no quote or backslash. */
static bool topic_ok(const char *t, size_t len)
{
	if (!len || len > TOPIC_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f || t[i] == '"' || t[i] == '\\')
			return false;
	return true;
}

/* ---- the summary ------------------------------------------------------------- */

static void tally_add(struct tally *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->t[i].name, name)) {
			t->t[i].count++;
			return;
		}
	if (t->n == TALLY_MAX || !*name || strlen(name) >= sizeof(t->t[0].name)) {
		t->other++;
		return;
	}
	snprintf(t->t[t->n].name, sizeof(t->t[0].name), "%s", name);
	t->t[t->n++].count = 1;
}

static void tally_print(FILE *out, const char *what, const struct tally *t)
{
	fprintf(out, "%s", what);
	if (!t->n && !t->other)
		fprintf(out, " none");
	for (unsigned i = 0; i < t->n; i++)
		fprintf(out, "%s %s %" PRIu64, i ? "," : "", t->t[i].name, t->t[i].count);
	if (t->other)
		fprintf(out, "%s other %" PRIu64, t->n ? "," : "", t->other);
}

/* Take the terminal's status line away before anything else is written. */
static void status_clear(struct sub *s)
{
	if (s->status_on) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		s->status_on = false;
	}
}

static void summary(struct sub *s)
{
	FILE *out = s->o.mode == OUT_JSON ? stderr : stdout;

	status_clear(s);
	fprintf(out, "txgw-sub: %" PRIu64 " messages", s->shown);
	tally_print(out, "; topics:", &s->topics);
	tally_print(out, "; alerts:", &s->kinds);
	tally_print(out, "; rejects:", &s->reasons);
	fprintf(out, "; %" PRIu64 " replayed; unfilled gaps:", s->replayed);
	if (!s->gap_seqs)
		fprintf(out, " none");
	for (unsigned i = 0; i < s->n_gaps; i++)
		fprintf(out, "%s %" PRIu64 "..%" PRIu64 "%s", i ? "," : "", s->gaps[i].from,
			s->gaps[i].to, s->gaps[i].expired ? " (no longer kept)" : "");
	if (s->gap_seqs)
		fprintf(out, " (%" PRIu64 " seqs)", s->gap_seqs);
	if (s->malformed)
		fprintf(out, "; %" PRIu64 " malformed", s->malformed);
	fprintf(out, "\n");
	fflush(out);
}

static void note_gap(struct sub *s, uint64_t from, uint64_t to, bool expired)
{
	status_clear(s);
	fprintf(stderr, "txgw-sub: seqs %" PRIu64 "..%" PRIu64 " %s\n", from, to,
		expired ? "are no longer kept" : "could not be filled by replay");
	s->gap_seqs += to - from + 1;
	if (s->n_gaps < GAPS_SHOWN)
		s->gaps[s->n_gaps++] = (struct gap){ from, to, expired };
}

/* ---- output ------------------------------------------------------------------ */

static void table_header(void)
{
	printf("%8s  %-24s  %-6s  %-16s  %-20s  %-12s  %16s  %12s  %s\n", "SEQ", "TIME", "TOPIC",
	       "DEVICE", "COUNTER/KIND/REASON", "TYPE", "AMOUNT CUR", "BALANCE", "FLAGS");
}

static void table_row(const char *topic, const struct row *r)
{
	char what[24], amount[40] = "", balance[24] = "", line[256];
	const char *shown = strncmp(topic, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) ? topic :
			    topic + strlen(TOPIC_PREFIX);

	if (r->kind[0])
		snprintf(what, sizeof(what), "%s", r->kind);
	else if (r->reason[0])
		snprintf(what, sizeof(what), "%s", r->reason);
	else if (r->has_counter)
		snprintf(what, sizeof(what), "%" PRId64, r->counter);
	else
		what[0] = '\0';
	if (r->has_amount)
		snprintf(amount, sizeof(amount), "%" PRId64 " %-3s", r->amount, r->currency);
	if (r->has_balance)
		snprintf(balance, sizeof(balance), "%" PRId64, r->balance);
	int n = snprintf(line, sizeof(line), "%8" PRId64 "  %-24s  %-6.6s  %-16s  %-20s  %-12s  %16s  %12s  %s",
			 r->seq, r->time[0] ? r->time : r->rx, shown, r->device, what, r->type, amount,
			 balance, r->late ? "late" : "");
	while (n > 0 && line[n - 1] == ' ')
		n--;
	printf("%.*s\n", n, line);
}

static bool topic_selected(const struct opts *o, const char *topic)
{
	if (!o->n_topics)
		return true;
	for (unsigned i = 0; i < o->n_topics; i++)
		if (!strcmp(o->topics[i], topic))
			return true;
	return false;
}

/* Print the message of the next seq (its payload was checked on arrival). */
static void emit(struct sub *s, const struct slot *sl)
{
	struct row r;

	if (!topic_selected(&s->o, sl->topic))
		return;
	row_parse(sl->payload, strlen(sl->payload), &r);
	status_clear(s);
	if (s->o.mode == OUT_JSON)
		printf("{\"topic\":\"%s\",\"payload\":%s}\n", sl->topic, sl->payload);
	else
		table_row(sl->topic, &r);
	s->printed = true;
	s->shown++;
	if (sl->replayed)
		s->replayed++;
	tally_add(&s->topics, sl->topic);
	if (r.kind[0])
		tally_add(&s->kinds, r.kind);
	if (r.reason[0])
		tally_add(&s->reasons, r.reason);
}

static void status_show(struct sub *s)
{
	if (!s->tty || s->o.mode != OUT_TABLE)
		return;
	printf("\r\033[K-- %" PRIu64 " shown, %" PRIu64 " replayed; ", s->shown, s->replayed);
	if (s->started)
		printf("waiting for seq %" PRIu64 "%s", s->next, s->held ? " (later ones held)" : "");
	else
		printf("waiting for the first live message");
	s->status_on = true;
	s->printed = true;
}

/* ---- the ring: seqs in order ------------------------------------------------- */

static bool done(const struct sub *s)
{
	return (s->o.has_until && s->started && s->next > s->o.until) ||
	       (s->o.count && s->shown >= s->o.count);
}

static struct slot *slot_of(struct sub *s, uint64_t seq)
{
	return &s->ring[seq % RING_SLOTS];
}

static void slot_free(struct sub *s, struct slot *sl)
{
	free(sl->payload);
	sl->payload = NULL;
	sl->used = false;
	s->held--;
}

/* Print what is ready from s->next on. */
static void drain(struct sub *s)
{
	struct slot *sl;
	while (!done(s) && (sl = slot_of(s, s->next))->used) {
		emit(s, sl);
		slot_free(s, sl);
		s->next++;
	}
}

/* Go on to limit: print what is held below it, report what is missing. */
static void skip_to(struct sub *s, uint64_t limit, bool expired)
{
	if (s->o.has_until && limit > s->o.until + 1)
		limit = s->o.until + 1;
	while (s->next < limit && !done(s)) {
		uint64_t from = s->next;
		if (!s->held)
			s->next = limit;	/* nothing held: no need to walk the range */
		while (s->next < limit && !slot_of(s, s->next)->used)
			s->next++;
		if (s->next > from)
			note_gap(s, from, s->next - 1, expired);
		drain(s);
	}
}

static void warn_malformed(struct sub *s, const char *how, const char *why)
{
	s->malformed++;
	status_clear(s);
	fprintf(stderr, "txgw-sub: malformed %s message ignored: %s\n", how, why);
}

/* A [topic, payload] message, live or replayed. */
static void take(struct sub *s, const char *topic, size_t tlen, const char *payload, size_t plen,
		 bool replayed)
{
	struct row r;
	struct slot *sl;

	if (!topic_ok(topic, tlen) || row_parse(payload, plen, &r) < 0) {
		warn_malformed(s, replayed ? "replayed" : "live", topic_ok(topic, tlen) ?
			       "payload is not one JSON object with a seq" : "bad topic");
		return;
	}
	if (!s->started) {
		if (replayed)
			return;
		s->next = (uint64_t)r.seq;
		s->started = true;
	}
	if ((uint64_t)r.seq > s->top)
		s->top = (uint64_t)r.seq;
	if ((uint64_t)r.seq < s->next || (uint64_t)r.seq - s->next >= RING_SLOTS ||
	    (s->o.has_until && (uint64_t)r.seq > s->o.until))
		return;		/* printed already, or fetched by replay when its turn comes */
	sl = slot_of(s, (uint64_t)r.seq);
	if (sl->used)
		return;
	sl->payload = malloc(plen + 1);
	if (!sl->payload)
		return;		/* replay brings it again */
	memcpy(sl->payload, payload, plen);
	sl->payload[plen] = '\0';
	memcpy(sl->topic, topic, tlen);
	sl->topic[tlen] = '\0';
	sl->used = true;
	sl->replayed = replayed;
	s->held++;
	drain(s);
}

/* ---- ZeroMQ ------------------------------------------------------------------- */

#define FRAMES_KEPT 3

struct frames {
	zmq_msg_t m[FRAMES_KEPT];
	unsigned n;		/* frames kept */
	unsigned total;		/* frames in the message */
};

/* Receive one whole message without waiting.  Returns 1, 0 when none is
 * queued, or -1 on a socket error. */
static int frames_recv(void *sock, struct frames *f)
{
	int more = 1;

	f->n = f->total = 0;
	while (more) {
		zmq_msg_t spare, *m = f->n < FRAMES_KEPT ? &f->m[f->n] : &spare;
		zmq_msg_init(m);
		if (zmq_msg_recv(m, sock, f->total ? 0 : ZMQ_DONTWAIT) < 0) {
			int err = zmq_errno();
			zmq_msg_close(m);
			if (!f->total && (err == EAGAIN || err == EINTR))
				return 0;
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

static void frames_close(struct frames *f)
{
	for (unsigned i = 0; i < f->n; i++)
		zmq_msg_close(&f->m[i]);
	f->n = 0;
}

static const char *fdata(struct frames *f, unsigned i)
{
	return zmq_msg_data(&f->m[i]);
}

static size_t fsize(struct frames *f, unsigned i)
{
	return zmq_msg_size(&f->m[i]);
}

static bool frame_is(struct frames *f, unsigned i, const char *word)
{
	return fsize(f, i) == strlen(word) && !memcmp(fdata(f, i), word, fsize(f, i));
}

/* A frame holding a decimal seq >= 1. */
static bool frame_seq(struct frames *f, unsigned i, uint64_t *out)
{
	char txt[24];
	if (fsize(f, i) >= sizeof(txt))
		return false;
	memcpy(txt, fdata(f, i), fsize(f, i));
	txt[fsize(f, i)] = '\0';
	return parse_u64(txt, 1, out) == 0;
}

static void ask(struct sub *s, int64_t now)
{
	uint64_t max = RING_SLOTS;
	char from[24], cnt[24];

	if (s->o.has_until && s->o.until - s->next + 1 < max)
		max = s->o.until - s->next + 1;
	snprintf(from, sizeof(from), "%" PRIu64, s->next);
	snprintf(cnt, sizeof(cnt), "%" PRIu64, max);
	if (zmq_send(s->dealer, "REPLAY", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(s->dealer, from, strlen(from), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(s->dealer, cnt, strlen(cnt), ZMQ_DONTWAIT) < 0)
		return;		/* not connected yet: the next round tries again */
	s->pending = true;
	s->asked_ms = now;
	s->news_ms = now;
	s->requests++;
}

/* Ask at start, on a gap, after a quiet spell, or when an answer was lost. */
static void maybe_ask(struct sub *s, int64_t now, bool first)
{
	if (s->pending && now - s->asked_ms >= ANSWER_MS)
		s->pending = false;
	if (s->pending || !s->started || done(s))
		return;
	if (first || s->held || s->top >= s->next || now - s->news_ms >= IDLE_MS)
		ask(s, now);
}

/* Returns 0, or -1 when the replay socket refuses our requests. */
static int on_replay(struct sub *s, struct frames *f)
{
	uint64_t seq;

	if (f->total == 2 && frame_is(f, 0, "END") && frame_seq(f, 1, &seq)) {
		s->pending = false;
		if (s->started)
			skip_to(s, seq, false);
		return 0;
	}
	if (f->total == 2 && frame_is(f, 0, "ERROR")) {
		if (!frame_seq(f, 1, &seq) || (s->started && seq <= s->next)) {
			/* "bad request", or an oldest seq that does not explain the refusal */
			status_clear(s);
			fprintf(stderr, "txgw-sub: the replay socket answered ERROR '%.*s'\n",
				(int)(fsize(f, 1) > 200 ? 200 : fsize(f, 1)), fdata(f, 1));
			return -1;
		}
		s->pending = false;
		if (s->started)
			skip_to(s, seq, true);
		return 0;
	}
	if (f->total == 2)
		take(s, fdata(f, 0), fsize(f, 0), fdata(f, 1), fsize(f, 1), true);
	else
		warn_malformed(s, "replayed", "not two frames");
	return 0;
}

static void on_live(struct sub *s, struct frames *f)
{
	if (f->total == 2)
		take(s, fdata(f, 0), fsize(f, 0), fdata(f, 1), fsize(f, 1), false);
	else
		warn_malformed(s, "live", "not two frames");
}

/* Read everything queued on both sockets.  Returns 0 or -1 (failure). */
static int read_sockets(struct sub *s, int64_t now)
{
	struct frames f;
	int rc;

	while (!done(s) && (rc = frames_recv(s->sub, &f)) != 0) {
		if (rc < 0)
			return -1;
		on_live(s, &f);
		frames_close(&f);
		s->news_ms = now;
	}
	while (!done(s) && (rc = frames_recv(s->dealer, &f)) != 0) {
		if (rc < 0)
			return -1;
		rc = on_replay(s, &f);
		frames_close(&f);
		s->news_ms = now;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- --state ------------------------------------------------------------------ */

/* Returns 0 (file absent: nothing remembered) or -1 after saying why. */
static int state_load(const char *path, uint64_t *next, bool *found)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	size_t n;

	*found = false;
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		fprintf(stderr, "txgw-sub: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (parse_u64(buf, 1, next) < 0) {
		fprintf(stderr, "txgw-sub: %s: not a seq (a decimal number >= 1)\n", path);
		return -1;
	}
	*found = true;
	return 0;
}

/* Write the next seq to ask for: a temporary file, synced, renamed over the
 * old one, so a crash leaves either the old or the new value. */
static int state_save(struct sub *s)
{
	char tmp[4096], txt[32];
	int fd, n;

	if (!s->o.state || !s->started || s->saved_next == s->next)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", s->o.state) >= (int)sizeof(tmp))
		return -1;
	n = snprintf(txt, sizeof(txt), "%" PRIu64 "\n", s->next);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, txt, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, s->o.state) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		status_clear(s);
		fprintf(stderr, "txgw-sub: cannot write %s: %s\n", s->o.state, strerror(err));
		return -1;
	}
	s->saved_next = s->next;
	return 0;
}

/* ---- start, loop, stop ---------------------------------------------------------- */

static void *zsock(struct sub *s, int type, const char *ep)
{
	int64_t max = MSG_MAX;
	int zero = 0;
	void *z = zmq_socket(s->zctx, type);

	if (!z)
		return NULL;
	zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	if (s->o.curve &&
	    (zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, s->o.curve_server, KEY_LEN) < 0 ||
	     zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, s->o.curve_secret, KEY_LEN) < 0 ||
	     zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, s->o.curve_public, KEY_Z85_LEN) < 0)) {
		fprintf(stderr, "txgw-sub: CURVE: %s\n", zmq_strerror(zmq_errno()));
		zmq_close(z);
		return NULL;
	}
	if (type == ZMQ_SUB)
		zmq_setsockopt(z, ZMQ_SUBSCRIBE, TOPIC_PREFIX, strlen(TOPIC_PREFIX));
	if (zmq_connect(z, ep) < 0) {
		fprintf(stderr, "txgw-sub: cannot connect to %s: %s\n", ep, zmq_strerror(zmq_errno()));
		zmq_close(z);
		return NULL;
	}
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

static void handshake_failed(struct sub *s, int64_t now)
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
		status_clear(s);
		if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			fprintf(stderr, "txgw-sub: %s refused our CURVE key %s (ZAP status %u): is it in "
				"the gateway's curve-clients file?\n", s->o.replay, s->o.curve_public, value);
		else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
			fprintf(stderr, "txgw-sub: %s %s\n", s->o.replay, s->o.curve ?
				"does not speak CURVE: drop --curve-server-key and --curve-key" :
				"wants CURVE: give --curve-server-key and --curve-key");
		else
			fprintf(stderr, "txgw-sub: %s: handshake failed (protocol error 0x%x)%s\n",
				s->o.replay, value, s->o.curve ? ": is --curve-server-key the gateway's "
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

static int sub_open(struct sub *s)
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

static void sub_close(struct sub *s)
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

/* Returns the exit status: 0 done or stopped by a signal, 1 timeout or failure. */
static int run(struct sub *s)
{
	int64_t start = now_ms();
	zmq_pollitem_t items[] = {
		{ .socket = s->sub, .events = ZMQ_POLLIN },
		{ .socket = s->dealer, .events = ZMQ_POLLIN },
		{ .fd = s->sigfd, .events = ZMQ_POLLIN },
		{ .socket = s->mon, .events = ZMQ_POLLIN },
	};
	int n_items = s->mon ? 4 : 3;

	s->news_ms = s->saved_ms = start;
	maybe_ask(s, start, true);
	while (!done(s)) {
		int64_t now = now_ms(), wait = POLL_MS;
		if (s->o.timeout_ms && now - start >= s->o.timeout_ms) {
			status_clear(s);
			fprintf(stderr, "txgw-sub: timeout, next seq %" PRIu64 " not seen\n", s->next);
			return 1;
		}
		if (s->o.timeout_ms && start + s->o.timeout_ms - now < wait)
			wait = start + s->o.timeout_ms - now;
		if (zmq_poll(items, n_items, (long)wait) < 0 && zmq_errno() != EINTR)
			return 1;
		if (items[2].revents)
			return 0;	/* SIGINT or SIGTERM: the caller prints the summary */
		now = now_ms();
		if (s->mon && items[3].revents)
			handshake_failed(s, now);
		if (read_sockets(s, now) < 0)
			return 1;
		maybe_ask(s, now, false);
		if (now - s->saved_ms >= SAVE_MS) {
			state_save(s);
			s->saved_ms = now;
		}
		status_show(s);
		if (s->printed) {
			fflush(stdout);
			s->printed = false;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sub s = { .sigfd = -1 };
	bool found = false;
	int rc = 1;

	parse_opts(argc, argv, &s.o);
	s.tty = isatty(STDOUT_FILENO);
	if (s.o.mode == OUT_AUTO)
		s.o.mode = s.tty ? OUT_TABLE : OUT_JSON;
	s.next = s.o.from;
	if (s.o.state && state_load(s.o.state, &s.saved_next, &found) < 0)
		return 1;
	if (found && !s.o.from_set)
		s.next = s.saved_next;
	s.started = !s.o.from_live;
	if (s.o.has_until && s.started && s.next > s.o.until) {
		fprintf(stderr, "txgw-sub: nothing to do: the next seq %" PRIu64 " is past --until-seq\n",
			s.next);
		return 0;
	}
	if (sub_open(&s) == 0) {
		if (s.o.mode == OUT_TABLE)
			table_header();
		rc = run(&s);
		summary(&s);
		if (state_save(&s) < 0)
			rc = 1;
	}
	sub_close(&s);
	return rc;
}
