/*
 * smsc.c — the SMSC side of SMPP 3.4 with store and forward; see smsc.h.
 *
 * Layout: messages live in one of three places: the ready list (to send),
 * the wait list (a retry after a temporary error, with its time), or a
 * bind's in-flight table (sent, unanswered), indexed by sequence_number
 * modulo a power of two at least twice the window.  A connection reads
 * PDUs in two states (header, then body), checking command_length before
 * allocating (HACKING.md, Style 2), and writes through an output buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/bit32gen.h>
#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "contrib/sim/smsc.h"
#include "gateway/lib/cursor.h"
#include "smpp/smpp_pdu.h"

#define SMSC_MAX_CONNS		64
#define SMSC_OUT_MAX		(4 * 1024 * 1024)	/* unsent bytes per connection */

enum smsc_msg_where { M_READY, M_WAIT, M_FLIGHT };

struct smsc_msg {
	struct llist_head list;		/* ready or wait list */
	uint64_t tag;
	uint8_t *pdu;
	size_t len;
	enum smsc_msg_where where;
	uint64_t due_ms;		/* M_WAIT: retry time; M_FLIGHT: sent time */
	uint64_t sent_us;		/* M_FLIGHT: sent time, for the latency figures */
	unsigned tries;
};

enum conn_state { CS_OPEN, CS_BOUND_RX, CS_BOUND_TX, CS_BOUND_TRX, CS_CLOSING };
#define CS_BIT(s)	(1u << (s))
#define CS_BOUND	(CS_BIT(CS_BOUND_RX) | CS_BIT(CS_BOUND_TX) | CS_BIT(CS_BOUND_TRX))
#define CS_ANY		(CS_BIT(CS_OPEN) | CS_BOUND)

struct delayed {
	struct llist_head list;
	uint64_t due_ms;
	bool bind_resp;			/* the answer that makes the bind */
	size_t len;
	uint8_t pdu[];
};

struct smsc_conn {
	struct llist_head list;
	struct smsc *s;
	int fd;
	unsigned id;
	enum conn_state state;
	char peer[48];
	/* reader: the header, then command_length - 16 octets of body */
	uint8_t hdr[SMPP_HDR_LEN];
	size_t got;
	uint8_t *pdu;
	uint32_t need;
	/* writer */
	uint8_t *out;
	size_t out_len, out_cap;
	bool drop_after_flush;		/* unbind answered: close once flushed */
	uint64_t drop_at_ms;		/* drop_every fault: close then */
	/* deliver_sm in flight, by sequence_number & (slots - 1) */
	struct smsc_msg **slot;
	unsigned n_slots, n_flight;
	uint32_t next_seq;
	uint64_t pdus_sent;
	uint64_t opened_ms, enquire_due_ms, enquire_sent_ms;
	bool enquire_out;
	uint32_t enquire_seq;
	struct llist_head delayed;
	unsigned bind_resp_held;	/* delayed bind_resp not yet written */
};

