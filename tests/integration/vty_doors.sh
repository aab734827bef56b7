#!/usr/bin/env bash
# The VTY's doors (config.md: password, line vty / login, and "What decides
# whom the gateway trusts ... a VTY session cannot change it"), as an
# audit's session tried them against a running txgw:
#  - without the password: no prompt, the session is closed after three
#    guesses (the commands typed blind are taken as guesses);
#  - with it, before enable: no show running-config, nothing of a password;
#  - after enable: registry, ca-file, no ca-file, state-dir are refused and
#    name the file; write file to any other path (a new file, a journal
#    segment) is refused and writes nothing; write (every spelling) writes
#    the start file and leaves its mode as it was;
#  - reload registry and SIGHUP load the registry of the file, not the one
#    typed: an upload of a device listed only in the typed registry is
#    rejected unknown_device on the bus (Net::SMPP SMSC);
#  - a restart from the written file finds its journal intact; the file
#    edited by the operator, a reload takes its registry;
#  - a file without a password: the VTY asks all the same, nobody gets in
#    and txgw lives on (libosmovty 1.7 aborts on a connection to a VTY that
#    asks with no password set); "no login" opens it; both are logged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
CHECK=("$PY" "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock")
VTY=("$PY" "$TOP/tests/integration/vty_client.py")
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { "${CHECK[@]}" "$@" || FAILS=$((FAILS + 1)); }

# the gateway trusts one key (0a0b0c0d0e0f1011); the attacker's registry
# adds 00112233aabbccdd, whose private key the attacker holds
mkdir -p "$WORK/reg" "$WORK/attacker"
cp -r "$TOP/tests/vectors/keys" "$WORK/reg/"
cp -r "$TOP/tests/vectors/keys" "$WORK/attacker/"
grep -v '^00112233aabbccdd' "$TOP/tests/vectors/devices.txt" > "$WORK/reg/devices.txt"
cp "$TOP/tests/vectors/devices.txt" "$WORK/attacker/devices.txt"
write_config "$WORK/reg/devices.txt"
chmod 600 "$WORK/txgw.cfg"
start_txgw
check ask "reload registry" "ok 1"
seg=$(find "$WORK/state/journal" -type f | sort | head -1)
[ -n "$seg" ] || { echo "FAIL: no journal segment in $WORK/state/journal"; exit 1; }
cp "$seg" "$WORK/segment.before"

# ---- no password ------------------------------------------------------------
rc=0; "${VTY[@]}" "$VTY_PORT" "show version" > /dev/null 2> "$WORK/nopw.err" || rc=$?
[ "$rc" = 3 ] && grep -q "asked for, none given" "$WORK/nopw.err" ||
	fail "no password: exit $rc, want 3 (a password asked for): $(cat "$WORK/nopw.err")"
rc=0; "${VTY[@]}" --password "not-$VTY_PASSWORD" "$VTY_PORT" "show version" > /dev/null \
	2> "$WORK/badpw.err" || rc=$?
[ "$rc" = 3 ] && grep -q "password refused" "$WORK/badpw.err" ||
	fail "wrong password: exit $rc, want 3 (refused): $(cat "$WORK/badpw.err")"
# the audit's session typed blind: every line is a wrong password, the
# third one ends the session, no prompt ever comes
$PY - "$VTY_PORT" "$WORK/attacker/devices.txt" <<'PYEOF' || fail "blind session"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
got, end = b"", time.monotonic() + 5
while not got.endswith(b"Password: ") and time.monotonic() < end:
    got += s.recv(4096)
assert got.endswith(b"Password: "), got[-100:]
for line in ("enable", "configure terminal", "devices", "registry " + sys.argv[2], "write"):
    try:
        s.sendall(line.encode() + b"\r\n")
    except OSError:
        break
closed = False
while time.monotonic() < end:
    try:
        b = s.recv(4096)
    except ConnectionResetError:
        b = b""
    if not b:
        closed = True
        break
    got += b
assert closed, "session still open after five wrong passwords: %r" % got[-200:]
assert b"txgw>" not in got and b"txgw#" not in got, "a prompt came: %r" % got[-200:]
PYEOF

# ---- with the password ----------------------------------------------------------
"${VTY[@]}" --password "$VTY_PASSWORD" "$VTY_PORT" "show running-config" "write terminal" \
	enable "configure terminal" devices "registry $WORK/attacker/devices.txt" \
	"ca-file $WORK/attacker/ca.pem" "no ca-file" exit gateway "state-dir $WORK/attacker" end \
	"write file $WORK/x" "wr f $seg" "write" "write memory" "copy running-config startup-config" \
	"show running-config" > "$WORK/vty.json" || fail "VTY session: $(cat "$WORK/vty.json")"
$PY - "$WORK/vty.json" "$WORK" "$VTY_PASSWORD" <<'PYEOF' || fail "VTY session answers"
import json, sys
d = json.load(open(sys.argv[1]))
work, vtypw = sys.argv[2], sys.argv[3]
out = d["out"]
bad = []
def want(i, text):
    if text not in out[i]:
        bad.append("answer %d lacks %r: %r" % (i, text, out[i][:300]))
