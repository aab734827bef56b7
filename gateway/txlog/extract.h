/*
 * extract.h — finding the TXLOG frames a whole message carries
 * (doc/txlog-v1.md, "Bearers"), after reassembly, before any check.
 *
 * Binary payloads: a message whose port addressing names the txlog port,
 * or that has none, IS a frame (malformed if it does not decode later); a
 * binary message for any other port is not_txlog.  Text: one frame per
 * "TXL1:" armour; none at all is not_txlog.  An armour whose base64 does
 * not decode is a malformed frame.
 *
 * Pure: (buf, len) in, a list of found items out, no I/O.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"

#define EXTRACT_MAX_ITEMS	64	/* frames taken from one message at most */
#define EXTRACT_RAW_MAX		512	/* bus.md: "raw" holds at most 512 bytes */

enum extract_kind {
	EXTRACT_FRAME,		/* bytes to judge as a frame */
	EXTRACT_MALFORMED,	/* an armour that does not decode, or binary too long: reject malformed */
	EXTRACT_NOT_TXLOG,	/* no frame at all: reject not_txlog */
	EXTRACT_TOO_MANY,	/* frames past EXTRACT_MAX_ITEMS: reject malformed */
};

struct extract_item {
	enum extract_kind kind;
	const char *why;	/* MALFORMED, NOT_TXLOG, TOO_MANY: the reject's error */
	size_t len;		/* bytes in data */
	uint8_t data[TXL_MAX_LEN + 1];	/* FRAME: the frame; others: the raw bytes (<= 512) */
};

struct extract_result {
	unsigned n;
	struct extract_item item[EXTRACT_MAX_ITEMS + 1];
};

/*
 * A binary payload.  has_port: port addressing was present (UDH IE 0x04 /
 * 0x05 or SMPP destination_port); port: its destination port.
 */
void extract_binary(struct extract_result *r, const uint8_t *buf, size_t len, bool has_port,
		    uint16_t port, uint16_t txlog_port);

/* A text in UTF-8: every armour in it. */
void extract_text(struct extract_result *r, const char *text, size_t len);

/*
 * A copy of r under talloc ctx holding only its r->n items (a struct
 * extract_result is large: callers fill one scratch result and keep a
 * copy of what it found), with room for `spare` more items.  NULL on
 * -ENOMEM.
 */
struct extract_result *extract_result_dup(void *ctx, const struct extract_result *r, unsigned spare);

/* Append a not_txlog item for raw/len when r holds no item yet. */
void extract_none_is_not_txlog(struct extract_result *r, const uint8_t *raw, size_t len,
			       const char *why);
