/*
 * gw_reload.c — the device registry at start-up and on a reload
 * (registry.md, section 5; config.md, 3.9), without stalling the loop.
 *
 * A reload (SIGHUP, or "reload registry [force]" on the stats socket):
 *  1. on the loop: the configuration file is read again for registry,
 *     ca-file and curve-clients (a small regular file; nothing else of it
 *     is applied);
 *  2. on a thread of its own, at a lower priority than the loop and the
 *     signature checks: the registry file is loaded into a new registry
 *     (1,000,000 keys took 0.75 to 2 s of parsing on the loop before) and
 *     the keys in force it lacks are counted; with CURVE on the bus, the
 *     curve-clients file is read too (up to KEYFILE_MAX_KEYS keys);
 *  3. back on the loop, woken by an eventfd: an empty registry, or one
 *     that lacks more than half the keys in force, is refused unless the
 *     reload was forced (a truncated or wrong file would make most devices
 *     unknown at once); else it is swapped in.  The client keys go in
 *     force if their file had no error, whatever became of the registry
 *     (bus.md "Who may connect": a key taken out must go out even when a
 *     registry edit is refused); else the old ones stay and the answer
 *     says why.  The stats connection is answered;
 *  4. the thread frees what the loop no longer wants (the old registry,
 *     or the refused one: 4 ms of munmap for a million keys), says so
 *     through the eventfd again, and is joined.
 *
 * The swap: engine_set_registry() drains the signature checks in flight,
 * which read the old registry, before it is freed; the checks' key caches
 * copy the key bytes (verify.h) and results copy their entry (judge.h), so
 * nothing keeps a pointer into a freed registry.  The thread reads the
 * registry in force only to count (read-only, like the checks), before
 * it says it has loaded; only then may the loop swap it out.
 *
 * One reload at a time.  A stats request meanwhile gets "error reload in
 * progress" at once (the operator asked, and can ask again), unless the
 * one under way has been answered and only frees (step 4): then it runs
 * next, its connection waiting, as if the other had ended; a SIGHUP
 * meanwhile is remembered and runs once this one ends (a signal has no
 * answer: dropping it would silently lose an operator's edit).
 *
 * Threads and talloc: the thread allocates and frees only under a context
 * of its own (talloc is not thread-safe), made before it starts.  The loop
 * touches that context only while the thread waits for j->released (3:
 * it takes the new registry out and puts the old one in), ordered by
 * j->mu.  The thread does not log.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/bus/bus.h"
#include "gateway/engine/engine.h"
#include "gateway/gw.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/stats.h"
#include "gateway/txgw_cfg.h"
#include "gateway/txlog/registry.h"

/* nice(2) of the loading thread: the loop and the checks go first.  Not
 * SCHED_IDLE: on a host kept busy (a traffic flood, when a revocation may
 * be urgent) that could starve the reload; nice 19 still progresses. */
#define RELOAD_NICE	19

struct reload_job {
	struct gw *g;
	bool force;
	bool from_stats;		/* answer with stats_reload_done() */
	struct txgw_cfg *f;		/* the configuration file read again, or NULL */
	struct timespec t0;
	pthread_t tid;
	struct osmo_fd efd;		/* the thread's "loaded", then "freed" */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool loaded;			/* under mu: the results below are set */
	bool answered;			/* the loop's: step 3 is over */
	bool released;			/* under mu: the loop is done with tctx */
	/* the thread's, but for step 3 */
	void *tctx;			/* its talloc context: paths, registry, report */
	const char *path, *ca_file;
	const struct registry *old;
	struct registry *reg;
	struct reg_report rep;
	int rc;
	size_t missing;			/* keys of old not in reg */
	const char *clients_path;	/* curve-clients to read, or NULL (no CURVE) */
	struct bus_keyset *clients;
	int clients_rc;
	char clients_err[256];
};

/* The reason of a failed registry_load(), for the log and the answer:
 * every message logged, the first one in msg. */
static void load_reason(const struct reg_report *rep, int rc, char *msg, size_t cap)
{
	for (unsigned i = 0; i < rep->n_msgs; i++)
		LOGP(DREG, LOGL_ERROR, "%s\n", rep->msgs[i]);
	snprintf(msg, cap, "%s%s", rep->n_msgs ? rep->msgs[0] : strerror(-rc),
		 rep->n_errors > 1 ? " (and more, see the log)" : "");
}

/* ---- start-up ---------------------------------------------------------------- */

