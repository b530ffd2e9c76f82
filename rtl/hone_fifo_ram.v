// SPDX-License-Identifier: Apache-2.0
//
// hone_fifo_ram: a deep first-word-fall-through FIFO whose storage is a
// hone_ram_1r1w (EBR on iCE40). The RAM answers one cycle after the
// address, so a two-entry output buffer in flops keeps the head visible
// and sustains one pop per cycle. A core's spike queue is one of these,
// NEURONS deep: a slot spikes at most once per tick and the queue is empty
// when the fire sweep starts, so it can never overflow in the fire phase.
`default_nettype none

module hone_fifo_ram #(
	parameter WIDTH = 9,
	parameter ABITS = 9          // depth 2^ABITS
) (
	input  wire             i_clk,
	input  wire             i_rst_n,
	input  wire             i_valid,
	output wire             o_ready,
	input  wire [WIDTH-1:0] i_data,
	output wire             o_valid,
	input  wire             i_ready,
	output wire [WIDTH-1:0] o_data,
	output wire             o_empty   // nothing stored anywhere
);
	localparam DEPTH = 1 << ABITS;

	reg [ABITS-1:0] wptr_q, wptr_d, rptr_q, rptr_d;
	reg [ABITS:0]   ram_cnt_q, ram_cnt_d;     // words in RAM not yet read
	reg             pend_q, pend_d;           // a RAM read is in flight
	reg [1:0]       ob_cnt_q, ob_cnt_d;       // words in the output buffer
	reg [WIDTH-1:0] ob0_q, ob0_d, ob1_q, ob1_d;

	wire [WIDTH-1:0] ram_rdata;

	wire push = i_valid && o_ready;
	wire pop  = o_valid && i_ready;
	// Issue a read only if its word is sure to find room next cycle.
	wire [1:0] ob_after = ob_cnt_q - {1'b0, pop} + {1'b0, pend_q};
	wire issue = (ram_cnt_q != {(ABITS+1){1'b0}}) && (ob_after <= 2'd1);

	assign o_ready = (ram_cnt_q != DEPTH[ABITS:0]);
	assign o_valid = (ob_cnt_q != 2'd0);
	assign o_data  = ob0_q;
	assign o_empty = (ram_cnt_q == {(ABITS+1){1'b0}}) && !pend_q &&
	                 (ob_cnt_q == 2'd0);

	hone_ram_1r1w #(
		.WIDTH (WIDTH),
		.ABITS (ABITS)
	) u_ram (
		.i_clk   (i_clk),
		.i_we    (push),
		.i_waddr (wptr_q),
		.i_wdata (i_data),
		.i_raddr (rptr_q),
		.o_rdata (ram_rdata)
	);

	always @(*) begin
		wptr_d = push ? wptr_q + 1'b1 : wptr_q;
		rptr_d = issue ? rptr_q + 1'b1 : rptr_q;
		ram_cnt_d = ram_cnt_q + {{ABITS{1'b0}}, push} - {{ABITS{1'b0}}, issue};
		pend_d = issue;
		ob_cnt_d = ob_after;
		ob0_d = ob0_q;
		ob1_d = ob1_q;
		if (pop)
			ob0_d = ob1_q;
		if (pend_q) begin
			if (ob_cnt_q - {1'b0, pop} == 2'd0)
				ob0_d = ram_rdata;
			else
				ob1_d = ram_rdata;
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			wptr_q    <= {ABITS{1'b0}};
			rptr_q    <= {ABITS{1'b0}};
			ram_cnt_q <= {(ABITS+1){1'b0}};
			pend_q    <= 1'b0;
			ob_cnt_q  <= 2'd0;
			ob0_q     <= {WIDTH{1'b0}};
			ob1_q     <= {WIDTH{1'b0}};
		end else begin
			wptr_q    <= wptr_d;
			rptr_q    <= rptr_d;
			ram_cnt_q <= ram_cnt_d;
			pend_q    <= pend_d;
			ob_cnt_q  <= ob_cnt_d;
			ob0_q     <= ob0_d;
			ob1_q     <= ob1_d;
		end
	end
endmodule
