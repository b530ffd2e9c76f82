/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link.h - the host link of docs/link-protocol.md. Internal to libhone.
 *
 * Two byte-in/byte-out objects with no I/O inside:
 *
 *   hone_link     the host side: a command byte stream cut into DATA
 *                 frames, go-back-N retransmission, credit flow control,
 *                 RDATA frames decoded into responses.
 *   hone_linkdev  a C model of the chip side (rtl/hone_link.v): RX FIFO
 *                 with credits, the command parser, the RDATA builder. The
 *                 tests run hone_link against it; an emulated device can
 *                 put the reference model behind it.
 *
 * Time is passed in by the caller (microseconds, any origin), so a real
 * transport, a simulator and a test with a virtual clock drive the same
 * code. Transport loop, host side:
 *
 *   n = hone_link_pull_tx(l, now, buf, sizeof buf);  -> write n bytes
 *   hone_link_push_rx(l, now, in, n_in);             <- bytes read
 *   while (hone_link_get_rsp(l, &r)) ...
 */
#ifndef HONE_LINK_H
#define HONE_LINK_H

#include "hone_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The link protocol's version, word 1 [63:56] of the chip's CAPS answer
 * (rtl/hone_chip.v PROTOCOL_VERSION): 1 was CRC-16 with COBS both ways, 2
 * is CRC-32 with reversed COBS from the chip (docs/link-protocol.md). The
 * usb backend refuses a board that answers another version. A bitstream of
 * version 1 cannot answer RESET, but it NAKs it: the host link recognises
 * that frame (COBS, CRC-16/CCITT-FALSE) while resetting and fails with
 * HONE_ERR_VERSION instead of timing out. */
#define HONE_LINK_VERSION 2

/* Frame types (byte 0 bits [3:0]) and flags (bits [7:4]). */
enum {
	HONE_LINK_FT_DATA = 0x1,      /* host -> chip */
	HONE_LINK_FT_ACK = 0x2,
	HONE_LINK_FT_RESET = 0x3,
	HONE_LINK_FT_RDATA = 0x8,     /* chip -> host */
	HONE_LINK_FT_STATUS = 0x9,
	HONE_LINK_FT_RESET_ACK = 0xA,
	HONE_LINK_F_NAK = 0x10,
	HONE_LINK_F_POLL = 0x20,
	HONE_LINK_F_PROTO_ERR = 0x40,
};

/* Ops of the command byte stream. */
enum {
	HONE_LINK_OP_NOP = 0x00,
	HONE_LINK_OP_WRITE = 0x01,
	HONE_LINK_OP_READ = 0x02,
	HONE_LINK_OP_EV16 = 0x03,
	HONE_LINK_OP_EV24 = 0x04,
	HONE_LINK_OP_DENSE = 0x05,
	HONE_LINK_OP_TICK = 0x06,
	HONE_LINK_OP_TICKS = 0x07,
	HONE_LINK_OP_TRACE = 0x08,
	HONE_LINK_OP_COUNTERS = 0x09,
	HONE_LINK_OP_CAPS = 0x0A,
};

/* Commands and responses of docs/chip-interface.md. */
enum {
	HONE_CHIP_OP_WRITE = 0, HONE_CHIP_OP_READ = 1, HONE_CHIP_OP_EVENT = 2,
	HONE_CHIP_OP_TICK = 3, HONE_CHIP_OP_TRACE = 4, HONE_CHIP_OP_COUNTERS = 5,
	HONE_CHIP_OP_CAPS = 6,
};
enum {
	HONE_RSP_READ_DATA = 0, HONE_RSP_SPIKE = 1, HONE_RSP_TICK_DONE = 2,
	HONE_RSP_TRACE = 3, HONE_RSP_COUNTER = 4, HONE_RSP_CAPS = 5,
};

typedef struct hone_link_cmd {
	uint8_t op;       /* HONE_CHIP_OP_* */
	uint8_t target;
	uint8_t mem;
	uint16_t addr;
	uint64_t data;
} hone_link_cmd;

typedef struct hone_link_rsp {
	uint8_t kind;     /* HONE_RSP_* */
	uint64_t data;
} hone_link_rsp;

/* Data bytes a response kind carries on the wire (after its tag byte);
 * -1 for an unknown kind. */
int hone_link_rsp_bytes(unsigned kind);

/* ------------------------------------------------------------- codec */

