#!/usr/bin/env bash
# Descriptors run out (issue 9 item 5): txgw limited to 200 descriptors
# (prlimit), bound to the SMSC simulator, with the SMTP service on.  Idle
# connections take every descriptor it has: to the bus publish port (as
# many as leave 40 free: libzmq accepts those itself), then 250 to the SMTP
# port from 50 loopback addresses (the sessions take the last descriptors,
# the rest wait in the backlog), 30 to the stats socket and 20 to the VTY
# telnet port (waiting in their backlogs too).  Meanwhile the SMSC goes
# away, so the ESME has to reconnect with no descriptor to spare.  Over
# FLOOD_S seconds the log must grow by fewer than MAX_LINES lines and txgw
# must use less than MAX_CPU_MS of CPU (utime + stime of /proc/PID/stat):
# every accept handler backs off instead of spinning on EMFILE.  Then the
# flood ends and the SMSC comes back: the bind must be "bound" again on the
# stats socket, an SMTP session must work and the VTY must greet.
#
# The publish port is not flooded past the limit here: libzmq's own
# listener (its I/O thread) retries a failing accept() at once, for as long
# as a connection waits (tcp_listener.cpp: "TODO: Handle specific errors
# like ENFILE/EMFILE"), which no handler of ours can pause.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FLOOD_S=5
MAX_LINES=50
MAX_CPU_MS=500
it_setup
rc=0

# the simulator: a bind, next to no traffic (one upload at most every 100 s)
SIM_OPTS=(--devices 2 --rate 0.01 --duration 120 --wait-bind 60)
start_sim "${SIM_OPTS[@]}"
WITH_MAIL=1 write_config "$WORK/reg.txt"
start_txgw
prlimit --pid "$TXGW_PID" --nofile=200
wait_smtp

# bind_state: the state of the one bind on the stats socket
bind_state() {
	stats "show binds" 2>/dev/null | $PY -c 'import json, sys; print(json.load(sys.stdin)[0]["state"])' \
		2>/dev/null || echo "?"
}
# wait_bound SECONDS
wait_bound() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[ "$(bind_state)" = bound ] && return 0
		sleep 0.2
	done
	return 1
}
# cpu_ms: utime + stime of txgw, in ms
cpu_ms() {
	$PY -c '
import os, sys
f = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print((int(f[11]) + int(f[12])) * 1000 // os.sysconf("SC_CLK_TCK"))' "$TXGW_PID"
}

wait_bound 15 || { echo "FAIL  no bind before the flood"; tail -20 "$WORK/txgw.log"; exit 1; }

# flood_start NAME TARGET...: fd_flood.py holding TARGET...; waits until
# it has made its connections
flood_start() {
	local name=$1
	shift
	"$PY" "$TOP/tests/integration/fd_flood.py" --ready "$WORK/$name.ready" --hold 60 --sources 50 "$@" &
	FLOOD_PIDS+=($!); PIDS+=($!)
	for _ in $(seq 100); do [ -s "$WORK/$name.ready" ] && break; sleep 0.1; done
	[ -s "$WORK/$name.ready" ] || { echo "FAIL  the flood did not start"; exit 1; }
	echo "      $name: $(cat "$WORK/$name.ready")"
}
nfds() {
	ls /proc/"$TXGW_PID"/fd | wc -l
}

# the flood: first the publish port, to 40 descriptors short of the limit
# (libzmq must have accepted them all before the rest come: a connection
# left waiting for it would make its listener spin), then the others
FLOOD_PIDS=()
want=$((200 - 40))
flood_start bus "$PUB_PORT:$((want - $(nfds)))"
for _ in $(seq 50); do [ "$(nfds)" -ge "$want" ] && break; sleep 0.1; done
flood_start others "$SMTP_PORT:250" "unix:$WORK/stats.sock:30" "$VTY_PORT:20"
# the SMSC goes: the ESME must reconnect while descriptors are short
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
sleep 0.5	# the first error lines of the flood settle
lines0=$(wc -l < "$WORK/txgw.log")
cpu0=$(cpu_ms)
sleep "$FLOOD_S"
lines1=$(wc -l < "$WORK/txgw.log")
cpu1=$(cpu_ms)
fds=$(nfds)
lines=$((lines1 - lines0)); cpu=$((cpu1 - cpu0))
if [ "$lines" -lt "$MAX_LINES" ] && [ "$cpu" -lt "$MAX_CPU_MS" ]; then
	echo "ok    flood: $lines log lines, $cpu ms CPU in $FLOOD_S s ($fds descriptors open)"
else
	echo "FAIL  flood: $lines log lines (< $MAX_LINES), $cpu ms CPU (< $MAX_CPU_MS) in $FLOOD_S s ($fds descriptors open)"
	sed -n "$((lines0 + 1)),$((lines0 + 10))p" "$WORK/txgw.log"
	rc=1
fi
kill -0 "$TXGW_PID" 2>/dev/null || { echo "FAIL  txgw is gone"; tail -20 "$WORK/txgw.log"; exit 1; }

# the flood ends, the SMSC is back: bound again, SMTP serves
kill "${FLOOD_PIDS[@]}"; wait "${FLOOD_PIDS[@]}" 2>/dev/null || true
start_sim "${SIM_OPTS[@]}"
if wait_bound 40; then
	echo "ok    bound again after the flood"
else
	echo "FAIL  not bound again after the flood: $(bind_state)"; tail -20 "$WORK/txgw.log"; rc=1
fi
if timeout 20 $PY - "$SMTP_PORT" <<'PYEOF'; then
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
assert s.ehlo("after.example")[0] == 250
assert s.docmd("MAIL FROM:<a@after.example>")[0] == 250
assert s.docmd("RCPT TO:<upload@txlog.example>")[0] == 250
assert s.rset()[0] == 250
s.quit()
PYEOF
	echo "ok    an SMTP session after the flood"
else
	echo "FAIL  no SMTP session after the flood"; tail -20 "$WORK/txgw.log"; rc=1
fi
if $PY -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); s.settimeout(5)
got = b""
while b"txgw" not in got:
    b = s.recv(4096)
    if not b: break
    got += b
sys.exit(0 if b"txgw" in got else 1)' "$VTY_PORT"; then
	echo "ok    the VTY greets after the flood"
else
	echo "FAIL  no VTY greeting after the flood"; rc=1
fi
stop_txgw || rc=1
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
[ $rc = 0 ] && echo "fd_exhaustion: PASS" || echo "fd_exhaustion: FAIL"
exit $rc
