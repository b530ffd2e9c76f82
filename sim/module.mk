# SPDX-License-Identifier: Apache-2.0
# sim/: Verilator models of rtl/hone_chip.v, one per chip configuration,
# linked into libhone behind the C shim sim/hone_vsim.h (the "sim:" device
# of host/src/backend_sim.c), and the Icarus test bench.
#
# Parameters come from host/src/config.c through sim/hone_genparams.c, so
# a configuration exists in one place. The chip's CAPS build id is the git
# tree hash of rtl/ (first 8 hex digits): it changes when the RTL does, so
# an unrelated commit does not rebuild the models.

SIM_CONFIGS ?= tiny up5k sim16
SIM_BUILD = $(BUILD)/sim
VERILATOR ?= verilator
SIM_CXX ?= g++
SIM_VINC := $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null)/include
SIM_VFLAGS = --cc --top-module hone_chip --trace-fst --x-assign unique \
	--x-initial unique -O3 rtl/hone.vlt $(RTL_SRC)
SIM_CXXFLAGS = -O2 -std=c++17 -faligned-new -w -I$(SIM_VINC) -I$(SIM_VINC)/vltstd \
	-DVM_TRACE=1 -DVM_TRACE_FST=1 -DVM_TRACE_VCD=0 -DVM_COVERAGE=0 -DVM_SC=0 -Isim

SIM_OBJ = $(SIM_CONFIGS:%=$(SIM_BUILD)/Vhone_%.o) $(SIM_BUILD)/verilated_rt.o \
	$(SIM_BUILD)/hone_vsim.o

EXTRA_LIB_OBJ += $(SIM_OBJ)
EXTRA_ASAN_LIB_OBJ += $(SIM_OBJ)
EXTRA_LDLIBS += -lstdc++ -lz -lpthread

.PHONY: sim-models FORCE_SIM
.PRECIOUS: $(SIM_BUILD)/%/vparams $(SIM_BUILD)/%/stamp
sim-models: $(SIM_OBJ)

$(SIM_BUILD)/hone_genparams: sim/hone_genparams.c host/src/config.c host/src/error.c \
		host/src/hone_internal.h host/include/hone.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -O1 sim/hone_genparams.c host/src/config.c host/src/error.c -o $@

$(SIM_BUILD)/build_id: FORCE_SIM
	@mkdir -p $(dir $@)
	@id=$$(git rev-parse -q --verify HEAD:rtl 2>/dev/null | cut -c1-8); id=$${id:-0}; \
	 printf '%d\n' "0x$$id" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Parameter flags per tool and configuration, rewritten only on change.
$(SIM_BUILD)/%/vparams: $(SIM_BUILD)/hone_genparams $(SIM_BUILD)/build_id
	@mkdir -p $(dir $@)
	@$(SIM_BUILD)/hone_genparams $* verilator $$(printf '%x' $$(cat $(SIM_BUILD)/build_id)) > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(SIM_BUILD)/%/stamp: $(RTL_SRC) rtl/hone.vlt $(SIM_BUILD)/%/vparams
	@rm -rf $(SIM_BUILD)/$*/obj && mkdir -p $(SIM_BUILD)/$*/obj
	$(VERILATOR) $(SIM_VFLAGS) --prefix Vhone_$* -Mdir $(SIM_BUILD)/$*/obj \
		$$(cat $(SIM_BUILD)/$*/vparams)
	@cd $(SIM_BUILD)/$*/obj && for f in Vhone_$**.cpp; do echo "#include \"$$f\""; done > ../all.cpp
	@touch $@

