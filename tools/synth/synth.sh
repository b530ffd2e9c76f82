#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# synth.sh: the board flow of picosoc's Makefile, for one board:
#   yosys synth_ice40 -> nextpnr-ice40 --pcf --freq -> icepack
# with the utilisation and the core clock's fmax written to summary.txt
# (key=value, one line) and report.txt (for people).
#
#   tools/synth/synth.sh --board icebreaker|hx8k [options]
#     --out DIR            output directory (default $BUILD/synth/BOARD)
#     --mhz F              core clock (default: the board file's BOARD_MHZ,
#                          else the configuration's clock_hz)
#     --seed N             nextpnr seed (default 1)
#     --stage yosys|pnr|all  stop after synthesis, after place and route
#                          (no bitstream), or build everything (default)
#     --reuse              reuse DIR/hone.json if it is newer than the RTL
#     --allow-timing-fail  still write a bitstream when fmax < the clock
#                          (the sweep uses it; a board build refuses)
#     --ooc                hone_chip alone (tools/synth/hone_ooc_top.v,
#                          no link, no PLL): the chip's own size and fmax
#     --pnr-out DIR        place and route into DIR (default: --out), from
#                          the netlist in --out (the seed sweep's use)
#     --rtl DIR            take the Verilog from DIR instead of rtl/ (to
#                          measure a candidate RTL change before making it)
#     --rev REV            take rtl/ as committed in git revision REV (e.g.
#                          HEAD): a figure that names its commit, and a
#                          build that others' half-saved files cannot break
#
# Board files: constraints/BOARD.board (top, configuration, device, ...)
# and constraints/BOARD.pcf. Exit status: 0 built (and timing met unless
# allowed to fail), 2 does not fit the device, 3 timing failed, 1 other.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

board="" out="" pnr_out="" rtldir=rtl rev="" mhz="" seed=1 stage=all reuse=0 allow_fail=0 ooc=0
while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mhz) mhz=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--stage) stage=$2; shift 2 ;;
	--reuse) reuse=1; shift ;;
	--allow-timing-fail) allow_fail=1; shift ;;
	--ooc) ooc=1; shift ;;
	--pnr-out) pnr_out=$2; shift 2 ;;
	--rtl) rtldir=$2; shift 2 ;;
	--rev) rev=$2; shift 2 ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "synth.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
[ -n "$board" ] || { echo "synth.sh: --board NAME (constraints/*.board)" >&2; exit 1; }
[ -f "constraints/$board.board" ] || { echo "synth.sh: no constraints/$board.board" >&2; exit 1; }
[ -f "constraints/$board.pcf" ] || { echo "synth.sh: no constraints/$board.pcf" >&2; exit 1; }

BUILD=${BUILD:-build}
BOARD_MHZ="" BOARD_YOSYS="" BOARD_OSC_MHZ=12
# shellcheck disable=SC1090
. "constraints/$board.board"
tag=$board
[ "$ooc" = 1 ] && tag=$board-ooc
out=${out:-$BUILD/synth/$tag}
pnr_out=${pnr_out:-$out}
mkdir -p "$out" "$pnr_out"
NICE=${NICE:-nice -n 10}

# ---------------------------------------------------------------- configuration
tooldir=$BUILD/synth/tools
cfgtool=$tooldir/hone_synthcfg
if [ ! -x "$cfgtool" ] || [ tools/synth/hone_synthcfg.c -nt "$cfgtool" ] ||
   [ host/src/config.c -nt "$cfgtool" ]; then
	mkdir -p "$tooldir"
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -Ihost/include -Ihost/src \
		tools/synth/hone_synthcfg.c host/src/config.c host/src/error.c -o "$cfgtool"
fi
eval "$("$cfgtool" "$BOARD_CONFIG")"

if [ -z "$mhz" ]; then
	mhz=${BOARD_MHZ:-$(awk -v hz="$HONE_CFG_CLOCK_HZ" 'BEGIN { printf "%g", hz / 1e6 }')}
fi

# PLL dividers for the core clock, and the frequency they really give.
pll=$(icepll -i "$BOARD_OSC_MHZ" -o "$mhz" 2>/dev/null) ||
	{ echo "synth.sh: icepll cannot make $mhz MHz from $BOARD_OSC_MHZ MHz" >&2; exit 1; }
