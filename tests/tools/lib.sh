# tests/tools/lib.sh — sourced by the tool tests (and tests/integration/lib.sh):
# a temporary directory removed at exit with the process in $pid, the seed
# of a random test, and a test certificate authority.
#
# tools_tmp: sets tmp (a new directory under $TMPDIR) and pid (empty); at
# exit, kills and reaps $pid if set, removes $tmp and, when the test
# fails, prints its seed (test_seed).
tools_tmp() {
	tmp=$(mktemp -d)
	pid=
	trap tools_cleanup EXIT
}

tools_cleanup() {
	local rc=$?
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
	seed_report "$rc"
}

# test_seed: SEED for a test's random choices: $TXGW_TEST_SEED, else a
# random one.  Exported as TXGW_TEST_SEED, so that the programs the test
# starts draw from the same one.
test_seed() {
	SEED=${TXGW_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	export TXGW_TEST_SEED=$SEED
}

# seed_report STATUS: when STATUS is a failure and the test drew a seed,
# the line that repeats it (the EXIT traps call it: a failure's log ends
# with it, where tests/check.sh shows the tail).
seed_report() {
	[ "$1" = 0 ] || [ -z "${SEED:-}" ] || echo "seed: $SEED (TXGW_TEST_SEED=$SEED to repeat)"
}

# make_test_ca DIR: a test CA (DIR/ca.pem, DIR/ca.key) and a server
# certificate for localhost and 127.0.0.1 it signed (DIR/srv.pem, DIR/srv.key),
# valid two days: made at test time, so nothing committed can expire.
make_test_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=txgw test CA" \
		-keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$1/srv.key" -out "$1/srv.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$1/srv.ext"
	openssl x509 -req -in "$1/srv.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
		-CAcreateserial -days 2 -extfile "$1/srv.ext" -out "$1/srv.pem" 2>/dev/null
}
