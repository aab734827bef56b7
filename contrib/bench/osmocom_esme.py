#!/usr/bin/python3
"""osmocom_esme.py IP PORT PASSWORD -- the least an ESME can do, for
contrib/bench/osmocom.sh: bind_transceiver as "txgw", answer every
deliver_sm with ESME_ROK at once, answer enquire_link, ignore the rest
(alert_notification).  Its rate is osmo-msc's own ceiling, the reference
txgw's rate is held to.  Runs until the SMSC closes or SIGTERM."""
import signal
import socket
import struct
import sys

BIND_TRX, ENQUIRE, DELIVER_SM = 0x00000009, 0x00000015, 0x00000005


def main():
    ip, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    s = socket.create_connection((ip, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = b"txgw\0" + pw.encode() + b"\0\0" + bytes([0x34, 0, 0]) + b"\0"
    s.sendall(struct.pack(">IIII", 16 + len(body), BIND_TRX, 0, 1) + body)
    buf = b""
    while True:
        d = s.recv(1 << 16)
        if not d:
            return 0
        buf += d
        out = []
        while len(buf) >= 16:
            n, cid, _, seq = struct.unpack(">IIII", buf[:16])
            if n < 16 or n > 1 << 16:
                return 1
            if len(buf) < n:
                break
            if cid == DELIVER_SM:
                out.append(struct.pack(">IIII", 17, 0x80000000 | cid, 0, seq) + b"\0")
            elif cid == ENQUIRE:
                out.append(struct.pack(">IIII", 16, 0x80000000 | cid, 0, seq))
            buf = buf[n:]
        if out:
            s.sendall(b"".join(out))


if __name__ == "__main__":
    sys.exit(main())
