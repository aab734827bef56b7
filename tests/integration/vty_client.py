#!/usr/bin/python3
"""vty_client.py PORT CMD... -- a telnet client of txgw's VTY on 127.0.0.1.

Reads the banner up to the first prompt, then sends each CMD and reads its
output up to the next prompt ("NAME> " or "NAME# ", any node).  The telnet
negotiation (IAC sequences, RFC 854) is dropped, line ends become "\\n".
Prints one JSON object: {"banner": ..., "out": [output of each CMD]}, the
echoed command line and the prompt taken off.  Exit 1 when a prompt does not
come within 5 seconds.
"""
import json
import re
import socket
import sys
import time

IAC = 255
PROMPT = re.compile(rb"\n?[\w.-]+(\([\w-]+\))?[>#] $")


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


def until_prompt(s, deadline):
    raw = b""
    while True:
        text = strip_telnet(raw).replace(b"\r", b"")
        if PROMPT.search(text):
            return PROMPT.sub(b"", text).decode("utf-8", "replace")
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no prompt; got %r" % text[-200:])
        s.settimeout(left)
        b = s.recv(65536)
        if not b:
            raise ConnectionError("closed; got %r" % text[-200:])
        raw += b


def main():
    port, cmds = int(sys.argv[1]), sys.argv[2:]
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        banner = until_prompt(s, time.monotonic() + 5)
        outs = []
        for c in cmds:
            s.sendall(c.encode() + b"\n")
            text = until_prompt(s, time.monotonic() + 5)
            first, _, rest = text.partition("\n")
            outs.append(rest if first.strip().endswith(c) else text)
    except (TimeoutError, ConnectionError, OSError) as e:
        print("vty_client: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps({"banner": banner, "out": outs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
