#!/usr/bin/env bash
# A full disk under the journal (operation.md, "When the journal cannot
# take input"): the state-dir on a small tmpfs of the test's own, SMS
# traffic from the simulator (txgw-smsc-sim, store and forward) and mail
# from txgw-mail-sim (retries on 4xx), and a filler file that takes the
# last free byte while traffic runs:
#   1. deliver_sm are answered ESME_RX_T_APPN and mail 451 4.3.0; the
#      process stays up (same PID) and bound; show info says why; the log
#      says it once, not once per input;
#   2. the filler deleted, traffic resumes by itself within a few seconds;
#   3. the tmpfs filled again, txgw stopped (exit 0) and started on the
#      full disk: it starts, binds, answers temporary errors, and resumes
#      when the filler goes;
#   4. at the end every upload the simulators were told was accepted is on
#      the bus exactly once, seq gap-free, and no seq was published live
#      with other content than the journal replays (sim_compare.py);
#   5. a fresh state-dir on the full tmpfs (no room for the first journal
#      segment): txgw starts, answers 451, and takes mail once there is room.
# Needs root (mount); the tmpfs is unmounted at exit, also on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "disk_full: SKIP: needs root to mount a tmpfs"
	exit 0
fi
it_setup
FS=$WORK/fs
MAIL_SIM=$TOP/contrib/sim/txgw-mail-sim
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

df_cleanup() {
	local p
	for p in $(ours "${PIDS[@]}"); do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in $(ours "${PIDS[@]}"); do kill -9 "$p" 2>/dev/null || true; done
	if mountpoint -q "$FS"; then umount "$FS" || umount -l "$FS"; fi
	if [ "$FAILS" != 0 ]; then
		echo "disk_full: txgw log tail:"
		tail -15 "$WORK/txgw.log" 2>/dev/null || true
	fi
	it_cleanup
}
trap df_cleanup EXIT
mkdir "$FS"
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$FS"

# fill: the filler takes every free byte of the tmpfs
fill() { dd if=/dev/zero of="$FS/filler" bs=64k 2>/dev/null || true; }
unfill() { rm -f "$FS/filler"; }

# info KEY: one key of show info
info() {
	stats "show info" | $PY -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]
