/*
 * mt_book.c — the mobile-terminated SMS txgw-handset-sim received; see
 * mt_book.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/mt_book.h"
#include "gateway/lib/json.h"
#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"
#include "gateway/sms/tpdu.h"

#define MT_TIMEOUT_S	120	/* parts of one message arrive within this */
#define MT_MAX_PARTIAL	1024
#define MT_MAX_BYTES	(1 << 20)
#define MT_TEXT_MAX	(4 * CONCAT_PART_MAX)

struct mt_msg {
	char imsi[16], msisdn[21], from[24];
	uint8_t dcs, coding;
	unsigned parts;
	int port;			/* -1: no port IE */
	size_t len;
	uint8_t *data;			/* septets, octets or UTF-16BE as received */
};

struct mt_book {
	struct concat *concat;
	struct mt_msg *msg;
	size_t n, cap, bad;
};

struct mt_book *mt_book_new(void *ctx)
{
	struct concat_cfg cfg = { .timeout_s = MT_TIMEOUT_S, .max_partial = MT_MAX_PARTIAL,
				  .max_bytes = MT_MAX_BYTES, .hash_seed = 1 };
	struct mt_book *b = talloc_zero(ctx, struct mt_book);

	if (!b)
		return NULL;
	b->concat = concat_new(b, &cfg, NULL, NULL);
	if (!b->concat) {
		talloc_free(b);
		return NULL;
	}
	return b;
}

static enum charset_coding coding_of(const struct sms_tpdu *t)
{
	switch (t->dcs.alphabet) {
	case SMS_ALPHABET_8BIT: return CHARSET_8BIT;
	case SMS_ALPHABET_UCS2: return CHARSET_UCS2;
	default: return CHARSET_GSM7;
	}
}

static void keep(struct mt_book *b, const char *imsi, const char *msisdn, const struct sms_tpdu *t,
		 unsigned parts, const uint8_t *data, size_t len)
{
	struct mt_msg *m;
	uint16_t dst, src;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct mt_msg *v = talloc_realloc(b, b->msg, struct mt_msg, cap);
		if (!v)
			return;
		b->msg = v;
		b->cap = cap;
	}
	m = &b->msg[b->n];
	memset(m, 0, sizeof(*m));
	m->data = talloc_memdup(b, data, len ? len : 1);
	if (!m->data)
		return;
	snprintf(m->imsi, sizeof(m->imsi), "%s", imsi);
	snprintf(m->msisdn, sizeof(m->msisdn), "%s", msisdn);
	snprintf(m->from, sizeof(m->from), "%s%s", t->addr.ton == 1 ? "+" : "", t->addr.digits);
	m->dcs = t->dcs.raw;
	m->coding = (uint8_t)coding_of(t);
	m->parts = parts;
	m->port = t->udhi && udh_ports(&t->ud.udh, &dst, &src) > 0 ? dst : -1;
	m->len = len;
	b->n++;
}

void mt_book_add(struct mt_book *b, const char *imsi, const char *msisdn, const uint8_t *tpdu,
		 size_t len, uint64_t now_ms)
{
	struct concat_msg *done = NULL;
	struct udh_concat c;
	struct concat_key k;
	struct sms_tpdu t;

	if (sms_tpdu_decode(&t, tpdu, len, SMS_SC_TO_MS) < 0 || t.type != SMS_DELIVER) {
		b->bad++;
		return;
	}
	if (!t.udhi || udh_concat(&t.ud.udh, &c) < 0 || c.total < 2) {
		keep(b, imsi, msisdn, &t, 1, t.ud.data, t.ud.n);
		return;
	}
	struct concat_part p = { .seq = c.seq, .coding = (uint8_t)coding_of(&t), .data = t.ud.data,
				 .len = t.ud.n };
	if (concat_key_set(&k, 0, t.addr.digits, msisdn, c.ref_bits == 16 ? CONCAT_REF16 : CONCAT_REF8,
			   c.ref, c.total) < 0 ||
	    concat_add(b->concat, &k, &p, now_ms, b, &done) < 0) {
		b->bad++;
		return;
	}
	if (done) {
		keep(b, imsi, msisdn, &t, c.total, done->data, done->len);
		talloc_free(done);
	}
}

size_t mt_book_count(const struct mt_book *b)
{
	return b->n;
}

size_t mt_book_bad(const struct mt_book *b)
{
	return b->bad;
}

static void write_msg(struct jw *w, const struct mt_msg *m)
{
	jw_obj_open(w);
	jw_kstr(w, "imsi", m->imsi);
	jw_kstr(w, "msisdn", m->msisdn);
	jw_kstr(w, "from", m->from);
	jw_kuint(w, "dcs", m->dcs);
	jw_kuint(w, "parts", m->parts);
	if (m->port >= 0)
		jw_kuint(w, "port", (uint64_t)m->port);
	if (m->coding == CHARSET_8BIT) {
		jw_khex(w, "data", m->data, m->len);
	} else {
		char *text = talloc_size(NULL, MT_TEXT_MAX);
		int n = text ? charset_to_utf8((enum charset_coding)m->coding, text, MT_TEXT_MAX, m->data,
					       m->len, CHARSET_LENIENT, NULL) : -ENOMEM;
		if (n >= 0)
			jw_kstrn(w, "text", text, (size_t)n);
		else
			jw_khex(w, "data", m->data, m->len);
		talloc_free(text);
	}
	jw_obj_close(w);
}

void mt_book_json(struct jw *w, const struct mt_book *b)
{
	jw_key(w, "mt");
	jw_arr_open(w);
	for (size_t i = 0; i < b->n; i++)
		write_msg(w, &b->msg[i]);
	jw_arr_close(w);
	jw_kuint(w, "mt_bad", b->bad);
}
