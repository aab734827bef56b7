#!/usr/bin/python3
"""mt_check.py -- what txgw-handset-sim's handsets received (its summary's
"mt", decoded and joined with txgw's own TPDU decoder and reassembly)
against the SEND requests txgw took for them.

  mt_check.py --requests R.jsonl --registry REG --summary SIM.json
              [--source 16354] [--port 16354] [--skip ID ...] [--per-handset]

Every request (but --skip's) must have reached the handset of its
device's (or its msisdn's) MSISDN exactly once: one "mt" entry whose
payload is the request's, byte for byte, in as many parts as
doc/downlink.md 2.1 says (one up to 133 octets, else ceil(n / 128)),
from the TP-OA --source, with the destination port --port; nothing else
came, no TPDU failed to decode, every handset that got one was paged
(its MSISDN in the summary's "paged_msisdn").  --per-handset: first a
line for each handset that was sent something (its pagings, the parts
it received, whether each payload came as sent).
Exit 0 with a line of figures, or 1 with the differences.
"""
import argparse
import base64
import collections
import json
import sys


def parts_of(n):
    return 1 if n <= 133 else (n + 127) // 128


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--source", default="16354")
    ap.add_argument("--port", type=int, default=16354)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--per-handset", action="store_true")
    a = ap.parse_args()
    msisdn = {}
    for line in open(a.registry):
        f = line.split("#", 1)[0].split()
        if len(f) >= 6 and f[3] != "-" and f[4] == "active":
            msisdn[f[0].lower()] = f[3].lstrip("+")
    sim = json.load(open(a.summary))
    got = collections.Counter()
    for m in sim["mt"]:
        got[(m["msisdn"], m.get("data", ""), m["parts"], m["from"], m.get("port"))] += 1
    bad, n, parts = [], 0, 0
    paged = sim.get("paged_msisdn", {})
    mine = collections.OrderedDict()    # MSISDN -> [messages, parts, octets, as sent]
    for line in open(a.requests):
        if not line.strip():
            continue
        q = json.loads(line)
        if q["id"] in a.skip:
            continue
        to = msisdn.get(q["device"].lower()) if "device" in q else q["msisdn"].lstrip("+")
        body = base64.b64decode(q["payload"])
        key = (to, body.hex(), parts_of(len(body)), a.source, a.port)
        h = mine.setdefault(to, [0, 0, 0, 0])
        h[0] += 1
        h[2] += len(body)
        if got[key] < 1:
            near = [m for m in sim["mt"] if m["msisdn"] == to]
            bad.append("%s (%d octets, %d parts) to %s: not received as sent; that handset got %s" % (
                q["id"], len(body), key[2], to,
                [(m["parts"], m["from"], m.get("port"), len(m.get("data", "")) // 2) for m in near]))
            continue
        got[key] -= 1
        n += 1
        parts += key[2]
        h[1] += key[2]
        h[3] += 1
    extra = +got
    if extra:
        bad.append("received and never sent: %s" % [(k[0], k[2], k[3], k[4], k[1][:16]) for k in extra][:5])
    if sim.get("mt_bad"):
        bad.append("%d TPDUs did not decode as SMS-DELIVER" % sim["mt_bad"])
    handsets = {m["msisdn"] for m in sim["mt"]}
    unpaged = sorted(handsets - {k for k, v in paged.items() if v > 0})
    if unpaged:
        bad.append("handsets that got messages and were never paged: %s" % unpaged[:5])
    if a.per_handset:
        for to, (msgs, pp, octets, ok) in mine.items():
            print("  handset %s: paged %d, %d parts received, %d message%s of %d octets: %s" % (
                  to, paged.get(to, 0), pp, msgs, "" if msgs == 1 else "s", octets,
                  "payload identical" if ok == msgs else "%d of %d NOT as sent" % (msgs - ok, msgs)))
    if sim["handsets"]["paged"] < len(handsets):
        bad.append("%d handsets got messages, %d pagings" % (len(handsets), sim["handsets"]["paged"]))
    if sim["handsets"]["mt_sms"] != parts:
        bad.append("%d SMS-DELIVERs for %d parts" % (sim["handsets"]["mt_sms"], parts))
    if bad:
        print("mt_check: FAIL\n  " + "\n  ".join(bad[:20]))
        sys.exit(1)
    print("mt_check: %d messages, %d SMS-DELIVERs to %d handsets (paged %d), each payload as sent, "
          "from %s, port %d" % (n, parts, len(handsets), sim["handsets"]["paged"], a.source, a.port))


if __name__ == "__main__":
    main()
