#!/usr/bin/env bash
# The downlink through a real Osmocom core (doc/osmocom.md section 6):
# txgw's submit_sm to osmo-msc's SMSC, paged and delivered to handsets
# played by txgw-handset-sim.
#
# A private core on loopback (tests/osmocom/core.sh), 10 handsets
# registered and idle (txgw-handset-sim --mt-only, until they have every
# message, 45 s at most), txgw bound to osmo-msc's SMSC with a downlink
# node.  contrib/txgw-send asks, for each device, for 5 messages of 1,
# 133 (one SMS, the limit), 134 (2 parts), 600 (5) and 1000 (8) octets,
# the 1-, 134- and 1000-octet ones with "receipt":true; one to an MSISDN
# the HLR does not know, one to a handset not yet registered.
# Checked:
#   - the handsets (tests/osmocom/mt_check.py): each was paged and got
#     SMS-DELIVERs from the downlink's source-addr with the port IE
#     16354, joined them with txgw's own decoder and reassembly, and each
#     message's payload is the one sent, byte for byte, in its parts;
#   - the bus (downlink_check.py): every id queued, then submitted with
#     its parts and one message id a part; the 31 asking for receipts
#     delivered: osmo-msc sends one deliver_sm receipt a part on the
#     handset's RP-ACK, whose id names nothing of txgw's, matched by the
#     user_message_reference; every one of the 113 matched;
#   - the unknown MSISDN: osmo-msc answers ESME_ROK and keeps it in its
#     store, unsent; it stays submitted, with no receipt;
#   - a handset the HLR knows but that registers only after its 300-octet
#     message was submitted: osmo-msc sends the first part in the
#     registration's connection, the other two only once its queue runs
#     again, after the next submit_sm (a second message to it); then it
#     pages, and the handset joins both messages.
# OSMO_SEED repeats a run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/osmocom/lib.sh"
. "$TOP/tests/integration/downlink_lib.bash"
osmo_need osmocom_mt
osmo_setup
dl_ports
SEED=${OSMO_SEED:-$(($(date +%s) % 100000))}
echo "osmocom_mt: seed $SEED"
N=10
FLEET=(--devices "$N" --seed "$SEED")
SIZES=1,133,134,600,1000
UNKNOWN=886999000999		# no SIM of the fleet, not in the HLR

core_start
fleet_prepare "${FLEET[@]}"
fleet_provision "${FLEET[@]}"
# A handset the HLR knows that registers only later: a fleet of its own
# (its number apart from the others')
for k in 1 2 3 4 5; do
	"$HSIM" --devices 1 --seed $((SEED + k)) --registry "$WORK/late.txt" --keys-dir "$WORK/late-keys" \
		--subscribers "$WORK/late-subs.txt" --prepare || osmo_fail "txgw-handset-sim --prepare"
	LATE=$(awk '{ print $2 }' "$WORK/late-subs.txt")
	grep -q " $LATE\$" "$WORK/subs.txt" || break
done
"$CORE" provision "$WORK/core" "$WORK/late-subs.txt" || osmo_fail "provisioning"
# rate 100: the 171 submit_sm take 1.7 s, and osmo-msc starts delivering
# after 1 s: deliveries and receipts while txgw still submits (a receipt
# can come before its message's last part is answered: downlink.md 2.5;
# seen under ASan, tested in test_outbox)
ESME_NAME=osmo-msc write_config "$WORK/reg.txt" "data-coding-1 gsm7"
printf 'downlink\n source-addr 16354\n rate 100\nbus\n send tcp://127.0.0.1:%s\n' "$SEND_PORT" \
	>>"$WORK/txgw.cfg"
start_txgw || osmo_fail "txgw did not start"
wait_bound || osmo_fail "no bind"

# The requests: for each device of the fleet, one message of each size;
# receipts asked for by the 1-, 134- and 1000-octet ones.
$PY - "$WORK" "$SEED" "$SIZES" "$UNKNOWN" "$LATE" <<'PYEOF'
import base64, json, random, sys
work, seed, sizes, unknown, late = (sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")],
                                    sys.argv[4], sys.argv[5])
