/*
 * vpool.c — worker threads for judge_check(); see vpool.h.
 *
 * Two lists under one mutex: todo (loop -> workers, a condition variable
 * wakes a worker) and done (workers -> loop, an eventfd wakes the loop).
 * The loop thread alone allocates, calls back and frees; workers only run
 * judge_check() with their own verifier.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/engine/vpool.h"
#include "gateway/lib/logging.h"
#include "gateway/txlog/judge.h"
#include "gateway/txlog/verify.h"

struct worker {
	struct vpool *p;
	pthread_t tid;
	struct verifier *v;
};

struct vpool {
	pthread_mutex_t mu;
	pthread_cond_t todo_cv;		/* a task to do, or stop */
	pthread_cond_t idle_cv;		/* a task finished (for drain) */
	struct llist_head todo;
	struct llist_head done;
	unsigned inflight;		/* submitted, not yet delivered back */
	unsigned running;		/* taken by a worker, not yet in done */
	unsigned idle;			/* workers waiting for a task */
	bool stop;
	unsigned n;
	struct worker *w;
	struct verifier *inline_v;	/* 0 threads */
	struct osmo_fd efd;
	vpool_done_cb cb;
	void *cb_data;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct vpool *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && llist_empty(&p->todo)) {
			p->idle++;
			pthread_cond_wait(&p->todo_cv, &p->mu);
			p->idle--;
		}
		if (p->stop)
			break;
		struct vtask *t = llist_first_entry(&p->todo, struct vtask, list);
		llist_del(&t->list);
		p->running++;
		pthread_mutex_unlock(&p->mu);

		t->rc = judge_check(t->reg, w->v, t->buf, t->len, t->r);

		pthread_mutex_lock(&p->mu);
		p->running--;
		/* wake the loop only for the first of a batch: it takes the whole
		 * done list at once, so later ones ride along (fewer syscalls
		 * under load) */
		bool first = llist_empty(&p->done);
		llist_add_tail(&t->list, &p->done);
		uint64_t one = 1;
		if (first && write(p->efd.fd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice */
		}
		if (p->running == 0 && llist_empty(&p->todo))
			pthread_cond_broadcast(&p->idle_cv);	/* vpool_drain() waits for this */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Deliver finished tasks to the callback, on the loop thread. */
static void deliver(struct vpool *p)
{
	LLIST_HEAD(ready);

	pthread_mutex_lock(&p->mu);
	llist_splice_init(&p->done, &ready);
	pthread_mutex_unlock(&p->mu);
	while (!llist_empty(&ready)) {
		struct vtask *t = llist_first_entry(&ready, struct vtask, list);
		llist_del(&t->list);
		p->inflight--;
		p->cb(p->cb_data, t);
	}
}

static int efd_cb(struct osmo_fd *ofd, unsigned int what)
{
	uint64_t n;
	if (read(ofd->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	deliver(ofd->data);
	return 0;
}

/* p->n counts the threads running: only those are joined by vpool_stop() */
static int start_threads(struct vpool *p, unsigned n)
{
	p->w = talloc_zero_array(p, struct worker, n);
	if (!p->w)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		p->w[i].p = p;
		p->w[i].v = verifier_alloc(p, VERIFIER_DEFAULT_SLOTS);
		if (!p->w[i].v)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		int rc = pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]);
		if (rc) {
			LOGP(DTXLOG, LOGL_ERROR, "cannot start signature thread %u of %u: %s\n", i + 1, n,
			     strerror(rc));
			return -rc;
		}
		p->n = i + 1;
	}
	return 0;
}

int vpool_start(void *ctx, unsigned n_threads, vpool_done_cb done, void *data, struct vpool **out)
{
	struct vpool *p = talloc_zero(ctx, struct vpool);
	int rc;

	if (!p) {
		LOGP(DTXLOG, LOGL_ERROR, "signature threads: out of memory\n");
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->todo_cv, NULL);
	pthread_cond_init(&p->idle_cv, NULL);
	INIT_LLIST_HEAD(&p->todo);
	INIT_LLIST_HEAD(&p->done);
	p->cb = done;
	p->cb_data = data;
	p->efd.fd = -1;
	if (!n_threads) {
		p->inline_v = verifier_alloc(p, VERIFIER_DEFAULT_SLOTS);
		rc = p->inline_v ? 0 : -ENOMEM;
		goto out;
	}
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		LOGP(DTXLOG, LOGL_ERROR, "signature threads: eventfd: %s\n", strerror(-rc));
		goto out;
	}
	osmo_fd_setup(&p->efd, fd, OSMO_FD_READ, efd_cb, p, 0);
	rc = osmo_fd_register(&p->efd);
	if (rc < 0) {
		close(fd);
		p->efd.fd = -1;
		LOGP(DTXLOG, LOGL_ERROR, "signature threads: cannot register the eventfd\n");
		goto out;
	}
	rc = start_threads(p, n_threads);
out:
	if (rc == -ENOMEM)
		LOGP(DTXLOG, LOGL_ERROR, "signature threads: out of memory\n");
	if (rc < 0) {
		vpool_stop(p);
		return rc;
	}
	*out = p;
	return 0;
}

void vpool_submit(struct vpool *p, struct vtask *t)
{
	p->inflight++;
	if (!p->n) {
		t->rc = judge_check(t->reg, p->inline_v, t->buf, t->len, t->r);
		p->inflight--;
		p->cb(p->cb_data, t);
		return;
	}
	pthread_mutex_lock(&p->mu);
	llist_add_tail(&t->list, &p->todo);
	if (p->idle)		/* a busy worker takes it from the list anyway */
		pthread_cond_signal(&p->todo_cv);
	pthread_mutex_unlock(&p->mu);
}

void vpool_drain(struct vpool *p)
{
	if (!p->n)
		return;
	pthread_mutex_lock(&p->mu);
	while (!llist_empty(&p->todo) || p->running)
		pthread_cond_wait(&p->idle_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	deliver(p);
}

unsigned vpool_inflight(const struct vpool *p)
{
	return p->inflight;
}

unsigned vpool_threads(const struct vpool *p)
{
	return p->n;
}

void vpool_stop(struct vpool *p)
{
	if (!p)
		return;
	if (p->n) {
		vpool_drain(p);
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_broadcast(&p->todo_cv);
		pthread_mutex_unlock(&p->mu);
		for (unsigned i = 0; i < p->n; i++)
			pthread_join(p->w[i].tid, NULL);
	}
	if (p->efd.fd >= 0) {
		osmo_fd_unregister(&p->efd);
		close(p->efd.fd);
	}
	for (unsigned i = 0; p->w && i < p->n; i++)
		verifier_free(p->w[i].v);
	if (p->inline_v)
		verifier_free(p->inline_v);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->todo_cv);
	pthread_cond_destroy(&p->idle_cv);
	talloc_free(p);
}
