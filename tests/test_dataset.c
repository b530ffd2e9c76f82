/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data sets: Fashion-MNIST and digits loaders on the real files (skipped
 * when the Debian packages are absent) and on small synthetic copies,
 * corrupt on purpose, written to a temporary directory; the split; the
 * pixel quantization rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "hone.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* ------------------------------------------------------------- helpers */

typedef struct tmpdir {
	char path[256];
} tmpdir;

static int tmp_setup(void **state)
{
	tmpdir *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof t->path, "%s/hone-dataset-XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	tmpdir *t = *state;
	char cmd[300];
	/* The directory holds only files this test wrote. */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->path);
	int rc = system(cmd);
	free(t);
	return rc == 0 ? 0 : -1;
}

static void tmp_name(const tmpdir *t, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->path, name);
}

/* Write bytes as a plain file, or gzip-compressed when gz. */
static void put_file(const tmpdir *t, const char *name, const void *data,
                     size_t len, int gz)
{
	char p[512];
	tmp_name(t, name, p, sizeof p);
	gzFile f = gzopen(p, gz ? "wb6" : "wT");
	assert_non_null(f);
	if (len)
		assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(f), Z_OK);
}

static void put_raw(const tmpdir *t, const char *name, const void *data,
                    size_t len)
{
	char p[512];
	tmp_name(t, name, p, sizeof p);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void rm_file(const tmpdir *t, const char *name)
{
	char p[512];
	tmp_name(t, name, p, sizeof p);
	unlink(p);
}

static unsigned char *read_raw(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

/* The error must carry the code and name the file and the problem. */
static void expect_err(int rc, const hone_error *e, int code,
                       const char *sub1, const char *sub2)
{
	if (rc != code || (sub1 && !strstr(e->msg, sub1)) ||
	    (sub2 && !strstr(e->msg, sub2)))
		print_error("got rc %d (want %d), message: %s\n", rc, code,
		            e->msg);
	assert_int_equal(rc, code);
	if (sub1)
		assert_non_null(strstr(e->msg, sub1));
	if (sub2)
		assert_non_null(strstr(e->msg, sub2));
}

/* -------------------------------------------- synthetic Fashion-MNIST */

#define SYN_N 5
#define SIDE 28
#define NF (SIDE * SIDE)

/* A small IDX pair: image i has pixel k = (i * 31 + k) & 255, label
 * (i * 3) % 10. Fields can be bent to make a corrupt copy. */
typedef struct idx_spec {
	uint32_t img_magic, lab_magic;
	uint32_t img_count, lab_count, rows, cols;
	uint32_t img_data, lab_data; /* images / labels actually written */
	uint8_t bad_label;           /* if nonzero, label 1 is set to this */
	size_t extra;                /* trailing bytes after the images */
	int gz;
} idx_spec;

static idx_spec good_spec(void)
{
	idx_spec s = {
		.img_magic = 0x803, .lab_magic = 0x801, .img_count = SYN_N,
		.lab_count = SYN_N, .rows = SIDE, .cols = SIDE,
		.img_data = SYN_N, .lab_data = SYN_N, .gz = 1,
	};
	return s;
}

static uint8_t syn_pixel(int i, int k)
{
	return (uint8_t)((i * 31 + k) & 255);
}

static void put_idx(const tmpdir *t, const char *prefix, const idx_spec *s)
{
	size_t ilen = 16 + (size_t)s->img_data * s->rows * s->cols + s->extra;
	unsigned char *img = calloc(1, ilen);
	assert_non_null(img);
	be32(img, s->img_magic);
	be32(img + 4, s->img_count);
	be32(img + 8, s->rows);
	be32(img + 12, s->cols);
	for (uint32_t i = 0; i < s->img_data; i++)
		for (uint32_t k = 0; k < s->rows * s->cols; k++)
			img[16 + i * s->rows * s->cols + k] =
				syn_pixel((int)i, (int)k);
	unsigned char lab[8 + 64];
	be32(lab, s->lab_magic);
	be32(lab + 4, s->lab_count);
	for (uint32_t i = 0; i < s->lab_data; i++)
		lab[8 + i] = (uint8_t)((i * 3) % 10);
	if (s->bad_label)
		lab[9] = s->bad_label;
	char iname[64], lname[64];
	const char *ext = s->gz ? ".gz" : "";
	snprintf(iname, sizeof iname, "%s-images-idx3-ubyte%s", prefix, ext);
	snprintf(lname, sizeof lname, "%s-labels-idx1-ubyte%s", prefix, ext);
	put_file(t, iname, img, ilen, s->gz);
	put_file(t, lname, lab, 8 + s->lab_data, s->gz);
	free(img);
}

static void rm_idx(const tmpdir *t)
{
	static const char *const names[] = {
		"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
		"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
		"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		rm_file(t, names[i]);
}

static void check_syn(const hone_dataset *d, int n)
{
	assert_int_equal(d->n, n);
	assert_int_equal(d->n_features, NF);
	assert_int_equal(d->shape[0], 1);
	assert_int_equal(d->shape[1], SIDE);
	assert_int_equal(d->shape[2], SIDE);
	assert_int_equal(d->n_classes, 10);
	for (int i = 0; i < n; i++) {
		assert_int_equal(d->y[i], (i * 3) % 10);
		for (int k = 0; k < NF; k++)
			assert_int_equal(d->x[(size_t)i * NF + k], syn_pixel(i, k));
	}
}

static void test_fmnist_synthetic(void **state)
{
	tmpdir *t = *state;
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	idx_spec s = good_spec();
	put_idx(t, "t10k", &s);
	assert_int_equal(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), 0);
	check_syn(d, SYN_N);
	hone_dataset_free(d);
	/* limit below, at and above the count */
	assert_int_equal(hone_dataset_fashion_mnist(t->path, "test", 2, &d, &e), 0);
	check_syn(d, 2);
	hone_dataset_free(d);
	assert_int_equal(hone_dataset_fashion_mnist(t->path, "test", 99, &d, &e), 0);
	check_syn(d, SYN_N);
	hone_dataset_free(d);
	/* the train split reads train-*, absent here */
	d = (hone_dataset *)1;
	expect_err(hone_dataset_fashion_mnist(t->path, "train", 0, &d, &e), &e,
	           HONE_ERR_IO, "train-labels-idx1-ubyte.gz",
	           "dataset-fashion-mnist");
	assert_null(d);
	rm_idx(t);
	/* uncompressed copies read the same */
	s.gz = 0;
	put_idx(t, "t10k", &s);
	assert_int_equal(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), 0);
	check_syn(d, SYN_N);
	hone_dataset_free(d);
	rm_idx(t);
}

static void test_fmnist_args(void **state)
{
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	expect_err(hone_dataset_fashion_mnist("/nonexistent", "valid", 0, &d, &e),
	           &e, HONE_ERR_INVALID, "valid", "'train' or 'test'");
	expect_err(hone_dataset_fashion_mnist("/nonexistent", NULL, 0, &d, &e),
	           &e, HONE_ERR_INVALID, "split", NULL);
	expect_err(hone_dataset_fashion_mnist("/nonexistent", "test", -1, &d, &e),
	           &e, HONE_ERR_INVALID, "limit -1", NULL);
	expect_err(hone_dataset_fashion_mnist("/nonexistent/dir", "test", 0, &d,
	                                      &e),
	           &e, HONE_ERR_IO, "/nonexistent/dir/t10k-labels-idx1-ubyte.gz",
	           "tools/bootstrap.sh");
	assert_null(d);
	/* err may be NULL */
	assert_int_equal(hone_dataset_fashion_mnist("/nonexistent", "test", 0, &d,
	                                            NULL),
	                 HONE_ERR_IO);
}

/* Each corrupt copy: what to bend, the code and the words expected. */
static void corrupt_case(const tmpdir *t, idx_spec s, int code,
                         const char *sub1, const char *sub2)
{
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	put_idx(t, "t10k", &s);
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           code, sub1, sub2);
	assert_null(d);
	rm_idx(t);
}

