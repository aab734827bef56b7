#!/usr/bin/env bash
# tests/demo.sh — ./quickstart demo: the embedded demo, under a minute.
#
#   1. the test vectors through the tools (txgw-tpdu, txgw-frame);
#   2. the SMS path live: txgw-smsc-sim (an SMSC with a fleet of simulated
#      handsets, a few anomalies among honest uploads) -> txgw (SMPP ESME,
#      verification, ledger, journal) -> the bus -> txgw-sub (subscriber);
#   3. a few mailed uploads (txgw-mail-sim -> txgw's SMTP service), when
#      the mail simulator is built;
#   4. a summary: sent, acknowledged, records, alerts and rejects by kind,
#      whether the subscriber got exactly what the simulator sent; then
#      `show stats` from the stats socket;
#   5. alongside an Osmocom network: a private core (osmo-stp, osmo-hlr,
#      osmo-msc), a txgw of its own (with a downlink node, for part 6)
#      bound to osmo-msc's SMSC as the esme osmo-msc, five handsets
#      (txgw-handset-sim) uploading through the core to it; the same
#      summary, then `show binds`.  A SKIP line without the Osmocom
#      packages;
#   6. the downlink, in the same core: the operation server answers each
#      of the five handsets with a signed receipt of 300 octets (3 SMS),
#      sent with txgw-send to that txgw's send socket, which submits it to
#      osmo-msc; osmo-msc pages the handset, delivers, and sends txgw a
#      delivery receipt a part.  Each message's events as they come
#      (queued, submitted, delivered), a line a handset from what it got,
#      then the downlink's counters.  Skipped with part 5.
# Everything runs in a temporary directory on 127.0.0.1 ports (the core on
# an address of its own in 127.0.0.0/8).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
. tests/integration/lib.sh
. tests/osmocom/lib.sh
. tests/integration/downlink_lib.bash

# at exit, whatever happened: part 5's core (its daemons stopped by their
# PIDs), then every process started here, and the work directory
demo_cleanup() {
	[ ! -f "$DEMO_WORK/osmo/core/core.env" ] || "$CORE" stop "$DEMO_WORK/osmo/core" >/dev/null 2>&1 || true
	WORK=$DEMO_WORK
	it_cleanup
}

COUNT=${TXGW_DEMO_UPLOADS:-1500}
RATE=${TXGW_DEMO_RATE:-300}

echo "== 1. the test vectors (tests/vectors/) through txgw-tpdu and txgw-frame"
/usr/bin/python3 tests/demo_vectors.py
echo

it_setup
DEMO_WORK=$WORK
trap demo_cleanup EXIT
echo "== 2. SMS: txgw-smsc-sim -> txgw -> bus -> txgw-sub   (work dir $WORK)"
mkdir -p "$WORK/keys" "$WORK/mailkeys"
# the handsets that will mail have keys of their own (a simulator run that
# nobody binds to only writes its fleet's registry and keys)
"$TOP/contrib/sim/txgw-smsc-sim" --port 0 --devices 10 --alg mix --registry "$WORK/mail-devices.txt" \
	--keys-dir "$WORK/mailkeys" --count 1 --wait-bind 0.1 --seed 7 -q >/dev/null 2>&1 || true
"$TOP/contrib/sim/txgw-smsc-sim" --port "$SMSC_PORT" --ready "$WORK/sim.port" \
	--devices 200 --alg mix --registry "$WORK/sms-devices.txt" --keys-dir "$WORK/keys" \
	--count "$COUNT" --rate "$RATE" --form mix --smpp-form mix --concat-ref mix \
	--records-per-upload 3 --seed 2026 \
	--anomaly bad_signature:0.004 --anomaly replay:0.004 --anomaly counter_gap:0.004 \
	--anomaly balance_mismatch:0.004 --anomaly unknown_device:0.004 --anomaly text:0.004 \
	--summary "$WORK/sim.json" --wait-bind 20 --drain 20 2> "$WORK/sim.err" > "$WORK/sim.out" &
SIM_PID=$!; PIDS+=("$SIM_PID")
for _ in $(seq 100); do [ -s "$WORK/sim.port" ] && break; sleep 0.1; done
cat "$WORK/sms-devices.txt" "$WORK/mail-devices.txt" > "$WORK/devices.txt"
WITH_MAIL=1 write_config "$WORK/devices.txt"
start_txgw
echo "  (txgw's VTY meanwhile: telnet 127.0.0.1 $VTY_PORT, password $VTY_PASSWORD)"
"$TOP/contrib/txgw-sub" --pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
	--json --timeout 90 > "$WORK/sub.jsonl" 2> "$WORK/sub.err" &
SUB_PID=$!; PIDS+=("$SUB_PID")

