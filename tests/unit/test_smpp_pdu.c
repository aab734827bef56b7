/*
 * test_smpp_pdu — the SMPP 3.4 PDU codec: golden PDUs written field by
 * field from the §4 tables, names, seeded random round trips and random
 * mutations. Hostile input has its own program (test_smpp_hostile).
 *
 * TXGW_TEST_SEED=<n> replays a random run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/smpp_pdu_fixture.h"
#include "tests/unit/cmocka_main.h"
#include "tests/unit/smpp_test.h"

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
	struct rng g = { test_seed() };
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
	struct rng g = { test_seed() ^ 0x5eed };
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

int main(int argc, char **argv)
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
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resp_id),
		cmocka_unit_test(test_random_round_trips),
		cmocka_unit_test(test_random_mutations),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
