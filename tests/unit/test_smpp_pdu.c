/*
 * test_smpp_pdu — the SMPP 3.4 PDU codec: golden PDUs written field by
 * field from the §4 tables, every hostile case the brief lists, seeded
 * random round trips and random mutations.
 *
 * SMPP_TEST_SEED=<n> replays a random run (the seed is printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smpp_pdu.h"
#include "smpp_test.h"

#define U32(v) (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), \
	(uint8_t)((uint32_t)(v) >> 8), (uint8_t)(v)
#define HDR(len, id, st, seq) U32(len), U32(id), U32(st), U32(seq)

/* A golden PDU as a string literal: one literal per field, sizeof - 1. */
#define GOLD(s) (const uint8_t *)(s), sizeof(s) - 1

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Pack *want and compare with the golden bytes; unpack them and compare. */
static void check_golden(const struct smpp_pdu *want, const uint8_t *bytes, size_t len)
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
static void check_bad(const uint8_t *bytes, size_t len, int rc, uint32_t st)
{
	struct smpp_pdu p;
	uint32_t got = 0xdead;

	assert_int_equal(smpp_pdu_unpack(&p, bytes, len, &got), rc);
	if (got != st)
		fail_msg("status %s (0x%02x), expected %s", smpp_status_name(got), got,
			 smpp_status_name(st));
}

/* Like check_bad() on a literal whose command_length is set here. */
static void check_bad_lit(const char *s, size_t n, int rc, uint32_t st)
{
	uint8_t b[256];

	assert_true(n <= sizeof(b));
	memcpy(b, s, n);
	b[0] = b[1] = 0;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	check_bad(b, n, rc, st);
}

#define LIT(s) (s), sizeof(s) - 1

static void test_tables(void **state)
{
	assert_int_equal(smpp_def_check(), 0);
}

static void test_frame_len(void **state)
{
	static const uint8_t h15[4] = { 0, 0, 0, 15 }, h16[4] = { 0, 0, 0, 16 };
	static const uint8_t hbig[4] = { 0, 1, 0, 1 }, hmax[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t len = 0;

	assert_int_equal(smpp_frame_len(h15, 4096, &len), -EINVAL);
	assert_int_equal(smpp_frame_len(h16, 4096, &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(smpp_frame_len(hbig, 0x10000, &len), -ERANGE);
	assert_int_equal(smpp_frame_len(hbig, 0x10001, &len), 0);
	assert_int_equal(len, 0x10001);
	assert_int_equal(smpp_frame_len(hmax, 0x10001, &len), -ERANGE);
}

/* §4.1.1 bind_transmitter; §4.1.3 and §4.1.5 share the body. */
static void test_golden_bind(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x2a" "\x00\x00\x00\x02" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"txgw\0"		/* system_id */
		"secret\0"		/* password */
		"TXGW\0"		/* system_type */
		"\x34"			/* interface_version 3.4 */
		"\x01" "\x01"		/* addr_ton, addr_npi */
		"4477*\0";		/* address_range */
	static const uint32_t ids[] = { SMPP_BIND_TRANSMITTER, SMPP_BIND_RECEIVER,
					SMPP_BIND_TRANSCEIVER };
	uint8_t b[sizeof(gold)];
	struct smpp_pdu p;

	for (size_t i = 0; i < 3; i++) {
		smpp_pdu_init(&p, ids[i], 1);
		strcpy(p.system_id, "txgw");
		strcpy(p.password, "secret");
		strcpy(p.system_type, "TXGW");
		p.interface_version = 0x34;
		p.addr_ton = 1;
		p.addr_npi = 1;
		strcpy(p.address_range, "4477*");
		memcpy(b, gold, sizeof(b));
		b[7] = (uint8_t)ids[i];
		check_golden(&p, b, sizeof(b) - 1);
	}
}

/* §4.1.2 bind_transmitter_resp with sc_interface_version (§5.3.2.25). */
static void test_golden_bind_resp(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x1a" "\x80\x00\x00\x09" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"smsc\0"		/* system_id */
		"\x02\x10" "\x00\x01" "\x34";	/* sc_interface_version = 0x34 */
	struct smpp_pdu p;
	uint32_t v;

	smpp_pdu_init(&p, SMPP_BIND_TRANSCEIVER_RESP, 1);
	strcpy(p.system_id, "smsc");
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_SC_INTERFACE_VERSION, 0x34, 1), 0);
	check_golden(&p, GOLD(gold));
	assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_SC_INTERFACE_VERSION, &v), 0);
	assert_int_equal(v, 0x34);
}

/* §4.1.7 outbind */
static void test_golden_outbind(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x18" "\x00\x00\x00\x0b" "\x00\x00\x00\x00" "\x00\x00\x00\x05"
		"smsc\0"		/* system_id */
		"pw\0";			/* password */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_OUTBIND, 5);
	strcpy(p.system_id, "smsc");
	strcpy(p.password, "pw");
	check_golden(&p, GOLD(gold));
}

/* §4.2 unbind, §4.3 generic_nack, §4.11 enquire_link and the empty responses. */
static void test_golden_header_only(void **state)
{
	static const uint32_t ids[] = {
		SMPP_UNBIND, SMPP_UNBIND_RESP, SMPP_GENERIC_NACK, SMPP_ENQUIRE_LINK,
		SMPP_ENQUIRE_LINK_RESP, SMPP_CANCEL_SM_RESP, SMPP_REPLACE_SM_RESP,
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const uint8_t gold[] = { HDR(16, ids[i], i == 2 ? ESME_RINVCMDID : 0, 0x7fffffff) };
		struct smpp_pdu p;

		smpp_pdu_init(&p, ids[i], 0x7fffffff);
		if (i == 2)
			p.command_status = ESME_RINVCMDID;
		check_golden(&p, gold, sizeof(gold));
	}
}

