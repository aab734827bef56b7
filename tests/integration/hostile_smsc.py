#!/usr/bin/python3
"""hostile_smsc.py -- a hostile SMSC for txgw's ESME, written from the SMPP
3.4 specification (issue 1.2, 12-Oct-1999) with the standard library only.

    hostile_smsc.py --port PORT --vectors tests/vectors/vectors.json
                    [--seed N] [--results FILE]

Listens on 127.0.0.1:PORT, accepts txgw's bind_transceiver (or
bind_receiver), then runs a list of cases.  Each case sends bytes a
well-behaved SMSC would never send (or a big or fragmented good PDU),
checks txgw's answer (generic_nack, or the request's response with the
status the ESME's codec documents for the fault), then sends a GOOD
deliver_sm (the frame of the vector "tpdu-binary-port") and wants
ESME_ROK: traffic still flows.  Where the stream cannot be resynchronised
(command_length under 16 or over ESME_PDU_MAX) txgw must answer
generic_nack ESME_RINVCMDLEN and close; we then accept its new bind.

Prints "PASS name" or "FAIL name: why" per case, then one line
  DONE passed=P failed=F frames=N receipts=R binds=B nacks=K good=G seconds=S
(frames: good frames txgw took, G of them answered ESME_ROK; receipts
answered ESME_ROK; binds answered; generic_nack received)
and keeps serving the last bind (enquire_link) until txgw unbinds (SIGTERM
of txgw), printing "UNBOUND by txgw".  The same line goes to --results.
Exit status 0 only when every case passed and txgw unbound cleanly.

The random cases are seeded: --seed, else $TXGW_TEST_SEED, else the time;
the seed is printed so that a failure can be replayed.
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import threading
import time

# Command ids, §5.1.2 table 5-1.
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
QUERY_SM = 0x00000003
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
REPLACE_SM = 0x00000007
CANCEL_SM = 0x00000008
BIND_TRANSCEIVER = 0x00000009
OUTBIND = 0x0000000B
ENQUIRE_LINK = 0x00000015
SUBMIT_MULTI = 0x00000021
ALERT_NOTIFICATION = 0x00000102
DATA_SM = 0x00000103
RESP = 0x80000000
KNOWN = {BIND_RECEIVER, BIND_TRANSMITTER, QUERY_SM, SUBMIT_SM, DELIVER_SM, UNBIND,
         REPLACE_SM, CANCEL_SM, BIND_TRANSCEIVER, OUTBIND, ENQUIRE_LINK, SUBMIT_MULTI,
         ALERT_NOTIFICATION, DATA_SM}
KNOWN |= {c | RESP for c in KNOWN if c not in (OUTBIND, ALERT_NOTIFICATION)}
KNOWN.add(GENERIC_NACK)
# Requests that have a response (§5.1.2); outbind and alert_notification have none.
WITH_RESP = KNOWN - {OUTBIND, ALERT_NOTIFICATION} - {c for c in KNOWN if c & RESP}

# Command status codes, §5.1.3 table 5-2 (those the cases expect).
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RINVSYSID = 0x0F
ESME_RINVSERTYP = 0x15
ESME_RX_T_APPN = 0x64
ESME_RINVSCHED = 0x61
ESME_RINVEXPIRY = 0x62
ESME_RINVOPTPARSTREAM = 0xC0
ESME_ROPTPARNOTALLWD = 0xC1
ESME_RINVPARLEN = 0xC2
ESME_RMISSINGOPTPARAM = 0xC3
ESME_RINVOPTPARAMVAL = 0xC4

# Optional parameter tags, §5.3.2.
TLV_DESTINATION_PORT = 0x020B
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_SC_INTERFACE_VERSION = 0x0210
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_VENDOR = 0x1400             # §5.3.2: 0x1400-0x3FFF, SMSC vendor specific

# smpp/esme.h: the largest PDU the ESME takes once bound, and before.
ESME_PDU_MAX = 70 * 1024
ESME_PDU_MAX_UNBOUND = 1024

GOOD_SRC = b"886912345678"      # the MSISDN tests/vectors/devices.txt binds
DST = b"886900000001"
STEP_S = 5                      # how long one answer may take


class Fail(Exception):
    pass


class Closed(Exception):
    """txgw closed the connection."""


def hdr(length, cmd, seq, status=0):
    return struct.pack(">IIII", length, cmd, status, seq)


def pdu(cmd, seq, body=b"", status=0):
    return hdr(16 + len(body), cmd, seq, status) + body


def cstr(s):
    return (s if isinstance(s, bytes) else s.encode()) + b"\0"


def tlv(tag, val):
    return struct.pack(">HH", tag, len(val)) + val


def sm_body(src=GOOD_SRC, esm=0x40, dc=0x04, sm=b"", tlvs=b"", service_type=b"",
            sched=b"", valid=b"", dst=DST, sm_length=None):
    """deliver_sm body, §4.6.1 (the submit_sm layout of §4.4.1)."""
    return (cstr(service_type) + bytes([1, 1]) + cstr(src) + bytes([0, 1]) + cstr(dst) +
            bytes([esm, 0, 0]) + cstr(sched) + cstr(valid) + bytes([0, 0, dc, 0]) +
            bytes([len(sm) if sm_length is None else sm_length]) + sm + tlvs)


def data_sm_body(src=GOOD_SRC, esm=0x40, dc=0x04, tlvs=b""):
    """data_sm body, §4.7.1: no short_message, the user data in message_payload."""
    return (cstr(b"") + bytes([1, 1]) + cstr(src) + bytes([0, 1]) + cstr(DST) +
            bytes([esm, 0, dc]) + tlvs)


def good_ud(vectors):
    """The TP-UD (port UDH + frame) of the SMS-SUBMIT of "tpdu-binary-port"
    (3GPP TS 23.040 §9.2.2.2), as netsmpp.sh takes it."""
    v = {c["name"]: c for c in json.load(open(vectors))}
    b = bytes.fromhex(v["tpdu-binary-port"]["tpdus"][0])
    fo, i = b[0], 2
    i += 2 + (b[i] + 1) // 2                    # TP-DA
    dcs = b[i + 1]
    i += 2                                      # TP-PID, TP-DCS
    i += {0: 0, 2: 1}.get((fo >> 3) & 3, 7)     # TP-VP
    assert dcs == 4 and fo & 0x40
    return b[i + 1:], v["armoured-ed25519-1"]["text"]


class Peer:
    """One accepted connection from txgw: a PDU reader over the stream."""

    def __init__(self, sock, smsc):
        self.s = sock
        self.smsc = smsc
        self.buf = b""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError as e:
            raise Closed("send: %s" % e)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.s.settimeout(left)
        try:
            b = self.s.recv(65536)
        except socket.timeout:
            return False
        except OSError as e:
            raise Closed("recv: %s" % e)
        if not b:
            raise Closed("closed by txgw")
        self.buf += b
        return True

    def read_raw(self, timeout=STEP_S):
        """One PDU as (cmd, status, seq, body), or None on timeout.  What
        txgw sends must be well-formed: a bad command_length fails."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 16:
                length, cmd, status, seq = struct.unpack(">IIII", self.buf[:16])
                if length < 16 or length > ESME_PDU_MAX_UNBOUND:
                    raise Fail("txgw sent command_length %d" % length)
                if cmd not in KNOWN:
                    raise Fail("txgw sent unknown command_id 0x%08x" % cmd)
                if len(self.buf) >= length:
                    body, self.buf = self.buf[16:length], self.buf[length:]
                    return cmd, status, seq, body
            if not self._fill(deadline):
                return None

    def read(self, timeout=STEP_S):
        """Like read_raw, but answers txgw's own enquire_link (§4.11)."""
        while True:
            p = self.read_raw(timeout)
            if p and p[0] == ENQUIRE_LINK:
                self.send(pdu(ENQUIRE_LINK | RESP, p[2]))
                self.smsc.links_answered += 1
                continue
            return p

    def expect(self, cmd, seq, status, timeout=STEP_S):
        """The answer (cmd, seq) with this status; anything else first fails."""
        p = self.read(timeout)
        if p is None:
            raise Fail("no %s seq %d within %d s" % (name(cmd), seq, timeout))
        if (p[0], p[2]) != (cmd, seq):
            raise Fail("want %s seq %d, got %s" % (name(cmd), seq, show(p)))
        if p[1] != status:
            raise Fail("%s seq %d: status 0x%02x, want 0x%02x" % (name(cmd), seq, p[1], status))
        return p

    def sync(self):
        """Round trip an enquire_link: returns what txgw sent before its resp."""
        seq = self.smsc.next_seq()
        self.send(pdu(ENQUIRE_LINK, seq))
        seen = []
        while True:
            p = self.read()
            if p is None:
                raise Fail("no enquire_link_resp seq %d within %d s" % (seq, STEP_S))
            if p[0] == ENQUIRE_LINK | RESP and p[2] == seq:
                if p[1] != ESME_ROK:
                    raise Fail("enquire_link_resp status 0x%02x" % p[1])
                return seen
            seen.append(p)

    def quiet(self):
        """txgw answered nothing to what we sent (and is still there)."""
        seen = self.sync()
        if seen:
            raise Fail("no answer expected, got " + ", ".join(show(p) for p in seen))

    def expect_drop(self, timeout=STEP_S):
        """generic_nack ESME_RINVCMDLEN seq 0 (the sequence_number was never
        read), then the close: the stream cannot be resynchronised."""
        p = self.expect(GENERIC_NACK, 0, ESME_RINVCMDLEN, timeout)
        self.wait_close(timeout)
        return p

    def wait_close(self, timeout=STEP_S):
        try:
            p = self.read(timeout)
        except Closed:
            return
        raise Fail("connection still open (%s)" % (show(p) if p else "silent"))


