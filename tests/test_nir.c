/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIR in and out (host/src/nir.c, docs/nir.md): exact round trips through
 * the /hone group, the float path through plain NIR, files written by
 * real producers (skipped when ../shared/nir-samples is absent), and
 * malformed or unsupported files, which must give the right code and a
 * message naming the node.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hone.h"

#include <hdf5.h>

#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hone_test_nir_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* HONE_KEEP_TMP=1 keeps the written files for inspection with h5dump. */
static int group_teardown(void **state)
{
	(void)state;
	return (getenv("HONE_KEEP_TMP") ? 0 : nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS));
}

static const char *tpath(const char *name)
{
	static char buf[8][256];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

/* ------------------------------------------------------------ random */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int32_t rnd(uint64_t *s, int32_t n) /* 0 .. n-1 */
{
	return (int32_t)(rng_next(s) % (uint64_t)n);
}

static int32_t rnd_range(uint64_t *s, int32_t lo, int32_t hi) /* lo .. hi */
{
	return lo + (int32_t)(rng_next(s) % (uint64_t)((int64_t)hi - lo + 1));
}

/* A random network. float_ok: one that plain NIR can carry back exactly,
 * i.e. what the quantizer itself produces: every layer's largest |w| is
 * 2^(W-1)-1, the key is the identity, names are plain and thresholds and
 * biases moderate (float32 keeps them within half a step). */
static hone_net *random_net(uint64_t *s, bool float_ok)
{
	int32_t nl = rnd_range(s, 1, 4), sizes[5];
	sizes[0] = rnd_range(s, 1, 40);
	for (int32_t l = 1; l <= nl; l++)
		sizes[l] = rnd_range(s, 1, 20);
	hone_net *net = hone_net_new(nl, sizes);
	assert_non_null(net);
	net->weight_bits = (uint8_t)rnd_range(s, 2, 8);
	net->input_bits = (uint8_t)rnd_range(s, 1, 8);
	net->ticks_per_sample = rnd_range(s, 1, 30);
	switch (rnd(s, 4)) {
	case 0: /* unknown */
		break;
	case 1:
		net->in_shape[0] = sizes[0];
		break;
	case 2: /* (C,H,W) when it factors, else (1,1,N) */
		net->in_shape[0] = sizes[0] % 2 ? 1 : 2;
		net->in_shape[1] = 1;
		net->in_shape[2] = sizes[0] / net->in_shape[0];
		break;
	default: /* a shape that does not multiply to n_inputs */
		net->in_shape[0] = sizes[0] + 1;
		net->in_shape[1] = 3;
		break;
	}
	int32_t wmax = (1 << (net->weight_bits - 1)) - 1, wmin = float_ok ? -wmax : -wmax - 1;
	for (int32_t l = 0; l < nl; l++) {
		hone_layer *h = &net->layers[l];
		static const char *const odd[] = {"fc%d", "layer_%d", "a/b%d", "", "input", "lif%d",
		                                  "x123456789012345678901234567890123456789012345678901234567890%d"};
		if (float_ok || rnd(s, 3) == 0)
			snprintf(h->name, sizeof h->name, "fc%d", (int)l + 1);
		else if (rnd(s, 4) == 0 && l > 0) /* a duplicate name */
			memcpy(h->name, net->layers[0].name, sizeof h->name);
		else
			snprintf(h->name, sizeof h->name, odd[rnd(s, 7)], (int)l + 1);
		h->carry = (uint8_t)rnd(s, 2);
		h->leak_shift = (uint8_t)rnd(s, 16);
		h->reset = (uint8_t)rnd(s, 2);
		h->scale = ldexp(1.0 + rnd(s, 1000) / 1000.0, rnd_range(s, -12, 4));
		size_t nw = (size_t)h->n_in * (size_t)h->n_out;
		for (size_t k = 0; k < nw; k++)
			h->weight[k] = rnd_range(s, wmin, wmax);
		if (float_ok)
			h->weight[rnd(s, (int32_t)nw)] = rnd(s, 2) ? wmax : -wmax;
		for (int32_t j = 0; j < h->n_out; j++) {
			if (float_ok) {
				h->bias[j] = rnd_range(s, -(1 << 18), 1 << 18);
				h->threshold[j] = rnd_range(s, -100, 1 << 18);
			} else {
				h->bias[j] = (int32_t)rng_next(s);
				h->threshold[j] = (int32_t)rng_next(s);
			}
		}
	}
	int32_t n_out = sizes[nl];
	if (float_ok) {
		net->n_classes = n_out;
		for (int32_t j = 0; j < n_out; j++)
			net->output_class[j] = j;
	} else if (rnd(s, 2)) {
		int32_t per = rnd_range(s, 1, n_out);
		assert_int_equal(hone_net_set_nhot(net, rnd_range(s, 1, n_out / per), per), 0);
	} else {
		net->n_classes = rnd_range(s, 1, 12);
		for (int32_t j = 0; j < n_out; j++)
			net->output_class[j] = rnd_range(s, -1, net->n_classes - 1);
	}
	assert_int_equal(hone_net_check(net, NULL), 0);
	return net;
}

/* First difference between two networks, or NULL. float_path: b came
 * through plain NIR, so only what NIR carries is compared, plus what the
 * reader must infer (key, widths given to it). */
static const char *net_diff(const hone_net *a, const hone_net *b, bool float_path, char *buf, size_t n)
{
#define DIFF(...) do { snprintf(buf, n, __VA_ARGS__); return buf; } while (0)
	if (a->n_inputs != b->n_inputs || a->n_layers != b->n_layers)
		DIFF("n_inputs %d/%d or n_layers %d/%d", a->n_inputs, b->n_inputs, a->n_layers, b->n_layers);
	if (a->input_bits != b->input_bits || a->weight_bits != b->weight_bits)
		DIFF("input_bits %d/%d weight_bits %d/%d", a->input_bits, b->input_bits, a->weight_bits,
		     b->weight_bits);
	for (int32_t l = 0; l < a->n_layers; l++) {
		const hone_layer *x = &a->layers[l], *y = &b->layers[l];
		if (x->n_in != y->n_in || x->n_out != y->n_out)
			DIFF("layer %d: size %dx%d vs %dx%d", l, x->n_out, x->n_in, y->n_out, y->n_in);
		if (strcmp(x->name, y->name))
			DIFF("layer %d: name '%s' vs '%s'", l, x->name, y->name);
		for (int64_t k = 0; k < (int64_t)x->n_in * x->n_out; k++)
			if (x->weight[k] != y->weight[k])
				DIFF("layer %d: weight[%lld] %d vs %d", l, (long long)k, x->weight[k], y->weight[k]);
		for (int32_t j = 0; j < x->n_out; j++)
			if (x->bias[j] != y->bias[j] || x->threshold[j] != y->threshold[j])
				DIFF("layer %d neuron %d: bias %d/%d threshold %d/%d", l, j, x->bias[j], y->bias[j],
				     x->threshold[j], y->threshold[j]);
		if (x->carry != y->carry)
			DIFF("layer %d: carry %d vs %d", l, x->carry, y->carry);
		bool modes = !float_path || x->carry == HONE_CARRY_LIF;
		if (modes && (x->leak_shift != y->leak_shift || x->reset != y->reset))
			DIFF("layer %d: leak %d/%d reset %d/%d", l, x->leak_shift, y->leak_shift, x->reset, y->reset);
		if (float_path ? fabs(x->scale - y->scale) > 1e-6 * x->scale : x->scale != y->scale)
			DIFF("layer %d: scale %.17g vs %.17g", l, x->scale, y->scale);
	}
	int32_t n_out = a->layers[a->n_layers - 1].n_out;
	if (a->n_classes != b->n_classes)
		DIFF("n_classes %d vs %d", a->n_classes, b->n_classes);
	for (int32_t j = 0; j < n_out; j++)
		if (a->output_class[j] != b->output_class[j])
			DIFF("output_class[%d] %d vs %d", j, a->output_class[j], b->output_class[j]);
	if (!float_path) {
		if (a->ticks_per_sample != b->ticks_per_sample)
			DIFF("ticks_per_sample %d vs %d", a->ticks_per_sample, b->ticks_per_sample);
		if (memcmp(a->in_shape, b->in_shape, sizeof a->in_shape))
			DIFF("in_shape %d,%d,%d vs %d,%d,%d", a->in_shape[0], a->in_shape[1], a->in_shape[2],
			     b->in_shape[0], b->in_shape[1], b->in_shape[2]);
	}
	return NULL;
#undef DIFF
}

/* Remove /hone from a written file, leaving plain NIR. */
static void strip_hone(const char *path)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	assert_true(H5Ldelete(f, "hone", H5P_DEFAULT) >= 0);
	assert_true(H5Fclose(f) >= 0);
}

