/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The same RTL under Icarus Verilog (sim/hone_tb.v), driven by files: the
 * C side writes the command stream of a whole run ($readmemh words), vvp
 * writes every response, and the responses are compared with the C
 * reference model, tick by tick (spikes and every traced potential) and
 * counter by counter. A smaller subset than test_rtl.c: Icarus is slow.
 * tools/synth/postsim.sh runs the same comparisons on the synthesized
 * gate-level netlist.
 *
 *   HONE_ICARUS_NETS=n    random networks (default 6; 0: none)
 *   HONE_RTL_SEED=s       first seed
 *   HONE_ICARUS_CONFIG=c  configuration of the random networks and of the
 *                         vvp, $BUILD/sim/icarus/c.vvp (default tiny)
 *   HONE_ICARUS_IMAGE=f   also run data set samples through the chip image
 *                         f (.himg; its configuration names the vvp),
 *                         pipelined as hone_run_samples does:
 *   HONE_ICARUS_DATASET   fashion-mnist (test split, default) or digits
 *                         (the test part of hone's fixed 80/20 split)
 *   HONE_ICARUS_SAMPLES   samples (default 20), HONE_ICARUS_FIRST: from
 *   BUILD=dir             where the vvp lives (build)
 *   HONE_ICARUS_LABEL=s   the name its lines start with (icarus)
 *   HONE_ICARUS_EXE=path  run this simulator binary with hone_tb's plusargs
 *                         instead of vvp (Verilator --binary of hone_tb.v:
 *                         tools/synth/postsim.sh --sim verilator)
 *
 * A line per network / per image run on stdout, then a summary line.
 */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>
#include <unistd.h>

enum { OP_WRITE, OP_READ, OP_EVENT, OP_TICK, OP_TRACE, OP_COUNTERS, OP_CAPS };
enum { RSP_READ_DATA, RSP_SPIKE, RSP_TICK_DONE, RSP_TRACE, RSP_COUNTER, RSP_CAPS };
enum { MAX_SPIKES = 512 };

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static const char *env_str(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void put_cmd(FILE *f, unsigned op, unsigned target, unsigned mem, unsigned addr,
                    uint64_t data, size_t *n)
{
	/* {2'b0, op, target, mem, addr, data}: 94 bits right-aligned in 96 */
	uint32_t hi = ((uint32_t)(op & 7) << 27) | ((target & 0xffu) << 19) | ((mem & 7u) << 16) |
	              (addr & 0xffffu);
	fprintf(f, "%08x%016llx\n", hi, (unsigned long long)data);
	(*n)++;
}

typedef struct icarus_tick {
	size_t n_spikes;
	uint32_t spikes[MAX_SPIKES];
	int32_t *u;
	uint8_t *s;
} icarus_tick;

/* What was compared, summed over runs. */
typedef struct icarus_stats {
	uint64_t cycles, ticks, spikes, potentials, spike_bits, counters;
} icarus_stats;

/* One run: the reference device and the command stream of the same run,
 * with every tick's expected result. */
typedef struct icarus_run {
	const hone_config *cfg;
	size_t slots;
	hone_device *ref;
	FILE *f;
	size_t n_cmd;
	char cmd_path[600], rsp_path[600];
	icarus_tick *want;
	uint32_t ticks, cap;
} icarus_run;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void run_start(icarus_run *run, const hone_image *img, const char *dir, const char *tag)
{
	hone_error err = {0};
	memset(run, 0, sizeof *run);
	run->cfg = hone_config_find(img->cfg.name);
	assert_non_null(run->cfg);
	run->slots = (size_t)run->cfg->cores * run->cfg->neurons;
	assert_int_equal(hone_open("ref:", &run->ref, &err), 0);
	assert_int_equal(hone_load(run->ref, img, &err), 0);
	assert_int_equal(hone_set_trace(run->ref, 1, &err), 0);
	snprintf(run->cmd_path, sizeof run->cmd_path, "%s/icarus_%s.hex", dir, tag);
	snprintf(run->rsp_path, sizeof run->rsp_path, "%s/icarus_%s.rsp", dir, tag);
	run->f = fopen(run->cmd_path, "w");
	assert_non_null(run->f);
	for (size_t i = 0; i < img->n_writes; i++)
		put_cmd(run->f, OP_WRITE, img->writes[i].target, img->writes[i].mem, img->writes[i].addr,
		        img->writes[i].data, &run->n_cmd);
	put_cmd(run->f, OP_TRACE, 0, 0, 0, 1, &run->n_cmd);
}

/* One tick, on both sides: an optional reset_state, the events, the tick. */
static void run_tick(icarus_run *run, const hone_event *ev, size_t n_ev, bool reset)
{
	hone_error err = {0};
	if (reset) {
		assert_int_equal(hone_reset_state(run->ref, &err), 0);
		put_cmd(run->f, OP_WRITE, HONE_TARGET_CHIP, HONE_MEM_CMD, HONE_CMD_RESET_STATE, 0,
		        &run->n_cmd);
	}
	assert_int_equal(hone_push_events(run->ref, ev, n_ev, &err), 0);
	for (size_t i = 0; i < n_ev; i++)
		if (ev[i].g)
			put_cmd(run->f, OP_EVENT, 0, 0, ev[i].input, ev[i].g, &run->n_cmd);
	assert_int_equal(hone_end_tick(run->ref, &err), 0);
	put_cmd(run->f, OP_TICK, 0, 0, 0, 0, &run->n_cmd);
	hone_tick_result res;
	assert_int_equal(hone_next_result(run->ref, &res, &err), 0);
	if (run->ticks == run->cap) {
		run->cap = run->cap ? 2 * run->cap : 16;
		run->want = realloc(run->want, run->cap * sizeof *run->want);
		assert_non_null(run->want);
	}
	icarus_tick *w = &run->want[run->ticks++];
	assert_true(res.n_spikes <= MAX_SPIKES);
	w->n_spikes = res.n_spikes;
	memcpy(w->spikes, res.spikes, res.n_spikes * sizeof *res.spikes);
	w->u = malloc(run->slots * sizeof *w->u);
	w->s = malloc(run->slots);
	assert_true(w->u && w->s && res.n_trace == run->slots);
	memcpy(w->u, res.trace_u, run->slots * sizeof *w->u);
	memcpy(w->s, res.trace_s, run->slots);
}

/* vvp on the command stream, then the comparison: 0 equal, -1 not. */
static int run_finish(icarus_run *run, const char *vvp, const char *tag, int stall,
                      uint64_t seed, icarus_stats *st)
{
	hone_error err = {0};
	put_cmd(run->f, OP_COUNTERS, 0, 0, 0, 0, &run->n_cmd);
	put_cmd(run->f, OP_CAPS, 0, 0, 0, 0, &run->n_cmd);
	fclose(run->f);
	hone_counters cref;
	assert_int_equal(hone_read_counters(run->ref, &cref, &err), 0);

	char cmdline[2048], line[1200];
	/* HONE_ICARUS_EXE: a simulator binary taking hone_tb's plusargs
	 * (Verilator --binary of sim/hone_tb.v) in place of vvp */
	const char *exe = getenv("HONE_ICARUS_EXE");
	if (exe && *exe)
		snprintf(cmdline, sizeof cmdline, "'%s' +cmds='%s' +n=%zu +rsps='%s' +stall=%d +seed=%llu >/dev/null",
		         exe, run->cmd_path, run->n_cmd, run->rsp_path, stall, (unsigned long long)seed);
	else
		snprintf(cmdline, sizeof cmdline, "vvp -n '%s' +cmds='%s' +n=%zu +rsps='%s' +stall=%d +seed=%llu >/dev/null",
		         vvp, run->cmd_path, run->n_cmd, run->rsp_path, stall, (unsigned long long)seed);
	int rc = system(cmdline) == 0 ? 0 : -1;
	if (rc)
		fprintf(stderr, "%s: vvp failed\n", tag);

	/* Parse the responses per tick and compare. */
	FILE *f = rc ? NULL : fopen(run->rsp_path, "r");
	const size_t slots = run->slots;
	uint32_t t = 0;
	size_t n_spk = 0, n_counter = 0;
	uint32_t spk[MAX_SPIKES];
	int32_t *u = calloc(slots, sizeof *u);
	uint8_t *s = calloc(slots, 1);
	uint64_t counters[4] = {0}, cycles = 0;
	icarus_stats add = {0};
	bool finished = false;
	while (f && !rc && fgets(line, sizeof line, f)) {
		unsigned kind;
		unsigned long long data;
		if (line[0] == '#') {
			finished = strstr(line, "timeout") == NULL;
			if (sscanf(line, "# cycles %llu", &data) == 1)
				cycles += data;
			continue;
		}
		if (sscanf(line, "%u %llx", &kind, &data) != 2) {
			rc = -1;
			break;
		}
		switch (kind) {
		case RSP_SPIKE:
			if (n_spk < MAX_SPIKES)
				spk[n_spk++] = (uint32_t)(data & 0xffff);
			break;
		case RSP_TRACE: {
			size_t i = (size_t)((data >> 16) & 15) * run->cfg->neurons + (data & 0x1fff);
			if (i < slots) {
				u[i] = (int32_t)hone_sext(hone_field(data, 24, 24), 24);
				s[i] = (uint8_t)((data >> 48) & 1);
				add.potentials++;
				add.spike_bits += s[i];
			}
			break;
		}
		case RSP_TICK_DONE:
			qsort(spk, n_spk, sizeof *spk, cmp_u32);
			if (t >= run->ticks || data != t || n_spk != run->want[t].n_spikes ||
			    memcmp(spk, run->want[t].spikes, n_spk * sizeof *spk) ||
			    memcmp(u, run->want[t].u, slots * sizeof *u) || memcmp(s, run->want[t].s, slots)) {
				fprintf(stderr, "%s: tick %u differs from the reference\n", tag, t);
				rc = -1;
			}
			add.ticks++;
			add.spikes += n_spk;
			t++;
			n_spk = 0;
			memset(u, 0, slots * sizeof *u);
			memset(s, 0, slots);
			break;
		case RSP_COUNTER:
			if (n_counter < 4)
				counters[n_counter++] = data;
			break;
		default:
			break;
		}
	}
	if (f)
		fclose(f);
	if (!rc && (!finished || t != run->ticks || counters[1] != cref.events ||
	            counters[2] != cref.sops || counters[3] != cref.ticks)) {
		fprintf(stderr, "%s: %u ticks of %u, finished %d, events %llu/%llu sops %llu/%llu\n", tag,
		        t, run->ticks, finished, (unsigned long long)counters[1],
		        (unsigned long long)cref.events, (unsigned long long)counters[2],
		        (unsigned long long)cref.sops);
		rc = -1;
	}
	add.counters = 3;
	add.cycles = cycles;
	if (!rc) {
		unlink(run->cmd_path);
		unlink(run->rsp_path);
		st->cycles += add.cycles;
		st->ticks += add.ticks;
		st->spikes += add.spikes;
		st->potentials += add.potentials;
		st->spike_bits += add.spike_bits;
		st->counters += add.counters;
	}
	for (uint32_t k = 0; k < run->ticks; k++) {
		free(run->want[k].u);
		free(run->want[k].s);
	}
	free(run->want);
	free(u);
	free(s);
	hone_close(run->ref);
	return rc;
}

/* One random network: -1 mismatch, 0 equal, 1 refused by the compiler. */
static int run_one(uint64_t seed, const hone_config *cfg, const char *vvp, const char *dir,
                   icarus_stats *st)
{
	tu_rng r = {seed};
	tu_net_opts o = {
		.max_depth = 3, .max_inputs = 40, .max_width = 32,
		.weight_bits = (int)cfg->weight_bits, .input_bits_max = (int)cfg->input_bits,
		.potential_bits = cfg->potential_bits, .lif = 0.5, .overflow = 0,
	};
	hone_net *net = tu_random_net(&r, &o);
	hone_image *img = NULL;
	hone_error err = {0};
	if (hone_compile(net, cfg, NULL, &img, &err)) {
		hone_net_free(net);
		return 1;
	}
	uint32_t ticks = (uint32_t)tu_range(&r, 2, 6);
	size_t n_ev = 0;
	hone_event *ev = tu_random_events(&r, net, ticks, (double)tu_range(&r, 10, 80) / 100.0, &n_ev);

	char tag[64];
	snprintf(tag, sizeof tag, "seed %llu", (unsigned long long)seed);
	char file_tag[32];
	snprintf(file_tag, sizeof file_tag, "%llu", (unsigned long long)seed);
	icarus_run run;
	run_start(&run, img, dir, file_tag);
	size_t e0 = 0;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t e1 = e0;
		while (e1 < n_ev && ev[e1].tick == t)
			e1++;
		tu_shuffle_events(&r, ev + e0, e1 - e0);
		run_tick(&run, ev + e0, e1 - e0, false);
		e0 = e1;
	}
	int rc = run_finish(&run, vvp, tag, tu_chance(&r, 0.5) ? 300 : 0, seed, st);
	free(ev);
	hone_image_free(img);
	hone_net_free(net);
	return rc;
}

static const char *build_dir(void)
{
	return env_str("BUILD", "build");
}

static bool have_vvp(const char *vvp)
{
	const char *exe = getenv("HONE_ICARUS_EXE");
	if (exe && *exe) {
		if (access(exe, X_OK) == 0)
			return true;
		printf("no %s: skipped\n", exe);
		return false;
	}
	if (access(vvp, R_OK) || system("command -v vvp >/dev/null 2>&1")) {
		printf("no %s or no vvp: skipped\n", vvp);
		return false;
	}
	return true;
}

static void test_icarus_random(void **state)
{
	(void)state;
	uint64_t n = env_u64("HONE_ICARUS_NETS", 6), seed0 = env_u64("HONE_RTL_SEED", 1);
	const char *cname = env_str("HONE_ICARUS_CONFIG", "tiny");
	const hone_config *cfg = hone_config_find(cname);
	if (!cfg)
		fail_msg("HONE_ICARUS_CONFIG=%s: no such configuration", cname);
	char vvp[512], dir[512];
	snprintf(vvp, sizeof vvp, "%s/sim/icarus/%s.vvp", build_dir(), cname);
	snprintf(dir, sizeof dir, "%s/sim/icarus", build_dir());
	if (!have_vvp(vvp))
		skip();
	size_t done = 0, failed = 0, refused = 0;
	icarus_stats st = {0};
	double t0 = now_s();
	for (uint64_t k = 0; k < n && failed < 2; k++) {
		double t1 = now_s();
		int rc = run_one(seed0 + k, cfg, vvp, dir, &st);
		done += rc == 0;
		failed += rc < 0;
		refused += rc > 0;
		printf("%s: network %llu/%llu (%s, seed %llu): %s, %.0f s\n",
		       env_str("HONE_ICARUS_LABEL", "icarus"), (unsigned long long)k + 1, (unsigned long long)n, cname,
		       (unsigned long long)(seed0 + k),
		       rc == 0 ? "equal" : rc < 0 ? "DIFFERS" : "refused by the compiler",
		       now_s() - t1);
		fflush(stdout);
	}
	printf("%s vs ref: %zu networks equal, %zu differ, %zu refused (%s); compared %llu ticks, "
	       "%llu output spikes, %llu potentials (%llu spiked), %llu counters; %llu cycles, %.0f s\n",
	       env_str("HONE_ICARUS_LABEL", "icarus"), done, failed, refused, cname, (unsigned long long)st.ticks,
	       (unsigned long long)st.spikes, (unsigned long long)st.potentials,
	       (unsigned long long)st.spike_bits,
	       (unsigned long long)st.counters, (unsigned long long)st.cycles, now_s() - t0);
	assert_int_equal(failed, 0);
	assert_true(done > 0);
}

/* Data set samples through a chip image, one vvp run: every tick's spikes
 * and potentials, the counters, and the predictions decoded from both. */
static void test_icarus_images(void **state)
{
	(void)state;
	const char *path = getenv("HONE_ICARUS_IMAGE");
	if (!path || !*path)
		skip();
	hone_error err = {0};
	hone_image *img = NULL;
	if (hone_image_read(path, &img, &err))
		fail_msg("%s: %s", path, err.msg);
	char vvp[512], dir[512];
	snprintf(vvp, sizeof vvp, "%s/sim/icarus/%s.vvp", build_dir(), img->cfg.name);
	snprintf(dir, sizeof dir, "%s/sim/icarus", build_dir());
	if (!have_vvp(vvp)) {
		hone_image_free(img);
		skip();
	}
	const char *dname = env_str("HONE_ICARUS_DATASET", "fashion-mnist");
	int32_t n = (int32_t)env_u64("HONE_ICARUS_SAMPLES", 20);
	int32_t first = (int32_t)env_u64("HONE_ICARUS_FIRST", 0);
	hone_dataset *all = NULL, *train = NULL, *d = NULL;
	if (!strcmp(dname, "digits")) {
		const char *p = hone_dataset_digits_default_path();
		if (!p || hone_dataset_digits(p, &all, &err))
			fail_msg("digits: %s", p ? err.msg : "no digits.csv");
		/* hone's fixed split (host/cli/cli.h) */
		assert_int_equal(hone_dataset_split(all, 0.2, 20260101u, &train, &d), 0);
	} else {
		if (hone_dataset_fashion_mnist(NULL, "test", first + n, &d, &err))
			fail_msg("fashion-mnist: %s", err.msg);
	}
	if (d->n_features != img->n_inputs || first + n > d->n)
		fail_msg("%s: %d features, %d samples; the image has %d inputs, %d + %d asked for",
		         dname, (int)d->n_features, (int)d->n, (int)img->n_inputs, (int)first, (int)n);

	/* The timing of hone_run_samples: pipelined in Whetstone mode, a
	 * window of T + D - 1 ticks after a reset in LIF mode. */
	bool whet = img->carry == HONE_CARRY_NONE;
	uint32_t D = (uint32_t)img->depth, T = whet ? 1 : (uint32_t)img->ticks_per_sample;
	uint32_t window = whet ? 1 : T + D - 1;
	uint32_t total = whet ? (uint32_t)n + D - 1 : (uint32_t)n * window;
	uint8_t *g = malloc((size_t)img->n_inputs);
	hone_event *ev = malloc((size_t)img->n_inputs * sizeof *ev);
	int32_t *counts = calloc((size_t)img->n_outputs, sizeof *counts);
	assert_true(g && ev && counts);
	icarus_run run;
	run_start(&run, img, dir, "images");
	for (uint32_t k = 0; k < total; k++) {
		uint32_t s = whet ? k : k / window, r = whet ? 0 : k % window;
		size_t n_ev = 0;
		if (s < (uint32_t)n && r < T) {
			hone_dataset_quantize(d, first + (int32_t)s, img->input_bits, g);
			for (int32_t i = 0; i < img->n_inputs; i++)
				if (g[i])
					ev[n_ev++] = (hone_event){.tick = k, .input = (uint32_t)i, .g = g[i]};
		}
		run_tick(&run, ev, n_ev, (whet && k == 0) || (!whet && r == 0));
	}
	/* The predictions of the reference side (the chip's are the same if
	 * its spikes are), for the record. */
	int32_t correct = 0;
	for (int32_t s = 0; s < n; s++) {
		memset(counts, 0, (size_t)img->n_outputs * sizeof *counts);
		uint32_t k0 = whet ? (uint32_t)s + D - 1 : (uint32_t)s * window + D - 1;
		uint32_t k1 = whet ? k0 + 1 : (uint32_t)(s + 1) * window;
		for (uint32_t k = k0; k < k1; k++)
			for (size_t i = 0; i < run.want[k].n_spikes; i++)
				if (run.want[k].spikes[i] < (uint32_t)img->n_outputs)
					counts[run.want[k].spikes[i]]++;
		correct += hone_decode(img->output_class, img->n_outputs, img->n_classes, counts) ==
		           (int32_t)d->y[first + s];
	}
	icarus_stats st = {0};
	double t0 = now_s();
	char tag[128];
	snprintf(tag, sizeof tag, "%s samples %d..%d", dname, (int)first, (int)(first + n - 1));
	int rc = run_finish(&run, vvp, tag, 0, 1, &st);
	printf("%s vs ref: %d %s images %s (%s, %s, %s); compared %llu ticks, %llu output "
	       "spikes, %llu potentials (%llu spiked), %llu counters; %d/%d classified right; "
	       "%llu cycles, %.0f s\n",
	       env_str("HONE_ICARUS_LABEL", "icarus"), (int)n, dname, rc ? "DIFFER" : "equal", path, img->cfg.name,
	       whet ? "whetstone" : "lif", (unsigned long long)st.ticks,
	       (unsigned long long)st.spikes, (unsigned long long)st.potentials,
	       (unsigned long long)st.spike_bits,
	       (unsigned long long)st.counters, (int)correct, (int)n,
	       (unsigned long long)st.cycles, now_s() - t0);
	free(g);
	free(ev);
	free(counts);
	hone_dataset_free(d);
	hone_dataset_free(train);
	hone_dataset_free(all);
	hone_image_free(img);
	assert_int_equal(rc, 0);
}

int main(void)
{
	/* only the runs asked for, so that make test (no image) counts no skip */
	struct CMUnitTest tests[2];
	size_t n = 0;
	if (env_u64("HONE_ICARUS_NETS", 6) > 0)
		tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_icarus_random);
	if (*env_str("HONE_ICARUS_IMAGE", ""))
		tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_icarus_images);
	return _cmocka_run_group_tests("test_rtl_icarus", tests, n, NULL, NULL);
}
