#!/usr/bin/env bash
# run.sh [SECONDS] — ./quickstart fuzz: build the sanitizer tree and run every
# libFuzzer target for SECONDS (default 60) each.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
. tests/lib.sh
secs=${1:-60}
echo "== sanitizer build"
run "build/sanitizers" san_build
for f in $(make -s -C "$SAN" list-fuzzers); do
	run "fuzz/${f##*/}" bash tests/fuzz/run-one.sh "$SAN/$f" "$secs"
done
summary
