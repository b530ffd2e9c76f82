// SPDX-License-Identifier: Apache-2.0
//
// hone_lane_mac: two lanes of a core's read-modify-write pipeline.
//   S1: the products w*g (signed weight, unsigned g) are registered;
//   S2: o_sum = i_acc + the products of the cycle before (combinational),
//       the new potentials, wrapped to PBITS bits.
// Two implementations behind one interface, like hone_weight_mem:
//
//   IMPL = "behavioural"  LUT multipliers and adders (simulation, any FPGA)
//   IMPL = "ice40_dsp"    one SB_MAC16 of the iCE40 UltraPlus in dual 8x8
//                         mode: each half multiplies sign-extended w by g
//                         into its product register (TOP/BOT_8x8_MULT_REG),
//                         then its 16-bit adder adds the potential from C
//                         (top) or D (bottom); carries between the halves
//                         are off. Needs WBITS <= 8, GBITS <= 7, PBITS <= 16.
//
// The DSP version is checked against the behavioural one, with Yosys' own
// SB_MAC16 model, by tests/test_rtl_mac.sh (every w and g, random sums).
`default_nettype none

module hone_lane_mac #(
	parameter WBITS = 4,
	parameter GBITS = 4,
	parameter PBITS = 16,
	parameter IMPL  = "behavioural"
) (
	input  wire               i_clk,
	input  wire               i_rst_n,
	input  wire [2*WBITS-1:0] i_w,     // S1: lane 1 in the high half
	input  wire [GBITS-1:0]   i_g,     // S1
	input  wire [2*PBITS-1:0] i_acc,   // S2: the potentials read
	output wire [2*PBITS-1:0] o_sum    // S2
);
	localparam PRB = WBITS + GBITS;    // a product, signed

	generate
	if (IMPL == "ice40_dsp") begin : gen_dsp
		wire [7:0]  w0 = {{(8-WBITS){i_w[WBITS-1]}}, i_w[0 +: WBITS]};
		wire [7:0]  w1 = {{(8-WBITS){i_w[2*WBITS-1]}}, i_w[WBITS +: WBITS]};
		wire [7:0]  g = {{(8-GBITS){1'b0}}, i_g};
		wire [15:0] acc0 = {{(16-PBITS){i_acc[PBITS-1]}}, i_acc[0 +: PBITS]};
		wire [15:0] acc1 = {{(16-PBITS){i_acc[2*PBITS-1]}}, i_acc[PBITS +: PBITS]};
		wire [31:0] o;
		wire        unused_co, unused_accumco, unused_signextout;

		SB_MAC16 #(
			.NEG_TRIGGER              (1'b0),
			.C_REG                    (1'b0),
			.A_REG                    (1'b0),
			.B_REG                    (1'b0),
			.D_REG                    (1'b0),
			.TOP_8x8_MULT_REG         (1'b1),
			.BOT_8x8_MULT_REG         (1'b1),
			.PIPELINE_16x16_MULT_REG1 (1'b0),
			.PIPELINE_16x16_MULT_REG2 (1'b0),
			.TOPOUTPUT_SELECT         (2'b00),   // adder, unregistered
			.TOPADDSUB_LOWERINPUT     (2'b01),   // the top 8x8 product
			.TOPADDSUB_UPPERINPUT     (1'b1),    // C
			.TOPADDSUB_CARRYSELECT    (2'b00),   // no carry in
			.BOTOUTPUT_SELECT         (2'b00),
			.BOTADDSUB_LOWERINPUT     (2'b01),   // the bottom 8x8 product
			.BOTADDSUB_UPPERINPUT     (1'b1),    // D
			.BOTADDSUB_CARRYSELECT    (2'b00),
			.MODE_8x8                 (1'b1),
			.A_SIGNED                 (1'b1),
			.B_SIGNED                 (1'b0)
		) u_mac (
			.CLK        (i_clk),
			.CE         (1'b1),
			.C          (acc1),
			.A          ({w1, w0}),
			.B          ({g, g}),
			.D          (acc0),
			.AHOLD      (1'b0),
			.BHOLD      (1'b0),
			.CHOLD      (1'b0),
			.DHOLD      (1'b0),
			.IRSTTOP    (!i_rst_n),        // the product registers
			.IRSTBOT    (!i_rst_n),
			.ORSTTOP    (1'b0),
			.ORSTBOT    (1'b0),
			.OLOADTOP   (1'b0),
			.OLOADBOT   (1'b0),
			.ADDSUBTOP  (1'b0),
			.ADDSUBBOT  (1'b0),
			.OHOLDTOP   (1'b0),
			.OHOLDBOT   (1'b0),
			.CI         (1'b0),
			.ACCUMCI    (1'b0),
			.SIGNEXTIN  (1'b0),
			.O          (o),
			.CO         (unused_co),
			.ACCUMCO    (unused_accumco),
			.SIGNEXTOUT (unused_signextout)
		);
		assign o_sum = {o[16 +: PBITS], o[0 +: PBITS]};

		if (WBITS > 8 || GBITS > 7 || PBITS > 16) begin : gen_err_dsp
			hone_lane_mac_error_too_wide_for_sb_mac16 u_err ();
		end
	end else begin : gen_behavioural
		reg [2*PRB-1:0] prod_q;
		always @(posedge i_clk or negedge i_rst_n) begin
			if (!i_rst_n)
				prod_q <= {(2*PRB){1'b0}};
			else begin
				prod_q[0 +: PRB] <= $signed(i_w[0 +: WBITS]) * $signed({1'b0, i_g});
				prod_q[PRB +: PRB] <= $signed(i_w[WBITS +: WBITS]) * $signed({1'b0, i_g});
			end
		end
		assign o_sum = {i_acc[PBITS +: PBITS] + {{(PBITS-PRB){prod_q[2*PRB-1]}}, prod_q[PRB +: PRB]},
		                i_acc[0 +: PBITS] + {{(PBITS-PRB){prod_q[PRB-1]}}, prod_q[0 +: PRB]}};
	end
	endgenerate
endmodule
