/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data sets (docs/datasets.md): Fashion-MNIST from its IDX files, the 8x8
 * digits CSV of scikit-learn, the deterministic train/test split and the
 * one rule that turns pixels into graded input values.
 *
 * Every file goes through zlib's gzopen/gzread, which reads gzip and plain
 * files alike, so an uncompressed copy works without a second code path.
 */
#include "hone_internal.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_SIDE 28
#define FMNIST_CLASSES 10
#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */

#define DIGITS_SIDE 8
#define DIGITS_FEATURES (DIGITS_SIDE * DIGITS_SIDE)
#define DIGITS_CLASSES 10
#define DIGITS_MAX 16

/* ------------------------------------------------------------- helpers */

static hone_dataset *dataset_alloc(int32_t n, int32_t n_features)
{
	hone_dataset *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->n = n;
	d->n_features = n_features;
	/* At least one byte each, so an empty split half still has valid
	 * (never NULL) arrays and callers need no special case. */
	d->x = malloc((size_t)n * (size_t)n_features + 1);
	d->y = malloc((size_t)n + 1);
	if (!d->x || !d->y) {
		hone_dataset_free(d);
		return NULL;
	}
	return d;
}

void hone_dataset_free(hone_dataset *d)
{
	if (!d)
		return;
	free(d->x);
	free(d->y);
	free(d);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Read exactly len bytes at offset off (for messages) of an open gz file.
 * A short read is told apart by zlib's error state: a gzip stream cut
 * short (Z_BUF_ERROR), damaged compressed data (Z_DATA_ERROR), a system
 * error (Z_ERRNO), or a well-formed file that simply has fewer bytes than
 * its header promised. */
static int gz_read_exact(gzFile f, const char *path, void *buf, size_t len,
                         size_t off, const char *what, hone_error *err)
{
	unsigned char *p = buf;
	size_t got = 0;
	while (got < len) {
		size_t chunk = len - got;
		if (chunk > (1u << 30))
			chunk = 1u << 30; /* gzread counts in unsigned/int */
		int r = gzread(f, p + got, (unsigned)chunk);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == len)
		return 0;
	int zerr = Z_OK;
	const char *zmsg = gzerror(f, &zerr);
	if (zerr == Z_ERRNO)
		return hone_fail(err, HONE_ERR_IO,
		                 "file '%s' offset %zu: read failed: %s", path,
		                 off + got, strerror(errno));
	if (zerr == Z_BUF_ERROR)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset %zu: gzip stream ends early "
		                 "(truncated .gz file) while reading %s "
		                 "(%zu of %zu bytes)",
		                 path, off + got, what, got, len);
	if (zerr != Z_OK)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset %zu: corrupt gzip data while "
		                 "reading %s: %s",
		                 path, off + got, what, zmsg);
	return hone_fail(err, HONE_ERR_FORMAT,
	                 "file '%s' offset %zu: truncated: %s needs %zu bytes, "
	                 "the file ends after %zu",
	                 path, off + got, what, len, got);
}

/* After the declared data, the file must end; reading one more byte also
 * makes zlib check the gzip trailer (CRC-32 and length). */
static int gz_expect_end(gzFile f, const char *path, size_t off,
                         hone_error *err)
{
	unsigned char extra;
	int r = gzread(f, &extra, 1);
	if (r > 0)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset %zu: trailing data after the "
		                 "count given in the header",
		                 path, off);
	int zerr = Z_OK;
	const char *zmsg = gzerror(f, &zerr);
	if (zerr == Z_ERRNO)
		return hone_fail(err, HONE_ERR_IO, "file '%s': read failed: %s",
		                 path, strerror(errno));
	if (zerr == Z_BUF_ERROR)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset %zu: gzip stream ends early "
		                 "(truncated .gz file: no trailer)",
		                 path, off);
	if (zerr != Z_OK)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset %zu: corrupt gzip data: %s",
		                 path, off, zmsg);
	return 0;
}

/* ------------------------------------------------------- Fashion-MNIST */

#define FMNIST_HINT                                                         \
	"Fashion-MNIST comes from the Debian package dataset-fashion-mnist " \
	"(tools/bootstrap.sh installs it)"

