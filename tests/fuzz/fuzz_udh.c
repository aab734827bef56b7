/*
 * fuzz_udh — the User Data Header walker (3GPP TS 23.040 §9.2.3.24): every
 * IE stays inside UDHL, typed readers stay inside their IEs, and an
 * accepted header re-encodes (and re-builds IE by IE) to the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/udh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udh h, built;
	struct udh_concat c;
	uint16_t dst, src;
	uint8_t out[UDH_MAX_LEN + 1];

	int rc = udh_parse(&h, data, size);
	if (rc < 0) {
		if (rc != -EIO && rc != -EINVAL)
			abort();
		return 0;
	}
	if ((size_t)rc != 1 + (size_t)data[0] || rc > (int)size)
		abort();
	if (udh_concat(&h, &c) == 0 && (c.total == 0 || c.seq == 0 || c.seq > c.total))
		abort();	/* an invalid IE must have been ignored */
	udh_ports(&h, &dst, &src);
	udh_sim_toolkit(&h);

	udh_init(&built);
	for (unsigned i = 0; i < h.n_ies; i++) {
		const struct udh_ie *ie = &h.ies[i];
		if (ie->off + ie->len > h.len || strlen(udh_iei_name(ie->iei)) == 0)
			abort();
		if (udh_add(&built, ie->iei, udh_ie_data(&h, ie), ie->len))
			abort();
	}
	if (udh_encode(out, sizeof(out), &built) != rc || memcmp(out, data, (size_t)rc)
	    || memcmp(built.ies, h.ies, h.n_ies * sizeof(h.ies[0])))
		abort();
	return 0;
}
