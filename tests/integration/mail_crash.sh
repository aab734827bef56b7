#!/usr/bin/env bash
# kill -9 txgw at least 10 times at random moments during a burst of mails
# from 4 concurrent smtplib senders (mail_crash.py starts and restarts it);
# afterwards every mail that got 250 has its record on the bus (replay with
# bus-sub.py), no counter is published twice, no seq is reused.
# TXGW_TEST_SEED repeats a run's kill moments.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
test_seed
NO_ESME=1 WITH_MAIL=1 write_config
rc=0
PYTHONPATH=$TOP/tests/integration timeout 110 $PY "$TOP/tests/integration/mail_crash.py" \
	--txgw "$TXGW" --cfg "$WORK/txgw.cfg" --log "$WORK/txgw.log" --port "$SMTP_PORT" \
	--stats "$WORK/stats.sock" --pub "tcp://127.0.0.1:$PUB_PORT" \
	--replay "tcp://127.0.0.1:$REPLAY_PORT" --key "$TOP/tests/vectors/keys/00112233aabbccdd-1.key" \
	--bus-sub "$TOP/tests/tools/bus-sub.py" --kills "${KILLS:-12}" --threads 4 --seed "$SEED" || rc=$?
if [ $rc != 0 ]; then
	echo "--- txgw log (errors):"; grep -E "ERROR|FATAL|assert" "$WORK/txgw.log" | tail -20 || true
	echo "mail_crash: FAIL"
fi
exit $rc