$(SIM_BUILD)/Vhone_%.o: $(SIM_BUILD)/%/stamp sim/hone_vsim_model.cpp sim/hone_vsim_port.h
	$(SIM_CXX) $(SIM_CXXFLAGS) -I$(SIM_BUILD)/$*/obj -c $(SIM_BUILD)/$*/all.cpp -o $(SIM_BUILD)/$*/all.o
	$(SIM_CXX) $(SIM_CXXFLAGS) -I$(SIM_BUILD)/$*/obj -DHONE_VMODEL=Vhone_$* -DHONE_VCFG=$* \
		-c sim/hone_vsim_model.cpp -o $(SIM_BUILD)/$*/model.o
	ld -r -o $@ $(SIM_BUILD)/$*/all.o $(SIM_BUILD)/$*/model.o

$(SIM_BUILD)/verilated_rt.o:
	@mkdir -p $(SIM_BUILD)/rt
	$(SIM_CXX) $(SIM_CXXFLAGS) -c $(SIM_VINC)/verilated.cpp -o $(SIM_BUILD)/rt/verilated.o
	$(SIM_CXX) $(SIM_CXXFLAGS) -c $(SIM_VINC)/verilated_fst_c.cpp -o $(SIM_BUILD)/rt/verilated_fst_c.o
	$(SIM_CXX) $(SIM_CXXFLAGS) -c $(SIM_VINC)/verilated_threads.cpp -o $(SIM_BUILD)/rt/verilated_threads.o
	ld -r -o $@ $(SIM_BUILD)/rt/verilated.o $(SIM_BUILD)/rt/verilated_fst_c.o \
		$(SIM_BUILD)/rt/verilated_threads.o

$(SIM_BUILD)/hone_vsim_models.h: FORCE_SIM
	@mkdir -p $(dir $@)
	@for c in $(SIM_CONFIGS); do echo "HONE_VSIM_MODEL($$c)"; done > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(SIM_BUILD)/hone_vsim.o: sim/hone_vsim.cpp sim/hone_vsim.h sim/hone_vsim_port.h \
		$(SIM_BUILD)/hone_vsim_models.h
	$(SIM_CXX) $(SIM_CXXFLAGS) -I$(SIM_BUILD) -c sim/hone_vsim.cpp -o $@

# Icarus: the file-driven test bench sim/hone_tb.v, one vvp per configuration.
ICARUS_CONFIGS ?= tiny up5k
IVERILOG ?= iverilog
ICARUS_VVP = $(ICARUS_CONFIGS:%=$(SIM_BUILD)/icarus/%.vvp)
EXTRA_TEST_DEPS += $(SIM_BUILD)/icarus/tiny.vvp

$(SIM_BUILD)/%/iparams: $(SIM_BUILD)/hone_genparams $(SIM_BUILD)/build_id
	@mkdir -p $(dir $@)
	@$(SIM_BUILD)/hone_genparams $* iverilog $$(printf '%x' $$(cat $(SIM_BUILD)/build_id)) > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(SIM_BUILD)/icarus/%.vvp: sim/hone_tb.v $(RTL_SRC) $(SIM_BUILD)/%/iparams
	@mkdir -p $(dir $@)
	$(IVERILOG) -g2005 -Wall -Wno-timescale -Wno-sensitivity-entire-array -o $@ $$(cat $(SIM_BUILD)/$*/iparams) sim/hone_tb.v $(RTL_SRC)

.PRECIOUS: $(SIM_BUILD)/%/iparams
icarus-models: $(ICARUS_VVP)

# Throughput figures of the RTL (tests/long/rtl_perf.sh, docs/rtl.md).
$(SIM_BUILD)/hone_rtl_bench: sim/hone_rtl_bench.c sim/hone_vsim.h $(BUILD)/libhone.a
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -Isim $< -o $@ $(BUILD)/libhone.a $(EXTRA_LDLIBS) $(LDLIBS_ALL)

.PHONY: rtl-bench
rtl-bench: $(SIM_BUILD)/hone_rtl_bench $(SIM_BUILD)/icarus/up5k.vvp
	$(SIM_BUILD)/hone_rtl_bench --icarus $(SIM_BUILD)/icarus
