#!/usr/bin/python3
"""contrib/bench/downlink_load.py — the clients of contrib/bench/downlink.sh.

  burst    queue N SENDs on txgw's send socket with WINDOW outstanding,
           then follow the bus until every one is submitted
  latency  SEND -> QUEUED: N one at a time, then an open loop at RATE a
           second for SECONDS; then follow the bus until every one is
           submitted
  kannel   N sendsms requests to Kannel's smsbox over HTTP (keep-alive),
           from PROCS processes of THREADS threads each, then Kannel's
           admin status until it says every one is sent
  peer     the simulator's summary: submit_sm taken, and the rate from the
           first to the last one taken (the peer's own clock)

Every message is the same: 100 octets, one part, no receipt, to one MSISDN.
Progress goes to stderr once a second; results to stdout as "key value"
lines and a human line.  Every wait is bounded (--timeout).
"""
import argparse
import base64
import http.client
import json
import multiprocessing
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

MSISDN = "886912345678"
PAYLOAD = bytes(100)
UDH = "%06%05%04%3f%e2%3f%e2"	# 16-bit port IE, 16354 -> 16354 (doc/downlink.md)


def progress(what):
    print("downlink.sh: " + what, file=sys.stderr, flush=True)


def pct(lat, p):
    return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000


class Txgw:
    def __init__(self, send, pub):
        import zmq
        self.zmq = zmq
        self.ctx = zmq.Context()
        self.d = self.ctx.socket(zmq.DEALER)
        self.d.setsockopt(zmq.LINGER, 0)
        self.d.setsockopt(zmq.RCVHWM, 0)	# no answer dropped by the ROUTER when we lag
        self.d.connect(send)
        self.s = self.ctx.socket(zmq.SUB)
        self.s.setsockopt(zmq.SUBSCRIBE, b"txlog.downlink")
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.setsockopt(zmq.RCVHWM, 0)	# every event kept: the client reads them late
        self.s.connect(pub)
        self.p64 = base64.b64encode(PAYLOAD).decode()
        self.submitted, self.failed = set(), []
        time.sleep(0.3)		# the SUB's subscription reaches the PUB

    def req(self, i):
        return [b"SEND", json.dumps({"id": i, "msisdn": MSISDN, "payload": self.p64}).encode()]

    def answer(self):
        a = self.d.recv_multipart()
        if a[0] != b"QUEUED":
            sys.exit("downlink_load: answer %r" % a)
        return a[1].decode()

    def events(self, wait_ms):
        """Take the bus's events for wait_ms at most."""
        while self.s.poll(wait_ms):
            wait_ms = 0
            _, payload = self.s.recv_multipart()
            p = json.loads(payload)
            if p.get("state") == "submitted":
                self.submitted.add(p["id"])
            elif p.get("state") == "failed":
                self.failed.append(p)

    def wait_submitted(self, ids, timeout):
        end, last = time.time() + timeout, 0
        while time.time() < end:
            self.events(200)
            got = len(ids & self.submitted)
            if got == len(ids) or self.failed:
                break
            if time.time() - last >= 1:
                progress("txgw: %d of %d submitted" % (got, len(ids)))
                last = time.time()
        got = len(ids & self.submitted)
        if self.failed:
            print("downlink_load: failed: %s" % self.failed[:3], file=sys.stderr)
        return got


def cmd_burst(a):
    t = Txgw(a.send, a.pub)
    ids = ["%s%d" % (a.prefix, i) for i in range(a.n)]
    t0, sent, got, last = time.perf_counter(), 0, 0, 0
    while got < a.n:
        while sent < a.n and sent - got < a.window:
            t.d.send_multipart(t.req(ids[sent]))
            sent += 1
        if not t.d.poll(a.timeout * 1000):
            sys.exit("downlink_load: no answer in %d s" % a.timeout)
        t.answer()
        got += 1
        # the bus's events wait until the end (RCVHWM 0): a client that
        # parses them meanwhile takes the core txgw would use
        if time.perf_counter() - last >= 1:
            progress("txgw: %d of %d queued" % (got, a.n))
            last = time.perf_counter()
    dt = time.perf_counter() - t0
    print("queued %d" % a.n)
    print("queue_rate %.0f" % (a.n / dt))
    sub = t.wait_submitted(set(ids), a.timeout)
    print("submitted %d" % sub)
    return 0 if sub == a.n else 1


