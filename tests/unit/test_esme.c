/*
 * test_esme — the SMPP ESME client against a fake SMSC on a real
 * 127.0.0.1 socket, both in one osmo_select loop: the SMSC side is
 * written here with the codec (smpp_pdu.h) and raw octets for the hostile
 * cases; and once against tests/tools/smsc_peer.py, an SMSC written in
 * Python from the spec, apart from our codec.  Waits are bounded
 * conditions (WAIT), never bare sleeps; the
 * whole program runs in about 20 s (back-off, silent peer and the ack
 * deadline need real seconds).
 *
 * ESME_TEST_SEED=<n> replays the random split of the 100-write test (the
 * seed is printed); ESME_TEST_LOG=1 shows the esme's log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "counters.h"
#include "esme.h"
#include "logging.h"
#include "smpp_pdu.h"

#define MAX_RX 256
#define MAX_GOT 16

/* A PDU the fake SMSC received, decoded (header and the fields we check). */
struct rx_pdu {
	uint32_t id, status, seq;
	char system_id[16], password[9], system_type[13];
	uint8_t interface_version;
};

/* The fake SMSC: one listening socket and the last accepted connection. */
struct smsc {
	struct osmo_fd lfd, cfd;
	uint16_t port;
	uint8_t in[ESME_PDU_MAX];
	size_t in_len;
	struct smpp_pdu pdu;
	struct rx_pdu rx[MAX_RX];
	unsigned n_rx;
	unsigned accepts, closes, binds;
	uint32_t bind_status[4];	/* answer the n-th bind with; then ESME_ROK */
	struct timespec bind_at[4];
	bool silent;			/* leave enquire_link unanswered */
	bool mute_unbind;		/* leave unbind unanswered */
};

/* A message the esme handed over, copied. */
struct got {
	char src[65], dst[65];
	uint8_t esm_class, data_coding;
	uint8_t sm[2048];
	size_t sm_len;
	struct sms_in in;		/* pointers not valid after the call */
	struct esme_ack *ack;
};

struct fx {
	void *ctx;
	size_t blocks;			/* talloc blocks under ctx before the test */
	struct rate_ctr_group *ctrs;
	struct esme_cfg cfg;
	struct esme *es;
	struct smsc smsc;
	struct got got[MAX_GOT];
	unsigned n_got;
	bool refuse;
	bool done;
};

static unsigned ctrg_idx;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* ---- the event loop, with bounds ------------------------------------------ */

static void guard_cb(void *data)
{
}

/* Run the loop once: until an fd or timer event, at most ms. */
static void pump(int ms)
{
	struct osmo_timer_list guard = { 0 };

	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, ms / 1000, (ms % 1000) * 1000);
	osmo_select_main(0);
	osmo_timer_del(&guard);
}

/* Run the loop for ms, whatever happens. */
static void run_for(int ms)
{
	double end = now_s() + ms / 1000.0;

	while (now_s() < end)
		pump((int)((end - now_s()) * 1000) + 1);
}

/* Run the loop until cond holds; fail after ms. */
#define WAIT(cond, ms) do { \
	double end_ = now_s() + (ms) / 1000.0; \
	while (!(cond)) { \
		if (now_s() > end_) \
			fail_msg("%s:%d: no \"%s\" within %d ms", __FILE__, __LINE__, #cond, (ms)); \
		pump((int)((end_ - now_s()) * 1000) + 1); \
	} \
} while (0)

/* ---- the fake SMSC ----------------------------------------------------------- */

static void smsc_write(struct smsc *s, const uint8_t *b, size_t len)
{
	while (len) {
		ssize_t n = send(s->cfd.fd, b, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = s->cfd.fd, .events = POLLOUT };

			poll(&p, 1, 100);
			continue;
		}
		assert_true(n > 0);
		b += n;
		len -= n;
	}
}

static void smsc_send(struct smsc *s, struct smpp_pdu *p)
{
	static uint8_t buf[ESME_PDU_MAX];	/* read-only after the call */
	int len = smpp_pdu_pack(buf, sizeof(buf), p);

	assert_true(len >= 16);
	smsc_write(s, buf, len);
}

static void smsc_resp(struct smsc *s, uint32_t id, uint32_t seq, uint32_t status)
{
	smpp_pdu_init(&s->pdu, id, seq);
	s->pdu.command_status = status;
	if (id == SMPP_BIND_RECEIVER_RESP || id == SMPP_BIND_TRANSCEIVER_RESP)
		strcpy(s->pdu.system_id, "fakesmsc");
	smsc_send(s, &s->pdu);
}