/* §4.4.1 submit_sm */
static void test_golden_submit_sm(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x4c" "\x00\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x02"
		"WAP\0"			/* service_type */
		"\x05" "\x00"		/* source_addr_ton alphanumeric, npi */
		"TXGW\0"		/* source_addr */
		"\x01" "\x01"		/* dest_addr_ton, dest_addr_npi */
		"447700900123\0"	/* destination_addr */
		"\x00" "\x00" "\x01"	/* esm_class, protocol_id, priority_flag */
		"\0"			/* schedule_delivery_time: immediate */
		"000001000000000R\0"	/* validity_period: relative 1 day (§7.1.1) */
		"\x01" "\x00" "\x00" "\x00"	/* registered_delivery, replace, data_coding, default id */
		"\x02" "hi"		/* sm_length, short_message */
		"\x02\x04" "\x00\x02" "\x00\x2a";	/* user_message_reference = 42 */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_SUBMIT_SM, 2);
	strcpy(p.service_type, "WAP");
	p.source_addr_ton = 5;
	strcpy(p.source_addr, "TXGW");
	p.dest_addr_ton = 1;
	p.dest_addr_npi = 1;
	strcpy(p.destination_addr, "447700900123");
	p.priority_flag = 1;
	strcpy(p.validity_period, "000001000000000R");
	p.registered_delivery = 1;
	p.sm_length = 2;
	p.short_message = (const uint8_t *)"hi";
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_USER_MESSAGE_REFERENCE, 42, 2), 0);
	check_golden(&p, GOLD(gold));
}

/* §4.4.2 submit_sm_resp; with an error status the body may be absent. */
static void test_golden_submit_sm_resp(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x17" "\x80\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x02"
		"abc123\0";		/* message_id */
	static const uint8_t nobody[] = { HDR(16, SMPP_SUBMIT_SM_RESP, ESME_RSUBMITFAIL, 2) };
	static const uint8_t nobody_ok[] = { HDR(16, SMPP_SUBMIT_SM_RESP, ESME_ROK, 2) };
	struct smpp_pdu p;
	uint8_t out[32];

	smpp_pdu_init(&p, SMPP_SUBMIT_SM_RESP, 2);
	strcpy(p.message_id, "abc123");
	check_golden(&p, GOLD(gold));

	smpp_pdu_init(&p, SMPP_SUBMIT_SM_RESP, 2);
	p.command_status = ESME_RSUBMITFAIL;
	p.body_omitted = true;
	check_golden(&p, nobody, sizeof(nobody));
	/* with ESME_ROK the body is mandatory */
	check_bad(nobody_ok, sizeof(nobody_ok), -EIO, ESME_RINVCMDLEN);
	p.command_status = ESME_ROK;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	/* and a request never omits its body */
	smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 2);
	p.command_status = 1;
	p.body_omitted = true;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
}

/* §4.5.1 submit_multi with an SME address and a distribution list. */
static void test_golden_submit_multi(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x35" "\x00\x00\x00\x21" "\x00\x00\x00\x00" "\x00\x00\x00\x03"
		"\0"			/* service_type */
		"\x00" "\x00"		/* source_addr_ton, npi */
		"123\0"			/* source_addr */
		"\x02"			/* number_of_dests */
		"\x01" "\x01" "\x01" "4470\0"	/* dest_flag SME, ton, npi, destination_addr */
		"\x02" "friends\0"	/* dest_flag DL, dl_name */
		"\x00" "\x00" "\x00"	/* esm_class, protocol_id, priority_flag */
		"\0" "\0"		/* schedule_delivery_time, validity_period */
		"\x00" "\x00" "\x08" "\x00"	/* registered_delivery, replace, data_coding UCS-2, id */
		"\x02" "\x00\x41";	/* sm_length, short_message "A" in UCS-2 */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_SUBMIT_MULTI, 3);
	strcpy(p.source_addr, "123");
	p.number_of_dests = 2;
	p.dests[0] = (struct smpp_dest){ SMPP_DEST_SME, 1, 1, "4470" };
	p.dests[1] = (struct smpp_dest){ SMPP_DEST_DL, 0, 0, "friends" };
	p.data_coding = 8;
	p.sm_length = 2;
	p.short_message = (const uint8_t *)"\x00\x41";
	check_golden(&p, GOLD(gold));
}

/* §4.5.2 submit_multi_resp with one unsuccess_sme. */
static void test_golden_submit_multi_resp(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x1f" "\x80\x00\x00\x21" "\x00\x00\x00\x00" "\x00\x00\x00\x03"
		"m1\0"			/* message_id */
		"\x01"			/* no_unsuccess */
		"\x01" "\x01" "4470\0"	/* dest_addr_ton, npi, destination_addr */
		"\x00\x00\x00\x0b";	/* error_status_code ESME_RINVDSTADR */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_SUBMIT_MULTI_RESP, 3);
	strcpy(p.message_id, "m1");
	p.no_unsuccess = 1;
	p.unsuccess[0] = (struct smpp_unsuccess){ 1, 1, "4470", ESME_RINVDSTADR };
	check_golden(&p, GOLD(gold));
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
/* offsets of the TLVs in deliver_gold: where a cut leaves a valid PDU */
static const size_t deliver_tlv_off[] = { 55, 61, 66, 71 };

static void fill_deliver(struct smpp_pdu *p)
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

