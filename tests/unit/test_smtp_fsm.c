/*
 * test_smtp_fsm — the SMTP session table: every (state, command) pair gives
 * the reply code and next state of RFC 5321 §4.1.4 / §4.3.2 (table
 * driven), then the rules inside the handlers: relaying, sizes, SMTPUTF8,
 * BDAT, STARTTLS (RFC 3207 §4.2), smtp-require-tls (RFC 3207 §4: 530),
 * bad-command limit, delivery answers, the service's 421 cuts; last, the
 * errno and log line of a service that cannot start.
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

#include <osmocom/core/talloc.h>

#include "mail/smtp.h"
#include "mail/smtp_fsm.h"
#include "tests/unit/log_capture.h"

#define DOMAIN	"txlog.example"
#define ST_COUNT	SMTP_ST_COUNT

static const struct smtp_fsm_cfg cfg_tls = { DOMAIN, 1000, true, false };
static const struct smtp_fsm_cfg cfg_plain = { DOMAIN, 1000, false, false };
static const struct smtp_fsm_cfg cfg_require = { DOMAIN, 1000, true, true };

static enum smtp_act line(struct smtp_fsm *f, const char *l, struct smtp_reply *r)
{
	return smtp_fsm_line(f, (const uint8_t *)l, strlen(l), r);
}

/* Send a line that must get code. */
static enum smtp_act expect(struct smtp_fsm *f, const char *l, int code)
{
	struct smtp_reply r;
	enum smtp_act a = line(f, l, &r);

	if (r.code != code)
		fail_msg("'%s' in %s: got %d (%.*s), want %d", l, smtp_state_name(f->st), r.code,
			 (int)r.len, r.buf, code);
	return a;
}

/* Bring a fresh session into state st by the usual road. */
static void to_state(struct smtp_fsm *f, enum smtp_state st)
{
	struct smtp_reply r;

	smtp_fsm_init(f, NULL, &cfg_tls);
	if (st == SMTP_ST_INIT)
		return;
	if (st == SMTP_ST_CLOSED) {
		assert_int_equal(expect(f, "QUIT", 221), SMTP_ACT_CLOSE);
		assert_int_equal(f->st, SMTP_ST_CLOSED);
		return;
	}
	expect(f, "EHLO client.example", 250);
	if (st == SMTP_ST_TLS) {
		assert_int_equal(expect(f, "STARTTLS", 220), SMTP_ACT_STARTTLS);
		assert_int_equal(f->st, SMTP_ST_TLS);
		return;
	}
	if (st == SMTP_ST_READY)
		return;
	expect(f, "MAIL FROM:<a@b.example>", 250);
	if (st == SMTP_ST_MAIL)
		return;
	expect(f, "RCPT TO:<dev@" DOMAIN ">", 250);
	if (st == SMTP_ST_RCPT)
		return;
	if (st == SMTP_ST_BDAT) {
		assert_int_equal(line(f, "BDAT 3", &r), SMTP_ACT_CHUNK);
		smtp_fsm_chunk_end(f, 3, &r);
		assert_int_equal(r.code, 250);
		assert_int_equal(f->st, SMTP_ST_BDAT);
		return;
	}
	assert_int_equal(expect(f, "DATA", 354), SMTP_ACT_DATA);
	if (st == SMTP_ST_DATA)
		return;
	assert_int_equal(smtp_fsm_data_end(f, 10, &r), SMTP_ACT_DELIVER);
	assert_int_equal(f->st, SMTP_ST_WAIT);
}

static const char *const cmds[] = {
	"EHLO c.example", "HELO c.example", "MAIL FROM:<a@b.example>", "RCPT TO:<d@" DOMAIN ">",
	"DATA", "BDAT 5", "RSET", "NOOP", "QUIT", "VRFY x", "HELP", "STARTTLS", "XYZZY",
};
#define N_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

enum { I = SMTP_ST_INIT, R = SMTP_ST_READY, M = SMTP_ST_MAIL, T = SMTP_ST_RCPT, B = SMTP_ST_BDAT,
       D = SMTP_ST_DATA, W = SMTP_ST_WAIT, S = SMTP_ST_TLS, C = SMTP_ST_CLOSED };

struct want {
	int code;	/* for BDAT: the reply after its chunk */
	int next;
};

