/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "sim" device: the RTL (rtl/hone_chip.v) in cycle-accurate Verilator
 * simulation, driven through the chip's own command interface
 * (docs/chip-interface.md) by the C shim sim/hone_vsim.h.
 *
 *   sim:  sim:verilator          configuration of the first image loaded
 *   sim:CONFIG  sim:verilator:CONFIG   that configuration, built at open
 *
 * Writes and input events are first checked by a shadow reference chip
 * (refmodel.c, used only as a validated register file: it is never ticked),
 * so that a bad image or event is refused with the same message as on
 * "ref:". Responses are parsed in order: SPIKE and TRACE words collect into
 * the tick that TICK_DONE closes; READ_DATA, COUNTER and CAPS answer the
 * request that waits for them.
 */
#include "hone_internal.h"

#include "../../sim/hone_vsim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OP_WRITE, OP_READ, OP_EVENT, OP_TICK, OP_TRACE, OP_COUNTERS, OP_CAPS };
enum { RSP_READ_DATA, RSP_SPIKE, RSP_TICK_DONE, RSP_TRACE, RSP_COUNTER, RSP_CAPS };

typedef struct sim_result {
	uint64_t tick;
	size_t n_spikes, cap_spikes;
	uint32_t *spikes;
	size_t n_trace;
	int32_t *u;
	uint8_t *s;
} sim_result;

typedef struct sim_dev {
	char config[16];
	hone_vsim *vs;
	hone_refchip *shadow;
	bool trace;              /* TRACE on for ticks sent from now on */
	/* Input checks, as refmodel.c makes them. */
	uint32_t *input_seen;    /* [65536] epoch of the last send */
	uint32_t epoch;
	/* Ticks sent but not yet taken, and which of them trace. */
	uint64_t ticks_sent, ticks_taken;
	uint8_t *tick_traced;    /* ring, indexed by tick % cap */
	size_t tick_traced_cap;
	/* Results: the one being collected, finished ones, the one handed out. */
	sim_result cur;
	sim_result *done;
	size_t done_cap, done_head, done_len;
	sim_result taken;
	/* Answers that are not per tick. */
	uint64_t word[4];
	unsigned n_word, word_kind;
} sim_dev;

static void result_free(sim_result *r)
{
	free(r->spikes);
	free(r->u);
	free(r->s);
	memset(r, 0, sizeof *r);
}

static bool traced(const sim_dev *sd, uint64_t tick)
{
	return sd->tick_traced[tick % sd->tick_traced_cap] != 0;
}

static void new_result(sim_result *r, uint64_t tick)
{
	memset(r, 0, sizeof *r);
	r->tick = tick;
}

