# SPDX-License-Identifier: Apache-2.0
# constraints/: the board flow (docs/boards.md). Boards are described by
# constraints/BOARD.board (top module, configuration, nextpnr device) and
# constraints/BOARD.pcf; the work is done by the scripts in tools/synth/.
#
#   make synth BOARD=icebreaker|hx8k   bitstream + utilisation + fmax
#                                      -> $(BUILD)/synth/BOARD/{hone.bin,report.txt}
#   make prog BOARD=...                iceprog the bitstream
#   make synth-sweep BOARD=... SEEDS=N best and median fmax over N seeds
#   make synth-ooc BOARD=...           hone_chip alone (no link, no PLL)
#   make synth-blame BOARD=...         which registers the logic cells feed
#   make synth-postsim                 the synthesized netlist of hone_chip
#                                      against the reference model (Verilator)
#   make synth-record BOARD=...        record fmax as the regression floor
#   make synth-lint                    verilator -Wall of every board top
#                                      (part of `make lint`)
# Options: MHZ=F (core clock), SEED=N, NEXTPNR_NICE="nice -n 10".

BOARD ?= icebreaker
SEEDS ?= 8
SEED ?= 1
MHZ ?=
SYNTH_DIR = $(BUILD)/synth/$(BOARD)
SYNTH_FLAGS = --board $(BOARD) $(if $(MHZ),--mhz $(MHZ)) --seed $(SEED)
SYNTH_BOARDS := $(patsubst constraints/%.board,%,$(wildcard constraints/*.board))
# the chip's own sources (rtl/module.mk) for the out-of-context and
# post-synthesis builds
export HONE_CHIP_SRC = $(RTL_SRC)

.PHONY: synth prog synth-sweep synth-ooc synth-blame synth-postsim synth-record \
	synth-check-board synth-lint
lint: synth-lint

synth-check-board:
	@case " $(SYNTH_BOARDS) " in *" $(BOARD) "*) ;; \
	 *) echo "BOARD=$(BOARD): not one of $(SYNTH_BOARDS)" >&2; exit 1 ;; esac

# --reuse: yosys and nextpnr run again only if a source, the seed or the
# clock changed.
synth: synth-check-board
	@BUILD=$(BUILD) tools/synth/synth.sh $(SYNTH_FLAGS) --reuse --out $(SYNTH_DIR)

# Program the board's flash over its FT2232H (channel A); builds first.
prog: synth
	. constraints/$(BOARD).board && $$BOARD_PROG $(SYNTH_DIR)/hone.bin

synth-sweep: synth-check-board
	@BUILD=$(BUILD) tools/synth/sweep.sh --board $(BOARD) --seeds $(SEEDS) \
		$(if $(MHZ),--mhz $(MHZ)) --out $(SYNTH_DIR)-sweep

synth-ooc: synth-check-board
	@BUILD=$(BUILD) tools/synth/synth.sh $(SYNTH_FLAGS) --ooc --stage pnr \
		--allow-timing-fail --out $(SYNTH_DIR)-ooc

synth-blame: synth-check-board
	@BUILD=$(BUILD) tools/synth/synth.sh --board $(BOARD) --stage yosys --reuse \
		--out $(SYNTH_DIR)
	tools/synth/lc_blame.py $(SYNTH_DIR)/hone.json --depth 4

# The comparison is tests/test_rtl_icarus.c (the RTL's Icarus test), run on
# the netlist of the board's own configuration, up5k (SPRAM weights,
# SB_MAC16 lanes), in Verilator: HONE_POSTSIM_NETS random networks and
# HONE_POSTSIM_SAMPLES Fashion-MNIST test images (default 20 and 20) through
# a network trained for it; about 3 minutes. tests/long/synth_postsim.sh
# (make check-long) adds more, the hx8k netlist, Icarus and a broken chip.
synth-postsim: $(ASAN_BUILD)/tests/test_rtl_icarus
	@BUILD=$(BUILD) tools/synth/postsim.sh --config up5k --nets $${HONE_POSTSIM_NETS:-20} \
		--samples $${HONE_POSTSIM_SAMPLES:-20} --test $(ASAN_BUILD)/tests/test_rtl_icarus

synth-record: synth-check-board
	@BUILD=$(BUILD) tools/synth/fmax_guard.sh --board $(BOARD) --record

# The tops with Yosys' iCE40 cell models (SB_PLL40_*); waivers, each with
# its reason, in tools/synth/board_tops.vlt.
YOSYS_DATDIR = $(shell yosys-config --datdir 2>/dev/null || echo $$(dirname $$(command -v yosys))/../share/yosys)
synth-lint:
	@for bf in $(wildcard constraints/*.board); do \
		top=$$(. $$bf && echo $$BOARD_TOP); \
		echo "verilator --lint-only -Wall ($$top)"; \
		$(VERILATOR) --lint-only -Wall --timescale 1ps/1ps -DNO_ICE40_DEFAULT_ASSIGNMENTS \
			--top-module $$top tools/synth/board_tops.vlt rtl/hone.vlt rtl/$$top.v \
			$$(ls rtl/hone_*.v | grep -v '^rtl/hone_top_') $(YOSYS_DATDIR)/ice40/cells_sim.v \
			|| exit 1; \
	done
