/*
 * esme.c — the SMPP 3.4 ESME client of esme.h: connection, write queue,
 * the bind's life as an osmo_fsm (connect, bind, enquire_link, unbind,
 * back-off) and the public side.  The PDUs received (two-state reader,
 * dispatch, the hand-over of deliver_sm/data_sm to the gateway and their
 * answers) are esme_pdu.c's.
 *
 * Memory: the esme is a talloc context; each connection is a child of it
 * (struct esme_conn), so one talloc_free() drops a session: socket, queues,
 * timers and the read buffer.  Acks live under the esme's parent context
 * and only point at their connection; the connection's destructor detaches
 * them, so an ack answered after a drop sends nothing and cannot touch
 * freed memory.
 *
 * Drops happen only at the top of a call chain (an fd callback, a timer,
 * esme_stop): handlers below return -ECONNABORTED with the event and the
 * reason written into the connection (esme_conn_fail), and the top
 * dispatches that event to the fsm, whose action frees the connection,
 * after they return.
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

void esme_ctr_inc(struct esme *es, unsigned idx)
{
	if (es->ctrs)
		rate_ctr_inc2(es->ctrs, idx);
}

int esme_conn_fail(struct esme_conn *c, uint32_t ev, const char *fmt, ...)
{
	va_list ap;

	c->fail_ev = ev;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -ECONNABORTED;
}

/* Hand the recorded failure to the fsm, which drops the connection: c is gone after. */
static void conn_drop(struct esme_conn *c)
{
	osmo_fsm_inst_dispatch(c->es->fi, c->fail_ev, c->why);
}

unsigned esme_backoff_next(unsigned cur, unsigned first)
{
	unsigned cap = first > ESME_BACKOFF_MAX_S ? first : ESME_BACKOFF_MAX_S;

	if (cur >= cap / 2)
		return cap;
	return cur ? cur * 2 : 1;
}

/* ---- writer ---------------------------------------------------------- */

void esme_conn_update_when(struct esme_conn *c)
{
	unsigned cap = 4 * (c->es->cfg.window ? c->es->cfg.window : 1);
	bool connecting = c->es->fi->state == ESME_ST_CONNECTING;
	unsigned when = 0;

	if (connecting || !llist_empty(&c->txq))
		when |= OSMO_FD_WRITE;
	/* back-pressure: stop reading while the gateway or the peer lags */
	if (!connecting && c->n_acks < cap && c->txq_bytes < ESME_TXQ_MAX)
		when |= OSMO_FD_READ;
	osmo_fd_update_when(&c->ofd, 0, when);
}

bool esme_conn_reading(const struct esme_conn *c)
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
			return esme_conn_fail(c, ESME_EV_CONN_ERROR, "write: %s", strerror(errno));
		t->off += n;
		c->txq_bytes -= n;
		if (t->off < t->len)
			break;
		llist_del(&t->list);
		talloc_free(t);
	}
	esme_conn_update_when(c);
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
	esme_ctr_inc(es, TXGW_CTR_SMPP_PDUS_TX);
	LOGES(es, LOGL_DEBUG, "tx %s seq %u status 0x%02x\n", smpp_command_name(p->command_id),
	      p->sequence_number, p->command_status);
	esme_conn_update_when(c);
	return 0;
}

/* A response: deliver_sm_resp and data_sm_resp carry an empty message_id. */
int esme_conn_send_resp(struct esme_conn *c, uint32_t id, uint32_t seq, uint32_t status)
{
	smpp_pdu_init(&c->tx, id, seq);
	c->tx.command_status = status;
	return conn_send(c, &c->tx);
}

