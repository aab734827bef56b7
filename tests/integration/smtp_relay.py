#!/usr/bin/python3
"""smtp_relay.py -- a scripted SMTP relay for the mail downlink's tests
(tests/integration/downlink_mail.sh), written with the standard library
from RFC 5321 alone: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET,
NOOP, QUIT; no STARTTLS (relay-tls none).

  smtp_relay.py --port P --out DIR [--ready FILE] [--quit-silent]

--quit-silent: QUIT is never answered, the connection stays open until the
client closes it (a client must not wait for the 221 with everything else
held up).

The recipient's local part scripts the answer:
  reject...   RCPT  550 5.1.1 <addr>: Recipient address rejected
  busy...     RCPT  451 4.3.0 Try again later, the first time for that
              address; 250 after
  datafail... after the data: 554 5.6.0 Message refused
  slow...     after the data, the first time for that address: no answer
              for 20 s (the mail is kept only if the 250 then goes out)
  anything    250
Each message accepted is written to DIR/N.eml (the data) and DIR/N.json
(the envelope: mail_from, rcpt, the raw MAIL line).  Every command line is
logged on stdout.  Stops on SIGTERM.
"""
import argparse
import json
import os
import signal
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
SEEN_BUSY = set()
COUNT = [0]


class Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        try:
            self.session()
        except OSError:	# the client went, or was silent for 30 s
            pass

    def session(self):
        self.reply("220 relay.test ESMTP smtp_relay.py")
        mail_from, rcpt, mail_line = None, [], ""
        while True:
            raw = self.rfile.readline(1024)
            if not raw:
                return
            line = raw.decode("latin-1").rstrip("\r\n")
            with LOCK:
                sys.stdout.write("C: %s\n" % line)
                sys.stdout.flush()
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250-relay.test")
                self.reply("250-SIZE 10485760")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 relay.test")
            elif verb == "MAIL":
                mail_line = line
                mail_from = line[line.index("<") + 1:line.index(">")]
                rcpt = []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line[line.index("<") + 1:line.index(">")]
                local = addr.split("@")[0]
                if local.startswith("reject"):
                    self.reply("550 5.1.1 <%s>: Recipient address rejected" % addr)
                    continue
                if local.startswith("busy"):
                    with LOCK:
                        first = addr not in SEEN_BUSY
                        SEEN_BUSY.add(addr)
                    if first:
                        self.reply("451 4.3.0 Try again later")
                        continue
                rcpt.append(addr)
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not mail_from or not rcpt:
                    self.reply("503 5.5.1 Error: need MAIL and RCPT")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if data is None:
                    return
                if rcpt[0].split("@")[0].startswith("slow"):
                    with LOCK:
                        first = rcpt[0] not in SEEN_BUSY
                        SEEN_BUSY.add(rcpt[0])
                        if first:
                            sys.stdout.write("holding the data for %s\n" % rcpt[0])
                            sys.stdout.flush()
                    if first:
                        time.sleep(20)
                        self.reply("250 2.0.0 Ok: late")	# raises if the client went
                        self.store(mail_from, rcpt, mail_line, data)
                        mail_from, rcpt = None, []
                        continue
                if rcpt[0].split("@")[0].startswith("datafail"):
                    self.reply("554 5.6.0 Message refused")
                else:
                    self.store(mail_from, rcpt, mail_line, data)
                    self.reply("250 2.0.0 Ok: queued")
                mail_from, rcpt = None, []
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                if self.server.quit_silent:
                    while self.rfile.readline(1024):	# until the client closes
                        pass
                    return
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def read_data(self):
        out = []
        while True:
            raw = self.rfile.readline(2000)
            if not raw:
                return None
            if raw == b".\r\n":
                return b"".join(out)
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw)

    def store(self, mail_from, rcpt, mail_line, data):
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
        base = os.path.join(self.server.out, "%04d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(data)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": mail_from, "rcpt": rcpt, "mail_line": mail_line}, f)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready")
    ap.add_argument("--quit-silent", action="store_true")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Session)
    srv.out = a.out
    srv.quit_silent = a.quit_silent
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("listening\n")
    print("listening on 127.0.0.1:%d" % a.port, flush=True)
    srv.serve_forever()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
