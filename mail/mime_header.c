/*
 * mime_header.c — Content-Type and Content-Transfer-Encoding of one
 * entity (RFC 2045 §5.1, §6.1; RFC 2231; RFC 5322 §2.2.3, §3.2.2 for
 * folding and comments); see mime_header.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/mime_header.h"

/* A cursor over a field value.  Folding needs no unfolding pass: the
 * "\n" of a folded line is skipped like the blank that follows it. */
struct tok {
	const char *p, *end;
};

/* A parameter value as it stands in the header. */
struct pval {
	const char *p;
	size_t len;
	bool quoted;		/* a quoted-string: backslash pairs inside */
};

#define SEG_MAX	32		/* RFC 2231 continuations kept: name*0 .. name*31 */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 §5.1 tspecials, and SPACE and CTLs: not in a token. */
static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 32 && u < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* A comment, RFC 5322 §3.2.2: nested parentheses, backslash pairs. */
static void skip_comment(struct tok *t)
{
	unsigned depth = 0;

	while (t->p < t->end) {
		char c = *t->p++;

		if (c == '\\' && t->p < t->end)
			t->p++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
}

static void skip_cfws(struct tok *t)
{
	while (t->p < t->end) {
		if (is_wsp(*t->p))
			t->p++;
		else if (*t->p == '(')
			skip_comment(t);
		else
			return;
	}
}

static size_t token(struct tok *t, const char **s)
{
	*s = t->p;
	while (t->p < t->end && is_token_char(*t->p))
		t->p++;
	return (size_t)(t->p - *s);
}

/* A quoted-string from its opening quote; an unterminated one runs to the end. */
static void quoted(struct tok *t, struct pval *v)
{
	v->p = ++t->p;
	v->quoted = true;
	while (t->p < t->end && *t->p != '"') {
		if (*t->p == '\\' && t->p + 1 < t->end)
			t->p++;
		t->p++;
	}
	v->len = (size_t)(t->p - v->p);
	if (t->p < t->end)
		t->p++;
}

/*
 * A value: a quoted-string, or else a run up to ';', a blank, a quote or
 * a comment.  The run is wider than a token on purpose: mailers write
 * boundary=----=_Part_1 unquoted, and RFC 2045 §5.1 would stop at '='.
 */
static void value(struct tok *t, struct pval *v)
{
	if (t->p < t->end && *t->p == '"') {
		quoted(t, v);
		return;
	}
	v->p = t->p;
	v->quoted = false;
	while (t->p < t->end && *t->p != ';' && *t->p != '"' && *t->p != '(' && !is_wsp(*t->p))
		t->p++;
	v->len = (size_t)(t->p - v->p);
}

/* Up to the next ';' outside quotes and comments. */
static void skip_to_semicolon(struct tok *t)
{
	struct pval ignored;

	while (t->p < t->end && *t->p != ';') {
		if (*t->p == '"')
			quoted(t, &ignored);
		else if (*t->p == '(')
			skip_comment(t);
		else
			t->p++;
	}
}

/* The next "; attribute = value".  Returns false at the end. */
static bool next_param(struct tok *t, const char **attr, size_t *alen, struct pval *v)
{
	for (;;) {
		skip_to_semicolon(t);
		if (t->p >= t->end)
			return false;
		t->p++;
		skip_cfws(t);
		*alen = token(t, attr);
		skip_cfws(t);
		if (!*alen || t->p >= t->end || *t->p != '=')
			continue;	/* no attribute, or no value: ignored */
		t->p++;
		skip_cfws(t);
		value(t, v);
		return true;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Append v to out[cap] at *o: backslash pairs undone in a quoted string,
 * folding line breaks dropped, %XX decoded when pct (RFC 2231 §4).
 */
static int append(char *out, size_t cap, size_t *o, const struct pval *v, bool pct)
{
	for (size_t i = 0; i < v->len; i++) {
		char c = v->p[i];

		if (c == '\r' || c == '\n')
			continue;
		if (v->quoted && c == '\\' && i + 1 < v->len) {
			c = v->p[++i];
		} else if (pct && c == '%' && i + 2 < v->len && hexval(v->p[i + 1]) >= 0 &&
			   hexval(v->p[i + 2]) >= 0) {
			c = (char)(hexval(v->p[i + 1]) << 4 | hexval(v->p[i + 2]));
			i += 2;
		}
		if (*o + 1 >= cap)
			return -ENOSPC;
		out[(*o)++] = c;
	}
	return 0;
}

/* RFC 2231 §4: the first extended segment starts "charset'language'". */
static void drop_charset_language(struct pval *v)
{
	const char *q1 = memchr(v->p, '\'', v->len);
	const char *q2 = q1 ? memchr(q1 + 1, '\'', v->len - (size_t)(q1 + 1 - v->p)) : NULL;

	if (q2) {
		v->len -= (size_t)(q2 + 1 - v->p);
		v->p = q2 + 1;
	}
}

/*
 * attr[alen] names parameter name: as is (-1), or as the RFC 2231 segment
 * returned (0..SEG_MAX-1), *ext telling whether it is extended ("*" at the
 * end).  -2: another parameter.
 */
static int param_segment(const char *attr, size_t alen, const char *name, bool *ext)
{
	size_t nlen = strlen(name), i;
	int idx = 0;

	if (alen < nlen || strncasecmp(attr, name, nlen))
		return -2;
	if (alen == nlen)
		return -1;
	if (attr[nlen] != '*')
		return -2;
	*ext = attr[alen - 1] == '*';
	if (alen == nlen + 1)
		return 0;	/* name*=charset'lang'value */
	for (i = nlen + 1; i < alen - (*ext ? 1 : 0); i++) {
		if (attr[i] < '0' || attr[i] > '9' || idx >= SEG_MAX)
			return -2;
		idx = idx * 10 + (attr[i] - '0');
	}
	if (i == nlen + 1 || idx >= SEG_MAX)
		return -2;
	return idx;
}

int mime_header_param(const char *val, size_t len, const char *name, char *out, size_t cap)
{
	struct tok t = { val, val + len };
	struct pval seg[SEG_MAX], plain = { 0 }, v;
	bool ext[SEG_MAX] = { false }, have[SEG_MAX] = { false }, have_plain = false;
	const char *attr;
	size_t alen, o = 0;
	int rc = 0;

	if (!cap)
		return -ENOSPC;
	while (next_param(&t, &attr, &alen, &v)) {
		bool e = false;
		int idx = param_segment(attr, alen, name, &e);

		if (idx == -1 && !have_plain) {
			plain = v;
			have_plain = true;
		} else if (idx >= 0) {
			seg[idx] = v;
			ext[idx] = e;
			have[idx] = true;
		}
	}
	if (have[0]) {
		/* RFC 2231 wins over a plain value given for old readers. */
		for (int i = 0; i < SEG_MAX && have[i] && !rc; i++) {
			v = seg[i];
			if (i == 0 && ext[0])
				drop_charset_language(&v);
			rc = append(out, cap, &o, &v, ext[i]);
		}
	} else if (have_plain) {
		rc = append(out, cap, &o, &plain, false);
	} else {
		return -ENOENT;
	}
	if (rc)
		return rc;
	out[o] = '\0';
	return (int)o;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* Content-Type: type "/" subtype *(";" parameter), RFC 2045 §5.1. */
static void content_type(struct mime_header *h, const char *val, size_t len)
{
	struct tok t = { val, val + len };
	const char *ty, *sub;
	size_t tlen, slen;
	int n;

	skip_cfws(&t);
	tlen = token(&t, &ty);
	skip_cfws(&t);
	if (!tlen || t.p >= t.end || *t.p != '/') {
		h->defects |= MIME_DEF_BAD_TYPE;
		return;	/* RFC 2045 §5.2: the default */
	}
	t.p++;
	skip_cfws(&t);
	slen = token(&t, &sub);
	if (!slen) {
		h->defects |= MIME_DEF_BAD_TYPE;
		return;
	}
	if (tlen + 1 + slen > MIME_TYPE_MAX) {
		strcpy(h->type, "application/octet-stream");
	} else {
		memcpy(h->type, ty, tlen);
		h->type[tlen] = '/';
		memcpy(h->type + tlen + 1, sub, slen);
		h->type[tlen + 1 + slen] = '\0';
		lower(h->type);
	}
	if (mime_header_param(val, len, "charset", h->charset, sizeof(h->charset)) < 0)
		h->charset[0] = '\0';
	lower(h->charset);
	n = mime_header_param(val, len, "boundary", h->boundary, sizeof(h->boundary));
	/* RFC 2046 §5.1.1: a boundary does not end in a space; a delimiter
	 * line may, which covers a boundary declared with one. */
	while (n > 0 && h->boundary[n - 1] == ' ')
		n--;
	h->boundary_len = n > 0 ? (size_t)n : 0;
	h->boundary[h->boundary_len] = '\0';
}

/* Content-Transfer-Encoding, RFC 2045 §6.1: a case-insensitive token. */
static enum mime_cte transfer_encoding(const char *val, size_t len)
{
	static const struct {
		const char *name;
		enum mime_cte cte;
	} known[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_7BIT }, { "binary", MIME_CTE_7BIT },
		{ "base64", MIME_CTE_BASE64 }, { "quoted-printable", MIME_CTE_QP },
	};
	struct tok t = { val, val + len };
	const char *s;
	size_t n;

	skip_cfws(&t);
	n = token(&t, &s);
	if (!n)
		return MIME_CTE_7BIT;	/* empty: as if absent */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && !strncasecmp(s, known[i].name, n))
			return known[i].cte;
	return MIME_CTE_UNKNOWN;
}

/* Field name f[..colon) without trailing blanks equals name (any case). */
static bool field_is(const char *f, const char *colon, const char *name)
{
	size_t n = (size_t)(colon - f);

	while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		n--;
	return n == strlen(name) && !strncasecmp(f, name, n);
}

/* The end of the field starting at p: its line and the folded ones after it. */
static const char *field_end(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return end;
		p = nl + 1;
		if (p >= end || (*p != ' ' && *p != '\t'))
			return p;
	}
}

void mime_header_parse(struct mime_header *h, const char *hdr, size_t len, bool in_digest)
{
	const char *p = hdr, *end = hdr + len;
	bool got_type = false, got_cte = false;

	memset(h, 0, sizeof(*h));
	h->cte = MIME_CTE_7BIT;
	while (p < end) {
		const char *fe = field_end(p, end);
		const char *colon = memchr(p, ':', (size_t)(fe - p));

		if (!colon || memchr(p, '\n', (size_t)(colon - p))) {
			p = fe;	/* a continuation with no field above it */
			continue;
		}
		if (memchr(p, '\0', (size_t)(fe - p))) {
			h->defects |= MIME_DEF_NUL_HEADER;	/* ignored: see mime.h */
		} else if (!got_type && field_is(p, colon, "content-type")) {
			got_type = true;
			content_type(h, colon + 1, (size_t)(fe - colon - 1));
		} else if (!got_cte && field_is(p, colon, "content-transfer-encoding")) {
			got_cte = true;
			h->cte = transfer_encoding(colon + 1, (size_t)(fe - colon - 1));
		}
		p = fe;
	}
	if (!h->type[0]) {
		strcpy(h->type, in_digest ? "message/rfc822" : "text/plain");
		h->charset[0] = '\0';
		h->boundary_len = 0;
		h->boundary[0] = '\0';
	}
}
