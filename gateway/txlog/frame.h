/*
 * frame.h — the TXLOG v1 frame (doc/txlog-v1.md): types and codec.
 *
 *   Frame := Header(20) Record(28 + item_len){n_records} Signature(64)
 *
 * Integers are big-endian.  The decoder is strict: it refuses every
 * malformed case the format lists (see txl_frame_decode()).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXL_VERSION		1
#define TXL_HDR_LEN		20
#define TXL_REC_LEN		28	/* without the item */
#define TXL_SIG_LEN		64
#define TXL_MAX_RECORDS		32
#define TXL_MAX_ITEM		32
#define TXL_MIN_LEN		(TXL_HDR_LEN + TXL_REC_LEN + TXL_SIG_LEN)
#define TXL_MAX_LEN		(TXL_HDR_LEN + TXL_MAX_RECORDS * (TXL_REC_LEN + TXL_MAX_ITEM) + TXL_SIG_LEN)

enum txl_alg {
	TXL_ALG_ECDSA_P256 = 1,	/* ECDSA over SHA-256, r||s 32+32 bytes */
	TXL_ALG_ED25519 = 2,	/* pure Ed25519, RFC 8032 */
};

enum txl_type {
	TXL_T_PURCHASE = 1,
	TXL_T_TOPUP = 2,
	TXL_T_VOUCHER_BUY = 3,
	TXL_T_TRANSFER_OUT = 4,
	TXL_T_TRANSFER_IN = 5,
	TXL_T_REDEEM = 6,
	TXL_T_VOUCHER_SEND = 7,
	TXL_T_VOUCHER_RECV = 8,
	TXL_T_REFUND = 9,
};

struct txl_record {
	uint32_t counter;
	uint8_t type;		/* enum txl_type */
	uint32_t time;
	uint16_t currency;	/* ISO 4217 numeric */
	uint32_t amount;
	uint32_t balance;
	uint64_t peer;
	uint8_t item_len;
	uint8_t item[TXL_MAX_ITEM];
};

struct txl_frame {
	uint8_t version;
	uint8_t alg;		/* enum txl_alg */
	uint64_t device_id;
	uint8_t key_id;
	uint32_t upload_seq;
	uint32_t created;
	uint8_t n_records;
	struct txl_record rec[TXL_MAX_RECORDS];
	size_t signed_len;	/* bytes covered by the signature: all before it */
	uint8_t sig[TXL_SIG_LEN];
};

/* The longest explanation txl_frame_explain() writes, with its NUL. */
#define TXL_WHY_LEN		64

/*
 * Decode a frame (txlog-v1.md "Frame", "Malformed") from buf/len.
 *
 * Returns 0 and fills f (f->signed_len = len - 64, f->sig the signature),
 * or -EIO when buf is shorter than the smallest frame (112 bytes) or than
 * its records say, or -EINVAL for every other malformed case.  On failure
 * *why (if why is not NULL) is a static, short, human explanation fit for
 * the bus "error" field, e.g. "n_records is 0"; txl_frame_explain() gives
 * the same with record number and value.
 *
 * Whenever len >= 20 the header fields of f (version .. n_records) are
 * filled even when the frame turns out malformed, so that a reject can name
 * the device; see also txl_header_peek().
 */
int txl_frame_decode(struct txl_frame *f, const uint8_t *buf, size_t len, const char **why);

/*
 * As txl_frame_decode(), but the explanation is written into why[cap]
 * (cap >= TXL_WHY_LEN recommended) with the details: "record 3: unknown
 * type 12", "frame is 7 bytes longer than its records".  Records are
 * numbered from 1.  why is "" on success.
 */
int txl_frame_explain(struct txl_frame *f, const uint8_t *buf, size_t len, char *why, size_t cap);

/*
 * Read only the 20-byte header into f (version .. n_records), checking
 * nothing.  0, or -EIO when len < 20.  For naming the device of a frame
 * that is malformed further on.
 */
int txl_header_peek(struct txl_frame *f, const uint8_t *buf, size_t len);

/*
 * Encode the header and f->n_records records of f (not the signature) into
 * out[cap].  Returns the number of bytes written (the signed length), or
 * -ENOSPC when cap is too small, -EINVAL when f is not encodable
 * (n_records 0 or > 32, item_len > 32).  Values are written as they are:
 * the encoder can make frames the decoder refuses (for tests).
 */
int txl_frame_encode(uint8_t *out, size_t cap, const struct txl_frame *f);

/* "purchase" .. "refund", or NULL for a type outside the table. */
const char *txl_type_name(uint8_t type);

/* Balance effect of a record type (txlog-v1.md record table): -1 (minus
 * amount), +1 (plus amount), 0 (none, or unknown type). */
int txl_type_effect(uint8_t type);

/* "ecdsa-p256", "ed25519" (the registry's names), or NULL. */
const char *txl_alg_name(uint8_t alg);

/* ISO 4217 alphabetic code of a numeric code ("TWD" for 901), or NULL
 * when not in the table: the caller then prints the number. */
const char *txl_currency_code(uint16_t numeric);
