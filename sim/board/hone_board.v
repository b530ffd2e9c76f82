// SPDX-License-Identifier: Apache-2.0
//
// hone_board: the logic of a hone board for simulation: rtl/hone_link.v in
// front of rtl/hone_chip.v, the FT2232H's UART pins at the top, nothing
// else. It is the board tops (rtl/hone_top_icebreaker.v, hone_top_hx8k.v)
// without the PLL, the reset synchroniser and the LEDs: the clock and the
// reset come straight from the harness (sim/board/hone_board.cpp).
//
// CLKS_PER_BIT: the simulation runs the UART at a few clocks per bit (4 by
// default, sim/board/module.mk's BOARD_CPB) so that a byte costs 40 cycles
// of simulation instead of the 100 of the iCEBreaker build (30 MHz core
// clock, 3 Mbaud: 10 clocks a bit, derived by hone_top_icebreaker from
// CLK_HZ and BAUD). The link and the chip are the same RTL either way; only
// the bit time differs.
//
// The chip parameters are those of a configuration (host/src/config.c,
// printed by sim/hone_genparams as -G flags), with the behavioural weight
// memory of the simulation builds.
`default_nettype none

module hone_board #(
	parameter CLKS_PER_BIT = 4,
	parameter RX_FA        = 11,          // link RX FIFO 2048 bytes
	parameter TX_BA        = 10,          // retransmit buffer 1024 bytes
	parameter RTO_CYCLES   = 2097152,     // chip retransmission timeout
	parameter CORES        = 1,
	parameter LANES        = 16,
	parameter WBITS        = 4,
	parameter PBITS        = 16,
	parameter GBITS        = 4,
	parameter NEURONS      = 512,
	parameter AXONS        = 2048,
	parameter WWORDS       = 16384,
	parameter AXSEGS       = 8,
	parameter RTSEGS       = 8,
	parameter WMEM_IMPL    = "behavioural",
	parameter [31:0] BUILD_ID = 32'h0
) (
	input  wire i_clk,
	input  wire i_rst_n,
	input  wire i_uart_rx,      // from the FT2232H (its TXD)
	output wire o_uart_tx       // to the FT2232H (its RXD)
);
	wire        cmd_valid, cmd_ready, rsp_valid, rsp_ready;
	wire [2:0]  cmd_op, cmd_mem, rsp_kind;
	wire [7:0]  cmd_target;
	wire [15:0] cmd_addr;
	wire [63:0] cmd_data, rsp_data;

	hone_link #(
		.CLKS_PER_BIT (CLKS_PER_BIT),
		.RX_FA        (RX_FA),
		.TX_BA        (TX_BA),
		.RTO_CYCLES   (RTO_CYCLES)
	) u_link (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
		.i_uart_rx    (i_uart_rx),
		.o_uart_tx    (o_uart_tx),
		.o_cmd_valid  (cmd_valid),
		.i_cmd_ready  (cmd_ready),
		.o_cmd_op     (cmd_op),
		.o_cmd_target (cmd_target),
		.o_cmd_mem    (cmd_mem),
		.o_cmd_addr   (cmd_addr),
		.o_cmd_data   (cmd_data),
		.i_rsp_valid  (rsp_valid),
		.o_rsp_ready  (rsp_ready),
		.i_rsp_kind   (rsp_kind),
		.i_rsp_data   (rsp_data)
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
		.WMEM_IMPL (WMEM_IMPL),
		.BUILD_ID  (BUILD_ID)
	) u_chip (
		.i_clk        (i_clk),
		.i_rst_n      (i_rst_n),
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
endmodule