static void test_golden_deliver_sm(void **state)
{
	struct smpp_pdu p, got;
	uint32_t v, st;
	const uint8_t *ud;
	size_t udlen;

	fill_deliver(&p);
	check_golden(&p, GOLD(deliver_gold));
	assert_int_equal(smpp_pdu_unpack(&got, GOLD(deliver_gold), &st), 0);
	assert_int_equal(smpp_tlv_uint(&got, SMPP_TLV_SAR_MSG_REF_NUM, &v), 0);
	assert_int_equal(v, 0x1234);
	assert_int_equal(smpp_tlv_uint(&got, SMPP_TLV_SAR_TOTAL_SEGMENTS, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(smpp_tlv_uint(&got, SMPP_TLV_SAR_SEGMENT_SEQNUM, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(smpp_tlv_uint(&got, SMPP_TLV_SOURCE_PORT, &v), -ENOENT);
	smpp_pdu_user_data(&got, &ud, &udlen);
	assert_int_equal(udlen, 5);
	assert_memory_equal(ud, "hello", 5);
	/* short_message is borrowed from the input (smpp_pdu.h) */
	assert_ptr_equal(got.short_message, (const uint8_t *)deliver_gold + 50);
}

/* §4.6.2 deliver_sm_resp: message_id is NULL, at most 1 octet. */
static void test_golden_deliver_sm_resp(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x11" "\x80\x00\x00\x05" "\x00\x00\x00\x00" "\x00\x00\x00\x07"
		"\0";			/* message_id: unused */
	static const char bad[] =
		"\x00\x00\x00\x12" "\x80\x00\x00\x05" "\x00\x00\x00\x00" "\x00\x00\x00\x07"
		"x\0";
	struct smpp_pdu p;
	uint8_t out[32];

	smpp_pdu_init(&p, SMPP_DELIVER_SM_RESP, 7);
	check_golden(&p, GOLD(gold));
	check_bad(GOLD(bad), -EINVAL, ESME_RINVMSGID);
	strcpy(p.message_id, "x");
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
}

/* §4.7.1 data_sm with message_payload (§5.3.2.32) and source_port. */
static void test_golden_data_sm(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x2f" "\x00\x00\x01\x03" "\x00\x00\x00\x00" "\x00\x00\x00\x09"
		"\0"			/* service_type */
		"\x01" "\x01" "4471\0"	/* source_addr_ton, npi, source_addr */
		"\x00" "\x00" "9\0"	/* dest_addr_ton, npi, destination_addr */
		"\x00" "\x00" "\x04"	/* esm_class, registered_delivery, data_coding */
		"\x02\x0a" "\x00\x02" "\x3f\xe2"	/* source_port 16354 */
		"\x04\x24" "\x00\x06" "TXL1:x";	/* message_payload */
	struct smpp_pdu p;
	const uint8_t *ud;
	size_t udlen;

	smpp_pdu_init(&p, SMPP_DATA_SM, 9);
	p.source_addr_ton = 1;
	p.source_addr_npi = 1;
	strcpy(p.source_addr, "4471");
	strcpy(p.destination_addr, "9");
	p.data_coding = 4;
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_SOURCE_PORT, 16354, 2), 0);
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, "TXL1:x", 6), 0);
	check_golden(&p, GOLD(gold));
	smpp_pdu_user_data(&p, &ud, &udlen);
	assert_int_equal(udlen, 6);
	assert_memory_equal(ud, "TXL1:x", 6);
}

/* §4.7.2 data_sm_resp with network_error_code (§5.3.2.31, 3 octets). */
static void test_golden_data_sm_resp(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x23" "\x80\x00\x01\x03" "\x00\x00\x00\xfe" "\x00\x00\x00\x09"
		"id9\0"			/* message_id */
		"\x04\x23" "\x00\x03" "\x03\x00\x01"	/* network_error_code GSM, 1 */
		"\x00\x1d" "\x00\x04" "bad\0";	/* additional_status_info_text */
	struct smpp_pdu p;
	uint32_t v;
	const char *s;

	smpp_pdu_init(&p, SMPP_DATA_SM_RESP, 9);
	p.command_status = ESME_RDELIVERYFAILURE;
	strcpy(p.message_id, "id9");
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_NETWORK_ERROR_CODE, 0x030001, 3), 0);
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_ADDITIONAL_STATUS_INFO_TEXT, "bad", 4), 0);
	check_golden(&p, GOLD(gold));
	assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_NETWORK_ERROR_CODE, &v), 0);
	assert_int_equal(v, 0x030001);
	assert_int_equal(smpp_tlv_cstr(&p, SMPP_TLV_ADDITIONAL_STATUS_INFO_TEXT, &s), 0);
	assert_string_equal(s, "bad");
	assert_int_equal(smpp_tlv_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, &s), -ENOENT);
}

/* §4.8.1 query_sm and §4.8.2 query_sm_resp */
static void test_golden_query_sm(void **state)
{
	static const char q[] =
		"\x00\x00\x00\x19" "\x00\x00\x00\x03" "\x00\x00\x00\x00" "\x00\x00\x00\x0a"
		"m1\0"			/* message_id */
		"\x01" "\x01" "447\0";	/* source_addr_ton, npi, source_addr */
	static const char r[] =
		"\x00\x00\x00\x26" "\x80\x00\x00\x03" "\x00\x00\x00\x00" "\x00\x00\x00\x0a"
		"m1\0"			/* message_id */
		"260101120000000+\0"	/* final_date (§7.1.1 absolute) */
		"\x02" "\x00";		/* message_state DELIVERED, error_code */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_QUERY_SM, 10);
	strcpy(p.message_id, "m1");
	p.source_addr_ton = 1;
	p.source_addr_npi = 1;
	strcpy(p.source_addr, "447");
	check_golden(&p, GOLD(q));

	smpp_pdu_init(&p, SMPP_QUERY_SM_RESP, 10);
	strcpy(p.message_id, "m1");
	strcpy(p.final_date, "260101120000000+");
	p.message_state = 2;
	check_golden(&p, GOLD(r));
}

