// SPDX-License-Identifier: Apache-2.0
//
// link_chip_tb: hone_link in front of the real hone_chip (the `tiny`
// configuration's sizes by default), driven at the UART pins by
// sim/link/link_tb.cpp: the link and the chip's command interface of
// docs/chip-interface.md checked together.
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
	wire        cmd_valid, cmd_ready, rsp_valid, rsp_ready;
	wire [2:0]  cmd_op, cmd_mem, rsp_kind;
	wire [7:0]  cmd_target;
	wire [15:0] cmd_addr;
	wire [63:0] cmd_data, rsp_data;
	wire [7:0]  unused_pct = i_ready_pct;

	hone_link #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.RTO_CYCLES   (RTO_CYCLES)
	) u_link (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_valid  (cmd_valid),
		.i_cmd_ready  (cmd_ready),
		.o_cmd_op     (cmd_op),
		.o_cmd_target (cmd_target),
		.o_cmd_mem    (cmd_mem),
		.o_cmd_addr   (cmd_addr),
		.o_cmd_data   (cmd_data),
		.i_rsp_valid  (rsp_valid),
		.o_rsp_ready  (rsp_ready),
		.i_rsp_kind   (rsp_kind),
		.i_rsp_data   (rsp_data)
	);

	hone_chip #(
		.CORES   (4),
		.LANES   (4),
		.NEURONS (32),
		.AXONS   (128),
		.WWORDS  (256)
	) u_chip (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_cmd_valid  (cmd_valid),
		.o_cmd_ready  (cmd_ready),
		.i_cmd_op     (cmd_op),
		.i_cmd_target (cmd_target),
		.i_cmd_mem    (cmd_mem),
		.i_cmd_addr   (cmd_addr),
		.i_cmd_data   (cmd_data),
		.o_rsp_valid  (rsp_valid),
		.i_rsp_ready  (rsp_ready),
		.o_rsp_kind   (rsp_kind),
		.o_rsp_data   (rsp_data)
	);
endmodule
