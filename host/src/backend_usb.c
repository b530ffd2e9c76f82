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
 * sessions). Writes and input events are first checked by a shadow
 * reference chip, as on "sim:", so a bad image or event gets the same
 * message as on "ref:". Responses are filed in order: SPIKE and TRACE
 * words into the tick that TICK_DONE closes; READ_DATA, COUNTER and CAPS
 * answer the request waiting for them. Nothing waits without a bound: the
 * transport reports a vanished, stalled or silent board within a second,
 * the link a chip that stopped acknowledging.
 */
#include "hone_internal.h"
#include "link.h"
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

typedef struct usb_result {
	uint64_t tick;
	size_t n_spikes, cap_spikes;
	uint32_t *spikes;
	size_t n_trace;
	int32_t *u;
	uint8_t *s;
} usb_result;

typedef struct usb_dev {
	hone_ftdi *f;
	hone_link *l;
	char name[140];
	uint32_t baud;
	hone_caps caps;
	hone_refchip *shadow;      /* validates writes and events */
	bool trace;
	uint32_t *input_seen;      /* [65536] epoch of the last send */
	uint8_t *frame;            /* [65536] g of the events being sent, else 0 */
	uint32_t *frame_in;        /* [65536] their inputs */
	uint32_t epoch;
	bool caps_seen;            /* after a link reset: drop answers until CAPS */
	uint64_t tick_base;        /* the chip's tick number at open */
	uint64_t ticks_sent, ticks_taken;
	uint8_t *tick_traced;
	size_t tick_traced_cap;
	usb_result cur;
	usb_result *done;
	size_t done_cap, done_head, done_len;
	usb_result taken;
	uint64_t *words;           /* READ_DATA, COUNTER, CAPS answers */
	size_t n_words, cap_words;
	unsigned word_kind;
	uint8_t tx[4096];
	uint8_t rx[16384];
} usb_dev;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void result_free(usb_result *r)
{
	free(r->spikes);
	free(r->u);
	free(r->s);
	memset(r, 0, sizeof *r);
}

static bool traced(const usb_dev *ud, uint64_t k)
{
	return ud->tick_traced[k % ud->tick_traced_cap] != 0;
}

static int trace_arrays(hone_device *dev, usb_result *r)
{
	if (r->u)
		return 0;
	size_t slots = (size_t)dev->cfg.cores * dev->cfg.neurons;
	r->n_trace = slots;
	r->u = calloc(slots, sizeof *r->u);
	r->s = calloc(slots, 1);
	return r->u && r->s ? 0 : HONE_ERR_NOMEM;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int push_word(usb_dev *ud, unsigned kind, uint64_t data, hone_error *err)
{
	if (ud->n_words && ud->word_kind != kind)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: an answer of kind %u came "
		                 "while %zu of kind %u were waiting", ud->name, kind,
		                 ud->n_words, ud->word_kind);
	if (ud->n_words == ud->cap_words) {
		size_t cap = ud->cap_words ? 2 * ud->cap_words : 16;
		uint64_t *w = realloc(ud->words, cap * sizeof *w);
		if (!w)
			return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
		ud->words = w;
		ud->cap_words = cap;
	}
	ud->word_kind = kind;
	ud->words[ud->n_words++] = data;
	return 0;
}