/* Answer a bad PDU: generic_nack or the request's response with status. */
void esme_conn_send_error(struct esme_conn *c, uint32_t cmd, uint32_t seq, uint32_t status)
{
	uint32_t resp = smpp_command_known(cmd) ? smpp_resp_id(cmd) : 0;

	if (!resp) {
		esme_conn_send_resp(c, SMPP_GENERIC_NACK, seq, status);
		esme_ctr_inc(c->es, TXGW_CTR_SMPP_GENERIC_NACK_TX);
	} else {
		esme_conn_send_resp(c, resp, seq, status);
		esme_ctr_inc(c->es, TXGW_CTR_SMPP_ERROR_RESP_TX);
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
bool esme_conn_req_take(struct esme_conn *c, uint32_t cmd, uint32_t seq)
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

void esme_ack_detach(struct esme_ack *a)
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
		esme_ack_detach(a);
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
 * Every enquire-link-interval while bound: if our last enquire_link is
 * still unanswered the peer is silent (§4.11): drop.  While we do not read
 * (back-pressure) its answer may wait unread in the socket, so judge
 * nothing.
 */
static void conn_link_cb(void *data)
{
	struct esme_conn *c = data;
	struct esme *es = c->es;
	struct smpp_pdu *p = &c->tx;

	osmo_timer_schedule(&c->link_timer, es->cfg.enquire_link_interval, 0);
	if (!esme_conn_reading(c))
		return;
	if (conn_req_pending(c, SMPP_ENQUIRE_LINK)) {
		esme_conn_fail(c, ESME_EV_LINK_TIMEOUT,
			       "silent peer: no enquire_link_resp within %u s",
			       es->cfg.enquire_link_interval);
		conn_drop(c);
		return;
	}
	smpp_pdu_init(p, SMPP_ENQUIRE_LINK, 0);
	if (conn_request(c, p) == -ENOSPC)
		LOGES(es, LOGL_NOTICE, "window full, enquire_link skipped\n");
}

/* The non-blocking connect has finished: 0 when it succeeded. */
static int conn_connected(struct esme_conn *c)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->ofd.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err)
		return esme_conn_fail(c, ESME_EV_CONNECT_FAIL, "connect to %s: %s", c->es->remote,
				      strerror(err));
	return 0;
}

static int conn_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct esme_conn *c = ofd->data;
	struct osmo_fsm_inst *fi = c->es->fi;
	int rc = 0;

	if (fi->state == ESME_ST_CONNECTING) {
		rc = conn_connected(c);
		if (rc == 0) {
			/* sends the bind, or drops: c may be gone after */
			osmo_fsm_inst_dispatch(fi, ESME_EV_CONNECT_OK, NULL);
			return 0;
		}
	} else {
		if (what & OSMO_FD_WRITE)
			rc = conn_flush(c);
		if (rc == 0 && (what & OSMO_FD_READ) && esme_conn_reading(c))
			rc = esme_conn_read(c);
	}
	if (rc < 0)
		conn_drop(c);
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
		return esme_conn_fail(c, ESME_EV_CONNECT_FAIL, "remote-ip %s: %s",
				      es->cfg.remote_ip, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return esme_conn_fail(c, ESME_EV_CONNECT_FAIL, "socket: %s", strerror(errno));
	}
	/* SMPP PDUs are small and each waits for an answer: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno != EINPROGRESS) {
		rc = errno;
		close(fd);
		return esme_conn_fail(c, ESME_EV_CONNECT_FAIL, "connect to %s: %s", es->remote,
				      strerror(rc));
	}
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_WRITE, conn_fd_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		c->ofd.fd = -1;
		return esme_conn_fail(c, ESME_EV_CONNECT_FAIL, "cannot register the socket");
	}
	return 0;
}


/* ---- the bind's life: the ESME fsm ------------------------------------------ */

/*
 * libosmocore before 1.10 schedules an fsm timeout's remainder of a second
 * as microseconds, not milliseconds: keep every fsm timeout whole seconds.
 */
_Static_assert(ESME_UNBIND_TIMEOUT_MS % 1000 == 0, "fsm timeouts in whole seconds");

