# SPDX-License-Identifier: Apache-2.0
# sim/link: the link layer's RTL testbench (rtl/hone_link.v against the
# host's C link through the UART pins, with injected errors).
#
#   make link-rtl-test     build (Verilator) and run it; "N passed, N failed"
#   make link-synth        resource figures of docs/link-protocol.md
#   make link-synth-parts  the same, module by module
#   make link-fmax         the link alone placed and routed on the UP5K
#                          (sim/link/fmax.sh: seeds 1-3, median fmax)
#
# Include from the top Makefile or sim/module.mk:
#   -include sim/link/module.mk
# tests/test_link_rtl.sh can simply `exec sim/link/run.sh` (exit 77 = skip).

.PHONY: link-rtl-test
link-rtl-test:
	@BUILD=$(BUILD) sim/link/run.sh

# Resource figures of docs/link-protocol.md: yosys synth_ice40 of hone_link
# with its default parameters (LUT4, flip-flops, carries, EBRs), then the
# logic cells nextpnr packs them into (LUT4 + flip-flop pairs: what an
# UP5K has 5,280 of). The pack runs on an HX8K in its 256-ball package
# only because hone_link alone has 170 I/O pins; the logic cell is the
# same in every iCE40.
LINK_RTL := rtl/hone_crc32.v rtl/hone_uart_rx.v rtl/hone_uart_tx.v \
	rtl/hone_ram_1r1w.v rtl/hone_link_rx.v rtl/hone_link_parser.v \
	rtl/hone_link_tx.v rtl/hone_link.v

.PHONY: link-synth link-synth-parts link-fmax
link-fmax:
	@BUILD=$(BUILD) sim/link/fmax.sh 3 45

link-synth:
	@mkdir -p $(BUILD)/synth
	yosys -q -l $(BUILD)/synth/link.log -p "read_verilog -DSYNTHESIS $(LINK_RTL); \
		synth_ice40 -top hone_link -json $(BUILD)/synth/link.json; \
		tee -o $(BUILD)/synth/link.stat stat"
	@grep -E "SB_LUT4|SB_DFF|SB_RAM40|SB_CARRY" $(BUILD)/synth/link.stat
	@awk '/SB_DFF/ { n += $$2 } END { print "     flip-flops (all SB_DFF*)      " n }' \
		$(BUILD)/synth/link.stat
	@if command -v nextpnr-ice40 >/dev/null; then \
		nextpnr-ice40 --hx8k --package ct256 --pack-only \
			--json $(BUILD)/synth/link.json >$(BUILD)/synth/link.pack.log 2>&1 && \
		awk '/ICESTORM_LC:/ { sub("/", "", $$3); print "     logic cells (nextpnr pack)    " $$3 }' \
			$(BUILD)/synth/link.pack.log; \
	fi

link-synth-parts:
	@mkdir -p $(BUILD)/synth
	@for top in hone_uart_rx hone_uart_tx hone_link_rx hone_link_parser hone_link_tx; do \
		yosys -q -p "read_verilog -DSYNTHESIS $(LINK_RTL); synth_ice40 -top $$top; \
			tee -o $(BUILD)/synth/$$top.stat stat" >/dev/null || exit 1; \
		awk -v t=$$top '/SB_LUT4/ { l = $$2 } /SB_DFF/ { f += $$2 } /SB_RAM40/ { r = $$2 } \
			END { printf "%-18s %5d LUT4 %5d flip-flops %d EBR\n", t, l, f, r }' \
			$(BUILD)/synth/$$top.stat; \
	done
