/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hone.h - the one public header of libhone.
 *
 * Networks (the integer contract of docs/semantics.md), NIR files, data
 * sets, chip configurations, the compiler, chip images (docs/chip-image.md),
 * the network-level evaluator, and devices (ref, sim, usb) behind one API.
 *
 * Conventions: every function returns 0 or a negative HONE_ERR_* code;
 * functions that can fail for reasons a user must see take a hone_error*
 * (may be NULL) that receives a message naming the object and the problem.
 * Every object returned by a *_new / *_read / *_open is freed by the
 * matching *_free / *_close. The library holds no global mutable state.
 */
#ifndef HONE_H
#define HONE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HONE_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- errors */

enum hone_errcode {
	HONE_OK = 0,
	HONE_ERR_IO = -1,          /* file or system I/O failed */
	HONE_ERR_FORMAT = -2,      /* malformed input file */
	HONE_ERR_UNSUPPORTED = -3, /* valid input hone cannot handle (yet) */
	HONE_ERR_NOMEM = -4,
	HONE_ERR_INVALID = -5,     /* bad argument */
	HONE_ERR_NOFIT = -6,       /* network does not fit the configuration */
	HONE_ERR_OVERFLOW = -7,    /* accumulation bound exceeds potential width */
	HONE_ERR_CHECKSUM = -8,
	HONE_ERR_VERSION = -9,
	HONE_ERR_DEVICE = -10,     /* device reported a failure */
	HONE_ERR_TIMEOUT = -11,
	HONE_ERR_NO_DEVICE = -12,  /* no such device, or it vanished */
	HONE_ERR_ACCESS = -13,     /* permission denied */
	HONE_ERR_PROTOCOL = -14,   /* link protocol violation */
	HONE_ERR_MISMATCH = -15,   /* backends disagree */
};

#define HONE_ERROR_MSG_LEN 512
typedef struct hone_error {
	int code;
	char msg[HONE_ERROR_MSG_LEN];
} hone_error;

/* Short fixed text for a code ("format error", ...). Never NULL. */
const char *hone_strerror(int code);

/* ------------------------------------------------------------- networks */

enum hone_carry { HONE_CARRY_NONE = 0, HONE_CARRY_LIF = 1 };
enum hone_reset { HONE_RESET_ZERO = 0, HONE_RESET_SUBTRACT = 1 };

/* One neuron layer: dense from the previous layer (or the inputs). */
typedef struct hone_layer {
	char name[64];       /* node name, e.g. from NIR ("fc1") */
	int32_t n_in, n_out;
	int32_t *weight;     /* [n_out][n_in], row-major */
	int32_t *bias;       /* [n_out] */
	int32_t *threshold;  /* [n_out] */
	uint8_t carry;       /* enum hone_carry */
	uint8_t leak_shift;  /* lif: carry(v) = v - (v >>> leak_shift); 0: none */
	uint8_t reset;       /* enum hone_reset */
	double scale;        /* float weight = weight * scale (see semantics.md) */
} hone_layer;

/* The integer network of docs/semantics.md. */
typedef struct hone_net {
	int32_t n_inputs;
	uint8_t input_bits;       /* G: graded inputs 0..2^G-1; 1 = binary */
	uint8_t weight_bits;      /* W the integers were made for */
	int32_t ticks_per_sample; /* T: 1 for Whetstone (pipelined) */
	int32_t n_layers;         /* D */
	hone_layer *layers;       /* [n_layers] */
	int32_t n_classes;
	int32_t *output_class;    /* [layers[D-1].n_out]: class or -1 */
	int32_t in_shape[3];      /* original input shape (C,H,W), 0 = unknown */
} hone_net;

/* Allocate a network with the given layer sizes (sizes[0] = inputs,
 * sizes[1..n_layers]); arrays zeroed, mode Whetstone, T = 1, key empty
 * (output_class all -1, n_classes 0). */
hone_net *hone_net_new(int32_t n_layers, const int32_t *sizes);
void hone_net_free(hone_net *net);
hone_net *hone_net_clone(const hone_net *net);
/* Set the N-hot key: output neuron j votes for class j / per_class. */
int hone_net_set_nhot(hone_net *net, int32_t n_classes, int32_t per_class);
/* Check internal consistency (sizes, key, widths); message in err. */
int hone_net_check(const hone_net *net, hone_error *err);

