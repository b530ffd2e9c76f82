#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hone command end to end, as a user runs it: train a small digits
# network, compile it, describe it, run it on the reference model, verify
# ref against itself and (when built) the RTL, and check the refusals.
set -u
HONE=${HONE_ASAN:-${HONE:-build/hone}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok "$what"; else bad "$what"; cat "$tmp/out"; fi; }
refuse() { local what=$1 pattern=$2; shift 2
	if "$@" >"$tmp/out" 2>&1; then bad "$what (accepted)"; cat "$tmp/out"
	elif grep -q -- "$pattern" "$tmp/out"; then ok "$what"
	else bad "$what (message lacks '$pattern')"; cat "$tmp/out"; fi; }

if [ ! -f /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ]; then
	echo "digits.csv.gz absent (python3-sklearn): skipping"; exit 77
fi

check "help" "$HONE" --help
check "info lists configurations" "$HONE" info
check "train digits (short)" "$HONE" train --dataset digits --hidden 32 --nhot 2 --epochs 6 --seed 3 -o "$tmp/d.nir"
check "info on the NIR file" "$HONE" info "$tmp/d.nir"
grep -q "64 inputs" "$tmp/out" && ok "info names the inputs" || bad "info names the inputs"
check "compile for up5k" "$HONE" compile "$tmp/d.nir" --target up5k -o "$tmp/d.himg"
check "compile for tiny (multi-core)" "$HONE" compile "$tmp/d.nir" --target tiny -o "$tmp/t.himg"
check "info on the image" "$HONE" info "$tmp/t.himg"
check "run on ref, JSON" "$HONE" run "$tmp/d.himg" --backend ref --dataset digits --json -q
for k in accuracy images ticks cycles sops sop_per_cycle peak_sop_per_cycle mismatches; do
	grep -q "\"$k\"" "$tmp/out" && ok "JSON has $k" || bad "JSON has $k"
done
acc=$(sed -nE 's/.*"accuracy": ([0-9.]+).*/\1/p' "$tmp/out")
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' && ok "accuracy $acc well above chance" || bad "accuracy $acc"
check "run the multi-core image" "$HONE" run "$tmp/t.himg" --backend ref --dataset digits --limit 50 -q
check "verify ref against ref" "$HONE" verify "$tmp/t.himg" --backends ref,ref --dataset digits --limit 20 -q
printf 'hone-events 1 inputs=64 ticks=3\n0 5 9\n1 7 15\n2 63 1\n' >"$tmp/e.txt"
check "run an event file" "$HONE" run "$tmp/d.himg" --events "$tmp/e.txt"
refuse "unknown target" "unknown target" "$HONE" compile "$tmp/d.nir" --target nope -o "$tmp/x.himg"
refuse "not a network" "" "$HONE" compile "$tmp/e.txt" --target up5k -o "$tmp/x.himg"
refuse "image of the wrong data set" "features" "$HONE" run "$tmp/d.himg" --dataset fashion-mnist --limit 5 -q
head -c 100 "$tmp/d.himg" >"$tmp/cut.himg"
refuse "truncated image" "" "$HONE" run "$tmp/cut.himg" -q
if "$HONE" info sim: >/dev/null 2>&1; then
	check "verify ref against the RTL" "$HONE" verify "$tmp/t.himg" --backends ref,sim --dataset digits --limit 20 -q
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
