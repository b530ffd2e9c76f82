#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The link layer RTL (rtl/hone_link.v) in Verilator against the C codec,
# over bit-level UART with injected errors (sim/link/run.sh; 77 = skipped).
exec "$(dirname "$0")/../sim/link/run.sh"
