#!/usr/bin/env bash
# contrib/attack/downlink.sh: the attacker's pass over the downlink's
# surfaces (doc/security.md section 4): the send socket (downlink.py),
# the mail relay as a hostile peer (relay_hostile.py, one txgw a mode,
# all at once), receipts from a hostile SMSC (receipts_smsc.py), measured like
# pass.sh.  Asserts nothing.  About 1 min.
# RELAY_ONLY=mode,... / SEND_ONLY=attack,... / SKIP_SEND=1 / SKIP_RECEIPTS=1 /
# SKIP_RELAY=1
set -euo pipefail
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$TOP/tests/integration/downlink_lib.bash"
it_setup
BASE=$WORK
D=$TOP/contrib/attack

if [ -z "${SKIP_SEND:-}" ]; then
	echo "== send socket (one DEALER floods; a second one is timed after each)"
	dl_ports
	# mail through a relay that is down: every mail stays pending
	NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "max-age 3600" \
		"relay smtp://127.0.0.1:$(free_port)" "relay-tls none" "mail-from txgw@txlog.example"
	dl_esme_idle
	start_txgw
	$PY "$D/downlink.py" --pid "$TXGW_PID" --log "$WORK/txgw.log" --stats "$WORK/stats.sock" \
		--send "$SEND_PORT" ${SEND_ONLY:+--only "$SEND_ONLY"}
	echo "pending: $(dl_stat downlink.pending 2>/dev/null || true)" \
	     "log lines: $(wc -l < "$WORK/txgw.log")"
	stop_txgw
fi

if [ -z "${SKIP_RECEIPTS:-}" ]; then
	echo "== receipts from a hostile SMSC (50 SMS asking receipts submitted first)"
	WORK=$BASE/receipts; mkdir -p "$WORK"
	read -r SMSC_PORT PUB_PORT REPLAY_PORT VTY_PORT SMTP_PORT SEND_PORT < <(free_ports 6)
	$PY "$D/receipts_smsc.py" --port "$SMSC_PORT" --vectors "$TOP/tests/vectors/vectors.json" \
		--submits 50 >"$WORK/smsc.log" 2>&1 &
	SP=$!; PIDS+=("$SP")
	for _ in $(seq 50); do grep -q listening "$WORK/smsc.log" 2>/dev/null && break; sleep 0.1; done
	dl_config "$TOP/tests/vectors/devices.txt"
	start_txgw
	for _ in $(seq 100); do grep -q bound "$WORK/smsc.log" && break; sleep 0.1; done
	rss0=$(awk '/VmRSS/ {print $2}' "/proc/$TXGW_PID/status")
	dl_requests 50 7 receipt=1 sizes=40
	"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json "$WORK/reqs.jsonl" >/dev/null 2>&1 ||
		echo "(some SEND not answered)"
	for _ in $(seq 600); do grep -q "^guess" "$WORK/smsc.log" && break; sleep 0.1; done
	sed 1,2d "$WORK/smsc.log"
	echo "RSS $rss0 -> $(awk '/VmRSS/ {print $2}' "/proc/$TXGW_PID/status") kB (HWM" \
	     "$(awk '/VmHWM/ {print $2}' "/proc/$TXGW_PID/status")), show info $(stats 'show info' >/dev/null; echo ok)"
	for c in downlink.submitted downlink.delivered downlink.receipts_unmatched; do
		echo "$c $(dl_stat $c)"; done
	echo "log: $(wc -l < "$WORK/txgw.log") lines, $(grep -c "receipt" "$WORK/txgw.log") naming receipts"
	stop_txgw || true
	kill "$SP" 2>/dev/null || true
	WORK=$BASE
fi

