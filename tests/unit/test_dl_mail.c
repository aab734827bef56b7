/*
 * test_dl_mail — the mail bearer's pure parts (gateway/gw_dl_mail_msg.c,
 * doc/downlink.md section 3): the message's exact bytes, its base64 lines
 * (RFC 2045 §6.8: 76 characters, CRLF), the relay's reply line kept for the
 * error, and how a transfer's end classifies (250, 4xx, 5xx, curl errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <curl/curl.h>
#include <osmocom/core/talloc.h>

#include "gateway/engine/outbox_req.h"
#include "gateway/gw_dl_mail.h"

#define T0_S	1795644000	/* 2026-11-25T22:00:00Z, a Wednesday */

static const struct dl_mail_head head = {
	.from = "txgw@txlog.example", .to = "dev-1@handset.example", .id = "cmd:42.a",
	.queued = 41, .gw_name = "gw1", .date_s = T0_S,
};

/* Exact bytes of a small message: every header, the base64, CRLF. */
static void test_build_exact(void **state)
{
	static const char want[] =
		"From: <txgw@txlog.example>\r\n"
		"To: <dev-1@handset.example>\r\n"
		"Date: Wed, 25 Nov 2026 22:00:00 +0000\r\n"
		"Message-ID: <cmd=42_a.41@gw1>\r\n"
		"Subject: txlog downlink cmd:42.a\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: application/vnd.txlog-downlink\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"aGkh\r\n";
	size_t len = 0;
	char *m = dl_mail_build(NULL, &head, (const uint8_t *)"hi!", 3, &len);

	assert_non_null(m);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(m, want, len);
	assert_int_equal(m[len], '\0');
	talloc_free(m);
}

/* One octet: padding; 57 octets: exactly one full line of 76. */
static void test_build_padding_and_one_line(void **state)
{
	uint8_t p[57];
	size_t len;
	char *m = dl_mail_build(NULL, &head, (const uint8_t *)"\xff", 1, &len);

	assert_non_null(strstr(m, "\r\n\r\n/w==\r\n"));
	assert_int_equal(len, (size_t)(strstr(m, "/w==\r\n") - m) + 6);
	talloc_free(m);
	for (int i = 0; i < 57; i++)
		p[i] = (uint8_t)i;
	m = dl_mail_build(NULL, &head, p, sizeof(p), &len);
	const char *body = strstr(m, "\r\n\r\n") + 4;
	assert_string_equal(body,
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n");
	talloc_free(m);
}

/* The largest payload: every line 76 characters but the last, CRLF after
 * each, no bare CR or LF anywhere, and it decodes back. */
static void test_build_lines(void **state)
{
	static uint8_t p[65536];
	size_t len, lines = 0, chars = 0;
	char *m;

	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 7 + (i >> 8));
	m = dl_mail_build(NULL, &head, p, sizeof(p), &len);
	assert_non_null(m);
	assert_int_equal(strlen(m), len);
	for (size_t i = 0; i < len; i++) {
		if (m[i] == '\r')
			assert_int_equal(m[i + 1], '\n');
		if (m[i] == '\n')
			assert_int_equal(m[i - 1], '\r');
	}
	const char *b = strstr(m, "\r\n\r\n") + 4;
	while (*b) {
		const char *e = strstr(b, "\r\n");
		assert_non_null(e);
		size_t n = (size_t)(e - b);
		assert_true(n <= DL_MAIL_B64_LINE && n % 4 == 0);
		if (e[2])
			assert_int_equal(n, DL_MAIL_B64_LINE);
		chars += n;
		lines++;
		b = e + 2;
	}
	assert_int_equal(chars, (sizeof(p) + 2) / 3 * 4);
	assert_int_equal(lines, (chars + 75) / 76);
	talloc_free(m);
}

/* The Message-ID's domain: the gateway's name when it is a dot-atom. */
static void test_msgid_domain(void **state)
{
	assert_string_equal(dl_mail_msgid_domain("gw1.example", "a@b.example"), "gw1.example");
	assert_string_equal(dl_mail_msgid_domain("gw 1", "a@b.example"), "b.example");
	assert_string_equal(dl_mail_msgid_domain("gw..1", "a@b.example"), "b.example");
	assert_string_equal(dl_mail_msgid_domain(".gw", "a@b.example"), "b.example");
	assert_string_equal(dl_mail_msgid_domain("gw<1>", "a@b.example"), "b.example");
	assert_string_equal(dl_mail_msgid_domain("", "a@b.example"), "b.example");
}

