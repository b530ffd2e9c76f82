# SPDX-License-Identifier: Apache-2.0
# rtl/: lint and synthesis checks of the chip. The simulation builds live
# in sim/module.mk; the board flow (nextpnr, icepack) in constraints/.
#
#   make rtl-lint          verilator --lint-only -Wall, every configuration:
#                          hone_chip, and hone_system (link + chip)
#   make rtl-synth-up5k    yosys synth_ice40 of hone_chip for up5k (SPRAM)
#   make rtl-synth-CONFIG  the same for another configuration

RTL_LINT_CONFIGS ?= tiny up5k sim16 hx8k
VERILATOR ?= verilator
# The chip's own sources (the Verilator and Icarus models, synth-ooc,
# synth-postsim).
RTL_SRC := $(addprefix rtl/,hone_chip.v hone_core.v hone_fabric.v hone_fifo.v \
	hone_lane_mac.v hone_ram_1r1w.v hone_ram_bitmask.v hone_router.v hone_rr_arb.v \
	hone_weight_mem.v)
# The link layer (docs/link-protocol.md; its RX FIFO and retransmit buffer
# are hone_ram_1r1w, in RTL_SRC).
LINK_SRC := $(addprefix rtl/,hone_link.v hone_link_rx.v hone_link_parser.v \
	hone_link_tx.v hone_uart_rx.v hone_uart_tx.v hone_crc32.v)
# hone_system, the link in front of the chip: what the board tops
# (rtl/hone_top_*.v, constraints/module.mk) instantiate and the board
# models (sim/board) simulate.
SYSTEM_SRC := rtl/hone_system.v $(LINK_SRC) $(RTL_SRC)

.PHONY: rtl-lint
lint: rtl-lint

rtl-lint: $(BUILD)/sim/hone_genparams
	@for c in $(RTL_LINT_CONFIGS); do \
		echo "verilator --lint-only -Wall ($$c)"; \
		$(VERILATOR) --lint-only -Wall --top-module hone_chip rtl/hone.vlt $(RTL_SRC) \
			$$($(BUILD)/sim/hone_genparams $$c verilator) || exit 1; \
		echo "verilator --lint-only -Wall ($$c, hone_system)"; \
		$(VERILATOR) --lint-only -Wall --top-module hone_system rtl/hone.vlt $(SYSTEM_SRC) \
			$$($(BUILD)/sim/hone_genparams $$c verilator) || exit 1; \
	done

rtl-synth-%: $(BUILD)/sim/hone_genparams $(RTL_SRC)
	@mkdir -p $(BUILD)/synth
	yosys -q -l $(BUILD)/synth/$*.log -p "read_verilog -DSYNTHESIS $(RTL_SRC); \
		$$($(BUILD)/sim/hone_genparams $* yosys); synth_ice40 -top hone_chip \
		-json $(BUILD)/synth/$*.json; tee -o $(BUILD)/synth/$*.stat stat"
	@grep -E "SB_LUT4|SB_DFF|SB_RAM40|SB_SPRAM|SB_MAC16|SB_CARRY" $(BUILD)/synth/$*.stat
