#!/usr/bin/env bash
# tests/osmocom/core.sh — a private Osmocom core on loopback for the tests:
# osmo-stp, osmo-hlr and osmo-msc, with osmo-msc's SMSC handing every SMS
# to the ESME "txgw" over SMPP.
#
#   core.sh start WORKDIR          configure and start the three daemons;
#                                  ready when every VTY answers, the HLR
#                                  has the MSC's GSUP connection and the STP
#                                  has the MSC's AS (point code 0.23.1) active
#   core.sh stop WORKDIR           stop them (SIGTERM, then SIGKILL), by PID
#   core.sh status WORKDIR         one line per daemon; exit 1 if one is down
#   core.sh restart WORKDIR DAEMON stop and start one of stp, hlr, msc
#   core.sh provision WORKDIR FILE create the subscribers of FILE ("IMSI
#                                  MSISDN" per line) in osmo-hlr, by its VTY
#   core.sh subscribers REGISTRY [MSISDN=HLR_MSISDN...]
#                                  the subscribers of a device registry
#                                  (doc/registry.md), one per bound MSISDN,
#                                  as "IMSI MSISDN" lines; an argument gives
#                                  that handset's SIM another MSISDN in the
#                                  HLR (a swapped SIM)
#
# The handsets' SIMs: the IMSI of MSISDN M is 00101 (MCC 001, MNC 01)
# followed by M's last 10 digits, zero-padded (txgw-handset-sim --help).
#
# The core takes an address of its own in 127.0.0.0/8 (osmo-hlr's GSUP
# port and the VTY and CTRL ports are fixed by the daemons; on an address
# no one else uses they clash with nothing) and free ports on it for M3UA,
# SMPP, SGs and the MGW client.  WORKDIR/core.env says where everything
# is (CORE_IP, M3UA_PORT, SMPP_PORT, SMPP_PASSWORD, the VTY ports,
# SCTP_PRELOAD); the daemons' logs are WORKDIR/osmo-*.log.
#
# Without SCTP in the kernel, the daemons that use it (osmo-stp, osmo-msc)
# run with tests/osmocom/sctp_shim.so preloaded, and so must every M3UA
# peer started against the core: $SCTP_PRELOAD is what to put in
# LD_PRELOAD (empty when the kernel has SCTP).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
VTY="$PY $TOP/tests/integration/vty_client.py"
# The daemons' fixed VTY ports (libosmocore's port list).
STP_VTY=4239 HLR_VTY=4258 MSC_VTY=4254
WAIT_S=${CORE_WAIT_S:-30}

die() {
	echo "core.sh: $*" >&2
	exit 1
}

# An address in 127.16.0.0-127.250.255.255 where every port the core
# needs is free, and free ports on it for the rest: "IP M3UA SMPP SGS
# MGW_LOCAL MGW_REMOTE".
pick_address() {
	$PY - <<'PYEOF'
import random, socket, sys
FIXED_TCP = [4239, 4258, 4259, 4222, 4254, 4255]
def free(ip, port, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    ip = "127.%d.%d.%d" % (random.randint(16, 250), random.randint(0, 255), random.randint(1, 254))
    if not all(free(ip, p) for p in FIXED_TCP):
        continue
    ports = []
    while len(ports) < 5:
        p = random.randint(10000, 30000)
        if p not in ports and p not in FIXED_TCP and free(ip, p) and free(ip, p, socket.SOCK_DGRAM):
            ports.append(p)
    print(ip, *ports)
    sys.exit(0)
sys.exit("no free address in 127.0.0.0/8")
PYEOF
}

# SCTP_PRELOAD: the shim when the kernel has no SCTP, else empty.
sctp_preload() {
	if $PY -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()' 2>/dev/null; then
		echo ""
	elif [ -f "$TOP/tests/osmocom/sctp_shim.so" ]; then
		echo "$TOP/tests/osmocom/sctp_shim.so"
	else
		die "the kernel has no SCTP and tests/osmocom/sctp_shim.so is not built (make)"
	fi
}

# fill TEMPLATE OUT: the template with the @NAME@ of core.env filled in
fill() {
	sed -e "s|@IP@|$CORE_IP|g; s|@WORK@|$W|g; s|@STP_VTY@|$STP_VTY|; s|@HLR_VTY@|$HLR_VTY|" \
	    -e "s|@MSC_VTY@|$MSC_VTY|; s|@M3UA_PORT@|$M3UA_PORT|g; s|@SMPP_PORT@|$SMPP_PORT|" \
	    -e "s|@SGS_PORT@|$SGS_PORT|; s|@MGW_LOCAL@|$MGW_LOCAL|; s|@MGW_REMOTE@|$MGW_REMOTE|" \
	    -e "s|@SMPP_PASSWORD@|$SMPP_PASSWORD|" "$HERE/$1" > "$W/$2"
}

binary() {
	case $1 in stp) echo osmo-stp ;; hlr) echo osmo-hlr ;; msc) echo osmo-msc ;; esac
}