/* Open dir/base.gz, or dir/base if only an uncompressed copy exists. */
static int idx_open(const char *dir, const char *base, char *path,
                    size_t cap, gzFile *out, hone_error *err)
{
	int n = snprintf(path, cap, "%s/%s.gz", dir, base);
	if (n < 0 || (size_t)n >= cap)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "directory '%s': path too long", dir);
	gzFile f = gzopen(path, "rb");
	if (f) {
		*out = f;
		return 0;
	}
	int saved = errno;
	if (saved == ENOENT) {
		char plain[4096];
		n = snprintf(plain, sizeof plain, "%s/%s", dir, base);
		if (n > 0 && (size_t)n < sizeof plain) {
			f = gzopen(plain, "rb");
			if (f) {
				snprintf(path, cap, "%s", plain);
				*out = f;
				return 0;
			}
		}
	}
	if (saved == ENOENT)
		return hone_fail(err, HONE_ERR_IO,
		                 "file '%s': cannot open: %s (nor an uncompressed "
		                 "'%s'); " FMNIST_HINT,
		                 path, strerror(saved), base);
	return hone_fail(err, HONE_ERR_IO, "file '%s': cannot open: %s", path,
	                 saved ? strerror(saved) : "out of memory");
}

/* Read an IDX header: magic, then one big-endian count per dimension. */
static int idx_header(gzFile f, const char *path, uint32_t magic,
                      uint32_t *dims, int ndims, hone_error *err)
{
	unsigned char h[16];
	size_t len = 4 * (size_t)(1 + ndims);
	int rc = gz_read_exact(f, path, h, len, 0, "the IDX header", err);
	if (rc)
		return rc;
	uint32_t m = be32(h);
	if (m != magic) {
		const char *hint = "";
		if (m == IDX_MAGIC_IMAGES)
			hint = " (this is an image file)";
		else if (m == IDX_MAGIC_LABELS)
			hint = " (this is a label file)";
		else if (h[0] == 0x1f && h[1] == 0x8b)
			hint = " (gzip inside gzip?)";
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' offset 0: bad IDX magic 0x%08x, "
		                 "expected 0x%08x (unsigned bytes, %d "
		                 "dimension%s)%s",
		                 path, m, magic, ndims, ndims == 1 ? "" : "s",
		                 hint);
	}
	for (int i = 0; i < ndims; i++)
		dims[i] = be32(h + 4 * (i + 1));
	return 0;
}

