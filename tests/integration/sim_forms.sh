#!/usr/bin/env bash
# The SMS path end to end in every form a handset and an SMSC use, one
# named case each: how the handset sends (--form binary|gsm7|ucs2), how the
# SMSC hands it over (--smpp-form udh|sar|payload), 8- and 16-bit
# concatenation references, data_coding 1 read as GSM 7-bit (the esme's
# data-coding-1 gsm7, as OsmoMSC sends), and the device algorithms
# (--alg ecdsa|ed25519|mix).  Uploads of up to 10 records are long enough
# to need several SMS; a few are a person's text.  The bus is compared
# exactly with the simulator's summary (sim_compare.py).
# TXGW_TEST_SEED repeats a run: the cases' seeds are it, it + 1, ...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
S=$SEED
COMMON=(--devices 4 --records-per-upload 10 --count 24 --anomaly text:0.1)
NEED=(--need 'totals.sms>totals.uploads' --need 'gw.sms.messages==totals.uploads'
	--need 'gw.txlog.records==bus.records')

refs=(8 16)
algs=(ecdsa ed25519 mix)
i=0
for form in binary gsm7 ucs2; do
	for smpp in udh sar payload; do
		ref=${refs[$((i % 2))]} alg=${algs[$((i % 3))]}
		sim_case "$form-$smpp-ref$ref-$alg" "${NEED[@]}" \
			-- "${COMMON[@]}" --seed $((S + i)) --form "$form" --smpp-form "$smpp" \
			--concat-ref "$ref" --alg "$alg"
		i=$((i + 1))
	done
done

# 7-bit text as data_coding 1 with unpacked septets, and the esme told so
for smpp in udh sar payload; do
	ref=${refs[$((i % 2))]}
	sim_case "gsm7-dc1-$smpp-ref$ref" --esme "data-coding-1 gsm7" "${NEED[@]}" \
		-- "${COMMON[@]}" --seed $((S + i)) --form gsm7 --dc1 --smpp-form "$smpp" \
		--concat-ref "$ref" --alg mix
	i=$((i + 1))
done

# everything mixed in one run
sim_case mix "${NEED[@]}" -- "${COMMON[@]}" --seed $((S + i)) --count 60 --form mix \
	--smpp-form mix --concat-ref mix --alg mix

sim_done sim_forms
