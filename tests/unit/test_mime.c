/*
 * test_mime.c — the MIME push parser (mail/mime.c, mime_header.c) and the
 * transfer decoders (b64stream.c, qp.c): header folding (RFC 5322 §2.2.3),
 * parameters (RFC 2045 §5.1, RFC 2231 examples), nested multiparts (RFC
 * 2046 §5.1), digest defaults (§5.1.5), delimiter edge cases, base64
 * (RFC 2045 §6.8) and quoted-printable (§6.7), chunking invariance
 * (seeded: TXGW_TEST_SEED), every limit and the hostile cases (bombs, a
 * boundary that never ends, a NUL in a header).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "mail/b64stream.h"
#include "mail/mime.h"
#include "mail/mime_header.h"
#include "mail/qp.h"

/* ---- a recorder: each leaf part as one line of text ---- */

struct rec {
	char *log;		/* talloc string: one line a part */
	bool take;		/* take the parts' bytes */
	size_t enough_at;	/* part_data returns 1 once this many bytes came (0: never) */
	size_t got;
};

static int rec_begin(void *data, const struct mime_part *p)
{
	struct rec *r = data;
	static const char *const cte[] = { "7bit", "base64", "qp", "unknown" };

	r->log = talloc_asprintf_append(r->log, "%u:%s:%s:%s:", p->depth, p->type,
					p->charset[0] ? p->charset : "-", cte[p->cte]);
	r->got = 0;
	return r->take;
}

static int rec_data(void *data, const uint8_t *buf, size_t len)
{
	struct rec *r = data;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '\\')
			r->log = talloc_asprintf_append(r->log, "%c", buf[i]);
		else
			r->log = talloc_asprintf_append(r->log, "\\x%02x", buf[i]);
	}
	r->got += len;
	return r->enough_at && r->got >= r->enough_at;
}

static int rec_end(void *data, int err, const char *why)
{
	struct rec *r = data;

	if (err)
		r->log = talloc_asprintf_append(r->log, ":err %d %s", err, why);
	r->log = talloc_asprintf_append(r->log, "\n");
	return 0;
}

static const struct mime_cb rec_cb = { rec_begin, rec_data, rec_end };

struct result {
	int rc;
	char *log;
	char why[160];
	unsigned defects, parts;
};

/* Parse mail[len] in pieces of chunk bytes (0: one piece; SIZE_MAX-1:
 * random sizes from *seed). */
static struct result parse_ex(const void *mail, size_t len, const struct mime_limits *lim,
			      size_t chunk, unsigned *seed)
{
	struct rec r = { .log = talloc_strdup(NULL, ""), .take = true };
	struct mime *m = mime_new(r.log, lim, &rec_cb, &r);
	const uint8_t *p = mail;
	struct result res = { 0 };

	assert_non_null(m);
	while (len) {
		size_t n = chunk ? chunk : len;

		if (seed)
			n = 1 + (size_t)rand_r(seed) % 97;
		if (n > len)
			n = len;
		if (mime_feed(m, p, n))
			break;
		p += n;
		len -= n;
	}
	res.rc = mime_end(m);
	snprintf(res.why, sizeof(res.why), "%s", mime_error(m));
	res.defects = mime_defects(m);
	res.parts = mime_parts(m);
	res.log = talloc_strdup(NULL, r.log);
	talloc_free(r.log);
	return res;
}

static struct result parse(const char *mail, const struct mime_limits *lim)
{
	return parse_ex(mail, strlen(mail), lim, 0, NULL);
}

static void expect(const char *mail, const char *log)
{
	struct result res = parse(mail, NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, log);
	talloc_free(res.log);
}

/* ---- headers ---- */

static void test_simple(void **state)
{
	expect("From: a@example.com\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n",
	       "0:text/plain:-:7bit:line 1\\x0d\\x0aline 2\n");
	/* bare LF accepted; the last line end belongs to the end */
	expect("From: a@example.com\n\nline 1\nline 2\n", "0:text/plain:-:7bit:line 1\\x0aline 2\n");
	/* no body at all, no empty line */
	expect("From: a@example.com\r\n", "0:text/plain:-:7bit:\n");
}

