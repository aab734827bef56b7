/*
 * smtp_fsm.h — one SMTP session as a state machine written as a table of
 * (state, command) -> handler / next state.  No I/O: the service
 * (smtp.c) feeds it lines and events and sends the replies it writes; the
 * action returned says what the service must do next with the stream.
 *
 * RFC 5321 §4.1.4 (command order), §4.2 (replies), §4.3.2 (which reply to
 * which command); RFC 2034 (enhanced status codes, on every reply but the
 * greeting and 354); RFC 3030 (BDAT), RFC 3207 (STARTTLS), RFC 1870 (SIZE),
 * RFC 6531 (SMTPUTF8).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/smtp_cmd.h"

enum smtp_state {
	SMTP_ST_INIT,		/* greeted; no HELO/EHLO yet (or after STARTTLS) */
	SMTP_ST_READY,		/* HELO/EHLO done, no transaction */
	SMTP_ST_MAIL,		/* MAIL accepted, no recipient yet */
	SMTP_ST_RCPT,		/* one recipient or more */
	SMTP_ST_BDAT,		/* BDAT chunks received, no LAST yet */
	SMTP_ST_DATA,		/* reading the DATA body: no commands */
	SMTP_ST_WAIT,		/* mail handed over, waiting for its answer */
	SMTP_ST_TLS,		/* STARTTLS answered, handshake to do */
	SMTP_ST_CLOSED,		/* QUIT or 421: nothing more */
	SMTP_ST_COUNT
};

/* What the service does after sending the reply (if any). */
enum smtp_act {
	SMTP_ACT_NONE,		/* read the next command */
	SMTP_ACT_DATA,		/* read the DATA body, then smtp_fsm_data_end() */
	SMTP_ACT_CHUNK,		/* read f->chunk octets, keeping them if f->chunk_keep,
				 * then smtp_fsm_chunk_end() (which replies) */
	SMTP_ACT_DELIVER,	/* hand the mail over; answer with smtp_fsm_delivered() */
	SMTP_ACT_STARTTLS,	/* send the reply, drop what was read after the
				 * command, handshake, then smtp_fsm_tls_done() */
	SMTP_ACT_CLOSE,		/* send the reply and close */
};

#define SMTP_REPLY_MAX		768
#define SMTP_MAX_RCPTS		100	/* RFC 5321 §4.5.3.1.8: at least 100 */
#define SMTP_MAX_BAD		10	/* bad commands before 421 */

struct smtp_reply {
	char buf[SMTP_REPLY_MAX];	/* one or more lines, each with CRLF */
	size_t len;
	int code;			/* the code of the last line, 0: none */
};

struct smtp_fsm_cfg {
	const char *domain;	/* smtp-domain: greeting, and the only RCPT domain */
	uint64_t max_size;	/* smtp-max-size */
	bool tls;		/* STARTTLS is offered */
	bool require_tls;	/* smtp-require-tls: 530 before STARTTLS (RFC 3207 §4) */
};

struct smtp_fsm {
	struct smtp_fsm_cfg cfg;
	enum smtp_state st;
	bool esmtp;		/* EHLO (not HELO) greeted us */
	bool tls;		/* TLS is up */
	unsigned bad;		/* bad commands so far */
	/* the transaction, under txn (talloc) */
	void *ctx, *txn;
	char *mail_from;
	bool smtputf8;
	enum smtp_body body;
	char **rcpts;
	unsigned n_rcpts;
	/* BDAT: the chunk to read, and what to answer when it is read */
	uint64_t chunk;
	bool chunk_keep, chunk_last;
	int chunk_err;		/* 503 for a chunk out of sequence, else 0 */
};

/* A session in SMTP_ST_INIT; cfg->domain is borrowed.  ctx: talloc parent
 * of the transaction data. */
void smtp_fsm_init(struct smtp_fsm *f, void *ctx, const struct smtp_fsm_cfg *cfg);
/* Free the transaction data. */
void smtp_fsm_free(struct smtp_fsm *f);

/* "220 <domain> ESMTP txgw". */
void smtp_fsm_greeting(const struct smtp_fsm *f, struct smtp_reply *r);

/*
 * One command line without its CRLF (a line over SMTP_LINE_MAX may be
 * passed cut at SMTP_LINE_MAX octets: it gets 500 5.5.6).  Writes the
 * reply to r (empty for SMTP_ACT_CHUNK: it comes after the chunk).  A bad
 * command (500, 501, 502, 503, 555) counts; the SMTP_MAX_BAD-th gets
 * 421 and SMTP_ACT_CLOSE instead.  With cfg.require_tls and no TLS yet,
 * every command but EHLO, STARTTLS, NOOP and QUIT gets 530 5.7.0 (RFC
 * 3207 §4; BDAT is refused as out of sequence, its chunk read and dropped).
 */
enum smtp_act smtp_fsm_line(struct smtp_fsm *f, const uint8_t *line, size_t len,
			    struct smtp_reply *r);

/* The DATA body ended after total octets (un-stuffed; counted even beyond
 * what was kept): SMTP_ACT_DELIVER, or 552 5.3.4 over max_size. */
enum smtp_act smtp_fsm_data_end(struct smtp_fsm *f, uint64_t total, struct smtp_reply *r);

/* The BDAT chunk was read; total: the message's octets so far.  Replies
 * 250 (or the deferred 503, or 552 over max_size), or SMTP_ACT_DELIVER
 * after LAST. */
enum smtp_act smtp_fsm_chunk_end(struct smtp_fsm *f, uint64_t total, struct smtp_reply *r);

/* The gateway's answer to the mail handed over: code 2xx, 4xx or 5xx
 * (anything else becomes 451 4.3.0), enhanced code and text optional
 * (CR and LF in text are made spaces).  Ends the transaction. */
void smtp_fsm_delivered(struct smtp_fsm *f, int code, const char *enhanced, const char *text,
			struct smtp_reply *r);

/* The TLS handshake succeeded: RFC 3207 §4.2, forget what the client said
 * before; back to SMTP_ST_INIT. */
void smtp_fsm_tls_done(struct smtp_fsm *f);

/* A timeout (RFC 5321 §4.5.3.2.7): 421 4.4.2 and SMTP_ACT_CLOSE. */
enum smtp_act smtp_fsm_timeout(struct smtp_fsm *f, struct smtp_reply *r);

/* The service ends the session for a limit of its own (RFC 5321 §3.8):
 * "421 <enhanced> <domain> <text>, closing" and SMTP_ACT_CLOSE. */
enum smtp_act smtp_fsm_cut(struct smtp_fsm *f, const char *enhanced, const char *text,
			   struct smtp_reply *r);

const char *smtp_state_name(enum smtp_state st);
