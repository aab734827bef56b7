/*
 * timing.h — the two clocks of the benchmarks: wall-clock, and user
 * CPU time, which `openssl speed` counts by default and which does not
 * depend on how busy a shared machine is.
 */
#pragma once
#include <sys/resource.h>
#include <time.h>

static inline double bench_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double bench_user_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}
