// SPDX-License-Identifier: Apache-2.0
//
// hone_mac_tb: hone_lane_mac's SB_MAC16 configuration ("ice40_dsp", with
// Yosys' model of the primitive) against its behavioural model, cycle by
// cycle: every pair of weights with every g when that is at most 2^16
// combinations, else +n random ones; random potentials, with the extremes
// (wrap-around) among them. Prints "mac: N cycles, E mismatches" and
// finishes with $fatal on a mismatch. Run by tests/test_rtl_mac.sh.
`default_nettype none
`timescale 1ns/1ps

module hone_mac_tb;
	parameter WBITS = 4;
	parameter GBITS = 4;
	parameter PBITS = 16;

	reg                clk = 1'b0;
	reg                rst_n = 1'b0;
	reg  [2*WBITS-1:0] w = 0;
	reg  [GBITS-1:0]   g = 0;
	reg  [2*PBITS-1:0] acc = 0;
	wire [2*PBITS-1:0] sum_b, sum_d;

	always #5 clk = ~clk;

	hone_lane_mac #(.WBITS(WBITS), .GBITS(GBITS), .PBITS(PBITS), .IMPL("behavioural")) u_b (
		.i_clk (clk), .i_rst_n (rst_n), .i_w (w), .i_g (g), .i_acc (acc), .o_sum (sum_b));
	hone_lane_mac #(.WBITS(WBITS), .GBITS(GBITS), .PBITS(PBITS), .IMPL("ice40_dsp")) u_d (
		.i_clk (clk), .i_rst_n (rst_n), .i_w (w), .i_g (g), .i_acc (acc), .o_sum (sum_d));

	localparam IN = 2 * WBITS + GBITS;
	integer i, n, seed, errors;
	reg [IN-1:0] x;
	initial begin
		if (!$value$plusargs("n=%d", n)) n = 20000;
		if (!$value$plusargs("seed=%d", seed)) seed = 1;
		if (IN <= 16) n = 1 << IN;
		errors = 0;
		// after the reset both must hold zero products
		#12 rst_n = 1'b1;
		for (i = 0; i <= n; i = i + 1) begin
			@(negedge clk);
			// sums of the products registered at the last edge
			if (sum_b !== sum_d) begin
				errors = errors + 1;
				if (errors < 10)
					$display("mac: cycle %0d w %h g %h acc %h: behavioural %h dsp %h",
					         i, w, g, acc, sum_b, sum_d);
			end
			x = (IN <= 16) ? i[IN-1:0] : $random(seed);
			{w, g} = x;
			case (i % 7)
			0: acc = {2{1'b0, {(PBITS-1){1'b1}}}};   // most positive
			1: acc = {2{1'b1, {(PBITS-1){1'b0}}}};   // most negative
			default: acc = {$random(seed), $random(seed)};
			endcase
		end
		$display("mac: W=%0d G=%0d P=%0d, %0d cycles, %0d mismatches", WBITS, GBITS, PBITS, n, errors);
		if (errors != 0)
			$fatal(1, "mac: the DSP lanes differ from the behavioural ones");
		$finish;
	end
endmodule
