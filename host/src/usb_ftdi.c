/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FT2232H's channel B UART as a byte pipe on raw libusb-1.0
 * (usb_ftdi.h says what and docs/usb.md why). Raw libusb rather than
 * libftdi: libftdi's streaming API owns one transfer at a time and its
 * own read loop, and we want several transfers in flight on both pipes,
 * sticky errors with our own messages, and no global state.
 */
#include "usb_ftdi.h"

#include <libusb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTRL_TIMEOUT_MS 500
#define CLOSE_DRAIN_MS 1000
#define STRING_TIMEOUT_MS 200
#define REQ_OUT (LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_DEVICE | LIBUSB_ENDPOINT_OUT)
#define REQ_IN (LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_DEVICE | LIBUSB_ENDPOINT_IN)

/* ------------------------------------------------------------ baud rate */

/* 1/8 fractions of the divisor <-> the chip's 3-bit code (AN232B-05). */
static const uint8_t frac_code[8] = {0, 3, 2, 4, 1, 5, 6, 7};
static const uint8_t frac_eighths[8] = {0, 4, 2, 1, 3, 5, 6, 7};

/* base = clock / prescaler (12 MHz or 3 MHz). */
static uint32_t clkbits(uint32_t baud, uint32_t base, uint32_t *enc)
{
	if (baud >= base) {
		*enc = 0; /* special: divisor 1 */
		return base;
	}
	if ((uint64_t)baud * 3 >= (uint64_t)base * 2) {
		*enc = 1; /* special: divisor 1.5 */
		return (uint32_t)((uint64_t)base * 2 / 3);
	}
	if ((uint64_t)baud * 2 >= base) {
		*enc = 2;
		return base / 2;
	}
	/* Divisor in eighths, rounded to the nearest. */
	uint64_t d8 = ((uint64_t)base * 16 / baud + 1) / 2;
	if (d8 > 0x1FFFF)
		d8 = 0x1FFFF;
	*enc = (uint32_t)(d8 >> 3) | ((uint32_t)frac_code[d8 & 7] << 14);
	return (uint32_t)(((uint64_t)base * 16 / d8 + 1) / 2);
}

uint32_t hone_ftdi_baud_encode(uint32_t baud, unsigned port, uint16_t *value,
                               uint16_t *index)
{
	uint32_t enc, got;
	if (baud == 0)
		return 0;
	if ((uint64_t)baud * 10 > 120000000u / 0x3FFF) {
		got = clkbits(baud, 12000000u, &enc);
		enc |= 0x20000; /* 120 MHz / 10 instead of 48 MHz / 16 */
	} else {
		got = clkbits(baud, 3000000u, &enc);
	}
	*value = (uint16_t)(enc & 0xFFFF);
	*index = (uint16_t)(((enc >> 8) & 0xFF00) | (port & 0xFF));
	double ratio = (double)got / (double)baud;
	if (ratio < 0.97 || ratio > 1.03)
		return 0;
	return got;
}

double hone_ftdi_baud_decode(uint16_t value, uint16_t index)
{
	double base = (index & 0x0200) ? 12e6 : 3e6;
	unsigned code = (unsigned)(value >> 14) | ((index & 0x0100) ? 4u : 0u);
	unsigned ip = value & 0x3FFF;
	if (ip == 0 && code == 0)
		return base;
	if (ip == 1 && code == 0)
		return base / 1.5;
	double div = ip + frac_eighths[code] / 8.0;
	return div > 0 ? base / div : base;
}

/* ---------------------------------------------------------------- rings */

typedef struct ring {
	uint8_t *buf;
	size_t cap, head, len;
} ring;

static size_t ring_free(const ring *r) { return r->cap - r->len; }

static void ring_push(ring *r, const uint8_t *p, size_t n)
{
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = n < r->cap - tail ? n : r->cap - tail;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
}

static size_t ring_pop(ring *r, uint8_t *p, size_t n)
{
	if (n > r->len)
		n = r->len;
	size_t first = n < r->cap - r->head ? n : r->cap - r->head;
	memcpy(p, r->buf + r->head, first);
	memcpy(p + first, r->buf, n - first);
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	return n;
}

/* ------------------------------------------------------------ the object */

struct xfer {
	struct libusb_transfer *t;
	hone_ftdi *f;
	bool busy, parked;
};

