#!/usr/bin/python3
"""The attacker's pass over the downlink's send socket (doc/security.md
section 4), against a running txgw with a downlink node and an esme that
can transmit but is never bound (every valid SMS request is QUEUED and
stays pending).  Measures like pass.py (VmRSS/VmHWM, CPU, descriptors, log
growth, "show info" latency) and, after each attack, how long a second,
well-behaved DEALER waits for the answer to one SEND.  Asserts nothing.

    downlink.py --pid PID --log FILE --stats SOCK --send PORT [--only A,B]
"""
import argparse, base64, json, os, socket, sys, time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
P = __import__("importlib").import_module("pass")  # snap(), info_ms(), run()

A = None
CTX = zmq.Context()
SEQ = [0]


def req(i, size=100, **kw):
    r = dict(id=i, msisdn="886912345678",
         payload=base64.b64encode(b"x" * size).decode())
    r.update(kw)
    return [b"SEND", json.dumps(r).encode()]


def dealer(ident=None, rcvhwm=0):
    s = CTX.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, rcvhwm)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.setsockopt(zmq.SNDHWM, 0)
    if ident:
        s.setsockopt(zmq.IDENTITY, ident)
    s.connect("tcp://127.0.0.1:%d" % A.send)
    return s


def recv_n(s, n, t):
    got, end, what = 0, time.monotonic() + t, {}
    while got < n and time.monotonic() < end:
        if s.poll(200):
            m = s.recv_multipart()
            k = m[0].decode() + ("/" + m[2].decode() if m[0] == b"ERROR" else "")
            what[k] = what.get(k, 0) + 1
            got += 1
    return got, what


def good_client_ms():
    """A second client: one fresh SEND, time to its answer."""
    SEQ[0] += 1
    s = dealer()
    t0 = time.monotonic()
    s.send_multipart(req("good-%d-%d" % (os.getpid(), SEQ[0])))
    ok = s.poll(10000)
    dt = (time.monotonic() - t0) * 1000
    ans = s.recv_multipart()[0].decode() if ok else "none"
    s.close()
    return "good client %s in %.0f ms" % (ans, dt)


def flood(n, mk, read=True, t=120):
    def f():
        s = dealer(rcvhwm=0 if read else 1)
        t0 = time.monotonic()
        for i in range(n):
            s.send_multipart(mk(i))
        got, what = recv_n(s, n, t) if read else (0, {})
        dt = time.monotonic() - t0
        g = good_client_ms()
        if not read:
            got, what = recv_n(s, n, 20)
        s.close()
        return "%d sent, %d answers in %.1fs %s; %s" % (n, got, dt, what, g)
    return f


def unread_many(clients, n):
    """clients DEALERs that each send n bad requests and never read."""
    def f():
        socks = []
        for c in range(clients):
            s = dealer(rcvhwm=1)
            for _ in range(n):
                s.send_multipart([b"SEND", b"{}"])
            socks.append(s)
        time.sleep(3)
        g = good_client_ms()
        for s in socks:
            s.close()
        return "%d clients x %d requests, never read; %s" % (clients, n, g)
    return f


def identities(n):
    def f():
        socks = []
        for i in range(n):
            s = dealer(b"id-%d" % i)
            s.send_multipart(req("ident-%d-%d" % (os.getpid(), i)))
            socks.append(s)
        got = sum(recv_n(s, 1, 5)[0] for s in socks)
        g = good_client_ms()
        for s in socks:
            s.close()
        return "%d identities, %d answered; %s" % (n, got, g)
    return f


def raw_junk(n):
    def f():
        held = []
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", A.send), 5)
            c.sendall(os.urandom(64))
            held.append(c)
        g = good_client_ms()
        for c in held:
            c.close()
        return "%d raw connections of junk; %s" % (n, g)
    return f


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--send", type=int, required=True)
    p.add_argument("--only", default="")
    A = p.parse_args()
    A.only = set(A.only.split(",")) - {""}
    P.A = A
    tag = "%d" % os.getpid()
    P.run("send_distinct", flood(30000, lambda i: req("d-%s-%d" % (tag, i))))
    P.run("send_same", flood(20000, lambda i: req("same-" + tag)))
    P.run("send_bad", flood(20000, lambda i: [b"SEND", b"{"]))
    P.run("send_toolarge", flood(500, lambda i: req("big-%d" % i, size=140000)))
    P.run("send_unread", flood(60000, lambda i: [b"SEND", b"{}"], read=False))
    P.run("send_identities", identities(500))
    P.run("send_raw_junk", raw_junk(200))
    P.run("send_mail_64k", flood(1000, lambda i: [b"SEND", json.dumps(dict(
        id="m-%s-%d" % (tag, i), mail="dev@handset.example",
        payload=base64.b64encode(os.urandom(65535)).decode())).encode()]))
    P.run("send_expired", flood(50000, lambda i: req("x-%s-%d" % (tag, i),
                                                     expires="2020-01-01T00:00:00Z")))
    P.run("send_expired2", flood(50000, lambda i: req("y-%s-%d" % (tag, i),
                                                      expires="2020-01-01T00:00:00Z")))
    P.run("send_unread_many", unread_many(20, 30000))
    P.run("send_distinct2", flood(30000, lambda i: req("e-%s-%d" % (tag, i))))


if __name__ == "__main__":
    main()
