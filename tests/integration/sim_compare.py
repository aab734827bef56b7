#!/usr/bin/python3
"""sim_compare.py -- the bus against txgw-smsc-sim's summary, exactly.

    sim_compare.py --summary SIM.json --bus BUS.jsonl [--live LIVE.jsonl]
                   [--all-acked] [--need 'smsc.drops>0' ...]
    sim_compare.py --listen tcp://127.0.0.1:PORT --out LIVE.jsonl

Written from bus.md, txlog-v1.md ("What the gateway checks") and the
summary format of contrib/sim/sim_summary.h, not from the gateway's code.  BUS is
bus-sub.py's output: one {"topic", "payload"} object a line, seq 1..N.

What must hold (each failure is printed as one line of a diff):
  - seq runs 1..N with no gap and no repeat; every payload has the common
    fields of bus.md with their types, and the fields of its topic; bearer
    "sms", or one of the summary's "bearers" when it lists them (a summary
    merged with txgw-mail-sim's, whose devices' msisdn is their MAIL FROM);
  - every record the summary lists (uploads wholly acknowledged) is on the
    bus exactly once, keyed by (device, counter), with the same type,
    currency, amount, balance, upload and frame, late as the summary says
    (false when it does not say: the simulator sends a device's next
    upload only after its last one was acknowledged, so none is late);
  - every expected alert (kind, device, counter, frame, detail) and reject
    (reason, device, frame; not_txlog by src) is there exactly once; with
    --repeats-ok a reject (and its replay or revoked_device alert) may
    repeat: the spec keeps no memory of rejected frames, so one delivered
    again is judged again;
  - nothing else is on the bus, except what the summary lists as unacked
    or failed (may or may not be there, at most once), and, for a device
    marked uncertain (one of its uploads failed, so the gateway's view of
    it is not the simulator's), extra alerts and rejects about it;
  - src is the device's MSISDN, or the sender of a frame that raised
    msisdn_mismatch (the address the alert reports);
  - order: an alert about a record comes right after that record (after
    the record's other alerts), bus.md; msisdn_mismatch after the records
    of its frame (txlog-v1.md step 6); a device's records in counter order.
With --live: what a live subscriber saw (--listen's file) against the
final bus: no seq published live with other content than the journal
replays (a seq reused after a crash), none beyond the journal's end.
--need 'A OP B': A and B each a number or a path to one: in the summary
("smsc.drops", "totals.acked", "anomalies.replay"), on the bus
("bus.records", "bus.alert.counter_gap", "bus.reject.revoked") or, with
--stats, among the daemon's counters ("gw.txlog.duplicates"); OP is >, >=,
==, <= or <: the case did exercise what it is about.  Exit 0 when all holds, 1 otherwise, 2 on usage.
"""
import argparse
import collections
import json
import re
import signal
import sys

TOPICS = ("txlog.record", "txlog.alert", "txlog.reject")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEXANY = re.compile(r"^([0-9a-f]{2})*$")
RX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ALERT_KINDS = ("counter_gap", "balance_mismatch", "replay", "revoked_device",
               "msisdn_mismatch", "clock_skew")
REJECT_REASONS = ("malformed", "unknown_device", "bad_signature", "revoked", "replay",
                  "not_txlog")
RECORD_FIELDS = ("type", "currency", "amount", "balance", "upload", "frame")
SHOW = 25           # lines per kind of problem


class Problems:
    def __init__(self):
        self.by_kind = collections.OrderedDict()

    def add(self, kind, text):
        self.by_kind.setdefault(kind, []).append(text)

    def count(self):
        return sum(len(v) for v in self.by_kind.values())

    def print(self):
        for kind, lines in self.by_kind.items():
            print("%-10s %d" % (kind, len(lines)))
            for t in lines[:SHOW]:
                print("  %s %s" % (kind[0], t))
            if len(lines) > SHOW:
                print("  ... %d more" % (len(lines) - SHOW))


def short(h):
    return h[:12] + "…" if isinstance(h, str) and len(h) > 12 else str(h)


# ---- what the summary expects ----

