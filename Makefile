# SPDX-License-Identifier: Apache-2.0
# hone: top-level build. `make demo` and `make test` are the two set-up
# commands of the README; both install missing packages first.
#
# Layout of the build:
#   build/        optimised library, CLI and tools
#   build/asan/   the same sources with ASan/UBSan, used by the tests
# Sources are found by wildcard, so adding a file needs no Makefile edit:
#   host/src/*.c        -> libhone
#   tools/train/*.c     -> training code, linked into the hone command
#   host/cli/*.c        -> the hone command
#   tests/test_*.c      -> one cmocka binary each
# Folders with more to build (rtl/, sim/, constraints/) add rules in their
# own module.mk, included below.

SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD ?= build
ASAN_BUILD := $(BUILD)/asan

PKGS := hdf5 zlib libusb-1.0 openblas
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -g $(WARN) -Ihost/include -Ihost/src \
	-Itools/train $(PKG_CFLAGS)
CFLAGS ?= -O2
ASAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(sort $(wildcard host/src/*.c))
TRAIN_SRC := $(sort $(wildcard tools/train/*.c))
CLI_SRC := $(sort $(wildcard host/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(TRAIN_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=$(ASAN_BUILD)/obj/%.o) $(TRAIN_SRC:%.c=$(ASAN_BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_CLI_OBJ := $(CLI_SRC:%.c=$(ASAN_BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(ASAN_BUILD)/tests/%)

HONE := $(BUILD)/hone
HONE_ASAN := $(ASAN_BUILD)/hone

# Extra objects and libraries modules (sim/) contribute to libhone.
EXTRA_LIB_OBJ :=
EXTRA_ASAN_LIB_OBJ :=
EXTRA_LDLIBS :=

.PHONY: all bootstrap demo test check-long bench lint clean help

help:
	@echo "make            build libhone, the hone command and the tools"
	@echo "make demo       install what is missing, then run the demo pipeline"
	@echo "make test       install what is missing, then run every test (ASan/UBSan)"
	@echo "make check-long the long soaks and full-size comparisons"
	@echo "make bench      performance figures (hone bench)"
	@echo "make lint       verilator -Wall lint and C warnings as errors"

bootstrap:
	@sh tools/bootstrap.sh

-include rtl/module.mk sim/module.mk sim/link/module.mk tests/usb.mk constraints/module.mk tools/module.mk

all: $(HONE) $(EXTRA_ALL)

$(BUILD)/obj/%.o: %.c $(wildcard host/include/*.h host/src/*.h tools/train/*.h sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -c $< -o $@

$(ASAN_BUILD)/obj/%.o: %.c $(wildcard host/include/*.h host/src/*.h tools/train/*.h sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -c $< -o $@

$(BUILD)/libhone.a: $(LIB_OBJ) $(EXTRA_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ASAN_BUILD)/libhone.a: $(ASAN_LIB_OBJ) $(EXTRA_ASAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(HONE): $(CLI_OBJ) $(BUILD)/libhone.a
	$(CC) $(CFLAGS) -o $@ $^ $(EXTRA_LDLIBS) $(LDLIBS_ALL)

$(HONE_ASAN): $(ASAN_CLI_OBJ) $(ASAN_BUILD)/libhone.a
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(EXTRA_LDLIBS) $(LDLIBS_ALL)

$(ASAN_BUILD)/tests/%: tests/%.c $(ASAN_BUILD)/libhone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -Itests $< -o $@ $(ASAN_BUILD)/libhone.a \
		-lcmocka $(EXTRA_LDLIBS) $(LDLIBS_ALL)

# Tests: cmocka binaries under ASan/UBSan plus tests/test_*.sh scripts; the
# runner prints the closing "N passed, N failed" line.
test: bootstrap
	@$(MAKE) --no-print-directory $(TEST_BIN) $(HONE) $(HONE_ASAN) $(EXTRA_TEST_DEPS)
	@HONE=$(HONE) HONE_ASAN=$(HONE_ASAN) BUILD=$(BUILD) tests/run.sh $(TEST_BIN) $(sort $(wildcard tests/test_*.sh))

check-long: bootstrap
	@$(MAKE) --no-print-directory all $(EXTRA_TEST_DEPS)
	@HONE=$(HONE) BUILD=$(BUILD) tests/run.sh $(sort $(wildcard tests/long/*.sh))

bench: bootstrap
	@$(MAKE) --no-print-directory all
	$(HONE) bench --target up5k
	$(HONE) bench --target sim16 --limit 1000

demo: bootstrap
	@$(MAKE) --no-print-directory all
	@HONE=$(HONE) tools/demo.sh

clean:
	rm -rf $(BUILD)
