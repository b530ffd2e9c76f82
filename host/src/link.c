/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host link of docs/link-protocol.md: CRC-32 framing (COBS towards the
 * chip, reversed COBS from it), the host side's go-back-N and credit state
 * machine (hone_link), and a C model of the chip side (hone_linkdev) that
 * mirrors rtl/hone_link.v. No I/O here: callers move bytes and pass the
 * time in.
 */
#include "link.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ------------------------------------------------------------- codec */

int hone_link_rsp_bytes(unsigned kind)
{
	static const signed char n[8] = { 8, 2, 4, 7, 8, 8, -1, -1 };
	return kind < 8 ? n[kind] : -1;
}

uint32_t hone_link_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	/* zlib's crc32() takes a uInt length: feed it in pieces */
	while (n) {
		uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}

size_t hone_link_cobs_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t code_pos = 0, o = 1;
	uint8_t code = 1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == 0) {
			out[code_pos] = code;
			code_pos = o++;
			code = 1;
			continue;
		}
		out[o++] = in[i];
		if (++code == 0xFF) {
			out[code_pos] = code;
			code_pos = o++;
			code = 1;
		}
	}
	out[code_pos] = code;
	return o;
}

long hone_link_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < n) {
		uint8_t code = in[i++];
		if (code == 0)
			return -1;
		if (i + (size_t)code - 1 > n)
			return -1; /* block cut short */
		for (uint8_t k = 1; k < code; k++) {
			if (in[i] == 0 || o >= cap)
				return -1;
			out[o++] = in[i++];
		}
		if (code != 0xFF && i < n) {
			if (o >= cap)
				return -1;
			out[o++] = 0;
		}
	}
	return (long)o;
}

size_t hone_link_rcobs_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	/* the chip's encoder (rtl/hone_link_tx.v), a byte at a time: a run of
	 * 254 non-zero bytes is closed by 0xFF before the next byte */
	size_t o = 0;
	uint8_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (run == 254) {
			out[o++] = 0xFF;
			run = 0;
		}
		if (in[i] == 0) {
			out[o++] = (uint8_t)(run + 1);
			run = 0;
		} else {
			out[o++] = in[i];
			run++;
		}
	}
	out[o++] = (uint8_t)(run + 1);
	return o;
}

long hone_link_rcobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	/* walk the codes from the end; the bytes come out last first */
	size_t i = n, o = 0;
	bool last = true;
	while (i > 0) {
		uint8_t code = in[--i];
		if (code == 0 || (size_t)code - 1 > i)
			return -1;
		if (!last && code != 0xFF) {
			if (o >= cap)
				return -1;
			out[o++] = 0; /* the zero this code stands for */
		}
		last = false;
		for (uint8_t k = 1; k < code; k++) {
			if (in[i - 1] == 0 || o >= cap)
				return -1;
			out[o++] = in[--i];
		}
	}
	for (size_t a = 0, b = o; a + 1 < b; a++, b--) {
		uint8_t t = out[a];
		out[a] = out[b - 1];
		out[b - 1] = t;
	}
	return (long)o;
}

/* raw + CRC-32 (little-endian) in tmp; returns its length or 0. */
static size_t frame_raw(const uint8_t *raw, size_t n, uint8_t *tmp, size_t cap)
{
	if (n + HONE_LINK_CRC_BYTES > cap)
		return 0;
	memcpy(tmp, raw, n);
	uint32_t crc = hone_link_crc32(0, raw, n);
	for (unsigned i = 0; i < HONE_LINK_CRC_BYTES; i++)
		tmp[n + i] = (uint8_t)(crc >> (8 * i));
	return n + HONE_LINK_CRC_BYTES;
}

size_t hone_link_frame_encode(const uint8_t *raw, size_t n, uint8_t *out)
{
	uint8_t tmp[HONE_LINK_MAX_BODY + 16];
	size_t m = frame_raw(raw, n, tmp, sizeof tmp);
	if (!m)
		return 0;
	size_t w = hone_link_cobs_encode(tmp, m, out);
	out[w++] = 0;
	return w;
}

size_t hone_link_rframe_encode(const uint8_t *raw, size_t n, uint8_t *out)
{
	uint8_t tmp[HONE_LINK_MAX_BODY + 16];
	size_t m = frame_raw(raw, n, tmp, sizeof tmp);
	if (!m)
		return 0;
	size_t w = hone_link_rcobs_encode(tmp, m, out);
	out[w++] = 0;
	return w;
}

#define RAW_CAP (HONE_LINK_MAX_BODY + 16)
#define ENC_CAP HONE_LINK_COBS_MAX(RAW_CAP)

static int deframer_init(hone_link_deframer *df, bool reversed)
{
	memset(df, 0, sizeof *df);
	df->cap = ENC_CAP;
	df->reversed = reversed;
	df->buf = malloc(df->cap);
	return df->buf ? 0 : HONE_ERR_NOMEM;
}

/* A frame of link protocol 1 from a chip (docs/link-protocol.md, section
 * 6): COBS, then CRC-16/CCITT-FALSE (polynomial 0x1021, init 0xFFFF, not
 * reflected) appended big-endian, so a good frame leaves the register at
 * 0, and a chip-to-host type. raw is scratch space. */
