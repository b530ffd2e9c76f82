/* SPDX-License-Identifier: Apache-2.0 */
/* hone compile NET.nir --target CONFIG -o NET.himg */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: hone compile NET.nir --target CONFIG -o NET.himg [options]\n"
	"\n"
	"Map a NIR network onto a chip configuration: quantize (float files) to\n"
	"the configuration's widths, place neurons on cores, build the routing\n"
	"tables, prove no accumulation can overflow, and write a chip image.\n"
	"A network that does not fit is refused with the layer, the resource\n"
	"and the numbers.\n"
	"\n"
	"options:\n"
	"  -t, --target CONFIG    configuration: up5k, hx8k, sim16, tiny (default up5k)\n"
	"  -o, --output FILE      chip image to write (default: NET with .himg)\n"
	"      --weight-bits N    quantize float weights to N bits (default: the target's)\n"
	"      --input-bits N     graded input width for float files (default: the target's)\n"
	"      --placement KIND   auto (default), greedy or balanced: how layers are\n"
	"                         spread over cores (docs/compiler.md); auto is\n"
	"                         balanced on multi-core targets unless only greedy fits\n"
	"  -v, --verbose          print the placement table\n"
	"  -h, --help             this text\n";

int cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, 0, 't'},
		{"output", required_argument, 0, 'o'},
		{"weight-bits", required_argument, 0, 'w'},
		{"input-bits", required_argument, 0, 'g'},
		{"placement", required_argument, 0, 'p'},
		{"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *target = "up5k", *out = NULL;
	int wbits = 0, gbits = 0, verbose = 0, placement = HONE_PLACE_AUTO, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'o': out = optarg; break;
		case 'w': wbits = atoi(optarg); break;
		case 'g': gbits = atoi(optarg); break;
		case 'p':
			if (!strcmp(optarg, "auto"))
				placement = HONE_PLACE_AUTO;
			else if (!strcmp(optarg, "greedy"))
				placement = HONE_PLACE_GREEDY;
			else if (!strcmp(optarg, "balanced"))
				placement = HONE_PLACE_BALANCED;
			else
				return cli_error("compile", "unknown placement '%s' (auto, greedy, balanced)",
				                 optarg);
			break;
		case 'v': verbose = 1; break;
		case 'h': fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(help, stderr);
		return 2;
	}
	const char *in = argv[optind];
	const hone_config *cfg = hone_config_find(target);
	if (!cfg)
		return cli_error("compile", "unknown target '%s' (hone info lists the configurations)", target);
	if (!wbits)
		wbits = (int)cfg->weight_bits;
	if (!gbits)
		gbits = (int)cfg->input_bits;

	char *auto_out = NULL;
	if (!out) {
		size_t n = strlen(in);
		auto_out = malloc(n + 6);
		if (!auto_out)
			return cli_error("compile", "out of memory");
		memcpy(auto_out, in, n + 1);
		char *dot = strrchr(auto_out, '.');
		char *slash = strrchr(auto_out, '/');
		if (dot && (!slash || dot > slash))
			*dot = 0;
		strcat(auto_out, ".himg");
		out = auto_out;
	}

	hone_error e = {0};
	hone_net *net = NULL;
	hone_image *img = NULL;
	int rc = hone_nir_read(in, wbits, gbits, &net, &e);
	if (rc) {
		rc = cli_error_from("compile", &e, rc);
		goto done;
	}
	hone_compile_opts co = {.verbose = verbose, .placement = placement};
	rc = hone_compile(net, cfg, &co, &img, &e);
	if (rc) {
		rc = cli_error_from("compile", &e, rc);
		goto done;
	}
	rc = hone_image_write(out, img, &e);
	if (rc) {
		rc = cli_error_from("compile", &e, rc);
		goto done;
	}
	printf("%s: %d layers, %d inputs, %d outputs (%d classes) -> %s on %s, %zu writes\n",
	       in, net->n_layers, net->n_inputs, img->n_outputs, img->n_classes, out,
	       cfg->name, img->n_writes);
done:
	hone_image_free(img);
	hone_net_free(net);
	free(auto_out);
	return rc ? 1 : 0;
}
