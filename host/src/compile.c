/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler: a network (docs/semantics.md) onto a chip configuration,
 * as the sequence of writes of docs/chip-image.md. Four passes:
 *
 *   1. widths: the network's integers must fit the chip's registers;
 *   2. the overflow bound of semantics.md, neuron by neuron, so that
 *      wrapping P-bit hardware equals unbounded arithmetic;
 *   3. placement, layer by layer: balanced (each layer split evenly over
 *      the cores, so they integrate in parallel) or greedy (cores filled in
 *      order); docs/compiler.md;
 *   4. emission: every register, segment and slot of every core, so an
 *      image defines the whole chip, ending with CMD reset_state.
 *
 * Everything the compiler refuses is refused with the layer, the neuron
 * or resource, and the numbers, because "does not fit" alone helps nobody.
 */
#include "hone_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ widths */

static int check_widths(const hone_net *net, const hone_config *cfg, hone_error *err)
{
	if (net->weight_bits > cfg->weight_bits)
		return hone_fail(err, HONE_ERR_NOFIT,
		                 "the network's weights are %d-bit but %s stores %u-bit weights",
		                 net->weight_bits, cfg->name, cfg->weight_bits);
	if (net->input_bits > cfg->input_bits)
		return hone_fail(err, HONE_ERR_NOFIT,
		                 "the network's inputs are %d-bit graded values but %s's input "
		                 "port carries %u bits",
		                 net->input_bits, cfg->name, cfg->input_bits);
	return 0;
}

/* ----------------------------------------------------- overflow bound */

static const char *mode_name(uint8_t carry)
{
	return carry == HONE_CARRY_LIF ? "lif" : "none";
}

/*
 * semantics.md: S+ and S- over the neuron's row with gmax, then the range
 * of u in the layer's mode. Every partial sum of any arrival order lies in
 * [b + S-, b + S+] (plus the carried v in lif mode), so checking the two
 * ends is the whole proof.
 */
