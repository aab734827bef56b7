/*
 * smtp_cmd.h — the SMTP command-line parser: one line (without its CRLF) in,
 * the verb and its checked arguments out.  No I/O, no state: what a
 * command means in a session is smtp_fsm.c's business.
 *
 * Grammar: RFC 5321 §4.1.1 (commands), §4.1.2 (paths, mailboxes, domains),
 * §4.5.3.1 (size limits); ESMTP parameters of RFC 1870 (SIZE), RFC 6152
 * (BODY=8BITMIME), RFC 6531 (SMTPUTF8 and UTF-8 in addresses), RFC 3030
 * (BDAT), RFC 3207 (STARTTLS).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF,
 * but ESMTP parameters raise it; we allow the text line limit, 1000 octets
 * with the CRLF (§4.5.3.1.6), as the issue asks. */
#define SMTP_LINE_MAX		1000
#define SMTP_LOCAL_MAX		64	/* §4.5.3.1.1 */
#define SMTP_DOMAIN_MAX		255	/* §4.5.3.1.2 */
#define SMTP_PATH_MAX		256	/* §4.5.3.1.3, with the angle brackets */

enum smtp_verb {
	SMTP_V_UNKNOWN,		/* not a command we know: 500 */
	SMTP_V_HELO,
	SMTP_V_EHLO,
	SMTP_V_MAIL,
	SMTP_V_RCPT,
	SMTP_V_DATA,
	SMTP_V_BDAT,
	SMTP_V_RSET,
	SMTP_V_NOOP,
	SMTP_V_QUIT,
	SMTP_V_VRFY,
	SMTP_V_HELP,
	SMTP_V_STARTTLS,
	SMTP_V_COUNT
};

enum smtp_body {
	SMTP_BODY_NONE,		/* no BODY= parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
};

struct smtp_cmd {
	enum smtp_verb verb;
	/*
	 * HELO/EHLO: the client's name; MAIL/RCPT: the mailbox without the
	 * brackets and without a source route ("" for the null reverse-path
	 * "<>"); VRFY/HELP/NOOP: the argument as sent ("" if none).
	 */
	char arg[SMTP_LINE_MAX];
	bool utf8;		/* arg holds non-ASCII (UTF-8) octets */
	/* MAIL parameters */
	bool has_size;
	uint64_t size;		/* SIZE= */
	enum smtp_body body;	/* BODY= */
	bool smtputf8;		/* SMTPUTF8 */
	bool has_params;	/* any ESMTP parameter at all */
	/* BDAT */
	uint64_t chunk;		/* chunk-size */
	bool last;		/* LAST */
};

/*
 * Parse one command line: line[0..len) without the CRLF.  The verb is
 * matched without regard to case.  Fills *cmd (cmd->verb is set even when
 * the arguments are wrong, so that the session can tell 503 from 501).
 *
 * Returns 0, or:
 *   -E2BIG    the line with its CRLF is over SMTP_LINE_MAX (500 5.5.6)
 *   -ENOENT   unknown verb (500 5.5.2); cmd->verb is SMTP_V_UNKNOWN
 *   -EINVAL   bad arguments (501 5.5.4): syntax, a path or part too long,
 *             invalid UTF-8, a control octet, a duplicated parameter
 *   -ERANGE   a number (SIZE, BDAT) too large for 64 bits (501 5.5.4)
 *   -ENOTSUP  an ESMTP parameter we do not offer, or any parameter on a
 *             command that takes none (555 5.5.4, RFC 5321 §4.1.1.11)
 */
int smtp_cmd_parse(const uint8_t *line, size_t len, struct smtp_cmd *cmd);

/* The verb's name in upper case ("EHLO"); "?" for SMTP_V_UNKNOWN. */
const char *smtp_verb_name(enum smtp_verb v);

/* Whether two domains are the same, ASCII case folded (RFC 5321 §2.4). */
bool smtp_domain_eq(const char *a, const char *b);

/* The domain of a mailbox ("" for the null path or a bare "Postmaster"). */
const char *smtp_mailbox_domain(const char *mailbox);
