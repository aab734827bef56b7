"""pcapng.py — a minimal pcapng writer for the tests (run by /usr/bin/python3).

Writes one Section Header Block, one Interface Description Block and one
Enhanced Packet Block per packet (pcapng, IETF draft-ietf-opsawg-pcapng,
sections 4.1, 4.2, 4.3), little-endian.  A packet may carry the epb_flags
option (section 4.3.1) with its direction: Wireshark's gsm_sms dissector
reads that to tell MS->SC (inbound) from SC->MS (outbound) TPDUs.

    from pcapng import write_pcapng, INBOUND, OUTBOUND
    write_pcapng(path, 147, [(b'...', INBOUND), (b'...', OUTBOUND)])

or from the shell: /usr/bin/python3 pcapng.py in < tpdus.hex > tpdus.pcapng
"""
import struct

LINKTYPE_USER0 = 147        # DLT_USER0: private use, no protocol of its own

# epb_flags bits 1-0 (section 4.3.1): 00 not available, 01 inbound, 10 outbound
UNKNOWN = 0
INBOUND = 1
OUTBOUND = 2

_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_OPT_END, _EPB_FLAGS = 0, 2


def _pad4(b):
    return b + b'\0' * (-len(b) % 4)


def _block(btype, body):
    """A block: type, total length, body (padded to 32 bits), total length."""
    body = _pad4(body)
    total = 12 + len(body)
    return struct.pack('<II', btype, total) + body + struct.pack('<I', total)


def _option(code, value):
    return struct.pack('<HH', code, len(value)) + _pad4(value)


def shb():
    """Section Header Block, version 1.0, section length unknown (-1)."""
    return _block(_SHB, struct.pack('<IHHq', _BYTE_ORDER_MAGIC, 1, 0, -1))


def idb(linktype, snaplen=0):
    """Interface Description Block; snaplen 0 = no limit."""
    return _block(_IDB, struct.pack('<HHI', linktype, 0, snaplen))


def epb(data, direction=UNKNOWN, timestamp_us=0, interface=0):
    """Enhanced Packet Block with the whole packet captured."""
    body = struct.pack('<IIIII', interface, (timestamp_us >> 32) & 0xffffffff,
                       timestamp_us & 0xffffffff, len(data), len(data))
    body += _pad4(bytes(data))
    if direction:
        body += _option(_EPB_FLAGS, struct.pack('<I', direction & 3))
        body += _option(_OPT_END, b'')
    return _block(_EPB, body)


def pcapng_bytes(linktype, packets):
    """The file's bytes; packets are (data, direction) pairs, one a
    microsecond apart so that every packet has its own time."""
    out = [shb(), idb(linktype)]
    for i, (data, direction) in enumerate(packets):
        out.append(epb(data, direction, timestamp_us=1_000_000 + i))
    return b''.join(out)


def write_pcapng(path, linktype, packets):
    with open(path, 'wb') as f:
        f.write(pcapng_bytes(linktype, packets))


def _main(argv):
    """pcapng.py in|out|mixed < lines > file.pcapng: one TPDU (hex) a line,
    all inbound or all outbound; with "mixed", lines "mo HEX" (inbound) or
    "mt HEX" (outbound)."""
    import sys
    if len(argv) != 2 or argv[1] not in ('in', 'out', 'mixed'):
        print('usage: pcapng.py in|out|mixed < hex-lines > file.pcapng', file=sys.stderr)
        return 2
    packets = []
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if argv[1] == 'mixed':
            packets.append((bytes.fromhex(words[1]), INBOUND if words[0] == 'mo' else OUTBOUND))
        else:
            packets.append((bytes.fromhex(words[0]), INBOUND if argv[1] == 'in' else OUTBOUND))
    sys.stdout.buffer.write(pcapng_bytes(LINKTYPE_USER0, packets))
    return 0


if __name__ == '__main__':
    import sys
    sys.exit(_main(sys.argv))