/* ------------------------------------------------------------------ NIR */

/* Read a NIR HDF5 file (0.1 and 0.2 layouts). Float networks are quantized
 * to weight_bits / input_bits (semantics.md); files written by hone keep
 * their exact integers and these two arguments are ignored (pass 0 to
 * take the file's own or the defaults 4 / 4). Unsupported nodes are named
 * in err. */
int hone_nir_read(const char *path, int weight_bits, int input_bits,
                  hone_net **out, hone_error *err);
/* Write a NIR file (0.2 layout) readable by other NIR tools; hone's own
 * facts (integers, widths, key) go in a top-level "hone" group that other
 * readers ignore. */
int hone_nir_write(const char *path, const hone_net *net, hone_error *err);

/* ------------------------------------------------------------- datasets */

typedef struct hone_dataset {
	int32_t n;              /* samples */
	int32_t n_features;     /* e.g. 784 */
	int32_t shape[3];       /* (C,H,W) */
	int32_t n_classes;
	uint8_t *x;             /* [n][n_features], 0..255 intensities */
	uint8_t *y;             /* [n] labels */
} hone_dataset;

/* Fashion-MNIST from its IDX .gz files: dir defaults to
 * /usr/share/datasets/fashion-mnist when NULL; split "train" or "test";
 * limit 0 = all. */
int hone_dataset_fashion_mnist(const char *dir, const char *split,
                               int32_t limit, hone_dataset **out,
                               hone_error *err);
/* The 8x8 digits CSV (gz or plain): 64 features 0..16 scaled to 0..255. */
int hone_dataset_digits(const char *path, hone_dataset **out, hone_error *err);
/* Default path of digits.csv.gz (scikit-learn's copy), or NULL. */
const char *hone_dataset_digits_default_path(void);
/* Deterministic split: shuffle with seed, then the first (1-test_frac)
 * part to *train, the rest to *test. */
int hone_dataset_split(const hone_dataset *d, double test_frac, uint64_t seed,
                       hone_dataset **train, hone_dataset **test);
void hone_dataset_free(hone_dataset *d);
/* Quantize one sample to G-bit graded input values g = round(x*(2^G-1)/255)
 * (G = 1: g = x > 127). out has n_features entries. */
void hone_dataset_quantize(const hone_dataset *d, int32_t i, int input_bits,
                           uint8_t *out);

/* An event: input index and graded value for one tick. */
typedef struct hone_event {
	uint32_t tick;
	uint32_t input;
	uint8_t g;
} hone_event;

/* Event files (docs/event-file.md): text, "tick input g" per line. */
typedef struct hone_event_stream {
	int32_t n_inputs;   /* declared by the file header */
	uint32_t n_ticks;
	size_t n;
	hone_event *ev;     /* sorted by tick, no duplicate (tick,input) */
} hone_event_stream;
int hone_events_read(const char *path, hone_event_stream **out, hone_error *err);
int hone_events_write(const char *path, const hone_event_stream *s,
                      hone_error *err);
void hone_events_free(hone_event_stream *s);

/* ------------------------------------------------------ configurations */

typedef struct hone_config {
	char name[16];
	uint32_t cores;
	uint32_t lanes;          /* weights read per cycle per core */
	uint32_t weight_bits;    /* W */
	uint32_t potential_bits; /* P */
	uint32_t input_bits;     /* G, widest graded input */
	uint32_t neurons;        /* neuron slots per core */
	uint32_t axons;          /* axon ids per core */
	uint32_t weight_words;   /* weight memory words per core */
	uint32_t axon_segments;  /* 8 */
	uint32_t route_segments; /* 8 */
	double clock_hz;         /* nominal core clock for rate estimates */
	uint32_t link_baud;      /* host UART baud rate */
	const char *memory;      /* "spram", "ebr", "behavioural" */
	const char *description;
} hone_config;

/* Built-in configurations: "up5k", "hx8k", "sim16", "tiny". NULL if none. */
const hone_config *hone_config_find(const char *name);
/* Iterate: returns NULL past the end. */
const hone_config *hone_config_at(size_t i);
/* Peak synaptic operations per cycle: cores * lanes. */
double hone_config_peak_sop_per_cycle(const hone_config *cfg);

