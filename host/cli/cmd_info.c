/* SPDX-License-Identifier: Apache-2.0 */
/* hone info FILE | --target CONFIG | URI: describe what is there. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: hone info [FILE | URI] [--target CONFIG [--format text|make|json]]\n"
	"       hone info --boards\n"
	"\n"
	"Describe a NIR network (.nir), a chip image (.himg), a chip\n"
	"configuration, or a device (ref:, sim:, usb:). With no argument, list\n"
	"the built-in configurations.\n"
	"\n"
	"options:\n"
	"  -t, --target CONFIG   describe a configuration\n"
	"  -b, --boards          list the boards attached over USB (FT2232H\n"
	"                        0403:6010) as the usb:SERIAL / usb:BUS.ADDR to\n"
	"                        open, without opening any\n"
	"      --format FMT      text (default), make (VAR=value lines used by the\n"
	"                        RTL build), json\n"
	"  -h, --help            this text\n";

static void print_config(const hone_config *c, const char *fmt)
{
	if (!strcmp(fmt, "make")) {
		printf("HONE_CFG_NAME=%s\nHONE_CFG_CORES=%u\nHONE_CFG_LANES=%u\n"
		       "HONE_CFG_WBITS=%u\nHONE_CFG_PBITS=%u\nHONE_CFG_GBITS=%u\n"
		       "HONE_CFG_NEURONS=%u\nHONE_CFG_AXONS=%u\nHONE_CFG_WWORDS=%u\n"
		       "HONE_CFG_AXSEGS=%u\nHONE_CFG_RTSEGS=%u\nHONE_CFG_MEMORY=%s\n"
		       "HONE_CFG_CLOCK_HZ=%.0f\nHONE_CFG_BAUD=%u\n",
		       c->name, c->cores, c->lanes, c->weight_bits, c->potential_bits,
		       c->input_bits, c->neurons, c->axons, c->weight_words,
		       c->axon_segments, c->route_segments, c->memory, c->clock_hz,
		       c->link_baud);
		return;
	}
	if (!strcmp(fmt, "json")) {
		printf("{\"name\": \"%s\", \"cores\": %u, \"lanes\": %u, \"weight_bits\": %u, "
		       "\"potential_bits\": %u, \"input_bits\": %u, \"neurons\": %u, "
		       "\"axons\": %u, \"weight_words\": %u, \"axon_segments\": %u, "
		       "\"route_segments\": %u, \"memory\": \"%s\", \"clock_hz\": %.0f, "
		       "\"link_baud\": %u, \"peak_sop_per_cycle\": %.0f}\n",
		       c->name, c->cores, c->lanes, c->weight_bits, c->potential_bits,
		       c->input_bits, c->neurons, c->axons, c->weight_words,
		       c->axon_segments, c->route_segments, c->memory, c->clock_hz,
		       c->link_baud, hone_config_peak_sop_per_cycle(c));
		return;
	}
	printf("%s: %s\n", c->name, c->description);
	printf("  cores %u, lanes %u, weights %u-bit, potentials %u-bit, graded inputs %u-bit\n",
	       c->cores, c->lanes, c->weight_bits, c->potential_bits, c->input_bits);
	printf("  per core: %u neuron slots, %u axons, %u weight words (%u weights), "
	       "%u axon / %u route segments\n",
	       c->neurons, c->axons, c->weight_words, c->weight_words * c->lanes,
	       c->axon_segments, c->route_segments);
	printf("  memory %s, nominal clock %.1f MHz, link %.1f Mbaud, peak %.0f SOP/cycle\n",
	       c->memory, c->clock_hz / 1e6, c->link_baud / 1e6,
	       hone_config_peak_sop_per_cycle(c));
}

static int info_net(const char *path)
{
	hone_error e = {0};
	hone_net *net = NULL;
	int rc = hone_nir_read(path, 0, 0, &net, &e);
	if (rc)
		return cli_error_from("info", &e, rc);
	printf("%s: NIR network, %d inputs (%d-bit graded), %d layers, %d-bit weights, %d classes\n",
	       path, net->n_inputs, net->input_bits, net->n_layers, net->weight_bits,
	       net->n_classes);
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *ly = &net->layers[l];
		const char *mode = ly->carry == HONE_CARRY_NONE ? "whetstone" : "lif";
		printf("  layer %d %-12s %5d -> %-5d %-9s", (int)l + 1, ly->name, ly->n_in,
		       ly->n_out, mode);
		if (ly->carry == HONE_CARRY_LIF)
			printf(" leak_shift %u reset %s", ly->leak_shift,
			       ly->reset == HONE_RESET_ZERO ? "zero" : "subtract");
		printf("\n");
	}
	hone_net_free(net);
	return 0;
}

static int info_image(const char *path)
{
	hone_error e = {0};
	hone_image *img = NULL;
	int rc = hone_image_read(path, &img, &e);
	if (rc)
		return cli_error_from("info", &e, rc);
	printf("%s: chip image for %s, %d inputs (%d-bit), %d outputs, %d classes, depth %d, %s\n",
	       path, img->cfg.name, img->n_inputs, img->input_bits, img->n_outputs,
	       img->n_classes, img->depth,
	       img->carry == HONE_CARRY_NONE ? "whetstone (pipelined)" : "lif");
	printf("  %zu writes; placement:\n", img->n_writes);
	for (int32_t i = 0; i < img->n_chunks; i++) {
		const hone_chunk *ch = &img->chunks[i];
		printf("    layer %d neurons %d..%d -> core %d slots %d..%d\n", ch->layer + 1,
		       ch->neuron_first, ch->neuron_first + ch->count - 1, ch->core,
		       ch->slot_first, ch->slot_first + ch->count - 1);
	}
	hone_image_free(img);
	return 0;
}

static int info_device(const char *uri)
{
	hone_error e = {0};
	hone_device *dev = NULL;
	int rc = hone_open(uri, &dev, &e);
	if (rc)
		return cli_error_from("info", &e, rc);
	hone_caps caps;
	rc = hone_get_caps(dev, &caps, &e);
	if (rc) {
		hone_close(dev);
		return cli_error_from("info", &e, rc);
	}
	printf("%s: backend %s, protocol %u, build %s\n", uri, caps.backend,
	       caps.protocol_version, caps.build_id[0] ? caps.build_id : "-");
	if (caps.cfg.cores)
		print_config(&caps.cfg, "text");
	hone_close(dev);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, 0, 't'},
		{"boards", no_argument, 0, 'b'},
		{"format", required_argument, 0, 'f'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *target = NULL, *fmt = "text";
	bool boards = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:bh", opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'b': boards = true; break;
		case 'f': fmt = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "make") && strcmp(fmt, "json"))
		return cli_error("info", "unknown format '%s' (text, make or json)", fmt);
	if (boards) {
		if (target || optind < argc)
			return cli_error("info", "--boards takes no other argument");
		char text[4096];
		hone_error e = {0};
		int rc = hone_list_usb(text, sizeof text, &e);
		if (rc)
			return cli_error_from("info", &e, rc);
		fputs(text, stdout);
		return 0;
	}
	if (target) {
		const hone_config *cfg = hone_config_find(target);
		if (!cfg)
			return cli_error("info", "unknown target '%s'", target);
		print_config(cfg, fmt);
		return 0;
	}
	if (optind == argc) {
		for (size_t i = 0; hone_config_at(i); i++)
			print_config(hone_config_at(i), fmt);
		return 0;
	}
	int rc = 0;
	for (; optind < argc; optind++) {
		const char *arg = argv[optind];
		if (!strncmp(arg, "ref:", 4) || !strncmp(arg, "sim:", 4) || !strncmp(arg, "usb:", 4)) {
			rc |= info_device(arg);
			continue;
		}
		FILE *f = fopen(arg, "rb");
		if (!f) {
			rc |= cli_error("info", "cannot open '%s'", arg);
			continue;
		}
		unsigned char magic[8] = {0};
		size_t got = fread(magic, 1, sizeof magic, f);
		fclose(f);
		if (got == 8 && !memcmp(magic, "HONEIMG", 8))
			rc |= info_image(arg);
		else if (got == 8 && !memcmp(magic, "\x89HDF\r\n\x1a\n", 8))
			rc |= info_net(arg);
		else
			rc |= cli_error("info", "'%s' is neither a NIR (HDF5) file nor a chip image", arg);
	}
	return rc;
}
