// SPDX-License-Identifier: Apache-2.0
//
// hone_system: what a hone board runs, minus the pads: hone_link (the host
// link over the FT2232H's UART, docs/link-protocol.md) in front of
// hone_chip (docs/chip-interface.md), with the UART pins at the top.
//
//   i_uart_rx -> hone_link --cmd--> hone_chip
//   o_uart_tx <- hone_link <--rsp-- hone_chip
//
// The board tops (hone_top_icebreaker.v, hone_top_hx8k.v) put a PLL, a
// reset synchroniser and LEDs around it; the board models of sim/board
// simulate it as it is, the clock and the reset from the harness. Every
// parameter of the link and of the chip is passed through, with their own
// defaults: a board sets the chip configuration (host/src/config.c) and
// CLKS_PER_BIT (core clock / baud rate: 10 at 30 MHz and 3 Mbaud; the
// simulation uses a few clocks a bit).
//
// o_cmd_taken and o_rsp_sent are the two handshakes of the command
// interface (a command taken by the chip, a response taken by the link),
// one-cycle pulses for activity LEDs.
`default_nettype none

module hone_system #(
	// link (hone_link.v)
	parameter CLKS_PER_BIT = 10,          // f_clk / baud, >= 3
	parameter RX_FA        = 11,          // RX FIFO 2^RX_FA bytes
	parameter TX_BA        = 10,          // retransmit buffer 2^TX_BA bytes
	parameter MAX_PAYLOAD  = 120,         // RDATA body bytes (<= 254)
	parameter RTO_CYCLES   = 2097152,     // chip retransmission timeout
	// chip (hone_chip.v)
	parameter CORES        = 4,
	parameter LANES        = 4,
	parameter WBITS        = 4,
	parameter PBITS        = 16,
	parameter GBITS        = 4,
	parameter NEURONS      = 32,
	parameter AXONS        = 128,
	parameter WWORDS       = 256,
	parameter AXSEGS       = 8,
	parameter RTSEGS       = 8,
	parameter EQ_ABITS     = 1,
	parameter WMEM_IMPL    = "behavioural",
	parameter [31:0] BUILD_ID = 32'h0
) (
	input  wire i_clk,
	input  wire i_rst_n,
	input  wire i_uart_rx,      // from the FT2232H (its TXD)
	output wire o_uart_tx,      // to the FT2232H (its RXD)
	output wire o_cmd_taken,    // a command went from the link to the chip
	output wire o_rsp_sent      // a response went from the chip to the link
);
	wire        lk_cmd_valid, ch_cmd_ready, ch_rsp_valid, lk_rsp_ready;
	wire [2:0]  lk_cmd_op, lk_cmd_mem, ch_rsp_kind;
	wire [7:0]  lk_cmd_target;
	wire [15:0] lk_cmd_addr;
	wire [63:0] lk_cmd_data, ch_rsp_data;

	hone_link #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.TX_BA        (TX_BA),
		.MAX_PAYLOAD  (MAX_PAYLOAD),
		.RTO_CYCLES   (RTO_CYCLES)
	) u_link (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_valid  (lk_cmd_valid),
		.i_cmd_ready  (ch_cmd_ready),
		.o_cmd_op     (lk_cmd_op),
		.o_cmd_target (lk_cmd_target),
		.o_cmd_mem    (lk_cmd_mem),
		.o_cmd_addr   (lk_cmd_addr),
		.o_cmd_data   (lk_cmd_data),
		.i_rsp_valid  (ch_rsp_valid),
		.o_rsp_ready  (lk_rsp_ready),
		.i_rsp_kind   (ch_rsp_kind),
		.i_rsp_data   (ch_rsp_data)
	);

	hone_chip #(
		.CORES     (CORES),
		.LANES     (LANES),
		.WBITS     (WBITS),
		.PBITS     (PBITS),
		.GBITS     (GBITS),
		.NEURONS   (NEURONS),
		.AXONS     (AXONS),
		.WWORDS    (WWORDS),
		.AXSEGS    (AXSEGS),
		.RTSEGS    (RTSEGS),
		.EQ_ABITS  (EQ_ABITS),
		.WMEM_IMPL (WMEM_IMPL),
		.BUILD_ID  (BUILD_ID)
	) u_chip (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_cmd_valid  (lk_cmd_valid),
		.o_cmd_ready  (ch_cmd_ready),
		.i_cmd_op     (lk_cmd_op),
		.i_cmd_target (lk_cmd_target),
		.i_cmd_mem    (lk_cmd_mem),
		.i_cmd_addr   (lk_cmd_addr),
		.i_cmd_data   (lk_cmd_data),
		.o_rsp_valid  (ch_rsp_valid),
		.i_rsp_ready  (lk_rsp_ready),
		.o_rsp_kind   (ch_rsp_kind),
		.o_rsp_data   (ch_rsp_data)
	);

	assign o_cmd_taken = lk_cmd_valid && ch_cmd_ready;
	assign o_rsp_sent  = ch_rsp_valid && lk_rsp_ready;
endmodule
