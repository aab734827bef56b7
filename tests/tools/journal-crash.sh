#!/usr/bin/env bash
# journal-crash.sh — kill -9 a journal writer at random moments, reopen, and
# check that every message seq it reported as synced is there, intact and
# gap-free, and that the journal goes on after each reopen.
#
# A kill -9 loses the process, not the page cache: this checks the torn-tail
# and reopen logic against real interrupted writes, not power loss (the unit
# tests cut the file at every byte for that).
#
# TXGW_TEST_SEED repeats a run; TXGW_CRASH_ROUNDS sets the number of kills.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$TOP/tests/tools/journal_writer
[ -x "$W" ] || { echo "build first: $W missing"; exit 1; }
. "$TOP/tests/tools/lib.sh"
ROUNDS=${TXGW_CRASH_ROUNDS:-25}
tools_tmp
test_seed
echo "journal-crash: $ROUNDS rounds"
RANDOM=$SEED
DIR=$tmp/journal
prev_last=0
deadline=$((SECONDS + 40))

for round in $(seq 1 "$ROUNDS"); do
	out=$tmp/out.$round
	"$W" write "$DIR" $((SEED + round)) >"$out" 2>"$tmp/err" &
	wpid=$!	# not $pid, which tools_cleanup kills at exit: reaped each round
	# Random moment: 20..300 ms after the start.
	sleep "0.$(printf '%03d' $((20 + RANDOM % 280)))"
	kill -9 "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	if [ -s "$tmp/err" ]; then
		echo "round $round: writer failed: $(cat "$tmp/err")"
		exit 1
	fi
	# The last whole line is the last seq the writer saw synced.
	reported=$(grep -E '^[0-9]+$' "$out" | tail -n 1 || true)
	reported=${reported:-$prev_last}
	if ! res=$("$W" check "$DIR" "$reported"); then
		echo "round $round: check failed (reported $reported)"
		exit 1
	fi
	read -r oldest last dropped <<<"$res"
	echo "round $round: reported $reported, kept $oldest..$last, torn bytes dropped $dropped"
	if [ "$last" -lt "$prev_last" ]; then
		echo "round $round: last seq went back from $prev_last to $last"
		exit 1
	fi
	if [ "$round" -gt 1 ] && [ "$last" -eq "$prev_last" ] && [ "$reported" -gt "$prev_last" ]; then
		echo "round $round: journal did not go on"
		exit 1
	fi
	prev_last=$last
	if [ $SECONDS -ge $deadline ]; then
		echo "time bound reached after $round rounds"
		[ "$round" -ge 20 ] || exit 1
		break
	fi
done
[ "$prev_last" -gt 0 ] || { echo "nothing was ever written"; exit 1; }
echo "journal-crash: OK, last seq $prev_last"
