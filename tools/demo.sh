#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: the longest pipeline that works, end to end, on the simulated
# chip when the RTL backend is built (the default when no board is
# attached), else on the C reference model.
#   train (Whetstone, digits by default) -> NIR -> compile for up5k ->
#   run on the reference model -> verify ref against the RTL -> run on RTL
# DATASET=fashion-mnist make demo runs the Fashion-MNIST network instead.
set -euo pipefail
HONE=${HONE:-build/hone}
DATASET=${DATASET:-digits}
OUT=${OUT:-build/demo}
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

if [ "$DATASET" = digits ]; then
	TRAIN_ARGS=(--dataset digits --hidden 128,64 --nhot 4 --epochs 40)
	LIMIT=360
else
	TRAIN_ARGS=(--dataset fashion-mnist --hidden 256,64 --nhot 4)
	LIMIT=10000
fi

step "train: Whetstone on $DATASET -> $OUT/net.nir"
"$HONE" train "${TRAIN_ARGS[@]}" --target up5k --seed 1 -o "$OUT/net.nir"

step "info: the network"
"$HONE" info "$OUT/net.nir"

step "compile for the iCEBreaker configuration (up5k)"
"$HONE" compile "$OUT/net.nir" --target up5k -o "$OUT/net.himg"
"$HONE" info "$OUT/net.himg"

step "run on the C reference model"
"$HONE" run "$OUT/net.himg" --backend ref --dataset "$DATASET" --limit "$LIMIT"

if "$HONE" info sim: >/dev/null 2>&1; then
	step "verify: reference model against the RTL (Verilator), spike by spike"
	"$HONE" verify "$OUT/net.himg" --backends ref,sim --dataset "$DATASET" --limit 50
	step "run on the simulated chip (Verilator RTL)"
	"$HONE" run "$OUT/net.himg" --backend sim --dataset "$DATASET" --limit 100
else
	step "the RTL backend is not built in this tree; ran on the reference model only"
fi
