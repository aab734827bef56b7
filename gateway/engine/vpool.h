/*
 * vpool.h — signature checks (judge_check(), checks 1-3) on worker
 * threads, so that every core verifies while the event loop keeps the
 * ledger, the journal and the sockets.
 *
 * Tasks are handed to the workers in submission order and come back to
 * the loop thread through an eventfd in the osmo_select loop, in any
 * order; the caller restores arrival order (the engine finalizes inputs
 * strictly first-in, first-out, which keeps each device's frames in the
 * order they came).  With 0 threads a task runs inside vpool_submit() and
 * its done callback is called before vpool_submit() returns.
 *
 * Each worker has its own verifier (OpenSSL contexts and key cache are
 * not shared); the registry is only read.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

struct registry;
struct judge_result;

struct vtask {
	struct llist_head list;		/* the pool's, while queued */
	const struct registry *reg;
	const uint8_t *buf;		/* the frame; must stay valid until done */
	size_t len;
	struct judge_result *r;		/* filled by judge_check(); r->entry set by the caller */
	int rc;				/* judge_check()'s return */
	void *owner;			/* the caller's */
};

typedef void (*vpool_done_cb)(void *data, struct vtask *t);

struct vpool;

/* n_threads 0: run tasks inline.  Returns 0 and *out, or a negative errno
 * after logging why (no eventfd, a thread that would not start, ...). */
int vpool_start(void *ctx, unsigned n_threads, vpool_done_cb done, void *data, struct vpool **out);
void vpool_submit(struct vpool *p, struct vtask *t);
/* Wait until no task is running or queued (done callbacks delivered). */
void vpool_drain(struct vpool *p);
/* Tasks submitted and not yet delivered back. */
unsigned vpool_inflight(const struct vpool *p);
unsigned vpool_threads(const struct vpool *p);
/* Stop the threads (after draining) and free the pool. */
void vpool_stop(struct vpool *p);
