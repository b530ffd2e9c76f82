/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Classifying samples on a device with the timing of docs/semantics.md.
 *
 * Whetstone images keep nothing across ticks, so samples are pipelined:
 * sample i is presented in tick i and decoded from the output spikes of
 * tick i + D - 1, one sample per tick. LIF images carry state, so each
 * sample gets a window of T + D - 1 ticks after a reset_state: presented
 * in the first T, decoded over the last T.
 *
 * Either way, ticks are issued ahead of the results being taken, up to
 * RUN_IN_FLIGHT, so that a backend with latency (the USB link, a
 * simulator in another thread) is never idle waiting for the host; the
 * bound keeps the device's result queue, and its memory, small.
 */
#include "hone_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RUN_IN_FLIGHT 64

typedef struct run_state {
	hone_device *dev;
	const hone_image *img;
	const uint8_t *inputs;
	size_t n;
	int32_t *pred;
	bool whetstone;
	uint64_t window;      /* ticks per sample: 1 (pipelined) or T + D - 1 */
	uint64_t total;       /* ticks to run */
	hone_event *ev;       /* [n_inputs] */
	int32_t *counts;      /* [n_outputs] */
	size_t done;
	hone_progress_fn progress;
	void *user;
} run_state;

/* Tick k of the run: the reset and the input events it starts with. */
static int issue(run_state *rs, uint64_t k, hone_error *err)
{
	const hone_image *img = rs->img;
	uint64_t s, r;
	int rc;
	if (rs->whetstone) {
		s = k;
		r = 0;
	} else {
		s = k / rs->window;
		r = k % rs->window;
		if (r == 0 && (rc = hone_reset_state(rs->dev, err)))
			return rc;
	}
	size_t n_ev = 0;
	if (s < rs->n && r < (uint64_t)(rs->whetstone ? 1 : img->ticks_per_sample)) {
		const uint8_t *g = rs->inputs + s * (size_t)img->n_inputs;
		for (int32_t i = 0; i < img->n_inputs; i++)
			if (g[i])
				rs->ev[n_ev++] = (hone_event){.tick = 0, .input = (uint32_t)i, .g = g[i]};
	}
	if ((rc = hone_push_events(rs->dev, rs->ev, n_ev, err)))
		return rc;
	return hone_end_tick(rs->dev, err);
}

/* The result of tick k of the run: count and decode. */
static int take(run_state *rs, uint64_t k, hone_error *err)
{
	const hone_image *img = rs->img;
	const uint64_t D = (uint64_t)img->depth;
	hone_tick_result res;
	int rc = hone_next_result(rs->dev, &res, err);
	if (rc)
		return rc;
	uint64_t s, r;
	if (rs->whetstone) {
		if (k < D - 1)
			return 0; /* the pipeline filling: no sample reached the output */
		s = k - (D - 1);
		r = rs->window - 1;
		memset(rs->counts, 0, (size_t)img->n_outputs * sizeof *rs->counts);
	} else {
		s = k / rs->window;
		r = k % rs->window;
		if (r == 0)
			memset(rs->counts, 0, (size_t)img->n_outputs * sizeof *rs->counts);
		if (r < D - 1)
			return 0;
	}
	for (size_t i = 0; i < res.n_spikes; i++) {
		if (res.spikes[i] >= (uint32_t)img->n_outputs)
			return hone_fail(err, HONE_ERR_DEVICE,
			                 "tick %" PRIu64 ": output spike %" PRIu32 " but the image has %d outputs",
			                 res.tick, res.spikes[i], (int)img->n_outputs);
		rs->counts[res.spikes[i]]++;
	}
	if (r == rs->window - 1) {
		rs->pred[s] = hone_decode(img->output_class, img->n_outputs, img->n_classes, rs->counts);
		rs->done++;
		size_t step = rs->n / 100 ? rs->n / 100 : 1;
		if (rs->progress && (rs->done % step == 0 || rs->done == rs->n))
			rs->progress(rs->user, rs->done, rs->n);
	}
	return 0;
}