int hone_dataset_fashion_mnist(const char *dir, const char *split,
                               int32_t limit, hone_dataset **out,
                               hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "fashion-mnist: out is NULL");
	*out = NULL;
	if (!dir)
		dir = FMNIST_DEFAULT_DIR;
	const char *prefix;
	if (split && strcmp(split, "train") == 0)
		prefix = "train";
	else if (split && strcmp(split, "test") == 0)
		prefix = "t10k";
	else
		return hone_fail(err, HONE_ERR_INVALID,
		                 "fashion-mnist: split '%s': expected 'train' or "
		                 "'test'",
		                 split ? split : "(null)");
	if (limit < 0)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "fashion-mnist: limit %d: must be >= 0 (0 = all)",
		                 (int)limit);

	char ipath[4096], lpath[4096], base[64];
	gzFile fi = NULL, fl = NULL;
	hone_dataset *d = NULL;
	uint32_t idims[3], ldims[1];
	int rc;

	/* Labels first: the small file fails fast when the set is absent. */
	snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
	rc = idx_open(dir, base, lpath, sizeof lpath, &fl, err);
	if (rc)
		goto out;
	snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
	rc = idx_open(dir, base, ipath, sizeof ipath, &fi, err);
	if (rc)
		goto out;
	gzbuffer(fi, 1u << 17);

	rc = idx_header(fl, lpath, IDX_MAGIC_LABELS, ldims, 1, err);
	if (rc)
		goto out;
	rc = idx_header(fi, ipath, IDX_MAGIC_IMAGES, idims, 3, err);
	if (rc)
		goto out;
	if (idims[1] != FMNIST_SIDE || idims[2] != FMNIST_SIDE) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "file '%s' offset 8: images are %ux%u, expected "
		               "%dx%d",
		               ipath, idims[1], idims[2], FMNIST_SIDE, FMNIST_SIDE);
		goto out;
	}
	if (idims[0] != ldims[0]) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "file '%s' offset 4: %u images, but file '%s' has "
		               "%u labels",
		               ipath, idims[0], lpath, ldims[0]);
		goto out;
	}
	if (idims[0] > INT32_MAX) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "file '%s' offset 4: %u images: too many", ipath,
		               idims[0]);
		goto out;
	}

	int32_t count = (int32_t)idims[0];
	int32_t n = (limit == 0 || limit > count) ? count : limit;
	const int32_t nf = FMNIST_SIDE * FMNIST_SIDE;
	d = dataset_alloc(n, nf);
	if (!d) {
		rc = hone_fail(err, HONE_ERR_NOMEM,
		               "fashion-mnist: out of memory for %d images", (int)n);
		goto out;
	}
	d->shape[0] = 1;
	d->shape[1] = FMNIST_SIDE;
	d->shape[2] = FMNIST_SIDE;
	d->n_classes = FMNIST_CLASSES;

	rc = gz_read_exact(fl, lpath, d->y, (size_t)n, 8, "the labels", err);
	if (rc)
		goto out;
	for (int32_t i = 0; i < n; i++) {
		if (d->y[i] >= FMNIST_CLASSES) {
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "file '%s' offset %ld: label %u of sample %d "
			               "is out of range 0..%d",
			               lpath, 8L + i, d->y[i], (int)i,
			               FMNIST_CLASSES - 1);
			goto out;
		}
	}
	rc = gz_read_exact(fi, ipath, d->x, (size_t)n * (size_t)nf, 16,
	                   "the pixels", err);
	if (rc)
		goto out;
	/* Only a full read can see the end of the files. */
	if (n == count) {
		rc = gz_expect_end(fl, lpath, 8 + (size_t)n, err);
		if (rc)
			goto out;
		rc = gz_expect_end(fi, ipath, 16 + (size_t)n * (size_t)nf, err);
		if (rc)
			goto out;
	}
	*out = d;
	d = NULL;
out:
	hone_dataset_free(d);
	if (fi)
		gzclose(fi);
	if (fl)
		gzclose(fl);
	return rc;
}

/* -------------------------------------------------------------- digits */

/* Where Debian's python3-sklearn puts the file. Other distributions put
 * scikit-learn under a versioned python directory; pass the path there. */
static const char *const digits_paths[] = {
	"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
	"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv",
	"/usr/local/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
};

const char *hone_dataset_digits_default_path(void)
{
	for (size_t i = 0; i < sizeof digits_paths / sizeof digits_paths[0]; i++)
		if (access(digits_paths[i], R_OK) == 0)
			return digits_paths[i];
	return NULL;
}

/* Read a whole (gzip or plain) file into a NUL-terminated buffer. The
 * digits file is 300 kB uncompressed, so one buffer is simplest. */
static int gz_slurp(const char *path, char **out, size_t *len,
                    hone_error *err)
{
	*out = NULL;
	gzFile f = gzopen(path, "rb");
	if (!f)
		return hone_fail(err, HONE_ERR_IO, "file '%s': cannot open: %s",
		                 path, errno ? strerror(errno) : "out of memory");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int rc = 0;
	for (;;) {
		if (buf && cap - n < 2) {
			char *nb = (cap > SIZE_MAX / 2) ? NULL : realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
		if (!buf) {
			rc = hone_fail(err, HONE_ERR_NOMEM,
			               "file '%s': out of memory", path);
			break;
		}
		size_t want = cap - n - 1;
		if (want > (1u << 30))
			want = 1u << 30;
		int r = gzread(f, buf + n, (unsigned)want);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		int zerr = Z_OK;
		const char *zmsg = gzerror(f, &zerr);
		if (zerr == Z_ERRNO)
			rc = hone_fail(err, HONE_ERR_IO,
			               "file '%s': read failed: %s", path,
			               strerror(errno));
		else if (zerr == Z_BUF_ERROR)
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "file '%s' offset %zu: gzip stream ends "
			               "early (truncated .gz file)",
			               path, n);
		else if (zerr != Z_OK)
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "file '%s' offset %zu: corrupt gzip data: %s",
			               path, n, zmsg);
		break;
	}
	gzclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* One CSV field [p, end) as an unsigned decimal, spaces around it
 * allowed. Large values saturate (they are out of range anyway). */
