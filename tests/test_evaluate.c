/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network-level evaluator against tiny networks computed by hand from
 * docs/semantics.md: every expected number below was worked out on paper
 * from the definition, not taken from the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

/* A single-layer network, n_in -> n_out, weights row-major. */
static hone_net *one_layer(int32_t n_in, int32_t n_out, const int32_t *w,
                           const int32_t *b, const int32_t *th)
{
	int32_t sizes[2] = {n_in, n_out};
	hone_net *net = hone_net_new(1, sizes);
	assert_non_null(net);
	memcpy(net->layers[0].weight, w, (size_t)(n_in * n_out) * sizeof *w);
	memcpy(net->layers[0].bias, b, (size_t)n_out * sizeof *b);
	memcpy(net->layers[0].threshold, th, (size_t)n_out * sizeof *th);
	return net;
}

/* One input with g = 1 in each of ticks 0..n-1. */
static void every_tick(hone_event *ev, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++)
		ev[t] = (hone_event){.tick = t, .input = 0, .g = 1};
}

static void test_whetstone_step(void **state)
{
	(void)state;
	const int32_t w[] = {1, 2, -1, 3, -2, 1}, b[] = {0, -1}, th[] = {2, 2};
	hone_net *net = one_layer(3, 2, w, b, th);
	hone_event ev[] = {{0, 0, 1}, {0, 1, 1}, {1, 2, 1}};
	int32_t u[3 * 2];
	uint8_t s[3 * 2], spk[3 * 2];
	hone_error e = {0};
	assert_int_equal(hone_evaluate(net, ev, 3, 3, spk, u, s, &e), 0);
	/* t0: inputs 0,1: u0 = 0+1+2 = 3 fires, u1 = -1+3-2 = 0.
	 * t1: input 2:    u0 = 0-1 = -1,        u1 = -1+1 = 0.
	 * t2: nothing:    u = b (no memory in Whetstone mode). */
	const int32_t want_u[] = {3, 0, -1, 0, 0, -1};
	const uint8_t want_s[] = {1, 0, 0, 0, 0, 0};
	assert_memory_equal(u, want_u, sizeof want_u);
	assert_memory_equal(s, want_s, sizeof want_s);
	assert_memory_equal(spk, want_s, sizeof want_s);
	hone_net_free(net);
}

/* Leak: carry(v) = v - (v >>> k), the shift rounding toward -infinity. */
static void test_lif_leak(void **state)
{
	(void)state;
	const int32_t w[] = {3, -3}, b[] = {0, 0}, th[] = {100, 100};
	int32_t sizes[2] = {2, 1};
	hone_event ev[8];
	int32_t u[5];
	for (int neg = 0; neg < 2; neg++) {
		hone_net *net = hone_net_new(1, sizes);
		assert_non_null(net);
		net->layers[0].weight[0] = neg ? w[1] : w[0];
		net->layers[0].bias[0] = b[0];
		net->layers[0].threshold[0] = th[0];
		net->layers[0].carry = HONE_CARRY_LIF;
		net->layers[0].leak_shift = 1;
		every_tick(ev, 5);
		assert_int_equal(hone_evaluate(net, ev, 5, 5, NULL, u, NULL, NULL), 0);
		/* +3: u 3, a 3-1=2; u 5, a 5-2=3; u 6, a 6-3=3; u 6 ...
		 * -3: u -3, a -3-(-2)=-1; u -4, a -4-(-2)=-2; u -5, a -5-(-3)=-2; u -5 */
		const int32_t pos[] = {3, 5, 6, 6, 6}, negv[] = {-3, -4, -5, -5, -5};
		assert_memory_equal(u, neg ? negv : pos, sizeof pos);
		hone_net_free(net);
	}
	/* Bias enters every tick after the carry: a = carry(v) + b.
	 * b 2, no input, k 1: u 2, a 2-1+2=3; u 3, a 3-1+2=4; u 4, a 4-2+2=4. */
	const int32_t w0[] = {0}, b2[] = {2}, th0[] = {100};
	hone_net *net = one_layer(1, 1, w0, b2, th0);
	net->layers[0].carry = HONE_CARRY_LIF;
	net->layers[0].leak_shift = 1;
	assert_int_equal(hone_evaluate(net, NULL, 0, 4, NULL, u, NULL, NULL), 0);
	const int32_t want[] = {2, 3, 4, 4};
	assert_memory_equal(u, want, sizeof want);
	/* k = 0 is IF: no leak at all. */
	net->layers[0].leak_shift = 0;
	assert_int_equal(hone_evaluate(net, NULL, 0, 4, NULL, u, NULL, NULL), 0);
	const int32_t want_if[] = {2, 4, 6, 8};
	assert_memory_equal(u, want_if, sizeof want_if);
	hone_net_free(net);
}

