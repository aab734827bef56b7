/*
 * smtp_cmd.c — the SMTP command-line parser (RFC 5321 §4.1.1, §4.1.2,
 * RFC 1870, RFC 6152, RFC 6531, RFC 3030, RFC 3207); see smtp_cmd.h.
 *
 * Everything is read through the bounds-checked cursor: pk() looks at the
 * next octet (-1 at the end), adv() steps over it.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "gateway/lib/cursor.h"
#include "mail/smtp_cmd.h"

/* What follows the verb. */
enum args {
	A_NONE,		/* nothing at all: DATA, RSET, QUIT, STARTTLS */
	A_TEXT,		/* optional text: NOOP, HELP */
	A_NEED_TEXT,	/* text required: VRFY */
	A_NAME,		/* a client name: HELO, EHLO */
	A_MAIL,
	A_RCPT,
	A_BDAT,
};

static const struct {
	const char *name;
	enum args args;
} verbs[SMTP_V_COUNT] = {
	[SMTP_V_UNKNOWN] = { "?", A_NONE },
	[SMTP_V_HELO] = { "HELO", A_NAME },
	[SMTP_V_EHLO] = { "EHLO", A_NAME },
	[SMTP_V_MAIL] = { "MAIL", A_MAIL },
	[SMTP_V_RCPT] = { "RCPT", A_RCPT },
	[SMTP_V_DATA] = { "DATA", A_NONE },
	[SMTP_V_BDAT] = { "BDAT", A_BDAT },
	[SMTP_V_RSET] = { "RSET", A_NONE },
	[SMTP_V_NOOP] = { "NOOP", A_TEXT },
	[SMTP_V_QUIT] = { "QUIT", A_NONE },
	[SMTP_V_VRFY] = { "VRFY", A_NEED_TEXT },
	[SMTP_V_HELP] = { "HELP", A_TEXT },
	[SMTP_V_STARTTLS] = { "STARTTLS", A_NONE },
};

const char *smtp_verb_name(enum smtp_verb v)
{
	return v < SMTP_V_COUNT ? verbs[v].name : "?";
}

static int pk(const struct rd *r)
{
	return rd_left(r) ? r->buf[r->off] : -1;
}

static void adv(struct rd *r)
{
	rd_skip(r, 1);
}

/* Step over c if it is next. */
static bool eat(struct rd *r, int c)
{
	if (pk(r) != c)
		return false;
	adv(r);
	return true;
}

/* Step over a case-insensitive ASCII keyword if it is next. */
static bool eat_kw(struct rd *r, const char *kw)
{
	size_t n = strlen(kw);
	if (rd_left(r) < n || strncasecmp((const char *)r->buf + r->off, kw, n))
		return false;
	rd_skip(r, n);
	return true;
}

/*
 * One well-formed UTF-8 sequence of a non-ASCII character (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF) next on r:
 * step over it and return true; else leave r alone and return false.
 */
static bool eat_utf8(struct rd *r)
{
	size_t left = rd_left(r), n, i;
	const uint8_t *p = r->buf + r->off;
	uint8_t lo = 0x80, hi = 0xbf;

	if (!left || p[0] < 0xc2 || p[0] > 0xf4)
		return false;
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return false;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return false;
	rd_skip(r, n);
	return true;
}

/* RFC 5322 §3.2.3 atext, as RFC 5321 §4.1.2 uses it. */
static bool is_atext(int c)
{
	if (c <= 0 || c >= 0x80)
		return false;
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c);
}

static bool is_letdig(int c)
{
	return c >= 0 && c < 0x80 && isalnum(c);
}

/*
 * Dot-string (RFC 5321 §4.1.2), atext widened by RFC 6531 §3.3 to UTF-8.
 * Sets *utf8 when a non-ASCII character was read.
 */
