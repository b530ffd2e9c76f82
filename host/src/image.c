/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chip image files, format version 1 (docs/chip-image.md). Every field is
 * packed byte by byte, little-endian, never as a struct dump, so the file
 * is the same on every host and compiler. The reader trusts nothing: it
 * checks the magic, the version, the length, the CRC, and then that every
 * fact and every write makes sense for the configuration in the header,
 * because a device fed a write outside its memories would misbehave in
 * ways much harder to diagnose than a refused file.
 */
#include "hone_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IMG_MAGIC "HONEIMG\0"
#define IMG_VERSION 1u
#define IMG_FIXED_HEADER 92u /* up to the output key */
#define IMG_RECORD 16u

/* ------------------------------------------------------ configuration */

int hone_config_check(const hone_config *cfg, hone_error *err)
{
	if (!cfg)
		return hone_fail(err, HONE_ERR_INVALID, "no configuration");
	if (memchr(cfg->name, 0, sizeof cfg->name) == NULL || cfg->name[0] == 0)
		return hone_fail(err, HONE_ERR_INVALID, "configuration name empty or not terminated");
#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond))                                              \
			return hone_fail(err, HONE_ERR_INVALID, __VA_ARGS__); \
	} while (0)
	CHECK(cfg->cores >= 1 && cfg->cores <= 16,
	      "configuration %s: %u cores (1..16: core masks are 16 bits)", cfg->name, cfg->cores);
	CHECK(cfg->weight_bits >= 2 && cfg->weight_bits <= 16,
	      "configuration %s: %u-bit weights (2..16)", cfg->name, cfg->weight_bits);
	CHECK(cfg->lanes >= 1 && cfg->lanes * cfg->weight_bits <= 64,
	      "configuration %s: %u lanes of %u-bit weights do not fit a 64-bit word",
	      cfg->name, cfg->lanes, cfg->weight_bits);
	CHECK(cfg->potential_bits >= 2 && cfg->potential_bits <= HONE_FIELD_POT_BITS,
	      "configuration %s: %u-bit potentials (2..%d)", cfg->name, cfg->potential_bits,
	      HONE_FIELD_POT_BITS);
	CHECK(cfg->input_bits >= 1 && cfg->input_bits <= 8,
	      "configuration %s: %u-bit inputs (1..8)", cfg->name, cfg->input_bits);
	CHECK(cfg->neurons >= 1 && cfg->neurons <= 4095,
	      "configuration %s: %u neuron slots (1..4095: slot fields are 12 bits)",
	      cfg->name, cfg->neurons);
	CHECK(cfg->axons >= 1 && cfg->axons <= 4095,
	      "configuration %s: %u axons (1..4095: axon fields are 12 bits)", cfg->name, cfg->axons);
	CHECK(cfg->weight_words >= 1 && cfg->weight_words <= 65536,
	      "configuration %s: %u weight words (1..65536: weight_base is 16 bits)",
	      cfg->name, cfg->weight_words);
	CHECK(cfg->axon_segments >= 1 && cfg->axon_segments <= 8 &&
	      cfg->route_segments >= 1 && cfg->route_segments <= 8,
	      "configuration %s: %u axon / %u route segments (1..8)", cfg->name,
	      cfg->axon_segments, cfg->route_segments);
#undef CHECK
	return 0;
}

/* ------------------------------------------------------ byte packing */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* i32 fields are two's complement on disk. */
static int32_t get_i32(const uint8_t *p)
{
	return (int32_t)hone_sext(get_u32(p), 32);
}

/* zlib's crc32 takes a uInt length: feed it in pieces. */
static uint32_t crc_of(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (n > 0) {
		uInt part = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = crc32(crc, p, part);
		p += part;
		n -= part;
	}
	return (uint32_t)crc;
}

static size_t header_len(int32_t n_outputs, int32_t n_chunks)
{
	return IMG_FIXED_HEADER + 4u * (size_t)n_outputs + 4u + 20u * (size_t)n_chunks;
}

