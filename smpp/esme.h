/*
 * esme.h — txgw's SMPP 3.4 ESME client: one bind per "esme" node of the
 * configuration (doc/config.md), receiving mobile-originated messages as
 * deliver_sm and data_sm and handing each to the gateway, and sending the
 * gateway's messages for handsets as submit_sm (doc/downlink.md).
 *
 * One connection at a time, on the libosmocore event loop (osmo_select):
 * a non-blocking connect, bind_receiver or bind_transceiver (§4.1),
 * enquire_link both ways (§4.11), unbind both ways (§4.2), reconnection with
 * exponential back-off from reconnect-interval up to 60 s.  The bind's
 * life is an osmo_fsm, "ESME", an instance per esme node named by it
 * (VTY: show fsm-instances all; transitions logged on DSMPP at info).
 * PDUs are read in two states, the 4-octet command_length first, checked
 * (16 .. ESME_PDU_MAX) before the body buffer is allocated (§3.2).
 *
 * A received deliver_sm/data_sm is answered only when the gateway calls
 * esme_ack(): after everything it produced is in the journal and synced.
 * The gateway must answer within ESME_ACK_DEADLINE_MS; past it the ESME
 * answers ESME_RX_T_APPN itself, so the SMSC (OsmoMSC gives an ESME 5 s)
 * retries later instead of timing out.
 *
 * A delivery receipt (a deliver_sm whose esm_class says so, §5.2.12) goes
 * to ops->receipt when the gateway has it, and is answered the same way.
 *
 * submit_sm (§4.4): esme_submit() sends one on a bound transceiver or
 * transmitter, within "window" (our requests unanswered, enquire_link
 * included; the deliver_sm we hold do not count, they go the other way),
 * and hands its answer to a callback: the submit_sm_resp (or a
 * generic_nack) status and message_id, or -ETIMEDOUT when none came
 * within response-timeout, or -ECONNRESET when the bind went first.
 *
 * Single-threaded: every function here is called from the event loop's
 * thread, and none from inside ops->sms or ops->receipt.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "gateway/sms/sms_in.h"

/* One "esme" node of the configuration (doc/config.md "smpp"). */
enum esme_bind_mode {
	ESME_BIND_TRANSCEIVER,
	ESME_BIND_RECEIVER,
	ESME_BIND_TRANSMITTER,	/* submit_sm only; the SMSC sends us nothing */
};

/* How to read data_coding 1: IA5/ASCII as SMPP 3.4 says, or unpacked GSM
 * septets as OsmoMSC sends 7-bit SMS. */
enum esme_dc1 {
	ESME_DC1_ASCII,
	ESME_DC1_GSM7,
};

struct esme_cfg {
	struct llist_head list;
	char *name;
	char *remote_ip;
	uint16_t remote_port;
	char *system_id;
	char *password;
	char *system_type;
	enum esme_bind_mode bind_mode;
	unsigned window;
	unsigned enquire_link_interval;	/* s */
	unsigned reconnect_interval;	/* s, first retry; backs off to 60 */
	enum esme_dc1 data_coding_1;
	unsigned response_timeout;	/* s, for a submit_sm_resp; 0: ESME_RESPONSE_TIMEOUT_S */
};

struct rate_ctr_group;

/*
 * The largest PDU accepted once bound: a message_payload of 65535 octets
 * (§5.3.2.32, its TLV header 4) plus the largest mandatory part (data_sm
 * addresses of 65 octets, §4.7.1) and other TLVs, rounded up to 70 KiB.
 * Before the bind succeeds only a bind_resp or generic_nack is expected,
 * so the limit is ESME_PDU_MAX_UNBOUND (HACKING.md, Style 5: tighter limits before
 * the peer is known).
 */
#define ESME_PDU_MAX		(70 * 1024)
#define ESME_PDU_MAX_UNBOUND	1024
/* How long the gateway may take over one message before we answer 0x64. */
#define ESME_ACK_DEADLINE_MS	4000
/* bind_resp expected within this, counted from the start of the connect. */
#define ESME_BIND_TIMEOUT_S	10
/* esme_stop() waits this long for unbind_resp. */
#define ESME_UNBIND_TIMEOUT_MS	2000
/* The back-off ceiling (unless reconnect-interval is longer still). */
#define ESME_BACKOFF_MAX_S	60
/* How long a submit_sm may wait for its answer by default. */
#define ESME_RESPONSE_TIMEOUT_S	30

struct esme;
/* One received deliver_sm/data_sm waiting for its answer. */
struct esme_ack;
struct smpp_receipt;

