#!/usr/bin/env bash
# Registry reloads that cannot hurt the running gateway (registry.md,
# section 5; stats.md, 2.5):
#  - start-up refuses a FIFO, a device and an empty registry, saying why,
#    and does not hang on the FIFO;
#  - a reload from a FIFO, a device or a directory (or with the
#    configuration file a FIFO) is refused at once (the stats socket
#    answers within 1 s and still serves), the old registry stays; a
#    symlink to a regular file is followed;
#  - an empty registry, or one without more than half of the keys in force
#    (counted by (device_id, key_id), not by size), is refused unless
#    `reload registry force`; SIGHUP never forces;
#  - a registry of 1,000,000 keys reloaded while txgw-smsc-sim sends 100
#    deliver_sm a second: meanwhile the stats socket answers `show info`
#    at once and a second reload `error reload in progress`; the reload
#    answers `ok 1000050`; a SIGHUP during a reload runs one more after
#    it; deliver_sm -> deliver_sm_resp p99 under a quarter of a reload's time.
#    a reload asked the moment the one before is answered runs next;
#    REG_RELOAD_KEYS sets the size (default 1000000).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok    $*"; }
BIG=${REG_RELOAD_KEYS:-1000000}

HELP=("$PY" "$TOP/tests/integration/registry_reload.py")

# gen_reg FILE N PREFIX: N Ed25519 lines with random hex: keys
gen_reg() {
	"${HELP[@]}" gen "$@"
}

# ask CMD [SECONDS]: "ELAPSED ANSWER" for CMD on the stats socket, or
# "TIMEOUT" when no answer came within SECONDS (default 3)
ask() {
	"${HELP[@]}" ask "$WORK/stats.sock" "$1" "${2:-3}"
}

keys() {
	stats "show info" 2>/dev/null |
		$PY -c 'import json, sys; print(json.load(sys.stdin)["registry_keys"])' 2>/dev/null || echo "?"
}

# expect_reload WHAT CMD REGEX [MAX_SECONDS]: CMD answered within
# MAX_SECONDS (default 1) with an answer matching REGEX
expect_reload() {
	local what=$1 cmd=$2 re=$3 max=${4:-1} got t a
	got=$(ask "$cmd" 5)
	if [ "$got" = TIMEOUT ]; then
		fail "$what: no answer to '$cmd' within 5 s"
		# an old txgw waits in open() for a FIFO's writer
		[ ! -p "$WORK/r/devices.txt" ] || unblock "$WORK/r/devices.txt"
		[ ! -p "$WORK/txgw.cfg" ] || unblock "$WORK/txgw.cfg"
		return 1
	fi
	t=${got%% *}; a=${got#* }
	if ! [[ $a =~ ^($re)$ ]]; then
		fail "$what: '$cmd' answered '$a', want /$re/"
	elif ! $PY -c "import sys; sys.exit(0 if $t < $max else 1)"; then
		fail "$what: '$cmd' took $t s (> $max s)"
	else
		pass "$what: '$cmd' -> '$a' in $t s"
	fi
}

# reload_started FILE: 'reload registry' in the background (its answer
# into FILE, ASK_PID), back once txgw has logged that it is loading (5 s)
reload_started() {
	local n0 i
	n0=$(grep -c ": loading" "$WORK/txgw.log" || true)
	ask "reload registry" 30 > "$1" &
	ASK_PID=$!; PIDS+=("$ASK_PID")
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c ": loading" "$WORK/txgw.log")" -gt "$n0" ] && return 0
		sleep 0.05
	done
}

# unblock FIFO: open the FIFO for writing and close it (an old txgw waits in
# open() for a writer: this lets it go on and read an empty file)
unblock() {
	timeout 5 bash -c ": > '$1'" 2>/dev/null || true
}

# start_bad REGISTRY WHAT REGEX: txgw must refuse to start, within 5 s,
# logging REGEX
start_bad() {
	local reg=$1 what=$2 re=$3 p i rc=0
	write_config "$reg"
	: > "$WORK/bad.log"
	"$TXGW" -c "$WORK/txgw.cfg" > "$WORK/bad.log" 2>&1 &
	p=$!; PIDS+=("$p")
	for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$p" 2>/dev/null; then
		fail "start-up with $what: still running after 5 s"
		[ -p "$reg" ] && unblock "$reg"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		return 0
	fi
	wait "$p" || rc=$?
	if [ "$rc" = 0 ]; then
		fail "start-up with $what: exit status 0"
	elif ! grep -Eq "$re" "$WORK/bad.log"; then
		fail "start-up with $what: exit $rc, but no /$re/ in the log:"; tail -5 "$WORK/bad.log"
	else
		pass "start-up with $what: exit $rc, '$(grep -Eo "$re" "$WORK/bad.log" | head -1)'"
	fi
	rm -f "$WORK/stats.sock"
}

