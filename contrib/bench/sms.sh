#!/usr/bin/env bash
# contrib/bench/sms.sh [SECONDS] — the SMS path's sustained rate:
# txgw-smsc-sim (window 64) -> txgw (durable ack) -> a bus subscriber,
# one-record frames, ECDSA P-256 and Ed25519 separately.
#
# For each algorithm: the maximum rate (the simulator sends as fast as its
# window allows), then half of it (rate-limited), each for SECONDS
# (default 15).  Printed: records/s, deliver_sm -> deliver_sm_resp p50/p99
# (measured by the simulator), txgw's CPU seconds per 1,000 records, its
# peak RSS, and the maximum rate as a ratio to `openssl speed -multi 2`'s
# verifications/s for the same algorithm, measured in the same run
# (target >= 0.7; p99 < 20 ms at half load; RSS < 100 MB).
#
# The simulator makes and signs every upload before it listens
# (txgw-smsc-sim --presign), so that during the run it only speaks SMPP:
# on a 2-core box its signing would come out of what txgw could use.
# The rate counts from the first bind to the last answer (busy_ms).  The
# maximum run makes SECONDS x TXGW_BENCH_GUESS (8000) uploads and takes as
# long as it takes; TXGW_BENCH_PRESIGN=0 signs during the run instead (as
# the tests do), for comparison.
# Not part of the tests.  Build first (./quickstart build).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/integration/lib.sh"
SECS=${1:-15}
DEVICES=${TXGW_BENCH_DEVICES:-5000}
GUESS=${TXGW_BENCH_GUESS:-8000}
PRESIGN=${TXGW_BENCH_PRESIGN:-1}
SIM=$TOP/contrib/sim/txgw-smsc-sim
SUB=$TOP/contrib/txgw-sub

cpu_s() {	# utime + stime of a process, in seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# run ALG RATE: one measured run; prints "records_per_s p50 p99 cpu_per_1000 rss_mb"
run() {
	local alg=$1 rate=$2 traffic
	if [ "$PRESIGN" = 1 ]; then
		traffic=(--presign --count "$(( (rate > 0 ? rate : GUESS) * SECS ))")
	else
		traffic=(--duration "$SECS")
	fi
	it_setup
	mkdir -p "$WORK/keys"
	"$SIM" --port "$SMSC_PORT" --ready "$WORK/sim.port" --devices "$DEVICES" --alg "$alg" \
		--registry "$WORK/devices.txt" --keys-dir "$WORK/keys" --records-per-upload 1 \
		--form binary --smpp-form udh --window 64 --rate "$rate" "${traffic[@]}" \
		--drain $((SECS * 4 + 20)) --wait-bind 30 --seed 1 -q --summary "$WORK/sim.json" \
		> "$WORK/sim.out" 2> "$WORK/sim.err" &
	local sim=$!; PIDS+=("$sim")
	for _ in $(seq 600); do [ -s "$WORK/sim.port" ] && break; sleep 0.1; done
	NO_MAIL=1 write_config "$WORK/devices.txt" "window 64"
	sed -i 's/logging level set-all notice/logging level set-all error/' "$WORK/txgw.cfg"
	start_txgw
	"$SUB" --pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
		--from live --json --timeout $((SECS + 60)) > /dev/null 2>&1 &
	PIDS+=("$!")
	local c0; c0=$(cpu_s "$TXGW_PID")
	wait "$sim" || true
	local c1; c1=$(cpu_s "$TXGW_PID")
	local rss; rss=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$TXGW_PID/status")
	stop_txgw || true
	$PY - "$WORK/sim.json" "$c0" "$c1" "$rss" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
c0, c1, rss = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
records = s["totals"]["records"]
secs = (s.get("busy_ms") or s["ms"]) / 1000.0
lat = s["smsc"].get("latency_ms", {}) if "latency_ms" in s["smsc"] else s.get("latency_ms", {})
print("%.0f %s %s %.3f %.1f %d %.1f" % (records / secs if secs else 0, lat.get("p50", 0), lat.get("p99", 0),
      (c1 - c0) * 1000.0 / records if records else 0, rss, records, secs))
PYEOF
	it_cleanup
	trap - EXIT
}

openssl_multi2() {	# verify/s of `openssl speed -multi 2` for ecdsap256 | ed25519
	local out; out=$(openssl speed -multi 2 -seconds 5 "$1" 2>/dev/null)
	case $1 in
	ecdsap256) echo "$out" | awk '/\(nistp256\)/ { v = $NF } END { print v }' ;;
	ed25519) echo "$out" | awk '/\(Ed25519\)/ { v = $NF } END { print v }' ;;
	esac
}

printf '%-10s %-5s %12s %9s %9s %14s %9s\n' alg load records/s p50_ms p99_ms cpu_s/1000rec rss_MB
for alg in ecdsa ed25519; do
	ref=$(openssl_multi2 "$([ $alg = ecdsa ] && echo ecdsap256 || echo ed25519)")
	read -r max p50 p99 cpu rss n secs < <(run "$alg" 0)
	printf '%-10s %-5s %12s %9s %9s %14s %9s   (%s records in %s s)\n' "$alg" max "$max" "$p50" "$p99" "$cpu" "$rss" "$n" "$secs"
	half=$(( ${max%.*} / 2 ))
	[ "$half" -gt 0 ] || half=1
	read -r hmax hp50 hp99 hcpu hrss hn hsecs < <(run "$alg" "$half")
	printf '%-10s %-5s %12s %9s %9s %14s %9s   (%s records in %s s)\n' "$alg" half "$hmax" "$hp50" "$hp99" "$hcpu" "$hrss" "$hn" "$hsecs"
	awk -v a="$max" -v b="$ref" -v alg="$alg" 'BEGIN {
		printf "%-10s max records/s / openssl speed -multi 2 verify/s = %s / %s = %.3f (target >= 0.7)\n", alg, a, b, a / b }'
done
