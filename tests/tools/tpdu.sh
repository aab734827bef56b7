#!/usr/bin/env bash
# tests/tools/tpdu.sh — gateway/tools/txgw-tpdu on the TPDU vectors of
# tests/vectors/vectors.json, and its command line.
#
# For every case with "tpdus", what its "what" says is checked on the
# tool's JSON: the type (SMS-SUBMIT, "xN" parts), the coding (7-bit,
# 8-bit, UCS-2), UDH port and concatenation (8-bit ref 0x5A, 16-bit ref
# 0x1234), the case's "text" against the reassembled text, and the frame
# it names: the reassembled octets of a binary case, or the TXL1: armour
# in the text, decoded with Python's base64, equal to that frame's hex.
# Then --help (exit 0), bad usage (exit 2), bad hex and a truncated TPDU
# (exit 1 with an error object).  Builds nothing.
#
#   TXGW_BUILD_DIR   where the built programs are (default: the top dir)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TOOL=${TXGW_BUILD_DIR:-$TOP}/gateway/tools/txgw-tpdu
VECTORS=$TOP/tests/vectors/vectors.json
[ -x "$TOOL" ] || { echo "not built: $TOOL (run make first)"; exit 1; }

fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

echo "== vectors"
/usr/bin/python3 - "$TOOL" "$VECTORS" <<'EOF' || fail=1
import base64, json, re, subprocess, sys

tool, vectors = sys.argv[1], sys.argv[2]
cases = json.load(open(vectors))
frames = {c['name']: c['frame'] for c in cases if 'frame' in c}
failed = 0


def check(cond, name, msg):
    global failed
    print('%s %s: %s' % ('ok  ' if cond else 'FAIL', name, msg))
    if not cond:
        failed += 1


def decode(tpdus):
    """txgw-tpdu --mo --reassemble on the parts (stdin): the parts' JSON
    objects and the reassembled one (or None for a single part)."""
    p = subprocess.run([tool, '--mo', '--reassemble'], input='\n'.join(tpdus) + '\n',
                       capture_output=True, text=True, check=False)
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    parts = [o for o in objs if 'reassembled' not in o]
    joined = [o['reassembled'] for o in objs if 'reassembled' in o]
    return p.returncode, parts, joined[0] if joined else None


def armour_frame(text):
    """The frame in the text's TXL1: armour (RFC 4648 base64, spaces and
    line breaks allowed inside), as hex; None without an armour."""
    m = re.search(r'TXL1:([A-Za-z0-9+/=\s]+)', text)
    if not m:
        return None
    b64 = re.sub(r'\s', '', m.group(1))
    return base64.b64decode(b64 + '=' * (-len(b64) % 4), validate=True).hex()


def ies(part, iei):
    return [ie for ie in part.get('udh', []) if ie['iei'] == iei]