# the simulator's progress line, once a second, until it is done
while kill -0 "$SIM_PID" 2>/dev/null; do
	line=$(tr '\r' '\n' < "$WORK/sim.err" | grep -a 'uploads' | tail -1 || true)
	bus=$(wc -l < "$WORK/sub.jsonl")
	printf '\r  %s | bus: %s messages   ' "${line#txgw-smsc-sim: }" "$bus"
	sleep 1
done
echo
wait "$SIM_PID" || echo "  (the simulator reports unacknowledged uploads)"

if [ -x "$TOP/contrib/sim/txgw-mail-sim" ]; then
	echo "== 3. mail: txgw-mail-sim -> txgw's SMTP service"
	"$TOP/contrib/sim/txgw-mail-sim" --host 127.0.0.1 --port "$SMTP_PORT" --domain txlog.example \
		--load-registry "$WORK/mail-devices.txt" --keys-dir "$WORK/mailkeys" --count 10 --shape mix \
		--summary "$WORK/mail.json" -q 2>&1 | sed 's/^/  /' || true
fi

last=$(journal_seq)
"$TOP/contrib/txgw-sub" --pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
	--json --from 1 --until-seq "$last" --timeout 30 > "$WORK/bus.jsonl" 2>/dev/null
kill -INT "$SUB_PID" 2>/dev/null || true
wait "$SUB_PID" 2>/dev/null || true

echo
echo "== 4. summary"
/usr/bin/python3 tests/demo_summary.py "$WORK/sim.json" "$WORK/bus.jsonl" "$WORK/sub.jsonl" \
	"$WORK/mail.json"
# the SMS part exactly, record by record, alert by alert (the mails came
# after it, so its seqs are the first ones)
grep '"bearer":"sms"' "$WORK/bus.jsonl" > "$WORK/bus-sms.jsonl" || true
if /usr/bin/python3 tests/integration/sim_compare.py --summary "$WORK/sim.json" \
	--bus "$WORK/bus-sms.jsonl" > "$WORK/compare.txt" 2>&1; then
	echo "  exact comparison of the SMS bus with the simulator's summary: identical"
else
	echo "  exact comparison of the SMS bus with the simulator's summary: DIFFERENT"
	sed 's/^/    /' "$WORK/compare.txt" | head -20
fi
echo
echo "== show stats (stats socket $WORK/stats.sock)"
stats "show stats" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in sorted(s):
    if s[k]:
        print("  %-28s %d" % (k, s[k]))'
stop_txgw

# ---- 5. alongside an Osmocom network ----

# the handsets' progress line, once a second, until they are done (60 s)
osmo_progress() {
	local i line
	for ((i = 0; i < 60; i++)); do
		kill -0 "$HSIM_PID" 2>/dev/null || break
		line=$(grep -a '^t=' "$WORK/hsim.log" | tail -1 | sed 's/ rate .*//' || true)
		printf '\r  %s | bus: %s messages   ' "${line:-registering}" "$(wc -l < "$WORK/sub.jsonl")"
		sleep 1
	done
	echo
	kill -0 "$HSIM_PID" 2>/dev/null && kill -TERM "$HSIM_PID"
	HSIM_RC=0
	wait "$HSIM_PID" || HSIM_RC=$?
	[ "$HSIM_RC" = 0 ] || echo "  (txgw-handset-sim exit $HSIM_RC: not every upload acknowledged)"
}

