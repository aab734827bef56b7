#!/usr/bin/env bash
# The send socket's answers (doc/downlink.md "Socket"), from a client
# written with python3-zmq: every ERROR reason a running txgw can give —
# bad_request (not JSON, not an object, an unknown field, a wrong type, no
# address, two addresses, a bad id, a duplicate key, bad base64, a bad
# expires, frames other than ["SEND", json]), too_large (1,001 bytes by SMS,
# 65,537 by mail), unknown_device, revoked, no_address, no_bearer (mail
# without a relay; then a txgw whose only bind is a receiver) — each with
# the request's id when it could be read, nothing queued for any; a frame
# over 192 KiB drops the connection, nothing answered, and the next client
# is served; the same id twice answers the first seq.  (unavailable, the
# journal refusing, is test_outbox's: a running txgw cannot be made to
# refuse at will.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/downlink_lib.bash"
it_setup
dl_ports
KEY=hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c
cat >"$WORK/reg.txt" <<REG
1122334455667788 1 ed25519 886955500001 active $KEY
2222222222222222 1 ed25519 886955500002 revoked $KEY
3333333333333333 1 ed25519 - active $KEY
REG
NO_ESME=1 dl_config "$WORK/reg.txt"
dl_esme_idle
start_txgw
$PY "$TOP/tests/integration/downlink_errors.py" "tcp://127.0.0.1:$SEND_PORT" all
[ "$(journal_seq)" = 1 ] || { echo "FAIL: refused requests were journaled"; exit 1; }
refused=$(dl_stat downlink.refused)
stop_txgw

# a txgw whose only bind is a receiver has no SMS bearer
sed -i 's/^  remote-port .*/&\n  bind-mode receiver/' "$WORK/txgw.cfg"
rm -rf "$WORK/state"
start_txgw
$PY "$TOP/tests/integration/downlink_errors.py" "tcp://127.0.0.1:$SEND_PORT" receiver
grep -q "no bind can transmit" "$WORK/txgw.log" || { echo "FAIL: not logged"; exit 1; }
stop_txgw
echo "downlink_errors: every reason as downlink.md says; downlink.refused $refused"
