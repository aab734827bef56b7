/*
 * smtp.h — the SMTP service (config.md "mail"): RFC 5321 ESMTP as the final
 * destination for smtp-domain, on the libosmocore select loop.
 *
 * Sessions run smtp_fsm.c's table; the service does the I/O around it:
 * non-blocking sockets, PIPELINING (commands in order, replies sent in one
 * write per batch), the DATA body through dotstuff.c, BDAT chunks read
 * exactly (RFC 3030), STARTTLS with OpenSSL (RFC 3207; TLS 1.2 at least;
 * what was pipelined after STARTTLS is dropped; with smtp-require-tls,
 * 530 before it), limits (line 1000 octets: 500; message over
 * smtp-max-size: 552 with the rest read and dropped; smtp-max-sessions:
 * 421 4.3.2; smtp-max-sessions-per-ip: 421 4.7.0; 10 bad commands: 421;
 * smtp-max-commands: 421 4.7.0) and time limits: idle timeouts (RFC 5321
 * §4.5.3.2) that only a whole command line, or DATA/BDAT octets, set
 * again — not any byte —, the session's whole life (smtp-max-session-time),
 * and a least data rate during DATA/BDAT (smtp-min-data-rate), each 421
 * 4.4.2.  Running out of descriptors pauses accepting (accept_guard.h).
 *
 * A complete mail goes to ops->deliver(); the session then reads nothing
 * more (back-pressure) until the gateway answers with smtp_deliver_done().
 * The reply to the end of the data is that answer: 250 only when the
 * gateway says so.
 *
 * The process must ignore SIGPIPE (OpenSSL writes with write(2)).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The "mail" node of the configuration (doc/config.md). */
struct smtp_cfg {
	bool enabled;
	char *addr;
	uint16_t port;
	char *domain;
	uint32_t max_size;
	char *tls_cert;
	char *tls_key;
	unsigned max_sessions;
	unsigned max_sessions_per_ip;	/* 0: no cap (smtp_peer.h) */
	unsigned max_commands;	/* command lines per session; 0: no cap */
	bool require_tls;	/* 530 before STARTTLS; needs tls_cert */
	unsigned timeout_cmd;	/* s, waiting for a command (RFC 5321 §4.5.3.2.7) */
	unsigned timeout_data;	/* s, between blocks of DATA (§4.5.3.2.5) */
	unsigned timeout_final;	/* s, after the final dot (§4.5.3.2.6) */
	unsigned max_session_time;	/* s, a session's whole life; 0: no cap */
	uint32_t min_data_rate;	/* octets/s during DATA and BDAT; 0: no check */
	unsigned min_data_window;	/* s, the rate is checked over each such window */
};

struct rate_ctr_group;

struct smtp_srv;
struct smtp_deliver;	/* one mail waiting for its answer */

struct smtp_ops {
	/*
	 * A complete mail (after un-dot-stuffing or BDAT assembly): the
	 * envelope and the raw message bytes (valid during the call; copy
	 * what you keep).  mail_from is "" for the null reverse-path.  The
	 * gateway answers later with smtp_deliver_done(d, code, enhanced,
	 * text): 250 2.0.0, 451 4.3.0, 552 5.3.4, 554 5.6.0 ... (never from
	 * inside this call).
	 */
	void (*deliver)(void *data, const char *mail_from, const char *const *rcpts,
			unsigned n_rcpts, const uint8_t *msg, size_t len, struct smtp_deliver *d);
};

/*
 * RFC 5321 §4.5.3.2: how long a session may stay silent; and how long it
 * may last, and how slowly it may send its data.  A command timeout is set
 * again by each whole command line only, a data timeout by DATA/BDAT
 * octets; min_rate octets/s must come in each rate window of the data
 * (from the DATA or first BDAT on, until the mail ends).
 */
struct smtp_timeouts {
	unsigned cmd_ms;	/* waiting for a command (§4.5.3.2.7: 5 min) */
	unsigned data_ms;	/* between blocks of DATA / BDAT (§4.5.3.2.5: 3 min) */
	unsigned final_ms;	/* after the final dot, for the gateway's answer
				 * (§4.5.3.2.6: the client waits 10 min) */
	unsigned session_ms;	/* the whole session; 0: no cap */
	unsigned rate_window_ms;	/* the data rate's window; 0: no check */
	uint32_t min_rate;	/* octets/s over each window */
};
#define SMTP_TIMEOUT_CMD_MS	(5 * 60 * 1000)
#define SMTP_TIMEOUT_DATA_MS	(3 * 60 * 1000)
#define SMTP_TIMEOUT_FINAL_MS	(10 * 60 * 1000)
#define SMTP_SESSION_MS		(10 * 60 * 1000)
#define SMTP_RATE_WINDOW_MS	(30 * 1000)
#define SMTP_MIN_RATE		1024
#define SMTP_MAX_COMMANDS	1000
#define SMTP_MAX_PER_IP		10

/*
 * Listen on cfg->addr:port (port 0: any free port, see
 * smtp_srv_port()) and serve sessions.  cfg is read now; the strings are
 * copied.  With cfg->tls_cert/key set, STARTTLS is offered.  ctrs:
 * the counter group of counters.h (smtp:sessions, smtp:messages,
 * smtp:rejected) or NULL.  Allocated under ctx; the answers still owed
 * (struct smtp_deliver) too, so that they outlive the service.
 * The time limits are cfg's (seconds; smtp_srv_set_timeouts() may change
 * them after).
 * Returns 0 and *out, or a negative errno after logging why on DSMTP:
 * -EINVAL (no smtp-listen, no domain, bad certificate or key, require_tls
 * without a certificate), -EADDRINUSE (cannot listen), -ENOMEM.
 */
int smtp_srv_open(void *ctx, const struct smtp_cfg *cfg, const struct smtp_ops *ops, void *data,
		  struct rate_ctr_group *ctrs, struct smtp_srv **out);

/* Replace the time limits (for tests, in ms); applies from each session's
 * next wait (session_ms: to sessions opened after). */
void smtp_srv_set_timeouts(struct smtp_srv *s, const struct smtp_timeouts *t);

/* The local port the service listens on. */
uint16_t smtp_srv_port(const struct smtp_srv *s);

/* Sessions open now. */
unsigned smtp_srv_sessions(const struct smtp_srv *s);

/*
 * The gateway's answer to a delivered mail: code 250 (enhanced "2.0.0"),
 * 451 "4.3.0" when the journal could not take it, 5xx to refuse; text
 * optional.  Frees d.  Safe when the session has died meanwhile (then the
 * answer goes nowhere).  The session goes on with what the client
 * pipelined after the mail, from the select loop.
 */
void smtp_deliver_done(struct smtp_deliver *d, int code, const char *enhanced, const char *text);

/* Stop listening and close every session; answers still owed stay valid
 * for smtp_deliver_done() and go nowhere. */
void smtp_srv_close(struct smtp_srv *s);