static bool is_v1_frame(const uint8_t *enc, size_t len, uint8_t *raw)
{
	long n = hone_link_cobs_decode(enc, len, raw, RAW_CAP);
	if (n < 3)
		return false;
	uint16_t crc = 0xFFFF;
	for (long i = 0; i < n; i++) {
		crc ^= (uint16_t)(raw[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	uint8_t type = raw[0] & 0x0F;
	if (crc != 0)
		return false;
	if (type == HONE_LINK_FT_STATUS || type == HONE_LINK_FT_RESET_ACK)
		return n == 4 + 2;   /* ack or nonce, credit u16, CRC */
	return type == HONE_LINK_FT_RDATA && n >= 2 + 2 + 2;
}

/* One wire byte. Returns the raw length (CRC removed) of a good frame now
 * complete in raw[], 0 if none; counts bad frames. */
static size_t deframer_byte(hone_link_deframer *df, uint8_t b, uint8_t *raw)
{
	if (b != 0) {
		if (df->len < df->cap)
			df->buf[df->len++] = b;
		else
			df->overflow = true;
		return 0;
	}
	size_t len = df->len;
	bool over = df->overflow;
	df->len = 0;
	df->overflow = false;
	if (len == 0)
		return 0; /* empty frame: a spare delimiter */
	long n = over ? -1
	         : df->reversed ? hone_link_rcobs_decode(df->buf, len, raw, RAW_CAP)
	                        : hone_link_cobs_decode(df->buf, len, raw, RAW_CAP);
	if (n < 1 + HONE_LINK_CRC_BYTES) {
		df->bad++;
		if (df->reversed && !over && is_v1_frame(df->buf, len, raw))
			df->v1++;
		return 0;
	}
	size_t m = (size_t)n - HONE_LINK_CRC_BYTES;
	uint32_t crc = 0;
	for (unsigned i = 0; i < HONE_LINK_CRC_BYTES; i++)
		crc |= (uint32_t)raw[m + i] << (8 * i);
	if (hone_link_crc32(0, raw, m) != crc) {
		df->bad++;
		if (df->reversed && is_v1_frame(df->buf, len, raw))
			df->v1++;
		return 0;
	}
	return m;
}

/* A growable byte queue. */
typedef struct bytebuf {
	uint8_t *p;
	size_t head, len, cap;
} bytebuf;

static int bb_reserve(bytebuf *b, size_t more)
{
	if (b->head + b->len + more <= b->cap)
		return 0;
	if (b->head) {
		memmove(b->p, b->p + b->head, b->len);
		b->head = 0;
		if (b->len + more <= b->cap)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return HONE_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int bb_put(bytebuf *b, const uint8_t *p, size_t n)
{
	int rc = bb_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->p + b->head + b->len, p, n);
	b->len += n;
	return 0;
}

static void bb_take(bytebuf *b, uint8_t *out, size_t n)
{
	memcpy(out, b->p + b->head, n);
	b->head += n;
	b->len -= n;
	if (b->len == 0)
		b->head = 0;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A growable response queue. */
typedef struct rspq {
	hone_link_rsp *r;
	size_t head, len, cap;
} rspq;

static int rspq_push(rspq *q, uint8_t kind, uint64_t data)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		hone_link_rsp *r = malloc(cap * sizeof *r);
		if (!r)
			return HONE_ERR_NOMEM;
		for (size_t i = 0; i < q->len; i++)
			r[i] = q->r[(q->head + i) % q->cap];
		free(q->r);
		q->r = r;
		q->head = 0;
		q->cap = cap;
	}
	q->r[(q->head + q->len) % q->cap] = (hone_link_rsp){ .kind = kind, .data = data };
	q->len++;
	return 0;
}

/* ---------------------------------------------------------- host side */

typedef struct txframe {
	uint8_t seq;
	bool sent;
	uint32_t len;
	uint8_t *body;
} txframe;

struct hone_link {
	hone_link_params p;
	bytebuf cmdq;
	bool flush;
	txframe *win;          /* ring of p.window frames */
	uint32_t win_head, win_n, send_i;
	uint8_t next_seq;
	uint32_t inflight;     /* body bytes of the frames in win */
	uint32_t credit, fifo;
	bool up, resetting;
	uint8_t nonce;
	uint64_t reset_deadline, rto_deadline, poll_deadline;
	uint32_t timeouts_row;
	int error;
	/* receive side */
	hone_link_deframer df;
	uint8_t *raw;
	uint8_t rx_expected;
	bool need_ack, nak_pending, nak_sent;
	rspq rsp;
	hone_link_stats st;
};

hone_link *hone_link_new(const hone_link_params *p)
{
	hone_link_params d = { .max_payload = 512, .window = 8, .rto_us = 20000,
	                       .baud = 0, .max_timeouts = 50 };
	if (p) {
		d = *p;
		if (!d.max_payload)
			d.max_payload = 512;
		if (!d.window)
			d.window = 8;
		if (!d.rto_us)
			d.rto_us = 20000;
		if (!d.max_timeouts)
			d.max_timeouts = 50;
	}
	if (d.max_payload > HONE_LINK_MAX_BODY || d.window > 64)
		return NULL;
	hone_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->p = d;
	l->win = calloc(d.window, sizeof *l->win);
	l->raw = malloc(RAW_CAP);
	if (!l->win || !l->raw || deframer_init(&l->df, true))
		goto fail;
	for (uint32_t i = 0; i < d.window; i++)
		if (!(l->win[i].body = malloc(d.max_payload)))
			goto fail;
	l->st.credit_min = UINT32_MAX;
	return l;
fail:
	hone_link_free(l);
	return NULL;
}

void hone_link_free(hone_link *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; l->win && i < l->p.window; i++)
		free(l->win[i].body);
	free(l->win);
	free(l->raw);
	free(l->df.buf);
	free(l->cmdq.p);
	free(l->rsp.r);
	free(l);
}

void hone_link_reset(hone_link *l, uint64_t now_us)
{
	l->cmdq.head = l->cmdq.len = 0;
	l->flush = false;
	l->win_head = l->win_n = l->send_i = 0;
	l->next_seq = 0;
	l->inflight = 0;
	l->credit = 0;
	l->up = false;
	l->resetting = true;
	l->reset_deadline = now_us;
	l->timeouts_row = 0;
	l->error = 0;
	l->df.len = 0;
	l->df.overflow = false;
	l->rx_expected = 0;
	l->need_ack = l->nak_pending = l->nak_sent = false;
	l->rsp.head = l->rsp.len = 0;
}

bool hone_link_up(const hone_link *l) { return l->up; }
int hone_link_error(const hone_link *l) { return l->error; }
uint32_t hone_link_credit(const hone_link *l) { return l->credit; }
uint32_t hone_link_fifo_size(const hone_link *l) { return l->fifo; }
const hone_link_stats *hone_link_get_stats(const hone_link *l) { return &l->st; }

size_t hone_link_unacked(const hone_link *l)
{
	return l->cmdq.len + l->inflight;
}

uint64_t hone_link_deadline(const hone_link *l)
{
	uint64_t t = UINT64_MAX;
	if (l->error)
		return t;
	if (l->resetting)
		t = l->reset_deadline;
	if (l->up && l->win_n && l->rto_deadline < t)
		t = l->rto_deadline;
	if (l->up && !l->win_n && l->cmdq.len && l->poll_deadline < t)
		t = l->poll_deadline;
	return t;
}

static uint64_t host_rto(const hone_link *l)
{
	uint64_t t = l->p.rto_us;
	if (l->p.baud)
		t += (uint64_t)(l->inflight + 16u * l->win_n) * 10u * 1000000u / l->p.baud;
	return t;
}

/* Append one frame to the output if it fits. */
static bool emit(hone_link *l, const uint8_t *raw, size_t n, uint8_t *buf,
                 size_t cap, size_t *out)
{
	if (*out + HONE_LINK_COBS_MAX(n + HONE_LINK_CRC_BYTES) + 1 > cap)
		return false;
	size_t w = hone_link_frame_encode(raw, n, buf + *out);
	*out += w;
	l->st.wire_out += w;
	return true;
}

static bool emit_data(hone_link *l, txframe *f, uint8_t *buf, size_t cap, size_t *out)
{
	uint8_t raw[HONE_LINK_MAX_BODY + 3];
	raw[0] = HONE_LINK_FT_DATA | (l->nak_pending ? HONE_LINK_F_NAK : 0);
	raw[1] = f->seq;
	raw[2] = l->rx_expected;
	memcpy(raw + 3, f->body, f->len);
	if (!emit(l, raw, 3 + f->len, buf, cap, out))
		return false;
	if (l->nak_pending)
		l->st.naks_out++;
	l->nak_pending = l->need_ack = false;
	if (f->sent)
		l->st.frames_retx++;
	else
		l->st.payload_out += f->len;
	f->sent = true;
	l->st.frames_out++;
	return true;
}

size_t hone_link_pull_tx(hone_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	size_t out = 0;
	uint8_t raw[4];
	if (l->error)
		return 0;
	if (!l->up) {
		if (l->resetting && now >= l->reset_deadline && cap >= 16) {
			buf[out++] = 0; /* flush a frame the chip half-received */
			l->st.wire_out++;
			l->nonce++;
			raw[0] = HONE_LINK_FT_RESET;
			raw[1] = l->nonce;
			emit(l, raw, 2, buf, cap, &out);
			l->reset_deadline = now + l->p.rto_us;
		}
		return out;
	}
	if (l->win_n && now >= l->rto_deadline) {
		l->st.timeouts++;
		if (++l->timeouts_row > l->p.max_timeouts) {
			l->error = HONE_ERR_TIMEOUT;
			return 0;
		}
		if (l->send_i)
			l->st.gobacks++;
		l->send_i = 0;
		l->rto_deadline = now + host_rto(l);
	}
	/* (re)send what the window holds */
	while (l->send_i < l->win_n) {
		txframe *f = &l->win[(l->win_head + l->send_i) % l->p.window];
		if (!emit_data(l, f, buf, cap, &out))
			return out;
		l->send_i++;
	}
	/* new frames */
	while (l->win_n < l->p.window && l->cmdq.len) {
		/* the chip writes a frame's CRC behind its body before it checks
		 * it: HONE_LINK_CRC_BYTES of the credit stay spare */
		uint32_t spare = l->inflight + HONE_LINK_CRC_BYTES;
		uint32_t allowed = l->credit > spare ? l->credit - spare : 0;
		size_t want = l->cmdq.len < l->p.max_payload ? l->cmdq.len : l->p.max_payload;
		if (want > allowed) {
			if (allowed < l->p.max_payload / 2) {
				l->st.credit_stalls++;
				if (!l->win_n && now >= l->poll_deadline && out + 16 <= cap) {
					raw[0] = HONE_LINK_FT_ACK | HONE_LINK_F_POLL |
					         (l->nak_pending ? HONE_LINK_F_NAK : 0);
					raw[1] = l->rx_expected;
					emit(l, raw, 2, buf, cap, &out);
					l->st.polls_out++;
					l->nak_pending = l->need_ack = false;
					l->poll_deadline = now + l->p.rto_us;
				}
				break;
			}
			want = allowed;
		}
		if (want < l->p.max_payload && want == l->cmdq.len && !l->flush)
			break; /* wait for a full frame */
		txframe *f = &l->win[(l->win_head + l->win_n) % l->p.window];
		f->seq = l->next_seq++;
		f->sent = false;
		f->len = (uint32_t)want;
		bb_take(&l->cmdq, f->body, want);
		if (!l->win_n)
			l->rto_deadline = now + l->p.rto_us +
			                  (l->p.baud ? (uint64_t)(want + 16) * 10000000u / l->p.baud : 0);
		l->win_n++;
		l->inflight += (uint32_t)want;
		if (l->credit - l->inflight - HONE_LINK_CRC_BYTES < l->st.credit_min)
			l->st.credit_min = l->credit - l->inflight - HONE_LINK_CRC_BYTES;
		if (!l->cmdq.len)
			l->flush = false;
		if (!emit_data(l, f, buf, cap, &out))
			return out;
		l->send_i++;
	}
	if ((l->need_ack || l->nak_pending) && out + 16 <= cap) {
		raw[0] = HONE_LINK_FT_ACK | (l->nak_pending ? HONE_LINK_F_NAK : 0);
		raw[1] = l->rx_expected;
		emit(l, raw, 2, buf, cap, &out);
		l->st.acks_out++;
		if (l->nak_pending)
			l->st.naks_out++;
		l->nak_pending = l->need_ack = false;
	}
	return out;
}

static void host_status(hone_link *l, uint64_t now, uint8_t flags, uint8_t ack,
                        uint32_t credit)
{
	uint8_t base = (uint8_t)(l->next_seq - l->win_n);
	uint8_t d = (uint8_t)(ack - base);
	l->poll_deadline = now + l->p.rto_us;
	if (flags & HONE_LINK_F_PROTO_ERR)
		l->error = HONE_ERR_PROTOCOL;
	if (d > l->win_n)
		return; /* stale */
	if (d) {
		for (uint8_t i = 0; i < d; i++) {
			l->inflight -= l->win[l->win_head].len;
			l->win_head = (l->win_head + 1) % l->p.window;
		}
		l->win_n -= d;
		l->send_i = l->send_i > d ? l->send_i - d : 0;
		l->timeouts_row = 0;
		l->rto_deadline = now + host_rto(l);
		l->credit = credit;
	} else if (credit > l->credit) {
		l->credit = credit;
	}
	if ((flags & HONE_LINK_F_NAK) && l->win_n) {
		l->st.naks_in++;
		if (l->send_i)
			l->st.gobacks++;
		l->send_i = 0;
		l->rto_deadline = now + host_rto(l);
	}
}

static void host_rdata(hone_link *l, const uint8_t *raw, size_t n)
{
	uint8_t seq = raw[1];
	if (seq != l->rx_expected) {
		if ((uint8_t)(seq - l->rx_expected) < 128) {
			if (!l->nak_sent)
				l->nak_pending = l->nak_sent = true;
		} else {
			l->st.dup_in++;
			l->need_ack = true;
		}
		return;
	}
	for (size_t i = 2; i < n;) {
		uint8_t tag = raw[i];
		int nb = hone_link_rsp_bytes(tag & 7u);
		if ((tag & 0xF8) || nb < 0 || i + 1 + (size_t)nb > n) {
			l->error = HONE_ERR_PROTOCOL;
			return;
		}
		if (rspq_push(&l->rsp, tag & 7u, get_le(raw + i + 1, (unsigned)nb))) {
			l->error = HONE_ERR_NOMEM;
			return;
		}
		i += 1 + (size_t)nb;
	}
	l->st.payload_in += n - 2;
	l->st.frames_in++;
	l->rx_expected++;
	l->need_ack = true;
	l->nak_sent = false;
}

void hone_link_push_rx(hone_link *l, uint64_t now, const uint8_t *p, size_t n)
{
	l->st.wire_in += n;
	for (size_t i = 0; i < n; i++) {
		uint64_t bad = l->df.bad, v1 = l->df.v1;
		size_t len = deframer_byte(&l->df, p[i], l->raw);
		if (l->df.bad != bad) {
			l->st.bad_in++;
			if (l->df.v1 != v1) {
				l->st.v1_in++;
				/* a bitstream of link protocol 1 NAKing our RESET */
				if (!l->up && !l->error)
					l->error = HONE_ERR_VERSION;
			}
			if (l->up && !l->nak_sent)
				l->nak_pending = l->nak_sent = true;
			continue;
		}
		if (!len)
			continue;
		const uint8_t *raw = l->raw;
		uint8_t type = raw[0] & 0x0F, flags = raw[0] & 0xF0;
		if (type == HONE_LINK_FT_RESET_ACK && len >= 4) {
			if (l->up && raw[1] != l->nonce) {
				/* the chip's link restarted under us: commands lost */
				l->error = HONE_ERR_PROTOCOL;
			} else if (l->resetting && raw[1] == l->nonce) {
				l->resetting = false;
				l->up = true;
				l->credit = l->fifo = (uint32_t)get_le(raw + 2, 2);
				l->poll_deadline = now + l->p.rto_us;
			}
		} else if (!l->up) {
			continue; /* leftovers of an earlier session */
		} else if (type == HONE_LINK_FT_STATUS && len >= 4) {
			host_status(l, now, flags, raw[1], (uint32_t)get_le(raw + 2, 2));
		} else if (type == HONE_LINK_FT_RDATA && len >= 2) {
			host_rdata(l, raw, len);
		} else {
			l->st.bad_in++;
		}
	}
}

bool hone_link_get_rsp(hone_link *l, hone_link_rsp *r)
{
	if (!l->rsp.len)
		return false;
	*r = l->rsp.r[l->rsp.head];
	l->rsp.head = (l->rsp.head + 1) % l->rsp.cap;
	l->rsp.len--;
	return true;
}

/* ---- command producers ---- */

static int put(hone_link *l, const uint8_t *p, size_t n)
{
	return bb_put(&l->cmdq, p, n);
}

int hone_link_put_raw(hone_link *l, const uint8_t *p, size_t n)
{
	return put(l, p, n);
}

void hone_link_flush(hone_link *l)
{
	if (l->cmdq.len)
		l->flush = true;
}

static unsigned bytes_of(uint64_t v)
{
	unsigned n = 1;
	while (n < 8 && (v >> (8 * n)))
		n++;
	return n;
}

int hone_link_put_write(hone_link *l, uint8_t target, uint8_t mem,
                        uint16_t addr, const uint64_t *data, size_t n)
{
	if (mem > 7)
		return HONE_ERR_INVALID;
	while (n) {
		size_t k = n > 0xFFFF ? 0xFFFF : n;
		unsigned nb = 1;
		for (size_t i = 0; i < k; i++) {
			unsigned b = bytes_of(data[i]);
			nb = b > nb ? b : nb;
		}
		uint8_t h[7] = { HONE_LINK_OP_WRITE, target,
		                 (uint8_t)(mem | ((nb - 1) << 4)) };
		put_le(h + 3, addr, 2);
		put_le(h + 5, k, 2);
		int rc = bb_reserve(&l->cmdq, 7 + k * nb);
		if (rc)
			return rc;
		put(l, h, 7);
		for (size_t i = 0; i < k; i++) {
			uint8_t w[8];
			put_le(w, data[i], nb);
			put(l, w, nb);
		}
		data += k;
		n -= k;
		addr = (uint16_t)(addr + k);
	}
	return 0;
}

int hone_link_put_read(hone_link *l, uint8_t target, uint8_t mem,
                       uint16_t addr, uint32_t n)
{
	if (mem > 7)
		return HONE_ERR_INVALID;
	while (n) {
		uint32_t k = n > 0xFFFF ? 0xFFFF : n;
		uint8_t h[7] = { HONE_LINK_OP_READ, target, mem };
		put_le(h + 3, addr, 2);
		put_le(h + 5, k, 2);
		int rc = put(l, h, 7);
		if (rc)
			return rc;
		n -= k;
		addr = (uint16_t)(addr + k);
	}
	return 0;
}

/* One run of events of one op: count, then the events with g != 0. */
static int put_ev_run(hone_link *l, bool ev16, const uint32_t *in,
                      const uint8_t *g, size_t n)
{
	while (n) {
		size_t k = n > 0xFFFF ? 0xFFFF : n;
		uint8_t h[3] = { ev16 ? HONE_LINK_OP_EV16 : HONE_LINK_OP_EV24 };
		put_le(h + 1, k, 2);
		int rc = bb_reserve(&l->cmdq, 3 + 3 * k);
		if (rc)
			return rc;
		put(l, h, 3);
		for (size_t i = 0; i < k; i++) {
			uint8_t e[3];
			if (ev16) {
				put_le(e, (in[i] & 0xFFFu) | ((uint32_t)g[i] << 12), 2);
				put(l, e, 2);
			} else {
				put_le(e, in[i], 2);
				e[2] = g[i];
				put(l, e, 3);
			}
		}
		in += k;
		g += k;
		n -= k;
	}
	return 0;
}

int hone_link_put_events(hone_link *l, const hone_event *ev, size_t n)
{
	uint32_t *in = malloc((n ? n : 1) * sizeof *in);
	uint8_t *g = malloc(n ? n : 1);
	int rc = (in && g) ? 0 : HONE_ERR_NOMEM;
	size_t k = 0;
	bool ev16 = true;
	for (size_t i = 0; !rc && i < n; i++) {
		if (ev[i].input > 0xFFFF) {
			rc = HONE_ERR_INVALID;
			break;
		}
		if (!ev[i].g)
			continue;
		if (ev[i].input > 0xFFF || ev[i].g > 15)
			ev16 = false;
		in[k] = ev[i].input;
		g[k++] = ev[i].g;
	}
	if (!rc)
		rc = put_ev_run(l, ev16, in, g, k);
	free(in);
	free(g);
	return rc;
}

static int put_dense(hone_link *l, uint32_t first, const uint8_t *g, uint32_t n,
                     unsigned gbits)
{
	while (n) {
		uint32_t k = n > 0xFFFF ? 0xFFFF : n;
		uint8_t h[6] = { HONE_LINK_OP_DENSE, (uint8_t)gbits };
		put_le(h + 2, first, 2);
		put_le(h + 4, k, 2);
		size_t nbytes = ((size_t)k * gbits + 7) / 8;
		int rc = bb_reserve(&l->cmdq, 6 + nbytes);
		if (rc)
			return rc;
		put(l, h, 6);
		uint8_t *p = l->cmdq.p + l->cmdq.head + l->cmdq.len;
		memset(p, 0, nbytes);
		for (uint32_t i = 0; i < k; i++) {
			size_t bit = (size_t)i * gbits;
			p[bit / 8] |= (uint8_t)((g[i] & ((1u << gbits) - 1)) << (bit % 8));
		}
		l->cmdq.len += nbytes;
		g += k;
		first += k;
		n -= k;
	}
	return 0;
}

/* Cheapest mix of DENSE and EV runs: a shortest path over the inputs with
 * three states (nothing, events, dense); entering a run pays its header. */
int hone_link_put_frame(hone_link *l, const uint8_t *g, uint32_t n, unsigned gbits)
{
	enum { S_NONE, S_EV, S_DENSE };
	if (!(gbits == 1 || gbits == 2 || gbits == 4 || gbits == 8) || n > 0x10000)
		return HONE_ERR_INVALID;
	if (!n)
		return 0;
	bool ev16 = n <= 4096 && gbits <= 4;
	const uint64_t ev_bits = ev16 ? 16 : 24, ev_head = 24, dense_head = 48;
	uint8_t *from = malloc((size_t)n * 3);
	if (!from)
		return HONE_ERR_NOMEM;
	uint64_t cost[3] = { 0, ev_head, dense_head };
	const uint64_t INF = UINT64_MAX / 4;
	for (uint32_t i = 0; i < n; i++) {
		bool nz = g[i] != 0;
		uint64_t c[3];
		uint8_t *f = from + (size_t)i * 3;
		/* best predecessor for each state (entering EV/DENSE pays its
		 * header unless already in it) */
		c[S_NONE] = cost[S_NONE];
		f[S_NONE] = S_NONE;
		for (int s = S_EV; s <= S_DENSE; s++)
			if (cost[s] < c[S_NONE]) {
				c[S_NONE] = cost[s];
				f[S_NONE] = (uint8_t)s;
			}
		if (nz)
			c[S_NONE] = INF;
		c[S_EV] = cost[S_EV];
		f[S_EV] = S_EV;
		if (cost[S_NONE] + ev_head < c[S_EV]) {
			c[S_EV] = cost[S_NONE] + ev_head;
			f[S_EV] = S_NONE;
		}
		if (cost[S_DENSE] + ev_head < c[S_EV]) {
			c[S_EV] = cost[S_DENSE] + ev_head;
			f[S_EV] = S_DENSE;
		}
		c[S_EV] += nz ? ev_bits : 0;
		c[S_DENSE] = cost[S_DENSE];
		f[S_DENSE] = S_DENSE;
		if (cost[S_NONE] + dense_head < c[S_DENSE]) {
			c[S_DENSE] = cost[S_NONE] + dense_head;
			f[S_DENSE] = S_NONE;
		}
		if (cost[S_EV] + dense_head < c[S_DENSE]) {
			c[S_DENSE] = cost[S_EV] + dense_head;
			f[S_DENSE] = S_EV;
		}
		c[S_DENSE] += gbits;
		memcpy(cost, c, sizeof cost);
	}
	/* back-track the states, then emit the runs in order */
	uint8_t *state = malloc(n);
	uint32_t *in = malloc((size_t)n * sizeof *in);
	uint8_t *gv = malloc(n);
	int rc = (state && in && gv) ? 0 : HONE_ERR_NOMEM;
	if (!rc) {
		uint8_t s = S_NONE;
		for (int k = S_EV; k <= S_DENSE; k++)
			if (cost[k] < cost[s])
				s = (uint8_t)k;
		for (uint32_t i = n; i-- > 0;) {
			state[i] = s;
			s = from[(size_t)i * 3 + s];
		}
		for (uint32_t i = 0; !rc && i < n;) {
			uint32_t j = i;
			while (j < n && state[j] == state[i])
				j++;
			if (state[i] == S_DENSE) {
				rc = put_dense(l, i, g + i, j - i, gbits);
			} else if (state[i] == S_EV) {
				size_t k = 0;
				for (uint32_t x = i; x < j; x++)
					if (g[x]) {
						in[k] = x;
						gv[k++] = g[x];
					}
				rc = put_ev_run(l, ev16, in, gv, k);
			}
			i = j;
		}
	}
	free(from);
	free(state);
	free(in);
	free(gv);
	return rc;
}

int hone_link_put_tick(hone_link *l, uint32_t n)
{
	if (n == 1) {
		uint8_t op = HONE_LINK_OP_TICK;
		return put(l, &op, 1);
	}
	while (n) {
		uint32_t k = n > 0xFFFF ? 0xFFFF : n;
		uint8_t h[3] = { HONE_LINK_OP_TICKS };
		put_le(h + 1, k, 2);
		int rc = put(l, h, 3);
		if (rc)
			return rc;
		n -= k;
	}
	return 0;
}

int hone_link_put_trace(hone_link *l, bool on)
{
	uint8_t h[2] = { HONE_LINK_OP_TRACE, on ? 1 : 0 };
	return put(l, h, 2);
}

int hone_link_put_counters(hone_link *l)
{
	uint8_t op = HONE_LINK_OP_COUNTERS;
	return put(l, &op, 1);
}

int hone_link_put_caps(hone_link *l)
{
	uint8_t op = HONE_LINK_OP_CAPS;
	return put(l, &op, 1);
}

/* ------------------------------------------- chip side (C model) */

/* The command parser, a byte at a time, as rtl/hone_link_parser.v. */
enum { P_OP, P_ARGS, P_ELEM, P_REPEAT, P_DBYTE, P_DUNPACK };

typedef struct parser {
	int st;
	uint8_t op, args[8], elem[8], dbyte;
	unsigned nargs, argi, elemn, elemi, k;
	uint8_t target, mem, gbits;
	uint16_t addr;
	uint32_t count;
} parser;

typedef struct devframe {
	uint8_t seq;
	bool sent;
	size_t len;            /* encoded bytes, delimiter included */
	uint8_t *enc;
} devframe;

struct hone_linkdev {
	hone_linkdev_params p;
	hone_link_deframer df;
	uint8_t *raw;
	/* RX FIFO: committed bytes [head, commit) */
	uint8_t *fifo;
	uint32_t head, commit;
	uint8_t expected;
	bool nak_sent, nak_pending, status_pending, proto_err;
	uint32_t head_step;    /* head / STATUS step at the last look */
	parser ps;
	/* TX */
	devframe *frames;      /* ring of tx_window */
	uint32_t f_head, f_n, send_i;
	uint8_t tx_seq;        /* seq of the next frame to open */
	uint8_t *open;         /* body of the open frame */
	size_t open_len;
	bool is_open;
	bool reset_ack_pending, nonce_valid;
	uint8_t nonce;
	uint64_t rto_deadline;
	hone_linkdev_stats st;
};

hone_linkdev *hone_linkdev_new(const hone_linkdev_params *p)
{
	hone_linkdev_params d = { .rx_fifo = 2048, .tx_buf = 1024, .tx_payload = 120,
	                          .tx_window = 0, .rto_us = 20000 };
	if (p) {
		if (p->rx_fifo)
			d.rx_fifo = p->rx_fifo;
		if (p->tx_buf)
			d.tx_buf = p->tx_buf;
		if (p->tx_payload)
			d.tx_payload = p->tx_payload;
		if (p->tx_window)
			d.tx_window = p->tx_window;
		if (p->rto_us)
			d.rto_us = p->rto_us;
	}
	/* the retransmit buffer is cut into slots, one frame each (as the RTL's:
	 * slot byte 0 holds the end of the body, bytes 1.. the body) */
	uint32_t slot = 1;
	while (slot < d.tx_payload + 2)
		slot *= 2;
	if (!d.tx_window)
		d.tx_window = d.tx_buf / slot;
	if (d.rx_fifo > 0xFFFF || d.rx_fifo < 4 * HONE_LINK_CRC_BYTES ||
	    d.tx_payload < 9 || d.tx_payload > 254 ||
	    d.tx_window < 1 || d.tx_window > 64 || d.tx_window * slot > d.tx_buf)
		return NULL;
	hone_linkdev *dv = calloc(1, sizeof *dv);
	if (!dv)
		return NULL;
	dv->p = d;
	dv->raw = malloc(RAW_CAP);
	dv->fifo = malloc(d.rx_fifo);
	dv->frames = calloc(d.tx_window, sizeof *dv->frames);
	dv->open = malloc(d.tx_payload);
	if (!dv->raw || !dv->fifo || !dv->frames || !dv->open || deframer_init(&dv->df, false)) {
		hone_linkdev_free(dv);
		return NULL;
	}
	for (uint32_t i = 0; i < d.tx_window; i++)
		if (!(dv->frames[i].enc = malloc(HONE_LINK_COBS_MAX(d.tx_payload + 2 +
		                                                      HONE_LINK_CRC_BYTES) + 1))) {
			hone_linkdev_free(dv);
			return NULL;
		}
	return dv;
}

void hone_linkdev_free(hone_linkdev *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; d->frames && i < d->p.tx_window; i++)
		free(d->frames[i].enc);
	free(d->frames);
	free(d->open);
	free(d->fifo);
	free(d->raw);
	free(d->df.buf);
	free(d);
}

uint32_t hone_linkdev_fifo_fill(const hone_linkdev *d) { return d->commit - d->head; }
const hone_linkdev_stats *hone_linkdev_get_stats(const hone_linkdev *d) { return &d->st; }

/* Free FIFO bytes. */
static uint32_t dev_credit(const hone_linkdev *d)
{
	return d->p.rx_fifo - (d->commit - d->head);
}

static void dev_nak(hone_linkdev *d)
{
	if (!d->nak_sent)
		d->nak_pending = d->nak_sent = true;
}

static void dev_host_ack(hone_linkdev *d, uint64_t now, uint8_t flags, uint8_t ack)
{
	/* closed unacked frames: f_n from base; the open one is tx_seq - 1 */
	uint8_t base = (uint8_t)(d->tx_seq - (d->is_open ? 1 : 0) - d->f_n);
	uint8_t n = (uint8_t)(ack - base);
	if (n > d->f_n)
		return;
	for (uint8_t i = 0; i < n; i++)
		d->f_head = (d->f_head + 1) % d->p.tx_window;
	d->f_n -= n;
	d->send_i = d->send_i > n ? d->send_i - n : 0;
	if (n)
		d->rto_deadline = now + d->p.rto_us;
	if ((flags & HONE_LINK_F_NAK) && d->f_n)
		d->send_i = 0;
	if (flags & HONE_LINK_F_POLL)
		d->status_pending = true;
}

static void dev_reset(hone_linkdev *d, uint8_t nonce)
{
	d->head = d->commit = 0;
	d->expected = 0;
	d->nak_sent = d->nak_pending = d->status_pending = d->proto_err = false;
	memset(&d->ps, 0, sizeof d->ps);
	d->f_head = d->f_n = d->send_i = 0;
	d->tx_seq = 0;
	d->is_open = false;
	d->open_len = 0;
	d->reset_ack_pending = true;
	d->nonce = nonce;
	d->nonce_valid = true;
	d->head_step = 0;
}

void hone_linkdev_push_rx(hone_linkdev *d, uint64_t now, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t bad = d->df.bad;
		size_t len = deframer_byte(&d->df, p[i], d->raw);
		if (d->df.bad != bad) {
			d->st.bad_in++;
			dev_nak(d);
			continue;
		}
		if (!len)
			continue;
		const uint8_t *raw = d->raw;
		uint8_t type = raw[0] & 0x0F, flags = raw[0] & 0xF0;
		d->st.frames_in++;
		if (type == HONE_LINK_FT_RESET && len >= 2) {
			if (d->nonce_valid && raw[1] == d->nonce)
				d->reset_ack_pending = true; /* a duplicate: answer only */
			else
				dev_reset(d, raw[1]);
		} else if (type == HONE_LINK_FT_ACK && len >= 2) {
			dev_host_ack(d, now, flags, raw[1]);
		} else if (type == HONE_LINK_FT_DATA && len >= 3) {
			dev_host_ack(d, now, flags, raw[2]);
			uint8_t seq = raw[1];
			uint32_t blen = (uint32_t)len - 3;
			if (seq == d->expected) {
				/* the RTL writes the CRC behind the body before it
				 * knows it is one: the body and the CRC must fit */
				if (blen + HONE_LINK_CRC_BYTES <= dev_credit(d)) {
					for (uint32_t k = 0; k < blen; k++)
						d->fifo[(d->commit + k) % d->p.rx_fifo] = raw[3 + k];
					d->commit += blen;
					if (d->commit - d->head > d->st.fifo_max)
						d->st.fifo_max = d->commit - d->head;
					d->expected++;
					d->nak_sent = false;
					d->status_pending = true;
					d->st.committed++;
				} else {
					d->st.overruns++;
					dev_nak(d);
				}
			} else if ((uint8_t)(seq - d->expected) < 128) {
				d->st.ahead_in++;
				dev_nak(d);
			} else {
				d->st.dup_in++;
				d->status_pending = true;
			}
		} else {
			d->st.bad_in++;
			dev_nak(d);
		}
	}
}

