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
struct bus_send;
struct dl_sms;
struct dl_mail;
struct reload_job;

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
	struct bus_send *send;		/* downlink requests (gw_downlink.c) */
	struct dl_sms *dl_sms;		/* the downlink's SMS bearer */
	struct dl_mail *dl_mail;	/* ... its mail bearer, with a relay */
	struct extract_result *mail_scratch;	/* frames of the mail being looked at */
	struct log_ratelimit rl_mail_refused;	/* refused mail: a line a second */
	struct log_ratelimit rl_receipt;	/* receipts with no downlink to match */
	unsigned n_esmes;
	struct esme **esmes;
	unsigned esmes_up;		/* binds not yet stopped (shutdown) */
	struct osmo_timer_list tick;
	struct osmo_timer_list stop_timeout;
	bool stopping, stopped;
	int exit_code;			/* of the process once stopped */
	uint64_t bus_requests_seen;
	uint64_t bus_refused_seen;
	struct reload_job *reload;	/* the registry reload under way (gw_reload.c) */
	bool reload_again;		/* a SIGHUP came meanwhile */
	/* a stats request that came once the reload under way was answered,
	 * while its thread still frees: it runs once that one ends */
	bool reload_queued, reload_queued_force;
};

/* Load the registry, open the journal and bus, start the binds and the
 * stats socket.  Returns 0, or a negative errno after logging why. */
int gw_start(struct gw *g);
/* gw_reload.c: the registry at start-up (an empty one is an error), and
 * reloads (registry.md, section 5).  gw_load_registry() returns 0, or a
 * negative errno after logging why. */
int gw_load_registry(struct gw *g);
/* Start a reload: read the configuration file again, then load the
 * registry (and the bus's curve-clients file, with CURVE) on a thread; the
 * new registry replaces the old only if it loaded cleanly and, unless
 * force, is not empty and lacks at most half of the keys in force; the new
 * client keys replace the old if their file has no error.  Returns 0 when
 * started (from_stats: the answer goes to stats_reload_done() at the end),
 * or a negative errno with the reason in msg: -EBUSY "reload in progress"
 * (a SIGHUP's, !from_stats, then runs again after it), or the
 * configuration file's error. */
int gw_reload_start(struct gw *g, bool force, bool from_stats, char *msg, size_t cap);
/* Wait for a reload under way and drop it (at exit). */
void gw_reload_close(struct gw *g);
/* Read the bus key files of cfg (curve-secret-key, curve-clients), as
 * start-up will: 0, or a negative errno with "FILE[:LINE]: reason" in err. */
int gw_check_bus_keys(void *ctx, const struct txgw_cfg *cfg, char *err, size_t cap);
/* Unbind, finish what is in flight, sync; g->stopped becomes true. */
void gw_stop(struct gw *g);
/* The wall clock in Unix milliseconds: the "rx" of what arrives now. */
int64_t gw_now_ms(void);

/* gw_mail.c: the SMTP service, when the configuration has smtp-listen */
int gw_mail_start(struct gw *g);
void gw_mail_stop(struct gw *g);

/* After the loop ended: close the journal and free everything. */
void gw_close(struct gw *g);