/* A traced tick's arrays, zero for slots that sent no TRACE (disabled). */
static int trace_arrays(hone_device *dev, sim_result *r)
{
	if (r->u)
		return 0;
	size_t slots = (size_t)dev->cfg.cores * dev->cfg.neurons;
	r->n_trace = slots;
	r->u = calloc(slots, sizeof *r->u);
	r->s = calloc(slots, 1);
	return r->u && r->s ? 0 : HONE_ERR_NOMEM;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Take every response the shim holds and file it. */
static int drain(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	unsigned kind;
	uint64_t data;
	while (hone_vsim_poll(sd->vs, &kind, &data)) {
		uint64_t tick = sd->ticks_taken + sd->done_len;
		switch (kind) {
		case RSP_SPIKE:
			if (sd->cur.n_spikes == sd->cur.cap_spikes) {
				size_t cap = sd->cur.cap_spikes ? 2 * sd->cur.cap_spikes : 64;
				uint32_t *p = realloc(sd->cur.spikes, cap * sizeof *p);
				if (!p)
					return hone_fail(err, HONE_ERR_NOMEM, "out of memory collecting spikes");
				sd->cur.spikes = p;
				sd->cur.cap_spikes = cap;
			}
			sd->cur.spikes[sd->cur.n_spikes++] = (uint32_t)hone_field(data, 0, 16);
			break;
		case RSP_TRACE: {
			uint32_t slot = (uint32_t)hone_field(data, 0, 13);
			uint32_t core = (uint32_t)hone_field(data, 16, 4);
			if (!traced(sd, tick) || trace_arrays(dev, &sd->cur) ||
			    core >= dev->cfg.cores || slot >= dev->cfg.neurons)
				return hone_fail(err, HONE_ERR_PROTOCOL,
				                 "tick %" PRIu64 ": unexpected TRACE word 0x%016" PRIx64, tick, data);
			size_t i = (size_t)core * dev->cfg.neurons + slot;
			sd->cur.u[i] = (int32_t)hone_sext(hone_field(data, 24, 24), 24);
			sd->cur.s[i] = (uint8_t)hone_field(data, 48, 1);
			break;
		}
		case RSP_TICK_DONE: {
			if (sd->ticks_taken + sd->done_len >= sd->ticks_sent)
				return hone_fail(err, HONE_ERR_PROTOCOL, "TICK_DONE without a TICK");
			if ((uint32_t)data != (uint32_t)tick)
				return hone_fail(err, HONE_ERR_PROTOCOL,
				                 "TICK_DONE for tick %" PRIu32 ", expected %" PRIu64,
				                 (uint32_t)data, tick);
			if (traced(sd, tick) && trace_arrays(dev, &sd->cur))
				return hone_fail(err, HONE_ERR_NOMEM, "out of memory for a trace");
			if (sd->cur.n_spikes)
				qsort(sd->cur.spikes, sd->cur.n_spikes, sizeof *sd->cur.spikes, cmp_u32);
			if (sd->done_len == sd->done_cap) {
				size_t cap = sd->done_cap ? 2 * sd->done_cap : 16;
				sim_result *q = malloc(cap * sizeof *q);
				if (!q)
					return hone_fail(err, HONE_ERR_NOMEM, "out of memory keeping tick results");
				for (size_t i = 0; i < sd->done_len; i++)
					q[i] = sd->done[(sd->done_head + i) % sd->done_cap];
				free(sd->done);
				sd->done = q;
				sd->done_cap = cap;
				sd->done_head = 0;
			}
			sd->done[(sd->done_head + sd->done_len++) % sd->done_cap] = sd->cur;
			new_result(&sd->cur, tick + 1);
			break;
		}
		case RSP_READ_DATA:
		case RSP_COUNTER:
		case RSP_CAPS:
			if (sd->n_word == 4 || (sd->n_word && sd->word_kind != kind))
				return hone_fail(err, HONE_ERR_PROTOCOL, "unexpected answer of kind %u", kind);
			sd->word_kind = kind;
			sd->word[sd->n_word++] = data;
			break;
		default:
			return hone_fail(err, HONE_ERR_PROTOCOL, "response of unknown kind %u", kind);
		}
	}
	return 0;
}

/* Run the chip until `n` answer words of `kind` arrived. */
static int wait_words(hone_device *dev, unsigned kind, unsigned n, hone_error *err)
{
	sim_dev *sd = dev->priv;
	for (;;) {
		int rc = drain(dev, err);
		if (rc)
			return rc;
		if (sd->n_word >= n && sd->word_kind == kind)
			return 0;
		if (hone_vsim_run_until(sd->vs, kind))
			return hone_fail(err, HONE_ERR_TIMEOUT, "sim: the chip did not answer (kind %u)", kind);
	}
}

static int cmd(hone_device *dev, unsigned op, unsigned target, unsigned mem,
               uint32_t addr, uint64_t data, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (hone_vsim_cmd(sd->vs, op, target, mem, addr, data))
		return hone_fail(err, HONE_ERR_TIMEOUT, "sim: the chip did not take command %u", op);
	return 0;
}

static int ensure_model(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (sd->vs)
		return 0;
	if (dev->cfg.cores == 0)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "device sim: has no configuration until an image is loaded");
	int rc = hone_config_check(&dev->cfg, err);
	if (rc)
		return rc;
	snprintf(sd->config, sizeof sd->config, "%.15s", dev->cfg.name);
	const hone_config *known = hone_config_find(sd->config);
	if (!known || known->cores != dev->cfg.cores || known->lanes != dev->cfg.lanes ||
	    known->neurons != dev->cfg.neurons || known->weight_words != dev->cfg.weight_words)
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim: configuration '%s' is not a built-in one; the RTL is built "
		                 "only for: %s", sd->config, hone_vsim_configs());
	sd->vs = hone_vsim_new(sd->config, NULL);
	if (!sd->vs)
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim: no Verilator model of '%s' in this build (built: %s)",
		                 sd->config, hone_vsim_configs());
	sd->shadow = hone_refchip_new(&dev->cfg);
	sd->tick_traced_cap = 1024;
	sd->tick_traced = calloc(sd->tick_traced_cap, 1);
	if (!sd->shadow || !sd->tick_traced)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory building the sim device");
	new_result(&sd->cur, 0);
	return 0;
}

static int sim_open(hone_device *dev, const char *arg, hone_error *err)
{
	sim_dev *sd = calloc(1, sizeof *sd);
	if (!sd)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening sim:");
	dev->priv = sd;
	sd->epoch = 1;
	sd->input_seen = calloc(65536, sizeof *sd->input_seen);
	if (!sd->input_seen)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening sim:");
	if (!arg)
		arg = "";
	if (!strncmp(arg, "verilator", 9) && (arg[9] == 0 || arg[9] == ':'))
		arg += arg[9] ? 10 : 9;
	else if (!strncmp(arg, "icarus", 6))
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim:icarus: the Icarus harness runs batch comparisons only "
		                 "(tests/test_rtl_icarus.c); use sim:verilator as a device");
	if (*arg) {
		const hone_config *cfg = hone_config_find(arg);
		if (!cfg)
			return hone_fail(err, HONE_ERR_INVALID, "sim:%s: no such configuration (built: %s)",
			                 arg, hone_vsim_configs());
		dev->cfg = *cfg;
		return ensure_model(dev, err);
	}
	return 0;
}

