# tests/integration/downlink_lib.bash — sourced by the downlink tests after
# lib.sh: a txgw with a downlink node and a send socket, requests made up,
# sent with contrib/txgw-send, the bus read back and checked by
# downlink_check.py.
SEND_TOOL=${SEND_TOOL:-$TOP/contrib/txgw-send}

# dl_ports: SEND_PORT, besides lib.sh's ports
dl_ports() {
	SEND_PORT=$(free_port)
}

# dl_config REGISTRY [DOWNLINK-LINE ...]: write_config (ESME_LINES, an
# array, go to the esme node), then a downlink node with these lines and
# the send socket.
dl_config() {
	local reg=$1 l
	shift
	write_config "$reg" "${ESME_LINES[@]}"
	{
		echo "downlink"
		for l in "$@"; do echo " $l"; done
		echo "bus"
		echo " send tcp://127.0.0.1:$SEND_PORT"
	} >>"$WORK/txgw.cfg"
}

# dl_curve_keys: CURVE keys made by txgw-keygen in K=$WORK/keys: the
# gateway's (srv), a listed client's (a), an unlisted one's (b); the
# clients file lists a; CURVE_BUS holds the bus lines for BUS_EXTRA.
dl_curve_keys() {
	local n
	K=$WORK/keys
	mkdir -p "$K"
	for n in srv a b; do
		"$TOP/gateway/tools/txgw-keygen" "$K/$n.key" "$K/$n.pub" >/dev/null
	done
	grep -v '^#' "$K/a.pub" >"$K/clients"
	CURVE_BUS=" curve-secret-key $K/srv.key
 curve-clients $K/clients"
}

# dl_esme_idle: an esme node towards SMSC_PORT, where nothing listens: a
# bind that can transmit (requests are QUEUED), never bound
dl_esme_idle() {
	printf 'smpp\n esme smsc\n  remote-ip 127.0.0.1\n  remote-port %s\n' "$SMSC_PORT" >>"$WORK/txgw.cfg"
}

