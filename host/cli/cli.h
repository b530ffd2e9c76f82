/* SPDX-License-Identifier: Apache-2.0 */
/* Shared pieces of the hone command's subcommands. */
#ifndef HONE_CLI_H
#define HONE_CLI_H

#include "hone.h"

#include <stdbool.h>
#include <stdio.h>

int cmd_info(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Print "hone SUB: message" to stderr; returns the exit status 1. */
int cli_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, from a hone_error. */
int cli_error_from(const char *sub, const hone_error *e, int code);

/* A progress indicator on stderr: a redrawn bar on a terminal, a line
 * every 10 % otherwise; silent when quiet. */
typedef struct cli_progress {
	const char *what;
	bool quiet, tty;
	int last_decile;
	double t0;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *what, bool quiet);
void cli_progress_cb(void *user, size_t done, size_t total);
void cli_progress_done(cli_progress *p);

double cli_now(void);

/* Counters accumulated since `base` (read right after loading, so that
 * image writes and the reset sweep do not count as work). */
int cli_counters_since(hone_device *dev, const hone_counters *base,
                       hone_counters *out, hone_error *err);

/* The input set of `hone run` / `hone verify` / `hone bench`. */
typedef struct cli_inputs {
	hone_dataset *ds;         /* when a data set was chosen */
	uint8_t *g;               /* n x n_inputs graded values */
	size_t n;
	hone_event_stream *events;/* when --events was given */
	char name[64];
} cli_inputs;

/* Load "fashion-mnist", "digits" or an event file; quantize to the
 * image's input width; check the input count. Returns 0 or prints and
 * returns 1. */
int cli_load_inputs(const char *sub, const char *dataset, const char *events,
                    const char *split, long limit, const hone_image *img,
                    cli_inputs *in);
void cli_inputs_free(cli_inputs *in);

/* The split of the digits set every command uses (and hone train). */
#define CLI_DIGITS_TEST_FRACTION 0.2
#define CLI_DIGITS_SPLIT_SEED 20260101u

#endif