static void smsc_close(struct smsc *s)
{
	if (s->cfd.fd < 0)
		return;
	osmo_fd_unregister(&s->cfd);
	close(s->cfd.fd);
	s->cfd.fd = -1;
	s->closes++;
}

/* What the SMSC does on its own: answer bind, enquire_link and unbind. */
static void smsc_auto(struct smsc *s, const struct smpp_pdu *p)
{
	switch (p->command_id) {
	case SMPP_BIND_RECEIVER:
	case SMPP_BIND_TRANSCEIVER:
		if (s->binds < ARRAY_SIZE(s->bind_at))
			clock_gettime(CLOCK_MONOTONIC, &s->bind_at[s->binds]);
		smsc_resp(s, smpp_resp_id(p->command_id), p->sequence_number,
			  s->binds < ARRAY_SIZE(s->bind_status) ? s->bind_status[s->binds] : 0);
		s->binds++;
		break;
	case SMPP_ENQUIRE_LINK:
		if (!s->silent)
			smsc_resp(s, SMPP_ENQUIRE_LINK_RESP, p->sequence_number, ESME_ROK);
		break;
	case SMPP_UNBIND:
		if (!s->mute_unbind)
			smsc_resp(s, SMPP_UNBIND_RESP, p->sequence_number, ESME_ROK);
		break;
	}
}

static void smsc_take(struct smsc *s, const uint8_t *b, size_t len)
{
	struct rx_pdu *r = &s->rx[s->n_rx];
	uint32_t st;

	assert_true(s->n_rx < MAX_RX);
	assert_int_equal(smpp_pdu_unpack(&s->pdu, b, len, &st), 0);
	r->id = s->pdu.command_id;
	r->status = s->pdu.command_status;
	r->seq = s->pdu.sequence_number;
	OSMO_STRLCPY_ARRAY(r->system_id, s->pdu.system_id);
	OSMO_STRLCPY_ARRAY(r->password, s->pdu.password);
	OSMO_STRLCPY_ARRAY(r->system_type, s->pdu.system_type);
	r->interface_version = s->pdu.interface_version;
	s->n_rx++;
	smsc_auto(s, &s->pdu);
}

static int smsc_read_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct smsc *s = ofd->data;
	ssize_t n = recv(ofd->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
	uint32_t len;

	if (n <= 0) {
		smsc_close(s);
		return 0;
	}
	s->in_len += n;
	while (s->in_len >= 4 && smpp_frame_len(s->in, sizeof(s->in), &len) == 0 &&
	       s->in_len >= len) {
		smsc_take(s, s->in, len);
		memmove(s->in, s->in + len, s->in_len - len);
		s->in_len -= len;
	}
	return 0;
}

static int smsc_accept_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct smsc *s = ofd->data;
	int fd = accept4(ofd->fd, NULL, NULL, SOCK_NONBLOCK);

	assert_true(fd >= 0);
	smsc_close(s);
	s->in_len = 0;
	osmo_fd_setup(&s->cfd, fd, OSMO_FD_READ, smsc_read_cb, s, 0);
	assert_int_equal(osmo_fd_register(&s->cfd), 0);
	s->accepts++;
	return 0;
}

static void smsc_listen(struct smsc *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	s->cfd.fd = -1;
	osmo_fd_setup(&s->lfd, fd, OSMO_FD_READ, smsc_accept_cb, s, 0);
	assert_int_equal(osmo_fd_register(&s->lfd), 0);
}

/* The index of the first PDU received from index from on with this id (and seq unless 0), or -1. */
static int smsc_find(const struct smsc *s, unsigned from, uint32_t id, uint32_t seq)
{
	for (unsigned i = from; i < s->n_rx; i++)
		if (s->rx[i].id == id && (!seq || s->rx[i].seq == seq))
			return i;
	return -1;
}

static unsigned smsc_count(const struct smsc *s, uint32_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_rx; i++)
		n += s->rx[i].id == id;
	return n;
}

/* ---- the gateway side ----------------------------------------------------------- */

