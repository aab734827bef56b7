/*
 * txgw-mail-sim — simulated handsets mailing their signed uploads to
 * txgw's SMTP service (txlog-v1.md, "E-mail (SMTP)").  The fleet is the
 * one of txgw-smsc-sim (contrib/sim/fleet.c: keys, registry, honest uploads,
 * anomalies and the bus events each must produce); each upload becomes a
 * mail in one of many MIME shapes (contrib/sim/mail_form.c) sent through
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
#include <time.h>

#include <curl/curl.h>
#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "contrib/sim/fleet.h"
#include "contrib/sim/fleet_cli.h"
#include "contrib/sim/mail_book.h"
#include "contrib/sim/mail_form.h"

#define PROG		"txgw-mail-sim"
#define MIX		-1		/* --shape mix */
#define MAX_PER_MAIL	16		/* uploads in one multi mail */
#define BACKOFF_MS	500		/* first retry after a 4xx; doubles, up to BACKOFF_MAX_MS */
#define BACKOFF_MAX_MS	30000

struct opts {
	struct fleet_cli fleet;
	const char *host, *domain, *helo, *from_domain, *cafile, *subject, *summary;
	unsigned port, per_mail, concurrency, retries;
	int shape;
	bool starttls, insecure, quiet, verbose;
	uint64_t count;
	double rate, duration, drain, timeout;
};

/* One mail while it may still be sent: its bytes and its transfer.  What
 * it carried and how it went are in the book, at idx. */
struct mail {
	struct llist_head list;		/* in sim.flight while in flight */
	size_t idx;
	int hold;			/* the fleet device it keeps busy, or -1 */
	unsigned tries;
	char *msg;
	size_t len, pos;
	uint64_t due_ms;		/* waiting: when to try again */
	CURL *easy;
	struct curl_slist *rcpt;
};

struct sim {
	struct opts o;
	void *ctx;
	struct fleet *fl;
	struct fleet_upload *fu;	/* scratch: one mail's uploads */
	CURLM *multi;
	struct mail_book book;
	struct mail_stats st;
	struct llist_head flight;	/* mails in flight */
	struct mail **wait;		/* mails waiting to be sent again */
	size_t in_flight, n_wait;
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
FLEET_CLI_HELP
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
"                      revoked (these make a mail of their own).  Which\n"
"                      anomalies are made depends on --seed alone; one that\n"
"                      does not fit the upload at hand is put off to a later\n"
"                      one (anomalies_skipped)\n"
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
	O_TIMEOUT, O_RETRIES, O_COUNT, O_DURATION, O_DRAIN, O_RATE, O_CONC, O_SHAPE, O_PER_MAIL,
	O_SUBJECT, O_SUMMARY,
};

static const struct option long_opts[] = {
	{ "host", 1, NULL, O_HOST }, { "port", 1, NULL, O_PORT }, { "domain", 1, NULL, O_DOMAIN },
	{ "helo", 1, NULL, O_HELO }, { "from-domain", 1, NULL, O_FROM_DOMAIN },
	{ "starttls", 0, NULL, O_STARTTLS }, { "cafile", 1, NULL, O_CAFILE },
	{ "insecure", 0, NULL, O_INSECURE }, { "timeout", 1, NULL, O_TIMEOUT },
	{ "retries", 1, NULL, O_RETRIES }, FLEET_CLI_OPTIONS,
	{ "count", 1, NULL, O_COUNT }, { "duration", 1, NULL, O_DURATION },
	{ "drain", 1, NULL, O_DRAIN }, { "rate", 1, NULL, O_RATE }, { "concurrency", 1, NULL, O_CONC },
	{ "shape", 1, NULL, O_SHAPE }, { "uploads-per-mail", 1, NULL, O_PER_MAIL },
	{ "subject", 1, NULL, O_SUBJECT },
	{ "summary", 1, NULL, O_SUMMARY }, { "quiet", 0, NULL, 'q' }, { "verbose", 0, NULL, 'v' },
	{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
};

static void die_usage(const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, PROG ": --%s: %s: %s\n", opt, what, arg);
	exit(2);
}

static uint64_t num(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	return fleet_cli_num(PROG, opt, s, lo, hi);
}

