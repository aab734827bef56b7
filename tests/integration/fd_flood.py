#!/usr/bin/python3
"""Hold idle connections to a server (fd_exhaustion.sh).

fd_flood.py --ready FILE [--sources K] [--hold S] TARGET...

TARGET is PORT:N (N TCP connections to 127.0.0.1:PORT) or unix:PATH:N
(N connections to a UNIX stream socket).  TCP connections come from the
loopback addresses 127.0.1.1 .. 127.0.1.K in turn (--sources, default 1:
127.0.0.1 only), as a flood from many hosts would.  Connections are made
without blocking: those past the server's listen backlog stay half-open
(the kernel keeps retrying their SYN).  Writes "opened A of B" to FILE,
then holds them all, sending nothing, until killed (SIGTERM) or --hold
seconds have passed.
"""
import argparse
import errno
import select
import socket
import time


def tcp(port, i, sources):
    s = socket.socket()
    s.setblocking(False)
    if sources > 1:
        s.bind(("127.0.1.%d" % (i % sources + 1), 0))
    return s, s.connect_ex(("127.0.0.1", port))


def unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    return s, s.connect_ex(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready", required=True)
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--hold", type=float, default=60)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    socks, want = [], 0
    for t in a.targets:
        kind, _, rest = t.rpartition(":")
        n = int(rest)
        want += n
        for i in range(n):
            s, rc = unix(kind[5:]) if kind.startswith("unix:") else tcp(int(kind), i, a.sources)
            if rc in (0, errno.EINPROGRESS, errno.EAGAIN):
                socks.append(s)
            else:
                s.close()
    # give the handshakes a moment; the ones past the backlog stay pending
    deadline = time.monotonic() + 2
    pending = {s.fileno(): s for s in socks}
    while pending and time.monotonic() < deadline:
        p = select.poll()
        for fd in pending:
            p.register(fd, select.POLLOUT)
        for fd, _ in p.poll(100):
            del pending[fd]
    with open(a.ready, "w") as f:
        f.write("opened %d of %d\n" % (len(socks) - len(pending), want))
    time.sleep(a.hold)  # until killed: the test ends the flood


if __name__ == "__main__":
    main()
