/*
 * fuzz_replay_req.c — libFuzzer target for bus_parse_replay(), the parser of
 * the replay socket's requests (bus.md "Replay").
 *
 * Input: a run of frames, each a length byte then that many bytes (a frame
 * cut short by the end of the input is dropped).  Besides not crashing, an
 * accepted request must be canonical: printing from and max back gives the
 * frames received (max unless it was cut to BUS_REPLAY_MAX).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/cursor.h"

#define MAX_FRAMES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus_frame f[MAX_FRAMES];
	unsigned n = 0, max = 0;
	uint64_t from = 0;
	struct rd r;
	uint8_t len;
	char txt[32];

	rd_init(&r, data, size);
	while (n < MAX_FRAMES && rd_u8(&r, &len) == 0) {
		if (rd_bytes(&r, len, &f[n].buf))
			break;
		f[n++].len = len;
	}
	if (bus_parse_replay(f, n, &from, &max))
		return 0;
	if (n != 3 || max < 1 || max > BUS_REPLAY_MAX)
		abort();
	snprintf(txt, sizeof(txt), "%llu", (unsigned long long)from);
	if (f[1].len != strlen(txt) || memcmp(f[1].buf, txt, f[1].len))
		abort();
	snprintf(txt, sizeof(txt), "%u", max);
	if (max < BUS_REPLAY_MAX && (f[2].len != strlen(txt) || memcmp(f[2].buf, txt, f[2].len)))
		abort();
	return 0;
}
