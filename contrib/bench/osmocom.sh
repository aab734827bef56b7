#!/usr/bin/env bash
# contrib/bench/osmocom.sh [HANDSETS] [UPLOADS] — mobile-originated SMS per
# second from handsets through a real osmo-msc into txgw, and where the CPU
# goes.
#
# A private core (tests/osmocom/core.sh), txgw-handset-sim with HANDSETS
# handsets (default 100) sending UPLOADS uploads each (default 20) of one
# record, one SMS each (8-bit), 32 radio connections at once; in two ways:
#   conn   each upload in a connection of its own (CM SERVICE REQUEST, SMS,
#          CLEAR), as a terminal that wakes up, sends and sleeps;
#   kept   all of a handset's uploads in one connection, SMS after SMS.
# Each is run with txgw as the ESME, then with osmocom_esme.py (binds and
# answers every deliver_sm at once, nothing else): the core's own ceiling,
# measured in the same run.  Printed for each: SMS/s (first to last
# answer, busy_ms), the handsets' CP-DATA -> RP-ACK p50/p99, the CPU
# milliseconds per SMS of each process (txgw-handset-sim, osmo-stp,
# osmo-msc, osmo-hlr, the ESME), and txgw's rate as a ratio to the
# reference's (1.0: txgw costs the handsets nothing).
# TXGW_BENCH_PERF=1: perf samples txgw during its runs, and its time by
# shared object (kernel, libcrypto, txgw itself, ...) is printed after each.
# Not part of the tests.  Build first (./quickstart build); needs the
# Osmocom packages.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/osmocom/lib.sh"
HANDSETS=${1:-100}
UPLOADS=${2:-20}
osmo_need osmocom-bench

cpu_ms() {	# utime + stime of a process, in milliseconds
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}

pid_of() {
	cat "$WORK/core/osmo-$1.pid"
}

# esme_up txgw|null: the ESME bound to osmo-msc; ESME_PID
esme_up() {
	if [ "$1" = txgw ]; then
		write_config "$WORK/reg.txt" "data-coding-1 gsm7" "window 64"
		sed -i 's/logging level set-all notice/logging level set-all error/' "$WORK/txgw.cfg"
		start_txgw
		wait_bound || return 1
		ESME_PID=$TXGW_PID
	else
		$PY "$TOP/contrib/bench/osmocom_esme.py" "$CORE_IP" "$SMPP_PORT" "$SMPP_PASSWORD" &
		ESME_PID=$!; PIDS+=("$ESME_PID")
		for _ in $(seq 50); do
			grep -q "Rx BIND Trx" "$WORK/core/osmo-msc.log" && return 0
			sleep 0.1
		done
		return 1
	fi
}

# run txgw|null PER_CONN: one measured run; prints
# "sms sms_per_s p50 p99 sim stp msc hlr esme" (CPU ms per SMS)
run() {
	local esme=$1 per_conn=$2 d
	osmo_setup
	core_start > /dev/null
	fleet_prepare --devices "$HANDSETS" --records-per-upload 1 --alg ed25519 --seed 1
	fleet_provision --devices "$HANDSETS" --seed 1 > /dev/null
	esme_up "$esme" || { echo "the ESME did not bind" >&2; tail "$WORK/txgw.log" >&2; exit 1; }
	local c0=()
	for d in stp msc hlr; do c0+=("$(cpu_ms "$(pid_of $d)")"); done
	c0+=("$(cpu_ms "$ESME_PID")")
	local perf=
	if [ "${TXGW_BENCH_PERF:-0}" = 1 ] && [ "$esme" = txgw ]; then
		perf record -q -F 999 -p "$ESME_PID" -o "$WORK/perf.data" 2>/dev/null &
		perf=$!
	fi
	LD_PRELOAD=$SCTP_PRELOAD /usr/bin/time -f "%U %S" -o "$WORK/sim.time" "$HSIM" "${LOAD[@]}" \
		--stp-ip "$CORE_IP" --stp-port "$M3UA_PORT" --seed 1 --records-per-upload 1 \
		--per-handset "$UPLOADS" --form binary --concurrency 32 --per-conn "$per_conn" \
		--summary "$WORK/sim.json" -q 2>>"$WORK/hsim.log" || true
	if [ -n "$perf" ]; then
		kill -INT "$perf"; wait "$perf" || true
		perf report -q -i "$WORK/perf.data" --no-children --sort dso 2>/dev/null |
			head -8 | sed 's/^/    perf: /' >&2
	fi
	local c1=()
	for d in stp msc hlr; do c1+=("$(cpu_ms "$(pid_of $d)")"); done
	c1+=("$(cpu_ms "$ESME_PID")")
	$PY - "$WORK/sim.json" "$WORK/sim.time" "${c0[@]}" "${c1[@]}" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
u, k = map(float, open(sys.argv[2]).read().split()[-2:])
c0, c1 = list(map(int, sys.argv[3:7])), list(map(int, sys.argv[7:11]))
n = s["handsets"]["rp_ack"]
secs = (s.get("busy_ms") or s["ms"]) / 1000.0
lat = s["latency_ms"]
per = [(u + k) * 1000.0 / n] + [(b - a) / n for a, b in zip(c0, c1)]
print(n, "%.0f" % (n / secs), lat["p50"], lat["p99"], " ".join("%.2f" % x for x in per))
PYEOF
	osmo_cleanup
	trap - EXIT
}

printf '%-5s %-5s %6s %7s %7s %7s | CPU ms/SMS: %5s %5s %5s %5s %5s\n' \
	mode esme sms sms/s p50_ms p99_ms sim stp msc hlr esme
for mode in conn kept; do
	per_conn=1
	[ $mode = kept ] && per_conn=$UPLOADS
	for esme in null txgw; do
		read -r n rate p50 p99 sim stp msc hlr es < <(run $esme $per_conn)
		printf '%-5s %-5s %6s %7s %7s %7s |             %5s %5s %5s %5s %5s\n' \
			$mode $esme "$n" "$rate" "$p50" "$p99" "$sim" "$stp" "$msc" "$hlr" "$es"
		[ $esme = null ] && ref=$rate || awk -v a="$rate" -v b="$ref" -v m=$mode 'BEGIN {
			printf "%-5s txgw SMS/s / the bare ESME'"'"'s = %s / %s = %.2f\n", m, a, b, a / b }'
	done
done
