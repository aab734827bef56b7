/*
 * gw_dl_mail.c — the downlink's mail bearer (doc/downlink.md section 3):
 * the outbox hands it a message for a mailbox, it sends the message
 * (gw_dl_mail_msg.c) through the configured relay with libcurl's SMTP
 * client and tells the outbox what became of it.
 *
 * - libcurl's multi interface on the libosmocore select loop, no thread:
 *   libcurl names the sockets it waits on (CURLMOPT_SOCKETFUNCTION), each
 *   becomes an osmo_fd whose callback calls curl_multi_socket_action(); its
 *   one timeout (CURLMOPT_TIMERFUNCTION) is an osmo_timer_list.  After each
 *   action the transfers that ended are taken from curl_multi_info_read().
 * - At most DL_MAIL_FLIGHT transfers at once, one easy handle a message,
 *   one recipient each; the multi handle keeps the relay's connection for
 *   the next message.
 * - The outcome (gw_dl_mail.h dl_mail_classify()): CURLE_OK is the relay's
 *   250 after the data: submitted; a 5xx reply: failed "smtp <reply>"; a
 *   4xx, no connection, a timeout, TLS refused or failed: the outbox tries
 *   again later.  The reply is the last line the relay sent before QUIT,
 *   taken from libcurl's debug callback.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/outbox.h"
#include "gateway/engine/outbox_req.h"
#include "gateway/gw.h"
#include "gateway/gw_dl_mail.h"
#include "gateway/lib/log_ratelimit.h"
#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"

#define DL_MAIL_FLIGHT		8	/* transfers at once */
#define DL_MAIL_CONNECT_S	30	/* to connect, TLS included */
#define DL_MAIL_TOTAL_S		120	/* a whole transfer */

struct dl_mail;

struct ml_job {
	struct llist_head list;
	struct dl_mail *d;
	struct ob_msg *m;
	CURL *easy;
	struct curl_slist *rcpt;
	char *msg;
	size_t len, off;
	bool quit;			/* QUIT sent: its 221 is not the outcome */
	char reply[DL_MAIL_REPLY_MAX];
	char errbuf[CURL_ERROR_SIZE];
	char id[OB_ID_MAX + 1];
	char to[OB_TO_MAX + 1];
};

struct dl_mail {
	struct gw *g;
	struct outbox *ob;
	/* the downlink node as it was at start-up: a VTY session's change
	 * to it applies from the next start */
	char *relay, *url, *mail_from, *ca_file;
	enum txgw_relay_tls tls;
	CURLM *multi;
	struct osmo_timer_list timer;	/* libcurl's timeout */
	struct llist_head jobs;
	unsigned n_jobs;
	struct llist_head socks;	/* every socket libcurl has open (struct ml_sock) */
	struct log_ratelimit rl_temp;	/* a relay that fails every message: a line a second */
};

/* ---- libcurl on the select loop ----------------------------------------------- */

/* A socket libcurl opened: at stop, shut down before curl_multi_cleanup()
 * so that its QUIT on a kept connection fails at once instead of waiting,
 * blocking, for a relay that may not answer (see on_progress()). */
struct ml_sock {
	struct llist_head list;
	curl_socket_t fd;
};

static curl_socket_t on_open(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct dl_mail *d = userp;
	struct ml_sock *k = talloc_zero(d, struct ml_sock);
	curl_socket_t fd;

	if (!k)
		return CURL_SOCKET_BAD;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0) {
		talloc_free(k);
		return CURL_SOCKET_BAD;
	}
	k->fd = fd;
	llist_add_tail(&k->list, &d->socks);
	return fd;
}

static int on_close(void *userp, curl_socket_t fd)
{
	struct dl_mail *d = userp;
	struct ml_sock *k;

	llist_for_each_entry(k, &d->socks, list) {
		if (k->fd == fd) {
			llist_del(&k->list);
			talloc_free(k);
			break;
		}
	}
	return close(fd);
}

static void finish(struct dl_mail *d, struct ml_job *j, CURLcode rc);

