/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Training checkpoints: a little-endian binary file, written to NAME.tmp
 * and renamed so that a crash mid-write never leaves a torn checkpoint.
 *
 *   "HONETRN\0", u32 version, u32 n + n bytes of option fingerprint,
 *   i32 next epoch, f64 seconds, 4 x u64 generator state, the schedule,
 *   the model (flags, then per layer sharpness, scale and every array),
 *   u32 CRC-32 (zlib) of all bytes before it.
 */
#include "train.h"
#include "hone_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CKPT_MAGIC "HONETRN"
#define CKPT_VERSION 1u

typedef struct buf {
	unsigned char *p;
	size_t n, cap, pos;
	int bad;
} buf;

static void put(buf *b, const void *src, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (!q) {
			b->bad = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void get(buf *b, void *dst, size_t n)
{
	if (b->bad || b->pos + n > b->n) {
		b->bad = 1;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, b->p + b->pos, n);
	b->pos += n;
}

/* The build targets little-endian hosts (x86, ARM); fixed-width values are
 * stored as they lie in memory. */
static void put_i32(buf *b, int32_t v) { put(b, &v, sizeof v); }
static void put_u32(buf *b, uint32_t v) { put(b, &v, sizeof v); }
static void put_f64(buf *b, double v) { put(b, &v, sizeof v); }
static int32_t get_i32(buf *b) { int32_t v; get(b, &v, sizeof v); return v; }
static uint32_t get_u32(buf *b) { uint32_t v; get(b, &v, sizeof v); return v; }
static double get_f64(buf *b) { double v; get(b, &v, sizeof v); return v; }

static void sched_io(buf *b, ht_sched *s, int write)
{
	int32_t *ints[] = { &s->kind, &s->n_layers, &s->warmup, &s->qat_start,
	                    &s->steps, &s->batches, &s->patience, &s->sharpening,
	                    &s->no_improve, &s->wait, &s->finishing };
	double *dbls[] = { &s->rate, &s->cz_rate, &s->critical, &s->sig_increase,
	                   &s->sig_decrease, &s->ref_loss, &s->finish_step };
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		if (write)
			put_i32(b, *ints[i]);
		else
			*ints[i] = get_i32(b);
	}
	for (size_t i = 0; i < sizeof dbls / sizeof dbls[0]; i++) {
		if (write)
			put_f64(b, *dbls[i]);
		else
			*dbls[i] = get_f64(b);
	}
	for (int32_t l = 0; l < HT_MAX_LAYERS; l++) {
		if (write)
			put_f64(b, s->sharp[l]);
		else
			s->sharp[l] = get_f64(b);
	}
}

static void model_io(buf *b, ht_model *m, int write)
{
	int32_t flags[2] = { m->quant, m->bn_frozen };
	double dv[3] = { m->tau, m->ste_width, m->tie_margin };
	int64_t t = m->adam_t;
	if (write) {
		put(b, flags, sizeof flags);
		put(b, dv, sizeof dv);
		put(b, &t, sizeof t);
		put(b, m->drop_rng.s, sizeof m->drop_rng.s);
	} else {
		get(b, flags, sizeof flags);
		get(b, dv, sizeof dv);
		get(b, &t, sizeof t);
		get(b, m->drop_rng.s, sizeof m->drop_rng.s);
		m->quant = flags[0];
		m->bn_frozen = flags[1];
		m->tau = dv[0];
		m->ste_width = dv[1];
		m->tie_margin = dv[2];
		m->adam_t = t;
	}
	for (int32_t l = 0; l < m->arch.n_layers; l++) {
		ht_layer *L = &m->L[l];
		size_t nw = (size_t)L->n_in * L->n_out, no = (size_t)L->n_out;
		struct { float *p; size_t n; } arr[] = {
			{ L->w, nw }, { L->mw, nw }, { L->vw, nw }, { L->wq, nw },
			{ L->beta, no }, { L->mu, no }, { L->var, no },
			{ L->mb, no }, { L->vb, no },
		};
		if (write) {
			put_f64(b, L->sharp);
			put_f64(b, L->qscale);
		} else {
			L->sharp = get_f64(b);
			L->qscale = get_f64(b);
		}
		for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
			if (write)
				put(b, arr[i].p, arr[i].n * sizeof(float));
			else
				get(b, arr[i].p, arr[i].n * sizeof(float));
		}
		if (write)
			put(b, L->theta, no * sizeof *L->theta);
		else
			get(b, L->theta, no * sizeof *L->theta);
	}
}