struct smsc {
	struct smsc_cfg cfg;
	struct smsc_ops ops;
	void *data;
	int lfd;
	uint16_t port;
	unsigned next_conn_id;
	struct llist_head conns;
	struct llist_head ready, wait;
	struct smsc_conn *rr;		/* where the round robin starts next */
	double tokens;
	uint64_t tokens_ms;
	uint64_t n_deliver, n_bind_req, n_sub_req, n_corrupt;
	uint32_t message_id;
	struct smsc_stats st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void note_latency(struct smsc_stats *st, uint64_t us)
{
	uint64_t b = us / SMSC_LAT_STEP_US;
	st->lat_hist[b < SMSC_LAT_BUCKETS ? b : SMSC_LAT_BUCKETS - 1]++;
	st->lat_n++;
	if (us > st->lat_max_us)
		st->lat_max_us = us;
}

uint64_t smsc_latency_us(const struct smsc_stats *st, double p)
{
	uint64_t want = (uint64_t)((double)st->lat_n * p / 100.0 + 0.5), acc = 0;

	if (!st->lat_n)
		return 0;
	if (!want)
		want = 1;
	for (unsigned b = 0; b < SMSC_LAT_BUCKETS; b++) {
		acc += st->lat_hist[b];
		if (acc >= want)
			return (uint64_t)(b + 1) * SMSC_LAT_STEP_US;
	}
	return st->lat_max_us;
}

static void smsc_logf(struct smsc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void smsc_logf(struct smsc *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!s->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->ops.log(s->data, line);
}

void smsc_cfg_default(struct smsc_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->system_id = "txgw";
	c->password = "secret";
	c->window = 64;
	c->resp_timeout_ms = 5000;
	c->retry_ms = 1000;
	c->enquire_ms = 30000;
	c->max_pdu = 70000;
}

bool smsc_status_temporary(uint32_t status)
{
	switch (status) {
	case ESME_RX_T_APPN:
	case ESME_RTHROTTLED:
	case ESME_RMSGQFUL:
	case ESME_RSYSERR:
		return true;
	default:
		return false;
	}
}

/* ---- messages ---- */

static void msg_ready(struct smsc *s, struct smsc_msg *m)
{
	m->where = M_READY;
	llist_add_tail(&m->list, &s->ready);
	s->st.waiting++;
}

/* An answer, a timeout or a lost bind took m out of its in-flight slot. */
static void msg_answered(struct smsc *s, struct smsc_msg *m, uint32_t status)
{
	s->st.in_flight--;
	if (status == ESME_ROK || !smsc_status_temporary(status)) {
		if (status == ESME_ROK)
			s->st.acked++;
		else
			s->st.failed++;
		if (s->ops.done)
			s->ops.done(s->data, m->tag, status);
		talloc_free(m);
		return;
	}
	s->st.temp_errors++;
	m->where = M_WAIT;
	m->due_ms = now_ms() + s->cfg.retry_ms;
	llist_add_tail(&m->list, &s->wait);
	s->st.waiting++;
}

int smsc_queue(struct smsc *s, const uint8_t *pdu, size_t len, uint64_t tag)
{
	struct smsc_msg *m;
	uint32_t clen;

	if (len < SMPP_HDR_LEN || smpp_frame_len(pdu, UINT32_MAX, &clen) < 0 || clen != len ||
	    osmo_load32be(pdu + 4) != SMPP_DELIVER_SM)
		return -EINVAL;
	m = talloc_zero(s, struct smsc_msg);
	if (!m || !(m->pdu = talloc_memdup(m, pdu, len))) {
		talloc_free(m);
		return -ENOMEM;
	}
	m->len = len;
	m->tag = tag;
	s->st.queued++;
	msg_ready(s, m);
	return 0;
}

/* ---- connections: output ---- */

static void conn_close(struct smsc_conn *c, const char *why);

static int conn_write(struct smsc_conn *c, const uint8_t *buf, size_t len)
{
	if (c->out_len + len > SMSC_OUT_MAX)
		return -ENOSPC;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		uint8_t *o = talloc_realloc_size(c, c->out, cap);
		if (!o)
			return -ENOMEM;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	c->pdus_sent++;
	if (c->s->cfg.drop_every && c->pdus_sent % c->s->cfg.drop_every == 0 && !c->drop_at_ms)
		c->drop_at_ms = now_ms() + SMSC_DROP_GRACE_MS;
	return 0;
}

static void conn_flush(struct smsc_conn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c, "write failed");
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->drop_after_flush)
		conn_close(c, "unbound");
	else if (c->drop_at_ms && now_ms() >= c->drop_at_ms) {
		c->s->st.drops++;
		conn_close(c, "drop (fault)");
	}
}

/* Pack and send (or, with delay_ms, hold back) one PDU we originate or
 * answer with. */
