/*
 * log_capture.h — what the code under test logged, kept in memory, so that
 * a test can check the reason an opener gives for its negative errno
 * (HACKING.md, "Errors": the reason is logged where it is found, not
 * handed back in a buffer).
 *
 * log_capture_start() sets up libosmocore logging with txgw's categories
 * (if nothing did yet) and adds a target that appends every line, at any
 * level, to log_captured; log_capture_reset() empties it.  A line that
 * would not fit empties it first: lines are kept whole, the latest ones.
 */
#pragma once
#include <stdbool.h>
#include <string.h>

#include <osmocom/core/logging.h>

#include "gateway/lib/logging.h"

#define LOG_CAPTURE_MAX	16384

static char log_captured[LOG_CAPTURE_MAX];
static size_t log_captured_len;

static inline void log_capture_reset(void)
{
	log_captured_len = 0;
	log_captured[0] = '\0';
}

static void log_capture_output(struct log_target *t, unsigned int level, const char *s)
{
	size_t n = strlen(s);

	if (n >= LOG_CAPTURE_MAX)
		n = LOG_CAPTURE_MAX - 1;
	if (log_captured_len + n >= LOG_CAPTURE_MAX)
		log_capture_reset();
	memcpy(log_captured + log_captured_len, s, n);
	log_captured_len += n;
	log_captured[log_captured_len] = '\0';
}

static inline void log_capture_start(void *ctx)
{
	static struct log_target *tgt;

	if (!osmo_log_info)
		log_init(&txgw_log_info, ctx);
	if (!tgt) {
		tgt = log_target_create();
		tgt->output = log_capture_output;
		log_set_all_filter(tgt, 1);
		log_set_print_category(tgt, 0);
		log_set_print_level(tgt, 0);
		log_set_print_timestamp(tgt, 0);
		log_set_print_filename2(tgt, LOG_FILENAME_NONE);
		log_set_use_color(tgt, 0);
		for (unsigned c = 0; c < osmo_log_info->num_cat; c++)
			log_set_category_filter(tgt, (int)c, 1, LOGL_DEBUG);
		log_add_target(tgt);
	}
	log_capture_reset();
}

/* Whether a line logged since the last reset contains text. */
static inline bool log_capture_has(const char *text)
{
	return strstr(log_captured, text) != NULL;
}
