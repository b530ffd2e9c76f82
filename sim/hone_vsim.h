/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone_vsim.h - C interface to the Verilator models of rtl/hone_chip.v.
 *
 * One model per chip configuration is built into libhone (sim/module.mk);
 * this thin shim drives its command and response streams
 * (docs/chip-interface.md) cycle by cycle. Responses the chip sends are
 * collected in order and taken with hone_vsim_poll.
 *
 * Environment (read by hone_vsim_new when opts is NULL or leaves a field 0):
 *   HONE_VSIM_FST=path      write an FST waveform of the whole run
 *   HONE_VSIM_RAND_RESET=n  Verilator's +verilator+rand+reset+n (0, 1, 2)
 *   HONE_VSIM_SEED=n        seed for the random reset values
 *   HONE_VSIM_RSP_STALL=n   hold i_rsp_ready low on n permille of the cycles
 */
#ifndef HONE_VSIM_H
#define HONE_VSIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hone_vsim hone_vsim;

typedef struct hone_vsim_opts {
	const char *fst_path;   /* NULL: $HONE_VSIM_FST or no waveform */
	int rand_reset;         /* -1: $HONE_VSIM_RAND_RESET or 0 */
	uint64_t seed;          /* 0: $HONE_VSIM_SEED or 1 */
} hone_vsim_opts;

/* Configurations with a model in this build, space separated. */
const char *hone_vsim_configs(void);
/* Build and reset a model of the named configuration; NULL if there is no
 * such model. Returns after reset, before the chip's memory clear ended
 * (commands simply wait for it). */
hone_vsim *hone_vsim_new(const char *config, const hone_vsim_opts *opts);
void hone_vsim_free(hone_vsim *s);

/* Offer one command and run cycles until the chip takes it. Returns 0, or
 * -1 if it was not taken within the timeout (a deadlock). */
int hone_vsim_cmd(hone_vsim *s, unsigned op, unsigned target, unsigned mem,
                  unsigned addr, uint64_t data);
/* Take the oldest response not yet taken: 1 and kind/data, or 0. */
int hone_vsim_poll(hone_vsim *s, unsigned *kind, uint64_t *data);
/* Responses waiting in the shim. */
unsigned long hone_vsim_responses(const hone_vsim *s);
/* Run until a response of this kind arrived (counting those not yet taken
 * by poll), at most the timeout. Returns 0 or -1. */
int hone_vsim_run_until(hone_vsim *s, unsigned kind);
/* Run idle cycles. */
void hone_vsim_run(hone_vsim *s, uint64_t cycles);
/* Cycles run since the model was built. */
uint64_t hone_vsim_cycles(const hone_vsim *s);
/* Deadlock timeout in cycles for cmd/run_until (default 50,000,000). */
void hone_vsim_set_timeout(hone_vsim *s, uint64_t cycles);
/* Hold i_rsp_ready low on a random permille of the cycles (backpressure
 * tests); 0 turns it off. */
void hone_vsim_set_rsp_stall(hone_vsim *s, unsigned permille, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif /* HONE_VSIM_H */
