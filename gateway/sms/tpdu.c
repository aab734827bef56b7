/*
 * tpdu.c — SM-TL TPDUs (3GPP TS 23.040 §9.2.2), decode and encode.
 */
#include <stddef.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "gateway/sms/gsm7.h"
#include "gateway/sms/tpdu.h"

/* First-octet flags: where each lives in the struct and in the octet. */
struct flag_bit {
	size_t off;		/* offsetof(struct sms_tpdu, flag) */
	uint8_t bit;
};

#define FLAG(f, b) { offsetof(struct sms_tpdu, f), b }
#define ALL_FLAGS 8

/* Per type (§9.2.2.1-§9.2.2.4): MTI, direction, unused first-octet bits,
 * name and the flags the first octet carries (TP-VPF apart). */
static const struct type_info {
	uint8_t mti;
	enum sms_dir dir;
	uint8_t spare;
	const char *name;
	struct flag_bit flags[5];
} types[] = {
	[SMS_DELIVER] = { 0, SMS_SC_TO_MS, 0x10, "sms-deliver",
		{ FLAG(mms, 0x04), FLAG(lp, 0x08), FLAG(sri, 0x20), FLAG(udhi, 0x40), FLAG(rp, 0x80) } },
	[SMS_DELIVER_REPORT] = { 0, SMS_MS_TO_SC, 0xbc, "sms-deliver-report",
		{ FLAG(udhi, 0x40) } },
	[SMS_SUBMIT] = { 1, SMS_MS_TO_SC, 0x00, "sms-submit",
		{ FLAG(rd, 0x04), FLAG(srr, 0x20), FLAG(udhi, 0x40), FLAG(rp, 0x80) } },
	[SMS_SUBMIT_REPORT] = { 1, SMS_SC_TO_MS, 0xbc, "sms-submit-report",
		{ FLAG(udhi, 0x40) } },
	[SMS_STATUS_REPORT] = { 2, SMS_SC_TO_MS, 0x90, "sms-status-report",
		{ FLAG(mms, 0x04), FLAG(lp, 0x08), FLAG(srq, 0x20), FLAG(udhi, 0x40) } },
	[SMS_COMMAND] = { 2, SMS_MS_TO_SC, 0x9c, "sms-command",
		{ FLAG(srr, 0x20), FLAG(udhi, 0x40) } },
};

