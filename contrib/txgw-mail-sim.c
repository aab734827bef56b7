/*
 * txgw-mail-sim — simulated handsets mailing their signed uploads to
 * txgw's SMTP service (txlog-v1.md, "E-mail (SMTP)").  The fleet is the
 * one of txgw-smsc-sim (contrib/fleet.c: keys, registry, honest uploads,
 * anomalies and the bus events each must produce); each upload becomes a
 * mail in one of many MIME shapes (contrib/mail_form.c) sent through
 * libcurl's SMTP client, several at once with the multi interface.  At the
 * end it writes what the gateway must have published (bus.md) for the
 * mails it answered with 250, in the JSON shape of txgw-smsc-sim's summary.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <talloc.h>

#include "bus_msg.h"
#include "fleet.h"
#include "json.h"
#include "mail_form.h"
#include "outcome.h"

#define PROG		"txgw-mail-sim"
#define MIX		-1		/* --shape mix */
#define MAX_PER_MAIL	16		/* uploads in one multi mail */
#define BACKOFF_MS	500		/* first retry after a 4xx; doubles, up to BACKOFF_MAX_MS */
#define BACKOFF_MAX_MS	30000

struct opts {
	const char *host, *domain, *helo, *from_domain, *cafile, *subject;
	const char *registry, *keys_dir, *load_registry, *summary;
	unsigned port, devices, revoked, records, per_mail, concurrency, retries;
	enum fleet_alg_mix alg;
	int shape;
	bool starttls, insecure, quiet, verbose;
	uint64_t seed, count;
	double rate, duration, drain, timeout;
	double anomaly[FA_COUNT];
};

enum mail_state { M_FLIGHT, M_WAIT, M_ACCEPTED, M_FAILED };

/* One mail: its bytes while it may still be sent, and how it went. */
struct mail {
	enum mail_state state;
	uint8_t shape;			/* enum mail_shape; MAIL_SHAPE_COUNT: a person's text */
	int hold;			/* the fleet device it keeps busy, or -1 */
	size_t first_up;		/* its uploads in the book */
	unsigned n_up, tries;
	char from[MAIL_ADDR_MAX + 1];
	char *msg;
	size_t len, pos;
	uint64_t due_ms;		/* M_WAIT: when to try again */
	char status[128];		/* the last failure */
	CURL *easy;
	struct curl_slist *rcpt;
};

/* One upload, booked with the events it must produce. */
struct book_up {
	uint64_t device_id;
	uint32_t upload_seq;
	unsigned dev;
	size_t mail;
	uint8_t anomaly;
	bool has_device, text;
	uint8_t digest[32];
	unsigned n_ev;
	struct fleet_ev *ev;
};

struct smtp_stats {
	uint64_t transfers, accepted, refused, temp_errors, conn_errors, retries, gave_up;
};

