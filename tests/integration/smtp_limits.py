#!/usr/bin/python3
"""The SMTP service's limits against a running txgw (smtp_limits.sh).

smtp_limits.py --port P --log FILE --limits: per address, sessions, the
log's rate limit, command count, idle timeout, data rate, session time;
or --tls CA: smtp-require-tls.  The numbers are smtp_limits.sh's
configuration; prints "ok"/"FAIL" lines, exit status 1 on a failure.
"""
import argparse
import smtplib
import socket
import ssl
import sys
import threading
import time

A = None
FAILS = []

PER_IP = 3          # smtp-max-sessions-per-ip
MAX_SESSIONS = 12   # smtp-max-sessions
CMD_TIMEOUT = 3     # smtp-timeout command
MAX_CMDS = 20       # smtp-max-commands
LIFE = 8            # smtp-max-session-time
RATE, WINDOW = 200, 3   # smtp-min-data-rate 200 window 3


def check(ok, what):
    print("%s  %s" % ("ok   " if ok else "FAIL ", what))
    if not ok:
        FAILS.append(what)


def conn(src="127.0.0.1", timeout=10):
    s = socket.create_connection(("127.0.0.1", A.port), timeout, (src, 0))
    return s


def greeted(src, limit=3):
    """A connection from src that got 220 (sessions just closed may not be
    gone yet on the server's side: try again for up to limit seconds)."""
    t0 = time.monotonic()
    while True:
        s = conn(src)
        r = read_reply(s)
        if r.startswith(b"220 "):
            return s
        s.close()
        if time.monotonic() - t0 > limit:
            raise AssertionError("no 220 from %s: %r" % (src, r))
        time.sleep(0.1)


def keep_alive(held):
    """A whole command on each held session: the idle timeout starts again."""
    for s in held:
        s.sendall(b"NOOP\r\n")
        read_reply(s)


def read_reply(s):
    """One whole reply (all its lines), or b"" at EOF."""
    buf = b""
    while True:
        lines = buf.split(b"\r\n")
        for i, l in enumerate(lines[:-1]):
            if len(l) >= 4 and l[3:4] == b" ":
                return b"\r\n".join(lines[:i + 1]) + b"\r\n"
        b = s.recv(4096)
        if not b:
            return buf
        buf += b


def until_closed(s, limit, trickle=False):
    """Everything the server sends until it closes, and when it closed
    (seconds from now); None if it did not within limit seconds.  With
    trickle, a byte is sent every second meanwhile."""
    s.settimeout(0.05)
    got, t0 = b"", time.monotonic()
    next_byte = t0
    while time.monotonic() - t0 < limit:
        if trickle and time.monotonic() >= next_byte:
            try:
                s.send(b"x")
            except OSError:
                pass
            next_byte += 1
        try:
            b = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            b = b""
        if not b:
            return got, time.monotonic() - t0
        got += b
    return got, None


def log_lines(needle):
    return sum(1 for l in open(A.log, errors="replace") if needle in l)


def burst(src, code, needle, what):
    """30 connections from src refused with code, logged a line a second."""
    before = log_lines(needle)
    n421 = 0
    for _ in range(30):
        s = conn(src)
        n421 += read_reply(s).startswith(code)
        s.close()
    lines = log_lines(needle) - before
    check(n421 == 30 and lines <= 3, "30 over %s: %d got %r, %d log lines (rate-limited)"
          % (what, n421, code, lines))


