/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event files (docs/event-file.md): a text format for arbitrary input
 * spike streams, "tick input g" per line after a "hone-events 1 ..."
 * header. Read through zlib, so a gzip-compressed file reads the same.
 *
 * Ticks must not decrease through the file, so a file can be produced and
 * consumed tick by tick; within a tick lines may come in any order, and
 * the reader sorts them by input. An (tick, input) pair given twice is an
 * error (semantics.md: an input appears at most once per tick).
 */
#include "hone_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define EVENTS_MAGIC "hone-events"
#define EVENTS_VERSION 1

void hone_events_free(hone_event_stream *s)
{
	if (!s)
		return;
	free(s->ev);
	free(s);
}

/* ---------------------------------------------------------- line reader */

/* Lines of any length over gzread, NUL bytes kept (and later refused as
 * garbage) rather than silently cutting a line short as gzgets would. */
typedef struct line_reader {
	gzFile f;
	const char *path;
	unsigned char buf[1 << 16];
	size_t pos, len;
	bool eof;
	char *line;
	size_t n, cap;
	long lineno;
} line_reader;

/* 1: a line is in r->line (r->n bytes, no newline); 0: end of file. */
static int lr_next(line_reader *r, hone_error *err)
{
	r->n = 0;
	bool any = false;
	for (;;) {
		if (r->pos == r->len) {
			if (r->eof)
				break;
			int got = gzread(r->f, r->buf, sizeof r->buf);
			if (got <= 0) {
				int zerr = Z_OK;
				const char *zmsg = gzerror(r->f, &zerr);
				if (zerr == Z_ERRNO)
					return hone_fail(err, HONE_ERR_IO,
					                 "file '%s' line %ld: read "
					                 "failed: %s",
					                 r->path, r->lineno + 1,
					                 strerror(errno));
				if (zerr == Z_BUF_ERROR)
					return hone_fail(err, HONE_ERR_FORMAT,
					                 "file '%s' line %ld: gzip stream "
					                 "ends early (truncated .gz file)",
					                 r->path, r->lineno + 1);
				if (zerr != Z_OK)
					return hone_fail(err, HONE_ERR_FORMAT,
					                 "file '%s' line %ld: corrupt gzip "
					                 "data: %s",
					                 r->path, r->lineno + 1, zmsg);
				r->eof = true;
				break;
			}
			r->pos = 0;
			r->len = (size_t)got;
		}
		any = true;
		const unsigned char *s = r->buf + r->pos;
		size_t avail = r->len - r->pos;
		const unsigned char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;
		if (r->n + take + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 256;
			while (cap < r->n + take + 1)
				cap *= 2;
			char *nb = realloc(r->line, cap);
			if (!nb)
				return hone_fail(err, HONE_ERR_NOMEM,
				                 "file '%s' line %ld: out of memory",
				                 r->path, r->lineno + 1);
			r->line = nb;
			r->cap = cap;
		}
		memcpy(r->line + r->n, s, take);
		r->n += take;
		r->pos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (!any)
		return 0;
	r->lineno++;
	if (r->n > 0 && r->line[r->n - 1] == '\r')
		r->n--; /* files written on Windows */
	r->line[r->n] = '\0';
	return 1;
}

/* ---------------------------------------------------------- tokenizing */

#define MAX_TOKENS 8

typedef struct tokens {
	int n;
	const char *s[MAX_TOKENS];
	size_t len[MAX_TOKENS];
	bool more; /* more than MAX_TOKENS */
} tokens;

/* Split on spaces and tabs; '#' starts a comment to the end of the line. */
static void tokenize(const char *line, size_t n, tokens *t)
{
	t->n = 0;
	t->more = false;
	size_t i = 0;
	while (i < n) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n || line[i] == '#')
			break;
		size_t start = i;
		while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '#')
			i++;
		if (t->n == MAX_TOKENS) {
			t->more = true;
			break;
		}
		t->s[t->n] = line + start;
		t->len[t->n] = i - start;
		t->n++;
	}
}

/* Unsigned decimal (digits only, no sign). Returns false if the token is
 * not one, or is larger than max (*too_big then tells which). */
static bool parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v,
                       bool *too_big)
{
	*too_big = false;
	if (len == 0)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (max - d) / 10) {
			/* keep checking the rest is digits: "12x" is garbage */
			for (size_t k = i + 1; k < len; k++)
				if (s[k] < '0' || s[k] > '9')
					return false;
			*too_big = true;
			return false;
		}
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* Printable excerpt of a token for messages (garbage may be binary). */
static void excerpt(char *dst, size_t cap, const char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
	}
	dst[o < cap ? o : cap - 1] = '\0';
}