rnd = random.Random(seed)
devs = [l.split() for l in open(work + "/reg.txt") if l.strip() and not l.startswith("#")]
devs = [d for d in devs if len(d) >= 6 and d[3] != "-" and d[4] == "active"]
reqs, expect = [], {}
for d in devs:
    for s in sizes:
        i = "mt-%s-%d" % (d[0][-6:], s)
        r = {"id": i, "device": d[0], "payload": base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(s))).decode()}
        if s in (1, 134, 1000):
            r["receipt"] = True
        reqs.append(r)
r = {"id": "mt-unknown", "msisdn": unknown, "receipt": True, "payload": base64.b64encode(b"nobody").decode()}
reqs.append(r)
expect["mt-unknown"] = {"state": "submitted"}
r = {"id": "mt-late", "msisdn": late, "receipt": True,
     "payload": base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(300))).decode()}
reqs.append(r)
open(work + "/late.jsonl", "w").write(json.dumps(r) + "\n")
open(work + "/reqs.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in reqs))
json.dump(expect, open(work + "/expect.json", "w"))
print("osmocom_mt: %d devices, %d requests" % (len(devs), len(reqs)))
PYEOF
NMSG=$((N * 5))

hsim_start "${LOAD[@]}" --mt-only --ready "$WORK/hsim.ready" --linger 45 --until-mt "$NMSG" \
	--summary "$WORK/mt.json"
for _ in $(seq 200); do [ -s "$WORK/hsim.ready" ] && break; sleep 0.1; done
[ -s "$WORK/hsim.ready" ] || osmo_fail "the handsets did not register"
t0=$SECONDS
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json "$WORK/reqs.jsonl" >"$WORK/answers.jsonl" \
	2>"$WORK/send.log" || osmo_fail "txgw-send: not every request queued"
hsim_wait 50
echo "osmocom_mt: the handsets got their messages in $((SECONDS - t0)) s (txgw-handset-sim exit $HSIM_RC)"
grep "mt sms" "$WORK/hsim.log" | tail -1
$PY "$TOP/tests/osmocom/mt_check.py" --requests "$WORK/reqs.jsonl" --registry "$WORK/reg.txt" \
	--summary "$WORK/mt.json" --skip mt-unknown --skip mt-late ||
	osmo_fail "the handsets did not get what was sent"

# The late handset registers: osmo-msc sends it the first part it kept
# for it at once, in the registration's connection (its receipt tells);
# the other two wait for osmo-msc's queue to run again, which the next
# submit_sm (here a 1-octet message to the same handset) makes it do.
hsim_start --load-registry "$WORK/late.txt" --keys-dir "$WORK/late-keys" --mt-only --linger 30 \
	--until-mt 2 --summary "$WORK/late.json"
# rcpt_at_least N SECONDS: until txgw has had N receipts (checked once
# with 0 seconds)
rcpt_at_least() {
	local i
	for ((i = 0; ; i++)); do
		stats "show stats" >"$WORK/stats.json"
		$PY -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["smpp.delivery_receipts"] < int(sys.argv[2]))' \
			"$WORK/stats.json" "$1" && return 0
		((i < $2 * 10)) || return 1
		sleep 0.1
	done
}
rcpt_at_least $((N * 11 + 1)) 20 || osmo_fail "the late handset's first part: no receipt"
sleep 2				# (nothing to wait for: nothing must come)
rcpt_at_least $((N * 11 + 2)) 0 && osmo_fail "the late handset's other parts came without a new submit_sm"
echo "osmocom_mt: the late handset got one part on registering, none more in 2 s"
$PY - "$LATE" >"$WORK/late2.jsonl" <<'PYEOF'
import json, sys
print(json.dumps({"id": "mt-late-2", "msisdn": sys.argv[1], "payload": "Kg=="}))
PYEOF
cat "$WORK/late2.jsonl" >>"$WORK/late.jsonl"
cat "$WORK/late2.jsonl" >>"$WORK/reqs.jsonl"
"$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --json "$WORK/late2.jsonl" >>"$WORK/answers.jsonl" \
	2>>"$WORK/send.log" || osmo_fail "txgw-send: mt-late-2 not queued"
