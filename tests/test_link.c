/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host link (docs/link-protocol.md): CRC-32, COBS and reversed COBS, the command
 * encodings, and the host ARQ against the C model of the chip side over a
 * simulated UART that corrupts, drops, duplicates, reorders and inserts
 * bytes and frames. Every run checks that the chip saw exactly the commands
 * the host sent and the host exactly the responses the chip made. Ends with
 * the Fashion-MNIST efficiency figures of the protocol document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "link.h"
#include "link_v1.h"
#include "../sim/link/link_stub_model.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}
static double rndf(void) { return rnd() / 2147483648.0; }

typedef struct vec {
	void *p;
	size_t n, cap, sz;
} vec;

static void *vec_push(vec *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->p = realloc(v->p, v->cap * v->sz);
		assert_non_null(v->p);
	}
	return (char *)v->p + v->sz * v->n++;
}

/* ------------------------------------------------------------- codec */

/* CRC-32 as rtl/hone_crc32.v computes it: reflected, polynomial
 * 0xEDB88320, one bit at a time. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return ~crc;
}

static void test_crc32(void **state)
{
	(void)state;
	const uint8_t s[] = "123456789";
	assert_int_equal(hone_link_crc32(0, s, 9), 0xCBF43926u);
	/* zlib's crc32() is the RTL's CRC, and it continues across calls */
	rng_state = 3;
	uint8_t b[600];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)rnd();
	for (size_t n = 0; n < sizeof b; n += 37) {
		uint32_t c = hone_link_crc32(0, b, n / 2);
		c = hone_link_crc32(c, b + n / 2, n - n / 2);
		assert_int_equal(c, crc32_bitwise(0, b, n));
	}
	/* the frame check of both receivers: the CRC appended little-endian
	 * leaves the register (before its final inversion) at 0xDEBB20E3,
	 * what rtl/hone_link_rx.v tests for */
	uint8_t f[13];
	memcpy(f, s, 9);
	uint32_t c = hone_link_crc32(0, s, 9);
	for (int i = 0; i < 4; i++)
		f[9 + i] = (uint8_t)(c >> (8 * i));
	assert_int_equal(~hone_link_crc32(0, f, 13), 0xDEBB20E3u);
	f[3] ^= 0x10;
	assert_int_not_equal(~hone_link_crc32(0, f, 13), 0xDEBB20E3u);
}

static void test_cobs_roundtrip(void **state)
{
	(void)state;
	rng_state = 1;
	static uint8_t in[3000], enc[HONE_LINK_COBS_MAX(3000)], out[3000];
	size_t lens[] = { 0, 1, 2, 253, 254, 255, 256, 508, 509, 1000, 2999 };
	for (int rev = 0; rev < 2; rev++)
	for (int mode = 0; mode < 5; mode++)
		for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
			size_t n = lens[li];
			for (size_t i = 0; i < n; i++)
				in[i] = mode == 0 ? 0 : mode == 1 ? 0xFF
				        : mode == 2 ? (uint8_t)(rnd() % 3 ? rnd() : 0)
				        : mode == 3 ? (uint8_t)(1 + rnd() % 255)
				        /* runs of exactly 254 around zeros */
				                    : (uint8_t)(i % 255 == 254 ? 0 : 1 + i % 7);
			size_t e = rev ? hone_link_rcobs_encode(in, n, enc)
			               : hone_link_cobs_encode(in, n, enc);
			assert_true(e <= HONE_LINK_COBS_MAX(n));
			assert_null(memchr(enc, 0, e));
			long d = rev ? hone_link_rcobs_decode(enc, e, out, sizeof out)
			             : hone_link_cobs_decode(enc, e, out, sizeof out);
			assert_int_equal(d, (long)n);
			assert_memory_equal(in, out, n);
		}
	/* malformed: a block cut short, a zero inside, output too small */
	const uint8_t cut[] = { 0x05, 1, 2 };
	assert_int_equal(hone_link_cobs_decode(cut, 3, out, sizeof out), -1);
	const uint8_t z[] = { 0x03, 1, 0 };
	assert_int_equal(hone_link_cobs_decode(z, 3, out, sizeof out), -1);
	const uint8_t ok[] = { 0x03, 1, 2, 0x02, 3 };
	assert_int_equal(hone_link_cobs_decode(ok, 5, out, 3), -1);
	assert_int_equal(hone_link_cobs_decode(ok, 5, out, 4), 4);
	/* reversed: the code follows its block; the same failures */
	const uint8_t rcut[] = { 1, 2, 0x05 };
	assert_int_equal(hone_link_rcobs_decode(rcut, 3, out, sizeof out), -1);
	const uint8_t rz[] = { 0, 1, 0x03 };
	assert_int_equal(hone_link_rcobs_decode(rz, 3, out, sizeof out), -1);
	const uint8_t rok[] = { 1, 2, 0x03, 3, 0x02 };     /* 1 2 0 3 */
	assert_int_equal(hone_link_rcobs_decode(rok, 5, out, 3), -1);
	assert_int_equal(hone_link_rcobs_decode(rok, 5, out, 4), 4);
	const uint8_t rw[] = { 1, 2, 0, 3 };
	assert_memory_equal(out, rw, 4);
	/* the streaming form the chip sends: 01 00 -> 02 01 01 */
	const uint8_t zz[] = { 1, 0 }, zz_enc[] = { 1, 0x02, 0x01 };
	assert_int_equal(hone_link_rcobs_encode(zz, 2, enc), 3);
	assert_memory_equal(enc, zz_enc, 3);
}

