# tests/integration/lib.sh — sourced by the integration tests: free ports,
# a temporary state directory, a txgw configuration, start/stop helpers.
# Everything listens on 127.0.0.1 only; every wait is bounded.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
. "$TOP/tests/tools/lib.sh"
TXGW=${TXGW:-$TOP/gateway/txgw}
# The VTY password of the test's txgw (write_config): anyone on the host can
# reach the loopback port, so the tests, like config/txgw.cfg, log in.
VTY_PASSWORD=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

# free_ports N: N distinct TCP ports free on 127.0.0.1, chosen below the
# kernel's ephemeral range (so that no outgoing connection can take one
# before its server binds it) and never one handed out before in this
# test's $WORK (so that two servers of one test never get the same port).
free_ports() {
	$PY - "$1" "${WORK:-}" <<'PYEOF'
import os, random, socket, sys
n, work = int(sys.argv[1]), sys.argv[2]
path = os.path.join(work, ".ports") if work else ""
used = set(int(p) for p in open(path).read().split()) if path and os.path.exists(path) else set()
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    eph = int(f.read().split()[0])
lo, hi = (10000, eph - 1) if eph > 12000 else (eph, 65535)
got = []
for _ in range(20000):
    if len(got) == n:
        break
    p = random.randint(lo, hi)
    if p in used or p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        got.append(p)
    except OSError:
        pass
    finally:
        s.close()
if len(got) < n:
    sys.exit("free_ports: no %d free ports in %d..%d" % (n, lo, hi))
if path:
    with open(path, "a") as f:
        f.write(" ".join(map(str, got)) + "\n")
print(" ".join(map(str, got)))
PYEOF
}
free_port() {
	free_ports 1
}

# it_setup: WORK (temp dir), ports, and cleanup on exit.
it_setup() {
	WORK=$(mktemp -d -t txgw-it-XXXXXX)	# under $TMPDIR, else /tmp
	read -r SMSC_PORT PUB_PORT REPLAY_PORT VTY_PORT SMTP_PORT < <(free_ports 5)
	PIDS=()
	trap it_cleanup EXIT
}

# ours PID...: those of PID... that are children of this shell not yet
# waited for.  A PID already reaped may belong to someone else by now (a
# test that restarts txgw many times leaves many), so only these are killed.
ours() {
	local p j
	for p in "$@"; do
		for j in $(jobs -p); do [ "$p" != "$j" ] || echo "$p"; done
	done
	return 0
}

it_cleanup() {
	local rc=$? p
	for p in $(ours "${PIDS[@]}"); do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in $(ours "${PIDS[@]}"); do kill -9 "$p" 2>/dev/null || true; done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
	seed_report "$rc"
	return 0
}

# write_config [REGISTRY] [extra esme lines...]: the esme ${ESME_NAME:-smsc}
# binds to ${SMSC_IP:-127.0.0.1}:$SMSC_PORT with password ${SMSC_PASSWORD:-secret}
# BUS_PUBLISH overrides the publish endpoint; BUS_EXTRA (lines, each
# starting with a space) is added to the bus node.
write_config() {
	local reg=${1:-$TOP/tests/vectors/devices.txt}
	shift || true
	cat > "$WORK/txgw.cfg" <<CFG
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging print level 1
 logging timestamp 1
 logging level set-all notice
gateway
 name gw-test
 state-dir $WORK/state
 concat-timeout 60
devices
 registry $reg
$(if [ -z "${NO_ESME:-}" ]; then
	printf 'smpp\n esme %s\n  remote-ip %s\n  remote-port %s\n' "${ESME_NAME:-smsc}" \
		"${SMSC_IP:-127.0.0.1}" "$SMSC_PORT"
	printf '  system-id txgw\n  password %s\n  reconnect-interval 1\n' "${SMSC_PASSWORD:-secret}"
	for l in "$@"; do echo "  $l"; done
fi)
$(if [ -n "${WITH_MAIL:-}" ]; then
	printf 'mail\n smtp-listen 127.0.0.1 %s\n smtp-domain txlog.example\n' "$SMTP_PORT"
	[ -z "${SMTP_TLS_CERT:-}" ] || printf ' smtp-tls certificate %s key %s\n' "$SMTP_TLS_CERT" "$SMTP_TLS_KEY"
fi)
bus
 publish ${BUS_PUBLISH:-tcp://127.0.0.1:$PUB_PORT}
 replay tcp://127.0.0.1:$REPLAY_PORT
${BUS_EXTRA:-}
stats
 socket $WORK/stats.sock
password $VTY_PASSWORD
line vty
 bind 127.0.0.1 $VTY_PORT
 login
CFG
}

start_txgw() {
	"$TXGW" -c "$WORK/txgw.cfg" >> "$WORK/txgw.log" 2>&1 &
	TXGW_PID=$!
	PIDS+=("$TXGW_PID")
	for _ in $(seq 50); do
		[ -S "$WORK/stats.sock" ] && return 0
		kill -0 "$TXGW_PID" 2>/dev/null || { echo "txgw died:"; cat "$WORK/txgw.log"; return 1; }
		sleep 0.1
	done
	echo "txgw did not start"; cat "$WORK/txgw.log"; return 1
}

# stop_txgw: SIGTERM, and txgw must exit 0 within 10 s
stop_txgw() {
	local rc=0
	kill -TERM "$TXGW_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$TXGW_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$TXGW_PID" 2>/dev/null || rc=$?
	if [ "$rc" != 0 ]; then
		echo "txgw exited with status $rc after SIGTERM"; tail -20 "$WORK/txgw.log"
		return 1
	fi
}

# stats CMD: one command on the stats socket
stats() {
	$PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); out = b""
while True:
    b = s.recv(65536)
    if not b: break
    out += b
sys.stdout.write(out.decode())' "$WORK/stats.sock" "$1"
}