def name(cmd):
    names = {GENERIC_NACK: "generic_nack", DELIVER_SM | RESP: "deliver_sm_resp",
             DATA_SM | RESP: "data_sm_resp", ENQUIRE_LINK | RESP: "enquire_link_resp",
             UNBIND | RESP: "unbind_resp", UNBIND: "unbind", ENQUIRE_LINK: "enquire_link"}
    return names.get(cmd, "0x%08x" % cmd)


def show(p):
    return "%s seq %d status 0x%02x" % (name(p[0]), p[2], p[1])


class Smsc:
    def __init__(self, port, vectors, seed):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", port))
        self.ls.listen(4)
        self.ud, self.armour = good_ud(vectors)
        self.rng = random.Random(seed)
        self.seq = 0
        self.peer = None
        self.binds = 0
        self.good = 0               # good frames answered ESME_ROK
        self.unacked = 0            # good frames txgw took but could not answer
        self.receipts = 0           # delivery receipts answered ESME_ROK
        self.nacks = 0              # generic_nack received
        self.links_answered = 0
        self.passed = []
        self.failed = []

    def next_seq(self):
        self.seq = self.seq + 1 if self.seq < 0x7fffffff else 1
        return self.seq

    # ---- binds -------------------------------------------------------------

    def accept(self, timeout=10):
        """txgw's next connection and its bind request (§4.1)."""
        if self.peer:
            self.peer.close()
            self.peer = None
        self.ls.settimeout(timeout)
        try:
            s, _ = self.ls.accept()
        except socket.timeout:
            raise Fail("txgw did not reconnect within %d s" % timeout)
        self.peer = Peer(s, self)
        p = self.peer.read()
        if p is None or p[0] not in (BIND_TRANSCEIVER, BIND_RECEIVER):
            raise Fail("expected a bind, got %s" % (show(p) if p else "nothing"))
        f = p[3].split(b"\0")
        if f[0] != b"txgw" or f[1] != b"secret" or p[3][-4] != 0x34:
            raise Fail("bind with system_id %r password %r version 0x%02x" %
                       (f[0], f[1], p[3][-4]))
        return p

    def bind(self, extra=b""):
        """Accept and answer the bind: ESME_ROK, system_id "hostile"."""
        p = self.accept()
        self.peer.send(pdu(p[0] | RESP, p[2], cstr("hostile") + extra))
        self.binds += 1

    # ---- the good message --------------------------------------------------

    def good_pdu(self, seq):
        return pdu(DELIVER_SM, seq, sm_body(sm=self.ud))

    def good_ok(self, cmd, seq):
        self.peer.expect(cmd | RESP, seq, ESME_ROK)
        self.good += 1

    def traffic(self):
        """A good deliver_sm is answered ESME_ROK: traffic flows."""
        seq = self.next_seq()
        self.peer.send(self.good_pdu(seq))
        self.good_ok(DELIVER_SM, seq)

    def answer(self, data, cmd, status, seq):
        """Send data; txgw answers (cmd, seq) with status; traffic flows."""
        self.peer.send(data)
        p = self.peer.expect(cmd, seq, status)
        if cmd == GENERIC_NACK:
            self.nacks += 1
        self.traffic()
        return p

    def bad_sm(self, status, **kw):
        """A deliver_sm with one fault: deliver_sm_resp with status."""
        seq = self.next_seq()
        self.answer(pdu(DELIVER_SM, seq, sm_body(**kw)), DELIVER_SM | RESP, status, seq)

    def ignored(self, data):
        """txgw answers nothing (responses, outbind, alert_notification)."""
        self.peer.send(data)
        self.peer.quiet()
        self.traffic()

    def dropped(self, data, nack=True):
        """txgw answers generic_nack ESME_RINVCMDLEN and closes; it binds
        again and traffic flows on the new connection."""
        if data:
            self.peer.send(data)
        if nack:
            self.peer.expect_drop()
            self.nacks += 1
        else:
            self.peer.wait_close()
        self.bind()
        self.traffic()

    # ---- running -------------------------------------------------------------

    def run(self, cases):
        for i, (cname, fn) in enumerate(cases):
            try:
                fn(self)
            except (Fail, Closed) as e:
                self.failed.append(cname)
                print("FAIL %s: %s" % (cname, e), flush=True)
                if not self.recover():
                    for rest, _ in cases[i + 1:]:
                        self.failed.append(rest)
                        print("FAIL %s: not run, txgw is gone" % rest, flush=True)
                    return
                continue
            self.passed.append(cname)
            print("PASS %s" % cname, flush=True)

    def recover(self):
        """After a failure: start over on a fresh connection.  False when
        txgw does not come back."""
        if self.peer:
            self.peer.close()
            self.peer = None
        try:
            self.bind()
        except (Fail, Closed) as e:
            print("recover: %s" % e, flush=True)
            return False
        return True

    def unbind_answer(self, useq):
        """txgw unbinds (SIGTERM): a deliver_sm sent before our unbind_resp
        must be refused ESME_RX_T_APPN (the SMSC keeps it and retries)."""
        seq = self.next_seq()
        self.peer.send(self.good_pdu(seq))
        try:
            self.peer.expect(DELIVER_SM | RESP, seq, ESME_RX_T_APPN)
        except Fail as e:
            print("FAIL deliver_sm while unbinding: %s" % e, flush=True)
            return False
        self.peer.send(pdu(UNBIND | RESP, useq))
        print("UNBOUND by txgw (a deliver_sm meanwhile: ESME_RX_T_APPN)", flush=True)
        return True

    def serve_until_unbind(self, timeout):
        """The last bind stays up until txgw unbinds (§4.2): answer it."""
        if not self.peer:
            return False
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                p = self.peer.read(1)
                if p and p[0] == UNBIND:
                    return self.unbind_answer(p[2])
                if p:
                    print("unexpected %s" % show(p), flush=True)
        except (Fail, Closed) as e:
            print("serving: %s" % e, flush=True)
        return False


