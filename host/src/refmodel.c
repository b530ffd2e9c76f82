/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C reference model of the chip (docs/chip-image.md): the same
 * memories, the same P-bit wrapping registers and the same event-by-event
 * integration through the axon-segment tables as the Verilog cores, so
 * that an image runs here exactly as it will in hardware. It is checked
 * against the network-level evaluator (evaluate.c) by tests/test_property.c
 * and against the RTL by `hone verify`.
 *
 * Rules the memory map leaves to the implementation, fixed here and meant
 * to be shared with the RTL:
 *  - an axon (or slot) covered by several segments uses the lowest-index
 *    segment that covers it;
 *  - integration and the fire sweep skip disabled slots, so a disabled
 *    slot's potential stays what reset gave it (0);
 *  - CMD reset_state also drops the events queued for the cores it resets
 *    (spikes in flight and host inputs not yet integrated): the state of a
 *    chip is its potentials and its queues, and LIF windows must start
 *    with nothing in flight;
 *  - writes are checked against the configuration (a field that points
 *    outside a memory is refused with its value and the limit), so a bad
 *    image fails at load instead of misbehaving at run time.
 */
#include "hone_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Segment tables are allocated at the memory map's maximum; entries
 * beyond the configuration's axon_segments/route_segments are refused at
 * write time and so stay unused (count 0). */
#define N_SEG 8

typedef struct ref_event {
	uint16_t axon; /* < axons <= 4096 */
	uint8_t g;
} ref_event;

typedef struct ref_queue {
	ref_event *ev;
	size_t n, cap;
} ref_queue;

typedef struct ref_core {
	uint32_t n_neurons;
	hone_profile profile[HONE_N_PROFILES];
	hone_axseg axseg[N_SEG];
	hone_rtseg rtseg[N_SEG];
	uint64_t *weight;      /* [weight_words], masked to lanes*W bits */
	hone_nparam *nparam;   /* [neurons], threshold/bias as P-bit values */
	int32_t *pot;          /* [neurons], a (P-bit) */
	ref_queue cur;         /* events of the tick being run */
	ref_queue next;        /* events queued for the next tick */
} ref_core;

struct hone_refchip {
	hone_config cfg;
	uint32_t input_core_mask, input_axon_base, n_inputs;
	/* Duplicate-input detection: input i was queued for the coming tick
	 * iff input_seen[i] == epoch; bumping epoch clears all at once. */
	uint32_t *input_seen;  /* [65536]: n_inputs is a 16-bit field */
	uint32_t epoch;
	ref_core *core;
	uint64_t ticks, events, sops;
	uint64_t shuffle_state; /* 0: events in queue order */
};

static const char *const mem_names[] = {
	"CHIPREG", "COREREG", "AXSEG", "RTSEG", "WEIGHT", "NPARAM", "POT", "CMD",
};

static const char *mem_name(uint8_t mem)
{
	return mem < 8 ? mem_names[mem] : "unknown memory";
}

hone_refchip *hone_refchip_new(const hone_config *cfg)
{
	if (hone_config_check(cfg, NULL))
		return NULL;
	hone_refchip *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->cfg.memory = NULL;
	c->cfg.description = NULL;
	c->epoch = 1;
	c->input_seen = calloc(65536, sizeof *c->input_seen);
	c->core = calloc(cfg->cores, sizeof *c->core);
	if (!c->input_seen || !c->core)
		goto fail;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		ref_core *co = &c->core[k];
		co->weight = calloc(cfg->weight_words, sizeof *co->weight);
		co->nparam = calloc(cfg->neurons, sizeof *co->nparam);
		co->pot = calloc(cfg->neurons, sizeof *co->pot);
		if (!co->weight || !co->nparam || !co->pot)
			goto fail;
	}
	return c;
fail:
	hone_refchip_free(c);
	return NULL;
}

void hone_refchip_free(hone_refchip *c)
{
	if (!c)
		return;
	for (uint32_t k = 0; c->core && k < c->cfg.cores; k++) {
		free(c->core[k].weight);
		free(c->core[k].nparam);
		free(c->core[k].pot);
		free(c->core[k].cur.ev);
		free(c->core[k].next.ev);
	}
	free(c->core);
	free(c->input_seen);
	free(c);
}