demo_osmocom() {
	local why last
	echo
	echo "== 5. Osmocom: txgw-handset-sim -> osmo-stp -> osmo-msc -> txgw -> bus -> txgw-sub"
	why=$(osmo_missing)
	[ -n "$why" ] || [ -x "$HSIM" ] ||
		why="contrib/sim/txgw-handset-sim is not built (configure found no libosmo-sigtran)"
	if [ -n "$why" ]; then
		echo "  SKIP: $why"
		return 0
	fi
	WORK=$DEMO_WORK/osmo
	mkdir -p "$WORK"
	new_ports
	core_start > "$WORK/core.out" ||
		{ grep -v '^FAIL' "$WORK/core.out" || true; osmo_fail "the Osmocom core did not start (see $WORK/core)"; }
	sed 's/^core.sh: /  /' "$WORK/core.out"
	fleet_prepare --devices 5 --alg mix --records-per-upload 3 --seed 2026
	fleet_provision --devices 5 --seed 2026 | sed 's/^core.sh: /  osmo-hlr: /'
	# with a downlink node and a send socket from the start, for part 6
	dl_ports
	ESME_NAME=osmo-msc write_config "$WORK/reg.txt" "data-coding-1 gsm7"
	printf 'downlink\nbus\n send tcp://127.0.0.1:%s\n' "$SEND_PORT" >>"$WORK/txgw.cfg"
	start_txgw || osmo_fail "txgw did not start"
	wait_bound || osmo_fail "no bind"
	echo "  txgw bound to osmo-msc's SMSC at $CORE_IP:$SMPP_PORT (esme osmo-msc, data-coding-1 gsm7)"
	"$TOP/contrib/txgw-sub" --pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
		--json --timeout 90 > "$WORK/sub.jsonl" 2> "$WORK/sub.err" &
	SUB_PID=$!; PIDS+=("$SUB_PID")
	# 5 handsets, 8 uploads each, 8 a second: a few seconds to watch
	LD_PRELOAD=$SCTP_PRELOAD "$HSIM" --stp-ip "$CORE_IP" --stp-port "$M3UA_PORT" "${LOAD[@]}" \
		--seed 2026 --per-handset 8 --rate 8 --form mix --concat-ref mix --records-per-upload 3 \
		--anomaly replay:0.05 --anomaly bad_signature:0.05 --anomaly text:0.05 \
		--summary "$WORK/sim.json" --drain 20 2> "$WORK/hsim.log" &
	HSIM_PID=$!; PIDS+=("$HSIM_PID")
	osmo_progress

	last=$(journal_seq)
	"$TOP/contrib/txgw-sub" --pub "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
		--json --from 1 --until-seq "$last" --timeout 30 > "$WORK/bus.jsonl" 2>/dev/null
	kill -INT "$SUB_PID" 2>/dev/null || true
	wait "$SUB_PID" 2>/dev/null || true
	/usr/bin/python3 tests/demo_summary.py --handsets "$WORK/sim.json" "$WORK/bus.jsonl" \
		"$WORK/sub.jsonl" || DEMO_RC=1
	if /usr/bin/python3 tests/integration/sim_compare.py --summary "$WORK/sim.json" \
		--bus "$WORK/bus.jsonl" --all-acked > "$WORK/compare.txt" 2>&1; then
		echo "  exact comparison of the bus with the handsets' summary: identical"
	else
		echo "  exact comparison of the bus with the handsets' summary: DIFFERENT"
		sed 's/^/    /' "$WORK/compare.txt" | head -20
		DEMO_RC=1
	fi
	echo
	echo "== show binds (stats socket $WORK/stats.sock)"
	stats "show binds" | /usr/bin/python3 -c '
import json, sys
for b in json.load(sys.stdin):
    print("  esme %s: %s to %s since %s, %d PDUs in, %d out"
          % (b["name"], b["state"], b["remote"], b["since"], b["rx_pdus"], b["tx_pdus"]))'
	OSMO_UP=1
}

# ---- 6. the downlink, through part 5's core and txgw ----

demo_downlink() {
	echo
	echo "== 6. downlink: txgw-send -> txgw -> osmo-msc -> handsets; receipts back -> bus"
	if [ -z "${OSMO_UP:-}" ]; then
		echo "  SKIP: with part 5"
		return 0
	fi
	/usr/bin/python3 tests/demo_downlink.py requests "$WORK/reg.txt" "$WORK/bus.jsonl" \
		"$WORK/reqs.jsonl"
	# the handsets again, idle until paged, until each has its message
	hsim_start "${LOAD[@]}" --mt-only --ready "$WORK/mt.ready" --linger 20 --until-mt 5 \
		--summary "$WORK/mt.json"
	for _ in $(seq 100); do [ -s "$WORK/mt.ready" ] && break; sleep 0.1; done
	echo "  the handsets (txgw-handset-sim --mt-only): $(cat "$WORK/mt.ready" 2>/dev/null ||
		echo "not registered"), idle until paged"
	# each event as it comes (stdbuf: txgw-send's lines are not held back)
	if ! stdbuf -oL "$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" \
		--publish "tcp://127.0.0.1:$PUB_PORT" --replay "tcp://127.0.0.1:$REPLAY_PORT" \
		--json --follow --wait 15 -q "$WORK/reqs.jsonl" | /usr/bin/python3 tests/demo_downlink.py events
	then
		echo "  (txgw-send: not every message delivered)"
		DEMO_RC=1
	fi
	hsim_wait 10
	/usr/bin/python3 tests/osmocom/mt_check.py --requests "$WORK/reqs.jsonl" --registry "$WORK/reg.txt" \
		--summary "$WORK/mt.json" --per-handset | sed 's/^mt_check: /  /' || DEMO_RC=1
	echo
	echo "== show stats: downlink (stats socket $WORK/stats.sock)"
	stats "show stats" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in sorted(s):
    if k.startswith("downlink.") or k in ("smpp.submit_sm", "smpp.delivery_receipts"):
        print("  %-28s %d" % (k, s[k]))'
}

# part 5's txgw and core, stopped once part 6 is done
demo_osmocom_stop() {
	[ -n "${OSMO_UP:-}" ] || return 0
	stop_txgw || return 1
	"$CORE" stop "$WORK/core"
	echo "  stopped by PID: txgw $TXGW_PID; osmo-msc, osmo-hlr, osmo-stp (tests/osmocom/core.sh stop)"
	WORK=$DEMO_WORK
}

DEMO_RC=0
demo_osmocom
demo_downlink
demo_osmocom_stop
exit $DEMO_RC
