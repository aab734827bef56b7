/*
 * stats.h — the stats socket (doc/stats.md): a UNIX-domain stream socket,
 * mode 0660, in the manner of HAProxy's.  A client connects, writes one
 * command line, and reads the answer until the gateway closes.
 *
 * The socket knows nothing of the gateway: what it shows comes from the
 * counter groups it is given and from the callbacks in struct stats_ops.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/rate_ctr.h>

struct jw;

/* A value that goes up and down (a gauge), by its stats.md name. */
struct stats_gauge {
	const char *name;		/* "downlink.pending" */
	const char *desc;
	uint64_t value;
};

struct stats_ops {
	/* Members of the "show info" object after name, version, pid, uptime_s. */
	void (*info)(void *data, struct jw *w);
	/* The "show binds" array's elements, one object per SMPP bind. */
	void (*binds)(void *data, struct jw *w);
	/* "reload registry" (force false) or "reload registry force": keys
	 * loaded (>= 0), or a negative errno with a reason in msg; or
	 * -EINPROGRESS: the reload goes on, the connection waits for
	 * stats_reload_done(). */
	long (*reload)(void *data, bool force, char *msg, size_t cap);
	/* Optional: the gauges, into g[max]; returns how many.  "show stats"
	 * lists them after the counters, "show metrics" as "# TYPE gauge". */
	unsigned (*gauges)(void *data, struct stats_gauge *g, unsigned max);
};

struct stats_sock;

/*
 * Bind path (an old socket file there is replaced), chmod 0660, and serve
 * it in the osmo_select loop.  name/version are shown by "show info".
 * Returns 0 and *out, or a negative errno after logging why on DSTATS.
 */
int stats_sock_open(void *ctx, const char *path, const char *name, const char *version,
		    struct rate_ctr_group *ctrs, const struct stats_ops *ops, void *data,
		    struct stats_sock **out);
void stats_sock_close(struct stats_sock *s);

/* The reload that ops->reload started ended: keys in force (>= 0), or a
 * negative errno and the reason.  Every connection waiting for it gets
 * "ok <keys>" or "error <reason>". */
void stats_reload_done(struct stats_sock *s, long n, const char *msg);
