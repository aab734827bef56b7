#!/usr/bin/python3
"""tshark_compare.py — compare txgw-tpdu with Wireshark's GSM SMS dissector.

    /usr/bin/python3 tests/tools/tshark_compare.py --txgw gateway/tools/txgw-tpdu [FILE]

FILE (default standard input) holds lines "mo HEX" (MS->SC) or "mt HEX"
(SC->MS), as tests/tools/tpdu_gen prints them.  All TPDUs go into one
pcapng file, link type 147 (DLT_USER0) mapped to gsm_sms, each packet
marked inbound (MO) or outbound (MT) with epb_flags; tshark reads it once
(-T pdml, reassembly off) and txgw-tpdu decodes the MO and the MT TPDUs
(one run per direction, TPDUs on standard input).  Per TPDU we compare:

  type     the message type (TP-MTI read in the packet's direction)
  addr     TP-OA / TP-DA / TP-RA: digits or alphanumeric text, TON, NPI
  dcs      the TP-DCS octet, and the alphabet where tshark names one
  udh      the IEIs in order, concatenation ref/total/seq, ports dst/src
  text     the decoded text of GSM 7-bit and UCS-2 user data (tshark shows
           none for 8-bit data: then it must show none, and the octets
           after the UDH must equal ours)

Prints a summary (TPDUs compared, agreement per field) and every
disagreement with its TPDU hex.  Exits 0 when everything agrees except
the tshark bugs listed in TSHARK_QUIRKS below, each handled for its exact
case only; 1 on any other disagreement; 2 on bad usage or when a tool
cannot be run.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapng  # noqa: E402

USER_DLT = 'uat:user_dlts:"User 0 (DLT=147)","gsm_sms","0","","0",""'

FIELDS = ('type', 'addr', 'dcs', 'udh', 'text')

# Our type names (tpdu_json.c) and tshark's (the gsm_sms protocol item).
TYPE_NAMES = {
    'sms-deliver': 'SMS-DELIVER',
    'sms-deliver-report': 'SMS-DELIVER REPORT',
    'sms-submit': 'SMS-SUBMIT',
    'sms-submit-report': 'SMS-SUBMIT REPORT',
    'sms-status-report': 'SMS-STATUS REPORT',
    'sms-command': 'SMS-COMMAND',
}
ADDR_KEYS = {'sms-deliver': 'oa', 'sms-submit': 'da', 'sms-command': 'da',
             'sms-status-report': 'ra'}
TS_ADDR = {'oa': 'gsm_sms.tp-oa', 'da': 'gsm_sms.tp-da', 'ra': 'gsm_sms.tp-ra'}


def read_input(f):
    """[(dir, bytes)] from lines "mo HEX" / "mt HEX"."""
    out = []
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ('mo', 'mt'):
            raise ValueError('line %d: expected "mo HEX" or "mt HEX"' % n)
        out.append((parts[0], bytes.fromhex(parts[1])))
    return out


# ---- txgw-tpdu ----

def run_txgw(tool, tpdus):
    """One JSON object per TPDU, in input order: one txgw-tpdu run per
    direction, TPDUs on standard input."""
    result = [None] * len(tpdus)
    for d in ('mo', 'mt'):
        idx = [i for i, (dd, _) in enumerate(tpdus) if dd == d]
        if not idx:
            continue
        stdin = ''.join(tpdus[i][1].hex() + '\n' for i in idx)
        p = subprocess.run([tool, '--' + d], input=stdin.encode(),
                           stdout=subprocess.PIPE, check=False)
        lines = p.stdout.decode('utf-8').splitlines()
        if len(lines) != len(idx):
            raise RuntimeError('txgw-tpdu --%s printed %d lines for %d TPDUs (exit %d)'
                               % (d, len(lines), len(idx), p.returncode))
        for i, line in zip(idx, lines):
            result[i] = json.loads(line)
    return result


def txgw_view(j):
    """The compared fields as txgw-tpdu shows them."""
    if 'error' in j:
        return {'error': j['error']}
    v = {'type': TYPE_NAMES.get(j['type'], j['type'])}
    key = ADDR_KEYS.get(j['type'])
    if key:
        a = j[key]
        v['addr'] = (a.get('digits', a.get('text')), a['ton'], a['npi'])
    else:
        v['addr'] = None
    v['dcs'] = j['dcs']['value'] if 'dcs' in j else None
    v['alphabet'] = j['dcs']['alphabet'] if 'dcs' in j else None
    v['udh'] = udh_view_txgw(j.get('udh'))
    v['text'] = j.get('text')
    v['ud'] = j.get('ud')
    v['septets'] = j.get('ud_unit') == 'septets'
    v['pi'] = j.get('pi')
    v['udhi'] = j.get('udhi')
    return v


def udh_view_txgw(ies):
    if ies is None:
        return None
    out = []
    for ie in ies:
        item = [ie['iei']]
        if 'concat' in ie:
            c = ie['concat']
            item += [c['ref'], c['total'], c['seq']]
        elif 'ports' in ie:
            item += [ie['ports']['dst'], ie['ports']['src']]
        out.append(tuple(item))
    return out


# ---- tshark ----

def protect_attr_whitespace(data):
    """tshark writes CR, LF and TAB raw inside PDML attribute values, where
    an XML parser would turn them into spaces (XML 1.0 §3.3.3); write them
    as character references first.  Attribute values never hold a raw '"'
    (tshark writes &quot;), so a quoted run is one attribute value."""
    def fix(m):
        return (m.group(0).replace(b'\r', b'&#13;').replace(b'\n', b'&#10;')
                .replace(b'\t', b'&#9;'))
    return re.sub(rb'="[^"]*"', fix, data)


def run_tshark(tshark, pcap):
    p = subprocess.run([tshark, '-n', '-r', pcap, '-o', USER_DLT,
                        '-o', 'gsm_sms.reassemble:FALSE', '-T', 'pdml'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise RuntimeError('tshark failed: ' + p.stderr.decode(errors='replace'))
    root = ET.fromstring(protect_attr_whitespace(p.stdout))
    return [tshark_view(pk) for pk in root.iter('packet')]


def fields(elem):
    """All named fields under elem, depth first: [(name, element)]."""
    return [(f.get('name'), f) for f in elem.iter('field') if f.get('name')]


def tshark_view(packet):
    """The compared fields as tshark shows them."""
    proto = None
    for p in packet.findall('proto'):
        if p.get('name') == 'gsm_sms':
            proto = p
    if proto is None:
        return {'error': 'no gsm_sms'}
    fl = fields(proto)
    first = {}
    for name, f in fl:
        first.setdefault(name, f)
    v = {'type': proto.get('showname').replace('GSM SMS TPDU (GSM 03.40) ', '')}
    v['malformed'] = any(p.get('name') == '_ws.malformed' for p in packet.findall('proto'))
    v['addr'] = None
    for key, name in TS_ADDR.items():
        if name in first:
            v['addr'] = (first[name].get('show'),
                         int(first['gsm_sms.dis_field_addr.num_type'].get('show')),
                         int(first['gsm_sms.dis_field_addr.num_plan'].get('show')))
    v['dcs'] = int(first['gsm_sms.tp-dcs'].get('show')) if 'gsm_sms.tp-dcs' in first else None
    v['alphabet'] = tshark_alphabet(first)
    v['udh'] = tshark_udh(proto)
    v['text'] = first['gsm_sms.sms_text'].get('show') if 'gsm_sms.sms_text' in first else None
    body = first.get('gsm_sms.sms_body')
    v['body'] = body.get('value') if body is not None else None
    udl = first.get('gsm_sms.tp.user_data_length')
    v['udl'] = int(udl.get('show')) if udl is not None else None
    # TP-CD is a text-less item in tshark: keep where it is, in octets
    cd = first.get('gsm_sms.tp.command_data')
    v['cd'] = (int(cd.get('pos')), int(cd.get('size'))) if cd is not None else None
    return v


def tshark_alphabet(first):
    """The alphabet where tshark names one: general groups (character_set)
    and group 1111 (message_coding); None for the groups it says nothing
    about in a field (the MWI groups name it only in prose)."""
    cs = first.get('gsm_sms.dcs.character_set')
    if cs is not None:
        return ['gsm7', '8bit', 'ucs2', 'reserved'][int(cs.get('show'), 16)]
    mc = first.get('gsm_sms.dcs.message_coding')
    if mc is not None:
        return ['gsm7', '8bit'][int(mc.get('show'))]
    return None


def tshark_udh(proto):
    """IEs of the UDH in order, as (iei, ...typed values)."""
    hdr = None
    for f in proto.iter('field'):
        if f.get('show') == 'User-Data Header':
            hdr = f
            break
    if hdr is None:
        return None
    out = []
    for ie in hdr.findall('field'):
        sub = {n: f.get('show') for n, f in fields(ie)}
        if 'gsm_sms.ie_identifier' not in sub:
            continue
        item = [int(sub['gsm_sms.ie_identifier'], 16)]
        if 'gsm_sms.udh.mm.msg_id' in sub:
            item += [int(sub['gsm_sms.udh.mm.msg_id']), int(sub['gsm_sms.udh.mm.msg_parts']),
                     int(sub['gsm_sms.udh.mm.msg_part'])]
        elif 'gsm_sms.destination_port' in sub:
            item += [int(sub['gsm_sms.destination_port']), int(sub['gsm_sms.originator_port'])]
        out.append(tuple(item))
    return out


# ---- comparison ----

def tshark_display(text):
    """Our text as tshark's PDML "show" attribute prints it.  tshark 4.0
    keeps space, TAB, LF and CR but writes the other C0 controls as
    backslash, 'x' and the code in lower-case hex without a leading zero.
    Of the GSM 7-bit alphabet only FF (extension table, ESC 0x0A) is such
    a control: "a\x0cb" is shown as the five characters a\\xcb.  This is
    display, not decoding, so we write ours the same way (exact; nothing
    is skipped)."""
    if text is None:
        return None
    return re.sub('[\x00-\x08\x0b\x0c\x0e-\x1f]', lambda m: '\\x%x' % ord(m.group()), text)


def compare(ours, theirs):
    """{field: (ours, theirs)} for each disagreement; {} when all agree."""
    bad = {}
    if 'error' in ours or 'error' in theirs:
        return {'decode': (ours.get('error'), theirs.get('error'))}
    if ours['type'] != theirs['type']:
        return {'type': (ours['type'], theirs['type'])}
    addr = ours['addr']
    if addr is not None and addr[1] == 5:
        addr = (tshark_display(addr[0]),) + addr[1:]
    if addr != theirs['addr']:
        bad['addr'] = (addr, theirs['addr'])
    if ours['dcs'] != theirs['dcs']:
        bad['dcs'] = (ours['dcs'], theirs['dcs'])
    elif theirs['alphabet'] is not None and ours['alphabet'] != theirs['alphabet']:
        bad['dcs'] = (ours['alphabet'], theirs['alphabet'])
    if ours['udh'] != theirs['udh']:
        bad['udh'] = (ours['udh'], theirs['udh'])
    t = text_mismatch(ours, theirs)
    if t:
        bad['text'] = t
    return bad


def text_mismatch(ours, theirs):
    """None when the text agrees, else (ours, theirs).  8-bit user data has
    no text in tshark (sms_body, the octets after the UDH, instead) and the
    TP-CD of an SMS-COMMAND is octets: those are compared as hex."""
    if ours['type'] == 'SMS-COMMAND':
        # an empty TP-CD (TP-CDL 0) has no item in tshark
        cd = theirs['cd'] or ''
        return None if cd == ours['ud'] else (ours['ud'], cd)
    if ours['text'] is None and not ours['septets'] and ours['ud']:
        if theirs['text'] is None and theirs['body'] == ours['ud']:
            return None
        return (ours['ud'], theirs['body'] if theirs['text'] is None else theirs['text'])
    want = tshark_display(ours['text']) or None
    got = theirs['text'] or None
    return None if want == got else (want, got)


# ---- known tshark 4.0 bugs ----
#
# Each function below recognises one bug of tshark 4.0.17's gsm_sms
# dissector on its exact case (checked against the TPDU bytes) and returns
# the fields it explains; a disagreement in any other field still counts.

def submit_vp_offset(raw):
    """Offset of TP-VP in an SMS-SUBMIT (23.040 §9.2.2.2): first octet,
    TP-MR, TP-DA (2 + ceil(digits / 2) octets), TP-PID, TP-DCS."""
    return 2 + 2 + (raw[2] + 1) // 2 + 2


def quirk_enhanced_relative_vp(raw, ours, theirs):
    """An enhanced TP-VP (TP-VPF 01, 23.040 §9.2.3.12.3) is always 7
    octets, but when its functionality indicator says "relative" (bits
    2-0 = 001) tshark 4.0 steps over 2 octets only and reads TP-UDL from
    the relative value octet, so the user data (UDH and text) it shows are
    garbage.  Minimal case: SMS-SUBMIT 09 00 01 91 f1 00 00 01 a7 00 00 00
    00 00 01 31 ("1") -- tshark shows TP-UDL 167 and a malformed packet.
    Explains udh and text; type, address and DCS come before the TP-VP
    and are still compared."""
    if ours['type'] != 'SMS-SUBMIT' or (raw[0] >> 3) & 3 != 1:
        return ()
    off = submit_vp_offset(raw)
    if raw[off] & 0x87 != 0x01 or theirs['udl'] != raw[off + 1]:
        return ()
    return ('udh', 'text')


def quirk_report_ud_without_dcs(raw, ours, theirs):
    """In SMS-DELIVER-REPORT, SMS-SUBMIT-REPORT and SMS-STATUS-REPORT a
    TP-PI may announce TP-UDL without TP-DCS; 23.040 §9.2.3.27 says TP-DCS
    is then taken as 0x00 (GSM 7-bit), but tshark 4.0 shows the user data
    as 8-bit octets (sms_body, no text).  Minimal case: SMS-SUBMIT-REPORT
    (MT) 01 04 40 40 22 81 71 24 35 01 42 ("B") -- tshark shows SMS body
    42.  Explains text when tshark's body is the TPDU's last octets and at
    least as long as our septets packed."""
    if ours['type'] not in ('SMS-DELIVER REPORT', 'SMS-SUBMIT REPORT', 'SMS-STATUS REPORT'):
        return ()
    pi = ours['pi'] or 0
    body = theirs['body'] or ''
    if not (pi & 0x04) or (pi & 0x02) or theirs['text'] is not None:
        return ()
    packed = (len(ours['ud'] or '') // 2 * 7 + 7) // 8
    if not raw.hex().endswith(body) or len(body) // 2 < packed or (packed and not body):
        return ()
    return ('text',)


def quirk_command_udh(raw, ours, theirs):
    """An SMS-COMMAND with TP-UDHI carries a UDH at the start of TP-CD
    (23.040 §9.2.2.4, §9.2.3.24); tshark 4.0 does not parse it and shows
    the whole TP-CD as octets.  Minimal case: SMS-COMMAND 42 00 00 00 00 01
    91 f1 05 04 04 02 10 20 (UDH port 16 <- 32, empty CD) -- tshark shows
    TP-Command-Data 04 04 02 10 20 and no IE.  Explains udh and text (the
    octets) when tshark's TP-CD is our UDH followed by our data."""
    if ours['type'] != 'SMS-COMMAND' or not ours['udhi'] or theirs['udh'] is not None:
        return ()
    cd = bytes.fromhex(theirs['cd'] or '')
    if not cd or 1 + cd[0] + len(ours['ud']) // 2 != len(cd):
        return ()
    if not cd.hex().endswith(ours['ud']) or not raw.endswith(cd):
        return ()
    return ('udh', 'text')


