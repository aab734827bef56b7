/*
 * test_esme_deliver — messages through the SMPP ESME client from a fake
 * SMSC on a real 127.0.0.1 socket, both in one osmo_select loop
 * (esme_fixture.h): deliver_sm and data_sm handed over and acked, the ack
 * deadline, a drop while a message waits, back-pressure, one PDU in 100
 * writes, hostile PDUs and command_lengths in raw octets; and once against
 * tests/tools/smsc_peer.py, an SMSC written in Python from the spec, apart
 * from our codec.  The link itself is in test_esme.  Waits are bounded
 * conditions (WAIT), never bare sleeps; the ack deadline needs real seconds.
 *
 * TXGW_TEST_SEED=<n> replays the random split of the 100-write test;
 * ESME_TEST_LOG=1 shows the esme's log.
 */
#include "tests/unit/esme_fixture.h"
#include "tests/unit/cmocka_main.h"

/* OsmoMSC's habits: data_coding 1 with septets under "data-coding-1 gsm7", TLV 0x0204. */
static void test_deliver_short_message(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;

	fx->cfg.data_coding_1 = ESME_DC1_GSM7;
	fx_bound(fx);
	mk_deliver(&p, 10, "hello");
	p.data_coding = 1;
	assert_int_equal(smpp_tlv_add_uint(&p, SMPP_TLV_USER_MESSAGE_REFERENCE, 0x1234, 2), 0);
	g = deliver(fx, &p);
	assert_string_equal(g->src, "4915112345678");
	assert_string_equal(g->dst, "12345");
	assert_int_equal(g->in.esm_class, 0x01);
	assert_int_equal(g->in.data_coding, 1);
	assert_true(g->in.dc1_gsm7);
	assert_int_equal(g->in.bind, 7);
	assert_false(g->in.has_sar);
	assert_false(g->in.has_port);
	assert_int_equal(g->sm_len, 5);
	assert_memory_equal(g->sm, "hello", 5);
	/* not answered before the ack */
	run_for(50);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_DELIVER_SM_RESP), 0);
	struct esme_status st;
	esme_get_status(fx->es, &st);
	assert_int_equal(st.window_used, 1);
	assert_int_equal(ack_and_resp(fx, g, 0, SMPP_DELIVER_SM_RESP, 10), ESME_ROK);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_DELIVER_SM), 1);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_TEMP_ERRORS), 0);
}

/* message_payload of 1500 octets; a failed ack is ESME_RX_T_APPN. */
static void test_deliver_payload(void **state_)
{
	struct fx *fx = *state_;
	uint8_t payload[1500];
	struct smpp_pdu p;
	struct got *g;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7;
	fx_bound(fx);
	mk_deliver(&p, 11, "");
	p.data_coding = 4;
	assert_int_equal(smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, payload, sizeof(payload)), 0);
	g = deliver(fx, &p);
	assert_int_equal(g->in.data_coding, 4);
	assert_false(g->in.dc1_gsm7);
	assert_int_equal(g->sm_len, sizeof(payload));
	assert_memory_equal(g->sm, payload, sizeof(payload));
	assert_int_equal(ack_and_resp(fx, g, -EIO, SMPP_DELIVER_SM_RESP, 11), ESME_RX_T_APPN);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_TEMP_ERRORS), 1);
}

/* SAR TLVs and destination_port; UDH with esm_class 0x40; a half SAR set refused. */
static void test_deliver_sar_udh(void **state_)
{
	static const uint8_t udh_sm[] = { 0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 'a', 'b' };
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;

	fx_bound(fx);
	mk_deliver(&p, 20, "part");
	p.esm_class = 0x00;
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, 0xbeef, 2);
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, 3, 1);
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, 2, 1);
	smpp_tlv_add_uint(&p, SMPP_TLV_DESTINATION_PORT, 16354, 2);
	g = deliver(fx, &p);
	assert_true(g->in.has_sar);
	assert_int_equal(g->in.sar_ref, 0xbeef);
	assert_int_equal(g->in.sar_total, 3);
	assert_int_equal(g->in.sar_seq, 2);
	assert_true(g->in.has_port);
	assert_int_equal(g->in.port, 16354);
	assert_int_equal(ack_and_resp(fx, g, 0, SMPP_DELIVER_SM_RESP, 20), ESME_ROK);

	mk_deliver(&p, 21, "");
	p.esm_class = 0x40;
	p.sm_length = sizeof(udh_sm);
	p.short_message = udh_sm;
	g = deliver(fx, &p);
	assert_int_equal(g->in.esm_class, 0x40);
	assert_int_equal(g->sm_len, sizeof(udh_sm));
	assert_memory_equal(g->sm, udh_sm, sizeof(udh_sm));
	assert_int_equal(ack_and_resp(fx, g, 0, SMPP_DELIVER_SM_RESP, 21), ESME_ROK);

	/* §5.3.2.22-24 travel together: a lone sar_msg_ref_num is refused */
	mk_deliver(&p, 22, "x");
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, 1, 2);
	assert_int_equal(send_for_status(fx, &p), ESME_RMISSINGOPTPARAM);
	/* segment 4 of 3 */
	mk_deliver(&p, 23, "x");
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, 1, 2);
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, 3, 1);
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, 4, 1);
	assert_int_equal(send_for_status(fx, &p), ESME_RINVOPTPARAMVAL);
	assert_int_equal(fx->n_got, 2);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_ERROR_RESP_TX), 2);
}

