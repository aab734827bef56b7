#!/usr/bin/env bash
# contrib/bench/downlink.sh must not rot: a quick run of it (DL_BENCH_QUICK:
# 300 messages through txgw and through Kannel to txgw-smsc-sim, 100 SENDs
# one at a time, 1 s of open loop) must end with status 0 — which it gives
# only when the simulator took exactly what each was given, none of it bad,
# and Kannel's status says every one sent — and print its summary line.
# Speed is never asserted here (HACKING.md: benchmarks print figures).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x /usr/sbin/bearerbox ] || [ ! -x /usr/sbin/smsbox ]; then
	echo "bench_downlink: SKIP: no Kannel (apt-get install kannel)"
	exit 0
fi
out=$(mktemp -t txgw-bench-XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
DL_BENCH_QUICK=1 timeout 120 bash "$TOP/contrib/bench/downlink.sh" >"$out" 2>&1 || rc=$?
if [ $rc != 0 ] || ! grep -q '^downlink summary: txgw [0-9]*/s, kannel [0-9]*/s' "$out"; then
	echo "FAIL bench_downlink: contrib/bench/downlink.sh exit $rc"
	tail -30 "$out"
	exit 1
fi
grep -E '^(txgw:|kannel:|QUEUED latency:|downlink summary:)' "$out"
echo "bench_downlink: PASS"
