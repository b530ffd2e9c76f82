#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# postsim.sh: post-synthesis simulation of hone_chip (picosoc's habit).
# yosys synth_ice40 makes the gate-level netlist the board would get
# (SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_SPRAM256KA, SB_MAC16), which
# runs with Yosys' own iCE40 cell models (cells_sim.v) behind the RTL
# owner's file-driven test bench sim/hone_tb.v, in Verilator (--binary
# --timing: the test bench as it is) or Icarus. The comparison with the C
# reference model is tests/test_rtl_icarus.c: random networks compiled for
# the configuration, and data set samples through a chip image, every
# spike, every potential of every tick and the counters.
#
#   tools/synth/postsim.sh [--config up5k] [--wmem IMPL] [--sim verilator]
#                          [--nets N] [--samples N] [--image NET.himg]
#                          [--dataset NAME] [--rev REV | --rtl DIR]
#                          [--break rtl|netlist]
#                          [--out DIR] [--test PATH] [--build-only]
#
#   --config   chip configuration to synthesize (default up5k, the
#              iCEBreaker's: one 16-lane core, weights in the 4 SPRAMs,
#              lanes in the 8 SB_MAC16)
#   --wmem IMPL  weight memory implementation, overriding the configuration's
#              ("spram": SB_SPRAM256KA weights and, with them, the SB_MAC16
#              lanes; `--config tiny --wmem spram` puts the UP5K's own
#              primitives in the 4-core configuration)
#   --sim      verilator (default; about 25,000 netlist cycles a second) or
#              icarus (4-state, about 100 times slower)
#   --nets N   random networks to compare (default 20; HONE_RTL_SEED=s
#              their first seed, default 1)
#   --samples N  data set samples through a chip image (default 20 on up5k,
#              0 elsewhere), one run, pipelined as hone_run_samples does
#   --image F  the chip image for them (default: a Fashion-MNIST network
#              trained here in about 20 s, $BUILD/hone train --seed 1)
#   --dataset  fashion-mnist (default) or digits
#   --test     the comparison binary (default $BUILD/asan/tests/test_rtl_icarus)
#   --rtl DIR  take the chip's sources from DIR instead of rtl/
#   --rev REV  take rtl/ as committed in git revision REV
#   --break K  break the chip on purpose and succeed only if the
#              comparison catches it: rtl, the threshold comparison u >= θ
#              of hone_core.v turned into u > θ before synthesis; netlist,
#              in the synthesized netlist, the first SB_MAC16's A_SIGNED
#              cleared (lane 0 takes its weights as unsigned), which only
#              a simulation of the netlist itself can see
#
# Prints a line per network, one per image run, and a final
# "postsim: N passed, N failed" (networks and image runs).
#
# The netlist keeps hone_chip's ports; its parameters are gone (they are
# built in), so a thin generated wrapper named hone_chip accepts and
# ignores the test bench's parameter overrides.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

config=up5k out="" nets=20 samples="" image="" dataset=fashion-mnist sim=verilator
test="" build_only=0 rtldir=rtl rev="" tb=sim/hone_tb.v wmem="" broken=""
while [ $# -gt 0 ]; do
	case "$1" in
	--config) config=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--nets) nets=$2; shift 2 ;;
	--samples) samples=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--dataset) dataset=$2; shift 2 ;;
	--sim) sim=$2; shift 2 ;;
	--test) test=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	--rtl) rtldir=$2; shift 2 ;;
	--rev) rev=$2; shift 2 ;;
	--wmem) wmem=$2; shift 2 ;;
	--break) broken=$2; shift 2 ;;
	*) echo "postsim.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
case "$sim" in verilator|icarus) ;; *) echo "postsim.sh: --sim verilator or icarus" >&2; exit 1 ;; esac
case "$broken" in ""|rtl|netlist) ;; *) echo "postsim.sh: --break rtl or netlist" >&2; exit 1 ;; esac
[ -n "$samples" ] || { [ "$config" = up5k ] && samples=20 || samples=0; }
BUILD=${BUILD:-build}
suffix=""
[ -n "$broken" ] && suffix=-broken-$broken
out=${out:-$BUILD/synth/postsim-$config${wmem:+-$wmem}$suffix}
test=${test:-$BUILD/asan/tests/test_rtl_icarus}
mkdir -p "$out/sim/icarus"
NICE=${NICE:-nice -n 10}

