/*
 * test_esme — the SMPP ESME client's link against a fake SMSC on a real
 * 127.0.0.1 socket, both in one osmo_select loop (esme_fixture.h): the
 * back-off, bind (transceiver, receiver, refused and retried),
 * enquire_link both ways, a silent peer, the peer's unbind, esme_stop
 * answered or not, settings refused, and the bind's osmo_fsm as its log
 * tells it.  Message delivery and hostile
 * input are in test_esme_deliver.  Waits are bounded conditions (WAIT),
 * never bare sleeps; back-off, silent peer and the unbind timeout need
 * real seconds.
 *
 * ESME_TEST_LOG=1 shows the esme's log.
 */
#include "tests/unit/esme_fixture.h"
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/fsm.h>

static void test_backoff(void **state_)
{
	static const unsigned want[] = { 2, 4, 8, 16, 32, 60, 60 };
	unsigned d = 1;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		d = esme_backoff_next(d, 1);
		assert_int_equal(d, want[i]);
	}
	assert_int_equal(esme_backoff_next(5, 5), 10);
	assert_int_equal(esme_backoff_next(40, 5), 60);
	/* a reconnect-interval over the ceiling stays as configured */
	assert_int_equal(esme_backoff_next(90, 90), 90);
}

static void check_bind(struct fx *fx, uint32_t id)
{
	struct esme_status st;
	int i;

	fx_bound(fx);
	i = smsc_find(&fx->smsc, 0, id, 0);
	assert_true(i >= 0);
	assert_string_equal(fx->smsc.rx[i].system_id, "txgw");
	assert_string_equal(fx->smsc.rx[i].password, "secret");
	assert_string_equal(fx->smsc.rx[i].system_type, "TXGW");
	assert_int_equal(fx->smsc.rx[i].interface_version, 0x34);
	esme_get_status(fx->es, &st);
	assert_string_equal(st.name, "smsc1");
	char remote[64];
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", fx->smsc.port);
	assert_string_equal(st.remote, remote);
	assert_true(st.since >= time(NULL) - 5 && st.since <= time(NULL));
	assert_int_equal(st.rx_pdus, 1);
	assert_int_equal(st.tx_pdus, 1);
	assert_int_equal(st.window_used, 0);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 0);
}

static void test_bind_transceiver(void **state_)
{
	struct fx *fx = *state_;

	check_bind(fx, SMPP_BIND_TRANSCEIVER);
	/* esme_stop: unbind, answered, done */
	esme_stop(fx->es, gw_done, fx);
	WAIT(fx->done, 1000);
	assert_true(smsc_find(&fx->smsc, 0, SMPP_UNBIND, 0) >= 0);
	assert_string_equal(state(fx), "down");
	WAIT(fx->smsc.closes == 1, 1000);
}

static void test_bind_receiver(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.bind_mode = ESME_BIND_RECEIVER;
	check_bind(fx, SMPP_BIND_RECEIVER);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_BIND_TRANSCEIVER), 0);
}

/* Wrong password twice: the retries come after 1 s, then 2 s. */
static void test_bind_refused_backoff(void **state_)
{
	struct fx *fx = *state_;
	struct smsc *s = &fx->smsc;
	double d1, d2;

	s->bind_status[0] = ESME_RINVPASWD;
	s->bind_status[1] = ESME_RINVPASWD;
	fx_start(fx);
	WAIT(s->binds == 1, 1000);
	assert_false(is_bound(fx));
	WAIT(is_bound(fx), 5000);
	assert_int_equal(s->binds, 3);
	assert_int_equal(s->accepts, 3);
	d1 = ts_diff(&s->bind_at[0], &s->bind_at[1]);
	d2 = ts_diff(&s->bind_at[1], &s->bind_at[2]);
	assert_true(d1 > 0.9 && d1 < 1.8);
	assert_true(d2 > 1.9 && d2 < 2.8);
}

