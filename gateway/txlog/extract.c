/*
 * extract.c — frames out of whole messages; see extract.h.
 */
#include <stddef.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "gateway/txlog/armour.h"
#include "gateway/txlog/extract.h"

static struct extract_item *add(struct extract_result *r, enum extract_kind kind, const char *why)
{
	if (r->n > EXTRACT_MAX_ITEMS)
		return NULL;
	if (r->n == EXTRACT_MAX_ITEMS)
		kind = EXTRACT_TOO_MANY, why = "more frames in one message than the gateway takes";
	struct extract_item *it = &r->item[r->n++];
	it->kind = kind;
	it->why = why;
	it->len = 0;
	return it;
}

static void set_raw(struct extract_item *it, const uint8_t *raw, size_t len)
{
	it->len = len < EXTRACT_RAW_MAX ? len : EXTRACT_RAW_MAX;
	memcpy(it->data, raw, it->len);
}

void extract_binary(struct extract_result *r, const uint8_t *buf, size_t len, bool has_port,
		    uint16_t port, uint16_t txlog_port)
{
	struct extract_item *it;

	if (has_port && port != txlog_port) {
		it = add(r, EXTRACT_NOT_TXLOG, "binary message for another application port");
		if (it)
			set_raw(it, buf, len);
		return;
	}
	it = add(r, EXTRACT_FRAME, NULL);
	if (!it)
		return;
	if (it->kind != EXTRACT_FRAME || len > TXL_MAX_LEN) {
		/* too long to be a frame: malformed, judged on its first bytes */
		if (it->kind == EXTRACT_FRAME)
			it->kind = EXTRACT_MALFORMED, it->why = "longer than the longest frame";
		set_raw(it, buf, len);
		return;
	}
	memcpy(it->data, buf, len);
	it->len = len;
}

void extract_text(struct extract_result *r, const char *text, size_t len)
{
	struct armour_scan s;
	struct armour_hit hit;
	uint8_t buf[TXL_MAX_LEN + 1];

	armour_scan_init(&s);
	while (armour_next(&s, text, len, &hit, buf, sizeof(buf)) == 1) {
		struct extract_item *it = add(r, hit.err ? EXTRACT_MALFORMED : EXTRACT_FRAME, hit.why);
		if (!it)
			return;
		if (it->kind == EXTRACT_FRAME) {
			memcpy(it->data, buf, hit.len);
			it->len = hit.len;
		} else {
			set_raw(it, (const uint8_t *)text + hit.offset, hit.end - hit.offset);
		}
	}
}

void extract_none_is_not_txlog(struct extract_result *r, const uint8_t *raw, size_t len,
			       const char *why)
{
	if (r->n)
		return;
	struct extract_item *it = add(r, EXTRACT_NOT_TXLOG, why);
	if (it)
		set_raw(it, raw, len);
}

struct extract_result *extract_result_dup(void *ctx, const struct extract_result *r, unsigned spare)
{
	unsigned n = r->n + spare;
	if (n > EXTRACT_MAX_ITEMS + 1)
		n = EXTRACT_MAX_ITEMS + 1;
	size_t size = offsetof(struct extract_result, item) + (size_t)n * sizeof(r->item[0]);
	struct extract_result *c = talloc_size(ctx, size);
	if (!c)
		return NULL;
	c->n = r->n;
	memcpy(c->item, r->item, (size_t)r->n * sizeof(r->item[0]));
	return c;
}
