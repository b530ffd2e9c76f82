#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the link testbench (rtl/hone_link.v + sim/link/link_stub.v under
# Verilator, host/src/link.c on the other side of the UART) and run it:
# against the stand-in, against it with 254-byte RDATA bodies (reversed
# COBS's runs of 254), and in front of the real hone_chip.
# Usage: sim/link/run.sh [rounds]    (BUILD=dir, default build; LINK_RTL=dir:
# the link's sources from a candidate tree instead of rtl/)
# Ends with "N passed, N failed"; exit 77 (skip) without Verilator.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/link-rtl${LINK_RTL:+-cand}
command -v verilator >/dev/null || { echo "verilator not found: skipped"; exit 77; }
mkdir -p "$OUT"
L=${LINK_RTL:-rtl}
RTL="$L/hone_crc32.v $L/hone_uart_rx.v $L/hone_uart_tx.v rtl/hone_ram_1r1w.v
     $L/hone_link_rx.v $L/hone_link_parser.v $L/hone_link_tx.v $L/hone_link.v"
CHIP_RTL=$(ls rtl/hone_*.v | grep -v -e hone_link -e hone_uart -e hone_crc -e hone_top_)
SRC="sim/link/*.v $RTL $CHIP_RTL sim/link/link_tb.cpp host/src/link.c host/src/link.h
     host/src/hone_internal.h host/include/hone.h sim/link/link_stub_model.h"

# build TOP MDIR EXTRA...: one Verilator model and the harness around it
build() {
	local top=$1 dir=$2; shift 2
	mkdir -p "$dir"
	if [ -x "$dir/V$top" ] && [ -z "$(find $SRC -newer "$dir/stamp" 2>/dev/null)" ]; then
		return 0
	fi
	cc -std=c11 -O2 -Wall -Wextra -Werror -Ihost/include -Ihost/src \
		-c host/src/link.c -o "$dir/link.o"
	verilator --cc --exe --build -j 2 -O2 -Wno-fatal --top-module "$top" \
		-Mdir "$dir" -o "V$top" "$@" \
		-CFLAGS "-O1 -I$PWD/host/include -I$PWD/host/src -I$PWD/sim/link" \
		-LDFLAGS "$PWD/$dir/link.o -lz" \
		$PWD/sim/link/link_tb.cpp >"$dir/build.log" 2>&1 ||
		{ tail -30 "$dir/build.log"; exit 1; }
	touch "$dir/stamp"
}

build link_tb "$OUT/stub" -Wall -GRX_FA=9 sim/link/link_tb.v sim/link/link_stub.v $RTL
CAPS0=8877665544332211 CAPS1=1122334455667788
build link_tb "$OUT/long" -Wall -GRX_FA=9 -GMAX_PAYLOAD=254 \
	"-GCAPS0=64'h$CAPS0" "-GCAPS1=64'h$CAPS1" \
	-CFLAGS "-DLINK_LONG -DHONE_STUB_CAPS0=0x${CAPS0}ull -DHONE_STUB_CAPS1=0x${CAPS1}ull" \
	sim/link/link_tb.v sim/link/link_stub.v $RTL
build link_chip_tb "$OUT/chip" -CFLAGS -DLINK_CHIP rtl/hone.vlt \
	sim/link/link_chip_tb.v $RTL $CHIP_RTL

p=0; f=0
for bin in "$OUT/stub/Vlink_tb" "$OUT/long/Vlink_tb" "$OUT/chip/Vlink_chip_tb"; do
	out=$("$bin" "$@") || true
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$line" ]; then f=$((f + 1)); continue; fi
	p=$((p + $(echo "$line" | cut -d' ' -f1)))
	f=$((f + $(echo "$line" | cut -d' ' -f3)))
done
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
