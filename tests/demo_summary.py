#!/usr/bin/python3
"""demo_summary.py [--handsets] SIM.json BUS.jsonl LIVE.jsonl [MAIL.json]

The demo's closing summary: what the SMSC simulator sent and saw
acknowledged, what the bus holds (read back from seq 1), by topic and
kind, and whether the subscriber that followed live got exactly the bus.
--handsets: SIM.json is txgw-handset-sim's (the same summary, written by
handsets that saw their RP-ACK through osmo-msc).
Exit 1 when the bus lacks a record the simulator saw acknowledged.
"""
import collections
import json
import os
import sys


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def main():
    args = sys.argv[1:]
    handsets = args[:1] == ["--handsets"]
    args = args[1:] if handsets else args
    sim = json.load(open(args[0]))
    bus = load_jsonl(args[1])
    live = load_jsonl(args[2])
    mail = json.load(open(args[3])) if len(args) > 3 and os.path.exists(args[3]) else None
    who, acker = ("handsets", "to the handsets (RP-ACK)") if handsets else ("simulator", "to the SMSC")

    t = sim["totals"]
    print("  %s: %d uploads in %d SMS, %d acknowledged, %d unacknowledged, %d failed"
          % (who, t["uploads"], t["sms"], t["acked"], t["unacked"], t["failed"]))
    print("  %s expect%s: %d records, %d alerts, %d rejects"
          % (who, "" if handsets else "s", t["records"], t["alerts"], t["rejects"]))
    if mail:
        mt = mail.get("totals", {})
        print("  mail simulator: %s uploads, %s accepted with 250; expects %s records"
              % (mt.get("uploads", "?"), mt.get("acked", "?"), mt.get("records", "?")))

    by_topic = collections.Counter(m["topic"] for m in bus)
    alerts = collections.Counter(m["payload"]["kind"] for m in bus if m["topic"] == "txlog.alert")
    rejects = collections.Counter(m["payload"]["reason"] for m in bus if m["topic"] == "txlog.reject")
    bearers = collections.Counter(m["payload"]["bearer"] for m in bus)
    print("  bus: %d messages (seq 1..%d): %d records, %d alerts, %d rejects; by bearer %s"
          % (len(bus), bus[-1]["payload"]["seq"] if bus else 0, by_topic["txlog.record"],
             by_topic["txlog.alert"], by_topic["txlog.reject"], dict(bearers)))
    if alerts:
        print("    alerts:  " + ", ".join("%s %d" % kv for kv in sorted(alerts.items())))
    if rejects:
        print("    rejects: " + ", ".join("%s %d" % kv for kv in sorted(rejects.items())))

    seqs = [m["payload"]["seq"] for m in bus]
    gapfree = seqs == list(range(1, len(seqs) + 1))
    on_bus = {(m["payload"]["device"], m["payload"]["counter"]) for m in bus
              if m["topic"] == "txlog.record" and m["payload"]["bearer"] == "sms"}
    want = {(d, r["counter"]) for d, dev in sim["devices"].items() for r in dev.get("records", [])}
    missing = want - on_bus
    print("  seq gap-free: %s; records acknowledged %s and on the bus: %d of %d"
          % ("yes" if gapfree else "NO", acker, len(want) - len(missing), len(want)))
    if mail:
        mwant = {(d, r["counter"]) for d, dev in mail["devices"].items() for r in dev.get("records", [])}
        mgot = {(m["payload"]["device"], m["payload"]["counter"]) for m in bus
                if m["topic"] == "txlog.record" and m["payload"]["bearer"] == "smtp"}
        print("  mailed records accepted with 250 and on the bus: %d of %d"
              % (len(mwant & mgot), len(mwant)))
        missing |= mwant - mgot
    same = [m["payload"]["seq"] for m in live] == seqs[:len(live)] and len(live) == len(bus)
    print("  the live subscriber (txgw-sub) got exactly the bus: %s (%d messages)"
          % ("yes" if same else "no", len(live)))
    return 1 if missing or not gapfree else 0


if __name__ == "__main__":
    sys.exit(main())