struct hone_ftdi {
	libusb_context *ctx;
	libusb_device_handle *h;
	hone_ftdi_opts o;
	uint8_t bus, addr;
	char name[128];
	unsigned char ep_in, ep_out;
	bool claimed, detached, closing;
	int in_timeout_ms, out_timeout_ms;
	ring in, out;
	size_t in_reserved;        /* ring space promised to IN transfers in flight */
	struct xfer *xin, *xout;
	int err_code;              /* sticky: the first fault wins */
	char err_msg[HONE_ERROR_MSG_LEN];
	hone_ftdi_stats st;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void set_error(hone_ftdi *f, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(hone_ftdi *f, int code, const char *fmt, ...)
{
	if (f->err_code)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err_msg, sizeof f->err_msg, fmt, ap);
	va_end(ap);
	f->err_code = code;
}

static int report(const hone_ftdi *f, hone_error *err)
{
	if (!f->err_code)
		return 0;
	return hone_fail(err, f->err_code, "%s", f->err_msg);
}

static int map_libusb(int r)
{
	switch (r) {
	case LIBUSB_ERROR_ACCESS: return HONE_ERR_ACCESS;
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_NOT_FOUND: return HONE_ERR_NO_DEVICE;
	case LIBUSB_ERROR_TIMEOUT: return HONE_ERR_TIMEOUT;
	case LIBUSB_ERROR_NO_MEM: return HONE_ERR_NOMEM;
	default: return HONE_ERR_IO;
	}
}

static int access_error(hone_error *err, uint8_t bus, uint8_t addr)
{
	return hone_fail(err, HONE_ERR_ACCESS,
		"usb:%u.%u: permission denied opening the FT2232H "
		"(/dev/bus/usb/%03u/%03u). Install the udev rule, then replug "
		"the board:\n  sudo cp %s /etc/udev/rules.d/ && sudo udevadm "
		"control --reload-rules && sudo udevadm trigger\nThe rule: %s",
		bus, addr, bus, addr, HONE_FTDI_UDEV_FILE, HONE_FTDI_UDEV_RULE);
}

static void vanished(hone_ftdi *f)
{
	set_error(f, HONE_ERR_NO_DEVICE,
		"%s: the FT2232H vanished (unplugged, or the board lost power) "
		"after %llu bytes sent and %llu received", f->name,
		(unsigned long long)f->st.bytes_out,
		(unsigned long long)f->st.bytes_in);
}

static void stalled(hone_ftdi *f, unsigned char ep)
{
	set_error(f, HONE_ERR_IO,
		"%s: bulk %s endpoint 0x%02x stalled (the FT2232H refused the "
		"transfer); replug the board", f->name,
		(ep & 0x80) ? "IN" : "OUT", ep);
}

/* A failed libusb call on the open device. */
static void call_failed(hone_ftdi *f, int r, const char *what)
{
	if (r == LIBUSB_ERROR_NO_DEVICE)
		vanished(f);
	else if (r == LIBUSB_ERROR_PIPE)
		stalled(f, f->ep_out);
	else
		set_error(f, map_libusb(r), "%s: %s failed: %s", f->name, what,
		          libusb_strerror(r));
}

static void transfer_failed(hone_ftdi *f, struct libusb_transfer *t)
{
	bool in = (t->endpoint & 0x80) != 0;
	switch (t->status) {
	case LIBUSB_TRANSFER_TIMED_OUT:
		if (in)
			set_error(f, HONE_ERR_TIMEOUT,
				"%s: the FT2232H sent nothing for %d ms (a live "
				"chip answers every %u ms): the board or its USB "
				"link hung", f->name, f->in_timeout_ms,
				f->o.latency_ms);
		else
			set_error(f, HONE_ERR_TIMEOUT,
				"%s: the FT2232H took no data for %d ms: the "
				"board or its USB link hung", f->name,
				f->out_timeout_ms);
		break;
	case LIBUSB_TRANSFER_NO_DEVICE:
		vanished(f);
		break;
	case LIBUSB_TRANSFER_STALL:
		stalled(f, t->endpoint);
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		set_error(f, HONE_ERR_IO, "%s: a bulk %s transfer was cancelled",
		          f->name, in ? "IN" : "OUT");
		break;
	default:
		set_error(f, HONE_ERR_IO, "%s: a bulk %s transfer failed (%s)",
		          f->name, in ? "IN" : "OUT",
		          libusb_error_name((int)t->status));
		break;
	}
}

/* ------------------------------------------------------------- transfers */

/* Strip the two status bytes at the start of every max-packet chunk. */
static void take_in(hone_ftdi *f, const uint8_t *p, int n)
{
	int mp = f->st.max_packet;
	for (int off = 0; off < n; off += mp) {
		int len = n - off < mp ? n - off : mp;
		f->st.packets_in++;
		f->st.usb_bytes_in += (uint64_t)len;
		if (len < 2)
			continue;
		f->st.modem_status[0] = p[off];
		f->st.modem_status[1] = p[off + 1];
		if (p[off + 1] & HONE_FTDI_LSR_ERRORS)
			f->st.line_errors++;
		if (len == 2) {
			f->st.status_only++;
			continue;
		}
		ring_push(&f->in, p + off + 2, (size_t)len - 2);
		f->st.bytes_in += (uint64_t)len - 2;
	}
}

static void submit_in(hone_ftdi *f, struct xfer *x)
{
	size_t need = (size_t)f->o.in_size;
	if (ring_free(&f->in) < f->in_reserved + need) {
		x->parked = true; /* resubmitted when the reader makes room */
		return;
	}
	x->parked = false;
	int r = libusb_submit_transfer(x->t);
	if (r < 0) {
		call_failed(f, r, "submitting a bulk IN transfer");
		return;
	}
	x->busy = true;
	f->in_reserved += need;
}

static void in_cb(struct libusb_transfer *t)
{
	struct xfer *x = t->user_data;
	hone_ftdi *f = x->f;
	x->busy = false;
	f->in_reserved -= (size_t)f->o.in_size;
	if (t->actual_length > 0)
		take_in(f, t->buffer, t->actual_length);
	if (f->closing)
		return;
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		transfer_failed(f, t);
		return;
	}
	f->st.transfers_in++;
	if (!f->err_code)
		submit_in(f, x);
}

