/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "usb" device end to end with the RTL behind it, no board needed:
 *
 *   hone API -> backend_usb.c -> link.c -> usb_ftdi.c -> libusb
 *     -> usbdevfs ioctls -> the emulated FT2232H (tests/ftdi_emu.c, on
 *        umockdev; IN packets with their two modem-status bytes, the
 *        latency timer, the chip's 4 KiB buffer)
 *     -> channel B's UART pins, bit by bit
 *     -> Verilator: rtl/hone_link.v + rtl/hone_chip.v (sim/board, up5k)
 *
 * test_fashion_mnist: a Fashion-MNIST-sized network (784-256-64-40, the
 * fixed-seed random network of `hone bench`) compiled for up5k runs the
 * first 200 test images (HONE_USB_RTL_IMAGES=N for another count) on
 * "usb:" and on "ref:": predictions, every tick's output spikes and the
 * counters (events, sops, ticks) must be equal. Prints the figures of
 * docs/usb.md: images, ticks, bytes each way, payload/wire, wall time, and
 * the image rate the bytes per image allow at 3 and 12 Mbaud.
 *
 * The faults: the board vanishes mid-stream, a stalled endpoint (IN and
 * OUT), the FT2232H stops answering: each must end in a clear error
 * within a second, the close after it too; and the FPGA stopping behind a
 * live FT2232H within the link layer's bound.
 *
 * The board model runs in a thread of its own, as fast as Verilator goes
 * (about 1.5 M cycles/s here: 40 cycles a byte at 4 clocks a bit, so
 * about 35 kB/s of UART), and the emulated FT2232H exchanges bytes with it
 * through two buffers. The host's link timers scale with the baud rate it
 * is told; the run opens the board at a rate the simulation really keeps
 * up with (measured at the start, printed), so no frame is resent for
 * want of speed. The figures at 3 and 12 Mbaud come from bytes per image.
 *
 * Built by tests/usb.mk with the models of sim/board/module.mk,
 * re-executed under umockdev like test_usb.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#if !defined(HONE_HAVE_UMOCKDEV) || !defined(HONE_HAVE_BOARD)
int main(void)
{
	printf("test_usb_rtl: built without umockdev or the board models "
	       "(tests/usb.mk, sim/board/module.mk): skipped\n");
	return 77;
}
#else

#include "ftdi_emu.h"
#include "hone_board.h"
#include "link.h"
#include "testutil.h"
#include "usb_ftdi.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define CONFIG "up5k"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* --------------------------------------- the board on the UART pins */

#define FAR_IN_CAP 4096           /* the FT2232H's buffer towards the UART */
#define FAR_OUT_CAP (256 * 1024)  /* from the UART, not yet taken */
#define FAR_CHUNK 1000            /* cycles per step while busy */
#define FAR_NAP_CHUNK 200         /* cycles per nap while quiet */
#define FAR_QUIET 100000          /* idle cycles before the thread naps */

typedef struct board_far {
	hone_board *b;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t in[FAR_IN_CAP];       /* host -> board, not yet on the pin */
	size_t in_len;
	uint8_t *out;                 /* board -> host, a ring */
	size_t out_head, out_len;
	bool stop, frozen;
	uint64_t taken, given, overrun;
	hone_board_stats st;          /* the board's, after the last step */
	double cycles_per_s;          /* measured before the thread starts */
} board_far;

/* The emulated FT2232H hands over what the host sent: the board takes
 * what fits its buffer (the OUT pipe NAKs the rest, as on the chip). */
static size_t far_rx(void *user, const uint8_t *p, size_t n)
{
	board_far *f = user;
	pthread_mutex_lock(&f->mu);
	size_t k = FAR_IN_CAP - f->in_len;
	if (k > n)
		k = n;
	memcpy(f->in + f->in_len, p, k);
	f->in_len += k;
	f->taken += k;
	if (k)
		pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return k;
}

/* ... and asks, on every USB poll, for what the board sent. */
static size_t far_tx(void *user, uint8_t *p, size_t cap)
{
	board_far *f = user;
	pthread_mutex_lock(&f->mu);
	size_t n = f->out_len < cap ? f->out_len : cap;
	for (size_t i = 0; i < n; i++)
		p[i] = f->out[(f->out_head + i) % FAR_OUT_CAP];
	f->out_head = (f->out_head + n) % FAR_OUT_CAP;
	f->out_len -= n;
	f->given += n;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* The simulation thread: host bytes onto the RX pin, the clock, TX bytes
 * out. It naps (a few hundred cycles per 5 ms) once both lines have been
 * idle for FAR_QUIET cycles with nothing to send: the board has answered
 * everything. */
static void *far_main(void *arg)
{
	board_far *f = arg;
	uint8_t buf[4096];
	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		if (f->frozen) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		if (f->in_len && hone_board_rx_queued(f->b) < 16) {
			size_t k = f->in_len < 64 ? f->in_len : 64;
			hone_board_push(f->b, f->in, k);
			memmove(f->in, f->in + k, f->in_len - k);
			f->in_len -= k;
		}
		bool quiet = f->in_len == 0 && f->st.idle_cycles > FAR_QUIET;
		if (quiet) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 5000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&f->cv, &f->mu, &ts);
			if (f->stop || f->frozen)
				continue;
		}
		pthread_mutex_unlock(&f->mu);
		hone_board_run(f->b, quiet ? FAR_NAP_CHUNK : FAR_CHUNK);
		size_t n = hone_board_pull(f->b, buf, sizeof buf);
		pthread_mutex_lock(&f->mu);
		for (size_t i = 0; i < n; i++) {
			if (f->out_len == FAR_OUT_CAP) {
				f->overrun += n - i; /* the FT2232H would lose them */
				break;
			}
			f->out[(f->out_head + f->out_len++) % FAR_OUT_CAP] = buf[i];
		}
		hone_board_get_stats(f->b, &f->st);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

static board_far *far_new(void)
{
	board_far *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->b = hone_board_new(CONFIG, NULL);
	if (!f->b)
		fail_msg("no board model of %s (models: %s)", CONFIG, hone_board_configs());
	f->out = malloc(FAR_OUT_CAP);
	assert_non_null(f->out);
	/* The simulator's speed, alone: it sets the baud rate the host is
	 * told (see open_board). */
	double t0 = now_ms();
	hone_board_run(f->b, 100000);
	f->cycles_per_s = 100000 / ((now_ms() - t0) / 1e3);
	hone_board_get_stats(f->b, &f->st);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	assert_int_equal(pthread_create(&f->th, NULL, far_main, f), 0);
	return f;
}

static void far_freeze(board_far *f, bool on)
{
	pthread_mutex_lock(&f->mu);
	f->frozen = on;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void far_free(board_far *f)
{
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	hone_board_free(f->b);
	free(f->out);
	free(f);
}

/* The board's stats as of the thread's last step. */
static void far_stats(board_far *f, hone_board_stats *s, uint64_t *overrun)
{
	pthread_mutex_lock(&f->mu);
	*s = f->st;
	if (overrun)
		*overrun = f->overrun;
	pthread_mutex_unlock(&f->mu);
}

typedef struct bench {
	ftdi_emu *e;
	board_far *f;
} bench;

static bench bench_new(void)
{
	bench b;
	b.f = far_new();
	b.e = ftdi_emu_new();
	assert_non_null(b.e);
	ftdi_emu_board_opts o = {.far = {.rx = far_rx, .tx = far_tx, .user = b.f}};
	assert_int_equal(ftdi_emu_add(b.e, &o), 0);
	return b;
}

static void bench_free(bench *b)
{
	ftdi_emu_free(b->e); /* first: no more calls into the far end */
	far_free(b->f);
}

/* The baud rate the simulated board keeps up with, with room for the
 * host's threads and other work sharing the machine (the simulator ran 2
 * to 3 times slower during runs than alone): a quarter of its UART's
 * wall-clock bit rate, rounded down to one the FT2232H makes exactly
 * (12 MHz / n). HONE_USB_RTL_BAUD overrides. */
static uint32_t sim_baud(const board_far *f)
{
	const char *env = getenv("HONE_USB_RTL_BAUD");
	if (env && *env)
		return (uint32_t)strtoul(env, NULL, 10);
	double bits = f->cycles_per_s / hone_board_clks_per_bit() / 4;
	double n = ceil(12e6 / bits);
	if (n < 4)
		n = 4; /* 3 Mbaud at most */
	return (uint32_t)(12e6 / n);
}

static hone_device *open_usb(const char *opts)
{
	char uri[128];
	snprintf(uri, sizeof uri, "usb:%s", opts);
	hone_error err = {0};
	hone_device *dev = NULL;
	int rc = hone_open(uri, &dev, &err);
	if (rc)
		fail_msg("open %s: %s", uri, err.msg);
	return dev;
}

/* ---------------------------------------------------------- the network */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* host/cli/cmd_bench.c's bench_net: 784-256-64-40, 10 classes x 4 output
 * neurons, sparse 4-bit random weights (seed 12345), each layer's
 * thresholds at the 70th percentile of its potentials on the first 200
 * images. With the same first 200 test images it is `hone bench`'s
 * network. */
static hone_net *bench_net(const hone_config *cfg, const uint8_t *g, size_t n)
{
	const int32_t sizes[] = {784, 256, 64, 40};
	hone_net *net = hone_net_new(3, sizes);
	assert_non_null(net);
	net->input_bits = (uint8_t)cfg->input_bits;
	net->weight_bits = (uint8_t)cfg->weight_bits;
	hone_net_set_nhot(net, 10, 4);
	uint64_t s = 12345;
	int32_t wmax = (1 << (cfg->weight_bits - 1)) - 1;
	for (int32_t l = 0; l < 3; l++) {
		hone_layer *ly = &net->layers[l];
		for (int64_t i = 0; i < (int64_t)ly->n_in * ly->n_out; i++) {
			uint64_t r = rng_next(&s);
			ly->weight[i] = (r % 4 == 0) ? (int32_t)((r >> 8) % (uint64_t)(wmax + 1)) *
			                                   ((r >> 40) & 1 ? 1 : -1) : 0;
		}
	}
	size_t cal = n < 200 ? n : 200;
	int32_t total = hone_net_total_neurons(net);
	int32_t *u = malloc((size_t)total * 3 * sizeof *u);
	double *vals = malloc(cal * 256 * sizeof *vals);
	hone_event *ev = malloc(784 * sizeof *ev);
	assert_true(u && vals && ev);
	int32_t off = 0;
	for (int32_t l = 0; l < 3; l++) {
		hone_layer *ly = &net->layers[l];
		for (int32_t j = 0; j < ly->n_out; j++)
			ly->threshold[j] = 1 << 20;
		for (size_t i = 0; i < cal; i++) {
			size_t m = 0;
			for (int32_t j = 0; j < 784; j++)
				if (g[i * 784 + (size_t)j])
					ev[m++] = (hone_event){.input = (uint32_t)j, .g = g[i * 784 + (size_t)j]};
			hone_evaluate(net, ev, m, (uint32_t)l + 1, NULL, u, NULL, NULL);
			for (int32_t j = 0; j < ly->n_out; j++)
				vals[(size_t)j * cal + i] = u[(size_t)l * (size_t)total + (size_t)(off + j)];
		}
		for (int32_t j = 0; j < ly->n_out; j++) {
			double *v = vals + (size_t)j * cal;
			qsort(v, cal, sizeof *v, cmp_double);
			int32_t t = (int32_t)lrint(v[(size_t)(0.7 * (double)cal)]);
			ly->threshold[j] = t < 1 ? 1 : t;
		}
		off += ly->n_out;
	}
	free(u);
	free(vals);
	free(ev);
	return net;
}

/* ------------------------------------------------------- a pipelined run */

#define IN_FLIGHT 64 /* as host/src/run.c */

typedef struct run_out {
	size_t ticks;
	size_t *n_spikes;        /* [ticks] */
	uint32_t **spikes;       /* [ticks][n_spikes], sorted */
	int32_t *pred;           /* [images] */
	hone_counters c0, c1;    /* before and after */
	double ms;
} run_out;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void run_out_free(run_out *o)
{
	for (size_t t = 0; o->spikes && t < o->ticks; t++)
		free(o->spikes[t]);
	free(o->spikes);
	free(o->n_spikes);
	free(o->pred);
	memset(o, 0, sizeof *o);
}

/* host/src/run.c's Whetstone timing, keeping every tick: image s in tick
 * s, decoded from the output spikes of tick s + depth - 1, up to 64 ticks
 * in flight. */
static void run_images(hone_device *dev, const hone_image *img, const uint8_t *g,
                       size_t n, run_out *o)
{
	hone_error err = {0};
	assert_int_equal(img->carry, HONE_CARRY_NONE);
	const size_t D = (size_t)img->depth, total = n + D - 1;
	memset(o, 0, sizeof *o);
	o->ticks = total;
	o->n_spikes = calloc(total, sizeof *o->n_spikes);
	o->spikes = calloc(total, sizeof *o->spikes);
	o->pred = calloc(n, sizeof *o->pred);
	hone_event *ev = malloc((size_t)img->n_inputs * sizeof *ev);
	int32_t *counts = calloc((size_t)img->n_outputs, sizeof *counts);
	assert_true(o->n_spikes && o->spikes && o->pred && ev && counts);
	if (hone_reset_state(dev, &err) || hone_read_counters(dev, &o->c0, &err))
		fail_msg("before the run: %s", err.msg);
	double t0 = now_ms();
	size_t issued = 0, taken = 0;
	uint64_t first_tick = 0;
	while (taken < total) {
		if (issued < total && issued - taken < IN_FLIGHT) {
			size_t m = 0;
			if (issued < n)
				for (int32_t i = 0; i < img->n_inputs; i++) {
					uint8_t v = g[issued * (size_t)img->n_inputs + (size_t)i];
					if (v)
						ev[m++] = (hone_event){.input = (uint32_t)i, .g = v};
				}
			if (hone_push_events(dev, ev, m, &err) || hone_end_tick(dev, &err))
				fail_msg("tick %zu: %s", issued, err.msg);
			issued++;
			continue;
		}
		hone_tick_result res;
		if (hone_next_result(dev, &res, &err))
			fail_msg("result of tick %zu: %s", taken, err.msg);
		if (taken == 0)
			first_tick = res.tick;
		assert_int_equal(res.tick - first_tick, taken);
		o->n_spikes[taken] = res.n_spikes;
		o->spikes[taken] = malloc((res.n_spikes ? res.n_spikes : 1) * sizeof(uint32_t));
		assert_non_null(o->spikes[taken]);
		if (res.n_spikes)
			memcpy(o->spikes[taken], res.spikes, res.n_spikes * sizeof(uint32_t));
		qsort(o->spikes[taken], res.n_spikes, sizeof(uint32_t), cmp_u32);
		if (taken >= D - 1) {
			memset(counts, 0, (size_t)img->n_outputs * sizeof *counts);
			for (size_t i = 0; i < res.n_spikes; i++) {
				assert_true(res.spikes[i] < (uint32_t)img->n_outputs);
				counts[res.spikes[i]]++;
			}
			o->pred[taken - (D - 1)] = hone_decode(img->output_class, img->n_outputs,
			                                       img->n_classes, counts);
		}
		taken++;
	}
	o->ms = now_ms() - t0;
	if (hone_read_counters(dev, &o->c1, &err))
		fail_msg("after the run: %s", err.msg);
	free(ev);
	free(counts);
}

/* --------------------------------------------------- the headline test */

static size_t n_images(void)
{
	const char *env = getenv("HONE_USB_RTL_IMAGES");
	long v = env && *env ? atol(env) : 200;
	return v < 1 ? 1 : (size_t)v;
}

static void test_fashion_mnist(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find(CONFIG);
	assert_non_null(cfg);
	hone_error err = {0};
	hone_dataset *ds = NULL;
	size_t n = n_images();
	if (hone_dataset_fashion_mnist(NULL, "test", (int32_t)n, &ds, &err)) {
		printf("  Fashion-MNIST not installed (%s): skipped\n", err.msg);
		skip();
	}
	n = (size_t)ds->n;
	uint8_t *g = malloc(n * 784);
	assert_non_null(g);
	for (size_t i = 0; i < n; i++)
		hone_dataset_quantize(ds, (int32_t)i, (int)cfg->input_bits, g + i * 784);
	hone_net *net = bench_net(cfg, g, n);
	hone_image *img = NULL;
	if (hone_compile(net, cfg, NULL, &img, &err))
		fail_msg("compile: %s", err.msg);

	/* The reference model; its hone_run_samples checks run_images. */
	hone_device *ref = NULL;
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_int_equal(hone_load(ref, img, &err), 0);
	run_out r, u;
	run_images(ref, img, g, n, &r);
	int32_t *pred_rs = malloc(n * sizeof *pred_rs);
	assert_non_null(pred_rs);
	assert_int_equal(hone_run_samples(ref, img, g, n, pred_rs, NULL, NULL, &err), 0);
	assert_memory_equal(pred_rs, r.pred, n * sizeof *pred_rs);
	hone_close(ref);

	/* The board. */
	bench b = bench_new();
	uint32_t baud = sim_baud(b.f);
	char opts[64];
	snprintf(opts, sizeof opts, ",baud=%u", baud);
	double t0 = now_ms();
	hone_device *usb = open_usb(opts);
	double t_open = now_ms() - t0;
	hone_caps caps;
	assert_int_equal(hone_get_caps(usb, &caps, &err), 0);
	assert_string_equal(caps.backend, "usb");
	assert_string_equal(caps.cfg.name, CONFIG);
	hone_board_stats s1, s2;
	uint64_t overrun;
	hone_counters cl0;
	assert_int_equal(hone_read_counters(usb, &cl0, &err), 0);
	t0 = now_ms();
	if (hone_load(usb, img, &err))
		fail_msg("load: %s", err.msg);
	double t_load = now_ms() - t0;
	far_stats(b.f, &s1, NULL);
	hone_link_stats ls0, ls;
	hone_ftdi_stats fs;
	assert_int_equal(hone_usb_get_stats(usb, &ls0, NULL), 0);
	run_images(usb, img, g, n, &u);
	far_stats(b.f, &s2, &overrun);
	assert_int_equal(hone_usb_get_stats(usb, &ls, &fs), 0);

	/* Compare: predictions, every tick's spikes, the counters. */
	size_t bad_ticks = 0, bad_pred = 0, spikes = 0, correct = 0;
	assert_int_equal(r.ticks, u.ticks);
	for (size_t t = 0; t < r.ticks; t++) {
		spikes += r.n_spikes[t];
		if (r.n_spikes[t] != u.n_spikes[t] ||
		    memcmp(r.spikes[t], u.spikes[t], r.n_spikes[t] * sizeof(uint32_t))) {
			if (!bad_ticks)
				printf("  tick %zu: ref %zu spikes, usb %zu\n", t, r.n_spikes[t],
				       u.n_spikes[t]);
			bad_ticks++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bad_pred += r.pred[i] != u.pred[i];
		correct += u.pred[i] == ds->y[i];
	}
	printf("  %zu images, %zu ticks, %zu output spikes: %zu ticks and %zu predictions "
	       "differ; accuracy %.1f %% (random network)\n", n, r.ticks, spikes, bad_ticks,
	       bad_pred, 100.0 * (double)correct / (double)n);
	printf("  counters ref / usb: events %llu / %llu, sops %llu / %llu, ticks %llu / %llu\n",
	       (unsigned long long)r.c1.events, (unsigned long long)u.c1.events,
	       (unsigned long long)r.c1.sops, (unsigned long long)u.c1.sops,
	       (unsigned long long)r.c1.ticks, (unsigned long long)u.c1.ticks);
	assert_int_equal(bad_ticks, 0);
	assert_int_equal(bad_pred, 0);
	assert_int_equal(r.c1.events, u.c1.events);
	assert_int_equal(r.c1.sops, u.c1.sops);
	assert_int_equal(r.c1.ticks, u.c1.ticks);
	assert_int_equal(r.c1.events - r.c0.events, u.c1.events - u.c0.events);
	assert_int_equal(r.c1.sops - r.c0.sops, u.c1.sops - u.c0.sops);
	assert_int_equal(r.c1.ticks - r.c0.ticks, u.c1.ticks - u.c0.ticks);

	/* The figures: the run's own bytes (the load's apart; the run is the
	 * images' ticks plus a state reset and two COUNTERS requests). */
	double out = (double)(ls.wire_out - ls0.wire_out), in = (double)(ls.wire_in - ls0.wire_in);
	double pout = (double)(ls.payload_out - ls0.payload_out);
	double pin = (double)(ls.payload_in - ls0.payload_in);
	double per_out = out / (double)n, per_in = in / (double)n;
	double worst = per_out > per_in ? per_out : per_in;
	double load_out = (double)(ls0.wire_out - cl0.link_bytes_out);
	double sim_cyc = (double)(s2.cycles - s1.cycles);
	double rx_busy = (double)(s2.bytes_in - s1.bytes_in) * 10 * hone_board_clks_per_bit();
	uint64_t retx = ls.frames_retx, tmo = ls.timeouts, naks = ls.naks_in + ls.naks_out;
	printf("  open %.0f ms; load: %.0f wire bytes in %.1f s\n", t_open, load_out, t_load / 1e3);
	printf("  run: %.1f s, %.1f images/s on the simulated board (%.2f M cycles/s; %.2f M "
	       "alone, host told %u baud); %.0f cycles per image, the RX line busy %.0f %% of "
	       "them (%u clocks a bit)\n", u.ms / 1e3, (double)n / (u.ms / 1e3),
	       sim_cyc / u.ms / 1e3, b.f->cycles_per_s / 1e6, baud, sim_cyc / (double)n,
	       100 * rx_busy / sim_cyc, hone_board_clks_per_bit());
	printf("  run bytes: host -> board %.0f wire, %.0f payload (%.1f %%); board -> host "
	       "%.0f wire, %.0f payload (%.1f %%); %llu frames resent, %llu timeouts, %llu NAKs\n",
	       out, pout, 100 * pout / out, in, pin, 100 * pin / in, (unsigned long long)retx,
	       (unsigned long long)tmo, (unsigned long long)naks);
	printf("  usb, whole session: %llu IN packets (%llu status only), %llu bytes with "
	       "their status bytes, %llu without; board pins: %llu bytes in, %llu out\n",
	       (unsigned long long)fs.packets_in, (unsigned long long)fs.status_only,
	       (unsigned long long)fs.usb_bytes_in, (unsigned long long)fs.bytes_in,
	       (unsigned long long)s2.bytes_in, (unsigned long long)s2.bytes_out);
	printf("usb -> FT2232H -> RTL (%s): %zu Fashion-MNIST images, %zu ticks, 0 mismatches; "
	       "per image %.1f wire bytes out (%.1f %% payload), %.1f in (%.1f %%); line rate "
	       "allows %.0f images/s at 3 Mbaud, %.0f at 12 Mbaud\n", CONFIG, n, u.ticks,
	       per_out, 100 * pout / out, per_in, 100 * pin / in, 3e5 / worst, 1.2e6 / worst);
	if (retx || tmo)
		printf("  note: frames were resent: the machine was slower than the baud rate "
		       "the host was told (HONE_USB_RTL_BAUD sets another)\n");
	/* Every IN packet carried its two status bytes; the pins saw what the
	 * host's link counted. */
	assert_int_equal(fs.usb_bytes_in - fs.bytes_in, 2 * fs.packets_in);
	assert_int_equal(fs.line_errors, 0);
	assert_int_equal(s2.framing_errors, 0);
	assert_int_equal(overrun, 0);
	assert_true(s2.bytes_in <= ls.wire_out);
	assert_true(s2.bytes_out >= ls.wire_in);

	hone_close(usb);
	bench_free(&b);
	run_out_free(&r);
	run_out_free(&u);
	free(pred_rs);
	free(g);
	hone_image_free(img);
	hone_net_free(net);
	hone_dataset_free(ds);
}

/* ---------------------------------------------------------------- faults */

/* A small network for up5k: the faults need a loaded image, not a big one. */
static hone_image *small_image(hone_net **net_out)
{
	const hone_config *cfg = hone_config_find(CONFIG);
	tu_net_opts o = {.max_depth = 3, .max_inputs = 64, .max_width = 32,
	                 .weight_bits = (int32_t)cfg->weight_bits, .input_bits_max = 4,
	                 .potential_bits = cfg->potential_bits, .lif = 0};
	for (uint64_t k = 0; k < 100; k++) {
		tu_rng r = {4242 + k};
		hone_net *net = tu_random_net(&r, &o);
		hone_image *img = NULL;
		hone_error e = {0};
		if (net && !hone_compile(net, cfg, NULL, &img, &e)) {
			*net_out = net;
			return img;
		}
		hone_net_free(net);
	}
	fail_msg("no random network fits %s", CONFIG);
	return NULL;
}

enum fault { UNPLUG, STALL_IN, STALL_OUT, HANG, FREEZE };

/* Stream ticks, 2 in flight, until the fault (injected at tick 30) ends
 * the run; checks the error and the time from the fault to it. The board
 * is opened at the rate the simulation keeps up with, as in the run above:
 * told more, the host would resend frames the board is still reading. */
static void fault_run(enum fault kind, int want_rc, const char *want_msg, double bound_ms)
{
	bench b = bench_new();
	hone_net *net = NULL;
	hone_image *img = small_image(&net);
	hone_error err = {0};
	char opts[64];
	uint32_t baud = sim_baud(b.f);
	snprintf(opts, sizeof opts, ",baud=%u", baud);
	hone_device *usb = open_usb(opts);
	printf("  board model %.2f M cycles/s alone: host told %u baud\n",
	       b.f->cycles_per_s / 1e6, baud);
	if (hone_load(usb, img, &err))
		fail_msg("load: %s", err.msg);
	hone_event *ev = malloc((size_t)img->n_inputs * sizeof *ev);
	tu_rng r = {5};
	int rc = 0;
	double t_fault = 0;
	for (int t = 0; t < 100000 && !rc; t++) {
		if (t == 30) {
			if (kind == UNPLUG)
				ftdi_emu_unplug(b.e, 0);
			else if (kind == STALL_IN)
				ftdi_emu_stall(b.e, 0, 0x83);
			else if (kind == STALL_OUT)
				ftdi_emu_stall(b.e, 0, 0x04);
			else if (kind == HANG)
				ftdi_emu_hang(b.e, 0, true);
			else
				far_freeze(b.f, true);
			t_fault = now_ms();
		}
		size_t m = 0;
		for (int32_t i = 0; i < img->n_inputs; i++)
			if (tu_chance(&r, 0.4))
				ev[m++] = (hone_event){.input = (uint32_t)i,
				                       .g = (uint8_t)tu_range(&r, 1, (1 << img->input_bits) - 1)};
		rc = hone_push_events(usb, ev, m, &err);
		if (!rc)
			rc = hone_end_tick(usb, &err);
		while (!rc && hone_pending(usb) > (t < 30 ? 2u : 0u)) {
			hone_tick_result res;
			rc = hone_next_result(usb, &res, &err);
		}
	}
	double dt = now_ms() - t_fault;
	printf("  -> %s %.0f ms after the fault: %s\n", hone_strerror(rc), dt, err.msg);
	assert_int_equal(rc, want_rc);
	assert_non_null(strstr(err.msg, want_msg));
	assert_true(dt < bound_ms);
	/* Sticky: the next request fails at once (results that arrived
	 * before the fault may still be taken). The close is quick. */
	hone_counters c;
	double t0 = now_ms();
	int rc2 = hone_read_counters(usb, &c, &err);
	double ds = now_ms() - t0;
	assert_int_equal(rc2, want_rc);
	assert_true(ds < 100);
	t0 = now_ms();
	hone_close(usb);
	double dc = now_ms() - t0;
	printf("  close in %.0f ms\n", dc);
	assert_true(dc < 1000);
	free(ev);
	hone_image_free(img);
	hone_net_free(net);
	bench_free(&b);
}

static void test_unplug(void **state)
{
	(void)state;
	fault_run(UNPLUG, HONE_ERR_NO_DEVICE, "vanished", 1000);
}

static void test_stall_in(void **state)
{
	(void)state;
	fault_run(STALL_IN, HONE_ERR_IO, "stalled", 1000);
}

static void test_stall_out(void **state)
{
	(void)state;
	fault_run(STALL_OUT, HONE_ERR_IO, "stalled", 1000);
}

static void test_hang(void **state)
{
	(void)state;
	fault_run(HANG, HONE_ERR_TIMEOUT, "sent nothing", 1000);
}

/* The FPGA stops (its clock, say) while the FT2232H stays alive and
 * keeps sending status packets: the link layer ends it, the chip no
 * longer acknowledging (25 retransmission timeouts in a row, each 20 ms
 * plus the wire time of the frames in flight at the baud rate: 0.55 s at
 * 3 Mbaud, 0.85 s at the 125 kbaud the simulation keeps up with). */
static void test_fpga_stops(void **state)
{
	(void)state;
	fault_run(FREEZE, HONE_ERR_TIMEOUT, "stopped acknowledging", 2000);
}

/* The RTL answers the open: CAPS of up5k, the link's protocol version,
 * the chip's tick count. */
static void test_open(void **state)
{
	(void)state;
	bench b = bench_new();
	double t0 = now_ms();
	hone_device *usb = open_usb("");
	double dt = now_ms() - t0;
	hone_caps caps;
	hone_error err = {0};
	assert_int_equal(hone_get_caps(usb, &caps, &err), 0);
	printf("  open in %.0f ms: backend %s, config %s, protocol %u, build %s; "
	       "board model %.2f M cycles/s, %u clocks a bit\n", dt, caps.backend,
	       caps.cfg.name, caps.protocol_version, caps.build_id,
	       b.f->cycles_per_s / 1e6, hone_board_clks_per_bit());
	assert_string_equal(caps.cfg.name, CONFIG);
	assert_int_equal(caps.protocol_version, HONE_LINK_VERSION);
	hone_counters c;
	assert_int_equal(hone_read_counters(usb, &c, &err), 0);
	assert_int_equal(c.ticks, 0);
	assert_true(c.cycles > 0);
	hone_close(usb);
	bench_free(&b);
}

int main(int argc, char **argv)
{
	if (!ftdi_emu_preloaded())
		return ftdi_emu_reexec(argv);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_fashion_mnist),
		cmocka_unit_test(test_unplug),
		cmocka_unit_test(test_stall_in),
		cmocka_unit_test(test_stall_out),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_fpga_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* HONE_HAVE_UMOCKDEV && HONE_HAVE_BOARD */
