/*
 * fuzz_esme — the ESME's reader and PDU handling on hostile streams.
 *
 * Each input: octet 0 chooses the setting (bit 0 bind_receiver, bit 1
 * data-coding-1 gsm7, bit 2 ack with -EIO, bit 3 refuse in ops->sms); the
 * rest is what a bound SMSC sends, over a real 127.0.0.1 connection.
 * The fuzzer then closes its side, runs the loop until the esme has
 * dropped the connection, stops and frees it: no crash, no leak, every ack
 * answered, every sms_in readable.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/lib/logging.h"
#include "smpp/esme.h"
#include "smpp/smpp_pdu.h"

#define MAX_ACKS 1024

struct run {
	uint8_t flags;
	struct esme_ack *acks[MAX_ACKS];
	unsigned n_acks;
	unsigned sum;
	bool done;
};

static int fz_sms(void *data, const struct sms_in *in, struct esme_ack *ack)
{
	struct run *r = data;
	struct sms_seg seg;

	/* every octet the esme points at must be readable */
	for (size_t i = 0; i < in->sm_len; i++)
		r->sum += in->sm[i];
	r->sum += strlen(in->src) + strlen(in->dst);
	sms_in_parse(in, &seg);
	if ((r->flags & 8) || r->n_acks == MAX_ACKS)
		return -1;
	r->acks[r->n_acks++] = ack;
	return 0;
}

static const struct esme_ops fz_ops = { .sms = fz_sms };

static void fz_done(void *data)
{
	((struct run *)data)->done = true;
}

static void ack_all(struct run *r)
{
	for (unsigned i = 0; i < r->n_acks; i++)
		esme_ack(r->acks[i], (r->flags & 4) ? -EIO : 0);
	r->n_acks = 0;
}

/* Read and drop what the esme sent; return the first PDU's command_id, or 0. */
static uint32_t drain(int fd)
{
	uint8_t b[4096];
	uint32_t id = 0;
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		if (!id && n >= 8)
			id = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	return id;
}

static const char *state(const struct esme *es)
{
	struct esme_status st;

	esme_get_status(es, &st);
	return st.state;
}

static int lfd = -1;
static uint16_t lport;
static void *ctx;

static void init(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	ctx = talloc_named_const(NULL, 0, "fuzz_esme");
	osmo_init_logging2(ctx, &txgw_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		abort();
	lport = ntohs(a.sin_port);
}

/* Bring the esme to bound against our accepted socket; the SMSC's fd or -1. */
static int bring_up(struct esme *es)
{
	static const uint8_t resp_hdr[] = { 0, 0, 0, 17, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t resp[sizeof(resp_hdr)];
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	uint32_t id = 0;
	int fd;

	if (poll(&p, 1, 1000) != 1)
		return -1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return -1;
	for (int i = 0; i < 1000 && !id; i++) {
		osmo_select_main(1);
		id = drain(fd);
	}
	if (id != SMPP_BIND_RECEIVER && id != SMPP_BIND_TRANSCEIVER)
		abort();
	/* bind_*_resp, ESME_ROK, seq 1 (the esme's first), system_id "" */
	memcpy(resp, resp_hdr, sizeof(resp));
	resp[7] = (uint8_t)id;
	if (send(fd, resp, sizeof(resp), MSG_NOSIGNAL) != sizeof(resp))
		abort();
	for (int i = 0; i < 1000 && strcmp(state(es), "bound"); i++)
		osmo_select_main(1);
	if (strcmp(state(es), "bound"))
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .flags = size ? data[0] : 0 };
	struct esme_cfg cfg = {
		.name = "fuzz", .remote_ip = "127.0.0.1", .system_id = "txgw",
		.password = "pw", .window = 2, .enquire_link_interval = 30,
		.reconnect_interval = 5,
	};
	size_t before;
	struct esme *es;
	int fd;

	if (lfd < 0)
		init();
	before = talloc_total_blocks(ctx);
	cfg.remote_port = lport;
	cfg.bind_mode = (r.flags & 1) ? ESME_BIND_RECEIVER : ESME_BIND_TRANSCEIVER;
	cfg.data_coding_1 = (r.flags & 2) ? ESME_DC1_GSM7 : ESME_DC1_ASCII;
	if (esme_start(ctx, &cfg, 1, &fz_ops, &r, NULL, &es) < 0)
		abort();
	fd = bring_up(es);
	if (fd < 0)
		abort();
	if (size > 1)
		send(fd, data + 1, size - 1, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	/* until the esme sees the end (or drops earlier on a bad length) */
	for (int i = 0; i < 100000 && strcmp(state(es), "down"); i++) {
		osmo_select_main(1);
		ack_all(&r);
		drain(fd);
	}
	if (strcmp(state(es), "down"))
		abort();
	ack_all(&r);
	close(fd);
	esme_stop(es, fz_done, &r);
	while (!r.done)
		osmo_select_main(0);
	talloc_free(es);
	if (talloc_total_blocks(ctx) != before)
		abort();
	return 0;
}
