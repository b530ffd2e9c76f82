/* SPDX-License-Identifier: Apache-2.0 */
/* The host's side of a chip session, shared by backend_sim.c and
 * backend_usb.c: chip_session.h says what it keeps. */
#include "chip_session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void result_free(hone_chip_result *r)
{
	free(r->spikes);
	free(r->u);
	free(r->s);
	memset(r, 0, sizeof *r);
}

int hone_chip_session_init(hone_chip_session *cs, const char *name, hone_error *err)
{
	memset(cs, 0, sizeof *cs);
	snprintf(cs->name, sizeof cs->name, "%s", name);
	cs->epoch = 1;
	cs->tick_traced_cap = 1024;
	cs->tick_traced = calloc(cs->tick_traced_cap, 1);
	cs->input_seen = calloc(65536, sizeof *cs->input_seen);
	if (!cs->tick_traced || !cs->input_seen)
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", cs->name);
	return 0;
}

int hone_chip_session_configure(hone_chip_session *cs, const hone_config *cfg,
                                uint64_t tick_base, hone_error *err)
{
	cs->cfg = *cfg;
	cs->tick_base = tick_base;
	cs->cur.tick = tick_base;
	hone_refchip_free(cs->shadow);
	cs->shadow = hone_refchip_new(cfg);
	if (!cs->shadow)
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", cs->name);
	return 0;
}

void hone_chip_session_free(hone_chip_session *cs)
{
	for (size_t i = 0; i < cs->done_len; i++)
		result_free(&cs->done[(cs->done_head + i) % cs->done_cap]);
	free(cs->done);
	result_free(&cs->cur);
	result_free(&cs->taken);
	free(cs->words);
	free(cs->tick_traced);
	free(cs->input_seen);
	hone_refchip_free(cs->shadow);
	memset(cs, 0, sizeof *cs);
}

int hone_chip_session_write(hone_chip_session *cs, const hone_write *w, size_t i,
                            size_t n, hone_error *err)
{
	hone_error e = {0};
	int rc = hone_refchip_write(cs->shadow, w, &e);
	if (rc)
		return hone_fail(err, rc, "write %zu of %zu (target 0x%02x, mem %u, addr %u): %s",
		                 i, n, w->target, w->mem, (unsigned)w->addr, e.msg);
	if (w->mem == HONE_MEM_CMD && w->target == HONE_TARGET_CHIP)
		cs->epoch++; /* as refmodel.c: a full reset forgets this tick's inputs */
	return 0;
}

int hone_chip_session_read(hone_chip_session *cs, uint8_t target, uint8_t mem,
                           uint32_t addr, uint32_t n, hone_error *err)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ignored;
		int rc = hone_refchip_read(cs->shadow, target, mem, addr + i, &ignored, err);
		if (rc)
			return rc;
	}
	return 0;
}

int hone_chip_session_input(hone_chip_session *cs, uint32_t input, uint8_t g,
                            hone_error *err)
{
	const hone_config *cfg = &cs->cfg;
	uint64_t n_inputs, mask, base;
	int rc = hone_refchip_read(cs->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
	                           HONE_CHIPREG_N_INPUTS, &n_inputs, err);
	if (!rc)
		rc = hone_refchip_read(cs->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_CORE_MASK, &mask, err);
	if (!rc)
		rc = hone_refchip_read(cs->shadow, HONE_TARGET_CHIP, HONE_MEM_CHIPREG,
		                       HONE_CHIPREG_INPUT_AXON_BASE, &base, err);
	if (rc)
		return rc;
	if (input > 0xFFFF || input >= n_inputs)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": the chip has %" PRIu64
		                 " inputs", input, n_inputs);
	if ((uint32_t)g >> cfg->input_bits)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": g = %u does not fit %"
		                 PRIu32 " input bits", input, g, cfg->input_bits);
	if (g == 0)
		return 1;
	if (cs->input_seen[input] == cs->epoch)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " sent twice in one tick", input);
	uint32_t axon = (uint32_t)base + input;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		if (!(mask >> k & 1))
			continue;
		bool mapped = false;
		for (uint32_t s = 0; s < cfg->axon_segments && !mapped && axon < cfg->axons; s++) {
			uint64_t word;
			if (hone_refchip_read(cs->shadow, (uint8_t)k, HONE_MEM_AXSEG, s, &word, NULL))
				continue;
			hone_axseg a = hone_axseg_unpack(word);
			mapped = a.count && axon >= a.first && axon - a.first < a.count;
		}
		if (!mapped)
			return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " goes to axon %" PRIu32
			                 " of core %" PRIu32 ", which no axon segment maps", input, axon, k);
	}
	cs->input_seen[input] = cs->epoch;
	return 0;
}

