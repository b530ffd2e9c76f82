/* SPDX-License-Identifier: Apache-2.0 */
/*
 * usb_ftdi.h - the UART of an FT2232H (channel B, as wired on the
 * iCEBreaker) as a byte pipe, on raw libusb-1.0. Internal to libhone.
 *
 * What it does (docs/usb.md has the why):
 *   - finds FT2232H chips (USB 0403:6010, bcdDevice 0x0700) by serial
 *     number or bus.address, claims interface 1 (channel B) after
 *     detaching ftdi_sio from it (and gives it back on close);
 *   - sends the vendor requests a real FT2232H needs: reset, bit mode off
 *     (plain UART), baud rate (120 MHz/10 or 48 MHz/16 base, divisor and
 *     fraction encoded as the chip wants, see hone_ftdi_baud_encode), 8N1,
 *     no flow control, latency timer, purge both FIFOs;
 *   - keeps several bulk IN and OUT transfers in flight and strips the two
 *     modem-status bytes the chip puts at the start of every IN packet;
 *   - turns every fault into a sticky error with a message that says what
 *     happened and what to do, within a second: no device, permission
 *     denied (with the udev rule), device in use, hot-unplug, stalled
 *     endpoint, a chip that stopped answering.
 *
 * One hone_ftdi is used from one thread at a time; it has no thread of
 * its own: USB events are handled inside the calls below (the transfers
 * keep moving data in the kernel meanwhile).
 */
#ifndef HONE_USB_FTDI_H
#define HONE_USB_FTDI_H

#include "hone_internal.h"

#include <stddef.h>
#include <stdint.h>

#define HONE_FTDI_VID 0x0403u
#define HONE_FTDI_PID_2232H 0x6010u
#define HONE_FTDI_BCD_2232H 0x0700u
/* Channel B: USB interface 1, FTDI port index 2 (wIndex low byte). */
#define HONE_FTDI_IFACE_B 1
#define HONE_FTDI_PORT_B 2u

/* FTDI vendor requests (bmRequestType 0x40 out / 0xC0 in). */
enum hone_ftdi_request {
	HONE_FTDI_SIO_RESET = 0x00,
	HONE_FTDI_SIO_SET_MODEM_CTRL = 0x01,
	HONE_FTDI_SIO_SET_FLOW_CTRL = 0x02,
	HONE_FTDI_SIO_SET_BAUDRATE = 0x03,
	HONE_FTDI_SIO_SET_DATA = 0x04,
	HONE_FTDI_SIO_POLL_MODEM_STATUS = 0x05,
	HONE_FTDI_SIO_SET_EVENT_CHAR = 0x06,
	HONE_FTDI_SIO_SET_ERROR_CHAR = 0x07,
	HONE_FTDI_SIO_SET_LATENCY_TIMER = 0x09,
	HONE_FTDI_SIO_GET_LATENCY_TIMER = 0x0A,
	HONE_FTDI_SIO_SET_BITMODE = 0x0B,
};

/* wValue of SIO_RESET. Named from the host's side: 1 empties the chip's
 * FIFO of bytes on their way to the UART (libftdi's tcoflush), 2 the FIFO
 * of bytes received from the UART (tciflush). */
enum {
	HONE_FTDI_RESET_SIO = 0,
	HONE_FTDI_PURGE_HOST_TO_UART = 1,
	HONE_FTDI_PURGE_UART_TO_HOST = 2,
};

/* SET_DATA wValue for 8 data bits, no parity, 1 stop bit. */
#define HONE_FTDI_DATA_8N1 0x0008u
/* Line-status bits (second status byte of an IN packet) that mean lost or
 * damaged bytes. */
#define HONE_FTDI_LSR_ERRORS 0x9Eu /* overrun, parity, framing, break, FIFO */

/* The udev rule that lets a user open the board (also in
 * tools/udev/99-hone-icebreaker.rules; keep the two identical). */
#define HONE_FTDI_UDEV_FILE "tools/udev/99-hone-icebreaker.rules"
#define HONE_FTDI_UDEV_RULE                                                  \
	"SUBSYSTEM==\"usb\", ATTR{idVendor}==\"0403\", "                     \
	"ATTR{idProduct}==\"6010\", MODE=\"0660\", GROUP=\"plugdev\", "      \
	"TAG+=\"uaccess\""

/* Encode a baud rate for an FT2232H's SET_BAUDRATE request on port
 * `port` (1 = A, 2 = B). Above 732 baud the 120 MHz clock divided by 10
 * (12 MHz base, bit 17 of the divisor, which goes to wIndex bit 9) is
 * used, else 48 MHz / 16 (3 MHz base). The divisor has a 14-bit integer
 * part and 1/8 fractions in three bits (value bits 14-15, index bit 8);
 * 0 and 1 are the special divisors 1 and 1.5. Returns the baud rate the
 * chip will really run, or 0 if `baud` cannot be reached within 3 %. */