static void conn_send_pdu(struct smsc_conn *c, const struct smpp_pdu *p, bool response)
{
	uint8_t buf[1024];
	int n = smpp_pdu_pack(buf, sizeof(buf), p);

	if (n < 0)
		return;
	if (response && c->s->cfg.delay_ms) {
		struct delayed *d = talloc_size(c, sizeof(*d) + (size_t)n);
		if (!d)
			return;
		d->due_ms = now_ms() + c->s->cfg.delay_ms;
		d->bind_resp = p->command_id == SMPP_BIND_RECEIVER_RESP ||
			       p->command_id == SMPP_BIND_TRANSMITTER_RESP ||
			       p->command_id == SMPP_BIND_TRANSCEIVER_RESP;
		c->bind_resp_held += d->bind_resp;
		d->len = (size_t)n;
		memcpy(d->pdu, buf, (size_t)n);
		llist_add_tail(&d->list, &c->delayed);
		return;
	}
	conn_write(c, buf, (size_t)n);
}

/* A response; msgid: the submit_sm_resp's message_id (NULL: our counter's). */
static void conn_respond_id(struct smsc_conn *c, const struct smpp_pdu *req, uint32_t id,
			    uint32_t status, const char *msgid)
{
	struct smpp_pdu r;

	smpp_pdu_init(&r, id, req->sequence_number);
	r.command_status = status;
	r.body_omitted = status != ESME_ROK && id != SMPP_GENERIC_NACK;
	switch (id) {
	case SMPP_BIND_RECEIVER_RESP:
	case SMPP_BIND_TRANSMITTER_RESP:
	case SMPP_BIND_TRANSCEIVER_RESP:
		strcpy(r.system_id, "txgw-smsc-sim");
		break;
	case SMPP_SUBMIT_SM_RESP:
	case SMPP_DATA_SM_RESP:
		if (msgid)
			snprintf(r.message_id, sizeof(r.message_id), "%s", msgid);
		else
			snprintf(r.message_id, sizeof(r.message_id), "%08x", ++c->s->message_id);
		break;
	}
	conn_send_pdu(c, &r, true);
}

static void conn_respond(struct smsc_conn *c, const struct smpp_pdu *req, uint32_t id, uint32_t status)
{
	conn_respond_id(c, req, id, status, NULL);
}

/* Every in-flight message of c back to the ready list. */
static void conn_requeue(struct smsc_conn *c)
{
	for (unsigned i = 0; i < c->n_slots && c->n_flight; i++) {
		struct smsc_msg *m = c->slot[i];
		if (!m)
			continue;
		c->slot[i] = NULL;
		c->n_flight--;
		c->s->st.in_flight--;
		c->s->st.requeued++;
		msg_ready(c->s, m);
	}
}

static void conn_close(struct smsc_conn *c, const char *why)
{
	struct smsc *s = c->s;

	if (c->fd < 0)
		return;
	smsc_logf(s, "bind %u (%s): closed: %s", c->id, c->peer, why);
	conn_requeue(c);
	if (c->state == CS_BOUND_RX || c->state == CS_BOUND_TRX)
		s->st.bound_rx--;
	close(c->fd);
	c->fd = -1;
	s->st.connections--;
	if (s->rr == c)
		s->rr = NULL;
	/* freed by the loop, which may still hold c */
}

/* ---- PDU handlers: the bind state machine as a table ---- */

