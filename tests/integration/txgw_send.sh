#!/usr/bin/env bash
# contrib/txgw-send, the downlink's client, against a running txgw and
# txgw-smsc-sim: --help; bad usage exits 2 with the reason; one request
# from options (--payload-hex, --payload-file, --payload-b64, --receipt,
# --device) answered QUEUED and, with --follow, followed to its end
# (delivered by the simulator's receipt); a refused one exits 1 with its
# reason; requests from standard input; --json lines; the summary; with
# CURVE on the bus, a listed key (--curve-server-key, --curve-key) queued
# and followed to submitted, an unlisted key and a plain client unanswered
# with the reason, counted in bus.refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
S=("$SEND_TOOL" --send "tcp://127.0.0.1:$SEND_PORT" --publish "tcp://127.0.0.1:$PUB_PORT"
   --replay "tcp://127.0.0.1:$REPLAY_PORT" --wait 20)
fail() { echo "FAIL txgw_send: $*"; exit 1; }

# the whole text first: grep -q ends the pipe at its match, and under
# pipefail a --help still writing then dies of SIGPIPE (failed 2 in 4)
grep -q "^Exit status: 0 when every request was queued" <<<"$("$SEND_TOOL" --help)" || fail "--help"
for bad in "--id x" "--id x --msisdn 1" "--id x --msisdn 1 --device 1122334455667788 --payload-hex 00" \
	"--id x --msisdn 1 --payload-hex 0g" "--timeout 0 f" "--bogus" "a b"; do
	rc=0
	"$SEND_TOOL" $bad >/dev/null 2>"$WORK/err" || rc=$?
	[ $rc = 2 ] || fail "'$bad' exit $rc, not 2"
	grep -q "txgw-send: " "$WORK/err" || fail "'$bad' gave no reason"
done
# a number is digits only, as for txgw-sub (contrib/bus_client.c)
for bad in "--retry +3" "--window -1" "--timeout 1x"; do
	"$SEND_TOOL" $bad f >/dev/null 2>"$WORK/err" && fail "'$bad' taken"
	grep -q "txgw-send: ${bad%% *}: not a number in range" "$WORK/err" ||
		fail "'$bad': $(cat "$WORK/err")"
done

start_sim --no-uploads --duration 600 --devices 1 --receipt-delay 50
dl_config "$TOP/tests/vectors/devices.txt"
start_txgw
"${S[@]}" --id one --msisdn +886912345678 --payload-hex deadbeef --receipt --follow \
	>"$WORK/one.out" 2>"$WORK/one.err" || fail "one: $(cat "$WORK/one.out" "$WORK/one.err")"
grep -q "^QUEUED one 1$" "$WORK/one.out" || fail "one: $(cat "$WORK/one.out")"
grep -Eq "^[0-9]+ one delivered$" "$WORK/one.out" || fail "one not delivered: $(cat "$WORK/one.out")"
grep -q "1 requests: 1 queued" "$WORK/one.err" || fail "summary: $(cat "$WORK/one.err")"
head -c 300 /dev/urandom >"$WORK/p.bin"
"${S[@]}" -q --id two --device 00112233aabbccdd --payload-file "$WORK/p.bin" >"$WORK/two.out" ||
	fail "two: $(cat "$WORK/two.out")"
grep -q "^QUEUED two 4$" "$WORK/two.out" || fail "two: $(cat "$WORK/two.out")"
rc=0
"${S[@]}" -q --id three --device 0a0b0c0d0e0f1011 --payload-b64 AAAA >"$WORK/three.out" || rc=$?
[ $rc = 1 ] && grep -q "^ERROR three no_address$" "$WORK/three.out" || fail "three: $rc $(cat "$WORK/three.out")"
printf '%s\n' '{"id":"four","msisdn":"1","payload":"AAAA"}' '# a comment' '{"id":"five"' |
	"${S[@]}" --json - >"$WORK/stdin.out" 2>"$WORK/stdin.err" && fail "a bad request, exit 0"
grep -q '{"answer":"QUEUED","id":"four","detail":"' "$WORK/stdin.out" || fail "stdin: $(cat "$WORK/stdin.out")"
grep -q '{"answer":"ERROR","id":"","detail":"bad_request"}' "$WORK/stdin.out" || fail "stdin bad"
grep -q "2 requests: 1 queued, 1 refused" "$WORK/stdin.err" || fail "stdin summary: $(cat "$WORK/stdin.err")"
stop_txgw

# ---- CURVE (doc/bus.md "Who may connect"): the send socket is a CURVE
# server; a listed key is served, an unlisted key and a plain client get
# no answer at all, txgw-send says why, exits 1, bus.refused counts them
dl_curve_keys
rc=0; "$SEND_TOOL" --curve-key "$K/a.key" --id x --msisdn 1 --payload-hex 00 2>"$WORK/err" || rc=$?
[ $rc = 2 ] && grep -q "^txgw-send: --curve-server-key and --curve-key go together$" "$WORK/err" ||
	fail "--curve-key alone: exit $rc: $(cat "$WORK/err")"
BUS_EXTRA=$CURVE_BUS dl_config "$TOP/tests/vectors/devices.txt"
start_txgw
C=(--curve-server-key "$K/srv.pub" --curve-key "$K/a.key")
"${S[@]}" "${C[@]}" --id six --msisdn +886912345678 --payload-hex 0102 --follow \
	>"$WORK/six.out" 2>"$WORK/six.err" || fail "six, a listed key: $(cat "$WORK/six.out" "$WORK/six.err")"
grep -q "^QUEUED six [0-9]*$" "$WORK/six.out" && grep -Eq "^[0-9]+ six submitted$" "$WORK/six.out" ||
	fail "six, a listed key: $(cat "$WORK/six.out")"
n0=$(journal_seq)
for who in unlisted plain; do
	r0=$(dl_stat bus.refused)
	keys=(--curve-server-key "$(grep -v '^#' "$K/srv.pub")" --curve-key "$K/b.key")
	want="refused our CURVE key $(grep -v '^#' "$K/b.pub") (ZAP status 400): is it in the gateway's curve-clients"
	[ $who = plain ] && keys=() && want="wants CURVE: give --curve-server-key and --curve-key"
	rc=0
	"${S[@]}" "${keys[@]}" --timeout 1 --retry 0 --id "$who" --msisdn +886912345678 --payload-hex 03 \
		>"$WORK/$who.out" 2>"$WORK/$who.err" || rc=$?
	[ $rc = 1 ] && grep -q "^UNANSWERED $who$" "$WORK/$who.out" || fail "$who: exit $rc: $(cat "$WORK/$who.out")"
	grep -qF "txgw-send: no answer from tcp://127.0.0.1:$SEND_PORT to $who in 1 s (1 try): tcp://127.0.0.1:$SEND_PORT $want" \
		"$WORK/$who.err" || fail "$who: $(cat "$WORK/$who.err")"
	$PY "$TOP/tests/integration/stats_check.py" "$WORK/stats.sock" wait bus.refused $((r0 + 1)) 5 ||
		fail "$who: bus.refused stayed $r0"
done
[ "$(journal_seq)" = "$n0" ] || fail "the refused clients queued: journal seq $n0 -> $(journal_seq)"
stop_txgw
dl_sim_stop
echo "txgw_send: help, 10 bad usages (exit 2), options, a file on stdin, --json, --follow to delivered, a refusal (exit 1), CURVE (a listed key served, an unlisted key and a plain client refused, exit 1): as documented"
