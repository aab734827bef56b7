#!/usr/bin/env bash
# txgw killed under handsets' traffic through a real osmo-msc, and
# osmo-msc restarted under it.
#
# txgw-handset-sim (12 handsets, about 15 uploads a second for 18 s) sends
# through the private core (tests/osmocom/core.sh) into txgw.  Meanwhile:
# txgw is killed with SIGKILL three times and restarted on its state
# directory each time; then osmo-msc is restarted, and must take txgw's
# bind again without help (txgw reconnects by itself) while the handsets
# register again (the new MSC's VLR is empty: CM SERVICE REJECT "IMSI
# unknown in VLR").  A handset whose SMS got RP-ERROR or no answer sends
# it again later.  Afterwards:
#   - every upload whose every SMS got its RP-ACK is on the bus, replayed
#     from seq 1, with its alerts and rejects (sim_compare.py against the
#     simulator's summary; a rejected frame sent again may be judged again);
#   - txgw was bound to the new osmo-msc, and stops cleanly.
# OSMO_SEED repeats the run's seed and kill moments.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/osmocom/lib.sh"
osmo_need osmocom_crash
osmo_setup
SEED=${OSMO_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
echo "osmocom_crash: seed $SEED"
FLEET=(--devices 12 --alg mix --records-per-upload 6 --seed "$SEED"
	--anomaly text:0.03 --anomaly replay:0.03 --anomaly counter_gap:0.03
	--anomaly revoked:0.03)

core_start
fleet_prepare "${FLEET[@]}"
fleet_provision "${FLEET[@]}"
txgw_up

# tries and back-off enough to outlast the MSC's restart (about 3 s)
hsim_start "${FLEET[@]}" "${LOAD[@]}" --duration 18 --rate 15 --concurrency 6 --form mix \
	--concat-ref mix --retry-ms 500 --retry-max-ms 4000 --tries 30 --guard 8 --drain 60 \
	--summary "$WORK/sim.json"
t0=$SECONDS
for k in 1 2 3; do
	ms=$((1500 + RANDOM % 1500))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill -0 "$HSIM_PID" 2>/dev/null || osmo_fail "the simulator ended before kill $k"
	kill -9 "$TXGW_PID"
	{ wait "$TXGW_PID"; } 2>/dev/null || true
	rm -f "$WORK/stats.sock"
	start_txgw || osmo_fail "txgw did not come back after kill $k"
done
echo "osmocom_crash: 3 kills of txgw in $((SECONDS - t0)) s"
wait_bound || osmo_fail "txgw did not bind again after the kills"
sleep 1.$((RANDOM % 10))
"$CORE" restart "$WORK/core" msc || osmo_fail "osmo-msc did not restart"
echo "osmocom_crash: osmo-msc restarted at $((SECONDS - t0)) s"
wait_bound 30 || osmo_fail "txgw did not bind to the new osmo-msc by itself"

hsim_wait 120
tail -5 "$WORK/hsim.log"
[ "$HSIM_RC" = 0 ] || [ "$HSIM_RC" = 1 ] || osmo_fail "txgw-handset-sim exit $HSIM_RC"
stats "show stats" > "$WORK/stats.json"
sim_check --stats "$WORK/stats.json" --repeats-ok --need 'totals.acked>=150' \
	--need 'handsets.retries>=1' \
	--need 'handsets.cm_reject>=1' --need 'gw.smpp.reconnects>=1' ||
	osmo_fail "the bus misses what the handsets saw acknowledged"
stop_txgw || osmo_fail "txgw did not stop cleanly"
if grep -E "runtime error|Sanitizer|assert" "$WORK/txgw.log"; then osmo_fail "txgw: sanitizer"; fi
echo "osmocom_crash: ok (seed $SEED)"
