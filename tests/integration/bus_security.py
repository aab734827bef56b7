#!/usr/bin/python3
"""bus_security.py -- an independent client of the txgw bus (python3-zmq),
for tests/integration/bus_security.sh: who may connect and what a client
may do (bus.md, "Who may connect" and "Replay").  Written from bus.md, not
from the C code.

    bus_security.py replay EP [KEYS] [--from N] [--max M] [--timeout S]
        One ["REPLAY", N, M]; prints "END <next> <count>" or
        "ERROR <arg> <count>" and exits 0, or prints "timeout" and exits 1.
    bus_security.py subscribe EP [KEYS] [--timeout S] [--ready FILE]
        A SUB socket subscribed to everything: exit 0 when a message arrives,
        1 at the timeout; FILE is created when the handshake succeeded.
    bus_security.py bigsub EP SIZE [KEYS] [--timeout S]
        Send one subscription of SIZE bytes; print "disconnected" when the
        gateway drops the connection (exit 0), "still connected" (exit 1).
    bus_security.py jam EP [KEYS] [--n N] [--max M]
        A DEALER that asks N replays of M messages, never reads, waits
        until the answers have started to come, then closes (linger 0).
    bus_security.py busy EP [KEYS] [--n N] [--max M] [--timeout S]
        N replay requests of M messages sent at once without reading, then
        everything read: prints the closing answers in order, e.g.
        "END END END END ERROR:busy", and the messages of each.
    bus_security.py keypair SECRET PUBLIC
        A key pair made by libzmq (not by txgw-keygen), in the key file
        format of bus.md.

KEYS: --server-key KEY|FILE --key SECRET-FILE (CURVE client); without them
the socket speaks plain ZMTP.
"""
import argparse
import importlib.util
import os
import sys
import time

import zmq
import zmq.utils.monitor

# the key files as tests/tools/bus-sub.py reads them
_spec = importlib.util.spec_from_file_location(
    "bus_sub", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "bus-sub.py"))
bus_sub = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bus_sub)


def socket(a, kind):
    s = zmq.Context.instance().socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    return bus_sub.curve(s, a.server_key, a.key)


def replay(a):
    d = socket(a, zmq.DEALER)
    d.connect(a.ep)
    d.send_multipart([b"REPLAY", str(a.from_seq).encode(), str(a.max).encode()])
    n, end = 0, time.monotonic() + a.timeout
    while time.monotonic() < end:
        if not d.poll(max(1, int((end - time.monotonic()) * 1000))):
            break
        fr = d.recv_multipart()
        if fr[0] in (b"END", b"ERROR"):
            print("%s %s %d" % (fr[0].decode(), fr[1].decode(), n))
            return 0
        n += 1
    print("timeout")
    return 1


def subscribe(a):
    s = socket(a, zmq.SUB)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    mon = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    s.connect(a.ep)
    end = time.monotonic() + a.timeout
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(mon, zmq.POLLIN)
    got = False
    while not got and time.monotonic() < end:
        ev = dict(poller.poll(max(1, int((end - time.monotonic()) * 1000))))
        if mon in ev:
            zmq.utils.monitor.recv_monitor_message(mon)
            if a.ready:
                open(a.ready, "w").close()
        got = s in ev
    s.disable_monitor()
    mon.close()
    s.close()
    return 0 if got else 1


def bigsub(a):
    s = socket(a, zmq.XSUB)
    mon = s.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
    s.connect(a.ep)
    s.send(b"\x01" + b"t" * (a.size - 1))     # a subscription (ZMTP 3.0 form)
    end = time.monotonic() + a.timeout
    connected, ev = False, 0
    while time.monotonic() < end:
        if not mon.poll(max(1, int((end - time.monotonic()) * 1000))):
            break
        ev = zmq.utils.monitor.recv_monitor_message(mon)["event"]
        if ev == zmq.EVENT_CONNECTED:
            connected = True
        elif ev == zmq.EVENT_DISCONNECTED and connected:
            print("disconnected")
            break
    else:
        print("still connected" if connected else "never connected")
    # no close: libzmq would free the XSUB's own record of the subscription
    # (a trie of one node per byte) recursively, and overflow the stack
    sys.stdout.flush()
    os._exit(0 if connected and ev == zmq.EVENT_DISCONNECTED else 1)


def asked_unread(a):
    """A DEALER with small queues that asked a.n replays of a.max messages
    and has not read: once the answers have started to come (peeked, not
    read), the gateway is writing into a queue nobody empties."""
    d = socket(a, zmq.DEALER)
    d.setsockopt(zmq.RCVHWM, 1)
    d.setsockopt(zmq.RCVBUF, 4096)
    d.connect(a.ep)
    for _ in range(a.n):
        d.send_multipart([b"REPLAY", b"1", str(a.max).encode()])
    end = time.monotonic() + 5
    while not d.getsockopt(zmq.EVENTS) & zmq.POLLIN and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.5)                 # until the gateway is blocked on us
    return d


def jam(a):
    asked_unread(a).close()
    return 0


def busy(a):
    d = asked_unread(a)
    closings, counts, n = [], [], 0
    end = time.monotonic() + a.timeout
    while len(closings) < a.n and time.monotonic() < end:
        if not d.poll(100):
            continue
        fr = d.recv_multipart()
        if fr[0] == b"END":
            closings.append("END")
        elif fr[0] == b"ERROR":
            closings.append("ERROR:" + fr[1].decode())
        else:
            n += 1
            continue
        counts.append(n)
        n = 0
    print(" ".join(closings))
    print(" ".join(map(str, counts)))
    return 0 if len(closings) == a.n else 1


def keypair(a):
    pub, sec = zmq.curve_keypair()
    old = os.umask(0o077)
    with open(a.secret, "w") as f:
        f.write("# made by bus_security.py\n%s\n" % sec.decode())
    os.umask(old)
    with open(a.public, "w") as f:
        f.write("%s\n" % pub.decode())
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("replay", "subscribe", "bigsub", "jam", "busy"):
        c = sub.add_parser(name)
        c.add_argument("ep")
        if name == "bigsub":
            c.add_argument("size", type=int)
        c.add_argument("--server-key")
        c.add_argument("--key")
        c.add_argument("--from", dest="from_seq", type=int, default=1)
        c.add_argument("--max", type=int, default=10000)
        c.add_argument("--n", type=int, default=64)
        c.add_argument("--timeout", type=float, default=5)
        c.add_argument("--ready")
    c = sub.add_parser("keypair")
    c.add_argument("secret")
    c.add_argument("public")
    a = p.parse_args()
    return globals()[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