/* --------------------------------------- expected commands, responses */

typedef struct exp_t {
	vec cmds;       /* hone_link_cmd: what the chip must see */
	vec rsps;       /* hone_link_rsp: what the host must get */
	hone_stub stub;
} exp_t;

static void exp_init(exp_t *e)
{
	memset(e, 0, sizeof *e);
	e->cmds.sz = sizeof(hone_link_cmd);
	e->rsps.sz = sizeof(hone_link_rsp);
	hone_stub_init(&e->stub);
}

static void exp_free(exp_t *e)
{
	free(e->cmds.p);
	free(e->rsps.p);
}

static void emit_rsp(void *user, uint8_t kind, uint64_t data)
{
	vec *v = user;
	hone_link_rsp *r = vec_push(v);
	r->kind = kind;
	r->data = data;
}

static void exp_cmd(exp_t *e, uint8_t op, uint8_t target, uint8_t mem,
                    uint16_t addr, uint64_t data)
{
	hone_link_cmd *c = vec_push(&e->cmds);
	*c = (hone_link_cmd){ .op = op, .target = target, .mem = mem,
	                      .addr = addr, .data = data };
	hone_stub_cmd(&e->stub, op, target, mem, addr, data, emit_rsp, &e->rsps);
}

/* A mixed workload through every producer; fills the expectations. */
static void workload(hone_link *l, exp_t *e, int n_rounds, unsigned seed)
{
	rng_state = seed;
	for (int r = 0; r < n_rounds; r++) {
		uint64_t w[40];
		uint8_t target = (uint8_t)(rnd() % 3 == 0 ? 0xFF : rnd() % 4);
		uint8_t mem = (uint8_t)(rnd() % 8);
		uint16_t addr = (uint16_t)(rnd() % 300);
		size_t nw = 1 + rnd() % 40;
		for (size_t i = 0; i < nw; i++) {
			int sh = (int)(rnd() % 64);
			w[i] = (((uint64_t)rnd() << 32) | rnd()) >> sh;
		}
		assert_int_equal(hone_link_put_write(l, target, mem, addr, w, nw), 0);
		for (size_t i = 0; i < nw; i++)
			exp_cmd(e, HONE_CHIP_OP_WRITE, target, mem, (uint16_t)(addr + i), w[i]);
		uint32_t nr = 1 + rnd() % 5;
		assert_int_equal(hone_link_put_read(l, target, mem, addr, nr), 0);
		for (uint32_t i = 0; i < nr; i++)
			exp_cmd(e, HONE_CHIP_OP_READ, target, mem, (uint16_t)(addr + i), 0);
		/* sparse events, sometimes too wide for EV16 */
		hone_event ev[30];
		size_t ne = rnd() % 30;
		bool wide = rnd() % 4 == 0;
		for (size_t i = 0; i < ne; i++) {
			ev[i].tick = 0;
			ev[i].input = wide ? rnd() % 60000 : rnd() % 4096;
			ev[i].g = (uint8_t)(wide ? rnd() % 256 : rnd() % 16);
		}
		assert_int_equal(hone_link_put_events(l, ev, ne), 0);
		for (size_t i = 0; i < ne; i++)
			if (ev[i].g)
				exp_cmd(e, HONE_CHIP_OP_EVENT, 0, 0, (uint16_t)ev[i].input, ev[i].g);
		/* a dense frame */
		uint8_t g[200];
		static const unsigned gb[4] = { 1, 2, 4, 8 };
		unsigned G = gb[rnd() % 4];
		uint32_t n = rnd() % 200;
		for (uint32_t i = 0; i < n; i++)
			g[i] = (uint8_t)((i > n / 3 && rnd() % 2) ? rnd() & ((1u << G) - 1) : 0);
		assert_int_equal(hone_link_put_frame(l, g, n, G), 0);
		for (uint32_t i = 0; i < n; i++)
			if (g[i])
				exp_cmd(e, HONE_CHIP_OP_EVENT, 0, 0, (uint16_t)i, g[i]);
		if (rnd() % 5 == 0) {
			bool on = rnd() % 2;
			assert_int_equal(hone_link_put_trace(l, on), 0);
			exp_cmd(e, HONE_CHIP_OP_TRACE, 0, 0, 0, on);
		}
		uint32_t nt = rnd() % 4 ? 1 : rnd() % 4;
		assert_int_equal(hone_link_put_tick(l, nt), 0);
		for (uint32_t i = 0; i < nt; i++)
			exp_cmd(e, HONE_CHIP_OP_TICK, 0, 0, 0, 0);
		if (rnd() % 7 == 0) {
			assert_int_equal(hone_link_put_counters(l), 0);
			exp_cmd(e, HONE_CHIP_OP_COUNTERS, 0, 0, 0, 0);
		}
		if (rnd() % 11 == 0) {
			assert_int_equal(hone_link_put_caps(l), 0);
			exp_cmd(e, HONE_CHIP_OP_CAPS, 0, 0, 0, 0);
		}
	}
	hone_link_flush(l);
}

/* ---------------------------------------------- a simulated UART link */

typedef struct impair {
	double flip, drop, dup, garbage;          /* per byte */
	double fdrop, fdup, fswap, freplay;       /* per frame */
} impair;

