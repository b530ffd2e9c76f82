// SPDX-License-Identifier: Apache-2.0
//
// hone_weight_mem: a core's weight memory, WIDTH = LANES*WBITS bits wide,
// 2^ABITS words, single port (one read or one write per cycle, read data
// one cycle later). Two implementations behind one interface:
//
//   IMPL = "behavioural"  a plain array (simulation; EBR for small cores)
//   IMPL = "spram"        iCE40UP5K SB_SPRAM256KA macros, 16 bits and 16K
//                         words each, side by side (up5k: 4 x 16 = 64 bits)
//
// SPRAM cannot be initialised by the bitstream: the core clears this memory
// after reset and the host loads weights at run time.
`default_nettype none

module hone_weight_mem #(
	parameter WIDTH = 16,
	parameter ABITS = 8,
	parameter IMPL  = "behavioural"
) (
	input  wire             i_clk,
	input  wire             i_en,      // read or write this cycle
	input  wire             i_we,
	input  wire [ABITS-1:0] i_addr,
	input  wire [WIDTH-1:0] i_wdata,
	output wire [WIDTH-1:0] o_rdata
);
	generate
	if (IMPL == "spram") begin : gen_spram
		localparam BANKS = (WIDTH + 15) / 16;
		wire [BANKS*16-1:0] wdata = {{(BANKS*16-WIDTH){1'b0}}, i_wdata};
		wire [BANKS*16-1:0] rdata;
		wire [13:0] addr = {{(14-ABITS){1'b0}}, i_addr};
		genvar b;
		for (b = 0; b < BANKS; b = b + 1) begin : gen_bank
			SB_SPRAM256KA u_spram (
				.ADDRESS    (addr),
				.DATAIN     (wdata[b*16 +: 16]),
				.MASKWREN   (4'b1111),
				.WREN       (i_we),
				.CHIPSELECT (i_en),
				.CLOCK      (i_clk),
				.STANDBY    (1'b0),
				.SLEEP      (1'b0),
				.POWEROFF   (1'b1),
				.DATAOUT    (rdata[b*16 +: 16])
			);
		end
		assign o_rdata = rdata[WIDTH-1:0];
	end else begin : gen_behavioural
		reg [WIDTH-1:0] mem [0:(1<<ABITS)-1];
		reg [WIDTH-1:0] rdata_q;
		always @(posedge i_clk) begin
			if (i_en) begin
				if (i_we)
					mem[i_addr] <= i_wdata;
				else
					rdata_q <= mem[i_addr];
			end
		end
		assign o_rdata = rdata_q;
	end
	endgenerate
endmodule
