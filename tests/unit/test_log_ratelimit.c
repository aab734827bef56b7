/*
 * test_log_ratelimit — gateway/lib/log_ratelimit.c: a line per interval
 * per kind, the count held back on the next line written, nothing counted
 * for a level that is filtered out.  Time is libosmocore's fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "gateway/lib/log_ratelimit.h"
#include "tests/unit/log_ring.h"

static const struct log_info_cat cats[] = {
	[0] = { .name = "DTEST", .description = "test", .enabled = 1, .loglevel = LOGL_DEBUG },
};
static const struct log_info log_info = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

static void test_pass(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT;
	unsigned long held = 99;

	assert_true(log_ratelimit_pass(&rl, &held));
	assert_int_equal(held, 0);
	for (int i = 0; i < 5; i++)
		assert_false(log_ratelimit_pass(&rl, &held));
	advance_ms(999);
	assert_false(log_ratelimit_pass(&rl, &held));
	advance_ms(1);
	assert_true(log_ratelimit_pass(&rl, &held));
	assert_int_equal(held, 6);
	assert_string_equal(log_ratelimit_held_str(6), ", 6 more like it suppressed");
	assert_string_equal(log_ratelimit_held_str(0), "");

	/* another interval */
	struct log_ratelimit slow = LOG_RATELIMIT_INIT_MS(5000);
	assert_true(log_ratelimit_pass(&slow, &held));
	advance_ms(4000);
	assert_false(log_ratelimit_pass(&slow, &held));
	advance_ms(1000);
	assert_true(log_ratelimit_pass(&slow, &held));
	assert_int_equal(held, 1);
}

static void test_macro(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT;

	/* 100 events in a second are 1 line; a second on, 1 with the count */
	for (int i = 0; i < 100; i++)
		LOGP_RL(&rl, 0, LOGL_NOTICE, "peer %d: bad PDU", i);
	assert_int_equal(logged("bad PDU"), 1);
	assert_int_equal(logged("peer 0: bad PDU\n"), 1);
	advance_ms(1000);
	LOGP_RL(&rl, 0, LOGL_NOTICE, "peer %d: bad PDU", 100);
	assert_int_equal(logged("bad PDU"), 2);
	assert_int_equal(logged("peer 100: bad PDU, 99 more like it suppressed\n"), 1);
	/* a filtered level costs nothing and is not counted */
	advance_ms(1000);
	LOGP_RL(&rl, 0, LOGL_DEBUG, "debug %d", 1);
	LOGP_RL(&rl, 0, LOGL_NOTICE, "after debug");
	assert_int_equal(logged("after debug\n"), 1);
	assert_int_equal(logged("suppressed"), 1);
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test_log_ratelimit");

	log_capture_init(ctx, &log_info, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_macro),
	};
	return cmocka_run_group_tests_name("log_ratelimit", tests, NULL, NULL);
}
