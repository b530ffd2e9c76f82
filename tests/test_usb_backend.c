/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "usb" device end to end without a board: libhone's usb backend
 * (host/src/backend_usb.c) -> link codec (link.c) -> FTDI transport
 * (usb_ftdi.c) -> real libusb -> the emulated FT2232H (tests/ftdi_emu.c)
 * -> on its UART pins, a C chip: the link's chip-side model (hone_linkdev)
 * with the reference model (refmodel.c) as the chip core. Results must be
 * those of "ref:" spike for spike; faults must end in a clear error within
 * a second. Prints the backend's tick rate and link efficiency against this
 * emulated board (no baud pacing: an upper bound of the host side).
 *
 * Built by tests/usb.mk, re-executed under umockdev like test_usb.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#ifndef HONE_HAVE_UMOCKDEV
int main(void)
{
	printf("test_usb_backend: built without umockdev (tests/usb.mk): skipped\n");
	return 77;
}
#else

#include "ftdi_emu.h"
#include "link.h"
#include "link_v1.h"
#include "testutil.h"
#include "usb_ftdi.h"

#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t now_us(void) { return (uint64_t)(now_ms() * 1e3); }

/* ------------------------------------------ the chip on the UART pins */

typedef struct rsp {
	uint8_t kind;
	uint64_t data;
} rsp;

typedef struct chip_far {
	hone_linkdev *d;
	hone_refchip *chip;
	hone_config cfg;
	bool trace;
	rsp *q;                    /* responses the link could not take yet */
	size_t q_head, q_len, q_cap;
	uint32_t *spk;
	int32_t *u;
	uint8_t *s;
	uint8_t out[8192];         /* wire bytes not yet handed to the FTDI */
	size_t out_len, out_off;
	bool mute;                 /* an FPGA without the hone bitstream */
	unsigned version;          /* link protocol in CAPS (0: HONE_LINK_VERSION) */
	bool v1;                   /* a bitstream of link protocol 1: NAKs once */
	bool v1_naked;
} chip_far;

static void emit(chip_far *cf, uint8_t kind, uint64_t data)
{
	if (cf->q_len == cf->q_cap) {
		size_t cap = cf->q_cap ? 2 * cf->q_cap : 256;
		rsp *q = malloc(cap * sizeof *q);
		for (size_t i = 0; i < cf->q_len; i++)
			q[i] = cf->q[(cf->q_head + i) % cf->q_cap];
		free(cf->q);
		cf->q = q;
		cf->q_cap = cap;
		cf->q_head = 0;
	}
	cf->q[(cf->q_head + cf->q_len++) % cf->q_cap] = (rsp){kind, data};
}

static void exec_cmd(chip_far *cf, const hone_link_cmd *c)
{
	const hone_config *g = &cf->cfg;
	switch (c->op) {
	case HONE_CHIP_OP_WRITE: {
		hone_write w = {.target = c->target, .mem = c->mem, .addr = c->addr, .data = c->data};
		hone_refchip_write(cf->chip, &w, NULL);
		break;
	}
	case HONE_CHIP_OP_READ: {
		uint64_t v = 0;
		hone_refchip_read(cf->chip, c->target, c->mem, c->addr, &v, NULL);
		emit(cf, HONE_RSP_READ_DATA, v);
		break;
	}
	case HONE_CHIP_OP_EVENT:
		hone_refchip_input(cf->chip, c->addr, (uint8_t)c->data, NULL);
		break;
	case HONE_CHIP_OP_TICK: {
		size_t slots = (size_t)g->cores * g->neurons, n = 0;
		hone_counters k;
		hone_refchip_tick(cf->chip, cf->spk, slots, &n, cf->trace ? cf->u : NULL,
		                  cf->trace ? cf->s : NULL, NULL);
		for (size_t i = 0; i < n; i++)
			emit(cf, HONE_RSP_SPIKE, cf->spk[i]);
		for (size_t i = 0; cf->trace && i < slots; i++)
			emit(cf, HONE_RSP_TRACE,
			     hone_put(i % g->neurons, 0, 13) | hone_put(i / g->neurons, 16, 4) |
			     hone_put((uint64_t)(int64_t)cf->u[i], 24, 24) | hone_put(cf->s[i], 48, 1));
		hone_refchip_counters(cf->chip, &k);
		emit(cf, HONE_RSP_TICK_DONE, k.ticks - 1);
		break;
	}
	case HONE_CHIP_OP_TRACE:
		cf->trace = c->data & 1;
		break;
	case HONE_CHIP_OP_COUNTERS: {
		hone_counters k;
		hone_refchip_counters(cf->chip, &k);
		emit(cf, HONE_RSP_COUNTER, k.cycles);
		emit(cf, HONE_RSP_COUNTER, k.events);
		emit(cf, HONE_RSP_COUNTER, k.sops);
		emit(cf, HONE_RSP_COUNTER, k.ticks);
		break;
	}
	case HONE_CHIP_OP_CAPS:
		emit(cf, HONE_RSP_CAPS,
		     hone_put(g->cores, 0, 8) | hone_put(g->lanes, 8, 8) |
		     hone_put(g->weight_bits, 16, 4) | hone_put(g->potential_bits, 20, 5) |
		     hone_put(g->input_bits, 25, 4) | hone_put(0x600dcafe, 32, 32));
		emit(cf, HONE_RSP_CAPS,
		     hone_put(g->neurons, 0, 16) | hone_put(g->axons, 16, 16) |
		     hone_put(g->weight_words, 32, 24) | hone_put(cf->version ? cf->version : HONE_LINK_VERSION, 56, 8));
		break;
	}
}

