/*
 * fuzz_receipt.c — libFuzzer target for smpp_receipt_parse(), the reader of
 * an SMSC's delivery receipts (smpp/smpp_receipt.h, doc/downlink.md
 * "Delivery receipts"): the Appendix B text and the receipted_message_id,
 * message_state, network_error_code and user_message_reference TLVs.
 *
 * Input: octet 0 chooses the PDU (bit 0: data_sm, else deliver_sm); the
 * rest is its body, after a header made here, unpacked as the ESME's
 * reader does (smpp_pdu_unpack()).  Besides not crashing, a receipt read
 * has a message id of 1 to 64 bytes, NUL-terminated: the TLV's when it is
 * there, else a word of the text; a state of the enum; an error string
 * NUL-terminated within its bound, either the word after "err:" or the
 * TLV's whole code in decimal; from as sent or "".  The id, the error and
 * from are printable ASCII: they go into the logs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smpp/smpp_pdu.h"
#include "smpp/smpp_receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The user data as a C string, a NUL byte read as a space (as the parser does). */
static char *text_of(const struct smpp_pdu *p)
{
	const uint8_t *ud;
	size_t len;
	char *t;

	smpp_pdu_user_data(p, &ud, &len);
	t = malloc(len + 1);
	if (!t)
		abort();
	for (size_t i = 0; i < len; i++)
		t[i] = ud[i] ? (char)ud[i] : ' ';
	t[len] = '\0';
	return t;
}

/* Whether "key" immediately followed by word[n] is in text, case aside. */
static bool has_field(const char *text, const char *key, const char *word, size_t n)
{
	size_t kl = strlen(key);

	for (const char *s = text; (s = strcasestr(s, key)); s++)
		if (!strncmp(s + kl, word, n))
			return true;
	return false;
}

/* s[n] printable ASCII (it goes into the logs), space included or not. */
static bool printable(const char *s, size_t n, bool space)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < (space ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static void check_err(const struct smpp_pdu *p, const char *text, const struct smpp_receipt *r)
{
	size_t n = strnlen(r->err, sizeof(r->err));
	uint32_t nec;
	char *end;

	if (n >= sizeof(r->err) || !printable(r->err, n, false))
		abort();
	if (!n || has_field(text, "err:", r->err, n))
		return;
	/* else the network_error_code TLV's error code (§5.3.2.31), whole */
	if (smpp_tlv_uint(p, SMPP_TLV_NETWORK_ERROR_CODE, &nec) ||
	    strtoul(r->err, &end, 10) != (nec & 0xffff) || *end || n < 3)
		abort();
}

static void check(const struct smpp_pdu *p, const struct smpp_receipt *r)
{
	const char *tlv;
	char *text = text_of(p);
	size_t n = strnlen(r->message_id, sizeof(r->message_id));
	uint32_t v;

	if (n < 1 || n >= sizeof(r->message_id) || !printable(r->message_id, n, true))
		abort();
	if (smpp_tlv_cstr(p, SMPP_TLV_RECEIPTED_MESSAGE_ID, &tlv) == 0 && tlv[0]) {
		if (strcmp(tlv, r->message_id))
			abort();
	} else if (memchr(r->message_id, ' ', n) || !has_field(text, "id:", r->message_id, n)) {
		abort();
	}
	if (r->state > SMPP_MS_REJECTED)
		abort();
	check_err(p, text, r);
	if (r->has_umr != (smpp_tlv_uint(p, SMPP_TLV_USER_MESSAGE_REFERENCE, &v) == 0) ||
	    (r->has_umr && r->umr != v))
		abort();
	n = strnlen(r->from, sizeof(r->from));
	if (n >= sizeof(r->from) || !printable(r->from, n, true) ||
	    (r->from[0] && strcmp(r->from, p->source_addr)))
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_pdu *p;
	struct smpp_receipt r;
	uint8_t *pdu;
	uint32_t st;
	int rc;

	if (size < 1 || size > 0x20000)
		return 0;
	p = malloc(sizeof(*p));
	pdu = malloc(SMPP_HDR_LEN + size - 1);
	if (!p || !pdu)
		abort();
	put32(pdu, (uint32_t)(SMPP_HDR_LEN + size - 1));
	put32(pdu + 4, data[0] & 1 ? SMPP_DATA_SM : SMPP_DELIVER_SM);
	put32(pdu + 8, 0);
	put32(pdu + 12, 1);
	memcpy(pdu + SMPP_HDR_LEN, data + 1, size - 1);
	if (smpp_pdu_unpack(p, pdu, SMPP_HDR_LEN + size - 1, &st) == 0) {
		rc = smpp_receipt_parse(p, &r);
		if (rc == 0)
			check(p, &r);
		else if (rc != -ENOENT && rc != -EINVAL)
			abort();
	}
	free(pdu);
	free(p);
	return 0;
}