/* RFC 5322 §2.2.3: a field folded over lines; names in any case. */
static void test_folding(void **state)
{
	expect("From: a@example.com\r\nCONTENT-type:\r\n text/plain;\r\n\tcharset=\r\n \"ISO-8859-1\"\r\n"
	       "content-TRANSFER-encoding: \r\n  Quoted-Printable\r\n\r\nx=3Dy\r\n",
	       "0:text/plain:iso-8859-1:qp:x=y\n");
	/* obsolete blanks before the colon (RFC 5322 §4.5.3) */
	expect("From: a\r\nContent-Type : text/html\r\n\r\n<p>", "0:text/html:-:7bit:<p>\n");
	/* the first Content-Type counts */
	expect("From: a\r\nContent-Type: text/html\r\nContent-Type: image/png\r\n\r\nx",
	       "0:text/html:-:7bit:x\n");
}

/* RFC 2045 §5.1 parameters: quoted strings, comments; RFC 2045 §5.2 defaults. */
static void test_params(void **state)
{
	expect("From: a\r\nContent-Type: text/plain (plain text); charset=\"us-\\\"ascii\" (c(nested))\r\n\r\nx",
	       "0:text/plain:us-\"ascii:7bit:x\n");
	expect("From: a\r\nContent-Type: TEXT/Plain;charset=UTF-8;format=flowed\r\n\r\nx",
	       "0:text/plain:utf-8:7bit:x\n");
	/* syntactically invalid: text/plain; charset=us-ascii (RFC 2045 §5.2) */
	struct result res = parse("From: a\r\nContent-Type: garbage; charset=koi8-r\r\n\r\nx", NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "0:text/plain:-:7bit:x\n");
	assert_true(res.defects & MIME_DEF_BAD_TYPE);
	talloc_free(res.log);
}

