// SPDX-License-Identifier: Apache-2.0
//
// hone_link_parser: the command byte stream of docs/link-protocol.md
// (section 5), read from the RX FIFO, becomes commands on the chip's
// i_cmd_* interface (docs/chip-interface.md). One FIFO byte every two
// cycles (the EBR read takes one); a command word waits in the output
// registers until the chip takes it. Multi-word ops (WRITE, READ, EV16,
// EV24, DENSE, TICKS) loop here; events with g = 0 are not sent. An unknown
// op is skipped as one byte and pulses o_proto_err.
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
	output wire [2:0]    o_cmd_op,
	output wire [7:0]    o_cmd_target,
	output wire [2:0]    o_cmd_mem,
	output wire [15:0]   o_cmd_addr,
	output wire [63:0]   o_cmd_data,
	output reg           o_proto_err
);
	localparam [7:0] OP_NOP = 8'h00, OP_WRITE = 8'h01, OP_READ = 8'h02,
	                 OP_EV16 = 8'h03, OP_EV24 = 8'h04, OP_DENSE = 8'h05,
	                 OP_TICK = 8'h06, OP_TICKS = 8'h07, OP_TRACE = 8'h08,
	                 OP_COUNTERS = 8'h09, OP_CAPS = 8'h0A;
	localparam [2:0] C_WRITE = 3'd0, C_READ = 3'd1, C_EVENT = 3'd2,
	                 C_TICK = 3'd3, C_TRACE = 3'd4, C_COUNTERS = 3'd5,
	                 C_CAPS = 3'd6;
	localparam [2:0] S_OP = 3'd0, S_ARGS = 3'd1, S_START = 3'd2, S_ELEM = 3'd3,
	                 S_REPEAT = 3'd4, S_DBYTE = 3'd5, S_DUNPACK = 3'd6,
	                 S_CMD = 3'd7;

	reg [2:0]  st_q, st_d, ret_q, ret_d;
	reg [FA:0] head_q, head_d;
	reg        pend_q, pend_d;          // a FIFO byte arrives this cycle
	reg [7:0]  op_q, op_d;
	reg [2:0]  nargs_q, nargs_d, argi_q, argi_d;
	reg [47:0] args_q, args_d;
	reg [3:0]  elemn_q, elemn_d, elemi_q, elemi_d;
	reg [63:0] elem_q, elem_d;
	reg [15:0] count_q, count_d, addr_q, addr_d;
	reg [7:0]  target_q, target_d;
	reg [2:0]  mem_q, mem_d;
	reg [3:0]  gbits_q, gbits_d;
	reg [7:0]  dbyte_q, dbyte_d;
	reg [3:0]  k_q, k_d;
	reg        cv_q, cv_d;
	reg [2:0]  cop_q, cop_d;
	reg [7:0]  ctarget_q, ctarget_d;
	reg [2:0]  cmem_q, cmem_d;
	reg [15:0] caddr_q, caddr_d;
	reg [63:0] cdata_q, cdata_d;

	assign o_raddr = head_q[FA-1:0];
	assign o_head = head_q;
	assign o_cmd_valid = cv_q;
	assign o_cmd_op = cop_q;
	assign o_cmd_target = ctarget_q;
	assign o_cmd_mem = cmem_q;
	assign o_cmd_addr = caddr_q;
	assign o_cmd_data = cdata_q;

	// the states that consume a byte
	wire want = (st_q == S_OP) || (st_q == S_ARGS) ||
	            ((st_q == S_ELEM || st_q == S_DBYTE) && count_q != 16'd0);
	wire byte_v = pend_q;               // i_rdata is the byte fetched
	wire [7:0] b = i_rdata;

	reg [2:0] nargs_of;
	always @(*) begin
		case (b)
		OP_WRITE, OP_READ: nargs_of = 3'd6;
		OP_EV16, OP_EV24, OP_TICKS: nargs_of = 3'd2;
		OP_DENSE: nargs_of = 3'd5;
		OP_TRACE: nargs_of = 3'd1;
		default: nargs_of = 3'd0;
		endcase
	end

	reg [7:0] gmask;
	reg [3:0] kend;
	always @(*) begin
		case (gbits_q)
		4'd1: begin gmask = 8'h01; kend = 4'd8; end
		4'd2: begin gmask = 8'h03; kend = 4'd4; end
		4'd4: begin gmask = 8'h0F; kend = 4'd2; end
		default: begin gmask = 8'hFF; kend = 4'd1; end
		endcase
	end

	// the element with this cycle's byte in place (a byte-lane select, not
	// a shifter: one LUT a bit)
	reg [63:0] elem_now;
	reg [47:0] args_now;
	integer j;
	always @(*) begin
		for (j = 0; j < 8; j = j + 1)
			elem_now[j*8 +: 8] = (elemi_q[2:0] == j[2:0]) ? b : elem_q[j*8 +: 8];
		for (j = 0; j < 6; j = j + 1)
			args_now[j*8 +: 8] = (argi_q == j[2:0]) ? b : args_q[j*8 +: 8];
	end
	wire [7:0]  g_now = dbyte_q & gmask;

	always @(*) begin
		st_d = st_q;
		ret_d = ret_q;
		head_d = head_q;
		pend_d = 1'b0;
		op_d = op_q;
		nargs_d = nargs_q;
		argi_d = argi_q;
		args_d = args_q;
		elemn_d = elemn_q;
		elemi_d = elemi_q;
		elem_d = elem_q;
		count_d = count_q;
		addr_d = addr_q;
		target_d = target_q;
		mem_d = mem_q;
		gbits_d = gbits_q;
		dbyte_d = dbyte_q;
		k_d = k_q;
		cv_d = cv_q;
		cop_d = cop_q;
		ctarget_d = ctarget_q;
		cmem_d = cmem_q;
		caddr_d = caddr_q;
		cdata_d = cdata_q;
		o_proto_err = 1'b0;

		// fetch: one byte in flight at a time
		if (want && !pend_q && head_q != i_commit) begin
			head_d = head_q + 1'b1;
			pend_d = 1'b1;
		end

		case (st_q)
		S_OP:
			if (byte_v) begin
				op_d = b;
				nargs_d = nargs_of;
				argi_d = 3'd0;
				args_d = 48'd0;
				st_d = (nargs_of == 3'd0) ? S_START : S_ARGS;
			end
		S_ARGS:
			if (byte_v) begin
				args_d = args_now;
				argi_d = argi_q + 3'd1;
				if (argi_q + 3'd1 == nargs_q)
					st_d = S_START;
			end
		S_START: begin
			st_d = S_OP;
			elemi_d = 4'd0;
			elem_d = 64'd0;
			cop_d = C_TICK;
			ctarget_d = 8'h00;
			cmem_d = 3'd0;
			caddr_d = 16'd0;
			cdata_d = 64'd0;
			ret_d = S_OP;
			case (op_q)
			OP_NOP: ;
			OP_WRITE, OP_READ: begin
				target_d = args_q[7:0];
				mem_d = args_q[10:8];
				elemn_d = {1'b0, args_q[14:12]} + 4'd1;
				addr_d = args_q[31:16];
				count_d = args_q[47:32];
				st_d = (op_q == OP_WRITE) ? S_ELEM : S_REPEAT;
			end
			OP_EV16, OP_EV24: begin
				count_d = args_q[15:0];
				elemn_d = (op_q == OP_EV16) ? 4'd2 : 4'd3;
				st_d = S_ELEM;
			end
			OP_DENSE:
				if (args_q[7:0] == 8'd1 || args_q[7:0] == 8'd2 ||
				    args_q[7:0] == 8'd4 || args_q[7:0] == 8'd8) begin
					gbits_d = args_q[3:0];
					addr_d = args_q[23:8];
					count_d = args_q[39:24];
					st_d = S_DBYTE;
				end else begin
					o_proto_err = 1'b1;
				end
			OP_TICK: begin
				cv_d = 1'b1;
				st_d = S_CMD;
			end
			OP_TICKS: begin
				count_d = args_q[15:0];
				st_d = S_REPEAT;
			end
			OP_TRACE: begin
				cop_d = C_TRACE;
				cdata_d = {63'd0, args_q[0]};
				cv_d = 1'b1;
				st_d = S_CMD;
			end
			OP_COUNTERS: begin
				cop_d = C_COUNTERS;
				cv_d = 1'b1;
				st_d = S_CMD;
			end
			OP_CAPS: begin
				cop_d = C_CAPS;
				cv_d = 1'b1;
				st_d = S_CMD;
			end
			default:
				o_proto_err = 1'b1;
			endcase
		end
		S_ELEM:
			if (count_q == 16'd0) begin
				st_d = S_OP;
			end else if (byte_v) begin
				elem_d = elem_now;
				elemi_d = elemi_q + 4'd1;
				if (elemi_q + 4'd1 == elemn_q) begin
					elemi_d = 4'd0;
					elem_d = 64'd0;
					count_d = count_q - 16'd1;
					ret_d = S_ELEM;
					ctarget_d = 8'h00;
					cmem_d = 3'd0;
					if (op_q == OP_WRITE) begin
						cop_d = C_WRITE;
						ctarget_d = target_q;
						cmem_d = mem_q;
						caddr_d = addr_q;
						cdata_d = elem_now;
						addr_d = addr_q + 16'd1;
						cv_d = 1'b1;
						st_d = S_CMD;
					end else if (op_q == OP_EV16) begin
						cop_d = C_EVENT;
						caddr_d = {4'd0, elem_now[11:0]};
						cdata_d = {60'd0, elem_now[15:12]};
						if (elem_now[15:12] != 4'd0) begin
							cv_d = 1'b1;
							st_d = S_CMD;
						end
					end else begin
						cop_d = C_EVENT;
						caddr_d = elem_now[15:0];
						cdata_d = {56'd0, elem_now[23:16]};
						if (elem_now[23:16] != 8'd0) begin
							cv_d = 1'b1;
							st_d = S_CMD;
						end
					end
				end
			end
		S_REPEAT:
			if (count_q == 16'd0) begin
				st_d = S_OP;
			end else begin
				count_d = count_q - 16'd1;
				ret_d = S_REPEAT;
				cv_d = 1'b1;
				st_d = S_CMD;
				cdata_d = 64'd0;
				if (op_q == OP_READ) begin
					cop_d = C_READ;
					ctarget_d = target_q;
					cmem_d = mem_q;
					caddr_d = addr_q;
					addr_d = addr_q + 16'd1;
				end else begin
					cop_d = C_TICK;
					ctarget_d = 8'h00;
					cmem_d = 3'd0;
					caddr_d = 16'd0;
				end
			end
		S_DBYTE:
			if (count_q == 16'd0) begin
				st_d = S_OP;
			end else if (byte_v) begin
				dbyte_d = b;
				k_d = 4'd0;
				st_d = S_DUNPACK;
			end
		S_DUNPACK:
			if (count_q == 16'd0) begin
				st_d = S_OP;
			end else if (k_q == kend) begin
				st_d = S_DBYTE;
			end else begin
				dbyte_d = dbyte_q >> gbits_q;
				k_d = k_q + 4'd1;
				count_d = count_q - 16'd1;
				addr_d = addr_q + 16'd1;
				if (g_now != 8'd0) begin
					cop_d = C_EVENT;
					ctarget_d = 8'h00;
					cmem_d = 3'd0;
					caddr_d = addr_q;
					cdata_d = {56'd0, g_now};
					cv_d = 1'b1;
					ret_d = S_DUNPACK;
					st_d = S_CMD;
				end
			end
		S_CMD:
			if (i_cmd_ready) begin
				cv_d = 1'b0;
				st_d = ret_q;
			end
		default:
			st_d = S_OP;
		endcase

		if (i_flush) begin
			st_d = S_OP;
			head_d = {(FA+1){1'b0}};
			pend_d = 1'b0;
			cv_d = 1'b0;
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			st_q <= S_OP;
			ret_q <= S_OP;
			head_q <= {(FA+1){1'b0}};
			pend_q <= 1'b0;
			op_q <= 8'h00;
			nargs_q <= 3'd0;
			argi_q <= 3'd0;
			args_q <= 48'd0;
			elemn_q <= 4'd0;
			elemi_q <= 4'd0;
			elem_q <= 64'd0;
			count_q <= 16'd0;
			addr_q <= 16'd0;
			target_q <= 8'h00;
			mem_q <= 3'd0;
			gbits_q <= 4'd8;
			dbyte_q <= 8'h00;
			k_q <= 4'd0;
			cv_q <= 1'b0;
			cop_q <= 3'd0;
			ctarget_q <= 8'h00;
			cmem_q <= 3'd0;
			caddr_q <= 16'd0;
			cdata_q <= 64'd0;
		end else begin
			st_q <= st_d;
			ret_q <= ret_d;
			head_q <= head_d;
			pend_q <= pend_d;
			op_q <= op_d;
			nargs_q <= nargs_d;
			argi_q <= argi_d;
			args_q <= args_d;
			elemn_q <= elemn_d;
			elemi_q <= elemi_d;
			elem_q <= elem_d;
			count_q <= count_d;
			addr_q <= addr_d;
			target_q <= target_d;
			mem_q <= mem_d;
			gbits_q <= gbits_d;
			dbyte_q <= dbyte_d;
			k_q <= k_d;
			cv_q <= cv_d;
			cop_q <= cop_d;
			ctarget_q <= ctarget_d;
			cmem_q <= cmem_d;
			caddr_q <= caddr_d;
			cdata_q <= cdata_d;
		end
	end
endmodule
