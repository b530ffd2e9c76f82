/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference model of the chip on hand-written images: routing and
 * multicast across cores, rows wider than a word, counters, refused writes
 * and reads, order invariance, reset, and the device API on top (ref
 * backend, dispatch, run_samples). Expected values are worked out from
 * docs/chip-image.md by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

/* ---- a tiny image builder ---- */

typedef struct img_builder {
	hone_image img;
	size_t cap;
} img_builder;

static void put(img_builder *b, uint8_t target, uint8_t mem, uint32_t addr, uint64_t data)
{
	if (b->img.n_writes == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->img.writes = realloc(b->img.writes, b->cap * sizeof *b->img.writes);
		assert_non_null(b->img.writes);
	}
	b->img.writes[b->img.n_writes++] = (hone_write){target, mem, addr, data};
}

static void put_axseg(img_builder *b, uint8_t core, uint32_t idx, uint32_t first, uint32_t count,
                      uint32_t weight_base, uint32_t neuron_first, uint32_t row_neurons)
{
	hone_axseg s = {first, count, weight_base, neuron_first, row_neurons};
	put(b, core, HONE_MEM_AXSEG, idx, hone_axseg_pack(&s));
}

static void put_rtseg(img_builder *b, uint8_t core, uint32_t idx, uint32_t first, uint32_t count,
                      uint32_t core_mask, uint32_t axon_base, bool to_host)
{
	hone_rtseg r = {first, count, core_mask, axon_base, to_host};
	put(b, core, HONE_MEM_RTSEG, idx, hone_rtseg_pack(&r));
}

static void put_neuron(img_builder *b, uint8_t core, uint32_t slot, int32_t th, int32_t bias)
{
	hone_nparam p = {th, bias, 0, true};
	put(b, core, HONE_MEM_NPARAM, slot, hone_nparam_pack(&p));
}

/* Weights w[0..n-1] into consecutive lanes starting at word `word`. */
static void put_row(img_builder *b, uint8_t core, uint32_t word, const int32_t *w, uint32_t n,
                    const hone_config *cfg)
{
	for (uint32_t j = 0; j < n; j += cfg->lanes) {
		uint64_t v = 0;
		for (uint32_t i = 0; i < cfg->lanes && j + i < n; i++)
			v = hone_weight_set_lane(v, i, cfg->weight_bits, w[j + i]);
		put(b, core, HONE_MEM_WEIGHT, word + j / cfg->lanes, v);
	}
}

static void put_core(img_builder *b, uint8_t core, uint32_t n_neurons)
{
	put(b, core, HONE_MEM_COREREG, HONE_COREREG_N_NEURONS, n_neurons);
	hone_profile p = {HONE_CARRY_NONE, 0, HONE_RESET_ZERO};
	put(b, core, HONE_MEM_COREREG, HONE_COREREG_PROFILE0, hone_profile_pack(&p));
}

static void builder_init(img_builder *b, const char *cfg_name)
{
	memset(b, 0, sizeof *b);
	const hone_config *cfg = hone_config_find(cfg_name);
	assert_non_null(cfg);
	b->img.cfg = *cfg;
	b->img.cfg.memory = NULL;
	b->img.cfg.description = NULL;
}

static void builder_free(img_builder *b)
{
	free(b->img.writes);
	free(b->img.output_class);
}

static hone_refchip *chip_of(const img_builder *b)
{
	hone_refchip *c = hone_refchip_new(&b->img.cfg);
	assert_non_null(c);
	for (size_t i = 0; i < b->img.n_writes; i++) {
		hone_error e = {0};
		int rc = hone_refchip_write(c, &b->img.writes[i], &e);
		if (rc)
			fail_msg("write %zu: %s", i, e.msg);
	}
	return c;
}

/*
 * The 2-layer routing image on "tiny" (4 lanes):
 *   inputs 0,1 -> core 0 axons 0,1; core 0 slots 0 (w 1 from axon 0, th 1)
 *   and 1 (w 2 from axon 1, th 2); core 0 multicasts both to axons 10,11
 *   of cores 1 and 2. Core 1 slot 0: w 1, 1, th 2 -> output 0. Core 2
 *   slot 0: w 1, -1, th 1 -> output 1.
 */