int hone_chip_session_tick_room(hone_chip_session *cs, hone_error *err)
{
	if (cs->ticks_sent - cs->ticks_taken < cs->tick_traced_cap)
		return 0;
	/* Keep the ring larger than the ticks in flight. */
	size_t cap = 2 * cs->tick_traced_cap;
	uint8_t *t = calloc(cap, 1);
	if (!t)
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", cs->name);
	for (uint64_t k = cs->ticks_taken; k < cs->ticks_sent; k++)
		t[k % cap] = cs->tick_traced[k % cs->tick_traced_cap];
	free(cs->tick_traced);
	cs->tick_traced = t;
	cs->tick_traced_cap = cap;
	return 0;
}

void hone_chip_session_tick_sent(hone_chip_session *cs)
{
	cs->tick_traced[cs->ticks_sent % cs->tick_traced_cap] = cs->trace;
	cs->ticks_sent++;
	cs->epoch++;
}

static bool traced(const hone_chip_session *cs, uint64_t k)
{
	return cs->tick_traced[k % cs->tick_traced_cap] != 0;
}

/* A traced tick's arrays, zero for slots that sent no TRACE (disabled). */
static int trace_arrays(hone_chip_session *cs, hone_chip_result *r)
{
	if (r->u)
		return 0;
	size_t slots = (size_t)cs->cfg.cores * cs->cfg.neurons;
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

static int add_spike(hone_chip_session *cs, uint64_t data, hone_error *err)
{
	hone_chip_result *r = &cs->cur;
	if (r->n_spikes == r->cap_spikes) {
		size_t cap = r->cap_spikes ? 2 * r->cap_spikes : 64;
		uint32_t *p = realloc(r->spikes, cap * sizeof *p);
		if (!p)
			return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory collecting spikes",
			                 cs->name);
		r->spikes = p;
		r->cap_spikes = cap;
	}
	r->spikes[r->n_spikes++] = (uint32_t)hone_field(data, 0, 16);
	return 0;
}

static int add_trace(hone_chip_session *cs, uint64_t k, uint64_t data, hone_error *err)
{
	uint32_t slot = (uint32_t)hone_field(data, 0, 13);
	uint32_t core = (uint32_t)hone_field(data, 16, 4);
	if (k >= cs->ticks_sent || !traced(cs, k) || trace_arrays(cs, &cs->cur) ||
	    core >= cs->cfg.cores || slot >= cs->cfg.neurons)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: unexpected TRACE word 0x%016" PRIx64,
		                 cs->name, data);
	size_t i = (size_t)core * cs->cfg.neurons + slot;
	cs->cur.u[i] = (int32_t)hone_sext(hone_field(data, 24, 24), 24);
	cs->cur.s[i] = (uint8_t)hone_field(data, 48, 1);
	return 0;
}

static int close_tick(hone_chip_session *cs, uint64_t k, uint64_t data, hone_error *err)
{
	uint64_t tick = cs->tick_base + k;
	if (k >= cs->ticks_sent)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: TICK_DONE without a TICK", cs->name);
	if ((uint32_t)data != (uint32_t)tick)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: TICK_DONE for tick %" PRIu32
		                 ", expected %" PRIu64, cs->name, (uint32_t)data, tick);
	if (traced(cs, k) && trace_arrays(cs, &cs->cur))
		return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory for a trace", cs->name);
	if (cs->cur.n_spikes > 1)
		qsort(cs->cur.spikes, cs->cur.n_spikes, sizeof *cs->cur.spikes, cmp_u32);
	if (cs->done_len == cs->done_cap) {
		size_t cap = cs->done_cap ? 2 * cs->done_cap : 16;
		hone_chip_result *q = malloc(cap * sizeof *q);
		if (!q)
			return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory keeping tick results",
			                 cs->name);
		for (size_t i = 0; i < cs->done_len; i++)
			q[i] = cs->done[(cs->done_head + i) % cs->done_cap];
		free(cs->done);
		cs->done = q;
		cs->done_cap = cap;
		cs->done_head = 0;
	}
	cs->done[(cs->done_head + cs->done_len++) % cs->done_cap] = cs->cur;
	memset(&cs->cur, 0, sizeof cs->cur);
	cs->cur.tick = tick + 1;
	return 0;
}

