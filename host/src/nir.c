/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIR in and out (docs/nir.md).
 *
 * Reading: the NIR graph under /node (nodes in /node/nodes/<name>, edges
 * in /node/edges as an (E,2) string array; NIR 0.1, 0.2 and 1.0 all use
 * this shape) must be one chain
 *     Input -> [Flatten] -> (Affine|Linear) -> (Threshold|IF|LIF) -> ... -> Output
 * and each weight node plus the spiking node after it becomes one
 * hone_layer. If the file also holds hone's own "/hone" group and it
 * describes this graph, its exact integers are taken; otherwise the float
 * graph is quantized as docs/semantics.md says.
 *
 * Writing: the NIR 0.2 layout real producers (Sinabs) write, plus "/hone".
 *
 * HDF5 prints its error stack on stderr by default; every entry point
 * silences that while it runs and restores the caller's handler, so a
 * damaged file gives one hone_error and no noise.
 */
#include "hone_internal.h"

#include <hdf5.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIR_WRITE_VERSION "0.2.0"
#define HONE_GROUP_FORMAT 1          /* /hone format_version this code reads/writes */
#define NIR_DEFAULT_DT 1e-3          /* seconds per tick when the file gives none */
#define NIR_DEFAULT_LIF_TICKS 8      /* ticks_per_sample of a float LIF network */
#define NIR_MAX_DIMS 8
#define NIR_MAX_ELEMS ((size_t)1 << 26)  /* 64 Mi values: far above any chip */
#define NIR_MAX_NODES 4096
#define NIR_NAME_MAX 256
#define NIR_TYPE_MAX 64

#if H5_VERSION_GE(1, 12, 0)
#define nir_vlen_reclaim(t, s, buf) H5Treclaim((t), (s), H5P_DEFAULT, (buf))
#else
#define nir_vlen_reclaim(t, s, buf) H5Dvlen_reclaim((t), (s), H5P_DEFAULT, (buf))
#endif

/* ------------------------------------------------ HDF5 error printing */

typedef struct {
	H5E_auto2_t func;
	void *data;
	bool saved;
} h5_quiet;