int gw_load_registry(struct gw *g)
{
	struct reg_report rep = { 0 };
	char msg[512];
	int rc = registry_load(g->ctx, g->cfg->registry, g->cfg->ca_file, &g->reg, &rep);

	if (rc < 0) {
		load_reason(&rep, rc, msg, sizeof(msg));
		registry_free(g->reg);
		g->reg = NULL;
	} else if (registry_count(g->reg) == 0) {
		/* a gateway that knows no device rejects every frame as
		 * unknown_device: a misconfiguration, not a state to run in */
		snprintf(msg, sizeof(msg), "no keys: every device would be unknown");
		rc = -EINVAL;
	}
	reg_report_clear(&rep);
	if (rc < 0) {
		LOGP(DREG, LOGL_ERROR, "registry %s: %s\n", g->cfg->registry, msg);
		return rc;
	}
	LOGP(DREG, LOGL_NOTICE, "registry %s: %zu keys\n", g->cfg->registry, registry_count(g->reg));
	return 0;
}

/* ---- the loading thread --------------------------------------------------------- */

static void notify(struct reload_job *j)
{
	uint64_t one = 1;

	if (write(j->efd.fd, &one, sizeof(one)) < 0) {
		/* an eventfd counter cannot overflow from two writes */
	}
}

static void *reload_main(void *arg)
{
	struct reload_job *j = arg;

	/* Linux: a TID names one thread; failing that, it runs at 0 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RELOAD_NICE);
	j->rc = registry_load(j->tctx, j->path, j->ca_file, &j->reg, &j->rep);
	if (j->reg)
		j->missing = registry_missing(j->old, j->reg);
	if (j->clients_path)
		j->clients_rc = bus_keyset_load(j->tctx, j->clients_path, &j->clients, j->clients_err,
						sizeof(j->clients_err));
	pthread_mutex_lock(&j->mu);
	j->loaded = true;
	pthread_mutex_unlock(&j->mu);
	notify(j);

	pthread_mutex_lock(&j->mu);
	while (!j->released)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
	talloc_free(j->tctx);
	j->tctx = NULL;
	notify(j);
	return NULL;
}

/* The loop is done with j->tctx: the thread frees it and ends. */
static void release(struct reload_job *j)
{
	pthread_mutex_lock(&j->mu);
	j->released = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* ---- back on the loop -------------------------------------------------------------- */

static void set_path(void *ctx, char **dst, const char *val, const char *what)
{
	if ((!*dst && !val) || (*dst && val && !strcmp(*dst, val)))
		return;
	LOGP(DREG, LOGL_NOTICE, "%s: %s, was %s\n", what, val ? val : "none", *dst ? *dst : "none");
	talloc_free(*dst);
	*dst = val ? talloc_strdup(ctx, val) : NULL;
}

/* What the loaded registry may not do without force.  0, or -EINVAL with
 * the reason in msg. */
static int check_loss(const struct reload_job *j, char *msg, size_t cap)
{
	size_t n = registry_count(j->reg), had = registry_count(j->old);

	if (j->force)
		return 0;
	if (n == 0) {
		snprintf(msg, cap, "%s: no keys: every device would be unknown "
			 "('reload registry force' on the stats socket takes it)", j->path);
		return -EINVAL;
	}
	if (j->missing * 2 > had) {
		snprintf(msg, cap, "%s: %zu of the %zu keys in force are not in it, more than half "
			 "('reload registry force' on the stats socket takes it)", j->path, j->missing, had);
		return -EINVAL;
	}
	return 0;
}

/* The new registry goes in force, with the paths it was read from. */
static void apply(struct reload_job *j)
{
	struct gw *g = j->g;

	if (j->f) {
		set_path(g->cfg, &g->cfg->registry, j->f->registry, "registry");
		set_path(g->cfg, &g->cfg->ca_file, j->f->ca_file, "ca-file");
	}
	talloc_steal(g->ctx, j->reg);
	engine_set_registry(g->engine, j->reg);
	/* no check reads the old one any more: the thread frees it */
	talloc_steal(j->tctx, g->reg);
	g->reg = j->reg;
	j->reg = NULL;
}

static double since_s(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* After pthread_join(), or when the thread never started. */
static void job_free(struct reload_job *j)
{
	if (j->efd.fd >= 0) {
		osmo_fd_unregister(&j->efd);
		close(j->efd.fd);
	}
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	talloc_free(j->tctx);
	talloc_free(j);
}

/* The client keys read with the registry go in force, unless their file
 * had an error: 0, or a negative errno with the reason in msg. */
static int apply_clients(struct reload_job *j, char *msg, size_t cap)
{
	struct gw *g = j->g;

	if (!j->clients_path)
		return 0;
	if (j->clients_rc < 0) {
		snprintf(msg, cap, "curve-clients not reloaded: %s", j->clients_err);
		LOGP(DBUS, LOGL_ERROR, "curve-clients reload refused, the old keys stay: %s\n",
		     j->clients_err);
		return j->clients_rc;
	}
	if (j->f && j->f->bus_curve_clients)
		set_path(g->cfg, &g->cfg->bus_curve_clients, j->f->bus_curve_clients, "curve-clients");
	LOGP(DBUS, LOGL_NOTICE, "curve-clients %s reloaded: %zu keys\n", j->clients_path,
	     bus_keyset_count(j->clients));
	bus_set_clients(g->bus, j->clients);	/* takes it out of j->tctx */
	j->clients = NULL;
	return 0;
}

/* The outcome of a reload, refused (rc < 0, the reason in msg) or not; the
 * answer is an error if either file was refused, with both reasons. */
static void report_end(struct reload_job *j, long rc, const char *msg)
{
	struct gw *g = j->g;
	char kmsg[320], both[1024];
	int krc;

	if (rc < 0) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_REGISTRY_RELOAD_ERRORS));
		LOGP(DREG, LOGL_ERROR, "registry reload refused, the old one stays: %s\n", msg);
	} else {
		rate_ctr_inc(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_REGISTRY_RELOADS));
	}
	krc = apply_clients(j, kmsg, sizeof(kmsg));
	if (krc < 0) {
		snprintf(both, sizeof(both), "%s%s%s", rc < 0 ? msg : "", rc < 0 ? "; " : "", kmsg);
		msg = both;
		if (rc >= 0)
			rc = krc;
	}
	if (j->from_stats && g->stats)
		stats_reload_done(g->stats, rc, msg);
}

