/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The same RTL under Icarus Verilog (sim/hone_tb.v), driven by files: the
 * C side writes the command stream of a whole run ($readmemh words), vvp
 * writes every response, and the responses are compared with the C
 * reference model, tick by tick (spikes and every traced potential) and
 * counter by counter. A smaller subset than test_rtl.c: Icarus is slow.
 *
 *   HONE_ICARUS_NETS=n  networks (default 6)    HONE_RTL_SEED=s  first seed
 *   BUILD=dir           where $BUILD/sim/icarus/tiny.vvp lives (build)
 */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

enum { OP_WRITE, OP_READ, OP_EVENT, OP_TICK, OP_TRACE, OP_COUNTERS, OP_CAPS };
enum { RSP_READ_DATA, RSP_SPIKE, RSP_TICK_DONE, RSP_TRACE, RSP_COUNTER, RSP_CAPS };

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
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
	uint32_t spikes[512];
	int32_t *u;
	uint8_t *s;
} icarus_tick;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* One network: -1 mismatch, 0 equal, 1 refused by the compiler. */
static int run_one(uint64_t seed, const char *vvp, const char *dir, uint64_t *cycles)
{
	tu_rng r = {seed};
	const hone_config *cfg = hone_config_find("tiny");
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
	size_t slots = (size_t)cfg->cores * cfg->neurons;

	/* The reference run, and the command stream of the same run. */
	hone_device *ref = NULL;
	assert_int_equal(hone_open("ref:", &ref, &err), 0);
	assert_int_equal(hone_load(ref, img, &err), 0);
	assert_int_equal(hone_set_trace(ref, 1, &err), 0);
	char cmd_path[600], rsp_path[600], line[1200];
	snprintf(cmd_path, sizeof cmd_path, "%s/icarus_%llu.hex", dir, (unsigned long long)seed);
	snprintf(rsp_path, sizeof rsp_path, "%s/icarus_%llu.rsp", dir, (unsigned long long)seed);
	FILE *f = fopen(cmd_path, "w");
	assert_non_null(f);
	size_t n_cmd = 0;
	for (size_t i = 0; i < img->n_writes; i++)
		put_cmd(f, OP_WRITE, img->writes[i].target, img->writes[i].mem, img->writes[i].addr,
		        img->writes[i].data, &n_cmd);
	put_cmd(f, OP_TRACE, 0, 0, 0, 1, &n_cmd);
	icarus_tick *want = calloc(ticks, sizeof *want);
	assert_non_null(want);
	size_t e0 = 0;
	for (uint32_t t = 0; t < ticks; t++) {
		size_t e1 = e0;
		while (e1 < n_ev && ev[e1].tick == t)
			e1++;
		tu_shuffle_events(&r, ev + e0, e1 - e0);
		assert_int_equal(hone_push_events(ref, ev + e0, e1 - e0, &err), 0);
		for (size_t i = e0; i < e1; i++)
			if (ev[i].g)
				put_cmd(f, OP_EVENT, 0, 0, ev[i].input, ev[i].g, &n_cmd);
		e0 = e1;
		assert_int_equal(hone_end_tick(ref, &err), 0);
		put_cmd(f, OP_TICK, 0, 0, 0, 0, &n_cmd);
		hone_tick_result res;
		assert_int_equal(hone_next_result(ref, &res, &err), 0);
		want[t].n_spikes = res.n_spikes;
		memcpy(want[t].spikes, res.spikes, res.n_spikes * sizeof *res.spikes);
		want[t].u = malloc(slots * sizeof *want[t].u);
		want[t].s = malloc(slots);
		memcpy(want[t].u, res.trace_u, slots * sizeof *want[t].u);
		memcpy(want[t].s, res.trace_s, slots);
	}
	put_cmd(f, OP_COUNTERS, 0, 0, 0, 0, &n_cmd);
	put_cmd(f, OP_CAPS, 0, 0, 0, 0, &n_cmd);
	fclose(f);
	hone_counters cref;
	hone_read_counters(ref, &cref, &err);

	char cmdline[2048];
	snprintf(cmdline, sizeof cmdline, "vvp -n '%s' +cmds='%s' +n=%zu +rsps='%s' +stall=%d +seed=%llu >/dev/null",
	         vvp, cmd_path, n_cmd, rsp_path, tu_chance(&r, 0.5) ? 300 : 0,
	         (unsigned long long)seed);
	int rc = system(cmdline) == 0 ? 0 : -1;
	if (rc)
		fprintf(stderr, "seed %llu: vvp failed\n", (unsigned long long)seed);

	/* Parse the responses per tick and compare. */
	f = rc ? NULL : fopen(rsp_path, "r");
	uint32_t t = 0;
	size_t n_spk = 0, n_counter = 0;
	uint32_t spk[512];
	int32_t *u = calloc(slots, sizeof *u);
	uint8_t *s = calloc(slots, 1);
	uint64_t counters[4] = {0};
	bool finished = false;
	while (f && !rc && fgets(line, sizeof line, f)) {
		unsigned kind;
		unsigned long long data;
		if (line[0] == '#') {
			finished = strstr(line, "timeout") == NULL;
			sscanf(line, "# cycles %llu", &data);
			*cycles += data;
			continue;
		}
		if (sscanf(line, "%u %llx", &kind, &data) != 2) {
			rc = -1;
			break;
		}
		switch (kind) {
		case RSP_SPIKE:
			if (n_spk < 512)
				spk[n_spk++] = (uint32_t)(data & 0xffff);
			break;
		case RSP_TRACE: {
			size_t i = (size_t)((data >> 16) & 15) * cfg->neurons + (data & 0x1fff);
			if (i < slots) {
				u[i] = (int32_t)hone_sext(hone_field(data, 24, 24), 24);
				s[i] = (uint8_t)((data >> 48) & 1);
			}
			break;
		}
		case RSP_TICK_DONE:
			qsort(spk, n_spk, sizeof *spk, cmp_u32);
			if (t >= ticks || data != t || n_spk != want[t].n_spikes ||
			    memcmp(spk, want[t].spikes, n_spk * sizeof *spk) ||
			    memcmp(u, want[t].u, slots * sizeof *u) || memcmp(s, want[t].s, slots)) {
				fprintf(stderr, "seed %llu: tick %u differs from the reference\n",
				        (unsigned long long)seed, t);
				rc = -1;
			}
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
	if (!rc && (!finished || t != ticks || counters[1] != cref.events || counters[2] != cref.sops ||
	            counters[3] != cref.ticks)) {
		fprintf(stderr, "seed %llu: %u ticks of %u, finished %d, events %llu/%llu sops %llu/%llu\n",
		        (unsigned long long)seed, t, ticks, finished, (unsigned long long)counters[1],
		        (unsigned long long)cref.events, (unsigned long long)counters[2],
		        (unsigned long long)cref.sops);
		rc = -1;
	}
	if (!rc) {
		unlink(cmd_path);
		unlink(rsp_path);
	}
	for (uint32_t k = 0; k < ticks; k++) {
		free(want[k].u);
		free(want[k].s);
	}
	free(want);
	free(u);
	free(s);
	hone_close(ref);
	free(ev);
	hone_image_free(img);
	hone_net_free(net);
	return rc;
}

static void test_icarus_random(void **state)
{
	(void)state;
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char vvp[512], dir[512];
	snprintf(vvp, sizeof vvp, "%s/sim/icarus/tiny.vvp", build);
	snprintf(dir, sizeof dir, "%s/sim/icarus", build);
	if (access(vvp, R_OK) || system("command -v vvp >/dev/null 2>&1")) {
		printf("no %s or no vvp: skipped\n", vvp);
		skip();
	}
	uint64_t n = env_u64("HONE_ICARUS_NETS", 6), seed0 = env_u64("HONE_RTL_SEED", 1);
	size_t done = 0, failed = 0;
	uint64_t cycles = 0;
	for (uint64_t k = 0; k < n && failed < 2; k++) {
		int rc = run_one(seed0 + k, vvp, dir, &cycles);
		done += rc == 0;
		failed += rc < 0;
	}
	printf("icarus vs ref: %zu networks equal, %zu differ, %llu cycles\n", done, failed,
	       (unsigned long long)cycles);
	assert_int_equal(failed, 0);
	assert_true(done > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icarus_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
