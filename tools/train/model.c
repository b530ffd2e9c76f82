/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trainable model of `hone train`: dense layers, per-neuron
 * normalisation, Whetstone's sharpened bounded ReLU, N-hot softmax decode,
 * Adam, and the quantisation-aware view whose forward pass is the integer
 * network of docs/semantics.md computed in floats (every value an integer
 * below 2^24, so float arithmetic is exact in any summation order).
 */
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_EPS 1e-4
#define BN_MOMENTUM 0.1
#define BRELU_LAMBDA 0.001 /* Whetstone's _lambda: slope stays finite */

/* ------------------------------------------------------------------ rng */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void ht_rng_seed(ht_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ht_rng_next(ht_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double ht_rng_uniform(ht_rng *r)
{
	return (double)(ht_rng_next(r) >> 11) * 0x1.0p-53;
}

uint32_t ht_rng_below(ht_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift with rejection: unbiased for any n. */
	uint64_t m = (uint64_t)(uint32_t)(ht_rng_next(r) >> 32) * n;
	uint32_t lo = (uint32_t)m;
	if (lo < n) {
		uint32_t t = (uint32_t)(-n) % n;
		while (lo < t) {
			m = (uint64_t)(uint32_t)(ht_rng_next(r) >> 32) * n;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* ----------------------------------------------------------- activation */

float ht_act(float p, double sharpness)
{
	if (sharpness >= 1.0)
		return p >= 0.5f ? 1.0f : 0.0f;
	double y = (p - 0.5) / (1.0 - sharpness + BRELU_LAMBDA) + 0.5;
	return (float)(y < 0.0 ? 0.0 : y > 1.0 ? 1.0 : y);
}

float ht_act_grad(float p, double sharpness, double ste_width)
{
	double w = 1.0 - sharpness + BRELU_LAMBDA;
	/* Whetstone's exact slope 1 / w grows to 1000 as a layer finishes
	 * sharpening, and Adam turns the sudden large gradients into large
	 * steps: the loss jumps at the end of every layer. A straight-through
	 * window of ste_width instead keeps the backward pass fixed once the
	 * forward window is narrower. */
	if (ste_width > 0.0 && w < ste_width)
		return fabs(p - 0.5) < ste_width / 2 ? (float)(1.0 / ste_width) : 0.0f;
	if (sharpness >= 1.0)
		return 0.0f;
	double y = (p - 0.5) / w + 0.5;
	return (y > 0.0 && y < 1.0) ? (float)(1.0 / w) : 0.0f;
}

/* ---------------------------------------------------------------- model */

static float *fzalloc(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}

void ht_model_free(ht_model *m)
{
	if (!m)
		return;
	for (int32_t l = 0; l < HT_MAX_LAYERS; l++) {
		ht_layer *L = &m->L[l];
		float **f[] = { &L->w, &L->beta, &L->mu, &L->var, &L->gw, &L->gbeta,
		                &L->mw, &L->vw, &L->mb, &L->vb, &L->wq, &L->z,
		                &L->zn, &L->p, &L->a, &L->da, &L->bmean, &L->bstd,
		                &L->dmask };
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
			free(*f[i]);
			*f[i] = NULL;
		}
		free(L->theta);
		L->theta = NULL;
	}
	free(m->x0f);
	free(m->x0i);
	free(m->scores);
	free(m->dscores);
	m->x0f = m->x0i = m->scores = m->dscores = NULL;
}

int ht_model_init(ht_model *m, const ht_arch *a, int32_t cap, ht_rng *rng)
{
	memset(m, 0, sizeof *m);
	if (a->n_layers < 1 || a->n_layers > HT_MAX_LAYERS || cap < 1 ||
	    a->n_classes < 1 || a->n_classes > HT_MAX_CLASSES ||
	    a->sizes[a->n_layers] != a->n_classes * a->nhot)
		return HONE_ERR_INVALID;
	m->arch = *a;
	m->cap = cap;
	m->tau = 1.0;
	size_t c = (size_t)cap;
	for (int32_t l = 0; l < a->n_layers; l++) {
		ht_layer *L = &m->L[l];
		L->n_in = a->sizes[l];
		L->n_out = a->sizes[l + 1];
		size_t nw = (size_t)L->n_in * (size_t)L->n_out, no = (size_t)L->n_out;
		L->w = fzalloc(nw); L->gw = fzalloc(nw); L->mw = fzalloc(nw);
		L->vw = fzalloc(nw); L->wq = fzalloc(nw);
		L->beta = fzalloc(no); L->mu = fzalloc(no); L->var = fzalloc(no);
		L->gbeta = fzalloc(no); L->mb = fzalloc(no); L->vb = fzalloc(no);
		L->bmean = fzalloc(no); L->bstd = fzalloc(no);
		L->z = fzalloc(c * no); L->zn = fzalloc(c * no); L->p = fzalloc(c * no);
		L->a = fzalloc(c * no); L->da = fzalloc(c * no);
		L->dmask = fzalloc(c * no);
		L->theta = calloc(no, sizeof *L->theta);
		if (!L->w || !L->gw || !L->mw || !L->vw || !L->wq || !L->beta ||
		    !L->mu || !L->var || !L->gbeta || !L->mb || !L->vb ||
		    !L->bmean || !L->bstd || !L->z || !L->zn || !L->p || !L->a ||
		    !L->da || !L->dmask || !L->theta) {
			ht_model_free(m);
			return HONE_ERR_NOMEM;
		}
		/* He-uniform: the normalisation removes the scale anyway, but a
		 * sane start keeps the first batches' statistics meaningful. */
		double lim = sqrt(6.0 / L->n_in);
		for (size_t i = 0; i < nw; i++)
			L->w[i] = (float)((2.0 * ht_rng_uniform(rng) - 1.0) * lim);
		for (size_t j = 0; j < no; j++) {
			L->beta[j] = 0.5f; /* p centred on the activation's midpoint */
			L->var[j] = 1.0f;
		}
	}
	m->x0f = fzalloc(c * (size_t)a->n_inputs);
	m->x0i = fzalloc(c * (size_t)a->n_inputs);
	m->scores = fzalloc(c * (size_t)a->n_classes);
	m->dscores = fzalloc(c * (size_t)a->n_classes);
	if (!m->x0f || !m->x0i || !m->scores || !m->dscores) {
		ht_model_free(m);
		return HONE_ERR_NOMEM;
	}
	return 0;
}

static int32_t gmax_of(const ht_model *m, int32_t l)
{
	return l == 0 ? (1 << m->arch.input_bits) - 1 : 1;
}

/* Forward layers 0 .. last. */
static void forward_upto(ht_model *m, const uint8_t *g, int32_t B, int train,
                         int32_t last)
{
	int32_t nin0 = m->arch.n_inputs;
	float inv = 1.0f / (float)gmax_of(m, 0);
	for (size_t i = 0; i < (size_t)B * (size_t)nin0; i++) {
		m->x0i[i] = (float)g[i];
		m->x0f[i] = (float)g[i] * inv;
	}
	if (train && m->in_dropout > 0) {
		/* Input dropout (pixels set to 0), rescaled like hidden dropout;
		 * only the training view is non-integer, never an evaluation. */
		float keep = (float)(1.0 / (1.0 - m->in_dropout));
		for (size_t i = 0; i < (size_t)B * (size_t)nin0; i++) {
			float f = ht_rng_uniform(&m->drop_rng) < m->in_dropout ? 0.0f : keep;
			m->x0i[i] *= f;
			m->x0f[i] *= f;
		}
	}
	for (int32_t l = 0; l <= last; l++) {
		ht_layer *L = &m->L[l];
		int32_t ni = L->n_in, no = L->n_out;
		const float *X = l == 0 ? (m->quant ? m->x0i : m->x0f) : m->L[l - 1].a;
		const float *W = m->quant ? L->wq : L->w;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, no, ni, 1.0f,
		            X, ni, W, ni, 0.0f, L->z, no);
		if (m->quant) {
			/* The integer network: z is an exact integer here. */
			float c = (float)(L->qscale / gmax_of(m, l));
			for (int32_t b = 0; b < B; b++)
				for (int32_t j = 0; j < no; j++) {
					float *zz = &L->z[(size_t)b * no + j];
					L->a[(size_t)b * no + j] = *zz >= (float)L->theta[j] ? 1.0f : 0.0f;
					*zz *= c;
				}
		}
		if (train && !m->bn_frozen) {
			for (int32_t j = 0; j < no; j++) {
				double s = 0, s2 = 0;
				for (int32_t b = 0; b < B; b++) {
					double v = L->z[(size_t)b * no + j];
					s += v;
					s2 += v * v;
				}
				double mean = s / B, var = s2 / B - mean * mean;
				if (var < 0)
					var = 0;
				L->bmean[j] = (float)mean;
				L->bstd[j] = (float)sqrt(var + BN_EPS);
				L->mu[j] = (float)((1 - BN_MOMENTUM) * L->mu[j] + BN_MOMENTUM * mean);
				L->var[j] = (float)((1 - BN_MOMENTUM) * L->var[j] + BN_MOMENTUM * var);
			}
		} else {
			for (int32_t j = 0; j < no; j++) {
				L->bmean[j] = L->mu[j];
				L->bstd[j] = (float)sqrt((double)L->var[j] + BN_EPS);
			}
		}
		for (int32_t b = 0; b < B; b++)
			for (int32_t j = 0; j < no; j++) {
				size_t k = (size_t)b * no + j;
				L->zn[k] = (L->z[k] - L->bmean[j]) / L->bstd[j];
				L->p[k] = L->zn[k] + L->beta[j];
				if (!m->quant)
					L->a[k] = ht_act(L->p[k], L->sharp);
			}
		if (train && m->dropout > 0 && l < m->arch.n_layers - 1) {
			/* Dropout of hidden spikes, rescaled so that the next
			 * layer's input keeps its mean. */
			float keep = (float)(1.0 / (1.0 - m->dropout));
			for (size_t k = 0; k < (size_t)B * no; k++) {
				L->dmask[k] = ht_rng_uniform(&m->drop_rng) < m->dropout ? 0.0f : keep;
				L->a[k] *= L->dmask[k];
			}
		}
	}
	if (last == m->arch.n_layers - 1) {
		const ht_layer *L = &m->L[last];
		int32_t C = m->arch.n_classes, N = m->arch.nhot;
		for (int32_t b = 0; b < B; b++)
			for (int32_t c = 0; c < C; c++) {
				float s = 0;
				for (int32_t k = 0; k < N; k++)
					s += L->a[(size_t)b * L->n_out + (size_t)c * N + k];
				m->scores[(size_t)b * C + c] = s;
			}
	}
}

void ht_forward(ht_model *m, const uint8_t *g, int32_t B, int train)
{
	forward_upto(m, g, B, train, m->arch.n_layers - 1);
}

void ht_predict(const ht_model *m, int32_t B, int32_t *pred)
{
	int32_t C = m->arch.n_classes;
	for (int32_t b = 0; b < B; b++) {
		const float *s = &m->scores[(size_t)b * C];
		int32_t best = 0;
		for (int32_t c = 1; c < C; c++)
			if (s[c] > s[best]) /* strict: ties go to the lowest class */
				best = c;
		pred[b] = best;
	}
}

double ht_backward(ht_model *m, const uint8_t *y, const float *soft, int32_t B)
{
	int32_t C = m->arch.n_classes, N = m->arch.nhot, D = m->arch.n_layers;
	double loss = 0;
	for (int32_t b = 0; b < B; b++) {
		const float *s = &m->scores[(size_t)b * C];
		float *ds = &m->dscores[(size_t)b * C];
		double lg[HT_MAX_CLASSES], mx = -1e300, sum = 0, ly = 0;
		/* hone_decode gives ties to the lowest class: a class below the
		 * true one must be beaten by tie_margin spikes, so its logit
		 * carries that margin; every other class carries margin spikes
		 * more (constants: the gradient's form stays). */
		for (int32_t c = 0; c < C; c++) {
			double mc = (c != y[b] ? m->margin : 0.0) + (c < y[b] ? m->tie_margin : 0.0);
			lg[c] = m->tau * (s[c] + mc);
			if (c == y[b])
				ly = lg[c];
			if (lg[c] > mx)
				mx = lg[c];
		}
		for (int32_t c = 0; c < C; c++)
			sum += exp(lg[c] - mx);
		double wh = soft ? 1.0 - m->kd_alpha : 1.0;
		for (int32_t c = 0; c < C; c++) {
			double pc = exp(lg[c] - mx) / sum;
			ds[c] = (float)(wh * m->tau * (pc - (c == y[b])) / B);
		}
		loss += -wh * (ly - mx - log(sum));
		if (soft) {
			/* Distillation (Hinton et al. 2015): T^2 KL(q || softmax(z/T))
			 * on the plain logits z = tau S, gradient T (p_T - q). */
			const float *q = &soft[(size_t)b * C];
			double T = m->kd_temp, mt = -1e300, st = 0;
			for (int32_t c = 0; c < C; c++)
				if (m->tau * s[c] / T > mt)
					mt = m->tau * s[c] / T;
			for (int32_t c = 0; c < C; c++)
				st += exp(m->tau * s[c] / T - mt);
			for (int32_t c = 0; c < C; c++) {
				double lp = m->tau * s[c] / T - mt - log(st);
				ds[c] += (float)(m->tau * m->kd_alpha * T * (exp(lp) - q[c]) / B);
				if (q[c] > 0)
					loss += m->kd_alpha * T * T * q[c] * (log(q[c]) - lp);
			}
		}
	}
	ht_layer *top = &m->L[D - 1];
	for (int32_t b = 0; b < B; b++)
		for (int32_t j = 0; j < top->n_out; j++)
			top->da[(size_t)b * top->n_out + j] = m->dscores[(size_t)b * C + j / N];

	for (int32_t l = D - 1; l >= 0; l--) {
		ht_layer *L = &m->L[l];
		int32_t ni = L->n_in, no = L->n_out;
		float *d = L->da; /* becomes dL/dp, then dL/dz, in place */
		if (m->dropout > 0 && l < D - 1)
			for (size_t k = 0; k < (size_t)B * no; k++)
				d[k] *= L->dmask[k];
		for (size_t k = 0; k < (size_t)B * no; k++)
			d[k] *= ht_act_grad(L->p[k], L->sharp, m->ste_width);
		for (int32_t j = 0; j < no; j++) {
			double s = 0, sz = 0;
			for (int32_t b = 0; b < B; b++) {
				s += d[(size_t)b * no + j];
				sz += (double)d[(size_t)b * no + j] * L->zn[(size_t)b * no + j];
			}
			L->gbeta[j] = (float)s;
			float inv = 1.0f / L->bstd[j];
			if (!m->bn_frozen) {
				/* Batch-norm backward: the batch mean and variance
				 * depend on every sample of the batch. */
				float ms = (float)(s / B), mz = (float)(sz / B);
				for (int32_t b = 0; b < B; b++) {
					size_t k = (size_t)b * no + j;
					d[k] = inv * (d[k] - ms - L->zn[k] * mz);
				}
			} else {
				for (int32_t b = 0; b < B; b++)
					d[(size_t)b * no + j] *= inv;
			}
		}
		const float *X = l == 0 ? m->x0f : m->L[l - 1].a;
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, B, 1.0f,
		            d, no, X, ni, 0.0f, L->gw, ni);
		if (m->quant) {
			/* Straight-through estimator of round(); clipped weights get
			 * no gradient (they could not move the integer anyway). */
			int32_t wmax = (1 << (m->arch.weight_bits - 1)) - 1;
			float hi = (float)((wmax + 0.5) * L->qscale);
			float lo = (float)((-wmax - 1.5) * L->qscale);
			for (size_t i = 0; i < (size_t)ni * no; i++)
				if ((L->w[i] > hi && L->gw[i] < 0) || (L->w[i] < lo && L->gw[i] > 0))
					L->gw[i] = 0;
		}
		if (l > 0) {
			const float *W = m->quant ? L->wq : L->w;
			float alpha = m->quant ? (float)(L->qscale / gmax_of(m, l)) : 1.0f;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, ni, no,
			            alpha, d, no, W, ni, 0.0f, m->L[l - 1].da, ni);
		}
	}
	return loss;
}

static void adam(float *p, const float *g, float *mm, float *vv, size_t n,
                 double lr, double c1, double c2)
{
	const float b1 = 0.9f, b2 = 0.999f;
	for (size_t i = 0; i < n; i++) {
		mm[i] = b1 * mm[i] + (1 - b1) * g[i];
		vv[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i];
		double mh = mm[i] / c1, vh = vv[i] / c2;
		p[i] -= (float)(lr * mh / (sqrt(vh) + 1e-8));
	}
}

void ht_adam_step(ht_model *m, double lr)
{
	m->adam_t++;
	double c1 = 1 - pow(0.9, (double)m->adam_t), c2 = 1 - pow(0.999, (double)m->adam_t);
	for (int32_t l = 0; l < m->arch.n_layers; l++) {
		ht_layer *L = &m->L[l];
		adam(L->w, L->gw, L->mw, L->vw, (size_t)L->n_in * L->n_out, lr, c1, c2);
		adam(L->beta, L->gbeta, L->mb, L->vb, (size_t)L->n_out, lr, c1, c2);
	}
	if (m->quant)
		ht_requantize(m);
}

/* ------------------------------------------------------------ quantize */

static float qround(float w, double s, int32_t wmin, int32_t wmax)
{
	double q = nearbyint(w / s);
	return (float)(q < wmin ? wmin : q > wmax ? wmax : q);
}

/* Scale with the least squared error over a grid of clipping points: 4-bit
 * weights lose far less to clipping a few outliers than to a coarse grid. */
static double best_scale(const float *w, size_t n, int32_t wmin, int32_t wmax)
{
	double amax = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(w[i]) > amax)
			amax = fabs(w[i]);
	if (amax == 0)
		return 1.0;
	double best = amax / wmax, best_err = INFINITY;
	for (int r = 10; r <= 100; r++) {
		double s = amax * r / 100.0 / wmax, err = 0;
		for (size_t i = 0; i < n; i++) {
			double e = w[i] - s * qround(w[i], s, wmin, wmax);
			err += e * e;
		}
		if (err < best_err) {
			best_err = err;
			best = s;
		}
	}
	return best;
}

