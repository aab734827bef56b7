/*
 * smpp_pdu_fixture.h — what the SMPP codec test programs share:
 * test_smpp_pdu (golden PDUs, names, seeded random round trips and
 * mutations) and test_smpp_hostile (hostile and malformed input).
 * The golden deliver_sm lives here because both build on it.
 */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "smpp/smpp_pdu.h"

#define U32(v) (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), \
	(uint8_t)((uint32_t)(v) >> 8), (uint8_t)(v)
#define HDR(len, id, st, seq) U32(len), U32(id), U32(st), U32(seq)

/* A golden PDU as a string literal: one literal per field, sizeof - 1. */
#define GOLD(s) (const uint8_t *)(s), sizeof(s) - 1

static inline uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Pack *want and compare with the golden bytes; unpack them and compare. */
static inline void check_golden(const struct smpp_pdu *want, const uint8_t *bytes,
				size_t len)
{
	uint8_t out[512];
	struct smpp_pdu got;
	uint32_t st = 0xdead;

	assert_true(len <= sizeof(out));
	assert_int_equal(be32(bytes), len);	/* the golden itself is consistent */
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), want), (int)len);
	assert_memory_equal(out, bytes, len);
	assert_int_equal(smpp_pdu_pack(out, len - 1, want), -ENOSPC);

	assert_int_equal(smpp_pdu_unpack(&got, bytes, len, &st), 0);
	assert_int_equal(st, ESME_ROK);
	assert_int_equal(got.command_length, len);
	assert_true(smpp_pdu_equal(&got, want));
}

/* Unpack and expect failure rc with status st. */
static inline void check_bad(const uint8_t *bytes, size_t len, int rc, uint32_t st)
{
	struct smpp_pdu p;
	uint32_t got = 0xdead;

	assert_int_equal(smpp_pdu_unpack(&p, bytes, len, &got), rc);
	if (got != st)
		fail_msg("status %s (0x%02x), expected %s", smpp_status_name(got), got,
			 smpp_status_name(st));
}

/* §4.6.1 deliver_sm of a concatenated binary SMS with the sar_ TLVs. */
static const char deliver_gold[] =
	"\x00\x00\x00\x47" "\x00\x00\x00\x05" "\x00\x00\x00\x00" "\x00\x00\x00\x07"
	"\0"			/* service_type */
	"\x01" "\x01"		/* source_addr_ton international, npi E.164 */
	"447700900123\0"	/* source_addr */
	"\x00" "\x00"		/* dest_addr_ton, dest_addr_npi */
	"16354\0"		/* destination_addr */
	"\x40" "\x00" "\x00"	/* esm_class UDHI, protocol_id, priority_flag */
	"\0" "\0"		/* schedule_delivery_time, validity_period: NULL */
	"\x00" "\x00" "\x04" "\x00"	/* registered_delivery, replace, data_coding, id */
	"\x05" "hello"		/* sm_length, short_message */
	"\x02\x0c" "\x00\x02" "\x12\x34"	/* sar_msg_ref_num 0x1234 */
	"\x02\x0e" "\x00\x01" "\x02"	/* sar_total_segments 2 */
	"\x02\x0f" "\x00\x01" "\x01";	/* sar_segment_seqnum 1 */
#define DELIVER_LEN (sizeof(deliver_gold) - 1)

static inline void fill_deliver(struct smpp_pdu *p)
{
	smpp_pdu_init(p, SMPP_DELIVER_SM, 7);
	p->source_addr_ton = 1;
	p->source_addr_npi = 1;
	strcpy(p->source_addr, "447700900123");
	strcpy(p->destination_addr, "16354");
	p->esm_class = 0x40;
	p->data_coding = 4;
	p->sm_length = 5;
	p->short_message = (const uint8_t *)"hello";
	smpp_tlv_add_uint(p, SMPP_TLV_SAR_MSG_REF_NUM, 0x1234, 2);
	smpp_tlv_add_uint(p, SMPP_TLV_SAR_TOTAL_SEGMENTS, 2, 1);
	smpp_tlv_add_uint(p, SMPP_TLV_SAR_SEGMENT_SEQNUM, 1, 1);
}
