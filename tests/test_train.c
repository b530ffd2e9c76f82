/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone train: the promises of docs/training.md.
 *  - a fully sharpened layer is exactly a step at 0.5;
 *  - the training-time float forward at sharpness 1 with quantised weights
 *    is the integer network: every spike of every layer equals the
 *    evaluator's (hone_evaluate) on the exported network, sample by sample;
 *  - the overflow bound of docs/semantics.md holds after QAT's projection;
 *  - the schedules sharpen bottom-up and finish by their deadline;
 *  - the loss is the softmax cross-entropy on spike counts with the margins
 *    of --margin and --tie-margin;
 *  - binarization with threshold jitter is x > 127 without it, and with it
 *    flips only pixels inside the jitter's reach;
 *  - a short run learns (far above chance) on a digits subset;
 *  - checkpoint + resume reproduces the uninterrupted run bit for bit.
 * Data sets are small slices of the 8x8 digits; tests skip without them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hone_internal.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int load_digits(hone_dataset **tr, hone_dataset **te)
{
	const char *path = hone_dataset_digits_default_path();
	hone_dataset *all = NULL;
	if (!path || hone_dataset_digits(path, &all, NULL))
		return -1;
	int rc = hone_dataset_split(all, HT_DIGITS_TEST_FRACTION, HT_DIGITS_SPLIT_SEED, tr, te);
	hone_dataset_free(all);
	return rc;
}

/* ------------------------------------------------------------ the step */

static void test_sharp_layer_is_step(void **state)
{
	(void)state;
	for (int i = -3000; i <= 3000; i++) {
		float p = (float)i * 0.001f;
		assert_true(ht_act(p, 1.0) == (p >= 0.5f ? 1.0f : 0.0f));
	}
	assert_true(ht_act(0.5f, 1.0) == 1.0f);
	assert_true(ht_act(nextafterf(0.5f, 0.0f), 1.0) == 0.0f);
	assert_true(ht_act(nextafterf(0.5f, 1.0f), 1.0) == 1.0f);
	assert_true(ht_act(INFINITY, 1.0) == 1.0f);
	assert_true(ht_act(-INFINITY, 1.0) == 0.0f);
	/* Not yet sharp: a line through (0.5, 0.5), so the test can fail. */
	float y = ht_act(0.52f, 0.9);
	assert_true(y > 0.5f && y < 1.0f);
	assert_true(fabsf(ht_act(0.5f, 0.0) - 0.5f) < 1e-6f);
	/* Whetstone's step has no gradient; the straight-through one does. */
	assert_true(ht_act_grad(0.5f, 1.0, 0.0) == 0.0f);
	assert_true(ht_act_grad(0.6f, 1.0, 1.0) == 1.0f);
	assert_true(ht_act_grad(1.2f, 1.0, 1.0) == 0.0f);

	/* A whole layer at sharpness 1, through the model's own forward. */
	ht_arch a = { .n_inputs = 16, .n_layers = 1, .sizes = {16, 6}, .n_classes = 3,
	              .nhot = 2, .input_bits = 4, .weight_bits = 4, .potential_bits = 16 };
	ht_rng r;
	ht_rng_seed(&r, 3);
	ht_model m;
	assert_int_equal(ht_model_init(&m, &a, 32, &r), 0);
	m.L[0].sharp = 1.0;
	uint8_t g[32 * 16];
	for (size_t i = 0; i < sizeof g; i++)
		g[i] = (uint8_t)ht_rng_below(&r, 16);
	ht_forward(&m, g, 32, 1);
	int ones = 0, zeros = 0;
	for (int k = 0; k < 32 * 6; k++) {
		assert_true(m.L[0].a[k] == (m.L[0].p[k] >= 0.5f ? 1.0f : 0.0f));
		ones += m.L[0].a[k] == 1.0f;
		zeros += m.L[0].a[k] == 0.0f;
	}
	assert_int_equal(ones + zeros, 32 * 6);
	assert_true(ones > 0 && zeros > 0);
	ht_model_free(&m);
}

/* ------------------------------------------ float view == integer network */

