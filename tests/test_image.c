/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chip image files (docs/chip-image.md, format v1): the bytes are checked
 * against the documented layout by hand, a write/read round trip must
 * give the same image, compiling the same network twice must give the
 * same bytes, and every kind of damage must be refused with its own code
 * and message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "hone_internal.h"

typedef struct fixture {
	char dir[64];
	char path[128];   /* a compiled image */
	char bad[128];    /* scratch for damaged copies */
	hone_net *net;
	hone_image *img;
} fixture;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* A small lif network with negative keys and weights, split over cores
 * on tiny. */
static hone_net *make_net(uint64_t seed)
{
	const int32_t sizes[] = { 12, 40, 9 };
	hone_net *net = hone_net_new(2, sizes);
	assert_non_null(net);
	net->input_bits = 3;
	net->ticks_per_sample = 5;
	uint64_t s = seed;
	for (int32_t l = 0; l < 2; l++) {
		hone_layer *ly = &net->layers[l];
		for (int32_t i = 0; i < ly->n_in * ly->n_out; i++)
			ly->weight[i] = (int32_t)(rnd(&s) % 16) - 8;
		for (int32_t j = 0; j < ly->n_out; j++) {
			ly->bias[j] = (int32_t)(rnd(&s) % 200) - 100;
			ly->threshold[j] = (int32_t)(rnd(&s) % 100);
		}
		ly->carry = HONE_CARRY_LIF;
		ly->leak_shift = (uint8_t)(l + 2);
		ly->reset = HONE_RESET_SUBTRACT;
	}
	assert_int_equal(hone_net_set_nhot(net, 4, 2), 0); /* output 8 votes for none */
	return net;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/hone-image-XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/net.himg", f->dir);
	snprintf(f->bad, sizeof f->bad, "%s/bad.himg", f->dir);
	f->net = make_net(42);
	hone_error e = {0};
	if (hone_compile(f->net, hone_config_find("tiny"), NULL, &f->img, &e) ||
	    hone_image_write(f->path, f->img, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	unlink(f->path);
	unlink(f->bad);
	rmdir(f->dir);
	hone_image_free(f->img);
	hone_net_free(f->net);
	free(f);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	long len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	uint8_t *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*n = (size_t)len;
	return buf;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *buf, size_t n)
{
	set_le32(buf + n - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(n - 4)));
}

static void assert_images_equal(const hone_image *a, const hone_image *b)
{
	assert_string_equal(a->cfg.name, b->cfg.name);
	assert_int_equal(a->cfg.cores, b->cfg.cores);
	assert_int_equal(a->cfg.lanes, b->cfg.lanes);
	assert_int_equal(a->cfg.weight_bits, b->cfg.weight_bits);
	assert_int_equal(a->cfg.potential_bits, b->cfg.potential_bits);
	assert_int_equal(a->cfg.input_bits, b->cfg.input_bits);
	assert_int_equal(a->cfg.neurons, b->cfg.neurons);
	assert_int_equal(a->cfg.axons, b->cfg.axons);
	assert_int_equal(a->cfg.weight_words, b->cfg.weight_words);
	assert_int_equal(a->cfg.axon_segments, b->cfg.axon_segments);
	assert_int_equal(a->cfg.route_segments, b->cfg.route_segments);
	assert_true(a->cfg.clock_hz == b->cfg.clock_hz);
	assert_int_equal(a->cfg.link_baud, b->cfg.link_baud);
	assert_null(b->cfg.memory);
	assert_null(b->cfg.description);
	assert_int_equal(a->n_inputs, b->n_inputs);
	assert_int_equal(a->n_outputs, b->n_outputs);
	assert_int_equal(a->n_classes, b->n_classes);
	assert_int_equal(a->depth, b->depth);
	assert_int_equal(a->ticks_per_sample, b->ticks_per_sample);
	assert_int_equal(a->carry, b->carry);
	assert_int_equal(a->input_bits, b->input_bits);
	assert_memory_equal(a->output_class, b->output_class,
	                    (size_t)a->n_outputs * sizeof *a->output_class);
	assert_int_equal(a->n_chunks, b->n_chunks);
	assert_memory_equal(a->chunks, b->chunks, (size_t)a->n_chunks * sizeof *a->chunks);
	assert_int_equal(a->n_writes, b->n_writes);
	for (size_t i = 0; i < a->n_writes; i++) {
		assert_int_equal(a->writes[i].target, b->writes[i].target);
		assert_int_equal(a->writes[i].mem, b->writes[i].mem);
		assert_int_equal(a->writes[i].addr, b->writes[i].addr);
		assert_int_equal(a->writes[i].data, b->writes[i].data);
	}
}

/* The bytes, field by field, as docs/chip-image.md lays them out. */
static void test_layout(void **state)
{
	fixture *f = *state;
	const hone_image *img = f->img;
	size_t n;
	uint8_t *b = slurp(f->path, &n);
	assert_memory_equal(b, "HONEIMG\0", 8);
	assert_int_equal(le32(b + 8), 1);
	uint32_t H = le32(b + 12);
	assert_int_equal(H, 92 + 4 * img->n_outputs + 4 + 20 * img->n_chunks);
	assert_string_equal((const char *)b + 16, "tiny");
	for (int i = 5; i < 16; i++)
		assert_int_equal(b[16 + i], 0);
	const uint32_t cfgw[8] = { 4, 4, 4, 16, 4, 32, 128, 256 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(le32(b + 32 + 4 * i), cfgw[i]);
	const uint32_t facts[7] = { 12, 9, 4, 2, 5, 1, 3 };
	for (int i = 0; i < 7; i++)
		assert_int_equal(le32(b + 64 + 4 * i), facts[i]);
	for (int j = 0; j < 9; j++)
		assert_int_equal((int32_t)le32(b + 92 + 4 * j), j < 8 ? j / 2 : -1);
	const uint8_t *p = b + 92 + 36;
	assert_int_equal(le32(p), (uint32_t)img->n_chunks);
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *c = &img->chunks[i];
		const int32_t want[5] = { c->layer, c->core, c->slot_first, c->neuron_first, c->count };
		for (int j = 0; j < 5; j++)
			assert_int_equal((int32_t)le32(p + 4 + 20 * i + 4 * j), want[j]);
	}
	assert_int_equal(le32(b + H), (uint32_t)img->n_writes);
	assert_int_equal(n, H + 4 + 16 * img->n_writes + 4);
	for (size_t i = 0; i < img->n_writes; i++) {
		const uint8_t *r = b + H + 4 + 16 * i;
		const hone_write *w = &img->writes[i];
		assert_int_equal(r[0], w->target);
		assert_int_equal(r[1], w->mem);
		assert_int_equal(r[2] | r[3], 0);
		assert_int_equal(le32(r + 4), w->addr);
		assert_int_equal((uint64_t)le32(r + 8) | (uint64_t)le32(r + 12) << 32, w->data);
	}
	assert_int_equal(le32(b + n - 4), (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4)));
	free(b);
}

