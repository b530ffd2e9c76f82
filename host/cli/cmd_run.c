/* SPDX-License-Identifier: Apache-2.0 */
/* hone run / hone verify: stream inputs through one backend, or through
 * several in lock step comparing every spike and every potential. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char run_help[] =
	"usage: hone run NET.himg [--backend ref|sim|usb] [inputs] [options]\n"
	"\n"
	"Stream a data set or an event file through a backend and print the\n"
	"results. Data sets are decoded with the image's N-hot output key and\n"
	"scored against their labels.\n"
	"\n"
	"inputs (default: the data set matching the image's input count):\n"
	"      --dataset NAME     fashion-mnist or digits\n"
	"      --split NAME       test (default) or train; digits: the fixed 80/20 split\n"
	"      --limit N          the first N samples only\n"
	"      --events FILE      an event file (docs/event-file.md); prints the\n"
	"                         output spikes of every tick\n"
	"options:\n"
	"  -b, --backend NAME     ref (C reference model, default), sim (Verilator\n"
	"                         RTL), usb (a board); or a full device URI\n"
	"      --json             one JSON object on stdout\n"
	"  -q, --quiet            no progress indication\n"
	"  -h, --help             this text\n";

static const char verify_help[] =
	"usage: hone verify NET.himg [--backends ref,sim] [inputs] [options]\n"
	"\n"
	"Run the same inputs through several backends in lock step, tick by\n"
	"tick, comparing every output spike, every neuron's spike bit and\n"
	"integrated potential, and the event and synaptic-operation counters.\n"
	"Exits 1 on any mismatch.\n"
	"\n"
	"inputs: --dataset NAME, --split NAME, --limit N (default 100), --events FILE\n"
	"options:\n"
	"  -B, --backends LIST    comma-separated backends or URIs (default ref,sim)\n"
	"      --json             one JSON object on stdout\n"
	"  -q, --quiet            no progress indication\n"
	"  -h, --help             this text\n";

static const char *backend_uri(const char *b)
{
	if (strchr(b, ':'))
		return b;
	if (!strcmp(b, "ref"))
		return "ref:";
	if (!strcmp(b, "sim"))
		return "sim:";
	if (!strcmp(b, "icarus"))
		return "sim:icarus";
	if (!strcmp(b, "usb"))
		return "usb:";
	return NULL;
}

static int open_loaded(const char *sub, const char *backend, const hone_image *img,
                       hone_device **dev)
{
	const char *uri = backend_uri(backend);
	if (!uri)
		return cli_error(sub, "unknown backend '%s' (ref, sim, icarus, usb, or a URI)", backend);
	hone_error e = {0};
	int rc = hone_open(uri, dev, &e);
	if (!rc)
		rc = hone_load(*dev, img, &e);
	if (rc) {
		hone_close(*dev);
		*dev = NULL;
		return cli_error_from(sub, &e, rc);
	}
	return 0;
}

static void json_counters(const hone_counters *c, const hone_config *cfg)
{
	printf("\"ticks\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"events\": %" PRIu64
	       ", \"sops\": %" PRIu64 ", ",
	       c->ticks, c->cycles, c->events, c->sops);
	if (c->cycles)
		printf("\"sop_per_cycle\": %.4f, ", (double)c->sops / (double)c->cycles);
	else
		printf("\"sop_per_cycle\": null, ");
	printf("\"peak_sop_per_cycle\": %.0f", hone_config_peak_sop_per_cycle(cfg));
}

static int run_events(const char *sub, hone_device *dev, const hone_image *img,
                      const hone_event_stream *s, bool json)
{
	hone_error e = {0};
	uint64_t ticks = s->n_ticks + (uint64_t)img->depth - 1;
	size_t k = 0;
	if (json)
		printf("\"ticks_out\": [");
	for (uint64_t t = 0; t < ticks; t++) {
		size_t k0 = k;
		while (k < s->n && s->ev[k].tick == t)
			k++;
		int rc = hone_push_events(dev, s->ev + k0, k - k0, &e);
		if (!rc)
			rc = hone_end_tick(dev, &e);
		hone_tick_result r;
		if (!rc)
			rc = hone_next_result(dev, &r, &e);
		if (rc)
			return cli_error_from(sub, &e, rc);
		if (json) {
			printf("%s{\"tick\": %" PRIu64 ", \"spikes\": [", t ? ", " : "", r.tick);
			for (size_t i = 0; i < r.n_spikes; i++)
				printf("%s%u", i ? ", " : "", r.spikes[i]);
			printf("]}");
		} else {
			printf("tick %" PRIu64 ":", r.tick);
			for (size_t i = 0; i < r.n_spikes; i++)
				printf(" %u", r.spikes[i]);
			printf("\n");
		}
	}
	if (json)
		printf("], ");
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, 0, 'b'},
		{"dataset", required_argument, 0, 'd'},
		{"split", required_argument, 0, 's'},
		{"limit", required_argument, 0, 'n'},
		{"events", required_argument, 0, 'e'},
		{"json", no_argument, 0, 'j'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *backend = "ref", *dataset = NULL, *split = "test", *events = NULL;
	long limit = 0;
	bool json = false, quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': backend = optarg; break;
		case 'd': dataset = optarg; break;
		case 's': split = optarg; break;
		case 'n': limit = atol(optarg); break;
		case 'e': events = optarg; break;
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'h': fputs(run_help, stdout); return 0;
		default: fputs(run_help, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(run_help, stderr);
		return 2;
	}
	if (strcmp(split, "test") && strcmp(split, "train"))
		return cli_error("run", "unknown split '%s' (test or train)", split);
	hone_error e = {0};
	hone_image *img = NULL;
	int rc = hone_image_read(argv[optind], &img, &e);
	if (rc)
		return cli_error_from("run", &e, rc);
	cli_inputs in;
	hone_device *dev = NULL;
	int32_t *pred = NULL;
	rc = cli_load_inputs("run", dataset, events, split, limit, img, &in);
	if (rc)
		goto done;
	rc = open_loaded("run", backend, img, &dev);
	if (rc)
		goto done;
	hone_counters base;
	if ((rc = hone_read_counters(dev, &base, &e))) {
		rc = cli_error_from("run", &e, rc);
		goto done;
	}
	double t0 = cli_now();
	if (json)
		printf("{\"image\": \"%s\", \"backend\": \"%s\", \"inputs\": \"%s\", ",
		       argv[optind], backend, in.name);
	size_t correct = 0;
	if (in.events) {
		rc = run_events("run", dev, img, in.events, json);
		if (rc)
			goto done;
	} else {
		pred = malloc(in.n * sizeof *pred);
		if (!pred) {
			rc = cli_error("run", "out of memory");
			goto done;
		}
		cli_progress p;
		cli_progress_init(&p, "run", quiet);
		rc = hone_run_samples(dev, img, in.g, in.n, pred, cli_progress_cb, &p, &e);
		if (rc) {
			rc = cli_error_from("run", &e, rc);
			goto done;
		}
		for (size_t i = 0; i < in.n; i++)
			correct += pred[i] == in.ds->y[i];
	}
	double secs = cli_now() - t0;
	hone_counters ctr;
	rc = cli_counters_since(dev, &base, &ctr, &e);
	if (rc) {
		rc = cli_error_from("run", &e, rc);
		goto done;
	}
	if (json) {
		if (in.events)
			printf("\"accuracy\": null, \"images\": 0, ");
		else
			printf("\"accuracy\": %.4f, \"images\": %zu, \"correct\": %zu, ",
			       in.n ? (double)correct / (double)in.n : 0.0, in.n, correct);
		json_counters(&ctr, &img->cfg);
		printf(", \"mismatches\": null, \"seconds\": %.3f, \"images_per_second\": %.1f}\n",
		       secs, secs > 0 ? (double)in.n / secs : 0.0);
	} else {
		if (!in.events)
			printf("%s on %s: accuracy %.2f %% (%zu/%zu)\n", in.name, backend,
			       in.n ? 100.0 * (double)correct / (double)in.n : 0.0, correct, in.n);
		printf("ticks %" PRIu64 ", events %" PRIu64 ", synaptic ops %" PRIu64, ctr.ticks,
		       ctr.events, ctr.sops);
		if (ctr.cycles)
			printf(", cycles %" PRIu64 " (%.2f SOP/cycle of %.0f peak)", ctr.cycles,
			       (double)ctr.sops / (double)ctr.cycles,
			       hone_config_peak_sop_per_cycle(&img->cfg));
		printf("\n%.2f s, %.1f samples/s\n", secs, secs > 0 ? (double)in.n / secs : 0.0);
	}
done:
	free(pred);
	hone_close(dev);
	cli_inputs_free(&in);
	hone_image_free(img);
	return rc ? 1 : 0;
}

/* ------------------------------------------------------------- verify */

