/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler, checked without the reference model: every image is
 * decoded back, through its own AXSEG / RTSEG / input-port tables, into
 * weight matrices, biases, thresholds and modes, which must equal the
 * network. A placement bug, a wrong lane, a route to the wrong core or a
 * stray connection all show up here, independently of how the chip runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hone_internal.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: deterministic per seed, no global state. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static int32_t rnd_in(uint64_t *s, int32_t lo, int32_t hi)
{
	return lo + (int32_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/*
 * A random network whose overflow bound holds on cfg: weights are drawn
 * in +-wmax with wmax chosen from n_in so that the worst case of a lif
 * neuron (VMAX + b + S+) stays inside P bits.
 */
static hone_net *random_net(uint64_t *s, const hone_config *cfg, int32_t n_layers,
                            const int32_t *sizes, int input_bits)
{
	hone_net *net = hone_net_new(n_layers, sizes);
	assert_non_null(net);
	net->input_bits = (uint8_t)input_bits;
	net->weight_bits = (uint8_t)cfg->weight_bits;
	const int64_t pmax = (1ll << (cfg->potential_bits - 1)) - 1;
	const int64_t vmax = (1ll << (cfg->potential_bits - 2)) - 1;
	const int32_t wcap = (1 << (cfg->weight_bits - 1)) - 1;
	for (int32_t l = 0; l < n_layers; l++) {
		hone_layer *ly = &net->layers[l];
		snprintf(ly->name, sizeof ly->name, "fc%d", (int)l + 1);
		int64_t gmax = l == 0 ? (1ll << input_bits) - 1 : 1;
		int64_t room = pmax - vmax - 64;
		int64_t wmax = room / ((int64_t)ly->n_in * gmax);
		if (wmax > wcap)
			wmax = wcap;
		assert_true(wmax >= 1);
		for (int64_t i = 0; i < (int64_t)ly->n_in * ly->n_out; i++)
			ly->weight[i] = rnd_in(s, -(int32_t)wmax, (int32_t)wmax);
		for (int32_t j = 0; j < ly->n_out; j++) {
			ly->bias[j] = rnd_in(s, -30, 30);
			ly->threshold[j] = rnd_in(s, -5, 60);
		}
		ly->carry = (uint8_t)rnd_in(s, 0, 1);
		ly->leak_shift = (uint8_t)rnd_in(s, 0, 15);
		ly->reset = (uint8_t)rnd_in(s, 0, 1);
	}
	int32_t n_out = sizes[n_layers];
	int32_t per = rnd_in(s, 1, n_out < 3 ? n_out : 3);
	assert_int_equal(hone_net_set_nhot(net, n_out / per, per), 0);
	net->ticks_per_sample = rnd_in(s, 1, 4);
	return net;
}

/* The chip as the image leaves it: the last write to each address. */
typedef struct decoded_core {
	uint64_t corereg[5], axseg[8], rtseg[8];
	uint64_t *nparam, *weight;
	int nparam_writes_missing, seg_writes_missing;
	int32_t *owner_layer, *owner_neuron; /* [slot], -1 when free */
} decoded_core;

typedef struct decoded {
	uint64_t chipreg[3];
	decoded_core *core;
	uint32_t n_cores;
} decoded;

static void decoded_free(decoded *d)
{
	for (uint32_t k = 0; k < d->n_cores; k++) {
		free(d->core[k].nparam);
		free(d->core[k].weight);
		free(d->core[k].owner_layer);
		free(d->core[k].owner_neuron);
	}
	free(d->core);
}

/* Apply the writes; check they stay inside the configuration and that
 * every segment entry and every slot is written (the image must define
 * the whole chip). */
static void apply_writes(const hone_image *img, decoded *d)
{
	const hone_config *cfg = &img->cfg;
	d->n_cores = cfg->cores;
	d->core = calloc(cfg->cores, sizeof *d->core);
	assert_non_null(d->core);
	uint8_t (*seen_seg)[16] = calloc(cfg->cores, sizeof *seen_seg);
	uint8_t *seen_np = calloc((size_t)cfg->cores * cfg->neurons, 1);
	assert_non_null(seen_seg);
	assert_non_null(seen_np);
	for (uint32_t k = 0; k < cfg->cores; k++) {
		decoded_core *c = &d->core[k];
		c->nparam = calloc(cfg->neurons, sizeof *c->nparam);
		c->weight = calloc(cfg->weight_words, sizeof *c->weight);
		c->owner_layer = malloc(cfg->neurons * sizeof *c->owner_layer);
		c->owner_neuron = malloc(cfg->neurons * sizeof *c->owner_neuron);
		assert_non_null(c->nparam);
		assert_non_null(c->weight);
		assert_non_null(c->owner_layer);
		assert_non_null(c->owner_neuron);
		for (uint32_t s = 0; s < cfg->neurons; s++)
			c->owner_layer[s] = c->owner_neuron[s] = -1;
	}
	assert_true(img->n_writes >= 4);
	/* Chip registers come first, the reset command last. */
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(img->writes[i].target, HONE_TARGET_CHIP);
		assert_int_equal(img->writes[i].mem, HONE_MEM_CHIPREG);
		assert_int_equal(img->writes[i].addr, i);
	}
	const hone_write *last = &img->writes[img->n_writes - 1];
	assert_int_equal(last->target, HONE_TARGET_CHIP);
	assert_int_equal(last->mem, HONE_MEM_CMD);
	assert_int_equal(last->addr, HONE_CMD_RESET_STATE);
	for (size_t i = 0; i < img->n_writes; i++) {
		const hone_write *w = &img->writes[i];
		if (w->target == HONE_TARGET_CHIP) {
			assert_true(w->mem == HONE_MEM_CHIPREG || w->mem == HONE_MEM_CMD);
			if (w->mem == HONE_MEM_CHIPREG) {
				assert_true(w->addr < 3);
				d->chipreg[w->addr] = w->data;
			}
			continue;
		}
		assert_true(w->target < cfg->cores);
		decoded_core *c = &d->core[w->target];
		switch (w->mem) {
		case HONE_MEM_COREREG:
			assert_true(w->addr < 5);
			c->corereg[w->addr] = w->data;
			break;
		case HONE_MEM_AXSEG:
			assert_true(w->addr < 8);
			c->axseg[w->addr] = w->data;
			seen_seg[w->target][w->addr] = 1;
			break;
		case HONE_MEM_RTSEG:
			assert_true(w->addr < 8);
			c->rtseg[w->addr] = w->data;
			seen_seg[w->target][8 + w->addr] = 1;
			break;
		case HONE_MEM_NPARAM:
			assert_true(w->addr < cfg->neurons);
			c->nparam[w->addr] = w->data;
			seen_np[(size_t)w->target * cfg->neurons + w->addr] = 1;
			break;
		case HONE_MEM_WEIGHT:
			assert_true(w->addr < cfg->weight_words);
			c->weight[w->addr] = w->data;
			break;
		default:
			fail_msg("unexpected write: core %u mem %u", w->target, w->mem);
		}
	}
	for (uint32_t k = 0; k < cfg->cores; k++) {
		for (int s = 0; s < 16; s++)
			assert_true(seen_seg[k][s]);
		for (uint32_t s = 0; s < cfg->neurons; s++)
			assert_true(seen_np[(size_t)k * cfg->neurons + s]);
	}
	free(seen_seg);
	free(seen_np);
}

/* Per layer: reconstructed weights, INT32_MIN where no connection was
 * found yet. */
typedef struct recon {
	int32_t **w;
	int32_t n_layers;
} recon;

/* Deliver one event (source index src of layer l's input) to axon `axon`
 * of core k: every matching axon-segment row is decoded into recon. */
static void deliver(const hone_image *img, const hone_net *net, const decoded *d,
                    recon *r, uint32_t k, uint32_t axon, int32_t l, int32_t src)
{
	const hone_config *cfg = &img->cfg;
	const decoded_core *c = &d->core[k];
	int matches = 0;
	for (int s = 0; s < 8; s++) {
		hone_axseg as = hone_axseg_unpack(c->axseg[s]);
		if (as.count == 0 || axon < as.first || axon >= as.first + as.count)
			continue;
		matches++;
		assert_int_equal(as.neuron_first % cfg->lanes, 0);
		uint32_t wpr = (as.row_neurons + cfg->lanes - 1) / cfg->lanes;
		uint32_t base = as.weight_base + (axon - as.first) * wpr;
		assert_true(base + wpr <= cfg->weight_words);
		for (uint32_t j = 0; j < wpr * cfg->lanes; j++) {
			uint32_t slot = as.neuron_first + j;
			int32_t w = hone_weight_lane(c->weight[base + j / cfg->lanes],
			                             slot % cfg->lanes, cfg->weight_bits);
			if (j >= as.row_neurons) {
				assert_int_equal(w, 0); /* padding lanes hold 0 */
				continue;
			}
			assert_true(slot < cfg->neurons);
			/* The row must land on neurons of the layer this source
			 * feeds, nowhere else. */
			assert_int_equal(c->owner_layer[slot], l);
			int32_t n = c->owner_neuron[slot];
			int32_t *cell = &r->w[l][(size_t)n * (size_t)net->layers[l].n_in + (size_t)src];
			assert_int_equal(*cell, INT32_MIN);
			*cell = w;
		}
	}
	assert_int_equal(matches, 1);
}

/* Decode img completely and compare with net. */
static void check_image_equals_net(const hone_image *img, const hone_net *net)
{
	const hone_config *cfg = &img->cfg;
	const int32_t D = net->n_layers;
	assert_int_equal(img->n_inputs, net->n_inputs);
	assert_int_equal(img->n_outputs, net->layers[D - 1].n_out);
	assert_int_equal(img->n_classes, net->n_classes);
	assert_int_equal(img->depth, D);
	assert_int_equal(img->ticks_per_sample, net->ticks_per_sample);
	assert_int_equal(img->input_bits, net->input_bits);
	uint8_t carry = 0;
	for (int32_t l = 0; l < D; l++)
		carry |= net->layers[l].carry;
	assert_int_equal(img->carry, carry);
	assert_memory_equal(img->output_class, net->output_class,
	                    (size_t)img->n_outputs * sizeof *img->output_class);

	decoded d = {0};
	apply_writes(img, &d);

	/* Slot ownership from the placement facts: every neuron exactly
	 * once, chunks lane-aligned and non-overlapping. */
	int32_t **chunk_of = calloc((size_t)D, sizeof *chunk_of);
	assert_non_null(chunk_of);
	for (int32_t l = 0; l < D; l++) {
		chunk_of[l] = malloc((size_t)net->layers[l].n_out * sizeof **chunk_of);
		assert_non_null(chunk_of[l]);
		for (int32_t j = 0; j < net->layers[l].n_out; j++)
			chunk_of[l][j] = -1;
	}
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *ch = &img->chunks[i];
		assert_true(ch->layer >= 0 && ch->layer < D);
		assert_true(ch->core >= 0 && (uint32_t)ch->core < cfg->cores);
		assert_int_equal(ch->slot_first % (int32_t)cfg->lanes, 0);
		assert_true(ch->count >= 1);
		assert_true(ch->slot_first + ch->count <= (int32_t)cfg->neurons);
		assert_true(ch->neuron_first + ch->count <= net->layers[ch->layer].n_out);
		for (int32_t j = 0; j < ch->count; j++) {
			decoded_core *c = &d.core[ch->core];
			assert_int_equal(c->owner_layer[ch->slot_first + j], -1);
			c->owner_layer[ch->slot_first + j] = ch->layer;
			c->owner_neuron[ch->slot_first + j] = ch->neuron_first + j;
			assert_int_equal(chunk_of[ch->layer][ch->neuron_first + j], -1);
			chunk_of[ch->layer][ch->neuron_first + j] = i;
		}
	}
	for (int32_t l = 0; l < D; l++)
		for (int32_t j = 0; j < net->layers[l].n_out; j++)
			assert_true(chunk_of[l][j] >= 0);

	/* Neuron parameters, profiles and the fire sweep length. */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		const decoded_core *c = &d.core[k];
		uint32_t sweep = (uint32_t)c->corereg[HONE_COREREG_N_NEURONS];
		for (uint32_t s = 0; s < cfg->neurons; s++) {
			hone_nparam np = hone_nparam_unpack(c->nparam[s]);
			if (c->owner_layer[s] < 0) {
				assert_false(np.enable);
				assert_int_equal(c->nparam[s], 0);
				continue;
			}
			const hone_layer *ly = &net->layers[c->owner_layer[s]];
			int32_t n = c->owner_neuron[s];
			assert_true(np.enable);
			assert_true(s < sweep);
			assert_int_equal(np.bias, ly->bias[n]);
			assert_int_equal(np.threshold, ly->threshold[n]);
			hone_profile p = hone_profile_unpack(c->corereg[HONE_COREREG_PROFILE0 + np.profile]);
			assert_int_equal(p.carry, ly->carry);
			assert_int_equal(p.leak_shift, ly->leak_shift);
			assert_int_equal(p.reset, ly->reset);
		}
		assert_true(sweep <= cfg->neurons);
	}

	/* Connectivity, from the image's own tables. */
	recon r = { .w = calloc((size_t)D, sizeof *r.w), .n_layers = D };
	assert_non_null(r.w);
	for (int32_t l = 0; l < D; l++) {
		size_t n = (size_t)net->layers[l].n_in * (size_t)net->layers[l].n_out;
		r.w[l] = malloc(n * sizeof **r.w);
		assert_non_null(r.w[l]);
		for (size_t i = 0; i < n; i++)
			r.w[l][i] = INT32_MIN;
	}
	uint32_t in_mask = (uint32_t)d.chipreg[HONE_CHIPREG_INPUT_CORE_MASK];
	uint32_t in_base = (uint32_t)d.chipreg[HONE_CHIPREG_INPUT_AXON_BASE];
	assert_int_equal(d.chipreg[HONE_CHIPREG_N_INPUTS], (uint64_t)net->n_inputs);
	assert_int_equal(in_mask >> cfg->cores, 0);
	for (int32_t i = 0; i < net->n_inputs; i++)
		for (uint32_t k = 0; k < cfg->cores; k++)
			if (in_mask >> k & 1)
				deliver(img, net, &d, &r, k, in_base + (uint32_t)i, 0, i);
	for (int32_t l = 0; l < D; l++) {
		for (int32_t n = 0; n < net->layers[l].n_out; n++) {
			const hone_chunk *ch = &img->chunks[chunk_of[l][n]];
			uint32_t slot = (uint32_t)(ch->slot_first + n - ch->neuron_first);
			const decoded_core *c = &d.core[ch->core];
			int found = 0;
			for (int s = 0; s < 8; s++) {
				hone_rtseg rs = hone_rtseg_unpack(c->rtseg[s]);
				if (rs.count == 0 || slot < rs.first || slot >= rs.first + rs.count)
					continue;
				found++;
				uint32_t id = rs.axon_base + (slot - rs.first);
				if (l == D - 1) {
					assert_true(rs.to_host);
					assert_int_equal(rs.core_mask, 0);
					assert_int_equal(id, (uint32_t)n);
					continue;
				}
				assert_false(rs.to_host);
				assert_int_equal(rs.core_mask >> cfg->cores, 0);
				for (uint32_t k = 0; k < cfg->cores; k++)
					if (rs.core_mask >> k & 1)
						deliver(img, net, &d, &r, k, id, l + 1, n);
			}
			assert_int_equal(found, 1);
		}
	}
	for (int32_t l = 0; l < D; l++) {
		size_t n = (size_t)net->layers[l].n_in * (size_t)net->layers[l].n_out;
		for (size_t i = 0; i < n; i++)
			if (r.w[l][i] != net->layers[l].weight[i])
				fail_msg("layer %d weight [%zu][%zu]: image %d, network %d", (int)l + 1,
				         i / (size_t)net->layers[l].n_in, i % (size_t)net->layers[l].n_in,
				         r.w[l][i], net->layers[l].weight[i]);
		free(r.w[l]);
		free(chunk_of[l]);
	}
	free(r.w);
	free(chunk_of);
	decoded_free(&d);
}

