#!/usr/bin/python3
"""mail_raw.py -- a raw SMTP client for the mail tests: it writes exactly the
bytes it is given (pipelined groups, BDAT chunks, hostile input) and reads
replies (RFC 5321 §4.2: "NNN-" continues, "NNN " ends).  Every read has a
timeout, so no test can hang on it.
"""
import socket
import ssl
import time


class Closed(Exception):
    """The server closed the connection before a whole reply came."""


class RawSMTP:
    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.buf:
            b = self.sock.recv(65536)
            if not b:
                raise Closed("connection closed; pending %r" % self.buf[:100])
            self.buf += b
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One whole reply: (code, [text lines])."""
        lines = []
        while True:
            line = self._line()
            if len(line) < 3 or not line[:3].isdigit():
                raise ValueError("not a reply line: %r" % line)
            lines.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), lines

    def replies(self, n):
        return [self.reply()[0] for _ in range(n)]

    def cmd(self, line):
        """Send one command line, return its reply code."""
        self.send(line + "\r\n")
        return self.reply()[0]

    def greet(self, helo="client.example"):
        """Read the greeting, send EHLO: (greeting code, EHLO keywords)."""
        code, _ = self.reply()
        self.send("EHLO %s\r\n" % helo)
        ecode, lines = self.reply()
        if ecode != 250:
            raise ValueError("EHLO answered %d" % ecode)
        return code, {ln.split(" ")[0].upper() for ln in lines[1:]}

    def starttls(self, cafile, helo="client.example"):
        """STARTTLS (RFC 3207), certificate checked against cafile, then EHLO again."""
        if self.cmd("STARTTLS") != 220:
            raise ValueError("STARTTLS refused")
        ctx = ssl.create_default_context(cafile=cafile)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        self.send("EHLO %s\r\n" % helo)
        code, lines = self.reply()
        if code != 250:
            raise ValueError("EHLO after STARTTLS answered %d" % code)
        return {ln.split(" ")[0].upper() for ln in lines[1:]}

    def closed_by_peer(self, wait=5.0):
        """True when the server closes the connection within wait seconds
        (whatever it still sends before is dropped)."""
        end = time.monotonic() + wait
        try:
            while time.monotonic() < end:
                self.sock.settimeout(max(0.05, end - time.monotonic()))
                if not self.sock.recv(65536):
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def dotstuff(msg):
    """RFC 5321 §4.5.2: the message with leading dots doubled and the
    end-of-data line appended; msg has CRLF line ends."""
    if not msg.endswith(b"\r\n"):
        msg += b"\r\n"
    lines = msg.split(b"\r\n")
    return b"\r\n".join(b"." + ln if ln.startswith(b".") else ln for ln in lines) + b".\r\n"