/* §4.9.1 cancel_sm */
static void test_golden_cancel_sm(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x20" "\x00\x00\x00\x08" "\x00\x00\x00\x00" "\x00\x00\x00\x0b"
		"\0"			/* service_type */
		"m1\0"			/* message_id */
		"\x01" "\x01" "447\0"	/* source_addr_ton, npi, source_addr */
		"\x01" "\x01" "448\0";	/* dest_addr_ton, npi, destination_addr */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_CANCEL_SM, 11);
	strcpy(p.message_id, "m1");
	p.source_addr_ton = p.source_addr_npi = p.dest_addr_ton = p.dest_addr_npi = 1;
	strcpy(p.source_addr, "447");
	strcpy(p.destination_addr, "448");
	check_golden(&p, GOLD(gold));
}

/* §4.10.1 replace_sm */
static void test_golden_replace_sm(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x21" "\x00\x00\x00\x07" "\x00\x00\x00\x00" "\x00\x00\x00\x0c"
		"m1\0"			/* message_id */
		"\x01" "\x01" "447\0"	/* source_addr_ton, npi, source_addr */
		"\0" "\0"		/* schedule_delivery_time, validity_period */
		"\x00" "\x00"		/* registered_delivery, sm_default_msg_id */
		"\x03" "new";		/* sm_length, short_message */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_REPLACE_SM, 12);
	strcpy(p.message_id, "m1");
	p.source_addr_ton = p.source_addr_npi = 1;
	strcpy(p.source_addr, "447");
	p.sm_length = 3;
	p.short_message = (const uint8_t *)"new";
	check_golden(&p, GOLD(gold));
}

/* §4.12.1 alert_notification with ms_availability_status (§5.3.2.30). */
static void test_golden_alert_notification(void **state)
{
	static const char gold[] =
		"\x00\x00\x00\x22" "\x00\x00\x01\x02" "\x00\x00\x00\x00" "\x00\x00\x00\x0d"
		"\x01" "\x01" "447\0"	/* source_addr_ton, npi, source_addr */
		"\x00" "\x00" "txgw\0"	/* esme_addr_ton, npi, esme_addr */
		"\x04\x22" "\x00\x01" "\x00";	/* ms_availability_status available */
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_ALERT_NOTIFICATION, 13);
	p.source_addr_ton = p.source_addr_npi = 1;
	strcpy(p.source_addr, "447");
	strcpy(p.esme_addr, "txgw");
	smpp_tlv_add_uint(&p, SMPP_TLV_MS_AVAILABILITY_STATUS, 0, 1);
	check_golden(&p, GOLD(gold));
}

static void test_header_errors(void **state)
{
	uint8_t b[DELIVER_LEN];
	static const uint8_t reserved[] = { HDR(16, 0x0000000a, 0, 0x1234) };
	static const uint8_t resv_resp[] = { HDR(16, 0x80000102, 0, 1) };
	struct smpp_pdu p;
	uint32_t st;

	memcpy(b, deliver_gold, sizeof(b));
	for (size_t n = 0; n < SMPP_HDR_LEN; n++)
		check_bad(b, n, -EIO, ESME_RINVCMDLEN);
	/* command_length disagrees with the framed length */
	check_bad(b, sizeof(b) - 1, -EINVAL, ESME_RINVCMDLEN);
	b[3]++;
	check_bad(b, sizeof(b), -EINVAL, ESME_RINVCMDLEN);
	/* unknown command id: generic_nack, and the sequence number is known */
	assert_int_equal(smpp_pdu_unpack(&p, reserved, sizeof(reserved), &st), -EINVAL);
	assert_int_equal(st, ESME_RINVCMDID);
	assert_int_equal(p.sequence_number, 0x1234);
	check_bad(resv_resp, sizeof(resv_resp), -EINVAL, ESME_RINVCMDID);
}

/* Cut a deliver_sm at every offset; with and without a matching length. */
static void test_truncation(void **state)
{
	uint8_t b[DELIVER_LEN];
	struct smpp_pdu p;

	for (size_t cut = SMPP_HDR_LEN; cut < DELIVER_LEN; cut++) {
		uint32_t st = 0;
		bool boundary = false;
		int rc;

		memcpy(b, deliver_gold, DELIVER_LEN);
		check_bad(b, cut, -EINVAL, ESME_RINVCMDLEN);
		b[0] = b[1] = b[2] = 0;
		b[3] = (uint8_t)cut;
		rc = smpp_pdu_unpack(&p, b, cut, &st);
		for (size_t i = 0; i < 3; i++)
			boundary |= cut == deliver_tlv_off[i];
		if (boundary) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -EIO);
		if (cut < 50)		/* in the mandatory fields */
			assert_int_equal(st, ESME_RINVCMDLEN);
		else if (cut < deliver_tlv_off[0])	/* in short_message */
			assert_int_equal(st, ESME_RINVMSGLEN);
		else
			assert_int_equal(st, ESME_RINVOPTPARSTREAM);
	}
}

/* Copy deliver_gold, put b[off] = v. */
static void patch(uint8_t *b, size_t off, uint8_t v)
{
	memcpy(b, deliver_gold, DELIVER_LEN);
	b[off] = v;
}

