/*
 * txgw-sub.c — a subscriber of the txgw bus (doc/bus.md) for operators:
 * prints records, alerts and rejects as a live table or as JSON lines, each
 * seq exactly once and in seq order, filling what it missed from the replay
 * socket.
 *
 * Ordering: messages are kept in a ring indexed by seq, RING_SLOTS wide,
 * starting at the next seq to print.  A live message ahead of that seq waits
 * in the ring until the gap before it is filled by replay; one too far ahead
 * is dropped, which is safe, since every published message is in the
 * journal (bus.md "Sequence and durability") and comes back by replay.
 *
 * Replay ["REPLAY", from, max] is asked at start, when a gap shows, and when
 * nothing arrived for IDLE_MS (loss at the tail shows no gap).  After its
 * ["END", next], a seq below next that is still missing cannot be filled;
 * ["ERROR", oldest] means the journal no longer keeps what is below oldest.
 * Both are reported and skipped, so the output never stalls.
 *
 * Here: main, --state and the loop; the parts are in contrib/sub/ (sub.h),
 * what txgw-send shares in contrib/bus_client.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contrib/sub/sub.h"

/* ---- --state ------------------------------------------------------------------ */

/* Returns 0 (file absent: nothing remembered) or -1 after saying why. */
static int state_load(const char *path, uint64_t *next, bool *found)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	size_t n;

	*found = false;
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		fprintf(stderr, "txgw-sub: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (bc_parse_u64(buf, 1, next) < 0) {
		fprintf(stderr, "txgw-sub: %s: not a seq (a decimal number >= 1)\n", path);
		return -1;
	}
	*found = true;
	return 0;
}

/* Write the next seq to ask for: a temporary file, synced, renamed over the
 * old one, so a crash leaves either the old or the new value. */
static int state_save(struct sub *s)
{
	char tmp[4096], txt[32];
	int fd, n;

	if (!s->o.state || !s->started || s->saved_next == s->next)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", s->o.state) >= (int)sizeof(tmp))
		return -1;
	n = snprintf(txt, sizeof(txt), "%" PRIu64 "\n", s->next);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, txt, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, s->o.state) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		sub_status_clear(s);
		fprintf(stderr, "txgw-sub: cannot write %s: %s\n", s->o.state, strerror(err));
		return -1;
	}
	s->saved_next = s->next;
	return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

/* Returns the exit status: 0 done or stopped by a signal, 1 timeout or failure. */
static int run(struct sub *s)
{
	int64_t start = bc_now_ms();
	zmq_pollitem_t items[] = {
		{ .socket = s->sub, .events = ZMQ_POLLIN },
		{ .socket = s->dealer, .events = ZMQ_POLLIN },
		{ .fd = s->sigfd, .events = ZMQ_POLLIN },
		{ .socket = s->watch.mon, .events = ZMQ_POLLIN },
	};
	int n_items = s->watch.mon ? 4 : 3;

	s->news_ms = s->saved_ms = start;
	sub_maybe_ask(s, start, true);
	while (!sub_done(s)) {
		int64_t now = bc_now_ms(), wait = POLL_MS;
		if (s->o.timeout_ms && now - start >= s->o.timeout_ms) {
			sub_status_clear(s);
			fprintf(stderr, "txgw-sub: timeout, next seq %" PRIu64 " not seen\n", s->next);
			return 1;
		}
		if (s->o.timeout_ms && start + s->o.timeout_ms - now < wait)
			wait = start + s->o.timeout_ms - now;
		if (zmq_poll(items, n_items, (long)wait) < 0 && zmq_errno() != EINTR)
			return 1;
		if (items[2].revents)
			return 0;	/* SIGINT or SIGTERM: the caller prints the summary */
		now = bc_now_ms();
		if (s->watch.mon && items[3].revents)
			sub_handshake_failed(s, now);
		if (sub_read_sockets(s, now) < 0)
			return 1;
		sub_maybe_ask(s, now, false);
		if (now - s->saved_ms >= SAVE_MS) {
			state_save(s);
			s->saved_ms = now;
		}
		sub_status_show(s);
		if (s->printed) {
			fflush(stdout);
			s->printed = false;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sub s = { .sigfd = -1 };
	bool found = false;
	int rc = 1;

	sub_parse_opts(argc, argv, &s.o);
	s.tty = isatty(STDOUT_FILENO);
	if (s.o.mode == OUT_AUTO)
		s.o.mode = s.tty ? OUT_TABLE : OUT_JSON;
	s.next = s.o.from;
	if (s.o.state && state_load(s.o.state, &s.saved_next, &found) < 0)
		return 1;
	if (found && !s.o.from_set)
		s.next = s.saved_next;
	s.started = !s.o.from_live;
	if (s.o.has_until && s.started && s.next > s.o.until) {
		fprintf(stderr, "txgw-sub: nothing to do: the next seq %" PRIu64 " is past --until-seq\n",
			s.next);
		return 0;
	}
	if (sub_open(&s) == 0) {
		if (s.o.mode == OUT_TABLE)
			sub_table_header();
		rc = run(&s);
		sub_summary(&s);
		if (state_save(&s) < 0)
			rc = 1;
	}
	sub_close(&s);
	return rc;
}