struct sim {
	struct opts o;
	void *ctx;
	struct fleet *fl;
	struct fleet_upload *fu;	/* scratch: one mail's uploads */
	CURLM *multi;
	struct mail **mail;
	size_t n_mail, cap_mail, in_flight, waiting;
	struct book_up *up;
	size_t n_up, cap_up;
	uint32_t *lat_us;		/* total transfer time of each accepted mail */
	size_t n_lat, cap_lat;
	struct smtp_stats st;
	uint64_t anomaly_skipped, by_shape[MAIL_SHAPE_COUNT + 1];
	uint64_t t0_ms, gen_end_ms, last_tick_ms;
	double tokens;
	unsigned next_dev;
	char to[MAIL_ADDR_MAX + 1];
	char url[512];
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " PROG " [OPTIONS]\n"
"\n"
"A fleet of simulated handsets mailing signed TXLOG uploads to txgw's SMTP\n"
"service.  Each upload is made as a phone makes it: the device's next 1..K\n"
"transactions (counter, balance and upload_seq kept per device) in a TXLOG\n"
"v1 frame signed with the device key.  The frame travels in a mail from\n"
"<MSISDN@handset.example> to <upload@DOMAIN>, built in one of several MIME\n"
"shapes, and is sent with libcurl's SMTP client, several mails at once.\n"
"A device's next mail is sent only when its last one has been answered,\n"
"so the events each upload must produce on the bus are exact.\n"
"\n"
"A 250 at the end of DATA is acceptance: the mail's expected events (bearer\n"
"\"smtp\", src the envelope MAIL FROM) go into the summary.  A 4xx, a\n"
"connection lost or a time-out is temporary: the mail is sent again after\n"
"0.5 s, 1 s, 2 s, ... (at most 30 s), --retries times at most.  A 5xx is a\n"
"refusal, and the mail fails.\n"
"\n"
"Server:\n"
"  --host H            the gateway's SMTP host (127.0.0.1)\n"
"  --port P            its port (2525)\n"
"  --domain D          its smtp-domain: mails go to <upload@D> (txlog.example)\n"
"  --helo NAME         our EHLO name (handset.example)\n"
"  --from-domain D     the handsets' mail domain (handset.example)\n"
"  --starttls          require STARTTLS before MAIL FROM (fail without it)\n"
"  --cafile FILE       CA certificates to verify the server with (PEM)\n"
"  --insecure          do not verify the server's certificate (test certs)\n"
"  --timeout S         seconds a mail may take in all, reply included (60)\n"
"  --retries N         sends again after temporary failures (5)\n"
"\n"
"Fleet:\n"
"  --devices N         generate N devices with fresh keys (10)\n"
"  --alg ecdsa|ed25519|mix   their algorithms (ed25519)\n"
"  --registry FILE     write the gateway's registry there (keys as hex:)\n"
"  --keys-dir DIR      write (with --devices) or read (with --load-registry)\n"
"                      private keys as DIR/<device_id>-<key_id>.key (PEM)\n"
"  --load-registry FILE   use the devices of an existing registry instead,\n"
"                      with their private keys from --keys-dir (for example\n"
"                      tests/vectors/devices.txt and tests/vectors/keys)\n"
"  --records-per-upload K   1..K records per upload (3), K <= 32\n"
"  --seed N            random seed for device ids and traffic (time)\n"
"\n"
"Traffic:\n"
"  --count N           send N mails, then wait for their answers (no limit)\n"
"  --duration S        send mails for S seconds\n"
"  --drain S           then wait at most S seconds for answers and retries (30)\n"
"  --rate N            mails started per second, retries included; 0: as fast\n"
"                      as --concurrency allows (0)\n"
"  --concurrency N     mails in flight at once, each on its own connection;\n"
"                      connections are kept and reused (4)\n"
"  --shape SHAPE       how each upload is mailed (mix):\n"
"                        attach       an application/vnd.txlog attachment\n"
"                                     (base64), sometimes the whole body\n"
"                        multi        2..--uploads-per-mail consecutive\n"
"                                     uploads of one device, one attachment each\n"
"                        qp           \"TXL1:\" armour in a quoted-printable\n"
"                                     text/plain body, UTF-8 prose around it\n"
"                        alternative  multipart/alternative: text/plain with\n"
"                                     the armour, and text/html\n"
"                        rfc822       a forwarded message/rfc822 part holding\n"
"                                     an attachment mail\n"
"                        utf16        text/plain; charset=utf-16 (with BOM),\n"
"                                     base64\n"
"                        mix          any of these, at random\n"
"  --uploads-per-mail K   at most K uploads in a multi mail (3), 2..16\n"
"  --subject TEXT      put TEXT before every Subject (for test servers that\n"
"                      answer by subject)\n"
"\n"
"Anomalies (RATE = fraction of uploads, 0..1; repeatable):\n"
"  --anomaly KIND:RATE   KIND is bad_signature, unknown_device, replay,\n"
"                      counter_gap, balance_mismatch, revoked or text (a\n"
"                      person's mail with no frame: reject not_txlog).  msisdn\n"
"                      is ignored: mail has no MSISDN check.  In a multi mail\n"
"                      only the first upload may be text, unknown_device or\n"
"                      revoked (these make a mail of their own)\n"
"\n"
"Output:\n"
"  --summary FILE      the JSON summary: per device the records, alerts and\n"
"                      rejects the gateway must have published for the mails\n"
"                      it accepted, the mails' counters and latency, and apart\n"
"                      the uploads left unanswered or refused\n"
"  -q, --quiet         no progress line (once a second on stderr)\n"
"  -v, --verbose       libcurl's protocol trace on stderr\n"
"  -h, --help          this help\n"
"\n"
"The summary's \"latency_ms\" is the mail latency: p50, p99 and max of\n"
"libcurl's total transfer time of the accepted mails, from the start of the\n"
"transfer (connection and STARTTLS included when one was opened for it)\n"
"to the 250 after the data.\n"
"\n"
"Example:\n"
"  " PROG " --devices 100 --registry reg.txt --keys-dir keys --port 2525 \\\n"
"      --domain txlog.example --starttls --cafile ca.pem --count 1000 \\\n"
"      --concurrency 8 --rate 50 --shape mix --anomaly replay:0.01 \\\n"
"      --summary sent.json\n"
"\n"
"Exit status: 0 when every mail got its 250, 1 when some did not, 2 on bad\n"
"usage or set-up errors.\n");
}

/* ---- options ---- */

enum {
	O_HOST = 256, O_PORT, O_DOMAIN, O_HELO, O_FROM_DOMAIN, O_STARTTLS, O_CAFILE, O_INSECURE,
	O_TIMEOUT, O_RETRIES, O_DEVICES, O_ALG, O_REGISTRY, O_KEYS, O_LOAD, O_RECORDS, O_SEED,
	O_COUNT, O_DURATION, O_DRAIN, O_RATE, O_CONC, O_SHAPE, O_PER_MAIL, O_SUBJECT, O_ANOMALY,
	O_SUMMARY,
};

static const struct option long_opts[] = {
	{ "host", 1, NULL, O_HOST }, { "port", 1, NULL, O_PORT }, { "domain", 1, NULL, O_DOMAIN },
	{ "helo", 1, NULL, O_HELO }, { "from-domain", 1, NULL, O_FROM_DOMAIN },
	{ "starttls", 0, NULL, O_STARTTLS }, { "cafile", 1, NULL, O_CAFILE },
	{ "insecure", 0, NULL, O_INSECURE }, { "timeout", 1, NULL, O_TIMEOUT },
	{ "retries", 1, NULL, O_RETRIES }, { "devices", 1, NULL, O_DEVICES }, { "alg", 1, NULL, O_ALG },
	{ "registry", 1, NULL, O_REGISTRY }, { "keys-dir", 1, NULL, O_KEYS },
	{ "load-registry", 1, NULL, O_LOAD }, { "records-per-upload", 1, NULL, O_RECORDS },
	{ "seed", 1, NULL, O_SEED }, { "count", 1, NULL, O_COUNT }, { "duration", 1, NULL, O_DURATION },
	{ "drain", 1, NULL, O_DRAIN }, { "rate", 1, NULL, O_RATE }, { "concurrency", 1, NULL, O_CONC },
	{ "shape", 1, NULL, O_SHAPE }, { "uploads-per-mail", 1, NULL, O_PER_MAIL },
	{ "subject", 1, NULL, O_SUBJECT }, { "anomaly", 1, NULL, O_ANOMALY },
	{ "summary", 1, NULL, O_SUMMARY }, { "quiet", 0, NULL, 'q' }, { "verbose", 0, NULL, 'v' },
	{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
};

static void die_usage(const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, PROG ": --%s: %s: %s\n", opt, what, arg);
	exit(2);
}

/* A whole number in [lo, hi], or exit 2. */
static uint64_t num(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || s[0] == '-' || v < lo || v > hi)
		die_usage(opt, "not a whole number in range", s);
	return v;
}

static double real(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !*s || !(v >= lo && v <= hi))
		die_usage(opt, "not a number in range", s);
	return v;
}

