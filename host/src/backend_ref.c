/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "ref" device: the C reference model (refmodel.c) behind the device
 * API. Ticks run synchronously at end_tick; their results wait in a FIFO
 * until next_result takes them, so the host code that pipelines ticks for
 * the RTL and USB backends runs unchanged here.
 *
 * "ref:CONFIG" builds the chip of a named configuration at open; "ref:"
 * builds it from the configuration of the first image loaded (device.c
 * fills dev->cfg before the first write).
 */
#include "hone_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_result {
	uint64_t tick;
	size_t n_spikes;
	uint32_t *spikes;
	size_t n_trace;
	int32_t *u;
	uint8_t *s;
} ref_result;

typedef struct ref_dev {
	hone_refchip *chip;     /* NULL until configured */
	bool trace;
	ref_result *q;          /* ring of results not yet taken */
	size_t q_cap, q_head, q_len;
	ref_result taken;       /* the result handed out last; freed next time */
	uint32_t *spike_buf;    /* [cores * neurons]: at most one per slot */
} ref_dev;

static void result_free(ref_result *r)
{
	free(r->spikes);
	free(r->u);
	free(r->s);
	memset(r, 0, sizeof *r);
}

static int ensure_chip(hone_device *dev, hone_error *err)
{
	ref_dev *rd = dev->priv;
	if (rd->chip)
		return 0;
	if (dev->cfg.cores == 0)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "device ref: has no configuration until an image is loaded");
	int rc = hone_config_check(&dev->cfg, err);
	if (rc)
		return rc;
	rd->chip = hone_refchip_new(&dev->cfg);
	rd->spike_buf = malloc((size_t)dev->cfg.cores * dev->cfg.neurons * sizeof *rd->spike_buf);
	if (!rd->chip || !rd->spike_buf) {
		hone_refchip_free(rd->chip);
		rd->chip = NULL;
		free(rd->spike_buf);
		rd->spike_buf = NULL;
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory building the reference chip");
	}
	return 0;
}

static int ref_open(hone_device *dev, const char *arg, hone_error *err)
{
	ref_dev *rd = calloc(1, sizeof *rd);
	if (!rd)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening ref:");
	dev->priv = rd;
	if (arg && *arg) {
		const hone_config *cfg = hone_config_find(arg);
		if (!cfg) {
			char known[128] = "";
			size_t len = 0;
			for (size_t i = 0; hone_config_at(i) && len < sizeof known; i++)
				len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
				                        hone_config_at(i)->name);
			return hone_fail(err, HONE_ERR_INVALID, "ref:%s: no such configuration (known: %s)", arg, known);
		}
		dev->cfg = *cfg;
		return ensure_chip(dev, err);
	}
	return 0;
}

static void ref_close(hone_device *dev)
{
	ref_dev *rd = dev->priv;
	if (!rd)
		return;
	for (size_t i = 0; i < rd->q_len; i++)
		result_free(&rd->q[(rd->q_head + i) % rd->q_cap]);
	free(rd->q);
	result_free(&rd->taken);
	free(rd->spike_buf);
	hone_refchip_free(rd->chip);
	free(rd);
	dev->priv = NULL;
}

static int ref_caps(hone_device *dev, hone_caps *caps, hone_error *err)
{
	memset(caps, 0, sizeof *caps);
	strcpy(caps->backend, "ref");
	caps->cfg = dev->cfg; /* all zero for "ref:" before the first load */
	caps->cfg.memory = NULL;
	caps->cfg.description = NULL;
	caps->protocol_version = 2;   /* as the RTL's CAPS: HONE_LINK_VERSION */
	strcpy(caps->build_id, "refmodel");
	return 0;
}

static int ref_write(hone_device *dev, const hone_write *w, size_t n, hone_error *err)
{
	ref_dev *rd = dev->priv;
	int rc = ensure_chip(dev, err);
	for (size_t i = 0; i < n && !rc; i++) {
		hone_error e = {0};
		rc = hone_refchip_write(rd->chip, &w[i], &e);
		if (rc)
			hone_fail(err, rc, "write %zu of %zu (target 0x%02x, mem %u, addr %u): %s", i, n,
			          w[i].target, w[i].mem, (unsigned)w[i].addr, e.msg);
	}
	return rc;
}

static int ref_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                        uint32_t addr, uint32_t n, uint64_t *out, hone_error *err)
{
	ref_dev *rd = dev->priv;
	int rc = ensure_chip(dev, err);
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = hone_refchip_read(rd->chip, target, mem, addr + i, &out[i], err);
	return rc;
}

