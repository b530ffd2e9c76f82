#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# synth_postsim: the synthesized gate-level netlist of hone_chip (yosys
# synth_ice40, simulated in Icarus with Yosys' iCE40 cell models) against
# the C reference model, bit for bit: tests/test_rtl_icarus.c run on the
# netlist instead of the RTL (tools/synth/postsim.sh), twice: the `tiny`
# configuration built with the UP5K's SPRAM and DSP primitives, and with
# EBR weights and LUT lanes. About a minute per network on two shared
# cores; HONE_POSTSIM_NETS=n (default 4).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
for t in yosys iverilog vvp; do
	command -v "$t" >/dev/null 2>&1 || { echo "no $t: skipped"; exit 77; }
done
test=$BUILD/asan/tests/test_rtl_icarus
if [ ! -x "$test" ]; then
	make --no-print-directory BUILD="$BUILD" "$test" >/dev/null || exit 1
fi
rc=0
# the UP5K's primitives (SB_SPRAM256KA weights, SB_MAC16 lanes), then EBR
BUILD=$BUILD tools/synth/postsim.sh --config tiny --wmem spram \
	--nets "${HONE_POSTSIM_NETS:-4}" --test "$test" || rc=1
BUILD=$BUILD tools/synth/postsim.sh --config tiny \
	--nets "${HONE_POSTSIM_NETS:-4}" --test "$test" || rc=1
exit $rc
