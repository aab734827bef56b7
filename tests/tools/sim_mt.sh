#!/usr/bin/env bash
# tests/tools/sim_mt.sh — txgw-smsc-sim taking submit_sm (--no-uploads),
# without the gateway: an ESME written here from SMPP 3.4 alone binds as a
# transceiver and submits messages, some right (a single SMS and a
# concatenated one, each with the 16-bit port IE), some wrong (no UDHI, a
# wrong port, data_coding 0, a part of 140 octets, a reference reused
# while its message is incomplete), one twice; it answers the receipts.
# Checked: the answers (message ids, ESME_RTHROTTLED every 4th,
# ESME_RINVDSTADR for --mt-fail), the receipts (one per part, by TLV and
# by text in turn, UNDELIV for --receipt-fail), and the summary's "mt"
# section: what was taken, the errors found, each message's SHA-256 and
# copies.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD:-$TOP}
SIM=$BUILD/contrib/sim/txgw-smsc-sim
. "$TOP/tests/tools/lib.sh"
tools_tmp

"$SIM" --port 0 --ready "$tmp/ready" --no-uploads --duration 30 --devices 1 -q \
	--mt-throttle-every 4 --mt-fail 15550000009 --receipt-fail 15550000002 \
	--receipt-delay 50 --summary "$tmp/sim.json" >"$tmp/sim.out" 2>"$tmp/sim.log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
[ -s "$tmp/ready" ] || { echo "FAIL: the simulator did not start"; cat "$tmp/sim.log"; exit 1; }

/usr/bin/python3 - "$(cat "$tmp/ready")" "$tmp/esme.json" <<'PY'
import hashlib, json, socket, struct, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), 5)
s.settimeout(5)
seq = 0

def send(cmd, body=b"", status=0, sq=None):
    global seq
    if sq is None:
        seq += 1; sq = seq
    s.sendall(struct.pack(">IIII", 16 + len(body), cmd, status, sq) + body)
    return sq

def recv():
    h = b""
    while len(h) < 16:
        h += s.recv(16 - len(h))
    n, cmd, st, sq = struct.unpack(">IIII", h)
    b = b""
    while len(b) < n - 16:
        b += s.recv(n - 16 - len(b))
    return cmd, st, sq, b

def c(x):
    return x.encode() + b"\0"

send(9, c("txgw") + c("secret") + c("") + bytes([0x34, 0, 0]) + c(""))
assert recv()[:2] == (0x80000009, 0)

def submit(to, sm, esm=0x40, dc=4, rd=1):
    """§4.4.1 submit_sm"""
    body = (c("") + bytes([0, 1]) + c("16354") + bytes([1, 1]) + c(to) +
            bytes([esm, 0, 0]) + c("") + c("") + bytes([rd, 0, dc, 0, len(sm)]) + sm)
    return send(4, body)

PORT = b"\x05\x04\x3f\xe2\x3f\xe2"
def single(data): return bytes([6]) + PORT + data
def part(ref, tot, n, data): return bytes([11, 0, 3, ref, tot, n]) + PORT + data

sent = []                                   # (seq, what)
payload2 = bytes(range(200))
sent.append((submit("15550000001", single(b"hello")), "single"))
sent.append((submit("15550000002", part(7, 2, 1, payload2[:128])), "p1"))
sent.append((submit("15550000002", part(7, 2, 2, payload2[128:])), "p2"))
sent.append((submit("15550000003", single(b"x")), "throttled"))        # 4th: throttled
sent.append((submit("15550000009", single(b"y")), "fail"))
sent.append((submit("15550000003", b"plain", esm=0), "no udhi"))
sent.append((submit("15550000003", bytes([6, 5, 4, 0, 1, 0, 1]) + b"z"), "port"))
sent.append((submit("15550000003", single(b"dc"), dc=0), "dc0"))      # 8th: throttled
sent.append((submit("15550000003", single(b"dc"), dc=0), "dc0"))
sent.append((submit("15550000005", single(bytes(134))), "too long"))
sent.append((submit("15550000006", part(9, 2, 1, b"a" * 10)), "r1"))
sent.append((submit("15550000006", part(9, 3, 2, b"b" * 10)), "reuse"))  # 12th: throttled
sent.append((submit("15550000006", part(9, 3, 2, b"b" * 10)), "reuse"))
sent.append((submit("15550000001", single(b"hello")), "again"))
want = len(sent)
answers, receipts = {}, []
end = time.time() + 10
while (len(answers) < want or len(receipts) < 7) and time.time() < end:
    cmd, st, sq, b = recv()
    if cmd == 0x80000004:
        answers[sq] = (st, b.rstrip(b"\0").decode())
    elif cmd == 5:                           # a receipt: answer it
        send(0x80000005, b"\0", 0, sq)
        receipts.append(b.hex())
    elif cmd == 0x15:
        send(0x80000015, b"", 0, sq)