# ---- the cases: the command set and the header (§3.2, §5.1) ----------------

def c_unknown_command_id(m):
    seq = m.next_seq()
    m.answer(pdu(0x00000099, seq, b"junk"), GENERIC_NACK, ESME_RINVCMDID, seq)


def c_unknown_response_id(m):
    seq = m.next_seq()
    m.answer(pdu(0x80000099, seq), GENERIC_NACK, ESME_RINVCMDID, seq)


def c_submit_sm_to_esme(m):
    """submit_sm goes to an SMSC, not an ESME: not served."""
    seq = m.next_seq()
    m.answer(pdu(SUBMIT_SM, seq, sm_body(sm=b"hi", dc=1, esm=0)), GENERIC_NACK,
             ESME_RINVCMDID, seq)


def c_bind_from_smsc(m):
    seq = m.next_seq()
    body = cstr("x") + cstr("y") + cstr("") + bytes([0x34, 0, 0]) + cstr("")
    m.answer(pdu(BIND_TRANSCEIVER, seq, body), GENERIC_NACK, ESME_RINVCMDID, seq)


def c_deliver_sm_header_only(m):
    seq = m.next_seq()
    m.answer(pdu(DELIVER_SM, seq), DELIVER_SM | RESP, ESME_RINVCMDLEN, seq)


