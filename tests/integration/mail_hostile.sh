#!/usr/bin/env bash
# Hostile SMTP and MIME against the daemon (mail_hostile.py): every SMTP
# error case, MIME bombs, broken MIME, a TLS hello in plain text, a client
# vanishing in DATA.  txgw answers each and stays up; a good mail after all
# of them gets 250; on the bus, every mail that got 250 has its record (and
# the garbage frame part its reject), nothing else; the smtp counters
# agree with the replies sent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KEY=$TOP/tests/vectors/keys/00112233aabbccdd-1.key
MAX_SIZE=2000000	# the 100,000-part bomb (1.2 MB) must get past it to the MIME walk
MAX_SESSIONS=4
it_setup
NO_ESME=1 WITH_MAIL=1 write_config
# the small limits of this test (config.md "mail")
sed -i "s/^ smtp-domain txlog.example$/&\n smtp-max-size $MAX_SIZE\n smtp-max-sessions $MAX_SESSIONS/" \
	"$WORK/txgw.cfg"
start_txgw
wait_smtp
rc=0
PYTHONPATH=$TOP/tests/integration timeout 50 $PY "$TOP/tests/integration/mail_hostile.py" \
	--port "$SMTP_PORT" --key "$KEY" --max-size $MAX_SIZE --max-sessions $MAX_SESSIONS \
	--pid "$TXGW_PID" --out "$WORK/accepted.json" || rc=1
kill -0 "$TXGW_PID" 2>/dev/null || { echo "FAIL  txgw is gone"; tail -20 "$WORK/txgw.log"; exit 1; }

# the bus: the accepted mails' records and one reject (base64 garbage)
want=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))) + 1)' "$WORK/accepted.json")
top=$(journal_seq)
[ "$top" = "$want" ] || { echo "FAIL  journal_seq $top, want $want"; rc=1; }
subscribe "$want" || rc=1
stats "show stats" >"$WORK/stats.json"
stop_txgw || rc=1
$PY - "$WORK/bus.jsonl" "$WORK/accepted.json" "$WORK/stats.json" <<'PYEOF' || rc=1
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
accepted = sorted(tuple(x) for x in json.load(open(sys.argv[2])))
records = sorted((m["payload"]["counter"], m["payload"]["src"]) for m in msgs if m["topic"] == "txlog.record")
rejects = [m["payload"]["reason"] for m in msgs if m["topic"] == "txlog.reject"]
other = [m for m in msgs if m["topic"] not in ("txlog.record", "txlog.reject")]
ok = records == accepted and rejects == ["malformed"] and not other
print("%s  bus: %d records of the accepted mails, rejects %s, %d other"
      % ("ok  " if ok else "FAIL", len(records), rejects, len(other)))
if records != accepted:
    print("      records", records, "\n      accepted", accepted)
# stats.md 3.3: smtp.messages counts the 250s (every mail with a frame,
# the base64 garbage, the good mails), smtp.rejected the refused mails:
# 552 for DATA and BDAT over the size, 552 for the two MIME bombs
st = json.load(open(sys.argv[3]))
smtp = {k: v for k, v in st.items() if k in ("smtp.messages", "smtp.rejected")}
want = {"smtp.messages": len(accepted) + 1, "smtp.rejected": 4}
print("%s  stats %s, want %s" % ("ok  " if smtp == want else "FAIL", smtp, want))
sys.exit(0 if ok and smtp == want else 1)
PYEOF
[ $rc = 0 ] && echo "mail_hostile: PASS" || echo "mail_hostile: FAIL"
exit $rc
