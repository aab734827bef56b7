#!/usr/bin/env bash
# tests/tools/sim.sh — txgw-smsc-sim end to end, without the gateway: the
# simulator listens on a free port with a small fleet, and a minimal ESME
# (the Python below, written from SMPP 3.4 alone) binds, acknowledges what
# it is handed, answers enquire_link and unbind, and generic_nacks what it
# cannot parse.  Checked: the simulator's exit status and JSON summary
# against what the ESME saw (uploads, records counted from the frames
# themselves), store and forward through temporary errors, drops,
# duplicates, corrupt PDUs, throttled and refused binds.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TXGW_BUILD:-$TOP}
SIM=$BUILD/contrib/sim/txgw-smsc-sim
. "$TOP/tests/tools/lib.sh"
tools_tmp

cat >"$tmp/esme.py" <<'PY'
# A minimal ESME: bind_transceiver, ack deliver_sm, reconnect after drops.
import json, socket, struct, sys, time
port, out, temp_every, bad_pw = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
ignore_every = int(sys.argv[5])         # leave every Nth deliver_sm unanswered
ROK, RX_T_APPN = 0, 0x64
seen = {"deliver_sm": 0, "generic_nack_sent": 0, "temp_sent": 0, "binds": 0,
        "bind_status": [], "enquire": 0, "uploads": 0, "records": 0, "parts": {}}
frames = {}     # (device, upload_seq) -> n_records, from whole binary frames