/* --------------------------------------------------------- chip images */

enum hone_mem {
	HONE_MEM_CHIPREG = 0, HONE_MEM_COREREG = 1, HONE_MEM_AXSEG = 2,
	HONE_MEM_RTSEG = 3, HONE_MEM_WEIGHT = 4, HONE_MEM_NPARAM = 5,
	HONE_MEM_POT = 6, HONE_MEM_CMD = 7,
};
#define HONE_TARGET_CHIP 0xFFu

typedef struct hone_write {
	uint8_t target;  /* core index or HONE_TARGET_CHIP */
	uint8_t mem;     /* enum hone_mem */
	uint32_t addr;
	uint64_t data;
} hone_write;

/* Where a run of a layer's neurons sits on the chip: neurons
 * neuron_first .. neuron_first+count-1 of layer `layer` (0-based neuron
 * layer index) are slots slot_first .. slot_first+count-1 of core `core`. */
typedef struct hone_chunk {
	int32_t layer, core, slot_first, neuron_first, count;
} hone_chunk;

typedef struct hone_image {
	hone_config cfg;          /* snapshot; cfg.memory/description NULL */
	int32_t n_inputs, n_outputs, n_classes, depth, ticks_per_sample;
	uint8_t carry;            /* network mode: enum hone_carry */
	uint8_t input_bits;
	int32_t *output_class;    /* [n_outputs] */
	int32_t n_chunks;
	hone_chunk *chunks;       /* placement, for traces and `hone info` */
	size_t n_writes;
	hone_write *writes;
} hone_image;

/* How layers are spread over cores (docs/compiler.md, "Placement"). */
enum hone_placement {
	HONE_PLACE_AUTO = 0,      /* balanced on multi-core configurations,
	                             greedy where balanced does not fit and on
	                             one core: never refuses what greedy fits */
	HONE_PLACE_GREEDY = 1,    /* fill core 0, then 1, ... */
	HONE_PLACE_BALANCED = 2,  /* every layer split evenly over the cores */
};

typedef struct hone_compile_opts {
	int verbose;              /* print placement to stderr */
	int placement;            /* enum hone_placement; 0 (auto) by default */
} hone_compile_opts;

/* Map a network onto a configuration. A network that does not fit or
 * could overflow is refused with the layer, resource and numbers in err. */
int hone_compile(const hone_net *net, const hone_config *cfg,
                 const hone_compile_opts *opts, hone_image **out,
                 hone_error *err);
int hone_image_write(const char *path, const hone_image *img, hone_error *err);
int hone_image_read(const char *path, hone_image **out, hone_error *err);
void hone_image_free(hone_image *img);

/* ------------------------------------------------ evaluation and decode */

/* Network-level integer evaluator (knows nothing of cores): runs `ticks`
 * ticks with the given input events (sorted by tick). Optional outputs:
 * spikes[t][j] (uint8, ticks x n_out of the LAST layer), and for full
 * traces, u_all / s_all of size ticks x total_neurons (layers concatenated
 * in order). Pass NULL for what you do not need. The state starts at
 * reset. */
int hone_evaluate(const hone_net *net, const hone_event *ev, size_t n_ev,
                  uint32_t ticks, uint8_t *spikes, int32_t *u_all,
                  uint8_t *s_all, hone_error *err);
/* Total neurons over all layers (size of a trace row). */
int32_t hone_net_total_neurons(const hone_net *net);
/* The potential width P whose clamp bounds (semantics.md, step 4) the
 * evaluator applies when not told otherwise: that of every built-in
 * configuration. A network is not tied to a P; the chip it runs on is. */
#define HONE_DEFAULT_POTENTIAL_BITS 16
/* hone_evaluate for a chip with potential width P (2..32): the clamp of
 * LIF layers is [-2^(P-2), 2^(P-2)-1]. Use the image's cfg.potential_bits
 * to compare with a device. */
int hone_evaluate_pbits(const hone_net *net, unsigned potential_bits,
                        const hone_event *ev, size_t n_ev, uint32_t ticks,
                        uint8_t *spikes, int32_t *u_all, uint8_t *s_all,
                        hone_error *err);

/* Decode N-hot output counts: counts[n_outputs] -> class (ties: lowest). */
int32_t hone_decode(const int32_t *output_class, int32_t n_outputs,
                    int32_t n_classes, const int32_t *counts);
