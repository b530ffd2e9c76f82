// SPDX-License-Identifier: Apache-2.0
//
// The link RTL against the host's C link, through the UART pins.
//
// rtl/hone_link.v (with sim/link/link_stub.v behind it, in link_tb.v) runs
// in Verilator; this harness is the FT2232H: it serialises the bytes of
// hone_link_pull_tx() onto i_uart_rx bit by bit (CLKS_PER_BIT clocks a
// bit), deserialises o_uart_tx into hone_link_push_rx(), and injects errors
// on the way: bit flips, lost, duplicated and inserted bytes, and glitches
// on the line itself. Each scenario streams a workload through every
// command encoding and checks that the host got exactly the responses the
// stub model (link_stub_model.h) gives for exactly the commands sent: a
// command lost, duplicated or corrupted changes READ data, a SPIKE echo or
// the COUNTERS totals. Prints one line per scenario and "N passed, N failed".
// Built three times by sim/link/run.sh: against the stand-in (link_tb.v,
// exact expectations from the stub model); with -DLINK_LONG, against the
// stand-in with 254-byte RDATA bodies and CAPS words of non-zero bytes, so
// that runs of 254 non-zero bytes (reversed COBS's 0xFF code) occur; and,
// with -DLINK_CHIP, against the real hone_chip (link_chip_tb.v, a
// scripted session whose answers the memory map and docs/chip-interface.md
// fix).
#ifdef LINK_CHIP
#include "Vlink_chip_tb.h"
typedef Vlink_chip_tb Vtop;
#else
#include "Vlink_tb.h"
typedef Vlink_tb Vtop;
#endif
#include "verilated.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "link.h"
#include "link_stub_model.h"

#ifndef CPB
#define CPB 4                             // clocks per bit (link_tb default)
#endif
static const uint64_t CYC_PER_US = 12;    // a 12 MHz clock: 3 Mbaud

static uint64_t rng = 1;
static uint32_t rnd() {
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}
static double rndf() { return rnd() / 2147483648.0; }

struct Impair {
	double flip, drop, dup, garbage, glitch;  // per byte; glitch per bit
};

struct Scenario {
	const char *name;
	Impair h2c, c2h;
	int ready_pct;                 // stub takes a command in this % of cycles
	int rounds;
	unsigned seed;
};

struct Expect {
	std::vector<hone_link_rsp> rsps;
	std::vector<uint64_t> masks;   // bits of each response that must match
	hone_stub stub;
	uint64_t ncmds = 0;
};

static void emit(void *u, uint8_t kind, uint64_t data) {
	Expect *e = (Expect *)u;
	e->rsps.push_back(hone_link_rsp{kind, data});
	e->masks.push_back(~0ull);
}

static void want(Expect &e, uint8_t kind, uint64_t data, uint64_t mask) {
	e.rsps.push_back(hone_link_rsp{kind, data});
	e.masks.push_back(mask);
}

static void cmd(Expect &e, uint8_t op, uint8_t t, uint8_t m, uint16_t a, uint64_t d) {
	hone_stub_cmd(&e.stub, op, t, m, a, d, emit, &e);
	e.ncmds++;
}