static int check_run(hone_device *dev, const hone_image *img, const uint8_t *inputs,
                     size_t n, const int32_t *pred, hone_error *err)
{
	if (!dev || !img || (n && (!inputs || !pred)))
		return hone_fail(err, HONE_ERR_INVALID, "hone_run_samples: missing device, image, inputs or output");
	if (!dev->loaded)
		return hone_fail(err, HONE_ERR_INVALID, "hone_run_samples: no image loaded on the %s device",
		                 dev->be->name);
	if (img->depth < 1 || img->n_inputs < 1 || img->n_outputs < 1 || !img->output_class)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "hone_run_samples: image has depth %d, %d inputs, %d outputs%s",
		                 (int)img->depth, (int)img->n_inputs, (int)img->n_outputs,
		                 img->output_class ? "" : ", no output key");
	if (img->carry != HONE_CARRY_NONE && img->ticks_per_sample < 1)
		return hone_fail(err, HONE_ERR_INVALID, "hone_run_samples: LIF image with %d ticks per sample",
		                 (int)img->ticks_per_sample);
	if (img->input_bits < 1 || img->input_bits > 8)
		return hone_fail(err, HONE_ERR_INVALID, "hone_run_samples: image has %u input bits",
		                 img->input_bits);
	unsigned gmax = (1u << img->input_bits) - 1;
	for (size_t s = 0; s < n; s++)
		for (int32_t i = 0; i < img->n_inputs; i++)
			if (inputs[s * (size_t)img->n_inputs + (size_t)i] > gmax)
				return hone_fail(err, HONE_ERR_INVALID,
				                 "sample %zu, input %d: g = %u does not fit the image's %u input bits",
				                 s, (int)i, inputs[s * (size_t)img->n_inputs + (size_t)i],
				                 img->input_bits);
	size_t pending = hone_pending(dev);
	if (pending)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "hone_run_samples: the device has %zu tick results nobody took", pending);
	return 0;
}

int hone_run_samples(hone_device *dev, const hone_image *img,
                     const uint8_t *inputs, size_t n, int32_t *pred,
                     hone_progress_fn progress, void *user, hone_error *err)
{
	int rc = check_run(dev, img, inputs, n, pred, err);
	if (rc || n == 0)
		return rc;
	run_state rs = {
		.dev = dev, .img = img, .inputs = inputs, .n = n, .pred = pred,
		.whetstone = img->carry == HONE_CARRY_NONE, .progress = progress, .user = user,
	};
	rs.window = rs.whetstone ? 1 : (uint64_t)img->ticks_per_sample + (uint64_t)img->depth - 1;
	rs.total = rs.whetstone ? n + (uint64_t)img->depth - 1 : n * rs.window;
	rs.ev = malloc((size_t)img->n_inputs * sizeof *rs.ev);
	rs.counts = calloc((size_t)img->n_outputs, sizeof *rs.counts);
	if (!rs.ev || !rs.counts) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory running samples");
		goto done;
	}
	/* Nothing from before this run may reach it: no potential (LIF) and
	 * no spike in flight (either mode). */
	if ((rc = hone_reset_state(dev, err)))
		goto done;
	uint64_t issued = 0, taken = 0;
	while (taken < rs.total && !rc) {
		if (issued < rs.total && issued - taken < RUN_IN_FLIGHT)
			rc = issue(&rs, issued++, err);
		else
			rc = take(&rs, taken++, err);
	}
done:
	/* After a failure, leave the device with no stale results queued so
	 * the next run starts clean. */
	for (size_t p = rc ? hone_pending(dev) : 0; p; p--) {
		hone_tick_result drop;
		if (hone_next_result(dev, &drop, NULL))
			break;
	}
	free(rs.ev);
	free(rs.counts);
	return rc;
}