static const size_t all_flags[ALL_FLAGS] = {
	offsetof(struct sms_tpdu, mms), offsetof(struct sms_tpdu, lp),
	offsetof(struct sms_tpdu, sri), offsetof(struct sms_tpdu, srr),
	offsetof(struct sms_tpdu, srq), offsetof(struct sms_tpdu, rd),
	offsetof(struct sms_tpdu, rp), offsetof(struct sms_tpdu, udhi),
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static bool *flag_ptr(struct sms_tpdu *t, size_t off)
{
	return (bool *)((char *)t + off);
}

static bool flag_get(const struct sms_tpdu *t, size_t off)
{
	return *(const bool *)((const char *)t + off);
}

enum sms_dir sms_tpdu_dir(enum sms_tpdu_type type)
{
	return (unsigned)type < NTYPES ? types[type].dir : SMS_MS_TO_SC;
}

const char *sms_tpdu_type_name(enum sms_tpdu_type type)
{
	return (unsigned)type < NTYPES ? types[type].name : "invalid";
}

/* ---- user data (§9.2.3.16, §9.2.3.24) ---- */

/* Fill bits before the septets and spare bits after them must be zero. */
static bool pad_is_zero(const uint8_t *p, size_t len, size_t n, unsigned fill)
{
	if (len == 0)
		return true;
	if (p[0] & ((1u << fill) - 1))
		return false;
	unsigned end = (unsigned)((fill + 7 * n) % 8);
	return end == 0 || (p[len - 1] >> end) == 0;
}

/* Septets a UDH of hdr octets takes, fill bits included (§9.2.3.24). */
static size_t udh_septets(size_t hdr)
{
	return (hdr * 8 + 6) / 7;
}

/* Split the udl-long TP-UD at p (octets long) into header and payload. */
static int split_ud(struct sms_ud *ud, const uint8_t *p, size_t octets, size_t udl, bool udhi)
{
	size_t hdr = 0;
	if (udhi) {
		int rc = udh_parse(&ud->udh, p, octets);
		if (rc < 0)
			return -EINVAL;	/* the UDH does not fit in TP-UDL */
		hdr = (size_t)rc;
	}
	if (!ud->septets) {
		ud->n = (uint8_t)(octets - hdr);
		memcpy(ud->data, p + hdr, ud->n);
		return 0;
	}
	size_t hs = udh_septets(hdr);
	if (hs > udl)
		return -EINVAL;
	size_t n = udl - hs;
	unsigned fill = (unsigned)(hs * 7 - hdr * 8);
	if (gsm7_unpack(ud->data, sizeof(ud->data), p + hdr, octets - hdr, n, fill) < 0)
		return -EINVAL;
	if (!pad_is_zero(p + hdr, octets - hdr, n, fill))
		return -EINVAL;
	ud->n = (uint8_t)n;
	return 0;
}

/* TP-UDL and TP-UD, or TP-CDL and TP-CD (command). */
static int read_ud(struct rd *r, struct sms_tpdu *t, bool command)
{
	uint8_t udl = 0;
	const uint8_t *p;
	size_t octets;
	int rc;

	if ((rc = rd_u8(r, &udl)))
		return rc;
	t->ud.septets = !command && sms_dcs_ud_septets(&t->dcs);
	if (t->ud.septets) {
		if (udl > SMS_UD_MAX_SEPTETS)
			return rd_fail(r, -EINVAL);
		octets = gsm7_packed_len(udl, 0);
	} else {
		if (udl > (command ? SMS_CD_MAX_OCTETS : SMS_UD_MAX_OCTETS))
			return rd_fail(r, -EINVAL);
		octets = udl;
	}
	if ((rc = rd_bytes(r, octets, &p)))
		return rc;
	rc = split_ud(&t->ud, p, octets, udl, t->udhi);
	return rc ? rd_fail(r, rc) : 0;
}

static int write_ud(struct wr *w, const struct sms_tpdu *t, bool command)
{
	const struct sms_ud *ud = &t->ud;
	bool septets = !command && sms_dcs_ud_septets(&t->dcs);
	size_t hdr = t->udhi ? udh_size(&ud->udh) : 0;
	size_t udl, octets;

	if (ud->septets != septets || (!t->udhi && (ud->udh.len || ud->udh.n_ies)))
		return -EINVAL;
	if (septets) {
		udl = udh_septets(hdr) + ud->n;
		if (udl > SMS_UD_MAX_SEPTETS)
			return -EINVAL;
		octets = gsm7_packed_len(udl, 0);
	} else {
		udl = octets = hdr + ud->n;
		if (udl > (command ? SMS_CD_MAX_OCTETS : SMS_UD_MAX_OCTETS))
			return -EINVAL;
	}
	wr_u8(w, (uint8_t)udl);
	uint8_t *p = wr_reserve(w, octets);
	if (!p)
		return w->err;
	if (hdr) {
		/* The IE table must be the one the header's bytes give, or the
		 * TPDU would not decode back to *t. */
		struct udh check;
		udh_encode(p, hdr, &ud->udh);
		if (udh_parse(&check, p, hdr) < 0 || check.n_ies != ud->udh.n_ies
		    || memcmp(check.ies, ud->udh.ies, check.n_ies * sizeof(check.ies[0])))
			return -EINVAL;
	}
	if (!septets) {
		memcpy(p + hdr, ud->data, ud->n);
		return 0;
	}
	unsigned fill = (unsigned)(udh_septets(hdr) * 7 - hdr * 8);
	int rc = gsm7_pack(p + hdr, octets - hdr, ud->data, ud->n, fill);
	return rc < 0 ? rc : 0;
}

/* ---- optional tail of the reports (§9.2.3.27) ---- */

static int read_pi(struct rd *r, struct sms_tpdu *t)
{
	int rc = rd_u8(r, &t->pi);
	if (rc)
		return rc;
	t->has_pi = true;
	if (t->pi & SMS_PI_EXT)
		return rd_fail(r, -EINVAL);
	return 0;
}

/* TP-PID, TP-DCS, TP-UDL + TP-UD as TP-PI says; DCS absent means 0x00. */
static int read_pi_fields(struct rd *r, struct sms_tpdu *t)
{
	uint8_t v = 0;
	if ((t->pi & SMS_PI_PID) && !rd_u8(r, &v))
		sms_pid_decode(&t->pid, v);
	v = 0;
	if ((t->pi & SMS_PI_DCS) && rd_u8(r, &v))
		return r->err;
	sms_dcs_decode(&t->dcs, v);
	if (t->pi & SMS_PI_UDL)
		return read_ud(r, t, false);
	if (t->udhi)		/* a header announced, no user data */
		return rd_fail(r, -EINVAL);
	return r->err;
}

static int write_pi_fields(struct wr *w, const struct sms_tpdu *t)
{
	if (t->pi & SMS_PI_PID)
		wr_u8(w, t->pid.raw);
	else if (t->pid.raw != 0)
		return -EINVAL;
	if (t->pi & SMS_PI_DCS)
		wr_u8(w, t->dcs.raw);
	else if (t->dcs.raw != 0)
		return -EINVAL;
	if (t->pi & SMS_PI_UDL)
		return write_ud(w, t, false);
	if (t->udhi || t->ud.n || t->ud.septets || t->ud.udh.len)
		return -EINVAL;
	return w->err;
}

/* ---- the six bodies (§9.2.2.1 - §9.2.2.4) ---- */

static int read_pid_dcs(struct rd *r, struct sms_tpdu *t)
{
	uint8_t pid = 0, dcs = 0;
	rd_u8(r, &pid);
	int rc = rd_u8(r, &dcs);
	sms_pid_decode(&t->pid, pid);
	sms_dcs_decode(&t->dcs, dcs);
	return rc;
}

static int read_deliver(struct rd *r, struct sms_tpdu *t)
{
	sms_addr_read(r, &t->addr);
	read_pid_dcs(r, t);
	sms_time_read(r, &t->scts);
	return r->err ? r->err : read_ud(r, t, false);
}

static int read_submit(struct rd *r, struct sms_tpdu *t, uint8_t fo)
{
	rd_u8(r, &t->mr);
	sms_addr_read(r, &t->addr);
	read_pid_dcs(r, t);
	sms_vp_read(r, (enum sms_vpf)((fo >> 3) & 0x03), &t->vp);
	return r->err ? r->err : read_ud(r, t, false);
}

static int read_status_report(struct rd *r, struct sms_tpdu *t)
{
	rd_u8(r, &t->mr);
	sms_addr_read(r, &t->addr);
	sms_time_read(r, &t->scts);
	sms_time_read(r, &t->dt);
	rd_u8(r, &t->st);
	if (r->err)
		return r->err;
	/* §9.2.2.3: TP-PI and what it announces are optional. */
	if (rd_left(r) == 0) {
		if (t->udhi)
			return rd_fail(r, -EINVAL);
		return 0;
	}
	return read_pi(r, t) ? r->err : read_pi_fields(r, t);
}

static int read_command(struct rd *r, struct sms_tpdu *t)
{
	uint8_t pid = 0;
	rd_u8(r, &t->mr);
	rd_u8(r, &pid);
	sms_pid_decode(&t->pid, pid);
	rd_u8(r, &t->ct);
	rd_u8(r, &t->mn);
	sms_addr_read(r, &t->addr);
	return r->err ? r->err : read_ud(r, t, true);
}

/* DELIVER-REPORT and SUBMIT-REPORT, RP-ACK or RP-ERROR form (see tpdu.h). */
static int read_report(struct rd *r, struct sms_tpdu *t)
{
	uint8_t o = 0;
	int rc;
	if (r->err || rd_left(r) == 0)
		return rd_fail(r, -EIO);
	o = r->buf[r->off];
	if (o & 0x80) {
		t->has_fcs = true;
		rd_u8(r, &t->fcs);
	}
	if ((rc = read_pi(r, t)))
		return rc;
	if (t->type == SMS_SUBMIT_REPORT && (rc = sms_time_read(r, &t->scts)))
		return rc;
	return read_pi_fields(r, t);
}

static int type_of(uint8_t mti, enum sms_dir dir)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].mti == mti && types[i].dir == dir)
			return (int)i;
	return -EINVAL;		/* MTI 11 is reserved (§9.2.3.1) */
}

