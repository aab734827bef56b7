/*
 * bench_verify.c — single-thread signature verification rate through
 * txl_verify() with the key cached (the steady state for a busy device),
 * for ECDSA P-256 and Ed25519, over a 112-byte frame (one record, the
 * smallest frame and the common case).  contrib/bench/verify.sh compares
 * the figures with `openssl speed`.
 *
 * The rate is per second of user CPU time, as `openssl speed` counts by
 * default (its -elapsed option switches to wall-clock time): on a shared,
 * loaded machine wall-clock rates say more about the neighbours than about
 * the code.  The wall-clock rate is printed too.
 *
 *   bench_verify [SECONDS]     (default 3 per algorithm)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "contrib/bench/timing.h"
#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"
#include "gateway/txlog/verify.h"

static int bench(void *ctx, enum txl_alg alg, double secs)
{
	struct verifier *v = verifier_alloc(ctx, 0);
	struct txl_signer *s;
	struct reg_entry e;
	struct txl_frame f;
	uint8_t frame[TXL_MAX_LEN];
	double t0, w0, t;
	long n = 0;
	int len;

	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.alg = alg;
	f.device_id = 0x00112233aabbccddULL;
	f.key_id = 1;
	f.n_records = 1;
	f.rec[0].type = TXL_T_PURCHASE;
	memset(&e, 0, sizeof(e));
	e.device_id = f.device_id;
	e.key_id = f.key_id;
	e.alg = alg;
	if (!v || txl_signer_generate(ctx, alg, &s))
		return -1;
	e.key_len = (uint8_t)txl_signer_public_raw(s, e.key, sizeof(e.key));
	len = txl_frame_sign(s, &f, frame, sizeof(frame));
	if (len != TXL_MIN_LEN || txl_verify(v, &e, frame, TXL_MIN_LEN - TXL_SIG_LEN, frame + len - TXL_SIG_LEN))
		return -1;
	t0 = bench_user_cpu();
	w0 = bench_wall();
	do {
		int i;

		for (i = 0; i < 256; i++)
			if (txl_verify(v, &e, frame, TXL_MIN_LEN - TXL_SIG_LEN, frame + len - TXL_SIG_LEN))
				return -1;
		n += 256;
		t = bench_user_cpu() - t0;
	} while (t < secs);
	printf("%s verify/s %.1f (%ld in %.2f s user CPU; wall-clock %.1f/s; %d-byte frame)\n",
	       txl_alg_name(alg), n / t, n, t, n / (bench_wall() - w0), len);
	txl_signer_free(s);
	verifier_free(v);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	void *ctx = talloc_new(NULL);
	int rc = 0;

	if (secs <= 0)
		secs = 3;
	rc |= bench(ctx, TXL_ALG_ECDSA_P256, secs);
	rc |= bench(ctx, TXL_ALG_ED25519, secs);
	talloc_free(ctx);
	if (rc)
		fprintf(stderr, "bench_verify: a verification failed\n");
	return rc ? 1 : 0;
}
