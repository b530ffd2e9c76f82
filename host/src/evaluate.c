/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network-level integer evaluator: docs/semantics.md computed directly
 * on the layers, knowing nothing of cores, lanes or segments. It is the
 * oracle the reference model and the RTL are compared with, so it keeps
 * potentials in int64 and never wraps: the compiler's overflow bound is
 * what makes the chip's wrapping P-bit registers agree with it, and a
 * disagreement must show up as a mismatch, not be reproduced here.
 */
#include "hone_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Whetstone (pipelined, one tick per layer) iff no layer carries state. */
static bool net_is_whetstone(const hone_net *net)
{
	for (int32_t l = 0; l < net->n_layers; l++)
		if (net->layers[l].carry != HONE_CARRY_NONE)
			return false;
	return true;
}

/* Steps 2-5 of a tick, in unbounded arithmetic. The chip's version is
 * hone_neuron_fire(), which wraps the carried base to P bits; for networks
 * the compiler accepts that wrap never changes the value. */
static bool fire64(const hone_profile *p, int64_t u, int64_t theta, int64_t b,
                   int64_t vmin, int64_t vmax, int64_t *a_next)
{
	bool s = u >= theta;
	int64_t v = u;
	if (s)
		v = p->reset == HONE_RESET_SUBTRACT ? u - theta : 0;
	if (v < vmin)
		v = vmin;
	if (v > vmax)
		v = vmax;
	/* v is clamped to at most 31 bits here, so the int32 carry is exact. */
	*a_next = (int64_t)hone_carry_of(p, (int32_t)v) + b;
	return s;
}

typedef struct src {
	int32_t j;     /* source index in the previous layer (or input) */
	int32_t g;     /* graded value; 1 for spikes */
} src;

static int check_events(const hone_net *net, const hone_event *ev, size_t n_ev,
                        hone_error *err)
{
	int32_t gmax = (1 << net->input_bits) - 1;
	/* last[i]: 1 + the last tick input i appeared in, to catch duplicates
	 * in one pass over the tick-sorted events. */
	uint32_t *last = calloc((size_t)net->n_inputs, sizeof *last);
	if (!last)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory checking events");
	int rc = 0;
	for (size_t k = 0; k < n_ev && !rc; k++) {
		const hone_event *e = &ev[k];
		if (k && e->tick < ev[k - 1].tick)
			rc = hone_fail(err, HONE_ERR_INVALID,
			               "event %zu (tick %" PRIu32 ") comes after tick %" PRIu32 ": events must be sorted by tick",
			               k, e->tick, ev[k - 1].tick);
		else if (e->input >= (uint32_t)net->n_inputs)
			rc = hone_fail(err, HONE_ERR_INVALID, "event %zu: input %" PRIu32 " but the network has %d inputs",
			               k, e->input, (int)net->n_inputs);
		else if (e->g > gmax)
			rc = hone_fail(err, HONE_ERR_INVALID, "event %zu: g = %u does not fit the network's %d input bits",
			               k, e->g, net->input_bits);
		else if (e->g == 0)
			continue; /* g = 0 sends no event */
		else if (last[e->input] == e->tick + 1u)
			rc = hone_fail(err, HONE_ERR_INVALID, "event %zu: input %" PRIu32 " appears twice in tick %" PRIu32,
			               k, e->input, e->tick);
		else
			last[e->input] = e->tick + 1u;
	}
	free(last);
	return rc;
}

