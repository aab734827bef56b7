#!/usr/bin/env bash
# tests/check.sh — every test of txgw (./quickstart check runs it after the
# build).  Ends with one line "N passed, N failed"; exits 1 on any failure.
#
#   1. unit tests (one cmocka program per module), plain build
#   2. tool and integration tests: tests/tools/*.sh, tests/integration/*.sh
#   3. the sanitizer build (clang, ASan+UBSan): the unit tests again, the
#      integration tests against the sanitized daemon, then each libFuzzer
#      target for TXGW_FUZZ_SECONDS (default 10) over its corpus
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
. tests/lib.sh

echo "== unit tests"
for t in $(make -s list-unit-tests); do
	run "unit/${t##*/}" "$t"
done

echo "== tools and integration"
for s in tests/tools/*.sh tests/integration/*.sh; do
	[ "${s##*/}" = lib.sh ] && continue
	[ -e "$s" ] || continue
	n=${s#tests/}
	run "${n%.sh}" bash "$s"
done

echo "== sanitizer build (clang, ASan+UBSan)"
run "build/sanitizers" san_build
if [ -x "$SAN/tests/unit/test_json" ]; then
	for t in $(make -s -C "$SAN" list-unit-tests); do
		run "asan/${t##*/}" "$SAN/$t"
	done
	# the daemon itself under the sanitizers, through the integration tests
	for s in tests/integration/*.sh; do
		[ "${s##*/}" = lib.sh ] && continue
		[ -e "$s" ] || continue
		n=${s#tests/integration/}
		run "asan/integration/${n%.sh}" env TXGW="$SAN/gateway/txgw" bash "$s"
	done
	secs=${TXGW_FUZZ_SECONDS:-10}
	for f in $(make -s -C "$SAN" list-fuzzers); do
		run "fuzz/${f##*/}" bash tests/fuzz/run-one.sh "$SAN/$f" "$secs"
	done
fi
summary
