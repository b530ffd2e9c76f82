// SPDX-License-Identifier: Apache-2.0
//
// link_stub: a behavioural stand-in for hone_chip behind hone_link in the
// link testbench. It answers every command as sim/link/link_stub_model.h
// says (the C harness computes the expected responses with that model),
// and stalls o_cmd_ready at random so the RX FIFO fills and the credits
// matter. Not synthesizable on purpose (a 256-word register memory).
`default_nettype none

module link_stub #(
	parameter [15:0] STALL_SEED = 16'hACE1,
	parameter [63:0] CAPS0 = 64'h89abcdef0044f401,
	parameter [63:0] CAPS1 = 64'h0100400008000200
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	input  wire [7:0]  i_ready_pct,   // chance of o_cmd_ready, in 1/256
	input  wire        i_cmd_valid,
	output wire        o_cmd_ready,
	input  wire [2:0]  i_cmd_op,
	input  wire [7:0]  i_cmd_target,
	input  wire [2:0]  i_cmd_mem,
	input  wire [15:0] i_cmd_addr,
	input  wire [63:0] i_cmd_data,
	output wire        o_rsp_valid,
	input  wire        i_rsp_ready,
	output wire [2:0]  o_rsp_kind,
	output wire [63:0] o_rsp_data
);
	reg [63:0] mem_q [0:255];
	reg [63:0] cmds_q, events_q, gsum_q, ticks_q, tev_q;
	reg        trace_q;
	reg [15:0] lfsr_q;
	reg [2:0]  n_q, i_q;               // responses queued, sent
	reg [2:0]  kind_q [0:3];
	reg [63:0] data_q [0:3];

	wire idle = (i_q == n_q);
	assign o_cmd_ready = idle && (lfsr_q[7:0] < i_ready_pct);
	assign o_rsp_valid = !idle;
	assign o_rsp_kind = kind_q[i_q[1:0]];
	assign o_rsp_data = data_q[i_q[1:0]];

	wire [7:0] idx = i_cmd_addr[7:0] ^ {i_cmd_mem, 5'd0} ^ i_cmd_target;
	integer k;
	initial begin
		for (k = 0; k < 256; k = k + 1)
			mem_q[k] = 64'd0;
		for (k = 0; k < 4; k = k + 1) begin
			kind_q[k] = 3'd0;
			data_q[k] = 64'd0;
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			cmds_q <= 64'd0;
			events_q <= 64'd0;
			gsum_q <= 64'd0;
			ticks_q <= 64'd0;
			tev_q <= 64'd0;
			trace_q <= 1'b0;
			lfsr_q <= STALL_SEED;
			n_q <= 3'd0;
			i_q <= 3'd0;
		end else begin
			lfsr_q <= {lfsr_q[14:0], lfsr_q[15] ^ lfsr_q[13] ^ lfsr_q[12] ^ lfsr_q[10]};
			if (!idle && i_rsp_ready)
				i_q <= i_q + 3'd1;
			if (i_cmd_valid && o_cmd_ready) begin
				cmds_q <= cmds_q + 64'd1;
				i_q <= 3'd0;
				n_q <= 3'd0;
				case (i_cmd_op)
				3'd0: mem_q[idx] <= i_cmd_data;
				3'd1: begin
					kind_q[0] <= 3'd0;
					data_q[0] <= mem_q[idx];
					n_q <= 3'd1;
				end
				3'd2: begin
					events_q <= events_q + 64'd1;
					tev_q <= tev_q + 64'd1;
					gsum_q <= gsum_q + {56'd0, i_cmd_data[7:0]} * ({48'd0, i_cmd_addr} + 64'd1);
					kind_q[0] <= 3'd1;
					data_q[0] <= {48'd0, i_cmd_addr};
					n_q <= 3'd1;
				end
				3'd3: begin
					if (trace_q) begin
						kind_q[0] <= 3'd3;
						data_q[0] <= tev_q;
						kind_q[1] <= 3'd2;
						data_q[1] <= {32'd0, ticks_q[31:0]};
						n_q <= 3'd2;
					end else begin
						kind_q[0] <= 3'd2;
						data_q[0] <= {32'd0, ticks_q[31:0]};
						n_q <= 3'd1;
					end
					ticks_q <= ticks_q + 64'd1;
					tev_q <= 64'd0;
				end
				3'd4: trace_q <= i_cmd_data[0];
				3'd5: begin
					kind_q[0] <= 3'd4;
					data_q[0] <= cmds_q + 64'd1;
					kind_q[1] <= 3'd4;
					data_q[1] <= events_q;
					kind_q[2] <= 3'd4;
					data_q[2] <= gsum_q;
					kind_q[3] <= 3'd4;
					data_q[3] <= ticks_q;
					n_q <= 3'd4;
				end
				3'd6: begin
					kind_q[0] <= 3'd5;
					data_q[0] <= CAPS0;
					kind_q[1] <= 3'd5;
					data_q[1] <= CAPS1;
					n_q <= 3'd2;
				end
				default: ;
				endcase
			end
		end
	end
endmodule
