// SPDX-License-Identifier: Apache-2.0
//
// hone_router: turns a core's spikes into address-event packets. The fire
// sweep leaves one bit per slot in the spike bitmap (LANES-bit words in
// the core's table RAM); when it ends, the router walks the route segments
// from the lowest to the highest and, for segment r, the bitmap words over
// its slots first_r .. first_r + count_r - 1 (only slots the sweep wrote:
// below i_end). Every spiking slot n found there makes one packet
//
//   mask  = {to_host_r, core_mask_r[CORES-1:0]}   (bit CORES = the host)
//   axon  = axon_base_r + (n - first_r)            (12 bits; the output id
//                                                   when it goes to the host)
//
// and its bit is cleared in the bitmap, so a slot that several segments
// hold is sent by the lowest one only (docs/chip-image.md rule 1). A slot
// no segment holds, or whose segment sends nowhere, is dropped. The packet
// register is held until the fabric has delivered it to every destination
// in its mask (valid/ready; nothing is dropped on the way).
//
// Table RAM: segment r's 64-bit word is four 16-bit pieces at
// {1, r, piece} of the segment area; bitmap word w at BASE + w. The core
// grants the read port (data one cycle after a granted request); the
// write port is the router's while it runs.
`default_nettype none

module hone_router #(
	parameter LANES  = 16,
	parameter NB     = 9,     // slot bits
	parameter TA     = 7,     // table RAM address bits
	parameter SI     = 3,     // segment index bits
	parameter RTSEGS = 8,
	parameter CORES  = 1
) (
	input  wire             i_clk,
	input  wire             i_rst_n,
	input  wire             i_start,       // the sweep wrote its last bitmap word
	input  wire [NB:0]      i_end,         // slots the sweep went over
	// table RAM
	output reg              o_rd_req,
	output reg  [TA-1:0]    o_rd_addr,
	input  wire             i_rd_gnt,
	input  wire [15:0]      i_rd_data,
	output reg              o_wr_en,
	output wire [TA-1:0]    o_wr_addr,
	output wire [LANES-1:0] o_wr_data,
	// packets to the fabric
	output wire             o_pkt_valid,
	input  wire             i_pkt_ready,
	output wire [CORES:0]   o_pkt_mask,
	output wire [11:0]      o_pkt_axon,
	output wire             o_busy
);
	localparam LB = $clog2(LANES);
	localparam PA = NB - LB;
	localparam SW = SI + 3;
	localparam [TA-1:0] BM_BASE = {1'b1, {(TA-1){1'b0}}};

	localparam [2:0] R_IDLE = 3'd0, R_DESC = 3'd1, R_SETUP = 3'd2, R_WREAD = 3'd3,
	                 R_WDATA = 3'd4, R_EMIT = 3'd5;

	reg  [2:0]       state_q, state_d;
	reg  [SI-1:0]    r_q, r_d;             // route segment
	reg  [2:0]       k_q, k_d;             // pieces asked for
	reg              pend_q, pend_d;       // a read answers this cycle
	reg  [11:0]      first_q, first_d;
	reg  [11:0]      count_q, count_d;
	reg  [12:0]      stop_q, stop_d;       // first + count
	reg  [11:0]      abase_q, abase_d;     // axon_base, then axon_base - first
	reg  [CORES:0]   dest_q, dest_d;       // {to_host, core_mask}
	reg  [7:0]       mask_lo_q, mask_lo_d; // core_mask[7:0] (piece 1)
	reg  [NB-1:0]    last_q, last_d;       // last slot to look at
	reg  [PA-1:0]    word_q, word_d;
	reg  [LANES-1:0] bits_q, bits_d;       // spikes of the word still to send
	reg              pkt_valid_q, pkt_valid_d;
	reg  [CORES:0]   pkt_mask_q, pkt_mask_d;
	reg  [11:0]      pkt_axon_q, pkt_axon_d;

	// Segment word pieces: [15:0] first, count[3:0]; [31:16] count[11:4],
	// core_mask[7:0]; [47:32] core_mask[15:8], axon_base[7:0];
	// [63:48] axon_base[11:8], to_host.
	wire [1:0]  piece = k_q[1:0] - 2'd1;
	wire [15:0] core_mask = {i_rd_data[7:0], mask_lo_q};   // with piece 2
	wire [12:0] end13 = {{(12-NB){1'b0}}, i_end};
	wire [12:0] lim = (stop_q > end13) ? end13 : stop_q;
	wire        unused_ok = &{1'b0, core_mask, lim};
	wire [NB-1:0] first_slot = first_q[NB-1:0];

	// Slots of this word inside [first, last]: the bitmap bits to take.
	reg  [LANES-1:0] range;
	reg  [LB-1:0]    low;                  // lowest spike left in bits_q
	integer j;
	always @(*) begin
		for (j = 0; j < LANES; j = j + 1)
			range[j] = (word_q != first_slot[NB-1:LB] || j >= first_slot[LB-1:0]) &&
			           (word_q != last_q[NB-1:LB] || j <= last_q[LB-1:0]);
		low = {LB{1'b0}};
		for (j = LANES - 1; j >= 0; j = j - 1)
			if (bits_q[j])
				low = j[LB-1:0];
	end

	wire emit_ok = !pkt_valid_q || i_pkt_ready;
	wire [LANES-1:0] bits_left = bits_q & (bits_q - 1'b1);   // lowest one cleared

	assign o_wr_addr = BM_BASE | {{(TA-PA){1'b0}}, word_q};
	assign o_wr_data = i_rd_data[LANES-1:0] & ~range;

	// read requests depend on the state only (the grant comes back)
	always @(*) begin
		o_rd_req = (state_q == R_DESC && !k_q[2]) || (state_q == R_WREAD);
		o_rd_addr = (state_q == R_WREAD) ? o_wr_addr :
		            {{(TA-SW){1'b0}}, 1'b1, r_q, k_q[1:0]};
	end

	always @(*) begin
		state_d = state_q;
		r_d = r_q;
		k_d = k_q;
		pend_d = 1'b0;
		first_d = first_q;
		count_d = count_q;
		stop_d = {1'b0, first_q} + {1'b0, count_q};
		abase_d = abase_q;
		dest_d = dest_q;
		mask_lo_d = mask_lo_q;
		last_d = last_q;
		word_d = word_q;
		bits_d = bits_q;
		o_wr_en = 1'b0;
		pkt_valid_d = pkt_valid_q && !i_pkt_ready;
		pkt_mask_d = pkt_mask_q;
		pkt_axon_d = pkt_axon_q;

		case (state_q)
		R_IDLE:
			if (i_start) begin
				r_d = {SI{1'b0}};
				k_d = 3'd0;
				state_d = R_DESC;
			end
		R_DESC: begin
			// ask for pieces 0..3, take each the cycle after
			if (o_rd_req && i_rd_gnt) begin
				k_d = k_q + 3'd1;
				pend_d = 1'b1;
			end
			if (pend_q) begin
				case (piece)
				2'd0: begin
					first_d = i_rd_data[11:0];
					count_d[3:0] = i_rd_data[15:12];
				end
				2'd1: begin
					count_d[11:4] = i_rd_data[7:0];
					mask_lo_d = i_rd_data[15:8];
				end
				2'd2: begin
					dest_d[CORES-1:0] = core_mask[CORES-1:0];
					abase_d[7:0] = i_rd_data[15:8];
				end
				default: begin
					abase_d[11:8] = i_rd_data[3:0];
					dest_d[CORES] = i_rd_data[4];
					state_d = R_SETUP;
				end
				endcase
			end
		end
		R_SETUP: begin
			// [first, min(first + count, end)) holds at least one slot?
			abase_d = abase_q - first_q;
			last_d = lim[NB-1:0] - 1'b1;
			word_d = first_slot[NB-1:LB];
			if (count_q != 12'd0 && {1'b0, first_q} < end13)
				state_d = R_WREAD;
			else
				state_d = R_IDLE;    // next segment, below
		end
		R_WREAD: begin
			if (i_rd_gnt)
				state_d = R_WDATA;
		end
		R_WDATA: begin
			// the word arrives: keep its spikes in range, clear them in RAM
			bits_d = (dest_q != {(CORES+1){1'b0}}) ? (i_rd_data[LANES-1:0] & range) : {LANES{1'b0}};
			o_wr_en = 1'b1;
			state_d = R_EMIT;
		end
		default: begin // R_EMIT
			if (bits_q == {LANES{1'b0}}) begin
				if (word_q == last_q[NB-1:LB])
					state_d = R_IDLE;   // next segment, below
				else begin
					word_d = word_q + 1'b1;
					state_d = R_WREAD;
				end
			end else if (emit_ok) begin
				pkt_valid_d = 1'b1;
				pkt_mask_d = dest_q;
				pkt_axon_d = abase_q + {{(12-NB){1'b0}}, word_q, low};
				bits_d = bits_left;
			end
		end
		endcase

		// a segment is done: the next one, or the end of the scan
		if (state_q != R_IDLE && state_d == R_IDLE) begin
			if (r_q != RTSEGS[SI-1:0] - 1'b1) begin
				r_d = r_q + 1'b1;
				k_d = 3'd0;
				state_d = R_DESC;
			end
		end
	end

	assign o_pkt_valid = pkt_valid_q;
	assign o_pkt_mask  = pkt_mask_q;
	assign o_pkt_axon  = pkt_axon_q;
	assign o_busy      = (state_q != R_IDLE) || pkt_valid_q;

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			state_q     <= R_IDLE;
			r_q         <= {SI{1'b0}};
			k_q         <= 3'd0;
			pend_q      <= 1'b0;
			first_q     <= 12'd0;
			count_q     <= 12'd0;
			stop_q      <= 13'd0;
			abase_q     <= 12'd0;
			dest_q      <= {(CORES+1){1'b0}};
			mask_lo_q   <= 8'd0;
			last_q      <= {NB{1'b0}};
			word_q      <= {PA{1'b0}};
			bits_q      <= {LANES{1'b0}};
			pkt_valid_q <= 1'b0;
			pkt_mask_q  <= {(CORES+1){1'b0}};
			pkt_axon_q  <= 12'd0;
		end else begin
			state_q     <= state_d;
			r_q         <= r_d;
			k_q         <= k_d;
			pend_q      <= pend_d;
			first_q     <= first_d;
			count_q     <= count_d;
			stop_q      <= stop_d;
			abase_q     <= abase_d;
			dest_q      <= dest_d;
			mask_lo_q   <= mask_lo_d;
			last_q      <= last_d;
			word_q      <= word_d;
			bits_q      <= bits_d;
			pkt_valid_q <= pkt_valid_d;
			pkt_mask_q  <= pkt_mask_d;
			pkt_axon_q  <= pkt_axon_d;
		end
	end
endmodule