static int ref_set_trace(hone_device *dev, int on, hone_error *err)
{
	ref_dev *rd = dev->priv;
	rd->trace = on != 0;
	return 0;
}

static int ref_push_events(hone_device *dev, const hone_event *ev, size_t n, hone_error *err)
{
	ref_dev *rd = dev->priv;
	int rc = ensure_chip(dev, err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = hone_refchip_input(rd->chip, ev[i].input, ev[i].g, err);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int queue_result(ref_dev *rd, ref_result *r)
{
	if (rd->q_len == rd->q_cap) {
		size_t cap = rd->q_cap ? 2 * rd->q_cap : 16;
		ref_result *q = malloc(cap * sizeof *q);
		if (!q)
			return HONE_ERR_NOMEM;
		for (size_t i = 0; i < rd->q_len; i++)
			q[i] = rd->q[(rd->q_head + i) % rd->q_cap];
		free(rd->q);
		rd->q = q;
		rd->q_cap = cap;
		rd->q_head = 0;
	}
	rd->q[(rd->q_head + rd->q_len) % rd->q_cap] = *r;
	rd->q_len++;
	return 0;
}

static int ref_end_tick(hone_device *dev, hone_error *err)
{
	ref_dev *rd = dev->priv;
	int rc = ensure_chip(dev, err);
	if (rc)
		return rc;
	const hone_config *cfg = &dev->cfg;
	size_t slots = (size_t)cfg->cores * cfg->neurons;
	hone_counters before;
	hone_refchip_counters(rd->chip, &before);
	ref_result r = {.tick = before.ticks};
	if (rd->trace) {
		r.n_trace = slots;
		r.u = malloc(slots * sizeof *r.u);
		r.s = malloc(slots);
		if (!r.u || !r.s) {
			result_free(&r);
			return hone_fail(err, HONE_ERR_NOMEM, "out of memory tracing a tick");
		}
	}
	/* A tick with a bad event still runs to the end (refmodel.c); its
	 * result is queued so tick numbers and pending() stay in step, and
	 * the error is returned. */
	rc = hone_refchip_tick(rd->chip, rd->spike_buf, slots, &r.n_spikes, r.u, r.s, err);
	/* Cores sweep in parallel in hardware, so spike order is not part of
	 * the contract (chip-interface.md); the host sees them sorted. */
	qsort(rd->spike_buf, r.n_spikes, sizeof *rd->spike_buf, cmp_u32);
	r.spikes = malloc((r.n_spikes + 1) * sizeof *r.spikes);
	if (!r.spikes || queue_result(rd, &r)) {
		result_free(&r);
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory keeping a tick result");
	}
	memcpy(r.spikes, rd->spike_buf, r.n_spikes * sizeof *r.spikes);
	return rc;
}

static int ref_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	ref_dev *rd = dev->priv;
	if (rd->q_len == 0)
		return hone_fail(err, HONE_ERR_INVALID, "no ended tick is waiting for its result");
	result_free(&rd->taken);
	rd->taken = rd->q[rd->q_head];
	rd->q_head = (rd->q_head + 1) % rd->q_cap;
	rd->q_len--;
	*res = (hone_tick_result){
		.tick = rd->taken.tick,
		.n_spikes = rd->taken.n_spikes,
		.spikes = rd->taken.spikes,
		.n_trace = rd->taken.n_trace,
		.trace_u = rd->taken.u,
		.trace_s = rd->taken.s,
	};
	return 0;
}

static size_t ref_pending(hone_device *dev)
{
	ref_dev *rd = dev->priv;
	return rd->q_len;
}

static int ref_counters(hone_device *dev, hone_counters *c, hone_error *err)
{
	ref_dev *rd = dev->priv;
	if (!rd->chip) {
		memset(c, 0, sizeof *c);
		return 0;
	}
	hone_refchip_counters(rd->chip, c);
	return 0;
}

const struct hone_backend hone_backend_ref = {
	.name = "ref",
	.open = ref_open,
	.close = ref_close,
	.caps = ref_caps,
	.write = ref_write,
	.read_mem = ref_read_mem,
	.set_trace = ref_set_trace,
	.push_events = ref_push_events,
	.end_tick = ref_end_tick,
	.next_result = ref_next_result,
	.pending = ref_pending,
	.counters = ref_counters,
};