static int compile_or_fail(const hone_net *net, const char *target, int placement,
                           hone_image **img)
{
	hone_error e = {0};
	hone_compile_opts opts = { .placement = placement };
	int rc = hone_compile(net, hone_config_find(target), &opts, img, &e);
	if (rc != 0 && rc != HONE_ERR_NOFIT)
		fail_msg("compile on %s: %d %s", target, rc, e.msg);
	if (rc == HONE_ERR_NOFIT) {
		/* Every refusal names the layer first. */
		assert_memory_equal(e.msg, "layer ", 6);
		assert_null(*img);
	}
	return rc;
}

/* -------------------------------------------------------------- tests */

/* A hand-checked placement on tiny: the split, alignment and axon bases. */
static void test_placement_by_hand(void **state)
{
	(void)state;
	const int32_t sizes[] = { 10, 40, 5 };
	uint64_t s = 7;
	hone_net *net = random_net(&s, hone_config_find("tiny"), 2, sizes, 4);
	hone_image *img = NULL;
	assert_int_equal(compile_or_fail(net, "tiny", HONE_PLACE_GREEDY, &img), 0);
	/* Layer 1: 32 slots fill core 0 (10 x 8 = 80 words), 8 go to core 1.
	 * Layer 2: core 0 has no slot left; core 1 from slot 8. */
	const hone_chunk want[] = {
		{ 0, 0, 0, 0, 32 }, { 0, 1, 0, 32, 8 }, { 1, 1, 8, 0, 5 },
	};
	assert_int_equal(img->n_chunks, 3);
	assert_memory_equal(img->chunks, want, sizeof want);
	decoded d = {0};
	apply_writes(img, &d);
	assert_int_equal(d.chipreg[HONE_CHIPREG_INPUT_CORE_MASK], 3);
	assert_int_equal(d.chipreg[HONE_CHIPREG_INPUT_AXON_BASE], 0);
	/* Layer 1's outputs: after the inputs on core 1 (its only holder). */
	hone_axseg as = hone_axseg_unpack(d.core[1].axseg[1]);
	assert_int_equal(as.first, 10);
	assert_int_equal(as.count, 40);
	assert_int_equal(as.neuron_first, 8);
	assert_int_equal(as.weight_base, 10 * 2); /* after layer 1's 10 rows of 2 words */
	hone_rtseg rs = hone_rtseg_unpack(d.core[0].rtseg[0]);
	assert_int_equal(rs.core_mask, 2);
	assert_int_equal(rs.axon_base, 10);
	rs = hone_rtseg_unpack(d.core[1].rtseg[0]);
	assert_int_equal(rs.axon_base, 10 + 32);
	assert_int_equal(d.core[0].corereg[HONE_COREREG_N_NEURONS], 32);
	assert_int_equal(d.core[1].corereg[HONE_COREREG_N_NEURONS], 13);
	assert_int_equal(d.core[2].corereg[HONE_COREREG_N_NEURONS], 0);
	decoded_free(&d);
	check_image_equals_net(img, net);
	hone_image_free(img);
	hone_net_free(net);
}