/* Responses into the link as far as its buffer allows, then commands. */
static void chip_step(chip_far *cf)
{
	for (;;) {
		while (cf->q_len && hone_linkdev_put_rsp(cf->d, cf->q[cf->q_head].kind,
		                                         cf->q[cf->q_head].data)) {
			cf->q_head = (cf->q_head + 1) % cf->q_cap;
			cf->q_len--;
		}
		hone_link_cmd c;
		if (cf->q_len || !hone_linkdev_get_cmd(cf->d, &c))
			return;
		exec_cmd(cf, &c);
	}
}

static size_t chip_rx(void *user, const uint8_t *p, size_t n)
{
	chip_far *cf = user;
	if (cf->v1) {
		if (!cf->v1_naked && memchr(p, 0, n) && cf->out_off == cf->out_len) {
			cf->out_len = tu_link_v1_nak(cf->out);
			cf->out_off = 0;
			cf->v1_naked = true;
		}
		return n;
	}
	if (!cf->mute)
		hone_linkdev_push_rx(cf->d, now_us(), p, n);
	return n;
}

static size_t chip_tx(void *user, uint8_t *p, size_t cap)
{
	chip_far *cf = user;
	if (cf->mute)
		return 0;
	if (cf->v1) {
		size_t k = cf->out_len - cf->out_off;
		if (k > cap)
			k = cap;
		memcpy(p, cf->out + cf->out_off, k);
		cf->out_off += k;
		return k;
	}
	size_t given = 0;
	while (given < cap) {
		if (cf->out_off == cf->out_len) {
			chip_step(cf);
			cf->out_len = hone_linkdev_pull_tx(cf->d, now_us(), cf->out, sizeof cf->out);
			cf->out_off = 0;
			if (!cf->out_len)
				break;
		}
		size_t k = cf->out_len - cf->out_off;
		if (k > cap - given)
			k = cap - given;
		memcpy(p + given, cf->out + cf->out_off, k);
		cf->out_off += k;
		given += k;
	}
	return given;
}

static chip_far *chip_new(const char *config)
{
	chip_far *cf = calloc(1, sizeof *cf);
	cf->cfg = *hone_config_find(config);
	cf->d = hone_linkdev_new(NULL);
	cf->chip = hone_refchip_new(&cf->cfg);
	size_t slots = (size_t)cf->cfg.cores * cf->cfg.neurons;
	cf->spk = malloc(slots * sizeof *cf->spk);
	cf->u = malloc(slots * sizeof *cf->u);
	cf->s = malloc(slots);
	assert_non_null(cf->d);
	assert_non_null(cf->chip);
	return cf;
}

static void chip_free(chip_far *cf)
{
	hone_linkdev_free(cf->d);
	hone_refchip_free(cf->chip);
	free(cf->q);
	free(cf->spk);
	free(cf->u);
	free(cf->s);
	free(cf);
}

typedef struct bench {
	ftdi_emu *e;
	chip_far *cf;
} bench;

