// SPDX-License-Identifier: Apache-2.0
//
// hone_top_hx8k: the chip on the iCE40-HX8K breakout board (iCE40HX8K-CT256,
// pins in constraints/hx8k.pcf).
//
//   12 MHz (J3) -> SB_PLL40_CORE -> clk (CLK_HZ)
//   FT2232H channel B: RX B10 -> hone_system (hone_link -> hone_chip ->
//                      hone_link) -> TX B12
//   LEDs D9..D2 (o_led[0..7], active high): [0] heartbeat while the chip
//   runs, [1] PLL locked, [2] UART receive, [3] UART transmit, [4] a
//   command taken by the chip, [5] a response sent, [7:6] off
//   reset: the PLL's lock only (the board has no user button)
//
// The PLL dividers are parameters because the core clock is chosen per
// build from the measured fmax: tools/synth/synth.sh asks icepll for
// DIVR/DIVF/DIVQ/FILTER_RANGE and passes the frequency it achieves as
// CLK_HZ, from which the UART's CLKS_PER_BIT is derived (the build is
// refused when the baud rate would be off by more than 2%). The chip
// parameters come from the configuration (host/src/config.c, "up5k").
`default_nettype none

module hone_top_hx8k #(
	// core clock: 12 MHz * (DIVF + 1) / ((DIVR + 1) * 2^DIVQ); defaults 60 MHz
	parameter integer CLK_HZ      = 60000000,
	parameter integer BAUD        = 3000000,
	parameter [3:0]   PLL_DIVR    = 4'd0,
	parameter [6:0]   PLL_DIVF    = 7'd79,
	parameter [2:0]   PLL_DIVQ    = 3'd4,
	parameter [2:0]   PLL_FILTER  = 3'd1,
	// link buffers (docs/link-protocol.md): RX FIFO and retransmit buffer
	parameter         LINK_RX_FA  = 11,
	parameter         LINK_TX_BA  = 10,
	// chip configuration ("hx8k")
	parameter         CORES       = 1,
	parameter         LANES       = 8,
	parameter         WBITS       = 4,
	parameter         PBITS       = 16,
	parameter         GBITS       = 4,
	parameter         NEURONS     = 512,
	parameter         AXONS       = 1024,
	parameter         WWORDS      = 2048,
	parameter         AXSEGS      = 8,
	parameter         RTSEGS      = 8,
	parameter         WMEM_IMPL   = "behavioural",
	parameter [31:0]  BUILD_ID    = 32'h0
) (
	input  wire       i_clk12,     // J3, 12 MHz oscillator
	input  wire       i_uart_rx,   // B10, from the FT2232H (channel B TXD)
	output wire       o_uart_tx,   // B12, to the FT2232H (channel B RXD)
	output wire [7:0] o_led        // D9..D2
);
	localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;

	// ------------------------------------------------------------ clock
	wire clk;
	wire pll_lock;
	wire pll_core_unused, pll_sdo_unused;

	SB_PLL40_CORE #(
		.FEEDBACK_PATH ("SIMPLE"),
		.DIVR          (PLL_DIVR),
		.DIVF          (PLL_DIVF),
		.DIVQ          (PLL_DIVQ),
		.FILTER_RANGE  (PLL_FILTER)
	) u_pll (
		.REFERENCECLK  (i_clk12),
		.PLLOUTCORE    (pll_core_unused),
		.PLLOUTGLOBAL  (clk),
		.EXTFEEDBACK   (1'b0),
		.DYNAMICDELAY  (8'd0),
		.LOCK          (pll_lock),
		.BYPASS        (1'b0),
		.RESETB        (1'b1),
		.LATCHINPUTVALUE (1'b0),
		.SDO           (pll_sdo_unused),
		.SDI           (1'b0),
		.SCLK          (1'b0)
	);

	// ------------------------------------------------------------ reset
	// Asserted at once when the PLL loses lock, released two clock edges
	// after it locks. Flops start at 0 after configuration, so the chip is
	// held in reset until the PLL first locks.
	wire       arst_n = pll_lock;
	reg  [1:0] rst_sync_q;
	always @(posedge clk or negedge arst_n) begin
		if (!arst_n)
			rst_sync_q <= 2'b00;
		else
			rst_sync_q <= {rst_sync_q[0], 1'b1};
	end
	wire rst_n = rst_sync_q[1];

	// ------------------------------------------------------------ link + chip
	wire sys_cmd_taken, sys_rsp_sent;

	hone_system #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (LINK_RX_FA),
		.TX_BA        (LINK_TX_BA),
		.CORES        (CORES),
		.LANES        (LANES),
		.WBITS        (WBITS),
		.PBITS        (PBITS),
		.GBITS        (GBITS),
		.NEURONS      (NEURONS),
		.AXONS        (AXONS),
		.WWORDS       (WWORDS),
		.AXSEGS       (AXSEGS),
		.RTSEGS       (RTSEGS),
		.WMEM_IMPL    (WMEM_IMPL),
		.BUILD_ID     (BUILD_ID)
	) u_sys (
		.i_clk        (clk),
		.i_rst_n      (rst_n),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_taken  (sys_cmd_taken),
		.o_rsp_sent   (sys_rsp_sent)
	);

	// ------------------------------------------------------------ LEDs
	// A free-running prescaler: its top bit is the heartbeat (about 1 Hz
	// at 60 MHz). An event seen during one 2^22-cycle window keeps its LED
	// on for that window and the next (70 ms at 60 MHz).
	reg  [25:0] led_div_q;
	reg  [3:0]  led_seen_q, led_act_q;
	wire        led_window = (led_div_q[21:0] == 22'd0);
	wire [3:0]  led_ev = {sys_rsp_sent, sys_cmd_taken, !o_uart_tx, !i_uart_rx};

	always @(posedge clk or negedge rst_n) begin
		if (!rst_n) begin
			led_div_q  <= 26'd0;
			led_seen_q <= 4'd0;
			led_act_q  <= 4'd0;
		end else begin
			led_div_q <= led_div_q + 26'd1;
			if (led_window) begin
				led_act_q  <= led_seen_q | led_ev;
				led_seen_q <= led_ev;
			end else begin
				led_seen_q <= led_seen_q | led_ev;
				led_act_q  <= led_act_q | led_ev;
			end
		end
	end

	assign o_led = {2'b00, led_act_q, pll_lock, rst_n && led_div_q[25]};

	wire unused_ok = &{1'b0, pll_core_unused, pll_sdo_unused};

	// ------------------------------------------------------------ checks
	generate
		if (CLKS_PER_BIT < 3) begin : gen_err_baud_slow
			hone_top_error_clk_hz_below_3x_baud u_err ();
		end
		// the UART bit time must be within 2% of the host's
		if ((CLKS_PER_BIT * BAUD - CLK_HZ) * 50 > CLK_HZ ||
		    (CLK_HZ - CLKS_PER_BIT * BAUD) * 50 > CLK_HZ) begin : gen_err_baud_error
			hone_top_error_baud_rate_off_by_more_than_2_percent u_err ();
		end
	endgenerate
endmodule
