/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event files (docs/event-file.md): round trips through write and read,
 * the tolerated layout (comments, blank lines, CRLF, gzip), and one error
 * case per rule, each checked for its code, line number and wording.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "hone.h"

typedef struct tmpdir {
	char path[256];
} tmpdir;

static int tmp_setup(void **state)
{
	tmpdir *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof t->path, "%s/hone-events-XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	tmpdir *t = *state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->path);
	int rc = system(cmd);
	free(t);
	return rc == 0 ? 0 : -1;
}

static void tmp_name(const tmpdir *t, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->path, name);
}

static void put_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *get_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

static void assert_streams_equal(const hone_event_stream *a,
                                 const hone_event_stream *b)
{
	assert_int_equal(a->n_inputs, b->n_inputs);
	assert_int_equal(a->n_ticks, b->n_ticks);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->ev[i].tick, b->ev[i].tick);
		assert_int_equal(a->ev[i].input, b->ev[i].input);
		assert_int_equal(a->ev[i].g, b->ev[i].g);
	}
}

/* A stream in canonical order: per tick, ascending inputs. */
static hone_event_stream *make_stream(size_t n, int32_t inputs, uint32_t ticks)
{
	hone_event_stream *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->n_inputs = inputs;
	s->n_ticks = ticks;
	s->ev = calloc(n + 1, sizeof *s->ev);
	assert_non_null(s->ev);
	/* tick t holds inputs t % 3, t % 3 + 3, ... with varying g */
	size_t k = 0;
	for (uint32_t t = 0; k < n && t < ticks; t++)
		for (uint32_t in = t % 3; k < n && in < (uint32_t)inputs; in += 3) {
			s->ev[k].tick = t;
			s->ev[k].input = in;
			s->ev[k].g = (uint8_t)(1 + (t * 7 + in * 13) % 255);
			k++;
		}
	s->n = k;
	return s;
}

/* ------------------------------------------------------------ round trip */

