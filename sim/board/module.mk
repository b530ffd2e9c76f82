# SPDX-License-Identifier: Apache-2.0
# sim/board: Verilator models of a board's logic (rtl/hone_system.v, the
# module the board tops instantiate: rtl/hone_link.v + rtl/hone_chip.v, the
# UART pins at the top, no PLL), one per configuration, behind the C
# interface sim/board/hone_board.h.
# tests/test_usb_rtl.c puts one on the UART pins of the emulated FT2232H
# (tests/ftdi_emu.c), so that "usb:" runs the real RTL through the real
# libusb path.
#
#   make board-models     the models (BOARD_CONFIGS, default up5k)
#
# Include from the top Makefile after sim/module.mk (whose Verilator
# settings, build id and parameter printer it uses); tests/usb.mk includes
# it too, and the guard makes a second inclusion a no-op.
#
# BOARD_CPB: UART clocks per bit in these models (default 4: a byte costs
# 40 simulated cycles). The board builds (rtl/hone_top_*.v) derive theirs
# from the core clock and the baud rate (10 at 30 MHz and 3 Mbaud); the
# link and the chip are the same RTL either way.
# BOARD_TRACE=1: models that can write an FST waveform ($HONE_BOARD_FST).

ifndef HONE_BOARD_MK
HONE_BOARD_MK := 1

ifneq ($(SIM_BUILD),)

BOARD_CONFIGS ?= up5k
BOARD_CPB ?= 4
BOARD_TRACE ?= 0
BOARD_BUILD = $(SIM_BUILD)/board
# hone_system and what it instantiates (rtl/module.mk's SYSTEM_SRC): the
# board tops without their PLL, reset synchroniser and LEDs.
BOARD_RTL = $(SYSTEM_SRC)
BOARD_VFLAGS = --cc --top-module hone_system --x-assign unique --x-initial unique \
	-O3 -Wno-fatal $(if $(filter 1,$(BOARD_TRACE)),--trace-fst) \
	-GCLKS_PER_BIT=$(BOARD_CPB) rtl/hone.vlt $(BOARD_RTL)
BOARD_CXXFLAGS = $(SIM_CXXFLAGS) -DHONE_BOARD_CPB=$(BOARD_CPB) \
	-DHONE_BOARD_TRACE=$(if $(filter 1,$(BOARD_TRACE)),1,0) -Isim/board

BOARD_OBJ = $(BOARD_CONFIGS:%=$(BOARD_BUILD)/Vhone_board_%.o) $(BOARD_BUILD)/hone_board.o

.PHONY: board-models FORCE_BOARD
.PRECIOUS: $(BOARD_BUILD)/%/stamp $(BOARD_BUILD)/%/vflags
board-models: $(BOARD_OBJ)

# Options that change the generated model, rewritten only on change. The
# link's buffers are those of the board built for the configuration
# (constraints/*.board with BOARD_CONFIG=<config>, its top's LINK_RX_FA
# and LINK_TX_BA: 1 KiB of RX FIFO on the iCEBreaker), so that the model
# is that board's logic; hone_system's defaults for a configuration no
# board builds.
$(BOARD_BUILD)/%/vflags: $(SIM_BUILD)/%/vparams FORCE_BOARD
	@mkdir -p $(dir $@)
	@bf=$$(grep -l '^BOARD_CONFIG=$*[[:space:]]' constraints/*.board | head -n 1); \
	 link=; if [ -n "$$bf" ]; then \
		top=rtl/$$(. "./$$bf" && echo "$$BOARD_TOP").v; \
		for p in RX_FA TX_BA; do \
			v=$$(sed -n "s/.*parameter *LINK_$$p *= *\([0-9][0-9]*\).*/\1/p" $$top); \
			[ -n "$$v" ] || { echo "$$top: no LINK_$$p parameter" >&2; exit 1; }; \
			link="$$link -G$$p=$$v"; \
		done; \
	 fi; \
	 echo "$(BOARD_VFLAGS)$$link $$(cat $<)" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BOARD_BUILD)/%/stamp: $(BOARD_BUILD)/%/vflags $(BOARD_RTL) rtl/hone.vlt
	@rm -rf $(BOARD_BUILD)/$*/obj && mkdir -p $(BOARD_BUILD)/$*/obj
	$(VERILATOR) $$(cat $<) --prefix Vhone_board_$* -Mdir $(BOARD_BUILD)/$*/obj \
		>$(BOARD_BUILD)/$*/verilator.log 2>&1 || { tail -20 $(BOARD_BUILD)/$*/verilator.log; exit 1; }
	@cd $(BOARD_BUILD)/$*/obj && for f in Vhone_board_$**.cpp; do echo "#include \"$$f\""; done > ../all.cpp
	@touch $@

$(BOARD_BUILD)/Vhone_board_%.o: $(BOARD_BUILD)/%/stamp sim/board/hone_board_model.cpp \
		sim/board/hone_board_port.h
	$(SIM_CXX) $(BOARD_CXXFLAGS) -I$(BOARD_BUILD)/$*/obj -c $(BOARD_BUILD)/$*/all.cpp \
		-o $(BOARD_BUILD)/$*/all.o
	$(SIM_CXX) $(BOARD_CXXFLAGS) -I$(BOARD_BUILD)/$*/obj -DHONE_BMODEL=Vhone_board_$* \
		-DHONE_BCFG=$* -c sim/board/hone_board_model.cpp -o $(BOARD_BUILD)/$*/model.o
	ld -r -o $@ $(BOARD_BUILD)/$*/all.o $(BOARD_BUILD)/$*/model.o

$(BOARD_BUILD)/hone_board_models.h: FORCE_BOARD
	@mkdir -p $(dir $@)
	@for c in $(BOARD_CONFIGS); do echo "HONE_BOARD_MODEL($$c)"; done > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BOARD_BUILD)/hone_board.o: sim/board/hone_board.cpp sim/board/hone_board.h \
		sim/board/hone_board_port.h $(BOARD_BUILD)/hone_board_models.h $(BOARD_BUILD)/cpb
	$(SIM_CXX) $(BOARD_CXXFLAGS) -I$(BOARD_BUILD) -c sim/board/hone_board.cpp -o $@

$(BOARD_BUILD)/cpb: FORCE_BOARD
	@mkdir -p $(dir $@)
	@echo $(BOARD_CPB) > $@.tmp; cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

endif
endif
