/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FT2232H transport (host/src/usb_ftdi.c) on the real libusb code
 * path, against the emulated FT2232H of tests/ftdi_emu.c: descriptors and
 * vendor requests as a real chip sees them, byte streams both ways with
 * the modem-status bytes stripped, the latency timer, selection by serial
 * and bus.address, and every fault ending in a clear error within a
 * second. Ends with the sustained byte rate against an emulated chip that
 * answers at once, which must beat a 12 Mbaud link (1.2 MB/s).
 *
 * Built by tests/usb.mk (umockdev, GLib); without it this file is a stub
 * that reports "skipped". The binary re-executes itself with
 * libumockdev-preload.so preloaded after the ASan runtime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#ifndef HONE_HAVE_UMOCKDEV
int main(void)
{
	printf("test_usb: built without umockdev (tests/usb.mk): skipped\n");
	return 77;
}
#else

#include "ftdi_emu.h"
#include "usb_ftdi.h"

#include <libusb.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **g_argv;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint8_t pattern(uint64_t i)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull;
	return (uint8_t)(x >> 56 ^ x >> 23);
}

static ftdi_emu *emu_with(const ftdi_emu_board_opts *o)
{
	ftdi_emu *e = ftdi_emu_new();
	assert_non_null(e);
	assert_int_equal(ftdi_emu_add(e, o), 0);
	return e;
}

static hone_ftdi *open_ok(const hone_ftdi_opts *o)
{
	hone_ftdi *f = NULL;
	hone_error err = {0};
	int rc = hone_ftdi_open(o, &f, &err);
	if (rc)
		fprintf(stderr, "open: %d %s\n", rc, err.msg);
	assert_int_equal(rc, 0);
	return f;
}

/* Open must fail with `code`, quickly, with `needle` in the message. */
static void open_fails(const hone_ftdi_opts *o, int code, const char *needle)
{
	hone_ftdi *f = NULL;
	hone_error err = {0};
	double t0 = now_ms();
	int rc = hone_ftdi_open(o, &f, &err);
	double dt = now_ms() - t0;
	printf("  open -> %d in %.0f ms: %s\n", rc, dt, err.msg);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	assert_null(f);
	assert_non_null(strstr(err.msg, needle));
	assert_true(dt < 1000);
}

/* Send n pattern bytes and read them back through the loopback. */
static void echo(hone_ftdi *f, size_t n, uint64_t seed)
{
	uint8_t *buf = malloc(n), *got = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(seed + i);
	hone_error err = {0};
	size_t have = 0, sent = 0;
	double deadline = now_ms() + 10000;
	while (have < n && now_ms() < deadline) {
		if (sent < n) {
			size_t k = n - sent < 32768 ? n - sent : 32768;
			assert_int_equal(hone_ftdi_write(f, buf + sent, k, &err), 0);
			sent += k;
		}
		size_t g;
		assert_int_equal(hone_ftdi_read(f, got + have, n - have, 20, &g, &err), 0);
		have += g;
	}
	assert_int_equal(have, n);
	assert_memory_equal(got, buf, n);
	free(buf);
	free(got);
}

/* ------------------------------------------------------------- baud */