def c_enquire_link_with_body(m):
    seq = m.next_seq()
    m.answer(pdu(ENQUIRE_LINK, seq, b"\0\0"), ENQUIRE_LINK | RESP, ESME_RINVCMDLEN, seq)


def c_unbind_with_body(m):
    """A malformed unbind is answered with its error and unbinds nothing."""
    seq = m.next_seq()
    m.answer(pdu(UNBIND, seq, b"x"), UNBIND | RESP, ESME_RINVCMDLEN, seq)


# ---- mandatory fields (§4.6.1; statuses of smpp_def.h SMPP_FIELDS) ------------

def c_truncated_body(m):
    """Cut after esm_class: a field runs past the end."""
    seq = m.next_seq()
    body = sm_body(sm=m.ud)
    cut = body.index(cstr(DST)) + len(DST) + 2
    m.answer(pdu(DELIVER_SM, seq, body[:cut]), DELIVER_SM | RESP, ESME_RINVCMDLEN, seq)


def c_truncated_in_cstring(m):
    """The PDU ends inside destination_addr: cut short, not over-long."""
    seq = m.next_seq()
    body = sm_body(sm=m.ud)
    cut = body.index(cstr(DST)) + 5
    m.answer(pdu(DELIVER_SM, seq, body[:cut]), DELIVER_SM | RESP, ESME_RINVCMDLEN, seq)


def c_missing_nul_source_addr(m):
    """source_addr of 21 digits without its NUL: none within its 21 octets."""
    seq = m.next_seq()
    body = sm_body(sm=m.ud).replace(cstr(GOOD_SRC), b"1" * 21, 1)
    m.answer(pdu(DELIVER_SM, seq, body), DELIVER_SM | RESP, ESME_RINVSRCADR, seq)


def c_overlong_service_type(m):
    m.bad_sm(ESME_RINVSERTYP, service_type=b"ABCDEFGHIJ")


def c_overlong_destination_addr(m):
    m.bad_sm(ESME_RINVDSTADR, dst=b"9" * 30)


def c_overlong_schedule_time(m):
    m.bad_sm(ESME_RINVSCHED, sched=b"1" * 20)


def c_overlong_validity_period(m):
    m.bad_sm(ESME_RINVEXPIRY, valid=b"1" * 20)


def c_sm_length_255(m):
    m.bad_sm(ESME_RINVMSGLEN, sm=b"x" * 255, sm_length=255)


def c_sm_length_past_body(m):
    m.bad_sm(ESME_RINVMSGLEN, sm=b"x" * 10, sm_length=100)


# ---- optional parameters (§3.2.4, §5.3) --------------------------------------

def c_tlv_bad_length(m):
    """sar_msg_ref_num is 2 octets (§5.3.2.22): 3 is ESME_RINVPARLEN."""
    m.bad_sm(ESME_RINVPARLEN, sm=m.ud, tlvs=tlv(TLV_SAR_MSG_REF_NUM, b"\0\1\2"))


def c_tlv_zero_length_port(m):
    m.bad_sm(ESME_RINVPARLEN, sm=m.ud, tlvs=tlv(TLV_DESTINATION_PORT, b""))


def c_tlv_truncated_header(m):
    m.bad_sm(ESME_RINVOPTPARSTREAM, sm=m.ud, tlvs=b"\x02\x0b\x00")


def c_tlv_value_past_end(m):
    m.bad_sm(ESME_RINVOPTPARSTREAM, sm=m.ud,
             tlvs=struct.pack(">HH", TLV_VENDOR, 100) + b"v" * 10)


def c_tlv_too_many(m):
    m.bad_sm(ESME_RINVOPTPARSTREAM, sm=m.ud,
             tlvs=b"".join(tlv(TLV_VENDOR + i, b"v") for i in range(33)))


def c_tlv_twice(m):
    port = tlv(TLV_DESTINATION_PORT, b"\x3f\xe2")
    m.bad_sm(ESME_ROPTPARNOTALLWD, sm=m.ud, tlvs=port + port)


