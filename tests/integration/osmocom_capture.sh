#!/usr/bin/env bash
# Wireshark's word on what crossed the private Osmocom core: a loopback
# capture (dumpcap) of the A interface (M3UA over the SCTP shim's TCP,
# made readable by tests/osmocom/m3ua_pcap.py) and of osmo-msc's SMPP to
# txgw, decoded by tshark and checked against what txgw-handset-sim sent
# (tests/osmocom/capture_check.py): every SMS-SUBMIT with its TP-MR,
# TP-DA, TP-DCS, TP-UDL and UDH on the A interface; one deliver_sm each,
# answered, with the TP-DA, UDHI and TP-MR carried over.  Two SMS sent to
# idle handsets from osmo-msc's VTY (7-bit, extension characters too) are
# paged, answered, received and decoded by the handsets (the summary's
# "mt"), as Wireshark saw them.  (The VTY cannot send one too long for one SMS: it
# makes a single SMS-DELIVER with TP-UDL over 160, which handsets refuse.)  The bus still matches the summary.  The deliver_sm
# facts (service_type, TON/NPI, esm_class, data_coding by TP-DCS) are
# printed: doc/osmocom.md states them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/osmocom/lib.sh"
osmo_need osmocom_capture
command -v dumpcap >/dev/null && command -v tshark >/dev/null ||
	{ echo "FAIL: osmocom_capture: dumpcap and tshark are needed (Debian package tshark)"; exit 1; }
osmo_setup
SEED=${OSMO_SEED:-$(($(date +%s) % 100000))}
echo "osmocom_capture: seed $SEED"
FLEET=(--devices 6 --records-per-upload 12 --seed "$SEED" --anomaly text:0.1)

core_start
fleet_prepare "${FLEET[@]}"
fleet_provision "${FLEET[@]}"
txgw_up

dumpcap -P -i lo -f "host $CORE_IP and (tcp port $M3UA_PORT or tcp port $SMPP_PORT)" \
	-w "$WORK/cap.pcap" 2>"$WORK/dumpcap.log" &
CAP_PID=$!; PIDS+=("$CAP_PID")
for _ in $(seq 100); do grep -q "^File:" "$WORK/dumpcap.log" && break; sleep 0.1; done
grep -q "^File:" "$WORK/dumpcap.log" || { cat "$WORK/dumpcap.log"; osmo_fail "dumpcap did not start"; }

# MO traffic; then, the handsets idle, two SMS to them from the MSC's VTY
M1=$(awk 'NR == 1 { print $2 }' "$WORK/subs.txt")
M2=$(awk 'NR == 2 { print $2 }' "$WORK/subs.txt")
TEXT2="second: {ok} [done] ~ | ^ a message of 7-bit extension characters"
hsim "${FLEET[@]}" "${LOAD[@]}" --per-handset 4 --form mix --concat-ref mix \
	--summary "$WORK/sim.json" --tpdu-out "$WORK/tpdus.hex"
[ "$HSIM_RC" = 0 ] || osmo_fail "txgw-handset-sim exit $HSIM_RC"
tail -3 "$WORK/hsim.log"
hsim_start "${LOAD[@]}" --mt-only --ready "$WORK/hsim.ready" --linger 30 --until-mt 2 \
	--summary "$WORK/mt.json"
for _ in $(seq 150); do [ -s "$WORK/hsim.ready" ] && break; sleep 0.1; done
[ -s "$WORK/hsim.ready" ] || osmo_fail "the handsets did not register again"
$PY "$TOP/tests/integration/vty_client.py" --host "$CORE_IP" "$MSC_VTY" enable \
	"subscriber msisdn $M1 sms sender msisdn $M2 send hello from the core" \
	"subscriber msisdn $M2 sms sender msisdn $M1 send $TEXT2" > "$WORK/vty.json" ||
	osmo_fail "osmo-msc's VTY"
grep -q "No subscriber" "$WORK/vty.json" && { cat "$WORK/vty.json"; osmo_fail "osmo-msc's VTY"; }
hsim_wait 40
[ "$HSIM_RC" = 0 ] || osmo_fail "txgw-handset-sim --mt-only exit $HSIM_RC"
sleep 0.5			# the last packets into the file
kill -TERM "$CAP_PID"; wait "$CAP_PID" || true

$PY "$TOP/tests/osmocom/m3ua_pcap.py" "$WORK/cap.pcap" "$M3UA_PORT" "$WORK/a.pcapng" ||
	osmo_fail "the A interface's stream did not cut into M3UA messages"
fields() {
	$PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import capture_check as c; print(" ".join("-e " + f for f in getattr(c, sys.argv[2])))' \
		"$TOP/tests/osmocom" "$1"
}
# shellcheck disable=SC2046
tshark -n -r "$WORK/a.pcapng" -Y gsm_sms -T fields -E occurrence=a -E aggregator=, \
	$(fields FIELDS_A) > "$WORK/a.tsv" 2>"$WORK/tshark.log" || osmo_fail "tshark (A interface)"
# shellcheck disable=SC2046
tshark -n -r "$WORK/cap.pcap" -d "tcp.port==$SMPP_PORT,smpp" -Y smpp -T json -J smpp \
	> "$WORK/smpp.json" 2>>"$WORK/tshark.log" || osmo_fail "tshark (SMPP)"
$PY "$TOP/tests/osmocom/capture_check.py" --tpdus "$WORK/tpdus.hex" --a "$WORK/a.tsv" \
	--smpp "$WORK/smpp.json" --summary "$WORK/mt.json" || osmo_fail "the capture differs"
$PY - "$WORK/mt.json" "$M1" "$M2" "$TEXT2" <<'PYEOF' || osmo_fail "the handsets did not get the two SMS"
import json, sys
d = json.load(open(sys.argv[1]))
mt = d["mt"]
want = {(sys.argv[2], "hello from the core"), (sys.argv[3], sys.argv[4])}
got = {(m["msisdn"], m.get("text")) for m in mt}
print("osmocom_capture: mt %s; paged %d" % ([(m["msisdn"], m["parts"], m["dcs"], m["from"]) for m in mt],
      d["handsets"]["paged"]))
sys.exit(0 if want <= got and d["handsets"]["paged"] >= 2 else 1)
PYEOF
stats "show stats" > "$WORK/stats.json"
sim_check --stats "$WORK/stats.json" --all-acked || osmo_fail "the bus differs from the summary"
stop_txgw || osmo_fail "txgw did not stop cleanly"
echo "osmocom_capture: ok (seed $SEED)"