static void test_roundtrip(void **state)
{
	tmpdir *t = *state;
	static const char *const names[][2] = {
		{ "a.events", "b.events" }, { "a.events.gz", "b.events.gz" },
	};
	for (int k = 0; k < 2; k++) {
		char p[512], p2[512];
		tmp_name(t, names[k][0], p, sizeof p);
		tmp_name(t, names[k][1], p2, sizeof p2);
		hone_event_stream *s = make_stream(5000, 784, 100);
		assert_int_equal(s->n, 5000);
		hone_error e = { 0 };
		int rc = hone_events_write(p, s, &e);
		if (rc)
			print_error("%s\n", e.msg);
		assert_int_equal(rc, 0);
		hone_event_stream *r = NULL;
		rc = hone_events_read(p, &r, &e);
		if (rc)
			print_error("%s\n", e.msg);
		assert_int_equal(rc, 0);
		assert_streams_equal(s, r);
		/* writing what was read gives the same bytes (plain files;
		 * gzip headers carry no time stamp with gzopen either) */
		assert_int_equal(hone_events_write(p2, r, &e), 0);
		size_t l1, l2;
		char *b1 = get_text(p, &l1), *b2 = get_text(p2, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(b1, b2, l1);
		if (k == 0)
			assert_memory_equal(b1, "hone-events 1 inputs=784 ticks=100\n",
			                    35);
		else
			assert_int_equal((unsigned char)b1[0], 0x1f); /* gzip */
		free(b1);
		free(b2);
		hone_events_free(s);
		hone_events_free(r);
	}
	hone_events_free(NULL);
}

static void test_empty_stream(void **state)
{
	tmpdir *t = *state;
	char p[512];
	tmp_name(t, "empty.events", p, sizeof p);
	hone_event_stream s = { .n_inputs = 4, .n_ticks = 7, .n = 0, .ev = NULL };
	hone_error e = { 0 };
	assert_int_equal(hone_events_write(p, &s, &e), 0);
	hone_event_stream *r = NULL;
	assert_int_equal(hone_events_read(p, &r, &e), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(r->n_inputs, 4);
	assert_int_equal(r->n_ticks, 7);
	hone_events_free(r);
	/* ticks=0 is a stream with nothing in it at all */
	const char *z = "hone-events 1 inputs=1 ticks=0\n";
	put_text(p, z, strlen(z));
	assert_int_equal(hone_events_read(p, &r, &e), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(r->n_ticks, 0);
	hone_events_free(r);
}

/* Comments, blank lines, tabs, CRLF, keys in either order, lines of one
 * tick in any order: all read, and the result is in canonical order. */
static void test_layout(void **state)
{
	tmpdir *t = *state;
	char p[512];
	tmp_name(t, "layout.events", p, sizeof p);
	const char *text =
		"# a spike stream made by hand\n"
		"\n"
		"   # indented comment\n"
		"hone-events 1 ticks=10 inputs=8   # keys in any order\n"
		"0 5 255\n"
		"0\t2\t1\r\n"
		"0 7 3 # trailing comment\n"
		"\t \n"
		"3 0 9\n"
		"3 0000004 010\n" /* leading zeros are still decimal */
		"9 7 200"; /* no final newline */
	put_text(p, text, strlen(text));
	hone_event_stream *r = NULL;
	hone_error e = { 0 };
	int rc = hone_events_read(p, &r, &e);
	if (rc)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(r->n_inputs, 8);
	assert_int_equal(r->n_ticks, 10);
	static const hone_event want[] = {
		{ 0, 2, 1 }, { 0, 5, 255 }, { 0, 7, 3 },
		{ 3, 0, 9 }, { 3, 4, 10 }, { 9, 7, 200 },
	};
	assert_int_equal(r->n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < r->n; i++) {
		assert_int_equal(r->ev[i].tick, want[i].tick);
		assert_int_equal(r->ev[i].input, want[i].input);
		assert_int_equal(r->ev[i].g, want[i].g);
	}
	hone_events_free(r);
}

/* A comment line longer than the reader's 64 KiB buffer, and many events:
 * lines that straddle buffer refills must come out whole. */
static void test_long_lines(void **state)
{
	tmpdir *t = *state;
	char p[512];
	tmp_name(t, "long.events", p, sizeof p);
	size_t cap = 400000, o = 0;
	char *b = malloc(cap);
	assert_non_null(b);
	o += (size_t)snprintf(b + o, cap - o, "hone-events 1 inputs=1000 ticks=100\n#");
	for (int i = 0; i < 200000; i++)
		b[o++] = 'x';
	b[o++] = '\n';
	for (int i = 0; i < 10000; i++)
		o += (size_t)snprintf(b + o, cap - o, "%d %d %d\n", i / 100,
		                      i % 100 * 10, 1 + i % 255);
	put_text(p, b, o);
	free(b);
	hone_event_stream *r = NULL;
	hone_error e = { 0 };
	assert_int_equal(hone_events_read(p, &r, &e), 0);
	assert_int_equal(r->n, 10000);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(r->ev[i].tick, (uint32_t)(i / 100));
		assert_int_equal(r->ev[i].input, (uint32_t)(i % 100 * 10));
		assert_int_equal(r->ev[i].g, 1 + i % 255);
	}
	hone_events_free(r);
}

/* --------------------------------------------------------------- errors */

static void bad(const tmpdir *t, const char *text, int code, const char *sub1,
                const char *sub2)
{
	char p[512];
	tmp_name(t, "bad.events", p, sizeof p);
	put_text(p, text, strlen(text));
	hone_event_stream *r = (hone_event_stream *)1;
	hone_error e = { 0 };
	int rc = hone_events_read(p, &r, &e);
	if (rc != code || !strstr(e.msg, p) || (sub1 && !strstr(e.msg, sub1)) ||
	    (sub2 && !strstr(e.msg, sub2)))
		print_error("input:\n%s\ngot rc %d (want %d): %s\n", text, rc,
		            code, e.msg);
	assert_int_equal(rc, code);
	assert_null(r);
	assert_non_null(strstr(e.msg, p)); /* the file is named */
	if (sub1)
		assert_non_null(strstr(e.msg, sub1));
	if (sub2)
		assert_non_null(strstr(e.msg, sub2));
}

#define H "hone-events 1 inputs=10 ticks=5\n"

static void test_bad_header(void **state)
{
	tmpdir *t = *state;
	bad(t, "", HONE_ERR_FORMAT, "line 1: no header", NULL);
	bad(t, "# only a comment\n\n", HONE_ERR_FORMAT, "line 3: no header", NULL);
	bad(t, "0 1 2\n", HONE_ERR_FORMAT, "line 1: not an event file",
	    "found '0'");
	bad(t, "hone-event 1 inputs=1 ticks=1\n", HONE_ERR_FORMAT,
	    "not an event file", NULL);
	bad(t, "hone-events\n", HONE_ERR_FORMAT, "missing version", NULL);
	bad(t, "hone-events x inputs=1 ticks=1\n", HONE_ERR_FORMAT,
	    "missing version", NULL);
	bad(t, "hone-events 2 inputs=1 ticks=1\n", HONE_ERR_VERSION,
	    "line 1: event file version 2", "reads version 1");
	bad(t, "hone-events 1 ticks=1\n", HONE_ERR_FORMAT, "missing inputs=",
	    NULL);
	bad(t, "hone-events 1 inputs=3\n", HONE_ERR_FORMAT, "missing ticks=",
	    NULL);
	bad(t, "hone-events 1 inputs=0 ticks=1\n", HONE_ERR_FORMAT, "inputs=0",
	    NULL);
	bad(t, "hone-events 1 inputs=-3 ticks=1\n", HONE_ERR_FORMAT,
	    "'inputs=-3'", NULL);
	bad(t, "hone-events 1 inputs=2147483648 ticks=1\n", HONE_ERR_FORMAT,
	    "inputs must be an integer 0..2147483647", NULL);
	bad(t, "hone-events 1 inputs=1 ticks=4294967296\n", HONE_ERR_FORMAT,
	    "ticks must be", NULL);
	bad(t, "hone-events 1 inputs=1 ticks=1 inputs=2\n", HONE_ERR_FORMAT,
	    "inputs given twice", NULL);
	bad(t, "hone-events 1 inputs=1 ticks=1 rate=5\n", HONE_ERR_FORMAT,
	    "unknown key in 'rate=5'", NULL);
	bad(t, "hone-events 1 inputs 1 ticks=1\n", HONE_ERR_FORMAT,
	    "'inputs' is not key=value", NULL);
}

static void test_bad_events(void **state)
{
	tmpdir *t = *state;
	bad(t, H "0 10 1\n", HONE_ERR_FORMAT, "line 2: input 10 out of range",
	    "inputs=10 (valid 0..9)");
	bad(t, H "0 1 1\n5 1 1\n", HONE_ERR_FORMAT, "line 3: tick 5 out of range",
	    "ticks=5 (valid 0..4)");
	bad(t, H "0 1 0\n", HONE_ERR_FORMAT, "line 2: g 0", "sends no event");
	bad(t, H "0 1 256\n", HONE_ERR_FORMAT, "line 2: g 256 out of range 1..255",
	    NULL);
	bad(t, H "2 1 1\n1 1 1\n", HONE_ERR_FORMAT, "line 3: tick 1 after tick 2",
	    "must not decrease");
	bad(t, H "0 1 1\n# x\n0 2 1\n\n0 1 7\n", HONE_ERR_FORMAT,
	    "line 6: duplicate event: tick 0 input 1", "already given on line 2");
	/* the first duplicate in file order is the one reported */
	bad(t, H "1 3 1\n1 2 1\n1 2 1\n1 3 1\n", HONE_ERR_FORMAT,
	    "line 4: duplicate event: tick 1 input 2", "on line 3");
	bad(t, H "0 1\n", HONE_ERR_FORMAT, "line 2: 2 fields, expected 3", NULL);
	bad(t, H "0 1 1 1\n", HONE_ERR_FORMAT, "line 2: 4 fields", NULL);
	bad(t, H "0 1 1 1 1 1 1 1 1 1\n", HONE_ERR_FORMAT,
	    "line 2: more than 8 fields", NULL);
	bad(t, H "0 x 1\n", HONE_ERR_FORMAT, "line 2: input 'x'",
	    "not a non-negative decimal integer");
	bad(t, H "-1 1 1\n", HONE_ERR_FORMAT, "line 2: tick '-1'", NULL);
	bad(t, H "0 1 0x10\n", HONE_ERR_FORMAT, "line 2: g '0x10'", NULL);
	bad(t, H "0 1 +3\n", HONE_ERR_FORMAT, "g '+3'", NULL);
	bad(t, H "99999999999999999999 1 1\n", HONE_ERR_FORMAT,
	    "tick '99999999999999999999' is too large", NULL);
	bad(t, H "0 1 1\n\x7f" "ELF\x01\x02\n", HONE_ERR_FORMAT,
	    "line 3: 1 fields", NULL);
	bad(t, H "0 1 1\n1 2\x01 1\n", HONE_ERR_FORMAT,
	    "line 3: input '2\\x01'", NULL);
	static const char nul[] = H "0 1 1\n1 2\0 3\n";
	char p[512];
	tmp_name(t, "nul.events", p, sizeof p);
	put_text(p, nul, sizeof nul - 1);
	hone_event_stream *r = NULL;
	hone_error e = { 0 };
	assert_int_equal(hone_events_read(p, &r, &e), HONE_ERR_FORMAT);
	assert_non_null(strstr(e.msg, "line 3: NUL byte"));
	assert_null(r);
}

static void test_bad_files(void **state)
{
	tmpdir *t = *state;
	hone_event_stream *r = NULL;
	hone_error e = { 0 };
	assert_int_equal(hone_events_read("/nonexistent/x.events", &r, &e),
	                 HONE_ERR_IO);
	assert_non_null(strstr(e.msg, "'/nonexistent/x.events'"));
	assert_non_null(strstr(e.msg, "No such file"));
	assert_int_equal(hone_events_read(NULL, &r, &e), HONE_ERR_INVALID);
	assert_int_equal(hone_events_read("x", NULL, NULL), HONE_ERR_INVALID);

	/* a .gz event file cut short */
	char p[512];
	tmp_name(t, "cut.events.gz", p, sizeof p);
	hone_event_stream *s = make_stream(20000, 100, 1000);
	assert_int_equal(hone_events_write(p, s, &e), 0);
	hone_events_free(s);
	size_t len;
	char *b = get_text(p, &len);
	put_text(p, b, len / 2);
	free(b);
	assert_int_equal(hone_events_read(p, &r, &e), HONE_ERR_FORMAT);
	assert_non_null(strstr(e.msg, "truncated .gz file"));
	assert_non_null(strstr(e.msg, "cut.events.gz' line "));
	assert_null(r);
}

static void bad_write(const tmpdir *t, const hone_event_stream *s,
                      const char *sub)
{
	char p[512];
	tmp_name(t, "w.events", p, sizeof p);
	hone_error e = { 0 };
	int rc = hone_events_write(p, s, &e);
	if (rc != HONE_ERR_INVALID || !strstr(e.msg, sub))
		print_error("got rc %d: %s\n", rc, e.msg);
	assert_int_equal(rc, HONE_ERR_INVALID);
	assert_non_null(strstr(e.msg, sub));
	assert_int_equal(access(p, F_OK), -1); /* nothing written */
}

static void test_write_errors(void **state)
{
	tmpdir *t = *state;
	hone_event ev[3] = { { 0, 1, 5 }, { 1, 2, 6 }, { 1, 3, 7 } };
	hone_event_stream s = { .n_inputs = 4, .n_ticks = 2, .n = 3, .ev = ev };
	char p[512];
	tmp_name(t, "ok.events", p, sizeof p);
	assert_int_equal(hone_events_write(p, &s, NULL), 0);

	ev[2].input = 4;
	bad_write(t, &s, "event 2 (tick 1 input 4 g 7): input >= n_inputs");
	ev[2].input = 3;
	ev[1].tick = 2;
	bad_write(t, &s, "tick >= n_ticks");
	ev[1].tick = 1;
	ev[0].g = 0;
	bad_write(t, &s, "g = 0");
	ev[0].g = 5;
	ev[0].tick = 1;
	ev[1].tick = 0;
	bad_write(t, &s, "event 1 (tick 0 input 2 g 6): ticks decrease");
	ev[0].tick = 0;
	ev[1].tick = 1;
	ev[2].input = 2;
	bad_write(t, &s, "duplicate event tick 1 input 2");
	ev[2].input = 3;
	s.n_inputs = 0;
	bad_write(t, &s, "n_inputs 0");
	s.n_inputs = 4;
	s.ev = NULL;
	bad_write(t, &s, "ev is NULL");
	s.ev = ev;

	hone_error e = { 0 };
	assert_int_equal(hone_events_write("/nonexistent/dir/x.events", &s, &e),
	                 HONE_ERR_IO);
	assert_non_null(strstr(e.msg, "'/nonexistent/dir/x.events'"));
	assert_non_null(strstr(e.msg, "cannot create"));
	assert_int_equal(hone_events_write(NULL, &s, &e), HONE_ERR_INVALID);
	/* a full disk: /dev/full accepts the open, fails the writes */
	if (access("/dev/full", W_OK) == 0) {
		hone_event_stream *big = make_stream(100000, 1000, 1000);
		assert_int_equal(hone_events_write("/dev/full", big, &e),
		                 HONE_ERR_IO);
		assert_non_null(strstr(e.msg, "write failed"));
		hone_events_free(big);
		assert_int_equal(access("/dev/full", W_OK), 0); /* still there */
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)
	const struct CMUnitTest tests[] = {
		T(test_roundtrip),     T(test_empty_stream), T(test_layout),
		T(test_long_lines),    T(test_bad_header),   T(test_bad_events),
		T(test_bad_files),     T(test_write_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
