/*
 * frame.c — TXLOG v1 frame codec (txlog-v1.md "Frame" and "Malformed").
 *
 * The decoder is strict: every case the "Malformed" clause lists is
 * refused, and the frame must be consumed exactly (header, n_records
 * records, 64-byte signature, nothing more).  All reads go through the
 * bounds-checked cursor, so a hostile length can only make it fail.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "gateway/txlog/frame.h"

/* What is wrong with a frame: a kind, and the record and value it concerns. */
enum txl_fault {
	TXF_NONE,
	TXF_SHORT,		/* under the 112-byte minimum */
	TXF_VERSION,
	TXF_ALG,
	TXF_N_ZERO,
	TXF_N_BIG,
	TXF_REC_CUT,		/* input ends inside a record */
	TXF_TYPE,
	TXF_ITEM_LEN,
	TXF_VOUCHER_AMOUNT,
	TXF_SIG_CUT,		/* fewer than 64 bytes after the records */
	TXF_LONGER,		/* more than 64 bytes after the records */
};

struct txl_err {
	enum txl_fault kind;
	unsigned rec;		/* 1-based record number, 0 when none */
	unsigned long val;	/* the offending value or a byte count */
};

/* Static explanations (no numbers) for txl_frame_decode()'s *why. */
static const char *const fault_text[] = {
	[TXF_NONE] = "",
	[TXF_SHORT] = "frame is shorter than 112 bytes",
	[TXF_VERSION] = "version is not 1",
	[TXF_ALG] = "alg is not 1 or 2",
	[TXF_N_ZERO] = "n_records is 0",
	[TXF_N_BIG] = "n_records is over 32",
	[TXF_REC_CUT] = "frame ends inside a record",
	[TXF_TYPE] = "unknown record type",
	[TXF_ITEM_LEN] = "item_len is over 32",
	[TXF_VOUCHER_AMOUNT] = "voucher_send/voucher_recv with non-zero amount",
	[TXF_SIG_CUT] = "frame is shorter than its records and signature",
	[TXF_LONGER] = "frame is longer than its records and signature",
};

int txl_header_peek(struct txl_frame *f, const uint8_t *buf, size_t len)
{
	struct rd r;

	/* txlog-v1.md "Header (20 bytes)" */
	rd_init(&r, buf, len < TXL_HDR_LEN ? len : TXL_HDR_LEN);
	rd_u8(&r, &f->version);
	rd_u8(&r, &f->alg);
	rd_u64(&r, &f->device_id);
	rd_u8(&r, &f->key_id);
	rd_u32(&r, &f->upload_seq);
	rd_u32(&r, &f->created);
	rd_u8(&r, &f->n_records);
	return r.err;
}

static int fault(struct txl_err *e, enum txl_fault kind, unsigned rec, unsigned long val)
{
	e->kind = kind;
	e->rec = rec;
	e->val = val;
	return kind == TXF_SHORT || kind == TXF_REC_CUT || kind == TXF_SIG_CUT ? -EIO : -EINVAL;
}

/* One record (txlog-v1.md "Record (28 + item_len bytes)"); n is 1-based. */
static int decode_record(struct rd *r, struct txl_record *rec, unsigned n, struct txl_err *e)
{
	rd_u32(r, &rec->counter);
	rd_u8(r, &rec->type);
	rd_u32(r, &rec->time);
	rd_u16(r, &rec->currency);
	rd_u32(r, &rec->amount);
	rd_u32(r, &rec->balance);
	rd_u64(r, &rec->peer);
	rd_u8(r, &rec->item_len);
	if (r->err)
		return fault(e, TXF_REC_CUT, n, 0);
	if (!txl_type_name(rec->type))
		return fault(e, TXF_TYPE, n, rec->type);
	if (rec->item_len > TXL_MAX_ITEM)
		return fault(e, TXF_ITEM_LEN, n, rec->item_len);
	if ((rec->type == TXL_T_VOUCHER_SEND || rec->type == TXL_T_VOUCHER_RECV) && rec->amount)
		return fault(e, TXF_VOUCHER_AMOUNT, n, rec->amount);
	if (rd_copy(r, rec->item, rec->item_len))
		return fault(e, TXF_REC_CUT, n, 0);
	memset(rec->item + rec->item_len, 0, TXL_MAX_ITEM - rec->item_len);
	return 0;
}

