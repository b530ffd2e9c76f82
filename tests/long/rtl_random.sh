#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The long RTL soak: >= 1,000 random networks, RTL (Verilator) against the
# reference model, then the same under Verilator's random initial values
# (+verilator+rand+reset+2) with several seeds, and a larger Icarus subset.
set -eu
BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/asan/tests/test_rtl" "$BUILD/asan/tests/test_rtl_icarus" \
	"$BUILD/sim/icarus/tiny.vvp" >/dev/null
fail=0
HONE_RTL_NETS=${HONE_RTL_NETS:-1200} HONE_RTL_SEED=100000 "$BUILD/asan/tests/test_rtl" || fail=1
for seed in 1 7 42 1234; do
	HONE_VSIM_RAND_RESET=2 HONE_VSIM_SEED=$seed HONE_RTL_NETS=100 HONE_RTL_SEED=$((200000 + seed * 1000)) \
		"$BUILD/asan/tests/test_rtl" || fail=1
done
BUILD="$BUILD" HONE_ICARUS_NETS=${HONE_ICARUS_NETS:-40} HONE_RTL_SEED=300000 "$BUILD/asan/tests/test_rtl_icarus" || fail=1
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