typedef struct pkt {
	uint64_t t;
	uint8_t *p;
	size_t n;
} pkt;

typedef struct chan {
	bool reversed;         /* chip -> host: reversed COBS */
	vec q;                 /* pkt */
	size_t head;
	uint64_t busy_until, lat_us;
	uint32_t baud;
	impair im;
	uint8_t hist[64][64];  /* recent small frames, for replays */
	size_t hist_n[64];
	unsigned hist_i;
	uint64_t corrupted;
} chan;

static void chan_init(chan *c, uint32_t baud, uint64_t lat_us, const impair *im)
{
	memset(c, 0, sizeof *c);
	c->q.sz = sizeof(pkt);
	c->baud = baud;
	c->lat_us = lat_us;
	if (im)
		c->im = *im;
}

static void chan_free(chan *c)
{
	for (size_t i = c->head; i < c->q.n; i++)
		free(((pkt *)c->q.p)[i].p);
	free(c->q.p);
}

static bool chan_free_at(const chan *c, uint64_t now) { return now >= c->busy_until; }

/* Append bytes to an output buffer, with the per-byte impairments. */
static void put_bytes(chan *c, vec *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (rndf() < c->im.garbage) {
			*(uint8_t *)vec_push(o) = (uint8_t)rnd();
			c->corrupted++;
		}
		if (rndf() < c->im.drop) {
			c->corrupted++;
			continue;
		}
		if (rndf() < c->im.flip) {
			b ^= (uint8_t)(1u << (rnd() % 8));
			c->corrupted++;
		}
		*(uint8_t *)vec_push(o) = b;
		if (rndf() < c->im.dup) {
			*(uint8_t *)vec_push(o) = b;
			c->corrupted++;
		}
	}
}

static void chan_send(chan *c, uint64_t now, const uint8_t *p, size_t n)
{
	vec o = { .sz = 1 };
	/* split into frames (each ends with 0x00) and play with them */
	size_t s = 0;
	const uint8_t *held = NULL;
	size_t held_n = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0 && i + 1 < n)
			continue;
		const uint8_t *f = p + s;
		size_t fn = i + 1 - s;
		s = i + 1;
		uint8_t r0[80];
		/* a UART never replays a frame: replays here stand for delayed
		 * duplicates of data, acks and status, not of a link RESET */
		long rn = c->reversed ? hone_link_rcobs_decode(f, fn - 1, r0, sizeof r0)
		                      : hone_link_cobs_decode(f, fn - 1, r0, sizeof r0);
		if (fn <= 64 && rn > 0 &&
		    (r0[0] & 0x0F) != HONE_LINK_FT_RESET &&
		    (r0[0] & 0x0F) != HONE_LINK_FT_RESET_ACK) {
			memcpy(c->hist[c->hist_i % 64], f, fn);
			c->hist_n[c->hist_i++ % 64] = fn;
		}
		if (rndf() < c->im.fdrop) {
			c->corrupted++;
			continue;
		}
		if (!held && rndf() < c->im.fswap) {
			held = f;
			held_n = fn;
			c->corrupted++;
			continue;
		}
		put_bytes(c, &o, f, fn);
		if (rndf() < c->im.fdup) {
			put_bytes(c, &o, f, fn);
			c->corrupted++;
		}
		if (held) {
			put_bytes(c, &o, held, held_n);
			held = NULL;
		}
		if (c->hist_i && rndf() < c->im.freplay) {
			/* a delayed duplicate of one of the last 8 small frames */
			unsigned back = 1 + rnd() % (c->hist_i < 8 ? c->hist_i : 8);
			unsigned k = (c->hist_i - back) % 64;
			put_bytes(c, &o, c->hist[k], c->hist_n[k]);
			c->corrupted++;
		}
	}
	if (held)
		put_bytes(c, &o, held, held_n);
	uint64_t start = now > c->busy_until ? now : c->busy_until;
	uint64_t dur = (uint64_t)n * 10000000u / c->baud;
	c->busy_until = start + dur;
	pkt *k = vec_push(&c->q);
	k->t = start + dur + c->lat_us;
	k->p = o.p;
	k->n = o.n;
}

typedef void (*sink_fn)(void *obj, uint64_t now, const uint8_t *p, size_t n);

static void chan_deliver(chan *c, uint64_t now, sink_fn sink, void *obj)
{
	pkt *q = c->q.p;
	while (c->head < c->q.n && q[c->head].t <= now) {
		if (q[c->head].n)
			sink(obj, now, q[c->head].p, q[c->head].n);
		free(q[c->head].p);
		q[c->head].p = NULL;
		c->head++;
	}
}

static void sink_dev(void *obj, uint64_t now, const uint8_t *p, size_t n)
{
	hone_linkdev_push_rx(obj, now, p, n);
}
static void sink_host(void *obj, uint64_t now, const uint8_t *p, size_t n)
{
	hone_link_push_rx(obj, now, p, n);
}

/* The chip behind the link model: the stub, at most `speed` commands per
 * step, stalling when the link cannot take its responses. */
typedef struct fakechip {
	hone_stub stub;
	vec pend;              /* hone_link_rsp not yet accepted by the link */
	size_t pend_head;
	vec got_cmds;
	int speed;
	int spikes_per_tick;   /* >= 0: answer TICKs with this many spikes
	                          instead of the echo stub (efficiency runs) */
	uint64_t ticks;
} fakechip;