TSHARK_QUIRKS = (quirk_enhanced_relative_vp, quirk_report_ud_without_dcs, quirk_command_udh)


def explain(raw, ours, theirs, bad):
    """Remove from bad what a known tshark bug explains.  Returns the names
    of the bugs that applied."""
    used = []
    for q in TSHARK_QUIRKS:
        if not bad:
            break
        fields_ = [f for f in q(raw, ours, theirs) if f in bad]
        if fields_:
            used.append(q.__name__)
            for f in fields_:
                del bad[f]
    return used


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--txgw', required=True, help='path of txgw-tpdu')
    ap.add_argument('--tshark', default='tshark')
    ap.add_argument('--keep', help='write the pcapng file here and keep it')
    ap.add_argument('--max-report', type=int, default=50,
                    help='disagreements printed in full (default 50)')
    ap.add_argument('input', nargs='?', type=argparse.FileType('r'), default=sys.stdin)
    args = ap.parse_args()
    try:
        tpdus = read_input(args.input)
    except ValueError as e:
        print('tshark_compare: %s' % e, file=sys.stderr)
        return 2
    pkts = [(b, pcapng.INBOUND if d == 'mo' else pcapng.OUTBOUND) for d, b in tpdus]
    with tempfile.TemporaryDirectory() as tmp:
        pcap = args.keep or os.path.join(tmp, 'tpdus.pcapng')
        pcapng.write_pcapng(pcap, pcapng.LINKTYPE_USER0, pkts)
        try:
            ts = run_tshark(args.tshark, pcap)
            ours = run_txgw(args.txgw, tpdus)
        except (OSError, RuntimeError) as e:
            print('tshark_compare: %s' % e, file=sys.stderr)
            return 2
    if len(ts) != len(tpdus):
        print('tshark_compare: tshark shows %d packets for %d TPDUs' % (len(ts), len(tpdus)),
              file=sys.stderr)
        return 2
    for (_, raw), v in zip(tpdus, ts):
        if v.get('cd') is not None:
            pos, size = v['cd']
            v['cd'] = raw[pos:pos + size].hex()
    return report(tpdus, [txgw_view(j) for j in ours], ts, args.max_report)


