#!/usr/bin/env bash
# The mail downlink (doc/downlink.md section 3) against a scripted SMTP
# relay (smtp_relay.py, standard library only), relay-tls none:
#   - the relay down (connection refused) when the first message comes:
#     retried, submitted once the relay is up;
#   - 250: submitted (1, 57, 1000 and 65,536 bytes); RCPT 550 5.1.1: failed
#     "smtp 550 5.1.1 <...>: Recipient address rejected"; 554 after the
#     data: failed "smtp 554 5.6.0 ..."; RCPT 451 then 250: retried, then
#     submitted; expires in the past: failed "expired";
#   - every request sent twice: the second is answered with the first seq
#     and queues nothing;
# then relay-tls required against that relay (no STARTTLS): nothing sent,
# "expired"; and a missing relay-ca-file stops start-up.
# Every id ends once (downlink_check.py), the relay got one mail per
# submitted id with the headers and the exact payload
# (downlink_mail_check.py), and the counters agree.  The relay never
# answers QUIT (libcurl's QUIT after a failed transfer, and at stop on the
# connections it keeps, would wait for the 221 blocking the event loop,
# 120 s): every message still ends within 40 s, and txgw stops within 3 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
RELAY_PORT=$(free_port)
FROM=txgw@txlog.example
ESME_LINES=()

fail() {
	echo "FAIL  $*"
	echo "--- txgw log:"; tail -20 "$WORK/txgw.log"
	echo "--- relay:"; tail -20 "$WORK/relay.log" 2>/dev/null || true
	echo "downlink_mail: FAIL"; exit 1
}

# the requests: the first alone (relay down), then all of them, each twice
$PY - "$WORK" <<'PYEOF'
import base64, json, os, sys
w = sys.argv[1]
def req(i, mail, size, **kw):
    body = (i.encode() + b"|" + os.urandom(size))[:size]
    return dict(id=i, mail=mail, payload=base64.b64encode(body).decode(), **kw)
reqs = [req("down-1", "ok-down@handset.example", 300),
        req("ok-1", "ok-1@handset.example", 1),
        req("ok-57", "ok-57@handset.example", 57),
        req("ok-1000", "ok-1000@handset.example", 1000),
        req("ok-64k", "ok-64k@handset.example", 65536),
        req("reject-1", "reject-1@handset.example", 20),
        req("datafail-1", "datafail-1@handset.example", 20),
        req("busy-1", "busy-1@handset.example", 500),
        req("expired-1", "ok-exp@handset.example", 20, expires="2020-01-01T00:00:00Z")]
with open(w + "/first.jsonl", "w") as f:
    f.write(json.dumps(reqs[0]) + "\n")
with open(w + "/reqs.jsonl", "w") as f:
    for r in reqs + reqs:
        f.write(json.dumps(r) + "\n")
json.dump({"reject-1": {"state": "failed",
                        "error": "smtp 550 5.1.1 <reject-1@handset.example>: Recipient address rejected"},
           "datafail-1": {"state": "failed", "error": "smtp 554 5.6.0 Message refused"},
           "expired-1": {"state": "failed", "error": "expired"}},
          open(w + "/expect.json", "w"))
PYEOF

NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$RELAY_PORT" \
	"relay-tls none" "mail-from $FROM"
start_txgw

# 1. the relay is down: QUEUED, then a temporary failure, retried
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json "$WORK/first.jsonl" >"$WORK/first.out" 2>&1 ||
	fail "the first request: $(cat "$WORK/first.out")"
grep -q '"answer":"QUEUED"' "$WORK/first.out" || fail "the first request: $(cat "$WORK/first.out")"
for _ in $(seq 100); do
	[ "$(dl_stat downlink.retries)" -ge 1 ] && break
	sleep 0.1
done
[ "$(dl_stat downlink.retries)" -ge 1 ] || fail "no retry while the relay is down"
grep -q "downlink down-1 to ok-down@handset.example: relay smtp://127.0.0.1:$RELAY_PORT: .*(curl 7)" \
	"$WORK/txgw.log" || fail "the log does not say why the relay could not be reached"
echo "ok    relay down: the first message QUEUED, 'connection refused' logged, to be retried"

