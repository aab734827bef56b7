#!/usr/bin/env bash
# The daemon's operator interfaces against a running txgw fed by the
# Net::SMPP SMSC (as in netsmpp.sh):
#  - the command line: --help, --version, -V on a good and on bad files;
#  - every command of stats.md on the stats socket (stats_check.py): show
#    info / stats / metrics (a Prometheus format parser) / binds, reload
#    registry (ok, and error with a broken file while the old registry keeps
#    verifying), an unknown command;
#  - SIGHUP (a registry without a device: its next frame is unknown_device on
#    the bus), SIGUSR1 (a talloc report, the process lives);
#  - the VTY over telnet (vty_client.py): enable, show running-config, show
#    rate-counters, write terminal, show fsm ESME / fsm-instances all (the
#    bind's osmo_fsm); the running-config saved as a file loads with -V and,
#    after a restart from it, gives the same running-config.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
CHECK=("$PY" "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock")
VTY=("$PY" "$TOP/tests/integration/vty_client.py" --password "$VTY_PASSWORD")
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { "${CHECK[@]}" "$@" || FAILS=$((FAILS + 1)); }

# bus_line N FIELD...: fields of the bus message of seq N ($WORK/bus.jsonl)
bus_line() {
	$PY - "$WORK/bus.jsonl" "$@" <<'PYEOF'
import json, sys
msgs = {json.loads(l)["payload"]["seq"]: json.loads(l) for l in open(sys.argv[1])}
m = msgs[int(sys.argv[2])]
print(" ".join([m["topic"]] + [str(m["payload"].get(f)) for f in sys.argv[3:]]))
PYEOF
}

# fresh_frame UPLOAD COUNTER BALANCE: a deliver file with a new signed frame
fresh_frame() {
	$PY "$TOP/tests/integration/stats_frames.py" "$WORK/deliver.txt" \
		"$TOP/tests/vectors/keys/00112233aabbccdd-1.key" "$1" "$2" "$3" 500 > "$WORK/frame$1.txt"
	echo "$WORK/frame$1.txt"
}

# running_config OUT: show running-config (as the VTY prints it) into OUT;
# show rate-counters, write terminal and the ESME fsm are checked on the way.
running_config() {
	"${VTY[@]}" "$VTY_PORT" enable "show running-config" "show rate-counters" "write terminal" \
		"show fsm ESME" "show fsm-instances all" > "$WORK/vty.json" ||
		{ fail "VTY session"; return 1; }
	$PY - "$WORK/vty.json" "$1" <<'PYEOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
assert "txgw" in d["banner"], d["banner"]
rc, ctrs, wt = d["out"][1:4]
assert "\ngateway\n name gw-test\n" in rc and rc.rstrip().endswith("end"), rc
for c in ("smpp:pdus_rx", "txlog:records", "bus:published", "journal:syncs"):
    assert ("%s:" % c) in ctrs, "show rate-counters lacks " + c
assert "txgw gateway counters" in ctrs, ctrs[:200]
assert wt == rc, "write terminal differs from show running-config"
fsm, insts = d["out"][4:6]
assert "FSM Name: 'ESME', Log Subsys: 'DSMPP'" in fsm, fsm
for st in ("DISCONNECTED", "CONNECTING", "BINDING", "BOUND", "UNBINDING", "BACKOFF"):
    assert "State %-20s" % st in fsm, "show fsm ESME lacks " + st
assert re.search(r"FSM Instance Name: 'ESME\(smsc\)', ID: 'smsc'\n"
                 r" Log-Level: 'INFO', State: '(CONNECTING|BINDING|BOUND|BACKOFF)'", insts), insts
open(sys.argv[2], "w").write(rc)
PYEOF
}

# ---- the command line ---------------------------------------------------------
mkdir -p "$WORK/reg"
cp -r "$TOP/tests/vectors/keys" "$WORK/reg/"
cp "$TOP/tests/vectors/devices.txt" "$WORK/reg/good.txt"
cp "$WORK/reg/good.txt" "$WORK/reg/devices.txt"
write_config "$WORK/reg/devices.txt"

"$TXGW" --help > "$WORK/help.txt" || fail "--help exit $?"
grep -q -- "-c, --config FILE" "$WORK/help.txt" || fail "--help does not mention -c"
"$TXGW" --version | grep -Eq '^txgw [0-9]+\.[0-9]+' || fail "--version"
"$TXGW" -c "$WORK/txgw.cfg" -V > "$WORK/v.out" 2>&1 || fail "-V on a good file: $(cat "$WORK/v.out")"
rc=0; "$TXGW" > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "no -c: exit $rc, want 2"
gwline=$(grep -n '^gateway$' "$WORK/txgw.cfg" | cut -d: -f1)
sed "${gwline}a\\ bogus-command 7" "$WORK/txgw.cfg" > "$WORK/bad1.cfg"
sed "s/^ concat-timeout 60$/ concat-timeout 0/" "$WORK/txgw.cfg" > "$WORK/bad2.cfg"
ctline=$(grep -n '^ concat-timeout' "$WORK/txgw.cfg" | cut -d: -f1)
for bad in "bad1.cfg:$((gwline + 1))" "bad2.cfg:$ctline"; do
	f=${bad%%:*}
	rc=0; "$TXGW" -c "$WORK/$f" -V > "$WORK/v.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "-V on $f: exit $rc, want 1"
	grep -q "$WORK/$bad:" "$WORK/v.out" || fail "-V on $f does not name $bad: $(cat "$WORK/v.out")"
