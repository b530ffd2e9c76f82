// SPDX-License-Identifier: Apache-2.0
//
// link_chip_tb: rtl/hone_system.v (hone_link in front of the real
// hone_chip, as the board tops build it; its defaults are the `tiny`
// configuration's sizes), driven at the UART pins by sim/link/link_tb.cpp:
// the link and the chip's command interface of docs/chip-interface.md
// checked together.
`default_nettype none

module link_chip_tb #(
	parameter CLKS_PER_BIT = 4,
	parameter RX_FA        = 9,
	parameter RTO_CYCLES   = 32768
) (
	input  wire       i_clk,
	input  wire       i_rst_n,
	input  wire       i_uart_rx,
	output wire       o_uart_tx,
	input  wire [7:0] i_ready_pct     // unused: the chip paces itself
);
	wire       cmd_taken, rsp_sent;
	wire       unused_ok = &{1'b0, i_ready_pct, cmd_taken, rsp_sent};

	hone_system #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.RTO_CYCLES   (RTO_CYCLES),
		.CORES        (4),
		.LANES        (4),
		.NEURONS      (32),
		.AXONS        (128),
		.WWORDS       (256)
	) u_sys (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_taken  (cmd_taken),
		.o_rsp_sent   (rsp_sent)
	);
endmodule
