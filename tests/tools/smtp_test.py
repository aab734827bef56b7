#!/usr/bin/python3
"""tests/tools/smtp_test.py — the SMTP service end to end, against
tests/tools/smtp_srv (the service with a fake gateway that writes every mail
it is handed to --out DIR as NNNN.eml + NNNN.env and answers 250, or 451 /
554 / nothing when the Subject holds [451] / [554] / [hang]).

Python smtplib where it can (plain, STARTTLS, SMTPUTF8, size limit), raw
sockets where it cannot (BDAT, pipelining, hostile input).  Every mail the
server took is compared byte for byte with what was sent.

Run by tests/tools/smtp.sh, which starts the server with --max-size
100000 --max-sessions 5 and short timeouts, and makes the test CA.
"""
import argparse
import glob
import os
import smtplib
import socket
import ssl
import sys
import time
import uuid
import warnings

DOMAIN = "txlog.example"
A = None  # the parsed arguments


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- the server's side: the mails it wrote ------------------------------

def mails():
    return sorted(glob.glob(os.path.join(A.out, "*.eml")))


def find_mail(tag, timeout=5.0):
    """The (eml bytes, env text) of the mail holding tag; waits a little."""
    end = time.time() + timeout
    while time.time() < end:
        for p in mails():
            data = open(p, "rb").read()
            if tag.encode() in data:
                return data, open(p[:-4] + ".env", encoding="utf-8").read()
        time.sleep(0.02)
    fail("no mail with %s in %s" % (tag, A.out))


def message(tag, subject="test", body=b"", extra=b""):
    """A message with CRLF lines only (so smtplib sends it unchanged)."""
    return (b"From: a@b.example\r\nTo: dev1@" + DOMAIN.encode() + b"\r\n"
            b"Subject: " + subject.encode() + b"\r\nMessage-ID: <" + tag.encode() +
            b"@test>\r\n" + extra + b"\r\n" + body)


def same_mail(tag, sent, mail_from="a@b.example", rcpts=("dev1@" + DOMAIN,), answer=250):
    got, env = find_mail(tag)
    check(got == sent, "mail %s differs: sent %d octets, got %d\n%r\n%r"
          % (tag, len(sent), len(got), sent[:200], got[:200]))
    want = "from <%s>\n" % mail_from + "".join("rcpt <%s>\n" % r for r in rcpts) + \
        "answer %d\n" % answer
    check(env == want, "envelope of %s: %r, want %r" % (tag, env, want))


# ---- a raw client --------------------------------------------------------

