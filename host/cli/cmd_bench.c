/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone bench: the performance figures, measured side by side in one run
 * and reported as ratios, medians of repeated runs (machines are noisy).
 *
 * - reference model vs a dense OpenBLAS forward pass of the same integer
 *   network on the same images (predictions must agree: a third check of
 *   the contract for Whetstone networks);
 * - RTL in Verilator (when the sim backend is built): cycles, SOP/cycle
 *   against the configuration's weight-SRAM bound, simulated cycles per
 *   second.
 */
#include "cli.h"

#include <cblas.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: hone bench [options]\n"
	"\n"
	"Measure the performance figures in one run and print them as a table\n"
	"(stderr) and as JSON (stdout). Every rate is the median of --repeat runs.\n"
	"\n"
	"options:\n"
	"      --net NET.nir     network to measure (default: a fixed-seed random\n"
	"                        784-256-64-40 Whetstone network, thresholds\n"
	"                        calibrated so about 30 %% of hidden neurons spike)\n"
	"  -t, --target CONFIG   configuration (default up5k)\n"
	"  -n, --limit N         Fashion-MNIST test images for the ref model (default 2000)\n"
	"      --sim-limit N     images for the RTL backend (default 50)\n"
	"  -r, --repeat N        runs per measurement (default 3)\n"
	"      --json-only       no table\n"
	"  -h, --help            this text\n";

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

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Dense forward pass of a Whetstone network over a batch with OpenBLAS:
 * the integer contract computed in float32, exact because every partial
 * sum is an integer far below 2^24 (the compiler's bound keeps |u| <
 * 2^(P-1)). spikes_out: batch x n_out of the last layer. */
static int dense_forward(const hone_net *net, const uint8_t *g, size_t batch,
                         float **wts, uint8_t *spikes_out)
{
	size_t width = (size_t)net->n_inputs;
	for (int32_t l = 0; l < net->n_layers; l++)
		if ((size_t)net->layers[l].n_out > width)
			width = (size_t)net->layers[l].n_out;
	float *x = malloc(batch * width * sizeof *x), *u = malloc(batch * width * sizeof *u);
	if (!x || !u) {
		free(x);
		free(u);
		return HONE_ERR_NOMEM;
	}
	for (size_t i = 0; i < batch * (size_t)net->n_inputs; i++)
		x[i] = (float)g[i];
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *ly = &net->layers[l];
		for (size_t i = 0; i < batch; i++)
			for (int32_t j = 0; j < ly->n_out; j++)
				u[i * (size_t)ly->n_out + (size_t)j] = (float)ly->bias[j];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, ly->n_out,
		            ly->n_in, 1.0f, x, ly->n_in, wts[l], ly->n_in, 1.0f, u, ly->n_out);
		for (size_t i = 0; i < batch; i++)
			for (int32_t j = 0; j < ly->n_out; j++) {
				size_t k = i * (size_t)ly->n_out + (size_t)j;
				x[k] = u[k] >= (float)ly->threshold[j] ? 1.0f : 0.0f;
			}
	}
	int32_t n_out = net->layers[net->n_layers - 1].n_out;
	for (size_t i = 0; i < batch * (size_t)n_out; i++)
		spikes_out[i] = x[i] != 0.0f;
	free(x);
	free(u);
	return 0;
}

/* The default bench network: fixed seed, thresholds calibrated on the
 * first images so about 30 % of each hidden layer spikes. */
