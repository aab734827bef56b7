#!/usr/bin/env bash
# tests/tools/mailsim.sh — txgw-mail-sim end to end, its MIME checked by an
# independent reader: Python's email package.
#
#  1. A small SMTP sink written here (Python asyncio) saves every mail it
#     is given; txgw-mail-sim sends 20 mails of mixed shapes with
#     anomalies, then 3 of each shape.  Every saved mail is parsed with
#     the email package, its frames taken from the application/vnd.txlog
#     parts and the "TXL1:" armours of its text/plain parts (any charset
#     and transfer encoding, forwarded messages included) and held to the
#     summary: the same frames, each once, with their device and
#     upload_seq; the mails without a frame are the not_txlog ones.
#  2. tests/tools/smtp_srv (the gateway's SMTP service with a fake
#     gateway) over STARTTLS with a test CA; its answer by subject gives a
#     451 (retried, then given up) and a 554 (refused): exit status 1 and
#     the counters in the summary.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD:-$TOP}
SIM="$BUILD/contrib/sim/txgw-mail-sim"
. "$TOP/tests/tools/lib.sh"	# make_test_ca, test_seed
test_seed
tmp=$(mktemp -d)
pids=()
cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
	seed_report "$rc"
}
trap cleanup EXIT
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }

# wait_file FILE PID: the readiness signal, 10 s at most
wait_file() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---- the sink: RFC 5321 enough for libcurl; DATA un-stuffed and saved ----
cat >"$tmp/sink.py" <<'EOF'
import asyncio, os, sys

out, ready = sys.argv[1], sys.argv[2]
count = 0

async def session(r, w):
    global count
    env = []
    def say(line):
        w.write(line.encode() + b"\r\n")
    say("220 sink.example ESMTP test sink")
    while True:
        line = await r.readline()
        if not line:
            break
        cmd = line.decode("ascii", "replace").rstrip("\r\n")
        verb = cmd[:4].upper()
        if verb == "EHLO":
            say("250-sink.example"); say("250-8BITMIME"); say("250 SIZE 10000000")
        elif verb in ("HELO", "NOOP"):
            say("250 ok")
        elif verb == "RSET":
            env = []; say("250 ok")
        elif verb in ("MAIL", "RCPT"):
            env.append(cmd); say("250 ok")
        elif verb == "DATA":
            say("354 go on")
            await w.drain()
            lines = []
            while True:
                l = await r.readline()
                if not l or l == b".\r\n":
                    break
                lines.append(l[1:] if l.startswith(b".") else l)
            count += 1
            base = os.path.join(out, "%04d" % count)
            with open(base + ".eml", "wb") as f:
                f.write(b"".join(lines))
            with open(base + ".env", "w") as f:
                f.write("\n".join(env) + "\n")
            env = []
            say("250 2.0.0 saved %d" % count)
        elif verb == "QUIT":
            say("221 bye"); await w.drain(); break
        else:
            say("500 what")
        await w.drain()
    w.close()

async def main():
    srv = await asyncio.start_server(session, "127.0.0.1", 0)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.rename(ready + ".tmp", ready)
    await asyncio.wait_for(srv.serve_forever(), 120)

asyncio.run(main())
EOF

# ---- the reader: every mail against the summary ----
cat >"$tmp/check.py" <<'EOF'
import base64, email, email.policy, glob, hashlib, json, os, re, struct, sys

outdir, summary, domain = sys.argv[1], sys.argv[2], sys.argv[3]
S = json.load(open(summary))
errors = []

def armours(text):
    """txlog-v1.md "Armoured text form": from TXL1: over base64 and white
    space, to the first other character or the next TXL1:."""
    found = []
    starts = [m.start() for m in re.finditer("TXL1:", text)]
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        m = re.match(r"[A-Za-z0-9+/=\s]*", text[s + 5:end])
        found.append(base64.b64decode(re.sub(r"\s", "", m.group(0)), validate=True))
    return found

def frames_of(msg):
    got = []
    for part in msg.walk():
        ct = part.get_content_type()
        if ct == "application/vnd.txlog":
            got.append(part.get_payload(decode=True))
        elif ct == "text/plain":
            got.extend(armours(part.get_content()))
    return got

# what the summary says was sent: frame digest -> (device, upload)
want = {}
for dev, d in S["devices"].items():
    for kind in ("records", "alerts", "rejects"):
        for e in d[kind]:
            want[e["frame"]] = (dev, e["upload"])
