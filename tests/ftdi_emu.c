/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulated FT2232H (ftdi_emu.h). An in-process usbdevfs: umockdev
 * forwards every ioctl the host's libusb makes on /dev/bus/usb/BBB/DDD to
 * handle_ioctl() below, in umockdev's thread. URBs are kept in queues per
 * endpoint and moved by pump(), which runs on every ioctl (libusb polls
 * with REAPURBNDELAY), so time-based behaviour (the latency timer) is
 * evaluated whenever the host looks.
 */
#include "ftdi_emu.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>

#include <umockdev.h>

#define MAX_BOARDS 8
#define CHIP_FIFO 4096         /* the FT2232H's per-channel buffer */

/* One URB the host submitted, held until it is reaped. */
typedef struct urb {
	UMockdevIoctlData *data;   /* struct usbdevfs_urb, resolved; buffer too */
	size_t done;               /* bytes moved so far */
	int status;
	struct urb *next;
} urb;

typedef struct queue {
	urb *head, *tail;
} queue;

typedef struct chan {
	queue in_q, out_q;         /* bulk IN / OUT URBs waiting on the chip */
	uint8_t fifo[CHIP_FIFO];   /* UART -> host bytes in the chip */
	size_t fifo_head, fifo_len;
	gint64 last_packet_us;     /* latency timer start */
	uint8_t latency_ms;
	bool halt_in, halt_out;
} chan;

typedef struct board {
	ftdi_emu *e;
	int id;
	ftdi_emu_board_opts o;
	char serial[64], product[64];
	char devnode[64];
	char syspath[128];
	uint8_t desc[128];
	size_t desc_len;
	int max_packet;
	chan ch[2];                /* A, B */
	queue ctrl_q;              /* control URBs, while hung */
	queue done_q;              /* completed, waiting to be reaped */
	bool gone, hung;
	uint8_t modem[2];
	/* loopback far end */
	uint8_t *lb;
	size_t lb_cap, lb_head, lb_len;
	ftdi_emu_state st;
} board;

struct ftdi_emu {
	UMockdevTestbed *tb;
	UMockdevIoctlBase *handler;
	pthread_mutex_t lock;
	board *b[MAX_BOARDS];
	int n;
};

static const uint8_t ep_addr[2][2] = {{0x81, 0x02}, {0x83, 0x04}}; /* [chan][in,out] */

/* ------------------------------------------------------------- queues */

static void q_push(queue *q, urb *u)
{
	u->next = NULL;
	if (q->tail)
		q->tail->next = u;
	else
		q->head = u;
	q->tail = u;
}

static urb *q_pop(queue *q)
{
	urb *u = q->head;
	if (u) {
		q->head = u->next;
		if (!q->head)
			q->tail = NULL;
	}
	return u;
}

static urb *q_take(queue *q, gulong addr)
{
	urb *prev = NULL;
	for (urb *u = q->head; u; prev = u, u = u->next) {
		if (u->data->client_addr != addr)
			continue;
		if (prev)
			prev->next = u->next;
		else
			q->head = u->next;
		if (q->tail == u)
			q->tail = prev;
		return u;
	}
	return NULL;
}

static struct usbdevfs_urb *U(urb *u) { return (struct usbdevfs_urb *)u->data->data; }

static void complete(board *b, urb *u, int status)
{
	struct usbdevfs_urb *x = U(u);
	x->status = status;
	x->actual_length = (int)u->done;
	q_push(&b->done_q, u);
}

static void fail_queue(board *b, queue *q, int status)
{
	urb *u;
	while ((u = q_pop(q)))
		complete(b, u, status);
}

static void free_queue(queue *q)
{
	urb *u;
	while ((u = q_pop(q))) {
		umockdev_ioctl_data_unref(u->data);
		free(u);
	}
}

/* ---------------------------------------------------------- far end */

static size_t lb_rx(board *b, const uint8_t *p, size_t n)
{
	size_t room = b->lb_cap - b->lb_len;
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		b->lb[(b->lb_head + b->lb_len + i) % b->lb_cap] = p[i];
	b->lb_len += n;
	return n;
}

