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
