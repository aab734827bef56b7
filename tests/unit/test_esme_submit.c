/*
 * test_esme_submit — submit_sm through the ESME (esme.h) against the fake
 * SMSC of esme_fixture.h, and delivery receipts: the PDU's fields as sent,
 * the answer's status and message_id handed back once, the window and
 * tx_ready, no answer in time (-ETIMEDOUT), the bind lost (-ECONNRESET,
 * from the loop), generic_nack, a receiver bind (-ENOTCONN), a transmitter
 * bind; the user_message_reference TLV; receipts by TLV and by Appendix B
 * text handed to ops->receipt (with their user_message_reference and
 * source_addr) and answered after esme_ack(), and one naming no message
 * answered at once.
 *
 * ESME_TEST_LOG=1 shows the esme's log.
 */
#include "tests/unit/esme_fixture.h"

#include "smpp/smpp_receipt.h"

#define MAX_RES 16

struct sub {
	unsigned n;
	struct {
		int err;
		uint32_t status;
		char message_id[65];
	} r[MAX_RES];
	unsigned tx_ready;
	unsigned n_receipts;
	struct smpp_receipt receipt;
	struct esme_ack *receipt_ack;
	bool in_call;			/* a callback from inside esme_submit() is a bug */
};

static struct sub sub;

static void on_result(void *data, const struct esme_submit_result *r)
{
	struct sub *s = data;

	assert_false(s->in_call);
	assert_true(s->n < MAX_RES);
	s->r[s->n].err = r->err;
	s->r[s->n].status = r->status;
	OSMO_STRLCPY_ARRAY(s->r[s->n].message_id, r->message_id);
	s->n++;
}

static int on_receipt(void *data, const struct smpp_receipt *r, struct esme_ack *ack)
{
	struct fx *fx = data;

	(void)fx;
	sub.receipt = *r;
	sub.receipt_ack = ack;
	sub.n_receipts++;
	return 0;
}

static void on_tx_ready(void *data, struct esme *es)
{
	sub.tx_ready++;
}

static const struct esme_ops ops = { .sms = gw_sms, .receipt = on_receipt, .tx_ready = on_tx_ready };

static void start(struct fx *fx)
{
	memset(&sub, 0, sizeof(sub));
	assert_int_equal(esme_start(fx->ctx, &fx->cfg, 7, &ops, fx, fx->ctrs, &fx->es), 0);
	WAIT(is_bound(fx), 2000);
}

static const uint8_t ud[] = { 0x06, 0x05, 0x04, 0x3f, 0xe2, 0x3f, 0xe2, 0xde, 0xad };

static const struct esme_submit req = {
	.source_addr = "16354", .source_addr_ton = 0, .source_addr_npi = 1,
	.destination_addr = "886912345678", .dest_addr_ton = 1, .dest_addr_npi = 1,
	.esm_class = 0x40, .registered_delivery = 1, .data_coding = 4,
	.sm = ud, .sm_len = sizeof(ud),
};

static int submit(struct fx *fx)
{
	sub.in_call = true;
	int rc = esme_submit(fx->es, &req, on_result, &sub);
	sub.in_call = false;
	return rc;
}

/* The fields as sent; ESME_ROK and the message_id handed back once. */
static void test_submit_ok(void **state_)
{
	struct fx *fx = *state_;
	int i;

	start(fx);
	assert_true(sub.tx_ready >= 1);	/* bound */
	assert_true(esme_can_submit(fx->es));
	assert_int_equal(submit(fx), 0);
	WAIT(sub.n == 1, 1000);
	i = smsc_find(&fx->smsc, 0, SMPP_SUBMIT_SM, 0);
	assert_true(i >= 0);
	const struct rx_pdu *r = &fx->smsc.rx[i];
	assert_string_equal(r->source_addr, "16354");
	assert_int_equal(r->source_addr_ton, 0);
	assert_int_equal(r->source_addr_npi, 1);
	assert_string_equal(r->destination_addr, "886912345678");
	assert_int_equal(r->dest_addr_ton, 1);
	assert_int_equal(r->dest_addr_npi, 1);
	assert_int_equal(r->esm_class, 0x40);
	assert_int_equal(r->registered_delivery, 1);
	assert_int_equal(r->data_coding, 4);
	assert_int_equal(r->sm_len, sizeof(ud));
	assert_memory_equal(r->sm, ud, sizeof(ud));
	assert_int_equal(sub.r[0].err, 0);
	assert_int_equal(sub.r[0].status, ESME_ROK);
	char want[16];
	snprintf(want, sizeof(want), "m%u", r->seq);
	assert_string_equal(sub.r[0].message_id, want);
	assert_int_equal(r->umr, -1);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_SUBMIT_SM), 1);
	run_for(50);
	assert_int_equal(sub.n, 1);
	/* with a user_message_reference: the TLV, 2 octets (§5.3.2.17) */
	struct esme_submit q = req;
	q.has_umr = true;
	q.umr = 0xa503;
	assert_int_equal(esme_submit(fx->es, &q, on_result, &sub), 0);
	WAIT(sub.n == 2, 1000);
	i = smsc_find(&fx->smsc, (unsigned)i + 1, SMPP_SUBMIT_SM, 0);
	assert_true(i >= 0);
	assert_int_equal(fx->smsc.rx[i].umr, 0xa503);
}

