#!/usr/bin/env bash
# contrib/bench/downlink.sh [N] — the downlink's speed: SEND -> QUEUED
# latency, and submit_sm/s to txgw-smsc-sim.
#
# 1. QUEUED latency: a DEALER sends N (default 2000) requests, one at a
#    time (each waits for its answer: the journal's sync is in every
#    figure), then N more with 64 outstanding; printed: p50/p99/max of
#    SEND -> QUEUED, and requests/s with 64 outstanding.
# 2. submit_sm/s: with rate 10000 and one bind of window 64, the second
#    round's N single-part messages without receipts to the simulator;
#    printed: submit_sm/s between the first and the last "submitted" event
#    of that round (their "at"), and as a ratio to the rate the same client
#    gets them queued.
# Not part of the tests.  Build first (./quickstart build).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/downlink_lib.bash"
N=${1:-2000}
it_setup
dl_ports
start_sim --no-uploads --duration 3600 --devices 1 --window 64 --receipts none
ESME_LINES=("window 64")
dl_config "$WORK/reg.txt" "rate 10000"
start_txgw
$PY - "$N" "tcp://127.0.0.1:$SEND_PORT" "tcp://127.0.0.1:$PUB_PORT" <<'PYEOF'
import base64, json, sys, time
import zmq
n, ep, pub = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = zmq.Context()
d = ctx.socket(zmq.DEALER); d.connect(ep)
s = ctx.socket(zmq.SUB); s.setsockopt(zmq.SUBSCRIBE, b"txlog.downlink"); s.connect(pub)
time.sleep(0.5)
P = base64.b64encode(bytes(100)).decode()

def req(i):
    return [b"SEND", json.dumps({"id": "b%d" % i, "msisdn": "886912345678", "payload": P}).encode()]

lat = []
for i in range(n):
    t = time.perf_counter()
    d.send_multipart(req(i))
    a = d.recv_multipart()
    assert a[0] == b"QUEUED", a
    lat.append(time.perf_counter() - t)
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
print("QUEUED latency, one at a time, %d requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (n, pct(0.5), pct(0.99), lat[-1] * 1000))
t0, sent, got = time.perf_counter(), 0, 0
while got < n:
    while sent < n and sent - got < 64:
        d.send_multipart(req(n + sent)); sent += 1
    d.recv_multipart(); got += 1
queued_rate = n / (time.perf_counter() - t0)
print("QUEUED with 64 outstanding: %.0f requests/s" % queued_rate)
# every message of both rounds is submitted: the "at" of their events
import datetime
at = lambda p: datetime.datetime.strptime(p["at"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
sub, done = [], 0
end = time.time() + 120
while done < 2 * n and time.time() < end:
    if not s.poll(1000):
        continue
    topic, payload = s.recv_multipart()
    p = json.loads(payload)
    if p["state"] == "submitted" and int(p["id"][1:]) >= n:
        sub.append(at(p))
    done += p["state"] == "submitted"
# the second round: from its first submission to its last
rate = (len(sub) - 1) / (max(sub) - min(sub)) if len(sub) > 1 and max(sub) > min(sub) else 0
print("submitted %d of %d; the second round's %d: %.0f submit_sm/s (single parts, rate 10000, "
      "window 64): %.2f of the queueing rate" % (done, 2 * n, len(sub), rate, rate / queued_rate))
PYEOF
stop_txgw
dl_sim_stop
