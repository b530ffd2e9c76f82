// SPDX-License-Identifier: Apache-2.0
//
// hone_chip: CORES spiking cores, the input port, the address-event fabric,
// the counters and the command interface of docs/chip-interface.md.
//
//   command stream --> DEC_ decoder --+--> cfg bus -----------> cores
//                                     +--> IN_ input port --+
//                                                           v
//        cores' routers ------------------------------> hone_fabric
//                                                           |
//        cores' event queues <------------------------------+
//        HQ_ host spike queue <-----------------------------+
//   response stream <-- RSP_ mux <-- HQ_ (SPIKE), TRC_ (TRACE), DEC_ (rest)
//
// Tick barrier: the decoder holds a TICK until the chip is quiet (every
// queue, the fabric and every engine empty), then starts the fire sweep of
// all cores at once. Spikes of the sweep wait in each core's spike bitmap
// (its router sends them when the sweep ended); a core integrates again as soon as its own sweep ended, so the spikes of
// tick t are integrated (as events of tick t+1) while other cores still
// sweep, and the fire phase cannot deadlock. TICK_DONE is answered once
// every sweep ended and every spike of the tick left its core (so every
// SPIKE and TRACE response of the tick went out before it).
//
// READ, WRITE, TRACE, COUNTERS and CAPS wait for the chip to be quiet, so a
// read sees every event sent before it integrated. The decoder keeps no
// copy of a command: a WRITE is taken only when the core has done it (its
// fields stay on the bus meanwhile, valid/ready), the others when they
// start; what their answers need (op, word index, the CHIPREG value read)
// is a few bits.
`default_nettype none

module hone_chip #(
	parameter CORES     = 4,
	parameter LANES     = 4,
	parameter WBITS     = 4,
	parameter PBITS     = 16,
	parameter GBITS     = 4,
	parameter NEURONS   = 32,
	parameter AXONS     = 128,
	parameter WWORDS    = 256,
	parameter AXSEGS    = 8,
	parameter RTSEGS    = 8,
	parameter EQ_ABITS  = 1,
	parameter WMEM_IMPL = "behavioural",
	parameter [31:0] BUILD_ID = 32'h0
) (
	input  wire        i_clk,
	input  wire        i_rst_n,
	input  wire        i_cmd_valid,
	output wire        o_cmd_ready,
	input  wire [2:0]  i_cmd_op,
	input  wire [7:0]  i_cmd_target,
	input  wire [2:0]  i_cmd_mem,
	input  wire [15:0] i_cmd_addr,
	input  wire [63:0] i_cmd_data,
	output reg         o_rsp_valid,
	input  wire        i_rsp_ready,
	output reg  [2:0]  o_rsp_kind,
	output reg  [63:0] o_rsp_data
);
	localparam [7:0] PROTOCOL_VERSION = 8'd2;   // link protocol (docs/link-protocol.md)
	localparam PW = 12 + GBITS;              // fabric payload {axon, g}

	localparam [2:0] OP_WRITE = 3'd0, OP_READ = 3'd1, OP_EVENT = 3'd2,
	                 OP_TICK = 3'd3, OP_TRACE = 3'd4, OP_COUNTERS = 3'd5,
	                 OP_CAPS = 3'd6;
	localparam [2:0] RSP_READ_DATA = 3'd0, RSP_SPIKE = 3'd1,
	                 RSP_TICK_DONE = 3'd2, RSP_TRACE = 3'd3,
	                 RSP_COUNTER = 3'd4, RSP_CAPS = 3'd5;
	localparam [2:0] MEM_CHIPREG = 3'd0, MEM_CMD = 3'd7;
	localparam [7:0] TARGET_CHIP = 8'hFF;

	localparam [3:0] D_IDLE = 4'd0, D_WRITE = 4'd1, D_READ = 4'd2,
	                 D_FIRE = 4'd3, D_RESP = 4'd4, D_NEXT = 4'd5,
	                 D_WSTART = 4'd6, D_RSTART = 4'd7, D_TSTART = 4'd8,
	                 D_COMMIT = 4'd9, D_CNT = 4'd10;

	// ------------------------------------------------------------ decoder state
	reg  [3:0]    dec_state_q, dec_state_d;
	reg  [2:0]    dec_op_q, dec_op_d;       // op being answered
	reg  [1:0]    dec_idx_q, dec_idx_d;     // word of a multi-word answer
	reg  [63:0]   ans_q, ans_d;             // the answer word (READ_DATA, COUNTER, ...)
	reg           trace_en_q, trace_en_d;

	// CHIPREG registers, as wide as their values can be (the host refuses
	// a core mask beyond CORES and a base beyond AXONS: chip-image.md)
	localparam AB = $clog2(AXONS);
	reg  [CORES-1:0] in_mask_q, in_mask_d;  // CHIPREG input_core_mask
	reg  [AB-1:0]    in_abase_q, in_abase_d;// CHIPREG input_axon_base
	reg  [15:0] in_n_q, in_n_d;             // CHIPREG n_inputs

	// Counters are 48 bits, zero-extended to the 64 of the COUNTER word:
	// 2^48 cycles are 108 days at 30 MHz. cycles counts in flops; events,
	// sops and ticks live in the counter RAM (CU_, below).
	localparam CW = 48;
	reg  [CW-1:0] cnt_cycles_q, cnt_cycles_d;
	// per core: events and sops integrated and not yet committed
	reg  [CORES*32-1:0] acc_events_q, acc_events_d;
	reg  [CORES*40-1:0] acc_sops_q, acc_sops_d;
	// the counter unit's piece for the answer register, and its state
	reg           cu_shift;
	reg  [15:0]   cu_piece;
	wire          cu_busy;

	// ------------------------------------------------------------ cores
	wire [CORES-1:0]       core_busy, core_rebuild, core_fire_busy, core_cnt_event;
	wire [CORES*12-1:0]    core_cnt_sops;
	wire [CORES-1:0]       core_rd_valid, core_rd_piece_valid;
	wire [CORES*64-1:0]    core_rd_word;
	wire [CORES*16-1:0]    core_rd_piece;
	wire [CORES-1:0]       core_ev_valid, core_ev_ready;
	wire [CORES*PW-1:0]    core_ev_payload;
	wire [CORES-1:0]       core_pkt_valid, core_pkt_ready;
	wire [CORES*(CORES+1)-1:0] core_pkt_mask;
	wire [CORES*12-1:0]    core_pkt_axon;
	wire [CORES-1:0]       core_tr_valid, core_tr_ready, core_tr_s;
	wire [CORES*13-1:0]    core_tr_slot;
	wire [CORES*PBITS-1:0] core_tr_u;
	// The cores' write and read strobes are registered (the command's
	// fields stay on the bus until it is taken, so they need no copy).
	reg  [CORES-1:0]       cfg_we, cfg_re;
	reg  [CORES-1:0]       cfg_we_q, cfg_re_q;
	reg                    fire;

	genvar gc;
	generate
		for (gc = 0; gc < CORES; gc = gc + 1) begin : gen_core
			hone_core #(
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
				.WMEM_IMPL (WMEM_IMPL)
			) u_core (
				.i_clk         (i_clk),
				.i_rst_n       (i_rst_n),
				.i_cfg_we      (cfg_we_q[gc]),
				.i_cfg_re      (cfg_re_q[gc]),
				.i_cfg_mem     (i_cmd_mem),
				.i_cfg_addr    (i_cmd_addr),
				.i_cfg_wdata   (i_cmd_data),
				.o_rd_valid       (core_rd_valid[gc]),
				.o_rd_word        (core_rd_word[gc*64 +: 64]),
				.o_rd_piece_valid (core_rd_piece_valid[gc]),
				.o_rd_piece       (core_rd_piece[gc*16 +: 16]),
				.i_fire        (fire),
				.i_trace_en    (trace_en_q),
				.i_ev_valid    (core_ev_valid[gc]),
				.o_ev_ready    (core_ev_ready[gc]),
				.i_ev_axon     (core_ev_payload[gc*PW + GBITS +: 12]),
				.i_ev_g        (core_ev_payload[gc*PW +: GBITS]),
				.o_pkt_valid   (core_pkt_valid[gc]),
				.i_pkt_ready   (core_pkt_ready[gc]),
				.o_pkt_mask    (core_pkt_mask[gc*(CORES+1) +: CORES+1]),
				.o_pkt_axon    (core_pkt_axon[gc*12 +: 12]),
				.o_trace_valid (core_tr_valid[gc]),
				.i_trace_ready (core_tr_ready[gc]),
				.o_trace_slot  (core_tr_slot[gc*13 +: 13]),
				.o_trace_u     (core_tr_u[gc*PBITS +: PBITS]),
				.o_trace_s     (core_tr_s[gc]),
				.o_busy        (core_busy[gc]),
				.o_rebuild     (core_rebuild[gc]),
				.o_fire_busy   (core_fire_busy[gc]),
				.o_cnt_event   (core_cnt_event[gc]),
				.o_cnt_sops    (core_cnt_sops[gc*12 +: 12])
			);
		end
	endgenerate

	// ------------------------------------------------------------ input port
	// EVENT (input i, g): axon input_axon_base + i on every core of
	// input_core_mask; g = 0 and i >= n_inputs send nothing.
	wire          in_push_ready, in_valid, in_ready;
	wire [PW-1:0] in_payload;
	wire [1:0]    in_count;
	wire          in_event = (i_cmd_op == OP_EVENT);
	wire          in_keep = (i_cmd_data[GBITS-1:0] != {GBITS{1'b0}}) &&
	                        (i_cmd_addr < in_n_q) &&
	                        (in_mask_q != {CORES{1'b0}});
	wire [11:0]   in_axon = {{(12-AB){1'b0}}, in_abase_q} + i_cmd_addr[11:0];
	wire          in_push = (dec_state_q == D_IDLE) && i_cmd_valid && in_event && in_keep;

	hone_fifo #(
		.WIDTH (PW),
		.ABITS (1)
	) u_input_queue (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (in_push),
		.o_ready (in_push_ready),
		.i_data  ({in_axon, i_cmd_data[GBITS-1:0]}),
		.o_valid (in_valid),
		.i_ready (in_ready),
		.o_data  (in_payload),
		.o_count (in_count)
	);

	// ------------------------------------------------------------ fabric
	// Sources 0..CORES-1: routers; source CORES: input port.
	// Destinations 0..CORES-1: cores; destination CORES: host.
	localparam SRCS = CORES + 1, DSTS = CORES + 1;
	reg  [SRCS-1:0]      fab_valid;
	wire [SRCS-1:0]      fab_ready;
	reg  [SRCS*DSTS-1:0] fab_mask;
	reg  [SRCS*PW-1:0]   fab_payload;
	wire [DSTS-1:0]      fab_out_valid, fab_out_ready;
	wire [DSTS*PW-1:0]   fab_out_payload;
	wire                 fab_busy;

	integer c;
	always @(*) begin
		for (c = 0; c < CORES; c = c + 1) begin
			fab_valid[c] = core_pkt_valid[c];
			fab_mask[c*DSTS +: DSTS] = core_pkt_mask[c*(CORES+1) +: CORES+1];
			fab_payload[c*PW +: PW] = {core_pkt_axon[c*12 +: 12], {{(GBITS-1){1'b0}}, 1'b1}};
		end
		fab_valid[CORES] = in_valid;
		fab_mask[CORES*DSTS +: DSTS] = {1'b0, in_mask_q};
		fab_payload[CORES*PW +: PW] = in_payload;
	end
	assign core_pkt_ready = fab_ready[CORES-1:0];
	assign in_ready = fab_ready[CORES];
	assign core_ev_valid = fab_out_valid[CORES-1:0];
	assign core_ev_payload = fab_out_payload[CORES*PW-1:0];

	hone_fabric #(
		.SRCS (SRCS),
		.DSTS (DSTS),
		.PW   (PW)
	) u_fabric (
		.i_clk     (i_clk),
		.i_rst_n   (i_rst_n),
		.i_valid   (fab_valid),
		.o_ready   (fab_ready),
		.i_mask    (fab_mask),
		.i_payload (fab_payload),
		.o_valid   (fab_out_valid),
		.i_ready   (fab_out_ready),
		.o_payload (fab_out_payload),
		.o_busy    (fab_busy)
	);

	// ------------------------------------------------------------ host spikes
	wire        hq_push_ready, hq_valid, hq_ready;
	wire [11:0] hq_id;
	wire [1:0]  hq_count;
	assign fab_out_ready = {hq_push_ready, core_ev_ready};

	hone_fifo #(
		.WIDTH (12),
		.ABITS (1)
	) u_host_queue (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (fab_out_valid[CORES]),
		.o_ready (hq_push_ready),
		.i_data  (fab_out_payload[CORES*PW + GBITS +: 12]),
		.o_valid (hq_valid),
		.i_ready (hq_ready),
		.o_data  (hq_id),
		.o_count (hq_count)
	);

	// ------------------------------------------------------------ traces
	wire [CORES-1:0] trc_grant;
	wire             trc_valid = (core_tr_valid != {CORES{1'b0}});
	wire             trc_take;
	reg  [63:0]      trc_data;

	hone_rr_arb #(
		.N (CORES)
	) u_trace_arb (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_req   (core_tr_valid),
		.i_take  (trc_take),
		.o_grant (trc_grant)
	);
	assign core_tr_ready = trc_take ? trc_grant : {CORES{1'b0}};

	reg [3:0] trc_core;
	always @(*) begin
		trc_data = 64'd0;
		trc_core = 4'd0;
		for (c = 0; c < CORES; c = c + 1) begin
			if (trc_grant[c]) begin
				trc_core = c[3:0];
				trc_data[12:0] = core_tr_slot[c*13 +: 13];
				trc_data[47:24] = {{(24-PBITS){core_tr_u[c*PBITS + PBITS-1]}},
				                   core_tr_u[c*PBITS +: PBITS]};
				trc_data[48] = core_tr_s[c];
			end
		end
		trc_data[19:16] = trc_core;
	end

	// ------------------------------------------------------------ responses
	// Spikes and traces first; the decoder answers only when they are drained.
	reg        dec_rsp_valid;
	reg [2:0]  dec_rsp_kind;
	reg [63:0] dec_rsp_data;
	wire       dec_rsp_take = dec_rsp_valid && !hq_valid && !trc_valid && i_rsp_ready;
	assign hq_ready = i_rsp_ready;
	assign trc_take = !hq_valid && i_rsp_ready;

	always @(*) begin
		if (hq_valid) begin
			o_rsp_valid = 1'b1;
			o_rsp_kind = RSP_SPIKE;
			o_rsp_data = {52'd0, hq_id};
		end else if (trc_valid) begin
			o_rsp_valid = 1'b1;
			o_rsp_kind = RSP_TRACE;
			o_rsp_data = trc_data;
		end else begin
			o_rsp_valid = dec_rsp_valid;
			o_rsp_kind = dec_rsp_kind;
			o_rsp_data = dec_rsp_data;
		end
	end

	// ------------------------------------------------------------ decoder
	wire engines_idle = (core_busy == {CORES{1'b0}}) && !in_valid && !hq_valid && !fab_busy;
	// quiet: nothing in flight anywhere. A WRITE need not wait for the axon
	// tables being rebuilt (it only restarts that), everything else does.
	wire quiet = engines_idle && (core_rebuild == {CORES{1'b0}}) && !cu_busy;
	wire fire_done = (core_fire_busy == {CORES{1'b0}}) && !hq_valid;
	wire cmd_core = ({24'd0, i_cmd_target} < CORES);
	// (registered, so the command's ready does not wait for every engine's
	// busy flag: what was quiet a cycle ago still is, unless the decoder
	// itself started something, and in D_IDLE that can only be an EVENT
	// pushed into the input queue: a command waits a cycle after one)
	reg  idle_q, quiet_q, in_push_q, core_idle_q, wr_more_q;
	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			idle_q      <= 1'b0;
			quiet_q     <= 1'b0;
			in_push_q   <= 1'b0;
			core_idle_q <= 1'b0;
			wr_more_q   <= 1'b0;
		end else begin
			idle_q      <= engines_idle && !cu_busy;
			quiet_q     <= quiet;
			in_push_q   <= in_push;
			core_idle_q <= (core_busy == {CORES{1'b0}});
			wr_more_q   <= (dec_state_q == D_WRITE);
		end
	end
	wire cmd_go = i_cmd_valid && !in_event && (dec_state_q == D_IDLE) && !in_push_q &&
	              ((i_cmd_op == OP_WRITE) ? idle_q : quiet_q);
	// a WRITE is taken when the cores are done with it; the rest at once
	reg  cmd_take;

	// An EVENT is taken whenever the input queue has room, and pushed only
	// if it is kept (so the ready does not wait for the n_inputs compare).
	assign o_cmd_ready = ((dec_state_q == D_IDLE) && in_event && in_push_ready) || cmd_take;

	always @(*) begin
		case (dec_op_q)
		OP_READ:     dec_rsp_kind = RSP_READ_DATA;
		OP_COUNTERS: dec_rsp_kind = RSP_COUNTER;
		OP_CAPS:     dec_rsp_kind = RSP_CAPS;
		default:     dec_rsp_kind = RSP_TICK_DONE;
		endcase
		dec_rsp_data = ans_q;
		dec_rsp_valid = (dec_state_q == D_RESP);
	end

	// The answer register: a core's read word or pieces, CHIPREG, the
	// counters one after the other (cycles as COUNTERS executes), CAPS,
	// the number of the tick that ended.
	wire [63:0] caps0 = {BUILD_ID, 3'd0, GBITS[3:0], PBITS[4:0], WBITS[3:0],
	                     LANES[7:0], CORES[7:0]};
	wire [63:0] caps1 = {PROTOCOL_VERSION, WWORDS[23:0], AXONS[15:0], NEURONS[15:0]};
	// One-hot selects and an AND-OR of the sources (a priority chain maps
	// to several times the LUTs); the register keeps its value otherwise.
	// (the next word of a COUNTERS or CAPS answer loads in D_NEXT, after
	// the take, so the response handshake stays off this logic)
	// While the decoder is idle the register loads, every cycle, the answer
	// the command on the bus would have if it started now (CHIPREG,
	// cycles, CAPS word 0): the cycle it starts is the last such load, so
	// the enable does not wait for the chip to be quiet. Every other
	// answer replaces all 64 bits (a core's word, four pieces) before the
	// response is sent.
	wire resp_next = (dec_state_q == D_NEXT);
	wire dec_idle = (dec_state_q == D_IDLE);
	wire a_word  = (core_rd_valid != {CORES{1'b0}});
	wire a_piece = (core_rd_piece_valid != {CORES{1'b0}});
	wire a_creg  = dec_idle && i_cmd_op == OP_READ && !cmd_core;
	wire a_cyc   = dec_idle && i_cmd_op == OP_COUNTERS;
	wire a_caps0 = dec_idle && i_cmd_op == OP_CAPS;
	wire a_caps1 = resp_next && dec_op_q == OP_CAPS;
	wire a_shift = a_piece || cu_shift;
	wire ans_en  = a_word || a_shift || dec_idle || a_caps1;
	reg  [63:0] rd_word, rd_piece;
	reg  [15:0] creg;
	always @(*) begin
		rd_word = 64'd0;
		rd_piece = 64'd0;
		for (c = 0; c < CORES; c = c + 1) begin
			rd_word = rd_word | (core_rd_word[c*64 +: 64] & {64{core_rd_valid[c]}});
			rd_piece[63:48] = rd_piece[63:48] |
			                  (core_rd_piece[c*16 +: 16] & {16{core_rd_piece_valid[c]}});
		end
		rd_piece[63:48] = rd_piece[63:48] | cu_piece;
		rd_piece[47:0] = ans_q[63:16] & {48{a_shift}};
		creg = 16'd0;
		if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CHIPREG)
			case (i_cmd_addr)
			16'd0: creg[CORES-1:0] = in_mask_q;
			16'd1: creg[AB-1:0] = in_abase_q;
			16'd2: creg = in_n_q;
			default: ;
			endcase
		ans_d = rd_word | rd_piece |
		        {48'd0, creg & {16{a_creg}}} |
		        ({{(64-CW){1'b0}}, cnt_cycles_q} & {64{a_cyc}}) |
		        (caps0 & {64{a_caps0}}) | (caps1 & {64{a_caps1}});
	end

	// ------------------------------------------------------------ counter RAM
	// events, sops and ticks, three 16-bit pieces each (one EBR): word
	// {counter, piece}, counter 0 events, 1 sops, 2 ticks. One 16-bit adder
	// updates them while a TICK executes (the chip is quiet then): each
	// core's uncommitted events and sops are added (read a piece, add with
	// the carry, write it back, one piece a cycle), then ticks + 1, whose
	// pieces 0, 1 (before the increment: the number of the tick that ends)
	// go into the answer register for TICK_DONE. A COUNTERS answer word
	// reads its counter the same way into the answer register (pieces 0,
	// 1, 2, then a zero piece, shifted in from the top). Cleared after
	// reset (16 cycles).
	localparam CI = (CORES > 1) ? $clog2(2 * CORES + 1) : 2;   // item bits
	reg  [CI-1:0]  cu_item_q, cu_item_d;    // TICK: 2c events, 2c+1 sops (core c), 2*CORES ticks
	reg  [2:0]     cu_ph_q, cu_ph_d;        // piece phase of the item
	reg            cu_run_q, cu_run_d;
	reg            cu_tick_q, cu_tick_d;    // 1: TICK's commit, 0: read one counter
	reg  [1:0]     cu_ctr_q, cu_ctr_d;      // counter of a read
	reg            cu_carry_q, cu_carry_d;
	reg            cu_clr_q, cu_clr_d;      // clearing after reset
	reg  [3:0]     cu_clr_n_q, cu_clr_n_d;
	reg            cu_we;
	reg  [7:0]     cu_waddr, cu_raddr;
	reg  [15:0]    cu_wdata;
	wire [15:0]    cu_rdata;
	assign         cu_busy = cu_run_q || cu_clr_q;

	hone_ram_1r1w #(
		.WIDTH (16),
		.ABITS (8)
	) u_counters (
		.i_clk   (i_clk),
		.i_we    (cu_we),
		.i_waddr (cu_waddr),
		.i_wdata (cu_wdata),
		.i_raddr (cu_raddr),
		.o_rdata (cu_rdata)
	);

	// the item's counter and the piece of its addend for this phase
	reg  [1:0]  cu_ctr;
	reg         cu_cap;                     // the item goes into ans_q
	reg  [15:0] cu_add;
	wire [1:0]  cu_p = cu_ph_q[1:0] - 2'd1; // the piece arriving (phases 1..3)
	wire [16:0] cu_sum = {1'b0, cu_rdata} + {1'b0, cu_add} + {16'd0, cu_carry_q};
	wire        cu_last_item = !cu_tick_q || ({{(32-CI){1'b0}}, cu_item_q} == 2 * CORES);
	reg  [47:0] cu_opnd;
	always @(*) begin
		cu_opnd = 48'd0;
		cu_ctr = cu_ctr_q;
		cu_cap = !cu_tick_q;
		if (cu_tick_q) begin
			cu_ctr = 2'd2;
			cu_cap = 1'b1;
			cu_opnd = 48'd1;
			for (c = 0; c < CORES; c = c + 1) begin
				if ({{(32-CI){1'b0}}, cu_item_q} == 2 * c) begin
					cu_ctr = 2'd0;
					cu_cap = 1'b0;
					cu_opnd = {16'd0, acc_events_q[c*32 +: 32]};
				end
				if ({{(32-CI){1'b0}}, cu_item_q} == 2 * c + 1) begin
					cu_ctr = 2'd1;
					cu_cap = 1'b0;
					cu_opnd = {8'd0, acc_sops_q[c*40 +: 40]};
				end
			end
		end
		case (cu_p)
		2'd0: cu_add = cu_opnd[15:0];
		2'd1: cu_add = cu_opnd[31:16];
		default: cu_add = cu_opnd[47:32];
		endcase
		if (!cu_tick_q)
			cu_add = 16'd0;

		cu_raddr = {4'd0, cu_ctr, cu_ph_q[1:0]};
		cu_we = cu_run_q && cu_tick_q && cu_ph_q != 3'd0 && cu_ph_q != 3'd4;
		cu_waddr = {4'd0, cu_ctr, cu_p};
		cu_wdata = cu_sum[15:0];
		// pieces into ans: reads 0, 1, 2 then zero; TICK_DONE 0, 1 then zeros
		cu_shift = cu_run_q && cu_cap && cu_ph_q != 3'd0;
		cu_piece = (cu_shift && cu_ph_q != 3'd4 && !(cu_tick_q && cu_ph_q == 3'd3)) ? cu_rdata : 16'd0;
		if (cu_clr_q) begin
			cu_we = 1'b1;
			cu_waddr = {4'd0, cu_clr_n_q};
			cu_wdata = 16'd0;
		end

		cu_run_d = cu_run_q;
		cu_tick_d = cu_tick_q;
		cu_ctr_d = cu_ctr_q;
		cu_item_d = cu_item_q;
		cu_ph_d = cu_run_q ? cu_ph_q + 3'd1 : 3'd0;
		cu_carry_d = (cu_ph_q == 3'd0) ? 1'b0 : cu_sum[16];
		// an item is done after phase 3, or 4 if it goes into ans_q
		if (cu_run_q && (cu_ph_q == 3'd4 || (cu_ph_q == 3'd3 && !cu_cap))) begin
			cu_ph_d = 3'd0;
			cu_item_d = cu_item_q + 1'b1;
			if (cu_last_item)
				cu_run_d = 1'b0;
		end
		if (dec_state_q == D_TSTART) begin
			cu_run_d = 1'b1;
			cu_tick_d = 1'b1;
			cu_item_d = {CI{1'b0}};
			cu_ph_d = 3'd0;
		end
		if (dec_state_q == D_NEXT && dec_op_q == OP_COUNTERS) begin
			cu_run_d = 1'b1;
			cu_tick_d = 1'b0;
			cu_ctr_d = dec_idx_q - 2'd1;    // words 1, 2, 3: events, sops, ticks
			cu_ph_d = 3'd0;
		end
		cu_clr_d = cu_clr_q && (cu_clr_n_q != 4'd15);
		cu_clr_n_d = cu_clr_n_q + 4'd1;
	end

	always @(*) begin
		dec_state_d = dec_state_q;
		dec_op_d = dec_op_q;
		dec_idx_d = dec_idx_q;
		trace_en_d = trace_en_q;
		in_mask_d = in_mask_q;
		in_abase_d = in_abase_q;
		in_n_d = in_n_q;
		cfg_we = {CORES{1'b0}};
		cfg_re = {CORES{1'b0}};
		fire = 1'b0;
		cmd_take = 1'b0;

		case (dec_state_q)
		D_IDLE: begin
			if (cmd_go) begin
				dec_op_d = i_cmd_op;
				dec_idx_d = 2'd0;
				cmd_take = (i_cmd_op != OP_WRITE) && !(i_cmd_op == OP_READ && cmd_core);
				case (i_cmd_op)
				OP_WRITE: begin
					dec_state_d = D_WSTART;
					if (cmd_core)
						for (c = 0; c < CORES; c = c + 1)
							cfg_we[c] = ({24'd0, i_cmd_target} == c);
					else if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CMD)
						cfg_we = {CORES{1'b1}};
					else if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CHIPREG) begin
						case (i_cmd_addr)
						16'd0: in_mask_d = i_cmd_data[CORES-1:0];
						16'd1: in_abase_d = i_cmd_data[AB-1:0];
						16'd2: in_n_d = i_cmd_data[15:0];
						default: ;
						endcase
					end
				end
				OP_READ: begin
					if (cmd_core) begin
						for (c = 0; c < CORES; c = c + 1)
							cfg_re[c] = ({24'd0, i_cmd_target} == c);
						dec_state_d = D_RSTART;
					end else
						dec_state_d = D_RESP;     // CHIPREG: in ans_q now
				end
				OP_TICK: dec_state_d = D_TSTART;  // commit the counters, then fire
				OP_TRACE: trace_en_d = i_cmd_data[0];
				OP_COUNTERS: dec_state_d = D_RESP;
				OP_CAPS: dec_state_d = D_RESP;
				default: ;
				endcase
			end
		end
		D_WSTART: dec_state_d = D_WRITE;  // the cores see the strobe now
		D_RSTART: begin                   // ... and take the read's fields
			cmd_take = 1'b1;
			dec_state_d = D_READ;
		end
		D_WRITE: begin
			// the cores are done with the write (segments take 4 cycles):
			// idle in the cycle before, which was in D_WRITE too (the
			// strobe of D_WSTART shows in core_busy from D_WRITE on)
			if (core_idle_q && wr_more_q) begin
				cmd_take = 1'b1;
				dec_state_d = D_IDLE;
			end
		end
		D_READ: begin
			if (core_busy == {CORES{1'b0}})
				dec_state_d = D_RESP;
		end
		D_TSTART: dec_state_d = D_COMMIT;
		D_COMMIT: begin
			// ans_q holds the number of the tick that ends; the sweeps start
			if (!cu_busy) begin
				fire = 1'b1;
				dec_state_d = D_FIRE;
			end
		end
		D_FIRE: begin
			if (fire_done)
				dec_state_d = D_RESP;
		end
		D_RESP: begin
			if (dec_rsp_take) begin
				dec_idx_d = dec_idx_q + 2'd1;
				dec_state_d = D_IDLE;
				case (dec_op_q)
				OP_COUNTERS: if (dec_idx_q != 2'd3) dec_state_d = D_NEXT;
				OP_CAPS:     if (dec_idx_q == 2'd0) dec_state_d = D_NEXT;
				default: ;
				endcase
			end
		end
		// the next word: CAPS loads it now, COUNTERS reads the counter RAM
		D_NEXT: dec_state_d = (dec_op_q == OP_COUNTERS) ? D_CNT : D_RESP;
		D_CNT: if (!cu_busy) dec_state_d = D_RESP;
		default: dec_state_d = D_IDLE;
		endcase

		// Counters. A core integrates the spikes of tick t as soon as its
		// own sweep ended (tick t+1's work), so what it integrates is held
		// per core and committed when tick t+1 fires; a reset_state of the
		// core drops it, as it drops the events queued for it
		// (docs/rtl.md "counters"). COUNTERS thus reports whole ticks only.
		cnt_cycles_d = cnt_cycles_q + 1'b1;
		for (c = 0; c < CORES; c = c + 1) begin
			acc_events_d[c*32 +: 32] = acc_events_q[c*32 +: 32] + {31'd0, core_cnt_event[c]};
			acc_sops_d[c*40 +: 40] = acc_sops_q[c*40 +: 40] + {28'd0, core_cnt_sops[c*12 +: 12]};
			if (cu_run_q && cu_tick_q && cu_ph_q == 3'd3 && {{(32-CI){1'b0}}, cu_item_q} == 2 * c)
				acc_events_d[c*32 +: 32] = 32'd0;        // committed
			if (cu_run_q && cu_tick_q && cu_ph_q == 3'd3 && {{(32-CI){1'b0}}, cu_item_q} == 2 * c + 1)
				acc_sops_d[c*40 +: 40] = 40'd0;
			if (cfg_we_q[c] && i_cmd_mem == MEM_CMD) begin
				acc_events_d[c*32 +: 32] = 32'd0;
				acc_sops_d[c*40 +: 40] = 40'd0;
			end
		end
	end

	wire unused_ok = &{1'b0, in_count, hq_count, fab_out_payload[CORES*PW +: GBITS]};

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			dec_state_q   <= D_IDLE;
			dec_op_q      <= 3'd0;
			dec_idx_q     <= 2'd0;
			ans_q         <= 64'd0;
			trace_en_q    <= 1'b0;
			in_mask_q     <= {CORES{1'b0}};
			in_abase_q    <= {AB{1'b0}};
			in_n_q        <= 16'd0;
			cnt_cycles_q  <= {CW{1'b0}};
			cu_item_q     <= {CI{1'b0}};
			cu_ph_q       <= 3'd0;
			cu_run_q      <= 1'b0;
			cu_tick_q     <= 1'b0;
			cu_ctr_q      <= 2'd0;
			cu_carry_q    <= 1'b0;
			cu_clr_q      <= 1'b1;
			cu_clr_n_q    <= 4'd0;
			acc_events_q  <= {(CORES*32){1'b0}};
			acc_sops_q    <= {(CORES*40){1'b0}};
			cfg_we_q      <= {CORES{1'b0}};
			cfg_re_q      <= {CORES{1'b0}};
		end else begin
			cfg_we_q      <= cfg_we;
			cfg_re_q      <= cfg_re;
			dec_state_q   <= dec_state_d;
			dec_op_q      <= dec_op_d;
			dec_idx_q     <= dec_idx_d;
			if (ans_en)
				ans_q     <= ans_d;
			trace_en_q    <= trace_en_d;
			in_mask_q     <= in_mask_d;
			in_abase_q    <= in_abase_d;
			in_n_q        <= in_n_d;
			cnt_cycles_q  <= cnt_cycles_d;
			cu_item_q     <= cu_item_d;
			cu_ph_q       <= cu_ph_d;
			cu_run_q      <= cu_run_d;
			cu_tick_q     <= cu_tick_d;
			cu_ctr_q      <= cu_ctr_d;
			cu_carry_q    <= cu_carry_d;
			cu_clr_q      <= cu_clr_d;
			cu_clr_n_q    <= cu_clr_n_d;
			acc_events_q  <= acc_events_d;
			acc_sops_q    <= acc_sops_d;
		end
	end

	generate
		if (CORES > 16 || CORES < 1) begin : gen_err_cores
			hone_chip_error_cores_1_to_16 u_err ();
		end
	endgenerate
endmodule