static hone_net *bench_net(const hone_config *cfg, const uint8_t *g, size_t n)
{
	const int32_t sizes[] = {784, 256, 64, 40};
	hone_net *net = hone_net_new(3, sizes);
	if (!net)
		return NULL;
	net->input_bits = (uint8_t)cfg->input_bits;
	net->weight_bits = (uint8_t)cfg->weight_bits;
	hone_net_set_nhot(net, 10, 4);
	uint64_t s = 12345;
	int32_t wmax = (1 << (cfg->weight_bits - 1)) - 1;
	for (int32_t l = 0; l < 3; l++) {
		hone_layer *ly = &net->layers[l];
		for (int64_t i = 0; i < (int64_t)ly->n_in * ly->n_out; i++) {
			/* Sparse-ish small weights keep layer 1 inside 16-bit potentials. */
			uint64_t r = rng_next(&s);
			ly->weight[i] = (r % 4 == 0) ? (int32_t)((r >> 8) % (uint64_t)(wmax + 1)) * ((r >> 40) & 1 ? 1 : -1) : 0;
		}
	}
	/* Calibrate layer by layer: with layer l silenced, record its u on
	 * the first images given the spikes of the calibrated layers below,
	 * then put each threshold at the 70th percentile. */
	size_t cal = n < 200 ? n : 200;
	int32_t total = hone_net_total_neurons(net);
	int32_t *u = malloc((size_t)total * 3 * sizeof *u);
	double *vals = malloc(cal * 256 * sizeof *vals);
	hone_event *ev = malloc(784 * sizeof *ev);
	int32_t off = 0;
	for (int32_t l = 0; l < 3 && u && vals && ev; l++) {
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

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{"net", required_argument, 0, 'N'},
		{"target", required_argument, 0, 't'},
		{"limit", required_argument, 0, 'n'},
		{"sim-limit", required_argument, 0, 'S'},
		{"repeat", required_argument, 0, 'r'},
		{"json-only", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *netpath = NULL, *target = "up5k";
	long limit = 2000, sim_limit = 50;
	int repeat = 3, c;
	bool table = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'N': netpath = optarg; break;
		case 't': target = optarg; break;
		case 'n': limit = atol(optarg); break;
		case 'S': sim_limit = atol(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		case 'j': table = false; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (repeat < 1 || repeat > 15 || limit < 1 || sim_limit < 0)
		return cli_error("bench", "bad --repeat/--limit/--sim-limit");
	const hone_config *cfg = hone_config_find(target);
	if (!cfg)
		return cli_error("bench", "unknown target '%s'", target);

	hone_error e = {0};
	hone_dataset *ds = NULL;
	hone_net *net = NULL;
	hone_image *img = NULL;
	hone_device *dev = NULL;
	uint8_t *g = NULL, *dense_spk = NULL;
	int32_t *pred_ref = NULL, *pred_sim = NULL;
	float *w[16] = {0};
	int rc = hone_dataset_fashion_mnist(NULL, "test", (int32_t)limit, &ds, &e);
	if (rc) {
		rc = cli_error_from("bench", &e, rc);
		goto done;
	}
	size_t n = (size_t)ds->n;
	g = malloc(n * 784);
	pred_ref = malloc(n * sizeof *pred_ref);
	pred_sim = malloc(n * sizeof *pred_sim);
	if (!g || !pred_ref || !pred_sim) {
		rc = cli_error("bench", "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		hone_dataset_quantize(ds, (int32_t)i, (int)cfg->input_bits, g + i * 784);
	if (netpath) {
		rc = hone_nir_read(netpath, (int)cfg->weight_bits, (int)cfg->input_bits, &net, &e);
		if (rc) {
			rc = cli_error_from("bench", &e, rc);
			goto done;
		}
	} else {
		net = bench_net(cfg, g, n);
	}
	if (!net || net->n_inputs != 784 || net->n_layers > 16) {
		rc = cli_error("bench", "the bench network must take 784 inputs");
		goto done;
	}
	rc = hone_compile(net, cfg, NULL, &img, &e);
	if (rc) {
		rc = cli_error_from("bench", &e, rc);
		goto done;
	}

	/* Reference model. */
	double t_ref[16], t_dense[16];
	hone_counters ref_ctr = {0};
	for (int k = 0; k < repeat; k++) {
		hone_counters base = {0};
		rc = hone_open("ref:", &dev, &e);
		if (!rc)
			rc = hone_load(dev, img, &e);
		if (!rc)
			rc = hone_read_counters(dev, &base, &e);
		double t0 = cli_now();
		if (!rc)
			rc = hone_run_samples(dev, img, g, n, pred_ref, NULL, NULL, &e);
		t_ref[k] = cli_now() - t0;
		if (!rc)
			rc = cli_counters_since(dev, &base, &ref_ctr, &e);
		hone_close(dev);
		dev = NULL;
		if (rc) {
			rc = cli_error_from("bench", &e, rc);
			goto done;
		}
	}
	/* Dense OpenBLAS pass of the same network (Whetstone networks). */
	bool dense_ok = true;
	for (int32_t l = 0; l < net->n_layers; l++)
		dense_ok &= net->layers[l].carry == HONE_CARRY_NONE;
	size_t dense_mismatch = 0;
	int32_t n_out = net->layers[net->n_layers - 1].n_out;
	if (dense_ok) {
		for (int32_t l = 0; l < net->n_layers; l++) {
			hone_layer *ly = &net->layers[l];
			w[l] = malloc((size_t)ly->n_in * (size_t)ly->n_out * sizeof *w[l]);
			if (!w[l]) {
				rc = cli_error("bench", "out of memory");
				goto done;
			}
			for (int64_t i = 0; i < (int64_t)ly->n_in * ly->n_out; i++)
				w[l][i] = (float)ly->weight[i];
		}
		dense_spk = malloc(n * (size_t)n_out);
		if (!dense_spk) {
			rc = cli_error("bench", "out of memory");
			goto done;
		}
		for (int k = 0; k < repeat; k++) {
			double t0 = cli_now();
			rc = dense_forward(net, g, n, w, dense_spk);
			t_dense[k] = cli_now() - t0;
			if (rc) {
				rc = cli_error("bench", "dense pass: %s", hone_strerror(rc));
				goto done;
			}
		}
		int32_t *counts = malloc((size_t)n_out * sizeof *counts);
		for (size_t i = 0; counts && i < n; i++) {
			for (int32_t j = 0; j < n_out; j++)
				counts[j] = dense_spk[i * (size_t)n_out + (size_t)j];
			dense_mismatch += hone_decode(net->output_class, n_out, net->n_classes, counts) !=
			                  pred_ref[i];
		}
		free(counts);
	}
	size_t correct = 0;
	for (size_t i = 0; i < n; i++)
		correct += pred_ref[i] == ds->y[i];
	double ref_rate = (double)n / median(t_ref, repeat);
	double dense_rate = dense_ok ? (double)n / median(t_dense, repeat) : 0;

	/* RTL in Verilator, when built. */
	char sim_why[HONE_ERROR_MSG_LEN] = "";
	hone_counters sim_ctr = {0};
	double t_sim = 0;
	size_t sim_n = (size_t)sim_limit < n ? (size_t)sim_limit : n, sim_mismatch = 0;
	hone_counters sim_base = {0};
	char sim_uri[32];
	snprintf(sim_uri, sizeof sim_uri, "sim:%s", cfg->name);
	rc = sim_n ? hone_open(sim_uri, &dev, &e) : HONE_ERR_INVALID;
	if (!rc)
		rc = hone_load(dev, img, &e);
	if (!rc)
		rc = hone_read_counters(dev, &sim_base, &e);
	if (!rc) {
		double t0 = cli_now();
		rc = hone_run_samples(dev, img, g, sim_n, pred_sim, NULL, NULL, &e);
		t_sim = cli_now() - t0;
		if (!rc)
			rc = cli_counters_since(dev, &sim_base, &sim_ctr, &e);
	}
	if (rc)
		snprintf(sim_why, sizeof sim_why, "%s", sim_n ? e.msg : "--sim-limit 0");
	else
		for (size_t i = 0; i < sim_n; i++)
			sim_mismatch += pred_sim[i] != pred_ref[i];
	hone_close(dev);
	dev = NULL;
	rc = 0;

	double peak = hone_config_peak_sop_per_cycle(cfg);
	printf("{\"target\": \"%s\", \"network\": \"%s\", \"images\": %zu, \"accuracy\": %.4f, "
	       "\"repeat\": %d, \"peak_sop_per_cycle\": %.0f,\n",
	       cfg->name, netpath ? netpath : "random-784-256-64-40", n,
	       (double)correct / (double)n, repeat, peak);
	printf(" \"ref\": {\"images_per_second\": %.1f, \"ticks\": %" PRIu64 ", \"events\": %" PRIu64
	       ", \"sops\": %" PRIu64 ", \"sops_per_image\": %.1f},\n",
	       ref_rate, ref_ctr.ticks, ref_ctr.events, ref_ctr.sops, (double)ref_ctr.sops / (double)n);
	if (dense_ok)
		printf(" \"dense_openblas\": {\"images_per_second\": %.1f, \"ref_over_dense\": %.3f, "
		       "\"prediction_mismatches\": %zu},\n",
		       dense_rate, ref_rate / dense_rate, dense_mismatch);
	else
		printf(" \"dense_openblas\": null,\n");
	if (!sim_why[0]) {
		double spc = sim_ctr.cycles ? (double)sim_ctr.sops / (double)sim_ctr.cycles : 0;
		printf(" \"sim\": {\"images\": %zu, \"cycles\": %" PRIu64 ", \"sops\": %" PRIu64
		       ", \"cycles_per_image\": %.1f, \"sop_per_cycle\": %.4f, \"efficiency\": %.4f, "
		       "\"sim_cycles_per_second\": %.0f, \"images_per_second_at_clock\": %.1f, "
		       "\"prediction_mismatches\": %zu},\n",
		       sim_n, sim_ctr.cycles, sim_ctr.sops, (double)sim_ctr.cycles / (double)sim_n, spc,
		       spc / peak, t_sim > 0 ? (double)sim_ctr.cycles / t_sim : 0,
		       sim_ctr.cycles ? cfg->clock_hz * (double)sim_n / (double)sim_ctr.cycles : 0,
		       sim_mismatch);
	} else {
		printf(" \"sim\": null, \"sim_unavailable\": \"%s\",\n", sim_why);
	}
	printf(" \"mismatches\": %zu}\n", dense_mismatch + sim_mismatch);

	if (table) {
		fprintf(stderr, "\nhone bench: %s, %s, %zu Fashion-MNIST test images (median of %d)\n",
		        cfg->name, netpath ? netpath : "random 784-256-64-40", n, repeat);
		fprintf(stderr, "  %-34s %12.1f images/s  (%.1f SOP/image)\n", "reference model",
		        ref_rate, (double)ref_ctr.sops / (double)n);
		if (dense_ok)
			fprintf(stderr, "  %-34s %12.1f images/s  ref/dense = %.3f, %zu prediction mismatches\n",
			        "dense OpenBLAS forward (same net)", dense_rate, ref_rate / dense_rate,
			        dense_mismatch);
		if (!sim_why[0]) {
			double spc = sim_ctr.cycles ? (double)sim_ctr.sops / (double)sim_ctr.cycles : 0;
			fprintf(stderr, "  %-34s %12.1f cycles/image, %.2f SOP/cycle = %.1f %% of %.0f peak\n",
			        "RTL (Verilator)", (double)sim_ctr.cycles / (double)sim_n, spc,
			        100 * spc / peak, peak);
			fprintf(stderr, "  %-34s %12.0f cycles/s, %zu prediction mismatches vs ref\n",
			        "Verilator speed", t_sim > 0 ? (double)sim_ctr.cycles / t_sim : 0, sim_mismatch);
		} else {
			fprintf(stderr, "  %-34s unavailable: %s\n", "RTL (Verilator)", sim_why);
		}
	}
done:
	for (int l = 0; l < 16; l++)
		free(w[l]);
	free(dense_spk);
	free(pred_ref);
	free(pred_sim);
	free(g);
	hone_image_free(img);
	hone_net_free(net);
	hone_dataset_free(ds);
	return rc ? 1 : 0;
}
