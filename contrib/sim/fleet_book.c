/*
 * fleet_book.c — uploads as the simulators book them; see fleet_book.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/fleet_book.h"
#include "gateway/bus/bus_msg.h"
#include "gateway/lib/json.h"
#include "gateway/txlog/outcome.h"

int fleet_book(void *ctx, struct fleet_booked *k, const struct fleet_upload *u)
{
	memset(k, 0, sizeof(*k));
	k->ev = talloc_memdup(ctx, u->ev, u->n_ev * sizeof(u->ev[0]) + 1);
	if (!k->ev)
		return -ENOMEM;
	k->n_ev = u->n_ev;
	k->device_id = u->device_id;
	k->upload_seq = u->upload_seq;
	k->dev = u->dev;
	k->anomaly = (uint8_t)u->anomaly;
	k->has_device = u->has_device;
	k->text = u->text;
	memcpy(k->digest, u->digest, sizeof(k->digest));
	return 0;
}

void fleet_tally_add(struct fleet_tally *t, const struct fleet_booked *k)
{
	t->by_anomaly[k->anomaly < FA_COUNT ? k->anomaly : FA_NONE]++;
	for (unsigned i = 0; i < k->n_ev; i++) {
		t->records += k->ev[i].type == TXL_EV_RECORD;
		t->alerts += k->ev[i].type == TXL_EV_ALERT;
		t->rejects += k->ev[i].type == TXL_EV_REJECT;
	}
}

const char *fleet_ev_list_name(enum txl_ev_type type)
{
	switch (type) {
	case TXL_EV_RECORD:
		return "records";
	case TXL_EV_ALERT:
		return "alerts";
	default:
		return "rejects";
	}
}

static void write_detail(struct jw *w, const struct fleet_ev *e, const char *src, const char *registered)
{
	jw_key(w, "detail");
	jw_obj_open(w);
	switch (e->kind) {
	case TXL_AL_COUNTER_GAP:
	case TXL_AL_BALANCE_MISMATCH:
		jw_kint(w, "expected", e->expected);
		jw_kint(w, "got", e->got);
		break;
	case TXL_AL_REPLAY:
		jw_kint(w, "last_upload", e->expected);
		jw_kint(w, "got", e->got);
		break;
	case TXL_AL_MSISDN_MISMATCH:
		jw_kstr(w, "registered", registered ? registered : "");
		jw_kstr(w, "got", src ? src : "");
		break;
	}
	jw_obj_close(w);
}

static void write_event(struct jw *w, const struct fleet_booked *k, const struct fleet_ev *e,
			const char *src, const char *registered)
{
	char cur[8];

	jw_obj_open(w);
	switch (e->type) {
	case TXL_EV_RECORD:
		bus_currency_str(cur, sizeof(cur), FLEET_CURRENCY);
		jw_kuint(w, "counter", e->counter);
		jw_kstr(w, "type", bus_type_name(e->rec_type));
		jw_kstr(w, "currency", cur);
		jw_kuint(w, "amount", e->amount);
		jw_kuint(w, "balance", e->balance);
		break;
	case TXL_EV_ALERT:
		jw_kstr(w, "kind", txl_alert_name((enum txl_alert)e->kind));
		if (e->has_counter)
			jw_kuint(w, "counter", e->counter);
		write_detail(w, e, src, registered);
		break;
	case TXL_EV_REJECT:
		jw_kstr(w, "reason", txl_reject_name((enum txl_reject)e->kind));
		break;
	}
	if (k->text) {
		jw_kstr(w, "src", src ? src : "");
	} else {
		jw_kuint(w, "upload", k->upload_seq);
		jw_khex(w, "frame", k->digest, sizeof(k->digest));
	}
	jw_obj_close(w);
}

void fleet_booked_events(struct jw *w, const struct fleet_booked *k, enum txl_ev_type type,
			 const char *src, const char *registered)
{
	for (unsigned i = 0; i < k->n_ev; i++)
		if (k->ev[i].type == type)
			write_event(w, k, &k->ev[i], src, registered);
}

void fleet_booked_head(struct jw *w, const struct fleet_booked *k)
{
	if (k->has_device) {
		char id[17];
		snprintf(id, sizeof(id), "%016" PRIx64, k->device_id);
		jw_kstr(w, "device", id);
	}
	jw_kstr(w, "anomaly", fleet_anomaly_name((enum fleet_anomaly)k->anomaly));
}
