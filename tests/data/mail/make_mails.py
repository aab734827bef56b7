#!/usr/bin/python3
"""Write the sample mails of tests/data/mail/ with Python's email package
(an encoder independent of mail/mime.c), from tests/vectors/vectors.json.

Run from anywhere: /usr/bin/python3 tests/data/mail/make_mails.py
The .eml files are committed; test_mime_extract.c reads them and knows
which frames each must give.  Line ends are CRLF, as SMTP carries them."""
import base64
import json
import os
from email import policy
from email.message import EmailMessage, MIMEPart
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, "..", "..", "vectors", "vectors.json")
POL = policy.SMTP  # CRLF line ends

vec = {v["name"]: v for v in json.load(open(VEC))}
ED = bytes.fromhex(vec["frame-ed25519-1"]["frame"])
EC = bytes.fromhex(vec["frame-ecdsa-3"]["frame"])


def armour(frame):
    return "TXL1:" + base64.b64encode(frame).decode()


def head(msg, subject):
    msg["From"] = "handset@example.net"
    msg["To"] = "txlog@txlog.example"
    msg["Subject"] = subject
    return msg


def frame_part(frame):
    return MIMEApplication(frame, "vnd.txlog", policy=POL)


def write(name, msg):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(msg.as_bytes(policy=POL))


def main():
    m = head(MIMEMultipart(policy=POL), "one frame attached")
    m.attach(MIMEText("Upload attached.\n", policy=POL))
    m.attach(frame_part(ED))
    write("attach-b64.eml", m)

    m = head(MIMEMultipart(policy=POL), "two frames attached")
    m.attach(frame_part(ED))
    m.attach(MIMEText("between\n", policy=POL))
    m.attach(frame_part(EC))
    write("two-attach.eml", m)

    # quoted-printable: a long line the encoder breaks with soft line breaks
    m = head(EmailMessage(policy=POL), "armour in quoted-printable")
    m.set_content("Bonjour, voilà : " + armour(EC) + ", fin.\n", charset="utf-8",
                  cte="quoted-printable")
    write("qp-armour.eml", m)

    # multipart/alternative: the HTML part holds another frame, to be ignored
    m = head(MIMEMultipart("alternative", policy=POL), "plain and html")
    m.attach(MIMEText("Frame: " + armour(ED) + "\n", policy=POL))
    m.attach(MIMEText("<p>" + armour(EC) + "</p>\n", "html", policy=POL))
    outer = head(MIMEMultipart(policy=POL), "mixed around alternative")
    del m["From"], m["To"], m["Subject"]
    outer.attach(m)
    outer.attach(MIMEApplication(b"\x89PNG\r\n\x1a\n", "octet-stream", policy=POL))
    write("alternative-html.eml", outer)

    # a forwarded mail (message/rfc822) carrying an attachment
    inner = head(MIMEMultipart(policy=POL), "original")
    inner.attach(MIMEText("see attachment\n", policy=POL))
    inner.attach(frame_part(EC))
    m = head(MIMEMultipart(policy=POL), "Fwd: original")
    m.attach(MIMEText("Forwarding.\n", policy=POL))
    m.attach(MIMEMessage(inner, policy=POL))
    write("forwarded.eml", m)

    # UTF-16 with a BOM (what Python's utf-16 codec writes), base64
    m = head(MIMEPart(policy=POL), "utf-16")
    text = "Übertragung " + armour(ED) + " ✓ Danke.\n"
    m.set_content(text.encode("utf-16"), "text", "plain", cte="base64")
    m.set_param("charset", "utf-16")
    del m["MIME-Version"]
    m["MIME-Version"] = "1.0"
    write("utf16.eml", m)

    # UTF-16LE without a BOM
    m = head(MIMEPart(policy=POL), "utf-16le")
    m.set_content((armour(EC) + "\n").encode("utf-16-le"), "text", "plain", cte="base64")
    m.set_param("charset", "utf-16le")
    write("utf16le.eml", m)

    # ISO-8859-1, quoted-printable, 8-bit letters around the armour
    m = head(EmailMessage(policy=POL), "latin-1")
    m.set_content("Grüße aus Köln: " + armour(ED) + ", Déjà.\n", charset="iso-8859-1",
                  cte="quoted-printable")
    write("latin1.eml", m)

    # windows-1252 (through iconv): the euro sign is 0x80 there
    m = head(MIMEPart(policy=POL), "windows-1252")
    m.set_content(("Preis 5 € " + armour(EC) + "\n").encode("cp1252"), "text", "plain",
                  cte="8bit")
    m.set_param("charset", "windows-1252")
    write("cp1252.eml", m)

    m = head(EmailMessage(policy=POL), "just words")
    m.set_content("Hello, no frame here. TXL is not TXL1.\n")
    write("noframe.eml", m)

    # a frame attachment whose base64 is garbage: a malformed frame
    m = head(MIMEMultipart(policy=POL), "bad base64")
    m.attach(MIMEText("one good, one bad\n", policy=POL))
    m.attach(frame_part(ED))
    bad = frame_part(EC)
    bad.set_payload(bad.get_payload().replace("A", "!", 1))
    m.attach(bad)
    write("bad-b64.eml", m)


if __name__ == "__main__":
    main()