static void test_baud_encoding(void **state)
{
	(void)state;
	uint16_t v, i;
	/* 3 Mbaud: 12 MHz base (index bit 9), divisor 4, port B. */
	assert_int_equal(hone_ftdi_baud_encode(3000000, 2, &v, &i), 3000000);
	assert_int_equal(v, 0x0004);
	assert_int_equal(i, 0x0202);
	/* 12 Mbaud: the special divisor 0 on the 12 MHz base. */
	assert_int_equal(hone_ftdi_baud_encode(12000000, 2, &v, &i), 12000000);
	assert_int_equal(v, 0x0000);
	assert_int_equal(i, 0x0202);
	/* 8 Mbaud: special divisor 1 (= 1.5); port A. */
	assert_int_equal(hone_ftdi_baud_encode(8000000, 1, &v, &i), 8000000);
	assert_int_equal(v, 0x0001);
	assert_int_equal(i, 0x0201);
	/* 115200: 104.166 -> 104 + 1/8 (code 3 in value bits 15:14). */
	uint32_t got = hone_ftdi_baud_encode(115200, 2, &v, &i);
	assert_int_equal(v, 0xC068);
	assert_int_equal(i, 0x0202);
	assert_true(got > 115000 && got < 115400);
	/* 1/8 fractions that need index bit 8: 104 + 3/8 is code 4. */
	assert_int_equal(hone_ftdi_baud_encode((uint32_t)(12e6 / 104.375), 2, &v, &i) != 0, 1);
	assert_int_equal(v, 104);
	assert_int_equal(i, 0x0302);
	/* Below 733 baud the 3 MHz base (no bit 9). */
	hone_ftdi_baud_encode(300, 2, &v, &i);
	assert_int_equal(i & 0x0200, 0);
	assert_int_equal(v, 10000);
	/* Round trips and unreachable rates. */
	const uint32_t rates[] = {300, 9600, 115200, 1000000, 2000000, 3000000,
	                          6000000, 8000000, 12000000};
	for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
		uint32_t real = hone_ftdi_baud_encode(rates[k], 2, &v, &i);
		assert_true(real != 0);
		double d = hone_ftdi_baud_decode(v, i);
		assert_true(d > real * 0.999 && d < real * 1.001);
	}
	assert_int_equal(hone_ftdi_baud_encode(10000000, 2, &v, &i), 0);
	assert_int_equal(hone_ftdi_baud_encode(13000000, 2, &v, &i), 0);
	assert_int_equal(hone_ftdi_baud_encode(0, 2, &v, &i), 0);
}

/* ----------------------------------------------- the chip as libusb sees it */

static void test_descriptors(void **state)
{
	(void)state;
	ftdi_emu *e = emu_with(NULL);
	libusb_context *ctx;
	assert_int_equal(libusb_init(&ctx), 0);
	libusb_device **list;
	assert_int_equal(libusb_get_device_list(ctx, &list), 1);
	libusb_device *d = list[0];
	struct libusb_device_descriptor dd;
	assert_int_equal(libusb_get_device_descriptor(d, &dd), 0);
	assert_int_equal(dd.bcdUSB, 0x0200);
	assert_int_equal(dd.idVendor, 0x0403);
	assert_int_equal(dd.idProduct, 0x6010);
	assert_int_equal(dd.bcdDevice, 0x0700);
	assert_int_equal(dd.bMaxPacketSize0, 64);
	assert_int_equal(dd.iSerialNumber, 3);
	assert_int_equal(libusb_get_bus_number(d), 1);
	assert_int_equal(libusb_get_device_address(d), 5);
	assert_int_equal(libusb_get_device_speed(d), LIBUSB_SPEED_HIGH);
	struct libusb_config_descriptor *cfg;
	assert_int_equal(libusb_get_active_config_descriptor(d, &cfg), 0);
	assert_int_equal(cfg->bNumInterfaces, 2);
	const uint8_t eps[2][2] = {{0x81, 0x02}, {0x83, 0x04}};
	for (int k = 0; k < 2; k++) {
		const struct libusb_interface_descriptor *id = &cfg->interface[k].altsetting[0];
		assert_int_equal(id->bInterfaceNumber, k);
		assert_int_equal(id->bInterfaceClass, 0xFF);
		assert_int_equal(id->bNumEndpoints, 2);
		for (int j = 0; j < 2; j++) {
			assert_int_equal(id->endpoint[j].bEndpointAddress, eps[k][j]);
			assert_int_equal(id->endpoint[j].bmAttributes, LIBUSB_TRANSFER_TYPE_BULK);
			assert_int_equal(id->endpoint[j].wMaxPacketSize, 512);
		}
	}
	libusb_free_config_descriptor(cfg);
	libusb_device_handle *h;
	assert_int_equal(libusb_open(d, &h), 0);
	unsigned char s[64];
	assert_int_equal(libusb_get_string_descriptor_ascii(h, 3, s, sizeof s), 7);
	assert_memory_equal(s, "IBEMU01", 7);
	/* ftdi_sio owns both interfaces until someone detaches it. */
	assert_int_equal(libusb_kernel_driver_active(h, 0), 1);
	assert_int_equal(libusb_kernel_driver_active(h, 1), 1);
	assert_int_equal(libusb_claim_interface(h, 1), LIBUSB_ERROR_BUSY);
	libusb_close(h);
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	ftdi_emu_free(e);
}

static const ftdi_emu_ctrl *next_vendor(const ftdi_emu_state *s, size_t *k)
{
	while (*k < s->n_ctrl && (s->ctrl[*k].type & 0x60) != 0x40)
		(*k)++;
	return *k < s->n_ctrl ? &s->ctrl[(*k)++] : NULL;
}