/* esme_stop() and no unbind_resp: closed after ESME_UNBIND_TIMEOUT_MS all the same. */
static void test_stop_unanswered(void **state_)
{
	struct fx *fx = *state_;
	double t0;

	fx_bound(fx);
	fx->smsc.mute_unbind = true;
	t0 = now_s();
	esme_stop(fx->es, gw_done, fx);
	WAIT(fx->done, ESME_UNBIND_TIMEOUT_MS + 1000);
	assert_true(now_s() - t0 > ESME_UNBIND_TIMEOUT_MS / 1000.0 - 0.2);
	assert_string_equal(state(fx), "down");
	WAIT(fx->smsc.closes == 1, 1000);
	/* and it stays down */
	run_for(1200);
	assert_int_equal(fx->smsc.accepts, 1);
}

/* enquire_link both ways, with an answering peer: the link stays. */
static void test_enquire_link(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;

	fx->cfg.enquire_link_interval = 1;
	fx_bound(fx);
	smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 77);
	assert_int_equal(send_for_status(fx, &p), ESME_ROK);
	run_for(2500);
	assert_true(smsc_count(&fx->smsc, SMPP_ENQUIRE_LINK) >= 2);
	assert_true(is_bound(fx));
	assert_int_equal(fx->smsc.accepts, 1);
}

/* A peer that stops answering enquire_link is dropped, then rebound. */
static void test_silent_peer(void **state_)
{
	struct fx *fx = *state_;

	fx->cfg.enquire_link_interval = 1;
	fx_bound(fx);
	fx->smsc.silent = true;
	WAIT(fx->smsc.closes == 1, 3000);
	assert_int_equal(smsc_count(&fx->smsc, SMPP_ENQUIRE_LINK), 1);
	fx->smsc.silent = false;
	WAIT(fx->smsc.accepts == 2 && is_bound(fx), 3000);
}

/* The SMSC unbinds: unbind_resp, close, reconnect after the back-off. */
static void test_peer_unbind(void **state_)
{
	struct fx *fx = *state_;
	struct smpp_pdu p;
	double t0;

	fx_bound(fx);
	smpp_pdu_init(&p, SMPP_UNBIND, 9);
	t0 = now_s();
	assert_int_equal(send_for_status(fx, &p), ESME_ROK);
	WAIT(fx->smsc.closes == 1, 1000);
	WAIT(fx->smsc.accepts == 2 && is_bound(fx), 3000);
	assert_true(now_s() - t0 > 0.9);
}

/* Stop while the SMSC is unreachable: done at once from the loop; bad settings refused. */
static void test_stop_down_and_bad_cfg(void **state_)
{
	struct fx *fx = *state_;
	struct esme_cfg bad = fx->cfg;

	/* nothing listens on the SMSC's port once it is closed */
	osmo_fd_unregister(&fx->smsc.lfd);
	close(fx->smsc.lfd.fd);
	fx->smsc.lfd.fd = socket(AF_INET, SOCK_STREAM, 0);
	osmo_fd_setup(&fx->smsc.lfd, fx->smsc.lfd.fd, 0, smsc_accept_cb, &fx->smsc, 0);
	assert_int_equal(osmo_fd_register(&fx->smsc.lfd), 0);
	fx_start(fx);
	WAIT(!strcmp(state(fx), "down"), 1000);
	esme_stop(fx->es, gw_done, fx);
	assert_false(fx->done);
	WAIT(fx->done, 500);
	talloc_free(fx->es);
	fx->es = NULL;

	bad.system_id = "a-system-id-too-long";
	assert_int_equal(esme_start(fx->ctx, &bad, 1, &gw_ops, fx, NULL, &fx->es), -EINVAL);
	bad = fx->cfg;
	bad.password = "123456789";
	assert_int_equal(esme_start(fx->ctx, &bad, 1, &gw_ops, fx, NULL, &fx->es), -EINVAL);
	bad = fx->cfg;
	bad.remote_ip = NULL;
	assert_int_equal(esme_start(fx->ctx, &bad, 1, &gw_ops, fx, NULL, &fx->es), -EINVAL);
	/* *out is left alone on failure */
	assert_null(fx->es);
}

/* ---- the fsm's own account (the log on DSMPP, info) ------------------------- */

static char fsm_log[8192];
static size_t fsm_log_len;

static void fsm_log_output(struct log_target *t, unsigned int level, const char *line)
{
	size_t n = strlen(line);

	if (fsm_log_len + n < sizeof(fsm_log)) {
		memcpy(fsm_log + fsm_log_len, line, n + 1);
		fsm_log_len += n;
	}
}

