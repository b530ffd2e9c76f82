/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "usb" device: a hone chip on an FPGA board (iCEBreaker), reached
 * through the UART of its FT2232H (usb_ftdi.c) with the link protocol of
 * docs/link-protocol.md (link.c). docs/usb.md has the whole path.
 *
 *   usb:                 the only FT2232H attached
 *   usb:SERIAL           the board with that USB serial number
 *   usb:BUS.ADDR         the board at that bus and address (as lsusb)
 *   ...,baud=N           UART rate (default 3000000; the bitstream's rate)
 *   ...,latency=MS       FTDI latency timer (default 1)
 *
 * At open: link RESET (the FPGA must answer within a second, else the
 * bitstream is not loaded), CAPS (the board's configuration becomes the
 * device's), COUNTERS (the chip's tick number, which runs on across host
 * sessions). What commands and responses mean on the host's side (the
 * shadow reference chip that checks writes and events, so a bad image or
 * event gets the message "ref:" gives; the ticks in flight; responses
 * filed into tick results and answers) is chip_session.c, shared with
 * "sim:"; this file moves them over the link. Nothing waits without a bound: the
 * transport reports a vanished, stalled or silent board within a second,
 * the link a chip that stopped acknowledging.
 */
#include "chip_session.h"
#include "usb_ftdi.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPEN_TIMEOUT_MS 750    /* link RESET: a loaded bitstream answers in ms */
#define ANSWER_TIMEOUT_MS 5000 /* a chip that acknowledges but never answers */
#define BACKLOG_BYTES 65536    /* command bytes queued before producers poll */
/* Retransmission timeouts in a row, without any frame acknowledged, before
 * the link is dead: 25 x (20 ms + the window's wire time) is about half a
 * second at 3 Mbaud, so an FPGA that stops behind a live FT2232H is
 * reported within a second too. A live chip acknowledges every DATA frame
 * on arrival, busy or not (credits keep frames from waiting for room). */
#define LINK_MAX_TIMEOUTS 25