static void expect_ctrl(const ftdi_emu_state *s, size_t *k, uint8_t type,
                        uint8_t req, uint16_t value, uint16_t index)
{
	const ftdi_emu_ctrl *c = next_vendor(s, k);
	assert_non_null(c);
	assert_int_equal(c->type, type);
	assert_int_equal(c->request, req);
	assert_int_equal(c->value, value);
	assert_int_equal(c->index, index);
}

static void check_setup(uint32_t baud, uint16_t bv, uint16_t bi)
{
	ftdi_emu *e = emu_with(NULL);
	hone_ftdi_opts o;
	hone_ftdi_opts_default(&o);
	o.baud = baud;
	hone_ftdi *f = open_ok(&o);
	printf("  opened %s at %u baud\n", hone_ftdi_name(f), baud);
	assert_non_null(strstr(hone_ftdi_name(f), "usb:1.5"));
	assert_non_null(strstr(hone_ftdi_name(f), "IBEMU01"));
	ftdi_emu_state s;
	ftdi_emu_get_state(e, 0, &s);
	/* The requests, in order, bytes as a real FT2232H receives them. */
	size_t k = 0;
	expect_ctrl(&s, &k, 0x40, 0x00, 0x0000, 0x0002); /* SIO_RESET */
	expect_ctrl(&s, &k, 0x40, 0x0B, 0x0000, 0x0002); /* bit mode off: UART */
	expect_ctrl(&s, &k, 0x40, 0x03, bv, bi);         /* SET_BAUDRATE */
	expect_ctrl(&s, &k, 0x40, 0x04, 0x0008, 0x0002); /* 8N1 */
	expect_ctrl(&s, &k, 0x40, 0x02, 0x0000, 0x0002); /* no flow control */
	expect_ctrl(&s, &k, 0x40, 0x09, 0x0001, 0x0002); /* latency 1 ms */
	expect_ctrl(&s, &k, 0xC0, 0x0A, 0x0000, 0x0002); /* read it back */
	expect_ctrl(&s, &k, 0x40, 0x00, 0x0001, 0x0002); /* purge host->UART */
	expect_ctrl(&s, &k, 0x40, 0x00, 0x0002, 0x0002); /* purge UART->host */
	assert_null(next_vendor(&s, &k));
	assert_true(s.baud > baud * 0.999 && s.baud < baud * 1.001);
	assert_int_equal(s.data, 0x0008);
	assert_int_equal(s.latency_ms, 1);
	assert_true(s.claimed[1]);
	assert_false(s.claimed[0]);
	assert_false(s.driver_bound[1]); /* detached from channel B only */
	assert_true(s.driver_bound[0]);
	assert_int_equal(s.unknown_ioctls, 0);
	hone_ftdi_stats st;
	hone_ftdi_get_stats(f, &st);
	assert_int_equal(st.max_packet, 512);
	assert_int_equal(st.baud, baud);
	hone_ftdi_close(f);
	ftdi_emu_get_state(e, 0, &s);
	assert_false(s.claimed[1]);
	assert_true(s.driver_bound[1]); /* ftdi_sio got its interface back */
	ftdi_emu_free(e);
}

static void test_setup_3mbaud(void **state)
{
	(void)state;
	check_setup(3000000, 0x0004, 0x0202);
}

static void test_setup_12mbaud(void **state)
{
	(void)state;
	check_setup(12000000, 0x0000, 0x0202);
}

/* ---------------------------------------------------------- streams */