static void kick_out(hone_ftdi *f)
{
	for (int i = 0; i < f->o.n_out && f->out.len > 0; i++) {
		struct xfer *x = &f->xout[i];
		if (x->busy || f->err_code || f->closing)
			continue;
		size_t n = ring_pop(&f->out, x->t->buffer, (size_t)f->o.out_size);
		x->t->length = (int)n;
		int r = libusb_submit_transfer(x->t);
		if (r < 0) {
			call_failed(f, r, "submitting a bulk OUT transfer");
			return;
		}
		x->busy = true;
	}
}

static void out_cb(struct libusb_transfer *t)
{
	struct xfer *x = t->user_data;
	hone_ftdi *f = x->f;
	x->busy = false;
	f->st.bytes_out += (uint64_t)t->actual_length;
	if (f->closing)
		return;
	if (t->status != LIBUSB_TRANSFER_COMPLETED) {
		transfer_failed(f, t);
		return;
	}
	if (t->actual_length != t->length) {
		set_error(f, HONE_ERR_IO, "%s: the FT2232H took %d of %d bytes",
		          f->name, t->actual_length, t->length);
		return;
	}
	f->st.transfers_out++;
	kick_out(f);
}

static int busy_count(const hone_ftdi *f)
{
	int n = 0;
	for (int i = 0; f->xin && i < f->o.n_in; i++)
		n += f->xin[i].busy;
	for (int i = 0; f->xout && i < f->o.n_out; i++)
		n += f->xout[i].busy;
	return n;
}

static void pump_once(hone_ftdi *f, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int r = libusb_handle_events_timeout_completed(f->ctx, &tv, NULL);
	if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED && r != LIBUSB_ERROR_TIMEOUT)
		set_error(f, map_libusb(r), "%s: handling USB events failed: %s",
		          f->name, libusb_strerror(r));
}

static int ms_left(double deadline)
{
	double left = deadline - now_ms();
	return left <= 0 ? 0 : (int)(left + 0.999);
}

/* ------------------------------------------------------------------ API */

void hone_ftdi_opts_default(hone_ftdi_opts *o)
{
	memset(o, 0, sizeof *o);
	o->baud = 3000000;
	o->latency_ms = 1;
	o->n_in = 4;
	o->n_out = 4;
	o->in_size = 16384;
	o->out_size = 16384;
	o->timeout_ms = 500;
}

const char *hone_ftdi_name(const hone_ftdi *f) { return f->name; }

size_t hone_ftdi_available(const hone_ftdi *f) { return f->in.len; }

void hone_ftdi_get_stats(const hone_ftdi *f, hone_ftdi_stats *s) { *s = f->st; }

int hone_ftdi_pump(hone_ftdi *f, int timeout_ms, hone_error *err)
{
	if (!f->err_code)
		pump_once(f, timeout_ms < 0 ? 0 : timeout_ms);
	return report(f, err);
}

static void unpark(hone_ftdi *f)
{
	for (int i = 0; i < f->o.n_in && !f->err_code; i++)
		if (f->xin[i].parked)
			submit_in(f, &f->xin[i]);
}

int hone_ftdi_write(hone_ftdi *f, const void *p, size_t n, hone_error *err)
{
	const uint8_t *b = p;
	double deadline = now_ms() + f->out_timeout_ms;
	while (n > 0 && !f->err_code) {
		size_t room = ring_free(&f->out);
		if (room == 0) {
			int left = ms_left(deadline);
			if (left == 0) {
				set_error(f, HONE_ERR_TIMEOUT,
					"%s: the FT2232H took no data for %d ms",
					f->name, f->out_timeout_ms);
				break;
			}
			pump_once(f, left < 100 ? left : 100);
			continue;
		}
		size_t k = n < room ? n : room;
		ring_push(&f->out, b, k);
		b += k;
		n -= k;
		kick_out(f);
	}
	return report(f, err);
}

