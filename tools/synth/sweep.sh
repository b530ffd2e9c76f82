#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# sweep.sh: place and route one netlist with N nextpnr seeds, one after the
# other (the machine is shared: never in parallel), and report the best and
# the median fmax of the core clock. The spread is the placer's noise; a
# figure worth quoting is "best of N, median M", both from this script.
#
#   tools/synth/sweep.sh --board B [--seeds N] [--first S] [--mhz F]
#                        [--out DIR] [--ooc] [--rev REV]
#
# Writes DIR/seed-S/ (each run's logs and summary.txt), DIR/sweep.txt (one
# line per seed) and DIR/sweep_summary.txt:
#   board=... seeds=N fits=1 best_mhz=... best_seed=... median_mhz=... worst_mhz=...
# The best seed's bitstream is rebuilt by `make synth BOARD=B SEED=S`.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

board="" seeds=8 first=1 mhz="" out="" ooc="" rev=()
while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift 2 ;;
	--seeds) seeds=$2; shift 2 ;;
	--first) first=$2; shift 2 ;;
	--mhz) mhz=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ooc) ooc=--ooc; shift ;;
	--rev) rev=(--rev "$2"); shift 2 ;;
	*) echo "sweep.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
[ -n "$board" ] || { echo "sweep.sh: --board NAME" >&2; exit 1; }
BUILD=${BUILD:-build}
out=${out:-$BUILD/synth/$board${ooc:+-ooc}-sweep}
mkdir -p "$out"
mhzopt=()
[ -n "$mhz" ] && mhzopt=(--mhz "$mhz")

tools/synth/synth.sh --board "$board" $ooc "${mhzopt[@]}" "${rev[@]}" --stage yosys --reuse --out "$out"

: > "$out/sweep.txt"
for ((s = first; s < first + seeds; s++)); do
	start=$(date +%s)
	rc=0
	tools/synth/synth.sh --board "$board" $ooc "${mhzopt[@]}" "${rev[@]}" --stage pnr --reuse \
		--allow-timing-fail --seed "$s" --out "$out" --pnr-out "$out/seed-$s" \
		> "$out/seed-$s.log" 2>&1 || rc=$?
	line=$(cat "$out/seed-$s/summary.txt" 2>/dev/null || echo "fits=0 fmax_mhz=0")
	fmax=$(sed -n 's/.*\bfmax_mhz=\([0-9.]*\).*/\1/p' <<<"$line")
	fits=$(sed -n 's/.*\bfits=\([0-9]\).*/\1/p' <<<"$line")
	lc=$(sed -n 's/.*\blc=\([0-9]*\).*/\1/p' <<<"$line")
	printf 'seed=%s rc=%s fits=%s lc=%s fmax_mhz=%s secs=%s\n' "$s" "$rc" "${fits:-0}" \
		"${lc:-0}" "${fmax:-0}" "$(( $(date +%s) - start ))" | tee -a "$out/sweep.txt"
	# nothing to sweep when it does not fit: every seed stops at packing
	if [ "${fits:-0}" != 1 ]; then
		break
	fi
done

awk -v board="$board" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  n++; f[n] = v["fmax_mhz"] + 0; sd[n] = v["seed"]; fits = v["fits"] }
	END {
		best = 0; bs = 0; worst = 1e9
		for (i = 1; i <= n; i++) { if (f[i] > best) { best = f[i]; bs = sd[i] } if (f[i] < worst) worst = f[i] }
		# median: sort the figures (n is small)
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (f[j] < f[i]) { t = f[i]; f[i] = f[j]; f[j] = t }
		med = (n % 2) ? f[(n + 1) / 2] : (f[n / 2] + f[n / 2 + 1]) / 2
		printf "board=%s seeds=%d fits=%s best_mhz=%.2f best_seed=%s median_mhz=%.2f worst_mhz=%.2f\n",
			board, n, fits, best, bs, med, (n ? worst : 0)
	}' "$out/sweep.txt" | tee "$out/sweep_summary.txt"
