// SPDX-License-Identifier: Apache-2.0
// One configuration's board model (Verilator model of rtl/hone_system.v,
// the board tops' link + chip) behind struct hone_board. Compiled once per configuration with
// -DHONE_BMODEL=Vhone_board_<cfg> -DHONE_BCFG=<cfg>.
#include "hone_board_port.h"

#include <verilated.h>
#if HONE_BOARD_TRACE
#include <verilated_fst_c.h>
#endif

#define HONE_STR2(x) #x
#define HONE_STR(x) HONE_STR2(x)
#define HONE_CAT2(a, b) a##b
#define HONE_CAT(a, b) HONE_CAT2(a, b)
#include HONE_STR(HONE_BMODEL.h)

namespace {

class Model final : public hone_board {
public:
	explicit Model(const HoneBoardOpts &o) : ctx_(new VerilatedContext)
	{
		top_ = new HONE_BMODEL(ctx_, "hone_board");
#if HONE_BOARD_TRACE
		if (o.fst_path && *o.fst_path) {
			ctx_->traceEverOn(true);
			fst_ = new VerilatedFstC;
			top_->trace(fst_, 99);
			fst_->open(o.fst_path);
		}
#else
		(void)o;
#endif
		top_->i_clk = 0;
		top_->i_rst_n = 0;
		top_->i_uart_rx = 1;
		top_->eval();
		reset(4);
	}
	~Model() override
	{
		top_->final();
#if HONE_BOARD_TRACE
		if (fst_) {
			fst_->close();
			delete fst_;
		}
#endif
		delete top_;
		delete ctx_;
	}
	void run(uint64_t n) override
	{
		HoneBoardUart &uu = u;
		for (uint64_t i = 0; i < n; i++) {
			top_->i_uart_rx = (uint8_t)uu.drive();
			clock();
			int tx = top_->o_uart_tx & 1;
			uu.sample(tx);
			uu.idle = uu.quiet(tx) ? uu.idle + 1 : 0;
		}
	}
	void reset(unsigned n) override
	{
		u.txq.clear();
		u.tx_bit = -1;
		u.line = 1;
		u.rx_state = 0;
		top_->i_uart_rx = 1;
		top_->i_rst_n = 0;
		for (unsigned i = 0; i < n; i++)
			clock();
		top_->i_rst_n = 1;
	}

private:
	void clock()
	{
		top_->i_clk = 1;
		top_->eval();
#if HONE_BOARD_TRACE
		if (fst_)
			fst_->dump(time_ + 5);
#endif
		top_->i_clk = 0;
		top_->eval();
#if HONE_BOARD_TRACE
		if (fst_)
			fst_->dump(time_ + 10);
#endif
		time_ += 10;
		u.cycles++;
	}

	VerilatedContext *ctx_;
	HONE_BMODEL *top_ = nullptr;
#if HONE_BOARD_TRACE
	VerilatedFstC *fst_ = nullptr;
#endif
	uint64_t time_ = 0;
};

} // namespace

hone_board *HONE_CAT(hone_board_model_new_, HONE_BCFG)(const HoneBoardOpts &o)
{
	return new Model(o);
}