def pdu(cmd, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body

def cstr(b, off):
    end = b.index(b"\0", off)
    return b[off:end], end + 1

def frame_seen(fr):
    if len(fr) >= 20 and fr[0] == 1:
        dev, seq = fr[2:10].hex(), struct.unpack(">I", fr[11:15])[0]
        frames[(dev, seq)] = fr[19]

def deliver(body):
    """Take the binary frame out of a deliver_sm of the UDH form."""
    _, o = cstr(body, 0)                    # service_type
    o += 2; src, o = cstr(body, o)          # source_addr
    o += 2; _, o = cstr(body, o)            # destination_addr
    esm, o = body[o], o + 3                 # esm_class, protocol_id, priority
    _, o = cstr(body, o); _, o = cstr(body, o)
    o += 2; dc = body[o]; o += 2
    sm = body[o + 1:o + 1 + body[o]]
    if len(sm) != body[o] or (o + 1 + body[o] < len(body) and not dc in (0, 1, 4, 8)):
        raise ValueError("sm_length")
    if dc != 4 or not esm & 0x40:
        return
    hl = sm[0] + 1; udh, data = sm[1:hl], sm[hl:]
    i, ref, tot, n = 0, None, 1, 1
    while i < len(udh):
        iei, l = udh[i], udh[i + 1]; v = udh[i + 2:i + 2 + l]; i += 2 + l
        if iei == 0: ref, tot, n = v[0], v[1], v[2]
        if iei == 8: ref, tot, n = v[0] << 8 | v[1], v[2], v[3]
    if tot == 1:
        frame_seen(data); return
    parts = seen["parts"].setdefault("%s/%s/%d" % (src, ref, tot), {})
    parts[n] = data.hex()
    if len(parts) == tot:
        frame_seen(b"".join(bytes.fromhex(parts[k]) for k in range(1, tot + 1)))
        del seen["parts"]["%s/%s/%d" % (src, ref, tot)]

def session(s):
    """One connection: bind (retrying throttled binds), then serve."""
    global bad_pw
    seq = 1
    while True:
        pw = b"wrong" if bad_pw else b"secret"
        body = b"txgw\0" + pw + b"\0\0" + bytes([0x34, 0, 0]) + b"\0"
        s.sendall(pdu(0x09, 0, seq, body)); seq += 1
        hdr = recv(s, 16)
        if hdr is None: return True     # dropped: connect again
        ln, cmd, st, _ = struct.unpack(">IIII", hdr)
        recv(s, ln - 16)
        if len(seen["bind_status"]) < 12: seen["bind_status"].append(st)
        if st == ROK: break
        bad_pw = False
        time.sleep(0.05)
    seen["binds"] += 1
    while True:
        hdr = recv(s, 16)
        if hdr is None: return True
        ln, cmd, st, sq = struct.unpack(">IIII", hdr)
        body = recv(s, ln - 16) if ln > 16 else b""
        if body is None: return True
        if cmd == 0x05:
            try:
                deliver(body)
            except (ValueError, IndexError):
                seen["generic_nack_sent"] += 1
                s.sendall(pdu(0x80000000, 0x01, sq)); continue
            seen["deliver_sm"] += 1
            if ignore_every and seen["deliver_sm"] % ignore_every == 0:
                seen["ignored"] = seen.get("ignored", 0) + 1; continue
            st = RX_T_APPN if temp_every and seen["deliver_sm"] % temp_every == 0 else ROK
            seen["temp_sent"] += st != ROK
            s.sendall(pdu(0x80000005, st, sq, b"" if st else b"\0"))
        elif cmd == 0x15:
            seen["enquire"] += 1; s.sendall(pdu(0x80000015, 0, sq))
        elif cmd == 0x06:
            s.sendall(pdu(0x80000006, 0, sq)); return False
        elif not cmd & 0x80000000:
            seen["generic_nack_sent"] += 1
            s.sendall(pdu(0x80000000, 0x03, sq))

def recv(s, n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except OSError:
            return None
        if not c: return None
        b += c
    return b

deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
    except OSError:
        break           # the simulator is gone
    try:
        again = session(s)
    except OSError:
        again = True    # dropped while we wrote: bind again
    s.close()
    if not again: break
seen["uploads"] = len(frames)
seen["records"] = sum(frames.values())
seen["incomplete"] = len(seen.pop("parts"))
json.dump(seen, open(out, "w"))
PY

# run NAME SIM-OPTIONS... ; ESME settings in TEMP_EVERY, BAD_PW, IGNORE_EVERY
run_sim() {
	local name=$1
	shift
	rm -f "$tmp/ready"
	"$SIM" --port 0 --ready "$tmp/ready" --summary "$tmp/$name.json" -q "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.log" &
	pid=$!
	for _ in $(seq 200); do	# readiness: the port file, 20 s at most
		[ -s "$tmp/ready" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/$name.log"; exit 1; }
		sleep 0.1
	done
	/usr/bin/python3 "$tmp/esme.py" "$(cat "$tmp/ready")" "$tmp/$name.esme" \
		"${TEMP_EVERY:-0}" "${BAD_PW:-0}" "${IGNORE_EVERY:-0}"
	set +e
	wait "$pid"
	rc=$?
	set -e
	pid=
	echo "$name: exit $rc"
	tail -n 4 "$tmp/$name.log"
	echo "$rc" >"$tmp/$name.rc"
}

check() {
	/usr/bin/python3 - "$tmp" "$@" <<'PY'
import json, sys
tmp, name, what = sys.argv[1], sys.argv[2], sys.argv[3]
s = json.load(open("%s/%s.json" % (tmp, name)))
e = json.load(open("%s/%s.esme" % (tmp, name)))
rc = int(open("%s/%s.rc" % (tmp, name)).read())
t, m = s["totals"], s["smsc"]
def need(cond, msg):
    if not cond:
        print("%s: FAILED: %s\nsummary totals %s\nsmsc %s\nesme %s" % (name, msg, t, m, e))
        sys.exit(1)
need(rc == 0, "exit status %d" % rc)
need(t["acked"] == t["uploads"] and t["unacked"] == 0 and t["failed"] == 0, "all acked")
need(m["acked"] == m["queued"] and m["sent"] >= m["queued"], "every deliver_sm acked")
recs = sum(len(d["records"]) for d in s["devices"].values())
need(recs == t["records"], "records listed = records counted")
for dev, d in s["devices"].items():   # honest chains: counters +1, per device
    cs = [r["counter"] for r in d["records"]]
    need(cs == sorted(cs) and len(set(cs)) == len(cs), "counters of %s in order" % dev)
if what == "plain":
    need(t["uploads"] == 40 and e["uploads"] == 40, "40 uploads seen by the ESME")
    need(e["records"] == t["records"], "ESME counted the records the summary lists")
    need(m["retries"] == 0 and e["bind_status"] == [0], "no retries, one bind")
    need(t["alerts"] == 0 and t["rejects"] == 0, "honest traffic only")
    need(e["enquire"] >= 1, "our enquire_link answered")
if what == "faults":
    need(m["drops"] > 0 and e["binds"] >= 2, "dropped and rebound")
    need(m["temp_errors"] > 0 and m["retries"] > 0, "temporary errors retried")
    need(m["timeouts"] + m["requeued"] > 0, "unanswered deliver_sm sent again")
    need(m["dup_sent"] > 0 and m["corrupt_sent"] > 0, "duplicates and corrupt PDUs sent")
    need(m["generic_nacks"] > 0, "corrupt PDUs answered with generic_nack")
    need(0x58 in e["bind_status"] and 0x0e in e["bind_status"], "throttled and refused binds")
    need(m["bind_refused"] >= 1 and m["throttled"] >= 1, "refusals counted")
    kinds = {a["kind"] for d in s["devices"].values() for a in d["alerts"]}
    reasons = {r["reason"] for d in s["devices"].values() for r in d["rejects"]}
    need(s["anomalies"]["text"] == len(s["not_txlog"]) > 0, "text anomalies listed")
    need("replay" in kinds and "replay" in reasons, "replay expected")
    need("counter_gap" in kinds and "balance_mismatch" in kinds, "ledger anomalies expected")
    need({"revoked", "bad_signature", "unknown_device"} <= reasons, "rejects expected")
    need("revoked_device" in kinds and "msisdn_mismatch" in kinds, "alerts expected")
print("%s: %d uploads, %d sms, %d records, %d alerts, %d rejects; ok" %
      (name, t["uploads"], t["sms"], t["records"], t["alerts"], t["rejects"]))
PY
}

# 1. honest binary uploads, concatenated when long: the ESME reassembles
#    them and counts records straight from the frames
run_sim plain --devices 5 --count 40 --records-per-upload 6 --form binary \
	--smpp-form udh --enquire 0.2 --seed 42
check plain plain

# 2. every form, fault and anomaly; the ESME answers ESME_RX_T_APPN to
#    every 7th deliver_sm, leaves every 13th unanswered, and first binds
#    with a wrong password
TEMP_EVERY=7 BAD_PW=1 IGNORE_EVERY=13 run_sim faults --devices 8 --alg mix --count 150 \
	--registry "$tmp/reg.txt" --keys-dir "$tmp/keys" \
	--form mix --smpp-form mix --concat-ref mix --reorder \
	--drop-every 25 --duplicate-every 9 --corrupt-every 11 --throttle-every 3 \
	--resp-timeout 1 --retry-ms 50 --rate 2000 \
	--anomaly bad_signature:0.05 --anomaly unknown_device:0.05 --anomaly replay:0.05 \
	--anomaly counter_gap:0.05 --anomaly balance_mismatch:0.05 --anomaly msisdn:0.05 \
	--anomaly revoked:0.05 --anomaly text:0.05 --seed 7
check faults faults
grep -q "^[0-9a-f]\{16\}  1  ed25519  " "$tmp/reg.txt"
grep -q "  revoked  hex:" "$tmp/reg.txt"
[ "$(ls "$tmp/keys" | wc -l)" -ge 9 ]

# 3. the vectors' registry and keys, loaded
run_sim vectors --load-registry "$TOP/tests/vectors/devices.txt" \
	--keys-dir "$TOP/tests/vectors/keys" --count 10 --form gsm7 --smpp-form payload \
	--tpdu-out "$tmp/tpdus.txt"
check vectors loaded
[ "$(wc -l <"$tmp/tpdus.txt")" -ge 10 ]

# 4. usage errors exit 2
set +e
"$SIM" --form morse >/dev/null 2>&1; [ $? = 2 ] || { echo "bad --form accepted"; exit 1; }
"$SIM" --anomaly replay >/dev/null 2>&1; [ $? = 2 ] || { echo "bad --anomaly accepted"; exit 1; }
set -e
"$SIM" --help >"$tmp/help"
grep -q -- "--smpp-form" "$tmp/help"
echo "sim.sh: ok"
