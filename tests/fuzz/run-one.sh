#!/usr/bin/env bash
# run-one.sh FUZZER SECONDS — run one libFuzzer target for SECONDS over its
# committed corpus (tests/fuzz/corpus/<name>, read only); new inputs go to a
# scratch directory, and so does what a target writes under $TMPDIR (a
# crash gives it no time to clean up).  A crash leaves its input in
# tests/out/fuzz-crashes/.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
fz=$1
secs=$2
name=${fz##*/fuzz_}
corpus=$TOP/tests/fuzz/corpus/$name
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/new" "$scratch/tmp"
mkdir -p "$TOP/tests/out/fuzz-crashes"
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
	-artifact_prefix="$TOP/tests/out/fuzz-crashes/$name-" "$scratch/new")
[ -d "$corpus" ] && args+=("$corpus")
TMPDIR=$scratch/tmp "$fz" "${args[@]}"
