/*
 * mt_book.h — what txgw-handset-sim's handsets received: each
 * mobile-terminated SMS-DELIVER decoded with txgw's own TPDU decoder
 * (gateway/sms/tpdu.h), concatenated parts joined with its reassembly
 * (gateway/sms/concat.h), text turned into UTF-8 (gateway/sms/charset.h).
 *
 * In the summary, "mt": one object a message, in the order completed:
 *   {imsi, msisdn (the receiving handset's), from (TP-OA), dcs (TP-DCS),
 *    parts, port (destination port, when a port IE came), and
 *    text (UTF-8, GSM 7-bit and UCS-2) or data (8-bit, hex)}
 * and "mt_bad": TPDUs that did not decode as an SMS-DELIVER.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct jw;
struct mt_book;

/* Under ctx; NULL on allocation failure. */
struct mt_book *mt_book_new(void *ctx);

/* One SMS-DELIVER TPDU received by the handset imsi / msisdn at now_ms. */
void mt_book_add(struct mt_book *b, const char *imsi, const char *msisdn, const uint8_t *tpdu,
		 size_t len, uint64_t now_ms);

/* Whole messages recorded; TPDUs refused. */
size_t mt_book_count(const struct mt_book *b);
size_t mt_book_bad(const struct mt_book *b);

/* "mt" and "mt_bad" into an open object. */
void mt_book_json(struct jw *w, const struct mt_book *b);