static void quiet_on(h5_quiet *q)
{
	q->func = NULL;
	q->data = NULL;
	q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
	if (q->saved)
		H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const h5_quiet *q)
{
	if (q->saved)
		H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* -------------------------------------------------- reading primitives */

/* A named value of a group: NIR writers store node parameters as datasets,
 * some tools as attributes; both are accepted. */
typedef struct {
	hid_t id;
	bool attr;
} h5_field;

/* 1 found, 0 absent, -1 unreadable, -2 it is a group (caller may look in). */
static int field_open(hid_t g, const char *name, h5_field *f)
{
	f->id = -1;
	f->attr = false;
	htri_t e = H5Lexists(g, name, H5P_DEFAULT);
	if (e < 0)
		return -1;
	if (e > 0) {
		hid_t o = H5Oopen(g, name, H5P_DEFAULT);
		if (o < 0)
			return -1;
		H5I_type_t t = H5Iget_type(o);
		if (t != H5I_DATASET) {
			H5Oclose(o);
			return t == H5I_GROUP ? -2 : -1;
		}
		f->id = o;
		return 1;
	}
	e = H5Aexists(g, name);
	if (e < 0)
		return -1;
	if (e == 0)
		return 0;
	f->id = H5Aopen(g, name, H5P_DEFAULT);
	f->attr = true;
	return f->id < 0 ? -1 : 1;
}

static void field_close(h5_field *f)
{
	if (f->id >= 0) {
		if (f->attr)
			H5Aclose(f->id);
		else
			H5Oclose(f->id);
	}
	f->id = -1;
}

static hid_t field_type(const h5_field *f)
{
	return f->attr ? H5Aget_type(f->id) : H5Dget_type(f->id);
}

static hid_t field_space(const h5_field *f)
{
	return f->attr ? H5Aget_space(f->id) : H5Dget_space(f->id);
}

static herr_t field_read(const h5_field *f, hid_t mem, void *buf)
{
	if (f->attr)
		return H5Aread(f->id, mem, buf);
	return H5Dread(f->id, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

/* Shape of a field: nd dims (0 = scalar), element count n. */
typedef struct {
	int nd;
	hsize_t dims[NIR_MAX_DIMS];
	size_t n;
} h5_shape;

static int field_shape(const h5_field *f, h5_shape *sh, const char **why)
{
	hid_t s = field_space(f);
	int rc = -1;
	memset(sh, 0, sizeof *sh);
	if (s < 0) {
		*why = "cannot be read (damaged file?)";
		return -1;
	}
	H5S_class_t c = H5Sget_simple_extent_type(s);
	if (c == H5S_SCALAR) {
		sh->n = 1;
		rc = 0;
	} else if (c == H5S_SIMPLE) {
		int nd = H5Sget_simple_extent_ndims(s);
		if (nd < 0 || nd > NIR_MAX_DIMS) {
			*why = "has too many dimensions";
			goto out;
		}
		if (H5Sget_simple_extent_dims(s, sh->dims, NULL) < 0) {
			*why = "cannot be read (damaged file?)";
			goto out;
		}
		sh->nd = nd;
		sh->n = 1;
		for (int i = 0; i < nd; i++) {
			if (sh->dims[i] > NIR_MAX_ELEMS || sh->n * sh->dims[i] > NIR_MAX_ELEMS) {
				*why = "is too large";
				goto out;
			}
			sh->n *= (size_t)sh->dims[i];
		}
		rc = 0;
	} else {
		*why = "has no dataspace";
	}
out:
	H5Sclose(s);
	return rc;
}

/* A numeric array read as doubles, with its shape. */
typedef struct {
	double *v;
	h5_shape sh;
} nir_arr;

static void arr_free(nir_arr *a)
{
	free(a->v);
	a->v = NULL;
}

/* 0, or HONE_ERR_FORMAT / HONE_ERR_NOMEM with *why. */
static int field_read_num(const h5_field *f, nir_arr *a, const char **why)
{
	memset(a, 0, sizeof *a);
	hid_t t = field_type(f);
	if (t < 0) {
		*why = "cannot be read (damaged file?)";
		return HONE_ERR_FORMAT;
	}
	H5T_class_t c = H5Tget_class(t);
	H5Tclose(t);
	if (c != H5T_INTEGER && c != H5T_FLOAT) {
		*why = "is not numeric";
		return HONE_ERR_FORMAT;
	}
	if (field_shape(f, &a->sh, why))
		return HONE_ERR_FORMAT;
	if (a->sh.n == 0) {
		*why = "is empty";
		return HONE_ERR_FORMAT;
	}
	a->v = malloc(a->sh.n * sizeof *a->v);
	if (!a->v) {
		*why = "does not fit in memory";
		return HONE_ERR_NOMEM;
	}
	if (field_read(f, H5T_NATIVE_DOUBLE, a->v) < 0) {
		arr_free(a);
		*why = "cannot be read (damaged file?)";
		return HONE_ERR_FORMAT;
	}
	return 0;
}

/* Read n_str strings (any shape) into freshly allocated C strings.
 * Variable- and fixed-length strings are both in use by NIR writers. */
static int field_read_strs(const h5_field *f, char ***out, size_t *n_out,
                           h5_shape *sh, const char **why)
{
	*out = NULL;
	*n_out = 0;
	hid_t t = field_type(f), m = -1, s = -1;
	int rc = HONE_ERR_FORMAT;
	char **res = NULL;
	if (t < 0) {
		*why = "cannot be read (damaged file?)";
		return rc;
	}
	if (H5Tget_class(t) != H5T_STRING) {
		*why = "is not a string";
		goto out;
	}
	if (field_shape(f, sh, why))
		goto out;
	size_t n = sh->n;
	res = calloc(n ? n : 1, sizeof *res);
	if (!res) {
		rc = HONE_ERR_NOMEM;
		*why = "does not fit in memory";
		goto out;
	}
	m = H5Tcopy(H5T_C_S1);
	if (m < 0)
		goto unreadable;
	H5Tset_cset(m, H5Tget_cset(t));
	if (H5Tis_variable_str(t) > 0) {
		char **buf = calloc(n ? n : 1, sizeof *buf);
		if (!buf) {
			rc = HONE_ERR_NOMEM;
			*why = "does not fit in memory";
			goto out;
		}
		H5Tset_size(m, H5T_VARIABLE);
		if (n && field_read(f, m, buf) < 0) {
			free(buf);
			goto unreadable;
		}
		bool nomem = false;
		for (size_t i = 0; i < n; i++) {
			res[i] = strdup(buf[i] ? buf[i] : "");
			nomem |= !res[i];
		}
		s = field_space(f);
		if (n && s >= 0)
			nir_vlen_reclaim(m, s, buf);
		free(buf);
		if (nomem) {
			rc = HONE_ERR_NOMEM;
			*why = "does not fit in memory";
			goto out;
		}
	} else {
		size_t len = H5Tget_size(t);
		if (len == 0 || len > 1 << 20)
			goto unreadable;
		/* One byte more than the file's size: a null-padded string that
		 * fills its field still gets its terminator. */
		H5Tset_size(m, len + 1);
		H5Tset_strpad(m, H5T_STR_NULLTERM);
		char *buf = calloc(n ? n : 1, len + 1);
		if (!buf) {
			rc = HONE_ERR_NOMEM;
			*why = "does not fit in memory";
			goto out;
		}
		if (n && field_read(f, m, buf) < 0) {
			free(buf);
			goto unreadable;
		}
		bool nomem = false;
		for (size_t i = 0; i < n; i++) {
			res[i] = strndup(buf + i * (len + 1), len);
			nomem |= !res[i];
		}
		free(buf);
		if (nomem) {
			rc = HONE_ERR_NOMEM;
			*why = "does not fit in memory";
			goto out;
		}
	}
	*out = res;
	*n_out = n;
	res = NULL;
	rc = 0;
	goto out;
unreadable:
	*why = "cannot be read (damaged file?)";
out:
	if (res) {
		for (size_t i = 0; i < sh->n; i++)
			free(res[i]);
		free(res);
	}
	if (s >= 0)
		H5Sclose(s);
	if (m >= 0)
		H5Tclose(m);
	H5Tclose(t);
	return rc;
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* One string value (scalar or one-element array) into buf. 1 found, 0
 * absent, <0 error code with *why. */
static int read_str(hid_t g, const char *name, char *buf, size_t size, const char **why)
{
	h5_field f;
	int e = field_open(g, name, &f);
	if (e == 0)
		return 0;
	if (e < 0) {
		*why = e == -2 ? "is a group, expected a string" : "cannot be read (damaged file?)";
		return HONE_ERR_FORMAT;
	}
	char **v = NULL;
	size_t n = 0;
	h5_shape sh;
	int rc = field_read_strs(&f, &v, &n, &sh, why);
	field_close(&f);
	if (rc)
		return rc;
	if (n != 1) {
		strs_free(v, n);
		*why = "is not a single string";
		return HONE_ERR_FORMAT;
	}
	if (strlen(v[0]) >= size) {
		strs_free(v, n);
		*why = "is too long";
		return HONE_ERR_FORMAT;
	}
	strcpy(buf, v[0]);
	strs_free(v, n);
	return 1;
}

static bool is_group(hid_t g, const char *name)
{
	if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
		return false;
	hid_t o = H5Oopen(g, name, H5P_DEFAULT);
	if (o < 0)
		return false;
	bool r = H5Iget_type(o) == H5I_GROUP;
	H5Oclose(o);
	return r;
}

/* ------------------------------------------------------- the graph */

typedef struct {
	char *name;
	char type[NIR_TYPE_MAX];
	size_t n_succ, n_pred;
	size_t succ[2], pred[2]; /* the first two, to name them in errors */
} nir_node;

/* One layer of the float view, after the neuron model's input gain is
 * folded in: the integer contract is this, divided by the scale. */
typedef struct {
	size_t wnode, nnode;
	int32_t n_in, n_out;
	double *w;      /* [n_out][n_in] */
	double *b;      /* [n_out] */
	double *th;     /* [n_out] */
	uint8_t carry, leak_shift, reset;
} fl_layer;

typedef struct {
	const char *path;
	hone_error *err;
	hid_t file, graph, nodes;
	nir_node *node;
	size_t n_node;
	size_t *chain;
	size_t n_chain;
	double dt;
	/* results of the semantic pass */
	fl_layer *fl;
	int32_t n_fl;
	int32_t n_inputs;
	int32_t in_shape[3];
} rd;

static int node_fail(rd *r, int code, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int node_fail(rd *r, int code, size_t i, const char *fmt, ...)
{
	char msg[HONE_ERROR_MSG_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return hone_fail(r->err, code, "node '%s' (%s): %s", r->node[i].name,
	                 r->node[i].type, msg);
}

static int load_nodes(rd *r)
{
	H5G_info_t gi;
	if (H5Gget_info(r->nodes, &gi) < 0)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': /node/nodes cannot be read", r->path);
	if (gi.nlinks == 0)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': the NIR graph has no nodes", r->path);
	if (gi.nlinks > NIR_MAX_NODES)
		return hone_fail(r->err, HONE_ERR_UNSUPPORTED, "'%s': %llu nodes, more than hone reads (%d)",
		                 r->path, (unsigned long long)gi.nlinks, NIR_MAX_NODES);
	r->node = calloc((size_t)gi.nlinks, sizeof *r->node);
	if (!r->node)
		return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
	for (hsize_t i = 0; i < gi.nlinks; i++) {
		ssize_t len = H5Lget_name_by_idx(r->nodes, ".", H5_INDEX_NAME, H5_ITER_INC, i,
		                                 NULL, 0, H5P_DEFAULT);
		if (len <= 0 || len >= NIR_NAME_MAX)
			return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': node %llu of /node/nodes has %s name",
			                 r->path, (unsigned long long)i, len <= 0 ? "an unreadable" : "a too long");
		nir_node *n = &r->node[r->n_node];
		n->name = malloc((size_t)len + 1);
		if (!n->name)
			return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
		r->n_node++;
		strcpy(n->type, "?");
		if (H5Lget_name_by_idx(r->nodes, ".", H5_INDEX_NAME, H5_ITER_INC, i, n->name,
		                       (size_t)len + 1, H5P_DEFAULT) < 0)
			return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': node %llu of /node/nodes has an unreadable name",
			                 r->path, (unsigned long long)i);
		if (!is_group(r->nodes, n->name))
			return node_fail(r, HONE_ERR_FORMAT, r->n_node - 1,
			                 "/node/nodes/%s is not a group", n->name);
		hid_t g = H5Gopen2(r->nodes, n->name, H5P_DEFAULT);
		if (g < 0)
			return node_fail(r, HONE_ERR_FORMAT, r->n_node - 1, "cannot be opened (damaged file?)");
		const char *why = NULL;
		char type[NIR_TYPE_MAX];
		int e = read_str(g, "type", type, sizeof type, &why);
		H5Gclose(g);
		if (e == 0)
			return node_fail(r, HONE_ERR_FORMAT, r->n_node - 1, "has no \"type\"");
		if (e < 0)
			return node_fail(r, e, r->n_node - 1, "\"type\" %s", why);
		strcpy(n->type, type);
	}
	return 0;
}

static size_t find_node(const rd *r, const char *name)
{
	for (size_t i = 0; i < r->n_node; i++)
		if (!strcmp(r->node[i].name, name))
			return i;
	return SIZE_MAX;
}

static int load_edges(rd *r)
{
	h5_field f;
	int e = field_open(r->graph, "edges", &f);
	if (e == 0)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': the NIR graph has no /node/edges", r->path);
	if (e < 0)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': /node/edges cannot be read", r->path);
	char **v = NULL;
	size_t n = 0;
	h5_shape sh;
	const char *why = "";
	int rc = field_read_strs(&f, &v, &n, &sh, &why);
	field_close(&f);
	if (rc)
		return hone_fail(r->err, rc, "'%s': /node/edges %s", r->path, why);
	/* (E,2): one row per edge, source then destination. */
	if (!(sh.nd == 2 && sh.dims[1] == 2) && !(sh.nd == 1 && sh.dims[0] == 2)) {
		strs_free(v, n);
		return hone_fail(r->err, HONE_ERR_FORMAT,
		                 "'%s': /node/edges must be an (E,2) array of node names", r->path);
	}
	for (size_t k = 0; k + 1 < n; k += 2) {
		size_t a = find_node(r, v[k]), b = find_node(r, v[k + 1]);
		if (a == SIZE_MAX || b == SIZE_MAX) {
			rc = hone_fail(r->err, HONE_ERR_FORMAT,
			               "'%s': edge %zu ('%s' -> '%s') names node '%s', which is not in /node/nodes",
			               r->path, k / 2, v[k], v[k + 1], a == SIZE_MAX ? v[k] : v[k + 1]);
			break;
		}
		nir_node *na = &r->node[a], *nb = &r->node[b];
		bool dup = false;
		for (size_t j = 0; j < na->n_succ && j < 2; j++)
			dup |= na->succ[j] == b;
		if (dup) /* a repeated edge adds nothing */
			continue;
		if (na->n_succ < 2)
			na->succ[na->n_succ] = b;
		na->n_succ++;
		if (nb->n_pred < 2)
			nb->pred[nb->n_pred] = a;
		nb->n_pred++;
	}
	strs_free(v, n);
	return rc;
}

/* The chain from the Input node to the Output node, or an error naming the
 * node where the graph stops being one. */
static int walk(rd *r)
{
	size_t in = SIZE_MAX, out = SIZE_MAX;
	for (size_t i = 0; i < r->n_node; i++) {
		if (!strcmp(r->node[i].type, "Input")) {
			if (in != SIZE_MAX)
				return node_fail(r, HONE_ERR_UNSUPPORTED, i,
				                 "a second Input node (the first is '%s'); hone networks have one input",
				                 r->node[in].name);
			in = i;
		} else if (!strcmp(r->node[i].type, "Output")) {
			if (out != SIZE_MAX)
				return node_fail(r, HONE_ERR_UNSUPPORTED, i,
				                 "a second Output node (the first is '%s'); hone networks have one output",
				                 r->node[out].name);
			out = i;
		}
	}
	if (in == SIZE_MAX)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': the NIR graph has no Input node", r->path);
	if (out == SIZE_MAX)
		return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': the NIR graph has no Output node", r->path);
	bool *seen = calloc(r->n_node, sizeof *seen);
	r->chain = malloc(r->n_node * sizeof *r->chain);
	if (!seen || !r->chain) {
		free(seen);
		return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
	}
	int rc = 0;
	size_t cur = in;
	for (;;) {
		nir_node *c = &r->node[cur];
		seen[cur] = true;
		r->chain[r->n_chain++] = cur;
		if (c->n_pred > 1) {
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, cur,
			               "merges the outputs of '%s' and '%s'; hone runs single chains",
			               r->node[c->pred[0]].name, r->node[c->pred[1]].name);
			break;
		}
		if (c->n_succ > 1) {
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, cur,
			               "branches to '%s' and '%s'; hone runs single chains",
			               r->node[c->succ[0]].name, r->node[c->succ[1]].name);
			break;
		}
		if (cur == out) {
			if (c->n_succ)
				rc = node_fail(r, HONE_ERR_FORMAT, cur, "the Output node has an outgoing edge");
			break;
		}
		if (c->n_succ == 0) {
			rc = node_fail(r, HONE_ERR_FORMAT, cur,
			               "has no outgoing edge, so the chain from '%s' never reaches the output '%s' (missing edge?)",
			               r->node[in].name, r->node[out].name);
			break;
		}
		if (seen[c->succ[0]]) {
			rc = node_fail(r, HONE_ERR_FORMAT, cur, "its edge to '%s' closes a cycle",
			               r->node[c->succ[0]].name);
			break;
		}
		cur = c->succ[0];
	}
	for (size_t i = 0; !rc && i < r->n_node; i++)
		if (!seen[i])
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
			               "is not on the chain from '%s' to '%s'; hone runs single chains",
			               r->node[in].name, r->node[out].name);
	free(seen);
	return rc;
}

/* ------------------------------------------------- the semantic pass */

/* A numeric parameter of node i. required: absent is a format error;
 * otherwise returns 1 when absent. want: 0 = any count, else the count
 * it must have (a single value is broadcast to all want elements, as
 * numpy would). Non-finite values are format errors. */
static int node_num(rd *r, size_t i, hid_t g, const char *name, bool required,
                    size_t want, nir_arr *a)
{
	memset(a, 0, sizeof *a);
	h5_field f;
	int e = field_open(g, name, &f);
	if (e == 0) {
		if (required)
			return node_fail(r, HONE_ERR_FORMAT, i, "has no \"%s\"", name);
		return 1;
	}
	if (e < 0)
		return node_fail(r, HONE_ERR_FORMAT, i, "\"%s\" %s", name,
		                 e == -2 ? "is a group, expected an array" : "cannot be read (damaged file?)");
	const char *why = "";
	int rc = field_read_num(&f, a, &why);
	field_close(&f);
	if (rc)
		return node_fail(r, rc, i, "\"%s\" %s", name, why);
	for (size_t k = 0; k < a->sh.n; k++)
		if (!isfinite(a->v[k])) {
			rc = node_fail(r, HONE_ERR_FORMAT, i, "%s[%zu] is %g", name, k, a->v[k]);
			arr_free(a);
			return rc;
		}
	if (want && a->sh.n != want) {
		if (a->sh.n != 1) {
			rc = node_fail(r, HONE_ERR_FORMAT, i, "\"%s\" has %zu values, expected %zu (one per neuron)",
			               name, a->sh.n, want);
			arr_free(a);
			return rc;
		}
		double x = a->v[0];
		double *v = realloc(a->v, want * sizeof *v);
		if (!v) {
			arr_free(a);
			return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
		}
		for (size_t k = 0; k < want; k++)
			v[k] = x;
		a->v = v;
		a->sh.n = want;
		a->sh.nd = 1;
		a->sh.dims[0] = want;
	}
	return 0;
}

/* A shape: integer dims >= 1 (Input "shape", Flatten "input_type", ...).
 * NIR 1.0 nests these as <name>/<inner>; both are read. */
static int node_shape(rd *r, size_t i, hid_t g, const char *name, const char *inner,
                      bool required, h5_shape *out)
{
	memset(out, 0, sizeof *out);
	nir_arr a;
	int rc;
	if (is_group(g, name)) {
		hid_t s = H5Gopen2(g, name, H5P_DEFAULT);
		if (s < 0)
			return node_fail(r, HONE_ERR_FORMAT, i, "\"%s\" cannot be read", name);
		rc = node_num(r, i, s, inner, required, 0, &a);
		H5Gclose(s);
	} else {
		rc = node_num(r, i, g, name, required, 0, &a);
	}
	if (rc)
		return rc;
	if (a.sh.nd > 1 || a.sh.n > NIR_MAX_DIMS) {
		arr_free(&a);
		return node_fail(r, HONE_ERR_FORMAT, i, "\"%s\" is not a list of at most %d dimensions",
		                 name, NIR_MAX_DIMS);
	}
	out->nd = (int)a.sh.n;
	out->n = 1;
	for (size_t k = 0; k < a.sh.n; k++) {
		double d = a.v[k];
		if (d < 1 || d != floor(d) || d > (double)NIR_MAX_ELEMS ||
		    out->n * (size_t)d > NIR_MAX_ELEMS) {
			arr_free(&a);
			return node_fail(r, HONE_ERR_FORMAT, i, "\"%s\" has a bad dimension %g", name, d);
		}
		out->dims[k] = (hsize_t)d;
		out->n *= (size_t)d;
	}
	arr_free(&a);
	return 0;
}

static void shape_str(const h5_shape *s, char *buf, size_t size)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, size - o, "(");
	for (int k = 0; k < s->nd && o < size; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%llu", k ? "," : "",
		                      (unsigned long long)s->dims[k]);
	if (o < size)
		snprintf(buf + o, size - o, ")");
}

