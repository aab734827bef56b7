/*
 * esme_pdu.c — the ESME's receiving side (esme.h): the two-state reader
 * (command_length checked before anything is allocated), the dispatch of
 * each PDU by a table, the deliver_sm/data_sm handed to the gateway and
 * answered once esme_ack() says so, and the answers to bad PDUs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "smpp/esme.h"
#include "smpp/esme_int.h"
#include "smpp/smpp_pdu.h"
#include "smpp/smpp_receipt.h"

/* ---- received messages -------------------------------------------------- */

/* Answer the message behind a (still attached) ack and detach it. */
static void ack_answer(struct esme_ack *a, uint32_t status)
{
	struct esme_conn *c = a->conn;
	uint32_t resp = a->resp_id, seq = a->seq;

	esme_ack_detach(a);
	if (status != ESME_ROK)
		esme_ctr_inc(c->es, TXGW_CTR_SMPP_TEMP_ERRORS);
	esme_conn_send_resp(c, resp, seq, status);
	esme_conn_update_when(c);
}

static void ack_timer_cb(void *data)
{
	struct esme_ack *a = data;
	struct esme *es = a->conn->es;

	LOGES_RL(es, &es->rl.ack_late, LOGL_NOTICE, "%s seq %u not taken within %u ms: answering %s",
		 smpp_command_name(a->resp_id & ~0x80000000u), a->seq, ESME_ACK_DEADLINE_MS,
		 smpp_status_name(ESME_RX_T_APPN));
	ack_answer(a, ESME_RX_T_APPN);
}

void esme_ack(struct esme_ack *a, int status)
{
	if (a->conn)
		ack_answer(a, status < 0 ? ESME_RX_T_APPN : ESME_ROK);
	talloc_free(a);
}

/*
 * Fill *in from a deliver_sm (§4.6.1) or data_sm (§4.7.1).  The user data
 * is message_payload when present, else short_message (§5.3.2.32).  The
 * SAR parameters (§5.3.2.22-24) travel together: one or two of them is
 * ESME_RMISSINGOPTPARAM, a segment number outside 1..total
 * ESME_RINVOPTPARAMVAL.  Returns ESME_ROK or the status to answer with.
 */
static uint32_t message_fill(const struct esme *es, const struct smpp_pdu *p, struct sms_in *in)
{
	uint32_t ref, total, seq, port;
	int n_sar = 0;

	memset(in, 0, sizeof(*in));
	in->bind = es->bind_id;
	in->src = p->source_addr;
	in->dst = p->destination_addr;
	in->esm_class = p->esm_class;
	in->data_coding = p->data_coding;
	in->dc1_gsm7 = es->cfg.data_coding_1 == ESME_DC1_GSM7;
	smpp_pdu_user_data(p, &in->sm, &in->sm_len);

	n_sar += smpp_tlv_uint(p, SMPP_TLV_SAR_MSG_REF_NUM, &ref) == 0;
	n_sar += smpp_tlv_uint(p, SMPP_TLV_SAR_TOTAL_SEGMENTS, &total) == 0;
	n_sar += smpp_tlv_uint(p, SMPP_TLV_SAR_SEGMENT_SEQNUM, &seq) == 0;
	if (n_sar == 3) {
		if (total < 1 || seq < 1 || seq > total)
			return ESME_RINVOPTPARAMVAL;
		in->has_sar = true;
		in->sar_ref = ref;
		in->sar_total = total;
		in->sar_seq = seq;
	} else if (n_sar) {
		return ESME_RMISSINGOPTPARAM;
	}
	if (smpp_tlv_uint(p, SMPP_TLV_DESTINATION_PORT, &port) == 0) {
		in->has_port = true;
		in->port = port;
	}
	return ESME_ROK;
}

/* Hold a received message until the gateway answers it (esme_ack), at
 * most ESME_ACK_DEADLINE_MS.  NULL when out of memory. */
static struct esme_ack *ack_hold(struct esme_conn *c, uint32_t resp, uint32_t seq)
{
	struct esme_ack *a = talloc_zero(c->es->ack_ctx, struct esme_ack);