static void test_lif_reset(void **state)
{
	(void)state;
	const int32_t w[] = {5}, b[] = {0}, th[] = {7};
	hone_event ev[5];
	every_tick(ev, 5);
	int32_t u[5];
	uint8_t s[5];
	hone_net *net = one_layer(1, 1, w, b, th);
	net->layers[0].carry = HONE_CARRY_LIF;
	/* subtract: u 5; 10 fires v 3; 8 fires v 1; 6; 11 fires. */
	net->layers[0].reset = HONE_RESET_SUBTRACT;
	assert_int_equal(hone_evaluate(net, ev, 5, 5, NULL, u, s, NULL), 0);
	const int32_t u_sub[] = {5, 10, 8, 6, 11};
	const uint8_t s_sub[] = {0, 1, 1, 0, 1};
	assert_memory_equal(u, u_sub, sizeof u_sub);
	assert_memory_equal(s, s_sub, sizeof s_sub);
	/* zero: u 5; 10 fires v 0; 5; 10 fires; 5. */
	net->layers[0].reset = HONE_RESET_ZERO;
	assert_int_equal(hone_evaluate(net, ev, 5, 5, NULL, u, s, NULL), 0);
	const int32_t u_zero[] = {5, 10, 5, 10, 5};
	const uint8_t s_zero[] = {0, 1, 0, 1, 0};
	assert_memory_equal(u, u_zero, sizeof u_zero);
	assert_memory_equal(s, s_zero, sizeof s_zero);
	hone_net_free(net);
}

/* Clamp v to [-2^(P-2), 2^(P-2)-1] before the carry; P = 6: [-16, 15]. */
static void test_lif_clamp(void **state)
{
	(void)state;
	const int32_t w[] = {7}, b[] = {0}, th[] = {1000};
	hone_event ev[4];
	every_tick(ev, 4);
	int32_t u[4];
	hone_net *net = one_layer(1, 1, w, b, th);
	net->layers[0].carry = HONE_CARRY_LIF;
	assert_int_equal(hone_evaluate_pbits(net, 6, ev, 4, 4, NULL, u, NULL, NULL), 0);
	const int32_t up[] = {7, 14, 21, 22}; /* a: 7, 14, 15, 15 */
	assert_memory_equal(u, up, sizeof up);
	net->layers[0].weight[0] = -7;
	assert_int_equal(hone_evaluate_pbits(net, 6, ev, 4, 4, NULL, u, NULL, NULL), 0);
	const int32_t down[] = {-7, -14, -21, -23}; /* a: -7, -14, -16, -16 */
	assert_memory_equal(u, down, sizeof down);
	/* Subtract reset then clamp: th -20 fires on 0 - ... u = 7, v = 27 -> 15. */
	net->layers[0].weight[0] = 7;
	net->layers[0].threshold[0] = -20;
	net->layers[0].reset = HONE_RESET_SUBTRACT;
	assert_int_equal(hone_evaluate_pbits(net, 6, ev, 4, 2, NULL, u, NULL, NULL), 0);
	assert_int_equal(u[0], 7);
	assert_int_equal(u[1], 15 + 7);
	/* The default P is 16: the same network does not clamp at 15. */
	assert_int_equal(hone_evaluate(net, ev, 4, 2, NULL, u, NULL, NULL), 0);
	assert_int_equal(u[1], 27 + 7);
	hone_net_free(net);
}

static void test_graded_inputs(void **state)
{
	(void)state;
	const int32_t w[] = {2, -3, 1}, b[] = {1}, th[] = {19};
	hone_net *net = one_layer(3, 1, w, b, th);
	net->input_bits = 4;
	/* g = 15, 4, 0 (no event): u = 1 + 30 - 12 = 19 fires. */
	hone_event ev[] = {{0, 0, 15}, {0, 1, 4}, {0, 2, 0}, {1, 0, 3}, {1, 2, 9}};
	int32_t u[2];
	uint8_t s[2];
	assert_int_equal(hone_evaluate(net, ev, 5, 2, NULL, u, s, NULL), 0);
	assert_int_equal(u[0], 19);
	assert_int_equal(s[0], 1);
	assert_int_equal(u[1], 1 + 6 + 9);
	assert_int_equal(s[1], 0);
	/* g beyond G bits is refused, by name. */
	hone_event bad[] = {{0, 0, 16}};
	hone_error e = {0};
	assert_int_equal(hone_evaluate(net, bad, 1, 1, NULL, NULL, NULL, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "g = 16"));
	hone_net_free(net);
}

