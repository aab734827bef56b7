/*
 * test_mail_form — contrib/sim/mail_form.c: TXLOG uploads as mails.
 *
 * Every mail is taken apart here by a small MIME walker written for the
 * test (RFC 5322 header fields with folding, RFC 2046 §5.1.1 delimiters,
 * message/rfc822, base64 and quoted-printable, UTF-16 with its BOM) and
 * must give back exactly the frames it was built from, in order: the
 * application/vnd.txlog parts decoded, the armours of text/plain parts
 * found by armour_next() (txlog-v1.md, "Armoured text form").  Along the
 * way: CRLF line ends only (RFC 5322 §2.1), base64 and QP lines of at most
 * 76 characters (RFC 2045 §6.8, §6.7 rule 5), 7bit parts in ASCII, every
 * boundary declared, closed and found nowhere but on its delimiter lines.
 * Frames are the vectors' and seeded random ones from 112 to 2004 bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "contrib/sim/mail_form.h"
#include "gateway/sms/charset.h"
#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"
#include "tests/unit/txlog_vectors.h"

#define MAX_FOUND	16
#define FROM		"886912345678@handset.example"
#define TO		"upload@txlog.example"

struct found {
	unsigned n;
	size_t len[MAX_FOUND];
	uint8_t data[MAX_FOUND][TXL_MAX_LEN];
	unsigned texts, htmls, rfc822s;	/* parts seen */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- the walker ---- */

/* Lines of buf[len]: CRLF only, at most max characters each. */
static void check_lines(const char *buf, size_t len, size_t max)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\r') {
			assert_true(i + 1 < len && buf[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		assert_true(buf[i] != '\n');	/* a bare LF */
		col++;
		if (col > max)
			fail_msg("a line of more than %zu characters: %.80s", max, buf + i + 1 - col);
	}
}

/* The value of header field name in the header block hdr[hlen], unfolded
 * (RFC 5322 §2.2.3), into out[cap]; false when absent. */
static bool header(const char *hdr, size_t hlen, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), o = 0;

	for (size_t i = 0; i < hlen;) {
		const char *eol = memmem(hdr + i, hlen - i, "\r\n", 2);
		size_t e = eol ? (size_t)(eol - hdr) : hlen;
		if (e - i > nl && !strncasecmp(hdr + i, name, nl) && hdr[i + nl] == ':') {
			size_t v = i + nl + 1;
			for (;;) {
				while (v < e && o + 1 < cap)
					out[o++] = hdr[v++];
				if (e + 2 < hlen && (hdr[e + 2] == ' ' || hdr[e + 2] == '\t')) {
					v = e + 2;
					eol = memmem(hdr + v, hlen - v, "\r\n", 2);
					e = eol ? (size_t)(eol - hdr) : hlen;
					continue;
				}
				break;
			}
			out[o] = 0;
			return true;
		}
		i = e + 2;
	}
	return false;
}

/* A parameter of a Content-Type value ("name=value" or name="value"). */
static bool param(const char *ct, const char *name, char *out, size_t cap)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	p = strcasestr(ct, key);
	if (!p)
		return false;
	p += strlen(key);
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (p[n] && p[n] != '"')
			n++;
	} else {
		while (p[n] && p[n] != ';' && p[n] != ' ')
			n++;
	}
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

/* Quoted-printable (RFC 2045 §6.7): soft breaks removed, =XX decoded;
 * anything else after "=" fails the test. */
static size_t qp_decode(const char *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] != '=') {
			out[o++] = (uint8_t)in[i];
			continue;
		}
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
			i += 2;
			continue;
		}
		assert_true(i + 2 < len);
		unsigned v;
		char hx[3] = { in[i + 1], in[i + 2], 0 };
		assert_int_equal(sscanf(hx, "%2X", &v), 1);
		assert_true(strchr("0123456789ABCDEF", hx[0]) && strchr("0123456789ABCDEF", hx[1]));
		out[o++] = (uint8_t)v;
		i += 2;
	}
	return o;
}

static void found_add(struct found *f, const uint8_t *b, size_t n)
{
	assert_true(f->n < MAX_FOUND);
	assert_true(n <= TXL_MAX_LEN);
	memcpy(f->data[f->n], b, n);
	f->len[f->n++] = n;
}