/* No header injection: what goes into From/To/Subject is refused by the
 * request's checks before it can reach the builder. */
static void test_no_injection(void **state)
{
	assert_false(ob_req_mail_ok("a@b\r\nBcc: x@y", 15));
	assert_false(ob_req_mail_ok("a\n@b", 4));
	assert_false(ob_req_mail_ok("a>@b", 4));
	assert_false(ob_req_mail_ok("a@b>", 4));
	assert_false(ob_req_mail_ok("<a@b", 4));
	assert_false(ob_req_mail_ok("a@b\r", 4));
	assert_false(ob_req_id_ok("x\r\nTo: y", 9));
	assert_false(ob_req_id_ok("x>", 2));
}

static void test_reply_line(void **state)
{
	char r[DL_MAIL_REPLY_MAX] = "";

	dl_mail_reply_line(r, sizeof(r), "250-mx.example\r\n250 SIZE\r\n", 26);
	assert_string_equal(r, "250 SIZE");
	static const char bad[] = "550 5.1.1 <a@b>: no\x01such\x7f user\xc3\xa9\r\n";
	dl_mail_reply_line(r, sizeof(r), bad, sizeof(bad) - 1);
	assert_string_equal(r, "550 5.1.1 <a@b>: nosuch user??");
	/* nothing printable: the last reply stays */
	dl_mail_reply_line(r, sizeof(r), "\r\n", 2);
	assert_string_equal(r, "550 5.1.1 <a@b>: nosuch user??");
	/* bounded */
	char small[8] = "";
	dl_mail_reply_line(small, sizeof(small), "451 4.3.0 try later\r\n", 21);
	assert_string_equal(small, "451 4.3");
}

static void test_classify(void **state)
{
	enum ob_result_kind k;
	char e[DL_MAIL_ERROR_MAX];

	dl_mail_classify(CURLE_OK, "250 2.0.0 Ok: queued", 250, "", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_SUBMITTED);
	dl_mail_classify(CURLE_SEND_ERROR, "550 5.1.1 <x@y>: Recipient address rejected", 550,
			 "RCPT failed: 550", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_PERMANENT);
	assert_string_equal(e, "smtp 550 5.1.1 <x@y>: Recipient address rejected");
	dl_mail_classify(CURLE_WEIRD_SERVER_REPLY, "451 4.3.0 try later", 451, "", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	assert_string_equal(e, "smtp 451 4.3.0 try later");
	/* no reply line, a code from libcurl */
	dl_mail_classify(CURLE_SEND_ERROR, "", 554, "MAIL failed: 554", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_PERMANENT);
	assert_string_equal(e, "smtp 554");
	dl_mail_classify(CURLE_COULDNT_CONNECT, "", 0, "Failed to connect", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	assert_string_equal(e, "Failed to connect (curl 7)");
	dl_mail_classify(CURLE_OPERATION_TIMEDOUT, "354 go ahead", 354, "", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	assert_string_equal(e, "transfer failed (curl 28)");
	/* relay-tls required, STARTTLS refused with a 5xx: not the message's fault */
	dl_mail_classify(CURLE_USE_SSL_FAILED, "502 5.5.1 unknown command", 502, "STARTTLS denied",
			 &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	assert_string_equal(e, "STARTTLS denied (curl 64)");
	dl_mail_classify(CURLE_PEER_FAILED_VERIFICATION, "220 ready", 220, "SSL certificate problem",
			 &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	/* the connection lost after a 250: temporary */
	dl_mail_classify(CURLE_RECV_ERROR, "250 2.1.0 Ok", 250, "Connection reset", &k, e, sizeof(e));
	assert_int_equal(k, OB_RES_TEMPORARY);
	assert_string_equal(e, "Connection reset (curl 56)");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_exact),
		cmocka_unit_test(test_build_padding_and_one_line),
		cmocka_unit_test(test_build_lines),
		cmocka_unit_test(test_msgid_domain),
		cmocka_unit_test(test_no_injection),
		cmocka_unit_test(test_reply_line),
		cmocka_unit_test(test_classify),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("dl_mail", tests, NULL, NULL));
}