seen, texts = {}, []
for path in sorted(glob.glob(os.path.join(outdir, "*.eml"))):
    raw = open(path, "rb").read()
    if b"\n" in raw.replace(b"\r\n", b""):
        errors.append("%s: a bare LF" % path)
    env = open(path[:-4] + ".env").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    sender = re.search(r"MAIL FROM:<([^>]*)>", env).group(1)
    if msg["From"].addresses[0].addr_spec != sender:
        errors.append("%s: From %s, envelope %s" % (path, msg["From"], sender))
    if msg["To"].addresses[0].addr_spec != "upload@" + domain or "upload@" + domain not in env:
        errors.append("%s: To %s" % (path, msg["To"]))
    if msg.defects:
        errors.append("%s: defects %s" % (path, msg.defects))
    fr = frames_of(msg)
    if not fr:
        texts.append(sender)
    for f in fr:
        h = hashlib.sha256(f).hexdigest()
        seen[h] = seen.get(h, 0) + 1
        if h not in want:
            errors.append("%s: a frame the summary does not know: %s" % (path, h))
            continue
        dev, up = struct.unpack(">xxQxI", f[:15])
        if ("%016x" % dev, up) != want[h]:
            errors.append("%s: frame %s is %016x/%d, summary says %s" % (path, h, dev, up, want[h]))
missing = set(want) - set(seen)
if missing:
    errors.append("frames in the summary but in no mail: %s" % sorted(missing))
errors += ["frame %s in %d mails" % (h, n) for h, n in seen.items() if n > 1]
nt = sorted(e["src"] for e in S["not_txlog"])
if sorted(texts) != nt:
    errors.append("mails without a frame from %s, summary not_txlog %s" % (sorted(texts), nt))
n_eml = len(glob.glob(os.path.join(outdir, "*.eml")))
if n_eml != S["totals"]["mails"] or S["smtp"]["accepted"] != n_eml:
    errors.append("%d mails saved, summary %s" % (n_eml, S["smtp"]))
for e in errors:
    print("  " + e)
print("  %d mails, %d frames, %d without a frame; shapes %s" % (n_eml, len(seen), len(texts), S["smtp"]["shapes"]))
sys.exit(1 if errors else 0)
EOF

# ---- 1. the sink ----
mkdir "$tmp/sink"
/usr/bin/python3 "$tmp/sink.py" "$tmp/sink" "$tmp/sink.port" 2>"$tmp/sink.log" &
pids+=($!)
wait_file "$tmp/sink.port" "${pids[-1]}" || { cat "$tmp/sink.log"; exit 1; }
port=$(cat "$tmp/sink.port")