int32_t ht_threshold(const ht_model *m, int32_t l, int32_t j)
{
	const ht_layer *L = &m->L[l];
	int32_t gm = gmax_of(m, l), ni = L->n_in;
	double sd = sqrt((double)L->var[j] + BN_EPS);
	double t = ceil((double)gm / L->qscale * (L->mu[j] + sd * (0.5 - L->beta[j])));
	/* Outside the reachable range of u the neuron never (or always)
	 * fires; the extreme reachable value keeps that and fits P bits. */
	int64_t sp = 0, sn = 0;
	for (int32_t i = 0; i < ni; i++) {
		float q = L->wq[(size_t)j * ni + i];
		if (q > 0)
			sp += (int64_t)q * gm;
		else
			sn += (int64_t)q * gm;
	}
	if (!(t <= (double)(sp + 1)))
		t = (double)(sp + 1);
	if (!(t >= (double)sn))
		t = (double)sn;
	return (int32_t)t;
}

/* Keep S+ + 1 and S- (semantics.md, b = 0) inside the P-bit register by
 * shrinking the float weights of the offending sign, then, if rounding
 * still leaves it over, the largest integers. */
static void fit_bound(ht_model *m, int32_t l, int32_t j)
{
	ht_layer *L = &m->L[l];
	int32_t ni = L->n_in, gm = gmax_of(m, l);
	int32_t wmax = (1 << (m->arch.weight_bits - 1)) - 1, wmin = -wmax - 1;
	int64_t lim_pos = (1ll << (m->arch.potential_bits - 1)) - 2;
	int64_t lim_neg = (1ll << (m->arch.potential_bits - 1));
	float *w = &L->w[(size_t)j * ni], *q = &L->wq[(size_t)j * ni];
	for (int sign = 1; sign >= -1; sign -= 2) {
		int64_t lim = sign > 0 ? lim_pos : lim_neg;
		for (int iter = 0;; iter++) {
			int64_t s = 0;
			int32_t big = -1;
			for (int32_t i = 0; i < ni; i++)
				if (q[i] * sign > 0) {
					s += (int64_t)(q[i] * sign) * gm;
					if (big < 0 || q[i] * sign > q[big] * sign)
						big = i;
				}
			if (s <= lim)
				break;
			if (iter < 20) {
				float f = (float)((double)lim / (double)s * 0.995);
				for (int32_t i = 0; i < ni; i++)
					if (w[i] * sign > 0) {
						w[i] *= f;
						q[i] = qround(w[i], L->qscale, wmin, wmax);
					}
			} else {
				q[big] -= (float)sign;
				w[big] = (float)(q[big] * L->qscale);
			}
		}
	}
}

