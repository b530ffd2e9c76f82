/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The headline property: for random networks within the contract, the
 * compiled image run on the reference model of the chip agrees with the
 * network-level evaluator spike for spike and potential for potential,
 * every tick, whatever the order events arrive in; and every network the
 * compiler refuses is refused for a reason this test can confirm.
 *
 * Networks: depth 1-4, random sizes, W-bit weights with random sparsity,
 * thresholds and biases, Whetstone and LIF (per-layer leak and reset,
 * some layers carry-free), binary and graded inputs; mostly on "tiny"
 * (4 cores of 32 slots, so layers split across cores), some on "sim16"
 * and "up5k". Inputs: random events over several ticks, pushed in shuffled
 * order, integrated in shuffled order (hone_refchip_set_shuffle), with a
 * reset_state in the middle of some runs. One network in eight is also
 * classified through the device API (hone_run_samples on "ref:") and
 * compared with hone_net_classify.
 *
 * HONE_PROPERTY_SEED and HONE_PROPERTY_NETS override the seed and the
 * number of networks that must compile (default 3000; the contract asks
 * for at least 1000); the summary line
 * gives the figures to quote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <time.h>

#include "testutil.h"

typedef struct stats {
	uint64_t generated, compiled, refused_overflow, refused_nofit;
	uint64_t per_cfg[3], lif_nets, resets;
	uint64_t split;         /* networks with a layer spread over several cores */
	uint64_t ticks, neuron_spikes, output_spikes, potentials, samples;
	uint64_t ticks_with_output;
	uint64_t beyond_clamp;  /* u outside [VMIN, VMAX]: where the clamp acts */
	uint64_t mismatches;
	char first_nofit[HONE_ERROR_MSG_LEN], first_overflow[HONE_ERROR_MSG_LEN];
} stats;

static void mismatch(stats *st, uint64_t seed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mismatch(stats *st, uint64_t seed, const char *fmt, ...)
{
	if (st->mismatches++ < 20) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "MISMATCH (network seed %" PRIu64 "): ", seed);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* One run segment: `ticks` ticks from the reset state, events ev. */
static void run_segment(stats *st, uint64_t seed, tu_rng *r, hone_refchip *chip,
                        const hone_net *net, const hone_image *img, const int32_t *map,
                        const hone_event *ev, size_t n_ev, uint32_t ticks)
{
	const hone_config *cfg = &img->cfg;
	const int32_t total = hone_net_total_neurons(net);
	const int32_t n_last = net->layers[net->n_layers - 1].n_out;
	const size_t slots = (size_t)cfg->cores * cfg->neurons;
	int32_t *u_all = malloc((size_t)ticks * (size_t)total * sizeof *u_all);
	uint8_t *s_all = malloc((size_t)ticks * (size_t)total);
	uint8_t *spk = malloc((size_t)ticks * (size_t)n_last);
	int32_t *tu = malloc(slots * sizeof *tu);
	uint8_t *ts = malloc(slots);
	uint32_t *out = malloc(slots * sizeof *out);
	hone_event *tick_ev = malloc((n_ev + 1) * sizeof *tick_ev);
	assert_true(u_all && s_all && spk && tu && ts && out && tick_ev);

	hone_error e = {0};
	if (hone_evaluate_pbits(net, cfg->potential_bits, ev, n_ev, ticks, spk, u_all, s_all, &e))
		fail_msg("evaluate (seed %" PRIu64 "): %s", seed, e.msg);
	const int64_t pmin = -(1ll << (cfg->potential_bits - 1)), pmax = (1ll << (cfg->potential_bits - 1)) - 1;
	const int64_t vmin = -(1ll << (cfg->potential_bits - 2)), vmax = (1ll << (cfg->potential_bits - 2)) - 1;

	size_t k = 0;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t n = 0;
		while (k < n_ev && ev[k].tick == t)
			tick_ev[n++] = ev[k++];
		tu_shuffle_events(r, tick_ev, n);
		for (size_t i = 0; i < n; i++)
			if (hone_refchip_input(chip, tick_ev[i].input, tick_ev[i].g, &e))
				fail_msg("input (seed %" PRIu64 "): %s", seed, e.msg);
		size_t n_out = 0;
		if (hone_refchip_tick(chip, out, slots, &n_out, tu, ts, &e))
			fail_msg("tick (seed %" PRIu64 "): %s", seed, e.msg);
		st->ticks++;

		const int32_t *u_t = u_all + (size_t)t * (size_t)total;
		const uint8_t *s_t = s_all + (size_t)t * (size_t)total;
		for (size_t q = 0; q < slots; q++) {
			int32_t nrn = map[q];
			if (nrn < 0) {
				if (tu[q] || ts[q])
					mismatch(st, seed, "tick %u: core %zu slot %zu holds no neuron but reports u %d s %u",
					         t, q / cfg->neurons, q % cfg->neurons, tu[q], ts[q]);
				continue;
			}
			st->potentials++;
			st->neuron_spikes += ts[q];
			st->beyond_clamp += u_t[nrn] < vmin || u_t[nrn] > vmax;
			if (u_t[nrn] < pmin || u_t[nrn] > pmax)
				mismatch(st, seed, "tick %u: neuron %d u = %d leaves %u bits although the image compiled",
				         t, nrn, u_t[nrn], cfg->potential_bits);
			if (tu[q] != u_t[nrn] || ts[q] != s_t[nrn])
				mismatch(st, seed, "tick %u: neuron %d (core %zu slot %zu): chip u %d s %u, evaluator u %d s %u",
				         t, nrn, q / cfg->neurons, q % cfg->neurons, tu[q], ts[q], u_t[nrn], s_t[nrn]);
		}
		/* Output spikes: ids are neuron indices of the last layer. */
		qsort(out, n_out, sizeof *out, cmp_u32);
		size_t want = 0;
		for (int32_t j = 0; j < n_last; j++)
			if (spk[(size_t)t * (size_t)n_last + (size_t)j]) {
				if (want >= n_out || out[want] != (uint32_t)j)
					mismatch(st, seed, "tick %u: output %d spiked in the evaluator, not on the chip", t, j);
				want++;
			}
		if (want != n_out)
			mismatch(st, seed, "tick %u: chip emits %zu output spikes, evaluator %zu", t, n_out, want);
		st->output_spikes += n_out;
		st->ticks_with_output += n_out > 0;
	}
	free(u_all);
	free(s_all);
	free(spk);
	free(tu);
	free(ts);
	free(out);
	free(tick_ev);
}