/* data_sm (§4.7.1) with message_payload; a receipt; a refusal at once. */
static void test_data_sm_receipt_refuse(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;

	fx_bound(fx);
	smpp_pdu_init(&p, SMPP_DATA_SM, 30);
	strcpy(p.source_addr, "491700000000000000000000000000001");	/* > 21: data_sm allows 64 */
	strcpy(p.destination_addr, "999");
	p.data_coding = 8;
	smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, "\x00h\x00i", 4);
	g = deliver(fx, &p);
	assert_string_equal(g->src, "491700000000000000000000000000001");
	assert_int_equal(g->in.data_coding, 8);
	assert_int_equal(g->sm_len, 4);
	assert_memory_equal(g->sm, "\x00h\x00i", 4);
	assert_int_equal(ack_and_resp(fx, g, 0, SMPP_DATA_SM_RESP, 30), ESME_ROK);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_DATA_SM), 1);

	/* a delivery receipt (esm_class 0x04): answered at once, not handed over */
	mk_deliver(&p, 31, "id:1 sub:001 dlvrd:001 stat:DELIVRD");
	p.esm_class = 0x04;
	assert_int_equal(send_for_status(fx, &p), ESME_ROK);
	assert_int_equal(fx->n_got, 1);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECEIPTS), 1);

	/* the gateway refuses at once: ESME_RX_T_APPN */
	fx->refuse = true;
	mk_deliver(&p, 32, "x");
	assert_int_equal(send_for_status(fx, &p), ESME_RX_T_APPN);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_TEMP_ERRORS), 1);
}

/* The connection drops while a message waits: the late ack sends nothing. */
static void test_ack_after_drop(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;

	fx_bound(fx);
	mk_deliver(&p, 40, "late");
	g = deliver(fx, &p);
	smsc_close(&fx->smsc);
	WAIT(!is_bound(fx), 1000);
	WAIT(is_bound(fx) && fx->smsc.accepts == 2, 3000);
	esme_ack(g->ack, 0);
	g->ack = NULL;
	run_for(100);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_DELIVER_SM_RESP), 0);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 1);
}

/* Past ESME_ACK_DEADLINE_MS the ESME answers 0x64 itself; the late ack sends nothing. */
static void test_ack_deadline(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;
	double t0;

	fx_bound(fx);
	mk_deliver(&p, 50, "slow");
	g = deliver(fx, &p);
	t0 = now_s();
	assert_int_equal(resp_status(fx, SMPP_DELIVER_SM_RESP, 50, ESME_ACK_DEADLINE_MS + 1000),
			 ESME_RX_T_APPN);
	assert_true(now_s() - t0 > ESME_ACK_DEADLINE_MS / 1000.0 - 0.2);
	esme_ack(g->ack, 0);
	g->ack = NULL;
	run_for(100);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_DELIVER_SM_RESP), 1);
}

struct bad_case {
	const char *what;
	uint32_t id;
	const char *body;
	size_t body_len;
	uint32_t resp_id;
	uint32_t status;
};

#define BODY(s) s, sizeof(s) - 1
/* deliver_sm body parts (§4.6.1) */
#define DLV_HEAD "CMT\0" "\x01\x01" "4912345\0" "\x01\x01" "4967890\0"
#define DLV_TAIL "\x00\x00\x00" "\0" "\0" "\x00\x00\x00\x00" "\x02" "hi"