static void routing_image(img_builder *b)
{
	builder_init(b, "tiny");
	const hone_config *cfg = &b->img.cfg;
	put(b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, 0x1);
	put(b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 0);
	put(b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, 2);
	put_core(b, 0, 2);
	put_axseg(b, 0, 0, 0, 2, 0, 0, 2);
	const int32_t r0[] = {1, 0}, r1[] = {0, 2};
	put_row(b, 0, 0, r0, 2, cfg);
	put_row(b, 0, 1, r1, 2, cfg);
	put_neuron(b, 0, 0, 1, 0);
	put_neuron(b, 0, 1, 2, 0);
	put_rtseg(b, 0, 0, 0, 2, 0x6, 10, false);
	const int32_t c1[2][1] = {{1}, {1}}, c2[2][1] = {{1}, {-1}};
	for (uint8_t k = 1; k <= 2; k++) {
		put_core(b, k, 1);
		put_axseg(b, k, 0, 10, 2, 0, 0, 1);
		put_row(b, k, 0, k == 1 ? c1[0] : c2[0], 1, cfg);
		put_row(b, k, 1, k == 1 ? c1[1] : c2[1], 1, cfg);
		put_neuron(b, k, 0, k == 1 ? 2 : 1, 0);
		put_rtseg(b, k, 0, 0, 1, 0, k - 1, true);
	}
	put(b, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
	b->img.n_inputs = 2;
	b->img.n_outputs = 2;
	b->img.n_classes = 2;
	b->img.depth = 2;
	b->img.ticks_per_sample = 1;
	b->img.carry = HONE_CARRY_NONE;
	b->img.input_bits = 1;
	b->img.output_class = malloc(2 * sizeof *b->img.output_class);
	assert_non_null(b->img.output_class);
	b->img.output_class[0] = 0;
	b->img.output_class[1] = 1;
}

/* The network routing_image implements. */
static hone_net *routing_net(void)
{
	int32_t sizes[3] = {2, 2, 2};
	hone_net *net = hone_net_new(2, sizes);
	assert_non_null(net);
	const int32_t w1[] = {1, 0, 0, 2}, th1[] = {1, 2}, w2[] = {1, 1, 1, -1}, th2[] = {2, 1};
	memcpy(net->layers[0].weight, w1, sizeof w1);
	memcpy(net->layers[0].threshold, th1, sizeof th1);
	memcpy(net->layers[1].weight, w2, sizeof w2);
	memcpy(net->layers[1].threshold, th2, sizeof th2);
	assert_int_equal(hone_net_set_nhot(net, 2, 1), 0);
	return net;
}

static size_t tick(hone_refchip *c, uint32_t *out, int32_t *u, uint8_t *s)
{
	size_t n = 0;
	hone_error e = {0};
	int rc = hone_refchip_tick(c, out, 16, &n, u, s, &e);
	if (rc)
		fail_msg("tick: %s", e.msg);
	return n;
}

static void test_routing_multicast(void **state)
{
	(void)state;
	img_builder b;
	routing_image(&b);
	hone_refchip *c = chip_of(&b);
	uint32_t out[16];
	int32_t u[4 * 32];
	uint8_t s[4 * 32];
	hone_counters ctr;

	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	assert_int_equal(hone_refchip_input(c, 1, 1, NULL), 0);
	/* t0: core 0 slot 0 u = 1, slot 1 u = 2: both fire; no output yet. */
	assert_int_equal(tick(c, out, u, s), 0);
	assert_int_equal(u[0], 1);
	assert_int_equal(u[1], 2);
	assert_int_equal(s[0] + s[1], 2);
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.ticks, 1);
	assert_int_equal(ctr.events, 2);  /* two input events into core 0 */
	assert_int_equal(ctr.sops, 4);    /* each row has 2 real neurons */

	/* t1: both spikes reach cores 1 and 2: core 1 u = 2 fires (output 0),
	 * core 2 u = 1 - 1 = 0 does not. */
	assert_int_equal(tick(c, out, u, s), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(u[1 * 32 + 0], 2);
	assert_int_equal(u[2 * 32 + 0], 0);
	assert_int_equal(s[2 * 32 + 0], 0);
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.events, 2 + 4); /* 2 spikes x 2 destination cores */
	assert_int_equal(ctr.sops, 4 + 4);

	/* Input 0 alone: t2 slot 0 fires, t3 core 2 u = 1 fires (output 1). */
	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	assert_int_equal(tick(c, out, u, s), 0);
	assert_int_equal(tick(c, out, u, s), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(u[1 * 32 + 0], 1);
	/* Unswept slots report nothing. */
	assert_int_equal(u[3 * 32 + 0], 0);
	assert_int_equal(s[0 * 32 + 2], 0);
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.ticks, 4);
	assert_int_equal(ctr.cycles, 0);
	hone_refchip_free(c);
	builder_free(&b);
}