static bool csv_uint(const char *p, const char *end, long *v)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end)
		return false;
	long x = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (x < 100000)
			x = x * 10 + (*p - '0');
	}
	*v = x;
	return true;
}

int hone_dataset_digits(const char *path, hone_dataset **out, hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "digits: out is NULL");
	*out = NULL;
	if (!path)
		path = hone_dataset_digits_default_path();
	if (!path)
		return hone_fail(err, HONE_ERR_IO,
		                 "file '%s': not found; the 8x8 digits come from "
		                 "the Debian package python3-sklearn "
		                 "(tools/bootstrap.sh installs it)",
		                 digits_paths[0]);
	char *buf = NULL;
	size_t len = 0;
	int rc = gz_slurp(path, &buf, &len, err);
	if (rc)
		return rc;

	/* Lines bound the rows, so one allocation holds every sample. */
	size_t max_rows = 1;
	for (size_t i = 0; i < len; i++)
		max_rows += buf[i] == '\n';
	if (max_rows > INT32_MAX) {
		free(buf);
		return hone_fail(err, HONE_ERR_FORMAT, "file '%s': too many lines",
		                 path);
	}
	hone_dataset *d = dataset_alloc((int32_t)max_rows, DIGITS_FEATURES);
	if (!d) {
		free(buf);
		return hone_fail(err, HONE_ERR_NOMEM, "file '%s': out of memory",
		                 path);
	}
	d->shape[0] = 1;
	d->shape[1] = DIGITS_SIDE;
	d->shape[2] = DIGITS_SIDE;
	d->n_classes = DIGITS_CLASSES;

	int32_t rows = 0;
	long line = 0;
	const char *p = buf, *end = buf + len;
	while (p < end && rc == 0) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *lend = eol;
		if (lend > p && lend[-1] == '\r')
			lend--;
		line++;
		const char *q = p;
		p = eol + 1;
		const char *s = q;
		while (s < lend && (*s == ' ' || *s == '\t'))
			s++;
		if (s == lend)
			continue; /* blank line */
		uint8_t *x = d->x + (size_t)rows * DIGITS_FEATURES;
		for (int field = 1; field <= DIGITS_FEATURES + 1; field++) {
			const char *comma = memchr(q, ',', (size_t)(lend - q));
			const char *fend = comma ? comma : lend;
			long v;
			if (!csv_uint(q, fend, &v)) {
				int tl = (int)(fend - q);
				rc = hone_fail(err, HONE_ERR_FORMAT,
				               "file '%s' line %ld field %d: '%.*s%s' is "
				               "not a non-negative integer",
				               path, line, field, tl > 20 ? 20 : tl, q,
				               tl > 20 ? "..." : "");
				break;
			}
			if (!comma && field <= DIGITS_FEATURES) {
				rc = hone_fail(err, HONE_ERR_FORMAT,
				               "file '%s' line %ld: %d fields, expected "
				               "%d (64 pixels, then the label)",
				               path, line, field, DIGITS_FEATURES + 1);
				break;
			}
			if (comma && field > DIGITS_FEATURES) {
				rc = hone_fail(err, HONE_ERR_FORMAT,
				               "file '%s' line %ld: more than %d fields "
				               "(64 pixels, then the label)",
				               path, line, DIGITS_FEATURES + 1);
				break;
			}
			if (field <= DIGITS_FEATURES && v > DIGITS_MAX) {
				rc = hone_fail(err, HONE_ERR_FORMAT,
				               "file '%s' line %ld field %d: pixel %ld "
				               "out of range 0..%d",
				               path, line, field, v, DIGITS_MAX);
				break;
			}
			if (field > DIGITS_FEATURES && v >= DIGITS_CLASSES) {
				rc = hone_fail(err, HONE_ERR_FORMAT,
				               "file '%s' line %ld field %d: label %ld "
				               "out of range 0..%d",
				               path, line, field, v, DIGITS_CLASSES - 1);
				break;
			}
			if (field <= DIGITS_FEATURES)
				/* round(v * 255 / 16), ties up (only v = 8: 127.5) */
				x[field - 1] = (uint8_t)((v * 255 + DIGITS_MAX / 2) /
				                         DIGITS_MAX);
			else
				d->y[rows] = (uint8_t)v;
			q = fend + 1;
		}
		if (rc == 0)
			rows++;
	}
	free(buf);
	if (rc == 0 && rows == 0)
		rc = hone_fail(err, HONE_ERR_FORMAT, "file '%s': no samples",
		               path);
	if (rc) {
		hone_dataset_free(d);
		return rc;
	}
	d->n = rows;
	*out = d;
	return 0;
}