const hone_config *hone_refchip_config(const hone_refchip *c)
{
	return &c->cfg;
}

void hone_refchip_set_shuffle(hone_refchip *c, uint64_t seed)
{
	c->shuffle_state = seed;
}

/* splitmix64: a small, good generator for the test shuffle. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int queue_push(ref_queue *q, uint32_t axon, uint8_t g)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		ref_event *ev = realloc(q->ev, cap * sizeof *ev);
		if (!ev)
			return HONE_ERR_NOMEM;
		q->ev = ev;
		q->cap = cap;
	}
	q->ev[q->n++] = (ref_event){.axon = (uint16_t)axon, .g = g};
	return 0;
}

/* The segment of core co that maps axon x, or NULL. */
static const hone_axseg *find_axseg(const ref_core *co, uint32_t x)
{
	for (int s = 0; s < N_SEG; s++) {
		const hone_axseg *a = &co->axseg[s];
		if (a->count && x >= a->first && x - a->first < a->count)
			return a;
	}
	return NULL;
}

static const hone_rtseg *find_rtseg(const ref_core *co, uint32_t slot)
{
	for (int r = 0; r < N_SEG; r++) {
		const hone_rtseg *s = &co->rtseg[r];
		if (s->count && slot >= s->first && slot - s->first < s->count)
			return s;
	}
	return NULL;
}

static uint32_t words_per_row(const hone_config *cfg, uint32_t row_neurons)
{
	return (row_neurons + cfg->lanes - 1) / cfg->lanes;
}

/* A value field of NPARAM/POT: 24 bits holding a P-bit value sign-extended.
 * Anything else is a compiler bug worth naming. */
static int pot_field(const hone_refchip *c, uint64_t data, unsigned lo,
                     const char *what, int32_t *out, hone_error *err)
{
	int64_t v = hone_sext(hone_field(data, lo, HONE_FIELD_POT_BITS), HONE_FIELD_POT_BITS);
	if (hone_wrap(v, c->cfg.potential_bits) != v)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "%s %" PRId64 " does not fit the %" PRIu32 "-bit potential registers",
		                 what, v, c->cfg.potential_bits);
	*out = (int32_t)v;
	return 0;
}

static void reset_core(hone_refchip *c, ref_core *co)
{
	for (uint32_t n = 0; n < c->cfg.neurons; n++)
		co->pot[n] = co->nparam[n].enable ? co->nparam[n].bias : 0;
	co->next.n = 0;
}

static int write_chipreg(hone_refchip *c, const hone_write *w, hone_error *err)
{
	const hone_config *cfg = &c->cfg;
	switch (w->addr) {
	case HONE_CHIPREG_INPUT_CORE_MASK: {
		uint32_t mask = (uint32_t)hone_field(w->data, 0, 16);
		if (mask >> cfg->cores)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "CHIPREG input_core_mask 0x%04" PRIx32 " names cores beyond the %" PRIu32 " of the chip",
			                 mask, cfg->cores);
		c->input_core_mask = mask;
		return 0;
	}
	case HONE_CHIPREG_INPUT_AXON_BASE: {
		uint32_t base = (uint32_t)hone_field(w->data, 0, 12);
		if (base >= cfg->axons)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "CHIPREG input_axon_base %" PRIu32 " beyond the %" PRIu32 " axons of a core",
			                 base, cfg->axons);
		c->input_axon_base = base;
		return 0;
	}
	case HONE_CHIPREG_N_INPUTS:
		c->n_inputs = (uint32_t)hone_field(w->data, 0, 16);
		return 0;
	default:
		return hone_fail(err, HONE_ERR_INVALID, "CHIPREG has no register %" PRIu32 " (0..2)", w->addr);
	}
}