/* Classify a few samples through the device API and the evaluator. */
static void run_classify(stats *st, uint64_t seed, tu_rng *r, const hone_net *net,
                         const hone_image *img)
{
	enum { N = 6 };
	uint8_t *in = malloc((size_t)N * (size_t)net->n_inputs);
	int32_t pred[N];
	assert_non_null(in);
	int32_t gmax = (1 << net->input_bits) - 1;
	double density = (double)tu_range(r, 1, 9) / 10.0;
	for (size_t i = 0; i < (size_t)N * (size_t)net->n_inputs; i++)
		in[i] = tu_chance(r, density) ? (uint8_t)tu_range(r, 1, gmax) : 0;
	hone_device *dev;
	hone_error e = {0};
	if (hone_open("ref:", &dev, &e) || hone_load(dev, img, &e) ||
	    hone_run_samples(dev, img, in, N, pred, NULL, NULL, &e))
		fail_msg("device run (seed %" PRIu64 "): %s", seed, e.msg);
	for (int i = 0; i < N; i++) {
		int32_t want = hone_net_classify_pbits(net, img->cfg.potential_bits,
		                                       in + (size_t)i * (size_t)net->n_inputs, &e);
		if (want < 0)
			fail_msg("classify (seed %" PRIu64 "): %s", seed, e.msg);
		if (pred[i] != want)
			mismatch(st, seed, "sample %d: run_samples says class %d, hone_net_classify %d", i,
			         pred[i], want);
		st->samples++;
	}
	hone_close(dev);
	free(in);
}

static const char *const cfg_names[3] = {"tiny", "sim16", "up5k"};