done

# ---- traffic, then every stats.md command ------------------------------------------
netsmpp_deliver "$WORK/deliver.txt"
start_smsc "$WORK/deliver.txt"
start_txgw
wait_smsc || exit 1
subscribe 5 || { echo "FAIL: bus incomplete"; exit 1; }
last=$(tail -1 "$WORK/bus.jsonl" | $PY -c 'import json,sys; print(json.load(sys.stdin)["payload"]["seq"])')
[ "$last" = 5 ] || fail "last bus seq $last"
check info "$last" "$TXGW_PID" gw-test
# 4 deliver_sm: 4 segments, 3 whole messages (2 of them frames: 1 + 3
# records), 1 text (the not_txlog reject); 5 bus messages.
check stats smpp.deliver_sm=4 sms.segments=4 sms.messages=3 txlog.frames=2 txlog.records=4 \
	txlog.rejects=1 txlog.alerts=0 bus.published=5 'journal.syncs>=1' 'smpp.pdus_rx>=5' \
	smpp.generic_nack_tx=0 txlog.duplicates=0
check metrics
check binds smsc
check ask "show nothing" "error unknown command"
check ask "" "error unknown command"
check ask "show  info " '\{"name":"gw-test".*\}'

# reload registry: ok, then a broken file is refused and the old one stays.
check ask "reload registry" "ok 2"
printf 'nonsense\n' > "$WORK/reg/devices.txt"
check ask "reload registry" "error .+"
check stats registry.reloads=1 registry.reload_errors=1
start_smsc "$(fresh_frame 2 1002 87000)"
wait_smsc || exit 1
subscribe 6 || { echo "FAIL: bus incomplete after the broken reload"; exit 1; }
[ "$(bus_line 6 device counter balance)" = "txlog.record 00112233aabbccdd 1002 87000" ] ||
	fail "after a refused reload, seq 6 is $(bus_line 6 device counter balance)"

# SIGHUP: the device is gone from the registry.
grep -v '^00112233aabbccdd' "$WORK/reg/good.txt" > "$WORK/reg/devices.txt"
kill -HUP "$TXGW_PID"
check wait registry.reloads 2 5
start_smsc "$(fresh_frame 3 1003 86500)"
wait_smsc || exit 1
subscribe 7 || { echo "FAIL: bus incomplete after SIGHUP"; exit 1; }
[ "$(bus_line 7 reason device)" = "txlog.reject unknown_device 00112233aabbccdd" ] ||
	fail "after SIGHUP, seq 7 is $(bus_line 7 reason device)"
check info 7 "$TXGW_PID" gw-test
check stats txlog.records=5 txlog.rejects=2 bus.published=7 smpp.deliver_sm=6

# SIGUSR1: a talloc report on stderr, and the gateway goes on.
kill -USR1 "$TXGW_PID"
for _ in $(seq 50); do grep -q "talloc report on 'txgw'" "$WORK/txgw.log" && break; sleep 0.1; done
grep -q "talloc report on 'txgw'" "$WORK/txgw.log" || fail "SIGUSR1: no talloc report"
kill -0 "$TXGW_PID" 2>/dev/null || fail "SIGUSR1 ended txgw"
check ask "show stats" '\{.*"bus.published":7.*\}'

# ---- the VTY, and the running-config round trip -------------------------------------
running_config "$WORK/running.cfg" || fail "VTY: $(cat "$WORK/vty.json" 2>/dev/null)"
"$TXGW" -c "$WORK/running.cfg" -V > "$WORK/v.out" 2>&1 || fail "-V on the running-config: $(cat "$WORK/v.out")"
stop_txgw || fail "SIGTERM"
cp "$WORK/running.cfg" "$WORK/txgw.cfg"
start_txgw
running_config "$WORK/running2.cfg" || fail "VTY after the restart"
cmp -s "$WORK/running.cfg" "$WORK/running2.cfg" ||
	fail "running-config differs after a restart from it: $(diff "$WORK/running.cfg" "$WORK/running2.cfg")"
check info 7 "$TXGW_PID" gw-test
stop_txgw || fail "SIGTERM after the restart"

[ "$FAILS" = 0 ] || { echo "stats_vty: $FAILS failed"; exit 1; }
echo "stats_vty: command line, stats socket (info, stats, metrics, binds, reload, unknown)," \
	"SIGHUP, SIGUSR1, VTY and the running-config round trip: all as expected"