static void test_cstr_errors(void **state)
{
	/* the 21st octet of a 21-octet source_addr is not its NUL */
	static const char long_src[] =
		"\x00\x00\x00\x2a" "\x00\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x02"
		"\0" "\x00" "\x00" "123456789012345678901\0" "\x00" "\x00" "\0";
	static const char long_dst[] =
		"\x00\x00\x00\x00" "\x00\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x02"
		"\0" "\x00" "\x00" "1\0" "\x00" "\x00" "123456789012345678901\0" "\0";
	static const char long_sysid[] =
		"\x00\x00\x00\x2a" "\x00\x00\x00\x02" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"0123456789abcdef\0" "pw\0" "\0" "\x34" "\x00" "\x00" "\0";
	static const char long_pw[] =
		"\x00\x00\x00\x23" "\x00\x00\x00\x02" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"id\0" "123456789\0" "\0" "\x34" "\x00" "\x00" "\0";
	static const char long_systype[] =
		"\x00\x00\x00\x27" "\x00\x00\x00\x09" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"id\0" "pw\0" "0123456789abc\0" "\x34" "\x00" "\x00" "\0";
	static const char long_range[] =
		"\x00\x00\x00\x40" "\x00\x00\x00\x01" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"id\0" "pw\0" "\0" "\x34" "\x00" "\x00"
		"01234567890123456789012345678901234567890\0";
	static const char long_msgid[] =
		"\x00\x00\x00\x52" "\x80\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"0123456789012345678901234567890123456789012345678901234567890123456\0";
	static const char long_sched[] =
		"\x00\x00\x00\x23" "\x00\x00\x00\x07" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"m\0" "\x00" "\x00" "\0" "012345678901234567\0";
	uint8_t b[DELIVER_LEN];

	check_bad_lit(LIT(long_src), -EINVAL, ESME_RINVSRCADR);
	check_bad_lit(LIT(long_sysid), -EINVAL, ESME_RINVSYSID);
	check_bad_lit(LIT(long_pw), -EINVAL, ESME_RINVPASWD);
	check_bad_lit(LIT(long_systype), -EINVAL, ESME_RINVSYSTYP);
	check_bad_lit(LIT(long_range), -EINVAL, ESME_RBINDFAIL);
	check_bad_lit(LIT(long_msgid), -EINVAL, ESME_RINVMSGID);
	check_bad_lit(LIT(long_sched), -EINVAL, ESME_RINVSCHED);
	/* deliver_sm: service_type NUL removed runs into source_addr_ton... */
	patch(b, 16, 'x');		/* service_type "x\1\1447..." has no NUL in 6 */
	check_bad(b, DELIVER_LEN, -EINVAL, ESME_RINVSERTYP);
	/* source_addr without its NUL runs over 21 octets (NULs in later fields removed) */
	patch(b, 31, '4');
	b[32] = b[33] = '4';
	b[39] = '4';
	check_bad(b, DELIVER_LEN, -EINVAL, ESME_RINVSRCADR);
	check_bad_lit(LIT(long_dst), -EINVAL, ESME_RINVDSTADR);
	patch(b, 43, '1');		/* deliver_sm times "must be NULL" (§4.6.1) */
	check_bad(b, DELIVER_LEN, -EINVAL, ESME_RINVSCHED);
	patch(b, 44, '1');
	check_bad(b, DELIVER_LEN, -EINVAL, ESME_RINVEXPIRY);
}

static void test_sm_length(void **state)
{
	uint8_t b[DELIVER_LEN];

	patch(b, 49, 255);		/* over 254 (§4.4.1) */
	check_bad(b, DELIVER_LEN, -ERANGE, ESME_RINVMSGLEN);
	patch(b, 49, 254);		/* past the body */
	check_bad(b, DELIVER_LEN, -EIO, ESME_RINVMSGLEN);
	patch(b, 49, 6);		/* eats a TLV octet: the TLV stream breaks */
	check_bad(b, DELIVER_LEN, -EIO, ESME_RINVOPTPARSTREAM);
}

/* A deliver_sm whose TLV part is tail[0..n). */
static size_t deliver_with_tlvs(uint8_t *b, size_t cap, const void *tail, size_t n)
{
	size_t len = deliver_tlv_off[0] + n;

	assert_true(len <= cap);
	memcpy(b, deliver_gold, deliver_tlv_off[0]);
	memcpy(b + deliver_tlv_off[0], tail, n);
	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	return len;
}

#define TAIL(b, s) b, deliver_with_tlvs(b, sizeof(b), s, sizeof(s) - 1)

