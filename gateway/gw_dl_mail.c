/*
 * gw_dl_mail.c — the downlink's mail bearer (doc/downlink.md section 3):
 * the outbox hands it a message for a mailbox, it sends the message
 * (gw_dl_mail_msg.c) through the configured relay with libcurl's SMTP
 * client and tells the outbox what became of it.
 *
 * - libcurl's multi interface, up to DL_MAIL_FLIGHT transfers at once, on
 *   one thread of the bearer's own (not a thread a mail): the loop hands it
 *   a transfer (curl_multi_wakeup()), it hands the loop the transfers that
 *   ended through an eventfd.  Not the multi interface on the select loop
 *   itself: libcurl's SMTP client (7.88, and later ones alike) waits for
 *   the reply to the end of the data, and for the 221 to QUIT, *blocking*
 *   (smtp_done() and smtp_disconnect() call smtp_block_statemach(), up to
 *   its 120 s response timeout), even under the multi interface: a relay
 *   slow to answer the final dot held the whole gateway (the stats socket
 *   did not answer for as long).  On the bearer's thread such a wait holds
 *   only the other mails.
 * - The thread touches the multi, the easy handles and the jobs' transfer
 *   fields only: no talloc, no logging, no outbox; the loop does those
 *   once a job is back.
 * - A connection a mail (CURLOPT_FORBID_REUSE): it is closed, QUIT and all,
 *   when its transfer ends, where the progress callback can end the wait
 *   for a 221 that does not come, and end a transfer at stop.
 * - The outcome (gw_dl_mail.h dl_mail_classify()): CURLE_OK is the relay's
 *   250 after the data: submitted; a 5xx reply: failed "smtp <reply>"; a
 *   4xx, no connection, a timeout, TLS refused or failed: the outbox tries
 *   again later.  The reply is the last line the relay sent before QUIT,
 *   taken from libcurl's debug callback.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

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
	struct llist_head node;		/* in d->jobs: the loop's */
	struct llist_head xfer_node;	/* in d->incoming or d->done, under d->lock */
	struct dl_mail *d;
	struct ob_msg *m;		/* NULL once cancelled */
	/* the thread's, from d->incoming until it puts the job on d->done */
	CURL *easy;
	struct curl_slist *rcpt;
	char *msg;
	size_t len, off;
	bool quit;			/* QUIT sent: its 221 is not the outcome */
	CURLcode rc;
	long code;			/* CURLINFO_RESPONSE_CODE */
	char reply[DL_MAIL_REPLY_MAX];
	char errbuf[CURL_ERROR_SIZE];
	/* the loop's */
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
	struct llist_head jobs;		/* transfers under way (the loop's list) */
	unsigned n_jobs;
	CURLM *multi;			/* the thread's, but for curl_multi_wakeup() */
	pthread_t tid;
	pthread_mutex_t lock;		/* guards incoming and done */
	struct llist_head incoming;	/* the loop -> the thread */
	struct llist_head done;		/* transfers ended: the thread -> the loop */
	struct osmo_fd efd;		/* wakes the loop for done */
	atomic_bool stopping;		/* the thread ends every transfer now */
	bool running;
	struct log_ratelimit rl_temp;	/* a relay that fails every message: a line a second */
};

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
 * libcurl closes its connection with QUIT and then waits for the 221
 * (smtp_disconnect -> smtp_block_statemach, up to 120 s): a relay that
 * does not answer QUIT would hold the thread, and the loop's join of it.
 * That wait calls the progress callback at least once a second; once QUIT
 * is sent, it ends the wait — the 221 is not needed (RFC 5321 §4.1.1.10:
 * the connection closes either way).  At stop it ends any transfer.
 */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct ml_job *j = userp;

	return j->quit || atomic_load(&j->d->stopping);
}

/* The thread: a transfer ended (CURLMSG_DONE), its job to the loop. */
static void xfer_done(struct dl_mail *d, CURL *e, CURLcode rc)
{
	struct ml_job *j = NULL;
	uint64_t one = 1;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	j->rc = rc;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->code);
	curl_multi_remove_handle(d->multi, e);
	curl_easy_cleanup(e);	/* no connection left: FORBID_REUSE */
	j->easy = NULL;
	pthread_mutex_lock(&d->lock);
	llist_add_tail(&j->xfer_node, &d->done);
	pthread_mutex_unlock(&d->lock);
	if (write(d->efd.fd, &one, sizeof(one)) < 0) {
		/* a counter at its maximum: the loop reads it anyway */
	}
}