/* Every transfer that ended since the last look. */
static void drain(struct dl_mail *d)
{
	CURLMsg *msg;
	int left;

	while (d->multi && (msg = curl_multi_info_read(d->multi, &left))) {
		struct ml_job *j = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j)
			finish(d, j, msg->data.result);
	}
}

static int on_fd(struct osmo_fd *ofd, unsigned int what)
{
	struct dl_mail *d = ofd->data;
	int flags = 0, running;

	if (what & OSMO_FD_READ)
		flags |= CURL_CSELECT_IN;
	if (what & OSMO_FD_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (what & OSMO_FD_EXCEPT)
		flags |= CURL_CSELECT_ERR;
	/* ofd may be freed inside (CURL_POLL_REMOVE): not touched after */
	curl_multi_socket_action(d->multi, ofd->fd, flags, &running);
	drain(d);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: an osmo_fd per socket libcurl waits on. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct dl_mail *d = userp;
	struct osmo_fd *ofd = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (ofd) {
			osmo_fd_unregister(ofd);
			talloc_free(ofd);
		}
		return 0;
	}
	if (!ofd) {
		ofd = talloc_zero(d, struct osmo_fd);
		if (!ofd)
			return -1;
		osmo_fd_setup(ofd, s, 0, on_fd, d, 0);
		if (osmo_fd_register(ofd) < 0) {
			talloc_free(ofd);
			return -1;
		}
		curl_multi_assign(d->multi, s, ofd);
	}
	osmo_fd_write_disable(ofd);
	osmo_fd_read_disable(ofd);
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		osmo_fd_read_enable(ofd);
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		osmo_fd_write_enable(ofd);
	return 0;
}

static void on_timer(void *data)
{
	struct dl_mail *d = data;
	int running;

	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(d);
}

/* CURLMOPT_TIMERFUNCTION: -1 no timeout; else in timeout_ms, from the loop
 * (libcurl must not be called back from inside this callback). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct dl_mail *d = userp;

	if (timeout_ms < 0) {
		osmo_timer_del(&d->timer);
		return 0;
	}
	osmo_timer_schedule(&d->timer, (int)(timeout_ms / 1000), (int)(timeout_ms % 1000) * 1000);
	return 0;
}

/* ---- one transfer ---------------------------------------------------------------- */

static size_t on_read(char *buf, size_t size, size_t nitems, void *userp)
{
	struct ml_job *j = userp;
	size_t n = j->len - j->off;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(buf, j->msg + j->off, n);
	j->off += n;
	return n;
}

/* The relay's replies (CURLINFO_HEADER_IN): the last one before QUIT. */
static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	struct ml_job *j = userp;

	if (type == CURLINFO_HEADER_OUT && size >= 4 && !strncasecmp(data, "QUIT", 4))
		j->quit = true;
	else if (type == CURLINFO_HEADER_IN && !j->quit)
		dl_mail_reply_line(j->reply, sizeof(j->reply), data, size);
	return 0;
}

/*
 * libcurl closes a connection after a failed transfer with QUIT and then
 * waits for the 221 *blocking*, inside curl_multi_socket_action()
 * (smtp_disconnect -> smtp_block_statemach, up to its 120 s response
 * timeout): a relay that does not answer QUIT would hold the whole event
 * loop.  That wait calls the progress callback at least once a second;
 * once QUIT is sent, it ends the wait — the 221 is not needed (RFC 5321
 * §4.1.1.10: the connection closes either way).
 */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct ml_job *j = userp;

	return j->quit ? 1 : 0;
}

static void job_free(struct ml_job *j)
{
	struct dl_mail *d = j->d;

	if (j->easy) {
		if (d->multi)
			curl_multi_remove_handle(d->multi, j->easy);
		curl_easy_cleanup(j->easy);
	}
	curl_slist_free_all(j->rcpt);
	llist_del(&j->list);
	d->n_jobs--;
	talloc_free(j);
}