/* The armours of UTF-8 text; every one must decode. */
static void scan_text(struct found *f, const char *text, size_t len)
{
	struct armour_scan s;
	struct armour_hit hit;
	uint8_t out[TXL_MAX_LEN];

	armour_scan_init(&s);
	while (armour_next(&s, text, len, &hit, out, sizeof(out)) == 1) {
		assert_int_equal(hit.err, 0);
		found_add(f, out, hit.len);
	}
}

/* A text part's bytes in charset to UTF-8 (utf-16 needs its BOM). */
static void text_part(struct found *f, const char *charset, const uint8_t *b, size_t n)
{
	if (!strcasecmp(charset, "utf-16")) {
		char *u = malloc(2 * n + 1);
		uint8_t *be = malloc(n + 1);
		assert_true(n >= 2 && n % 2 == 0);
		bool le = b[0] == 0xff && b[1] == 0xfe;
		assert_true(le || (b[0] == 0xfe && b[1] == 0xff));
		for (size_t i = 2; i < n; i += 2) {
			be[i - 2] = le ? b[i + 1] : b[i];
			be[i - 1] = le ? b[i] : b[i + 1];
		}
		int k = charset_ucs2_to_utf8(u, 2 * n + 1, be, n - 2, 0, NULL);
		assert_true(k >= 0);
		check_lines(u, (size_t)k, SIZE_MAX);	/* CRLF inside the text too; base64 allows long lines */
		scan_text(f, u, (size_t)k);
		free(u);
		free(be);
		return;
	}
	assert_true(!strcasecmp(charset, "utf-8") || !strcasecmp(charset, "us-ascii"));
	assert_true(charset_utf8_check((const char *)b, n) >= 0);
	scan_text(f, (const char *)b, n);
}

/* A leaf part's body decoded by its transfer encoding, then used. */
static void leaf(struct found *f, const char *type, const char *charset, const char *cte,
		 const char *body, size_t len)
{
	uint8_t *dec = malloc(len + 1);
	size_t n;

	if (!strcasecmp(cte, "base64")) {
		const char *why;
		check_lines(body, len, 76);
		int k = b64_decode(dec, len + 1, body, len, &why);
		if (k < 0)
			fail_msg("base64 part does not decode: %s", why);
		n = (size_t)k;
	} else if (!strcasecmp(cte, "quoted-printable")) {
		check_lines(body, len, 76);
		n = qp_decode(body, len, dec);
	} else {
		assert_string_equal(cte, "7bit");
		for (size_t i = 0; i < len; i++)
			assert_true((uint8_t)body[i] < 0x80 && body[i]);
		memcpy(dec, body, len);
		n = len;
	}
	if (!strcmp(type, "application/vnd.txlog")) {
		found_add(f, dec, n);
	} else if (!strcmp(type, "text/plain")) {
		f->texts++;
		text_part(f, charset, dec, n);
	} else {
		assert_string_equal(type, "text/html");
		f->htmls++;
		assert_true(charset_utf8_check((const char *)dec, n) >= 0);
	}
	free(dec);
}

static void entity(struct found *f, const char *buf, size_t len, unsigned depth);

/* The body parts of a multipart entity between its delimiter lines. */
static void multipart(struct found *f, const char *body, size_t len, const char *bd, unsigned depth)
{
	char delim[256], close[256];
	size_t dl, start = 0, count = 0;
	bool in_part = false, closed = false;

	snprintf(delim, sizeof(delim), "--%s", bd);
	snprintf(close, sizeof(close), "--%s--", bd);
	dl = strlen(delim);
	for (size_t i = 0; i < len && !closed;) {
		const char *eol = memmem(body + i, len - i, "\r\n", 2);
		size_t e = eol ? (size_t)(eol - body) : len;
		bool is_delim = e - i == dl && !memcmp(body + i, delim, dl);
		bool is_close = e - i == dl + 2 && !memcmp(body + i, close, dl + 2);
		if (is_delim || is_close) {
			if (in_part)	/* the CRLF before the delimiter is not content */
				entity(f, body + start, i - 2 - start, depth + 1);
			in_part = true;
			start = e + 2;
			closed = is_close;
			count++;
		} else {
			/* RFC 2046 §5.1.1: the boundary must not occur in the content */
			assert_null(memmem(body + i, e - i, bd, strlen(bd)));
		}
		i = e + 2;
	}
	assert_true(closed);
	assert_true(count >= 2);
}