static size_t lb_tx(board *b, uint8_t *p, size_t cap)
{
	size_t n = cap < b->lb_len ? cap : b->lb_len;
	for (size_t i = 0; i < n; i++)
		p[i] = b->lb[(b->lb_head + i) % b->lb_cap];
	b->lb_head = (b->lb_head + n) % b->lb_cap;
	b->lb_len -= n;
	return n;
}

static size_t far_rx(board *b, int c, const uint8_t *p, size_t n)
{
	if (c == 0)
		return n; /* channel A: nothing connected, bytes fall off */
	if (b->o.far.rx)
		return b->o.far.rx(b->o.far.user, p, n);
	return lb_rx(b, p, n);
}

static size_t far_tx(board *b, int c, uint8_t *p, size_t cap)
{
	if (c == 0)
		return 0;
	if (b->o.far.tx)
		return b->o.far.tx(b->o.far.user, p, cap);
	return lb_tx(b, p, cap);
}

/* ------------------------------------------------------------- pump */

static void fifo_fill(board *b, int c)
{
	chan *ch = &b->ch[c];
	while (ch->fifo_len < CHIP_FIFO) {
		size_t tail = (ch->fifo_head + ch->fifo_len) % CHIP_FIFO;
		size_t room = CHIP_FIFO - ch->fifo_len;
		if (room > CHIP_FIFO - tail)
			room = CHIP_FIFO - tail;
		size_t got = far_tx(b, c, ch->fifo + tail, room);
		ch->fifo_len += got;
		if (got < room)
			break;
	}
}

/* Write one IN packet (two status bytes + up to n payload) into u. */
static void put_packet(board *b, chan *ch, urb *u, size_t n, gint64 now)
{
	uint8_t *dst = (uint8_t *)U(u)->buffer + u->done;
	dst[0] = b->modem[0];
	dst[1] = b->modem[1];
	for (size_t i = 0; i < n; i++)
		dst[2 + i] = ch->fifo[(ch->fifo_head + i) % CHIP_FIFO];
	ch->fifo_head = (ch->fifo_head + n) % CHIP_FIFO;
	ch->fifo_len -= n;
	u->done += n + 2;
	ch->last_packet_us = now;
	if (ch == &b->ch[1]) {
		b->st.in_bytes += n;
		b->st.in_packets++;
		if (n + 2 < (size_t)b->max_packet)
			b->st.short_packets++;
		if (n == 0)
			b->st.status_only++;
	}
}

static void pump_chan(board *b, int c, gint64 now)
{
	chan *ch = &b->ch[c];
	urb *u;
	/* Host -> UART: the far end takes what it can, instantly. */
	while ((u = ch->out_q.head)) {
		struct usbdevfs_urb *x = U(u);
		size_t left = (size_t)x->buffer_length - u->done;
		size_t took = left ? far_rx(b, c, (uint8_t *)x->buffer + u->done, left) : 0;
		u->done += took;
		if (c == 1)
			b->st.out_bytes += took;
		if (u->done < (size_t)x->buffer_length)
			break; /* NAK: the far end is full */
		complete(b, q_pop(&ch->out_q), 0);
	}
	/* UART -> host: full packets at once, a short one when the latency
	 * timer expires; a short packet ends the URB, as on the wire. */
	size_t payload = (size_t)b->max_packet - 2;
	gint64 latency_us = (gint64)(ch->latency_ms ? ch->latency_ms : 16) * 1000;
	while ((u = ch->in_q.head)) {
		fifo_fill(b, c);
		size_t room = (size_t)U(u)->buffer_length - u->done;
		if (room < 2) {
			complete(b, q_pop(&ch->in_q), 0);
			continue;
		}
		if (ch->fifo_len >= payload) {
			if (room < (size_t)b->max_packet) {
				/* The chip sends 512 bytes, the URB has less room:
				 * babble, as a host controller reports it. */
				complete(b, q_pop(&ch->in_q), -EOVERFLOW);
				continue;
			}
			put_packet(b, ch, u, payload, now);
			if (u->done == (size_t)U(u)->buffer_length)
				complete(b, q_pop(&ch->in_q), 0);
			continue;
		}
		if (now - ch->last_packet_us < latency_us)
			break; /* NAK until the latency timer expires */
		size_t n = ch->fifo_len < room - 2 ? ch->fifo_len : room - 2;
		put_packet(b, ch, u, n, now);
		complete(b, q_pop(&ch->in_q), 0);
	}
}

