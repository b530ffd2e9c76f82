/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sharpening schedules, after Whetstone's callbacks (Severa et al. 2019):
 * SimpleSharpener (fixed steps at epoch ends), ScheduledSharpener (a
 * per-batch ramp) and AdaptiveSharpener (starts when the training loss
 * plateaus, pauses when it rises). All sharpen bottom-up: a layer starts
 * only when the one below it is a step function, so every layer learns on
 * the binary spikes it will receive on the chip.
 *
 * Unlike Whetstone's callbacks these must end by a given epoch (the
 * quantisation-aware phase follows), so the step and ramp schedules are
 * laid out over the window [warmup, qat_start), and the adaptive one, if
 * the loss kept it paused too long, completes the remaining sharpness as a
 * ramp over the window's last epoch.
 */
#include "train.h"

#include <string.h>

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* Model progress u in [0,1] to per-layer sharpness, bottom-up. */
static void set_progress(ht_sched *s, double u)
{
	for (int32_t l = 0; l < s->n_layers; l++) {
		double v = clamp01(u * s->n_layers - l);
		if (v > s->sharp[l]) /* never blunt a layer again */
			s->sharp[l] = v;
	}
}

const char *ht_sched_name(int kind)
{
	return kind == HT_SCHED_STEP ? "step" : kind == HT_SCHED_RAMP ? "ramp" :
	       kind == HT_SCHED_ADAPTIVE ? "adaptive" : "?";
}

void ht_sched_init(ht_sched *s, int kind, int32_t n_layers, int32_t warmup,
                   int32_t qat_start, int32_t steps, double rate,
                   int32_t batches_per_epoch)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->n_layers = n_layers;
	s->warmup = warmup;
	s->qat_start = qat_start > warmup ? qat_start : warmup + 1;
	s->steps = steps > 0 ? steps : 1;
	s->batches = batches_per_epoch > 0 ? batches_per_epoch : 1;
	int32_t window = s->qat_start - s->warmup;
	/* Whetstone's defaults are rate 0.25 and 0.126 in the critical zone
	 * (sharpness >= 0.75); scaled here so that, never paused, the model
	 * is sharp after 60 % of the window: each layer takes
	 * 0.75 / rate + 0.25 / (rate / 2) = 1.25 / rate epochs. */
	s->rate = rate > 0 ? rate : 1.25 * n_layers / (0.6 * window);
	s->cz_rate = s->rate / 2;
	s->critical = 0.75;
	s->patience = 1;
	s->sig_increase = 0.15;
	s->sig_decrease = 0.15;
	s->ref_loss = 1e6;
}

int ht_sched_done(const ht_sched *s)
{
	for (int32_t l = 0; l < s->n_layers; l++)
		if (s->sharp[l] < 1.0)
			return 0;
	return 1;
}

/* Add amount to the model's sharpness, bottom-up, across layers. */
static void advance(ht_sched *s, double amount)
{
	for (int32_t l = 0; l < s->n_layers && amount > 0; l++) {
		double room = 1.0 - s->sharp[l];
		double d = amount < room ? amount : room;
		s->sharp[l] += d;
		amount -= d;
		if (1.0 - s->sharp[l] < 1e-9)
			s->sharp[l] = 1.0;
	}
}

void ht_sched_batch_end(ht_sched *s, int32_t e, int32_t b)
{
	if (e < s->warmup || ht_sched_done(s))
		return;
	int32_t window = s->qat_start - s->warmup;
	switch (s->kind) {
	case HT_SCHED_RAMP:
		set_progress(s, ((double)(e - s->warmup) + (double)(b + 1) / s->batches) / window);
		break;
	case HT_SCHED_ADAPTIVE:
		if (s->finishing) {
			advance(s, s->finish_step);
			if (b + 1 == s->batches) /* rounding must not leave a gap */
				for (int32_t l = 0; l < s->n_layers; l++)
					s->sharp[l] = 1.0;
		} else if (s->sharpening && !s->wait) {
			int32_t l = 0;
			while (l < s->n_layers && s->sharp[l] >= 1.0)
				l++;
			double amt = (s->sharp[l] >= s->critical ? s->cz_rate : s->rate) / s->batches;
			s->sharp[l] += amt;
			if (s->sharp[l] > 1.0 || 1.0 - s->sharp[l] < 0.001)
				s->sharp[l] = 1.0;
			if (s->sharp[l] == 1.0)
				s->wait = 1; /* one layer per epoch at most: overshoot guard */
		}
		break;
	default:
		break;
	}
}

void ht_sched_epoch_end(ht_sched *s, int32_t e, double loss)
{
	int32_t window = s->qat_start - s->warmup;
	if (s->kind == HT_SCHED_STEP && e >= s->warmup) {
		int64_t total = (int64_t)s->n_layers * s->steps;
		int64_t k = (int64_t)(e - s->warmup + 1) * total / window;
		if (k > total)
			k = total;
		for (int32_t l = 0; l < s->n_layers; l++) {
			double v = clamp01((double)k / s->steps - l);
			if (v > s->sharp[l])
				s->sharp[l] = v;
		}
	}
	if (s->kind == HT_SCHED_ADAPTIVE) {
		s->wait = 0;
		double pct = (loss - s->ref_loss) / s->ref_loss;
		int degraded = pct >= s->sig_increase, improved = pct <= -s->sig_decrease;
		if (e >= s->warmup - 1) {
			if (improved) {
				s->ref_loss = loss;
				s->no_improve = 0;
			} else {
				s->no_improve++;
			}
			if (s->sharpening) {
				if (degraded) { /* pause until the loss settles again */
					s->ref_loss = loss;
					s->no_improve = 0;
					s->sharpening = 0;
				}
			} else if (s->no_improve > s->patience) { /* plateau: go */
				s->ref_loss = loss;
				s->no_improve = 0;
				s->sharpening = 1;
			}
		} else {
			s->ref_loss = loss;
		}
		/* Deadline: the next epoch is the window's last one. */
		if (!s->finishing && !ht_sched_done(s) && e + 1 >= s->qat_start - 1) {
			double rem = 0;
			for (int32_t l = 0; l < s->n_layers; l++)
				rem += 1.0 - s->sharp[l];
			s->finishing = 1;
			s->finish_step = rem / s->batches;
		}
	}
	if (e + 1 >= s->qat_start) /* the window is over, whatever happened */
		for (int32_t l = 0; l < s->n_layers; l++)
			s->sharp[l] = 1.0;
}