static int add_word(hone_chip_session *cs, unsigned kind, uint64_t data, hone_error *err)
{
	if (cs->n_words && cs->word_kind != kind)
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: an answer of kind %u came while %zu "
		                 "of kind %u were waiting", cs->name, kind, cs->n_words,
		                 cs->word_kind);
	if (cs->n_words == cs->cap_words) {
		size_t cap = cs->cap_words ? 2 * cs->cap_words : 16;
		uint64_t *w = realloc(cs->words, cap * sizeof *w);
		if (!w)
			return hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", cs->name);
		cs->words = w;
		cs->cap_words = cap;
	}
	cs->word_kind = kind;
	cs->words[cs->n_words++] = data;
	return 0;
}

int hone_chip_session_file(hone_chip_session *cs, unsigned kind, uint64_t data,
                           hone_error *err)
{
	uint64_t k = cs->ticks_taken + cs->done_len; /* the tick being collected */
	switch (kind) {
	case HONE_RSP_SPIKE:
		return add_spike(cs, data, err);
	case HONE_RSP_TRACE:
		return add_trace(cs, k, data, err);
	case HONE_RSP_TICK_DONE:
		return close_tick(cs, k, data, err);
	case HONE_RSP_READ_DATA:
	case HONE_RSP_COUNTER:
	case HONE_RSP_CAPS:
		return add_word(cs, kind, data, err);
	default:
		return hone_fail(err, HONE_ERR_PROTOCOL, "%s: response of unknown kind %u",
		                 cs->name, kind);
	}
}

void hone_chip_session_take(hone_chip_session *cs, hone_tick_result *res)
{
	result_free(&cs->taken);
	cs->taken = cs->done[cs->done_head];
	cs->done_head = (cs->done_head + 1) % cs->done_cap;
	cs->done_len--;
	cs->ticks_taken++;
	*res = (hone_tick_result){
		.tick = cs->taken.tick,
		.n_spikes = cs->taken.n_spikes,
		.spikes = cs->taken.spikes,
		.n_trace = cs->taken.n_trace,
		.trace_u = cs->taken.u,
		.trace_s = cs->taken.s,
	};
}

void hone_chip_session_take_words(hone_chip_session *cs, uint64_t *out, size_t n)
{
	if (n > cs->n_words)
		n = cs->n_words;
	if (out)
		memcpy(out, cs->words, n * sizeof *out);
	memmove(cs->words, cs->words + n, (cs->n_words - n) * sizeof *cs->words);
	cs->n_words -= n;
}

void hone_chip_caps_decode(uint64_t w0, uint64_t w1, hone_config *cfg,
                           uint32_t *protocol_version, char build_id[41])
{
	cfg->cores = (uint32_t)hone_field(w0, 0, 8);
	cfg->lanes = (uint32_t)hone_field(w0, 8, 8);
	cfg->weight_bits = (uint32_t)hone_field(w0, 16, 4);
	cfg->potential_bits = (uint32_t)hone_field(w0, 20, 5);
	cfg->input_bits = (uint32_t)hone_field(w0, 25, 4);
	cfg->neurons = (uint32_t)hone_field(w1, 0, 16);
	cfg->axons = (uint32_t)hone_field(w1, 16, 16);
	cfg->weight_words = (uint32_t)hone_field(w1, 32, 24);
	*protocol_version = (uint32_t)hone_field(w1, 56, 8);
	snprintf(build_id, 41, "%08" PRIx32, (uint32_t)(w0 >> 32));
}