static int dot_string(struct rd *r, bool *utf8)
{
	do {
		size_t start = r->off;
		for (;;) {
			if (is_atext(pk(r)))
				adv(r);
			else if (eat_utf8(r))
				*utf8 = true;
			else
				break;
		}
		if (r->off == start)
			return -EINVAL;	/* empty atom: "..", leading or trailing dot */
	} while (eat(r, '.'));
	return 0;
}

/* Quoted-string: DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE. */
static int quoted_string(struct rd *r, bool *utf8)
{
	if (!eat(r, '"'))
		return -EINVAL;
	for (;;) {
		int c = pk(r);
		if (c == '"') {
			adv(r);
			return 0;
		}
		if (c == '\\') {
			adv(r);
			c = pk(r);
			if (c < 32 || c > 126)
				return -EINVAL;
			adv(r);
		} else if (c >= 32 && c <= 126) {
			adv(r);
		} else if (eat_utf8(r)) {
			*utf8 = true;
		} else {
			return -EINVAL;	/* control octet, bad UTF-8, or no closing quote */
		}
	}
}

/*
 * Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]
 * (RFC 5321 §4.1.2), or a U-label (RFC 6531 §3.3: any UTF-8 label).
 */
static int domain(struct rd *r, bool *utf8)
{
	size_t start = r->off;

	do {
		size_t label = r->off;
		int last = -1;
		for (;;) {
			int c = pk(r);
			if (is_letdig(c) || (c == '-' && r->off != label)) {
				adv(r);
				last = c;
			} else if (eat_utf8(r)) {
				*utf8 = true;
				last = 'u';
			} else {
				break;
			}
		}
		if (r->off == label || last == '-')
			return -EINVAL;
	} while (eat(r, '.'));
	return r->off - start > SMTP_DOMAIN_MAX ? -EINVAL : 0;
}

/* address-literal: "[" 1*dcontent "]" (RFC 5321 §4.1.3), the general form;
 * what is inside is not ours to route to anyway. */
static int address_literal(struct rd *r)
{
	size_t start;

	if (!eat(r, '['))
		return -EINVAL;
	start = r->off;
	while (pk(r) >= 33 && pk(r) <= 126 && pk(r) != '[' && pk(r) != ']' && pk(r) != '\\')
		adv(r);
	if (r->off == start || !eat(r, ']'))
		return -EINVAL;
	return 0;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ). */
static int mailbox(struct rd *r, bool *utf8)
{
	size_t start = r->off;
	int rc = pk(r) == '"' ? quoted_string(r, utf8) : dot_string(r, utf8);

	if (rc)
		return rc;
	if (r->off - start > SMTP_LOCAL_MAX || !eat(r, '@'))
		return -EINVAL;
	return pk(r) == '[' ? address_literal(r) : domain(r, utf8);
}

/*
 * Path = "<" [ A-d-l ":" ] Mailbox ">"; the source route is read and
 * dropped (RFC 5321 §4.1.1.3: receivers SHOULD ignore it).  "<>" is the
 * null reverse-path, allowed when null_ok; "<Postmaster>" when pm_ok
 * (§4.5.1).  The mailbox (or "") goes to out.
 */
static int path(struct rd *r, bool null_ok, bool pm_ok, struct smtp_cmd *cmd)
{
	size_t open = r->off, mb;
	int rc;

	if (!eat(r, '<'))
		return -EINVAL;
	if (eat(r, '>'))
		return null_ok ? 0 : -EINVAL;
	if (pm_ok && eat_kw(r, "postmaster>")) {
		strcpy(cmd->arg, "Postmaster");
		return 0;
	}
	if (pk(r) == '@') {	/* A-d-l: dropped, so its UTF-8 does not count */
		bool route_utf8 = false;
		do {
			if (!eat(r, '@') || domain(r, &route_utf8))
				return -EINVAL;
		} while (eat(r, ','));
		if (!eat(r, ':'))
			return -EINVAL;
	}
	mb = r->off;
	rc = mailbox(r, &cmd->utf8);
	if (rc)
		return rc;
	memcpy(cmd->arg, r->buf + mb, r->off - mb);
	cmd->arg[r->off - mb] = '\0';
	if (!eat(r, '>') || r->off - open > SMTP_PATH_MAX)
		return -EINVAL;
	return 0;
}

