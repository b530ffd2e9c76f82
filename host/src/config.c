/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chip configurations, as data. The RTL is built from these same numbers
 * (sim/ and constraints/ read them through `hone info --target NAME
 * --format make`), so a configuration exists in one place.
 */
#include "hone_internal.h"

#include <string.h>

static const hone_config configs[] = {
	{
		.name = "up5k", .cores = 1, .lanes = 16, .weight_bits = 4,
		.potential_bits = 16, .input_bits = 4, .neurons = 512,
		.axons = 2048, .weight_words = 16384, .axon_segments = 8,
		.route_segments = 8, .clock_hz = 30e6, .link_baud = 3000000,
		.memory = "spram",
		.description = "iCEBreaker (iCE40UP5K): one 16-lane core, weights in "
		               "the four SPRAMs (64 bits/cycle), potentials in 16 EBRs",
	},
	{
		.name = "hx8k", .cores = 1, .lanes = 8, .weight_bits = 4,
		.potential_bits = 16, .input_bits = 4, .neurons = 512,
		.axons = 1024, .weight_words = 1024, .axon_segments = 8,
		.route_segments = 8, .clock_hz = 60e6, .link_baud = 3000000,
		.memory = "ebr",
		.description = "iCE40-HX8K breakout: one 8-lane core, weights in 8 "
		               "EBRs (no SPRAM on the HX parts; the link and the "
		               "potential banks need the other EBRs)",
	},
	{
		.name = "sim16", .cores = 16, .lanes = 4, .weight_bits = 4,
		.potential_bits = 16, .input_bits = 4, .neurons = 256,
		.axons = 2048, .weight_words = 16384, .axon_segments = 8,
		.route_segments = 8, .clock_hz = 30e6, .link_baud = 12000000,
		.memory = "behavioural",
		.description = "16 cores of 4 lanes on an AER fabric, for scaling "
		               "studies in simulation",
	},
	{
		.name = "tiny", .cores = 4, .lanes = 4, .weight_bits = 4,
		.potential_bits = 16, .input_bits = 4, .neurons = 32,
		.axons = 128, .weight_words = 256, .axon_segments = 8,
		.route_segments = 8, .clock_hz = 30e6, .link_baud = 3000000,
		.memory = "behavioural",
		.description = "4 small cores: forces multi-core placement in tests",
	},
};

const hone_config *hone_config_at(size_t i)
{
	return i < sizeof configs / sizeof configs[0] ? &configs[i] : NULL;
}

const hone_config *hone_config_find(const char *name)
{
	for (size_t i = 0; name && hone_config_at(i); i++)
		if (strcmp(configs[i].name, name) == 0)
			return &configs[i];
	return NULL;
}

double hone_config_peak_sop_per_cycle(const hone_config *cfg)
{
	return (double)cfg->cores * cfg->lanes;
}