/* Facts of a balanced image: chunk sizes are whole words except the last
 * chunk of a layer; on the empty chip the first layer is spread over
 * min(cores, words per row) cores, their shares within one word. */
static void check_balanced(const hone_image *img, const hone_net *net)
{
	const hone_config *cfg = &img->cfg;
	const int32_t L = (int32_t)cfg->lanes;
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *ch = &img->chunks[i];
		bool last = i + 1 == img->n_chunks || img->chunks[i + 1].layer != ch->layer;
		if (!last)
			assert_int_equal(ch->count % L, 0);
		else
			assert_int_equal(ch->neuron_first + ch->count, net->layers[ch->layer].n_out);
	}
	int32_t groups = (net->layers[0].n_out + L - 1) / L, cores = 0, lo = INT32_MAX, hi = 0;
	for (int32_t i = 0; i < img->n_chunks && img->chunks[i].layer == 0; i++) {
		int32_t w = (img->chunks[i].count + L - 1) / L;
		cores++;
		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
	}
	assert_int_equal(cores, groups < (int32_t)cfg->cores ? groups : (int32_t)cfg->cores);
	assert_true(hi - lo <= 1);
}

static void assert_same_image(const hone_image *a, const hone_image *b)
{
	assert_int_equal(a->n_chunks, b->n_chunks);
	assert_memory_equal(a->chunks, b->chunks, (size_t)a->n_chunks * sizeof *a->chunks);
	assert_int_equal(a->n_writes, b->n_writes);
	assert_memory_equal(a->writes, b->writes, a->n_writes * sizeof *a->writes);
}

