#!/usr/bin/python3
"""capture_check.py --tpdus HEX --a A.tsv --smpp SMPP.json --summary SIM.json
-- what Wireshark saw on the wire against what txgw-handset-sim sent.

HEX is the simulator's --tpdu-out (every SMS-SUBMIT it sent, hex, and
the sending SIM's MSISDN, one a line).  A.tsv is tshark's fields of each GSM SMS on the A interface
(tests/osmocom/m3ua_pcap.py made it readable), columns FIELDS_A below;
SMPP.json the SMPP between osmo-msc and txgw as tshark -T json -J smpp
decodes it.  SIM.json is the simulator's summary
(its "mt": what the handsets received).

Checked, with Wireshark's dissectors as the independent reader:
  - every SMS-SUBMIT sent is on the A interface with the same TP-MR,
    TP-DA, TP-DCS, TP-UDL and user data header (its IEs, the
    destination port, the concatenation reference, total and number);
  - osmo-msc handed each to txgw in one deliver_sm (as many as SMS went
    out, each answered by a deliver_sm_resp) whose destination_addr is
    the TP-DA, whose esm_class has UDHI exactly when TP-UDHI was set, and
    whose user_message_reference is the TP-MR;
  - every SMS-DELIVER on the A interface is in the summary's "mt" with
    the same text.
Prints what osmo-msc put in the deliver_sm (service_type, TONs and NPIs,
esm_class, data_coding by TP-DCS, where the user data was): the facts
doc/osmocom.md states.  Exit 0 when all holds, 1 otherwise.
"""
import argparse
import collections
import json
import sys

FIELDS_A = ["gsm_sms.tp-mti", "gsm_sms.tp-mr", "gsm_sms.tp-da", "gsm_sms.tp-dcs",
            "gsm_sms.tp-udhi", "gsm_sms.tp.user_data_length", "gsm_sms.ie_identifier",
            "gsm_sms.destination_port", "gsm_sms.udh.mm.msg_id", "gsm_sms.udh.mm.msg_parts",
            "gsm_sms.udh.mm.msg_part", "gsm_sms.tp-oa", "gsm_sms.sms_text", "gsm_a.rp.msg_type"]
FIELDS_SMPP = ["smpp.command_id", "smpp.sequence_number", "smpp.service_type",
               "smpp.source_addr_ton", "smpp.source_addr_npi", "smpp.source_addr",
               "smpp.dest_addr_ton", "smpp.dest_addr_npi", "smpp.destination_addr",
               "smpp.esm.submit.msg_mode", "smpp.esm.submit.msg_type", "smpp.esm.submit.features",
               "smpp.data_coding", "smpp.sm_length", "smpp.message_payload",
               "smpp.user_message_reference", "smpp.regdel.receipt", "smpp.command_status"]
DELIVER_SM, DELIVER_SM_RESP, ALERT = 0x00000005, 0x80000005, 0x00000102


def num(s):
    s = s.split(",")[0].strip()
    if not s:
        return None
    return int(s, 16) if s.lower().startswith("0x") else int(s)


def rows(path, fields):
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        cols = line.rstrip("\n").split("\t")
        cols += [""] * (len(fields) - len(cols))
        out.append(dict(zip(fields, cols)))
    return out


def flat(pairs, out):
    """A tshark JSON tree (pairs, duplicate keys kept) as field: value,
    the first occurrence of each field."""
    for k, v in pairs:
        if isinstance(v, list) and v and isinstance(v[0], tuple):
            flat(v, out)
        elif isinstance(v, str):
            out.setdefault(k, v)
    return out


def smpp_pdus(path):
    """Every SMPP PDU of tshark -T json -J smpp: several may share a frame,
    and tshark then repeats the "smpp" key, which json's dict would lose."""
    packets = json.load(open(path, encoding="utf-8"), object_pairs_hook=lambda p: p)
    out = []
    for pkt in packets:
        layers = dict(dict(pkt)["_source"])["layers"]
        for k, v in layers:
            if k == "smpp":
                out.append({f: flat(v, {}).get(f, "") for f in FIELDS_SMPP})
    return out


def submit_of_hex(h):
    """The facts of an SMS-SUBMIT TPDU, as this script reads 3GPP TS 23.040."""
    b = bytes.fromhex(h)
    fo, mr, n = b[0], b[1], b[2]
    i = 4 + (n + 1) // 2
    da = "".join("%d%d" % (x & 15, x >> 4) for x in b[4:i])[:n]
    dcs = b[i + 1]
    vpf = (fo >> 3) & 3
    i += 2 + {0: 0, 2: 1}.get(vpf, 7)
    udl = b[i]
    ieis, port, concat = [], None, (None, None, None)
    if fo & 0x40:
        ud = b[i + 1:]
        j = 1
        while j < 1 + ud[0]:
            iei, ln, d = ud[j], ud[j + 1], ud[j + 2:j + 2 + ud[j + 1]]
            ieis.append(iei)
            if iei == 5:
                port = d[0] << 8 | d[1]
            elif iei == 0:
                concat = (d[0], d[1], d[2])
            elif iei == 8:
                concat = (d[0] << 8 | d[1], d[2], d[3])
            j += 2 + ln
    return (mr, da, dcs, bool(fo & 0x40), udl, tuple(ieis), port) + concat


def submit_of_row(r):
    ieis = tuple(num(x) for x in r["gsm_sms.ie_identifier"].split(",") if x)
    return (num(r["gsm_sms.tp-mr"]), r["gsm_sms.tp-da"], num(r["gsm_sms.tp-dcs"]),
            num(r["gsm_sms.tp-udhi"]) == 1, num(r["gsm_sms.tp.user_data_length"]), ieis,
            num(r["gsm_sms.destination_port"]), num(r["gsm_sms.udh.mm.msg_id"]),
            num(r["gsm_sms.udh.mm.msg_parts"]), num(r["gsm_sms.udh.mm.msg_part"]))