int hone_ftdi_flush(hone_ftdi *f, int timeout_ms, hone_error *err)
{
	double deadline = now_ms() + timeout_ms;
	for (;;) {
		kick_out(f);
		if (f->err_code)
			return report(f, err);
		bool busy = false;
		for (int i = 0; i < f->o.n_out; i++)
			busy |= f->xout[i].busy;
		if (!busy && f->out.len == 0)
			return 0;
		int left = ms_left(deadline);
		if (left == 0)
			return hone_fail(err, HONE_ERR_TIMEOUT,
				"%s: %zu bytes still not sent after %d ms",
				f->name, f->out.len, timeout_ms);
		pump_once(f, left < 100 ? left : 100);
	}
}

int hone_ftdi_read(hone_ftdi *f, void *buf, size_t cap, int timeout_ms,
                   size_t *got, hone_error *err)
{
	*got = 0;
	if (f->in.len == 0 && !f->err_code) {
		if (timeout_ms <= 0) {
			pump_once(f, 0);
		} else {
			double deadline = now_ms() + timeout_ms;
			while (f->in.len == 0 && !f->err_code) {
				int left = ms_left(deadline);
				if (left == 0)
					break;
				pump_once(f, left < 100 ? left : 100);
			}
		}
	}
	/* Bytes that arrived before a fault are still good: hand them out
	 * first, report the fault once they are gone. */
	*got = ring_pop(&f->in, buf, cap);
	unpark(f);
	if (*got > 0)
		return 0;
	return report(f, err);
}

/* ----------------------------------------------------------- enumeration */

static bool is_ft2232(const struct libusb_device_descriptor *d)
{
	return d->idVendor == HONE_FTDI_VID && d->idProduct == HONE_FTDI_PID_2232H;
}

/* A string descriptor in US English, as ASCII. libusb's own helper first
 * asks for the language list and waits a second per request; a hung chip
 * must not cost seconds before the real error. */
static int get_string(libusb_device_handle *h, uint8_t idx, char *out, size_t cap)
{
	unsigned char buf[255];
	out[0] = 0;
	int r = libusb_control_transfer(h, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR,
	                                (uint16_t)(LIBUSB_DT_STRING << 8 | idx), 0x0409,
	                                buf, sizeof buf, STRING_TIMEOUT_MS);
	if (r < 0)
		return r;
	if (r < 2 || buf[1] != LIBUSB_DT_STRING || buf[0] > r)
		return LIBUSB_ERROR_IO;
	size_t j = 0;
	for (int i = 2; i + 1 < buf[0] && j + 1 < cap; i += 2)
		out[j++] = buf[i + 1] || buf[i] < 0x20 || buf[i] > 0x7E ? '?' : (char)buf[i];
	out[j] = 0;
	return 0;
}

static void read_strings(libusb_device *dev, const struct libusb_device_descriptor *d,
                         hone_ftdi_board *b)
{
	libusb_device_handle *h;
	int r = libusb_open(dev, &h);
	if (r < 0) {
		b->open_error = map_libusb(r);
		return;
	}
	r = d->iSerialNumber ? get_string(h, d->iSerialNumber, b->serial, sizeof b->serial) : 0;
	if (r == LIBUSB_ERROR_TIMEOUT)
		b->open_error = HONE_ERR_TIMEOUT; /* do not wait for the product too */
	else if (d->iProduct)
		get_string(h, d->iProduct, b->product, sizeof b->product);
	libusb_close(h);
}

static void board_of(libusb_device *dev, const struct libusb_device_descriptor *d,
                     hone_ftdi_board *b)
{
	memset(b, 0, sizeof *b);
	b->bus = libusb_get_bus_number(dev);
	b->addr = libusb_get_device_address(dev);
	b->bcd_device = d->bcdDevice;
	read_strings(dev, d, b);
}

static void board_text(const hone_ftdi_board *b, char *s, size_t cap)
{
	if (b->open_error == HONE_ERR_ACCESS)
		snprintf(s, cap, "usb:%u.%u (permission denied: install %s)",
		         b->bus, b->addr, HONE_FTDI_UDEV_FILE);
	else if (b->open_error)
		snprintf(s, cap, "usb:%u.%u (cannot read it: %s)", b->bus, b->addr,
		         hone_strerror(b->open_error));
	else
		snprintf(s, cap, "usb:%u.%u serial %s \"%s\"%s", b->bus, b->addr,
		         b->serial[0] ? b->serial : "-", b->product,
		         b->bcd_device == HONE_FTDI_BCD_2232H ? "" : " (not an FT2232H)");
}