static int write_axseg(hone_refchip *c, ref_core *co, const hone_write *w, hone_error *err)
{
	const hone_config *cfg = &c->cfg;
	hone_axseg s = hone_axseg_unpack(w->data);
	if (s.count) {
		uint64_t words = (uint64_t)s.count * words_per_row(cfg, s.row_neurons);
		if (s.first + s.count > cfg->axons)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "AXSEG %" PRIu32 ": axons %" PRIu32 "..%" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, s.first, s.first + s.count - 1, cfg->axons);
		if (s.neuron_first % cfg->lanes)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "AXSEG %" PRIu32 ": neuron_first %" PRIu32 " is not a multiple of the %" PRIu32 " lanes",
			                 w->addr, s.neuron_first, cfg->lanes);
		if (s.neuron_first + s.row_neurons > cfg->neurons)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "AXSEG %" PRIu32 ": rows cover slots %" PRIu32 "..%" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, s.neuron_first, s.neuron_first + s.row_neurons - 1, cfg->neurons);
		if (s.weight_base + words > cfg->weight_words)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "AXSEG %" PRIu32 ": weight words %" PRIu32 "..%" PRIu64 " beyond the %" PRIu32 " of a core",
			                 w->addr, s.weight_base, s.weight_base + words - 1, cfg->weight_words);
	}
	co->axseg[w->addr] = s;
	return 0;
}

static int write_rtseg(hone_refchip *c, ref_core *co, const hone_write *w, hone_error *err)
{
	const hone_config *cfg = &c->cfg;
	hone_rtseg r = hone_rtseg_unpack(w->data);
	if (r.count) {
		if (r.first + r.count > cfg->neurons)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "RTSEG %" PRIu32 ": slots %" PRIu32 "..%" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, r.first, r.first + r.count - 1, cfg->neurons);
		if (r.core_mask >> cfg->cores)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "RTSEG %" PRIu32 ": core_mask 0x%04" PRIx32 " names cores beyond the %" PRIu32 " of the chip",
			                 w->addr, r.core_mask, cfg->cores);
		if (r.core_mask && r.axon_base + r.count > cfg->axons)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "RTSEG %" PRIu32 ": axons %" PRIu32 "..%" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, r.axon_base, r.axon_base + r.count - 1, cfg->axons);
	}
	co->rtseg[w->addr] = r;
	return 0;
}

static int write_core(hone_refchip *c, ref_core *co, const hone_write *w, hone_error *err)
{
	const hone_config *cfg = &c->cfg;
	switch (w->mem) {
	case HONE_MEM_COREREG:
		if (w->addr == HONE_COREREG_N_NEURONS) {
			uint32_t n = (uint32_t)hone_field(w->data, 0, 13);
			if (n > cfg->neurons)
				return hone_fail(err, HONE_ERR_INVALID,
				                 "COREREG n_neurons %" PRIu32 " exceeds the %" PRIu32 " slots of a core",
				                 n, cfg->neurons);
			co->n_neurons = n;
			return 0;
		}
		if (w->addr < HONE_COREREG_PROFILE0 + HONE_N_PROFILES) {
			co->profile[w->addr - HONE_COREREG_PROFILE0] = hone_profile_unpack(w->data);
			return 0;
		}
		return hone_fail(err, HONE_ERR_INVALID, "COREREG has no register %" PRIu32 " (0..4)", w->addr);
	case HONE_MEM_AXSEG:
	case HONE_MEM_RTSEG:
	{
		uint32_t n = w->mem == HONE_MEM_AXSEG ? cfg->axon_segments : cfg->route_segments;
		if (w->addr >= n)
			return hone_fail(err, HONE_ERR_INVALID, "%s has entries 0..%" PRIu32 ", not %" PRIu32,
			                 mem_name(w->mem), n - 1, w->addr);
		return w->mem == HONE_MEM_AXSEG ? write_axseg(c, co, w, err) : write_rtseg(c, co, w, err);
	}
	case HONE_MEM_WEIGHT: {
		if (w->addr >= cfg->weight_words)
			return hone_fail(err, HONE_ERR_INVALID, "WEIGHT word %" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, cfg->weight_words);
		unsigned bits = cfg->lanes * cfg->weight_bits;
		co->weight[w->addr] = hone_field(w->data, 0, bits);
		return 0;
	}
	case HONE_MEM_NPARAM: {
		if (w->addr >= cfg->neurons)
			return hone_fail(err, HONE_ERR_INVALID, "NPARAM slot %" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, cfg->neurons);
		hone_nparam p = hone_nparam_unpack(w->data);
		int rc = pot_field(c, w->data, 0, "NPARAM threshold", &p.threshold, err);
		if (!rc)
			rc = pot_field(c, w->data, 24, "NPARAM bias", &p.bias, err);
		if (rc)
			return rc;
		co->nparam[w->addr] = p;
		return 0;
	}
	case HONE_MEM_POT:
		if (w->addr >= cfg->neurons)
			return hone_fail(err, HONE_ERR_INVALID, "POT slot %" PRIu32 " beyond the %" PRIu32 " of a core",
			                 w->addr, cfg->neurons);
		return pot_field(c, w->data, 0, "POT value", &co->pot[w->addr], err);
	default:
		return hone_fail(err, HONE_ERR_INVALID, "%s is not a core memory", mem_name(w->mem));
	}
}

