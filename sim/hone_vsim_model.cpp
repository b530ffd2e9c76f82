// SPDX-License-Identifier: Apache-2.0
// One configuration's Verilator model behind HoneVsimModel. Compiled once
// per configuration with -DHONE_VMODEL=Vhone_<cfg> -DHONE_VCFG=<cfg>.
#include "hone_vsim_port.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#define HONE_STR2(x) #x
#define HONE_STR(x) HONE_STR2(x)
#define HONE_CAT2(a, b) a##b
#define HONE_CAT(a, b) HONE_CAT2(a, b)
#include HONE_STR(HONE_VMODEL.h)

namespace {

class Model final : public HoneVsimModel {
public:
	explicit Model(const HoneVsimModelOpts &o) : ctx_(new VerilatedContext)
	{
		ctx_->randReset(o.rand_reset);
		ctx_->randSeed((int)(o.seed & 0x7fffffff));
		top_ = new HONE_VMODEL(ctx_, "hone_chip");
		if (o.fst_path && *o.fst_path) {
			ctx_->traceEverOn(true);
			fst_ = new VerilatedFstC;
			top_->trace(fst_, 99);
			fst_->open(o.fst_path);
		}
		top_->i_clk = 0;
		top_->i_rst_n = 0;
		top_->eval();
	}
	~Model() override
	{
		top_->final();
		if (fst_) {
			fst_->close();
			delete fst_;
		}
		delete top_;
		delete ctx_;
	}
	void cycle(const HoneVsimIn &in, HoneVsimOut &out) override
	{
		top_->i_rst_n = in.rst_n;
		top_->i_cmd_valid = in.cmd_valid;
		top_->i_cmd_op = in.op;
		top_->i_cmd_target = in.target;
		top_->i_cmd_mem = in.mem;
		top_->i_cmd_addr = in.addr;
		top_->i_cmd_data = in.data;
		top_->i_rsp_ready = in.rsp_ready;
		top_->i_clk = 0;
		top_->eval();
		out.cmd_ready = top_->o_cmd_ready;
		out.rsp_valid = top_->o_rsp_valid;
		out.kind = top_->o_rsp_kind;
		out.data = top_->o_rsp_data;
		if (fst_)
			fst_->dump(time_);
		time_ += 5;
		top_->i_clk = 1;
		top_->eval();
		if (fst_)
			fst_->dump(time_);
		time_ += 5;
	}

private:
	VerilatedContext *ctx_;
	HONE_VMODEL *top_ = nullptr;
	VerilatedFstC *fst_ = nullptr;
	uint64_t time_ = 0;
};

} // namespace

HoneVsimModel *HONE_CAT(hone_vsim_model_new_, HONE_VCFG)(const HoneVsimModelOpts &o)
{
	return new Model(o);
}
