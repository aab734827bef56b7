/* test_udh — the User Data Header walker and builder (3GPP TS 23.040 §9.2.3.24). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/sms/udh.h"

static void test_concat_and_ports(void **state)
{
	/* UDHL 11: concat8 ref 0x5A 1/2, port16 16354 -> 0 (vector
	 * tpdu-binary-concat), then payload octets the walker ignores. */
	static const uint8_t b[] = { 0x0b, 0x00, 0x03, 0x5a, 0x02, 0x01, 0x05, 0x04,
				     0x3f, 0xe2, 0x00, 0x00, 0xaa, 0xbb };
	struct udh h;
	struct udh_concat c;
	uint16_t dst, src;

	assert_int_equal(udh_parse(&h, b, sizeof(b)), 12);
	assert_int_equal(h.len, 11);
	assert_int_equal(h.n_ies, 2);
	assert_int_equal(h.ies[0].iei, UDH_IEI_CONCAT8);
	assert_int_equal(h.ies[0].len, 3);
	assert_int_equal(h.ies[0].off, 2);
	assert_int_equal(h.ies[1].iei, UDH_IEI_PORT16);
	assert_int_equal(h.ies[1].off, 7);
	assert_int_equal(udh_ie_data(&h, &h.ies[1])[0], 0x3f);
	assert_int_equal(udh_concat(&h, &c), 0);
	assert_int_equal(c.ref, 0x5a);
	assert_int_equal(c.ref_bits, 8);
	assert_int_equal(c.total, 2);
	assert_int_equal(c.seq, 1);
	assert_int_equal(udh_ports(&h, &dst, &src), 16);
	assert_int_equal(dst, 16354);
	assert_int_equal(src, 0);
	assert_int_equal(udh_sim_toolkit(&h), 0);
	assert_string_equal(udh_iei_name(h.ies[0].iei), "concat8");
	assert_string_equal(udh_iei_name(0x05), "port16");
	assert_string_equal(udh_iei_name(0xc0), "unknown");
}

static void test_concat16_port8_stk_unknown(void **state)
{
	/* concat16 ref 0x1234 2/2, port8 5 <- 7, an unknown IE 0xC0, STK 0x70. */
	static const uint8_t b[] = { 0x11, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, 0x04, 0x02,
				     0x05, 0x07, 0xc0, 0x03, 0x01, 0x02, 0x03, 0x70, 0x00 };
	struct udh h;
	struct udh_concat c;
	uint16_t dst, src;
	uint8_t out[32];

	assert_int_equal(udh_parse(&h, b, sizeof(b)), sizeof(b));
	assert_int_equal(h.n_ies, 4);
	assert_int_equal(udh_concat(&h, &c), 0);
	assert_int_equal(c.ref, 0x1234);
	assert_int_equal(c.ref_bits, 16);
	assert_int_equal(c.seq, 2);
	assert_int_equal(udh_ports(&h, &dst, &src), 8);
	assert_int_equal(dst, 5);
	assert_int_equal(src, 7);
	assert_int_equal(h.ies[2].iei, 0xc0);
	assert_int_equal(h.ies[2].flags, 0);
	assert_int_equal(udh_sim_toolkit(&h), UDH_IEI_STK_COMMAND);
	/* Re-encoding gives the same bytes. */
	assert_int_equal(udh_encode(out, sizeof(out), &h), sizeof(b));
	assert_memory_equal(out, b, sizeof(b));
	assert_int_equal(udh_encode(out, sizeof(b) - 1, &h), -ENOSPC);
}

/* §9.2.3.24.1: total 0, seq 0 or seq > total: the IE is ignored (flagged);
 * wrong fixed lengths are flagged; the last valid IE counts. */