static int close_tick(hone_device *dev, uint64_t data, hone_error *err)
{
	usb_dev *ud = dev->priv;
	uint64_t k = ud->ticks_taken + ud->done_len; /* host's count */
	uint64_t tick = ud->tick_base + k;
	if (k >= ud->ticks_sent)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: TICK_DONE without a TICK", ud->name);
	if ((uint32_t)data != (uint32_t)tick)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: TICK_DONE for tick %" PRIu32
		                 ", expected %" PRIu64, ud->name, (uint32_t)data, tick);
	if (traced(ud, k) && trace_arrays(dev, &ud->cur))
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory for a trace");
	if (ud->cur.n_spikes > 1)
		qsort(ud->cur.spikes, ud->cur.n_spikes, sizeof *ud->cur.spikes, cmp_u32);
	if (ud->done_len == ud->done_cap) {
		size_t cap = ud->done_cap ? 2 * ud->done_cap : 16;
		usb_result *q = malloc(cap * sizeof *q);
		if (!q)
			return hone_fail(err, HONE_ERR_NOMEM, "out of memory keeping tick results");
		for (size_t i = 0; i < ud->done_len; i++)
			q[i] = ud->done[(ud->done_head + i) % ud->done_cap];
		free(ud->done);
		ud->done = q;
		ud->done_cap = cap;
		ud->done_head = 0;
	}
	ud->done[(ud->done_head + ud->done_len++) % ud->done_cap] = ud->cur;
	memset(&ud->cur, 0, sizeof ud->cur);
	ud->cur.tick = tick + 1;
	return 0;
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
		uint64_t k = ud->ticks_taken + ud->done_len;
		int rc = 0;
		switch (r.kind) {
		case HONE_RSP_SPIKE:
			if (ud->cur.n_spikes == ud->cur.cap_spikes) {
				size_t cap = ud->cur.cap_spikes ? 2 * ud->cur.cap_spikes : 64;
				uint32_t *p = realloc(ud->cur.spikes, cap * sizeof *p);
				if (!p)
					return hone_fail(err, HONE_ERR_NOMEM, "out of memory collecting spikes");
				ud->cur.spikes = p;
				ud->cur.cap_spikes = cap;
			}
			ud->cur.spikes[ud->cur.n_spikes++] = (uint32_t)hone_field(r.data, 0, 16);
			break;
		case HONE_RSP_TRACE: {
			uint32_t slot = (uint32_t)hone_field(r.data, 0, 13);
			uint32_t core = (uint32_t)hone_field(r.data, 16, 4);
			if (k >= ud->ticks_sent || !traced(ud, k) || trace_arrays(dev, &ud->cur) ||
			    core >= dev->cfg.cores || slot >= dev->cfg.neurons)
				return hone_fail(err, HONE_ERR_PROTOCOL, "%s: unexpected TRACE word "
				                 "0x%016" PRIx64, ud->name, r.data);
			size_t i = (size_t)core * dev->cfg.neurons + slot;
			ud->cur.u[i] = (int32_t)hone_sext(hone_field(r.data, 24, 24), 24);
			ud->cur.s[i] = (uint8_t)hone_field(r.data, 48, 1);
			break;
		}
		case HONE_RSP_TICK_DONE:
			rc = close_tick(dev, r.data, err);
			break;
		case HONE_RSP_READ_DATA:
		case HONE_RSP_COUNTER:
		case HONE_RSP_CAPS:
			rc = push_word(ud, r.kind, r.data, err);
			break;
		default:
			return hone_fail(err, HONE_ERR_PROTOCOL, "%s: response of unknown kind %u",
			                 ud->name, r.kind);
		}
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

static bool has_words(const usb_dev *ud, size_t n) { return ud->n_words >= n; }
static bool has_result(const usb_dev *ud, size_t n) { return ud->done_len >= n; }
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
	if (ud->word_kind != kind)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: %s answered with kind %u",
		                 ud->name, what, ud->word_kind);
	memcpy(out, ud->words, n * sizeof *out);
	memmove(ud->words, ud->words + n, (ud->n_words - n) * sizeof *ud->words);
	ud->n_words -= n;
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
	c.cores = (uint32_t)hone_field(w0, 0, 8);
	c.lanes = (uint32_t)hone_field(w0, 8, 8);
	c.weight_bits = (uint32_t)hone_field(w0, 16, 4);
	c.potential_bits = (uint32_t)hone_field(w0, 20, 5);
	c.input_bits = (uint32_t)hone_field(w0, 25, 4);
	c.neurons = (uint32_t)hone_field(w1, 0, 16);
	c.axons = (uint32_t)hone_field(w1, 16, 16);
	c.weight_words = (uint32_t)hone_field(w1, 32, 24);
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
	memset(&ud->caps, 0, sizeof ud->caps);
	strcpy(ud->caps.backend, "usb");
	ud->caps.cfg = c;
	ud->caps.protocol_version = (uint32_t)hone_field(w1, 56, 8);
	snprintf(ud->caps.build_id, sizeof ud->caps.build_id, "%08" PRIx32, (uint32_t)(w0 >> 32));
}

static int usb_open(hone_device *dev, const char *arg, hone_error *err)
{
	usb_dev *ud = calloc(1, sizeof *ud);
	if (!ud)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening usb:");
	dev->priv = ud;
	ud->epoch = 1;
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
	ud->input_seen = calloc(65536, sizeof *ud->input_seen);
	ud->frame = calloc(65536, 1);
	ud->frame_in = malloc(65536 * sizeof *ud->frame_in);
	ud->tick_traced_cap = 1024;
	ud->tick_traced = calloc(ud->tick_traced_cap, 1);
	if (!ud->l || !ud->input_seen || !ud->frame || !ud->frame_in || !ud->tick_traced)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening %s", ud->name);

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
	ud->tick_base = w[3];
	ud->cur.tick = ud->tick_base;
	ud->shadow = hone_refchip_new(&dev->cfg);
	if (!ud->shadow)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening %s", ud->name);
	return 0;
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
	for (size_t i = 0; i < ud->done_len; i++)
		result_free(&ud->done[(ud->done_head + i) % ud->done_cap]);
	free(ud->done);
	result_free(&ud->cur);
	result_free(&ud->taken);
	free(ud->words);
	free(ud->tick_traced);
	free(ud->input_seen);
	free(ud->frame);
	free(ud->frame_in);
	hone_refchip_free(ud->shadow);
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
			hone_error e = {0};
			rc = hone_refchip_write(ud->shadow, x, &e);
			if (rc) {
				hone_fail(err, rc, "write %zu of %zu (target 0x%02x, mem %u, addr %u): %s",
				          i + k, n, x->target, x->mem, (unsigned)x->addr, e.msg);
				break;
			}
			if (x->mem == HONE_MEM_CMD && x->target == HONE_TARGET_CHIP)
				ud->epoch++; /* as refmodel.c: a reset forgets this tick's inputs */
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
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ignored;
		int rc = hone_refchip_read(ud->shadow, target, mem, addr + i, &ignored, err);
		if (rc)
			return rc;
	}
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
	ud->trace = on != 0;
	return 0;
}