// A workload through every producer of the host link.
static void workload(hone_link *l, Expect &e, int rounds) {
	hone_link_put_caps(l);
	cmd(e, HONE_CHIP_OP_CAPS, 0, 0, 0, 0);
	for (int r = 0; r < rounds; r++) {
		uint64_t w[12];
		uint8_t t = (uint8_t)(rnd() % 4), m = (uint8_t)(rnd() % 8);
		uint16_t a = (uint16_t)(rnd() % 256);
		size_t nw = 1 + rnd() % 12;
		for (size_t i = 0; i < nw; i++)
			w[i] = (((uint64_t)rnd() << 32) | rnd()) >> (rnd() % 64);
		hone_link_put_write(l, t, m, a, w, nw);
		for (size_t i = 0; i < nw; i++)
			cmd(e, HONE_CHIP_OP_WRITE, t, m, (uint16_t)(a + i), w[i]);
		uint32_t nr = 1 + rnd() % 4;
		hone_link_put_read(l, t, m, a, nr);
		for (uint32_t i = 0; i < nr; i++)
			cmd(e, HONE_CHIP_OP_READ, t, m, (uint16_t)(a + i), 0);
		hone_event ev[16];
		size_t ne = rnd() % 16;
		bool wide = rnd() % 3 == 0;
		for (size_t i = 0; i < ne; i++) {
			ev[i].tick = 0;
			ev[i].input = wide ? rnd() % 65536 : rnd() % 4096;
			ev[i].g = (uint8_t)(wide ? rnd() % 256 : rnd() % 16);
		}
		hone_link_put_events(l, ev, ne);
		for (size_t i = 0; i < ne; i++)
			if (ev[i].g)
				cmd(e, HONE_CHIP_OP_EVENT, 0, 0, (uint16_t)ev[i].input, ev[i].g);
		static const unsigned gb[4] = { 1, 2, 4, 8 };
		unsigned G = gb[rnd() % 4];
		uint8_t g[120];
		uint32_t n = rnd() % 120;
		for (uint32_t i = 0; i < n; i++)
			g[i] = (uint8_t)((i > n / 4 && rnd() % 2) ? rnd() & ((1u << G) - 1) : 0);
		hone_link_put_frame(l, g, n, G);
		for (uint32_t i = 0; i < n; i++)
			if (g[i])
				cmd(e, HONE_CHIP_OP_EVENT, 0, 0, (uint16_t)i, g[i]);
		if (rnd() % 4 == 0) {
			bool on = rnd() % 2;
			hone_link_put_trace(l, on);
			cmd(e, HONE_CHIP_OP_TRACE, 0, 0, 0, on);
		}
		uint32_t nt = rnd() % 3 ? 1 : rnd() % 4;
		hone_link_put_tick(l, nt);
		for (uint32_t i = 0; i < nt; i++)
			cmd(e, HONE_CHIP_OP_TICK, 0, 0, 0, 0);
		if (rnd() % 5 == 0) {
			hone_link_put_counters(l);
			cmd(e, HONE_CHIP_OP_COUNTERS, 0, 0, 0, 0);
		}
	}
	hone_link_put_counters(l);
	cmd(e, HONE_CHIP_OP_COUNTERS, 0, 0, 0, 0);
	hone_link_flush(l);
}

// Long runs of non-zero response bytes: CAPS after CAPS (2 x 9 bytes of
// tag and non-zero data each), between rounds of the usual workload.
static void long_workload(hone_link *l, Expect &e, int rounds) {
	for (int r = 0; r < rounds; r++) {
		int n = 20 + (int)(rnd() % 40);
		for (int i = 0; i < n; i++) {
			hone_link_put_caps(l);
			cmd(e, HONE_CHIP_OP_CAPS, 0, 0, 0, 0);
		}
		if (r % 4 == 3)
			workload(l, e, 2);
	}
	hone_link_flush(l);
}