	if (!a)
		return NULL;
	a->conn = c;
	a->resp_id = resp;
	a->seq = seq;
	osmo_timer_setup(&a->timer, ack_timer_cb, a);
	llist_add_tail(&a->list, &c->acks);
	c->n_acks++;
	osmo_timer_schedule(&a->timer, ESME_ACK_DEADLINE_MS / 1000,
			    (ESME_ACK_DEADLINE_MS % 1000) * 1000);
	return a;
}

/*
 * An SMSC delivery receipt for the downlink (doc/downlink.md): journaled
 * by the gateway before its answer, like a message.  One that names no
 * message cannot be matched: answered ESME_ROK (the SMSC must not send it
 * again), logged and counted.
 */
static int h_receipt(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	uint32_t resp = smpp_resp_id(p->command_id), seq = p->sequence_number;
	struct smpp_receipt r;
	struct esme_ack *a;
	int rc;

	esme_ctr_inc(es, TXGW_CTR_SMPP_RECEIPTS);
	rc = smpp_receipt_parse(p, &r);
	if (rc < 0) {
		esme_ctr_inc(es, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED);
		LOGP_RL(&es->rl_receipt, DSMPP, LOGL_NOTICE, "ESME(%s): receipt seq %u names no "
			"message (%s): dropped", es->cfg.name, seq,
			rc == -ENOENT ? "no receipted_message_id, no id:" :
			"id too long or not printable ASCII");
		esme_conn_send_resp(c, resp, seq, ESME_ROK);
		return 0;
	}
	a = ack_hold(c, resp, seq);
	if (!a || es->ops->receipt(es->data, &r, a) != 0) {
		if (a) {
			ack_answer(a, ESME_RX_T_APPN);
			talloc_free(a);
		} else {
			esme_ctr_inc(es, TXGW_CTR_SMPP_TEMP_ERRORS);
			esme_conn_send_resp(c, resp, seq, ESME_RX_T_APPN);
		}
	}
	esme_conn_update_when(c);
	return 0;
}

/* deliver_sm (§4.6.1) and data_sm (§4.7.1): hand the message over. */
static int h_message(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	uint32_t resp = smpp_resp_id(p->command_id), seq = p->sequence_number, st;
	struct esme_ack *a;
	struct sms_in in;

	esme_ctr_inc(es, p->command_id == SMPP_DELIVER_SM ? TXGW_CTR_SMPP_DELIVER_SM :
		TXGW_CTR_SMPP_DATA_SM);
	if (es->fi->state == ESME_ST_UNBINDING) {
		/* we are going away: the SMSC keeps it and retries */
		esme_ctr_inc(es, TXGW_CTR_SMPP_TEMP_ERRORS);
		esme_conn_send_resp(c, resp, seq, ESME_RX_T_APPN);
		return 0;
	}
	if (smpp_is_receipt(p->esm_class) && es->ops->receipt)
		return h_receipt(c, p);
	/*
	 * §5.2.12: esm_class bits 5..2 are the message type; anything but
	 * the default (0) is an SMSC delivery receipt, an SME acknowledgement
	 * or an intermediate notification, not a mobile-originated message.
	 */
	if (p->esm_class & 0x3c) {
		esme_ctr_inc(es, TXGW_CTR_SMPP_RECEIPTS);
		LOGES_RL(es, &es->rl.receipt, LOGL_INFO, "receipt (esm_class 0x%02x) seq %u ignored",
			 p->esm_class, seq);
		esme_conn_send_resp(c, resp, seq, ESME_ROK);
		return 0;
	}
	st = message_fill(es, p, &in);
	if (st != ESME_ROK) {
		LOGES_RL(es, &es->rl.bad_msg, LOGL_NOTICE, "bad %s seq %u: %s",
			 smpp_command_name(p->command_id), seq, smpp_status_name(st));
		esme_conn_send_error(c, p->command_id, seq, st);
		return 0;
	}
	a = ack_hold(c, resp, seq);
	if (!a) {
		esme_ctr_inc(es, TXGW_CTR_SMPP_TEMP_ERRORS);
		esme_conn_send_resp(c, resp, seq, ESME_RX_T_APPN);
		return 0;
	}
	if (es->ops->sms(es->data, &in, a) != 0) {
		ack_answer(a, ESME_RX_T_APPN);
		talloc_free(a);
	}
	esme_conn_update_when(c);
	return 0;
}

