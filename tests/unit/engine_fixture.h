/*
 * engine_fixture.h — what test_engine and test_outbox share: an engine
 * with a real journal in the test's temporary state directory, its
 * registry and counters, faults injected into the journal's writes and
 * syncs, and the bus messages read back through the replay callbacks
 * (engine_replay_ops), as bus.md spells them.
 *
 *	efx_init(&x->f, "test_x", devices_path);	   in setup
 *	efx_cfg(&x->f, &cfg); cfg.threads = ...;	   then engine_open()
 *	efx_read(&x->f, 1);  x->f.n, x->f.topic[i], x->f.payload[i]
 *	efx_fini(&x->f);				   in teardown
 *
 * The directory (f->dir) is the test's to make and remove; opening the
 * engine stays in the test too, since log_capture.h is per program.
 */
#pragma once
#include <stdint.h>

#include "gateway/engine/engine.h"
#include "gateway/journal/journal.h"

#define EFX_BUS_MAX	64

/* The journal's writes fail with err once writes_left more went through
 * (-1: never); its syncs fail with sync_err (0: never).  efx_fini()
 * resets them. */
struct efx_faults {
	int writes_left, err, sync_err;
};
extern struct efx_faults efx_faults;
/* The journal hooks that obey efx_faults (engine_cfg.journal_hooks). */
extern const struct journal_opts efx_hooks;

struct efx {
	void *ctx;
	char dir[128];			/* the state directory, the test's */
	struct registry *reg;
	struct rate_ctr_group *ctrs;
	struct engine *e;
	/* bus messages read back by efx_read() */
	unsigned n;
	char topic[EFX_BUS_MAX][32];
	char payload[EFX_BUS_MAX][2048];
};

/* A talloc context named name, the counters, the registry of devices. */
void efx_init(struct efx *f, const char *name, const char *devices);
/* Close the engine (if open), free the rest, reset efx_faults. */
void efx_fini(struct efx *f);
/* The configuration both tests start from: gateway "gw-test", state in
 * f->dir, skew 1 day, concat timeout 600 s, journal keep 1000, efx_hooks. */
void efx_cfg(const struct efx *f, struct engine_cfg *cfg);
/* A counter of txgw_ctrg_desc. */
uint64_t efx_ctr(const struct efx *f, unsigned idx);
/* Read the bus from seq from on (EFX_BUS_MAX at most) into n, topic, payload. */
void efx_read(struct efx *f, uint64_t from);
