#!/usr/bin/python3
"""mail_load.py -- an SMTP load generator for contrib/bench/mail.sh, for what
Postfix's smtp-source cannot do: STARTTLS, distinct frames per mail, and the
time from the end of DATA to its reply.

    mail_load.py --port P --sessions S --count N
                 [--mail FILE | --key KEY --first K] [--tls --ca CA.pem]

S sessions (asyncio), each one connection that sends mails one after the
other (EHLO once, STARTTLS once with --tls; MAIL, RCPT, DATA in lockstep as
smtp-source does), N mails in all.  --mail: the same message each time (CRLF
line ends); --key: mail i carries its own frame (upload_seq = counter = K+i,
signed beforehand, not timed).  The latency of a mail is the time from
writing the final "." line to reading the whole reply.  Prints one JSON
line: mails, ok, failed, seconds, rate (ok per second), p50_ms, p99_ms,
max_ms.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/integration"))
from mail_frames import Signer, mail_with_frame, record  # noqa: E402
from mail_raw import dotstuff  # noqa: E402

RCPT = "upload@txlog.example"
FROM = "load@handset.example"


async def reply(r):
    """One whole reply's code (multi-line replies read to their end)."""
    while True:
        line = await r.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def session(a, mails, state, lat):
    r, w = await asyncio.open_connection("127.0.0.1", a.port, limit=1 << 20)
    try:
        await reply(r)
        w.write(b"EHLO load.example\r\n")
        await reply(r)
        if a.tls:
            w.write(b"STARTTLS\r\n")
            if await reply(r) != 220:
                raise ConnectionError("STARTTLS refused")
            ctx = ssl.create_default_context(cafile=a.ca)
            await w.start_tls(ctx, server_hostname="localhost")
            w.write(b"EHLO load.example\r\n")
            await reply(r)
        while state["next"] < len(mails):
            body = mails[state["next"]]
            state["next"] += 1
            w.write(b"MAIL FROM:<%s>\r\n" % FROM.encode())
            c1 = await reply(r)
            w.write(b"RCPT TO:<%s>\r\n" % RCPT.encode())
            c2 = await reply(r)
            w.write(b"DATA\r\n")
            c3 = await reply(r)
            if (c1, c2, c3) != (250, 250, 354):
                state["failed"] += 1
                w.write(b"RSET\r\n")
                await reply(r)
                continue
            w.write(body[:-3])              # all but the final ".\r\n"
            await w.drain()
            t0 = time.perf_counter()
            w.write(b".\r\n")
            code = await reply(r)
            lat.append(time.perf_counter() - t0)
            state["ok" if code == 250 else "failed"] += 1
        w.write(b"QUIT\r\n")
        await reply(r)
    finally:
        w.close()


async def run(a, mails):
    state = {"next": 0, "ok": 0, "failed": 0}
    lat = []
    t0 = time.perf_counter()
    res = await asyncio.gather(*(session(a, mails, state, lat) for _ in range(a.sessions)),
                               return_exceptions=True)
    secs = time.perf_counter() - t0
    errors = [repr(x) for x in res if isinstance(x, BaseException)]
    lat.sort()

    def pct(q):
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else None
    return {"mails": len(mails), "ok": state["ok"], "failed": state["failed"],
            "session_errors": errors[:3], "seconds": round(secs, 3),
            "rate": round(state["ok"] / secs, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 2) if lat else None}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--mail")
    p.add_argument("--key")
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca")
    a = p.parse_args()
    if bool(a.mail) == bool(a.key) or (a.tls and not a.ca):
        p.error("one of --mail and --key; --tls needs --ca")
    if a.mail:
        one = dotstuff(open(a.mail, "rb").read())
        mails = [one] * a.count
    else:
        s = Signer(a.key)
        mails = [dotstuff(mail_with_frame(s.frame(n, [record(n)]), FROM, RCPT, "load %d" % n))
                 for n in range(a.first, a.first + a.count)]
    print(json.dumps(asyncio.run(run(a, mails))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