static void test_round_trip(void **state)
{
	fixture *f = *state;
	hone_image *back = NULL;
	hone_error e = {0};
	assert_int_equal(hone_image_read(f->path, &back, &e), 0);
	assert_images_equal(f->img, back);
	hone_image_free(back);

	/* Every configuration, a Whetstone net with an empty key. */
	for (size_t c = 0; hone_config_at(c); c++) {
		const hone_config *cfg = hone_config_at(c);
		const int32_t sizes[] = { 20, 30, 7 };
		hone_net *net = hone_net_new(2, sizes);
		assert_non_null(net);
		uint64_t s = c + 1;
		for (int32_t l = 0; l < 2; l++)
			for (int32_t i = 0; i < sizes[l] * sizes[l + 1]; i++)
				net->layers[l].weight[i] = (int32_t)(rnd(&s) % 15) - 7;
		hone_image *img = NULL;
		assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
		assert_int_equal(hone_image_write(f->bad, img, &e), 0);
		assert_int_equal(hone_image_read(f->bad, &back, &e), 0);
		assert_images_equal(img, back);
		hone_image_free(back);
		hone_image_free(img);
		hone_net_free(net);
	}
}

/* Same network, same bytes: placement and emission are deterministic and
 * nothing of the host (struct padding, pointers, time) reaches the file. */
