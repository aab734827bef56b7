#!/usr/bin/python3
"""An attacker's pass over every socket a running txgw listens on (loopback).

Not a test: it asserts nothing, it measures.  Each attack is bounded in
count and time; before and after each, the daemon's VmRSS/VmHWM, CPU
(utime+stime), open descriptors, log size and the time the stats socket
takes to answer "show info" are taken, and one line per attack printed.

    pass.py --pid PID --log FILE --stats SOCK --vty PORT --vty-password PW
            --smtp PORT --pub PORT --replay PORT [--curve SERVERPUB]
            [--only NAME,...]
"""
import argparse, os, socket, sys, time

try:
    import zmq
except ImportError:
    zmq = None

A = None


def snap():
    st = {}
    with open("/proc/%d/status" % A.pid) as f:
        for l in f:
            k, _, v = l.partition(":")
            if k in ("VmRSS", "VmHWM"):
                st[k] = int(v.split()[0])
    with open("/proc/%d/stat" % A.pid) as f:
        fl = f.read().rsplit(")", 1)[1].split()
    st["cpu"] = (int(fl[11]) + int(fl[12])) / os.sysconf("SC_CLK_TCK")
    st["fds"] = len(os.listdir("/proc/%d/fd" % A.pid))
    st["log"] = os.path.getsize(A.log)
    st["info_ms"] = info_ms()
    return st


def info_ms():
    t0 = time.monotonic()
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(A.stats)
        s.sendall(b"show info\n")
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        s.close()
        if not out:
            return -1
    except OSError:
        return -1
    return round((time.monotonic() - t0) * 1000, 1)


def run(name, fn):
    if A.only and name not in A.only:
        return
    b = snap()
    t0 = time.monotonic()
    try:
        what = fn()
    except Exception as e:	# an attack that cannot go on says why
        what = "stopped: %r" % e
    dt = time.monotonic() - t0
    time.sleep(0.5)
    during = snap()
    print("%-18s %5.1fs | RSS %6d -> %6d kB (HWM %6d) | CPU +%.2fs | fds %3d -> %3d"
          " | log +%7d B | info %5.1f ms | %s" % (
              name, dt, b["VmRSS"], during["VmRSS"], during["VmHWM"],
              during["cpu"] - b["cpu"], b["fds"], during["fds"],
              during["log"] - b["log"], during["info_ms"], what), flush=True)
    try:
        os.kill(A.pid, 0)
    except OSError:
        print("txgw DIED after %s" % name)
        sys.exit(1)


