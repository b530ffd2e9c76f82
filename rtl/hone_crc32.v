// SPDX-License-Identifier: Apache-2.0
//
// hone_crc32: one byte of CRC-32 (IEEE 802.3, reflected: polynomial
// 0xEDB88320, LSB first, as zlib's crc32()), combinational: o_crc is the
// CRC register after i_data, continued from i_crc. The register holds the
// CRC before its final inversion, so a frame starts from 32'hFFFFFFFF and
// sends ~crc little-endian; a good frame with its CRC leaves 32'hDEBB20E3.
// Each output bit is the XOR of one register bit and some of the 8 bits of
// i_crc[7:0] ^ i_data: about three LUT4s a bit.
`default_nettype none

module hone_crc32 (
	input  wire [31:0] i_crc,
	input  wire [7:0]  i_data,
	output reg  [31:0] o_crc
);
	integer i;
	always @(*) begin
		o_crc = i_crc ^ {24'd0, i_data};
		for (i = 0; i < 8; i = i + 1)
			o_crc = o_crc[0] ? ({1'b0, o_crc[31:1]} ^ 32'hEDB88320)
			                 : {1'b0, o_crc[31:1]};
	end
endmodule