struct esme_ops {
	/*
	 * A message to take.  in points into the received PDU and is valid
	 * only during this call.  The gateway answers later with
	 * esme_ack(ack, status), never from inside this call.  Return
	 * non-zero to refuse at once: the ESME answers ESME_RX_T_APPN and
	 * frees ack (do not call esme_ack() on it then).
	 */
	int (*sms)(void *data, const struct sms_in *in, struct esme_ack *ack);
	/*
	 * Optional: an SMSC delivery receipt (smpp_receipt.h), answered
	 * through ack like a message, and refused the same way.  Without it
	 * a receipt is answered ESME_ROK and dropped.  A receipt that names
	 * no message is answered ESME_ROK, logged and counted here.
	 */
	int (*receipt)(void *data, const struct smpp_receipt *r, struct esme_ack *ack);
	/*
	 * Optional: the esme can take a submit_sm now where it could not
	 * (it became bound, an answer freed a place in the window).  Called
	 * from the event loop; esme_submit() may be called from it.
	 */
	void (*tx_ready)(void *data, struct esme *es);
};

/* One submit_sm (§4.4.1): what the gateway sets; the rest is zero. */
struct esme_submit {
	const char *source_addr;
	uint8_t source_addr_ton, source_addr_npi;
	const char *destination_addr;
	uint8_t dest_addr_ton, dest_addr_npi;
	uint8_t esm_class;
	uint8_t registered_delivery;
	uint8_t data_coding;
	const uint8_t *sm;		/* short_message, at most 254 octets */
	size_t sm_len;
	bool has_umr;			/* a user_message_reference TLV (§5.3.2.17) */
	uint16_t umr;
};

/* What became of a submit_sm. */
struct esme_submit_result {
	int err;			/* 0: answered (status); -ETIMEDOUT, -ECONNRESET */
	uint32_t status;		/* command_status of submit_sm_resp / generic_nack */
	const char *message_id;		/* the SMSC's id when ESME_ROK ("" else), valid
					 * during the call */
};

typedef void (*esme_submit_cb)(void *data, const struct esme_submit_result *r);

/*
 * esme_start — start the bind of one esme node: connect at once, then
 * keep the bind up until esme_stop().  cfg is copied.  bind_id goes into
 * every sms_in (the reassembly key).  ctrs (may be NULL) is the group of
 * counters.h; its TXGW_CTR_SMPP_* counters are counted.  The esme is
 * allocated under ctx; the acks it hands out are allocated under ctx too,
 * so that esme_ack() stays safe after the esme is freed.
 * Returns 0 with *out set, or a negative errno with the reason logged:
 * -EINVAL when a setting cannot be sent (system_id over 15 characters,
 * password over 8, system_type over 12, no remote-ip), -ENOMEM.
 */
int esme_start(void *ctx, const struct esme_cfg *cfg, uint32_t bind_id,
	       const struct esme_ops *ops, void *data, struct rate_ctr_group *ctrs,
	       struct esme **out);

/*
 * esme_ack — answer the deliver_sm/data_sm behind ack: status 0 ->
 * ESME_ROK, negative -> ESME_RX_T_APPN (the SMSC retries later).  Sent
 * only if the connection that received it is still up and the answer was
 * not already given (deadline); otherwise nothing is sent and the SMSC
 * resends after reconnecting.  Frees ack.
 */
void esme_ack(struct esme_ack *ack, int status);

/*
 * esme_stop — send unbind, wait for unbind_resp (at most
 * ESME_UNBIND_TIMEOUT_MS), close and stay down; then call done(data) from
 * the event loop (also when the bind was not up).  The caller may free
 * the esme in done.
 */
void esme_stop(struct esme *es, void (*done)(void *), void *data);

/*
 * esme_submit — send a submit_sm now.  Returns 0 (cb is called once,
 * later, never from inside this call), -ENOTCONN (not bound, or bound
 * as a receiver), -ENOSPC (the window is full), -EINVAL (the PDU cannot be
 * packed: an address over 20 characters, sm over 254 octets), -ENOMEM.
 * If the esme is freed first, cb is not called.
 */
int esme_submit(struct esme *es, const struct esme_submit *req, esme_submit_cb cb, void *data);

/* Whether esme_submit() would send now: bound, able to transmit, a place
 * in the window. */
bool esme_can_submit(const struct esme *es);
/* Whether this bind can ever transmit (not a receiver). */
bool esme_transmits(const struct esme *es);
/* The bind's name (its esme node). */
const char *esme_name(const struct esme *es);

/* For "show binds" (stats.md). */
struct esme_status {
	const char *name;
	const char *state;		/* down|connecting|binding|bound */
	char remote[64];		/* "IP:PORT" */
	unsigned window_used;		/* our requests awaiting a response plus
					 * received messages awaiting esme_ack() */
	uint64_t rx_pdus, tx_pdus;	/* over the life of the esme */
	int64_t since;			/* unix s of the last state change */
};
void esme_get_status(const struct esme *es, struct esme_status *st);

/*
 * The reconnect delay after one of cur seconds: doubled, at most
 * max(ESME_BACKOFF_MAX_S, first) where first is reconnect-interval.
 */
unsigned esme_backoff_next(unsigned cur, unsigned first);
