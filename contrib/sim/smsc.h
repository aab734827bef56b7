/*
 * smsc.h — the SMSC side of SMPP 3.4 for txgw-smsc-sim: a server the
 * gateway binds to as an ESME, which hands it deliver_sm PDUs with
 * store-and-forward.
 *
 * Binds (SMPP 3.4 §4.1): bind_receiver, bind_transceiver and
 * bind_transmitter are accepted with the configured system_id and
 * password (ESME_RINVSYSID / ESME_RINVPASWD otherwise); deliver_sm goes to
 * receivers and transceivers, round robin.  Several binds may be open.
 * Before a bind a peer may send only small PDUs (SMSC_PREBIND_MAX) and
 * must bind within SMSC_BIND_TIMEOUT_MS.
 *
 * Store and forward: each queued message (a packed deliver_sm) is kept
 * until a deliver_sm_resp with ESME_ROK comes back for it.  It is sent
 * again after resp_timeout_ms without an answer, after retry_ms when the
 * answer is a temporary error (ESME_RX_T_APPN, ESME_RTHROTTLED,
 * ESME_RMSGQFUL, ESME_RSYSERR), and when its bind goes away (unbind,
 * close, drop).  Any other status fails it for good.  The owner hears of
 * both ends through smsc_ops.done.
 *
 * Flow: at most `window` deliver_sm unanswered per bind (§2.10); at most
 * `rate` per second over all binds (a token bucket, retries included).
 * The SMSC sends its own enquire_link every enquire_ms and closes a bind
 * that leaves it unanswered for resp_timeout_ms; it answers the peer's.
 *
 * Faults on demand (0 = off), counted per SMSC:
 *   drop_every N      close the connection SMSC_DROP_GRACE_MS after every
 *                     N-th PDU sent on it, sending no deliver_sm meanwhile:
 *                     answers that come in time count, the others are lost
 *                     (the peer must bind again; those messages go again)
 *   delay_ms D        every response the SMSC sends waits D ms
 *   throttle_every N  every Nth bind, submit_sm or data_sm the peer sends
 *                     is answered ESME_RTHROTTLED (the peer must back off
 *                     and try again; the bind stays unbound)
 *   corrupt_every N   before every Nth deliver_sm, one malformed PDU,
 *                     in turn: an unknown command_id, a deliver_sm whose
 *                     sm_length runs past its body, a deliver_sm cut in the
 *                     middle of a field.  Each is framed correctly, so the
 *                     stream stays in step; the peer should answer
 *                     generic_nack (or an error response) and keep the bind
 *   duplicate_every N every Nth deliver_sm is sent a second time at once,
 *                     under a new sequence_number (not tracked)
 *
 * One thread; no global state.  smsc_poll() runs one round of the loop.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMSC_PREBIND_MAX	512	/* largest PDU before a bind */
#define SMSC_BIND_TIMEOUT_MS	10000
#define SMSC_MAX_WINDOW		4096
#define SMSC_DROP_GRACE_MS	100

struct smsc_cfg {
	const char *system_id;		/* what a bind must carry */
	const char *password;
	unsigned window;		/* unanswered deliver_sm per bind, 1..SMSC_MAX_WINDOW */
	double rate;			/* deliver_sm per second; 0: no limit */
	unsigned resp_timeout_ms;
	unsigned retry_ms;		/* wait after a temporary error */
	unsigned enquire_ms;		/* our enquire_link period; 0: never */
	uint32_t max_pdu;		/* largest PDU from a bound peer */
	unsigned drop_every;
	unsigned delay_ms;
	unsigned throttle_every;
	unsigned corrupt_every;
	unsigned duplicate_every;
};

/* Defaults: window 64, no rate limit, resp_timeout 5 s, retry 1 s,
 * enquire_link every 30 s, max_pdu 70000, no faults. */
void smsc_cfg_default(struct smsc_cfg *c);

struct smpp_pdu;

