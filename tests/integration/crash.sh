#!/usr/bin/env bash
# kill -9 txgw at random moments during SMS traffic, at least 20 times,
# and restart it each time on the same state directory.  The simulator
# (txgw-smsc-sim) stores and forwards: every deliver_sm not answered with
# ESME_ROK before a kill is sent again once the gateway binds again.
# Afterwards (bus.md: everything acknowledged is in the journal):
#   - the bus replayed from seq 1 to journal_seq (bus-sub.py) holds every
#     record of every upload the SMSC saw acknowledged, once, with its
#     alerts and rejects, seq gap-free (sim_compare.py against the
#     simulator's summary); no (device, counter) twice under two seqs:
#     a duplicate delivery is never republished, and no record here is
#     stale, so none may repeat;
#   - no seq reused: what a live subscriber saw for each seq, across all
#     the restarts, is what the journal replays for it, and nothing was
#     seen live beyond the journal's end;
#   - the kills hit traffic in flight (deliver_sm requeued), and txgw
#     still stops cleanly on SIGTERM at the end.
# TXGW_TEST_SEED repeats a run's kill moments; CRASH_KILLS (default 22).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
KILLS=${CRASH_KILLS:-22}
RANDOM=$SEED
echo "crash: $KILLS kills"

start_sim --seed "$SEED" --devices 8 --records-per-upload 6 --duration 32 --rate 200 \
	--resp-timeout 1 --retry-ms 100 --wait-bind 30 --drain 40 --reorder \
	--form mix --smpp-form mix --concat-ref mix --alg mix \
	--anomaly counter_gap:0.02 --anomaly balance_mismatch:0.02 --anomaly msisdn:0.02 \
	--anomaly replay:0.02 --anomaly revoked:0.02 --anomaly text:0.02
write_config "$WORK/reg.txt"
$PY "$TOP/tests/integration/sim_compare.py" --listen "tcp://127.0.0.1:$PUB_PORT" \
	--out "$WORK/live.jsonl" &
LIVE_PID=$!; PIDS+=("$LIVE_PID")
start_txgw

t0=$SECONDS
for k in $(seq "$KILLS"); do
	# each kill lands in traffic: the simulator has bound again and sent
	# to this txgw (a kill before it re-binds cannot catch a deliver_sm in
	# flight: on a loaded machine 22 of them once caught none)
	$PY "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock" wait smpp.deliver_sm 1 10 ||
		{ echo "FAIL: no deliver_sm within 10 s of restart $k"; exit 1; }
	ms=$((100 + RANDOM % 1001))		# 0.1 .. 1.1 s
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill -0 "$SIM_PID" 2>/dev/null || { echo "FAIL: the simulator ended before kill $k"; exit 1; }
	kill -9 "$TXGW_PID"
	{ wait "$TXGW_PID"; } 2>/dev/null || true
	rm -f "$WORK/stats.sock"
	start_txgw || { echo "FAIL: txgw did not come back after kill $k"; exit 1; }
done
echo "crash: $KILLS kills in $((SECONDS - t0)) s; waiting for the simulator to drain"

wait_sim 90
if [ "$SIM_RC" != 0 ]; then
	echo "FAIL: txgw-smsc-sim exit $SIM_RC: not every upload acknowledged"
	tail -6 "$WORK/sim.log"; exit 1
fi
tail -4 "$WORK/sim.log"
n=$(journal_seq)
subscribe "$n" 30 || { echo "FAIL: bus-sub.py could not read seq 1..$n"; exit 1; }
sleep 0.3			# the live stream's tail
kill -TERM "$LIVE_PID"; wait "$LIVE_PID" || true
rc=0
$PY "$TOP/tests/integration/sim_compare.py" --summary "$WORK/sim.json" --bus "$WORK/bus.jsonl" \
	--live "$WORK/live.jsonl" --repeats-ok --need 'smsc.binds>='"$((KILLS + 1))" \
	--need 'smsc.requeued>=1' --need 'totals.acked>=100' || rc=1
stop_txgw || rc=1
if grep -E "runtime error|Sanitizer|assert" "$WORK/txgw.log"; then rc=1; fi
[ $rc = 0 ] && echo "crash: ok" || echo "crash: FAIL"
exit $rc
