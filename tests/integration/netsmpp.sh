#!/usr/bin/env bash
# An independent SMSC (Net::SMPP) sends txgw deliver_sm: a single-segment
# binary frame with a port UDH, a two-part frame concatenated with SAR TLVs,
# and a human text.  Every deliver_sm must be answered ESME_ROK, and the bus
# must carry exactly: 1 record, 3 records, 1 not_txlog reject, seq 1..5.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup

# The deliver_sm lines from the vectors: UDH kept for the single one; for
# the concatenated one the concat IE becomes SAR TLVs, the port IE stays.
$PY - "$TOP/tests/vectors/vectors.json" > "$WORK/deliver.txt" <<'PYEOF'
import json, sys
v = {c["name"]: c for c in json.load(open(sys.argv[1]))}

def submit_ud(hexstr):
    b = bytes.fromhex(hexstr)
    fo = b[0]; i = 2
    n = b[i]; i += 2 + (n + 1) // 2          # TP-DA
    i += 1; dcs = b[i]; i += 1                # TP-PID, TP-DCS
    vpf = (fo >> 3) & 3
    i += {0: 0, 2: 1}.get(vpf, 7)
    i += 1                                    # TP-UDL (octets here: DCS 4)
    assert dcs == 4
    return b[i:], bool(fo & 0x40)

def ies(udh):
    out, i = [], 1
    while i < len(udh):
        out.append((udh[i], udh[i + 2:i + 2 + udh[i + 1]])); i += 2 + udh[i + 1]
    return out

ud, udhi = submit_ud(v["tpdu-binary-port"]["tpdus"][0])
print("40 04 886912345678", ud.hex())
for t in v["tpdu-binary-concat"]["tpdus"]:
    ud, udhi = submit_ud(t)
    udh = ud[:ud[0] + 1]
    keep = b"".join(bytes([iei, len(d)]) + d for iei, d in ies(udh) if iei != 0)
    ref, total, seq = [d for iei, d in ies(udh) if iei == 0][0]
    print("40 04 +886912345678", (bytes([len(keep)]) + keep + ud[len(udh):]).hex(),
          "sar_msg_ref_num=%04x sar_total_segments=%02x sar_segment_seqnum=%02x" % (ref, total, seq))
print("00 01 886955500009", "hello, what is my balance?".encode().hex())
PYEOF

write_config
perl "$TOP/tests/integration/netsmpp_smsc.pl" "$SMSC_PORT" "$WORK/deliver.txt" > "$WORK/smsc.log" 2>&1 &
SMSC_PID=$!; PIDS+=("$SMSC_PID")
for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && break; sleep 0.1; done
start_txgw
rc=0; wait "$SMSC_PID" || rc=$?
cat "$WORK/smsc.log"
[ "$rc" = 0 ] || { echo "FAIL: the SMSC did not get ESME_ROK for everything"; cat "$WORK/txgw.log"; exit 1; }
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