static void train_epochs(ht_model *m, const uint8_t *g, const uint8_t *y,
                         int32_t n, int32_t B, int epochs, double lr)
{
	int32_t nf = m->arch.n_inputs;
	for (int e = 0; e < epochs; e++)
		for (int32_t i0 = 0; i0 + B <= n; i0 += B) {
			ht_forward(m, g + (size_t)i0 * nf, B, 1);
			ht_backward(m, y + i0, NULL, B);
			ht_adam_step(m, lr);
		}
}

static uint8_t *quantize_set(const hone_dataset *d, int G)
{
	uint8_t *g = malloc((size_t)d->n * (size_t)d->n_features);
	assert_non_null(g);
	for (int32_t i = 0; i < d->n; i++)
		hone_dataset_quantize(d, i, G, g + (size_t)i * (size_t)d->n_features);
	return g;
}

static void check_equality(int G)
{
	hone_dataset *tr = NULL, *te = NULL;
	if (load_digits(&tr, &te)) {
		skip();
		return;
	}
	const hone_config *cfg = hone_config_find("up5k");
	ht_arch a = { .n_inputs = 64, .n_layers = 3, .sizes = {64, 48, 32, 40},
	              .n_classes = 10, .nhot = 4, .input_bits = G,
	              .weight_bits = (int32_t)cfg->weight_bits,
	              .potential_bits = (int32_t)cfg->potential_bits };
	ht_rng r;
	ht_rng_seed(&r, 11);
	ht_model m;
	assert_int_equal(ht_model_init(&m, &a, 64, &r), 0);
	m.ste_width = 1.0;
	uint8_t *gtr = quantize_set(tr, G), *gte = quantize_set(te, G);
	train_epochs(&m, gtr, tr->y, tr->n, 32, 2, 2e-3);
	for (int l = 0; l < 3; l++)
		m.L[l].sharp = 1.0;
	train_epochs(&m, gtr, tr->y, tr->n, 32, 1, 2e-3);
	ht_calibrate(&m, gtr, tr->n);
	ht_quantize(&m);
	ht_calibrate(&m, gtr, tr->n);
	train_epochs(&m, gtr, tr->y, tr->n, 32, 1, 1e-3);

	/* The float view, sample by sample, every layer's spikes. */
	const int32_t n = 300 < te->n ? 300 : te->n;
	const int32_t total = 48 + 32 + 40, D = 3;
	uint8_t *fs = calloc((size_t)n * total, 1);
	int32_t *pred = malloc((size_t)n * sizeof *pred);
	assert_non_null(fs);
	assert_non_null(pred);
	for (int32_t i = 0; i < n; i++) {
		ht_forward(&m, gte + (size_t)i * 64, 1, 0);
		ht_predict(&m, 1, &pred[i]);
		for (int32_t l = 0, off = 0; l < D; off += a.sizes[l + 1], l++)
			for (int32_t j = 0; j < a.sizes[l + 1]; j++) {
				float v = m.L[l].a[j], pj = m.L[l].p[j];
				assert_true(v == 0.0f || v == 1.0f);
				/* The integer threshold is the float one, rounded up
				 * exactly: away from the boundary both agree. */
				if (fabsf(pj - 0.5f) > 1e-3f && v != (pj >= 0.5f ? 1.0f : 0.0f))
					fail_msg("sample %d layer %d neuron %d: spike %g but p = %.6f",
					         (int)i, (int)l, (int)j, (double)v, (double)pj);
				fs[(size_t)i * total + off + j] = v == 1.0f;
			}
	}
	hone_net *net = ht_export(&m, te->shape);
	assert_non_null(net);
	hone_error err = {0};
	assert_int_equal(hone_net_check(net, &err), 0);
	assert_int_equal(net->input_bits, G);

	/* The integer evaluator, pipelined: sample i enters in tick i and is
	 * in layer l during tick i + l. */
	hone_event *ev = malloc((size_t)n * 64 * sizeof *ev);
	assert_non_null(ev);
	size_t nev = 0;
	for (int32_t i = 0; i < n; i++)
		for (int32_t k = 0; k < 64; k++)
			if (gte[(size_t)i * 64 + k])
				ev[nev++] = (hone_event){ .tick = (uint32_t)i, .input = (uint32_t)k,
				                          .g = gte[(size_t)i * 64 + k] };
	uint32_t ticks = (uint32_t)(n + D - 1);
	uint8_t *s_all = malloc((size_t)ticks * total);
	assert_non_null(s_all);
	assert_int_equal(hone_evaluate(net, ev, nev, ticks, NULL, NULL, s_all, &err), 0);
	int32_t spikes[3] = {0}, correct = 0;
	for (int32_t i = 0; i < n; i++) {
		for (int32_t l = 0, off = 0; l < D; off += a.sizes[l + 1], l++)
			for (int32_t j = 0; j < a.sizes[l + 1]; j++) {
				uint8_t want = s_all[(size_t)(i + l) * total + off + j];
				if (fs[(size_t)i * total + off + j] != want)
					fail_msg("sample %d layer %d neuron %d: float view %d, evaluator %d",
					         (int)i, (int)l, (int)j, fs[(size_t)i * total + off + j], want);
				spikes[l] += want;
			}
		int32_t c = hone_net_classify(net, gte + (size_t)i * 64);
		assert_int_equal(c, pred[i]);
		correct += c == te->y[i];
	}
	/* Meaningful only if neurons both fire and stay silent, and the net
	 * has learnt something. */
	for (int l = 0; l < D; l++)
		assert_true(spikes[l] > 0 && spikes[l] < n * a.sizes[l + 1]);
	assert_true(correct > n / 2);

	hone_net_free(net);
	free(s_all);
	free(ev);
	free(fs);
	free(pred);
	free(gtr);
	free(gte);
	ht_model_free(&m);
	hone_dataset_free(tr);
	hone_dataset_free(te);
}

