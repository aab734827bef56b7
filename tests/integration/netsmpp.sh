#!/usr/bin/env bash
# An independent SMSC (Net::SMPP) sends txgw deliver_sm: a single-segment
# binary frame with a port UDH, a two-part frame concatenated with SAR TLVs,
# and a human text.  Every deliver_sm must be answered ESME_ROK, and the bus
# must carry exactly: 1 record, 3 records, 1 not_txlog reject, seq 1..5.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup

netsmpp_deliver "$WORK/deliver.txt"

write_config
start_smsc "$WORK/deliver.txt"
start_txgw
wait_smsc || exit 1
cat "$WORK/smsc.log"
subscribe 5 || { echo "FAIL: bus incomplete"; cat "$WORK/txgw.log"; exit 1; }
stop_txgw

$PY - "$WORK/bus.jsonl" <<'PYEOF'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
got = [(m["topic"], m["payload"].get("device"), m["payload"].get("counter"),
        m["payload"].get("reason")) for m in msgs]
want = [("txlog.record", "00112233aabbccdd", 1001, None),
        ("txlog.record", "0a0b0c0d0e0f1011", 8, None),
        ("txlog.record", "0a0b0c0d0e0f1011", 9, None),
        ("txlog.record", "0a0b0c0d0e0f1011", 10, None),
        ("txlog.reject", None, None, "not_txlog")]
for m in msgs:
    p = m["payload"]
    assert p["v"] == 1 and p["gw"] == "gw-test" and p["bearer"] == "sms", p
assert [m["payload"]["seq"] for m in msgs] == [1, 2, 3, 4, 5]
assert msgs[1]["payload"]["src"] == "+886912345678"
if got != want:
    print("FAIL: bus has", got, "want", want); sys.exit(1)
print("netsmpp: 5 deliver_sm answered ESME_ROK, bus seq 1..5 as expected")
PYEOF
