/*
 * log_ring.h — for unit tests of what is logged: libosmocore logging
 * into a ring buffer, lines counted by substring, and libosmocore's fake
 * clocks (the monotonic one, and the one of the timers) moved by hand.
 */
#pragma once
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/loggingrb.h>
#include <osmocom/core/timer.h>

static struct log_target *log_capture_rb;

/* Logging for info, category cat from NOTICE into the ring buffer (256
 * lines), nothing on stderr; the fake clocks on. */
static inline void log_capture_init(void *ctx, const struct log_info *info, int cat)
{
	osmo_init_logging2(ctx, info);
	log_set_category_filter(osmo_stderr_target, cat, 0, LOGL_FATAL);
	log_capture_rb = log_target_create_rb(256);
	log_set_all_filter(log_capture_rb, 1);
	log_set_category_filter(log_capture_rb, cat, 1, LOGL_NOTICE);
	log_set_print_filename2(log_capture_rb, LOG_FILENAME_NONE);
	log_add_target(log_capture_rb);
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
}

/* How many captured lines hold needle. */
static inline unsigned logged(const char *needle)
{
	unsigned n = 0;

	for (size_t i = 0; i < log_target_rb_used_size(log_capture_rb); i++)
		if (strstr(log_target_rb_get(log_capture_rb, i), needle))
			n++;
	return n;
}

/* Move both fake clocks on, and run the timers that are due. */
static inline void advance_ms(unsigned ms)
{
	osmo_clock_override_add(CLOCK_MONOTONIC, ms / 1000, (long)(ms % 1000) * 1000000);
	osmo_gettimeofday_override_add(ms / 1000, (suseconds_t)(ms % 1000) * 1000);
	osmo_timers_update();
}