def tcp(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def recv_some(s, t=2.0, until=None):
    """What s sends within t s (per read), up to 1 MiB or until `until`."""
    s.settimeout(t)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if len(out) > 1 << 20 or (until and until in out):
                break
    except (socket.timeout, OSError):
        pass
    return out

# ---- bus ---------------------------------------------------------------


def zsock(kind, key=None):
    ctx = zmq.Context.instance()
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    if key:
        pub, sec = zmq.curve_keypair()
        s.curve_serverkey = key
        s.curve_publickey = pub
        s.curve_secretkey = sec
    return s


def bus_subs(n, size):
    def f():
        s = zsock(zmq.SUB)
        s.connect("tcp://127.0.0.1:%d" % A.pub)
        for i in range(n):
            t = ("t%08d" % i).encode()
            s.setsockopt(zmq.SUBSCRIBE, t + b"x" * (size - len(t)))
        time.sleep(2)
        r0 = snap()["VmRSS"]
        s.close()
        time.sleep(1)
        return "%d subscriptions of %d B held: RSS %d kB; after close %d kB" % (
            n, size, r0, snap()["VmRSS"])
    return f


def bus_subs_many_clients(clients, n, size):
    def f():
        ss = []
        for c in range(clients):
            s = zsock(zmq.SUB)
            s.connect("tcp://127.0.0.1:%d" % A.pub)
            for i in range(n):
                t = ("c%03d-%08d" % (c, i)).encode()
                s.setsockopt(zmq.SUBSCRIBE, t + b"x" * (size - len(t)))
            ss.append(s)
        time.sleep(3)
        r0 = snap()["VmRSS"]
        for s in ss:
            s.close()
        time.sleep(1)
        return "%d clients x %d subs of %d B: RSS %d kB held; after close %d kB" % (
            clients, n, size, r0, snap()["VmRSS"])
    return f


def bus_bigsub():
    s = zsock(zmq.SUB)
    s.connect("tcp://127.0.0.1:%d" % A.pub)
    for _ in range(20):
        s.setsockopt(zmq.SUBSCRIBE, b"y%d" % _ + b"y" * 65536)
    time.sleep(1)
    s.close()
    return "20 subscriptions of 64 KiB"


def bus_replay_flood():
    socks = []
    for c in range(50):
        d = zsock(zmq.DEALER)
        d.setsockopt(zmq.SNDHWM, 100000)
        d.connect("tcp://127.0.0.1:%d" % A.replay)
        for _ in range(200):
            d.send_multipart([b"REPLAY", b"1", b"1000000"])
        socks.append(d)
    time.sleep(2)
    fresh = zsock(zmq.DEALER)
    fresh.connect("tcp://127.0.0.1:%d" % A.replay)
    t0 = time.monotonic()
    fresh.send_multipart([b"REPLAY", b"1", b"10"])
    ok = fresh.poll(5000)
    ans = fresh.recv_multipart() if ok else None
    lat = (time.monotonic() - t0) * 1000
    for d in socks + [fresh]:
        d.close()
    return "50 DEALERs x 200 REPLAY unread; fresh client answered %s in %.0f ms" % (
        ans[0][:40] if ans else "NOTHING", lat)


def bus_replay_garbage():
    d = zsock(zmq.DEALER)
    d.connect("tcp://127.0.0.1:%d" % A.replay)
    for i in range(5000):
        d.send_multipart([b"REPLAY", b"-1" * (i % 7), b"x"] * (1 + i % 3))
    got = 0
    while d.poll(500):
        d.recv_multipart()
        got += 1
    d.close()
    return "5000 malformed requests, %d answers" % got


def bus_auth(kind):
    def f():
        n, got = 0, 0
        t_end = time.monotonic() + 3
        while time.monotonic() < t_end and n < 300:
            key = A.curve.encode() if kind == "wrongkey" else None
            d = zsock(zmq.DEALER, key)
            d.connect("tcp://127.0.0.1:%d" % A.replay)
            d.send_multipart([b"REPLAY", b"1", b"10"])
            if d.poll(20):
                d.recv_multipart()
                got += 1
            d.close()
            n += 1
        return "%d %s clients, %d got an answer" % (n, kind, got)
    return f


def bus_raw_garbage():
    """Not ZMTP at all: random bytes and a huge greeting length."""
    for port in (A.pub, A.replay):
        for _ in range(100):
            s = tcp(port)
            s.sendall(b"\xff" + b"\x00" * 7 + b"\x7f" + b"\x01" * 1000)
            s.close()
    return "200 raw TCP connections with junk greetings"

# ---- VTY ---------------------------------------------------------------


def vty_hold():
    ss = []
    for _ in range(300):
        try:
            ss.append(tcp(A.vty))
        except OSError as e:
            return "stopped at %d: %s" % (len(ss), e)
    time.sleep(1)
    ms = info_ms()
    fds = snap()["fds"]
    for s in ss:
        s.close()
    return "300 unauthenticated sessions held open; fds then %d, info %.1f ms" % (fds, ms)


def vty_guess():
    s = tcp(A.vty)
    recv_some(s, 0.5)
    n, closed = 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3 and n < 5000:
        try:
            s.sendall(b"guess%d\r\n" % n)
            out = recv_some(s, 0.05)
            n += 1
            if out == b"" and n > 1:
                pass
        except OSError:
            closed += 1
            s = tcp(A.vty)
            recv_some(s, 0.2)
    dt = time.monotonic() - t0
    s.close()
    return "%d wrong passwords in %.1f s (%.0f/s), %d reconnects" % (n, dt, n / dt, closed)


def vty_guess_par():
    """10 connections guessing at once, a fresh connection per 3 tries."""
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:
        ss = [tcp(A.vty) for _ in range(10)]
        for s in ss:
            recv_some(s, 0.05)
        for t in range(3):
            for s in ss:
                try:
                    s.sendall(b"guess%d\r\n" % n)
                    n += 1
                except OSError:
                    pass
            for s in ss:
                recv_some(s, 0.02)
        for s in ss:
            s.close()
    return "%d guesses in 3 s over fresh connections (%.0f/s)" % (n, n / 3)


def vty_idle():
    """Is an unauthenticated session ever dropped for silence?"""
    s = tcp(A.vty)
    recv_some(s, 0.5)
    t0 = time.monotonic()
    s.settimeout(1)
    while time.monotonic() - t0 < A.vty_idle:
        try:
            if s.recv(4096) == b"":
                s.close()
                return "silent session closed by txgw after %.0f s" % (time.monotonic() - t0)
        except socket.timeout:
            pass
    s.close()
    return "silent session before login still open after %d s" % A.vty_idle


def vty_long(login):
    """A 4 MiB line before or after the password."""
    def f():
        s = tcp(A.vty)
        recv_some(s, 0.5)
        if login:
            s.sendall(A.vty_password.encode() + b"\r\n")
            recv_some(s, 0.5)
        try:
            s.sendall(b"show " + b"B" * (4 << 20) + b"\r\n")
        except OSError as e:
            return "closed while sending 4 MiB: %s" % e
        out = recv_some(s, 2)
        s.close()
        return "4 MiB line %s login: %d B back" % ("after" if login else "before", len(out))
    return f

# ---- stats -------------------------------------------------------------


def stats_idle():
    ss = []
    for _ in range(500):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(A.stats)
        except OSError as e:
            s.close()
            break
        ss.append(s)
    time.sleep(0.5)
    ms = info_ms()
    fds = snap()["fds"]
    # do they stay? STATS_TIMEOUT_S is 10
    t0 = time.monotonic()
    open_ = len(ss)
    while time.monotonic() - t0 < 15:
        s = ss[0]
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
    dropped_after = time.monotonic() - t0
    time.sleep(0.5)
    fds_after = snap()["fds"]
    for s in ss:
        s.close()
    return ("%d silent clients held: fds %d, info %.1f ms while held; first dropped "
            "after %.1f s, fds then %d" % (open_, fds, ms, dropped_after, fds_after))


def stats_huge():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(A.stats)
    try:
        s.sendall(b"show " * (200000))
    except OSError as e:
        pass
    out = recv_some(s, 2)
    s.close()
    return "1 MB command: answer %r" % out[:60]


def stats_garbage():
    n = 0
    for i in range(2000):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect(A.stats)
        s.sendall(bytes([(i * 7 + j) % 256 for j in range(200)]) + b"\n")
        recv_some(s, 0.5)
        s.close()
        n += 1
    return "%d connections of binary junk" % n

# ---- SMTP --------------------------------------------------------------


def smtp_per_ip():
    ss, refused = [], 0
    for _ in range(200):
        s = tcp(A.smtp)
        g = recv_some_line(s)
        if g.startswith(b"421"):
            refused += 1
            s.close()
        else:
            ss.append(s)
    for s in ss:
        s.close()
    return "200 connections: %d greeted, %d got 421" % (len(ss), refused)


def recv_some_line(s, t=2.0):
    return recv_some(s, t, b"\n")


def smtp_slowloris():
    ss = []
    for _ in range(10):
        s = tcp(A.smtp)
        recv_some_line(s)
        ss.append(s)
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < 5:
        for s in ss:
            try:
                s.sendall(b"E")
                sent += 1
            except OSError:
                pass
        time.sleep(0.5)
    for s in ss:
        s.close()
    return "10 sessions, a byte each every 0.5 s for 5 s (%d bytes): held (smtp-timeout / session-time close them)" % sent


def smtp_pipeline():
    s = tcp(A.smtp)
    recv_some_line(s)
    s.sendall(b"EHLO x\r\n" + b"NOOP\r\n" * 20000)
    out = recv_some(s, 3)
    s.close()
    return "20000 pipelined NOOPs: %d answers, last %r" % (
        out.count(b"\r\n"), out.rstrip().rsplit(b"\r\n", 1)[-1][:60])


def smtp_long_line():
    s = tcp(A.smtp)
    recv_some_line(s)
    try:
        s.sendall(b"EHLO " + b"x" * (8 << 20) + b"\r\n")
    except OSError as e:
        return "closed while sending 8 MiB: %s" % e.strerror
    out = recv_some(s, 2)
    s.close()
    return "8 MiB command line: %r" % out[-80:]


def main():
    global A
    p = argparse.ArgumentParser()
    for o in ("pid", "smtp", "pub", "replay", "vty"):
        p.add_argument("--" + o, type=int)
    for o in ("log", "stats", "vty-password", "curve", "only"):
        p.add_argument("--" + o)
    p.add_argument("--vty-idle", type=int, default=60)
    A = p.parse_args()
    A.only = set(A.only.split(",")) if A.only else None
    if A.curve:
        run("bus-plain", bus_auth("plain"))
        run("bus-wrongkey", bus_auth("wrongkey"))
        return
    run("bus-raw-junk", bus_raw_garbage)
    run("bus-bigsub", bus_bigsub)
    run("bus-subs-10k", bus_subs(10000, 16))
    run("bus-subs-100k", bus_subs(100000, 64))
    run("bus-subs-20x50k", bus_subs_many_clients(20, 50000, 64))
    run("bus-subs-20x50k-2", bus_subs_many_clients(20, 50000, 64))
    run("bus-replay-flood", bus_replay_flood)
    run("bus-replay-junk", bus_replay_garbage)
    run("vty-hold-300", vty_hold)
    run("vty-guess", vty_guess)
    run("vty-guess-par", vty_guess_par)
    run("vty-long-line", vty_long(False))
    run("vty-idle", vty_idle)
    run("vty-long-login", vty_long(True))
    run("stats-idle", stats_idle)
    run("stats-huge", stats_huge)
    run("stats-junk", stats_garbage)
    run("smtp-per-ip", smtp_per_ip)
    run("smtp-slowloris", smtp_slowloris)
    run("smtp-pipeline", smtp_pipeline)
    run("smtp-long-line", smtp_long_line)


if __name__ == "__main__":
    main()