class Exp:
    """One bus message the summary expects (or allows, when optional)."""

    def __init__(self, topic, key, fields, src=None, optional=False, late=None):
        self.topic, self.key, self.fields = topic, key, fields
        self.src, self.optional, self.late = src, optional, late
        self.seqs = []          # where it was found on the bus

    def name(self):
        k = self.key
        if self.topic == "txlog.record":
            return "record %s #%s (upload %s, frame %s)" % (k[0], k[1], self.fields["upload"],
                                                            short(self.fields["frame"]))
        if self.topic == "txlog.alert":
            return "alert %s %s%s frame %s" % (k[0], k[1], "" if k[3] is None else " #%d" % k[3],
                                               short(k[2]))
        if k[0] == "not_txlog":
            return "reject not_txlog from %s" % k[1]
        return "reject %s %s frame %s" % (k[0], k[1], short(k[2]))


def key_of(topic, p):
    """The identity of a message: what matches it to the summary."""
    if topic == "txlog.record":
        return (p.get("device"), p.get("counter"))
    if topic == "txlog.alert":
        return (p.get("kind"), p.get("device"), p.get("frame"), p.get("counter"))
    if p.get("reason") == "not_txlog":
        return ("not_txlog", p.get("src"))
    return (p.get("reason"), p.get("device"), p.get("frame"))


class Expected:
    def __init__(self, summary):
        self.s = summary
        self.by_key = collections.defaultdict(list)     # (topic, key) -> [Exp]
        self.uncertain = set()
        self.msisdn = {}
        for dev, d in summary.get("devices", {}).items():
            self.msisdn[dev] = d.get("msisdn", "")
            if d.get("uncertain"):
                self.uncertain.add(dev)
            self.add_events(dev, d, optional=False, relaxed=dev in self.uncertain)
        for t in summary.get("not_txlog", []):
            self.add(Exp("txlog.reject", ("not_txlog", t["src"]), {}, src=t["src"]))
        for state in ("unacked", "failed"):
            for u in summary.get(state, []):
                self.add_events(u.get("device"), u, optional=True, relaxed=True)

    def add(self, e):
        self.by_key[(e.topic, e.key)].append(e)

    def add_events(self, dev, d, optional, relaxed):
        # src: the MSISDN, except for a frame that raised msisdn_mismatch
        src_of = {}
        for a in d.get("alerts", []):
            if a["kind"] == "msisdn_mismatch":
                src_of[a.get("frame")] = a["detail"]["got"]
        msisdn = self.msisdn.get(dev, "")

        def src(frame):
            return src_of.get(frame, msisdn or None)
        for r in d.get("records", []):
            f = {k: r[k] for k in RECORD_FIELDS}
            self.add(Exp("txlog.record", (dev, r["counter"]), f, src(r["frame"]), optional,
                         r.get("late", False)))
        for a in d.get("alerts", []):
            k = (a["kind"], dev, a["frame"], a.get("counter"))
            self.add(Exp("txlog.alert", k, {"detail": a["detail"]}, src(a["frame"]),
                         optional or relaxed))
        for r in d.get("rejects", []):
            if r["reason"] == "not_txlog":
                self.add(Exp("txlog.reject", ("not_txlog", r["src"]), {}, r["src"], optional))
                continue
            k = (r["reason"], dev, r["frame"])
            self.add(Exp("txlog.reject", k, {}, src(r["frame"]), optional or relaxed))

    def find(self, topic, key):
        return self.by_key.get((topic, key), [])


# ---- the bus ----

def load_bus(path, pr):
    msgs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                m = json.loads(line)
                msgs.append((m["topic"], m["payload"]))
            except (ValueError, KeyError, TypeError) as e:
                pr.add("MALFORMED", "line %d of %s: %s" % (n, path, e))
    return msgs


def want(pr, seq, p, field, kind, pattern=None):
    v = p.get(field)
    ok = type(v) is kind and (pattern is None or pattern.match(v))
    if not ok:
        pr.add("SCHEMA", "seq %s: %s is %r" % (seq, field, v))


