#!/usr/bin/env bash
# contrib/bench/registry.sh [N [M]] — a registry of N (default 1,000,000)
# devices with inline Ed25519 keys, M (default 100,000) of them real key
# pairs: its load time and peak RSS (targets: < 5 s, < 250 MB), and the
# verification rate over the M distinct devices in random order (key-cache
# misses) as a ratio to the rate for one device.  Not part of the tests.
# The registry is generated once into $TXGW_BENCH_DIR (default
# /tmp/txgw-bench) and reused.  Build first (make).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${TXGW_BUILDDIR:-$TOP}/contrib/bench/bench_registry
n=${1:-1000000}
m=${2:-100000}
dir=${TXGW_BENCH_DIR:-/tmp/txgw-bench}
reg=$dir/registry-$n-$m.txt
[ -x "$BENCH" ] || { echo "no $BENCH: build first (make)"; exit 1; }
mkdir -p "$dir"
if [ ! -s "$reg" ]; then
	echo "== generating $reg ($n devices, $m real key pairs)"
	"$BENCH" gen "$reg.tmp" "$n" "$m"
	mv "$reg.tmp" "$reg"
fi
echo "== $(du -h "$reg" | cut -f1) $reg"
"$BENCH" run "$reg" "$m"
