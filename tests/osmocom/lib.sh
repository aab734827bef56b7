# tests/osmocom/lib.sh — sourced by tests/integration/osmocom*.sh after
# tests/integration/lib.sh: the private Osmocom core (core.sh) around a
# test, txgw bound to its SMSC, and txgw-handset-sim in front of it.
CORE=$TOP/tests/osmocom/core.sh
HSIM=${HSIM:-$TOP/contrib/sim/txgw-handset-sim}

# osmo_missing: the first Osmocom daemon that is not installed, in a
# sentence; nothing when all are
osmo_missing() {
	local d
	for d in osmo-stp osmo-hlr osmo-msc; do
		command -v "$d" >/dev/null ||
			{ echo "$d is not installed (Debian packages osmo-stp osmo-hlr osmo-msc)"; return 0; }
	done
}

# osmo_need NAME: exit 0 with a SKIP line when the Osmocom daemons are not
# installed; fail when they are but our pieces are not built.
osmo_need() {
	local why
	why=$(osmo_missing)
	[ -z "$why" ] || { echo "SKIP: $1: $why"; exit 0; }
	[ -x "$HSIM" ] || { echo "FAIL: $1: $HSIM not built (configure found no libosmo-sigtran?)"; exit 1; }
}

# osmo_setup: it_setup, and the core stopped at exit too
osmo_setup() {
	it_setup
	trap osmo_cleanup EXIT
}

osmo_cleanup() {
	[ ! -f "$WORK/core/core.env" ] || "$CORE" stop "$WORK/core" >/dev/null 2>&1 || true
	it_cleanup
}

# core_start: the core in $WORK/core; its core.env sourced (CORE_IP,
# M3UA_PORT, SMPP_PORT, SMPP_PASSWORD, SCTP_PRELOAD, ...); txgw's
# esme pointed at its SMSC (SMSC_IP, SMSC_PORT, SMSC_PASSWORD)
core_start() {
	mkdir -p "$WORK/core"
	"$CORE" start "$WORK/core" || { echo "FAIL: the Osmocom core did not start"; return 1; }
	. "$WORK/core/core.env"
	SMSC_IP=$CORE_IP SMSC_PORT=$SMPP_PORT SMSC_PASSWORD=$SMPP_PASSWORD
}

# fleet_prepare FLEET-OPTIONS...: the fleet made ($WORK/reg.txt, its keys
# in $WORK/keys); LOAD: the options that load it again
fleet_prepare() {
	"$HSIM" "$@" --registry "$WORK/reg.txt" --keys-dir "$WORK/keys" --prepare ||
		osmo_fail "txgw-handset-sim --prepare"
	LOAD=(--load-registry "$WORK/reg.txt" --keys-dir "$WORK/keys")
}

# fleet_provision FLEET-OPTIONS...: the SIMs of the fleet (with LOAD's
# options) into $WORK/subs.txt, then into osmo-hlr
fleet_provision() {
	"$HSIM" "$@" "${LOAD[@]}" --subscribers "$WORK/subs.txt" --prepare ||
		osmo_fail "txgw-handset-sim --subscribers"
	"$CORE" provision "$WORK/core" "$WORK/subs.txt" || osmo_fail "provisioning"
}

# txgw_up: txgw on $WORK/reg.txt, bound to osmo-msc's SMSC as the esme
# osmo-msc (OsmoMSC sends 7-bit SMS as data_coding 1 with one septet an
# octet: data-coding-1 gsm7)
txgw_up() {
	ESME_NAME=osmo-msc write_config "$WORK/reg.txt" "data-coding-1 gsm7"
	start_txgw || osmo_fail "txgw did not start"
	wait_bound || osmo_fail "no bind"
}

# wait_bound [SECONDS]: until txgw's bind to osmo-msc is bound
wait_bound() {
	local i
	for ((i = 0; i < ${1:-20} * 10; i++)); do
		stats "show binds" 2>/dev/null | grep -q '"state": *"bound"' && return 0
		sleep 0.1
	done
	echo "txgw did not bind to osmo-msc within ${1:-20} s"; stats "show binds" || true
	tail -5 "$WORK/txgw.log"
	return 1
}

# hsim ARGS...: txgw-handset-sim in the foreground against the core, its
# stderr in $WORK/hsim.log (appended); its status in HSIM_RC
hsim() {
	HSIM_RC=0
	LD_PRELOAD=$SCTP_PRELOAD "$HSIM" --stp-ip "$CORE_IP" --stp-port "$M3UA_PORT" -q "$@" \
		2>>"$WORK/hsim.log" || HSIM_RC=$?
}

# hsim_start ARGS...: the same in the background; HSIM_PID
hsim_start() {
	LD_PRELOAD=$SCTP_PRELOAD "$HSIM" --stp-ip "$CORE_IP" --stp-port "$M3UA_PORT" -q "$@" \
		2>>"$WORK/hsim.log" &
	HSIM_PID=$!; PIDS+=("$HSIM_PID")
}

# hsim_wait SECONDS: until the background simulator ends (SIGTERM after
# SECONDS: it still writes its summary); HSIM_RC
hsim_wait() {
	SIM_PID=$HSIM_PID
	wait_sim "$1"
	HSIM_RC=$SIM_RC
}

# osmo_fail WHAT: the evidence, then exit 1 (the work directory is kept)
osmo_fail() {
	echo "FAIL: $*"
	# (a log not written yet must not end this under set -e)
	echo "--- txgw-handset-sim:"; tail -15 "$WORK/hsim.log" 2>/dev/null || true
	echo "--- txgw:"; grep -E "ERROR|NOTICE" "$WORK/txgw.log" 2>/dev/null | tail -10 || true
	echo "--- osmo-msc:"; grep -E "ERROR" "$WORK/core/osmo-msc.log" 2>/dev/null | grep -v MGCP | tail -10 || true
	KEEP_WORK=1
	echo "(work directory kept: $WORK)"
	exit 1
}
