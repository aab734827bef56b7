#!/usr/bin/env bash
# Who may connect to the bus, and what a client may do (bus.md "Who may
# connect", "Replay"), against a running txgw fed by txgw-smsc-sim, with an
# independent client (bus_security.py, python3-zmq):
#  - CURVE (curve-secret-key, curve-clients; keys made by txgw-keygen and by
#    libzmq): a listed key gets replay and the live stream, txgw-sub and
#    bus-sub.py with keys work; an unlisted key and a plain client get
#    nothing and are counted in bus.refused; the clients file is read again
#    on "reload registry" and SIGHUP, a bad one keeps the old keys; a secret
#    key file others may read stops start-up, naming it;
#  - size limits: an 8 MiB and a 2 MiB subscription get their connection
#    dropped, txgw's RSS stays within +20 MB and the loop answers;
#  - replay cannot be jammed: 64 (and 200) requests from a DEALER that never
#    reads and leaves; a fresh client is served within 1 s, txgw's CPU over
#    the next 3 s stays under 0.3 s; the 5th request of a client in progress
#    is answered ["ERROR", "busy"] after the 4 answers before it;
#  - loopback only without CURVE: publish tcp://0.0.0.0:PORT stops start-up
#    with FILE:LINE, allow-plaintext lets it start; the VTY shows the bus
#    commands and refuses to change them, the running-config loads again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
H=("$PY" "$TOP/tests/integration/bus_security.py")
KEYGEN=$TOP/gateway/tools/txgw-keygen
SUB=$TOP/contrib/txgw-sub
CHECK=("$PY" "$TOP/tests/integration/stats_check.py")
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
R=tcp://127.0.0.1:$REPLAY_PORT
P=tcp://127.0.0.1:$PUB_PORT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$TXGW_PID/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$TXGW_PID/stat"; }
counter() { stats "show stats" | $PY -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], -1))' "$1"; }
# ms CMD...: run CMD, print how long it took in ms
ms() {
	local t0 t1
	t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# ---- keys -------------------------------------------------------------------------
K=$WORK/bus-keys
mkdir -p "$K"
srv_pub=$("$KEYGEN" "$K/srv.key" "$K/srv.pub") || fail "txgw-keygen"
[ "$(stat -c %a "$K/srv.key")" = 600 ] || fail "secret key mode $(stat -c %a "$K/srv.key")"
grep -qxF "$srv_pub" "$K/srv.pub" || fail "txgw-keygen printed $srv_pub, the file says $(cat "$K/srv.pub")"
"$KEYGEN" "$K/a.key" "$K/a.pub" >/dev/null || fail "txgw-keygen a"
"${H[@]}" keypair "$K/b.key" "$K/b.pub"	# made by libzmq, not listed (yet)
{ echo "# the operation server"; grep -v '^#' "$K/a.pub"; echo; } > "$K/clients"
rc=0; "$KEYGEN" "$K/srv.key" "$K/x.pub" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] && [ ! -e "$K/x.pub" ] || fail "txgw-keygen over an existing file: exit $rc"
rc=0; "$KEYGEN" "$K/only-one" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "txgw-keygen with one file: exit $rc"
grep -q "^EXIT STATUS" <<<"$("$KEYGEN" --help)" || fail "txgw-keygen --help"
A=(--server-key "$K/srv.pub" --key "$K/a.key")
B=(--server-key "$srv_pub" --key "$K/b.key")

# ---- CURVE ---------------------------------------------------------------------------
# the subscribers first, then 3 mails without a frame (3 txlog.reject): the
# live stream is seen by the listed key only
BUS_EXTRA=" curve-secret-key $K/srv.key
 curve-clients $K/clients"
NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
"${H[@]}" subscribe "$P" "${A[@]}" --timeout 15 --ready "$WORK/a.ready" & live_a=$!; PIDS+=("$live_a")
"${H[@]}" subscribe "$P" "${B[@]}" --timeout 5 & live_b=$!; PIDS+=("$live_b")
"${H[@]}" subscribe "$P" --timeout 5 & live_p=$!; PIDS+=("$live_p")
for _ in $(seq 50); do [ -e "$WORK/a.ready" ] && break; sleep 0.1; done
[ -e "$WORK/a.ready" ] || fail "the listed subscriber's handshake did not succeed"
sleep 0.3	# the handshake is done; the subscription itself cannot be observed
wait_smtp
$PY - "$SMTP_PORT" <<'PYEOF' || fail "mails not accepted"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(3):
    s.sendmail("p%d@handset.example" % i, ["upload@txlog.example"],
               "Subject: hi\r\n\r\nwhat is my balance?\r\n")
