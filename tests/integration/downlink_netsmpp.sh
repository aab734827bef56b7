#!/usr/bin/env bash
# An independent SMSC (Net::SMPP, netsmpp_mt.pl) takes txgw's downlink and
# writes down every submit_sm; checked byte for byte against
# doc/downlink.md: source_addr "16354" (TON 0, NPI 1), destination TON 1
# NPI 1 for "+..." and registry numbers, TON 0 NPI 1 for a plain msisdn
# under "plain-msisdn unknown", esm_class 0x40, data_coding 0x04,
# registered_delivery 1 only when a receipt was asked, short_message a
# UDH with the 16-bit port IE 16354 both ways (06 05 04 3f e2 3f e2),
# then the payload; 300 bytes as three parts (0b 00 03 ref 03 n, then
# the port IE) of 128, 128 and 44 octets under one reference; each with a
# user_message_reference of the reference and the part.  Its receipts, by
# text and by TLV, make those messages delivered on the bus.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
: >"$WORK/smsc.log"
perl "$TOP/tests/integration/netsmpp_mt.pl" "$SMSC_PORT" "$WORK/submit.jsonl" 5 >"$WORK/smsc.log" 2>&1 &
SMSC_PID=$!; PIDS+=("$SMSC_PID")
for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" && break; sleep 0.1; done
dl_config "$TOP/tests/vectors/devices.txt" "plain-msisdn unknown"
start_txgw
$PY - "$WORK/reqs.jsonl" "$WORK/expect.json" <<'PYEOF'
import base64, json, sys
P = lambda b: base64.b64encode(b).decode()
reqs = [{"id": "single", "msisdn": "+886912345678", "payload": P(b"\xde\xad\xbe\xef" * 3), "receipt": True},
        {"id": "three", "device": "00112233aabbccdd", "payload": P(bytes(range(256)) + bytes(44))},
        {"id": "plain", "msisdn": "886955500001", "payload": P(b"x" * 133), "receipt": True}]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in reqs))
json.dump({}, open(sys.argv[2], "w"))
PYEOF
dl_send --wait 20 || { cat "$WORK/send.log" "$WORK/smsc.log"; exit 1; }
wait "$SMSC_PID" || { echo "FAIL: the SMSC"; cat "$WORK/smsc.log"; exit 1; }
cat "$WORK/smsc.log"
dl_check
stop_txgw
$PY - "$WORK/submit.jsonl" <<'PYEOF'
import json, sys
sub = [json.loads(l) for l in open(sys.argv[1])]
assert len(sub) == 5, len(sub)
for s in sub:
    assert (s["source_addr"], s["source_addr_ton"], s["source_addr_npi"]) == ("16354", 0, 1), s
    assert s["esm_class"] == 0x40 and s["data_coding"] == 0x04 and s["protocol_id"] == 0, s
PORT = "05043fe23fe2"
one = [s for s in sub if s["destination_addr"] == "886912345678" and s["registered_delivery"] == 1]
assert len(one) == 1 and one[0]["dest_addr_ton"] == 1 and one[0]["dest_addr_npi"] == 1, one
assert one[0]["short_message"] == "06" + PORT + "deadbeef" * 3, one[0]["short_message"]
three = [s for s in sub if s["destination_addr"] == "886912345678" and s["registered_delivery"] == 0]
assert len(three) == 3 and all(s["dest_addr_ton"] == 1 and s["dest_addr_npi"] == 1 for s in three)
data, refs = b"", set()
for n, s in enumerate(three, 1):
    sm = bytes.fromhex(s["short_message"])
    assert sm[:3] == b"\x0b\x00\x03" and sm[4:6] == bytes([3, n]) and sm[6:12].hex() == PORT, sm[:12].hex()
    refs.add(sm[3])
    assert len(sm) - 12 == [128, 128, 44][n - 1], len(sm)
    data += sm[12:]
assert len(refs) == 1 and data == bytes(range(256)) + bytes(44), (refs, len(data))
# user_message_reference: 2 octets, the reference's low 5 bits, then the part from 0
umr = [int(s["user_message_reference"], 16) for s in three]
assert [len(s["user_message_reference"]) for s in sub] == [4] * 5, sub
ref = next(iter(refs))
assert umr == [((ref << 3) & 0xff) | k for k in range(3)], umr
plain = [s for s in sub if s["destination_addr"] == "886955500001"]
assert len(plain) == 1 and plain[0]["dest_addr_ton"] == 0 and plain[0]["dest_addr_npi"] == 1, plain
assert plain[0]["registered_delivery"] == 1
assert plain[0]["short_message"] == "06" + PORT + "78" * 133, "133 octets in one SMS"
print("downlink_netsmpp: 5 submit_sm byte for byte as downlink.md says; 2 receipts (text, TLV) "
      "delivered them")
PYEOF