/* A value for a header or an SMTP path: printable ASCII, no <>, or exit 2. */
static const char *word(const char *opt, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '<' || *p == '>')
			die_usage(opt, "not a plain ASCII word", s);
	if (!*s || strlen(s) > 200)
		die_usage(opt, "empty or too long", s);
	return s;
}

static void parse_anomaly(struct opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char kind[32];
	enum fleet_anomaly a = FA_COUNT;

	if (colon && (size_t)(colon - arg) < sizeof(kind)) {
		memcpy(kind, arg, (size_t)(colon - arg));
		kind[colon - arg] = 0;
		a = fleet_anomaly_parse(kind);
	}
	if (a == FA_COUNT || a == FA_NONE)
		die_usage("anomaly", "want KIND:RATE", arg);
	o->anomaly[a] = real("anomaly", colon + 1, 0, 1);
	if (a == FA_MSISDN) {
		fprintf(stderr, PROG ": --anomaly msisdn ignored: mail has no MSISDN check\n");
		o->anomaly[a] = 0;
	}
}

static void opts_default(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 2525;
	o->domain = "txlog.example";
	o->helo = "handset.example";
	o->from_domain = "handset.example";
	o->timeout = 60;
	o->retries = 5;
	o->devices = 10;
	o->records = 3;
	o->alg = FLEET_ED25519;
	o->seed = (uint64_t)time(NULL);
	o->drain = 30;
	o->concurrency = 4;
	o->shape = MIX;
	o->per_mail = 3;
	o->subject = "";
}

static void parse_opt2(struct opts *o, int c, const char *a)
{
	switch (c) {
	case O_COUNT: o->count = num("count", a, 1, UINT64_MAX); break;
	case O_DURATION: o->duration = real("duration", a, 0.001, 1e9); break;
	case O_DRAIN: o->drain = real("drain", a, 0, 1e9); break;
	case O_RATE: o->rate = real("rate", a, 0, 1e7); break;
	case O_CONC: o->concurrency = (unsigned)num("concurrency", a, 1, 10000); break;
	case O_SHAPE:
		o->shape = strcmp(a, "mix") ? (int)mail_shape_parse(a) : MIX;
		if (o->shape == MAIL_SHAPE_COUNT)
			die_usage("shape", "unknown shape", a);
		break;
	case O_PER_MAIL: o->per_mail = (unsigned)num("uploads-per-mail", a, 2, MAX_PER_MAIL); break;
	case O_SUBJECT:
		if (strpbrk(a, "\r\n") || strlen(a) > 200)
			die_usage("subject", "one line of at most 200 characters", a);
		o->subject = a;
		break;
	case O_ANOMALY: parse_anomaly(o, a); break;
	case O_SUMMARY: o->summary = a; break;
	case 'q': o->quiet = true; break;
	case 'v': o->verbose = true; break;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); exit(2);
	}
}