/* ---------------------------------------------------------------- ticks */

/* The checks hone_refchip_input makes, on the shadow's registers; 1 means
 * "valid, but sends nothing" (g = 0). */
static int check_input(hone_device *dev, uint32_t input, uint8_t g, hone_error *err)
{
	usb_dev *ud = dev->priv;
	const hone_config *cfg = &dev->cfg;
	uint64_t n_inputs, mask, base;
	int rc = hone_refchip_read(ud->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
	                           HONE_CHIPREG_N_INPUTS, &n_inputs, err);
	if (!rc)
		rc = hone_refchip_read(ud->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_CORE_MASK, &mask, err);
	if (!rc)
		rc = hone_refchip_read(ud->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_AXON_BASE, &base, err);
	if (rc)
		return rc;
	if (input > 0xFFFF || input >= n_inputs)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": the chip has %" PRIu64
		                 " inputs", input, n_inputs);
	if ((uint32_t)g >> cfg->input_bits)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": g = %u does not fit %"
		                 PRIu32 " input bits", input, g, cfg->input_bits);
	if (g == 0)
		return 1;
	if (ud->input_seen[input] == ud->epoch)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " sent twice in one tick", input);
	uint32_t axon = (uint32_t)base + input;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		if (!(mask >> k & 1))
			continue;
		bool mapped = false;
		for (uint32_t s = 0; s < cfg->axon_segments && !mapped && axon < cfg->axons; s++) {
			uint64_t word;
			if (hone_refchip_read(ud->shadow, (uint8_t)k, HONE_MEM_AXSEG, s, &word, NULL))
				continue;
			hone_axseg a = hone_axseg_unpack(word);
			mapped = a.count && axon >= a.first && axon - a.first < a.count;
		}
		if (!mapped)
			return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " goes to axon %" PRIu32
			                 " of core %" PRIu32 ", which no axon segment maps", input, axon, k);
	}
	ud->input_seen[input] = ud->epoch;
	return 0;
}

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
		rc = check_input(dev, ev[i].input, ev[i].g, err);
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
	if (ud->ticks_sent - ud->ticks_taken >= ud->tick_traced_cap) {
		size_t cap = 2 * ud->tick_traced_cap;
		uint8_t *t = calloc(cap, 1);
		if (!t)
			return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
		for (uint64_t k = ud->ticks_taken; k < ud->ticks_sent; k++)
			t[k % cap] = ud->tick_traced[k % ud->tick_traced_cap];
		free(ud->tick_traced);
		ud->tick_traced = t;
		ud->tick_traced_cap = cap;
	}
	int rc = hone_link_put_tick(ud->l, 1);
	if (rc)
		return put_failed(ud, rc, "TICK", err);
	ud->tick_traced[ud->ticks_sent % ud->tick_traced_cap] = ud->trace;
	ud->ticks_sent++;
	ud->epoch++;
	hone_link_flush(ud->l);
	int rc2 = send_pending(ud, err);
	return rc2 ? rc2 : keep_moving(dev, err);
}

static int usb_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	usb_dev *ud = dev->priv;
	if (ud->ticks_taken == ud->ticks_sent)
		return hone_fail(err, HONE_ERR_INVALID, "no ended tick is waiting for its result");
	if (!ud->done_len) {
		hone_link_flush(ud->l);
		int rc = wait_for(dev, has_result, 1, ANSWER_TIMEOUT_MS, "the end of a tick", err);
		if (rc)
			return rc;
	}
	result_free(&ud->taken);
	ud->taken = ud->done[ud->done_head];
	ud->done_head = (ud->done_head + 1) % ud->done_cap;
	ud->done_len--;
	ud->ticks_taken++;
	*res = (hone_tick_result){
		.tick = ud->taken.tick,
		.n_spikes = ud->taken.n_spikes,
		.spikes = ud->taken.spikes,
		.n_trace = ud->taken.n_trace,
		.trace_u = ud->taken.u,
		.trace_s = ud->taken.s,
	};
	return 0;
}

static size_t usb_pending(hone_device *dev)
{
	usb_dev *ud = dev->priv;
	return (size_t)(ud->ticks_sent - ud->ticks_taken);
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
