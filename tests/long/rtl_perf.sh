#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# RTL throughput figures in cycle-accurate simulation (docs/rtl.md): one
# event into 256 neurons, SOP/cycle of a 784-256-64-40 network on up5k and
# sim16, Verilator against Icarus. Fails if the RTL disagrees with the
# reference model or misses the bounds the design promises.
set -eu
BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/sim/hone_rtl_bench" "$BUILD/sim/icarus/up5k.vvp" >/dev/null
out=$("$BUILD/sim/hone_rtl_bench" --icarus "$BUILD/sim/icarus" --samples "${HONE_RTL_BENCH_SAMPLES:-40}")
echo "$out"
json=$("$BUILD/sim/hone_rtl_bench" --samples 8 --configs up5k --json)
echo "$json"
one=$(echo "$json" | sed -E 's/.*"one_event_256_neurons_cycles": ([0-9]+).*/\1/')
[ "$one" -le 32 ] || { echo "one event into 256 neurons took $one cycles (> 32)"; exit 1; }
echo "$out" | grep -q "mismatches vs ref [1-9]" && { echo "RTL and reference disagree"; exit 1; }
echo "1 passed, 0 failed"