static void fakechip_step(fakechip *fc, hone_linkdev *d)
{
	for (int k = 0; k < fc->speed; k++) {
		hone_link_rsp *pr = fc->pend.p;
		while (fc->pend_head < fc->pend.n &&
		       hone_linkdev_put_rsp(d, pr[fc->pend_head].kind, pr[fc->pend_head].data))
			fc->pend_head++;
		if (fc->pend_head < fc->pend.n)
			return; /* stalled by the link */
		fc->pend.n = fc->pend_head = 0;
		hone_link_cmd c;
		if (!hone_linkdev_get_cmd(d, &c))
			return;
		*(hone_link_cmd *)vec_push(&fc->got_cmds) = c;
		if (fc->spikes_per_tick >= 0) {
			if (c.op == HONE_CHIP_OP_TICK) {
				for (int s = 0; s < fc->spikes_per_tick; s++)
					emit_rsp(&fc->pend, HONE_RSP_SPIKE, (uint64_t)(s * 7 % 100));
				emit_rsp(&fc->pend, HONE_RSP_TICK_DONE, fc->ticks++);
			}
		} else {
			hone_stub_cmd(&fc->stub, c.op, c.target, c.mem, c.addr, c.data,
			              emit_rsp, &fc->pend);
		}
	}
}

typedef struct run_cfg {
	uint32_t baud;
	uint64_t lat_us;       /* chip -> host latency (FTDI latency timer) */
	uint64_t dt_us;
	int speed;
	int spikes_per_tick;
	impair h2c, c2h;
	hone_link_params hp;
	hone_linkdev_params dp;
	uint64_t max_us;
	bool stale_session;    /* chip has leftovers of an older session */
} run_cfg;

typedef struct run_out {
	uint64_t sim_us;
	hone_link_stats hs;
	hone_linkdev_stats ds;
	uint64_t corrupted_h2c, corrupted_c2h;
} run_out;

/* Run a link until the chip has every expected command and the host every
 * expected response; check both sequences exactly. */
static void run_link(const run_cfg *rc, void (*load)(hone_link *, exp_t *, void *),
                     void *arg, run_out *ro)
{
	hone_link *h = hone_link_new(&rc->hp);
	hone_linkdev *d = hone_linkdev_new(&rc->dp);
	assert_non_null(h);
	assert_non_null(d);
	chan h2c, c2h;
	chan_init(&h2c, rc->baud, 50, &rc->h2c);
	chan_init(&c2h, rc->baud, rc->lat_us, &rc->c2h);
	c2h.reversed = true;
	fakechip fc = { .speed = rc->speed, .spikes_per_tick = rc->spikes_per_tick };
	fc.pend.sz = sizeof(hone_link_rsp);
	fc.got_cmds.sz = sizeof(hone_link_cmd);
	hone_stub_init(&fc.stub);
	exp_t e;
	exp_init(&e);
	vec got = { .sz = sizeof(hone_link_rsp) };
	static uint8_t buf[8192];
	uint64_t now = 0;

	if (rc->stale_session) {
		/* an older host left a half frame and commands in the chip */
		hone_link *old = hone_link_new(NULL);
		hone_link_reset(old, 0);
		size_t n = hone_linkdev_pull_tx(d, 0, buf, sizeof buf);
		(void)n;
		uint8_t junk[] = { 0x11, 0x22, 0x33 };
		hone_linkdev_push_rx(d, 0, junk, 3);
		hone_link_free(old);
	}
	hone_link_reset(h, now);
	load(h, &e, arg);
	size_t want_cmds = e.cmds.n, want_rsps = e.rsps.n;
	if (rc->spikes_per_tick >= 0) {
		want_rsps = 0;
		for (size_t i = 0; i < want_cmds; i++)
			if (((hone_link_cmd *)e.cmds.p)[i].op == HONE_CHIP_OP_TICK)
				want_rsps += (size_t)rc->spikes_per_tick + 1;
	}
	while (now < rc->max_us) {
		if (chan_free_at(&h2c, now)) {
			size_t n = hone_link_pull_tx(h, now, buf, sizeof buf);
			if (n)
				chan_send(&h2c, now, buf, n);
		}
		chan_deliver(&h2c, now, sink_dev, d);
		fakechip_step(&fc, d);
		if (chan_free_at(&c2h, now)) {
			size_t n = hone_linkdev_pull_tx(d, now, buf, sizeof buf);
			if (n)
				chan_send(&c2h, now, buf, n);
		}
		chan_deliver(&c2h, now, sink_host, h);
		hone_link_rsp r;
		while (hone_link_get_rsp(h, &r))
			*(hone_link_rsp *)vec_push(&got) = r;
		if (hone_link_error(h))
			fail_msg("link error %d at %llu us: chip proto_err %llu, credit %u unacked %zu, chip "
			         "fifo %u, chip dup %llu ahead %llu bad %llu status %llu",
			         hone_link_error(h), (unsigned long long)now,
			         (unsigned long long)hone_linkdev_get_stats(d)->proto_err,
			         hone_link_credit(h), hone_link_unacked(h),
			         hone_linkdev_fifo_fill(d),
			         (unsigned long long)hone_linkdev_get_stats(d)->dup_in,
			         (unsigned long long)hone_linkdev_get_stats(d)->ahead_in,
			         (unsigned long long)hone_linkdev_get_stats(d)->bad_in,
			         (unsigned long long)hone_linkdev_get_stats(d)->status_out);
		if (fc.got_cmds.n >= want_cmds && got.n >= want_rsps &&
		    hone_link_unacked(h) == 0)
			break;
		now += rc->dt_us;
	}
	if (now >= rc->max_us)
		fail_msg("link did not finish: %zu/%zu commands, %zu/%zu responses, "
		         "unacked %zu", fc.got_cmds.n, want_cmds, got.n, want_rsps,
		         hone_link_unacked(h));
	/* exactly the commands, in order; exactly the responses */
	assert_int_equal(fc.got_cmds.n, want_cmds);
	hone_link_cmd *gc = fc.got_cmds.p, *ec = e.cmds.p;
	for (size_t i = 0; i < want_cmds; i++) {
		if (gc[i].op != ec[i].op || gc[i].target != ec[i].target ||
		    gc[i].mem != ec[i].mem || gc[i].addr != ec[i].addr ||
		    gc[i].data != ec[i].data)
			fail_msg("command %zu: got op %u t %u m %u a %u d %llx, want op %u "
			         "t %u m %u a %u d %llx", i, gc[i].op, gc[i].target, gc[i].mem,
			         gc[i].addr, (unsigned long long)gc[i].data, ec[i].op,
			         ec[i].target, ec[i].mem, ec[i].addr,
			         (unsigned long long)ec[i].data);
	}
	if (rc->spikes_per_tick < 0) {
		assert_int_equal(got.n, want_rsps);
		hone_link_rsp *gr = got.p, *er = e.rsps.p;
		for (size_t i = 0; i < want_rsps; i++) {
			assert_int_equal(gr[i].kind, er[i].kind);
			assert_int_equal(gr[i].data, er[i].data);
		}
	}
	const hone_linkdev_stats *ds = hone_linkdev_get_stats(d);
	assert_int_equal(ds->overruns, 0);            /* credits never exceeded */
	assert_true(ds->fifo_max <= (rc->dp.rx_fifo ? rc->dp.rx_fifo : 2048));
	assert_int_equal(ds->proto_err, 0);
	if (ro) {
		ro->sim_us = now;
		ro->hs = *hone_link_get_stats(h);
		ro->ds = *ds;
		ro->corrupted_h2c = h2c.corrupted;
		ro->corrupted_c2h = c2h.corrupted;
	}
	chan_free(&h2c);
	chan_free(&c2h);
	free(fc.pend.p);
	free(fc.got_cmds.p);
	free(got.p);
	exp_free(&e);
	hone_link_free(h);
	hone_linkdev_free(d);
}

