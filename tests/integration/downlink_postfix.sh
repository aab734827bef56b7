#!/usr/bin/env bash
# The mail downlink through a real relay (doc/downlink.md section 3): a
# private Postfix instance (postfix_lib.bash) offers STARTTLS with a
# certificate for 127.0.0.1 from a test CA and delivers handset.example
# into a Maildir with its virtual delivery agent.
#   verified   relay-tls required, relay-ca-file the test CA: 20 messages
#              of 1 to 65,536 bytes all submitted; the Maildir holds 20
#              mails, headers and payloads exact, received over TLS (ESMTPS)
#   other-ca   relay-ca-file another CA: nothing is submitted, the log
#              says the certificate did not verify (temporary, retried),
#              the message fails "expired"
#   opportunistic  relay-tls opportunistic, another CA: submitted, over
#              TLS all the same (RFC 7435: encrypted, not authenticated)
# Postfix and txgw are stopped, every file removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
. "$(dirname "$0")/postfix_lib.bash"
FROM=txgw@txlog.example
it_setup
dl_ports
ESME_LINES=()

fail() {
	echo "FAIL  $*"
	[ ! -f "${PF:-}/maillog" ] || { echo "--- Postfix log:"; tail -20 "$PF/maillog"; }
	echo "--- txgw log:"; tail -20 "$WORK/txgw.log"
	pf_stop
	echo "downlink_postfix: FAIL"; exit 1
}
trap 'pf_stop; it_cleanup' EXIT

pf_init || fail "no Postfix"
make_test_ca "$WORK"
mkdir "$WORK/other" && make_test_ca "$WORK/other"
# the virtual delivery agent writes as nobody (at least virtual_minimum_uid)
mkdir "$PF/mail" && chown nobody:nogroup "$PF/mail"
pf_config <<CF
myorigin = test.example
smtpd_tls_security_level = may
smtpd_tls_cert_file = $WORK/srv.pem
smtpd_tls_key_file = $WORK/srv.key
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
virtual_mailbox_domains = handset.example
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:maildir/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
message_size_limit = 10240000
CF
pf_start || fail "Postfix does not start"
echo "ok    Postfix $(postconf -c "$PF/etc" -h mail_version) on 127.0.0.1:$MTA_PORT, STARTTLS, Maildir $PF/mail/maildir"

# txgw CA_FILE: a txgw whose relay is Postfix, relay-tls required
start_dl_txgw() {
	NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$MTA_PORT" \
		"relay-tls required" "relay-ca-file $1" "mail-from $FROM"
	start_txgw
}

# 1. verified: 20 messages, 1 to 65,536 bytes
$PY - "$WORK" <<'PYEOF'
import base64, json, os, sys
sizes = [1, 2, 3, 57, 58, 76, 100, 133, 500, 1000, 1024, 4096, 8191, 10000, 16384, 30000,
         40000, 50000, 65535, 65536]
with open(sys.argv[1] + "/reqs.jsonl", "w") as f:
    for k, n in enumerate(sizes):
        body = os.urandom(n)
        f.write(json.dumps({"id": "pf-%02d" % k, "mail": "dev-%d@handset.example" % (k % 3),
                            "payload": base64.b64encode(body).decode()}) + "\n")
json.dump({}, open(sys.argv[1] + "/expect.json", "w"))
PYEOF
start_dl_txgw "$WORK/ca.pem"
t0=$(date +%s%N)
dl_send --wait 40 || fail "not every message submitted within 40 s: $(tail -2 "$WORK/send.log")"
t_sub=$(( ($(date +%s%N) - t0) / 1000000 ))
dl_check || fail "the bus"
for _ in $(seq 100); do	# Postfix delivers after its 250: 10 s at most
	[ "$(find "$PF/mail/maildir/new" -type f 2>/dev/null | wc -l)" -ge 20 ] && break
	sleep 0.1
done
$PY "$TOP/tests/integration/downlink_mail_check.py" --requests "$WORK/reqs.jsonl" \
	--bus "$WORK/bus.jsonl" --from "$FROM" --maildir "$PF/mail/maildir" --tls || fail "the Maildir"
n=$(grep -c "postfix/smtpd.*Anonymous TLS connection established\|postfix/smtpd.*TLS connection established" \
	"$PF/maillog" || true)
[ "$n" -ge 1 ] || fail "Postfix's log shows no TLS connection from txgw"
echo "ok    20 messages submitted in $t_sub ms over $n TLS connection(s), delivered into the Maildir"
stop_txgw || fail "txgw did not stop cleanly"

# 2. other-ca: the relay's certificate does not verify: retried, expired
mv "$WORK/state" "$WORK/state-1"
new_ports
dl_ports
start_dl_txgw "$WORK/other/ca.pem"
exp=$($PY -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
printf '{"id":"bad-ca","mail":"dev-0@handset.example","payload":"3q2+7w==","expires":"%s"}\n' "$exp" \
	>"$WORK/reqs.jsonl"
echo '{"bad-ca": {"state": "failed", "error": "expired"}}' >"$WORK/expect.json"
before=$(find "$PF/mail/maildir/new" -type f | wc -l)
dl_send --wait 20 || true
dl_check || fail "the bus (other CA)"
grep -q "downlink bad-ca to dev-0@handset.example: relay smtp://127.0.0.1:$MTA_PORT: .*certificate.*(curl 60)" \
	"$WORK/txgw.log" || fail "the log does not say the certificate did not verify"
[ "$(find "$PF/mail/maildir/new" -type f | wc -l)" = "$before" ] || fail "a mail went through"
echo "ok    another CA: not submitted, '$(grep -o 'SSL certificate problem[^(]*' "$WORK/txgw.log" | head -1)', then expired"
stop_txgw || fail "txgw did not stop cleanly"

# 3. opportunistic: the same certificate unverified, the mail encrypted
# all the same (RFC 7435)
mv "$WORK/state" "$WORK/state-2"
new_ports
dl_ports
NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$MTA_PORT" \
	"relay-tls opportunistic" "relay-ca-file $WORK/other/ca.pem" "mail-from $FROM"
start_txgw
echo '{"id":"opp-1","mail":"dev-1@handset.example","payload":"3q2+7w=="}' >"$WORK/reqs.jsonl"
echo '{}' >"$WORK/expect.json"
rm -rf "$PF/mail/maildir"
dl_send --wait 20 || fail "opportunistic: not submitted"
dl_check || fail "the bus (opportunistic)"
for _ in $(seq 100); do
	[ "$(find "$PF/mail/maildir/new" -type f 2>/dev/null | wc -l)" -ge 1 ] && break
	sleep 0.1
done
$PY "$TOP/tests/integration/downlink_mail_check.py" --requests "$WORK/reqs.jsonl" \
	--bus "$WORK/bus.jsonl" --from "$FROM" --maildir "$PF/mail/maildir" --tls || fail "opportunistic"
echo "ok    opportunistic with a certificate from another CA: submitted, over TLS"
stop_txgw || fail "txgw did not stop cleanly"
pf_stop
echo "downlink_postfix: PASS"