static bool dev_byte(hone_linkdev *d, uint8_t *b)
{
	if (d->head == d->commit)
		return false;
	*b = d->fifo[d->head % d->p.rx_fifo];
	d->head++;
	return true;
}

static unsigned op_nargs(uint8_t op)
{
	switch (op) {
	case HONE_LINK_OP_WRITE: case HONE_LINK_OP_READ: return 6;
	case HONE_LINK_OP_EV16: case HONE_LINK_OP_EV24: case HONE_LINK_OP_TICKS: return 2;
	case HONE_LINK_OP_DENSE: return 5;
	case HONE_LINK_OP_TRACE: return 1;
	default: return 0;
	}
}

/* After the op and its arguments: set up the element phase, or produce a
 * single command. Returns true with *c filled when a command is ready. */
static bool ps_start(hone_linkdev *d, hone_link_cmd *c)
{
	parser *s = &d->ps;
	memset(c, 0, sizeof *c);
	s->st = P_OP;
	switch (s->op) {
	case HONE_LINK_OP_NOP:
		return false;
	case HONE_LINK_OP_WRITE:
	case HONE_LINK_OP_READ:
		s->target = s->args[0];
		s->mem = s->args[1] & 7;
		s->elemn = s->op == HONE_LINK_OP_WRITE ? ((s->args[1] >> 4) & 7) + 1u : 0;
		s->addr = (uint16_t)get_le(s->args + 2, 2);
		s->count = (uint32_t)get_le(s->args + 4, 2);
		s->st = s->op == HONE_LINK_OP_WRITE ? P_ELEM : P_REPEAT;
		s->elemi = 0;
		return false;
	case HONE_LINK_OP_EV16:
	case HONE_LINK_OP_EV24:
		s->count = (uint32_t)get_le(s->args, 2);
		s->elemn = s->op == HONE_LINK_OP_EV16 ? 2 : 3;
		s->elemi = 0;
		s->st = P_ELEM;
		return false;
	case HONE_LINK_OP_DENSE:
		s->gbits = s->args[0];
		if (!(s->gbits == 1 || s->gbits == 2 || s->gbits == 4 || s->gbits == 8)) {
			d->proto_err = true;
			d->st.proto_err++;
			return false;
		}
		s->addr = (uint16_t)get_le(s->args + 1, 2);
		s->count = (uint32_t)get_le(s->args + 3, 2);
		s->st = P_DBYTE;
		return false;
	case HONE_LINK_OP_TICK:
		c->op = HONE_CHIP_OP_TICK;
		return true;
	case HONE_LINK_OP_TICKS:
		s->count = (uint32_t)get_le(s->args, 2);
		s->st = P_REPEAT;
		return false;
	case HONE_LINK_OP_TRACE:
		c->op = HONE_CHIP_OP_TRACE;
		c->data = s->args[0] & 1u;
		return true;
	case HONE_LINK_OP_COUNTERS:
		c->op = HONE_CHIP_OP_COUNTERS;
		return true;
	case HONE_LINK_OP_CAPS:
		c->op = HONE_CHIP_OP_CAPS;
		return true;
	default:
		d->proto_err = true;
		d->st.proto_err++;
		return false;
	}
}

