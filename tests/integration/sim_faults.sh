#!/usr/bin/env bash
# The SMS path end to end under SMSC faults, one named case each: the
# simulator (txgw-smsc-sim) -> txgw over a real SMPP socket -> the bus read
# by tests/tools/bus-sub.py, compared exactly with the simulator's summary
# by sim_compare.py (every record once, every alert and reject, seq 1..N
# gap-free, alerts right after their records).  Each case also shows its
# fault did happen (the simulator's and the daemon's counters).
# TXGW_TEST_SEED repeats a run (it is the seed of every case).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
S=$SEED
COMMON=(--devices 6 --records-per-upload 6 --seed "$S" --resp-timeout 2 --retry-ms 100)

# the connection closed 0.1 s after every 25th PDU: unanswered deliver_sm
# go again after the gateway binds again (store and forward)
sim_case drop --need 'smsc.drops>=2' --need 'smsc.binds>=3' \
	-- "${COMMON[@]}" --count 60 --drop-every 25

# every response of the SMSC 400 ms late (bind_resp, enquire_link_resp);
# the gateway keeps the line up with enquire_link every second
sim_case delay --esme "enquire-link-interval 1" --need 'smsc.enquire_rx>=1' \
	-- "${COMMON[@]}" --count 40 --delay-ms 400 --rate 25

# every 2nd bind answered ESME_RTHROTTLED: the gateway backs off and binds
# again (drops make it bind several times)
sim_case throttled --need 'smsc.throttled>=1' --need 'smsc.binds>=2' \
	-- "${COMMON[@]}" --count 50 --throttle-every 2 --drop-every 30

# a malformed PDU before every 4th deliver_sm (unknown command_id,
# sm_length past the body, a body cut inside a field): the unknown command
# gets generic_nack, the unreadable deliver_sm a deliver_sm_resp with an
# error status (SMPP 3.4 §2.8: a request is answered by its response; the
# simulator counts it as a late answer, as none of its own is in flight);
# the stream stays in step, nothing is published for them
sim_case corrupt --need 'smsc.corrupt_sent>=6' --need 'smsc.generic_nacks>=2' \
	--need 'gw.smpp.generic_nack_tx==smsc.generic_nacks' --need 'smsc.late_resps>=4' \
	-- "${COMMON[@]}" --count 50 --corrupt-every 4

# every 3rd deliver_sm sent twice: a duplicate frame is counted, never
# published twice (sim_compare: every record exactly once)
sim_case duplicate --need 'smsc.dup_sent>=5' --need 'gw.smpp.deliver_sm>smsc.acked' \
	-- "${COMMON[@]}" --count 50 --duplicate-every 3

# segments of each message shuffled, and uploads of different devices
# within windows of 4: reassembly out of order, order per device kept
sim_case reorder --need 'totals.sms>totals.uploads' --need 'gw.sms.messages==totals.uploads' \
	-- "${COMMON[@]}" --count 60 --reorder --records-per-upload 12 --form mix

# all of them at once, with every anomaly: a rejected frame delivered
# twice is rejected twice (nothing remembers a rejected frame)
sim_case all --repeats-ok --esme "enquire-link-interval 1" --need 'smsc.drops>=1' --need 'smsc.dup_sent>=1' \
	--need 'smsc.corrupt_sent>=1' --need 'bus.alerts>0' --need 'bus.rejects>0' \
	-- "${COMMON[@]}" --count 80 --reorder --drop-every 60 --duplicate-every 7 \
	--corrupt-every 9 --throttle-every 2 --delay-ms 50 --form mix --smpp-form mix \
	--concat-ref mix --alg mix --anomaly bad_signature:0.03 --anomaly replay:0.03 \
	--anomaly counter_gap:0.03 --anomaly balance_mismatch:0.03 --anomaly msisdn:0.03 \
	--anomaly revoked:0.03 --anomaly unknown_device:0.03 --anomaly text:0.03

sim_done sim_faults