/* RFC 2231 §3, §4, §4.1 worked examples. */
static void test_rfc2231(void **state)
{
	char out[128];
	const char *v;

	v = "message/external-body; access-type=URL;\n URL*0=\"ftp://\";\n"
	    " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"";
	assert_int_equal(mime_header_param(v, strlen(v), "url", out, sizeof(out)), 54);
	assert_string_equal(out, "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	v = "application/x-stuff;\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A";
	assert_true(mime_header_param(v, strlen(v), "title", out, sizeof(out)) > 0);
	assert_string_equal(out, "This is ***fun***");
	v = "application/x-stuff;\n title*0*=us-ascii'en'This%20is%20even%20more%20;\n"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n title*2=\"isn't it!\"";
	assert_true(mime_header_param(v, strlen(v), "title", out, sizeof(out)) > 0);
	assert_string_equal(out, "This is even more ***fun*** isn't it!");
	/* absent, too long, and a plain value for old readers beside *0 */
	assert_int_equal(mime_header_param(v, strlen(v), "name", out, sizeof(out)), -ENOENT);
	assert_int_equal(mime_header_param(v, strlen(v), "title", out, 10), -ENOSPC);
	v = "multipart/mixed; boundary=old; boundary*0=ne; boundary*1=w";
	assert_int_equal(mime_header_param(v, strlen(v), "boundary", out, sizeof(out)), 3);
	assert_string_equal(out, "new");
	/* continuations of boundary and charset in a real header */
	expect("From: a\r\nContent-Type: multipart/mixed;\r\n boundary*0=\"ab\";\r\n boundary*1=\"cd\"\r\n\r\n"
	       "--abcd\r\nContent-Type: text/plain; charset*=utf-8''ISO-8859-1\r\n\r\nx\r\n--abcd--\r\n",
	       "1:text/plain:iso-8859-1:7bit:x\n");
}

/* ---- multiparts ---- */

/* mixed > (alternative > plain, html), related > (html, image), attachment;
 * preamble and epilogue everywhere, all ignored (RFC 2046 §5.1.1). */
static const char nested_mail[] =
	"From: a@example.com\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	"\r\n"
	"This is the preamble.\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=alt\r\n"
	"\r\n"
	"alt preamble\r\n"
	"--alt\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"plain\r\n"
	"\r\n"
	"--alt\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<b>html</b>\r\n"
	"--alt--\r\n"
	"alt epilogue\r\n"
	"--outer\r\n"
	"Content-Type: multipart/related; boundary=\"rel\"; type=\"text/html\"\r\n"
	"\r\n"
	"--rel\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<img src=cid:x>\r\n"
	"--rel\r\n"
	"Content-Type: image/png\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"iVBO\r\n"
	"Rw==\r\n"
	"--rel--\r\n"
	"--outer\r\n"
	"Content-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"AAEC\r\n"
	"--outer--\r\n"
	"This is the epilogue.\r\n"
	"--outer\r\n"
	"Content-Type: text/plain\r\n\r\nafter the close: epilogue too\r\n";

static const char nested_log[] =
	"2:text/plain:us-ascii:7bit:plain\\x0d\\x0a\n"
	"2:text/html:-:7bit:<b>html</b>\n"
	"2:text/html:-:7bit:<img src=cid:x>\n"
	"2:image/png:-:base64:\\x89PNG\n"
	"1:application/octet-stream:-:base64:\\x00\\x01\\x02\n";

static void test_nested(void **state)
{
	struct result res = parse(nested_mail, NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, nested_log);
	assert_int_equal(res.parts, 7);	/* 3 outer parts, 2 in alt, 2 in rel */
	assert_int_equal(res.defects, 0);
	talloc_free(res.log);
}

/* RFC 2046 §5.1.5: in a digest a part without Content-Type is a message. */
static void test_digest(void **state)
{
	expect("From: a\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
	       "--d\r\n\r\nFrom: b\r\nSubject: one\r\n\r\nfirst\r\n"
	       "--d\r\nContent-Type: text/plain\r\n\r\nsecond\r\n"
	       "--d\r\n\r\nFrom: c\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
	       "--in\r\n\r\nthird\r\n--in--\r\n"
	       "--d--\r\n",
	       "2:text/plain:-:7bit:first\n"
	       "1:text/plain:-:7bit:second\n"
	       "3:text/plain:-:7bit:third\n");
	/* message/rfc822 outside a digest, and one in base64: opaque */
	expect("From: a\r\nContent-Type: multipart/mixed; boundary=d\r\n\r\n"
	       "--d\r\nContent-Type: message/rfc822\r\n\r\nFrom: b\r\n\r\nfwd\r\n"
	       "--d\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	       "RnJvbTogYgoKeA==\r\n--d--\r\n",
	       "2:text/plain:-:7bit:fwd\n"
	       "1:message/rfc822:-:base64:From: b\\x0a\\x0ax\n");
}

/* Delimiters, RFC 2046 §5.1.1: a boundary that is the prefix of a line
 * or of another boundary, blanks after it, missing close delimiter. */
static void test_boundaries(void **state)
{
	expect("From: a\r\nContent-Type: multipart/mixed; boundary=abc\r\n\r\n"
	       "--abc  \t\r\n\r\n--abcdef\r\n--abc-\r\n-abc\r\n--abc\r\n\r\nsecond\r\n--abc--  \r\n",
	       "1:text/plain:-:7bit:--abcdef\\x0d\\x0a--abc-\\x0d\\x0a-abc\n"
	       "1:text/plain:-:7bit:second\n");
	/* outer "b1", inner "b": "--b1" closes the inner multipart */
	expect("From: a\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
	       "--b1\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\n\r\ninner\r\n--b1\r\n\r\nouter\r\n--b1--\r\n",
	       "2:text/plain:-:7bit:inner\n1:text/plain:-:7bit:outer\n");
	/* outer "b", inner "b1" */
	expect("From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
	       "--b1\r\n\r\ninner\r\n--b1--\r\n--b\r\n\r\nouter\r\n--b--\r\n",
	       "2:text/plain:-:7bit:inner\n1:text/plain:-:7bit:outer\n");
	/* a part ending in its header block: empty body */
	expect("From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\nContent-Type: text/html\r\n--b--\r\n", "1:text/html:-:7bit:\n");

	struct result res = parse("From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
				  "--b\r\n\r\nno end\r\n", NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "1:text/plain:-:7bit:no end\n");
	assert_true(res.defects & MIME_DEF_NO_END);
	talloc_free(res.log);
	/* no boundary parameter: a leaf of its type */
	res = parse("From: a\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n", NULL);
	assert_string_equal(res.log, "0:multipart/mixed:-:7bit:--x\n");
	assert_true(res.defects & MIME_DEF_NO_BOUNDARY);
	talloc_free(res.log);
}

/* The same mail with bare LFs gives the same parts (base64 bodies). */
static void test_lf_only(void **state)
{
	char *lf = talloc_strdup(NULL, nested_mail), *o = lf;

	for (const char *p = nested_mail; *p; p++)
		if (*p != '\r')
			*o++ = *p;
	*o = '\0';
	struct result res = parse(lf, NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "2:text/plain:us-ascii:7bit:plain\\x0a\n"
				     "2:text/html:-:7bit:<b>html</b>\n"
				     "2:text/html:-:7bit:<img src=cid:x>\n"
				     "2:image/png:-:base64:\\x89PNG\n"
				     "1:application/octet-stream:-:base64:\\x00\\x01\\x02\n");
	talloc_free(res.log);
	talloc_free(lf);
}

/* ---- transfer encodings ---- */

static int b64_all(const char *in, uint8_t *out, const char **why)
{
	struct b64s s;
	int n, k;

	b64s_init(&s);
	n = b64s_feed(&s, (const uint8_t *)in, strlen(in), out, B64S_OUT_MAX(strlen(in)));
	if (n < 0) {
		*why = s.why;
		return n;
	}
	k = b64s_finish(&s, out + n, 2);
	*why = s.why;
	return k < 0 ? k : n + k;
}

/* RFC 4648 §10 test vectors, with line breaks and blanks; then garbage. */
static void test_base64(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
		{ "Zm9v\r\nYmFy\r\n", "foobar" }, { " Z m 9 v\tY\nm\nE=\r\n", "fooba" },
		{ "Zm9vYg", "foob" }, { "Zm9vYmE", "fooba" },	/* padding may be missing */
	};
	static const char *const bad[] = {
		"Zm9v!", "Zm9v-_", "Zg=a", "Z===", "Zg==Zg==", "Zm9vY", "Zh==", "Zm9=", "Zg=",
		"=", "Zm9vYmFy=",
	};
	uint8_t out[64];
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int n = b64_all(ok[i].in, out, &why);

		assert_int_equal(n, (int)strlen(ok[i].out));
		assert_memory_equal(out, ok[i].out, (size_t)n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(b64_all(bad[i], out, &why), -EINVAL);
		assert_true(why[0]);
	}
	/* "Zm9v\0" has a NUL: strlen stops before it; feed it explicitly */
	struct b64s s;

	b64s_init(&s);
	assert_int_equal(b64s_feed(&s, (const uint8_t *)"Zm9v\0", 5, out, sizeof(out)), -EINVAL);
	assert_int_equal(b64s_feed(&s, (const uint8_t *)"Zm9v", 4, out, sizeof(out)), -EINVAL);
	b64s_init(&s);
	assert_int_equal(b64s_feed(&s, (const uint8_t *)"Zm9v", 4, out, 2), -ENOSPC);

	/* in a mail: garbage makes the part's end report it */
	expect("From: a\r\nContent-Transfer-Encoding: base64\r\n\r\nZm9v\r\nYm$y\r\n",
	       "0:text/plain:-:base64:foo:err -22 a character outside the base64 alphabet\n");
}

