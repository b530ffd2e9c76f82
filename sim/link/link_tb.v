// SPDX-License-Identifier: Apache-2.0
//
// link_tb: hone_link with a chip stand-in (link_stub) behind it, driven at
// the UART pins by sim/link/link_tb.cpp (the host's C link on the other
// side, bit by bit, with injected errors).
`default_nettype none

module link_tb #(
	parameter CLKS_PER_BIT = 4,
	parameter RX_FA        = 11,
	parameter MAX_PAYLOAD  = 120,
	parameter RTO_CYCLES   = 32768,
	parameter [63:0] CAPS0 = 64'h89abcdef0044f401,
	parameter [63:0] CAPS1 = 64'h0100400008000200
) (
	input  wire       i_clk,
	input  wire       i_rst_n,
	input  wire       i_uart_rx,
	output wire       o_uart_tx,
	input  wire [7:0] i_ready_pct
);
	wire        cmd_valid, cmd_ready, rsp_valid, rsp_ready;
	wire [2:0]  cmd_op, cmd_mem, rsp_kind;
	wire [7:0]  cmd_target;
	wire [15:0] cmd_addr;
	wire [63:0] cmd_data, rsp_data;

	hone_link #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.MAX_PAYLOAD  (MAX_PAYLOAD),
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

	link_stub #(
		.CAPS0 (CAPS0),
		.CAPS1 (CAPS1)
	) u_stub (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_ready_pct  (i_ready_pct),
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
