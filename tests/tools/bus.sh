#!/usr/bin/env bash
# tests/tools/bus.sh — the bus end to end: tests/tools/bus_pub (the real bus
# with an in-memory journal) publishes N messages but skips every 7th, and
# the independent subscriber tests/tools/bus-sub.py (written from bus.md)
# must get all N exactly once, in order, filling the gaps by replay.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD:-$TOP}
N=${BUS_TEST_N:-3000}
. "$TOP/tests/tools/lib.sh"
tools_tmp

"$BUILD/tests/tools/bus_pub" --ready "$tmp/ready" -n "$N" --skip 7 --rate 3 --seconds 60 \
	2>"$tmp/pub.log" &
pid=$!
for _ in $(seq 100); do	# readiness: the endpoints file, 10 s at most
	[ -s "$tmp/ready" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/pub.log"; exit 1; }
	sleep 0.1
done
read -r pub rep <"$tmp/ready"
echo "publisher on $pub, replay on $rep"

/usr/bin/python3 "$TOP/tests/tools/bus-sub.py" --pub "$pub" --replay "$rep" \
	--from 1 --until-seq "$N" --timeout 30 --out "$tmp/out.jsonl"

# every seq once, in order, with the topic its payload says
/usr/bin/python3 - "$tmp/out.jsonl" "$N" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
rows = [json.loads(l) for l in open(path, encoding="utf-8")]
seqs = [r["payload"]["seq"] for r in rows]
assert seqs == list(range(1, n + 1)), "seqs not 1..%d once each" % n
for r in rows:
    p = r["payload"]
    want = "txlog.alert" if p["seq"] % 10 == 0 else "txlog.record"
    assert r["topic"] == want, r
    assert p["v"] == 1 and p["gw"] == "gw-test", r
    if r["topic"] == "txlog.record":
        assert p["counter"] == p["seq"] and p["late"] is False, r
print("bus.sh: %d messages, each once, in order" % n)
PY
