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
// all cores at once. Spikes of the sweep wait in each core's spike queue;
// a core integrates again as soon as its own sweep ended, so the spikes of
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
	parameter EQ_ABITS  = 2,
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

	localparam [2:0] D_IDLE = 3'd0, D_WRITE = 3'd1, D_READ = 3'd2,
	                 D_FIRE = 3'd3, D_RESP = 3'd4;

	// ------------------------------------------------------------ decoder state
	localparam CT = (CORES > 1) ? $clog2(CORES) : 1;
	reg  [2:0]    dec_state_q, dec_state_d;
	reg  [2:0]    dec_op_q, dec_op_d;       // op being answered
	reg  [1:0]    dec_idx_q, dec_idx_d;     // word of a multi-word answer
	reg           dec_core_q, dec_core_d;   // READ of a core (else CHIPREG)
	reg  [CT-1:0] dec_tgt_q, dec_tgt_d;     // ... which one
	reg  [15:0]   dec_creg_q, dec_creg_d;   // CHIPREG value read
	reg           trace_en_q, trace_en_d;

	reg  [15:0] in_mask_q, in_mask_d;       // CHIPREG input_core_mask
	reg  [11:0] in_abase_q, in_abase_d;     // CHIPREG input_axon_base
	reg  [15:0] in_n_q, in_n_d;             // CHIPREG n_inputs

	// Counters are 48 bits, zero-extended to the 64 of the COUNTER word:
	// 2^48 cycles are 108 days at 30 MHz, and 48 bits save LCs on the UP5K.
	localparam CW = 48;
	reg  [CW-1:0] cnt_cycles_q, cnt_cycles_d;
	reg  [CW-1:0] cnt_events_q, cnt_events_d;
	reg  [CW-1:0] cnt_sops_q, cnt_sops_d;
	reg  [CW-1:0] cnt_ticks_q, cnt_ticks_d;
	reg  [CW-1:0] snap_cycles_q, snap_cycles_d;

	// ------------------------------------------------------------ cores
	wire [CORES-1:0]       core_busy, core_rebuild, core_fire_busy, core_cnt_event;
	wire [CORES*12-1:0]    core_cnt_sops;
	wire [CORES*64-1:0]    core_rdata;
	wire [CORES-1:0]       core_ev_valid, core_ev_ready;
	wire [CORES*PW-1:0]    core_ev_payload;
	wire [CORES-1:0]       core_pkt_valid, core_pkt_ready;
	wire [CORES*(CORES+1)-1:0] core_pkt_mask;
	wire [CORES*12-1:0]    core_pkt_axon;
	wire [CORES-1:0]       core_tr_valid, core_tr_ready, core_tr_s;
	wire [CORES*13-1:0]    core_tr_slot;
	wire [CORES*PBITS-1:0] core_tr_u;
	reg  [CORES-1:0]       cfg_we, cfg_re;
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
				.i_cfg_we      (cfg_we[gc]),
				.i_cfg_re      (cfg_re[gc]),
				.i_cfg_mem     (i_cmd_mem),
				.i_cfg_addr    (i_cmd_addr),
				.i_cfg_wdata   (i_cmd_data),
				.o_cfg_rdata   (core_rdata[gc*64 +: 64]),
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
	wire [2:0]    in_count;
	wire          in_event = (i_cmd_op == OP_EVENT);
	wire          in_keep = (i_cmd_data[GBITS-1:0] != {GBITS{1'b0}}) &&
	                        (i_cmd_addr < in_n_q) &&
	                        (in_mask_q[CORES-1:0] != {CORES{1'b0}});
	wire [11:0]   in_axon = in_abase_q + i_cmd_addr[11:0];
	wire          in_push = (dec_state_q == D_IDLE) && i_cmd_valid && in_event && in_keep;

	hone_fifo #(
		.WIDTH (PW),
		.ABITS (2)
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
		fab_mask[CORES*DSTS +: DSTS] = {1'b0, in_mask_q[CORES-1:0]};
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
	wire [2:0]  hq_count;
	assign fab_out_ready = {hq_push_ready, core_ev_ready};

	hone_fifo #(
		.WIDTH (12),
		.ABITS (2)
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
	wire quiet = engines_idle && (core_rebuild == {CORES{1'b0}});
	wire fire_done = (core_fire_busy == {CORES{1'b0}}) && !hq_valid;
	wire cmd_core = ({24'd0, i_cmd_target} < CORES);
	wire cmd_go = i_cmd_valid && !in_event && (dec_state_q == D_IDLE) &&
	              ((i_cmd_op == OP_WRITE) ? engines_idle : quiet);
	// a WRITE is taken when the cores are done with it; the rest at once
	reg  cmd_take;

	assign o_cmd_ready = ((dec_state_q == D_IDLE) && in_event && (!in_keep || in_push_ready)) ||
	                     cmd_take;

	always @(*) begin
		case (dec_op_q)
		OP_READ: begin
			dec_rsp_kind = RSP_READ_DATA;
			dec_rsp_data = {48'd0, dec_creg_q};
			for (c = 0; c < CORES; c = c + 1)
				if (dec_core_q && {{(32-CT){1'b0}}, dec_tgt_q} == c)
					dec_rsp_data = core_rdata[c*64 +: 64];
		end
		OP_COUNTERS: begin
			dec_rsp_kind = RSP_COUNTER;
			case (dec_idx_q)
			2'd0: dec_rsp_data = {{(64-CW){1'b0}}, snap_cycles_q};
			2'd1: dec_rsp_data = {{(64-CW){1'b0}}, cnt_events_q};
			2'd2: dec_rsp_data = {{(64-CW){1'b0}}, cnt_sops_q};
			default: dec_rsp_data = {{(64-CW){1'b0}}, cnt_ticks_q};
			endcase
		end
		OP_CAPS: begin
			dec_rsp_kind = RSP_CAPS;
			if (dec_idx_q == 2'd0)
				dec_rsp_data = {BUILD_ID, 3'd0, GBITS[3:0], PBITS[4:0], WBITS[3:0],
				                LANES[7:0], CORES[7:0]};
			else
				dec_rsp_data = {PROTOCOL_VERSION, WWORDS[23:0], AXONS[15:0], NEURONS[15:0]};
		end
		default: begin
			dec_rsp_kind = RSP_TICK_DONE;
			dec_rsp_data = {32'd0, cnt_ticks_q[31:0]};
		end
		endcase
		dec_rsp_valid = (dec_state_q == D_RESP);
	end

	reg [CORES*32-1:0] acc_events_q, acc_events_d;
	reg [CORES*40-1:0] acc_sops_q, acc_sops_d;
	always @(*) begin
		dec_state_d = dec_state_q;
		dec_op_d = dec_op_q;
		dec_idx_d = dec_idx_q;
		dec_core_d = dec_core_q;
		dec_tgt_d = dec_tgt_q;
		dec_creg_d = dec_creg_q;
		trace_en_d = trace_en_q;
		in_mask_d = in_mask_q;
		in_abase_d = in_abase_q;
		in_n_d = in_n_q;
		snap_cycles_d = snap_cycles_q;
		cnt_ticks_d = cnt_ticks_q;
		cfg_we = {CORES{1'b0}};
		cfg_re = {CORES{1'b0}};
		fire = 1'b0;
		cmd_take = 1'b0;

		case (dec_state_q)
		D_IDLE: begin
			if (cmd_go) begin
				dec_op_d = i_cmd_op;
				dec_idx_d = 2'd0;
				cmd_take = (i_cmd_op != OP_WRITE);
				case (i_cmd_op)
				OP_WRITE: begin
					dec_state_d = D_WRITE;
					if (cmd_core)
						for (c = 0; c < CORES; c = c + 1)
							cfg_we[c] = ({24'd0, i_cmd_target} == c);
					else if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CMD)
						cfg_we = {CORES{1'b1}};
					else if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CHIPREG) begin
						case (i_cmd_addr)
						16'd0: in_mask_d = i_cmd_data[15:0];
						16'd1: in_abase_d = i_cmd_data[11:0];
						16'd2: in_n_d = i_cmd_data[15:0];
						default: ;
						endcase
					end
				end
				OP_READ: begin
					dec_core_d = cmd_core;
					dec_tgt_d = i_cmd_target[CT-1:0];
					dec_creg_d = 16'd0;
					if (cmd_core) begin
						for (c = 0; c < CORES; c = c + 1)
							cfg_re[c] = ({24'd0, i_cmd_target} == c);
						dec_state_d = D_READ;
					end else begin
						if (i_cmd_target == TARGET_CHIP && i_cmd_mem == MEM_CHIPREG) begin
							case (i_cmd_addr)
							16'd0: dec_creg_d = in_mask_q;
							16'd1: dec_creg_d = {4'd0, in_abase_q};
							16'd2: dec_creg_d = in_n_q;
							default: ;
							endcase
						end
						dec_state_d = D_RESP;
					end
				end
				OP_TICK: begin
					fire = 1'b1;
					dec_state_d = D_FIRE;
				end
				OP_TRACE: trace_en_d = i_cmd_data[0];
				OP_COUNTERS: begin
					snap_cycles_d = cnt_cycles_q;
					dec_state_d = D_RESP;
				end
				OP_CAPS: dec_state_d = D_RESP;
				default: ;
				endcase
			end
		end
		D_WRITE: begin
			// the cores are done with the write (segments take 4 cycles)
			if (core_busy == {CORES{1'b0}}) begin
				cmd_take = 1'b1;
				dec_state_d = D_IDLE;
			end
		end
		D_READ: begin
			if (core_busy == {CORES{1'b0}})
				dec_state_d = D_RESP;
		end
		D_FIRE: begin
			if (fire_done)
				dec_state_d = D_RESP;
		end
		D_RESP: begin
			if (dec_rsp_take) begin
				dec_idx_d = dec_idx_q + 2'd1;
				case (dec_op_q)
				OP_COUNTERS: if (dec_idx_q == 2'd3) dec_state_d = D_IDLE;
				OP_CAPS:     if (dec_idx_q == 2'd1) dec_state_d = D_IDLE;
				OP_TICK: begin
					cnt_ticks_d = cnt_ticks_q + 1'b1;
					dec_state_d = D_IDLE;
				end
				default: dec_state_d = D_IDLE;
				endcase
			end
		end
		default: dec_state_d = D_IDLE;
		endcase

		// Counters. A core integrates the spikes of tick t as soon as its
		// own sweep ended (tick t+1's work), so what it integrates is held
		// per core and committed when tick t+1 fires; a reset_state of the
		// core drops it, as it drops the events queued for it
		// (docs/rtl.md "counters"). COUNTERS thus reports whole ticks only.
		cnt_cycles_d = cnt_cycles_q + 1'b1;
		cnt_events_d = cnt_events_q;
		cnt_sops_d = cnt_sops_q;
		for (c = 0; c < CORES; c = c + 1) begin
			acc_events_d[c*32 +: 32] = acc_events_q[c*32 +: 32] + {31'd0, core_cnt_event[c]};
			acc_sops_d[c*40 +: 40] = acc_sops_q[c*40 +: 40] + {28'd0, core_cnt_sops[c*12 +: 12]};
			if (fire) begin
				cnt_events_d = cnt_events_d + {{(CW-32){1'b0}}, acc_events_q[c*32 +: 32]};
				cnt_sops_d = cnt_sops_d + {{(CW-40){1'b0}}, acc_sops_q[c*40 +: 40]};
				acc_events_d[c*32 +: 32] = 32'd0;
				acc_sops_d[c*40 +: 40] = 40'd0;
			end
			if (cfg_we[c] && i_cmd_mem == MEM_CMD) begin
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
			dec_core_q    <= 1'b0;
			dec_tgt_q     <= {CT{1'b0}};
			dec_creg_q    <= 16'd0;
			trace_en_q    <= 1'b0;
			in_mask_q     <= 16'd0;
			in_abase_q    <= 12'd0;
			in_n_q        <= 16'd0;
			cnt_cycles_q  <= {CW{1'b0}};
			cnt_events_q  <= {CW{1'b0}};
			cnt_sops_q    <= {CW{1'b0}};
			cnt_ticks_q   <= {CW{1'b0}};
			snap_cycles_q <= {CW{1'b0}};
			acc_events_q  <= {(CORES*32){1'b0}};
			acc_sops_q    <= {(CORES*40){1'b0}};
		end else begin
			dec_state_q   <= dec_state_d;
			dec_op_q      <= dec_op_d;
			dec_idx_q     <= dec_idx_d;
			dec_core_q    <= dec_core_d;
			dec_tgt_q     <= dec_tgt_d;
			dec_creg_q    <= dec_creg_d;
			trace_en_q    <= trace_en_d;
			in_mask_q     <= in_mask_d;
			in_abase_q    <= in_abase_d;
			in_n_q        <= in_n_d;
			cnt_cycles_q  <= cnt_cycles_d;
			cnt_events_q  <= cnt_events_d;
			cnt_sops_q    <= cnt_sops_d;
			cnt_ticks_q   <= cnt_ticks_d;
			snap_cycles_q <= snap_cycles_d;
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