static int gw_sms(void *data, const struct sms_in *in, struct esme_ack *ack)
{
	struct fx *fx = data;
	struct got *g = &fx->got[fx->n_got];

	assert_true(fx->n_got < MAX_GOT);
	if (fx->refuse)
		return -1;
	OSMO_STRLCPY_ARRAY(g->src, in->src);
	OSMO_STRLCPY_ARRAY(g->dst, in->dst);
	assert_true(in->sm_len <= sizeof(g->sm));
	if (in->sm_len)
		memcpy(g->sm, in->sm, in->sm_len);
	g->sm_len = in->sm_len;
	g->in = *in;
	g->ack = ack;
	fx->n_got++;
	return 0;
}

static const struct esme_ops gw_ops = { .sms = gw_sms };

static void gw_done(void *data)
{
	struct fx *fx = data;

	fx->done = true;
}

static uint64_t ctr(struct fx *fx, unsigned idx)
{
	return rate_ctr_group_get_ctr(fx->ctrs, idx)->current;
}

static const char *state(struct fx *fx)
{
	struct esme_status st;

	esme_get_status(fx->es, &st);
	return st.state;
}

static bool is_bound(struct fx *fx)
{
	return !strcmp(state(fx), "bound");
}

static int setup(void **state_)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->ctx = talloc_named_const(NULL, 0, "test_esme");
	fx->ctrs = rate_ctr_group_alloc(fx->ctx, &txgw_ctrg_desc, ctrg_idx++);
	assert_non_null(fx->ctrs);
	fx->blocks = talloc_total_blocks(fx->ctx);
	smsc_listen(&fx->smsc);
	fx->cfg = (struct esme_cfg) {
		.name = "smsc1", .remote_ip = "127.0.0.1", .remote_port = fx->smsc.port,
		.system_id = "txgw", .password = "secret", .system_type = "TXGW",
		.bind_mode = ESME_BIND_TRANSCEIVER, .window = 4,
		.enquire_link_interval = 30, .reconnect_interval = 1,
		.data_coding_1 = ESME_DC1_ASCII,
	};
	*state_ = fx;
	return 0;
}

static void fx_start(struct fx *fx)
{
	fx->es = esme_start(fx->ctx, &fx->cfg, 7, &gw_ops, fx, fx->ctrs);
	assert_non_null(fx->es);
}

static void fx_bound(struct fx *fx)
{
	fx_start(fx);
	WAIT(is_bound(fx), 2000);
}

/* Stop the esme (unbind if bound), check nothing leaked, close the SMSC. */
static int teardown(void **state_)
{
	struct fx *fx = *state_;

	if (fx->es) {
		esme_stop(fx->es, gw_done, fx);
		WAIT(fx->done, 3000);
		assert_string_equal(state(fx), "down");
		talloc_free(fx->es);
	}
	for (unsigned i = 0; i < fx->n_got; i++)
		if (fx->got[i].ack)
			esme_ack(fx->got[i].ack, 0);
	assert_int_equal(talloc_total_blocks(fx->ctx), fx->blocks);
	smsc_close(&fx->smsc);
	osmo_fd_unregister(&fx->smsc.lfd);
	close(fx->smsc.lfd.fd);
	rate_ctr_group_free(fx->ctrs);
	talloc_free(fx->ctx);
	free(fx);
	return 0;
}

/* A deliver_sm as OsmoMSC sends it (service_type "CMT", datagram mode). */
static void mk_deliver(struct smpp_pdu *p, uint32_t seq, const char *text)
{
	smpp_pdu_init(p, SMPP_DELIVER_SM, seq);
	strcpy(p->service_type, "CMT");
	p->source_addr_ton = 1;
	p->source_addr_npi = 1;
	strcpy(p->source_addr, "4915112345678");
	p->dest_addr_ton = 1;
	p->dest_addr_npi = 1;
	strcpy(p->destination_addr, "12345");
	p->esm_class = 0x01;
	p->sm_length = strlen(text);
	p->short_message = (const uint8_t *)text;
}

/* Send a deliver_sm and wait until the gateway has it; returns it. */
static struct got *deliver(struct fx *fx, struct smpp_pdu *p)
{
	unsigned n = fx->n_got;

	smsc_send(&fx->smsc, p);
	WAIT(fx->n_got == n + 1, 1000);
	return &fx->got[n];
}

/* Wait (at most ms) for the response id with this seq; return its status. */
static uint32_t resp_status(struct fx *fx, uint32_t id, uint32_t seq, int ms)
{
	int i;

	WAIT((i = smsc_find(&fx->smsc, 0, id, seq)) >= 0, ms);
	return fx->smsc.rx[i].status;
}