/* An error status (body omitted), and a generic_nack, are the status. */
static void test_submit_refused(void **state_)
{
	struct fx *fx = *state_;

	start(fx);
	fx->smsc.submit_status = ESME_RTHROTTLED;
	assert_int_equal(submit(fx), 0);
	WAIT(sub.n == 1, 1000);
	assert_int_equal(sub.r[0].err, 0);
	assert_int_equal(sub.r[0].status, ESME_RTHROTTLED);
	assert_string_equal(sub.r[0].message_id, "");
	fx->smsc.mute_submit = true;
	assert_int_equal(submit(fx), 0);
	int i;
	WAIT((i = smsc_find(&fx->smsc, 0, SMPP_SUBMIT_SM, 0)) >= 0 &&
	     smsc_find(&fx->smsc, (unsigned)i + 1, SMPP_SUBMIT_SM, 0) >= 0, 1000);
	i = smsc_find(&fx->smsc, (unsigned)i + 1, SMPP_SUBMIT_SM, 0);
	smsc_resp(&fx->smsc, SMPP_GENERIC_NACK, fx->smsc.rx[i].seq, ESME_RINVDSTADR);
	WAIT(sub.n == 2, 1000);
	assert_int_equal(sub.r[1].status, ESME_RINVDSTADR);
}

/* window 4: four unanswered, the fifth -ENOSPC; an answer frees a place
 * and says so with tx_ready. */
static void test_window(void **state_)
{
	struct fx *fx = *state_;

	fx->smsc.mute_submit = true;
	start(fx);
	for (int k = 0; k < 4; k++)
		assert_int_equal(submit(fx), 0);
	assert_false(esme_can_submit(fx->es));
	assert_int_equal(submit(fx), -ENOSPC);
	WAIT(smsc_count(&fx->smsc, SMPP_SUBMIT_SM) == 4, 1000);
	unsigned ready = sub.tx_ready;
	int i = smsc_find(&fx->smsc, 0, SMPP_SUBMIT_SM, 0);
	smsc_resp(&fx->smsc, SMPP_SUBMIT_SM_RESP, fx->smsc.rx[i].seq, ESME_ROK);
	WAIT(sub.n == 1, 1000);
	assert_int_equal(sub.tx_ready, ready + 1);
	assert_true(esme_can_submit(fx->es));
}

/* No answer within response-timeout: -ETIMEDOUT, once; the late answer is
 * ignored. */
static void test_timeout(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.response_timeout = 1;
	fx->smsc.mute_submit = true;
	start(fx);
	double t0 = now_s();
	assert_int_equal(submit(fx), 0);
	WAIT(sub.n == 1, 3000);
	assert_true(now_s() - t0 >= 0.9);
	assert_int_equal(sub.r[0].err, -ETIMEDOUT);
	int i = smsc_find(&fx->smsc, 0, SMPP_SUBMIT_SM, 0);
	smsc_resp(&fx->smsc, SMPP_SUBMIT_SM_RESP, fx->smsc.rx[i].seq, ESME_ROK);
	run_for(100);
	assert_int_equal(sub.n, 1);
	assert_true(is_bound(fx));
}

/* The bind goes with submit_sm unanswered: each hears -ECONNRESET once,
 * from the loop. */