/* A spike of layer l in tick t reaches layer l+1 in tick t+1. */
static void test_timing_three_layers(void **state)
{
	(void)state;
	int32_t sizes[4] = {1, 1, 2, 1};
	hone_net *net = hone_net_new(3, sizes);
	assert_non_null(net);
	net->layers[0].weight[0] = 1;
	net->layers[0].threshold[0] = 1;
	/* layer 2: neuron 0 relays, neuron 1 fires on its bias every tick. */
	net->layers[1].weight[0] = 1;
	net->layers[1].threshold[0] = 1;
	net->layers[1].weight[1] = 0;
	net->layers[1].bias[1] = 1;
	net->layers[1].threshold[1] = 1;
	/* layer 3 listens to the relay only. */
	net->layers[2].weight[0] = 1;
	net->layers[2].weight[1] = 0;
	net->layers[2].threshold[0] = 1;
	hone_event ev[] = {{0, 0, 1}};
	uint8_t s[5 * 4], spk[5];
	int32_t u[5 * 4];
	assert_int_equal(hone_evaluate(net, ev, 1, 5, spk, u, s, NULL), 0);
	const uint8_t want[5 * 4] = {
		1, 0, 1, 0, /* t0: layer 1 fires; layer 2 saw nothing yet (a = b) */
		0, 1, 1, 0, /* t1: the relay fires */
		0, 0, 1, 1, /* t2: the output fires: input tick + D - 1 */
		0, 0, 1, 0,
		0, 0, 1, 0,
	};
	assert_memory_equal(s, want, sizeof want);
	const uint8_t want_out[5] = {0, 0, 1, 0, 0};
	assert_memory_equal(spk, want_out, sizeof want_out);
	assert_int_equal(u[0 * 4 + 1], 0); /* relay at t0: only a = b = 0 */
	assert_int_equal(u[1 * 4 + 1], 1);
	hone_net_free(net);
}

static void test_decode_ties(void **state)
{
	(void)state;
	const int32_t key[] = {0, 0, 1, 1, 2, -1};
	const int32_t none[6] = {0};
	assert_int_equal(hone_decode(key, 6, 3, none), 0);
	const int32_t tie12[] = {0, 1, 1, 1, 2, 9};   /* 1, 2, 2: class 1 */
	assert_int_equal(hone_decode(key, 6, 3, tie12), 1);
	const int32_t tie_all[] = {1, 0, 0, 1, 1, 0}; /* 1, 1, 1: class 0 */
	assert_int_equal(hone_decode(key, 6, 3, tie_all), 0);
	const int32_t unkeyed[] = {0, 0, 0, 0, 0, 5}; /* -1 votes for nobody */
	assert_int_equal(hone_decode(key, 6, 3, unkeyed), 0);
	const int32_t two[] = {0, 0, 0, 0, 1, 0};
	assert_int_equal(hone_decode(key, 6, 3, two), 2);
}

/* hone_net_classify's timing, both modes. */
static void test_classify(void **state)
{
	(void)state;
	int32_t sizes[3] = {1, 1, 2};
	hone_net *net = hone_net_new(2, sizes);
	assert_non_null(net);
	/* Layer 1: IF, w 1, th 2, reset zero: with input every tick it fires
	 * at t1, t3 (u 1, 2, 1, 2, then 0 at t4 without input). */
	net->layers[0].weight[0] = 1;
	net->layers[0].threshold[0] = 2;
	/* out0 relays layer 1 (fires t2, t4); out1 = b 1 - spike: fires when
	 * layer 1 did not fire the tick before (t0, t1, t3, ...). */
	net->layers[1].weight[0] = 1;
	net->layers[1].threshold[0] = 1;
	net->layers[1].weight[1] = -1;
	net->layers[1].bias[1] = 1;
	net->layers[1].threshold[1] = 1;
	assert_int_equal(hone_net_set_nhot(net, 2, 1), 0);
	uint8_t g[1] = {1};
	/* Whetstone: present at t0 only, decode tick D-1 = 1: layer 1 did
	 * not fire at t0 (u 1 < 2), so out1 fires: class 1. */
	assert_int_equal(hone_net_classify(net, g), 1);
	/* LIF, T = 4: decode ticks 1..4. out0 fires at t2, t4 (2); out1 at t1,
	 * t3 (2): a tie, to the lowest class. */
	net->layers[0].carry = HONE_CARRY_LIF;
	net->ticks_per_sample = 4;
	assert_int_equal(hone_net_classify(net, g), 0);
	/* T = 3: ticks 1..3: out0 at t2 (1), out1 at t1, t3 (2): class 1. */
	net->ticks_per_sample = 3;
	assert_int_equal(hone_net_classify(net, g), 1);
	/* A bad sample is an error, not a class. */
	uint8_t big[1] = {2};
	hone_error e = {0};
	assert_int_equal(hone_net_classify_pbits(net, 16, big, &e), HONE_ERR_INVALID);
	hone_net_free(net);
}

