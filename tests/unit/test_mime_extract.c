/*
 * test_mime_extract.c — TXLOG frames out of mails (mail/mime_extract.c,
 * doc/txlog-v1.md "E-mail (SMTP)"): the vectors' frames (vectors.json
 * frame-ed25519-1, frame-ecdsa-3) as application/vnd.txlog attachments,
 * armoured in text/plain in every transfer encoding and charset, nested
 * and forwarded; the sample mails in tests/data/mail/ were written by
 * Python's email package (make_mails.py), an encoder independent of ours.
 * Each mail is also fed one byte at a time: the same items must come out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "gateway/sms/charset.h"
#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"
#include "mail/mime_extract.h"
#include "tests/unit/txlog_vectors.h"

static struct tv_set vectors;
static uint8_t ed[TXL_MAX_LEN], ec[TXL_MAX_LEN];
static size_t ed_len, ec_len;

static int setup(void **state)
{
	const struct tv *a, *b;
	int n1, n2;

	if (tv_load(&vectors) < 4)
		return -1;
	a = tv_find(&vectors, "frame-ed25519-1");
	b = tv_find(&vectors, "frame-ecdsa-3");
	if (!a || !b)
		return -1;
	n1 = tv_hex(a->frame, ed, sizeof(ed));
	n2 = tv_hex(b->frame, ec, sizeof(ec));
	if (n1 < 0 || n2 < 0)
		return -1;
	ed_len = (size_t)n1;
	ec_len = (size_t)n2;
	return 0;
}

static int teardown(void **state)
{
	tv_free(&vectors);
	return 0;
}

/* What one item must be: kind, and for frames which bytes. */
struct want {
	enum extract_kind kind;
	const uint8_t *data;
	size_t len;
	const char *why;	/* MALFORMED: expected reason (NULL: any) */
};

#define FRAME_ED { EXTRACT_FRAME, ed, 0, NULL }
#define FRAME_EC { EXTRACT_FRAME, ec, 0, NULL }

static void check_items(const struct extract_result *r, const struct want *w, unsigned n)
{
	assert_int_equal(r->n, n);
	for (unsigned i = 0; i < n; i++) {
		const struct extract_item *it = &r->item[i];

		assert_int_equal(it->kind, w[i].kind);
		if (w[i].kind == EXTRACT_FRAME) {
			size_t len = w[i].data == ed ? ed_len : w[i].data == ec ? ec_len : w[i].len;

			assert_int_equal(it->len, len);
			assert_memory_equal(it->data, w[i].data, len);
		}
		if (w[i].why)
			assert_string_equal(it->why, w[i].why);
	}
}

/* Extract mail[len] whole and one byte at a time; both must agree. */
static int run(const uint8_t *mail, size_t len, const struct mime_limits *lim,
	       struct extract_result *r, char *why, size_t cap)
{
	struct extract_result *r2 = talloc_zero(NULL, struct extract_result);
	struct mime_extract *x = mime_extract_new(r2, lim, r2);
	char why2[160];
	int rc = mime_extract_mail(NULL, mail, len, lim, r, why, cap), rc2 = 0;

	assert_non_null(x);
	for (size_t i = 0; i < len && !rc2; i++)
		rc2 = mime_extract_feed(x, mail + i, 1);
	if (!rc2)
		rc2 = mime_extract_end(x, why2, sizeof(why2));
	assert_int_equal(rc, rc2);
	assert_int_equal(r->n, r2->n);
	for (unsigned i = 0; i < r->n; i++) {
		assert_int_equal(r->item[i].kind, r2->item[i].kind);
		assert_int_equal(r->item[i].len, r2->item[i].len);
		assert_memory_equal(r->item[i].data, r2->item[i].data, r->item[i].len);
	}
	talloc_free(r2);
	return rc;
}

static void check_file(const char *name, const struct want *w, unsigned n)
{
	char path[512], why[160];
	char *mail;
	struct extract_result *r = talloc_zero(NULL, struct extract_result);

	snprintf(path, sizeof(path), "%s/data/mail/%s", TESTDATA_DIR, name);
	mail = tv_read_file(path);
	assert_non_null(mail);
	print_message("%s\n", name);
	assert_int_equal(run((const uint8_t *)mail, strlen(mail), NULL, r, why, sizeof(why)), 0);
	check_items(r, w, n);
	free(mail);
	talloc_free(r);
}