#define MAX_BACKENDS 4

typedef struct verify_state {
	const hone_image *img;
	int nb;
	hone_device *dev[MAX_BACKENDS];
	const char *name[MAX_BACKENDS];
	uint64_t ticks, spikes_compared, potentials_compared, mismatches;
	int reported;
	bool quiet;
	hone_counters base[MAX_BACKENDS]; /* right after loading */
	int32_t *counts;       /* decode of backend 0: per output neuron */
} verify_state;

/* Where slot (core, slot) sits in the network, for messages. */
static void locate(const hone_image *img, int core, int slot, int *layer, int *neuron)
{
	*layer = -1;
	*neuron = -1;
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *ch = &img->chunks[i];
		if (ch->core == core && slot >= ch->slot_first && slot < ch->slot_first + ch->count) {
			*layer = ch->layer + 1;
			*neuron = ch->neuron_first + (slot - ch->slot_first);
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void report(verify_state *vs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(verify_state *vs, const char *fmt, ...)
{
	vs->mismatches++;
	if (vs->reported++ >= 10)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("mismatch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* One tick on every backend; compare. decode: add backend 0's spikes. */
static int verify_tick(verify_state *vs, const hone_event *ev, size_t n, bool decode)
{
	hone_error e = {0};
	hone_tick_result r[MAX_BACKENDS];
	for (int b = 0; b < vs->nb; b++) {
		int rc = hone_push_events(vs->dev[b], ev, n, &e);
		if (!rc)
			rc = hone_end_tick(vs->dev[b], &e);
		if (!rc)
			rc = hone_next_result(vs->dev[b], &r[b], &e);
		if (rc)
			return cli_error("verify", "%s: %s", vs->name[b], e.msg[0] ? e.msg : hone_strerror(rc));
	}
	uint32_t *s0 = malloc((r[0].n_spikes + 1) * sizeof *s0);
	if (!s0)
		return cli_error("verify", "out of memory");
	memcpy(s0, r[0].spikes, r[0].n_spikes * sizeof *s0);
	qsort(s0, r[0].n_spikes, sizeof *s0, cmp_u32);
	if (decode)
		for (size_t i = 0; i < r[0].n_spikes; i++)
			if (s0[i] < (uint32_t)vs->img->n_outputs)
				vs->counts[s0[i]]++;
	for (int b = 1; b < vs->nb; b++) {
		vs->spikes_compared += r[0].n_spikes;
		uint32_t *sb = malloc((r[b].n_spikes + 1) * sizeof *sb);
		if (!sb) {
			free(s0);
			return cli_error("verify", "out of memory");
		}
		memcpy(sb, r[b].spikes, r[b].n_spikes * sizeof *sb);
		qsort(sb, r[b].n_spikes, sizeof *sb, cmp_u32);
		if (r[b].n_spikes != r[0].n_spikes ||
		    memcmp(sb, s0, r[0].n_spikes * sizeof *sb))
			report(vs, "tick %" PRIu64 ": %s emits %zu output spikes, %s %zu",
			       vs->ticks, vs->name[0], r[0].n_spikes, vs->name[b], r[b].n_spikes);
		free(sb);
		if (r[b].n_trace != r[0].n_trace) {
			report(vs, "tick %" PRIu64 ": trace sizes differ (%zu vs %zu)", vs->ticks,
			       r[0].n_trace, r[b].n_trace);
			continue;
		}
		uint32_t neurons = vs->img->cfg.neurons;
		for (size_t i = 0; i < r[0].n_trace; i++) {
			vs->potentials_compared++;
			if (r[0].trace_u[i] != r[b].trace_u[i] || r[0].trace_s[i] != r[b].trace_s[i]) {
				int layer, neuron;
				int core = (int)(i / neurons), slot = (int)(i % neurons);
				locate(vs->img, core, slot, &layer, &neuron);
				report(vs, "tick %" PRIu64 " core %d slot %d (layer %d neuron %d): "
				       "%s u=%d s=%d, %s u=%d s=%d", vs->ticks, core, slot, layer, neuron,
				       vs->name[0], r[0].trace_u[i], r[0].trace_s[i], vs->name[b],
				       r[b].trace_u[i], r[b].trace_s[i]);
			}
		}
	}
	free(s0);
	vs->ticks++;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backends", required_argument, 0, 'B'},
		{"dataset", required_argument, 0, 'd'},
		{"split", required_argument, 0, 's'},
		{"limit", required_argument, 0, 'n'},
		{"events", required_argument, 0, 'e'},
		{"json", no_argument, 0, 'j'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *dataset = NULL, *split = "test", *events = NULL;
	char backends[256] = "ref,sim", backends_shown[256];
	long limit = 100;
	bool json = false, quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "B:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'B': snprintf(backends, sizeof backends, "%s", optarg); break;
		case 'd': dataset = optarg; break;
		case 's': split = optarg; break;
		case 'n': limit = atol(optarg); break;
		case 'e': events = optarg; break;
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'h': fputs(verify_help, stdout); return 0;
		default: fputs(verify_help, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(verify_help, stderr);
		return 2;
	}
	hone_error e = {0};
	hone_image *img = NULL;
	int rc = hone_image_read(argv[optind], &img, &e);
	if (rc)
		return cli_error_from("verify", &e, rc);
	verify_state vs = {.img = img, .quiet = quiet};
	cli_inputs in;
	memset(&in, 0, sizeof in);
	hone_event *ev = malloc((size_t)img->n_inputs * sizeof *ev);
	vs.counts = calloc((size_t)img->n_outputs + 1, sizeof *vs.counts);
	if (!ev || !vs.counts) {
		rc = cli_error("verify", "out of memory");
		goto done;
	}
	memcpy(backends_shown, backends, sizeof backends_shown);
	for (char *save = NULL, *tok = strtok_r(backends, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (vs.nb == MAX_BACKENDS) {
			rc = cli_error("verify", "at most %d backends", MAX_BACKENDS);
			goto done;
		}
		vs.name[vs.nb] = tok;
		rc = open_loaded("verify", tok, img, &vs.dev[vs.nb]);
		if (rc)
			goto done;
		rc = hone_set_trace(vs.dev[vs.nb], 1, &e);
		if (!rc)
			rc = hone_read_counters(vs.dev[vs.nb], &vs.base[vs.nb], &e);
		vs.nb++;
		if (rc) {
			rc = cli_error_from("verify", &e, rc);
			goto done;
		}
	}
	if (vs.nb < 2) {
		rc = cli_error("verify", "need at least two backends (e.g. --backends ref,sim)");
		goto done;
	}
	rc = cli_load_inputs("verify", dataset, events, split, limit, img, &in);
	if (rc)
		goto done;
	double t0 = cli_now();
	size_t correct = 0;
	int32_t depth = img->depth;
	cli_progress p;
	cli_progress_init(&p, "verify", quiet);
	if (in.events) {
		uint64_t ticks = in.events->n_ticks + (uint64_t)depth - 1;
		size_t k = 0;
		for (uint64_t t = 0; t < ticks && !rc; t++) {
			size_t k0 = k;
			while (k < in.events->n && in.events->ev[k].tick == t)
				k++;
			rc = verify_tick(&vs, in.events->ev + k0, k - k0, false);
			cli_progress_cb(&p, (size_t)t + 1, (size_t)ticks);
		}
	} else if (img->carry == HONE_CARRY_NONE) {
		/* Pipelined: sample i in tick i, decoded at tick i + D - 1. */
		size_t ticks = in.n + (size_t)depth - 1;
		for (size_t t = 0; t < ticks && !rc; t++) {
			size_t n = 0;
			if (t < in.n)
				for (int32_t j = 0; j < img->n_inputs; j++) {
					uint8_t g = in.g[t * (size_t)img->n_inputs + (size_t)j];
					if (g)
						ev[n++] = (hone_event){.tick = (uint32_t)t, .input = (uint32_t)j, .g = g};
				}
			memset(vs.counts, 0, (size_t)img->n_outputs * sizeof *vs.counts);
			rc = verify_tick(&vs, ev, n, true);
			if (!rc && t >= (size_t)depth - 1) {
				size_t i = t - ((size_t)depth - 1);
				correct += hone_decode(img->output_class, img->n_outputs, img->n_classes,
				                       vs.counts) == in.ds->y[i];
				cli_progress_cb(&p, i + 1, in.n);
			}
		}
	} else {
		int32_t T = img->ticks_per_sample;
		for (size_t i = 0; i < in.n && !rc; i++) {
			for (int b = 0; b < vs.nb && !rc; b++)
				if ((rc = hone_reset_state(vs.dev[b], &e)))
					rc = cli_error_from("verify", &e, rc);
			size_t n = 0;
			for (int32_t j = 0; j < img->n_inputs; j++) {
				uint8_t g = in.g[i * (size_t)img->n_inputs + (size_t)j];
				if (g)
					ev[n++] = (hone_event){.input = (uint32_t)j, .g = g};
			}
			memset(vs.counts, 0, (size_t)img->n_outputs * sizeof *vs.counts);
			for (int32_t t = 0; t < T + depth - 1 && !rc; t++)
				rc = verify_tick(&vs, ev, t < T ? n : 0, t >= depth - 1);
			if (!rc)
				correct += hone_decode(img->output_class, img->n_outputs, img->n_classes,
				                       vs.counts) == in.ds->y[i];
			cli_progress_cb(&p, i + 1, in.n);
		}
	}
	if (rc)
		goto done;
	hone_counters ctr[MAX_BACKENDS];
	for (int b = 0; b < vs.nb; b++) {
		if ((rc = cli_counters_since(vs.dev[b], &vs.base[b], &ctr[b], &e))) {
			rc = cli_error_from("verify", &e, rc);
			goto done;
		}
		if (b && (ctr[b].events != ctr[0].events || ctr[b].sops != ctr[0].sops ||
		          ctr[b].ticks != ctr[0].ticks))
			report(&vs, "counters: %s events %" PRIu64 " sops %" PRIu64 " ticks %" PRIu64
			       ", %s events %" PRIu64 " sops %" PRIu64 " ticks %" PRIu64,
			       vs.name[0], ctr[0].events, ctr[0].sops, ctr[0].ticks, vs.name[b],
			       ctr[b].events, ctr[b].sops, ctr[b].ticks);
	}
	double secs = cli_now() - t0;
	/* Cycles come from the first backend that has a clock. */
	hone_counters shown = ctr[0];
	for (int b = 0; b < vs.nb; b++)
		if (ctr[b].cycles) {
			shown.cycles = ctr[b].cycles;
			break;
		}
	size_t images = in.events ? 0 : in.n;
	if (json) {
		printf("{\"image\": \"%s\", \"backends\": [", argv[optind]);
		for (int b = 0; b < vs.nb; b++)
			printf("%s\"%s\"", b ? ", " : "", vs.name[b]);
		printf("], \"inputs\": \"%s\", ", in.name);
		if (images)
			printf("\"accuracy\": %.4f, ", (double)correct / (double)images);
		else
			printf("\"accuracy\": null, ");
		printf("\"images\": %zu, ", images);
		json_counters(&shown, &img->cfg);
		printf(", \"ticks_compared\": %" PRIu64 ", \"spikes_compared\": %" PRIu64
		       ", \"potentials_compared\": %" PRIu64 ", \"mismatches\": %" PRIu64
		       ", \"seconds\": %.3f}\n",
		       vs.ticks, vs.spikes_compared, vs.potentials_compared, vs.mismatches, secs);
	} else {
		printf("%s: %s over %" PRIu64 " ticks: %" PRIu64 " output spikes and %" PRIu64
		       " potentials compared, %" PRIu64 " mismatches\n",
		       in.name, backends_shown, vs.ticks, vs.spikes_compared, vs.potentials_compared,
		       vs.mismatches);
		if (images)
			printf("accuracy %.2f %% (%zu/%zu)\n", 100.0 * (double)correct / (double)images,
			       correct, images);
	}
	rc = vs.mismatches ? 1 : 0;
done:
	for (int b = 0; b < vs.nb; b++)
		hone_close(vs.dev[b]);
	free(ev);
	free(vs.counts);
	cli_inputs_free(&in);
	hone_image_free(img);
	return rc ? 1 : 0;
}