def check_schema(pr, topic, p, bearers=("sms",)):
    """bus.md's fields and their types, per topic; bearer one of bearers."""
    seq = p.get("seq")
    if topic not in TOPICS:
        pr.add("SCHEMA", "seq %s: unknown topic %r" % (seq, topic))
        return
    if p.get("v") != 1:
        pr.add("SCHEMA", "seq %s: v is %r" % (seq, p.get("v")))
    if p.get("bearer") not in bearers:
        pr.add("SCHEMA", "seq %s: bearer is %r" % (seq, p.get("bearer")))
    want(pr, seq, p, "gw", str)
    want(pr, seq, p, "src", str)
    want(pr, seq, p, "rx", str, RX)
    if topic == "txlog.record":
        for fl in ("key", "upload", "counter", "amount", "balance"):
            want(pr, seq, p, fl, int)
        want(pr, seq, p, "device", str, HEX16)
        want(pr, seq, p, "peer", str, HEX16)
        want(pr, seq, p, "frame", str, HEX64)
        want(pr, seq, p, "item", str, HEXANY)
        want(pr, seq, p, "time", str, TIME)
        want(pr, seq, p, "type", str)
        want(pr, seq, p, "currency", str)
        want(pr, seq, p, "late", bool)
    elif topic == "txlog.alert":
        if p.get("kind") not in ALERT_KINDS:
            pr.add("SCHEMA", "seq %s: alert kind %r" % (seq, p.get("kind")))
        want(pr, seq, p, "device", str, HEX16)
        want(pr, seq, p, "frame", str, HEX64)
        want(pr, seq, p, "detail", dict)
        if "counter" in p:
            want(pr, seq, p, "counter", int)
    else:
        if p.get("reason") not in REJECT_REASONS:
            pr.add("SCHEMA", "seq %s: reject reason %r" % (seq, p.get("reason")))
        want(pr, seq, p, "raw", str)
        want(pr, seq, p, "error", str)
        for fl, pat in (("device", HEX16), ("frame", HEX64)):
            if fl in p:
                want(pr, seq, p, fl, str, pat)


def check_seqs(pr, msgs):
    """seq 1..N, one message each, in order."""
    for i, (_, p) in enumerate(msgs, 1):
        if p.get("seq") != i:
            pr.add("SEQ", "message %d of the bus has seq %r (want %d: gap or repeat)"
                   % (i, p.get("seq"), i))
            return


def describe(topic, p):
    if topic == "txlog.record":
        return "record %s #%s (upload %s, frame %s)" % (p.get("device"), p.get("counter"),
                                                        p.get("upload"), short(p.get("frame")))
    if topic == "txlog.alert":
        c = p.get("counter")
        return "alert %s %s%s frame %s %s" % (p.get("kind"), p.get("device"),
                                              "" if c is None else " #%s" % c,
                                              short(p.get("frame")),
                                              json.dumps(p.get("detail"), sort_keys=True))
    return "reject %s %s frame %s src %s (%s)" % (p.get("reason"), p.get("device", "-"),
                                                 short(p.get("frame", "-")), p.get("src"),
                                                 p.get("error"))


def compare_fields(pr, e, topic, p):
    seq = p.get("seq")
    for k, v in e.fields.items():
        if p.get(k) != v:
            pr.add("DIFFERS", "seq %s %s: %s: summary %s, bus %s"
                   % (seq, e.name(), k, json.dumps(v, sort_keys=True),
                      json.dumps(p.get(k), sort_keys=True)))
    if topic == "txlog.record" and p.get("late") != e.late:
        pr.add("DIFFERS", "seq %s %s: late: want %s, bus %s" % (seq, e.name(), e.late, p.get("late")))
    if e.src is not None and p.get("src") != e.src:
        pr.add("DIFFERS", "seq %s %s: src: want %s, bus %s" % (seq, e.name(), e.src, p.get("src")))


def may_repeat(topic, p):
    """A reject, or the frame-level alert that comes with one (replay,
    revoked_device): txlog-v1.md keeps no memory of rejected frames, so the
    same frame delivered again (a carrier duplicate, or a re-send after a
    lost answer) is judged, and published, again.  Records never repeat."""
    return topic == "txlog.reject" or (topic == "txlog.alert" and "counter" not in p and
                                       p.get("kind") in ("replay", "revoked_device"))


