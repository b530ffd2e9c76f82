#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run every test given on the command line (cmocka binaries or shell
# scripts), count their cases, and end with the machine-readable line
# "N passed, N failed". cmocka binaries count their own cases; a script
# counts as one case unless it prints "N passed, N failed" itself.
set -u
passed=0; failed=0; skipped=0
failed_names=()
logdir=${BUILD:-build}/test-logs
mkdir -p "$logdir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	start=$(date +%s)
	case "$t" in
	*.sh) bash "$t" >"$log" 2>&1; rc=$? ;;
	*) "$t" >"$log" 2>&1; rc=$? ;;
	esac
	secs=$(( $(date +%s) - start ))
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	if [ -z "$p$f" ]; then
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
		if [ -n "$line" ]; then
			p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
			f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
			s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
		elif [ $rc -eq 77 ]; then
			p=0; f=0; s=1
		elif [ $rc -eq 0 ]; then
			p=1; f=0
		else
			p=0; f=1
		fi
	fi
	p=${p:-0}; f=${f:-0}; s=${s:-0}
	# A crash after the summary (a leak report, a sanitizer abort) fails.
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$name")
		printf 'FAIL  %-32s %3ds  (log: %s)\n' "$name" "$secs" "$log"
		tail -n 25 "$log" | sed 's/^/      | /'
	else
		printf 'ok    %-32s %3ds  %s passed%s\n' "$name" "$secs" "$p" \
			"$([ "$s" -gt 0 ] && echo ", $s skipped")"
	fi
done
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