def c_payload_and_short_message(m):
    """§5.3.2.32: message_payload and short_message are exclusive."""
    m.bad_sm(ESME_ROPTPARNOTALLWD, sm=m.ud, tlvs=tlv(TLV_MESSAGE_PAYLOAD, m.ud))


def c_tlv_cstring_without_nul(m):
    m.bad_sm(ESME_RINVOPTPARAMVAL, sm=m.ud, tlvs=tlv(TLV_RECEIPTED_MESSAGE_ID, b"abc"))


def c_sar_incomplete(m):
    m.bad_sm(ESME_RMISSINGOPTPARAM, sm=m.ud, tlvs=tlv(TLV_SAR_MSG_REF_NUM, b"\0\7"))


def c_sar_segment_over_total(m):
    sar = (tlv(TLV_SAR_MSG_REF_NUM, b"\0\7") + tlv(TLV_SAR_TOTAL_SEGMENTS, b"\2") +
           tlv(TLV_SAR_SEGMENT_SEQNUM, b"\3"))
    m.bad_sm(ESME_RINVOPTPARAMVAL, sm=m.ud, tlvs=sar)


# ---- PDUs an ESME must take without answering ---------------------------------

def c_response_never_requested(m):
    """Responses to requests txgw never sent are ignored, never answered."""
    m.ignored(pdu(SUBMIT_SM | RESP, m.next_seq(), cstr("msg-1")) +
              pdu(DELIVER_SM | RESP, m.next_seq(), cstr("")) +
              pdu(ENQUIRE_LINK | RESP, m.next_seq()) +
              pdu(UNBIND | RESP, m.next_seq()))


def c_generic_nack_unsolicited(m):
    """A generic_nack is never answered (peers could nack each other for ever)."""
    m.ignored(pdu(GENERIC_NACK, m.next_seq(), status=ESME_RINVCMDID) +
              hdr(20, GENERIC_NACK, m.next_seq(), ESME_RINVCMDLEN) + b"junk")


def c_malformed_unsolicited_response(m):
    """A response that does not decode: generic_nack with the field's status."""
    seq = m.next_seq()
    m.answer(pdu(SUBMIT_SM | RESP, seq, cstr("m" * 70)), GENERIC_NACK, ESME_RINVMSGID, seq)


def c_bind_resp_while_bound(m):
    m.ignored(pdu(BIND_TRANSCEIVER_RESP, m.next_seq(), cstr("again")))


def c_outbind(m):
    m.ignored(pdu(OUTBIND, m.next_seq(), cstr("hostile") + cstr("pw")))


def c_alert_notification(m):
    body = bytes([1, 1]) + cstr(GOOD_SRC) + bytes([1, 1]) + cstr(DST)
    m.ignored(pdu(ALERT_NOTIFICATION, m.next_seq(), body))


def c_alert_notification_bad(m):
    """No response exists for alert_notification: a bad one gets generic_nack."""
    seq = m.next_seq()
    body = bytes([1, 1]) + cstr("1" * 80) + bytes([1, 1]) + cstr(DST)
    m.answer(pdu(ALERT_NOTIFICATION, seq, body), GENERIC_NACK, ESME_RINVSRCADR, seq)


BIND_TRANSCEIVER_RESP = BIND_TRANSCEIVER | RESP


# ---- messages that are not mobile-originated frames ---------------------------

def c_data_sm(m):
    """data_sm (§4.7.1) with the frame in message_payload: data_sm_resp ESME_ROK."""
    seq = m.next_seq()
    m.peer.send(pdu(DATA_SM, seq, data_sm_body(tlvs=tlv(TLV_MESSAGE_PAYLOAD, m.ud))))
    m.good_ok(DATA_SM, seq)
    m.traffic()


def c_data_sm_bad(m):
    seq = m.next_seq()
    m.answer(pdu(DATA_SM, seq, data_sm_body(src=b"1" * 80)), DATA_SM | RESP,
             ESME_RINVSRCADR, seq)


def c_delivery_receipt(m):
    """esm_class 0x04, an SMSC delivery receipt (§5.2.12, appendix B), and
    0x08, an SME delivery acknowledgement: ESME_ROK, no bus message."""
    text = b"id:0123 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 " \
           b"stat:DELIVRD err:000 text:hello"
    for esm in (0x04, 0x08):
        seq = m.next_seq()
        tl = tlv(TLV_RECEIPTED_MESSAGE_ID, cstr("0123")) + tlv(TLV_MESSAGE_STATE, b"\2")
        m.peer.send(pdu(DELIVER_SM, seq, sm_body(esm=esm, dc=1, sm=text, tlvs=tl)))
        m.peer.expect(DELIVER_SM | RESP, seq, ESME_ROK)
        m.receipts += 1
    m.traffic()


# ---- size, fragmentation, bursts --------------------------------------------------

def c_enquire_link_burst_1000(m):
    """1000 enquire_link in one write: every one answered, in order."""
    seqs = [m.next_seq() for _ in range(1000)]
    m.peer.send(b"".join(pdu(ENQUIRE_LINK, s) for s in seqs))
    for s in seqs:
        m.peer.expect(ENQUIRE_LINK | RESP, s, ESME_ROK)
    m.traffic()