for i in (0, 1):    # before enable
    want(i, "% Unknown command.")
    if "password" in out[i] or vtypw in out[i] or "secret" in out[i]:
        bad.append("a password before enable: %r" % out[i][:300])
locked = "is read from %s/txgw.cfg at start-up and on a reload; edit the file" % work
for i, what in ((5, "registry"), (6, "ca-file"), (7, "ca-file"), (10, "state-dir")):
    want(i, "% " + what + " " + locked)
for i in (12, 13):
    want(i, "%% write writes only %s/txgw.cfg, the file txgw was started with" % work)
for i in (14, 15, 16):
    want(i, "Configuration saved to %s/txgw.cfg" % work)
rc = out[17]
for line in ("\n registry %s/reg/devices.txt\n" % work, "\n state-dir %s/state\n" % work,
             "\npassword %s\n" % vtypw, "\n login\n", "\n  password secret\n"):
    if line not in rc:
        bad.append("show running-config after enable lacks %r" % line)
if "attacker" in rc:
    bad.append("the attacker's paths in show running-config")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PYEOF
[ ! -e "$WORK/x" ] || fail "write file $WORK/x created it"
cmp -s "$seg" "$WORK/segment.before" || fail "write file over a journal segment changed it"
[ "$(stat -c %a "$WORK/txgw.cfg")" = 600 ] ||
	fail "after write, txgw.cfg has mode $(stat -c %a "$WORK/txgw.cfg"), was 600"
grep -q "^ registry $WORK/reg/devices.txt$" "$WORK/txgw.cfg" || fail "written file: registry"
grep -q "attacker" "$WORK/txgw.cfg" && fail "written file names the attacker's paths"

# ---- reload: the file's registry, not the typed one ----------------------------------
check ask "reload registry" "ok 1"
kill -HUP "$TXGW_PID"
check wait registry.reloads 3 5
netsmpp_deliver "$WORK/deliver.txt"
$PY "$TOP/tests/integration/stats_frames.py" "$WORK/deliver.txt" \
	"$TOP/tests/vectors/keys/00112233aabbccdd-1.key" 1 1001 87500 500 > "$WORK/frame.txt"
start_smsc "$WORK/frame.txt"
wait_smsc || exit 1
subscribe 1 || { echo "FAIL: bus incomplete"; exit 1; }
$PY - "$WORK/bus.jsonl" <<'PYEOF' || fail "the attacker's device on the bus"
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])][0]
p = m["payload"]
got = (m["topic"], p.get("reason"), p.get("device"))
assert got == ("txlog.reject", "unknown_device", "00112233aabbccdd"), got
PYEOF

# ---- restart from the written file; then the operator edits it -------------------------
stop_txgw || fail "SIGTERM"
start_txgw || exit 1
check info 1 "$TXGW_PID" gw-test
check ask "reload registry" "ok 1"
sed -i "s#^ registry .*# registry $WORK/attacker/devices.txt#" "$WORK/txgw.cfg"
check ask "reload registry" "ok 2"
stop_txgw || fail "SIGTERM after the restart"

# ---- a file without password: the VTY still asks (and nobody gets in, and a
# connection does not bring txgw down); only "no login" opens it ---------------
grep -v -e '^password ' -e '^ login$' "$WORK/txgw.cfg" > "$WORK/nopw.cfg"
cp "$WORK/nopw.cfg" "$WORK/txgw.cfg"
: > "$WORK/txgw.log"
start_txgw || exit 1
grep -q "VTY 127.0.0.1:$VTY_PORT refuses every session: it asks for a password and the file sets none" \
	"$WORK/txgw.log" || fail "no password in the file: no notice in the log"
for pw in "" "$VTY_PASSWORD"; do
	rc=0; "${VTY[@]}" ${pw:+--password "$pw"} "$VTY_PORT" "show version" > /dev/null 2>&1 || rc=$?
	[ "$rc" = 3 ] || fail "no password in the file, session with '${pw}': exit $rc, want 3"
done
kill -0 "$TXGW_PID" 2>/dev/null || fail "txgw died of a VTY connection without a password set"
stop_txgw || fail "SIGTERM (no password)"
printf 'line vty\n no login\n' >> "$WORK/txgw.cfg"
: > "$WORK/txgw.log"
start_txgw || exit 1
grep -q "VTY 127.0.0.1:$VTY_PORT asks no password ('no login' under 'line vty')" "$WORK/txgw.log" ||
	fail "no login: no notice in the log"
"${VTY[@]}" "$VTY_PORT" "show version" > /dev/null || fail "no login: no session"
stop_txgw || fail "SIGTERM (no login)"

[ "$FAILS" = 0 ] || { echo "vty_doors: $FAILS failed"; exit 1; }
echo "vty_doors: login required (none, wrong, blind: refused); before enable no" \
	"running-config; registry, ca-file, state-dir refused on the VTY; write file elsewhere" \
	"refused (new file, journal segment), write keeps the file's mode; reload and SIGHUP" \
	"kept the file's registry (unknown_device on the bus); edited file reloaded; no password" \
	"in the file: closed, \"no login\": open: all as expected"