static void test_fmnist_corrupt(void **state)
{
	tmpdir *t = *state;
	idx_spec s;

	s = good_spec();
	s.img_magic = 0x801;
	corrupt_case(t, s, HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	             "bad IDX magic 0x00000801, expected 0x00000803");
	s = good_spec();
	s.lab_magic = 0x12345678;
	corrupt_case(t, s, HONE_ERR_FORMAT, "t10k-labels-idx1-ubyte.gz",
	             "bad IDX magic 0x12345678");
	s = good_spec();
	s.rows = 27;
	s.img_data = 0; /* data size is irrelevant: the header fails first */
	corrupt_case(t, s, HONE_ERR_FORMAT, "images are 27x28", "28x28");
	s = good_spec();
	s.lab_count = SYN_N - 1;
	s.lab_data = SYN_N - 1;
	corrupt_case(t, s, HONE_ERR_FORMAT, "5 images", "has 4 labels");
	/* header promises more images than there are */
	s = good_spec();
	s.img_data = 3;
	corrupt_case(t, s, HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	             "truncated: the pixels needs 3920 bytes, the file ends "
	             "after 2352");
	s = good_spec();
	s.lab_data = 2;
	corrupt_case(t, s, HONE_ERR_FORMAT, "t10k-labels-idx1-ubyte.gz",
	             "truncated");
	s = good_spec();
	s.extra = 7;
	corrupt_case(t, s, HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	             "trailing data");
	s = good_spec();
	s.bad_label = 10;
	corrupt_case(t, s, HONE_ERR_FORMAT, "offset 9: label 10 of sample 1",
	             "0..9");
	/* a header cut short */
	s = good_spec();
	put_idx(t, "t10k", &s);
	put_file(t, "t10k-images-idx3-ubyte.gz", "\0\0\x08\x03\0\0", 6, 1);
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	           "the IDX header needs 16 bytes");
	rm_idx(t);
}