int sms_tpdu_decode(struct sms_tpdu *t, const uint8_t *buf, size_t len, enum sms_dir dir)
{
	struct rd r;
	uint8_t fo = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	rd_init(&r, buf, len);
	if ((rc = rd_u8(&r, &fo)))
		return rc;
	int type = type_of(fo & 0x03, dir);
	if (type < 0)
		return type;
	const struct type_info *ti = &types[type];
	t->type = (enum sms_tpdu_type)type;
	t->spare = fo & ti->spare;
	for (size_t i = 0; i < 5 && ti->flags[i].bit; i++)
		*flag_ptr(t, ti->flags[i].off) = fo & ti->flags[i].bit;

	switch (t->type) {
	case SMS_DELIVER: rc = read_deliver(&r, t); break;
	case SMS_SUBMIT: rc = read_submit(&r, t, fo); break;
	case SMS_STATUS_REPORT: rc = read_status_report(&r, t); break;
	case SMS_COMMAND: rc = read_command(&r, t); break;
	default: rc = read_report(&r, t); break;
	}
	if (rc)
		return rc;
	return rd_end(&r);
}

/* ---- encoder ---- */

/* The first octet, from the type, its flags, spare bits and TP-VPF. */
static int write_first_octet(struct wr *w, const struct sms_tpdu *t)
{
	const struct type_info *ti = &types[t->type];
	uint8_t fo = (uint8_t)(ti->mti | t->spare);

	if (t->spare & ~ti->spare)
		return -EINVAL;
	for (size_t i = 0; i < ALL_FLAGS; i++) {
		uint8_t bit = 0;
		if (!flag_get(t, all_flags[i]))
			continue;
		for (size_t k = 0; k < 5 && ti->flags[k].bit; k++)
			if (ti->flags[k].off == all_flags[i])
				bit = ti->flags[k].bit;
		if (!bit)
			return -EINVAL;	/* a flag this type does not carry */
		fo |= bit;
	}
	if (t->type == SMS_SUBMIT) {
		if ((unsigned)t->vp.format > SMS_VPF_ABSOLUTE)
			return -EINVAL;
		fo |= (uint8_t)(t->vp.format << 3);
	} else if (t->vp.format != SMS_VPF_NONE) {
		return -EINVAL;
	}
	return wr_u8(w, fo);
}

