/* SPDX-License-Identifier: Apache-2.0 */
/* The integer network: allocation, checks, the N-hot key and its decode. */
#include "hone_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int alloc_layer(hone_layer *l, int32_t n_in, int32_t n_out)
{
	l->n_in = n_in;
	l->n_out = n_out;
	l->weight = calloc((size_t)n_in * (size_t)n_out, sizeof *l->weight);
	l->bias = calloc((size_t)n_out, sizeof *l->bias);
	l->threshold = calloc((size_t)n_out, sizeof *l->threshold);
	l->scale = 1.0;
	return (l->weight && l->bias && l->threshold) ? 0 : HONE_ERR_NOMEM;
}

hone_net *hone_net_new(int32_t n_layers, const int32_t *sizes)
{
	if (n_layers < 1 || !sizes)
		return NULL;
	for (int32_t i = 0; i <= n_layers; i++)
		if (sizes[i] < 1)
			return NULL;
	hone_net *net = calloc(1, sizeof *net);
	if (!net)
		return NULL;
	net->n_inputs = sizes[0];
	net->input_bits = 1;
	net->weight_bits = 4;
	net->ticks_per_sample = 1;
	net->n_layers = n_layers;
	net->layers = calloc((size_t)n_layers, sizeof *net->layers);
	net->output_class = malloc((size_t)sizes[n_layers] * sizeof *net->output_class);
	if (!net->layers || !net->output_class)
		goto fail;
	for (int32_t i = 0; i < sizes[n_layers]; i++)
		net->output_class[i] = -1;
	for (int32_t l = 0; l < n_layers; l++) {
		snprintf(net->layers[l].name, sizeof net->layers[l].name, "layer%d", (int)l + 1);
		if (alloc_layer(&net->layers[l], sizes[l], sizes[l + 1]))
			goto fail;
	}
	return net;
fail:
	hone_net_free(net);
	return NULL;
}

void hone_net_free(hone_net *net)
{
	if (!net)
		return;
	for (int32_t l = 0; net->layers && l < net->n_layers; l++) {
		free(net->layers[l].weight);
		free(net->layers[l].bias);
		free(net->layers[l].threshold);
	}
	free(net->layers);
	free(net->output_class);
	free(net);
}

hone_net *hone_net_clone(const hone_net *src)
{
	if (!src)
		return NULL;
	int32_t *sizes = malloc(((size_t)src->n_layers + 1) * sizeof *sizes);
	if (!sizes)
		return NULL;
	sizes[0] = src->n_inputs;
	for (int32_t l = 0; l < src->n_layers; l++)
		sizes[l + 1] = src->layers[l].n_out;
	hone_net *net = hone_net_new(src->n_layers, sizes);
	free(sizes);
	if (!net)
		return NULL;
	net->input_bits = src->input_bits;
	net->weight_bits = src->weight_bits;
	net->ticks_per_sample = src->ticks_per_sample;
	net->n_classes = src->n_classes;
	memcpy(net->in_shape, src->in_shape, sizeof net->in_shape);
	int32_t n_out = src->layers[src->n_layers - 1].n_out;
	memcpy(net->output_class, src->output_class, (size_t)n_out * sizeof *net->output_class);
	for (int32_t l = 0; l < src->n_layers; l++) {
		const hone_layer *a = &src->layers[l];
		hone_layer *b = &net->layers[l];
		memcpy(b->name, a->name, sizeof b->name);
		memcpy(b->weight, a->weight, (size_t)a->n_in * (size_t)a->n_out * sizeof *b->weight);
		memcpy(b->bias, a->bias, (size_t)a->n_out * sizeof *b->bias);
		memcpy(b->threshold, a->threshold, (size_t)a->n_out * sizeof *b->threshold);
		b->carry = a->carry;
		b->leak_shift = a->leak_shift;
		b->reset = a->reset;
		b->scale = a->scale;
	}
	return net;
}

