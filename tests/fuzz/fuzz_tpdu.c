/*
 * fuzz_tpdu — the TPDU decoder in both directions (3GPP TS 23.040 §9.2.2).
 * Whatever it accepts must re-encode to exactly the input bytes, and the
 * name helpers must accept every decoded value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/tpdu.h"

static void touch_names(const struct sms_tpdu *t)
{
	struct udh_concat c;
	uint16_t dst, src;
	char iso[32];
	size_t sum = strlen(sms_tpdu_type_name(t->type)) + strlen(sms_ton_name(t->addr.ton))
		     + strlen(sms_npi_name(t->addr.npi)) + strlen(sms_pid_name(&t->pid))
		     + strlen(sms_dcs_group_name(t->dcs.group)) + strlen(sms_alphabet_name(t->dcs.alphabet))
		     + strlen(sms_st_name(t->st)) + strlen(sms_fcs_name(t->fcs))
		     + strlen(sms_ct_name(t->ct)) + strlen(sms_vpf_name(t->vp.format));
	for (unsigned i = 0; i < t->ud.udh.n_ies; i++)
		sum += strlen(udh_iei_name(t->ud.udh.ies[i].iei));
	if (sum == 0)
		abort();
	udh_concat(&t->ud.udh, &c);
	udh_ports(&t->ud.udh, &dst, &src);
	if (sms_time_format(iso, sizeof(iso), &t->scts) != 25)
		abort();
	(void)sms_vp_seconds(&t->vp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sms_dir dirs[2] = { SMS_MS_TO_SC, SMS_SC_TO_MS };
	struct sms_tpdu t;
	uint8_t out[SMS_TPDU_MAX_LEN];

	for (int d = 0; d < 2; d++) {
		int rc = sms_tpdu_decode(&t, data, size, dirs[d]);
		if (rc) {
			if (rc != -EIO && rc != -EINVAL)
				abort();
			continue;
		}
		touch_names(&t);
		int n = sms_tpdu_encode(out, sizeof(out), &t, dirs[d]);
		if (n != (int)size || memcmp(out, data, size))
			abort();	/* accepted but not re-encoded the same */
	}
	return 0;
}
