#!/usr/bin/python3
"""mail_clients.py -- mails with frames sent to txgw by Python clients:
smtplib plain and with STARTTLS (certificate checked against the test CA),
two mails pipelined in one write each (RFC 2920), BDAT in two chunks
(RFC 3030) plain and after STARTTLS.

    mail_clients.py --port P --ca CA.pem --key KEY --first N

Mail i (from 0) carries one frame with upload_seq = counter = N + i, from
the envelope sender "<client>-<N+i>@handset.example".  Prints one line per
mail; exit 0 when every mail got its 250.
"""
import argparse
import smtplib
import ssl
import sys

from mail_frames import Signer, mail_with_frame, record
from mail_raw import RawSMTP, dotstuff

RCPT = "upload@txlog.example"


class Run:
    def __init__(self, a):
        self.a = a
        self.signer = Signer(a.key)
        self.n = a.first
        self.fails = 0

    def next_mail(self, client):
        """(envelope sender, message bytes) for the next mail."""
        n = self.n
        self.n += 1
        frm = "%s-%d@handset.example" % (client, n)
        f = self.signer.frame(n, [record(n)])
        return frm, mail_with_frame(f, frm, RCPT, "%s %d" % (client, n))

    def check(self, what, ok, detail=""):
        print("%s  %s %s" % ("ok  " if ok else "FAIL", what, detail))
        if not ok:
            self.fails += 1

    def smtplib_plain(self):
        frm, msg = self.next_mail("smtplib")
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=10) as s:
            s.ehlo("handset.example")
            r = s.sendmail(frm, [RCPT], msg)
        self.check("smtplib plain", r == {}, frm)

    def smtplib_tls(self):
        frm, msg = self.next_mail("smtplib-tls")
        ctx = ssl.create_default_context(cafile=self.a.ca)
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=10) as s:
            s.ehlo("handset.example")
            if not s.has_extn("starttls"):
                self.check("smtplib STARTTLS offered", False)
                return
            s.starttls(context=ctx)
            s.ehlo("handset.example")
            tls = s.sock.version()
            r = s.sendmail(frm, [RCPT], msg)
        self.check("smtplib STARTTLS", r == {} and tls in ("TLSv1.2", "TLSv1.3"), "%s %s" % (frm, tls))

    def pipelined(self):
        """Two mails, each envelope and DATA in one write, the second group
        written right after the first mail's data (RFC 2920 §3.1)."""
        (f1, m1), (f2, m2) = self.next_mail("pipe"), self.next_mail("pipe")
        c = RawSMTP(self.a.port)
        _, ext = c.greet()
        self.check("PIPELINING offered", "PIPELINING" in ext)
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (f1, RCPT))
        r1 = c.replies(3)
        c.send(dotstuff(m1) + ("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (f2, RCPT)).encode())
        r2 = c.replies(4)
        c.send(dotstuff(m2) + b"QUIT\r\n")
        r3 = c.replies(2)
        c.close()
        self.check("pipelined 2 mails", r1 == [250, 250, 354] and r2 == [250, 250, 250, 354]
                   and r3 == [250, 221], "%s %s %s" % (r1, r2, r3))

    def bdat(self, tls):
        """BDAT in two chunks, the last one with LAST (RFC 3030 §2)."""
        frm, msg = self.next_mail("bdat-tls" if tls else "bdat")
        c = RawSMTP(self.a.port)
        _, ext = c.greet()
        if tls:
            ext = c.starttls(self.a.ca)
        self.check("CHUNKING offered%s" % (" after STARTTLS" if tls else ""), "CHUNKING" in ext)
        cut = len(msg) // 3
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n" % (frm, RCPT))
        c.send(b"BDAT %d\r\n" % cut + msg[:cut])
        c.send(b"BDAT %d LAST\r\n" % (len(msg) - cut) + msg[cut:])
        codes = c.replies(4)
        c.cmd("QUIT")
        c.close()
        self.check("BDAT%s" % (" after STARTTLS" if tls else ""), codes == [250] * 4,
                   "%s %s" % (frm, codes))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--first", type=int, default=1)
    a = p.parse_args()
    r = Run(a)
    for step in (r.smtplib_plain, r.smtplib_tls, r.pipelined, lambda: r.bdat(False),
                 lambda: r.bdat(True)):
        try:
            step()
        except Exception as e:     # report and go on with the next client
            r.check("exception", False, repr(e))
    print("mail_clients: %d mails sent, %d failures" % (r.n - a.first, r.fails))
    return 1 if r.fails else 0


if __name__ == "__main__":
    sys.exit(main())