static int check_overflow(const hone_net *net, const hone_config *cfg, hone_error *err)
{
	const unsigned P = cfg->potential_bits;
	const int64_t pmin = -(1ll << (P - 1)), pmax = (1ll << (P - 1)) - 1;
	const int64_t vmin = -(1ll << (P - 2)), vmax = (1ll << (P - 2)) - 1;
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *ly = &net->layers[l];
		const int64_t gmax = l == 0 ? (1ll << net->input_bits) - 1 : 1;
		const bool lif = ly->carry == HONE_CARRY_LIF;
		for (int32_t j = 0; j < ly->n_out; j++) {
			const int64_t b = ly->bias[j], th = ly->threshold[j];
			if (b < pmin || b > pmax)
				return hone_fail(err, HONE_ERR_OVERFLOW,
				                 "layer %d (%s) neuron %d: bias %" PRId64 " does not fit "
				                 "%s's %u-bit potentials (%" PRId64 "..%" PRId64 ")",
				                 (int)l + 1, ly->name, (int)j, b, cfg->name, P, pmin, pmax);
			if (th < pmin || th > pmax)
				return hone_fail(err, HONE_ERR_OVERFLOW,
				                 "layer %d (%s) neuron %d: threshold %" PRId64 " does not "
				                 "fit %s's %u-bit potentials (%" PRId64 "..%" PRId64 ")",
				                 (int)l + 1, ly->name, (int)j, th, cfg->name, P, pmin, pmax);
			const int32_t *row = &ly->weight[(size_t)j * (size_t)ly->n_in];
			int64_t sp = 0, sn = 0;
			for (int32_t i = 0; i < ly->n_in; i++) {
				if (row[i] > 0)
					sp += row[i] * gmax;
				else
					sn += row[i] * gmax;
			}
			const int64_t hi = (lif ? vmax : 0) + b + sp;
			const int64_t lo = (lif ? vmin : 0) + b + sn;
			if (hi > pmax) {
				char carried[64] = "";
				if (lif)
					snprintf(carried, sizeof carried, "carried v up to %" PRId64 " + ", vmax);
				return hone_fail(err, HONE_ERR_OVERFLOW,
				                 "layer %d (%s) neuron %d: u can reach %" PRId64 " (%sbias %"
				                 PRId64 " + S+ %" PRId64 ") but %s potentials are %u-bit "
				                 "(max %" PRId64 ")",
				                 (int)l + 1, ly->name, (int)j, hi, carried, b, sp,
				                 cfg->name, P, pmax);
			}
			if (lo < pmin) {
				char carried[64] = "";
				if (lif)
					snprintf(carried, sizeof carried, "carried v down to %" PRId64 " + ", vmin);
				return hone_fail(err, HONE_ERR_OVERFLOW,
				                 "layer %d (%s) neuron %d: u can fall to %" PRId64 " (%sbias %"
				                 PRId64 " + S- %" PRId64 ") but %s potentials are %u-bit "
				                 "(min %" PRId64 ")",
				                 (int)l + 1, ly->name, (int)j, lo, carried, b, sn,
				                 cfg->name, P, pmin);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------- placement */

/* What stops a core from taking (more of) a layer. */
enum resource {
	RES_NONE, RES_SLOTS, RES_WORDS, RES_AXONS, RES_AXSEG, RES_RTSEG,
	RES_PROFILES, RES_COUNT
};

typedef struct core_state {
	uint32_t next_slot, next_word, next_axon;
	uint32_t n_seg;                 /* chunks: one AXSEG and one RTSEG each */
	uint32_t n_prof;
	hone_profile prof[HONE_N_PROFILES];
} core_state;

/* What emission needs beyond the public hone_chunk. */
typedef struct chunk_info {
	uint32_t weight_base, words_per_row, seg;
	uint8_t profile;
} chunk_info;

typedef struct placement {
	int32_t n_chunks;
	hone_chunk *chunks;       /* ordered by layer, then core */
	chunk_info *info;
	uint32_t *src_base;       /* [layer]: axon base of the layer's source */
	uint32_t *mask;           /* [layer]: cores holding a chunk of it */
	core_state *core;         /* [cfg->cores] */
} placement;

static void placement_free(placement *pl)
{
	free(pl->chunks);
	free(pl->info);
	free(pl->src_base);
	free(pl->mask);
	free(pl->core);
}

static uint32_t align_up(uint32_t x, uint32_t a)
{
	return (x + a - 1) / a * a;
}

static uint32_t ceil_div(uint32_t x, uint32_t a)
{
	return (x + a - 1) / a;
}

static bool profile_eq(const hone_profile *a, const hone_profile *b)
{
	return a->carry == b->carry && a->leak_shift == b->leak_shift && a->reset == b->reset;
}

static int find_profile(const core_state *cs, const hone_profile *p)
{
	for (uint32_t i = 0; i < cs->n_prof; i++)
		if (profile_eq(&cs->prof[i], p))
			return (int)i;
	return -1;
}

static uint32_t free_slots(const hone_config *cfg, const core_state *cs)
{
	uint32_t first = align_up(cs->next_slot, cfg->lanes);
	return first < cfg->neurons ? cfg->neurons - first : 0;
}

static uint32_t segments_per_core(const hone_config *cfg)
{
	return cfg->axon_segments < cfg->route_segments ? cfg->axon_segments
	                                                : cfg->route_segments;
}

/*
 * How many neurons of a layer with n_in inputs and profile p the core can
 * take now; *why receives the resource that sets the limit.
 */
static uint32_t core_capacity(const hone_config *cfg, const core_state *cs,
                              uint32_t n_in, const hone_profile *p,
                              enum resource *why)
{
	if (cs->n_seg >= cfg->axon_segments) {
		*why = RES_AXSEG;
		return 0;
	}
	if (cs->n_seg >= cfg->route_segments) {
		*why = RES_RTSEG;
		return 0;
	}
	if (find_profile(cs, p) < 0 && cs->n_prof >= HONE_N_PROFILES) {
		*why = RES_PROFILES;
		return 0;
	}
	if ((uint64_t)cs->next_axon + n_in > cfg->axons) {
		*why = RES_AXONS;
		return 0;
	}
	uint32_t slots = free_slots(cfg, cs);
	uint64_t words = (uint64_t)(cfg->weight_words - cs->next_word) / n_in * cfg->lanes;
	if (slots <= words) {
		*why = RES_SLOTS;
		return slots;
	}
	*why = RES_WORDS;
	return (uint32_t)words;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Explain why layer l did not fit; totals are taken before the layer. */
static int nofit(const hone_net *net, const hone_config *cfg, int32_t l,
                 bool balanced, int32_t placed, const core_state *before,
                 const enum resource *why, hone_error *err)
{
	const hone_layer *ly = &net->layers[l];
	char msg[HONE_ERROR_MSG_LEN];
	size_t n = 0;
#define APPEND(...)                                                              \
	do {                                                                     \
		if (n < sizeof msg)                                              \
			n += (size_t)snprintf(msg + n, sizeof msg - n, __VA_ARGS__); \
	} while (0)

	uint64_t slots_free = 0, words_free = 0;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		slots_free += free_slots(cfg, &before[k]);
		words_free += cfg->weight_words - before[k].next_word;
	}
	const uint64_t slots_need = (uint64_t)ly->n_out;
	const uint64_t words_need = (uint64_t)ly->n_in * ceil_div((uint32_t)ly->n_out, cfg->lanes);

	APPEND("layer %d (%s): ", (int)l + 1, ly->name);
	bool any = false;
	/* Shortfalls in total come first: no placement could cure them. */
	if (slots_need > slots_free) {
		APPEND("needs %" PRIu64 " neuron slots, %" PRIu64 " free on %u core%s of %s "
		       "(%u per core)",
		       slots_need, slots_free, cfg->cores, plural(cfg->cores), cfg->name,
		       cfg->neurons);
		any = true;
	}
	if (words_need > words_free) {
		APPEND("%sneeds %" PRIu64 " weight words, %" PRIu64 " free on %u core%s of %s "
		       "(%u per core)",
		       any ? "; " : "", words_need, words_free, cfg->cores, plural(cfg->cores),
		       cfg->name, cfg->weight_words);
		any = true;
	}
	if (!any) {
		/* Enough in total, but no core has room for the rest: say what
		 * stops each core. */
		unsigned count[RES_COUNT] = {0};
		for (uint32_t k = 0; k < cfg->cores; k++)
			count[why[k]]++;
		APPEND("%s %d of %d neurons, no core of %s has room for the rest:",
		       balanced ? "room for" : "placed", (int)placed, (int)ly->n_out, cfg->name);
		const char *sep = " ";
		for (int r = RES_SLOTS; r < RES_COUNT; r++) {
			if (!count[r])
				continue;
			APPEND("%s%u core%s ", sep, count[r], plural(count[r]));
			switch (r) {
			case RES_SLOTS:
				APPEND("out of neuron slots (%u per core, %u lanes to a word)",
				       cfg->neurons, cfg->lanes);
				break;
			case RES_WORDS:
				APPEND("out of weight words (%d per %u neurons, %u per core)",
				       (int)ly->n_in, cfg->lanes, cfg->weight_words);
				break;
			case RES_AXONS:
				APPEND("out of axons (%d needed, %u per core)", (int)ly->n_in, cfg->axons);
				break;
			case RES_AXSEG:
				APPEND("out of axon segments (%u per core)", cfg->axon_segments);
				break;
			case RES_RTSEG:
				APPEND("out of route segments (%u per core)", cfg->route_segments);
				break;
			case RES_PROFILES:
				APPEND("out of neuron profiles (%d per core, none is %s/leak %u/%s)",
				       HONE_N_PROFILES, mode_name(ly->carry), ly->leak_shift,
				       ly->reset == HONE_RESET_SUBTRACT ? "subtract" : "zero");
				break;
			}
			sep = ", ";
		}
	}
#undef APPEND
	return hone_fail(err, HONE_ERR_NOFIT, "%s", msg);
}

/* Add a chunk of c neurons of layer l (from neuron_first) on core k. The
 * caller checked that the core has the room (core_capacity). */
static void add_chunk(const hone_config *cfg, placement *pl, int32_t l, uint32_t k,
                      uint32_t n_in, const hone_profile *p, uint32_t neuron_first,
                      uint32_t c)
{
	core_state *cs = &pl->core[k];
	int prof = find_profile(cs, p);
	if (prof < 0) {
		prof = (int)cs->n_prof;
		cs->prof[cs->n_prof++] = *p;
	}
	hone_chunk *ch = &pl->chunks[pl->n_chunks];
	chunk_info *ci = &pl->info[pl->n_chunks];
	ch->layer = l;
	ch->core = (int32_t)k;
	ch->slot_first = (int32_t)align_up(cs->next_slot, cfg->lanes);
	ch->neuron_first = (int32_t)neuron_first;
	ch->count = (int32_t)c;
	ci->words_per_row = ceil_div(c, cfg->lanes);
	ci->weight_base = cs->next_word;
	ci->seg = cs->n_seg;
	ci->profile = (uint8_t)prof;
	pl->n_chunks++;
	cs->next_slot = (uint32_t)ch->slot_first + c;
	cs->next_word += n_in * ci->words_per_row;
	cs->n_seg++;
}

/* Greedy: cores in order, each takes all it can. Returns the neurons
 * placed; why[k] says what stopped core k (RES_NONE if nothing did). */
static uint32_t place_layer_greedy(const hone_net *net, const hone_config *cfg,
                                   placement *pl, int32_t l, enum resource *why,
                                   uint32_t *mask)
{
	const hone_layer *ly = &net->layers[l];
	const uint32_t n_in = (uint32_t)ly->n_in;
	const hone_profile p = { ly->carry, ly->leak_shift, ly->reset };
	uint32_t remaining = (uint32_t)ly->n_out, next_neuron = 0;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		why[k] = RES_NONE;
		if (remaining == 0)
			continue;
		uint32_t cap = core_capacity(cfg, &pl->core[k], n_in, &p, &why[k]);
		if (cap == 0)
			continue;
		uint32_t c = cap < remaining ? cap : remaining;
		if (c == remaining)
			why[k] = RES_NONE;
		add_chunk(cfg, pl, l, k, n_in, &p, next_neuron, c);
		*mask |= 1u << k;
		next_neuron += c;
		remaining -= c;
	}
	return next_neuron;
}

/*
 * Balanced: the layer's lane groups (ceil(n_out / lanes) words per row)
 * are shared out as evenly as the cores' room allows (water-filling: the
 * smallest t such that every core taking min(room, t) groups holds them
 * all). Cores that take t groups rather than t-1 are chosen round-robin
 * from *rot, which moves on from layer to layer, so the larger shares of
 * successive layers land on different cores. Neurons are dealt out in core
 * order; only the last chunk can end inside a word. Returns the neurons
 * placed: all of them, or 0 when the cores' room in total is too small
 * (then *fits receives what would fit, for the message).
 */
static uint32_t place_layer_balanced(const hone_net *net, const hone_config *cfg,
                                     placement *pl, int32_t l, enum resource *why,
                                     uint32_t *mask, uint32_t *rot, uint32_t *fits)
{
	const hone_layer *ly = &net->layers[l];
	const uint32_t n_in = (uint32_t)ly->n_in, L = cfg->lanes;
	const hone_profile p = { ly->carry, ly->leak_shift, ly->reset };
	const uint32_t groups = ceil_div((uint32_t)ly->n_out, L);
	uint32_t room[16], share[16], total = 0, tmax = 0; /* cores <= 16: hone_config_check */
	for (uint32_t k = 0; k < cfg->cores; k++) {
		room[k] = core_capacity(cfg, &pl->core[k], n_in, &p, &why[k]) / L;
		total += room[k];
		if (room[k] > tmax)
			tmax = room[k];
	}
	if (total < groups) {
		*fits = total * L;
		return 0;
	}
	uint32_t t = 1;
	for (;; t++) {
		uint32_t held = 0;
		for (uint32_t k = 0; k < cfg->cores; k++)
			held += room[k] < t ? room[k] : t;
		if (held >= groups || t >= tmax)
			break;
	}
	uint32_t left = groups;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		share[k] = room[k] < t - 1 ? room[k] : t - 1;
		left -= share[k];
	}
	const uint32_t start = *rot;
	for (uint32_t i = 0; i < cfg->cores && left > 0; i++) {
		uint32_t k = (start + i) % cfg->cores;
		if (room[k] >= t) {
			share[k]++;
			left--;
			*rot = (k + 1) % cfg->cores;
		}
	}
	uint32_t remaining = (uint32_t)ly->n_out, next_neuron = 0;
	for (uint32_t k = 0; k < cfg->cores; k++) {
		why[k] = RES_NONE;
		if (share[k] == 0)
			continue;
		uint32_t c = share[k] * L < remaining ? share[k] * L : remaining;
		add_chunk(cfg, pl, l, k, n_in, &p, next_neuron, c);
		*mask |= 1u << k;
		next_neuron += c;
		remaining -= c;
	}
	return next_neuron;
}

static int place(const hone_net *net, const hone_config *cfg, int balanced,
                 placement *pl, hone_error *err)
{
	const int32_t D = net->n_layers;
	int32_t max_chunks = 0;
	for (int32_t l = 0; l < D; l++)
		max_chunks += (int32_t)cfg->cores;
	pl->chunks = calloc((size_t)max_chunks, sizeof *pl->chunks);
	pl->info = calloc((size_t)max_chunks, sizeof *pl->info);
	pl->src_base = calloc((size_t)D, sizeof *pl->src_base);
	pl->mask = calloc((size_t)D, sizeof *pl->mask);
	pl->core = calloc(cfg->cores, sizeof *pl->core);
	core_state *before = calloc(cfg->cores, sizeof *before);
	enum resource *why = calloc(cfg->cores, sizeof *why);
	int rc = 0;
	if (!pl->chunks || !pl->info || !pl->src_base || !pl->mask || !pl->core ||
	    !before || !why) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory placing the network");
		goto out;
	}

	uint32_t rot = 0;
	for (int32_t l = 0; l < D && rc == 0; l++) {
		const hone_layer *ly = &net->layers[l];
		const uint32_t n_in = (uint32_t)ly->n_in;
		if (n_in > cfg->axons) {
			rc = hone_fail(err, HONE_ERR_NOFIT,
			               "layer %d (%s): needs %u axons (one per input) but a core "
			               "of %s has %u",
			               (int)l + 1, ly->name, n_in, cfg->name, cfg->axons);
			break;
		}
		memcpy(before, pl->core, cfg->cores * sizeof *before);
		uint32_t mask = 0, placed, fits = 0;
		if (balanced) {
			placed = place_layer_balanced(net, cfg, pl, l, why, &mask, &rot, &fits);
			if (placed < (uint32_t)ly->n_out) {
				rc = nofit(net, cfg, l, true, (int32_t)fits, before, why, err);
				break;
			}
		} else {
			placed = place_layer_greedy(net, cfg, pl, l, why, &mask);
			if (placed < (uint32_t)ly->n_out) {
				rc = nofit(net, cfg, l, false, (int32_t)placed, before, why, err);
				break;
			}
		}
		/* Route segments carry one axon_base for every core of their
		 * mask, so the layer's source needs one axon range on all of
		 * its cores: the highest next-free axon among them. Each core
		 * passed next_axon + n_in <= axons, so the maximum does too. */
		uint32_t base = 0;
		for (uint32_t k = 0; k < cfg->cores; k++)
			if ((mask >> k & 1) && pl->core[k].next_axon > base)
				base = pl->core[k].next_axon;
		for (uint32_t k = 0; k < cfg->cores; k++)
			if (mask >> k & 1)
				pl->core[k].next_axon = base + n_in;
		pl->src_base[l] = base;
		pl->mask[l] = mask;
	}
	/* Output ids are axon_base + offset, and axon_base is a 12-bit
	 * field: a chunk of the last layer cannot start past neuron 4095. */
	for (int32_t i = 0; i < pl->n_chunks && rc == 0; i++) {
		const hone_chunk *ch = &pl->chunks[i];
		if (ch->layer == D - 1 && ch->neuron_first > 4095)
			rc = hone_fail(err, HONE_ERR_NOFIT,
			               "layer %d (%s): output neurons from %d on start a route "
			               "segment whose 12-bit axon_base cannot name them (max 4095)",
			               (int)D, net->layers[D - 1].name, (int)ch->neuron_first);
	}
out:
	free(before);
	free(why);
	return rc;
}