void ht_requantize(ht_model *m)
{
	int32_t wmax = (1 << (m->arch.weight_bits - 1)) - 1, wmin = -wmax - 1;
	for (int32_t l = 0; l < m->arch.n_layers; l++) {
		ht_layer *L = &m->L[l];
		size_t n = (size_t)L->n_in * L->n_out;
		for (size_t i = 0; i < n; i++)
			L->wq[i] = qround(L->w[i], L->qscale, wmin, wmax);
		int64_t worst = (int64_t)wmax * gmax_of(m, l) * L->n_in;
		int64_t worst_neg = (int64_t)(-wmin) * gmax_of(m, l) * L->n_in;
		int64_t lim = (1ll << (m->arch.potential_bits - 1)) - 2;
		if (worst > lim || worst_neg > lim)
			for (int32_t j = 0; j < L->n_out; j++)
				fit_bound(m, l, j);
		for (int32_t j = 0; j < L->n_out; j++)
			L->theta[j] = ht_threshold(m, l, j);
	}
}

void ht_quantize(ht_model *m)
{
	int32_t wmax = (1 << (m->arch.weight_bits - 1)) - 1, wmin = -wmax - 1;
	for (int32_t l = 0; l < m->arch.n_layers; l++) {
		ht_layer *L = &m->L[l];
		L->qscale = best_scale(L->w, (size_t)L->n_in * L->n_out, wmin, wmax);
		L->sharp = 1.0;
	}
	m->quant = 1;
	m->bn_frozen = 1;
	ht_requantize(m);
}

