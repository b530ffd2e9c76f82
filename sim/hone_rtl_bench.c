/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone_rtl_bench: throughput figures of the RTL in cycle-accurate
 * simulation, every cycle count read from the chip's COUNTERS command.
 *
 *   1. one event into 256 neurons (up5k): cycles, and the steady rate of
 *      back-to-back events (SOP/cycle against the 16-lane peak);
 *   2. a 784-256-64-40 random-weight Whetstone network with graded
 *      Fashion-MNIST inputs (synthetic 50%-dense pixels if the data set is
 *      absent), pipelined one sample per tick: SOP/cycle against
 *      cores*lanes, for each configuration given;
 *   3. Verilator against Icarus: simulated cycles per wall second on the
 *      same command stream (up5k).
 *
 *   hone_rtl_bench [--samples N] [--configs up5k,sim16] [--icarus VVP_DIR]
 *                  [--json]
 */
#include "hone_internal.h"

#include "hone_vsim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OP_WRITE, OP_READ, OP_EVENT, OP_TICK, OP_TRACE, OP_COUNTERS, OP_CAPS };
enum { RSP_READ_DATA, RSP_SPIKE, RSP_TICK_DONE, RSP_TRACE, RSP_COUNTER, RSP_CAPS };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 12345;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void die(const char *what, const hone_error *err)
{
	fprintf(stderr, "hone_rtl_bench: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

/* ------------------------------------------------ command streams */

typedef struct cmd {
	uint8_t op, target, mem;
	uint16_t addr;
	uint64_t data;
} cmd;

typedef struct stream {
	cmd *c;
	size_t n, cap;
} stream;

static void put(stream *s, unsigned op, unsigned target, unsigned mem, unsigned addr, uint64_t data)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->c = realloc(s->c, s->cap * sizeof *s->c);
		if (!s->c)
			die("out of memory", NULL);
	}
	s->c[s->n++] = (cmd){(uint8_t)op, (uint8_t)target, (uint8_t)mem, (uint16_t)addr, data};
}

/* COUNTERS on the shim: the four words. */
static void vs_counters(hone_vsim *vs, uint64_t out[4])
{
	if (hone_vsim_cmd(vs, OP_COUNTERS, 0, 0, 0, 0))
		die("COUNTERS not taken", NULL);
	unsigned got = 0, kind;
	uint64_t data;
	while (got < 4) {
		if (!hone_vsim_poll(vs, &kind, &data)) {
			hone_vsim_run(vs, 1);
			continue;
		}
		if (kind == RSP_COUNTER)
			out[got++] = data;
	}
}

static void vs_send(hone_vsim *vs, const stream *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (hone_vsim_cmd(vs, s->c[i].op, s->c[i].target, s->c[i].mem, s->c[i].addr, s->c[i].data))
			die("command not taken (deadlock?)", NULL);
		unsigned kind;
		uint64_t data;
		while (hone_vsim_poll(vs, &kind, &data))
			;
	}
}

/* ------------------------------------------ 1. one event, 256 neurons */

typedef struct event_figures {
	uint64_t one_event_cycles, burst_events, burst_cycles, burst_sops;
} event_figures;