json.dump({"sent": [[q, w] for q, w in sent], "answers": {str(k): v for k, v in answers.items()},
           "receipts": receipts}, open(out, "w"))
send(6)                                     # unbind: answered once all before it is taken
while recv()[0] != 0x80000006:
    pass
PY
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
pid=

/usr/bin/python3 - "$tmp/esme.json" "$tmp/sim.json" <<'PY'
import hashlib, json, sys
e, sim = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mt = sim["mt"]
what = {str(q): w for q, w in e["sent"]}
st = {what[k]: v[0] for k, v in e["answers"].items()}
bad = []
def want(c, msg):
    if not c: bad.append(msg)
want(st["single"] == 0 and st["p1"] == 0 and st["p2"] == 0, "ROK for the good ones: %s" % st)
want(st["throttled"] == 0x58, "every 4th ESME_RTHROTTLED")
want(st["fail"] == 0x0B, "--mt-fail: ESME_RINVDSTADR")
want(len(e["answers"]) == len(e["sent"]), "every submit_sm answered")
want(mt["submits"] == 14 and mt["throttled"] == 3 and mt["failed_dest"] == 1 and mt["taken"] == 10,
     "counters %s" % {k: mt[k] for k in ("submits", "throttled", "failed_dest", "taken")})
errs = " | ".join(mt["errors"])
for needle in ("without UDHI", "no 16-bit port IE", "data_coding 0x00", "134 payload octets",
               "reference 9 reused"):
    want(needle in errs, "error '%s' found: %s" % (needle, errs))
msgs = {(m["to"], m["sha256"]): m for m in mt["messages"]}
h = lambda b: hashlib.sha256(b).hexdigest()
m1 = msgs.get(("15550000001", h(b"hello")))
want(m1 and m1["copies"] == 2 and m1["parts"] == 1 and m1["ton"] == 1, "hello twice: %s" % m1)
m2 = msgs.get(("15550000002", h(bytes(range(200)))))
want(m2 and m2["parts"] == 2 and m2["len"] == 200 and m2["receipt"], "two parts: %s" % m2)
# receipts, one a part of each whole message asking for them: hello twice,
# the two parts, and the three whole ones with faults; by TLV (0x001e) and
# by text in turn
rc = e["receipts"]
want(len(rc) == 7, "receipts %d" % len(rc))
tlv = [r for r in rc if "001e" in r and "0427" in r]
text = [r for r in rc if bytes.fromhex(r).find(b"stat:") >= 0]
want(tlv and text, "both forms: %d TLV, %d text" % (len(tlv), len(text)))
undeliv = [r for r in rc if b"UNDELIV" in bytes.fromhex(r) or "0427000105" in r]
want(len(undeliv) == 2, "UNDELIV for --receipt-fail's two parts: %d" % len(undeliv))
want(mt["receipts_acked"] == mt["receipts_queued"] == 7, "receipts acked %d/%d" %
     (mt["receipts_acked"], mt["receipts_queued"]))
if bad:
    print("FAIL sim_mt:\n  " + "\n  ".join(bad)); sys.exit(1)
print("sim_mt: 14 submit_sm: 3 throttled, 1 refused, 5 faults found; 2 messages whole, "
      "one twice; %d receipts, TLV and text, 2 UNDELIV" % len(rc))
PY
