// SPDX-License-Identifier: Apache-2.0
//
// hone_core: one spiking core (docs/chip-image.md, arithmetic of
// docs/semantics.md). Blocks, named by the prefix of the signals they drive:
//
//   EVQ_  event queue (axon, g) from the fabric
//   LK_   axon-segment lookup: which row of weights an event reads
//   ST_   row streamer: one weight word (LANES weights) per cycle
//   S1_/S2_ read-modify-write pipeline into the LANES potential banks
//   SW_/F1_/F2_ fire sweep (and the reset_state sweep) over the slots
//   CLR_  clear of every memory after reset (SPRAM has no init value)
//   CFG_  configuration reads and writes from the chip's command decoder
//
// Integrate pipeline, one event:
//   LK0  head of EVQ matched against the 8 axon segments (parallel compare)
//   LK1  row descriptor registered; its first word address is computed
//        (weight_base + offset * words_per_row) as the streamer loads it
//   ST   issues one weight-memory read per cycle; the next descriptor is
//        loaded on the last word, so rows follow each other with no bubble
//   S1   weight word arrives; LANES products w*g; potential banks read
//   S2   potential words arrive; a += w*g per lane; write back
// The potential of a word is read in S1 and written in S2, one cycle later,
// so the only hazard is a word read while the previous cycle writes it
// (back-to-back events on the same slots): S2 then takes the value just
// written (WB_ registers) instead of the stale memory word.
//
// Fire sweep: slot n = 0 .. n_neurons-1, one per cycle, three stages
// (read; threshold/reset/clamp; carry+bias and write back), emits spikes
// into the spike queue (drained by hone_router) and TRACE words.
`default_nettype none

module hone_core #(
	parameter CORES     = 4,
	parameter LANES     = 4,
	parameter WBITS     = 4,
	parameter PBITS     = 16,
	parameter GBITS     = 4,
	parameter NEURONS   = 32,
	parameter WWORDS    = 256,
	parameter AXSEGS    = 8,
	parameter RTSEGS    = 8,
	parameter EQ_ABITS  = 3,
	parameter WMEM_IMPL = "behavioural"
) (
	input  wire               i_clk,
	input  wire               i_rst_n,
	// configuration access: only while the chip is quiet
	input  wire               i_cfg_we,
	input  wire               i_cfg_re,
	input  wire [2:0]         i_cfg_mem,
	input  wire [15:0]        i_cfg_addr,
	input  wire [63:0]        i_cfg_wdata,
	output wire [63:0]        o_cfg_rdata,   // two cycles after i_cfg_re
	// tick control
	input  wire               i_fire,        // start the fire sweep
	input  wire               i_trace_en,
	// events from the fabric
	input  wire               i_ev_valid,
	output wire               o_ev_ready,
	input  wire [11:0]        i_ev_axon,
	input  wire [GBITS-1:0]   i_ev_g,
	// packets to the fabric
	output wire               o_pkt_valid,
	input  wire               i_pkt_ready,
	output wire [CORES:0]     o_pkt_mask,
	output wire [11:0]        o_pkt_axon,
	// trace words of the fire sweep
	output wire               o_trace_valid,
	input  wire               i_trace_ready,
	output wire [12:0]        o_trace_slot,
	output wire [PBITS-1:0]   o_trace_u,
	output wire               o_trace_s,
	// status and counter increments
	output wire               o_busy,        // anything stored or in flight
	output wire               o_fire_busy,   // sweep, spikes or traces not drained
	output wire               o_cnt_event,
	output wire [11:0]        o_cnt_sops
);
	// ------------------------------------------------------------ sizes
	localparam LB  = $clog2(LANES);
	localparam NB  = $clog2(NEURONS);
	localparam PA  = NB - LB;                 // potential bank address bits
	localparam WA  = $clog2(WWORDS);
	localparam WW  = LANES * WBITS;
	localparam PRW = 2 * PBITS + 3;           // {enable, profile, bias, threshold}
	localparam PRB = WBITS + GBITS;           // product w*g, signed
	localparam CB  = (WA > NB ? WA : NB) + 1; // clear counter
	localparam [CB-1:0] CLR_END = (WWORDS > NEURONS) ? WWORDS[CB-1:0] : NEURONS[CB-1:0];

	localparam [2:0] MEM_COREREG = 3'd1, MEM_AXSEG = 3'd2, MEM_RTSEG = 3'd3,
	                 MEM_WEIGHT = 3'd4, MEM_NPARAM = 3'd5, MEM_POT = 3'd6,
	                 MEM_CMD = 3'd7;

	// ------------------------------------------------------------ registers
	reg  [12:0]          n_neurons_q, n_neurons_d;
	reg  [6*4-1:0]       profile_q, profile_d;     // 4 x {reset, shift[3:0], carry}
	reg  [AXSEGS*64-1:0] axseg_q, axseg_d;
	reg  [RTSEGS*64-1:0] rtseg_q, rtseg_d;

	reg                  clr_active_q, clr_active_d;
	reg  [CB-1:0]        clr_n_q, clr_n_d;

	// lookup stage register (LK1)
	reg                  lk_valid_q, lk_valid_d;
	reg  [11:0]          lk_off_q, lk_off_d;
	reg  [15:0]          lk_wbase_q, lk_wbase_d;
	reg  [11:0]          lk_nf_q, lk_nf_d;
	reg  [11:0]          lk_rn_q, lk_rn_d;
	reg  [GBITS-1:0]     lk_g_q, lk_g_d;

	// row streamer
	reg                  st_active_q, st_active_d;
	reg  [15:0]          st_waddr_q, st_waddr_d;
	reg  [PA-1:0]        st_paddr_q, st_paddr_d;
	reg  [11:0]          st_rem_q, st_rem_d;       // neurons left in the row
	reg  [GBITS-1:0]     st_g_q, st_g_d;

	// read-modify-write pipeline
	reg                  s1_valid_q, s1_valid_d;
	reg  [PA-1:0]        s1_paddr_q, s1_paddr_d;
	reg  [LANES-1:0]     s1_mask_q, s1_mask_d;
	reg  [GBITS-1:0]     s1_g_q, s1_g_d;
	reg                  s2_valid_q, s2_valid_d;
	reg  [PA-1:0]        s2_paddr_q, s2_paddr_d;
	reg  [LANES-1:0]     s2_mask_q, s2_mask_d;
	reg  [LANES*PRB-1:0] s2_prod_q, s2_prod_d;
	reg                  wb_valid_q, wb_valid_d;
	reg  [PA-1:0]        wb_paddr_q, wb_paddr_d;
	reg  [LANES-1:0]     wb_mask_q, wb_mask_d;
	reg  [LANES*PBITS-1:0] wb_data_q, wb_data_d;

	// sweep
	reg                  sw_active_q, sw_active_d;
	reg                  sw_reset_q, sw_reset_d;    // 1: reset_state sweep
	reg  [NB:0]          sw_n_q, sw_n_d;
	reg  [NB:0]          sw_end_q, sw_end_d;
	reg                  f1_valid_q, f1_valid_d;
	reg                  f1_reset_q, f1_reset_d;
	reg  [NB-1:0]        f1_n_q, f1_n_d;
	reg                  f2_valid_q, f2_valid_d;
	reg                  f2_reset_q, f2_reset_d;
	reg  [NB-1:0]        f2_n_q, f2_n_d;
	reg                  f2_en_q, f2_en_d;
	reg                  f2_s_q, f2_s_d;
	reg  [PBITS-1:0]     f2_u_q, f2_u_d;
	reg  [PBITS-1:0]     f2_v_q, f2_v_d;
	reg  [PBITS-1:0]     f2_b_q, f2_b_d;
	reg                  f2_carry_q, f2_carry_d;
	reg  [3:0]           f2_k_q, f2_k_d;

	// configuration reads
	reg                  rd_valid_q, rd_valid_d;
	reg  [2:0]           rd_mem_q, rd_mem_d;
	reg  [15:0]          rd_addr_q, rd_addr_d;
	reg  [63:0]          rd_data_q, rd_data_d;

	// ------------------------------------------------------------ memories
	reg                  wm_en, wm_we;
	reg  [WA-1:0]        wm_addr;
	reg  [WW-1:0]        wm_wdata;
	wire [WW-1:0]        wm_rdata;

	hone_weight_mem #(
		.WIDTH (WW),
		.ABITS (WA),
		.IMPL  (WMEM_IMPL)
	) u_weight_mem (
		.i_clk   (i_clk),
		.i_en    (wm_en),
		.i_we    (wm_we),
		.i_addr  (wm_addr),
		.i_wdata (wm_wdata),
		.o_rdata (wm_rdata)
	);

	reg                  np_we;
	reg  [NB-1:0]        np_waddr, np_raddr;
	reg  [PRW-1:0]       np_wdata;
	wire [PRW-1:0]       np_rdata;

	hone_ram_1r1w #(
		.WIDTH (PRW),
		.ABITS (NB)
	) u_nparam (
		.i_clk   (i_clk),
		.i_we    (np_we),
		.i_waddr (np_waddr),
		.i_wdata (np_wdata),
		.i_raddr (np_raddr),
		.o_rdata (np_rdata)
	);

	reg  [LANES-1:0]       pb_we;
	reg  [PA-1:0]          pb_waddr, pb_raddr;
	reg  [LANES*PBITS-1:0] pb_wdata;
	reg  [PBITS-1:0]       pb_single;
	reg                    pb_use_single;
	wire [LANES*PBITS-1:0] pb_rdata;

	genvar gl;
	generate
		for (gl = 0; gl < LANES; gl = gl + 1) begin : gen_pot_bank
			hone_ram_1r1w #(
				.WIDTH (PBITS),
				.ABITS (PA)
			) u_pot (
				.i_clk   (i_clk),
				.i_we    (pb_we[gl]),
				.i_waddr (pb_waddr),
				.i_wdata (pb_wdata[gl*PBITS +: PBITS]),
				.i_raddr (pb_raddr),
				.o_rdata (pb_rdata[gl*PBITS +: PBITS])
			);
		end
	endgenerate

	// enable bits, one word per bank address: integration skips disabled slots
	reg  [LANES-1:0] en_wmask;
	reg  [LANES-1:0] en_wdata;
	wire [LANES-1:0] en_rdata;

	hone_ram_bitmask #(
		.WIDTH (LANES),
		.ABITS (PA)
	) u_enable (
		.i_clk   (i_clk),
		.i_wmask (en_wmask),
		.i_waddr (pb_waddr),
		.i_wdata (en_wdata),
		.i_raddr (pb_raddr),
		.o_rdata (en_rdata)
	);

	// ------------------------------------------------------------ event queue
	wire               evq_valid;
	wire [11:0]        evq_axon;
	wire [GBITS-1:0]   evq_g;
	wire               evq_pop;
	wire [EQ_ABITS:0]  evq_count;

	hone_fifo #(
		.WIDTH (12 + GBITS),
		.ABITS (EQ_ABITS)
	) u_evq (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (i_ev_valid),
		.o_ready (o_ev_ready),
		.i_data  ({i_ev_axon, i_ev_g}),
		.o_valid (evq_valid),
		.i_ready (evq_pop),
		.o_data  ({evq_axon, evq_g}),
		.o_count (evq_count)
	);

	// ------------------------------------------------------------ lookup
	wire sweep_busy = sw_active_q || f1_valid_q || f2_valid_q;
	wire integ_allow = !sweep_busy && !clr_active_q;

	wire st_last = (st_rem_q <= LANES[11:0]);
	wire lk_take = lk_valid_q && (!st_active_q || st_last);
	assign evq_pop = evq_valid && integ_allow && (!lk_valid_q || lk_take);

	// One AND-OR mux over the segment words serves the lookup (the lowest
	// segment that holds the axon) and configuration reads (by address).
	reg  [AXSEGS-1:0] lk_hit, ax_sel;
	reg               lk_found;
	reg  [63:0]       ax_word;
	wire              rd_axseg = rd_valid_q && rd_mem_q == MEM_AXSEG;
	integer s;
	reg  [11:0] ax_count;
	reg  [12:0] ax_diff;       // axon - first; bit 12 set: axon < first
	always @(*) begin
		lk_found = 1'b0;
		ax_sel = {AXSEGS{1'b0}};
		for (s = 0; s < AXSEGS; s = s + 1) begin
			ax_diff = {1'b0, evq_axon} - {1'b0, axseg_q[s*64 + 0 +: 12]};
			ax_count = axseg_q[s*64 + 12 +: 12];
			lk_hit[s] = !ax_diff[12] && (ax_diff[11:0] < ax_count);
			if (rd_axseg)
				ax_sel[s] = ({16'd0, rd_addr_q} == s);
			else if (lk_hit[s] && !lk_found)
				ax_sel[s] = 1'b1;
			lk_found = lk_found || lk_hit[s];
		end
		ax_word = 64'd0;
		for (s = 0; s < AXSEGS; s = s + 1)
			if (ax_sel[s])
				ax_word = ax_word | axseg_q[s*64 +: 64];
	end
	wire [11:0] lk_sel_off = evq_axon - ax_word[11:0];
	wire [15:0] lk_sel_wbase = ax_word[39:24];
	wire [11:0] lk_sel_nf = ax_word[51:40];
	wire [11:0] lk_sel_rn = ax_word[63:52];

	always @(*) begin
		lk_valid_d = lk_take ? 1'b0 : lk_valid_q;
		lk_off_d = lk_off_q;
		lk_wbase_d = lk_wbase_q;
		lk_nf_d = lk_nf_q;
		lk_rn_d = lk_rn_q;
		lk_g_d = lk_g_q;
		if (evq_pop && lk_found && lk_sel_rn != 12'd0) begin
			lk_valid_d = 1'b1;
			lk_off_d = lk_sel_off;
			lk_wbase_d = lk_sel_wbase;
			lk_nf_d = lk_sel_nf;
			lk_rn_d = lk_sel_rn;
			lk_g_d = evq_g;
		end
	end

	// Every event a core integrates counts (docs/semantics.md "events"), and
	// its row length as synaptic operations; an axon no segment maps is
	// dropped uncounted (the compiler never sends one).
	assign o_cnt_event = evq_pop && lk_found;
	assign o_cnt_sops = (evq_pop && lk_found) ? lk_sel_rn : 12'd0;

	// ------------------------------------------------------------ streamer
	wire [12:0] lk_wpr = ({1'b0, lk_rn_q} + (LANES[12:0] - 13'd1)) >> LB;
	wire [15:0] lk_start = lk_wbase_q + lk_off_q * lk_wpr[11:0];
	wire [11:0] lk_nf_word = lk_nf_q >> LB;

	reg [LANES-1:0] st_mask;
	integer l;
	always @(*) begin
		for (l = 0; l < LANES; l = l + 1)
			st_mask[l] = (l < st_rem_q);
		st_active_d = st_active_q;
		st_waddr_d = st_waddr_q;
		st_paddr_d = st_paddr_q;
		st_rem_d = st_rem_q;
		st_g_d = st_g_q;
		if (st_active_q) begin
			st_waddr_d = st_waddr_q + 16'd1;
			st_paddr_d = st_paddr_q + 1'b1;
			st_rem_d = st_rem_q - LANES[11:0];
			if (st_last)
				st_active_d = 1'b0;
		end
		if (lk_take) begin
			st_active_d = 1'b1;
			st_waddr_d = lk_start;
			st_paddr_d = lk_nf_word[PA-1:0];
			st_rem_d = lk_rn_q;
			st_g_d = lk_g_q;
		end
	end

	// ------------------------------------------------------------ RMW pipeline
	reg [LANES*PBITS-1:0] s2_new;
	wire [LANES-1:0]      s2_we = s2_mask_q & en_rdata;   // disabled slots stay
	reg [PBITS-1:0]       s2_base;
	reg [PRB-1:0]         prod;
	always @(*) begin
		s1_valid_d = st_active_q;
		s1_paddr_d = st_paddr_q;
		s1_mask_d = st_mask;
		s1_g_d = st_g_q;

		s2_valid_d = s1_valid_q;
		s2_paddr_d = s1_paddr_q;
		s2_mask_d = s1_mask_q;
		for (l = 0; l < LANES; l = l + 1) begin
			prod = $signed(wm_rdata[l*WBITS +: WBITS]) * $signed({1'b0, s1_g_q});
			s2_prod_d[l*PRB +: PRB] = prod;
		end

		for (l = 0; l < LANES; l = l + 1) begin
			// Forward the word written last cycle: memory still has the old one.
			if (wb_valid_q && wb_mask_q[l] && wb_paddr_q == s2_paddr_q)
				s2_base = wb_data_q[l*PBITS +: PBITS];
			else
				s2_base = pb_rdata[l*PBITS +: PBITS];
			s2_new[l*PBITS +: PBITS] = s2_base +
				{{(PBITS-PRB){s2_prod_q[l*PRB + PRB-1]}}, s2_prod_q[l*PRB +: PRB]};
		end
		wb_valid_d = s2_valid_q;
		wb_paddr_d = s2_paddr_q;
		wb_mask_d = s2_we;
		wb_data_d = s2_new;
	end

	// ------------------------------------------------------------ sweep
	wire [4:0] tr_count;
	wire       tr_push_ready;
	// Enough trace-queue room for this slot and the two ahead of it.
	wire tr_credit = (tr_count + {4'b0, f1_valid_q} + {4'b0, f2_valid_q}) < 5'd4;
	wire sw_issue = sw_active_q && (sw_reset_q || !i_trace_en || tr_credit);

	wire cfg_cmd_reset = i_cfg_we && i_cfg_mem == MEM_CMD && i_cfg_addr == 16'd0;
	wire [NB:0] fire_end = (n_neurons_q > NEURONS[12:0]) ? NEURONS[NB:0] : n_neurons_q[NB:0];

	always @(*) begin
		sw_active_d = sw_active_q;
		sw_reset_d = sw_reset_q;
		sw_n_d = sw_n_q;
		sw_end_d = sw_end_q;
		if (sw_issue) begin
			sw_n_d = sw_n_q + 1'b1;
			if (sw_n_q + 1'b1 == sw_end_q)
				sw_active_d = 1'b0;
		end
		if (i_fire) begin
			sw_active_d = (fire_end != {(NB+1){1'b0}});
			sw_reset_d = 1'b0;
			sw_n_d = {(NB+1){1'b0}};
			sw_end_d = fire_end;
		end else if (cfg_cmd_reset) begin
			sw_active_d = 1'b1;
			sw_reset_d = 1'b1;
			sw_n_d = {(NB+1){1'b0}};
			sw_end_d = NEURONS[NB:0];
		end
		f1_valid_d = sw_issue;
		f1_reset_d = sw_reset_q;
		f1_n_d = sw_n_q[NB-1:0];
	end

	// F1: threshold, reset, clamp (steps 2-4 of docs/semantics.md)
	wire [PBITS-1:0] f1_u = pb_rdata[f1_n_q[LB-1:0]*PBITS +: PBITS];
	wire [PBITS-1:0] f1_th = np_rdata[0 +: PBITS];
	wire [PBITS-1:0] f1_b = np_rdata[PBITS +: PBITS];
	wire [1:0]       f1_prof = np_rdata[2*PBITS +: 2];
	wire             f1_en = np_rdata[2*PBITS + 2];
	wire [5:0]       f1_pword = profile_q[f1_prof*6 +: 6];
	wire             f1_s = f1_en && !f1_reset_q && ($signed(f1_u) >= $signed(f1_th));
	wire [PBITS:0]   f1_diff = {f1_u[PBITS-1], f1_u} - {f1_th[PBITS-1], f1_th};
	localparam [PBITS:0] VMAX = (1 << (PBITS - 2)) - 1;
	localparam [PBITS:0] VMIN = -(1 << (PBITS - 2));
	reg [PBITS:0] f1_v;
	always @(*) begin
		if (!f1_s)
			f1_v = {f1_u[PBITS-1], f1_u};
		else if (f1_pword[5])
			f1_v = f1_diff;
		else
			f1_v = {(PBITS+1){1'b0}};
		if ($signed(f1_v) > $signed(VMAX))
			f1_v = VMAX;
		else if ($signed(f1_v) < $signed(VMIN))
			f1_v = VMIN;
		f2_valid_d = f1_valid_q;
		f2_reset_d = f1_reset_q;
		f2_n_d = f1_n_q;
		f2_en_d = f1_en;
		f2_s_d = f1_s;
		f2_u_d = f1_u;
		f2_v_d = f1_v[PBITS-1:0];
		f2_b_d = f1_b;
		f2_carry_d = f1_pword[0];
		f2_k_d = f1_pword[4:1];
	end

	// F2: carry and bias (step 5), write back, spike and trace
	wire [PBITS-1:0] f2_leak = $signed(f2_v_q) >>> f2_k_q;
	reg  [PBITS-1:0] f2_carry;
	always @(*) begin
		if (!f2_carry_q)
			f2_carry = {PBITS{1'b0}};
		else if (f2_k_q == 4'd0)
			f2_carry = f2_v_q;
		else
			f2_carry = f2_v_q - f2_leak;
	end
	wire [PBITS-1:0] f2_a = f2_carry + f2_b_q;
	wire f2_spike = f2_valid_q && !f2_reset_q && f2_s_q;
	wire f2_trace = f2_valid_q && !f2_reset_q && f2_en_q && i_trace_en;

	// ------------------------------------------------------------ spike queue, router
	wire          spk_valid, spk_ready, spk_empty, spk_push_ready;
	wire [NB-1:0] spk_slot;
	wire          rt_busy;
	wire [63:0]   rt_word;

	hone_fifo_ram #(
		.WIDTH (NB),
		.ABITS (NB)
	) u_spike_queue (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (f2_spike),
		.o_ready (spk_push_ready),
		.i_data  (f2_n_q),
		.o_valid (spk_valid),
		.i_ready (spk_ready),
		.o_data  (spk_slot),
		.o_empty (spk_empty)
	);

	hone_router #(
		.NB     (NB),
		.RTSEGS (RTSEGS),
		.CORES  (CORES)
	) u_router (
		.i_clk       (i_clk),
		.i_rst_n     (i_rst_n),
		.i_spk_valid (spk_valid),
		.o_spk_ready (spk_ready),
		.i_spk_slot  (spk_slot),
		.i_rtseg     (rtseg_q),
		.i_rd_en     (rd_valid_q && rd_mem_q == MEM_RTSEG),
		.i_rd_idx    (rd_addr_q),
		.o_rt_word   (rt_word),
		.o_pkt_valid (o_pkt_valid),
		.i_pkt_ready (i_pkt_ready),
		.o_pkt_mask  (o_pkt_mask),
		.o_pkt_axon  (o_pkt_axon),
		.o_busy      (rt_busy)
	);

	// ------------------------------------------------------------ trace queue
	wire [NB-1:0] tr_slot;
	hone_fifo #(
		.WIDTH (NB + PBITS + 1),
		.ABITS (2)
	) u_trace_queue (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (f2_trace),
		.o_ready (tr_push_ready),
		.i_data  ({f2_n_q, f2_u_q, f2_s_q}),
		.o_valid (o_trace_valid),
		.i_ready (i_trace_ready),
		.o_data  ({tr_slot, o_trace_u, o_trace_s}),
		.o_count (tr_count[2:0])
	);
	assign tr_count[4:3] = 2'b00;
	assign o_trace_slot = {{(13-NB){1'b0}}, tr_slot};

	// ------------------------------------------------------------ memory ports
	wire cfg_w_weight = i_cfg_we && i_cfg_mem == MEM_WEIGHT && {16'd0, i_cfg_addr} < WWORDS;
	wire cfg_r_weight = i_cfg_re && i_cfg_mem == MEM_WEIGHT;
	wire cfg_w_nparam = i_cfg_we && i_cfg_mem == MEM_NPARAM && {16'd0, i_cfg_addr} < NEURONS;
	wire cfg_w_pot    = i_cfg_we && i_cfg_mem == MEM_POT && {16'd0, i_cfg_addr} < NEURONS;
	wire [NB-1:0] cfg_slot = i_cfg_addr[NB-1:0];

	always @(*) begin
		// weight memory: clear, configuration, or the streamer's reads
		wm_en = st_active_q;
		wm_we = 1'b0;
		wm_addr = st_waddr_q[WA-1:0];
		wm_wdata = i_cfg_wdata[WW-1:0];
		if (clr_active_q) begin
			wm_en = (clr_n_q < WWORDS[CB-1:0]);
			wm_we = 1'b1;
			wm_addr = clr_n_q[WA-1:0];
			wm_wdata = {WW{1'b0}};
		end else if (cfg_w_weight || cfg_r_weight) begin
			wm_en = 1'b1;
			wm_we = cfg_w_weight;
			wm_addr = i_cfg_addr[WA-1:0];
		end

		// neuron parameters: threshold and bias keep their low PBITS bits
		np_we = cfg_w_nparam;
		np_waddr = cfg_slot;
		np_wdata = {i_cfg_wdata[50], i_cfg_wdata[49:48], i_cfg_wdata[24 +: PBITS],
		            i_cfg_wdata[0 +: PBITS]};
		if (clr_active_q) begin
			np_we = (clr_n_q < NEURONS[CB-1:0]);
			np_waddr = clr_n_q[NB-1:0];
			np_wdata = {PRW{1'b0}};
		end
		np_raddr = i_cfg_re ? cfg_slot : sw_n_q[NB-1:0];

		// potential banks: all lanes from the RMW pipeline, or one value
		// (clear, configuration, sweep) for the lanes enabled
		pb_single = f2_reset_q ? (f2_en_q ? f2_b_q : {PBITS{1'b0}}) : f2_a;
		pb_use_single = 1'b1;
		pb_we = {LANES{1'b0}};
		pb_waddr = s2_paddr_q;
		if (clr_active_q) begin
			pb_we = ({{(32-CB){1'b0}}, clr_n_q} < (NEURONS / LANES)) ? {LANES{1'b1}} : {LANES{1'b0}};
			pb_waddr = clr_n_q[PA-1:0];
			pb_single = {PBITS{1'b0}};
		end else if (cfg_w_pot || cfg_w_nparam) begin
			pb_we[cfg_slot[LB-1:0]] = cfg_w_pot;
			pb_waddr = cfg_slot[NB-1:LB];
			pb_single = i_cfg_wdata[PBITS-1:0];
		end else if (f2_valid_q) begin
			pb_we[f2_n_q[LB-1:0]] = f2_reset_q || f2_en_q;
			pb_waddr = f2_n_q[NB-1:LB];
		end else begin
			pb_use_single = 1'b0;
			pb_we = s2_valid_q ? s2_we : {LANES{1'b0}};
		end
		pb_wdata = pb_use_single ? {LANES{pb_single}} : s2_new;
		// enable bits follow NPARAM writes; cleared with everything else
		en_wmask = {LANES{1'b0}};
		en_wdata = {LANES{i_cfg_wdata[50]}};
		if (clr_active_q) begin
			en_wmask = pb_we;
			en_wdata = {LANES{1'b0}};
		end else if (cfg_w_nparam) begin
			en_wmask[cfg_slot[LB-1:0]] = 1'b1;
		end
		if (i_cfg_re)
			pb_raddr = cfg_slot[NB-1:LB];
		else if (sw_active_q)
			pb_raddr = sw_n_q[NB-1:LB];
		else
			pb_raddr = s1_paddr_q;

		clr_active_d = clr_active_q && (clr_n_q + 1'b1 != CLR_END);
		clr_n_d = clr_active_q ? clr_n_q + 1'b1 : clr_n_q;
	end

	// ------------------------------------------------------------ configuration
	integer p;
	always @(*) begin
		n_neurons_d = n_neurons_q;
		profile_d = profile_q;
		axseg_d = axseg_q;
		rtseg_d = rtseg_q;
		if (i_cfg_we) begin
			case (i_cfg_mem)
			MEM_COREREG: begin
				if (i_cfg_addr == 16'd0)
					n_neurons_d = i_cfg_wdata[12:0];
				for (p = 0; p < 4; p = p + 1)
					if ({16'd0, i_cfg_addr} == p + 1)
						profile_d[p*6 +: 6] = i_cfg_wdata[5:0];
			end
			MEM_AXSEG: begin
				for (p = 0; p < AXSEGS; p = p + 1)
					if ({16'd0, i_cfg_addr} == p)
						axseg_d[p*64 +: 64] = i_cfg_wdata;
			end
			MEM_RTSEG: begin
				for (p = 0; p < RTSEGS; p = p + 1)
					if ({16'd0, i_cfg_addr} == p)
						rtseg_d[p*64 +: 64] = {11'd0, i_cfg_wdata[52:0]};
			end
			default: ;
			endcase
		end

		// Reads: memories answer next cycle; the word is composed then.
		rd_valid_d = i_cfg_re;
		rd_mem_d = i_cfg_mem;
		rd_addr_d = i_cfg_addr;
		rd_data_d = rd_data_q;
		if (rd_valid_q) begin
			rd_data_d = 64'd0;
			case (rd_mem_q)
			MEM_COREREG: begin
				if (rd_addr_q == 16'd0)
					rd_data_d = {51'd0, n_neurons_q};
				for (p = 0; p < 4; p = p + 1)
					if ({16'd0, rd_addr_q} == p + 1)
						rd_data_d = {58'd0, profile_q[p*6 +: 6]};
			end
			MEM_AXSEG:
				if ({16'd0, rd_addr_q} < AXSEGS)
					rd_data_d = ax_word;
			MEM_RTSEG:
				if ({16'd0, rd_addr_q} < RTSEGS)
					rd_data_d = rt_word;
			MEM_WEIGHT:
				if ({16'd0, rd_addr_q} < WWORDS)
					rd_data_d = {{(64-WW){1'b0}}, wm_rdata};
			MEM_NPARAM:
				if ({16'd0, rd_addr_q} < NEURONS)
					rd_data_d = {13'd0, np_rdata[PRW-1 -: 3],
					             {(24-PBITS){np_rdata[2*PBITS-1]}}, np_rdata[PBITS +: PBITS],
					             {(24-PBITS){np_rdata[PBITS-1]}}, np_rdata[0 +: PBITS]};
			MEM_POT:
				if ({16'd0, rd_addr_q} < NEURONS)
					rd_data_d = {40'd0,
					             {(24-PBITS){pb_rdata[rd_addr_q[LB-1:0]*PBITS + PBITS-1]}},
					             pb_rdata[rd_addr_q[LB-1:0]*PBITS +: PBITS]};
			default: rd_data_d = 64'd0;
			endcase
		end
	end
	assign o_cfg_rdata = rd_data_q;

	// ------------------------------------------------------------ status
	assign o_fire_busy = sweep_busy || !spk_empty || rt_busy || o_trace_valid;
	assign o_busy = o_fire_busy || clr_active_q || evq_valid || lk_valid_q ||
	                st_active_q || s1_valid_q || s2_valid_q;

	// Kept for the record: the queue cannot overflow (see hone_fifo_ram);
	// the trace queue is protected by tr_credit.
	wire unused_ok = &{1'b0, spk_push_ready, tr_push_ready, evq_count,
	                   i_cfg_wdata[63:51], i_cfg_wdata[47:24+PBITS],
	                   i_cfg_wdata[23:PBITS], lk_nf_word[11:PA],
	                   lk_wpr[12], st_waddr_q[15:WA]};

	// ------------------------------------------------------------ state
	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			n_neurons_q  <= 13'd0;
			profile_q    <= 24'd0;
			axseg_q      <= {(AXSEGS*64){1'b0}};
			rtseg_q      <= {(RTSEGS*64){1'b0}};
			clr_active_q <= 1'b1;
			clr_n_q      <= {CB{1'b0}};
			lk_valid_q   <= 1'b0;
			lk_off_q     <= 12'd0;
			lk_wbase_q   <= 16'd0;
			lk_nf_q      <= 12'd0;
			lk_rn_q      <= 12'd0;
			lk_g_q       <= {GBITS{1'b0}};
			st_active_q  <= 1'b0;
			st_waddr_q   <= 16'd0;
			st_paddr_q   <= {PA{1'b0}};
			st_rem_q     <= 12'd0;
			st_g_q       <= {GBITS{1'b0}};
			s1_valid_q   <= 1'b0;
			s1_paddr_q   <= {PA{1'b0}};
			s1_mask_q    <= {LANES{1'b0}};
			s1_g_q       <= {GBITS{1'b0}};
			s2_valid_q   <= 1'b0;
			s2_paddr_q   <= {PA{1'b0}};
			s2_mask_q    <= {LANES{1'b0}};
			s2_prod_q    <= {(LANES*PRB){1'b0}};
			wb_valid_q   <= 1'b0;
			wb_paddr_q   <= {PA{1'b0}};
			wb_mask_q    <= {LANES{1'b0}};
			wb_data_q    <= {(LANES*PBITS){1'b0}};
			sw_active_q  <= 1'b0;
			sw_reset_q   <= 1'b0;
			sw_n_q       <= {(NB+1){1'b0}};
			sw_end_q     <= {(NB+1){1'b0}};
			f1_valid_q   <= 1'b0;
			f1_reset_q   <= 1'b0;
			f1_n_q       <= {NB{1'b0}};
			f2_valid_q   <= 1'b0;
			f2_reset_q   <= 1'b0;
			f2_n_q       <= {NB{1'b0}};
			f2_en_q      <= 1'b0;
			f2_s_q       <= 1'b0;
			f2_u_q       <= {PBITS{1'b0}};
			f2_v_q       <= {PBITS{1'b0}};
			f2_b_q       <= {PBITS{1'b0}};
			f2_carry_q   <= 1'b0;
			f2_k_q       <= 4'd0;
			rd_valid_q   <= 1'b0;
			rd_mem_q     <= 3'd0;
			rd_addr_q    <= 16'd0;
			rd_data_q    <= 64'd0;
		end else begin
			n_neurons_q  <= n_neurons_d;
			profile_q    <= profile_d;
			axseg_q      <= axseg_d;
			rtseg_q      <= rtseg_d;
			clr_active_q <= clr_active_d;
			clr_n_q      <= clr_n_d;
			lk_valid_q   <= lk_valid_d;
			lk_off_q     <= lk_off_d;
			lk_wbase_q   <= lk_wbase_d;
			lk_nf_q      <= lk_nf_d;
			lk_rn_q      <= lk_rn_d;
			lk_g_q       <= lk_g_d;
			st_active_q  <= st_active_d;
			st_waddr_q   <= st_waddr_d;
			st_paddr_q   <= st_paddr_d;
			st_rem_q     <= st_rem_d;
			st_g_q       <= st_g_d;
			s1_valid_q   <= s1_valid_d;
			s1_paddr_q   <= s1_paddr_d;
			s1_mask_q    <= s1_mask_d;
			s1_g_q       <= s1_g_d;
			s2_valid_q   <= s2_valid_d;
			s2_paddr_q   <= s2_paddr_d;
			s2_mask_q    <= s2_mask_d;
			s2_prod_q    <= s2_prod_d;
			wb_valid_q   <= wb_valid_d;
			wb_paddr_q   <= wb_paddr_d;
			wb_mask_q    <= wb_mask_d;
			wb_data_q    <= wb_data_d;
			sw_active_q  <= sw_active_d;
			sw_reset_q   <= sw_reset_d;
			sw_n_q       <= sw_n_d;
			sw_end_q     <= sw_end_d;
			f1_valid_q   <= f1_valid_d;
			f1_reset_q   <= f1_reset_d;
			f1_n_q       <= f1_n_d;
			f2_valid_q   <= f2_valid_d;
			f2_reset_q   <= f2_reset_d;
			f2_n_q       <= f2_n_d;
			f2_en_q      <= f2_en_d;
			f2_s_q       <= f2_s_d;
			f2_u_q       <= f2_u_d;
			f2_v_q       <= f2_v_d;
			f2_b_q       <= f2_b_d;
			f2_carry_q   <= f2_carry_d;
			f2_k_q       <= f2_k_d;
			rd_valid_q   <= rd_valid_d;
			rd_mem_q     <= rd_mem_d;
			rd_addr_q    <= rd_addr_d;
			rd_data_q    <= rd_data_d;
		end
	end

	// Sizes this core cannot take (elaboration-time checks).
	generate
		if (WW > 64) begin : gen_err_width
			hone_core_error_weight_word_wider_than_64 u_err ();
		end
		if ((1 << LB) != LANES || (1 << NB) != NEURONS || (1 << WA) != WWORDS) begin : gen_err_pow2
			hone_core_error_sizes_must_be_powers_of_two u_err ();
		end
		if (PBITS > 24 || NEURONS <= LANES || NB > 12) begin : gen_err_range
			hone_core_error_size_out_of_range u_err ();
		end
	endgenerate

endmodule
