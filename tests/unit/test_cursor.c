/* test_cursor — the bounds-checked reader and writer every decoder uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/lib/cursor.h"

static void test_integers(void **state)
{
	static const uint8_t b[] = { 1, 0x02, 0x03, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rd r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	rd_init(&r, b, sizeof(b));
	assert_int_equal(rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(rd_left(&r), 0);
	assert_int_equal(rd_end(&r), 0);
	/* past the end: -EIO, value zeroed, error sticks */
	assert_int_equal(rd_u8(&r, &u8), -EIO);
	assert_int_equal(u8, 0);
	assert_int_equal(r.err, -EIO);
	assert_int_equal(rd_end(&r), -EIO);
}

static void test_short_and_leftover(void **state)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct rd r;
	uint32_t u32;
	const uint8_t *p;

	rd_init(&r, b, 3);
	assert_int_equal(rd_u32(&r, &u32), -EIO);
	assert_int_equal(rd_left(&r), 0);

	rd_init(&r, b, 3);
	assert_int_equal(rd_bytes(&r, 2, &p), 0);
	assert_ptr_equal(p, b);
	assert_int_equal(rd_end(&r), -EINVAL);		/* one byte left over */

	rd_init(&r, b, 3);
	assert_int_equal(rd_bytes(&r, SIZE_MAX, &p), -EIO);	/* no wrap-around */
}

static void test_cstr(void **state)
{
	static const uint8_t b[] = { 'a', 'b', 0, 0, 'x', 'y', 'z' };
	struct rd r;
	const char *s;
	size_t n;

	rd_init(&r, b, sizeof(b));
	assert_int_equal(rd_cstr(&r, 3, &s, &n), 0);	/* "ab" + NUL fits max 3 */
	assert_string_equal(s, "ab");
	assert_int_equal(n, 2);
	assert_int_equal(rd_cstr(&r, 1, &s, &n), 0);	/* empty string */
	assert_int_equal(n, 0);
	/* "xyz" has no NUL before the end: -EIO (truncated) */
	assert_int_equal(rd_cstr(&r, 10, &s, &n), -EIO);

	rd_init(&r, b, sizeof(b));
	/* "ab\0" needs 3 bytes: max 2 is too short, the string is over-long */
	assert_int_equal(rd_cstr(&r, 2, &s, &n), -EINVAL);
}

static void test_writer(void **state)
{
	uint8_t b[8];
	struct wr w;

	wr_init(&w, b, sizeof(b));
	assert_int_equal(wr_u8(&w, 0xaa), 0);
	assert_int_equal(wr_u16(&w, 0x0102), 0);
	assert_int_equal(wr_cstr(&w, "hi"), 0);
	assert_int_equal(w.off, 6);
	assert_memory_equal(b, "\xaa\x01\x02hi\0", 6);
	assert_int_equal(wr_u32(&w, 1), -ENOSPC);	/* 6 + 4 > 8 */
	assert_int_equal(w.off, 6);			/* nothing partial written */
	assert_int_equal(wr_u8(&w, 1), -ENOSPC);	/* sticky */

	wr_init(&w, b, sizeof(b));
	assert_int_equal(wr_u64(&w, 0x1122334455667788ULL), 0);
	assert_memory_equal(b, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	assert_null(wr_reserve(&w, 1));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_short_and_leftover),
		cmocka_unit_test(test_cstr),
		cmocka_unit_test(test_writer),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("cursor", tests, NULL, NULL));
}
