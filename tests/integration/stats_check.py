#!/usr/bin/python3
"""stats_check.py SOCK CHECK [ARGS] -- txgw's stats socket against stats.md.

    info SEQ PID NAME     show info: the keys of stats.md with their types,
                          journal_seq == SEQ, pid == PID, name == NAME
    stats [K=V|K>=V ...]  show stats: every counter of stats.md present, all
                          values non-negative integers, and the conditions
    metrics               show metrics: valid Prometheus text exposition
                          format; every counter of show stats has a
                          "# TYPE txgw_<name> counter" line and a sample not
                          below its show stats value; each gauge (GAUGES)
                          a "# TYPE txgw_<name> gauge" line and a sample
    binds NAME            show binds: one bind NAME with the keys of stats.md
    ask CMD REGEX         the answer to CMD matches REGEX (whole answer)
    wait K V SECONDS      wait until counter K >= V
Prints what failed; exit 0 when all is as expected.
"""
import json
import re
import socket
import sys
import time

COUNTERS = """smpp.pdus_rx smpp.deliver_sm smpp.generic_nack_tx smpp.reconnects
sms.segments sms.messages sms.concat_timeouts sms.duplicate_parts smtp.sessions smtp.messages
smtp.rejected txlog.frames txlog.records txlog.duplicates
txlog.repeated_records txlog.late_records txlog.stale_records txlog.rejects
txlog.alerts bus.published bus.refused journal.syncs""".split()
GAUGES = {"downlink.pending"}   # stats.md: values that go up and down
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{[^}]*\})? (\S+)( -?\d+)?$" % NAME)
failed = []


def check(cond, what):
    if not cond:
        failed.append(what)
    return cond


def ask(sock, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    text = out.decode()
    check(text.endswith("\n") and text.count("\n") >= 1, "%r: answer not ended by a line end" % cmd)
    return text[:-1] if text.endswith("\n") else text


def is_uint(v):
    return type(v) is int and v >= 0


def info(sock, seq, pid, name):
    o = json.loads(ask(sock, "show info"))
    types = {"name": str, "version": str, "pid": int, "uptime_s": int, "journal_seq": int,
             "journal_oldest": int}
    for k, t in types.items():
        check(type(o.get(k)) is t, "show info: %s is %r" % (k, o.get(k)))
    check(o.get("journal_seq") == int(seq), "show info: journal_seq %r, want %s" % (o.get("journal_seq"), seq))
    check(o.get("pid") == int(pid), "show info: pid %r, want %s" % (o.get("pid"), pid))
    check(o.get("name") == name, "show info: name %r" % o.get("name"))
    check(is_uint(o.get("uptime_s")), "show info: uptime_s")
    check(1 <= o.get("journal_oldest", 0) <= max(1, int(seq)), "show info: journal_oldest %r" % o.get("journal_oldest"))
    return o


def stats(sock, conds=()):
    o = json.loads(ask(sock, "show stats"))
    check(isinstance(o, dict), "show stats: not an object")
    for c in COUNTERS:
        check(c in o, "show stats: no %s" % c)
    for k, v in o.items():
        check(is_uint(v), "show stats: %s = %r is not a non-negative integer" % (k, v))
    for c in conds:
        m = re.fullmatch(r"([\w.]+)(>=|=)(\d+)", c)
        k, op, v = m.group(1), m.group(2), int(m.group(3))
        got = o.get(k)
        ok = got is not None and (got >= v if op == ">=" else got == v)
        check(ok, "show stats: %s = %r, want %s %d" % (k, got, op, v))
    return o


def parse_prometheus(text):
    """The text exposition format: HELP/TYPE comments and samples.  Returns
    {name: (type, value)}; every problem goes to failed."""
    types, helps, samples = {}, set(), {}
    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                check(re.fullmatch(NAME, parts[2]) is not None, "metrics %d: bad name" % n)
                if parts[1] == "TYPE":
                    check(len(parts) == 4 and parts[3] in ("counter", "gauge", "histogram",
                                                           "summary", "untyped"),
                          "metrics %d: bad TYPE line %r" % (n, line))
                    check(parts[2] not in types and parts[2] not in samples,
                          "metrics %d: TYPE for %s repeated or after its samples" % (n, parts[2]))
                    types[parts[2]] = parts[3] if len(parts) == 4 else None
                else:
                    check(parts[2] not in helps, "metrics %d: HELP repeated" % n)
                    helps.add(parts[2])
            continue
        m = SAMPLE.match(line)
        if not check(m is not None, "metrics %d: not a sample: %r" % (n, line)):
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            check(False, "metrics %d: bad value %r" % (n, m.group(3)))
            continue
        samples[m.group(1)] = value
    return {k: (types.get(k), v) for k, v in samples.items()}


def metrics(sock):
    before = stats(sock)
    text = ask(sock, "show metrics") + "\n"
    got = parse_prometheus(text)
    for k, v in before.items():
        name = "txgw_" + k.replace(".", "_")
        kind = "gauge" if k in GAUGES else "counter"
        check(("# TYPE %s %s\n" % (name, kind)) in text, "metrics: no '# TYPE %s %s'" % (name, kind))
        t, value = got.get(name, (None, None))
        check(value is not None and (kind == "gauge" or value >= v) and value == int(value),
              "metrics: %s = %r, show stats said %d" % (name, value, v))


def binds(sock, name):
    a = json.loads(ask(sock, "show binds"))
    if not check(isinstance(a, list) and len(a) == 1, "show binds: %r" % a):
        return
    b = a[0]
    check(b.get("name") == name, "show binds: name %r" % b.get("name"))
    check(b.get("state") in ("down", "connecting", "binding", "bound"), "show binds: state %r" % b.get("state"))
    check(isinstance(b.get("remote"), str) and b["remote"], "show binds: remote %r" % b.get("remote"))
    for k in ("window_used", "rx_pdus", "tx_pdus"):
        check(is_uint(b.get(k)), "show binds: %s %r" % (k, b.get(k)))
    check(isinstance(b.get("since"), str) and RFC3339.match(b["since"]) is not None,
          "show binds: since %r is not RFC 3339" % b.get("since"))


def wait(sock, key, value, seconds):
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        if json.loads(ask(sock, "show stats")).get(key, -1) >= int(value):
            return
        time.sleep(0.1)
    check(False, "%s did not reach %s within %s s" % (key, value, seconds))


def main():
    sock, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if what == "info":
            info(sock, *args)
        elif what == "stats":
            stats(sock, args)
        elif what == "metrics":
            metrics(sock)
        elif what == "binds":
            binds(sock, *args)
        elif what == "ask":
            got = ask(sock, args[0])
            check(re.fullmatch(args[1], got) is not None, "%r answered %r, want /%s/" % (args[0], got, args[1]))
            print(got)
        elif what == "wait":
            wait(sock, *args)
        else:
            sys.exit("stats_check: unknown check %s" % what)
    except (OSError, ValueError, KeyError) as e:
        failed.append("%s: %s" % (what, e))
    for f in failed:
        print("FAIL: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