def t_per_ip_and_sessions():
    held = []
    for _ in range(PER_IP):
        held.append(greeted("127.0.0.1"))
    # the cap+1th from the same address: 421 4.7.0, closed
    s = conn("127.0.0.1")
    got, when = until_closed(s, 5)
    check(got.startswith(b"421 4.7.0 ") and when is not None,
          "127.0.0.1 over smtp-max-sessions-per-ip %d: %r, closed" % (PER_IP, got[:60]))
    s.close()
    # another address is served meanwhile, a whole transaction
    c = smtplib.SMTP(timeout=10, source_address=("127.0.0.2", 0))
    c.connect("127.0.0.1", A.port)
    ok = c.ehlo("legit.example")[0] == 250 and \
        c.docmd("MAIL FROM:<a@legit.example>")[0] == 250 and \
        c.docmd("RCPT TO:<upload@txlog.example>")[0] == 250 and c.rset()[0] == 250
    c.quit()
    check(ok, "127.0.0.2 served while 127.0.0.1 holds its cap")

    # a burst over the cap of one address: each refused, a log line a second
    burst("127.0.0.1", b"421 4.7.0 ", "smtp-max-sessions-per-ip", "the per-address cap")
    # a second on, the next refusal's line says how many were held back
    keep_alive(held)
    time.sleep(1.1)
    s = conn("127.0.0.1")
    check(read_reply(s).startswith(b"421 4.7.0 "), "127.0.0.1 still over its cap")
    s.close()
    time.sleep(0.3)
    told = log_lines("(smtp-max-sessions-per-ip), ")
    check(told == 1, "the next line says how many were held back (%d such line)" % told)

    # fill smtp-max-sessions from more addresses, then a burst over it
    for a in range(3, 3 + (MAX_SESSIONS - PER_IP) // PER_IP):
        for _ in range(PER_IP):
            held.append(greeted("127.0.0.%d" % a))
    keep_alive(held)
    burst("127.0.0.20", b"421 4.3.2 ", "(smtp-max-sessions)", "smtp-max-sessions %d" % MAX_SESSIONS)
    for s in held:
        s.close()


def t_max_commands():
    s = greeted("127.0.0.30")
    s.sendall(b"EHLO c.example\r\n" + b"NOOP\r\n" * (MAX_CMDS + 4))
    got, when = until_closed(s, 5)
    replies = [l for l in got.split(b"\r\n") if l[3:4] == b" "]
    check(len(replies) == MAX_CMDS + 1 and replies[-1].startswith(b"421 4.7.0 ")
          and b"Too many commands" in replies[-1] and when is not None,
          "smtp-max-commands %d: %d replies, the last %r, closed" % (MAX_CMDS, len(replies), replies[-1:]))


def t_trickle_command(res):
    """One byte a second of a command that never ends: the idle timeout."""
    s = greeted("127.0.0.31")
    s.sendall(b"EHLO trickle")
    res["cmd"] = until_closed(s, CMD_TIMEOUT + 6, trickle=True)


def in_data(src):
    """A session from src, up to the DATA body."""
    s = greeted(src)
    for cmd in (b"EHLO d.example", b"MAIL FROM:<d@d.example>", b"RCPT TO:<upload@txlog.example>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        read_reply(s)
    return s


def t_trickle_data(res):
    """One byte a second in DATA: under smtp-min-data-rate."""
    res["data"] = until_closed(in_data("127.0.0.32"), WINDOW + 6, trickle=True)


def t_good_data(res):
    """A slow but fair client: twice the least rate, over two windows."""
    s = in_data("127.0.0.33")
    s.sendall(b"Subject: slow\r\n\r\n")
    t0 = time.monotonic()
    line = b"y" * 78 + b"\r\n"
    while time.monotonic() - t0 < 2 * WINDOW + 0.5:
        s.sendall(line)       # 80 octets every 0.2 s: 400/s
        time.sleep(0.2)
    s.sendall(b".\r\n")
    r = read_reply(s)
    s.sendall(b"QUIT\r\n")
    res["good"] = r


def t_life(res):
    """A NOOP a second, each a whole command: smtp-max-session-time ends it."""
    s = greeted("127.0.0.34")
    t0 = time.monotonic()
    s.settimeout(1)
    got = b""
    while time.monotonic() - t0 < LIFE + 5:
        try:
            s.sendall(b"NOOP\r\n")
            r = read_reply(s)
        except (OSError, socket.timeout):
            r = b""
        if not r or r.startswith(b"421"):
            res["life"] = (r, time.monotonic() - t0)
            return
        time.sleep(1)
    res["life"] = (got, None)


def timed():
    res = {}
    ts = [threading.Thread(target=f, args=(res,)) for f in (t_trickle_command, t_trickle_data,
                                                            t_good_data, t_life)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    got, when = res.get("cmd", (b"", None))
    check(when is not None and when < CMD_TIMEOUT + 1.5 and got.startswith(b"421 4.4.2 "),
          "a byte a second of a command: cut after %s s (smtp-timeout command %d): %r"
          % (when and round(when, 1), CMD_TIMEOUT, got[:50]))
    got, when = res.get("data", (b"", None))
    check(when is not None and when < WINDOW + 1.5 and got.startswith(b"421 4.4.2 ")
          and b"Data rate too low" in got,
          "a byte a second in DATA: cut after %s s (smtp-min-data-rate %d window %d): %r"
          % (when and round(when, 1), RATE, WINDOW, got[:60]))
    r = res.get("good", b"")
    check(r.startswith(b"250 "), "400 octets/s in DATA over %d s: %r" % (2 * WINDOW, r[:40]))
    got, when = res.get("life", (b"", None))
    check(when is not None and LIFE - 1 < when < LIFE + 2 and got.startswith(b"421 4.4.2 ")
          and b"Session time limit" in got,
          "a NOOP a second: cut after %s s (smtp-max-session-time %d): %r"
          % (when and round(when, 1), LIFE, got[:60]))


def tls(ca):
    ctx = ssl.create_default_context(cafile=ca)
    c = smtplib.SMTP("127.0.0.1", A.port, timeout=10)
    c.ehlo("tls.example")
    check(c.has_extn("starttls"), "smtp-require-tls: EHLO offers STARTTLS")
    code, msg = c.docmd("MAIL FROM:<a@tls.example>")
    check(code == 530 and msg.startswith(b"5.7.0 Must issue a STARTTLS command first"),
          "smtp-require-tls: MAIL before STARTTLS: %d %r" % (code, msg))
    c.starttls(context=ctx)
    c.ehlo("tls.example")
    r = c.sendmail("a@tls.example", ["upload@txlog.example"], b"Subject: tls\r\n\r\nhello\r\n")
    check(r == {}, "smtp-require-tls: after STARTTLS the mail gets 250")
    c.quit()


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--limits", action="store_true")
    ap.add_argument("--tls", metavar="CA")
    A = ap.parse_args()
    if A.limits:
        t_per_ip_and_sessions()
        t_max_commands()
        timed()
    if A.tls:
        tls(A.tls)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