static void bind_req(struct smsc_conn *c, const struct smpp_pdu *p)
{
	struct smsc *s = c->s;
	uint32_t resp = smpp_resp_id(p->command_id);
	uint32_t st = ESME_ROK;

	if (c->state != CS_OPEN)
		st = ESME_RALYBND;
	else if (s->cfg.throttle_every && ++s->n_bind_req % s->cfg.throttle_every == 0)
		st = ESME_RTHROTTLED;
	else if (strcmp(p->system_id, s->cfg.system_id))
		st = ESME_RINVSYSID;
	else if (strcmp(p->password, s->cfg.password))
		st = ESME_RINVPASWD;
	if (st != ESME_ROK) {
		if (st == ESME_RTHROTTLED)
			s->st.throttled++;
		else
			s->st.bind_refused++;
		smsc_logf(s, "bind %u (%s): %s refused: %s", c->id, c->peer,
			  smpp_command_name(p->command_id), smpp_status_name(st));
		conn_respond(c, p, resp, st);
		return;
	}
	c->state = p->command_id == SMPP_BIND_RECEIVER ? CS_BOUND_RX :
		   p->command_id == SMPP_BIND_TRANSMITTER ? CS_BOUND_TX : CS_BOUND_TRX;
	if (c->state != CS_BOUND_TX)
		s->st.bound_rx++;
	s->st.binds++;
	c->enquire_due_ms = now_ms() + s->cfg.enquire_ms;
	smsc_logf(s, "bind %u (%s): %s as \"%s\"", c->id, c->peer, smpp_command_name(p->command_id),
		  p->system_id);
	conn_respond(c, p, resp, ESME_ROK);
}

static void unbind_req(struct smsc_conn *c, const struct smpp_pdu *p)
{
	c->s->st.unbinds++;
	conn_requeue(c);
	if (c->state == CS_BOUND_RX || c->state == CS_BOUND_TRX)
		c->s->st.bound_rx--;
	c->state = CS_CLOSING;
	conn_respond(c, p, SMPP_UNBIND_RESP, ESME_ROK);
	c->drop_after_flush = true;
}

static void enquire_req(struct smsc_conn *c, const struct smpp_pdu *p)
{
	c->s->st.enquire_rx++;
	conn_respond(c, p, SMPP_ENQUIRE_LINK_RESP, ESME_ROK);
}

static void enquire_resp(struct smsc_conn *c, const struct smpp_pdu *p)
{
	if (c->enquire_out && p->sequence_number == c->enquire_seq)
		c->enquire_out = false;
}

/* submit_sm / data_sm from a transmitter or transceiver: the owner's
 * (smsc_ops.submit), or answered (or throttled) here. */
static void submit_req(struct smsc_conn *c, const struct smpp_pdu *p)
{
	struct smsc *s = c->s;
	uint32_t st = ESME_ROK;

	s->st.submits++;
	if (s->ops.submit) {
		char id[65] = "";
		st = s->ops.submit(s->data, c->id, p, id, sizeof(id));
		if (st == SMSC_DROP && !c->drop_at_ms)
			c->drop_at_ms = now_ms() + SMSC_DROP_GRACE_MS;
		if (st == SMSC_DROP || st == SMSC_NO_ANSWER)
			return;
		conn_respond_id(c, p, smpp_resp_id(p->command_id), st, id);
		return;
	}
	if (s->cfg.throttle_every && ++s->n_sub_req % s->cfg.throttle_every == 0) {
		st = ESME_RTHROTTLED;
		s->st.throttled++;
	}
	conn_respond(c, p, smpp_resp_id(p->command_id), st);
}

static void deliver_resp(struct smsc_conn *c, const struct smpp_pdu *p)
{
	unsigned i = p->sequence_number & (c->n_slots - 1);
	struct smsc_msg *m = c->slot[i];

	if (p->command_id == SMPP_GENERIC_NACK)
		c->s->st.generic_nacks++;
	if (!m || osmo_load32be(m->pdu + 12) != p->sequence_number) {
		c->s->st.late_resps++;
		return;
	}
	c->slot[i] = NULL;
	c->n_flight--;
	note_latency(&c->s->st, now_us() - m->sent_us);
	msg_answered(c->s, m, p->command_status);
}

struct smsc_handler {
	uint32_t command_id;
	unsigned states;		/* CS_BIT()s the command is allowed in */
	void (*fn)(struct smsc_conn *c, const struct smpp_pdu *p);
};