int hone_refchip_write(hone_refchip *c, const hone_write *w, hone_error *err)
{
	if (!c || !w)
		return hone_fail(err, HONE_ERR_INVALID, "no chip or no write");
	int rc;
	if (w->mem > HONE_MEM_CMD)
		return hone_fail(err, HONE_ERR_INVALID, "write to memory %u: no such memory (0..7)", w->mem);
	if (w->mem == HONE_MEM_CMD) {
		if (w->addr != HONE_CMD_RESET_STATE)
			return hone_fail(err, HONE_ERR_INVALID, "CMD %" PRIu32 ": no such command (0 = reset_state)", w->addr);
		if (w->target == HONE_TARGET_CHIP) {
			for (uint32_t k = 0; k < c->cfg.cores; k++)
				reset_core(c, &c->core[k]);
			c->epoch++;
			return 0;
		}
		if (w->target >= c->cfg.cores)
			return hone_fail(err, HONE_ERR_INVALID, "CMD reset_state: core %u beyond the %" PRIu32 " of the chip",
			                 w->target, c->cfg.cores);
		reset_core(c, &c->core[w->target]);
		return 0;
	}
	if (w->target == HONE_TARGET_CHIP) {
		if (w->mem != HONE_MEM_CHIPREG)
			return hone_fail(err, HONE_ERR_INVALID, "%s write to target 0xFF: only CHIPREG and CMD are chip-level",
			                 mem_name(w->mem));
		return write_chipreg(c, w, err);
	}
	if (w->target >= c->cfg.cores)
		return hone_fail(err, HONE_ERR_INVALID, "%s write to core %u: the chip has %" PRIu32 " cores",
		                 mem_name(w->mem), w->target, c->cfg.cores);
	if (w->mem == HONE_MEM_CHIPREG)
		return hone_fail(err, HONE_ERR_INVALID, "CHIPREG write to core %u: CHIPREG is chip-level (target 0xFF)",
		                 w->target);
	rc = write_core(c, &c->core[w->target], w, err);
	return rc;
}