/* The same network balanced (the default on tiny): every layer over as
 * many cores as it has words per row, shares within one word, the larger
 * shares moving on from layer to layer. */
static void test_balanced_by_hand(void **state)
{
	(void)state;
	const int32_t sizes[] = { 10, 40, 5 };
	uint64_t s = 7;
	hone_net *net = random_net(&s, hone_config_find("tiny"), 2, sizes, 4);
	hone_image *img = NULL, *bimg = NULL;
	assert_int_equal(compile_or_fail(net, "tiny", HONE_PLACE_AUTO, &img), 0);
	assert_int_equal(compile_or_fail(net, "tiny", HONE_PLACE_BALANCED, &bimg), 0);
	assert_same_image(img, bimg);
	hone_image_free(bimg);
	/* Layer 1: 10 words per row over 4 cores: 3, 3, 2, 2. Layer 2: 2
	 * words, on the cores that took 2 (2 and 3); the last chunk holds
	 * the one neuron past a whole word. */
	const hone_chunk want[] = {
		{ 0, 0, 0, 0, 12 }, { 0, 1, 0, 12, 12 }, { 0, 2, 0, 24, 8 }, { 0, 3, 0, 32, 8 },
		{ 1, 2, 8, 0, 4 }, { 1, 3, 8, 4, 1 },
	};
	assert_int_equal(img->n_chunks, 6);
	assert_memory_equal(img->chunks, want, sizeof want);
	decoded d = {0};
	apply_writes(img, &d);
	assert_int_equal(d.chipreg[HONE_CHIPREG_INPUT_CORE_MASK], 0xF);
	assert_int_equal(d.chipreg[HONE_CHIPREG_INPUT_AXON_BASE], 0);
	hone_axseg as = hone_axseg_unpack(d.core[2].axseg[1]);
	assert_int_equal(as.first, 10);
	assert_int_equal(as.count, 40);
	assert_int_equal(as.neuron_first, 8);
	assert_int_equal(as.weight_base, 10 * 2);
	assert_int_equal(as.row_neurons, 4);
	const uint32_t first[] = { 0, 12, 24, 32 };
	for (uint32_t k = 0; k < 4; k++) {
		hone_rtseg rs = hone_rtseg_unpack(d.core[k].rtseg[0]);
		assert_int_equal(rs.core_mask, 0xC);
		assert_int_equal(rs.axon_base, 10 + first[k]);
	}
	assert_int_equal(d.core[0].corereg[HONE_COREREG_N_NEURONS], 12);
	assert_int_equal(d.core[1].corereg[HONE_COREREG_N_NEURONS], 12);
	assert_int_equal(d.core[2].corereg[HONE_COREREG_N_NEURONS], 12);
	assert_int_equal(d.core[3].corereg[HONE_COREREG_N_NEURONS], 9);
	decoded_free(&d);
	check_image_equals_net(img, net);
	check_balanced(img, net);
	hone_image_free(img);
	hone_net_free(net);

	/* The scaling case: 784-512-128-40 on sim16. Rows of 8, 2 and 1
	 * words on every core (the 40 outputs: 10 words, cores 0-9). */
	const hone_config *cfg = hone_config_find("sim16");
	const int32_t big[] = { 784, 512, 128, 40 };
	net = random_net(&s, cfg, 3, big, 4);
	for (int32_t l = 0; l < 3; l++)
		for (int64_t i = 0; i < (int64_t)big[l] * big[l + 1]; i++)
			net->layers[l].weight[i] = rnd_in(&s, -1, 1);
	hone_compile_opts verbose = { .verbose = 1 };
	hone_error e = {0};
	assert_int_equal(hone_compile(net, cfg, &verbose, &img, &e), 0);
	assert_int_equal(img->n_chunks, 16 + 16 + 10);
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *ch = &img->chunks[i];
		const int32_t per[] = { 32, 8, 4 };
		assert_int_equal(ch->count, per[ch->layer]);
		assert_int_equal(ch->core, ch->layer < 2 ? i % 16 : i - 32);
	}
	apply_writes(img, &d);
	for (uint32_t k = 0; k < 16; k++) {
		uint32_t words = 0;
		for (size_t i = 0; i < img->n_writes; i++)
			if (img->writes[i].target == k && img->writes[i].mem == HONE_MEM_WEIGHT)
				words++;
		assert_int_equal(words, 784 * 8 + 512 * 2 + (k < 10 ? 128 : 0));
		assert_int_equal(d.core[k].corereg[HONE_COREREG_N_NEURONS], k < 10 ? 44 : 40);
	}
	decoded_free(&d);
	check_image_equals_net(img, net);
	hone_image_free(img);
	hone_net_free(net);
}

