#!/usr/bin/env bash
# tests/check.sh — the tests of txgw (./quickstart check runs it after the
# build), all or one tier of them.  Ends with one line "N passed, N failed";
# exits 1 on any failure, and when nothing matched the selection.
#
#   tests/check.sh [TIER [WORD [CASE]]]
#
#   TIER  with no argument, everything, in this order:
#	  unit         the unit tests (one cmocka program per module), plain build
#	  tools        tests/tools/*.sh
#	  integration  tests/integration/*.sh
#	  asan         the sanitizer build (clang, ASan+UBSan, made or brought
#	               up to date first): the unit tests again, and the
#	               integration tests against the sanitized daemon
#	  fuzz         the sanitizer build, then each libFuzzer target for
#	               TXGW_FUZZ_SECONDS (default 10) over its corpus
#	  all          everything, as with no argument
#   WORD  only the tests of TIER whose names contain WORD: "unit ledger"
#	  runs test_ledger and test_ledger_state, "integration sim_" the
#	  sim_*.sh scripts
#   CASE  unit and asan only: each cmocka program runs only its cases whose
#	  names match CASE (a glob of * and ?; a bare word means *word*),
#	  e.g. "unit ledger replay"; a program with no such case is skipped
#
# A random test's seed is TXGW_TEST_SEED's, else a random one; a failure
# prints it ("seed: N (TXGW_TEST_SEED=N to repeat)").  Logs: tests/out/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

# the usage is the comment above
usage() {
	sed -n '/^#   tests\/check.sh/,/^# A random/{/^# A random/d;s/^# \{0,1\}//;p}' "$0"
}

TIER=${1:-all}
WORD=${2:-}
CASE=${3:-}
case $TIER in
-h|--help) usage; exit 0 ;;
all|unit|tools|integration|asan|fuzz) ;;
*) echo "check.sh: no tier '$TIER'" >&2; usage >&2; exit 2 ;;
esac
if [ $# -gt 3 ]; then
	usage >&2
	exit 2
fi
case $TIER in
tools|integration|fuzz) [ -z "$CASE" ] || { echo "check.sh: CASE is for the cmocka programs (unit, asan)" >&2; exit 2; } ;;
esac
. tests/lib.sh

# picked NAME: NAME is in the selection (contains WORD); counted
PICKED=0
picked() {
	[[ $1 == *"$WORD"* ]] || return 1
	PICKED=$((PICKED + 1))
}

# unit_tests PREFIX BUILD: the cmocka programs of BUILD's Makefile, each
# with CASE as its filter
unit_tests() {
	local t
	for t in $(make -s -C "$2" list-unit-tests); do
		picked "${t##*/}" || continue
		run_cases "$1${t##*/}" "$2/$t" ${CASE:+"$CASE"}
	done
}

# scripts PREFIX DIR [ENV...]: DIR's *.sh but lib.sh, each run with ENV
scripts() {
	local s n pre=$1 dir=$2
	shift 2
	for s in "$dir"/*.sh; do
		n=${s##*/}
		n=${n%.sh}
		[ "$n" != lib ] && [ -e "$s" ] || continue
		picked "$n" || continue
		run "$pre$n" env "$@" bash "$s"
	done
}

sanitizers() {
	run "build/sanitizers" san_build
	[ -x "$SAN/tests/unit/test_json" ]
}

if [ "$TIER" = all ] || [ "$TIER" = unit ]; then
	echo "== unit tests"
	unit_tests "unit/" .
fi
if [ "$TIER" = all ] || [ "$TIER" = tools ]; then
	echo "== tools"
	scripts "tools/" tests/tools
fi
if [ "$TIER" = all ] || [ "$TIER" = integration ]; then
	echo "== integration"
	scripts "integration/" tests/integration
fi
if [ "$TIER" = all ] || [ "$TIER" = asan ] || [ "$TIER" = fuzz ]; then
	echo "== sanitizer build (clang, ASan+UBSan)"
	if sanitizers; then
		if [ "$TIER" != fuzz ]; then
			unit_tests "asan/" "$SAN"
			# the daemon itself under the sanitizers, through the integration tests
			scripts "asan/integration/" tests/integration TXGW="$SAN/gateway/txgw"
		fi
		if [ "$TIER" != asan ]; then
			secs=${TXGW_FUZZ_SECONDS:-10}
			for f in $(make -s -C "$SAN" list-fuzzers); do
				picked "${f##*/}" || continue
				run "fuzz/${f##*/}" bash tests/fuzz/run-one.sh "$SAN/$f" "$secs"
			done
		fi
	fi
fi
# a selection that ran nothing fails: a mistyped WORD or CASE must not pass
if [ $((PICKED - SKIPPED)) = 0 ] && [ "$FAILED" = 0 ]; then
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("(nothing matched)")
fi
summary