typedef struct usb_dev {
	hone_ftdi *f;
	hone_link *l;
	char name[140];
	uint32_t baud;
	hone_caps caps;
	uint8_t *frame;            /* [65536] g of the events being sent, else 0 */
	uint32_t *frame_in;        /* [65536] their inputs */
	bool caps_seen;            /* after a link reset: drop answers until CAPS */
	hone_chip_session cs;      /* shadow, ticks in flight, responses filed */
	uint8_t tx[4096];
	uint8_t rx[16384];
} usb_dev;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* File every decoded response. */
static int drain(hone_device *dev, hone_error *err)
{
	usb_dev *ud = dev->priv;
	hone_link_rsp r;
	while (hone_link_get_rsp(ud->l, &r)) {
		if (!ud->caps_seen && r.kind != HONE_RSP_CAPS)
			continue; /* answers to a previous session's commands */
		ud->caps_seen = true;
		int rc = hone_chip_session_file(&ud->cs, r.kind, r.data, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int link_failed(usb_dev *ud, hone_error *err)
{
	int e = hone_link_error(ud->l);
	const hone_link_stats *s = hone_link_get_stats(ud->l);
	if (e == HONE_ERR_TIMEOUT)
		return hone_fail(err, e, "%s: the chip stopped acknowledging (%" PRIu64
		                 " retransmission timeouts): is the hone bitstream still "
		                 "running, at %u baud?", ud->name, s->timeouts, ud->baud);
	if (e == HONE_ERR_VERSION)
		return hone_fail(err, e, "%s: the bitstream speaks link protocol 1 (CRC-16 "
		                 "framing), this hone %d: build and load the bitstream of "
		                 "this hone's rtl/", ud->name, HONE_LINK_VERSION);
	if (e == HONE_ERR_PROTOCOL)
		return hone_fail(err, e, "%s: the chip reported an unknown command or sent a "
		                 "malformed response: host and bitstream of different "
		                 "versions?", ud->name);
	return hone_fail(err, e, "%s: link error: %s", ud->name, hone_strerror(e));
}

static int send_pending(usb_dev *ud, hone_error *err)
{
	for (;;) {
		size_t n = hone_link_pull_tx(ud->l, now_us(), ud->tx, sizeof ud->tx);
		if (!n)
			return 0;
		int rc = hone_ftdi_write(ud->f, ud->tx, n, err);
		if (rc)
			return rc;
	}
}

/* Move bytes both ways once, waiting up to wait_ms for input (less when a
 * link timer falls due sooner). */
static int service(hone_device *dev, int wait_ms, hone_error *err)
{
	usb_dev *ud = dev->priv;
	int rc = send_pending(ud, err);
	if (rc)
		return rc;
	uint64_t due = hone_link_deadline(ud->l), now = now_us();
	if (due != UINT64_MAX) {
		uint64_t until = due > now ? (due - now + 999) / 1000 : 0;
		if (until < (uint64_t)wait_ms)
			wait_ms = (int)until;
	}
	size_t got;
	rc = hone_ftdi_read(ud->f, ud->rx, sizeof ud->rx, wait_ms, &got, err);
	if (rc)
		return rc;
	if (got)
		hone_link_push_rx(ud->l, now_us(), ud->rx, got);
	if ((rc = send_pending(ud, err)))
		return rc;
	if (hone_link_error(ud->l))
		return link_failed(ud, err);
	return drain(dev, err);
}

/* Producers only queue (each USB poll costs a system call or two); the
 * waits do the polling. A long backlog is moved on here, so that a caller
 * that queues much and waits little does not grow the queue unbounded. */
static int keep_moving(hone_device *dev, hone_error *err)
{
	usb_dev *ud = dev->priv;
	if (hone_link_unacked(ud->l) < BACKLOG_BYTES)
		return 0;
	return service(dev, 0, err);
}

typedef bool (*cond_fn)(const usb_dev *ud, size_t arg);

static bool has_words(const usb_dev *ud, size_t n) { return ud->cs.n_words >= n; }
static bool has_result(const usb_dev *ud, size_t n) { return ud->cs.done_len >= n; }
static bool all_acked(const usb_dev *ud, size_t n) { (void)n; return hone_link_unacked(ud->l) == 0; }
static bool link_up(const usb_dev *ud, size_t n) { (void)n; return hone_link_up(ud->l); }

static int wait_for(hone_device *dev, cond_fn cond, size_t arg, int timeout_ms,
                    const char *what, hone_error *err)
{
	usb_dev *ud = dev->priv;
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000u;
	for (;;) {
		int rc = service(dev, 0, err);
		if (rc)
			return rc;
		if (cond(ud, arg))
			return 0;
		uint64_t now = now_us();
		if (now >= deadline)
			return hone_fail(err, HONE_ERR_TIMEOUT, "%s: %s did not come within %d ms",
			                 ud->name, what, timeout_ms);
		uint64_t left = (deadline - now + 999) / 1000;
		rc = service(dev, left < 10 ? (int)left : 10, err);
		if (rc)
			return rc;
		if (cond(ud, arg))
			return 0;
	}
}

/* Wait for n answer words of one kind and take them. */
static int take_words(hone_device *dev, unsigned kind, size_t n, uint64_t *out,
                      const char *what, hone_error *err)
{
	usb_dev *ud = dev->priv;
	hone_link_flush(ud->l);
	int rc = wait_for(dev, has_words, n, ANSWER_TIMEOUT_MS, what, err);
	if (rc)
		return rc;
	if (ud->cs.word_kind != kind)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: %s answered with kind %u",
		                 ud->name, what, ud->cs.word_kind);
	hone_chip_session_take_words(&ud->cs, out, n);
	return 0;
}

static int put_failed(usb_dev *ud, int rc, const char *what, hone_error *err)
{
	return hone_fail(err, rc, "%s: cannot queue %s: %s", ud->name, what, hone_strerror(rc));
}

/* ----------------------------------------------------------------- open */

static int parse_arg(const char *arg, char *sel, size_t cap, uint32_t *baud,
                     uint8_t *latency, hone_error *err)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	if (len >= cap)
		return hone_fail(err, HONE_ERR_INVALID, "usb:%s: selector too long", arg);
	memcpy(sel, arg, len);
	sel[len] = 0;
	const char *env = getenv("HONE_USB_BAUD");
	if (env && *env)
		*baud = (uint32_t)strtoul(env, NULL, 10);
	while (comma) {
		const char *opt = comma + 1;
		comma = strchr(opt, ',');
		char *end;
		if (!strncmp(opt, "baud=", 5)) {
			unsigned long v = strtoul(opt + 5, &end, 10);
			if (end == opt + 5 || (*end && *end != ',') || v == 0 || v > 12000000)
				return hone_fail(err, HONE_ERR_INVALID, "usb:%s: bad baud rate", arg);
			*baud = (uint32_t)v;
		} else if (!strncmp(opt, "latency=", 8)) {
			unsigned long v = strtoul(opt + 8, &end, 10);
			if (end == opt + 8 || (*end && *end != ',') || v == 0 || v > 255)
				return hone_fail(err, HONE_ERR_INVALID, "usb:%s: latency is 1..255 ms", arg);
			*latency = (uint8_t)v;
		} else {
			return hone_fail(err, HONE_ERR_INVALID, "usb:%s: unknown option (baud=N, "
			                 "latency=MS)", arg);
		}
	}
	return 0;
}

/* The board's configuration: a built-in one with the CAPS numbers. */
static void config_from_caps(hone_device *dev, uint64_t w0, uint64_t w1)
{
	usb_dev *ud = dev->priv;
	hone_config c;
	memset(&c, 0, sizeof c);
	memset(&ud->caps, 0, sizeof ud->caps);
	hone_chip_caps_decode(w0, w1, &c, &ud->caps.protocol_version, ud->caps.build_id);
	c.axon_segments = 8;
	c.route_segments = 8;
	c.link_baud = ud->baud;
	snprintf(c.name, sizeof c.name, "usb");
	for (size_t i = 0; hone_config_at(i); i++) {
		const hone_config *k = hone_config_at(i);
		if (k->cores == c.cores && k->lanes == c.lanes && k->weight_bits == c.weight_bits &&
		    k->potential_bits == c.potential_bits && k->input_bits == c.input_bits &&
		    k->neurons == c.neurons && k->axons == c.axons &&
		    k->weight_words == c.weight_words) {
			c = *k;
			break;
		}
	}
	c.memory = NULL;
	c.description = NULL;
	dev->cfg = c;
	strcpy(ud->caps.backend, "usb");
	ud->caps.cfg = c;
}

static int usb_open(hone_device *dev, const char *arg, hone_error *err)
{
	usb_dev *ud = calloc(1, sizeof *ud);
	if (!ud)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening usb:");
	dev->priv = ud;
	ud->baud = 3000000;
	uint8_t latency = 1;
	char sel[96];
	int rc = parse_arg(arg ? arg : "", sel, sizeof sel, &ud->baud, &latency, err);
	if (rc)
		return rc;
	hone_ftdi_opts fo;
	hone_ftdi_opts_default(&fo);
	fo.select = sel;
	fo.baud = ud->baud;
	fo.latency_ms = latency;
	if ((rc = hone_ftdi_open(&fo, &ud->f, err)))
		return rc;
	snprintf(ud->name, sizeof ud->name, "%s", hone_ftdi_name(ud->f));
	hone_link_params lp = {.baud = ud->baud, .max_timeouts = LINK_MAX_TIMEOUTS};
	ud->l = hone_link_new(&lp);
	ud->frame = calloc(65536, 1);
	ud->frame_in = malloc(65536 * sizeof *ud->frame_in);
	if (!ud->l || !ud->frame || !ud->frame_in)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening %s", ud->name);
	if ((rc = hone_chip_session_init(&ud->cs, ud->name, err)))
		return rc;

	hone_link_reset(ud->l, now_us());
	rc = wait_for(dev, link_up, 0, OPEN_TIMEOUT_MS, "the FPGA's answer to a link RESET", err);
	if (rc == HONE_ERR_TIMEOUT)
		return hone_fail(err, rc, "%s: the FPGA does not answer the link RESET "
		                 "within %d ms at %u baud: is the hone bitstream loaded "
		                 "(iceprog) and built for this baud rate?", ud->name,
		                 OPEN_TIMEOUT_MS, ud->baud);
	if (rc)
		return rc;
	uint64_t w[4];
	if ((rc = hone_link_put_caps(ud->l)))
		return put_failed(ud, rc, "CAPS", err);
	if ((rc = take_words(dev, HONE_RSP_CAPS, 2, w, "the CAPS answer", err)))
		return rc;
	config_from_caps(dev, w[0], w[1]);
	if (ud->caps.protocol_version != HONE_LINK_VERSION)
		return hone_fail(err, HONE_ERR_VERSION, "%s: the bitstream speaks link "
		                 "protocol %u, this hone %d", ud->name,
		                 ud->caps.protocol_version, HONE_LINK_VERSION);
	if ((rc = hone_config_check(&dev->cfg, err)))
		return rc;
	if ((rc = hone_link_put_counters(ud->l)))
		return put_failed(ud, rc, "COUNTERS", err);
	if ((rc = take_words(dev, HONE_RSP_COUNTER, 4, w, "the COUNTERS answer", err)))
		return rc;
	return hone_chip_session_configure(&ud->cs, &dev->cfg, w[3], err);
}

static void usb_close(hone_device *dev)
{
	usb_dev *ud = dev->priv;
	if (!ud)
		return;
	/* Let commands already queued reach the chip, briefly. */
	if (ud->f && ud->l && hone_link_up(ud->l) && !hone_link_error(ud->l)) {
		hone_link_flush(ud->l);
		wait_for(dev, all_acked, 0, 200, "", NULL);
	}
	hone_chip_session_free(&ud->cs);
	free(ud->frame);
	free(ud->frame_in);
	hone_link_free(ud->l);
	hone_ftdi_close(ud->f);
	free(ud);
	dev->priv = NULL;
}

static int usb_caps(hone_device *dev, hone_caps *caps, hone_error *err)
{
	usb_dev *ud = dev->priv;
	*caps = ud->caps;
	return 0;
}

/* --------------------------------------------------------------- writes */

static int usb_write(hone_device *dev, const hone_write *w, size_t n, hone_error *err)
{
	usb_dev *ud = dev->priv;
	uint64_t *run = malloc(256 * sizeof *run);
	if (!run)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
	int rc = 0;
	size_t i = 0, bytes = 0;
	while (i < n && !rc) {
		/* Runs of consecutive addresses go as one WRITE. */
		size_t k = 0;
		for (; i + k < n && k < 256; k++) {
			const hone_write *x = &w[i + k];
			if (k && (x->target != w[i].target || x->mem != w[i].mem ||
			          x->addr != w[i].addr + k))
				break;
			if (x->addr > 0xFFFF) {
				rc = hone_fail(err, HONE_ERR_INVALID, "write %zu: address %u "
				               "beyond the link's 16 bits", i + k, (unsigned)x->addr);
				break;
			}
			if ((rc = hone_chip_session_write(&ud->cs, x, i + k, n, err)))
				break;
			run[k] = x->data;
		}
		if (k) {
			int r = hone_link_put_write(ud->l, w[i].target, w[i].mem, (uint16_t)w[i].addr,
			                            run, k);
			if (r && !rc)
				rc = put_failed(ud, r, "a WRITE", err);
			bytes += 8 + 8 * k;
		}
		i += k;
		/* Keep the queue short: let the link take what it can. */
		if (!rc && bytes > 65536) {
			rc = service(dev, 0, err);
			bytes = 0;
		}
	}
	free(run);
	if (rc)
		return rc;
	/* Everything delivered (acknowledged) before returning. */
	hone_link_flush(ud->l);
	int ms = (int)((double)hone_link_unacked(ud->l) * 10e3 / ud->baud) + ANSWER_TIMEOUT_MS;
	return wait_for(dev, all_acked, 0, ms, "the acknowledgement of the writes", err);
}

static int usb_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                        uint32_t addr, uint32_t n, uint64_t *out, hone_error *err)
{
	usb_dev *ud = dev->priv;
	int rc0 = hone_chip_session_read(&ud->cs, target, mem, addr, n, err);
	if (rc0)
		return rc0;
	if (addr + (uint64_t)n > 0x10000)
		return hone_fail(err, HONE_ERR_INVALID, "%s: addresses beyond 16 bits", ud->name);
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < 4096 ? n - done : 4096;
		int rc = hone_link_put_read(ud->l, target, mem, (uint16_t)(addr + done), k);
		if (rc)
			return put_failed(ud, rc, "a READ", err);
		if ((rc = take_words(dev, HONE_RSP_READ_DATA, k, out + done, "the READ answer", err)))
			return rc;
		done += k;
	}
	return 0;
}