/* -------------------------------------------------------------- write */

int hone_image_write(const char *path, const hone_image *img, hone_error *err)
{
	if (!path || !img)
		return hone_fail(err, HONE_ERR_INVALID, "hone_image_write: no path or no image");
	if (img->n_outputs < 0 || img->n_chunks < 0 || (img->n_outputs && !img->output_class) ||
	    (img->n_chunks && !img->chunks) || (img->n_writes && !img->writes))
		return hone_fail(err, HONE_ERR_INVALID, "%s: image has negative counts or missing arrays",
		                 path);
	const size_t H = header_len(img->n_outputs, img->n_chunks);
	if (H > UINT32_MAX || img->n_writes > (UINT32_MAX - H - 8) / IMG_RECORD)
		return hone_fail(err, HONE_ERR_INVALID, "%s: image too large for format version 1", path);
	const size_t size = H + 4 + IMG_RECORD * img->n_writes + 4;
	uint8_t *buf = calloc(1, size);
	if (!buf)
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, size);

	uint8_t *p = buf;
	memcpy(p, IMG_MAGIC, 8);
	put_u32(p + 8, IMG_VERSION);
	put_u32(p + 12, (uint32_t)H);
	/* name[16]: the configuration's name, zero-padded; its last byte
	 * stays 0 so a reader always finds a terminated string. */
	size_t nl = strnlen(img->cfg.name, sizeof img->cfg.name - 1);
	memcpy(p + 16, img->cfg.name, nl);
	p += 32;
	const uint32_t cfgw[8] = {
		img->cfg.cores, img->cfg.lanes, img->cfg.weight_bits, img->cfg.potential_bits,
		img->cfg.input_bits, img->cfg.neurons, img->cfg.axons, img->cfg.weight_words,
	};
	for (int i = 0; i < 8; i++, p += 4)
		put_u32(p, cfgw[i]);
	const uint32_t facts[7] = {
		(uint32_t)img->n_inputs, (uint32_t)img->n_outputs, (uint32_t)img->n_classes,
		(uint32_t)img->depth, (uint32_t)img->ticks_per_sample, img->carry, img->input_bits,
	};
	for (int i = 0; i < 7; i++, p += 4)
		put_u32(p, facts[i]);
	for (int32_t i = 0; i < img->n_outputs; i++, p += 4)
		put_u32(p, (uint32_t)img->output_class[i]);
	put_u32(p, (uint32_t)img->n_chunks);
	p += 4;
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *c = &img->chunks[i];
		const int32_t f[5] = { c->layer, c->core, c->slot_first, c->neuron_first, c->count };
		for (int j = 0; j < 5; j++, p += 4)
			put_u32(p, (uint32_t)f[j]);
	}
	put_u32(p, (uint32_t)img->n_writes);
	p += 4;
	for (size_t i = 0; i < img->n_writes; i++, p += IMG_RECORD) {
		const hone_write *w = &img->writes[i];
		p[0] = w->target;
		p[1] = w->mem;
		p[2] = p[3] = 0;
		put_u32(p + 4, w->addr);
		put_u64(p + 8, w->data);
	}
	put_u32(p, crc_of(buf, size - 4));

	int rc = 0;
	FILE *f = fopen(path, "wb");
	if (!f) {
		rc = hone_fail(err, HONE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	} else {
		size_t put = fwrite(buf, 1, size, f);
		int e1 = put == size ? 0 : errno;
		int closed = fclose(f);
		if (put != size || closed != 0)
			rc = hone_fail(err, HONE_ERR_IO, "%s: write failed: %s", path,
			               strerror(put != size ? e1 : errno));
	}
	free(buf);
	return rc;
}

/* --------------------------------------------------------------- read */

