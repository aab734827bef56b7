#!/usr/bin/python3
"""mail_hostile.py -- hostile SMTP and MIME against the running daemon.

    mail_hostile.py --port P --key KEY --max-size N --max-sessions M
                    --pid PID --out ACCEPTED.json

A good mail first; then every error case (RFC 5321 replies: 503 out of
order, 500 long line, 552 over the size limit with the rest of the data
read, 421 over the session limit, 421 after 10 bad commands), MIME bombs
(deep nesting, 100,000 parts), a multipart that never ends, base64 garbage
in a frame part, a NUL in a header, a TLS ClientHello in plain text, a
client that vanishes in DATA; after each case the daemon must still be
running; then a good mail again.  Every mail that got 250 and the counter of
the record it must give on the bus go to ACCEPTED.json ([[counter, src],
...]) for the caller to check against the bus.  Exit 0 when every case got
the answer it should.
"""
import argparse
import json
import os
import sys
import time

from mail_frames import Signer, mail_with_frame, record
from mail_raw import Closed, RawSMTP, dotstuff

RCPT = "upload@txlog.example"
# a TLS 1.2 ClientHello's first bytes: handshake record, version 3.1
# (no LF byte in it), a fixed "random", an empty session id and cipher list
CLIENT_HELLO = bytes.fromhex("160301010001000100fc0303") + b"\x11" * 32 + b"\x00" * 200


