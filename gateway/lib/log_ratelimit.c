/*
 * log_ratelimit.c — one log line per interval per kind; see log_ratelimit.h.
 */
#include <stdio.h>
#include <time.h>

#include <osmocom/core/timer_compat.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/log_ratelimit.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	if (osmo_clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool log_ratelimit_pass(struct log_ratelimit *rl, unsigned long *held)
{
	uint64_t now = now_ms();

	if (rl->next_ms && now < rl->next_ms) {
		rl->held++;
		return false;
	}
	*held = rl->held;
	rl->held = 0;
	rl->next_ms = now + (rl->interval_ms ? rl->interval_ms : LOG_RATELIMIT_MS);
	if (!rl->next_ms)
		rl->next_ms = 1;	/* 0 means "never logged" */
	return true;
}

const char *log_ratelimit_held_str(unsigned long held)
{
	static __thread char buf[48];

	if (!held)
		return "";
	snprintf(buf, sizeof(buf), ", %lu more like it suppressed", held);
	return buf;
}
