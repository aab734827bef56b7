#!/usr/bin/env bash
# A hostile SMSC floods txgw's log: log_flood_smsc.py sends 23,000 PDUs
# (3000 of each of 7 kinds, 1000 of 2 more) of which each makes txgw
# write a line (bad PDUs, SMSC-bound requests, bad deliver_sm, unexpected
# responses, generic_nack, alert_notification, receipts, segments refused
# by reassembly, messages opened past a sender's budget evicting its
# oldest), then, more than a second later, one more of each.  With the
# log at "info" (every such line shows), txgw must:
#  - write fewer than 50 lines for all of it (a line a second per kind);
#  - account for every event: per kind, the lines written plus the counts
#    they carry (", N more like it suppressed") are what was sent;
#  - count every one (smpp.generic_nack_tx, smpp.error_resp_tx,
#    smpp.delivery_receipts, smpp.pdus_rx, txlog.rejects,
#    sms.concat_evicted) and stay bound, alive, and exit 0.
# PER_KIND=N and SEGMENTS=M change the sizes (M > 16); KEEP_WORK=1 keeps the logs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
PER_KIND=${PER_KIND:-3000}
SEGMENTS=${SEGMENTS:-1000}

write_config "" "enquire-link-interval 30"
sed -i 's/logging level set-all notice/logging level set-all info/' "$WORK/txgw.cfg"
$PY "$TOP/tests/integration/log_flood_smsc.py" --port "$SMSC_PORT" \
	--vectors "$TOP/tests/vectors/vectors.json" --results "$WORK/results" \
	--per-kind "$PER_KIND" --segments "$SEGMENTS" > "$WORK/smsc.log" 2>&1 &
SMSC_PID=$!; PIDS+=("$SMSC_PID")
for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && break; sleep 0.1; done
start_txgw

wait_results 45 || exit 1
cp "$WORK/txgw.log" "$WORK/flood.log"
stats "show stats" > "$WORK/stats.json"
stats "show binds" > "$WORK/binds.json"
FAILS=0
$PY - "$WORK" <<'PYEOF' || FAILS=$((FAILS + 1))
import json, re, sys
work = sys.argv[1]
res = json.loads(open(work + "/results").read())
st = json.load(open(work + "/stats.json"))
binds = [b["state"] for b in json.load(open(work + "/binds.json"))]
log = open(work + "/flood.log", errors="replace").read().splitlines()
start = next(i for i, l in enumerate(log) if "state_chg to BOUND" in l)
flood = log[start + 1:]
kinds = {
    "not_served": r"not served by an ESME",
    "bad_pdu": r": bad PDU ",
    "bad_message": r": bad deliver_sm seq ",
    "unexpected": r": unexpected .* ignored|: \S+ while \S+ ignored",
    "nack_rx": r": generic_nack seq \d+: ",
    "ignored": r": alert_notification ignored",
    "receipt": r"receipt \(esm_class 0x04\)",
    "segment": r"segment 1/2 from 886955500002: came again with other bytes",
    "evicted": r"incomplete message from 886955500003 \(ref \d+, 1 of 2 parts\) dropped: evicted",
}
held = re.compile(r", (\d+) more like it suppressed$")
bad = 0

def check(name, ok, what):
    global bad
    bad += not ok
    print(("PASS %s: %s" if ok else "FAIL %s: %s") % (name, what))

sent = res["sent"]
# the first 16 messages of a sender stay open (concat-max-per-sender)
events = dict(sent, evicted=sent["evicted"] - 16)
total = sum(sent.values())
check("smsc", res["ok"], "%d PDUs in %.1f s, every answer as expected" % (total, res["seconds"]))
check("log_lines", len(flood) < 50, "%d log lines for %d PDUs (want < 50)" % (len(flood), total))
for k, pat in kinds.items():
    lines = [l for l in flood if re.search(pat, l)]
    n = len(lines) + sum(int(m.group(1)) for m in map(held.search, lines) if m)
    check("account_" + k, n == events[k] and len(lines) >= 2,
          "%d lines + %d held back = %d, want %d" % (len(lines), n - len(lines), n, events[k]))
other = [l for l in flood if not any(re.search(p, l) for p in kinds.values())]
check("no_other_lines", not other, "%d other lines %r" % (len(other), other[:3]))
nacks_want = sent["not_served"] + (sent["bad_pdu"] + 2) // 3 + sent["bad_pdu"] // 3
for name, got, want in (
        ("generic_nack_tx", st["smpp.generic_nack_tx"], res["nacks"]),
        ("generic_nack_tx_all", res["nacks"], nacks_want),
        ("error_resp_tx", st["smpp.error_resp_tx"], res["error_resps"]),
        ("delivery_receipts", st["smpp.delivery_receipts"], sent["receipt"]),
        # no downlink node: no receipt can match a message (downlink.md)
        ("receipts_unmatched", st["downlink.receipts_unmatched"], sent["receipt"]),
        # and the bind_resp, the first segment, an enquire_link after each batch
        ("pdus_rx", st["smpp.pdus_rx"], total + 2 + 2 * len(kinds)),
        ("rejects", st["txlog.rejects"], events["segment"] + events["evicted"]),
        ("concat_evicted", st["sms.concat_evicted"], events["evicted"]),
        ("still_bound", binds, ["bound"])):
    check(name, got == want, "%r, want %r" % (got, want))
sys.exit(bad != 0)
PYEOF
check() {
	if "${@:2}"; then echo "PASS $1"; else echo "FAIL $1"; FAILS=$((FAILS + 1)); fi
}
check sigterm_exit_0 stop_txgw
rc=0; wait "$SMSC_PID" || rc=$?
check smsc_unbound [ "$rc" = 0 ]
if [ "$FAILS" != 0 ]; then
	echo "--- txgw log (head)"; sed -n '/state_chg to BOUND/,$p' "$WORK/flood.log" | head -20
	exit 1
fi
echo "smpp_log_flood: PASS"