datdir=$(yosys-config --datdir 2>/dev/null || echo "$(dirname "$(command -v yosys)")/../share/yosys")
cells=$datdir/ice40/cells_sim.v
[ -f "$cells" ] || { echo "postsim.sh: no $cells" >&2; exit 1; }

tooldir=$BUILD/synth/tools
cfgtool=$tooldir/hone_synthcfg
if [ ! -x "$cfgtool" ] || [ tools/synth/hone_synthcfg.c -nt "$cfgtool" ] ||
   [ host/src/config.c -nt "$cfgtool" ]; then
	mkdir -p "$tooldir"
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -Ihost/include -Ihost/src \
		tools/synth/hone_synthcfg.c host/src/config.c host/src/error.c -o "$cfgtool"
fi
eval "$("$cfgtool" "$config")"
[ -n "$wmem" ] && HONE_CFG_WMEM_IMPL=$wmem

# the chip's own sources: rtl/module.mk's RTL_SRC when make passes it
# (HONE_CHIP_SRC), else everything but the link layer and the board tops
chip_srcs=$(ls "$rtldir"/hone_*.v | grep -vE '/hone_(top_|system|link|uart_|crc)[^/]*$' | tr '\n' ' ')
[ "$rtldir" = rtl ] && [ -n "${HONE_CHIP_SRC:-}" ] && chip_srcs=$HONE_CHIP_SRC
if [ -n "$rev" ]; then
	rm -rf "$out/src" && mkdir -p "$out/src"
	git archive "$rev" rtl sim/hone_tb.v | tar -x -C "$out/src"
	rtldir=$out/src/rtl
	tb=$out/src/sim/hone_tb.v
	chip_srcs=$(ls "$rtldir"/hone_*.v | grep -vE '/hone_(top_|system|link|uart_|crc)[^/]*$' | tr '\n' ' ')
	echo "postsim.sh: rtl/ of $(git rev-parse --short "$rev")"
fi
if [ "$broken" = rtl ]; then
	# a one-off in the arithmetic: the spike condition u - θ >= 0 (the
	# sign bit of the difference clear) also asks for a nonzero difference
	mkdir -p "$out/broken"
	for f in $chip_srcs; do cp "$f" "$out/broken/"; done
	sed -i 's/!f2_diff\[PBITS\];/!f2_diff[PBITS] \&\& |f2_diff[PBITS-1:0];/' "$out/broken/hone_core.v"
	if cmp -s "$out/broken/hone_core.v" "$(echo "$chip_srcs" | tr ' ' '\n' | grep '/hone_core.v$')"; then
		echo "postsim.sh: --break: the threshold comparison of hone_core.v is not where it was" >&2
		exit 1
	fi
	chip_srcs=$(ls "$out"/broken/hone_*.v | tr '\n' ' ')
	echo "postsim.sh: --break: hone_core.v with u > θ in place of u >= θ"