static void print_placement(const hone_net *net, const hone_config *cfg,
                            const placement *pl, bool balanced, int mode)
{
	fprintf(stderr, "%s placement%s on %s (%u core%s x %u slots, %u lanes, %u weight words, "
	        "%u axons):\n", balanced ? "balanced" : "greedy",
	        mode == HONE_PLACE_AUTO && !balanced && cfg->cores > 1 ?
	                " (balanced does not fit)" : "",
	        cfg->name, cfg->cores, plural(cfg->cores), cfg->neurons,
	        cfg->lanes, cfg->weight_words, cfg->axons);
	fprintf(stderr, "  %-5s %-16s %4s  %-11s  %-11s  %-11s  %-13s  %s\n", "layer", "name",
	        "core", "neurons", "slots", "axons", "weight words", "profile");
	for (int32_t i = 0; i < pl->n_chunks; i++) {
		const hone_chunk *ch = &pl->chunks[i];
		const chunk_info *ci = &pl->info[i];
		const hone_layer *ly = &net->layers[ch->layer];
		char nr[24], sr[24], ar[24], wr[24];
		snprintf(nr, sizeof nr, "%d..%d", (int)ch->neuron_first,
		         (int)(ch->neuron_first + ch->count - 1));
		snprintf(sr, sizeof sr, "%d..%d", (int)ch->slot_first,
		         (int)(ch->slot_first + ch->count - 1));
		snprintf(ar, sizeof ar, "%u..%u", pl->src_base[ch->layer],
		         pl->src_base[ch->layer] + (uint32_t)ly->n_in - 1);
		snprintf(wr, sizeof wr, "%u..%u", ci->weight_base,
		         ci->weight_base + (uint32_t)ly->n_in * ci->words_per_row - 1);
		fprintf(stderr, "  %-5d %-16.16s %4d  %-11s  %-11s  %-11s  %-13s  %u (%s)\n",
		        (int)ch->layer + 1, ly->name, (int)ch->core, nr, sr, ar, wr,
		        ci->profile, mode_name(ly->carry));
	}
	for (uint32_t k = 0; k < cfg->cores; k++) {
		const core_state *cs = &pl->core[k];
		fprintf(stderr, "  core %u: %u/%u slots, %u/%u weight words (%.1f%%), %u/%u axons, "
		        "%u/%u segments, %u/%d profiles\n", k, cs->next_slot, cfg->neurons,
		        cs->next_word, cfg->weight_words,
		        100.0 * cs->next_word / cfg->weight_words, cs->next_axon, cfg->axons,
		        cs->n_seg, segments_per_core(cfg), cs->n_prof, HONE_N_PROFILES);
	}
}