/* ---- the other PDUs ---------------------------------------------------- */

/* bind_receiver_resp / _transmitter_resp / _transceiver_resp (§4.1.2-6) */
static int h_bind_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;

	if (!esme_conn_req_take(c, p)) {
		LOGES_RL(es, &es->rl.unexpected, LOGL_NOTICE, "unexpected %s seq %u ignored",
			 smpp_command_name(p->command_id), p->sequence_number);
		return 0;
	}
	if (p->command_status != ESME_ROK)
		return esme_conn_fail(c, ESME_EV_BIND_FAIL, "bind refused: %s (0x%02x)",
				      smpp_status_name(p->command_status) ? : "?",
				      p->command_status);
	osmo_fsm_inst_dispatch(es->fi, ESME_EV_BIND_OK, (void *)p);
	return 0;
}

/* enquire_link (§4.11.1): answer at once. */
static int h_enquire_link(struct esme_conn *c, const struct smpp_pdu *p)
{
	esme_conn_send_resp(c, SMPP_ENQUIRE_LINK_RESP, p->sequence_number, ESME_ROK);
	return 0;
}

/* enquire_link_resp (§4.11.2), submit_sm_resp (§4.4.2) */
static int h_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	if (!esme_conn_req_take(c, p))
		LOGES_RL(c->es, &c->es->rl.unexpected, LOGL_NOTICE, "unexpected %s seq %u ignored",
			 smpp_command_name(p->command_id), p->sequence_number);
	return 0;
}

/* unbind from the SMSC (§4.2.1): answer, close, reconnect after back-off. */
static int h_unbind(struct esme_conn *c, const struct smpp_pdu *p)
{
	esme_conn_send_resp(c, SMPP_UNBIND_RESP, p->sequence_number, ESME_ROK);
	return esme_conn_fail(c, ESME_EV_PEER_CLOSED, "the SMSC unbound");
}

/* unbind_resp (§4.2.2) to the unbind of esme_stop() */
static int h_unbind_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	if (!esme_conn_req_take(c, p))
		return 0;
	return esme_conn_fail(c, ESME_EV_UNBIND_DONE, "unbound");
}

/* generic_nack (§4.3): the SMSC could not take one of our PDUs. */
static int h_generic_nack(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	bool ours = esme_conn_req_take(c, p);

	LOGES_RL(es, &es->rl.nack_rx, LOGL_NOTICE, "generic_nack seq %u: %s", p->sequence_number,
		 smpp_status_name(p->command_status) ? : "?");
	if (ours && es->fi->state == ESME_ST_BINDING)
		return esme_conn_fail(c, ESME_EV_BIND_FAIL, "bind answered with generic_nack %s",
				      smpp_status_name(p->command_status) ? : "?");
	if (ours && es->fi->state == ESME_ST_UNBINDING)
		return esme_conn_fail(c, ESME_EV_UNBIND_DONE, "unbind answered with generic_nack");
	return 0;
}

/* alert_notification (§4.12), outbind (§4.1.7): nothing to do once connected. */
static int h_ignore(struct esme_conn *c, const struct smpp_pdu *p)
{
	LOGES_RL(c->es, &c->es->rl.ignored, LOGL_INFO, "%s ignored", smpp_command_name(p->command_id));
	return 0;
}

#define S_CONN (S(ESME_ST_BINDING) | S(ESME_ST_BOUND) | S(ESME_ST_UNBINDING))

/*
 * What the ESME takes in which state.  A request outside its states is
 * answered ESME_RINVBNDSTS; a request not listed (submit_sm and the other
 * SMSC-bound commands) gets generic_nack ESME_RINVCMDID; a response not
 * listed or out of place is logged and ignored (a response is never
 * answered).
 */