static void test_sample_mails(void **state)
{
	static const struct want attach[] = { FRAME_ED }, two[] = { FRAME_ED, FRAME_EC };
	static const struct want qp[] = { FRAME_EC }, html[] = { FRAME_ED };
	static const struct want fwd[] = { FRAME_EC }, u16[] = { FRAME_ED }, u16le[] = { FRAME_EC };
	static const struct want latin1[] = { FRAME_ED }, cp1252[] = { FRAME_EC };
	static const struct want bad[] = {
		FRAME_ED, { EXTRACT_MALFORMED, NULL, 0, "a character outside the base64 alphabet" },
	};

	check_file("attach-b64.eml", attach, 1);
	check_file("two-attach.eml", two, 2);
	check_file("qp-armour.eml", qp, 1);
	check_file("alternative-html.eml", html, 1);	/* the HTML part's frame is not taken */
	check_file("forwarded.eml", fwd, 1);
	check_file("utf16.eml", u16, 1);
	check_file("utf16le.eml", u16le, 1);
	check_file("latin1.eml", latin1, 1);
	check_file("cp1252.eml", cp1252, 1);
	check_file("noframe.eml", NULL, 0);
	check_file("bad-b64.eml", bad, 2);
}

/* ---- mails built here (frames hold NULs: a byte buffer, not strings) ---- */

struct mail {
	uint8_t *p;
	size_t len;
};

static void put(struct mail *m, const void *data, size_t len)
{
	m->p = talloc_realloc(NULL, m->p, uint8_t, m->len + len + 1);
	memcpy(m->p + m->len, data, len);
	m->len += len;
}

static void putf(struct mail *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct mail *m, const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	s = talloc_vasprintf(NULL, fmt, ap);
	va_end(ap);
	put(m, s, strlen(s));
	talloc_free(s);
}

static struct mail mixed(void)
{
	struct mail m = { 0 };

	putf(&m, "From: h@example.net\r\nContent-Type: multipart/mixed; boundary=\"=-b\"\r\n\r\n"
		 "preamble\r\n");
	return m;
}

