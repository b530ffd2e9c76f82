#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test_synth: the board flow's regression guard (docs/boards.md).
#   1. every board's top (constraints/*.board) lints clean (verilator -Wall, with Yosys' iCE40 cell
#      models for the PLL)
#   2. the flow refuses a core clock the UART cannot divide to its baud rate
#   3. the UP5K build (iCEBreaker, configuration up5k, nextpnr seed 1) fits
#      and reaches the fmax floor recorded in constraints/up5k.fmax
#      (tools/synth/fmax_guard.sh: skipped while the design has never fit)
# A few minutes: one yosys run and one nextpnr run, niced.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/synth/test-icebreaker
mkdir -p "$out"

passed=0 failed=0 skipped=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
skip() { echo "skip  $1"; skipped=$((skipped + 1)); }
finish() { echo "$passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit; }

for t in yosys nextpnr-ice40 icepack icepll; do
	if ! command -v "$t" >/dev/null 2>&1; then
		skip "no $t: the board flow is not installed (make bootstrap)"
		finish
	fi
done

# 1. lint of the board tops
datdir=$(yosys-config --datdir 2>/dev/null || echo "$(dirname "$(command -v yosys)")/../share/yosys")
if command -v verilator >/dev/null 2>&1; then
	srcs=$(ls rtl/hone_*.v | grep -v '^rtl/hone_top_' | tr '\n' ' ')
	for bf in constraints/*.board; do
		top=$(. "$bf" && echo "$BOARD_TOP")
		# shellcheck disable=SC2086
		if verilator --lint-only -Wall --timescale 1ps/1ps -DNO_ICE40_DEFAULT_ASSIGNMENTS \
			--top-module "$top" tools/synth/board_tops.vlt rtl/hone.vlt \
			"rtl/$top.v" $srcs "$datdir/ice40/cells_sim.v" > "$out/lint_$top.log" 2>&1; then
			ok "lint $top"
		else
			bad "lint $top"; sed 's/^/      | /' "$out/lint_$top.log" | head -20
		fi
	done
else
	skip "lint: no verilator"
fi

# 2. a clock that is not a multiple of the UART's bit time is refused
# before anything is built (31 MHz / 3 Mbaud = 10.3 clocks per bit)
if BUILD=$BUILD tools/synth/synth.sh --board icebreaker --mhz 31 --stage yosys \
	--out "$out/refuse" > "$out/refuse.log" 2>&1; then
	bad "31 MHz at 3 Mbaud was not refused"
elif grep -q "clocks per bit" "$out/refuse.log"; then
	ok "31 MHz at 3 Mbaud refused (baud error > 2%)"
else
	bad "31 MHz: failed for another reason"; sed 's/^/      | /' "$out/refuse.log" | tail -5
fi

# 3. the UP5K build and its floor
start=$(date +%s)
rc=0
# A design at the edge of the part can keep nextpnr's router going for a
# very long time; bound it so make test stays inside its budget.
limit=${HONE_SYNTH_TIMEOUT:-600}
BUILD=$BUILD timeout --kill-after=10 "$limit" tools/synth/synth.sh --board icebreaker --seed 1 \
	--stage pnr --allow-timing-fail --reuse --out "$out" > "$out/synth.log" 2>&1 || rc=$?
echo "      synth.sh exit $rc in $(( $(date +%s) - start ))s:"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	grep -E "ICESTORM_(LC|RAM)|Max frequency" "$out/nextpnr.log" 2>/dev/null | sed 's/^/      | /'
	if grep -q '^FITS_RECORDED=1' constraints/up5k.fmax 2>/dev/null; then
		bad "up5k build did not finish place and route in ${limit}s (it fitted before)"
	else
		skip "up5k build did not finish place and route in ${limit}s (not yet fitting; nothing recorded)"
	fi
	finish
fi
sed 's/^/      | /' "$out/report.txt" 2>/dev/null
if [ ! -s "$out/summary.txt" ]; then
	bad "up5k build produced no summary"; sed 's/^/      | /' "$out/synth.log" | tail -20
	finish
fi
grc=0
tools/synth/fmax_guard.sh --board icebreaker --summary "$out/summary.txt" > "$out/guard.log" 2>&1 || grc=$?
cat "$out/guard.log"
case $grc in
0) ok "up5k fits and meets its fmax floor" ;;
77) skip "up5k fmax floor: nothing recorded yet (does not fit)" ;;
*) bad "up5k fmax floor" ;;
esac
finish