print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
# counter NAME: one counter of show stats
counter() {
	stats "show stats" | $PY -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
bind_state() {
	stats "show binds" | $PY -c 'import json, sys; print(json.load(sys.stdin)[0]["state"])'
}
# wait_for SECONDS CMD...: until CMD succeeds (every 0.1 s); 1 on time-out
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		kill -0 "$TXGW_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
journal_is() { [ "$(info journal_ok)" = "$1" ]; }
seq_above() { [ "$(journal_seq)" -gt "$1" ]; }
bound() { [ "$(bind_state)" = bound ]; }
counter_above() { [ "$(counter "$1")" -gt "$2" ]; }
alive() {
	kill -0 "$TXGW_PID" 2>/dev/null && return 0
	fail "txgw (pid $TXGW_PID) exited during $1"
	wait "$TXGW_PID" 2>/dev/null || echo "    its exit status: $?"
	exit 1
}
# smtp_probe: a mail without a frame; prints the reply code and text
smtp_probe() {
	$PY - "$SMTP_PORT" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
try:
    s.sendmail("probe@handset.example", ["upload@txlog.example"],
               "From: probe@handset.example\r\nSubject: probe\r\n\r\nno frame here\r\n")
    print("250")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
PYEOF
}

# ---- the two fleets, the config: state-dir on the tmpfs, SMTP on --------

mkdir -p "$WORK/mkeys"
# a simulator run that nobody binds to only writes its fleet's registry
"$SIM" --port 0 --devices 4 --registry "$WORK/mreg.txt" --keys-dir "$WORK/mkeys" --count 1 \
	--wait-bind 0.1 --seed 31 -q >/dev/null 2>&1 || true
start_sim --seed 29 --devices 6 --records-per-upload 4 --duration 26 --rate 15 \
	--resp-timeout 3 --retry-ms 200 --wait-bind 25 --drain 40
cat "$WORK/reg.txt" "$WORK/mreg.txt" > "$WORK/all.txt"
WITH_MAIL=1 write_config "$WORK/all.txt"
sed -i "s|^ state-dir .*| state-dir $FS/state|" "$WORK/txgw.cfg"
$PY "$TOP/tests/integration/sim_compare.py" --listen "tcp://127.0.0.1:$PUB_PORT" \
	--out "$WORK/live.jsonl" &
LIVE_PID=$!; PIDS+=("$LIVE_PID")
start_txgw
wait_smtp
"$MAIL_SIM" --port "$SMTP_PORT" --domain txlog.example --load-registry "$WORK/mreg.txt" \
	--keys-dir "$WORK/mkeys" --seed 37 --duration 24 --rate 4 --concurrency 2 --retries 12 \
	--drain 45 --shape mix --summary "$WORK/mail.json" -q >"$WORK/mail.log" 2>&1 &
MAIL_PID=$!; PIDS+=("$MAIL_PID")
PID1=$TXGW_PID
t0=$SECONDS

wait_for 15 seq_above 20 || { fail "no traffic journaled"; exit 1; }

# ---- 1. the disk fills while traffic runs ---------------------------------
fill
before=$(journal_seq)
wait_for 10 journal_is false || { alive "the fill"; fail "show info: journal_ok stays true on a full disk"; }
alive "the fill"
echo "disk_full: full at seq $before ($((SECONDS - t0)) s): $(stats 'show info' | $PY -c '
import json, sys; i = json.load(sys.stdin)
print("journal_state %s, journal_error %r" % (i["journal_state"], i["journal_error"]))')"
[ "$(info journal_state)" = waiting ] || fail "journal_state $(info journal_state), want waiting"
[ "$(info journal_error)" = "No space left on device" ] || fail "journal_error '$(info journal_error)'"
temp0=$(counter smpp.temp_errors)
wait_for 10 counter_above smpp.temp_errors "$((temp0 + 3))" ||
	fail "smpp.temp_errors stays at $(counter smpp.temp_errors): deliver_sm not refused"
reply=$(smtp_probe)
case $reply in "451 4.3.0"*) ;; *) fail "SMTP while full: '$reply', want 451 4.3.0" ;; esac
sleep 2				# down for a while: still up, still bound
alive "the full disk"
[ "$TXGW_PID" = "$PID1" ] || fail "another process"
bound || fail "bind state $(bind_state) while the disk is full, want bound"
refused=$(counter smpp.temp_errors)
echo "disk_full: while full: smpp.temp_errors $refused, SMTP '$reply', bind $(bind_state), pid $TXGW_PID"

# ---- 2. room again: it resumes by itself ---------------------------------
unfill
t1=$SECONDS
wait_for 10 journal_is true || fail "journal_ok still false 10 s after the filler went"
wait_for 10 seq_above "$(journal_seq)" || fail "no traffic journaled after the resume"
echo "disk_full: resumed in $((SECONDS - t1)) s, seq $(journal_seq); journal.resumes $(counter journal.resumes)"
[ "$(counter journal.failures)" = 1 ] || fail "journal.failures $(counter journal.failures), want 1"
[ "$(counter journal.resumes)" = 1 ] || fail "journal.resumes $(counter journal.resumes), want 1"
[ "$(counter smtp.temp_errors)" -ge 1 ] || fail "smtp.temp_errors $(counter smtp.temp_errors), want >= 1"
n_down=$(grep -c "journal cannot take input" "$WORK/txgw.log" || true)
[ "$n_down" = 1 ] || fail "'journal cannot take input' logged $n_down times, want once"
[ "$(grep -c "journal takes input again" "$WORK/txgw.log" || true)" = 1 ] || fail "resume not logged once"

# ---- 3. full again, and a restart on the full disk -----------------------
fill
wait_for 10 journal_is false || fail "journal_ok stays true on the second fill"
stop_txgw || fail "txgw did not stop cleanly on the full disk"
rm -f "$WORK/stats.sock"
start_txgw || { fail "txgw does not start on a full disk"; exit 1; }
PID2=$TXGW_PID
wait_for 15 bound || fail "not bound after the start on a full disk"
wait_for 15 journal_is false || fail "journal_ok stays true after the start on a full disk"
wait_for 10 counter_above smpp.temp_errors 0 || fail "no temporary error after the start on a full disk"
sleep 2
alive "the start on a full disk"
[ "$TXGW_PID" = "$PID2" ] || fail "another process"
bound || fail "bind state $(bind_state) after the start on a full disk"
echo "disk_full: started on the full disk: pid $PID2, bind $(bind_state), state $(info journal_state)," \
	"smpp.temp_errors $(counter smpp.temp_errors)"