/* want[state][command]: code and state after it (RFC 5321 §4.1.4, §4.3.2). */
static const struct want table[ST_COUNT][N_CMDS] = {
	/*           EHLO      HELO      MAIL      RCPT      DATA      BDAT 5    RSET      NOOP      QUIT      VRFY      HELP      STARTTLS  XYZZY */
	[I] = { {250, R}, {250, R}, {503, I}, {503, I}, {503, I}, {503, I}, {250, I}, {250, I}, {221, C}, {252, I}, {214, I}, {503, I}, {500, I} },
	[R] = { {250, R}, {250, R}, {250, M}, {503, R}, {503, R}, {503, R}, {250, R}, {250, R}, {221, C}, {252, R}, {214, R}, {220, S}, {500, R} },
	[M] = { {250, R}, {250, R}, {503, M}, {250, T}, {503, M}, {503, M}, {250, R}, {250, M}, {221, C}, {252, M}, {214, M}, {503, M}, {500, M} },
	[T] = { {250, R}, {250, R}, {503, T}, {250, T}, {354, D}, {250, B}, {250, R}, {250, T}, {221, C}, {252, T}, {214, T}, {503, T}, {500, T} },
	[B] = { {250, R}, {250, R}, {503, B}, {503, B}, {503, B}, {250, B}, {250, R}, {250, B}, {221, C}, {252, B}, {214, B}, {503, B}, {500, B} },
	[D] = { {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {503, D}, {500, D} },
	[W] = { {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {503, W}, {500, W} },
	[S] = { {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {503, S}, {500, S} },
	[C] = { {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {503, C}, {500, C} },
};

static void test_table(void **state)
{
	for (unsigned st = 0; st < ST_COUNT; st++) {
		for (unsigned i = 0; i < N_CMDS; i++) {
			struct smtp_fsm f;
			struct smtp_reply r;
			enum smtp_act a;

			to_state(&f, st);
			a = line(&f, cmds[i], &r);
			if (!strncmp(cmds[i], "BDAT", 4)) {
				/* RFC 3030 §2: the chunk is read before any answer */
				assert_int_equal(a, SMTP_ACT_CHUNK);
				assert_int_equal(r.len, 0);
				assert_int_equal(f.chunk, 5);
				assert_int_equal(f.chunk_keep, st == T || st == B);
				smtp_fsm_chunk_end(&f, 5, &r);
			}
			if (r.code != table[st][i].code || (int)f.st != table[st][i].next)
				fail_msg("%s + '%s': got %d -> %s, want %d -> %s", smtp_state_name(st),
					 cmds[i], r.code, smtp_state_name(f.st), table[st][i].code,
					 smtp_state_name(table[st][i].next));
			/* every reply is whole lines */
			assert_true(r.len >= 6 && !memcmp(r.buf + r.len - 2, "\r\n", 2));
			smtp_fsm_free(&f);
		}
	}
}

static void test_greeting_and_ehlo(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	smtp_fsm_init(&f, NULL, &cfg_tls);
	smtp_fsm_greeting(&f, &r);
	assert_int_equal(r.code, 220);
	assert_string_equal(r.buf, "220 " DOMAIN " ESMTP txgw\r\n");
	line(&f, "EHLO c.example", &r);
	assert_string_equal(r.buf, "250-" DOMAIN " greets c.example\r\n"
				   "250-SIZE 1000\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
				   "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n"
				   "250 CHUNKING\r\n");
	line(&f, "NOOP", &r);
	assert_string_equal(r.buf, "250 2.0.0 Ok\r\n");
	line(&f, "VRFY bob", &r);
	assert_int_equal(r.code, 252);
	smtp_fsm_free(&f);

	smtp_fsm_init(&f, NULL, &cfg_plain);
	line(&f, "EHLO c.example", &r);
	assert_null(strstr(r.buf, "STARTTLS"));
	expect(&f, "STARTTLS", 502);	/* not offered */
	smtp_fsm_free(&f);
}

/* No relaying: only smtp-domain (any case) and Postmaster (§4.5.1). */
static void test_rcpt_domain(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	to_state(&f, SMTP_ST_MAIL);
	line(&f, "RCPT TO:<x@other.example>", &r);
	assert_string_equal(r.buf, "550 5.7.1 Relaying denied\r\n");
	assert_int_equal(f.st, SMTP_ST_MAIL);
	expect(&f, "RCPT TO:<x@" DOMAIN ".evil>", 550);
	expect(&f, "RCPT TO:<x@sub." DOMAIN ">", 550);
	expect(&f, "RCPT TO:<x@[127.0.0.1]>", 550);
	expect(&f, "RCPT TO:<x@TXLOG.Example>", 250);
	expect(&f, "RCPT TO:<Postmaster>", 250);
	expect(&f, "RCPT TO:<\"odd local\"@" DOMAIN ">", 250);
	assert_int_equal(f.n_rcpts, 3);
	assert_string_equal(f.rcpts[0], "x@TXLOG.Example");
	assert_string_equal(f.rcpts[1], "Postmaster");
	assert_string_equal(f.mail_from, "a@b.example");
	for (unsigned i = 3; i < SMTP_MAX_RCPTS; i++)
		expect(&f, "RCPT TO:<y@" DOMAIN ">", 250);
	expect(&f, "RCPT TO:<z@" DOMAIN ">", 452);	/* §4.5.3.1.10 */
	smtp_fsm_free(&f);
}

static void test_sizes(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	to_state(&f, SMTP_ST_READY);
	expect(&f, "MAIL FROM:<a@b.example> SIZE=1001", 552);	/* RFC 1870 §6.1 */
	assert_int_equal(f.st, SMTP_ST_READY);
	expect(&f, "MAIL FROM:<a@b.example> SIZE=1000", 250);
	expect(&f, "RCPT TO:<d@" DOMAIN ">", 250);
	expect(&f, "DATA", 354);
	assert_int_equal(smtp_fsm_data_end(&f, 1001, &r), SMTP_ACT_NONE);
	assert_string_equal(r.buf, "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
	assert_int_equal(f.st, SMTP_ST_READY);
	assert_null(f.mail_from);
	expect(&f, "RCPT TO:<d@" DOMAIN ">", 503);	/* the transaction is gone */
	smtp_fsm_free(&f);

	/* BDAT: 552 on the chunk that goes over; later chunks are out of sequence */
	to_state(&f, SMTP_ST_RCPT);
	assert_int_equal(line(&f, "BDAT 600", &r), SMTP_ACT_CHUNK);
	assert_int_equal(smtp_fsm_chunk_end(&f, 600, &r), SMTP_ACT_NONE);
	assert_string_equal(r.buf, "250 2.0.0 600 octets received\r\n");
	line(&f, "BDAT 600 LAST", &r);
	smtp_fsm_chunk_end(&f, 1200, &r);
	assert_int_equal(r.code, 552);
	assert_int_equal(f.st, SMTP_ST_READY);
	assert_int_equal(line(&f, "BDAT 5", &r), SMTP_ACT_CHUNK);
	assert_false(f.chunk_keep);
	smtp_fsm_chunk_end(&f, 0, &r);
	assert_int_equal(r.code, 503);
	smtp_fsm_free(&f);
}

static void test_bdat_last(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	to_state(&f, SMTP_ST_BDAT);
	expect(&f, "DATA", 503);	/* RFC 3030 §2: no DATA after BDAT */
	assert_int_equal(line(&f, "BDAT 0 LAST", &r), SMTP_ACT_CHUNK);
	assert_int_equal(smtp_fsm_chunk_end(&f, 3, &r), SMTP_ACT_DELIVER);
	assert_int_equal(r.len, 0);
	assert_int_equal(f.st, SMTP_ST_WAIT);
	smtp_fsm_delivered(&f, 250, "2.0.0", "Queued", &r);
	assert_string_equal(r.buf, "250 2.0.0 Queued\r\n");
	assert_int_equal(f.st, SMTP_ST_READY);
	smtp_fsm_free(&f);
}

static void test_delivered(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	to_state(&f, SMTP_ST_WAIT);
	smtp_fsm_delivered(&f, 451, "4.3.0", "Journal\r\n250 unavailable", &r);
	assert_string_equal(r.buf, "451 4.3.0 Journal  250 unavailable\r\n");
	assert_int_equal(f.st, SMTP_ST_READY);
	assert_int_equal(f.n_rcpts, 0);
	smtp_fsm_free(&f);

	to_state(&f, SMTP_ST_WAIT);
	smtp_fsm_delivered(&f, 99, NULL, "odd", &r);	/* never a made-up success */
	assert_string_equal(r.buf, "451 4.3.0 Not accepted\r\n");
	smtp_fsm_free(&f);
}

/* RFC 6531 §3.5: non-ASCII addresses only in an SMTPUTF8 transaction;
 * RFC 1869: parameters only after EHLO. */
static void test_utf8_and_helo(void **state)
{
	struct smtp_fsm f;

	smtp_fsm_init(&f, NULL, &cfg_tls);
	expect(&f, "HELO c.example", 250);
	expect(&f, "MAIL FROM:<a@b.example> SIZE=10", 555);
	expect(&f, "MAIL FROM:<a@b.example>", 250);
	expect(&f, "RCPT TO:<j\xc3\xb6rg@" DOMAIN ">", 553);
	expect(&f, "RSET", 250);
	expect(&f, "EHLO c.example", 250);
	expect(&f, "MAIL FROM:<j\xc3\xb6rg@b.example>", 553);
	expect(&f, "MAIL FROM:<j\xc3\xb6rg@b.example> SMTPUTF8", 250);
	expect(&f, "RCPT TO:<j\xc3\xb6rg@" DOMAIN ">", 250);
	smtp_fsm_free(&f);
}

/* RFC 3207 §4.2: after the handshake the session starts over; no second
 * STARTTLS, none inside a transaction (the table). */
static void test_starttls(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	to_state(&f, SMTP_ST_TLS);
	smtp_fsm_tls_done(&f);
	assert_int_equal(f.st, SMTP_ST_INIT);
	assert_false(f.esmtp);
	expect(&f, "MAIL FROM:<a@b.example>", 503);	/* EHLO again first */
	line(&f, "EHLO c.example", &r);
	assert_null(strstr(r.buf, "STARTTLS"));
	expect(&f, "STARTTLS", 503);
	smtp_fsm_free(&f);
}

/* RFC 3207 §4: "530 5.7.0 Must issue a STARTTLS command first" to all
 * but NOOP, EHLO, STARTTLS and QUIT until TLS is up; then as usual. */
static void test_require_tls(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;

	smtp_fsm_init(&f, NULL, &cfg_require);
	line(&f, "EHLO c.example", &r);
	assert_int_equal(r.code, 250);
	assert_non_null(strstr(r.buf, "250-STARTTLS\r\n"));
	line(&f, "MAIL FROM:<a@b.example>", &r);
	assert_string_equal(r.buf, "530 5.7.0 Must issue a STARTTLS command first\r\n");
	assert_int_equal(f.st, SMTP_ST_READY);
	expect(&f, "MAIL FROM:<bad syntax", 530);
	expect(&f, "RCPT TO:<dev@" DOMAIN ">", 530);
	expect(&f, "DATA", 530);
	expect(&f, "RSET", 530);
	expect(&f, "VRFY x", 530);
	expect(&f, "HELP", 530);
	expect(&f, "HELO c.example", 530);
	expect(&f, "NOOP", 250);
	/* BDAT: out of sequence, its chunk read and dropped (RFC 3030 §2) */
	assert_int_equal(line(&f, "BDAT 5", &r), SMTP_ACT_CHUNK);
	assert_false(f.chunk_keep);
	smtp_fsm_chunk_end(&f, 0, &r);
	assert_int_equal(r.code, 503);
	/* 530 is no bad command: it does not count toward the 421 */
	for (int i = 0; i < 2 * SMTP_MAX_BAD; i++)
		expect(&f, "MAIL FROM:<a@b.example>", 530);
	assert_int_equal(expect(&f, "STARTTLS", 220), SMTP_ACT_STARTTLS);
	smtp_fsm_tls_done(&f);
	expect(&f, "EHLO c.example", 250);
	expect(&f, "MAIL FROM:<a@b.example>", 250);
	expect(&f, "RCPT TO:<dev@" DOMAIN ">", 250);
	smtp_fsm_free(&f);

	/* QUIT is always allowed */
	smtp_fsm_init(&f, NULL, &cfg_require);
	assert_int_equal(expect(&f, "QUIT", 221), SMTP_ACT_CLOSE);
	smtp_fsm_free(&f);
}

static void test_bad_commands(void **state)
{
	struct smtp_fsm f;
	struct smtp_reply r;
	char longl[1200];

	smtp_fsm_init(&f, NULL, &cfg_tls);
	memset(longl, 'x', sizeof(longl));
	assert_int_equal(smtp_fsm_line(&f, (const uint8_t *)longl, SMTP_LINE_MAX, &r), SMTP_ACT_NONE);
	assert_string_equal(r.buf, "500 5.5.6 Line too long\r\n");
	expect(&f, "MAIL FROM:<a@b>", 503);
	expect(&f, "EHLO", 501);
	expect(&f, "EHLO c", 250);	/* good commands do not clear the count */
	expect(&f, "MAIL FROM:<a@b> FOO=1", 555);
	for (int i = 4; i < SMTP_MAX_BAD - 1; i++)
		expect(&f, "\x16\x03\x01", 500);
	assert_int_equal(f.st, SMTP_ST_READY);
	assert_int_equal(line(&f, "GARBAGE", &r), SMTP_ACT_CLOSE);
	assert_string_equal(r.buf, "500 5.5.2 Command unrecognized\r\n"
				   "421 4.7.0 " DOMAIN " Too many errors, closing\r\n");
	assert_int_equal(f.st, SMTP_ST_CLOSED);
	smtp_fsm_free(&f);

	smtp_fsm_init(&f, NULL, &cfg_tls);
	assert_int_equal(smtp_fsm_timeout(&f, &r), SMTP_ACT_CLOSE);
	assert_string_equal(r.buf, "421 4.4.2 " DOMAIN " Timeout, closing\r\n");
	smtp_fsm_free(&f);

	smtp_fsm_init(&f, NULL, &cfg_tls);
	assert_int_equal(smtp_fsm_cut(&f, "4.7.0", "Too many commands", &r), SMTP_ACT_CLOSE);
	assert_string_equal(r.buf, "421 4.7.0 " DOMAIN " Too many commands, closing\r\n");
	assert_int_equal(f.st, SMTP_ST_CLOSED);
	smtp_fsm_free(&f);
}

/* ---- the service around the table (smtp.c): why it would not start ---- */

static void no_deliver(void *data, const char *mail_from, const char *const *rcpts,
		       unsigned n_rcpts, const uint8_t *msg, size_t len, struct smtp_deliver *d)
{
}

static void test_srv_open_errors(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "srv");
	static const struct smtp_ops ops = { .deliver = no_deliver };
	struct smtp_cfg cfg = { .enabled = true, .addr = "127.0.0.1", .domain = DOMAIN,
				.max_size = 1 << 20, .max_sessions = 4 };
	struct smtp_srv *a = NULL, *b = NULL;
	char want[64];

	assert_int_equal(smtp_srv_open(ctx, &cfg, &ops, NULL, NULL, &a), 0);
	cfg.port = smtp_srv_port(a);
	log_capture_reset();
	assert_int_equal(smtp_srv_open(ctx, &cfg, &ops, NULL, NULL, &b), -EADDRINUSE);
	assert_null(b);
	snprintf(want, sizeof(want), "smtp-listen 127.0.0.1 %u: cannot listen", cfg.port);
	assert_true(log_capture_has(want));
	smtp_srv_close(a);

	cfg.port = 0;
	cfg.tls_cert = "/nonexistent/smtp.crt";
	cfg.tls_key = "/nonexistent/smtp.key";
	log_capture_reset();
	assert_int_equal(smtp_srv_open(ctx, &cfg, &ops, NULL, NULL, &b), -EINVAL);
	assert_true(log_capture_has("smtp-tls /nonexistent/smtp.crt / /nonexistent/smtp.key: "));
	cfg.tls_cert = cfg.tls_key = NULL;
	cfg.domain = "";
	log_capture_reset();
	assert_int_equal(smtp_srv_open(ctx, &cfg, &ops, NULL, NULL, &b), -EINVAL);
	assert_true(log_capture_has("cannot start the SMTP service: no smtp-domain"));
	assert_null(b);
	talloc_free(ctx);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_greeting_and_ehlo),
		cmocka_unit_test(test_rcpt_domain),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bdat_last),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_utf8_and_helo),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_require_tls),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_srv_open_errors),
	};
	int rc;

	/* before the tracking: the log's allocations stay for the whole run */
	log_capture_start(talloc_named_const(NULL, 0, "log"));
	talloc_enable_null_tracking();
	test_args(argc, argv);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (talloc_total_blocks(NULL) != 1) {
		talloc_report_full(NULL, stderr);
		return 1;
	}
	talloc_disable_null_tracking();
	return test_done(rc);
}