int hone_refchip_read(hone_refchip *c, uint8_t target, uint8_t mem,
                      uint32_t addr, uint64_t *out, hone_error *err)
{
	if (!c || !out)
		return hone_fail(err, HONE_ERR_INVALID, "no chip or no output");
	const hone_config *cfg = &c->cfg;
	if (mem >= HONE_MEM_CMD)
		return hone_fail(err, HONE_ERR_INVALID, "read of %s: not a readable memory", mem_name(mem));
	if (target == HONE_TARGET_CHIP) {
		if (mem != HONE_MEM_CHIPREG)
			return hone_fail(err, HONE_ERR_INVALID, "%s read from target 0xFF: only CHIPREG is chip-level",
			                 mem_name(mem));
		switch (addr) {
		case HONE_CHIPREG_INPUT_CORE_MASK: *out = c->input_core_mask; return 0;
		case HONE_CHIPREG_INPUT_AXON_BASE: *out = c->input_axon_base; return 0;
		case HONE_CHIPREG_N_INPUTS: *out = c->n_inputs; return 0;
		default:
			return hone_fail(err, HONE_ERR_INVALID, "CHIPREG has no register %" PRIu32 " (0..2)", addr);
		}
	}
	if (target >= cfg->cores)
		return hone_fail(err, HONE_ERR_INVALID, "%s read from core %u: the chip has %" PRIu32 " cores",
		                 mem_name(mem), target, cfg->cores);
	const ref_core *co = &c->core[target];
	uint32_t limit = 0;
	switch (mem) {
	case HONE_MEM_CHIPREG:
		return hone_fail(err, HONE_ERR_INVALID, "CHIPREG read from core %u: CHIPREG is chip-level (target 0xFF)",
		                 target);
	case HONE_MEM_COREREG: limit = 1 + HONE_N_PROFILES; break;
	case HONE_MEM_AXSEG: limit = cfg->axon_segments; break;
	case HONE_MEM_RTSEG: limit = cfg->route_segments; break;
	case HONE_MEM_WEIGHT: limit = cfg->weight_words; break;
	default: limit = cfg->neurons; break; /* NPARAM, POT */
	}
	if (addr >= limit)
		return hone_fail(err, HONE_ERR_INVALID, "%s read at %" PRIu32 " on core %u: addresses are 0..%" PRIu32,
		                 mem_name(mem), addr, target, limit - 1);
	switch (mem) {
	case HONE_MEM_COREREG:
		*out = addr == HONE_COREREG_N_NEURONS ? co->n_neurons
		                                      : hone_profile_pack(&co->profile[addr - HONE_COREREG_PROFILE0]);
		return 0;
	case HONE_MEM_AXSEG: *out = hone_axseg_pack(&co->axseg[addr]); return 0;
	case HONE_MEM_RTSEG: *out = hone_rtseg_pack(&co->rtseg[addr]); return 0;
	case HONE_MEM_WEIGHT: *out = co->weight[addr]; return 0;
	case HONE_MEM_NPARAM: *out = hone_nparam_pack(&co->nparam[addr]); return 0;
	default: *out = hone_put((uint64_t)(int64_t)co->pot[addr], 0, HONE_FIELD_POT_BITS); return 0;
	}
}

int hone_refchip_input(hone_refchip *c, uint32_t input, uint8_t g, hone_error *err)
{
	if (!c)
		return hone_fail(err, HONE_ERR_INVALID, "no chip");
	const hone_config *cfg = &c->cfg;
	if (input >= c->n_inputs)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": the chip has %" PRIu32 " inputs",
		                 input, c->n_inputs);
	if ((uint32_t)g >> cfg->input_bits)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 ": g = %u does not fit %" PRIu32 " input bits",
		                 input, g, cfg->input_bits);
	if (g == 0) /* semantics.md: an input with g = 0 sends no event */
		return 0;
	if (c->input_seen[input] == c->epoch)
		return hone_fail(err, HONE_ERR_INVALID, "input %" PRIu32 " sent twice in one tick", input);
	uint32_t axon = c->input_axon_base + input;
	/* Check every destination first, so a refused event leaves no trace. */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		if (!(c->input_core_mask >> k & 1))
			continue;
		if (axon >= cfg->axons || !find_axseg(&c->core[k], axon))
			return hone_fail(err, HONE_ERR_INVALID,
			                 "input %" PRIu32 " goes to axon %" PRIu32 " of core %" PRIu32
			                 ", which no axon segment maps",
			                 input, axon, k);
	}
	for (uint32_t k = 0; k < cfg->cores; k++)
		if (c->input_core_mask >> k & 1)
			if (queue_push(&c->core[k].next, axon, g))
				return hone_fail(err, HONE_ERR_NOMEM, "out of memory queueing input %" PRIu32, input);
	c->input_seen[input] = c->epoch;
	return 0;
}

/* Integrate one event into a core: one row of weights, w*g per slot. */
static void integrate(hone_refchip *c, ref_core *co, const hone_axseg *s, const ref_event *e)
{
	const hone_config *cfg = &c->cfg;
	uint32_t wpr = words_per_row(cfg, s->row_neurons);
	uint32_t base = s->weight_base + (e->axon - s->first) * wpr;
	for (uint32_t j = 0; j < s->row_neurons; j++) {
		uint32_t slot = s->neuron_first + j;
		if (!co->nparam[slot].enable)
			continue;
		int32_t w = hone_weight_lane(co->weight[base + j / cfg->lanes], j % cfg->lanes, cfg->weight_bits);
		co->pot[slot] = hone_wrap((int64_t)co->pot[slot] + (int64_t)w * e->g, cfg->potential_bits);
	}
	c->events++;
	c->sops += s->row_neurons;
}