/* What "show binds" shows in each state (stats.md 2.4). */
static const char *const esme_stats_state[] = {
	[ESME_ST_DISCONNECTED] = "down",
	[ESME_ST_CONNECTING] = "connecting",
	[ESME_ST_BINDING] = "binding",
	[ESME_ST_BOUND] = "bound",
	/* still bound until the SMSC answers the unbind */
	[ESME_ST_UNBINDING] = "bound",
	[ESME_ST_BACKOFF] = "down",
};

/* Each onenter: "since" is when the state "show binds" shows changed. */
static void esme_entered(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;

	if (strcmp(esme_stats_state[prev], esme_stats_state[fi->state]))
		es->since = time(NULL);
}

/* Connect again; the bind must be answered within X1 of the start. */
static void esme_connect(struct osmo_fsm_inst *fi)
{
	osmo_fsm_inst_state_chg(fi, ESME_ST_CONNECTING, ESME_BIND_TIMEOUT_S, ESME_T_BIND);
}

/*
 * Close the connection (after a last best-effort write of what is queued:
 * a generic_nack or unbind_resp that should go out before the close), then
 * wait in BACKOFF for the next attempt, or, when stopping, go DISCONNECTED
 * and report done.
 */
static void esme_drop(struct osmo_fsm_inst *fi, const char *why_in, bool stop)
{
	struct esme *es = fi->priv;
	struct esme_conn *c = es->conn;
	char why[sizeof(c->why)];

	/* why_in is often c->why: keep a copy, c is freed below */
	OSMO_STRLCPY_ARRAY(why, why_in);
	if (c) {
		conn_flush(c);
		talloc_free(c);
	}
	if (stop) {
		LOGES(es, LOGL_NOTICE, "closed: %s\n", why);
		osmo_fsm_inst_state_chg(fi, ESME_ST_DISCONNECTED, 0, 0);
		return;
	}
	LOGES(es, LOGL_NOTICE, "dropped: %s; reconnecting in %u s\n", why, es->backoff);
	osmo_fsm_inst_state_chg(fi, ESME_ST_BACKOFF, es->backoff, ESME_T_BACKOFF);
	es->backoff = esme_backoff_next(es->backoff, es->cfg.reconnect_interval);
}

static void esme_fsm_disconnected_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;

	esme_entered(fi, prev);
	/* from the event loop: the caller may free the esme in done */
	osmo_timer_schedule(&es->done_timer, 0, 0);
}

static void esme_fsm_disconnected(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct esme *es = fi->priv;

	/* ESME_EV_STOP once more: done once more */
	osmo_timer_schedule(&es->done_timer, 0, 0);
}

/* A new connection, its connect started. */
static void esme_fsm_connecting_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;
	struct esme_conn *c;

	esme_entered(fi, prev);
	c = talloc_zero(es, struct esme_conn);
	if (!c) {
		esme_drop(fi, "out of memory", false);
		return;
	}
	c->es = es;
	c->ofd.fd = -1;
	INIT_LLIST_HEAD(&c->txq);
	INIT_LLIST_HEAD(&c->reqs);
	INIT_LLIST_HEAD(&c->acks);
	osmo_timer_setup(&c->link_timer, conn_link_cb, c);
	talloc_set_destructor(c, conn_destructor);
	es->conn = c;
	LOGES(es, LOGL_INFO, "connecting to %s\n", es->remote);
	if (conn_open(c) < 0)
		conn_drop(c);
}

static void esme_fsm_connecting(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	switch (event) {
	case ESME_EV_CONNECT_OK:
		/* X1 runs on: it counts from the start of the connect */
		osmo_fsm_inst_state_chg_keep_timer(fi, ESME_ST_BINDING);
		break;
	case ESME_EV_CONNECT_FAIL:
		esme_drop(fi, data, false);
		break;
	case ESME_EV_STOP:
		esme_drop(fi, "stopped", true);
		break;
	}
}

