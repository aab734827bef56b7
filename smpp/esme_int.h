/*
 * esme_int.h — what the parts of the ESME share: esme.c (connection,
 * writer, bind state machine, life cycle, public side), esme_pdu.c (the
 * PDUs received: the reader's framing, dispatch, the messages handed to
 * the gateway and their answers) and esme_submit.c (submit_sm and its
 * answer).  Not for use outside them.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/log_ratelimit.h"
#include "gateway/lib/logging.h"
#include "smpp/esme.h"
#include "smpp/smpp_pdu.h"

/* "ESME(smsc1){BOUND}: ...": the bind's name and state on every line. */
#define LOGES(es, lvl, fmt, args...) \
	LOGPFSML((es)->fi, lvl, fmt, ##args)

/*
 * LOGES for a line the SMSC can cause at will (a bad PDU, a receipt):
 * at most one a second of its kind rl, the next one saying how many were
 * held back (gateway/lib/log_ratelimit.h).  fmt has no trailing newline.
 */
#define LOGES_RL(es, rl, lvl, fmt, args...) \
	do { \
		unsigned long _rl_held; \
		if (log_check_level((es)->fi->fsm->log_subsys, lvl) && \
		    log_ratelimit_pass(rl, &_rl_held)) \
			LOGES(es, lvl, fmt "%s\n", ##args, log_ratelimit_held_str(_rl_held)); \
	} while (0)

/* Queued output past which we stop reading (the peer does not read). */
#define ESME_TXQ_MAX		(256 * 1024)
/* PDUs handled per readable event, so one busy peer cannot starve the loop. */
#define ESME_READ_BUDGET	64
/* §3.2: sequence_number runs 0x00000001 .. 0x7FFFFFFF. */
#define ESME_SEQ_MAX		0x7fffffffu

/*
 * The bind's life, an osmo_fsm ("ESME", one instance per esme node, named
 * by it; esme.c holds the table of the events each state takes and the
 * states it may go to).  "show binds" shows fewer states (esme_get_status).
 */
enum esme_fsm_state {
	ESME_ST_DISCONNECTED,	/* before the start, and after esme_stop() */
	ESME_ST_CONNECTING,	/* TCP connect under way (X1 running) */
	ESME_ST_BINDING,	/* bind sent, bind_resp awaited (X1 running) */
	ESME_ST_BOUND,
	ESME_ST_UNBINDING,	/* esme_stop() sent unbind (X2 running) */
	ESME_ST_BACKOFF,	/* connection lost, the next attempt waits (X3) */
};

enum esme_fsm_event {
	ESME_EV_CONNECT_OK,	/* the socket is connected */
	ESME_EV_CONNECT_FAIL,	/* data: the reason */
	ESME_EV_BIND_OK,	/* bind_*_resp ESME_ROK (§4.1.4, §4.1.6) */
	ESME_EV_BIND_FAIL,	/* refused, nacked or unreadable; data: the reason */
	ESME_EV_LINK_TIMEOUT,	/* enquire_link unanswered (§4.11); data: the reason */
	ESME_EV_PEER_CLOSED,	/* the SMSC closed or unbound (§4.2.1); data: the reason */
	ESME_EV_CONN_ERROR,	/* I/O error, a PDU that cannot be framed; data: the reason */
	ESME_EV_UNBIND_DONE,	/* unbind_resp (§4.2.2) or its generic_nack */
	ESME_EV_STOP,		/* esme_stop() */
};

/* The fsm timers (fi->T): Osmocom-specific, so negative ("X1"). */
#define ESME_T_BIND	-1	/* ESME_BIND_TIMEOUT_S from the start of the connect */
#define ESME_T_UNBIND	-2	/* ESME_UNBIND_TIMEOUT_MS for unbind_resp */
#define ESME_T_BACKOFF	-3	/* the reconnect delay, es->backoff */

struct esme_tx {
	struct llist_head list;
	size_t len, off;
	uint8_t data[];
};

/*
 * A request of ours waiting for its response (bounded by "window").  A
 * submit_sm's has a callback and a response timer, and lives under the
 * esme, not the connection: when the bind goes, it moves to es->lost and
 * its callback hears -ECONNRESET from a zero timer (esme_submit.c), never
 * from inside the connection's teardown.
 */
struct esme_req {
	struct llist_head list;		/* c->reqs, or es->lost */
	uint32_t cmd, seq;
	esme_submit_cb cb;
	void *cb_data;
	struct esme *es;
	struct esme_conn *c;		/* NULL once on es->lost */
	struct osmo_timer_list timer;
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
	struct osmo_timer_list link_timer;	/* enquire_link interval */
	struct smpp_pdu rx, tx;	/* scratch: too large for the stack */
	uint32_t fail_ev;	/* the event of the coming drop */
	char why[160];		/* and its reason */
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

	struct osmo_fsm_inst *fi;	/* fi->state: enum esme_fsm_state */
	int64_t since;
	struct esme_conn *conn;	/* NULL when down */
	unsigned backoff;	/* s, the next reconnect delay */
	bool ever_bound;
	uint64_t rx_pdus, tx_pdus;
	char remote[64];
	/*
	 * The lines the SMSC can cause at will, one kind each, kept across
	 * reconnects (a new connection gets no fresh budget): a hostile SMSC
	 * costs a line a second per kind, not one per PDU; the counters
	 * count every PDU.
	 */
	struct {
		struct log_ratelimit bad_pdu;	/* the codec refused it */
		struct log_ratelimit bad_msg;	/* deliver_sm/data_sm refused */
		struct log_ratelimit not_served;	/* an SMSC-bound request */
		struct log_ratelimit unexpected;	/* a response to nothing asked */
		struct log_ratelimit nack_rx;	/* generic_nack received */
		struct log_ratelimit ignored;	/* alert_notification, outbind */
		struct log_ratelimit receipt;	/* delivery receipts */
		struct log_ratelimit ack_late;	/* the gateway took too long */
	} rl;

	void (*done)(void *);
	void *done_data;
	struct osmo_timer_list done_timer;

	struct llist_head lost;		/* submit_sm whose bind went: struct esme_req */
	struct osmo_timer_list lost_timer;
	struct log_ratelimit rl_receipt;	/* receipts naming no message */
};

#define S(x) (1u << (x))

/* esme.c */
/* Whether the connection reads its socket now (back-pressure). */
bool esme_conn_reading(const struct esme_conn *c);
void esme_ctr_inc(struct esme *es, unsigned idx);
/*
 * Record the event and the reason of a drop, dispatched once the handlers
 * have returned; returns -ECONNABORTED for the handler to pass up.
 */
int esme_conn_fail(struct esme_conn *c, uint32_t ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void esme_conn_update_when(struct esme_conn *c);
int esme_conn_send_resp(struct esme_conn *c, uint32_t id, uint32_t seq, uint32_t status);
void esme_conn_send_error(struct esme_conn *c, uint32_t cmd, uint32_t seq, uint32_t status);
/* Send a request of ours, counted against "window": 0, -ENOSPC when it is
 * full, -EINVAL, -ENOMEM; *out (may be NULL) is the waiting request. */
int esme_conn_request(struct esme_conn *c, struct smpp_pdu *p, struct esme_req **out);
/*
 * Take the request a response (or generic_nack) answers, and hand a
 * submit_sm's callback the answer; false when we sent no such request.
 */
bool esme_conn_req_take(struct esme_conn *c, const struct smpp_pdu *resp);
void esme_ack_detach(struct esme_ack *a);
bool esme_bind_transmits(enum esme_bind_mode m);

/* esme_submit.c */
/* The connection goes: its submit_sm to es->lost, failed from a timer. */
void esme_submit_conn_gone(struct esme_conn *c);
/* A request is answered: free it, calling a submit_sm's callback. */
void esme_req_answered(struct esme_conn *c, struct esme_req *r, const struct smpp_pdu *resp);
/* The esme goes: drop what is on es->lost without calling back. */
void esme_submit_drop_lost(struct esme *es);
void esme_lost_timer_cb(void *data);

/* esme_pdu.c: read what the socket has, handle whole PDUs. */
int esme_conn_read(struct esme_conn *c);