static int qp_all(const char *in, size_t len, uint8_t *out, size_t chunk)
{
	struct qp q;
	int o = 0, n;

	qp_init(&q);
	for (size_t i = 0; i < len; i += chunk) {
		size_t k = len - i < chunk ? len - i : chunk;

		n = qp_feed(&q, (const uint8_t *)in + i, k, out + o, QP_OUT_MAX(k));
		assert_true(n >= 0);
		o += n;
	}
	n = qp_finish(&q, out + o, QP_OUT_MAX(0));
	assert_true(n >= 0);
	return o + n;
}

/* RFC 2045 §6.7 rules 1-5 and the lenient cases of its notes. */
static void test_qp(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Now's the time =\r\nfor all folk", "Now's the time for all folk" },
		{ "a=3Db=3db", "a=b=b" },			/* rule 1, lower case too */
		{ "trailing  \r\nnext\t \r\n", "trailing\r\nnext\r\n" },	/* rule 3 */
		{ "soft=  \r\nbreak", "softbreak" },		/* rule 5 with added blanks */
		{ "soft=\nLF", "softLF" },
		{ "bad =G1 =4 =\tx", "bad =G1 =4 =\tx" },	/* kept literally */
		{ "==41", "=A" },
		{ "a\rb\r\r\n", "a\rb\r\r\n" },
		{ "end =", "end " },				/* a soft break at the end */
		{ "end=4", "end=4" },
		{ "blanks at the end  ", "blanks at the end" },
		{ "=\r", "" },
		{ "=\rx", "=\rx" },
	};
	uint8_t out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t chunk = 1; chunk <= 4; chunk += 3) {
			int n = qp_all(cases[i].in, strlen(cases[i].in), out, chunk);

			assert_int_equal(n, (int)strlen(cases[i].out));
			assert_memory_equal(out, cases[i].out, (size_t)n);
		}
	}
	/* more blanks than a legal line holds are text, not trailing */
	char many[300];

	memset(many, ' ', 200);
	strcpy(many + 200, "x");
	assert_int_equal(qp_all(many, 201, out, 7), 201);
	assert_int_equal(qp_all(many, 200, out, 7), 200 - 200 % QP_BLANK_MAX);
}