static event_figures bench_one_event(void)
{
	event_figures f = {0};
	const hone_config *cfg = hone_config_find("up5k");
	hone_vsim *vs = hone_vsim_new("up5k", NULL);
	if (!vs)
		die("no up5k Verilator model in this build", NULL);
	const uint32_t rows = 64, wpr = 256 / cfg->lanes;
	stream s = {0};
	put(&s, OP_WRITE, 0xFF, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, 1);
	put(&s, OP_WRITE, 0xFF, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 0);
	put(&s, OP_WRITE, 0xFF, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, rows);
	put(&s, OP_WRITE, 0, HONE_MEM_COREREG, HONE_COREREG_N_NEURONS, 256);
	hone_axseg a = {.first = 0, .count = rows, .weight_base = 0, .neuron_first = 0, .row_neurons = 256};
	put(&s, OP_WRITE, 0, HONE_MEM_AXSEG, 0, hone_axseg_pack(&a));
	for (uint32_t w = 0; w < rows * wpr; w++)
		put(&s, OP_WRITE, 0, HONE_MEM_WEIGHT, w, rnd() & ((1ull << (cfg->lanes * cfg->weight_bits)) - 1));
	for (uint32_t n = 0; n < 256; n++) {
		hone_nparam p = {.threshold = 30000, .bias = 0, .profile = 0, .enable = true};
		put(&s, OP_WRITE, 0, HONE_MEM_NPARAM, n, hone_nparam_pack(&p));
	}
	put(&s, OP_WRITE, 0xFF, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
	vs_send(vs, &s);

	uint64_t c0[4], c1[4], c2[4], c3[4];
	vs_counters(vs, c0);
	vs_counters(vs, c1); /* baseline: COUNTERS to COUNTERS */
	if (hone_vsim_cmd(vs, OP_EVENT, 0, 0, 0, 1))
		die("EVENT", NULL);
	vs_counters(vs, c2);
	f.one_event_cycles = (c2[0] - c1[0]) - (c1[0] - c0[0]);
	/* A burst: every row once, back to back (the chip queues them). */
	for (uint32_t i = 0; i < rows; i++)
		if (hone_vsim_cmd(vs, OP_EVENT, 0, 0, i, 1 + (uint32_t)(rnd() % 15)))
			die("EVENT", NULL);
	vs_counters(vs, c3);
	/* Events and sops are committed per tick: end one to read them. */
	if (hone_vsim_cmd(vs, OP_TICK, 0, 0, 0, 0) || hone_vsim_run_until(vs, RSP_TICK_DONE))
		die("TICK", NULL);
	uint64_t c4[4];
	vs_counters(vs, c4);
	f.burst_events = rows;
	f.burst_cycles = (c3[0] - c2[0]) - (c1[0] - c0[0]);
	f.burst_sops = (uint64_t)rows * 256;
	if (c4[1] != rows + 1 || c4[2] != (rows + 1) * 256ull) {
		fprintf(stderr, "hone_rtl_bench: counted %" PRIu64 " events %" PRIu64 " sops\n", c4[1], c4[2]);
		exit(1);
	}
	hone_vsim_free(vs);
	free(s.c);
	return f;
}

/* ------------------------------------ 2. the 784-256-64-40 network */

/* Thresholds: each layer's at the 85th percentile of its neurons' u over
 * the calibration samples, so about 15% of them fire. */
static hone_net *make_net(const uint8_t *x, int n_cal)
{
	int32_t sizes[] = {784, 256, 64, 40};
	hone_net *net = hone_net_new(3, sizes);
	net->input_bits = 4;
	net->weight_bits = 4;
	for (int l = 0; l < 3; l++) {
		hone_layer *ly = &net->layers[l];
		for (int64_t k = 0; k < (int64_t)ly->n_in * ly->n_out; k++)
			ly->weight[k] = (int32_t)(rnd() % 16) - 8;
		for (int i = 0; i < ly->n_out; i++)
			ly->threshold[i] = 1 << 14; /* nothing fires while calibrating */
	}
	hone_net_set_nhot(net, 10, 4);
	int32_t total = hone_net_total_neurons(net);
	int32_t *u = malloc((size_t)n_cal * 3 * (size_t)total * sizeof *u);
	hone_event *ev = malloc(784 * (size_t)n_cal * sizeof *ev);
	size_t n_ev = 0;
	for (int k = 0; k < n_cal; k++)
		for (int i = 0; i < 784; i++)
			if (x[k * 784 + i])
				ev[n_ev++] = (hone_event){.tick = (uint32_t)k, .input = (uint32_t)i, .g = x[k * 784 + i]};
	int32_t off = 0;
	for (int l = 0; l < 3; l++) {
		hone_error err = {0};
		uint32_t ticks = (uint32_t)n_cal + 3;
		if (hone_evaluate(net, ev, n_ev, ticks, NULL, u, NULL, &err))
			die("evaluate", &err);
		hone_layer *ly = &net->layers[l];
		int32_t *col = malloc((size_t)n_cal * sizeof *col);
		for (int i = 0; i < ly->n_out; i++) {
			for (int k = 0; k < n_cal; k++)
				col[k] = u[(size_t)(k + l) * (size_t)total + (size_t)(off + i)];
			for (int a = 1; a < n_cal; a++)
				for (int b = a; b > 0 && col[b - 1] > col[b]; b--) {
					int32_t t = col[b];
					col[b] = col[b - 1];
					col[b - 1] = t;
				}
			int32_t th = col[(n_cal * 85) / 100];
			ly->threshold[i] = th > 1 ? th : 1;
		}
		free(col);
		off += ly->n_out;
	}
	free(u);
	free(ev);
	return net;
}

typedef struct net_figures {
	char config[16];
	double peak;
	uint64_t samples, ticks, cycles, sops, events;
	double wall, mismatches;
} net_figures;

static net_figures bench_network(const char *config, const hone_net *net, const uint8_t *x,
                                 int samples)
{
	net_figures f = {0};
	snprintf(f.config, sizeof f.config, "%s", config);
	const hone_config *cfg = hone_config_find(config);
	f.peak = hone_config_peak_sop_per_cycle(cfg);
	hone_image *img = NULL;
	hone_error err = {0};
	if (hone_compile(net, cfg, NULL, &img, &err))
		die("compile", &err);
	char uri[32];
	snprintf(uri, sizeof uri, "sim:%s", config);
	hone_device *sim = NULL, *ref = NULL;
	if (hone_open(uri, &sim, &err) || hone_open("ref:", &ref, &err) ||
	    hone_load(sim, img, &err) || hone_load(ref, img, &err))
		die(uri, &err);
	hone_counters c0, c1;
	if (hone_read_counters(sim, &c0, &err))
		die("counters", &err);
	double t0 = now();
	hone_event ev[784];
	uint32_t ticks = (uint32_t)samples + (uint32_t)net->n_layers - 1;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t n = 0;
		if ((int)t < samples)
			for (int i = 0; i < 784; i++)
				if (x[(size_t)t * 784 + (size_t)i])
					ev[n++] = (hone_event){.tick = t, .input = (uint32_t)i, .g = x[(size_t)t * 784 + (size_t)i]};
		if (hone_push_events(sim, ev, n, &err) || hone_end_tick(sim, &err) ||
		    hone_push_events(ref, ev, n, &err) || hone_end_tick(ref, &err))
			die("run", &err);
		hone_tick_result a, b;
		if (hone_next_result(sim, &a, &err))
			die("result", &err);
		uint32_t spk[64];
		size_t na = a.n_spikes < 64 ? a.n_spikes : 64;
		memcpy(spk, a.spikes, na * sizeof *spk);
		if (hone_next_result(ref, &b, &err))
			die("result", &err);
		if (na != b.n_spikes || memcmp(spk, b.spikes, na * sizeof *spk))
			f.mismatches++;
	}
	if (hone_read_counters(sim, &c1, &err))
		die("counters", &err);
	f.wall = now() - t0;
	f.samples = (uint64_t)samples;
	f.ticks = c1.ticks - c0.ticks;
	f.cycles = c1.cycles - c0.cycles;
	f.sops = c1.sops - c0.sops;
	f.events = c1.events - c0.events;
	hone_close(sim);
	hone_close(ref);
	hone_image_free(img);
	return f;
}

