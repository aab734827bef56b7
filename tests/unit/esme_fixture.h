/*
 * esme_fixture.h — shared by the test_esme* programs: the fake SMSC on a
 * real 127.0.0.1 socket (written with the codec, smpp_pdu.h), the gateway
 * side that copies what the esme hands over, the bounded event-loop waits
 * (WAIT, never bare sleeps), the cmocka setup/teardown and the main loop.
 * One program includes it once; everything is static.
 */
#pragma once

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

#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "smpp/esme.h"
#include "smpp/smpp_pdu.h"

#define MAX_RX 256
#define MAX_GOT 16

/* A PDU the fake SMSC received, decoded (header and the fields we check). */
struct rx_pdu {
	uint32_t id, status, seq;
	char system_id[16], password[9], system_type[13];
	uint8_t interface_version;
	/* submit_sm */
	char source_addr[21], destination_addr[21];
	uint8_t source_addr_ton, source_addr_npi, dest_addr_ton, dest_addr_npi;
	uint8_t esm_class, registered_delivery, data_coding;
	uint8_t sm[255], sm_len;
	int umr;			/* user_message_reference TLV, -1: none */
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
	bool mute_submit;		/* leave submit_sm unanswered */
	uint32_t submit_status;		/* answer submit_sm with; message_id "m<seq>" */
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

static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static inline double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* ---- the event loop, with bounds ------------------------------------------ */

static inline void guard_cb(void *data)
{
}

/* Run the loop once: until an fd or timer event, at most ms. */
static inline void pump(int ms)
{
	struct osmo_timer_list guard = { 0 };

	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, ms / 1000, (ms % 1000) * 1000);
	osmo_select_main(0);
	osmo_timer_del(&guard);
}

/* Run the loop for ms, whatever happens. */
static inline void run_for(int ms)
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

static inline void smsc_write(struct smsc *s, const uint8_t *b, size_t len)
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

static inline void smsc_send(struct smsc *s, struct smpp_pdu *p)
{
	static uint8_t buf[ESME_PDU_MAX];	/* read-only after the call */
	int len = smpp_pdu_pack(buf, sizeof(buf), p);

	assert_true(len >= 16);
	smsc_write(s, buf, len);
}

static inline void smsc_resp(struct smsc *s, uint32_t id, uint32_t seq, uint32_t status)
{
	smpp_pdu_init(&s->pdu, id, seq);
	s->pdu.command_status = status;
	if (id == SMPP_BIND_RECEIVER_RESP || id == SMPP_BIND_TRANSCEIVER_RESP ||
	    id == SMPP_BIND_TRANSMITTER_RESP)
		strcpy(s->pdu.system_id, "fakesmsc");
	if (id == SMPP_SUBMIT_SM_RESP && status == ESME_ROK)
		snprintf(s->pdu.message_id, sizeof(s->pdu.message_id), "m%u", seq);
	s->pdu.body_omitted = status != ESME_ROK && id == SMPP_SUBMIT_SM_RESP;
	smsc_send(s, &s->pdu);
}

static inline void smsc_close(struct smsc *s)
{
	if (s->cfd.fd < 0)
		return;
	osmo_fd_unregister(&s->cfd);
	close(s->cfd.fd);
	s->cfd.fd = -1;
	s->closes++;
}

