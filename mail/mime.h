/*
 * mime.h — a push parser for Internet mail (RFC 5322) and MIME (RFC 2045,
 * 2046, 2231), without I/O: the caller pushes the message bytes in chunks
 * of any size and the parser calls back for each leaf part with its
 * decoded content.
 *
 * What it understands:
 *  - header fields with folding (RFC 5322 §2.2.3), names in any case; a
 *    field holding a NUL byte is IGNORED (RFC 5322 §2.2 forbids NUL; one
 *    bad field should not cost the mail), and counted as a defect;
 *  - Content-Type (RFC 2045 §5.1) with comments, quoted strings and RFC
 *    2231 parameter continuations / extended values; a missing or invalid
 *    one is text/plain (RFC 2045 §5.2), message/rfc822 inside a
 *    multipart/digest (RFC 2046 §5.1.5);
 *  - multipart of every subtype, nested, with preamble and epilogue; a
 *    delimiter line is "--" boundary ["--"] then blanks (RFC 2046 §5.1.1);
 *    a line longer than MIME_LINE_KEEP bytes is never a delimiter; an
 *    outer delimiter closes the inner parts; a missing close delimiter is
 *    a defect, not an error;
 *  - message/rfc822 and message/global parts, parsed as messages;
 *  - Content-Transfer-Encoding 7bit, 8bit, binary (as is), base64 and
 *    quoted-printable (b64stream.h, qp.h).  An unknown encoding is
 *    reported; the part's bytes are then not delivered (RFC 2045 §6.4).
 * Line ends are CRLF or a bare LF.  The line end before a delimiter, and
 * the one at the very end of the message, belong to the delimiter / the
 * end, not to the content (RFC 2046 §5.1.1).
 *
 * Memory is bounded by the limits, never by the message: only the header
 * block being read, one line start and the parts a caller takes are kept.
 * Past a limit the parser stops with -EMSGSIZE and a reason.  A message
 * with no header field at all is refused with -EINVAL.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_LINE_KEEP		1000	/* line bytes kept to look for a delimiter (RFC 5322 §2.1.1: 998) */
#define MIME_BOUNDARY_MAX	200	/* RFC 2046 §5.1.1 says 70; longer ones are seen */
#define MIME_TYPE_MAX		127	/* "type/subtype" kept; longer is application/octet-stream */
#define MIME_CHARSET_MAX	63

struct mime_limits {
	unsigned max_depth;	/* multipart / message nesting: parts at most this deep */
	unsigned max_parts;	/* body parts in the whole message */
	size_t max_header;	/* bytes in one header block */
	size_t max_part;	/* decoded bytes of one part the caller takes */
};

/* Defaults: depth 16, 1000 parts, 64 KiB of header, 1 MiB per part. */
#define MIME_LIMITS_DEFAULT { .max_depth = 16, .max_parts = 1000, \
	.max_header = 64 * 1024, .max_part = 1024 * 1024 }

enum mime_cte {
	MIME_CTE_7BIT,		/* also 8bit and binary: the bytes as they are */
	MIME_CTE_BASE64,
	MIME_CTE_QP,
	MIME_CTE_UNKNOWN,	/* RFC 2045 §6.4: treat as application/octet-stream */
};

/* Irregularities the parser got over; mime_defects() ORs them. */
enum mime_defect {
	MIME_DEF_NUL_HEADER = 1 << 0,	/* a header field with a NUL, ignored */
	MIME_DEF_NO_END = 1 << 1,	/* a multipart without its close delimiter */
	MIME_DEF_NO_BOUNDARY = 1 << 2,	/* a multipart without a usable boundary: a leaf */
	MIME_DEF_BAD_HEADER = 1 << 3,	/* a line in a header block that is not a field: body */
	MIME_DEF_BAD_TYPE = 1 << 4,	/* an invalid Content-Type, taken as the default */
};

/* A leaf part, as part_begin sees it.  Strings live until part_end. */
struct mime_part {
	const char *type;	/* "type/subtype", lower case */
	const char *charset;	/* the charset parameter, lower case; "" when none */
	enum mime_cte cte;
	unsigned depth;		/* 0: the message itself; 1: a part of it; ... */
	unsigned index;		/* body parts opened before this one */
};

/*
 * Callbacks.  Each returns a negative errno to stop the parse (mime_feed()
 * and mime_end() then return it; set a reason with mime_fail() first).
 * After an error no callback is called again.
 */
struct mime_cb {
	/* A leaf part begins.  Return 1 to take its decoded bytes, 0 to skip
	 * them (they are then not even decoded). */
	int (*part_begin)(void *data, const struct mime_part *p);
	/* Decoded bytes of a taken part, in order, in pieces of any size.
	 * Return 1 when you want no more of it (the rest is skipped). */
	int (*part_data)(void *data, const uint8_t *buf, size_t len);
	/* A taken part ends.  err: 0, or -EINVAL when its transfer encoding
	 * is broken (base64 garbage; why says what), or -ENOTSUP for an
	 * unknown transfer encoding (nothing was delivered). */
	int (*part_end)(void *data, int err, const char *why);
};

struct mime;

/*
 * A parser allocated under ctx (talloc).  lim NULL: the defaults.  data
 * is handed to the callbacks.  NULL when out of memory or a limit is 0.
 */
struct mime *mime_new(void *ctx, const struct mime_limits *lim, const struct mime_cb *cb,
		      void *data);

/*
 * Push the next len bytes of the message.  Returns 0, or the first error
 * (sticky): -EMSGSIZE past a limit, -ENOMEM, or a callback's error.
 */
int mime_feed(struct mime *m, const uint8_t *buf, size_t len);

/*
 * The message has ended: close every open part.  Returns 0, -EMSGSIZE,
 * -EINVAL (no header field: not a mail), -ENOMEM or a callback's error.
 */
int mime_end(struct mime *m);

/* Why the parse failed ("too many parts (limit 1000)"), or "". */
const char *mime_error(const struct mime *m);

/* Stop the parse from a callback: record err and the reason (copied).
 * Returns err.  The first failure wins. */
int mime_fail(struct mime *m, int err, const char *why);

/* The defects seen so far (enum mime_defect bits). */
unsigned mime_defects(const struct mime *m);

/* Body parts opened so far (the message itself not counted). */
unsigned mime_parts(const struct mime *m);
