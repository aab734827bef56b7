/*
 * fuzz_smtp_cmd.c — libFuzzer target for the SMTP command parser and the
 * session table.
 *
 * The input is cut into lines at LF.  Each line is parsed alone (an
 * accepted MAIL/RCPT mailbox must parse again inside brackets, to the same
 * mailbox), then fed to one session's table, with the events the service
 * would send (chunk read, data ended, mail answered, TLS up).  Every reply
 * must be whole CRLF lines with a code from 200 to 599.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtp_fsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const struct smtp_reply *r)
{
	if (!r->len)
		return;
	if (r->len > sizeof(r->buf) - 1 || r->code < 200 || r->code > 599 ||
	    memcmp(r->buf + r->len - 2, "\r\n", 2) || r->buf[r->len] != '\0')
		abort();
}

static void reparse(const struct smtp_cmd *c)
{
	char line[SMTP_LINE_MAX + 16];
	struct smtp_cmd again;
	int n;

	if ((c->verb != SMTP_V_MAIL && c->verb != SMTP_V_RCPT) || !*c->arg)
		return;
	n = snprintf(line, sizeof(line), "%s <%s>%s", c->verb == SMTP_V_MAIL ? "MAIL FROM:" : "RCPT TO:",
		     c->arg, c->smtputf8 ? " SMTPUTF8" : "");
	if (n <= 0 || (size_t)n >= sizeof(line))
		abort();
	if (smtp_cmd_parse((const uint8_t *)line, (size_t)n, &again) != 0 ||
	    strcmp(again.arg, c->arg) || again.utf8 != c->utf8)
		abort();
}

/* What the service does after an action, without the socket. */
static void events(struct smtp_fsm *f, enum smtp_act act, unsigned k)
{
	struct smtp_reply r;

	switch (act) {
	case SMTP_ACT_DATA:
		act = smtp_fsm_data_end(f, k * 97, &r);
		break;
	case SMTP_ACT_CHUNK:
		act = smtp_fsm_chunk_end(f, f->chunk, &r);
		break;
	case SMTP_ACT_STARTTLS:
		smtp_fsm_tls_done(f);
		return;
	default:
		return;
	}
	check_reply(&r);
	if (act == SMTP_ACT_DELIVER) {
		smtp_fsm_delivered(f, k % 3 ? 250 : 451, "2.0.0", "x", &r);
		check_reply(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_fsm_cfg cfg = { "txlog.example", 5000, size & 1 };
	struct smtp_fsm f;
	struct smtp_reply r;
	size_t off = 0;
	unsigned k = 0;

	smtp_fsm_init(&f, NULL, &cfg);
	while (off < size && f.st != SMTP_ST_CLOSED) {
		const uint8_t *lf = memchr(data + off, '\n', size - off);
		size_t len = lf ? (size_t)(lf - (data + off)) : size - off;
		struct smtp_cmd c;
		enum smtp_act act;

		if (smtp_cmd_parse(data + off, len, &c) == 0) {
			if (strlen(c.arg) > len)
				abort();
			reparse(&c);
		}
		act = smtp_fsm_line(&f, data + off, len, &r);
		check_reply(&r);
		events(&f, act, k++);
		off += len + 1;
	}
	smtp_fsm_free(&f);
	return 0;
}