/* A row of 6 neurons over two 4-lane words, placed at slot 4: slot 4+j
 * takes lane j % 4 of word j / 4; the padding lanes count no sops. */
static void test_wide_row(void **state)
{
	(void)state;
	img_builder b;
	builder_init(&b, "tiny");
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, 0x8);
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 5);
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, 3);
	put_core(&b, 3, 10);
	/* axons 5..7 -> rows at words 20, 22, 24 */
	put_axseg(&b, 3, 2, 5, 3, 20, 4, 6);
	const int32_t rows[3][6] = {{1, -2, 3, -4, 5, -6}, {7, 7, 7, 7, 7, 7}, {-8, 0, 0, 0, 0, 1}};
	for (uint32_t a = 0; a < 3; a++)
		put_row(&b, 3, 20 + 2 * a, rows[a], 6, &b.img.cfg);
	for (uint32_t j = 0; j < 6; j++)
		put_neuron(&b, 3, 4 + j, 1000, (int32_t)j - 100);
	/* slot 9 disabled: integration skips it, its potential stays 0 */
	hone_nparam off = {1000, 5, 0, false};
	put(&b, 3, HONE_MEM_NPARAM, 9, hone_nparam_pack(&off));
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
	hone_refchip *c = chip_of(&b);
	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	assert_int_equal(hone_refchip_input(c, 2, 3, NULL), 0); /* graded: g 3 */
	int32_t u[4 * 32];
	uint8_t s[4 * 32];
	uint32_t out[16];
	tick(c, out, u, s);
	for (int j = 0; j < 5; j++)
		assert_int_equal(u[3 * 32 + 4 + j], j - 100 + rows[0][j] + 3 * rows[2][j]);
	assert_int_equal(u[3 * 32 + 9], 0);
	assert_int_equal(s[3 * 32 + 9], 0);
	uint64_t pot9;
	assert_int_equal(hone_refchip_read(c, 3, HONE_MEM_POT, 9, &pot9, NULL), 0);
	assert_int_equal(pot9, 0);
	hone_counters ctr;
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.events, 2);
	assert_int_equal(ctr.sops, 12);
	/* The potential memory holds a = b again (Whetstone profile). */
	uint64_t pot;
	assert_int_equal(hone_refchip_read(c, 3, HONE_MEM_POT, 5, &pot, NULL), 0);
	assert_int_equal(hone_sext(pot, 24), 1 - 100);
	hone_refchip_free(c);
	builder_free(&b);
}

static void expect_write_error(hone_refchip *c, uint8_t target, uint8_t mem, uint32_t addr,
                               uint64_t data, const char *needle)
{
	hone_error e = {0};
	hone_write w = {target, mem, addr, data};
	int rc = hone_refchip_write(c, &w, &e);
	if (rc != HONE_ERR_INVALID || !strstr(e.msg, needle))
		fail_msg("write (%u, %u, %u): rc %d, message '%s', expected '%s'", target, mem,
		         (unsigned)addr, rc, e.msg, needle);
}

