#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the link testbench (rtl/hone_link.v + sim/link/link_stub.v under
# Verilator, host/src/link.c on the other side of the UART) and run it.
# Usage: sim/link/run.sh [rounds]    (BUILD=dir, default build)
# Ends with "N passed, N failed"; exit 77 (skip) without Verilator.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/link-rtl
command -v verilator >/dev/null || { echo "verilator not found: skipped"; exit 77; }
mkdir -p "$OUT"
RTL="rtl/hone_crc16.v rtl/hone_uart_rx.v rtl/hone_uart_tx.v rtl/hone_ram_1r1w.v
     rtl/hone_link_rx.v rtl/hone_link_parser.v rtl/hone_link_tx.v rtl/hone_link.v"
SRC="sim/link/link_tb.v sim/link/link_stub.v $RTL sim/link/link_tb.cpp host/src/link.c
     host/src/link.h sim/link/link_stub_model.h"
stamp=$OUT/stamp
if [ ! -x "$OUT/Vlink_tb" ] || [ -n "$(find $SRC -newer "$stamp" 2>/dev/null)" ]; then
	cc -std=c11 -O2 -Wall -Wextra -Werror -Ihost/include -Ihost/src \
		-c host/src/link.c -o "$OUT/link.o"
	verilator --cc --exe --build -j 2 -O2 -Wall -Wno-fatal --top-module link_tb \
		-GRX_FA=9 \
		-Mdir "$OUT" -o Vlink_tb \
		-CFLAGS "-O1 -I$PWD/host/include -I$PWD/host/src -I$PWD/sim/link" \
		-LDFLAGS "$PWD/$OUT/link.o" \
		sim/link/link_tb.v sim/link/link_stub.v $RTL $PWD/sim/link/link_tb.cpp \
		>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
	touch "$stamp"
fi
exec "$OUT/Vlink_tb" "$@"
