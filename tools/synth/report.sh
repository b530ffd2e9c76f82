#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# report.sh: read one board build's logs (yosys stat, nextpnr log) and
# write, in the same directory:
#   summary.txt        one line of key=value (what the sweep, the fmax guard
#                      and the tests read)
#   report.txt         utilisation and timing, for people
#   critical_path.txt  nextpnr's critical path report of the core clock
#
#   tools/synth/report.sh --dir DIR [--stat YOSYS_STAT] --board B --config C --mhz F --seed N
#                         [--clk-hz HZ --baud B --cpb N --pll "..."] [--ooc]
#
# The utilisation is nextpnr's, after packing (so it is known even when the
# design does not fit and placement stops); fmax is the last figure nextpnr
# printed for the core clock (after routing when it got that far).
set -euo pipefail

dir="" stat="" board="" config="" mhz="" seed="" clk_hz="" baud="" cpb="" pll="" ooc=0
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) dir=$2; shift 2 ;;
	--stat) stat=$2; shift 2 ;;
	--board) board=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--mhz) mhz=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--clk-hz) clk_hz=$2; shift 2 ;;
	--baud) baud=$2; shift 2 ;;
	--cpb) cpb=$2; shift 2 ;;
	--pll) pll=$2; shift 2 ;;
	--ooc) ooc=1; shift ;;
	*) echo "report.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
log=$dir/nextpnr.log
[ -f "$log" ] || { echo "report.sh: no $log" >&2; exit 1; }

# "Info:          ICESTORM_LC:  9543/ 5280   180%" -> used and available (last seen)
util() {
	awk -v r="$1" '$2 == r":" { split($3 $4, a, "/"); u = a[1]; n = a[2] }
		END { printf "%s %s", (u == "" ? 0 : u), (n == "" ? 0 : n) }' "$log"
}
read -r lc lc_max <<<"$(util ICESTORM_LC)"
read -r ebr ebr_max <<<"$(util ICESTORM_RAM)"
read -r spram spram_max <<<"$(util ICESTORM_SPRAM)"
read -r dsp dsp_max <<<"$(util ICESTORM_DSP)"
read -r io io_max <<<"$(util SB_IO)"
read -r pllc pll_max <<<"$(util ICESTORM_PLL)"

# Placement or packing that ran out of room ends the run with this message.
fits=1
if grep -qE "no BELs remaining|Unable to place cell|failed to place|Design too large" "$log"; then
	fits=0
fi
for pair in "$lc $lc_max" "$ebr $ebr_max" "$spram $spram_max" "$dsp $dsp_max"; do
	set -- $pair
	[ "$2" -gt 0 ] && [ "$1" -gt "$2" ] && fits=0
done

# The core clock: the PLL's output, named clk in the board tops (nextpnr may
# append $glb_clk); out of context, the one clock that is not the
# oscillator's (i_clk).
fline=$(grep -E "Max frequency for clock 'clk(\\\$[^']*)?'" "$log" | tail -1 || true)
[ -n "$fline" ] ||
	fline=$(grep -E "Max frequency for clock '" "$log" | grep -vE "clock '[^']*clk12[^']*'" | tail -1 || true)
clock=$(sed -n "s/.*Max frequency for clock '\([^']*\)'.*/\1/p" <<<"$fline")
fmax=$(sed -n "s/.*': *\([0-9.]*\) MHz.*/\1/p" <<<"$fline")
fmax=${fmax:-0}
timing=none
case "$fline" in
*PASS*) timing=pass ;;
*FAIL*) timing=fail ;;
esac
[ "$fits" = 1 ] || timing=none

# nextpnr's critical path of that clock (the last report in the log)
if [ -n "$clock" ]; then
	awk -v c="Critical path report for clock '$clock'" '
		index($0, c) { buf = ""; on = 1 }
		on && /^Info: *$/ { on = 0 }
		on { buf = buf $0 "\n" }
		END { printf "%s", buf }' "$log" > "$dir/critical_path.txt"