static void sim_close(hone_device *dev)
{
	sim_dev *sd = dev->priv;
	if (!sd)
		return;
	for (size_t i = 0; i < sd->done_len; i++)
		result_free(&sd->done[(sd->done_head + i) % sd->done_cap]);
	free(sd->done);
	result_free(&sd->cur);
	result_free(&sd->taken);
	free(sd->tick_traced);
	free(sd->input_seen);
	hone_refchip_free(sd->shadow);
	hone_vsim_free(sd->vs);
	free(sd);
	dev->priv = NULL;
}

static int sim_caps(hone_device *dev, hone_caps *caps, hone_error *err)
{
	sim_dev *sd = dev->priv;
	memset(caps, 0, sizeof *caps);
	strcpy(caps->backend, "sim");
	caps->cfg = dev->cfg;
	caps->cfg.memory = NULL;
	caps->cfg.description = NULL;
	if (!sd->vs)
		return 0;
	int rc = cmd(dev, OP_CAPS, 0, 0, 0, 0, err);
	if (!rc)
		rc = wait_words(dev, RSP_CAPS, 2, err);
	if (rc)
		return rc;
	uint64_t w0 = sd->word[0], w1 = sd->word[1];
	sd->n_word = 0;
	caps->cfg.cores = (uint32_t)hone_field(w0, 0, 8);
	caps->cfg.lanes = (uint32_t)hone_field(w0, 8, 8);
	caps->cfg.weight_bits = (uint32_t)hone_field(w0, 16, 4);
	caps->cfg.potential_bits = (uint32_t)hone_field(w0, 20, 5);
	caps->cfg.input_bits = (uint32_t)hone_field(w0, 25, 4);
	caps->cfg.neurons = (uint32_t)hone_field(w1, 0, 16);
	caps->cfg.axons = (uint32_t)hone_field(w1, 16, 16);
	caps->cfg.weight_words = (uint32_t)hone_field(w1, 32, 24);
	caps->protocol_version = (uint32_t)hone_field(w1, 56, 8);
	snprintf(caps->build_id, sizeof caps->build_id, "%08" PRIx32, (uint32_t)(w0 >> 32));
	return 0;
}

static int sim_write(hone_device *dev, const hone_write *w, size_t n, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	for (size_t i = 0; i < n && !rc; i++) {
		hone_error e = {0};
		rc = hone_refchip_write(sd->shadow, &w[i], &e);
		if (rc) {
			hone_fail(err, rc, "write %zu of %zu (target 0x%02x, mem %u, addr %u): %s", i, n,
			          w[i].target, w[i].mem, (unsigned)w[i].addr, e.msg);
			break;
		}
		if (w[i].mem == HONE_MEM_CMD && w[i].target == HONE_TARGET_CHIP)
			sd->epoch++; /* as refmodel.c: a full reset forgets this tick's inputs */
		rc = cmd(dev, OP_WRITE, w[i].target, w[i].mem, w[i].addr, w[i].data, err);
	}
	return rc;
}

static int sim_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                        uint32_t addr, uint32_t n, uint64_t *out, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	for (uint32_t i = 0; i < n && !rc; i++) {
		uint64_t ignored;
		rc = hone_refchip_read(sd->shadow, target, mem, addr + i, &ignored, err);
		if (!rc)
			rc = cmd(dev, OP_READ, target, mem, addr + i, 0, err);
		if (!rc)
			rc = wait_words(dev, RSP_READ_DATA, 1, err);
		if (!rc) {
			out[i] = sd->word[0];
			sd->n_word = 0;
		}
	}
	return rc;
}

static int sim_set_trace(hone_device *dev, int on, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	if (!rc)
		rc = cmd(dev, OP_TRACE, 0, 0, 0, on ? 1 : 0, err);
	if (!rc)
		sd->trace = on != 0;
	return rc;
}