/* Auto falls back to greedy where balanced does not fit: five 16-neuron
 * layers in five modes, each balanced over all 4 cores of tiny, need 5
 * profiles per core; greedy puts two layers on a core. */
static void test_balanced_fallback(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("tiny");
	const int32_t sizes[] = { 4, 16, 16, 16, 16, 16 };
	uint64_t s = 9;
	hone_net *net = random_net(&s, cfg, 5, sizes, 1);
	for (int l = 0; l < 5; l++) {
		net->layers[l].carry = HONE_CARRY_LIF;
		net->layers[l].leak_shift = (uint8_t)l;
		net->layers[l].reset = HONE_RESET_ZERO;
	}
	hone_image *img = NULL, *gimg = NULL;
	hone_error e = {0};
	hone_compile_opts balanced = { .placement = HONE_PLACE_BALANCED, .verbose = 1 };
	assert_int_equal(hone_compile(net, cfg, &balanced, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 5 (fc5): room for 0 of 16 neurons, no core of tiny has "
	                           "room for the rest: 4 cores out of neuron profiles (4 per core, "
	                           "none is lif/leak 4/zero) (the greedy placement fits this network)");
	assert_null(img);
	hone_compile_opts autov = { .verbose = 1 };
	assert_int_equal(hone_compile(net, cfg, &autov, &img, &e), 0);
	assert_int_equal(compile_or_fail(net, "tiny", HONE_PLACE_GREEDY, &gimg), 0);
	assert_same_image(img, gimg);
	const hone_chunk want[] = {
		{ 0, 0, 0, 0, 16 }, { 1, 0, 16, 0, 16 }, { 2, 1, 0, 0, 16 }, { 3, 1, 16, 0, 16 },
		{ 4, 2, 0, 0, 16 },
	};
	assert_int_equal(img->n_chunks, 5);
	assert_memory_equal(img->chunks, want, sizeof want);
	check_image_equals_net(img, net);
	hone_image_free(img);
	hone_image_free(gimg);

	hone_compile_opts bad = { .placement = 7 };
	assert_int_equal(hone_compile(net, cfg, &bad, &img, &e), HONE_ERR_INVALID);
	assert_string_equal(e.msg, "hone_compile: unknown placement 7 (0 auto, 1 greedy, 2 balanced)");
	assert_null(img);
	hone_net_free(net);
}

typedef struct round_stats {
	int compiled;       /* auto */
	int greedy, balanced, split, fallback, balanced_only;
} round_stats;

/*
 * Each network is compiled three ways. Every image is decoded back and
 * compared with the network; auto must fit exactly what greedy or
 * balanced fits, and be the balanced image whenever that one fits.
 */
static void random_round(const char *target, int n_nets, int max_layers, int max_in,
                         int max_out, uint64_t seed, round_stats *st)
{
	const hone_config *cfg = hone_config_find(target);
	uint64_t s = seed;
	for (int t = 0; t < n_nets; t++) {
		int32_t D = rnd_in(&s, 1, max_layers);
		int32_t sizes[9];
		sizes[0] = rnd_in(&s, 1, max_in);
		for (int32_t l = 1; l <= D; l++)
			sizes[l] = rnd_in(&s, 1, max_out);
		int G = rnd_in(&s, 1, (int)cfg->input_bits);
		hone_net *net = random_net(&s, cfg, D, sizes, G);
		hone_image *img = NULL, *gimg = NULL, *bimg = NULL;
		int rc = compile_or_fail(net, target, HONE_PLACE_AUTO, &img);
		int grc = compile_or_fail(net, target, HONE_PLACE_GREEDY, &gimg);
		int brc = compile_or_fail(net, target, HONE_PLACE_BALANCED, &bimg);
		assert_int_equal(rc == 0, grc == 0 || brc == 0);
		if (rc == 0) {
			st->compiled++;
			for (int32_t i = 1; i < img->n_chunks; i++)
				if (img->chunks[i].layer == img->chunks[i - 1].layer)
					st->split++;
			check_image_equals_net(img, net);
		}
		if (grc == 0) {
			st->greedy++;
			check_image_equals_net(gimg, net);
		}
		if (brc == 0) {
			st->balanced++;
			check_image_equals_net(bimg, net);
			check_balanced(bimg, net);
			assert_int_equal(img->n_chunks, bimg->n_chunks);
			assert_memory_equal(img->chunks, bimg->chunks,
			                    (size_t)img->n_chunks * sizeof *img->chunks);
			assert_int_equal(img->n_writes, bimg->n_writes);
			assert_memory_equal(img->writes, bimg->writes,
			                    img->n_writes * sizeof *img->writes);
			st->balanced_only += grc != 0;
		} else if (rc == 0) {
			st->fallback++;
			assert_int_equal(img->n_chunks, gimg->n_chunks);
			assert_memory_equal(img->chunks, gimg->chunks,
			                    (size_t)img->n_chunks * sizeof *img->chunks);
		}
		hone_image_free(img);
		hone_image_free(gimg);
		hone_image_free(bimg);
		hone_net_free(net);
	}
}

static void test_random_tiny(void **state)
{
	(void)state;
	round_stats st = {0};
	random_round("tiny", 300, 4, 40, 40, 0x9e3779b97f4a7c15ull, &st);
	print_message("tiny: of 300 random networks %d compiled (greedy %d, balanced %d: auto fell "
	              "back to greedy on %d, only balanced fits %d), %d split layers\n",
	              st.compiled, st.greedy, st.balanced, st.fallback, st.balanced_only, st.split);
	assert_true(st.compiled >= 150);
	assert_true(st.balanced >= 150);
	assert_true(st.split >= 50); /* the point of tiny: multi-core layers */
}

static void test_random_sim16(void **state)
{
	(void)state;
	round_stats st = {0};
	random_round("sim16", 30, 6, 300, 400, 0x1234567ull, &st);
	print_message("sim16: of 30 random networks %d compiled (greedy %d, balanced %d: auto fell "
	              "back to greedy on %d, only balanced fits %d), %d split layers\n",
	              st.compiled, st.greedy, st.balanced, st.fallback, st.balanced_only, st.split);
	assert_int_equal(st.compiled, 30);
	assert_true(st.balanced >= 25);
	assert_true(st.split >= 10);
}

/* Mode limits: 4 profiles and 8 segments per core move layers along. */
static void test_profiles_and_segments(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("tiny");
	int32_t sizes[130];
	for (int i = 0; i < 130; i++)
		sizes[i] = 1;
	uint64_t s = 3;
	/* 17 layers, 17 distinct modes: 4 cores x 4 profiles hold 16. */
	hone_net *net = random_net(&s, cfg, 17, sizes, 1);
	for (int l = 0; l < 17; l++) {
		net->layers[l].carry = HONE_CARRY_LIF;
		net->layers[l].leak_shift = (uint8_t)(l % 16);
		net->layers[l].reset = (uint8_t)(l / 16);
	}
	hone_image *img = NULL;
	hone_error e = {0};
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 17 (fc17): placed 0 of 1 neurons, no core of tiny has "
	                           "room for the rest: 4 cores out of neuron profiles (4 per core, "
	                           "none is lif/leak 0/subtract)");
	/* With layer 17 in layer 1's mode, 16 modes fit, four per core, and
	 * layer 17 shares layer 1's profile on core 0: greedy fills core 0
	 * with layers 1-4, balanced deals one-word layers round-robin. */
	net->layers[16].reset = HONE_RESET_ZERO;
	hone_compile_opts greedy = { .placement = HONE_PLACE_GREEDY };
	hone_compile_opts balanced = { .placement = HONE_PLACE_BALANCED };
	assert_int_equal(hone_compile(net, cfg, &greedy, &img, &e), 0);
	assert_int_equal(img->n_chunks, 17);
	for (int32_t i = 0; i < img->n_chunks; i++)
		assert_int_equal(img->chunks[i].core, i == 16 ? 0 : i / 4);
	check_image_equals_net(img, net);
	hone_image_free(img);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	assert_int_equal(img->n_chunks, 17);
	for (int32_t i = 0; i < img->n_chunks; i++)
		assert_int_equal(img->chunks[i].core, i % 4);
	check_image_equals_net(img, net);
	hone_image_free(img);
	hone_net_free(net);

	/* One-neuron layers of one mode on sim16: 16 x 8 segments hold 128
	 * (on tiny, lane alignment runs out of slots at the same count). */
	cfg = hone_config_find("sim16");
	net = random_net(&s, cfg, 129, sizes, 1);
	for (int l = 0; l < 129; l++) {
		net->layers[l].carry = HONE_CARRY_NONE;
		net->layers[l].leak_shift = 0;
		net->layers[l].reset = HONE_RESET_ZERO;
	}
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 129 (fc129): placed 0 of 1 neurons, no core of sim16 has "
	                           "room for the rest: 16 cores out of axon segments (8 per core)");
	assert_int_equal(hone_compile(net, cfg, &balanced, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 129 (fc129): room for 0 of 1 neurons, no core of sim16 "
	                           "has room for the rest: 16 cores out of axon segments (8 per core)");
	net->n_layers = 128; /* drop the last layer (freed with the net) */
	assert_int_equal(hone_net_set_nhot(net, 1, 1), 0);
	assert_int_equal(hone_compile(net, cfg, &greedy, &img, &e), 0);
	for (int32_t i = 0; i < img->n_chunks; i++)
		assert_int_equal(img->chunks[i].core, img->chunks[i].layer / 8);
	check_image_equals_net(img, net);
	hone_image_free(img);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	for (int32_t i = 0; i < img->n_chunks; i++)
		assert_int_equal(img->chunks[i].core, img->chunks[i].layer % 16);
	check_image_equals_net(img, net);
	hone_image_free(img);
	net->n_layers = 129;
	hone_net_free(net);
}

