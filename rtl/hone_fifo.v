// SPDX-License-Identifier: Apache-2.0
//
// hone_fifo: small first-word-fall-through FIFO in flops, valid/ready on
// both sides. Storage is reset so that no X ever leaves an empty FIFO.
`default_nettype none

module hone_fifo #(
	parameter WIDTH = 8,
	parameter ABITS = 2          // depth 2^ABITS
) (
	input  wire             i_clk,
	input  wire             i_rst_n,
	input  wire             i_valid,
	output wire             o_ready,
	input  wire [WIDTH-1:0] i_data,
	output wire             o_valid,
	input  wire             i_ready,
	output wire [WIDTH-1:0] o_data,
	output wire [ABITS:0]   o_count
);
	localparam DEPTH = 1 << ABITS;

	reg [WIDTH-1:0] mem_q [0:DEPTH-1];
	reg [WIDTH-1:0] mem_d [0:DEPTH-1];
	reg [ABITS-1:0] wptr_q, wptr_d, rptr_q, rptr_d;
	reg [ABITS:0]   cnt_q, cnt_d;

	wire push = i_valid && o_ready;
	wire pop  = o_valid && i_ready;

	assign o_ready = (cnt_q != DEPTH[ABITS:0]);
	assign o_valid = (cnt_q != {(ABITS+1){1'b0}});
	assign o_data  = mem_q[rptr_q];
	assign o_count = cnt_q;

	integer i;
	always @(*) begin
		for (i = 0; i < DEPTH; i = i + 1)
			mem_d[i] = mem_q[i];
		if (push)
			mem_d[wptr_q] = i_data;
		wptr_d = push ? wptr_q + 1'b1 : wptr_q;
		rptr_d = pop ? rptr_q + 1'b1 : rptr_q;
		case ({push, pop})
		2'b10:   cnt_d = cnt_q + 1'b1;
		2'b01:   cnt_d = cnt_q - 1'b1;
		default: cnt_d = cnt_q;
		endcase
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			for (i = 0; i < DEPTH; i = i + 1)
				mem_q[i] <= {WIDTH{1'b0}};
			wptr_q <= {ABITS{1'b0}};
			rptr_q <= {ABITS{1'b0}};
			cnt_q  <= {(ABITS+1){1'b0}};
		end else begin
			for (i = 0; i < DEPTH; i = i + 1)
				mem_q[i] <= mem_d[i];
			wptr_q <= wptr_d;
			rptr_q <= rptr_d;
			cnt_q  <= cnt_d;
		end
	end
endmodule
