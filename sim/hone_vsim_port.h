// SPDX-License-Identifier: Apache-2.0
// The pins of hone_chip as the shim sees them, and the interface every
// configuration's model implements (hone_vsim_model.cpp, compiled once per
// configuration).
#ifndef HONE_VSIM_PORT_H
#define HONE_VSIM_PORT_H

#include <cstdint>

struct HoneVsimIn {
	bool rst_n, cmd_valid, rsp_ready;
	uint8_t op, target, mem;
	uint16_t addr;
	uint64_t data;
};

struct HoneVsimOut {
	bool cmd_ready, rsp_valid;
	uint8_t kind;
	uint64_t data;
};

class HoneVsimModel {
public:
	virtual ~HoneVsimModel() {}
	// One clock cycle: apply in, settle, report the outputs seen before
	// the rising edge (what a handshake on that edge sees), then clock.
	virtual void cycle(const HoneVsimIn &in, HoneVsimOut &out) = 0;
};

struct HoneVsimModelOpts {
	const char *fst_path;
	int rand_reset;
	uint64_t seed;
};

#endif