static void test_determinism(void **state)
{
	fixture *f = *state;
	hone_net *again = make_net(42);
	hone_image *img = NULL;
	hone_error e = {0};
	assert_int_equal(hone_compile(again, hone_config_find("tiny"), NULL, &img, &e), 0);
	assert_int_equal(hone_image_write(f->bad, img, &e), 0);
	size_t n1, n2;
	uint8_t *a = slurp(f->path, &n1), *b = slurp(f->bad, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1);
	free(b);
	hone_image_free(img);
	/* A one-weight change changes the bytes. */
	again->layers[1].weight[3] ^= 1;
	assert_int_equal(hone_compile(again, hone_config_find("tiny"), NULL, &img, &e), 0);
	assert_int_equal(hone_image_write(f->bad, img, &e), 0);
	b = slurp(f->bad, &n2);
	assert_int_equal(n1, n2);
	assert_memory_not_equal(a, b, n1);
	free(a);
	free(b);
	hone_image_free(img);
	hone_net_free(again);
}

/* Write a damaged copy, read it, expect code and a message fragment. */
static void expect_refused(fixture *f, const uint8_t *buf, size_t n, int code, const char *frag)
{
	spit(f->bad, buf, n);
	hone_image dummy;
	hone_image *img = &dummy; /* the reader must reset it to NULL */
	hone_error e = {0};
	int rc = hone_image_read(f->bad, &img, &e);
	if (rc != code || !strstr(e.msg, frag))
		fail_msg("expected %d with \"%s\", got %d: %s", code, frag, rc, e.msg);
	assert_int_equal(e.code, code);
	assert_null(img);
}