static void copy_file(const char *from, const char *to, long limit)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	assert_non_null(a);
	assert_non_null(b);
	int c;
	for (long n = 0; (limit < 0 || n < limit) && (c = fgetc(a)) != EOF; n++)
		fputc(c, b);
	fclose(a);
	fclose(b);
}

/* ---------------------------------------------------------- round trips */

static void test_roundtrip_exact(void **state)
{
	(void)state;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	const char *p = tpath("rt.nir");
	for (int trial = 0; trial < 60; trial++) {
		hone_net *a = random_net(&s, false), *b = NULL;
		hone_error err = {0};
		assert_int_equal(hone_nir_write(p, a, &err), 0);
		/* The width arguments are ignored for files carrying /hone. */
		int wb = rnd_range(&s, 1, 16), gb = rnd_range(&s, 0, 8);
		int rc = hone_nir_read(p, wb == 1 ? 0 : wb, gb, &b, &err);
		if (rc)
			fail_msg("trial %d: read back failed: %s", trial, err.msg);
		char buf[256];
		const char *d = net_diff(a, b, false, buf, sizeof buf);
		if (d)
			fail_msg("trial %d: %s", trial, d);
		hone_net_free(a);
		hone_net_free(b);
	}
}

static void test_roundtrip_float(void **state)
{
	(void)state;
	uint64_t s = 0x2545f4914f6cdd1dull;
	const char *p = tpath("rt_float.nir");
	for (int trial = 0; trial < 60; trial++) {
		hone_net *a = random_net(&s, true), *b = NULL;
		hone_error err = {0};
		assert_int_equal(hone_nir_write(p, a, &err), 0);
		strip_hone(p);
		if (hone_nir_read(p, a->weight_bits, a->input_bits, &b, &err))
			fail_msg("trial %d: float read failed: %s", trial, err.msg);
		char buf[256];
		const char *d = net_diff(a, b, true, buf, sizeof buf);
		if (d)
			fail_msg("trial %d: %s", trial, d);
		/* What plain NIR cannot carry: the reader's documented defaults. */
		bool any_lif = false;
		for (int32_t l = 0; l < a->n_layers; l++)
			any_lif |= a->layers[l].carry == HONE_CARRY_LIF;
		assert_int_equal(b->ticks_per_sample, any_lif ? 8 : 1);
		int64_t prod = 1;
		int nd = 0;
		while (nd < 3 && a->in_shape[nd] > 0)
			prod *= a->in_shape[nd++];
		if (nd && prod == a->n_inputs)
			assert_memory_equal(a->in_shape, b->in_shape, sizeof a->in_shape);
		else
			assert_true(b->in_shape[0] == a->n_inputs && !b->in_shape[1] && !b->in_shape[2]);
		hone_net_free(a);
		hone_net_free(b);
	}
}

