#!/usr/bin/python3
"""downlink_mail_check.py -- the mails a relay (smtp_relay.py's directory)
or a Maildir (Postfix's delivery) got from txgw's mail downlink, against
the requests and the bus, from doc/downlink.md section 3 alone.

  downlink_mail_check.py --requests R.jsonl --bus BUS.jsonl --from ADDR
                         (--relay-dir DIR | --maildir DIR) [--tls]

Checked: every id the bus says "submitted" (bearer "smtp", no parts, no
message_ids) is exactly one mail, and no other mail came; each mail has
From: <ADDR>, To: <its mailbox>, a Date, a Message-ID, Subject "txlog
downlink ID", MIME-Version 1.0, Content-Type application/vnd.txlog-downlink,
Content-Transfer-Encoding base64, CRLF line ends (relay-dir: the raw
bytes), base64 lines of at most 76 characters, decoding to exactly the
request's payload; relay-dir: the envelope is MAIL FROM:<ADDR> and RCPT
TO:<mailbox>; maildir: Return-Path <ADDR>, and with --tls the Received
header says ESMTPS.  Exit 0, or 1 with the reasons.
"""
import argparse
import base64
import email
import email.policy
import glob
import json
import os
import re
import sys


def mails(a):
    """(raw bytes, envelope or None) of each mail."""
    if a.relay_dir:
        for p in sorted(glob.glob(os.path.join(a.relay_dir, "*.eml"))):
            env = json.load(open(p[:-4] + ".json"))
            yield open(p, "rb").read(), env
    else:
        for p in sorted(glob.glob(os.path.join(a.maildir, "new", "*")) +
                        glob.glob(os.path.join(a.maildir, "cur", "*"))):
            yield open(p, "rb").read(), None


def check_mail(raw, env, q, a, bad):
    i = q["id"]
    if a.relay_dir and re.search(rb"(?<!\r)\n|\r(?!\n)", raw):
        bad.append("%s: a line does not end CRLF" % i)
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    want = {"From": "<%s>" % a.mail_from, "To": "<%s>" % q["mail"],
            "Subject": "txlog downlink %s" % i, "MIME-Version": "1.0",
            "Content-Type": "application/vnd.txlog-downlink",
            "Content-Transfer-Encoding": "base64"}
    for k, v in want.items():
        if m.get_all(k) != [v]:
            bad.append("%s: %s is %s, want %r" % (i, k, m.get_all(k), v))
    if not m["Date"] or not re.fullmatch(r"<[^<>@\s]+\.\d+@[^<>@\s]+>", m["Message-ID"] or ""):
        bad.append("%s: Date %r, Message-ID %r" % (i, m["Date"], m["Message-ID"]))
    body = m.get_payload()
    lines = [l for l in body.replace("\r\n", "\n").split("\n") if l]
    if any(len(l) > 76 for l in lines):
        bad.append("%s: a base64 line over 76 characters" % i)
    if base64.b64decode("".join(lines), validate=True) != base64.b64decode(q["payload"]):
        bad.append("%s: the body does not decode to the payload" % i)
    if env is not None and (env["mail_from"] != a.mail_from or env["rcpt"] != [q["mail"]]):
        bad.append("%s: envelope %s" % (i, env))
    if a.maildir and m["Return-Path"] != "<%s>" % a.mail_from:
        bad.append("%s: Return-Path %r" % (i, m["Return-Path"]))
    if a.tls and "ESMTPS" not in (m["Received"] or ""):
        bad.append("%s: not received over TLS: %r" % (i, m["Received"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", required=True)
    ap.add_argument("--bus", required=True)
    ap.add_argument("--from", dest="mail_from", required=True)
    ap.add_argument("--relay-dir")
    ap.add_argument("--maildir")
    ap.add_argument("--tls", action="store_true")
    a = ap.parse_args()
    bad = []
    reqs = {}
    for l in open(a.requests):
        if l.strip():
            q = json.loads(l)
            reqs.setdefault(q["id"], q)
    submitted = set()
    for l in open(a.bus):
        p = json.loads(l)["payload"]
        if p.get("state") != "submitted":
            continue
        if p["bearer"] != "smtp" or "parts" in p or "message_ids" in p:
            bad.append("%s: submitted as %s" % (p["id"], p))
        submitted.add(p["id"])
    got = {}
    n = 0
    for raw, env in mails(a):
        n += 1
        m = email.message_from_bytes(raw, policy=email.policy.compat32)
        i = (m["Subject"] or "").replace("txlog downlink ", "", 1)
        if i not in reqs:
            bad.append("a mail for no request: Subject %r" % m["Subject"])
            continue
        if i in got:
            bad.append("%s: more than one mail" % i)
            continue
        got[i] = True
        check_mail(raw, env, reqs[i], a, bad)
    for i in sorted(submitted - set(got)):
        bad.append("%s: submitted on the bus, no mail came" % i)
    for i in sorted(set(got) - submitted):
        bad.append("%s: a mail came, the bus does not say submitted" % i)
    if bad:
        print("downlink_mail_check: FAIL\n  " + "\n  ".join(bad[:30]))
        sys.exit(1)
    print("downlink_mail_check: %d mails, one per submitted id, headers and payloads exact%s" %
          (n, ", over TLS" if a.tls else ""))


if __name__ == "__main__":
    main()
