/*
 * fuzz_mail_form.c — libFuzzer target for contrib/sim/mail_form.c.
 *
 * Input: octet 0 picks the shape (or a person's text mail), octets 1..4
 * the variant, then frames, each a length octet (x 8, so up to 2040, cut
 * to what is left) and its bytes, at most 16.  mail_form() must refuse
 * exactly the inputs with no frame or one over TXL_MAX_LEN.  Whatever the frames and
 * variant, the mail must be 7-bit ASCII with CRLF line ends only, no NUL,
 * no line over 998 characters (RFC 5322 §2.1.1), and every line holding
 * a boundary must be a delimiter line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/mail_form.h"
#include "gateway/txlog/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *m, size_t len)
{
	size_t col = 0, line = 0;

	if (strlen(m) != len || len < 2 || memcmp(m + len - 2, "\r\n", 2))
		abort();
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)m[i];
		if (c >= 0x80 || c == 0 || (c == '\n' && (i == 0 || m[i - 1] != '\r')) ||
		    (c == '\r' && m[i + 1] != '\n'))
			abort();
		if (c == '\n') {
			const char *b = memmem(m + line, i - line, "=_txgw_", 7);
			if (b && (b != m + line + 2 || m[line] != '-' || m[line + 1] != '-') &&
			    !memmem(m + line, i - line, "boundary=\"=_txgw_", 17))
				abort();
			col = 0;
			line = i + 1;
		} else if (c != '\r' && ++col > 998) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_frame fr[16];
	struct mail_head h = {
		.from = "886912345678@handset.example", .to = "upload@txlog.example",
		.subject = "TXLOG upload", .date = 1795000000, .unique = 42,
	};
	unsigned n = 0;
	size_t off = 5;
	bool text, bad;
	char *mail = NULL;
	size_t len = 0;
	int rc;

	if (size < 5)
		return 0;
	text = data[0] % (MAIL_SHAPE_COUNT + 1) == MAIL_SHAPE_COUNT;
	bad = !text && size == 5;
	memcpy(&h.variant, data + 1, 4);
	while (off < size && n < 16) {
		size_t l = (size_t)data[off++] * 8;
		if (l > size - off)
			l = size - off;
		fr[n] = (struct mail_frame){ .data = data + off, .len = l, .upload_seq = n };
		n++;
		bad |= !text && l > TXL_MAX_LEN;
		off += l;
	}
	if (text)
		rc = mail_form_text(NULL, &h, (const char *)data + 5, size - 5, &mail, &len);
	else
		rc = mail_form(NULL, (enum mail_shape)(data[0] % (MAIL_SHAPE_COUNT + 1)), &h, fr, n, &mail,
			       &len);
	if (rc != (bad ? -EINVAL : 0))
		abort();
	if (rc == 0)
		check(mail, len);
	talloc_free(mail);
	return 0;
}