static void test_event_errors(void **state)
{
	(void)state;
	const int32_t w[] = {1, 1}, b[] = {0}, th[] = {1};
	hone_net *net = one_layer(2, 1, w, b, th);
	hone_error e = {0};
	hone_event unsorted[] = {{1, 0, 1}, {0, 1, 1}};
	assert_int_equal(hone_evaluate(net, unsorted, 2, 2, NULL, NULL, NULL, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "sorted"));
	hone_event dup[] = {{0, 1, 1}, {0, 1, 1}};
	assert_int_equal(hone_evaluate(net, dup, 2, 2, NULL, NULL, NULL, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "twice"));
	hone_event range[] = {{0, 2, 1}};
	assert_int_equal(hone_evaluate(net, range, 1, 1, NULL, NULL, NULL, &e), HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, "input 2"));
	/* g = 0 sends nothing, so it is no duplicate; the same input in the
	 * next tick is fine. */
	hone_event ok[] = {{0, 1, 0}, {0, 1, 1}, {1, 1, 1}};
	uint8_t s[2];
	assert_int_equal(hone_evaluate(net, ok, 3, 2, s, NULL, NULL, &e), 0);
	assert_int_equal(s[0], 1);
	assert_int_equal(s[1], 1);
	/* A weight outside W bits makes the network invalid. */
	net->layers[0].weight[0] = 8;
	assert_int_equal(hone_evaluate(net, NULL, 0, 1, NULL, NULL, NULL, &e), HONE_ERR_INVALID);
	hone_net_free(net);
}

/* Random networks: a trace computed tick by tick through the public
 * evaluator must equal the same run with reshuffled event order inside
 * each tick (after re-sorting by tick), and Whetstone outputs must not
 * depend on anything but the current input wave. */
static void test_evaluator_deterministic(void **state)
{
	(void)state;
	tu_rng r = {12345};
	const tu_net_opts o = {4, 12, 10, 4, 4, 16, 0.5, 0.0};
	for (int k = 0; k < 200; k++) {
		hone_net *net = tu_random_net(&r, &o);
		assert_non_null(net);
		size_t n;
		hone_event *ev = tu_random_events(&r, net, 6, 0.5, &n);
		int32_t total = hone_net_total_neurons(net);
		int32_t *u1 = malloc((size_t)(6 * total) * sizeof *u1), *u2 = malloc((size_t)(6 * total) * sizeof *u2);
		assert_non_null(u1);
		assert_non_null(u2);
		assert_int_equal(hone_evaluate(net, ev, n, 6, NULL, u1, NULL, NULL), 0);
		/* Reverse the order within each tick. */
		for (size_t i = 0, j; i < n; i = j) {
			for (j = i; j < n && ev[j].tick == ev[i].tick; j++)
				;
			for (size_t a = i, b = j - 1; a < b; a++, b--) {
				hone_event t = ev[a];
				ev[a] = ev[b];
				ev[b] = t;
			}
		}
		assert_int_equal(hone_evaluate(net, ev, n, 6, NULL, u2, NULL, NULL), 0);
		assert_memory_equal(u1, u2, (size_t)(6 * total) * sizeof *u1);
		free(u1);
		free(u2);
		free(ev);
		hone_net_free(net);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whetstone_step),
		cmocka_unit_test(test_lif_leak),
		cmocka_unit_test(test_lif_reset),
		cmocka_unit_test(test_lif_clamp),
		cmocka_unit_test(test_graded_inputs),
		cmocka_unit_test(test_timing_three_layers),
		cmocka_unit_test(test_decode_ties),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_event_errors),
		cmocka_unit_test(test_evaluator_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
