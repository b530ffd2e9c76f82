/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone_board.h - C interface to a Verilator model of a hone board's logic:
 * rtl/hone_system.v (rtl/hone_link.v in front of rtl/hone_chip.v, the
 * module the board tops instantiate), seen from its two UART pins, as the
 * FT2232H sees the FPGA.
 *
 *   hone_board_push   host -> board bytes, serialised onto the RX pin bit
 *                     by bit (8N1, hone_board_clks_per_bit() clocks a bit)
 *   hone_board_run    run clock cycles
 *   hone_board_pull   board -> host bytes, deserialised from the TX pin
 *
 * One model per configuration (sim/board/module.mk, BOARD_CONFIGS, default
 * up5k). The UART runs at a few clocks per bit to keep the simulation fast
 * (BOARD_CPB, default 4: 40 cycles a byte); the board builds derive theirs
 * from the core clock and the baud rate (10 at 30 MHz and 3 Mbaud). One
 * hone_board is used from one thread at a time.
 *
 * Environment: HONE_BOARD_FST=path writes an FST waveform (models built
 * with BOARD_TRACE=1 only).
 */
#ifndef HONE_BOARD_H
#define HONE_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hone_board hone_board;

typedef struct hone_board_opts {
	const char *fst_path;   /* NULL: $HONE_BOARD_FST or no waveform */
} hone_board_opts;

typedef struct hone_board_stats {
	uint64_t cycles;        /* clock cycles run */
	uint64_t bytes_in;      /* bytes fully serialised onto the RX pin */
	uint64_t bytes_out;     /* bytes received from the TX pin */
	uint64_t framing_errors;/* TX bytes whose stop bit was 0 (dropped) */
	uint64_t idle_cycles;   /* cycles in a row with both lines idle and
	                           nothing queued: the board has answered
	                           everything it was sent */
} hone_board_stats;

/* Configurations with a model in this build, space separated. */
const char *hone_board_configs(void);
/* UART clocks per bit of the models. */
unsigned hone_board_clks_per_bit(void);
/* Build and reset the model of a configuration; NULL if there is none. */
hone_board *hone_board_new(const char *config, const hone_board_opts *opts);
void hone_board_free(hone_board *b);
/* Queue bytes for the RX pin (all of them; they go out one per 10 bits). */
void hone_board_push(hone_board *b, const uint8_t *p, size_t n);
/* Bytes queued for the RX pin, the one on the line included. */
size_t hone_board_rx_queued(const hone_board *b);
/* Run cycles. */
void hone_board_run(hone_board *b, uint64_t cycles);
/* Take up to cap bytes received from the TX pin. */
size_t hone_board_pull(hone_board *b, uint8_t *p, size_t cap);
/* Received bytes waiting for pull. */
size_t hone_board_tx_ready(const hone_board *b);
/* Hold reset (the board's button) for cycles, then release it. Bytes on
 * their way in are dropped. */
void hone_board_reset(hone_board *b, unsigned cycles);
void hone_board_get_stats(const hone_board *b, hone_board_stats *s);

#ifdef __cplusplus
}
#endif
#endif /* HONE_BOARD_H */