static const struct {
	const char *type, *why;
} refused_types[] = {
	{"Conv1d", "convolutions are not supported by hone's dense cores"},
	{"Conv2d", "convolutions are not supported by hone's dense cores"},
	{"SumPool2d", "pooling is not supported by hone's dense cores"},
	{"AvgPool2d", "pooling is not supported by hone's dense cores"},
	{"CubaLIF", "current-based synapses (tau_syn) have no counterpart in hone's neurons"},
	{"CubaLI", "current-based synapses (tau_syn) have no counterpart in hone's neurons"},
	{"LI", "a non-spiking leaky integrator: every hone layer must emit spikes"},
	{"I", "a non-spiking integrator: every hone layer must emit spikes"},
	{"Scale", "element-wise scaling is not supported (fold it into the Affine weights)"},
	{"Delay", "synaptic delays are not supported"},
	{"NIRGraph", "nested graphs are not supported"},
};

static void fl_free(fl_layer *l)
{
	free(l->w);
	free(l->b);
	free(l->th);
}

/* The reset of a spiking node: hone's writer records reset-by-subtraction
 * in the node's NIR metadata (NIR itself only knows v_reset). */
static bool reset_subtract(hid_t g)
{
	if (!is_group(g, "metadata"))
		return false;
	hid_t m = H5Gopen2(g, "metadata", H5P_DEFAULT);
	if (m < 0)
		return false;
	char v[32];
	const char *why;
	bool sub = read_str(m, "hone_reset", v, sizeof v, &why) == 1 && !strcmp(v, "subtract");
	H5Gclose(m);
	return sub;
}

