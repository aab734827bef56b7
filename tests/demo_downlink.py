#!/usr/bin/python3
"""demo_downlink.py -- part 6 of tests/demo.sh: the operation server's
receipts for the handsets, sent back through txgw (doc/downlink.md).

  demo_downlink.py requests REGISTRY BUS.jsonl OUT.jsonl
      one SEND request a device of REGISTRY (those with an MSISDN): a
      300-octet receipt for the records of it on the bus -- the text
      "TXRCPT1 ...", an HMAC-SHA-512 by the demo's operation server key,
      zero-padded: 3 SMS parts (downlink.md 2.1) -- by "device", with
      "receipt": true; a line per request on standard output
  demo_downlink.py events
      txgw-send --follow --json on standard input: each event of
      txlog.downlink as a readable line as it comes (times from the
      first queued event)
"""
import base64
import collections
import datetime
import hashlib
import hmac
import json
import sys

SIZE = 300
OPS_KEY = b"demo operation server key"


def requests(reg, bus, out):
    recs, last = collections.Counter(), {}
    for line in open(bus):
        m = json.loads(line)
        if m["topic"] == "txlog.record":
            p = m["payload"]
            recs[p["device"]] += 1
            last[p["device"]] = max(last.get(p["device"], 0), p["counter"])
    with open(out, "w") as f:
        for line in open(reg):
            d = line.split("#", 1)[0].split()
            if len(d) < 6 or d[3] == "-" or d[4] != "active":
                continue
            dev = d[0].lower()
            text = ("TXRCPT1 device=%s records=%d last-counter=%d\n" % (
                    dev, recs[dev], last.get(dev, 0))).encode()
            body = text + hmac.new(OPS_KEY, text, hashlib.sha512).digest()
            body += bytes(SIZE - len(body))
            r = {"id": "rcpt-" + dev[-6:], "device": dev, "receipt": True,
                 "payload": base64.b64encode(body).decode()}
            f.write(json.dumps(r) + "\n")
            print("  %s for %s (%s): %d octets, \"%s\" + HMAC" % (
                  r["id"], dev, d[3], len(body), text.decode().strip()))


def at(e):
    return datetime.datetime.strptime(e["at"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def ids(m):
    """the SMSC's message ids, one a part; osmo-msc gives all the same"""
    if len(m) > 1 and len(set(m)) == 1:
        return "%s (all %d alike)" % (m[0], len(m))
    return ", ".join(m)


def events():
    t0 = None
    for line in sys.stdin:
        e = json.loads(line)
        if "state" not in e:            # an answer: its queued event tells the same
            if e.get("answer", "QUEUED") != "QUEUED" or "unanswered" in e:
                print("  %s" % line.strip(), flush=True)
            continue
        t0 = t0 if t0 is not None else at(e)
        s = e["state"]
        if s == "queued":
            what = "to %s, %d parts" % (e["to"], e.get("parts", 0))
        elif s == "submitted":
            what = "%d parts, message ids %s" % (e["parts"], ids(e["message_ids"]))
        elif s == "delivered":
            what = "a receipt for each of its %d parts" % e["parts"]
        else:
            what = e.get("error", "")
        print("  %+6.2f s  seq %-4d %-12s %-9s %s" % (at(e) - t0, e["seq"], e["id"], s, what),
              flush=True)


def main():
    if sys.argv[1:2] == ["requests"] and len(sys.argv) == 5:
        requests(*sys.argv[2:])
    elif sys.argv[1:] == ["events"]:
        events()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
