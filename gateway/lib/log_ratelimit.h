/*
 * log_ratelimit.h — at most one log line per interval for one kind of
 * event a peer can cause at will (a refused connection, a bad PDU, a
 * session cut for a limit), with the count of the lines held back since
 * the last one written, so that a flood of such events costs a line a
 * second, not a line each.
 *
 * One struct log_ratelimit per kind of line, kept by the service (not per
 * peer: a peer that comes back from a new address must not get a fresh
 * budget); zeroed, it has the default interval:
 *
 *	struct log_ratelimit rl_bad_pdu;	(in the service's struct)
 *	LOGP_RL(&srv->rl_bad_pdu, DSMPP, LOGL_NOTICE, "%s: bad PDU: %s", peer, why);
 *
 * The format has no trailing newline: LOGP_RL() adds ", N more like it
 * suppressed" when lines were held back, then the newline.  A line whose
 * level is filtered out costs nothing and is not counted.  The clock is
 * libosmocore's monotonic one (osmo_clock_gettime), so tests can fake it.
 * Single-threaded, as the select loop is.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/logging.h>

#define LOG_RATELIMIT_MS	1000	/* the default interval */

struct log_ratelimit {
	unsigned interval_ms;		/* 0: LOG_RATELIMIT_MS */
	uint64_t next_ms;		/* monotonic: when the next line may go */
	unsigned long held;		/* lines held back since the last one */
};

#define LOG_RATELIMIT_INIT		{ 0 }
#define LOG_RATELIMIT_INIT_MS(ms)	{ .interval_ms = (ms) }

/*
 * Whether a line may be written now.  true: write it, and *held is the
 * number of lines held back since the last one written (now reset);
 * false: this one is held back and counted.
 */
bool log_ratelimit_pass(struct log_ratelimit *rl, unsigned long *held);

/* ", N more like it suppressed" for N > 0, else "" (a buffer per thread). */
const char *log_ratelimit_held_str(unsigned long held);

#define LOGP_RL(rl, ss, level, fmt, args...) \
	do { \
		unsigned long _rl_held; \
		if (log_check_level(ss, level) && log_ratelimit_pass(rl, &_rl_held)) \
			LOGP(ss, level, fmt "%s\n", ##args, log_ratelimit_held_str(_rl_held)); \
	} while (0)