/* Read a weight node (Affine/Linear) into l: its float weights and bias. */
static int read_weight_node(rd *r, size_t i, hid_t g, const h5_shape *in_sh,
                            size_t prev, fl_layer *l)
{
	bool affine = !strcmp(r->node[i].type, "Affine");
	nir_arr w, b;
	int rc = node_num(r, i, g, "weight", true, 0, &w);
	if (rc)
		return rc;
	if (w.sh.nd != 2) {
		arr_free(&w);
		return node_fail(r, HONE_ERR_FORMAT, i, "weight has %d dimensions, expected 2 (outputs x inputs)",
		                 w.sh.nd);
	}
	size_t n_out = (size_t)w.sh.dims[0], n_in = (size_t)w.sh.dims[1];
	if (n_in != in_sh->n) {
		char s[128];
		shape_str(in_sh, s, sizeof s);
		if (in_sh->nd > 1 && n_in == in_sh->dims[in_sh->nd - 1])
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
			               "applies to the last axis of the %s output of '%s'; hone needs a Flatten before it",
			               s, r->node[prev].name);
		else
			rc = node_fail(r, HONE_ERR_FORMAT, i,
			               "weight is %zux%zu (outputs x inputs) but '%s' gives it %zu values%s%s",
			               n_out, n_in, r->node[prev].name, in_sh->n, in_sh->nd > 1 ? " " : "",
			               in_sh->nd > 1 ? s : "");
		arr_free(&w);
		return rc;
	}
	if (n_out > INT32_MAX || n_in > INT32_MAX) {
		arr_free(&w);
		return node_fail(r, HONE_ERR_UNSUPPORTED, i, "weight is too large");
	}
	if (affine) {
		rc = node_num(r, i, g, "bias", true, n_out, &b);
		if (rc) {
			arr_free(&w);
			return rc;
		}
	} else {
		b.v = calloc(n_out, sizeof *b.v);
		if (!b.v) {
			arr_free(&w);
			return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
		}
	}
	l->wnode = i;
	l->n_in = (int32_t)n_in;
	l->n_out = (int32_t)n_out;
	l->w = w.v;
	l->b = b.v;
	return 0;
}

/* Read the spiking node after a weight node and fold its input gain into
 * the layer (docs/nir.md, "Neuron models"). */
static int read_neuron_node(rd *r, size_t i, hid_t g, fl_layer *l)
{
	const char *type = r->node[i].type;
	size_t n = (size_t)l->n_out;
	nir_arr th = {0}, rr = {0}, tau = {0}, vl = {0}, vr = {0};
	int rc = 0;
	l->nnode = i;
	if (!strcmp(type, "Threshold")) {
		if ((rc = node_num(r, i, g, "threshold", true, n, &th)))
			goto out;
		l->carry = HONE_CARRY_NONE;
		l->th = th.v;
		th.v = NULL;
		return 0;
	}
	bool lif = !strcmp(type, "LIF");
	if ((rc = node_num(r, i, g, "v_threshold", true, n, &th)) ||
	    (rc = node_num(r, i, g, "r", true, n, &rr)))
		goto out;
	if (lif && ((rc = node_num(r, i, g, "tau", true, n, &tau)) ||
	            (rc = node_num(r, i, g, "v_leak", true, n, &vl))))
		goto out;
	rc = node_num(r, i, g, "v_reset", false, n, &vr);
	if (rc < 0)
		goto out;
	rc = 0;
	for (size_t j = 0; vr.v && j < n; j++)
		if (vr.v[j] != 0) {
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
			               "v_reset[%zu] is %g; hone resets to 0 (or subtracts the threshold)", j, vr.v[j]);
			goto out;
		}
	for (size_t j = 0; j < n; j++)
		if (rr.v[j] <= 0) {
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, i, "r[%zu] is %g; hone needs a positive r", j, rr.v[j]);
			goto out;
		}
	l->carry = HONE_CARRY_LIF;
	l->leak_shift = 0;
	l->reset = reset_subtract(g) ? HONE_RESET_SUBTRACT : HONE_RESET_ZERO;
	if (!lif) {
		/* IF: one tick is one unit step, input gain r. */
		for (size_t j = 0; j < n; j++) {
			for (int32_t k = 0; k < l->n_in; k++)
				l->w[j * (size_t)l->n_in + (size_t)k] *= rr.v[j];
			l->b[j] *= rr.v[j];
		}
	} else {
		/* LIF: forward Euler with step dt,
		 *   v += (dt/tau)(v_leak - v) + (dt/tau) r I,
		 * so the input gain is r dt/tau, v_leak becomes a per-tick bias
		 * (dt/tau) v_leak, and the leak fraction dt/tau becomes 2^-k. */
		int k0 = -1;
		for (size_t j = 0; j < n; j++) {
			if (tau.v[j] <= 0) {
				rc = node_fail(r, HONE_ERR_FORMAT, i, "tau[%zu] is %g, not positive", j, tau.v[j]);
				goto out;
			}
			double kf = round(log2(tau.v[j] / r->dt));
			int k = kf < 0 ? 0 : kf > 15 ? 15 : (int)kf;
			if (k0 >= 0 && k != k0) {
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
				               "tau differs between neurons (tau[0] = %g s gives leak shift %d, tau[%zu] = %g s gives %d at dt = %g s); hone has one leak per layer",
				               tau.v[0], k0, j, tau.v[j], k, r->dt);
				goto out;
			}
			k0 = k;
			double alpha = r->dt / tau.v[j], gain = alpha * rr.v[j];
			for (int32_t c = 0; c < l->n_in; c++)
				l->w[j * (size_t)l->n_in + (size_t)c] *= gain;
			l->b[j] = l->b[j] * gain + alpha * vl.v[j];
		}
		if (k0 == 0) {
			/* tau <= ~1.4 dt: the neuron forgets everything each tick,
			 * which is hone's no-carry (Whetstone) mode; hone's k = 0
			 * would instead mean no leak at all. */
			l->carry = HONE_CARRY_NONE;
			l->reset = HONE_RESET_ZERO;
		} else {
			l->leak_shift = (uint8_t)k0;
		}
	}
	l->th = th.v;
	th.v = NULL;
out:
	arr_free(&th);
	arr_free(&rr);
	arr_free(&tau);
	arr_free(&vl);
	arr_free(&vr);
	return rc;
}

static int semantic_pass(rd *r)
{
	r->fl = calloc(r->n_chain, sizeof *r->fl);
	if (!r->fl)
		return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
	h5_shape cur = {0};
	size_t prev = 0;
	bool pending = false; /* a weight node waiting for its spiking node */
	int rc = 0;
	for (size_t c = 0; c < r->n_chain && !rc; c++) {
		size_t i = r->chain[c];
		const char *type = r->node[i].type;
		hid_t g = H5Gopen2(r->nodes, r->node[i].name, H5P_DEFAULT);
		if (g < 0) {
			rc = node_fail(r, HONE_ERR_FORMAT, i, "cannot be opened (damaged file?)");
			break;
		}
		if (c == 0) {
			/* walk() starts at the Input node. */
			rc = node_shape(r, i, g, "shape", "input", false, &cur);
			if (rc == 1)
				rc = node_shape(r, i, g, "input_type", "input", true, &cur);
			if (!rc && cur.n > INT32_MAX)
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, i, "%zu inputs is too many", cur.n);
			if (!rc) {
				h5_shape s = cur;
				/* (1,C,H,W) and the like: leading unit axes carry nothing. */
				while (s.nd > 3 && s.dims[0] == 1) {
					memmove(s.dims, s.dims + 1, (size_t)(s.nd - 1) * sizeof s.dims[0]);
					s.nd--;
				}
				for (int k = 0; k < 3; k++)
					r->in_shape[k] = (s.nd <= 3 && k < s.nd) ? (int32_t)s.dims[k] : 0;
				r->n_inputs = (int32_t)cur.n;
			}
		} else if (!strcmp(type, "Flatten") || !strcmp(type, "Identity")) {
			h5_shape s;
			rc = node_shape(r, i, g, "input_type", "input", false, &s);
			if (rc == 1)
				rc = 0;
			else if (!rc && s.n != cur.n) {
				char a[128], b[128];
				shape_str(&s, a, sizeof a);
				shape_str(&cur, b, sizeof b);
				rc = node_fail(r, HONE_ERR_FORMAT, i, "input_type %s does not match the %s output of '%s'",
				               a, b, r->node[prev].name);
			}
			if (!rc && !strcmp(type, "Flatten")) {
				cur.nd = 1;
				cur.dims[0] = cur.n;
			}
		} else if (!strcmp(type, "Affine") || !strcmp(type, "Linear")) {
			if (pending) {
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
				               "follows the weight node '%s' directly; hone needs a spiking node (Threshold, IF, LIF) after every Affine/Linear",
				               r->node[r->fl[r->n_fl].wnode].name);
			} else {
				rc = read_weight_node(r, i, g, &cur, prev, &r->fl[r->n_fl]);
				pending = !rc;
			}
		} else if (!strcmp(type, "Threshold") || !strcmp(type, "IF") || !strcmp(type, "LIF")) {
			if (!pending) {
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
				               "is not preceded by an Affine or Linear node; a hone layer is weights followed by spiking neurons");
			} else {
				/* Count the layer before reading it so that its arrays
				 * are freed on every path. */
				fl_layer *l = &r->fl[r->n_fl++];
				rc = read_neuron_node(r, i, g, l);
				pending = false;
				cur.nd = 1;
				cur.n = (size_t)l->n_out;
				cur.dims[0] = cur.n;
			}
		} else if (!strcmp(type, "Output")) {
			if (pending) {
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, r->fl[r->n_fl].wnode,
				               "the last weight node must be followed by a spiking node (Threshold, IF or LIF), not by the output");
			} else if (r->n_fl == 0) {
				rc = node_fail(r, HONE_ERR_UNSUPPORTED, i,
				               "the graph has no Affine/Linear + spiking layer");
			} else {
				h5_shape s;
				rc = node_shape(r, i, g, "shape", "output", false, &s);
				if (rc == 1)
					rc = node_shape(r, i, g, "output_type", "output", false, &s);
				if (rc == 1)
					rc = 0;
				else if (!rc && s.n != cur.n)
					rc = node_fail(r, HONE_ERR_FORMAT, i,
					               "shape has %zu values but '%s' gives it %zu",
					               s.n, r->node[prev].name, cur.n);
			}
		} else {
			const char *why = "an unknown NIR node type";
			for (size_t k = 0; k < sizeof refused_types / sizeof refused_types[0]; k++)
				if (!strcmp(type, refused_types[k].type))
					why = refused_types[k].why;
			rc = node_fail(r, HONE_ERR_UNSUPPORTED, i, "%s", why);
		}
		H5Gclose(g);
		prev = i;
	}
	if (pending) /* an unfinished layer still owns its arrays */
		r->n_fl++;
	return rc;
}