divr=$(sed -n 's/^DIVR: *\([0-9]*\).*/\1/p' <<<"$pll")
divf=$(sed -n 's/^DIVF: *\([0-9]*\).*/\1/p' <<<"$pll")
divq=$(sed -n 's/^DIVQ: *\([0-9]*\).*/\1/p' <<<"$pll")
filt=$(sed -n 's/^FILTER_RANGE: *\([0-9]*\).*/\1/p' <<<"$pll")
achieved=$(sed -n 's/^F_PLLOUT: *\([0-9.]*\) MHz (achieved).*/\1/p' <<<"$pll")
clk_hz=$(awk -v f="$achieved" 'BEGIN { printf "%.0f", f * 1e6 }')
cpb=$(( (clk_hz + HONE_CFG_BAUD / 2) / HONE_CFG_BAUD ))
baud_err=$(awk -v c="$clk_hz" -v b="$HONE_CFG_BAUD" -v n="$cpb" \
	'BEGIN { e = (c / n - b) / b * 100; printf "%.2f", e < 0 ? -e : e }')
if [ "$ooc" = 0 ] && { [ "$cpb" -lt 3 ] || awk -v e="$baud_err" 'BEGIN { exit !(e > 2) }'; }; then
	echo "synth.sh: $achieved MHz gives $cpb clocks per bit at $HONE_CFG_BAUD baud" \
	     "(${baud_err}% off): pick a clock near a multiple of the baud rate" >&2
	exit 1
fi

build_id=$(git rev-parse -q --verify "${rev:-HEAD}:rtl" 2>/dev/null | cut -c1-8)
build_id=$((16#${build_id:-0}))
if [ -n "$rev" ]; then
	git rev-parse -q --verify "$rev^{commit}" >/dev/null ||
		{ echo "synth.sh: no git revision $rev" >&2; exit 1; }
	rm -rf "$out/src" && mkdir -p "$out/src"
	git archive "$rev" rtl | tar -x -C "$out/src"
	rtldir=$out/src/rtl
	echo "synth.sh: rtl/ of $(git rev-parse --short "$rev") ($(git log -1 --format=%s "$rev" | cut -c1-60))"
fi

# ---------------------------------------------------------------- yosys
rtl=$(ls "$rtldir"/hone_*.v | grep -v "/hone_top_[^/]*$" | tr "\n" " ")
if [ "$ooc" = 1 ]; then
	top=hone_ooc_top
	# the chip's own sources: rtl/module.mk's RTL_SRC when make passes it
	# (HONE_CHIP_SRC), else everything but the link layer
	chip=${HONE_CHIP_SRC:-$(tr ' ' '\n' <<<"$rtl" | grep -vE '/hone_(system|link|uart_|crc)[^/]*$' | tr '\n' ' ')}
	[ "$rtldir" = rtl ] || chip=$(tr ' ' '\n' <<<"$rtl" | grep -vE '/hone_(system|link|uart_|crc)[^/]*$' | tr '\n' ' ')
	srcs="tools/synth/hone_ooc_top.v $chip"
	pcf=$out/ooc.pcf
	topparams=""
else
	top=$BOARD_TOP
	topsrc=$rtldir/$top.v
	[ -f "$topsrc" ] || topsrc=rtl/$top.v
	srcs="$topsrc $rtl"
	pcf=constraints/$board.pcf
	topparams="-set CLK_HZ $clk_hz -set BAUD $HONE_CFG_BAUD -set PLL_DIVR $divr \
-set PLL_DIVF $divf -set PLL_DIVQ $divq -set PLL_FILTER $filt"
fi
chparam="chparam -set CORES $HONE_CFG_CORES -set LANES $HONE_CFG_LANES \
-set WBITS $HONE_CFG_WBITS -set PBITS $HONE_CFG_PBITS -set GBITS $HONE_CFG_GBITS \
-set NEURONS $HONE_CFG_NEURONS -set AXONS $HONE_CFG_AXONS -set WWORDS $HONE_CFG_WWORDS \
-set AXSEGS $HONE_CFG_AXSEGS -set RTSEGS $HONE_CFG_RTSEGS \
-set WMEM_IMPL \"$HONE_CFG_WMEM_IMPL\" -set BUILD_ID $build_id $topparams $top"

cat > "$out/hone.ys" <<EOF
# generated by tools/synth/synth.sh --board $board$([ "$ooc" = 1 ] && echo " --ooc")
read_verilog -DSYNTHESIS -defer $srcs
$chparam
hierarchy -top $top
synth_ice40 -top $top $BOARD_YOSYS -json $out/hone.json
tee -q -o $out/yosys_stat.txt stat
EOF

if [ "$ooc" = 1 ]; then
	# spare pins of the same package for the harness's seven ports
	case "$BOARD_DEVICE" in
	*sg48*) pins="35 10 11 12 13 9 6" ;;
	*ct256*) pins="J3 B10 B12 B5 B4 A2 A1" ;;
	*) echo "synth.sh: --ooc knows no pins for $BOARD_DEVICE" >&2; exit 1 ;;
	esac
	set -- $pins
	printf 'set_io i_clk %s\nset_io i_rst_n %s\nset_io i_sin %s\nset_io i_cmd_go %s\nset_io i_rsp_ready %s\nset_io o_sout %s\nset_io o_cmd_ready %s\n' \
		"$@" > "$pcf"
