#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test_rtl_mac: the lanes' multiply-add in the UP5K's DSPs (rtl/hone_lane_mac.v,
# IMPL "ice40_dsp": SB_MAC16 in dual 8x8 mode) equals the behavioural lanes
# that every other RTL test simulates, with Yosys' own SB_MAC16 model, under
# Icarus (sim/hone_mac_tb.v): exhaustively for the configurations' widths
# (4-bit weights, 4-bit g, 16-bit potentials), randomly for the widest the
# DSP takes and a narrow one. Skips without iverilog or the Yosys models.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/sim/mac
mkdir -p "$out"
command -v iverilog >/dev/null 2>&1 || { echo "no iverilog: skipped"; exit 77; }
yosys_bin=$(command -v yosys || true)
cells=${YOSYS_DATDIR:-$( [ -n "$yosys_bin" ] && echo "$(dirname "$yosys_bin")/../share/yosys")}/ice40/cells_sim.v
[ -f "$cells" ] || { echo "no Yosys iCE40 cell models ($cells): skipped"; exit 77; }

passed=0 failed=0
for p in "4 4 16" "8 7 16" "2 1 12"; do
	set -- $p
	vvp="$out/mac_$1_$2_$3.vvp"
	if iverilog -g2005 -Wall -Wno-timescale -Wno-portbind -Wno-implicit-dimensions \
		-DNO_ICE40_DEFAULT_ASSIGNMENTS -P hone_mac_tb.WBITS=$1 -P hone_mac_tb.GBITS=$2 \
		-P hone_mac_tb.PBITS=$3 -o "$vvp" sim/hone_mac_tb.v rtl/hone_lane_mac.v "$cells" \
		>"$out/iverilog_$1_$2_$3.log" 2>&1 && vvp -n "$vvp" +n=30000 | tee "$out/run_$1_$2_$3.log" |
		grep -q " 0 mismatches"; then
		echo "ok    W=$1 G=$2 P=$3: $(grep '^mac: W' "$out/run_$1_$2_$3.log")"
		passed=$((passed + 1))
	else
		echo "FAIL  W=$1 G=$2 P=$3"
		cat "$out/iverilog_$1_$2_$3.log" "$out/run_$1_$2_$3.log" 2>/dev/null | tail -15
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