/* SMPP 3.4 §2.3, table 2-1: which PDU an SMSC takes in which state. */
static const struct smsc_handler smsc_handlers[] = {
	{ SMPP_BIND_RECEIVER, CS_ANY, bind_req },
	{ SMPP_BIND_TRANSMITTER, CS_ANY, bind_req },
	{ SMPP_BIND_TRANSCEIVER, CS_ANY, bind_req },
	{ SMPP_UNBIND, CS_BOUND, unbind_req },
	{ SMPP_ENQUIRE_LINK, CS_ANY, enquire_req },
	{ SMPP_ENQUIRE_LINK_RESP, CS_BOUND, enquire_resp },
	{ SMPP_DELIVER_SM_RESP, CS_BIT(CS_BOUND_RX) | CS_BIT(CS_BOUND_TRX), deliver_resp },
	{ SMPP_GENERIC_NACK, CS_BOUND, deliver_resp },
	{ SMPP_SUBMIT_SM, CS_BIT(CS_BOUND_TX) | CS_BIT(CS_BOUND_TRX), submit_req },
	{ SMPP_DATA_SM, CS_BIT(CS_BOUND_TX) | CS_BIT(CS_BOUND_TRX), submit_req },
};

static void conn_dispatch(struct smsc_conn *c, const uint8_t *buf, size_t len)
{
	struct smpp_pdu *p = talloc(c, struct smpp_pdu);
	uint32_t st;
	int rc;

	if (!p)
		return;
	rc = smpp_pdu_unpack(p, buf, len, &st);
	if (rc < 0 || st != ESME_ROK) {
		/* §3.3: a PDU we cannot take gets generic_nack, unless it is
		 * a response (answer nothing). */
		if (!(p->command_id & 0x80000000u) || st == ESME_RINVCMDID)
			conn_respond(c, p, SMPP_GENERIC_NACK, st ? st : ESME_RSYSERR);
		talloc_free(p);
		return;
	}
	for (size_t i = 0; i < sizeof(smsc_handlers) / sizeof(smsc_handlers[0]); i++) {
		const struct smsc_handler *h = &smsc_handlers[i];
		if (h->command_id != p->command_id)
			continue;
		if (h->states & CS_BIT(c->state))
			h->fn(c, p);
		else if (smpp_resp_id(p->command_id))
			conn_respond(c, p, smpp_resp_id(p->command_id), ESME_RINVBNDSTS);
		talloc_free(p);
		return;
	}
	if (smpp_resp_id(p->command_id))	/* a request we do not serve */
		conn_respond(c, p, SMPP_GENERIC_NACK, ESME_RINVCMDID);
	talloc_free(p);
}

/* ---- connections: input ---- */

/* Read what is there; dispatch every whole PDU. */
static void conn_read(struct smsc_conn *c)
{
	uint32_t max = c->state == CS_OPEN ? SMSC_PREBIND_MAX : c->s->cfg.max_pdu;

	for (;;) {
		uint8_t *dst = c->got < SMPP_HDR_LEN ? c->hdr + c->got : c->pdu + c->got;
		size_t want = c->got < SMPP_HDR_LEN ? SMPP_HDR_LEN - c->got : c->need - c->got;
		ssize_t n = recv(c->fd, dst, want, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c, n == 0 ? "peer closed" : "read failed");
			return;
		}
		c->got += (size_t)n;
		if (c->got == SMPP_HDR_LEN && !c->pdu) {
			if (smpp_frame_len(c->hdr, max, &c->need) < 0) {
				conn_close(c, "bad command_length");
				return;
			}
			c->pdu = talloc_size(c, c->need);
			if (!c->pdu) {
				conn_close(c, "out of memory");
				return;
			}
			memcpy(c->pdu, c->hdr, SMPP_HDR_LEN);
		}
		if (c->pdu && c->got == c->need) {
			uint8_t *pdu = c->pdu;
			c->pdu = NULL;
			c->got = 0;
			conn_dispatch(c, pdu, c->need);
			talloc_free(pdu);
			if (c->fd < 0)
				return;
			max = c->state == CS_OPEN ? SMSC_PREBIND_MAX : c->s->cfg.max_pdu;
		}
	}
}

