// SPDX-License-Identifier: Apache-2.0
//
// hone_ram_bitmask: hone_ram_1r1w with a write mask, one bit per data bit
// (SB_RAM40_4K's MASK input in 256x16 mode). A core keeps its slots'
// enable bits here, one word per potential-bank address and one bit per
// lane, so the integrate pipeline reads the enables of a whole word at
// once and a NPARAM write changes a single lane's bit.
`default_nettype none

module hone_ram_bitmask #(
	parameter WIDTH = 16,
	parameter ABITS = 8
) (
	input  wire             i_clk,
	input  wire [WIDTH-1:0] i_wmask,
	input  wire [ABITS-1:0] i_waddr,
	input  wire [WIDTH-1:0] i_wdata,
	input  wire [ABITS-1:0] i_raddr,
	output wire [WIDTH-1:0] o_rdata
);
	// Callers never depend on read-during-write data (the core forwards), so
	// yosys need not add bypass logic around the EBR.
	(* no_rw_check *)
	reg [WIDTH-1:0] mem [0:(1<<ABITS)-1];
	reg [WIDTH-1:0] rdata_q;

	integer b;
	always @(posedge i_clk) begin
		for (b = 0; b < WIDTH; b = b + 1)
			if (i_wmask[b])
				mem[i_waddr][b] <= i_wdata[b];
		rdata_q <= mem[i_raddr];
	end

	assign o_rdata = rdata_q;
endmodule