/* Send a request; return the status of its response. */
static uint32_t send_for_status(struct fx *fx, struct smpp_pdu *p)
{
	smsc_send(&fx->smsc, p);
	return resp_status(fx, smpp_resp_id(p->command_id), p->sequence_number, 1000);
}

/* Ack a held message; return the status of the response with this seq. */
static uint32_t ack_and_resp(struct fx *fx, struct got *g, int status, uint32_t resp, uint32_t seq)
{
	esme_ack(g->ack, status);
	g->ack = NULL;
	return resp_status(fx, resp, seq, 1000);
}

/* ---- the tests -------------------------------------------------------------------- */

static void test_backoff(void **state_)
{
	static const unsigned want[] = { 2, 4, 8, 16, 32, 60, 60 };
	unsigned d = 1;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		d = esme_backoff_next(d, 1);
		assert_int_equal(d, want[i]);
	}
	assert_int_equal(esme_backoff_next(5, 5), 10);
	assert_int_equal(esme_backoff_next(40, 5), 60);
	/* a reconnect-interval over the ceiling stays as configured */
	assert_int_equal(esme_backoff_next(90, 90), 90);
}

static void check_bind(struct fx *fx, uint32_t id)
{
	struct esme_status st;
	int i;

	fx_bound(fx);
	i = smsc_find(&fx->smsc, 0, id, 0);
	assert_true(i >= 0);
	assert_string_equal(fx->smsc.rx[i].system_id, "txgw");
	assert_string_equal(fx->smsc.rx[i].password, "secret");
	assert_string_equal(fx->smsc.rx[i].system_type, "TXGW");
	assert_int_equal(fx->smsc.rx[i].interface_version, 0x34);
	esme_get_status(fx->es, &st);
	assert_string_equal(st.name, "smsc1");
	char remote[64];
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", fx->smsc.port);
	assert_string_equal(st.remote, remote);
	assert_true(st.since >= time(NULL) - 5 && st.since <= time(NULL));
	assert_int_equal(st.rx_pdus, 1);
	assert_int_equal(st.tx_pdus, 1);
	assert_int_equal(st.window_used, 0);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 0);
}

static void test_bind_transceiver(void **state_)
{
	struct fx *fx = *state_;

	check_bind(fx, SMPP_BIND_TRANSCEIVER);
	/* esme_stop: unbind, answered, done */
	esme_stop(fx->es, gw_done, fx);
	WAIT(fx->done, 1000);
	assert_true(smsc_find(&fx->smsc, 0, SMPP_UNBIND, 0) >= 0);
	assert_string_equal(state(fx), "down");
	WAIT(fx->smsc.closes == 1, 1000);
}

static void test_bind_receiver(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.bind_mode = ESME_BIND_RECEIVER;
	check_bind(fx, SMPP_BIND_RECEIVER);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_BIND_TRANSCEIVER), 0);
}

/* Wrong password twice: the retries come after 1 s, then 2 s. */
static void test_bind_refused_backoff(void **state_)
{
	struct fx *fx = *state_;
	struct smsc *s = &fx->smsc;
	double d1, d2;

	s->bind_status[0] = ESME_RINVPASWD;
	s->bind_status[1] = ESME_RINVPASWD;
	fx_start(fx);
	WAIT(s->binds == 1, 1000);
	assert_false(is_bound(fx));
	WAIT(is_bound(fx), 5000);
	assert_int_equal(s->binds, 3);
	assert_int_equal(s->accepts, 3);
	d1 = ts_diff(&s->bind_at[0], &s->bind_at[1]);
	d2 = ts_diff(&s->bind_at[1], &s->bind_at[2]);
	assert_true(d1 > 0.9 && d1 < 1.8);
	assert_true(d2 > 1.9 && d2 < 2.8);
}

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

/* esme_stop() and no unbind_resp: closed after ESME_UNBIND_TIMEOUT_MS all the same. */
static void test_stop_unanswered(void **state_)
{
	struct fx *fx = *state_;
	double t0;

	fx_bound(fx);
	fx->smsc.mute_unbind = true;
	t0 = now_s();
	esme_stop(fx->es, gw_done, fx);
	WAIT(fx->done, ESME_UNBIND_TIMEOUT_MS + 1000);
	assert_true(now_s() - t0 > ESME_UNBIND_TIMEOUT_MS / 1000.0 - 0.2);
	assert_string_equal(state(fx), "down");
	WAIT(fx->smsc.closes == 1, 1000);
	/* and it stays down */
	run_for(1200);
	assert_int_equal(fx->smsc.accepts, 1);
}

