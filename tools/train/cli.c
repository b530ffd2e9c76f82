/* SPDX-License-Identifier: Apache-2.0 */
/* `hone train`: options, data sets, the run, the summary. */
#include "train.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: hone train [options] -o NET.nir\n"
	"\n"
	"Whetstone training: dense layers of bounded ReLUs sharpened, one layer at a\n"
	"time from the bottom up, into spiking threshold neurons; then a\n"
	"quantisation-aware phase at the target's weight width. The written network\n"
	"carries exact integers: its accuracy under `hone run` is the chip's.\n"
	"\n"
	"data and network:\n"
	"  --dataset NAME       fashion-mnist (default) or digits (8x8; the fixed\n"
	"                       80/20 split of every hone command)\n"
	"  --data PATH          Fashion-MNIST IDX directory or digits CSV\n"
	"                       (default: the Debian package locations)\n"
	"  --limit N            use only the first N training and test samples\n"
	"  --target CONFIG      chip configuration (default up5k): weight width,\n"
	"                       input width, potential width, and the fit check\n"
	"  --hidden LIST        hidden layer sizes, e.g. 256,64 (default: fashion-mnist\n"
	"                       256,128, digits 128,64; 'none' for no hidden layer)\n"
	"  --nhot N             output neurons per class (default 12 fashion-mnist,\n"
	"                       10 digits); decode: most spikes, ties to lowest class\n"
	"  --binary-input       inputs are spikes (pixel > 127) instead of graded\n"
	"                       values g = round(x * (2^G-1) / 255)\n"
	"\n"
	"training:\n"
	"  --epochs N           total epochs (default 100 fashion-mnist, 150 digits)\n"
	"  --warmup N           float epochs before sharpening (default epochs/5)\n"
	"  --qat-epochs N       quantisation-aware epochs at the end (default epochs/4)\n"
	"  --batch N            batch size (default 100 fashion-mnist, 32 digits)\n"
	"  --lr X               Adam learning rate (default 2e-3)\n"
	"  --lr-final X         learning rate at the last batch; cosine decay over the\n"
	"                       QAT epochs (default lr/100)\n"
	"  --schedule NAME      sharpening: step, ramp (default) or adaptive\n"
	"  --steps N            step: sharpness steps per layer (default 4)\n"
	"  --adapt-rate X       adaptive: sharpness per epoch (default: sharp after\n"
	"                       60% of the window if the loss never pauses it)\n"
	"  --temperature X      softmax temperature on class spike counts (default 1)\n"
	"  --tie-margin X       spikes by which the true class must beat a lower\n"
	"                       class in the loss, since ties go to the lowest class\n"
	"                       (default 1; 0 = plain softmax)\n"
	"  --margin X           spikes by which the true class must beat every other\n"
	"                       class in the loss, on top of --tie-margin (default 0)\n"
	"  --ste-width X        backward window once a layer's linear region is\n"
	"                       narrower (default 1: straight-through; 0 = Whetstone's\n"
	"                       exact slope, no gradient through sharp layers)\n"
	"  --dropout P          drop hidden spikes with probability P while training\n"
	"                       (default 0.1 fashion-mnist, 0 digits)\n"
	"  --input-dropout P    drop input values with probability P while training\n"
	"                       (default 0)\n"
	"  --shift N            augmentation: move training images by up to N pixels\n"
	"                       each way at random (default 0)\n"
	"  --flip               augmentation: mirror training images left-right at\n"
	"                       random (default on for fashion-mnist; --no-flip)\n"
	"  --threshold-jitter N with --binary-input: binarize each training image at\n"
	"                       a threshold moved by a random offset in [-N, N]\n"
	"                       intensity steps (default 0: pixel > 127 always)\n"
	"  --pixel-jitter N     with --binary-input: also a random offset in [-N, N]\n"
	"                       per pixel (default 0). Test images: pixel > 127\n"
	"  --distill A          also learn a float teacher's class probabilities\n"
	"                       (weight A in [0,1]; default 0 = off). The teacher:\n"
	"                       the same sizes, float, graded inputs, trained first\n"
	"  --teacher-epochs N   the teacher's epochs (default epochs/4)\n"
	"  --distill-temp T     distillation temperature (default 2)\n"
	"  --float-only         the same network without sharpening or quantisation\n"
	"                       (the float baseline: the cost of spiking); writes no file\n"
	"  --seed N             seed of initialisation and shuffling (default 1)\n"
	"\n"
	"files and output:\n"
	"  -o, --output FILE    write the network (NIR, HDF5)\n"
	"  --checkpoint FILE    save the run after every epoch\n"
	"  --resume FILE        continue a checkpointed run (same options)\n"
	"  --stop-after N       stop after epoch N (resume later)\n"
	"  -q, --quiet          only the summary\n"
	"  -h, --help           this text\n";

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, "hone train: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_hidden(const char *s, ht_opts *o)
{
	o->n_hidden = 0;
	if (!strcmp(s, "none"))
		return 0;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (errno || end == p || v < 1 || v > 65536 || o->n_hidden >= HT_MAX_LAYERS - 1)
			return -1;
		o->hidden[o->n_hidden++] = (int32_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return o->n_hidden ? 0 : -1;
}

static void truncate_set(hone_dataset *d, int32_t limit)
{
	if (limit > 0 && d->n > limit)
		d->n = limit;
}

int hone_train_main(int argc, char **argv)
{
	ht_opts o;
	ht_opts_default(&o);
	enum { O_DATASET = 256, O_DATA, O_LIMIT, O_TARGET, O_HIDDEN, O_NHOT, O_BINARY,
	       O_EPOCHS, O_WARMUP, O_QAT, O_BATCH, O_LR, O_LRF, O_SCHED, O_STEPS,
	       O_RATE, O_TAU, O_STE, O_FLOAT, O_SEED, O_CKPT, O_RESUME, O_STOP,
	       O_SHIFT, O_FLIP, O_NOFLIP, O_DROPOUT, O_INDROP, O_TIE, O_KD, O_KDT,
	       O_TEPOCHS, O_TJIT, O_PJIT, O_MARGIN };
	static const struct option lo[] = {
		{ "dataset", required_argument, 0, O_DATASET },
		{ "data", required_argument, 0, O_DATA },
		{ "limit", required_argument, 0, O_LIMIT },
		{ "target", required_argument, 0, O_TARGET },
		{ "hidden", required_argument, 0, O_HIDDEN },
		{ "nhot", required_argument, 0, O_NHOT },
		{ "binary-input", no_argument, 0, O_BINARY },
		{ "epochs", required_argument, 0, O_EPOCHS },
		{ "warmup", required_argument, 0, O_WARMUP },
		{ "qat-epochs", required_argument, 0, O_QAT },
		{ "batch", required_argument, 0, O_BATCH },
		{ "lr", required_argument, 0, O_LR },
		{ "lr-final", required_argument, 0, O_LRF },
		{ "schedule", required_argument, 0, O_SCHED },
		{ "steps", required_argument, 0, O_STEPS },
		{ "adapt-rate", required_argument, 0, O_RATE },
		{ "temperature", required_argument, 0, O_TAU },
		{ "ste-width", required_argument, 0, O_STE },
		{ "tie-margin", required_argument, 0, O_TIE },
		{ "margin", required_argument, 0, O_MARGIN },
		{ "distill", required_argument, 0, O_KD },
		{ "distill-temp", required_argument, 0, O_KDT },
		{ "teacher-epochs", required_argument, 0, O_TEPOCHS },
		{ "threshold-jitter", required_argument, 0, O_TJIT },
		{ "pixel-jitter", required_argument, 0, O_PJIT },
		{ "float-only", no_argument, 0, O_FLOAT },
		{ "shift", required_argument, 0, O_SHIFT },
		{ "dropout", required_argument, 0, O_DROPOUT },
		{ "input-dropout", required_argument, 0, O_INDROP },
		{ "flip", no_argument, 0, O_FLIP },
		{ "no-flip", no_argument, 0, O_NOFLIP },
		{ "seed", required_argument, 0, O_SEED },
		{ "output", required_argument, 0, 'o' },
		{ "checkpoint", required_argument, 0, O_CKPT },
		{ "resume", required_argument, 0, O_RESUME },
		{ "stop-after", required_argument, 0, O_STOP },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int32_t nhot = 0, epochs = 0, batch = 0;
	double lr = 0;
	int have_hidden = 0, shift = -1, flip = -1;
	double dropout = -1;
	long v;
	double d;
	int c;
	optind = 1; /* the command may call several subcommands in one process */
	while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
		switch (c) {
		case O_DATASET:
			if (strcmp(optarg, "fashion-mnist") && strcmp(optarg, "digits"))
				return fail("unknown data set '%s' (fashion-mnist or digits)", optarg);
			o.dataset = optarg;
			break;
		case O_DATA: o.data_dir = optarg; break;
		case O_LIMIT:
			if (parse_long(optarg, 1, 100000000, &v))
				return fail("--limit: not a positive count: '%s'", optarg);
			o.limit = (int32_t)v;
			break;
		case O_TARGET:
			if (!hone_config_find(optarg))
				return fail("unknown target '%s' (see hone info --target)", optarg);
			o.target = optarg;
			break;
		case O_HIDDEN:
			if (parse_hidden(optarg, &o))
				return fail("--hidden: expected sizes like 256,64 or 'none', got '%s'", optarg);
			have_hidden = 1;
			break;
		case O_NHOT:
			if (parse_long(optarg, 1, 1000, &v))
				return fail("--nhot: expected 1..1000, got '%s'", optarg);
			nhot = (int32_t)v;
			break;
		case O_BINARY: o.binary_input = 1; break;
		case O_EPOCHS:
			if (parse_long(optarg, 1, 100000, &v))
				return fail("--epochs: expected a positive count, got '%s'", optarg);
			epochs = (int32_t)v;
			break;
		case O_WARMUP:
			if (parse_long(optarg, 0, 100000, &v))
				return fail("--warmup: expected a count, got '%s'", optarg);
			o.warmup = (int32_t)v;
			break;
		case O_QAT:
			if (parse_long(optarg, 0, 100000, &v))
				return fail("--qat-epochs: expected a count, got '%s'", optarg);
			o.qat_epochs = (int32_t)v;
			break;
		case O_BATCH:
			if (parse_long(optarg, 1, 65536, &v))
				return fail("--batch: expected 1..65536, got '%s'", optarg);
			batch = (int32_t)v;
			break;
		case O_LR:
			if (parse_double(optarg, &lr) || !(lr > 0 && lr < 10))
				return fail("--lr: expected a positive rate, got '%s'", optarg);
			break;
		case O_LRF:
			if (parse_double(optarg, &d) || !(d >= 0 && d < 10))
				return fail("--lr-final: expected a rate >= 0, got '%s'", optarg);
			o.lr_final = d;
			break;
		case O_SCHED:
			if (!strcmp(optarg, "step"))
				o.schedule = HT_SCHED_STEP;
			else if (!strcmp(optarg, "ramp"))
				o.schedule = HT_SCHED_RAMP;
			else if (!strcmp(optarg, "adaptive"))
				o.schedule = HT_SCHED_ADAPTIVE;
			else
				return fail("unknown schedule '%s' (step, ramp or adaptive)", optarg);
			break;
		case O_STEPS:
			if (parse_long(optarg, 1, 1000, &v))
				return fail("--steps: expected 1..1000, got '%s'", optarg);
			o.steps = (int32_t)v;
			break;
		case O_RATE:
			if (parse_double(optarg, &d) || !(d > 0 && d <= 100))
				return fail("--adapt-rate: expected a positive rate, got '%s'", optarg);
			o.adapt_rate = d;
			break;
		case O_TAU:
			if (parse_double(optarg, &d) || !(d > 0 && d <= 1000))
				return fail("--temperature: expected a positive value, got '%s'", optarg);
			o.tau = d;
			break;
		case O_STE:
			if (parse_double(optarg, &d) || !(d >= 0 && d <= 100))
				return fail("--ste-width: expected a width >= 0, got '%s'", optarg);
			o.ste_width = d;
			break;
		case O_TIE:
			if (parse_double(optarg, &d) || !(d >= 0 && d <= 100))
				return fail("--tie-margin: expected a margin >= 0, got '%s'", optarg);
			o.tie_margin = d;
			break;
		case O_MARGIN:
			if (parse_double(optarg, &d) || !(d >= 0 && d <= 100))
				return fail("--margin: expected a margin >= 0, got '%s'", optarg);
			o.margin = d;
			break;
		case O_KD:
			if (parse_double(optarg, &d) || !(d >= 0 && d <= 1))
				return fail("--distill: expected a weight in [0, 1], got '%s'", optarg);
			o.distill = d;
			break;
		case O_KDT:
			if (parse_double(optarg, &d) || !(d > 0 && d <= 100))
				return fail("--distill-temp: expected a positive temperature, got '%s'", optarg);
			o.distill_temp = d;
			break;
		case O_TJIT:
			if (parse_long(optarg, 0, 255, &v))
				return fail("--threshold-jitter: expected 0..255, got '%s'", optarg);
			o.threshold_jitter = (int32_t)v;
			break;
		case O_PJIT:
			if (parse_long(optarg, 0, 255, &v))
				return fail("--pixel-jitter: expected 0..255, got '%s'", optarg);
			o.pixel_jitter = (int32_t)v;
			break;
		case O_TEPOCHS:
			if (parse_long(optarg, 1, 100000, &v))
				return fail("--teacher-epochs: expected a positive count, got '%s'", optarg);
			o.teacher_epochs = (int32_t)v;
			break;
		case O_FLOAT: o.float_only = 1; break;
		case O_SHIFT:
			if (parse_long(optarg, 0, 8, &v))
				return fail("--shift: expected 0..8 pixels, got '%s'", optarg);
			shift = (int)v;
			break;
		case O_DROPOUT:
			if (parse_double(optarg, &dropout) || !(dropout >= 0 && dropout < 1))
				return fail("--dropout: expected a probability in [0, 1), got '%s'", optarg);
			break;
		case O_INDROP:
			if (parse_double(optarg, &d) || !(d >= 0 && d < 1))
				return fail("--input-dropout: expected a probability in [0, 1), got '%s'", optarg);
			o.in_dropout = d;
			break;
		case O_FLIP: flip = 1; break;
		case O_NOFLIP: flip = 0; break;
		case O_SEED: {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				return fail("--seed: expected an integer, got '%s'", optarg);
			o.seed = s;
			break;
		}
		case 'o': o.out = optarg; break;
		case O_CKPT: o.checkpoint = optarg; break;
		case O_RESUME: o.resume = optarg; break;
		case O_STOP:
			if (parse_long(optarg, 1, 100000, &v))
				return fail("--stop-after: expected a positive epoch, got '%s'", optarg);
			o.stop_after = (int32_t)v;
			break;
		case 'q': o.quiet = 1; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s'", argv[optind]);
	if (o.float_only && o.out)
		return fail("%s", "--float-only trains a float network; it writes no NIR file (drop -o)");
	if ((o.threshold_jitter || o.pixel_jitter) && !o.binary_input)
		return fail("%s", "--threshold-jitter and --pixel-jitter binarize training images: they need --binary-input");

	int digits = !strcmp(o.dataset, "digits");
	if (!have_hidden) {
		o.n_hidden = 2;
		o.hidden[0] = digits ? 128 : 256;
		o.hidden[1] = digits ? 64 : 128;
	}
	o.nhot = nhot ? nhot : digits ? 10 : 12;
	o.epochs = epochs ? epochs : digits ? 150 : 100;
	o.batch = batch ? batch : digits ? 32 : 100;
	o.lr = lr > 0 ? lr : 2e-3;
	if (!o.teacher_epochs)
		o.teacher_epochs = o.epochs / 4 > 0 ? o.epochs / 4 : 1;
	o.shift = shift >= 0 ? shift : 0;
	o.flip = flip >= 0 ? flip : !digits;
	o.dropout = dropout >= 0 ? dropout : digits ? 0 : 0.1;
	if (o.lr_final < 0)
		o.lr_final = o.lr / 100;

	hone_dataset *tr = NULL, *te = NULL;
	hone_error e = {0};
	int rc;
	if (digits) {
		hone_dataset *all = NULL;
		const char *path = o.data_dir ? o.data_dir : hone_dataset_digits_default_path();
		if (!path)
			return fail("%s", "digits.csv.gz not found: install python3-sklearn or pass --data");
		if ((rc = hone_dataset_digits(path, &all, &e)))
			return fail("%s", e.msg[0] ? e.msg : hone_strerror(rc));
		rc = hone_dataset_split(all, HT_DIGITS_TEST_FRACTION, HT_DIGITS_SPLIT_SEED, &tr, &te);
		hone_dataset_free(all);
		if (rc)
			return fail("cannot split the digits set: %s", hone_strerror(rc));
		truncate_set(tr, o.limit);
		truncate_set(te, o.limit);
	} else {
		if ((rc = hone_dataset_fashion_mnist(o.data_dir, "train", o.limit, &tr, &e)) ||
		    (rc = hone_dataset_fashion_mnist(o.data_dir, "test", o.limit, &te, &e))) {
			hone_dataset_free(tr);
			return fail("%s", e.msg[0] ? e.msg : hone_strerror(rc));
		}
	}

	ht_result res;
	rc = ht_train(&o, tr, te, &res, NULL, stderr, &e);
	hone_dataset_free(tr);
	hone_dataset_free(te);
	if (rc)
		return fail("%s", e.msg[0] ? e.msg : hone_strerror(rc));
	if (!res.finished) {
		printf("stopped after epoch %d of %d%s%s\n", (int)res.epochs_run, (int)o.epochs,
		       o.checkpoint ? "; resume with --resume " : "", o.checkpoint ? o.checkpoint : "");
		return 0;
	}
	if (o.float_only) {
		printf("float network: test accuracy %.2f%% (%d epochs, %.0f s)\n",
		       res.float_test_acc, (int)res.epochs_run, res.seconds);
		return 0;
	}
	printf("integer network: test accuracy %.2f%% (project evaluator), train %.2f%%, "
	       "%d epochs, %.0f s%s%s\n", res.int_test_acc, res.int_train_acc,
	       (int)res.epochs_run, res.seconds, o.out ? ", written to " : "", o.out ? o.out : "");
	return res.mismatches ? 1 : 0;
}
