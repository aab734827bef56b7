/* test_bus.c — placeholder, filled in below */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"

static void test_parse_ok(void **state)
{
	struct bus_frame f[3] = { { (const uint8_t *)"REPLAY", 6 }, { (const uint8_t *)"12", 2 },
				  { (const uint8_t *)"5", 1 } };
	uint64_t from;
	unsigned max;

	assert_int_equal(bus_parse_replay(f, 3, &from, &max), 0);
	assert_int_equal(from, 12);
	assert_int_equal(max, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