# subscribe N: the bus from seq 1 to N into $WORK/bus.jsonl; with CURVE
# on the bus, BUS_CURVE holds bus-sub.py's key options.
subscribe() {
	$PY "$TOP/tests/tools/bus-sub.py" --pub "tcp://127.0.0.1:$PUB_PORT" \
		--replay "tcp://127.0.0.1:$REPLAY_PORT" --from 1 --until-seq "$1" \
		--timeout "${2:-20}" --out "$WORK/bus.jsonl" ${BUS_CURVE:-}
}

# netsmpp_deliver FILE: the deliver_sm lines (netsmpp_smsc.pl's input) made
# from the vectors: a single-segment binary frame with a port UDH (ed25519,
# counter 1001), a two-part frame (ecdsa, counters 8..10) and a human text;
# 4 deliver_sm, 5 bus messages.
# The deliver_sm lines from the vectors: UDH kept for the single one; for
# the concatenated one the concat IE becomes SAR TLVs, the port IE stays.
netsmpp_deliver() {
	$PY - "$TOP/tests/vectors/vectors.json" > "$1" <<'PYEOF'
import json, sys
v = {c["name"]: c for c in json.load(open(sys.argv[1]))}

def submit_ud(hexstr):
    b = bytes.fromhex(hexstr)
    fo = b[0]; i = 2
    n = b[i]; i += 2 + (n + 1) // 2          # TP-DA
    i += 1; dcs = b[i]; i += 1                # TP-PID, TP-DCS
    vpf = (fo >> 3) & 3
    i += {0: 0, 2: 1}.get(vpf, 7)
    i += 1                                    # TP-UDL (octets here: DCS 4)
    assert dcs == 4
    return b[i:], bool(fo & 0x40)

def ies(udh):
    out, i = [], 1
    while i < len(udh):
        out.append((udh[i], udh[i + 2:i + 2 + udh[i + 1]])); i += 2 + udh[i + 1]
    return out

ud, udhi = submit_ud(v["tpdu-binary-port"]["tpdus"][0])
print("40 04 886912345678", ud.hex())
for t in v["tpdu-binary-concat"]["tpdus"]:
    ud, udhi = submit_ud(t)
    udh = ud[:ud[0] + 1]
    keep = b"".join(bytes([iei, len(d)]) + d for iei, d in ies(udh) if iei != 0)
    ref, total, seq = [d for iei, d in ies(udh) if iei == 0][0]
    print("40 04 +886912345678", (bytes([len(keep)]) + keep + ud[len(udh):]).hex(),
          "sar_msg_ref_num=%04x sar_total_segments=%02x sar_segment_seqnum=%02x" % (ref, total, seq))
print("00 01 886955500009", "hello, what is my balance?".encode().hex())
PYEOF
}

# start_smsc FILE: the Net::SMPP SMSC on $SMSC_PORT, sending FILE's
# deliver_sm to the first ESME that binds; its output in $WORK/smsc.log.
start_smsc() {
	: > "$WORK/smsc.log"
	perl "$TOP/tests/integration/netsmpp_smsc.pl" "$SMSC_PORT" "$1" > "$WORK/smsc.log" 2>&1 &
	SMSC_PID=$!; PIDS+=("$SMSC_PID")
	for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && return 0; sleep 0.1; done
	echo "the SMSC did not start"; cat "$WORK/smsc.log"; return 1
}

