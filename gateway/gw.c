/*
 * gw.c — starting and stopping the gateway's parts, and the glue between
 * them: SMPP binds hand messages to the engine, the engine's answers go
 * back to the binds, the stats socket reads everyone.  The registry, at
 * start-up and on a reload: gw_reload.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "gateway/bus/bus.h"
#include "gateway/bus/bus_msg.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/outbox.h"
#include "gateway/gw.h"
#include "gateway/gw_downlink.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/json.h"
#include "gateway/lib/keyfile.h"
#include "gateway/lib/logging.h"
#include "gateway/stats.h"
#include "gateway/txgw_cfg.h"
#include "gateway/txlog/registry.h"
#include "smpp/esme.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define GW_TICK_MS		1000
#define GW_STOP_TIMEOUT_S	5

int64_t gw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the bus keys (bus.md "Who may connect") ------------------------------ */

/* Both key files of cfg, reasons with file and line in err. */
static int read_bus_keys(void *ctx, const struct txgw_cfg *cfg, uint8_t secret[KEY_LEN],
			 struct bus_keyset **clients, char *err, size_t cap)
{
	int rc = keyfile_read_secret(cfg->bus_curve_secret, secret, err, cap);

	if (rc < 0)
		return rc;
	return bus_keyset_load(ctx, cfg->bus_curve_clients, clients, err, cap);
}

int gw_check_bus_keys(void *ctx, const struct txgw_cfg *cfg, char *err, size_t cap)
{
	struct bus_keyset *ks = NULL;
	uint8_t secret[KEY_LEN];
	int rc;

	if (!cfg->bus_curve_secret)
		return 0;
	rc = read_bus_keys(ctx, cfg, secret, &ks, err, cap);
	memset(secret, 0, sizeof(secret));
	talloc_free(ks);
	return rc;
}

/* The bus's keys for bus_open(): none without curve-secret-key. */
static int load_bus_keys(struct gw *g, struct bus_cfg *bc, uint8_t secret[KEY_LEN])
{
	char err[256];
	int rc;

	if (!g->cfg->bus_curve_secret)
		return 0;
	rc = read_bus_keys(g->ctx, g->cfg, secret, &bc->clients, err, sizeof(err));
	if (rc < 0) {
		LOGP(DBUS, LOGL_ERROR, "bus keys refused: %s\n", err);
		return rc;
	}
	LOGP(DBUS, LOGL_NOTICE, "CURVE on the bus; curve-clients %s: %zu keys\n",
	     g->cfg->bus_curve_clients, bus_keyset_count(bc->clients));
	bc->curve_secret = secret;
	return 0;
}

/* ---- SMPP binds to the engine ------------------------------------------------ */

static void on_engine_ack(void *data, int status)
{
	esme_ack(data, status);
}

static int on_sms(void *data, const struct sms_in *in, struct esme_ack *ack)
{
	struct gw *g = data;
	if (g->stopping)
		return -EAGAIN;
	return engine_sms(g->engine, in, gw_now_ms(), on_engine_ack, ack);
}

static const struct esme_ops esme_ops = {
	.sms = on_sms,
	.receipt = gw_downlink_receipt,
	.tx_ready = gw_downlink_tx_ready,
};

static int start_esmes(struct gw *g)
{
	struct esme_cfg *ec;
	unsigned n = 0;

	llist_for_each_entry(ec, &g->cfg->esmes, list)
		n++;
	g->esmes = talloc_zero_array(g->ctx, struct esme *, n ? n : 1);
	if (!g->esmes) {
		LOGP(DSMPP, LOGL_ERROR, "out of memory for %u binds\n", n);
		return -ENOMEM;
	}
	llist_for_each_entry(ec, &g->cfg->esmes, list) {
		int rc = esme_start(g->ctx, ec, g->n_esmes, &esme_ops, g, g->ctrs,
				    &g->esmes[g->n_esmes]);
		if (rc < 0)
			return rc;
		g->n_esmes++;
	}
	return 0;
}

/* ---- the stats socket's view ------------------------------------------------- */

