#!/usr/bin/python3
"""mail_crash.py -- kill -9 txgw during a burst of mails, many times over.

    mail_crash.py --txgw BIN --cfg FILE --log FILE --port SMTP --stats SOCK
                  --pub EP --replay EP --key KEY --bus-sub PY [--kills 10]
                  [--threads 4] [--seed S]

Starts txgw itself (and restarts it after every SIGKILL).  Sender threads
(smtplib, one connection reused until it fails) send mails with distinct
frames: mail n carries one record with upload_seq = counter = n, signed
with the vectors' Ed25519 key, envelope sender crash-n@handset.example.  A
mail without its 250 (connection lost, 4xx) is sent again later with the
same bytes, as an MTA would: if the first copy was journaled, the second is
a duplicate and publishes nothing.  A live SUB socket records every bus
message as it is published, across the restarts.

At the end (daemon stopped with SIGTERM after one last clean run) the whole
bus is read back with bus-sub.py (replay) and must show:
  - every mail that got 250 has its record;
  - no counter published twice (retries were duplicates);
  - no seq reused: what the live stream showed for a seq before a crash is
    what the replay shows for it after.
The kill moments come from a seeded generator (the seed is printed;
TXGW_TEST_SEED or --seed sets it).
"""
import argparse
import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

import zmq

from mail_frames import Signer, mail_with_frame, record

RCPT = "upload@txlog.example"