static void test_float_view_is_integer_net(void **state)
{
	(void)state;
	check_equality(4);
}

static void test_float_view_is_integer_net_binary(void **state)
{
	(void)state;
	check_equality(1);
}

/* ------------------------------------------------------- overflow bound */

static void test_overflow_bound_kept(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("up5k");
	ht_arch a = { .n_inputs = 784, .n_layers = 2, .sizes = {784, 32, 20},
	              .n_classes = 10, .nhot = 2, .input_bits = 4, .weight_bits = 4,
	              .potential_bits = 16 };
	ht_rng r;
	ht_rng_seed(&r, 5);
	ht_model m;
	assert_int_equal(ht_model_init(&m, &a, 16, &r), 0);
	ht_quantize(&m);
	/* Push every weight of layer 1 to the top of the range: 784 * 7 * 15
	 * would be 82320, far beyond a 16-bit potential. */
	for (size_t i = 0; i < (size_t)784 * 32; i++)
		m.L[0].w[i] = (float)(((i % 3) ? 9.0 : -9.0) * m.L[0].qscale);
	ht_requantize(&m);
	for (int32_t j = 0; j < 32; j++) {
		int64_t sp = 0, sn = 0;
		for (int32_t i = 0; i < 784; i++) {
			float q = m.L[0].wq[(size_t)j * 784 + i];
			assert_true(q >= -8 && q <= 7 && q == floorf(q));
			if (q > 0)
				sp += (int64_t)q * 15;
			else
				sn += (int64_t)q * 15;
		}
		assert_true(sp + 1 <= 32767);
		assert_true(sn >= -32768);
		assert_true(sp > 20000); /* shrunk to the bound, not to nothing */
		assert_true(m.L[0].theta[j] >= sn && m.L[0].theta[j] <= sp + 1);
	}
	hone_net *net = ht_export(&m, NULL);
	assert_non_null(net);
	hone_image *img = NULL;
	hone_error err = {0};
	int rc = hone_compile(net, cfg, NULL, &img, &err);
	if (rc)
		fail_msg("compile refused: %s", err.msg);
	hone_image_free(img);
	hone_net_free(net);
	ht_model_free(&m);
}

/* ------------------------------------------------------------ schedules */

static void check_bottom_up(const ht_sched *s, const double *prev)
{
	for (int32_t l = 0; l < s->n_layers; l++) {
		assert_true(s->sharp[l] >= prev[l]);
		assert_true(s->sharp[l] >= 0 && s->sharp[l] <= 1);
		if (l > 0 && s->sharp[l] > 0)
			assert_true(s->sharp[l - 1] == 1.0);
	}
}