static void pump(board *b)
{
	if (b->gone || b->hung)
		return;
	gint64 now = g_get_monotonic_time();
	pump_chan(b, 0, now);
	pump_chan(b, 1, now);
}

/* ---------------------------------------------------- control requests */

static size_t put_string(uint8_t *dst, size_t cap, const char *s)
{
	size_t n = 2;
	for (; *s && n + 2 <= cap && n + 2 <= 254; s++) {
		dst[n++] = (uint8_t)*s;
		dst[n++] = 0;
	}
	dst[0] = (uint8_t)n;
	dst[1] = 3;
	return n;
}

static void log_ctrl(board *b, const uint8_t *setup)
{
	if (b->st.n_ctrl < FTDI_EMU_CTRL_LOG) {
		ftdi_emu_ctrl *c = &b->st.ctrl[b->st.n_ctrl];
		c->type = setup[0];
		c->request = setup[1];
		c->value = (uint16_t)(setup[2] | setup[3] << 8);
		c->index = (uint16_t)(setup[4] | setup[5] << 8);
		c->length = (uint16_t)(setup[6] | setup[7] << 8);
	}
	b->st.n_ctrl++;
}

/* Answer one control URB: returns 0 and the IN data length, or -EPIPE. */
static int control(board *b, uint8_t *buf, size_t len, size_t *actual)
{
	*actual = 0;
	if (len < 8)
		return -EINVAL;
	uint8_t type = buf[0], req = buf[1];
	uint16_t value = (uint16_t)(buf[2] | buf[3] << 8);
	uint16_t index = (uint16_t)(buf[4] | buf[5] << 8);
	uint16_t wlen = (uint16_t)(buf[6] | buf[7] << 8);
	uint8_t *data = buf + 8;
	size_t cap = len - 8 < wlen ? len - 8 : wlen;
	log_ctrl(b, buf);

	if (type == 0x80 && req == 6) { /* GET_DESCRIPTOR */
		uint8_t tmp[256];
		size_t n = 0;
		uint8_t dtype = (uint8_t)(value >> 8), di = (uint8_t)value;
		if (dtype == 1) {
			memcpy(tmp, b->desc, 18);
			n = 18;
		} else if (dtype == 2) {
			n = b->desc_len - 18;
			memcpy(tmp, b->desc + 18, n);
		} else if (dtype == 3 && di == 0) {
			tmp[0] = 4; tmp[1] = 3; tmp[2] = 0x09; tmp[3] = 0x04;
			n = 4;
		} else if (dtype == 3 && di >= 1 && di <= 3) {
			const char *s = di == 1 ? "FTDI" : di == 2 ? b->product : b->serial;
			n = put_string(tmp, sizeof tmp, s);
		} else {
			return -EPIPE;
		}
		*actual = n < cap ? n : cap;
		memcpy(data, tmp, *actual);
		return 0;
	}
	if (type == 0x80 && req == 0) { /* GET_STATUS */
		if (cap >= 2) {
			data[0] = data[1] = 0;
			*actual = 2;
		}
		return 0;
	}
	if ((type & 0x60) != 0x40)
		return -EPIPE; /* other standard requests: nothing we need */

	/* FTDI vendor requests: wIndex low byte is the port (1 = A, 2 = B;
	 * 0 also means A). */
	unsigned port = index & 0xFF;
	if (port > 2)
		return -EPIPE;
	int c = port == 2 ? 1 : 0;
	chan *ch = &b->ch[c];
	bool is_b = c == 1;
	switch (req) {
	case 0x00: /* SIO_RESET */
		if (value == 0) {
			ch->fifo_len = 0;
			if (is_b) b->st.resets++;
		} else if (value == 1) {
			if (is_b) b->st.purges_h2u++;
		} else if (value == 2) {
			ch->fifo_len = 0;
			if (is_b) b->st.purges_u2h++;
		} else {
			return -EPIPE;
		}
		return 0;
	case 0x01:
		if (is_b) b->st.modem_ctrl = value;
		return 0;
	case 0x02:
		if (is_b) {
			b->st.flow_value = value;
			b->st.flow_index = index;
		}
		return 0;
	case 0x03: {
		/* Decode as the chip does: 14-bit integer divisor, 3-bit
		 * fraction (value 15:14, index 8), clock select (index 9). */
		static const uint8_t eighths[8] = {0, 4, 2, 1, 3, 5, 6, 7};
		double base = (index & 0x0200) ? 12e6 : 3e6;
		unsigned code = (unsigned)(value >> 14) | ((index & 0x0100) ? 4u : 0u);
		unsigned ip = value & 0x3FFF;
		double baud = ip == 0 && code == 0 ? base
		              : ip == 1 && code == 0 ? base / 1.5
		              : base / (ip + eighths[code] / 8.0);
		if (is_b) {
			b->st.baud_value = value;
			b->st.baud_index = index;
			b->st.baud = baud;
		}
		return 0;
	}
	case 0x04:
		if (is_b) b->st.data = value;
		return 0;
	case 0x05: /* POLL_MODEM_STATUS */
		if (cap >= 2) {
			data[0] = b->modem[0];
			data[1] = b->modem[1];
			*actual = 2;
		}
		return 0;
	case 0x06:
	case 0x07:
		return 0;
	case 0x09: /* SET_LATENCY_TIMER */
		if ((value & 0xFF) == 0)
			return -EPIPE;
		ch->latency_ms = (uint8_t)value;
		if (is_b) b->st.latency_ms = (uint8_t)value;
		return 0;
	case 0x0A: /* GET_LATENCY_TIMER */
		if (cap >= 1) {
			data[0] = ch->latency_ms;
			*actual = 1;
		}
		return 0;
	case 0x0B:
		if (is_b) b->st.bitmode = value;
		return 0;
	case 0x0C: /* READ_PINS */
		if (cap >= 1) {
			data[0] = 0xFF;
			*actual = 1;
		}
		return 0;
	case 0x90: /* READ_EEPROM: blank */
		if (cap >= 2) {
			data[0] = data[1] = 0xFF;
			*actual = 2;
		}
		return 0;
	default:
		return -EPIPE;
	}
}

