/*
 * test_a_if.c — the handset's layer 3 and the BSSAP framing of
 * txgw-handset-sim (contrib/sim/a_if.c), byte for byte against 3GPP TS
 * 24.008, 24.011, 44.018 and 48.008, and against what osmo-msc sent
 * (doc/osmocom.md: RP-ACK "89 01 02 03 2a", CLEAR COMMAND "00 04 20 04 01 09").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "contrib/sim/a_if.h"

#define IMSI "001010000000001"
/* TS 24.008 §10.5.1.4: length 8, odd count, type IMSI, BCD digits */
#define MI_IMSI 0x08, 0x09, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x10

static void assert_bytes(const uint8_t *got, int n, const uint8_t *want, size_t wn)
{
	assert_int_equal(n, (int)wn);
	assert_memory_equal(got, want, wn);
}

static void test_mm_requests(void **state)
{
	const struct osmo_location_area_id lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 23 };
	/* LU type normal, CKSN 7; LAI 001-01 LAC 23; classmark 1 */
	const uint8_t lu[] = { 0x05, 0x08, 0x70, 0x00, 0xf1, 0x10, 0x00, 0x17, 0x32, MI_IMSI };
	/* service type SMS (4), CKSN 7; classmark 2 with SM capability */
	const uint8_t cm[] = { 0x05, 0x24, 0x74, 0x03, 0x32, 0x18, 0x00, MI_IMSI };
	const uint8_t pr[] = { 0x06, 0x27, 0x07, 0x03, 0x32, 0x18, 0x00, MI_IMSI };
	const uint8_t id[] = { 0x05, 0x19, MI_IMSI };
	uint8_t b[64];

	assert_bytes(b, a_lu_request(b, sizeof(b), IMSI, &lai), lu, sizeof(lu));
	assert_bytes(b, a_cm_service_request(b, sizeof(b), IMSI), cm, sizeof(cm));
	assert_bytes(b, a_paging_response(b, sizeof(b), IMSI), pr, sizeof(pr));
	assert_bytes(b, a_id_response(b, sizeof(b), IMSI), id, sizeof(id));
	assert_int_equal(a_cm_service_request(b, 10, IMSI), -ENOSPC);
	assert_int_equal(a_cm_service_request(b, sizeof(b), ""), -EINVAL);
	assert_int_equal(a_cm_service_request(b, sizeof(b), "0010100000000012"), -EINVAL);
}

static void test_cp_rp_uplink(void **state)
{
	const uint8_t tpdu[] = { 0x41, 0x00, 0x05, 0x81, 0x61, 0x53, 0xf4, 0x00, 0x04, 0x01, 0xaa };
	/* RP-DATA MS->net: MR 7, empty RP-OA, RP-DA +886900000000, RP-UD */
	const uint8_t rp[] = { 0x00, 0x07, 0x00, 0x07, 0x91, 0x88, 0x96, 0x00, 0x00, 0x00, 0x00,
			       sizeof(tpdu), 0x41, 0x00, 0x05, 0x81, 0x61, 0x53, 0xf4, 0x00, 0x04, 0x01, 0xaa };
	uint8_t b[300], c[300];
	int n;

	n = a_rp_data_mo(b, sizeof(b), 7, "886900000000", tpdu, sizeof(tpdu));
	assert_bytes(b, n, rp, sizeof(rp));
	/* CP-DATA, TI 2 from its originator (flag 0): 0x29 */
	int m = a_cp_data(c, sizeof(c), 2, 0, b, (size_t)n);
	assert_int_equal(m, 3 + n);
	assert_int_equal(c[0], 0x29);
	assert_int_equal(c[1], 0x01);
	assert_int_equal(c[2], n);
	assert_memory_equal(c + 3, b, (size_t)n);
	assert_bytes(b, a_cp_ack(b, sizeof(b), 1, 0), (const uint8_t[]){ 0x19, 0x04 }, 2);
	assert_bytes(b, a_cp_ack(b, sizeof(b), 0, 1), (const uint8_t[]){ 0x89, 0x04 }, 2);
	assert_bytes(b, a_cp_error(b, sizeof(b), 3, 1, 111), (const uint8_t[]){ 0xb9, 0x10, 111 }, 3);
	assert_bytes(b, a_rp_ack_mo(b, sizeof(b), 0x2a), (const uint8_t[]){ 0x02, 0x2a }, 2);
	assert_bytes(b, a_rp_error_mo(b, sizeof(b), 5, 22), (const uint8_t[]){ 0x04, 0x05, 0x01, 22 }, 4);
	/* TI 7 is the extension escape; an RPDU over 248 octets does not fit */
	assert_int_equal(a_cp_ack(b, sizeof(b), 7, 0), -EINVAL);
	assert_int_equal(a_cp_data(c, sizeof(c), 0, 0, b, 249), -EINVAL);
	assert_int_equal(a_rp_data_mo(b, sizeof(b), 1, "12x4", tpdu, sizeof(tpdu)), -EINVAL);
	assert_int_equal(a_rp_data_mo(b, sizeof(b), 1, "", tpdu, sizeof(tpdu)), -EINVAL);
}