hsim_wait 30
[ "$HSIM_RC" = 0 ] || osmo_fail "txgw-handset-sim (the late handset) exit $HSIM_RC"
grep "mt sms" "$WORK/hsim.log" | tail -1
$PY "$TOP/tests/osmocom/mt_check.py" --requests "$WORK/late.jsonl" --registry "$WORK/late.txt" \
	--summary "$WORK/late.json" || osmo_fail "the late handset did not get its messages"

# osmo-msc's receipts: one deliver_sm (esm_class 0x04) a part delivered
# that asked for one, sent on the handset's RP-ACK
RCPT=$((N * (1 + 2 + 8) + 3))
rcpt_at_least "$RCPT" 10 || true
sleep 0.5			# (a receipt more than expected would come now)
stats "show stats" >"$WORK/stats.json"
dl_check || osmo_fail "the bus"
$PY - "$WORK/stats.json" "$RCPT" "$((N * 3 + 1))" <<'PYEOF' || osmo_fail "the receipts"
import json, sys
s, rcpt, want = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
print("osmocom_mt: %d submit_sm, %d receipts (%d unmatched), %d delivered, %d submitted" % (
      s["smpp.submit_sm"], s["smpp.delivery_receipts"], s["downlink.receipts_unmatched"],
      s["downlink.delivered"], s["downlink.submitted"]))
ok = (s["smpp.delivery_receipts"] == rcpt and s["downlink.receipts_unmatched"] == 0 and
      s["downlink.delivered"] == want and s["downlink.failed"] == 0)
sys.exit(0 if ok else 1)
PYEOF
# each submitted event: its parts as downlink.md 2.1 says, one message id
# a part (osmo-msc's are all the same); the unknown number's SMS still
# waits in osmo-msc's store, with no subscriber to page
$PY - "$WORK/bus.jsonl" "$WORK/reqs.jsonl" "$WORK/core/sms.db" "$UNKNOWN" <<'PYEOF' || osmo_fail "the submitted events"
import base64, datetime, json, sqlite3, sys
size = {q["id"]: len(base64.b64decode(q["payload"])) for q in map(json.loads, open(sys.argv[2]))}
ev = [m["payload"] for m in map(json.loads, open(sys.argv[1])) if m["topic"] == "txlog.downlink"]
sub = [p for p in ev if p["state"] == "submitted"]
parts = lambda n: 1 if n <= 133 else (n + 127) // 128
bad = [p["id"] for p in sub if p["parts"] != parts(size[p["id"]]) or len(p["message_ids"]) != p["parts"]]
ids = sorted({i for p in sub for i in p["message_ids"]})
print("osmocom_mt: %d submitted, %d parts; osmo-msc's message ids: %s" % (
      len(sub), sum(p["parts"] for p in sub), ids[:3]))
at = lambda st: sorted(datetime.datetime.strptime(p["at"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
                      for p in ev if p["state"] == st and not p["id"].startswith("mt-late"))
q, s, d = at("queued"), at("submitted"), at("delivered")
print("osmocom_mt: the fleet's: first queued to last submitted %.2f s; delivered %.2f to %.2f s" % (
      s[-1] - q[0], d[0] - q[0], d[-1] - q[0]))
print("osmocom_mt: %d messages delivered before the last was submitted" % sum(t < s[-1] for t in d))
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[3], uri=True)
left = db.execute("SELECT dest_addr FROM SMS WHERE sent IS NULL").fetchall()
kept = db.execute("SELECT count(*) FROM SMS WHERE sent IS NOT NULL").fetchall()[0][0]
print("osmocom_mt: osmo-msc's store keeps unsent %s, and %d sent" % (left, kept))
sys.exit(1 if bad or len(sub) != len(size) or left != [(sys.argv[4],)] else 0)
PYEOF
# the receipts' text, as osmo-msc logs each (Appendix B, its own row id)
n=$(grep -c "stat:DELIVRD" "$WORK/core/osmo-msc.log" || true)
echo "osmocom_mt: osmo-msc logged $n receipts, e.g. $(grep -m1 -o "id:[0-9]* sub.*" "$WORK/core/osmo-msc.log")"
[ "$n" = "$RCPT" ] || osmo_fail "osmo-msc made $n receipts, not $RCPT"
stop_txgw || osmo_fail "txgw did not stop cleanly"
echo "osmocom_mt: ok (seed $SEED)"