static void test_schedules(void **state)
{
	(void)state;
	for (int kind = HT_SCHED_STEP; kind <= HT_SCHED_ADAPTIVE; kind++) {
		ht_sched s;
		ht_sched_init(&s, kind, 3, 3, 15, 2, 0, 10);
		double prev[HT_MAX_LAYERS] = {0};
		int started_at = -1;
		for (int32_t e = 0; e < 15; e++) {
			for (int32_t b = 0; b < 10; b++) {
				ht_sched_batch_end(&s, e, b);
				check_bottom_up(&s, prev);
				memcpy(prev, s.sharp, sizeof prev);
			}
			/* Falling loss for 5 epochs, then a plateau, then a jump. */
			double loss = e < 5 ? 1.0 / (1 << e) : e == 9 ? 0.2 : 0.05;
			ht_sched_epoch_end(&s, e, loss);
			check_bottom_up(&s, prev);
			memcpy(prev, s.sharp, sizeof prev);
			if (started_at < 0 && s.sharp[0] > 0)
				started_at = e;
			if (e < 2)
				assert_true(s.sharp[0] == 0.0); /* warm-up */
			if (kind == HT_SCHED_STEP) /* whole steps of 1/steps */
				for (int l = 0; l < 3; l++)
					assert_true(s.sharp[l] == 0 || s.sharp[l] == 0.5 || s.sharp[l] == 1);
			if (kind == HT_SCHED_ADAPTIVE && e == 9) {
				/* The loss rose by > 15 %: the next epoch must not sharpen. */
				double before[3] = { s.sharp[0], s.sharp[1], s.sharp[2] };
				for (int32_t b = 0; b < 10; b++)
					ht_sched_batch_end(&s, e + 1, b);
				for (int l = 0; l < 3; l++)
					assert_true(s.sharp[l] == before[l]);
				assert_false(ht_sched_done(&s));
				ht_sched_epoch_end(&s, e + 1, 0.2);
				memcpy(prev, s.sharp, sizeof prev);
				e++;
			}
		}
		assert_true(ht_sched_done(&s));
		if (kind == HT_SCHED_ADAPTIVE)
			assert_true(started_at >= 5); /* waited for the plateau */
		else
			assert_true(started_at >= 3 && started_at <= 4);
	}
}

/* --------------------------------------------------------------- the loss */

/* ht_backward's loss is -log softmax(tau (S + m))[y] summed over the batch,
 * S the class spike sums of the forward, m_c = margin for c != y plus
 * tie_margin for c < y (hone_decode gives ties to the lowest class). */
static void test_loss_margins(void **state)
{
	(void)state;
	ht_arch a = { .n_inputs = 16, .n_layers = 1, .sizes = {16, 12}, .n_classes = 4,
	              .nhot = 3, .input_bits = 4, .weight_bits = 4, .potential_bits = 16 };
	ht_rng r;
	ht_rng_seed(&r, 11);
	ht_model m;
	assert_int_equal(ht_model_init(&m, &a, 16, &r), 0);
	m.L[0].sharp = 1.0;
	uint8_t g[16 * 16], y[16];
	for (size_t i = 0; i < sizeof g; i++)
		g[i] = (uint8_t)ht_rng_below(&r, 16);
	for (int b = 0; b < 16; b++)
		y[b] = (uint8_t)(b % 4);
	const double cases[][3] = { /* tau, margin, tie_margin */
		{ 1, 0, 0 }, { 1, 0, 1 }, { 1, 2, 1 }, { 0.5, 3, 0 }, { 2, 1, 2 },
	};
	double prev = -1;
	for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
		m.tau = cases[t][0];
		m.margin = cases[t][1];
		m.tie_margin = cases[t][2];
		ht_forward(&m, g, 16, 0);
		double want = 0;
		for (int b = 0; b < 16; b++) {
			double lg[4], mx = -1e300, sum = 0;
			for (int c = 0; c < 4; c++) {
				lg[c] = m.tau * (m.scores[b * 4 + c] + (c != y[b] ? m.margin : 0) +
				                 (c < y[b] ? m.tie_margin : 0));
				mx = lg[c] > mx ? lg[c] : mx;
			}
			for (int c = 0; c < 4; c++)
				sum += exp(lg[c] - mx);
			want += -(lg[y[b]] - mx - log(sum));
		}
		double got = ht_backward(&m, y, NULL, 16);
		assert_true(fabs(got - want) < 1e-9 * (1 + want));
		if (t == 2) /* a margin only ever adds to the loss */
			assert_true(got > prev);
		prev = got;
	}
	ht_model_free(&m);
}