/* What the SMSC does on its own: answer bind, enquire_link and unbind. */
static inline void smsc_auto(struct smsc *s, const struct smpp_pdu *p)
{
	switch (p->command_id) {
	case SMPP_SUBMIT_SM:
		if (!s->mute_submit)
			smsc_resp(s, SMPP_SUBMIT_SM_RESP, p->sequence_number, s->submit_status);
		break;
	case SMPP_BIND_RECEIVER:
	case SMPP_BIND_TRANSMITTER:
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

static inline void smsc_take(struct smsc *s, const uint8_t *b, size_t len)
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
	OSMO_STRLCPY_ARRAY(r->source_addr, s->pdu.source_addr);
	OSMO_STRLCPY_ARRAY(r->destination_addr, s->pdu.destination_addr);
	r->source_addr_ton = s->pdu.source_addr_ton;
	r->source_addr_npi = s->pdu.source_addr_npi;
	r->dest_addr_ton = s->pdu.dest_addr_ton;
	r->dest_addr_npi = s->pdu.dest_addr_npi;
	r->esm_class = s->pdu.esm_class;
	r->registered_delivery = s->pdu.registered_delivery;
	r->data_coding = s->pdu.data_coding;
	r->sm_len = s->pdu.sm_length;
	if (r->sm_len)
		memcpy(r->sm, s->pdu.short_message, r->sm_len);
	uint32_t umr;
	r->umr = smpp_tlv_uint(&s->pdu, SMPP_TLV_USER_MESSAGE_REFERENCE, &umr) == 0 ? (int)umr : -1;
	s->n_rx++;
	smsc_auto(s, &s->pdu);
}

static inline int smsc_read_cb(struct osmo_fd *ofd, unsigned int what)
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

static inline int smsc_accept_cb(struct osmo_fd *ofd, unsigned int what)
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

static inline void smsc_listen(struct smsc *s)
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
static inline int smsc_find(const struct smsc *s, unsigned from, uint32_t id, uint32_t seq)
{
	for (unsigned i = from; i < s->n_rx; i++)
		if (s->rx[i].id == id && (!seq || s->rx[i].seq == seq))
			return i;
	return -1;
}

static inline unsigned smsc_count(const struct smsc *s, uint32_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_rx; i++)
		n += s->rx[i].id == id;
	return n;
}

/* ---- the gateway side ----------------------------------------------------------- */

static inline int gw_sms(void *data, const struct sms_in *in, struct esme_ack *ack)
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

static inline void gw_done(void *data)
{
	struct fx *fx = data;

	fx->done = true;
}

static inline uint64_t ctr(struct fx *fx, unsigned idx)
{
	return rate_ctr_group_get_ctr(fx->ctrs, idx)->current;
}

static inline const char *state(struct fx *fx)
{
	struct esme_status st;

	esme_get_status(fx->es, &st);
	return st.state;
}

static inline bool is_bound(struct fx *fx)
{
	return !strcmp(state(fx), "bound");
}

static inline int setup(void **state_)
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

static inline void fx_start(struct fx *fx)
{
	assert_int_equal(esme_start(fx->ctx, &fx->cfg, 7, &gw_ops, fx, fx->ctrs, &fx->es), 0);
	assert_non_null(fx->es);
}

static inline void fx_bound(struct fx *fx)
{
	fx_start(fx);
	WAIT(is_bound(fx), 2000);
}

/* Stop the esme (unbind if bound), check nothing leaked, close the SMSC. */
static inline int teardown(void **state_)
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
static inline void mk_deliver(struct smpp_pdu *p, uint32_t seq, const char *text)
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
static inline struct got *deliver(struct fx *fx, struct smpp_pdu *p)
{
	unsigned n = fx->n_got;

	smsc_send(&fx->smsc, p);
	WAIT(fx->n_got == n + 1, 1000);
	return &fx->got[n];
}

/* Wait (at most ms) for the response id with this seq; return its status. */
static inline uint32_t resp_status(struct fx *fx, uint32_t id, uint32_t seq, int ms)
{
	int i;

	WAIT((i = smsc_find(&fx->smsc, 0, id, seq)) >= 0, ms);
	return fx->smsc.rx[i].status;
}

/* Send a request; return the status of its response. */
static inline uint32_t send_for_status(struct fx *fx, struct smpp_pdu *p)
{
	smsc_send(&fx->smsc, p);
	return resp_status(fx, smpp_resp_id(p->command_id), p->sequence_number, 1000);
}

/* Ack a held message; return the status of the response with this seq. */
static inline uint32_t ack_and_resp(struct fx *fx, struct got *g, int status, uint32_t resp, uint32_t seq)
{
	esme_ack(g->ack, status);
	g->ack = NULL;
	return resp_status(fx, resp, seq, 1000);
}

/* Set up logging (ESME_TEST_LOG=1 shows the esme's log), run the group. */
static inline int esme_run_tests(const char *name, const struct CMUnitTest *tests, size_t n)
{
	void *ctx = talloc_named_const(NULL, 0, "main");
	int rc;

	osmo_init_logging2(ctx, &txgw_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	if (getenv("ESME_TEST_LOG"))
		log_set_category_filter(osmo_stderr_target, DSMPP, 1, LOGL_DEBUG);
	else
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	assert_int_equal(smpp_def_check(), 0);
	rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	log_fini();
	talloc_free(ctx);
	return rc;
}
