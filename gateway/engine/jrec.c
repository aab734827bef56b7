/*
 * jrec.c — the gateway's journal entry payloads; see jrec.h.
 *
 *   SEGMENT: i64 rx_ms, u8 coding, u8 has_port, u16 port, u32 bind,
 *            u8 ref_kind, u16 ref, u8 total, u8 seq,
 *            u8 len + src, u8 len + dst, u16 len + data
 *   LEDGER:  u64 device, u32 upload_seq, 32 digest, u8 upload_accepted,
 *            u8 n, n x (u32 counter, u32 balance)
 *   MSG:     u8 len + topic, the JSON payload to the end
 *   DROP:    u8 reason, u32 bind, u8 ref_kind, u16 ref, u8 total,
 *            u8 len + src, u8 len + dst
 *   DL_QUEUED:  u64 seq, i64 queued_ms, i64 expires_ms, u8 bearer, u8 flags
 *               (1 receipt, 2 has_device), u64 device, u8 len + id,
 *               u8 len + to, u32 len + payload
 *   DL_ATTEMPT: u64 seq, u32 attempt, u8 ref
 *   DL_STATE:   u64 seq, u8 state, i64 at_ms, u8 n_ids, n_ids x (u8 len +
 *               id), u8 len + error
 *   DL_RECEIPT: u64 seq, u8 part
 */
#include <errno.h>
#include <string.h>

#include "gateway/engine/jrec.h"
#include "gateway/lib/cursor.h"
#include "gateway/sms/charset.h"

static int wr_str8(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	if (n > 255)
		return w->err = -EINVAL;
	wr_u8(w, (uint8_t)n);
	return wr_bytes(w, s, n);
}