bool hone_linkdev_get_cmd(hone_linkdev *d, hone_link_cmd *c)
{
	parser *s = &d->ps;
	uint8_t b;
	for (;;) {
		switch (s->st) {
		case P_OP:
			if (!dev_byte(d, &b))
				return false;
			s->op = b;
			s->nargs = op_nargs(b);
			s->argi = 0;
			if (!s->nargs) {
				if (ps_start(d, c))
					goto out;
			} else {
				s->st = P_ARGS;
			}
			break;
		case P_ARGS:
			if (!dev_byte(d, &b))
				return false;
			s->args[s->argi++] = b;
			if (s->argi == s->nargs && ps_start(d, c))
				goto out;
			break;
		case P_ELEM:
			if (!s->count) {
				s->st = P_OP;
				break;
			}
			if (!dev_byte(d, &b))
				return false;
			s->elem[s->elemi++] = b;
			if (s->elemi < s->elemn)
				break;
			s->elemi = 0;
			s->count--;
			memset(c, 0, sizeof *c);
			if (s->op == HONE_LINK_OP_WRITE) {
				c->op = HONE_CHIP_OP_WRITE;
				c->target = s->target;
				c->mem = s->mem;
				c->addr = s->addr++;
				c->data = get_le(s->elem, s->elemn);
				goto out;
			}
			c->op = HONE_CHIP_OP_EVENT;
			if (s->op == HONE_LINK_OP_EV16) {
				uint16_t v = (uint16_t)get_le(s->elem, 2);
				c->addr = v & 0xFFF;
				c->data = v >> 12;
			} else {
				c->addr = (uint16_t)get_le(s->elem, 2);
				c->data = s->elem[2];
			}
			if (c->data)
				goto out;
			break;
		case P_REPEAT:
			if (!s->count) {
				s->st = P_OP;
				break;
			}
			s->count--;
			memset(c, 0, sizeof *c);
			if (s->op == HONE_LINK_OP_READ) {
				c->op = HONE_CHIP_OP_READ;
				c->target = s->target;
				c->mem = s->mem;
				c->addr = s->addr++;
			} else {
				c->op = HONE_CHIP_OP_TICK;
			}
			goto out;
		case P_DBYTE:
			if (!s->count) {
				s->st = P_OP;
				break;
			}
			if (!dev_byte(d, &b))
				return false;
			s->dbyte = b;
			s->k = 0;
			s->st = P_DUNPACK;
			break;
		case P_DUNPACK: {
			if (!s->count) {
				s->st = P_OP;
				break;
			}
			if (s->k == 8u / s->gbits) {
				s->st = P_DBYTE;
				break;
			}
			uint8_t g = (uint8_t)((s->dbyte >> (s->k * s->gbits)) &
			                      ((1u << s->gbits) - 1));
			uint16_t a = s->addr++;
			s->k++;
			s->count--;
			if (g) {
				memset(c, 0, sizeof *c);
				c->op = HONE_CHIP_OP_EVENT;
				c->addr = a;
				c->data = g;
				goto out;
			}
			break;
		}
		default:
			s->st = P_OP;
			break;
		}
	}
out:
	d->st.cmds_out++;
	return true;
}

