/*
 * fuzz_registry.c — libFuzzer target for registry_parse_line(): no crash,
 * no read past len (the input is not NUL-terminated), and a parsed line's
 * fields within their ranges (registry.md field table).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct reg_line l;
	const char *why;
	int rc = registry_parse_line(line, size, &l, &why);

	if (rc < 0 && !why[0])
		abort();
	if (rc <= 0)
		return 0;
	if (l.e.alg != TXL_ALG_ED25519 && l.e.alg != TXL_ALG_ECDSA_P256)
		abort();
	if (strlen(l.e.msisdn) > REG_MSISDN_MAX || l.e.revoked > 1)
		abort();
	if (l.path) {
		if (l.e.key_len || !l.path_len || l.path < line || l.path + l.path_len > line + size)
			abort();
	} else if (l.e.key_len != (l.e.alg == TXL_ALG_ED25519 ? 32 : 65)) {
		abort();
	}
	return 0;
}