# run_sink NAME ARGS...: send to the sink into its own directory, then check
run_sink() {
	local name=$1; shift
	rm -f "$tmp"/sink/*
	if timeout 60 "$SIM" --port "$port" --domain txlog.example --seed "$SEED" -q \
		--summary "$tmp/$name.json" "$@" 2>"$tmp/$name.log"; then
		if /usr/bin/python3 "$tmp/check.py" "$tmp/sink" "$tmp/$name.json" txlog.example; then
			ok "$name"
		else
			bad "$name: the mails do not match the summary"
		fi
	else
		bad "$name: txgw-mail-sim exit status $?"; cat "$tmp/$name.log"
	fi
}

run_sink "mix x20" --count 20 --shape mix --devices 5 --alg mix --concurrency 4 \
	--records-per-upload 4 --anomaly text:0.15 --anomaly bad_signature:0.1 \
	--anomaly replay:0.1 --anomaly counter_gap:0.1 --anomaly unknown_device:0.05 \
	--anomaly revoked:0.05
for shape in attach multi qp alternative rfc822 utf16; do
	run_sink "$shape x3" --count 3 --shape $shape --devices 2 --records-per-upload 32 --uploads-per-mail 4
done

# the fleet of tests/vectors, at a rate
run_sink "vectors, --rate 20" --count 6 --load-registry "$TOP/tests/vectors/devices.txt" \
	--keys-dir "$TOP/tests/vectors/keys" --rate 20 --concurrency 2
if grep -q '"mails":6' "$tmp/vectors, --rate 20.json" && \
	/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not s["ms"] >= 200)' \
	"$tmp/vectors, --rate 20.json"; then
	ok "--rate 20: 6 mails took at least 0.2 s"
else
	bad "--rate 20"
fi

# ---- 2. smtp_srv: STARTTLS, 451, 554 ----
if [ ! -x "$BUILD/tests/tools/smtp_srv" ]; then
	echo "SKIP  smtp_srv not built"
else
	make_test_ca "$tmp"
	mkdir "$tmp/srv"
	"$BUILD/tests/tools/smtp_srv" --out "$tmp/srv" --ready "$tmp/srv.port" --port 0 \
		--domain txlog.example --tls-cert "$tmp/srv.pem" --tls-key "$tmp/srv.key" \
		--seconds 120 2>"$tmp/srv.log" &
	pids+=($!)
	wait_file "$tmp/srv.port" "${pids[-1]}" || { cat "$tmp/srv.log"; exit 1; }
	sport=$(cat "$tmp/srv.port")
	common=(--host localhost --port "$sport" --domain txlog.example --seed "$SEED" -q --devices 3)

	if timeout 60 "$SIM" "${common[@]}" --starttls --cafile "$tmp/ca.pem" --count 12 --shape mix \
		--concurrency 3 --summary "$tmp/tls.json" 2>"$tmp/tls.log" && \
		[ "$(ls "$tmp"/srv/*.eml | wc -l)" = 12 ] && grep -q '"starttls":true' "$tmp/tls.json"; then
		ok "STARTTLS, verified with the test CA: 12 mails"
	else
		bad "STARTTLS"; cat "$tmp/tls.log"
	fi
	if timeout 60 "$SIM" "${common[@]}" --starttls --count 1 2>"$tmp/noca.log"; then
		bad "STARTTLS without the CA must fail verification"
	else
		ok "STARTTLS without the CA: refused ($(grep -o 'failed [0-9]*' "$tmp/noca.log" | head -1))"
	fi
	rc=0
	timeout 60 "$SIM" "${common[@]}" --count 2 --subject "[451] " --retries 2 \
		--summary "$tmp/451.json" 2>"$tmp/451.log" || rc=$?
	if [ $rc = 1 ] && /usr/bin/python3 - "$tmp/451.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
m = s["smtp"]
assert m["transfers"] == 6 and m["retries"] == 4 and m["temp_errors"] == 6, m
assert m["gave_up"] == 2 and m["failed"] == 2 and m["accepted"] == 0, m
assert s["totals"]["failed"] == s["totals"]["uploads"] >= 2, s["totals"]
assert all(f["status"].startswith("451") for f in s["failed"]), s["failed"]
assert s["devices"] and all(d.get("uncertain") for d in s["devices"].values())
EOF
	then
		ok "451: each mail tried 3 times, then given up; exit status 1"
	else
		bad "451 (exit status $rc)"; cat "$tmp/451.log"
	fi
	rc=0
	timeout 60 "$SIM" "${common[@]}" --count 3 --subject "[554] " --summary "$tmp/554.json" \
		2>"$tmp/554.log" || rc=$?
	if [ $rc = 1 ] && /usr/bin/python3 - "$tmp/554.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
m = s["smtp"]
assert m["refused"] == 3 and m["transfers"] == 3 and m["retries"] == 0, m
assert len(s["failed"]) == s["totals"]["uploads"] and s["totals"]["records"] == 0, s["totals"]
EOF
	then
		ok "554: refused, not retried; exit status 1"
	else
		bad "554 (exit status $rc)"; cat "$tmp/554.log"
	fi
fi

# ---- nobody listening: temporary, retried, then given up ----
rc=0
timeout 30 "$SIM" --port "$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" \
	--count 1 --retries 1 -q --seed "$SEED" --summary "$tmp/conn.json" 2>"$tmp/conn.log" || rc=$?
if [ $rc = 1 ] && /usr/bin/python3 - "$tmp/conn.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["smtp"]
assert m["conn_errors"] == 2 and m["retries"] == 1 and m["gave_up"] == 1, m
PY
then
	ok "connection refused: retried once, then given up"
else
	bad "connection refused (exit status $rc)"; cat "$tmp/conn.log"
fi

# ---- usage ----
help=$("$SIM" --help) || help=
rc=0
"$SIM" --shape nope 2>/dev/null || rc=$?
if grep -q -- "--concurrency N" <<<"$help" && [ $rc = 2 ]; then
	ok "--help, and a bad --shape refused"
else
	bad "--help / bad usage"
fi
[ $fails = 0 ] && echo "mailsim.sh: all passed" || echo "mailsim.sh: $fails failed"
exit $((fails > 0))