# dl_requests N SEED [key=value ...]: N SEND requests into $WORK/reqs.jsonl
# and what each must end as into $WORK/expect.json.  Keys: to (MSISDNs,
# comma-separated, round robin), receipt (every Nth asks, 0: none), sizes
# (payload sizes, round robin, one octet more each round), fail (MSISDNs answered ESME_RINVDSTADR),
# undeliv (MSISDNs whose receipts say UNDELIV), noreceipts (1: the SMSC
# sends none), prefix (of the ids).  Each payload starts with its id, so
# that no two are alike.
dl_requests() {
	$PY - "$WORK" "$@" <<'PYEOF'
import base64, json, random, sys
work, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kv = dict(a.split("=", 1) for a in sys.argv[4:])
to = kv.get("to", "886912345678").split(",")
every = int(kv.get("receipt", "2"))
sizes = [int(x) for x in kv.get("sizes", "1,40,133,134,300,1000").split(",")]
fail, undeliv = set(kv.get("fail", "").split(",")) - {""}, set(kv.get("undeliv", "").split(",")) - {""}
rnd = random.Random(seed)
reqs, expect = [], {}
for k in range(n):
    i = "%s%04d" % (kv.get("prefix", "dl-"), k)
    dest = to[k % len(to)]
    # each cycle of sizes one octet longer: no two payloads alike
    size = min(sizes[k % len(sizes)] + k // len(sizes), 1000)
    body = (i.encode() + b"|" + bytes(rnd.getrandbits(8) for _ in range(size)))[:size]
    if size <= len(i) + 1:
        body = bytes(rnd.getrandbits(8) for _ in range(size - 1)) + bytes([k % 256])
    r = {"id": i, "msisdn": dest, "payload": base64.b64encode(body).decode()}
    if every and k % every == 0:
        r["receipt"] = True
    reqs.append(r)
    bare = dest.lstrip("+")
    if bare in fail:
        expect[i] = {"state": "failed", "error": "ESME_RINVDSTADR (0x0000000b)"}
    elif r.get("receipt") and bare in undeliv:
        expect[i] = {"state": "failed", "error": "receipt UNDELIV err:001"}
    elif r.get("receipt") and kv.get("noreceipts") == "1":
        expect[i] = {"state": "submitted"}
with open(work + "/reqs.jsonl", "w") as f:
    for r in reqs:
        f.write(json.dumps(r) + "\n")
json.dump(expect, open(work + "/expect.json", "w"))
PYEOF
}

# dl_send [txgw-send options]: send $WORK/reqs.jsonl, follow until every
# message ended; answers and events in $WORK/answers.jsonl.
dl_send() {
	"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --publish "tcp://127.0.0.1:$PUB_PORT" \
		--replay "tcp://127.0.0.1:$REPLAY_PORT" --json --follow "$@" "$WORK/reqs.jsonl" \
		>"$WORK/answers.jsonl" 2>"$WORK/send.log"
}

# dl_check [downlink_check.py options]: the bus from seq 1, read while txgw
# runs, against the requests, the answers, the expectations (and what is
# given: --sim, --log).
dl_check() {
	local n
	n=$(journal_seq) || { echo "show info failed"; return 1; }
	subscribe "$n" 20 || { echo "bus-sub.py could not read seq 1..$n"; return 1; }
	dl_check_py "$@"
}

dl_check_py() {
	$PY "$TOP/tests/integration/downlink_check.py" --requests "$WORK/reqs.jsonl" \
		--answers "$WORK/answers.jsonl" --bus "$WORK/bus.jsonl" --expect "$WORK/expect.json" "$@"
}

# dl_check_sim [options]: once the simulator wrote its summary, the bus
# read by dl_check against it too, and against txgw's log
dl_check_sim() {
	dl_check_py --sim "$WORK/sim.json" --log "$WORK/txgw.log" "$@"
}

# dl_stat NAME: one counter (or gauge) of "show stats"
dl_stat() {
	stats "show stats" | $PY -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# dl_sim_stop: SIGTERM to the simulator, which writes its summary
dl_sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null || true
	wait "$SIM_PID" 2>/dev/null || true
}

# run_case NAME: the function case_NAME, with set -e, in $BASE/NAME with
# fresh ports; "PASS NAME" with downlink_check.py's line, or "FAIL NAME"
# and the evidence (the work directory is then kept).  Failures are
# counted in CASE_FAILS; cases_done SCRIPT ends the script.
CASE_FAILS=0
CASES=0
run_case() {
	local name=$1 t0=$SECONDS rc=0 p
	WORK=$BASE/$name
	mkdir -p "$WORK"
	new_ports
	dl_ports
	ESME_LINES=()
	CASES=$((CASES + 1))
	set +e
	( set -e; "case_$name" ) >"$WORK/case.log" 2>&1
	rc=$?
	set -e
	if [ $rc = 0 ]; then
		echo "PASS $name ($((SECONDS - t0)) s): $(grep '^downlink_check:' "$WORK/case.log" |
			tail -1 | sed 's/^downlink_check: //')"
	else
		CASE_FAILS=$((CASE_FAILS + 1))
		echo "FAIL $name ($((SECONDS - t0)) s)"
		sed 's/^/    /' "$WORK/case.log" | tail -30
		echo "    --- txgw:"; grep -E "ERROR|downlink" "$WORK/txgw.log" 2>/dev/null | tail -10 |
			sed 's/^/    /' || true
		KEEP_WORK=1
	fi
	for p in $(ours "${PIDS[@]}"); do kill -9 "$p" 2>/dev/null || true; { wait "$p"; } 2>/dev/null || true; done
	WORK=$BASE
}

cases_done() {
	echo "$1: $((CASES - CASE_FAILS)) of $CASES cases passed"
	[ "$CASE_FAILS" = 0 ] || { echo "$1: FAIL (work directory kept: $BASE)"; exit 1; }
}