/* Classify one sample with the evaluator (semantics.md timing): g has
 * n_inputs graded values. Returns the class, or a negative HONE_ERR_* for
 * an invalid network or sample. Whetstone when every layer carries none
 * (presented in one tick, decoded from tick D-1), else LIF (presented for
 * T ticks, decoded over ticks D-1 .. T+D-2). */
int32_t hone_net_classify(const hone_net *net, const uint8_t *g);
/* The same for potential width P, with the reason for a failure in err. */
int32_t hone_net_classify_pbits(const hone_net *net, unsigned potential_bits,
                                const uint8_t *g, hone_error *err);

/* ---------------------------------------------------------------- devices */

typedef struct hone_device hone_device;

typedef struct hone_counters {
	uint64_t ticks, events, sops;
	uint64_t cycles;            /* 0 where the backend has no clock */
	uint64_t link_bytes_out, link_bytes_in, link_payload_bytes;
} hone_counters;

typedef struct hone_caps {
	char backend[16];           /* "ref", "sim", "usb" */
	hone_config cfg;
	uint32_t protocol_version;
	char build_id[41];
} hone_caps;

/* One tick's results. Pointers stay valid until the next call on the
 * device. potentials/pot_spikes are filled only when tracing. */
typedef struct hone_tick_result {
	uint64_t tick;
	size_t n_spikes;
	const uint32_t *spikes;       /* output ids that spiked */
	size_t n_trace;               /* cores * neurons when tracing, else 0 */
	const int32_t *trace_u;       /* [core*neurons + slot] u of the tick */
	const uint8_t *trace_s;       /* spike bit per slot */
} hone_tick_result;

/* Open by URI: "ref:" (C reference model), "sim:" / "sim:verilator",
 * "sim:icarus", "usb:" / "usb:SERIAL" / "usb:BUS.ADDR". */
int hone_open(const char *uri, hone_device **out, hone_error *err);
/* The boards "usb:" can open, for a user to choose one: a line per attached
 * FT2232H ("usb:BUS.ADDR serial S \"product\"", or why it cannot be read),
 * or one line saying none is attached. Fails only if USB cannot be listed. */
int hone_list_usb(char *buf, size_t cap, hone_error *err);
void hone_close(hone_device *dev);
int hone_get_caps(hone_device *dev, hone_caps *caps, hone_error *err);
/* Perform an image's writes (checks configuration compatibility). */
int hone_load(hone_device *dev, const hone_image *img, hone_error *err);
/* Every neuron back to a = b (the image's final reset command). */
int hone_reset_state(hone_device *dev, hone_error *err);
/* Stream potentials and spike bits of every slot each tick. */
int hone_set_trace(hone_device *dev, int on, hone_error *err);
/* Queue input events for the tick not yet ended (ev[].tick ignored).
 * An input may appear at most once per tick. */
int hone_push_events(hone_device *dev, const hone_event *ev, size_t n,
                     hone_error *err);
/* End the current tick: the device runs it. May return before the tick
 * finished on pipelined backends. */
int hone_end_tick(hone_device *dev, hone_error *err);
/* Wait for the oldest ended tick's result (blocks until it is ready).
 * Returns HONE_ERR_INVALID if no ended tick is outstanding. */
int hone_next_result(hone_device *dev, hone_tick_result *res, hone_error *err);
/* Ended ticks whose results were not yet taken. */
size_t hone_pending(hone_device *dev);
int hone_read_counters(hone_device *dev, hone_counters *c, hone_error *err);
/* Read memory words back (docs/chip-image.md map). */
int hone_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                  uint32_t addr, uint32_t n, uint64_t *out, hone_error *err);

/* --------------------------------------------------------------- running */

/* Classify samples on a device with an image loaded, following the timing
 * of semantics.md (pipelined in Whetstone mode, windowed with resets in
 * LIF mode). inputs: n x n_inputs graded values. pred: n classes out.
 * progress (may be NULL) is called now and then with done/total. */
typedef void (*hone_progress_fn)(void *user, size_t done, size_t total);
int hone_run_samples(hone_device *dev, const hone_image *img,
                     const uint8_t *inputs, size_t n, int32_t *pred,
                     hone_progress_fn progress, void *user, hone_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HONE_H */