/* --------------------------------------------------------------- split */

/* splitmix64 (Steele, Lea, Flood 2014; Vigna's reference code): a tiny
 * generator whose whole state is the seed, so the permutation is fixed by
 * (n, seed) on every machine and easy to reproduce in other languages. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, m), m >= 1, without modulo bias: draws below 2^64 mod m
 * are rejected so every residue has the same number of preimages. */
static uint64_t uniform_below(uint64_t *state, uint64_t m)
{
	uint64_t reject = (0 - m) % m; /* 2^64 mod m */
	for (;;) {
		uint64_t r = splitmix64(state);
		if (r >= reject)
			return r % m;
	}
}

static void copy_samples(hone_dataset *dst, const hone_dataset *src,
                         const int32_t *idx)
{
	size_t nf = (size_t)src->n_features;
	for (int32_t i = 0; i < dst->n; i++) {
		memcpy(dst->x + (size_t)i * nf, src->x + (size_t)idx[i] * nf, nf);
		dst->y[i] = src->y[idx[i]];
	}
}

int hone_dataset_split(const hone_dataset *d, double test_frac, uint64_t seed,
                       hone_dataset **train, hone_dataset **test)
{
	if (train)
		*train = NULL;
	if (test)
		*test = NULL;
	if (!d || !train || !test || d->n < 0 || d->n_features <= 0 ||
	    !(test_frac >= 0.0 && test_frac <= 1.0))
		return HONE_ERR_INVALID;
	int32_t n = d->n;
	int32_t n_test = (int32_t)floor((double)n * test_frac + 0.5);
	if (n_test > n)
		n_test = n;
	int32_t n_train = n - n_test;

	int32_t *perm = malloc(((size_t)n + 1) * sizeof *perm);
	hone_dataset *tr = dataset_alloc(n_train, d->n_features);
	hone_dataset *te = dataset_alloc(n_test, d->n_features);
	if (!perm || !tr || !te) {
		free(perm);
		hone_dataset_free(tr);
		hone_dataset_free(te);
		return HONE_ERR_NOMEM;
	}
	/* Fisher-Yates, from the end: swap i with a uniform j in [0, i]. */
	for (int32_t i = 0; i < n; i++)
		perm[i] = i;
	uint64_t state = seed;
	for (int32_t i = n - 1; i > 0; i--) {
		int32_t j = (int32_t)uniform_below(&state, (uint64_t)i + 1);
		int32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	hone_dataset *halves[2] = { tr, te };
	for (int h = 0; h < 2; h++) {
		memcpy(halves[h]->shape, d->shape, sizeof d->shape);
		halves[h]->n_classes = d->n_classes;
	}
	copy_samples(tr, d, perm);
	copy_samples(te, d, perm + n_train);
	free(perm);
	*train = tr;
	*test = te;
	return 0;
}

/* ------------------------------------------------------------ quantize */

void hone_dataset_quantize(const hone_dataset *d, int32_t i, int input_bits,
                           uint8_t *out)
{
	/* A wrong G or index is a caller bug: there is no error to return,
	 * and silently made-up inputs would defeat bit-exact comparison. */
	assert(d && out && i >= 0 && i < d->n);
	assert(input_bits >= 1 && input_bits <= 8);
	const uint8_t *x = d->x + (size_t)i * (size_t)d->n_features;
	uint32_t gmax = (1u << input_bits) - 1;
	for (int32_t k = 0; k < d->n_features; k++) {
		/* round(x * gmax / 255) = floor((2 * x * gmax + 255) / 510).
		 * 255 is odd, so x * gmax / 255 is never exactly k + 1/2 and
		 * the rounding direction of ties never matters. G = 1 gives
		 * x >= 128, i.e. x > 127. */
		out[k] = (uint8_t)((2u * x[k] * gmax + 255u) / 510u);
	}
}
