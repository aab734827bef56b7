#!/usr/bin/env bash
# contrib/bench/mail.sh — mails per second into txgw's SMTP service, one
# frame per mail, 50 concurrent sessions; not part of `make check`.
#
#  1. Postfix's smtp-source (-s 50 -d: 50 sessions, each reusing its
#     connection) sends MAILS copies of one mail file, first to Postfix's
#     smtp-sink (answers 250 and discards: the reference), then to txgw
#     (250 only after the journal sync).  smtp-source sends one fixed
#     message, so every mail after the first carries the same frame and is
#     a duplicate for txgw (its signature verdict remembered from the first
#     copy, journaled, nothing published).
#  2. smtp-source and smtp-sink have no STARTTLS: the TLS figures come from
#     contrib/bench/mail_load.py (Python asyncio, same lockstep dialogue),
#     which also sends distinct signed frames; its plain runs against
#     smtp-sink and txgw give the same-tool reference.
#  3. p99 of end of DATA -> reply, from mail_load.py at moderate load
#     (10 sessions, distinct frames), plain and with STARTTLS.
#  4. Peak RSS of txgw: VmHWM from /proc/PID/status; txgw's CPU time per
#     mail in pass 1 (/proc/PID/stat), which does not depend on what else
#     the host runs, unlike the rates.
# MAILS (default 3000) and SESSIONS (50) can be set in the environment.
set -euo pipefail
. "$(dirname "$0")/../../tests/integration/lib.sh"
MAILS=${MAILS:-3000}
SESSIONS=${SESSIONS:-50}
KEY=$TOP/tests/vectors/keys/00112233aabbccdd-1.key
LOAD="$PY $TOP/contrib/bench/mail_load.py"
for t in smtp-source smtp-sink; do
	command -v $t >/dev/null || { echo "mail.sh: $t missing (Debian package postfix)"; exit 1; }
done
[ -x "$TXGW" ] || { echo "mail.sh: build first ($TXGW missing)"; exit 1; }

it_setup
make_test_ca_work
NO_ESME=1 WITH_MAIL=1 write_config
# every session comes from 127.0.0.1, and smtp-source reuses each for many
# mails: no per-address or per-session command cap here
sed -i "s/^ smtp-domain txlog.example$/&\n smtp-max-sessions 200\n smtp-max-sessions-per-ip 0\n smtp-max-commands 0/" \
	"$WORK/txgw.cfg"
start_txgw
wait_smtp
SINK_PORT=$(free_port)
# smtp-sink will not run as root without -u (the user it switches to)
u=(); [ "$(id -u)" != 0 ] || u=(-u nobody)
smtp-sink "${u[@]}" 127.0.0.1:"$SINK_PORT" 1024 >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1', $SINK_PORT), 1).close()" 2>/dev/null && break
	sleep 0.1
done

# the mail file: one frame attachment; smtp-source -F wants LF line ends
$PY "$TOP/tests/integration/mail_frames.py" --key "$KEY" --upload-seq 1 --counter 1 \
	--from bench@handset.example --out "$WORK/one.crlf"
tr -d '\r' <"$WORK/one.crlf" >"$WORK/one.eml"

now() { date +%s.%N; }
# cpu: txgw's user+system CPU seconds so far (/proc/PID/stat fields 14, 15)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$TXGW_PID/stat"; }
hwm() { awk '/VmHWM/ { printf "%.1f MiB\n", $2 / 1024 }' "/proc/$TXGW_PID/status"; }

# source PORT: mails per second from smtp-source
source_rate() {
	local t0 t1
	t0=$(now)
	timeout 300 smtp-source -s "$SESSIONS" -d -m "$MAILS" -f bench@handset.example \
		-t upload@txlog.example -F "$WORK/one.eml" 127.0.0.1:"$1" >"$WORK/source-$1.log" 2>&1 ||
		{ echo "smtp-source to port $1 failed:" >&2; cat "$WORK/source-$1.log" >&2; exit 1; }
	t1=$(now)
	$PY -c "print(round($MAILS / ($t1 - $t0), 1))"
}
field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

echo "mail.sh: $MAILS mails, $SESSIONS sessions, one frame each; $(nproc) CPUs"
sink=$(source_rate "$SINK_PORT")
c0=$(cpu)
gw=$(source_rate "$SMTP_PORT")
c1=$(cpu)
ratio=$($PY -c "print(round($gw / $sink, 3))")
echo "smtp-source  smtp-sink:        $sink mails/s"
echo "smtp-source  txgw plain:       $gw mails/s   ratio to smtp-sink $ratio (target >= 0.5)  [same frame: duplicates after the first]"
echo "             txgw CPU $($PY -c "print(round(($c1 - $c0) * 1e6 / $MAILS))") us per mail (a figure that other load on the host does not change); peak RSS $(hwm)"

j=$($LOAD --port "$SINK_PORT" --sessions "$SESSIONS" --count "$MAILS" --mail "$WORK/one.crlf")
lsink=$(field "$j" rate)
echo "mail_load    smtp-sink plain:  $lsink mails/s"
first=10
for mode in plain tls; do
	extra=()
	[ $mode = tls ] && extra=(--tls --ca "$WORK/ca.pem")
	j=$($LOAD --port "$SMTP_PORT" --sessions "$SESSIONS" --count "$MAILS" --key "$KEY" \
		--first $first "${extra[@]}")
	first=$((first + MAILS))
	r=$(field "$j" rate)
	printf 'mail_load    txgw %-5s        %s mails/s   ratio to smtp-sink (plain) %s, failed %s %s  [distinct frames]\n' \
		"$mode:" "$r" "$($PY -c "print(round($r / $lsink, 3))")" "$(field "$j" failed)" "$(field "$j" session_errors)"
done
for mode in plain tls; do
	extra=()
	[ $mode = tls ] && extra=(--tls --ca "$WORK/ca.pem")
	j=$($LOAD --port "$SMTP_PORT" --sessions 10 --count 1000 --key "$KEY" --first $first "${extra[@]}")
	first=$((first + 1000))
	echo "latency      txgw $mode, 10 sessions: end of DATA -> 250: p50 $(field "$j" p50_ms) ms, p99 $(field "$j" p99_ms) ms, max $(field "$j" max_ms) ms ($(field "$j" rate) mails/s)"
done
echo "txgw peak RSS (VmHWM): $(hwm); journal_seq $(journal_seq)"
stop_txgw
