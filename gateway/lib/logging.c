/*
 * logging.c — the log category table of logging.h.
 */
#include <osmocom/core/utils.h>

#include "gateway/lib/logging.h"

static const struct log_info_cat txgw_log_cats[] = {
	[DMAIN] = { .name = "DMAIN", .description = "Start-up, signals and shutdown",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMPP] = { .name = "DSMPP", .description = "SMPP binds and PDUs",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMS] = { .name = "DSMS", .description = "SMS TPDUs and concatenation",
		   .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMTP] = { .name = "DSMTP", .description = "SMTP service and MIME",
		    .enabled = 1, .loglevel = LOGL_NOTICE },
	[DTXLOG] = { .name = "DTXLOG", .description = "TXLOG frames, signatures and the ledger",
		     .enabled = 1, .loglevel = LOGL_NOTICE },
	[DREG] = { .name = "DREG", .description = "The device registry",
		   .enabled = 1, .loglevel = LOGL_NOTICE },
	[DJOURNAL] = { .name = "DJOURNAL", .description = "The journal",
		       .enabled = 1, .loglevel = LOGL_NOTICE },
	[DBUS] = { .name = "DBUS", .description = "The ZeroMQ bus",
		   .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSTATS] = { .name = "DSTATS", .description = "The stats socket",
		     .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info txgw_log_info = {
	.cat = txgw_log_cats,
	.num_cat = ARRAY_SIZE(txgw_log_cats),
};