static const struct pdu_handler {
	uint32_t cmd;
	uint32_t states;
	int (*fn)(struct esme_conn *c, const struct smpp_pdu *p);
} pdu_handlers[] = {
	{ SMPP_BIND_RECEIVER_RESP, S(ESME_ST_BINDING), h_bind_resp },
	{ SMPP_BIND_TRANSCEIVER_RESP, S(ESME_ST_BINDING), h_bind_resp },
	{ SMPP_BIND_TRANSMITTER_RESP, S(ESME_ST_BINDING), h_bind_resp },
	{ SMPP_SUBMIT_SM_RESP, S(ESME_ST_BOUND) | S(ESME_ST_UNBINDING), h_resp },
	{ SMPP_DELIVER_SM, S(ESME_ST_BOUND) | S(ESME_ST_UNBINDING), h_message },
	{ SMPP_DATA_SM, S(ESME_ST_BOUND) | S(ESME_ST_UNBINDING), h_message },
	{ SMPP_ENQUIRE_LINK, S_CONN, h_enquire_link },
	{ SMPP_ENQUIRE_LINK_RESP, S_CONN, h_resp },
	{ SMPP_UNBIND, S_CONN, h_unbind },
	{ SMPP_UNBIND_RESP, S(ESME_ST_UNBINDING), h_unbind_resp },
	{ SMPP_GENERIC_NACK, S_CONN, h_generic_nack },
	{ SMPP_ALERT_NOTIFICATION, S_CONN, h_ignore },
	{ SMPP_OUTBIND, S_CONN, h_ignore },
};

static bool is_response(uint32_t id)
{
	return id & 0x80000000u;
}

/*
 * A PDU the codec refused (smpp_pdu_unpack's status): answer a request
 * with its response, anything else with generic_nack; never answer a
 * generic_nack (two peers could nack each other for ever).  A refused
 * answer to our bind fails the bind.
 */
static int conn_bad_pdu(struct esme_conn *c, const struct smpp_pdu *p, uint32_t st)
{
	struct esme *es = c->es;
	const char *name = smpp_command_name(p->command_id);

	LOGES_RL(es, &es->rl.bad_pdu, LOGL_NOTICE, "bad PDU %s (0x%08x) seq %u, %u octets: %s (%s)",
		 name ? : "?", p->command_id, p->sequence_number, p->command_length,
		 smpp_status_name(st) ? : "?", smpp_status_desc(st) ? : "?");
	if (p->command_id == SMPP_GENERIC_NACK)
		return 0;
	esme_conn_send_error(c, p->command_id, p->sequence_number, st);
	if (es->fi->state == ESME_ST_BINDING && is_response(p->command_id) &&
	    esme_conn_req_take(c, p))
		return esme_conn_fail(c, ESME_EV_BIND_FAIL, "unreadable %s", name);
	return 0;
}

