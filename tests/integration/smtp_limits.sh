#!/usr/bin/env bash
# The SMTP service's limits (issue 9 items 7 and 10) against a running
# txgw, with small limits (smtp_limits.py has the same numbers):
#  - smtp-max-sessions-per-ip 3: the 4th connection from 127.0.0.1 gets
#    421 4.7.0, while 127.0.0.2 is served a whole transaction; a burst of
#    refusals (per address, and over smtp-max-sessions 12) is logged a line
#    a second, the next line saying how many were held back;
#  - smtp-max-commands 20: the 21st command gets 421 4.7.0;
#  - smtp-timeout command 3: a byte a second of a command that never ends
#    is cut after 3 s (any byte used to set the timer again);
#  - smtp-min-data-rate 200 window 3: a byte a second in DATA is cut at
#    the end of the first window with 421 4.4.2; 400 octets/s passes;
#  - smtp-max-session-time 8: a NOOP a second is cut after 8 s;
#  - smtp-require-tls (a second start, with a certificate): EHLO offers
#    STARTTLS, MAIL before it gets 530 5.7.0, after it 250; without
#    smtp-tls the file is refused (txgw -V).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
rc=0
LIMITS=" smtp-max-sessions 12\n smtp-max-sessions-per-ip 3\n smtp-timeout command 3\n smtp-max-commands 20\n smtp-max-session-time 8\n smtp-min-data-rate 200 window 3"
NO_ESME=1 WITH_MAIL=1 write_config
sed -i "s/^ smtp-domain txlog.example$/&\n$LIMITS/" "$WORK/txgw.cfg"
start_txgw
wait_smtp
timeout 50 $PY "$TOP/tests/integration/smtp_limits.py" --port "$SMTP_PORT" --log "$WORK/txgw.log" \
	--limits || rc=1
kill -0 "$TXGW_PID" 2>/dev/null || { echo "FAIL  txgw is gone"; tail -20 "$WORK/txgw.log"; exit 1; }
stop_txgw || rc=1

# smtp-require-tls without a certificate: a configuration error
NO_ESME=1 WITH_MAIL=1 write_config
sed -i "s/^ smtp-domain txlog.example$/&\n smtp-require-tls/" "$WORK/txgw.cfg"
if out=$("$TXGW" -c "$WORK/txgw.cfg" -V 2>&1); then
	echo "FAIL  smtp-require-tls without smtp-tls was taken: $out"; rc=1
elif grep -q "'smtp-require-tls' needs 'smtp-tls" <<<"$out"; then
	echo "ok    smtp-require-tls without smtp-tls: $out"
else
	echo "FAIL  smtp-require-tls without smtp-tls: $out"; rc=1
fi

# with a certificate: 530 before STARTTLS, 250 after
make_test_ca_work
new_ports
NO_ESME=1 WITH_MAIL=1 write_config
sed -i "s/^ smtp-domain txlog.example$/&\n smtp-require-tls/" "$WORK/txgw.cfg"
rm -f "$WORK/stats.sock"
start_txgw
wait_smtp
timeout 20 $PY "$TOP/tests/integration/smtp_limits.py" --port "$SMTP_PORT" --log "$WORK/txgw.log" \
	--tls "$WORK/ca.pem" || rc=1
stop_txgw || rc=1
[ $rc = 0 ] && echo "smtp_limits: PASS" || echo "smtp_limits: FAIL"
exit $rc
