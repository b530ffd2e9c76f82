// SPDX-License-Identifier: Apache-2.0
//
// hone_link_tx: the transmitting half of the link (docs/link-protocol.md).
//
// Builder: chip responses -> RDATA bodies in the retransmit buffer (an
//   EBR) cut into 2^SB slots of 2^SA bytes, one frame per slot: frame seq s
//   lives in slot s mod 2^SB, its body (tag + data bytes of whole
//   responses) at offsets 1.., the end offset at 0 (written when the frame
//   closes). A response is taken into a shift register and written a byte
//   a cycle. A frame takes responses while its body has room for any
//   response (9 bytes), so it never overflows MAX_PAYLOAD; it is closed
//   when that room is gone and a response waits, or when no response waits
//   and the sender has nothing to send. A frame is opened only while a slot
//   is free (o_rsp_ready stays low otherwise).
// Sender: one byte-wide datapath for every frame it sends (RDATA from a
//   slot, STATUS and RESET_ACK from a few registers): header, body, CRC-32
//   through one CRC unit, reversed COBS (a run counter: the code byte
//   follows its block, so nothing is looked ahead at), delimiter. It goes
//   back to the oldest unacked frame on a NAK from the host or after
//   RTO_CYCLES (rounded down to a power of two) without ack progress;
//   STATUS and RESET_ACK go between frames.
//
// Registers are written with explicit enables and synchronous set/clear
// (i_rst_n is synchronised at the top) so that they map onto the iCE40
// flip-flops' enable and set/reset pins instead of LUTs.
`default_nettype none

module hone_link_tx #(
	parameter BA          = 10,          // retransmit buffer: 2^BA bytes
	parameter MAX_PAYLOAD = 120,         // RDATA body bytes (<= 254)
	parameter RTO_CYCLES  = 2097152,     // a power of two, or rounded down to one
	parameter CB          = 12           // credit bits (9 .. 16)
) (
	input  wire          i_clk,
	input  wire          i_rst_n,
	// chip responses
	input  wire          i_rsp_valid,
	output wire          o_rsp_ready,
	input  wire [2:0]    i_rsp_kind,
	input  wire [63:0]   i_rsp_data,
	// from hone_link_rx
	input  wire          i_link_reset,
	input  wire          i_reset_ack_req,
	input  wire [7:0]    i_nonce,
	input  wire          i_ack_valid,
	input  wire [7:0]    i_ack,
	input  wire          i_ack_nak,
	input  wire          i_poll,
	input  wire          i_status_req,
	input  wire          i_nak_req,
	input  wire [7:0]    i_expected,
	input  wire [CB-1:0] i_credit,
	input  wire          i_proto_err,
	// to hone_uart_tx
	output wire          o_tx_valid,
	output wire [7:0]    o_tx_data,
	input  wire          i_tx_ready
);
	localparam integer SA = $clog2(MAX_PAYLOAD + 2);   // slot: 2^SA bytes
	localparam integer SB = BA - SA;                   // 2^SB slots
	localparam [SB:0] SLOTS = {1'b1, {SB{1'b0}}};
	// a response fits while the body (wp_q - 1 bytes) has room for 9 more
	localparam integer WP_FIT_I = MAX_PAYLOAD - 8;
	localparam [SA-1:0] WP_FIT = WP_FIT_I[SA-1:0];
	localparam integer TW = $clog2(RTO_CYCLES + 1);      // timeout: MSB set

	localparam [1:0] K_RDATA = 2'd0, K_STATUS = 2'd1, K_RESET_ACK = 2'd2;
	// sender positions in a frame
	localparam [3:0] P_IDLE = 4'd0, P_LEAD = 4'd1, P_H0 = 4'd2, P_H1 = 4'd3,
	                 P_C0 = 4'd4, P_C1 = 4'd5, P_BODY = 4'd6,
	                 P_CRC0 = 4'd8, P_FIN = 4'd12,   // CRC bytes 8..11
	                 P_DELIM = 4'd13;

	// ---------------------------------------------------------- state
	reg [7:0]    ack_q;                  // oldest unacked RDATA seq
	reg [7:0]    nxt_q;                  // seq of the open / next frame
	reg [7:0]    snd_q;                  // seq being sent, or next to send
	reg          gobk_q;                 // go back to ack_q
	reg          stale_q;                // an ack went past snd_q: go back to it
	reg          wentbk_q;               // snd_q went back last cycle
	reg          ackin_q;                // i_ack is in [ack_q, nxt_q]
	reg          acknz_q;                // ... and not ack_q
	reg          ackpast_q;              // ... and past snd_q
	reg [TW-1:0] tmr_q;
	reg          st_pend_q;              // STATUS wanted
	reg          nak_pend_q;
	reg          ra_pend_q;              // RESET_ACK wanted
	reg          perr_q;
	// builder
	reg          open_q;
	reg          rdy_q;                  // o_rsp_ready
	reg          sidle_q;                // the sender has nothing to send
	reg          idle_q;                 // the sender was idle last cycle
	reg          hr_q;                   // snd_q != nxt_q: a frame to send
	reg [SA-1:0] wp_q;                   // next body offset in the open slot
	reg [63:0]   rsh_q;                  // data bytes of the response taken
	reg [3:0]    rleft_q;                // of which still to write
	// sender
	reg [3:0]    pos_q, pos_d;
	reg [1:0]    fk_q;                   // kind of frame being sent
	reg          nakf_q;                 // STATUS: the NAK flag
	reg [7:0]    sb1_q;                  // STATUS: expected; RESET_ACK: nonce
	reg [CB-1:0] cr_q;                   // credit sent, latched with sb1_q
	reg [SA-1:0] rp_q;
	reg [SA-1:0] end_q;                  // body end offset of the slot sent
	reg [1:0]    w_q;                    // cycles since the sender moved
	reg [7:0]    raw_q;                  // raw byte at the position (w_q[1])
	reg          rawz_q;                 // ... is zero
	reg          bend_q;                 // ... the body has ended
	reg [7:0]    code_q;                 // reversed COBS: 1 + bytes since a code
	reg [31:0]   crc_q;

	// ---------------------------------------------------------- builder
	function [3:0] rsp_bytes(input [2:0] kind);
		case (kind)
		3'd1: rsp_bytes = 4'd2;
		3'd2: rsp_bytes = 4'd4;
		3'd3: rsp_bytes = 4'd7;
		default: rsp_bytes = 4'd8;
		endcase
	endfunction

	// a <= b as plain logic: yosys turns <, <= into a carry chain (a LUT and
	// a carry a bit, even against a constant); as logic a few narrow bits
	// take a LUT or two
	function le8(input [7:0] a, input [7:0] b);
		integer i;
		begin
			le8 = 1'b1;
			for (i = 0; i < 8; i = i + 1)
				if (a[i] != b[i])
					le8 = b[i];
		end
	endfunction

	wire [3:0]  in_nb = rsp_bytes(i_rsp_kind);
	wire [SB:0] closed_n = nxt_q[SB:0] - ack_q[SB:0];  // closed, unacked frames
	wire        can_open = (closed_n != SLOTS);
	wire        fits = le8({{(8-SA){1'b0}}, wp_q}, {{(8-SA){1'b0}}, WP_FIT});
	wire        fits1 = le8({{(8-SA){1'b0}}, wp_q}, {{(8-SA){1'b0}}, WP_FIT - 1'b1});
	wire        wbyte = (rleft_q != 4'd0);
	// o_rsp_ready is a register: it depends on neither the response's
	// valid nor its kind (the room test is for the largest response), so
	// the chip sees no path through the link. A frame is closed when a
	// response waits that does not fit, or when none waits and the sender
	// had nothing to send a cycle ago.
	wire        close = !wbyte && open_q &&
	                    (i_rsp_valid ? !fits : sidle_q);
	wire        accept = rdy_q && i_rsp_valid;
	assign o_rsp_ready = rdy_q;
	// ready next cycle: no response bytes left to write, and room in the
	// open frame, or a slot for a new one (a cycle after a close, when
	// nxt_q has moved, can_open is looked at again)
	wire        rdy_d = !accept && !close &&
	                    (rleft_q == 4'd0 || rleft_q == 4'd1) &&
	                    (open_q ? (wbyte ? fits1 : fits) : can_open);

	wire          we = wbyte || close || accept;
	wire [BA-1:0] waddr = {nxt_q[SB-1:0], close ? {SA{1'b0}} : wp_q};
	wire [7:0]    wdata = close ? {{(8-SA){1'b0}}, wp_q} :
	                      accept ? {5'd0, i_rsp_kind} : rsh_q[7:0];
	wire [7:0]    rbyte;

	hone_ram_1r1w #(
		.WIDTH (8),
		.ABITS (BA)
	) u_buf (
		.i_clk   (i_clk),
		.i_we    (we),
		.i_waddr (waddr),
		.i_wdata (wdata),
		.i_raddr ({snd_q[SB-1:0], rp_q}),
		.o_rdata (rbyte)
	);

	// ---------------------------------------------------------- acks
	// The ack's checks are registers, computed every cycle from i_ack
	// (hone_link_rx holds it from the frame's third byte to its end, a
	// byte time at least before i_ack_valid) against state that a cycle
	// of delay cannot make wrong: nxt_q only grows (a frame closed a
	// cycle ago cannot have been acked), ack_q moves only with an ack,
	// and snd_q going back in the cycle before counts as passed.
	wire [7:0]  ack_n = i_ack - ack_q;                  // frames the ack covers
	wire [SB:0] snd_n = snd_q[SB:0] - ack_q[SB:0];
	wire        ack_ok = i_ack_valid && ackin_q;
	wire        ack_adv = ack_ok && acknz_q;
	wire        rdata_busy = (pos_q != P_IDLE) && (fk_q == K_RDATA);
	wire        tmr_idle = (snd_q[SB:0] == ack_q[SB:0]) && !rdata_busy;
	wire        timeout = tmr_q[TW-1];

	// ---------------------------------------------------------- sender
	wire idle = (pos_q == P_IDLE);
	wire start_sr = idle && (ra_pend_q || st_pend_q || nak_pend_q);
	// go back (snd_q = ack_q) in a cycle with no ack moving ack_q
	wire go_back = idle && !start_sr && (gobk_q || stale_q) && !i_ack_valid;
	// hr_q is a cycle late: snd_q moves as a frame ends or goes back, so a
	// frame starts only in the second idle cycle, and not after a go-back
	wire start_rd = idle && idle_q && !wentbk_q && !start_sr && !gobk_q &&
	                !stale_q && hr_q;
	wire start = start_sr || start_rd;
	wire snd_idle = idle && (snd_q[SB:0] == nxt_q[SB:0]) &&
	                !st_pend_q && !nak_pend_q && !ra_pend_q;

	wire p_crc = (pos_q[3:2] == 2'b10);
	reg  [7:0] raw;
	always @(*) begin
		case (pos_q)
		P_H0: raw = {1'b0, perr_q && fk_q == K_STATUS, 1'b0, nakf_q, 2'b10, fk_q};
		P_H1: raw = (fk_q == K_RDATA) ? snd_q : sb1_q;
		P_C0: raw = cr_q[7:0];
		P_C1: raw = {{(16-CB){1'b0}}, cr_q[CB-1:8]};
		P_BODY: raw = rbyte;
		default: raw = ~crc_q[7:0];          // CRC, little-endian
		endcase
	end
	// The byte of a position is registered (raw_q, rawz_q, bend_q) and
	// used two cycles after the sender last moved (w_q[1]): one for the
	// buffer's read, one for raw_q. The UART takes a byte every 10 bit
	// times, so the sender never makes it wait.
	wire p_raw = (pos_q >= P_H0 && pos_q <= P_BODY) || p_crc;
	wire ready = w_q[1];
	wire body_end = ready && bend_q;
	wire full_run = (code_q == 8'd255);
	wire is_code = full_run || rawz_q || pos_q == P_FIN;
	wire p_zero = (pos_q == P_LEAD || pos_q == P_DELIM);
	assign o_tx_valid = !idle && ready && !bend_q;
	assign o_tx_data = p_zero ? 8'h00 : is_code ? code_q : raw_q;
	wire emit = o_tx_valid && i_tx_ready;
	wire adv = emit && !(p_raw && full_run);   // the position's byte went out
	wire [31:0] crc_next;
	hone_crc32 u_crc (
		.i_crc  (crc_q),
		.i_data (p_crc ? crc_q[7:0] : raw_q),  // CRC bytes shift it out
		.o_crc  (crc_next)
	);

	always @(*) begin
		pos_d = pos_q;
		if (start)
			pos_d = (start_sr && ra_pend_q) ? P_LEAD : P_H0;
		else if (body_end)
			pos_d = P_CRC0;
		else if (adv)
			case (pos_q)
			P_H1: pos_d = (fk_q == K_RDATA) ? P_BODY : P_C0;
			P_C1: pos_d = P_CRC0;
			P_BODY: pos_d = P_BODY;
			P_DELIM: pos_d = P_IDLE;
			default: pos_d = pos_q + 4'd1;
			endcase
	end

	// ---------------------------------------------------------- registers
	always @(posedge i_clk) begin
		if (!i_rst_n || i_link_reset) begin
			ack_q <= 8'd0;
			nxt_q <= 8'd0;
			snd_q <= 8'd0;
			gobk_q <= 1'b0;
			stale_q <= 1'b0;
			open_q <= 1'b0;
			rdy_q <= 1'b0;
			idle_q <= 1'b0;
			wp_q <= {{(SA-1){1'b0}}, 1'b1};
			rleft_q <= 4'd0;
			pos_q <= P_IDLE;
			st_pend_q <= 1'b0;
			nak_pend_q <= 1'b0;
			ra_pend_q <= i_rst_n;            // a link reset is answered
			perr_q <= 1'b0;
		end else begin
			if (ack_adv)
				ack_q <= i_ack;
			if (close)
				nxt_q <= nxt_q + 8'd1;
			// snd: back to ack_q, on past a frame sent
			if (go_back)
				snd_q <= ack_q;
			else if (pos_q == P_DELIM && adv && fk_q == K_RDATA)
				snd_q <= snd_q + 8'd1;
			// an ack past snd_q (its frame acked from an earlier copy):
			// go back to the ack once the sender is idle
			if (ack_adv && (ackpast_q || wentbk_q))
				stale_q <= 1'b1;
			else if (go_back)
				stale_q <= 1'b0;
			rdy_q <= rdy_d;
			idle_q <= idle;
			// (a NAK acking every frame sets it too: going back to
			// ack_q = nxt_q then sends nothing)
			if ((ack_ok && i_ack_nak) || timeout)
				gobk_q <= 1'b1;
			else if (go_back)
				gobk_q <= 1'b0;
			if (close)
				open_q <= 1'b0;
			else if (accept)
				open_q <= 1'b1;
			if (close)
				wp_q <= {{(SA-1){1'b0}}, 1'b1};
			else if (accept || wbyte)
				wp_q <= wp_q + 1'b1;
			if (accept)
				rleft_q <= in_nb;
			else if (wbyte)
				rleft_q <= rleft_q - 4'd1;
			pos_q <= pos_d;
			// a request in the cycle a STATUS starts asks for another: the
			// one starting has latched the state before the request's cause
			if (i_status_req || i_poll)
				st_pend_q <= 1'b1;
			else if (start_sr && !ra_pend_q)
				st_pend_q <= 1'b0;
			if (i_nak_req)
				nak_pend_q <= 1'b1;
			else if (start_sr && !ra_pend_q)
				nak_pend_q <= 1'b0;
			if (i_reset_ack_req)
				ra_pend_q <= 1'b1;
			else if (start_sr)
				ra_pend_q <= 1'b0;
			if (i_proto_err)
				perr_q <= 1'b1;
		end
		// retransmit timer: runs while a sent frame is unacked
		if (!i_rst_n || i_link_reset || tmr_idle || timeout || ack_adv)
			tmr_q <= {TW{1'b0}};
		else
			tmr_q <= tmr_q + 1'b1;
	end

	// datapath: no reset (written before use)
	always @(posedge i_clk) begin
		if (accept)
			rsh_q <= i_rsp_data;
		else if (wbyte)
			rsh_q <= {8'h00, rsh_q[63:8]};
		// loaded in every idle cycle, so also in the one a frame starts
		// (start itself drives only the position and the requests)
		if (idle) begin
			fk_q <= start_sr ? (ra_pend_q ? K_RESET_ACK : K_STATUS) : K_RDATA;
			nakf_q <= start_sr && !ra_pend_q && nak_pend_q;
			// expected and the credit in the same cycle: a consistent pair
			sb1_q <= ra_pend_q ? i_nonce : i_expected;
			cr_q <= i_credit;
		end
		if (idle)
			rp_q <= {SA{1'b0}};            // the slot's end offset first
		else if (adv && (pos_q == P_BODY || (pos_q == P_H0 && fk_q == K_RDATA)))
			rp_q <= rp_q + 1'b1;
		if (adv && pos_q == P_H0)
			end_q <= rbyte[SA-1:0];
		// the position's byte: the buffer's read data follows rp_q a
		// cycle later, raw_q a cycle after that
		if (idle || emit || body_end)
			w_q <= 2'b00;
		else
			w_q <= {w_q[0], 1'b1};
		raw_q <= raw;
		rawz_q <= (raw == 8'h00);
		bend_q <= (pos_q == P_BODY) && (rp_q == end_q);
		sidle_q <= snd_idle;
		hr_q <= (snd_q[SB:0] != nxt_q[SB:0]);
		wentbk_q <= go_back;
		ackin_q <= le8(ack_n, {{(7-SB){1'b0}}, closed_n});
		acknz_q <= (ack_n != 8'd0);
		ackpast_q <= !le8(ack_n, {{(7-SB){1'b0}}, snd_n});
		if (idle || (emit && p_raw && is_code))
			code_q <= 8'd1;
		else if (emit && p_raw)
			code_q <= code_q + 8'd1;
		if (idle)
			crc_q <= 32'hFFFFFFFF;
		else if (adv && p_raw)
			crc_q <= crc_next;
	end
endmodule