static int usb_set_trace(hone_device *dev, int on, hone_error *err)
{
	usb_dev *ud = dev->priv;
	int rc = hone_link_put_trace(ud->l, on != 0);
	if (rc)
		return put_failed(ud, rc, "TRACE", err);
	ud->cs.trace = on != 0;
	return 0;
}

/* ---------------------------------------------------------------- ticks */

/* The events of one call go as one input frame: hone_link_put_frame picks
 * the cheapest mix of DENSE runs (G bits per input, zero or not) and EV16
 * or EV24 runs (16 or 24 bits per event), about 2.4x fewer bytes than
 * events alone for a Fashion-MNIST image (docs/link-protocol.md,
 * section 5). As on ref:, the events before a bad one are taken. */
static int usb_push_events(hone_device *dev, const hone_event *ev, size_t n, hone_error *err)
{
	usb_dev *ud = dev->priv;
	unsigned ib = dev->cfg.input_bits, G = ib <= 1 ? 1 : ib <= 2 ? 2 : ib <= 4 ? 4 : 8;
	uint32_t top = 0;
	size_t m = 0;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = hone_chip_session_input(&ud->cs, ev[i].input, ev[i].g, err);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		ud->frame[ev[i].input] = ev[i].g; /* an input once per tick: checked */
		ud->frame_in[m++] = ev[i].input;
		if (ev[i].input >= top)
			top = ev[i].input + 1;
	}
	int r = 0;
	if (m * 8 >= top) {
		r = hone_link_put_frame(ud->l, ud->frame, top, G);
	} else {
		/* Sparse (DENSE needs G/16 of the inputs non-zero to win): events
		 * alone, without scanning the whole input range. */
		hone_event buf[256];
		for (size_t i = 0; i < m && !r; i += 256) {
			size_t k = m - i < 256 ? m - i : 256;
			for (size_t j = 0; j < k; j++)
				buf[j] = (hone_event){.input = ud->frame_in[i + j],
				                      .g = ud->frame[ud->frame_in[i + j]]};
			r = hone_link_put_events(ud->l, buf, k);
		}
	}
	for (size_t i = 0; i < m; i++)
		ud->frame[ud->frame_in[i]] = 0;
	if (rc)
		return rc;
	if (r)
		return put_failed(ud, r, "events", err);
	return keep_moving(dev, err);
}

