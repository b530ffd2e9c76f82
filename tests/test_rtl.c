/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RTL (rtl/hone_chip.v in Verilator, the "sim" device) against the C
 * reference model ("ref"), bit for bit: random networks compiled onto the
 * multi-core "tiny" configuration (Whetstone and LIF, graded inputs, events
 * in random order and in bursts that fill every queue, random response
 * backpressure, resets between windows), comparing every output spike and
 * every potential (TRACE) of every tick, the counters, and memory reads.
 *
 *   HONE_RTL_NETS=n   networks in the random comparison (default 200)
 *   HONE_RTL_SEED=s   first seed (default 1)
 *   HONE_RTL_NETS_OVERLAP=n  hand-made images with overlapping segments
 *                     (default 16 on tiny, a quarter as many on up5k)
 */
#include "testutil.h"

#include "../sim/hone_vsim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static hone_device *open_sim(const char *arg)
{
	char uri[64];
	hone_error err = {0};
	hone_device *dev = NULL;
	snprintf(uri, sizeof uri, "sim:%s", arg);
	if (hone_open(uri, &dev, &err)) {
		fprintf(stderr, "open %s: %s\n", uri, err.msg);
		return NULL;
	}
	return dev;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* ------------------------------------------------------------ caps */

static void test_caps(void **state)
{
	(void)state;
	const char *names[] = {"tiny", "up5k", "sim16"};
	for (size_t i = 0; i < 3; i++) {
		if (!strstr(hone_vsim_configs(), names[i]))
			continue;
		hone_device *dev = open_sim(names[i]);
		assert_non_null(dev);
		hone_caps caps;
		hone_error err = {0};
		assert_int_equal(hone_get_caps(dev, &caps, &err), 0);
		const hone_config *cfg = hone_config_find(names[i]);
		assert_string_equal(caps.backend, "sim");
		assert_int_equal(caps.cfg.cores, cfg->cores);
		assert_int_equal(caps.cfg.lanes, cfg->lanes);
		assert_int_equal(caps.cfg.weight_bits, cfg->weight_bits);
		assert_int_equal(caps.cfg.potential_bits, cfg->potential_bits);
		assert_int_equal(caps.cfg.input_bits, cfg->input_bits);
		assert_int_equal(caps.cfg.neurons, cfg->neurons);
		assert_int_equal(caps.cfg.axons, cfg->axons);
		assert_int_equal(caps.cfg.weight_words, cfg->weight_words);
		assert_int_equal(caps.protocol_version, 2);
		assert_int_equal(strlen(caps.build_id), 8);
		hone_close(dev);
	}
}

static void test_open_uris(void **state)
{
	(void)state;
	hone_device *dev = NULL;
	hone_error err = {0};
	assert_int_equal(hone_open("sim:verilator:tiny", &dev, &err), 0);
	hone_close(dev);
	assert_int_equal(hone_open("sim:", &dev, &err), 0);
	hone_caps caps;
	assert_int_equal(hone_get_caps(dev, &caps, &err), 0); /* no config yet */
	assert_int_equal(caps.cfg.cores, 0);
	hone_close(dev);
	assert_int_equal(hone_open("sim:nosuch", &dev, &err), HONE_ERR_INVALID);
	assert_non_null(strstr(err.msg, "nosuch"));
	assert_int_equal(hone_open("sim:icarus", &dev, &err), HONE_ERR_UNSUPPORTED);
}

/* ------------------------------------------------- the comparison */

typedef struct cmp_stats {
	size_t nets, skipped, ticks, spikes, traced;
	uint64_t sops, cycles;
} cmp_stats;

static int compare_results(const hone_tick_result *a, const hone_tick_result *b,
                           uint64_t seed, uint32_t t)
{
	if (a->tick != b->tick || a->n_spikes != b->n_spikes || a->n_trace != b->n_trace) {
		fprintf(stderr, "seed %llu tick %u: ref tick %llu %zu spikes %zu trace, "
		        "sim tick %llu %zu spikes %zu trace\n", (unsigned long long)seed, t,
		        (unsigned long long)a->tick, a->n_spikes, a->n_trace,
		        (unsigned long long)b->tick, b->n_spikes, b->n_trace);
		return -1;
	}
	for (size_t i = 0; i < a->n_spikes; i++)
		if (a->spikes[i] != b->spikes[i]) {
			fprintf(stderr, "seed %llu tick %u: spike %zu is %u (ref) vs %u (sim)\n",
			        (unsigned long long)seed, t, i, a->spikes[i], b->spikes[i]);
			return -1;
		}
	for (size_t i = 0; i < a->n_trace; i++)
		if (a->trace_u[i] != b->trace_u[i] || a->trace_s[i] != b->trace_s[i]) {
			fprintf(stderr, "seed %llu tick %u: slot %zu u %d s %d (ref) vs u %d s %d (sim)\n",
			        (unsigned long long)seed, t, i, a->trace_u[i], a->trace_s[i],
			        b->trace_u[i], b->trace_s[i]);
			return -1;
		}
	return 0;
}

/* Compare every readable word the image wrote, and all potentials. */
static int compare_memories(hone_device *ref, hone_device *sim, const hone_image *img)
{
	hone_error err = {0};
	for (size_t i = 0; i < img->n_writes; i++) {
		const hone_write *w = &img->writes[i];
		if (w->mem == HONE_MEM_CMD)
			continue;
		uint64_t a = 0, b = 0;
		if (hone_read_mem(ref, w->target, w->mem, w->addr, 1, &a, &err) ||
		    hone_read_mem(sim, w->target, w->mem, w->addr, 1, &b, &err)) {
			fprintf(stderr, "read: %s\n", err.msg);
			return -1;
		}
		if (a != b) {
			fprintf(stderr, "read target %u mem %u addr %u: ref 0x%llx sim 0x%llx\n",
			        w->target, w->mem, w->addr, (unsigned long long)a, (unsigned long long)b);
			return -1;
		}
	}
	for (uint32_t c = 0; c < img->cfg.cores; c++)
		for (uint32_t n = 0; n < img->cfg.neurons; n++) {
			uint64_t a = 0, b = 0;
			if (hone_read_mem(ref, (uint8_t)c, HONE_MEM_POT, n, 1, &a, &err) ||
			    hone_read_mem(sim, (uint8_t)c, HONE_MEM_POT, n, 1, &b, &err) || a != b) {
				fprintf(stderr, "POT core %u slot %u: ref 0x%llx sim 0x%llx %s\n", c, n,
				        (unsigned long long)a, (unsigned long long)b, err.msg);
				return -1;
			}
		}
	return 0;
}

/* One random network: compile, run on both devices, compare. Returns 0,
 * 1 if the compiler refused the network, -1 on a mismatch. */
static int compare_one(uint64_t seed, const char *config, cmp_stats *st)
{
	tu_rng r = {seed};
	const hone_config *cfg = hone_config_find(config);
	tu_net_opts o = {
		.max_depth = 4, .max_inputs = 48, .max_width = 40,
		.weight_bits = (int)cfg->weight_bits, .input_bits_max = (int)cfg->input_bits,
		.potential_bits = cfg->potential_bits, .lif = 0.5, .overflow = 0,
	};
	hone_net *net = tu_random_net(&r, &o);
	assert_non_null(net);
	hone_image *img = NULL;
	hone_error err = {0};
	if (hone_compile(net, cfg, NULL, &img, &err)) {
		hone_net_free(net);
		st->skipped++;
		return 1;
	}
	uint32_t ticks = (uint32_t)tu_range(&r, 2, 12);
	size_t n_ev = 0;
	double density = (double)tu_range(&r, 5, 90) / 100.0;
	hone_event *ev = tu_random_events(&r, net, ticks, density, &n_ev);
	assert_non_null(ev);

	/* Backpressure on the response stream for a third of the networks. */
	char stall[16];
	snprintf(stall, sizeof stall, "%d", tu_chance(&r, 0.33) ? (int)tu_range(&r, 100, 700) : 0);
	setenv("HONE_VSIM_RSP_STALL", stall, 1);

	hone_device *ref = NULL, *sim = open_sim(strcmp(config, "tiny") ? config : "");
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_non_null(sim);
	int rc = 0;
	if (hone_load(ref, img, &err) || hone_load(sim, img, &err)) {
		fprintf(stderr, "seed %llu: load: %s\n", (unsigned long long)seed, err.msg);
		rc = -1;
		goto out;
	}
	if (compare_memories(ref, sim, img)) {
		fprintf(stderr, "seed %llu: memories differ after load\n", (unsigned long long)seed);
		rc = -1;
		goto out;
	}
	bool trace = tu_chance(&r, 0.85);
	bool pipelined = tu_chance(&r, 0.5);
	assert_int_equal(hone_set_trace(ref, trace, &err), 0);
	assert_int_equal(hone_set_trace(sim, trace, &err), 0);
	size_t e0 = 0;
	for (uint32_t t = 0; t < ticks && !rc; t++) {
		size_t e1 = e0;
		while (e1 < n_ev && ev[e1].tick == t)
			e1++;
		tu_shuffle_events(&r, ev + e0, e1 - e0);
		if (hone_push_events(ref, ev + e0, e1 - e0, &err) ||
		    hone_push_events(sim, ev + e0, e1 - e0, &err)) {
			fprintf(stderr, "seed %llu tick %u: push: %s\n", (unsigned long long)seed, t, err.msg);
			rc = -1;
			break;
		}
		e0 = e1;
		if (hone_end_tick(ref, &err) || hone_end_tick(sim, &err)) {
			fprintf(stderr, "seed %llu tick %u: end_tick: %s\n", (unsigned long long)seed, t, err.msg);
			rc = -1;
			break;
		}
		/* LIF windows: reset between samples, as hone_run_samples does. */
		if (net->ticks_per_sample > 1 && tu_chance(&r, 0.2)) {
			if (hone_reset_state(ref, &err) || hone_reset_state(sim, &err))
				rc = -1;
		}
		while (!rc && (!pipelined || t + 1 == ticks) && hone_pending(ref)) {
			hone_tick_result a, b;
			if (hone_next_result(ref, &a, &err) || hone_next_result(sim, &b, &err)) {
				fprintf(stderr, "seed %llu: next_result: %s\n", (unsigned long long)seed, err.msg);
				rc = -1;
				break;
			}
			rc = compare_results(&a, &b, seed, (uint32_t)a.tick);
			st->ticks++;
			st->spikes += a.n_spikes;
			st->traced += a.n_trace ? 1 : 0;
		}
	}
	if (!rc) {
		hone_counters ca, cb;
		assert_int_equal(hone_read_counters(ref, &ca, &err), 0);
		assert_int_equal(hone_read_counters(sim, &cb, &err), 0);
		if (ca.ticks != cb.ticks || ca.events != cb.events || ca.sops != cb.sops) {
			fprintf(stderr, "seed %llu: counters ticks %llu/%llu events %llu/%llu sops %llu/%llu\n",
			        (unsigned long long)seed, (unsigned long long)ca.ticks,
			        (unsigned long long)cb.ticks, (unsigned long long)ca.events,
			        (unsigned long long)cb.events, (unsigned long long)ca.sops,
			        (unsigned long long)cb.sops);
			rc = -1;
		}
		st->sops += cb.sops;
		st->cycles += cb.cycles;
	}
	/* After a reset both hold a = b everywhere, whatever was in flight. */
	if (!rc && (hone_reset_state(ref, &err) || hone_reset_state(sim, &err) ||
	            compare_memories(ref, sim, img))) {
		fprintf(stderr, "seed %llu: memories differ after the run\n", (unsigned long long)seed);
		rc = -1;
	}
	st->nets++;
out:
	unsetenv("HONE_VSIM_RSP_STALL");
	hone_close(ref);
	hone_close(sim);
	free(ev);
	hone_image_free(img);
	hone_net_free(net);
	return rc;
}

static void test_random_networks(void **state)
{
	(void)state;
	uint64_t n = env_u64("HONE_RTL_NETS", 200), seed0 = env_u64("HONE_RTL_SEED", 1);
	cmp_stats st = {0};
	int failed = 0;
	for (uint64_t k = 0; k < n && failed < 3; k++)
		if (compare_one(seed0 + k, "tiny", &st) < 0)
			failed++;
	printf("rtl vs ref: %zu networks (%zu refused by the compiler), %zu ticks, %zu spikes, "
	       "%zu traced ticks, %llu sops in %llu cycles, %d mismatching\n",
	       st.nets, st.skipped, st.ticks, st.spikes, st.traced, (unsigned long long)st.sops,
	       (unsigned long long)st.cycles, failed);
	assert_int_equal(failed, 0);
	assert_true(st.nets >= n / 2);
}

/* The single-core up5k (16 lanes, SPRAM-sized weight memory) and the
 * 16-core sim16 fabric. */
static void test_random_other_configs(void **state)
{
	(void)state;
	const char *names[] = {"up5k", "sim16"};
	uint64_t n = env_u64("HONE_RTL_NETS_OTHER", 12);
	for (size_t c = 0; c < 2; c++) {
		if (!strstr(hone_vsim_configs(), names[c]))
			continue;
		cmp_stats st = {0};
		int failed = 0;
		for (uint64_t k = 0; k < n && failed < 2; k++)
			if (compare_one(700000 + c * 10000 + k, names[c], &st) < 0)
				failed++;
		printf("%s: %zu networks, %zu ticks, %zu spikes, %d mismatching\n", names[c], st.nets,
		       st.ticks, st.spikes, failed);
		assert_int_equal(failed, 0);
	}
}

/* ------------------------------------------ overlapping segments */

/* The compiler never emits overlapping segments, so the random networks
 * above never reach rule 1 of docs/chip-image.md (the lowest segment that
 * holds an axon or a slot wins). The RTL implements it in its own ways
 * (the lookup searches from segment 0 and trusts its cached segment only
 * if no lower one overlaps it; the router clears the spike bits a lower
 * route segment sent), so hand-made images exercise them here: random
 * overlapping axon and route segments over one core, segment 7 a catch-all
 * over every axon (so every routed spike lands on a mapped axon), random
 * weights, thresholds, profiles and events, traced and compared tick by
 * tick, then every memory. Returns 0 equal, -1 differ. */
static void ov_put(hone_image *img, size_t *cap, uint8_t target, uint8_t mem, uint32_t addr,
                   uint64_t data)
{
	if (img->n_writes == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		img->writes = realloc(img->writes, *cap * sizeof *img->writes);
		assert_non_null(img->writes);
	}
	img->writes[img->n_writes++] = (hone_write){target, mem, addr, data};
}

static int compare_overlapping(uint64_t seed, const char *config)
{
	tu_rng r = {seed};
	const hone_config *cfg = hone_config_find(config);
	hone_image img = {0};
	size_t cap = 0;
	img.cfg = *cfg;
	img.cfg.memory = NULL;
	img.cfg.description = NULL;
	const uint32_t L = cfg->lanes, n_in = 48;
	const uint32_t neurons = cfg->neurons < 64 ? cfg->neurons : 64;
	uint32_t wword = 0;

	ov_put(&img, &cap, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_CORE_MASK, 1);
	ov_put(&img, &cap, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_INPUT_AXON_BASE, 0);
	ov_put(&img, &cap, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, HONE_CHIPREG_N_INPUTS, n_in);
	ov_put(&img, &cap, 0, HONE_MEM_COREREG, HONE_COREREG_N_NEURONS, neurons);
	for (uint32_t p = 0; p < HONE_N_PROFILES; p++) {
		hone_profile pr = {tu_chance(&r, 0.5) ? HONE_CARRY_LIF : HONE_CARRY_NONE,
		                   (uint8_t)tu_range(&r, 0, 4),
		                   tu_chance(&r, 0.5) ? HONE_RESET_SUBTRACT : HONE_RESET_ZERO};
		ov_put(&img, &cap, 0, HONE_MEM_COREREG, HONE_COREREG_PROFILE0 + p, hone_profile_pack(&pr));
	}
	/* axon segments 0..6 overlap each other at random; 7 holds them all */
	for (uint32_t s = 0; s < 8; s++) {
		hone_axseg a = {0};
		if (s == 7) {
			a.first = 0;
			a.count = cfg->axons;
			a.row_neurons = L;
			a.neuron_first = (uint32_t)tu_range(&r, 0, neurons / L - 1) * L;
		} else if (tu_chance(&r, 0.85)) {
			/* rows of one or two words, in what the catch-all leaves */
			uint32_t wpr = (uint32_t)tu_range(&r, 1, 2);
			uint32_t most = (cfg->weight_words - cfg->axons) / 7 / wpr;
			a.first = (uint32_t)tu_range(&r, 0, n_in - 1);
			a.count = (uint32_t)tu_range(&r, 1, n_in + 8 - a.first);
			if (a.count > most)
				a.count = most;
			a.row_neurons = (uint32_t)tu_range(&r, (wpr - 1) * L + 1, wpr * L);
			a.neuron_first = (uint32_t)tu_range(&r, 0, (neurons - a.row_neurons) / L) * L;
		}
		uint32_t wpr = (a.row_neurons + L - 1) / L;
		a.weight_base = wword;
		for (uint32_t w = 0; w < a.count * wpr; w++) {
			uint64_t v = 0;
			for (uint32_t l = 0; l < L; l++)
				v = hone_weight_set_lane(v, l, cfg->weight_bits, (int32_t)tu_range(&r, -8, 7));
			ov_put(&img, &cap, 0, HONE_MEM_WEIGHT, wword + w, v);
		}
		wword += a.count * wpr;
		assert_true(wword <= cfg->weight_words);
		ov_put(&img, &cap, 0, HONE_MEM_AXSEG, s, hone_axseg_pack(&a));
	}
	for (uint32_t n = 0; n < neurons; n++) {
		hone_nparam p = {(int32_t)tu_range(&r, 1, 40), (int32_t)tu_range(&r, -4, 6),
		                 (uint8_t)tu_range(&r, 0, 3), tu_chance(&r, 0.9)};
		ov_put(&img, &cap, 0, HONE_MEM_NPARAM, n, hone_nparam_pack(&p));
	}
	/* route segments, overlapping: back to the core and/or to the host */
	for (uint32_t s = 0; s < 8; s++) {
		hone_rtseg rt = {0};
		if (tu_chance(&r, 0.8)) {
			rt.first = (uint32_t)tu_range(&r, 0, neurons - 1);
			rt.count = (uint32_t)tu_range(&r, 1, neurons - rt.first);
			rt.core_mask = tu_chance(&r, 0.7) ? 1 : 0;
			rt.to_host = tu_chance(&r, 0.6);
			rt.axon_base = (uint32_t)tu_range(&r, 0, (rt.core_mask ? cfg->axons : 4096) - rt.count);
		}
		ov_put(&img, &cap, 0, HONE_MEM_RTSEG, s, hone_rtseg_pack(&rt));
	}
	ov_put(&img, &cap, 0, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);

	hone_error err = {0};
	hone_device *ref = NULL, *sim = open_sim(config);
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_non_null(sim);
	int rc = 0;
	if (hone_load(ref, &img, &err) || hone_load(sim, &img, &err) ||
	    hone_set_trace(ref, 1, &err) || hone_set_trace(sim, 1, &err)) {
		fprintf(stderr, "overlap seed %llu: load: %s\n", (unsigned long long)seed, err.msg);
		rc = -1;
	}
	if (!rc && compare_memories(ref, sim, &img))
		rc = -1;
	uint32_t ticks = (uint32_t)tu_range(&r, 3, 8);
	for (uint32_t t = 0; t < ticks && !rc; t++) {
		hone_event ev[48];
		size_t n = 0;
		for (uint32_t i = 0; i < n_in; i++)
			if (tu_chance(&r, 0.3))
				ev[n++] = (hone_event){.tick = t, .input = i, .g = (uint8_t)tu_range(&r, 1, 15)};
		tu_shuffle_events(&r, ev, n);
		hone_tick_result a, b;
		if (hone_push_events(ref, ev, n, &err) || hone_push_events(sim, ev, n, &err) ||
		    hone_end_tick(ref, &err) || hone_end_tick(sim, &err) ||
		    hone_next_result(ref, &a, &err) || hone_next_result(sim, &b, &err)) {
			fprintf(stderr, "overlap seed %llu tick %u: %s\n", (unsigned long long)seed, t, err.msg);
			rc = -1;
			break;
		}
		rc = compare_results(&a, &b, seed, t);
	}
	hone_counters ca, cb;
	if (!rc && (hone_read_counters(ref, &ca, &err) || hone_read_counters(sim, &cb, &err) ||
	            ca.events != cb.events || ca.sops != cb.sops || ca.ticks != cb.ticks)) {
		fprintf(stderr, "overlap seed %llu: counters differ\n", (unsigned long long)seed);
		rc = -1;
	}
	if (!rc && (hone_reset_state(ref, &err) || hone_reset_state(sim, &err) ||
	            compare_memories(ref, sim, &img)))
		rc = -1;
	hone_close(ref);
	hone_close(sim);
	free(img.writes);
	return rc;
}

static void test_overlapping_segments(void **state)
{
	(void)state;
	const char *names[] = {"tiny", "up5k"};
	uint64_t n = env_u64("HONE_RTL_NETS_OVERLAP", 16);
	for (size_t c = 0; c < 2; c++) {
		if (!strstr(hone_vsim_configs(), names[c]))
			continue;
		int failed = 0;
		uint64_t k;
		for (k = 0; k < (c ? n / 4 : n) && failed < 2; k++)
			if (compare_overlapping(800000 + c * 10000 + k, names[c]) < 0)
				failed++;
		printf("overlapping segments, %s: %llu images, %d mismatching\n", names[c],
		       (unsigned long long)k, failed);
		assert_int_equal(failed, 0);
	}
}

/* Register widths (rule 9 of docs/chip-image.md): CHIPREG holds the bits
 * the configuration needs. The widest values that fit read back as
 * written; one that does not fit is refused by the host before it reaches
 * the RTL, which keeps the value it had. */
static void test_register_widths(void **state)
{
	(void)state;
	const char *names[] = {"tiny", "up5k"};
	for (size_t c = 0; c < 2; c++) {
		if (!strstr(hone_vsim_configs(), names[c]))
			continue;
		const hone_config *cfg = hone_config_find(names[c]);
		hone_device *dev = open_sim(names[c]);
		assert_non_null(dev);
		hone_image img = {0};
		size_t cap = 0;
		img.cfg = *cfg;
		img.cfg.memory = NULL;
		img.cfg.description = NULL;
		uint64_t want[3] = {(1ull << cfg->cores) - 1, cfg->axons - 1, 0xFFFF};
		for (uint32_t i = 0; i < 3; i++)
			ov_put(&img, &cap, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, i, want[i]);
		ov_put(&img, &cap, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0);
		hone_error err = {0};
		assert_int_equal(hone_load(dev, &img, &err), 0);
		uint64_t got[3];
		assert_int_equal(hone_read_mem(dev, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 0, 3, got, &err), 0);
		for (uint32_t i = 0; i < 3; i++)
			assert_int_equal(got[i], want[i]);
		img.writes[0].data = 1ull << cfg->cores;          /* a core it does not have */
		assert_int_not_equal(hone_load(dev, &img, &err), 0);
		img.writes[0].data = want[0];
		img.writes[1].data = cfg->axons;                  /* an axon beyond the core's */
		assert_int_not_equal(hone_load(dev, &img, &err), 0);
		assert_non_null(strstr(err.msg, "input_axon_base"));
		assert_int_equal(hone_read_mem(dev, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 0, 3, got, &err), 0);
		for (uint32_t i = 0; i < 3; i++)
			assert_int_equal(got[i], want[i]);
		free(img.writes);
		hone_close(dev);
	}
}

/* The same under Verilator's random initial values: every flop and memory
 * word starts random, so anything that depends on a value reset does not
 * set shows up as a mismatch (the chip clears its memories itself). */
static void test_random_initial_values(void **state)
{
	(void)state;
	cmp_stats st = {0};
	int failed = 0;
	setenv("HONE_VSIM_RAND_RESET", "2", 1);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		char s[32];
		snprintf(s, sizeof s, "%llu", (unsigned long long)(seed * 7919));
		setenv("HONE_VSIM_SEED", s, 1);
		for (uint64_t k = 0; k < 10 && failed < 2; k++)
			if (compare_one(900000 + seed * 100 + k, "tiny", &st) < 0)
				failed++;
	}
	unsetenv("HONE_VSIM_RAND_RESET");
	unsetenv("HONE_VSIM_SEED");
	printf("random initial values: %zu networks, %d mismatching\n", st.nets, failed);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_open_uris),
		cmocka_unit_test(test_random_networks),
		cmocka_unit_test(test_random_initial_values),
		cmocka_unit_test(test_random_other_configs),
		cmocka_unit_test(test_overlapping_segments),
		cmocka_unit_test(test_register_widths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