static const struct bad_case bad_cases[] = {
	{ "unknown command_id", 0x00000099, BODY(""), SMPP_GENERIC_NACK, ESME_RINVCMDID },
	{ "submit_sm is not for an ESME", SMPP_SUBMIT_SM,
	  BODY(DLV_HEAD "\x00\x00\x00" "\0" "\0" "\x00\x00\x00\x00" "\x00"),
	  SMPP_GENERIC_NACK, ESME_RINVCMDID },
	{ "truncated body", SMPP_DELIVER_SM, BODY("CMT\0" "\x01\x01" "49"),
	  SMPP_DELIVER_SM_RESP, ESME_RINVCMDLEN },
	{ "source_addr without NUL", SMPP_DELIVER_SM,
	  BODY("CMT\0" "\x01\x01" "4912345678901234567890123" "\x01\x01" "1\0" DLV_TAIL),
	  SMPP_DELIVER_SM_RESP, ESME_RINVSRCADR },
	{ "over-long service_type", SMPP_DELIVER_SM,
	  BODY("WAYTOOLONG\0" "\x01\x01" "4912345\0" "\x01\x01" "4967890\0" DLV_TAIL),
	  SMPP_DELIVER_SM_RESP, ESME_RINVSERTYP },
	{ "sm_length past the end", SMPP_DELIVER_SM,
	  BODY(DLV_HEAD "\x00\x00\x00" "\0" "\0" "\x00\x00\x00\x00" "\x09" "hi"),
	  SMPP_DELIVER_SM_RESP, ESME_RINVMSGLEN },
	{ "destination_port of 3 octets", SMPP_DELIVER_SM,
	  BODY(DLV_HEAD DLV_TAIL "\x02\x0b\x00\x03" "\x3f\xe2\x00"),
	  SMPP_DELIVER_SM_RESP, ESME_RINVPARLEN },
	{ "TLV running past the PDU", SMPP_DELIVER_SM,
	  BODY(DLV_HEAD DLV_TAIL "\x04\x24\x00\x10" "abc"),
	  SMPP_DELIVER_SM_RESP, ESME_RINVOPTPARSTREAM },
	{ "truncated TLV header", SMPP_DELIVER_SM, BODY(DLV_HEAD DLV_TAIL "\x04\x24\x00"),
	  SMPP_DELIVER_SM_RESP, ESME_RINVOPTPARSTREAM },
	{ "message_payload and short_message", SMPP_DELIVER_SM,
	  BODY(DLV_HEAD DLV_TAIL "\x04\x24\x00\x02" "yo"),
	  SMPP_DELIVER_SM_RESP, ESME_ROPTPARNOTALLWD },
	{ "data_sm source_addr without NUL", SMPP_DATA_SM,
	  BODY("\0" "\x01\x01"
	       "12345678901234567890123456789012345678901234567890123456789012345678"),
	  SMPP_DATA_SM_RESP, ESME_RINVSRCADR },
	{ "enquire_link with a body", SMPP_ENQUIRE_LINK, BODY("x"),
	  SMPP_ENQUIRE_LINK_RESP, ESME_RINVCMDLEN },
};

static void send_raw(struct smsc *s, uint32_t id, uint32_t seq, const char *body, size_t blen)
{
	uint8_t b[256];
	uint32_t len = 16 + blen;
	const uint32_t hdr[4] = { htonl(len), htonl(id), 0, htonl(seq) };

	assert_true(len <= sizeof(b));
	memcpy(b, hdr, 16);
	memcpy(b + 16, body, blen);
	smsc_write(s, b, len);
}

/* Every bad PDU answered right, on the same connection, which still delivers. */
static void test_bad_pdus(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	struct got *g;

	fx_bound(fx);
	for (size_t k = 0; k < ARRAY_SIZE(bad_cases); k++) {
		const struct bad_case *c = &bad_cases[k];
		uint32_t seq = 100 + k, st;

		send_raw(&fx->smsc, c->id, seq, c->body, c->body_len);
		st = resp_status(fx, c->resp_id, seq, 1000);
		if (st != c->status)
			fail_msg("%s: %s, expected %s", c->what, smpp_status_name(st),
				 smpp_status_name(c->status));
	}
	assert_int_equal(fx->n_got, 0);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_GENERIC_NACK_TX), 2);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_ERROR_RESP_TX), ARRAY_SIZE(bad_cases) - 2);
	/* a response we never asked for is not answered */
	send_raw(&fx->smsc, SMPP_SUBMIT_SM_RESP, 5, BODY("1\0"));
	/* still bound, same connection, still delivering */
	mk_deliver(&p, 200, "after");
	g = deliver(fx, &p);
	assert_memory_equal(g->sm, "after", 5);
	assert_int_equal(ack_and_resp(fx, g, 0, SMPP_DELIVER_SM_RESP, 200), ESME_ROK);
	assert_int_equal(fx->smsc.accepts, 1);
	assert_int_equal(fx->smsc.closes, 0);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_GENERIC_NACK), 2);
}

