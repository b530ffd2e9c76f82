#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The link alone on the iCE40UP5K: yosys synth_ice40 of hone_link behind
# sim/link/link_ooc_top.v (iCEBreaker parameters), then nextpnr-ice40
# --up5k --package sg48 with seeds 1..N one after the other: logic cells,
# flip-flops, EBRs and fmax per seed, and the median fmax.
# Usage: sim/link/fmax.sh [seeds] [target MHz]    (BUILD=dir, RTL=dir)
# Writes $BUILD/link-fmax/: link.json, yosys.log, pnr-N.log, blame.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RTLDIR=${RTL:-rtl}
SEEDS=${1:-3}
MHZ=${2:-45}
OUT=$BUILD/link-fmax
command -v nextpnr-ice40 >/dev/null || { echo "nextpnr-ice40 not found: skipped"; exit 77; }
mkdir -p "$OUT"
SRC=""
for f in hone_crc32 hone_uart_rx hone_uart_tx hone_ram_1r1w hone_link_rx hone_link_parser \
	hone_link_tx hone_link; do
	SRC="$SRC $RTLDIR/$f.v"
done
SRC="$SRC sim/link/link_ooc_top.v"
# shellcheck disable=SC2086
nice yosys -q -l "$OUT/yosys.log" -p "read_verilog -DSYNTHESIS $SRC;
	synth_ice40 -top link_ooc_top -json $OUT/link.json; tee -q -o $OUT/stat.txt stat" >/dev/null
lut=$(awk '/SB_LUT4/ { print $2 }' "$OUT/stat.txt" | tail -1)
ff=$(awk '/SB_DFF/ { n += $2 } END { print n }' "$OUT/stat.txt")
ebr=$(awk '/SB_RAM40_4K/ { print $2 }' "$OUT/stat.txt" | tail -1)
printf 'set_io i_clk 35\nset_io i_rst_n 10\nset_io i_uart_rx 6\nset_io o_uart_tx 9\nset_io i_cmd_ready 11\nset_io o_sout 12\nset_io i_sin 13\nset_io i_rsp_go 18\n' \
	> "$OUT/ooc.pcf"
python3 tools/synth/lc_blame.py "$OUT/link.json" --depth 3 --limit 30 > "$OUT/blame.txt" 2>&1 || true
fm=()
for s in $(seq 1 "$SEEDS"); do
	nice nextpnr-ice40 --up5k --package sg48 --pcf "$OUT/ooc.pcf" --json "$OUT/link.json" \
		--freq "$MHZ" --seed "$s" --timing-allow-fail --log "$OUT/pnr-$s.log" >/dev/null 2>&1 ||
		{ echo "seed $s: nextpnr failed (see $OUT/pnr-$s.log)"; tail -3 "$OUT/pnr-$s.log"; exit 1; }
	lc=$(awk '/ICESTORM_LC:/ { sub("/", "", $3); v = $3 } END { print v }' "$OUT/pnr-$s.log")
	f=$(grep -E "Max frequency for clock +'i_clk" "$OUT/pnr-$s.log" | tail -1 | sed -E 's/.*: ([0-9.]+) MHz.*/\1/')
	echo "seed=$s lc=$lc fmax_mhz=$f"
	fm+=("$f")
done
med=$(printf '%s\n' "${fm[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "link_ooc_top (up5k sg48, target $MHZ MHz): lut4=$lut ff=$ff ebr=$ebr lc=$lc median_fmax_mhz=$med"