void ht_calibrate(ht_model *m, const uint8_t *g, int32_t n)
{
	int32_t nin = m->arch.n_inputs;
	double *s = NULL, *s2 = NULL;
	for (int32_t l = 0; l < m->arch.n_layers; l++) {
		ht_layer *L = &m->L[l];
		int32_t no = L->n_out;
		s = calloc((size_t)no, sizeof *s);
		s2 = calloc((size_t)no, sizeof *s2);
		if (!s || !s2)
			break;
		for (int32_t i0 = 0; i0 < n; i0 += m->cap) {
			int32_t B = n - i0 < m->cap ? n - i0 : m->cap;
			forward_upto(m, g + (size_t)i0 * nin, B, 0, l);
			for (int32_t b = 0; b < B; b++)
				for (int32_t j = 0; j < no; j++) {
					double v = L->z[(size_t)b * no + j];
					s[j] += v;
					s2[j] += v * v;
				}
		}
		for (int32_t j = 0; j < no; j++) {
			double mean = s[j] / n, var = s2[j] / n - mean * mean;
			L->mu[j] = (float)mean;
			L->var[j] = (float)(var > 0 ? var : 0);
			if (m->quant)
				L->theta[j] = ht_threshold(m, l, j);
		}
		free(s);
		free(s2);
		s = s2 = NULL;
	}
	free(s);
	free(s2);
	m->bn_frozen = 1;
}

