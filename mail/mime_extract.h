/*
 * mime_extract.h — the TXLOG frames a mail carries (doc/txlog-v1.md,
 * "E-mail (SMTP)"), found with the MIME parser (mime.h).
 *
 *  - every application/vnd.txlog part is one binary frame, whatever its
 *    transfer encoding: an EXTRACT_FRAME item; EXTRACT_MALFORMED when it
 *    is longer than TXL_MAX_LEN (the first 512 bytes kept as raw), when
 *    its base64 is garbage, or when its transfer encoding is unknown;
 *  - every text/plain part is converted to UTF-8 by its charset, then
 *    every "TXL1:" armour in it is an item (extract_text()).  A text part
 *    whose base64 is garbage is one EXTRACT_MALFORMED item (it may have
 *    held frames; we cannot tell).  A text part in an unknown transfer
 *    encoding is skipped (RFC 2045 §6.4);
 *  - message/rfc822 parts are parsed as messages, so a forwarded mail
 *    counts; every other part (text/html, images, ...) is ignored.
 * At most EXTRACT_MAX_ITEMS frames, then one EXTRACT_TOO_MANY item.
 * Finding nothing is not an error: r->n == 0, and the caller answers
 * with a not_txlog reject (extract_none_is_not_txlog()).
 *
 * Charsets of text parts: utf-8, us-ascii and iso-8859-1 natively, utf-16
 * (byte order from the BOM, else big-endian, RFC 2781 §4.3), utf-16be and
 * utf-16le natively; any other through iconv(3).  Invalid sequences become
 * U+FFFD.  A charset iconv does not know is read as US-ASCII (the armour
 * is ASCII: whatever else the text says, the frames can still be found).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/extract.h"
#include "mail/mime.h"

struct mime_extract;

/*
 * A streaming extractor (for SMTP DATA, after dot-unstuffing) allocated
 * under ctx; lim NULL: MIME_LIMITS_DEFAULT.  Found items are written to r
 * (its n is set to 0 here).  NULL when out of memory or lim is invalid.
 * talloc_free() it when done.
 */
struct mime_extract *mime_extract_new(void *ctx, const struct mime_limits *lim,
				      struct extract_result *r);

/* The next len bytes of the mail.  Returns 0 or the first error (sticky),
 * as mime_extract_end() would. */
int mime_extract_feed(struct mime_extract *x, const uint8_t *buf, size_t len);

/*
 * The mail has ended.  Returns 0 (r holds the items, perhaps none),
 * -EMSGSIZE (a limit: answer 552), -EINVAL (not a mail at all: answer
 * 554) or -ENOMEM; on error r->n is 0 and why[cap] says what, e.g.
 * "too many parts (limit 1000)".
 */
int mime_extract_end(struct mime_extract *x, char *why, size_t cap);

/* The same for a whole mail in one buffer; also -ENOMEM when lim has a
 * zero limit (mime_new() refuses it). */
int mime_extract_mail(void *ctx, const uint8_t *mail, size_t len, const struct mime_limits *lim,
		      struct extract_result *r, char *why, size_t cap);

/*
 * in[len], text in charset (a MIME charset name, any case; "" is
 * US-ASCII), to UTF-8 as above.  *out is allocated under ctx (not
 * NUL-terminated), *olen its length.  Returns 0 or -ENOMEM.
 */
int mime_text_to_utf8(void *ctx, const char *charset, const uint8_t *in, size_t len,
		      char **out, size_t *olen);