def cmd_latency(a):
    t = Txgw(a.send, a.pub)
    ids = set()
    lat = []
    for k in range(a.one):
        i = "%s1-%d" % (a.prefix, k)
        ids.add(i)
        t0 = time.perf_counter()
        t.d.send_multipart(t.req(i))
        if not t.d.poll(a.timeout * 1000):
            sys.exit("downlink_load: no answer in %d s" % a.timeout)
        t.answer()
        lat.append(time.perf_counter() - t0)
    lat.sort()
    print("one_p50_ms %.2f" % pct(lat, 0.5))
    print("one_p99_ms %.2f" % pct(lat, 0.99))
    print("one_max_ms %.2f" % (lat[-1] * 1000))
    progress("txgw: %d one at a time: p50 %.2f ms, p99 %.2f ms" % (a.one, pct(lat, 0.5), pct(lat, 0.99)))
    # the open loop: request k leaves at start + k / rate, whatever the
    # answers do; its latency from when it left
    sent_at, lat, n = {}, [], int(a.rate * a.seconds)
    start = time.perf_counter()
    k, last, quiet = 0, start, None
    while k < n or len(lat) < n:
        now = time.perf_counter()
        if k >= n and quiet is None:
            quiet = now
        if quiet is not None and now - quiet > 5:
            break		# answers lost (txgw drops those a client does not read)
        while k < n and start + k / a.rate <= now:
            i = "%s2-%d" % (a.prefix, k)
            ids.add(i)
            sent_at[i] = last_send = time.perf_counter()
            t.d.send_multipart(t.req(i))
            k += 1
        # at least 1 ms: a busy loop would take a core from txgw; what is
        # due meanwhile goes together
        wait = max(0.001, start + k / a.rate - time.perf_counter()) if k < n else 1.0
        if t.d.poll(int(wait * 1000 + 0.999)):
            while t.d.poll(0):
                i = t.answer()
                lat.append(time.perf_counter() - sent_at.pop(i))
            quiet = None
        if now - last >= 1:
            # the bus's events wait (RCVHWM 0) until the end: parsing a
            # second of them here stalled this loop for 0.1-0.2 s
            progress("txgw: half load %.0f/s: %d sent, %d queued" % (a.rate, k, len(lat)))
            last = now
    took = last_send - start
    # what was not answered is asked again, as a client does (doc/downlink.md:
    # the same id gets the same answer); not in the figures, but counted
    lost = len(sent_at)
    for i in list(sent_at):
        t.d.send_multipart(t.req(i))
    end = time.time() + a.timeout
    while sent_at and time.time() < end:
        if t.d.poll(1000):
            sent_at.pop(t.answer(), None)
    if sent_at:
        sys.exit("downlink_load: %d requests never answered (%s ...; %d of them submitted)"
                 % (len(sent_at), sorted(sent_at)[:3], len(set(sent_at) & t.submitted)))
    lat.sort()
    print("open_rate %.0f" % ((n - 1) / took if took > 0 else 0))
    print("open_n %d" % n)
    print("open_lost %d" % lost)
    print("open_p50_ms %.2f" % pct(lat, 0.5))
    print("open_p99_ms %.2f" % pct(lat, 0.99))
    print("open_max_ms %.2f" % (lat[-1] * 1000))
    sub = t.wait_submitted(ids, a.timeout)
    print("submitted %d" % sub)
    print("sent %d" % len(ids))
    return 0 if sub == len(ids) else 1