// A session with the real chip: registers and neuron parameters written
// and read back, events, ticks, counters, capabilities.
static void chip_workload(hone_link *l, Expect &e, int rounds) {
	hone_link_put_caps(l);
	want(e, HONE_RSP_CAPS, 4, 0xFF);                     // cores = 4
	want(e, HONE_RSP_CAPS, (uint64_t)HONE_LINK_VERSION << 56, 0xFFull << 56);   // protocol version
	e.ncmds++;
	uint64_t ticks = 0;
	for (int r = 0; r < rounds; r++) {
		// input_axon_base in range: a register holds the bits its
		// configuration needs (docs/chip-image.md, rule on register
		// widths), here the 128 axons of link_chip_tb.v's cores.
		uint64_t regs[3] = { 0, (uint64_t)(rnd() % 128), (uint64_t)(rnd() % 65536) };
		hone_link_put_write(l, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 0, regs, 3);
		hone_link_put_read(l, HONE_TARGET_CHIP, HONE_MEM_CHIPREG, 0, 3);
		for (int i = 0; i < 3; i++)
			want(e, HONE_RSP_READ_DATA, regs[i], ~0ull);
		hone_nparam np = {};
		np.threshold = (int32_t)(rnd() % 60000) - 30000;
		np.bias = (int32_t)(rnd() % 60000) - 30000;
		np.profile = (uint8_t)(rnd() % 4);
		np.enable = false;
		uint64_t w = hone_nparam_pack(&np);
		uint8_t core = (uint8_t)(rnd() % 4);
		uint16_t slot = (uint16_t)(rnd() % 32);
		hone_link_put_write(l, core, HONE_MEM_NPARAM, slot, &w, 1);
		hone_link_put_read(l, core, HONE_MEM_NPARAM, slot, 1);
		want(e, HONE_RSP_READ_DATA, w, ~0ull);
		uint8_t g[64];
		for (int i = 0; i < 64; i++)
			g[i] = (uint8_t)(rnd() % 3 ? 0 : rnd() % 16);
		hone_link_put_frame(l, g, 64, 4);
		uint32_t nt = 1 + rnd() % 3;
		hone_link_put_tick(l, nt);
		for (uint32_t i = 0; i < nt; i++)
			want(e, HONE_RSP_TICK_DONE, ticks++, 0xFFFFFFFFull);
		if (r % 8 == 7 || r == rounds - 1) {
			hone_link_put_counters(l);
			want(e, HONE_RSP_COUNTER, 0, 0);                 // cycles
			want(e, HONE_RSP_COUNTER, 0, 0);                 // events
			want(e, HONE_RSP_COUNTER, 0, 0);                 // sops
			want(e, HONE_RSP_COUNTER, ticks, ~0ull);
		}
		e.ncmds += 8 + nt;
	}
	hone_link_flush(l);
}

// The FT2232H side of the UART: bytes <-> line bits, with errors.
struct Uart {
	std::deque<uint8_t> txq;   // host -> chip bytes waiting
	int tx_bit = -1, tx_cnt = 0;
	uint16_t tx_frame = 0;
	int line = 1;
	// receiver
	int rx_state = 0, rx_cnt = 0, rx_bit = 0;
	uint8_t rx_byte = 0;
	uint64_t injected = 0, framing_err = 0;
};

static void put_tx(Uart &u, const Impair &im, const uint8_t *p, size_t n) {
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (rndf() < im.garbage) {
			u.txq.push_back((uint8_t)rnd());
			u.injected++;
		}
		if (rndf() < im.drop) {
			u.injected++;
			continue;
		}
		if (rndf() < im.flip) {
			b ^= (uint8_t)(1u << (rnd() % 8));
			u.injected++;
		}
		u.txq.push_back(b);
		if (rndf() < im.dup) {
			u.txq.push_back(b);
			u.injected++;
		}
	}
}

// One clock of the line towards the chip.
static int step_tx(Uart &u, const Impair &im) {
	if (u.tx_bit < 0) {
		if (u.txq.empty())
			return 1;
		u.tx_frame = (uint16_t)(0x200 | (u.txq.front() << 1));
		u.txq.pop_front();
		u.tx_bit = 0;
		u.tx_cnt = 0;
		u.line = 0;
		if (rndf() < im.glitch) {
			u.line ^= 1;
			u.injected++;
		}
	}
	int v = u.line;
	if (++u.tx_cnt == CPB) {
		u.tx_cnt = 0;
		if (++u.tx_bit == 10)
			u.tx_bit = -1;
		else {
			u.line = (u.tx_frame >> u.tx_bit) & 1;
			if (rndf() < im.glitch) {
				u.line ^= 1;
				u.injected++;
			}
		}
	}
	return v;
}

