#!/usr/bin/env bash
# contrib/bench/verify.sh [SECONDS [ROUNDS]] — signature verification rate
# of txl_verify() (single thread, cached key, 112-byte frame) against
# `openssl speed` for the same algorithms on this machine, in the same run.
# Target: ratio >= 0.95.  Not part of the tests: it prints figures.
#
# Both count per second of user CPU time (openssl speed's default).  On a
# shared machine the rates still swing with the neighbours' load, so the
# two are run alternately ROUNDS times (default 3) and the best rate of
# each is compared.  Build first (make).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${TXGW_BUILDDIR:-$TOP}/contrib/bench/bench_verify
secs=${1:-3}
rounds=${2:-3}
[ -x "$BENCH" ] || { echo "no $BENCH: build first (make)"; exit 1; }

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
our_ec=0 our_ed=0 ref_ec=0 ref_ed=0
for r in $(seq "$rounds"); do
	echo "== round $r: txl_verify ($secs s each)"
	ours=$("$BENCH" "$secs")
	echo "$ours"
	echo "== round $r: openssl speed -seconds $secs ecdsap256 ed25519"
	speed=$(openssl speed -seconds "$secs" ecdsap256 ed25519 2>/dev/null)
	echo "$speed" | grep -E 'nistp256|Ed25519'
	# openssl's rows: "... (nistp256)   0.0000s   0.0001s  sign/s verify/s"
	ref_ec=$(best "$ref_ec" "$(echo "$speed" | awk '/\(nistp256\)/ { print $NF }')")
	ref_ed=$(best "$ref_ed" "$(echo "$speed" | awk '/\(Ed25519\)/ { print $NF }')")
	our_ec=$(best "$our_ec" "$(echo "$ours" | awk '/^ecdsa-p256/ { print $3 }')")
	our_ed=$(best "$our_ed" "$(echo "$ours" | awk '/^ed25519/ { print $3 }')")
done
echo "== best of $rounds: txl_verify / openssl speed verify/s (target >= 0.95)"
awk -v a="$our_ec" -v b="$ref_ec" 'BEGIN { printf "ecdsa-p256  %10.1f / %10.1f = %.3f\n", a, b, a / b }'
awk -v a="$our_ed" -v b="$ref_ed" 'BEGIN { printf "ed25519     %10.1f / %10.1f = %.3f\n", a, b, a / b }'
