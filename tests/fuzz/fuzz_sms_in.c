/*
 * fuzz_sms_in.c — libFuzzer target for what an SMSC hands over (sms_in.h)
 * and the frame extraction behind it (extract.h): the first bytes choose
 * esm_class, data_coding, the SAR and port TLVs and the data-coding-1
 * reading, the rest is the short message.  No crash, no read outside the
 * input; items stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/engine/sms_frames.h"
#include "gateway/sms/sms_in.h"
#include "gateway/txlog/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct extract_result r;
	struct sms_seg seg;

	if (size < 6)
		return 0;
	struct sms_in in = {
		.bind = 1, .src = "886912345678", .dst = "886900000001",
		.esm_class = data[0], .data_coding = data[1],
		.has_sar = data[2] & 1, .sar_ref = (uint16_t)(data[3] << 8 | data[4]),
		.sar_total = data[2] >> 4, .sar_seq = data[5] & 0x0f,
		.has_port = data[2] & 2, .port = (data[2] & 4) ? 16354 : 2948,
		.dc1_gsm7 = data[2] & 8, .sm = data + 6, .sm_len = size - 6,
	};
	if (sms_in_parse(&in, &seg) < 0)
		return 0;
	if (seg.payload < in.sm || seg.payload + seg.len > in.sm + in.sm_len)
		abort();
	sms_extract(&r, seg.coding, seg.payload, seg.len, seg.has_port, seg.port, 16354);
	if (r.n == 0 || r.n > EXTRACT_MAX_ITEMS + 1)
		abort();
	for (unsigned i = 0; i < r.n; i++)
		if (r.item[i].len > TXL_MAX_LEN)
			abort();
	return 0;
}