/* 1*20DIGIT to a uint64_t. */
static int number(struct rd *r, uint64_t *v)
{
	size_t start = r->off;

	*v = 0;
	while (pk(r) >= '0' && pk(r) <= '9') {
		unsigned d = (unsigned)(pk(r) - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*v = *v * 10 + d;
		adv(r);
	}
	return r->off == start ? -EINVAL : 0;
}

/* esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii) (RFC 6531 §3.3). */
static int esmtp_value(struct rd *r, size_t *len)
{
	size_t start = r->off;

	for (;;) {
		int c = pk(r);
		if (c >= 33 && c <= 126 && c != '=')
			adv(r);
		else if (!eat_utf8(r))
			break;
	}
	*len = r->off - start;
	return *len ? 0 : -EINVAL;
}

/*
 * One MAIL parameter, alone in r (RFC 1870 §3, RFC 6152 §2, RFC 6531 §3.4):
 * a known keyword with a bad value is -EINVAL, an unknown keyword or value
 * -ENOTSUP.
 */
static int mail_param(struct rd *r, struct smtp_cmd *cmd)
{
	int rc;

	if (eat_kw(r, "SIZE=")) {
		if (cmd->has_size)
			return -EINVAL;
		cmd->has_size = true;
		rc = number(r, &cmd->size);
		return rc ? rc : rd_left(r) ? -EINVAL : 0;
	}
	if (eat_kw(r, "BODY=")) {
		if (cmd->body != SMTP_BODY_NONE)
			return -EINVAL;
		if (eat_kw(r, "8BITMIME"))
			cmd->body = SMTP_BODY_8BITMIME;
		else if (eat_kw(r, "7BIT"))
			cmd->body = SMTP_BODY_7BIT;
		return cmd->body == SMTP_BODY_NONE || rd_left(r) ? -ENOTSUP : 0;
	}
	if (eat_kw(r, "SMTPUTF8")) {
		if (pk(r) == '=' || cmd->smtputf8)
			return -EINVAL;	/* takes no value; given twice */
		if (rd_left(r))
			return -ENOTSUP;	/* a longer keyword */
		cmd->smtputf8 = true;
		return 0;
	}
	if (eat_kw(r, "SIZE") || eat_kw(r, "BODY"))
		return rd_left(r) ? -ENOTSUP : -EINVAL;	/* no value */
	return -ENOTSUP;
}

/* esmtp-param = esmtp-keyword ["=" esmtp-value], each after one or more
 * SP (RFC 5321 §4.1.2).  A parameter not offered is -ENOTSUP, but only
 * once the whole list is known to be well formed. */
static int params(struct rd *r, struct smtp_cmd *cmd, bool is_mail)
{
	int unknown = 0;

	while (eat(r, ' ')) {
		size_t start, vlen;
		struct rd kw;
		int rc;

		while (eat(r, ' '))
			;
		if (pk(r) < 0)
			break;
		start = r->off;
		if (!is_letdig(pk(r)))
			return -EINVAL;
		while (is_letdig(pk(r)) || pk(r) == '-')
			adv(r);
		if (eat(r, '=') && esmtp_value(r, &vlen))
			return -EINVAL;
		if (pk(r) >= 0 && pk(r) != ' ')
			return -EINVAL;
		cmd->has_params = true;
		/* the parameter again, alone, for its own parser */
		rd_init(&kw, r->buf + start, r->off - start);
		rc = is_mail ? mail_param(&kw, cmd) : -ENOTSUP;
		if (rc == -ENOTSUP)
			unknown = rc;
		else if (rc)
			return rc;
	}
	return rd_end(r) ? -EINVAL : unknown;
}

/* Text after the verb: printable ASCII, SP, HT or UTF-8; copied to arg. */
static int text(struct rd *r, struct smtp_cmd *cmd)
{
	size_t start = r->off;

	for (;;) {
		int c = pk(r);
		if ((c >= 32 && c <= 126) || c == '\t')
			adv(r);
		else if (eat_utf8(r))
			cmd->utf8 = true;
		else
			break;
	}
	if (rd_left(r))
		return -EINVAL;
	memcpy(cmd->arg, r->buf + start, r->off - start);
	cmd->arg[r->off - start] = '\0';
	return 0;
}

/* HELO/EHLO: one name, a Domain or an address-literal (RFC 5321 §4.1.1.1).
 * Clients send all sorts of host names ("my_host", bare words), so any
 * run of printable ASCII up to SMTP_DOMAIN_MAX is taken. */
static int client_name(struct rd *r, struct smtp_cmd *cmd)
{
	size_t start = r->off;

	while (pk(r) >= 33 && pk(r) <= 126)
		adv(r);
	if (r->off == start || r->off - start > SMTP_DOMAIN_MAX || rd_left(r))
		return -EINVAL;
	memcpy(cmd->arg, r->buf + start, r->off - start);
	cmd->arg[r->off - start] = '\0';
	return 0;
}

/* MAIL FROM:<reverse-path> [params], RCPT TO:<forward-path> [params].
 * A space after the colon is not in the grammar, but so many clients send
 * one that refusing it would help nobody. */
static int mail_rcpt(struct rd *r, struct smtp_cmd *cmd, bool is_mail)
{
	int rc;

	if (!eat_kw(r, is_mail ? "FROM:" : "TO:"))
		return -EINVAL;
	while (eat(r, ' '))
		;
	rc = path(r, is_mail, !is_mail, cmd);
	if (rc)
		return rc;
	return params(r, cmd, is_mail);
}

/* BDAT SP chunk-size [SP end-marker] (RFC 3030 §2). */
static int bdat(struct rd *r, struct smtp_cmd *cmd)
{
	int rc = number(r, &cmd->chunk);

	if (rc)
		return rc;
	if (eat(r, ' ')) {
		if (!eat_kw(r, "LAST"))
			return -EINVAL;
		cmd->last = true;
	}
	return rd_end(r) ? -EINVAL : 0;
}

static int args(struct rd *r, struct smtp_cmd *cmd)
{
	bool sp = eat(r, ' ');

	switch (verbs[cmd->verb].args) {
	case A_NONE:
		return rd_left(r) ? -EINVAL : 0;
	case A_TEXT:
		return text(r, cmd);
	case A_NEED_TEXT:
		return sp && rd_left(r) ? text(r, cmd) : -EINVAL;
	case A_NAME:
		return sp ? client_name(r, cmd) : -EINVAL;
	case A_MAIL:
	case A_RCPT:
		return sp ? mail_rcpt(r, cmd, verbs[cmd->verb].args == A_MAIL) : -EINVAL;
	case A_BDAT:
		return sp ? bdat(r, cmd) : -EINVAL;
	}
	return -EINVAL;
}

int smtp_cmd_parse(const uint8_t *line, size_t len, struct smtp_cmd *cmd)
{
	struct rd r;
	size_t vlen = 0;
	unsigned v;

	memset(cmd, 0, sizeof(*cmd));
	if (len > SMTP_LINE_MAX - 2)
		return -E2BIG;
	/* trailing white space is not in the grammar but common; forgive it */
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (v = SMTP_V_UNKNOWN + 1; v < SMTP_V_COUNT; v++)
		if (strlen(verbs[v].name) == vlen && !strncasecmp(verbs[v].name, (const char *)line, vlen))
			break;
	if (v == SMTP_V_COUNT)
		return -ENOENT;
	cmd->verb = v;
	rd_init(&r, line, len);
	rd_skip(&r, vlen);
	return args(&r, cmd);
}

bool smtp_domain_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

const char *smtp_mailbox_domain(const char *mailbox)
{
	const char *at = strrchr(mailbox, '@');

	return at ? at + 1 : "";
}
