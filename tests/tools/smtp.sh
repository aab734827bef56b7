#!/usr/bin/env bash
# tests/tools/smtp.sh — the SMTP service end to end: tests/tools/smtp_srv
# (mail/smtp.c with a fake gateway) driven by tests/tools/smtp_test.py
# (Python smtplib and raw sockets), then by swaks for one plain and one
# STARTTLS mail.  A test CA and a server certificate for 127.0.0.1 and
# localhost are made here with the openssl command.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD:-$TOP}
MAX_SIZE=100000
MAX_SESSIONS=5
CMD_TIMEOUT=2000
. "$TOP/tests/tools/lib.sh"
tools_tmp

# the test CA and the server's certificate
make_test_ca "$tmp"

mkdir "$tmp/out"
"$BUILD/tests/tools/smtp_srv" --out "$tmp/out" --ready "$tmp/ready" --port 0 \
	--max-size $MAX_SIZE --max-sessions $MAX_SESSIONS \
	--tls-cert "$tmp/srv.pem" --tls-key "$tmp/srv.key" \
	--cmd-timeout-ms $CMD_TIMEOUT --data-timeout-ms $CMD_TIMEOUT --final-timeout-ms 3000 \
	--seconds 300 2>"$tmp/srv.log" &
pid=$!
for _ in $(seq 100); do	# readiness: the port file, 10 s at most
	[ -s "$tmp/ready" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/srv.log"; exit 1; }
	sleep 0.1
done
port=$(cat "$tmp/ready")
echo "smtp_srv on port $port"

rc=0
/usr/bin/python3 "$TOP/tests/tools/smtp_test.py" --port "$port" --out "$tmp/out" --ca "$tmp/ca.pem" \
	--max-size $MAX_SIZE --max-sessions $MAX_SESSIONS --cmd-timeout $CMD_TIMEOUT || rc=1

# swaks: one plain and one STARTTLS mail, compared byte for byte.  swaks
# ends the data with CRLF itself when the file does not, so the file is
# written without its last CRLF and compared with it.
if ! command -v swaks >/dev/null; then
	echo "SKIP  swaks: not installed (Debian package swaks)"
else
	for mode in plain tls; do
		tag="swaks-$mode-$$"
		if [ $mode = tls ] && ! perl -MNet::SSLeay -e1 2>/dev/null; then
			echo "SKIP  swaks tls: swaks needs Net::SSLeay (Debian package libnet-ssleay-perl)"
			continue
		fi
		printf 'From: s@b.example\r\nTo: dev9@txlog.example\r\nSubject: swaks %s\r\nMessage-ID: <%s@t>\r\n\r\nvia swaks\r\n.a dotted line' \
			"$mode" "$tag" >"$tmp/$tag.txt"
		{ cat "$tmp/$tag.txt"; printf '\r\n'; } >"$tmp/$tag.want"
		extra=()
		[ $mode = tls ] && extra=(--tls --tls-verify --tls-ca-path "$tmp/ca.pem")
		if ! swaks --server 127.0.0.1 --port "$port" --helo client.example \
			--from s@b.example --to dev9@txlog.example --data "@$tmp/$tag.txt" \
			"${extra[@]}" >"$tmp/swaks-$mode.log" 2>&1; then
			echo "FAIL  swaks $mode"; cat "$tmp/swaks-$mode.log"; rc=1; continue
		fi
		got=$(grep -l "$tag" "$tmp"/out/*.eml | head -1)
		if [ -n "$got" ] && cmp -s "$got" "$tmp/$tag.want"; then
			echo "ok    swaks $mode"
		else
			echo "FAIL  swaks $mode: mail differs or missing"; rc=1
			[ -z "$got" ] || cmp "$got" "$tmp/$tag.want" || true
		fi
	done
fi

kill -0 "$pid" || { echo "smtp_srv died"; rc=1; }
kill "$pid"
wait "$pid" || { echo "smtp_srv exited badly"; rc=1; }
pid=
[ $rc = 0 ] || { echo "--- server log (tail)"; tail -n 40 "$tmp/srv.log"; }
exit $rc
