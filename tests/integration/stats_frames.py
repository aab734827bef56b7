#!/usr/bin/python3
"""stats_frames.py DELIVER KEYFILE UPLOAD COUNTER BALANCE AMOUNT

Prints one deliver_sm line for netsmpp_smsc.pl carrying a fresh TXLOG v1
frame (txlog-v1.md "Frame") of device 00112233aabbccdd key 1 (Ed25519,
signed with KEYFILE, the vectors' private key): one purchase record with
the given counter, amount and balance, upload_seq UPLOAD, times a minute
ago.  The line copies the first line of DELIVER (the vectors' single-SMS
frame: esm_class, data_coding, source address and its port UDH) and puts
the new frame after that UDH.
"""
import struct
import sys
import time

from cryptography.hazmat.primitives.serialization import load_pem_private_key

DEVICE, KEY_ID, ALG_ED25519 = 0x00112233AABBCCDD, 1, 2
PURCHASE, TWD, PEER = 1, 901, 0xABCDEF


def frame(key, upload, counter, balance, amount):
    now = int(time.time()) - 60
    head = struct.pack(">BBQBIIB", 1, ALG_ED25519, DEVICE, KEY_ID, upload, now, 1)
    rec = struct.pack(">IBIHIIQB", counter, PURCHASE, now, TWD, amount, balance, PEER, 0)
    body = head + rec
    return body + key.sign(body)


def main():
    deliver, keyfile = sys.argv[1:3]
    upload, counter, balance, amount = (int(a) for a in sys.argv[3:7])
    key = load_pem_private_key(open(keyfile, "rb").read(), password=None)
    esm, dc, src, ud = open(deliver).readline().split()[:4]
    ud = bytes.fromhex(ud)
    udh = ud[:ud[0] + 1]
    print(esm, dc, src, (udh + frame(key, upload, counter, balance, amount)).hex())


if __name__ == "__main__":
    main()
