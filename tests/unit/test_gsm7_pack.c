/* test_gsm7_pack — 7-bit packing and unpacking (3GPP TS 23.038 §6.1.2.1.1). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/sms/gsm7.h"

/* 23.038 §6.1.2.1.1: "hellohello" packs into E8 32 9B FD 46 97 D9 EC 37. */
static void test_hellohello(void **state)
{
	static const uint8_t text[10] = "hellohello";
	static const uint8_t packed[9] = { 0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37 };
	uint8_t out[16], back[16];

	assert_int_equal(gsm7_packed_len(10, 0), 9);
	assert_int_equal(gsm7_pack(out, sizeof(out), text, 10, 0), 9);
	assert_memory_equal(out, packed, 9);
	assert_int_equal(gsm7_unpack(back, sizeof(back), packed, 9, 10, 0), 10);
	assert_memory_equal(back, text, 10);
}

/* Eight septets fill seven octets exactly; the eighth septet is the top
 * seven bits of the seventh octet (23.038 §6.1.2.1.1 figure). */
static void test_eight_septets(void **state)
{
	static const uint8_t s[8] = { 0x7f, 0x00, 0x7f, 0x00, 0x7f, 0x00, 0x7f, 0x01 };
	uint8_t out[8], back[8];

	assert_int_equal(gsm7_pack(out, sizeof(out), s, 8, 0), 7);
	assert_int_equal(out[6], 0x01 << 1 | 0x01);	/* and the top bit of septet 6 */
	assert_int_equal(gsm7_unpack(back, sizeof(back), out, 7, 8, 0), 8);
	assert_memory_equal(back, s, 8);
}

/* After a UDH the septets start at a septet boundary: with fill bits
 * (3GPP TS 23.040 §9.2.3.24).  One fill bit: "hel" is D0 65 36. */
static void test_fill_bits(void **state)
{
	static const uint8_t hel[3] = "hel";
	static const uint8_t packed[3] = { 0xd0, 0x65, 0x36 };
	uint8_t out[8], back[8];

	assert_int_equal(gsm7_packed_len(3, 1), 3);
	assert_int_equal(gsm7_pack(out, sizeof(out), hel, 3, 1), 3);
	assert_memory_equal(out, packed, 3);
	assert_int_equal(gsm7_unpack(back, sizeof(back), packed, 3, 3, 1), 3);
	assert_memory_equal(back, hel, 3);
	/* Six fill bits: one septet straddles two octets. */
	assert_int_equal(gsm7_pack(out, sizeof(out), hel, 1, 6), 2);
	assert_int_equal(out[0], (uint8_t)('h' << 6));
	assert_int_equal(out[1], 'h' >> 2);
}

static void test_errors(void **state)
{
	static const uint8_t s[4] = { 1, 2, 0x80, 4 };
	uint8_t out[8];

	assert_int_equal(gsm7_pack(out, sizeof(out), s, 4, 0), -EINVAL);	/* 0x80 */
	assert_int_equal(gsm7_pack(out, sizeof(out), s, 2, 7), -EINVAL);	/* fill 7 */
	assert_int_equal(gsm7_pack(out, 1, s, 2, 0), -ENOSPC);
	assert_int_equal(gsm7_pack(out, 0, s, 0, 0), 0);
	assert_int_equal(gsm7_unpack(out, sizeof(out), s, 1, 2, 0), -EIO);	/* 14 bits in 8 */
	assert_int_equal(gsm7_unpack(out, 1, s, 2, 2, 0), -ENOSPC);
	assert_int_equal(gsm7_unpack(out, sizeof(out), s, 2, 1, 7), -EINVAL);
	assert_int_equal(gsm7_unpack(out, sizeof(out), s, 1, 1, 2), -EIO);	/* 9 bits */
	assert_int_equal(gsm7_unpack(out, sizeof(out), s, 2, 1, 2), 1);
}

/* Random septet strings of every length and fill: pack then unpack. */
static void test_random(void **state)
{
	uint8_t s[200], out[200], back[200];

	srand((unsigned)test_seed());
	for (int iter = 0; iter < 5000; iter++) {
		size_t n = (size_t)rand() % 161;
		unsigned fill = (unsigned)rand() % 7;
		for (size_t i = 0; i < n; i++)
			s[i] = (uint8_t)(rand() & 0x7f);
		int len = gsm7_pack(out, sizeof(out), s, n, fill);
		assert_int_equal(len, (int)gsm7_packed_len(n, fill));
		/* Fill bits are zero. */
		if (len)
			assert_int_equal(out[0] & ((1u << fill) - 1), 0);
		assert_int_equal(gsm7_unpack(back, sizeof(back), out, (size_t)len, n, fill), (int)n);
		assert_memory_equal(back, s, n);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hellohello),
		cmocka_unit_test(test_eight_septets),
		cmocka_unit_test(test_fill_bits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_random),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("gsm7_pack", tests, NULL, NULL));
}
