/*
 * mime_header.h — the MIME header fields of one entity, read from its
 * header block (RFC 5322 §2.2, RFC 2045 §5 and §6, RFC 2231).
 *
 * The block is the entity's header lines as mime.c keeps them: each line
 * ends with "\n" (the CR removed), a line starting with a blank continues
 * the field above (folding, RFC 5322 §2.2.3).  Pure: no I/O, no allocation.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "mail/mime.h"

struct mime_header {
	char type[MIME_TYPE_MAX + 1];		/* "type/subtype", lower case */
	char charset[MIME_CHARSET_MAX + 1];	/* lower case; "" when none */
	char boundary[MIME_BOUNDARY_MAX + 1];	/* "" when none or unusable */
	size_t boundary_len;
	enum mime_cte cte;
	unsigned defects;			/* MIME_DEF_NUL_HEADER, MIME_DEF_BAD_TYPE */
};

/*
 * Read Content-Type and Content-Transfer-Encoding from hdr[len] (the
 * first of each counts; a field with a NUL byte is skipped).  A missing
 * or invalid Content-Type is text/plain, or message/rfc822 when
 * in_digest (RFC 2045 §5.2, RFC 2046 §5.1.5).
 */
void mime_header_parse(struct mime_header *h, const char *hdr, size_t len, bool in_digest);

/*
 * The parameter name (case-insensitive) of a Content-Type value
 * val[len] (the part after "type/subtype" may follow anything), RFC 2045
 * §5.1 with RFC 2231 continuations ("name*0", "name*1*", ...) and
 * extended values ("name*=utf-8''a%20b": the charset and language are
 * dropped, the %XX decoded).  Comments and folding are skipped.  Writes
 * the value and a NUL to out[cap].  Returns its length, -ENOENT (absent)
 * or -ENOSPC (longer than cap - 1).
 */
int mime_header_param(const char *val, size_t len, const char *name, char *out, size_t cap);