/* What osmo-msc sent: RP-ACK for MR 0x2a in CP-DATA of TI 0, flag 1. */
static void test_downlink_rp_ack(void **state)
{
	const uint8_t l3[] = { 0x89, 0x01, 0x02, 0x03, 0x2a };
	struct a_l3 m;
	struct a_rp rp;

	assert_int_equal(a_l3_parse(&m, l3, sizeof(l3)), 0);
	assert_int_equal(m.kind, A_L3_CP);
	assert_int_equal(m.cp_type, A_CP_DATA);
	assert_int_equal(m.ti, 0);
	assert_int_equal(m.ti_flag, 1);
	assert_int_equal(m.ud_len, 2);
	assert_int_equal(a_rp_parse(&rp, m.ud, m.ud_len), 0);
	assert_int_equal(rp.mti, A_RP_ACK_MT);
	assert_int_equal(rp.mr, 0x2a);
	assert_int_equal(rp.ud_len, 0);
	/* RP-ERROR cause 96 with a diagnostic, then RP-User-Data */
	const uint8_t err[] = { 0x05, 0x00, 0x02, 0xe0, 0x01, 0x41, 0x02, 0x01, 0x00 };
	assert_int_equal(a_rp_parse(&rp, err, sizeof(err)), 0);
	assert_int_equal(rp.mti, A_RP_ERROR_MT);
	assert_int_equal(rp.cause, 96);
	assert_int_equal(rp.ud_len, 2);
}

static void test_downlink_rp_data(void **state)
{
	/* RP-DATA net->MS: MR 9, RP-OA +49123 (odd: filler F), empty RP-DA, a 3-octet TPDU */
	const uint8_t rp[] = { 0x01, 0x09, 0x04, 0x91, 0x94, 0x21, 0xf3, 0x00, 0x03, 0x04, 0x00, 0x00 };
	struct a_rp r;

	assert_int_equal(a_rp_parse(&r, rp, sizeof(rp)), 0);
	assert_int_equal(r.mti, A_RP_DATA_MT);
	assert_int_equal(r.mr, 9);
	assert_string_equal(r.oa, "49123");
	assert_int_equal(r.oa_ton_npi, 0x91);
	assert_int_equal(r.ud_len, 3);
	assert_int_equal(r.ud[0], 0x04);
	/* cut inside RP-UD, a byte too many, an MS->net type */
	assert_int_equal(a_rp_parse(&r, rp, sizeof(rp) - 1), -EIO);
	const uint8_t longer[] = { 0x01, 0x09, 0x00, 0x00, 0x01, 0x04, 0xff };
	assert_int_equal(a_rp_parse(&r, longer, sizeof(longer)), -EINVAL);
	const uint8_t mo[] = { 0x00, 0x09, 0x00, 0x00, 0x00 };
	assert_int_equal(a_rp_parse(&r, mo, sizeof(mo)), -EINVAL);
	const uint8_t big_oa[] = { 0x01, 0x09, 0x0c, 0x91, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x00, 0x00 };
	assert_int_equal(a_rp_parse(&r, big_oa, sizeof(big_oa)), -EINVAL);
}

