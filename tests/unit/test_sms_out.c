/*
 * test_sms_out.c — a downlink payload as SMS parts (gateway/sms/sms_out.h):
 * the exact UDH bytes of a single SMS and of a concatenated one, the sizes
 * at the edges (133/134 octets, 8 parts, 1,024/1,025), and every part read
 * back by the UDH parser (udh.h) with its ports and concatenation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/sms/sms_out.h"
#include "gateway/sms/udh.h"

#define PORT 16354	/* 0x3fe2 */

static uint8_t payload[1100];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

static void test_single(void **state)
{
	static const uint8_t udh[] = { 0x06, 0x05, 0x04, 0x3f, 0xe2, 0x3f, 0xe2 };
	struct sms_out_part p[SMS_OUT_MAX_PARTS];

	fill();
	assert_int_equal(sms_out_split(payload, 1, PORT, 9, p), 1);
	assert_int_equal(p[0].len, 8);
	assert_memory_equal(p[0].ud, udh, sizeof(udh));
	assert_int_equal(p[0].ud[7], payload[0]);
	assert_int_equal(sms_out_split(payload, 133, PORT, 9, p), 1);
	assert_int_equal(p[0].len, 140);
	assert_memory_equal(p[0].ud, udh, sizeof(udh));
	assert_memory_equal(p[0].ud + 7, payload, 133);
}

static void test_concat(void **state)
{
	struct sms_out_part p[SMS_OUT_MAX_PARTS];
	uint8_t want[12] = { 0x0b, 0x00, 0x03, 0xa5, 2, 1, 0x05, 0x04, 0x3f, 0xe2, 0x3f, 0xe2 };

	fill();
	/* 134 octets: two parts, 128 + 6 */
	assert_int_equal(sms_out_split(payload, 134, PORT, 0xa5, p), 2);
	assert_int_equal(p[0].len, 140);
	assert_memory_equal(p[0].ud, want, sizeof(want));
	assert_memory_equal(p[0].ud + 12, payload, 128);
	want[5] = 2;
	assert_int_equal(p[1].len, 12 + 6);
	assert_memory_equal(p[1].ud, want, sizeof(want));
	assert_memory_equal(p[1].ud + 12, payload + 128, 6);
	/* 1,000 octets: 8 parts, the last 104 */
	assert_int_equal(sms_out_split(payload, 1000, PORT, 0, p), 8);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(p[i].ud[4], 8);
		assert_int_equal(p[i].ud[5], i + 1);
		assert_int_equal(p[i].len, i < 7 ? 140 : 12 + 1000 - 7 * 128);
	}
	assert_int_equal(sms_out_split(payload, 1024, PORT, 0, p), 8);
	assert_int_equal(sms_out_split(payload, 1025, PORT, 0, p), -EMSGSIZE);
	assert_int_equal(sms_out_split(payload, 0, PORT, 0, p), -EINVAL);
	assert_int_equal(sms_out_parts(0), 0);
	assert_int_equal(sms_out_parts(133), 1);
	assert_int_equal(sms_out_parts(134), 2);
	assert_int_equal(sms_out_parts(1025), 9);
}

/* What a receiver's UDH parser (udh.h) makes of each part: the ports, the
 * concatenation, the payload back in order. */
static void test_read_back(void **state)
{
	struct sms_out_part p[SMS_OUT_MAX_PARTS];
	uint8_t back[1100];
	size_t got = 0;
	int n;

	fill();
	n = sms_out_split(payload, 777, PORT, 200, p);
	assert_int_equal(n, 7);
	for (int i = 0; i < n; i++) {
		struct udh h;
		struct udh_concat c;
		uint16_t dst, src;
		int hl = udh_parse(&h, p[i].ud, p[i].len);

		assert_int_equal(hl, 12);
		assert_int_equal(udh_ports(&h, &dst, &src), 16);
		assert_int_equal(dst, PORT);
		assert_int_equal(src, PORT);
		assert_int_equal(udh_concat(&h, &c), 0);
		assert_int_equal(c.ref_bits, 8);
		assert_int_equal(c.ref, 200);
		assert_int_equal(c.total, 7);
		assert_int_equal(c.seq, i + 1);
		memcpy(back + got, p[i].ud + hl, p[i].len - (size_t)hl);
		got += p[i].len - (size_t)hl;
	}
	assert_int_equal(got, 777);
	assert_memory_equal(back, payload, 777);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_concat),
		cmocka_unit_test(test_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