static void check_stream(bool full_speed)
{
	ftdi_emu_board_opts bo = {.full_speed = full_speed};
	ftdi_emu *e = emu_with(&bo);
	hone_ftdi *f = open_ok(NULL);
	const size_t n = 300000;
	echo(f, n, 1);
	hone_ftdi_stats st;
	hone_ftdi_get_stats(f, &st);
	ftdi_emu_state s;
	ftdi_emu_get_state(e, 0, &s);
	printf("  %s: %llu bytes in %llu IN packets (%llu status only), "
	       "%llu USB bytes\n", full_speed ? "full speed" : "high speed",
	       (unsigned long long)st.bytes_in, (unsigned long long)st.packets_in,
	       (unsigned long long)st.status_only,
	       (unsigned long long)st.usb_bytes_in);
	assert_int_equal(st.max_packet, full_speed ? 64 : 512);
	assert_int_equal(st.bytes_out, n);
	assert_int_equal(st.bytes_in, n);
	assert_int_equal(s.out_bytes, n);
	/* Exactly two status bytes per packet were stripped, and no packet
	 * carried more than max_packet - 2 bytes of data. */
	assert_int_equal(st.usb_bytes_in - st.bytes_in, 2 * st.packets_in);
	assert_true(st.packets_in >= n / (size_t)(st.max_packet - 2));
	assert_int_equal(st.packets_in, s.in_packets);
	assert_int_equal(st.modem_status[0], 0x31);
	assert_int_equal(st.modem_status[1], 0x60);
	assert_int_equal(st.line_errors, 0);
	/* Bytes the far end sends on its own arrive too. */
	uint8_t msg[1000], got[1000];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = pattern(777 + i);
	ftdi_emu_inject(e, 0, msg, sizeof msg);
	size_t have = 0, g;
	hone_error err = {0};
	double deadline = now_ms() + 2000;
	while (have < sizeof got && now_ms() < deadline) {
		assert_int_equal(hone_ftdi_read(f, got + have, sizeof got - have, 50, &g, &err), 0);
		have += g;
	}
	assert_int_equal(have, sizeof msg);
	assert_memory_equal(got, msg, sizeof msg);
	hone_ftdi_close(f);
	ftdi_emu_free(e);
}

static void test_stream_high_speed(void **state)
{
	(void)state;
	check_stream(false);
}

static void test_stream_full_speed(void **state)
{
	(void)state;
	check_stream(true);
}

static void test_idle_status_packets(void **state)
{
	(void)state;
	ftdi_emu *e = emu_with(NULL);
	hone_ftdi *f = open_ok(NULL);
	uint8_t b[16];
	size_t g;
	hone_error err = {0};
	/* Nothing to say: the chip still answers every latency period with a
	 * status-only packet, which the reader never sees as data. */
	assert_int_equal(hone_ftdi_read(f, b, sizeof b, 100, &g, &err), 0);
	assert_int_equal(g, 0);
	hone_ftdi_stats st;
	hone_ftdi_get_stats(f, &st);
	printf("  100 ms idle: %llu status-only packets\n",
	       (unsigned long long)st.status_only);
	assert_true(st.status_only >= 5);
	assert_int_equal(st.bytes_in, 0);
	/* A line error flagged in the status byte is counted. */
	ftdi_emu_set_modem_status(e, 0, 0x31, 0x62); /* overrun */
	assert_int_equal(hone_ftdi_read(f, b, sizeof b, 20, &g, &err), 0);
	hone_ftdi_get_stats(f, &st);
	assert_true(st.line_errors > 0);
	assert_int_equal(st.modem_status[1], 0x62);
	hone_ftdi_close(f);
	ftdi_emu_free(e);
}

static void test_latency_timer(void **state)
{
	(void)state;
	ftdi_emu *e = emu_with(NULL);
	hone_ftdi_opts o;
	hone_ftdi_opts_default(&o);
	o.latency_ms = 250;
	o.n_in = 1;
	hone_ftdi *f = open_ok(&o);
	ftdi_emu_state s;
	ftdi_emu_get_state(e, 0, &s);
	assert_int_equal(s.latency_ms, 250);
	/* One full transfer (32 packets of 510 bytes) plus 10: the full
	 * transfer comes at once, the last 10 bytes only when the latency
	 * timer expires, 250 ms after the last full packet. */
	const size_t full = 32 * 510, n = full + 10;
	uint8_t *buf = malloc(n), *got = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(i);
	hone_error err = {0};
	/* Let the idle status packet in flight go by first. */
	size_t g;
	assert_int_equal(hone_ftdi_read(f, got, n, 300, &g, &err), 0);
	double t0 = now_ms();
	assert_int_equal(hone_ftdi_write(f, buf, n, &err), 0);
	size_t have = 0;
	double t_full = 0, t_all = 0;
	while (have < n && now_ms() - t0 < 2000) {
		assert_int_equal(hone_ftdi_read(f, got + have, n - have, 5, &g, &err), 0);
		have += g;
		if (!t_full && have >= full)
			t_full = now_ms() - t0;
	}
	t_all = now_ms() - t0;
	printf("  latency 250 ms: %zu bytes after %.1f ms, the last 10 after %.1f ms\n",
	       full, t_full, t_all);
	assert_int_equal(have, n);
	assert_memory_equal(got, buf, n);
	assert_true(t_full < 250);
	assert_true(t_all >= 250);
	free(buf);
	free(got);
	hone_ftdi_close(f);
	ftdi_emu_free(e);
}