int hone_ftdi_list(hone_ftdi_board *out, size_t cap, size_t *n, hone_error *err)
{
	libusb_context *ctx;
	libusb_device **list;
	*n = 0;
	int r = libusb_init(&ctx);
	if (r < 0)
		return hone_fail(err, HONE_ERR_IO, "usb: libusb_init failed: %s",
		                 libusb_strerror(r));
	ssize_t cnt = libusb_get_device_list(ctx, &list);
	if (cnt < 0) {
		libusb_exit(ctx);
		return hone_fail(err, HONE_ERR_IO, "usb: cannot list devices: %s",
		                 libusb_strerror((int)cnt));
	}
	for (ssize_t i = 0; i < cnt; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(list[i], &d) < 0 || !is_ft2232(&d))
			continue;
		if (*n < cap)
			board_of(list[i], &d, &out[*n]);
		(*n)++;
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return 0;
}

int hone_ftdi_describe(char *buf, size_t cap, hone_error *err)
{
	hone_ftdi_board b[16];
	size_t n;
	int rc = hone_ftdi_list(b, 16, &n, err);
	if (rc)
		return rc;
	size_t used = 0;
	buf[0] = 0;
	if (n == 0) {
		snprintf(buf, cap, "no FT2232H (USB 0403:6010) attached\n");
		return 0;
	}
	for (size_t i = 0; i < n && i < 16 && used < cap; i++) {
		char line[200];
		board_text(&b[i], line, sizeof line);
		used += (size_t)snprintf(buf + used, cap - used, "%s\n", line);
	}
	return 0;
}

/* "B.A" with B and A decimal: a bus.address selector. */
static bool parse_busaddr(const char *s, unsigned *bus, unsigned *addr)
{
	char tail;
	if (!s || !*s || s[0] < '0' || s[0] > '9')
		return false;
	return sscanf(s, "%u.%u%c", bus, addr, &tail) == 2;
}

/* Pick the device the selector names; *dev gets a reference. */
static int find_board(libusb_context *ctx, const char *sel, libusb_device **dev,
                      hone_ftdi_board *chosen, hone_error *err)
{
	libusb_device **list;
	ssize_t cnt = libusb_get_device_list(ctx, &list);
	if (cnt < 0)
		return hone_fail(err, HONE_ERR_IO, "usb: cannot list devices: %s",
		                 libusb_strerror((int)cnt));
	unsigned want_bus = 0, want_addr = 0;
	bool by_addr = parse_busaddr(sel, &want_bus, &want_addr);
	bool any = !sel || !*sel;
	char seen[320] = "";
	size_t seen_len = 0;
	int n_ft = 0, n_match = 0, n_denied = 0;
	hone_ftdi_board denied = {0};
	*dev = NULL;
	for (ssize_t i = 0; i < cnt; i++) {
		struct libusb_device_descriptor d;
		if (libusb_get_device_descriptor(list[i], &d) < 0 || !is_ft2232(&d))
			continue;
		n_ft++;
		hone_ftdi_board b;
		board_of(list[i], &d, &b);
		if (seen_len < sizeof seen - 1) {
			char line[200];
			board_text(&b, line, sizeof line);
			seen_len += (size_t)snprintf(seen + seen_len, sizeof seen - seen_len,
			                             "%s%s", seen_len ? "; " : "", line);
		}
		bool match = any ? true
		             : by_addr ? (b.bus == want_bus && b.addr == want_addr)
		             : !strcmp(b.serial, sel);
		if (b.open_error == HONE_ERR_ACCESS && !by_addr && !n_denied++)
			denied = b;
		if (!match)
			continue;
		if (n_match++ == 0) {
			*dev = libusb_ref_device(list[i]);
			*chosen = b;
		}
	}
	libusb_free_device_list(list, 1);
	if (n_match == 1)
		return 0; /* a board we cannot open fails in libusb_open, clearly */
	if (*dev) {
		libusb_unref_device(*dev);
		*dev = NULL;
	}
	if (n_match > 1)
		return hone_fail(err, HONE_ERR_INVALID,
			"usb: %d FT2232H boards attached; name one as usb:SERIAL "
			"or usb:BUS.ADDR: %s", n_match, seen);
	/* No serial matched, but one we could not read may be the one. */
	if (n_denied > 0)
		return access_error(err, denied.bus, denied.addr);
	if (n_ft == 0)
		return hone_fail(err, HONE_ERR_NO_DEVICE,
			"usb: no FT2232H (USB 0403:6010) is attached; plug in the "
			"iCEBreaker (check with `lsusb -d 0403:6010`)");
	return hone_fail(err, HONE_ERR_NO_DEVICE,
		"usb: no FT2232H matches '%s'; attached: %s", sel, seen);
}

/* ------------------------------------------------------------ open/close */