static int slurp(const char *path, uint8_t **out, size_t *n_out, hone_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return hone_fail(err, HONE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	size_t n = 0, cap = 1 << 16;
	uint8_t *buf = malloc(cap);
	int rc = 0;
	while (buf) {
		if (n == cap) {
			uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (!buf)
		rc = hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory reading the file", path);
	else if (ferror(f))
		rc = hone_fail(err, HONE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*n_out = n;
	return 0;
}

static const char *mem_name(unsigned mem)
{
	static const char *const names[] = {
		"CHIPREG", "COREREG", "AXSEG", "RTSEG", "WEIGHT", "NPARAM", "POT", "CMD",
	};
	return mem < 8 ? names[mem] : "?";
}

/* One write of the memory map, checked against the configuration. */
static int check_write(const char *path, size_t i, const hone_write *w,
                       const hone_config *cfg, hone_error *err)
{
	if (w->mem > HONE_MEM_CMD)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: record %zu writes memory %u (the memory map has 0..7)", path,
		                 i, w->mem);
	bool chip_ok = w->mem == HONE_MEM_CHIPREG || w->mem == HONE_MEM_CMD;
	bool core_ok = w->mem != HONE_MEM_CHIPREG;
	if (w->target == HONE_TARGET_CHIP ? !chip_ok : (!core_ok || w->target >= cfg->cores)) {
		if (w->target != HONE_TARGET_CHIP && core_ok)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "%s: record %zu writes %s of core %u but %s has %u core%s",
			                 path, i, mem_name(w->mem), w->target, cfg->name, cfg->cores,
			                 cfg->cores == 1 ? "" : "s");
		return hone_fail(err, HONE_ERR_FORMAT, "%s: record %zu writes %s with target 0x%02x",
		                 path, i, mem_name(w->mem), w->target);
	}
	uint32_t limit = 0;
	const char *what = "";
	switch (w->mem) {
	case HONE_MEM_CHIPREG: limit = 3; what = "chip registers"; break;
	case HONE_MEM_COREREG: limit = 1 + HONE_N_PROFILES; what = "core registers"; break;
	case HONE_MEM_AXSEG: limit = cfg->axon_segments; what = "axon segments"; break;
	case HONE_MEM_RTSEG: limit = cfg->route_segments; what = "route segments"; break;
	case HONE_MEM_WEIGHT: limit = cfg->weight_words; what = "weight words"; break;
	case HONE_MEM_NPARAM:
	case HONE_MEM_POT: limit = cfg->neurons; what = "neuron slots"; break;
	case HONE_MEM_CMD: limit = 1; what = "commands"; break;
	}
	if (w->addr >= limit)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: record %zu writes %s address %u but %s has %u %s", path, i,
		                 mem_name(w->mem), w->addr, cfg->name, limit, what);
	return 0;
}

static int parse(const char *path, const uint8_t *buf, hone_image *img, hone_error *err)
{
	const uint32_t H = get_u32(buf + 12);
	const uint8_t *p = buf + 16;
	hone_config *cfg = &img->cfg;
	if (memchr(p, 0, 16) == NULL)
		return hone_fail(err, HONE_ERR_FORMAT, "%s: configuration name not terminated", path);
	memcpy(cfg->name, p, 16);
	p += 16;
	cfg->cores = get_u32(p);
	cfg->lanes = get_u32(p + 4);
	cfg->weight_bits = get_u32(p + 8);
	cfg->potential_bits = get_u32(p + 12);
	cfg->input_bits = get_u32(p + 16);
	cfg->neurons = get_u32(p + 20);
	cfg->axons = get_u32(p + 24);
	cfg->weight_words = get_u32(p + 28);
	p += 32;
	/* Segment tables have 8 entries by the memory map; the nominal clock
	 * and link rate are not in the file: take them from the built-in
	 * configuration of the same name, if it has the same sizes. */
	cfg->axon_segments = 8;
	cfg->route_segments = 8;
	const hone_config *known = hone_config_find(cfg->name);
	if (known && known->cores == cfg->cores && known->lanes == cfg->lanes &&
	    known->weight_bits == cfg->weight_bits && known->potential_bits == cfg->potential_bits &&
	    known->input_bits == cfg->input_bits && known->neurons == cfg->neurons &&
	    known->axons == cfg->axons && known->weight_words == cfg->weight_words) {
		cfg->axon_segments = known->axon_segments;
		cfg->route_segments = known->route_segments;
		cfg->clock_hz = known->clock_hz;
		cfg->link_baud = known->link_baud;
	}
	hone_error cerr = {0};
	if (hone_config_check(cfg, &cerr))
		return hone_fail(err, HONE_ERR_FORMAT, "%s: header: %s", path, cerr.msg);

	const uint32_t n_inputs = get_u32(p), n_outputs = get_u32(p + 4);
	const uint32_t n_classes = get_u32(p + 8), depth = get_u32(p + 12);
	const uint32_t tps = get_u32(p + 16), carry = get_u32(p + 20);
	const uint32_t input_bits = get_u32(p + 24);
	p += 28;
	if (n_inputs < 1 || n_inputs > cfg->axons || n_outputs < 1 ||
	    n_outputs > cfg->cores * cfg->neurons || depth < 1 ||
	    depth > cfg->cores * cfg->neurons || n_classes > INT32_MAX || tps < 1 ||
	    tps > INT32_MAX || carry > HONE_CARRY_LIF || input_bits < 1 ||
	    input_bits > cfg->input_bits)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: network facts make no sense for %s (inputs %u, outputs %u, "
		                 "classes %u, depth %u, ticks/sample %u, carry %u, input bits %u)",
		                 path, cfg->name, n_inputs, n_outputs, n_classes, depth, tps, carry,
		                 input_bits);
	/* n_outputs is bounded above, so this cannot overflow. */
	if ((size_t)IMG_FIXED_HEADER + 4u * n_outputs + 4u > H)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: header length %u cannot hold an output key of %u entries", path,
		                 H, n_outputs);
	const uint32_t n_chunks = get_u32(buf + IMG_FIXED_HEADER + 4u * n_outputs);
	if (n_chunks > depth * cfg->cores ||
	    header_len((int32_t)n_outputs, (int32_t)n_chunks) != H)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: header length %u does not match its contents (%u outputs, "
		                 "%u chunks)", path, H, n_outputs, n_chunks);

	img->n_inputs = (int32_t)n_inputs;
	img->n_outputs = (int32_t)n_outputs;
	img->n_classes = (int32_t)n_classes;
	img->depth = (int32_t)depth;
	img->ticks_per_sample = (int32_t)tps;
	img->carry = (uint8_t)carry;
	img->input_bits = (uint8_t)input_bits;
	img->output_class = malloc(n_outputs * sizeof *img->output_class);
	img->chunks = calloc(n_chunks ? n_chunks : 1, sizeof *img->chunks);
	const uint32_t R = get_u32(buf + H);
	img->writes = calloc(R ? R : 1, sizeof *img->writes);
	if (!img->output_class || !img->chunks || !img->writes)
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", path);

	for (uint32_t j = 0; j < n_outputs; j++, p += 4) {
		int32_t c = get_i32(p);
		if (c < -1 || c >= (int32_t)n_classes)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "%s: output %u votes for class %d of %u", path, j, c, n_classes);
		img->output_class[j] = c;
	}
	p += 4;
	for (uint32_t i = 0; i < n_chunks; i++) {
		hone_chunk *c = &img->chunks[i];
		c->layer = get_i32(p);
		c->core = get_i32(p + 4);
		c->slot_first = get_i32(p + 8);
		c->neuron_first = get_i32(p + 12);
		c->count = get_i32(p + 16);
		p += 20;
		if (c->layer < 0 || c->layer >= (int32_t)depth || c->core < 0 ||
		    c->core >= (int32_t)cfg->cores || c->count < 1 || c->slot_first < 0 ||
		    c->neuron_first < 0 ||
		    (int64_t)c->slot_first + c->count > (int64_t)cfg->neurons)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "%s: chunk %u (layer %d, core %d, slots %d+%d) does not fit %s",
			                 path, i, c->layer, c->core, c->slot_first, c->count, cfg->name);
	}
	img->n_chunks = (int32_t)n_chunks;

	p = buf + H + 4;
	for (uint32_t i = 0; i < R; i++, p += IMG_RECORD) {
		hone_write *w = &img->writes[i];
		if (p[2] != 0 || p[3] != 0)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "%s: record %u has nonzero reserved bytes", path, i);
		w->target = p[0];
		w->mem = p[1];
		w->addr = get_u32(p + 4);
		w->data = get_u64(p + 8);
		int rc = check_write(path, i, w, cfg, err);
		if (rc)
			return rc;
	}
	img->n_writes = R;
	const hone_write *last = R ? &img->writes[R - 1] : NULL;
	if (!last || last->mem != HONE_MEM_CMD || last->addr != HONE_CMD_RESET_STATE ||
	    last->target != HONE_TARGET_CHIP)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "%s: the writes do not end with CMD reset_state to all cores", path);
	return 0;
}