typedef struct wl_arg {
	int rounds;
	unsigned seed;
} wl_arg;

static void load_workload(hone_link *l, exp_t *e, void *arg)
{
	wl_arg *a = arg;
	workload(l, e, a->rounds, a->seed);
}

static run_cfg clean_cfg(void)
{
	run_cfg rc = { .baud = 3000000, .lat_us = 1000, .dt_us = 20, .speed = 64,
	               .spikes_per_tick = -1, .max_us = 60000000 };
	return rc;
}

static void test_clean_link(void **state)
{
	(void)state;
	run_cfg rc = clean_cfg();
	wl_arg a = { 200, 12345 };
	run_out ro;
	run_link(&rc, load_workload, &a, &ro);
	assert_int_equal(ro.hs.frames_retx, 0);
	assert_int_equal(ro.hs.bad_in, 0);
	assert_int_equal(ro.ds.bad_in, 0);
	print_message("clean: %llu payload / %llu wire bytes out (%.1f %%), %llu frames\n",
	              (unsigned long long)ro.hs.payload_out,
	              (unsigned long long)ro.hs.wire_out,
	              100.0 * (double)ro.hs.payload_out / (double)ro.hs.wire_out,
	              (unsigned long long)ro.hs.frames_out);
}

static void lossy(const char *name, impair both, int rounds, int speed)
{
	run_cfg rc = clean_cfg();
	rc.h2c = both;
	rc.c2h = both;
	rc.speed = speed;
	run_out ro;
	const char *env = getenv("HONE_LINK_SEEDS");
	unsigned seeds = env ? (unsigned)atoi(env) : 3;
	unsigned long long rejected = 0;
	for (unsigned seed = 1; seed <= seeds; seed++) {
	wl_arg a = { rounds, seed };
	run_link(&rc, load_workload, &a, &ro);
	print_message("%s: corrupted %llu/%llu, host retx %llu gobacks %llu timeouts "
	              "%llu bad_in %llu; chip bad_in %llu dup %llu ahead %llu retx %llu/%llu\n",
	              name, (unsigned long long)ro.corrupted_h2c,
	              (unsigned long long)ro.corrupted_c2h,
	              (unsigned long long)ro.hs.frames_retx,
	              (unsigned long long)ro.hs.gobacks,
	              (unsigned long long)ro.hs.timeouts,
	              (unsigned long long)ro.hs.bad_in,
	              (unsigned long long)ro.ds.bad_in,
	              (unsigned long long)ro.ds.dup_in,
	              (unsigned long long)ro.ds.ahead_in,
	              (unsigned long long)ro.ds.frames_retx,
	              (unsigned long long)ro.ds.frames_out);
	assert_true(ro.corrupted_h2c + ro.corrupted_c2h > 0);
	rejected += ro.hs.bad_in + ro.ds.bad_in;
	}
	/* every seed delivered exactly: no corrupted frame got through */
	print_message("%s: %u seeds, %llu frames rejected (CRC, COBS, short), none "
	              "accepted wrongly\n", name, seeds, rejected);
}

