/*
 * smtp_fsm.c — the SMTP session state table; see smtp_fsm.h.
 *
 * fsm_table[state][verb] names the handler of a command allowed in that
 * state and the state a success (reply below 400) leads to.  An empty cell
 * is a command out of sequence: 503 5.5.1 (RFC 5321 §4.1.4).  SAME leaves
 * the choice of state to the handler.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "mail/smtp_fsm.h"

#define SAME	SMTP_ST_COUNT

typedef enum smtp_act (*fsm_handler)(struct smtp_fsm *f, const struct smtp_cmd *c,
				     struct smtp_reply *r);

struct fsm_cell {
	fsm_handler h;
	enum smtp_state next;
};

static const char *const state_names[SMTP_ST_COUNT] = {
	"INIT", "READY", "MAIL", "RCPT", "BDAT", "DATA", "WAIT", "TLS", "CLOSED",
};

const char *smtp_state_name(enum smtp_state st)
{
	return st < SMTP_ST_COUNT ? state_names[st] : "?";
}

/* Append one reply line; more: a line of a multi-line reply ("250-").
 * A line that does not fit is cut, keeping its CRLF. */
static void rline(struct smtp_reply *r, int code, bool more, const char *enh, const char *fmt, ...)
{
	size_t cap = sizeof(r->buf) - r->len;
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(r->buf + r->len, cap, "%03d%c%s%s%s\r\n", code, more ? '-' : ' ',
		     enh ? enh : "", enh && *enh ? " " : "", text);
	if (n < 0 || (size_t)n >= cap) {
		r->len = sizeof(r->buf) - 1;
		memcpy(r->buf + r->len - 2, "\r\n", 3);
	} else {
		r->len += (size_t)n;
	}
	r->code = code;
}

#define reply(r, code, enh, ...)	rline(r, code, false, enh, __VA_ARGS__)

static void rclear(struct smtp_reply *r)
{
	r->len = 0;
	r->buf[0] = '\0';
	r->code = 0;
}

static void txn_reset(struct smtp_fsm *f)
{
	talloc_free(f->txn);
	f->txn = NULL;
	f->mail_from = NULL;
	f->rcpts = NULL;
	f->n_rcpts = 0;
	f->smtputf8 = false;
	f->body = SMTP_BODY_NONE;
	f->chunk = 0;
	f->chunk_keep = f->chunk_last = false;
	f->chunk_err = 0;
}

void smtp_fsm_init(struct smtp_fsm *f, void *ctx, const struct smtp_fsm_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->ctx = ctx;
	f->st = SMTP_ST_INIT;
}

void smtp_fsm_free(struct smtp_fsm *f)
{
	txn_reset(f);
}

void smtp_fsm_greeting(const struct smtp_fsm *f, struct smtp_reply *r)
{
	rclear(r);
	reply(r, 220, NULL, "%s ESMTP txgw", f->cfg.domain);
}

static enum smtp_act h_ehlo(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	txn_reset(f);
	f->esmtp = true;
	rline(r, 250, true, NULL, "%s greets %s", f->cfg.domain, c->arg);
	rline(r, 250, true, NULL, "SIZE %llu", (unsigned long long)f->cfg.max_size);
	rline(r, 250, true, NULL, "PIPELINING");
	rline(r, 250, true, NULL, "8BITMIME");
	rline(r, 250, true, NULL, "ENHANCEDSTATUSCODES");
	rline(r, 250, true, NULL, "SMTPUTF8");
	if (f->cfg.tls && !f->tls)
		rline(r, 250, true, NULL, "STARTTLS");
	rline(r, 250, false, NULL, "CHUNKING");
	return SMTP_ACT_NONE;
}

/* RFC 5321 §4.1.1.1: HELO, no extensions (RFC 2034: no enhanced code). */
static enum smtp_act h_helo(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	txn_reset(f);
	f->esmtp = false;
	reply(r, 250, NULL, "%s", f->cfg.domain);
	return SMTP_ACT_NONE;
}

