#!/usr/bin/env bash
# tests/tools/frame.sh — txgw-frame on every frame and armoured-text vector
# of tests/vectors/vectors.json against tests/vectors/devices.txt: the
# outcome each vector's "what" names (valid, bad_signature, malformed), the
# frame's sha256, the exit status; then revoked and unknown devices, --file
# (binary and text), bad input and usage errors.  Prints what failed; exit 0
# when all passed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TOOL=${TXGW_BUILDDIR:-$TOP}/gateway/tools/txgw-frame
[ -x "$TOOL" ] || { echo "no $TOOL: build first"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Registries: the vectors' own; one where the Ed25519 device is revoked;
# one without it; one with a bad line.
cp -r "$TOP/tests/vectors/keys" "$TMP/"
sed 's/^\(00112233aabbccdd.*\)active/\1revoked/' "$TOP/tests/vectors/devices.txt" >"$TMP/revoked.txt"
grep -v '^00112233aabbccdd' "$TOP/tests/vectors/devices.txt" >"$TMP/unknown.txt"
printf 'nonsense\n' >"$TMP/bad.txt"

# not exec: the shell's EXIT trap must still remove $TMP; the script's
# status is the checker's
/usr/bin/python3 - "$TOOL" "$TOP" "$TMP" <<'EOF'
import json, re, subprocess, sys

tool, top, tmp = sys.argv[1:4]
devices = top + "/tests/vectors/devices.txt"
vectors = json.load(open(top + "/tests/vectors/vectors.json"))
by_name = {v["name"]: v for v in vectors}
failed = []
checks = 0


def run(*args, stdin=None):
    p = subprocess.run([tool, *args], input=stdin, capture_output=True, timeout=30)
    out = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    return p.returncode, out, p.stderr.decode()


def expect(what, cond, detail=""):
    global checks
    checks += 1
    if not cond:
        failed.append(f"{what}: {detail}")
        print(f"FAIL {what}: {detail}")


def outcome(v):
    for o in ("malformed", "bad_signature"):
        if o in v["what"]:
            return o
    return "ok"


def digest_of(v):
    """The frame sha256 a vector names: its own, or that of the frame its
    "what" refers to (armoured texts)."""
    if "frame" in v:
        return v.get("sha256")
    m = re.search(r"frame-[a-z0-9]+-[a-z0-9]+", v["what"])
    return by_name[m.group(0)].get("sha256") if m else None


def check_obj(name, o, want, digest):
    sig = o.get("signature", {})
    expect(name + " reason", sig.get("reason") == want, f"{sig} want {want}")
    expect(name + " valid", sig.get("valid") == (want == "ok"), str(sig))
    if want == "malformed":
        expect(name + " error", bool(sig.get("error")), str(sig))
    else:
        expect(name + " records", len(o.get("records", [])) == o.get("n_records"), str(o))
    if digest:
        expect(name + " sha256", o.get("frame") == digest, f"{o.get('frame')} want {digest}")


n_vec = 0
for v in vectors:
    want = outcome(v)
    if "frame" in v:
        rc, out, err = run("--registry", devices, v["frame"])
        expect(v["name"] + " one object", len(out) == 1, f"{out} {err}")
        if out:
            check_obj(v["name"], out[0], want, digest_of(v))
            if want == "malformed":
                # the header could be read: the reject names the device
                expect(v["name"] + " device", out[0].get("device") == v["frame"][4:20], str(out[0]))
    elif "text" in v:
        rc, out, err = run("--registry", devices, "--armour", v["text"])
        expect(v["name"] + " one object", len(out) == 1, f"{out} {err}")
        if out:
            check_obj(v["name"], out[0], want, digest_of(v))
            off = out[0].get("offset", -1)
            expect(v["name"] + " offset", v["text"].encode()[off:off + 5] == b"TXL1:", str(off))
    else:
        continue
    n_vec += 1
    expect(v["name"] + " exit", rc == (0 if want == "ok" else 1), f"exit {rc}")
expect("vectors with a frame or text", n_vec == 7, str(n_vec))

ed = by_name["frame-ed25519-1"]
ec = by_name["frame-ecdsa-3"]

# revoked: verifies, but the key is revoked; unknown: not in the registry
rc, out, _ = run("--registry", tmp + "/revoked.txt", ed["frame"])
expect("revoked", rc == 1 and out[0]["signature"] == {"valid": False, "reason": "revoked"}, f"{rc} {out}")
rc, out, _ = run("--registry", tmp + "/revoked.txt", ec["frame"])
expect("revoked registry, other device", rc == 0 and out[0]["signature"]["valid"], f"{rc} {out}")
rc, out, _ = run("--registry", tmp + "/unknown.txt", ed["frame"])
expect("unknown_device", rc == 1 and out[0]["signature"]["reason"] == "unknown_device", f"{rc} {out}")

# several armours in one text: one object per line, in order; any bad one
# makes the exit 1
# (a word after an armour would run on into it: separate with punctuation)
text = "first TXL1:" + by_name["armoured-ed25519-1"]["text"][5:] + "; and " + \
    "TXL1:" + by_name["tpdu-gsm7-concat"]["text"].split("TXL1:")[1] + ". TXL1:AB="
rc, out, _ = run("--registry", devices, "--armour", text)
expect("several: count", len(out) == 3, str(out))
if len(out) == 3:
    expect("several: first", out[0]["frame"] == ed["sha256"] and out[0]["signature"]["valid"], str(out[0]))
    expect("several: second", out[1]["frame"] == ec["sha256"] and out[1]["signature"]["valid"], str(out[1]))
    expect("several: third", out[2]["signature"]["reason"] == "malformed" and
           out[2]["signature"]["error"] == "base64 has wrong padding", str(out[2]))
expect("several: exit", rc == 1, str(rc))
rc, out, _ = run("--registry", devices, "--armour", text.rsplit(". ", 1)[0])
expect("two good armours: exit", rc == 0 and len(out) == 2, f"{rc} {out}")

# --file: binary frame, text, standard input
open(tmp + "/ec.bin", "wb").write(bytes.fromhex(ec["frame"]))
open(tmp + "/text.txt", "w").write(by_name["tpdu-ucs2-concat"]["text"])
rc, out, _ = run("--registry", devices, "--file", tmp + "/ec.bin")
expect("file binary", rc == 0 and out[0]["frame"] == ec["sha256"] and "offset" not in out[0], f"{rc} {out}")
rc, out, _ = run("--registry", devices, "--file", tmp + "/text.txt")
expect("file text", rc == 0 and out[0]["frame"] == ed["sha256"] and out[0]["offset"] > 0, f"{rc} {out}")
rc, out, _ = run("--registry", devices, "--file", "-", stdin=bytes.fromhex(ed["frame"]))
expect("file stdin", rc == 0 and out[0]["frame"] == ed["sha256"], f"{rc} {out}")
rc, out, _ = run("--registry", devices, "--file", tmp + "/none.bin")
expect("file missing", rc == 1 and not out, f"{rc} {out}")

# hex with separators; bad hex; a text without armour
spaced = " ".join(ed["frame"][i:i + 2] for i in range(0, len(ed["frame"]), 2))
rc, out, _ = run("--registry", devices, spaced.upper())
expect("hex spaced", rc == 0 and out[0]["frame"] == ed["sha256"], f"{rc} {out}")
rc, out, _ = run("--registry", devices, "")
expect("empty hex", rc == 1 and out[0]["signature"]["reason"] == "malformed", f"{rc} {out}")
colons = ":".join(ed["frame"][i:i + 2] for i in range(0, len(ed["frame"]), 2))
rc, out, _ = run("--registry", devices, colons + "\n")
expect("hex with colons", rc == 0 and out[0]["frame"] == ed["sha256"], f"{rc} {out}")
for bad in ("0g", "abc", "00 0", "0x00", "+1", "0 0 :z"):
    rc, out, err = run("--registry", devices, bad)
    expect(f"bad hex {bad!r}", rc == 1 and not out and "hex" in err, f"{rc} {out} {err}")
rc, out, err = run("--registry", devices, "--armour", "hello, no frame here")
expect("no armour", rc == 1 and not out and "TXL1:" in err, f"{rc} {out} {err}")

# usage
p = subprocess.run([tool, "--help"], capture_output=True)
expect("help", p.returncode == 0 and b"EXIT STATUS" in p.stdout, str(p.returncode))
for args in ([ed["frame"]], ["--registry", devices], ["--registry", devices, ed["frame"], "--armour", "x"],
             ["--registry", devices, "--bogus", ed["frame"]]):
    p = subprocess.run([tool, *args], capture_output=True)
    expect(f"usage {args[:2]}", p.returncode == 2 and b"usage" in p.stderr, str(p.returncode))
p = subprocess.run([tool, "--registry", tmp + "/bad.txt", ed["frame"]], capture_output=True)
expect("bad registry", p.returncode == 2 and b"bad.txt:1: too few fields" in p.stderr, str(p.stderr))
p = subprocess.run([tool, "--registry", tmp + "/none.txt", ed["frame"]], capture_output=True)
expect("missing registry", p.returncode == 2 and b"cannot open" in p.stderr, str(p.stderr))

print(f"{checks - len(failed)} of {checks} checks passed")
sys.exit(1 if failed else 0)
EOF
