#!/usr/bin/env bash
# A real MTA in front of txgw: a private Postfix instance (its own config,
# queue and data directories under the test's temp dir, loopback only, a
# high port for its smtpd, no chroot) relays mail for smtp-domain to txgw
# over SMTP with mandatory STARTTLS (txgw's certificate from a test CA).
# One mail is injected with Postfix's sendmail (pickup), one is sent to
# Postfix's smtpd with smtplib; both end as records on the bus with the
# original envelope sender.  Postfix is stopped at the end.  If Postfix
# cannot run here, the test says why and FAILS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KEY=$TOP/tests/vectors/keys/00112233aabbccdd-1.key
. "$(dirname "$0")/postfix_lib.bash"
PF_WAIT=30	# seconds for both mails to cross Postfix
it_setup

fail() {
	echo "FAIL  $*"
	[ ! -f "${PF:-}/maillog" ] || { echo "--- Postfix log:"; tail -30 "$PF/maillog"; }
	echo "--- txgw log:"; tail -10 "$WORK/txgw.log"
	pf_stop
	echo "mail_postfix: FAIL"; exit 1
}
trap 'pf_stop; it_cleanup' EXIT

pf_init || fail "no Postfix"
make_test_ca_work
NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
wait_smtp

pf_config <<CF
myorigin = handset.example
relay_domains = txlog.example
transport_maps = inline:{ txlog.example=smtp:[127.0.0.1]:$SMTP_PORT }
smtp_tls_security_level = encrypt
smtp_tls_CAfile = $WORK/ca.pem
smtp_tls_loglevel = 1
CF
pf_start || fail "Postfix does not start"
echo "ok    Postfix $(postconf -c "$PF/etc" -h mail_version) on 127.0.0.1:$MTA_PORT, relaying txlog.example to txgw on $SMTP_PORT"

# mail 1: sendmail -> pickup; mail 2: smtplib -> Postfix's smtpd
$PY "$TOP/tests/integration/mail_frames.py" --key "$KEY" --upload-seq 1 --counter 1 \
	--from pf-sendmail@handset.example --out "$WORK/m1.eml"
timeout 10 /usr/sbin/sendmail -C "$PF/etc" -f pf-sendmail@handset.example upload@txlog.example \
	<"$WORK/m1.eml" || fail "sendmail -C $PF/etc did not take the mail"
echo "ok    mail 1 injected with sendmail"
PYTHONPATH=$TOP/tests/integration $PY - "$MTA_PORT" "$KEY" <<'PYEOF' || fail "Postfix's smtpd did not take mail 2"
import smtplib, sys
from mail_frames import Signer, mail_with_frame, record
frm = "pf-smtpd@handset.example"
msg = mail_with_frame(Signer(sys.argv[2]).frame(2, [record(2)]), frm, "upload@txlog.example", "via postfix")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    assert s.sendmail(frm, ["upload@txlog.example"], msg) == {}
print("ok    mail 2 sent to Postfix's smtpd with smtplib")
PYEOF

subscribe 2 "$PF_WAIT" || fail "the relayed mails did not reach the bus within $PF_WAIT s"
$PY - "$WORK/bus.jsonl" <<'PYEOF' || fail "bus content"
import json, sys
got = sorted((m["topic"], m["payload"]["counter"], m["payload"]["src"], m["payload"]["bearer"])
             for m in map(json.loads, open(sys.argv[1])))
want = [("txlog.record", 1, "pf-sendmail@handset.example", "smtp"),
        ("txlog.record", 2, "pf-smtpd@handset.example", "smtp")]
if got != want:
    print("bus has", got, "want", want); sys.exit(1)
print("ok    both relayed mails are records on the bus, envelope senders kept")
PYEOF
# Postfix saw txgw's 250 and over TLS; its queue is empty
for _ in $(seq 50); do
	postqueue -c "$PF/etc" -p 2>/dev/null | grep -q "Mail queue is empty" && break
	sleep 0.1
done
postqueue -c "$PF/etc" -p | grep -q "Mail queue is empty" || fail "Postfix's queue is not empty"
n=$(grep -c "relay=127.0.0.1\[127.0.0.1\]:$SMTP_PORT.*status=sent (250 2.0.0" "$PF/maillog" || true)
[ "$n" = 2 ] || fail "Postfix's log shows $n deliveries to txgw, want 2"
grep -q "TLS connection established to 127.0.0.1\[127.0.0.1\]:$SMTP_PORT" "$PF/maillog" ||
	fail "Postfix did not use STARTTLS towards txgw"
echo "ok    Postfix delivered both with 250 over TLS; its queue is empty"
pf_stop
stop_txgw
echo "mail_postfix: PASS"