/* The thread: the loop's new transfers into the multi. */
static void xfer_take(struct dl_mail *d)
{
	struct ml_job *j, *tmp;
	LLIST_HEAD(new);

	pthread_mutex_lock(&d->lock);
	llist_splice_init(&d->incoming, &new);
	pthread_mutex_unlock(&d->lock);
	llist_for_each_entry_safe(j, tmp, &new, xfer_node) {
		llist_del(&j->xfer_node);
		if (curl_multi_add_handle(d->multi, j->easy) != CURLM_OK)
			xfer_done(d, j->easy, CURLE_OUT_OF_MEMORY);
	}
}

/*
 * The bearer's thread: libcurl's multi, woken by the loop
 * (curl_multi_wakeup()) for a new transfer or the stop, else by its
 * sockets and timeouts.  At stop, every transfer still under way is
 * ended (on_progress() aborts it) and left for gw_dl_mail_stop().
 */
static void *xfer_main(void *arg)
{
	struct dl_mail *d = arg;
	struct CURLMsg *msg;
	int running, left;

	while (!atomic_load(&d->stopping)) {
		xfer_take(d);
		curl_multi_perform(d->multi, &running);
		while ((msg = curl_multi_info_read(d->multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				xfer_done(d, msg->easy_handle, msg->data.result);
		curl_multi_poll(d->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

static void job_free(struct ml_job *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rcpt);
	llist_del(&j->node);
	j->d->n_jobs--;
	talloc_free(j);
}

/* A job back from the thread: its outcome to the log and the outbox. */
static void finish(struct dl_mail *d, struct ml_job *j)
{
	struct ob_result r = { 0 };
	struct ob_msg *m = j->m;
	char error[DL_MAIL_ERROR_MAX], id[sizeof(j->id)], to[sizeof(j->to)];
	bool data_sent = j->len && j->off == j->len;

	dl_mail_classify(j->rc, j->reply, j->code, j->errbuf[0] ? j->errbuf : curl_easy_strerror(j->rc),
			 &r.kind, error, sizeof(error));
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

/* The eventfd: the transfers that ended since. */
static int on_done(struct osmo_fd *ofd, unsigned int what)
{
	struct dl_mail *d = ofd->data;
	struct ml_job *j, *tmp;
	LLIST_HEAD(ended);
	uint64_t n;

	if (read(ofd->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&d->lock);
	llist_splice_init(&d->done, &ended);
	pthread_mutex_unlock(&d->lock);
	llist_for_each_entry_safe(j, tmp, &ended, xfer_node) {
		llist_del(&j->xfer_node);
		finish(d, j);
	}
	return 0;
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
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);	/* not the main thread: no SIGALRM for DNS */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* no proxy from the environment */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, j);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);	/* for on_debug only */
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

	return d->running;
}

static unsigned mail_room(void *data)
{
	struct dl_mail *d = data;

	return d->running && d->n_jobs < DL_MAIL_FLIGHT ? DL_MAIL_FLIGHT - d->n_jobs : 0;
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

	if (!mail_room(d))
		return -EBUSY;
	j = talloc_zero(d, struct ml_job);
	if (!j)
		return -ENOMEM;
	j->d = d;
	j->m = m;
	snprintf(j->id, sizeof(j->id), "%s", it->id);
	snprintf(j->to, sizeof(j->to), "%s", it->to);
	llist_add_tail(&j->node, &d->jobs);
	d->n_jobs++;
	j->msg = dl_mail_build(j, &h, it->payload, it->len, &j->len);
	j->easy = curl_easy_init();
	if (j->msg && j->easy)
		rc = job_setup(d, j);
	if (rc < 0) {
		LOGP(DSMTP, LOGL_ERROR, "downlink %s to %s: cannot start the transfer: %s\n", j->id,
		     j->to, strerror(-rc));
		job_free(j);
		return rc;
	}
	pthread_mutex_lock(&d->lock);
	llist_add_tail(&j->xfer_node, &d->incoming);
	pthread_mutex_unlock(&d->lock);
	curl_multi_wakeup(d->multi);
	return 0;
}

/* The outbox is closing: no word about m (its transfer ends at stop). */
static void mail_cancel(void *data, struct ob_msg *m)
{
	struct dl_mail *d = data;
	struct ml_job *j;

	llist_for_each_entry(j, &d->jobs, node)
		if (j->m == m)
			j->m = NULL;
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

static int open_efd(struct dl_mail *d)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;
		LOGP(DSMTP, LOGL_ERROR, "downlink: mail bearer: eventfd: %s\n", strerror(-rc));
		return rc;
	}
	osmo_fd_setup(&d->efd, fd, OSMO_FD_READ, on_done, d, 0);
	if (osmo_fd_register(&d->efd) < 0) {
		LOGP(DSMTP, LOGL_ERROR, "downlink: mail bearer: cannot register the eventfd\n");
		close(fd);
		return -EIO;
	}
	return 0;
}

/* The multi and its thread. */
static int start_thread(struct dl_mail *d)
{
	int rc;

	d->multi = curl_multi_init();
	if (!d->multi) {
		LOGP(DSMTP, LOGL_ERROR, "downlink: mail bearer: curl_multi_init failed\n");
		return -ENOMEM;
	}
	curl_multi_setopt(d->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)DL_MAIL_FLIGHT);
	rc = -pthread_create(&d->tid, NULL, xfer_main, d);
	if (rc < 0) {
		LOGP(DSMTP, LOGL_ERROR, "downlink: mail bearer: cannot start its thread: %s\n",
		     strerror(-rc));
		curl_multi_cleanup(d->multi);
		d->multi = NULL;
		return rc;
	}
	return 0;
}

int gw_dl_mail_start(struct gw *g, struct outbox *ob, struct dl_mail **out)
{
	const struct txgw_downlink_cfg *c = &g->cfg->downlink;
	struct dl_mail *d;
	int rc;

	if (c->relay_ca_file && access(c->relay_ca_file, R_OK) < 0) {
		rc = -errno;
		LOGP(DSMTP, LOGL_ERROR, "downlink: relay-ca-file %s: %s\n", c->relay_ca_file,
		     strerror(-rc));
		return rc;
	}
	d = talloc_zero(g->ctx, struct dl_mail);
	if (!d || !(d->url = url_of(d, c)) || !(d->relay = talloc_strdup(d, c->relay)) ||
	    !(d->mail_from = talloc_strdup(d, c->mail_from)) ||
	    (c->relay_ca_file && !(d->ca_file = talloc_strdup(d, c->relay_ca_file)))) {
		LOGP(DSMTP, LOGL_ERROR, "downlink: cannot start the mail bearer: out of memory\n");
		talloc_free(d);
		return -ENOMEM;
	}
	d->g = g;
	d->ob = ob;
	d->tls = c->relay_tls;
	INIT_LLIST_HEAD(&d->jobs);
	INIT_LLIST_HEAD(&d->done);
	pthread_mutex_init(&d->lock, NULL);
	atomic_init(&d->stopping, false);
	INIT_LLIST_HEAD(&d->incoming);
	rc = open_efd(d);
	if (rc < 0) {
		pthread_mutex_destroy(&d->lock);
		talloc_free(d);
		return rc;
	}
	rc = start_thread(d);
	if (rc < 0) {
		osmo_fd_unregister(&d->efd);
		close(d->efd.fd);
		pthread_mutex_destroy(&d->lock);
		talloc_free(d);
		return rc;
	}
	d->running = true;
	outbox_set_bearer(ob, OB_SMTP, &mail_ops, d);
	LOGP(DSMTP, LOGL_INFO, "downlink: mail through %s (relay-tls %s)\n", c->relay,
	     c->relay_tls == TXGW_RELAY_TLS_REQUIRED ? "required" :
	     c->relay_tls == TXGW_RELAY_TLS_OPPORTUNISTIC ? "opportunistic" : "none");
	*out = d;
	return 0;
}

/* Every transfer ends within about a second (on_progress()); their
 * messages stay the outbox's, sent again at the next start. */
void gw_dl_mail_stop(struct dl_mail *d)
{
	struct ml_job *j, *tmp;

	if (!d || !d->running)
		return;
	d->running = false;
	d->ob = NULL;
	atomic_store(&d->stopping, true);
	curl_multi_wakeup(d->multi);
	pthread_join(d->tid, NULL);
	/* the thread is gone: no lock needed.  A transfer that ended but
	 * was not taken up here is not journaled: its message goes again at
	 * the next start, counted as resubmitted (its DL_ATTEMPT has no
	 * answer) */
	INIT_LLIST_HEAD(&d->incoming);
	INIT_LLIST_HEAD(&d->done);
	llist_for_each_entry_safe(j, tmp, &d->jobs, node) {
		if (j->easy)
			curl_multi_remove_handle(d->multi, j->easy);
		job_free(j);
	}
	curl_multi_cleanup(d->multi);
	d->multi = NULL;
	osmo_fd_unregister(&d->efd);
	close(d->efd.fd);
	pthread_mutex_destroy(&d->lock);
}
