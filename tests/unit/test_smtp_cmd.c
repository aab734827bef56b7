/*
 * test_smtp_cmd — the SMTP command-line parser: every verb, MAIL/RCPT paths
 * (RFC 5321 §4.1.2), ESMTP parameters (RFC 1870, 6152, 6531), BDAT
 * (RFC 3030), the limits of §4.5.3.1, and the errors each refusal maps to.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "mail/smtp_cmd.h"

static int parse(const char *line, struct smtp_cmd *c)
{
	return smtp_cmd_parse((const uint8_t *)line, strlen(line), c);
}

static void ok(const char *line, enum smtp_verb v, const char *arg)
{
	struct smtp_cmd c;

	if (parse(line, &c) != 0)
		fail_msg("refused: '%s'", line);
	assert_int_equal(c.verb, v);
	assert_string_equal(c.arg, arg);
}

static void bad(const char *line, int err)
{
	struct smtp_cmd c;
	int rc = parse(line, &c);

	if (rc != err)
		fail_msg("'%s': got %d, want %d", line, rc, err);
}

static void test_verbs(void **state)
{
	ok("EHLO client.example", SMTP_V_EHLO, "client.example");
	ok("helo [192.0.2.1]", SMTP_V_HELO, "[192.0.2.1]");
	ok("DATA", SMTP_V_DATA, "");
	ok("rset", SMTP_V_RSET, "");
	ok("NOOP", SMTP_V_NOOP, "");
	ok("NOOP anything at all", SMTP_V_NOOP, "anything at all");
	ok("QUIT", SMTP_V_QUIT, "");
	ok("QUIT  ", SMTP_V_QUIT, "");	/* trailing white space forgiven */
	ok("VRFY Smith", SMTP_V_VRFY, "Smith");
	ok("HELP", SMTP_V_HELP, "");
	ok("HELP MAIL", SMTP_V_HELP, "MAIL");
	ok("StartTLS", SMTP_V_STARTTLS, "");
	assert_string_equal(smtp_verb_name(SMTP_V_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_V_UNKNOWN), "?");
}

static void test_unknown_and_args(void **state)
{
	struct smtp_cmd c;

	bad("", -ENOENT);
	bad("FOO bar", -ENOENT);
	bad("MAILX FROM:<a@b>", -ENOENT);
	bad("\x16\x03\x01\x02", -ENOENT);	/* a TLS client hello */
	assert_int_equal(smtp_cmd_parse((const uint8_t *)"DA\0A", 4, &c), -ENOENT);
	assert_int_equal(c.verb, SMTP_V_UNKNOWN);
	/* the verb is known, the arguments are not */
	assert_int_equal(parse("DATA now", &c), -EINVAL);
	assert_int_equal(c.verb, SMTP_V_DATA);
	bad("QUIT x", -EINVAL);
	bad("RSET x", -EINVAL);
	bad("STARTTLS x", -EINVAL);	/* RFC 3207 §4: no parameters */
	bad("EHLO", -EINVAL);
	bad("EHLO two words", -EINVAL);
	bad("VRFY", -EINVAL);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)"NOOP a\0b", 8, &c), -EINVAL);
	bad("NOOP \x7f", -EINVAL);
	bad("NOOP \xc3\x28", -EINVAL);	/* invalid UTF-8 */
	ok("NOOP \xc3\xa9t\xc3\xa9", SMTP_V_NOOP, "\xc3\xa9t\xc3\xa9");
}