/* ------------------------------------------------------------ ioctls */

static void done(UMockdevIoctlClient *c, long res, int err)
{
	umockdev_ioctl_client_complete(c, res, err);
}

static bool submit(board *b, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	if (b->gone) {
		done(client, -1, ENODEV);
		return true;
	}
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	if (!d)
		return false;
	struct usbdevfs_urb *x = (struct usbdevfs_urb *)d->data;
	if (x->buffer_length > 0) {
		UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(
			d, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
			(gsize)x->buffer_length, NULL);
		if (!buf) {
			umockdev_ioctl_data_unref(d);
			return false;
		}
		umockdev_ioctl_data_unref(buf); /* d keeps it as a child */
	}
	urb *u = calloc(1, sizeof *u);
	u->data = d; /* our reference, until reaped */
	b->st.urbs_submitted++;
	if (x->type == USBDEVFS_URB_TYPE_CONTROL && x->endpoint == 0) {
		if (b->hung) {
			q_push(&b->ctrl_q, u);
		} else {
			size_t actual;
			int st = control(b, x->buffer, (size_t)x->buffer_length, &actual);
			u->done = actual;
			complete(b, u, st);
		}
		done(client, 0, 0);
		return true;
	}
	int c = -1, dir = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (x->endpoint == ep_addr[i][j]) {
				c = i;
				dir = j;
			}
	if (x->type != USBDEVFS_URB_TYPE_BULK || c < 0) {
		umockdev_ioctl_data_unref(d);
		free(u);
		done(client, -1, ENOENT); /* no such endpoint */
		return true;
	}
	chan *ch = &b->ch[c];
	if (dir == 0 ? ch->halt_in : ch->halt_out)
		complete(b, u, -EPIPE);
	else
		q_push(dir == 0 ? &ch->in_q : &ch->out_q, u);
	done(client, 0, 0);
	return true;
}

