// SPDX-License-Identifier: Apache-2.0
//
// hone_tb: Icarus Verilog test bench for rtl/hone_chip.v, driven by files.
//
//   vvp hone_tb.vvp +cmds=FILE +n=N +rsps=FILE [+stall=PERMILLE] [+seed=S]
//                   [+max_cycles=C] [+vcd=FILE]
//
// FILE of commands: $readmemh words of 96 bits, one command each,
//   {2'b0, op[2:0], target[7:0], mem[2:0], addr[15:0], data[63:0]}
// (24 hex digits a line).
// The commands go in order over the valid/ready stream; every response is
// written as "K DDDDDDDDDDDDDDDD" (kind, 64-bit data, hex). The run ends
// once the last command was taken and a CAPS response arrived (the C side
// ends its stimulus with a CAPS command), with a final line
// "# cycles N". +stall holds i_rsp_ready low on that permille of cycles.
`default_nettype none
`timescale 1ns/1ps

module hone_tb;
	parameter CORES    = 4;
	parameter LANES    = 4;
	parameter WBITS    = 4;
	parameter PBITS    = 16;
	parameter GBITS    = 4;
	parameter NEURONS  = 32;
	parameter AXONS    = 128;
	parameter WWORDS   = 256;
	parameter AXSEGS   = 8;
	parameter RTSEGS   = 8;
	parameter BUILD_ID = 0;
	parameter MAX_CMDS = 1 << 20;

	reg         clk = 1'b0;
	reg         rst_n = 1'b0;
	reg         cmd_valid = 1'b0;
	wire        cmd_ready;
	reg  [2:0]  cmd_op = 3'd0;
	reg  [7:0]  cmd_target = 8'd0;
	reg  [2:0]  cmd_mem = 3'd0;
	reg  [15:0] cmd_addr = 16'd0;
	reg  [63:0] cmd_data = 64'd0;
	wire        rsp_valid;
	reg         rsp_ready = 1'b1;
	wire [2:0]  rsp_kind;
	wire [63:0] rsp_data;

	hone_chip #(
		.CORES    (CORES),
		.LANES    (LANES),
		.WBITS    (WBITS),
		.PBITS    (PBITS),
		.GBITS    (GBITS),
		.NEURONS  (NEURONS),
		.AXONS    (AXONS),
		.WWORDS   (WWORDS),
		.AXSEGS   (AXSEGS),
		.RTSEGS   (RTSEGS),
		.BUILD_ID (BUILD_ID)
	) u_chip (
		.i_clk        (clk),
		.i_rst_n      (rst_n),
		.i_cmd_valid  (cmd_valid),
		.o_cmd_ready  (cmd_ready),
		.i_cmd_op     (cmd_op),
		.i_cmd_target (cmd_target),
		.i_cmd_mem    (cmd_mem),
		.i_cmd_addr   (cmd_addr),
		.i_cmd_data   (cmd_data),
		.o_rsp_valid  (rsp_valid),
		.i_rsp_ready  (rsp_ready),
		.o_rsp_kind   (rsp_kind),
		.o_rsp_data   (rsp_data)
	);

	reg [95:0] cmds [0:MAX_CMDS-1];
	reg [1023:0] cmd_file, rsp_file, vcd_file;
	integer n, next, fd, stall, seed, max_cycles, cycles, done;

	always #5 clk = ~clk;

	initial begin
		if (!$value$plusargs("cmds=%s", cmd_file) || !$value$plusargs("n=%d", n) ||
		    !$value$plusargs("rsps=%s", rsp_file)) begin
			$display("usage: vvp hone_tb.vvp +cmds=FILE +n=N +rsps=FILE [+stall=P] [+seed=S]");
			$finish;
		end
		if (!$value$plusargs("stall=%d", stall)) stall = 0;
		if (!$value$plusargs("seed=%d", seed)) seed = 1;
		if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 100000000;
		if ($value$plusargs("vcd=%s", vcd_file)) begin
			$dumpfile(vcd_file);
			$dumpvars(0, hone_tb);
		end
		$readmemh(cmd_file, cmds, 0, n - 1);
		fd = $fopen(rsp_file, "w");
		next = 0;
		cycles = 0;
		done = 0;
		repeat (4) @(posedge clk);
		#1 rst_n = 1'b1;
	end

	// Drive between edges; sample handshakes at the edge.
	always @(posedge clk) begin
		if (rst_n) begin
			cycles = cycles + 1;
			if (rsp_valid && rsp_ready) begin
				$fwrite(fd, "%0d %016h\n", rsp_kind, rsp_data);
				if (rsp_kind == 3'd5 && next == n && !cmd_valid)
					done = done + 1;
			end
			if (cmd_valid && cmd_ready) begin
				next = next + 1;
			end
			if (done == 2 || cycles >= max_cycles) begin
				$fwrite(fd, "# cycles %0d%s\n", cycles, done == 2 ? "" : " timeout");
				$fclose(fd);
				$finish;
			end
			#1;
			cmd_valid = (next < n);
			if (next < n)
				{cmd_op, cmd_target, cmd_mem, cmd_addr, cmd_data} = cmds[next][93:0];
			rsp_ready = (stall == 0) || (($random(seed) & 32'h7fffffff) % 1000 >= stall);
		end
	end
endmodule
