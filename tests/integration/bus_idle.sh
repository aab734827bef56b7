#!/usr/bin/env bash
# tests/integration/bus_idle.sh — a TCP connection to a bus port that never
# completes the ZMTP greeting is closed by the gateway within
# BUS_HANDSHAKE_MS (5 s), so idle connections cannot hold descriptors (the
# audit exhausted them with 250 such connections to the publish port).
# 50 idle connections each to publish and replay, held 7 s: all closed by
# the gateway, which stays idle meanwhile (< 0.3 s of CPU).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
write_config
start_txgw
cpu() { awk '{ print $14 + $15 }' "/proc/$TXGW_PID/stat"; }
c0=$(cpu)
out=$(/usr/bin/python3 - "$PUB_PORT" "$REPLAY_PORT" <<'PY'
import socket, sys, time
socks = []
for port in map(int, sys.argv[1:3]):
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        socks.append(s)
time.sleep(7)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        while s.recv(4096):
            pass
        closed += 1		# b'': the gateway closed it
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print(closed, len(socks))
PY
)
c1=$(cpu)
read -r closed total <<<"$out"
ticks=$((c1 - c0))
echo "bus_idle: $closed of $total idle connections closed by txgw within 7 s; $ticks CPU ticks"
rc=0
[ "$closed" = "$total" ] || { echo "FAIL: $((total - closed)) idle connections still open"; rc=1; }
[ "$ticks" -lt 30 ] || { echo "FAIL: txgw used $ticks ticks of CPU while idle connections waited"; rc=1; }
stop_txgw || rc=1
exit $rc
