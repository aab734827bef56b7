#!/usr/bin/python3
"""downlink_errors.py EP all|receiver -- the answers of txgw's send socket
(doc/downlink.md), written from the spec alone; see downlink_errors.sh."""
import base64
import json
import sys
import time

import zmq

ep, what = sys.argv[1], sys.argv[2]
ctx = zmq.Context()


def client():
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ep)
    return s


def ask(s, frames, timeout=5):
    s.send_multipart(frames)
    if not s.poll(timeout * 1000):
        return None
    return [f.decode() for f in s.recv_multipart()]


def send(s, obj):
    return ask(s, [b"SEND", (obj if isinstance(obj, str) else json.dumps(obj)).encode()])


bad = []


def want(got, verb, i, detail, what):
    if got != [verb, i, detail]:
        bad.append("%s: got %s, want %s" % (what, got, [verb, i, detail]))


s = client()
P = "3q2+7w=="
if what == "receiver":
    want(send(s, {"id": "rx", "msisdn": "1", "payload": P}), "ERROR", "rx", "no_bearer", "receiver only")
else:
    cases = [
        ("not JSON", "{", "", "bad_request"),
        ("not an object", "[1]", "", "bad_request"),
        ("unknown field", {"id": "e1", "msisdn": "1", "payload": P, "priority": 1}, "e1", "bad_request"),
        ("wrong type", {"id": "e2", "msisdn": 886912345678, "payload": P}, "e2", "bad_request"),
        ("no address", {"id": "e3", "payload": P}, "e3", "bad_request"),
        ("two addresses", {"id": "e4", "msisdn": "1", "device": "1122334455667788", "payload": P},
         "e4", "bad_request"),
        ("bad id", {"id": "e/5", "msisdn": "1", "payload": P}, "", "bad_request"),
        ("id of 65", {"id": "x" * 65, "msisdn": "1", "payload": P}, "", "bad_request"),
        ("duplicate key", '{"id":"e6","id":"e6","msisdn":"1","payload":"%s"}' % P, "", "bad_request"),
        ("bad base64", {"id": "e7", "msisdn": "1", "payload": "3q2+7w="}, "e7", "bad_request"),
        ("empty payload", {"id": "e8", "msisdn": "1", "payload": ""}, "e8", "bad_request"),
        ("bad expires", {"id": "e9", "msisdn": "1", "payload": P, "expires": "tomorrow"}, "e9",
         "bad_request"),
        ("receipt not bool", {"id": "e10", "msisdn": "1", "payload": P, "receipt": "yes"}, "e10",
         "bad_request"),
        ("1,001 bytes", {"id": "e11", "msisdn": "1", "payload": base64.b64encode(bytes(1001)).decode()},
         "e11", "too_large"),
        ("65,537 bytes", {"id": "e12", "mail": "a@b.example",
                          "payload": base64.b64encode(bytes(65537)).decode()}, "e12", "too_large"),
        ("unknown device", {"id": "e13", "device": "99999999999999aa", "payload": P}, "e13",
         "unknown_device"),
        ("revoked", {"id": "e14", "device": "2222222222222222", "payload": P}, "e14", "revoked"),
        ("no MSISDN", {"id": "e15", "device": "3333333333333333", "payload": P}, "e15", "no_address"),
        ("mail, no relay", {"id": "e16", "mail": "ops@txlog.example", "payload": P}, "e16", "no_bearer"),
    ]
    for name, req, i, reason in cases:
        want(send(s, req), "ERROR", i, reason, name)
    for frames in ([b"SEND"], [b"SEND", b"{}", b"{}"], [b"QUEUE", b"{}"]):
        want(ask(s, frames), "ERROR", "", "bad_request", "frames %s" % frames)
    # the same id twice: the first seq, whatever the second says
    want(send(s, {"id": "ok-1", "msisdn": "+886912345678", "payload": P}), "QUEUED", "ok-1", "1", "first")
    want(send(s, {"id": "ok-1", "device": "1122334455667788", "payload": "AAAA"}), "QUEUED", "ok-1",
         "1", "again")
    # over the size limit: the connection goes, no answer; another client is served
    big = client()
    got = ask(big, [b"SEND", b"{\"id\":\"huge\",\"payload\":\"" + b"A" * (192 * 1024) + b"\"}"], 2)
    if got is not None:
        bad.append("a frame over 192 KiB was answered: %s" % got[:2])
    want(send(client(), {"id": "ok-1", "msisdn": "1", "payload": P}), "QUEUED", "ok-1", "1", "after")
if bad:
    print("FAIL downlink_errors:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("downlink_errors.py: %s: all answers as downlink.md says" % what)