int hone_evaluate_pbits(const hone_net *net, unsigned potential_bits,
                        const hone_event *ev, size_t n_ev, uint32_t ticks,
                        uint8_t *spikes, int32_t *u_all, uint8_t *s_all,
                        hone_error *err)
{
	int rc = hone_net_check(net, err);
	if (rc)
		return rc;
	if (potential_bits < 2 || potential_bits > 32)
		return hone_fail(err, HONE_ERR_INVALID, "potential width %u outside 2..32", potential_bits);
	if (n_ev && !ev)
		return hone_fail(err, HONE_ERR_INVALID, "%zu events but no event array", n_ev);
	if ((rc = check_events(net, ev, n_ev, err)))
		return rc;

	const int32_t D = net->n_layers;
	const int32_t total = hone_net_total_neurons(net);
	const int64_t vmin = -(1ll << (potential_bits - 2));
	const int64_t vmax = (1ll << (potential_bits - 2)) - 1;
	int32_t widest = net->n_inputs;
	for (int32_t l = 0; l < D; l++)
		if (net->layers[l].n_out > widest)
			widest = net->layers[l].n_out;

	int64_t *a = malloc((size_t)total * sizeof *a);     /* bases, layers concatenated */
	uint8_t *s = calloc((size_t)total, 1);              /* spikes of the last tick run */
	src *act = malloc((size_t)widest * sizeof *act);
	if (!a || !s || !act) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory evaluating %d neurons", (int)total);
		goto done;
	}
	for (int32_t l = 0, off = 0; l < D; off += net->layers[l].n_out, l++)
		for (int32_t i = 0; i < net->layers[l].n_out; i++)
			a[off + i] = net->layers[l].bias[i];

	size_t k = 0;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t k0 = k;
		while (k < n_ev && ev[k].tick == t)
			k++;
		/* Layers from the last down, so that layer l still sees layer
		 * l-1's spikes of tick t-1 before they are overwritten. */
		int32_t off = total;
		for (int32_t l = D - 1; l >= 0; l--) {
			const hone_layer *ly = &net->layers[l];
			off -= ly->n_out;
			size_t n_act = 0;
			if (l == 0) {
				for (size_t q = k0; q < k; q++)
					if (ev[q].g)
						act[n_act++] = (src){(int32_t)ev[q].input, ev[q].g};
			} else {
				const uint8_t *sp = s + off - ly->n_in;
				for (int32_t j = 0; j < ly->n_in; j++)
					if (sp[j])
						act[n_act++] = (src){j, 1};
			}
			const hone_profile prof = {ly->carry, ly->leak_shift, ly->reset};
			for (int32_t i = 0; i < ly->n_out; i++) {
				const int32_t *row = ly->weight + (size_t)i * (size_t)ly->n_in;
				int64_t u = a[off + i];
				for (size_t q = 0; q < n_act; q++)
					u += (int64_t)row[act[q].j] * act[q].g;
				if (u < INT32_MIN || u > INT32_MAX) {
					rc = hone_fail(err, HONE_ERR_OVERFLOW,
					               "layer %d (%s) neuron %d, tick %" PRIu32 ": u = %" PRId64
					               " does not fit 32 bits",
					               (int)l + 1, ly->name, (int)i, t, u);
					goto done;
				}
				bool fired = fire64(&prof, u, ly->threshold[i], ly->bias[i], vmin, vmax, &a[off + i]);
				s[off + i] = fired;
				if (u_all)
					u_all[(size_t)t * (size_t)total + (size_t)(off + i)] = (int32_t)u;
			}
		}
		if (s_all)
			memcpy(s_all + (size_t)t * (size_t)total, s, (size_t)total);
		if (spikes) {
			int32_t n_last = net->layers[D - 1].n_out;
			memcpy(spikes + (size_t)t * (size_t)n_last, s + total - n_last, (size_t)n_last);
		}
	}
done:
	free(a);
	free(s);
	free(act);
	return rc;
}

int hone_evaluate(const hone_net *net, const hone_event *ev, size_t n_ev,
                  uint32_t ticks, uint8_t *spikes, int32_t *u_all,
                  uint8_t *s_all, hone_error *err)
{
	return hone_evaluate_pbits(net, HONE_DEFAULT_POTENTIAL_BITS, ev, n_ev, ticks,
	                           spikes, u_all, s_all, err);
}

int32_t hone_net_classify_pbits(const hone_net *net, unsigned potential_bits,
                                const uint8_t *g, hone_error *err)
{
	int rc = hone_net_check(net, err);
	if (rc)
		return rc;
	if (!g)
		return hone_fail(err, HONE_ERR_INVALID, "no input sample");
	const int32_t D = net->n_layers;
	const int32_t n_out = net->layers[D - 1].n_out;
	/* semantics.md timing: Whetstone presents once and decodes the one
	 * tick the sample reaches the output; LIF presents T ticks and counts
	 * the T ticks that follow the pipeline delay. */
	const int32_t T = net_is_whetstone(net) ? 1 : net->ticks_per_sample;
	const uint32_t ticks = (uint32_t)(T + D - 1);

	size_t n_nz = 0;
	for (int32_t i = 0; i < net->n_inputs; i++)
		n_nz += g[i] != 0;
	hone_event *ev = malloc((n_nz * (size_t)T + 1) * sizeof *ev);
	uint8_t *spk = malloc((size_t)ticks * (size_t)n_out);
	int32_t *counts = calloc((size_t)n_out, sizeof *counts);
	if (!ev || !spk || !counts) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory classifying");
		goto done;
	}
	size_t n = 0;
	for (int32_t t = 0; t < T; t++)
		for (int32_t i = 0; i < net->n_inputs; i++)
			if (g[i])
				ev[n++] = (hone_event){.tick = (uint32_t)t, .input = (uint32_t)i, .g = g[i]};
	rc = hone_evaluate_pbits(net, potential_bits, ev, n, ticks, spk, NULL, NULL, err);
	if (rc)
		goto done;
	for (uint32_t t = (uint32_t)(D - 1); t < ticks; t++)
		for (int32_t j = 0; j < n_out; j++)
			counts[j] += spk[(size_t)t * (size_t)n_out + (size_t)j];
	rc = hone_decode(net->output_class, n_out, net->n_classes, counts);
done:
	free(ev);
	free(spk);
	free(counts);
	return rc;
}

int32_t hone_net_classify(const hone_net *net, const uint8_t *g)
{
	return hone_net_classify_pbits(net, HONE_DEFAULT_POTENTIAL_BITS, g, NULL);
}