def c_split_100_writes(m):
    """The good deliver_sm over 100 writes (TCP_NODELAY, 2 ms apart)."""
    seq = m.next_seq()
    data = m.good_pdu(seq)
    cuts = [round(i * len(data) / 100) for i in range(101)]
    for a, b in zip(cuts, cuts[1:]):
        m.peer.send(data[a:b])
        time.sleep(0.002)
    m.good_ok(DELIVER_SM, seq)


def c_message_payload_64k(m):
    """message_payload of 65535 octets (the most a TLV holds, §5.3.2.32):
    text with the same frame armoured inside, so a duplicate.  The armour
    runs over base64 characters and white space (txlog-v1.md "Armoured
    text form"): a '-' ends it before the filler goes on."""
    fill = b"lorem ipsum dolor sit amet "
    half = (65535 - len(m.armour) - 4) // 2
    text = (fill * 2500)[:half] + b" " + m.armour.encode() + b" -- "
    text += (fill * 2500)[:65535 - len(text)]
    assert len(text) == 65535
    seq = m.next_seq()
    m.peer.send(pdu(DELIVER_SM, seq, sm_body(esm=0, dc=1, tlvs=tlv(TLV_MESSAGE_PAYLOAD, text))))
    m.good_ok(DELIVER_SM, seq)


def max_pdu(m, seq, size):
    """A good deliver_sm (frame in message_payload) padded with vendor TLVs
    (§3.2.4: unknown ones are ignored) to exactly size octets."""
    body = sm_body(tlvs=tlv(TLV_MESSAGE_PAYLOAD, m.ud))
    left = size - 16 - len(body) - 8
    assert 0 <= left - 65535 <= 65535
    body += tlv(TLV_VENDOR, b"p" * 65535) + tlv(TLV_VENDOR + 1, b"q" * (left - 65535))
    data = pdu(DELIVER_SM, seq, body)
    assert len(data) == size
    return data


def c_pdu_of_max_size(m):
    seq = m.next_seq()
    m.peer.send(max_pdu(m, seq, ESME_PDU_MAX))
    m.good_ok(DELIVER_SM, seq)


def c_slow_reader(m):
    """40000 enquire_link (640 kB) while we read nothing for a second: txgw
    must hold back (it stops reading when its answers queue up) and lose
    nothing once we read.  A thread writes, so neither side deadlocks."""
    seqs = [m.next_seq() for _ in range(40000)]
    data = b"".join(pdu(ENQUIRE_LINK, s) for s in seqs)
    err = []

    def writer():
        try:
            m.peer.s.sendall(data)
        except OSError as e:
            err.append(e)
    t = threading.Thread(target=writer)
    t.start()
    time.sleep(1)
    try:
        for s in seqs:
            m.peer.expect(ENQUIRE_LINK | RESP, s, ESME_ROK)
    finally:
        t.join(STEP_S)
    if err:
        raise Fail("write: %s" % err[0])
    m.traffic()


def c_deliver_sm_burst_300(m):
    """300 good deliver_sm in one write, more than txgw keeps unanswered
    (4 x window): it stops reading until the journal catches up, and
    answers every one ESME_ROK."""
    seqs = [m.next_seq() for _ in range(300)]
    m.peer.send(b"".join(m.good_pdu(s) for s in seqs))
    left = set(seqs)
    while left:
        p = m.peer.read()
        if p is None:
            raise Fail("%d deliver_sm unanswered" % len(left))
        if p[0] != DELIVER_SM | RESP or p[2] not in left or p[1] != ESME_ROK:
            raise Fail("unexpected %s" % show(p))
        left.discard(p[2])
        m.good += 1


def c_pipelined_mix(m):
    """Good and bad PDUs in one write: each answered by its sequence_number."""
    want, data = {}, b""
    for i in range(12):
        seq = m.next_seq()
        if i % 3 == 0:
            data += m.good_pdu(seq)
            want[seq] = (DELIVER_SM | RESP, ESME_ROK)
        elif i % 3 == 1:
            data += pdu(0x00000777, seq)
            want[seq] = (GENERIC_NACK, ESME_RINVCMDID)
        else:
            data += pdu(DELIVER_SM, seq, sm_body(sm=m.ud, tlvs=tlv(TLV_DESTINATION_PORT, b"\1")))
            want[seq] = (DELIVER_SM | RESP, ESME_RINVPARLEN)
    m.peer.send(data)
    while want:
        p = m.peer.read()
        if p is None:
            raise Fail("no answer for seq %s" % sorted(want))
        if want.pop(p[2], None) != (p[0], p[1]):
            raise Fail("unexpected %s" % show(p))
        m.good += p[0] == DELIVER_SM | RESP and p[1] == ESME_ROK
        m.nacks += p[0] == GENERIC_NACK
    m.traffic()


# ---- random input (seeded) -----------------------------------------------------

def random_body(rng):
    n = rng.randrange(0, 121)
    if rng.random() < 0.4:      # NULs and small values: bodies that nearly parse
        return bytes(rng.choice(b"\0\0\1\x40\x04\x34" + b"0123456789") for _ in range(n))
    return bytes(rng.randrange(256) for _ in range(n))