/* Connected: send bind_receiver or bind_transceiver (§4.1.3, §4.1.5). */
static void esme_fsm_binding_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;
	struct esme_conn *c = es->conn;
	struct smpp_pdu *p = &c->tx;

	esme_entered(fi, prev);
	LOGES(es, LOGL_NOTICE, "connected to %s\n", es->remote);
	smpp_pdu_init(p, es->cfg.bind_mode == ESME_BIND_RECEIVER ? SMPP_BIND_RECEIVER :
			 SMPP_BIND_TRANSCEIVER, 0);
	OSMO_STRLCPY_ARRAY(p->system_id, es->cfg.system_id);
	OSMO_STRLCPY_ARRAY(p->password, es->cfg.password);
	OSMO_STRLCPY_ARRAY(p->system_type, es->cfg.system_type);
	p->interface_version = 0x34;
	if (conn_request(c, p) < 0) {
		esme_drop(fi, "cannot send the bind", false);
		return;
	}
	esme_conn_update_when(c);
}

static void esme_fsm_binding(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct esme *es = fi->priv;
	const struct smpp_pdu *resp = data;

	switch (event) {
	case ESME_EV_BIND_OK:
		LOGES(es, LOGL_NOTICE, "bound to %s, SMSC system_id '%s'\n", es->remote,
		      resp->system_id);
		osmo_fsm_inst_state_chg(fi, ESME_ST_BOUND, 0, 0);
		break;
	case ESME_EV_BIND_FAIL:
	case ESME_EV_PEER_CLOSED:
	case ESME_EV_CONN_ERROR:
		esme_drop(fi, data, false);
		break;
	case ESME_EV_STOP:
		esme_drop(fi, "stopped", true);
		break;
	}
}

static void esme_fsm_bound_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;

	esme_entered(fi, prev);
	if (es->ever_bound)
		esme_ctr_inc(es, TXGW_CTR_SMPP_RECONNECTS);
	es->ever_bound = true;
	es->backoff = es->cfg.reconnect_interval ? es->cfg.reconnect_interval : 1;
	if (es->cfg.enquire_link_interval)
		osmo_timer_schedule(&es->conn->link_timer, es->cfg.enquire_link_interval, 0);
}

static void esme_fsm_bound(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct esme *es = fi->priv;
	struct esme_conn *c = es->conn;

	switch (event) {
	case ESME_EV_LINK_TIMEOUT:
	case ESME_EV_PEER_CLOSED:
	case ESME_EV_CONN_ERROR:
		esme_drop(fi, data, false);
		break;
	case ESME_EV_STOP:
		/* §4.2.1: unbind, then wait for unbind_resp */
		smpp_pdu_init(&c->tx, SMPP_UNBIND, 0);
		if (conn_request(c, &c->tx) < 0) {
			esme_drop(fi, "stopped", true);
			break;
		}
		osmo_fsm_inst_state_chg(fi, ESME_ST_UNBINDING, ESME_UNBIND_TIMEOUT_MS / 1000,
					ESME_T_UNBIND);
		break;
	}
}

static void esme_fsm_unbinding_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct esme *es = fi->priv;

	esme_entered(fi, prev);
	osmo_timer_del(&es->conn->link_timer);
}

static void esme_fsm_unbinding(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	switch (event) {
	case ESME_EV_UNBIND_DONE:
	case ESME_EV_PEER_CLOSED:
	case ESME_EV_CONN_ERROR:
		esme_drop(fi, data, true);
		break;
	case ESME_EV_STOP:
		/* the unbind is under way already */
		break;
	}
}

static void esme_fsm_backoff(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	/* ESME_EV_STOP: no connection to close */
	esme_drop(fi, "stopped", true);
}

static int esme_fsm_timer_cb(struct osmo_fsm_inst *fi)
{
	switch (fi->T) {
	case ESME_T_BIND:
		esme_drop(fi, "no bind_resp within " OSMO_STRINGIFY_VAL(ESME_BIND_TIMEOUT_S) " s",
			  false);
		break;
	case ESME_T_UNBIND:
		esme_drop(fi, "no unbind_resp within " OSMO_STRINGIFY_VAL(ESME_UNBIND_TIMEOUT_MS)
			  " ms", true);
		break;
	case ESME_T_BACKOFF:
		esme_connect(fi);
		break;
	}
	return 0;
}