class Daemon:
    """txgw as a child process, started and killed by us."""

    def __init__(self, a):
        self.a = a
        self.proc = None
        self.starts = 0

    def start(self):
        log = open(self.a.log, "ab")
        self.proc = subprocess.Popen([self.a.txgw, "-c", self.a.cfg], stdout=log, stderr=log)
        self.starts += 1
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("txgw exited with %s at start %d" % (self.proc.returncode, self.starts))
            try:
                socket.create_connection(("127.0.0.1", self.a.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("txgw did not open its SMTP port within 15 s (start %d)" % self.starts)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        """SIGTERM: txgw must exit 0 within 10 s."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return "timeout"


class Mails:
    """The mails: numbers handed out once, bytes kept for the retries."""

    def __init__(self, keyfile):
        self.signer = Signer(keyfile)
        self.lock = threading.Lock()
        self.next = 1
        self.accepted = set()
        self.refused = {}           # n -> last code (5xx would be a failure)
        self.attempts = 0

    def new(self):
        with self.lock:
            n = self.next
            self.next += 1
        frm = "crash-%d@handset.example" % n
        f = self.signer.frame(n, [record(n)])
        return n, frm, mail_with_frame(f, frm, RCPT, "crash %d" % n)

    def done(self, n, code):
        with self.lock:
            self.attempts += 1
            if code == 250:
                self.accepted.add(n)
                self.refused.pop(n, None)
            else:
                self.refused[n] = code


def sender(port, mails, stop, pending):
    """Send mails until stop is set; what is not accepted goes to pending
    (this thread's list) and is tried again first."""
    conn = None
    while not stop.is_set():
        item = pending.pop(0) if pending else mails.new()
        n, frm, msg = item
        try:
            if conn is None:
                conn = smtplib.SMTP("127.0.0.1", port, timeout=10)
                conn.ehlo("crash.example")
            conn.sendmail(frm, [RCPT], msg)
            mails.done(n, 250)
        except smtplib.SMTPResponseException as e:
            mails.done(n, e.smtp_code)
            pending.append(item)
            conn = None
        except (OSError, smtplib.SMTPException):
            mails.done(n, None)
            pending.append(item)
            conn = None
            time.sleep(0.02)        # the daemon is down: do not spin
    if conn is not None:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass


def live_listener(pub, stop, seen, conflicts):
    """Every message of the live stream: seq -> payload (dict)."""
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(pub)
    while not stop.is_set():
        if not sub.poll(100):
            continue
        topic, payload = sub.recv_multipart()
        obj = json.loads(payload)
        prev = seen.get(obj["seq"])
        if prev is not None and prev != (topic.decode(), obj):
            conflicts.append((obj["seq"], prev, obj))
        seen[obj["seq"]] = (topic.decode(), obj)
    sub.close()


def journal_seq(sock_path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(b"show info\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return json.loads(out)["journal_seq"]


def run_burst(a, d, mails, rng):
    """The threads send while the daemon is killed and restarted a.kills
    times; then one last quiet stretch and the retries."""
    stop = threading.Event()
    pendings = [[] for _ in range(a.threads)]
    threads = [threading.Thread(target=sender, args=(a.port, mails, stop, p)) for p in pendings]
    for t in threads:
        t.start()
    try:
        for k in range(a.kills):
            time.sleep(rng.uniform(0.2, 1.5))
            before = len(mails.accepted)
            d.kill()
            print("kill %2d: %d mails accepted so far" % (k + 1, before), flush=True)
            time.sleep(rng.uniform(0, 0.3))
            d.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    # the daemon is up: the mails still without a 250 are sent once more
    left = [m for p in pendings for m in p]
    for item in left:
        try:
            with smtplib.SMTP("127.0.0.1", a.port, timeout=10) as c:
                c.sendmail(item[1], [RCPT], item[2])
            mails.done(item[0], 250)
        except (OSError, smtplib.SMTPException) as e:
            print("FAIL  retry of mail %d on a running daemon: %r" % (item[0], e))
            mails.done(item[0], getattr(e, "smtp_code", None))


def check(a, mails, seen, conflicts, top):
    """The replayed bus against what the senders and the live stream saw."""
    out = a.log + ".bus.jsonl"
    rc = subprocess.run([sys.executable, a.bus_sub, "--pub", a.pub, "--replay", a.replay,
                         "--from", "1", "--until-seq", str(top), "--timeout", "30",
                         "--out", out]).returncode
    if rc != 0:
        print("FAIL  bus-sub could not read seq 1..%d (exit %d)" % (top, rc))
        return 1
    final = {}
    for line in open(out):
        m = json.loads(line)
        final[m["payload"]["seq"]] = (m["topic"], m["payload"])
    fails = 0
    counters = [p["counter"] for t, p in final.values() if t == "txlog.record"]
    twice = sorted({c for c in counters if counters.count(c) > 1})
    missing = sorted(mails.accepted - set(counters))
    reused = [s for s, v in seen.items() if s in final and final[s] != v]
    beyond = [s for s in seen if s > top]
    for what, bad in (("accepted mails without their record", missing),
                      ("counters published twice", twice),
                      ("seqs whose live content differs from the replay (reused)", reused),
                      ("seqs seen live beyond the journal's end (published, then lost)", beyond),
                      ("seqs seen twice live with different content", conflicts)):
        print("%s  %s: %d %s" % ("FAIL" if bad else "ok  ", what, len(bad), bad[:10]))
        fails += bool(bad)
    bad_refusals = {n: c for n, c in mails.refused.items() if c is not None and c >= 500}
    if bad_refusals:
        print("FAIL  mails refused for good: %s" % bad_refusals)
        fails += 1
    print("      %d mails, %d accepted (%d attempts), %d bus messages (%d seen live), %d records"
          % (mails.next - 1, len(mails.accepted), mails.attempts, top, len(seen), len(counters)))
    return fails


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("--txgw", "--cfg", "--log", "--stats", "--pub", "--replay", "--key", "--bus-sub"):
        p.add_argument(opt, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seed", type=int, default=int(os.environ.get("TXGW_TEST_SEED", "0")) or None)
    a = p.parse_args()
    seed = a.seed or random.SystemRandom().randrange(1, 2**31)
    print("mail_crash: seed %d (TXGW_TEST_SEED=%d to repeat the kill moments)" % (seed, seed))
    rng = random.Random(seed)
    d = Daemon(a)
    mails = Mails(a.key)
    seen, conflicts = {}, []
    stop_live = threading.Event()
    live = threading.Thread(target=live_listener, args=(a.pub, stop_live, seen, conflicts))
    live.start()
    fails = 0
    try:
        d.start()
        run_burst(a, d, mails, rng)
        time.sleep(0.5)                 # the live stream's tail
        top = journal_seq(a.stats)
        fails += check(a, mails, seen, conflicts, top)
        rc = d.stop()
        if rc != 0:
            print("FAIL  txgw exited with %s after SIGTERM" % rc)
            fails += 1
    except RuntimeError as e:
        print("FAIL  %s" % e)
        fails += 1
    finally:
        stop_live.set()
        live.join(5)
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(5)
    print("mail_crash: %d restarts after SIGKILL, %s" % (d.starts - 1, "FAIL" if fails else "PASS"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