static int rd_str8(struct rd *r, char *out, size_t cap)
{
	uint8_t n;
	const uint8_t *p = NULL;
	if (rd_u8(r, &n) < 0 || rd_bytes(r, n, &p) < 0)
		return r->err;
	if (n >= cap || memchr(p, 0, n))
		return rd_fail(r, -EINVAL);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* The key's numbers (bind, ref_kind, ref, total): SEGMENT and DROP. */
static void wr_key_numbers(struct wr *w, const struct concat_key *k)
{
	wr_u32(w, k->bearer);
	wr_u8(w, k->ref_kind);
	wr_u16(w, k->ref);
	wr_u8(w, k->total);
}

static void rd_key_numbers(struct rd *r, struct concat_key *k)
{
	rd_u32(r, &k->bearer);
	rd_u8(r, &k->ref_kind);
	rd_u16(r, &k->ref);
	rd_u8(r, &k->total);
}

static void rd_key_addrs(struct rd *r, struct concat_key *k)
{
	rd_str8(r, k->src, sizeof(k->src));
	rd_str8(r, k->dst, sizeof(k->dst));
}

static bool key_ok(const struct concat_key *k)
{
	return k->ref_kind >= CONCAT_REF8 && k->ref_kind <= CONCAT_REF_SAR && k->total >= 2;
}

int jrec_segment_encode(uint8_t *out, size_t cap, const struct jrec_segment *s)
{
	struct wr w;
	if (s->len > UINT16_MAX)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u64(&w, (uint64_t)s->rx_ms);
	wr_u8(&w, s->coding);
	wr_u8(&w, s->has_port);
	wr_u16(&w, s->port);
	wr_key_numbers(&w, &s->key);
	wr_u8(&w, s->seq);
	wr_str8(&w, s->key.src);
	wr_str8(&w, s->key.dst);
	wr_u16(&w, (uint16_t)s->len);
	wr_bytes(&w, s->data, s->len);
	return w.err ? w.err : (int)w.off;
}

int jrec_segment_decode(struct jrec_segment *s, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint64_t rx;
	uint8_t has_port;
	uint16_t n;

	memset(s, 0, sizeof(*s));
	rd_init(&r, buf, len);
	rd_u64(&r, &rx);
	rd_u8(&r, &s->coding);
	rd_u8(&r, &has_port);
	rd_u16(&r, &s->port);
	rd_key_numbers(&r, &s->key);
	rd_u8(&r, &s->seq);
	rd_key_addrs(&r, &s->key);
	rd_u16(&r, &n);
	rd_bytes(&r, n, &s->data);
	if (rd_end(&r) < 0)
		return r.err;
	s->rx_ms = (int64_t)rx;
	s->has_port = has_port;
	s->len = n;
	if (has_port > 1 || s->coding > CHARSET_ASCII || !key_ok(&s->key) || !s->seq ||
	    s->seq > s->key.total)
		return -EINVAL;
	return 0;
}

int jrec_drop_encode(uint8_t *out, size_t cap, const struct jrec_drop *d)
{
	struct wr w;
	wr_init(&w, out, cap);
	wr_u8(&w, d->reason);
	wr_key_numbers(&w, &d->key);
	wr_str8(&w, d->key.src);
	wr_str8(&w, d->key.dst);
	return w.err ? w.err : (int)w.off;
}

int jrec_drop_decode(struct jrec_drop *d, const uint8_t *buf, size_t len)
{
	struct rd r;

	memset(d, 0, sizeof(*d));
	rd_init(&r, buf, len);
	rd_u8(&r, &d->reason);
	rd_key_numbers(&r, &d->key);
	rd_key_addrs(&r, &d->key);
	if (rd_end(&r) < 0)
		return r.err;
	return key_ok(&d->key) && d->reason <= CONCAT_EVICTED_SENDER_BYTES ? 0 : -EINVAL;
}

int jrec_ledger_encode(uint8_t *out, size_t cap, const struct jrec_ledger *l)
{
	struct wr w;
	if (l->n > TXL_MAX_RECORDS)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u64(&w, l->device);
	wr_u32(&w, l->upload_seq);
	wr_bytes(&w, l->digest, sizeof(l->digest));
	wr_u8(&w, l->upload_accepted);
	wr_u8(&w, l->n);
	for (unsigned i = 0; i < l->n; i++) {
		wr_u32(&w, l->rec[i].counter);
		wr_u32(&w, l->rec[i].balance);
	}
	return w.err ? w.err : (int)w.off;
}

int jrec_ledger_decode(struct jrec_ledger *l, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint8_t acc;

	memset(l, 0, sizeof(*l));
	rd_init(&r, buf, len);
	rd_u64(&r, &l->device);
	rd_u32(&r, &l->upload_seq);
	rd_copy(&r, l->digest, sizeof(l->digest));
	rd_u8(&r, &acc);
	rd_u8(&r, &l->n);
	if (r.err)
		return r.err;
	if (acc > 1 || l->n > TXL_MAX_RECORDS)
		return -EINVAL;
	l->upload_accepted = acc;
	for (unsigned i = 0; i < l->n; i++) {
		rd_u32(&r, &l->rec[i].counter);
		rd_u32(&r, &l->rec[i].balance);
	}
	return rd_end(&r);
}

int jrec_msg_encode(uint8_t *out, size_t cap, const struct jrec_msg *m)
{
	struct wr w;
	if (!m->topic_len || m->topic_len > JREC_TOPIC_MAX)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u8(&w, (uint8_t)m->topic_len);
	wr_bytes(&w, m->topic, m->topic_len);
	wr_bytes(&w, m->payload, m->len);
	return w.err ? w.err : (int)w.off;
}

int jrec_msg_decode(struct jrec_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint8_t n;
	const uint8_t *t;

	rd_init(&r, buf, len);
	if (rd_u8(&r, &n) < 0 || rd_bytes(&r, n, &t) < 0)
		return r.err;
	if (!n || n > JREC_TOPIC_MAX)
		return -EINVAL;
	m->topic = (const char *)t;
	m->topic_len = n;
	m->payload = (const char *)buf + r.off;
	m->len = len - r.off;
	return 0;
}

/* ---- the downlink outbox ------------------------------------------------------ */

#define DL_F_RECEIPT	0x01
#define DL_F_DEVICE	0x02
#define DL_PAYLOAD_MAX	65536

int jrec_dl_queued_encode(uint8_t *out, size_t cap, const struct jrec_dl_queued *q)
{
	struct wr w;

	if (!q->len || q->len > DL_PAYLOAD_MAX || !q->id[0] || !q->to[0])
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u64(&w, q->seq);
	wr_u64(&w, (uint64_t)q->queued_ms);
	wr_u64(&w, (uint64_t)q->expires_ms);
	wr_u8(&w, q->bearer);
	wr_u8(&w, (q->receipt ? DL_F_RECEIPT : 0) | (q->has_device ? DL_F_DEVICE : 0));
	wr_u64(&w, q->device);
	wr_str8(&w, q->id);
	wr_str8(&w, q->to);
	wr_u32(&w, (uint32_t)q->len);
	wr_bytes(&w, q->payload, q->len);
	return w.err ? w.err : (int)w.off;
}

int jrec_dl_queued_decode(struct jrec_dl_queued *q, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint64_t qms, ems;
	uint8_t flags;
	uint32_t n = 0;

	memset(q, 0, sizeof(*q));
	rd_init(&r, buf, len);
	rd_u64(&r, &q->seq);
	rd_u64(&r, &qms);
	rd_u64(&r, &ems);
	rd_u8(&r, &q->bearer);
	rd_u8(&r, &flags);
	rd_u64(&r, &q->device);
	rd_str8(&r, q->id, sizeof(q->id));
	rd_str8(&r, q->to, sizeof(q->to));
	rd_u32(&r, &n);
	rd_bytes(&r, n, &q->payload);
	if (rd_end(&r) < 0)
		return r.err;
	q->queued_ms = (int64_t)qms;
	q->expires_ms = (int64_t)ems;
	q->receipt = flags & DL_F_RECEIPT;
	q->has_device = flags & DL_F_DEVICE;
	q->len = n;
	if (!q->seq || q->bearer > JREC_DL_SMTP || (flags & ~(DL_F_RECEIPT | DL_F_DEVICE)) ||
	    !n || n > DL_PAYLOAD_MAX || !q->id[0] || !q->to[0])
		return -EINVAL;
	return 0;
}

int jrec_dl_attempt_encode(uint8_t *out, size_t cap, const struct jrec_dl_attempt *a)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u64(&w, a->seq);
	wr_u32(&w, a->attempt);
	wr_u8(&w, a->ref);
	return w.err ? w.err : (int)w.off;
}

