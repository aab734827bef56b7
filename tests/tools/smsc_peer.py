#!/usr/bin/python3
"""smsc_peer.py - a small SMPP 3.4 SMSC for tests: it accepts one ESME at a
time, answers bind_receiver/bind_transceiver, enquire_link and unbind, and,
once an ESME is bound, sends the messages it was given as deliver_sm or
data_sm, waiting for each response.

Written from the SMPP v3.4 specification (issue 1.2): PDU header §3.2,
bind §4.1, deliver_sm §4.6, data_sm §4.7, enquire_link §4.11, TLVs §5.3.

Messages come as JSON lines (--messages FILE, "-" for stdin):
  {"cmd": "deliver_sm", "src": "4915100000000", "dst": "12345",
   "esm_class": 0, "data_coding": 0, "sm_hex": "68656c6c6f",
   "payload_hex": "...", "sar": [ref, total, seq], "port": 16354,
   "service_type": "CMT", "user_message_reference": 1}
Every key is optional.  Events go to stdout, one JSON object a line:
  {"event": "listening", "port": N}   (the readiness signal)
  {"event": "bind", "command": "bind_transceiver", "system_id": ..., "status": ...}
  {"event": "resp", "command": "deliver_sm_resp", "seq": N, "status": N}
  {"event": "closed"}
With --exit-after-acks the peer exits once every message is answered:
status 0 if all were answered ESME_ROK, else 1.
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSCEIVER = 0x00000009
DELIVER_SM = 0x00000005
DATA_SM = 0x00000103
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
RESP = 0x80000000
ESME_RINVPASWD = 0x0E
NAMES = {BIND_RECEIVER: "bind_receiver", BIND_TRANSCEIVER: "bind_transceiver",
         DELIVER_SM | RESP: "deliver_sm_resp", DATA_SM | RESP: "data_sm_resp",
         ENQUIRE_LINK: "enquire_link", ENQUIRE_LINK | RESP: "enquire_link_resp",
         UNBIND: "unbind", UNBIND | RESP: "unbind_resp", GENERIC_NACK: "generic_nack"}
# §5.3.2 tags
TLV_DESTINATION_PORT = 0x020B
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_USER_MESSAGE_REFERENCE = 0x0204
TLV_MESSAGE_PAYLOAD = 0x0424


def event(**kw):
    print(json.dumps(kw), flush=True)


def pdu(cmd, seq, body=b"", status=0):
    """§3.2: command_length, command_id, command_status, sequence_number."""
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body


def cstr(s):
    return s.encode("ascii") + b"\0"


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def read_cstr(body, off):
    end = body.index(b"\0", off)
    return body[off:end].decode("ascii", "replace"), end + 1


def message_pdu(m, seq):
    """A deliver_sm (§4.6.1) or data_sm (§4.7.1) from one JSON object."""
    cmd = DATA_SM if m.get("cmd") == "data_sm" else DELIVER_SM
    head = (cstr(m.get("service_type", "")) + bytes([1, 1]) + cstr(m.get("src", "4915100000000"))
            + bytes([1, 1]) + cstr(m.get("dst", "12345")))
    esm, dcs = m.get("esm_class", 0), m.get("data_coding", 0)
    if cmd == DATA_SM:
        body = head + bytes([esm, 0, dcs])
    else:
        sm = bytes.fromhex(m.get("sm_hex", ""))
        # esm_class, protocol_id, priority_flag, two NULL times,
        # registered_delivery, replace_if_present_flag, data_coding,
        # sm_default_msg_id, sm_length, short_message
        body = head + bytes([esm, 0, 0, 0, 0, 0, 0, dcs, 0, len(sm)]) + sm
    if "payload_hex" in m:
        body += tlv(TLV_MESSAGE_PAYLOAD, bytes.fromhex(m["payload_hex"]))
    if "sar" in m:
        ref, total, segno = m["sar"]
        body += (tlv(TLV_SAR_MSG_REF_NUM, struct.pack(">H", ref))
                 + tlv(TLV_SAR_TOTAL_SEGMENTS, bytes([total]))
                 + tlv(TLV_SAR_SEGMENT_SEQNUM, bytes([segno])))
    if "port" in m:
        body += tlv(TLV_DESTINATION_PORT, struct.pack(">H", m["port"]))
    if "user_message_reference" in m:
        body += tlv(TLV_USER_MESSAGE_REFERENCE, struct.pack(">H", m["user_message_reference"]))
    return pdu(cmd, seq, body)


class Session:
    def __init__(self, sock, args, todo):
        self.sock, self.args = sock, args
        self.todo = list(todo)  # (index, message) not yet answered
        self.buf = b""
        self.bound = False
        self.seq = 0
        self.waiting = {}       # seq -> index of the message
        self.answers = {}       # index -> status

    def send(self, data):
        self.sock.sendall(data)

    def on_bind(self, cmd, seq, body):
        system_id, off = read_cstr(body, 0)
        password, off = read_cstr(body, off)
        ok = self.args.password is None or password == self.args.password
        status = 0 if ok else ESME_RINVPASWD
        event(event="bind", command=NAMES[cmd], system_id=system_id, status=status)
        self.send(pdu(cmd | RESP, seq, cstr(self.args.system_id), status))
        self.bound = ok

    def on_pdu(self, cmd, status, seq, body):
        if cmd in (BIND_RECEIVER, BIND_TRANSCEIVER):
            self.on_bind(cmd, seq, body)
        elif cmd == ENQUIRE_LINK:
            self.send(pdu(ENQUIRE_LINK | RESP, seq))
        elif cmd == UNBIND:
            self.send(pdu(UNBIND | RESP, seq))
            return False
        elif cmd in (DELIVER_SM | RESP, DATA_SM | RESP, GENERIC_NACK):
            event(event="resp", command=NAMES[cmd], seq=seq, status=status)
            if seq in self.waiting:
                self.answers[self.waiting.pop(seq)] = status
        elif cmd & RESP == 0:
            self.send(pdu(GENERIC_NACK, seq, status=0x03))
        return True

    def pump(self):
        """Read what there is; False when the connection is over."""
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        while len(self.buf) >= 16:
            length, cmd, status, seq = struct.unpack(">IIII", self.buf[:16])
            if length < 16:
                return False
            if len(self.buf) < length:
                break
            body, self.buf = self.buf[16:length], self.buf[length:]
            if not self.on_pdu(cmd, status, seq, body):
                return False
        return True

    def send_next(self):
        if self.bound and self.todo and len(self.waiting) < self.args.window:
            self.seq += 1
            index, m = self.todo.pop(0)
            self.waiting[self.seq] = index
            self.send(message_pdu(m, self.seq))

    def run(self):
        while True:
            self.send_next()
            if self.args.exit_after_acks and self.bound and not self.todo and not self.waiting:
                return
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if r and not self.pump():
                return


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any)")
    ap.add_argument("--system-id", default="smsc_peer")
    ap.add_argument("--password", help="refuse binds with another password")
    ap.add_argument("--messages", help="JSON lines of messages to send ('-': stdin)")
    ap.add_argument("--window", type=int, default=1, help="messages in flight")
    ap.add_argument("--exit-after-acks", action="store_true")
    ap.add_argument("--timeout", type=float, default=30, help="give up after this many seconds")
    args = ap.parse_args()
    messages = []
    if args.messages:
        f = sys.stdin if args.messages == "-" else open(args.messages)
        messages = [json.loads(l) for l in f if l.strip()]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(4)
    event(event="listening", port=lsock.getsockname()[1])
    deadline = time.monotonic() + args.timeout
    answers = {}        # index -> status of its last answer
    while time.monotonic() < deadline:
        r, _, _ = select.select([lsock], [], [], 0.2)
        if not r:
            continue
        sock, _ = lsock.accept()
        todo = [(i, m) for i, m in enumerate(messages) if i not in answers]
        s = Session(sock, args, todo)
        s.run()
        sock.close()
        event(event="closed")
        answers.update(s.answers)
        if args.exit_after_acks and len(answers) == len(messages):
            sys.exit(0 if all(v == 0 for v in answers.values()) else 1)
    sys.exit(2)


if __name__ == "__main__":
    main()