# pid_of DAEMON: its PID when it runs (the recorded PID is that binary)
pid_of() {
	local f=$W/osmo-$1.pid p
	[ -s "$f" ] || return 1
	p=$(cat "$f")
	[ -r "/proc/$p/cmdline" ] || return 1
	tr '\0' ' ' < "/proc/$p/cmdline" | grep -q "^$(binary "$1") " || return 1
	grep -q '^State:.*Z' "/proc/$p/status" && return 1
	echo "$p"
}

launch() {
	local d=$1 pre=""
	[ "$d" = hlr ] || pre=$SCTP_PRELOAD
	case $d in
	stp) set -- osmo-stp -c "$W/osmo-stp.cfg" ;;
	hlr) set -- osmo-hlr -c "$W/osmo-hlr.cfg" -l "$W/hlr.db" ;;
	msc) set -- osmo-msc -c "$W/osmo-msc.cfg" ;;
	esac
	(cd "$W" && LD_PRELOAD=$pre exec "$@" >>"$W/osmo-$d.log" 2>&1 < /dev/null) &
	echo $! > "$W/osmo-$d.pid"
}

# vty PORT CMD...: the outputs of CMD... at the enable node; fails, quietly
# (the readiness checks poll a VTY that is not up yet), when none came
vty() {
	local port=$1
	shift
	$VTY --host "$CORE_IP" "$port" enable "$@" 2>/dev/null |
		$PY -c 'import json, sys; [print(o) for o in json.load(sys.stdin)["out"][1:]]' 2>/dev/null
}

# wait_for WHAT DAEMON COMMAND...: until COMMAND succeeds, or fail after
# WAIT_S seconds (or when DAEMON died) with its log's tail
wait_for() {
	local what=$1 d=$2 i
	shift 2
	for ((i = 0; i < WAIT_S * 10; i++)); do
		"$@" && return 0
		pid_of "$d" >/dev/null || { tail -20 "$W/osmo-$d.log" >&2; die "$(binary "$d") died ($what)"; }
		sleep 0.1
	done
	tail -20 "$W/osmo-$d.log" >&2
	die "$what: not within $WAIT_S s"
}

vty_up() {
	vty "$1" >/dev/null
}

# the HLR lists the MSC's GSUP connection ('MSC-00-00-00-00-00-00' from ...)
gsup_up() {
	vty "$HLR_VTY" "show gsup-connections" | grep -q "'MSC-"
}

# the STP has the MSC's routing key (DPC 0.23.1) in an active AS
msc_as_up() {
	vty "$STP_VTY" "show cs7 instance 0 as all" | grep -q "AS_ACTIVE.*0\.23\.1"
}

ready() {
	case $1 in
	stp) wait_for "osmo-stp's VTY" stp vty_up "$STP_VTY" ;;
	hlr) wait_for "osmo-hlr's VTY" hlr vty_up "$HLR_VTY" ;;
	msc) wait_for "osmo-msc's VTY" msc vty_up "$MSC_VTY"
	     wait_for "the MSC's GSUP connection to the HLR" msc gsup_up
	     wait_for "the MSC's AS active at the STP" msc msc_as_up ;;
	esac
}

stop_one() {
	local d=$1 p i
	p=$(pid_of "$d") || { rm -f "$W/osmo-$d.pid"; return 0; }
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pid_of "$d" >/dev/null || break
		sleep 0.1
	done
	p=$(pid_of "$d") && kill -KILL "$p" 2>/dev/null || true
	rm -f "$W/osmo-$d.pid"
}

load_env() {
	[ -f "$W/core.env" ] || die "$W/core.env: no core was started there"
	. "$W/core.env"
}