class Hostile:
    def __init__(self, a):
        self.a = a
        self.signer = Signer(a.key)
        self.next_seq = 1
        self.accepted = []      # [counter, src] that must be on the bus
        self.fails = 0

    def check(self, what, ok, detail=""):
        print("%s  %s %s" % ("ok  " if ok else "FAIL", what, detail), flush=True)
        if not ok:
            self.fails += 1
        alive = True
        try:
            os.kill(self.a.pid, 0)
        except OSError:
            alive = False
        if not alive:
            print("FAIL  txgw died after: %s" % what)
            self.fails += 1
            raise SystemExit(1)

    def frame(self):
        n = self.next_seq
        self.next_seq += 1
        return n, self.signer.frame(n, [record(n)])

    def session(self):
        c = RawSMTP(self.a.port)
        c.greet()
        return c

    def envelope(self, c, frm):
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (frm, RCPT))
        return c.replies(3)

    def send_mail(self, c, frm, msg):
        """One whole mail over DATA: the code of the end-of-data reply."""
        codes = self.envelope(c, frm)
        if codes != [250, 250, 354]:
            return codes
        c.send(dotstuff(msg))
        return c.reply()[0]

    def good_mail(self, what, c=None):
        n, f = self.frame()
        frm = "good-%d@handset.example" % n
        own = c is None
        c = c or self.session()
        code = self.send_mail(c, frm, mail_with_frame(f, frm, RCPT, what))
        if own:
            c.cmd("QUIT")
            c.close()
        if code == 250:
            self.accepted.append([n, frm])
        self.check(what, code == 250, "-> %s" % code)

    # ---- SMTP errors ----

    def out_of_order(self):
        c = self.session()
        got = [c.cmd("RCPT TO:<%s>" % RCPT), c.cmd("DATA")]
        c.send("BDAT 10 LAST\r\n0123456789")   # RFC 3030 §2: the chunk is read anyway
        got.append(c.reply()[0])
        got += [c.cmd("MAIL FROM:<x@handset.example>"), c.cmd("MAIL FROM:<y@handset.example>"),
                c.cmd("DATA"), c.cmd("RSET"), c.cmd("QUIT")]
        c.close()
        self.check("503 for commands out of order", got == [503, 503, 503, 250, 503, 503, 250, 221],
                   str(got))

    def long_line(self):
        c = self.session()
        code = c.cmd("MAIL FROM:<%s@handset.example>" % ("a" * 5000))
        after = c.cmd("NOOP")
        self.good_mail("good mail after a long line, same session", c)
        c.cmd("QUIT")
        c.close()
        self.check("500 for a 5000-octet command line, session goes on", code == 500 and after == 250,
                   "%s, NOOP %s" % (code, after))

    def too_big(self):
        """Over smtp-max-size: SIZE= refused at once; a DATA body over the
        limit is read to its end and refused with 552, and the session goes
        on with a good mail; BDAT likewise."""
        c = self.session()
        size = c.cmd("MAIL FROM:<big@handset.example> SIZE=%d" % (self.a.max_size + 1))
        codes = self.envelope(c, "big@handset.example")
        line = b"X" * 998 + b"\r\n"
        body = b"Subject: big\r\n\r\n" + line * (self.a.max_size // len(line) + 100)
        c.send(body + b".\r\n")
        end = c.reply()[0]
        self.good_mail("good mail after a 552, same session", c)
        c.send("MAIL FROM:<big@handset.example>\r\nRCPT TO:<%s>\r\n" % RCPT)
        c.send(b"BDAT %d LAST\r\n" % len(body) + body)
        bdat = c.replies(3)
        c.cmd("QUIT")
        c.close()
        self.check("552 over smtp-max-size (SIZE=, DATA, BDAT), rest of the data consumed",
                   size == 552 and codes == [250, 250, 354] and end == 552 and bdat == [250, 250, 552],
                   "SIZE= %s, DATA %s, end %s, BDAT %s" % (size, codes, end, bdat))

    def too_many_sessions(self):
        held = [self.session() for _ in range(self.a.max_sessions)]
        extra = RawSMTP(self.a.port)
        try:
            code, _ = extra.reply()
        except Closed:
            code = None
        closed = extra.closed_by_peer()
        extra.close()
        for c in held:
            c.cmd("QUIT")
            c.close()
        self.check("421 over smtp-max-sessions (%d)" % self.a.max_sessions, code == 421 and closed,
                   "greeting %s, closed %s" % (code, closed))
        self.wait_free()

    def wait_free(self):
        """Until a new session gets its 220 again (the server has noticed
        the closed ones): 5 s at most."""
        end = time.monotonic() + 5
        while time.monotonic() < end:
            c = RawSMTP(self.a.port)
            try:
                code = c.reply()[0]
            except Closed:
                code = None
            c.close()
            if code == 220:
                return
            time.sleep(0.05)
        self.check("sessions freed after the limit", False)

    def bad_commands(self):
        """The 10th bad command gets its 500, then 421 and the end
        (smtp_fsm.c SMTP_MAX_BAD)."""
        c = self.session()
        got = [c.cmd("XYZZY %d" % i) for i in range(10)]
        try:
            got.append(c.reply()[0])
        except Closed:
            got.append("closed")
        closed = c.closed_by_peer()
        c.close()
        self.check("421 after 10 bad commands, then closed",
                   got == [500] * 10 + [421] and closed, "%s closed %s" % (got, closed))

    # ---- hostile MIME: each mail is answered; which answer, the caller knows ----

    def mime_case(self, what, msg, want, frame_n=None, frm="mime@handset.example"):
        c = self.session()
        code = self.send_mail(c, frm, msg)
        c.cmd("QUIT")
        c.close()
        if code == 250 and frame_n is not None:
            self.accepted.append([frame_n, frm])
        self.check(what, code == want, "-> %s (want %s)" % (code, want))
        return code

    def deep_nesting(self):
        depth = 2000
        parts = [b"Subject: deep\r\nMIME-Version: 1.0\r\n"]
        for i in range(depth):
            parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
        parts.append(b"Content-Type: text/plain\r\n\r\nbottom\r\n")
        for i in reversed(range(depth)):
            parts.append(b"--b%d--\r\n" % i)
        self.mime_case("MIME bomb: %d levels of nesting -> 552" % depth, b"".join(parts), 552)

    def many_parts(self):
        n = 100000
        msg = (b'Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="q"\r\n\r\n'
               + b"--q\r\n\r\nx\r\n" * n + b"--q--\r\n")
        self.mime_case("MIME bomb: %d parts (%d octets) -> 552" % (n, len(msg)), msg, 552)

    def no_end(self):
        """A multipart whose close delimiter never comes: the frame part
        before the end of the mail still counts (MIME_DEF_NO_END)."""
        n, f = self.frame()
        frm = "noend-%d@handset.example" % n
        m = mail_with_frame(f, frm, RCPT, "no end")
        cut = m.rfind(b"\r\n--")           # drop the close delimiter
        self.mime_case("a boundary that never ends: frame still taken", m[:cut] + b"\r\n",
                       250, n, frm)

    def base64_garbage(self):
        msg = (b'Subject: garbage\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="g"\r\n\r\n'
               b'--g\r\nContent-Type: application/vnd.txlog\r\nContent-Transfer-Encoding: base64\r\n\r\n'
               + b"!!**%%$$ not base64 at all ~~~ \x01\x02\x7f==\r\n" * 20 + b"--g--\r\n")
        self.mime_case("base64 garbage in a frame part: 250, a reject on the bus", msg, 250)

    def nul_header(self):
        n, f = self.frame()
        frm = "nul-%d@handset.example" % n
        m = mail_with_frame(f, frm, RCPT, "nul")
        m = m.replace(b"Subject: nul", b"Subject: n\x00ul\r\nX-Nul: a\x00b", 1)
        self.mime_case("a NUL in a header: frame still taken", m, 250, n, frm)

    # ---- hostile transport ----

    def tls_hello_plain(self):
        """A client speaking TLS at once: its hello has no line end, so the
        service waits silently for one; once lines end, each gets a 500 and
        the session goes on."""
        c = RawSMTP(self.a.port)
        c.reply()
        c.send(CLIENT_HELLO)
        c.sock.settimeout(1)
        try:
            early = c.sock.recv(100)
        except (TimeoutError, OSError):
            early = None
        c.sock.settimeout(10)
        c.send(b"\r\n" + CLIENT_HELLO + b"\r\n")
        codes = [c.reply()[0] for _ in range(2)] + [c.cmd("NOOP"), c.cmd("QUIT")]
        c.close()
        self.check("TLS ClientHello in plain text: silence until a line end, then 500s",
                   early is None and codes == [500, 500, 250, 221], "early %r, %s" % (early, codes))

    def vanish_in_data(self):
        # a counter of its own: no gap in the others, and its record, were
        # it published, would show on the bus as one not accepted
        n = 999999
        f = self.signer.frame(n, [record(n)])
        frm = "vanish-%d@handset.example" % n
        c = self.session()
        codes = self.envelope(c, frm)
        m = mail_with_frame(f, frm, RCPT, "vanish")
        c.send(m[:len(m) // 2])
        c.close()
        self.check("client sends DATA and vanishes", codes == [250, 250, 354])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--max-size", type=int, required=True)
    p.add_argument("--max-sessions", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    h = Hostile(a)
    cases = [lambda: h.good_mail("good mail first"), h.out_of_order, h.long_line, h.too_big,
             h.too_many_sessions, h.bad_commands, h.deep_nesting, h.many_parts, h.no_end,
             h.base64_garbage, h.nul_header, h.tls_hello_plain, h.vanish_in_data,
             lambda: h.good_mail("good mail after all of them")]
    for case in cases:
        try:
            case()
        except (OSError, ValueError, Closed) as e:
            h.check("exception", False, repr(e))
    json.dump(h.accepted, open(a.out, "w"))
    print("mail_hostile: %d cases, %d failures, %d mails with frames accepted"
          % (len(cases), h.fails, len(h.accepted)))
    return 1 if h.fails else 0


if __name__ == "__main__":
    sys.exit(main())
