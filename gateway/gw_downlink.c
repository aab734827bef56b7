/*
 * gw_downlink.c — the downlink wired into the gateway (gw_downlink.h): SEND
 * requests from the send socket to the engine's outbox and its answers
 * back, delivery receipts from the binds to the outbox (answered once
 * journaled), the binds' tx_ready to the SMS bearer; the mail bearer
 * (gw_dl_mail.c) with a relay.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/bus/bus_send.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/outbox.h"
#include "gateway/gw.h"
#include "gateway/gw_dl_mail.h"
#include "gateway/gw_downlink.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"
#include "smpp/esme.h"
#include "smpp/smpp_receipt.h"

/* ---- requests ------------------------------------------------------------------ */

struct answer_to {
	struct gw *g;
	struct bus_send_peer peer;
};

static void on_answer(void *data, const char *verb, const char *id, const char *detail)
{
	struct answer_to *a = data;

	/* after gw_downlink_stop() the socket is gone: the client asks again */
	if (a->g->send)
		bus_send_answer(a->g->send, &a->peer, verb, id, detail);
	talloc_free(a);
}

static void on_request(void *data, const struct bus_send_peer *peer, const char *json, size_t len)
{
	struct gw *g = data;
	struct answer_to *a = talloc_zero(g->ctx, struct answer_to);

	if (!a) {
		bus_send_answer(g->send, peer, "ERROR", "", "unavailable");
		return;
	}
	a->g = g;
	a->peer = *peer;
	outbox_request(engine_outbox(g->engine), json, len, on_answer, a);
}

static const struct bus_send_ops send_ops = { .request = on_request };

/* ---- receipts -------------------------------------------------------------------- */

/* An answer the ESME must not get from inside its receipt callback. */
struct late_ack {
	struct osmo_timer_list t;
	struct esme_ack *ack;
};

static void late_ack_cb(void *data)
{
	struct late_ack *l = data;

	esme_ack(l->ack, 0);
	talloc_free(l);
}

static int ack_later(struct gw *g, struct esme_ack *ack)
{
	struct late_ack *l = talloc_zero(g->ctx, struct late_ack);

	if (!l)
		return -ENOMEM;
	l->ack = ack;
	osmo_timer_setup(&l->t, late_ack_cb, l);
	osmo_timer_schedule(&l->t, 0, 0);
	return 0;
}

static void on_receipt_journaled(void *data, int status)
{
	esme_ack(data, status);
}

static enum ob_receipt_kind kind_of(enum smpp_msg_state st)
{
	switch (st) {
	case SMPP_MS_DELIVERED:
		return OB_RCPT_DELIVERED;
	case SMPP_MS_UNDELIVERABLE:
	case SMPP_MS_REJECTED:
	case SMPP_MS_EXPIRED:
	case SMPP_MS_DELETED:
		return OB_RCPT_FAILED;
	default:
		return OB_RCPT_OTHER;
	}
}

int gw_downlink_receipt(void *data, const struct smpp_receipt *r, struct esme_ack *ack)
{
	struct gw *g = data;
	struct ob_receipt or = { .message_id = r->message_id, .kind = kind_of(r->state),
				 .stat = smpp_msg_state_name(r->state), .err = r->err,
				 .has_umr = r->has_umr, .umr = r->umr, .from = r->from };
	int rc;

	if (g->stopping)
		return -EAGAIN;
	if (!g->dl_sms) {
		/* no downlink node: nothing was submitted, so nothing can match
		 * (downlink.md: counted and logged); ESME_ROK, so that the SMSC
		 * does not send it again */
		rate_ctr_inc(rate_ctr_group_get_ctr(g->ctrs, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED));
		LOGP_RL(&g->rl_receipt, DSMPP, LOGL_INFO,
			"receipt (esm_class 0x04) for message id %s ignored: no downlink node",
			r->message_id);
		return ack_later(g, ack);
	}
	rc = outbox_receipt(engine_outbox(g->engine), &or, on_receipt_journaled, ack);
	if (rc == 1)
		return ack_later(g, ack);
	return rc;
}

void gw_downlink_tx_ready(void *data, struct esme *es)
{
	struct gw *g = data;

	if (g->dl_sms)
		gw_dl_sms_kick(g->dl_sms);
}

/* ---- start and stop -------------------------------------------------------------- */

int gw_downlink_start(struct gw *g)
{
	const struct txgw_downlink_cfg *c = &g->cfg->downlink;
	struct outbox *ob = engine_outbox(g->engine);
	struct outbox_cfg oc = { .max_age_s = c->max_age };
	int rc;

	if (!c->enabled) {
		LOGP(DSMS, LOGL_INFO, "no downlink node: no downlink\n");
		return 0;
	}
	outbox_configure(ob, &oc);
	rc = gw_dl_sms_start(g, ob, &g->dl_sms);
	if (rc < 0)
		return rc;
	/* without a relay no mail bearer: SEND for mail answers no_bearer */
	if (c->relay && (rc = gw_dl_mail_start(g, ob, &g->dl_mail)) < 0)
		return rc;
	/* bus_send_open() logs the endpoint that would not bind, and why */
	return bus_send_open(g->ctx, g->bus, g->cfg->bus_send, &send_ops, g, &g->send);
}

void gw_downlink_pause(struct gw *g)
{
	if (g->send)
		bus_send_pause(g->send, true);
}

void gw_downlink_stop(struct gw *g)
{
	gw_dl_sms_stop(g->dl_sms);
	gw_dl_mail_stop(g->dl_mail);
	bus_send_close(g->send);
	g->send = NULL;
}
