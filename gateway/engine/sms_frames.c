/*
 * sms_frames.c — the TXLOG frames in a whole SMS; see sms_frames.h.
 */
#include <stdlib.h>

#include "gateway/engine/sms_frames.h"

static void extract_coded_text(struct extract_result *r, enum charset_coding coding,
			       const uint8_t *payload, size_t len)
{
	size_t cap = 4 * len + 4;
	char *text = malloc(cap);
	if (!text)
		return;
	int n = charset_to_utf8(coding, text, cap, payload, len, CHARSET_LENIENT, NULL);
	if (n >= 0)
		extract_text(r, text, (size_t)n);
	free(text);
}

void sms_extract(struct extract_result *r, enum charset_coding coding, const uint8_t *payload,
		 size_t len, bool has_port, uint16_t port, uint16_t txlog_port)
{
	r->n = 0;
	if (coding == CHARSET_8BIT)
		extract_binary(r, payload, len, has_port, port, txlog_port);
	else
		extract_coded_text(r, coding, payload, len);
	extract_none_is_not_txlog(r, payload, len, "no TXLOG frame in the message");
}