static int decode(struct txl_frame *f, const uint8_t *buf, size_t len, struct txl_err *e)
{
	struct rd r;
	unsigned i;
	int rc;

	e->kind = TXF_NONE;
	txl_header_peek(f, buf, len);
	if (len < TXL_MIN_LEN)
		return fault(e, TXF_SHORT, 0, len);
	if (f->version != TXL_VERSION)
		return fault(e, TXF_VERSION, 0, f->version);
	if (f->alg != TXL_ALG_ECDSA_P256 && f->alg != TXL_ALG_ED25519)
		return fault(e, TXF_ALG, 0, f->alg);
	if (f->n_records == 0)
		return fault(e, TXF_N_ZERO, 0, 0);
	if (f->n_records > TXL_MAX_RECORDS)
		return fault(e, TXF_N_BIG, 0, f->n_records);

	rd_init(&r, buf, len);
	rd_skip(&r, TXL_HDR_LEN);
	for (i = 0; i < f->n_records; i++) {
		rc = decode_record(&r, &f->rec[i], i + 1, e);
		if (rc)
			return rc;
	}
	/* "the lengths do not add up exactly to the bytes received" */
	if (rd_left(&r) < TXL_SIG_LEN)
		return fault(e, TXF_SIG_CUT, 0, TXL_SIG_LEN - rd_left(&r));
	if (rd_left(&r) > TXL_SIG_LEN)
		return fault(e, TXF_LONGER, 0, rd_left(&r) - TXL_SIG_LEN);
	f->signed_len = r.off;
	rd_copy(&r, f->sig, TXL_SIG_LEN);
	return rd_end(&r);
}

int txl_frame_decode(struct txl_frame *f, const uint8_t *buf, size_t len, const char **why)
{
	struct txl_err e;
	int rc = decode(f, buf, len, &e);

	if (why)
		*why = fault_text[e.kind];
	return rc;
}

static void explain(const struct txl_err *e, char *why, size_t cap)
{
	switch (e->kind) {
	case TXF_SHORT:
		snprintf(why, cap, "frame is %lu bytes, shorter than %d", e->val, TXL_MIN_LEN);
		break;
	case TXF_VERSION:
		snprintf(why, cap, "version is %lu, not 1", e->val);
		break;
	case TXF_ALG:
		snprintf(why, cap, "alg is %lu, not 1 or 2", e->val);
		break;
	case TXF_N_BIG:
		snprintf(why, cap, "n_records is %lu, over %d", e->val, TXL_MAX_RECORDS);
		break;
	case TXF_REC_CUT:
		snprintf(why, cap, "frame ends inside record %u", e->rec);
		break;
	case TXF_TYPE:
		snprintf(why, cap, "record %u: unknown type %lu", e->rec, e->val);
		break;
	case TXF_ITEM_LEN:
		snprintf(why, cap, "record %u: item_len %lu is over %d", e->rec, e->val, TXL_MAX_ITEM);
		break;
	case TXF_VOUCHER_AMOUNT:
		snprintf(why, cap, "record %u: voucher_send/recv with amount %lu", e->rec, e->val);
		break;
	case TXF_SIG_CUT:
		snprintf(why, cap, "frame is %lu byte%s shorter than its records", e->val,
			 e->val == 1 ? "" : "s");
		break;
	case TXF_LONGER:
		snprintf(why, cap, "frame is %lu byte%s longer than its records", e->val,
			 e->val == 1 ? "" : "s");
		break;
	default:
		snprintf(why, cap, "%s", fault_text[e->kind]);
		break;
	}
}

