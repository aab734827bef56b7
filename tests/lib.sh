# tests/lib.sh — shared by the test runners: counting, logging, a clean
# TMPDIR per test, the sanitizer build.  Sourced, not run.

: "${TOP:?}"
OUT=${TXGW_TEST_OUT:-$TOP/tests/out}
mkdir -p "$OUT"
PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()

# run NAME COMMAND...: run one test with its output in $OUT/NAME.log;
# print a line per test, and the log's tail when it fails.
run() {
	run_log "$@"
	report "$1"
}

# run_cases NAME PROGRAM [CASE]: run for a cmocka program, with CASE as its
# filter; when no case of it matches, a line "SKIP", counted neither way.
run_cases() {
	run_log "$@"
	if [ $# -gt 2 ] && [ "$RC" = 0 ] && ! grep -q '^\[ RUN ' "$OUT/$1.log"; then
		printf 'SKIP  %-40s        (no case matches %s)\n' "$1" "$3"
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	report "$1"
}

# Every test runs with a TMPDIR of its own, empty, in CHECK_TMP; one that
# passes must leave it empty (tests remove what they make: a run of the
# suite leaves nothing in /tmp).  A failed test's files stay, for a look.
# Numbered, not named: sockets go in there, and sun_path has 108 bytes.
# Traversable by others (711): Postfix's daemons run as postfix.
CHECK_TMP=$(mktemp -d -t txgw-check.XXXXXX)
chmod 711 "$CHECK_TMP"
trap 'rmdir "$CHECK_TMP" 2>/dev/null || true' EXIT
N_RUN=0

# run_log NAME COMMAND...: the command's status in RC, its start in T0
run_log() {
	local name=$1 tmp
	shift
	mkdir -p "$(dirname "$OUT/$name.log")"
	N_RUN=$((N_RUN + 1))
	tmp=$CHECK_TMP/$N_RUN
	mkdir -m 711 "$tmp"
	T0=$(date +%s)
	set +e
	TMPDIR=$tmp "$@" >"$OUT/$name.log" 2>&1
	RC=$?
	set -e
	rmdir "$tmp" 2>/dev/null && return 0
	if [ "$RC" = 0 ]; then
		RC=1
		echo "check.sh: the test passed and left this in its TMPDIR:" >>"$OUT/$name.log"
		(cd "$tmp" && find . -mindepth 1 | head -20) >>"$OUT/$name.log"
		rm -rf "$tmp"
	else
		echo "check.sh: its TMPDIR is kept: $tmp" >>"$OUT/$name.log"
	fi
}

# report NAME: the line of run_log's test, counted
report() {
	local name=$1
	if [ "$RC" = 0 ]; then
		PASSED=$((PASSED + 1))
		printf 'PASS  %-40s %4ss\n' "$name" $(($(date +%s) - T0))
	else
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name")
		printf 'FAIL  %-40s %4ss  (exit %s, log %s)\n' "$name" $(($(date +%s) - T0)) "$RC" "$OUT/$name.log"
		tail -n 25 "$OUT/$name.log" | sed 's/^/      | /'
	fi
}

# The sanitizer build: a copy of the tracked sources in .build-san, built
# with clang, ASan+UBSan and the libFuzzer targets.  Files keep their
# modification times, so a second run rebuilds only what changed.
SAN=$TOP/.build-san
san_build() {
	mkdir -p "$SAN"
	if [ -e "$TOP/.git" ] && command -v git >/dev/null; then
		(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | (cd "$SAN" && tar -xpf -)
	else
		(cd "$TOP" && tar --exclude=.build-san --exclude=tests/out -cf - .) | (cd "$SAN" && tar -xpf -)
	fi
	cd "$SAN"
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		./autogen.sh >/dev/null 2>&1
	fi
	# a Makefile from another configure (a plain one) is not ours: redo it
	if [ ! -f Makefile ] || [ configure -nt Makefile ] ||
	   ! grep -q -- '--enable-fuzzers' config.status 2>/dev/null; then
		./configure -q CC=clang --enable-fuzzers \
			CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link" \
			LDFLAGS="-fsanitize=address,undefined"
	fi
	make -s -j"$(nproc)" >/dev/null
	cd "$TOP"
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

summary() {
	echo
	[ ${#FAILED_NAMES[@]} = 0 ] || echo "failed: ${FAILED_NAMES[*]}"
	[ -z "$(ls -A "$CHECK_TMP")" ] || echo "kept: $CHECK_TMP (failed tests' TMPDIR)"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
