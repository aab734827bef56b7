#!/usr/bin/python3
"""layering.py — check the one-way dependency rule of HACKING.md by reading
every '#include "..."' line of the C sources.

Every quoted include names its file from the top of the tree
("gateway/sms/tpdu.h"), so the folder it comes from is in the line itself.
A folder may include only itself and the folders its rule names below;
an include that does not name an existing file is an error too.

Usage: layering.py [--root DIR]   exit 0: the rule holds; 1: it does not
(each offence on a line "FILE:LINE: AREA may not include PATH").
"""
import argparse
import os
import re
import sys

LIB, SMS, TXLOG = "gateway/lib", "gateway/sms", "gateway/txlog"
JOURNAL, BUS, ENGINE = "gateway/journal", "gateway/bus", "gateway/engine"
PRODUCT = [LIB, SMS, TXLOG, JOURNAL, BUS, ENGINE, "smpp", "mail", "gateway"]

# area -> the areas it may include besides itself.  The longest matching
# prefix of a file's path is its area.
RULE = {
    LIB: [],
    SMS: [LIB],
    TXLOG: [LIB],
    JOURNAL: [LIB],
    BUS: [LIB, TXLOG],
    ENGINE: [LIB, SMS, TXLOG, JOURNAL, BUS],
    "smpp": [LIB, SMS, TXLOG],
    "mail": [LIB, SMS, TXLOG],
    "gateway": [LIB, SMS, TXLOG, JOURNAL, BUS, ENGINE, "smpp", "mail"],  # the daemon
    "gateway/tools": [LIB, SMS, TXLOG],
    "contrib": [LIB],                                    # txgw-sub
    "contrib/sim": [LIB, SMS, TXLOG, BUS, "smpp", "mail"],
    "contrib/bench": PRODUCT + ["contrib/sim"],
    "tests": PRODUCT + ["gateway/tools", "contrib", "contrib/sim", "contrib/bench"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def area_of(path):
    best = None
    for a in RULE:
        if path == a or path.startswith(a + "/"):
            if best is None or len(a) > len(best):
                best = a
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    root = os.path.abspath(ap.parse_args().root)
    bad = n_files = n_inc = 0
    for top in RULE:
        if "/" in top:
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "corpus"]
            for fn in sorted(filenames):
                if not fn.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), root)
                me = area_of(rel)
                n_files += 1
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        n_inc += 1
                        inc = m.group(1)
                        if not os.path.isfile(os.path.join(root, inc)):
                            print(f"{rel}:{no}: '{inc}' is not a file named from the top of the tree")
                            bad += 1
                            continue
                        them = area_of(inc)
                        if them != me and them not in RULE[me]:
                            print(f"{rel}:{no}: {me} may not include {inc} ({them or 'outside the rule'})")
                            bad += 1
    print(f"layering: {n_files} files, {n_inc} includes, {bad} offences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
