/*
 * fuzz_sms_form — contrib/sim/sms_form.c under arbitrary input, both ways:
 *
 *  - the handset side: the first octet picks coding, reference width and
 *    form, the rest is the payload (octets, or UTF-8 text); when
 *    sf_tpdus() accepts it, every TPDU must decode as an SMS-SUBMIT and
 *    the deliver_sm PDUs must unpack with ESME_ROK;
 *  - the SMSC side: the input read as length-prefixed TPDUs of one
 *    message (any bytes, as a hostile handset could send) handed to
 *    sf_deliver_sm(): refused or turned into PDUs that unpack cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/sms_form.h"
#include "smpp/smpp_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pdus(const struct sf_deliver *d)
{
	static struct smpp_pdu p;
	uint32_t st;

	for (unsigned i = 0; i < d->n; i++)
		if (smpp_pdu_unpack(&p, d->pdu[i], d->len[i], &st) != 0 || st != 0 ||
		    p.command_id != SMPP_DELIVER_SM)
			abort();
}

static void handset(void *ctx, uint8_t sel, const uint8_t *data, size_t size)
{
	struct sf_opts o = {
		.coding = (enum sf_coding)(sel % 3), .ref_bits = sel & 0x04 ? 16 : 8, .ref = sel,
		.mr = sel, .port = sel & 0x08, .dst_port = SF_TXLOG_PORT, .da = "886900000001",
	};
	struct sf_smpp_opts so = { .form = (enum sf_smpp_form)((sel >> 4) % 3), .dc1 = sel & 0x80,
				   .src = "886912345678", .dst = "886900000001" };
	static struct sf_sms s;
	struct sf_deliver d;
	struct sms_tpdu t;

	if (sf_tpdus(&s, &o, data, size) <= 0)
		return;
	for (unsigned i = 0; i < s.n; i++)
		if (sms_tpdu_decode(&t, s.tpdu[i], s.len[i], SMS_MS_TO_SC) != 0 || t.type != SMS_SUBMIT)
			abort();
	if (sf_deliver_sm(ctx, &d, &so, &s) <= 0)
		abort();	/* our own TPDUs must always go through */
	check_pdus(&d);
	sf_deliver_free(&d);
}

static void smsc(void *ctx, uint8_t sel, const uint8_t *data, size_t size)
{
	struct sf_smpp_opts so = { .form = (enum sf_smpp_form)(sel % 3), .dc1 = sel & 0x80,
				   .src = "886912345678", .dst = "886900000001" };
	static struct sf_sms s;
	struct sf_deliver d;
	size_t at = 0;

	s.n = 0;
	while (at < size && s.n < SF_MAX_PARTS) {
		size_t n = data[at++];
		if (n > SMS_TPDU_MAX_LEN || n > size - at)
			break;
		memcpy(s.tpdu[s.n], data + at, n);
		s.len[s.n++] = (uint8_t)n;
		at += n;
	}
	if (s.n && sf_deliver_sm(ctx, &d, &so, &s) > 0) {
		check_pdus(&d);
		sf_deliver_free(&d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx;

	if (size < 2)
		return 0;
	ctx = talloc_new(NULL);
	if (data[0] & 1)
		smsc(ctx, data[1], data + 2, size - 2);
	else
		handset(ctx, data[1], data + 2, size - 2);
	talloc_free(ctx);
	return 0;
}
