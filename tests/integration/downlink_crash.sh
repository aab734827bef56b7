#!/usr/bin/env bash
# kill -9 txgw at random moments during a downlink burst, at least 10
# times, restarting it each time on the same state directory.  The
# requests go with contrib/txgw-send, which sends again what was not
# answered (SEND is idempotent by id) and follows the bus until every
# message has ended; the simulator (txgw-smsc-sim) takes submit_sm and
# sends receipts, store and forward.  Afterwards (downlink.md: "delivery
# is at least once, never lost"):
#   - every request was answered QUEUED, and each id has exactly one
#     queued event, then failed, submitted, or submitted and delivered
#     (the bus replayed from seq 1, gap-free: downlink_check.py);
#   - every message submitted is at the SMSC with its payload and parts;
#     one the SMSC got twice was named "submitted again" in txgw's log
#     (its earlier submit_sm's answer died with a txgw), and the kills
#     did cut submissions (downlink.resubmitted counted, in the last run
#     or in the log);
#   - txgw still stops cleanly on SIGTERM at the end.
# DLCRASH_SEED repeats a run's kill moments; DLCRASH_KILLS (default 12).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
SEED=${DLCRASH_SEED:-$(($(date +%s) % 100000))}
KILLS=${DLCRASH_KILLS:-12}
RANDOM=$SEED
echo "downlink_crash: seed $SEED, $KILLS kills"

start_sim --no-uploads --duration 600 --devices 2 --receipt-delay 100 --retry-ms 200 --resp-timeout 1
ESME_LINES=("response-timeout 2")
dl_config "$WORK/reg.txt" "rate 20"
dl_requests 160 "$SEED" to=886912345678,+886955500001,886955500002,886955500003 receipt=2 \
	sizes=10,133,134,300
start_txgw
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --publish "tcp://127.0.0.1:$PUB_PORT" \
	--replay "tcp://127.0.0.1:$REPLAY_PORT" --json --follow --wait 75 --timeout 1 --retry 1000 \
	--window 40 "$WORK/reqs.jsonl" >"$WORK/answers.jsonl" 2>"$WORK/send.log" &
SEND_PID=$!; PIDS+=("$SEND_PID")

t0=$SECONDS
for k in $(seq "$KILLS"); do
	ms=$((300 + RANDOM % 1201))		# 0.3 .. 1.5 s
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill -9 "$TXGW_PID"
	{ wait "$TXGW_PID"; } 2>/dev/null || true
	rm -f "$WORK/stats.sock"
	start_txgw || { echo "FAIL: txgw did not come back after kill $k"; exit 1; }
done
echo "downlink_crash: $KILLS kills in $((SECONDS - t0)) s; waiting for every message to end"
rc=0
wait "$SEND_PID" || rc=$?
tail -2 "$WORK/send.log"
[ $rc = 0 ] || { echo "FAIL: txgw-send exit $rc: not every message ended"; exit 1; }
resub=$(dl_stat downlink.resubmitted)
logged=$(grep -c "submitted again" "$WORK/txgw.log" || true)
dl_check
stop_txgw || { echo "FAIL: txgw did not stop cleanly"; exit 1; }
dl_sim_stop
tail -1 "$WORK/sim.log"
dl_check_sim
if grep -E "runtime error|Sanitizer|assert" "$WORK/txgw.log"; then exit 1; fi
[ "$logged" -ge 1 ] || { echo "FAIL: no kill cut a submission (none submitted again); seed $SEED"; exit 1; }
echo "downlink_crash: ok (seed $SEED): $logged submissions named again across the restarts" \
	"(downlink.resubmitted $resub in the last run)"
