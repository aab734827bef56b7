#!/usr/bin/env bash
# The send socket under the bus's CURVE (doc/bus.md "Who may connect",
# doc/downlink.md "Socket"): with curve-secret-key, a request over CURVE
# from a key in curve-clients is answered QUEUED; the same request from a
# key not listed, and in plain text, gets no answer (the handshake fails,
# nothing is journaled); the listed client is served again after them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
dl_curve_keys
KEY=hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c
echo "1122334455667788 1 ed25519 886955500001 active $KEY" > "$WORK/reg.txt"
BUS_EXTRA=$CURVE_BUS NO_ESME=1 dl_config "$WORK/reg.txt"
dl_esme_idle
start_txgw
$PY - "tcp://127.0.0.1:$SEND_PORT" "$K" <<'PYEOF'
import json, sys, zmq
ep, k = sys.argv[1], sys.argv[2]
ctx = zmq.Context()

def key(name):
    return [l.strip() for l in open("%s/%s" % (k, name)) if l.strip() and not l.startswith("#")][0].encode()

def ask(who, rid):
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    if who:
        s.curve_serverkey = key("srv.pub")
        sec = key(who + ".key")
        s.curve_secretkey = sec
        s.curve_publickey = zmq.curve_public(sec)
    s.connect(ep)
    req = {"id": rid, "msisdn": "886912345678", "payload": "3q2+7w=="}
    s.send_multipart([b"SEND", json.dumps(req).encode()])
    got = s.poll(3000)
    ans = s.recv_multipart() if got else None
    s.close()
    return ans

a = ask("a", "curve-a-1")
assert a and a[0] == b"QUEUED" and a[1] == b"curve-a-1", a
assert ask("b", "curve-b-1") is None, "a key not in curve-clients was answered"
assert ask(None, "plain-1") is None, "a plain-text client was answered"
a = ask("a", "curve-a-2")
assert a and a[0] == b"QUEUED", a
print("downlink_curve: listed key QUEUED twice; unlisted key and plain text unanswered")
PYEOF
seq=$(journal_seq)
[ "$seq" = 2 ] || { echo "FAIL: journal seq $seq, want 2 (the two CURVE requests only)"; exit 1; }
stop_txgw