static int usb_end_tick(hone_device *dev, hone_error *err)
{
	usb_dev *ud = dev->priv;
	int rc = hone_chip_session_tick_room(&ud->cs, err);
	if (rc)
		return rc;
	if ((rc = hone_link_put_tick(ud->l, 1)))
		return put_failed(ud, rc, "TICK", err);
	hone_chip_session_tick_sent(&ud->cs);
	hone_link_flush(ud->l);
	int rc2 = send_pending(ud, err);
	return rc2 ? rc2 : keep_moving(dev, err);
}

static int usb_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	usb_dev *ud = dev->priv;
	if (!hone_chip_session_pending(&ud->cs))
		return hone_fail(err, HONE_ERR_INVALID, "no ended tick is waiting for its result");
	if (!hone_chip_session_has_result(&ud->cs)) {
		hone_link_flush(ud->l);
		int rc = wait_for(dev, has_result, 1, ANSWER_TIMEOUT_MS, "the end of a tick", err);
		if (rc)
			return rc;
	}
	hone_chip_session_take(&ud->cs, res);
	return 0;
}

static size_t usb_pending(hone_device *dev)
{
	usb_dev *ud = dev->priv;
	return hone_chip_session_pending(&ud->cs);
}

static int usb_counters(hone_device *dev, hone_counters *c, hone_error *err)
{
	usb_dev *ud = dev->priv;
	memset(c, 0, sizeof *c);
	int rc = hone_link_put_counters(ud->l);
	if (rc)
		return put_failed(ud, rc, "COUNTERS", err);
	uint64_t w[4];
	if ((rc = take_words(dev, HONE_RSP_COUNTER, 4, w, "the COUNTERS answer", err)))
		return rc;
	c->cycles = w[0];
	c->events = w[1];
	c->sops = w[2];
	c->ticks = w[3];
	const hone_link_stats *s = hone_link_get_stats(ud->l);
	c->link_bytes_out = s->wire_out;
	c->link_bytes_in = s->wire_in;
	c->link_payload_bytes = s->payload_out + s->payload_in;
	return 0;
}

int hone_usb_get_stats(hone_device *dev, hone_link_stats *link, hone_ftdi_stats *ftdi)
{
	if (!dev || dev->be != &hone_backend_usb || !dev->priv)
		return HONE_ERR_INVALID;
	usb_dev *ud = dev->priv;
	if (!ud->l || !ud->f)
		return HONE_ERR_INVALID;
	if (link)
		*link = *hone_link_get_stats(ud->l);
	if (ftdi)
		hone_ftdi_get_stats(ud->f, ftdi);
	return 0;
}

const struct hone_backend hone_backend_usb = {
	.name = "usb",
	.open = usb_open,
	.close = usb_close,
	.caps = usb_caps,
	.write = usb_write,
	.read_mem = usb_read_mem,
	.set_trace = usb_set_trace,
	.push_events = usb_push_events,
	.end_tick = usb_end_tick,
	.next_result = usb_next_result,
	.pending = usb_pending,
	.counters = usb_counters,
};

int hone_list_usb(char *buf, size_t cap, hone_error *err)
{
	if (!buf || cap == 0)
		return hone_fail(err, HONE_ERR_INVALID, "hone_list_usb: no buffer");
	return hone_ftdi_describe(buf, cap, err);
}
