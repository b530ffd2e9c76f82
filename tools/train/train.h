/* SPDX-License-Identifier: Apache-2.0 */
/*
 * train.h - Whetstone training in C (`hone train`), see docs/training.md.
 *
 * hone_train_main() is the command. The rest is the trainer's internal
 * interface, exposed so that tests/test_train.c can check the pieces that
 * carry the method's promises: the sharpened activation, the equality of
 * the float (training-time) forward with the integer evaluator, and
 * checkpoint/resume.
 *
 * Model: a chain of dense layers. Layer l computes z = W x (x: graded
 * inputs g / (2^G - 1) for layer 1, spikes or bounded activations in
 * [0,1] above), normalises it per neuron (batch norm without a gain,
 * p = (z - mu) / sigma + beta) and applies Whetstone's Spiking_BRelu
 * activation of the layer's sharpness. At sharpness 1 a neuron spikes iff
 * p >= 0.5, i.e. iff z >= mu + sigma (0.5 - beta): the normalisation folds
 * into one integer threshold per neuron and never needs a per-neuron scale.
 */
#ifndef HONE_TRAIN_H
#define HONE_TRAIN_H

#include "hone.h"

#include <stdint.h>
#include <stdio.h>

/* `hone train ...`: argv[0] is "train". Returns a process exit code. */
int hone_train_main(int argc, char **argv);

#define HT_MAX_LAYERS 8
#define HT_MAX_CLASSES 256

/* ------------------------------------------------------------------ rng */

/* xoshiro256** seeded through splitmix64: small, fast, and its whole state
 * fits in a checkpoint, which is what makes resumed runs identical. */
typedef struct ht_rng {
	uint64_t s[4];
} ht_rng;

void ht_rng_seed(ht_rng *r, uint64_t seed);
uint64_t ht_rng_next(ht_rng *r);
double ht_rng_uniform(ht_rng *r);               /* [0, 1) */
uint32_t ht_rng_below(ht_rng *r, uint32_t n);   /* [0, n), n >= 1 */

/* ----------------------------------------------------------- activation */

/* Whetstone's Spiking_BRelu: at sharpness s < 1 a clipped line of slope
 * 1 / (1 - s + 0.001) through (0.5, 0.5); at s = 1 the step p >= 0.5. */
float ht_act(float p, double sharpness);
/* Its derivative used by the backward pass. ste_width = 0: Whetstone's,
 * the exact slope 1 / (1 - s + 0.001), none at s = 1. ste_width > 0: once
 * the linear region is narrower than ste_width (always at s = 1), the
 * straight-through window |p - 0.5| < ste_width / 2 with slope
 * 1 / ste_width instead. */
float ht_act_grad(float p, double sharpness, double ste_width);

/* ---------------------------------------------------------------- model */

typedef struct ht_arch {
	int32_t n_inputs;
	int32_t n_layers;                 /* neuron layers, output included */
	int32_t sizes[HT_MAX_LAYERS + 1]; /* sizes[0] = n_inputs */
	int32_t n_classes, nhot;          /* output = n_classes * nhot neurons */
	int32_t input_bits;               /* G: inputs g in 0 .. 2^G - 1 */
	int32_t weight_bits, potential_bits;
} ht_arch;

typedef struct ht_layer {
	int32_t n_in, n_out;
	float *w;           /* [n_out][n_in] float weights (QAT: the shadow) */
	float *beta;        /* [n_out] offset after normalisation */
	float *mu, *var;    /* [n_out] running statistics of z */
	float *gw, *gbeta;  /* gradients */
	float *mw, *vw, *mb, *vb; /* Adam moments */
	double sharp;       /* Whetstone sharpness, 0 .. 1 */
	double qscale;      /* > 0 in QAT: float weight per integer step */
	float *wq;          /* [n_out][n_in] integer weights (as floats) in QAT */
	int32_t *theta;     /* [n_out] integer thresholds in QAT */
	/* batch buffers [cap][n_out]: z, normalised z, p, activation */
	float *z, *zn, *p, *a, *da;
	float *bmean, *bstd; /* [n_out] batch statistics of the last forward */
	float *dmask;       /* [cap][n_out] dropout factors of the last forward */
} ht_layer;

