/*
 * esme_submit.c — submit_sm (SMPP 3.4 §4.4) for the downlink: sent on a
 * bound transceiver or transmitter within the window, its answer (or its
 * absence) handed to the caller's callback exactly once; see esme.h.
 *
 * A submit_sm's request (struct esme_req) lives under the esme: when its
 * connection goes, esme_submit_conn_gone() moves it to es->lost and a zero
 * timer tells the callback -ECONNRESET from the event loop, so that no
 * callback runs inside the connection's teardown (the gateway may submit
 * again from it, on this or another bind).
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "gateway/lib/counters.h"
#include "smpp/esme.h"
#include "smpp/esme_int.h"
#include "smpp/smpp_pdu.h"

bool esme_bind_transmits(enum esme_bind_mode m)
{
	return m == ESME_BIND_TRANSCEIVER || m == ESME_BIND_TRANSMITTER;
}

bool esme_transmits(const struct esme *es)
{
	return esme_bind_transmits(es->cfg.bind_mode);
}

const char *esme_name(const struct esme *es)
{
	return es->cfg.name;
}

bool esme_can_submit(const struct esme *es)
{
	unsigned window = es->cfg.window ? es->cfg.window : 1;

	return es->fi->state == ESME_ST_BOUND && esme_transmits(es) && es->conn &&
	       es->conn->n_reqs < window;
}

static void notify(struct esme_req *r, int err, uint32_t status, const char *message_id)
{
	struct esme_submit_result res = { .err = err, .status = status,
					  .message_id = message_id ? message_id : "" };

	r->cb(r->cb_data, &res);
}

/* A place in the window freed: say so (after the callback). */
static void tx_ready(struct esme *es)
{
	if (es->ops->tx_ready && esme_can_submit(es))
		es->ops->tx_ready(es->data, es);
}

void esme_req_answered(struct esme_conn *c, struct esme_req *r, const struct smpp_pdu *resp)
{
	struct esme *es = c->es;
	bool submit = r->cb != NULL;

	llist_del(&r->list);
	c->n_reqs--;
	osmo_timer_del(&r->timer);
	if (submit) {
		LOGES(es, resp->command_status ? LOGL_INFO : LOGL_DEBUG,
		      "submit_sm seq %u: %s, message_id '%s'\n", r->seq,
		      smpp_status_name(resp->command_status) ? : "?", resp->message_id);
		notify(r, 0, resp->command_status,
		       resp->command_status == ESME_ROK ? resp->message_id : NULL);
	}
	talloc_free(r);
	if (submit)
		tx_ready(es);
}

/* No answer within response-timeout: the place in the window is freed (a
 * late answer is logged as unexpected and ignored). */
static void req_timeout_cb(void *data)
{
	struct esme_req *r = data;
	struct esme_conn *c = r->c;
	struct esme *es = r->es;

	LOGES(es, LOGL_NOTICE, "submit_sm seq %u: no answer within %u s\n", r->seq,
	      es->cfg.response_timeout ? es->cfg.response_timeout : ESME_RESPONSE_TIMEOUT_S);
	llist_del(&r->list);
	c->n_reqs--;
	notify(r, -ETIMEDOUT, 0, NULL);
	talloc_free(r);
	tx_ready(es);
}

void esme_submit_conn_gone(struct esme_conn *c)
{
	struct esme *es = c->es;
	struct esme_req *r, *r2;

	llist_for_each_entry_safe(r, r2, &c->reqs, list) {
		llist_del(&r->list);
		c->n_reqs--;
		if (!r->cb) {
			talloc_free(r);
			continue;
		}
		osmo_timer_del(&r->timer);
		r->c = NULL;
		llist_add_tail(&r->list, &es->lost);
		osmo_timer_schedule(&es->lost_timer, 0, 0);
	}
}

void esme_lost_timer_cb(void *data)
{
	struct esme *es = data;
	struct esme_req *r;

	while (!llist_empty(&es->lost)) {
		r = llist_first_entry(&es->lost, struct esme_req, list);
		llist_del(&r->list);
		notify(r, -ECONNRESET, 0, NULL);
		talloc_free(r);
	}
}

void esme_submit_drop_lost(struct esme *es)
{
	struct esme_req *r, *r2;

	osmo_timer_del(&es->lost_timer);
	llist_for_each_entry_safe(r, r2, &es->lost, list) {
		llist_del(&r->list);
		talloc_free(r);
	}
}

/* The submit_sm of §4.4.1 from what the gateway sets. */
static int fill(struct smpp_pdu *p, const struct esme_submit *q)
{
	smpp_pdu_init(p, SMPP_SUBMIT_SM, 0);
	if (!q->source_addr || !q->destination_addr || strlen(q->source_addr) > 20 ||
	    strlen(q->destination_addr) > 20 || q->sm_len > SMPP_SM_MAX || (q->sm_len && !q->sm))
		return -EINVAL;
	p->source_addr_ton = q->source_addr_ton;
	p->source_addr_npi = q->source_addr_npi;
	OSMO_STRLCPY_ARRAY(p->source_addr, q->source_addr);
	p->dest_addr_ton = q->dest_addr_ton;
	p->dest_addr_npi = q->dest_addr_npi;
	OSMO_STRLCPY_ARRAY(p->destination_addr, q->destination_addr);
	p->esm_class = q->esm_class;
	p->registered_delivery = q->registered_delivery;
	p->data_coding = q->data_coding;
	p->sm_length = (uint8_t)q->sm_len;
	p->short_message = q->sm_len ? q->sm : NULL;
	if (q->has_umr)
		return smpp_tlv_add_uint(p, SMPP_TLV_USER_MESSAGE_REFERENCE, q->umr, 2);
	return 0;
}

int esme_submit(struct esme *es, const struct esme_submit *req, esme_submit_cb cb, void *data)
{
	struct esme_conn *c = es->conn;
	struct esme_req *r = NULL;
	unsigned to = es->cfg.response_timeout ? es->cfg.response_timeout : ESME_RESPONSE_TIMEOUT_S;
	int rc;

	if (es->fi->state != ESME_ST_BOUND || !esme_transmits(es) || !c)
		return -ENOTCONN;
	rc = fill(&c->tx, req);
	if (rc < 0)
		return rc;
	rc = esme_conn_request(c, &c->tx, &r);
	if (rc < 0)
		return rc;
	r->cb = cb;
	r->cb_data = data;
	osmo_timer_setup(&r->timer, req_timeout_cb, r);
	osmo_timer_schedule(&r->timer, to, 0);
	esme_ctr_inc(es, TXGW_CTR_SMPP_SUBMIT_SM);
	return 0;
}
