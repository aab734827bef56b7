/*
 * logging.h — the gateway's libosmocore log categories.  Levels are set per
 * category in the configuration ("logging level smpp info") or on the VTY.
 */
#pragma once
#include <osmocom/core/logging.h>

enum txgw_log_cat {
	DMAIN,		/* start-up, signals, shutdown */
	DSMPP,		/* SMPP binds and PDUs */
	DSMS,		/* TPDUs, concatenation */
	DSMTP,		/* the SMTP service and MIME */
	DTXLOG,		/* frames, verification, ledger outcomes */
	DREG,		/* the device registry */
	DJOURNAL,	/* the journal */
	DBUS,		/* the ZeroMQ bus */
	DSTATS,		/* the stats socket */
};

extern const struct log_info txgw_log_info;