/* One whole PDU in c->pdu. */
static int conn_pdu(struct esme_conn *c)
{
	struct esme *es = c->es;
	struct smpp_pdu *p = &c->rx;
	uint32_t st;

	es->rx_pdus++;
	esme_ctr_inc(es, TXGW_CTR_SMPP_PDUS_RX);
	if (smpp_pdu_unpack(p, c->pdu, c->pdu_len, &st) < 0)
		return conn_bad_pdu(c, p, st);
	LOGES(es, LOGL_DEBUG, "rx %s seq %u status 0x%02x\n", smpp_command_name(p->command_id),
	      p->sequence_number, p->command_status);
	for (size_t i = 0; i < ARRAY_SIZE(pdu_handlers); i++) {
		const struct pdu_handler *h = &pdu_handlers[i];

		if (h->cmd != p->command_id)
			continue;
		if (h->states & S(es->fi->state))
			return h->fn(c, p);
		if (is_response(p->command_id)) {
			LOGES_RL(es, &es->rl.unexpected, LOGL_NOTICE, "%s while %s ignored",
				 smpp_command_name(p->command_id), osmo_fsm_inst_state_name(es->fi));
			return 0;
		}
		esme_conn_send_error(c, p->command_id, p->sequence_number, ESME_RINVBNDSTS);
		return 0;
	}
	if (is_response(p->command_id)) {
		LOGES_RL(es, &es->rl.unexpected, LOGL_NOTICE, "unexpected %s ignored",
			 smpp_command_name(p->command_id));
		return 0;
	}
	LOGES_RL(es, &es->rl.not_served, LOGL_NOTICE, "%s seq %u not served by an ESME",
		 smpp_command_name(p->command_id), p->sequence_number);
	esme_conn_send_resp(c, SMPP_GENERIC_NACK, p->sequence_number, ESME_RINVCMDID);
	esme_ctr_inc(es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
	return 0;
}

/*
 * State 1 done: the command_length is known.  Check it before allocating
 * (§3.2, HACKING.md, Style 2).  A length under 16 or over the maximum cannot be
 * resynchronised (we cannot tell where the next PDU starts, and reading
 * up to 4 GiB to skip it is no option): answer generic_nack
 * ESME_RINVCMDLEN (sequence_number unread, so 0) and drop the connection;
 * the reconnect starts a clean stream.
 */
static int conn_frame(struct esme_conn *c)
{
	struct esme *es = c->es;
	uint32_t max = es->fi->state == ESME_ST_BOUND || es->fi->state == ESME_ST_UNBINDING ?
		       ESME_PDU_MAX : ESME_PDU_MAX_UNBOUND;
	uint32_t len;
	int rc = smpp_frame_len(c->hdr, max, &len);

	if (rc < 0) {
		uint32_t bad = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
			       (uint32_t)c->hdr[2] << 8 | c->hdr[3];

		es->rx_pdus++;
		esme_ctr_inc(es, TXGW_CTR_SMPP_PDUS_RX);
		esme_conn_send_resp(c, SMPP_GENERIC_NACK, 0, ESME_RINVCMDLEN);
		esme_ctr_inc(es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
		return esme_conn_fail(c, ESME_EV_CONN_ERROR,
				      "bad PDU: command_length %u outside %u..%u", bad,
				      SMPP_HDR_LEN, max);
	}
	c->pdu = talloc_size(c, len);
	if (!c->pdu)
		return esme_conn_fail(c, ESME_EV_CONN_ERROR, "out of memory for a PDU of %u octets",
				      len);
	memcpy(c->pdu, c->hdr, 4);
	c->pdu_len = len;
	c->pdu_got = 4;
	return 0;
}

/*
 * The two-state reader: read the 4-octet command_length, then exactly the
 * rest of the PDU into a buffer of its size.  Stops when the socket is
 * drained, after ESME_READ_BUDGET PDUs, or when back-pressure stops reading.
 */
int esme_conn_read(struct esme_conn *c)
{
	unsigned n = 0;
	int rc = 0;

	while (n < ESME_READ_BUDGET && esme_conn_reading(c)) {
		uint8_t *dst = c->pdu ? c->pdu + c->pdu_got : c->hdr + c->hdr_got;
		size_t want = c->pdu ? c->pdu_len - c->pdu_got : 4 - c->hdr_got;
		ssize_t got = read(c->ofd.fd, dst, want);

		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (got < 0)
			return esme_conn_fail(c, ESME_EV_CONN_ERROR, "read: %s", strerror(errno));
		if (got == 0)
			return esme_conn_fail(c, ESME_EV_PEER_CLOSED,
					      "the SMSC closed the connection");
		if (!c->pdu) {
			c->hdr_got += got;
			if (c->hdr_got == 4 && (rc = conn_frame(c)) < 0)
				return rc;
			continue;
		}
		c->pdu_got += got;
		if (c->pdu_got < c->pdu_len)
			continue;
		rc = conn_pdu(c);
		TALLOC_FREE(c->pdu);
		c->hdr_got = 0;
		n++;
		if (rc < 0)
			return rc;
	}
	return 0;
}