/* ------------------------------------------------------ quantization */

static int quantize(rd *r, int wbits, int gbits, hone_net **out)
{
	int32_t *sizes = malloc(((size_t)r->n_fl + 1) * sizeof *sizes);
	if (!sizes)
		return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
	sizes[0] = r->n_inputs;
	for (int32_t l = 0; l < r->n_fl; l++)
		sizes[l + 1] = r->fl[l].n_out;
	hone_net *net = hone_net_new(r->n_fl, sizes);
	free(sizes);
	if (!net)
		return hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
	net->input_bits = (uint8_t)gbits;
	net->weight_bits = (uint8_t)wbits;
	memcpy(net->in_shape, r->in_shape, sizeof net->in_shape);
	bool any_lif = false;
	const double wmax = (double)((1 << (wbits - 1)) - 1), wmin = -wmax - 1;
	for (int32_t l = 0; l < r->n_fl; l++) {
		const fl_layer *f = &r->fl[l];
		hone_layer *h = &net->layers[l];
		size_t nw = (size_t)f->n_in * (size_t)f->n_out;
		snprintf(h->name, sizeof h->name, "%s", r->node[f->wnode].name);
		h->carry = f->carry;
		h->leak_shift = f->leak_shift;
		h->reset = f->reset;
		any_lif |= f->carry == HONE_CARRY_LIF;
		/* semantics.md, Quantization: one scale per layer. */
		double m = 0;
		for (size_t k = 0; k < nw; k++)
			m = fmax(m, fabs(f->w[k]));
		double s = m > 0 ? m / wmax : 1.0;
		double mult = l == 0 ? (double)((1 << gbits) - 1) : 1.0;
		h->scale = s;
		for (size_t k = 0; k < nw; k++) {
			double q = round(f->w[k] / s);
			h->weight[k] = (int32_t)(q > wmax ? wmax : q < wmin ? wmin : q);
		}
		for (int32_t j = 0; j < f->n_out; j++) {
			double b = round(f->b[j] * mult / s), t = round(f->th[j] * mult / s);
			if (!(fabs(b) <= INT32_MAX) || !(fabs(t) <= INT32_MAX)) {
				bool bad_b = !(fabs(b) <= INT32_MAX);
				hone_net_free(net);
				return node_fail(r, HONE_ERR_UNSUPPORTED, bad_b ? f->wnode : f->nnode,
				                 "neuron %d: %s %g is %g weight steps, beyond 32 bits", (int)j,
				                 bad_b ? "bias" : "threshold", bad_b ? f->b[j] : f->th[j],
				                 bad_b ? b : t);
			}
			h->bias[j] = (int32_t)b;
			h->threshold[j] = (int32_t)t;
		}
	}
	net->ticks_per_sample = any_lif ? NIR_DEFAULT_LIF_TICKS : 1;
	int32_t n_out = net->layers[net->n_layers - 1].n_out;
	net->n_classes = n_out;
	for (int32_t j = 0; j < n_out; j++)
		net->output_class[j] = j;
	*out = net;
	return 0;
}

/* ------------------------------------------------------ the /hone group */

/* Integer attribute(s): 1 read, 0 absent, <0 unreadable. */
static int attr_ints(hid_t g, const char *name, int32_t *v, size_t n)
{
	htri_t e = H5Aexists(g, name);
	if (e <= 0)
		return e < 0 ? -1 : 0;
	hid_t a = H5Aopen(g, name, H5P_DEFAULT);
	if (a < 0)
		return -1;
	hid_t t = H5Aget_type(a), s = H5Aget_space(a);
	int rc = -1;
	if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_INTEGER &&
	    H5Sget_simple_extent_npoints(s) == (hssize_t)n &&
	    H5Aread(a, H5T_NATIVE_INT32, v) >= 0)
		rc = 1;
	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	H5Aclose(a);
	return rc;
}

static int attr_double(hid_t g, const char *name, double *v)
{
	htri_t e = H5Aexists(g, name);
	if (e <= 0)
		return e < 0 ? -1 : 0;
	hid_t a = H5Aopen(g, name, H5P_DEFAULT);
	if (a < 0)
		return -1;
	hid_t t = H5Aget_type(a), s = H5Aget_space(a);
	int rc = -1;
	if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_FLOAT &&
	    H5Sget_simple_extent_npoints(s) == 1 && H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0)
		rc = 1;
	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	H5Aclose(a);
	return rc;
}

/* An int32 dataset of exactly the given shape: 1 read, 0 absent or other
 * shape (reported by the caller), <0 unreadable. */
static int ds_ints(hid_t g, const char *name, int nd, const hsize_t *dims, int32_t *v)
{
	h5_field f;
	int e = field_open(g, name, &f);
	if (e <= 0)
		return e == 0 ? 0 : -1;
	h5_shape sh;
	const char *why;
	int rc = 0;
	hid_t t = field_type(&f);
	if (t >= 0 && H5Tget_class(t) == H5T_INTEGER && !field_shape(&f, &sh, &why) && sh.nd == nd) {
		rc = 1;
		for (int k = 0; k < nd; k++)
			rc &= sh.dims[k] == dims[k];
		if (rc && field_read(&f, H5T_NATIVE_INT32, v) < 0)
			rc = -1;
	}
	if (t >= 0)
		H5Tclose(t);
	field_close(&f);
	return rc;
}

static int hone_bad(rd *r, const char *where, const char *what)
{
	return hone_fail(r->err, HONE_ERR_FORMAT, "'%s': %s: %s", r->path, where, what);
}

/* Take the exact integers from /hone. Returns 1 when there is no /hone or
 * it describes another graph (the float graph is then quantized), 0 with
 * *out set, or an error. */