def c_random_framed_pdus(m):
    """300 PDUs with correct framing but random command_id, status and body
    (never deliver_sm, data_sm or unbind, whose effects are tested above).
    An unknown id gets generic_nack ESME_RINVCMDID; a request with a
    response gets exactly one answer of its seq; a generic_nack none; the
    rest none or a generic_nack.  The stream stays in sync."""
    pool = sorted(KNOWN - {DELIVER_SM, DATA_SM, UNBIND})
    sent, data = {}, b""
    for _ in range(300):
        r = m.rng.random()
        cmd = m.rng.choice(pool) if r < 0.7 else m.rng.randrange(1 << 32)
        seq = m.next_seq()
        sent[seq] = cmd
        data += pdu(cmd, seq, random_body(m.rng), m.rng.choice([0, 0, m.rng.randrange(256)]))
    m.peer.send(data)
    got = {}
    for p in m.peer.sync():
        if p[2] not in sent or p[2] in got:
            raise Fail("unexpected %s" % show(p))
        got[p[2]] = p
        m.nacks += p[0] == GENERIC_NACK
    for seq, cmd in sent.items():
        p = got.get(seq)
        check_random_answer(cmd, seq, p)
    m.traffic()


def check_random_answer(cmd, seq, p):
    what = "0x%08x seq %d" % (cmd, seq)
    if cmd not in KNOWN:
        if not p or (p[0], p[1]) != (GENERIC_NACK, ESME_RINVCMDID):
            raise Fail("%s: want generic_nack ESME_RINVCMDID, got %s" %
                       (what, show(p) if p else "nothing"))
    elif cmd in WITH_RESP:
        if not p or p[0] not in (cmd | RESP, GENERIC_NACK):
            raise Fail("%s: no answer" % what)
    elif cmd == GENERIC_NACK:
        if p:
            raise Fail("%s: a generic_nack was answered with %s" % (what, show(p)))
    elif p and p[0] != GENERIC_NACK:
        raise Fail("%s: answered with %s" % (what, show(p)))


def c_random_raw_bytes(m):
    """Unframed random bytes: txgw may answer (well-formed PDUs only) and
    will mostly close; either way it binds again and traffic flows."""
    data = bytes(m.rng.randrange(256) for _ in range(m.rng.randrange(1, 400)))
    try:
        m.peer.send(data)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            p = m.peer.read(max(0.05, deadline - time.monotonic()))
            if p and p[0] == GENERIC_NACK:
                m.nacks += 1
    except Closed:
        pass
    m.bind()
    m.traffic()


# ---- what cannot be resynchronised: txgw closes and binds again --------------

def c_command_length_4g(m):
    m.dropped(hdr(0xFFFFFFFF, DELIVER_SM, m.next_seq()) + b"\0" * 64)


def c_command_length_15(m):
    m.dropped(hdr(15, ENQUIRE_LINK, m.next_seq()))


def c_command_length_0(m):
    m.dropped(hdr(0, DELIVER_SM, m.next_seq()) + b"\0" * 16)


def c_pdu_one_over_max(m):
    data = max_pdu(m, m.next_seq(), ESME_PDU_MAX + 1)
    try:
        m.peer.send(data)
    except Closed:
        pass        # txgw closed while we wrote; its generic_nack is still to read
    m.dropped(b"")