typedef struct ht_model {
	ht_arch arch;
	ht_layer L[HT_MAX_LAYERS];
	int32_t cap;        /* batch capacity of the buffers */
	float *x0f, *x0i;   /* [cap][n_inputs]: g / gmax and g */
	float *scores;      /* [cap][n_classes] class sums of the output */
	float *dscores;
	int quant;          /* QAT: integer weights and thresholds forward */
	int bn_frozen;      /* use mu/var instead of batch statistics */
	double tau;         /* softmax temperature on class spike counts */
	double tie_margin;  /* spikes a lower class needs less to win */
	double margin;      /* spikes the true class must win by in the loss */
	double kd_alpha, kd_temp; /* distillation weight and temperature */
	double ste_width;   /* straight-through window at sharpness 1 */
	double dropout;     /* hidden spikes dropped while training */
	double in_dropout;  /* input values dropped while training */
	ht_rng drop_rng;    /* the dropout masks' own stream */
	int64_t adam_t;
} ht_model;

/* Allocate and initialise (He-uniform weights from rng, beta = 0.5). */
int ht_model_init(ht_model *m, const ht_arch *a, int32_t cap, ht_rng *rng);
void ht_model_free(ht_model *m);

/* Forward B <= cap samples of graded inputs g[B][n_inputs]. train != 0:
 * batch statistics (unless frozen) and running-statistics update. */
void ht_forward(ht_model *m, const uint8_t *g, int32_t B, int train);
/* Class predictions of the last forward by hone_decode's rule (sums of
 * the output activations per class, ties to the lowest class). */
void ht_predict(const ht_model *m, int32_t B, int32_t *pred);
/* Softmax cross-entropy on tau * class sums for labels y, the logit of
 * every other class raised by margin spikes and that of every lower class
 * by tie_margin more (ties go to the lowest class); gradients into
 * gw/gbeta. soft (may be NULL): a teacher's class probabilities [B][C]
 * to distil, weighted kd_alpha at temperature kd_temp. Returns the summed
 * loss over the batch. */
double ht_backward(ht_model *m, const uint8_t *y, const float *soft, int32_t B);
/* One Adam step on the gradients; in QAT also keeps every neuron inside
 * the overflow bound. */
void ht_adam_step(ht_model *m, double lr);

/* Enter QAT: choose each layer's scale (minimum squared quantisation
 * error), freeze the normalisation, and switch the forward to integers. */
void ht_quantize(ht_model *m);
/* Recompute integer weights and thresholds from the float shadows, and
 * keep every neuron inside the potential_bits bound. */
void ht_requantize(ht_model *m);
/* The integer threshold of neuron j of layer l in QAT. */
int32_t ht_threshold(const ht_model *m, int32_t l, int32_t j);

/* Exact population statistics of z over a data set, layer by layer, then
 * frozen (used before QAT so the thresholds are the network's, not a
 * batch's). */
void ht_calibrate(ht_model *m, const uint8_t *g, int32_t n);

/* The exported integer network (needs quant). NULL on allocation failure. */
hone_net *ht_export(const ht_model *m, const int32_t in_shape[3]);

/* Accuracy (%) of the model's current view on n samples; pred optional. */
double ht_accuracy(ht_model *m, const uint8_t *g, const uint8_t *y,
                   int32_t n, int32_t *pred);

/* ------------------------------------------------------------ schedules */

enum ht_schedule { HT_SCHED_STEP = 0, HT_SCHED_RAMP = 1, HT_SCHED_ADAPTIVE = 2 };

/* Sharpening, one layer at a time from the bottom up, inside the window of
 * epochs [warmup, qat_start). Sharpness only ever grows. */
typedef struct ht_sched {
	int32_t kind, n_layers, warmup, qat_start, steps, batches;
	double sharp[HT_MAX_LAYERS];
	/* adaptive (Whetstone's AdaptiveSharpener) */
	double rate, cz_rate, critical, sig_increase, sig_decrease;
	int32_t patience, sharpening, no_improve, wait, finishing;
	double ref_loss, finish_step;
} ht_sched;

/* rate <= 0 picks one that sharpens every layer in 60 % of the window. */
void ht_sched_init(ht_sched *s, int kind, int32_t n_layers, int32_t warmup,
                   int32_t qat_start, int32_t steps, double rate,
                   int32_t batches_per_epoch);
