#!/usr/bin/python3
"""Decode every test vector with the project's tools and show the result.

For each case of tests/vectors/vectors.json: a frame goes through
txgw-frame, armoured text through txgw-frame --armour, TPDUs through
txgw-tpdu --reassemble and then, whatever they carry (a binary frame or
armoured text), through txgw-frame.  One line per case: what the vector
says, what the tools made of it.  Exit 1 if a tool fails to run.
"""
import json
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TPDU = os.path.join(TOP, "gateway", "tools", "txgw-tpdu")
FRAME = os.path.join(TOP, "gateway", "tools", "txgw-frame")
VEC = os.path.join(TOP, "tests", "vectors")
REG = os.path.join(VEC, "devices.txt")


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p.returncode, lines, p.stderr.strip()


def frame_verdict(objs):
    out = []
    for o in objs:
        sig = o.get("signature", {})
        if "error" in o and not sig:
            out.append("malformed: " + o["error"])
        elif sig.get("valid"):
            recs = o.get("records", [])
            types = ",".join(r.get("type", "?") for r in recs)
            out.append("valid, device %s, %d record(s) %s" % (o.get("device", "?"), len(recs), types))
        else:
            err = sig.get("error", o.get("error", ""))
            out.append(sig.get("reason", "invalid") + (": " + err if err else ""))
    return "; ".join(out) or "no frame"


def through_frame(case):
    if "frame" in case:
        return run([FRAME, "--registry", REG, case["frame"]])
    return run([FRAME, "--registry", REG, "--armour", case["text"]])


def through_tpdus(case):
    rc, objs, err = run([TPDU, "--mo", "--reassemble"], "\n".join(case["tpdus"]) + "\n")
    parts = [o for o in objs if "tpdu" in o]
    whole = [o["reassembled"] for o in objs if "reassembled" in o]
    payload = whole[0] if whole else (parts[0] if parts else {})
    desc = "%d TPDU(s) %s %s" % (len(parts), parts[0]["type"] if parts else "?",
                                 parts[0]["dcs"]["alphabet"] if parts else "?")
    if "text" in payload:
        frc, fobjs, ferr = run([FRAME, "--registry", REG, "--armour", payload["text"]])
    else:
        frc, fobjs, ferr = run([FRAME, "--registry", REG, payload.get("ud", "")])
    return desc, frc, fobjs


def main():
    cases = json.load(open(os.path.join(VEC, "vectors.json")))
    for tool in (TPDU, FRAME):
        if not os.access(tool, os.X_OK):
            print("demo: %s is not built (run ./quickstart build)" % tool, file=sys.stderr)
            return 1
    print("%-20s %-70s\n%-20s %s" % ("vector", "what it is", "", "what txgw's tools make of it"))
    print("-" * 100)
    for c in cases:
        if "tpdus" in c:
            desc, rc, objs = through_tpdus(c)
            verdict = desc + " -> " + frame_verdict(objs)
        else:
            rc, objs, err = through_frame(c)
            verdict = frame_verdict(objs) or err
        print("%-20s %s\n%-20s -> %s (exit %d)" % (c["name"], c["what"], "", verdict, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