static void test_bit_errors(void **state)
{
	(void)state;
	lossy("bit flips", (impair){ .flip = 1e-3 }, 150, 64);
}

static void test_byte_loss_dup_garbage(void **state)
{
	(void)state;
	lossy("byte loss/dup/garbage",
	      (impair){ .drop = 4e-4, .dup = 4e-4, .garbage = 4e-4 }, 150, 64);
}

static void test_frame_loss_dup_reorder(void **state)
{
	(void)state;
	lossy("frame drop/dup/swap/replay",
	      (impair){ .fdrop = 0.05, .fdup = 0.05, .fswap = 0.05, .freplay = 0.05 },
	      150, 64);
}

static void test_everything_slow_chip(void **state)
{
	(void)state;
	/* a chip that takes one command per 20 us keeps its FIFO full: the
	 * credits, not the window, pace the host */
	lossy("all impairments, slow chip",
	      (impair){ .flip = 2e-4, .drop = 2e-4, .dup = 2e-4, .garbage = 2e-4,
	                .fdrop = 0.02, .fdup = 0.02, .fswap = 0.02, .freplay = 0.02 },
	      100, 1);
}

static void test_credit_pacing(void **state)
{
	(void)state;
	run_cfg rc = clean_cfg();
	rc.speed = 1;
	rc.dp.rx_fifo = 600; /* a small FIFO */
	wl_arg a = { 60, 5 };
	run_out ro;
	run_link(&rc, load_workload, &a, &ro);
	assert_true(ro.hs.credit_stalls > 0);
	assert_int_equal(ro.ds.overruns, 0);
	assert_true(ro.ds.fifo_max <= 600);
	print_message("credit pacing: %llu stalls, FIFO peak %u of 600, %llu polls\n",
	              (unsigned long long)ro.hs.credit_stalls, ro.ds.fifo_max,
	              (unsigned long long)ro.hs.polls_out);
}

static void test_stale_session(void **state)
{
	(void)state;
	run_cfg rc = clean_cfg();
	rc.stale_session = true;
	rc.h2c.fdrop = 0.2; /* RESETs get lost too */
	wl_arg a = { 10, 6 };
	run_link(&rc, load_workload, &a, NULL);
}

/* A host that overruns the credit (a bug) must be refused, not obeyed
 * into corrupting the FIFO. */
static void test_overrun_refused(void **state)
{
	(void)state;
	hone_linkdev_params dp = { .rx_fifo = 64 };
	hone_linkdev *d = hone_linkdev_new(&dp);
	uint8_t raw[3 + 100], wire[256];
	raw[0] = HONE_LINK_FT_DATA;
	raw[1] = 0;
	raw[2] = 0;
	memset(raw + 3, HONE_LINK_OP_NOP, 100);
	size_t n = hone_link_frame_encode(raw, sizeof raw, wire);
	hone_linkdev_push_rx(d, 0, wire, n);
	assert_int_equal(hone_linkdev_get_stats(d)->overruns, 1);
	assert_int_equal(hone_linkdev_fifo_fill(d), 0);
	n = hone_linkdev_pull_tx(d, 0, wire, sizeof wire);
	/* a STATUS with NAK, ack 0, credit 64 */
	long k = hone_link_rcobs_decode(wire, n - 1, raw, sizeof raw);
	assert_int_equal(k, 4 + HONE_LINK_CRC_BYTES);
	assert_int_equal(raw[0], HONE_LINK_FT_STATUS | HONE_LINK_F_NAK);
	assert_int_equal(raw[1], 0);
	assert_int_equal(raw[2] | raw[3] << 8, 64);
	hone_linkdev_free(d);
}

/* A bitstream of link protocol 1 (COBS and CRC-16/CCITT-FALSE both ways)
 * cannot answer a RESET of protocol 2, but NAKs it: a host resetting the
 * link recognises that STATUS and fails with HONE_ERR_VERSION at once. A
 * link that is up only counts such a frame (a bad frame of its own with a
 * 2^-16 chance of looking like one must not end a session). */
static void test_version_1_board(void **state)
{
	(void)state;
	uint8_t v1[16], buf[64];
	size_t n = tu_link_v1_nak(v1);

	hone_link *l = hone_link_new(NULL);
	hone_link_reset(l, 0);
	assert_true(hone_link_pull_tx(l, 0, buf, sizeof buf) > 0);   /* the RESET */
	hone_link_push_rx(l, 10, v1, n);
	assert_int_equal(hone_link_get_stats(l)->v1_in, 1);
	assert_int_equal(hone_link_error(l), HONE_ERR_VERSION);
	assert_false(hone_link_up(l));
	hone_link_free(l);

	/* up: counted, not fatal; a bad frame of protocol 2 is not counted */
	hone_linkdev *d = hone_linkdev_new(NULL);
	l = hone_link_new(NULL);
	hone_link_reset(l, 0);
	for (int k = 0; k < 4 && !hone_link_up(l); k++) {
		size_t m = hone_link_pull_tx(l, 0, buf, sizeof buf);
		hone_linkdev_push_rx(d, 0, buf, m);
		m = hone_linkdev_pull_tx(d, 0, buf, sizeof buf);
		hone_link_push_rx(l, 0, buf, m);
	}
	assert_true(hone_link_up(l));
	hone_link_push_rx(l, 20, v1, n);
	const uint8_t bad[] = { 0x05, 0x09, 0x01, 0x02, 0x03, 0x04, 0x00 };
	hone_link_push_rx(l, 30, bad, sizeof bad);
	assert_int_equal(hone_link_get_stats(l)->v1_in, 1);
	assert_int_equal(hone_link_get_stats(l)->bad_in, 2);
	assert_int_equal(hone_link_error(l), 0);
	hone_link_free(l);
	hone_linkdev_free(d);
}

