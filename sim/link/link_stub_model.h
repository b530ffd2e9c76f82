/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The chip stand-in of the link tests, in C: what sim/link/hone_link_stub.v
 * answers to each command of docs/chip-interface.md. tests/test_link.c and
 * the Verilator harness (sim/link/link_tb.cpp) compute the responses they
 * expect with it, so a command lost, duplicated, reordered or corrupted on
 * the link shows up as a wrong response.
 *
 *   WRITE     mem[idx] = data, idx = addr[7:0] ^ {mem, 5'b0} ^ target
 *   READ      READ_DATA mem[idx]
 *   EVENT     SPIKE with id = input (echo); counts and sums g * (input + 1)
 *   TICK      (TRACE on: one TRACE = events of the tick), TICK_DONE tick
 *   TRACE     trace flag = data[0]
 *   COUNTERS  COUNTER x4: commands so far, events, sum g*(input+1), ticks
 *   CAPS      CAPS x2: HONE_STUB_CAPS0, HONE_STUB_CAPS1
 */
#ifndef HONE_LINK_STUB_MODEL_H
#define HONE_LINK_STUB_MODEL_H

#include <stdint.h>
#include <string.h>

/* The CAPS words (link_stub's CAPS0, CAPS1 parameters; a build may set
 * both sides to other values). */
#ifndef HONE_STUB_CAPS0
#define HONE_STUB_CAPS0 0x89abcdef0044f401ull
#endif
#ifndef HONE_STUB_CAPS1
#define HONE_STUB_CAPS1 0x0100400008000200ull
#endif

typedef struct hone_stub {
	uint64_t mem[256];
	uint64_t cmds, events, gsum, ticks, tick_events;
	int trace;
} hone_stub;

static inline void hone_stub_init(hone_stub *s)
{
	memset(s, 0, sizeof *s);
}

/* Apply one command; emit(kind, data) for each response, in order. */
static inline void hone_stub_cmd(hone_stub *s, uint8_t op, uint8_t target,
                                 uint8_t mem, uint16_t addr, uint64_t data,
                                 void (*emit)(void *, uint8_t, uint64_t),
                                 void *user)
{
	unsigned idx = ((unsigned)(addr & 0xFF) ^ ((unsigned)(mem & 7) << 5) ^ target) & 0xFF;
	s->cmds++;
	switch (op) {
	case 0: s->mem[idx] = data; break;
	case 1: emit(user, 0, s->mem[idx]); break;
	case 2:
		s->events++;
		s->tick_events++;
		s->gsum += (data & 0xFF) * ((uint64_t)addr + 1);
		emit(user, 1, addr);
		break;
	case 3:
		if (s->trace)
			emit(user, 3, s->tick_events);
		emit(user, 2, s->ticks & 0xFFFFFFFFu);
		s->ticks++;
		s->tick_events = 0;
		break;
	case 4: s->trace = (int)(data & 1); break;
	case 5:
		emit(user, 4, s->cmds);
		emit(user, 4, s->events);
		emit(user, 4, s->gsum);
		emit(user, 4, s->ticks);
		break;
	case 6:
		emit(user, 5, HONE_STUB_CAPS0);
		emit(user, 5, HONE_STUB_CAPS1);
		break;
	default: break;
	}
}

#endif