def match(pr, exp, msgs, repeats_ok):
    """Each bus message to one expectation; returns (tolerated, repeated)."""
    tolerated = repeated = 0
    for topic, p in msgs:
        cands = exp.find(topic, key_of(topic, p))
        free = [e for e in cands if not e.seqs]
        if free:
            e = free[0]
            e.seqs.append(p.get("seq"))
            compare_fields(pr, e, topic, p)
            tolerated += e.optional
        elif cands and repeats_ok and may_repeat(topic, p):
            e = cands[0]
            e.seqs.append(p.get("seq"))
            compare_fields(pr, e, topic, p)
            repeated += 1
        elif cands:
            e = cands[0]
            e.seqs.append(p.get("seq"))
            pr.add("TWICE", "%s published at seq %s" % (e.name(), ", ".join(map(str, e.seqs))))
        elif p.get("device") in exp.uncertain and topic != "txlog.record":
            tolerated += 1
        else:
            pr.add("UNEXPECTED", "seq %s %s" % (p.get("seq"), describe(topic, p)))
    for es in exp.by_key.values():
        for e in es:
            if not e.seqs and not e.optional:
                pr.add("MISSING", e.name() + (" " + json.dumps(e.fields["detail"], sort_keys=True)
                                              if "detail" in e.fields else ""))
    return tolerated, repeated


def check_order(pr, msgs):
    """bus.md: an alert about a record right after it; txlog-v1.md step 6:
    msisdn_mismatch after the frame's records; records of a device in
    counter order (none is late here)."""
    last_rec_of_frame = {}
    last_counter = {}
    for i, (topic, p) in enumerate(msgs):
        seq, dev = p.get("seq"), p.get("device")
        if topic == "txlog.record":
            last_rec_of_frame[p.get("frame")] = seq
            c = p.get("counter")
            if not p.get("late") and dev in last_counter and c <= last_counter[dev]:
                pr.add("ORDER", "seq %s record %s #%s after #%s, not late" % (seq, dev, c, last_counter[dev]))
            last_counter[dev] = max(c, last_counter.get(dev, c))
            continue
        if topic != "txlog.alert":
            continue
        if "counter" in p:
            j = i - 1
            while j >= 0 and msgs[j][0] == "txlog.alert" and msgs[j][1].get("device") == dev \
                    and msgs[j][1].get("counter") == p["counter"]:
                j -= 1
            prev = msgs[j] if j >= 0 else (None, {})
            if prev[0] != "txlog.record" or prev[1].get("device") != dev or \
                    prev[1].get("counter") != p["counter"] or prev[1].get("frame") != p.get("frame"):
                pr.add("ORDER", "seq %s %s: not right after its record (before it: %s)"
                       % (seq, describe(topic, p), describe(*prev) if prev[0] else "nothing"))
        elif p.get("kind") == "msisdn_mismatch":
            later = [s for t, q in msgs[i + 1:] if t == "txlog.record" and q.get("frame") == p.get("frame")
                     for s in [q.get("seq")]]
            if later or p.get("frame") not in last_rec_of_frame:
                pr.add("ORDER", "seq %s %s: want it after all records of its frame%s"
                       % (seq, describe(topic, p), " (seq %s later)" % later if later else
                          " (no record of the frame before it)"))