int ht_ckpt_save(const char *path, const char *fingerprint, int32_t next_epoch,
                 const ht_rng *rng, const ht_sched *s, const ht_model *m,
                 const float *soft, size_t n_soft, double seconds,
                 hone_error *err)
{
	buf b = {0};
	put(&b, CKPT_MAGIC, 8);
	put_u32(&b, CKPT_VERSION);
	put_u32(&b, (uint32_t)strlen(fingerprint));
	put(&b, fingerprint, strlen(fingerprint));
	put_i32(&b, next_epoch);
	put_f64(&b, seconds);
	put(&b, rng->s, sizeof rng->s);
	/* The io helpers take mutable pointers to share one field list
	 * between reading and writing; writing does not modify. */
	sched_io(&b, (ht_sched *)s, 1);
	model_io(&b, (ht_model *)m, 1);
	uint64_t ns = soft ? n_soft : 0;
	put(&b, &ns, sizeof ns);
	if (ns)
		put(&b, soft, (size_t)ns * sizeof *soft);
	if (b.bad) {
		free(b.p);
		return hone_fail(err, HONE_ERR_NOMEM, "checkpoint '%s': out of memory", path);
	}
	put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));

	size_t plen = strlen(path) + 5;
	char *tmp = malloc(plen);
	if (!tmp || b.bad) {
		free(tmp);
		free(b.p);
		return hone_fail(err, HONE_ERR_NOMEM, "checkpoint '%s': out of memory", path);
	}
	snprintf(tmp, plen, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(b.p, 1, b.n, f) == b.n;
	if (f && fclose(f))
		ok = 0;
	if (ok && rename(tmp, path))
		ok = 0;
	int e = errno;
	if (!ok)
		remove(tmp);
	free(tmp);
	free(b.p);
	if (!ok)
		return hone_fail(err, HONE_ERR_IO, "cannot write checkpoint '%s': %s", path, strerror(e));
	return 0;
}

int ht_ckpt_load(const char *path, const char *fingerprint, int32_t *next_epoch,
                 ht_rng *rng, ht_sched *s, ht_model *m, float *soft,
                 size_t n_soft, double *seconds, hone_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return hone_fail(err, HONE_ERR_IO, "cannot open checkpoint '%s': %s", path, strerror(errno));
	buf b = {0};
	unsigned char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		put(&b, chunk, got);
	int rerr = ferror(f);
	fclose(f);
	if (rerr || b.bad) {
		free(b.p);
		return hone_fail(err, HONE_ERR_IO, "cannot read checkpoint '%s'", path);
	}
	int rc = 0;
	char magic[8];
	if (b.n < 20) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "checkpoint '%s' is truncated (%zu bytes)", path, b.n);
		goto out;
	}
	uint32_t crc_stored;
	memcpy(&crc_stored, b.p + b.n - 4, 4);
	if (crc_stored != (uint32_t)crc32(0L, b.p, (uInt)(b.n - 4))) {
		rc = hone_fail(err, HONE_ERR_CHECKSUM, "checkpoint '%s': CRC mismatch (truncated or damaged)", path);
		goto out;
	}
	b.n -= 4;
	get(&b, magic, 8);
	if (memcmp(magic, CKPT_MAGIC, 8)) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "'%s' is not a hone training checkpoint", path);
		goto out;
	}
	uint32_t ver = get_u32(&b);
	if (ver != CKPT_VERSION) {
		rc = hone_fail(err, HONE_ERR_VERSION, "checkpoint '%s': version %u, this hone reads %u",
		               path, ver, CKPT_VERSION);
		goto out;
	}
	uint32_t fl = get_u32(&b);
	if (b.bad || fl > b.n - b.pos) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "checkpoint '%s' is malformed", path);
		goto out;
	}
	if (fl != strlen(fingerprint) || memcmp(b.p + b.pos, fingerprint, fl)) {
		rc = hone_fail(err, HONE_ERR_INVALID,
		               "checkpoint '%s' was made with other options:\n  checkpoint: %.*s\n  now:        %s",
		               path, (int)(fl < 200 ? fl : 200), (const char *)(b.p + b.pos), fingerprint);
		goto out;
	}
	b.pos += fl;
	*next_epoch = get_i32(&b);
	*seconds = get_f64(&b);
	get(&b, rng->s, sizeof rng->s);
	sched_io(&b, s, 0);
	model_io(&b, m, 0);
	uint64_t ns = 0;
	get(&b, &ns, sizeof ns);
	if (ns != (soft ? n_soft : 0)) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "checkpoint '%s' does not hold the expected distillation targets", path);
		goto out;
	}
	if (ns)
		get(&b, soft, (size_t)ns * sizeof *soft);
	if (b.bad || b.pos != b.n)
		rc = hone_fail(err, HONE_ERR_FORMAT, "checkpoint '%s' does not match this network's sizes", path);
out:
	free(b.p);
	return rc;
}