/* A part in an unknown transfer encoding: nothing delivered, -ENOTSUP. */
static void test_unknown_cte(void **state)
{
	expect("From: a\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n",
	       "0:text/plain:-:unknown::err -95 unknown transfer encoding\n");
}

/* ---- chunking ---- */


/* A mail with every construct, long lines (CRLF cut anywhere) included. */
static char *rich_mail(void)
{
	char *m = talloc_strdup(NULL, nested_mail);
	char *tail;

	/* add a QP part and a long-line part before the outer close */
	tail = strstr(m, "--outer--");
	*tail = '\0';
	m = talloc_asprintf_append(m, "--outer\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n"
				      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				      "caf=C3=A9 =\r\nsoft  \r\n=3D end=\r\n--outer\r\n\r\n");
	char line[3001];

	for (int i = 0; i < 3000; i++)
		line[i] = (char)(i % 1000 == 999 ? '\r' : 'a' + i % 26);
	line[3000] = '\0';
	m = talloc_asprintf_append(m, "%s\r\nshort\r\n--outer--\r\nepilogue\r\n", line);
	return m;
}

static void test_chunking(void **state)
{
	char *mail = rich_mail();
	size_t len = strlen(mail);
	struct result whole = parse_ex(mail, len, NULL, 0, NULL), part;
	unsigned seed = (unsigned)test_seed();

	assert_int_equal(whole.rc, 0);
	assert_non_null(strstr(whole.log, "1:text/plain:utf-8:qp:caf\\xc3\\xa9 soft\\x0d\\x0a= end\n"));
	assert_non_null(strstr(whole.log, "\\x0d\\x0ashort\n"));
	part = parse_ex(mail, len, NULL, 1, NULL);
	assert_int_equal(part.rc, 0);
	assert_string_equal(part.log, whole.log);
	talloc_free(part.log);
	for (int i = 0; i < 200; i++) {
		part = parse_ex(mail, len, NULL, 0, &seed);
		assert_int_equal(part.rc, 0);
		assert_string_equal(part.log, whole.log);
		talloc_free(part.log);
	}
	talloc_free(whole.log);
	talloc_free(mail);
}