static void finish(struct dl_mail *d, struct ml_job *j, CURLcode rc)
{
	struct ob_result r = { 0 };
	struct ob_msg *m = j->m;
	char error[DL_MAIL_ERROR_MAX], id[sizeof(j->id)], to[sizeof(j->to)];
	long code = 0;
	bool data_sent;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	dl_mail_classify(rc, j->reply, code, j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc),
			 &r.kind, error, sizeof(error));
	data_sent = j->len && j->off == j->len;
	memcpy(id, j->id, sizeof(id));
	memcpy(to, j->to, sizeof(to));
	/* freed first: the outbox may hand the next message at once */
	job_free(j);
	switch (r.kind) {
	case OB_RES_SUBMITTED:
		LOGP(DSMTP, LOGL_INFO, "downlink %s to %s: submitted to the relay\n", id, to);
		break;
	case OB_RES_TEMPORARY:
		r.error = error;
		/* the data went and no reply said no: the relay may have it */
		r.answer_lost = data_sent && strncmp(error, "smtp ", 5);
		LOGP_RL(&d->rl_temp, DSMTP, LOGL_NOTICE, "downlink %s to %s: relay %s: %s", id, to,
			d->relay, error);
		break;
	case OB_RES_PERMANENT:
		r.error = error;	/* the outbox logs it, failed */
		break;
	}
	if (m && d->ob)
		outbox_result(d->ob, m, &r);
}

/* TLS per relay-tls (doc/config.md). */
static void set_tls(CURL *e, const struct dl_mail *d)
{
	switch (d->tls) {
	case TXGW_RELAY_TLS_NONE:
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		break;
	case TXGW_RELAY_TLS_OPPORTUNISTIC:
		/* RFC 7435 opportunistic security: encrypt when the relay
		 * offers STARTTLS, without authenticating it — a certificate
		 * that does not verify must not make us fall back to clear
		 * text, which would protect less, not more */
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		break;
	case TXGW_RELAY_TLS_REQUIRED:
		/* STARTTLS or nothing, and the relay's certificate must
		 * chain to relay-ca-file (else the system's CAs) and name the
		 * URL's host */
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
		if (d->ca_file)
			curl_easy_setopt(e, CURLOPT_CAINFO, d->ca_file);
		break;
	}
}

static int job_setup(struct dl_mail *d, struct ml_job *j)
{
	char from[OB_TO_MAX + 3], rcpt[OB_TO_MAX + 3];
	CURL *e = j->easy;

	snprintf(from, sizeof(from), "<%s>", d->mail_from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", j->to);
	j->rcpt = curl_slist_append(NULL, rcpt);
	if (!j->rcpt)
		return -ENOMEM;
	if (curl_easy_setopt(e, CURLOPT_URL, d->url) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps") ||
	    curl_easy_setopt(e, CURLOPT_MAIL_FROM, from) ||
	    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpt))
		return -EINVAL;
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 0L);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, j);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)DL_MAIL_CONNECT_S);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)DL_MAIL_TOTAL_S);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* no proxy from the environment */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, j);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);	/* for on_debug only */
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, d);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, d);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, j);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	set_tls(e, d);
	return 0;
}

/* ---- the bearer ---------------------------------------------------------------- */

static bool mail_available(void *data)
{
	struct dl_mail *d = data;

	return d->multi != NULL;
}

static unsigned mail_room(void *data)
{
	struct dl_mail *d = data;

	return d->multi && d->n_jobs < DL_MAIL_FLIGHT ? DL_MAIL_FLIGHT - d->n_jobs : 0;
}

/* downlink.md: one message, whatever its size (the outbox holds mail
 * payloads to OB_MAIL_PAYLOAD_MAX) */
static unsigned mail_parts(void *data, size_t len)
{
	return 1;
}

static int mail_submit(void *data, struct ob_msg *m, const struct ob_item *it)
{
	struct dl_mail *d = data;
	struct dl_mail_head h = { .from = d->mail_from, .to = it->to, .id = it->id,
				  .queued = it->queued, .gw_name = d->g->cfg->name,
				  .date_s = time(NULL) };
	struct ml_job *j;
	int rc = -ENOMEM;

	if (!mail_available(d) || !mail_room(d))
		return -EBUSY;
	j = talloc_zero(d, struct ml_job);
	if (!j)
		return -ENOMEM;
	j->d = d;
	j->m = m;
	snprintf(j->id, sizeof(j->id), "%s", it->id);
	snprintf(j->to, sizeof(j->to), "%s", it->to);
	llist_add_tail(&j->list, &d->jobs);
	d->n_jobs++;
	j->msg = dl_mail_build(j, &h, it->payload, it->len, &j->len);
	j->easy = curl_easy_init();
	if (!j->msg || !j->easy || (rc = job_setup(d, j)) < 0 ||
	    (curl_multi_add_handle(d->multi, j->easy) != CURLM_OK && (rc = -EIO))) {
		LOGP(DSMTP, LOGL_ERROR, "downlink %s to %s: cannot start the transfer: %s\n", j->id,
		     j->to, strerror(-rc));
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
		job_free(j);
		return rc;
	}
	return 0;
}