/* Close the open RDATA frame into the retransmit ring. */
static void dev_close(hone_linkdev *d)
{
	if (!d->is_open)
		return;
	uint8_t raw[256 + 4];
	raw[0] = HONE_LINK_FT_RDATA;
	raw[1] = (uint8_t)(d->tx_seq - 1);
	memcpy(raw + 2, d->open, d->open_len);
	devframe *f = &d->frames[(d->f_head + d->f_n) % d->p.tx_window];
	f->seq = raw[1];
	f->sent = false;
	f->len = hone_link_rframe_encode(raw, 2 + d->open_len, f->enc);
	d->f_n++;
	d->is_open = false;
	d->open_len = 0;
}

bool hone_linkdev_put_rsp(hone_linkdev *d, uint8_t kind, uint64_t data)
{
	int nb = hone_link_rsp_bytes(kind);
	if (nb < 0)
		return false;
	/* a frame takes responses while its body has room for any (9 bytes) */
	if (d->is_open && d->open_len + 9 > d->p.tx_payload)
		dev_close(d);
	if (!d->is_open) {
		if (d->f_n >= d->p.tx_window)
			return false; /* every slot holds an unacked frame */
		d->is_open = true;
		d->open_len = 0;
		d->tx_seq++;
	}
	d->open[d->open_len] = kind;
	put_le(d->open + d->open_len + 1, data, (unsigned)nb);
	d->open_len += 1 + (size_t)nb;
	d->st.rsp_in++;
	return true;
}

