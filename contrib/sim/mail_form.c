/*
 * mail_form.c — a TXLOG upload as an Internet mail; see mail_form.h.
 *
 * The mail is written into a growing talloc buffer (struct mb) whose
 * first error sticks, so that the shape writers read as straight text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "contrib/sim/mail_form.h"
#include "gateway/sms/charset.h"
#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"

#define B64_LINE	76	/* RFC 2045 §6.8: encoded lines of at most 76 characters */
#define QP_LINE		76	/* RFC 2045 §6.7 rule 5, the soft break's "=" included */
#define ARMOUR_MAX	(TXL_MAX_LEN / 3 * 4 + 16)

static const char *const shape_names[MAIL_SHAPE_COUNT] = {
	[MAIL_ATTACH] = "attach", [MAIL_MULTI] = "multi", [MAIL_QP] = "qp",
	[MAIL_ALTERNATIVE] = "alternative", [MAIL_RFC822] = "rfc822", [MAIL_UTF16] = "utf16",
};

/* Prose around the armours.  Each "after" text begins with a character
 * that is neither base64 nor white space, so it ends the armour before it. */
struct prose {
	const char *before, *between, *after;
};

static const struct prose prose_utf8[] = {
	{ "Grüße vom Handy! Hier ist mein heutiges Protokoll:\n\n", "\n\n… und noch eines:\n\n",
	  "\n\n— automatisch gesendet, bitte nicht antworten.\n" },
	{ "Bonjour, voici les opérations de la journée :\n", "\n(suite)\n",
	  "\n« Envoyé depuis mon téléphone »\n" },
	{ "您好，這是今天的交易紀錄：\n", "\n。下一筆：\n", "\n——謝謝！\n" },
	{ "Hello 👋 today's wallet log 💳\n\n", "\n\n• next:\n", "\n\n• that's all. Ciao!\n" },
};

static const struct prose prose_ascii[] = {
	{ "Hello, here is today's upload from my handset:\n\n", "\n\n-- and the next one:\n\n",
	  "\n\n-- \nSent from my handset\n" },
	{ "Automatic upload.\n", "\n*\n", "\n*** end of upload ***\n" },
};

/* ---- a growing buffer ---- */

struct mb {
	void *ctx;
	char *buf;
	size_t len, cap;
	int err;
};

static void mb_init(struct mb *b, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
}

/* Room for n more bytes and a NUL; false (and b->err set) when there is none. */
static bool mb_room(struct mb *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return false;
	if (n > MAIL_FORM_MAX || b->len + n > MAIL_FORM_MAX) {
		b->err = -ENOSPC;
		return false;
	}
	if (b->len + n < b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap <= b->len + n)
		cap *= 2;
	p = talloc_realloc_size(b->ctx, b->buf, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->buf = p;
	b->cap = cap;
	return true;
}

static void mb_put(struct mb *b, const void *s, size_t n)
{
	if (!mb_room(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = 0;
}

static void mb_str(struct mb *b, const char *s)
{
	mb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void mb_fmt(struct mb *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		if (!b->err)
			b->err = -ENOSPC;
		return;
	}
	mb_put(b, line, (size_t)n);
}

/* ---- transfer encodings ---- */

/* data[len] in base64 lines of line characters (a multiple of 4), each
 * ended by CRLF (RFC 2045 §6.8). */
static void mb_base64(struct mb *b, const uint8_t *data, size_t len, size_t line)
{
	char chunk[B64_LINE + 8];
	size_t step = line / 4 * 3;

	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;
		int k = b64_encode(chunk, sizeof(chunk), data + i, n);
		if (k < 0) {
			b->err = k;
			return;
		}
		mb_put(b, chunk, (size_t)k);
		mb_put(b, "\r\n", 2);
	}
}

/*
 * text[len], lines ended by "\n", as quoted-printable (RFC 2045 §6.7):
 * printable ASCII but "=" as itself (rule 2), space and tab as themselves
 * except before a line end (rule 3), "\n" as a CRLF hard break (rule 4),
 * everything else =XX, and a soft break "=" CRLF before a line would
 * pass 76 characters (rule 5).  An encoded octet is never split.
 */
static void mb_qp(struct mb *b, const char *text, size_t len)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)text[i];
		char tok[4];
		size_t n;

		if (c == '\n') {
			mb_put(b, "\r\n", 2);
			col = 0;
			continue;
		}
		bool at_end = i + 1 == len || text[i + 1] == '\n';
		if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
			tok[0] = (char)c;
			n = 1;
		} else {
			snprintf(tok, sizeof(tok), "=%02X", c);
			n = 3;
		}
		/* the soft break's "=" needs a column, unless this token ends the line */
		if (col + n > QP_LINE - 1 && !(at_end && col + n <= QP_LINE)) {
			mb_put(b, "=\r\n", 3);
			col = 0;
		}
		mb_put(b, tok, n);
		col += n;
	}
}