static void one_network(stats *st, uint64_t seed)
{
	tu_rng r = {seed};
	/* 75% tiny (splits across its 4 small cores), 15% sim16, 10% up5k. */
	int64_t pick = tu_range(&r, 0, 99);
	int ci = pick < 75 ? 0 : pick < 90 ? 1 : 2;
	const hone_config *cfg = hone_config_find(cfg_names[ci]);
	assert_non_null(cfg);
	tu_net_opts o = {
		.max_depth = 4, .max_inputs = 48, .max_width = 44,
		.weight_bits = (int)cfg->weight_bits, .input_bits_max = (int)cfg->input_bits,
		.potential_bits = cfg->potential_bits, .lif = 0.5, .overflow = 0.04,
	};
	if (ci == 1) {
		o.max_depth = 3;
		o.max_inputs = 160;
		o.max_width = 300; /* > 256 slots: split over sim16's cores */
	} else if (ci == 2) {
		o.max_depth = 3;
		o.max_inputs = 200;
		o.max_width = 180;
	}
	hone_net *net = tu_random_net(&r, &o);
	assert_non_null(net);
	st->generated++;

	hone_image *img = NULL;
	hone_error e = {0};
	int rc = hone_compile(net, cfg, NULL, &img, &e);
	char why[256];
	bool bound_ok = tu_bound_ok(net, cfg->potential_bits, why, sizeof why);
	if (rc) {
		/* A refusal must be one of the two documented reasons, with a
		 * message, and an overflow refusal must be a real overflow. */
		if (rc == HONE_ERR_OVERFLOW) {
			st->refused_overflow++;
			if (bound_ok)
				mismatch(st, seed, "refused for overflow but the bound holds: %s", e.msg);
			if (!st->first_overflow[0])
				snprintf(st->first_overflow, sizeof st->first_overflow, "%s", e.msg);
		} else if (rc == HONE_ERR_NOFIT) {
			st->refused_nofit++;
			if (!bound_ok)
				mismatch(st, seed, "refused as not fitting but it overflows (%s): %s", why, e.msg);
			if (!st->first_nofit[0])
				snprintf(st->first_nofit, sizeof st->first_nofit, "%s", e.msg);
		} else {
			mismatch(st, seed, "refused with code %d: %s", rc, e.msg);
		}
		if (!e.msg[0])
			mismatch(st, seed, "refused (%d) without a message", rc);
		hone_net_free(net);
		return;
	}
	if (!bound_ok)
		mismatch(st, seed, "compiled although it can overflow: %s", why);
	st->compiled++;
	st->per_cfg[ci]++;
	st->lif_nets += img->carry == HONE_CARRY_LIF;
	for (int32_t c = 1; c < img->n_chunks; c++)
		if (img->chunks[c].layer == img->chunks[c - 1].layer) {
			st->split++;
			break;
		}

	int32_t *map = tu_slot_map(net, img);
	if (!map) {
		mismatch(st, seed, "the image's chunks do not cover the network's neurons once each");
		hone_image_free(img);
		hone_net_free(net);
		return;
	}
	hone_refchip *chip = hone_refchip_new(&img->cfg);
	assert_non_null(chip);
	/* Seed 0 keeps queue order; most runs shuffle. */
	hone_refchip_set_shuffle(chip, tu_chance(&r, 0.9) ? tu_next(&r) | 1 : 0);
	for (size_t i = 0; i < img->n_writes; i++)
		if (hone_refchip_write(chip, &img->writes[i], &e))
			fail_msg("image write %zu (seed %" PRIu64 "): %s", i, seed, e.msg);

	int segments = tu_chance(&r, 0.3) ? 2 : 1;
	for (int sgm = 0; sgm < segments; sgm++) {
		if (sgm) {
			hone_write w = {HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0};
			assert_int_equal(hone_refchip_write(chip, &w, NULL), 0);
			st->resets++;
		}
		uint32_t ticks = (uint32_t)(net->n_layers + tu_range(&r, 1, img->carry ? 16 : 8));
		double density = (double)tu_range(&r, 1, 9) / 10.0;
		size_t n_ev;
		hone_event *ev = tu_random_events(&r, net, ticks, density, &n_ev);
		assert_non_null(ev);
		run_segment(st, seed, &r, chip, net, img, map, ev, n_ev, ticks);
		free(ev);
	}
	if (st->compiled % 8 == 0)
		run_classify(st, seed, &r, net, img);
	hone_refchip_free(chip);
	free(map);
	hone_image_free(img);
	hone_net_free(net);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void test_ref_matches_evaluator(void **state)
{
	(void)state;
	const uint64_t base = env_u64("HONE_PROPERTY_SEED", 20261129);
	const uint64_t want = env_u64("HONE_PROPERTY_NETS", 3000);
	stats *st = calloc(1, sizeof *st);
	assert_non_null(st);
	clock_t t0 = clock();
	for (uint64_t i = 0; st->compiled < want && i < 4 * want; i++)
		one_network(st, base + i);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

	printf("property: seed %" PRIu64 ": %" PRIu64 " networks generated, %" PRIu64
	       " compiled and run (tiny %" PRIu64 ", sim16 %" PRIu64 ", up5k %" PRIu64 "; %" PRIu64
	       " LIF; %" PRIu64 " with layers split across cores), %" PRIu64 " refused (%" PRIu64 " overflow, %" PRIu64 " do not fit)\n",
	       base, st->generated, st->compiled, st->per_cfg[0], st->per_cfg[1], st->per_cfg[2],
	       st->lif_nets, st->split, st->refused_overflow + st->refused_nofit, st->refused_overflow,
	       st->refused_nofit);
	printf("property: %" PRIu64 " ticks (%" PRIu64 " mid-run resets), %" PRIu64
	       " potentials and spike bits compared (%" PRIu64 " neuron spikes, %" PRIu64
	       " potentials beyond the LIF clamp), %" PRIu64
	       " output spikes (%" PRIu64 " ticks with output), %" PRIu64
	       " samples classified through the device API, %" PRIu64 " mismatches, %.1f s\n",
	       st->ticks, st->resets, st->potentials, st->neuron_spikes, st->beyond_clamp, st->output_spikes,
	       st->ticks_with_output, st->samples, st->mismatches, secs);
	if (st->first_overflow[0])
		printf("property: e.g. refused: %s\n", st->first_overflow);
	if (st->first_nofit[0])
		printf("property: e.g. refused: %s\n", st->first_nofit);

	assert_int_equal(st->mismatches, 0);
	assert_true(st->compiled >= want);
	/* The comparison is not vacuous: both modes, all three configurations,
	 * refusals of both kinds, and real activity. */
	assert_true(st->lif_nets > 0 && st->lif_nets < st->compiled);
	assert_true(st->per_cfg[0] && st->per_cfg[1] && st->per_cfg[2]);
	assert_true(st->split > st->compiled / 10);
	assert_true(st->refused_overflow > 0 && st->refused_nofit > 0);
	assert_true(st->neuron_spikes > st->potentials / 20);
	assert_true(st->beyond_clamp > st->potentials / 1000);
	assert_true(st->ticks_with_output > st->ticks / 5);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_matches_evaluator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