/* command_length under 16 or over the maximum: generic_nack, drop, reconnect. */
static void check_bad_len(struct fx *fx, const char *hdr, unsigned accepts)
{
	int i;

	smsc_write(&fx->smsc, (const uint8_t *)hdr, 16);
	WAIT((i = smsc_find(&fx->smsc, 0, SMPP_GENERIC_NACK, 0)) >= 0 &&
	     fx->smsc.rx[i].status == ESME_RINVCMDLEN, 1000);
	fx->smsc.rx[i].id = 0;	/* consumed */
	WAIT(fx->smsc.closes == accepts, 1000);
	WAIT(fx->smsc.accepts == accepts + 1 && is_bound(fx), 3000);
}

static void test_bad_command_length(void **state_)
{
	struct fx *fx = *state_;

	fx_bound(fx);
	/* 4 GiB - 1: refused before anything is allocated */
	check_bad_len(fx, "\xff\xff\xff\xff" "\x00\x00\x00\x05" "\0\0\0\0" "\0\0\0\1", 1);
	check_bad_len(fx, "\x00\x00\x00\x08" "\x00\x00\x00\x05" "\0\0\0\0" "\0\0\0\2", 2);
	/* the largest PDU allowed once bound is read (a TLV of ESME_PDU_MAX - 16 - ...) */
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_GENERIC_NACK_TX), 2);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 2);
}

/* One deliver_sm written in 100 pieces at seeded random cut points. */
static void test_split_writes(void **state_)
{
	struct fx *fx = *state_;
	static uint8_t buf[1024];
	uint8_t payload[600];
	unsigned cut[101];
	struct smpp_pdu p;
	int len;

	srandom((unsigned)test_seed());
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = random();
	fx_bound(fx);
	mk_deliver(&p, 60, "");
	smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, payload, sizeof(payload));
	len = smpp_pdu_pack(buf, sizeof(buf), &p);
	assert_true(len > 100);
	/* 99 distinct cut points in 1..len-1, sorted: 100 non-empty writes */
	cut[0] = 0;
	cut[100] = len;
	for (unsigned n = 1; n < 100;) {
		unsigned c = 1 + random() % (len - 1), j;

		for (j = 1; j < n && cut[j] != c; j++)
			;
		if (j < n)
			continue;
		cut[n++] = c;
	}
	for (unsigned a = 1; a < 100; a++)
		for (unsigned b = a + 1; b < 100; b++)
			if (cut[b] < cut[a]) {
				unsigned t = cut[a];
				cut[a] = cut[b];
				cut[b] = t;
			}
	for (unsigned k = 0; k < 100; k++) {
		smsc_write(&fx->smsc, buf + cut[k], cut[k + 1] - cut[k]);
		if (k < 99) {
			pump(1);
			assert_int_equal(fx->n_got, 0);
		}
	}
	WAIT(fx->n_got == 1, 1000);
	assert_int_equal(fx->got[0].sm_len, sizeof(payload));
	assert_memory_equal(fx->got[0].sm, payload, sizeof(payload));
}

/* window 1: at most 4 messages wait for acks; the rest wait in the socket. */
static void test_backpressure(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;

	fx->cfg.window = 1;
	fx_bound(fx);
	for (uint32_t k = 0; k < 6; k++) {
		mk_deliver(&p, 70 + k, "bp");
		smsc_send(&fx->smsc, &p);
	}
	WAIT(fx->n_got == 4, 1000);
	run_for(200);
	assert_int_equal(fx->n_got, 4);
	esme_ack(fx->got[0].ack, 0);
	fx->got[0].ack = NULL;
	WAIT(fx->n_got == 5, 1000);
	run_for(100);
	assert_int_equal(fx->n_got, 5);
	for (unsigned k = 1; k < 5; k++) {
		esme_ack(fx->got[k].ack, 0);
		fx->got[k].ack = NULL;
	}
	WAIT(fx->n_got == 6, 1000);
	esme_ack(fx->got[5].ack, 0);
	fx->got[5].ack = NULL;
	WAIT(smsc_count(&fx->smsc, SMPP_DELIVER_SM_RESP) == 6, 1000);
	for (unsigned i = 0; i < fx->smsc.n_rx; i++)
		if (fx->smsc.rx[i].id == SMPP_DELIVER_SM_RESP)
			assert_int_equal(fx->smsc.rx[i].status, ESME_ROK);
}