/* ------------------------------------------------------------ selection */

static void test_select(void **state)
{
	(void)state;
	ftdi_emu *e = ftdi_emu_new();
	assert_non_null(e);
	assert_int_equal(ftdi_emu_add(e, NULL), 0);
	assert_int_equal(ftdi_emu_add(e, NULL), 1);
	char text[1024];
	hone_error err = {0};
	assert_int_equal(hone_ftdi_describe(text, sizeof text, &err), 0);
	printf("%s", text);
	assert_non_null(strstr(text, "usb:1.5 serial IBEMU01"));
	assert_non_null(strstr(text, "usb:1.6 serial IBEMU02"));
	/* The public listing (hone info --boards) says the same. */
	char pub[1024];
	assert_int_equal(hone_list_usb(pub, sizeof pub, &err), 0);
	assert_string_equal(pub, text);
	assert_int_equal(hone_list_usb(pub, 0, &err), HONE_ERR_INVALID);
	/* Two boards and no choice: refuse, naming both. */
	open_fails(NULL, HONE_ERR_INVALID, "IBEMU02");
	hone_ftdi_opts o;
	hone_ftdi_opts_default(&o);
	o.select = "IBEMU02";
	hone_ftdi *f = open_ok(&o);
	assert_non_null(strstr(hone_ftdi_name(f), "usb:1.6"));
	ftdi_emu_state s;
	ftdi_emu_get_state(e, 1, &s);
	assert_true(s.claimed[1]);
	echo(f, 5000, 9);
	hone_ftdi_close(f);
	o.select = "1.5";
	f = open_ok(&o);
	assert_non_null(strstr(hone_ftdi_name(f), "IBEMU01"));
	hone_ftdi_close(f);
	o.select = "NOPE";
	open_fails(&o, HONE_ERR_NO_DEVICE, "usb:1.6 serial IBEMU02");
	o.select = "2.5";
	open_fails(&o, HONE_ERR_NO_DEVICE, "no FT2232H matches '2.5'");
	ftdi_emu_free(e);
}

/* --------------------------------------------------------------- faults */

static void test_no_device(void **state)
{
	(void)state;
	ftdi_emu *e = ftdi_emu_new();
	assert_non_null(e);
	open_fails(NULL, HONE_ERR_NO_DEVICE, "lsusb -d 0403:6010");
	char text[256];
	hone_error err = {0};
	assert_int_equal(hone_ftdi_describe(text, sizeof text, &err), 0);
	assert_non_null(strstr(text, "no FT2232H"));
	ftdi_emu_free(e);
}

static void test_not_ft2232h(void **state)
{
	(void)state;
	ftdi_emu_board_opts bo = {.bcd_device = 0x0500};
	ftdi_emu *e = emu_with(&bo);
	open_fails(NULL, HONE_ERR_UNSUPPORTED, "not an FT2232H");
	ftdi_emu_free(e);
}

static void test_busy(void **state)
{
	(void)state;
	ftdi_emu_board_opts bo = {.claimed_elsewhere = true};
	ftdi_emu *e = emu_with(&bo);
	open_fails(NULL, HONE_ERR_IO, "in use by another program");
	ftdi_emu_state s;
	ftdi_emu_get_state(e, 0, &s);
	assert_true(s.driver_bound[1]); /* given back after the failure */
	ftdi_emu_free(e);
}

/* The rule file and the rule the error message prints are the same. */
static void test_udev_rule_file(void **state)
{
	(void)state;
	FILE *fp = fopen(HONE_FTDI_UDEV_FILE, "r");
	if (!fp)
		skip(); /* not run from the source tree */
	char line[512], rule[512] = "";
	while (fgets(line, sizeof line, fp))
		if (line[0] != '#' && line[0] != '\n')
			snprintf(rule, sizeof rule, "%s", line);
	fclose(fp);
	rule[strcspn(rule, "\n")] = 0;
	assert_string_equal(rule, HONE_FTDI_UDEV_RULE);
}

/* Runs in a fresh process (exec'd by test_permission_denied), without
 * root: a device node the user may not open. */
