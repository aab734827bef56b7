/* placeholder, replaced below */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "esme.h"
static void test_backoff(void **state)
{
	assert_int_equal(esme_backoff_next(1, 1), 2);
}
int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_backoff) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