/* The checks hone_refchip_input makes, on the shadow's registers. */
static int check_input(hone_device *dev, uint32_t input, uint8_t g, hone_error *err)
{
	sim_dev *sd = dev->priv;
	const hone_config *cfg = &dev->cfg;
	uint64_t n_inputs, mask, base;
	int rc = hone_refchip_read(sd->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
	                           HONE_CHIPREG_N_INPUTS, &n_inputs, err);
	if (!rc)
		rc = hone_refchip_read(sd->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_CORE_MASK, &mask, err);
	if (!rc)
		rc = hone_refchip_read(sd->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_AXON_BASE, &base, err);
	if (rc)
		return rc;
	if (input >= n_inputs)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": the chip has %" PRIu64 " inputs",
		                 input, n_inputs);
	if ((uint32_t)g >> cfg->input_bits)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": g = %u does not fit %" PRIu32 " input bits",
		                 input, g, cfg->input_bits);
	if (g == 0)
		return 1; /* sends no event */
	if (sd->input_seen[input] == sd->epoch)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " sent twice in one tick", input);
	uint32_t axon = (uint32_t)base + input;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		if (!(mask >> k & 1))
			continue;
		bool mapped = false;
		for (uint32_t s = 0; s < cfg->axon_segments && !mapped && axon < cfg->axons; s++) {
			uint64_t word;
			if (hone_refchip_read(sd->shadow, (uint8_t)k, HONE_MEM_AXSEG, s, &word, NULL))
				continue;
			hone_axseg a = hone_axseg_unpack(word);
			mapped = a.count && axon >= a.first && axon - a.first < a.count;
		}
		if (!mapped)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "input %" PRIu32 " goes to axon %" PRIu32 " of core %" PRIu32
			                 ", which no axon segment maps",
			                 input, axon, k);
	}
	sd->input_seen[input] = sd->epoch;
	return 0;
}

static int sim_push_events(hone_device *dev, const hone_event *ev, size_t n, hone_error *err)
{
	int rc = ensure_model(dev, err);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = check_input(dev, ev[i].input, ev[i].g, err);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (!rc)
			rc = cmd(dev, OP_EVENT, 0, 0, ev[i].input, ev[i].g, err);
	}
	return rc;
}

static int sim_end_tick(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	if (rc)
		return rc;
	if (sd->ticks_sent - sd->ticks_taken >= sd->tick_traced_cap) {
		/* Keep the ring larger than the ticks in flight. */
		size_t cap = 2 * sd->tick_traced_cap;
		uint8_t *t = calloc(cap, 1);
		if (!t)
			return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
		for (uint64_t k = sd->ticks_taken; k < sd->ticks_sent; k++)
			t[k % cap] = sd->tick_traced[k % sd->tick_traced_cap];
		free(sd->tick_traced);
		sd->tick_traced = t;
		sd->tick_traced_cap = cap;
	}
	sd->tick_traced[sd->ticks_sent % sd->tick_traced_cap] = sd->trace;
	sd->epoch++;
	sd->ticks_sent++;
	return cmd(dev, OP_TICK, 0, 0, 0, 0, err);
}

static int sim_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (!sd->vs || sd->ticks_taken == sd->ticks_sent)
		return hone_fail(err, HONE_ERR_INVALID, "no ended tick is waiting for its result");
	for (;;) {
		int rc = drain(dev, err);
		if (rc)
			return rc;
		if (sd->done_len)
			break;
		if (hone_vsim_run_until(sd->vs, RSP_TICK_DONE))
			return hone_fail(err, HONE_ERR_TIMEOUT, "sim: tick %" PRIu64 " did not finish",
			                 sd->ticks_taken);
	}
	result_free(&sd->taken);
	sd->taken = sd->done[sd->done_head];
	sd->done_head = (sd->done_head + 1) % sd->done_cap;
	sd->done_len--;
	sd->ticks_taken++;
	*res = (hone_tick_result){
		.tick = sd->taken.tick,
		.n_spikes = sd->taken.n_spikes,
		.spikes = sd->taken.spikes,
		.n_trace = sd->taken.n_trace,
		.trace_u = sd->taken.u,
		.trace_s = sd->taken.s,
	};
	return 0;
}

static size_t sim_pending(hone_device *dev)
{
	sim_dev *sd = dev->priv;
	return (size_t)(sd->ticks_sent - sd->ticks_taken);
}

static int sim_counters(hone_device *dev, hone_counters *c, hone_error *err)
{
	sim_dev *sd = dev->priv;
	memset(c, 0, sizeof *c);
	if (!sd->vs)
		return 0;
	int rc = cmd(dev, OP_COUNTERS, 0, 0, 0, 0, err);
	if (!rc)
		rc = wait_words(dev, RSP_COUNTER, 4, err);
	if (rc)
		return rc;
	c->cycles = sd->word[0];
	c->events = sd->word[1];
	c->sops = sd->word[2];
	c->ticks = sd->word[3];
	sd->n_word = 0;
	return 0;
}

const struct hone_backend hone_backend_sim = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.caps = sim_caps,
	.write = sim_write,
	.read_mem = sim_read_mem,
	.set_trace = sim_set_trace,
	.push_events = sim_push_events,
	.end_tick = sim_end_tick,
	.next_result = sim_next_result,
	.pending = sim_pending,
	.counters = sim_counters,
};