static int access_child(void)
{
	if (getuid() == 0) {
		if (setgid(65534) || setuid(65534))
			return 77;
		prctl(PR_SET_DUMPABLE, 1); /* LeakSanitizer needs to ptrace us */
	}
	ftdi_emu *e = ftdi_emu_new();
	if (!e)
		return 77;
	ftdi_emu_board_opts bo = {.no_access = true};
	if (ftdi_emu_add(e, &bo) != 0)
		return 1;
	hone_ftdi *f = NULL;
	hone_error err = {0};
	double t0 = now_ms();
	int rc = hone_ftdi_open(NULL, &f, &err);
	double dt = now_ms() - t0;
	printf("  as uid %d: open -> %d in %.0f ms:\n%s\n", (int)getuid(), rc, dt, err.msg);
	bool ok = rc == HONE_ERR_ACCESS && strstr(err.msg, HONE_FTDI_UDEV_RULE) &&
	          strstr(err.msg, "tools/udev/99-hone-icebreaker.rules") &&
	          strstr(err.msg, "/dev/bus/usb/001/005") && dt < 1000;
	char text[512];
	hone_ftdi_describe(text, sizeof text, &err);
	printf("%s", text);
	ok = ok && strstr(text, "permission denied");
	hone_ftdi_close(f);
	ftdi_emu_free(e);
	return ok ? 0 : 1;
}