/* The encodings of the protocol document's examples, byte for byte. */
static void test_example_frames(void **state)
{
	(void)state;
	hone_link *l = hone_link_new(NULL);
	const uint8_t want[] = {
		0x03, 0x02, 0x00, 0x37, 0xa1, 0x10, 0x20,
		0x01, 0x00, 0x74, 0x00, 0x10, 0x01, 0x00,
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
		0x02, 0xff, 0x00, 0x00, 0x00, 0x03, 0x00,
		0x07, 0xe8, 0x03,
		0x06,
	};
	/* take the command stream through a DATA frame to a chip model */
	hone_linkdev *d = hone_linkdev_new(NULL);
	uint8_t buf[2048];
	hone_link_reset(l, 0);
	size_t n = hone_link_pull_tx(l, 0, buf, sizeof buf);
	hone_linkdev_push_rx(d, 0, buf, n);
	n = hone_linkdev_pull_tx(d, 0, buf, sizeof buf);
	print_message("RESET_ACK on the wire:");
	for (size_t i = 0; i < n; i++)
		print_message(" %02x", buf[i]);
	print_message("\n");
	hone_link_push_rx(l, 0, buf, n);
	assert_true(hone_link_up(l));
	hone_event ev[2] = { { 0, 0x137, 10 }, { 0, 0x010, 2 } };
	hone_link_put_events(l, ev, 2);
	uint64_t w = 0x0123456789abcdefull;
	hone_link_put_write(l, 0, HONE_MEM_WEIGHT, 0x1000, &w, 1);
	hone_link_put_read(l, 0xFF, HONE_MEM_CHIPREG, 0, 3);
	hone_link_put_tick(l, 1000);
	hone_link_put_tick(l, 1);
	hone_link_flush(l);
	n = hone_link_pull_tx(l, 0, buf, sizeof buf);
	uint8_t raw[2048];
	print_message("DATA frame on the wire:");
	for (size_t i = 0; i < n; i++)
		print_message(" %02x", buf[i]);
	print_message("\n");
	long k = hone_link_cobs_decode(buf, n - 1, raw, sizeof raw);
	assert_int_equal(k, 3 + (long)sizeof want + HONE_LINK_CRC_BYTES);
	assert_int_equal(raw[0], HONE_LINK_FT_DATA);
	assert_memory_equal(raw + 3, want, sizeof want);
	hone_linkdev_free(d);
	hone_link_free(l);
	/* the DENSE layout itself */
	hone_link *l3 = hone_link_new(NULL);
	hone_linkdev *d3 = hone_linkdev_new(NULL);
	hone_link_reset(l3, 0);
	n = hone_link_pull_tx(l3, 0, buf, sizeof buf);
	hone_linkdev_push_rx(d3, 0, buf, n);
	n = hone_linkdev_pull_tx(d3, 0, buf, sizeof buf);
	hone_link_push_rx(l3, 0, buf, n);
	const uint8_t dense[] = { 0x05, 0x04, 0x00, 0x01, 0x05, 0x00, 0x21, 0x03, 0x00 };
	hone_link_put_raw(l3, dense, sizeof dense);
	hone_link_flush(l3);
	n = hone_link_pull_tx(l3, 0, buf, sizeof buf);
	hone_linkdev_push_rx(d3, 0, buf, n);
	hone_link_cmd c;
	for (int i = 0; i < 3; i++) {
		assert_true(hone_linkdev_get_cmd(d3, &c));
		assert_int_equal(c.op, HONE_CHIP_OP_EVENT);
		assert_int_equal(c.addr, 256 + i);
		assert_int_equal(c.data, i + 1);
	}
	assert_false(hone_linkdev_get_cmd(d3, &c));
	hone_linkdev_free(d3);
	hone_link_free(l3);
}

/* put_frame never costs more than all-DENSE or all-events. */
static void test_frame_encoding_cost(void **state)
{
	(void)state;
	rng_state = 7;
	for (int t = 0; t < 200; t++) {
		uint8_t g[784];
		double p = (t % 10) / 10.0;
		for (int i = 0; i < 784; i++)
			g[i] = rndf() < p ? (uint8_t)(1 + rnd() % 15) : 0;
		hone_link *l = hone_link_new(NULL);
		hone_link_put_frame(l, g, 784, 4);
		size_t cost = hone_link_unacked(l);
		size_t nnz = 0;
		for (int i = 0; i < 784; i++)
			nnz += g[i] != 0;
		size_t dense = 6 + 392, events = nnz ? 3 + 2 * nnz : 0;
		assert_true(cost <= (dense < events ? dense : events));
		hone_link_free(l);
	}
}

/* ------------------------------------------------ efficiency figures */