static void test_bind_lost(void **state_)
{
	struct fx *fx = *state_;

	fx->smsc.mute_submit = true;
	start(fx);
	assert_int_equal(submit(fx), 0);
	assert_int_equal(submit(fx), 0);
	WAIT(smsc_count(&fx->smsc, SMPP_SUBMIT_SM) == 2, 1000);
	smsc_close(&fx->smsc);
	WAIT(sub.n == 2, 2000);
	assert_int_equal(sub.r[0].err, -ECONNRESET);
	assert_int_equal(sub.r[1].err, -ECONNRESET);
	assert_int_equal(submit(fx), -ENOTCONN);
	/* bound again: tx_ready again */
	unsigned ready = sub.tx_ready;
	WAIT(is_bound(fx), 3000);
	assert_int_equal(sub.tx_ready, ready + 1);
}

/* A receiver cannot submit; a transmitter binds as one and can. */
static void test_modes(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.bind_mode = ESME_BIND_RECEIVER;
	start(fx);
	assert_false(esme_transmits(fx->es));
	assert_false(esme_can_submit(fx->es));
	assert_int_equal(submit(fx), -ENOTCONN);
	assert_int_equal(sub.tx_ready, 0);
	esme_stop(fx->es, gw_done, fx);
	WAIT(fx->done, 3000);
	talloc_free(fx->es);
	fx->done = false;
	fx->cfg.bind_mode = ESME_BIND_TRANSMITTER;
	start(fx);
	assert_true(smsc_find(&fx->smsc, 0, SMPP_BIND_TRANSMITTER, 0) >= 0);
	assert_int_equal(submit(fx), 0);
	WAIT(sub.n == 1, 1000);
	assert_int_equal(sub.r[0].status, ESME_ROK);
}

/* Freed with a submit_sm in flight: no callback, nothing leaks. */
static void test_free_in_flight(void **state_)
{
	struct fx *fx = *state_;

	fx->smsc.mute_submit = true;
	start(fx);
	assert_int_equal(submit(fx), 0);
	talloc_free(fx->es);
	fx->es = NULL;
	run_for(50);
	assert_int_equal(sub.n, 0);
}

static void mk_receipt(struct smpp_pdu *p, uint32_t seq, const char *text)
{
	mk_deliver(p, seq, text);
	p->esm_class = 0x04;
}

/* receipted_message_id and message_state TLVs. */
static void test_receipt_tlv(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;

	start(fx);
	mk_receipt(&p, 501, "");
	p.sm_length = 0;
	p.short_message = NULL;
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "m42", 4), 0);
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_MESSAGE_STATE, SMPP_MS_DELIVERED, 1), 0);
	smsc_send(&fx->smsc, &p);
	WAIT(sub.n_receipts == 1, 1000);
	assert_string_equal(sub.receipt.message_id, "m42");
	assert_int_equal(sub.receipt.state, SMPP_MS_DELIVERED);
	/* answered only after the gateway's ack */
	run_for(50);
	assert_true(smsc_find(&fx->smsc, 0, SMPP_DELIVER_SM_RESP, 501) < 0);
	esme_ack(sub.receipt_ack, 0);
	assert_int_equal(resp_status(fx, SMPP_DELIVER_SM_RESP, 501, 1000), ESME_ROK);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECEIPTS), 1);
}

/* Appendix B text; then one that names no message is answered at once. */
static void test_receipt_text(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;

	start(fx);
	mk_receipt(&p, 502, "id:0a1b2c sub:001 dlvrd:000 submit date:2611252200 done date:"
		   "2611252201 stat:UNDELIV err:001 text:id:zz stat:DELIVRD");
	smsc_send(&fx->smsc, &p);
	WAIT(sub.n_receipts == 1, 1000);
	assert_string_equal(sub.receipt.message_id, "0a1b2c");
	assert_int_equal(sub.receipt.state, SMPP_MS_UNDELIVERABLE);
	assert_string_equal(sub.receipt.err, "001");
	esme_ack(sub.receipt_ack, -EIO);
	assert_int_equal(resp_status(fx, SMPP_DELIVER_SM_RESP, 502, 1000), ESME_RX_T_APPN);
	mk_receipt(&p, 503, "sub:001 dlvrd:001 stat:DELIVRD");
	smsc_send(&fx->smsc, &p);
	assert_int_equal(resp_status(fx, SMPP_DELIVER_SM_RESP, 503, 1000), ESME_ROK);
	assert_int_equal(sub.n_receipts, 1);
	assert_int_equal(ctr(fx, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED), 1);
}

static void set_text(struct smpp_pdu *p, const char *t)
{
	p->short_message = (const uint8_t *)t;
	p->sm_length = (uint8_t)strlen(t);
}

