/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone_synthcfg: a chip configuration (host/src/config.c, the one place
 * configurations live) as shell variables, for the board flow
 * (tools/synth/synth.sh). The names and values are those of
 * `hone info --target CONFIG --format make`, plus HONE_CFG_WMEM_IMPL, the
 * weight-memory implementation the RTL is built with ("spram" for SPRAM
 * configurations, "behavioural" otherwise: yosys maps it to EBR).
 *
 * It links only config.c and error.c, so the board flow does not have to
 * build libhone (and its Verilator models) first.
 *
 *   hone_synthcfg CONFIG      HONE_CFG_NAME=up5k ... one per line
 */
#include "hone_internal.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
		return 2;
	}
	const hone_config *c = hone_config_find(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: no configuration '%s'\n", argv[0], argv[1]);
		return 2;
	}
	printf("HONE_CFG_NAME=%s\nHONE_CFG_CORES=%u\nHONE_CFG_LANES=%u\n"
	       "HONE_CFG_WBITS=%u\nHONE_CFG_PBITS=%u\nHONE_CFG_GBITS=%u\n"
	       "HONE_CFG_NEURONS=%u\nHONE_CFG_AXONS=%u\nHONE_CFG_WWORDS=%u\n"
	       "HONE_CFG_AXSEGS=%u\nHONE_CFG_RTSEGS=%u\nHONE_CFG_MEMORY=%s\n"
	       "HONE_CFG_CLOCK_HZ=%.0f\nHONE_CFG_BAUD=%u\nHONE_CFG_WMEM_IMPL=%s\n",
	       c->name, c->cores, c->lanes, c->weight_bits, c->potential_bits,
	       c->input_bits, c->neurons, c->axons, c->weight_words,
	       c->axon_segments, c->route_segments, c->memory, c->clock_hz,
	       c->link_baud, strcmp(c->memory, "spram") ? "behavioural" : "spram");
	return 0;
}
