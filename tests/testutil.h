/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the tests: a seeded generator, random networks and
 * input events within the integer contract, the overflow bound of
 * docs/semantics.md computed independently of the compiler, and the map
 * from chip slots back to network neurons. Everything is static inline
 * and deterministic in its seed, so a failure names a seed to replay.
 */
#ifndef HONE_TESTUTIL_H
#define HONE_TESTUTIL_H

#include "hone_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ random */

typedef struct tu_rng {
	uint64_t s;
} tu_rng;

static inline uint64_t tu_next(tu_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in lo..hi inclusive. */
static inline int64_t tu_range(tu_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(tu_next(r) % (uint64_t)(hi - lo + 1));
}

static inline bool tu_chance(tu_rng *r, double p)
{
	return (double)(tu_next(r) >> 11) * 0x1.0p-53 < p;
}

static inline void tu_shuffle_events(tu_rng *r, hone_event *ev, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(tu_next(r) % i);
		hone_event t = ev[i - 1];
		ev[i - 1] = ev[j];
		ev[j] = t;
	}
}

/* ----------------------------------------------------- random networks */

typedef struct tu_net_opts {
	int32_t max_depth;      /* 1..4 */
	int32_t max_inputs;
	int32_t max_width;      /* neurons per layer */
	int weight_bits;        /* W */
	int input_bits_max;     /* G drawn from 1..this */
	unsigned potential_bits;
	double lif;             /* probability of a LIF network */
	double overflow;        /* probability of planting a value past P bits */
} tu_net_opts;

/* Sum of positive / negative w*gmax of neuron i of layer l. */
static inline void tu_row_sums(const hone_net *net, int32_t l, int32_t i,
                               int64_t *sp, int64_t *sn)
{
	const hone_layer *ly = &net->layers[l];
	int64_t gmax = l == 0 ? (1ll << net->input_bits) - 1 : 1;
	*sp = *sn = 0;
	for (int32_t j = 0; j < ly->n_in; j++) {
		int64_t w = ly->weight[(size_t)i * (size_t)ly->n_in + (size_t)j];
		if (w > 0)
			*sp += w * gmax;
		else
			*sn += w * gmax;
	}
}

/*
 * A random network within the contract: dense weights of W bits with
 * random sparsity, thresholds scaled to each row's reachable sum so that
 * neurons fire sometimes, small biases, Whetstone or LIF (then each layer
 * with its own leak and reset, a few layers left carry-free), an N-hot key.
 */
static inline hone_net *tu_random_net(tu_rng *r, const tu_net_opts *o)
{
	int32_t D = (int32_t)tu_range(r, 1, o->max_depth);
	int32_t sizes[5];
	sizes[0] = (int32_t)tu_range(r, 1, o->max_inputs);
	for (int32_t l = 1; l <= D; l++)
		sizes[l] = (int32_t)tu_range(r, 1, o->max_width);
	hone_net *net = hone_net_new(D, sizes);
	if (!net)
		return NULL;
	net->weight_bits = (uint8_t)o->weight_bits;
	net->input_bits = (uint8_t)tu_range(r, 1, o->input_bits_max);
	if (tu_chance(r, 0.3))
		net->input_bits = 1;
	bool lif = tu_chance(r, o->lif);
	net->ticks_per_sample = lif ? (int32_t)tu_range(r, 1, 6) : 1;
	const int32_t wmax = (1 << (o->weight_bits - 1)) - 1, wmin = -(1 << (o->weight_bits - 1));
	for (int32_t l = 0; l < D; l++) {
		hone_layer *ly = &net->layers[l];
		double zero = (double)tu_range(r, 0, 8) / 10.0;
		for (int64_t k = 0; k < (int64_t)ly->n_in * ly->n_out; k++)
			ly->weight[k] = tu_chance(r, zero) ? 0 : (int32_t)tu_range(r, wmin, wmax);
		if (lif && !tu_chance(r, 0.15)) {
			ly->carry = HONE_CARRY_LIF;
			/* Short leaks are the interesting ones; long ones still occur. */
			ly->leak_shift = (uint8_t)(tu_chance(r, 0.7) ? tu_range(r, 0, 4) : tu_range(r, 0, 15));
			ly->reset = (uint8_t)tu_range(r, 0, 1);
		}
		/* An integrator: little or no leak, thresholds high and biases
		 * strong enough to drive v into the clamp within a few ticks,
		 * yet inside the overflow bound (|b| + |S| <= 2^(P-2)). */
		bool integrator = ly->carry == HONE_CARRY_LIF && tu_chance(r, 0.3);
		if (integrator)
			ly->leak_shift = (uint8_t)(tu_chance(r, 0.7) ? 0 : tu_range(r, 4, 15));
		const int64_t vmax = (1ll << (o->potential_bits - 2)) - 1;
		for (int32_t i = 0; i < ly->n_out; i++) {
			int64_t sp, sn;
			tu_row_sums(net, l, i, &sp, &sn);
			int64_t scale = sp / (int64_t)tu_range(r, 2, 6);
			int64_t th = tu_range(r, 1, scale > 1 ? scale : 1);
			if (tu_chance(r, 0.05))
				th = tu_range(r, -4, 0); /* fires on its bias alone */
			int64_t b = tu_chance(r, 0.4) ? 0 : tu_range(r, -th / 2 - 1, th / 2 + 1);
			if (integrator) {
				int64_t room = vmax + 1 - (sp > -sn ? sp : -sn);
				int64_t drive = room > 8 ? tu_range(r, room / 8, room / 2) : 0;
				b = tu_chance(r, 0.5) ? drive : -drive;
				th = tu_range(r, vmax / 2, 2 * vmax);
			}
			ly->threshold[i] = (int32_t)th;
			ly->bias[i] = (int32_t)b;
		}
	}
	if (tu_chance(r, o->overflow)) {
		/* Plant one value the compiler must refuse: a bias or threshold
		 * beyond P bits, or a bias that pushes the bound past them. */
		hone_layer *ly = &net->layers[tu_range(r, 0, D - 1)];
		int32_t i = (int32_t)tu_range(r, 0, ly->n_out - 1);
		int64_t pmax = (1ll << (o->potential_bits - 1)) - 1;
		switch (tu_range(r, 0, 2)) {
		case 0: ly->threshold[i] = (int32_t)(pmax + tu_range(r, 1, 100)); break;
		case 1: ly->bias[i] = (int32_t)(-pmax - tu_range(r, 2, 100)); break;
		default: ly->bias[i] = (int32_t)(pmax - tu_range(r, 0, 3)); break;
		}
	}
	int32_t n_out = sizes[D];
	int32_t per = (int32_t)tu_range(r, 1, n_out < 4 ? n_out : 4);
	int32_t classes = (int32_t)tu_range(r, 1, n_out / per);
	hone_net_set_nhot(net, classes, per);
	return net;
}

