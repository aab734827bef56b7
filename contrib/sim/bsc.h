/*
 * bsc.h — txgw-handset-sim's BSC: an SCCP user on libosmo-sigtran, M3UA
 * through an STP to the MSC (3GPP TS 48.006), carrying its handsets'
 * layer 3 in SCCP connections, one per handset while it has a radio
 * connection (TS 48.008 §3.1.16 COMPLETE LAYER 3 INFORMATION opens it).
 *
 * What the BSC does by itself: BSSMAP RESET at start (TS 48.008 §3.1.4),
 * answered by the MSC's RESET ACKNOWLEDGE; an MSC's RESET answered with
 * RESET ACKNOWLEDGE after dropping every connection; CLEAR COMMAND
 * answered with CLEAR COMPLETE; CIPHER MODE COMMAND answered with CIPHER
 * MODE COMPLETE (no ciphering: the handsets' keys are "none").  Everything
 * else goes to the handsets through struct bsc_ops.
 *
 * One select loop (libosmocore's); nothing is blocking.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/gsm/gsm23003.h>

#include "contrib/sim/a_if.h"

struct bsc;

struct bsc_cfg {
	const char *stp_ip;		/* the STP's M3UA address */
	uint16_t stp_port;
	const char *local_ip;		/* ours */
	const char *pc;			/* our point code (0.23.3) */
	const char *msc_pc;		/* the MSC's (0.23.1) */
	struct osmo_cell_global_id cgi;	/* the one cell every handset is in */
};

/* What happens to a connection, for the handset that opened it (priv). */
enum bsc_conn_ev {
	BSC_CONN_UP,			/* the MSC confirmed it (N-CONNECT.cnf) */
	BSC_CONN_CLEARED,		/* CLEAR COMMAND came and CLEAR COMPLETE went */
	BSC_CONN_GONE,			/* released by the MSC, the SCCP, or a RESET */
};

struct bsc_ops {
	/* RESET ACKNOWLEDGE came: the MSC takes connections now. */
	void (*ready)(void *data);
	/* BSSMAP PAGING for imsi. */
	void (*paging)(void *data, const char *imsi);
	void (*conn_ev)(void *data, void *priv, enum bsc_conn_ev ev);
	/* A DTAP message on a connection. */
	void (*dtap)(void *data, void *priv, uint8_t dlci, const uint8_t *l3, size_t len);
};

struct bsc_stats {
	uint64_t conns, conn_refused, released, resets_rx, pagings, clears, dtap_rx, dtap_tx;
	unsigned open;			/* connections open now */
};

/*
 * Start the SCCP client (its ASP connects to the STP) under ctx.
 * Returns 0, or -EINVAL (a bad point code) / -EIO after a message on
 * stderr.
 */
int bsc_open(void *ctx, const struct bsc_cfg *cfg, const struct bsc_ops *ops, void *data,
	     struct bsc **out);

/* The AS is active at the STP: UNITDATA gets through. */
bool bsc_as_active(const struct bsc *b);

/* Send BSSMAP RESET; ops->ready follows RESET ACKNOWLEDGE. */
int bsc_reset(struct bsc *b);

/*
 * Open a connection for handset priv with COMPLETE LAYER 3 INFORMATION
 * carrying l3 (a LOCATION UPDATING REQUEST, CM SERVICE REQUEST or PAGING
 * RESPONSE).  Returns the connection id (> 0), or a negative errno.
 */
int bsc_connect(struct bsc *b, void *priv, const uint8_t *l3, size_t len);

/* DTAP on connection id. */
int bsc_dtap(struct bsc *b, int id, uint8_t dlci, const uint8_t *l3, size_t len);

/* Give a connection up (N-DISCONNECT): no event follows. */
void bsc_disconnect(struct bsc *b, int id);

const struct bsc_stats *bsc_get_stats(const struct bsc *b);