static int ctrl(hone_ftdi *f, uint8_t req, uint16_t value, uint16_t index,
                const char *what, hone_error *err)
{
	int r = libusb_control_transfer(f->h, REQ_OUT, req, value, index, NULL, 0,
	                                CTRL_TIMEOUT_MS);
	if (r >= 0)
		return 0;
	if (r == LIBUSB_ERROR_NO_DEVICE)
		vanished(f);
	else if (r == LIBUSB_ERROR_TIMEOUT)
		set_error(f, HONE_ERR_TIMEOUT,
			"%s: the FT2232H did not answer %s within %d ms", f->name,
			what, CTRL_TIMEOUT_MS);
	else if (r == LIBUSB_ERROR_PIPE)
		set_error(f, HONE_ERR_DEVICE,
			"%s: the chip refused %s (request 0x%02x, value 0x%04x, "
			"index 0x%04x): not an FT2232H?", f->name, what, req,
			value, index);
	else
		set_error(f, map_libusb(r), "%s: %s failed: %s", f->name, what,
		          libusb_strerror(r));
	return report(f, err);
}

static int find_endpoints(hone_ftdi *f, libusb_device *dev, hone_error *err)
{
	struct libusb_config_descriptor *cfg;
	int r = libusb_get_active_config_descriptor(dev, &cfg);
	if (r < 0)
		r = libusb_get_config_descriptor(dev, 0, &cfg);
	if (r < 0)
		return hone_fail(err, map_libusb(r), "%s: no configuration "
		                 "descriptor: %s", f->name, libusb_strerror(r));
	int rc = 0;
	if (cfg->bNumInterfaces <= HONE_FTDI_IFACE_B ||
	    cfg->interface[HONE_FTDI_IFACE_B].num_altsetting < 1) {
		rc = hone_fail(err, HONE_ERR_UNSUPPORTED, "%s: the chip has no "
		               "interface %d (channel B)", f->name, HONE_FTDI_IFACE_B);
	} else {
		const struct libusb_interface_descriptor *id =
			&cfg->interface[HONE_FTDI_IFACE_B].altsetting[0];
		for (int i = 0; i < id->bNumEndpoints; i++) {
			const struct libusb_endpoint_descriptor *ep = &id->endpoint[i];
			if ((ep->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
				continue;
			if (ep->bEndpointAddress & 0x80) {
				f->ep_in = ep->bEndpointAddress;
				f->st.max_packet = ep->wMaxPacketSize & 0x7FF;
			} else {
				f->ep_out = ep->bEndpointAddress;
			}
		}
		if (!f->ep_in || !f->ep_out || f->st.max_packet < 8)
			rc = hone_fail(err, HONE_ERR_UNSUPPORTED, "%s: interface %d "
			               "lacks a bulk IN and a bulk OUT endpoint",
			               f->name, HONE_FTDI_IFACE_B);
	}
	libusb_free_config_descriptor(cfg);
	return rc;
}

static int alloc_xfers(hone_ftdi *f, struct xfer **xs, int n, int size,
                       unsigned char ep, libusb_transfer_cb_fn cb, int timeout)
{
	*xs = calloc((size_t)n, sizeof **xs);
	if (!*xs)
		return HONE_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		struct xfer *x = &(*xs)[i];
		x->f = f;
		x->t = libusb_alloc_transfer(0);
		uint8_t *buf = malloc((size_t)size);
		if (!x->t || !buf) {
			free(buf);
			return HONE_ERR_NOMEM;
		}
		libusb_fill_bulk_transfer(x->t, f->h, ep, buf, size, cb, x,
		                          (unsigned)timeout);
		x->t->flags = LIBUSB_TRANSFER_FREE_BUFFER;
	}
	return 0;
}

static int configure(hone_ftdi *f, hone_error *err)
{
	uint16_t bv, bi;
	uint32_t real = hone_ftdi_baud_encode(f->o.baud, HONE_FTDI_PORT_B, &bv, &bi);
	if (!real)
		return hone_fail(err, HONE_ERR_INVALID, "%s: the FT2232H cannot run "
		                 "%u baud within 3 %%", f->name, f->o.baud);
	f->st.baud = real;
	const uint16_t port = HONE_FTDI_PORT_B;
	if (ctrl(f, HONE_FTDI_SIO_RESET, HONE_FTDI_RESET_SIO, port, "SIO_RESET", err) ||
	    ctrl(f, HONE_FTDI_SIO_SET_BITMODE, 0x0000, port, "SET_BITMODE (UART)", err) ||
	    ctrl(f, HONE_FTDI_SIO_SET_BAUDRATE, bv, bi, "SET_BAUDRATE", err) ||
	    ctrl(f, HONE_FTDI_SIO_SET_DATA, HONE_FTDI_DATA_8N1, port, "SET_DATA 8N1", err) ||
	    ctrl(f, HONE_FTDI_SIO_SET_FLOW_CTRL, 0, port, "SET_FLOW_CTRL (none)", err) ||
	    ctrl(f, HONE_FTDI_SIO_SET_LATENCY_TIMER, f->o.latency_ms, port,
	         "SET_LATENCY_TIMER", err))
		return report(f, err);
	/* Read the latency timer back: proves the chip answers IN requests. */
	unsigned char lat = 0;
	int r = libusb_control_transfer(f->h, REQ_IN, HONE_FTDI_SIO_GET_LATENCY_TIMER,
	                                0, port, &lat, 1, CTRL_TIMEOUT_MS);
	if (r < 0) {
		if (r == LIBUSB_ERROR_NO_DEVICE)
			vanished(f);
		else
			set_error(f, map_libusb(r), "%s: GET_LATENCY_TIMER failed: %s",
			          f->name, libusb_strerror(r));
		return report(f, err);
	}
	if (r != 1 || lat != f->o.latency_ms)
		return hone_fail(err, HONE_ERR_DEVICE, "%s: latency timer reads "
		                 "back %u ms, not %u", f->name, lat, f->o.latency_ms);
	if (ctrl(f, HONE_FTDI_SIO_RESET, HONE_FTDI_PURGE_HOST_TO_UART, port,
	         "purge (host to UART)", err) ||
	    ctrl(f, HONE_FTDI_SIO_RESET, HONE_FTDI_PURGE_UART_TO_HOST, port,
	         "purge (UART to host)", err))
		return report(f, err);
	return 0;
}

static int baud_ms(uint32_t baud, long bytes)
{
	return (int)((double)bytes * 10.0 * 1000.0 / (baud ? baud : 1) + 1);
}

int hone_ftdi_open(const hone_ftdi_opts *opts, hone_ftdi **out, hone_error *err)
{
	*out = NULL;
	hone_ftdi_opts o;
	hone_ftdi_opts_default(&o);
	if (opts) {
		o.select = opts->select;
		if (opts->baud) o.baud = opts->baud;
		if (opts->latency_ms) o.latency_ms = opts->latency_ms;
		if (opts->n_in > 0) o.n_in = opts->n_in;
		if (opts->n_out > 0) o.n_out = opts->n_out;
		if (opts->in_size > 0) o.in_size = opts->in_size;
		if (opts->out_size > 0) o.out_size = opts->out_size;
		if (opts->timeout_ms > 0) o.timeout_ms = opts->timeout_ms;
	}
	if (o.n_in > 64 || o.n_out > 64 || o.in_size > (1 << 20) ||
	    o.out_size > (1 << 20))
		return hone_fail(err, HONE_ERR_INVALID, "usb: transfer counts or "
		                 "sizes out of range");
	hone_ftdi *f = calloc(1, sizeof *f);
	if (!f)
		return hone_fail(err, HONE_ERR_NOMEM, "usb: out of memory");
	f->o = o;
	f->o.select = NULL; /* not owned */
	snprintf(f->name, sizeof f->name, "usb:");
	int r = libusb_init(&f->ctx);
	if (r < 0) {
		free(f);
		return hone_fail(err, HONE_ERR_IO, "usb: libusb_init failed: %s",
		                 libusb_strerror(r));
	}
	libusb_device *dev = NULL;
	hone_ftdi_board b;
	int rc = find_board(f->ctx, o.select, &dev, &b, err);
	if (rc)
		goto fail;
	f->bus = b.bus;
	f->addr = b.addr;
	snprintf(f->name, sizeof f->name, "usb:%u.%u (FT2232H serial %s)", b.bus,
	         b.addr, b.serial[0] ? b.serial : "-");
	if (b.bcd_device != HONE_FTDI_BCD_2232H) {
		rc = hone_fail(err, HONE_ERR_UNSUPPORTED, "%s: bcdDevice 0x%04x is "
		               "not an FT2232H (0x0700; 0x0500 is the older "
		               "FT2232C/D)", f->name, b.bcd_device);
		goto fail;
	}
	rc = find_endpoints(f, dev, err);
	if (rc)
		goto fail;
	r = libusb_open(dev, &f->h);
	if (r < 0) {
		rc = r == LIBUSB_ERROR_ACCESS ? access_error(err, b.bus, b.addr)
		     : r == LIBUSB_ERROR_NO_DEVICE
		     ? hone_fail(err, HONE_ERR_NO_DEVICE, "%s: the FT2232H vanished "
		                 "while being opened", f->name)
		     : hone_fail(err, map_libusb(r), "%s: cannot open: %s", f->name,
		                 libusb_strerror(r));
		goto fail;
	}
	r = libusb_kernel_driver_active(f->h, HONE_FTDI_IFACE_B);
	if (r == 1) {
		r = libusb_detach_kernel_driver(f->h, HONE_FTDI_IFACE_B);
		if (r < 0 && r != LIBUSB_ERROR_NOT_FOUND) {
			rc = r == LIBUSB_ERROR_ACCESS ? access_error(err, b.bus, b.addr)
			     : hone_fail(err, map_libusb(r), "%s: cannot detach the "
			                 "kernel's serial driver (ftdi_sio) from channel "
			                 "B: %s", f->name, libusb_strerror(r));
			goto fail;
		}
		f->detached = r == 0;
	} else if (r < 0 && r != LIBUSB_ERROR_NOT_SUPPORTED) {
		rc = hone_fail(err, map_libusb(r), "%s: cannot ask which driver owns "
		               "channel B: %s", f->name, libusb_strerror(r));
		goto fail;
	}
	r = libusb_claim_interface(f->h, HONE_FTDI_IFACE_B);
	if (r < 0) {
		rc = r == LIBUSB_ERROR_BUSY
		     ? hone_fail(err, HONE_ERR_IO, "%s: channel B (interface 1) is in "
		                 "use by another program (another hone, or a serial "
		                 "terminal on its ttyUSB)", f->name)
		     : r == LIBUSB_ERROR_ACCESS ? access_error(err, b.bus, b.addr)
		     : hone_fail(err, map_libusb(r), "%s: cannot claim interface 1: "
		                 "%s", f->name, libusb_strerror(r));
		goto fail;
	}
	f->claimed = true;
	rc = configure(f, err);
	if (rc)
		goto fail;
	/* Watchdogs. An IN transfer ends at its first short packet, and the
	 * chip sends one when its latency timer expires with less than a
	 * packet: if the UART cannot bring a packet's payload within a
	 * latency period (3 Mbaud: 300 bytes a millisecond, 510 to a packet
	 * on high speed), every packet is short and a live chip completes a
	 * transfer every latency_ms. On a faster line (12 Mbaud, or 64-byte
	 * packets on full speed) packets can be full, and a transfer, with
	 * the queue ahead of it, may take its time on the wire. An OUT
	 * transfer always may: the UART drains it. */
	long per_latency = (long)f->st.baud / 10 * o.latency_ms / 1000;
	f->in_timeout_ms = o.timeout_ms +
		(per_latency < f->st.max_packet - 2
		 ? 4 * o.latency_ms
		 : baud_ms(f->st.baud, (long)o.n_in * o.in_size));
	f->out_timeout_ms = o.timeout_ms + baud_ms(f->st.baud, (long)o.n_out * o.out_size);
	size_t in_cap = (size_t)o.n_in * (size_t)o.in_size * 4;
	if (in_cap < 256 * 1024)
		in_cap = 256 * 1024;
	size_t out_cap = (size_t)o.n_out * (size_t)o.out_size * 4;
	if (out_cap < 256 * 1024)
		out_cap = 256 * 1024;
	f->in.buf = malloc(in_cap);
	f->out.buf = malloc(out_cap);
	f->in.cap = in_cap;
	f->out.cap = out_cap;
	if (!f->in.buf || !f->out.buf ||
	    alloc_xfers(f, &f->xin, o.n_in, o.in_size, f->ep_in, in_cb, f->in_timeout_ms) ||
	    alloc_xfers(f, &f->xout, o.n_out, o.out_size, f->ep_out, out_cb, f->out_timeout_ms)) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", f->name);
		goto fail;
	}
	for (int i = 0; i < o.n_in && !f->err_code; i++)
		submit_in(f, &f->xin[i]);
	if (f->err_code) {
		rc = report(f, err);
		goto fail;
	}
	libusb_unref_device(dev);
	*out = f;
	return 0;
fail:
	if (dev)
		libusb_unref_device(dev);
	hone_ftdi_close(f);
	return rc;
}