static void test_corruption(void **state)
{
	fixture *f = *state;
	size_t n;
	uint8_t *orig = slurp(f->path, &n);
	uint8_t *b = malloc(n + 16);
	assert_non_null(b);
	const uint32_t H = le32(orig + 12);
	uint8_t *rec0 = b + H + 4;                   /* CHIPREG input_core_mask */
	uint8_t *rec_w = NULL;                       /* the first WEIGHT record */
	uint8_t *rec_np = NULL;                      /* the first NPARAM record */
	for (size_t i = 0; i < f->img->n_writes; i++) {
		if (!rec_w && f->img->writes[i].mem == HONE_MEM_WEIGHT)
			rec_w = b + H + 4 + 16 * i;
		if (!rec_np && f->img->writes[i].mem == HONE_MEM_NPARAM)
			rec_np = b + H + 4 + 16 * i;
	}
	assert_non_null(rec_w);
	assert_non_null(rec_np);
#define RESET() memcpy(b, orig, n)

	RESET();
	b[3] = 'X';
	expect_refused(f, b, n, HONE_ERR_FORMAT, "not a hone chip image (bad magic");
	expect_refused(f, (const uint8_t *)"PK\3\4", 4, HONE_ERR_FORMAT, "bad magic");
	RESET();
	set_le32(b + 8, 2);
	expect_refused(f, b, n, HONE_ERR_VERSION, "format version 2, this hone reads version 1");
	RESET();
	expect_refused(f, b, n - 5, HONE_ERR_FORMAT, "truncated chip image");
	expect_refused(f, b, 12, HONE_ERR_FORMAT, "truncated chip image (12 bytes, header cut short)");
	expect_refused(f, b, 5, HONE_ERR_FORMAT, "truncated chip image (5 bytes, not even the magic)");
	expect_refused(f, b, 0, HONE_ERR_FORMAT, "truncated chip image (0 bytes");
	expect_refused(f, b, H + 2, HONE_ERR_FORMAT, "truncated chip image");
	memset(b + n, 0xAB, 3);
	expect_refused(f, b, n + 3, HONE_ERR_FORMAT, "3 stray bytes after the chip image");

	/* One flipped bit anywhere after the framing: CRC. */
	RESET();
	rec_w[9] ^= 0x10;
	expect_refused(f, b, n, HONE_ERR_CHECKSUM, "CRC-32 mismatch");
	RESET();
	b[70] ^= 1;
	expect_refused(f, b, n, HONE_ERR_CHECKSUM, "CRC-32 mismatch");
	RESET();
	b[n - 1] ^= 0x80;
	expect_refused(f, b, n, HONE_ERR_CHECKSUM, "the image is corrupt");

	/* Intact files (CRC recomputed) that say impossible things. */
	RESET();
	rec_w[1] = 8;
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes memory 8 (the memory map has 0..7)");
	RESET();
	rec_w[0] = 4;
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes WEIGHT of core 4 but tiny has 4 cores");
	RESET();
	set_le32(rec_w + 4, 256);
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes WEIGHT address 256 but tiny has 256 weight words");
	RESET();
	set_le32(rec_np + 4, 32);
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes NPARAM address 32 but tiny has 32 neuron slots");
	RESET();
	rec0[0] = 0;
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes CHIPREG with target 0x00");
	RESET();
	set_le32(rec0 + 4, 3);
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "writes CHIPREG address 3 but tiny has 3 chip registers");
	RESET();
	rec0[2] = 1;
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "nonzero reserved bytes");
	RESET();
	b[n - 4 - 16] = 0; /* the final reset reaches core 0 only */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "do not end with CMD reset_state to all cores");
	RESET();
	set_le32(b + 32, 17); /* 17 cores */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "header: configuration tiny: 17 cores");
	RESET();
	set_le32(b + 64 + 4 * 5, 2); /* carry 2 */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "network facts make no sense");
	RESET();
	set_le32(b + 92, 7); /* output 0 votes for class 7 of 4 */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "output 0 votes for class 7 of 4");
	RESET();
	set_le32(b + 92 + 36 + 4 + 4, 9); /* chunk 0 on core 9 */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "chunk 0 (layer 0, core 9");
	RESET();
	set_le32(b + 92 + 36, (uint32_t)f->img->n_chunks - 1); /* one chunk short of H */
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "does not match its contents");
	RESET();
	memcpy(b + 16, "0123456789abcdef", 16);
	fix_crc(b, n);
	expect_refused(f, b, n, HONE_ERR_FORMAT, "configuration name not terminated");
#undef RESET

	/* The undamaged file still reads. */
	hone_image *img = NULL;
	hone_error e = {0};
	spit(f->bad, orig, n);
	assert_int_equal(hone_image_read(f->bad, &img, &e), 0);
	hone_image_free(img);
	free(b);
	free(orig);
}

static void test_io_errors(void **state)
{
	fixture *f = *state;
	hone_image *img = NULL;
	hone_error e = {0};
	char path[160];
	snprintf(path, sizeof path, "%s/no/such/dir/x.himg", f->dir);
	assert_int_equal(hone_image_read(path, &img, &e), HONE_ERR_IO);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_int_equal(hone_image_write(path, f->img, &e), HONE_ERR_IO);
	assert_non_null(strstr(e.msg, "cannot create"));
	assert_int_equal(hone_image_read(NULL, &img, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_image_write(f->bad, NULL, &e), HONE_ERR_INVALID);
	hone_image_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
