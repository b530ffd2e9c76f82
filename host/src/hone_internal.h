/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of libhone shared between its modules. Not installed.
 * The field layouts of docs/chip-image.md exist in C only here.
 */
#ifndef HONE_INTERNAL_H
#define HONE_INTERNAL_H

#include "hone.h"

#include <stdarg.h>
#include <stdbool.h>

/* Fill err (may be NULL) and return code. printf-style message. */
int hone_fail(hone_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Refuse a configuration whose sizes do not fit the fields of the memory
 * map (docs/chip-image.md): cores <= 16, lanes * W <= 64, P <= 24, slot and
 * axon ids in 12 bits, weight addresses in 16 bits, <= 8 segments.
 * The compiler and the image reader both rely on it (image.c). */
int hone_config_check(const hone_config *cfg, hone_error *err);

/* Sign-extend the low `bits` bits of x. */
static inline int64_t hone_sext(uint64_t x, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	x &= (bits >= 64) ? ~0ull : ((1ull << bits) - 1);
	return (int64_t)((x ^ m) - m);
}

/* Wrap a value to a P-bit two's complement register. */
static inline int32_t hone_wrap(int64_t x, unsigned bits)
{
	return (int32_t)hone_sext((uint64_t)x, bits);
}

static inline uint64_t hone_field(uint64_t word, unsigned lo, unsigned width)
{
	return (word >> lo) & ((width >= 64) ? ~0ull : ((1ull << width) - 1));
}

static inline uint64_t hone_put(uint64_t v, unsigned lo, unsigned width)
{
	return (v & ((width >= 64) ? ~0ull : ((1ull << width) - 1))) << lo;
}

/* ---- chip registers (docs/chip-image.md) ---- */
enum {
	HONE_CHIPREG_INPUT_CORE_MASK = 0,
	HONE_CHIPREG_INPUT_AXON_BASE = 1,
	HONE_CHIPREG_N_INPUTS = 2,
	HONE_COREREG_N_NEURONS = 0,
	HONE_COREREG_PROFILE0 = 1, /* .. 4 */
	HONE_CMD_RESET_STATE = 0,
	HONE_N_PROFILES = 4,
	HONE_FIELD_POT_BITS = 24, /* width of the value fields in NPARAM/POT */
};

typedef struct hone_axseg {
	uint32_t first, count, weight_base, neuron_first, row_neurons;
} hone_axseg;

static inline uint64_t hone_axseg_pack(const hone_axseg *s)
{
	return hone_put(s->first, 0, 12) | hone_put(s->count, 12, 12) |
	       hone_put(s->weight_base, 24, 16) |
	       hone_put(s->neuron_first, 40, 12) |
	       hone_put(s->row_neurons, 52, 12);
}

static inline hone_axseg hone_axseg_unpack(uint64_t w)
{
	hone_axseg s = {
		.first = (uint32_t)hone_field(w, 0, 12),
		.count = (uint32_t)hone_field(w, 12, 12),
		.weight_base = (uint32_t)hone_field(w, 24, 16),
		.neuron_first = (uint32_t)hone_field(w, 40, 12),
		.row_neurons = (uint32_t)hone_field(w, 52, 12),
	};
	return s;
}

typedef struct hone_rtseg {
	uint32_t first, count, core_mask, axon_base;
	bool to_host;
} hone_rtseg;

static inline uint64_t hone_rtseg_pack(const hone_rtseg *r)
{
	return hone_put(r->first, 0, 12) | hone_put(r->count, 12, 12) |
	       hone_put(r->core_mask, 24, 16) | hone_put(r->axon_base, 40, 12) |
	       hone_put(r->to_host ? 1 : 0, 52, 1);
}

static inline hone_rtseg hone_rtseg_unpack(uint64_t w)
{
	hone_rtseg r = {
		.first = (uint32_t)hone_field(w, 0, 12),
		.count = (uint32_t)hone_field(w, 12, 12),
		.core_mask = (uint32_t)hone_field(w, 24, 16),
		.axon_base = (uint32_t)hone_field(w, 40, 12),
		.to_host = hone_field(w, 52, 1) != 0,
	};
	return r;
}

typedef struct hone_profile {
	uint8_t carry, leak_shift, reset;
} hone_profile;

static inline uint64_t hone_profile_pack(const hone_profile *p)
{
	return hone_put(p->carry, 0, 1) | hone_put(p->leak_shift, 1, 4) |
	       hone_put(p->reset, 5, 1);
}

static inline hone_profile hone_profile_unpack(uint64_t w)
{
	hone_profile p = {
		.carry = (uint8_t)hone_field(w, 0, 1),
		.leak_shift = (uint8_t)hone_field(w, 1, 4),
		.reset = (uint8_t)hone_field(w, 5, 1),
	};
	return p;
}

typedef struct hone_nparam {
	int32_t threshold, bias;
	uint8_t profile;
	bool enable;
} hone_nparam;

static inline uint64_t hone_nparam_pack(const hone_nparam *n)
{
	return hone_put((uint64_t)(int64_t)n->threshold, 0, 24) |
	       hone_put((uint64_t)(int64_t)n->bias, 24, 24) |
	       hone_put(n->profile, 48, 2) | hone_put(n->enable ? 1 : 0, 50, 1);
}

static inline hone_nparam hone_nparam_unpack(uint64_t w)
{
	hone_nparam n = {
		.threshold = (int32_t)hone_sext(hone_field(w, 0, 24), 24),
		.bias = (int32_t)hone_sext(hone_field(w, 24, 24), 24),
		.profile = (uint8_t)hone_field(w, 48, 2),
		.enable = hone_field(w, 50, 1) != 0,
	};
	return n;
}

/* Weight lane i of a weight word, W bits two's complement. */
static inline int32_t hone_weight_lane(uint64_t word, unsigned lane, unsigned wbits)
{
	return (int32_t)hone_sext(hone_field(word, lane * wbits, wbits), wbits);
}

static inline uint64_t hone_weight_set_lane(uint64_t word, unsigned lane,
                                            unsigned wbits, int32_t w)
{
	uint64_t mask = ((1ull << wbits) - 1) << (lane * wbits);
	return (word & ~mask) | hone_put((uint64_t)(int64_t)w, lane * wbits, wbits);
}

/* carry(v) of semantics.md, on an already clamped v. */
static inline int32_t hone_carry_of(const hone_profile *p, int32_t v)
{
	if (p->carry == HONE_CARRY_NONE)
		return 0;
	if (p->leak_shift == 0)
		return v;
	return v - (v >> p->leak_shift); /* arithmetic shift: gcc/clang on signed */
}

/* Steps 2-5 of a tick for one neuron: returns the spike bit, writes the
 * next base a. u is the integrated potential; P the potential width. */
static inline bool hone_neuron_fire(const hone_profile *p, int32_t u,
                                    int32_t threshold, int32_t bias,
                                    unsigned pbits, int32_t *a_next)
{
	bool s = u >= threshold;
	int64_t v = u;
	if (s)
		v = (p->reset == HONE_RESET_SUBTRACT) ? (int64_t)u - threshold : 0;
	int64_t vmin = -(1ll << (pbits - 2)), vmax = (1ll << (pbits - 2)) - 1;
	if (v < vmin)
		v = vmin;
	if (v > vmax)
		v = vmax;
	*a_next = hone_wrap((int64_t)hone_carry_of(p, (int32_t)v) + bias, pbits);
	return s;
}

/* ---- devices: the backend table (libusb's shape) ---- */
struct hone_backend {
	const char *name;
	int (*open)(hone_device *dev, const char *arg, hone_error *err);
	void (*close)(hone_device *dev);
	int (*caps)(hone_device *dev, hone_caps *caps, hone_error *err);
	/* Perform writes in order. */
	int (*write)(hone_device *dev, const hone_write *w, size_t n, hone_error *err);
	int (*read_mem)(hone_device *dev, uint8_t target, uint8_t mem,
	                uint32_t addr, uint32_t n, uint64_t *out, hone_error *err);
	int (*set_trace)(hone_device *dev, int on, hone_error *err);
	int (*push_events)(hone_device *dev, const hone_event *ev, size_t n,
	                   hone_error *err);
	int (*end_tick)(hone_device *dev, hone_error *err);
	int (*next_result)(hone_device *dev, hone_tick_result *res, hone_error *err);
	size_t (*pending)(hone_device *dev);
	int (*counters)(hone_device *dev, hone_counters *c, hone_error *err);
};

struct hone_device {
	const struct hone_backend *be;
	void *priv;                /* backend state */
	hone_config cfg;           /* configuration the device runs */
	bool loaded;
};

extern const struct hone_backend hone_backend_ref;
extern const struct hone_backend hone_backend_sim; /* backend_sim.c: the RTL in Verilator */
extern const struct hone_backend hone_backend_usb; /* backend_usb.c: a board over libusb + FT2232H */

/* ---- the reference model of the chip (refmodel.c) ---- */
typedef struct hone_refchip hone_refchip;
hone_refchip *hone_refchip_new(const hone_config *cfg);
void hone_refchip_free(hone_refchip *c);
int hone_refchip_write(hone_refchip *c, const hone_write *w, hone_error *err);
int hone_refchip_read(hone_refchip *c, uint8_t target, uint8_t mem,
                      uint32_t addr, uint64_t *out, hone_error *err);
/* Queue an input event for the current tick. */
int hone_refchip_input(hone_refchip *c, uint32_t input, uint8_t g, hone_error *err);
/* Run one tick. Output spikes (ids) appended to out (capacity cap, count
 * in *n_out). If trace_u/trace_s are non-NULL they receive u and s for all
 * cores*neurons slots. */
int hone_refchip_tick(hone_refchip *c, uint32_t *out, size_t cap, size_t *n_out,
                      int32_t *trace_u, uint8_t *trace_s, hone_error *err);
void hone_refchip_counters(const hone_refchip *c, hone_counters *out);
const hone_config *hone_refchip_config(const hone_refchip *c);
/* Test hook: with seed != 0 every core integrates its queued events of each
 * tick in a pseudo-random order drawn from seed (0: queue order), so tests
 * can show that arrival order never changes a result. */
void hone_refchip_set_shuffle(hone_refchip *c, uint64_t seed);

#endif /* HONE_INTERNAL_H */
