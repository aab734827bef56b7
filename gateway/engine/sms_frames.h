/*
 * sms_frames.h — the TXLOG frames a whole SMS carries (doc/txlog-v1.md,
 * "Bearers", SMS): where the SMS layer (gateway/sms/) meets the frame
 * finder (gateway/txlog/extract.h).  Pure: no I/O.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sms/charset.h"
#include "gateway/txlog/extract.h"

/*
 * Find the frames in a whole message (a single segment, or reassembled):
 * binary by the port rule, text by its armours, none: not_txlog.
 */
void sms_extract(struct extract_result *r, enum charset_coding coding, const uint8_t *payload,
		 size_t len, bool has_port, uint16_t port, uint16_t txlog_port);
