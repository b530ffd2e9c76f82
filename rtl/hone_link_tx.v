// SPDX-License-Identifier: Apache-2.0
//
// hone_link_tx: the transmitting half of the link (docs/link-protocol.md).
//
// BLD_ builder: chip responses -> RDATA frames, COBS-encoded as they are
//   written into the retransmit buffer (an EBR): each block's code byte is
//   reserved, then patched when a zero byte or the 254th byte ends the
//   block; the CRC is appended and the frame ends with 0x00. A frame is
//   closed when the next response would not fit, or when no response waits
//   and the sender has nothing to send. A frame is opened only when the
//   window (TX_WINDOW frames) and the buffer have room for a whole one, so
//   the buffer never overflows; until then o_rsp_ready stays low.
// SND_ sender: streams stored frames to the UART from the oldest unsent
//   one; goes back to the oldest unacked frame on a NAK from the host or
//   after RTO_CYCLES without ack progress; between frames it sends the
//   STATUS and RESET_ACK frames (built in registers: 4 bytes, 4 CRC cycles,
//   COBS with a 6-bit zero mask).
`default_nettype none

module hone_link_tx #(
	parameter BA          = 10,          // retransmit buffer: 2^BA bytes
	parameter MAX_PAYLOAD = 240,         // RDATA body bytes (<= 250)
	parameter TX_WINDOW   = 7,           // unacked RDATA frames (<= 7)
	parameter RTO_CYCLES  = 2097152,
	parameter [15:0] CREDIT_STEP = 16'd512  // STATUS when credit grew by this
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	// chip responses
	input  wire        i_rsp_valid,
	output reg         o_rsp_ready,
	input  wire [2:0]  i_rsp_kind,
	input  wire [63:0] i_rsp_data,
	// from hone_link_rx
	input  wire        i_link_reset,
	input  wire        i_reset_ack_req,
	input  wire [7:0]  i_nonce,
	input  wire        i_ack_valid,
	input  wire [7:0]  i_ack,
	input  wire        i_ack_nak,
	input  wire        i_poll,
	input  wire        i_status_req,
	input  wire        i_nak_req,
	input  wire [7:0]  i_expected,
	input  wire [15:0] i_credit,
	input  wire        i_proto_err,
	// to hone_uart_tx
	output reg         o_tx_valid,
	output reg  [7:0]  o_tx_data,
	input  wire        i_tx_ready
);
	localparam [7:0] FT_RDATA = 8'h08, FT_STATUS = 8'h09, FT_RESET_ACK = 8'h0A;
	localparam [7:0] F_NAK = 8'h10, F_PROTO_ERR = 8'h40;
	localparam [BA:0] BUF = {1'b1, {BA{1'b0}}};
	localparam integer FRAME_MAX_I = MAX_PAYLOAD + 8;
	localparam [BA:0] FRAME_MAX = FRAME_MAX_I[BA:0];
	localparam [7:0] PMAX = MAX_PAYLOAD[7:0];
	localparam [7:0] WINDOW = TX_WINDOW[7:0];
	localparam TW = $clog2(RTO_CYCLES + 1);
	localparam [TW-1:0] RTO = RTO_CYCLES[TW-1:0];

	localparam [2:0] B_IDLE = 3'd0, B_HDR = 3'd1, B_RSP = 3'd2, B_CRC = 3'd3,
	                 B_FIN = 3'd4, B_DELIM = 3'd5;
	localparam [1:0] S_IDLE = 2'd0, S_FRAME = 2'd1, S_SCRC = 2'd2, S_SOUT = 2'd3;

	// ---------------------------------------------------------- shared state
	reg [7:0]  ack_q, ack_d;             // oldest unacked RDATA seq
	reg [7:0]  nxt_q, nxt_d;             // seq of the open / next frame
	reg [7:0]  snd_q, snd_d;             // next seq to send
	reg [BA:0] start_q [0:7];            // frame start, by seq[2:0]
	reg [BA:0] start_d [0:7];

	// ---------------------------------------------------------- builder
	reg [2:0]  bst_q, bst_d;
	reg        open_q, open_d;
	reg [BA:0] wp_q, wp_d;
	reg [BA:0] cpos_q, cpos_d;           // reserved code byte of this block
	reg [7:0]  run_q, run_d;             // code value so far (1 + bytes)
	reg [15:0] bcrc_q, bcrc_d;
	reg [7:0]  plen_q, plen_d;           // body bytes of the open frame
	reg [3:0]  bidx_q, bidx_d;           // byte index within HDR/RSP/CRC
	reg [2:0]  rkind_q, rkind_d;
	reg [63:0] rdata_q, rdata_d;
	reg [3:0]  rnb_q, rnb_d;             // data bytes of the latched response

	// ---------------------------------------------------------- sender
	reg [1:0]  sst_q, sst_d;
	reg [7:0]  cur_q, cur_d;             // seq being sent
	reg [BA:0] rp_q, rp_d;
	reg        rdp_q, rdp_d;             // buffer read in flight
	reg        txv_q, txv_d;
	reg [7:0]  txb_q, txb_d;
	reg        gobk_q, gobk_d;
	reg [TW-1:0] tmr_q, tmr_d;
	reg        st_pend_q, st_pend_d;     // STATUS wanted
	reg        nak_pend_q, nak_pend_d;
	reg        ra_pend_q, ra_pend_d;     // RESET_ACK wanted
	reg        perr_q, perr_d;
	reg [15:0] last_cr_q, last_cr_d;
	reg [7:0]  sr_q [0:5];               // STATUS / RESET_ACK raw bytes
	reg [7:0]  sr_d [0:5];
	reg [3:0]  si_q, si_d;
	reg        lead_q, lead_d;           // RESET_ACK: a 0x00 first

	// ---------------------------------------------------------- buffer
	reg          we;
	reg [BA-1:0] waddr;
	reg [7:0]    wdata;
	wire [7:0]   rbyte;

	hone_ram_1r1w #(
		.WIDTH (8),
		.ABITS (BA)
	) u_buf (
		.i_clk   (i_clk),
		.i_we    (we),
		.i_waddr (waddr),
		.i_wdata (wdata),
		.i_raddr (rp_q[BA-1:0]),
		.o_rdata (rbyte)
	);

	// ---------------------------------------------------------- helpers
	function [3:0] rsp_bytes(input [2:0] kind);
		case (kind)
		3'd0: rsp_bytes = 4'd8;
		3'd1: rsp_bytes = 4'd2;
		3'd2: rsp_bytes = 4'd4;
		3'd3: rsp_bytes = 4'd7;
		default: rsp_bytes = 4'd8;
		endcase
	endfunction

	wire [7:0]  closed_n = nxt_q - ack_q;           // closed, unacked frames
	wire [BA:0] base = (closed_n == 8'd0 && !open_q) ? wp_q : start_q[ack_q[2:0]];
	wire [BA:0] used = wp_q - base;
	wire        can_open = (closed_n < WINDOW) && (BUF - used >= FRAME_MAX);
	wire [3:0]  in_nb = rsp_bytes(i_rsp_kind);
	wire        fits = ({1'b0, plen_q} + {5'd0, in_nb} + 9'd1) <= {1'b0, PMAX};
	wire        snd_idle = (sst_q == S_IDLE) && (snd_q == nxt_q) &&
	                       !st_pend_q && !nak_pend_q && !ra_pend_q;

	// one raw byte into the open frame (COBS on the fly)
	reg        put_v;
	reg [7:0]  put_b;
	reg        put_crc;                              // byte counts in the CRC
	wire [15:0] crc_next;
	hone_crc16 u_bcrc (
		.i_crc  (bcrc_q),
		.i_data (put_b),
		.o_crc  (crc_next)
	);

	// STATUS CRC, one byte per cycle
	wire [15:0] scrc_next;
	reg  [15:0] scrc_q, scrc_d;
	hone_crc16 u_scrc (
		.i_crc  (scrc_q),
		.i_data (sr_q[si_q[2:0]]),
		.o_crc  (scrc_next)
	);

	// COBS code for the STATUS byte at raw index j (j = 6: the virtual
	// code before byte 0): distance to the next zero or to the end
	reg [5:0] zmask;
	integer z;
	always @(*)
		for (z = 0; z < 6; z = z + 1)
			zmask[z] = (sr_q[z] == 8'h00);

	function [7:0] next_zero(input [5:0] zm, input [2:0] from);
		integer t;
		begin
			next_zero = 8'd6;
			for (t = 5; t >= 0; t = t - 1)
				if (zm[t] && t >= {29'd0, from})
					next_zero = t[7:0];
		end
	endfunction

	// si_q: 0 = leading code, 1..6 = raw byte si-1, 7 = delimiter
	wire [2:0] sj = si_q[2:0] - 3'd1;
	wire [7:0] sbyte = (si_q == 4'd0) ? next_zero(zmask, 3'd0) + 8'd1 :
	                   (si_q == 4'd7) ? 8'h00 :
	                   zmask[sj] ? next_zero(zmask, sj + 3'd1) - {5'd0, sj} :
	                   sr_q[sj];

	always @(*) begin
		put_v = 1'b0;
		put_b = 8'h00;
		put_crc = 1'b1;
		case (bst_q)
		B_HDR: begin
			put_v = 1'b1;
			put_b = (bidx_q == 4'd0) ? FT_RDATA : nxt_q;
		end
		B_RSP: begin
			put_v = 1'b1;
			put_b = (bidx_q == 4'd0) ? {5'd0, rkind_q} : rdata_q[7:0];
		end
		B_CRC: begin
			put_v = 1'b1;
			put_crc = 1'b0;
			put_b = (bidx_q == 4'd0) ? bcrc_q[15:8] : bcrc_q[7:0];
		end
		default: ;
		endcase
	end

	integer e;
	always @(*) begin
		ack_d = ack_q;
		nxt_d = nxt_q;
		snd_d = snd_q;
		for (e = 0; e < 8; e = e + 1)
			start_d[e] = start_q[e];
		bst_d = bst_q;
		open_d = open_q;
		wp_d = wp_q;
		cpos_d = cpos_q;
		run_d = run_q;
		bcrc_d = bcrc_q;
		plen_d = plen_q;
		bidx_d = bidx_q;
		rkind_d = rkind_q;
		rdata_d = rdata_q;
		rnb_d = rnb_q;
		sst_d = sst_q;
		cur_d = cur_q;
		rp_d = rp_q;
		rdp_d = 1'b0;
		txv_d = txv_q;
		txb_d = txb_q;
		gobk_d = gobk_q;
		tmr_d = tmr_q;
		st_pend_d = st_pend_q;
		nak_pend_d = nak_pend_q;
		ra_pend_d = ra_pend_q;
		perr_d = perr_q | i_proto_err;
		last_cr_d = last_cr_q;
		for (e = 0; e < 6; e = e + 1)
			sr_d[e] = sr_q[e];
		si_d = si_q;
		lead_d = lead_q;
		scrc_d = scrc_q;
		o_rsp_ready = 1'b0;
		o_tx_valid = 1'b0;
		o_tx_data = 8'h00;
		we = 1'b0;
		waddr = wp_q[BA-1:0];
		wdata = 8'h00;

		// ------------------------------------------------ requests from rx
		if (i_status_req || i_poll)
			st_pend_d = 1'b1;
		if (i_nak_req)
			nak_pend_d = 1'b1;
		if (i_reset_ack_req)
			ra_pend_d = 1'b1;
		if (i_credit >= last_cr_q + CREDIT_STEP)
			st_pend_d = 1'b1;
		if (i_ack_valid && (i_ack - ack_q) <= closed_n) begin
			if (i_ack != ack_q) begin
				ack_d = i_ack;
				tmr_d = {TW{1'b0}};
				if ((i_ack - ack_q) > (snd_q - ack_q))
					snd_d = i_ack;
			end
			if (i_ack_nak && i_ack != nxt_q)
				gobk_d = 1'b1;
		end

		// ------------------------------------------------ retransmit timer
		if (ack_q == snd_q && sst_q != S_FRAME)
			tmr_d = {TW{1'b0}};
		else if (tmr_q == RTO) begin
			tmr_d = {TW{1'b0}};
			gobk_d = 1'b1;
		end else if (!(i_ack_valid && i_ack != ack_q))
			tmr_d = tmr_q + 1'b1;

		// ------------------------------------------------ builder
		case (bst_q)
		B_IDLE:
			if (open_q) begin
				if (i_rsp_valid && fits) begin
					o_rsp_ready = 1'b1;
					rkind_d = i_rsp_kind;
					rdata_d = i_rsp_data;
					rnb_d = in_nb;
					bidx_d = 4'd0;
					bst_d = B_RSP;
				end else if (i_rsp_valid || snd_idle) begin
					bidx_d = 4'd0;
					bst_d = B_CRC;
				end
			end else if (i_rsp_valid && can_open) begin
				start_d[nxt_q[2:0]] = wp_q;
				cpos_d = wp_q;
				wp_d = wp_q + 1'b1;
				run_d = 8'd1;
				bcrc_d = 16'hFFFF;
				plen_d = 8'd0;
				bidx_d = 4'd0;
				open_d = 1'b1;
				bst_d = B_HDR;
			end
		B_HDR, B_RSP, B_CRC: ;          // bytes through put_* below
		B_FIN: begin
			we = 1'b1;
			waddr = cpos_q[BA-1:0];
			wdata = run_q;
			bst_d = B_DELIM;
		end
		B_DELIM: begin
			we = 1'b1;
			waddr = wp_q[BA-1:0];
			wdata = 8'h00;
			wp_d = wp_q + 1'b1;
			nxt_d = nxt_q + 8'd1;
			open_d = 1'b0;
			bst_d = B_IDLE;
		end
		default:
			bst_d = B_IDLE;
		endcase

		if (put_v) begin
			if (run_q == 8'hFF) begin
				// a full block: close it first, the byte waits a cycle
				we = 1'b1;
				waddr = cpos_q[BA-1:0];
				wdata = 8'hFF;
				cpos_d = wp_q;
				wp_d = wp_q + 1'b1;
				run_d = 8'd1;
			end else begin
				if (put_crc)
					bcrc_d = crc_next;
				if (put_b == 8'h00) begin
					we = 1'b1;
					waddr = cpos_q[BA-1:0];
					wdata = run_q;
					cpos_d = wp_q;
					wp_d = wp_q + 1'b1;
					run_d = 8'd1;
				end else begin
					we = 1'b1;
					waddr = wp_q[BA-1:0];
					wdata = put_b;
					wp_d = wp_q + 1'b1;
					run_d = run_q + 8'd1;
				end
				// advance the source
				bidx_d = bidx_q + 4'd1;
				case (bst_q)
				B_HDR:
					if (bidx_q == 4'd1)
						bst_d = B_IDLE;
				B_RSP: begin
					if (bidx_q != 4'd0)
						rdata_d = {8'h00, rdata_q[63:8]};
					if (bidx_q == rnb_q) begin
						plen_d = plen_q + {4'd0, rnb_q} + 8'd1;
						bst_d = B_IDLE;
					end
				end
				B_CRC:
					if (bidx_q == 4'd1)
						bst_d = B_FIN;
				default: ;
				endcase
			end
		end

		// ------------------------------------------------ sender
		case (sst_q)
		S_IDLE:
			if (ra_pend_q || st_pend_q || nak_pend_q) begin
				sr_d[0] = ra_pend_q ? FT_RESET_ACK :
				          (FT_STATUS | (nak_pend_q ? F_NAK : 8'h00) |
				           (perr_q ? F_PROTO_ERR : 8'h00));
				sr_d[1] = ra_pend_q ? i_nonce : i_expected;
				sr_d[2] = i_credit[7:0];
				sr_d[3] = i_credit[15:8];
				last_cr_d = i_credit;
				lead_d = ra_pend_q;
				if (ra_pend_q)
					ra_pend_d = 1'b0;
				else begin
					st_pend_d = 1'b0;
					nak_pend_d = 1'b0;
				end
				scrc_d = 16'hFFFF;
				si_d = 4'd0;
				sst_d = S_SCRC;
			end else if (gobk_q) begin
				gobk_d = 1'b0;
				snd_d = ack_q;
			end else if (snd_q != nxt_q) begin
				cur_d = snd_q;
				rp_d = start_q[snd_q[2:0]];
				txv_d = 1'b0;
				sst_d = S_FRAME;
			end
		S_FRAME: begin
			if (!txv_q && !rdp_q) begin
				rdp_d = 1'b1;               // rbyte valid next cycle
				rp_d = rp_q + 1'b1;
			end
			if (rdp_q) begin
				txv_d = 1'b1;
				txb_d = rbyte;
			end
			o_tx_valid = txv_q;
			o_tx_data = txb_q;
			if (txv_q && i_tx_ready) begin
				txv_d = 1'b0;
				if (txb_q == 8'h00) begin
					if (snd_q == cur_q)
						snd_d = cur_q + 8'd1;
					sst_d = S_IDLE;
				end
			end
		end
		S_SCRC: begin
			scrc_d = scrc_next;
			si_d = si_q + 4'd1;
			if (si_q == 4'd3) begin
				sr_d[4] = scrc_next[15:8];
				sr_d[5] = scrc_next[7:0];
				si_d = 4'd0;
				sst_d = S_SOUT;
			end
		end
		S_SOUT: begin
			o_tx_valid = 1'b1;
			o_tx_data = lead_q ? 8'h00 : sbyte;
			if (i_tx_ready) begin
				if (lead_q)
					lead_d = 1'b0;
				else if (si_q == 4'd7)
					sst_d = S_IDLE;
				else
					si_d = si_q + 4'd1;
			end
		end
		default:
			sst_d = S_IDLE;
		endcase

		// ------------------------------------------------ link reset
		if (i_link_reset) begin
			ack_d = 8'd0;
			nxt_d = 8'd0;
			snd_d = 8'd0;
			bst_d = B_IDLE;
			open_d = 1'b0;
			wp_d = {(BA+1){1'b0}};
			sst_d = S_IDLE;
			txv_d = 1'b0;
			gobk_d = 1'b0;
			tmr_d = {TW{1'b0}};
			st_pend_d = 1'b0;
			nak_pend_d = 1'b0;
			ra_pend_d = 1'b1;
			perr_d = 1'b0;
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			ack_q <= 8'd0;
			nxt_q <= 8'd0;
			snd_q <= 8'd0;
			for (e = 0; e < 8; e = e + 1)
				start_q[e] <= {(BA+1){1'b0}};
			bst_q <= B_IDLE;
			open_q <= 1'b0;
			wp_q <= {(BA+1){1'b0}};
			cpos_q <= {(BA+1){1'b0}};
			run_q <= 8'd1;
			bcrc_q <= 16'hFFFF;
			plen_q <= 8'd0;
			bidx_q <= 4'd0;
			rkind_q <= 3'd0;
			rdata_q <= 64'd0;
			rnb_q <= 4'd0;
			sst_q <= S_IDLE;
			cur_q <= 8'd0;
			rp_q <= {(BA+1){1'b0}};
			rdp_q <= 1'b0;
			txv_q <= 1'b0;
			txb_q <= 8'h00;
			gobk_q <= 1'b0;
			tmr_q <= {TW{1'b0}};
			st_pend_q <= 1'b0;
			nak_pend_q <= 1'b0;
			ra_pend_q <= 1'b0;
			perr_q <= 1'b0;
			last_cr_q <= 16'd0;
			for (e = 0; e < 6; e = e + 1)
				sr_q[e] <= 8'h00;
			si_q <= 4'd0;
			lead_q <= 1'b0;
			scrc_q <= 16'hFFFF;
		end else begin
			ack_q <= ack_d;
			nxt_q <= nxt_d;
			snd_q <= snd_d;
			for (e = 0; e < 8; e = e + 1)
				start_q[e] <= start_d[e];
			bst_q <= bst_d;
			open_q <= open_d;
			wp_q <= wp_d;
			cpos_q <= cpos_d;
			run_q <= run_d;
			bcrc_q <= bcrc_d;
			plen_q <= plen_d;
			bidx_q <= bidx_d;
			rkind_q <= rkind_d;
			rdata_q <= rdata_d;
			rnb_q <= rnb_d;
			sst_q <= sst_d;
			cur_q <= cur_d;
			rp_q <= rp_d;
			rdp_q <= rdp_d;
			txv_q <= txv_d;
			txb_q <= txb_d;
			gobk_q <= gobk_d;
			tmr_q <= tmr_d;
			st_pend_q <= st_pend_d;
			nak_pend_q <= nak_pend_d;
			ra_pend_q <= ra_pend_d;
			perr_q <= perr_d;
			last_cr_q <= last_cr_d;
			for (e = 0; e < 6; e = e + 1)
				sr_q[e] <= sr_d[e];
			si_q <= si_d;
			lead_q <= lead_d;
			scrc_q <= scrc_d;
		end
	end
endmodule