static void test_bad_writes_and_reads(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("tiny");
	hone_refchip *c = hone_refchip_new(cfg);
	assert_non_null(c);
	expect_write_error(c, 4, HONE_MEM_WEIGHT, 0, 0, "core 4");
	expect_write_error(c, 0, HONE_MEM_WEIGHT, 256, 0, "WEIGHT word 256");
	expect_write_error(c, 0, HONE_MEM_NPARAM, 32, 0, "NPARAM slot 32");
	expect_write_error(c, 0, HONE_MEM_POT, 40, 0, "POT slot 40");
	expect_write_error(c, 0, HONE_MEM_AXSEG, 8, 0, "AXSEG");
	expect_write_error(c, 0, HONE_MEM_CHIPREG, 0, 0, "chip-level");
	expect_write_error(c, HONE_TARGET_CHIP, HONE_MEM_WEIGHT, 0, 0, "chip-level");
	expect_write_error(c, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 3, 0, "no register 3");
	expect_write_error(c, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 0, 0x10, "input_core_mask");
	expect_write_error(c, 0, 9, 0, 0, "no such memory");
	expect_write_error(c, 0, HONE_MEM_CMD, 1, 0, "no such command");
	expect_write_error(c, 7, HONE_MEM_CMD, 0, 0, "core 7");
	expect_write_error(c, 0, HONE_MEM_COREREG, 0, 33, "n_neurons 33");
	expect_write_error(c, 0, HONE_MEM_COREREG, 5, 0, "no register 5");
	/* Values outside the 16-bit potentials: 0x8000 is not sign-extended. */
	expect_write_error(c, 0, HONE_MEM_NPARAM, 0, 0x8000, "threshold 32768");
	expect_write_error(c, 0, HONE_MEM_POT, 0, 0x10000, "POT value");
	/* Segments that point outside the memories. */
	hone_axseg a = {120, 10, 0, 0, 4};
	expect_write_error(c, 0, HONE_MEM_AXSEG, 0, hone_axseg_pack(&a), "axons 120..129");
	a = (hone_axseg){0, 4, 0, 2, 4};
	expect_write_error(c, 0, HONE_MEM_AXSEG, 0, hone_axseg_pack(&a), "multiple of the 4 lanes");
	a = (hone_axseg){0, 4, 0, 28, 8};
	expect_write_error(c, 0, HONE_MEM_AXSEG, 0, hone_axseg_pack(&a), "slots 28..35");
	a = (hone_axseg){0, 100, 100, 0, 12};
	expect_write_error(c, 0, HONE_MEM_AXSEG, 0, hone_axseg_pack(&a), "weight words 100..399");
	hone_rtseg r = {0, 4, 0x20, 0, false};
	expect_write_error(c, 0, HONE_MEM_RTSEG, 0, hone_rtseg_pack(&r), "core_mask 0x0020");
	r = (hone_rtseg){30, 4, 0x1, 0, false};
	expect_write_error(c, 0, HONE_MEM_RTSEG, 0, hone_rtseg_pack(&r), "slots 30..33");
	r = (hone_rtseg){0, 4, 0x1, 126, false};
	expect_write_error(c, 0, HONE_MEM_RTSEG, 0, hone_rtseg_pack(&r), "axons 126..129");

	uint64_t v;
	hone_error e = {0};
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_CMD, 0, &v, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_refchip_read(c, 4, HONE_MEM_POT, 0, &v, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_WEIGHT, 256, &v, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "0..255"));
	assert_int_equal(hone_refchip_read(c, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 3, &v, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_CHIPREG, 0, &v, &e), HONE_ERR_INVALID);

	/* Good writes read back in canonical form. */
	hone_nparam p = {-5, 7, 2, true};
	hone_write w = {1, HONE_MEM_NPARAM, 3, hone_nparam_pack(&p)};
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_read(c, 1, HONE_MEM_NPARAM, 3, &v, NULL), 0);
	assert_int_equal(v, hone_nparam_pack(&p));
	w = (hone_write){1, HONE_MEM_POT, 3, 0xFFFFFE}; /* -2 */
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_read(c, 1, HONE_MEM_POT, 3, &v, NULL), 0);
	assert_int_equal(v, 0xFFFFFE);
	w = (hone_write){1, HONE_MEM_WEIGHT, 0, 0xFFFFFFFFFFFFFFFFull};
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_read(c, 1, HONE_MEM_WEIGHT, 0, &v, NULL), 0);
	assert_int_equal(v, 0xFFFF); /* 4 lanes x 4 bits */
	hone_refchip_free(c);
}