s.quit()
PYEOF
N=$(journal_seq)
[ "$N" = 3 ] || fail "$N messages in the journal, want 3"
wait "$live_a" && pass "CURVE: a listed key gets the live stream" || fail "listed key: no live message"
rc=0; wait "$live_b" || rc=$?; [ "$rc" = 1 ] || fail "unlisted key: live subscriber exit $rc"
rc=0; wait "$live_p" || rc=$?; [ "$rc" = 1 ] || fail "plain client: live subscriber exit $rc"

out=$("${H[@]}" replay "$R" "${A[@]}" --max 5) || true
[ "$out" = "END 4 3" ] && pass "CURVE: a listed key gets replay" || fail "listed key replay: $out"
"${CHECK[@]}" "$WORK/stats.sock" wait bus.refused 1 5 || fail "no bus.refused for the refused live clients"
r0=$(counter bus.refused)
out=$("${H[@]}" replay "$R" "${B[@]}" --max 5 --timeout 2) || true
[ "$out" = timeout ] || fail "unlisted key got: $out"
"${CHECK[@]}" "$WORK/stats.sock" wait bus.refused $((r0 + 1)) 5 && r1=$(counter bus.refused) &&
	pass "CURVE: an unlisted key gets nothing; bus.refused $r0 -> $r1" || fail "unlisted key not counted"
out=$("${H[@]}" replay "$R" --max 5 --timeout 2) || true
[ "$out" = timeout ] || fail "plain client got: $out"
"${CHECK[@]}" "$WORK/stats.sock" wait bus.refused $((r1 + 1)) 5 && r2=$(counter bus.refused) &&
	pass "CURVE: a plain client gets nothing; bus.refused $r1 -> $r2" || fail "plain client not counted"
grep -q "refused CURVE client 127.0.0.1 key .*: not in curve-clients" "$WORK/txgw.log" ||
	fail "no log line for the refused key"
[ "$(grep -c "refused CURVE client" "$WORK/txgw.log")" -le 4 ] || fail "refusals not rate-limited: $(grep -c "refused CURVE client" "$WORK/txgw.log") lines"

# txgw-sub and bus-sub.py with keys
"$SUB" --json --until-seq "$N" --timeout 20 --pub "$P" --replay "$R" --curve-server-key "$K/srv.pub" \
	--curve-key "$K/a.key" > "$WORK/sub.jsonl" 2> "$WORK/sub.err" || fail "txgw-sub with keys: $(tail -2 "$WORK/sub.err")"
[ "$(wc -l < "$WORK/sub.jsonl")" = "$N" ] && pass "txgw-sub with keys: seq 1..$N" ||
	fail "txgw-sub with keys printed $(wc -l < "$WORK/sub.jsonl") of $N"
rc=0; "$SUB" --json --until-seq 3 --timeout 2 --pub "$P" --replay "$R" --curve-server-key "$srv_pub" \
	--curve-key "$K/b.key" > /dev/null 2> "$WORK/subb.err" || rc=$?
[ "$rc" = 1 ] && grep -q "refused our CURVE key" "$WORK/subb.err" ||
	fail "txgw-sub with an unlisted key: exit $rc: $(cat "$WORK/subb.err")"
BUS_CURVE="--curve-server-key $K/srv.pub --curve-key $K/a.key" subscribe "$N" || fail "bus-sub.py with keys"
cp "$K/a.key" "$K/a-open.key"; chmod 644 "$K/a-open.key"
rc=0; "$SUB" --until-seq 3 --curve-server-key "$srv_pub" --curve-key "$K/a-open.key" 2> "$WORK/open.err" || rc=$?
[ "$rc" = 2 ] && grep -q "a-open.key: a secret key must be readable by its owner only" "$WORK/open.err" ||
	fail "txgw-sub with a world-readable key: exit $rc: $(cat "$WORK/open.err")"

# a listed 2 MiB subscription (encrypted) is dropped like a plain one
"${H[@]}" bigsub "$P" $((2 << 20)) "${A[@]}" > /dev/null || fail "CURVE: a 2 MiB subscription was not dropped"

