#!/usr/bin/env bash
# Handsets' uploads through a real Osmocom core into txgw and onto the bus.
#
# A private core on loopback (tests/osmocom/core.sh: osmo-stp, osmo-hlr,
# osmo-msc; osmo-msc's SMSC hands every SMS to the ESME txgw), txgw bound
# to it, and txgw-handset-sim playing a BSC with 20 handsets: each
# registers, then sends 10 uploads as mobile-originated SMS in every form
# a handset uses (8-bit with the port UDH, 7-bit and UCS-2 armoured text,
# concatenated with 8- and 16-bit references), with anomalies, revoked and
# unregistered devices' frames from their own handsets.  One handset's SIM
# is known to the HLR under another MSISDN than the registry's: every
# frame of it must raise msisdn_mismatch, with the HLR's number as src.
# The bus (replayed from seq 1) must match the simulator's summary
# exactly (sim_compare.py), every upload acknowledged.
# OSMO_SEED repeats a run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/osmocom/lib.sh"
osmo_need osmocom_mo
osmo_setup
SEED=${OSMO_SEED:-$(($(date +%s) % 100000))}
echo "osmocom_mo: seed $SEED"
FLEET=(--devices 20 --alg mix --records-per-upload 8 --seed "$SEED"
	--anomaly text:0.04 --anomaly bad_signature:0.03 --anomaly replay:0.03
	--anomaly counter_gap:0.03 --anomaly balance_mismatch:0.03 --anomaly revoked:0.03
	--anomaly unknown_device:0.03)

core_start

# The fleet, then the swapped SIM: the HLR knows the first device's SIM
# under another number.
fleet_prepare "${FLEET[@]}"
M=$(awk '!/^#/ && NF >= 6 && $5 == "active" { print $4; exit }' "$WORK/reg.txt")
X=${M%???}999
LOAD+=(--hlr-msisdn "$M=$X")
fleet_provision "${FLEET[@]}"
# core.sh derives the same SIMs from the registry alone (phantoms aside)
"$CORE" subscribers "$WORK/reg.txt" "$M=$X" > "$WORK/subs-reg.txt"
if [ -n "$(comm -23 <(sort "$WORK/subs-reg.txt") <(sort "$WORK/subs.txt"))" ]; then
	diff "$WORK/subs-reg.txt" "$WORK/subs.txt" || true
	osmo_fail "core.sh subscribers and the simulator disagree on the SIMs"
fi
txgw_up

t0=$SECONDS
hsim "${FLEET[@]}" "${LOAD[@]}" --per-handset 10 --concurrency 12 --form mix --concat-ref mix \
	--summary "$WORK/sim.json" --tpdu-out "$WORK/tpdus.hex" --drain 60
[ "$HSIM_RC" = 0 ] || osmo_fail "txgw-handset-sim exit $HSIM_RC: not every upload acknowledged"
tail -4 "$WORK/hsim.log"
echo "osmocom_mo: traffic took $((SECONDS - t0)) s"

# every form a handset uses went out (TP-DCS, the UDH's IEs)
$PY - "$WORK/tpdus.hex" <<'PYEOF' || osmo_fail "not every form was sent"
import sys
seen = set()
for line in open(sys.argv[1]):
    b = bytes.fromhex(line.split()[0])
    i = 2 + 2 + (b[2] + 1) // 2             # first octet, TP-MR, TP-DA
    dcs = b[i + 1]
    seen.add("dcs%02x" % dcs)
    if b[0] & 0x40:                         # TP-UDHI: walk the header's IEs
        ud = b[i + 3:]
        j = 1
        while j < 1 + ud[0]:
            seen.add("iei%02x" % ud[j]); j += 2 + ud[j + 1]
want = {"dcs04", "dcs00", "dcs08", "iei00", "iei08", "iei05"}
print("osmocom_mo: forms seen: %s" % " ".join(sorted(seen)))
sys.exit(0 if want <= seen else 1)
PYEOF

stats "show stats" > "$WORK/stats.json"
sim_check --stats "$WORK/stats.json" --all-acked \
	--need 'totals.uploads>=200' --need 'totals.sms>totals.uploads' \
	--need 'bus.alert.msisdn_mismatch>=1' --need 'anomalies.msisdn>=1' \
	--need 'gw.sms.messages==totals.uploads' --need 'gw.txlog.records==bus.records' ||
	osmo_fail "the bus differs from the handsets' summary"
# the swapped SIM's frames came from the HLR's number, not the registry's
$PY - "$WORK/bus.jsonl" "$M" "$X" <<'PYEOF' || osmo_fail "msisdn_mismatch does not name the HLR's number"
import json, sys
m, x = sys.argv[2], sys.argv[3]
al = [json.loads(l)["payload"] for l in open(sys.argv[1])]
mm = [p for p in al if p.get("kind") == "msisdn_mismatch"]
bad = [p for p in mm if p["detail"] != {"registered": m, "got": x} or p["src"] != x]
print("osmocom_mo: %d msisdn_mismatch alerts, registered %s, got %s" % (len(mm), m, x))
sys.exit(1 if bad or not mm else 0)
PYEOF
stop_txgw || osmo_fail "txgw did not stop cleanly"
echo "osmocom_mo: ok (seed $SEED)"