/* A line longer than MIME_LINE_KEEP goes through untouched, and is never
 * a delimiter; a CR inside it, or at a chunk's end, stays a CR. */
static void test_long_lines(void **state)
{
	char *mail = talloc_strdup(NULL, "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
					 "--b\r\n\r\n");
	char *want = talloc_strdup(NULL, "1:text/plain:-:7bit:");
	size_t len;

	mail = talloc_asprintf_append(mail, "--b");
	want = talloc_asprintf_append(want, "--b");
	for (int i = 0; i < MIME_LINE_KEEP; i++) {
		mail = talloc_asprintf_append(mail, i == 500 ? "\r" : " ");
		want = talloc_asprintf_append(want, i == 500 ? "\\x0d" : " ");
	}
	mail = talloc_asprintf_append(mail, "\r\r\n--b--\r\n");
	want = talloc_asprintf_append(want, "\\x0d\n");
	len = strlen(mail);
	for (size_t chunk = 0; chunk < 5; chunk++) {
		struct result res = parse_ex(mail, len, NULL, chunk ? chunk * 333 : 0, NULL);

		assert_int_equal(res.rc, 0);
		assert_string_equal(res.log, want);
		talloc_free(res.log);
	}
	talloc_free(mail);
	talloc_free(want);
}

/* part_data returning 1: nothing more of that part. */
static void test_enough(void **state)
{
	static const char mail[] = "From: a\r\n\r\n0123456789\r\nabcdef\r\n";
	struct rec r = { .log = talloc_strdup(NULL, ""), .take = true, .enough_at = 4 };
	struct mime *m = mime_new(r.log, NULL, &rec_cb, &r);

	for (size_t i = 0; i < sizeof(mail) - 1; i++)
		assert_int_equal(mime_feed(m, (const uint8_t *)mail + i, 1), 0);
	assert_int_equal(mime_end(m), 0);
	assert_string_equal(r.log, "0:text/plain:-:7bit:0123456789\n");	/* a line comes whole */
	assert_int_equal(mime_feed(m, (const uint8_t *)"x", 1), -EINVAL);	/* after the end */
	talloc_free(r.log);
}

/* ---- limits and hostile input ---- */