fi

# Reuse the netlist only if it came from the same script and no source is newer.
fresh=0
if [ "$reuse" = 1 ] && [ -s "$out/hone.json" ] && cmp -s "$out/hone.ys" "$out/hone.ys.done"; then
	fresh=1
	for f in $srcs "constraints/$board.board" host/src/config.c; do
		if [ "$f" -nt "$out/hone.json" ]; then fresh=0; fi
	done
fi
if [ "$fresh" = 1 ]; then
	echo "synth.sh: reusing $out/hone.json"
else
	echo "synth.sh: yosys synth_ice40 $top ($HONE_CFG_NAME) -> $out/hone.json"
	rm -f "$out/hone.ys.done"
	if ! $NICE yosys -q -l "$out/yosys.log" "$out/hone.ys" >/dev/null; then
		tail -20 "$out/yosys.log" >&2
		exit 1
	fi
	cp "$out/hone.ys" "$out/hone.ys.done"
fi
[ "$stage" = yosys ] && exit 0

# Same netlist, seed and clock as the last complete build: nothing to do.
if [ "$fresh" = 1 ] && [ "$stage" = all ] && [ -s "$pnr_out/hone.bin" ] &&
   [ "$pnr_out/hone.bin" -nt "$out/hone.json" ] &&
   grep -q " seed=$seed target_mhz=$mhz .*timing=pass" "$pnr_out/summary.txt" 2>/dev/null; then
	cat "$pnr_out/report.txt"
	echo "synth.sh: $pnr_out/hone.bin is up to date"
	exit 0
fi

# ---------------------------------------------------------------- nextpnr
echo "synth.sh: nextpnr-ice40 $BOARD_DEVICE --freq $mhz --seed $seed"
rm -f "$pnr_out/report.json" "$pnr_out/hone.asc"
set +e
# shellcheck disable=SC2086
$NICE nextpnr-ice40 $BOARD_DEVICE --pcf "$pcf" --json "$out/hone.json" \
	--asc "$pnr_out/hone.asc" --freq "$mhz" --seed "$seed" --report "$pnr_out/report.json" \
	--timing-allow-fail --log "$pnr_out/nextpnr.log" >/dev/null 2>&1
pnr_rc=$?
set -e

tools/synth/report.sh --board "$board" --config "$HONE_CFG_NAME" --dir "$pnr_out" \
	--stat "$out/yosys_stat.txt" \
	--mhz "$mhz" --seed "$seed" --clk-hz "$clk_hz" --baud "$HONE_CFG_BAUD" \
	--cpb "$cpb" --pll "DIVR=$divr DIVF=$divf DIVQ=$divq FILTER_RANGE=$filt" \
	$([ "$ooc" = 1 ] && echo --ooc)
summary=$(cat "$pnr_out/summary.txt")
fits=$(sed -n 's/.*\bfits=\([0-9]\).*/\1/p' <<<"$summary")
timing=$(sed -n 's/.*\btiming=\([a-z]*\).*/\1/p' <<<"$summary")
if [ "$fits" != 1 ]; then
	echo "synth.sh: the design does not fit $BOARD_DEVICE (see $pnr_out/report.txt)" >&2
	exit 2
fi
if [ $pnr_rc -ne 0 ]; then
	echo "synth.sh: nextpnr failed (see $pnr_out/nextpnr.log)" >&2
	tail -5 "$pnr_out/nextpnr.log" >&2
	exit 1
fi
[ "$stage" = pnr ] && { [ "$timing" = pass ] || [ "$allow_fail" = 1 ] || exit 3; exit 0; }

# ---------------------------------------------------------------- icepack
if [ "$timing" != pass ] && [ "$allow_fail" = 0 ]; then
	echo "synth.sh: timing fails at $mhz MHz: no bitstream (--allow-timing-fail," \
	     "or a lower clock with --mhz / BOARD_MHZ)" >&2
	exit 3
fi
icepack "$pnr_out/hone.asc" "$pnr_out/hone.bin"
echo "synth.sh: $pnr_out/hone.bin"