# the clients file again: reload registry, a bad file, SIGHUP
cat "$K/b.pub" >> "$K/clients"
out=$(stats "reload registry")
[[ $out == ok* ]] || fail "reload registry: $out"
out=$("${H[@]}" replay "$R" "${B[@]}" --max 5) || true
[ "$out" = "END 4 3" ] && pass "curve-clients read again on reload registry" || fail "key added, reloaded: $out"
cp "$K/clients" "$K/clients.good"
echo "not a key" >> "$K/clients"
out=$(stats "reload registry")
[[ $out == "error curve-clients not reloaded: $K/clients:5: not a 40-character Z85 key"* ]] ||
	fail "bad clients file: $out"
out=$("${H[@]}" replay "$R" "${B[@]}" --max 5) || true
[ "$out" = "END 4 3" ] && pass "a bad clients file keeps the old keys" || fail "after a bad file: $out"
grep -v '^#' "$K/a.pub" > "$K/clients"	# b out again
kill -HUP "$TXGW_PID"
for _ in $(seq 50); do grep -q "curve-clients $K/clients reloaded: 1 keys" "$WORK/txgw.log" && break; sleep 0.1; done
out=$("${H[@]}" replay "$R" "${B[@]}" --max 5 --timeout 2) || true
[ "$out" = timeout ] && pass "curve-clients read again on SIGHUP" || fail "key removed, SIGHUP: $out"
# a refused registry (empty: refused without force) does not hold back the
# client keys; both refused, the answer gives both reasons
cp "$WORK/txgw.cfg" "$WORK/txgw.cfg.orig"
: > "$WORK/empty.txt"
sed -i "s|^ registry .*| registry $WORK/empty.txt|" "$WORK/txgw.cfg"
cp "$K/clients.good" "$K/clients"	# b in again
out=$(stats "reload registry")
[[ $out == "error $WORK/empty.txt: no keys"* && $out != *curve-clients* ]] || fail "empty registry: $out"
out=$("${H[@]}" replay "$R" "${B[@]}" --max 5) || true
[ "$out" = "END 4 3" ] && pass "a refused registry does not hold back the client keys" ||
	fail "registry refused, key added: $out"
echo "not a key" >> "$K/clients"
out=$(stats "reload registry")
[[ $out == "error $WORK/empty.txt: no keys"*"; curve-clients not reloaded: $K/clients:5: not a 40-character"* ]] &&
	pass "both files refused: both reasons in the answer" || fail "both refused: $out"
cp "$WORK/txgw.cfg.orig" "$WORK/txgw.cfg"
cp "$K/clients.good" "$K/clients"
out=$(stats "reload registry")
[[ $out == ok* ]] || fail "reload registry, files restored: $out"

# the VTY: shown, not changeable; the running-config loads again
"$PY" "$TOP/tests/integration/vty_client.py" --password "$VTY_PASSWORD" "$VTY_PORT" enable \
	"show running-config" "configure terminal" \
	bus "curve-clients /tmp/x" > "$WORK/vty.json" || fail "VTY session"
$PY - "$WORK/vty.json" "$K" "$WORK/running.cfg" <<'PYEOF' || fail "VTY: $(cat "$WORK/vty.json")"
import json, sys
d, k = json.load(open(sys.argv[1])), sys.argv[2]
rc = d["out"][1]
assert "\nbus\n" in rc and " curve-secret-key %s/srv.key\n curve-clients %s/clients\n" % (k, k) in rc, rc
assert "curve-clients is read from" in d["out"][4] and "edit the file" in d["out"][4], d["out"][4]
open(sys.argv[3], "w").write(rc)
PYEOF
"$TXGW" -c "$WORK/running.cfg" -V > "$WORK/v.out" 2>&1 || fail "-V on the running-config: $(cat "$WORK/v.out")"
stop_txgw || fail "stop"

