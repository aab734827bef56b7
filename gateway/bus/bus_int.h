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

/* Complaints a peer can cause at will (refusals, busy, stalls): one line
 * this often (LOGP_RL), with the count of those held back. */
#define BUS_LOG_EVERY_MS	10000

struct bus_zap;

struct bus {
	void *zctx;
	bool curve;			/* curve_secret holds the server's key */
	uint8_t curve_secret[32];	/* for sockets opened later (bus_sock_secure()) */
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
	struct log_ratelimit busy_log, stall_log;	/* BUS_LOG_EVERY_MS */
	/* a failing journal read, which a client can ask for again and again */
	struct log_ratelimit rl_read_fail;
};

/* bus.c */
int64_t bus_now_ms(void);

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