static bool reap(board *b, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	pump(b);
	urb *u = q_pop(&b->done_q);
	if (!u) {
		done(client, -1, b->gone ? ENODEV : EAGAIN);
		return true;
	}
	UMockdevIoctlData *slot = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	if (!slot) {
		q_push(&b->done_q, u);
		return false;
	}
	if (U(u)->status == -ENOENT)
		b->st.urbs_discarded++;
	b->st.urbs_reaped++;
	umockdev_ioctl_data_set_ptr(slot, 0, u->data);
	umockdev_ioctl_data_unref(slot);
	umockdev_ioctl_data_unref(u->data);
	free(u);
	done(client, 0, 0);
	return true;
}

static bool discard(board *b, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	gulong addr = (gulong)*(void **)arg->data;
	urb *u = NULL;
	for (int c = 0; c < 2 && !u; c++) {
		u = q_take(&b->ch[c].in_q, addr);
		if (!u)
			u = q_take(&b->ch[c].out_q, addr);
	}
	if (!u)
		u = q_take(&b->ctrl_q, addr);
	if (!u) {
		done(client, -1, EINVAL); /* already completed */
		return true;
	}
	complete(b, u, -ENOENT);
	done(client, 0, 0);
	return true;
}

static bool uint_arg(UMockdevIoctlData *arg, unsigned *out)
{
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned), NULL);
	if (!d)
		return false;
	*out = *(unsigned *)d->data;
	umockdev_ioctl_data_unref(d);
	return true;
}

static bool handle(board *b, UMockdevIoctlClient *client)
{
	unsigned long req = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	unsigned v;

	if (req == USBDEVFS_SUBMITURB)
		return submit(b, client, arg);
	if (req == USBDEVFS_REAPURBNDELAY || req == USBDEVFS_REAPURB)
		return reap(b, client, arg);
	if (req == USBDEVFS_DISCARDURB)
		return discard(b, client, arg);
	if (b->gone) {
		done(client, -1, ENODEV);
		return true;
	}
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
		if (!d)
			return false;
		*(guint32 *)d->data = USBDEVFS_CAP_BULK_SCATTER_GATHER |
		                      USBDEVFS_CAP_BULK_CONTINUATION |
		                      USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
		                      USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
		                      USBDEVFS_CAP_ZERO_PACKET;
		umockdev_ioctl_data_unref(d);
		done(client, 0, 0);
		return true;
	}
	case USBDEVFS_CLAIMINTERFACE:
		if (!uint_arg(arg, &v))
			return false;
		if (v > 1) {
			done(client, -1, ENOENT);
		} else if (b->st.driver_bound[v] || (v == 1 && b->o.claimed_elsewhere)) {
			done(client, -1, EBUSY);
		} else {
			b->st.claimed[v] = true;
			done(client, 0, 0);
		}
		return true;
	case USBDEVFS_RELEASEINTERFACE:
		if (!uint_arg(arg, &v))
			return false;
		if (v > 1) {
			done(client, -1, EINVAL);
		} else {
			b->st.claimed[v] = false;
			done(client, 0, 0);
		}
		return true;
	case USBDEVFS_CLEAR_HALT:
		if (!uint_arg(arg, &v))
			return false;
		for (int c = 0; c < 2; c++) {
			if (v == ep_addr[c][0])
				b->ch[c].halt_in = false;
			if (v == ep_addr[c][1])
				b->ch[c].halt_out = false;
		}
		done(client, 0, 0);
		return true;
	case USBDEVFS_RESETEP:
	case USBDEVFS_RESET:
	case USBDEVFS_SETCONFIGURATION:
		done(client, 0, 0);
		return true;
	case USBDEVFS_GETDRIVER: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(
			arg, 0, sizeof(struct usbdevfs_getdriver), NULL);
		if (!d)
			return false;
		struct usbdevfs_getdriver *g = (struct usbdevfs_getdriver *)d->data;
		if (g->interface <= 1 && b->st.driver_bound[g->interface]) {
			snprintf(g->driver, sizeof g->driver, "ftdi_sio");
			done(client, 0, 0);
		} else if (g->interface <= 1 && b->st.claimed[g->interface]) {
			snprintf(g->driver, sizeof g->driver, "usbfs");
			done(client, 0, 0);
		} else {
			done(client, -1, ENODATA);
		}
		umockdev_ioctl_data_unref(d);
		return true;
	}
	case USBDEVFS_IOCTL: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(
			arg, 0, sizeof(struct usbdevfs_ioctl), NULL);
		if (!d)
			return false;
		struct usbdevfs_ioctl *io = (struct usbdevfs_ioctl *)d->data;
		int ifno = io->ifno;
		if (ifno < 0 || ifno > 1) {
			done(client, -1, EINVAL);
		} else if (io->ioctl_code == (int)USBDEVFS_DISCONNECT) {
			if (b->st.driver_bound[ifno]) {
				b->st.driver_bound[ifno] = false;
				done(client, 0, 0);
			} else {
				done(client, -1, ENODATA);
			}
		} else if (io->ioctl_code == (int)USBDEVFS_CONNECT) {
			if (b->st.claimed[ifno]) {
				done(client, -1, EBUSY);
			} else {
				b->st.driver_bound[ifno] = true;
				done(client, 0, 0);
			}
		} else {
			done(client, -1, ENOTTY);
		}
		umockdev_ioctl_data_unref(d);
		return true;
	}
	default:
		b->st.unknown_ioctls++;
		fprintf(stderr, "ftdi_emu: unhandled ioctl 0x%lx on %s\n", req, b->devnode);
		done(client, -1, ENOTTY);
		return true;
	}
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
                         gpointer user)
{
	(void)handler;
	ftdi_emu *e = user;
	const char *node = umockdev_ioctl_client_get_devnode(client);
	gboolean handled = FALSE;
	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->b[i]->devnode, node)) {
			handled = handle(e->b[i], client);
			pump(e->b[i]);
			break;
		}
	pthread_mutex_unlock(&e->lock);
	return handled;
}

