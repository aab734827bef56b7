#!/usr/bin/python3
"""bus-sub.py -- an independent subscriber of the txgw bus, written from
bus.md alone (not from the C code).

    bus-sub.py --pub EP --replay EP --from SEQ --until-seq N
               --timeout S --out FILE.jsonl
               [--curve-server-key KEY|FILE --curve-key SECRET-FILE]

Subscribes to the live stream (SUB) and keeps a DEALER on the replay
socket.  Every message is [topic, payload]; payload is one JSON object whose
"seq" grows by exactly 1 per message.  Any seq missing below the highest one
seen (a gap), and at start everything from --from on (we start late), is
asked for with ["REPLAY", from, max]; the answer is the messages, then
["END", next_seq].  When nothing arrives for a while and seqs up to N are
still missing (loss at the tail shows no gap), it asks again.

With --curve-server-key (the gateway's public key, 40 characters of Z85 or
a key file) and --curve-key (our secret key file) both sockets speak CURVE
(bus.md "Who may connect"); a key file holds one 40-character Z85 key on a
line of its own, lines starting with '#' are comments.

Each seq from --from to --until-seq is written once, in seq order, as
{"topic": ..., "payload": {...}}.  Exit 0 when all are there; 1 on timeout
(what was received is still written); 2 on a protocol error (ERROR answer,
malformed message, or the same seq arriving with different content).
"""
import argparse
import json
import sys
import time

import zmq

REPLAY_MAX = 10000      # bus.md names no limit; ask in slices of this size
IDLE_S = 0.3            # no news for this long: ask for what is missing


Z85 = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")


class ProtocolError(Exception):
    pass


def is_key(s):
    return len(s) == 40 and set(s) <= Z85


def read_key(path):
    """The one key of a key file (bus.md)."""
    keys = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue                # no Z85 key starts with '#'
            if not is_key(line):
                sys.exit("%s: not a key: %r" % (path, line))
            keys.append(line)
    if len(keys) != 1:
        sys.exit("%s: %d keys, want 1" % (path, len(keys)))
    return keys[0]


def curve(sock, server_key, key_file):
    """Make sock a CURVE client (before it connects); nothing without keys."""
    if not server_key:
        return sock
    sk = server_key if is_key(server_key) else read_key(server_key)
    sec = read_key(key_file).encode()
    sock.curve_serverkey = sk.encode()
    sock.curve_secretkey = sec
    sock.curve_publickey = zmq.curve_public(sec)
    return sock


class Sub:
    def __init__(self, a):
        self.a = a
        self.have = {}              # seq -> (topic, payload text)
        self.live = 0
        self.replayed = 0
        self.requests = 0
        self.top = a.from_seq - 1   # highest seq known to exist
        self.pending = False        # a replay answer is outstanding
        ctx = zmq.Context.instance()
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.setsockopt(zmq.LINGER, 0)
        curve(self.sub, a.curve_server_key, a.curve_key).connect(a.pub)
        self.dealer = ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        curve(self.dealer, a.curve_server_key, a.curve_key).connect(a.replay)

    def missing(self):
        for s in range(self.a.from_seq, self.a.until_seq + 1):
            if s not in self.have:
                return s
        return None

    def take(self, frames, how):
        if len(frames) != 2:
            raise ProtocolError("message of %d frames" % len(frames))
        topic = frames[0].decode("ascii")
        text = frames[1].decode("utf-8")
        if "\n" in text:
            raise ProtocolError("payload with a newline")
        obj = json.loads(text)
        if not isinstance(obj, dict) or obj.get("v") != 1 or type(obj.get("seq")) is not int:
            raise ProtocolError("payload without v 1 and an int seq: %r" % text[:80])
        seq = obj["seq"]
        self.top = max(self.top, seq)
        if seq in self.have:
            if self.have[seq] != (topic, text):
                raise ProtocolError("seq %d differs between deliveries" % seq)
            return
        if self.a.from_seq <= seq <= self.a.until_seq:
            self.have[seq] = (topic, text)
            if how == "live":
                self.live += 1
            else:
                self.replayed += 1

    def ask(self):
        first = self.missing()
        if first is None or self.pending:
            return
        count = min(REPLAY_MAX, self.a.until_seq - first + 1)
        self.dealer.send_multipart([b"REPLAY", str(first).encode(), str(count).encode()])
        self.pending = True
        self.requests += 1

    def on_replay(self, frames):
        if frames[0] == b"END" and len(frames) == 2:
            self.pending = False
            nxt = int(frames[1])
            self.top = max(self.top, nxt - 1)
            return
        if frames[0] == b"ERROR":
            raise ProtocolError("replay answered ERROR %r" % frames[1:])
        self.take(frames, "replay")

    def gap(self):
        """A seq below the highest seen is missing."""
        first = self.missing()
        return first is not None and first <= self.top

    def run(self):
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        poller.register(self.dealer, zmq.POLLIN)
        end = time.monotonic() + self.a.timeout
        self.ask()                      # we start late: fill from --from
        last_news = time.monotonic()
        while self.missing() is not None:
            now = time.monotonic()
            if now >= end:
                return False
            ev = dict(poller.poll(timeout=max(1, int(min(end - now, IDLE_S) * 1000))))
            if self.sub in ev:
                while True:
                    try:
                        self.take(self.sub.recv_multipart(zmq.NOBLOCK), "live")
                    except zmq.Again:
                        break
                last_news = time.monotonic()
            if self.dealer in ev:
                while True:
                    try:
                        self.on_replay(self.dealer.recv_multipart(zmq.NOBLOCK))
                    except zmq.Again:
                        break
                last_news = time.monotonic()
            if self.gap() or (not self.pending and time.monotonic() - last_news > IDLE_S):
                self.ask()
            if self.pending and time.monotonic() - last_news > 10 * IDLE_S:
                self.pending = False    # the answer was lost: ask again
        return True

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            for s in sorted(self.have):
                topic, text = self.have[s]
                f.write(json.dumps({"topic": topic, "payload": json.loads(text)},
                                   ensure_ascii=False) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pub", required=True)
    p.add_argument("--replay", required=True)
    p.add_argument("--from", dest="from_seq", type=int, default=1)
    p.add_argument("--until-seq", type=int, required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--out", required=True)
    p.add_argument("--curve-server-key")
    p.add_argument("--curve-key")
    a = p.parse_args()
    if a.from_seq < 1 or a.until_seq < a.from_seq:
        p.error("need 1 <= --from <= --until-seq")
    if bool(a.curve_server_key) != bool(a.curve_key):
        p.error("--curve-server-key and --curve-key go together")
    s = Sub(a)
    try:
        ok = s.run()
    except (ProtocolError, ValueError, UnicodeError) as e:
        print("bus-sub: %s" % e, file=sys.stderr)
        s.write(a.out)
        return 2
    s.write(a.out)
    n = a.until_seq - a.from_seq + 1
    print("bus-sub: %d of %d seqs (%d live, %d replayed, %d replay requests)"
          % (len(s.have), n, s.live, s.replayed, s.requests), file=sys.stderr)
    if not ok:
        print("bus-sub: timeout, first missing seq %s" % s.missing(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
