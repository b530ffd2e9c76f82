/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone_genparams: the RTL parameters of a chip configuration, printed for a
 * tool, from host/src/config.c (the one place configurations live).
 *
 *   hone_genparams CONFIG verilator [BUILD_ID]   -GCORES=4 -GLANES=4 ...
 *   hone_genparams CONFIG iverilog  [BUILD_ID]   -Phone_tb.CORES=4 ...
 *   hone_genparams CONFIG yosys     [BUILD_ID]   chparam -set CORES 4 ... hone_chip
 *   hone_genparams --list                        up5k hx8k sim16 tiny
 *
 * Simulation builds use the default, behavioural weight memory; yosys gets
 * the configuration's own ("spram" on up5k).
 */
#include "hone_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; hone_config_at(i); i++)
			printf("%s%s", i ? " " : "", hone_config_at(i)->name);
		printf("\n");
		return 0;
	}
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s CONFIG verilator|iverilog|yosys [BUILD_ID_HEX] | --list\n", argv[0]);
		return 2;
	}
	const hone_config *c = hone_config_find(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: no configuration '%s'\n", argv[0], argv[1]);
		return 2;
	}
	unsigned long build = argc == 4 ? strtoul(argv[3], NULL, 16) & 0xfffffffful : 0;
	const char *tool = argv[2];
	int yosys = !strcmp(tool, "yosys");
	const char *impl = yosys && !strcmp(c->memory, "spram") ? "spram" : "behavioural";
	struct {
		const char *name;
		unsigned long v;
	} p[] = {
		{"CORES", c->cores}, {"LANES", c->lanes}, {"WBITS", c->weight_bits},
		{"PBITS", c->potential_bits}, {"GBITS", c->input_bits},
		{"NEURONS", c->neurons}, {"AXONS", c->axons}, {"WWORDS", c->weight_words},
		{"AXSEGS", c->axon_segments}, {"RTSEGS", c->route_segments},
	};
	size_t n = sizeof p / sizeof p[0];
	if (!strcmp(tool, "verilator")) {
		for (size_t i = 0; i < n; i++)
			printf("-G%s=%lu ", p[i].name, p[i].v);
		printf("-GBUILD_ID=%lu\n", build);
	} else if (!strcmp(tool, "iverilog")) {
		for (size_t i = 0; i < n; i++)
			printf("-Phone_tb.%s=%lu ", p[i].name, p[i].v);
		printf("-Phone_tb.BUILD_ID=%lu\n", build);
	} else if (yosys) {
		printf("chparam");
		for (size_t i = 0; i < n; i++)
			printf(" -set %s %lu", p[i].name, p[i].v);
		printf(" -set WMEM_IMPL \"%s\" -set BUILD_ID %lu hone_chip\n", impl, build);
	} else {
		fprintf(stderr, "%s: unknown tool '%s'\n", argv[0], tool);
		return 2;
	}
	return 0;
}