/* enquire_link both ways, with an answering peer: the link stays. */
static void test_enquire_link(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;

	fx->cfg.enquire_link_interval = 1;
	fx_bound(fx);
	smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 77);
	assert_int_equal(send_for_status(fx, &p), ESME_ROK);
	run_for(2500);
	assert_true(smsc_count(&fx->smsc, SMPP_ENQUIRE_LINK) >= 2);
	assert_true(is_bound(fx));
	assert_int_equal(fx->smsc.accepts, 1);
}

/* A peer that stops answering enquire_link is dropped, then rebound. */
static void test_silent_peer(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.enquire_link_interval = 1;
	fx_bound(fx);
	fx->smsc.silent = true;
	WAIT(fx->smsc.closes == 1, 3000);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_ENQUIRE_LINK), 1);
	fx->smsc.silent = false;
	WAIT(fx->smsc.accepts == 2 && is_bound(fx), 3000);
}

/* The SMSC unbinds: unbind_resp, close, reconnect after the back-off. */
static void test_peer_unbind(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	double t0;

	fx_bound(fx);
	smpp_pdu_init(&p, SMPP_UNBIND, 9);
	t0 = now_s();
	assert_int_equal(send_for_status(fx, &p), ESME_ROK);
	WAIT(fx->smsc.closes == 1, 1000);
	WAIT(fx->smsc.accepts == 2 && is_bound(fx), 3000);
	assert_true(now_s() - t0 > 0.9);
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
	const char *e = getenv("ESME_TEST_SEED");
	unsigned seed = e ? strtoul(e, NULL, 0) : (unsigned)time(NULL);
	static uint8_t buf[1024];
	uint8_t payload[600];
	unsigned cut[101];
	struct smpp_pdu p;
	int len;

	printf("test_split_writes: ESME_TEST_SEED=%u\n", seed);
	srandom(seed);
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

/* Stop while the SMSC is unreachable: done at once from the loop; bad settings refused. */
static void test_stop_down_and_bad_cfg(void **state_)
{
	struct fx *fx = *state_;
	struct esme_cfg bad = fx->cfg;

	/* nothing listens on the SMSC's port once it is closed */
	osmo_fd_unregister(&fx->smsc.lfd);
	close(fx->smsc.lfd.fd);
	fx->smsc.lfd.fd = socket(AF_INET, SOCK_STREAM, 0);
	osmo_fd_setup(&fx->smsc.lfd, fx->smsc.lfd.fd, 0, smsc_accept_cb, &fx->smsc, 0);
	assert_int_equal(osmo_fd_register(&fx->smsc.lfd), 0);
	fx_start(fx);
	WAIT(!strcmp(state(fx), "down"), 1000);
	esme_stop(fx->es, gw_done, fx);
	assert_false(fx->done);
	WAIT(fx->done, 500);
	talloc_free(fx->es);
	fx->es = NULL;

	bad.system_id = "a-system-id-too-long";
	assert_null(esme_start(fx->ctx, &bad, 1, &gw_ops, fx, NULL));
	bad = fx->cfg;
	bad.password = "123456789";
	assert_null(esme_start(fx->ctx, &bad, 1, &gw_ops, fx, NULL));
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

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "main");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_bind_transceiver),
		T(test_bind_receiver),
		T(test_bind_refused_backoff),
		T(test_deliver_short_message),
		T(test_deliver_payload),
		T(test_deliver_sar_udh),
		T(test_data_sm_receipt_refuse),
		T(test_ack_after_drop),
		T(test_ack_deadline),
		T(test_stop_unanswered),
		T(test_enquire_link),
		T(test_silent_peer),
		T(test_peer_unbind),
		T(test_bad_pdus),
		T(test_bad_command_length),
		T(test_split_writes),
		T(test_backpressure),
		T(test_stop_down_and_bad_cfg),
		T(test_python_peer),
#undef T
	};
	int rc;

	osmo_init_logging2(ctx, &txgw_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	if (getenv("ESME_TEST_LOG"))
		log_set_category_filter(osmo_stderr_target, DSMPP, 1, LOGL_DEBUG);
	else
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	assert_int_equal(smpp_def_check(), 0);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_fini();
	talloc_free(ctx);
	return rc;
}
