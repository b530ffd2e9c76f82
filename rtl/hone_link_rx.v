// SPDX-License-Identifier: Apache-2.0
//
// hone_link_rx: the receiving half of the link (docs/link-protocol.md).
// UART bytes -> COBS decode (a counter: one byte in, at most one out) ->
// CRC-32 over the frame -> header -> DATA bodies written speculatively into
// the RX FIFO behind the committed bytes; a good in-sequence frame commits
// them, anything else rolls them back. The CRC's 4 bytes are written too
// (nothing is held back) and left out of the commit; the credit keeps 4
// bytes of the FIFO spare for them.
//
// Outputs to hone_link_tx: the host's ack of RDATA frames (with NAK and
// POLL flags), and requests for STATUS (after a frame), NAK (once per
// expected seq) and RESET_ACK. o_link_reset flushes the FIFO, the parser
// and the transmitter.
//
// Area: registers are written with explicit enables and synchronous
// set/clear so that they map onto the iCE40's enable and set/reset pins;
// the per-frame ones (CRC, header, counts, speculative pointer) have no
// reset at all, the first byte of every frame (or a framing error outside
// one) initialises them.
`default_nettype none

module hone_link_rx #(
	parameter FA = 11                   // RX FIFO: 2^FA bytes
) (
	input  wire          i_clk,
	input  wire          i_rst_n,
	// bytes from hone_uart_rx
	input  wire          i_byte_valid,
	input  wire [7:0]    i_byte,
	input  wire          i_byte_err,
	// RX FIFO write port and pointers
	output wire          o_we,
	output wire [FA-1:0] o_waddr,
	output wire [7:0]    o_wdata,
	input  wire [FA:0]   i_head,
	output wire [FA:0]   o_commit,
	// to the transmitter
	output wire          o_ack_valid,
	output wire [7:0]    o_ack,
	output wire          o_ack_nak,
	output wire          o_poll,
	output wire          o_status_req,
	output wire          o_nak_req,
	output wire          o_reset_ack_req,
	output wire          o_link_reset,
	output wire [7:0]    o_nonce,
	output wire [7:0]    o_expected
);
	localparam [3:0] FT_DATA = 4'h1, FT_ACK = 4'h2, FT_RESET = 4'h3;
	localparam [31:0] CRC_GOOD = 32'hDEBB20E3;   // register after a good frame
	localparam [FA:0] CRC_LEN = 4;

	reg          in_frame_q;
	// per frame (no reset)
	reg [7:0]    rem_q;                 // COBS block bytes left, code included
	reg          ff_q;                  // block code was 0xFF: no zero after it
	reg          bad_q;
	reg [2:0]    k_q;                   // decoded bytes, saturating at 7
	reg [5:0]    h0_q;                  // type and the NAK, POLL flags
	reg [7:0]    h1_q;                  // seq (DATA), nonce (RESET)
	reg [7:0]    ack_q;                 // ack (DATA, ACK)
	reg [31:0]   crc_q;
	reg          wr_q;                  // an in-sequence DATA frame: body to the FIFO
	reg          ovf_q;                 // body did not fit
	reg [FA:0]   spec_q;
	// the frame's verdict, computed every cycle from the registers above:
	// they hold still from a frame's last byte to a byte time after its
	// delimiter, so the verdict is ready in the cycle after it (eof_q)
	reg          eof_q;
	// per byte, the same way: hone_uart_rx holds o_data still from its last
	// data bit, a bit time before o_valid, and a byte's state settles a
	// byte time before the next one; the FIFO's head only moves on (more
	// room), so room_q a cycle late errs on the safe side
	reg          zero_q, code_q, dvc_q, bodyk_q, room_q;
	reg          v_commit_q, v_dup_q, v_ack_q, v_reset_q, v_rack_q, v_nak_q;
	// link state
	reg [FA:0]   commit_q;
	reg [7:0]    exp_q;
	reg          nak_sent_q;
	reg [7:0]    nonce_q;
	reg          nonce_v_q;

	// ---------------------------------------------------------- decode
	wire zero = zero_q;
	wire data_in = i_byte_valid && !zero;
	wire start = (data_in || i_byte_err) && !in_frame_q;   // a frame's first byte
	wire code = code_q;                                     // this byte is a COBS code
	// decoded byte of this cycle: a data byte, or the zero a code stands for
	wire dv = data_in && (!code || dvc_q);
	wire [7:0] db = code ? 8'h00 : i_byte;
	wire eof = i_byte_valid && zero && in_frame_q && !i_byte_err;   // the delimiter

	wire [31:0] crc_next;
	hone_crc32 u_crc (
		.i_crc  (crc_q),
		.i_data (db),
		.o_crc  (crc_next)
	);

	wire type_data = (h0_q[3:0] == FT_DATA);
	wire type_ack = (h0_q[3:0] == FT_ACK);
	// FIFO room: the speculative pointer is not a whole FIFO ahead of head
	wire room = room_q;
	// k >= 3: a body or CRC byte
	wire body = dv && bodyk_q;
	assign o_we = body && room;

	// ---------------------------------------------------------- end of frame
	wire [7:0] seq_diff = h1_q - exp_q;
	wire       ahead = !seq_diff[7];         // seq - expected in 1..127
	wire       unused_ok = &{1'b0, seq_diff[6:0]};
	// k >= 6: the shortest frame, a header byte, an ack or nonce, the CRC
	wire good = !bad_q && rem_q == 8'd1 && crc_q == CRC_GOOD && k_q[2:1] == 2'b11;
	wire g_data = good && type_data && k_q == 3'd7;
	wire g_ack = good && type_ack;
	wire g_reset = good && (h0_q[3:0] == FT_RESET);
	wire dup_reset = nonce_v_q && h1_q == nonce_q;
	wire commit = g_data && wr_q && !ovf_q;
	wire dup = g_data && !wr_q && !ahead;
	assign o_link_reset = eof_q && v_reset_q;
	assign o_reset_ack_req = eof_q && v_rack_q;
	assign o_ack_valid = eof_q && v_ack_q;
	assign o_status_req = eof_q && (v_commit_q || v_dup_q);
	// a bad frame, a DATA frame out of order or too long, an unknown type
	wire nak = eof_q && v_nak_q;
	assign o_nak_req = nak && !nak_sent_q;
	assign o_ack = ack_q;
	assign o_ack_nak = o_ack_valid && h0_q[4];
	assign o_poll = o_ack_valid && h0_q[5];
	assign o_waddr = spec_q[FA-1:0];
	assign o_wdata = db;
	assign o_commit = commit_q;
	assign o_nonce = nonce_q;
	assign o_expected = exp_q;

	// ---------------------------------------------------------- registers
	always @(posedge i_clk) begin
		if (i_byte_err) begin
			rem_q <= 8'd1;                 // the next byte is read as a code
			ff_q <= 1'b1;
		end else if (data_in) begin
			rem_q <= code ? i_byte : rem_q - 8'd1;
			if (code)
				ff_q <= (i_byte == 8'hFF);
		end
		if (start || i_byte_err)
			bad_q <= i_byte_err;
		if (start)
			crc_q <= 32'hFFFFFFFF;
		else if (dv)
			crc_q <= crc_next;
		if (start)
			k_q <= 3'd0;
		else if (dv && k_q != 3'd7)
			k_q <= k_q + 3'd1;
		if (dv && k_q == 3'd0)
			h0_q <= db[5:0];
		if (dv && k_q == 3'd1)
			h1_q <= db;
		if (dv && (type_ack ? k_q == 3'd1 : k_q == 3'd2))
			ack_q <= db;
		if (start)
			wr_q <= 1'b0;
		else if (dv && k_q == 3'd1)
			wr_q <= type_data && db == exp_q;
		if (start)
			ovf_q <= 1'b0;
		else if (body && !room)
			ovf_q <= 1'b1;
		if (start)
			spec_q <= commit_q;
		else if (o_we)
			spec_q <= spec_q + 1'b1;
		zero_q <= (i_byte == 8'h00);
		code_q <= !in_frame_q || rem_q == 8'd1;
		dvc_q <= in_frame_q && !ff_q;
		bodyk_q <= wr_q && (k_q[2] || k_q[1:0] == 2'd3);
		room_q <= !(spec_q[FA-1:0] == i_head[FA-1:0] && spec_q[FA] != i_head[FA]);
		v_commit_q <= commit;
		v_dup_q <= dup;
		v_ack_q <= g_data || g_ack;
		v_reset_q <= g_reset && !dup_reset;
		v_rack_q <= g_reset && dup_reset;
		v_nak_q <= !(commit || dup || g_ack || g_reset);
	end

	// link state: synchronous reset (i_rst_n is synchronised at the top),
	// so that it shares the flip-flops' clear with the link reset
	always @(posedge i_clk) begin
		if (!i_rst_n)
			in_frame_q <= 1'b0;
		else if (i_byte_valid || i_byte_err)
			in_frame_q <= !zero || i_byte_err;
		if (!i_rst_n)
			eof_q <= 1'b0;
		else
			eof_q <= eof;
		if (!i_rst_n || o_link_reset)
			commit_q <= {(FA+1){1'b0}};
		else if (eof_q && v_commit_q)
			commit_q <= spec_q - CRC_LEN;
		if (!i_rst_n || o_link_reset)
			exp_q <= 8'd0;
		else if (eof_q && v_commit_q)
			exp_q <= exp_q + 8'd1;
		if (!i_rst_n || o_link_reset || (eof_q && v_commit_q))
			nak_sent_q <= 1'b0;
		else if (nak)
			nak_sent_q <= 1'b1;
		if (!i_rst_n)
			nonce_v_q <= 1'b0;
		else if (o_link_reset)
			nonce_v_q <= 1'b1;
		if (o_link_reset)
			nonce_q <= h1_q;
	end
endmodule
