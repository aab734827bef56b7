#!/usr/bin/env bash
# The counters reach statsd: a `stats reporter statsd` in the configuration
# (libosmocore's), a UDP listener standing in for statsd, a registry reload
# on the stats socket, and the counter's statsd line must arrive.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
it_setup
STATSD_PORT=$(free_port)
NO_ESME=1 write_config
{ printf 'stats interval 1\nstats reporter statsd\n remote-ip 127.0.0.1\n'
  printf ' remote-port %s\n level global\n enable\n' "$STATSD_PORT"; cat "$WORK/txgw.cfg"; } > "$WORK/c2"
mv "$WORK/c2" "$WORK/txgw.cfg"
start_txgw
$PY - "$STATSD_PORT" "$WORK/stats.sock" <<'PYEOF'
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1])))
u.settimeout(1)
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[2])
s.sendall(b"reload registry\n"); assert s.recv(100).startswith(b"ok "), "reload refused"
end = time.time() + 8
while time.time() < end:
    try:
        d = u.recv(65536).decode()
    except socket.timeout:
        continue
    if "registry.reloads:1|c" in d:
        print("statsd: got", d.strip()); sys.exit(0)
print("FAIL: no registry.reloads counter on statsd"); sys.exit(1)
PYEOF
stop_txgw