static int read_hone(rd *r, hone_net **out)
{
	htri_t e = H5Lexists(r->file, "hone", H5P_DEFAULT);
	if (e <= 0)
		return e < 0 ? hone_bad(r, "/hone", "cannot be read") : 1;
	if (!is_group(r->file, "hone"))
		return hone_bad(r, "/hone", "is not a group");
	hid_t g = H5Gopen2(r->file, "hone", H5P_DEFAULT), lg = -1, lay = -1;
	if (g < 0)
		return hone_bad(r, "/hone", "cannot be opened");
	int rc = 0;
	int32_t ver = 0, n_inputs = 0, n_layers = 0, gbits = 0, wbits = 0, ticks = 0,
	        n_classes = 0, in_shape[3] = {0, 0, 0};
	hone_net *net = NULL;
	int32_t *sizes = NULL;
	if (attr_ints(g, "format_version", &ver, 1) != 1) {
		rc = hone_bad(r, "/hone", "no integer attribute format_version");
		goto out;
	}
	if (ver != HONE_GROUP_FORMAT) {
		rc = hone_fail(r->err, HONE_ERR_VERSION,
		               "'%s': /hone has format_version %d; this hone reads version %d",
		               r->path, (int)ver, HONE_GROUP_FORMAT);
		goto out;
	}
	static const char *const names[] = {"n_inputs", "n_layers", "input_bits", "weight_bits",
	                                    "ticks_per_sample", "n_classes"};
	int32_t *dst[] = {&n_inputs, &n_layers, &gbits, &wbits, &ticks, &n_classes};
	for (size_t k = 0; k < 6; k++)
		if (attr_ints(g, names[k], dst[k], 1) != 1) {
			char what[96];
			snprintf(what, sizeof what, "no integer attribute %s", names[k]);
			rc = hone_bad(r, "/hone", what);
			goto out;
		}
	if (attr_ints(g, "in_shape", in_shape, 3) < 0) {
		rc = hone_bad(r, "/hone", "attribute in_shape is not 3 integers");
		goto out;
	}
	/* Does /hone describe this graph? Otherwise the graph was edited by
	 * another tool and its floats are the truth. */
	if (n_inputs != r->n_inputs || n_layers != r->n_fl) {
		rc = 1;
		goto out;
	}
	if (!is_group(g, "layers") || (lg = H5Gopen2(g, "layers", H5P_DEFAULT)) < 0) {
		rc = hone_bad(r, "/hone", "no group layers");
		goto out;
	}
	for (int32_t l = 0; l < n_layers; l++) {
		char ln[24], where[64], node[NIR_NAME_MAX];
		const char *why;
		snprintf(ln, sizeof ln, "%d", (int)l);
		snprintf(where, sizeof where, "/hone/layers/%d", (int)l);
		if (!is_group(lg, ln)) {
			rc = hone_bad(r, where, "missing");
			goto out;
		}
		if ((lay = H5Gopen2(lg, ln, H5P_DEFAULT)) < 0) {
			rc = hone_bad(r, where, "cannot be opened");
			goto out;
		}
		h5_field f;
		h5_shape sh;
		if (field_open(lay, "weight", &f) != 1) {
			rc = hone_bad(r, where, "no dataset weight");
			goto out;
		}
		e = field_shape(&f, &sh, &why);
		field_close(&f);
		if (e || sh.nd != 2 || sh.dims[0] != (hsize_t)r->fl[l].n_out ||
		    sh.dims[1] != (hsize_t)r->fl[l].n_in) {
			rc = e ? hone_bad(r, where, "weight cannot be read") : 1;
			goto out;
		}
		if (read_str(lay, "weight_node", node, sizeof node, &why) == 1 &&
		    strcmp(node, r->node[r->fl[l].wnode].name)) {
			rc = 1;
			goto out;
		}
		if (read_str(lay, "neuron_node", node, sizeof node, &why) == 1 &&
		    strcmp(node, r->node[r->fl[l].nnode].name)) {
			rc = 1;
			goto out;
		}
		H5Gclose(lay);
		lay = -1;
	}
	/* It does: take everything from it. */
	sizes = malloc(((size_t)n_layers + 1) * sizeof *sizes);
	if (!sizes) {
		rc = hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
		goto out;
	}
	sizes[0] = n_inputs;
	for (int32_t l = 0; l < n_layers; l++)
		sizes[l + 1] = r->fl[l].n_out;
	net = hone_net_new(n_layers, sizes);
	if (!net) {
		rc = hone_fail(r->err, HONE_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (gbits < 1 || gbits > 8 || wbits < 2 || wbits > 16) {
		rc = hone_bad(r, "/hone", "input_bits or weight_bits out of range");
		goto out;
	}
	net->input_bits = (uint8_t)gbits;
	net->weight_bits = (uint8_t)wbits;
	net->ticks_per_sample = ticks;
	net->n_classes = n_classes;
	memcpy(net->in_shape, in_shape, sizeof in_shape);
	int32_t n_out = sizes[n_layers];
	hsize_t kd[1] = {(hsize_t)n_out};
	if (ds_ints(g, "output_class", 1, kd, net->output_class) != 1) {
		rc = hone_bad(r, "/hone/output_class", "missing, or not one integer per output neuron");
		goto out;
	}
	for (int32_t l = 0; l < n_layers; l++) {
		hone_layer *h = &net->layers[l];
		char ln[24], where[64], s[32];
		const char *why;
		snprintf(ln, sizeof ln, "%d", (int)l);
		snprintf(where, sizeof where, "/hone/layers/%d", (int)l);
		if ((lay = H5Gopen2(lg, ln, H5P_DEFAULT)) < 0) {
			rc = hone_bad(r, where, "cannot be opened");
			goto out;
		}
		hsize_t wd[2] = {(hsize_t)h->n_out, (hsize_t)h->n_in}, bd[1] = {(hsize_t)h->n_out};
		if (ds_ints(lay, "weight", 2, wd, h->weight) != 1 ||
		    ds_ints(lay, "bias", 1, bd, h->bias) != 1 ||
		    ds_ints(lay, "threshold", 1, bd, h->threshold) != 1) {
			rc = hone_bad(r, where, "weight, bias or threshold missing or of the wrong shape");
			goto out;
		}
		int32_t leak = 0;
		if (read_str(lay, "name", h->name, sizeof h->name, &why) != 1) {
			rc = hone_bad(r, where, "no string attribute name (at most 63 bytes)");
			goto out;
		}
		if (read_str(lay, "carry", s, sizeof s, &why) != 1 ||
		    (strcmp(s, "none") && strcmp(s, "lif"))) {
			rc = hone_bad(r, where, "carry must be \"none\" or \"lif\"");
			goto out;
		}
		h->carry = strcmp(s, "lif") ? HONE_CARRY_NONE : HONE_CARRY_LIF;
		if (read_str(lay, "reset", s, sizeof s, &why) != 1 ||
		    (strcmp(s, "zero") && strcmp(s, "subtract"))) {
			rc = hone_bad(r, where, "reset must be \"zero\" or \"subtract\"");
			goto out;
		}
		h->reset = strcmp(s, "subtract") ? HONE_RESET_ZERO : HONE_RESET_SUBTRACT;
		if (attr_ints(lay, "leak_shift", &leak, 1) != 1 || leak < 0 || leak > 15) {
			rc = hone_bad(r, where, "leak_shift must be an integer 0..15");
			goto out;
		}
		h->leak_shift = (uint8_t)leak;
		if (attr_double(lay, "scale", &h->scale) != 1 || !isfinite(h->scale) || h->scale <= 0) {
			rc = hone_bad(r, where, "scale must be a positive float");
			goto out;
		}
		H5Gclose(lay);
		lay = -1;
	}
	hone_error ce = {0};
	if (hone_net_check(net, &ce)) {
		rc = hone_fail(r->err, HONE_ERR_FORMAT, "'%s': /hone: %s", r->path, ce.msg);
		goto out;
	}
	*out = net;
	net = NULL;
out:
	hone_net_free(net);
	free(sizes);
	if (lay >= 0)
		H5Gclose(lay);
	if (lg >= 0)
		H5Gclose(lg);
	H5Gclose(g);
	return rc;
}

/* ------------------------------------------------------------ reading */

static void rd_free(rd *r)
{
	for (size_t i = 0; i < r->n_node; i++)
		free(r->node[i].name);
	free(r->node);
	free(r->chain);
	for (int32_t l = 0; r->fl && l < r->n_fl; l++)
		fl_free(&r->fl[l]);
	free(r->fl);
	if (r->nodes >= 0)
		H5Gclose(r->nodes);
	if (r->graph >= 0)
		H5Gclose(r->graph);
	if (r->file >= 0)
		H5Fclose(r->file);
}

/* The time step: NIR has none, so the graph's metadata may give "dt"
 * (seconds); else NIR_DEFAULT_DT. */
static int read_dt(rd *r)
{
	r->dt = NIR_DEFAULT_DT;
	if (!is_group(r->graph, "metadata"))
		return 0;
	hid_t m = H5Gopen2(r->graph, "metadata", H5P_DEFAULT);
	if (m < 0)
		return 0;
	h5_field f;
	int rc = 0;
	if (field_open(m, "dt", &f) == 1) {
		nir_arr a;
		const char *why;
		if (field_read_num(&f, &a, &why) || a.sh.n != 1 || !isfinite(a.v[0]) || a.v[0] <= 0)
			rc = hone_fail(r->err, HONE_ERR_FORMAT, "'%s': /node/metadata/dt is not a positive number",
			               r->path);
		else
			r->dt = a.v[0];
		arr_free(&a);
		field_close(&f);
	}
	H5Gclose(m);
	return rc;
}

int hone_nir_read(const char *path, int weight_bits, int input_bits,
                  hone_net **out, hone_error *err)
{
	if (!path || !out)
		return hone_fail(err, HONE_ERR_INVALID, "hone_nir_read: no path or no result pointer");
	*out = NULL;
	if (weight_bits == 0)
		weight_bits = 4;
	if (input_bits == 0)
		input_bits = 4;
	if (weight_bits < 2 || weight_bits > 16 || input_bits < 1 || input_bits > 8)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "weight_bits %d (2..16) or input_bits %d (1..8) out of range",
		                 weight_bits, input_bits);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return hone_fail(err, HONE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	fclose(fp);

	h5_quiet q;
	quiet_on(&q);
	rd r = {.path = path, .err = err, .file = -1, .graph = -1, .nodes = -1};
	int rc = 0;
	char gtype[NIR_TYPE_MAX];
	const char *why = "";
	if (H5Fis_hdf5(path) <= 0) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "'%s' is not an HDF5 file (NIR files are HDF5)", path);
		goto out;
	}
	r.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (r.file < 0) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "'%s': the HDF5 file cannot be opened (truncated or damaged?)", path);
		goto out;
	}
	if (!is_group(r.file, "node") || (r.graph = H5Gopen2(r.file, "node", H5P_DEFAULT)) < 0) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "'%s' is HDF5 but holds no NIR graph (no group /node)", path);
		goto out;
	}
	int e = read_str(r.graph, "type", gtype, sizeof gtype, &why);
	if (e < 0) {
		rc = hone_fail(err, e, "'%s': /node/type %s", path, why);
		goto out;
	}
	if (e == 1 && strcmp(gtype, "NIRGraph")) {
		rc = hone_fail(err, HONE_ERR_UNSUPPORTED, "'%s': /node is a '%s'; hone reads NIRGraph files",
		               path, gtype);
		goto out;
	}
	if (!is_group(r.graph, "nodes") || (r.nodes = H5Gopen2(r.graph, "nodes", H5P_DEFAULT)) < 0) {
		rc = hone_fail(err, HONE_ERR_FORMAT, "'%s': the NIR graph has no group /node/nodes", path);
		goto out;
	}
	if ((rc = read_dt(&r)) || (rc = load_nodes(&r)) || (rc = load_edges(&r)) ||
	    (rc = walk(&r)) || (rc = semantic_pass(&r)))
		goto out;
	rc = read_hone(&r, out);
	if (rc == 1)
		rc = quantize(&r, weight_bits, input_bits, out);
	if (!rc) {
		hone_error ce = {0};
		if (hone_net_check(*out, &ce)) {
			hone_net_free(*out);
			*out = NULL;
			rc = hone_fail(err, HONE_ERR_FORMAT, "'%s': %s", path, ce.msg);
		}
	}