static void test_bad_events(void **state)
{
	(void)state;
	img_builder b;
	routing_image(&b);
	hone_refchip *c = chip_of(&b);
	hone_error e = {0};
	uint32_t out[16];
	size_t n;
	assert_int_equal(hone_refchip_input(c, 2, 1, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "2 inputs"));
	assert_int_equal(hone_refchip_input(c, 0, 16, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "g = 16"));
	assert_int_equal(hone_refchip_input(c, 0, 1, &e), 0);
	assert_int_equal(hone_refchip_input(c, 0, 0, &e), 0); /* g = 0: nothing */
	assert_int_equal(hone_refchip_input(c, 0, 1, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "twice"));
	assert_int_equal(hone_refchip_tick(c, out, 16, &n, NULL, NULL, &e), 0);
	assert_int_equal(hone_refchip_input(c, 0, 1, &e), 0); /* a new tick */

	/* An input mapped to an axon no segment covers: move the input base. */
	hone_write w = {HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 1};
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_input(c, 1, 1, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "axon 2 of core 0"));

	/* A spike routed to an axon no segment covers: the tick completes,
	 * drops the event and says so. Route core 0 to axons 12,13. */
	hone_rtseg r = {0, 2, 0x6, 12, false};
	w = (hone_write){0, HONE_MEM_RTSEG, 0, hone_rtseg_pack(&r)};
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_tick(c, out, 16, &n, NULL, NULL, &e), 0); /* slot 0 fires */
	memset(&e, 0, sizeof e);
	assert_int_equal(hone_refchip_tick(c, out, 16, &n, NULL, NULL, &e), HONE_ERR_DEVICE);
	assert_non_null(strstr(e.msg, "axon 12"));
	hone_counters ctr;
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.ticks, 3);
	hone_refchip_free(c);
	builder_free(&b);
}

/*
 * Order invariance, where a naive model could show it: biases near the top
 * of the 16-bit range and events of both signs, so partial sums leave the
 * register in some orders. Wrapping P-bit arithmetic must give the same u
 * in every order; a saturating or order-dependent model would not.
 */
static void test_shuffle_invariance(void **state)
{
	(void)state;
	img_builder b;
	builder_init(&b, "tiny");
	const hone_config *cfg = &b.img.cfg;
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, 0x3);
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 0);
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, 48);
	tu_rng r = {99};
	for (uint8_t k = 0; k < 2; k++) {
		put_core(&b, k, 16);
		hone_profile lif = {HONE_CARRY_LIF, 2, HONE_RESET_SUBTRACT};
		put(&b, k, HONE_MEM_COREREG, HONE_COREREG_PROFILE0 + 1, hone_profile_pack(&lif));
		/* inputs on axons 0..47, and core 0's spikes back on 48..63:
		 * 64 rows of 4 words fill the 256 weight words */
		put_axseg(&b, k, 0, 0, 64, 0, 0, 16);
		for (uint32_t a = 0; a < 64; a++) {
			int32_t w[16];
			for (int j = 0; j < 16; j++)
				w[j] = (int32_t)tu_range(&r, -8, 7);
			put_row(&b, k, a * 4, w, 16, cfg);
		}
		for (uint32_t j = 0; j < 16; j++) {
			hone_nparam p = {(int32_t)tu_range(&r, -200, 200),
			                 (int32_t)(j % 2 ? 32000 : -32000) + (int32_t)tu_range(&r, -50, 50),
			                 (uint8_t)(j % 3 == 0), true};
			put(&b, k, HONE_MEM_NPARAM, j, hone_nparam_pack(&p));
		}
		put_rtseg(&b, k, 0, 0, 16, k == 0 ? 0x3 : 0, 48, k == 1);
	}
	put(&b, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);

	enum { TICKS = 12 };
	size_t slots = (size_t)cfg->cores * cfg->neurons;
	int32_t *u_ref = malloc(TICKS * slots * sizeof *u_ref), *u = malloc(slots * sizeof *u);
	uint8_t *s_ref = malloc(TICKS * slots), *s = malloc(slots);
	assert_non_null(u_ref);
	assert_non_null(u);
	assert_non_null(s_ref);
	assert_non_null(s);
	uint64_t near_limit = 0;
	for (uint64_t seed = 0; seed < 20; seed++) {
		hone_refchip *c = chip_of(&b);
		hone_refchip_set_shuffle(c, seed);
		tu_rng ev = {7}; /* the same events every run */
		tu_rng order = {seed + 1000};
		for (int t = 0; t < TICKS; t++) {
			uint32_t in[48];
			uint8_t g[48];
			int n = 0;
			for (uint32_t i = 0; i < 48; i++)
				if (tu_chance(&ev, 0.6)) {
					in[n] = i;
					g[n++] = (uint8_t)tu_range(&ev, 1, 15);
				}
			/* push in a seed-dependent order as well */
			for (int i = n; i > 1; i--) {
				int j = (int)(tu_next(&order) % (uint64_t)i);
				uint32_t ti = in[i - 1];
				uint8_t tg = g[i - 1];
				in[i - 1] = in[j];
				g[i - 1] = g[j];
				in[j] = ti;
				g[j] = tg;
			}
			for (int i = 0; i < n; i++)
				assert_int_equal(hone_refchip_input(c, in[i], g[i], NULL), 0);
			uint32_t out[64];
			size_t n_out;
			assert_int_equal(hone_refchip_tick(c, out, 64, &n_out, u, s, NULL), 0);
			if (seed == 0) {
				memcpy(u_ref + (size_t)t * slots, u, slots * sizeof *u);
				memcpy(s_ref + (size_t)t * slots, s, slots);
				for (size_t q = 0; q < slots; q++)
					near_limit += u[q] > 30000 || u[q] < -30000;
			} else {
				assert_memory_equal(u, u_ref + (size_t)t * slots, slots * sizeof *u);
				assert_memory_equal(s, s_ref + (size_t)t * slots, slots);
			}
		}
		hone_refchip_free(c);
	}
	assert_true(near_limit > 0); /* the case is the hard one it claims to be */
	free(u_ref);
	free(u);
	free(s_ref);
	free(s);
	builder_free(&b);
}