static void free_xfers(struct xfer *xs, int n)
{
	if (!xs)
		return;
	for (int i = 0; i < n; i++)
		if (xs[i].t)
			libusb_free_transfer(xs[i].t);
	free(xs);
}

void hone_ftdi_close(hone_ftdi *f)
{
	if (!f)
		return;
	f->closing = true;
	if (f->h) {
		for (int i = 0; f->xin && i < f->o.n_in; i++)
			if (f->xin[i].busy)
				libusb_cancel_transfer(f->xin[i].t);
		for (int i = 0; f->xout && i < f->o.n_out; i++)
			if (f->xout[i].busy)
				libusb_cancel_transfer(f->xout[i].t);
		double deadline = now_ms() + CLOSE_DRAIN_MS;
		while (busy_count(f) > 0 && ms_left(deadline) > 0)
			pump_once(f, 50);
		if (f->claimed)
			libusb_release_interface(f->h, HONE_FTDI_IFACE_B);
		/* Give channel B back to ftdi_sio, as we found it. */
		if (f->detached)
			libusb_attach_kernel_driver(f->h, HONE_FTDI_IFACE_B);
		libusb_close(f->h);
	}
	free_xfers(f->xin, f->o.n_in);
	free_xfers(f->xout, f->o.n_out);
	free(f->in.buf);
	free(f->out.buf);
	if (f->ctx)
		libusb_exit(f->ctx);
	free(f);
}
