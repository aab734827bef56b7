#!/usr/bin/python3
"""log_flood_smsc.py -- an SMSC that floods txgw's ESME with PDUs each of
which makes txgw write a log line, for smpp_log_flood.sh.

    log_flood_smsc.py --port PORT --vectors VECTORS.json --results FILE
                      [--per-kind N] [--segments M]

Listens on 127.0.0.1:PORT, accepts txgw's bind, then sends, kind after
kind, N PDUs (--per-kind, 3000) of each kind below (M, --segments, 1000,
of the last), each batch in one write from a thread while the answers are
read.  More than a second later it sends one more of each kind: those
lines carry the count of the ones held back.  Every answer is checked
(SMPP 3.4 issue 1.2 section numbers):

  not_served   submit_sm, bind_transceiver: SMSC-bound requests (§4.4,
               §4.1.5), generic_nack ESME_RINVCMDID
  bad_pdu      an unknown command_id, a deliver_sm of a header only, an
               alert_notification with an over-long source_addr: the codec
               refuses them (generic_nack or deliver_sm_resp with its status)
  bad_message  deliver_sm with one SAR TLV of three (§5.3.2.22-24):
               deliver_sm_resp ESME_RMISSINGOPTPARAM
  unexpected   enquire_link_resp and submit_sm_resp never asked for, a
               bind_transceiver_resp while bound: no answer
  nack_rx      generic_nack (§4.3) for nothing we sent: no answer
  ignored      alert_notification (§4.12): no answer
  receipt      deliver_sm with esm_class 0x04, a delivery receipt
               (§5.2.12): deliver_sm_resp ESME_ROK
  segment      part 1 of 2 of one message from 886955500002 (TS 23.040
               §9.2.3.24.1), first with some bytes, then M times with
               others: each deliver_sm_resp ESME_ROK, each refused by
               reassembly ("came again with other bytes")
  evicted      M messages of 2 parts opened by 886955500003 with part 1
               (each its own 16-bit reference): ESME_ROK; past the 16 a
               sender may hold open, each evicts the sender's oldest

Writes to --results one JSON object {"sent": {kind: n}, "nacks": generic_nack
received, "error_resps": responses with an error status, "seconds": the
flood's length}, then serves the bind until txgw unbinds.  Exit status 0
when every answer was as expected and txgw unbound cleanly.
"""
import argparse
import json
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_smsc as hs  # noqa: E402

R = hs.RESP
FLOODER = b"886955500002"
OPENER = b"886955500003"
FIRST = b"\x05\x00\x03\x77\x02\x01" + b"first copy"   # UDH: concat 8-bit ref 0x77, 1 of 2


def k_not_served(m, seq, i):
    if i % 2:
        body = hs.cstr("x") + hs.cstr("y") + hs.cstr("") + bytes([0x34, 0, 0]) + hs.cstr("")
        return hs.pdu(hs.BIND_TRANSCEIVER, seq, body), (hs.GENERIC_NACK, hs.ESME_RINVCMDID)
    body = hs.sm_body(sm=b"hi", dc=1, esm=0)
    return hs.pdu(hs.SUBMIT_SM, seq, body), (hs.GENERIC_NACK, hs.ESME_RINVCMDID)


def k_bad_pdu(m, seq, i):
    if i % 3 == 0:
        return hs.pdu(0x00000099, seq, b"junk"), (hs.GENERIC_NACK, hs.ESME_RINVCMDID)
    if i % 3 == 1:
        return hs.pdu(hs.DELIVER_SM, seq), (hs.DELIVER_SM | R, hs.ESME_RINVCMDLEN)
    body = bytes([1, 1]) + hs.cstr("1" * 80) + bytes([1, 1]) + hs.cstr(hs.DST)
    return hs.pdu(hs.ALERT_NOTIFICATION, seq, body), (hs.GENERIC_NACK, hs.ESME_RINVSRCADR)


def k_bad_message(m, seq, i):
    body = hs.sm_body(sm=m.ud, tlvs=hs.tlv(hs.TLV_SAR_MSG_REF_NUM, b"\0\7"))
    return hs.pdu(hs.DELIVER_SM, seq, body), (hs.DELIVER_SM | R, hs.ESME_RMISSINGOPTPARAM)


def k_unexpected(m, seq, i):
    if i % 3 == 0:
        return hs.pdu(hs.ENQUIRE_LINK | R, seq), None
    if i % 3 == 1:
        return hs.pdu(hs.SUBMIT_SM | R, seq, hs.cstr("msg-%d" % i)), None
    return hs.pdu(hs.BIND_TRANSCEIVER | R, seq, hs.cstr("again")), None


