#!/usr/bin/env bash
# tests/tools/tshark.sh — a second opinion on our TPDU decoder: random MO
# and MT TPDUs from our encoder (tests/tools/tpdu_gen) decoded by both
# gateway/tools/txgw-tpdu and Wireshark's GSM SMS dissector, field by field
# (tests/tools/tshark_compare.py).  Builds nothing; run from anywhere after
# `make`, as tests/check.sh does.
#
# Environment:
#   TXGW_TEST_SEED     the generator's seed (default: random, printed on failure)
#   TXGW_TSHARK_COUNT  TPDUs per direction (default 1500, at least 1000)
#   TXGW_BUILD_DIR     where the built programs are (default: the top dir)
#   TXGW_REQUIRE_TSHARK=1  fail instead of skipping when tshark is missing
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD_DIR:-$TOP}
GEN=$BUILD/tests/tools/tpdu_gen
TOOL=$BUILD/gateway/tools/txgw-tpdu
COUNT=${TXGW_TSHARK_COUNT:-1500}
. "$TOP/tests/tools/lib.sh"

if ! command -v tshark >/dev/null; then
	echo "tshark not found (apt install tshark)"
	[ "${TXGW_REQUIRE_TSHARK:-0}" = 1 ] && exit 1
	echo "SKIP: no second opinion without tshark"
	exit 0
fi
for p in "$GEN" "$TOOL"; do
	[ -x "$p" ] || { echo "not built: $p (run make first)"; exit 1; }
done
if [ "$COUNT" -lt 1000 ]; then
	echo "TXGW_TSHARK_COUNT must be at least 1000"
	exit 2
fi

tools_tmp
test_seed
echo "$COUNT MO + $COUNT MT TPDUs"
echo "$(tshark --version 2>/dev/null | head -n 1)"
"$GEN" --seed "$SEED" --count "$COUNT" >"$tmp/tpdus.txt"
# Bounded: about 5 s for 3000 TPDUs; a hung tshark must not hang the suite.
timeout 50 /usr/bin/python3 "$TOP/tests/tools/tshark_compare.py" --txgw "$TOOL" "$tmp/tpdus.txt"
