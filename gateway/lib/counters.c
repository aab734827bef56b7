/* counters.c — the counter table of counters.h. */
#include <string.h>

#include <osmocom/core/stats.h>

#include "gateway/lib/counters.h"

static const struct rate_ctr_desc txgw_ctr_desc[] = {
#define X(id, name, desc) [TXGW_CTR_##id] = { name, desc },
	TXGW_COUNTERS(X)
#undef X
};

const struct rate_ctr_group_desc txgw_ctrg_desc = {
	.group_name_prefix = "txgw",
	.group_description = "txgw gateway counters",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = TXGW_CTR_COUNT,
	.ctr_desc = txgw_ctr_desc,
};

void txgw_ctr_stats_name(char *out, size_t cap, const char *name)
{
	size_t i;
	if (!cap)
		return;
	for (i = 0; name[i] && i + 1 < cap; i++)
		out[i] = name[i] == ':' ? '.' : name[i];
	out[i] = '\0';
}
