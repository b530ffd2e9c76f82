/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ftdi_emu.h - an emulated FT2232H for tests, in process, on umockdev
 * (the technique of libusb's tests/umockdev.c): the real libusb code path
 * of the host runtime (usbdevfs ioctls: SUBMITURB, REAPURBNDELAY, ...)
 * talks to this file instead of a kernel and a chip.
 *
 * It presents an FT2232H's descriptors (two interfaces, bulk endpoints
 * 0x81/0x02 and 0x83/0x04, 512-byte packets on high speed, strings) in a
 * umockdev testbed, answers the chip's vendor control requests and
 * records them, and carries channel B's UART byte stream to a pluggable
 * "far end" (what sits on the UART pins: by default a loopback, later the
 * simulated chip behind rtl/hone_link.v). IN packets carry the two
 * modem-status bytes of the real part, and a short packet goes out only
 * when the latency timer expires with less than a packet buffered.
 *
 * Faults: unplug (the device vanishes mid-stream), stall an endpoint,
 * hang (stop answering anything), permission denied, interface busy.
 *
 * The process must run with libumockdev-preload.so preloaded: a test's
 * main() calls ftdi_emu_reexec() when ftdi_emu_preloaded() is false.
 * The emulator's code runs in umockdev's own thread; everything here is
 * safe to call from the test thread. The far end's callbacks run in
 * umockdev's thread, one at a time.
 */
#ifndef HONE_FTDI_EMU_H
#define HONE_FTDI_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ftdi_emu ftdi_emu;

/* What is wired to channel B's UART pins. Both calls must not block. */
typedef struct ftdi_emu_far_end {
	/* Bytes the host sent; return how many were taken (the rest is
	 * offered again later, the OUT pipe NAKs meanwhile). */
	size_t (*rx)(void *user, const uint8_t *p, size_t n);
	/* Copy up to cap bytes for the host; return the count. Called on
	 * every USB poll of the host, so a simulator can advance its clock
	 * here. */
	size_t (*tx)(void *user, uint8_t *p, size_t cap);
	void *user;
} ftdi_emu_far_end;

typedef struct ftdi_emu_board_opts {
	unsigned bus, addr;       /* 0: bus 1, address 5, 6, ... */
	const char *serial;       /* NULL: "IBEMU01", "IBEMU02", ... */
	const char *product;      /* NULL: "iCEBreaker V1.0e (emulated)" */
	uint16_t bcd_device;      /* 0: 0x0700 (FT2232H) */
	bool full_speed;          /* 64-byte packets (a USB 1.1 port) */
	bool no_access;           /* the device node cannot be opened */
	bool claimed_elsewhere;   /* claiming interface 1 fails with EBUSY */
	ftdi_emu_far_end far;     /* rx == NULL: loopback */
	size_t loopback_cap;      /* loopback buffer; 0: 64 KiB */
} ftdi_emu_board_opts;

/* Run this program again (/proc/self/exe, same argv) with
 * libumockdev-preload.so preloaded after the ASan runtime; returns only on
 * failure, with 77 (the test runner's "skipped"). */
int ftdi_emu_reexec(char **argv);
/* Whether libumockdev-preload.so is loaded in this process. */
bool ftdi_emu_preloaded(void);
/* A testbed with no device. NULL when umockdev is not preloaded. */
ftdi_emu *ftdi_emu_new(void);
void ftdi_emu_free(ftdi_emu *e);
/* Plug a board in; returns its index (0, 1, ...) or -1. */
int ftdi_emu_add(ftdi_emu *e, const ftdi_emu_board_opts *o);

/* ---- faults ---- */
/* The board vanishes: its URBs in flight end with -ESHUTDOWN, every
 * later call fails with ENODEV, and it leaves sysfs. */
void ftdi_emu_unplug(ftdi_emu *e, int board);
/* Halt an endpoint (0x81, 0x02, 0x83, 0x04): its URBs end with -EPIPE
 * until the host clears the halt. */
void ftdi_emu_stall(ftdi_emu *e, int board, uint8_t ep);
/* Stop (on) or resume answering: URBs and control requests stay pending
 * (only cancelling them works). */
void ftdi_emu_hang(ftdi_emu *e, int board, bool on);
/* The two status bytes of every IN packet (default 0x31 0x60). */
void ftdi_emu_set_modem_status(ftdi_emu *e, int board, uint8_t b0, uint8_t b1);
/* Queue bytes the far end sends to the host (loopback far end only). */
void ftdi_emu_inject(ftdi_emu *e, int board, const void *p, size_t n);

/* ---- what the host did ---- */
typedef struct ftdi_emu_ctrl {
	uint8_t type, request;
	uint16_t value, index, length;
} ftdi_emu_ctrl;

#define FTDI_EMU_CTRL_LOG 64

typedef struct ftdi_emu_state {
	/* channel B's UART settings, as last set */
	uint16_t baud_value, baud_index;
	double baud;               /* decoded */
	uint16_t data, flow_value, flow_index, bitmode, modem_ctrl;
	uint8_t latency_ms;
	unsigned resets, purges_h2u, purges_u2h;
	bool claimed[2];           /* interface 0, 1 */
	bool driver_bound[2];      /* ftdi_sio owns the interface */
	/* channel B's bulk pipes */
	uint64_t out_bytes;        /* taken by the far end */
	uint64_t in_bytes;         /* payload sent to the host */
	uint64_t in_packets, short_packets, status_only;
	uint64_t urbs_submitted, urbs_reaped, urbs_discarded;
	unsigned unknown_ioctls;
	size_t n_ctrl;             /* control requests seen (log keeps 64) */
	ftdi_emu_ctrl ctrl[FTDI_EMU_CTRL_LOG];
} ftdi_emu_state;

void ftdi_emu_get_state(ftdi_emu *e, int board, ftdi_emu_state *s);

#endif /* HONE_FTDI_EMU_H */
