#!/usr/bin/python3
"""A hostile SMSC for contrib/attack/downlink.sh: receipts (deliver_sm,
esm_class 0x04, SMPP 3.4 §5.2.12) that match nothing, and receipts that
guess user_message_reference (§5.3.2.17).

    receipts_smsc.py --port P --vectors V --submits N --flood F --big B

Takes txgw's bind, answers its first N submit_sm ESME_ROK (message ids
"sim-K", each a real id), then sends, timing each batch until every
deliver_sm_resp is in:
  flood   F receipts naming ids that never existed, a 254-byte text
  big     B of them with a 65,000-byte message_payload TLV as well
  guess   256 receipts from DST_MSISDN, stat:DELIVRD, id "guess", with
          user_message_reference 0..255: whatever txgw takes as delivered
Prints one line per batch, then serves the bind until txgw unbinds.
"""
import argparse, os, struct, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/integration"))
import hostile_smsc as hs  # noqa: E402

R = hs.RESP
HANDSET = b"886912345678"


def receipt(seq, mid, src=b"886900000000", tlvs=b"", pad=0):
    text = b"id:%s sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 " \
           b"stat:DELIVRD err:000 text:" % mid
    text += b"Z" * max(0, pad - len(text))
    return hs.pdu(hs.DELIVER_SM, seq, hs.sm_body(src=src, esm=0x04, dc=1, sm=text[:254], tlvs=tlvs))


def batch(m, name, pdus):
    seqs = set()
    data = []
    for mk in pdus:
        seq = m.next_seq()
        seqs.add(seq)
        data.append(mk(seq))
    t0 = time.monotonic()
    th = threading.Thread(target=lambda: m.peer.s.sendall(b"".join(data)))
    th.start()
    bad = {}
    while seqs:
        p = m.peer.read(30)
        if p is None:
            break
        if p[0] == hs.DELIVER_SM | R and p[2] in seqs:
            seqs.discard(p[2])
            if p[1] != hs.ESME_ROK:
                bad["0x%02x" % p[1]] = bad.get("0x%02x" % p[1], 0) + 1
    th.join(30)
    print("%-6s %6d receipts (%d MB) answered in %.2f s, not ESME_ROK: %s, %d unanswered" % (
        name, len(data), sum(map(len, data)) >> 20, time.monotonic() - t0, bad, len(seqs)),
        flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--submits", type=int, default=50)
    ap.add_argument("--flood", type=int, default=20000)
    ap.add_argument("--big", type=int, default=500)
    a = ap.parse_args()
    m = hs.Smsc(a.port, a.vectors, 0)
    print("listening", flush=True)
    m.bind()
    print("bound", flush=True)
    n, end = 0, time.monotonic() + 60
    while n < a.submits and time.monotonic() < end:
        p = m.peer.read(5)
        if p and p[0] == hs.SUBMIT_SM:
            m.peer.send(hs.pdu(hs.SUBMIT_SM | R, p[2], hs.cstr("sim-%d" % n)))
            n += 1
    print("submits %d answered" % n, flush=True)
    big = hs.tlv(0x0424, b"W" * 65000)
    batch(m, "flood", [lambda s, i=i: receipt(s, b"nx%d" % i, pad=254) for i in range(a.flood)])
    batch(m, "big", [lambda s, i=i: receipt(s, b"nb%d" % i, pad=254, tlvs=big) for i in range(a.big)])
    batch(m, "guess", [lambda s, r=r: receipt(s, b"guess", src=HANDSET,
                                              tlvs=hs.tlv(0x0204, struct.pack(">H", r)))
                       for r in range(256)])
    m.serve_until_unbind(30)


if __name__ == "__main__":
    main()