static void test_mail(void **state)
{
	struct smtp_cmd c;

	ok("MAIL FROM:<alice@example.com>", SMTP_V_MAIL, "alice@example.com");
	ok("mail from:<>", SMTP_V_MAIL, "");	/* the null reverse-path */
	ok("MAIL FROM: <alice@example.com>", SMTP_V_MAIL, "alice@example.com");
	ok("MAIL FROM:<@relay.example,@r2.example:alice@example.com>", SMTP_V_MAIL,
	   "alice@example.com");	/* §4.1.1.3: source route dropped */
	ok("MAIL FROM:<\"john smith\"@example.com>", SMTP_V_MAIL, "\"john smith\"@example.com");
	ok("MAIL FROM:<\"a\\\"b@c\"@example.com>", SMTP_V_MAIL, "\"a\\\"b@c\"@example.com");
	ok("MAIL FROM:<a.b+tag@[192.0.2.7]>", SMTP_V_MAIL, "a.b+tag@[192.0.2.7]");
	ok("MAIL FROM:<x@[IPv6:2001:db8::1]>", SMTP_V_MAIL, "x@[IPv6:2001:db8::1]");
	assert_int_equal(parse("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", &c), 0);
	assert_true(c.has_size && c.size == 1000 && c.body == SMTP_BODY_8BITMIME && c.has_params);
	assert_false(c.smtputf8);
	assert_int_equal(parse("MAIL FROM:<a@b> body=7bit  smtputf8", &c), 0);
	assert_true(c.body == SMTP_BODY_7BIT && c.smtputf8 && !c.has_size);
	assert_int_equal(parse("MAIL FROM:<a@b>", &c), 0);
	assert_false(c.has_params);
	assert_int_equal(parse("MAIL FROM:<a@b> SIZE=18446744073709551615", &c), 0);
	assert_true(c.size == UINT64_MAX);

	bad("MAIL FROM:alice@example.com", -EINVAL);	/* no brackets */
	bad("MAIL FROM:<alice@example.com", -EINVAL);
	bad("MAIL TO:<a@b>", -EINVAL);
	bad("MAIL", -EINVAL);
	bad("MAIL FROM:<alice>", -EINVAL);	/* no domain */
	bad("MAIL FROM:<Postmaster>", -EINVAL);	/* only RCPT may */
	bad("MAIL FROM:<a..b@c>", -EINVAL);
	bad("MAIL FROM:<.a@c>", -EINVAL);
	bad("MAIL FROM:<a.@c>", -EINVAL);
	bad("MAIL FROM:<a@-c>", -EINVAL);
	bad("MAIL FROM:<a@c->", -EINVAL);
	bad("MAIL FROM:<a@c..d>", -EINVAL);
	bad("MAIL FROM:<a b@c>", -EINVAL);
	bad("MAIL FROM:<\"a@c>", -EINVAL);	/* no closing quote */
	bad("MAIL FROM:<a@[]>", -EINVAL);
	bad("MAIL FROM:<a@b>x", -EINVAL);
	bad("MAIL FROM:<a@b> SIZE=", -EINVAL);
	bad("MAIL FROM:<a@b> SIZE=12x", -EINVAL);
	bad("MAIL FROM:<a@b> SIZE", -EINVAL);
	bad("MAIL FROM:<a@b> SIZE=1 SIZE=2", -EINVAL);
	bad("MAIL FROM:<a@b> SMTPUTF8=yes", -EINVAL);
	bad("MAIL FROM:<a@b> SIZE=18446744073709551616", -ERANGE);
	bad("MAIL FROM:<a@b> =x", -EINVAL);
	bad("MAIL FROM:<a@b> X=", -EINVAL);
	/* well formed, but not offered: 555 */
	bad("MAIL FROM:<a@b> BODY=BINARYMIME", -ENOTSUP);
	bad("MAIL FROM:<a@b> RET=HDRS", -ENOTSUP);
	bad("MAIL FROM:<a@b> SMTPUTF8X", -ENOTSUP);
	bad("MAIL FROM:<a@b> AUTH=<>", -ENOTSUP);
	/* but a syntax error anywhere wins */
	bad("MAIL FROM:<a@b> RET=HDRS SIZE=x", -EINVAL);
}

static void test_rcpt(void **state)
{
	struct smtp_cmd c;

	ok("RCPT TO:<dev1@txlog.example>", SMTP_V_RCPT, "dev1@txlog.example");
	ok("rcpt to:<postMaster>", SMTP_V_RCPT, "Postmaster");	/* §4.5.1 */
	ok("RCPT TO:<postmaster@txlog.example>", SMTP_V_RCPT, "postmaster@txlog.example");
	bad("RCPT TO:<>", -EINVAL);
	bad("RCPT FROM:<a@b>", -EINVAL);
	bad("RCPT TO:<a@b> NOTIFY=NEVER", -ENOTSUP);	/* DSN is not offered */
	bad("RCPT TO:<a@b> SIZE=1", -ENOTSUP);
	assert_int_equal(parse("RCPT TO:<a@b>", &c), 0);
	assert_string_equal(smtp_mailbox_domain(c.arg), "b");
	assert_string_equal(smtp_mailbox_domain("\"x@y\"@z.example"), "z.example");
	assert_string_equal(smtp_mailbox_domain("Postmaster"), "");
	assert_true(smtp_domain_eq("TXLOG.Example", "txlog.example"));
	assert_false(smtp_domain_eq("txlog.example.org", "txlog.example"));
}