unfill
wait_for 10 journal_is true || fail "journal_ok still false 10 s after the filler went (restart)"
wait_for 10 seq_above "$(journal_seq)" || fail "no traffic journaled after the second resume"

# ---- 4. everything accepted is on the bus once ---------------------------
wait_sim 60
[ "$SIM_RC" = 0 ] || fail "txgw-smsc-sim exit $SIM_RC: not every upload acknowledged"
tail -3 "$WORK/sim.log"
mail_rc=0
wait "$MAIL_PID" || mail_rc=$?
[ "$mail_rc" = 0 ] || fail "txgw-mail-sim exit $mail_rc: not every mail accepted"
tail -2 "$WORK/mail.log"
# one summary of both: the mail devices' bus src is their MAIL FROM
$PY - "$WORK/sim.json" "$WORK/mail.json" "$WORK/both.json" <<'PYEOF'
import json, sys
s, m = (json.load(open(p)) for p in sys.argv[1:3])
for dev, d in m.get("devices", {}).items():
    d["msisdn"] = d["src"]
    s["devices"][dev] = d
for k in ("not_txlog", "unacked", "failed"):
    s[k] = s.get(k, []) + m.get(k, [])
for k, v in m["totals"].items():
    s["totals"][k] = s["totals"].get(k, 0) + v
s["smtp"] = m["smtp"]
s["bearers"] = ["sms", "smtp"]
json.dump(s, open(sys.argv[3], "w"))
PYEOF
n=$(journal_seq)
subscribe "$n" 30 || fail "bus-sub.py could not read seq 1..$n"
sleep 0.3			# the live stream's tail
kill -TERM "$LIVE_PID"; wait "$LIVE_PID" || true
stats "show stats" > "$WORK/stats.json"
$PY "$TOP/tests/integration/sim_compare.py" --summary "$WORK/both.json" --bus "$WORK/bus.jsonl" \
	--live "$WORK/live.jsonl" --stats "$WORK/stats.json" --all-acked \
	--need 'smsc.temp_errors>=5' --need 'smtp.temp_errors>=1' --need 'totals.acked>=100' \
	--need 'gw.journal.resumes==1' || fail "the bus is not what the simulators were told"
stop_txgw || fail "txgw did not stop cleanly at the end"

# ---- 5. a fresh state-dir on a full disk ---------------------------------
fill
new_ports
NO_ESME=1 WITH_MAIL=1 write_config "$WORK/all.txt"
sed -i "s|^ state-dir .*| state-dir $FS/fresh|" "$WORK/txgw.cfg"
rm -f "$WORK/stats.sock"
start_txgw || { fail "txgw does not start on a full disk with a fresh state-dir"; exit 1; }
wait_smtp
[ "$(info journal_state)" = waiting ] || fail "fresh state-dir: journal_state $(info journal_state)"
reply=$(smtp_probe)
case $reply in "451 4.3.0"*) ;; *) fail "SMTP on a fresh full disk: '$reply', want 451 4.3.0" ;; esac
unfill
wait_for 10 journal_is true || fail "fresh state-dir: journal_ok still false after the filler went"
reply=$(smtp_probe)
[ "$reply" = 250 ] || fail "SMTP after the resume: '$reply', want 250"
[ "$(journal_seq)" = 1 ] || fail "fresh state-dir: journal_seq $(journal_seq), want 1"
alive "the fresh state-dir"
stop_txgw || fail "txgw did not stop cleanly (fresh state-dir)"
if grep -E "runtime error|Sanitizer|assert" "$WORK/txgw.log"; then fail "sanitizer or assertion"; fi

echo "disk_full: $((SECONDS - t0)) s"
[ "$FAILS" = 0 ] && echo "disk_full: ok" || { echo "disk_full: FAIL ($FAILS)"; exit 1; }
