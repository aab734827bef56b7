#!/usr/bin/python3
"""A hostile SMTP relay for contrib/attack/downlink.sh: txgw's mail bearer
is its client.  One mode for every connection:

  endless    EHLO answered "250-" lines for ever, as fast as txgw reads
  bigline    EHLO answered by one 1 MiB line
  trickle    the 220 greeting a byte a second
  silent     the 220, then nothing (reads and ignores)
  garbage    random bytes from the start
  downgrade  offers STARTTLS, answers it "220", then plain text
  strip      no STARTTLS offered, otherwise an honest relay (250 to all)

Every byte received is appended to LOG (hex-escaped lines), so that the
caller can see whether a MAIL FROM or the data ever came in clear.
Stops on SIGTERM.

    relay_hostile.py --port P --mode M --log FILE
"""
import argparse, os, signal, socket, socketserver, sys, threading, time

A = None
LOCK = threading.Lock()


def note(peer, data):
    with LOCK, open(A.log, "ab") as f:
        f.write(b"%d %s\n" % (peer, repr(data).encode()))


class S(socketserver.BaseRequestHandler):
    def send(self, b):
        self.request.sendall(b)

    def lines(self):
        buf = b""
        while True:
            d = self.request.recv(65536)
            if not d:
                return
            note(self.client_address[1], d)
            buf += d
            while b"\n" in buf:
                l, buf = buf.split(b"\n", 1)
                yield l.rstrip(b"\r")

    def handle(self):
        self.request.settimeout(200)
        try:
            getattr(self, "m_" + A.mode)()
        except OSError:
            pass

    def m_endless(self):
        self.send(b"220 relay ESMTP\r\n")
        for l in self.lines():
            if l.upper().startswith((b"EHLO", b"HELO")):
                chunk = b"250-" + b"X" * 70 + b"\r\n"
                chunk *= 200
                t0 = time.monotonic()
                while time.monotonic() - t0 < 180:
                    self.send(chunk)
                return

    def m_bigline(self):
        self.send(b"220 relay ESMTP\r\n")
        for l in self.lines():
            if l.upper().startswith((b"EHLO", b"HELO")):
                self.send(b"250 " + b"Y" * (1 << 20) + b"\r\n")
            else:
                self.send(b"250 ok\r\n")

    def m_trickle(self):
        for c in b"220 relay ESMTP trickling\r\n" * 10:
            self.send(bytes([c]))
            time.sleep(1)

    def m_silent(self):
        self.send(b"220 relay ESMTP\r\n")
        for _ in self.lines():
            pass

    def m_garbage(self):
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            self.send(os.urandom(4096))
            time.sleep(0.05)

    def m_downgrade(self):
        self.send(b"220 relay ESMTP\r\n")
        for l in self.lines():
            u = l.upper()
            if u.startswith(b"EHLO"):
                self.send(b"250-relay\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
            elif u.startswith(b"STARTTLS"):
                self.send(b"220 2.0.0 go ahead\r\n")
                self.send(b"250 relay ESMTP (not TLS)\r\n")
            elif u.startswith(b"QUIT"):
                self.send(b"221 bye\r\n")
                return
            else:
                self.send(b"250 ok\r\n")

    def m_strip(self):
        self.send(b"220 relay ESMTP\r\n")
        data = False
        for l in self.lines():
            u = l.upper()
            if data:
                if l == b".":
                    data = False
                    self.send(b"250 2.0.0 queued in clear\r\n")
                continue
            if u.startswith(b"EHLO"):
                self.send(b"250-relay\r\n250 8BITMIME\r\n")
            elif u.startswith(b"DATA"):
                data = True
                self.send(b"354 go\r\n")
            elif u.startswith(b"QUIT"):
                self.send(b"221 bye\r\n")
                return
            else:
                self.send(b"250 ok\r\n")


class T(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--log", required=True)
    A = p.parse_args()
    srv = T(("127.0.0.1", A.port), S)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