#define E(x) S(ESME_EV_##x)
#define ST(x) S(ESME_ST_##x)

static const struct osmo_fsm_state esme_fsm_states[] = {
	[ESME_ST_DISCONNECTED] = {
		.name = "DISCONNECTED",
		.in_event_mask = E(STOP),
		.out_state_mask = ST(CONNECTING),
		.onenter = esme_fsm_disconnected_onenter,
		.action = esme_fsm_disconnected,
	},
	[ESME_ST_CONNECTING] = {
		.name = "CONNECTING",
		.in_event_mask = E(CONNECT_OK) | E(CONNECT_FAIL) | E(STOP),
		.out_state_mask = ST(BINDING) | ST(BACKOFF) | ST(DISCONNECTED),
		.onenter = esme_fsm_connecting_onenter,
		.action = esme_fsm_connecting,
	},
	[ESME_ST_BINDING] = {
		.name = "BINDING",
		.in_event_mask = E(BIND_OK) | E(BIND_FAIL) | E(PEER_CLOSED) | E(CONN_ERROR) |
				 E(STOP),
		.out_state_mask = ST(BOUND) | ST(BACKOFF) | ST(DISCONNECTED),
		.onenter = esme_fsm_binding_onenter,
		.action = esme_fsm_binding,
	},
	[ESME_ST_BOUND] = {
		.name = "BOUND",
		.in_event_mask = E(LINK_TIMEOUT) | E(PEER_CLOSED) | E(CONN_ERROR) | E(STOP),
		.out_state_mask = ST(UNBINDING) | ST(BACKOFF) | ST(DISCONNECTED),
		.onenter = esme_fsm_bound_onenter,
		.action = esme_fsm_bound,
	},
	[ESME_ST_UNBINDING] = {
		.name = "UNBINDING",
		.in_event_mask = E(UNBIND_DONE) | E(PEER_CLOSED) | E(CONN_ERROR) | E(STOP),
		.out_state_mask = ST(DISCONNECTED),
		.onenter = esme_fsm_unbinding_onenter,
		.action = esme_fsm_unbinding,
	},
	[ESME_ST_BACKOFF] = {
		.name = "BACKOFF",
		.in_event_mask = E(STOP),
		.out_state_mask = ST(CONNECTING) | ST(DISCONNECTED),
		.onenter = esme_entered,
		.action = esme_fsm_backoff,
	},
};

#undef E
#undef ST

static const struct value_string esme_fsm_event_names[] = {
	OSMO_VALUE_STRING(ESME_EV_CONNECT_OK),
	OSMO_VALUE_STRING(ESME_EV_CONNECT_FAIL),
	OSMO_VALUE_STRING(ESME_EV_BIND_OK),
	OSMO_VALUE_STRING(ESME_EV_BIND_FAIL),
	OSMO_VALUE_STRING(ESME_EV_LINK_TIMEOUT),
	OSMO_VALUE_STRING(ESME_EV_PEER_CLOSED),
	OSMO_VALUE_STRING(ESME_EV_CONN_ERROR),
	OSMO_VALUE_STRING(ESME_EV_UNBIND_DONE),
	OSMO_VALUE_STRING(ESME_EV_STOP),
	{ 0, NULL }
};

static struct osmo_fsm esme_fsm = {
	.name = "ESME",
	.states = esme_fsm_states,
	.num_states = ARRAY_SIZE(esme_fsm_states),
	.timer_cb = esme_fsm_timer_cb,
	.log_subsys = DSMPP,
	.event_names = esme_fsm_event_names,
};

static __attribute__((constructor)) void esme_fsm_init(void)
{
	OSMO_ASSERT(osmo_fsm_register(&esme_fsm) == 0);
}