def check_a(problems, sent, a_rows):
    """Every SMS-SUBMIT sent is on the A interface, field for field."""
    seen = collections.Counter(submit_of_row(r) for r in a_rows
                               if num(r["gsm_sms.tp-mti"]) == 1 and num(r["gsm_a.rp.msg_type"]) == 0)
    for s, k in collections.Counter(sent).items():
        if seen[s] < k:
            problems.append("A interface: SMS-SUBMIT %r sent %d times, seen %d" % (s, k, seen[s]))
    return sum(seen.values())


def check_smpp(problems, sent, smpp_rows):
    """One deliver_sm per SMS, answered; its fields; the facts for the doc."""
    dsm = [r for r in smpp_rows if num(r["smpp.command_id"]) == DELIVER_SM]
    resp = [r for r in smpp_rows if num(r["smpp.command_id"]) == DELIVER_SM_RESP]
    if len(dsm) < len(sent):
        problems.append("SMPP: %d deliver_sm for %d SMS sent" % (len(dsm), len(sent)))
    if len(resp) < len(dsm):
        problems.append("SMPP: %d deliver_sm_resp for %d deliver_sm" % (len(resp), len(dsm)))
    want = collections.Counter((s[1], s[3], s[0]) for s in sent)      # (DA, UDHI, MR)
    got = collections.Counter((r["smpp.destination_addr"], num(r["smpp.esm.submit.features"]) & 1 == 1,
                               num(r["smpp.user_message_reference"])) for r in dsm)
    for k, n in want.items():
        if got[k] < n:
            problems.append("SMPP: no deliver_sm for TP-DA %s UDHI %s TP-MR %s" % k)
    facts = collections.Counter()
    for r in dsm:
        facts["service_type %r" % r["smpp.service_type"]] += 1
        facts["source TON %s NPI %s" % (r["smpp.source_addr_ton"], r["smpp.source_addr_npi"])] += 1
        facts["dest TON %s NPI %s" % (r["smpp.dest_addr_ton"], r["smpp.dest_addr_npi"])] += 1
        facts["esm_class mode %s type %s features %s" % (r["smpp.esm.submit.msg_mode"],
              r["smpp.esm.submit.msg_type"], r["smpp.esm.submit.features"])] += 1
        facts["registered_delivery receipt %s" % r["smpp.regdel.receipt"]] += 1
        facts["user data in %s" % ("message_payload" if r["smpp.message_payload"] else
                                   "short_message")] += 1
    return len(dsm), facts


def dcs_map(sent, src, smpp_rows):
    """data_coding by TP-DCS: each SMS paired with its deliver_sm by the
    sender's MSISDN and TP-MR (user_message_reference)."""
    by_key = collections.defaultdict(list)
    for r in smpp_rows:
        if num(r["smpp.command_id"]) == DELIVER_SM:
            by_key[(r["smpp.source_addr"], num(r["smpp.user_message_reference"]))].append(r)
    out = collections.Counter()
    for s, m in zip(sent, src):
        lst = by_key.get((m, s[0]))
        if lst:
            r = lst.pop(0)
            septets = s[2] & 0x0c == 0
            out["TP-DCS 0x%02x -> data_coding %s, sm_length %s for TP-UDL %s%s" % (
                s[2], r["smpp.data_coding"], "%3s" % r["smpp.sm_length"], s[4],
                " septets" if septets else "")] += 1
        else:
            out["TP-DCS 0x%02x -> no deliver_sm from %s with TP-MR %d" % (s[2], m, s[0])] += 1
    return out


def check_mt(problems, a_rows, summary):
    got = collections.Counter(m.get("text") for m in summary.get("mt", []))
    seen = [r["gsm_sms.sms_text"] for r in a_rows
            if num(r["gsm_sms.tp-mti"]) == 0 and num(r["gsm_a.rp.msg_type"]) == 1]
    for t in seen:
        if got[t] < 1:
            problems.append("A interface: SMS-DELIVER %r not in the summary's mt" % t)
        got[t] -= 1
    return len(seen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tpdus", required=True)
    ap.add_argument("--a", required=True)
    ap.add_argument("--smpp", required=True)
    ap.add_argument("--summary", required=True)
    a = ap.parse_args()
    lines = [l.split() for l in open(a.tpdus) if l.strip()]
    sent = [submit_of_hex(w[0]) for w in lines]
    src = [w[1] if len(w) > 1 else "" for w in lines]
    a_rows, smpp_rows = rows(a.a, FIELDS_A), smpp_pdus(a.smpp)
    summary = json.load(open(a.summary))
    problems = []
    n_a = check_a(problems, sent, a_rows)
    n_dsm, facts = check_smpp(problems, sent, smpp_rows)
    n_mt = check_mt(problems, a_rows, summary)
    alerts = sum(1 for r in smpp_rows if num(r["smpp.command_id"]) == ALERT)
    print("capture_check: %d SMS-SUBMIT sent; %d on the A interface; %d deliver_sm; "
          "%d SMS-DELIVER; %d alert_notification" % (len(sent), n_a, n_dsm, n_mt, alerts))
    for k, n in sorted(facts.items()) + sorted(dcs_map(sent, src, smpp_rows).items()):
        print("  deliver_sm: %-60s x%d" % (k, n))
    for p in problems[:30]:
        print("  " + p)
    if problems:
        print("capture_check: FAIL (%d problems)" % len(problems))
        return 1
    print("capture_check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
