/*
 * mail_form.h — a handset's TXLOG upload as an Internet mail (RFC 5322,
 * MIME RFC 2045/2046), in the shapes mail systems produce, for
 * txgw-mail-sim.  Pure: builds bytes in memory, no I/O, no state.
 *
 * Where frames may travel (txlog-v1.md, "E-mail (SMTP)"): as
 * application/vnd.txlog parts, one binary frame each, or as armoured text
 * ("TXL1:" + base64) in text/plain parts of any charset and transfer
 * encoding.  The shapes:
 *
 *   attach       multipart/mixed: a short text/plain note, then each
 *                frame as an application/vnd.txlog attachment in base64;
 *                with one frame and an odd variant, the whole message is
 *                the application/vnd.txlog body (no multipart)
 *   multi        the same with several frames (the caller passes them)
 *   qp           one text/plain; charset=utf-8 body in quoted-printable:
 *                UTF-8 prose around the armours (RFC 2045 §6.7)
 *   alternative  multipart/alternative: text/plain (7bit, armours wrapped
 *                at 76 columns) and text/html (quoted-printable)
 *   rfc822       multipart/mixed: a "forwarded message" note and a
 *                message/rfc822 part holding an attach-shaped mail
 *   utf16        text/plain; charset=utf-16, base64: a BOM, then prose and
 *                armours in UTF-16 (big- or little-endian by variant)
 *
 * Every line ends in CRLF (RFC 5322 §2.1), none is longer than 76
 * characters in base64 and quoted-printable bodies (RFC 2045 §6.7, §6.8)
 * nor 998 anywhere.  Text after an armour always begins with a character
 * outside base64 and white space, so that the armour ends where it should
 * (txlog-v1.md, "Armoured text form").  Boundaries are "=_txgw_..."
 * strings: neither base64 nor quoted-printable output can hold "=_", so a
 * boundary never occurs in the content (RFC 2046 §5.1.1).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum mail_shape {
	MAIL_ATTACH,
	MAIL_MULTI,
	MAIL_QP,
	MAIL_ALTERNATIVE,
	MAIL_RFC822,
	MAIL_UTF16,
	MAIL_SHAPE_COUNT
};

#define MAIL_FORM_MAX		(4u << 20)	/* bytes in one mail at most */
#define MAIL_ADDR_MAX		254		/* RFC 5321 §4.5.3.1.3 path, less <> */

/* Header fields and the choices that vary from mail to mail. */
struct mail_head {
	const char *from;	/* the handset's address, "886912345678@handset.example" */
	const char *to;		/* "upload@txlog.example" */
	const char *subject;	/* ASCII, one line */
	int64_t date;		/* Unix seconds, written in UTC (RFC 5322 §3.3) */
	uint64_t unique;	/* makes Message-ID and boundaries unique */
	uint32_t variant;	/* picks among equivalent forms (bits are used freely) */
};

/* One frame to carry; device_id and upload_seq name the attachment. */
struct mail_frame {
	const uint8_t *data;
	size_t len;
	uint64_t device_id;
	uint32_t upload_seq;
};

/*
 * The mail carrying frames fr[0..n-1] (n >= 1) in shape, allocated under
 * ctx as *out (NUL-terminated; *len without the NUL).  Returns 0,
 * -EINVAL (n == 0, a shape out of range, a NULL or multi-line header
 * value), -ENOSPC (over MAIL_FORM_MAX) or -ENOMEM.
 */
int mail_form(void *ctx, enum mail_shape shape, const struct mail_head *h,
	      const struct mail_frame *fr, unsigned n, char **out, size_t *len);

/*
 * A person's mail: text[tlen] (UTF-8) as a text/plain; charset=utf-8
 * body, quoted-printable.  The caller makes sure it holds no "TXL1:".
 * Returns as mail_form().
 */
int mail_form_text(void *ctx, const struct mail_head *h, const char *text, size_t tlen,
		   char **out, size_t *len);

/* "attach", "multi", ..., "utf16", and back: MAIL_SHAPE_COUNT when unknown. */
const char *mail_shape_name(enum mail_shape s);
enum mail_shape mail_shape_parse(const char *name);