/* Damage the compressed bytes themselves: a cut .gz and a flipped one. */
static void test_fmnist_bad_gzip(void **state)
{
	tmpdir *t = *state;
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	idx_spec s = good_spec();
	put_idx(t, "t10k", &s);
	char p[512];
	tmp_name(t, "t10k-images-idx3-ubyte.gz", p, sizeof p);
	size_t len;
	unsigned char *gz = read_raw(p, &len);
	assert_non_null(gz);
	assert_true(len > 40);

	put_raw(t, "t10k-images-idx3-ubyte.gz", gz, len / 2);
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	           "truncated .gz file");
	/* only the 8-byte trailer missing: caught at the end of the data */
	put_raw(t, "t10k-images-idx3-ubyte.gz", gz, len - 8);
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz", "truncated");
	/* a wrong CRC-32 in the trailer */
	gz[len - 8] ^= 0xff;
	put_raw(t, "t10k-images-idx3-ubyte.gz", gz, len);
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	           "corrupt gzip data");
	gz[len - 8] ^= 0xff;
	/* garbage in the middle of the deflate stream */
	for (size_t i = 12; i < len / 2; i++)
		gz[i] = (unsigned char)(i * 77);
	put_raw(t, "t10k-images-idx3-ubyte.gz", gz, len);
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz", NULL);
	assert_null(d);
	free(gz);
	rm_idx(t);
}

/* ------------------------------------------------ real Fashion-MNIST */