fi
build_id=$(git rev-parse -q --verify "${rev:-HEAD}:rtl" 2>/dev/null | cut -c1-8)
build_id=$((16#${build_id:-0}))

params="CORES=$HONE_CFG_CORES LANES=$HONE_CFG_LANES WBITS=$HONE_CFG_WBITS PBITS=$HONE_CFG_PBITS
GBITS=$HONE_CFG_GBITS NEURONS=$HONE_CFG_NEURONS AXONS=$HONE_CFG_AXONS WWORDS=$HONE_CFG_WWORDS
AXSEGS=$HONE_CFG_AXSEGS RTSEGS=$HONE_CFG_RTSEGS"
chparam="chparam"
for p in $params; do chparam="$chparam -set ${p%%=*} ${p#*=}"; done
chparam="$chparam -set WMEM_IMPL \"$HONE_CFG_WMEM_IMPL\" -set BUILD_ID $build_id hone_chip"

cat > "$out/netlist.ys" <<EOF
# generated by tools/synth/postsim.sh --config $config
read_verilog -DSYNTHESIS -defer $chip_srcs
$chparam
hierarchy -top hone_chip
synth_ice40 -top hone_chip
rename hone_chip hone_chip_netlist
tee -q -o $out/yosys_stat.txt stat
write_verilog -noattr $out/hone_chip_netlist.v
EOF
echo "postsim.sh: yosys synth_ice40 hone_chip ($config) -> $out/hone_chip_netlist.v"
$NICE yosys -q -l "$out/yosys.log" "$out/netlist.ys" >/dev/null ||
	{ tail -20 "$out/yosys.log" >&2; exit 1; }

if [ "$broken" = netlist ]; then
	n0=$(grep -c "\.A_SIGNED(1'h1)" "$out/hone_chip_netlist.v" || true)
	sed -i "0,/\.A_SIGNED(1'h1)/s//.A_SIGNED(1'h0)/" "$out/hone_chip_netlist.v"
	n1=$(grep -c "\.A_SIGNED(1'h1)" "$out/hone_chip_netlist.v" || true)
	if [ "$n1" != $((n0 - 1)) ]; then
		echo "postsim.sh: --break netlist: no SB_MAC16 with signed A in this netlist" >&2
		exit 1
	fi
	echo "postsim.sh: --break: the netlist's first SB_MAC16 with A_SIGNED cleared ($n1 of $n0 left signed)"
fi

# the wrapper: hone_chip's interface (docs/chip-interface.md), parameters
# accepted for the test bench and ignored
{
	echo "// generated by tools/synth/postsim.sh: the synthesized netlist as hone_chip"
	echo '`default_nettype none'
	echo "module hone_chip #("
	for p in $params; do echo "	parameter ${p%%=*} = ${p#*=},"; done
	echo "	parameter EQ_ABITS = 3,"
	echo "	parameter WMEM_IMPL = \"$HONE_CFG_WMEM_IMPL\","
	echo "	parameter [31:0] BUILD_ID = 32'd$build_id"
	cat <<'EOF'
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	input  wire        i_cmd_valid,
	output wire        o_cmd_ready,
	input  wire [2:0]  i_cmd_op,
	input  wire [7:0]  i_cmd_target,
	input  wire [2:0]  i_cmd_mem,
	input  wire [15:0] i_cmd_addr,
	input  wire [63:0] i_cmd_data,
	output wire        o_rsp_valid,
	input  wire        i_rsp_ready,
	output wire [2:0]  o_rsp_kind,
	output wire [63:0] o_rsp_data
);
	hone_chip_netlist u_netlist (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_cmd_valid  (i_cmd_valid),
		.o_cmd_ready  (o_cmd_ready),
		.i_cmd_op     (i_cmd_op),
		.i_cmd_target (i_cmd_target),
		.i_cmd_mem    (i_cmd_mem),
		.i_cmd_addr   (i_cmd_addr),
		.i_cmd_data   (i_cmd_data),
		.o_rsp_valid  (o_rsp_valid),
		.i_rsp_ready  (i_rsp_ready),
		.o_rsp_kind   (o_rsp_kind),
		.o_rsp_data   (o_rsp_data)
	);
endmodule
EOF
} > "$out/hone_chip_wrap.v"

iparams="" gparams=""
for p in $params; do iparams="$iparams -Phone_tb.$p"; gparams="$gparams -G$p"; done
vvp=$out/sim/icarus/$config.vvp
exe=""
if [ "$sim" = icarus ]; then
	echo "postsim.sh: iverilog $tb + netlist + $cells -> $vvp"
	# shellcheck disable=SC2086
	iverilog -g2012 -DNO_ICE40_DEFAULT_ASSIGNMENTS -o "$vvp" $iparams -Phone_tb.BUILD_ID=$build_id \
		"$tb" "$out/hone_chip_wrap.v" "$out/hone_chip_netlist.v" "$cells" \
		2> "$out/iverilog.log" || { cat "$out/iverilog.log" >&2; exit 1; }
else
	# the test bench as it is (its delays and plusargs: --timing); the
	# netlist's word-wide wires make false combinational loops
	# (UNOPTFLAT), which Verilator settles by iterating
	exe=$out/verilator/hone_tb
	echo "postsim.sh: verilator --binary $tb + netlist + $cells -> $exe"
	rm -rf "$out/verilator"
	# shellcheck disable=SC2086
	$NICE ${VERILATOR:-verilator} --binary --timing -j 2 -O3 --x-assign fast --x-initial fast \
		-Wno-fatal -Wno-lint -Wno-style -Wno-UNOPTFLAT -DNO_ICE40_DEFAULT_ASSIGNMENTS \
		--top-module hone_tb -Mdir "$out/verilator" -o hone_tb $gparams -GBUILD_ID=$build_id \
		"$tb" "$out/hone_chip_wrap.v" "$out/hone_chip_netlist.v" "$cells" \
		> "$out/verilator.log" 2>&1 || { tail -30 "$out/verilator.log" >&2; exit 1; }
fi

[ "$build_only" = 1 ] && exit 0
if [ ! -x "$test" ]; then
	make --no-print-directory BUILD="$BUILD" "$test" >/dev/null || exit 1
fi

# the chip image for the samples: a Fashion-MNIST network trained here
if [ "$samples" -gt 0 ] && [ -z "$image" ]; then
	hone=$BUILD/hone
	[ -x "$hone" ] || make --no-print-directory BUILD="$BUILD" "$hone" >/dev/null || exit 1
	case "$dataset" in
	fashion-mnist) targs="--hidden 256,64 --nhot 4 --limit 6000 --epochs 12" ;;
	digits) targs="--hidden 32 --nhot 2 --epochs 60" ;;
	*) echo "postsim.sh: --dataset fashion-mnist or digits" >&2; exit 1 ;;
	esac
	image=$out/net_$dataset.himg
	echo "postsim.sh: $hone train --dataset $dataset $targs --target $config --seed 1"
	# shellcheck disable=SC2086
	$NICE "$hone" train --dataset "$dataset" $targs --target "$config" --seed 1 \
		-o "$out/net_$dataset.nir" > "$out/train.log" 2>&1 || { tail -5 "$out/train.log" >&2; exit 1; }
	tail -1 "$out/train.log"
	"$hone" compile "$out/net_$dataset.nir" --target "$config" -o "$image" > /dev/null
