#!/usr/bin/env bash
# The downlink's faults against txgw-smsc-sim (doc/downlink.md), checked as
# downlink_sim.sh checks (downlink_check.py):
#   faults     ESME_RTHROTTLED every 5th submit_sm (retried after 5 s),
#              ESME_RINVDSTADR for one destination (failed), UNDELIV
#              receipts for another (failed after submitted)
#   drops      connections dropped after a submit_sm, answers never sent
#              (response-timeout 2): every message ends, each one the SMSC
#              got twice was named "submitted again" in the log, and
#              downlink.resubmitted counts at least those
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
BASE=$WORK

case_faults() {
	start_sim --no-uploads --duration 600 --devices 2 --mt-throttle-every 5 \
		--mt-fail 886955500009 --receipt-fail 886955500002 --receipt-delay 50
	dl_config "$WORK/reg.txt" "rate 100"
	start_txgw
	dl_requests 10 2 to=886912345678,886955500009,886955500002,+886955500003 receipt=1 \
		fail=886955500009 undeliv=886955500002
	dl_send --wait 50 || true
	retries=$(dl_stat downlink.retries)
	[ "$retries" -ge 1 ] || { echo "no retry after ESME_RTHROTTLED"; return 1; }
	dl_check
	stop_txgw
	dl_sim_stop
	dl_check_sim
	echo "retries $retries"
}

case_drops() {
	start_sim --no-uploads --duration 600 --devices 2 --mt-drop-every 8 --mt-silent-every 11 \
		--receipt-delay 50
	ESME_LINES=("response-timeout 2")
	dl_config "$WORK/reg.txt" "rate 100"
	start_txgw
	dl_requests 12 3 to=886912345678,886955500001 receipt=3 sizes=20,133,134,300
	dl_send --wait 50 || true
	dl_check --unended-ok
	resub=$(dl_stat downlink.resubmitted)
	stop_txgw
	dl_sim_stop
	dl_check_sim --unended-ok
	$PY - "$WORK/sim.json" "$resub" <<'PYEOF'
import json, sys
mt, resub = json.load(open(sys.argv[1]))["mt"], int(sys.argv[2])
twice = sum(1 for m in mt["messages"] if m["copies"] > 1)
assert mt["dropped"] >= 1 and mt["silent"] >= 1, mt
assert resub >= twice, "downlink.resubmitted %d < %d messages the SMSC got twice" % (resub, twice)
print("dropped %d, unanswered %d; resubmitted %d, the SMSC got %d twice" %
      (mt["dropped"], mt["silent"], resub, twice))
PYEOF
}

run_case faults
run_case drops
cases_done downlink_faults