static char *nested(unsigned levels)
{
	char *m = talloc_strdup(NULL, "From: a\r\n");

	for (unsigned i = 0; i < levels; i++)
		m = talloc_asprintf_append(m, "Content-Type: multipart/mixed; boundary=b%u\r\n\r\n--b%u\r\n",
					   i, i);
	m = talloc_asprintf_append(m, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	for (unsigned i = levels; i-- > 0;)
		m = talloc_asprintf_append(m, "--b%u--\r\n", i);
	return m;
}

static void test_depth(void **state)
{
	char *m = nested(16);
	struct result res = parse(m, NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "16:text/plain:-:7bit:deep\n");
	talloc_free(res.log);
	talloc_free(m);
	m = nested(17);
	res = parse(m, NULL);
	assert_int_equal(res.rc, -EMSGSIZE);
	assert_string_equal(res.why, "parts nested too deep (limit 16)");
	talloc_free(res.log);
	talloc_free(m);
	/* message/rfc822 counts as nesting too */
	struct mime_limits lim = MIME_LIMITS_DEFAULT;

	lim.max_depth = 2;
	res = parse("From: a\r\nContent-Type: message/rfc822\r\n\r\nFrom: b\r\n"
		    "Content-Type: message/rfc822\r\n\r\nFrom: c\r\n\r\nx\r\n", &lim);
	assert_int_equal(res.rc, 0);
	talloc_free(res.log);
	res = parse("From: a\r\nContent-Type: message/rfc822\r\n\r\nFrom: b\r\n"
		    "Content-Type: message/rfc822\r\n\r\nFrom: c\r\n"
		    "Content-Type: message/rfc822\r\n\r\nFrom: d\r\n\r\nx\r\n", &lim);
	assert_int_equal(res.rc, -EMSGSIZE);
	talloc_free(res.log);
}

static void test_limits(void **state)
{
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	static const char three[] = "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
				    "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--\r\n";
	struct result res;
	char *big;

	lim.max_parts = 3;
	res = parse(three, &lim);
	assert_int_equal(res.rc, 0);
	talloc_free(res.log);
	lim.max_parts = 2;
	res = parse(three, &lim);
	assert_int_equal(res.rc, -EMSGSIZE);
	assert_string_equal(res.why, "too many parts (limit 2)");
	talloc_free(res.log);

	/* header block: 64 KiB by default, each part's */
	big = talloc_zero_size(NULL, 64 * 1024 + 64);
	strcpy(big, "From: a\r\nX-Big: ");
	for (size_t i = 0, o = strlen(big); i < 64 * 1024; i++, o++)
		big[o] = i % 70 == 69 ? '\n' : i % 70 == 0 ? ' ' : 'x';	/* folded lines */
	strcat(big, "\r\n\r\nbody\r\n");
	res = parse(big, NULL);
	assert_int_equal(res.rc, -EMSGSIZE);
	assert_string_equal(res.why, "header block too long (limit 65536 bytes)");
	talloc_free(res.log);
	lim = (struct mime_limits)MIME_LIMITS_DEFAULT;
	lim.max_header = 128 * 1024;
	res = parse(big, &lim);
	assert_int_equal(res.rc, 0);
	talloc_free(res.log);
	talloc_free(big);

	/* decoded bytes of a taken part */
	lim = (struct mime_limits)MIME_LIMITS_DEFAULT;
	lim.max_part = 6;
	res = parse("From: a\r\nContent-Transfer-Encoding: base64\r\n\r\nZm9vYmFy\r\n", &lim);
	assert_int_equal(res.rc, 0);
	talloc_free(res.log);
	res = parse("From: a\r\nContent-Transfer-Encoding: base64\r\n\r\nZm9vYmFyZg==\r\n", &lim);
	assert_int_equal(res.rc, -EMSGSIZE);
	assert_string_equal(res.why, "part too long (limit 6 bytes decoded)");
	talloc_free(res.log);

	lim.max_depth = 0;
	assert_null(mime_new(NULL, &lim, &rec_cb, NULL));
}

/* 100,000 parts: refused at the 1001st, quickly, whatever follows. */
static void test_part_bomb(void **state)
{
	size_t n = 100000, len;
	char *m = talloc_strdup(NULL, "From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
	clock_t t0;
	struct result res;

	static const char part[] = "--b\r\n\r\nx\r\n";
	size_t head = strlen(m), plen = sizeof(part) - 1;

	len = head + n * plen;
	m = talloc_realloc(NULL, m, char, len + 1);	/* one allocation: ASan copies on realloc */
	for (size_t i = 0; i < n; i++)
		memcpy(m + head + i * plen, part, plen);
	m[len] = '\0';
	t0 = clock();
	res = parse_ex(m, len, NULL, 4096, NULL);
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
	assert_int_equal(res.rc, -EMSGSIZE);
	assert_string_equal(res.why, "too many parts (limit 1000)");
	assert_int_equal(res.parts, 1000);
	talloc_free(res.log);
	talloc_free(m);
}

/* A boundary that never comes, and a big part nobody takes: no error,
 * nothing kept (the run is bounded by the input, not the memory). */
static void test_endless(void **state)
{
	char *m = talloc_strdup(NULL, "From: a\r\nContent-Type: multipart/mixed; boundary=never\r\n\r\n");
	struct rec r = { .log = talloc_strdup(NULL, ""), .take = false };
	struct mime *p = mime_new(r.log, NULL, &rec_cb, &r);
	uint8_t line[1024];

	assert_int_equal(mime_feed(p, (const uint8_t *)m, strlen(m)), 0);
	memset(line, '-', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 20000; i++)	/* 20 MB of preamble */
		assert_int_equal(mime_feed(p, line, sizeof(line)), 0);
	assert_int_equal(mime_end(p), 0);
	assert_int_equal(mime_parts(p), 0);
	assert_true(mime_defects(p) & MIME_DEF_NO_END);
	assert_true(talloc_total_size(r.log) < 64 * 1024);
	talloc_free(r.log);
	talloc_free(m);
}

/* A NUL in a header: that field is ignored (mime.h), the mail parsed. */
static void test_nul_header(void **state)
{
	static const char mail[] = "From: a\r\nX-Bad: a\0b\r\nContent-Type: text/html\0\r\n\r\nbody\r\n";
	struct result res = parse_ex(mail, sizeof(mail) - 1, NULL, 0, NULL);

	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "0:text/plain:-:7bit:body\n");
	assert_true(res.defects & MIME_DEF_NUL_HEADER);
	talloc_free(res.log);
	/* a NUL in the body is just a byte */
	static const char body[] = "From: a\r\n\r\na\0b";
	res = parse_ex(body, sizeof(body) - 1, NULL, 0, NULL);
	assert_string_equal(res.log, "0:text/plain:-:7bit:a\\x00b\n");
	talloc_free(res.log);
}

/* Not a mail: no header field at all.  A header block cut short by a line
 * that is no field: that line starts the body. */
static void test_not_a_mail(void **state)
{
	static const char *const bad[] = { "", "\r\n", "\r\nbody\r\n", "hello world\r\n", "no colon" };
	struct result res;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		res = parse(bad[i], NULL);
		assert_int_equal(res.rc, -EINVAL);
		assert_string_equal(res.why, "no header field: not a mail");
		talloc_free(res.log);
	}
	res = parse("From: a\r\nSubject: x\r\nthis is body\r\nmore\r\n", NULL);
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.log, "0:text/plain:-:7bit:this is body\\x0d\\x0amore\n");
	assert_true(res.defects & MIME_DEF_BAD_HEADER);
	talloc_free(res.log);
}

