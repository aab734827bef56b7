/*
 * test_smpp_hostile — the SMPP 3.4 PDU codec against hostile input: bad
 * headers, truncation at every offset, over-long C-Octet Strings, broken
 * TLV streams, trailing garbage, too many TLVs, a 64 KiB message_payload,
 * bad submit_multi destinations, and what pack refuses.
 * Golden PDUs and random round trips: test_smpp_pdu.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/smpp_pdu_fixture.h"
#include "tests/unit/cmocka_main.h"

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

/* offsets of the TLVs in deliver_gold: where a cut leaves a valid PDU */
static const size_t deliver_tlv_off[] = { 55, 61, 66, 71 };

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
}

/* deliver_sm times "must be set to NULL" (§4.6.1), but one an SMSC fills
 * in anyway is accepted (smpp_def.h says why); over 17 octets it is not. */
static void test_deliver_sm_times(void **state)
{
	struct smpp_pdu *p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
	uint8_t buf[512];
	uint32_t st;

	smpp_pdu_init(p, SMPP_DELIVER_SM, 7);
	strcpy(p->schedule_delivery_time, "261125220000000+");
	strcpy(p->validity_period, "000001000000000R");
	int n = smpp_pdu_pack(buf, sizeof(buf), p);
	assert_true(n > 0);
	assert_int_equal(smpp_pdu_unpack(q, buf, (size_t)n, &st), 0);
	assert_string_equal(q->schedule_delivery_time, "261125220000000+");
	assert_string_equal(q->validity_period, "000001000000000R");
	free(p);
	free(q);
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_cstr_errors),
		cmocka_unit_test(test_deliver_sm_times),
		cmocka_unit_test(test_sm_length),
		cmocka_unit_test(test_tlv_errors),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_too_many_tlvs),
		cmocka_unit_test(test_payload_64k),
		cmocka_unit_test(test_submit_multi_errors),
		cmocka_unit_test(test_pack_refuses),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