/* Step 3: the thread has loaded. */
static void loaded(struct reload_job *j)
{
	char msg[512] = "";
	long rc = j->rc;

	if (rc < 0)
		load_reason(&j->rep, (int)rc, msg, sizeof(msg));
	else
		rc = check_loss(j, msg, sizeof(msg));
	if (rc == 0) {
		rc = (long)registry_count(j->reg);
		LOGP(DREG, LOGL_NOTICE, "registry %s reloaded: %ld keys in %.2f s%s\n", j->path, rc,
		     since_s(&j->t0), j->force ? " (forced)" : "");
		apply(j);
	}
	report_end(j, rc, msg);
	j->answered = true;
	release(j);
}

/* Step 4: the thread has freed what was left, and ends. */
static void finished(struct reload_job *j)
{
	struct gw *g = j->g;
	char msg[512];

	pthread_join(j->tid, NULL);
	g->reload = NULL;
	job_free(j);
	if (g->reload_queued) {
		/* it reads the files again: a SIGHUP meanwhile is served too */
		bool force = g->reload_queued_force;
		int rc;

		g->reload_queued = false;
		g->reload_again = false;
		rc = gw_reload_start(g, force, true, msg, sizeof(msg));
		if (rc < 0 && g->stats)
			stats_reload_done(g->stats, rc, msg);
	} else if (g->reload_again) {
		g->reload_again = false;
		LOGP(DREG, LOGL_NOTICE, "SIGHUP came during that reload: reloading again\n");
		gw_reload_start(g, false, false, msg, sizeof(msg));
	}
}

static int reload_done_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct reload_job *j = ofd->data;
	bool done, freed;
	uint64_t n;

	if (read(ofd->fd, &n, sizeof(n)) < 0)
		return 0;	/* EAGAIN: not yet */
	pthread_mutex_lock(&j->mu);
	done = j->loaded;
	freed = j->released;
	pthread_mutex_unlock(&j->mu);
	if (freed)
		finished(j);
	else if (done)
		loaded(j);
	return 0;
}

/* ---- starting ---------------------------------------------------------------------- */

/*
 * config.md: registry, ca-file and curve-clients are read from the
 * configuration file at start-up and on a reload; a VTY session cannot set
 * them (gw_vty.c).  So a reload reads the file again, into a struct of its
 * own, and takes those three from it.  Nothing else of it is applied: the
 * other parts copied their settings at start-up, and a changed state-dir
 * (or curve-secret-key) waits for the next start.
 */
