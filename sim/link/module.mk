# SPDX-License-Identifier: Apache-2.0
# sim/link: the link layer's RTL testbench (rtl/hone_link.v against the
# host's C link through the UART pins, with injected errors).
#
#   make link-rtl-test     build (Verilator) and run it; "N passed, N failed"
#
# Include from the top Makefile or sim/module.mk:
#   -include sim/link/module.mk
# tests/test_link_rtl.sh can simply `exec sim/link/run.sh` (exit 77 = skip).

.PHONY: link-rtl-test
link-rtl-test:
	@BUILD=$(BUILD) sim/link/run.sh