def c_close_mid_pdu(m):
    """Half a deliver_sm, then we close: nothing is taken from it."""
    data = m.good_pdu(m.next_seq())
    m.peer.send(data[:len(data) // 2])
    time.sleep(0.05)
    m.peer.close()
    m.bind()
    m.traffic()


def c_unbind_with_message_pending(m):
    """A good deliver_sm and an unbind in one write: txgw answers the unbind
    and closes whether or not its deliver_sm_resp made it out first; the
    SMSC sends the message again on the new bind (a duplicate then)."""
    seq, useq = m.next_seq(), m.next_seq()
    m.peer.send(m.good_pdu(seq) + pdu(UNBIND, useq))
    p = m.peer.read()
    if p and (p[0], p[2], p[1]) == (DELIVER_SM | RESP, seq, ESME_ROK):
        m.good += 1
        p = m.peer.read()
    else:
        m.unacked += 1      # read and judged by txgw all the same
    if not p or (p[0], p[2], p[1]) != (UNBIND | RESP, useq, ESME_ROK):
        raise Fail("want unbind_resp seq %d, got %s" % (useq, show(p) if p else "nothing"))
    m.peer.wait_close()
    m.bind()
    m.traffic()


def c_silent_smsc(m):
    """We stop answering txgw's enquire_link: it must give up on the link
    (enquire-link-interval 2 in the test configuration) and bind again."""
    links = 0
    deadline = time.monotonic() + 8
    try:
        while time.monotonic() < deadline:
            p = m.peer.read_raw(deadline - time.monotonic())
            if p and p[0] == ENQUIRE_LINK:
                links += 1
            elif p:
                raise Fail("unexpected %s" % show(p))
    except Closed:
        if not links:
            raise Fail("closed without trying enquire_link")
        m.bind()
        m.traffic()
        return
    raise Fail("still connected 8 s after we went silent (%d enquire_link)" % links)


def c_stalled_pdu(m):
    """A header announcing 1000 octets, 10 of them, then nothing: txgw's
    enquire_link cannot be answered inside a PDU, so it gives up the link
    as silent instead of holding the buffer for ever."""
    m.peer.send(hdr(1000, DELIVER_SM, m.next_seq()) + b"\0" * 10)
    deadline = time.monotonic() + 8
    try:
        while time.monotonic() < deadline:
            p = m.peer.read_raw(deadline - time.monotonic())
            if p and p[0] != ENQUIRE_LINK:
                raise Fail("unexpected %s" % show(p))
    except Closed:
        m.bind()
        m.traffic()
        return
    raise Fail("still connected 8 s into a stalled PDU")


def c_unbind_from_smsc(m):
    """§4.2: unbind_resp, then txgw closes and binds again."""
    seq = m.next_seq()
    m.peer.send(pdu(UNBIND, seq))
    m.peer.expect(UNBIND | RESP, seq, ESME_ROK)
    m.peer.wait_close()
    m.bind()
    m.traffic()


# ---- before the bind is answered (ESME_PDU_MAX_UNBOUND) -------------------------

def c_bind_phase(m):
    """While binding: deliver_sm is ESME_RINVBNDSTS, enquire_link answered,
    a bind_resp of the wrong seq ignored; then the bind_resp (with the
    sc_interface_version TLV of §4.1.6) binds."""
    m.peer.close()
    b = m.accept()
    seq = m.next_seq()
    m.peer.send(m.good_pdu(seq))
    m.peer.expect(DELIVER_SM | RESP, seq, ESME_RINVBNDSTS)
    m.peer.sync()
    m.peer.send(pdu(b[0] | RESP, b[2] + 1000, cstr("wrong")))
    m.peer.quiet()
    m.peer.send(pdu(b[0] | RESP, b[2], cstr("hostile") + tlv(TLV_SC_INTERFACE_VERSION, b"\x34")))
    m.binds += 1
    m.traffic()


def c_oversize_before_bind(m):
    """A PDU over ESME_PDU_MAX_UNBOUND before the bind_resp: dropped.  The
    next bind_resp is exactly ESME_PDU_MAX_UNBOUND octets (padded with a
    vendor TLV, §3.2.4): taken."""
    m.peer.close()
    m.accept()
    m.peer.send(hdr(ESME_PDU_MAX_UNBOUND + 1, DELIVER_SM, m.next_seq()) + b"\0" * 100)
    m.peer.expect_drop()
    m.nacks += 1
    b = m.accept()
    body = cstr("hostile")
    body += tlv(TLV_VENDOR, b"p" * (ESME_PDU_MAX_UNBOUND - 16 - len(body) - 4))
    m.peer.send(pdu(b[0] | RESP, b[2], body))
    m.binds += 1
    m.traffic()


def c_bind_resp_malformed(m):
    """A bind_resp whose system_id has no NUL within 16 octets: txgw cannot
    read the answer to its bind, says so with generic_nack ESME_RINVSYSID
    and closes; the next bind succeeds."""
    m.peer.close()
    b = m.accept()
    m.peer.send(pdu(b[0] | RESP, b[2], cstr("s" * 20)))
    m.peer.expect(GENERIC_NACK, b[2], ESME_RINVSYSID)
    m.nacks += 1
    m.peer.wait_close()
    m.bind()
    m.traffic()


def c_bind_refused(m):
    """bind_resp ESME_RBINDFAIL (no body, §4.1.6): txgw closes, retries later."""
    m.peer.close()
    b = m.accept()
    m.peer.send(pdu(b[0] | RESP, b[2], status=ESME_RBINDFAIL))
    m.peer.wait_close()
    m.bind()
    m.traffic()


# Every c_* function is a case, run in the order of this file.
CASES = [("good_deliver_sm", lambda m: m.traffic())]
CASES += [(n[2:], f) for n, f in list(globals().items()) if n.startswith("c_") and callable(f)]


def write_results(path, done):
    """Print the DONE line, and write it to path (if any) at once, whole:
    the test waits for the file."""
    print(done, flush=True)
    if path:
        with open(path + ".tmp", "w") as f:
            f.write(done + "\n")
        os.rename(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--results")
    ap.add_argument("--only", help="comma-separated case names (for debugging)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int(os.environ.get("TXGW_TEST_SEED", time.time_ns() % 1000000))
    print("seed %d (TXGW_TEST_SEED=%d replays it)" % (seed, seed), flush=True)
    m = Smsc(a.port, a.vectors, seed)
    print("listening", flush=True)
    cases = CASES
    if a.only:
        cases = [c for c in CASES if c[0] == "good_deliver_sm" or c[0] in a.only.split(",")]
    try:
        m.bind()
    except (Fail, Closed) as e:
        print("FAIL first bind: %s" % e, flush=True)
        return 1
    t0 = time.monotonic()
    m.run(cases)
    done = ("DONE passed=%d failed=%d frames=%d receipts=%d binds=%d nacks=%d good=%d "
            "seconds=%.1f" % (len(m.passed), len(m.failed), m.good + m.unacked, m.receipts,
                              m.binds, m.nacks, m.good, time.monotonic() - t0))
    write_results(a.results, done)
    unbound = m.serve_until_unbind(30)
    return 0 if unbound and not m.failed else 1


if __name__ == "__main__":
    sys.exit(main())
