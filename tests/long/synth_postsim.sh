#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# synth_postsim: the synthesized gate-level netlist of hone_chip (yosys
# synth_ice40, Yosys' iCE40 cell models) against the C reference model, bit
# for bit (tools/synth/postsim.sh, tests/test_rtl_icarus.c on the netlist):
#
#   1. up5k (the iCEBreaker's configuration: SPRAM weights, SB_MAC16
#      lanes) in Verilator: HONE_POSTSIM_NETS random networks (default 100)
#      and HONE_POSTSIM_SAMPLES Fashion-MNIST test images (default 100)
#      through a network trained for it;
#   2. hx8k (EBR weights, LUT lanes) in Verilator: 20 random networks and
#      20 8x8 digits through a network trained for it;
#   3. tiny, built with the UP5K's primitives (4 cores: the routing fabric
#      between cores, which the one-core boards do not have), in
#      Verilator: 20 random networks;
#   4. up5k in Icarus, 4-state (an X the 2-state Verilator would read as 0
#      shows here): 2 random networks, about 4 minutes;
#   5. up5k broken on purpose, twice: in the RTL (u > θ in place of
#      u >= θ) and in the netlist (one SB_MAC16 taking its weights as
#      unsigned); both must be caught.
#
# About 12 minutes on two shared cores. Ends with "N passed, N failed".
# HONE_POSTSIM_REV=REV: rtl/ as committed in REV instead of the tree's.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
for t in yosys verilator iverilog vvp; do
	command -v "$t" >/dev/null 2>&1 || { echo "no $t: skipped"; exit 77; }
done
test=$BUILD/asan/tests/test_rtl_icarus
if [ ! -x "$test" ]; then
	make --no-print-directory BUILD="$BUILD" "$test" >/dev/null || exit 1
fi
passed=0 failed=0
step() {
	echo "== tools/synth/postsim.sh $*"
	if BUILD=$BUILD tools/synth/postsim.sh --test "$test" \
		${HONE_POSTSIM_REV:+--rev "$HONE_POSTSIM_REV"} "$@" 2>&1 | grep --line-buffered -v '^Warning: Replacing memory'; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}
set -o pipefail
step --config up5k --nets "${HONE_POSTSIM_NETS:-100}" --samples "${HONE_POSTSIM_SAMPLES:-100}"
step --config hx8k --nets 20 --samples 20 --dataset digits
step --config tiny --wmem spram --nets 20 --samples 0
step --config up5k --sim icarus --nets 2 --samples 0 --out "$BUILD/synth/postsim-up5k-icarus"
img=$BUILD/synth/postsim-up5k/net_fashion-mnist.himg
[ -f "$img" ] || img=""
step --config up5k --break rtl --nets 4 --samples 4 ${img:+--image "$img"}
step --config up5k --break netlist --nets 4 --samples 4 ${img:+--image "$img"}
echo "synth_postsim: $passed passed, $failed failed"
[ "$failed" = 0 ]