def check_case(c):
    name, what, tpdus = c['name'], c['what'], c['tpdus']
    rc, parts, joined = decode(tpdus)
    check(rc == 0 and len(parts) == len(tpdus), name, 'decodes, %d part(s), exit %d' % (len(parts), rc))
    if len(parts) != len(tpdus):
        return
    m = re.search(r'SMS-SUBMIT(?: x(\d+))?', what)
    check(m is not None, name, '"what" names the type')
    if m:
        n = int(m.group(1) or 1)
        check(len(tpdus) == n and all(p['type'] == 'sms-submit' for p in parts), name,
              'SMS-SUBMIT x%d' % n)
    da = {p['da'].get('digits') for p in parts} | {p['da']['ton'] for p in parts}
    check(da == {'886900000001', 1}, name, 'TP-DA +886900000001')
    coding = {'8-bit': '8bit', '7-bit': 'gsm7', 'UCS-2': 'ucs2'}
    named = [a for k, a in coding.items() if k in what.replace('UDH concat 8-bit', '')]
    check(len(named) == 1, name, '"what" names one coding: %s' % named)
    if named:
        check(all(p['dcs']['alphabet'] == named[0] for p in parts), name, 'coding %s' % named[0])
    m = re.search(r'port (\d+)', what)
    if m:
        port = int(m.group(1))
        check(all([ie['ports']['dst'] for ie in ies(p, 5)] == [port] for p in parts), name,
              'UDH port16 destination %d in every part' % port)
    m = re.search(r'(8|16)-bit ref (0x[0-9A-Fa-f]+)', what)
    if m:
        bits, ref = int(m.group(1)), int(m.group(2), 16)
        iei = 0 if bits == 8 else 8
        got = [(ie['concat']['ref'], ie['concat']['total'], ie['concat']['seq'])
               for p in parts for ie in ies(p, iei)]
        want = [(ref, len(parts), i + 1) for i in range(len(parts))]
        check(got == want, name, 'concat %d-bit ref 0x%X, parts 1..%d in order' % (bits, ref, len(parts)))
        check(joined is not None and joined['ref'] == ref and joined['ref_bits'] == bits, name,
              'reassembled with ref 0x%X' % ref)
    elif len(parts) == 1:
        check(joined is None and not any(ies(parts[0], 0) + ies(parts[0], 8)), name, 'not concatenated')
    whole = joined if joined is not None else parts[0]
    text = whole.get('text')
    if 'text' in c:
        check(text == c['text'], name, 'reassembled text equals the vector text (%d chars)' % len(c['text']))
    if 'extension chars' in what:
        check(text is not None and any(ch in text for ch in '^{}\\[~]|€'), name,
              'text has GSM extension characters')
    if 'fill bits' in what:
        # the first part's UDH is 7 octets = 8 septets: its text starts on
        # a septet boundary, 0 fill bits (23.040 §9.2.3.24); a decoder that
        # always skips fill bits shifts every character of that part
        first = parts[0].get('text', '')
        check(len(first) > 20 and c['text'].startswith(first), name,
              'part 1 alone is the start of the text (no fill-bit shift)')
    if 'emoji' in what:
        check(text is not None and any(ord(ch) > 0xffff for ch in text), name, 'text has a non-BMP emoji')
    m = re.search(r'(armoured )?(frame-[a-z0-9-]+)', what)
    check(m is not None and m.group(2) in frames, name, '"what" names a known frame')
    if m and m.group(2) in frames:
        frame = frames[m.group(2)]
        if m.group(1):
            got = armour_frame(text or '')
            check(got == frame, name, 'armour in the text decodes to %s' % m.group(2))
        else:
            check(whole.get('ud') == frame, name, 'user data is %s (%d octets)' % (m.group(2), len(frame) // 2))


n = 0
for c in cases:
    if 'tpdus' in c:
        n += 1
        check_case(c)
check(n >= 5, 'vectors', '%d TPDU cases' % n)
sys.exit(1 if failed else 0)
EOF

echo "== command line"
out=$("$TOOL" --help) && [ -n "$out" ] && ok "--help exits 0" || bad "--help"
set +e
"$TOOL" --bogus >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "bad option exits 2" || bad "bad option: exit $rc"
"$TOOL" -x >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "bad short option exits 2" || bad "bad short option: exit $rc"
# Not hex: txgw-tpdu says so on stderr (naming the input) and prints no
# object, since there are no octets to show.  A sign or a 0x is not hex
# (strtoul() once took "+1"), nor is an odd number of digits.
for h in zz12 +100 0x00 0011g2 001; do
	err=$("$TOOL" --mo "$h" 2>&1 >/dev/null); rc=$?
	out=$("$TOOL" --mo "$h" 2>/dev/null)
	if [ $rc = 1 ] && [ -z "$out" ] && [[ $err == *"$h"* ]]; then
		ok "bad hex '$h': exit 1, message on stderr"
	else
		bad "bad hex '$h': exit $rc, stdout '$out', stderr '$err'"
	fi
done
set -e

# A truncated TPDU: the first vector TPDU without its last octet; then an
# odd number of hex digits.  Each must give exit 1 and one error object.
first=$(/usr/bin/python3 -c 'import json,sys; print([c for c in json.load(open(sys.argv[1])) if "tpdus" in c][0]["tpdus"][0])' "$VECTORS")
short=${first:0:$((${#first} - 2))}
set +e
json=$("$TOOL" --mo "$short" 2>/dev/null); rc=$?
set -e
if [ $rc = 1 ] && /usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["error"] == "truncated" and o["errno"] < 0 and o["dir"] == "mo", o
assert o["tpdu"] == sys.argv[2], o
' "$json" "$short"; then
	ok "truncated TPDU: exit 1, error object {error: truncated}"
else
	bad "truncated TPDU: exit $rc, output $json"
fi
set +e
json=$(printf '%s\n' "$first" "${short}" | "$TOOL" --mo 2>/dev/null); rc=$?
set -e
lines=$(printf '%s\n' "$json" | wc -l)
if [ $rc = 1 ] && [ "$lines" = 2 ] && printf '%s\n' "$json" | head -n 1 | grep -q '"type":"sms-submit"' &&
	printf '%s\n' "$json" | tail -n 1 | grep -q '"error":"truncated"'; then
	ok "stdin: a good TPDU then a truncated one: one object each, exit 1"
else
	bad "stdin good+truncated: exit $rc, $lines lines"
fi

[ $fail = 0 ] && echo "all passed" || echo "FAILED"
exit $fail