// One clock of the line from the chip; returns a byte or -1.
static int step_rx(Uart &u, int line) {
	switch (u.rx_state) {
	case 0:
		if (!line) {
			u.rx_state = 1;
			u.rx_cnt = CPB / 2;
		}
		return -1;
	case 1:
		if (--u.rx_cnt > 0)
			return -1;
		u.rx_cnt = CPB;
		u.rx_bit = 0;
		u.rx_byte = 0;
		u.rx_state = line ? 0 : 2;
		return -1;
	case 2:
		if (--u.rx_cnt > 0)
			return -1;
		u.rx_cnt = CPB;
		if (u.rx_bit < 8) {
			u.rx_byte |= (uint8_t)(line << u.rx_bit);
			u.rx_bit++;
			return -1;
		}
		u.rx_state = 0;
		if (!line) {
			u.framing_err++;
			return -1;
		}
		return u.rx_byte;
	}
	return -1;
}

static bool run(const Scenario &sc, uint64_t max_cycles) {
	rng = sc.seed;
	VerilatedContext ctx;
	Vtop top(&ctx);
	hone_link_params hp = {};
	hp.rto_us = 4000;        // 48k cycles: above the chip's 32k (RTO_CYCLES)
	hp.baud = 3000000;
	hone_link *h = hone_link_new(&hp);
	Expect e;
	hone_stub_init(&e.stub);
	Uart u;
	std::vector<hone_link_rsp> got;
	std::vector<uint8_t> rxbytes;
	std::vector<uint8_t> frame;    // chip -> host bytes since the last 0x00
	uint64_t full_runs = 0;        // 0xFF codes seen (runs of 254)
	static uint8_t buf[8192];
	static uint8_t raw[8192];

	top.i_clk = 0;
	top.i_rst_n = 0;
	top.i_uart_rx = 1;
	top.i_ready_pct = (uint8_t)(sc.ready_pct * 256 / 100 > 255 ? 255 : sc.ready_pct * 256 / 100);
	for (int i = 0; i < 4; i++) {
		top.i_clk = !top.i_clk;
		top.eval();
	}
	top.i_rst_n = 1;
	hone_link_reset(h, 0);
#if defined(LINK_CHIP)
	chip_workload(h, e, sc.rounds);
#elif defined(LINK_LONG)
	long_workload(h, e, sc.rounds);
#else
	workload(h, e, sc.rounds);
#endif
	uint64_t cyc = 0;
	bool ok = false;
	const char *why = "timeout";
	for (; cyc < max_cycles; cyc++) {
		uint64_t now = cyc / CYC_PER_US;
		if (u.txq.size() < 64) {
			size_t n = hone_link_pull_tx(h, now, buf, sizeof buf);
			put_tx(u, sc.h2c, buf, n);
		}
		top.i_uart_rx = step_tx(u, sc.h2c) & 1;
		top.i_clk = 1;
		top.eval();
		top.i_clk = 0;
		top.eval();
		int b = step_rx(u, top.o_uart_tx);
		if (b > 0) {
			frame.push_back((uint8_t)b);
		} else if (b == 0 && !frame.empty()) {
			// a frame takes one byte per raw byte (a code stands for each
			// zero), its last code, and a 0xFF code per run of 254
			long n = hone_link_rcobs_decode(frame.data(), frame.size(), raw, sizeof raw);
			if (n > 0)
				full_runs += frame.size() - (size_t)n - 1;
			frame.clear();
		}
		if (b >= 0) {
			uint8_t x = (uint8_t)b;
			if (rndf() < sc.c2h.flip) {
				x ^= (uint8_t)(1u << (rnd() % 8));
				u.injected++;
			}
			if (rndf() < sc.c2h.drop)
				u.injected++;
			else
				rxbytes.push_back(x);
			if (rndf() < sc.c2h.dup) {
				rxbytes.push_back(x);
				u.injected++;
			}
		}
		if (!rxbytes.empty() && (cyc % 64 == 0)) {   // the FTDI's packets
			hone_link_push_rx(h, now, rxbytes.data(), rxbytes.size());
			rxbytes.clear();
			hone_link_rsp r;
			while (hone_link_get_rsp(h, &r))
				got.push_back(r);
		}
		if (hone_link_error(h)) {
			why = "link error";
			break;
		}
		if (got.size() >= e.rsps.size() && hone_link_unacked(h) == 0) {
			ok = true;
			break;
		}
	}
	size_t bad = 0;
	if (ok) {
		if (got.size() != e.rsps.size())
			bad++;
		for (size_t i = 0; i < got.size() && i < e.rsps.size(); i++)
			if (got[i].kind != e.rsps[i].kind ||
			    ((got[i].data ^ e.rsps[i].data) & e.masks[i])) {
				if (!bad)
					fprintf(stderr, "  response %zu: got %u %016llx, want %u %016llx\n",
					        i, got[i].kind, (unsigned long long)got[i].data,
					        e.rsps[i].kind, (unsigned long long)e.rsps[i].data);
				bad++;
			}
		if (bad)
			why = "responses differ";
	}
	const hone_link_stats *st0 = hone_link_get_stats(h);
	if (ok && !bad && u.injected == 0 && (st0->frames_retx || st0->naks_in)) {
		bad++;   // a clean line needs no retransmission: credits were exceeded
		why = "retransmissions on a clean line";
	}
#ifdef LINK_LONG
	if (ok && !bad && full_runs == 0) {
		bad++;
		why = "no run of 254 non-zero bytes: the case was not exercised";
	}
#endif
	const hone_link_stats *st = hone_link_get_stats(h);
	printf("%-4s %-34s %7llu commands, %6zu responses, %8llu cycles; host->chip "
	       "%llu payload / %llu wire bytes, %llu retx, %llu naks in; chip->host "
	       "%llu bad frames, %llu runs of 254; %llu errors injected%s%s\n",
	       ok && !bad ? "ok" : "FAIL", sc.name, (unsigned long long)e.ncmds,
	       got.size(), (unsigned long long)cyc,
	       (unsigned long long)st->payload_out, (unsigned long long)st->wire_out,
	       (unsigned long long)st->frames_retx, (unsigned long long)st->naks_in,
	       (unsigned long long)st->bad_in, (unsigned long long)full_runs,
	       (unsigned long long)u.injected,
	       ok && !bad ? "" : ": ", ok && !bad ? "" : why);
	hone_link_free(h);
	top.final();
	return ok && !bad;
}

