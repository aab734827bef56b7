#!/usr/bin/env bash
# contrib/txgw-sub against a running txgw fed by the Net::SMPP SMSC (as in
# netsmpp.sh): started EARLY (before the traffic: the messages come live) and
# LATE (after it: everything by replay), both outputs must equal the
# independent subscriber's (tests/tools/bus-sub.py).  Then --state, --from,
# --count, --topics, --table and its summary, --timeout, SIGINT, usage
# errors; and against a fake gateway (python3-zmq) that loses messages,
# sends them out of order, refuses old seqs with ERROR, cannot replay one,
# and sends garbage: the gaps must be reported and skipped, the rest printed
# once and in order.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
SUB=$TOP/contrib/txgw-sub
EPS=(--pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT")
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# same_msgs A B: the same JSON lines (topic and payload) in the same order
same_msgs() {
	$PY - "$1" "$2" <<'PYEOF'
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
sys.exit(0 if a == b and a else 1)
PYEOF
}

# seqs FILE: the seqs of a JSON lines file, space-separated
seqs() {
	$PY -c 'import json, sys; print(" ".join(str(json.loads(l)["payload"]["seq"]) for l in open(sys.argv[1])))' "$1"
}

netsmpp_deliver "$WORK/deliver.txt"
write_config

# EARLY: txgw-sub waits for a gateway that is not there yet; the replay
# socket's first answer (END 1) shows it is connected before the SMSC sends.
"$SUB" --json --until-seq 5 --timeout 30 "${EPS[@]}" > "$WORK/early.jsonl" 2> "$WORK/early.err" &
EARLY_PID=$!; PIDS+=("$EARLY_PID")
start_txgw
"$PY" "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock" wait bus.replay_requests 1 5 ||
	{ echo "FAIL: txgw-sub never asked for replay"; cat "$WORK/early.err"; exit 1; }
sleep 0.3	# the SUB connected with the DEALER; its subscription cannot be observed
start_smsc "$WORK/deliver.txt"
wait_smsc || exit 1
rc=0; wait "$EARLY_PID" || rc=$?
[ "$rc" = 0 ] || fail "early txgw-sub exit $rc: $(cat "$WORK/early.err")"
grep -q "txgw-sub: 5 messages" "$WORK/early.err" || fail "early summary: $(cat "$WORK/early.err")"
replayed=$(sed -n 's/.*; \([0-9]*\) replayed;.*/\1/p' "$WORK/early.err")
[ "${replayed:-5}" -lt 5 ] || fail "early txgw-sub got nothing live: $(cat "$WORK/early.err")"

subscribe 5 || { echo "FAIL: bus-sub incomplete"; exit 1; }
same_msgs "$WORK/early.jsonl" "$WORK/bus.jsonl" || fail "early output differs from bus-sub's"

# LATE: everything by replay.
"$SUB" --json --until-seq 5 --timeout 20 "${EPS[@]}" > "$WORK/late.jsonl" 2> "$WORK/late.err" ||
	fail "late txgw-sub: $(cat "$WORK/late.err")"
same_msgs "$WORK/late.jsonl" "$WORK/bus.jsonl" || fail "late output differs from bus-sub's"
grep -q "; 5 replayed; unfilled gaps: none" "$WORK/late.err" || fail "late summary: $(cat "$WORK/late.err")"

# --state: remembers where to go on; --from overrides it.
st=$WORK/sub.state
"$SUB" --json --until-seq 3 --state "$st" --timeout 10 "${EPS[@]}" > "$WORK/s1.jsonl" 2>/dev/null || fail "state run 1"
[ "$(cat "$st")" = 4 ] || fail "state after seq 3: '$(cat "$st")'"
"$SUB" --json --until-seq 5 --state "$st" --timeout 10 "${EPS[@]}" > "$WORK/s2.jsonl" 2>/dev/null || fail "state run 2"
[ "$(seqs "$WORK/s2.jsonl")" = "4 5" ] || fail "state run 2 printed $(seqs "$WORK/s2.jsonl")"
[ "$(cat "$st")" = 6 ] || fail "state after seq 5: '$(cat "$st")'"
"$SUB" --json --from 2 --count 2 --state "$st" --timeout 10 "${EPS[@]}" > "$WORK/s3.jsonl" 2>/dev/null || fail "--from 2 --count 2"
[ "$(seqs "$WORK/s3.jsonl")" = "2 3" ] || fail "--from 2 --count 2 printed $(seqs "$WORK/s3.jsonl")"
[ ! -e "$st.tmp" ] || fail "state temporary file left behind"

# --topics: only the reject, but --until-seq still counts every seq.
"$SUB" --json --until-seq 5 --topics reject --timeout 10 "${EPS[@]}" > "$WORK/t.jsonl" 2>/dev/null || fail "--topics"
[ "$(seqs "$WORK/t.jsonl")" = 5 ] || fail "--topics reject printed $(seqs "$WORK/t.jsonl")"

# --table: header, one row per message, the summary.
"$SUB" --table --until-seq 5 --timeout 10 "${EPS[@]}" > "$WORK/table.txt" 2>&1 || fail "--table"
$PY - "$WORK/table.txt" <<'PYEOF' || fail "table: $(cat "$WORK/table.txt")"
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split()[:3] == ["SEQ", "TIME", "TOPIC"], lines[0]
rows = [l.split() for l in lines[1:6]]
assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"], rows
assert rows[0][2:5] == ["record", "00112233aabbccdd", "1001"], rows[0]
assert rows[0][5:9] == ["purchase", "12500", "TWD", "87500"], rows[0]
assert rows[4][2:4] == ["reject", "not_txlog"], rows[4]
s = lines[6]
assert s.startswith("txgw-sub: 5 messages; topics: txlog.record 4, txlog.reject 1; "
                    "alerts: none; rejects: not_txlog 1; 5 replayed; unfilled gaps: none"), s
assert len(lines) == 7, lines
PYEOF

# --timeout: seq 9 never comes.
rc=0; "$SUB" --json --until-seq 9 --timeout 1.5 "${EPS[@]}" > /dev/null 2> "$WORK/to.err" || rc=$?
[ "$rc" = 1 ] || fail "--timeout exit $rc"
grep -q "timeout, next seq 6" "$WORK/to.err" || fail "timeout message: $(cat "$WORK/to.err")"

# SIGINT: the summary, exit 0.
"$SUB" --json "${EPS[@]}" > "$WORK/int.jsonl" 2> "$WORK/int.err" &
p=$!
for _ in $(seq 50); do [ "$(wc -l < "$WORK/int.jsonl")" -ge 5 ] && break; sleep 0.1; done
kill -INT "$p"; rc=0; wait "$p" || rc=$?
[ "$rc" = 0 ] || fail "SIGINT exit $rc"
grep -q "txgw-sub: 5 messages" "$WORK/int.err" || fail "SIGINT summary: $(cat "$WORK/int.err")"
stop_txgw

# Usage.
grep -q -- "--until-seq" <<<"$("$SUB" --help)" || fail "--help"
"$SUB" --version | grep -q "^txgw-sub " || fail "--version"
for bad in "--bogus" "--until-seq 0" "--from x" "--from 5 --until-seq 4" "--timeout -1" "--topics ," "extra"; do
	rc=0; "$SUB" $bad > /dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "'$bad' exit $rc, want 2"
done
echo 0 > "$WORK/bad.state"
rc=0; "$SUB" --state "$WORK/bad.state" --until-seq 3 > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "bad state file exit $rc"

# A fake gateway: the live stream loses 1..4 and sends 6 before 5, the
# journal no longer keeps 1..2, seq 4 cannot be replayed, and garbage
# arrives on both sockets.
FAKE_PUB=$(free_port); FAKE_REPLAY=$(free_port)
$PY - "$FAKE_PUB" "$FAKE_REPLAY" > "$WORK/fake.log" 2>&1 <<'PYEOF' &
import json, sys, zmq
ctx = zmq.Context()
pub = ctx.socket(zmq.XPUB); pub.bind("tcp://127.0.0.1:%s" % sys.argv[1])
rtr = ctx.socket(zmq.ROUTER); rtr.bind("tcp://127.0.0.1:%s" % sys.argv[2])
for s in (pub, rtr): s.setsockopt(zmq.RCVTIMEO, 15000)
def msg(seq, topic="txlog.record"):
    return [topic.encode(), json.dumps({"v": 1, "seq": seq, "gw": "fake", "device": "00112233aabbccdd",
                                        "counter": 1000 + seq, "type": "purchase"},
                                       separators=(",", ":")).encode()]
pub.recv()                                     # the subscription
ident, *req = rtr.recv_multipart()
assert req == [b"REPLAY", b"1", b"7"], req
for m in ([b"txlog.record", b"{not json"], [b"txlog.x", b"b", b"c"], msg(6), msg(5)[:1] + [b'{"v":1}']):
    pub.send_multipart(m)
pub.send_multipart(msg(6))
rtr.send_multipart([ident, b"ERROR", b"3"])
ident, *req = rtr.recv_multipart()
assert req == [b"REPLAY", b"3", b"5"], req
rtr.send_multipart([ident] + msg(3, "txlog.alert"))
rtr.send_multipart([ident, b"END", b"5"])      # 4 is not there
ident, *req = rtr.recv_multipart()
assert req == [b"REPLAY", b"5", b"3"], req
rtr.send_multipart([ident] + msg(5))
rtr.send_multipart([ident] + msg(6))
rtr.send_multipart([ident, b"END", b"7"])
pub.send_multipart(msg(7))
print("fake: done")
PYEOF
FAKE=$!; PIDS+=("$FAKE")
"$SUB" --json --until-seq 7 --timeout 15 --pub "tcp://127.0.0.1:$FAKE_PUB" \
	--replay "tcp://127.0.0.1:$FAKE_REPLAY" > "$WORK/fake.jsonl" 2> "$WORK/fake.err" ||
	fail "txgw-sub against the fake: $(cat "$WORK/fake.err" "$WORK/fake.log")"
wait "$FAKE" || fail "fake gateway: $(cat "$WORK/fake.log")"
[ "$(seqs "$WORK/fake.jsonl")" = "3 5 6 7" ] || fail "fake: printed $(seqs "$WORK/fake.jsonl")"
grep -q "seqs 1..2 are no longer kept" "$WORK/fake.err" || fail "fake: no 'no longer kept'"
grep -q "seqs 4..4 could not be filled" "$WORK/fake.err" || fail "fake: no unfilled 4"
[ "$(grep -c "malformed live message ignored" "$WORK/fake.err")" = 3 ] || fail "fake: malformed count"
grep -q "unfilled gaps: 1..2 (no longer kept), 4..4 (3 seqs); 3 malformed" "$WORK/fake.err" ||
	fail "fake summary: $(tail -1 "$WORK/fake.err")"

[ "$FAILS" = 0 ] || { echo "txgw_sub: $FAILS failed"; exit 1; }
echo "txgw_sub: early (live) and late (replay) outputs equal bus-sub's; state, from, count," \
	"topics, table, timeout, SIGINT, usage, gaps/ERROR/garbage from a fake gateway: all as expected"