static uint8_t *fashion_images(int n, bool *real)
{
	uint8_t *x = malloc((size_t)n * 784);
	assert_non_null(x);
	*real = false;
	gzFile f = gzopen("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb");
	if (f) {
		uint8_t hdr[16];
		if (gzread(f, hdr, 16) == 16 && hdr[2] == 8 && hdr[3] == 3 &&
		    gzread(f, x, (unsigned)n * 784) == n * 784)
			*real = true;
		gzclose(f);
	}
	if (!*real) {
		/* synthetic stand-in: an ellipse of texture on an empty border */
		rng_state = 99;
		for (int k = 0; k < n; k++)
			for (int i = 0; i < 784; i++) {
				int r = i / 28, c = i % 28;
				double dy = (r - 14) / 12.0, dx = (c - 14) / (6.0 + k % 6);
				x[(size_t)k * 784 + i] = dx * dx + dy * dy < 1 ?
					(uint8_t)(rnd() % 256) : 0;
			}
	}
	return x;
}

typedef struct fm_arg {
	const uint8_t *x;
	int n;
	size_t nnz, dense_bytes, event_bytes;
} fm_arg;

static void load_fashion(hone_link *l, exp_t *e, void *p)
{
	fm_arg *a = p;
	for (int k = 0; k < a->n; k++) {
		uint8_t g[784];
		size_t nz = 0;
		for (int i = 0; i < 784; i++) {
			g[i] = (uint8_t)((a->x[(size_t)k * 784 + i] * 15 + 127) / 255);
			if (g[i]) {
				nz++;
				exp_cmd(e, HONE_CHIP_OP_EVENT, 0, 0, (uint16_t)i, g[i]);
			}
		}
		a->nnz += nz;
		a->dense_bytes += 6 + 392 + 1;
		a->event_bytes += 3 + 2 * nz + 1;
		assert_int_equal(hone_link_put_frame(l, g, 784, 4), 0);
		assert_int_equal(hone_link_put_tick(l, 1), 0);
		exp_cmd(e, HONE_CHIP_OP_TICK, 0, 0, 0, 0);
	}
	hone_link_flush(l);
}

static void test_fashion_mnist_efficiency(void **state)
{
	(void)state;
	const int n = 1000;
	bool real;
	uint8_t *x = fashion_images(n, &real);
	static const uint32_t bauds[2] = { 3000000, 12000000 };
	print_message("Fashion-MNIST stream (%s, %d images, G=4, 10 output spikes "
	              "per tick):\n", real ? "t10k" : "synthetic", n);
	for (int b = 0; b < 2; b++) {
		fm_arg a = { .x = x, .n = n };
		run_cfg rc = clean_cfg();
		rc.baud = bauds[b];
		rc.dt_us = 5;
		rc.spikes_per_tick = 10;
		rc.hp.baud = bauds[b];
		if (bauds[b] == 12000000)
			rc.dp.rx_fifo = 4096;
		/* HONE_LINK_RX_FIFO=N: the chip's FIFO at both rates (the
		 * RX_FA trade-off of docs/link-protocol.md) */
		if (getenv("HONE_LINK_RX_FIFO"))
			rc.dp.rx_fifo = (uint32_t)atoi(getenv("HONE_LINK_RX_FIFO"));
		run_out ro;
		run_link(&rc, load_fashion, &a, &ro);
		double ratio = (double)ro.hs.payload_out / (double)ro.hs.wire_out;
		double per_img = (double)ro.hs.wire_out / n;
		double bound = bauds[b] / 10.0 / per_img;
		double sim = n / (ro.sim_us / 1e6);
		print_message("  %2u Mbaud: %.1f%% of inputs non-zero; command bytes/image "
		              "%.1f (all-DENSE %.1f, all-events %.1f); wire bytes/image "
		              "%.1f; payload/wire %.2f%%; images/s: %.0f at line rate, "
		              "%.0f simulated with a %llu us return latency and FIFO %u; "
		              "chip->host wire %.1f bytes/image (payload %.2f%%)\n",
		              bauds[b] / 1000000, 100.0 * (double)a.nnz / (784.0 * n),
		              (double)ro.hs.payload_out / n, (double)a.dense_bytes / n,
		              (double)a.event_bytes / n, per_img, 100.0 * ratio, bound, sim,
		              (unsigned long long)rc.lat_us,
		              rc.dp.rx_fifo ? rc.dp.rx_fifo : 2048,
		              (double)ro.hs.wire_in / n,
		              100.0 * (double)ro.hs.payload_in / (double)ro.hs.wire_in);
		assert_true(ratio >= 0.90);
		assert_true(ro.hs.payload_out < a.dense_bytes);
	}
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_cobs_roundtrip),
		cmocka_unit_test(test_example_frames),
		cmocka_unit_test(test_version_1_board),
		cmocka_unit_test(test_frame_encoding_cost),
		cmocka_unit_test(test_overrun_refused),
		cmocka_unit_test(test_clean_link),
		cmocka_unit_test(test_bit_errors),
		cmocka_unit_test(test_byte_loss_dup_garbage),
		cmocka_unit_test(test_frame_loss_dup_reorder),
		cmocka_unit_test(test_everything_slow_chip),
		cmocka_unit_test(test_credit_pacing),
		cmocka_unit_test(test_stale_session),
		cmocka_unit_test(test_fashion_mnist_efficiency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