else
	: > "$dir/critical_path.txt"
fi
# the same path as the RTL lines it runs through
here=$(cd "$(dirname "$0")" && pwd)
rtlpath=""
if [ -s "$dir/critical_path.txt" ] && command -v python3 >/dev/null 2>&1; then
	rtlpath=$(python3 "$here/path_rtl.py" "$dir/critical_path.txt" 2>/dev/null || true)
fi

stat=${stat:-$dir/yosys_stat.txt}
cells() { awk -v c="$1" '$1 == c { n = $2 } END { print n + 0 }' "$stat" 2>/dev/null || echo 0; }
luts=$(cells SB_LUT4)
ffs=$(awk '$1 ~ /^SB_DFF/ { n += $2 } END { print n + 0 }' "$stat" 2>/dev/null || echo 0)
carry=$(cells SB_CARRY)

printf 'board=%s config=%s ooc=%s seed=%s target_mhz=%s fits=%s lc=%s lc_max=%s ebr=%s ebr_max=%s spram=%s spram_max=%s dsp=%s dsp_max=%s io=%s io_max=%s lut4=%s ff=%s carry=%s clock=%s fmax_mhz=%s timing=%s\n' \
	"$board" "$config" "$ooc" "$seed" "$mhz" "$fits" "$lc" "$lc_max" "$ebr" "$ebr_max" \
	"$spram" "$spram_max" "$dsp" "$dsp_max" "$io" "$io_max" "$luts" "$ffs" "$carry" \
	"${clock:-none}" "$fmax" "$timing" > "$dir/summary.txt"

pct() { awk -v u="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%5.1f%%", 100 * u / n; else printf "     -" }'; }
{
	echo "hone on $board (configuration $config)$([ "$ooc" = 1 ] && echo ", hone_chip out of context")"
	echo
	echo "utilisation (nextpnr, after packing)"
	printf '  %-22s %6s / %-6s %s\n' "logic cells (LC)" "$lc" "$lc_max" "$(pct "$lc" "$lc_max")"
	printf '  %-22s %6s / %-6s %s\n' "EBR (SB_RAM40_4K)" "$ebr" "$ebr_max" "$(pct "$ebr" "$ebr_max")"
	[ "$spram_max" -gt 0 ] && printf '  %-22s %6s / %-6s %s\n' "SPRAM (SB_SPRAM256KA)" "$spram" "$spram_max" "$(pct "$spram" "$spram_max")"
	[ "$dsp_max" -gt 0 ] && printf '  %-22s %6s / %-6s %s\n' "DSP (SB_MAC16)" "$dsp" "$dsp_max" "$(pct "$dsp" "$dsp_max")"
	printf '  %-22s %6s / %-6s\n' "IO" "$io" "$io_max"
	[ "$pll_max" -gt 0 ] && printf '  %-22s %6s / %-6s\n' "PLL" "$pllc" "$pll_max"
	printf '  yosys cells: %s SB_LUT4, %s flip-flops, %s SB_CARRY\n' "$luts" "$ffs" "$carry"
	echo
	if [ "$fits" = 1 ]; then
		echo "timing (nextpnr-ice40 --freq $mhz --seed $seed)"
		printf '  core clock %s: fmax %s MHz, %s at %s MHz\n' "${clock:-?}" "$fmax" \
			"$(tr a-z A-Z <<<"$timing")" "$mhz"
		if [ -n "$rtlpath" ]; then
			echo "  critical path (tools/synth/path_rtl.py; nextpnr's in critical_path.txt):"
			sed 's/^/    /' <<<"$rtlpath"
		fi
	else
		echo "DOES NOT FIT: placement stopped, no timing figure"
	fi
	if [ "$ooc" = 0 ] && [ -n "$clk_hz" ]; then
		echo
		printf '  PLL: %s -> %s Hz; UART %s baud = %s clocks per bit\n' "$pll" "$clk_hz" "$baud" "$cpb"
	fi
} > "$dir/report.txt"
cat "$dir/report.txt"
