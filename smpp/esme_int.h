/*
 * esme_int.h — what the two halves of the ESME share: esme.c (connection,
 * writer, bind state machine, life cycle, public side) and esme_pdu.c (the
 * PDUs received: the reader's framing, dispatch, the messages handed to
 * the gateway and their answers).  Not for use outside them.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/logging.h"
#include "smpp/esme.h"
#include "smpp/smpp_pdu.h"

#define LOGES(es, lvl, fmt, args...) \
	LOGP(DSMPP, lvl, "esme %s: " fmt, (es)->cfg.name, ##args)

/* Queued output past which we stop reading (the peer does not read). */
#define ESME_TXQ_MAX		(256 * 1024)
/* PDUs handled per readable event, so one busy peer cannot starve the loop. */
#define ESME_READ_BUDGET	64
/* §3.2: sequence_number runs 0x00000001 .. 0x7FFFFFFF. */
#define ESME_SEQ_MAX		0x7fffffffu

/*
 * The bind states (HACKING.md, Style 8: a table of states and the moves allowed
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

#define S(x) (1u << (x))

/* esme.c */
const char *esme_state_name(enum esme_state st);
/* Whether the connection reads its socket now (back-pressure). */
bool esme_conn_reading(const struct esme_conn *c);
void esme_ctr_inc(struct esme *es, unsigned idx);
void esme_enter(struct esme *es, enum esme_state st);
/* Record the reason of a drop; returns -ECONNABORTED for the handler to pass up. */
int esme_conn_fail(struct esme_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void esme_conn_update_when(struct esme_conn *c);
int esme_conn_send_resp(struct esme_conn *c, uint32_t id, uint32_t seq, uint32_t status);
void esme_conn_send_error(struct esme_conn *c, uint32_t cmd, uint32_t seq, uint32_t status);
bool esme_conn_req_take(struct esme_conn *c, uint32_t cmd, uint32_t seq);
void esme_ack_detach(struct esme_ack *a);

/* esme_pdu.c: read what the socket has, handle whole PDUs. */
int esme_conn_read(struct esme_conn *c);
