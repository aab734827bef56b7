#!/usr/bin/python3
"""concat_smsc.py -- an SMSC that hands txgw the concatenated and
port-addressed SMS of the reassembly tests (concat_*.sh, sms_ports.sh).

    concat_smsc.py --port PORT --key KEY --vectors VECTORS.json
                   --case NAME[,NAME...] [--flood N] [--results FILE]

Listens on 127.0.0.1:PORT, accepts txgw's bind, sends each case's
deliver_sm (pipelined, at most --window unanswered) and wants ESME_ROK for
every one, then serves the bind until txgw unbinds.  The PDUs are built
from SMPP 3.4 (hostile_smsc.py's codec) and 3GPP TS 23.040 §9.2.3.24 (UDH
IEs), the frames from txlog-v1.md (mail_frames.py), signed with the
vectors' Ed25519 key of device 00112233aabbccdd (MSISDN 886912345678).
Uploads are numbered 1, 2, ... across the cases (upload_seq = counter, one
topup record each, consistent balances), so the ledger raises no alert.

Cases:
  ports    a WAP push (UDH port 2948, data_coding 4); upload 1 single with
           a 16-bit port IE 16354; upload 2 in two parts under an 8-bit
           reference and upload 3 under a 16-bit one, each part with the
           port IE; a two-part WAP push to 2948; a binary SMS with an 8-bit
           port IE (port 5).  The bus must hold, in order: not_txlog,
           record, record, record, not_txlog, not_txlog.
  dupes    an upload in two parts, then both parts again (an SMSC that
           re-delivers): one record; two duplicate parts.
  flood    part 1 of 2 of an upload from 886912345678; then N one-part
           partial messages from 886955500001 (--flood, 10000); then part
           2: the upload's record, and N - 16 incomplete rejects.
  timeout  part 1 of 2 of an upload, never part 2.

Prints "case NAME: N deliver_sm, all ESME_ROK" per case, then
"DONE sent=N ok=N"; the same line goes to --results.  Exit status 0 when
every deliver_sm was answered ESME_ROK and txgw unbound cleanly.
"""
import argparse
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_smsc as hs  # noqa: E402
import mail_frames as mf  # noqa: E402

LEGIT = b"886912345678"
FLOODER = b"886955500001"
TXLOG_PORT = 16354
WAP_PORT = 2948


def ie(iei, data):
    return bytes([iei, len(data)]) + data


def port16(dst, src=0):
    return ie(0x05, struct.pack(">HH", dst, src))


def concat8(ref, total, seq):
    return ie(0x00, bytes([ref, total, seq]))


def concat16(ref, total, seq):
    return ie(0x08, struct.pack(">HBB", ref, total, seq))


def udh(*ies):
    body = b"".join(ies)
    return bytes([len(body)]) + body


def deliver(seq, src, ud, dc=0x04):
    """deliver_sm with the UDH in short_message (esm_class UDHI)."""
    return hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(src=src, esm=0x40, dc=dc, sm=ud))


class Uploads:
    """Signed frames of the vectors' Ed25519 device, numbered in order."""

    def __init__(self, keyfile):
        self.signer = mf.Signer(keyfile)
        self.n = 0
        self.t = int(time.time()) - 60

    def next(self):
        self.n += 1
        rec = mf.record(self.n, time_s=self.t)
        return self.signer.frame(self.n, [rec], created=self.t)


def halves(frame):
    h = len(frame) // 2
    return frame[:h], frame[h:]


# Each case: a list of (src, short_message), in sending order.

def case_ports(up, a):
    wsp = bytes.fromhex("0106040302ae81ea")     # a WSP push PDU's start
    f1, f2, f3 = up.next(), up.next(), up.next()
    p2, p3 = halves(f2), halves(f3)
    w = halves(wsp * 20)
    return [
        (LEGIT, udh(port16(WAP_PORT, 9200)) + wsp),
        (LEGIT, udh(port16(TXLOG_PORT)) + f1),
        (LEGIT, udh(concat8(0x21, 2, 1), port16(TXLOG_PORT)) + p2[0]),
        (LEGIT, udh(concat8(0x21, 2, 2), port16(TXLOG_PORT)) + p2[1]),
        (LEGIT, udh(concat16(0x4321, 2, 1), port16(TXLOG_PORT)) + p3[0]),
        (LEGIT, udh(concat16(0x4321, 2, 2), port16(TXLOG_PORT)) + p3[1]),
        (LEGIT, udh(concat8(0x22, 2, 1), port16(WAP_PORT, 9200)) + w[0]),
        (LEGIT, udh(concat8(0x22, 2, 2), port16(WAP_PORT, 9200)) + w[1]),
        (LEGIT, udh(ie(0x04, bytes([5, 5]))) + wsp),
    ]


def case_dupes(up, a):
    p = halves(up.next())
    parts = [(LEGIT, udh(concat8(0x31, 2, i + 1), port16(TXLOG_PORT)) + p[i]) for i in (0, 1)]
    return parts + parts


def case_flood(up, a):
    p = halves(up.next())
    out = [(LEGIT, udh(concat16(0x4242, 2, 1), port16(TXLOG_PORT)) + p[0])]
    # past 65536 references the totals differ: every one is a new message
    out += [(FLOODER, udh(concat16(i & 0xffff, 2 + (i >> 16), 1)) + b"flood")
            for i in range(a.flood)]
    out.append((LEGIT, udh(concat16(0x4242, 2, 2), port16(TXLOG_PORT)) + p[1]))
    return out


def case_timeout(up, a):
    p = halves(up.next())
    return [(LEGIT, udh(concat16(0x5151, 2, 1), port16(TXLOG_PORT)) + p[0])]


CASES = {"ports": case_ports, "dupes": case_dupes, "flood": case_flood,
         "timeout": case_timeout}


def send_all(m, msgs, window):
    """Pipelined, at most window unanswered; every answer must be ESME_ROK."""
    left, sent, ok = {}, 0, 0
    while sent < len(msgs) or left:
        while sent < len(msgs) and len(left) < window:
            seq = m.next_seq()
            src, sm = msgs[sent]
            m.peer.send(deliver(seq, src, sm))
            left[seq] = sent
            sent += 1
        p = m.peer.read(10)
        if p is None:
            raise hs.Fail("%d deliver_sm unanswered for 10 s" % len(left))
        if p[0] != hs.DELIVER_SM | hs.RESP or p[2] not in left:
            raise hs.Fail("unexpected %s" % hs.show(p))
        i = left.pop(p[2])
        if p[1] != hs.ESME_ROK:
            raise hs.Fail("deliver_sm %d answered 0x%02x" % (i, p[1]))
        ok += 1
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--flood", type=int, default=10000)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--results")
    a = ap.parse_args()
    m = hs.Smsc(a.port, a.vectors, 0)
    up = Uploads(a.key)
    print("listening", flush=True)
    total = good = 0
    try:
        m.bind()
        for name in a.case.split(","):
            msgs = CASES[name](up, a)
            n = send_all(m, msgs, a.window)
            print("case %s: %d deliver_sm, all ESME_ROK" % (name, n), flush=True)
            total += len(msgs)
            good += n
    except (hs.Fail, hs.Closed) as e:
        print("FAIL %s" % e, flush=True)
    hs.write_results(a.results, "DONE sent=%d ok=%d" % (total, good))
    unbound = m.serve_until_unbind(60)
    return 0 if unbound and total == good and total else 1


if __name__ == "__main__":
    sys.exit(main())
