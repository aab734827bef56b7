#!/usr/bin/env bash
# contrib/bench/downlink.sh [N] — the downlink's speed against Kannel's, in
# one run, to the same simulator (contrib/sim/txgw-smsc-sim).  Every message
# is the same: 100 octets of binary, one part with the port UDH, no receipt,
# to one MSISDN.  Each rate is the simulator's own: (submit_sm taken - 1)
# over the time from the first to the last one taken (its summary's
# first_taken_us, last_taken_us), a fresh simulator for each phase.
#
# 1. txgw's sustained rate: one bind (DL_BENCH_BINDS binds) of window 64,
#    `rate 100000` (not the limit); a client queues N (default 20000)
#    SENDs with 64 outstanding while the bearer submits: every SEND
#    journaled and synced before its QUEUED, every attempt journaled
#    before its submit_sm.
# 2. SEND -> QUEUED latency: DL_BENCH_ONE (1000) requests one at a time,
#    then an open loop at half of phase 1's rate for DL_BENCH_SECONDS (10)
#    while the bearer submits them; p50/p99/max.
# 3. Kannel (Debian's 1.4.5): sendsms over HTTP -> smsbox -> bearerbox ->
#    SMPP (a transceiver, max-pending-submits 64) to the simulator, its
#    store "file" in the temporary directory; N requests from 2 processes
#    of 16 threads (keep-alive).  Then again without a store (not in quick
#    mode).  Kannel writes its store but never syncs it (strace: no fsync
#    nor fdatasync from bearerbox), so txgw's figure carries a cost
#    Kannel's does not.
# Ends with a summary line: the rates, their ratio, the latency, and
# whether each target of issue 11 holds (>= 5,000 submit_sm/s, >= 2x
# Kannel, QUEUED p99 < 20 ms at half load); exit 1 when a phase did not
# submit everything it was given (never for speed).
#
# DL_BENCH_QUICK=1: a smoke run (N 300, 100 one at a time, 1 s of half
# load, no second Kannel run), for tests/integration/bench_downlink.sh.
# DL_BENCH_ONLY=txgw: no Kannel (for profiling txgw).
# Build first (./quickstart build); needs the kannel package.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/downlink_lib.bash"
LOAD="$TOP/contrib/bench/downlink_load.py"
if [ -n "${DL_BENCH_QUICK:-}" ]; then
	N=${1:-300} ONE=${DL_BENCH_ONE:-100} SECS=${DL_BENCH_SECONDS:-1} NOSTORE=0
else
	N=${1:-20000} ONE=${DL_BENCH_ONE:-1000} SECS=${DL_BENCH_SECONDS:-10} NOSTORE=1
fi
BINDS=${DL_BENCH_BINDS:-1}
for b in /usr/sbin/bearerbox /usr/sbin/smsbox; do
	[ -x "$b" ] || [ "${DL_BENCH_ONLY:-}" = txgw ] ||
		{ echo "downlink.sh: no $b (apt-get install kannel)"; exit 2; }
done
say() { echo "downlink.sh: $*" >&2; }
# val FILE KEY: KEY's value in a "key value" file
val() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