static void parse_opt(struct opts *o, int c, const char *a)
{
	switch (c) {
	case O_HOST: o->host = word("host", a); break;
	case O_PORT: o->port = (unsigned)num("port", a, 1, 65535); break;
	case O_DOMAIN: o->domain = word("domain", a); break;
	case O_HELO: o->helo = word("helo", a); break;
	case O_FROM_DOMAIN: o->from_domain = word("from-domain", a); break;
	case O_STARTTLS: o->starttls = true; break;
	case O_CAFILE: o->cafile = a; break;
	case O_INSECURE: o->insecure = true; break;
	case O_TIMEOUT: o->timeout = real("timeout", a, 0.1, 86400); break;
	case O_RETRIES: o->retries = (unsigned)num("retries", a, 0, 1000); break;
	case O_DEVICES: o->devices = (unsigned)num("devices", a, 1, 10000000); break;
	case O_ALG:
		if (!strcmp(a, "ed25519"))
			o->alg = FLEET_ED25519;
		else if (!strcmp(a, "ecdsa"))
			o->alg = FLEET_ECDSA;
		else if (!strcmp(a, "mix"))
			o->alg = FLEET_MIX;
		else
			die_usage("alg", "not ecdsa, ed25519 or mix", a);
		break;
	case O_REGISTRY: o->registry = a; break;
	case O_KEYS: o->keys_dir = a; break;
	case O_LOAD: o->load_registry = a; break;
	case O_RECORDS: o->records = (unsigned)num("records-per-upload", a, 1, TXL_MAX_RECORDS); break;
	case O_SEED: o->seed = num("seed", a, 0, UINT64_MAX); break;
	default: parse_opt2(o, c, a);
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	opts_default(o);
	while ((c = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1)
		parse_opt(o, c, optarg);
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument %s\n", argv[optind]);
		exit(2);
	}
	if (o->load_registry && !o->keys_dir) {
		fprintf(stderr, PROG ": --load-registry needs --keys-dir\n");
		exit(2);
	}
	if ((o->cafile || o->insecure) && !o->starttls)
		fprintf(stderr, PROG ": --cafile and --insecure mean nothing without --starttls\n");
	if (o->anomaly[FA_REVOKED] > 0)
		o->revoked = o->devices / 50 + 1;
}

/* ---- the fleet ---- */

static int fleet_setup(struct sim *s)
{
	struct opts *o = &s->o;
	unsigned phantoms = o->anomaly[FA_UNKNOWN_DEVICE] > 0 ? 3 : 0;
	char err[512];
	int rc;

	if (o->load_registry) {
		rc = fleet_load(s->ctx, o->load_registry, o->keys_dir, phantoms, o->seed, &s->fl, err,
				sizeof(err));
		if (rc < 0) {
			fprintf(stderr, PROG ": %s\n", err);
			return rc;
		}
	} else {
		rc = fleet_generate(s->ctx, o->devices, o->revoked, phantoms, o->alg, o->seed, &s->fl);
		if (rc < 0) {
			fprintf(stderr, PROG ": cannot make the fleet: %s\n", strerror(-rc));
			return rc;
		}
		if (o->keys_dir && mkdir(o->keys_dir, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, PROG ": %s: %s\n", o->keys_dir, strerror(errno));
			return -EIO;
		}
		if (o->registry && fleet_write_registry(s->fl, o->registry, o->keys_dir) < 0) {
			fprintf(stderr, PROG ": cannot write %s\n", o->registry);
			return -EIO;
		}
	}
	if (o->anomaly[FA_REVOKED] > 0 && !s->fl->n_revoked)
		fprintf(stderr, PROG ": the registry has no revoked device: --anomaly revoked skipped\n");
	s->fl->max_records = o->records;
	return 0;
}

/* ---- the book ---- */

/* Grow *arr (talloc, elements of size) to hold one more than *n. */
static int grow(void *ctx, void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 256;
	p = talloc_realloc_size(ctx, *arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static int book_add(struct sim *s, const struct fleet_upload *u, size_t mail)
{
	struct book_up *e;

	if (grow(s->ctx, (void **)&s->up, &s->cap_up, s->n_up, sizeof(*s->up)) < 0)
		return -ENOMEM;
	e = &s->up[s->n_up];
	memset(e, 0, sizeof(*e));
	e->ev = talloc_memdup(s->ctx, u->ev, u->n_ev * sizeof(u->ev[0]) + 1);
	if (!e->ev)
		return -ENOMEM;
	e->n_ev = u->n_ev;
	e->device_id = u->device_id;
	e->upload_seq = u->upload_seq;
	e->dev = u->dev;
	e->mail = mail;
	e->anomaly = (uint8_t)u->anomaly;
	e->has_device = u->has_device;
	e->text = u->text;
	memcpy(e->digest, u->digest, sizeof(e->digest));
	s->n_up++;
	return 0;
}

static enum mail_state up_state(const struct sim *s, const struct book_up *u)
{
	return s->mail[u->mail]->state;
}

/* ---- making mails ---- */

static enum fleet_anomaly pick_anomaly(struct sim *s)
{
	double u = (double)fleet_rand(s->fl, 1000000) / 1e6, acc = 0;

	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++) {
		acc += s->o.anomaly[a];
		if (u < acc)
			return (enum fleet_anomaly)a;
	}
	return FA_NONE;
}

/* An active device with no mail in flight, or -1. */
static int idle_device(struct sim *s)
{
	unsigned n = s->fl->n_active;

	for (unsigned tries = 0; tries < 8; tries++) {
		unsigned d = fleet_rand(s->fl, n);
		if (!s->fl->dev[d].busy)
			return (int)d;
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned d = (s->next_dev + k) % n;
		if (!s->fl->dev[d].busy) {
			s->next_dev = d + 1;
			return (int)d;
		}
	}
	return -1;
}

/* Upload u of dev with anomaly a; an anomaly that does not apply gives
 * an honest upload instead (counted). */
static int one_upload(struct sim *s, unsigned dev, enum fleet_anomaly a, struct fleet_upload *u)
{
	uint32_t now = (uint32_t)time(NULL);
	int rc = fleet_upload(s->fl, dev, a, now, u);

	if (rc == -EAGAIN) {
		s->anomaly_skipped++;
		rc = fleet_upload(s->fl, dev, FA_NONE, now, u);
	}
	if (rc < 0)
		fprintf(stderr, PROG ": cannot make an upload: %s\n", strerror(-rc));
	return rc;
}

/* The uploads of the next mail into s->fu; returns how many (>= 1), or
 * a negative errno.  Only a mail of one device's frames is a multi one. */
static int make_uploads(struct sim *s, unsigned dev, enum mail_shape *shape)
{
	unsigned n = 1, k;
	int rc = one_upload(s, dev, pick_anomaly(s), &s->fu[0]);

	if (rc < 0)
		return rc;
	if (*shape != MAIL_MULTI)
		return 1;
	if (s->fu[0].text || s->fu[0].dev != dev) {
		*shape = MAIL_ATTACH;
		return 1;
	}
	k = 2 + fleet_rand(s->fl, s->o.per_mail - 1);
	for (; n < k; n++) {
		enum fleet_anomaly a = pick_anomaly(s);
		if (a == FA_TEXT || a == FA_UNKNOWN_DEVICE || a == FA_REVOKED) {
			s->anomaly_skipped++;
			a = FA_NONE;
		}
		rc = one_upload(s, dev, a, &s->fu[n]);
		if (rc < 0)
			return rc;
	}
	return (int)n;
}

/* The mail's bytes from its uploads in s->fu. */
static int form(struct sim *s, struct mail *m, enum mail_shape shape, unsigned n)
{
	struct mail_frame fr[MAX_PER_MAIL];
	char subject[256];
	struct mail_head h = {
		.from = m->from, .to = s->to, .subject = subject, .date = (int64_t)time(NULL),
		.unique = (uint64_t)fleet_rand(s->fl, UINT32_MAX) << 32 | (uint32_t)s->n_mail,
		.variant = fleet_rand(s->fl, UINT32_MAX),
	};

	if (s->fu[0].text) {
		snprintf(subject, sizeof(subject), "%sA question", s->o.subject);
		return mail_form_text(s->ctx, &h, (const char *)s->fu[0].data, s->fu[0].len, &m->msg, &m->len);
	}
	snprintf(subject, sizeof(subject), "%sTXLOG upload %" PRIu32 "%s", s->o.subject,
		 s->fu[0].upload_seq, n > 1 ? " and more" : "");
	for (unsigned i = 0; i < n; i++)
		fr[i] = (struct mail_frame){ .data = s->fu[i].data, .len = s->fu[i].len,
					     .device_id = s->fu[i].device_id,
					     .upload_seq = s->fu[i].upload_seq };
	return mail_form(s->ctx, shape, &h, fr, n, &m->msg, &m->len);
}

/* Make the next mail and book its uploads: *out, or -EAGAIN when every
 * device is busy, or a negative errno. */
static int make_mail(struct sim *s, struct mail **out)
{
	int dev = idle_device(s), n;
	enum mail_shape shape;
	struct mail *m;

	if (dev < 0)
		return -EAGAIN;
	if (grow(s->ctx, (void **)&s->mail, &s->cap_mail, s->n_mail, sizeof(*s->mail)) < 0)
		return -ENOMEM;
	shape = s->o.shape == MIX ? (enum mail_shape)fleet_rand(s->fl, MAIL_SHAPE_COUNT) :
				    (enum mail_shape)s->o.shape;
	n = make_uploads(s, (unsigned)dev, &shape);
	if (n < 0)
		return n;
	m = talloc_zero(s->ctx, struct mail);
	if (!m)
		return -ENOMEM;
	m->shape = (uint8_t)(s->fu[0].text ? MAIL_SHAPE_COUNT : shape);
	snprintf(m->from, sizeof(m->from), "%s@%s", s->fu[0].src, s->o.from_domain);
	int rc = form(s, m, shape, (unsigned)n);
	if (rc < 0) {
		fprintf(stderr, PROG ": cannot form a mail: %s\n", strerror(-rc));
		return rc;
	}
	m->first_up = s->n_up;
	m->n_up = (unsigned)n;
	for (int i = 0; i < n; i++)
		if (book_add(s, &s->fu[i], s->n_mail) < 0)
			return -ENOMEM;
	/* An upload from an active device holds it until the mail is answered. */
	m->hold = s->fu[0].dev < s->fl->n_active ? (int)s->fu[0].dev : -1;
	if (m->hold >= 0)
		s->fl->dev[m->hold].busy = true;
	s->by_shape[m->shape]++;
	s->mail[s->n_mail++] = m;
	*out = m;
	return 0;
}

/* ---- sending ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *data)
{
	struct mail *m = data;
	size_t n = size * nmemb;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(buf, m->msg + m->pos, n);
	m->pos += n;
	return n;
}

static int setup_easy(struct sim *s, struct mail *m)
{
	char from[MAIL_ADDR_MAX + 3], to[MAIL_ADDR_MAX + 3];
	CURL *e = curl_easy_init();

	snprintf(from, sizeof(from), "<%s>", m->from);
	snprintf(to, sizeof(to), "<%s>", s->to);
	m->rcpt = curl_slist_append(NULL, to);
	if (!e || !m->rcpt) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	m->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, m->rcpt);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, m);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len);
	curl_easy_setopt(e, CURLOPT_PRIVATE, m);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(s->o.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_VERBOSE, s->o.verbose ? 1L : 0L);
	if (s->o.starttls) {
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		if (s->o.cafile)
			curl_easy_setopt(e, CURLOPT_CAINFO, s->o.cafile);
		if (s->o.insecure) {
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	return 0;
}

static int start(struct sim *s, struct mail *m)
{
	int rc = setup_easy(s, m);

	if (rc < 0)
		return rc;
	if (curl_multi_add_handle(s->multi, m->easy) != CURLM_OK)
		return -ENOMEM;
	m->pos = 0;
	m->tries++;
	m->state = M_FLIGHT;
	s->in_flight++;
	s->st.transfers++;
	s->tokens -= 1;
	return 0;
}

static void release(struct sim *s, struct mail *m)
{
	curl_multi_remove_handle(s->multi, m->easy);
	curl_easy_cleanup(m->easy);
	curl_slist_free_all(m->rcpt);
	m->easy = NULL;
	m->rcpt = NULL;
}

/* A mail's end, accepted or failed: it frees its device and its bytes. */
static void settle(struct sim *s, struct mail *m, enum mail_state st)
{
	m->state = st;
	if (m->hold >= 0)
		s->fl->dev[m->hold].busy = false;
	TALLOC_FREE(m->msg);
}

/* libcurl errors that another try will not mend. */
static bool permanent(CURLcode rc)
{
	switch (rc) {
	case CURLE_USE_SSL_FAILED:		/* no STARTTLS offered */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_LOGIN_DENIED:
		return true;
	default:
		return false;
	}
}

/* A transfer ended: 250, a refusal, or a temporary failure to retry. */
static void on_done(struct sim *s, struct mail *m, CURLcode rc)
{
	long code = 0;
	curl_off_t us = 0;

	curl_easy_getinfo(m->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(m->easy, CURLINFO_TOTAL_TIME_T, &us);
	release(s, m);
	s->in_flight--;
	if (rc == CURLE_OK) {
		s->st.accepted++;
		if (grow(s->ctx, (void **)&s->lat_us, &s->cap_lat, s->n_lat, sizeof(*s->lat_us)) == 0)
			s->lat_us[s->n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
		settle(s, m, M_ACCEPTED);
		return;
	}
	if (code >= 500 || permanent(rc)) {
		s->st.refused += code >= 500;
		snprintf(m->status, sizeof(m->status), "%03ld %s", code, curl_easy_strerror(rc));
		settle(s, m, M_FAILED);
		return;
	}
	if (code >= 400)
		s->st.temp_errors++;
	else
		s->st.conn_errors++;
	snprintf(m->status, sizeof(m->status), "%03ld %s (after %u tries)", code, curl_easy_strerror(rc),
		 m->tries);
	if (m->tries > s->o.retries) {
		s->st.gave_up++;
		settle(s, m, M_FAILED);
		return;
	}
	unsigned shift = m->tries - 1 < 6 ? m->tries - 1 : 6;
	uint64_t wait = (uint64_t)BACKOFF_MS << shift;
	m->due_ms = mono_ms() + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
	m->state = M_WAIT;
	s->waiting++;
}

static void collect(struct sim *s)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(s->multi, &left))) {
		struct mail *m = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&m);
		on_done(s, m, msg->data.result);
	}
}

