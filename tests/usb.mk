# SPDX-License-Identifier: Apache-2.0
# tests/usb.mk: the usb tests (tests/test_usb*.c) run the real libusb code
# path against an emulated FT2232H (tests/ftdi_emu.c) on umockdev, so they
# need umockdev and GLib, which libhone itself does not. These explicit
# rules replace the top Makefile's pattern rule for those binaries. Without
# them (or without umockdev) the files build as stubs that report "skipped".
# The binaries re-execute themselves with libumockdev-preload.so preloaded
# (after the ASan runtime), so tests/run.sh runs them like any other.
#
# tests/test_usb_rtl*.c also link the board models of sim/board (the RTL of
# rtl/hone_system.v, hone_link + hone_chip as the board tops build them, on
# the emulated chip's UART pins).

UMOCKDEV_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags umockdev-1.0 2>/dev/null))
UMOCKDEV_LIBS := $(shell pkg-config --libs umockdev-1.0 2>/dev/null)

-include sim/board/module.mk

ifneq ($(UMOCKDEV_LIBS),)
USB_RTL_SRC := $(sort $(wildcard tests/test_usb_rtl*.c))
USB_TEST_SRC := $(filter-out $(USB_RTL_SRC),$(sort $(wildcard tests/test_usb*.c)))
USB_TEST_BIN := $(USB_TEST_SRC:tests/%.c=$(ASAN_BUILD)/tests/%)

$(USB_TEST_BIN): $(ASAN_BUILD)/tests/%: tests/%.c tests/ftdi_emu.c tests/ftdi_emu.h $(ASAN_BUILD)/libhone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -DHONE_HAVE_UMOCKDEV $(UMOCKDEV_CFLAGS) \
		-Itests $< tests/ftdi_emu.c -o $@ $(ASAN_BUILD)/libhone.a \
		-lcmocka $(EXTRA_LDLIBS) $(UMOCKDEV_LIBS) $(LDLIBS_ALL)

# The figures alone, optimised and without sanitizers: `make usb-bench`
# (the ASan test binaries print the same figures, slower).
USB_BENCH_BIN := $(USB_TEST_SRC:tests/%.c=$(BUILD)/tests/%)

$(USB_BENCH_BIN): $(BUILD)/tests/%: tests/%.c tests/ftdi_emu.c tests/ftdi_emu.h $(BUILD)/libhone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -DHONE_HAVE_UMOCKDEV $(UMOCKDEV_CFLAGS) \
		-Itests $< tests/ftdi_emu.c -o $@ $(BUILD)/libhone.a \
		-lcmocka $(EXTRA_LDLIBS) $(UMOCKDEV_LIBS) $(LDLIBS_ALL)

.PHONY: usb-bench
usb-bench: $(USB_BENCH_BIN)
	$(BUILD)/tests/test_usb test_throughput
	$(BUILD)/tests/test_usb_backend test_tick_rate

# With the board models (Verilator): the usb device with the RTL behind it.
ifneq ($(BOARD_OBJ),)
USB_RTL_BIN := $(USB_RTL_SRC:tests/%.c=$(ASAN_BUILD)/tests/%)
USB_RTL_BENCH_BIN := $(USB_RTL_SRC:tests/%.c=$(BUILD)/tests/%)
USB_RTL_FLAGS = -DHONE_HAVE_UMOCKDEV -DHONE_HAVE_BOARD $(UMOCKDEV_CFLAGS) -Itests -Isim/board

$(USB_RTL_BIN): $(ASAN_BUILD)/tests/%: tests/%.c tests/ftdi_emu.c tests/ftdi_emu.h \
		sim/board/hone_board.h $(BOARD_OBJ) $(ASAN_BUILD)/libhone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) $(USB_RTL_FLAGS) $< tests/ftdi_emu.c -o $@ \
		$(BOARD_OBJ) $(ASAN_BUILD)/libhone.a \
		-lcmocka $(EXTRA_LDLIBS) $(UMOCKDEV_LIBS) $(LDLIBS_ALL)

$(USB_RTL_BENCH_BIN): $(BUILD)/tests/%: tests/%.c tests/ftdi_emu.c tests/ftdi_emu.h \
		sim/board/hone_board.h $(BOARD_OBJ) $(BUILD)/libhone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(USB_RTL_FLAGS) $< tests/ftdi_emu.c -o $@ \
		$(BOARD_OBJ) $(BUILD)/libhone.a \
		-lcmocka $(EXTRA_LDLIBS) $(UMOCKDEV_LIBS) $(LDLIBS_ALL)

# The end-to-end figures of docs/usb.md, optimised: `make usb-rtl-bench`
# (HONE_USB_RTL_IMAGES=N for another number of images).
.PHONY: usb-rtl-bench
usb-rtl-bench: $(USB_RTL_BENCH_BIN)
	$(BUILD)/tests/test_usb_rtl test_fashion_mnist
endif
endif