# a secret key others may read stops start-up, naming the file
chmod 640 "$K/srv.key"
rc=0; "$TXGW" -c "$WORK/txgw.cfg" > "$WORK/start.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "$K/srv.key: a secret key must be readable by its owner only (mode 0640" "$WORK/start.out" &&
	pass "a group-readable secret key stops start-up" || fail "group-readable key: exit $rc: $(cat "$WORK/start.out")"
chmod 600 "$K/srv.key"

# ---- size limits (no CURVE, loopback) -------------------------------------------------
# with some 2500 more messages from the simulator, for the replay tests
BUS_EXTRA=
start_sim --devices 8 --records-per-upload 32 --count 150 --presign --seed 5 --wait-bind 15 --drain 20
write_config "$WORK/reg.txt"
start_txgw
wait_sim 60
[ "$SIM_RC" = 0 ] || fail "txgw-smsc-sim exit $SIM_RC"
[ "$(journal_seq)" -ge 2000 ] || fail "only $(journal_seq) messages in the journal"
out=$("${H[@]}" replay "$R" --max 5) || true	# the loop has run; RSS as it is when serving
rss0=$(rss_kb)
"${H[@]}" bigsub "$P" $((8 << 20)) > "$WORK/big.out" || fail "8 MiB subscription: $(cat "$WORK/big.out")"
"${H[@]}" bigsub "$P" $((2 << 20)) >> "$WORK/big.out" || fail "2 MiB subscription: $(cat "$WORK/big.out")"
t=$(ms stats "show info")
rss1=$(rss_kb)
echo "RSS before the subscriptions ${rss0} kB, after ${rss1} kB; show info in $t ms"
[ $((rss1 - rss0)) -lt 20480 ] && [ "$t" -lt 1000 ] &&
	pass "8 MiB and 2 MiB subscriptions: disconnected, RSS +$((rss1 - rss0)) kB" ||
	fail "RSS ${rss0} -> ${rss1} kB, show info $t ms"

# ---- replay cannot be jammed ------------------------------------------------------------
for n in 64 200; do
	"${H[@]}" jam "$R" --n "$n" --max 10000
	c0=$(cpu_ticks)
	t=$(ms "${H[@]}" replay "$R" --max 5 --timeout 1)
	out=$("${H[@]}" replay "$R" --max 5 --timeout 1) || true
	sleep 3	# CPU over these 3 s: nothing to do, nothing may spin
	c1=$(cpu_ticks)
	echo "jam of $n requests: a fresh client served in $t ms ($out); txgw CPU $((c1 - c0)) ticks in ~3 s"
	[ "$out" = "END 6 5" ] && [ "$t" -lt 1000 ] && [ $((c1 - c0)) -lt 30 ] &&
		pass "jam of $n requests" || fail "jam of $n: fresh client '$out' in $t ms, $((c1 - c0)) ticks"
done
"${H[@]}" busy "$R" --n 5 --max 2000 --timeout 20 > "$WORK/busy.out" || true
[ "$(head -1 "$WORK/busy.out")" = "END END END END ERROR:busy" ] &&
	[ "$(sed -n 2p "$WORK/busy.out")" = "2000 2000 2000 2000 0" ] &&
	pass "the 5th request in progress: busy, after the 4 answers" || fail "busy: $(cat "$WORK/busy.out")"
stop_txgw || fail "stop"

# ---- loopback only without CURVE ----------------------------------------------------------
BUS_PUBLISH=tcp://0.0.0.0:$PUB_PORT write_config "$WORK/reg.txt"
line=$(grep -n "^ publish tcp://0.0.0.0:" "$WORK/txgw.cfg" | cut -d: -f1)
rc=0; "$TXGW" -c "$WORK/txgw.cfg" > "$WORK/start.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^txgw: $WORK/txgw.cfg:$line: 'publish tcp://0.0.0.0:$PUB_PORT' is reachable from other hosts" "$WORK/start.out" &&
	pass "publish tcp://0.0.0.0 without CURVE: $(cut -c1-80 "$WORK/start.out")..." ||
	fail "0.0.0.0 without CURVE: exit $rc: $(cat "$WORK/start.out")"
BUS_PUBLISH=tcp://0.0.0.0:$PUB_PORT BUS_EXTRA=" allow-plaintext" write_config "$WORK/reg.txt"
start_txgw && pass "... and with allow-plaintext it starts" || fail "allow-plaintext"
stop_txgw || fail "stop"

[ "$FAILS" = 0 ] || { echo "bus_security: $FAILS failed (work directory kept: $WORK)"; KEEP_WORK=1; exit 1; }
echo "bus_security: CURVE, key reloads, size limits, replay jams and busy, loopback-only: all as expected"
