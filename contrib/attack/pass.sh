#!/usr/bin/env bash
# contrib/attack/pass.sh: an attacker's pass over everything a txgw
# listens on, on loopback (doc/security.md, section 4).  Starts its own
# txgw with every listener on (SMTP, bus publish and replay, the stats
# socket, the VTY) the way the integration tests do, lists what it listens
# on (ss), runs pass.py against it, then again with CURVE on the bus.
# Then contrib/attack/downlink.sh (SKIP_DOWNLINK=1: not).  Not part of
# "make check": it measures, it asserts nothing.  About 4 min.
set -euo pipefail
. "$(dirname "$0")/../../tests/integration/lib.sh"
it_setup
NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
echo "== txgw $TXGW_PID listens on:"
ss -ltnpxH 2>/dev/null | grep "pid=$TXGW_PID," | awk '{print $1, $5}' |
	sed -e "s/:$SMTP_PORT\$/:$SMTP_PORT SMTP/" -e "s/:$PUB_PORT\$/:$PUB_PORT bus publish/" \
	    -e "s/:$REPLAY_PORT\$/:$REPLAY_PORT bus replay/" -e "s/:$VTY_PORT\$/:$VTY_PORT VTY/" || true
echo "stats socket mode: $(stat -c %a "$WORK/stats.sock")"
echo "== attacks (no CURVE, loopback)"
$PY "$TOP/contrib/attack/pass.py" --pid "$TXGW_PID" --log "$WORK/txgw.log" \
	--stats "$WORK/stats.sock" --vty "$VTY_PORT" --vty-password "$VTY_PASSWORD" \
	--smtp "$SMTP_PORT" --pub "$PUB_PORT" --replay "$REPLAY_PORT" ${ONLY:+--only "$ONLY"}
stop_txgw

echo "== attacks (CURVE)"
mkdir -p "$WORK/k"
srv=$("$TOP/gateway/tools/txgw-keygen" "$WORK/k/srv.key" "$WORK/k/srv.pub")
"$TOP/gateway/tools/txgw-keygen" "$WORK/k/a.key" "$WORK/k/a.pub" >/dev/null
grep -v '^#' "$WORK/k/a.pub" > "$WORK/k/clients"
BUS_EXTRA=" curve-secret-key $WORK/k/srv.key
 curve-clients $WORK/k/clients" NO_ESME=1 WITH_MAIL=1 write_config
start_txgw
$PY "$TOP/contrib/attack/pass.py" --pid "$TXGW_PID" --log "$WORK/txgw.log" \
	--stats "$WORK/stats.sock" --vty "$VTY_PORT" --vty-password "$VTY_PASSWORD" \
	--smtp "$SMTP_PORT" --pub "$PUB_PORT" --replay "$REPLAY_PORT" --curve "$srv"
echo "bus.refused: $(stats 'show stats' | $PY -c 'import json,sys; print(json.load(sys.stdin).get("bus.refused"))')"
stop_txgw
echo "log lines: $(wc -l < "$WORK/txgw.log")"

# the downlink's surfaces: send socket, a hostile relay, hostile receipts
[ -n "${SKIP_DOWNLINK:-}" ] || bash "$TOP/contrib/attack/downlink.sh"