/* --------------------------------------------------------------- header */

static int parse_header(const line_reader *r, const tokens *t,
                        hone_event_stream *s, hone_error *err)
{
	char ex[64];
	if (t->n < 1 || t->len[0] != strlen(EVENTS_MAGIC) ||
	    memcmp(t->s[0], EVENTS_MAGIC, t->len[0]) != 0) {
		excerpt(ex, sizeof ex, t->n ? t->s[0] : "", t->n ? t->len[0] : 0);
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: not an event file: expected "
		                 "the header '" EVENTS_MAGIC " 1 inputs=N "
		                 "ticks=T', found '%s'",
		                 r->path, r->lineno, ex);
	}
	uint64_t version;
	bool big;
	if (t->n < 2 || !parse_uint(t->s[1], t->len[1], UINT32_MAX, &version,
	                            &big))
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: header: missing version "
		                 "number after '" EVENTS_MAGIC "'",
		                 r->path, r->lineno);
	if (version != EVENTS_VERSION)
		return hone_fail(err, HONE_ERR_VERSION,
		                 "file '%s' line %ld: event file version %llu; "
		                 "this hone reads version %d",
		                 r->path, r->lineno, (unsigned long long)version,
		                 EVENTS_VERSION);
	bool have_inputs = false, have_ticks = false;
	for (int i = 2; i < t->n; i++) {
		const char *k = t->s[i];
		size_t len = t->len[i];
		const char *eq = memchr(k, '=', len);
		excerpt(ex, sizeof ex, k, len);
		if (!eq)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "file '%s' line %ld: header: '%s' is not "
			                 "key=value",
			                 r->path, r->lineno, ex);
		size_t klen = (size_t)(eq - k);
		const char *v = eq + 1;
		size_t vlen = len - klen - 1;
		bool *have;
		uint64_t max;
		const char *what;
		if (klen == 6 && memcmp(k, "inputs", 6) == 0) {
			have = &have_inputs;
			max = INT32_MAX;
			what = "inputs";
		} else if (klen == 5 && memcmp(k, "ticks", 5) == 0) {
			have = &have_ticks;
			max = UINT32_MAX;
			what = "ticks";
		} else {
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "file '%s' line %ld: header: unknown key in "
			                 "'%s' (version 1 has inputs= and ticks=)",
			                 r->path, r->lineno, ex);
		}
		if (*have)
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "file '%s' line %ld: header: %s given twice",
			                 r->path, r->lineno, what);
		uint64_t x;
		if (!parse_uint(v, vlen, max, &x, &big))
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "file '%s' line %ld: header: '%s': %s must "
			                 "be an integer 0..%llu",
			                 r->path, r->lineno, ex, what,
			                 (unsigned long long)max);
		*have = true;
		if (have == &have_inputs) {
			if (x == 0)
				return hone_fail(err, HONE_ERR_FORMAT,
				                 "file '%s' line %ld: header: inputs=0: "
				                 "a stream needs at least one input",
				                 r->path, r->lineno);
			s->n_inputs = (int32_t)x;
		} else {
			s->n_ticks = (uint32_t)x;
		}
	}
	if (t->more)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: header: too many fields",
		                 r->path, r->lineno);
	if (!have_inputs || !have_ticks)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: header: missing %s= (expected "
		                 "'" EVENTS_MAGIC " 1 inputs=N ticks=T')",
		                 r->path, r->lineno,
		                 !have_inputs ? "inputs" : "ticks");
	return 0;
}

/* ---------------------------------------------------------------- read */

/* An event with the line it came from, for duplicate messages. */
typedef struct lined_event {
	hone_event ev;
	long line;
} lined_event;

