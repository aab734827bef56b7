/*
 * esme.c — the SMPP 3.4 ESME client of esme.h: connection, two-state PDU
 * reader, write queue, bind state machine, enquire_link, unbind, back-off,
 * and the hand-over of deliver_sm/data_sm to the gateway.
 *
 * Memory: the esme is a talloc context; each connection is a child of it
 * (struct esme_conn), so one talloc_free() drops a session: socket, queues,
 * timers and the read buffer.  Acks live under the esme's parent context
 * and only point at their connection; the connection's destructor detaches
 * them, so an ack answered after a drop sends nothing and cannot touch
 * freed memory.
 *
 * Drops happen only at the top of a call chain (an fd callback, a timer,
 * esme_stop): handlers below return -ECONNABORTED with the reason written
 * into conn->why, and the top frees the connection after they return.
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

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "counters.h"
#include "esme.h"
#include "logging.h"
#include "smpp_pdu.h"

#define LOGES(es, lvl, fmt, args...) \
	LOGP(DSMPP, lvl, "esme %s: " fmt, (es)->cfg.name, ##args)

/* Queued output past which we stop reading (the peer does not read). */
#define ESME_TXQ_MAX		(256 * 1024)
/* PDUs handled per readable event, so one busy peer cannot starve the loop. */
#define ESME_READ_BUDGET	64
/* §3.2: sequence_number runs 0x00000001 .. 0x7FFFFFFF. */
#define ESME_SEQ_MAX		0x7fffffffu

/*
 * The bind states (STYLE.md 8: a table of states and the moves allowed
 * out of each; esme_enter() refuses any other).
 */
enum esme_state {
	ES_DOWN,
	ES_CONNECTING,
	ES_BINDING,
	ES_BOUND,
	ES_UNBINDING,		/* esme_stop() sent unbind */
	ES__COUNT
};

#define S(x) (1u << (x))

static const struct {
	const char *name;	/* as "show binds" shows it */
	uint32_t next;
} esme_states[ES__COUNT] = {
	[ES_DOWN] = { "down", S(ES_CONNECTING) },
	[ES_CONNECTING] = { "connecting", S(ES_BINDING) | S(ES_DOWN) },
	[ES_BINDING] = { "binding", S(ES_BOUND) | S(ES_DOWN) },
	[ES_BOUND] = { "bound", S(ES_UNBINDING) | S(ES_DOWN) },
	/* still bound until the SMSC answers the unbind */
	[ES_UNBINDING] = { "bound", S(ES_DOWN) },
};

struct esme_tx {
	struct llist_head list;
	size_t len, off;
	uint8_t data[];
};

/* A request of ours waiting for its response (bounded by "window"). */
struct esme_req {
	struct llist_head list;
	uint32_t cmd, seq;
};

struct esme_conn {
	struct esme *es;
	struct osmo_fd ofd;
	/* reader, state 1: the command_length; state 2: the rest */
	uint8_t hdr[4];
	unsigned hdr_got;
	uint8_t *pdu;		/* NULL in state 1 */
	uint32_t pdu_len, pdu_got;
	/* writer */
	struct llist_head txq;	/* struct esme_tx */
	size_t txq_bytes;
	/* our requests */
	struct llist_head reqs;	/* struct esme_req */
	unsigned n_reqs;
	uint32_t last_seq;
	/* received messages waiting for esme_ack() */
	struct llist_head acks;	/* struct esme_ack */
	unsigned n_acks;
	/* bind (from connect), then unbind deadline */
	struct osmo_timer_list deadline;
	struct osmo_timer_list link_timer;	/* enquire_link interval */
	struct smpp_pdu rx, tx;	/* scratch: too large for the stack */
	char why[160];		/* reason of the coming drop */
};

struct esme_ack {
	struct llist_head list;
	struct esme_conn *conn;	/* NULL once answered or dropped */
	uint32_t resp_id, seq;
	struct osmo_timer_list timer;
};

struct esme {
	struct esme_cfg cfg;	/* a copy; strings are children of es */
	void *ack_ctx;
	uint32_t bind_id;
	const struct esme_ops *ops;
	void *data;
	struct rate_ctr_group *ctrs;

