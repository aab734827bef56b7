/*
 * smpp_names.c — names of SMPP 3.4 command ids (§5.1.2), command status
 * codes (§5.1.3) and optional parameter tags (§5.3.2), for logs.  Built
 * from the same tables as the codec (smpp_def.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "smpp/smpp_pdu.h"

struct id_name {
	uint32_t id;
	const char *name;
	const char *desc;
};

static const struct id_name command_names[] = {
#define X(sym, name, id, body, tlvs) { id, #name, NULL },
	SMPP_COMMANDS(X)
#undef X
};

static const struct id_name status_names[] = {
#define X(sym, val, desc) { val, #sym, desc },
	SMPP_STATUSES(X)
#undef X
};

static const struct id_name tlv_names[] = {
#define X(sym, name, tag, kind, min, max) { tag, #name, NULL },
	SMPP_TLVS(X)
#undef X
};

static const struct id_name *lookup(const struct id_name *t, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

#define LOOKUP(t, id) lookup(t, sizeof(t) / sizeof((t)[0]), id)

const char *smpp_command_name(uint32_t id)
{
	const struct id_name *e = LOOKUP(command_names, id);
	return e ? e->name : NULL;
}

const char *smpp_status_name(uint32_t status)
{
	const struct id_name *e = LOOKUP(status_names, status);
	return e ? e->name : NULL;
}

const char *smpp_status_desc(uint32_t status)
{
	const struct id_name *e = LOOKUP(status_names, status);
	return e ? e->desc : NULL;
}

const char *smpp_tlv_name(uint16_t tag)
{
	const struct id_name *e = LOOKUP(tlv_names, tag);
	return e ? e->name : NULL;
}