/* After batch b (0-based) of epoch e. */
void ht_sched_batch_end(ht_sched *s, int32_t e, int32_t b);
/* After epoch e with its mean training loss. */
void ht_sched_epoch_end(ht_sched *s, int32_t e, double loss);
/* Every layer at sharpness 1. */
int ht_sched_done(const ht_sched *s);
const char *ht_sched_name(int kind);

/* ----------------------------------------------------------- checkpoint */

/* Everything a run needs to continue as if never stopped: the model with
 * its Adam moments and statistics, the schedule, the generator, the next
 * epoch and the elapsed training time. fingerprint names the options that
 * shape training; a resume with different ones is refused. The model must
 * be initialised with the same architecture before loading. */
int ht_ckpt_save(const char *path, const char *fingerprint, int32_t next_epoch,
                 const ht_rng *rng, const ht_sched *s, const ht_model *m,
                 const float *soft, size_t n_soft, double seconds,
                 hone_error *err);
/* soft: n_soft distillation targets to restore (NULL, 0 without). */
int ht_ckpt_load(const char *path, const char *fingerprint, int32_t *next_epoch,
                 ht_rng *rng, ht_sched *s, ht_model *m, float *soft,
                 size_t n_soft, double *seconds, hone_error *err);

/* ------------------------------------------------------------- training */

typedef struct ht_opts {
	const char *dataset;      /* "fashion-mnist" | "digits" */
	const char *data_dir;     /* fashion-mnist IDX dir / digits csv path */
	const char *target;       /* configuration name */
	int32_t hidden[HT_MAX_LAYERS];
	int32_t n_hidden;
	int32_t nhot;
	int32_t epochs, warmup, qat_epochs, stop_after;
	int32_t batch;
	double lr, lr_final;
	int schedule;
	int32_t steps;            /* step schedule: steps per layer */
	double adapt_rate;        /* adaptive: sharpening per epoch (0: auto) */
	double tau, ste_width, tie_margin, margin;
	int float_only, binary_input;
	double dropout;           /* hidden-spike dropout while training */
	double in_dropout;        /* input dropout while training */
	double distill, distill_temp; /* weight of a float teacher's targets */
	int32_t teacher_epochs;
	int32_t shift;            /* augmentation: random shifts up to N pixels */
	int32_t threshold_jitter; /* binary inputs: training images binarized at */
	int32_t pixel_jitter;     /* 127 -/+ U[-N,N] per image, + U[-M,M] per pixel */
	int flip;                 /* augmentation: random horizontal flips */
	int32_t limit;
	uint64_t seed;
	const char *out, *checkpoint, *resume;
	int quiet;
} ht_opts;

/* Defaults of every option (as --help prints them). */
void ht_opts_default(ht_opts *o);

typedef struct ht_result {
	double float_test_acc;    /* the model's own view at the end */
	double int_test_acc;      /* integer network, project evaluator */
	double int_train_acc;
	int32_t epochs_run;
	int32_t mismatches;       /* float view vs evaluator disagreements */
	double seconds;
	int finished;             /* all epochs run (not --stop-after) */
} ht_result;

/* Train on the data sets (graded in [0,255] as hone_dataset); writes
 * o->out if set and finished. *net_out (optional) receives the integer
 * network. Messages go to log (may be NULL). Returns 0 or HONE_ERR_*. */
int ht_train(const ht_opts *o, const hone_dataset *train,
             const hone_dataset *test, ht_result *res, hone_net **net_out,
             FILE *log, hone_error *err);

/* Binarize n intensities for training (--binary-input): out[k] =
 * x[k] + o + p_k > 127, o uniform in [-threshold_jitter, threshold_jitter]
 * drawn once, p_k uniform in [-pixel_jitter, pixel_jitter] per pixel. With
 * both 0 it is hone_dataset_quantize's G = 1 (x > 127) and draws nothing. */
void ht_binarize_jitter(const uint8_t *x, int32_t n, int32_t threshold_jitter,
                        int32_t pixel_jitter, ht_rng *rng, uint8_t *out);

/* The digits split every hone command uses (host/cli/cli.h). */
#define HT_DIGITS_TEST_FRACTION 0.2
#define HT_DIGITS_SPLIT_SEED 20260101u

#endif /* HONE_TRAIN_H */