static bool dev_emit_small(hone_linkdev *d, uint8_t type, uint8_t b1, uint8_t *buf,
                           size_t cap, size_t *out)
{
	uint8_t raw[4];
	uint32_t cr = dev_credit(d);
	raw[0] = type;
	raw[1] = b1;
	raw[2] = (uint8_t)cr;
	raw[3] = (uint8_t)(cr >> 8);
	if (*out + 16 > cap)
		return false;
	*out += hone_link_rframe_encode(raw, 4, buf + *out);
	return true;
}

size_t hone_linkdev_pull_tx(hone_linkdev *d, uint64_t now, uint8_t *buf, size_t cap)
{
	size_t out = 0;
	if (d->reset_ack_pending) {
		if (cap < 32)
			return 0;
		buf[out++] = 0; /* ends a frame cut short by the reset */
		if (!dev_emit_small(d, HONE_LINK_FT_RESET_ACK, d->nonce, buf, cap, &out))
			return out;
		d->reset_ack_pending = false;
	}
	if (d->f_n && now >= d->rto_deadline) {
		d->st.timeouts++;
		d->send_i = 0;
		d->rto_deadline = now + d->p.rto_us;
	}
	/* a STATUS whenever the parser has taken another 256 bytes (a quarter
	 * of a smaller FIFO): the RTL watches one bit of its read pointer */
	uint32_t step = d->p.rx_fifo / 4 < 256 ? d->p.rx_fifo / 4 : 256;
	if (d->head / step != d->head_step) {
		d->head_step = d->head / step;
		d->status_pending = true;
	}
	if (d->status_pending || d->nak_pending) {
		uint8_t t = HONE_LINK_FT_STATUS | (d->nak_pending ? HONE_LINK_F_NAK : 0) |
		            (d->proto_err ? HONE_LINK_F_PROTO_ERR : 0);
		if (!dev_emit_small(d, t, d->expected, buf, cap, &out))
			return out;
		d->st.status_out++;
		if (d->nak_pending)
			d->st.naks_out++;
		d->status_pending = d->nak_pending = false;
	}
	/* the UART is idle (we are asked for bytes): close the open frame */
	if (d->send_i == d->f_n)
		dev_close(d);
	while (d->send_i < d->f_n) {
		devframe *f = &d->frames[(d->f_head + d->send_i) % d->p.tx_window];
		if (out + f->len > cap)
			break;
		memcpy(buf + out, f->enc, f->len);
		out += f->len;
		if (d->send_i == 0)
			d->rto_deadline = now + d->p.rto_us;
		if (f->sent)
			d->st.frames_retx++;
		f->sent = true;
		d->st.frames_out++;
		d->send_i++;
	}
	return out;
}
