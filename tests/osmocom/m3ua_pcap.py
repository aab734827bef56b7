#!/usr/bin/python3
"""m3ua_pcap.py IN.pcap PORT OUT.pcapng -- M3UA carried over TCP (the
SCTP shim, tests/osmocom/sctp_shim.c) made readable to tshark.

Wireshark 4.0 has M3UA only over SCTP (no "tcp.port" decode-as for it).
This reads a classic pcap of loopback traffic (dumpcap -F pcap -i lo),
joins each TCP connection to or from PORT into its byte stream per
direction (in sequence-number order, repeats dropped), cuts the stream
into M3UA messages by the common header's length (RFC 4666 §3.1), and
writes each message as one packet of link type 252, Wireshark's
"exported PDU" (wsutil/exported_pdu_tlvs.h): a TLV naming the dissector
"m3ua", the IPv4 addresses and ports, then the message.  tshark then
decodes M3UA, SCCP, BSSAP, the A interface's DTAP and the SMS in it.
Prints how many messages went out; exit 1 when a stream does not cut.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from pcapng import write_pcapng  # noqa: E402

LINKTYPE_ETHERNET, LINKTYPE_NULL, LINKTYPE_UPPER_PDU = 1, 0, 252
TAG_DISSECTOR, TAG_IPV4_SRC, TAG_IPV4_DST = 12, 20, 21
TAG_PORT_TYPE, TAG_SRC_PORT, TAG_DST_PORT, TAG_END = 24, 25, 26, 0
PT_SCTP = 1


def read_pcap(path):
    """(linktype, [(ts_us, bytes)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = ">"
    else:
        sys.exit("m3ua_pcap: %s is not a classic pcap file (dumpcap -F pcap)" % path)
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, pkts = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkts.append((sec * 1000000 + (frac // 1000 if nano else frac), data[off:off + incl]))
        off += incl
    return linktype, pkts


def tcp_segment(linktype, frame):
    """(src, dst, sport, dport, seq, flags, payload) of an IPv4 TCP frame, or None."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14 or frame[12:14] != b"\x08\x00":
            return None
        ip = frame[14:]
    elif linktype == LINKTYPE_NULL:
        ip = frame[4:]
    else:
        sys.exit("m3ua_pcap: link type %d not handled" % linktype)
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack(">H", ip[2:4])[0]
    tcp = ip[ihl:total]
    if len(tcp) < 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    doff = (tcp[12] >> 4) * 4
    return ip[12:16], ip[16:20], sport, dport, seq, tcp[13], tcp[doff:]


class Stream:
    """One direction of one TCP connection: its bytes, cut into messages."""

    def __init__(self):
        self.next_seq = None
        self.buf = b""
        self.pending = {}

    def add(self, seq, flags, payload, ts):
        if flags & 0x02:                         # SYN takes one sequence number
            self.next_seq = (seq + 1) & 0xffffffff
            return []
        if self.next_seq is None or not payload:
            return []
        self.pending[seq] = (payload, ts)
        out = []
        while self.next_seq in self.pending:
            p, t = self.pending.pop(self.next_seq)
            self.next_seq = (self.next_seq + len(p)) & 0xffffffff
            self.buf += p
            out += self.cut(t)
        return out

    def cut(self, ts):
        out = []
        while len(self.buf) >= 8:
            n = struct.unpack(">I", self.buf[4:8])[0]
            if n < 8 or n > 65536:
                raise ValueError("M3UA length %d" % n)
            if len(self.buf) < n:
                break
            out.append((ts, self.buf[:n]))
            self.buf = self.buf[n:]
        return out


def tlv(tag, value):
    value += b"\0" * (-len(value) % 4)
    return struct.pack(">HH", tag, len(value)) + value


def upper_pdu(src, dst, sport, dport, msg):
    return (tlv(TAG_DISSECTOR, b"m3ua\0") + tlv(TAG_IPV4_SRC, src) + tlv(TAG_IPV4_DST, dst) +
            tlv(TAG_PORT_TYPE, struct.pack(">I", PT_SCTP)) +
            tlv(TAG_SRC_PORT, struct.pack(">I", sport)) +
            tlv(TAG_DST_PORT, struct.pack(">I", dport)) + struct.pack(">HH", TAG_END, 0) + msg)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    port = int(argv[2])
    linktype, pkts = read_pcap(argv[1])
    streams, out = {}, []
    for ts, frame in pkts:
        seg = tcp_segment(linktype, frame)
        if not seg or port not in (seg[2], seg[3]):
            continue
        src, dst, sport, dport, seq, flags, payload = seg
        st = streams.setdefault((src, dst, sport, dport), Stream())
        try:
            for t, msg in st.add(seq, flags, payload, ts):
                out.append((t, upper_pdu(src, dst, sport, dport, msg)))
        except ValueError as e:
            print("m3ua_pcap: %s:%d -> %d: %s" % (".".join(map(str, src)), sport, dport, e),
                  file=sys.stderr)
            return 1
    out.sort(key=lambda x: x[0])
    write_pcapng(argv[3], LINKTYPE_UPPER_PDU, [(m, 0) for _, m in out])
    print("m3ua_pcap: %d M3UA messages" % len(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
