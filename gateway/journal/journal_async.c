/*
 * journal_async.c — the journal's background sync (journal_sync_async):
 * a thread that runs the fdatasync so the event loop does not block, and an
 * eventfd that tells the loop when it is done.  See journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_int.h"

/*
 * The background sync thread: it runs one fdatasync per request and then
 * signals the eventfd.  Everything shared with it is under mu.
 */
struct async {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	int (*fdatasync_fn)(int fd);
	bool busy;		/* a request is pending or running */
	bool done;		/* finished, result not collected yet */
	bool stop;
	bool unreported;	/* collected by a wait, not by journal_sync_complete */
	int fd;			/* request: the fd to sync */
	uint64_t entry, seq;	/* request: what the sync covers */
	uint64_t off;		/* request: the last segment's size then */
	int rc;			/* result */
};

static void *async_main(void *arg)
{
	struct async *as = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&as->mu);
	for (;;) {
		while (!as->stop && (!as->busy || as->done))
			pthread_cond_wait(&as->cv, &as->mu);
		if (as->stop)
			break;
		int fd = as->fd;
		pthread_mutex_unlock(&as->mu);
		int rc = as->fdatasync_fn(fd) ? (errno ? -errno : -EIO) : 0;
		pthread_mutex_lock(&as->mu);
		as->rc = rc;
		as->done = true;
		pthread_cond_broadcast(&as->cv);
		/* Cannot fail: the counter does not overflow at one per sync. */
		ssize_t n = write(as->efd, &one, sizeof(one));
		(void)n;
	}
	pthread_mutex_unlock(&as->mu);
	return NULL;
}

static int async_start_thread(struct journal *j)
{
	struct async *as = talloc_zero(j, struct async);

	if (!as)
		return -ENOMEM;
	as->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (as->efd < 0) {
		int rc = -errno;
		talloc_free(as);
		return rc;
	}
	as->fdatasync_fn = j->o.fdatasync_fn;
	pthread_mutex_init(&as->mu, NULL);
	pthread_cond_init(&as->cv, NULL);
	int rc = pthread_create(&as->th, NULL, async_main, as);
	if (rc) {
		close(as->efd);
		talloc_free(as);
		return -rc;
	}
	j->as = as;
	return 0;
}

void jnl_async_stop(struct journal *j)
{
	struct async *as = j->as;

	if (!as)
		return;
	pthread_mutex_lock(&as->mu);
	as->stop = true;
	pthread_cond_broadcast(&as->cv);
	pthread_mutex_unlock(&as->mu);
	pthread_join(as->th, NULL);
	pthread_mutex_destroy(&as->mu);
	pthread_cond_destroy(&as->cv);
	close(as->efd);
	j->as = NULL;
}

/* Reset the eventfd (as->mu held); -EAGAIN when it was drained already. */
static void async_drain(struct async *as)
{
	uint64_t cnt;
	ssize_t n = read(as->efd, &cnt, sizeof(cnt));

	(void)n;
	as->unreported = false;
}

/* Take the result of a finished background sync (as->mu held); the
 * eventfd is reset only when the loop takes it (journal_sync_complete). */
static int async_collect(struct journal *j, bool by_loop)
{
	struct async *as = j->as;

	as->busy = as->done = false;
	if (by_loop)
		async_drain(as);
	else
		as->unreported = true;
	if (as->rc)
		return jnl_fail(j, as->rc);
	j->syncs++;
	j->synced_entry = as->entry;
	j->synced_seq = as->seq;
	j->synced_off = as->off;
	return 1;
}

/*
 * Block until no background sync is in flight; 0 or the error it had.  A
 * sync it takes is still reported to the loop (the eventfd stays
 * readable, journal_sync_complete() says 1): a rotation inside
 * journal_append() waits here, and the inputs that sync covered are the
 * loop's to acknowledge.
 */
int jnl_async_wait(struct journal *j)
{
	struct async *as = j->as;
	int rc = 0;

	if (!as)
		return 0;
	pthread_mutex_lock(&as->mu);
	while (as->busy && !as->done)
		pthread_cond_wait(&as->cv, &as->mu);
	if (as->busy)
		rc = async_collect(j, false);
	pthread_mutex_unlock(&as->mu);
	return rc < 0 ? rc : 0;
}

/* journal_sync()'s caller acknowledges everything itself: nothing is left
 * to report. */
void jnl_async_reported(struct journal *j)
{
	if (!j->as)
		return;
	pthread_mutex_lock(&j->as->mu);
	if (j->as->unreported)
		async_drain(j->as);
	pthread_mutex_unlock(&j->as->mu);
}

int journal_sync_fd(struct journal *j)
{
	if (!j->as) {
		int rc = async_start_thread(j);
		if (rc)
			return rc;
	}
	return j->as->efd;
}

int journal_sync_async(struct journal *j)
{
	int rc;

	if (j->failed)
		return -EIO;
	if (!j->dirty)
		return 1;
	rc = journal_sync_fd(j);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&j->as->mu);
	/* one taken by a wait but not reported yet counts as in flight: the
	 * loop collects it first, and learns what it covered */
	if (j->as->busy || j->as->unreported) {
		pthread_mutex_unlock(&j->as->mu);
		return -EBUSY;
	}
	j->as->fd = j->fd;
	j->as->entry = j->next_entry - 1;
	j->as->seq = j->last_seq;
	/* no rotation while it is in flight: rotate() waits for it first */
	j->as->off = j->segs[j->nsegs - 1].size;
	j->as->busy = true;
	j->dirty = false;
	pthread_cond_broadcast(&j->as->cv);
	pthread_mutex_unlock(&j->as->mu);
	return 0;
}

int journal_sync_complete(struct journal *j)
{
	int rc = 0;

	if (!j->as)
		return 0;
	pthread_mutex_lock(&j->as->mu);
	if (j->as->done) {
		rc = async_collect(j, true);
	} else if (j->as->unreported) {
		/* taken by a wait (a rotation): its result is in j already */
		async_drain(j->as);
		rc = j->failed ? j->failed : 1;
	}
	pthread_mutex_unlock(&j->as->mu);
	return rc;
}
