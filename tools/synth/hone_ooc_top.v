// SPDX-License-Identifier: Apache-2.0
//
// hone_ooc_top: hone_chip "out of context", for its size and fmax alone,
// without the UART link or a PLL (tools/synth/synth.sh --ooc). The chip's
// 94 command bits and 67 response bits would need far more pins than an
// SG48 package has, so they pass through shift registers: a command is
// shifted in on i_sin, a response is captured and shifted out on o_sout.
// Nothing of the chip can be optimised away, and every pin sees a
// register, so the paths nextpnr reports are the chip's own.
`default_nettype none

module hone_ooc_top #(
	parameter CORES     = 1,
	parameter LANES     = 16,
	parameter WBITS     = 4,
	parameter PBITS     = 16,
	parameter GBITS     = 4,
	parameter NEURONS   = 512,
	parameter AXONS     = 2048,
	parameter WWORDS    = 16384,
	parameter AXSEGS    = 8,
	parameter RTSEGS    = 8,
	parameter WMEM_IMPL = "spram",
	parameter [31:0] BUILD_ID = 32'h0
) (
	input  wire i_clk,
	input  wire i_rst_n,
	input  wire i_sin,        // command bits, shifted in LSB first
	input  wire i_cmd_go,     // offer the shifted-in command
	input  wire i_rsp_ready,
	output wire o_sout,       // captured response, shifted out
	output wire o_cmd_ready
);
	localparam CW = 3 + 8 + 3 + 16 + 64;
	localparam RW = 3 + 64;

	reg  [CW-1:0] cmd_sr_q;
	reg           cmd_valid_q;
	reg  [RW-1:0] rsp_sr_q;
	reg           rst_n_q;
	reg           cmd_ready_q;
	wire          cmd_ready, rsp_valid;
	wire [2:0]    rsp_kind;
	wire [63:0]   rsp_data;

	hone_chip #(
		.CORES     (CORES),
		.LANES     (LANES),
		.WBITS     (WBITS),
		.PBITS     (PBITS),
		.GBITS     (GBITS),
		.NEURONS   (NEURONS),
		.AXONS     (AXONS),
		.WWORDS    (WWORDS),
		.AXSEGS    (AXSEGS),
		.RTSEGS    (RTSEGS),
		.WMEM_IMPL (WMEM_IMPL),
		.BUILD_ID  (BUILD_ID)
	) u_chip (
		.i_clk        (i_clk),
		.i_rst_n      (rst_n_q),
		.i_cmd_valid  (cmd_valid_q),
		.o_cmd_ready  (cmd_ready),
		.i_cmd_op     (cmd_sr_q[93:91]),
		.i_cmd_target (cmd_sr_q[90:83]),
		.i_cmd_mem    (cmd_sr_q[82:80]),
		.i_cmd_addr   (cmd_sr_q[79:64]),
		.i_cmd_data   (cmd_sr_q[63:0]),
		.o_rsp_valid  (rsp_valid),
		.i_rsp_ready  (i_rsp_ready),
		.o_rsp_kind   (rsp_kind),
		.o_rsp_data   (rsp_data)
	);

	always @(posedge i_clk) begin
		rst_n_q <= i_rst_n;
		cmd_ready_q <= cmd_ready;
		if (!(cmd_valid_q && !cmd_ready))
			cmd_sr_q <= {i_sin, cmd_sr_q[CW-1:1]};
		cmd_valid_q <= i_cmd_go && !(cmd_valid_q && cmd_ready);
		if (rsp_valid && i_rsp_ready)
			rsp_sr_q <= {rsp_kind, rsp_data};
		else
			rsp_sr_q <= {1'b0, rsp_sr_q[RW-1:1]};
	end

	assign o_sout = rsp_sr_q[0];
	assign o_cmd_ready = cmd_ready_q;
endmodule
