// SPDX-License-Identifier: Apache-2.0
//
// hone_uart_rx: 8N1 UART receiver, CLKS_PER_BIT (>= 3) clocks per bit. The
// line goes through a 2-flop synchroniser; a falling edge starts a byte,
// the start bit is checked in its middle (a glitch shorter than half a bit
// is ignored) and every following bit is sampled in its middle. A byte
// whose stop bit is 0 is reported on o_err instead of o_valid. The
// receiver is ready for the next start bit from the middle of the stop
// bit on, so back-to-back bytes from a slightly faster sender are kept.
`default_nettype none

module hone_uart_rx #(
	parameter CLKS_PER_BIT = 4
) (
	input  wire       i_clk,
	input  wire       i_rst_n,
	input  wire       i_rx,
	output wire       o_valid,   // one cycle per good byte
	output wire [7:0] o_data,
	output wire       o_err      // one cycle per framing error
);
	localparam CW = $clog2(CLKS_PER_BIT) + 1;
	localparam integer LAST_I = CLKS_PER_BIT - 1;
	localparam [CW-1:0] LAST = LAST_I[CW-1:0];
	localparam integer HALF_I = (CLKS_PER_BIT - 1) / 2;
	localparam [CW-1:0] HALF = HALF_I[CW-1:0];

	localparam [1:0] S_IDLE = 2'd0, S_START = 2'd1, S_BITS = 2'd2, S_STOP = 2'd3;

	reg          sync1_q, sync2_q;
	reg [1:0]    state_q, state_d;
	reg [CW-1:0] cnt_q, cnt_d;
	reg [2:0]    nbit_q, nbit_d;
	reg [7:0]    data_q, data_d;
	reg          valid_q, valid_d;
	reg          err_q, err_d;

	assign o_valid = valid_q;
	assign o_data = data_q;
	assign o_err = err_q;

	always @(*) begin
		state_d = state_q;
		cnt_d = cnt_q;
		nbit_d = nbit_q;
		data_d = data_q;
		valid_d = 1'b0;
		err_d = 1'b0;
		case (state_q)
		S_IDLE:
			if (!sync2_q) begin
				state_d = S_START;
				cnt_d = HALF;
			end
		S_START:
			if (cnt_q != {CW{1'b0}})
				cnt_d = cnt_q - 1'b1;
			else if (sync2_q)
				state_d = S_IDLE;         // a glitch, not a start bit
			else begin
				state_d = S_BITS;
				cnt_d = LAST;
				nbit_d = 3'd0;
			end
		S_BITS:
			if (cnt_q != {CW{1'b0}})
				cnt_d = cnt_q - 1'b1;
			else begin
				data_d = {sync2_q, data_q[7:1]};
				cnt_d = LAST;
				nbit_d = nbit_q + 3'd1;
				if (nbit_q == 3'd7)
					state_d = S_STOP;
			end
		S_STOP:
			if (cnt_q != {CW{1'b0}})
				cnt_d = cnt_q - 1'b1;
			else begin
				state_d = S_IDLE;
				valid_d = sync2_q;
				err_d = !sync2_q;
			end
		default:
			state_d = S_IDLE;
		endcase
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			sync1_q <= 1'b1;
			sync2_q <= 1'b1;
			state_q <= S_IDLE;
			cnt_q <= {CW{1'b0}};
			nbit_q <= 3'd0;
			data_q <= 8'h00;
			valid_q <= 1'b0;
			err_q <= 1'b0;
		end else begin
			sync1_q <= i_rx;
			sync2_q <= sync1_q;
			state_q <= state_d;
			cnt_q <= cnt_d;
			nbit_q <= nbit_d;
			data_q <= data_d;
			valid_q <= valid_d;
			err_q <= err_d;
		end
	end
endmodule