def report(tpdus, ours, theirs, max_report):
    agree = {f: 0 for f in FIELDS}
    quirks = {q.__name__: 0 for q in TSHARK_QUIRKS}
    n_bad = 0
    for i, ((d, raw), o, t) in enumerate(zip(tpdus, ours, theirs)):
        bad = compare(o, t)
        for name in explain(raw, o, t, bad) if 'decode' not in bad else ():
            quirks[name] += 1
        for f in FIELDS:
            if f not in bad and 'decode' not in bad:
                agree[f] += 1
        if bad:
            n_bad += 1
            if n_bad <= max_report:
                print('DISAGREE #%d %s %s' % (i + 1, d, raw.hex()))
                for f, (a, b) in bad.items():
                    print('  %-6s txgw:   %r\n         tshark: %r' % (f, a, b))
    n = len(tpdus)
    print('%d TPDUs compared (%d MO, %d MT)' % (n, sum(d == 'mo' for d, _ in tpdus),
                                                sum(d == 'mt' for d, _ in tpdus)))
    for f in FIELDS:
        print('  %-5s %d/%d agree' % (f, agree[f], n))
    for name, k in quirks.items():
        print('  known tshark bug %s: %d TPDUs' % (name[len('quirk_'):], k))
    print('%d disagreements' % n_bad)
    return 1 if n_bad else 0


if __name__ == '__main__':
    sys.exit(main())