/* --------------------------------------------- building NIR files by hand */

typedef struct {
	hid_t f, node, nodes;
} tnir;

static hid_t vstr(void)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	return t;
}

static void t_str(hid_t g, const char *name, const char *v)
{
	hid_t t = vstr(), s = H5Screate(H5S_SCALAR);
	hid_t d = H5Dcreate2(g, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(d >= 0);
	assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0);
	H5Dclose(d);
	H5Sclose(s);
	H5Tclose(t);
}

static void t_f32(hid_t g, const char *name, int rank, const hsize_t *dims, const float *v)
{
	hid_t s = H5Screate_simple(rank, dims, NULL);
	hid_t d = H5Dcreate2(g, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(d >= 0);
	assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
	H5Dclose(d);
	H5Sclose(s);
}

static void t_i64(hid_t g, const char *name, int rank, const hsize_t *dims, const int64_t *v)
{
	hid_t s = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
	hid_t d = H5Dcreate2(g, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(d >= 0);
	assert_true(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
	H5Dclose(d);
	H5Sclose(s);
}

static void t_open(tnir *t, const char *path)
{
	t->f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(t->f >= 0);
	t_str(t->f, "version", "0.2.0");
	t->node = H5Gcreate2(t->f, "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	t->nodes = H5Gcreate2(t->node, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(t->node >= 0 && t->nodes >= 0);
	t_str(t->node, "type", "NIRGraph");
}

static hid_t t_node(tnir *t, const char *name, const char *type)
{
	hid_t g = H5Gcreate2(t->nodes, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(g >= 0);
	t_str(g, "type", type);
	return g;
}

static void t_input(tnir *t, const char *name, int64_t n)
{
	hsize_t d[1] = {1};
	hid_t g = t_node(t, name, "Input");
	t_i64(g, "shape", 1, d, &n);
	H5Gclose(g);
}

static void t_output(tnir *t, const char *name, int64_t n)
{
	hsize_t d[1] = {1};
	hid_t g = t_node(t, name, "Output");
	t_i64(g, "shape", 1, d, &n);
	H5Gclose(g);
}

/* Affine with weights w (NULL: w[j][i] = 0.1 (j+1) (-1)^i) and bias 0. */
static void t_affine(tnir *t, const char *name, hsize_t out, hsize_t in, const float *w)
{
	hsize_t wd[2] = {out, in}, bd[1] = {out};
	float *ww = calloc(out * in, sizeof *ww), *b = calloc(out, sizeof *b);
	for (hsize_t k = 0; k < out * in; k++)
		ww[k] = w ? w[k] : (float)(0.1 * (double)(k / in + 1) * ((k % in) % 2 ? -1 : 1));
	hid_t g = t_node(t, name, "Affine");
	t_f32(g, "weight", 2, wd, ww);
	t_f32(g, "bias", 1, bd, b);
	H5Gclose(g);
	free(ww);
	free(b);
}

static void t_threshold(tnir *t, const char *name, hsize_t n)
{
	hsize_t d[1] = {n};
	float *th = malloc(n * sizeof *th);
	for (hsize_t k = 0; k < n; k++)
		th[k] = 0.5f;
	hid_t g = t_node(t, name, "Threshold");
	t_f32(g, "threshold", 1, d, th);
	H5Gclose(g);
	free(th);
}

static void t_edges(tnir *t, size_t n, const char *const *pairs)
{
	hsize_t d[2] = {n, 2};
	hid_t ty = vstr(), s = H5Screate_simple(2, d, NULL);
	hid_t ds = H5Dcreate2(t->node, "edges", ty, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(ds >= 0);
	assert_true(H5Dwrite(ds, ty, H5S_ALL, H5S_ALL, H5P_DEFAULT, pairs) >= 0);
	H5Dclose(ds);
	H5Sclose(s);
	H5Tclose(ty);
}

static void t_close(tnir *t)
{
	H5Gclose(t->nodes);
	H5Gclose(t->node);
	assert_true(H5Fclose(t->f) >= 0);
}

/* Read path, expecting code and every needle in the message. */
static void expect_fail(const char *path, int code, const char *needle1, const char *needle2)
{
	hone_net *net = (hone_net *)0x1;
	hone_error err = {0};
	int rc = hone_nir_read(path, 0, 0, &net, &err);
	if (rc != code)
		fail_msg("%s: code %d (%s), expected %d; message: %s", path, rc, hone_strerror(rc), code, err.msg);
	assert_null(net);
	assert_int_equal(err.code, code);
	if (needle1 && !strstr(err.msg, needle1))
		fail_msg("message lacks \"%s\": %s", needle1, err.msg);
	if (needle2 && !strstr(err.msg, needle2))
		fail_msg("message lacks \"%s\": %s", needle2, err.msg);
}

/* -------------------------------------------------- quantization by hand */

static void test_quantize_by_hand(void **state)
{
	(void)state;
	const char *p = tpath("hand.nir");
	tnir t;
	t_open(&t, p);
	t_input(&t, "input", 2);
	hsize_t wd[2] = {2, 2}, d2[1] = {2}, w2d[2] = {1, 2}, d1[1] = {1};
	/* Chosen so that the scales are exact binary fractions and the
	 * half-way cases really are halves. */
	float w1[4] = {0.4375f, -0.875f, 0.3125f, 0.0f}, b1[2] = {0.1f, -0.2f}, th1[2] = {1.0f, 0.4375f};
	hid_t g = t_node(&t, "dense", "Affine");
	t_f32(g, "weight", 2, wd, w1);
	t_f32(g, "bias", 1, d2, b1);
	H5Gclose(g);
	g = t_node(&t, "spk", "Threshold");
	t_f32(g, "threshold", 1, d2, th1);
	H5Gclose(g);
	float w2[2] = {0.4375f, -0.15625f}, r2[1] = {2.0f}, vt2[1] = {3.0f};
	g = t_node(&t, "lin", "Linear"); /* no bias */
	t_f32(g, "weight", 2, w2d, w2);
	H5Gclose(g);
	g = t_node(&t, "if", "IF"); /* input gain r = 2 */
	t_f32(g, "r", 1, d1, r2);
	t_f32(g, "v_threshold", 1, d1, vt2);
	H5Gclose(g);
	t_output(&t, "output", 1);
	const char *e[] = {"input", "dense", "dense", "spk", "spk", "lin", "lin", "if", "if", "output"};
	t_edges(&t, 5, e);
	t_close(&t);

	hone_net *net = NULL;
	hone_error err = {0};
	if (hone_nir_read(p, 0, 0, &net, &err)) /* defaults: W = 4, G = 4 */
		fail_msg("%s", err.msg);
	assert_int_equal(net->weight_bits, 4);
	assert_int_equal(net->input_bits, 4);
	assert_int_equal(net->n_layers, 2);
	hone_layer *a = &net->layers[0], *b = &net->layers[1];
	assert_string_equal(a->name, "dense");
	assert_string_equal(b->name, "lin");
	/* s = 0.875 / 7 = 1/8; layer 1 bias and threshold times 2^G - 1 = 15;
	 * halves round away from zero. */
	assert_true(a->scale == 0.125);
	int32_t ew[4] = {4, -7, 3, 0}; /* 3.5 -> 4, 2.5 -> 3 */
	assert_memory_equal(a->weight, ew, sizeof ew);
	assert_int_equal(a->bias[0], 12);  /* 0.1 * 15 * 8 */
	assert_int_equal(a->bias[1], -24);
	assert_int_equal(a->threshold[0], 120);
	assert_int_equal(a->threshold[1], 53); /* 52.5 */
	assert_int_equal(a->carry, HONE_CARRY_NONE);
	/* Layer 2: IF gain r = 2 -> weights 0.875, -0.3125; s = 1/8;
	 * theta 3 / s = 24 (no input factor above layer 1). */
	assert_true(b->scale == 0.125);
	assert_int_equal(b->weight[0], 7);
	assert_int_equal(b->weight[1], -3); /* -2.5 */
	assert_int_equal(b->bias[0], 0);
	assert_int_equal(b->threshold[0], 24);
	assert_int_equal(b->carry, HONE_CARRY_LIF);
	assert_int_equal(b->leak_shift, 0);
	assert_int_equal(b->reset, HONE_RESET_ZERO);
	assert_int_equal(net->n_classes, 1);
	assert_int_equal(net->output_class[0], 0);
	hone_net_free(net);

	/* Other widths: W = 8 gives s = 0.875/127, G = 1 multiplies by 1. */
	assert_int_equal(hone_nir_read(p, 8, 1, &net, &err), 0);
	assert_int_equal(net->layers[0].weight[1], -127);
	assert_int_equal(net->layers[0].weight[2], 45);     /* 45.36 */
	assert_int_equal(net->layers[0].bias[0], 15);       /* 14.51 */
	assert_int_equal(net->layers[0].threshold[0], 145); /* 145.14 */
	hone_net_free(net);
	
	assert_int_equal(hone_nir_read(p, 17, 0, &net, NULL), HONE_ERR_INVALID);
}

/* ------------------------------------------------------ real producers */

static const char *samples_dir(void)
{
	static const char *const cand[] = {NULL, "../shared/nir-samples", "/work/shared/nir-samples"};
	static char buf[512];
	for (int i = 0; i < 3; i++) {
		const char *d = i ? cand[i] : getenv("HONE_NIR_SAMPLES");
		if (!d || !*d)
			continue;
		snprintf(buf, sizeof buf, "%s/lif_norse.nir", d);
		if (access(buf, R_OK) == 0)
			return d;
	}
	return NULL;
}

static void test_sample_norse(void **state)
{
	(void)state;
	const char *d = samples_dir();
	if (!d) {
		skip();
		return;
	}
	char p[600];
	snprintf(p, sizeof p, "%s/lif_norse.nir", d);
	hone_net *net = NULL;
	hone_error err = {0};
	if (hone_nir_read(p, 0, 0, &net, &err))
		fail_msg("%s", err.msg);
	/* Norse: Affine 1x1 (w 1, b 0) -> LIF tau 2.5 ms, r 1, v_th 0.1.
	 * dt = 1 ms: leak shift round(log2 2.5) = 1, input gain 0.4, so
	 * s = 0.4/7, w = 7, theta = round(0.1 * 15 / s) = round(26.25). */
	assert_int_equal(net->n_inputs, 1);
	assert_int_equal(net->n_layers, 1);
	assert_int_equal(net->in_shape[0], 1);
	hone_layer *l = &net->layers[0];
	assert_string_equal(l->name, "0");
	assert_int_equal(l->n_in, 1);
	assert_int_equal(l->n_out, 1);
	assert_int_equal(l->carry, HONE_CARRY_LIF);
	assert_int_equal(l->leak_shift, 1);
	assert_int_equal(l->reset, HONE_RESET_ZERO);
	assert_int_equal(l->weight[0], 7);
	assert_int_equal(l->bias[0], 0);
	assert_int_equal(l->threshold[0], 26);
	assert_int_equal(net->ticks_per_sample, 8);
	assert_int_equal(net->n_classes, 1);

	/* Out through hone and back: identical. */
	hone_net *back = NULL;
	assert_int_equal(hone_nir_write(tpath("norse_again.nir"), net, &err), 0);
	assert_int_equal(hone_nir_read(tpath("norse_again.nir"), 0, 0, &back, &err), 0);
	char buf[256];
	const char *diff = net_diff(net, back, false, buf, sizeof buf);
	if (diff)
		fail_msg("%s", diff);
	hone_net_free(back);
	hone_net_free(net);
}

static void test_sample_sinabs(void **state)
{
	(void)state;
	const char *d = samples_dir();
	char p[600];
	if (d)
		snprintf(p, sizeof p, "%s/cnn_sinabs.nir", d);
	if (!d || access(p, R_OK)) {
		skip();
		return;
	}
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node '0' (Conv2d)", "convolution");
}

/* ----------------------------------------------------------- malformed */

static void test_not_nir(void **state)
{
	(void)state;
	const char *txt = tpath("text.nir");
	FILE *f = fopen(txt, "w");
	assert_non_null(f);
	fputs("this is not a NIR file\n", f);
	fclose(f);
	expect_fail(txt, HONE_ERR_FORMAT, "not an HDF5 file", NULL);

	const char *empty = tpath("empty.h5");
	hid_t h = H5Fcreate(empty, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(h >= 0);
	H5Fclose(h);
	expect_fail(empty, HONE_ERR_FORMAT, "no NIR graph", NULL);

	expect_fail(tpath("does-not-exist.nir"), HONE_ERR_IO, "does-not-exist.nir", NULL);

	/* A file cut in half: an error, no crash, and nothing from HDF5 on
	 * stderr (the reader silences HDF5's automatic error printing). */
	uint64_t s = 7;
	hone_net *net = random_net(&s, false);
	const char *whole = tpath("whole.nir"), *cut = tpath("cut.nir");
	assert_int_equal(hone_nir_write(whole, net, NULL), 0);
	hone_net_free(net);
	struct stat st;
	assert_int_equal(stat(whole, &st), 0);
	copy_file(whole, cut, (long)st.st_size / 2);
	fflush(stderr);
	int saved = dup(2);
	FILE *cap = fopen(tpath("stderr.txt"), "w+");
	assert_non_null(cap);
	dup2(fileno(cap), 2);
	hone_error err = {0};
	int rc = hone_nir_read(cut, 0, 0, &net, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	long quiet = ftell(cap) == 0 ? 0 : (fseek(cap, 0, SEEK_END), ftell(cap));
	fclose(cap);
	assert_int_equal(rc, HONE_ERR_FORMAT);
	assert_int_equal(quiet, 0);
	/* HDF5's own printing is back on for the caller afterwards. */
	H5E_auto2_t fn = NULL;
	void *data = NULL;
	H5Eget_auto2(H5E_DEFAULT, &fn, &data);
	assert_non_null(fn);
}

static void test_missing_edge(void **state)
{
	(void)state;
	const char *p = tpath("missing_edge.nir");
	tnir t;
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 3);
	t_output(&t, "output", 3);
	const char *e[] = {"input", "fc1", "thr1", "output"}; /* fc1 -> thr1 missing */
	t_edges(&t, 2, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'fc1' (Affine)", "no outgoing edge");

	/* An edge naming a node that does not exist. */
	p = tpath("ghost_edge.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 3);
	t_output(&t, "output", 3);
	const char *e2[] = {"input", "fc1", "fc1", "thr1", "thr1", "ghost"};
	t_edges(&t, 3, e2);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "'ghost'", NULL);
}

static void test_wrong_weight_shape(void **state)
{
	(void)state;
	const char *p = tpath("wrong_shape.nir");
	tnir t;
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 3);
	t_affine(&t, "fc2", 2, 5, NULL); /* takes 5, thr1 gives 3 */
	t_threshold(&t, "thr2", 2);
	t_output(&t, "output", 2);
	const char *e[] = {"input", "fc1", "fc1", "thr1", "thr1", "fc2", "fc2", "thr2", "thr2", "output"};
	t_edges(&t, 5, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'fc2' (Affine)", "'thr1' gives it 3");

	/* A neuron node with the wrong count, and an Output of the wrong size. */
	p = tpath("wrong_count.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 5);
	t_output(&t, "output", 3);
	const char *e2[] = {"input", "fc1", "fc1", "thr1", "thr1", "output"};
	t_edges(&t, 3, e2);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'thr1' (Threshold)", "threshold");

	p = tpath("wrong_output.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 3);
	t_output(&t, "output", 7);
	t_edges(&t, 3, e2);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'output' (Output)", NULL);

	/* A weight dataset that is missing altogether. */
	p = tpath("no_weight.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	hid_t g = t_node(&t, "fc1", "Affine");
	H5Gclose(g);
	t_threshold(&t, "thr1", 3);
	t_output(&t, "output", 3);
	t_edges(&t, 3, e2);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'fc1' (Affine)", "\"weight\"");
}

static void test_nan_weight(void **state)
{
	(void)state;
	const char *p = tpath("nan.nir");
	tnir t;
	t_open(&t, p);
	t_input(&t, "input", 2);
	float w[4] = {0.5f, NAN, 0.25f, 1.0f};
	t_affine(&t, "fc1", 2, 2, w);
	t_threshold(&t, "thr1", 2);
	t_output(&t, "output", 2);
	const char *e[] = {"input", "fc1", "fc1", "thr1", "thr1", "output"};
	t_edges(&t, 3, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_FORMAT, "node 'fc1' (Affine)", "weight[1]");
}

static void test_branch(void **state)
{
	(void)state;
	const char *p = tpath("branch.nir");
	tnir t;
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_threshold(&t, "thr1", 3);
	t_threshold(&t, "thr2", 3);
	t_output(&t, "output", 3);
	const char *e[] = {"input", "fc1", "fc1", "thr1", "fc1", "thr2", "thr1", "output", "thr2", "output"};
	t_edges(&t, 5, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'fc1' (Affine)", "branches");
}

static void test_unsupported_nodes(void **state)
{
	(void)state;
	tnir t;
	const char *e[] = {"input", "fc1", "fc1", "li", "li", "output"};
	hsize_t d3[1] = {3};
	float one3[3] = {1, 1, 1}, zero3[3] = {0, 0, 0}, tau3[3] = {0.01f, 0.01f, 0.01f};

	/* A non-spiking readout, as Norse/snnTorch networks often end. */
	const char *p = tpath("li.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	hid_t g = t_node(&t, "li", "LI");
	t_f32(g, "tau", 1, d3, tau3);
	t_f32(g, "r", 1, d3, one3);
	t_f32(g, "v_leak", 1, d3, zero3);
	H5Gclose(g);
	t_output(&t, "output", 3);
	t_edges(&t, 3, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'li' (LI)", "spikes");

	/* Weights straight into the output. */
	p = tpath("no_neuron.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_output(&t, "output", 3);
	const char *e2[] = {"input", "fc1", "fc1", "output"};
	t_edges(&t, 2, e2);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'fc1' (Affine)", "spiking node");

	/* LIF neurons whose tau gives different leak shifts. */
	p = tpath("tau.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	float taus[3] = {0.002f, 0.002f, 0.016f}, th[3] = {0.5f, 0.5f, 0.5f};
	g = t_node(&t, "li", "LIF");
	t_f32(g, "tau", 1, d3, taus);
	t_f32(g, "r", 1, d3, one3);
	t_f32(g, "v_leak", 1, d3, zero3);
	t_f32(g, "v_threshold", 1, d3, th);
	H5Gclose(g);
	t_output(&t, "output", 3);
	t_edges(&t, 3, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'li' (LIF)", "tau differs");

	/* IF with a reset potential hone cannot represent. */
	p = tpath("vreset.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	float vr[3] = {0, -0.25f, 0};
	g = t_node(&t, "li", "IF");
	t_f32(g, "r", 1, d3, one3);
	t_f32(g, "v_threshold", 1, d3, th);
	t_f32(g, "v_reset", 1, d3, vr);
	H5Gclose(g);
	t_output(&t, "output", 3);
	t_edges(&t, 3, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'li' (IF)", "v_reset[1]");

	/* Two Affine nodes in a row. */
	p = tpath("two_affine.nir");
	t_open(&t, p);
	t_input(&t, "input", 4);
	t_affine(&t, "fc1", 3, 4, NULL);
	t_affine(&t, "li", 3, 3, NULL);
	t_output(&t, "output", 3);
	t_edges(&t, 3, e);
	t_close(&t);
	expect_fail(p, HONE_ERR_UNSUPPORTED, "node 'li' (Affine)", "'fc1'");
}

/* Variants real producers use: NIR 1.0 nests shapes (input_type/input),
 * types may be attributes, strings fixed-length; a LIF with v_leak and
 * r != 1 is folded into the weights and bias; dt from graph metadata. */
static void test_layout_variants(void **state)
{
	(void)state;
	const char *p = tpath("variants.nir");
	hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(f >= 0);
	hid_t node = H5Gcreate2(f, "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	hid_t nodes = H5Gcreate2(node, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	hid_t fixed = H5Tcopy(H5T_C_S1);
	H5Tset_size(fixed, 8);
	H5Tset_strpad(fixed, H5T_STR_NULLPAD);
	hid_t scalar = H5Screate(H5S_SCALAR);
	/* type as a fixed-length attribute, shape nested as in NIR 1.0 */
	const char *names[4] = {"in", "fc", "lif", "out"}, *types[4] = {"Input", "Affine", "LIF", "Output"};
	hid_t g[4];
	for (int i = 0; i < 4; i++) {
		g[i] = H5Gcreate2(nodes, names[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		char buf[8] = {0};
		strncpy(buf, types[i], sizeof buf);
		hid_t a = H5Acreate2(g[i], "type", fixed, scalar, H5P_DEFAULT, H5P_DEFAULT);
		assert_true(a >= 0);
		assert_true(H5Awrite(a, fixed, buf) >= 0);
		H5Aclose(a);
	}
	hid_t it = H5Gcreate2(g[0], "input_type", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	hsize_t d1[1] = {1}, d2[1] = {2}, wd[2] = {2, 2};
	int64_t shape[2] = {1, 2};
	t_i64(it, "input", 1, d2, shape);
	H5Gclose(it);
	float w[4] = {1, -1, 0.5f, 0}, b[2] = {0, 0.5f};
	t_f32(g[1], "weight", 2, wd, w);
	t_f32(g[1], "bias", 1, d2, b);
	/* dt = 1 ms from metadata; tau = 4 ms -> k = 2, alpha = 1/4;
	 * r = 2 -> gain 1/2; v_leak 0.4 -> bias += 0.1. */
	float tau[1] = {0.004f}, r[1] = {2.0f}, vl[1] = {0.4f}, vt[1] = {0.3f};
	t_f32(g[2], "tau", 1, d1, tau);
	t_f32(g[2], "r", 1, d1, r);
	t_f32(g[2], "v_leak", 1, d1, vl);
	t_f32(g[2], "v_threshold", 1, d1, vt);
	int64_t two = 2;
	t_i64(g[3], "shape", 1, d1, &two);
	for (int i = 0; i < 4; i++)
		H5Gclose(g[i]);
	hid_t md = H5Gcreate2(node, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	hid_t ds = H5Dcreate2(md, "dt", H5T_IEEE_F64LE, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	double dt = 1e-3;
	H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &dt);
	H5Dclose(ds);
	H5Gclose(md);
	/* edges as fixed-length strings */
	const char ebuf[3][2][8] = {{"in", "fc"}, {"fc", "lif"}, {"lif", "out"}};
	hsize_t ed[2] = {3, 2};
	hid_t es = H5Screate_simple(2, ed, NULL);
	ds = H5Dcreate2(node, "edges", fixed, es, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(H5Dwrite(ds, fixed, H5S_ALL, H5S_ALL, H5P_DEFAULT, ebuf) >= 0);
	H5Dclose(ds);
	H5Sclose(es);
	H5Sclose(scalar);
	H5Tclose(fixed);
	H5Gclose(nodes);
	H5Gclose(node);
	H5Fclose(f);

	hone_net *net = NULL;
	hone_error err = {0};
	if (hone_nir_read(p, 4, 2, &net, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(net->n_inputs, 2);
	assert_int_equal(net->in_shape[0], 1);
	assert_int_equal(net->in_shape[1], 2);
	hone_layer *l = &net->layers[0];
	assert_string_equal(l->name, "fc");
	assert_int_equal(l->carry, HONE_CARRY_LIF);
	assert_int_equal(l->leak_shift, 2);
	/* effective weights 0.5, -0.5, 0.25, 0: s = 0.5/7; G = 2 -> x3 */
	int32_t ew[4] = {7, -7, 4, 0};
	assert_memory_equal(l->weight, ew, sizeof ew);
	assert_int_equal(l->bias[0], 4);  /* 0.1 * 3 * 14 = 4.2 */
	assert_int_equal(l->bias[1], 15); /* (0.25 + 0.1) * 3 * 14 = 14.7 */
	assert_int_equal(l->threshold[0], 13); /* 0.3 * 3 * 14 = 12.6 */
	hone_net_free(net);
}

/* ------------------------------------------------------- the /hone group */

static void set_attr_i32(const char *path, const char *obj, const char *name, int32_t v)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
	assert_true(o >= 0);
	hid_t a = H5Aopen(o, name, H5P_DEFAULT);
	assert_true(a >= 0);
	assert_true(H5Awrite(a, H5T_NATIVE_INT32, &v) >= 0);
	H5Aclose(a);
	H5Oclose(o);
	H5Fclose(f);
}

static void test_hone_group(void **state)
{
	(void)state;
	uint64_t s = 99;
	hone_net *a = random_net(&s, true), *b = NULL;
	assert_int_equal(hone_net_set_nhot(a, 1, 1), 0); /* a key NIR cannot carry */
	const char *p = tpath("hone.nir");
	hone_error err = {0};

	/* A /hone from a future hone is refused, not half-read. */
	assert_int_equal(hone_nir_write(p, a, &err), 0);
	set_attr_i32(p, "/hone", "format_version", 99);
	expect_fail(p, HONE_ERR_VERSION, "format_version 99", NULL);

	/* A /hone that no longer describes the graph is ignored: the floats
	 * are quantized and the key becomes the identity. */
	assert_int_equal(hone_nir_write(p, a, &err), 0);
	set_attr_i32(p, "/hone", "n_inputs", a->n_inputs + 1);
	assert_int_equal(hone_nir_read(p, a->weight_bits, a->input_bits, &b, &err), 0);
	assert_int_equal(b->n_classes, b->layers[b->n_layers - 1].n_out);
	assert_int_equal(b->output_class[0], 0);
	assert_memory_equal(a->layers[0].weight, b->layers[0].weight,
	                    (size_t)a->layers[0].n_in * (size_t)a->layers[0].n_out * sizeof(int32_t));
	hone_net_free(b);

	/* A matching but damaged /hone is a format error naming the layer. */
	assert_int_equal(hone_nir_write(p, a, &err), 0);
	hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(H5Ldelete(f, "/hone/layers/0/bias", H5P_DEFAULT) >= 0);
	H5Fclose(f);
	expect_fail(p, HONE_ERR_FORMAT, "/hone/layers/0", NULL);
	hone_net_free(a);
}

static void test_write_errors(void **state)
{
	(void)state;
	int32_t sizes[2] = {3, 2};
	hone_net *net = hone_net_new(1, sizes);
	hone_error err = {0};
	net->layers[0].weight[0] = 100; /* outside 4 bits */
	assert_int_equal(hone_nir_write(tpath("bad.nir"), net, &err), HONE_ERR_INVALID);
	assert_non_null(strstr(err.msg, "layer1"));
	net->layers[0].weight[0] = 1;
	net->layers[0].scale = 0;
	assert_int_equal(hone_nir_write(tpath("bad.nir"), net, &err), HONE_ERR_INVALID);
	net->layers[0].scale = 0.5;
	assert_int_equal(hone_nir_write(tpath("no/such/dir/x.nir"), net, &err), HONE_ERR_IO);
	assert_non_null(strstr(err.msg, "no/such/dir/x.nir"));
	assert_int_equal(hone_nir_write(NULL, net, &err), HONE_ERR_INVALID);
	assert_int_equal(hone_nir_read(NULL, 0, 0, &net, &err), HONE_ERR_INVALID);
	hone_net_free(net);
}

/* The written file has the shape real NIR 0.2 files have. */
static void test_written_layout(void **state)
{
	(void)state;
	int32_t sizes[3] = {6, 4, 3};
	hone_net *net = hone_net_new(2, sizes);
	net->in_shape[0] = 1;
	net->in_shape[1] = 2;
	net->in_shape[2] = 3;
	net->layers[1].carry = HONE_CARRY_LIF;
	net->layers[1].leak_shift = 3;
	net->layers[1].reset = HONE_RESET_SUBTRACT;
	net->layers[0].weight[0] = 7;
	net->layers[1].weight[0] = -7;
	const char *p = tpath("layout.nir");
	assert_int_equal(hone_nir_write(p, net, NULL), 0);
	hone_net_free(net);
	hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
	assert_true(f >= 0);
	static const char *const must[] = {
		"/version", "/node/type", "/node/edges", "/node/nodes/input/shape",
		"/node/nodes/flatten/input_type", "/node/nodes/layer1/weight", "/node/nodes/layer1/bias",
		"/node/nodes/thr1/threshold", "/node/nodes/layer2/weight", "/node/nodes/lif2/tau",
		"/node/nodes/lif2/r", "/node/nodes/lif2/v_leak", "/node/nodes/lif2/v_threshold",
		"/node/nodes/lif2/metadata/hone_reset", "/node/nodes/output/shape",
		"/hone/output_class", "/hone/layers/1/weight"};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
		/* walk the path so that every level is checked */
		char buf[128];
		snprintf(buf, sizeof buf, "%s", must[i]);
		for (char *q = strchr(buf + 1, '/');; q = strchr(q + 1, '/')) {
			if (q)
				*q = 0;
			if (H5Lexists(f, buf, H5P_DEFAULT) <= 0)
				fail_msg("written file lacks %s", buf);
			if (!q)
				break;
			*q = '/';
		}
	}
	hid_t d = H5Dopen2(f, "/node/nodes/layer1/weight", H5P_DEFAULT);
	hid_t t = H5Dget_type(d);
	assert_true(H5Tequal(t, H5T_IEEE_F32LE) > 0);
	H5Tclose(t);
	H5Dclose(d);
	H5Fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_exact),
		cmocka_unit_test(test_roundtrip_float),
		cmocka_unit_test(test_quantize_by_hand),
		cmocka_unit_test(test_sample_norse),
		cmocka_unit_test(test_sample_sinabs),
		cmocka_unit_test(test_not_nir),
		cmocka_unit_test(test_missing_edge),
		cmocka_unit_test(test_wrong_weight_shape),
		cmocka_unit_test(test_nan_weight),
		cmocka_unit_test(test_branch),
		cmocka_unit_test(test_unsupported_nodes),
		cmocka_unit_test(test_layout_variants),
		cmocka_unit_test(test_hone_group),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_written_layout),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
