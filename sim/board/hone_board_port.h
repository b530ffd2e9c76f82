// SPDX-License-Identifier: Apache-2.0
// The UART pins of a board model as the FT2232H drives and samples them
// (the serialiser and deserialiser of sim/link/link_tb.cpp, without its
// error injection), and the interface every configuration's model
// implements (hone_board_model.cpp, compiled once per configuration).
#ifndef HONE_BOARD_PORT_H
#define HONE_BOARD_PORT_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#ifndef HONE_BOARD_CPB
#define HONE_BOARD_CPB 4
#endif

struct HoneBoardUart {
	static const int CPB = HONE_BOARD_CPB;
	// host -> board: the FT2232H's transmitter
	std::deque<uint8_t> txq;
	int tx_bit = -1, tx_cnt = 0;
	uint16_t tx_frame = 0;
	int line = 1;
	// board -> host: the FT2232H's receiver
	int rx_state = 0, rx_cnt = 0, rx_bit = 0;
	uint8_t rx_byte = 0;
	std::vector<uint8_t> out;
	size_t out_off = 0;
	uint64_t cycles = 0, bytes_in = 0, bytes_out = 0, framing = 0, idle = 0;

	// The RX pin's level for the next cycle.
	int drive()
	{
		if (tx_bit < 0) {
			if (txq.empty())
				return 1;
			tx_frame = (uint16_t)(0x200 | (txq.front() << 1));
			txq.pop_front();
			tx_bit = 0;
			tx_cnt = 0;
			line = 0;
		}
		int v = line;
		if (++tx_cnt == CPB) {
			tx_cnt = 0;
			if (++tx_bit == 10) {
				tx_bit = -1;
				bytes_in++;
			} else {
				line = (tx_frame >> tx_bit) & 1;
			}
		}
		return v;
	}

	// The TX pin's level after a cycle.
	void sample(int l)
	{
		switch (rx_state) {
		case 0:
			if (!l) {
				rx_state = 1;
				rx_cnt = CPB / 2;
			}
			break;
		case 1:
			if (--rx_cnt > 0)
				break;
			rx_cnt = CPB;
			rx_bit = 0;
			rx_byte = 0;
			rx_state = l ? 0 : 2;
			break;
		case 2:
			if (--rx_cnt > 0)
				break;
			rx_cnt = CPB;
			if (rx_bit < 8) {
				rx_byte |= (uint8_t)(l << rx_bit);
				rx_bit++;
				break;
			}
			rx_state = 0;
			if (!l) {
				framing++;
				break;
			}
			out.push_back(rx_byte);
			bytes_out++;
			break;
		}
	}

	// Both lines idle and nothing queued.
	bool quiet(int tx_line) const
	{
		return tx_bit < 0 && txq.empty() && rx_state == 0 && tx_line;
	}
};

// hone_board (the C handle) is a model behind this interface.
struct hone_board {
	HoneBoardUart u;
	virtual ~hone_board() {}
	virtual void run(uint64_t cycles) = 0;
	virtual void reset(unsigned cycles) = 0;
};

struct HoneBoardOpts {
	const char *fst_path;
};

#endif