/* reset_state: a := b on enabled slots, 0 on the others, and nothing in
 * flight survives it. */
static void test_reset_state(void **state)
{
	(void)state;
	img_builder b;
	routing_image(&b);
	/* a disabled slot with a bias: its potential stays 0 */
	hone_nparam off = {1, 5, 0, false};
	put(&b, 0, HONE_MEM_NPARAM, 2, hone_nparam_pack(&off));
	put_neuron(&b, 0, 3, 9, -3);
	put(&b, 0, HONE_MEM_POT, 3, 77);
	hone_refchip *c = chip_of(&b);
	uint64_t v;
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_POT, 3, &v, NULL), 0);
	assert_int_equal(v, 77);
	hone_write w = {0, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0};
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_POT, 3, &v, NULL), 0);
	assert_int_equal(hone_sext(v, 24), -3);
	assert_int_equal(hone_refchip_read(c, 0, HONE_MEM_POT, 2, &v, NULL), 0);
	assert_int_equal(v, 0);

	uint32_t out[16];
	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	assert_int_equal(hone_refchip_input(c, 1, 1, NULL), 0);
	assert_int_equal(tick(c, out, NULL, NULL), 0); /* both layer-1 slots fire */
	w.target = HONE_TARGET_CHIP;
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(tick(c, out, NULL, NULL), 0); /* their spikes were dropped */
	hone_counters ctr;
	hone_refchip_counters(c, &ctr);
	assert_int_equal(ctr.events, 2);
	/* The same input may be sent again after a reset in the same tick. */
	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	assert_int_equal(hone_refchip_write(c, &w, NULL), 0);
	assert_int_equal(hone_refchip_input(c, 0, 1, NULL), 0);
	hone_refchip_free(c);
	builder_free(&b);
}

/* ---- the device API over the ref backend ---- */