def check_live(pr, live_path, msgs):
    final = {p.get("seq"): (t, p) for t, p in msgs}
    top = len(msgs)
    seen = {}
    with open(live_path, encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            t, p = m["topic"], m["payload"]
            s = p.get("seq")
            if s in seen and seen[s] != (t, p):
                pr.add("REUSED", "seq %s seen live twice with different content: %s / %s"
                       % (s, describe(*seen[s]), describe(t, p)))
            seen[s] = (t, p)
    for s, v in sorted(seen.items()):
        if s > top:
            pr.add("LOST", "seq %s seen live beyond the journal's end %d: %s" % (s, top, describe(*v)))
        elif final.get(s) != v:
            pr.add("REUSED", "seq %s: live %s, journal %s" % (s, describe(*v), describe(*final[s])))
    return len(seen)


# ---- --need ----

NEED = re.compile(r"^([a-z_.0-9]+)\s*(>=|<=|==|>|<)\s*([a-z_.0-9]+)$")


def bus_numbers(msgs):
    n = {"records": 0, "alerts": 0, "rejects": 0, "messages": len(msgs), "alert": {}, "reject": {}}
    for t, p in msgs:
        if t == "txlog.record":
            n["records"] += 1
        elif t == "txlog.alert":
            n["alerts"] += 1
            n["alert"][p.get("kind")] = n["alert"].get(p.get("kind"), 0) + 1
        else:
            n["rejects"] += 1
            n["reject"][p.get("reason")] = n["reject"].get(p.get("reason"), 0) + 1
    return n


def value(root, term):
    """A number, or a dotted path into root (absent: 0)."""
    if term.isdigit():
        return int(term)
    v = root
    for part in term.split("."):
        v = v.get(part, 0) if isinstance(v, dict) else 0
    return v


def check_needs(pr, needs, summary, msgs, stats):
    root = dict(summary)
    root["bus"] = bus_numbers(msgs)
    # the daemon's counters (stats.md) have dots in their names: gw.txlog.duplicates
    root["gw"] = {}
    for k, v in (stats or {}).items():
        d = root["gw"]
        parts = k.split(".")
        for part in parts[:-1]:
            d = d.setdefault(part, {})
        d[parts[-1]] = v
    for need in needs:
        m = NEED.match(need)
        if not m:
            pr.add("USAGE", "--need %r: want PATH OP PATH-OR-NUMBER" % need)
            continue
        x, op, y = value(root, m.group(1)), m.group(2), value(root, m.group(3))
        ok = {">": x > y, ">=": x >= y, "==": x == y, "<=": x <= y, "<": x < y}[op]
        if not ok:
            pr.add("NEED", "%s is %s, want %s %s (%s)" % (m.group(1), x, op, m.group(3), y))


# ---- --listen ----

def listen(ep, out):
    """Write every live message as a line until SIGTERM or SIGINT."""
    import zmq
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(ep)
    with open(out, "w", encoding="utf-8") as f:
        while not stop:
            try:
                if not sub.poll(100):
                    continue
                topic, payload = sub.recv_multipart()
            except zmq.ZMQError:
                continue
            f.write(json.dumps({"topic": topic.decode(), "payload": json.loads(payload)}) + "\n")
            f.flush()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--summary")
    ap.add_argument("--bus")
    ap.add_argument("--live")
    ap.add_argument("--need", action="append", default=[])
    ap.add_argument("--stats", help="the daemon's show stats (JSON), for --need gw.*")
    ap.add_argument("--all-acked", action="store_true",
                    help="fail when the summary lists unacked or failed uploads")
    ap.add_argument("--repeats-ok", action="store_true",
                    help="a rejected frame delivered again may be rejected again")
    ap.add_argument("--listen")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.listen:
        if not a.out:
            ap.error("--listen needs --out")
        return listen(a.listen, a.out)
    if not a.summary or not a.bus:
        ap.error("need --summary and --bus (or --listen)")
    summary = json.load(open(a.summary, encoding="utf-8"))
    pr = Problems()
    msgs = load_bus(a.bus, pr)
    check_seqs(pr, msgs)
    for t, p in msgs:
        check_schema(pr, t, p, summary.get("bearers", ("sms",)))
    exp = Expected(summary)
    tolerated, repeated = match(pr, exp, msgs, a.repeats_ok)
    check_order(pr, msgs)
    n_live = check_live(pr, a.live, msgs) if a.live else None
    stats = json.load(open(a.stats, encoding="utf-8")) if a.stats else None
    check_needs(pr, a.need, summary, msgs, stats)
    t = summary.get("totals", {})
    if a.all_acked and (t.get("unacked") or t.get("failed")):
        pr.add("UNACKED", "%s unacked, %s failed uploads" % (t.get("unacked"), t.get("failed")))
    b = bus_numbers(msgs)
    print("sim_compare: bus seq 1..%d: %d records, %d alerts, %d rejects%s; summary: %s acked "
          "uploads -> %s records, %s alerts, %s rejects; %d of unacked/uncertain uploads "
          "tolerated; %d rejects/alerts repeated"
          % (len(msgs), b["records"], b["alerts"], b["rejects"],
             "" if n_live is None else " (%d seen live)" % n_live,
             t.get("acked"), t.get("records"), t.get("alerts"), t.get("rejects"), tolerated,
             repeated))
    if pr.count():
        pr.print()
        print("sim_compare: FAIL (%d problems)" % pr.count())
        return 1
    print("sim_compare: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
