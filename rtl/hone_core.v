// SPDX-License-Identifier: Apache-2.0
//
// hone_core: one spiking core (docs/chip-image.md, arithmetic of
// docs/semantics.md). Blocks, named by the prefix of the signals they drive:
//
//   EVQ_  event queue (axon, g) from the fabric
//   L1_   axon lookup: the segment of the event's axon
//   D_    descriptor of the segment last used; SR_ searches the segments
//         in the table RAM when the axon is not in it
//   L2_   row descriptor: first weight word, slots, words, g
//   ST_   row streamer: one weight word (LANES weights) per cycle
//   S1_/S2_ read-modify-write pipeline into the LANES potential banks
//   SW_/F1_/F2_ fire sweep (and the reset_state sweep) over the slots
//   CK_   after an AXSEG write: which segments overlap no lower one (CL_)
//   SG_/RS_ segment writes and reads of the configuration
//   CLR_  clear of every memory after reset (SPRAM has no init value)
//
// Memories (docs/rtl.md "a core"): the weight memory; LANES potential
// banks; the enable bits (one LANES-bit word per bank address); the neuron
// parameters; and the table RAM, one 16-bit EBR holding both segment
// tables (four words per segment, the 64-bit word of docs/chip-image.md in
// 16-bit pieces) and the spike bitmap of the last fire sweep (one
// LANES-bit word per bank address). Nothing wide lives in flip-flops.
//
// Integrate pipeline, one event:
//   L1   if the axon is in the segment of D_ (and that segment overlaps no
//        lower one), the product (axon - first) * words is registered
//        into L2; else SR_ reads the segments from the lowest, two pieces
//        each, until one holds the axon (the lowest wins, rule 1 of
//        docs/chip-image.md), and loads it into D_ (two more pieces)
//   L2   row descriptor; the streamer loads it on its last word, so rows
//        follow each other with no bubble
//   ST   issues one weight-memory read per cycle
//   S1   weight word arrives; LANES products w*g; potential banks read
//   S2   potential words arrive; a += w*g per lane; write back
// A potential word is read in S1 and written in S2; a word read on the
// edge that writes it would be stale, so the streamer waits one cycle
// when its next word has the bank address of the word just issued (only
// back-to-back single-word rows on the same slots).
//
// Fire sweep: slot n = 0 .. n_neurons-1, one per cycle, five stages (read
// the potential; its lane, NPARAM read; threshold/reset/clamp, spike and
// trace; v + b and the leak; the difference written back); the spike bits
// of each LANES slots are written to the bitmap as one word. When the
// sweep ends, hone_router scans the bitmap segment by segment.
`default_nettype none

module hone_core #(
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
	parameter WMEM_IMPL = "behavioural"
) (
	input  wire               i_clk,
	input  wire               i_rst_n,
	// configuration access, only while the core is idle. A write's fields
	// stay on the bus until o_busy falls again (segment writes take four
	// cycles); a read's fields only in the cycle of i_cfg_re.
	input  wire               i_cfg_we,
	input  wire               i_cfg_re,
	input  wire [2:0]         i_cfg_mem,
	input  wire [15:0]        i_cfg_addr,
	input  wire [63:0]        i_cfg_wdata,
	// read data: a whole word (o_rd_valid), or the four 16-bit pieces of a
	// segment word, lowest first (o_rd_piece_valid); the chip assembles them
	output wire               o_rd_valid,
	output reg  [63:0]        o_rd_word,
	output wire               o_rd_piece_valid,
	output wire [15:0]        o_rd_piece,
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
	output wire               o_rebuild,     // the axon table is being rebuilt
	output wire               o_fire_busy,   // sweep, spikes or traces not drained
	output wire               o_cnt_event,
	output wire [11:0]        o_cnt_sops
);
	// ------------------------------------------------------------ sizes
	localparam LB  = $clog2(LANES);
	localparam NB  = $clog2(NEURONS);
	localparam PA  = NB - LB;                 // potential bank address bits
	localparam WA  = $clog2(WWORDS);
	localparam AB  = $clog2(AXONS);
	localparam WW  = LANES * WBITS;
	localparam PRW = 2 * PBITS + 3;           // {enable, profile, bias, threshold}
	// The lanes' multiply-adds go into the UP5K's DSPs where it has them
	// (the UltraPlus is the part with SPRAM, hence the test).
	localparam MAC_IMPL = (WMEM_IMPL == "spram") ? "ice40_dsp" : "behavioural";
	localparam SEGS = (AXSEGS > RTSEGS) ? AXSEGS : RTSEGS;
	localparam SI  = (SEGS > 1) ? $clog2(SEGS) : 1;   // segment index bits
	localparam SW  = SI + 3;                  // {table, segment, piece}
	localparam TA  = ((SW > PA) ? SW : PA) + 1;       // table RAM address bits
	localparam [TA-1:0] BM_BASE = {1'b1, {(TA-1){1'b0}}};
	localparam CLR_W = (WWORDS > NEURONS) ? WWORDS : NEURONS;
	localparam CLR_A = 1 << TA;
	localparam CLR_N = (CLR_W > CLR_A) ? CLR_W : CLR_A;
	localparam CB  = $clog2(CLR_N) + 1;       // clear counter
	localparam [CB-1:0] CLR_END = CLR_N[CB-1:0];

	localparam [2:0] MEM_COREREG = 3'd1, MEM_AXSEG = 3'd2, MEM_RTSEG = 3'd3,
	                 MEM_WEIGHT = 3'd4, MEM_NPARAM = 3'd5, MEM_POT = 3'd6,
	                 MEM_CMD = 3'd7;

	// ------------------------------------------------------------ registers
	reg  [12:0]          n_neurons_q, n_neurons_d;
	reg  [6*4-1:0]       profile_q, profile_d;     // 4 x {reset, shift[3:0], carry}

	reg                  clr_active_q, clr_active_d;
	reg  [CB-1:0]        clr_n_q, clr_n_d;

	// axon lookup (L1)
	reg                  l1_valid_q, l1_valid_d;
	reg  [11:0]          l1_axon_q, l1_axon_d;
	reg  [GBITS-1:0]     l1_g_q, l1_g_d;
	// registered as the event enters L1 (D_ does not change then): is the
	// axon in D_'s segment, and its offset axon - first there (the search
	// that loads a new D_ updates the offset as it goes)
	reg                  l1_in_q, l1_in_d;
	reg  [AB-1:0]        l1_off_q, l1_off_d;

	// the product (axon - first) * words, one set bit a cycle
	reg                  mp_busy_q, mp_busy_d;
	reg  [WA-1:0]        mp_acc_q, mp_acc_d;
	reg  [PA:0]          mp_rem_q, mp_rem_d;
	reg                  mp_one_q, mp_one_d;       // mp_rem has one bit at most

	// descriptor of the segment last used
	reg                  d_valid_q, d_valid_d;
	reg                  d_clean_q, d_clean_d;     // overlaps no lower segment
	reg                  d_found_q, d_found_d;     // just found for the L1 event
	reg                  d_none_q, d_none_d;       // no segment holds it
	reg  [11:0]          d_first_q, d_first_d;
	reg  [11:0]          d_count_q, d_count_d;
	reg  [12:0]          d_stop_q, d_stop_d;       // first + count
	reg  [WA-1:0]        d_wbase_q, d_wbase_d;
	reg  [PA-1:0]        d_pbase_q, d_pbase_d;
	reg  [11:0]          d_rn_q, d_rn_d;
	reg  [PA:0]          d_words_q, d_words_d;     // ceil(row_neurons / LANES)
	reg                  d_one_q, d_one_d;         // ... has one bit set at most
	reg                  sr_active_q, sr_active_d; // searching
	reg  [SI-1:0]        sr_s_q, sr_s_d;           // segment looked at
	reg  [2:0]           sr_k_q, sr_k_d;           // its pieces asked for

	// row (L2): its product and g; the rest is D_, not refetched meanwhile
	reg                  l2_valid_q, l2_valid_d;
	reg  [WA-1:0]        l2_prod_q, l2_prod_d;     // (axon - first) * words
	reg  [GBITS-1:0]     l2_g_q, l2_g_d;

	// row streamer
	reg                  st_active_q, st_active_d;
	reg  [WA-1:0]        st_waddr_q, st_waddr_d;
	reg  [PA-1:0]        st_paddr_q, st_paddr_d;
	reg  [PA:0]          st_left_q, st_left_d;     // words after this one
	reg  [LB-1:0]        st_rlo_q, st_rlo_d;
	reg                  st_last_q, st_last_d;     // this word is the row's last
	reg                  st_haz_q, st_haz_d;       // this word was just issued
	reg  [GBITS-1:0]     st_g_q, st_g_d;

	// read-modify-write pipeline
	reg                  s1_valid_q, s1_valid_d;
	reg  [PA-1:0]        s1_paddr_q, s1_paddr_d;
	reg  [LANES-1:0]     s1_mask_q, s1_mask_d;
	reg  [GBITS-1:0]     s1_g_q, s1_g_d;
	reg                  s2_valid_q, s2_valid_d;
	reg  [PA-1:0]        s2_paddr_q, s2_paddr_d;
	reg  [LANES-1:0]     s2_mask_q, s2_mask_d;

	// sweep
	reg                  sw_active_q, sw_active_d;
	reg                  sw_reset_q, sw_reset_d;    // 1: reset_state sweep
	reg  [NB:0]          sw_n_q, sw_n_d;
	reg  [NB:0]          sw_end_q, sw_end_d;
	reg                  f1_valid_q, f1_valid_d;
	reg                  f1_reset_q, f1_reset_d;
	reg                  f1_last_q, f1_last_d;
	reg  [NB-1:0]        f1_n_q, f1_n_d;            // also the lane of a POT read
	reg                  f2_valid_q, f2_valid_d;
	reg                  f2_reset_q, f2_reset_d;
	reg                  f2_last_q, f2_last_d;
	reg  [NB-1:0]        f2_n_q, f2_n_d;
	reg  [PBITS-1:0]     f2_u_q, f2_u_d;
	reg  [PRW-1:0]       f2_np_q, f2_np_d;          // the slot's NPARAM word
	reg  [LANES-1:0]     f2_bits_q, f2_bits_d;      // spikes of the bitmap word
	reg                  bm_we_q, bm_we_d;          // ... complete: written now
	reg                  bm_last_q, bm_last_d;      // ... and the sweep's last
	reg  [PA-1:0]        bm_addr_q, bm_addr_d;
	reg                  f3_valid_q, f3_valid_d;
	reg                  f3_reset_q, f3_reset_d;
	reg  [NB-1:0]        f3_n_q, f3_n_d;
	reg                  f3_en_q, f3_en_d;
	reg  [PBITS-1:0]     f3_cu_q, f3_cu_d;          // u clamped (no spike)
	reg  [PBITS-1:0]     f3_cd_q, f3_cd_d;          // u - θ clamped (a spike)
	reg                  f3_s_q, f3_s_d;            // the spike
	reg                  f3_rz_q, f3_rz_d;          // subtract-reset (else to 0)
	reg  [PBITS-1:0]     f3_b_q, f3_b_d;
	reg                  f3_carry_q, f3_carry_d;
	reg  [3:0]           f3_k_q, f3_k_d;
	reg                  f4_valid_q, f4_valid_d;
	reg  [LANES-1:0]     f4_we_q, f4_we_d;          // the slot's bank, if enabled or a reset sweep
	reg  [PA-1:0]        f4_pa_q, f4_pa_d;          // ... and its bank address
	reg  [PBITS-1:0]     f4_vb_q, f4_vb_d;          // carry base + bias
	reg  [PBITS-1:0]     f4_leak_q, f4_leak_d;

	// overlap check of the axon segments
	reg  [AXSEGS-1:0]    cl_q, cl_d;                // segment overlaps no lower one
	reg                  ck_active_q, ck_active_d;
	reg                  ck_cmp_q, ck_cmp_d;        // 0: reading c, 1: reading s < c
	reg  [SI-1:0]        ck_c_q, ck_c_d;
	reg  [SI-1:0]        ck_s_q, ck_s_d;
	reg  [1:0]           ck_k_q, ck_k_d;            // pieces asked for (0, 1, 2)
	reg  [15:0]          ck_p0_q, ck_p0_d;          // piece 0 of the segment read
	reg  [11:0]          ck_first_q, ck_first_d;    // segment c: [first, stop)
	reg  [12:0]          ck_stop_q, ck_stop_d;

	// segment writes and reads
	reg                  sg_active_q, sg_active_d;
	reg  [1:0]           sg_k_q, sg_k_d;
	reg                  sg_rt_q, sg_rt_d;
	reg  [SI-1:0]        sg_idx_q, sg_idx_d;
	reg                  rs_active_q, rs_active_d;  // reading the four pieces
	reg  [2:0]           rs_n_q, rs_n_d;            // pieces asked for
	reg                  rs_pend_q, rs_pend_d;

	// configuration reads
	reg                  rd_valid_q, rd_valid_d;
	reg  [2:0]           rd_mem_q, rd_mem_d;
	reg                  rd_ok_q, rd_ok_d;          // address in range
	reg  [2:0]           rd_reg_q, rd_reg_d;        // COREREG register
	reg                  cnt_ev_q, cnt_ev_d;        // counter increments, registered
	reg  [11:0]          cnt_sops_q, cnt_sops_d;

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

	// event queue
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

	// table RAM: segments and the spike bitmap
	reg            tab_we;
	reg  [TA-1:0]  tab_waddr, tab_raddr;
	reg  [15:0]    tab_wdata;
	wire [15:0]    tab_rdata;

	hone_ram_1r1w #(
		.WIDTH (16),
		.ABITS (TA)
	) u_tables (
		.i_clk   (i_clk),
		.i_we    (tab_we),
		.i_waddr (tab_waddr),
		.i_wdata (tab_wdata),
		.i_raddr (tab_raddr),
		.o_rdata (tab_rdata)
	);

	// ------------------------------------------------------------ config decode
	// Sizes are powers of two: "addr < SIZE" is a test of the high bits
	// (a comparison would be a carry chain).
	wire in_axsegs  = (i_cfg_addr >> $clog2(AXSEGS)) == 16'd0;
	wire in_rtsegs  = (i_cfg_addr >> $clog2(RTSEGS)) == 16'd0;
	wire in_wwords  = (i_cfg_addr >> WA) == 16'd0;
	wire in_neurons = (i_cfg_addr >> NB) == 16'd0;
	// The fields are decoded into flops every cycle: the strobes come a
	// cycle after the command's fields are on the bus (the chip registers
	// them) and the fields stay until the command is taken, so the decode
	// is ready with the strobe and the memories' enables start at flops.
	reg dc_axseg_q, dc_rtseg_q, dc_weight_q, dc_nparam_q, dc_pot_q, dc_reset_q;
	reg [LANES-1:0] dc_lane_q;                  // the slot's bank, one-hot
	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			dc_axseg_q  <= 1'b0;
			dc_rtseg_q  <= 1'b0;
			dc_weight_q <= 1'b0;
			dc_nparam_q <= 1'b0;
			dc_pot_q    <= 1'b0;
			dc_reset_q  <= 1'b0;
			dc_lane_q   <= {LANES{1'b0}};
		end else begin
			dc_axseg_q  <= i_cfg_mem == MEM_AXSEG && in_axsegs;
			dc_rtseg_q  <= i_cfg_mem == MEM_RTSEG && in_rtsegs;
			dc_weight_q <= i_cfg_mem == MEM_WEIGHT && in_wwords;
			dc_nparam_q <= i_cfg_mem == MEM_NPARAM && in_neurons;
			dc_pot_q    <= i_cfg_mem == MEM_POT && in_neurons;
			dc_reset_q  <= i_cfg_mem == MEM_CMD && i_cfg_addr == 16'd0;
			dc_lane_q   <= {{(LANES-1){1'b0}}, 1'b1} << i_cfg_addr[LB-1:0];
		end
	end
	wire cfg_w_axseg  = i_cfg_we && dc_axseg_q;
	wire cfg_w_rtseg  = i_cfg_we && dc_rtseg_q;
	wire cfg_w_weight = i_cfg_we && dc_weight_q;
	wire cfg_w_nparam = i_cfg_we && dc_nparam_q;
	wire cfg_w_pot    = i_cfg_we && dc_pot_q;
	wire cfg_cmd_reset = i_cfg_we && dc_reset_q;
	wire cfg_r_axseg  = i_cfg_re && dc_axseg_q;
	wire cfg_r_rtseg  = i_cfg_re && dc_rtseg_q;
	wire [NB-1:0] cfg_slot = i_cfg_addr[NB-1:0];

	// ------------------------------------------------------------ axon lookup
	wire sweep_busy = sw_active_q || f1_valid_q || f2_valid_q || f3_valid_q || f4_valid_q ||
	                  bm_we_q;
	wire rebuilding = ck_active_q;
	wire integ_allow = !sweep_busy && !clr_active_q && !rebuilding;

	// Is the axon in [first, first + count)? For D_: two comparisons side
	// by side; for the search, with the count's high piece on the RAM
	// output: axon - first < count.
	wire [11:0]   sr_count = {tab_rdata[7:0], d_count_q[3:0]};
	// (the search's axon - first, registered as piece 0 arrives: the
	// comparison with the count of piece 1 starts at a flop)
	reg  [12:0]   l1_rel_q, l1_rel_d;
	wire [12:0]   l1_rel = l1_rel_q;
	wire          evq_in = (evq_axon >= d_first_q) && ({1'b0, evq_axon} < d_stop_q);
	wire [AB-1:0] evq_rel = evq_axon[AB-1:0] - d_first_q[AB-1:0];   // (mod 2^AB)
	wire          l1_hit = d_valid_q && ((d_clean_q && l1_in_q) || d_found_q);
	wire          l1_found = !d_none_q;
	// (both registered: st_last_q is st_left_q == 0; st_haz_q is
	// s1_valid_q && s1_paddr_q == st_paddr_q, which can only hold after a
	// word issued with the last of its row and the next row loaded at
	// the same bank address)
	wire          st_last = st_last_q;
	wire          st_issue = st_active_q && !st_haz_q;
	wire          l2_take = l2_valid_q && (!st_active_q || (st_last && st_issue));
	wire          l2_free = !l2_valid_q || l2_take;
	// L1 moves on: the event is dropped (no segment) or goes into L2.
	wire          l1_go = l1_valid_q && (!l1_found || (l1_hit && mp_done && l2_free));
	assign evq_pop = evq_valid && integ_allow && (!l1_valid_q || l1_go);

	// Every event a core integrates counts (docs/semantics.md "events"), and
	// its row length as synaptic operations; an axon no segment maps is
	// dropped uncounted (the compiler never sends one).
	// (registered: the chip's adders are off this path)
	always @(*) begin
		cnt_ev_d = l1_go && l1_found;
		cnt_sops_d = (l1_go && l1_found) ? d_rn_q : 12'd0;
	end
	assign o_cnt_event = cnt_ev_q;
	assign o_cnt_sops = cnt_sops_q;

	// The row's first word is weight_base + (axon - first) * words. The
	// product is made one set bit of words per cycle (shift and add), so
	// one cycle for rows of a power of two words, and never more cycles
	// than the row has words (the streamer is busy as long); it is
	// registered into L2, the sum made as the streamer loads.
	localparam OW = (WA > AB) ? WA : AB;
	wire [AB-1:0]   l1_off = l1_off_q;
	wire [PA:0]     mp_rem = mp_busy_q ? mp_rem_q : d_words_q;
	wire [WA-1:0]   mp_acc = mp_busy_q ? mp_acc_q : {WA{1'b0}};
	wire [PA:0]     mp_low = mp_rem & (~mp_rem + 1'b1);   // lowest set bit
	wire [PA:0]     mp_rest = mp_rem & (mp_rem - 1'b1);   // the others
	// (done: the remainder had one bit at most, known a cycle ahead)
	wire            mp_done = mp_busy_q ? mp_one_q : d_one_q;
	reg  [OW-1:0]   mp_term;
	integer         m;
	always @(*) begin
		mp_term = {OW{1'b0}};
		for (m = 0; m <= PA; m = m + 1)
			if (mp_low[m])
				mp_term = mp_term | ({{(OW-AB){1'b0}}, l1_off} << m);
	end
	wire [WA-1:0]   mp_sum = mp_acc + mp_term[WA-1:0];

	always @(*) begin
		l1_valid_d = l1_go ? 1'b0 : l1_valid_q;
		l1_axon_d = l1_axon_q;
		l1_g_d = l1_g_q;
		l1_in_d = l1_in_q;
		l1_off_d = (sr_active_q && sr_k_q == 3'd3) ? l1_rel[AB-1:0] : l1_off_q;
		mp_busy_d = l1_valid_q && l1_found && l1_hit && !l1_go;
		mp_acc_d = mp_sum;
		mp_rem_d = mp_rest;
		mp_one_d = ((mp_rest & (mp_rest - 1'b1)) == {(PA+1){1'b0}});
		if (evq_pop) begin
			l1_valid_d = 1'b1;
			l1_axon_d = evq_axon;
			l1_g_d = evq_g;
			l1_in_d = evq_in;
			l1_off_d = evq_rel;
		end

		l2_valid_d = l2_take ? 1'b0 : l2_valid_q;
		l2_prod_d = l2_prod_q;
		l2_g_d = l2_g_q;
		if (l1_go && l1_found) begin
			l2_valid_d = (d_words_q != {(PA+1){1'b0}});
			l2_prod_d = mp_sum;
			l2_g_d = l1_g_q;
		end
	end

	// Search: AXSEG pieces 0, 1 of segments 0, 1, ... (first and count),
	// one a cycle (the lookup has the read port before the router), until
	// one holds the axon; then pieces 2, 3 of that one (weight_base,
	// neuron_first, row_neurons) complete D_. Piece p holds bits
	// [16p+15:16p] of the 64-bit word; each field is gathered bit by bit
	// from the piece that holds it. (Not while L2 holds a row: it uses D_
	// as the streamer takes it.) SR_K: 0, 1 ask for pieces 0, 1 of segment
	// s; 2 asks for piece 0 of s + 1 whatever piece 1 says (the read
	// address never waits for the comparison), and then either goes on
	// with s + 1 or, if s holds the axon, 3 asks for piece 2 (the piece 0
	// arriving is not used), 4 for piece 3, 5 is done.
	localparam D_FIRST = 0, D_COUNT = 12, D_WBASE = 24, D_PBASE = 40 + LB, D_RN = 52;
	wire       sr_req = sr_active_q && (sr_k_q != 3'd5);
	reg  [1:0] sr_piece;                                // the piece arriving
	reg  [1:0] sr_ask;                                  // ... asked for
	wire       sr_pend = sr_active_q && (sr_k_q != 3'd0) && (sr_k_q != 3'd3);
	wire       sr_match = !l1_rel[12] && (l1_rel[11:0] < sr_count);   // (count 0: never)
	wire [12:0] sr_words = {1'b0, tab_rdata[15:4]} + LANES[12:0] - 13'd1;
	always @(*) begin
		case (sr_k_q)
		3'd1: begin sr_piece = 2'd0; sr_ask = 2'd1; end
		3'd2: begin sr_piece = 2'd1; sr_ask = 2'd0; end
		3'd3: begin sr_piece = 2'd0; sr_ask = 2'd2; end
		3'd4: begin sr_piece = 2'd2; sr_ask = 2'd3; end
		3'd5: begin sr_piece = 2'd3; sr_ask = 2'd3; end
		default: begin sr_piece = 2'd0; sr_ask = 2'd0; end
		endcase
	end
	wire [SI-1:0] sr_seg = (sr_k_q == 3'd2) ? sr_s_q + 1'b1 : sr_s_q;
	wire [TA-1:0] sr_raddr = {{(TA-SW){1'b0}}, 1'b0, sr_seg, sr_ask};
	integer    b;
	always @(*) begin
		sr_active_d = sr_active_q;
		sr_s_d = sr_s_q;
		sr_k_d = sr_req ? sr_k_q + 3'd1 : sr_k_q;
		d_valid_d = d_valid_q;
		d_clean_d = d_clean_q;
		d_found_d = d_found_q && !l1_go;
		d_none_d = d_none_q && !l1_go;
		d_first_d = d_first_q;
		d_count_d = d_count_q;
		d_stop_d = d_stop_q;
		d_wbase_d = d_wbase_q;
		d_pbase_d = d_pbase_q;
		d_rn_d = d_rn_q;
		d_words_d = d_words_q;
		d_one_d = d_one_q;
		if (l1_valid_q && !l1_hit && !d_none_q && !sr_active_q && !l2_valid_q) begin
			sr_active_d = 1'b1;
			sr_s_d = {SI{1'b0}};
			sr_k_d = 3'd0;
			d_valid_d = 1'b0;
		end
		l1_rel_d = l1_rel_q;
		if (sr_pend && sr_piece == 2'd0)
			l1_rel_d = {1'b0, l1_axon_q} - {1'b0, tab_rdata[11:0]};
		if (sr_pend) begin
			for (b = 0; b < 12; b = b + 1)
				if ({30'd0, sr_piece} == (D_FIRST + b) / 16) d_first_d[b] = tab_rdata[(D_FIRST + b) % 16];
			for (b = 0; b < 12; b = b + 1)
				if ({30'd0, sr_piece} == (D_COUNT + b) / 16) d_count_d[b] = tab_rdata[(D_COUNT + b) % 16];
			for (b = 0; b < WA; b = b + 1)
				if ({30'd0, sr_piece} == (D_WBASE + b) / 16) d_wbase_d[b] = tab_rdata[(D_WBASE + b) % 16];
			for (b = 0; b < PA; b = b + 1)
				if ({30'd0, sr_piece} == (D_PBASE + b) / 16) d_pbase_d[b] = tab_rdata[(D_PBASE + b) % 16];
			for (b = 0; b < 12; b = b + 1)
				if ({30'd0, sr_piece} == (D_RN + b) / 16) d_rn_d[b] = tab_rdata[(D_RN + b) % 16];
		end
		// piece 1 here: the segment holds the axon, or the next is asked for
		if (sr_active_q && sr_k_q == 3'd2)
			d_stop_d = {1'b0, d_first_q} + {1'b0, sr_count};
		if (sr_active_q && sr_k_q == 3'd2 && !sr_match) begin
			if (sr_s_q == AXSEGS[SI-1:0] - 1'b1) begin
				sr_active_d = 1'b0;
				d_none_d = 1'b1;
			end else begin
				sr_s_d = sr_s_q + 1'b1;
				sr_k_d = 3'd1;      // its piece 0 is asked for now
			end
		end
		if (sr_active_q && sr_k_q == 3'd5) begin
			d_words_d = sr_words[LB +: PA+1];
			d_one_d = ((sr_words[LB +: PA+1] & (sr_words[LB +: PA+1] - 1'b1)) == {(PA+1){1'b0}});
			d_valid_d = 1'b1;
			d_clean_d = cl_q[sr_s_q];
			d_found_d = 1'b1;
			sr_active_d = 1'b0;
		end
		if (cfg_w_axseg || clr_active_q)
			d_valid_d = 1'b0;
	end

	// ------------------------------------------------------------ streamer
	// The mask of the row's last word: lanes below row_neurons mod LANES.
	reg [LANES-1:0] st_mask;
	integer l;
	always @(*) begin
		for (l = 0; l < LANES; l = l + 1)
			st_mask[l] = !st_last || (st_rlo_q == {LB{1'b0}}) || (l < st_rlo_q);
		st_active_d = st_active_q;
		st_waddr_d = st_waddr_q;
		st_paddr_d = st_paddr_q;
		st_left_d = st_left_q;
		st_rlo_d = st_rlo_q;
		st_g_d = st_g_q;
		st_last_d = st_last_q;
		st_haz_d = st_issue && l2_take && (st_paddr_q == d_pbase_q);
		if (st_issue) begin
			st_last_d = (st_left_q == {{PA{1'b0}}, 1'b1});
			st_waddr_d = st_waddr_q + 1'b1;
			st_paddr_d = st_paddr_q + 1'b1;
			st_left_d = st_left_q - 1'b1;
			if (st_last)
				st_active_d = 1'b0;
		end
		if (l2_take) begin
			st_active_d = 1'b1;
			st_waddr_d = d_wbase_q + l2_prod_q;
			st_paddr_d = d_pbase_q;
			st_left_d = d_words_q - 1'b1;
			st_last_d = (d_words_q == {{PA{1'b0}}, 1'b1});
			st_rlo_d = d_rn_q[LB-1:0];
			st_g_d = l2_g_q;
		end
	end

	// ------------------------------------------------------------ RMW pipeline
	wire [LANES*PBITS-1:0] s2_new;
	wire [LANES-1:0]       s2_we = s2_mask_q & en_rdata;   // disabled slots stay
	always @(*) begin
		s1_valid_d = st_issue;
		s1_paddr_d = st_paddr_q;
		s1_mask_d = st_mask;
		s1_g_d = st_g_q;
		s2_valid_d = s1_valid_q;
		s2_paddr_d = s1_paddr_q;
		s2_mask_d = s1_mask_q;
	end

	// S1: w*g registered per lane; S2: a + w*g (two lanes per MAC)
	generate
		for (gl = 0; gl < LANES; gl = gl + 2) begin : gen_mac
			hone_lane_mac #(
				.WBITS (WBITS),
				.GBITS (GBITS),
				.PBITS (PBITS),
				.IMPL  (MAC_IMPL)
			) u_mac (
				.i_clk   (i_clk),
				.i_rst_n (i_rst_n),
				.i_w     (wm_rdata[gl*WBITS +: 2*WBITS]),
				.i_g     (s1_g_q),
				.i_acc   (pb_rdata[gl*PBITS +: 2*PBITS]),
				.o_sum   (s2_new[gl*PBITS +: 2*PBITS])
			);
		end
	endgenerate

	// ------------------------------------------------------------ sweep
	wire [4:0] tr_count;
	wire       tr_push_ready;
	// Enough trace-queue room for this slot and the two ahead of it (the
	// queue holds two: while tracing, the sweep is as slow as the link).
	// tr_count + f1_valid_q + f2_valid_q < 2, written as comparisons with
	// constants: logic for one LUT4, which synthesis cannot turn into a
	// carry chain (as a sum it did or did not, by the order its passes
	// happened to meet the cells in: 34 or 29 MHz on the iCEBreaker).
	wire tr_credit = (tr_count == 5'd0 && !(f1_valid_q && f2_valid_q)) ||
	                 (tr_count == 5'd1 && !f1_valid_q && !f2_valid_q);
	wire sw_issue = sw_active_q && (sw_reset_q || !i_trace_en || tr_credit);
	wire [NB:0] fire_end = ((n_neurons_q >> NB) != 13'd0) ? NEURONS[NB:0] : n_neurons_q[NB:0];

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
		f1_last_d = sw_issue && (sw_n_q + 1'b1 == sw_end_q);
		f1_n_d = i_cfg_re ? cfg_slot : sw_n_q[NB-1:0];
	end

	// F1: the slot's potential from its lane, and its NPARAM word (read in
	// SW with the potential row), both registered into F2.
	wire [PBITS-1:0] f1_u = pb_rdata[f1_n_q[LB-1:0]*PBITS +: PBITS];
	always @(*) begin
		f2_valid_d = f1_valid_q;
		f2_reset_d = f1_reset_q;
		f2_last_d = f1_last_q;
		f2_n_d = f1_n_q;
		f2_u_d = f1_u;
		f2_np_d = np_rdata;
	end

	// F2: threshold, reset, clamp (steps 2-4 of docs/semantics.md). One
	// subtraction u - θ gives both the comparison and the subtract-reset.
	// The spike and the trace word leave here.
	wire [PBITS-1:0] f2_th = f2_np_q[0 +: PBITS];
	wire [PBITS-1:0] f2_b = f2_np_q[PBITS +: PBITS];
	wire [1:0]       f2_prof = f2_np_q[2*PBITS +: 2];
	wire             f2_en = f2_np_q[2*PBITS + 2];
	reg  [5:0]       f2_pword;
	wire [PBITS:0]   f2_diff = {f2_u_q[PBITS-1], f2_u_q} - {f2_th[PBITS-1], f2_th};
	wire             f2_s = f2_en && !f2_reset_q && !f2_diff[PBITS];
	// clamp to [-2^(P-2), 2^(P-2)-1] (the top three bits must agree), of
	// u and of u - θ side by side, so only a mux follows the comparison
	localparam [PBITS-1:0] VMAX = {2'b00, {(PBITS-2){1'b1}}};
	localparam [PBITS-1:0] VMIN = {2'b11, {(PBITS-2){1'b0}}};
	wire [PBITS-1:0] f2_cu = (f2_u_q[PBITS-1] == f2_u_q[PBITS-2]) ? f2_u_q :
	                         (f2_u_q[PBITS-1] ? VMIN : VMAX);
	wire [PBITS-1:0] f2_cd = (f2_diff[PBITS:PBITS-2] == 3'b000 || f2_diff[PBITS:PBITS-2] == 3'b111) ?
	                         f2_diff[PBITS-1:0] : (f2_diff[PBITS] ? VMIN : VMAX);
	always @(*) begin
		case (f2_prof)
		2'd0: f2_pword = profile_q[0 +: 6];
		2'd1: f2_pword = profile_q[6 +: 6];
		2'd2: f2_pword = profile_q[12 +: 6];
		default: f2_pword = profile_q[18 +: 6];
		endcase
		// steps 3 (reset) and 4 (clamp) pick among these in F3, so that
		// the spike bit, the end of F2's carry chain, drives only flops
		f3_valid_d = f2_valid_q;
		f3_reset_d = f2_reset_q;
		f3_n_d = f2_n_q;
		f3_en_d = f2_en;
		f3_cu_d = f2_cu;
		f3_cd_d = f2_cd;
		f3_s_d = f2_s;
		f3_rz_d = f2_pword[5];
		f3_b_d = f2_b;
		f3_carry_d = f2_pword[0];
		f3_k_d = f2_pword[4:1];
	end
	wire f2_fire = f2_valid_q && !f2_reset_q;
	wire f2_trace = f2_fire && f2_en && i_trace_en;

	// Spike bits of LANES slots make one bitmap word in f2_bits, written to
	// the table RAM the cycle after its last slot (or the sweep's last);
	// then the router scans the bitmap.
	wire [LANES-1:0] f2_old = bm_we_q ? {LANES{1'b0}} : f2_bits_q;
	wire f2_word_end = f2_fire && (f2_n_q[LB-1:0] == {LB{1'b1}} || f2_last_q);
	wire rt_start = bm_we_q && bm_last_q;
	always @(*) begin
		f2_bits_d = f2_old;
		if (f2_fire)
			f2_bits_d = f2_old | ({{(LANES-1){1'b0}}, f2_s} << f2_n_q[LB-1:0]);
		bm_we_d = f2_word_end;
		bm_last_d = f2_last_q;
		bm_addr_d = f2_n_q[NB-1:LB];
	end

	// F3/F4: a = carry(v) + b (step 5) as (v + b) - (v >>> k), the sum and
	// the shift side by side in F3, the difference in F4, written back.
	// carry none: a = b; k = 0: a = v + b. The reset_state sweep writes
	// a = b (enabled slots) or 0.
	// step 3 (reset) then 4 (clamp) of F2's spike; a spike's u - θ is >= 0
	wire [PBITS-1:0] f3_v = !f3_s_q ? f3_cu_q : (f3_rz_q ? f3_cd_q : {PBITS{1'b0}});
	wire [PBITS-1:0] f3_leak = $signed(f3_v) >>> f3_k_q;
	always @(*) begin
		f4_valid_d = f3_valid_q;
		f4_we_d = (f3_reset_q || f3_en_q) ? {{(LANES-1){1'b0}}, 1'b1} << f3_n_q[LB-1:0] :
		                                    {LANES{1'b0}};
		f4_pa_d = f3_n_q[NB-1:LB];
		f4_vb_d = f3_b_q;
		f4_leak_d = {PBITS{1'b0}};
		if (f3_reset_q) begin
			if (!f3_en_q)
				f4_vb_d = {PBITS{1'b0}};
		end else if (f3_carry_q) begin
			f4_vb_d = f3_v + f3_b_q;
			if (f3_k_q != 4'd0)
				f4_leak_d = f3_leak;
		end
	end
	wire [PBITS-1:0] f4_a = f4_vb_q - f4_leak_q;

	// ------------------------------------------------------------ router
	wire          rt_busy, rt_rd_req, rt_wr_en;
	wire [TA-1:0] rt_rd_addr, rt_wr_addr;
	wire [LANES-1:0] rt_wr_data;
	reg           rt_rd_gnt;

	hone_router #(
		.LANES  (LANES),
		.NB     (NB),
		.TA     (TA),
		.SI     (SI),
		.RTSEGS (RTSEGS),
		.CORES  (CORES)
	) u_router (
		.i_clk       (i_clk),
		.i_rst_n     (i_rst_n),
		.i_start     (rt_start),
		.i_end       (sw_end_q),
		.o_rd_req    (rt_rd_req),
		.o_rd_addr   (rt_rd_addr),
		.i_rd_gnt    (rt_rd_gnt),
		.i_rd_data   (tab_rdata),
		.o_wr_en     (rt_wr_en),
		.o_wr_addr   (rt_wr_addr),
		.o_wr_data   (rt_wr_data),
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
		.ABITS (1)
	) u_trace_queue (
		.i_clk   (i_clk),
		.i_rst_n (i_rst_n),
		.i_valid (f2_trace),
		.o_ready (tr_push_ready),
		.i_data  ({f2_n_q, f2_u_q, f2_s}),
		.o_valid (o_trace_valid),
		.i_ready (i_trace_ready),
		.o_data  ({tr_slot, o_trace_u, o_trace_s}),
		.o_count (tr_count[1:0])
	);
	assign tr_count[4:2] = 3'b000;
	assign o_trace_slot = {{(13-NB){1'b0}}, tr_slot};

	// ------------------------------------------------------------ overlap check
	// After an AXSEG write: for each segment c > 0, read its [first, first +
	// count), then each lower segment's, and clear CL_[c] if one of them
	// overlaps it. D_ may then be used for any axon it holds only if its
	// segment is clean; otherwise every event searches from segment 0. The
	// compiler never emits overlaps; this keeps odd images exact. A new
	// AXSEG write restarts the check (two cycles per pair of segments).
	// (it waits for the segment write itself, four cycles)
	wire        ck_go = ck_active_q && !sg_active_q;
	wire        ck_req = ck_go && !ck_k_q[1];
	wire [11:0] ck_count = {tab_rdata[7:0], ck_p0_q[15:12]};
	wire [12:0] ck_stop = {1'b0, ck_p0_q[11:0]} + {1'b0, ck_count};
	wire        ck_overlap = (ck_count != 12'd0) && ({1'b0, ck_p0_q[11:0]} < ck_stop_q) &&
	                         ({1'b0, ck_first_q} < ck_stop);
	always @(*) begin
		ck_active_d = ck_active_q;
		ck_cmp_d = ck_cmp_q;
		ck_c_d = ck_c_q;
		ck_s_d = ck_s_q;
		ck_k_d = ck_go ? ck_k_q + 2'd1 : ck_k_q;
		ck_p0_d = ck_p0_q;
		ck_first_d = ck_first_q;
		ck_stop_d = ck_stop_q;
		cl_d = cl_q;
		if (ck_go && ck_k_q == 2'd1)
			ck_p0_d = tab_rdata;
		if (ck_go && ck_k_q == 2'd2) begin
			// both pieces of the segment read are here
			ck_k_d = 2'd0;
			if (!ck_cmp_q) begin
				ck_first_d = ck_p0_q[11:0];
				ck_stop_d = ck_stop;
				ck_s_d = {SI{1'b0}};
				ck_cmp_d = (ck_count != 12'd0);    // an empty c overlaps nothing
				if (ck_count == 12'd0) begin
					if (ck_c_q == AXSEGS[SI-1:0] - 1'b1)
						ck_active_d = 1'b0;
					ck_c_d = ck_c_q + 1'b1;
				end
			end else begin
				if (ck_overlap)
					cl_d[ck_c_q] = 1'b0;
				ck_s_d = ck_s_q + 1'b1;
				if (ck_s_q + 1'b1 == ck_c_q) begin
					ck_cmp_d = 1'b0;
					if (ck_c_q == AXSEGS[SI-1:0] - 1'b1)
						ck_active_d = 1'b0;
					ck_c_d = ck_c_q + 1'b1;
				end
			end
		end
		if (cfg_w_axseg) begin
			cl_d = {AXSEGS{1'b1}};
			ck_active_d = (AXSEGS > 1);
			ck_cmp_d = 1'b0;
			ck_c_d = {{(SI-1){1'b0}}, 1'b1};
			ck_k_d = 2'd0;
		end
	end

	// ------------------------------------------------------------ segment writes, reads
	// A segment word is four pieces of the table RAM, written in the four
	// cycles after the command (whose data stays on the bus meanwhile) and
	// read in the four cycles after a READ. RTSEG keeps bits [52:0].
	wire [TA-1:0] sg_base = {{(TA-SW){1'b0}}, sg_rt_q, sg_idx_q, 2'b00};
	reg  [15:0]   sg_piece;
	wire          rs_req = rs_active_q && !rs_n_q[2];
	always @(*) begin
		sg_active_d = sg_active_q && (sg_k_q != 2'd3);
		sg_k_d = sg_active_q ? sg_k_q + 2'd1 : 2'd0;
		sg_rt_d = sg_rt_q;
		sg_idx_d = sg_idx_q;
		if (cfg_w_axseg || cfg_w_rtseg || cfg_r_axseg || cfg_r_rtseg) begin
			sg_rt_d = (i_cfg_mem == MEM_RTSEG);
			sg_idx_d = i_cfg_addr[SI-1:0];
		end
		if (cfg_w_axseg || cfg_w_rtseg)
			sg_active_d = 1'b1;
		case (sg_k_q)
		2'd0: sg_piece = i_cfg_wdata[15:0];
		2'd1: sg_piece = i_cfg_wdata[31:16];
		2'd2: sg_piece = i_cfg_wdata[47:32];
		default: sg_piece = sg_rt_q ? {11'd0, i_cfg_wdata[52:48]} : i_cfg_wdata[63:48];
		endcase

		rs_active_d = (rs_active_q && !rs_n_q[2]) || cfg_r_axseg || cfg_r_rtseg;
		rs_n_d = rs_req ? rs_n_q + 3'd1 : (rs_active_q ? rs_n_q : 3'd0);
		rs_pend_d = rs_req;
		if (cfg_r_axseg || cfg_r_rtseg)
			rs_n_d = 3'd0;
	end

	// ------------------------------------------------------------ table RAM ports
	// Reads: configuration, rebuild, descriptor fetch, router (never more
	// than the last two at once; the lookup goes first). Writes: clear,
	// segment writes, the sweep's bitmap words, the router's cleared words.
	wire [TA-1:0] ck_raddr = {{(TA-SW){1'b0}}, 1'b0, ck_cmp_q ? ck_s_q : ck_c_q, 1'b0, ck_k_q[0]};
	always @(*) begin
		rt_rd_gnt = 1'b0;
		if (rs_req)
			tab_raddr = sg_base | {{(TA-2){1'b0}}, rs_n_q[1:0]};
		else if (ck_req)
			tab_raddr = ck_raddr;
		else if (sr_req)
			tab_raddr = sr_raddr;
		else begin
			tab_raddr = rt_rd_addr;
			rt_rd_gnt = rt_rd_req;
		end

		tab_we = 1'b1;
		tab_waddr = rt_wr_addr;
		tab_wdata = {{(16-LANES){1'b0}}, rt_wr_data};
		if (clr_active_q) begin
			tab_we = ((clr_n_q >> TA) == {CB{1'b0}});
			tab_waddr = clr_n_q[TA-1:0];
			tab_wdata = 16'd0;
		end else if (sg_active_q) begin
			tab_waddr = sg_base | {{(TA-2){1'b0}}, sg_k_q};
			tab_wdata = sg_piece;
		end else if (bm_we_q) begin
			tab_waddr = BM_BASE | {{(TA-PA){1'b0}}, bm_addr_q};
			tab_wdata = {{(16-LANES){1'b0}}, f2_bits_q};
		end else
			tab_we = rt_wr_en;
	end

	// ------------------------------------------------------------ memory ports
	always @(*) begin
		// weight memory: clear, configuration, or the streamer's reads
		wm_en = st_issue;
		wm_we = 1'b0;
		wm_addr = st_waddr_q;
		wm_wdata = i_cfg_wdata[WW-1:0];
		if (clr_active_q) begin
			wm_en = ((clr_n_q >> WA) == {CB{1'b0}});
			wm_we = 1'b1;
			wm_addr = clr_n_q[WA-1:0];
			wm_wdata = {WW{1'b0}};
		end else if (cfg_w_weight || (i_cfg_re && i_cfg_mem == MEM_WEIGHT)) begin
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
			np_we = ((clr_n_q >> NB) == {CB{1'b0}});
			np_waddr = clr_n_q[NB-1:0];
			np_wdata = {PRW{1'b0}};
		end
		np_raddr = i_cfg_re ? cfg_slot : sw_n_q[NB-1:0];

		// potential banks: all lanes from the RMW pipeline, or one value
		// (clear, configuration, sweep) for the lanes enabled
		pb_single = f4_a;
		pb_use_single = 1'b1;
		pb_we = {LANES{1'b0}};
		pb_waddr = s2_paddr_q;
		if (clr_active_q) begin
			pb_we = ((clr_n_q >> PA) == {CB{1'b0}}) ? {LANES{1'b1}} : {LANES{1'b0}};
			pb_waddr = clr_n_q[PA-1:0];
			pb_single = {PBITS{1'b0}};
		end else if (cfg_w_pot || cfg_w_nparam) begin
			pb_we = dc_lane_q & {LANES{cfg_w_pot}};
			pb_waddr = cfg_slot[NB-1:LB];
			pb_single = i_cfg_wdata[PBITS-1:0];
		end else if (f4_valid_q) begin
			pb_we = f4_we_q;
			pb_waddr = f4_pa_q;
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
			en_wmask = dc_lane_q;
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
		if (i_cfg_we && i_cfg_mem == MEM_COREREG) begin
			if (i_cfg_addr == 16'd0)
				n_neurons_d = i_cfg_wdata[12:0];
			for (p = 0; p < 4; p = p + 1)
				if ({16'd0, i_cfg_addr} == p + 1)
					profile_d[p*6 +: 6] = i_cfg_wdata[5:0];
		end

		// Reads: memories answer next cycle (segments: four pieces, one a
		// cycle), the word is composed then and the chip keeps it.
		rd_valid_d = i_cfg_re;
		rd_mem_d = i_cfg_re ? i_cfg_mem : rd_mem_q;
		rd_reg_d = i_cfg_re ? i_cfg_addr[2:0] : rd_reg_q;
		rd_ok_d = rd_ok_q;
		if (i_cfg_re) begin
			case (i_cfg_mem)
			MEM_COREREG: rd_ok_d = (i_cfg_addr[15:3] == 13'd0) && (i_cfg_addr[2:0] <= 3'd4);
			MEM_WEIGHT:  rd_ok_d = in_wwords;
			MEM_NPARAM, MEM_POT: rd_ok_d = in_neurons;
			default:     rd_ok_d = 1'b0;
			endcase
		end
	end

	// the read word, an AND-OR of the memories' answers
	wire r_coreg = rd_ok_q && rd_mem_q == MEM_COREREG;
	wire r_wt    = rd_ok_q && rd_mem_q == MEM_WEIGHT;
	wire r_np    = rd_ok_q && rd_mem_q == MEM_NPARAM;
	wire r_pot   = rd_ok_q && rd_mem_q == MEM_POT;
	reg  [12:0] rd_reg_word;
	always @(*) begin
		case (rd_reg_q)
		3'd0: rd_reg_word = n_neurons_q;
		3'd1: rd_reg_word = {7'd0, profile_q[0 +: 6]};
		3'd2: rd_reg_word = {7'd0, profile_q[6 +: 6]};
		3'd3: rd_reg_word = {7'd0, profile_q[12 +: 6]};
		default: rd_reg_word = {7'd0, profile_q[18 +: 6]};
		endcase
		o_rd_word = ({51'd0, rd_reg_word} & {64{r_coreg}}) |
		            ({{(64-WW){1'b0}}, wm_rdata} & {64{r_wt}}) |
		            ({13'd0, np_rdata[PRW-1 -: 3],
		              {(24-PBITS){np_rdata[2*PBITS-1]}}, np_rdata[PBITS +: PBITS],
		              {(24-PBITS){np_rdata[PBITS-1]}}, np_rdata[0 +: PBITS]} & {64{r_np}}) |
		            ({40'd0, {(24-PBITS){f1_u[PBITS-1]}}, f1_u} & {64{r_pot}});
	end
	assign o_rd_valid = rd_valid_q;
	assign o_rd_piece_valid = rs_pend_q;
	assign o_rd_piece = tab_rdata;

	// ------------------------------------------------------------ status
	assign o_fire_busy = sweep_busy || rt_busy || o_trace_valid;
	assign o_busy = o_fire_busy || clr_active_q || evq_valid || l1_valid_q || l2_valid_q ||
	                st_active_q || s1_valid_q || s2_valid_q || sg_active_q ||
	                rs_active_q || rs_pend_q || rd_valid_q || cnt_ev_q;
	assign o_rebuild = rebuilding;

	// Kept for the record: the trace queue is protected by tr_credit.
	wire unused_ok = &{1'b0, tr_push_ready, evq_count, mp_term, sr_words[12:LB+PA+1],
	                   sr_words[LB-1:0],
	                   i_cfg_wdata[63:51], i_cfg_wdata[47:24+PBITS], i_cfg_wdata[23:PBITS]};

	// ------------------------------------------------------------ state
	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			n_neurons_q  <= 13'd0;
			profile_q    <= 24'd0;
			clr_active_q <= 1'b1;
			clr_n_q      <= {CB{1'b0}};
			l1_valid_q   <= 1'b0;
			l1_axon_q    <= 12'd0;
			l1_in_q      <= 1'b0;
			l1_off_q     <= {AB{1'b0}};
			l1_rel_q     <= 13'd0;
			l1_g_q       <= {GBITS{1'b0}};
			mp_busy_q    <= 1'b0;
			mp_acc_q     <= {WA{1'b0}};
			mp_rem_q     <= {(PA+1){1'b0}};
			mp_one_q     <= 1'b0;
			d_one_q      <= 1'b0;
			d_valid_q    <= 1'b0;
			d_first_q    <= 12'd0;
			d_wbase_q    <= {WA{1'b0}};
			d_pbase_q    <= {PA{1'b0}};
			d_rn_q       <= 12'd0;
			d_words_q    <= {(PA+1){1'b0}};
			d_clean_q    <= 1'b0;
			d_found_q    <= 1'b0;
			d_none_q     <= 1'b0;
			d_count_q    <= 12'd0;
			d_stop_q     <= 13'd0;
			sr_active_q  <= 1'b0;
			sr_s_q       <= {SI{1'b0}};
			sr_k_q       <= 3'd0;
			l2_valid_q   <= 1'b0;
			l2_prod_q    <= {WA{1'b0}};
			l2_g_q       <= {GBITS{1'b0}};
			st_active_q  <= 1'b0;
			st_waddr_q   <= {WA{1'b0}};
			st_paddr_q   <= {PA{1'b0}};
			st_left_q    <= {(PA+1){1'b0}};
			st_last_q    <= 1'b1;
			st_haz_q     <= 1'b0;
			st_rlo_q     <= {LB{1'b0}};
			st_g_q       <= {GBITS{1'b0}};
			s1_valid_q   <= 1'b0;
			s1_paddr_q   <= {PA{1'b0}};
			s1_mask_q    <= {LANES{1'b0}};
			s1_g_q       <= {GBITS{1'b0}};
			s2_valid_q   <= 1'b0;
			s2_paddr_q   <= {PA{1'b0}};
			s2_mask_q    <= {LANES{1'b0}};
			sw_active_q  <= 1'b0;
			sw_reset_q   <= 1'b0;
			sw_n_q       <= {(NB+1){1'b0}};
			sw_end_q     <= {(NB+1){1'b0}};
			f1_valid_q   <= 1'b0;
			f1_reset_q   <= 1'b0;
			f1_last_q    <= 1'b0;
			f1_n_q       <= {NB{1'b0}};
			f2_valid_q   <= 1'b0;
			f2_reset_q   <= 1'b0;
			f2_last_q    <= 1'b0;
			f2_n_q       <= {NB{1'b0}};
			f2_u_q       <= {PBITS{1'b0}};
			f2_np_q      <= {PRW{1'b0}};
			f2_bits_q    <= {LANES{1'b0}};
			bm_we_q      <= 1'b0;
			bm_last_q    <= 1'b0;
			bm_addr_q    <= {PA{1'b0}};
			f3_valid_q   <= 1'b0;
			f3_reset_q   <= 1'b0;
			f3_n_q       <= {NB{1'b0}};
			f3_en_q      <= 1'b0;
			f3_cu_q      <= {PBITS{1'b0}};
			f3_cd_q      <= {PBITS{1'b0}};
			f3_s_q       <= 1'b0;
			f3_rz_q      <= 1'b0;
			f3_b_q       <= {PBITS{1'b0}};
			f3_carry_q   <= 1'b0;
			f3_k_q       <= 4'd0;
			f4_valid_q   <= 1'b0;
			f4_we_q      <= {LANES{1'b0}};
			f4_pa_q      <= {PA{1'b0}};
			f4_vb_q      <= {PBITS{1'b0}};
			f4_leak_q    <= {PBITS{1'b0}};
			cl_q         <= {AXSEGS{1'b1}};
			ck_active_q  <= 1'b0;
			ck_cmp_q     <= 1'b0;
			ck_c_q       <= {SI{1'b0}};
			ck_s_q       <= {SI{1'b0}};
			ck_k_q       <= 2'd0;
			ck_p0_q      <= 16'd0;
			ck_first_q   <= 12'd0;
			ck_stop_q    <= 13'd0;
			sg_active_q  <= 1'b0;
			sg_k_q       <= 2'd0;
			sg_rt_q      <= 1'b0;
			sg_idx_q     <= {SI{1'b0}};
			rs_active_q  <= 1'b0;
			rs_n_q       <= 3'd0;
			rs_pend_q    <= 1'b0;
			rd_valid_q   <= 1'b0;
			rd_mem_q     <= 3'd0;
			rd_ok_q      <= 1'b0;
			rd_reg_q     <= 3'd0;
			cnt_ev_q     <= 1'b0;
			cnt_sops_q   <= 12'd0;
		end else begin
			n_neurons_q  <= n_neurons_d;
			profile_q    <= profile_d;
			clr_active_q <= clr_active_d;
			clr_n_q      <= clr_n_d;
			l1_valid_q   <= l1_valid_d;
			l1_axon_q    <= l1_axon_d;
			l1_in_q      <= l1_in_d;
			l1_off_q     <= l1_off_d;
			l1_rel_q     <= l1_rel_d;
			l1_g_q       <= l1_g_d;
			mp_busy_q    <= mp_busy_d;
			mp_acc_q     <= mp_acc_d;
			mp_rem_q     <= mp_rem_d;
			mp_one_q     <= mp_one_d;
			d_one_q      <= d_one_d;
			d_valid_q    <= d_valid_d;
			d_first_q    <= d_first_d;
			d_wbase_q    <= d_wbase_d;
			d_pbase_q    <= d_pbase_d;
			d_rn_q       <= d_rn_d;
			d_words_q    <= d_words_d;
			d_clean_q    <= d_clean_d;
			d_found_q    <= d_found_d;
			d_none_q     <= d_none_d;
			d_count_q    <= d_count_d;
			d_stop_q     <= d_stop_d;
			sr_active_q  <= sr_active_d;
			sr_s_q       <= sr_s_d;
			sr_k_q       <= sr_k_d;
			l2_valid_q   <= l2_valid_d;
			l2_prod_q    <= l2_prod_d;
			l2_g_q       <= l2_g_d;
			st_active_q  <= st_active_d;
			st_waddr_q   <= st_waddr_d;
			st_paddr_q   <= st_paddr_d;
			st_left_q    <= st_left_d;
			st_last_q    <= st_last_d;
			st_haz_q     <= st_haz_d;
			st_rlo_q     <= st_rlo_d;
			st_g_q       <= st_g_d;
			s1_valid_q   <= s1_valid_d;
			s1_paddr_q   <= s1_paddr_d;
			s1_mask_q    <= s1_mask_d;
			s1_g_q       <= s1_g_d;
			s2_valid_q   <= s2_valid_d;
			s2_paddr_q   <= s2_paddr_d;
			s2_mask_q    <= s2_mask_d;
			sw_active_q  <= sw_active_d;
			sw_reset_q   <= sw_reset_d;
			sw_n_q       <= sw_n_d;
			sw_end_q     <= sw_end_d;
			f1_valid_q   <= f1_valid_d;
			f1_reset_q   <= f1_reset_d;
			f1_last_q    <= f1_last_d;
			f1_n_q       <= f1_n_d;
			f2_valid_q   <= f2_valid_d;
			f2_reset_q   <= f2_reset_d;
			f2_last_q    <= f2_last_d;
			f2_n_q       <= f2_n_d;
			f2_u_q       <= f2_u_d;
			f2_np_q      <= f2_np_d;
			f2_bits_q    <= f2_bits_d;
			bm_we_q      <= bm_we_d;
			bm_last_q    <= bm_last_d;
			bm_addr_q    <= bm_addr_d;
			f3_valid_q   <= f3_valid_d;
			f3_reset_q   <= f3_reset_d;
			f3_n_q       <= f3_n_d;
			f3_en_q      <= f3_en_d;
			f3_cu_q      <= f3_cu_d;
			f3_cd_q      <= f3_cd_d;
			f3_s_q       <= f3_s_d;
			f3_rz_q      <= f3_rz_d;
			f3_b_q       <= f3_b_d;
			f3_carry_q   <= f3_carry_d;
			f3_k_q       <= f3_k_d;
			f4_valid_q   <= f4_valid_d;
			f4_we_q      <= f4_we_d;
			f4_pa_q      <= f4_pa_d;
			f4_vb_q      <= f4_vb_d;
			f4_leak_q    <= f4_leak_d;
			cl_q         <= cl_d;
			ck_active_q  <= ck_active_d;
			ck_cmp_q     <= ck_cmp_d;
			ck_c_q       <= ck_c_d;
			ck_s_q       <= ck_s_d;
			ck_k_q       <= ck_k_d;
			ck_p0_q      <= ck_p0_d;
			ck_first_q   <= ck_first_d;
			ck_stop_q    <= ck_stop_d;
			sg_active_q  <= sg_active_d;
			sg_k_q       <= sg_k_d;
			sg_rt_q      <= sg_rt_d;
			sg_idx_q     <= sg_idx_d;
			rs_active_q  <= rs_active_d;
			rs_n_q       <= rs_n_d;
			rs_pend_q    <= rs_pend_d;
			rd_valid_q   <= rd_valid_d;
			rd_mem_q     <= rd_mem_d;
			rd_ok_q      <= rd_ok_d;
			rd_reg_q     <= rd_reg_d;
			cnt_ev_q     <= cnt_ev_d;
			cnt_sops_q   <= cnt_sops_d;
		end
	end

	// Sizes this core cannot take (elaboration-time checks).
	generate
		if (WW > 64) begin : gen_err_width
			hone_core_error_weight_word_wider_than_64 u_err ();
		end
		if ((1 << LB) != LANES || (1 << NB) != NEURONS || (1 << WA) != WWORDS ||
		    (1 << AB) != AXONS || (1 << $clog2(AXSEGS)) != AXSEGS ||
		    (1 << $clog2(RTSEGS)) != RTSEGS) begin : gen_err_pow2
			hone_core_error_sizes_must_be_powers_of_two u_err ();
		end
		if (PBITS > 24 || NEURONS <= LANES || NB > 12 || LANES > 16 || LANES < 2 || AXONS < 16 ||
		    AB > 12 || WA > 16 || TA > 8) begin : gen_err_range
			hone_core_error_size_out_of_range u_err ();
		end
	endgenerate

endmodule