static void test_downlink_mm(void **state)
{
	struct a_l3 m;

	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x05, 0x02, 0x00, 0xf1, 0x10, 0x00, 0x17 }, 7), 0);
	assert_int_equal(m.kind, A_L3_LU_ACCEPT);
	/* N(SD) in bits 7-8 of the type (§10.4) is not part of it */
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x05, 0x61 }, 2), 0);
	assert_int_equal(m.kind, A_L3_CM_ACCEPT);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x05, 0x22, 0x04 }, 3), 0);
	assert_int_equal(m.kind, A_L3_CM_REJECT);
	assert_int_equal(m.cause, 4);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x05, 0x18, 0x01 }, 3), 0);
	assert_int_equal(m.kind, A_L3_ID_REQUEST);
	assert_int_equal(m.id_type, 1);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x05, 0x04 }, 2), -EIO);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x06, 0x35 }, 2), 0);
	assert_int_equal(m.kind, A_L3_OTHER);
	/* CP-DATA cut short; TI 7 */
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x09, 0x01, 0x05, 0x00 }, 4), -EIO);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x79, 0x04 }, 2), -EINVAL);
	assert_int_equal(a_l3_parse(&m, (const uint8_t[]){ 0x09 }, 1), -EIO);
}

static void test_bssap(void **state)
{
	/* osmo-msc's CLEAR COMMAND: cause IE 04 01 09 */
	const uint8_t clear[] = { 0x00, 0x04, 0x20, 0x04, 0x01, 0x09 };
	const uint8_t dtap[] = { 0x01, 0x03, 0x02, 0x19, 0x04 };
	/* PAGING: IMSI, Cell Identifier List (LAC 23) */
	const uint8_t paging[] = { 0x00, 0x10, 0x52, 0x08, MI_IMSI, 0x1a, 0x03, 0x05, 0x00, 0x17 };
	struct a_bssap b;
	char imsi[16];

	assert_int_equal(a_bssap_parse(&b, clear, sizeof(clear)), 0);
	assert_false(b.dtap);
	assert_int_equal(b.type, 0x20);
	assert_int_equal(b.len, 3);
	assert_int_equal(a_bssap_parse(&b, dtap, sizeof(dtap)), 0);
	assert_true(b.dtap);
	assert_int_equal(b.dlci, A_DLCI_SMS);
	assert_int_equal(b.len, 2);
	assert_int_equal(a_bssap_parse(&b, paging, sizeof(paging)), 0);
	assert_int_equal(a_paging_imsi(&b, imsi, sizeof(imsi)), 0);
	assert_string_equal(imsi, IMSI);
	assert_int_equal(a_paging_imsi(&b, imsi, 8), -ENOSPC);
	/* lengths that lie; an unknown discriminator; no type */
	assert_int_equal(a_bssap_parse(&b, clear, sizeof(clear) - 1), -EIO);
	assert_int_equal(a_bssap_parse(&b, dtap, sizeof(dtap) + 0 - 1), -EIO);
	assert_int_equal(a_bssap_parse(&b, (const uint8_t[]){ 0x02, 0x00 }, 2), -EINVAL);
	assert_int_equal(a_bssap_parse(&b, (const uint8_t[]){ 0x00, 0x00 }, 2), -EINVAL);
	assert_int_equal(a_bssap_parse(&b, (const uint8_t[]){ 0x01, 0x00, 0x00, 0x09 }, 4), -EINVAL);
	assert_int_equal(a_bssap_parse(&b, clear, sizeof(clear)), 0);
	assert_int_equal(a_paging_imsi(&b, imsi, sizeof(imsi)), -EINVAL);
}

static void test_imsi_of_msisdn(void **state)
{
	char imsi[16];

	assert_int_equal(a_imsi_of_msisdn(imsi, sizeof(imsi), "886912345678"), 0);
	assert_string_equal(imsi, "001016912345678");
	assert_int_equal(a_imsi_of_msisdn(imsi, sizeof(imsi), "67964"), 0);
	assert_string_equal(imsi, "001010000067964");
	assert_int_equal(a_imsi_of_msisdn(imsi, sizeof(imsi), "+886912345678"), -EINVAL);
	assert_int_equal(a_imsi_of_msisdn(imsi, sizeof(imsi), ""), -EINVAL);
	assert_int_equal(a_imsi_of_msisdn(imsi, 15, "123"), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_requests),
		cmocka_unit_test(test_cp_rp_uplink),
		cmocka_unit_test(test_downlink_rp_ack),
		cmocka_unit_test(test_downlink_rp_data),
		cmocka_unit_test(test_downlink_mm),
		cmocka_unit_test(test_bssap),
		cmocka_unit_test(test_imsi_of_msisdn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