int jrec_dl_attempt_decode(struct jrec_dl_attempt *a, const uint8_t *buf, size_t len)
{
	struct rd r;

	rd_init(&r, buf, len);
	rd_u64(&r, &a->seq);
	rd_u32(&r, &a->attempt);
	rd_u8(&r, &a->ref);
	if (rd_end(&r) < 0)
		return r.err;
	return a->seq && a->attempt ? 0 : -EINVAL;
}

int jrec_dl_state_encode(uint8_t *out, size_t cap, const struct jrec_dl_state *s)
{
	struct wr w;

	if (s->n_ids > JREC_DL_PARTS_MAX)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u64(&w, s->seq);
	wr_u8(&w, s->state);
	wr_u64(&w, (uint64_t)s->at_ms);
	wr_u8(&w, s->n_ids);
	for (unsigned i = 0; i < s->n_ids; i++)
		wr_str8(&w, s->ids[i]);
	wr_str8(&w, s->error);
	return w.err ? w.err : (int)w.off;
}

int jrec_dl_state_decode(struct jrec_dl_state *s, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint64_t at;

	memset(s, 0, sizeof(*s));
	rd_init(&r, buf, len);
	rd_u64(&r, &s->seq);
	rd_u8(&r, &s->state);
	rd_u64(&r, &at);
	rd_u8(&r, &s->n_ids);
	if (r.err)
		return r.err;
	if (s->n_ids > JREC_DL_PARTS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < s->n_ids; i++)
		rd_str8(&r, s->ids[i], sizeof(s->ids[i]));
	rd_str8(&r, s->error, sizeof(s->error));
	if (rd_end(&r) < 0)
		return r.err;
	s->at_ms = (int64_t)at;
	if (!s->seq || s->state < JREC_DL_SUBMITTED || s->state > JREC_DL_FAILED)
		return -EINVAL;
	return 0;
}

int jrec_dl_receipt_encode(uint8_t *out, size_t cap, const struct jrec_dl_receipt *r)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u64(&w, r->seq);
	wr_u8(&w, r->part);
	return w.err ? w.err : (int)w.off;
}

int jrec_dl_receipt_decode(struct jrec_dl_receipt *rc, const uint8_t *buf, size_t len)
{
	struct rd r;

	rd_init(&r, buf, len);
	rd_u64(&r, &rc->seq);
	rd_u8(&r, &rc->part);
	if (rd_end(&r) < 0)
		return r.err;
	return rc->seq && rc->part < JREC_DL_PARTS_MAX ? 0 : -EINVAL;
}
