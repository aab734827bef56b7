#!/usr/bin/python3
"""downlink_check.py -- what txgw published on txlog.downlink against what
was asked of it and what the SMSC (txgw-smsc-sim) got, written from
doc/downlink.md alone.

  downlink_check.py --requests R.jsonl --answers A.jsonl --bus BUS.jsonl
                    [--expect E.json] [--sim SIM.json] [--log TXGW.log ...]

R: the SEND requests (JSON lines); A: txgw-send --json's output (answers
and events); BUS: bus-sub.py's replay of the bus (every seq once);
E: {id: {"answer": "QUEUED" | "ERROR", "reason": ..., "state": "submitted" |
"delivered" | "failed", "error": ...}} (what is not named: QUEUED, then
submitted, or delivered when a receipt was asked); SIM: the simulator's
summary; the logs: txgw's, where "submitted again" names the messages
whose earlier submit_sm may have reached the SMSC.

Checked: every answer; every queued id's events on the bus, in seq order,
are "queued" (with the seq QUEUED gave) then exactly one of failed,
submitted, submitted+delivered, submitted+failed (a receipt); the final
state and error as expected; nothing published for a refused request;
with SIM: every message submitted is there, to its MSISDN, with its
payload's SHA-256, its parts, the message ids the bus names; a message
the SMSC got more than once was named "submitted again" in a log; the
SMSC got nothing else.  Exit 0, or 1 with the reasons.
"""
import argparse
import base64
import collections
import hashlib
import json
import re
import sys

ENDS = [["queued", "failed"], ["queued", "submitted"], ["queued", "submitted", "delivered"],
        ["queued", "submitted", "failed"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", required=True)
    ap.add_argument("--answers", required=True)
    ap.add_argument("--bus", required=True)
    ap.add_argument("--expect")
    ap.add_argument("--sim")
    ap.add_argument("--log", action="append", default=[])
    ap.add_argument("--unended-ok", action="store_true",
                    help="a message may still be submitted, awaiting its receipts")
    a = ap.parse_args()
    bad = []

    reqs = [json.loads(l) for l in open(a.requests) if l.strip()]
    expect = json.load(open(a.expect)) if a.expect else {}
    answers = {}
    for l in open(a.answers):
        if l.startswith("{\"answer\""):
            x = json.loads(l)
            answers.setdefault(x["id"], x)
    events = collections.defaultdict(list)
    seqs = []
    for l in open(a.bus):
        m = json.loads(l)
        seqs.append(m["payload"]["seq"])
        if m["topic"] == "txlog.downlink":
            events[m["payload"]["queued"]].append(m["payload"])
    if seqs != list(range(seqs[0], seqs[0] + len(seqs))) if seqs else False:
        bad.append("bus seqs not gap-free")
    again = set()
    for path in a.log:
        for l in open(path, errors="replace"):
            g = re.search(r"downlink (\S+) to \S+: submitted again", l)
            if g:
                again.add(g.group(1))

    by_id, n_state = {}, collections.Counter()
    for q in reqs:
        i = q["id"]
        if i in by_id:
            continue
        by_id[i] = q
        e = expect.get(i, {})
        ans = answers.get(i)
        if not ans:
            bad.append("%s: no answer" % i)
            continue
        if ans["answer"] != e.get("answer", "QUEUED") or (
                e.get("reason") and ans["detail"] != e["reason"]):
            bad.append("%s: answered %s %s, want %s %s" % (i, ans["answer"], ans["detail"],
                       e.get("answer", "QUEUED"), e.get("reason", "")))
            continue
        if ans["answer"] != "QUEUED":
            continue
        seq = int(ans["detail"])
        ev = events.pop(seq, [])
        states = [x["state"] for x in ev]
        n_state[states[-1] if states else "none"] += 1
        if not ev or ev[0]["seq"] != seq or any(x["id"] != i for x in ev):
            bad.append("%s: the events of queued %d are %s" % (i, seq, ev))
            continue
        if states not in ENDS and not (a.unended_ok and states == ["queued"]):
            bad.append("%s: states %s" % (i, states))
            continue
        want = e.get("state", "delivered" if q.get("receipt") else "submitted")
        if states[-1] != want:
            bad.append("%s: ended %s (%s), want %s" % (i, states[-1], ev[-1].get("error"), want))
        if e.get("error") and ev[-1].get("error") != e["error"]:
            bad.append("%s: error %r, want %r" % (i, ev[-1].get("error"), e["error"]))
        q["_ev"] = ev
    if events:
        bad.append("events of no request: %s" % list(events)[:5])
    if a.sim:
        check_sim(a.sim, by_id, again, bad)
    if bad:
        print("downlink_check: FAIL\n  " + "\n  ".join(bad[:30]))
        sys.exit(1)
    print("downlink_check: %d requests, %d queued; ended %s; %d named submitted again; bus seq "
          "%s..%s gap-free" % (len(by_id), sum(n_state.values()), dict(n_state), len(again),
                               seqs[0] if seqs else "-", seqs[-1] if seqs else "-"))


def check_sim(path, by_id, again, bad):
    mt = json.load(open(path))["mt"]
    got = {}
    for m in mt["messages"]:
        got[(m["to"], m["sha256"])] = m
    for e in mt["errors"]:
        bad.append("the SMSC found: " + e)
    used = set()
    for i, q in by_id.items():
        ev = q.get("_ev")
        if not ev or "submitted" not in [x["state"] for x in ev]:
            continue
        sub = [x for x in ev if x["state"] == "submitted"][0]
        to = sub["to"].lstrip("+")
        sha = hashlib.sha256(base64.b64decode(q["payload"])).hexdigest()
        m = got.get((to, sha))
        if not m:
            bad.append("%s: submitted, but the SMSC has no message to %s with its payload" % (i, to))
            continue
        used.add((to, sha))
        if m["parts"] != sub["parts"] or len(sub["message_ids"]) != m["parts"]:
            bad.append("%s: %d parts at the SMSC, %s on the bus" % (i, m["parts"], sub["message_ids"]))
        if m["copies"] == 1 and m["ids"] != sub["message_ids"]:
            bad.append("%s: ids %s at the SMSC, %s on the bus" % (i, m["ids"], sub["message_ids"]))
        if m["copies"] > 1 and i not in again:
            bad.append("%s: the SMSC got it %d times, no log line says it was submitted again"
                       % (i, m["copies"]))
    # what the SMSC took but the bus does not say submitted: only for messages
    # that failed, or were submitted again after a lost answer
    for k, m in got.items():
        if k in used:
            continue
        owners = [i for i, q in by_id.items() if k[1] == hashlib.sha256(
            base64.b64decode(q["payload"])).hexdigest()]
        if not owners:
            bad.append("the SMSC got a message no request sent: %s" % (k,))


if __name__ == "__main__":
    main()
