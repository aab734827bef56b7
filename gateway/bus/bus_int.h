/*
 * bus_int.h — what the bus's source files share (bus.c: sockets and
 * publishing; bus_replay.c: the replay jobs; bus_zap.c: CURVE, the ZAP
 * handler and the handshake monitors).  Not for use outside gateway/bus/.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/log_ratelimit.h"

#define BUS_LOG_EVERY_MS	10000	/* per-peer complaints: one line this often */

/* A message logged at most once per BUS_LOG_EVERY_MS, with the count of
 * the ones it stood for. */
struct bus_ratelog {
	int64_t last_ms;
	unsigned held;		/* occurrences since the last line */
};

struct bus_zap;

struct bus {
	void *zctx;
	void *pub;
	void *router;
	struct osmo_fd pub_ofd;
	struct osmo_fd rtr_ofd;
	struct osmo_timer_list timer;	/* replay work left, or a retry */
	const struct bus_replay_ops *ops;
	void *data;
	struct llist_head jobs;		/* struct bus_job, in arrival order */
	unsigned n_jobs;
	unsigned stall_ms;
	unsigned backoff_ms;		/* the retry timer's next delay */
	struct bus_stats st;
	struct bus_zap *zap;		/* NULL without CURVE */
	struct bus_ratelog busy_log, stall_log;
	/* a failing journal read, which a client can ask for again and again */
	struct log_ratelimit rl_read_fail;
};

/* bus.c */
int64_t bus_now_ms(void);
/* True when a line may be logged now; *held is how many occurrences it
 * stands for (this one included). */
bool bus_ratelog(struct bus_ratelog *r, unsigned *held);

/* bus_replay.c: the ROUTER socket's wake-up and timer; freeing the jobs */
int bus_router_fd_cb(struct osmo_fd *ofd, unsigned int what);
void bus_router_timer_cb(void *data);
void bus_jobs_free(struct bus *b);

/* bus_zap.c: bind the ZAP handler (before any CURVE socket binds: without
 * a handler, libzmq lets every CURVE client in), watch a socket's
 * handshakes, and close it all (after the sockets). */
int bus_zap_open(struct bus *b, struct bus_keyset *clients);
int bus_zap_watch(struct bus *b, void *sock, const char *what);
void bus_zap_close(struct bus *b);
