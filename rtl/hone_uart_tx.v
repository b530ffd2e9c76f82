// SPDX-License-Identifier: Apache-2.0
//
// hone_uart_tx: 8N1 UART transmitter, CLKS_PER_BIT clocks per bit. A byte
// is taken on i_valid && o_ready and shifted out LSB first between a start
// bit (0) and a stop bit (1); o_ready rises again after the stop bit.
`default_nettype none

module hone_uart_tx #(
	parameter CLKS_PER_BIT = 4
) (
	input  wire       i_clk,
	input  wire       i_rst_n,
	input  wire       i_valid,
	input  wire [7:0] i_data,
	output wire       o_ready,
	output wire       o_tx
);
	localparam CW = $clog2(CLKS_PER_BIT) + 1;
	localparam integer LAST_I = CLKS_PER_BIT - 1;
	localparam [CW-1:0] LAST = LAST_I[CW-1:0];

	reg [8:0]    shift_q, shift_d;   // data and stop bit still to send
	reg [3:0]    nbits_q, nbits_d;   // bits left, start bit included
	reg [CW-1:0] cnt_q, cnt_d;
	reg          tx_q, tx_d;

	assign o_ready = (nbits_q == 4'd0);
	assign o_tx = tx_q;

	always @(*) begin
		shift_d = shift_q;
		nbits_d = nbits_q;
		cnt_d = cnt_q;
		tx_d = tx_q;
		if (nbits_q == 4'd0) begin
			tx_d = 1'b1;
			if (i_valid) begin
				shift_d = {1'b1, i_data};
				nbits_d = 4'd10;
				cnt_d = LAST;
				tx_d = 1'b0;              // start bit
			end
		end else if (cnt_q != {CW{1'b0}}) begin
			cnt_d = cnt_q - 1'b1;
		end else begin
			nbits_d = nbits_q - 4'd1;
			cnt_d = LAST;
			tx_d = (nbits_q == 4'd1) ? 1'b1 : shift_q[0];
			shift_d = {1'b1, shift_q[8:1]};
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			shift_q <= 9'h1FF;
			nbits_q <= 4'd0;
			cnt_q <= {CW{1'b0}};
			tx_q <= 1'b1;
		end else begin
			shift_q <= shift_d;
			nbits_q <= nbits_d;
			cnt_q <= cnt_d;
			tx_q <= tx_d;
		end
	end
endmodule