static int reread_file(struct gw *g, struct txgw_cfg **out, char *msg, size_t cap)
{
	struct txgw_cfg *f = txgw_cfg_alloc(g->ctx);
	int rc;

	if (!f) {
		snprintf(msg, cap, "out of memory");
		return -ENOMEM;
	}
	rc = txgw_config_load(f, g->cfg_file, msg, cap);
	if (rc < 0) {
		talloc_free(f);
		return rc;
	}
	if (strcmp(f->state_dir, g->cfg->state_dir))
		LOGP(DREG, LOGL_NOTICE, "state-dir in %s is now %s; it takes effect at the next start\n",
		     g->cfg_file, f->state_dir);
	*out = f;
	return 0;
}

/* The job with its eventfd and its thread's context; *msg on failure. */
static int job_new(struct gw *g, const struct txgw_cfg *c, struct reload_job **out, char *msg,
		   size_t cap)
{
	struct reload_job *j = talloc_zero(g->ctx, struct reload_job);
	bool curve;
	int fd;

	if (!j || !(j->tctx = talloc_named_const(NULL, 0, "registry reload"))) {
		talloc_free(j);	/* nothing initialised in it yet */
		snprintf(msg, cap, "out of memory");
		return -ENOMEM;
	}
	j->g = g;
	j->efd.fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->old = g->reg;
	j->path = talloc_strdup(j->tctx, c->registry);
	j->ca_file = c->ca_file ? talloc_strdup(j->tctx, c->ca_file) : NULL;
	/* CURVE is on from start-up to exit, or not at all: without it, the
	 * clients file is not read */
	curve = g->bus && g->cfg->bus_curve_secret;
	if (curve)
		j->clients_path = talloc_strdup(j->tctx, c->bus_curve_clients ? c->bus_curve_clients
							: g->cfg->bus_curve_clients);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!j->path || (c->ca_file && !j->ca_file) || (curve && !j->clients_path) || fd < 0) {
		int rc = fd < 0 ? -errno : -ENOMEM;

		snprintf(msg, cap, "cannot start a reload: %s", strerror(-rc));
		job_free(j);
		return rc;
	}
	osmo_fd_setup(&j->efd, fd, OSMO_FD_READ, reload_done_cb, j, 0);
	if (osmo_fd_register(&j->efd) < 0) {
		close(fd);
		j->efd.fd = -1;
		snprintf(msg, cap, "cannot start a reload: cannot register its eventfd");
		job_free(j);
		return -EIO;
	}
	*out = j;
	return 0;
}

static int job_start(struct gw *g, bool force, bool from_stats, char *msg, size_t cap)
{
	struct txgw_cfg *f = NULL;
	struct reload_job *j = NULL;
	int rc = g->cfg_file ? reread_file(g, &f, msg, cap) : 0;

	if (rc == 0)
		rc = job_new(g, f ? f : g->cfg, &j, msg, cap);
	if (rc < 0) {
		talloc_free(f);
		return rc;
	}
	j->f = talloc_steal(j, f);
	j->force = force;
	j->from_stats = from_stats;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	rc = -pthread_create(&j->tid, NULL, reload_main, j);
	if (rc < 0) {
		snprintf(msg, cap, "cannot start a reload thread: %s", strerror(-rc));
		job_free(j);
		return rc;
	}
	g->reload = j;
	LOGP(DREG, LOGL_NOTICE, "registry %s: loading%s\n", j->path, force ? " (forced)" : "");
	return 0;
}

int gw_reload_start(struct gw *g, bool force, bool from_stats, char *msg, size_t cap)
{
	int rc;

	if (g->reload && from_stats && g->reload->answered && !g->reload_queued) {
		/* the one under way was answered and only frees now (step 4,
		 * milliseconds): an operator who reloads twice in a row must
		 * not be told "in progress" */
		g->reload_queued = true;
		g->reload_queued_force = force;
		LOGP(DREG, LOGL_INFO, "registry reload asked for as the last one ends: it runs next\n");
		return 0;
	}
	if (g->reload) {
		if (!from_stats)
			g->reload_again = true;
		snprintf(msg, cap, "reload in progress");
		LOGP(DREG, LOGL_NOTICE, "registry reload asked for during one: %s\n",
		     from_stats ? "refused" : "it runs again once this one ends");
		return -EBUSY;
	}
	rc = job_start(g, force, from_stats, msg, cap);
	if (rc < 0) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_REGISTRY_RELOAD_ERRORS));
		LOGP(DREG, LOGL_ERROR, "registry reload refused, the old one stays: %s\n", msg);
	}
	return rc;
}

void gw_reload_close(struct gw *g)
{
	struct reload_job *j = g->reload;

	if (!j)
		return;
	/* a load cannot be cut short (it ends in seconds); released, the
	 * thread frees what it loaded as soon as it has */
	release(j);
	pthread_join(j->tid, NULL);
	g->reload = NULL;
	job_free(j);
}