/* ---- the loop ---- */

static bool generating(struct sim *s, uint64_t now)
{
	if (s->o.count && s->n_mail >= s->o.count)
		return false;
	return !s->o.duration || now < s->t0_ms + (uint64_t)(s->o.duration * 1000);
}

/* Room for one more transfer: concurrency, and the rate's tokens. */
static bool may_start(struct sim *s)
{
	return s->in_flight < s->o.concurrency && (!s->o.rate || s->tokens >= 1);
}

static void refill(struct sim *s, uint64_t now)
{
	double cap = s->o.concurrency > 1 ? s->o.concurrency : 1;

	if (s->o.rate) {
		s->tokens += s->o.rate * (double)(now - s->last_tick_ms) / 1000;
		if (s->tokens > cap)
			s->tokens = cap;
	}
	s->last_tick_ms = now;
}

/* Retries that are due first (the oldest mails first), then new mails. */
static int feed(struct sim *s, uint64_t now)
{
	int rc;

	for (size_t i = 0; i < s->n_mail && s->waiting && may_start(s); i++) {
		struct mail *m = s->mail[i];
		if (m->state != M_WAIT || m->due_ms > now)
			continue;
		s->waiting--;
		s->st.retries++;
		rc = start(s, m);
		if (rc < 0)
			return rc;
	}
	while (generating(s, now) && may_start(s)) {
		struct mail *m;
		rc = make_mail(s, &m);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc;
		rc = start(s, m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void progress(struct sim *s, uint64_t now, uint64_t *last_ms, uint64_t *last_done)
{
	uint64_t done = s->st.accepted + s->st.refused;

	if (now - *last_ms < 1000)
		return;
	if (!s->o.quiet)
		fprintf(stderr, "t=%.0fs mails %zu accepted %" PRIu64 " refused %" PRIu64 " in flight %zu"
			" waiting %zu rate %.0f/s retries %" PRIu64 "\n", (double)(now - s->t0_ms) / 1000,
			s->n_mail, s->st.accepted, s->st.refused, s->in_flight, s->waiting,
			(double)(done - *last_done) * 1000 / (double)(now - *last_ms), s->st.retries);
	*last_ms = now;
	*last_done = done;
}

static bool finished(struct sim *s, uint64_t now, const sigset_t *sigs)
{
	struct timespec zero = { 0, 0 };

	if (sigtimedwait(sigs, NULL, &zero) > 0) {
		fprintf(stderr, PROG ": signal: stopping\n");
		return true;
	}
	if (generating(s, now))
		return false;
	if (!s->gen_end_ms)
		s->gen_end_ms = now;
	if (!s->in_flight && !s->waiting)
		return true;
	if (now - s->gen_end_ms > (uint64_t)(s->o.drain * 1000)) {
		fprintf(stderr, PROG ": drain time over: %zu in flight, %zu waiting\n", s->in_flight,
			s->waiting);
		return true;
	}
	return false;
}

static int run(struct sim *s)
{
	uint64_t last_ms, last_done = 0;
	sigset_t sigs;
	int running, rc = 0;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	s->t0_ms = s->last_tick_ms = last_ms = mono_ms();
	s->tokens = 1;
	for (;;) {
		uint64_t now = mono_ms();
		if (finished(s, now, &sigs))
			break;
		refill(s, now);
		rc = feed(s, now);
		if (rc < 0)
			break;
		curl_multi_perform(s->multi, &running);
		collect(s);
		curl_multi_poll(s->multi, NULL, 0, s->o.rate ? 10 : 50, NULL);
		progress(s, mono_ms(), &last_ms, &last_done);
	}
	for (size_t i = 0; i < s->n_mail; i++)	/* stopped early: drop what is in flight */
		if (s->mail[i]->easy)
			release(s, s->mail[i]);
	return rc;
}

/* ---- the summary (txgw-smsc-sim's shape, bearer smtp) ---- */

static void write_detail(struct jw *w, const struct fleet_ev *e)
{
	jw_key(w, "detail");
	jw_obj_open(w);
	if (e->kind == TXL_AL_COUNTER_GAP || e->kind == TXL_AL_BALANCE_MISMATCH) {
		jw_kint(w, "expected", e->expected);
		jw_kint(w, "got", e->got);
	} else if (e->kind == TXL_AL_REPLAY) {
		jw_kint(w, "last_upload", e->expected);
		jw_kint(w, "got", e->got);
	}
	jw_obj_close(w);
}

static void write_event(struct jw *w, const struct sim *s, const struct book_up *u,
			const struct fleet_ev *e)
{
	char cur[8];

	jw_obj_open(w);
	if (e->type == TXL_EV_RECORD) {
		bus_currency_str(cur, sizeof(cur), FLEET_CURRENCY);
		jw_kuint(w, "counter", e->counter);
		jw_kstr(w, "type", bus_type_name(e->rec_type));
		jw_kstr(w, "currency", cur);
		jw_kuint(w, "amount", e->amount);
		jw_kuint(w, "balance", e->balance);
	} else if (e->type == TXL_EV_ALERT) {
		jw_kstr(w, "kind", txl_alert_name((enum txl_alert)e->kind));
		if (e->has_counter)
			jw_kuint(w, "counter", e->counter);
		write_detail(w, e);
	} else {
		jw_kstr(w, "reason", txl_reject_name((enum txl_reject)e->kind));
	}
	if (u->text) {
		jw_kstr(w, "src", s->mail[u->mail]->from);
	} else {
		jw_kuint(w, "upload", u->upload_seq);
		jw_khex(w, "frame", u->digest, sizeof(u->digest));
	}
	jw_obj_close(w);
}

/* "name": [the events of type of the uploads list[0..n-1]] */
static void write_events(struct jw *w, const struct sim *s, const char *name, const size_t *list, size_t n,
			 enum txl_ev_type type)
{
	jw_key(w, name);
	jw_arr_open(w);
	for (size_t k = 0; k < n; k++) {
		const struct book_up *u = &s->up[list[k]];
		for (unsigned i = 0; i < u->n_ev; i++)
			if (u->ev[i].type == type)
				write_event(w, s, u, &u->ev[i]);
	}
	jw_arr_close(w);
}

static void write_all_events(struct jw *w, const struct sim *s, const size_t *list, size_t n)
{
	write_events(w, s, "records", list, n, TXL_EV_RECORD);
	write_events(w, s, "alerts", list, n, TXL_EV_ALERT);
	write_events(w, s, "rejects", list, n, TXL_EV_REJECT);
}

static int by_device(const void *pa, const void *pb, void *arg)
{
	const struct sim *s = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	uint64_t x = s->up[a].device_id, y = s->up[b].device_id;

	if (x != y)
		return x < y ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* One device: its accepted uploads' events; uncertain when a mail of it
 * failed (the gateway never took it, so later claims may not hold). */
static void write_device(struct jw *w, const struct sim *s, const size_t *list, size_t n, size_t *acc)
{
	const struct book_up *u0 = &s->up[list[0]];
	bool uncertain = false;
	char id[17];
	size_t m = 0;

	for (size_t k = 0; k < n; k++) {
		enum mail_state st = up_state(s, &s->up[list[k]]);
		if (st == M_ACCEPTED)
			acc[m++] = list[k];
		uncertain |= st == M_FAILED;
	}
	snprintf(id, sizeof(id), "%016" PRIx64, u0->device_id);
	jw_key(w, id);
	jw_obj_open(w);
	jw_kstr(w, "msisdn", s->fl->dev[u0->dev].msisdn);
	jw_kstr(w, "src", s->mail[u0->mail]->from);
	if (uncertain)
		jw_kbool(w, "uncertain", true);
	write_all_events(w, s, acc, m);
	jw_obj_close(w);
}

static int write_devices(struct jw *w, const struct sim *s)
{
	size_t *idx = talloc_array(s->ctx, size_t, s->n_up + 1), n = 0;
	size_t *acc = talloc_array(s->ctx, size_t, s->n_up + 1);

	if (!idx || !acc) {
		talloc_free(idx);
		talloc_free(acc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_up; i++)
		if (s->up[i].has_device && up_state(s, &s->up[i]) >= M_ACCEPTED)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(size_t), by_device, (void *)s);
	jw_key(w, "devices");
	jw_obj_open(w);
	for (size_t k = 0, end; k < n; k = end) {
		for (end = k + 1; end < n && s->up[idx[end]].device_id == s->up[idx[k]].device_id;)
			end++;
		write_device(w, s, idx + k, end - k, acc);
	}
	jw_obj_close(w);
	talloc_free(idx);
	talloc_free(acc);
	return 0;
}

/* The uploads whose mail is in flight or waiting (unacked), or failed. */
static void write_leftovers(struct jw *w, const struct sim *s, const char *name, bool failed)
{
	jw_key(w, name);
	jw_arr_open(w);
	for (size_t i = 0; i < s->n_up; i++) {
		const struct book_up *u = &s->up[i];
		enum mail_state st = up_state(s, u);
		if (st == M_ACCEPTED || (st == M_FAILED) != failed)
			continue;
		jw_obj_open(w);
		if (u->has_device) {
			char id[17];
			snprintf(id, sizeof(id), "%016" PRIx64, u->device_id);
			jw_kstr(w, "device", id);
		}
		jw_kstr(w, "anomaly", fleet_anomaly_name((enum fleet_anomaly)u->anomaly));
		jw_kstr(w, "src", s->mail[u->mail]->from);
		if (failed)
			jw_kstr(w, "status", s->mail[u->mail]->status);
		write_all_events(w, s, &i, 1);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

struct totals {
	uint64_t acked, failed, records, alerts, rejects, mails_failed;
	uint64_t by_anomaly[FA_COUNT];
};

static void count(const struct sim *s, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < s->n_mail; i++)
		t->mails_failed += s->mail[i]->state == M_FAILED;
	for (size_t i = 0; i < s->n_up; i++) {
		const struct book_up *u = &s->up[i];
		enum mail_state st = up_state(s, u);
		t->failed += st == M_FAILED;
		if (st != M_ACCEPTED)
			continue;
		t->acked++;
		t->by_anomaly[u->anomaly]++;
		for (unsigned k = 0; k < u->n_ev; k++) {
			t->records += u->ev[k].type == TXL_EV_RECORD;
			t->alerts += u->ev[k].type == TXL_EV_ALERT;
			t->rejects += u->ev[k].type == TXL_EV_REJECT;
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of the sorted latencies, in ms. */
static double quantile_ms(const struct sim *s, double q)
{
	size_t r;

	if (!s->n_lat)
		return 0;
	r = (size_t)(q * (double)s->n_lat + 0.999999);
	r = r ? r - 1 : 0;
	return (double)s->lat_us[r < s->n_lat ? r : s->n_lat - 1] / 1000;
}

/* "k": ms with microseconds, a JSON number */
static void kms(struct jw *w, const char *k, double ms)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%.3f", ms);

	jw_key(w, k);
	jw_raw(w, b, (size_t)n);
}

static void write_smtp(struct jw *w, const struct sim *s, const struct totals *t)
{
	jw_key(w, "smtp");
	jw_obj_open(w);
	jw_kuint(w, "mails", s->n_mail);
	jw_kuint(w, "accepted", s->st.accepted);
	jw_kuint(w, "failed", t->mails_failed);
	jw_kuint(w, "refused", s->st.refused);
	jw_kuint(w, "transfers", s->st.transfers);
	jw_kuint(w, "retries", s->st.retries);
	jw_kuint(w, "temp_errors", s->st.temp_errors);
	jw_kuint(w, "conn_errors", s->st.conn_errors);
	jw_kuint(w, "gave_up", s->st.gave_up);
	jw_kbool(w, "starttls", s->o.starttls);
	jw_key(w, "shapes");
	jw_obj_open(w);
	for (unsigned i = 0; i <= MAIL_SHAPE_COUNT; i++)
		jw_kuint(w, i < MAIL_SHAPE_COUNT ? mail_shape_name((enum mail_shape)i) : "text", s->by_shape[i]);
	jw_obj_close(w);
	jw_obj_close(w);
	jw_key(w, "latency_ms");	/* "mail latency": whole transfer to the 250 */
	jw_obj_open(w);
	jw_kuint(w, "n", s->n_lat);
	kms(w, "p50", quantile_ms(s, 0.5));
	kms(w, "p99", quantile_ms(s, 0.99));
	kms(w, "max", quantile_ms(s, 1));
	jw_obj_close(w);
}

static void write_head(struct jw *w, const struct sim *s, const struct totals *t, double secs)
{
	jw_kstr(w, "generator", PROG);
	jw_kstr(w, "bearer", "smtp");
	jw_kuint(w, "seed", s->o.seed);
	jw_kint(w, "ms", (int64_t)(secs * 1000));
	jw_key(w, "totals");
	jw_obj_open(w);
	jw_kuint(w, "uploads", s->n_up);
	jw_kuint(w, "acked", t->acked);
	jw_kuint(w, "unacked", s->n_up - t->acked - t->failed);
	jw_kuint(w, "failed", t->failed);
	jw_kuint(w, "mails", s->n_mail);
	jw_kuint(w, "records", t->records);
	jw_kuint(w, "alerts", t->alerts);
	jw_kuint(w, "rejects", t->rejects);
	jw_kuint(w, "anomalies_skipped", s->anomaly_skipped);
	jw_obj_close(w);
	write_smtp(w, s, t);
	jw_key(w, "anomalies");
	jw_obj_open(w);
	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++)
		if (a != FA_MSISDN)
			jw_kuint(w, fleet_anomaly_name((enum fleet_anomaly)a), t->by_anomaly[a]);
	jw_obj_close(w);
}

static int summary_write(const struct sim *s, const char *path, double secs)
{
	struct totals t;
	struct jw w;
	FILE *fp;
	int rc;

	count(s, &t);
	jw_init(&w, 0);
	jw_obj_open(&w);
	write_head(&w, s, &t, secs);
	rc = write_devices(&w, s);
	jw_key(&w, "not_txlog");
	jw_arr_open(&w);
	for (size_t i = 0; i < s->n_up; i++)
		if (s->up[i].text && up_state(s, &s->up[i]) == M_ACCEPTED)
			write_event(&w, s, &s->up[i], &s->up[i].ev[0]);
	jw_arr_close(&w);
	write_leftovers(&w, s, "unacked", false);
	write_leftovers(&w, s, "failed", true);
	jw_obj_close(&w);
	if (rc == 0)
		rc = jw_finish(&w);
	if (rc == 0) {
		fp = fopen(path, "w");
		if (!fp || fwrite(w.buf, 1, w.len, fp) != w.len || fputc('\n', fp) == EOF)
			rc = -EIO;
		if (fp && fclose(fp) != 0)
			rc = -EIO;
	}
	jw_free(&w);
	return rc;
}

static void summary_print(const struct sim *s, double secs)
{
	struct totals t;

	count(s, &t);
	fprintf(stderr, PROG ": %.1f s, mails %zu: accepted %" PRIu64 ", failed %" PRIu64
		" (refused %" PRIu64 ", gave up %" PRIu64 "), unanswered %" PRIu64 "\n", secs, s->n_mail,
		s->st.accepted, t.mails_failed, s->st.refused, s->st.gave_up,
		s->n_mail - s->st.accepted - t.mails_failed);
	fprintf(stderr, PROG ": transfers %" PRIu64 ", retries %" PRIu64 " (4xx %" PRIu64
		", connection %" PRIu64 ")%s\n", s->st.transfers, s->st.retries, s->st.temp_errors,
		s->st.conn_errors, s->o.starttls ? ", STARTTLS" : "");
	fprintf(stderr, PROG ": mail latency p50 %.1f ms, p99 %.1f ms, max %.1f ms over %zu mails\n",
		quantile_ms(s, 0.5), quantile_ms(s, 0.99), quantile_ms(s, 1), s->n_lat);
	fprintf(stderr, PROG ": uploads %zu: acked %" PRIu64 ", failed %" PRIu64 "; expected on the bus: %"
		PRIu64 " records, %" PRIu64 " alerts, %" PRIu64 " rejects\n", s->n_up, t.acked, t.failed,
		t.records, t.alerts, t.rejects);
}

/* ---- main ---- */

static int sim_setup(struct sim *s, int argc, char **argv)
{
	parse_args(&s->o, argc, argv);
	s->fu = talloc_array(s, struct fleet_upload, MAX_PER_MAIL);
	if (!s->fu)
		return -ENOMEM;
	snprintf(s->to, sizeof(s->to), "upload@%s", s->o.domain);
	snprintf(s->url, sizeof(s->url), "smtp://%s:%u/%s", s->o.host, s->o.port, s->o.helo);
	if (fleet_setup(s) < 0)
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	s->multi = curl_multi_init();
	if (!s->multi)
		return -ENOMEM;
	curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->o.concurrency);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->o.concurrency);
	return 0;
}

int main(int argc, char **argv)
{
	struct sim *s = talloc_zero(NULL, struct sim);
	bool all;
	int rc;

	if (!s)
		return 2;
	s->ctx = s;
	if (sim_setup(s, argc, argv) < 0) {
		talloc_free(s);
		return 2;
	}
	rc = run(s);
	double secs = (double)(mono_ms() - s->t0_ms) / 1000;
	qsort(s->lat_us, s->n_lat, sizeof(*s->lat_us), cmp_u32);
	summary_print(s, secs);
	if (s->o.summary && summary_write(s, s->o.summary, secs) < 0) {
		fprintf(stderr, PROG ": cannot write %s\n", s->o.summary);
		rc = -EIO;
	}
	all = rc == 0 && s->st.accepted == s->n_mail;
	curl_multi_cleanup(s->multi);
	curl_global_cleanup();
	talloc_free(s);
	return all ? 0 : 1;
}
