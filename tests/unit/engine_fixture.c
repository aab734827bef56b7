/*
 * engine_fixture.c — the engine test fixture (tests/unit/engine_fixture.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <cmocka.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>

#include "gateway/lib/counters.h"
#include "gateway/txlog/registry.h"
#include "tests/unit/engine_fixture.h"

struct efx_faults efx_faults = { .writes_left = -1 };

static ssize_t hook_writev(int fd, const struct iovec *iov, int cnt)
{
	if (efx_faults.writes_left == 0) {
		errno = efx_faults.err;
		return -1;
	}
	if (efx_faults.writes_left > 0)
		efx_faults.writes_left--;
	return writev(fd, iov, cnt);
}

static int hook_sync(int fd)
{
	if (efx_faults.sync_err) {
		errno = efx_faults.sync_err;
		return -1;
	}
	return fdatasync(fd);
}

const struct journal_opts efx_hooks = { .writev_fn = hook_writev, .fdatasync_fn = hook_sync };

void efx_init(struct efx *f, const char *name, const char *devices)
{
	struct reg_report rep = { 0 };

	f->ctx = talloc_named_const(NULL, 0, name);
	f->ctrs = rate_ctr_group_alloc(f->ctx, &txgw_ctrg_desc, 0);
	assert_non_null(f->ctrs);
	assert_int_equal(registry_load(f->ctx, devices, NULL, &f->reg, &rep), 0);
}

void efx_fini(struct efx *f)
{
	efx_faults = (struct efx_faults){ .writes_left = -1 };
	if (f->e)
		engine_close(f->e);
	f->e = NULL;
	registry_free(f->reg);
	rate_ctr_group_free(f->ctrs);
	talloc_free(f->ctx);
}

void efx_cfg(const struct efx *f, struct engine_cfg *cfg)
{
	*cfg = (struct engine_cfg){ .gw_name = "gw-test", .state_dir = f->dir, .txlog_port = 16354,
				    .skew_s = 86400, .concat_timeout_s = 600, .journal_keep = 1000,
				    .journal_hooks = &efx_hooks };
}

uint64_t efx_ctr(const struct efx *f, unsigned idx)
{
	return rate_ctr_group_get_ctr(f->ctrs, idx)->current;
}

static int collect(void *arg, const char *topic, const char *payload, size_t len)
{
	struct efx *f = arg;

	if (f->n >= EFX_BUS_MAX || len >= sizeof(f->payload[0]))
		return -ENOSPC;
	snprintf(f->topic[f->n], sizeof(f->topic[0]), "%s", topic);
	memcpy(f->payload[f->n], payload, len);
	f->payload[f->n][len] = '\0';
	f->n++;
	return 0;
}

void efx_read(struct efx *f, uint64_t from)
{
	f->n = 0;
	assert_true(engine_replay_ops.fetch(f->e, from, EFX_BUS_MAX, collect, f) >= 0);
}