def k_nack_rx(m, seq, i):
    return hs.pdu(hs.GENERIC_NACK, seq, status=hs.ESME_RINVCMDID), None


def k_ignored(m, seq, i):
    body = bytes([1, 1]) + hs.cstr(hs.GOOD_SRC) + bytes([1, 1]) + hs.cstr(hs.DST)
    return hs.pdu(hs.ALERT_NOTIFICATION, seq, body), None


def k_receipt(m, seq, i):
    text = b"id:%04d sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 " \
           b"stat:DELIVRD err:000 text:hello" % (i % 10000)
    return (hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(esm=0x04, dc=1, sm=text)),
            (hs.DELIVER_SM | R, hs.ESME_ROK))


def k_segment(m, seq, i):
    sm = FIRST[:6] + b"other copy %d" % i
    return (hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(src=FLOODER, esm=0x40, dc=4, sm=sm)),
            (hs.DELIVER_SM | R, hs.ESME_ROK))


def k_evicted(m, seq, i):
    sm = b"\x06\x08\x04" + struct.pack(">H", i) + b"\x02\x01" + b"open %d" % i
    return (hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(src=OPENER, esm=0x40, dc=4, sm=sm)),
            (hs.DELIVER_SM | R, hs.ESME_ROK))


KINDS = [("not_served", k_not_served), ("bad_pdu", k_bad_pdu), ("bad_message", k_bad_message),
         ("unexpected", k_unexpected), ("nack_rx", k_nack_rx), ("ignored", k_ignored),
         ("receipt", k_receipt), ("segment", k_segment), ("evicted", k_evicted)]


class Flood:
    def __init__(self, m):
        self.m = m
        self.sent = {k: 0 for k, _ in KINDS}
        self.nacks = 0
        self.error_resps = 0

    def batch(self, kind, fn, n):
        """n PDUs of a kind in one write (from a thread, so that neither
        side blocks), every answer checked, then an enquire_link round trip:
        nothing else came back."""
        m, want, data = self.m, {}, []
        for i in range(n):
            seq = m.next_seq()
            d, w = fn(m, seq, i)
            data.append(d)
            if w:
                want[seq] = w
        err = []

        def writer():
            try:
                m.peer.s.sendall(b"".join(data))
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=writer)
        t.start()
        try:
            while want:
                p = m.peer.read()
                if p is None:
                    raise hs.Fail("%s: %d answers missing" % (kind, len(want)))
                if want.pop(p[2], None) != (p[0], p[1]):
                    raise hs.Fail("%s: unexpected %s" % (kind, hs.show(p)))
                self.count(p)
        finally:
            t.join(hs.STEP_S)
        if err:
            raise hs.Fail("%s: write: %s" % (kind, err[0]))
        for p in m.peer.sync():
            raise hs.Fail("%s: unexpected %s" % (kind, hs.show(p)))
        self.sent[kind] += n

    def count(self, p):
        self.nacks += p[0] == hs.GENERIC_NACK
        self.error_resps += p[0] != hs.GENERIC_NACK and p[1] != hs.ESME_ROK


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--per-kind", type=int, default=3000)
    ap.add_argument("--segments", type=int, default=1000)
    a = ap.parse_args()
    m = hs.Smsc(a.port, a.vectors, 0)
    f = Flood(m)
    print("listening", flush=True)
    ok = True
    try:
        m.bind()
        print("bound", flush=True)
        seq = m.next_seq()
        m.peer.send(hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(src=FLOODER, esm=0x40, dc=4, sm=FIRST)))
        m.peer.expect(hs.DELIVER_SM | R, seq, hs.ESME_ROK)
        t0 = time.monotonic()
        for kind, fn in KINDS:
            f.batch(kind, fn, a.segments if kind in ("segment", "evicted") else a.per_kind)
            print("%s: %d sent" % (kind, f.sent[kind]), flush=True)
        seconds = time.monotonic() - t0
        # past the rate limit's second: one more line of each kind, with
        # the count of those held back
        time.sleep(1.2)
        for kind, fn in KINDS:
            f.batch(kind, fn, 1)
    except (hs.Fail, hs.Closed) as e:
        print("FAIL %s" % e, flush=True)
        ok = False
        seconds = 0
    res = {"ok": ok, "sent": f.sent, "nacks": f.nacks, "error_resps": f.error_resps,
           "seconds": round(seconds, 2)}
    hs.write_results(a.results, json.dumps(res))
    unbound = m.serve_until_unbind(30)
    return 0 if unbound and ok else 1


if __name__ == "__main__":
    sys.exit(main())