[ -z "${SKIP_RELAY:-}" ] || exit 0
echo "== mail relay, hostile: one txgw a mode, 8 mails each, expires +20 s"
MODES=${RELAY_ONLY:-endless,bigline,trickle,silent,garbage,downgrade,strip}
declare -A TP RP
for m in ${MODES//,/ }; do
	WORK=$BASE/$m; mkdir -p "$WORK"
	read -r SMSC_PORT PUB_PORT REPLAY_PORT VTY_PORT SMTP_PORT SEND_PORT RELAY_PORT < <(free_ports 7)
	tls=required; [ "$m" = strip ] && tls=opportunistic
	NO_ESME=1 dl_config "$TOP/tests/vectors/devices.txt" "relay smtp://127.0.0.1:$RELAY_PORT" \
		"relay-tls $tls" "mail-from txgw@txlog.example"
	$PY "$D/relay_hostile.py" --port "$RELAY_PORT" --mode "$m" --log "$WORK/relay.log" &
	RP[$m]=$!; PIDS+=("${RP[$m]}")
	start_txgw
	TP[$m]=$TXGW_PID
	$PY - "$SEND_PORT" "$m" <<'PYEOF'
import base64, datetime, json, sys, zmq
port, m = int(sys.argv[1]), sys.argv[2]
exp = (datetime.datetime.utcnow() + datetime.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
s = zmq.Context().socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0)
s.connect("tcp://127.0.0.1:%d" % port)
for i in range(8):
    s.send_multipart([b"SEND", json.dumps(dict(id="%s-%d" % (m, i), mail="dev-%d@handset.example" % i,
        payload=base64.b64encode(b"secret payload %d" % i).decode(), expires=exp)).encode()])
a = [s.poll(10000) and s.recv_multipart()[0].decode() for _ in range(8)]
print("%s: 8 sent, answers %s" % (m, a.count("QUEUED")))
PYEOF
done
$PY - "$BASE" "$MODES" "$(for m in ${MODES//,/ }; do printf '%s ' "${TP[$m]}"; done)" <<'PYEOF'
import json, os, socket, sys, time
sys.path.insert(0, os.environ.get("D", "."))
base, modes, pids = sys.argv[1], sys.argv[2].split(","), [int(p) for p in sys.argv[3].split()]
def stats(w, cmd):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(w + "/stats.sock")
    s.sendall(cmd.encode() + b"\n"); out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    return out.decode(), (time.monotonic() - t0) * 1000
def proc(pid):
    st = {}
    for l in open("/proc/%d/status" % pid):
        k, _, v = l.partition(":")
        if k in ("VmRSS", "VmHWM"): st[k] = int(v.split()[0])
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    st["cpu"] = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    st["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return st
first = {m: proc(p) for m, p in zip(modes, pids)}
ended_at, worst = {}, {m: 0.0 for m in modes}
t0 = time.monotonic()
while time.monotonic() - t0 < 200 and len(ended_at) < len(modes):
    for m in modes:
        if m in ended_at: continue
        out, ms = stats(base + "/" + m, "show stats")
        worst[m] = max(worst[m], ms)
        st = json.loads(out)
        if st.get("downlink.submitted", 0) + st.get("downlink.failed", 0) >= 8:
            ended_at[m] = time.monotonic() - t0
    time.sleep(1)
for m, p in zip(modes, pids):
    w = base + "/" + m
    st = json.loads(stats(w, "show stats")[0]); e = proc(p)
    rl = open(w + "/relay.log", "rb").read() if os.path.exists(w + "/relay.log") else b""
    clear = rl.count(b"MAIL FROM") + rl.count(b"secret payload")
    print("%-9s | RSS %6d -> %6d kB (HWM %6d) | CPU +%.2fs | fds %d -> %d | stats max %.0f ms"
          " | submitted %s failed %s retries %s | all ended %s | log %d B | relay saw MAIL/payload in clear: %d" % (
        m, first[m]["VmRSS"], e["VmRSS"], e["VmHWM"], e["cpu"] - first[m]["cpu"], first[m]["fds"], e["fds"],
        worst[m], st.get("downlink.submitted"), st.get("downlink.failed"), st.get("downlink.retries"),
        ("after %.0f s" % ended_at[m]) if m in ended_at else "NO (200 s)", os.path.getsize(w + "/txgw.log"), clear))
PYEOF
for m in ${MODES//,/ }; do
	WORK=$BASE/$m; TXGW_PID=${TP[$m]}
	echo "--- $m: log lines $(wc -l < "$WORK/txgw.log"), last:"; tail -2 "$WORK/txgw.log" | cut -c1-200
	stop_txgw || true
	kill "${RP[$m]}" 2>/dev/null || true
done
WORK=$BASE
