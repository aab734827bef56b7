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
# the relay holds a mail's data unanswered (libcurl 7.88 waits for that
# reply blocking): txgw still answers on its stats socket at once, stops
# at once, and
# after a restart the mail goes again, logged "submitted again";
# then relay-tls required against that relay (no STARTTLS): nothing sent,
# "expired"; and a missing relay-ca-file stops start-up.
# Every id ends once (downlink_check.py), the relay got one mail per
# submitted id with the headers and the exact payload
# (downlink_mail_check.py), and the counters agree.  The relay never
# answers QUIT (libcurl waits for the 221, up to 120 s): every message
# still ends within 40 s.
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
RELAY_PID=$!
PIDS+=("$RELAY_PID")
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

# 3. txgw stops while the relay holds a mail's data unanswered: it stops at
# once; at the next start the mail goes again, named "submitted again"
echo '{"id":"slow-1","mail":"slow-1@handset.example","payload":"c2xvdw=="}' >"$WORK/slow.jsonl"
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json "$WORK/slow.jsonl" >"$WORK/slow.out" 2>&1 ||
	fail "slow-1: $(cat "$WORK/slow.out")"
for _ in $(seq 100); do
	grep -q "holding the data for slow-1@" "$WORK/relay.log" && break
	sleep 0.1
done
grep -q "holding the data for slow-1@" "$WORK/relay.log" || fail "slow-1 did not reach the relay"
t0=$(date +%s%N)
stats "show info" >/dev/null || fail "the stats socket does not answer while the relay holds a mail"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "the stats socket took $ms ms while the relay holds a mail"
echo "ok    while the relay holds slow-1's data unanswered, the stats socket answers in $ms ms"
t0=$(date +%s%N)
stop_txgw || fail "txgw did not stop cleanly"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -le 5000 ] || fail "txgw took $ms ms to stop"
echo "ok    txgw stopped in $ms ms, a transfer under way (the relay silent, also to QUIT)"
start_txgw
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --publish "tcp://127.0.0.1:$PUB_PORT" \
	--replay "tcp://127.0.0.1:$REPLAY_PORT" --json --follow --wait 20 "$WORK/slow.jsonl" \
	>"$WORK/slow.out" 2>&1 || fail "slow-1 after the restart: $(tail -2 "$WORK/slow.out")"
grep -q '"state":"submitted"' "$WORK/slow.out" || fail "slow-1 not submitted: $(cat "$WORK/slow.out")"
grep -q "downlink slow-1 to slow-1@handset.example: submitted again (attempt 2): the answer to an earlier mail was lost, the relay may have it twice" \
	"$WORK/txgw.log" || fail "the log does not name slow-1 submitted again"
echo "ok    after the restart slow-1 submitted again (attempt 2), and the log says so"
stop_txgw || fail "txgw did not stop cleanly"

# 4. relay-tls required, and the relay offers no STARTTLS: temporary (curl
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

# 5. a relay-ca-file txgw cannot read stops start-up, saying which
NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$RELAY_PORT" \
	"relay-ca-file $WORK/no-such-ca.pem" "mail-from $FROM"
rc=0
timeout 10 "$TXGW" -c "$WORK/txgw.cfg" >"$WORK/txgw-ca.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "relay-ca-file $WORK/no-such-ca.pem: No such file or directory" "$WORK/txgw-ca.log" ||
	fail "a missing relay-ca-file: exit $rc, $(tail -2 "$WORK/txgw-ca.log")"
echo "ok    a missing relay-ca-file stops start-up (exit 1), naming the file"
kill -TERM "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
echo "downlink_mail: PASS"