static enum smtp_act h_mail(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	if (c->has_params && !f->esmtp) {
		reply(r, 555, "5.5.4", "Parameters need EHLO");
		return SMTP_ACT_NONE;
	}
	if (c->utf8 && !c->smtputf8) {	/* RFC 6531 §3.5 */
		reply(r, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
		return SMTP_ACT_NONE;
	}
	if (c->has_size && c->size > f->cfg.max_size) {	/* RFC 1870 §6.1 */
		reply(r, 552, "5.3.4", "Message size exceeds fixed maximum message size");
		return SMTP_ACT_NONE;
	}
	txn_reset(f);
	f->txn = talloc_new(f->ctx);
	f->mail_from = talloc_strdup(f->txn, c->arg);
	if (!f->txn || !f->mail_from) {
		txn_reset(f);
		reply(r, 451, "4.3.0", "Out of memory");
		return SMTP_ACT_NONE;
	}
	f->smtputf8 = c->smtputf8;
	f->body = c->body;
	reply(r, 250, "2.1.0", "Ok");
	return SMTP_ACT_NONE;
}

/* Only our domain is served, and Postmaster (RFC 5321 §4.5.1): no relay. */
static enum smtp_act h_rcpt(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	char **v;

	if (f->n_rcpts >= SMTP_MAX_RCPTS) {
		reply(r, 452, "4.5.3", "Too many recipients");
		return SMTP_ACT_NONE;
	}
	if (c->utf8 && !f->smtputf8) {
		reply(r, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
		return SMTP_ACT_NONE;
	}
	if (strcmp(c->arg, "Postmaster") &&
	    !smtp_domain_eq(smtp_mailbox_domain(c->arg), f->cfg.domain)) {
		reply(r, 550, "5.7.1", "Relaying denied");
		return SMTP_ACT_NONE;
	}
	v = talloc_realloc(f->txn, f->rcpts, char *, f->n_rcpts + 1);
	if (v)
		f->rcpts = v;
	if (!v || !(v[f->n_rcpts] = talloc_strdup(f->txn, c->arg))) {
		reply(r, 452, "4.3.1", "Out of memory");
		return SMTP_ACT_NONE;
	}
	f->n_rcpts++;
	reply(r, 250, "2.1.5", "Ok");
	return SMTP_ACT_NONE;
}

static enum smtp_act h_data(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	reply(r, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	return SMTP_ACT_DATA;
}

/* RFC 3030 §2: the chunk is read whatever the answer will be. */
static enum smtp_act h_bdat(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	f->chunk = c->chunk;
	f->chunk_last = c->last;
	f->chunk_keep = true;
	f->chunk_err = 0;
	f->st = SMTP_ST_BDAT;
	return SMTP_ACT_CHUNK;
}

static enum smtp_act h_rset(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	txn_reset(f);
	reply(r, 250, "2.0.0", "Ok");
	return SMTP_ACT_NONE;
}

static enum smtp_act h_noop(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	reply(r, 250, "2.0.0", "Ok");
	return SMTP_ACT_NONE;
}

static enum smtp_act h_quit(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	reply(r, 221, "2.0.0", "%s closing", f->cfg.domain);
	return SMTP_ACT_CLOSE;
}

/* RFC 5321 §3.5.3: 252 when we will not say. */
static enum smtp_act h_vrfy(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	reply(r, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
	return SMTP_ACT_NONE;
}

static enum smtp_act h_help(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	rline(r, 214, true, "2.0.0", "txgw takes TXLOG mail for %s", f->cfg.domain);
	reply(r, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP%s",
	      f->cfg.tls ? " STARTTLS" : "");
	return SMTP_ACT_NONE;
}

/* RFC 3207 §4: only if offered, once, outside a transaction (the table). */
static enum smtp_act h_starttls(struct smtp_fsm *f, const struct smtp_cmd *c, struct smtp_reply *r)
{
	if (!f->cfg.tls) {
		reply(r, 502, "5.5.1", "STARTTLS not offered");
		return SMTP_ACT_NONE;
	}
	if (f->tls) {
		reply(r, 503, "5.5.1", "TLS already active");
		return SMTP_ACT_NONE;
	}
	reply(r, 220, "2.0.0", "Ready to start TLS");
	return SMTP_ACT_STARTTLS;
}

/* Commands good in every command state, and where they lead. */
#define ALWAYS(reset_to) \
	[SMTP_V_EHLO] = { h_ehlo, SMTP_ST_READY }, \
	[SMTP_V_HELO] = { h_helo, SMTP_ST_READY }, \
	[SMTP_V_RSET] = { h_rset, reset_to }, \
	[SMTP_V_NOOP] = { h_noop, SAME }, \
	[SMTP_V_HELP] = { h_help, SAME }, \
	[SMTP_V_VRFY] = { h_vrfy, SAME }, \
	[SMTP_V_QUIT] = { h_quit, SMTP_ST_CLOSED }

static const struct fsm_cell fsm_table[SMTP_ST_COUNT][SMTP_V_COUNT] = {
	[SMTP_ST_INIT] = {
		ALWAYS(SMTP_ST_INIT),
	},
	[SMTP_ST_READY] = {
		ALWAYS(SMTP_ST_READY),
		[SMTP_V_MAIL] = { h_mail, SMTP_ST_MAIL },
		[SMTP_V_STARTTLS] = { h_starttls, SMTP_ST_TLS },
	},
	[SMTP_ST_MAIL] = {
		ALWAYS(SMTP_ST_READY),
		[SMTP_V_RCPT] = { h_rcpt, SMTP_ST_RCPT },
	},
	[SMTP_ST_RCPT] = {
		ALWAYS(SMTP_ST_READY),
		[SMTP_V_RCPT] = { h_rcpt, SMTP_ST_RCPT },
		[SMTP_V_DATA] = { h_data, SMTP_ST_DATA },
		[SMTP_V_BDAT] = { h_bdat, SAME },
	},
	[SMTP_ST_BDAT] = {
		ALWAYS(SMTP_ST_READY),
		[SMTP_V_BDAT] = { h_bdat, SAME },
	},
	/* DATA, WAIT, TLS, CLOSED: the service reads no commands */
};
#undef ALWAYS

/* RFC 3207 §4: under a policy that needs TLS, "the server SHOULD reply to
 * every command other than NOOP, EHLO, STARTTLS, or QUIT with 530".  BDAT
 * is left to the table: before TLS it is always out of sequence (no MAIL
 * was taken), and the table knows to read and drop its chunk. */
static bool tls_needed(const struct smtp_fsm *f, enum smtp_verb v)
{
	if (!f->cfg.require_tls || f->tls)
		return false;
	return v != SMTP_V_NOOP && v != SMTP_V_EHLO && v != SMTP_V_STARTTLS && v != SMTP_V_QUIT &&
	       v != SMTP_V_BDAT;
}

static bool is_bad(int code)
{
	return code == 500 || code == 501 || code == 502 || code == 503 || code == 555;
}

/* Count a bad command; the SMTP_MAX_BAD-th is followed by 421 and the end. */
static enum smtp_act count_bad(struct smtp_fsm *f, enum smtp_act act, struct smtp_reply *r)
{
	if (!is_bad(r->code) || ++f->bad < SMTP_MAX_BAD)
		return act;
	reply(r, 421, "4.7.0", "%s Too many errors, closing", f->cfg.domain);
	f->st = SMTP_ST_CLOSED;
	return SMTP_ACT_CLOSE;
}

/* A parse error's reply (RFC 5321 §4.2.2, RFC 3463). */
static void parse_error(int rc, struct smtp_reply *r)
{
	switch (rc) {
	case -E2BIG:
		reply(r, 500, "5.5.6", "Line too long");
		break;
	case -ENOENT:
		reply(r, 500, "5.5.2", "Command unrecognized");
		break;
	case -ENOTSUP:
		reply(r, 555, "5.5.4", "Parameter not recognized or not implemented");
		break;
	default:
		reply(r, 501, "5.5.4", "Syntax error in parameters or arguments");
		break;
	}
}

enum smtp_act smtp_fsm_line(struct smtp_fsm *f, const uint8_t *line, size_t len,
			    struct smtp_reply *r)
{
	struct smtp_cmd c;
	const struct fsm_cell *cell;
	enum smtp_act act;
	int rc = smtp_cmd_parse(line, len, &c);

	rclear(r);
	if (rc == -E2BIG || rc == -ENOENT) {
		parse_error(rc, r);
		return count_bad(f, SMTP_ACT_NONE, r);
	}
	if (tls_needed(f, c.verb)) {
		reply(r, 530, "5.7.0", "Must issue a STARTTLS command first");
		return SMTP_ACT_NONE;
	}
	cell = &fsm_table[f->st][c.verb];
	if (!cell->h) {
		if (c.verb == SMTP_V_BDAT && rc == 0) {
			/* RFC 3030 §2: the chunk follows anyway; read and drop it */
			f->chunk = c.chunk;
			f->chunk_keep = false;
			f->chunk_err = 503;
			return SMTP_ACT_CHUNK;
		}
		reply(r, 503, "5.5.1", "Bad sequence of commands");
		return count_bad(f, SMTP_ACT_NONE, r);
	}
	if (rc) {
		parse_error(rc, r);
		return count_bad(f, SMTP_ACT_NONE, r);
	}
	act = cell->h(f, &c, r);
	if (r->code && r->code < 400 && cell->next != SAME)
		f->st = cell->next;
	return count_bad(f, act, r);
}

enum smtp_act smtp_fsm_data_end(struct smtp_fsm *f, uint64_t total, struct smtp_reply *r)
{
	rclear(r);
	if (total > f->cfg.max_size) {
		reply(r, 552, "5.3.4", "Message size exceeds fixed maximum message size");
		txn_reset(f);
		f->st = SMTP_ST_READY;
		return SMTP_ACT_NONE;
	}
	f->st = SMTP_ST_WAIT;
	return SMTP_ACT_DELIVER;
}

enum smtp_act smtp_fsm_chunk_end(struct smtp_fsm *f, uint64_t total, struct smtp_reply *r)
{
	uint64_t n = f->chunk;

	rclear(r);
	f->chunk = 0;
	if (f->chunk_err) {
		f->chunk_err = 0;
		reply(r, 503, "5.5.1", "Bad sequence of commands");
		return count_bad(f, SMTP_ACT_NONE, r);
	}
	if (total > f->cfg.max_size)
		return smtp_fsm_data_end(f, total, r);	/* 552, transaction over */
	if (f->chunk_last) {
		f->st = SMTP_ST_WAIT;
		return SMTP_ACT_DELIVER;
	}
	reply(r, 250, "2.0.0", "%llu octets received", (unsigned long long)n);
	return SMTP_ACT_NONE;
}

void smtp_fsm_delivered(struct smtp_fsm *f, int code, const char *enhanced, const char *text,
			struct smtp_reply *r)
{
	char clean[256];
	size_t i;

	rclear(r);
	if (!((code >= 200 && code < 300) || (code >= 400 && code < 600))) {
		code = 451;
		enhanced = "4.3.0";
		text = NULL;
	}
	snprintf(clean, sizeof(clean), "%s", text ? text : code < 300 ? "Ok" : "Not accepted");
	for (i = 0; clean[i]; i++)	/* no reply injection through the text */
		if (clean[i] == '\r' || clean[i] == '\n')
			clean[i] = ' ';
	reply(r, code, enhanced, "%s", clean);
	txn_reset(f);
	f->st = SMTP_ST_READY;
}

void smtp_fsm_tls_done(struct smtp_fsm *f)
{
	txn_reset(f);
	f->tls = true;
	f->esmtp = false;
	f->st = SMTP_ST_INIT;
}

enum smtp_act smtp_fsm_timeout(struct smtp_fsm *f, struct smtp_reply *r)
{
	return smtp_fsm_cut(f, "4.4.2", "Timeout", r);
}

enum smtp_act smtp_fsm_cut(struct smtp_fsm *f, const char *enhanced, const char *text,
			   struct smtp_reply *r)
{
	rclear(r);
	reply(r, 421, enhanced, "%s %s, closing", f->cfg.domain, text);
	f->st = SMTP_ST_CLOSED;
	return SMTP_ACT_CLOSE;
}