/* Slots and axons in total. */
static void test_nofit_slots_axons(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("tiny");
	uint64_t s = 5;
	hone_image *img = NULL;
	hone_error e = {0};
	const int32_t too_many[] = { 2, 129 };
	hone_net *net = random_net(&s, cfg, 1, too_many, 1);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 1 (fc1): needs 129 neuron slots, 128 free on 4 cores "
	                           "of tiny (32 per core)");
	assert_null(img);
	hone_net_free(net);

	const int32_t wide[] = { 129, 2 };
	net = random_net(&s, cfg, 1, wide, 1);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 1 (fc1): needs 129 axons (one per input) but a core "
	                           "of tiny has 128");
	hone_net_free(net);

	/* Layer 2 splits over cores 0 and 1 and takes axons 100..101 on
	 * both (core 1's 0..99 stay unused: one range for all its cores);
	 * layer 3's 60 inputs then fit neither, so it goes to core 2. */
	const int32_t chain[] = { 100, 2, 60, 2 };
	net = random_net(&s, cfg, 3, chain, 1);
	hone_compile_opts greedy = { .placement = HONE_PLACE_GREEDY };
	assert_int_equal(hone_compile(net, cfg, &greedy, &img, &e), 0);
	const hone_chunk want[] = {
		{ 0, 0, 0, 0, 2 }, { 1, 0, 4, 0, 28 }, { 1, 1, 0, 28, 32 }, { 2, 2, 0, 0, 2 },
	};
	assert_int_equal(img->n_chunks, 4);
	assert_memory_equal(img->chunks, want, sizeof want);
	check_image_equals_net(img, net);
	hone_image_free(img);
	hone_net_free(net);

	/* Enough words in total (1000 of 1024) but 100-word rows leave room
	 * for only 2 words per row, 8 neurons, on each core. */
	const int32_t frag[] = { 100, 40 };
	net = random_net(&s, cfg, 1, frag, 1);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 1 (fc1): placed 32 of 40 neurons, no core of tiny has room "
	                           "for the rest: 4 cores out of weight words (100 per 4 neurons, 256 "
	                           "per core)");
	hone_net_free(net);

	/* Output ids start at a route segment's 12-bit axon_base: on a big
	 * custom chip the third chunk of a 9000-neuron output layer would
	 * start at neuron 8190. */
	hone_config big = *cfg;
	snprintf(big.name, sizeof big.name, "wide");
	big.cores = 3;
	big.lanes = 1;
	big.neurons = 4095;
	big.weight_words = 65536;
	const int32_t many[] = { 1, 9000 };
	net = random_net(&s, &big, 1, many, 1);
	assert_int_equal(hone_compile(net, &big, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "layer 1 (fc1): output neurons from 8190 on start a route segment "
	                           "whose 12-bit axon_base cannot name them (max 4095)");
	hone_net_free(net);
}