/* RFC 6531 §3.3: UTF-8 in local parts and domains (U-labels). */
static void test_smtputf8(void **state)
{
	struct smtp_cmd c;

	assert_int_equal(parse("MAIL FROM:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example> SMTPUTF8", &c), 0);
	assert_true(c.utf8 && c.smtputf8);
	assert_int_equal(parse("RCPT TO:<j\xc3\xb6rg@txlog.example>", &c), 0);
	assert_true(c.utf8);
	assert_int_equal(parse("RCPT TO:<\"j\xc3\xb6 rg\"@txlog.example>", &c), 0);
	assert_true(c.utf8);
	assert_int_equal(parse("RCPT TO:<jorg@txlog.example>", &c), 0);
	assert_false(c.utf8);
	/* a UTF-8 source route is dropped: it does not make the mailbox UTF-8 */
	assert_int_equal(parse("RCPT TO:<@r\xc3\xb6.example:jorg@txlog.example>", &c), 0);
	assert_false(c.utf8);
	bad("RCPT TO:<j\xc3@txlog.example>", -EINVAL);		/* truncated */
	bad("RCPT TO:<j\xc0\xaf@txlog.example>", -EINVAL);	/* overlong */
	bad("RCPT TO:<j\xed\xa0\x80@txlog.example>", -EINVAL);	/* surrogate */
	bad("RCPT TO:<j\xf4\x90\x80\x80@txlog.example>", -EINVAL);	/* > U+10FFFF */
}

/* §4.5.3.1: local part 64, domain 255, path 256, line 1000 with CRLF. */
static void test_limits(void **state)
{
	char line[1200], lp[80], dom[300];
	struct smtp_cmd c;

	memset(lp, 'a', 64);
	lp[64] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s@x.example>", lp);
	assert_int_equal(parse(line, &c), 0);
	snprintf(line, sizeof(line), "RCPT TO:<%sa@x.example>", lp);
	assert_int_equal(parse(line, &c), -EINVAL);

	/* a 189-octet domain: with "<", 64, "@" and ">" the path is 256 */
	memset(dom, 'd', sizeof(dom));
	dom[63] = dom[127] = '.';
	dom[189] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", lp, dom);
	assert_int_equal(strlen(line) - 8, 256);
	assert_int_equal(parse(line, &c), 0);
	dom[189] = 'd';
	dom[190] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", lp, dom);
	assert_int_equal(parse(line, &c), -EINVAL);
	/* domain alone over 255 */
	memset(dom, 'd', sizeof(dom));
	for (int i = 50; i < 299; i += 50)
		dom[i] = '.';
	dom[256] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<a@%s>", dom);
	assert_int_equal(parse(line, &c), -EINVAL);

	/* 998 octets + CRLF is the most */
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line, 998, &c), 0);
	assert_int_equal(strlen(c.arg), 993);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line, 999, &c), -E2BIG);
	assert_int_equal(smtp_cmd_parse((const uint8_t *)line, 1100, &c), -E2BIG);
}

static void test_bdat(void **state)
{
	struct smtp_cmd c;

	assert_int_equal(parse("BDAT 1000", &c), 0);
	assert_true(c.verb == SMTP_V_BDAT && c.chunk == 1000 && !c.last);
	assert_int_equal(parse("bdat 0 last", &c), 0);
	assert_true(c.chunk == 0 && c.last);
	bad("BDAT", -EINVAL);
	bad("BDAT x", -EINVAL);
	bad("BDAT 10 FIRST", -EINVAL);
	bad("BDAT -1", -EINVAL);
	bad("BDAT 10 LAST x", -EINVAL);
	bad("BDAT 99999999999999999999", -ERANGE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_unknown_and_args),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_smtputf8),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bdat),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
