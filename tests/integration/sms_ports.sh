#!/usr/bin/env bash
# Application ports through SMPP (3GPP TS 23.040 §9.2.3.24.3-4): an SMSC
# (concat_smsc.py, case "ports") hands txgw a WAP push (UDH port 2948,
# data_coding 4) to the service number, an upload with a 16-bit port IE
# 16354, two uploads in two parts (8- and 16-bit references, the port IE in
# each part), a WAP push in two parts, and a binary SMS with an 8-bit port
# IE (port 5).  Each deliver_sm gets ESME_ROK; the bus holds exactly: the
# WAP push rejected not_txlog with no device, the three uploads' records,
# then not_txlog for the other two.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup

start_concat_smsc ports
write_config
start_txgw
concat_smsc_sent 9 || exit 1
cat "$WORK/smsc.log"
subscribe 6 10 || { echo "FAIL: bus incomplete"; tail -20 "$WORK/txgw.log"; exit 1; }
stats "show stats" > "$WORK/stats.json"
stop_txgw
wait_smsc || exit 1

$PY - "$WORK/bus.jsonl" "$WORK/stats.json" <<'PYEOF'
import base64, json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
st = json.load(open(sys.argv[2]))
got = [(m["topic"], m["payload"].get("reason"), m["payload"].get("counter"),
        "device" in m["payload"]) for m in msgs]
want = [("txlog.reject", "not_txlog", None, False),
        ("txlog.record", None, 1, True),
        ("txlog.record", None, 2, True),
        ("txlog.record", None, 3, True),
        ("txlog.reject", "not_txlog", None, False),
        ("txlog.reject", "not_txlog", None, False)]
bad = []
if got != want:
    bad.append("bus has %r, want %r" % (got, want))
wap = msgs[0]["payload"]
if base64.b64decode(wap["raw"]) != bytes.fromhex("0106040302ae81ea"):
    bad.append("WAP push raw is %r" % wap["raw"])
if "another application port" not in wap["error"]:
    bad.append("WAP push error %r" % wap["error"])
for k, v in (("sms.segments", 9), ("sms.messages", 6), ("txlog.frames", 3),
             ("txlog.records", 3), ("txlog.rejects", 3)):
    if st[k] != v:
        bad.append("%s is %d, want %d" % (k, st[k], v))
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("sms_ports: WAP push and other ports not_txlog (no device), 3 uploads by port "
      "16354 (single, 8- and 16-bit references) recorded")
PYEOF
