#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where do the logic cells go? Attribute every SB_LUT4/SB_CARRY of a
synthesized yosys JSON netlist to the registers and memory ports it feeds.

ABC drops the source locations of the LUTs it makes, so `stat` can only
say "hone_core: 3462 LUTs". This walks the netlist instead: each sink (a
flip-flop's D/E/R input, a RAM/SPRAM/DSP input port, a top-level output)
is named after the register or memory it belongs to, and each LUT or carry
cell is split evenly over the sinks its output reaches through
combinational logic. The result is a table of LUT equivalents per register
group, which is what an RTL change can remove.

  lc_blame.py NETLIST.json [--top MODULE] [--depth N] [--limit N]

--depth keeps N levels of the hierarchical name (u_chip.u_core.rd_data ->
depth 2: u_chip.u_core). Flip-flops are listed beside the logic that feeds
them: on iCE40 a flip-flop shares its logic cell with the LUT driving it,
so an LC is roughly max(LUTs, FFs) of a group, and a group of registers
with no logic of their own (a wide register file) costs one LC per bit.
"""
import argparse
import collections
import json
import re
import sys

SEQ = {"SB_RAM40_4K", "SB_RAM40_4KNR", "SB_RAM40_4KNW", "SB_RAM40_4KNRNW",
       "SB_SPRAM256KA", "SB_MAC16", "SB_PLL40_CORE", "SB_PLL40_PAD",
       "SB_PLL40_2_PAD", "SB_PLL40_2F_PAD", "SB_IO", "SB_GB", "SB_HFOSC",
       "SB_LFOSC", "SB_RGBA_DRV", "SB_WARMBOOT"}
COMB = {"SB_LUT4", "SB_CARRY"}


def group_name(name, depth):
    name = re.sub(r"\[\d+\]$", "", name)
    name = re.sub(r"_(q|d|r)$", "", name)
    if depth:
        parts = name.split(".")
        name = ".".join(parts[:depth]) if len(parts) > depth else name
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("netlist")
    ap.add_argument("--top", default=None)
    ap.add_argument("--depth", type=int, default=0)
    ap.add_argument("--limit", type=int, default=40)
    a = ap.parse_args()

    d = json.load(open(a.netlist))
    mods = d["modules"]
    top = a.top or next((m for m, v in mods.items()
                         if v.get("attributes", {}).get("top")), None)
    if top is None:
        top = max(mods, key=lambda m: len(mods[m].get("cells", {})))
    m = mods[top]

    # a readable name for every net bit: prefer public names, shortest
    bitname = {}
    for n, v in m["netnames"].items():
        hidden = n.startswith("$") or v.get("hide_name")
        for i, b in enumerate(v["bits"]):
            if isinstance(b, str):
                continue
            label = n if len(v["bits"]) == 1 else "%s[%d]" % (n, i)
            old = bitname.get(b)
            score = (hidden, len(label))
            if old is None or score < old[0]:
                bitname[b] = (score, label)

    driver = {}          # bit -> comb cell name
    comb_inputs = {}     # comb cell -> input bits
    sinks = collections.defaultdict(list)   # bit -> sink labels
    ff_count = collections.Counter()
    kinds = collections.Counter()
    for cn, c in m["cells"].items():
        t = c["type"]
        kinds[t] += 1
        dirs = c.get("port_directions", {})
        conns = c["connections"]
        if t in COMB:
            ins = []
            for p, bits in conns.items():
                if dirs.get(p) == "output":
                    for b in bits:
                        if not isinstance(b, str):
                            driver[b] = cn
                else:
                    ins += [b for b in bits if not isinstance(b, str)]
            comb_inputs[cn] = ins
        elif t.startswith("SB_DFF"):
            q = conns["Q"][0]
            label = group_name(bitname.get(q, ((0, 0), cn))[1], a.depth)
            ff_count[label] += 1
            for p, bits in conns.items():
                if p != "Q" and p != "C":
                    for b in bits:
                        if not isinstance(b, str):
                            sinks[b].append(label)
        else:
            label = "%s:%s" % (t, group_name(cn, a.depth))
            for p, bits in conns.items():
                if dirs.get(p) == "input":
                    for b in bits:
                        if not isinstance(b, str):
                            sinks[b].append("%s.%s" % (label, re.sub(r"\d+$", "", p)))
    for pn, p in m.get("ports", {}).items():
        if p["direction"] == "output":
            for b in p["bits"]:
                if not isinstance(b, str):
                    sinks[b].append("port:" + pn)

    # fanout graph of comb cells: cell -> comb cells it feeds, sinks it feeds
    feeds = collections.defaultdict(set)
    feeds_sink = collections.defaultdict(set)
    for cn, ins in comb_inputs.items():
        for b in ins:
            if b in driver:
                feeds[driver[b]].add(cn)
    for b, labels in sinks.items():
        if b in driver:
            for label in labels:
                feeds_sink[driver[b]].add(label)

    memo = {}

    def reach(cn):
        if cn in memo:
            return memo[cn]
        memo[cn] = frozenset()          # cut (shouldn't happen: no comb loops)
        s = set(feeds_sink[cn])
        for nxt in feeds[cn]:
            s |= reach(nxt)
        memo[cn] = frozenset(s)
        return memo[cn]

    sys.setrecursionlimit(100000)
    lut = collections.Counter()
    carry = collections.Counter()
    for cn in comb_inputs:
        r = reach(cn)
        if not r:
            r = {"(unused)"}
        w = 1.0 / len(r)
        for label in r:
            key = re.sub(r"^SB_(RAM40_4K|SPRAM256KA|MAC16):", r"\1:", label)
            key = re.sub(r"\.(WADDR|RADDR|WDATA|MASK|WE|RE|WCLKE|RCLKE|"
                         r"ADDRESS|DATAIN|MASKWREN|WREN|CHIPSELECT)$", r".\1", key)
            if m["cells"][cn]["type"] == "SB_LUT4":
                lut[key] += w
            else:
                carry[key] += w

    print("%s: %s" % (top, ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items()))))
    print("%8s %8s %6s  %s" % ("LUT4", "CARRY", "FF", "register / memory port fed"))
    keys = set(lut) | set(ff_count)
    rows = sorted(keys, key=lambda k: -(max(lut[k], ff_count[k])))
    for k in rows[:a.limit]:
        print("%8.1f %8.1f %6d  %s" % (lut[k], carry[k], ff_count[k], k))
    rest = rows[a.limit:]
    if rest:
        print("%8.1f %8.1f %6d  (%d more groups)" % (
            sum(lut[k] for k in rest), sum(carry[k] for k in rest),
            sum(ff_count[k] for k in rest), len(rest)))


if __name__ == "__main__":
    main()
