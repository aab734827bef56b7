/*
 * smtp.h — the SMTP service (config.md "mail"): RFC 5321 ESMTP as the final
 * destination for smtp-domain, on the libosmocore select loop.
 *
 * Sessions run smtp_fsm.c's table; the service does the I/O around it:
 * non-blocking sockets, PIPELINING (commands in order, replies sent in one
 * write per batch), the DATA body through dotstuff.c, BDAT chunks read
 * exactly (RFC 3030), STARTTLS with OpenSSL (RFC 3207; TLS 1.2 at least;
 * what was pipelined after STARTTLS is dropped), limits (line 1000 octets:
 * 500; message over smtp-max-size: 552 with the rest read and dropped;
 * smtp-max-sessions: 421; 10 bad commands: 421) and idle timeouts
 * (RFC 5321 §4.5.3.2).
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
	unsigned timeout_cmd;	/* s, waiting for a command (RFC 5321 §4.5.3.2.7) */
	unsigned timeout_data;	/* s, between blocks of DATA (§4.5.3.2.5) */
	unsigned timeout_final;	/* s, after the final dot (§4.5.3.2.6) */
};
#include <stddef.h>
#include <stdint.h>

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

/* RFC 5321 §4.5.3.2: how long a session may stay silent. */
struct smtp_timeouts {
	unsigned cmd_ms;	/* waiting for a command (§4.5.3.2.7: 5 min) */
	unsigned data_ms;	/* between blocks of DATA / BDAT (§4.5.3.2.5: 3 min) */
	unsigned final_ms;	/* after the final dot, for the gateway's answer
				 * (§4.5.3.2.6: the client waits 10 min) */
};
#define SMTP_TIMEOUT_CMD_MS	(5 * 60 * 1000)
#define SMTP_TIMEOUT_DATA_MS	(3 * 60 * 1000)
#define SMTP_TIMEOUT_FINAL_MS	(10 * 60 * 1000)

/*
 * Listen on cfg->addr:port (port 0: any free port, see
 * smtp_srv_port()) and serve sessions.  cfg is read now; the strings are
 * copied.  With cfg->tls_cert/key set, STARTTLS is offered.  ctrs:
 * the counter group of counters.h (smtp:sessions, smtp:messages,
 * smtp:rejected) or NULL.  Allocated under ctx; the answers still owed
 * (struct smtp_deliver) too, so that they outlive the service.
 * Returns 0 and *out, or a negative errno after logging why on DSMTP:
 * -EINVAL (no smtp-listen, no domain, bad certificate or key),
 * -EADDRINUSE (cannot listen), -ENOMEM.
 */
int smtp_srv_open(void *ctx, const struct smtp_cfg *cfg, const struct smtp_ops *ops, void *data,
		  struct rate_ctr_group *ctrs, struct smtp_srv **out);

/* Replace the timeouts (for tests); applies from each session's next wait. */
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