/* The decoded parts of TP-PID and TP-DCS must be those of their octets. */
static bool pid_dcs_consistent(const struct sms_tpdu *t)
{
	struct sms_pid p;
	struct sms_dcs d;
	sms_pid_decode(&p, t->pid.raw);
	sms_dcs_decode(&d, t->dcs.raw);
	return p.kind == t->pid.kind && p.value == t->pid.value && d.group == t->dcs.group
	       && d.alphabet == t->dcs.alphabet && d.compressed == t->dcs.compressed
	       && d.has_class == t->dcs.has_class && d.msg_class == t->dcs.msg_class
	       && d.mwi_active == t->dcs.mwi_active && d.mwi_type == t->dcs.mwi_type
	       && d.reserved_bits == t->dcs.reserved_bits;
}

static int write_deliver(struct wr *w, const struct sms_tpdu *t)
{
	sms_addr_write(w, &t->addr);
	wr_u8(w, t->pid.raw);
	wr_u8(w, t->dcs.raw);
	sms_time_write(w, &t->scts);
	return w->err ? w->err : write_ud(w, t, false);
}

static int write_submit(struct wr *w, const struct sms_tpdu *t)
{
	wr_u8(w, t->mr);
	sms_addr_write(w, &t->addr);
	wr_u8(w, t->pid.raw);
	wr_u8(w, t->dcs.raw);
	sms_vp_write(w, &t->vp);
	return w->err ? w->err : write_ud(w, t, false);
}

