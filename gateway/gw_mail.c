/*
 * gw_mail.c — the SMTP service wired to the engine: a mail's MIME is
 * walked for frames (mime_extract.h), the frames go through the same
 * checks and journal as SMS (bearer "smtp"), and the 250 is sent only
 * once the mail's whole journal group is synced.  The counters
 * smtp.messages and smtp.rejected are kept by the SMTP service, from the
 * reply it actually sends (smtp_deliver_done()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/engine.h"
#include "gateway/gw.h"
#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"
#include "mail/mime_extract.h"
#include "mail/smtp.h"

/* A refusal decided before the engine: answered from a zero timer, since
 * the SMTP service wants no answer from inside its deliver callback. */
struct refusal {
	struct osmo_timer_list t;
	struct smtp_deliver *d;
	int code;
	const char *enh;
	char text[200];
};

static void refusal_cb(void *data)
{
	struct refusal *r = data;
	smtp_deliver_done(r->d, r->code, r->enh, r->text);
	talloc_free(r);
}

static void refuse(struct gw *g, struct smtp_deliver *d, int code, const char *enh, const char *text)
{
	struct refusal *r = talloc_zero(g->ctx, struct refusal);
	if (!r) {
		smtp_deliver_done(d, 451, "4.3.0", "out of memory, try again later");
		return;
	}
	r->d = d;
	r->code = code;
	r->enh = enh;
	snprintf(r->text, sizeof(r->text), "%s", text);
	osmo_timer_setup(&r->t, refusal_cb, r);
	osmo_timer_schedule(&r->t, 0, 0);	/* smtp.c counts the refusal when it is sent */
}

static void on_mail_journaled(void *data, int status)
{
	struct smtp_deliver *d = data;
	if (status == 0)
		smtp_deliver_done(d, 250, "2.0.0", "frames journaled");
	else
		smtp_deliver_done(d, 451, "4.3.0", "cannot store the mail now, try again later");
}

static void on_mail(void *data, const char *mail_from, const char *const *rcpts, unsigned n_rcpts,
		    const uint8_t *msg, size_t len, struct smtp_deliver *d)
{
	struct gw *g = data;
	const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct extract_result *r = g->mail_scratch;
	void *tmp = talloc_named_const(g->ctx, 0, "mail");
	char why[200] = "";
	int rc;

	if (!r || !tmp || g->stopping) {
		talloc_free(tmp);
		refuse(g, d, 451, "4.3.0", "service shutting down, try again later");
		return;
	}
	rc = mime_extract_mail(tmp, msg, len, &lim, r, why, sizeof(why));
	if (rc == -EMSGSIZE) {
		LOGP_RL(&g->rl_mail_refused, DSMTP, LOGL_NOTICE, "mail from <%s> refused: %s", mail_from, why);
		refuse(g, d, 552, "5.3.4", why);
	} else if (rc == -EINVAL) {
		LOGP_RL(&g->rl_mail_refused, DSMTP, LOGL_NOTICE, "mail from <%s> refused: %s", mail_from, why);
		refuse(g, d, 554, "5.6.0", why);
	} else if (rc < 0) {
		refuse(g, d, 451, "4.3.0", "cannot process the mail now, try again later");
	} else if ((rc = engine_mail(g->engine, mail_from, r, msg, len, gw_now_ms(), on_mail_journaled, d)) < 0) {
		/* the engine logs why it is down, once; not each mail */
		LOGP(DSMTP, LOGL_INFO, "mail from <%s> not taken: %s\n", mail_from, strerror(-rc));
		refuse(g, d, 451, "4.3.0", "cannot store the mail now, try again later");
	} else {
		LOGP(DSMTP, LOGL_INFO, "mail from <%s>: %u item(s) found\n", mail_from, r->n);
	}
	talloc_free(tmp);
}

static const struct smtp_ops smtp_ops = { .deliver = on_mail };

int gw_mail_start(struct gw *g)
{
	if (!g->cfg->smtp.enabled)
		return 0;
	g->mail_scratch = talloc_zero(g->ctx, struct extract_result);
	if (!g->mail_scratch)
		return -ENOMEM;
	/* smtp_srv_open() logs why it failed (smtp-listen, smtp-tls, ...) */
	int rc = smtp_srv_open(g->ctx, &g->cfg->smtp, &smtp_ops, g, g->ctrs, &g->smtp);
	if (rc < 0)
		return rc;
	LOGP(DSMTP, LOGL_NOTICE, "SMTP service for %s on %s:%u%s\n", g->cfg->smtp.domain,
	     g->cfg->smtp.addr, g->cfg->smtp.port, g->cfg->smtp.tls_cert ? " (STARTTLS)" : "");
	return 0;
}

void gw_mail_stop(struct gw *g)
{
	if (g->smtp)
		smtp_srv_close(g->smtp);
	g->smtp = NULL;
}