static void mail_cancel(void *data, struct ob_msg *m)
{
	struct dl_mail *d = data;
	struct ml_job *j, *tmp;

	llist_for_each_entry_safe(j, tmp, &d->jobs, list)
		if (j->m == m)
			job_free(j);
}

static const struct outbox_bearer_ops mail_ops = {
	.available = mail_available,
	.room = mail_room,
	.submit = mail_submit,
	.cancel = mail_cancel,
	.parts = mail_parts,
};

/* The relay's URL, with the domain of mail-from as its path (libcurl's
 * EHLO argument, RFC 5321 §4.1.1.1) unless it has one. */
static char *url_of(void *ctx, const struct txgw_downlink_cfg *c)
{
	const char *host = strstr(c->relay, "://");
	/* mail-from is there: the loader refuses a relay without it */
	const char *at = strrchr(c->mail_from, '@');

	if (host && strchr(host + 3, '/'))
		return talloc_strdup(ctx, c->relay);
	return talloc_asprintf(ctx, "%s/%s", c->relay, at ? at + 1 : "localhost");
}

int gw_dl_mail_start(struct gw *g, struct outbox *ob, struct dl_mail **out)
{
	const struct txgw_downlink_cfg *c = &g->cfg->downlink;
	struct dl_mail *d;

	if (c->relay_ca_file && access(c->relay_ca_file, R_OK) < 0) {
		int rc = -errno;
		LOGP(DSMTP, LOGL_ERROR, "downlink: relay-ca-file %s: %s\n", c->relay_ca_file,
		     strerror(-rc));
		return rc;
	}
	d = talloc_zero(g->ctx, struct dl_mail);
	if (!d || !(d->url = url_of(d, c)) || !(d->relay = talloc_strdup(d, c->relay)) ||
	    !(d->mail_from = talloc_strdup(d, c->mail_from)) ||
	    (c->relay_ca_file && !(d->ca_file = talloc_strdup(d, c->relay_ca_file))) ||
	    !(d->multi = curl_multi_init())) {
		LOGP(DSMTP, LOGL_ERROR, "downlink: cannot start the mail bearer: out of memory\n");
		talloc_free(d);
		return -ENOMEM;
	}
	d->g = g;
	d->ob = ob;
	d->tls = c->relay_tls;
	INIT_LLIST_HEAD(&d->jobs);
	INIT_LLIST_HEAD(&d->socks);
	osmo_timer_setup(&d->timer, on_timer, d);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
	outbox_set_bearer(ob, OB_SMTP, &mail_ops, d);
	LOGP(DSMTP, LOGL_INFO, "downlink: mail through %s (relay-tls %s)\n", c->relay,
	     c->relay_tls == TXGW_RELAY_TLS_REQUIRED ? "required" :
	     c->relay_tls == TXGW_RELAY_TLS_OPPORTUNISTIC ? "opportunistic" : "none");
	*out = d;
	return 0;
}

void gw_dl_mail_stop(struct dl_mail *d)
{
	struct ml_job *j, *tmp;
	struct ml_sock *k;

	if (!d)
		return;
	d->ob = NULL;
	llist_for_each_entry_safe(j, tmp, &d->jobs, list)
		job_free(j);
	/* the connections it keeps: their QUIT fails at once (on_open()) */
	llist_for_each_entry(k, &d->socks, list)
		shutdown(k->fd, SHUT_RDWR);
	curl_multi_cleanup(d->multi);
	d->multi = NULL;
	osmo_timer_del(&d->timer);
}