int hone_image_read(const char *path, hone_image **out, hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "hone_image_read: no output pointer");
	*out = NULL;
	if (!path)
		return hone_fail(err, HONE_ERR_INVALID, "hone_image_read: no path");
	uint8_t *buf = NULL;
	size_t size = 0;
	int rc = slurp(path, &buf, &size, err);
	if (rc)
		return rc;

	/* Framing first, in the order that gives each fault its own message:
	 * what the file is, which version, whether it is whole, whether it
	 * is intact; only then what it says. */
	if (size < 8 || memcmp(buf, IMG_MAGIC, 8) != 0) {
		if (size < 8 && memcmp(buf, IMG_MAGIC, size) == 0)
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "%s: truncated chip image (%zu bytes, not even the magic)",
			               path, size);
		else
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "%s: not a hone chip image (bad magic, expected \"HONEIMG\")",
			               path);
		goto out;
	}
	if (size < 16) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "%s: truncated chip image (%zu bytes, header cut short)", path, size);
		goto out;
	}
	uint32_t version = get_u32(buf + 8);
	if (version != IMG_VERSION) {
		rc = hone_fail(err, HONE_ERR_VERSION,
		               "%s: chip image format version %u, this hone reads version %u",
		               path, version, IMG_VERSION);
		goto out;
	}
	uint32_t H = get_u32(buf + 12);
	if (H < IMG_FIXED_HEADER + 4) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "%s: header length %u is shorter than %u",
		               path, H, IMG_FIXED_HEADER + 4);
		goto out;
	}
	if (size < (size_t)H + 4) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "%s: truncated chip image (%zu bytes, header says %u before the "
		               "records)", path, size, H);
		goto out;
	}
	uint64_t expect = (uint64_t)H + 4 + (uint64_t)IMG_RECORD * get_u32(buf + H) + 4;
	if (size < expect) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "%s: truncated chip image (%zu bytes, its %u records need %llu)",
		               path, size, get_u32(buf + H), (unsigned long long)expect);
		goto out;
	}
	if (size > expect) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "%s: %llu stray bytes after the chip image", path,
		               (unsigned long long)(size - expect));
		goto out;
	}
	uint32_t stored = get_u32(buf + size - 4), computed = crc_of(buf, size - 4);
	if (stored != computed) {
		rc = hone_fail(err, HONE_ERR_CHECKSUM,
		               "%s: CRC-32 mismatch (file says %08x, contents give %08x): the "
		               "image is corrupt", path, stored, computed);
		goto out;
	}

	hone_image *img = calloc(1, sizeof *img);
	if (!img) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = parse(path, buf, img, err);
	if (rc)
		hone_image_free(img);
	else
		*out = img;
out:
	free(buf);
	return rc;
}

void hone_image_free(hone_image *img)
{
	if (!img)
		return;
	free(img->output_class);
	free(img->chunks);
	free(img->writes);
	free(img);
}