static int cmp_lined(const void *a, const void *b)
{
	const lined_event *x = a, *y = b;
	if (x->ev.tick != y->ev.tick)
		return x->ev.tick < y->ev.tick ? -1 : 1;
	if (x->ev.input != y->ev.input)
		return x->ev.input < y->ev.input ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static int parse_event(const line_reader *r, const tokens *t,
                       const hone_event_stream *s, uint32_t prev_tick,
                       bool have_prev, hone_event *ev, hone_error *err)
{
	static const char *const names[3] = { "tick", "input", "g" };
	char ex[64];
	if (t->n != 3 || t->more)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: %s%d fields, expected 3: "
		                 "'tick input g'",
		                 r->path, r->lineno, t->more ? "more than " : "",
		                 t->n);
	uint64_t v[3];
	for (int i = 0; i < 3; i++) {
		bool big;
		if (!parse_uint(t->s[i], t->len[i], UINT32_MAX, &v[i], &big)) {
			excerpt(ex, sizeof ex, t->s[i], t->len[i]);
			return hone_fail(err, HONE_ERR_FORMAT,
			                 "file '%s' line %ld: %s '%s' %s",
			                 r->path, r->lineno, names[i], ex,
			                 big ? "is too large" :
			                 "is not a non-negative decimal integer");
		}
	}
	if (v[0] >= s->n_ticks)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: tick %llu out of range: the "
		                 "header declares ticks=%u (valid 0..%lld)",
		                 r->path, r->lineno, (unsigned long long)v[0],
		                 s->n_ticks, (long long)s->n_ticks - 1);
	if (v[1] >= (uint64_t)s->n_inputs)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: input %llu out of range: the "
		                 "header declares inputs=%d (valid 0..%d)",
		                 r->path, r->lineno, (unsigned long long)v[1],
		                 (int)s->n_inputs, (int)s->n_inputs - 1);
	if (v[2] == 0)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: g 0: an input with g = 0 "
		                 "sends no event, leave the line out (g is 1..255)",
		                 r->path, r->lineno);
	if (v[2] > 255)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: g %llu out of range 1..255",
		                 r->path, r->lineno, (unsigned long long)v[2]);
	if (have_prev && v[0] < prev_tick)
		return hone_fail(err, HONE_ERR_FORMAT,
		                 "file '%s' line %ld: tick %llu after tick %u: "
		                 "ticks must not decrease through the file",
		                 r->path, r->lineno, (unsigned long long)v[0],
		                 prev_tick);
	ev->tick = (uint32_t)v[0];
	ev->input = (uint32_t)v[1];
	ev->g = (uint8_t)v[2];
	return 0;
}

int hone_events_read(const char *path, hone_event_stream **out, hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "events: out is NULL");
	*out = NULL;
	if (!path)
		return hone_fail(err, HONE_ERR_INVALID, "events: path is NULL");
	line_reader *r = calloc(1, sizeof *r);
	hone_event_stream *s = calloc(1, sizeof *s);
	lined_event *le = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (!r || !s) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "file '%s': out of memory",
		               path);
		goto out;
	}
	r->path = path;
	r->f = gzopen(path, "rb");
	if (!r->f) {
		rc = hone_fail(err, HONE_ERR_IO, "file '%s': cannot open: %s",
		               path, errno ? strerror(errno) : "out of memory");
		goto out;
	}

	bool have_header = false, have_prev = false;
	uint32_t prev_tick = 0;
	tokens t;
	for (;;) {
		rc = lr_next(r, err);
		if (rc <= 0)
			break;
		rc = 0;
		if (memchr(r->line, '\0', r->n)) {
			rc = hone_fail(err, HONE_ERR_FORMAT,
			               "file '%s' line %ld: NUL byte: not a text "
			               "file",
			               path, r->lineno);
			break;
		}
		tokenize(r->line, r->n, &t);
		if (t.n == 0)
			continue; /* blank or comment */
		if (!have_header) {
			rc = parse_header(r, &t, s, err);
			if (rc)
				break;
			have_header = true;
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			lined_event *nb = realloc(le, nc * sizeof *le);
			if (!nb) {
				rc = hone_fail(err, HONE_ERR_NOMEM,
				               "file '%s' line %ld: out of memory",
				               path, r->lineno);
				break;
			}
			le = nb;
			cap = nc;
		}
		rc = parse_event(r, &t, s, prev_tick, have_prev, &le[n].ev, err);
		if (rc)
			break;
		le[n].line = r->lineno;
		prev_tick = le[n].ev.tick;
		have_prev = true;
		n++;
	}
	if (rc)
		goto out;
	if (!have_header) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "file '%s' line %ld: no header: an event file "
		               "starts with '" EVENTS_MAGIC " 1 inputs=N "
		               "ticks=T'",
		               path, r->lineno + 1);
		goto out;
	}

	/* Ticks already ascend; sorting by (tick, input, line) puts the
	 * canonical order in place and duplicates next to each other. The
	 * duplicate reported is the one whose second line comes first. */
	if (n > 1)
		qsort(le, n, sizeof *le, cmp_lined);
	long dup_line = 0, first_line = 0;
	size_t dup_at = 0;
	for (size_t i = 1; i < n; i++) {
		if (le[i].ev.tick == le[i - 1].ev.tick &&
		    le[i].ev.input == le[i - 1].ev.input &&
		    (dup_line == 0 || le[i].line < dup_line)) {
			dup_line = le[i].line;
			first_line = le[i - 1].line;
			dup_at = i;
		}
	}
	if (dup_line) {
		rc = hone_fail(err, HONE_ERR_FORMAT,
		               "file '%s' line %ld: duplicate event: tick %u "
		               "input %u already given on line %ld (an input "
		               "appears at most once per tick)",
		               path, dup_line, le[dup_at].ev.tick,
		               le[dup_at].ev.input, first_line);
		goto out;
	}

	s->n = n;
	s->ev = malloc((n ? n : 1) * sizeof *s->ev);
	if (!s->ev) {
		rc = hone_fail(err, HONE_ERR_NOMEM, "file '%s': out of memory",
		               path);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		s->ev[i] = le[i].ev;
	*out = s;
	s = NULL;
out:
	if (r) {
		if (r->f)
			gzclose(r->f);
		free(r->line);
		free(r);
	}
	free(le);
	hone_events_free(s);
	return rc;
}