/* Figures for the real chip: Fashion-MNIST sized nets on up5k. */
static void test_up5k_sizes(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("up5k");
	uint64_t s = 11;
	const int32_t sizes[] = { 784, 256, 64, 40 };
	hone_net *net = random_net(&s, cfg, 3, sizes, 4);
	for (int32_t l = 0; l < 3; l++)
		for (int64_t i = 0; i < (int64_t)sizes[l] * sizes[l + 1]; i++)
			net->layers[l].weight[i] = rnd_in(&s, -1, 1);
	hone_image *img = NULL;
	hone_error e = {0};
	hone_compile_opts opts = { .verbose = 1 };
	assert_int_equal(hone_compile(net, cfg, &opts, &img, &e), 0);
	uint32_t words = 0;
	uint64_t sweep = 0;
	for (size_t i = 0; i < img->n_writes; i++) {
		const hone_write *w = &img->writes[i];
		if (w->mem == HONE_MEM_WEIGHT && w->addr + 1 > words)
			words = w->addr + 1;
		if (w->mem == HONE_MEM_COREREG && w->addr == HONE_COREREG_N_NEURONS)
			sweep = w->data;
	}
	/* 784 x 16 + 256 x 4 + 64 x 3 words; 256 + 64 + 40 slots. */
	assert_int_equal(words, 784 * 16 + 256 * 4 + 64 * 3);
	assert_int_equal(sweep, 256 + 64 + 40);
	print_message("up5k 784-256-64-40: %u of %u weight words, %u of %u slots\n", words,
	              cfg->weight_words, (unsigned)sweep, cfg->neurons);
	check_image_equals_net(img, net);
	/* On one core balanced and greedy are the same placement. */
	for (int mode = HONE_PLACE_GREEDY; mode <= HONE_PLACE_BALANCED; mode++) {
		hone_image *other = NULL;
		assert_int_equal(compile_or_fail(net, "up5k", mode, &other), 0);
		assert_same_image(img, other);
		hone_image_free(other);
	}
	hone_image_free(img);
	hone_net_free(net);

	const int32_t big[] = { 784, 1024 };
	net = random_net(&s, cfg, 1, big, 4);
	snprintf(net->layers[0].name, sizeof net->layers[0].name, "hidden");
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg,
	                    "layer 1 (hidden): needs 1024 neuron slots, 512 free on 1 core of up5k "
	                    "(512 per core); needs 50176 weight words, 16384 free on 1 core of up5k "
	                    "(16384 per core)");
	assert_null(img);
	hone_net_free(net);
}