/* One entity (message or body part): header block, blank line, body. */
static void entity(struct found *f, const char *buf, size_t len, unsigned depth)
{
	const char *sep = memmem(buf, len, "\r\n\r\n", 4);
	char ct[512] = "text/plain", cte[64] = "7bit", type[128], charset[64] = "us-ascii", bd[200];
	size_t hlen;

	assert_non_null(sep);
	assert_true(depth < 6);
	hlen = (size_t)(sep - buf) + 2;
	header(buf, hlen, "Content-Type", ct, sizeof(ct));
	header(buf, hlen, "Content-Transfer-Encoding", cte, sizeof(cte));
	memmove(cte, cte + strspn(cte, " "), strlen(cte + strspn(cte, " ")) + 1);
	sscanf(ct, " %127[^; ]", type);
	for (char *p = type; *p; p++)
		*p = (char)(*p | 0x20);
	param(ct, "charset", charset, sizeof(charset));
	const char *body = sep + 4;
	size_t blen = len - (size_t)(body - buf);
	if (!strncmp(type, "multipart/", 10)) {
		assert_true(param(ct, "boundary", bd, sizeof(bd)));
		assert_non_null(strstr(bd, "=_"));
		multipart(f, body, blen, bd, depth);
	} else if (!strcmp(type, "message/rfc822")) {
		f->rfc822s++;
		entity(f, body, blen, depth + 1);
	} else {
		leaf(f, type, charset, cte, body, blen);
	}
}

/* A whole mail: lines, the header fields every mail has, then its frames. */
static void walk(const char *mail, size_t len, struct found *f)
{
	const char *sep = memmem(mail, len, "\r\n\r\n", 4);
	char v[512];
	size_t hlen;

	memset(f, 0, sizeof(*f));
	assert_int_equal(strlen(mail), len);
	for (size_t i = 0; i < len; i++)	/* 7-bit: every body is base64, QP or ASCII */
		assert_true((uint8_t)mail[i] < 0x80);
	check_lines(mail, len, 998);
	assert_true(len >= 2 && !memcmp(mail + len - 2, "\r\n", 2));
	assert_non_null(sep);
	hlen = (size_t)(sep - mail) + 2;
	assert_true(header(mail, hlen, "From", v, sizeof(v)));
	assert_string_equal(v, " <" FROM ">");
	assert_true(header(mail, hlen, "To", v, sizeof(v)));
	assert_string_equal(v, " <" TO ">");
	assert_true(header(mail, hlen, "Subject", v, sizeof(v)));
	assert_true(header(mail, hlen, "Message-ID", v, sizeof(v)));
	assert_true(v[1] == '<' && strchr(v, '@') && v[strlen(v) - 1] == '>');
	assert_true(header(mail, hlen, "MIME-Version", v, sizeof(v)));
	assert_string_equal(v, " 1.0");
	assert_true(header(mail, hlen, "Date", v, sizeof(v)));
	entity(f, mail, len, 0);
}

/* ---- the tests ---- */

static const struct mail_head head0 = {
	.from = FROM, .to = TO, .subject = "TXLOG upload", .date = 1795000000, .unique = 0x1234,
};

