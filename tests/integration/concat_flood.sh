#!/usr/bin/env bash
# Incomplete concatenations and repeats through SMPP (concat_smsc.py):
#  - dupes: an upload in two parts delivered twice: one record on the bus,
#    sms.duplicate_parts 2, nothing counted as a duplicate frame;
#  - flood: part 1 of 2 of an upload from 886912345678, acknowledged; then
#    886955500001 opens FLOOD (10,000) one-part messages; then part 2.  The
#    upload completes (its record is on the bus): the flooder evicts only
#    its own messages beyond its budget of 16, and each one evicted is on
#    the bus as a txlog.reject "incomplete" with its part in raw.
# Every deliver_sm gets ESME_ROK.  FLOOD=100001 is the audit's size: past
# the global limit of 100,000 (before, the upload's part 1 was evicted).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
FLOOD=${FLOOD:-10000}

start_concat_smsc dupes,flood --flood "$FLOOD"
write_config
start_txgw
concat_smsc_sent $((4 + FLOOD + 2)) || exit 1
cat "$WORK/smsc.log"
subscribe $((2 + FLOOD - 16)) 30 || { echo "FAIL: bus incomplete"; tail -20 "$WORK/txgw.log"; exit 1; }
stats "show stats" > "$WORK/stats.json"
stats "show info" > "$WORK/info.json"
stop_txgw
wait_smsc || exit 1

$PY - "$WORK" "$FLOOD" <<'PYEOF'
import base64, json, re, sys
work, flood = sys.argv[1], int(sys.argv[2])
msgs = [json.loads(l) for l in open(work + "/bus.jsonl")]
st = json.load(open(work + "/stats.json"))
info = json.load(open(work + "/info.json"))
bad = []
recs = [m["payload"] for m in msgs if m["topic"] == "txlog.record"]
rej = [m["payload"] for m in msgs if m["topic"] == "txlog.reject"]
if [(r["src"], r["counter"]) for r in recs] != [("886912345678", 1), ("886912345678", 2)]:
    bad.append("records %r, want counters 1 (dupes) and 2 (the flood's victim)" % recs)
if len(rej) != flood - 16 or len(msgs) != len(rej) + 2:
    bad.append("%d rejects, %d messages; want %d incomplete rejects" % (len(rej), len(msgs), flood - 16))
want_err = re.compile(r"part 1 of \d+ received; evicted: sender over its budget of 16 open messages")
odd = [r for r in rej if (r["reason"], r["src"], bool(want_err.fullmatch(r["error"])),
                          base64.b64decode(r["raw"]), "device" in r) !=
       ("incomplete", "886955500001", True, b"flood", False)]
if odd:
    bad.append("%d rejects are not the flooder's incomplete ones, e.g. %r" % (len(odd), odd[0]))
for k, v in (("sms.duplicate_parts", 2), ("txlog.duplicates", 0), ("sms.concat_evicted", flood - 16),
             ("sms.concat_timeouts", 0), ("txlog.rejects", flood - 16), ("txlog.records", 2),
             ("sms.segments", 4 + flood + 2)):
    if st[k] != v:
        bad.append("%s is %d, want %d" % (k, st[k], v))
if info["concat_partial"] != 16:
    bad.append("concat_partial %d, want the flooder's 16" % info["concat_partial"])
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("concat_flood: re-delivered upload recorded once (2 duplicate parts); %d one-part messages "
      "from one sender: its %d evicted published as incomplete, the other sender's upload "
      "completed" % (flood, flood - 16))
PYEOF