static struct log_target *fsm_log_start(void)
{
	struct log_target *t = log_target_create();

	assert_non_null(t);
	t->output = fsm_log_output;
	log_set_all_filter(t, 1);
	log_set_category_filter(t, DSMPP, 1, LOGL_INFO);
	log_set_print_filename2(t, LOG_FILENAME_NONE);
	log_set_print_category(t, 0);
	log_set_print_category_hex(t, 0);
	log_set_print_level(t, 0);
	log_set_use_color(t, 0);
	log_add_target(t);
	/* "ESME(smsc1){BOUND}: ..." without the instance's address */
	osmo_fsm_log_addr(false);
	fsm_log_len = 0;
	fsm_log[0] = '\0';
	return t;
}

/*
 * The log of ESME(smsc1) boiled down to one word per event received
 * (ESME_EV_ taken off), timeout (X1..X3) and state entered, in order.
 */
static void fsm_trace(char *out, size_t cap)
{
	static const char *const marks[] = {
		"Received Event ESME_EV_", "Timeout of ", "state_chg to ",
	};
	size_t len = 0;

	out[0] = '\0';
	for (char *l = fsm_log; *l; ) {
		char *end = strchr(l, '\n');
		size_t ll = end ? (size_t)(end - l) : strlen(l);

		for (size_t i = 0; i < ARRAY_SIZE(marks) && !strncmp(l, "ESME(smsc1){", 12); i++) {
			const char *m = memmem(l, ll, marks[i], strlen(marks[i]));

			if (!m)
				continue;
			m += strlen(marks[i]);
			len += snprintf(out + len, cap - len, "%s%.*s", len ? " " : "",
					(int)(l + ll - m), m);
			assert_true(len < cap);
		}
		l += ll + (end ? 1 : 0);
	}
}

/*
 * The whole life on the fsm: a refused bind, the back-off (X3), a bind,
 * the SMSC closing, the back-off again (reset to reconnect-interval by the
 * bind), a bind again.  "show binds" follows, coarser.
 */
static void test_fsm_life(void **state_)
{
	struct fx *fx = *state_;
	struct smsc *s = &fx->smsc;
	struct log_target *t = fsm_log_start();
	char trace[1024];

	s->bind_status[0] = ESME_RINVPASWD;
	fx_start(fx);
	WAIT(s->binds == 1 && !strcmp(state(fx), "down"), 1000);
	WAIT(is_bound(fx), 3000);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 0);
	smsc_close(s);
	WAIT(!strcmp(state(fx), "down"), 1000);
	WAIT(s->accepts == 3 && is_bound(fx), 3000);
	assert_int_equal(ctr(fx, TXGW_CTR_SMPP_RECONNECTS), 1);

	fsm_trace(trace, sizeof(trace));
	assert_string_equal(trace,
		"CONNECTING CONNECT_OK BINDING BIND_FAIL BACKOFF X3 "
		"CONNECTING CONNECT_OK BINDING BIND_OK BOUND PEER_CLOSED BACKOFF X3 "
		"CONNECTING CONNECT_OK BINDING BIND_OK BOUND");
	/* what happened and why, with the delay */
	assert_non_null(strstr(fsm_log, "ESME(smsc1){BINDING}: dropped: bind refused: "
			       "ESME_RINVPASWD (0x0e); reconnecting in 1 s\n"));
	assert_non_null(strstr(fsm_log, "ESME(smsc1){BOUND}: dropped: the SMSC closed the "
			       "connection; reconnecting in 1 s\n"));
	/* nothing refused by the fsm's tables */
	assert_null(strstr(fsm_log, "not permitted"));

	log_target_destroy(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		cmocka_unit_test(test_backoff),
		T(test_bind_transceiver),
		T(test_bind_receiver),
		T(test_bind_refused_backoff),
		T(test_stop_unanswered),
		T(test_enquire_link),
		T(test_silent_peer),
		T(test_peer_unbind),
		T(test_stop_down_and_bad_cfg),
		T(test_fsm_life),
#undef T
	};

	test_args(argc, argv);
	return test_done(esme_run_tests("test_esme", tests, ARRAY_SIZE(tests)));
}
