#!/usr/bin/env bash
# The SMS path end to end with each anomaly of txlog-v1.md ("What the
# gateway checks"), one named case each: txgw-smsc-sim makes a quarter of
# the uploads anomalous, txgw judges them, bus-sub.py reads the bus and
# sim_compare.py holds it to the simulator's summary exactly (records,
# alerts with their details right after their records, rejects, seq
# 1..N).  Each case also checks that its anomaly happened and produced
# exactly its own alerts and rejects.  TXGW_TEST_SEED repeats a run (it
# is the seed of every case).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
S=$SEED
# 80 uploads: with a random seed, fewer than 3 of the quarter made
# anomalous is a 1e-8 chance (40 made it 1e-3, and every case shares the
# seed, so all fail together)
COMMON=(--devices 5 --records-per-upload 4 --count 80 --seed "$S")

# a frame with one signature bit flipped: reject bad_signature
sim_case bad_signature --need 'anomalies.bad_signature>=3' \
	--need 'bus.reject.bad_signature==anomalies.bad_signature' --need 'bus.alerts==0' \
	-- "${COMMON[@]}" --anomaly bad_signature:0.25 --alg mix

# a device the registry does not list: reject unknown_device
sim_case unknown_device --need 'anomalies.unknown_device>=3' \
	--need 'bus.reject.unknown_device==anomalies.unknown_device' --need 'bus.alerts==0' \
	-- "${COMMON[@]}" --anomaly unknown_device:0.25 --form gsm7

# another frame under an accepted upload_seq: reject replay, alert replay
sim_case replay --need 'anomalies.replay>=3' --need 'bus.reject.replay==anomalies.replay' \
	--need 'bus.alert.replay==anomalies.replay' \
	-- "${COMMON[@]}" --anomaly replay:0.25 --alg ecdsa

# counters skipped: alert counter_gap {expected, got} after the record
sim_case counter_gap --need 'anomalies.counter_gap>=3' \
	--need 'bus.alert.counter_gap==anomalies.counter_gap' --need 'bus.rejects==0' \
	-- "${COMMON[@]}" --anomaly counter_gap:0.25 --form ucs2

# a balance that does not follow: alert balance_mismatch after the record
sim_case balance_mismatch --need 'anomalies.balance_mismatch>=3' \
	--need 'bus.alert.balance_mismatch==anomalies.balance_mismatch' --need 'bus.rejects==0' \
	-- "${COMMON[@]}" --anomaly balance_mismatch:0.25 --smpp-form sar

# sent from another number than the registered one: records, then alert
# msisdn_mismatch {registered, got} for the frame
sim_case msisdn_mismatch --need 'anomalies.msisdn>=3' \
	--need 'bus.alert.msisdn_mismatch==anomalies.msisdn' --need 'bus.rejects==0' \
	-- "${COMMON[@]}" --anomaly msisdn:0.25 --smpp-form payload

# a revoked device: reject revoked and alert revoked_device
sim_case revoked --need 'anomalies.revoked>=3' --need 'bus.reject.revoked==anomalies.revoked' \
	--need 'bus.alert.revoked_device==anomalies.revoked' \
	-- "${COMMON[@]}" --anomaly revoked:0.25 --alg mix --form binary

# a person texting the service number: reject not_txlog with its src
sim_case text --need 'anomalies.text>=3' --need 'bus.reject.not_txlog==anomalies.text' \
	--need 'bus.alerts==0' \
	-- "${COMMON[@]}" --anomaly text:0.25 --form gsm7 --smpp-form mix

sim_done sim_anomalies
