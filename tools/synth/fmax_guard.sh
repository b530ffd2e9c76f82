#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# fmax_guard.sh: the regression floor of a board build.
#
#   tools/synth/fmax_guard.sh --board B --summary FILE   check a build
#   tools/synth/fmax_guard.sh --board B --record [--margin PCT] [--seeds N]
#
# The floor lives in constraints/CONFIG.fmax (CONFIG = the board's
# configuration, e.g. up5k.fmax for the iCEBreaker):
#   FMAX_FLOOR_MHZ   the recorded fmax (median of N seeds) minus a noise
#                    margin; 0 = nothing recorded yet (the design did not fit)
#   FITS_RECORDED    1 once a build that fits has been recorded
# Check: exit 1 if the build stopped fitting after a fit was recorded, or
# if its fmax is below the floor; exit 77 (skipped) while nothing has been
# recorded and the design does not fit; 0 otherwise.
# Record: a seed sweep (default 3 seeds) of rtl/ as committed
# (tools/synth/sweep.sh --rev HEAD), writes the file. Raise the floor this
# way after an RTL change made the chip faster: commit the change, record,
# commit the file. The check places with one seed (1), and any netlist
# change places like a new seed, so the floor is the median less a margin
# (default 10%) wider than the seed-to-seed spread (docs/boards.md).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

board="" summary="" record=0 margin=10 seeds=3
while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift 2 ;;
	--summary) summary=$2; shift 2 ;;
	--record) record=1; shift ;;
	--margin) margin=$2; shift 2 ;;
	--seeds) seeds=$2; shift 2 ;;
	*) echo "fmax_guard.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
[ -n "$board" ] || { echo "fmax_guard.sh: --board NAME" >&2; exit 1; }
BOARD_CONFIG=""
# shellcheck disable=SC1090
. "constraints/$board.board"
floor_file=constraints/$BOARD_CONFIG.fmax
BUILD=${BUILD:-build}

key() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

if [ "$record" = 1 ]; then
	out=$BUILD/synth/$board-record
	# the commit swept, fixed now: others may commit while the sweep runs
	rev=$(git rev-parse HEAD)
	tools/synth/sweep.sh --board "$board" --rev "$rev" --seeds "$seeds" --out "$out" || true
	sweep=$(cat "$out/sweep_summary.txt")
	line=$(cat "$out/seed-1/summary.txt")
	fits=$(key fits "$sweep")
	fmax=$(key median_mhz "$sweep")
	if [ "$fits" = 1 ]; then
		floor=$(awk -v f="$fmax" -v m="$margin" 'BEGIN { printf "%.2f", f * (1 - m / 100) }')
	else
		floor=0
		fmax=0
	fi
	cat > "$floor_file" <<EOF
# SPDX-License-Identifier: Apache-2.0
# $floor_file: the fmax floor of tests/test_synth.sh for the $board build
# (configuration $BOARD_CONFIG). Written by
#   make synth-record BOARD=$board
# after an RTL change that should move it; commit it with that change.
# FMAX_FLOOR_MHZ = median fmax of $seeds nextpnr seeds - ${margin}% (0: nothing
# recorded, the design did not fit when this was written).
# recorded: $(date -u +%Y-%m-%d), rtl/ of $(git rev-parse --short "$rev") (tree $(git rev-parse --short "$rev:rtl"))
# sweep:  $sweep
# seed 1: $line
FMAX_FLOOR_MHZ=$floor
FITS_RECORDED=$fits
LC_RECORDED=$(key lc "$line")
FMAX_RECORDED_MHZ=$fmax
EOF
	echo "fmax_guard: $floor_file: floor $floor MHz (median fmax $fmax MHz, fits=$fits," \
	     "$(key lc "$line")/$(key lc_max "$line") LCs)"
	exit 0
fi

[ -n "$summary" ] || { echo "fmax_guard.sh: --summary FILE or --record" >&2; exit 1; }
line=$(cat "$summary")
fits=$(key fits "$line")
fmax=$(key fmax_mhz "$line")
lc=$(key lc "$line")
lc_max=$(key lc_max "$line")
FMAX_FLOOR_MHZ=0 FITS_RECORDED=0
# shellcheck disable=SC1090
[ -f "$floor_file" ] && . "$floor_file"

if [ "$fits" != 1 ]; then
	if [ "$FITS_RECORDED" = 1 ]; then
		echo "fmax_guard: FAIL: $board ($BOARD_CONFIG) no longer fits: $lc/$lc_max LCs" \
		     "(recorded: $LC_RECORDED LCs at $FMAX_RECORDED_MHZ MHz)"
		exit 1
	fi
	echo "fmax_guard: SKIP: $board ($BOARD_CONFIG) does not fit yet ($lc/$lc_max LCs," \
	     "ebr $(key ebr "$line")/$(key ebr_max "$line")); no figure recorded in $floor_file"
	exit 77
fi
if awk -v f="$fmax" -v t="$FMAX_FLOOR_MHZ" 'BEGIN { exit !(f < t) }'; then
	echo "fmax_guard: FAIL: $board fmax $fmax MHz is below the floor $FMAX_FLOOR_MHZ MHz" \
	     "of $floor_file (see $(dirname "$summary")/critical_path.txt)"
	exit 1
fi
if [ "$FITS_RECORDED" != 1 ]; then
	echo "fmax_guard: ok: $board fits ($lc/$lc_max LCs, fmax $fmax MHz) but nothing is" \
	     "recorded yet: make synth-record BOARD=$board, and commit $floor_file"
	exit 0
fi
echo "fmax_guard: ok: $board fmax $fmax MHz >= floor $FMAX_FLOOR_MHZ MHz; $lc/$lc_max LCs"
if awk -v f="$fmax" -v r="$FMAX_RECORDED_MHZ" 'BEGIN { exit !(f > r * 1.10) }'; then
	echo "fmax_guard: fmax is 10% above the recorded median $FMAX_RECORDED_MHZ MHz:" \
	     "raise the floor with make synth-record BOARD=$board"
fi
exit 0