uint32_t hone_ftdi_baud_encode(uint32_t baud, unsigned port, uint16_t *value,
                               uint16_t *index);
/* The baud rate a SET_BAUDRATE (value, index) asks an FT2232H for. */
double hone_ftdi_baud_decode(uint16_t value, uint16_t index);

typedef struct hone_ftdi_opts {
	const char *select;    /* NULL or "": the only board; "SERIAL"; "BUS.ADDR" */
	uint32_t baud;         /* default 3000000 */
	uint8_t latency_ms;    /* latency timer, 1..255; default 1 */
	int n_in, n_out;       /* bulk transfers in flight; default 4 and 4 */
	int in_size, out_size; /* bytes per transfer; default 16384 */
	int timeout_ms;        /* watchdog: a chip silent this long is dead;
	                          default 500 (a live one answers every
	                          latency_ms) */
} hone_ftdi_opts;

void hone_ftdi_opts_default(hone_ftdi_opts *o);

typedef struct hone_ftdi hone_ftdi;

/* Find, claim and configure the board; start the IN transfers. */
int hone_ftdi_open(const hone_ftdi_opts *opts, hone_ftdi **out, hone_error *err);
/* Cancel the transfers, hand interface 1 back to ftdi_sio, free. */
void hone_ftdi_close(hone_ftdi *f);
/* "usb:1.5 (FT2232H serial IB0001)": for messages. */
const char *hone_ftdi_name(const hone_ftdi *f);

/* Queue n bytes for the UART (copied) and start sending them. Waits only
 * when the send buffer is full, at most timeout_ms of the options. */
int hone_ftdi_write(hone_ftdi *f, const void *p, size_t n, hone_error *err);
/* Wait until everything written has left the host (the chip took it). */
int hone_ftdi_flush(hone_ftdi *f, int timeout_ms, hone_error *err);
/* Take up to cap received bytes. Waits up to timeout_ms for the first
 * one (0: do not wait); *got = 0 after a quiet timeout is not an error
 * (the chip is alive but had nothing to say). */
int hone_ftdi_read(hone_ftdi *f, void *buf, size_t cap, int timeout_ms,
                   size_t *got, hone_error *err);
/* Handle USB events for up to timeout_ms (0: what is pending). */
int hone_ftdi_pump(hone_ftdi *f, int timeout_ms, hone_error *err);
/* Received bytes waiting in the host buffer. */
size_t hone_ftdi_available(const hone_ftdi *f);

typedef struct hone_ftdi_stats {
	uint64_t bytes_out;      /* UART bytes the chip took */
	uint64_t bytes_in;       /* UART bytes received (status stripped) */
	uint64_t usb_bytes_in;   /* IN bytes including status bytes */
	uint64_t packets_in;     /* IN packets */
	uint64_t status_only;    /* IN packets with no data (latency timer) */
	uint64_t line_errors;    /* packets whose line status flagged an error */
	uint64_t transfers_in, transfers_out;
	uint8_t modem_status[2]; /* status bytes of the last IN packet */
	uint32_t baud;           /* rate the chip really runs */
	int max_packet;          /* 512 on high speed, 64 on full speed */
} hone_ftdi_stats;
void hone_ftdi_get_stats(const hone_ftdi *f, hone_ftdi_stats *s);

/* Attached FT2232H boards (for `hone info usb:` and error messages). */
typedef struct hone_ftdi_board {
	uint8_t bus, addr;
	uint16_t bcd_device;
	char serial[64];     /* "" when it could not be read */
	char product[64];
	int open_error;      /* 0, or why the strings could not be read */
} hone_ftdi_board;
/* Fill up to cap boards; *n gets how many are attached (may be > cap). */
int hone_ftdi_list(hone_ftdi_board *out, size_t cap, size_t *n, hone_error *err);
/* One line per attached board, or a line saying there is none. */
int hone_ftdi_describe(char *buf, size_t cap, hone_error *err);

/* The usb backend (backend_usb.c); the dispatch table in device.c names it. */
extern const struct hone_backend hone_backend_usb;

/* A usb device's link statistics (link.h: payload and wire bytes both
 * ways, retransmissions, NAKs, timeouts) and transport statistics, for
 * tests and figures; either pointer may be NULL. HONE_ERR_INVALID if dev
 * is not an open usb device. */
struct hone_link_stats;
int hone_usb_get_stats(hone_device *dev, struct hone_link_stats *link,
                       hone_ftdi_stats *ftdi);

#endif /* HONE_USB_FTDI_H */