static void stats_info(void *data, struct jw *w)
{
	struct gw *g = data;
	struct engine_info ei;
	engine_get_info(g->engine, &ei);
	jw_kuint(w, "journal_seq", ei.last_seq);
	jw_kuint(w, "journal_oldest", ei.oldest_seq);
	jw_kuint(w, "journal_synced", ei.synced_seq);
	jw_kuint(w, "devices", ei.devices);
	jw_kuint(w, "registry_keys", registry_count(g->reg));
	jw_kuint(w, "concat_partial", ei.partial);
	jw_kbool(w, "journal_ok", ei.failed == 0);
	jw_kstr(w, "journal_state", ei.state);
	jw_kstr(w, "journal_error", ei.failed ? strerror(-ei.failed) : "");
	jw_kuint(w, "journal_down_s", ei.down_s);
}

static void stats_binds(void *data, struct jw *w)
{
	struct gw *g = data;
	char since[BUS_TIME_S_LEN + 1];

	for (unsigned i = 0; i < g->n_esmes; i++) {
		struct esme_status st;
		esme_get_status(g->esmes[i], &st);
		bus_fmt_time_s(since, st.since);
		jw_obj_open(w);
		jw_kstr(w, "name", st.name);
		jw_kstr(w, "state", st.state);
		jw_kstr(w, "remote", st.remote);
		jw_kuint(w, "window_used", st.window_used);
		jw_kuint(w, "rx_pdus", st.rx_pdus);
		jw_kuint(w, "tx_pdus", st.tx_pdus);
		jw_kstr(w, "since", since);
		jw_obj_close(w);
	}
}

/* The answer comes when the reload ends: gw_reload.c calls
 * stats_reload_done(). */
static long stats_reload(void *data, bool force, char *msg, size_t cap)
{
	int rc = gw_reload_start(data, force, true, msg, cap);

	return rc < 0 ? rc : -EINPROGRESS;
}

/* stats.md: the gauge downlink.pending */
static unsigned stats_gauges(void *data, struct stats_gauge *g, unsigned max)
{
	struct gw *gw = data;
	struct outbox_info oi;

	if (max < 1)
		return 0;
	outbox_get_info(engine_outbox(gw->engine), &oi);
	g[0] = (struct stats_gauge){ "downlink.pending",
				     "downlink messages queued, not yet submitted nor failed", oi.pending };
	return 1;
}

static const struct stats_ops stats_ops = {
	.info = stats_info,
	.binds = stats_binds,
	.reload = stats_reload,
	.gauges = stats_gauges,
};

/* ---- start and stop ------------------------------------------------------------ */

/* The bus keeps its own statistics; the counter group shows them. */
static void sync_bus_counters(struct gw *g)
{
	struct bus_stats bs;
	bus_get_stats(g->bus, &bs);
	if (bs.requests > g->bus_requests_seen)
		rate_ctr_add(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_BUS_REPLAY_REQUESTS),
			     (int)(bs.requests - g->bus_requests_seen));
	g->bus_requests_seen = bs.requests;
	if (bs.refused > g->bus_refused_seen)
		rate_ctr_add(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_BUS_REFUSED),
			     (int)(bs.refused - g->bus_refused_seen));
	g->bus_refused_seen = bs.refused;
}

static void tick_cb(void *data)
{
	struct gw *g = data;

	/* a journal that cannot take input is the engine's to handle: it
	 * answers temporary errors and resumes by itself (engine.h); the binds
	 * and the SMTP service stay up meanwhile */
	engine_tick(g->engine);
	sync_bus_counters(g);
	osmo_timer_schedule(&g->tick, GW_TICK_MS / 1000, (GW_TICK_MS % 1000) * 1000);
}