/* TP-PI and what it announces (reports, and a STATUS-REPORT with TP-PI). */
static int write_pi(struct wr *w, const struct sms_tpdu *t)
{
	if (!t->has_pi || (t->pi & SMS_PI_EXT))
		return -EINVAL;
	wr_u8(w, t->pi);
	return w->err;
}

static int write_status_report(struct wr *w, const struct sms_tpdu *t)
{
	wr_u8(w, t->mr);
	sms_addr_write(w, &t->addr);
	sms_time_write(w, &t->scts);
	sms_time_write(w, &t->dt);
	wr_u8(w, t->st);
	if (w->err)
		return w->err;
	if (!t->has_pi) {
		/* Without TP-PI nothing follows (§9.2.2.3). */
		if (t->pi || t->pid.raw || t->dcs.raw || t->udhi || t->ud.n || t->ud.septets
		    || t->ud.udh.len)
			return -EINVAL;
		return 0;
	}
	int rc = write_pi(w, t);
	return rc ? rc : write_pi_fields(w, t);
}

static int write_command(struct wr *w, const struct sms_tpdu *t)
{
	if (t->dcs.raw)
		return -EINVAL;	/* an SMS-COMMAND has no TP-DCS */
	wr_u8(w, t->mr);
	wr_u8(w, t->pid.raw);
	wr_u8(w, t->ct);
	wr_u8(w, t->mn);
	sms_addr_write(w, &t->addr);
	return w->err ? w->err : write_ud(w, t, true);
}

static int write_report(struct wr *w, const struct sms_tpdu *t)
{
	int rc;
	if (t->has_fcs) {
		if (t->fcs < 0x80)
			return -EINVAL;	/* would read back as TP-PI (see tpdu.h) */
		wr_u8(w, t->fcs);
	} else if (t->fcs) {
		return -EINVAL;
	}
	if ((rc = write_pi(w, t)))
		return rc;
	if (t->type == SMS_SUBMIT_REPORT && (rc = sms_time_write(w, &t->scts)))
		return rc;
	return write_pi_fields(w, t);
}

int sms_tpdu_encode(uint8_t *out, size_t cap, const struct sms_tpdu *t, enum sms_dir dir)
{
	struct wr w;
	int rc;

	if ((unsigned)t->type >= NTYPES || types[t->type].dir != dir || !pid_dcs_consistent(t))
		return -EINVAL;
	if (t->type != SMS_STATUS_REPORT && !sms_tpdu_is_report(t->type) && t->has_pi)
		return -EINVAL;
	if (!sms_tpdu_is_report(t->type) && (t->has_fcs || t->fcs))
		return -EINVAL;
	wr_init(&w, out, cap);
	if ((rc = write_first_octet(&w, t)))
		return rc;
	switch (t->type) {
	case SMS_DELIVER: rc = write_deliver(&w, t); break;
	case SMS_SUBMIT: rc = write_submit(&w, t); break;
	case SMS_STATUS_REPORT: rc = write_status_report(&w, t); break;
	case SMS_COMMAND: rc = write_command(&w, t); break;
	default: rc = write_report(&w, t); break;
	}
	if (rc)
		return rc;
	if (w.err)
		return w.err;
	return (int)w.off;
}

/* ---- builders ---- */

void sms_tpdu_init(struct sms_tpdu *t, enum sms_tpdu_type type)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	/* TP-PI is mandatory in both reports (§9.2.2.1a, §9.2.2.2a). */
	t->has_pi = sms_tpdu_is_report(type);
}

int sms_tpdu_set_ud(struct sms_tpdu *t, const uint8_t *data, size_t n)
{
	bool septets = t->type != SMS_COMMAND && sms_dcs_ud_septets(&t->dcs);
	if (n > (septets ? SMS_UD_MAX_SEPTETS : SMS_CD_MAX_OCTETS))
		return -EINVAL;
	for (size_t i = 0; septets && i < n; i++)
		if (data[i] > 0x7f)
			return -EINVAL;
	t->ud.septets = septets;
	t->ud.n = (uint8_t)n;
	if (n)
		memcpy(t->ud.data, data, n);
	return 0;
}