out:
	rd_free(&r);
	quiet_off(&q);
	return rc;
}

/* ------------------------------------------------------------ writing */

/* Each returns 0 or -1; the writer turns -1 into one I/O error. */
static hid_t str_type(void)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
		H5Tclose(t);
		return -1;
	}
	return t;
}

/* A dataset of strings: rank 0 (one string) or a shape. */
static int w_strs(hid_t g, const char *name, int rank, const hsize_t *dims, const char *const *v)
{
	hid_t t = str_type(), s = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR), d = -1;
	int rc = -1;
	if (t >= 0 && s >= 0)
		d = H5Dcreate2(g, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
		rc = 0;
	if (d >= 0)
		H5Dclose(d);
	if (s >= 0)
		H5Sclose(s);
	if (t >= 0)
		H5Tclose(t);
	return rc;
}

static int w_str(hid_t g, const char *name, const char *v)
{
	return w_strs(g, name, 0, NULL, &v);
}

static int w_num(hid_t g, const char *name, hid_t ftype, hid_t mtype, int rank,
                 const hsize_t *dims, const void *v)
{
	hid_t s = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR), d = -1;
	int rc = -1;
	if (s >= 0)
		d = H5Dcreate2(g, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
		rc = 0;
	if (d >= 0)
		H5Dclose(d);
	if (s >= 0)
		H5Sclose(s);
	return rc;
}

static int w_f32(hid_t g, const char *name, int rank, const hsize_t *dims, const float *v)
{
	return w_num(g, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, dims, v);
}

static int w_i64(hid_t g, const char *name, int rank, const hsize_t *dims, const int64_t *v)
{
	return w_num(g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, rank, dims, v);
}

static int w_i32(hid_t g, const char *name, int rank, const hsize_t *dims, const int32_t *v)
{
	return w_num(g, name, H5T_STD_I32LE, H5T_NATIVE_INT32, rank, dims, v);
}

static int a_num(hid_t g, const char *name, hid_t ftype, hid_t mtype, hsize_t n, const void *v)
{
	hid_t s = n > 1 ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR), a = -1;
	int rc = -1;
	if (s >= 0)
		a = H5Acreate2(g, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0 && H5Awrite(a, mtype, v) >= 0)
		rc = 0;
	if (a >= 0)
		H5Aclose(a);
	if (s >= 0)
		H5Sclose(s);
	return rc;
}

static int a_i32(hid_t g, const char *name, int32_t v)
{
	return a_num(g, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &v);
}

static int a_str(hid_t g, const char *name, const char *v)
{
	hid_t t = str_type(), s = H5Screate(H5S_SCALAR), a = -1;
	int rc = -1;
	if (t >= 0 && s >= 0)
		a = H5Acreate2(g, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0 && H5Awrite(a, t, &v) >= 0)
		rc = 0;
	if (a >= 0)
		H5Aclose(a);
	if (s >= 0)
		H5Sclose(s);
	if (t >= 0)
		H5Tclose(t);
	return rc;
}

#define WNAME 80
typedef char wname[WNAME];

/* A node name not yet in used[0..n): HDF5 link names cannot hold '/', and
 * "." names the group itself. */
static void unique_name(wname *used, size_t n, const char *want, const char *fallback, char *out)
{
	char base[WNAME - 16];
	snprintf(base, sizeof base, "%s", want);
	for (char *p = base; *p; p++)
		if (*p == '/')
			*p = '_';
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
		snprintf(base, sizeof base, "%s", fallback);
	snprintf(out, WNAME, "%s", base);
	for (int k = 2;; k++) {
		bool clash = false;
		for (size_t i = 0; i < n && !clash; i++)
			clash = !strcmp(used[i], out);
		if (!clash)
			return;
		snprintf(out, WNAME, "%s_%d", base, k);
	}
}

/* The float view of layer l (docs/nir.md): weight * scale, and bias and
 * threshold back through the quantization of semantics.md. */
