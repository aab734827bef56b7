/*
 * bench_ledger.c — frames per second through ledger_process() for many
 * devices, and what a device costs in memory.
 *
 *   bench_ledger [devices [rounds]]      defaults: 1000000 devices, 4 rounds
 *
 * Each round sends every device one frame (its next upload_seq, one
 * record with the next counter and the right balance), devices visited in
 * a scattered order so that the table is not walked in memory order.
 * Round 1 creates the devices.  The digest (the frame's SHA-256) is made
 * up: hashing is the caller's cost, not the ledger's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/txlog/ledger.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, from /proc/self/statm; 0 when unknown. */
static size_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * 4096;
}

static int count_write(void *arg, const uint8_t *buf, size_t len)
{
	*(size_t *)arg += len;
	return 0;
}

/* Device i's frame of round r (from 0). */
static void make_frame(struct txl_frame *f, uint8_t *digest, uint64_t dev, uint32_t r)
{
	f->device_id = 0x0100000000000000ULL | dev;
	f->upload_seq = r + 1;
	f->created = 1795000000 + r;
	f->n_records = 1;
	f->rec[0].counter = 1000 + r;
	f->rec[0].type = TXL_T_TOPUP;
	f->rec[0].time = 1795000000 + r;
	f->rec[0].amount = 100;
	f->rec[0].balance = 100000 + 100 * r;
	memcpy(digest, &f->device_id, 8);
	memcpy(digest + 8, &f->upload_seq, 4);
}

int main(int argc, char **argv)
{
	uint64_t n_dev = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	uint32_t rounds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 4;
	/* an odd step co-prime with n_dev scatters the visits */
	uint64_t step = 2654435761u % (n_dev ? n_dev : 1);
	struct txl_frame f;
	struct txl_outcome o;
	uint8_t digest[32] = { 0 };
	struct ledger_input in = { .f = &f, .digest = digest, .now = 1795000000 + 1000, .skew_s = 86400 };

	if (!n_dev) {
		fprintf(stderr, "usage: bench_ledger [devices [rounds]]\n");
		return 1;
	}
	while (step < 2 || n_dev % step == 0 || step % 2 == 0)
		step++;
	memset(&f, 0, sizeof(f));
	f.version = TXL_VERSION;
	f.alg = TXL_ALG_ED25519;
	size_t rss0 = rss_bytes();
	struct ledger *l = ledger_alloc(NULL);
	if (!l)
		return 1;
	for (uint32_t r = 0; r < rounds; r++) {
		uint64_t dev = 0, events = 0;
		double t0 = now_s();
		for (uint64_t i = 0; i < n_dev; i++) {
			dev = (dev + step) % n_dev;
			make_frame(&f, digest, dev, r);
			if (ledger_process(l, &in, &o)) {
				fprintf(stderr, "ledger_process failed\n");
				return 1;
			}
			events += o.n;
		}
		double dt = now_s() - t0;
		printf("round %" PRIu32 ": %" PRIu64 " frames in %.3f s: %.0f frames/s (%" PRIu64 " events)%s\n",
		       r + 1, n_dev, dt, n_dev / dt, events, r ? "" : ", devices created");
	}
	size_t mem = ledger_mem(l), rss = rss_bytes() - rss0;
	printf("%zu devices: ledger_mem %zu bytes (%.1f per device), RSS growth %zu bytes (%.1f per device)\n",
	       ledger_count(l), mem, (double)mem / ledger_count(l), rss, (double)rss / ledger_count(l));
	printf("steady state (all 64 uploads of the window held): + %d bytes of digests per device\n",
	       LEDGER_WINDOW * LEDGER_DIGEST_LEN);
	size_t snap_len = 0;
	double t0 = now_s();
	ledger_snapshot(l, count_write, &snap_len);
	printf("snapshot: %zu bytes in %.3f s\n", snap_len, now_s() - t0);
	ledger_free(l);
	return 0;
}