/* ---- header fields ---- */

static bool one_line(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

/* RFC 5322 §3.3 date-time in UTC: "Tue, 25 Nov 2026 22:00:00 +0000". */
static void mb_date(struct mb *b, int64_t unix_s)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		b->err = -EINVAL;
		return;
	}
	mb_fmt(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
	       months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The message header fields but the content ones; salt tells a
 * forwarded message's Message-ID from its wrapper's. */
static void mb_head(struct mb *b, const struct mail_head *h, const char *subject_prefix, unsigned salt)
{
	const char *at = strchr(h->from, '@');

	mb_fmt(b, "From: <%s>\r\n", h->from);
	mb_fmt(b, "To: <%s>\r\n", h->to);
	mb_fmt(b, "Subject: %s%s\r\n", subject_prefix, h->subject);
	mb_date(b, h->date);
	/* the date too, so that two runs with one seed differ */
	mb_fmt(b, "Message-ID: <%" PRId64 ".%016" PRIx64 ".%u.%08" PRIx32 "@%s>\r\n", h->date, h->unique,
	       salt, h->variant, at ? at + 1 : "handset.invalid");
	mb_str(b, "MIME-Version: 1.0\r\n");
}

/* A boundary per nesting level; "=_" cannot occur in base64 or QP. */
static void boundary(char *out, size_t cap, const struct mail_head *h, unsigned level)
{
	snprintf(out, cap, "=_txgw_%016" PRIx64 "_%u", h->unique, level);
}

/* ---- bodies ---- */

/* One application/vnd.txlog part's header and base64 body. */
static void mb_frame_part(struct mb *b, const struct mail_frame *f, size_t line)
{
	char name[64];

	snprintf(name, sizeof(name), "txlog-%016" PRIx64 "-%" PRIu32 ".bin", f->device_id, f->upload_seq);
	mb_fmt(b, "Content-Type: application/vnd.txlog; name=\"%s\"\r\n", name);
	mb_str(b, "Content-Transfer-Encoding: base64\r\n");
	mb_fmt(b, "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n", name);
	mb_base64(b, f->data, f->len, line);
}

/* Content header and body of the attach / multi shapes, at a nesting level. */
static void body_attach(struct mb *b, const struct mail_head *h, const struct mail_frame *fr, unsigned n,
			unsigned level)
{
	size_t line = h->variant & 2 ? 64 : B64_LINE;
	char bd[64];

	if (n == 1 && (h->variant & 1)) {	/* the whole message is the frame */
		mb_frame_part(b, &fr[0], line);
		return;
	}
	boundary(bd, sizeof(bd), h, level);
	mb_fmt(b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", bd);
	mb_str(b, "This is a multi-part message in MIME format.\r\n");
	mb_fmt(b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	       "Content-Transfer-Encoding: 7bit\r\n\r\n", bd);
	mb_fmt(b, "Transaction log upload: %u file%s attached.\r\n", n, n > 1 ? "s" : "");
	for (unsigned i = 0; i < n; i++) {
		mb_fmt(b, "--%s\r\n", bd);
		mb_frame_part(b, &fr[i], line);
	}
	mb_fmt(b, "--%s--\r\n", bd);
}

/* The prose and armours of a text body, lines ended by "\n", into t;
 * wrap: armours in lines of 76 characters, else each on one line. */
static void compose_text(struct mb *t, const struct prose *p, const struct mail_frame *fr, unsigned n,
			 bool wrap)
{
	char arm[ARMOUR_MAX];

	mb_str(t, p->before);
	for (unsigned i = 0; i < n; i++) {
		int k = armour_encode(arm, sizeof(arm), fr[i].data, fr[i].len);
		if (k < 0) {
			t->err = k;
			return;
		}
		if (i)
			mb_str(t, p->between);
		for (size_t o = 0; o < (size_t)k; o += wrap ? B64_LINE : (size_t)k) {
			size_t m = (size_t)k - o;
			if (wrap && m > B64_LINE)
				m = B64_LINE;
			if (o)
				mb_put(t, "\n", 1);
			mb_put(t, arm + o, m);
		}
	}
	mb_str(t, p->after);
}

static const struct prose *pick_utf8(const struct mail_head *h)
{
	return &prose_utf8[(h->variant >> 4) % (sizeof(prose_utf8) / sizeof(prose_utf8[0]))];
}

static void body_qp(struct mb *b, const struct mail_head *h, const struct mail_frame *fr, unsigned n)
{
	struct mb t;

	mb_init(&t, b->ctx);
	compose_text(&t, pick_utf8(h), fr, n, h->variant & 8);
	mb_str(b, "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	if (t.err)
		b->err = t.err;
	else
		mb_qp(b, t.buf, t.len);
	talloc_free(t.buf);
}

/* text with "\n" line ends written with CRLF (7bit and 8bit bodies). */
static void mb_crlf(struct mb *b, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			mb_put(b, "\r\n", 2);
		else
			mb_put(b, text + i, 1);
	}
}

static void body_alternative(struct mb *b, const struct mail_head *h, const struct mail_frame *fr,
			     unsigned n)
{
	const struct prose *pa = &prose_ascii[(h->variant >> 4) % 2];
	struct mb t;
	char bd[64];

	boundary(bd, sizeof(bd), h, 0);
	mb_fmt(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", bd);
	mb_fmt(b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	       "Content-Transfer-Encoding: 7bit\r\n\r\n", bd);
	mb_init(&t, b->ctx);
	compose_text(&t, pa, fr, n, true);
	if (!t.err)
		mb_crlf(b, t.buf, t.len);
	/* The HTML shows the same: the armours in <pre>, ended by "<". */
	t.len = 0;
	mb_str(&t, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n<p>");
	mb_str(&t, pick_utf8(h)->before);
	for (unsigned i = 0; i < n && !t.err; i++) {
		char arm[ARMOUR_MAX];
		int k = armour_encode(arm, sizeof(arm), fr[i].data, fr[i].len);
		if (k < 0)
			t.err = k;
		mb_str(&t, "</p>\n<pre>");
		mb_str(&t, k < 0 ? "" : arm);
		mb_str(&t, "</pre>\n<p>");
	}
	mb_str(&t, "</p>\n</body></html>\n");
	mb_fmt(b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n", bd);
	if (t.err)
		b->err = t.err;
	else
		mb_qp(b, t.buf, t.len);
	mb_fmt(b, "--%s--\r\n", bd);
	talloc_free(t.buf);
}

static void body_rfc822(struct mb *b, const struct mail_head *h, const struct mail_frame *fr, unsigned n)
{
	static const char note[] = "Forwarding what my handset sent me, see below.\n\n"
				   "---------- Forwarded message ---------\n";
	char bd[64];

	boundary(bd, sizeof(bd), h, 0);
	mb_fmt(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", bd);
	mb_fmt(b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n", bd);
	mb_qp(b, note, sizeof(note) - 1);
	mb_fmt(b, "--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n", bd);
	mb_head(b, h, "", 1);
	body_attach(b, h, fr, n, 1);
	mb_fmt(b, "--%s--\r\n", bd);
}

static void body_utf16(struct mb *b, const struct mail_head *h, const struct mail_frame *fr, unsigned n)
{
	bool le = h->variant & 4;
	struct mb t;
	uint8_t *u;
	int k;

	mb_init(&t, b->ctx);
	compose_text(&t, pick_utf8(h), fr, n, h->variant & 8);
	mb_str(b, "Content-Type: text/plain; charset=utf-16\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n");
	if (t.err) {
		b->err = t.err;
		return;
	}
	/* CRLF line ends in the text itself (RFC 2046 §4.1.1), then the
	 * BOM (RFC 2781 §3.2) and UTF-16BE, swapped for little-endian. */
	struct mb crlf;
	mb_init(&crlf, b->ctx);
	mb_crlf(&crlf, t.buf, t.len);
	u = crlf.err ? NULL : talloc_size(b->ctx, 2 + 4 * crlf.len);
	if (!u) {
		b->err = crlf.err ? crlf.err : -ENOMEM;
	} else {
		k = charset_utf8_to_ucs2(u + 2, 4 * crlf.len, crlf.buf, crlf.len, 0, NULL);
		if (k < 0) {
			b->err = k;
		} else {
			u[0] = 0xfe;
			u[1] = 0xff;
			for (int i = 0; le && i < k + 2; i += 2) {
				uint8_t x = u[i];
				u[i] = u[i + 1];
				u[i + 1] = x;
			}
			mb_base64(b, u, (size_t)k + 2, B64_LINE);
		}
	}
	talloc_free(u);
	talloc_free(crlf.buf);
	talloc_free(t.buf);
}

/* ---- the API ---- */

static int finish(struct mb *b, char **out, size_t *len)
{
	if (b->err) {
		talloc_free(b->buf);
		return b->err;
	}
	*out = b->buf;
	*len = b->len;
	return 0;
}

static bool head_ok(const struct mail_head *h)
{
	return h && one_line(h->from) && one_line(h->to) && one_line(h->subject) &&
	       strlen(h->from) <= MAIL_ADDR_MAX && strlen(h->to) <= MAIL_ADDR_MAX &&
	       strlen(h->subject) <= 900;
}

int mail_form(void *ctx, enum mail_shape shape, const struct mail_head *h,
	      const struct mail_frame *fr, unsigned n, char **out, size_t *len)
{
	struct mb b;

	if (!n || (unsigned)shape >= MAIL_SHAPE_COUNT || !head_ok(h))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!fr[i].data || fr[i].len > TXL_MAX_LEN)
			return -EINVAL;
	mb_init(&b, ctx);
	mb_head(&b, h, shape == MAIL_RFC822 ? "Fwd: " : "", 0);
	switch (shape) {
	case MAIL_ATTACH:
	case MAIL_MULTI:
		body_attach(&b, h, fr, n, 0);
		break;
	case MAIL_QP:
		body_qp(&b, h, fr, n);
		break;
	case MAIL_ALTERNATIVE:
		body_alternative(&b, h, fr, n);
		break;
	case MAIL_RFC822:
		body_rfc822(&b, h, fr, n);
		break;
	default:
		body_utf16(&b, h, fr, n);
		break;
	}
	return finish(&b, out, len);
}

int mail_form_text(void *ctx, const struct mail_head *h, const char *text, size_t tlen,
		   char **out, size_t *len)
{
	struct mb b;

	if (!head_ok(h) || !text)
		return -EINVAL;
	mb_init(&b, ctx);
	mb_head(&b, h, "", 0);
	mb_str(&b, "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	mb_qp(&b, text, tlen);
	mb_str(&b, "\r\n");
	return finish(&b, out, len);
}

const char *mail_shape_name(enum mail_shape s)
{
	return (unsigned)s < MAIL_SHAPE_COUNT ? shape_names[s] : "?";
}

enum mail_shape mail_shape_parse(const char *name)
{
	for (unsigned i = 0; i < MAIL_SHAPE_COUNT; i++)
		if (!strcmp(name, shape_names[i]))
			return (enum mail_shape)i;
	return MAIL_SHAPE_COUNT;
}
