#!/usr/bin/env bash
# tests/tools/layering.sh — the one-way dependency rule of HACKING.md holds
# over the tree (tests/tools/layering.py), and the check does catch a
# breach: on a copy of the sources it must fail for each planted include
# (the SMPP stack including the engine, the journal including the bus, the
# daemon including a simulator, an include not named from the top).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="/usr/bin/python3 $TOP/tests/tools/layering.py"
. "$TOP/tests/tools/lib.sh"
tools_tmp
fail=0

$CHECK --root "$TOP" || { echo "FAIL: the tree breaks the rule"; fail=1; }

plant() {	# FILE LINE EXPECTED-WORDS
	rm -rf "$tmp/tree"
	mkdir "$tmp/tree"
	(cd "$TOP" && find gateway smpp mail contrib tests -name '*.[ch]' -not -path '*/corpus/*' |
		tar -cf - -T - | tar -xf - -C "$tmp/tree")
	printf '%s\n' "$2" >>"$tmp/tree/$1"
	if out=$($CHECK --root "$tmp/tree"); then
		echo "FAIL: '$2' planted in $1 was not caught"
		fail=1
	elif ! grep -q "^$1:.*$3" <<<"$out"; then
		echo "FAIL: '$2' in $1: expected '$3' in:"
		echo "$out"
		fail=1
	else
		grep "^$1:" <<<"$out"
	fi
}
plant smpp/esme.c '#include "gateway/engine/engine.h"' 'smpp may not include gateway/engine/engine.h'
plant gateway/journal/journal.c '#include "gateway/bus/bus.h"' 'gateway/journal may not include'
plant gateway/gw.c '#include "contrib/sim/fleet.h"' 'gateway may not include contrib/sim/fleet.h'
plant gateway/sms/tpdu.c '#include "txlog/frame.h"' 'is not a file named from the top'
plant gateway/lib/json.c '#include "tests/unit/smpp_test.h"' 'gateway/lib may not include'
exit $fail
