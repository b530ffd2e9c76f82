/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The training run: warm-up in float, bottom-up sharpening by a schedule,
 * then a quantisation-aware phase whose forward pass is the chip's integer
 * network, export, and the integer network's accuracy measured by the
 * project's evaluator (hone_net_classify), not by this code.
 */
#include "train.h"
#include "hone_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ht_opts_default(ht_opts *o)
{
	memset(o, 0, sizeof *o);
	o->dataset = "fashion-mnist";
	o->target = "up5k";
	o->n_hidden = -1;      /* per data set, see ht_opts_finish */
	o->nhot = 0;
	o->epochs = 0;
	o->warmup = -1;
	o->qat_epochs = -1;
	o->batch = 0;
	o->lr = 0;
	o->lr_final = -1;
	o->schedule = HT_SCHED_RAMP;
	o->steps = 4;
	o->adapt_rate = 0;
	o->tau = 1.0;
	o->ste_width = 1.0;
	o->tie_margin = 1.0;
	o->distill_temp = 2.0;
	o->seed = 1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint8_t *quantize_all(const hone_dataset *d, int G)
{
	size_t nf = (size_t)d->n_features;
	uint8_t *g = malloc((size_t)d->n * nf + 1);
	if (!g)
		return NULL;
	for (int32_t i = 0; i < d->n; i++)
		hone_dataset_quantize(d, i, G, g + (size_t)i * nf);
	return g;
}

void ht_binarize_jitter(const uint8_t *x, int32_t n, int32_t threshold_jitter,
                        int32_t pixel_jitter, ht_rng *rng, uint8_t *out)
{
	/* An offset o added to every intensity is the threshold moved by -o:
	 * x + o > 127 iff x > 127 - o. Drawn only when asked for, so that
	 * jitter 0 leaves the random stream as it was. */
	int off = threshold_jitter ?
		(int)ht_rng_below(rng, 2u * (uint32_t)threshold_jitter + 1) - threshold_jitter : 0;
	for (int32_t k = 0; k < n; k++) {
		int v = x[k] + off;
		if (pixel_jitter)
			v += (int)ht_rng_below(rng, 2u * (uint32_t)pixel_jitter + 1) - pixel_jitter;
		out[k] = v > 127;
	}
}

/* The options that shape the numbers of a run, for checkpoints. */
static void fingerprint(const ht_opts *o, const ht_arch *a, int32_t ntrain,
                        int32_t warmup, int32_t qat_epochs, char *fp, size_t n)
{
	int k = snprintf(fp, n, "dataset=%s n=%d target=%s sizes=", o->dataset,
	                 (int)ntrain, o->target);
	for (int32_t l = 0; l <= a->n_layers && k > 0 && (size_t)k < n; l++)
		k += snprintf(fp + k, n - (size_t)k, "%s%d", l ? "," : "", (int)a->sizes[l]);
	if (k > 0 && (size_t)k < n)
		snprintf(fp + k, n - (size_t)k,
		         " nhot=%d G=%d epochs=%d warmup=%d qat=%d batch=%d lr=%.9g"
		         " lr_final=%.9g schedule=%s steps=%d rate=%.9g tau=%.9g ste=%.9g"
		         " tie_margin=%.9g margin=%.9g float_only=%d dropout=%.9g in_dropout=%.9g shift=%d flip=%d"
		         " jitter=%d/%d"
		         " distill=%.9g/%.9g/%d seed=%llu",
		         (int)o->nhot, (int)a->input_bits, (int)o->epochs, (int)warmup,
		         (int)qat_epochs, (int)o->batch, o->lr, o->lr_final,
		         ht_sched_name(o->schedule), (int)o->steps, o->adapt_rate, o->tau,
		         o->ste_width, o->tie_margin, o->margin, o->float_only, o->dropout, o->in_dropout, (int)o->shift, o->flip,
		         (int)o->threshold_jitter, (int)o->pixel_jitter,
		         o->distill, o->distill_temp, (int)o->teacher_epochs,
		         (unsigned long long)o->seed);
}

/* A training sample moved by (dx, dy) pixels and optionally mirrored,
 * zeros shifted in: the graded values are moved, so this equals
 * quantising the moved image. */
static void augment(const uint8_t *src, uint8_t *dst, const int32_t shape[3],
                    int dx, int dy, int flip)
{
	int32_t C = shape[0], H = shape[1], W = shape[2];
	for (int32_t c = 0; c < C; c++)
		for (int32_t y = 0; y < H; y++)
			for (int32_t x = 0; x < W; x++) {
				int32_t sy = y - dy, sx = x - dx;
				if (flip)
					sx = W - 1 - sx;
				dst[((size_t)c * H + y) * W + x] =
					(sy >= 0 && sy < H && sx >= 0 && sx < W) ?
					src[((size_t)c * H + sy) * W + sx] : 0;
			}
}

static void sharp_str(const ht_model *m, char *s, size_t n)
{
	size_t k = 0;
	for (int32_t l = 0; l < m->arch.n_layers && k < n; l++)
		k += (size_t)snprintf(s + k, n - k, "%s%.2f", l ? " " : "", m->L[l].sharp);
}

/* Constant, then a cosine to lr_final from decay_start to total. */
static double lr_at(double lr, double lr_final, int32_t decay_start,
                    int32_t total, double progress)
{
	if (progress <= decay_start)
		return lr;
	double span = total - decay_start;
	double t = span > 0 ? (progress - decay_start) / span : 1;
	if (t > 1)
		t = 1;
	return lr_final + 0.5 * (lr - lr_final) * (1 + cos(M_PI * t));
}

/* What one training epoch needs besides the model. */
typedef struct epoch_ctx {
	const ht_opts *o;
	const uint8_t *g, *y;  /* quantised samples [n][nf], labels */
	const uint8_t *x;      /* intensities [n][nf] to binarize with jitter, or NULL */
	uint8_t *xb;           /* [nf] one jittered binary sample */
	const float *soft;     /* teacher targets [n][C] or NULL */
	const int32_t *shape;
	int32_t n, nf, C, B, nb;
	int32_t decay_start, total;
	int32_t *perm, *pred;
	uint8_t *gb, *yb;
	float *sb;
} epoch_ctx;

/* One epoch: shuffle, augment, forward, backward, Adam, schedule. Returns
 * the mean loss; *acc the running training accuracy; *lr the last rate. */
static double train_epoch(ht_model *m, const epoch_ctx *c, ht_rng *rng,
                          ht_sched *sched, int32_t e, double *acc, double *lr)
{
	const ht_opts *o = c->o;
	int32_t nf = c->nf, B = c->B;
	for (int32_t i = 0; i < c->n; i++)
		c->perm[i] = i;
	for (int32_t i = c->n - 1; i > 0; i--) {
		int32_t j = (int32_t)ht_rng_below(rng, (uint32_t)i + 1);
		int32_t t = c->perm[i];
		c->perm[i] = c->perm[j];
		c->perm[j] = t;
	}
	double loss = 0;
	int64_t correct = 0;
	for (int32_t bi = 0; bi < c->nb; bi++) {
		for (int32_t b = 0; b < B; b++) {
			int32_t i = c->perm[(size_t)bi * B + b];
			const uint8_t *src = c->g + (size_t)i * nf;
			if (c->x) {
				ht_binarize_jitter(c->x + (size_t)i * nf, nf, o->threshold_jitter,
				                   o->pixel_jitter, rng, c->xb);
				src = c->xb;
			}
			if (o->shift || o->flip) {
				int dx = (int)ht_rng_below(rng, 2u * (uint32_t)o->shift + 1) - o->shift;
				int dy = (int)ht_rng_below(rng, 2u * (uint32_t)o->shift + 1) - o->shift;
				int fl = o->flip ? (int)ht_rng_below(rng, 2) : 0;
				augment(src, c->gb + (size_t)b * nf, c->shape, dx, dy, fl);
			} else {
				memcpy(c->gb + (size_t)b * nf, src, (size_t)nf);
			}
			c->yb[b] = c->y[i];
			if (c->soft)
				memcpy(c->sb + (size_t)b * c->C, c->soft + (size_t)i * c->C,
				       (size_t)c->C * sizeof *c->sb);
		}
		if (!m->quant && sched)
			for (int32_t l = 0; l < m->arch.n_layers; l++)
				m->L[l].sharp = sched->sharp[l];
		ht_forward(m, c->gb, B, 1);
		ht_predict(m, B, c->pred);
		for (int32_t b = 0; b < B; b++)
			correct += c->pred[b] == c->yb[b];
		loss += ht_backward(m, c->yb, c->soft ? c->sb : NULL, B);
		*lr = lr_at(o->lr, o->lr_final, c->decay_start, c->total, e + (double)bi / c->nb);
		ht_adam_step(m, *lr);
		if (sched)
			ht_sched_batch_end(sched, e, bi);
	}
	loss /= (double)c->nb * B;
	if (sched) {
		ht_sched_epoch_end(sched, e, loss);
		if (!m->quant)
			for (int32_t l = 0; l < m->arch.n_layers; l++)
				m->L[l].sharp = sched->sharp[l];
	}
	*acc = 100.0 * (double)correct / ((double)c->nb * B);
	return loss;
}

/* Distillation targets: a float network (sharpness 0) of the same sizes on
 * graded inputs, trained first; its class probabilities at temperature T
 * for every training sample. */
static int teach(const ht_opts *o, const ht_arch *sa, int G,
                 const hone_dataset *train, const hone_dataset *test,
                 epoch_ctx c, float *soft, FILE *log)
{
	ht_arch a = *sa;
	a.input_bits = G;
	ht_model t;
	ht_rng rng;
	ht_rng_seed(&rng, o->seed ^ 0x7EAC4E2ull);
	uint8_t *g = quantize_all(train, G), *gt = quantize_all(test, G);
	int rc = HONE_ERR_NOMEM;
	memset(&t, 0, sizeof t);
	if (!g || !gt || ht_model_init(&t, &a, c.B > 256 ? c.B : 256, &rng))
		goto out;
	t.tau = o->tau;
	t.dropout = o->dropout;
	ht_rng_seed(&t.drop_rng, o->seed ^ 0x7EAC4E3ull);
	c.g = g;
	c.x = NULL; /* the teacher sees the plain graded images */
	c.soft = NULL;
	c.total = o->teacher_epochs;
	c.decay_start = o->teacher_epochs - o->teacher_epochs / 4;
	for (int32_t e = 0; e < o->teacher_epochs; e++) {
		double acc, lr, loss = train_epoch(&t, &c, &rng, NULL, e, &acc, &lr);
		if (log && !o->quiet)
			fprintf(log, "teacher %3d/%d  loss %.4f  train %6.2f%%  test %6.2f%%  (float, %d-bit inputs)\n",
			        (int)e + 1, (int)o->teacher_epochs, loss, acc,
			        ht_accuracy(&t, gt, test->y, test->n, NULL), G);
	}
	int32_t C = a.n_classes, nf = a.n_inputs;
	for (int32_t i0 = 0; i0 < train->n; i0 += t.cap) {
		int32_t B = train->n - i0 < t.cap ? train->n - i0 : t.cap;
		ht_forward(&t, g + (size_t)i0 * nf, B, 0);
		for (int32_t b = 0; b < B; b++) {
			const float *sc = &t.scores[(size_t)b * C];
			float *q = &soft[(size_t)(i0 + b) * C];
			double mx = -1e300, sum = 0;
			for (int32_t k = 0; k < C; k++)
				if (t.tau * sc[k] / o->distill_temp > mx)
					mx = t.tau * sc[k] / o->distill_temp;
			for (int32_t k = 0; k < C; k++)
				sum += exp(t.tau * sc[k] / o->distill_temp - mx);
			for (int32_t k = 0; k < C; k++)
				q[k] = (float)(exp(t.tau * sc[k] / o->distill_temp - mx) / sum);
		}
	}
	rc = 0;
out:
	ht_model_free(&t);
	free(g);
	free(gt);
	return rc;
}

static void enter_qat(ht_model *m, const uint8_t *g, int32_t n)
{
	for (int32_t l = 0; l < m->arch.n_layers; l++)
		m->L[l].sharp = 1.0;
	/* Thresholds from the population statistics of the sharp float
	 * network, then again once its weights are integers. */
	ht_calibrate(m, g, n);
	ht_quantize(m);
	ht_calibrate(m, g, n);
}

/* Shape check before spending minutes: a network of the same sizes with
 * zero weights fits iff the trained one can (the overflow bound is kept by
 * training itself). */
static int check_fit(const ht_arch *a, const hone_config *cfg, hone_error *err)
{
	hone_net *net = hone_net_new(a->n_layers, a->sizes);
	if (!net)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
	net->input_bits = (uint8_t)a->input_bits;
	net->weight_bits = (uint8_t)a->weight_bits;
	for (int32_t l = 0; l < a->n_layers; l++) /* the names ht_export gives */
		snprintf(net->layers[l].name, sizeof net->layers[l].name, "fc%d", (int)l + 1);
	int rc = hone_net_set_nhot(net, a->n_classes, a->nhot);
	hone_image *img = NULL;
	if (!rc)
		rc = hone_compile(net, cfg, NULL, &img, err);
	hone_image_free(img);
	hone_net_free(net);
	return rc;
}

int ht_train(const ht_opts *o, const hone_dataset *train,
             const hone_dataset *test, ht_result *res, hone_net **net_out,
             FILE *log, hone_error *err)
{
	memset(res, 0, sizeof *res);
	if (net_out)
		*net_out = NULL;
	const hone_config *cfg = hone_config_find(o->target);
	if (!cfg)
		return hone_fail(err, HONE_ERR_INVALID, "unknown target '%s'", o->target);
	if (!train || !test || train->n < 1 || test->n < 1 ||
	    train->n_features != test->n_features || train->n_classes < 2 ||
	    train->n_classes > HT_MAX_CLASSES)
		return hone_fail(err, HONE_ERR_INVALID, "empty or inconsistent data sets");
	if (o->n_hidden < 0 || o->n_hidden + 1 > HT_MAX_LAYERS || o->nhot < 1 ||
	    o->epochs < 1 || o->batch < 1 || !(o->lr > 0))
		return hone_fail(err, HONE_ERR_INVALID, "bad training options");

	ht_arch a = {0};
	a.n_inputs = train->n_features;
	a.n_layers = o->n_hidden + 1;
	a.sizes[0] = a.n_inputs;
	for (int32_t l = 0; l < o->n_hidden; l++)
		a.sizes[l + 1] = o->hidden[l];
	a.n_classes = train->n_classes;
	a.nhot = o->nhot;
	a.sizes[a.n_layers] = a.n_classes * a.nhot;
	a.input_bits = o->binary_input ? 1 : (int32_t)cfg->input_bits;
	a.weight_bits = (int32_t)cfg->weight_bits;
	a.potential_bits = (int32_t)cfg->potential_bits;

	int rc = 0;
	if (!o->float_only && (rc = check_fit(&a, cfg, err))) {
		char msg[HONE_ERROR_MSG_LEN];
		snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
		return hone_fail(err, rc, "the network does not fit %s: %s", cfg->name, msg);
	}

	int32_t warmup = o->warmup >= 0 ? o->warmup : (o->epochs >= 5 ? o->epochs / 5 : 1);
	int32_t qat = o->qat_epochs >= 0 ? o->qat_epochs : o->epochs / 4;
	if (o->float_only)
		warmup = o->epochs;
	if (!o->float_only && warmup + qat >= o->epochs)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "--warmup %d plus --qat-epochs %d leave no epoch of %d for sharpening",
		                 (int)warmup, (int)qat, (int)o->epochs);
	int32_t qat_start = o->epochs - qat;
	int32_t decay_start = o->epochs - qat;

	int32_t ntr = train->n, nte = test->n, nf = a.n_inputs, C = a.n_classes;
	int can_augment = (int64_t)train->shape[0] * train->shape[1] * train->shape[2] == nf;
	if ((o->shift || o->flip) && !can_augment)
		return hone_fail(err, HONE_ERR_INVALID, "--shift/--flip need image-shaped samples");
	if ((o->threshold_jitter || o->pixel_jitter) && a.input_bits != 1)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "--threshold-jitter/--pixel-jitter need --binary-input");
	if (o->threshold_jitter < 0 || o->threshold_jitter > 255 ||
	    o->pixel_jitter < 0 || o->pixel_jitter > 255)
		return hone_fail(err, HONE_ERR_INVALID, "jitter outside 0..255");
	int distill = o->distill > 0 && !o->float_only;
	if (distill && o->teacher_epochs < 1)
		return hone_fail(err, HONE_ERR_INVALID, "--distill needs --teacher-epochs >= 1");
	int32_t B = o->batch < ntr ? o->batch : ntr;
	epoch_ctx c = { .o = o, .shape = train->shape, .n = ntr, .nf = nf, .C = C,
	                .B = B, .nb = ntr / B, .decay_start = decay_start,
	                .total = o->epochs, .y = train->y };
	uint8_t *gtr = quantize_all(train, a.input_bits);
	uint8_t *gte = quantize_all(test, a.input_bits);
	float *soft = distill ? malloc((size_t)ntr * C * sizeof *soft) : NULL;
	c.gb = malloc((size_t)B * nf);
	c.yb = malloc((size_t)B);
	c.sb = malloc((size_t)B * C * sizeof *c.sb);
	c.perm = malloc((size_t)ntr * sizeof *c.perm);
	int32_t *pred = malloc((size_t)(B > nte ? B : nte) * sizeof *pred);
	c.pred = pred;
	c.g = gtr;
	if (o->threshold_jitter || o->pixel_jitter) {
		c.x = train->x;
		c.xb = malloc((size_t)nf);
	}
	ht_model m;
	ht_rng rng;
	ht_sched sched;
	hone_net *net = NULL;
	memset(&m, 0, sizeof m);
	ht_rng_seed(&rng, o->seed);
	if (!gtr || !gte || !c.gb || !c.yb || !c.sb || !c.perm || !pred || (distill && !soft) ||
	    (c.x && !c.xb) ||
	    ht_model_init(&m, &a, B > 256 ? B : 256, &rng)) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
		goto out;
	}
	m.tau = o->tau;
	m.ste_width = o->ste_width;
	m.tie_margin = o->tie_margin;
	m.margin = o->margin;
	m.dropout = o->dropout;
	m.in_dropout = o->in_dropout;
	m.kd_alpha = o->distill;
	m.kd_temp = o->distill_temp;
	ht_rng_seed(&m.drop_rng, o->seed ^ 0xD509u);
	ht_sched_init(&sched, o->schedule, a.n_layers, warmup, qat_start, o->steps,
	              o->adapt_rate, c.nb);

	char fp[1024];
	fingerprint(o, &a, ntr, warmup, qat, fp, sizeof fp);
	int32_t e0 = 0;
	double secs_before = 0;
	size_t n_soft = distill ? (size_t)ntr * C : 0;
	if (o->resume) {
		if ((rc = ht_ckpt_load(o->resume, fp, &e0, &rng, &sched, &m, soft, n_soft,
		                       &secs_before, err)))
			goto out;
		if (log)
			fprintf(log, "train: resumed '%s' at epoch %d\n", o->resume, (int)e0 + 1);
	}
	if (log && !o->quiet) {
		fprintf(log, "train: %s, %d train / %d test samples, %d-bit inputs, net %d",
		        o->dataset, (int)ntr, (int)nte, (int)a.input_bits, (int)a.sizes[0]);
		for (int32_t l = 1; l <= a.n_layers; l++)
			fprintf(log, "-%d", (int)a.sizes[l]);
		if (o->float_only)
			fprintf(log, " (%d classes x %d-hot), float only, %d epochs\n",
			        (int)a.n_classes, (int)a.nhot, (int)o->epochs);
		else
			fprintf(log, " (%d classes x %d-hot), target %s, schedule %s: warm-up %d, "
			        "sharpen %d, QAT %d epochs\n", (int)a.n_classes, (int)a.nhot,
			        cfg->name, ht_sched_name(o->schedule), (int)warmup,
			        (int)(qat_start - warmup), (int)qat);
	}

	double t0 = now_s();
	if (distill && !o->resume) {
		if ((rc = teach(o, &a, (int)cfg->input_bits, train, test, c, soft, log))) {
			rc = hone_fail(err, rc, "out of memory training the teacher");
			goto out;
		}
	}
	c.soft = soft;
	int32_t e = e0;
	for (; e < o->epochs; e++) {
		if (!o->float_only && e >= qat_start && !m.quant) {
			enter_qat(&m, gtr, ntr);
			if (log && !o->quiet) {
				fprintf(log, "train: quantisation-aware phase, %d-bit weights, scales", (int)a.weight_bits);
				for (int32_t l = 0; l < a.n_layers; l++)
					fprintf(log, " %.4g", m.L[l].qscale);
				fprintf(log, "\n");
			}
		}
		double acc_tr, lr;
		double loss = train_epoch(&m, &c, &rng, o->float_only ? NULL : &sched, e, &acc_tr, &lr);
		double acc_te = ht_accuracy(&m, gte, test->y, nte, NULL);
		res->float_test_acc = acc_te;
		res->epochs_run = e + 1;
		if (log && !o->quiet) {
			char sh[128];
			sharp_str(&m, sh, sizeof sh);
			fprintf(log, "epoch %3d/%d  loss %.4f  train %6.2f%%  test %6.2f%%",
			        (int)e + 1, (int)o->epochs, loss, acc_tr, acc_te);
			if (!o->float_only && !m.quant) {
				/* Whetstone's logger: what the net would score if it were
				 * sharpened now. */
				double saved[HT_MAX_LAYERS];
				for (int32_t l = 0; l < a.n_layers; l++) {
					saved[l] = m.L[l].sharp;
					m.L[l].sharp = 1.0;
				}
				fprintf(log, "  spiking %6.2f%%", ht_accuracy(&m, gte, test->y, nte, NULL));
				for (int32_t l = 0; l < a.n_layers; l++)
					m.L[l].sharp = saved[l];
			}
			fprintf(log, "  %s %s  lr %.1e  %.0fs\n", m.quant ? "integer" : "sharpness",
			        m.quant ? "" : sh, lr, secs_before + now_s() - t0);
			fflush(log);
		}
		if (o->checkpoint &&
		    (rc = ht_ckpt_save(o->checkpoint, fp, e + 1, &rng, &sched, &m, soft, n_soft,
		                       secs_before + now_s() - t0, err)))
			goto out;
		if (o->stop_after > 0 && e + 1 >= o->stop_after && e + 1 < o->epochs) {
			e++;
			break;
		}
	}
	res->seconds = secs_before + now_s() - t0;
	res->finished = e >= o->epochs;
	if (!res->finished || o->float_only) {
		if (log && !o->quiet && o->float_only)
			fprintf(log, "train: float network (no sharpening, no quantisation): test %.2f%%\n",
			        res->float_test_acc);
		goto out;
	}
	if (!m.quant) /* --qat-epochs 0: quantise without fine-tuning */
		enter_qat(&m, gtr, ntr);
	res->int_train_acc = ht_accuracy(&m, gtr, train->y, ntr, NULL);
	res->float_test_acc = ht_accuracy(&m, gte, test->y, nte, pred);
	net = ht_export(&m, train->shape);
	if (!net) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hone_net_check(net, err)))
		goto out;
	/* The figure that counts: the project's integer evaluator. */
	{
		uint8_t *gi = malloc((size_t)nf);
		int64_t ok = 0;
		if (!gi) {
			rc = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int32_t i = 0; i < nte; i++) {
			hone_dataset_quantize(test, i, a.input_bits, gi);
			int32_t k = hone_net_classify(net, gi);
			if (k < 0) {
				free(gi);
				rc = hone_fail(err, k, "the evaluator refused the trained network: %s",
				               hone_strerror(k));
				goto out;
			}
			ok += k == test->y[i];
			res->mismatches += k != pred[i];
		}
		free(gi);
		res->int_test_acc = 100.0 * (double)ok / nte;
	}
	{
		hone_image *img = NULL;
		rc = hone_compile(net, cfg, NULL, &img, err);
		hone_image_free(img);
		if (rc)
			goto out;
	}
	if (log && !o->quiet)
		fprintf(log, "train: integer network: test %.2f%% (evaluator), train %.2f%%, "
		        "%d disagreements with the training view, fits %s, %.0fs\n",
		        res->int_test_acc, res->int_train_acc, (int)res->mismatches,
		        cfg->name, res->seconds);
	if (res->mismatches && log)
		fprintf(log, "train: WARNING: the training view and the evaluator disagree on %d samples\n",
		        (int)res->mismatches);
	if (o->out && (rc = hone_nir_write(o->out, net, err)))
		goto out;
	if (net_out) {
		*net_out = net;
		net = NULL;
	}
out:
	hone_net_free(net);
	ht_model_free(&m);
	free(gtr);
	free(gte);
	free(soft);
	free(c.gb);
	free(c.yb);
	free(c.sb);
	free(c.perm);
	free(c.xb);
	free(pred);
	return rc;
}