/*
 * The ESME against tests/tools/smsc_peer.py, an SMSC written from the
 * spec apart from our codec: bind with the password checked, deliver_sm
 * as OsmoMSC sends it, data_sm with message_payload and destination_port,
 * a UDH segment with SAR; the peer exits 0 once all were answered ESME_ROK.
 */
static void test_python_peer(void **state_)
{
	static const char msgs[] =
		"{\"service_type\": \"CMT\", \"esm_class\": 1, \"data_coding\": 1,"
		" \"sm_hex\": \"68656c6c6f\", \"user_message_reference\": 7}\n"
		"{\"cmd\": \"data_sm\", \"src\": \"4917\", \"data_coding\": 4,"
		" \"payload_hex\": \"0102\", \"port\": 16354}\n"
		"{\"esm_class\": 64, \"sm_hex\": \"0500030102016162\", \"sar\": [258, 2, 1]}\n";
	const char *peer = TESTDATA_DIR "/tools/smsc_peer.py";
	struct fx *fx = *state_;
	int in[2], out[2], wst = 0;
	char line[256] = "";
	const char *port;
	ssize_t n;
	pid_t pid;

	if (access("/usr/bin/python3", X_OK) < 0)
		skip();
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl("/usr/bin/python3", "python3", peer, "--messages", "-", "--password", "secret",
		      "--exit-after-acks", "--timeout", "20", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	assert_int_equal(write(in[1], msgs, sizeof(msgs) - 1), sizeof(msgs) - 1);
	close(in[1]);
	/* the readiness signal: {"event": "listening", "port": N} */
	struct pollfd pf = { .fd = out[0], .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 5000), 1);
	n = read(out[0], line, sizeof(line) - 1);
	assert_true(n > 0);
	port = strstr(line, "\"port\": ");
	assert_non_null(port);
	fx->cfg.remote_port = atoi(port + 8);
	fx_start(fx);
	double end = now_s() + 10;
	while (waitpid(pid, &wst, WNOHANG) != pid) {
		assert_true(now_s() < end);
		pump(50);
		for (unsigned i = 0; i < fx->n_got; i++)
			if (fx->got[i].ack) {
				esme_ack(fx->got[i].ack, 0);
				fx->got[i].ack = NULL;
			}
	}
	close(out[0]);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	assert_int_equal(fx->n_got, 3);
	assert_int_equal(fx->got[0].in.esm_class, 1);
	assert_int_equal(fx->got[0].in.data_coding, 1);
	assert_int_equal(fx->got[0].sm_len, 5);
	assert_memory_equal(fx->got[0].sm, "hello", 5);
	assert_string_equal(fx->got[1].src, "4917");
	assert_int_equal(fx->got[1].in.data_coding, 4);
	assert_true(fx->got[1].in.has_port);
	assert_int_equal(fx->got[1].in.port, 16354);
	assert_int_equal(fx->got[1].sm_len, 2);
	assert_int_equal(fx->got[2].in.esm_class, 0x40);
	assert_true(fx->got[2].in.has_sar);
	assert_int_equal(fx->got[2].in.sar_ref, 258);
	assert_int_equal(fx->got[2].in.sar_total, 2);
	assert_int_equal(fx->got[2].sm_len, 8);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_deliver_short_message),
		T(test_deliver_payload),
		T(test_deliver_sar_udh),
		T(test_data_sm_receipt_refuse),
		T(test_ack_after_drop),
		T(test_ack_deadline),
		T(test_bad_pdus),
		T(test_bad_command_length),
		T(test_split_writes),
		T(test_backpressure),
		T(test_python_peer),
#undef T
	};

	test_args(argc, argv);
	return test_done(esme_run_tests("test_esme_deliver", tests, ARRAY_SIZE(tests)));
}