static int open_engine(struct gw *g)
{
	struct engine_cfg ec = {
		.gw_name = g->cfg->name,
		.state_dir = g->cfg->state_dir,
		.txlog_port = g->cfg->txlog_port,
		.skew_s = g->cfg->clock_skew,
		.concat_timeout_s = g->cfg->concat_timeout,
		.concat_max_partial = g->cfg->concat_max_partial,
		.concat_max_per_sender = g->cfg->concat_max_per_sender,
		.journal_keep = g->cfg->journal_keep,
		.threads = g->cfg->verify_threads,
	};
	/* engine_open() logs why it failed */
	int rc = engine_open(g->ctx, &ec, g->reg, g->ctrs, &g->engine);
	if (rc < 0)
		return rc;
	if (engine_async_sync(g->engine) < 0)
		LOGP(DJOURNAL, LOGL_NOTICE, "no background sync thread: syncs block the loop\n");
	struct bus_cfg bc = { .publish = g->cfg->bus_publish, .replay = g->cfg->bus_replay };
	uint8_t secret[KEY_LEN];
	rc = load_bus_keys(g, &bc, secret);
	/* bus_open() logs the endpoint that would not bind, and why */
	if (rc == 0)
		rc = bus_open(g->ctx, &bc, &engine_replay_ops, g->engine, &g->bus);
	memset(secret, 0, sizeof(secret));	/* libzmq has its own copy now */
	if (rc < 0)
		return rc;
	engine_set_bus(g->engine, g->bus);
	return 0;
}

int gw_start(struct gw *g)
{
	int rc;

	g->ctrs = rate_ctr_group_alloc(g->ctx, &txgw_ctrg_desc, 0);
	if (!g->ctrs)
		return -ENOMEM;
	rc = gw_load_registry(g);
	if (rc < 0)
		return rc;
	rc = open_engine(g);
	if (rc < 0)
		return rc;
	if (g->cfg->stats_socket) {
		rc = stats_sock_open(g->ctx, g->cfg->stats_socket, g->cfg->name, PACKAGE_VERSION,
				     g->ctrs, &stats_ops, g, &g->stats);
		if (rc < 0)
			return rc;
	}
	osmo_timer_setup(&g->tick, tick_cb, g);
	osmo_timer_schedule(&g->tick, 1, 0);
	rc = gw_mail_start(g);
	if (rc < 0)
		return rc;
	rc = start_esmes(g);
	if (rc < 0)
		return rc;
	return gw_downlink_start(g);
}

static void stopped(struct gw *g)
{
	osmo_timer_del(&g->stop_timeout);
	engine_settle(g->engine);
	g->stopped = true;
}

static void esme_stopped(void *data)
{
	struct gw *g = data;
	if (g->esmes_up && --g->esmes_up == 0)
		stopped(g);
}

static void stop_timeout_cb(void *data)
{
	struct gw *g = data;
	LOGP(DMAIN, LOGL_NOTICE, "binds did not all unbind within %d s; stopping anyway\n",
	     GW_STOP_TIMEOUT_S);
	stopped(g);
}

void gw_stop(struct gw *g)
{
	if (g->stopping)
		return;
	g->stopping = true;
	osmo_timer_del(&g->tick);
	gw_downlink_pause(g);
	/* the SMTP service stays until the engine has settled, so that a mail
	 * waiting for its journal sync still gets its 250; new mails get 451
	 * meanwhile (gw_mail.c) */
	osmo_timer_setup(&g->stop_timeout, stop_timeout_cb, g);
	osmo_timer_schedule(&g->stop_timeout, GW_STOP_TIMEOUT_S, 0);
	g->esmes_up = g->n_esmes;
	if (!g->n_esmes) {
		stopped(g);
		return;
	}
	for (unsigned i = 0; i < g->n_esmes; i++)
		esme_stop(g->esmes[i], esme_stopped, g);
}

void gw_close(struct gw *g)
{
	gw_reload_close(g);
	gw_mail_stop(g);
	if (g->stats)
		stats_sock_close(g->stats);
	if (g->engine)
		engine_set_bus(g->engine, NULL);
	gw_downlink_stop(g);
	if (g->bus)
		bus_close(g->bus);
	engine_close(g->engine);
	registry_free(g->reg);
	if (g->ctrs)
		rate_ctr_group_free(g->ctrs);
}
