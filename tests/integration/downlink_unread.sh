#!/usr/bin/env bash
# The send socket keeps the answers of a client that reads them late
# (doc/downlink.md "Socket"): a client sends 10,000 SENDs (the most that
# may wait for one sync) without reading any answer, its own receive queue
# one message deep; once txgw has queued them all, it reads: every one of
# the 10,000 QUEUED answers is there, none dropped (bus_send.h,
# BUS_SEND_SNDHWM; with ZeroMQ's default of 1,000 most were lost).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
N=10000
it_setup
dl_ports
NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt"
dl_esme_idle
start_txgw
$PY - "$N" "tcp://127.0.0.1:$SEND_PORT" "$WORK/stats.sock" "$TOP/tests/integration" <<'PYEOF'
import base64, json, sys, time
import zmq
n, ep, sock = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, sys.argv[4])
from stats_check import ask


def queued():
    return json.loads(ask(sock, "show stats"))["downlink.queued"]


ctx = zmq.Context()
d = ctx.socket(zmq.DEALER)
d.setsockopt(zmq.LINGER, 0)
d.setsockopt(zmq.SNDHWM, 0)	# every request goes out
d.setsockopt(zmq.RCVHWM, 1)	# answers stay at txgw's end:
d.setsockopt(zmq.RCVBUF, 4096)	# not in the kernel's buffers
d.connect(ep)
p = base64.b64encode(b"unread").decode()
for i in range(n):
    d.send_multipart([b"SEND", json.dumps({"id": "u%063d" % i, "msisdn": "886912345678",
                                           "payload": p}).encode()])
end = time.time() + 40
while queued() < n and time.time() < end:
    time.sleep(0.2)
q = queued()
got = set()
while len(got) < n and d.poll(3000):
    a = d.recv_multipart()
    assert a[0] == b"QUEUED", a
    got.add(a[1].decode())
print("downlink_unread: %d queued, %d of %d answers read" % (q, len(got), n))
sys.exit(0 if q == n and len(got) == n else 1)
PYEOF
grep "answer .* dropped" "$WORK/txgw.log" && { echo "FAIL: txgw dropped answers"; exit 1; }
stop_txgw
echo "downlink_unread: PASS"