static void test_permission_denied(void **state)
{
	(void)state;
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("HONE_USB_TEST_CHILD", "access", 1);
		execv("/proc/self/exe", g_argv);
		_exit(77);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Stream until the transport reports an error; return it and the time
 * from `t_fault` (set by fault() after `after` bytes echoed). */
typedef void (*fault_fn)(ftdi_emu *e);

static int stream_until_error(hone_ftdi *f, ftdi_emu *e, size_t after, fault_fn fault,
                              hone_error *err, double *dt)
{
	uint8_t buf[8192];
	size_t sent = 0, have = 0;
	double t_fault = 0, start = now_ms();
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pattern(i);
	for (;;) {
		if (!t_fault && have >= after) {
			fault(e);
			t_fault = now_ms();
		}
		int rc = 0;
		if (sent - have < 65536) {
			rc = hone_ftdi_write(f, buf, sizeof buf, err);
			if (!rc)
				sent += sizeof buf;
		}
		size_t g = 0;
		if (!rc)
			rc = hone_ftdi_read(f, buf, sizeof buf, 10, &g, err);
		have += g;
		if (rc) {
			*dt = now_ms() - t_fault;
			printf("  after %zu bytes: %d in %.0f ms after the fault: %s\n", have,
			       rc, *dt, err->msg);
			return t_fault ? rc : 0;
		}
		if (now_ms() - start > 5000)
			return 0; /* no error at all: the caller fails */
	}
}

static void unplug0(ftdi_emu *e) { ftdi_emu_unplug(e, 0); }
static void stall_in(ftdi_emu *e) { ftdi_emu_stall(e, 0, 0x83); }
static void stall_out(ftdi_emu *e) { ftdi_emu_stall(e, 0, 0x04); }
static void hang0(ftdi_emu *e) { ftdi_emu_hang(e, 0, true); }

static void check_fault(fault_fn fault, int code, const char *needle)
{
	ftdi_emu *e = emu_with(NULL);
	hone_ftdi *f = open_ok(NULL);
	hone_error err = {0};
	double dt = 0;
	int rc = stream_until_error(f, e, 200000, fault, &err, &dt);
	assert_int_equal(rc, code);
	assert_non_null(strstr(err.msg, needle));
	assert_true(dt < 1000);
	/* Sticky: every later call says the same, at once. */
	hone_error err2 = {0};
	uint8_t b[4] = {0};
	double t0 = now_ms();
	assert_int_equal(hone_ftdi_write(f, b, sizeof b, &err2), code);
	assert_string_equal(err2.msg, err.msg);
	assert_int_equal(hone_ftdi_flush(f, 500, &err2), code);
	size_t g;
	assert_int_equal(hone_ftdi_read(f, b, sizeof b, 500, &g, &err2), code);
	assert_true(now_ms() - t0 < 100);
	t0 = now_ms();
	hone_ftdi_close(f);
	double tc = now_ms() - t0;
	printf("  closed in %.0f ms\n", tc);
	assert_true(tc < 1000);
	ftdi_emu_free(e);
}

static void test_unplug_midstream(void **state)
{
	(void)state;
	check_fault(unplug0, HONE_ERR_NO_DEVICE, "vanished");
}

static void test_stall_in(void **state)
{
	(void)state;
	check_fault(stall_in, HONE_ERR_IO, "IN endpoint 0x83 stalled");
}

static void test_stall_out(void **state)
{
	(void)state;
	check_fault(stall_out, HONE_ERR_IO, "OUT endpoint 0x04 stalled");
}

static void test_hang_midstream(void **state)
{
	(void)state;
	check_fault(hang0, HONE_ERR_TIMEOUT, "hung");
}

static void test_hang_at_open(void **state)
{
	(void)state;
	ftdi_emu *e = emu_with(NULL);
	ftdi_emu_hang(e, 0, true);
	open_fails(NULL, HONE_ERR_TIMEOUT, "did not answer SIO_RESET");
	ftdi_emu_hang(e, 0, false);
	ftdi_emu_free(e);
}

static void test_unplugged_before_open(void **state)
{
	(void)state;
	ftdi_emu *e = emu_with(NULL);
	ftdi_emu_unplug(e, 0);
	open_fails(NULL, HONE_ERR_NO_DEVICE, "no FT2232H");
	ftdi_emu_free(e);
}

/* ----------------------------------------------------------- throughput */

static void test_throughput(void **state)
{
	(void)state;
	ftdi_emu_board_opts bo = {.loopback_cap = 1 << 20};
	ftdi_emu *e = emu_with(&bo);
	hone_ftdi_opts o;
	hone_ftdi_opts_default(&o);
	o.baud = 12000000;
	hone_ftdi *f = open_ok(&o);
	const size_t n = 16u << 20, chunk = 65536;
	uint8_t *out = malloc(chunk), *in = malloc(chunk);
	size_t sent = 0, have = 0;
	hone_error err = {0};
	bool same = true;
	double t0 = now_ms();
	while (have < n && now_ms() - t0 < 20000) {
		if (sent < n && sent - have < (4u << 20)) {
			for (size_t i = 0; i < chunk; i++)
				out[i] = pattern(sent + i);
			assert_int_equal(hone_ftdi_write(f, out, chunk, &err), 0);
			sent += chunk;
		}
		size_t g;
		assert_int_equal(hone_ftdi_read(f, in, chunk, 5, &g, &err), 0);
		for (size_t i = 0; i < g; i++)
			same &= in[i] == pattern(have + i);
		have += g;
	}
	double secs = (now_ms() - t0) / 1e3;
	hone_ftdi_stats st;
	hone_ftdi_get_stats(f, &st);
	double rate = (double)have / secs / 1e6;
	printf("usb throughput (emulated FT2232H answering at once, loopback): "
	       "%.1f MB echoed in %.2f s = %.1f MB/s each way; "
	       "12 Mbaud link = 1.2 MB/s: %.1fx; %llu IN transfers, %llu OUT\n",
	       have / 1e6, secs, rate, rate / 1.2,
	       (unsigned long long)st.transfers_in, (unsigned long long)st.transfers_out);
	assert_int_equal(have, n);
	assert_true(same);
	assert_true(rate > 1.2);
	free(out);
	free(in);
	hone_ftdi_close(f);
	ftdi_emu_free(e);
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	g_argv = argv;
	if (!ftdi_emu_preloaded())
		return ftdi_emu_reexec(argv);
	const char *child = getenv("HONE_USB_TEST_CHILD");
	if (child && !strcmp(child, "access"))
		return access_child();
	/* "test_usb test_throughput": one test alone (make usb-bench). */
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baud_encoding),
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_setup_3mbaud),
		cmocka_unit_test(test_setup_12mbaud),
		cmocka_unit_test(test_stream_high_speed),
		cmocka_unit_test(test_stream_full_speed),
		cmocka_unit_test(test_idle_status_packets),
		cmocka_unit_test(test_latency_timer),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_not_ft2232h),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_udev_rule_file),
		cmocka_unit_test(test_permission_denied),
		cmocka_unit_test(test_unplug_midstream),
		cmocka_unit_test(test_stall_in),
		cmocka_unit_test(test_stall_out),
		cmocka_unit_test(test_hang_midstream),
		cmocka_unit_test(test_hang_at_open),
		cmocka_unit_test(test_unplugged_before_open),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* HONE_HAVE_UMOCKDEV */