static bench bench_new(const char *config)
{
	bench b;
	b.cf = chip_new(config);
	b.e = ftdi_emu_new();
	assert_non_null(b.e);
	ftdi_emu_board_opts o = {.far = {.rx = chip_rx, .tx = chip_tx, .user = b.cf}};
	assert_int_equal(ftdi_emu_add(b.e, &o), 0);
	return b;
}

static void bench_free(bench *b)
{
	ftdi_emu_free(b->e); /* first: stops the far end's callers */
	chip_free(b->cf);
}

/* hone_open("usb:..."), or the backend by hand while device.c's table does
 * not list it yet. */
static int open_usb(const char *arg, hone_device **out, hone_error *err)
{
	char uri[128];
	snprintf(uri, sizeof uri, "usb:%s", arg);
	int rc = hone_open(uri, out, err);
	if (rc != HONE_ERR_UNSUPPORTED || strstr(err->msg, "usb:") == NULL ||
	    strstr(err->msg, "not built") == NULL)
		return rc;
	hone_device *dev = calloc(1, sizeof *dev);
	dev->be = &hone_backend_usb;
	memset(err, 0, sizeof *err);
	rc = dev->be->open(dev, arg, err);
	if (rc) {
		dev->be->close(dev);
		free(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

/* ---------------------------------------------------------- the network */

static hone_image *make_image(const char *config, uint64_t seed, hone_net **net_out)
{
	const hone_config *cfg = hone_config_find(config);
	tu_net_opts o = {.max_depth = 3, .max_inputs = 40, .max_width = 24,
	                 .weight_bits = 4, .input_bits_max = 4,
	                 .potential_bits = cfg->potential_bits, .lif = 0.5};
	for (uint64_t k = 0; k < 100; k++) {
		tu_rng r = {seed + k};
		hone_net *net = tu_random_net(&r, &o);
		hone_image *img = NULL;
		hone_error e = {0};
		if (net && !hone_compile(net, cfg, NULL, &img, &e)) {
			*net_out = net;
			return img;
		}
		hone_net_free(net);
	}
	fail_msg("no random network fits %s", config);
	return NULL;
}

/* Run `ticks` ticks of random events on dev; spikes of tick t appended to
 * out[t] as a string "id id id". */
static void run_ticks_depth(hone_device *dev, const hone_image *img, uint64_t seed,
                            uint32_t ticks, char **out, size_t depth)
{
	tu_rng r = {seed};
	hone_error err = {0};
	hone_event *ev = malloc((size_t)img->n_inputs * sizeof *ev);
	uint32_t taken = 0;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t n = 0;
		unsigned gmax = (1u << img->input_bits) - 1;
		for (int32_t i = 0; i < img->n_inputs; i++)
			if (tu_chance(&r, 0.4))
				ev[n++] = (hone_event){.input = (uint32_t)i,
				                       .g = (uint8_t)tu_range(&r, 1, gmax)};
		assert_int_equal(hone_push_events(dev, ev, n, &err), 0);
		assert_int_equal(hone_end_tick(dev, &err), 0);
		/* Keep a few ticks in flight, as run.c pipelines them. */
		while (hone_pending(dev) > depth || (t + 1 == ticks && hone_pending(dev))) {
			hone_tick_result res;
			int rc = hone_next_result(dev, &res, &err);
			if (rc)
				fail_msg("tick %u: %s", taken, err.msg);
			char *s = calloc(1, 16 * res.n_spikes + 1);
			for (size_t i = 0; i < res.n_spikes; i++)
				sprintf(s + strlen(s), "%u ", res.spikes[i]);
			out[taken++] = s;
		}
	}
	free(ev);
}

static void run_ticks(hone_device *dev, const hone_image *img, uint64_t seed,
                      uint32_t ticks, char **out)
{
	run_ticks_depth(dev, img, seed, ticks, out, 4);
}

static void test_same_as_ref(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	hone_net *net;
	hone_image *img = make_image("tiny", 4242, &net);
	hone_error err = {0};
	hone_device *usb = NULL, *ref = NULL;
	int rc = open_usb("", &usb, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	hone_caps caps;
	assert_int_equal(hone_get_caps(usb, &caps, &err), 0);
	printf("  caps: backend %s, config %s, protocol %u, build %s\n", caps.backend,
	       caps.cfg.name, caps.protocol_version, caps.build_id);
	assert_string_equal(caps.backend, "usb");
	assert_string_equal(caps.cfg.name, "tiny");
	assert_int_equal(caps.protocol_version, HONE_LINK_VERSION);
	assert_string_equal(caps.build_id, "600dcafe");
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_int_equal(hone_load(ref, img, &err), 0);
	rc = hone_load(usb, img, &err);
	if (rc)
		fail_msg("load: %s", err.msg);

	const uint32_t T = 60;
	char *a[60] = {0}, *bb[60] = {0};
	run_ticks(ref, img, 7, T, a);
	run_ticks(usb, img, 7, T, bb);
	size_t spikes = 0;
	for (uint32_t t = 0; t < T; t++) {
		assert_non_null(a[t]);
		assert_non_null(bb[t]);
		assert_string_equal(a[t], bb[t]);
		spikes += strlen(a[t]) > 0;
		free(a[t]);
		free(bb[t]);
	}
	printf("  %u ticks, %zu with output spikes: usb == ref\n", T, spikes);
	/* Counters and memory read back through the link. */
	hone_counters cr, cu;
	assert_int_equal(hone_read_counters(ref, &cr, &err), 0);
	assert_int_equal(hone_read_counters(usb, &cu, &err), 0);
	assert_int_equal(cr.ticks, cu.ticks);
	assert_int_equal(cr.events, cu.events);
	assert_int_equal(cr.sops, cu.sops);
	assert_true(cu.link_bytes_out > 0 && cu.link_bytes_in > 0);
	printf("  link: %llu bytes out, %llu in, %llu payload\n",
	       (unsigned long long)cu.link_bytes_out, (unsigned long long)cu.link_bytes_in,
	       (unsigned long long)cu.link_payload_bytes);
	uint64_t pr[32], pu[32];
	assert_int_equal(hone_read_mem(ref, 0, HONE_MEM_POT, 0, 32, pr, &err), 0);
	assert_int_equal(hone_read_mem(usb, 0, HONE_MEM_POT, 0, 32, pu, &err), 0);
	assert_memory_equal(pr, pu, sizeof pr);
	/* Whole samples through run.c, pipelined as it does it. */
	const size_t ns = 20;
	uint8_t *in = malloc(ns * (size_t)img->n_inputs);
	tu_rng r = {99};
	for (size_t i = 0; i < ns * (size_t)img->n_inputs; i++)
		in[i] = (uint8_t)tu_range(&r, 0, (1 << img->input_bits) - 1);
	int32_t p_ref[20], p_usb[20];
	assert_int_equal(hone_reset_state(ref, &err), 0);
	assert_int_equal(hone_reset_state(usb, &err), 0);
	assert_int_equal(hone_run_samples(ref, img, in, ns, p_ref, NULL, NULL, &err), 0);
	rc = hone_run_samples(usb, img, in, ns, p_usb, NULL, NULL, &err);
	if (rc)
		fail_msg("run_samples: %s", err.msg);
	assert_memory_equal(p_ref, p_usb, sizeof p_ref);
	free(in);
	hone_close(ref);
	hone_close(usb);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

static void test_trace(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	hone_net *net;
	hone_image *img = make_image("tiny", 77, &net);
	hone_error err = {0};
	hone_device *usb = NULL, *ref = NULL;
	assert_int_equal(open_usb("IBEMU01", &usb, &err), 0);
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_int_equal(hone_load(ref, img, &err), 0);
	assert_int_equal(hone_load(usb, img, &err), 0);
	hone_device *devs[2] = {ref, usb};
	hone_tick_result res[2];
	int32_t *u0 = NULL;
	uint8_t *s0 = NULL;
	size_t nt = 0;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(hone_set_trace(devs[k], 1, &err), 0);
		hone_event ev = {.input = 0, .g = 1};
		assert_int_equal(hone_push_events(devs[k], &ev, 1, &err), 0);
		assert_int_equal(hone_end_tick(devs[k], &err), 0);
		assert_int_equal(hone_next_result(devs[k], &res[k], &err), 0);
		if (k == 0) {
			nt = res[0].n_trace;
			u0 = malloc(nt * sizeof *u0);
			s0 = malloc(nt);
			memcpy(u0, res[0].trace_u, nt * sizeof *u0);
			memcpy(s0, res[0].trace_s, nt);
		}
	}
	assert_int_equal(res[1].n_trace, nt);
	assert_memory_equal(res[1].trace_u, u0, nt * sizeof *u0);
	assert_memory_equal(res[1].trace_s, s0, nt);
	free(u0);
	free(s0);
	/* A bad event is refused before it reaches the link, as on ref:. */
	hone_event bad = {.input = 100000, .g = 1};
	assert_int_equal(hone_push_events(usb, &bad, 1, &err), HONE_ERR_INVALID);
	printf("  bad event: %s\n", err.msg);
	hone_close(ref);
	hone_close(usb);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

/* ---------------------------------------------------------------- faults */

static void test_no_bitstream(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	b.cf->mute = true; /* the FPGA holds some other design */
	hone_error err = {0};
	hone_device *usb = NULL;
	double t0 = now_ms();
	int rc = open_usb("", &usb, &err);
	double dt = now_ms() - t0;
	printf("  open -> %d in %.0f ms: %s\n", rc, dt, err.msg);
	assert_int_equal(rc, HONE_ERR_TIMEOUT);
	assert_null(usb);
	assert_non_null(strstr(err.msg, "bitstream"));
	assert_true(dt < 1500);
	bench_free(&b);
}

/* A bitstream of another link protocol version is refused at open, by
 * name: version 1 (CRC-16) here, as CAPS would report it. */
static void test_wrong_version(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	b.cf->version = 1;
	hone_error err = {0};
	hone_device *usb = NULL;
	int rc = open_usb("", &usb, &err);
	printf("  open -> %d: %s\n", rc, err.msg);
	assert_int_equal(rc, HONE_ERR_VERSION);
	assert_null(usb);
	char want[64];
	snprintf(want, sizeof want, "speaks link protocol 1, this hone %d", HONE_LINK_VERSION);
	assert_non_null(strstr(err.msg, want));
	bench_free(&b);
}

/* A bitstream of link protocol 1 (CRC-16) cannot answer the RESET: the
 * NAK it sends instead is recognised, and the open fails at once, saying
 * so, instead of after the 750 ms RESET timeout. */
static void test_version_1_bitstream(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	b.cf->v1 = true;
	hone_error err = {0};
	hone_device *usb = NULL;
	double t0 = now_ms();
	int rc = open_usb("", &usb, &err);
	double dt = now_ms() - t0;
	printf("  open -> %d in %.0f ms: %s\n", rc, dt, err.msg);
	assert_int_equal(rc, HONE_ERR_VERSION);
	assert_null(usb);
	assert_non_null(strstr(err.msg, "link protocol 1"));
	assert_true(dt < 500);
	bench_free(&b);
}

static void test_no_board(void **state)
{
	(void)state;
	ftdi_emu *e = ftdi_emu_new();
	assert_non_null(e);
	hone_error err = {0};
	hone_device *usb = NULL;
	int rc = open_usb("", &usb, &err);
	printf("  open -> %d: %s\n", rc, err.msg);
	assert_int_equal(rc, HONE_ERR_NO_DEVICE);
	ftdi_emu_free(e);
}

static void test_unplug_while_running(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	hone_net *net;
	hone_image *img = make_image("tiny", 4242, &net);
	hone_error err = {0};
	hone_device *usb = NULL;
	assert_int_equal(open_usb("", &usb, &err), 0);
	assert_int_equal(hone_load(usb, img, &err), 0);
	hone_event ev = {.input = 0, .g = 1};
	int rc = 0;
	double t_fault = 0;
	for (int t = 0; t < 100000 && !rc; t++) {
		if (t == 50) {
			ftdi_emu_unplug(b.e, 0);
			t_fault = now_ms();
		}
		rc = hone_push_events(usb, &ev, 1, &err);
		if (!rc)
			rc = hone_end_tick(usb, &err);
		hone_tick_result res;
		if (!rc)
			rc = hone_next_result(usb, &res, &err);
	}
	double dt = now_ms() - t_fault;
	printf("  -> %d %.0f ms after the unplug: %s\n", rc, dt, err.msg);
	assert_int_equal(rc, HONE_ERR_NO_DEVICE);
	assert_non_null(strstr(err.msg, "vanished"));
	assert_true(dt < 1000);
	double t0 = now_ms();
	hone_close(usb);
	assert_true(now_ms() - t0 < 1000);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

static void test_chip_hangs(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	hone_net *net;
	hone_image *img = make_image("tiny", 4242, &net);
	hone_error err = {0};
	hone_device *usb = NULL;
	assert_int_equal(open_usb("", &usb, &err), 0);
	assert_int_equal(hone_load(usb, img, &err), 0);
	ftdi_emu_hang(b.e, 0, true);
	double t0 = now_ms();
	hone_event ev = {.input = 0, .g = 1};
	int rc = hone_push_events(usb, &ev, 1, &err);
	if (!rc)
		rc = hone_end_tick(usb, &err);
	hone_tick_result res;
	if (!rc)
		rc = hone_next_result(usb, &res, &err);
	double dt = now_ms() - t0;
	printf("  -> %d in %.0f ms: %s\n", rc, dt, err.msg);
	assert_int_equal(rc, HONE_ERR_TIMEOUT);
	assert_true(dt < 1000);
	hone_close(usb);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

/* ------------------------------------------------------------ the figure */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Ticks per second with `depth` ticks in flight. */
static double tick_rate(hone_device *usb, const hone_image *img, uint32_t T, size_t depth)
{
	hone_error err = {0};
	hone_counters c0, c1;
	assert_int_equal(hone_read_counters(usb, &c0, &err), 0);
	char **spk = calloc(T, sizeof *spk);
	double t0 = now_ms();
	run_ticks_depth(usb, img, 5, T, spk, depth);
	double secs = (now_ms() - t0) / 1e3;
	assert_int_equal(hone_read_counters(usb, &c1, &err), 0);
	for (uint32_t t = 0; t < T; t++)
		free(spk[t]);
	free(spk);
	double wire = (double)(c1.link_bytes_out - c0.link_bytes_out + c1.link_bytes_in -
	                       c0.link_bytes_in);
	double payload = (double)(c1.link_payload_bytes - c0.link_payload_bytes);
	printf("usb backend (emulated FT2232H + C chip model, no baud pacing), %2zu "
	       "ticks in flight: %u ticks in %.2f s = %.0f ticks/s; %.1f kB/s on the "
	       "wire, %.1f %% of it payload\n", depth, T, secs, T / secs,
	       wire / secs / 1e3, 100 * payload / wire);
	assert_int_equal(c1.ticks - c0.ticks, T);
	return T / secs;
}

static void test_tick_rate(void **state)
{
	(void)state;
	bench b = bench_new("tiny");
	hone_net *net;
	hone_image *img = make_image("tiny", 4242, &net);
	hone_error err = {0};
	hone_device *usb = NULL;
	assert_int_equal(open_usb(",baud=12000000", &usb, &err), 0);
	assert_int_equal(hone_load(usb, img, &err), 0);
	/* One tick at a time pays a round trip each: the FTDI latency timer
	 * (1 ms) plus the emulator's system calls. In flight, they overlap.
	 * The machine is shared: rounds of both alternate, and the medians are
	 * compared, so a burst of load elsewhere hits both alike. */
	enum { ROUNDS = 5 };
	double r1[ROUNDS], r16[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) {
		r1[i] = tick_rate(usb, img, 300, 1);
		r16[i] = tick_rate(usb, img, 600, 16);
	}
	qsort(r1, ROUNDS, sizeof *r1, cmp_double);
	qsort(r16, ROUNDS, sizeof *r16, cmp_double);
	printf("medians of %d rounds: %.0f ticks/s one at a time, %.0f with 16 in flight "
	       "(%.2fx)\n", ROUNDS, r1[ROUNDS / 2], r16[ROUNDS / 2],
	       r16[ROUNDS / 2] / r1[ROUNDS / 2]);
	assert_true(r16[ROUNDS / 2] > r1[ROUNDS / 2]);
	hone_close(usb);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

int main(int argc, char **argv)
{
	if (!ftdi_emu_preloaded())
		return ftdi_emu_reexec(argv);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_ref),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_no_bitstream),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_version_1_bitstream),
		cmocka_unit_test(test_no_board),
		cmocka_unit_test(test_unplug_while_running),
		cmocka_unit_test(test_chip_hangs),
		cmocka_unit_test(test_tick_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* HONE_HAVE_UMOCKDEV */