/* CRC-32 (IEEE 802.3, reflected: zlib's crc32()), continued from crc
 * (start with 0). A frame carries it after its raw bytes, little-endian. */
uint32_t hone_link_crc32(uint32_t crc, const uint8_t *p, size_t n);
#define HONE_LINK_CRC_BYTES 4u
/* Worst-case size of COBS(n bytes), and of reversed COBS. */
#define HONE_LINK_COBS_MAX(n) ((n) + (n) / 254 + 1)
/* COBS-encode n bytes into out (HONE_LINK_COBS_MAX(n) bytes); returns the
 * encoded length. No delimiter is added. Host -> chip frames. */
size_t hone_link_cobs_encode(const uint8_t *in, size_t n, uint8_t *out);
/* Decode one COBS frame (without its delimiter). Returns the decoded
 * length, or -1 if malformed or longer than cap. */
long hone_link_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
/* Reversed COBS (chip -> host frames, docs/link-protocol.md section 2):
 * each code byte follows the block it counts, so the chip encodes with no
 * look-ahead. Same sizes and return values as the COBS pair. */
size_t hone_link_rcobs_encode(const uint8_t *in, size_t n, uint8_t *out);
long hone_link_rcobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
/* A whole wire frame: CRC-32 appended, COBS (host -> chip) or reversed
 * COBS (rframe: chip -> host), 0x00. out needs
 * HONE_LINK_COBS_MAX(n + HONE_LINK_CRC_BYTES) + 1 bytes. Returns the wire
 * length. */
size_t hone_link_frame_encode(const uint8_t *raw, size_t n, uint8_t *out);
size_t hone_link_rframe_encode(const uint8_t *raw, size_t n, uint8_t *out);

/* Deframer: accumulates wire bytes, yields raw frames (CRC removed) that
 * passed (reversed) COBS and CRC. */
typedef struct hone_link_deframer {
	uint8_t *buf;          /* encoded bytes of the frame so far */
	size_t len, cap;
	bool overflow;
	bool reversed;         /* reversed COBS: the host's receiver */
	uint64_t bad;          /* frames dropped: CRC, COBS or too long */
	uint64_t v1;           /* of which frames of link protocol 1 (host side) */
} hone_link_deframer;

/* Largest frame body either side accepts. */
#define HONE_LINK_MAX_BODY 4096u

/* ---------------------------------------------------------- host side */

typedef struct hone_link_params {
	uint32_t max_payload;  /* DATA body bytes (default 512) */
	uint32_t window;       /* unacked DATA frames, 1..64 (default 8) */
	uint64_t rto_us;       /* base retransmission timeout (default 20000) */
	uint32_t baud;         /* adds serialisation time to the timeout; 0: none */
	uint32_t max_timeouts; /* in a row before the link is dead (default 50) */
} hone_link_params;

typedef struct hone_link_stats {
	uint64_t payload_out;  /* command bytes, first transmission */
	uint64_t wire_out;     /* every byte written */
	uint64_t payload_in;   /* response bytes accepted */
	uint64_t wire_in;      /* every byte read */
	uint64_t frames_out, frames_retx, acks_out, naks_out, polls_out;
	uint64_t frames_in, dup_in, bad_in, naks_in;
	uint64_t v1_in;        /* bad frames that are good frames of link protocol 1 */
	uint64_t timeouts, gobacks, credit_stalls;
	uint32_t credit_min;   /* lowest credit left after a send (check) */
} hone_link_stats;

typedef struct hone_link hone_link;

/* NULL params: the defaults. Returns NULL on a bad parameter or no memory. */
hone_link *hone_link_new(const hone_link_params *p);
void hone_link_free(hone_link *l);

/* Start a link reset (section 3); commands queued before are dropped.
 * hone_link_up() tells when the chip answered. */
void hone_link_reset(hone_link *l, uint64_t now_us);
bool hone_link_up(const hone_link *l);
/* 0, or HONE_ERR_TIMEOUT (link dead) or HONE_ERR_PROTOCOL (chip flagged
 * PROTO_ERR or sent a malformed response). Sticky until a reset. */
int hone_link_error(const hone_link *l);

/* Command producers: append to the command byte stream. Return 0,
 * HONE_ERR_INVALID (a field does not fit) or HONE_ERR_NOMEM. */
int hone_link_put_write(hone_link *l, uint8_t target, uint8_t mem,
                        uint16_t addr, const uint64_t *data, size_t n);
