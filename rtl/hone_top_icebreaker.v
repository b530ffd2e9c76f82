// SPDX-License-Identifier: Apache-2.0
//
// hone_top_icebreaker: the chip on an iCEBreaker (iCE40UP5K-SG48, pins in
// constraints/icebreaker.pcf).
//
//   12 MHz (pin 35) -> SB_PLL40_PAD -> clk (CLK_HZ)
//   FT2232H channel B: RX pin 6 -> hone_system (hone_link -> hone_chip ->
//                      hone_link) -> TX pin 9
//   LEDs (active low): green blinks while the chip runs (off in reset),
//                      red flashes on UART traffic in either direction
//   user button (pin 10, active low): resets chip and link
//
// The PLL dividers are parameters because the core clock is chosen per
// build from the measured fmax: tools/synth/synth.sh asks icepll for
// DIVR/DIVF/DIVQ/FILTER_RANGE and passes the frequency it achieves as
// CLK_HZ, from which the UART's CLKS_PER_BIT is derived (the build is
// refused when the baud rate would be off by more than 2%). The chip
// parameters come from the configuration (host/src/config.c, "up5k").
`default_nettype none

module hone_top_icebreaker #(
	// core clock: 12 MHz * (DIVF + 1) / ((DIVR + 1) * 2^DIVQ); defaults 30 MHz
	parameter integer CLK_HZ      = 30000000,
	parameter integer BAUD        = 3000000,
	parameter [3:0]   PLL_DIVR    = 4'd0,
	parameter [6:0]   PLL_DIVF    = 7'd79,
	parameter [2:0]   PLL_DIVQ    = 3'd5,
	parameter [2:0]   PLL_FILTER  = 3'd1,
	// link buffers (docs/link-protocol.md): RX FIFO 2^LINK_RX_FA bytes and
	// retransmit buffer 2^LINK_TX_BA bytes. 1 KiB of RX FIFO (2 EBRs, not
	// the link's default 2 KiB in 4) is the UP5K's choice: its EBRs are all
	// taken, and the credit window's bound, 1 KiB per 2 ms round trip =
	// 512 kB/s, is still above 3 Mbaud's 300 kB/s (12 Mbaud wants 4 KiB).
	parameter         LINK_RX_FA  = 10,
	parameter         LINK_TX_BA  = 10,
	// chip configuration ("up5k")
	parameter         CORES       = 1,
	parameter         LANES       = 16,
	parameter         WBITS       = 4,
	parameter         PBITS       = 16,
	parameter         GBITS       = 4,
	parameter         NEURONS     = 512,
	parameter         AXONS       = 2048,
	parameter         WWORDS      = 16384,
	parameter         AXSEGS      = 8,
	parameter         RTSEGS      = 8,
	parameter         WMEM_IMPL   = "spram",
	parameter [31:0]  BUILD_ID    = 32'h0
) (
	input  wire i_clk12,       // pin 35, 12 MHz oscillator
	input  wire i_btn_n,       // pin 10, user button (pull-up in the .pcf)
	input  wire i_uart_rx,     // pin 6, from the FT2232H (channel B TXD)
	output wire o_uart_tx,     // pin 9, to the FT2232H (channel B RXD)
	output wire o_led_r_n,     // pin 11
	output wire o_led_g_n      // pin 37
);
	localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;

	// ------------------------------------------------------------ clock
	wire clk;
	wire pll_lock;
	wire pll_core_unused, pll_sdo_unused;

	SB_PLL40_PAD #(
		.FEEDBACK_PATH ("SIMPLE"),
		.DIVR          (PLL_DIVR),
		.DIVF          (PLL_DIVF),
		.DIVQ          (PLL_DIVQ),
		.FILTER_RANGE  (PLL_FILTER)
	) u_pll (
		.PACKAGEPIN    (i_clk12),
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
	// Asserted at once (PLL out of lock, button), released two clock edges
	// after both are fine. Flops start at 0 after configuration, so the
	// chip is held in reset until the PLL first locks.
	wire       arst_n = pll_lock && i_btn_n;
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
	// at 30 MHz); a UART line seen low during one 2^21-cycle window keeps
	// the red LED on for that window and the next (70 ms at 30 MHz).
	reg  [24:0] led_div_q;
	reg         led_seen_q, led_act_q;
	wire        led_window = (led_div_q[20:0] == 21'd0);
	wire        line_busy = !i_uart_rx || !o_uart_tx;

	always @(posedge clk or negedge rst_n) begin
		if (!rst_n) begin
			led_div_q  <= 25'd0;
			led_seen_q <= 1'b0;
			led_act_q  <= 1'b0;
		end else begin
			led_div_q <= led_div_q + 25'd1;
			if (led_window) begin
				led_act_q  <= led_seen_q || line_busy;
				led_seen_q <= line_busy;
			end else if (line_busy) begin
				led_seen_q <= 1'b1;
				led_act_q  <= 1'b1;
			end
		end
	end

	assign o_led_g_n = !(rst_n && led_div_q[24]);
	assign o_led_r_n = !led_act_q;

	// the command/response activity pulses light no LED on this board
	wire unused_ok = &{1'b0, pll_core_unused, pll_sdo_unused, sys_cmd_taken, sys_rsp_sent};

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
