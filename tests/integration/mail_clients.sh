#!/usr/bin/env bash
# Independent SMTP clients against the daemon, each mail's record checked on
# the bus: Python's smtplib (plain, STARTTLS), a raw client pipelining two
# mails and sending BDAT (plain, after STARTTLS) — mail_clients.py — then
# swaks (plain, and STARTTLS with PIPELINING), which builds the MIME itself
# around the frame.  The test CA and the server certificate are made here
# with the openssl command.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KEY=$TOP/tests/vectors/keys/00112233aabbccdd-1.key
it_setup
make_test_ca_work
NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
wait_smtp
rc=0

# the frame builder itself: frame-ed25519-1 rebuilt byte for byte
$PY "$TOP/tests/integration/mail_frames.py" --self-test "$TOP/tests/vectors/vectors.json" "$KEY" || rc=1

# mails 1..6 from Python
PYTHONPATH=$TOP/tests/integration $PY "$TOP/tests/integration/mail_clients.py" \
	--port "$SMTP_PORT" --ca "$WORK/ca.pem" --key "$KEY" --first 1 || rc=1

# mails 7 (plain) and 8 (STARTTLS, PIPELINING) from swaks
n=7
for mode in plain tls; do
	$PY "$TOP/tests/integration/mail_frames.py" --key "$KEY" --upload-seq $n --counter $n \
		--frame-only --out "$WORK/frame-$n.txl"
	extra=()
	[ $mode = tls ] && extra=(--tls --tls-verify --tls-ca-path "$WORK/ca.pem" --pipeline)
	if timeout 20 swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo swaks.example \
		--from "swaks-$n@handset.example" --to upload@txlog.example \
		--header "Subject: swaks $mode" --body "log attached" \
		--attach-type application/vnd.txlog --attach "@$WORK/frame-$n.txl" \
		"${extra[@]}" >"$WORK/swaks-$mode.log" 2>&1 &&
		grep -q '^<[-~]  250 2.0.0' "$WORK/swaks-$mode.log"; then
		echo "ok    swaks $mode"
	else
		echo "FAIL  swaks $mode"; cat "$WORK/swaks-$mode.log"; rc=1
	fi
	if [ $mode = tls ] && ! grep -q 'TLS started' "$WORK/swaks-$mode.log"; then
		echo "FAIL  swaks tls: no TLS"; rc=1
	fi
	n=$((n + 1))
done

subscribe 8 || rc=1
stop_txgw || rc=1
$PY - "$WORK/bus.jsonl" <<'PYEOF' || rc=1
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
want = [(c, "%s-%d@handset.example" % (who, c)) for c, who in
        [(1, "smtplib"), (2, "smtplib-tls"), (3, "pipe"), (4, "pipe"), (5, "bdat"), (6, "bdat-tls"),
         (7, "swaks"), (8, "swaks")]]
got = [(m["payload"].get("counter"), m["payload"]["src"]) for m in msgs]
bad = [m for m in msgs if m["topic"] != "txlog.record" or m["payload"]["bearer"] != "smtp"
       or m["payload"]["device"] != "00112233aabbccdd" or m["payload"]["late"]]
if got != want or bad:
    print("FAIL  bus: got", got, "want", want, "unexpected", bad[:2]); sys.exit(1)
print("ok    bus seq 1..8: one record per mail, bearer smtp, envelope sender as src")
PYEOF
[ $rc = 0 ] && echo "mail_clients: PASS" || echo "mail_clients: FAIL"
exit $rc
