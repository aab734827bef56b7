/*
 * gw.h — the running gateway: registry, engine, bus, SMPP binds, stats
 * socket and their wiring.  Owned by main() (txgw.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/timer.h>

#include "gateway/lib/log_ratelimit.h"

struct txgw_cfg;
struct registry;
struct engine;
struct bus;
struct esme;
struct stats_sock;
struct smtp_srv;
struct extract_result;
struct rate_ctr_group;

struct gw {
	void *ctx;
	struct txgw_cfg *cfg;
	const char *cfg_file;		/* txgw -c, absolute; read again on a reload */
	struct rate_ctr_group *ctrs;
	struct registry *reg;
	struct engine *engine;
	struct bus *bus;
	struct stats_sock *stats;
	struct smtp_srv *smtp;
	struct extract_result *mail_scratch;	/* frames of the mail being looked at */
	struct log_ratelimit rl_mail_refused;	/* refused mail: a line a second */
	unsigned n_esmes;
	struct esme **esmes;
	unsigned esmes_up;		/* binds not yet stopped (shutdown) */
	struct osmo_timer_list tick;
	struct osmo_timer_list stop_timeout;
	bool stopping, stopped;
	int exit_code;			/* of the process once stopped */
	uint64_t bus_requests_seen;
};

/* Load the registry, open the journal and bus, start the binds and the
 * stats socket.  Returns 0, or a negative errno after logging why. */
int gw_start(struct gw *g);
/* Load the registry again; keep the old one unless the new one is clean.
 * Returns the keys loaded, or a negative errno with the reason in msg. */
long gw_reload_registry(struct gw *g, char *msg, size_t cap);
/* Unbind, finish what is in flight, sync; g->stopped becomes true. */
void gw_stop(struct gw *g);
/* The wall clock in Unix milliseconds: the "rx" of what arrives now. */
int64_t gw_now_ms(void);

/* gw_mail.c: the SMTP service, when the configuration has smtp-listen */
int gw_mail_start(struct gw *g);
void gw_mail_stop(struct gw *g);

/* After the loop ended: close the journal and free everything. */
void gw_close(struct gw *g);