/* --------------------------------------------------------------- write */

static int cmp_event(const void *a, const void *b)
{
	const hone_event *x = a, *y = b;
	if (x->tick != y->tick)
		return x->tick < y->tick ? -1 : 1;
	return (x->input > y->input) - (x->input < y->input);
}

/* The same rules the reader enforces, so whatever is written reads back. */
static int check_stream(const hone_event_stream *s, const char *path,
                        hone_error *err)
{
	if (s->n_inputs <= 0)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "file '%s': n_inputs %d: must be >= 1", path,
		                 (int)s->n_inputs);
	if (s->n > 0 && !s->ev)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "file '%s': %zu events but ev is NULL", path, s->n);
	for (size_t i = 0; i < s->n; i++) {
		const hone_event *e = &s->ev[i];
		const char *why = NULL;
		if (e->tick >= s->n_ticks)
			why = "tick >= n_ticks";
		else if (e->input >= (uint32_t)s->n_inputs)
			why = "input >= n_inputs";
		else if (e->g == 0)
			why = "g = 0 (no event)";
		else if (i > 0 && e->tick < s->ev[i - 1].tick)
			why = "ticks decrease (events must be sorted by tick)";
		if (why)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "file '%s': event %zu (tick %u input %u g "
			                 "%u): %s",
			                 path, i, e->tick, e->input, e->g, why);
	}
	if (s->n < 2)
		return 0;
	hone_event *c = malloc(s->n * sizeof *c);
	if (!c)
		return hone_fail(err, HONE_ERR_NOMEM, "file '%s': out of memory",
		                 path);
	memcpy(c, s->ev, s->n * sizeof *c);
	qsort(c, s->n, sizeof *c, cmp_event);
	int rc = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (c[i].tick == c[i - 1].tick && c[i].input == c[i - 1].input) {
			rc = hone_fail(err, HONE_ERR_INVALID,
			               "file '%s': duplicate event tick %u input %u "
			               "(an input appears at most once per tick)",
			               path, c[i].tick, c[i].input);
			break;
		}
	}
	free(c);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int hone_events_write(const char *path, const hone_event_stream *s,
                      hone_error *err)
{
	if (!path || !s)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "events: path or stream is NULL");
	int rc = check_stream(s, path, err);
	if (rc)
		return rc;
	/* "wT" writes plain text through the same gz calls; a .gz name gets
	 * a compressed file, which the reader takes just the same. */
	gzFile f = gzopen(path, ends_with(path, ".gz") ? "wb6" : "wT");
	if (!f)
		return hone_fail(err, HONE_ERR_IO, "file '%s': cannot create: %s",
		                 path, errno ? strerror(errno) : "out of memory");
	bool ok = gzprintf(f, EVENTS_MAGIC " %d inputs=%d ticks=%u\n"
	                      "# tick input g\n",
	                   EVENTS_VERSION, (int)s->n_inputs, s->n_ticks) > 0;
	for (size_t i = 0; ok && i < s->n; i++)
		ok = gzprintf(f, "%u %u %u\n", s->ev[i].tick, s->ev[i].input,
		              s->ev[i].g) > 0;
	int zerr = Z_OK;
	const char *zmsg = ok ? "" : gzerror(f, &zerr);
	char msg[128];
	snprintf(msg, sizeof msg, "%s",
	         zerr == Z_ERRNO ? strerror(errno) : zmsg);
	int cr = gzclose(f);
	if (ok && cr != Z_OK) {
		ok = false;
		snprintf(msg, sizeof msg, "%s",
		         cr == Z_ERRNO ? strerror(errno) : "zlib error on close");
	}
	if (!ok) {
		/* No half-written file that looks valid; but only a regular
		 * file: a device such as /dev/full must stay. */
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			unlink(path);
		return hone_fail(err, HONE_ERR_IO, "file '%s': write failed: %s",
		                 path, msg);
	}
	return 0;
}
