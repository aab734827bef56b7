/*
 * bench_concat.c — reassembly throughput: two-part messages from many
 * senders, parts interleaved (part 2 of one message arrives between parts
 * of others), with 16-bit references and 140-octet payloads.
 *
 * Usage: bench_concat [parts]   (default 2000000)
 * Prints parts per second; the target is >= 1,000,000 on one core.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <talloc.h>

#include "gateway/sms/concat.h"

#define SENDERS 1000
#define WINDOW 64		/* messages open at once */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long parts = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000;
	struct concat_cfg cfg = {
		.timeout_s = 600, .max_partial = 100000, .max_bytes = 64u << 20,
		.hash_seed = 0x5eed,
	};
	static struct concat_key keys[SENDERS];
	uint8_t payload[140];
	void *ctx = talloc_new(NULL);
	struct concat *c = concat_new(ctx, &cfg, NULL, NULL);
	unsigned long i, done = 0, added = 0;
	double t0, dt;
	char src[24];

	if (!c)
		return 1;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	for (i = 0; i < SENDERS; i++) {
		snprintf(src, sizeof(src), "+8869%08lu", i);
		concat_key_set(&keys[i], 1, src, "+886900000001", CONCAT_REF16, 0, 2);
	}
	t0 = now_s();
	/*
	 * Step j sends part 1 of message j and part 2 of message j - WINDOW,
	 * so about WINDOW messages are partial at any time.
	 */
	for (i = 0; i < parts; i++) {
		unsigned long j = i / 2, n = i & 1 ? j - WINDOW : j;
		struct concat_key *k = &keys[n % SENDERS];
		struct concat_part p = {
			.seq = (uint8_t)(i & 1 ? 2 : 1), .data = payload, .len = sizeof(payload),
			.cookie = i,
		};
		struct concat_msg *m;

		if ((i & 1) && j < WINDOW)
			continue;
		k->ref = (uint16_t)(n / SENDERS);
		added++;
		if (concat_add(c, k, &p, i / 1000, ctx, &m) == CONCAT_COMPLETE) {
			done++;
			talloc_free(m);
		}
	}
	dt = now_s() - t0;
	printf("bench_concat: %lu parts, %lu messages completed, %.3f s, %.0f parts/s\n",
	       added, done, dt, added / dt);
	printf("  partial_now %zu bytes_now %zu evicted %" PRIu64 "\n",
	       concat_get_stats(c)->partial_now, concat_get_stats(c)->bytes_now,
	       concat_get_stats(c)->evicted);
	talloc_free(ctx);
	return 0;
}
