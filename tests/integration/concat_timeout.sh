#!/usr/bin/env bash
# An incomplete concatenation through SMPP (concat_smsc.py, case
# "timeout"): part 1 of 2 of an upload is acknowledged and part 2 never
# comes.  With concat-timeout 2 the bus then carries a txlog.reject
# "incomplete" from the sender with the part's bytes in raw and which part
# came and why in error.  Stopped and started again, txgw neither brings
# the message back nor publishes it again: the drop was journaled.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup

start_concat_smsc timeout
write_config
sed -i 's/^ concat-timeout 60$/ concat-timeout 2/' "$WORK/txgw.cfg"
start_txgw
concat_smsc_sent 1 || exit 1
# the timer looks once a second: the reject comes 2 to 3 s after part 1
subscribe 1 10 || { echo "FAIL: no reject on the bus"; tail -20 "$WORK/txgw.log"; exit 1; }
stats "show stats" > "$WORK/stats.json"
stop_txgw
wait_smsc || exit 1

# again: the journal holds the drop, so nothing is held and nothing new published
start_txgw
stats "show info" > "$WORK/info.json"
stop_txgw

$PY - "$WORK" <<'PYEOF'
import base64, json, sys
work = sys.argv[1]
msgs = [json.loads(l) for l in open(work + "/bus.jsonl")]
st = json.load(open(work + "/stats.json"))
info = json.load(open(work + "/info.json"))
bad = []
p = msgs[0]["payload"]
raw = base64.b64decode(p["raw"])
if (msgs[0]["topic"], p["reason"], p["src"], p["bearer"]) != \
        ("txlog.reject", "incomplete", "886912345678", "sms") or "device" in p:
    bad.append("not the sender's incomplete reject: %r" % msgs[0])
# part 1 is the first half of a 112-byte frame: version 1, Ed25519, the device
if len(raw) != 56 or raw[:10] != bytes.fromhex("010200112233aabbccdd"):
    bad.append("raw is %s, want the 56 bytes of part 1" % raw.hex())
if p["error"] != "part 1 of 2 received; concat-timeout 2 s passed":
    bad.append("error %r" % p["error"])
for k, v in (("sms.concat_timeouts", 1), ("txlog.rejects", 1), ("bus.published", 1)):
    if st[k] != v:
        bad.append("%s is %d, want %d" % (k, st[k], v))
if (info["concat_partial"], info["journal_seq"]) != (0, 1):
    bad.append("after the restart: %d incomplete messages, journal_seq %d; want 0, 1" %
               (info["concat_partial"], info["journal_seq"]))
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("concat_timeout: part 1 of 2 published as incomplete after concat-timeout 2 s, "
      "raw = its 56 bytes; after a restart nothing held, nothing published again")
PYEOF