it_setup
dl_ports
read -r KSMSC_PORT KADMIN_PORT KBOX_PORT KHTTP_PORT < <(free_ports 4)
KPIDS=()
kannel_stop() {
	local p
	for p in $(ours "${KPIDS[@]}"); do kill -TERM "$p" 2>/dev/null || true; done
	for p in $(ours "${KPIDS[@]}"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	KPIDS=()
}
# (set +e: a failing "(exit 1)" would end the trap before it_cleanup)
trap 'rc=$?; set +e; kannel_stop; (exit $rc); it_cleanup' EXIT
trap 'exit 143' TERM INT	# (the EXIT trap then stops everything)

# sim_phase NAME [PORT]: a fresh simulator (on PORT, else SMSC_PORT) taking
# submit_sm only; its files $WORK/NAME.{json,log}
sim_phase() {
	local port=$SMSC_PORT
	SMSC_PORT=${2:-$SMSC_PORT}
	start_sim --no-uploads --duration 3600 --devices 1 --window 64 --receipts none
	SMSC_PORT=$port
	SIM_NAME=$1
}
# sim_end N: the simulator stopped, its summary read: N taken, none bad;
# PEER_RATE its rate
sim_end() {
	dl_sim_stop
	mv "$WORK/sim.json" "$WORK/$SIM_NAME.json"
	mv "$WORK/sim.log" "$WORK/$SIM_NAME.log"
	$PY "$LOAD" peer -n "$1" "$WORK/$SIM_NAME.json" >"$WORK/$SIM_NAME.peer" ||
		{ echo "FAIL $SIM_NAME: the simulator took $(val "$WORK/$SIM_NAME.peer" taken) of $1" \
			"(bad: $(val "$WORK/$SIM_NAME.peer" bad))"; return 1; }
	PEER_RATE=$(val "$WORK/$SIM_NAME.peer" peer_rate)
}
# wait_bind: until the simulator has a bind (10 s)
wait_bind() {
	for _ in $(seq 100); do
		grep -q 'as "txgw"' "$WORK/sim.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: nothing bound to the simulator in 10 s"; cat "$WORK/sim.log"; return 1
}
# wait_port PORT: until something listens on it (10 s)
wait_port() {
	for _ in $(seq 100); do
		$PY -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: nothing listens on port $1"; return 1
}

# ---- txgw --------------------------------------------------------------------
say "txgw: $BINDS bind(s) of window 64, rate 100000; $N messages with 64 outstanding"
sim_phase txgw-max
ESME_LINES=("window 64")
dl_config "$WORK/reg.txt" "rate 100000"
for ((b = 2; b <= BINDS; b++)); do
	printf 'smpp\n esme smsc%d\n  remote-ip 127.0.0.1\n  remote-port %s\n  system-id txgw\n  password secret\n  reconnect-interval 1\n  window 64\n' \
		"$b" "$SMSC_PORT" >>"$WORK/txgw.cfg"
done
start_txgw
wait_bind
$PY "$LOAD" burst -n "$N" --send "tcp://127.0.0.1:$SEND_PORT" \
	--pub "tcp://127.0.0.1:$PUB_PORT" >"$WORK/burst.out" ||
	{ echo "FAIL txgw: $(val "$WORK/burst.out" submitted) of $N submitted"; exit 1; }
sim_end "$N"
TXGW_RATE=$PEER_RATE
say "txgw: $N submitted: $TXGW_RATE submit_sm/s (queued at $(val "$WORK/burst.out" queue_rate)/s)"

HALF=$((TXGW_RATE / 2 > 100 ? TXGW_RATE / 2 : 100))
say "txgw: SEND -> QUEUED, $ONE one at a time, then ${SECS} s at $HALF/s"
sim_phase txgw-latency
wait_bind
$PY "$LOAD" latency --one "$ONE" --rate "$HALF" --seconds "$SECS" \
	--send "tcp://127.0.0.1:$SEND_PORT" --pub "tcp://127.0.0.1:$PUB_PORT" >"$WORK/lat.out" ||
	{ echo "FAIL txgw: $(val "$WORK/lat.out" submitted) of $(val "$WORK/lat.out" sent) submitted"; exit 1; }
sim_end "$(val "$WORK/lat.out" sent)"
stop_txgw

# ---- Kannel ------------------------------------------------------------------
# kannel_conf STORE: $WORK/kannel.conf, with STORE (file, or none)
kannel_conf() {
	cat >"$WORK/kannel.conf" <<CONF
group = core
admin-port = $KADMIN_PORT
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = 127.0.0.1
smsbox-port = $KBOX_PORT
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "$WORK/bearerbox.log"
log-level = 2
dlr-storage = internal
$(if [ "$1" != none ]; then
	printf 'store-type = %s\nstore-location = "%s"\n' "$1" "$WORK/kannel.store"
fi)

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = $KSMSC_PORT
smsc-username = txgw
smsc-password = secret
system-type = VMA
transceiver-mode = true
max-pending-submits = 64
enquire-link-interval = 1
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $KBOX_PORT
sendsms-port = $KHTTP_PORT
sendsms-interface = 127.0.0.1
log-file = "$WORK/smsbox.log"
log-level = 2
global-sender = 886900000001

group = sendsms-user
username = bench
password = bench
max-messages = 1
concatenation = false
CONF
}

# kannel_run STORE: a fresh simulator, bearerbox and smsbox with STORE; N
# sendsms; KANNEL_RATE the simulator's rate
kannel_run() {
	local rc=0
	say "kannel: store $1, max-pending-submits 64; $N sendsms from 2 processes x 16 threads"
	sim_phase "kannel-$1" "$KSMSC_PORT"
	kannel_conf "$1"
	rm -f "$WORK/kannel.store"*
	/usr/sbin/bearerbox "$WORK/kannel.conf" >>"$WORK/bearerbox.out" 2>&1 &
	KPIDS+=($!)
	wait_port "$KBOX_PORT"
	wait_port "$KADMIN_PORT"
	/usr/sbin/smsbox "$WORK/kannel.conf" >>"$WORK/smsbox.out" 2>&1 &
	KPIDS+=($!)
	wait_port "$KHTTP_PORT"
	wait_bind
	$PY "$LOAD" kannel -n "$N" --port "$KHTTP_PORT" --admin "$KADMIN_PORT" \
		>"$WORK/kannel-$1.out" || rc=1
	kannel_stop
	[ $rc = 0 ] || { echo "FAIL kannel: $(val "$WORK/kannel-$1.out" submitted) of $N sent"; \
		grep -E "ERROR|PANIC" "$WORK/bearerbox.log" | tail -5; return 1; }
	sim_end "$N"
	KANNEL_RATE=$PEER_RATE
	say "kannel: $N submitted: $KANNEL_RATE submit_sm/s (sendsms at $(val "$WORK/kannel-$1.out" http_rate)/s)"
}
KANNEL_RATE=0
if [ "${DL_BENCH_ONLY:-}" != txgw ]; then
	kannel_run file
fi
KANNEL_FILE=$KANNEL_RATE
if [ "$NOSTORE" = 1 ] && [ "${DL_BENCH_ONLY:-}" != txgw ]; then
	kannel_run none
fi

# ---- the summary -------------------------------------------------------------
$PY - "$TXGW_RATE" "$KANNEL_FILE" "$KANNEL_RATE" "$NOSTORE" "$N" "$BINDS" "$ONE" "$SECS" \
	"$WORK/lat.out" "$WORK/burst.out" <<'PYEOF'
import sys
txgw, kfile, knone, nostore, n, binds, one, secs = (float(x) for x in sys.argv[1:9])
lat = dict(l.split() for l in open(sys.argv[9]))
burst = dict(l.split() for l in open(sys.argv[10]))
ok = lambda c: "holds" if c else "MISSED"
print("txgw:   %.0f submit_sm/s sustained, %d messages, %d bind(s) of window 64, every SEND "
      "journaled and synced (queued at %s/s)" % (txgw, n, binds, burst["queue_rate"]))
if kfile:
    print("kannel: %.0f submit_sm/s, store file, max-pending-submits 64, sendsms over HTTP"
          % kfile + (" (%.0f/s without a store)" % knone if nostore else ""))
print("QUEUED latency: %d one at a time p50 %s ms, p99 %s ms, max %s ms; "
      "open loop at %s/s for %g s (%s requests) p50 %s ms, p99 %s ms, max %s ms; "
      "answers lost %s (asked again)"
      % (one, lat["one_p50_ms"], lat["one_p99_ms"], lat["one_max_ms"], lat["open_rate"], secs,
         lat["open_n"], lat["open_p50_ms"], lat["open_p99_ms"], lat["open_max_ms"], lat["open_lost"]))
ratio = txgw / kfile if kfile else 0
print("downlink summary: txgw %.0f/s, kannel %.0f/s, ratio %.2f, QUEUED at half load p50 %s ms "
      "p99 %s ms; targets: >= 5000/s %s, >= 2x kannel %s, p99 < 20 ms %s"
      % (txgw, kfile, ratio, lat["open_p50_ms"], lat["open_p99_ms"], ok(txgw >= 5000),
         ok(ratio >= 2), ok(float(lat["open_p99_ms"]) < 20)))
PYEOF
