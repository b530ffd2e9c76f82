// SPDX-License-Identifier: Apache-2.0
//
// hone_link_parser: the command byte stream of docs/link-protocol.md
// (section 5), read from the RX FIFO, becomes commands on the chip's
// i_cmd_* interface (docs/chip-interface.md). One FIFO byte every two
// cycles (the EBR read takes one). Multi-word ops (WRITE, READ, EV16,
// EV24, DENSE, TICKS) loop here; events with g = 0 are not sent. An unknown
// op is skipped as one byte and pulses o_proto_err.
//
// Every field is assembled in the output registers themselves, a byte at a
// time, with no second copy and no byte-lane muxes:
//   - op arguments shift through two chains, addr <- mb <- target for the
//     bytes before count, count for its two bytes, so each lands in its
//     register whatever the op's argument count; count_q, loaded
//     by that shift, counts the elements down to 0;
//   - a WRITE word shifts into the top of o_cmd_data, then zero bytes up to
//     eight (zero extension for free);
//   - an event's g is loaded into o_cmd_data[7:0] with the rest cleared; a
//     DENSE byte shifts right one bit a cycle, G cycles per input;
//   - o_cmd_addr counts on after each command (WRITE, READ, DENSE) or is
//     shifted in (EV16, EV24).
// Fields an op does not use keep stale values (docs/chip-interface.md says
// which fields each op reads). Only the control registers are reset; the
// datapath registers, written with explicit enables so that they map onto
// the flip-flops' enable and synchronous clear, are always loaded before
// o_cmd_valid shows them.
`default_nettype none

module hone_link_parser #(
	parameter FA = 11
) (
	input  wire          i_clk,
	input  wire          i_rst_n,
	input  wire          i_flush,       // link reset: FIFO emptied
	// RX FIFO read port (data one cycle after the address) and pointers
	output wire [FA-1:0] o_raddr,
	input  wire [7:0]    i_rdata,
	input  wire [FA:0]   i_commit,
	output wire [FA:0]   o_head,
	// chip commands
	output wire          o_cmd_valid,
	input  wire          i_cmd_ready,
	output reg  [2:0]    o_cmd_op,
	output wire [7:0]    o_cmd_target,
	output wire [2:0]    o_cmd_mem,
	output wire [15:0]   o_cmd_addr,
	output wire [63:0]   o_cmd_data,
	output reg           o_proto_err
);
	localparam [3:0] OP_NOP = 4'h0, OP_WRITE = 4'h1, OP_READ = 4'h2,
	                 OP_EV16 = 4'h3, OP_EV24 = 4'h4, OP_DENSE = 4'h5,
	                 OP_TICK = 4'h6, OP_TICKS = 4'h7, OP_TRACE = 4'h8,
	                 OP_COUNTERS = 4'h9, OP_CAPS = 4'hA;
	localparam [2:0] C_WRITE = 3'd0, C_READ = 3'd1, C_EVENT = 3'd2,
	                 C_TICK = 3'd3, C_TRACE = 3'd4, C_COUNTERS = 3'd5,
	                 C_CAPS = 3'd6;
	localparam [2:0] S_OP = 3'd0, S_ARG = 3'd1, S_RUN = 3'd2, S_WBYTE = 3'd3,
	                 S_EV = 3'd4, S_DBYTE = 3'd5, S_DUNPACK = 3'd6,
	                 S_DSHIFT = 3'd7;

	// control (reset)
	reg [2:0]  st_q, st_d;
	reg [FA:0] head_q;
	reg        pend_q;                  // a FIFO byte arrives this cycle
	reg        cv_q, cv_d;
	reg        wt_q;                    // S_RUN, S_DUNPACK: waited a cycle
	// datapath (no reset)
	reg [3:0]  op_q;
	reg [2:0]  idx_q;                   // argument bytes (up to 7), element byte
	reg [15:0] count_q;                 // elements of a multi-word op still to do
	reg [15:0] addr_q;
	reg [7:0]  mb_q;                    // WRITE/READ: mem, bytes; DENSE: G
	reg [7:0]  target_q;
	reg [63:0] data_q;
	reg [8:0]  dsh_q;                   // DENSE byte behind a marker bit
	reg        all_done_q;              // count_q == 0, a cycle late
	reg        dused_q;                 // dsh_q == 1
	reg        wb_q;                    // word_byte
	reg        avail_q;                 // committed bytes to fetch
	reg        trace_q, ev16_q;         // op_q == OP_TRACE, OP_EV16
	reg        rt_q;                    // op_q == OP_READ or OP_TICKS
	reg        evl_q;                   // EV: the next byte is the element's last
	reg        gz_q;                    // data_q[7:0] == 0 (g of a DENSE input)
	reg        skip_q;                  // a DENSE input of g = 0 was skipped

	assign o_raddr = head_q[FA-1:0];
	assign o_head = head_q;
	assign o_cmd_valid = cv_q;
	assign o_cmd_target = target_q;
	assign o_cmd_mem = mb_q[2:0];
	assign o_cmd_addr = addr_q;
	assign o_cmd_data = data_q;

	always @(*) begin
		case (op_q)
		OP_WRITE: o_cmd_op = C_WRITE;
		OP_READ: o_cmd_op = C_READ;
		OP_TRACE: o_cmd_op = C_TRACE;
		OP_COUNTERS: o_cmd_op = C_COUNTERS;
		OP_CAPS: o_cmd_op = C_CAPS;
		OP_EV16, OP_EV24, OP_DENSE: o_cmd_op = C_EVENT;
		default: o_cmd_op = C_TICK;
		endcase
	end

	wire       byte_v = pend_q;         // i_rdata is the byte fetched
	wire [7:0] b = i_rdata;
	// WRITE: idx_q <= nb - 1, a byte of the word (as logic, not a carry chain)
	// WRITE: idx_q <= nb - 1, a byte of the word: a register, set as the
	// word starts (idx_q = 0) and cleared once idx_q has passed nb - 1
	wire       word_byte = wb_q;
	// a command word waiting for the chip stalls everything else (it is in
	// the very registers the next one is assembled in); the state it was
	// issued from has already moved on to what follows it
	wire       want = !cv_q && ((st_q == S_OP) || (st_q == S_ARG) || (st_q == S_EV) ||
	                  (st_q == S_DBYTE) || (st_q == S_WBYTE && word_byte));
	// avail_q (head_q != i_commit) is a cycle late: after a fetch pend_q
	// blocks the next cycle anyway, and i_commit only moves on
	wire       fetch = want && !pend_q && avail_q;

	// the 1, 2, 4 or 8 bits of the next DENSE input, and G valid
	wire [7:0] gmask = {{4{mb_q[3]}}, {2{mb_q[3] | mb_q[2]}}, mb_q[3] | mb_q[2] | mb_q[1], 1'b1};
	wire       g_ok = (mb_q == 8'd1) || (mb_q == 8'd2) || (mb_q == 8'd4) || (mb_q == 8'd8);
	wire       dense = (st_q == S_DUNPACK);
	// count_q == 0 is a register (16 bits compared: too slow in front
	// of the state); S_RUN and S_DUNPACK wait a cycle for it (wt_q)
	wire       all_done = all_done_q;
	// g: a DENSE input, EV24's third byte, EV16's top nibble, TRACE's bit 0
	wire [7:0] g = dense ? dsh_q[7:0] & gmask :
	               ev16_q ? {4'd0, b[7:4]} :
	               trace_q ? {7'd0, b[0]} : b;
	wire       ev_last = evl_q;
	wire       dense_used = dused_q;       // only the marker is left

	// an address byte: ARG's bytes before count, EV's input bytes
	wire      addr_ld = !cv_q && byte_v &&
	                    ((st_q == S_ARG && idx_q[2:1] != 2'b11) ||
	                     (st_q == S_EV && idx_q != 3'd2));
	// data_q's loads, as the state machine below makes them
	wire      g_ld = !cv_q &&
	                 ((st_q == S_ARG && byte_v && trace_q) ||
	                  (st_q == S_EV && byte_v && ev_last) ||
	                  (st_q == S_DUNPACK && wt_q && !all_done && !dense_used));
	wire      w_sh = !cv_q && st_q == S_WBYTE && (byte_v || !word_byte);
	// count_q: loaded with the arguments' last two bytes, counts down each
	// element done (the load of the last byte wins over its done_en)
	wire      done_en = !cv_q &&
	                    ((st_q == S_ARG && byte_v && !trace_q && idx_q == 3'd7) ||
	                     (st_q == S_RUN && wt_q && !all_done && rt_q) ||
	                     (st_q == S_WBYTE && (byte_v || !word_byte) && idx_q == 3'd7) ||
	                     (st_q == S_EV && byte_v && ev_last) ||
	                     (st_q == S_DUNPACK && wt_q && !all_done && !dense_used));
	// strobes for the datapath
	reg       arg_shift, w_shift;
	reg       dsh_load, dsh_shift, idx_load;
	reg [2:0] idx_init;

	always @(*) begin
		st_d = st_q;
		cv_d = cv_q;
		o_proto_err = 1'b0;
		arg_shift = 1'b0;
		w_shift = 1'b0;
		dsh_load = 1'b0;
		dsh_shift = 1'b0;
		idx_load = 1'b0;
		idx_init = 3'd0;

		if (cv_q) begin
			if (i_cmd_ready)
				cv_d = 1'b0;                 // (addr_q counts on: WRITE, READ, DENSE)
		end else case (st_q)
		S_OP:
			if (byte_v) begin
				// arguments: idx counts up to 7 from 8 - their number
				idx_load = 1'b1;
				st_d = S_ARG;
				case (b)
				{4'h0, OP_WRITE}, {4'h0, OP_READ}: idx_init = 3'd2;
				{4'h0, OP_DENSE}: idx_init = 3'd3;
				{4'h0, OP_EV16}, {4'h0, OP_EV24}, {4'h0, OP_TICKS}: idx_init = 3'd6;
				{4'h0, OP_TRACE}: idx_init = 3'd7;
				{4'h0, OP_TICK}, {4'h0, OP_COUNTERS}, {4'h0, OP_CAPS}: begin
					cv_d = 1'b1;
					st_d = S_OP;
				end
				default: begin
					st_d = S_OP;              // NOP, or unknown: skipped
					o_proto_err = (b != {4'h0, OP_NOP});
				end
				endcase
			end
		S_ARG:
			if (byte_v) begin
				// a5 a4 -> count; a3 a2 a1 a0 -> addr, mb, target
				arg_shift = 1'b1;
				if (trace_q) begin
					cv_d = 1'b1;
					st_d = S_OP;
				end else if (idx_q == 3'd7) begin
					st_d = S_RUN;             // count_q loaded
				end
			end
		S_RUN: if (wt_q) begin
			// one element or command of a multi-word op
			idx_load = 1'b1;
			if (op_q == OP_DENSE && !g_ok) begin
				o_proto_err = 1'b1;
				st_d = S_OP;
			end else if (all_done) begin
				st_d = S_OP;
			end else begin
				case (op_q)
				OP_WRITE: st_d = S_WBYTE;
				OP_EV16, OP_EV24: st_d = S_EV;
				OP_DENSE: st_d = S_DBYTE;
				default: begin              // READ, TICKS
					// (an element done: count_q counts down)
					cv_d = 1'b1;
				end
				endcase
			end
		end
		S_WBYTE:
			// the word's bytes, then zeros, shifted in from the top
			if (byte_v || !word_byte) begin
				w_shift = 1'b1;
				if (idx_q == 3'd7) begin
					// (an element done: count_q counts down)
					cv_d = 1'b1;
					st_d = S_RUN;
				end
			end
		S_EV:
			if (byte_v) begin
				if (ev_last) begin
					// (an element done: count_q counts down)
					st_d = S_RUN;
					cv_d = (g != 8'd0);
				end
			end
		S_DBYTE:
			if (byte_v) begin
				dsh_load = 1'b1;
				st_d = S_DUNPACK;
			end
		S_DUNPACK:
			if (!wt_q) begin
				// all_done catching up
			end else if (all_done) begin
				st_d = S_OP;                 // the rest of the byte is padding
			end else if (dense_used) begin
				st_d = S_DBYTE;
			end else begin
				// (an element done: count_q counts down)
				idx_load = 1'b1;
				st_d = S_DSHIFT;
			end
		S_DSHIFT: begin
			// G bits out of the DENSE byte, then the event if g != 0
			dsh_shift = 1'b1;
			if (idx_q == {gmask[4], gmask[2], gmask[1]}) begin   // G - 1
				st_d = S_DUNPACK;
				if (!gz_q)
					cv_d = 1'b1;              // else skip_q counts addr on
			end
		end
		default:
			st_d = S_OP;
		endcase
	end

	always @(posedge i_clk) begin
		if (!i_rst_n || i_flush) begin
			st_q <= S_OP;
			head_q <= {(FA+1){1'b0}};
			pend_q <= 1'b0;
			cv_q <= 1'b0;
			wt_q <= 1'b0;
			skip_q <= 1'b0;
			avail_q <= 1'b0;
		end else begin
			avail_q <= (head_q != i_commit);
			// DSHIFT -> DUNPACK, whose first cycle waits: addr_q counts on
			// past a skipped input then
			skip_q <= !cv_q && st_q == S_DSHIFT && idx_q == {gmask[4], gmask[2], gmask[1]} && gz_q;
			wt_q <= !cv_q && !wt_q && (st_q == S_RUN || st_q == S_DUNPACK);
			st_q <= st_d;
			if (fetch)
				head_q <= head_q + 1'b1;
			pend_q <= fetch;
			cv_q <= cv_d;
		end
	end

	always @(posedge i_clk) begin
		if (st_q == S_OP && byte_v) begin
			op_q <= b[3:0];
			trace_q <= (b[3:0] == OP_TRACE);
			ev16_q <= (b[3:0] == OP_EV16);
			rt_q <= (b[3:0] == OP_READ || b[3:0] == OP_TICKS);
		end
		// EV16: bytes 0, 1; EV24: bytes 0, 1, 2 (idx_q from 0 in S_EV)
		if (idx_load)
			evl_q <= 1'b0;
		else if (st_q == S_EV && byte_v)
			evl_q <= ev16_q ? (idx_q == 3'd0) : (idx_q == 3'd1);
		if (idx_load)
			idx_q <= idx_init;
		else if (arg_shift || w_shift || dsh_shift || (st_q == S_EV && byte_v))
			idx_q <= idx_q + 3'd1;
		// argument bytes 6, 7 (of idx_q's count to 7) are the count
		if (arg_shift && idx_q[2:1] == 2'b11)
			count_q <= {b, count_q[15:8]};
		else if (done_en)
			count_q <= count_q - 16'd1;
		all_done_q <= (count_q == 16'd0);
		// (the strobes of the state machine written out: shallower logic
		// in front of the enables)
		if (addr_ld)
			addr_q <= {(ev16_q && idx_q == 3'd1) ? {4'd0, b[3:0]} : b, addr_q[15:8]};
		else if ((cv_q && i_cmd_ready) || skip_q)
			addr_q <= addr_q + 16'd1;
		if (arg_shift && idx_q[2:1] != 2'b11) begin
			mb_q <= addr_q[7:0];
			target_q <= mb_q;
		end
		if (g_ld)
			data_q <= {56'd0, g};
		else if (w_sh)
			data_q <= {word_byte ? b : 8'h00, data_q[63:8]};
		if (g_ld)
			gz_q <= (g == 8'd0);
		if (idx_load)
			wb_q <= 1'b1;
		else if (w_shift)
			wb_q <= wb_q && (idx_q != mb_q[6:4]);
		if (dsh_load)
			dsh_q <= {1'b1, b};
		else if (dsh_shift)
			dsh_q <= {1'b0, dsh_q[8:1]};
		if (dsh_load)
			dused_q <= 1'b0;
		else if (dsh_shift)
			dused_q <= (dsh_q[8:1] == 8'd1);

	end
endmodule
