// SPDX-License-Identifier: Apache-2.0
//
// hone_router: turns a core's spikes into address-event packets. A spiking
// slot n (from the core's spike queue) is looked up in all route segments
// at once; the lowest segment r that holds it (first_r <= n < first_r +
// count_r) makes one packet:
//
//   mask  = {to_host_r, core_mask_r[CORES-1:0]}   (bit CORES = the host)
//   axon  = axon_base_r + (n - first_r)            (12 bits; the output id
//                                                   when it goes to the host)
//
// A slot no segment holds, or whose segment sends nowhere, is dropped. The
// packet register is held until the fabric has delivered it to every
// destination in its mask (valid/ready; nothing is dropped on the way).
`default_nettype none

module hone_router #(
	parameter NB     = 5,     // slot bits
	parameter RTSEGS = 8,
	parameter CORES  = 4
) (
	input  wire                 i_clk,
	input  wire                 i_rst_n,
	// spikes from the core's spike queue
	input  wire                 i_spk_valid,
	output wire                 o_spk_ready,
	input  wire [NB-1:0]        i_spk_slot,
	// route-segment table, RTSEGS packed words of docs/chip-image.md
	input  wire [RTSEGS*64-1:0] i_rtseg,
	// configuration read of segment i_rd_idx through the same mux
	input  wire                 i_rd_en,
	input  wire [15:0]          i_rd_idx,
	output reg  [63:0]          o_rt_word,
	// packets to the fabric
	output wire                 o_pkt_valid,
	input  wire                 i_pkt_ready,
	output wire [CORES:0]       o_pkt_mask,
	output wire [11:0]          o_pkt_axon,
	output wire                 o_busy
);
	reg           pkt_valid_q, pkt_valid_d;
	reg [CORES:0] pkt_mask_q, pkt_mask_d;
	reg [11:0]    pkt_axon_q, pkt_axon_d;

	wire [11:0] slot = {{(12-NB){1'b0}}, i_spk_slot};

	// One AND-OR mux over the segment words: the lowest segment holding
	// the slot, or the segment a configuration read names.
	reg  [RTSEGS-1:0] sel;
	reg               found;
	reg  [11:0]       count;
	reg  [12:0]       diff;     // slot - first; bit 12 set: slot < first
	integer r;
	always @(*) begin
		found = 1'b0;
		sel = {RTSEGS{1'b0}};
		for (r = 0; r < RTSEGS; r = r + 1) begin
			diff = {1'b0, slot} - {1'b0, i_rtseg[r*64 + 0 +: 12]};
			count = i_rtseg[r*64 + 12 +: 12];
			if (i_rd_en)
				sel[r] = ({16'd0, i_rd_idx} == r);
			else if (!found && !diff[12] && diff[11:0] < count) begin
				sel[r] = 1'b1;
				found = 1'b1;
			end
		end
		o_rt_word = 64'd0;
		for (r = 0; r < RTSEGS; r = r + 1)
			if (sel[r])
				o_rt_word = o_rt_word | i_rtseg[r*64 +: 64];
	end
	wire [CORES:0] mask = {o_rt_word[52], o_rt_word[24 +: CORES]};
	wire [11:0]    axon = o_rt_word[51:40] + (slot - o_rt_word[11:0]);

	assign o_pkt_valid = pkt_valid_q;
	assign o_pkt_mask  = pkt_mask_q;
	assign o_pkt_axon  = pkt_axon_q;
	assign o_spk_ready = !pkt_valid_q || i_pkt_ready;
	assign o_busy      = pkt_valid_q;

	always @(*) begin
		pkt_valid_d = pkt_valid_q && !i_pkt_ready;
		pkt_mask_d = pkt_mask_q;
		pkt_axon_d = pkt_axon_q;
		if (o_spk_ready) begin
			pkt_valid_d = i_spk_valid && (mask != {(CORES+1){1'b0}});
			pkt_mask_d = mask;
			pkt_axon_d = axon;
		end
	end

	always @(posedge i_clk or negedge i_rst_n) begin
		if (!i_rst_n) begin
			pkt_valid_q <= 1'b0;
			pkt_mask_q  <= {(CORES+1){1'b0}};
			pkt_axon_q  <= 12'd0;
		end else begin
			pkt_valid_q <= pkt_valid_d;
			pkt_mask_q  <= pkt_mask_d;
			pkt_axon_q  <= pkt_axon_d;
		end
	end

	// Bits of the table a router does not read: cores beyond CORES, spare.
	wire unused_ok = &{1'b0, i_rtseg};
endmodule