/* ----------------------------------------------------------- emission */

typedef struct emitter {
	hone_write *w;
	size_t n, cap;
} emitter;

static void emit(emitter *e, uint8_t target, uint8_t mem, uint32_t addr, uint64_t data)
{
	/* The capacity was counted exactly beforehand. */
	e->w[e->n++] = (hone_write){ .target = target, .mem = mem, .addr = addr, .data = data };
}

static int emit_image(const hone_net *net, const hone_config *cfg, const placement *pl,
                      hone_image *img, hone_error *err)
{
	const int32_t D = net->n_layers;
	size_t total = 3 + 1;
	for (uint32_t k = 0; k < cfg->cores; k++)
		total += 1 + HONE_N_PROFILES + cfg->axon_segments + cfg->route_segments +
		         cfg->neurons + pl->core[k].next_word;
	emitter e = { .w = calloc(total, sizeof *e.w), .cap = total };
	uint64_t *nparam = calloc(cfg->neurons, sizeof *nparam);
	uint64_t *words = calloc(cfg->weight_words, sizeof *words);
	if (!e.w || !nparam || !words) {
		free(e.w);
		free(nparam);
		free(words);
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory emitting the image");
	}

	emit(&e, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, pl->mask[0]);
	emit(&e, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, pl->src_base[0]);
	emit(&e, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, (uint64_t)net->n_inputs);

	for (uint32_t k = 0; k < cfg->cores; k++) {
		const core_state *cs = &pl->core[k];
		const uint8_t t = (uint8_t)k;
		uint64_t axseg[8] = {0}, rtseg[8] = {0};
		memset(nparam, 0, cfg->neurons * sizeof *nparam);
		memset(words, 0, cs->next_word * sizeof *words);

		for (int32_t i = 0; i < pl->n_chunks; i++) {
			const hone_chunk *ch = &pl->chunks[i];
			const chunk_info *ci = &pl->info[i];
			if ((uint32_t)ch->core != k)
				continue;
			const hone_layer *ly = &net->layers[ch->layer];
			const uint32_t c = (uint32_t)ch->count;
			hone_axseg as = {
				.first = pl->src_base[ch->layer], .count = (uint32_t)ly->n_in,
				.weight_base = ci->weight_base,
				.neuron_first = (uint32_t)ch->slot_first, .row_neurons = c,
			};
			axseg[ci->seg] = hone_axseg_pack(&as);
			hone_rtseg rs = { .first = (uint32_t)ch->slot_first, .count = c };
			if (ch->layer == D - 1) {
				/* Output ids are neuron indices of the last layer. */
				rs.axon_base = (uint32_t)ch->neuron_first;
				rs.to_host = true;
			} else {
				rs.core_mask = pl->mask[ch->layer + 1];
				rs.axon_base = pl->src_base[ch->layer + 1] + (uint32_t)ch->neuron_first;
			}
			rtseg[ci->seg] = hone_rtseg_pack(&rs);
			for (uint32_t j = 0; j < c; j++) {
				const int32_t nrn = ch->neuron_first + (int32_t)j;
				hone_nparam np = {
					.threshold = ly->threshold[nrn], .bias = ly->bias[nrn],
					.profile = ci->profile, .enable = true,
				};
				nparam[(uint32_t)ch->slot_first + j] = hone_nparam_pack(&np);
			}
			/* Row of input x: words_per_row words; neuron j of the
			 * chunk is slot slot_first + j, lane j % lanes because
			 * slot_first is a multiple of lanes. */
			for (int32_t x = 0; x < ly->n_in; x++) {
				uint64_t *row = &words[ci->weight_base + (uint32_t)x * ci->words_per_row];
				for (uint32_t j = 0; j < c; j++) {
					int32_t w = ly->weight[(size_t)(ch->neuron_first + (int32_t)j) *
					                       (size_t)ly->n_in + (size_t)x];
					row[j / cfg->lanes] = hone_weight_set_lane(
						row[j / cfg->lanes], j % cfg->lanes, cfg->weight_bits, w);
				}
			}
		}

		emit(&e, t, HONE_MEM_COREREG, HONE_COREREG_N_NEURONS, cs->next_slot);
		for (uint32_t p = 0; p < HONE_N_PROFILES; p++)
			emit(&e, t, HONE_MEM_COREREG, HONE_COREREG_PROFILE0 + p,
			     p < cs->n_prof ? hone_profile_pack(&cs->prof[p]) : 0);
		for (uint32_t s = 0; s < cfg->axon_segments; s++)
			emit(&e, t, HONE_MEM_AXSEG, s, axseg[s]);
		for (uint32_t s = 0; s < cfg->route_segments; s++)
			emit(&e, t, HONE_MEM_RTSEG, s, rtseg[s]);
		for (uint32_t s = 0; s < cfg->neurons; s++)
			emit(&e, t, HONE_MEM_NPARAM, s, nparam[s]);
		for (uint32_t a = 0; a < cs->next_word; a++)
			emit(&e, t, HONE_MEM_WEIGHT, a, words[a]);
	}
	emit(&e, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
	free(nparam);
	free(words);
	img->writes = e.w;
	img->n_writes = e.n;
	return 0;
}

/* --------------------------------------------------------------- entry */

int hone_compile(const hone_net *net, const hone_config *cfg,
                 const hone_compile_opts *opts, hone_image **out,
                 hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "hone_compile: no output pointer");
	*out = NULL;
	if (!cfg)
		return hone_fail(err, HONE_ERR_INVALID, "hone_compile: no configuration");
	int rc = hone_net_check(net, err);
	if (rc)
		return rc;
	if ((rc = hone_config_check(cfg, err)) ||
	    (rc = check_widths(net, cfg, err)) ||
	    (rc = check_overflow(net, cfg, err)))
		return rc;

	const int mode = opts ? opts->placement : HONE_PLACE_AUTO;
	if (mode != HONE_PLACE_AUTO && mode != HONE_PLACE_GREEDY && mode != HONE_PLACE_BALANCED)
		return hone_fail(err, HONE_ERR_INVALID, "hone_compile: unknown placement %d "
		                 "(0 auto, 1 greedy, 2 balanced)", mode);
	/* Auto: balanced on several cores; where that does not fit, greedy,
	 * whose refusal is the one reported. So auto fits exactly what
	 * greedy or balanced fits. On one core the two are the same. */
	bool balanced = mode == HONE_PLACE_BALANCED ||
	                (mode == HONE_PLACE_AUTO && cfg->cores > 1);
	placement pl = {0};
	hone_error berr = {0};
	rc = place(net, cfg, balanced, &pl, balanced ? &berr : err);
	if (rc == HONE_ERR_NOFIT && balanced) {
		placement_free(&pl);
		memset(&pl, 0, sizeof pl);
		hone_error gerr = {0};
		int grc = place(net, cfg, false, &pl, &gerr);
		if (mode == HONE_PLACE_AUTO) {
			rc = grc;
			balanced = false;
			if (grc)
				hone_fail(err, grc, "%s", gerr.msg);
		} else {
			/* Explicit balanced: its own refusal, and a hint. */
			hone_fail(err, rc, "%s%s", berr.msg,
			          grc == 0 ? " (the greedy placement fits this network)" : "");
		}
	} else if (rc && balanced) {
		hone_fail(err, rc, "%s", berr.msg);
	}
	if (rc) {
		placement_free(&pl);
		return rc;
	}
	if (opts && opts->verbose)
		print_placement(net, cfg, &pl, balanced, mode);

	hone_image *img = calloc(1, sizeof *img);
	const int32_t n_out = net->layers[net->n_layers - 1].n_out;
	if (img)
		img->output_class = malloc((size_t)n_out * sizeof *img->output_class);
	if (!img || !img->output_class) {
		hone_image_free(img);
		placement_free(&pl);
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory building the image");
	}
	img->cfg = *cfg;
	img->cfg.memory = NULL;
	img->cfg.description = NULL;
	img->n_inputs = net->n_inputs;
	img->n_outputs = n_out;
	img->n_classes = net->n_classes;
	img->depth = net->n_layers;
	img->ticks_per_sample = net->ticks_per_sample;
	img->carry = HONE_CARRY_NONE;
	for (int32_t l = 0; l < net->n_layers; l++)
		if (net->layers[l].carry == HONE_CARRY_LIF)
			img->carry = HONE_CARRY_LIF;
	img->input_bits = net->input_bits;
	memcpy(img->output_class, net->output_class, (size_t)n_out * sizeof *img->output_class);

	rc = emit_image(net, cfg, &pl, img, err);
	if (rc == 0) {
		/* Hand the chunk array over, trimmed to what was used. */
		img->n_chunks = pl.n_chunks;
		img->chunks = pl.chunks;
		pl.chunks = NULL;
		hone_chunk *trim = realloc(img->chunks, (size_t)img->n_chunks * sizeof *trim);
		if (trim)
			img->chunks = trim;
	}
	placement_free(&pl);
	if (rc) {
		hone_image_free(img);
		return rc;
	}
	*out = img;
	return 0;
}