# 2. the relay up, every request (twice), followed to its end
mkdir "$WORK/relay"
$PY "$TOP/tests/integration/smtp_relay.py" --port "$RELAY_PORT" --out "$WORK/relay" \
	--ready "$WORK/relay.ready" --quit-silent >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/relay.ready" ] && break; sleep 0.1; done
[ -s "$WORK/relay.ready" ] || fail "smtp_relay.py did not start"
t0=$SECONDS
dl_send --wait 40 || true	# its status says some failed: as they should
grep -q " 0 not ended" "$WORK/send.log" || fail "not every message ended within 40 s: $(tail -3 "$WORK/send.log")"
echo "ok    every message ended in $((SECONDS - t0)) s"
dl_check || fail "the bus"
$PY "$TOP/tests/integration/downlink_mail_check.py" --requests "$WORK/reqs.jsonl" \
	--bus "$WORK/bus.jsonl" --from "$FROM" --relay-dir "$WORK/relay" || fail "the mails"
stats "show stats" >"$WORK/stats.json"
$PY - "$WORK/stats.json" <<'PYEOF' || fail "counters"
import json, sys
s = json.load(open(sys.argv[1]))
got = {k: s[k] for k in ("downlink.queued", "downlink.submitted", "downlink.failed",
                         "downlink.retries", "downlink.pending")}
want = {"downlink.queued": 9, "downlink.submitted": 6, "downlink.failed": 3, "downlink.pending": 0}
assert all(got[k] == v for k, v in want.items()) and got["downlink.retries"] >= 2, got
print("ok    counters", got)
PYEOF
n=$(grep -c "^C: QUIT" "$WORK/relay.log" || true)
echo "ok    the relay saw $(grep -c '^C: MAIL' "$WORK/relay.log") MAIL commands, $n QUIT"
grep -q "^C: EHLO txlog.example$" "$WORK/relay.log" || fail "EHLO does not name mail-from's domain"
t0=$SECONDS
stop_txgw || fail "txgw did not stop cleanly"
[ $((SECONDS - t0)) -le 3 ] || fail "txgw took $((SECONDS - t0)) s to stop"
echo "ok    txgw stopped in $((SECONDS - t0)) s, a kept connection to the relay open"

# 3. relay-tls required, and the relay offers no STARTTLS: temporary (curl
# 64), retried until the message expires
mv "$WORK/state" "$WORK/state-1"
new_ports
dl_ports
NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$RELAY_PORT" \
	"relay-tls required" "mail-from $FROM"
start_txgw
exp=$($PY -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
printf '{"id":"no-tls","mail":"ok-tls@handset.example","payload":"3q2+7w==","expires":"%s"}\n' "$exp" \
	>"$WORK/reqs.jsonl"
echo '{"no-tls": {"state": "failed", "error": "expired"}}' >"$WORK/expect.json"
n_mails=$(ls "$WORK/relay" | wc -l)
dl_send --wait 20 || true
dl_check || fail "the bus (relay-tls required)"
grep -q "downlink no-tls to ok-tls@handset.example: relay .*(curl 64)" "$WORK/txgw.log" ||
	fail "the log does not say STARTTLS was missing"
[ "$(ls "$WORK/relay" | wc -l)" = "$n_mails" ] || fail "a mail went in clear text"
echo "ok    relay-tls required, no STARTTLS offered: nothing sent, '$(grep -o 'STARTTLS[^(]*' "$WORK/txgw.log" | head -1)', then expired"
stop_txgw || fail "txgw did not stop cleanly"

# 4. a relay-ca-file txgw cannot read stops start-up, saying which
NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$RELAY_PORT" \
	"relay-ca-file $WORK/no-such-ca.pem" "mail-from $FROM"
rc=0
timeout 10 "$TXGW" -c "$WORK/txgw.cfg" >"$WORK/txgw-ca.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "relay-ca-file $WORK/no-such-ca.pem: No such file or directory" "$WORK/txgw-ca.log" ||
	fail "a missing relay-ca-file: exit $rc, $(tail -2 "$WORK/txgw-ca.log")"
echo "ok    a missing relay-ca-file stops start-up (exit 1), naming the file"
echo "downlink_mail: PASS"
