/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a bitstream of link protocol 1 answers to a RESET of protocol 2,
 * built here independently of host/src/link.c (which must recognise it):
 * one STATUS with NAK (ack 0, credit 2048), CRC-16/CCITT-FALSE big-endian,
 * COBS-encoded and 0-terminated. Shared by test_link and test_usb_backend.
 */
#ifndef HONE_TESTS_LINK_V1_H
#define HONE_TESTS_LINK_V1_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

/* Writes the frame to out (16 bytes are enough); returns its length. */
static inline size_t tu_link_v1_nak(uint8_t *out)
{
	uint8_t raw[6] = { HONE_LINK_FT_STATUS | HONE_LINK_F_NAK, 0, 0x00, 0x08, 0, 0 };
	uint16_t crc = 0xFFFF;
	for (int i = 0; i < 4; i++) {
		crc ^= (uint16_t)(raw[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	raw[4] = (uint8_t)(crc >> 8);
	raw[5] = (uint8_t)crc;
	size_t n = hone_link_cobs_encode(raw, sizeof raw, out);
	out[n++] = 0;
	return n;
}

#endif