static void smsc_accept(struct smsc *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = accept(s->lfd, (struct sockaddr *)&sa, &sl);
	struct smsc_conn *c;

	if (fd < 0)
		return;
	if (s->st.connections >= SMSC_MAX_CONNS || fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    !(c = talloc_zero(s, struct smsc_conn))) {
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	c->id = ++s->next_conn_id;
	c->next_seq = 1;
	c->opened_ms = now_ms();
	INIT_LLIST_HEAD(&c->delayed);
	for (c->n_slots = 2; c->n_slots < 2 * s->cfg.window; c->n_slots *= 2)
		;
	c->slot = talloc_zero_array(c, struct smsc_msg *, c->n_slots);
	snprintf(c->peer, sizeof(c->peer), "%s:%u", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
	llist_add_tail(&c->list, &s->conns);
	s->st.connections++;
	smsc_logf(s, "bind %u: connection from %s", c->id, c->peer);
}

/* ---- sending ---- */

static uint32_t conn_seq(struct smsc_conn *c)
{
	uint32_t seq = c->next_seq;
	/* §3.2: 0x00000001 to 0x7FFFFFFF */
	c->next_seq = c->next_seq >= 0x7FFFFFFF ? 1 : c->next_seq + 1;
	return seq;
}

/* A malformed PDU, framed correctly: see corrupt_every in smsc.h. */
static void send_corrupt(struct smsc_conn *c)
{
	uint8_t buf[64];
	struct wr w;
	unsigned kind = (unsigned)(c->s->n_corrupt++ % 3);

	wr_init(&w, buf, sizeof(buf));
	wr_u32(&w, 0);				/* command_length, below */
	wr_u32(&w, kind == 0 ? 0x00000077 : SMPP_DELIVER_SM);
	wr_u32(&w, 0);
	wr_u32(&w, conn_seq(c));
	if (kind == 1) {			/* sm_length 200, 3 octets follow */
		static const uint8_t body[] = { 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200,
						'a', 'b', 'c' };
		wr_bytes(&w, body, sizeof(body));
	} else if (kind == 2) {			/* ends inside source_addr */
		static const uint8_t body[] = { 0, 1, 1, '8', '8', '6' };
		wr_bytes(&w, body, sizeof(body));
	}
	osmo_store32be((uint32_t)w.off, buf);
	c->s->st.corrupt_sent++;
	conn_write(c, buf, w.off);
}

/* Send m on c: set its sequence_number, note it in flight, and apply the
 * corrupt and duplicate faults. */
static void send_msg(struct smsc_conn *c, struct smsc_msg *m, uint32_t seq)
{
	struct smsc *s = c->s;

	s->n_deliver++;
	if (s->cfg.corrupt_every && s->n_deliver % s->cfg.corrupt_every == 0)
		send_corrupt(c);
	osmo_store32be(seq, m->pdu + 12);
	c->slot[seq & (c->n_slots - 1)] = m;
	c->n_flight++;
	m->where = M_FLIGHT;
	m->due_ms = now_ms();
	m->sent_us = now_us();
	if (m->tries++)
		s->st.retries++;
	s->st.sent++;
	s->st.in_flight++;
	conn_write(c, m->pdu, m->len);
	if (s->cfg.duplicate_every && s->n_deliver % s->cfg.duplicate_every == 0) {
		uint8_t *dup = talloc_memdup(c, m->pdu, m->len);
		if (dup) {
			osmo_store32be(conn_seq(c), dup + 12);
			conn_write(c, dup, m->len);
			s->st.dup_sent++;
			talloc_free(dup);
		}
	}
}

/* Whether c can take one more deliver_sm now. */
static bool conn_can_send(const struct smsc_conn *c)
{
	if (c->fd < 0 || c->drop_after_flush || c->drop_at_ms || (c->state != CS_BOUND_RX && c->state != CS_BOUND_TRX))
		return false;
	if (c->n_flight >= c->s->cfg.window || c->out_len > SMSC_OUT_MAX / 2)
		return false;
	/* an SMSC sends nothing on a bind before its bind_resp (held back by
	 * delay_ms): the ESME is not bound until it reads it, and would
	 * refuse the deliver_sm with ESME_RINVBNDSTS (SMPP 3.4 §2.3) */
	if (c->bind_resp_held)
		return false;
	return c->slot[c->next_seq & (c->n_slots - 1)] == NULL;
}

static void refill_tokens(struct smsc *s, uint64_t now)
{
	double burst = s->cfg.rate < 10 ? 1 : s->cfg.rate / 10;

	if (s->cfg.rate <= 0)
		return;
	s->tokens += (double)(now - s->tokens_ms) * s->cfg.rate / 1000.0;
	if (s->tokens > burst)
		s->tokens = burst;
	s->tokens_ms = now;
}

/* Hand ready messages to the binds, round robin, within window and rate. */
static void pump(struct smsc *s, uint64_t now)
{
	struct smsc_conn *c;
	bool any = true;

	refill_tokens(s, now);
	while (!llist_empty(&s->ready) && any) {
		any = false;
		llist_for_each_entry(c, &s->conns, list) {
			if (llist_empty(&s->ready) || (s->cfg.rate > 0 && s->tokens < 1))
				return;
			if (!conn_can_send(c))
				continue;
			struct smsc_msg *m = llist_first_entry(&s->ready, struct smsc_msg, list);
			llist_del(&m->list);
			s->st.waiting--;
			send_msg(c, m, conn_seq(c));
			if (s->cfg.rate > 0)
				s->tokens -= 1;
			any = true;
		}
	}
}

/* ---- timers ---- */

static void conn_timers(struct smsc_conn *c, uint64_t now)
{
	struct smsc *s = c->s;
	struct delayed *d, *dn;

	llist_for_each_entry_safe(d, dn, &c->delayed, list) {
		if (d->due_ms > now)
			break;
		llist_del(&d->list);
		c->bind_resp_held -= d->bind_resp;
		conn_write(c, d->pdu, d->len);
		talloc_free(d);
	}
	if (c->state == CS_OPEN && now - c->opened_ms > SMSC_BIND_TIMEOUT_MS) {
		conn_close(c, "no bind in time");
		return;
	}
	if (c->state == CS_OPEN || c->state == CS_CLOSING)
		return;
	if (c->enquire_out && now - c->enquire_sent_ms > s->cfg.resp_timeout_ms) {
		conn_close(c, "enquire_link unanswered");
		return;
	}
	if (s->cfg.enquire_ms && !c->enquire_out && now >= c->enquire_due_ms) {
		struct smpp_pdu p;
		smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, conn_seq(c));
		c->enquire_seq = p.sequence_number;
		c->enquire_out = true;
		c->enquire_sent_ms = now;
		c->enquire_due_ms = now + s->cfg.enquire_ms;
		s->st.enquire_tx++;
		conn_send_pdu(c, &p, false);
	}
	for (unsigned i = 0; i < c->n_slots && c->n_flight; i++) {
		struct smsc_msg *m = c->slot[i];
		if (!m || now - m->due_ms < s->cfg.resp_timeout_ms)
			continue;
		c->slot[i] = NULL;
		c->n_flight--;
		s->st.in_flight--;
		s->st.timeouts++;
		msg_ready(s, m);
	}
}

static void smsc_timers(struct smsc *s, uint64_t now)
{
	struct smsc_msg *m, *mn;
	struct smsc_conn *c;

	llist_for_each_entry_safe(m, mn, &s->wait, list) {
		if (m->due_ms > now)
			break;
		llist_del(&m->list);
		s->st.waiting--;
		msg_ready(s, m);
	}
	llist_for_each_entry(c, &s->conns, list)
		if (c->fd >= 0)
			conn_timers(c, now);
}

/* ---- the loop ---- */

static void reap(struct smsc *s)
{
	struct smsc_conn *c, *cn;

	llist_for_each_entry_safe(c, cn, &s->conns, list) {
		if (c->fd >= 0)
			continue;
		llist_del(&c->list);
		talloc_free(c);
	}
}

int smsc_poll(struct smsc *s, int timeout_ms)
{
	struct pollfd pfd[SMSC_MAX_CONNS + 1];
	struct smsc_conn *conn[SMSC_MAX_CONNS + 1], *c;
	unsigned n = 1;
	int rc;

	pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	llist_for_each_entry(c, &s->conns, list) {
		if (n > SMSC_MAX_CONNS)
			break;
		conn[n] = c;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN | (c->out_len ? POLLOUT : 0) };
	}
	/* work waiting on the clock (tokens, retries, delays): come back soon */
	if (timeout_ms > 10 && (!llist_empty(&s->ready) || !llist_empty(&s->wait) || s->cfg.delay_ms))
		timeout_ms = 10;
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (rc > 0 && (pfd[0].revents & POLLIN))
		smsc_accept(s);
	for (unsigned i = 1; rc > 0 && i < n; i++) {
		c = conn[i];
		if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			conn_read(c);
	}
	uint64_t now = now_ms();
	smsc_timers(s, now);
	pump(s, now);
	llist_for_each_entry(c, &s->conns, list)
		if (c->fd >= 0 && (c->out_len || c->drop_after_flush || c->drop_at_ms))
			conn_flush(c);
	reap(s);
	return 0;
}