/* ------------------------------------------------- jittered binarization */

static void test_binarize_jitter(void **state)
{
	(void)state;
	uint8_t x[256], ref[256], out[256];
	for (int k = 0; k < 256; k++)
		x[k] = (uint8_t)k;
	hone_dataset d = { .n = 1, .n_features = 256, .shape = { 1, 16, 16 }, .n_classes = 2, .x = x };
	hone_dataset_quantize(&d, 0, 1, ref);
	/* No jitter: the test-time binarization, and no draw from the stream. */
	ht_rng r, r0;
	ht_rng_seed(&r, 5);
	r0 = r;
	ht_binarize_jitter(x, 256, 0, 0, &r, out);
	assert_memory_equal(out, ref, sizeof out);
	assert_memory_equal(&r, &r0, sizeof r);
	for (int k = 0; k < 256; k++)
		assert_int_equal(out[k], k > 127);
	/* Jitter N per image and M per pixel: pixels farther than N + M from
	 * the threshold never change; the threshold does move both ways. */
	const int N = 20, M = 10;
	int moved_down = 0, moved_up = 0, pixel_noise = 0;
	for (int t = 0; t < 400; t++) {
		ht_binarize_jitter(x, 256, N, t % 2 ? M : 0, &r, out);
		int first_on = -1, ons = 0;
		for (int k = 0; k < 256; k++) {
			if (k <= 127 - N - M || k > 127 + N + M)
				assert_int_equal(out[k], ref[k]);
			if (out[k] && first_on < 0)
				first_on = k;
			ons += out[k];
		}
		if (t % 2 == 0) { /* threshold only: still a step */
			assert_int_equal(ons, 256 - first_on);
			assert_true(first_on >= 128 - N && first_on <= 128 + N);
		} else if (ons != 256 - first_on) {
			pixel_noise++;
		}
		moved_down += first_on < 128;
		moved_up += first_on > 128;
	}
	assert_true(moved_down > 50 && moved_up > 50 && pixel_noise > 50);
}

/* ------------------------------------------------------------ training */

static void small_opts(ht_opts *o)
{
	ht_opts_default(o);
	o->dataset = "digits";
	o->n_hidden = 1;
	o->hidden[0] = 32;
	o->nhot = 4;
	o->epochs = 12;
	o->batch = 32;
	o->lr = 3e-3;
	o->lr_final = 3e-5;
	o->seed = 7;
	o->quiet = 1;
}

static void test_short_run_learns(void **state)
{
	(void)state;
	hone_dataset *tr = NULL, *te = NULL;
	if (load_digits(&tr, &te)) {
		skip();
		return;
	}
	tr->n = 600; /* a subset keeps ASan fast */
	ht_opts o;
	small_opts(&o);
	o.epochs = 20;
	ht_result res;
	hone_net *net = NULL;
	hone_error err = {0};
	int rc = ht_train(&o, tr, te, &res, &net, NULL, &err);
	if (rc)
		fail_msg("ht_train: %s", err.msg);
	assert_true(res.finished);
	assert_int_equal(res.mismatches, 0);
	print_message("integer test accuracy after %d epochs on 600 samples: %.2f%%\n",
	              (int)res.epochs_run, res.int_test_acc);
	assert_true(res.int_test_acc > 80.0); /* chance is 10 % */
	assert_non_null(net);
	assert_int_equal(net->n_classes, 10);
	assert_int_equal(net->layers[1].n_out, 40);
	assert_int_equal(net->output_class[39], 9);
	hone_net_free(net);
	hone_dataset_free(tr);
	hone_dataset_free(te);
}

static void assert_same_net(const hone_net *a, const hone_net *b)
{
	assert_int_equal(a->n_layers, b->n_layers);
	for (int32_t l = 0; l < a->n_layers; l++) {
		const hone_layer *x = &a->layers[l], *y = &b->layers[l];
		assert_int_equal(x->n_out, y->n_out);
		assert_memory_equal(x->weight, y->weight, (size_t)x->n_in * x->n_out * sizeof *x->weight);
		assert_memory_equal(x->threshold, y->threshold, (size_t)x->n_out * sizeof *x->threshold);
		assert_memory_equal(x->bias, y->bias, (size_t)x->n_out * sizeof *x->bias);
		assert_true(x->scale == y->scale);
	}
}