/* Garbage bytes, seeded: always answered, nothing kept beyond the limits. */
static void test_garbage(void **state)
{
	unsigned seed = (unsigned)test_seed();
	static const char *const words[] = {
		"\r\n", "\n", "--b", "--b--", "From: a\r\n", "Content-Type: multipart/mixed; boundary=b\r\n",
		"Content-Type: message/rfc822\r\n", "Content-Transfer-Encoding: base64\r\n",
		"Content-Transfer-Encoding: quoted-printable\r\n", "=\r\n", "QUJD", "!", " ", "\0",
	};
	struct mime_limits lim = { .max_depth = 4, .max_parts = 50, .max_header = 512, .max_part = 256 };

	for (int iter = 0; iter < 2000; iter++) {
		char *m = talloc_strdup(NULL, "From: a\r\n");
		size_t len;

		for (int w = rand_r(&seed) % 60; w > 0; w--) {
			const char *s = words[rand_r(&seed) % (sizeof(words) / sizeof(words[0]))];

			m = talloc_strndup_append_buffer(m, s[0] ? s : "\x01", strlen(s[0] ? s : "\x01"));
		}
		len = strlen(m);
		struct result a = parse_ex(m, len, &lim, 0, NULL);
		struct result b = parse_ex(m, len, &lim, 0, &seed);

		assert_int_equal(a.rc, b.rc);
		assert_true(a.rc == 0 || a.rc == -EMSGSIZE);
		if (!a.rc)
			assert_string_equal(a.log, b.log);
		talloc_free(a.log);
		talloc_free(b.log);
		talloc_free(m);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_unknown_cte),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_enough),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_part_bomb),
		cmocka_unit_test(test_endless),
		cmocka_unit_test(test_nul_header),
		cmocka_unit_test(test_not_a_mail),
		cmocka_unit_test(test_garbage),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
