/*
 * smpp_receipt.c — reading an SMSC delivery receipt; see smpp_receipt.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smpp/smpp_receipt.h"

/* Appendix B's text is short; past this nothing of ours is looked for. */
#define RECEIPT_TEXT_MAX	512

static const struct {
	enum smpp_msg_state state;
	const char *name;
} state_names[] = {
	{ SMPP_MS_ENROUTE, "ENROUTE" },
	{ SMPP_MS_DELIVERED, "DELIVRD" },
	{ SMPP_MS_EXPIRED, "EXPIRED" },
	{ SMPP_MS_DELETED, "DELETED" },
	{ SMPP_MS_UNDELIVERABLE, "UNDELIV" },
	{ SMPP_MS_ACCEPTED, "ACCEPTD" },
	{ SMPP_MS_UNKNOWN, "UNKNOWN" },
	{ SMPP_MS_REJECTED, "REJECTD" },
};

const char *smpp_msg_state_name(enum smpp_msg_state s)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (state_names[i].state == s)
			return state_names[i].name;
	return "?";
}

static enum smpp_msg_state state_of_word(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strlen(state_names[i].name) == n && !strncasecmp(state_names[i].name, w, n))
			return state_names[i].state;
	return SMPP_MS_UNKNOWN_VALUE;
}

/* Printable ASCII only: what an SMSC's ids and error codes are made of,
 * and what may go into our logs (a CR or LF there would forge a line). */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/*
 * The value of field key ("id:") in text[len]: the word after it, up to
 * a space.  The field starts the text or follows a space.  Returns its
 * length and *val, or -1.
 */
static int field(const char *text, size_t len, const char *key, const char **val)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl <= len; i++) {
		if ((i && text[i - 1] != ' ') || strncasecmp(text + i, key, kl))
			continue;
		size_t v = i + kl, e = v;
		while (e < len && text[e] != ' ')
			e++;
		*val = text + v;
		return (int)(e - v);
	}
	return -1;
}

/* The receipt text without its free-form "text:" tail, which could hold
 * anything, "id:" included. */
static size_t text_of(const struct smpp_pdu *p, char *buf, size_t cap)
{
	const uint8_t *data;
	size_t len;

	smpp_pdu_user_data(p, &data, &len);
	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i++)
		buf[i] = data[i] ? (char)data[i] : ' ';
	for (size_t i = 0; i + 5 <= len; i++)
		if ((!i || buf[i - 1] == ' ') && !strncasecmp(buf + i, "text:", 5))
			return i;
	return len;
}

static void take_err(const struct smpp_pdu *p, const char *text, size_t len, struct smpp_receipt *r)
{
	const char *v;
	uint32_t nec;
	int n = field(text, len, "err:", &v);

	if (n > 0 && (size_t)n < sizeof(r->err) && printable(v, (size_t)n)) {
		memcpy(r->err, v, (size_t)n);
		r->err[n] = '\0';
	} else if (smpp_tlv_uint(p, SMPP_TLV_NETWORK_ERROR_CODE, &nec) == 0) {
		/* §5.3.2.31: network type, then a 2-octet error code: up to
		 * 65535, five digits; Appendix B's three at least */
		snprintf(r->err, sizeof(r->err), "%03u", nec & 0xffff);
	}
}

int smpp_receipt_parse(const struct smpp_pdu *p, struct smpp_receipt *r)
{
	char text[RECEIPT_TEXT_MAX];
	size_t len = text_of(p, text, sizeof(text));
	const char *id = NULL, *v;
	uint32_t st;
	int n;

	memset(r, 0, sizeof(*r));
	if (smpp_tlv_cstr(p, SMPP_TLV_RECEIPTED_MESSAGE_ID, &id) == 0 && id[0]) {
		n = (int)strlen(id);
	} else {
		n = field(text, len, "id:", &id);
		if (n <= 0)
			return -ENOENT;
	}
	if ((size_t)n >= sizeof(r->message_id) || !printable(id, (size_t)n))
		return -EINVAL;
	memcpy(r->message_id, id, (size_t)n);
	r->message_id[n] = '\0';
	if (smpp_tlv_uint(p, SMPP_TLV_MESSAGE_STATE, &st) == 0)
		r->state = st <= SMPP_MS_REJECTED ? (enum smpp_msg_state)st : SMPP_MS_UNKNOWN_VALUE;
	else if ((n = field(text, len, "stat:", &v)) > 0)
		r->state = state_of_word(v, (size_t)n);
	take_err(p, text, len, r);
	if (smpp_tlv_uint(p, SMPP_TLV_USER_MESSAGE_REFERENCE, &st) == 0) {
		r->has_umr = true;
		r->umr = (uint16_t)st;
	}
	n = (int)strlen(p->source_addr);
	if ((size_t)n < sizeof(r->from) && printable(p->source_addr, (size_t)n))
		memcpy(r->from, p->source_addr, (size_t)n + 1);
	return 0;
}