/*
 * The overflow bound of semantics.md, written again here so that the
 * property test checks the compiler's proof instead of trusting it.
 * Returns true when every u stays inside P bits; *why names the neuron.
 */
static inline bool tu_bound_ok(const hone_net *net, unsigned P, char *why, size_t why_len)
{
	int64_t pmin = -(1ll << (P - 1)), pmax = (1ll << (P - 1)) - 1;
	int64_t vmin = -(1ll << (P - 2)), vmax = (1ll << (P - 2)) - 1;
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *ly = &net->layers[l];
		bool lif = ly->carry == HONE_CARRY_LIF;
		for (int32_t i = 0; i < ly->n_out; i++) {
			int64_t sp, sn, b = ly->bias[i], th = ly->threshold[i];
			tu_row_sums(net, l, i, &sp, &sn);
			int64_t hi = b + sp + (lif ? vmax : 0), lo = b + sn + (lif ? vmin : 0);
			if (b < pmin || b > pmax || th < pmin || th > pmax || hi > pmax || lo < pmin) {
				if (why)
					snprintf(why, why_len, "layer %d neuron %d: b %lld th %lld u in [%lld, %lld]",
					         (int)l + 1, (int)i, (long long)b, (long long)th, (long long)lo,
					         (long long)hi);
				return false;
			}
		}
	}
	return true;
}

/* ------------------------------------------------------------- events */

/* Random input events for ticks 0..ticks-1, sorted by tick then input,
 * each input at most once per tick; a few carry g = 0 (no event). */
static inline hone_event *tu_random_events(tu_rng *r, const hone_net *net, uint32_t ticks,
                                           double density, size_t *n_out)
{
	size_t cap = (size_t)ticks * (size_t)net->n_inputs + 1, n = 0;
	hone_event *ev = malloc(cap * sizeof *ev);
	if (!ev)
		return NULL;
	int32_t gmax = (1 << net->input_bits) - 1;
	for (uint32_t t = 0; t < ticks; t++)
		for (int32_t i = 0; i < net->n_inputs; i++) {
			if (tu_chance(r, density))
				ev[n++] = (hone_event){.tick = t, .input = (uint32_t)i,
				                       .g = (uint8_t)tu_range(r, 1, gmax)};
			else if (tu_chance(r, 0.02))
				ev[n++] = (hone_event){.tick = t, .input = (uint32_t)i, .g = 0};
		}
	*n_out = n;
	return ev;
}

/* -------------------------------------------------- slots and neurons */

/* For every slot of the chip (core * neurons + slot), the index of the
 * network neuron it holds (layers concatenated), or -1. Checks that the
 * image's chunks cover every neuron exactly once; NULL if not. */
static inline int32_t *tu_slot_map(const hone_net *net, const hone_image *img)
{
	size_t slots = (size_t)img->cfg.cores * img->cfg.neurons;
	int32_t total = hone_net_total_neurons(net);
	int32_t *map = malloc(slots * sizeof *map);
	int32_t *off = malloc(((size_t)net->n_layers + 1) * sizeof *off);
	uint8_t *seen = calloc((size_t)total, 1);
	bool ok = map && off && seen;
	for (size_t k = 0; ok && k < slots; k++)
		map[k] = -1;
	for (int32_t l = 0, o = 0; ok && l <= net->n_layers; l++) {
		off[l] = o;
		if (l < net->n_layers)
			o += net->layers[l].n_out;
	}
	for (int32_t c = 0; ok && c < img->n_chunks; c++) {
		const hone_chunk *ch = &img->chunks[c];
		ok = ch->layer >= 0 && ch->layer < net->n_layers && ch->core >= 0 &&
		     (uint32_t)ch->core < img->cfg.cores && ch->count >= 0 && ch->slot_first >= 0 &&
		     (uint32_t)(ch->slot_first + ch->count) <= img->cfg.neurons && ch->neuron_first >= 0 &&
		     ch->neuron_first + ch->count <= net->layers[ch->layer].n_out;
		for (int32_t j = 0; ok && j < ch->count; j++) {
			size_t slot = (size_t)ch->core * img->cfg.neurons + (size_t)(ch->slot_first + j);
			int32_t neuron = off[ch->layer] + ch->neuron_first + j;
			ok = map[slot] == -1 && !seen[neuron];
			map[slot] = neuron;
			seen[neuron] = 1;
		}
	}
	for (int32_t i = 0; ok && i < total; i++)
		ok = seen[i];
	free(off);
	free(seen);
	if (!ok) {
		free(map);
		return NULL;
	}
	return map;
}

#endif /* HONE_TESTUTIL_H */
