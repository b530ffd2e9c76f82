#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Condense nextpnr's critical path report to the RTL lines it runs through.

  path_rtl.py critical_path.txt

nextpnr names the cells of a path after yosys' generated nets, which say
little; its "Defined in" lines, though, keep the source locations. This
prints one line per stretch of the path that stays on the same RTL
location: cumulative delay (ns) at the end of the stretch, the number of
cells in it, and the location (of the sources yosys recorded for a cell,
the one spanning the fewest lines: the statement rather than the module
instances around it; yosys' own techmap files are left out; "?" when
nextpnr printed none). Only the first path of the report (the critical
one) is read.
"""
import re
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lines = open(sys.argv[1]).read().splitlines()
    steps = []          # [delay_total, [locations]]
    cur = None
    for ln in lines:
        if re.search(r"\d+\.\d+ ns logic, \d+\.\d+ ns routing", ln):
            steps.append(cur) if cur else None
            print_steps(steps, ln.split("Info:")[-1].strip())
            return
        m = re.match(r"Info:\s+([0-9.]+)\s+([0-9.]+)\s+(Source|Net|Setup)\b", ln)
        if m:
            if m.group(3) == "Source":
                if cur:
                    steps.append(cur)
                cur = [float(m.group(2)), []]
            elif cur:
                cur[0] = float(m.group(2))
            continue
        m = re.match(r"Info:\s+(\S+\.v):(\d+)\.\d+-(\d+)\.\d+", ln)
        if m and cur is not None and "/share/yosys/" not in m.group(1):
            span = int(m.group(3)) - int(m.group(2))
            cur[1].append((span, "%s:%s" % (m.group(1), m.group(2))))
    steps.append(cur) if cur else None
    print_steps(steps, "")


def print_steps(steps, total):
    out = []
    for t, locs in steps:
        # a cell lists every source it came from, module instances included
        # (they span many lines): keep the narrowest, the statement itself
        loc = min(locs)[1] if locs else "?"
        if out and out[-1][2] == loc:
            out[-1][0] = t
            out[-1][1] += 1
        else:
            out.append([t, 1, loc])
    for t, n, loc in out:
        print("%7.1f ns  %3d cell%s  %s" % (t, n, " " if n == 1 else "s", loc))
    if total:
        print("  (%s)" % total)


if __name__ == "__main__":
    main()
