/*
 * bench_registry.c — a registry of a million devices: load time, peak
 * RSS, and the verification rate over many distinct devices in random
 * order (key-cache misses) against the rate for one device (all hits).
 *
 *   bench_registry gen FILE N M [SEED]
 *	write a registry of N devices with inline Ed25519 keys (hex:); the
 *	first M get real key pairs derived from SEED (each device's private
 *	key is SHA-256(SEED || device_id), an RFC 8032 seed), the others
 *	random 32-byte keys that are never used to verify
 *   bench_registry run FILE M [SEED]
 *	load FILE (time, peak RSS by getrusage), sign one frame for each of
 *	the M real devices, verify them in a random order through one
 *	verifier (default cache size), then as often for one device; with
 *	M = 0 only the load
 *
 * Rates are per second of user CPU time (see bench_verify.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/evp.h>
#include <talloc.h>

#include "contrib/bench/timing.h"
#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"
#include "gateway/txlog/verify.h"

/* Device i's id: spread over the 64-bit space (splitmix64), never 0. */
static uint64_t device_of(uint64_t i)
{
	uint64_t x = i + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31)) | 1;
}

static int device_signer(void *ctx, uint64_t seed, uint64_t dev, struct txl_signer **s)
{
	uint8_t in[16], key[32];
	int i;

	for (i = 0; i < 8; i++) {
		in[i] = (uint8_t)(seed >> (56 - 8 * i));
		in[8 + i] = (uint8_t)(dev >> (56 - 8 * i));
	}
	EVP_Digest(in, sizeof(in), key, NULL, EVP_sha256(), NULL);
	return txl_signer_from_seed(ctx, key, s);
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int gen(const char *path, uint64_t n, uint64_t m, uint64_t seed)
{
	static const char hex[] = "0123456789abcdef";
	void *ctx = talloc_new(NULL);
	FILE *fp = fopen(path, "w");
	uint64_t i, rnd = seed ^ 0x5deece66dULL;
	uint8_t key[32];
	char line[160];
	int k;

	if (!fp) {
		perror(path);
		return 1;
	}
	fprintf(fp, "# bench_registry: %" PRIu64 " devices, the first %" PRIu64 " with real keys\n", n, m);
	for (i = 0; i < n; i++) {
		uint64_t dev = device_of(i);

		if (i < m) {
			struct txl_signer *s;

			if (device_signer(ctx, seed, dev, &s) || txl_signer_public_raw(s, key, 32) != 32)
				return 1;
			txl_signer_free(s);
		} else {
			for (k = 0; k < 32; k++) {
				rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
				key[k] = (uint8_t)(rnd >> 56);
			}
		}
		k = snprintf(line, sizeof(line), "%016" PRIx64 " 1 ed25519 %s active hex:", dev,
			     i % 4 ? "-" : "886900000000");
		for (int j = 0; j < 32; j++) {
			line[k++] = hex[key[j] >> 4];
			line[k++] = hex[key[j] & 15];
		}
		line[k++] = '\n';
		fwrite(line, 1, (size_t)k, fp);
		if ((i + 1) % 100000 == 0)
			fprintf(stderr, "  %" PRIu64 " of %" PRIu64 " lines\n", i + 1, n);
	}
	talloc_free(ctx);
	return fclose(fp) ? 1 : 0;
}

/* Verify frames[order[k]] for k < count; the rate per user CPU second. */
static double verify_rate(struct verifier *v, struct registry *r, uint8_t (*frames)[TXL_MIN_LEN],
			  const uint32_t *order, uint32_t count, const char *what)
{
	double t0 = bench_user_cpu(), w0 = bench_wall(), t;
	struct txl_frame f;
	uint32_t k;

	for (k = 0; k < count; k++) {
		const uint8_t *fr = frames[order ? order[k] : 0];
		const struct reg_entry *e;

		if (txl_frame_decode(&f, fr, TXL_MIN_LEN, NULL) || txl_frame_check(v, r, &f, fr, &e) != TXL_CHECK_OK) {
			fprintf(stderr, "bench_registry: frame %u does not verify\n", k);
			exit(1);
		}
	}
	t = bench_user_cpu() - t0;
	printf("%-36s %9.1f verify/s (%u in %.2f s user CPU; wall-clock %.1f/s)\n", what, count / t, count, t,
	       count / (bench_wall() - w0));
	return count / t;
}

static int run(const char *path, uint32_t m, uint64_t seed)
{
	void *ctx = talloc_new(NULL);
	uint8_t (*frames)[TXL_MIN_LEN];
	struct reg_report rep;
	struct registry *r;
	struct verifier *v;
	uint32_t *order, i;
	uint64_t hits, misses;
	double t0, w0, many, one;
	long rss0 = max_rss_kb();
	int rc;

	t0 = bench_user_cpu();
	w0 = bench_wall();
	rc = registry_load(ctx, path, NULL, &r, &rep);
	printf("registry_load: %zu entries, rc %d, %.2f s wall-clock (%.2f s user CPU), peak RSS %.1f MB "
	       "(%.1f MB before the load)\n", registry_count(r), rc, bench_wall() - w0, bench_user_cpu() - t0,
	       max_rss_kb() / 1024.0, rss0 / 1024.0);
	if (rc || registry_count(r) < m)
		return 1;
	if (m == 0)
		return 0;

	fprintf(stderr, "  signing %u frames...\n", m);
	frames = talloc_size(ctx, (size_t)m * TXL_MIN_LEN);
	order = talloc_array(ctx, uint32_t, m);
	for (i = 0; i < m; i++) {
		struct txl_frame f = { .version = 1, .alg = TXL_ALG_ED25519, .key_id = 1, .n_records = 1 };
		struct txl_signer *s;

		f.device_id = device_of(i);
		f.upload_seq = i;
		f.rec[0].type = TXL_T_PURCHASE;
		if (device_signer(ctx, seed, f.device_id, &s) || txl_frame_sign(s, &f, frames[i], TXL_MIN_LEN) != TXL_MIN_LEN)
			return 1;
		txl_signer_free(s);
		order[i] = i;
	}
	srand((unsigned)seed);
	for (i = m - 1; i > 0; i--) {	/* Fisher-Yates */
		uint32_t j = (uint32_t)(((uint64_t)rand() << 31 ^ (uint64_t)rand()) % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	v = verifier_alloc(ctx, 0);
	many = verify_rate(v, r, frames, order, m, "distinct devices, random order");
	verifier_stats(v, &hits, &misses);
	printf("  cache: %" PRIu64 " hits, %" PRIu64 " misses (%d slots)\n", hits, misses, VERIFIER_DEFAULT_SLOTS);
	one = verify_rate(v, r, frames, NULL, m, "one device, cached key");
	printf("ratio distinct/one device: %.3f\n", many / one);
	talloc_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0),
			   argc > 5 ? strtoull(argv[5], NULL, 0) : 1);
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(argv[2], (uint32_t)strtoul(argv[3], NULL, 0), argc > 4 ? strtoull(argv[4], NULL, 0) : 1);
	fprintf(stderr, "usage: bench_registry gen FILE N M [SEED]\n"
			"       bench_registry run FILE M [SEED]\n");
	return 2;
}