cmd_start() {
	local a
	for a in osmo-stp osmo-hlr osmo-msc; do
		command -v "$a" >/dev/null || die "$a is not installed (Debian package $a)"
	done
	mkdir -p "$W"
	read -r CORE_IP M3UA_PORT SMPP_PORT SGS_PORT MGW_LOCAL MGW_REMOTE < <(pick_address)
	SMPP_PASSWORD=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	SCTP_PRELOAD=$(sctp_preload)
	cat > "$W/core.env" <<EOF
CORE_IP=$CORE_IP
M3UA_PORT=$M3UA_PORT
SMPP_PORT=$SMPP_PORT
SMPP_SYSTEM_ID=txgw
SMPP_PASSWORD=$SMPP_PASSWORD
SGS_PORT=$SGS_PORT
MGW_LOCAL=$MGW_LOCAL
MGW_REMOTE=$MGW_REMOTE
STP_VTY=$STP_VTY
HLR_VTY=$HLR_VTY
MSC_VTY=$MSC_VTY
SCTP_PRELOAD=$SCTP_PRELOAD
EOF
	fill osmo-stp.cfg osmo-stp.cfg
	fill osmo-hlr.cfg osmo-hlr.cfg
	fill osmo-msc.cfg osmo-msc.cfg
	launch stp
	launch hlr
	ready stp
	ready hlr
	launch msc
	ready msc
	echo "core.sh: osmo-stp, osmo-hlr, osmo-msc up on $CORE_IP (M3UA $M3UA_PORT, SMPP $SMPP_PORT${SCTP_PRELOAD:+, SCTP over TCP})"
}

cmd_status() {
	local d p rc=0
	for d in stp hlr msc; do
		if p=$(pid_of "$d"); then
			echo "$(binary "$d") running, pid $p"
		else
			echo "$(binary "$d") not running"
			rc=1
		fi
	done
	return $rc
}

# provision FILE: every "IMSI MSISDN" line of FILE created in the HLR; the
# VTY must answer each with "% Created" / "% Updated"
cmd_provision() {
	local f=$1 cmds=() n=0 imsi msisdn out
	[ -r "$f" ] || die "$f: cannot read"
	while read -r imsi msisdn _; do
		[ -n "$imsi" ] || continue
		cmds+=("subscriber imsi $imsi create" "subscriber imsi $imsi update msisdn $msisdn")
		n=$((n + 1))
	done < "$f"
	[ $n -gt 0 ] || die "$f: no subscribers"
	out=$(vty "$HLR_VTY" "${cmds[@]}") || die "osmo-hlr's VTY did not answer"
	if [ "$(grep -c -e '% Created subscriber' -e '% Updated subscriber' <<<"$out")" != $((2 * n)) ]; then
		grep -v -e '% Created subscriber' -e '% Updated subscriber' <<<"$out" | head -5 >&2
		die "osmo-hlr refused some of the $n subscribers of $f"
	fi
	echo "core.sh: $n subscribers provisioned"
}

# subscribers REGISTRY [M=X...]
cmd_subscribers() {
	local reg=$1
	shift
	[ -r "$reg" ] || die "$reg: cannot read"
	awk -v over="$*" '
	BEGIN { n = split(over, o, " "); for (i = 1; i <= n; i++) { split(o[i], kv, "="); hlr[kv[1]] = kv[2] } }
	{ sub(/#.*/, "") }
	NF >= 6 && $4 != "-" && !seen[$4]++ {
		d = substr("0000000000" $4, length($4) + 1)
		printf "00101%s %s\n", d, ($4 in hlr) ? hlr[$4] : $4
	}' "$reg"
}

cmd=${1:-}
case $cmd in
start|stop|status|restart|provision)
	[ $# -ge 2 ] || die "usage: core.sh $cmd WORKDIR"
	W=$(cd "$2" 2>/dev/null && pwd || echo "$2") ;;
esac
case $cmd in
start) cmd_start ;;
stop) load_env; stop_one msc; stop_one hlr; stop_one stp ;;
status) load_env; cmd_status ;;
restart)
	load_env
	case ${3:-} in stp|hlr|msc) ;; *) die "usage: core.sh restart WORKDIR stp|hlr|msc" ;; esac
	stop_one "$3"; launch "$3"; ready "$3" ;;
provision) load_env; [ $# -ge 3 ] || die "usage: core.sh provision WORKDIR FILE"; cmd_provision "$3" ;;
subscribers) [ $# -ge 2 ] || die "usage: core.sh subscribers REGISTRY [MSISDN=HLR_MSISDN...]"
	shift; cmd_subscribers "$@" ;;
*) sed -n '2,33s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