/* ---- the public side ----------------------------------------------------- */

static int esme_destructor(struct esme *es)
{
	osmo_timer_del(&es->done_timer);
	if (es->conn)
		talloc_free(es->conn);
	if (es->fi)
		osmo_fsm_inst_term(es->fi, OSMO_FSM_TERM_REQUEST, NULL);
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


int esme_start(void *ctx, const struct esme_cfg *cfg, uint32_t bind_id,
	       const struct esme_ops *ops, void *data, struct rate_ctr_group *ctrs,
	       struct esme **out)
{
	const char *name = cfg->name ? cfg->name : "?";
	struct esme *es;

	if (!cfg_fits("system-id", name, cfg->system_id, 16) ||
	    !cfg_fits("password", name, cfg->password ? cfg->password : "", 9) ||
	    !cfg_fits("system-type", name, cfg->system_type ? cfg->system_type : "", 13) ||
	    !cfg_fits("remote-ip", name, cfg->remote_ip, 64))
		return -EINVAL;
	es = talloc_zero(ctx, struct esme);
	if (!es)
		goto oom;
	es->cfg = *cfg;
	INIT_LLIST_HEAD(&es->cfg.list);
	es->cfg.name = talloc_strdup(es, name);
	es->cfg.remote_ip = talloc_strdup(es, cfg->remote_ip);
	es->cfg.system_id = talloc_strdup(es, cfg->system_id);
	es->cfg.password = talloc_strdup(es, cfg->password ? cfg->password : "");
	es->cfg.system_type = talloc_strdup(es, cfg->system_type ? cfg->system_type : "");
	if (!es->cfg.name || !es->cfg.remote_ip || !es->cfg.system_id || !es->cfg.password ||
	    !es->cfg.system_type)
		goto oom;
	es->ack_ctx = ctx;
	es->bind_id = bind_id;
	es->ops = ops;
	es->data = data;
	es->ctrs = ctrs;
	es->backoff = cfg->reconnect_interval ? cfg->reconnect_interval : 1;
	es->since = time(NULL);
	snprintf(es->remote, sizeof(es->remote), strchr(cfg->remote_ip, ':') ? "[%s]:%u" : "%s:%u",
		 cfg->remote_ip, cfg->remote_port);
	osmo_timer_setup(&es->done_timer, esme_done_cb, es);
	talloc_set_destructor(es, esme_destructor);
	/* named by the esme node, "ESME(smsc1)" (other characters than an
	 * fsm id allows become '-') */
	es->fi = osmo_fsm_inst_alloc(&esme_fsm, es, es, LOGL_INFO, NULL);
	if (!es->fi)
		goto oom;
	if (osmo_fsm_inst_update_id_f_sanitize(es->fi, '-', "%s", name) < 0) {
		LOGP(DSMPP, LOGL_ERROR, "esme %s: not usable as an fsm instance id\n", name);
		talloc_free(es);
		return -EINVAL;
	}
	esme_connect(es->fi);
	*out = es;
	return 0;
oom:
	LOGP(DSMPP, LOGL_ERROR, "esme %s: out of memory\n", name);
	talloc_free(es);
	return -ENOMEM;
}

void esme_stop(struct esme *es, void (*done)(void *), void *data)
{
	es->done = done;
	es->done_data = data;
	osmo_fsm_inst_dispatch(es->fi, ESME_EV_STOP, NULL);
}

void esme_get_status(const struct esme *es, struct esme_status *st)
{
	memset(st, 0, sizeof(*st));
	st->name = es->cfg.name;
	st->state = esme_stats_state[es->fi->state];
	OSMO_STRLCPY_ARRAY(st->remote, es->remote);
	if (es->conn)
		st->window_used = es->conn->n_reqs + es->conn->n_acks;
	st->rx_pdus = es->rx_pdus;
	st->tx_pdus = es->tx_pdus;
	st->since = es->since;
}