int hone_net_set_nhot(hone_net *net, int32_t n_classes, int32_t per_class)
{
	if (!net || n_classes < 1 || per_class < 1)
		return HONE_ERR_INVALID;
	int32_t n_out = net->layers[net->n_layers - 1].n_out;
	if ((int64_t)n_classes * per_class > n_out)
		return HONE_ERR_INVALID;
	net->n_classes = n_classes;
	for (int32_t j = 0; j < n_out; j++)
		net->output_class[j] = (j / per_class < n_classes) ? j / per_class : -1;
	return 0;
}

int32_t hone_net_total_neurons(const hone_net *net)
{
	int32_t t = 0;
	for (int32_t l = 0; l < net->n_layers; l++)
		t += net->layers[l].n_out;
	return t;
}

int hone_net_check(const hone_net *net, hone_error *err)
{
	if (!net)
		return hone_fail(err, HONE_ERR_INVALID, "no network");
	if (net->n_inputs < 1 || net->n_layers < 1 || !net->layers)
		return hone_fail(err, HONE_ERR_INVALID, "network has no inputs or no layers");
	if (net->input_bits < 1 || net->input_bits > 8)
		return hone_fail(err, HONE_ERR_INVALID, "input_bits %d outside 1..8", net->input_bits);
	if (net->weight_bits < 2 || net->weight_bits > 16)
		return hone_fail(err, HONE_ERR_INVALID, "weight_bits %d outside 2..16", net->weight_bits);
	if (net->ticks_per_sample < 1)
		return hone_fail(err, HONE_ERR_INVALID, "ticks_per_sample %d < 1", net->ticks_per_sample);
	int32_t prev = net->n_inputs;
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *ly = &net->layers[l];
		if (ly->n_in != prev)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "layer %d (%s): %d inputs but the previous layer has %d outputs",
			                 (int)l + 1, ly->name, ly->n_in, prev);
		if (ly->n_out < 1 || !ly->weight || !ly->bias || !ly->threshold)
			return hone_fail(err, HONE_ERR_INVALID, "layer %d (%s) is empty", (int)l + 1, ly->name);
		if (ly->carry > HONE_CARRY_LIF || ly->reset > HONE_RESET_SUBTRACT || ly->leak_shift > 15)
			return hone_fail(err, HONE_ERR_INVALID, "layer %d (%s): bad neuron mode", (int)l + 1, ly->name);
		int32_t wmax = (1 << (net->weight_bits - 1)) - 1, wmin = -(1 << (net->weight_bits - 1));
		for (int64_t i = 0; i < (int64_t)ly->n_in * ly->n_out; i++)
			if (ly->weight[i] < wmin || ly->weight[i] > wmax)
				return hone_fail(err, HONE_ERR_INVALID,
				                 "layer %d (%s): weight %d of neuron %d outside %d-bit range",
				                 (int)l + 1, ly->name, ly->weight[i], (int)(i / ly->n_in), net->weight_bits);
		prev = ly->n_out;
	}
	for (int32_t j = 0; j < prev; j++)
		if (net->output_class[j] < -1 || net->output_class[j] >= net->n_classes)
			return hone_fail(err, HONE_ERR_INVALID, "output key: neuron %d votes for class %d of %d",
			                 (int)j, net->output_class[j], net->n_classes);
	return 0;
}

int32_t hone_decode(const int32_t *output_class, int32_t n_outputs,
                    int32_t n_classes, const int32_t *counts)
{
	int32_t best = 0;
	int64_t best_score = -1;
	for (int32_t c = 0; c < n_classes; c++) {
		int64_t score = 0;
		for (int32_t j = 0; j < n_outputs; j++)
			if (output_class[j] == c)
				score += counts[j];
		if (score > best_score) { /* strict: ties keep the lowest class */
			best_score = score;
			best = c;
		}
	}
	return best;
}