static void test_flagged(void **state)
{
	static const uint8_t b[] = { 0x14, 0x00, 0x03, 0x01, 0x02, 0x01,	/* valid, ref 1 */
				     0x00, 0x03, 0x02, 0x00, 0x01,	/* total 0 */
				     0x00, 0x03, 0x03, 0x02, 0x00,	/* seq 0 */
				     0x08, 0x03, 0x01, 0x02, 0x01 };	/* concat16, 3 octets */
	static const uint8_t over[] = { 0x05, 0x00, 0x03, 0x01, 0x03, 0x04 };	/* 4 > 3 */
	static const uint8_t stk_bad[] = { 0x03, 0x70, 0x01, 0x00 };
	struct udh h;
	struct udh_concat c;
	uint16_t dst, src;

	assert_int_equal(udh_parse(&h, b, sizeof(b)), sizeof(b));
	assert_int_equal(h.n_ies, 4);
	assert_int_equal(h.ies[0].flags, 0);
	assert_int_equal(h.ies[1].flags, UDH_IE_BAD_VALUE);
	assert_int_equal(h.ies[2].flags, UDH_IE_BAD_VALUE);
	assert_int_equal(h.ies[3].flags, UDH_IE_BAD_LEN);
	assert_string_equal(udh_ie_flags_name(h.ies[0].flags), "ok");
	assert_string_equal(udh_ie_flags_name(h.ies[1].flags), "bad-value");
	assert_string_equal(udh_ie_flags_name(h.ies[3].flags), "bad-length");
	assert_int_equal(udh_concat(&h, &c), 0);
	assert_int_equal(c.ref, 1);

	assert_int_equal(udh_parse(&h, over, sizeof(over)), sizeof(over));
	assert_int_equal(h.ies[0].flags, UDH_IE_BAD_VALUE);
	assert_int_equal(udh_concat(&h, &c), -ENOENT);
	assert_int_equal(udh_ports(&h, &dst, &src), -ENOENT);

	assert_int_equal(udh_parse(&h, stk_bad, sizeof(stk_bad)), sizeof(stk_bad));
	assert_int_equal(h.ies[0].flags, UDH_IE_BAD_LEN);
	assert_int_equal(udh_sim_toolkit(&h), 0);
}

static void test_malformed(void **state)
{
	static const uint8_t ie_past[] = { 0x04, 0x00, 0x03, 0x01, 0x02, 0x01 };
	static const uint8_t len_past[] = { 0x03, 0x00, 0x03, 0x01 };
	static const uint8_t half_ie[] = { 0x01, 0x00 };
	static const uint8_t empty_hdr[] = { 0x00 };
	struct udh h;

	assert_int_equal(udh_parse(&h, NULL, 0), -EIO);
	assert_int_equal(udh_parse(&h, len_past, 3), -EIO);		/* UDHL past len */
	assert_int_equal(udh_parse(&h, ie_past, sizeof(ie_past)), -EINVAL);
	assert_int_equal(h.n_ies, 0);
	assert_int_equal(udh_parse(&h, half_ie, sizeof(half_ie)), -EINVAL);
	assert_int_equal(udh_parse(&h, empty_hdr, 1), 1);
	assert_int_equal(h.n_ies, 0);
	/* Cut at every length: never an out-of-bounds read, never success
	 * except at the full length. */
	static const uint8_t b[] = { 0x08, 0x00, 0x03, 0x01, 0x02, 0x01, 0x70, 0x00, 0x00 };
	for (size_t n = 0; n < sizeof(b) - 1; n++)
		assert_true(udh_parse(&h, b, n) < 0);
}

static void test_builder(void **state)
{
	struct udh h, back;
	struct udh_concat c = { .ref = 0xab, .ref_bits = 8, .total = 3, .seq = 3 }, got;
	uint8_t out[UDH_MAX_LEN + 1];
	uint16_t dst, src;
	uint8_t blob[200] = { 0 };

	udh_init(&h);
	assert_int_equal(udh_add_concat(&h, &c), 0);
	assert_int_equal(udh_add_ports(&h, 2948, 9200, 16), 0);
	assert_int_equal(udh_add_ports(&h, 300, 1, 8), -EINVAL);
	c.ref = 0x1ff;
	assert_int_equal(udh_add_concat(&h, &c), -EINVAL);
	c.ref_bits = 12;
	assert_int_equal(udh_add_concat(&h, &c), -EINVAL);
	assert_int_equal(udh_size(&h), 1 + 5 + 6);
	int n = udh_encode(out, sizeof(out), &h);
	assert_int_equal(n, 12);
	assert_int_equal(udh_parse(&back, out, (size_t)n), n);
	assert_int_equal(back.n_ies, 2);
	assert_memory_equal(back.ies, h.ies, 2 * sizeof(h.ies[0]));
	assert_int_equal(udh_concat(&back, &got), 0);
	assert_int_equal(got.ref, 0xab);
	assert_int_equal(udh_ports(&back, &dst, &src), 16);
	assert_int_equal(dst, 2948);
	assert_int_equal(src, 9200);
	/* The builder flags like the parser. */
	assert_int_equal(udh_add(&h, UDH_IEI_PORT8, blob, 3), 0);
	assert_int_equal(h.ies[2].flags, UDH_IE_BAD_LEN);
	/* No room past 255 octets. */
	assert_int_equal(udh_add(&h, 0x20, blob, 200), 0);
	assert_int_equal(udh_add(&h, 0x20, blob, 200), -ENOSPC);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concat_and_ports),
		cmocka_unit_test(test_concat16_port8_stk_unknown),
		cmocka_unit_test(test_flagged),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_builder),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("udh", tests, NULL, NULL));
}