/* The parser alone: TLVs win over the text, names and errors. */
static void test_receipt_parse(void **state_)
{
	struct smpp_pdu p;
	struct smpp_receipt r;
	const char *t = "ID:77 STAT:delivrd ERR:000";

	smpp_pdu_init(&p, SMPP_DELIVER_SM, 1);
	p.esm_class = 0x04;
	p.short_message = (const uint8_t *)t;
	p.sm_length = (uint8_t)strlen(t);
	assert_true(smpp_is_receipt(p.esm_class));
	assert_false(smpp_is_receipt(0x08));
	assert_false(smpp_is_receipt(0x40));
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_string_equal(r.message_id, "77");
	assert_int_equal(r.state, SMPP_MS_DELIVERED);
	assert_string_equal(r.err, "000");
	assert_false(r.has_umr);
	/* OsmoMSC's: the original's user_message_reference, from the handset */
	OSMO_STRLCPY_ARRAY(p.source_addr, "886912345678");
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_USER_MESSAGE_REFERENCE, 0x2a01, 2), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_true(r.has_umr);
	assert_int_equal(r.umr, 0x2a01);
	assert_string_equal(r.from, "886912345678");
	p.n_tlv = 0;
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "X9", 3), 0);
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_MESSAGE_STATE, SMPP_MS_REJECTED, 1), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_string_equal(r.message_id, "X9");
	assert_int_equal(r.state, SMPP_MS_REJECTED);
	assert_string_equal(smpp_msg_state_name(r.state), "REJECTD");
	/* no err: field, a network_error_code TLV */
	t = "id:5 stat:EXPIRED";
	p.short_message = (const uint8_t *)t;
	p.sm_length = (uint8_t)strlen(t);
	p.n_tlv = 0;
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_NETWORK_ERROR_CODE, 0x030007, 3), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_int_equal(r.state, SMPP_MS_EXPIRED);
	assert_string_equal(r.err, "007");
	/* its 2-octet code whole, not its last three digits */
	p.n_tlv = 0;
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_NETWORK_ERROR_CODE, 0x0304d2, 3), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_string_equal(r.err, "1234");
	p.n_tlv = 0;
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_NETWORK_ERROR_CODE, 0x01ffff, 3), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_string_equal(r.err, "65535");
	/* a state word we do not know; an id too long */
	t = "id:5 stat:WHATEVER";
	p.short_message = (const uint8_t *)t;
	p.sm_length = (uint8_t)strlen(t);
	p.n_tlv = 0;
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_int_equal(r.state, SMPP_MS_UNKNOWN_VALUE);
	assert_string_equal(r.err, "");
	char longid[80] = "id:";
	memset(longid + 3, '7', 70);
	p.short_message = (const uint8_t *)longid;
	p.sm_length = (uint8_t)strlen(longid);
	assert_int_equal(smpp_receipt_parse(&p, &r), -EINVAL);
	/* "id:" only inside another word does not count */
	t = "xid:5 stat:DELIVRD";
	p.short_message = (const uint8_t *)t;
	p.sm_length = (uint8_t)strlen(t);
	assert_int_equal(smpp_receipt_parse(&p, &r), -ENOENT);
	/* bytes outside printable ASCII, which would go into the logs: an
	 * id is refused, an err: word and a source_addr are not taken */
	set_text(&p, "id:5\r\nforged stat:DELIVRD");
	assert_int_equal(smpp_receipt_parse(&p, &r), -EINVAL);
	set_text(&p, "id:5\xff stat:DELIVRD");
	assert_int_equal(smpp_receipt_parse(&p, &r), -EINVAL);
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_RECEIPTED_MESSAGE_ID, "m\n42", 5), 0);
	assert_int_equal(smpp_receipt_parse(&p, &r), -EINVAL);
	p.n_tlv = 0;
	set_text(&p, "id:5 stat:UNDELIV err:0\x1b[2J");
	OSMO_STRLCPY_ARRAY(p.source_addr, "8869\n1");
	assert_int_equal(smpp_receipt_parse(&p, &r), 0);
	assert_string_equal(r.message_id, "5");
	assert_string_equal(r.err, "");
	assert_string_equal(r.from, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_parse),
		cmocka_unit_test_setup_teardown(test_submit_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_tlv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_text, setup, teardown),
	};
	return esme_run_tests("test_esme_submit", tests, ARRAY_SIZE(tests));
}