int txl_frame_explain(struct txl_frame *f, const uint8_t *buf, size_t len, char *why, size_t cap)
{
	struct txl_err e;
	int rc = decode(f, buf, len, &e);

	if (why && cap)
		explain(&e, why, cap);
	return rc;
}

int txl_frame_encode(uint8_t *out, size_t cap, const struct txl_frame *f)
{
	struct wr w;
	unsigned i;

	if (f->n_records == 0 || f->n_records > TXL_MAX_RECORDS)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u8(&w, f->version);
	wr_u8(&w, f->alg);
	wr_u64(&w, f->device_id);
	wr_u8(&w, f->key_id);
	wr_u32(&w, f->upload_seq);
	wr_u32(&w, f->created);
	wr_u8(&w, f->n_records);
	for (i = 0; i < f->n_records; i++) {
		const struct txl_record *rec = &f->rec[i];

		if (rec->item_len > TXL_MAX_ITEM)
			return -EINVAL;
		wr_u32(&w, rec->counter);
		wr_u8(&w, rec->type);
		wr_u32(&w, rec->time);
		wr_u16(&w, rec->currency);
		wr_u32(&w, rec->amount);
		wr_u32(&w, rec->balance);
		wr_u64(&w, rec->peer);
		wr_u8(&w, rec->item_len);
		wr_bytes(&w, rec->item, rec->item_len);
	}
	return w.err ? w.err : (int)w.off;
}

/* txlog-v1.md record type table: name and effect on the balance. */
static const struct {
	const char *name;
	int effect;
} types[] = {
	[TXL_T_PURCHASE] = { "purchase", -1 },
	[TXL_T_TOPUP] = { "topup", +1 },
	[TXL_T_VOUCHER_BUY] = { "voucher_buy", -1 },
	[TXL_T_TRANSFER_OUT] = { "transfer_out", -1 },
	[TXL_T_TRANSFER_IN] = { "transfer_in", +1 },
	[TXL_T_REDEEM] = { "redeem", +1 },
	[TXL_T_VOUCHER_SEND] = { "voucher_send", 0 },
	[TXL_T_VOUCHER_RECV] = { "voucher_recv", 0 },
	[TXL_T_REFUND] = { "refund", +1 },
};

const char *txl_type_name(uint8_t type)
{
	return type < sizeof(types) / sizeof(types[0]) ? types[type].name : NULL;
}

int txl_type_effect(uint8_t type)
{
	return type < sizeof(types) / sizeof(types[0]) ? types[type].effect : 0;
}

const char *txl_alg_name(uint8_t alg)
{
	switch (alg) {
	case TXL_ALG_ECDSA_P256:
		return "ecdsa-p256";
	case TXL_ALG_ED25519:
		return "ed25519";
	}
	return NULL;
}

/* ISO 4217 numeric -> alphabetic: the currencies handsets are likely to
 * use; the table is small and looked up once per record, so it is scanned. */
static const struct {
	uint16_t num;
	char code[4];
} currencies[] = {
	{ 36, "AUD" }, { 124, "CAD" }, { 156, "CNY" }, { 208, "DKK" },
	{ 344, "HKD" }, { 348, "HUF" }, { 356, "INR" }, { 360, "IDR" },
	{ 376, "ILS" }, { 392, "JPY" }, { 410, "KRW" }, { 458, "MYR" },
	{ 484, "MXN" }, { 554, "NZD" }, { 578, "NOK" }, { 608, "PHP" },
	{ 634, "QAR" }, { 643, "RUB" }, { 682, "SAR" }, { 702, "SGD" },
	{ 704, "VND" }, { 710, "ZAR" }, { 752, "SEK" }, { 756, "CHF" },
	{ 764, "THB" }, { 784, "AED" }, { 826, "GBP" }, { 840, "USD" },
	{ 901, "TWD" }, { 949, "TRY" }, { 978, "EUR" }, { 985, "PLN" },
	{ 986, "BRL" }, { 203, "CZK" },
};

const char *txl_currency_code(uint16_t numeric)
{
	size_t i;

	for (i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (currencies[i].num == numeric)
			return currencies[i].code;
	return NULL;
}