	enum esme_state state;
	int64_t since;
	struct esme_conn *conn;	/* NULL when down */
	unsigned backoff;	/* s, the next reconnect delay */
	bool ever_bound;
	uint64_t rx_pdus, tx_pdus;
	char remote[64];

	struct osmo_timer_list retry;
	bool stopping;
	void (*done)(void *);
	void *done_data;
	struct osmo_timer_list done_timer;
};

static void ctr_inc(struct esme *es, unsigned idx)
{
	if (es->ctrs)
		rate_ctr_inc2(es->ctrs, idx);
}

static void esme_enter(struct esme *es, enum esme_state st)
{
	OSMO_ASSERT(esme_states[es->state].next & S(st));
	LOGES(es, LOGL_INFO, "%s -> %s\n", esme_states[es->state].name,
	      esme_states[st].name);
	es->state = st;
	es->since = time(NULL);
}

/* Record the reason of a drop; returns -ECONNABORTED for the handler to pass up. */
static int conn_fail(struct esme_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int conn_fail(struct esme_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -ECONNABORTED;
}

unsigned esme_backoff_next(unsigned cur, unsigned first)
{
	unsigned cap = first > ESME_BACKOFF_MAX_S ? first : ESME_BACKOFF_MAX_S;

	if (cur >= cap / 2)
		return cap;
	return cur ? cur * 2 : 1;
}

/* ---- writer ---------------------------------------------------------- */

static void conn_update_when(struct esme_conn *c)
{
	unsigned cap = 4 * (c->es->cfg.window ? c->es->cfg.window : 1);
	unsigned when = 0;

	if (c->es->state == ES_CONNECTING || !llist_empty(&c->txq))
		when |= OSMO_FD_WRITE;
	/* back-pressure: stop reading while the gateway or the peer lags */
	if (c->es->state != ES_CONNECTING && c->n_acks < cap && c->txq_bytes < ESME_TXQ_MAX)
		when |= OSMO_FD_READ;
	osmo_fd_update_when(&c->ofd, 0, when);
}

static bool conn_reading(const struct esme_conn *c)
{
	return c->ofd.when & OSMO_FD_READ;
}

/* Write what the socket takes.  0, or -ECONNABORTED on a write error. */
static int conn_flush(struct esme_conn *c)
{
	struct esme_tx *t, *t2;

	llist_for_each_entry_safe(t, t2, &c->txq, list) {
		/* MSG_NOSIGNAL: a peer gone away is an error here, not a SIGPIPE */
		ssize_t n = send(c->ofd.fd, t->data + t->off, t->len - t->off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			return conn_fail(c, "write: %s", strerror(errno));
		t->off += n;
		c->txq_bytes -= n;
		if (t->off < t->len)
			break;
		llist_del(&t->list);
		talloc_free(t);
	}
	conn_update_when(c);
	return 0;
}

/* Pack *p into the write queue.  0 or a negative errno (logged). */
static int conn_send(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	uint8_t buf[ESME_PDU_MAX_UNBOUND];
	struct esme_tx *t;
	int len = smpp_pdu_pack(buf, sizeof(buf), p);

	if (len < 0) {
		LOGES(es, LOGL_ERROR, "cannot pack %s: %s\n",
		      smpp_command_name(p->command_id), strerror(-len));
		return len;
	}
	t = talloc_size(c, sizeof(*t) + len);
	if (!t)
		return -ENOMEM;
	t->len = len;
	t->off = 0;
	memcpy(t->data, buf, len);
	llist_add_tail(&t->list, &c->txq);
	c->txq_bytes += len;
	es->tx_pdus++;
	ctr_inc(es, TXGW_CTR_SMPP_PDUS_TX);
	LOGES(es, LOGL_DEBUG, "tx %s seq %u status 0x%02x\n", smpp_command_name(p->command_id),
	      p->sequence_number, p->command_status);
	conn_update_when(c);
	return 0;
}

/* A response: deliver_sm_resp and data_sm_resp carry an empty message_id. */
static int conn_send_resp(struct esme_conn *c, uint32_t id, uint32_t seq, uint32_t status)
{
	smpp_pdu_init(&c->tx, id, seq);
	c->tx.command_status = status;
	return conn_send(c, &c->tx);
}

/* Answer a bad PDU: generic_nack or the request's response with status. */
static void conn_send_error(struct esme_conn *c, uint32_t cmd, uint32_t seq, uint32_t status)
{
	uint32_t resp = smpp_command_known(cmd) ? smpp_resp_id(cmd) : 0;

	if (!resp) {
		conn_send_resp(c, SMPP_GENERIC_NACK, seq, status);
		ctr_inc(c->es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
	} else {
		conn_send_resp(c, resp, seq, status);
		ctr_inc(c->es, TXGW_CTR_SMPP_ERROR_RESP_TX);
	}
}

/* A request of ours, counted against "window".  -ENOSPC when it is full. */
static int conn_request(struct esme_conn *c, struct smpp_pdu *p)
{
	struct esme_req *r;
	unsigned window = c->es->cfg.window ? c->es->cfg.window : 1;

	if (c->n_reqs >= window)
		return -ENOSPC;
	r = talloc_zero(c, struct esme_req);
	if (!r)
		return -ENOMEM;
	c->last_seq = c->last_seq >= ESME_SEQ_MAX ? 1 : c->last_seq + 1;
	p->sequence_number = c->last_seq;
	r->cmd = p->command_id;
	r->seq = p->sequence_number;
	if (conn_send(c, p) < 0) {
		talloc_free(r);
		return -EINVAL;
	}
	llist_add_tail(&r->list, &c->reqs);
	c->n_reqs++;
	return 0;
}

/* Take the request a response answers; false when we sent no such request. */
static bool conn_req_take(struct esme_conn *c, uint32_t cmd, uint32_t seq)
{
	struct esme_req *r;

	llist_for_each_entry(r, &c->reqs, list) {
		if (r->seq == seq && (cmd == SMPP_GENERIC_NACK || smpp_resp_id(r->cmd) == cmd)) {
			llist_del(&r->list);
			talloc_free(r);
			c->n_reqs--;
			return true;
		}
	}
	return false;
}

static bool conn_req_pending(const struct esme_conn *c, uint32_t cmd)
{
	struct esme_req *r;

	llist_for_each_entry(r, &c->reqs, list)
		if (r->cmd == cmd)
			return true;
	return false;
}

/* ---- connection life --------------------------------------------------- */

static void esme_connect(struct esme *es);

static void ack_detach(struct esme_ack *a)
{
	osmo_timer_del(&a->timer);
	llist_del(&a->list);
	a->conn->n_acks--;
	a->conn = NULL;
}

static int conn_destructor(struct esme_conn *c)
{
	struct esme_ack *a, *a2;

	llist_for_each_entry_safe(a, a2, &c->acks, list)
		ack_detach(a);
	osmo_timer_del(&c->deadline);
	osmo_timer_del(&c->link_timer);
	if (c->ofd.fd >= 0) {
		osmo_fd_unregister(&c->ofd);
		close(c->ofd.fd);
		c->ofd.fd = -1;
	}
	if (c->es->conn == c)
		c->es->conn = NULL;
	return 0;
}

static void esme_done_cb(void *data)
{
	struct esme *es = data;

	if (es->done)
		es->done(es->done_data);
}

/*
 * Close the connection (after a last best-effort write of what is queued:
 * a generic_nack or unbind_resp that should go out before the close), then
 * reconnect after the back-off, or, when stopping, report done.
 */
static void esme_drop(struct esme *es, const char *why_in)
{
	struct esme_conn *c = es->conn;
	char why[128];

	/* why may live in the connection (c->why), freed below */
	snprintf(why, sizeof(why), "%s", why_in);
	if (c) {
		conn_flush(c);
		talloc_free(c);
	}
	if (es->state != ES_DOWN)
		esme_enter(es, ES_DOWN);
	if (es->stopping) {
		LOGES(es, LOGL_NOTICE, "closed: %s\n", why);
		osmo_timer_schedule(&es->done_timer, 0, 0);
		return;
	}
	LOGES(es, LOGL_NOTICE, "dropped: %s; reconnecting in %u s\n", why, es->backoff);
	osmo_timer_schedule(&es->retry, es->backoff, 0);
	es->backoff = esme_backoff_next(es->backoff, es->cfg.reconnect_interval);
}

static void esme_retry_cb(void *data)
{
	esme_connect(data);
}

static void conn_deadline_cb(void *data)
{
	struct esme_conn *c = data;
	struct esme *es = c->es;

	if (es->state == ES_UNBINDING)
		esme_drop(es, "no unbind_resp in time");
	else
		esme_drop(es, "no bind_resp within " OSMO_STRINGIFY_VAL(ESME_BIND_TIMEOUT_S) " s");
}

/*
 * Every enquire-link-interval: if our last enquire_link is still
 * unanswered the peer is silent: drop.  While we do not read (back-
 * pressure) its answer may wait unread in the socket, so judge nothing.
 */
static void conn_link_cb(void *data)
{
	struct esme_conn *c = data;
	struct esme *es = c->es;
	struct smpp_pdu *p = &c->tx;

	osmo_timer_schedule(&c->link_timer, es->cfg.enquire_link_interval, 0);
	if (!conn_reading(c))
		return;
	if (conn_req_pending(c, SMPP_ENQUIRE_LINK)) {
		char why[64];

		snprintf(why, sizeof(why), "silent peer: no enquire_link_resp within %u s",
			 es->cfg.enquire_link_interval);
		esme_drop(es, why);
		return;
	}
	smpp_pdu_init(p, SMPP_ENQUIRE_LINK, 0);
	if (conn_request(c, p) == -ENOSPC)
		LOGES(es, LOGL_NOTICE, "window full, enquire_link skipped\n");
}

/* The socket is connected (or failed): send the bind (§4.1). */
static int conn_connected(struct esme_conn *c)
{
	struct esme *es = c->es;
	struct smpp_pdu *p = &c->tx;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->ofd.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err)
		return conn_fail(c, "connect to %s: %s", es->remote, strerror(err));
	LOGES(es, LOGL_NOTICE, "connected to %s\n", es->remote);
	esme_enter(es, ES_BINDING);
	smpp_pdu_init(p, es->cfg.bind_mode == ESME_BIND_RECEIVER ? SMPP_BIND_RECEIVER :
			 SMPP_BIND_TRANSCEIVER, 0);
	OSMO_STRLCPY_ARRAY(p->system_id, es->cfg.system_id);
	OSMO_STRLCPY_ARRAY(p->password, es->cfg.password);
	OSMO_STRLCPY_ARRAY(p->system_type, es->cfg.system_type ? es->cfg.system_type : "");
	p->interface_version = 0x34;
	if (conn_request(c, p) < 0)
		return conn_fail(c, "cannot send the bind");
	conn_update_when(c);
	return 0;
}

static int conn_read(struct esme_conn *c);

static int conn_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct esme_conn *c = ofd->data;
	struct esme *es = c->es;
	int rc = 0;

	if (what & OSMO_FD_WRITE)
		rc = es->state == ES_CONNECTING ? conn_connected(c) : conn_flush(c);
	if (rc == 0 && (what & OSMO_FD_READ) && conn_reading(c))
		rc = conn_read(c);
	if (rc < 0)
		esme_drop(es, c->why);
	return 0;
}

/* Start a non-blocking connect to remote-ip:remote-port. */
static int conn_open(struct esme_conn *c)
{
	struct esme *es = c->es;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int fd, rc, one = 1;

	snprintf(port, sizeof(port), "%u", es->cfg.remote_port);
	rc = getaddrinfo(es->cfg.remote_ip, port, &hints, &ai);
	if (rc)
		return conn_fail(c, "remote-ip %s: %s", es->cfg.remote_ip, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return conn_fail(c, "socket: %s", strerror(errno));
	}
	/* SMPP PDUs are small and each waits for an answer: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno != EINPROGRESS) {
		rc = errno;
		close(fd);
		return conn_fail(c, "connect to %s: %s", es->remote, strerror(rc));
	}
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_WRITE, conn_fd_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		c->ofd.fd = -1;
		return conn_fail(c, "cannot register the socket");
	}
	return 0;
}

static void esme_connect(struct esme *es)
{
	struct esme_conn *c = talloc_zero(es, struct esme_conn);

	if (!c) {
		esme_drop(es, "out of memory");
		return;
	}
	c->es = es;
	c->ofd.fd = -1;
	INIT_LLIST_HEAD(&c->txq);
	INIT_LLIST_HEAD(&c->reqs);
	INIT_LLIST_HEAD(&c->acks);
	osmo_timer_setup(&c->deadline, conn_deadline_cb, c);
	osmo_timer_setup(&c->link_timer, conn_link_cb, c);
	talloc_set_destructor(c, conn_destructor);
	es->conn = c;
	esme_enter(es, ES_CONNECTING);
	LOGES(es, LOGL_INFO, "connecting to %s\n", es->remote);
	if (conn_open(c) < 0) {
		esme_drop(es, c->why);
		return;
	}
	osmo_timer_schedule(&c->deadline, ESME_BIND_TIMEOUT_S, 0);
}

/* ---- received messages -------------------------------------------------- */

/* Answer the message behind a (still attached) ack and detach it. */
static void ack_answer(struct esme_ack *a, uint32_t status)
{
	struct esme_conn *c = a->conn;
	uint32_t resp = a->resp_id, seq = a->seq;

	ack_detach(a);
	if (status != ESME_ROK)
		ctr_inc(c->es, TXGW_CTR_SMPP_TEMP_ERRORS);
	conn_send_resp(c, resp, seq, status);
	conn_update_when(c);
}

static void ack_timer_cb(void *data)
{
	struct esme_ack *a = data;

	LOGES(a->conn->es, LOGL_NOTICE, "%s seq %u not taken within %u ms: answering %s\n",
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

/* deliver_sm (§4.6.1) and data_sm (§4.7.1): hand the message over. */
static int h_message(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	uint32_t resp = smpp_resp_id(p->command_id), seq = p->sequence_number, st;
	struct esme_ack *a;
	struct sms_in in;

	ctr_inc(es, p->command_id == SMPP_DELIVER_SM ? TXGW_CTR_SMPP_DELIVER_SM :
		TXGW_CTR_SMPP_DATA_SM);
	if (es->state == ES_UNBINDING) {
		/* we are going away: the SMSC keeps it and retries */
		ctr_inc(es, TXGW_CTR_SMPP_TEMP_ERRORS);
		conn_send_resp(c, resp, seq, ESME_RX_T_APPN);
		return 0;
	}
	/*
	 * §5.2.12: esm_class bits 5..2 are the message type; anything but
	 * the default (0) is an SMSC delivery receipt, an SME acknowledgement
	 * or an intermediate notification, not a mobile-originated message.
	 */
	if (p->esm_class & 0x3c) {
		ctr_inc(es, TXGW_CTR_SMPP_RECEIPTS);
		LOGES(es, LOGL_INFO, "receipt (esm_class 0x%02x) seq %u ignored\n", p->esm_class, seq);
		conn_send_resp(c, resp, seq, ESME_ROK);
		return 0;
	}
	st = message_fill(es, p, &in);
	if (st != ESME_ROK) {
		LOGES(es, LOGL_NOTICE, "bad %s seq %u: %s\n", smpp_command_name(p->command_id),
		      seq, smpp_status_name(st));
		conn_send_error(c, p->command_id, seq, st);
		return 0;
	}
	a = talloc_zero(es->ack_ctx, struct esme_ack);
	if (!a) {
		ctr_inc(es, TXGW_CTR_SMPP_TEMP_ERRORS);
		conn_send_resp(c, resp, seq, ESME_RX_T_APPN);
		return 0;
	}
	a->conn = c;
	a->resp_id = resp;
	a->seq = seq;
	osmo_timer_setup(&a->timer, ack_timer_cb, a);
	llist_add_tail(&a->list, &c->acks);
	c->n_acks++;
	osmo_timer_schedule(&a->timer, ESME_ACK_DEADLINE_MS / 1000,
			    (ESME_ACK_DEADLINE_MS % 1000) * 1000);
	if (es->ops->sms(es->data, &in, a) != 0) {
		ack_answer(a, ESME_RX_T_APPN);
		talloc_free(a);
	}
	conn_update_when(c);
	return 0;
}

/* ---- the other PDUs ---------------------------------------------------- */

/* bind_receiver_resp / bind_transceiver_resp (§4.1.4, §4.1.6) */
static int h_bind_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;

	if (!conn_req_take(c, p->command_id, p->sequence_number)) {
		LOGES(es, LOGL_NOTICE, "unexpected %s seq %u ignored\n",
		      smpp_command_name(p->command_id), p->sequence_number);
		return 0;
	}
	if (p->command_status != ESME_ROK)
		return conn_fail(c, "bind refused: %s (0x%02x)",
				 smpp_status_name(p->command_status) ? : "?", p->command_status);
	osmo_timer_del(&c->deadline);
	esme_enter(es, ES_BOUND);
	LOGES(es, LOGL_NOTICE, "bound to %s, SMSC system_id '%s'\n", es->remote, p->system_id);
	if (es->ever_bound)
		ctr_inc(es, TXGW_CTR_SMPP_RECONNECTS);
	es->ever_bound = true;
	es->backoff = es->cfg.reconnect_interval ? es->cfg.reconnect_interval : 1;
	if (es->cfg.enquire_link_interval)
		osmo_timer_schedule(&c->link_timer, es->cfg.enquire_link_interval, 0);
	return 0;
}

/* enquire_link (§4.11.1): answer at once. */
static int h_enquire_link(struct esme_conn *c, const struct smpp_pdu *p)
{
	conn_send_resp(c, SMPP_ENQUIRE_LINK_RESP, p->sequence_number, ESME_ROK);
	return 0;
}

/* enquire_link_resp (§4.11.2) */
static int h_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	if (!conn_req_take(c, p->command_id, p->sequence_number))
		LOGES(c->es, LOGL_NOTICE, "unexpected %s seq %u ignored\n",
		      smpp_command_name(p->command_id), p->sequence_number);
	return 0;
}

/* unbind from the SMSC (§4.2.1): answer, close, reconnect after back-off. */
static int h_unbind(struct esme_conn *c, const struct smpp_pdu *p)
{
	conn_send_resp(c, SMPP_UNBIND_RESP, p->sequence_number, ESME_ROK);
	return conn_fail(c, "the SMSC unbound");
}

/* unbind_resp (§4.2.2) to the unbind of esme_stop() */
static int h_unbind_resp(struct esme_conn *c, const struct smpp_pdu *p)
{
	if (!conn_req_take(c, p->command_id, p->sequence_number))
		return 0;
	return conn_fail(c, "unbound");
}

/* generic_nack (§4.3): the SMSC could not take one of our PDUs. */
static int h_generic_nack(struct esme_conn *c, const struct smpp_pdu *p)
{
	struct esme *es = c->es;
	bool ours = conn_req_take(c, p->command_id, p->sequence_number);

	LOGES(es, LOGL_NOTICE, "generic_nack seq %u: %s\n", p->sequence_number,
	      smpp_status_name(p->command_status) ? : "?");
	if (ours && es->state == ES_BINDING)
		return conn_fail(c, "bind answered with generic_nack %s",
				 smpp_status_name(p->command_status) ? : "?");
	if (ours && es->state == ES_UNBINDING)
		return conn_fail(c, "unbind answered with generic_nack");
	return 0;
}

/* alert_notification (§4.12), outbind (§4.1.7): nothing to do once connected. */
static int h_ignore(struct esme_conn *c, const struct smpp_pdu *p)
{
	LOGES(c->es, LOGL_INFO, "%s ignored\n", smpp_command_name(p->command_id));
	return 0;
}

#define S_CONN (S(ES_BINDING) | S(ES_BOUND) | S(ES_UNBINDING))

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
	{ SMPP_BIND_RECEIVER_RESP, S(ES_BINDING), h_bind_resp },
	{ SMPP_BIND_TRANSCEIVER_RESP, S(ES_BINDING), h_bind_resp },
	{ SMPP_DELIVER_SM, S(ES_BOUND) | S(ES_UNBINDING), h_message },
	{ SMPP_DATA_SM, S(ES_BOUND) | S(ES_UNBINDING), h_message },
	{ SMPP_ENQUIRE_LINK, S_CONN, h_enquire_link },
	{ SMPP_ENQUIRE_LINK_RESP, S_CONN, h_resp },
	{ SMPP_UNBIND, S_CONN, h_unbind },
	{ SMPP_UNBIND_RESP, S(ES_UNBINDING), h_unbind_resp },
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

	LOGES(es, LOGL_NOTICE, "bad PDU %s (0x%08x) seq %u, %u octets: %s (%s)\n",
	      name ? : "?", p->command_id, p->sequence_number, p->command_length,
	      smpp_status_name(st) ? : "?", smpp_status_desc(st) ? : "?");
	if (p->command_id == SMPP_GENERIC_NACK)
		return 0;
	conn_send_error(c, p->command_id, p->sequence_number, st);
	if (es->state == ES_BINDING && is_response(p->command_id) &&
	    conn_req_take(c, p->command_id, p->sequence_number))
		return conn_fail(c, "unreadable %s", name);
	return 0;
}

/* One whole PDU in c->pdu. */
static int conn_pdu(struct esme_conn *c)
{
	struct esme *es = c->es;
	struct smpp_pdu *p = &c->rx;
	uint32_t st;

	es->rx_pdus++;
	ctr_inc(es, TXGW_CTR_SMPP_PDUS_RX);
	if (smpp_pdu_unpack(p, c->pdu, c->pdu_len, &st) < 0)
		return conn_bad_pdu(c, p, st);
	LOGES(es, LOGL_DEBUG, "rx %s seq %u status 0x%02x\n", smpp_command_name(p->command_id),
	      p->sequence_number, p->command_status);
	for (size_t i = 0; i < ARRAY_SIZE(pdu_handlers); i++) {
		const struct pdu_handler *h = &pdu_handlers[i];

		if (h->cmd != p->command_id)
			continue;
		if (h->states & S(es->state))
			return h->fn(c, p);
		if (is_response(p->command_id)) {
			LOGES(es, LOGL_NOTICE, "%s while %s ignored\n",
			      smpp_command_name(p->command_id), esme_states[es->state].name);
			return 0;
		}
		conn_send_error(c, p->command_id, p->sequence_number, ESME_RINVBNDSTS);
		return 0;
	}
	if (is_response(p->command_id)) {
		LOGES(es, LOGL_NOTICE, "unexpected %s ignored\n", smpp_command_name(p->command_id));
		return 0;
	}
	LOGES(es, LOGL_NOTICE, "%s seq %u not served by an ESME\n",
	      smpp_command_name(p->command_id), p->sequence_number);
	conn_send_resp(c, SMPP_GENERIC_NACK, p->sequence_number, ESME_RINVCMDID);
	ctr_inc(es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
	return 0;
}

/*
 * State 1 done: the command_length is known.  Check it before allocating
 * (§3.2, STYLE.md 2).  A length under 16 or over the maximum cannot be
 * resynchronised (we cannot tell where the next PDU starts, and reading
 * up to 4 GiB to skip it is no option): answer generic_nack
 * ESME_RINVCMDLEN (sequence_number unread, so 0) and drop the connection;
 * the reconnect starts a clean stream.
 */
static int conn_frame(struct esme_conn *c)
{
	struct esme *es = c->es;
	uint32_t max = es->state == ES_BOUND || es->state == ES_UNBINDING ?
		       ESME_PDU_MAX : ESME_PDU_MAX_UNBOUND;
	uint32_t len;
	int rc = smpp_frame_len(c->hdr, max, &len);

	if (rc < 0) {
		uint32_t bad = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
			       (uint32_t)c->hdr[2] << 8 | c->hdr[3];

		es->rx_pdus++;
		ctr_inc(es, TXGW_CTR_SMPP_PDUS_RX);
		conn_send_resp(c, SMPP_GENERIC_NACK, 0, ESME_RINVCMDLEN);
		ctr_inc(es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
		return conn_fail(c, "bad PDU: command_length %u outside %u..%u", bad,
				 SMPP_HDR_LEN, max);
	}
	c->pdu = talloc_size(c, len);
	if (!c->pdu)
		return conn_fail(c, "out of memory for a PDU of %u octets", len);
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
static int conn_read(struct esme_conn *c)
{
	unsigned n = 0;
	int rc = 0;

	while (n < ESME_READ_BUDGET && conn_reading(c)) {
		uint8_t *dst = c->pdu ? c->pdu + c->pdu_got : c->hdr + c->hdr_got;
		size_t want = c->pdu ? c->pdu_len - c->pdu_got : 4 - c->hdr_got;
		ssize_t got = read(c->ofd.fd, dst, want);

		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (got < 0)
			return conn_fail(c, "read: %s", strerror(errno));
		if (got == 0)
			return conn_fail(c, "the SMSC closed the connection");
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

/* ---- the public side ----------------------------------------------------- */

static int esme_destructor(struct esme *es)
{
	osmo_timer_del(&es->retry);
	osmo_timer_del(&es->done_timer);
	if (es->conn)
		talloc_free(es->conn);
	return 0;
}

/* A setting must fit its C-octet string of §4.1.1 (maximum with the NUL). */
static bool cfg_fits(const char *what, const char *name, const char *s, size_t max)
{
	if (s && strlen(s) < max)
		return true;
	LOGP(DSMPP, LOGL_ERROR, "esme %s: %s %s (at most %zu characters)\n", name, what,
	     s ? "too long" : "missing", max - 1);
	return false;
}

struct esme *esme_start(void *ctx, const struct esme_cfg *cfg, uint32_t bind_id,
			const struct esme_ops *ops, void *data, struct rate_ctr_group *ctrs)
{
	const char *name = cfg->name ? cfg->name : "?";
	struct esme *es;

	if (!cfg_fits("system-id", name, cfg->system_id, 16) ||
	    !cfg_fits("password", name, cfg->password ? cfg->password : "", 9) ||
	    !cfg_fits("system-type", name, cfg->system_type ? cfg->system_type : "", 13) ||
	    !cfg_fits("remote-ip", name, cfg->remote_ip, 64))
		return NULL;
	es = talloc_zero(ctx, struct esme);
	if (!es)
		return NULL;
	es->cfg = *cfg;
	INIT_LLIST_HEAD(&es->cfg.list);
	es->cfg.name = talloc_strdup(es, name);
	es->cfg.remote_ip = talloc_strdup(es, cfg->remote_ip);
	es->cfg.system_id = talloc_strdup(es, cfg->system_id);
	es->cfg.password = talloc_strdup(es, cfg->password ? cfg->password : "");
	es->cfg.system_type = talloc_strdup(es, cfg->system_type ? cfg->system_type : "");
	es->ack_ctx = ctx;
	es->bind_id = bind_id;
	es->ops = ops;
	es->data = data;
	es->ctrs = ctrs;
	es->backoff = cfg->reconnect_interval ? cfg->reconnect_interval : 1;
	es->since = time(NULL);
	snprintf(es->remote, sizeof(es->remote), strchr(cfg->remote_ip, ':') ? "[%s]:%u" : "%s:%u",
		 cfg->remote_ip, cfg->remote_port);
	osmo_timer_setup(&es->retry, esme_retry_cb, es);
	osmo_timer_setup(&es->done_timer, esme_done_cb, es);
	talloc_set_destructor(es, esme_destructor);
	esme_connect(es);
	return es;
}

void esme_stop(struct esme *es, void (*done)(void *), void *data)
{
	struct esme_conn *c = es->conn;

	es->stopping = true;
	es->done = done;
	es->done_data = data;
	osmo_timer_del(&es->retry);
	if (es->state == ES_UNBINDING)
		return;
	if (es->state == ES_BOUND) {
		smpp_pdu_init(&c->tx, SMPP_UNBIND, 0);
		if (conn_request(c, &c->tx) == 0) {
			esme_enter(es, ES_UNBINDING);
			osmo_timer_del(&c->link_timer);
			osmo_timer_schedule(&c->deadline, ESME_UNBIND_TIMEOUT_MS / 1000,
					    (ESME_UNBIND_TIMEOUT_MS % 1000) * 1000);
			return;
		}
	}
	esme_drop(es, "stopped");
}

void esme_get_status(const struct esme *es, struct esme_status *st)
{
	memset(st, 0, sizeof(*st));
	st->name = es->cfg.name;
	st->state = esme_states[es->state].name;
	OSMO_STRLCPY_ARRAY(st->remote, es->remote);
	if (es->conn)
		st->window_used = es->conn->n_reqs + es->conn->n_acks;
	st->rx_pdus = es->rx_pdus;
	st->tx_pdus = es->tx_pdus;
	st->since = es->since;
}