/* ------------------------------------------ 3. Verilator vs Icarus */

typedef struct speed_figures {
	uint64_t cycles_v, cycles_i;
	double wall_v, wall_i;
} speed_figures;

static speed_figures bench_speed(const hone_net *net, const uint8_t *x, int samples,
                                 const char *icarus_dir)
{
	speed_figures f = {0};
	const hone_config *cfg = hone_config_find("up5k");
	hone_image *img = NULL;
	hone_error err = {0};
	if (hone_compile(net, cfg, NULL, &img, &err))
		die("compile", &err);
	stream s = {0};
	for (size_t i = 0; i < img->n_writes; i++)
		put(&s, OP_WRITE, img->writes[i].target, img->writes[i].mem, img->writes[i].addr,
		    img->writes[i].data);
	for (int t = 0; t < samples + 2; t++) {
		for (int i = 0; t < samples && i < 784; i++)
			if (x[(size_t)t * 784 + (size_t)i])
				put(&s, OP_EVENT, 0, 0, (unsigned)i, x[(size_t)t * 784 + (size_t)i]);
		put(&s, OP_TICK, 0, 0, 0, 0);
	}
	put(&s, OP_COUNTERS, 0, 0, 0, 0);
	put(&s, OP_CAPS, 0, 0, 0, 0);

	double t0 = now();
	hone_vsim *vs = hone_vsim_new("up5k", NULL);
	vs_send(vs, &s);
	if (hone_vsim_run_until(vs, RSP_CAPS))
		die("CAPS", NULL);
	f.wall_v = now() - t0;
	f.cycles_v = hone_vsim_cycles(vs);
	hone_vsim_free(vs);

	char vvp[600], hex[600], rsp[600], line[256];
	snprintf(vvp, sizeof vvp, "%s/up5k.vvp", icarus_dir);
	snprintf(hex, sizeof hex, "%s/bench.hex", icarus_dir);
	snprintf(rsp, sizeof rsp, "%s/bench.rsp", icarus_dir);
	if (icarus_dir && access(vvp, R_OK) == 0) {
		FILE *fh = fopen(hex, "w");
		for (size_t i = 0; fh && i < s.n; i++)
			fprintf(fh, "%08x%016llx\n",
			        ((uint32_t)(s.c[i].op & 7) << 27) | ((uint32_t)s.c[i].target << 19) |
			                ((uint32_t)(s.c[i].mem & 7) << 16) | s.c[i].addr,
			        (unsigned long long)s.c[i].data);
		if (fh)
			fclose(fh);
		char cmdline[2048];
		snprintf(cmdline, sizeof cmdline, "vvp -n '%s' +cmds='%s' +n=%zu +rsps='%s' >/dev/null", vvp,
		         hex, s.n, rsp);
		t0 = now();
		if (system(cmdline) == 0) {
			f.wall_i = now() - t0;
			FILE *fr = fopen(rsp, "r");
			while (fr && fgets(line, sizeof line, fr))
				if (!strncmp(line, "# cycles", 8))
					f.cycles_i = strtoull(line + 9, NULL, 10);
			if (fr)
				fclose(fr);
		}
		unlink(hex);
		unlink(rsp);
	}
	free(s.c);
	hone_image_free(img);
	return f;
}