static void shuffle(ref_queue *q, uint64_t *state)
{
	for (size_t i = q->n; i > 1; i--) {
		size_t j = (size_t)(next_random(state) % i);
		ref_event t = q->ev[i - 1];
		q->ev[i - 1] = q->ev[j];
		q->ev[j] = t;
	}
}

int hone_refchip_tick(hone_refchip *c, uint32_t *out, size_t cap, size_t *n_out,
                      int32_t *trace_u, uint8_t *trace_s, hone_error *err)
{
	if (!c || (cap && !out))
		return hone_fail(err, HONE_ERR_INVALID, "no chip or no output buffer");
	const hone_config *cfg = &c->cfg;
	int rc = 0;
	size_t n_spk = 0;
	uint64_t tick = c->ticks;

	/* The queued events become this tick's; spikes of this tick and the
	 * host's next inputs queue anew. */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		ref_core *co = &c->core[k];
		ref_queue t = co->cur;
		co->cur = co->next;
		co->next = t;
		co->next.n = 0;
	}
	c->epoch++;

	/* Integrate phase. A bad event is dropped and reported, but the tick
	 * still completes so the state stays that of a whole tick. */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		ref_core *co = &c->core[k];
		if (c->shuffle_state)
			shuffle(&co->cur, &c->shuffle_state);
		for (size_t i = 0; i < co->cur.n; i++) {
			const ref_event *e = &co->cur.ev[i];
			const hone_axseg *s = find_axseg(co, e->axon);
			if (!s) {
				if (!rc)
					rc = hone_fail(err, HONE_ERR_DEVICE,
					               "tick %" PRIu64 ": core %" PRIu32 " received an event on axon %u, "
					               "which no axon segment maps (event dropped)",
					               tick, k, e->axon);
				continue;
			}
			integrate(c, co, s, e);
		}
		co->cur.n = 0;
	}

	/* Fire phase: sweep, fire, route spikes to the next tick's queues. */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		ref_core *co = &c->core[k];
		int32_t *tu = trace_u ? trace_u + (size_t)k * cfg->neurons : NULL;
		uint8_t *ts = trace_s ? trace_s + (size_t)k * cfg->neurons : NULL;
		if (tu)
			memset(tu, 0, cfg->neurons * sizeof *tu);
		if (ts)
			memset(ts, 0, cfg->neurons);
		for (uint32_t n = 0; n < co->n_neurons; n++) {
			const hone_nparam *p = &co->nparam[n];
			if (!p->enable)
				continue;
			int32_t u = co->pot[n];
			bool s = hone_neuron_fire(&co->profile[p->profile], u, p->threshold, p->bias,
			                          cfg->potential_bits, &co->pot[n]);
			if (tu)
				tu[n] = u;
			if (ts)
				ts[n] = s;
			if (!s)
				continue;
			const hone_rtseg *r = find_rtseg(co, n);
			if (!r)
				continue; /* a slot with nowhere to send is legal */
			uint32_t id = r->axon_base + (n - r->first);
			for (uint32_t d = 0; d < cfg->cores; d++)
				if (r->core_mask >> d & 1)
					if (queue_push(&c->core[d].next, id, 1) && !rc)
						rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory routing a spike");
			if (r->to_host) {
				if (n_spk < cap)
					out[n_spk] = id;
				else if (!rc)
					rc = hone_fail(err, HONE_ERR_INVALID,
					               "tick %" PRIu64 ": more than %zu output spikes for the buffer", tick, cap);
				n_spk++;
			}
		}
	}
	c->ticks++;
	if (n_out)
		*n_out = n_spk < cap ? n_spk : cap;
	return rc;
}

void hone_refchip_counters(const hone_refchip *c, hone_counters *out)
{
	memset(out, 0, sizeof *out);
	out->ticks = c->ticks;
	out->events = c->events;
	out->sops = c->sops;
}