/* Build shape with frames, walk it, and compare what comes back. */
static void round_trip(enum mail_shape shape, uint32_t variant, const struct mail_frame *fr, unsigned n)
{
	struct mail_head h = head0;
	struct found *f = malloc(sizeof(*f));
	char *mail;
	size_t len;

	h.variant = variant;
	h.unique = 0xabcdef0000ull + variant;
	assert_int_equal(mail_form(NULL, shape, &h, fr, n, &mail, &len), 0);
	walk(mail, len, f);
	if (f->n != n)
		fail_msg("%s variant %#x: %u frames back of %u", mail_shape_name(shape), variant, f->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(f->len[i], fr[i].len);
		assert_memory_equal(f->data[i], fr[i].data, fr[i].len);
	}
	switch (shape) {
	case MAIL_ALTERNATIVE:
		assert_int_equal(f->htmls, 1);
		assert_int_equal(f->texts, 1);
		break;
	case MAIL_RFC822:
		assert_int_equal(f->rfc822s, 1);
		break;
	case MAIL_QP:
	case MAIL_UTF16:
		assert_int_equal(f->texts, 1);
		break;
	default:
		break;
	}
	talloc_free(mail);
	free(f);
}

/* Every vector frame in every shape and variant, alone and all at once. */
static void test_vectors_every_shape(void **state)
{
	struct tv_set set;
	struct mail_frame fr[8];
	static uint8_t bytes[8][TXL_MAX_LEN];
	unsigned n = 0;

	assert_true(tv_load(&set) > 0);
	for (int i = 0; i < set.n && n < 8; i++) {
		if (!set.v[i].frame)
			continue;
		int k = tv_hex(set.v[i].frame, bytes[n], TXL_MAX_LEN);
		if (k <= 0)
			continue;
		fr[n] = (struct mail_frame){ .data = bytes[n], .len = (size_t)k, .device_id = n, .upload_seq = n };
		n++;
	}
	tv_free(&set);
	assert_true(n >= 2);
	for (unsigned s = 0; s < MAIL_SHAPE_COUNT; s++) {
		for (uint32_t v = 0; v < 64; v++) {
			round_trip((enum mail_shape)s, v, fr, 1);
			round_trip((enum mail_shape)s, v, fr + (v % n), 1);
		}
		round_trip((enum mail_shape)s, 0x5a, fr, n);
	}
}

/* Random frames of every length class, 1..5 per mail, seeded. */
static void test_random(void **state)
{
	uint64_t r = test_seed() | 1;
	static uint8_t bytes[5][TXL_MAX_LEN];
	struct mail_frame fr[5];
	time_t t0 = time(NULL);

	for (unsigned round = 0; round < 600 && time(NULL) - t0 < 3; round++) {
		unsigned n = 1 + (unsigned)(rnd(&r) % 5);
		for (unsigned i = 0; i < n; i++) {
			size_t len = rnd(&r) % 3 ? TXL_MIN_LEN + rnd(&r) % 400 : TXL_MIN_LEN + rnd(&r) % (TXL_MAX_LEN - TXL_MIN_LEN + 1);
			for (size_t k = 0; k < len; k++)
				bytes[i][k] = (uint8_t)rnd(&r);
			fr[i] = (struct mail_frame){ .data = bytes[i], .len = len, .device_id = rnd(&r),
						     .upload_seq = (uint32_t)rnd(&r) };
		}
		round_trip((enum mail_shape)(rnd(&r) % MAIL_SHAPE_COUNT), (uint32_t)rnd(&r), fr, n);
	}
}

/* The longest frame (txlog-v1.md: 32 records with 32-byte items). */
static void test_longest(void **state)
{
	static uint8_t big[TXL_MAX_LEN];
	struct mail_frame fr[2] = { { .data = big, .len = TXL_MAX_LEN }, { .data = big, .len = TXL_MIN_LEN } };

	memset(big, 0xff, sizeof(big));	/* "/" and "=" padding in base64, "=" as =3D in QP */
	for (unsigned s = 0; s < MAIL_SHAPE_COUNT; s++)
		for (uint32_t v = 0; v < 16; v++)
			round_trip((enum mail_shape)s, v, fr, 2);
}

