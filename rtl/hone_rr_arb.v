// SPDX-License-Identifier: Apache-2.0
//
// hone_rr_arb: round-robin arbiter. o_grant is one-hot among i_req (zero
// if none); the requester after the last one served has priority. The
// pointer advances only when the grant is taken (i_take), so a grant
// stays stable while the receiver stalls (valid/ready rule).
`default_nettype none

module hone_rr_arb #(
	parameter N = 4
) (
	input  wire         i_clk,
	input  wire         i_rst_n,
	input  wire [N-1:0] i_req,
	input  wire         i_take,
	output reg  [N-1:0] o_grant
);
	reg [N-1:0] last_q, last_d;   // one-hot: the requester served last

	integer i, k;
	reg found;
	always @(*) begin
		o_grant = {N{1'b0}};
		found = 1'b0;
		// Scan from the one after last, wrapping around.
		for (i = 1; i <= N; i = i + 1) begin
			for (k = 0; k < N; k = k + 1) begin
				if (!found && last_q[(k + N - i) % N] && i_req[k]) begin
					o_grant[k] = 1'b1;
					found = 1'b1;
				end
			end
		end
		last_d = (i_take && found) ? o_grant : last_q;
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n)
			last_q <= {{(N-1){1'b0}}, 1'b1} << (N - 1);
		else
			last_q <= last_d;
	end
endmodule