static void test_tlv_errors(void **state)
{
	uint8_t b[256];
	struct smpp_pdu p;
	uint32_t st, v;
	const char *s;

	/* header cut after 1, 2, 3 octets */
	check_bad(TAIL(b, "\x02"), -EIO, ESME_RINVOPTPARSTREAM);
	check_bad(TAIL(b, "\x02\x0c"), -EIO, ESME_RINVOPTPARSTREAM);
	check_bad(TAIL(b, "\x02\x0c\x00"), -EIO, ESME_RINVOPTPARSTREAM);
	/* value past the PDU */
	check_bad(TAIL(b, "\x02\x0c\x00\x03\x12\x34"), -EIO, ESME_RINVOPTPARSTREAM);
	check_bad(TAIL(b, "\x14\x00\xff\xff"), -EIO, ESME_RINVOPTPARSTREAM);
	/* fixed-size TLVs of the wrong length (§5.3.2.22-24, §5.3.2.31) */
	check_bad(TAIL(b, "\x02\x0c\x00\x01\x12"), -EINVAL, ESME_RINVPARLEN);
	check_bad(TAIL(b, "\x02\x0e\x00\x02\x00\x02"), -EINVAL, ESME_RINVPARLEN);
	check_bad(TAIL(b, "\x02\x0f\x00\x00"), -EINVAL, ESME_RINVPARLEN);
	check_bad(TAIL(b, "\x04\x23\x00\x02\x03\x00"), -EINVAL, ESME_RINVPARLEN);
	check_bad(TAIL(b, "\x04\x27\x00\x04\x00\x00\x00\x02"), -EINVAL, ESME_RINVPARLEN);
	/* receipted_message_id: over 65, missing NUL, NUL inside */
	check_bad(TAIL(b, "\x00\x1e\x00\x00"), -EINVAL, ESME_RINVPARLEN);
	check_bad(TAIL(b, "\x00\x1e\x00\x02" "ab"), -EINVAL, ESME_RINVOPTPARAMVAL);
	check_bad(TAIL(b, "\x00\x1e\x00\x03" "a\0b"), -EINVAL, ESME_RINVOPTPARAMVAL);
	/* a known TLV twice */
	check_bad(TAIL(b, "\x02\x0e\x00\x01\x02" "\x02\x0e\x00\x01\x02"), -EINVAL,
		  ESME_ROPTPARNOTALLWD);
	/* short_message and message_payload together (§5.3.2.32) */
	check_bad(TAIL(b, "\x04\x24\x00\x01" "x"), -EINVAL, ESME_ROPTPARNOTALLWD);

	/* unknown TLVs, even twice, are kept raw (§3.2.4) */
	assert_int_equal(smpp_pdu_unpack(&p, TAIL(b, "\x14\x01\x00\x05" "vend1"
							"\x14\x01\x00\x00"
							"\x00\x1e\x00\x03" "ab\0"), &st), 0);
	assert_int_equal(p.n_tlv, 3);
	assert_int_equal(p.tlv[0].tag, 0x1401);
	assert_int_equal(p.tlv[0].len, 5);
	assert_memory_equal(smpp_tlv_data(&p.tlv[0]), "vend1", 5);
	assert_int_equal(p.tlv[1].len, 0);
	assert_int_equal(smpp_tlv_cstr(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, &s), 0);
	assert_string_equal(s, "ab");
	assert_int_equal(smpp_tlv_uint(&p, 0x1401, &v), -EINVAL);
}

static void test_trailing_garbage(void **state)
{
	static const uint8_t el[] = { HDR(17, SMPP_ENQUIRE_LINK, 0, 1), 0 };
	static const char resp[] =
		"\x00\x00\x00\x15" "\x80\x00\x00\x04" "\x00\x00\x00\x00" "\x00\x00\x00\x02"
		"ab\0" "\x00";
	static const uint8_t nack[] = { HDR(20, SMPP_GENERIC_NACK, 3, 1), 1, 2, 3, 4 };

	check_bad(el, sizeof(el), -EINVAL, ESME_RINVCMDLEN);
	check_bad_lit(LIT(resp), -EINVAL, ESME_RINVCMDLEN);
	check_bad(nack, sizeof(nack), -EINVAL, ESME_RINVCMDLEN);
}

static void test_too_many_tlvs(void **state)
{
	uint8_t tail[4 * (SMPP_TLV_MAX + 1)], b[DELIVER_LEN + sizeof(tail)];
	struct smpp_pdu p;
	uint32_t st;
	size_t len;

	for (size_t i = 0; i <= SMPP_TLV_MAX; i++) {
		tail[4 * i] = 0x14;
		tail[4 * i + 1] = (uint8_t)i;
		tail[4 * i + 2] = tail[4 * i + 3] = 0;
	}
	len = deliver_with_tlvs(b, sizeof(b), tail, 4 * SMPP_TLV_MAX);
	assert_int_equal(smpp_pdu_unpack(&p, b, len, &st), 0);
	assert_int_equal(p.n_tlv, SMPP_TLV_MAX);
	assert_int_equal(smpp_tlv_add(&p, 0x1500, NULL, 0), -ENOSPC);
	len = deliver_with_tlvs(b, sizeof(b), tail, sizeof(tail));
	check_bad(b, len, -ERANGE, ESME_RINVOPTPARSTREAM);
}

/* message_payload of 65535 octets (the most a TLV length can say). */
static void test_payload_64k(void **state)
{
	enum { N = 65535 };
	uint8_t *payload = malloc(N), *pdu = malloc(N + 256), *out = malloc(N + 256);
	struct smpp_pdu p, got;
	const uint8_t *ud;
	size_t udlen;
	uint32_t st;
	int len;

	assert_non_null(payload);
	assert_non_null(pdu);
	assert_non_null(out);
	for (size_t i = 0; i < N; i++)
		payload[i] = (uint8_t)(i * 7);
	fill_deliver(&p);
	p.sm_length = 0;
	p.short_message = NULL;
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, payload, N), 0);
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, payload, N + 1), -ERANGE);
	len = smpp_pdu_pack(pdu, N + 256, &p);
	assert_int_equal(len, DELIVER_LEN - 5 + 4 + N);
	assert_int_equal(smpp_pdu_unpack(&got, pdu, (size_t)len, &st), 0);
	assert_true(smpp_pdu_equal(&got, &p));
	smpp_pdu_user_data(&got, &ud, &udlen);
	assert_int_equal(udlen, N);
	assert_memory_equal(ud, payload, N);
	assert_int_equal(smpp_pdu_pack(out, N + 256, &got), len);
	assert_memory_equal(out, pdu, (size_t)len);
	/* pack refuses message_payload beside a short_message */
	p.sm_length = 5;
	p.short_message = (const uint8_t *)"hello";
	assert_int_equal(smpp_pdu_pack(out, N + 256, &p), -EINVAL);
	free(payload);
	free(pdu);
	free(out);
}

