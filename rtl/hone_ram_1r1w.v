// SPDX-License-Identifier: Apache-2.0
//
// hone_ram_1r1w: simple dual-port RAM, one write port and one synchronous
// read port (data one cycle after the address). This is the behavioural
// model that yosys maps onto iCE40 EBR (SB_RAM40_4K); every potential bank,
// neuron-parameter memory and spike queue of a core goes through it, so a
// vendor macro can be swapped in here alone.
//
// Read-during-write of the same address returns the OLD word; the core's
// read-modify-write pipeline forwards around it and never relies on it.
`default_nettype none

module hone_ram_1r1w #(
	parameter WIDTH = 16,
	parameter ABITS = 8
) (
	input  wire             i_clk,
	input  wire             i_we,
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

	always @(posedge i_clk) begin
		if (i_we)
			mem[i_waddr] <= i_wdata;
		rdata_q <= mem[i_raddr];
	end

	assign o_rdata = rdata_q;
endmodule
