/*
 * handset_cli.h — txgw-handset-sim's command line: the options, their
 * defaults and --help.  A bad value is a usage error: a message on
 * stderr and exit(2).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "contrib/sim/fleet_cli.h"
#include "contrib/sim/handset.h"

#define HSIM_MIX	-1		/* a form option chosen per upload */
#define HSIM_MAX_SWAPS	64

/* --hlr-msisdn REG=HLR: the SIM of the handset registered as REG is
 * known to the HLR as HLR. */
struct hsim_swap {
	char reg[FLEET_MSISDN_LEN + 1];
	char hlr[FLEET_MSISDN_LEN + 1];
};

struct hsim_opts {
	struct fleet_cli fleet;
	struct hs_cfg hs;
	const char *service, *summary, *subscribers, *tpdu_out, *ready;
	uint64_t count, per_handset, until_mt;
	double duration, drain, wait_core, linger, rate;
	int form, concat_ref;
	bool prepare, quiet, mt_only;
	unsigned verbose, n_swap;
	struct hsim_swap swap[HSIM_MAX_SWAPS];
};

void hsim_parse_args(struct hsim_opts *o, int argc, char **argv);