/* ---- names for printers ---- */

const char *sms_dir_name(enum sms_dir dir)
{
	return dir == SMS_SC_TO_MS ? "sc-to-ms" : dir == SMS_MS_TO_SC ? "ms-to-sc" : "invalid";
}

/* §9.2.3.15: bits 6-5 of TP-ST give its class. */
const char *sms_st_class_name(uint8_t st)
{
	static const char *const names[4] = {
		"completed", "temporary-error-retrying", "permanent-error",
		"temporary-error-stopped",
	};
	return st & 0x80 ? "reserved" : names[(st >> 5) & 3];
}

const char *sms_st_name(uint8_t st)
{
	/* The causes shared by the two temporary-error classes (0x2x, 0x6x). */
	static const char *const temp[6] = {
		"congestion", "sme-busy", "no-response-from-sme", "service-rejected",
		"qos-not-available", "error-in-sme",
	};
	static const char *const perm[10] = {
		"remote-procedure-error", "incompatible-destination",
		"connection-rejected-by-sme", "not-obtainable", "qos-not-available",
		"no-interworking-available", "validity-period-expired",
		"deleted-by-originating-sme", "deleted-by-sc-administration",
		"sm-does-not-exist",
	};
	static const char *const done[3] = { "received", "forwarded-unconfirmed", "replaced" };
	unsigned low = st & 0x1f;

	if (st & 0x80)
		return "reserved";
	if (low >= 0x10)
		return "sc-specific";
	switch (st >> 5) {
	case 0: return low < 3 ? done[low] : "reserved";
	case 2: return low < 10 ? perm[low] : "reserved";
	default: return low < 6 ? temp[low] : "reserved";
	}
}

const char *sms_fcs_name(uint8_t fcs)
{
	static const struct {
		uint8_t v;
		const char *name;
	} fcs_names[] = {
		{ 0x80, "telematic-interworking-not-supported" },
		{ 0x81, "sm-type-0-not-supported" },
		{ 0x82, "cannot-replace-sm" },
		{ 0x8f, "unspecified-tp-pid-error" },
		{ 0x90, "dcs-not-supported" },
		{ 0x91, "message-class-not-supported" },
		{ 0x9f, "unspecified-tp-dcs-error" },
		{ 0xa0, "command-cannot-be-actioned" },
		{ 0xa1, "command-unsupported" },
		{ 0xaf, "unspecified-tp-command-error" },
		{ 0xb0, "tpdu-not-supported" },
		{ 0xc0, "sc-busy" },
		{ 0xc1, "no-sc-subscription" },
		{ 0xc2, "sc-system-failure" },
		{ 0xc3, "invalid-sme-address" },
		{ 0xc4, "destination-sme-barred" },
		{ 0xc5, "sm-rejected-duplicate" },
		{ 0xc6, "tp-vpf-not-supported" },
		{ 0xc7, "tp-vp-not-supported" },
		{ 0xd0, "sim-sms-storage-full" },
		{ 0xd1, "no-sms-storage-in-sim" },
		{ 0xd2, "error-in-ms" },
		{ 0xd3, "memory-capacity-exceeded" },
		{ 0xd4, "sim-toolkit-busy" },
		{ 0xd5, "sim-data-download-error" },
		{ 0xff, "unspecified-error" },
	};
	for (size_t i = 0; i < sizeof(fcs_names) / sizeof(fcs_names[0]); i++)
		if (fcs_names[i].v == fcs)
			return fcs_names[i].name;
	return fcs >= 0xe0 && fcs < 0xff ? "application-specific" : "reserved";
}

const char *sms_ct_name(uint8_t ct)
{
	static const char *const names[4] = {
		"enquiry", "cancel-status-report-request", "delete-sm",
		"enable-status-report-request",
	};
	if (ct < 4)
		return names[ct];
	return ct >= 0xe0 ? "sc-specific" : "reserved";
}