/* A person's mail: the text comes back through QP, and holds no frame. */
static void test_text(void **state)
{
	/* trailing blanks (RFC 2045 §6.7 rule 3), "=", long lines (rule 5) */
	static const char text[] =
		"Why was I charged twice yesterday at the station?  \n"
		"a=b\tc\t\n"
		"Grüße 謝謝 👋 and a very long line that goes on and on past seventy-six columns, "
		"surely more than one QP line ======== é é é é é é é é é é é é é é é é é é é é é\n"
		"end";
	struct mail_head h = head0;
	struct found *f = malloc(sizeof(*f));
	uint8_t dec[sizeof(text) * 3];
	char *mail, ct[128];
	size_t len;

	assert_int_equal(mail_form_text(NULL, &h, text, sizeof(text) - 1, &mail, &len), 0);
	walk(mail, len, f);
	assert_int_equal(f->n, 0);
	assert_int_equal(f->texts, 1);
	const char *body = strstr(mail, "\r\n\r\n") + 4;
	assert_true(header(mail, (size_t)(body - mail), "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, " text/plain; charset=utf-8");
	size_t n = qp_decode(body, len - (size_t)(body - mail), dec);
	/* our line ends are CRLF in the mail; the body ends with one */
	char expect[sizeof(text) + 8], *o = expect;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			*o++ = '\r';
		*o++ = *p;
	}
	memcpy(o, "\r\n", 2);
	o += 2;
	assert_int_equal(n, (size_t)(o - expect));
	assert_memory_equal(dec, expect, n);
	assert_non_null(strstr(body, "=20\r\n"));	/* the trailing blanks */
	assert_non_null(strstr(body, "a=3Db"));
	talloc_free(mail);
	free(f);
}

/* Refusals: no frame, an unknown shape, a header value with a line
 * break (header injection), a frame over TXL_MAX_LEN. */
static void test_refusals(void **state)
{
	uint8_t b[TXL_MAX_LEN + 1] = { 0 };
	struct mail_frame fr = { .data = b, .len = TXL_MIN_LEN };
	struct mail_head h = head0;
	char *mail = NULL;
	size_t len = 0;

	assert_int_equal(mail_form(NULL, MAIL_ATTACH, &h, &fr, 0, &mail, &len), -EINVAL);
	assert_int_equal(mail_form(NULL, MAIL_SHAPE_COUNT, &h, &fr, 1, &mail, &len), -EINVAL);
	h.subject = "hi\r\nBcc: victim@example.org";
	assert_int_equal(mail_form(NULL, MAIL_QP, &h, &fr, 1, &mail, &len), -EINVAL);
	assert_int_equal(mail_form_text(NULL, &h, "x", 1, &mail, &len), -EINVAL);
	h = head0;
	h.from = NULL;
	assert_int_equal(mail_form(NULL, MAIL_QP, &h, &fr, 1, &mail, &len), -EINVAL);
	h = head0;
	fr.len = TXL_MAX_LEN + 1;
	assert_int_equal(mail_form(NULL, MAIL_ATTACH, &h, &fr, 1, &mail, &len), -EINVAL);
	assert_null(mail);
}

static void test_names(void **state)
{
	for (unsigned s = 0; s < MAIL_SHAPE_COUNT; s++)
		assert_int_equal(mail_shape_parse(mail_shape_name((enum mail_shape)s)), s);
	assert_int_equal(mail_shape_parse("mix"), MAIL_SHAPE_COUNT);
	assert_string_equal(mail_shape_name(MAIL_UTF16), "utf16");
}

/* Two mails differ in their boundaries and Message-ID by unique. */
static void test_unique(void **state)
{
	uint8_t b[TXL_MIN_LEN] = { 1 };
	struct mail_frame fr = { .data = b, .len = sizeof(b) };
	struct mail_head h1 = head0, h2 = head0;
	char *m1, *m2, id1[128], id2[128];
	size_t l1, l2;

	h2.unique = h1.unique + 1;
	assert_int_equal(mail_form(NULL, MAIL_RFC822, &h1, &fr, 1, &m1, &l1), 0);
	assert_int_equal(mail_form(NULL, MAIL_RFC822, &h2, &fr, 1, &m2, &l2), 0);
	assert_true(header(m1, l1, "Message-ID", id1, sizeof(id1)));
	assert_true(header(m2, l2, "Message-ID", id2, sizeof(id2)));
	assert_string_not_equal(id1, id2);
	assert_non_null(strstr(m1, "Subject: Fwd: TXLOG upload\r\n"));
	assert_non_null(strstr(m1, "Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"));
	talloc_free(m1);
	talloc_free(m2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_every_shape),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_unique),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