/* An application/vnd.txlog part holding data[len] in transfer encoding cte. */
static void attach(struct mail *m, const char *cte, const uint8_t *data, size_t len)
{
	putf(m, "--=-b\r\nContent-Type: application/vnd.txlog\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	     cte);
	if (!strcmp(cte, "base64")) {
		char *b = talloc_size(NULL, len * 2 + 8);

		assert_true(b64_encode(b, len * 2 + 8, data, len) >= 0);
		for (size_t i = 0; i < strlen(b); i += 76)
			putf(m, "%.76s\r\n", b + i);
		talloc_free(b);
	} else {
		put(m, data, len);
		putf(m, "\r\n");
	}
}

static int extract(const struct mail *m, const struct mime_limits *lim, struct extract_result *r,
		   char *why)
{
	return run(m->p, m->len, lim, r, why, 160);
}

/* binary / 8bit: the bytes exactly; the CRLF before the delimiter is not
 * among them (RFC 2046 §5.1.1), the frames' own CR and LF are. */
static void test_binary(void **state)
{
	static const struct want w[] = { FRAME_ED, FRAME_EC, FRAME_ED };
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mail m = mixed();
	char why[160];

	attach(&m, "binary", ed, ed_len);
	attach(&m, "8bit", ec, ec_len);
	attach(&m, "base64", ed, ed_len);
	putf(&m, "--=-b--\r\n");
	assert_int_equal(extract(&m, NULL, r, why), 0);
	check_items(r, w, 3);
	talloc_free(m.p);
	talloc_free(r);
}

/* Malformed attachments: too long (first 512 bytes kept), base64 garbage,
 * unknown transfer encoding, empty. */
static void test_malformed_parts(void **state)
{
	uint8_t big[TXL_MAX_LEN + 100];
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mail m = mixed();
	char why[160];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	attach(&m, "base64", big, sizeof(big));
	attach(&m, "base64", big, TXL_MAX_LEN);
	putf(&m, "--=-b\r\nContent-Type: application/vnd.txlog\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		 "AQID\r\nBAUG*\r\n");
	putf(&m, "--=-b\r\nContent-Type: application/vnd.txlog\r\nContent-Transfer-Encoding: x-gzip\r\n\r\n"
		 "AQID\r\n");
	putf(&m, "--=-b\r\nContent-Type: application/vnd.txlog\r\n\r\n--=-b--\r\n");
	assert_int_equal(extract(&m, NULL, r, why), 0);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->item[0].kind, EXTRACT_MALFORMED);
	assert_string_equal(r->item[0].why, "longer than the longest frame");
	assert_int_equal(r->item[0].len, EXTRACT_RAW_MAX);
	assert_memory_equal(r->item[0].data, big, EXTRACT_RAW_MAX);
	/* exactly TXL_MAX_LEN bytes is still a frame to judge */
	assert_int_equal(r->item[1].kind, EXTRACT_FRAME);
	assert_int_equal(r->item[1].len, TXL_MAX_LEN);
	assert_memory_equal(r->item[1].data, big, TXL_MAX_LEN);
	assert_int_equal(r->item[2].kind, EXTRACT_MALFORMED);
	assert_string_equal(r->item[2].why, "a character outside the base64 alphabet");
	assert_int_equal(r->item[2].len, 3);	/* what decoded before the garbage */
	assert_int_equal(r->item[3].kind, EXTRACT_MALFORMED);
	assert_string_equal(r->item[3].why, "unknown transfer encoding");
	assert_int_equal(r->item[4].kind, EXTRACT_FRAME);	/* empty: judged malformed later */
	assert_int_equal(r->item[4].len, 0);
	talloc_free(m.p);
	talloc_free(r);
}

/* More frames than a mail may carry: EXTRACT_MAX_ITEMS, then TOO_MANY. */
static void test_too_many(void **state)
{
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mail m = mixed();
	char why[160];

	for (int i = 0; i < EXTRACT_MAX_ITEMS + 6; i++)
		attach(&m, i & 1 ? "binary" : "base64", ed, ed_len);
	putf(&m, "--=-b--\r\n");
	assert_int_equal(extract(&m, NULL, r, why), 0);
	assert_int_equal(r->n, EXTRACT_MAX_ITEMS + 1);
	for (int i = 0; i < EXTRACT_MAX_ITEMS; i++) {
		assert_int_equal(r->item[i].kind, EXTRACT_FRAME);
		assert_memory_equal(r->item[i].data, ed, ed_len);
	}
	assert_int_equal(r->item[EXTRACT_MAX_ITEMS].kind, EXTRACT_TOO_MANY);
	talloc_free(m.p);
	talloc_free(r);
}

/* Armours in text parts: several in one part, one broken, text around;
 * a text part whose base64 is garbage is one malformed item. */
static void test_text_parts(void **state)
{
	char a1[400], a2[400];
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mail m = mixed();
	char why[160];

	assert_true(armour_encode(a1, sizeof(a1), ed, ed_len) > 0);
	assert_true(armour_encode(a2, sizeof(a2), ec, ec_len) > 0);
	putf(&m, "--=-b\r\nContent-Type: text/plain\r\n\r\nfirst %.40s\r\n%s.\r\nthen %s; and TXL1:AB$\r\n",
	     a1, a1 + 40, a2);
	putf(&m, "--=-b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		 "VFhMMTpB\r\n%%%%\r\n");
	putf(&m, "--=-b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-unknown\r\n\r\n"
		 "%s\r\n--=-b--\r\n", a1);
	assert_int_equal(extract(&m, NULL, r, why), 0);
	assert_int_equal(r->n, 4);
	assert_int_equal(r->item[0].kind, EXTRACT_FRAME);
	assert_memory_equal(r->item[0].data, ed, ed_len);
	assert_int_equal(r->item[1].kind, EXTRACT_FRAME);
	assert_memory_equal(r->item[1].data, ec, ec_len);
	assert_int_equal(r->item[2].kind, EXTRACT_MALFORMED);	/* TXL1:AB */
	assert_int_equal(r->item[3].kind, EXTRACT_MALFORMED);
	assert_memory_equal(r->item[3].data, "TXL1:A", 6);
	talloc_free(m.p);
	talloc_free(r);
}

/* Refused mails: r->n is 0 and why says what; no frame is not refused. */
static void test_refusals(void **state)
{
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct mail m = mixed();
	char why[160];

	attach(&m, "base64", ed, ed_len);
	putf(&m, "--=-b\r\nContent-Type: text/plain\r\n\r\n");
	for (int i = 0; i < 300; i++)
		putf(&m, "a long text, line %d\r\n", i);
	putf(&m, "--=-b--\r\n");
	lim.max_part = 4096;
	assert_int_equal(extract(&m, &lim, r, why), -EMSGSIZE);
	assert_string_equal(why, "part too long (limit 4096 bytes decoded)");
	assert_int_equal(r->n, 0);
	lim.max_part = 8192;
	assert_int_equal(extract(&m, &lim, r, why), 0);
	assert_int_equal(r->n, 1);
	lim.max_parts = 1;
	assert_int_equal(extract(&m, &lim, r, why), -EMSGSIZE);
	assert_string_equal(why, "too many parts (limit 1)");
	assert_int_equal(r->n, 0);
	talloc_free(m.p);

	m = (struct mail){ 0 };
	putf(&m, "not a mail, no header\r\nTXL1:AAAA\r\n");
	assert_int_equal(extract(&m, NULL, r, why), -EINVAL);
	assert_string_equal(why, "no header field: not a mail");
	talloc_free(m.p);

	m = (struct mail){ 0 };
	putf(&m, "From: a\r\nContent-Type: text/html\r\n\r\n%s\r\n", "TXL1:AAAA");
	assert_int_equal(extract(&m, NULL, r, why), 0);
	assert_int_equal(r->n, 0);
	talloc_free(m.p);
	talloc_free(r);
}

/* A whole mail that is a frame, and a text mail with a frame in it. */
static void test_single_part(void **state)
{
	static const struct want w[] = { FRAME_EC };
	struct extract_result *r = talloc_zero(NULL, struct extract_result);
	struct mail m = { 0 };
	char why[160], a[400];

	putf(&m, "From: a\r\nContent-Type: application/vnd.txlog\r\nContent-Transfer-Encoding: binary\r\n\r\n");
	put(&m, ec, ec_len);
	putf(&m, "\r\n");	/* the line end SMTP DATA ends with */
	assert_int_equal(extract(&m, NULL, r, why), 0);
	check_items(r, w, 1);
	talloc_free(m.p);
	m = (struct mail){ 0 };
	assert_true(armour_encode(a, sizeof(a), ec, ec_len) > 0);
	putf(&m, "From: a\n\n%s\n", a);	/* bare LF */
	assert_int_equal(extract(&m, NULL, r, why), 0);
	check_items(r, w, 1);
	talloc_free(m.p);
	talloc_free(r);
}

/* ---- charsets ---- */

static void utf8_is(const char *charset, const void *in, size_t len, const char *want)
{
	char *out;
	size_t n;

	assert_int_equal(mime_text_to_utf8(NULL, charset, in, len, &out, &n), 0);
	if (n != strlen(want))
		print_message("%s: %zu bytes\n", charset, n);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	talloc_free(out);
}

static void test_charsets(void **state)
{
	utf8_is("", "plain", 5, "plain");
	utf8_is("us-ascii", "a\xe9", 2, "a" CHARSET_REPLACEMENT_UTF8);	/* lenient */
	utf8_is("utf-8", "caf\xc3\xa9", 5, "caf\xc3\xa9");
	utf8_is("iso-8859-1", "caf\xe9", 4, "caf\xc3\xa9");
	utf8_is("latin1", "\xff", 1, "\xc3\xbf");
	/* RFC 2781 §4.3: UTF-16 is big-endian unless a BOM says otherwise */
	utf8_is("utf-16", "\0T\0X", 4, "TX");
	utf8_is("utf-16", "\xfe\xff\0T\0X", 6, "TX");
	utf8_is("utf-16", "\xff\xfeT\0X\0", 6, "TX");
	utf8_is("utf-16le", "T\0X\0\xac\x20", 6, "TX\xe2\x82\xac");
	utf8_is("utf-16be", "\xfe\xff\0T", 4, "T");
	utf8_is("utf-16le", "T\0X", 3, "T" CHARSET_REPLACEMENT_UTF8);	/* odd byte */
	utf8_is("utf-16", "\xd8\x3d\xde\x00", 4, "\xf0\x9f\x98\x80");	/* surrogate pair */
	/* through iconv */
	utf8_is("windows-1252", "5 \x80", 3, "5 \xe2\x82\xac");
	utf8_is("iso-8859-15", "\xa4", 1, "\xe2\x82\xac");
	utf8_is("koi8-r", "\xc1", 1, "\xd0\xb0");
	utf8_is("iso-8859-6", "a\xa1" "b", 3, "a" CHARSET_REPLACEMENT_UTF8 "b");	/* unassigned */
	utf8_is("shift_jis", "a\x82", 2, "a" CHARSET_REPLACEMENT_UTF8);	/* cut at the end */
	utf8_is("iso-2022-jp", "\x1b$B$\"\x1b(BTXL1:", 13, "\xe3\x81\x82TXL1:");
	/* unknown to iconv: read as US-ASCII */
	utf8_is("x-no-such-charset", "TXL1:\xff", 6, "TXL1:" CHARSET_REPLACEMENT_UTF8);
	utf8_is("utf-8", "", 0, "");
	utf8_is("windows-1252", "", 0, "");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_mails),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_malformed_parts),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_text_parts),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_single_part),
		cmocka_unit_test(test_charsets),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