fi

echo "postsim.sh: $test on the netlist ($sim), $nets networks, $samples $dataset samples"
log=$out/postsim.log
t0=$(date +%s)
rc=0
set +e +o pipefail
BUILD=$out HONE_ICARUS_EXE=$exe HONE_ICARUS_CONFIG=$config HONE_ICARUS_NETS=$nets \
	HONE_ICARUS_IMAGE=$([ "$samples" -gt 0 ] && echo "$image" || true) HONE_ICARUS_SAMPLES=$samples \
	HONE_ICARUS_DATASET=$dataset HONE_ICARUS_LABEL=postsim $NICE "$test" 2>&1 | tee "$log" |
	grep --line-buffered -E '^postsim|differs|failed|finished|ticks of'
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
set -e -o pipefail
passed=$(grep -cE '^postsim: network .*: equal|^postsim vs ref: .* images equal' "$log" || true)
failed=$(grep -cE '^postsim: network .*: DIFFERS|^postsim vs ref: .* images DIFFER' "$log" || true)
grep -qE 'FAILED|ERROR' "$log" && rc=1
[ "$failed" -gt 0 ] && rc=1
echo "postsim: $passed passed, $failed failed ($config netlist, $sim, $(( $(date +%s) - t0 )) s)"
if [ -n "$broken" ]; then
	if [ "$rc" = 0 ]; then
		echo "postsim.sh: --break: the broken netlist was NOT caught" >&2
		exit 1
	fi
	echo "postsim.sh: --break: the broken netlist was caught"
	exit 0
fi
exit $rc