# wait_results [SECONDS]: until the SMSC script writes $WORK/results (at
# most SECONDS, 50), or it or txgw ends; then shows the SMSC's log.  Fails
# (with the tail of txgw's log) when txgw died or there are no results.
wait_results() {
	local i
	for ((i = 0; i < ${1:-50} * 10; i++)); do
		[ -e "$WORK/results" ] && break
		kill -0 "$SMSC_PID" 2>/dev/null || break
		kill -0 "$TXGW_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/smsc.log"
	if ! kill -0 "$TXGW_PID" 2>/dev/null; then
		echo "FAIL txgw died"; tail -60 "$WORK/txgw.log"; return 1
	fi
	[ -e "$WORK/results" ] && return 0
	echo "FAIL the SMSC did not finish its cases"; tail -30 "$WORK/txgw.log"; return 1
}

# wait_smsc: the SMSC must end having had ESME_ROK for every deliver_sm.
wait_smsc() {
	local rc=0
	wait "$SMSC_PID" || rc=$?
	[ "$rc" = 0 ] && return 0
	echo "FAIL: the SMSC did not get ESME_ROK for everything"
	cat "$WORK/smsc.log"; tail -30 "$WORK/txgw.log"
	return 1
}

# ---- helpers for the mail tests (tests/integration/mail_*.sh) ----

# wait_smtp: until the SMTP port accepts a connection (5 s at most)
wait_smtp() {
	for _ in $(seq 50); do
		$PY -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "SMTP port $SMTP_PORT not open"; tail -20 "$WORK/txgw.log"; return 1
}

# make_test_ca_work: a test CA ($WORK/ca.pem) and a server certificate for
# localhost and 127.0.0.1 signed by it; sets SMTP_TLS_CERT/SMTP_TLS_KEY.
make_test_ca_work() {
	make_test_ca "$WORK"
	SMTP_TLS_CERT=$WORK/srv.pem
	SMTP_TLS_KEY=$WORK/srv.key
}

# journal_seq: the last seq written to the journal (stats.md "show info")
journal_seq() {
	stats "show info" | $PY -c 'import json, sys; print(json.load(sys.stdin)["journal_seq"])'
}

# ---- helpers for the simulator tests (tests/integration/sim_*.sh, crash.sh) ----
SIM=${SIM:-$TOP/contrib/sim/txgw-smsc-sim}

# new_ports: fresh free ports for the next txgw (one per sub-test)
new_ports() {
	read -r SMSC_PORT PUB_PORT REPLAY_PORT VTY_PORT SMTP_PORT < <(free_ports 5)
}

