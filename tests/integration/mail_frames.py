#!/usr/bin/python3
"""mail_frames.py -- signed TXLOG v1 frames and mails carrying them, for the
mail integration tests and the mail benchmark.

Frames are built from the layout in doc/txlog-v1.md section 2 and signed
with the test vectors' Ed25519 key (tests/vectors/keys/*.key, PKCS#8 PEM)
through the openssl command (`openssl pkeyutl -sign -rawin`), since
Python's standard library has no Ed25519.  Ed25519 is deterministic, so
`python3 mail_frames.py --self-test VECTORS.json KEY` rebuilds the vector
frame-ed25519-1 byte for byte.

As a module:
    s = Signer(KEYFILE)                 # Ed25519 device 00112233aabbccdd key 1
    f = s.frame(upload_seq, [record(counter, ...)], created)
    m = mail_with_frame(f, "a@handset.example", "up@txlog.example", "subj")
    frames = s.frames(specs, jobs=8)    # many at once, signed in parallel
As a command:
    mail_frames.py --key KEY --out FILE --upload-seq N --counter C
        writes one mail (RFC 5322, CRLF) with one frame attachment
        (--frame-only: the bare frame).
"""
import argparse
import concurrent.futures
import json
import struct
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

DEVICE = 0x00112233AABBCCDD     # the vectors' Ed25519 device (devices.txt)
KEY_ID = 1
ALG_ED25519 = 2
TOPUP = 2                       # doc/txlog-v1.md 2.3: balance + amount
TWD = 901


def record(counter, rtype=TOPUP, time_s=1764101001, currency=TWD, amount=100,
           balance=None, peer=0xABCDEF, item=b""):
    """One record (doc/txlog-v1.md 2.2): 28 bytes + item.  By default a
    topup of 100 whose balance is counter * 100, so that consecutive
    counters are consistent (no balance_mismatch)."""
    if balance is None:
        balance = counter * 100
    if len(item) > 32:
        raise ValueError("item longer than 32 bytes")
    return struct.pack(">IBIHIIQB", counter, rtype, time_s, currency, amount, balance,
                       peer, len(item)) + item


def header(upload_seq, created, n_records, device=DEVICE, key_id=KEY_ID, alg=ALG_ED25519):
    """The 20-byte header (doc/txlog-v1.md 2.1)."""
    if not 1 <= n_records <= 32:
        raise ValueError("n_records must be 1..32")
    return struct.pack(">BBQBIIB", 1, alg, device, key_id, upload_seq, created, n_records)


class Signer:
    """Signs with one PKCS#8 Ed25519 key: in-process with python3-cryptography
    when it is installed (much faster for the benchmark's thousands of
    frames), else through the openssl command.  via="openssl" forces the
    command."""

    def __init__(self, keyfile, via=None):
        self.keyfile = keyfile
        self.key = None
        if via != "openssl":
            try:
                from cryptography.hazmat.primitives.serialization import load_pem_private_key
                with open(keyfile, "rb") as f:
                    self.key = load_pem_private_key(f.read(), password=None)
            except ImportError:
                pass

    def sign(self, data):
        """Pure Ed25519 (RFC 8032) over data: 64 bytes."""
        if self.key is not None:
            return self.key.sign(data)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            out = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey",
                                  self.keyfile, "-in", f.name],
                                 check=True, capture_output=True).stdout
        if len(out) != 64:
            raise RuntimeError("openssl gave a signature of %d bytes" % len(out))
        return out

    def frame(self, upload_seq, records, created=1764100500):
        """A whole frame: header, records, signature."""
        body = header(upload_seq, created, len(records)) + b"".join(records)
        return body + self.sign(body)

    def frames(self, specs, jobs=8):
        """specs: [(upload_seq, [record, ...]), ...] -> frames, same order."""
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            return list(ex.map(lambda s: self.frame(s[0], s[1]), specs))


def mail_with_frame(frame, mail_from, rcpt, subject, text="transaction log attached"):
    """An RFC 5322 message (CRLF line ends) with the frame as an
    application/vnd.txlog attachment in base64 (doc/txlog-v1.md 5.2)."""
    m = EmailMessage()
    m["From"] = mail_from
    m["To"] = rcpt
    m["Subject"] = subject
    m["Message-ID"] = "<%s@handset.example>" % subject.replace(" ", ".")
    m.set_content(text)
    m.add_attachment(frame, maintype="application", subtype="vnd.txlog", filename="log.txl")
    return m.as_bytes(policy=SMTP_POLICY)


def self_test(vectors, keyfile):
    """Rebuild frame-ed25519-1 (doc/txlog-v1.md 2.6) from its fields."""
    v = {c["name"]: c for c in json.load(open(vectors))}
    want = bytes.fromhex(v["frame-ed25519-1"]["frame"])
    rc = 0
    for via in ("openssl", None):
        s = Signer(keyfile, via)
        how = "python3-cryptography" if s.key is not None else "the openssl command"
        got = s.frame(1, [record(1001, rtype=1, amount=12500, balance=87500)], created=1764100500)
        if got != want:
            print("mail_frames: self-test FAILED (%s)\n got  %s\n want %s" % (how, got.hex(), want.hex()))
            rc = 1
        else:
            print("mail_frames: frame-ed25519-1 rebuilt byte for byte, signed with %s" % how)
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--self-test", nargs=2, metavar=("VECTORS", "KEY"))
    p.add_argument("--key")
    p.add_argument("--out")
    p.add_argument("--upload-seq", type=int, default=1)
    p.add_argument("--counter", type=int, default=1)
    p.add_argument("--from", dest="mail_from", default="bench@handset.example")
    p.add_argument("--to", default="upload@txlog.example")
    p.add_argument("--frame-only", action="store_true", help="write the bare frame, no mail")
    a = p.parse_args()
    if a.self_test:
        return self_test(*a.self_test)
    if not a.key or not a.out:
        p.error("--key and --out are needed (or --self-test)")
    f = Signer(a.key).frame(a.upload_seq, [record(a.counter)])
    with open(a.out, "wb") as out:
        out.write(f if a.frame_only else
                  mail_with_frame(f, a.mail_from, a.to, "log %d" % a.upload_seq))
    return 0


if __name__ == "__main__":
    sys.exit(main())