# ---- start-up -------------------------------------------------------------------
export NO_ESME=1
mkdir -p "$WORK/r"
mkfifo "$WORK/r/fifo.txt"
: > "$WORK/r/empty.txt"
printf '# no keys yet\n\n' > "$WORK/r/comments.txt"
ln -s /dev/null "$WORK/r/null.txt"
start_bad "$WORK/r/fifo.txt" "a FIFO" "fifo.txt: not a regular file \(a FIFO\)"
start_bad "$WORK/r/null.txt" "a symlink to /dev/null" "null.txt: not a regular file \(a character device\)"
start_bad "$WORK/r/empty.txt" "an empty file" "empty.txt: no keys"
start_bad "$WORK/r/comments.txt" "comments only" "comments.txt: no keys"

# ---- reload: what is not a regular file -----------------------------------------------
gen_reg "$WORK/r/ten.txt" 10 aa
cp "$WORK/r/ten.txt" "$WORK/r/devices.txt"
write_config "$WORK/r/devices.txt"
start_txgw
[ "$(keys)" = 10 ] || fail "start-up: $(keys) keys, want 10"

rm "$WORK/r/devices.txt"; mkfifo "$WORK/r/devices.txt"
expect_reload "FIFO" "reload registry" "error .*devices.txt: not a regular file \(a FIFO\).*"
got=$(ask "show info" 1)
[ "$got" != TIMEOUT ] && pass "FIFO: 'show info' answers afterwards" || fail "FIFO: 'show info' does not answer"
[ "$(keys)" = 10 ] || fail "FIFO: $(keys) keys in force, want the old 10"
kill -HUP "$TXGW_PID"
if ! $PY "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock" wait registry.reload_errors 2 3; then
	fail "FIFO: SIGHUP not counted as refused within 3 s"
	unblock "$WORK/r/devices.txt"
fi
[ "$(keys)" = 10 ] || fail "FIFO, SIGHUP: $(keys) keys in force, want the old 10"

mv "$WORK/txgw.cfg" "$WORK/txgw.keep"; mkfifo "$WORK/txgw.cfg"
expect_reload "configuration file a FIFO" "reload registry" \
	"error .*txgw.cfg: not a regular file \(a FIFO\).*"
rm "$WORK/txgw.cfg"; mv "$WORK/txgw.keep" "$WORK/txgw.cfg"

rm "$WORK/r/devices.txt"; ln -s /dev/null "$WORK/r/devices.txt"
expect_reload "symlink to /dev/null" "reload registry force" \
	"error .*devices.txt: not a regular file \(a character device\).*"
rm "$WORK/r/devices.txt"; mkdir "$WORK/r/devices.txt"
expect_reload "directory" "reload registry" "error .*devices.txt: not a regular file \(a directory\).*"
rmdir "$WORK/r/devices.txt"
ln -s ten.txt "$WORK/r/devices.txt"
expect_reload "symlink to a regular file" "reload registry" "ok 10"

# ---- reload: empty, or most of the keys gone ----------------------------------------------
rm "$WORK/r/devices.txt"; cp "$WORK/r/ten.txt" "$WORK/r/devices.txt"
: > "$WORK/r/devices.txt"
expect_reload "empty file" "reload registry" "error .*devices.txt: no keys.*force.*"
[ "$(keys)" = 10 ] || fail "empty file: $(keys) keys in force, want the old 10"
kill -HUP "$TXGW_PID"
$PY "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock" wait registry.reload_errors 7 5 ||
	fail "empty file: SIGHUP not counted as refused"
[ "$(keys)" = 10 ] || fail "empty file, SIGHUP: $(keys) keys in force, want the old 10"
expect_reload "empty file" "reload registry force" "ok 0"
cp "$WORK/r/ten.txt" "$WORK/r/devices.txt"
expect_reload "from none to 10" "reload registry" "ok 10"

head -4 "$WORK/r/ten.txt" > "$WORK/r/devices.txt"
expect_reload "6 of 10 keys gone" "reload registry" "error .*devices.txt: 6 of the 10 keys in force are not in it.*force.*"
[ "$(keys)" = 10 ] || fail "6 of 10 gone: $(keys) keys in force, want the old 10"
head -5 "$WORK/r/ten.txt" > "$WORK/r/devices.txt"
expect_reload "5 of 10 keys gone (half)" "reload registry" "ok 5"
cp "$WORK/r/ten.txt" "$WORK/r/devices.txt"
expect_reload "back to 10" "reload registry" "ok 10"
gen_reg "$WORK/r/other.txt" 12 bb
cp "$WORK/r/other.txt" "$WORK/r/devices.txt"
expect_reload "12 other keys (all 10 gone)" "reload registry" \
	"error .*devices.txt: 10 of the 10 keys in force are not in it.*"
expect_reload "12 other keys" "reload registry force" "ok 12"
stop_txgw || fail "SIGTERM"
unset NO_ESME

