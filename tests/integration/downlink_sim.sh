#!/usr/bin/env bash
# The downlink against txgw-smsc-sim (doc/downlink.md): SEND requests by
# contrib/txgw-send, submit_sm to the simulator, the bus read back and
# checked by downlink_check.py against the requests, the answers and what
# the simulator got (destination, payload SHA-256, parts, message ids,
# copies).  Each case has its own txgw, simulator and ports:
#   delivered  two binds sharing the load, receipts by TLV and by text:
#              every message asking for receipts delivered, the others
#              submitted; a repeated SEND queues nothing (same seq)
#   noreceipt  receipts asked for and none sent: submitted, not more
#   rate       rate 20: 41 submit_sm take 2 s at least (the bus's "at")
#   expiry     no SMSC at all: expires and max-age fail them "expired"
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
BASE=$WORK

case_delivered() {
	start_sim --no-uploads --duration 600 --devices 2 --receipt-delay 50
	ESME_LINES=("response-timeout 5")
	dl_config "$WORK/reg.txt" "rate 200" || return 1
	# a second bind to the same SMSC: the two share the messages
	cat >>"$WORK/txgw.cfg" <<CFG
smpp
 esme smsc2
  remote-ip 127.0.0.1
  remote-port $SMSC_PORT
  system-id txgw
  password secret
  bind-mode transmitter
CFG
	start_txgw
	dl_requests 24 1 to=886912345678,+886955500001,886955500002 receipt=2
	dl_send --wait 30
	first=$(grep -c '"answer":"QUEUED"' "$WORK/answers.jsonl")
	[ "$first" = 24 ] || { echo "queued $first of 24"; return 1; }
	# the same requests again: the same seqs, nothing queued
	seq_before=$(journal_seq)
	"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json -q "$WORK/reqs.jsonl" >"$WORK/again.jsonl"
	$PY - "$WORK/answers.jsonl" "$WORK/again.jsonl" <<'PYEOF'
import json, sys
one = lambda p: {x["id"]: x["detail"] for x in map(json.loads, open(p)) if "answer" in x}
a, b = one(sys.argv[1]), one(sys.argv[2])
assert a == b and len(a) == 24, "a repeated SEND answered %s, first %s" % (b, a)
PYEOF
	[ "$(journal_seq)" = "$seq_before" ] || { echo "a repeated SEND wrote to the journal"; return 1; }
	binds=$(stats "show binds")
	stats "show stats" >"$WORK/stats.json"
	dl_check
	stop_txgw
	dl_sim_stop
	dl_check_sim
	$PY - "$binds" "$WORK/stats.json" "$WORK/sim.json" <<'PYEOF'
import json, sys
binds, st, sim = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
tx = {b["name"]: b["tx_pdus"] for b in binds}
assert all(v > 5 for v in tx.values()), "both binds sent submit_sm: %s" % tx
parts = sum(m["parts"] for m in sim["mt"]["messages"])
assert st["smpp.submit_sm"] == parts == sim["mt"]["taken"], (st["smpp.submit_sm"], parts)
assert st["downlink.queued"] == 24 and st["downlink.submitted"] == 24, st
assert st["downlink.delivered"] == 12 and st["downlink.pending"] == 0, st
assert st["downlink.receipts_unmatched"] == 0, st
print("binds %s; %d submit_sm; 12 delivered" % (tx, parts))
PYEOF
}

case_noreceipt() {
	start_sim --no-uploads --duration 600 --devices 2 --receipts none
	dl_config "$WORK/reg.txt"
	start_txgw
	dl_requests 6 4 receipt=2 noreceipts=1
	dl_send --wait 4 || true
	dl_check
	[ "$(dl_stat downlink.pending)" = 0 ] || { echo "downlink.pending not 0"; return 1; }
	[ "$(dl_stat downlink.delivered)" = 0 ] || { echo "delivered without a receipt"; return 1; }
	stop_txgw
	dl_sim_stop
}

case_rate() {
	start_sim --no-uploads --duration 600 --devices 1 --receipts none
	dl_config "$WORK/reg.txt" "rate 20"
	start_txgw
	dl_requests 41 5 receipt=0 sizes=10
	dl_send --wait 30
	dl_check
	$PY - "$WORK/bus.jsonl" <<'PYEOF'
import datetime, json, sys
at = lambda p: datetime.datetime.strptime(p["at"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
t = sorted(at(m["payload"]) for m in map(json.loads, open(sys.argv[1]))
           if m["payload"]["state"] == "submitted")
span = t[-1] - t[0]
# 41 at 20 a second, one at once: 40 intervals of 50 ms
assert len(t) == 41 and 1.9 <= span <= 6, "41 submitted over %.2f s" % span
print("41 submit_sm over %.2f s: %.1f a second" % (span, 40 / span))
PYEOF
	stop_txgw
	dl_sim_stop
}

case_expiry() {
	# nothing listens on SMSC_PORT: every submission waits
	dl_config "$TOP/tests/vectors/devices.txt" "max-age 3"
	start_txgw
	$PY - "$WORK/reqs.jsonl" "$WORK/expect.json" <<'PYEOF'
import datetime, json, sys
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1))
reqs = [{"id": "exp-1", "msisdn": "886912345678", "payload": "AAAA",
         "expires": soon.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"},
        {"id": "exp-2", "device": "00112233aabbccdd", "payload": "AAAA"}]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in reqs))
json.dump({r["id"]: {"state": "failed", "error": "expired"} for r in reqs}, open(sys.argv[2], "w"))
PYEOF
	dl_send --wait 15 || true	# exit 1: they failed, as they should
	dl_check
	stop_txgw
}

run_case delivered
run_case noreceipt
run_case rate
run_case expiry
cases_done downlink_sim
