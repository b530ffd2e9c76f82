// SPDX-License-Identifier: Apache-2.0
//
// hone_fabric: the address-event crossbar. SRCS sources (the routers of
// the cores and the input port) each offer one packet with a destination
// mask; DSTS destinations (the cores' event queues and the host spike
// queue) each take at most one packet per cycle, chosen round-robin among
// the sources that still owe it one. A multicast packet is delivered to
// its destinations independently, as each has room; the fabric remembers
// which destinations already have it (done_q) and releases the source
// once the last one took it. No storage inside, nothing dropped, and no
// cycle in the wait-for graph: a destination queue only waits for its own
// core's engine, never for the fabric.
`default_nettype none

module hone_fabric #(
	parameter SRCS = 5,
	parameter DSTS = 5,
	parameter PW   = 16        // payload bits
) (
	input  wire                 i_clk,
	input  wire                 i_rst_n,
	input  wire [SRCS-1:0]      i_valid,
	output reg  [SRCS-1:0]      o_ready,
	input  wire [SRCS*DSTS-1:0] i_mask,
	input  wire [SRCS*PW-1:0]   i_payload,
	output reg  [DSTS-1:0]      o_valid,
	input  wire [DSTS-1:0]      i_ready,
	output reg  [DSTS*PW-1:0]   o_payload,
	output wire                 o_busy
);
	reg  [SRCS*DSTS-1:0] done_q, done_d;
	reg  [SRCS-1:0]      req [0:DSTS-1];       // per destination
	wire [SRCS-1:0]      gnt [0:DSTS-1];
	reg  [SRCS*DSTS-1:0] acc;                  // delivered this cycle

	genvar gd;
	generate
		for (gd = 0; gd < DSTS; gd = gd + 1) begin : gen_dst
			hone_rr_arb #(
				.N (SRCS)
			) u_arb (
				.i_clk   (i_clk),
				.i_rst_n (i_rst_n),
				.i_req   (req[gd]),
				.i_take  (i_ready[gd]),
				.o_grant (gnt[gd])
			);
		end
	endgenerate

	integer s, d;
	reg [DSTS-1:0] left;
	always @(*) begin
		for (d = 0; d < DSTS; d = d + 1)
			for (s = 0; s < SRCS; s = s + 1)
				req[d][s] = i_valid[s] && i_mask[s*DSTS + d] && !done_q[s*DSTS + d];
		for (d = 0; d < DSTS; d = d + 1) begin
			o_valid[d] = (req[d] != {SRCS{1'b0}});
			o_payload[d*PW +: PW] = {PW{1'b0}};
			for (s = 0; s < SRCS; s = s + 1)
				if (gnt[d][s])
					o_payload[d*PW +: PW] = i_payload[s*PW +: PW];
		end
		for (s = 0; s < SRCS; s = s + 1) begin
			for (d = 0; d < DSTS; d = d + 1)
				acc[s*DSTS + d] = gnt[d][s] && i_ready[d];
			left = i_mask[s*DSTS +: DSTS] & ~done_q[s*DSTS +: DSTS] &
			       ~acc[s*DSTS +: DSTS];
			o_ready[s] = i_valid[s] && (left == {DSTS{1'b0}});
			done_d[s*DSTS +: DSTS] = o_ready[s] ? {DSTS{1'b0}} :
			                         (done_q[s*DSTS +: DSTS] | acc[s*DSTS +: DSTS]);
		end
	end

	assign o_busy = (i_valid != {SRCS{1'b0}});

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n)
			done_q <= {(SRCS*DSTS){1'b0}};
		else
			done_q <= done_d;
	end
endmodule
