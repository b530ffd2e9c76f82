// SPDX-License-Identifier: Apache-2.0
//
// hone_link: the chip end of the host link (docs/link-protocol.md). UART
// bytes in, commands out on the i_cmd_* interface of hone_chip
// (docs/chip-interface.md); its responses out as UART bytes.
//
//   i_uart_rx -> hone_uart_rx -> hone_link_rx --(RX FIFO EBR)--> hone_link_parser -> o_cmd_*
//                                     |  acks, STATUS/NAK/RESET requests
//   o_uart_tx <- hone_uart_tx <- hone_link_tx (retransmit buffer EBR) <- i_rsp_*
//
// Memories: RX FIFO 2^RX_FA bytes, retransmit buffer 2^TX_BA bytes, both
// hone_ram_1r1w (iCE40 EBR: 512 bytes each, so 4 + 2 EBRs by default). The
// retransmit buffer holds 2^TX_BA / 2^ceil(log2(MAX_PAYLOAD + 2)) frames
// (8 by default): that is the chip's window.
`default_nettype none

module hone_link #(
	parameter CLKS_PER_BIT = 10,          // f_clk / baud, >= 3
	parameter RX_FA        = 11,          // RX FIFO 2^11 = 2048 bytes (8 .. 15)
	parameter TX_BA        = 10,          // retransmit buffer 1024 bytes
	parameter MAX_PAYLOAD  = 120,         // RDATA body bytes (<= 254)
	parameter RTO_CYCLES   = 2097152      // chip retransmission timeout
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	input  wire        i_uart_rx,
	output wire        o_uart_tx,
	// commands to hone_chip
	output wire        o_cmd_valid,
	input  wire        i_cmd_ready,
	output wire [2:0]  o_cmd_op,
	output wire [7:0]  o_cmd_target,
	output wire [2:0]  o_cmd_mem,
	output wire [15:0] o_cmd_addr,
	output wire [63:0] o_cmd_data,
	// responses from hone_chip
	input  wire        i_rsp_valid,
	output wire        o_rsp_ready,
	input  wire [2:0]  i_rsp_kind,
	input  wire [63:0] i_rsp_data
);
	// The link's registers reset synchronously (they share the flip-flops'
	// set/reset pin with their other clears): srst_q is set at once by
	// i_rst_n and released by the first clock edge after it, so the link
	// resets even if the clock only starts after i_rst_n. The UARTs keep
	// the asynchronous reset.
	reg  srst_q;
	wire link_rst_n = !srst_q;
	always @(posedge i_clk or negedge i_rst_n)
		if (!i_rst_n)
			srst_q <= 1'b1;
		else
			srst_q <= 1'b0;

	// ---------------------------------------------------------- UART
	wire       urx_valid, urx_err;
	wire [7:0] urx_data;
	wire       utx_valid, utx_ready;
	wire [7:0] utx_data;

	hone_uart_rx #(
		.CLKS_PER_BIT (CLKS_PER_BIT)
	) u_uart_rx (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_rx    (i_uart_rx),
		.o_valid (urx_valid),
		.o_data  (urx_data),
		.o_err   (urx_err)
	);

	hone_uart_tx #(
		.CLKS_PER_BIT (CLKS_PER_BIT)
	) u_uart_tx (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (utx_valid),
		.i_data  (utx_data),
		.o_ready (utx_ready),
		.o_tx    (o_uart_tx)
	);

	// ---------------------------------------------------------- receive
	wire             fifo_we;
	wire [RX_FA-1:0] fifo_waddr, fifo_raddr;
	wire [7:0]       fifo_wdata, fifo_rdata;
	wire [RX_FA:0]   head, commit;
	wire             ack_valid, ack_nak, poll, status_req, nak_req;
	wire             reset_ack_req, link_reset, proto_err;
	wire [7:0]       ack, nonce, expected;

	hone_link_rx #(
		.FA (RX_FA)
	) u_rx (
		.i_clk           (i_clk),
		.i_rst_n         (link_rst_n),
		.i_byte_valid    (urx_valid),
		.i_byte          (urx_data),
		.i_byte_err      (urx_err),
		.o_we            (fifo_we),
		.o_waddr         (fifo_waddr),
		.o_wdata         (fifo_wdata),
		.i_head          (head),
		.o_commit        (commit),
		.o_ack_valid     (ack_valid),
		.o_ack           (ack),
		.o_ack_nak       (ack_nak),
		.o_poll          (poll),
		.o_status_req    (status_req),
		.o_nak_req       (nak_req),
		.o_reset_ack_req (reset_ack_req),
		.o_link_reset    (link_reset),
		.o_nonce         (nonce),
		.o_expected      (expected)
	);

	hone_ram_1r1w #(
		.WIDTH (8),
		.ABITS (RX_FA)
	) u_rx_fifo (
		.i_clk   (i_clk),
		.i_we    (fifo_we),
		.i_waddr (fifo_waddr),
		.i_wdata (fifo_wdata),
		.i_raddr (fifo_raddr),
		.o_rdata (fifo_rdata)
	);

	hone_link_parser #(
		.FA (RX_FA)
	) u_parser (
		.i_clk        (i_clk),
		.i_rst_n      (link_rst_n),
		.i_flush      (link_reset),
		.o_raddr      (fifo_raddr),
		.i_rdata      (fifo_rdata),
		.i_commit     (commit),
		.o_head       (head),
		.o_cmd_valid  (o_cmd_valid),
		.i_cmd_ready  (i_cmd_ready),
		.o_cmd_op     (o_cmd_op),
		.o_cmd_target (o_cmd_target),
		.o_cmd_mem    (o_cmd_mem),
		.o_cmd_addr   (o_cmd_addr),
		.o_cmd_data   (o_cmd_data),
		.o_proto_err  (proto_err)
	);

	// credit: free FIFO bytes behind everything committed, 2^RX_FA - (commit
	// - head): head - commit (mod 2^(RX_FA+1)) with its top bit flipped.
	// The host keeps 4 of them spare for the CRC the receiver writes
	// behind each body before it checks it.
	wire [RX_FA:0] used_neg = head - commit;
	wire [RX_FA:0] credit = {~used_neg[RX_FA], used_neg[RX_FA-1:0]};

	// a STATUS each time the parser has taken another 256 bytes (a quarter
	// of a smaller FIFO): a host waiting for credit hears of it
	localparam integer STEP_BIT = (RX_FA - 2 < 8) ? RX_FA - 2 : 8;
	reg  step_q;
	wire step_req = (step_q != head[STEP_BIT]);
	always @(posedge i_clk)
		step_q <= head[STEP_BIT];

	// ---------------------------------------------------------- transmit
	hone_link_tx #(
		.BA          (TX_BA),
		.MAX_PAYLOAD (MAX_PAYLOAD),
		.RTO_CYCLES  (RTO_CYCLES),
		.CB          (RX_FA + 1)
	) u_tx (
		.i_clk           (i_clk),
		.i_rst_n         (link_rst_n),
		.i_rsp_valid     (i_rsp_valid),
		.o_rsp_ready     (o_rsp_ready),
		.i_rsp_kind      (i_rsp_kind),
		.i_rsp_data      (i_rsp_data),
		.i_link_reset    (link_reset),
		.i_reset_ack_req (reset_ack_req),
		.i_nonce         (nonce),
		.i_ack_valid     (ack_valid),
		.i_ack           (ack),
		.i_ack_nak       (ack_nak),
		.i_poll          (poll),
		.i_status_req    (status_req || step_req),
		.i_nak_req       (nak_req),
		.i_expected      (expected),
		.i_credit        (credit),
		.i_proto_err     (proto_err),
		.o_tx_valid      (utx_valid),
		.o_tx_data       (utx_data),
		.i_tx_ready      (utx_ready)
	);
endmodule
