#!/usr/bin/python3
"""registry_reload.py -- helpers of registry_reload.sh.

    gen FILE N PREFIX   N registry lines with random Ed25519 hex: keys,
                        device ids PREFIX (2 hex digits) and a counter
    ask SOCK CMD SECS   CMD on the stats socket: "ELAPSED ANSWER", or
                        "TIMEOUT" when no whole answer came within SECS
    overlap SOCK        "reload registry" on one connection and, while it
                        runs, another "reload registry" and "show info":
                        "NAME ASKED ANSWERED ANSWER", seconds from the first
    twice SOCK          "reload registry", and another sent the moment the
                        first is answered (while the first's thread still
                        frees): "first ANSWER" and "second ANSWER"
"""
import os
import socket
import sys
import threading
import time


def gen(path, n, prefix):
    r = os.urandom(32 * n).hex()
    with open(path, "w") as f:
        f.writelines("%s%014x 1 ed25519 - active hex:%s\n" % (prefix, i, r[64 * i:64 * i + 64])
                     for i in range(n))


def send(sock, cmd, secs):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(secs)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    return s


def answer(s):
    """The whole answer (the gateway closes after it), without its line end."""
    with s, s.makefile("rb") as f:
        return f.read().decode().strip()


def ask(sock, cmd, secs):
    t0 = time.monotonic()
    try:
        a = answer(send(sock, cmd, float(secs)))
    except socket.timeout:
        print("TIMEOUT")
        return
    print("%.3f %s" % (time.monotonic() - t0, a))


def twice(sock):
    first = send(sock, "reload registry", 60)
    # the second connection is made before the first answer comes, so
    # that its request goes the moment it does
    second = socket.socket(socket.AF_UNIX)
    second.settimeout(60)
    second.connect(sock)
    a = answer(first)
    second.sendall(b"reload registry\n")
    print("first %s" % a)
    print("second %s" % answer(second))


def overlap(sock):
    got = {}
    t0 = time.monotonic()

    def first():
        a = answer(send(sock, "reload registry", 60))
        got["reload"] = (0, time.monotonic() - t0, a)

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.1)		# the loop takes the first one before the others
    for name, cmd in (("second", "reload registry"), ("info", "show info")):
        asked = time.monotonic() - t0
        a = answer(send(sock, cmd, 60))
        got[name] = (asked, time.monotonic() - t0, a[:30])
    t.join()
    for name in ("reload", "second", "info"):
        print("%s %.3f %.3f %s" % ((name,) + got[name]))
    # answered while the reload still ran, and within 0.25 s of asking
    info, reload = got["info"], got["reload"]
    print("info_meanwhile %d" % (info[1] < reload[1] and info[1] - info[0] < 0.25))


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "gen":
        gen(args[0], int(args[1]), args[2])
    elif what == "ask":
        ask(*args)
    elif what == "overlap":
        overlap(*args)
    elif what == "twice":
        twice(*args)
    else:
        sys.exit(__doc__)
