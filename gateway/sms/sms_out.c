/*
 * sms_out.c — a binary payload as SMS parts with their UDH; see sms_out.h.
 */
#include <errno.h>
#include <string.h>

#include "gateway/sms/sms_out.h"
#include "gateway/sms/udh.h"

unsigned sms_out_parts(size_t len)
{
	if (len <= SMS_OUT_SINGLE_MAX)
		return len ? 1 : 0;
	return (unsigned)((len + SMS_OUT_PART_MAX - 1) / SMS_OUT_PART_MAX);
}

/* One part: the header h, then n payload octets. */
static int part_put(struct sms_out_part *p, const struct udh *h, const uint8_t *data, size_t n)
{
	int hl = udh_encode(p->ud, sizeof(p->ud), h);

	if (hl < 0 || (size_t)hl + n > sizeof(p->ud))
		return -ENOSPC;
	memcpy(p->ud + hl, data, n);
	p->len = (uint8_t)(hl + n);
	return 0;
}

int sms_out_split(const uint8_t *payload, size_t len, uint16_t port, uint8_t ref,
		  struct sms_out_part parts[SMS_OUT_MAX_PARTS])
{
	unsigned n = sms_out_parts(len);
	struct udh h;

	if (!n)
		return -EINVAL;
	if (n > SMS_OUT_MAX_PARTS)
		return -EMSGSIZE;
	for (unsigned i = 0; i < n; i++) {
		size_t off = (size_t)i * SMS_OUT_PART_MAX;
		size_t chunk = n == 1 ? len : (len - off < SMS_OUT_PART_MAX ? len - off : SMS_OUT_PART_MAX);
		struct udh_concat c = { .ref = ref, .ref_bits = 8, .total = (uint8_t)n,
					.seq = (uint8_t)(i + 1) };

		udh_init(&h);
		if ((n > 1 && udh_add_concat(&h, &c) < 0) || udh_add_ports(&h, port, port, 16) < 0)
			return -EINVAL;
		if (part_put(&parts[i], &h, payload + off, chunk) < 0)
			return -EINVAL;
	}
	return (int)n;
}
