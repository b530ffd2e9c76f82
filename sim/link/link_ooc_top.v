// SPDX-License-Identifier: Apache-2.0
//
// link_ooc_top: hone_link "out of context", for its size and fmax on the
// UP5K alone (sim/link/fmax.sh, make link-fmax). The UART pins are pins;
// the 94 command bits and 67 response bits pass through shift registers,
// as tools/synth/hone_ooc_top.v does for the chip: a command taken is
// captured and shifted out on o_sout, a response is shifted in on i_sin
// and offered (i_rsp_go) with its bits held while it waits, as a
// registered chip output would be. Every harness pin sees a register, so
// the paths nextpnr reports are the link's own. Default parameters are
// the iCEBreaker top's (1 KiB RX FIFO; 10 clocks a bit: 3 Mbaud at 30 MHz).
`default_nettype none

module link_ooc_top #(
	parameter CLKS_PER_BIT = 10,
	parameter RX_FA        = 10,
	parameter TX_BA        = 10
) (
	input  wire i_clk,
	input  wire i_rst_n,
	input  wire i_uart_rx,
	output wire o_uart_tx,
	input  wire i_cmd_ready,
	output wire o_sout,
	input  wire i_sin,
	input  wire i_rsp_go
);
	localparam CW = 3 + 8 + 3 + 16 + 64;
	localparam RW = 3 + 64;

	reg           rst_n_q, cmd_ready_q, rsp_valid_q;
	reg  [CW-1:0] cmd_sr_q;
	reg  [RW-1:0] rsp_sr_q;
	wire          cmd_valid, rsp_ready;
	wire [2:0]    cmd_op, cmd_mem;
	wire [7:0]    cmd_target;
	wire [15:0]   cmd_addr;
	wire [63:0]   cmd_data;

	hone_link #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.TX_BA        (TX_BA)
	) u_link (
		.i_clk        (i_clk),
		.i_rst_n      (rst_n_q),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_valid  (cmd_valid),
		.i_cmd_ready  (cmd_ready_q),
		.o_cmd_op     (cmd_op),
		.o_cmd_target (cmd_target),
		.o_cmd_mem    (cmd_mem),
		.o_cmd_addr   (cmd_addr),
		.o_cmd_data   (cmd_data),
		.i_rsp_valid  (rsp_valid_q),
		.o_rsp_ready  (rsp_ready),
		.i_rsp_kind   (rsp_sr_q[RW-1:64]),
		.i_rsp_data   (rsp_sr_q[63:0])
	);

	always @(posedge i_clk) begin
		rst_n_q <= i_rst_n;
		cmd_ready_q <= i_cmd_ready;
		if (cmd_valid && cmd_ready_q)
			cmd_sr_q <= {cmd_op, cmd_target, cmd_mem, cmd_addr, cmd_data};
		else
			cmd_sr_q <= {1'b0, cmd_sr_q[CW-1:1]};
		if (!(rsp_valid_q && !rsp_ready))
			rsp_sr_q <= {i_sin, rsp_sr_q[RW-1:1]};
		rsp_valid_q <= i_rsp_go && !(rsp_valid_q && rsp_ready);
	end

	assign o_sout = cmd_sr_q[0];
endmodule