int main(int argc, char **argv) {
	Verilated::commandArgs(argc, argv);
	int rounds = argc > 1 ? atoi(argv[1]) : 60;
#if defined(LINK_CHIP)
	const Scenario scs[] = {
		{ "hone_chip: clean", {}, {}, 100, rounds, 11 },
		{ "hone_chip: errors both ways", { 1e-3, 5e-4, 5e-4, 5e-4, 0 },
		  { 1e-3, 5e-4, 5e-4, 0, 0 }, 100, rounds, 12 },
	};
#elif defined(LINK_LONG)
	const Scenario scs[] = {
		{ "254-byte bodies: clean", {}, {}, 100, rounds / 4, 21 },
		{ "254-byte bodies: errors both ways", { 1e-3, 5e-4, 5e-4, 5e-4, 0 },
		  { 1e-3, 5e-4, 5e-4, 0, 0 }, 100, rounds / 4, 22 },
	};
#else
	const Scenario scs[] = {
		{ "clean", {}, {}, 100, rounds, 1 },
		{ "slow chip (credits)", {}, {}, 3, rounds / 2, 2 },
		{ "bit flips host->chip", { 2e-3, 0, 0, 0, 0 }, {}, 60, rounds, 3 },
		{ "lost/dup/garbage bytes both ways", { 0, 1e-3, 1e-3, 1e-3, 0 },
		  { 2e-3, 1e-3, 1e-3, 0, 0 }, 60, rounds, 4 },
		{ "line glitches, slow chip", { 0, 0, 0, 0, 2e-4 }, { 1e-3, 0, 0, 0, 0 },
		  10, rounds / 2, 5 },
	};
#endif
	int passed = 0, failed = 0;
	for (const Scenario &sc : scs)
		(run(sc, 60000000ull) ? passed : failed)++;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