class Raw:
    def __init__(self, greet=220):
        self.s = socket.create_connection(("127.0.0.1", A.port), timeout=10)
        self.buf = b""
        if greet:
            self.expect(greet)

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed with %r left" % self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l

    def reply(self):
        """(code, [lines]) of one reply, multi-line or not."""
        lines = []
        while True:
            l = self.line()
            check(l.endswith(b"\r"), "reply line without CRLF: %r" % l)
            lines.append(l[:-1].decode())
            if len(l) < 4 or l[3:4] == b" ":
                return int(l[:3]), lines

    def expect(self, code, text=None):
        c, lines = self.reply()
        check(c == code, "got %d %s, want %d" % (c, lines, code))
        if text:
            check(text in lines[-1], "reply %r lacks %r" % (lines, text))
        return lines

    def cmd(self, line, code, text=None):
        self.send(line.encode() + b"\r\n")
        return self.expect(code, text)

    def closed(self, timeout=5):
        """True when the server has closed the connection."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.s.close()

    def txn(self, mail_from="a@b.example", params=""):
        """EHLO, MAIL and one RCPT, each answered 250."""
        self.cmd("EHLO c", 250)
        self.cmd("MAIL FROM:<%s>%s" % (mail_from, params), 250)
        self.cmd("RCPT TO:<dev1@%s>" % DOMAIN, 250)


def tls_client_ctx():
    ctx = ssl.create_default_context(cafile=A.ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


# ---- the tests -------------------------------------------------------------

def t_plain():
    """smtplib, plain: dot-stuffed lines, 8-bit octets, an empty line at the end."""
    tag = uuid.uuid4().hex
    body = (b"line one\r\n.starts with a dot\r\n..two dots\r\n.\r\n \r\n"
            b"caf\xc3\xa9 \xff\xfe 8-bit\r\n\r\n")
    msg = message(tag, body=body)
    with smtplib.SMTP("127.0.0.1", A.port, timeout=10) as s:
        code, text = s.ehlo("client.example")
        check(code == 250, "EHLO %d" % code)
        for ext in ("size", "pipelining", "8bitmime", "enhancedstatuscodes", "smtputf8",
                    "chunking", "starttls"):
            check(s.has_extn(ext), "EHLO lacks %s: %r" % (ext, text))
        check(s.esmtp_features["size"] == str(A.max_size), "SIZE %r" % s.esmtp_features["size"])
        check(s.sendmail("a@b.example", ["dev1@" + DOMAIN], msg, mail_options=["BODY=8BITMIME"]) == {},
              "refused")
    same_mail(tag, msg)


def t_commands():
    """HELP 214, VRFY 252, NOOP / RSET 250, QUIT 221, HELO without extensions."""
    r = Raw()
    r.cmd("HELO client.example", 250)
    r.cmd("HELP", 214)
    r.cmd("VRFY dev1", 252)
    r.cmd("NOOP", 250, "2.0.0")
    r.cmd("MAIL FROM:<a@b.example> SIZE=10", 555)  # parameters need EHLO
    r.cmd("RSET", 250)
    r.cmd("QUIT", 221)
    check(r.closed(), "not closed after QUIT")


def t_starttls():
    """STARTTLS with the test CA: TLS 1.2+, EHLO state reset, mail intact."""
    tag = uuid.uuid4().hex
    # large enough for many TLS records in one read
    msg = message(tag, body=b"over TLS\r\n" + (b"t" * 98 + b"\r\n") * 600)
    with smtplib.SMTP("127.0.0.1", A.port, timeout=10) as s:
        s.ehlo("client.example")
        code, _ = s.starttls(context=tls_client_ctx())
        check(code == 220, "STARTTLS %d" % code)
        check(s.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS %s" % s.sock.version())
        code, _ = s.mail("a@b.example")  # RFC 3207 §4.2: EHLO again first
        check(code == 503, "MAIL right after the handshake: %d" % code)
        s.ehlo("client.example")
        check(not s.has_extn("starttls"), "STARTTLS offered twice")
        check(s.docmd("STARTTLS")[0] == 503, "second STARTTLS accepted")
        check(s.sendmail("a@b.example", ["dev1@" + DOMAIN], msg) == {}, "refused")
    same_mail(tag, msg)


def t_starttls_refused():
    """STARTTLS inside a transaction: 503."""
    r = Raw()
    r.cmd("EHLO c", 250)
    r.cmd("MAIL FROM:<a@b.example>", 250)
    r.cmd("STARTTLS", 503)
    r.cmd("QUIT", 221)


def t_starttls_injection():
    """CVE-2011-0411: a command pipelined after STARTTLS is not run in TLS."""
    r = Raw()
    r.cmd("EHLO c", 250)
    r.send(b"STARTTLS\r\nHELP\r\n")
    r.expect(220)
    check(r.buf == b"", "more after 220: %r" % r.buf)
    t = tls_client_ctx().wrap_socket(r.s, server_hostname="localhost")
    r.s, r.buf = t, b""
    r.cmd("NOOP", 250)  # a 214 here would be the injected HELP
    r.cmd("QUIT", 221)


def t_tls_version():
    """TLS below 1.2 is refused (if this client can still offer it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        print("    (this client cannot offer TLS 1.1: skipped)")
        return
    r = Raw()
    r.cmd("EHLO c", 250)
    r.cmd("STARTTLS", 220)
    try:
        ctx.wrap_socket(r.s)
        fail("TLS 1.1 handshake succeeded")
    except (ssl.SSLError, OSError):
        pass


def t_pipelining():
    """RFC 2920: a whole transaction in one write, and a second after the dot."""
    tag1, tag2 = uuid.uuid4().hex, uuid.uuid4().hex
    m1, m2 = message(tag1, body=b"one\r\n"), message(tag2, body=b"two\r\n")
    r = Raw()
    r.send(b"EHLO c\r\nMAIL FROM:<p@b.example>\r\nRCPT TO:<dev1@" + DOMAIN.encode() +
           b">\r\nRCPT TO:<x@relay.example>\r\nRCPT TO:<dev2@" + DOMAIN.encode() +
           b">\r\nDATA\r\n")
    r.expect(250)
    r.expect(250)
    r.expect(250)
    r.expect(550, "5.7.1")
    r.expect(250)
    r.expect(354)
    r.send(m1 + b".\r\nMAIL FROM:<q@b.example>\r\nRCPT TO:<dev1@" + DOMAIN.encode() +
           b">\r\nDATA\r\n" + m2 + b".\r\nQUIT\r\n")
    r.expect(250, "2.0.0")
    r.expect(250)
    r.expect(250)
    r.expect(354)
    r.expect(250)
    r.expect(221)
    check(r.closed(), "not closed after QUIT")
    same_mail(tag1, m1, "p@b.example", ("dev1@" + DOMAIN, "dev2@" + DOMAIN))
    same_mail(tag2, m2, "q@b.example")


def t_bdat():
    """RFC 3030: chunks read exactly, binary, nothing un-stuffed; pipelined."""
    tag = uuid.uuid4().hex
    msg = message(tag, body=b"a\r\n.\r\nnot the end\r\n..\r\n\x00\x01\xff\r\n" + bytes(range(256)))
    parts = [msg[:10], msg[10:11], msg[11:200], msg[200:]]
    r = Raw()
    r.txn(params=" BODY=8BITMIME")
    for p in parts[:2]:
        r.send(b"BDAT %d\r\n" % len(p) + p)
        r.expect(250, "%d octets" % len(p))
    # the rest pipelined in one write, the last chunk empty with LAST
    r.send(b"".join(b"BDAT %d\r\n" % len(p) + p for p in parts[2:]) + b"BDAT 0 LAST\r\nQUIT\r\n")
    r.expect(250)
    r.expect(250)
    r.expect(250, "2.0.0")
    r.expect(221)
    same_mail(tag, msg)
    # out of sequence: the chunk is still read (and dropped), then 503
    r = Raw()
    r.cmd("EHLO c", 250)
    r.send(b"BDAT 6\r\nQUIT\r\n")
    r.expect(503)
    r.cmd("DATA", 503)
    r.cmd("QUIT", 221)


def t_size_limit():
    """SIZE= over the limit 552; a mail over it 552 with the rest read and
    dropped; the session goes on."""
    big = message(uuid.uuid4().hex, body=(b"y" * 78 + b"\r\n") * (A.max_size // 80 + 10))
    n = len(mails())
    with smtplib.SMTP("127.0.0.1", A.port, timeout=10) as s:
        s.ehlo("c")
        code, text = s.mail("a@b.example", ["SIZE=%d" % (A.max_size + 1)])
        check(code == 552 and b"5.3.4" in text, "MAIL SIZE: %d %r" % (code, text))
        s.rset()
        del s.esmtp_features["size"]  # so that smtplib does not send SIZE=
        try:
            s.sendmail("a@b.example", ["dev1@" + DOMAIN], big)
            fail("over-size mail accepted")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 552, "got %d" % e.smtp_code)
        tag = uuid.uuid4().hex
        small = message(tag, body=b"small\r\n")
        check(s.sendmail("a@b.example", ["dev1@" + DOMAIN], small) == {}, "refused after 552")
    same_mail(tag, small)
    check(len(mails()) == n + 1, "the over-size mail was handed over")
    # BDAT over the limit: 552 on that chunk
    r = Raw()
    r.txn()
    chunk = b"z" * (A.max_size + 1)
    r.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
    r.expect(552)
    r.cmd("NOOP", 250)
    r.cmd("QUIT", 221)


def t_relay_and_order():
    """No relaying (550 5.7.1); commands out of order 503."""
    r = Raw()
    r.cmd("MAIL FROM:<a@b.example>", 503)  # before EHLO
    r.cmd("EHLO c", 250)
    r.cmd("RCPT TO:<dev1@%s>" % DOMAIN, 503)  # before MAIL
    r.cmd("DATA", 503)
    r.cmd("MAIL FROM:<a@b.example>", 250)
    r.cmd("MAIL FROM:<a@b.example>", 503)  # nested
    r.cmd("DATA", 503)  # no recipient
    r.cmd("RCPT TO:<dev1@elsewhere.example>", 550, "5.7.1 Relaying denied")
    r.cmd("RCPT TO:<dev1@%s.elsewhere.example>" % DOMAIN, 550)
    r.cmd("RCPT TO:<Postmaster>", 250)
    r.cmd("QUIT", 221)


def t_long_line():
    """Over 1000 octets: 500 5.5.6, then the session goes on."""
    r = Raw()
    r.cmd("NOOP " + "x" * 1200, 500, "5.5.6")
    r.cmd("NOOP " + "x" * 993, 250)  # 998 + CRLF: the most
    r.cmd("NOOP " + "x" * 994, 500, "5.5.6")
    r.cmd("NOOP", 250)
    r.cmd("QUIT", 221)


def t_bad_commands():
    """Ten bad commands: the tenth is answered, then 421 and close."""
    r = Raw()
    for i in range(9):
        r.cmd("XYZZY %d" % i, 500, "5.5.2")
    r.send(b"EHLO\r\n")
    r.expect(501)
    r.expect(421, "4.7.0")
    check(r.closed(), "not closed after 421")


def t_nul_and_garbage():
    """NUL octets and pipelined garbage are answered; NUL in DATA is kept."""
    r = Raw()
    r.send(b"NO\x00OP\r\nEHLO c\r\nMAIL FROM:<a\x00b@b.example>\r\n\xff\xfe\r\n\r\n")
    r.expect(500)
    r.expect(250)
    r.expect(501)
    r.expect(500)
    r.expect(500)
    tag = uuid.uuid4().hex
    msg = message(tag, body=b"nul \x00 here\r\n")
    r.cmd("MAIL FROM:<a@b.example>", 250)
    r.cmd("RCPT TO:<dev1@%s>" % DOMAIN, 250)
    r.cmd("DATA", 354)
    r.send(msg + b".\r\n")
    r.expect(250)
    r.cmd("QUIT", 221)
    same_mail(tag, msg)


def t_bare_lf():
    """Bare LF lines and LF.LF end the data; the octets are kept as sent."""
    tag = uuid.uuid4().hex
    msg = b"Subject: lf\nMessage-ID: <" + tag.encode() + b"@t>\n\nbody\n..dot\n"
    r = Raw()
    r.txn()
    r.cmd("DATA", 354)
    r.send(msg + b".\n")
    r.expect(250)
    r.cmd("QUIT", 221)
    same_mail(tag, msg.replace(b"\n..dot", b"\n.dot"))


def t_tls_hello_plaintext():
    """A TLS ClientHello sent as if STARTTLS had been done: answered, and
    the service stays up."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    check(len(hello) > 100, "no ClientHello made")
    r = Raw()
    r.send(hello)
    code, _ = r.reply()
    check(code in (500, 501, 421), "ClientHello answered %d" % code)
    r.close()
    t_commands()


def t_vanishing_client():
    """DATA, half a body, then gone: nothing is handed over, the service goes on."""
    n = len(mails())
    r = Raw()
    r.txn()
    r.cmd("DATA", 354)
    r.send(message(uuid.uuid4().hex, body=b"half a mail\r\n"))
    r.s.shutdown(socket.SHUT_RDWR)
    r.close()
    time.sleep(0.2)
    t_commands()
    check(len(mails()) == n, "a vanished client's mail was handed over")


def t_gateway_refuses():
    """451 from the gateway (journal unavailable) reaches the client as is."""
    tag = uuid.uuid4().hex
    msg = message(tag, subject="[451] please retry")
    with smtplib.SMTP("127.0.0.1", A.port, timeout=10) as s:
        try:
            s.sendmail("a@b.example", ["dev1@" + DOMAIN], msg)
            fail("accepted a mail the gateway refused")
        except smtplib.SMTPDataError as e:
            check(e.smtp_code == 451 and b"4.3.0" in e.smtp_error, "got %d" % e.smtp_code)
    same_mail(tag, msg, answer=451)


def t_smtputf8():
    """RFC 6531: UTF-8 addresses with SMTPUTF8, refused without."""
    tag = uuid.uuid4().hex
    msg = message(tag, body="J\u00f6rg's mail\r\n".encode())
    r = Raw()
    r.cmd("EHLO c", 250)
    r.send("MAIL FROM:<j\u00f6rg@b.example>\r\n".encode())
    r.expect(553, "5.6.7")
    r.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<d\u00fcv@txlog.example>\r\n".encode())
    r.expect(250)
    r.expect(553, "5.6.7")
    r.cmd("QUIT", 221)
    with smtplib.SMTP("127.0.0.1", A.port, timeout=10) as s:
        s.ehlo("c")
        check(s.has_extn("smtputf8"), "no SMTPUTF8")
        check(s.sendmail("j\u00f6rg@b.example", ["d\u00fcv@" + DOMAIN], msg,
                         mail_options=["SMTPUTF8"]) == {}, "refused")
    same_mail(tag, msg, "j\u00f6rg@b.example", ("d\u00fcv@" + DOMAIN,))


def t_timeouts():
    """RFC 5321 §4.5.3.2 (shortened for the test): idle 421 4.4.2 and close."""
    r = Raw()
    t0 = time.time()
    r.expect(421, "4.4.2")
    check(r.closed(), "not closed after the timeout")
    check(time.time() - t0 < A.cmd_timeout / 1000 + 3, "command timeout too late")
    # in the middle of DATA
    r = Raw()
    r.txn()
    r.cmd("DATA", 354)
    r.send(b"Subject: slow\r\n")
    r.expect(421, "4.4.2")
    # the gateway never answers: the final timeout
    r = Raw()
    r.txn()
    r.cmd("DATA", 354)
    r.send(message(uuid.uuid4().hex, subject="[hang]") + b".\r\n")
    r.expect(421, "4.4.2")


def t_session_limit():
    """More than smtp-max-sessions: 421 in place of the greeting."""
    conns = []
    end = time.time() + 5
    while True:  # wait for the sessions of the tests before to be gone
        r = Raw(greet=None)
        code, _ = r.reply()
        r.close()
        if code == 220:
            break
        check(time.time() < end, "sessions of earlier tests still open")
        time.sleep(0.1)
    time.sleep(0.2)
    for i in range(A.max_sessions):
        conns.append(Raw())
    extra = Raw(greet=None)
    extra.expect(421, "4.3.2")
    check(extra.closed(), "the refused connection stays open")
    for c in conns:
        c.cmd("QUIT", 221)
        c.close()


TESTS = [t_plain, t_commands, t_starttls, t_starttls_refused, t_starttls_injection,
         t_tls_version, t_pipelining, t_bdat, t_size_limit, t_relay_and_order, t_long_line,
         t_bad_commands, t_nul_and_garbage, t_bare_lf, t_tls_hello_plaintext,
         t_vanishing_client, t_gateway_refuses, t_smtputf8, t_session_limit, t_timeouts]


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--max-size", type=int, required=True)
    ap.add_argument("--max-sessions", type=int, required=True)
    ap.add_argument("--cmd-timeout", type=int, required=True, help="ms")
    ap.add_argument("--only", help="run the tests whose names hold this")
    A = ap.parse_args()
    failed = 0
    for t in TESTS:
        if A.only and A.only not in t.__name__:
            continue
        try:
            t()
            print("ok    %s" % t.__name__)
        except Exception as e:  # noqa: BLE001 - report and go on
            failed += 1
            print("FAIL  %s: %s: %s" % (t.__name__, type(e).__name__, e))
    print("smtp_test.py: %d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