/* Stop inside the sharpening window, then inside QAT, then finish: the
 * result must be the uninterrupted run's, bit for bit. */
static void check_resume(const ht_opts *o, const hone_dataset *tr,
                         const hone_dataset *te, int damage)
{
	hone_error err = {0};
	ht_result whole, part;
	hone_net *a = NULL, *b = NULL;
	if (ht_train(o, tr, te, &whole, &a, NULL, &err))
		fail_msg("uninterrupted run: %s", err.msg);

	char path[] = "/tmp/hone-test-train-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	ht_opts p = *o;
	p.checkpoint = path;
	p.stop_after = 4;
	if (ht_train(&p, tr, te, &part, &b, NULL, &err))
		fail_msg("first part: %s", err.msg);
	assert_false(part.finished);
	assert_null(b);
	p.resume = path;
	p.stop_after = 8;
	if (ht_train(&p, tr, te, &part, &b, NULL, &err))
		fail_msg("second part: %s", err.msg);
	assert_false(part.finished);
	p.stop_after = 0;
	if (ht_train(&p, tr, te, &part, &b, NULL, &err))
		fail_msg("last part: %s", err.msg);
	assert_true(part.finished);
	assert_non_null(b);
	assert_same_net(a, b);
	assert_true(whole.int_test_acc == part.int_test_acc);
	assert_true(whole.float_test_acc == part.float_test_acc);

	if (damage) {
		/* Other options: refused, naming both. */
		ht_opts q = p;
		q.seed = 8;
		ht_result r2;
		hone_net *c = NULL;
		assert_int_equal(ht_train(&q, tr, te, &r2, &c, NULL, &err), HONE_ERR_INVALID);
		assert_non_null(strstr(err.msg, "other options"));
		assert_null(c);
		/* A damaged checkpoint: refused by its CRC. */
		FILE *f = fopen(path, "r+b");
		assert_non_null(f);
		fseek(f, 100, SEEK_SET);
		int ch = fgetc(f);
		fseek(f, 100, SEEK_SET);
		fputc(ch ^ 0xff, f);
		fclose(f);
		assert_int_equal(ht_train(&p, tr, te, &r2, &c, NULL, &err), HONE_ERR_CHECKSUM);
	}
	remove(path);
	hone_net_free(a);
	hone_net_free(b);
}

static void test_checkpoint_resume(void **state)
{
	(void)state;
	hone_dataset *tr = NULL, *te = NULL;
	if (load_digits(&tr, &te)) {
		skip();
		return;
	}
	tr->n = 400;
	ht_opts o;
	small_opts(&o);
	o.epochs = 10;
	o.warmup = 2;
	o.qat_epochs = 3;
	o.schedule = HT_SCHED_ADAPTIVE;
	check_resume(&o, tr, te, 1);
	/* Every random stream and the teacher's targets: binary inputs,
	 * distillation, dropout of inputs and spikes, augmentation, jittered
	 * binarization. */
	o.schedule = HT_SCHED_STEP;
	o.binary_input = 1;
	o.distill = 0.5;
	o.teacher_epochs = 2;
	o.dropout = 0.1;
	o.in_dropout = 0.1;
	o.shift = 1;
	o.threshold_jitter = 30;
	o.margin = 1;
	o.pixel_jitter = 10;
	check_resume(&o, tr, te, 0);
	hone_dataset_free(tr);
	hone_dataset_free(te);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sharp_layer_is_step),
		cmocka_unit_test(test_float_view_is_integer_net),
		cmocka_unit_test(test_float_view_is_integer_net_binary),
		cmocka_unit_test(test_overflow_bound_kept),
		cmocka_unit_test(test_schedules),
		cmocka_unit_test(test_loss_margins),
		cmocka_unit_test(test_binarize_jitter),
		cmocka_unit_test(test_short_run_learns),
		cmocka_unit_test(test_checkpoint_resume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