static double real(const char *opt, const char *s, double lo, double hi)
{
	return fleet_cli_real(PROG, opt, s, lo, hi);
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

static void opts_default(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 2525;
	o->domain = "txlog.example";
	o->helo = "handset.example";
	o->from_domain = "handset.example";
	fleet_cli_default(&o->fleet);
	o->timeout = 60;
	o->retries = 5;
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
	default:
		if (!fleet_cli_option(&o->fleet, PROG, c, a))
			parse_opt2(o, c, a);
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	opts_default(o);
	while ((c = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1)
		parse_opt(o, c, optarg);
	fleet_cli_end(&o->fleet, PROG, argc, argv);
	if (o->fleet.anomaly[FA_MSISDN] > 0) {
		fprintf(stderr, PROG ": --anomaly msisdn ignored: mail has no MSISDN check\n");
		o->fleet.anomaly[FA_MSISDN] = 0;
	}
	if ((o->cafile || o->insecure) && !o->starttls)
		fprintf(stderr, PROG ": --cafile and --insecure mean nothing without --starttls\n");
}

/* ---- making mails ---- */

/* Upload u of dev with anomaly a; an anomaly that does not apply to dev
 * gives an honest upload now and is owed to a later one (counted). */
static int one_upload(struct sim *s, unsigned dev, enum fleet_anomaly a, struct fleet_upload *u)
{
	uint32_t now = (uint32_t)time(NULL);
	int rc = fleet_upload(s->fl, dev, a, now, u);

	if (rc == -EAGAIN) {
		fleet_owe(s->fl, a);
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
	int rc = one_upload(s, dev, fleet_pick_anomaly(s->fl, s->o.fleet.anomaly), &s->fu[0]);

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
		enum fleet_anomaly a = fleet_pick_anomaly(s->fl, s->o.fleet.anomaly);
		if (a == FA_TEXT || a == FA_UNKNOWN_DEVICE || a == FA_REVOKED) {
			fleet_owe(s->fl, a);
			a = FA_NONE;
		}
		rc = one_upload(s, dev, a, &s->fu[n]);
		if (rc < 0)
			return rc;
	}
	return (int)n;
}

/* The mail's bytes from its uploads in s->fu. */
static int form(struct sim *s, struct mail *m, const char *from, enum mail_shape shape, unsigned n)
{
	struct mail_frame fr[MAX_PER_MAIL];
	char subject[256];
	struct mail_head h = {
		.from = from, .to = s->to, .subject = subject, .date = (int64_t)time(NULL),
		.unique = (uint64_t)fleet_rand(s->fl, UINT32_MAX) << 32 | (uint32_t)s->book.n_mail,
		.variant = fleet_rand(s->fl, UINT32_MAX),
	};

	if (s->fu[0].text) {
		snprintf(subject, sizeof(subject), "%sA question", s->o.subject);
		return mail_form_text(m, &h, (const char *)s->fu[0].data, s->fu[0].len, &m->msg, &m->len);
	}
	snprintf(subject, sizeof(subject), "%sTXLOG upload %" PRIu32 "%s", s->o.subject,
		 s->fu[0].upload_seq, n > 1 ? " and more" : "");
	for (unsigned i = 0; i < n; i++)
		fr[i] = (struct mail_frame){ .data = s->fu[i].data, .len = s->fu[i].len,
					     .device_id = s->fu[i].device_id,
					     .upload_seq = s->fu[i].upload_seq };
	return mail_form(m, shape, &h, fr, n, &m->msg, &m->len);
}

/* Make the next mail and book it with its uploads: *out, or -EAGAIN
 * when every device is busy, or a negative errno. */
static int make_mail(struct sim *s, struct mail **out)
{
	int dev = fleet_cli_idle_device(s->fl, &s->next_dev), n, rc;
	enum mail_shape shape;
	char from[MAIL_ADDR_MAX + 1];
	struct mail *m;

	if (dev < 0)
		return -EAGAIN;
	shape = s->o.shape == MIX ? (enum mail_shape)fleet_rand(s->fl, MAIL_SHAPE_COUNT) :
				    (enum mail_shape)s->o.shape;
	n = make_uploads(s, (unsigned)dev, &shape);
	if (n < 0)
		return n;
	m = talloc_zero(s->ctx, struct mail);
	if (!m)
		return -ENOMEM;
	*out = m;
	snprintf(from, sizeof(from), "%s@%s", s->fu[0].src, s->o.from_domain);
	rc = form(s, m, from, shape, (unsigned)n);
	if (rc < 0) {
		fprintf(stderr, PROG ": cannot form a mail: %s\n", strerror(-rc));
		return rc;
	}
	rc = mail_book_mail(&s->book, (uint8_t)(s->fu[0].text ? MAIL_BOOK_TEXT : shape), from, &m->idx);
	for (int i = 0; i < n && rc == 0; i++)
		rc = mail_book_upload(&s->book, &s->fu[i], m->idx);
	if (rc < 0)
		return rc;
	/* An upload from an active device holds it until the mail is answered. */
	m->hold = s->fu[0].dev < s->fl->n_active ? (int)s->fu[0].dev : -1;
	if (m->hold >= 0)
		s->fl->dev[m->hold].busy = true;
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

	snprintf(from, sizeof(from), "<%s>", s->book.mail[m->idx].from);
	snprintf(to, sizeof(to), "<%s>", s->to);
	m->rcpt = curl_slist_append(NULL, to);
	if (!e || !m->rcpt) {
		curl_easy_cleanup(e);
		curl_slist_free_all(m->rcpt);
		m->rcpt = NULL;
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
	llist_add_tail(&m->list, &s->flight);
	m->pos = 0;
	m->tries++;
	s->in_flight++;
	s->st.transfers++;
	s->tokens -= 1;
	return 0;
}

static void release(struct sim *s, struct mail *m)
{
	llist_del(&m->list);
	curl_multi_remove_handle(s->multi, m->easy);
	curl_easy_cleanup(m->easy);
	curl_slist_free_all(m->rcpt);
	m->easy = NULL;
	m->rcpt = NULL;
}

/* A mail's end, accepted or failed (already booked): its device is free. */
static void settle(struct sim *s, struct mail *m)
{
	if (m->hold >= 0)
		s->fl->dev[m->hold].busy = false;
	talloc_free(m);
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

/* Send m again after 0.5 s, 1 s, 2 s, ... (RFC 5321 §4.5.4.1: a 4xx
 * asks the client to retry later), unless its tries are spent. */
static int retry_later(struct sim *s, struct mail *m, const char *why)
{
	unsigned shift = m->tries - 1 < 6 ? m->tries - 1 : 6;
	uint64_t wait = (uint64_t)BACKOFF_MS << shift;
	struct mail **w;

	if (m->tries > s->o.retries) {
		s->st.gave_up++;
		mail_book_failed(&s->book, m->idx, why);
		settle(s, m);
		return 0;
	}
	w = talloc_realloc(s->ctx, s->wait, struct mail *, s->n_wait + 1);
	if (!w)
		return -ENOMEM;
	s->wait = w;
	m->due_ms = mono_ms() + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
	s->wait[s->n_wait++] = m;
	return 0;
}

/* A transfer ended: 250, a refusal, or a temporary failure to retry. */
static int on_done(struct sim *s, struct mail *m, CURLcode rc)
{
	char why[128];
	long code = 0;
	curl_off_t us = 0;

	curl_easy_getinfo(m->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(m->easy, CURLINFO_TOTAL_TIME_T, &us);
	release(s, m);
	s->in_flight--;
	if (rc == CURLE_OK) {
		s->st.accepted++;
		mail_book_accepted(&s->book, m->idx, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
		settle(s, m);
		return 0;
	}
	snprintf(why, sizeof(why), "%03ld %s (try %u)", code, curl_easy_strerror(rc), m->tries);
	if (code >= 500 || permanent(rc)) {
		s->st.refused += code >= 500;
		mail_book_failed(&s->book, m->idx, why);
		settle(s, m);
		return 0;
	}
	if (code >= 400)
		s->st.temp_errors++;
	else
		s->st.conn_errors++;
	return retry_later(s, m, why);
}

/* Finished transfers: how many, or -ENOMEM. */
static int collect(struct sim *s)
{
	CURLMsg *msg;
	int left, rc = 0, n = 0;

	while ((msg = curl_multi_info_read(s->multi, &left))) {
		struct mail *m = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&m);
		if (on_done(s, m, msg->data.result) < 0)
			rc = -ENOMEM;
		n++;
	}
	return rc < 0 ? rc : n;
}

/* ---- the loop ---- */

static bool generating(struct sim *s, uint64_t now)
{
	if (s->o.count && s->book.n_mail >= s->o.count)
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

/* Retries that are due first, then new mails. */
static int feed(struct sim *s, uint64_t now)
{
	int rc;

	for (size_t i = 0; i < s->n_wait && may_start(s);) {
		struct mail *m = s->wait[i];
		if (m->due_ms > now) {
			i++;
			continue;
		}
		memmove(&s->wait[i], &s->wait[i + 1], (s->n_wait - i - 1) * sizeof(*s->wait));
		s->n_wait--;
		s->st.retries++;
		rc = start(s, m);
		if (rc < 0)
			return rc;
	}
	while (generating(s, now) && may_start(s)) {
		struct mail *m = NULL;
		rc = make_mail(s, &m);
		if (rc == -EAGAIN)
			break;
		if (rc == 0)
			rc = start(s, m);
		if (rc < 0) {
			talloc_free(m);
			return rc;
		}
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
			s->book.n_mail, s->st.accepted, s->st.refused, s->in_flight, s->n_wait,
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
	if (!s->in_flight && !s->n_wait)
		return true;
	if (now - s->gen_end_ms > (uint64_t)(s->o.drain * 1000)) {
		fprintf(stderr, PROG ": drain time over: %zu in flight, %zu waiting\n", s->in_flight,
			s->n_wait);
		return true;
	}
	return false;
}

/* Stopped early: drop the transfers in flight (their mails stay pending). */
static void drop_all(struct sim *s)
{
	struct mail *m, *tmp;

	llist_for_each_entry_safe(m, tmp, &s->flight, list)
		release(s, m);
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
		rc = collect(s);
		if (rc < 0)
			break;
		/* a slot just freed is filled at once, not after the next wake-up */
		if (rc == 0)
			curl_multi_poll(s->multi, NULL, 0, s->o.rate ? 10 : 50, NULL);
		rc = 0;
		progress(s, mono_ms(), &last_ms, &last_done);
	}
	drop_all(s);
	return rc;
}

/* ---- main ---- */

static int sim_setup(struct sim *s)
{
	mail_book_init(&s->book, s);
	INIT_LLIST_HEAD(&s->flight);
	s->fu = talloc_array(s, struct fleet_upload, MAX_PER_MAIL);
	if (!s->fu)
		return -ENOMEM;
	snprintf(s->to, sizeof(s->to), "upload@%s", s->o.domain);
	snprintf(s->url, sizeof(s->url), "smtp://%s:%u/%s", s->o.host, s->o.port, s->o.helo);
	if (fleet_cli_setup(s, &s->o.fleet, PROG, &s->fl) < 0)
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
	struct sim *s;
	struct opts o;
	bool all;
	int rc;

	parse_args(&o, argc, argv);	/* before any allocation: it may exit */
	s = talloc_zero(NULL, struct sim);
	if (!s)
		return 2;
	s->ctx = s;
	s->o = o;
	if (sim_setup(s) < 0) {
		talloc_free(s);
		return 2;
	}
	rc = run(s);
	struct mail_book_info info = {
		.fl = s->fl, .st = &s->st, .seed = s->o.fleet.seed, .anomaly_skipped = s->fl->n_owed,
		.seconds = (double)(mono_ms() - s->t0_ms) / 1000, .starttls = s->o.starttls,
	};
	mail_book_print(stderr, &s->book, &info);
	if (s->o.summary && mail_book_write(s->o.summary, &s->book, &info) < 0) {
		fprintf(stderr, PROG ": cannot write %s\n", s->o.summary);
		rc = -EIO;
	}
	all = rc == 0 && s->st.accepted == s->book.n_mail;
	curl_multi_cleanup(s->multi);
	curl_global_cleanup();
	talloc_free(s);
	return all ? 0 : 1;
}
