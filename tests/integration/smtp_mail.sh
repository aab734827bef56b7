#!/usr/bin/env bash
# Mailed frames end on the bus: Python's smtplib (an independent client)
# sends the vectors' frames as an application/vnd.txlog attachment, as
# armour in a quoted-printable text, and a mail with no frame; a relay
# attempt is refused.  Every 250 must have its messages on the bus.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
for _ in $(seq 50); do $PY -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1)" 2>/dev/null && break; sleep 0.1; done

$PY - "$SMTP_PORT" "$TOP/tests/vectors/vectors.json" <<'PYEOF'
import json, smtplib, sys
from email.message import EmailMessage
port = int(sys.argv[1])
v = {c["name"]: c for c in json.load(open(sys.argv[2]))}
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("handset.example")
assert s.has_extn("pipelining") and s.has_extn("size") and s.has_extn("8bitmime")

m = EmailMessage()
m["From"] = "886912345678@handset.example"; m["To"] = "upload@txlog.example"
m["Subject"] = "log"
m.set_content("transaction log attached")
m.add_attachment(bytes.fromhex(v["frame-ecdsa-3"]["frame"]), maintype="application",
                 subtype="vnd.txlog", filename="log.txl")
r = s.send_message(m, from_addr="886912345678@handset.example", to_addrs=["upload@txlog.example"])
assert r == {}, r

m = EmailMessage()
m["From"] = "a@handset.example"; m["To"] = "upload@txlog.example"; m["Subject"] = "armour"
m.set_content("Köszönöm!\n" + v["armoured-ed25519-1"]["text"] + "\n", cte="quoted-printable")
s.send_message(m, from_addr="a@handset.example", to_addrs=["x@txlog.example"])

m = EmailMessage()
m["From"] = "b@handset.example"; m["To"] = "upload@txlog.example"; m["Subject"] = "hi"
m.set_content("what is my balance?")
s.send_message(m, from_addr="b@handset.example", to_addrs=["upload@txlog.example"])

code, _ = s.docmd("MAIL FROM:<c@handset.example>")
assert code == 250
code, msg = s.docmd("RCPT TO:<someone@elsewhere.example>")
assert code == 550, (code, msg)
s.quit()
print("smtp_mail: 3 mails accepted with 250, relay refused with 550")
PYEOF
subscribe 5
stop_txgw
$PY - "$WORK/bus.jsonl" <<'PYEOF'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
got = [(m["topic"], m["payload"].get("device"), m["payload"].get("counter"), m["payload"].get("reason"),
        m["payload"]["src"]) for m in msgs]
want = [("txlog.record", "0a0b0c0d0e0f1011", 8, None, "886912345678@handset.example"),
        ("txlog.record", "0a0b0c0d0e0f1011", 9, None, "886912345678@handset.example"),
        ("txlog.record", "0a0b0c0d0e0f1011", 10, None, "886912345678@handset.example"),
        ("txlog.record", "00112233aabbccdd", 1001, None, "a@handset.example"),
        ("txlog.reject", None, None, "not_txlog", "b@handset.example")]
assert all(m["payload"]["bearer"] == "smtp" for m in msgs)
if got != want:
    print("FAIL: bus has", got, "want", want); sys.exit(1)
print("smtp_mail: bus seq 1..5 as expected")
PYEOF