double ht_accuracy(ht_model *m, const uint8_t *g, const uint8_t *y,
                   int32_t n, int32_t *pred)
{
	int32_t nin = m->arch.n_inputs, correct = 0;
	int32_t *pb = malloc((size_t)m->cap * sizeof *pb);
	if (!pb || n <= 0) {
		free(pb);
		return 0;
	}
	for (int32_t i0 = 0; i0 < n; i0 += m->cap) {
		int32_t B = n - i0 < m->cap ? n - i0 : m->cap;
		ht_forward(m, g + (size_t)i0 * nin, B, 0);
		ht_predict(m, B, pb);
		for (int32_t b = 0; b < B; b++) {
			correct += pb[b] == y[i0 + b];
			if (pred)
				pred[i0 + b] = pb[b];
		}
	}
	free(pb);
	return 100.0 * correct / n;
}

hone_net *ht_export(const ht_model *m, const int32_t in_shape[3])
{
	if (!m->quant)
		return NULL;
	const ht_arch *a = &m->arch;
	hone_net *net = hone_net_new(a->n_layers, a->sizes);
	if (!net)
		return NULL;
	net->input_bits = (uint8_t)a->input_bits;
	net->weight_bits = (uint8_t)a->weight_bits;
	net->ticks_per_sample = 1;
	if (in_shape)
		memcpy(net->in_shape, in_shape, sizeof net->in_shape);
	for (int32_t l = 0; l < a->n_layers; l++) {
		const ht_layer *L = &m->L[l];
		hone_layer *h = &net->layers[l];
		snprintf(h->name, sizeof h->name, "fc%d", (int)l + 1);
		for (size_t i = 0; i < (size_t)L->n_in * L->n_out; i++)
			h->weight[i] = (int32_t)L->wq[i];
		for (int32_t j = 0; j < L->n_out; j++) {
			h->bias[j] = 0; /* the normalisation lives in the threshold */
			h->threshold[j] = L->theta[j];
		}
		h->carry = HONE_CARRY_NONE;
		h->scale = L->qscale;
	}
	if (hone_net_set_nhot(net, a->n_classes, a->nhot)) {
		hone_net_free(net);
		return NULL;
	}
	return net;
}