/* ---------------------------------------------------------- the testbed */

bool ftdi_emu_preloaded(void)
{
	/* umockdev_in_mock_environment() answers for umockdev-run only. */
	void *h = dlopen("libumockdev-preload.so.0", RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return false;
	dlclose(h);
	return true;
}

extern void __asan_init(void) __attribute__((weak));

int ftdi_emu_reexec(char **argv)
{
	if (getenv("HONE_FTDI_EMU_REEXEC")) {
		printf("%s: libumockdev-preload.so.0 did not load: skipped\n", argv[0]);
		return 77;
	}
	/* The ASan runtime must come first in the library list. */
	char pre[2048] = "";
	Dl_info info;
	if (__asan_init && dladdr((void *)__asan_init, &info) && info.dli_fname &&
	    strstr(info.dli_fname, "asan"))
		snprintf(pre, sizeof pre, "%s:", info.dli_fname);
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(pre);
	snprintf(pre + len, sizeof pre - len, "libumockdev-preload.so.0%s%s",
	         old && *old ? ":" : "", old && *old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	setenv("HONE_FTDI_EMU_REEXEC", "1", 1);
	fflush(stdout);
	execv("/proc/self/exe", argv);
	perror("exec /proc/self/exe");
	return 77;
}

ftdi_emu *ftdi_emu_new(void)
{
	if (!ftdi_emu_preloaded())
		return NULL;
	ftdi_emu *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->tb = umockdev_testbed_new();
	e->handler = umockdev_ioctl_base_new();
	g_signal_connect(e->handler, "handle-ioctl", G_CALLBACK(on_ioctl), e);
	return e;
}

static size_t put_bytes(uint8_t *d, size_t at, const uint8_t *p, size_t n)
{
	memcpy(d + at, p, n);
	return at + n;
}

static void build_descriptors(board *b)
{
	uint16_t mp = (uint16_t)b->max_packet;
	uint16_t bcd = b->o.bcd_device ? b->o.bcd_device : 0x0700;
	const uint8_t dev[18] = {
		18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x03, 0x04, 0x10, 0x60,
		(uint8_t)bcd, (uint8_t)(bcd >> 8), 1, 2, 3, 1,
	};
	const uint8_t cfg[9] = {9, 2, 55, 0, 2, 1, 0, 0x80, 50};
	size_t n = put_bytes(b->desc, 0, dev, sizeof dev);
	n = put_bytes(b->desc, n, cfg, sizeof cfg);
	for (int c = 0; c < 2; c++) {
		const uint8_t intf[9] = {9, 4, (uint8_t)c, 0, 2, 0xFF, 0xFF, 0xFF, 2};
		const uint8_t ein[7] = {7, 5, ep_addr[c][0], 2, (uint8_t)mp, (uint8_t)(mp >> 8), 0};
		const uint8_t eout[7] = {7, 5, ep_addr[c][1], 2, (uint8_t)mp, (uint8_t)(mp >> 8), 0};
		n = put_bytes(b->desc, n, intf, sizeof intf);
		n = put_bytes(b->desc, n, ein, sizeof ein);
		n = put_bytes(b->desc, n, eout, sizeof eout);
	}
	b->desc_len = n;
}

int ftdi_emu_add(ftdi_emu *e, const ftdi_emu_board_opts *o)
{
	if (!e || e->n >= MAX_BOARDS)
		return -1;
	board *b = calloc(1, sizeof *b);
	if (!b)
		return -1;
	b->e = e;
	b->id = e->n;
	if (o)
		b->o = *o;
	if (!b->o.bus)
		b->o.bus = 1;
	if (!b->o.addr)
		b->o.addr = 5 + (unsigned)e->n;
	snprintf(b->serial, sizeof b->serial, "%s", b->o.serial ? b->o.serial : "");
	if (!b->o.serial)
		snprintf(b->serial, sizeof b->serial, "IBEMU%02d", e->n + 1);
	snprintf(b->product, sizeof b->product, "%s",
	         b->o.product ? b->o.product : "iCEBreaker V1.0e (emulated)");
	b->o.serial = b->o.product = NULL; /* not owned; copied above */
	b->max_packet = b->o.full_speed ? 64 : 512;
	b->modem[0] = 0x31; /* CTS, DSR; bit 0 reads 1 */
	b->modem[1] = 0x60; /* transmitter holding register and shifter empty */
	b->st.driver_bound[0] = b->st.driver_bound[1] = true; /* ftdi_sio */
	for (int c = 0; c < 2; c++)
		b->ch[c].latency_ms = 16; /* the chip's power-on default */
	b->lb_cap = b->o.loopback_cap ? b->o.loopback_cap : 64 * 1024;
	b->lb = malloc(b->lb_cap);
	build_descriptors(b);
	snprintf(b->devnode, sizeof b->devnode, "/dev/bus/usb/%03u/%03u", b->o.bus, b->o.addr);

	char hex[2 * sizeof b->desc + 1];
	for (size_t i = 0; i < b->desc_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", b->desc[i]);
	char rec[2048];
	snprintf(rec, sizeof rec,
		"P: /devices/usb%u/%u-%d\n"
		"N: bus/usb/%03u/%03u\n"
		"E: SUBSYSTEM=usb\nE: DRIVER=usb\nE: DEVTYPE=usb_device\n"
		"E: BUSNUM=%03u\nE: DEVNUM=%03u\nE: DEVNAME=/dev/bus/usb/%03u/%03u\n"
		"E: PRODUCT=403/6010/%x\n"
		"A: busnum=%u\\n\nA: devnum=%u\\n\nA: speed=%s\\n\n"
		"A: bConfigurationValue=1\\n\nA: idVendor=0403\\n\nA: idProduct=6010\\n\n"
		"A: manufacturer=FTDI\\n\nA: product=%s\\n\nA: serial=%s\\n\n"
		"H: descriptors=%s\n",
		b->o.bus, b->o.bus, e->n + 2, b->o.bus, b->o.addr, b->o.bus, b->o.addr,
		b->o.bus, b->o.addr, b->o.bcd_device ? b->o.bcd_device : 0x0700,
		b->o.bus, b->o.addr, b->o.full_speed ? "12" : "480", b->product,
		b->serial, hex);
	snprintf(b->syspath, sizeof b->syspath, "/sys/devices/usb%u/%u-%d", b->o.bus,
	         b->o.bus, e->n + 2);

	pthread_mutex_lock(&e->lock);
	e->b[e->n++] = b;
	pthread_mutex_unlock(&e->lock);
	/* Attach the ioctl handler before the device appears, as libusb's
	 * own tests do, so an open right after the add event works. */
	if (!umockdev_testbed_attach_ioctl(e->tb, b->devnode, e->handler, NULL))
		return -1;
	GError *gerr = NULL;
	if (!umockdev_testbed_add_from_string(e->tb, rec, &gerr)) {
		fprintf(stderr, "ftdi_emu: %s\n", gerr ? gerr->message : "add failed");
		g_clear_error(&gerr);
		return -1;
	}
	if (b->o.no_access) {
		char *root = umockdev_testbed_get_root_dir(e->tb);
		char path[512];
		snprintf(path, sizeof path, "%s%s", root, b->devnode);
		chmod(path, 0);
		g_free(root);
	}
	return b->id;
}

static board *get(ftdi_emu *e, int i)
{
	return e && i >= 0 && i < e->n ? e->b[i] : NULL;
}

void ftdi_emu_unplug(ftdi_emu *e, int i)
{
	board *b = get(e, i);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	bool was_gone = b->gone;
	b->gone = true;
	for (int c = 0; c < 2; c++) {
		fail_queue(b, &b->ch[c].in_q, -ESHUTDOWN);
		fail_queue(b, &b->ch[c].out_q, -ESHUTDOWN);
	}
	fail_queue(b, &b->ctrl_q, -ESHUTDOWN);
	pthread_mutex_unlock(&e->lock);
	if (!was_gone) {
		umockdev_testbed_uevent(e->tb, b->syspath, "remove");
		umockdev_testbed_remove_device(e->tb, b->syspath);
	}
}

void ftdi_emu_stall(ftdi_emu *e, int i, uint8_t ep)
{
	board *b = get(e, i);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	for (int c = 0; c < 2; c++) {
		if (ep == ep_addr[c][0]) {
			b->ch[c].halt_in = true;
			fail_queue(b, &b->ch[c].in_q, -EPIPE);
		}
		if (ep == ep_addr[c][1]) {
			b->ch[c].halt_out = true;
			fail_queue(b, &b->ch[c].out_q, -EPIPE);
		}
	}
	pthread_mutex_unlock(&e->lock);
}

void ftdi_emu_hang(ftdi_emu *e, int i, bool on)
{
	board *b = get(e, i);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	b->hung = on;
	if (!on) {
		urb *u;
		while ((u = q_pop(&b->ctrl_q))) {
			size_t actual;
			int st = control(b, U(u)->buffer, (size_t)U(u)->buffer_length, &actual);
			u->done = actual;
			complete(b, u, st);
		}
	}
	pthread_mutex_unlock(&e->lock);
}

void ftdi_emu_set_modem_status(ftdi_emu *e, int i, uint8_t b0, uint8_t b1)
{
	board *b = get(e, i);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	b->modem[0] = b0;
	b->modem[1] = b1;
	pthread_mutex_unlock(&e->lock);
}

void ftdi_emu_inject(ftdi_emu *e, int i, const void *p, size_t n)
{
	board *b = get(e, i);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	lb_rx(b, p, n);
	pthread_mutex_unlock(&e->lock);
}

void ftdi_emu_get_state(ftdi_emu *e, int i, ftdi_emu_state *s)
{
	board *b = get(e, i);
	memset(s, 0, sizeof *s);
	if (!b)
		return;
	pthread_mutex_lock(&e->lock);
	*s = b->st;
	pthread_mutex_unlock(&e->lock);
}

void ftdi_emu_free(ftdi_emu *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->n; i++)
		umockdev_testbed_detach_ioctl(e->tb, e->b[i]->devnode, NULL);
	g_clear_object(&e->handler);
	g_clear_object(&e->tb);
	for (int i = 0; i < e->n; i++) {
		board *b = e->b[i];
		for (int c = 0; c < 2; c++) {
			free_queue(&b->ch[c].in_q);
			free_queue(&b->ch[c].out_q);
		}
		free_queue(&b->ctrl_q);
		free_queue(&b->done_q);
		free(b->lb);
		free(b);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}