static void test_device_ref(void **state)
{
	(void)state;
	img_builder b;
	routing_image(&b);
	hone_device *dev = NULL;
	hone_error e = {0};
	hone_caps caps;
	assert_int_equal(hone_open("ref:", &dev, &e), 0);
	assert_int_equal(hone_get_caps(dev, &caps, &e), 0);
	assert_string_equal(caps.backend, "ref");
	assert_int_equal(caps.cfg.cores, 0); /* none until an image is loaded */
	hone_event ev[2] = {{0, 0, 1}, {0, 1, 1}};
	assert_int_equal(hone_push_events(dev, ev, 2, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "no image loaded"));
	hone_tick_result res;
	assert_int_equal(hone_next_result(dev, &res, &e), HONE_ERR_INVALID);

	assert_int_equal(hone_load(dev, &b.img, &e), 0);
	assert_int_equal(hone_get_caps(dev, &caps, &e), 0);
	assert_string_equal(caps.cfg.name, "tiny");
	assert_int_equal(caps.cfg.cores, 4);
	assert_int_equal(hone_set_trace(dev, 1, &e), 0);
	/* Pipelined: three ticks ended before any result is taken. */
	assert_int_equal(hone_push_events(dev, ev, 2, &e), 0);
	assert_int_equal(hone_end_tick(dev, &e), 0);
	assert_int_equal(hone_push_events(dev, ev, 1, &e), 0);
	assert_int_equal(hone_end_tick(dev, &e), 0);
	assert_int_equal(hone_end_tick(dev, &e), 0);
	assert_int_equal(hone_pending(dev), 3);
	assert_int_equal(hone_next_result(dev, &res, &e), 0);
	assert_int_equal(res.tick, 0);
	assert_int_equal(res.n_spikes, 0);
	assert_int_equal(res.n_trace, 4 * 32);
	assert_int_equal(res.trace_u[1], 2);
	assert_int_equal(hone_next_result(dev, &res, &e), 0);
	assert_int_equal(res.tick, 1);
	assert_int_equal(res.n_spikes, 1);
	assert_int_equal(res.spikes[0], 0);
	assert_int_equal(hone_next_result(dev, &res, &e), 0);
	assert_int_equal(res.n_spikes, 1);
	assert_int_equal(res.spikes[0], 1);
	assert_int_equal(hone_pending(dev), 0);
	assert_int_equal(hone_set_trace(dev, 0, &e), 0);
	assert_int_equal(hone_end_tick(dev, &e), 0);
	assert_int_equal(hone_next_result(dev, &res, &e), 0);
	assert_int_equal(res.n_trace, 0);

	hone_counters ctr;
	assert_int_equal(hone_read_counters(dev, &ctr, &e), 0);
	assert_int_equal(ctr.ticks, 4);
	assert_int_equal(ctr.events, 2 + 4 + 1 + 2);
	assert_int_equal(ctr.cycles, 0);
	uint64_t words[2];
	assert_int_equal(hone_read_mem(dev, 0, HONE_MEM_WEIGHT, 0, 2, words, &e), 0);
	assert_int_equal(hone_weight_lane(words[1], 1, 4), 2);
	assert_int_equal(hone_read_mem(dev, 0, HONE_MEM_WEIGHT, 255, 2, words, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_reset_state(dev, &e), 0);
	/* Duplicate inputs through the device. */
	hone_event dup[2] = {{0, 1, 1}, {0, 1, 1}};
	assert_int_equal(hone_push_events(dev, dup, 2, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "twice"));

	/* A device takes one configuration: an up5k image is refused by name. */
	img_builder other;
	builder_init(&other, "up5k");
	put(&other, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
	assert_int_equal(hone_load(dev, &other.img, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "'up5k'"));
	assert_non_null(strstr(e.msg, "'tiny'"));
	hone_close(dev);

	/* ref:CONFIG fixes the configuration at open. */
	assert_int_equal(hone_open("ref:up5k", &dev, &e), 0);
	assert_int_equal(hone_get_caps(dev, &caps, &e), 0);
	assert_int_equal(caps.cfg.lanes, 16);
	assert_int_equal(hone_load(dev, &b.img, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "cores is 4 in the image, 1 on the device"));
	assert_int_equal(hone_load(dev, &other.img, &e), 0);
	hone_close(dev);
	builder_free(&other);

	/* A bad write in an image names the write. */
	put(&b, 0, HONE_MEM_WEIGHT, 999, 0);
	assert_int_equal(hone_open("ref:tiny", &dev, &e), 0);
	assert_int_equal(hone_load(dev, &b.img, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "WEIGHT word 999"));
	assert_int_equal(hone_end_tick(dev, &e), HONE_ERR_INVALID); /* not loaded */
	hone_close(dev);
	builder_free(&b);
}

static void test_open_uris(void **state)
{
	(void)state;
	hone_device *dev = NULL;
	hone_error e = {0};
	/* sim: and usb: open where their backends are built (and a board is
	 * present); otherwise the answer is an error with a reason and no
	 * device, never a crash. */
	const char *others[] = {"sim:", "usb:"};
	for (size_t i = 0; i < 2; i++) {
		memset(&e, 0, sizeof e);
		dev = (hone_device *)&e; /* must be cleared on failure */
		int rc = hone_open(others[i], &dev, &e);
		if (rc == 0) {
			hone_close(dev);
			continue;
		}
		assert_null(dev);
		assert_true(e.msg[0] != 0);
	}
	assert_int_equal(hone_open("floppy:", &dev, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "unknown scheme"));
	assert_int_equal(hone_open("ref:nope", &dev, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "known: up5k"));
	assert_int_equal(hone_open(NULL, &dev, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_open("ref", &dev, &e), 0);
	hone_close(dev);
	hone_close(NULL);
}

/* hone_run_samples on the hand-written image equals the evaluator's
 * classification of the same network, sample by sample; so does a LIF
 * variant of it (windowed, with resets). */
static void progress_cb(void *user, size_t done, size_t total)
{
	size_t *last = user;
	assert_true(done > *last && done <= total);
	*last = done;
}

static void test_run_samples(void **state)
{
	(void)state;
	img_builder b;
	routing_image(&b);
	hone_net *net = routing_net();
	enum { N = 200 };
	uint8_t in[N * 2];
	tu_rng r = {5};
	for (int i = 0; i < N * 2; i++)
		in[i] = (uint8_t)tu_chance(&r, 0.5);
	int32_t pred[N];
	for (int lif = 0; lif < 2; lif++) {
		if (lif) {
			/* The same cores, layer-1 neurons as IF with a threshold
			 * reached over several ticks: profile 0 of core 0 becomes
			 * LIF (k 0, reset zero), slot 0 th 2, slot 1 th 4. */
			hone_profile p = {HONE_CARRY_LIF, 0, HONE_RESET_ZERO};
			put(&b, 0, HONE_MEM_COREREG, HONE_COREREG_PROFILE0, hone_profile_pack(&p));
			put_neuron(&b, 0, 0, 2, 0);
			put_neuron(&b, 0, 1, 4, 0);
			put(&b, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
			b.img.carry = HONE_CARRY_LIF;
			b.img.ticks_per_sample = 5;
			net->layers[0].carry = HONE_CARRY_LIF;
			net->layers[0].threshold[0] = 2;
			net->layers[0].threshold[1] = 4;
			net->ticks_per_sample = 5;
		}
		hone_device *dev;
		hone_error e = {0};
		assert_int_equal(hone_open("ref:", &dev, &e), 0);
		assert_int_equal(hone_load(dev, &b.img, &e), 0);
		size_t last = 0;
		int rc = hone_run_samples(dev, &b.img, in, N, pred, progress_cb, &last, &e);
		if (rc)
			fail_msg("run_samples: %s", e.msg);
		assert_int_equal(last, N);
		int classes[2] = {0, 0};
		for (int i = 0; i < N; i++) {
			int32_t want = hone_net_classify(net, in + 2 * i);
			assert_int_equal(pred[i], want);
			classes[want]++;
		}
		assert_true(classes[0] > 0 && classes[1] > 0); /* both outcomes occur */
		hone_counters ctr;
		assert_int_equal(hone_read_counters(dev, &ctr, &e), 0);
		assert_int_equal(ctr.ticks, lif ? N * (5 + 1) : N + 1);
		assert_int_equal(hone_pending(dev), 0);
		/* Bad input values are refused before anything runs. */
		in[7] = 2;
		assert_int_equal(hone_run_samples(dev, &b.img, in, N, pred, NULL, NULL, &e), HONE_ERR_INVALID);
		assert_non_null(strstr(e.msg, "sample 3, input 1"));
		in[7] = 1;
		hone_close(dev);
	}
	hone_net_free(net);
	builder_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing_multicast),
		cmocka_unit_test(test_wide_row),
		cmocka_unit_test(test_bad_writes_and_reads),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_shuffle_invariance),
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_device_ref),
		cmocka_unit_test(test_open_uris),
		cmocka_unit_test(test_run_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