static void test_submit_multi_errors(void **state)
{
	static const char zero[] =
		"\x00\x00\x00\x1f" "\x00\x00\x00\x21" "\x00\x00\x00\x00" "\x00\x00\x00\x03"
		"\0" "\x00" "\x00" "1\0" "\x00" "\0\0\0\0\0\0\0\0\0\0";
	static const char flag3[] =
		"\x00\x00\x00\x22" "\x00\x00\x00\x21" "\x00\x00\x00\x00" "\x00\x00\x00\x03"
		"\0" "\x00" "\x00" "1\0" "\x01" "\x03" "x\0" "\0\0\0\0\0\0\0\0\0\0";
	static const char dl_long[] =
		"\x00\x00\x00\x36" "\x00\x00\x00\x21" "\x00\x00\x00\x00" "\x00\x00\x00\x03"
		"\0" "\x00" "\x00" "1\0" "\x01" "\x02" "0123456789012345678901\0"
		"\0\0\0\0\0\0\0\0\0\0";
	struct smpp_pdu p;
	uint8_t out[64];

	check_bad_lit(LIT(zero), -ERANGE, ESME_RINVNUMDESTS);
	check_bad_lit(LIT(flag3), -EINVAL, ESME_RINVDESTFLAG);
	check_bad_lit(LIT(dl_long), -EINVAL, ESME_RINVDLNAME);
	smpp_pdu_init(&p, SMPP_SUBMIT_MULTI, 1);
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);	/* no dest */
	p.number_of_dests = 1;
	p.dests[0].dest_flag = 3;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	p.dests[0].dest_flag = SMPP_DEST_DL;
	assert_true(smpp_pdu_pack(out, sizeof(out), &p) > 0);
	p.number_of_dests = 255;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
}

static void test_pack_refuses(void **state)
{
	struct smpp_pdu p;
	uint8_t out[512];
	int len;

	smpp_pdu_init(&p, 0x0000000a, 1);	/* reserved command id */
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	/* a source_addr of 21 characters: too long for submit_sm (21 with
	 * its NUL, §4.4.1), fine for data_sm (65, §4.7.1) */
	smpp_pdu_init(&p, SMPP_SUBMIT_SM, 1);
	memset(p.source_addr, '1', 21);
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	p.source_addr[20] = 0;
	assert_true(smpp_pdu_pack(out, sizeof(out), &p) > 0);
	p.command_id = SMPP_DATA_SM;
	memset(p.source_addr, '1', 64);
	p.source_addr[64] = 0;
	assert_true(smpp_pdu_pack(out, sizeof(out), &p) > 0);
	/* an array with no NUL at all */
	memset(p.source_addr, '1', sizeof(p.source_addr));
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	/* sm_length over 254, or without its bytes */
	smpp_pdu_init(&p, SMPP_SUBMIT_SM, 1);
	p.sm_length = 255;
	p.short_message = out;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	p.sm_length = 1;
	p.short_message = NULL;
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	/* TLVs where none may follow; a known TLV of the wrong size */
	smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 1);
	smpp_tlv_add_uint(&p, 0x1400, 1, 1);
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	smpp_pdu_init(&p, SMPP_DELIVER_SM, 1);
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, 1, 1);
	assert_int_equal(smpp_pdu_pack(out, sizeof(out), &p), -EINVAL);
	assert_int_equal(smpp_tlv_add_uint(&p, 1, 1, 5), -EINVAL);
	assert_int_equal(smpp_tlv_add(&p, 0x1400, NULL, 5), -EINVAL);
	/* every capacity short of the PDU: -ENOSPC, never an overrun */
	fill_deliver(&p);
	len = smpp_pdu_pack(out, sizeof(out), &p);
	assert_int_equal(len, DELIVER_LEN);
	for (int cap = 0; cap < len; cap++)
		assert_int_equal(smpp_pdu_pack(out, (size_t)cap, &p), -ENOSPC);
}

static void test_names(void **state)
{
	assert_string_equal(smpp_command_name(SMPP_DELIVER_SM), "deliver_sm");
	assert_string_equal(smpp_command_name(0x80000103), "data_sm_resp");
	assert_string_equal(smpp_command_name(SMPP_GENERIC_NACK), "generic_nack");
	assert_null(smpp_command_name(0x0000000a));
	assert_string_equal(smpp_status_name(0xc2), "ESME_RINVPARLEN");
	assert_string_equal(smpp_status_name(ESME_ROK), "ESME_ROK");
	assert_string_equal(smpp_status_desc(ESME_RINVCMDID), "Invalid command ID");
	assert_null(smpp_status_name(0x09));
	assert_null(smpp_status_desc(0x09));
	assert_string_equal(smpp_tlv_name(0x0424), "message_payload");
	assert_string_equal(smpp_tlv_name(SMPP_TLV_SAR_MSG_REF_NUM), "sar_msg_ref_num");
	assert_null(smpp_tlv_name(0x1400));
}

static void test_resp_id(void **state)
{
	assert_int_equal(smpp_resp_id(SMPP_DELIVER_SM), SMPP_DELIVER_SM_RESP);
	assert_int_equal(smpp_resp_id(SMPP_BIND_TRANSCEIVER), SMPP_BIND_TRANSCEIVER_RESP);
	assert_int_equal(smpp_resp_id(SMPP_ENQUIRE_LINK), 0x80000015);
	assert_int_equal(smpp_resp_id(SMPP_SUBMIT_MULTI), 0x80000021);
	assert_int_equal(smpp_resp_id(SMPP_DATA_SM), 0x80000103);
	assert_int_equal(smpp_resp_id(SMPP_OUTBIND), 0);
	assert_int_equal(smpp_resp_id(SMPP_ALERT_NOTIFICATION), 0);
	assert_int_equal(smpp_resp_id(SMPP_GENERIC_NACK), 0);
	assert_int_equal(smpp_resp_id(SMPP_DELIVER_SM_RESP), 0);
	assert_int_equal(smpp_resp_id(0x0000000a), 0);
	assert_true(smpp_command_known(SMPP_UNBIND_RESP));
	assert_false(smpp_command_known(0x80000102));
}

