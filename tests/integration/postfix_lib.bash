# tests/integration/postfix_lib.bash — sourced by the tests that run a
# private Postfix instance (mail_postfix.sh: a relay in front of txgw's SMTP
# service; downlink_postfix.sh: the relay of txgw's mail downlink): its own
# config, queue and data directories under $WORK/postfix, loopback only, a
# high port for its smtpd, no chroot.  Postfix's daemons need root to
# start (the tests run as root, as the CI does); without Postfix the test
# says why and fails.
#
#   pf_init                 PF, MTA_PORT; the directories
#   pf_config <<EOF ... EOF main.cf: the common lines, then standard input
#   pf_start                start it, wait for its smtpd (10 s at most)
#   pf_stop                 stop it, and make sure its master is gone

pf_init() {
	local t
	for t in postfix postconf postqueue /usr/sbin/sendmail; do
		command -v "$t" >/dev/null || { echo "Postfix is not installed ($t missing; Debian package postfix)"; return 1; }
	done
	PF=$WORK/postfix	# config in $PF/etc (root's), queue and data beside it
	MTA_PORT=$(free_port)
	# Postfix's daemons run as the postfix user: it must reach its queue
	# and data directories (mktemp made $WORK private)
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chmod 755 "$WORK" "$PF"
	chown postfix "$PF/data"
}

# pf_config: main.cf, the lines every instance has, then stdin's; master.cf
# with only the services a relay and the virtual delivery agent need
pf_config() {
	{
		cat <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.test.example
mydomain = test.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
CF
		cat
	} >"$PF/etc/main.cf"
	cat >"$PF/etc/master.cf" <<CF
127.0.0.1:$MTA_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
virtual   unix  - n n - - virtual
CF
}

pf_start() {
	if ! timeout 30 postfix -c "$PF/etc" start >"$WORK/pf-start.log" 2>&1; then
		cat "$WORK/pf-start.log"; cat "$PF/maillog" 2>/dev/null || true
		echo "Postfix does not start here (see above)"
		return 1
	fi
	for _ in $(seq 100); do	# its smtpd answers: 10 s at most
		$PY -c "import socket; socket.create_connection(('127.0.0.1', $MTA_PORT), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "Postfix's smtpd does not answer on 127.0.0.1:$MTA_PORT"
	return 1
}

pf_stop() {
	[ -f "${PF:-/nonexistent}/etc/main.cf" ] || return 0
	timeout 20 postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	# the master exits at once; make sure no Postfix process of ours stays
	local pid
	pid=$(cat "$PF/queue/pid/master.pid" 2>/dev/null | tr -d ' ' || true)
	for _ in $(seq 50); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
}
