/*
 * tpdu_json.h — a decoded TPDU as one JSON object (doc/tools.md).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gateway/sms/tpdu.h"

struct jw;

/* Write t (decoded from raw/len in direction dir) as one JSON object. */
void tpdu_json(struct jw *w, const struct sms_tpdu *t, enum sms_dir dir, const uint8_t *raw, size_t len);
/* Write a TPDU that did not decode: {"tpdu", "dir", "error", "errno"}. */
void tpdu_json_error(struct jw *w, enum sms_dir dir, const uint8_t *raw, size_t len, int err);
/* An address as text: BCD digits, or alphanumeric septets in UTF-8.
 * Returns its length or a negative errno. */
int tpdu_addr_text(char *out, size_t cap, const struct sms_addr *a);