/* ---- seeded random round trips and mutations (smpp_gen.c) ------------ */



/*
 * After unpack the codec and the generator must agree on EVERY member,
 * not only on those smpp_pdu_equal() compares: drop the borrowed pointers
 * (their bytes are compared first) and compare the structs whole.
 */
static void assert_same_struct(struct smpp_pdu *a, struct smpp_pdu *b)
{
	assert_true(smpp_pdu_equal(a, b));
	a->short_message = b->short_message = NULL;
	a->command_length = b->command_length = 0;
	for (unsigned int i = 0; i < a->n_tlv; i++)
		a->tlv[i].val = b->tlv[i].val = NULL;
	assert_memory_equal(a, b, sizeof(*a));
}

static const uint32_t all_ids[] = {
#define X(sym, name, id, body, tlvs) id,
	SMPP_COMMANDS(X)
#undef X
};
#define N_IDS (sizeof(all_ids) / sizeof(all_ids[0]))

struct scratch {
	struct smpp_pdu a, b;
	struct smpp_gen_store store;
	uint8_t out[16384], out2[16384];
};

static void test_random_round_trips(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));
	struct rng g = { test_seed("test_smpp_pdu") };
	unsigned int done = 0;
	clock_t t0 = clock();

	assert_non_null(s);
	for (unsigned int it = 0; it < 300; it++) {
		for (size_t k = 0; k < N_IDS; k++) {
			uint32_t st;
			int len;

			smpp_gen_pdu(&g, &s->a, all_ids[k], &s->store);
			len = smpp_pdu_pack(s->out, sizeof(s->out), &s->a);
			if (len < 0)
				fail_msg("pack %s: %d", smpp_command_name(all_ids[k]), len);
			assert_int_equal(smpp_pdu_unpack(&s->b, s->out, (size_t)len, &st), 0);
			assert_int_equal(smpp_pdu_pack(s->out2, sizeof(s->out2), &s->b), len);
			assert_memory_equal(s->out, s->out2, (size_t)len);
			assert_same_struct(&s->b, &s->a);
			done++;
		}
		if (clock() - t0 > 3 * CLOCKS_PER_SEC)
			break;
	}
	printf("test_smpp_pdu: %u random round trips\n", done);
	assert_true(done >= N_IDS * 30);
	free(s);
}

/* Random mutations of valid PDUs: never a crash; what unpacks, re-packs alike. */
static void test_random_mutations(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));
	struct rng g = { test_seed("test_smpp_pdu") ^ 0x5eed };
	unsigned int ok = 0, bad = 0;
	clock_t t0 = clock();

	assert_non_null(s);
	for (unsigned int it = 0; it < 40000; it++) {
		size_t k = rnd_below(&g, N_IDS), len;
		uint32_t st;
		int n;

		smpp_gen_pdu(&g, &s->a, all_ids[k], &s->store);
		n = smpp_pdu_pack(s->out, sizeof(s->out), &s->a);
		assert_true(n > 0);
		len = (size_t)n;
		for (unsigned int m = 1 + rnd_below(&g, 4); m; m--) {
			size_t at = rnd_below(&g, (uint32_t)len);
			if (at >= 4 || rnd_below(&g, 8) == 0)
				s->out[at] = (uint8_t)rnd(&g);
		}
		if (rnd_below(&g, 4) == 0) {	/* cut or extend, fixing the length */
			len = SMPP_HDR_LEN + rnd_below(&g, (uint32_t)len + 8 - SMPP_HDR_LEN);
			s->out[0] = (uint8_t)(len >> 24);
			s->out[1] = (uint8_t)(len >> 16);
			s->out[2] = (uint8_t)(len >> 8);
			s->out[3] = (uint8_t)len;
		}
		if (smpp_pdu_unpack(&s->b, s->out, len, &st) == 0) {
			assert_int_equal(st, ESME_ROK);
			assert_int_equal(smpp_pdu_pack(s->out2, sizeof(s->out2), &s->b), (int)len);
			assert_memory_equal(s->out, s->out2, len);
			ok++;
		} else {
			assert_int_not_equal(st, ESME_ROK);
			bad++;
		}
		if (clock() - t0 > 3 * CLOCKS_PER_SEC)
			break;
	}
	printf("test_smpp_pdu: mutations: %u unpacked, %u refused\n", ok, bad);
	assert_true(ok > 0 && bad > 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test(test_golden_bind),
		cmocka_unit_test(test_golden_bind_resp),
		cmocka_unit_test(test_golden_outbind),
		cmocka_unit_test(test_golden_header_only),
		cmocka_unit_test(test_golden_submit_sm),
		cmocka_unit_test(test_golden_submit_sm_resp),
		cmocka_unit_test(test_golden_submit_multi),
		cmocka_unit_test(test_golden_submit_multi_resp),
		cmocka_unit_test(test_golden_deliver_sm),
		cmocka_unit_test(test_golden_deliver_sm_resp),
		cmocka_unit_test(test_golden_data_sm),
		cmocka_unit_test(test_golden_data_sm_resp),
		cmocka_unit_test(test_golden_query_sm),
		cmocka_unit_test(test_golden_cancel_sm),
		cmocka_unit_test(test_golden_replace_sm),
		cmocka_unit_test(test_golden_alert_notification),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_cstr_errors),
		cmocka_unit_test(test_sm_length),
		cmocka_unit_test(test_tlv_errors),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_too_many_tlvs),
		cmocka_unit_test(test_payload_64k),
		cmocka_unit_test(test_submit_multi_errors),
		cmocka_unit_test(test_pack_refuses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resp_id),
		cmocka_unit_test(test_random_round_trips),
		cmocka_unit_test(test_random_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