static int write_layer_nodes(hid_t nodes, const hone_net *net, int32_t l, const char *wn,
                             const char *nn, double dt)
{
	const hone_layer *h = &net->layers[l];
	size_t nw = (size_t)h->n_in * (size_t)h->n_out, n = (size_t)h->n_out;
	double div = l == 0 ? (double)((1 << net->input_bits) - 1) : 1.0;
	float *w = malloc(nw * sizeof *w), *b = malloc(n * sizeof *b), *t = malloc(n * sizeof *t),
	      *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q), *z = calloc(n, sizeof *z);
	hid_t g = -1, m = -1;
	int rc = -1;
	if (!w || !b || !t || !p || !q || !z)
		goto out;
	for (size_t k = 0; k < nw; k++)
		w[k] = (float)(h->weight[k] * h->scale);
	for (size_t j = 0; j < n; j++) {
		b[j] = (float)(h->bias[j] * h->scale / div);
		t[j] = (float)(h->threshold[j] * h->scale / div);
	}
	hsize_t wd[2] = {(hsize_t)h->n_out, (hsize_t)h->n_in}, bd[1] = {(hsize_t)n};
	if ((g = H5Gcreate2(nodes, wn, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
	    w_str(g, "type", "Affine") || w_f32(g, "weight", 2, wd, w) || w_f32(g, "bias", 1, bd, b))
		goto out;
	H5Gclose(g);
	if ((g = H5Gcreate2(nodes, nn, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
		goto out;
	if (h->carry == HONE_CARRY_NONE) {
		if (w_str(g, "type", "Threshold") || w_f32(g, "threshold", 1, bd, t))
			goto out;
	} else if (h->leak_shift == 0) {
		for (size_t j = 0; j < n; j++)
			p[j] = 1.0f;
		if (w_str(g, "type", "IF") || w_f32(g, "r", 1, bd, p) || w_f32(g, "v_threshold", 1, bd, t))
			goto out;
	} else {
		/* tau = dt 2^k gives the leak fraction 2^-k; r = tau/dt makes the
		 * input gain r dt/tau one, as hone adds inputs unscaled. */
		double k2 = ldexp(1.0, h->leak_shift);
		for (size_t j = 0; j < n; j++) {
			p[j] = (float)(dt * k2);
			q[j] = (float)k2;
		}
		if (w_str(g, "type", "LIF") || w_f32(g, "tau", 1, bd, p) || w_f32(g, "r", 1, bd, q) ||
		    w_f32(g, "v_leak", 1, bd, z) || w_f32(g, "v_threshold", 1, bd, t))
			goto out;
	}
	if (h->carry == HONE_CARRY_LIF && h->reset == HONE_RESET_SUBTRACT) {
		/* NIR knows only v_reset; NIR 1.0 keeps per-node metadata. */
		if ((m = H5Gcreate2(g, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
		    w_str(m, "hone_reset", "subtract"))
			goto out;
	}
	rc = 0;
out:
	if (m >= 0)
		H5Gclose(m);
	if (g >= 0)
		H5Gclose(g);
	free(w);
	free(b);
	free(t);
	free(p);
	free(q);
	free(z);
	return rc;
}

static int write_hone(hid_t file, const hone_net *net, wname *names)
{
	hid_t g = H5Gcreate2(file, "hone", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), lg = -1, lay = -1;
	int rc = -1;
	if (g < 0)
		return -1;
	int32_t n_out = net->layers[net->n_layers - 1].n_out;
	hsize_t kd[1] = {(hsize_t)n_out};
	if (a_i32(g, "format_version", HONE_GROUP_FORMAT) || a_str(g, "hone_version", HONE_VERSION_STRING) ||
	    a_i32(g, "n_inputs", net->n_inputs) || a_i32(g, "n_layers", net->n_layers) ||
	    a_i32(g, "input_bits", net->input_bits) || a_i32(g, "weight_bits", net->weight_bits) ||
	    a_i32(g, "ticks_per_sample", net->ticks_per_sample) ||
	    a_i32(g, "n_classes", net->n_classes) ||
	    a_num(g, "in_shape", H5T_STD_I32LE, H5T_NATIVE_INT32, 3, net->in_shape) ||
	    w_i32(g, "output_class", 1, kd, net->output_class))
		goto out;
	if ((lg = H5Gcreate2(g, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
		goto out;
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *h = &net->layers[l];
		char ln[24];
		snprintf(ln, sizeof ln, "%d", (int)l);
		hsize_t wd[2] = {(hsize_t)h->n_out, (hsize_t)h->n_in}, bd[1] = {(hsize_t)h->n_out};
		if ((lay = H5Gcreate2(lg, ln, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
		    a_str(lay, "name", h->name) || a_str(lay, "weight_node", names[2 * l]) ||
		    a_str(lay, "neuron_node", names[2 * l + 1]) ||
		    a_str(lay, "carry", h->carry == HONE_CARRY_LIF ? "lif" : "none") ||
		    a_i32(lay, "leak_shift", h->leak_shift) ||
		    a_str(lay, "reset", h->reset == HONE_RESET_SUBTRACT ? "subtract" : "zero") ||
		    a_num(lay, "scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &h->scale) ||
		    w_i32(lay, "weight", 2, wd, h->weight) || w_i32(lay, "bias", 1, bd, h->bias) ||
		    w_i32(lay, "threshold", 1, bd, h->threshold))
			goto out;
		H5Gclose(lay);
		lay = -1;
	}
	rc = 0;
out:
	if (lay >= 0)
		H5Gclose(lay);
	if (lg >= 0)
		H5Gclose(lg);
	H5Gclose(g);
	return rc;
}

int hone_nir_write(const char *path, const hone_net *net, hone_error *err)
{
	if (!path)
		return hone_fail(err, HONE_ERR_INVALID, "hone_nir_write: no path");
	int rc = hone_net_check(net, err);
	if (rc)
		return rc;
	for (int32_t l = 0; l < net->n_layers; l++) {
		const hone_layer *h = &net->layers[l];
		if (!isfinite(h->scale) || h->scale <= 0)
			return hone_fail(err, HONE_ERR_INVALID, "layer %d (%s): scale %g is not a positive number",
			                 (int)l + 1, h->name, h->scale);
	}
	/* Node names: layers' weight and neuron nodes first (names[2l],
	 * names[2l+1]), then input, flatten and output, which are reserved so
	 * that the NIR side reads naturally. */
	size_t nl = (size_t)net->n_layers, nn = 2 * nl + 3;
	wname *names = calloc(nn, sizeof *names), *used = calloc(nn, sizeof *used);
	const char **edges = NULL;
	if (!names || !used) {
		free(names);
		free(used);
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
	}
	char *in_name = names[2 * nl], *fl_name = names[2 * nl + 1], *out_name = names[2 * nl + 2];
	size_t n_used = 3;
	snprintf(used[0], WNAME, "input");
	snprintf(used[1], WNAME, "flatten");
	snprintf(used[2], WNAME, "output");
	for (size_t l = 0; l < nl; l++) {
		const hone_layer *h = &net->layers[l];
		char fb[24], want[WNAME];
		snprintf(fb, sizeof fb, "fc%d", (int)l + 1);
		unique_name(used, n_used, h->name, fb, names[2 * l]);
		memcpy(used[n_used++], names[2 * l], WNAME);
		/* lif1 after fc1: the neuron node takes the weight node's number. */
		const char *kind = h->carry == HONE_CARRY_NONE ? "thr" : h->leak_shift ? "lif" : "if";
		const char *d = names[2 * l] + strlen(names[2 * l]);
		while (d > names[2 * l] && d[-1] >= '0' && d[-1] <= '9' && strlen(d) < 10)
			d--;
		if (*d)
			snprintf(want, sizeof want, "%s%s", kind, d);
		else
			snprintf(want, sizeof want, "%s%d", kind, (int)l + 1);
		unique_name(used, n_used, want, want, names[2 * l + 1]);
		memcpy(used[n_used++], names[2 * l + 1], WNAME);
	}
	free(used);
	snprintf(in_name, WNAME, "input");
	snprintf(fl_name, WNAME, "flatten");
	snprintf(out_name, WNAME, "output");

	/* The Input shape: the known leading axes of in_shape, if they
	 * multiply to n_inputs; a Flatten follows a shape of 2 or 3 axes. */
	int64_t shape[3];
	int nd = 0;
	int64_t prod = 1;
	while (nd < 3 && net->in_shape[nd] > 0) {
		shape[nd] = net->in_shape[nd];
		prod *= shape[nd];
		nd++;
	}
	if (nd == 0 || prod != net->n_inputs) {
		nd = 1;
		shape[0] = net->n_inputs;
	}
	bool flatten = nd > 1;

	h5_quiet q;
	quiet_on(&q);
	hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), graph = -1, nodes = -1,
	      g = -1;
	if (file < 0) {
		quiet_off(&q);
		free(names);
		return hone_fail(err, HONE_ERR_IO, "cannot create '%s'", path);
	}
	rc = -1;
	size_t n_edges = 2 * nl + 1 + (flatten ? 1 : 0);
	edges = malloc(2 * n_edges * sizeof *edges);
	if (!edges)
		goto out;
	size_t e = 0;
	const char *prev = in_name;
	if (flatten) {
		edges[e++] = prev;
		edges[e++] = fl_name;
		prev = fl_name;
	}
	for (size_t l = 0; l < nl; l++) {
		edges[e++] = prev;
		edges[e++] = names[2 * l];
		edges[e++] = names[2 * l];
		edges[e++] = names[2 * l + 1];
		prev = names[2 * l + 1];
	}
	edges[e++] = prev;
	edges[e++] = out_name;

	hsize_t sd[1] = {(hsize_t)nd}, ed[2] = {(hsize_t)n_edges, 2};
	int64_t od[1] = {net->layers[nl - 1].n_out}, start = 0, end = -1;
	hsize_t one[1] = {1};
	if (w_str(file, "version", NIR_WRITE_VERSION) ||
	    (graph = H5Gcreate2(file, "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
	    w_strs(graph, "edges", 2, ed, edges) ||
	    (nodes = H5Gcreate2(graph, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
	    w_str(graph, "type", "NIRGraph"))
		goto out;
	if ((g = H5Gcreate2(nodes, in_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
	    w_i64(g, "shape", 1, sd, shape) || w_str(g, "type", "Input"))
		goto out;
	H5Gclose(g);
	g = -1;
	if (flatten) {
		if ((g = H5Gcreate2(nodes, fl_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
		    w_i64(g, "end_dim", 0, NULL, &end) || w_i64(g, "input_type", 1, sd, shape) ||
		    w_i64(g, "start_dim", 0, NULL, &start) || w_str(g, "type", "Flatten"))
			goto out;
		H5Gclose(g);
		g = -1;
	}
	for (size_t l = 0; l < nl; l++)
		if (write_layer_nodes(nodes, net, (int32_t)l, names[2 * l], names[2 * l + 1], NIR_DEFAULT_DT))
			goto out;
	if ((g = H5Gcreate2(nodes, out_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
	    w_i64(g, "shape", 1, one, od) || w_str(g, "type", "Output"))
		goto out;
	H5Gclose(g);
	g = -1;
	if (write_hone(file, net, names))
		goto out;
	rc = 0;
out:
	if (g >= 0)
		H5Gclose(g);
	if (nodes >= 0)
		H5Gclose(nodes);
	if (graph >= 0)
		H5Gclose(graph);
	if (H5Fclose(file) < 0)
		rc = -1;
	quiet_off(&q);
	free(edges);
	free(names);
	if (rc) {
		remove(path);
		return hone_fail(err, HONE_ERR_IO, "writing '%s' failed (disk full or not writable?)", path);
	}
	return 0;
}