# start_sim SIM-OPTIONS...: txgw-smsc-sim on $SMSC_PORT with a fresh fleet:
# registry $WORK/reg.txt (for write_config), keys in $WORK/keys, summary
# $WORK/sim.json, log $WORK/sim.log; SIM_PID.  Waits for it to listen (10 s).
start_sim() {
	rm -f "$WORK/sim.ready"
	"$SIM" --port "$SMSC_PORT" --ready "$WORK/sim.ready" --registry "$WORK/reg.txt" \
		--keys-dir "$WORK/keys" --summary "$WORK/sim.json" -q "$@" \
		>"$WORK/sim.out" 2>"$WORK/sim.log" &
	SIM_PID=$!; PIDS+=("$SIM_PID")
	for _ in $(seq 100); do
		[ -s "$WORK/sim.ready" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "txgw-smsc-sim did not start: $*"; cat "$WORK/sim.log"; return 1
}

# wait_sim [SECONDS]: until the simulator ends (SIGTERM after SECONDS,
# default 60: it still writes its summary then); its status in SIM_RC.
wait_sim() {
	local i
	for ((i = 0; i < ${1:-60} * 10; i++)); do
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SIM_PID" 2>/dev/null && { echo "txgw-smsc-sim still running after ${1:-60} s: SIGTERM"; kill -TERM "$SIM_PID"; }
	SIM_RC=0
	wait "$SIM_PID" || SIM_RC=$?
}

# sim_check [sim_compare.py options]: the bus seq 1..journal_seq, read by
# bus-sub.py, against the simulator's summary ($WORK/sim.json).
sim_check() {
	local n
	n=$(journal_seq) || { echo "show info failed"; return 1; }
	if [ "$n" -gt 0 ]; then
		subscribe "$n" || { echo "bus-sub.py could not read seq 1..$n"; return 1; }
	else
		: >"$WORK/bus.jsonl"
	fi
	$PY "$TOP/tests/integration/sim_compare.py" --summary "$WORK/sim.json" \
		--bus "$WORK/bus.jsonl" "$@"
}

# sim_case NAME [--esme LINE]... [--need EXPR]... [--repeats-ok] -- SIM-OPTIONS...
# One named sub-test in its own directory $WORK/NAME with fresh ports: the
# simulator with SIM-OPTIONS (it must end with every upload acknowledged),
# txgw bound to it (each LINE added to its esme node), the bus checked
# against the summary by sim_compare.py (--need: sim_compare.py's, with
# the daemon's "show stats" as gw.*), txgw stopped cleanly.  Prints
# "PASS NAME" or "FAIL NAME" with the evidence; failures counted in SIM_FAILS.
SIM_FAILS=0
SIM_CASES=0
sim_case() {
	local name=$1 base=$WORK t0=$SECONDS ok=1 p
	local esme=() cmp=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		--esme) esme+=("$2"); shift 2 ;;
		--need) cmp+=(--need "$2"); shift 2 ;;
		--repeats-ok) cmp+=(--repeats-ok); shift ;;
		*) echo "sim_case $name: unknown option $1"; return 2 ;;
		esac
	done
	[ "${1:-}" = -- ] && shift
	SIM_CASES=$((SIM_CASES + 1))
	WORK=$base/$name
	mkdir -p "$WORK"
	new_ports
	{
		start_sim --wait-bind 15 --drain 20 "$@" &&
		write_config "$WORK/reg.txt" "${esme[@]}" &&
		start_txgw &&
		wait_sim 60 &&
		if [ "$SIM_RC" != 0 ]; then
			echo "txgw-smsc-sim exit $SIM_RC: not every upload acknowledged"; false
		fi &&
		stats "show stats" >"$WORK/stats.json" &&
		sim_check --stats "$WORK/stats.json" "${cmp[@]}" &&
		stop_txgw
	} >"$WORK/case.log" 2>&1 || ok=0
	if [ $ok = 1 ]; then
		echo "PASS $name ($((SECONDS - t0)) s): $(grep -m1 '^sim_compare: bus' "$WORK/case.log" |
			sed 's/^sim_compare: bus //; s/; summary.*//'), as the summary says"
	else
		SIM_FAILS=$((SIM_FAILS + 1))
		echo "FAIL $name ($((SECONDS - t0)) s): txgw-smsc-sim $*"
		sed 's/^/    /' "$WORK/case.log" | tail -40
		echo "    --- simulator:"; tail -8 "$WORK/sim.log" | sed 's/^/    /'
		echo "    --- txgw:"; grep -E "ERROR|FATAL|runtime error|Sanitizer" "$WORK/txgw.log" | tail -10 | sed 's/^/    /' || true
		for p in $(ours "$SIM_PID" "$TXGW_PID"); do kill -9 "$p"; { wait "$p"; } 2>/dev/null || true; done
		KEEP_WORK=1
	fi
	WORK=$base
	return 0
}

# sim_done SCRIPT: the last line of a table of sim_case sub-tests; exit 1
# when one failed (the work directory is then kept).
sim_done() {
	echo "$1: $((SIM_CASES - SIM_FAILS)) of $SIM_CASES cases passed"
	[ "$SIM_FAILS" = 0 ] || { echo "$1: FAIL (work directory kept: $WORK)"; exit 1; }
}

# ---- helpers for the reassembly tests (tests/integration/concat_*.sh, sms_ports.sh) ----

# start_concat_smsc CASES [concat_smsc.py options]: concat_smsc.py on
# $SMSC_PORT sending CASES; its output in $WORK/smsc.log; SMSC_PID.
start_concat_smsc() {
	local cases=$1
	shift
	$PY "$TOP/tests/integration/concat_smsc.py" --port "$SMSC_PORT" --case "$cases" \
		--key "$TOP/tests/vectors/keys/00112233aabbccdd-1.key" \
		--vectors "$TOP/tests/vectors/vectors.json" --results "$WORK/results" "$@" \
		> "$WORK/smsc.log" 2>&1 &
	SMSC_PID=$!; PIDS+=("$SMSC_PID")
	for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && return 0; sleep 0.1; done
	echo "concat_smsc.py did not start"; cat "$WORK/smsc.log"; return 1
}

# concat_smsc_sent N [SECONDS]: until concat_smsc.py has sent its cases (at
# most SECONDS, 40); all N deliver_sm must have been answered ESME_ROK.
concat_smsc_sent() {
	for _ in $(seq $((${2:-40} * 10))); do
		[ -e "$WORK/results" ] || ! kill -0 "$SMSC_PID" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "^DONE sent=$1 ok=$1\$" "$WORK/results" 2>/dev/null && return 0
	echo "FAIL: not all $1 deliver_sm answered ESME_ROK"
	cat "$WORK/smsc.log"; tail -20 "$WORK/txgw.log"
	return 1
}