static void test_fmnist_real_test(void **state)
{
	(void)state;
	if (!file_exists(FMNIST_DIR "/t10k-images-idx3-ubyte.gz") ||
	    !file_exists(FMNIST_DIR "/t10k-labels-idx1-ubyte.gz"))
		skip();
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	int rc = hone_dataset_fashion_mnist(NULL, "test", 0, &d, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(d->n, 10000);
	assert_int_equal(d->n_features, 784);
	assert_int_equal(d->shape[0], 1);
	assert_int_equal(d->shape[1], 28);
	assert_int_equal(d->shape[2], 28);
	assert_int_equal(d->n_classes, 10);
	int hist[10] = { 0 };
	for (int i = 0; i < d->n; i++) {
		assert_in_range(d->y[i], 0, 9);
		hist[d->y[i]]++;
	}
	for (int c = 0; c < 10; c++)
		assert_int_equal(hist[c], 1000);
	/* Facts read from the file with Python's gzip module: the first
	 * labels (9 = ankle boot), the first image's pixel sum, nonzero
	 * count and centre pixel, and the sum over all pixels. */
	static const uint8_t first[10] = { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 };
	for (int i = 0; i < 10; i++)
		assert_int_equal(d->y[i], first[i]);
	long sum = 0, nz = 0, max = 0;
	for (int k = 0; k < 784; k++) {
		sum += d->x[k];
		nz += d->x[k] != 0;
		max = d->x[k] > max ? d->x[k] : max;
	}
	assert_int_equal(sum, 33456);
	assert_int_equal(nz, 267);
	assert_int_equal(max, 255);
	assert_int_equal(d->x[0], 0);
	assert_int_equal(d->x[14 * 28 + 14], 110);
	unsigned long long total = 0;
	for (size_t k = 0; k < (size_t)d->n * 784; k++)
		total += d->x[k];
	assert_true(total == 573469082ull);
	hone_dataset_free(d);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_fmnist_real_train(void **state)
{
	(void)state;
	if (!file_exists(FMNIST_DIR "/train-images-idx3-ubyte.gz") ||
	    !file_exists(FMNIST_DIR "/train-labels-idx1-ubyte.gz"))
		skip();
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	assert_int_equal(hone_dataset_fashion_mnist(FMNIST_DIR, "train", 100, &d,
	                                            &e),
	                 0);
	assert_int_equal(d->n, 100);
	static const uint8_t first[10] = { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 };
	for (int i = 0; i < 10; i++)
		assert_int_equal(d->y[i], first[i]);
	long sum = 0;
	for (int k = 0; k < 784; k++)
		sum += d->x[k];
	assert_int_equal(sum, 76247);
	hone_dataset_free(d);

	double t0 = now();
	assert_int_equal(hone_dataset_fashion_mnist(NULL, "train", 0, &d, &e), 0);
	double secs = now() - t0;
	print_message("fashion-mnist train: %d images loaded in %.3f s\n", d->n,
	              secs);
	assert_int_equal(d->n, 60000);
	int hist[10] = { 0 };
	for (int i = 0; i < d->n; i++)
		hist[d->y[i]]++;
	for (int c = 0; c < 10; c++)
		assert_int_equal(hist[c], 6000);
	unsigned long long total = 0;
	for (size_t k = 0; k < (size_t)d->n * 784; k++)
		total += d->x[k];
	assert_true(total == 3431114169ull);
	hone_dataset_free(d);
}

/* A real file cut short, as a failed download or full disk leaves it. */
static void test_fmnist_real_truncated_copy(void **state)
{
	tmpdir *t = *state;
	const char *src = FMNIST_DIR "/t10k-images-idx3-ubyte.gz";
	const char *lsrc = FMNIST_DIR "/t10k-labels-idx1-ubyte.gz";
	if (!file_exists(src) || !file_exists(lsrc))
		skip();
	size_t len, llen;
	unsigned char *img = read_raw(src, &len);
	unsigned char *lab = read_raw(lsrc, &llen);
	assert_non_null(img);
	assert_non_null(lab);
	put_raw(t, "t10k-labels-idx1-ubyte.gz", lab, llen);
	put_raw(t, "t10k-images-idx3-ubyte.gz", img, 100000);
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	expect_err(hone_dataset_fashion_mnist(t->path, "test", 0, &d, &e), &e,
	           HONE_ERR_FORMAT, "t10k-images-idx3-ubyte.gz",
	           "truncated .gz file");
	/* the part before the cut is still readable with a limit */
	assert_int_equal(hone_dataset_fashion_mnist(t->path, "test", 10, &d, &e),
	                 0);
	assert_int_equal(d->y[0], 9);
	hone_dataset_free(d);
	free(img);
	free(lab);
	rm_idx(t);
}

/* -------------------------------------------------------------- digits */

static uint8_t digit_scale(int v)
{
	return (uint8_t)lround(v * 255.0 / 16.0);
}

static void test_digits_real(void **state)
{
	(void)state;
	const char *p = hone_dataset_digits_default_path();
	if (!p)
		skip();
	hone_dataset *d = NULL;
	hone_error e = { 0 };
	int rc = hone_dataset_digits(NULL, &d, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(d->n, 1797);
	assert_int_equal(d->n_features, 64);
	assert_int_equal(d->shape[0], 1);
	assert_int_equal(d->shape[1], 8);
	assert_int_equal(d->shape[2], 8);
	assert_int_equal(d->n_classes, 10);
	/* class counts of scikit-learn's copy (UCI optdigits test set) */
	static const int want[10] = { 178, 182, 177, 183, 181,
		                      182, 181, 179, 174, 180 };
	int hist[10] = { 0 };
	for (int i = 0; i < d->n; i++)
		hist[d->y[i]]++;
	for (int c = 0; c < 10; c++)
		assert_int_equal(hist[c], want[c]);
	/* first row of the file: 0,0,5,13,9,1,0,0,...; label 0 */
	static const int row0[8] = { 0, 0, 5, 13, 9, 1, 0, 0 };
	for (int k = 0; k < 8; k++)
		assert_int_equal(d->x[k], digit_scale(row0[k]));
	assert_int_equal(d->x[2], 80);
	assert_int_equal(d->y[0], 0);
	assert_int_equal(d->y[1796], 8);
	/* every pixel is one of the 17 scaled levels */
	for (size_t k = 0; k < (size_t)d->n * 64; k++) {
		int v = (d->x[k] * 16 + 127) / 255;
		assert_int_equal(d->x[k], digit_scale(v));
	}
	hone_dataset_free(d);
	/* the same file named explicitly */
	assert_int_equal(hone_dataset_digits(p, &d, &e), 0);
	assert_int_equal(d->n, 1797);
	hone_dataset_free(d);
}

/* Build a CSV row: pixel k = (k + row) % 17, label row % 10. */
static size_t csv_row(char *b, size_t cap, int row)
{
	size_t o = 0;
	for (int k = 0; k < 64; k++)
		o += (size_t)snprintf(b + o, cap - o, "%d,", (k + row) % 17);
	o += (size_t)snprintf(b + o, cap - o, "%d", row % 10);
	return o;
}

static void test_digits_synthetic(void **state)
{
	tmpdir *t = *state;
	char buf[4096];
	size_t o = 0;
	for (int r = 0; r < 20; r++) {
		o += csv_row(buf + o, sizeof buf - o, r);
		/* Windows line ends on some rows, a blank line in the middle */
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s",
		                      r == 3 ? "\r\n" : r == 7 ? "\n\n" : "\n");
	}
	for (int gz = 0; gz < 2; gz++) {
		const char *name = gz ? "d.csv.gz" : "d.csv";
		put_file(t, name, buf, o, gz);
		char p[512];
		tmp_name(t, name, p, sizeof p);
		hone_dataset *d = NULL;
		hone_error e = { 0 };
		int rc = hone_dataset_digits(p, &d, &e);
		if (rc)
			print_error("%s\n", e.msg);
		assert_int_equal(rc, 0);
		assert_int_equal(d->n, 20);
		assert_int_equal(d->n_classes, 10);
		for (int r = 0; r < 20; r++) {
			assert_int_equal(d->y[r], r % 10);
			for (int k = 0; k < 64; k++)
				assert_int_equal(d->x[r * 64 + k],
				                 digit_scale((k + r) % 17));
		}
		hone_dataset_free(d);
		rm_file(t, name);
	}
	/* the whole scale: 0 -> 0, 8 -> 128 (127.5 rounds up), 16 -> 255 */
	assert_int_equal(digit_scale(0), 0);
	assert_int_equal(digit_scale(1), 16);
	assert_int_equal(digit_scale(8), 128);
	assert_int_equal(digit_scale(16), 255);
}

static void digits_bad(const tmpdir *t, const char *text, int code,
                       const char *sub1, const char *sub2)
{
	put_file(t, "bad.csv", text, strlen(text), 0);
	char p[512];
	tmp_name(t, "bad.csv", p, sizeof p);
	hone_dataset *d = (hone_dataset *)1;
	hone_error e = { 0 };
	expect_err(hone_dataset_digits(p, &d, &e), &e, code, sub1, sub2);
	assert_non_null(strstr(e.msg, "bad.csv"));
	assert_null(d);
	rm_file(t, "bad.csv");
}

static void test_digits_errors(void **state)
{
	tmpdir *t = *state;
	char good[1024], line[1200];
	csv_row(good, sizeof good, 1);

	digits_bad(t, "", HONE_ERR_FORMAT, "no samples", NULL);
	digits_bad(t, "\n\n", HONE_ERR_FORMAT, "no samples", NULL);
	/* 64 fields: the label is missing */
	snprintf(line, sizeof line, "%s\n%.*s\n", good,
	         (int)(strrchr(good, ',') - good), good);
	digits_bad(t, line, HONE_ERR_FORMAT, "line 2: 64 fields", "expected 65");
	snprintf(line, sizeof line, "%s,3\n", good);
	digits_bad(t, line, HONE_ERR_FORMAT, "line 1: more than 65 fields", NULL);
	snprintf(line, sizeof line, "%s\n17%s\n", good, strchr(good, ','));
	digits_bad(t, line, HONE_ERR_FORMAT, "line 2 field 1: pixel 17",
	           "0..16");
	snprintf(line, sizeof line, "%.*s,10\n",
	         (int)(strrchr(good, ',') - good), good);
	digits_bad(t, line, HONE_ERR_FORMAT, "line 1 field 65: label 10", "0..9");
	snprintf(line, sizeof line, "0,0,x%s\n", strchr(good, ','));
	digits_bad(t, line, HONE_ERR_FORMAT, "line 1 field 3: 'x'",
	           "not a non-negative integer");
	snprintf(line, sizeof line, "-1%s\n", strchr(good, ','));
	digits_bad(t, line, HONE_ERR_FORMAT, "line 1 field 1: '-1'", NULL);
	snprintf(line, sizeof line, "1.5%s\n", strchr(good, ','));
	digits_bad(t, line, HONE_ERR_FORMAT, "line 1 field 1: '1.5'", NULL);
	digits_bad(t, "\x01\x02garbage\xff\n", HONE_ERR_FORMAT, "line 1 field 1",
	           NULL);

	hone_dataset *d = NULL;
	hone_error e = { 0 };
	expect_err(hone_dataset_digits("/nonexistent/digits.csv.gz", &d, &e), &e,
	           HONE_ERR_IO, "/nonexistent/digits.csv.gz", "cannot open");
}

/* --------------------------------------------------------------- split */

/* n samples, 2 features holding the original index, label index % 7. */
static hone_dataset *indexed(int32_t n)
{
	hone_dataset *d = calloc(1, sizeof *d);
	assert_non_null(d);
	d->n = n;
	d->n_features = 2;
	d->shape[0] = 1;
	d->shape[1] = 1;
	d->shape[2] = 2;
	d->n_classes = 7;
	d->x = malloc((size_t)n * 2 + 1);
	d->y = malloc((size_t)n + 1);
	assert_non_null(d->x);
	assert_non_null(d->y);
	for (int32_t i = 0; i < n; i++) {
		d->x[2 * i] = (uint8_t)(i >> 8);
		d->x[2 * i + 1] = (uint8_t)i;
		d->y[i] = (uint8_t)(i % 7);
	}
	return d;
}

static int32_t orig(const hone_dataset *d, int32_t i)
{
	return d->x[2 * i] << 8 | d->x[2 * i + 1];
}

static void check_partition(const hone_dataset *d, const hone_dataset *tr,
                            const hone_dataset *te)
{
	assert_int_equal(tr->n + te->n, d->n);
	char *seen = calloc((size_t)d->n + 1, 1);
	assert_non_null(seen);
	const hone_dataset *h[2] = { tr, te };
	for (int k = 0; k < 2; k++) {
		assert_int_equal(h[k]->n_features, d->n_features);
		assert_memory_equal(h[k]->shape, d->shape, sizeof d->shape);
		assert_int_equal(h[k]->n_classes, d->n_classes);
		for (int32_t i = 0; i < h[k]->n; i++) {
			int32_t o = orig(h[k], i);
			assert_in_range(o, 0, d->n - 1);
			assert_int_equal(seen[o], 0);
			seen[o] = 1;
			assert_int_equal(h[k]->y[i], o % 7); /* label follows */
		}
	}
	free(seen);
}

static void test_split(void **state)
{
	(void)state;
	hone_dataset *d = indexed(1000);
	hone_dataset *a = NULL, *b = NULL, *c = NULL, *e = NULL;
	assert_int_equal(hone_dataset_split(d, 0.25, 7, &a, &b), 0);
	assert_int_equal(a->n, 750);
	assert_int_equal(b->n, 250);
	check_partition(d, a, b);
	/* deterministic: same seed, same halves, same order */
	assert_int_equal(hone_dataset_split(d, 0.25, 7, &c, &e), 0);
	assert_memory_equal(a->x, c->x, 750 * 2);
	assert_memory_equal(b->x, e->x, 250 * 2);
	hone_dataset_free(c);
	hone_dataset_free(e);
	/* another seed, another order */
	assert_int_equal(hone_dataset_split(d, 0.25, 8, &c, &e), 0);
	check_partition(d, c, e);
	assert_true(memcmp(a->x, c->x, 750 * 2) != 0);
	/* it is a shuffle, not the identity */
	int moved = 0;
	for (int32_t i = 0; i < a->n; i++)
		moved += orig(a, i) != i;
	assert_true(moved > 700);
	hone_dataset_free(a);
	hone_dataset_free(b);
	hone_dataset_free(c);
	hone_dataset_free(e);
	/* edges: nothing or everything to test; rounding of n * frac */
	assert_int_equal(hone_dataset_split(d, 0.0, 1, &a, &b), 0);
	assert_int_equal(a->n, 1000);
	assert_int_equal(b->n, 0);
	check_partition(d, a, b);
	hone_dataset_free(a);
	hone_dataset_free(b);
	assert_int_equal(hone_dataset_split(d, 1.0, 1, &a, &b), 0);
	assert_int_equal(a->n, 0);
	assert_int_equal(b->n, 1000);
	check_partition(d, a, b);
	hone_dataset_free(a);
	hone_dataset_free(b);
	assert_int_equal(hone_dataset_split(d, 0.0004, 1, &a, &b), 0);
	assert_int_equal(b->n, 0); /* 0.4 rounds down */
	hone_dataset_free(a);
	hone_dataset_free(b);
	assert_int_equal(hone_dataset_split(d, 0.0005, 1, &a, &b), 0);
	assert_int_equal(b->n, 1); /* 0.5 rounds up */
	hone_dataset_free(a);
	hone_dataset_free(b);
	/* bad arguments leave the outputs NULL */
	a = b = (hone_dataset *)1;
	assert_int_equal(hone_dataset_split(d, -0.1, 1, &a, &b), HONE_ERR_INVALID);
	assert_null(a);
	assert_null(b);
	assert_int_equal(hone_dataset_split(d, 1.5, 1, &a, &b), HONE_ERR_INVALID);
	assert_int_equal(hone_dataset_split(d, NAN, 1, &a, &b), HONE_ERR_INVALID);
	assert_int_equal(hone_dataset_split(NULL, 0.5, 1, &a, &b),
	                 HONE_ERR_INVALID);
	hone_dataset_free(d);
	hone_dataset_free(NULL);
}

/* The permutation docs/datasets.md defines, computed independently with
 * its Python reference: splitmix64 + rejection + Fisher-Yates. */
static void test_split_golden(void **state)
{
	(void)state;
	hone_dataset *d = indexed(10);
	hone_dataset *a = NULL, *b = NULL;
	static const int32_t p42[10] = { 0, 9, 5, 8, 6, 4, 7, 2, 1, 3 };
	assert_int_equal(hone_dataset_split(d, 0.2, 42, &a, &b), 0);
	assert_int_equal(a->n, 8);
	assert_int_equal(b->n, 2);
	for (int i = 0; i < 8; i++)
		assert_int_equal(orig(a, i), p42[i]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(orig(b, i), p42[8 + i]);
	hone_dataset_free(a);
	hone_dataset_free(b);
	static const int32_t p0[10] = { 6, 3, 2, 9, 8, 1, 4, 7, 0, 5 };
	assert_int_equal(hone_dataset_split(d, 0.0, 0, &a, &b), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(orig(a, i), p0[i]);
	hone_dataset_free(a);
	hone_dataset_free(b);
	hone_dataset_free(d);
}

/* ------------------------------------------------------------ quantize */

static void test_quantize(void **state)
{
	(void)state;
	hone_dataset *d = calloc(1, sizeof *d);
	assert_non_null(d);
	d->n = 2;
	d->n_features = 256;
	d->x = malloc(512);
	d->y = calloc(2, 1);
	assert_non_null(d->x);
	for (int k = 0; k < 256; k++) {
		d->x[k] = (uint8_t)k;
		d->x[256 + k] = (uint8_t)(255 - k);
	}
	uint8_t g[256];
	for (int G = 1; G <= 8; G++) {
		int gmax = (1 << G) - 1;
		hone_dataset_quantize(d, 0, G, g);
		/* exhaustive against the documented formula, in doubles */
		for (int x = 0; x < 256; x++)
			assert_int_equal(g[x], (int)lround(x * (double)gmax / 255.0));
		assert_int_equal(g[0], 0);
		assert_int_equal(g[255], gmax);
		for (int x = 1; x < 256; x++)
			assert_true(g[x] >= g[x - 1]); /* monotone */
		hone_dataset_quantize(d, 1, G, g); /* the row index is honoured */
		assert_int_equal(g[0], gmax);
		assert_int_equal(g[255], 0);
	}
	/* G = 1: a spike iff x > 127 */
	hone_dataset_quantize(d, 0, 1, g);
	assert_int_equal(g[127], 0);
	assert_int_equal(g[128], 1);
	for (int x = 0; x < 256; x++)
		assert_int_equal(g[x], x > 127);
	/* G = 8 is the identity; G = 4: 8 -> 0 (0.47), 9 -> 1 (0.53) */
	hone_dataset_quantize(d, 0, 8, g);
	for (int x = 0; x < 256; x++)
		assert_int_equal(g[x], x);
	hone_dataset_quantize(d, 0, 4, g);
	assert_int_equal(g[8], 0);
	assert_int_equal(g[9], 1);
	assert_int_equal(g[127], 7);
	assert_int_equal(g[128], 8);
	hone_dataset_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fmnist_synthetic, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test(test_fmnist_args),
		cmocka_unit_test_setup_teardown(test_fmnist_corrupt, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test_setup_teardown(test_fmnist_bad_gzip, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test(test_fmnist_real_test),
		cmocka_unit_test(test_fmnist_real_train),
		cmocka_unit_test_setup_teardown(test_fmnist_real_truncated_copy,
		                                tmp_setup, tmp_teardown),
		cmocka_unit_test(test_digits_real),
		cmocka_unit_test_setup_teardown(test_digits_synthetic, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test_setup_teardown(test_digits_errors, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_golden),
		cmocka_unit_test(test_quantize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
