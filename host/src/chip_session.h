/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_session.h - the host's side of a session with a real chip (the RTL
 * in simulation, "sim:", or on a board, "usb:"), shared by both backends:
 *
 *   - a shadow reference chip (refmodel.c, never ticked) that checks every
 *     write, read and input event before it goes out, so that a bad image
 *     or event is refused with the message "ref:" gives;
 *   - the ticks in flight and which of them trace;
 *   - the chip's responses (docs/chip-interface.md) filed in order: SPIKE
 *     and TRACE words into the tick that TICK_DONE closes, READ_DATA,
 *     COUNTER and CAPS words into the answer a request waits for.
 *
 * The backend moves commands and responses; this file keeps their meaning.
 */
#ifndef HONE_CHIP_SESSION_H
#define HONE_CHIP_SESSION_H

#include "hone_internal.h"
#include "link.h" /* HONE_RSP_*: the response kinds of the chip interface */

typedef struct hone_chip_result {
	uint64_t tick;
	size_t n_spikes, cap_spikes;
	uint32_t *spikes;
	size_t n_trace;
	int32_t *u;
	uint8_t *s;
} hone_chip_result;

typedef struct hone_chip_session {
	char name[140];            /* prefix of protocol errors: "sim", "usb:1.5 ..." */
	hone_config cfg;
	hone_refchip *shadow;
	bool trace;                /* TRACE on for ticks sent from now on */
	uint32_t *input_seen;      /* [65536] epoch of the input's last event */
	uint32_t epoch;            /* one per tick (and per full reset) */
	uint64_t tick_base;        /* the chip's tick number when the session began */
	uint64_t ticks_sent, ticks_taken;
	uint8_t *tick_traced;      /* ring over the ticks in flight */
	size_t tick_traced_cap;
	hone_chip_result cur;      /* the tick being collected */
	hone_chip_result *done;    /* ring of closed ticks */
	size_t done_cap, done_head, done_len;
	hone_chip_result taken;    /* the one handed out last */
	uint64_t *words;           /* answer words of one kind */
	size_t n_words, cap_words;
	unsigned word_kind;
} hone_chip_session;

/* Start a session (answer words can be filed from now on), then give it
 * the chip's configuration and the tick number the chip is at; writes,
 * reads, inputs and ticks need both. _free is safe after a failed _init. */
int hone_chip_session_init(hone_chip_session *cs, const char *name, hone_error *err);
int hone_chip_session_configure(hone_chip_session *cs, const hone_config *cfg,
                                uint64_t tick_base, hone_error *err);
void hone_chip_session_free(hone_chip_session *cs);

/* Check write w (number i of n) on the shadow; a full reset_state also
 * forgets this tick's inputs, as refmodel.c does. */
int hone_chip_session_write(hone_chip_session *cs, const hone_write *w, size_t i,
                            size_t n, hone_error *err);
/* Check a read of n words on the shadow. */
int hone_chip_session_read(hone_chip_session *cs, uint8_t target, uint8_t mem,
                           uint32_t addr, uint32_t n, hone_error *err);
/* The checks hone_refchip_input makes, on the shadow's registers: 0 the
 * event goes out, 1 valid but sends nothing (g = 0), else an error. */
int hone_chip_session_input(hone_chip_session *cs, uint32_t input, uint8_t g,
                            hone_error *err);

/* Before sending a TICK: make room to remember it. After sending it:
 * record it (traced or not, as cs->trace says now). */
int hone_chip_session_tick_room(hone_chip_session *cs, hone_error *err);
void hone_chip_session_tick_sent(hone_chip_session *cs);

/* File one response word of the chip. */
int hone_chip_session_file(hone_chip_session *cs, unsigned kind, uint64_t data,
                           hone_error *err);
/* A closed tick is waiting to be taken. */
static inline bool hone_chip_session_has_result(const hone_chip_session *cs)
{
	return cs->done_len != 0;
}
/* Hand out the oldest closed tick; it stays valid until the next take. */
void hone_chip_session_take(hone_chip_session *cs, hone_tick_result *res);
static inline size_t hone_chip_session_pending(const hone_chip_session *cs)
{
	return (size_t)(cs->ticks_sent - cs->ticks_taken);
}
/* At least n answer words of this kind have arrived. */
static inline bool hone_chip_session_has_words(const hone_chip_session *cs,
                                               unsigned kind, size_t n)
{
	return cs->n_words >= n && cs->word_kind == kind;
}
/* Take the first n answer words (out may be NULL); later ones stay. */
void hone_chip_session_take_words(hone_chip_session *cs, uint64_t *out, size_t n);

/* What a CAPS answer (two words) says: the configuration's shape (cores,
 * lanes, widths, neurons, axons, weight words: only these fields of cfg
 * are written), the protocol version and the build id. */
void hone_chip_caps_decode(uint64_t w0, uint64_t w1, hone_config *cfg,
                           uint32_t *protocol_version, char build_id[41]);

#endif