/* ----------------------------------------------------------- main */

int main(int argc, char **argv)
{
	int samples = 40, json = 0;
	const char *configs = "up5k,sim16", *icarus = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--samples") && i + 1 < argc)
			samples = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--configs") && i + 1 < argc)
			configs = argv[++i];
		else if (!strcmp(argv[i], "--icarus") && i + 1 < argc)
			icarus = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			fprintf(stderr, "usage: %s [--samples N] [--configs a,b] [--icarus DIR] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (samples < 8)
		samples = 8;

	/* Inputs: Fashion-MNIST test images at 4 bits, or synthetic ones. */
	int n_cal = 32;
	int n_x = samples > n_cal ? samples : n_cal;
	uint8_t *x = calloc((size_t)n_x * 784, 1);
	hone_dataset *d = NULL;
	const char *source = "synthetic (50% of pixels 1..15)";
	if (hone_dataset_fashion_mnist(NULL, "test", n_x, &d, NULL) == 0 && d->n >= n_x) {
		for (int k = 0; k < n_x; k++)
			hone_dataset_quantize(d, k, 4, x + (size_t)k * 784);
		source = "Fashion-MNIST test images at 4 bits";
	} else {
		for (size_t i = 0; i < (size_t)n_x * 784; i++)
			x[i] = (rnd() & 1) ? (uint8_t)(1 + rnd() % 15) : 0;
	}
	hone_dataset_free(d);
	size_t nz = 0;
	for (size_t i = 0; i < (size_t)samples * 784; i++)
		nz += x[i] != 0;
	hone_net *net = make_net(x, n_cal);

	event_figures ef = bench_one_event();
	net_figures nf[8];
	int n_nf = 0;
	char list[128];
	snprintf(list, sizeof list, "%s", configs);
	for (char *tok = strtok(list, ","); tok && n_nf < 8; tok = strtok(NULL, ","))
		nf[n_nf++] = bench_network(tok, net, x, samples);
	speed_figures sf = bench_speed(net, x, samples < 8 ? samples : 8, icarus);

	double vps = sf.wall_v > 0 ? (double)sf.cycles_v / sf.wall_v : 0;
	double ips = sf.wall_i > 0 ? (double)sf.cycles_i / sf.wall_i : 0;
	if (json) {
		printf("{\"one_event_256_neurons_cycles\": %" PRIu64 ", \"burst_sop_per_cycle\": %.3f, "
		       "\"input_density\": %.3f, \"networks\": [",
		       ef.one_event_cycles, (double)ef.burst_sops / (double)ef.burst_cycles,
		       (double)nz / ((double)samples * 784));
		for (int i = 0; i < n_nf; i++)
			printf("%s{\"config\": \"%s\", \"images\": %" PRIu64 ", \"ticks\": %" PRIu64
			       ", \"cycles\": %" PRIu64 ", \"sops\": %" PRIu64 ", \"sop_per_cycle\": %.3f, "
			       "\"peak_sop_per_cycle\": %.0f, \"mismatches\": %.0f}",
			       i ? ", " : "", nf[i].config, nf[i].samples, nf[i].ticks, nf[i].cycles, nf[i].sops,
			       (double)nf[i].sops / (double)nf[i].cycles, nf[i].peak, nf[i].mismatches);
		printf("], \"verilator_cycles_per_s\": %.0f, \"icarus_cycles_per_s\": %.0f}\n", vps, ips);
	} else {
		printf("RTL figures (cycles from the COUNTERS command)\n");
		printf("  one event into 256 neurons (up5k, 16 lanes):  %" PRIu64 " cycles "
		       "(bound 2*256/16 = 32; ODIN: 512)\n", ef.one_event_cycles);
		printf("  %" PRIu64 " back-to-back events x 256 neurons:        %" PRIu64
		       " cycles, %.2f SOP/cycle of 16\n", ef.burst_events, ef.burst_cycles,
		       (double)ef.burst_sops / (double)ef.burst_cycles);
		printf("  784-256-64-40 network, inputs: %s, %.1f%% of pixels send an event\n", source,
		       100.0 * (double)nz / ((double)samples * 784));
		for (int i = 0; i < n_nf; i++)
			printf("    %-6s %3" PRIu64 " images %4" PRIu64 " ticks %9" PRIu64 " cycles %9" PRIu64
			       " sops  %6.2f SOP/cycle of %2.0f (%4.1f%%)  %.0f cycles/image  mismatches vs ref %.0f\n",
			       nf[i].config, nf[i].samples, nf[i].ticks, nf[i].cycles, nf[i].sops,
			       (double)nf[i].sops / (double)nf[i].cycles, nf[i].peak,
			       100.0 * (double)nf[i].sops / (double)nf[i].cycles / nf[i].peak,
			       (double)nf[i].cycles / (double)nf[i].samples, nf[i].mismatches);
		printf("  simulation speed, up5k, same command stream (%" PRIu64 " cycles):\n", sf.cycles_v);
		printf("    Verilator %.0f cycles/s", vps);
		if (ips > 0)
			printf(", Icarus %.0f cycles/s: Verilator %.0fx faster\n", ips, vps / ips);
		else
			printf(", Icarus not run (--icarus DIR with up5k.vvp)\n");
	}
	hone_net_free(net);
	free(x);
	return 0;
}
