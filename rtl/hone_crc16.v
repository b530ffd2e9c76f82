// SPDX-License-Identifier: Apache-2.0
//
// hone_crc16: one byte of CRC-16/CCITT-FALSE (polynomial 0x1021, MSB
// first), combinational: o_crc = CRC of i_data continued from i_crc. The
// link's receiver runs it over whole frames (a good frame leaves 0), its
// transmitter over RDATA, STATUS and RESET_ACK frames (docs/link-protocol.md).
`default_nettype none

module hone_crc16 (
	input  wire [15:0] i_crc,
	input  wire [7:0]  i_data,
	output reg  [15:0] o_crc
);
	integer i;
	always @(*) begin
		o_crc = i_crc ^ {i_data, 8'h00};
		for (i = 0; i < 8; i = i + 1)
			o_crc = o_crc[15] ? ({o_crc[14:0], 1'b0} ^ 16'h1021) : {o_crc[14:0], 1'b0};
	end
endmodule
