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

# Resource figure of docs/link-protocol.md: yosys synth_ice40 of hone_link
# with its default parameters.
LINK_RTL := rtl/hone_crc16.v rtl/hone_uart_rx.v rtl/hone_uart_tx.v \
	rtl/hone_ram_1r1w.v rtl/hone_link_rx.v rtl/hone_link_parser.v \
	rtl/hone_link_tx.v rtl/hone_link.v

.PHONY: link-synth
link-synth:
	@mkdir -p $(BUILD)/synth
	yosys -q -l $(BUILD)/synth/link.log -p "read_verilog -DSYNTHESIS $(LINK_RTL); \
		synth_ice40 -top hone_link -json $(BUILD)/synth/link.json; \
		tee -o $(BUILD)/synth/link.stat stat"
	@grep -E "SB_LUT4|SB_DFF|SB_RAM40|SB_CARRY" $(BUILD)/synth/link.stat