def kannel_worker(port, path, counter, lock, n, errors, threads):
    def run():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if counter.value >= n:
                    return
                counter.value += 1
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            if r.status != 202:
                with lock:
                    errors.value += 1
                print("downlink_load: sendsms: %d %r" % (r.status, body[:80]), file=sys.stderr)
    ts = [threading.Thread(target=run) for _ in range(threads)]
    for x in ts:
        x.start()
    for x in ts:
        x.join()


def kannel_status(admin):
    u = "http://127.0.0.1:%d/status.txt?password=bench" % admin
    txt = urllib.request.urlopen(u, timeout=5).read().decode(errors="replace")
    m = re.search(r"SMS: received \d+ \(\d+ queued\), sent (\d+) \((\d+) queued\)", txt)
    if not m:
        sys.exit("downlink_load: Kannel's status says no SMS counts:\n" + txt[:400])
    return int(m.group(1)), int(m.group(2))


def cmd_kannel(a):
    path = ("/cgi-bin/sendsms?username=bench&password=bench&to=%s&coding=1&udh=%s&text=%s"
            % (MSISDN, UDH, urllib.parse.quote_from_bytes(PAYLOAD)))
    sent0, _ = kannel_status(a.admin)
    counter, errors = multiprocessing.Value("l", 0), multiprocessing.Value("l", 0)
    lock = multiprocessing.Lock()
    procs = [multiprocessing.Process(target=kannel_worker,
                                     args=(a.port, path, counter, lock, a.n, errors, a.threads))
             for _ in range(a.procs)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    end = time.time() + a.timeout
    while any(p.is_alive() for p in procs) and time.time() < end:
        procs[0].join(1)
        progress("kannel: %d of %d sendsms, %d sent" % (counter.value, a.n, kannel_status(a.admin)[0] - sent0))
    for p in procs:
        if p.is_alive():
            p.terminate()
        p.join()
    dt = time.perf_counter() - t0
    print("accepted %d" % (counter.value - errors.value))
    print("http_rate %.0f" % (counter.value / dt))
    while time.time() < end:
        sent, queued = kannel_status(a.admin)
        if sent - sent0 >= a.n:
            break
        progress("kannel: %d of %d sent, %d queued" % (sent - sent0, a.n, queued))
        time.sleep(0.5)
    sent = kannel_status(a.admin)[0] - sent0
    print("submitted %d" % sent)
    return 0 if sent == a.n and errors.value == 0 else 1


def cmd_peer(a):
    mt = json.load(open(a.summary))["mt"]
    first, last = mt.get("first_taken_us", 0), mt.get("last_taken_us", 0)
    rate = (mt["taken"] - 1) / ((last - first) / 1e6) if last > first else 0
    print("taken %d" % mt["taken"])
    print("bad %d" % mt["bad"])
    print("peer_rate %.0f" % rate)
    if mt["bad"]:
        print("downlink_load: the simulator found: %s" % mt["errors"][:3], file=sys.stderr)
    return 0 if mt["taken"] == a.n and not mt["bad"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    b = sp.add_parser("burst")
    b.add_argument("--window", type=int, default=64)
    la = sp.add_parser("latency")
    la.add_argument("--one", type=int, default=1000)
    la.add_argument("--rate", type=float, required=True)
    la.add_argument("--seconds", type=float, default=10)
    for p in (b, la):
        p.add_argument("--send", required=True)
        p.add_argument("--pub", required=True)
        p.add_argument("--prefix", default="b")
    k = sp.add_parser("kannel")
    k.add_argument("--port", type=int, required=True)
    k.add_argument("--admin", type=int, required=True)
    k.add_argument("--threads", type=int, default=16)
    k.add_argument("--procs", type=int, default=2)
    pe = sp.add_parser("peer")
    pe.add_argument("summary")
    for p in (b, k, pe):
        p.add_argument("-n", type=int, required=True)
    for p in (b, la, k):
        p.add_argument("--timeout", type=int, default=60)
    a = ap.parse_args()
    return {"burst": cmd_burst, "latency": cmd_latency, "kannel": cmd_kannel, "peer": cmd_peer}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
