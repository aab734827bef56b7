#!/usr/bin/python3
"""vty_client.py [--host A] [--password PW] [--enable-password PW] PORT CMD...
-- a telnet client of txgw's VTY on 127.0.0.1 (or of any libosmovty VTY on
A: the Osmocom daemons of tests/osmocom/core.sh).

Reads the banner up to the first prompt, logs in with PW when the VTY asks
for a password ("Password: ", libosmovty's login), then sends each CMD and
reads its output up to the next prompt ("NAME> " or "NAME# ", any node); a
"Password: " after a CMD ("enable" with an enable password) gets the enable
password.  The telnet negotiation (IAC sequences, RFC 854) is dropped, line
ends become "\\n".  Prints one JSON object: {"banner": ..., "out": [output of
each CMD]}, the echoed command line and the prompt taken off.  Exit 1 when a
prompt does not come within 5 seconds, 3 when a password is asked for and
none was given, or the one given is refused.
"""
import argparse
import json
import re
import socket
import sys
import time

IAC = 255
PROMPT = re.compile(rb"\n?[\w.-]+(\([\w-]+\))?[>#] $")
PASSWORD = re.compile(rb"\n?Password: $")


class LoginRefused(Exception):
    pass


def strip_telnet(buf):
    """Drop IAC commands: IAC IAC is a 255 byte; SB ... IAC SE is skipped."""
    out, i = bytearray(), 0
    while i < len(buf):
        b = buf[i]
        if b != IAC:
            out.append(b); i += 1
        elif i + 1 < len(buf) and buf[i + 1] == IAC:
            out.append(IAC); i += 2
        elif i + 1 < len(buf) and buf[i + 1] == 250:     # SB ... IAC SE
            end = buf.find(bytes([IAC, 240]), i + 2)
            i = len(buf) if end < 0 else end + 2
        elif i + 1 < len(buf) and 251 <= buf[i + 1] <= 254:
            i += 3                                       # WILL/WONT/DO/DONT opt
        else:
            i += 2
    return bytes(out)


def until_prompt(s, deadline, password=None):
    """The output up to the next prompt.  At a password prompt, password is
    sent (once: a second prompt means it was refused)."""
    raw, before, sent = b"", b"", False
    while True:
        text = strip_telnet(raw).replace(b"\r", b"")
        if PROMPT.search(text):
            return (before + PROMPT.sub(b"", text)).decode("utf-8", "replace")
        if PASSWORD.search(text):
            if password is None or sent:
                raise LoginRefused("password %s; got %r" % (
                    "refused" if sent else "asked for, none given", text[-200:]))
            s.sendall(password.encode() + b"\n")
            before, raw, sent = before + PASSWORD.sub(b"", text), b"", True
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no prompt; got %r" % text[-200:])
        s.settimeout(left)
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed; got %r" % text[-200:])
        raw += b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--password")
    ap.add_argument("--enable-password")
    ap.add_argument("port", type=int)
    ap.add_argument("cmds", nargs="*")
    a = ap.parse_args()
    s = socket.create_connection((a.host, a.port), timeout=5)
    try:
        banner = until_prompt(s, time.monotonic() + 5, a.password)
        outs = []
        for c in a.cmds:
            s.sendall(c.encode() + b"\n")
            text = until_prompt(s, time.monotonic() + 5, a.enable_password)
            first, _, rest = text.partition("\n")
            outs.append(rest if first.strip().endswith(c) else text)
    except LoginRefused as e:
        print("vty_client: %s" % e, file=sys.stderr)
        return 3
    except (TimeoutError, ConnectionError, OSError) as e:
        print("vty_client: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps({"banner": banner, "out": outs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