struct smsc_ops {
	/* A message's end: status ESME_ROK (delivered) or the permanent
	 * error status that failed it. */
	void (*done)(void *data, uint64_t tag, uint32_t status);
	/* Optional: a line for the log ("bind 2 from 127.0.0.1:5555 ..."). */
	void (*log)(void *data, const char *line);
	/*
	 * Optional: a submit_sm or data_sm from a transmitter or transceiver
	 * (smsc_mt.h): the status to answer with (message_id filled for
	 * ESME_ROK), SMSC_NO_ANSWER, or SMSC_DROP (no answer, and the
	 * connection closed SMSC_DROP_GRACE_MS later).  Without it each is
	 * answered ESME_ROK (or throttled, throttle_every).
	 */
	uint32_t (*submit)(void *data, unsigned conn, const struct smpp_pdu *p, char *message_id,
			   size_t cap);
};

#define SMSC_NO_ANSWER	0xffffffffu
#define SMSC_DROP	0xfffffffeu

#define SMSC_LAT_STEP_US	50		/* histogram bucket: 50 µs */
#define SMSC_LAT_BUCKETS	40000		/* up to 2 s; slower in the last bucket */

struct smsc_stats {
	uint64_t queued;		/* messages given to smsc_queue() */
	uint64_t sent;			/* deliver_sm sent, retries included */
	uint64_t acked;			/* messages answered ESME_ROK */
	uint64_t failed;		/* messages failed by a permanent error */
	uint64_t retries;		/* messages sent again */
	uint64_t timeouts;		/* ... because no answer came in time */
	uint64_t temp_errors;		/* ... because of a temporary error */
	uint64_t requeued;		/* ... because their bind went away */
	uint64_t late_resps;		/* answers to nothing we wait for */
	uint64_t generic_nacks;		/* generic_nack received */
	uint64_t dup_sent, corrupt_sent, drops, throttled;
	uint64_t binds, bind_refused, unbinds, enquire_rx, enquire_tx;
	uint64_t submits;		/* submit_sm / data_sm from the peer */
	unsigned connections;		/* open now */
	unsigned bound_rx;		/* binds that take deliver_sm now */
	size_t in_flight;		/* sent, unanswered */
	size_t waiting;			/* queued, not sent (or waiting to retry) */
	/* deliver_sm -> deliver_sm_resp times, in SMSC_LAT_STEP_US buckets */
	uint64_t lat_n;
	uint64_t lat_max_us;
	uint32_t lat_hist[SMSC_LAT_BUCKETS];
};

/* The time from sending a deliver_sm to its response below which p% of
 * the responses came, in microseconds (bucket resolution). */
uint64_t smsc_latency_us(const struct smsc_stats *st, double p);

struct smsc;

/*
 * Listen on addr:port (port 0 picks a free one: smsc_port()).  cfg is
 * copied (its strings must outlive the SMSC).  Returns 0, -EINVAL (bad
 * cfg or address), or -errno from socket/bind/listen.
 */
int smsc_new(void *ctx, const struct smsc_cfg *cfg, const char *addr, uint16_t port,
	     const struct smsc_ops *ops, void *data, struct smsc **out);

/* Close every connection and the listener; messages are dropped. */
void smsc_free(struct smsc *s);

uint16_t smsc_port(const struct smsc *s);

/*
 * Queue a packed deliver_sm (its sequence_number is set when it is sent)
 * for store and forward; tag comes back in ops.done.  The bytes are
 * copied.  Returns 0, -EINVAL (not a deliver_sm of len octets), -ENOMEM.
 */
int smsc_queue(struct smsc *s, const uint8_t *pdu, size_t len, uint64_t tag);

/* One round: wait up to timeout_ms for sockets, then accept, read,
 * answer, time out, retry and send what the window and rate allow.
 * Returns 0, or -errno when poll() fails. */
int smsc_poll(struct smsc *s, int timeout_ms);

const struct smsc_stats *smsc_get_stats(struct smsc *s);

/* Say goodbye: an unbind to every bound peer (the connections close once
 * answered, or at smsc_free()). */
void smsc_unbind_all(struct smsc *s);

/* Whether a deliver_sm_resp / generic_nack status is a temporary one
 * (retry later) rather than a permanent failure. */
bool smsc_status_temporary(uint32_t status);