int hone_link_put_read(hone_link *l, uint8_t target, uint8_t mem,
                       uint16_t addr, uint32_t n);
/* Events (ev[].tick ignored): EV16 where every event fits it, else EV24. */
int hone_link_put_events(hone_link *l, const hone_event *ev, size_t n);
/* A dense input vector g[0..n-1] (G bits each, g = 0 means no event): the
 * cheapest mix of DENSE and EV16 runs. */
int hone_link_put_frame(hone_link *l, const uint8_t *g, uint32_t n,
                        unsigned gbits);
int hone_link_put_tick(hone_link *l, uint32_t n);
int hone_link_put_trace(hone_link *l, bool on);
int hone_link_put_counters(hone_link *l);
int hone_link_put_caps(hone_link *l);
/* Raw command bytes (tests). */
int hone_link_put_raw(hone_link *l, const uint8_t *p, size_t n);
/* Let the last, partly filled DATA frame go (else frames leave full). */
void hone_link_flush(hone_link *l);

/* Bytes to write to the transport now (whole frames, cap >= 1100 bytes or
 * max_payload + 64). */
size_t hone_link_pull_tx(hone_link *l, uint64_t now_us, uint8_t *buf, size_t cap);
/* Bytes read from the transport. */
void hone_link_push_rx(hone_link *l, uint64_t now_us, const uint8_t *p, size_t n);
/* Next decoded response, in order. */
bool hone_link_get_rsp(hone_link *l, hone_link_rsp *r);
/* Command bytes queued or in flight (0: the chip has all of them). */
size_t hone_link_unacked(const hone_link *l);
/* The earliest time pull_tx has something to do without new input
 * (a timeout), UINT64_MAX if none. */
uint64_t hone_link_deadline(const hone_link *l);
/* Credit last reported by the chip (free FIFO bytes, of which the host
 * keeps HONE_LINK_CRC_BYTES spare), and the chip's FIFO size (from
 * RESET_ACK). */
uint32_t hone_link_credit(const hone_link *l);
uint32_t hone_link_fifo_size(const hone_link *l);
const hone_link_stats *hone_link_get_stats(const hone_link *l);

/* ------------------------------------------- chip side (C model) */

typedef struct hone_linkdev_params {
	uint32_t rx_fifo;      /* RX FIFO bytes (default 2048) */
	uint32_t tx_buf;       /* retransmit buffer bytes (default 1024), cut
	                          into slots of the power of two >= tx_payload + 2 */
	uint32_t tx_payload;   /* RDATA body bytes (default 120, 9 to 254) */
	uint32_t tx_window;    /* RDATA frames in the buffer, the open one
	                          included (default and most: one per slot) */
	uint64_t rto_us;       /* retransmission timeout (default 20000) */
} hone_linkdev_params;

typedef struct hone_linkdev_stats {
	uint64_t frames_in, committed, dup_in, ahead_in, bad_in;
	uint64_t overruns;     /* DATA frames beyond the credit: must stay 0 */
	uint64_t status_out, naks_out, frames_out, frames_retx, timeouts;
	uint64_t cmds_out, rsp_in, proto_err;
	uint32_t fifo_max;     /* highest FIFO fill seen */
} hone_linkdev_stats;

typedef struct hone_linkdev hone_linkdev;

hone_linkdev *hone_linkdev_new(const hone_linkdev_params *p);
void hone_linkdev_free(hone_linkdev *d);
void hone_linkdev_push_rx(hone_linkdev *d, uint64_t now_us, const uint8_t *p, size_t n);
size_t hone_linkdev_pull_tx(hone_linkdev *d, uint64_t now_us, uint8_t *buf, size_t cap);
/* The next chip command (consumes FIFO bytes, so frees credit). */
bool hone_linkdev_get_cmd(hone_linkdev *d, hone_link_cmd *c);
/* Queue a response; false when the retransmit buffer is full (the chip
 * must stall and retry after more acks). */
bool hone_linkdev_put_rsp(hone_linkdev *d, uint8_t kind, uint64_t data);
/* FIFO fill (committed bytes not yet parsed). */
uint32_t hone_linkdev_fifo_fill(const hone_linkdev *d);
const hone_linkdev_stats *hone_linkdev_get_stats(const hone_linkdev *d);

#ifdef __cplusplus
}
#endif
#endif /* HONE_LINK_H */
