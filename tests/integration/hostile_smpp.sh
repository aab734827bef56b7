#!/usr/bin/env bash
# Hostile SMPP peer: txgw binds to hostile_smsc.py, which sends it every
# bad PDU of the SMPP issue (bad command_length, unknown command_id,
# truncated body, missing NUL, over-long C-octet strings, bad TLVs, random
# bytes, a PDU over 100 writes, 64 KiB message_payload, the largest PDU
# and one octet more, 1000 enquire_link, unsolicited responses, outbind,
# alert_notification, data_sm, receipts, unbind, hostile bind phases),
# checks each answer and that a good deliver_sm still gets ESME_ROK.
# Then: the bus holds the one record of the good frame (every other good
# deliver_sm carried the same frame: duplicates), the counters agree with
# what the SMSC saw, txgw is alive and exits 0 on SIGTERM after unbinding.
#
# TXGW_TEST_SEED=N replays the random cases; HOSTILE_ONLY=case,case runs only
# those (after one good deliver_sm; generic_nack_tx may then be 0);
# KEEP_WORK=1 keeps the logs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
FAILS=0

check() {	# check NAME COMMAND...: PASS when the command succeeds
	local n=$1; shift
	if "$@"; then echo "PASS $n"; else echo "FAIL $n"; FAILS=$((FAILS + 1)); fi
}

write_config "" "enquire-link-interval 2"
$PY "$TOP/tests/integration/hostile_smsc.py" --port "$SMSC_PORT" \
	--vectors "$TOP/tests/vectors/vectors.json" --results "$WORK/results" \
	--seed "$SEED" ${HOSTILE_ONLY:+--only "$HOSTILE_ONLY"} > "$WORK/smsc.log" 2>&1 &
SMSC_PID=$!; PIDS+=("$SMSC_PID")
for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && break; sleep 0.1; done
start_txgw

# The cases run while we wait (bounded: 50 s, the whole test under 60 s).
wait_results 50 || exit 1
read -r _ passed failed frames receipts binds nacks good _ < "$WORK/results"
for v in passed failed frames receipts binds nacks good; do eval "$v=\${$v#*=}"; done

check txgw_alive kill -0 "$TXGW_PID"
subscribe 1 10 > "$WORK/sub.log" 2>&1 || true
stats "show stats" > "$WORK/stats.json"
stats "show binds" > "$WORK/binds.json"
# What the SMSC saw against what txgw counted and published.
$PY - "$WORK" "$frames" "$receipts" "$binds" "$nacks" "${HOSTILE_ONLY:-}" <<'PYEOF' || FAILS=$((FAILS + 1))
import json, sys
work, only = sys.argv[1], sys.argv[6]
frames, receipts, binds, nacks = map(int, sys.argv[2:6])
msgs = [json.loads(l) for l in open(work + "/bus.jsonl")]
st = json.load(open(work + "/stats.json"))
bound = [b["state"] for b in json.load(open(work + "/binds.json"))]
checks = [
    ("bus_one_record", [(m["topic"], m["payload"].get("device"), m["payload"].get("counter"))
                        for m in msgs], [("txlog.record", "00112233aabbccdd", 1001)]),
    ("bus_published_1", st["bus.published"], 1),
    ("records_1", st["txlog.records"], 1),
    ("frames", st["txlog.frames"], frames),
    ("duplicates", st["txlog.duplicates"], frames - 1),
    ("no_rejects", st["txlog.rejects"], 0),
    ("no_alerts", st["txlog.alerts"], 0),
    ("generic_nack_tx_positive", st["smpp.generic_nack_tx"] > 0 or bool(only), True),
    ("generic_nack_tx", st["smpp.generic_nack_tx"], nacks),
    ("receipts", st["smpp.delivery_receipts"], receipts),
    ("reconnects", st["smpp.reconnects"], binds - 1),
    ("still_bound", bound, ["bound"]),
]
bad = 0
for name, got, want in checks:
    ok = got == want
    bad += not ok
    print("PASS %s" % name if ok else "FAIL %s: %r, want %r" % (name, got, want))
sys.exit(bad != 0)
PYEOF
check sigterm_exit_0 stop_txgw
rc=0; wait "$SMSC_PID" || rc=$?
sed -n '/^DONE/,$p' "$WORK/smsc.log" | tail -n +2
check smsc_exit_0 [ "$rc" = 0 ]
check unbound_on_sigterm grep -q "UNBOUND by txgw" "$WORK/smsc.log"

echo "hostile_smpp: $passed cases passed, $failed failed; frames=$frames (good=$good)" \
	"receipts=$receipts binds=$binds nacks=$nacks; $FAILS shell checks failed"
if [ "$failed" != 0 ] || [ "$FAILS" != 0 ]; then
	echo "--- stats"; cat "$WORK/stats.json"; echo "--- txgw log (tail)"; tail -40 "$WORK/txgw.log"
	exit 1
fi