# ---- 1,000,000 keys under traffic -------------------------------------------------------
start_sim --devices 50 --rate 100 --duration 8 --wait-bind 15 --drain 15
gen_reg "$WORK/big.txt" "$BIG" fe
cat "$WORK/reg.txt" >> "$WORK/big.txt"
# written back now, not while the journal syncs under measurement
sync "$WORK/big.txt"
want=$((BIG + 50))
ln -s reg.txt "$WORK/live.txt"
write_config "$WORK/live.txt"
start_txgw
CHECK=("$PY" "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock")
"${CHECK[@]}" wait smpp.deliver_sm 100 10 || fail "no traffic: $(stats 'show stats')"
ln -sfn big.txt "$WORK/live.txt"
"${HELP[@]}" overlap "$WORK/stats.sock" > "$WORK/reload.txt" || true
sed 's/^/      /' "$WORK/reload.txt"
grep -q "^reload [0-9.]* [0-9.]* ok $want$" "$WORK/reload.txt" &&
	pass "1M: 'reload registry' -> 'ok $want' in $(awk '/^reload /{print $3}' "$WORK/reload.txt") s" ||
	fail "1M: the reload did not answer 'ok $want'"
grep -q "^second [0-9.]* [0-9.]* error reload in progress$" "$WORK/reload.txt" ||
	fail "1M: a second reload meanwhile did not answer 'error reload in progress'"
grep -q "^info_meanwhile 1$" "$WORK/reload.txt" ||
	fail "1M: 'show info' was not answered at once while the reload ran"
[ "$(keys)" = "$want" ] || fail "1M: $(keys) keys in force, want $want"

# a SIGHUP during a reload is not lost: one more reload runs after it
reload_started "$WORK/again.txt"
kill -HUP "$TXGW_PID"
wait "$ASK_PID" || true
"${CHECK[@]}" wait registry.reloads 3 30 &&
	grep -q "SIGHUP came during that reload: reloading again" "$WORK/txgw.log" &&
	grep -q " ok $want$" "$WORK/again.txt" &&
	pass "1M: SIGHUP during a reload: it ran again after it" ||
	fail "1M: SIGHUP during a reload: $(cat "$WORK/again.txt"), $(grep -c 'reloaded:' "$WORK/txgw.log") reloads"

# two reloads in a row: the second asked the moment the first is answered,
# while the first's thread still frees the old registry, runs next (it was
# answered "error reload in progress", and under ASan a script's next
# reload hit it)
"${HELP[@]}" twice "$WORK/stats.sock" > "$WORK/twice.txt" || true
grep -q "^first ok $want$" "$WORK/twice.txt" && grep -q "^second ok $want$" "$WORK/twice.txt" &&
	pass "1M: a reload asked as the last one is answered runs next: $(tr '\n' ' ' < "$WORK/twice.txt")" ||
	fail "1M: two reloads in a row: $(tr '\n' ' ' < "$WORK/twice.txt")"

wait_sim 40
[ "$SIM_RC" = 0 ] || fail "txgw-smsc-sim exit $SIM_RC: not every upload acknowledged"
read -r n p50 p99 max < <($PY -c '
import json, sys; l = json.load(open(sys.argv[1]))["latency_ms"]
print(l["n"], l["p50"], l["p99"], l["max"])' "$WORK/sim.json")
# Not a timed test: the reference is the reload itself, in the same run.
# Parsed on the loop (as before the reload thread), a reload stalls every
# deliver_sm behind it for its whole length: p99 was 1,608 ms for 0.83 s
# reloads.  On the thread, p99 stays a small fraction of a reload's time
# (4-12 ms against 1-2 s here), however loaded the machine.
rl_ms=$(awk '/^reload /{printf "%d", $3 * 1000}' "$WORK/reload.txt")
$PY -c "import sys; sys.exit(0 if $p99 * 4 < ${rl_ms:-0} else 1)" &&
	pass "1M: deliver_sm -> resp over $n during 3 reloads: p50 $p50 ms, p99 $p99 ms (< 1/4 of a reload, $rl_ms ms), max $max ms" ||
	fail "1M: deliver_sm -> resp over $n during 3 reloads: p50 $p50 ms, p99 $p99 ms (not < 1/4 of a reload, ${rl_ms:-?} ms), max $max ms"
grep -E "registry .* reloaded" "$WORK/txgw.log" | sed 's/^/      /'

# SIGTERM during a reload: txgw waits for the thread and exits 0 (under
# ASan: nothing leaked)
reload_started /dev/null
stop_txgw && pass "SIGTERM during a reload: exit 0" || fail "SIGTERM during a reload"
wait "$ASK_PID" || true

[ "$FAILS" = 0 ] || { echo "registry_reload: $FAILS FAILED"; exit 1; }
echo "registry_reload: PASS"
