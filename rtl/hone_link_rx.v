// SPDX-License-Identifier: Apache-2.0
//
// hone_link_rx: the receiving half of the link (docs/link-protocol.md).
// UART bytes -> COBS decode (a counter: one byte in, at most one out) ->
// CRC-16 over the frame -> header -> DATA bodies written speculatively into
// the RX FIFO behind the committed bytes; a good in-sequence frame commits
// them, anything else rolls them back. The last two decoded bytes are held
// back so the CRC never enters the FIFO.
//
// Outputs to hone_link_tx: the host's ack of RDATA frames (with NAK and
// POLL flags), and requests for STATUS (after a frame), NAK (once per
// expected seq) and RESET_ACK. o_link_reset flushes the FIFO, the parser
// and the transmitter.
`default_nettype none

module hone_link_rx #(
	parameter FA = 11                   // RX FIFO: 2^FA bytes
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	// bytes from hone_uart_rx
	input  wire        i_byte_valid,
	input  wire [7:0]  i_byte,
	input  wire        i_byte_err,
	// RX FIFO write port and pointers
	output reg         o_we,
	output wire [FA-1:0] o_waddr,
	output reg  [7:0]  o_wdata,
	input  wire [FA:0] i_head,
	output wire [FA:0] o_commit,
	// to the transmitter
	output reg         o_ack_valid,
	output reg  [7:0]  o_ack,
	output reg         o_ack_nak,
	output reg         o_poll,
	output reg         o_status_req,
	output reg         o_nak_req,
	output reg         o_reset_ack_req,
	output reg         o_link_reset,
	output wire [7:0]  o_nonce,
	output wire [7:0]  o_expected
);
	localparam [3:0] FT_DATA = 4'h1, FT_ACK = 4'h2, FT_RESET = 4'h3;
	localparam [FA:0] DEPTH = {1'b1, {FA{1'b0}}};

	// COBS decoder
	reg        in_frame_q, in_frame_d;
	reg [7:0]  cnt_q, cnt_d;            // data bytes left in this block
	reg        ff_q, ff_d;              // block code was 0xFF: no zero after it
	reg        bad_q, bad_d;
	// frame
	reg [2:0]  k_q, k_d;                // decoded bytes, saturating at 7
	reg [7:0]  h0_q, h0_d, h1_q, h1_d, h2_q, h2_d;
	reg [15:0] crc_q, crc_d;
	reg        wr_q, wr_d;              // body goes to the FIFO
	reg        ovf_q, ovf_d;            // body did not fit
	reg [7:0]  d0_q, d0_d, d1_q, d1_d;  // held-back bytes (d0 older)
	reg [1:0]  dn_q, dn_d;
	reg [FA:0] spec_q, spec_d, commit_q, commit_d;
	// sequence
	reg [7:0]  exp_q, exp_d;
	reg        nak_sent_q, nak_sent_d;
	reg [7:0]  nonce_q, nonce_d;
	reg        nonce_v_q, nonce_v_d;

	assign o_waddr = spec_q[FA-1:0];
	assign o_commit = commit_q;
	assign o_nonce = nonce_q;
	assign o_expected = exp_q;

	// decoded byte of this cycle
	reg        dv;
	reg [7:0]  db;
	always @(*) begin
		dv = 1'b0;
		db = 8'h00;
		if (i_byte_valid && i_byte != 8'h00) begin
			if (!in_frame_q || cnt_q == 8'd0) begin
				dv = in_frame_q && !ff_q;   // the zero a code byte stands for
			end else begin
				dv = 1'b1;
				db = i_byte;
			end
		end
	end

	wire [15:0] crc_next;
	hone_crc16 u_crc (
		.i_crc  (crc_q),
		.i_data (db),
		.o_crc  (crc_next)
	);

	wire [FA:0] used = spec_q - i_head;
	wire        room = (used < DEPTH);
	wire [7:0]  seq_diff = h1_q - exp_q;

	always @(*) begin
		in_frame_d = in_frame_q;
		cnt_d = cnt_q;
		ff_d = ff_q;
		bad_d = bad_q;
		k_d = k_q;
		h0_d = h0_q;
		h1_d = h1_q;
		h2_d = h2_q;
		crc_d = crc_q;
		wr_d = wr_q;
		ovf_d = ovf_q;
		d0_d = d0_q;
		d1_d = d1_q;
		dn_d = dn_q;
		spec_d = spec_q;
		commit_d = commit_q;
		exp_d = exp_q;
		nak_sent_d = nak_sent_q;
		nonce_d = nonce_q;
		nonce_v_d = nonce_v_q;
		o_we = 1'b0;
		o_wdata = d0_q;
		o_ack_valid = 1'b0;
		o_ack = 8'h00;
		o_ack_nak = 1'b0;
		o_poll = 1'b0;
		o_status_req = 1'b0;
		o_nak_req = 1'b0;
		o_reset_ack_req = 1'b0;
		o_link_reset = 1'b0;

		if (i_byte_err) begin
			in_frame_d = 1'b1;             // the frame it fell in is lost
			bad_d = 1'b1;
			cnt_d = 8'd0;
		end else if (i_byte_valid && i_byte == 8'h00) begin
			// ---- end of frame
			if (in_frame_q) begin
				if (!bad_q && cnt_q == 8'd0 && crc_q == 16'h0000 && k_q >= 3'd4) begin
					case (h0_q[3:0])
					FT_DATA:
						if (k_q >= 3'd5) begin
							o_ack_valid = 1'b1;
							o_ack = h2_q;
							o_ack_nak = h0_q[4];
							o_poll = h0_q[5];
							if (h1_q == exp_q && !ovf_q) begin
								commit_d = spec_q;
								exp_d = exp_q + 8'd1;
								nak_sent_d = 1'b0;
								o_status_req = 1'b1;
							end else if (h1_q == exp_q || seq_diff < 8'd128) begin
								o_nak_req = !nak_sent_q;
								nak_sent_d = 1'b1;
							end else begin
								o_status_req = 1'b1;   // a duplicate: ack again
							end
						end else begin
							o_nak_req = !nak_sent_q;
							nak_sent_d = 1'b1;
						end
					FT_ACK: begin
						o_ack_valid = 1'b1;
						o_ack = h1_q;
						o_ack_nak = h0_q[4];
						o_poll = h0_q[5];
					end
					FT_RESET:
						if (nonce_v_q && h1_q == nonce_q) begin
							o_reset_ack_req = 1'b1;  // a duplicate: answer only
						end else begin
							o_link_reset = 1'b1;
							nonce_d = h1_q;
							nonce_v_d = 1'b1;
							exp_d = 8'd0;
							nak_sent_d = 1'b0;
							commit_d = {(FA+1){1'b0}};
						end
					default: begin
						o_nak_req = !nak_sent_q;
						nak_sent_d = 1'b1;
					end
					endcase
				end else begin
					o_nak_req = !nak_sent_q;
					nak_sent_d = 1'b1;
				end
			end
			in_frame_d = 1'b0;
			cnt_d = 8'd0;
			ff_d = 1'b0;
			bad_d = 1'b0;
			k_d = 3'd0;
			crc_d = 16'hFFFF;
			wr_d = 1'b0;
			ovf_d = 1'b0;
			dn_d = 2'd0;
			spec_d = o_link_reset ? {(FA+1){1'b0}} : commit_d;
		end else if (i_byte_valid) begin
			// ---- COBS
			if (!in_frame_q || cnt_q == 8'd0) begin
				cnt_d = i_byte - 8'd1;
				ff_d = (i_byte == 8'hFF);
				in_frame_d = 1'b1;
			end else begin
				cnt_d = cnt_q - 8'd1;
			end
			// ---- a decoded byte
			if (dv) begin
				crc_d = crc_next;
				if (k_q != 3'd7)
					k_d = k_q + 3'd1;
				case (k_q)
				3'd0: h0_d = db;
				3'd1: begin
					h1_d = db;
					wr_d = (h0_q[3:0] == FT_DATA) && (db == exp_q);
				end
				3'd2: h2_d = db;
				default:
					if (wr_q) begin
						if (dn_q == 2'd2) begin
							if (room) begin
								o_we = 1'b1;
								spec_d = spec_q + 1'b1;
							end else begin
								ovf_d = 1'b1;
							end
							d0_d = d1_q;
							d1_d = db;
						end else if (dn_q == 2'd1) begin
							d1_d = db;
							dn_d = 2'd2;
						end else begin
							d0_d = db;
							dn_d = 2'd1;
						end
					end
				endcase
			end
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			in_frame_q <= 1'b0;
			cnt_q <= 8'd0;
			ff_q <= 1'b0;
			bad_q <= 1'b0;
			k_q <= 3'd0;
			h0_q <= 8'h00;
			h1_q <= 8'h00;
			h2_q <= 8'h00;
			crc_q <= 16'hFFFF;
			wr_q <= 1'b0;
			ovf_q <= 1'b0;
			d0_q <= 8'h00;
			d1_q <= 8'h00;
			dn_q <= 2'd0;
			spec_q <= {(FA+1){1'b0}};
			commit_q <= {(FA+1){1'b0}};
			exp_q <= 8'd0;
			nak_sent_q <= 1'b0;
			nonce_q <= 8'h00;
			nonce_v_q <= 1'b0;
		end else begin
			in_frame_q <= in_frame_d;
			cnt_q <= cnt_d;
			ff_q <= ff_d;
			bad_q <= bad_d;
			k_q <= k_d;
			h0_q <= h0_d;
			h1_q <= h1_d;
			h2_q <= h2_d;
			crc_q <= crc_d;
			wr_q <= wr_d;
			ovf_q <= ovf_d;
			d0_q <= d0_d;
			d1_q <= d1_d;
			dn_q <= dn_d;
			spec_q <= spec_d;
			commit_q <= commit_d;
			exp_q <= exp_d;
			nak_sent_q <= nak_sent_d;
			nonce_q <= nonce_d;
			nonce_v_q <= nonce_v_d;
		end
	end
endmodule