static hone_net *small_net(int32_t n_in, int32_t n_out, int G, int32_t w)
{
	const int32_t sizes[] = { n_in, n_out };
	hone_net *net = hone_net_new(1, sizes);
	assert_non_null(net);
	net->input_bits = (uint8_t)G;
	snprintf(net->layers[0].name, sizeof net->layers[0].name, "fc1");
	for (int32_t i = 0; i < n_in * n_out; i++)
		net->layers[0].weight[i] = w;
	return net;
}

static void test_overflow(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("up5k");
	hone_image *img = NULL;
	hone_error e = {0};

	/* Only neuron 17 can overflow: 784 x 7 x 15 = 82320. */
	hone_net *net = small_net(784, 32, 4, 0);
	for (int32_t i = 0; i < 784; i++)
		net->layers[0].weight[17 * 784 + i] = 7;
	net->layers[0].bias[17] = 3;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_string_equal(e.msg, "layer 1 (fc1) neuron 17: u can reach 82323 (bias 3 + S+ 82320) "
	                           "but up5k potentials are 16-bit (max 32767)");
	assert_null(img);
	/* The negative side, on another neuron. */
	for (int32_t i = 0; i < 784; i++) {
		net->layers[0].weight[17 * 784 + i] = 0;
		net->layers[0].weight[5 * 784 + i] = -8;
	}
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_string_equal(e.msg, "layer 1 (fc1) neuron 5: u can fall to -94080 (bias 0 + S- -94080) "
	                           "but up5k potentials are 16-bit (min -32768)");
	hone_net_free(net);

	/* Exactly at the limit passes, one more fails (none: b + S+). */
	net = small_net(3, 1, 1, 7);
	net->layers[0].bias[0] = 32767 - 21;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	hone_image_free(img);
	net->layers[0].bias[0]++;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	/* lif adds the carried v: VMAX = 16383. */
	net->layers[0].carry = HONE_CARRY_LIF;
	net->layers[0].bias[0] = 32767 - 16383 - 21;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	hone_image_free(img);
	net->layers[0].bias[0]++;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_string_equal(e.msg, "layer 1 (fc1) neuron 0: u can reach 32768 (carried v up to 16383 "
	                           "+ bias 16364 + S+ 21) but up5k potentials are 16-bit (max 32767)");
	/* Low side in lif: VMIN = -16384. */
	net->layers[0].weight[0] = net->layers[0].weight[1] = net->layers[0].weight[2] = -7;
	net->layers[0].bias[0] = -32768 + 16384 + 21;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	hone_image_free(img);
	net->layers[0].bias[0]--;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_non_null(strstr(e.msg, "u can fall to -32769"));
	hone_net_free(net);

	/* Bias and threshold must fit P bits themselves. */
	net = small_net(2, 3, 1, 0);
	net->layers[0].threshold[2] = 40000;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_string_equal(e.msg, "layer 1 (fc1) neuron 2: threshold 40000 does not fit up5k's "
	                           "16-bit potentials (-32768..32767)");
	net->layers[0].threshold[2] = 0;
	net->layers[0].bias[1] = -32769;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_OVERFLOW);
	assert_non_null(strstr(e.msg, "neuron 1: bias -32769 does not fit"));
	hone_net_free(net);

	/* Layer 2 uses gmax = 1 whatever G is. */
	const int32_t sizes[] = { 4, 2000, 1 };
	net = hone_net_new(2, sizes);
	net->input_bits = 4;
	for (int32_t i = 0; i < sizes[1]; i++)
		net->layers[1].weight[i] = 7; /* 2000 x 7 = 14000; x 15 would overflow */
	assert_int_equal(hone_compile(net, hone_config_find("sim16"), NULL, &img, &e), 0);
	hone_image_free(img);
	hone_net_free(net);
}

static void test_widths(void **state)
{
	(void)state;
	const hone_config *cfg = hone_config_find("up5k");
	hone_image *img = NULL;
	hone_error e = {0};
	hone_net *net = small_net(4, 4, 1, 0);
	net->weight_bits = 8;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_string_equal(e.msg, "the network's weights are 8-bit but up5k stores 4-bit weights");
	net->weight_bits = 4;
	net->input_bits = 8;
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_NOFIT);
	assert_non_null(strstr(e.msg, "8-bit graded values but up5k's input port carries 4 bits"));
	net->input_bits = 4;
	net->layers[0].weight[0] = 9; /* outside 4 bits: hone_net_check */
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), HONE_ERR_INVALID);
	net->layers[0].weight[0] = 0;
	hone_config bad = *cfg;
	bad.potential_bits = 25;
	assert_int_equal(hone_compile(net, &bad, NULL, &img, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "25-bit potentials"));
	assert_int_equal(hone_compile(net, NULL, NULL, &img, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_compile(NULL, cfg, NULL, &img, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_compile(net, cfg, NULL, &img, &e), 0);
	hone_image_free(img);
	hone_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placement_by_hand),
		cmocka_unit_test(test_balanced_by_hand),
		cmocka_unit_test(test_balanced_fallback),
		cmocka_unit_test(test_random_tiny),
		cmocka_unit_test(test_random_sim16),
		cmocka_unit_test(test_profiles_and_segments),
		cmocka_unit_test(test_nofit_slots_axons),
		cmocka_unit_test(test_up5k_sizes),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_widths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