void smsc_unbind_all(struct smsc *s)
{
	struct smsc_conn *c;

	llist_for_each_entry(c, &s->conns, list) {
		if (c->fd < 0 || c->state == CS_OPEN || c->state == CS_CLOSING)
			continue;
		struct smpp_pdu p;
		smpp_pdu_init(&p, SMPP_UNBIND, conn_seq(c));
		conn_send_pdu(c, &p, false);
	}
}

static int smsc_listen(struct smsc *s, const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	int one = 1;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->lfd, 16) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	s->port = ntohs(sa.sin_port);
	return 0;
}

static int smsc_destroy(struct smsc *s)
{
	struct smsc_conn *c;

	llist_for_each_entry(c, &s->conns, list)
		if (c->fd >= 0)
			close(c->fd);
	if (s->lfd >= 0)
		close(s->lfd);
	return 0;
}

int smsc_new(void *ctx, const struct smsc_cfg *cfg, const char *addr, uint16_t port,
	     const struct smsc_ops *ops, void *data, struct smsc **out)
{
	struct smsc *s;
	int rc;

	*out = NULL;
	if (!cfg->system_id || !cfg->password || !cfg->window || cfg->window > SMSC_MAX_WINDOW ||
	    cfg->max_pdu < SMSC_PREBIND_MAX || !cfg->resp_timeout_ms || cfg->rate < 0)
		return -EINVAL;
	s = talloc_zero(ctx, struct smsc);
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (ops)
		s->ops = *ops;
	s->data = data;
	s->lfd = -1;
	INIT_LLIST_HEAD(&s->conns);
	INIT_LLIST_HEAD(&s->ready);
	INIT_LLIST_HEAD(&s->wait);
	s->tokens_ms = now_ms();
	talloc_set_destructor(s, smsc_destroy);
	rc = smsc_listen(s, addr, port);
	if (rc < 0) {
		talloc_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void smsc_free(struct smsc *s)
{
	talloc_free(s);
}

uint16_t smsc_port(const struct smsc *s)
{
	return s->port;
}

const struct smsc_stats *smsc_get_stats(struct smsc *s)
{
	return &s->st;
}
