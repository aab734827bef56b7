/*
 * bench_journal — group commit figures: entries/s and syncs/s with 1, 16
 * and 64 entries of 300 bytes per sync, and the p50/p99 latency of a sync.
 *
 *   bench_journal [DIR [SECONDS]]
 *
 * Then the background sync: the loop keeps appending (up to the batch size)
 * while a sync runs, and starts the next one when the eventfd says done.
 *
 * DIR (default: a new directory under /tmp) must be on the file system to
 * measure: a tmpfs makes fdatasync free.  Each batch size runs SECONDS
 * (default 2) in a fresh journal, which is deleted afterwards.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"

#define PAYLOAD	300
#define MAX_SYNCS	200000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int run(void *ctx, const char *dir, int batch, double secs, double *lat)
{
	struct journal *j;
	uint8_t payload[PAYLOAD];
	size_t n = 0;
	double t0, t;
	int rc = journal_open(ctx, dir, NULL, &j, NULL);

	if (rc)
		return rc;
	memset(payload, 'x', sizeof(payload));
	t0 = now();
	do {
		for (int i = 0; i < batch; i++) {
			rc = journal_append(j, 1, true, payload, sizeof(payload), NULL, NULL);
			if (rc)
				goto out;
		}
		t = now();
		rc = journal_sync(j);
		if (rc)
			goto out;
		lat[n++] = now() - t;
	} while (n < MAX_SYNCS && now() - t0 < secs);
	t = now() - t0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%3d entries/sync: %9.0f entries/s %7.0f syncs/s  sync p50 %7.1f us  p99 %7.1f us  (%" PRIu64 " syncs)\n",
	       batch, (double)n * batch / t, (double)n / t, lat[n / 2] * 1e6,
	       lat[n * 99 / 100] * 1e6, journal_syncs(j));
out:
	journal_close(j);
	return rc;
}

/* Pipelined: append while the background sync runs; the latency is from
 * start to collection. */
static int run_async(void *ctx, const char *dir, int batch, double secs, double *lat)
{
	struct journal *j;
	uint8_t payload[PAYLOAD];
	struct pollfd p = { .events = POLLIN };
	size_t n = 0;
	uint64_t entries = 0;
	double t0, t = 0;
	int rc = journal_open(ctx, dir, NULL, &j, NULL);

	if (rc)
		return rc;
	memset(payload, 'x', sizeof(payload));
	p.fd = journal_sync_fd(j);
	t0 = now();
	while (p.fd >= 0 && n < MAX_SYNCS && now() - t0 < secs) {
		for (int i = 0; i < batch; i++, entries++) {
			rc = journal_append(j, 1, true, payload, sizeof(payload), NULL, NULL);
			if (rc)
				goto out;
		}
		if (t == 0) {
			t = now();
			rc = journal_sync_async(j);
			if (rc < 0)
				goto out;
		}
		if (poll(&p, 1, -1) == 1) {
			rc = journal_sync_complete(j);
			if (rc < 0)
				goto out;
			if (rc == 1) {
				lat[n++] = now() - t;
				t = 0;
			}
		}
	}
	rc = journal_sync(j);
	t = now() - t0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	if (n)
		printf("%3d entries/wake, async: %9.0f entries/s %7.0f syncs/s  sync p50 %7.1f us  p99 %7.1f us\n",
		       batch, (double)entries / t, (double)n / t, lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6);
out:
	journal_close(j);
	return rc;
}

int main(int argc, char **argv)
{
	static const int batches[] = { 1, 16, 64 };
	char base[64] = "/tmp/bench_journal.XXXXXX", dir[300], cmd[400];
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	double *lat = malloc(MAX_SYNCS * sizeof(*lat));
	void *ctx = talloc_named_const(NULL, 0, "bench");
	int rc = 0;

	if (argc > 1)
		snprintf(base, sizeof(base), "%s", argv[1]);
	else if (!mkdtemp(base))
		return 1;
	printf("journal in %s, %d-byte payloads, %.1f s per run\n", base, PAYLOAD, secs);
	for (size_t i = 0; !rc && i < 2 * sizeof(batches) / sizeof(batches[0]); i++) {
		size_t k = i % 3;
		snprintf(dir, sizeof(dir), "%s/journal-%d", base, batches[k]);
		rc = i < 3 ? run(ctx, dir, batches[k], secs, lat) : run_async(ctx, dir, batches[k], secs, lat);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			rc = 1;
	}
	if (argc <= 1) {
		snprintf(cmd, sizeof(cmd), "rmdir '%s'", base);
		if (system(cmd))
			rc = 1;
	}
	if (rc)
		fprintf(stderr, "bench_journal: error %d\n", rc);
	free(lat);
	talloc_free(ctx);
	return rc ? 1 : 0;
}
