/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices: one API over the reference model, the simulated RTL and the USB
 * board, dispatched through a table of backends as libusb does. The
 * operations map one to one onto the chip's command interface
 * (docs/chip-interface.md): load = WRITEs, push_events = EVENTs,
 * end_tick = TICK, next_result = the SPIKE/TRACE/TICK_DONE answers.
 * What every backend would otherwise check again (arguments, an image
 * loaded, configuration compatibility) is checked here, once.
 */
#include "hone_internal.h"

#include <stdlib.h>
#include <string.h>

/* Backends built into this libhone, tried in order by URI scheme. A new
 * backend adds one line here and its extern declaration next to
 * hone_backend_ref in hone_internal.h. */
static const struct hone_backend *const backends[] = {
	&hone_backend_ref,
	&hone_backend_sim,
	&hone_backend_usb,
	NULL,
};


int hone_open(const char *uri, hone_device **out, hone_error *err)
{
	if (!out)
		return hone_fail(err, HONE_ERR_INVALID, "hone_open: no output pointer");
	*out = NULL;
	if (!uri)
		return hone_fail(err, HONE_ERR_INVALID, "hone_open: no device URI");
	/* "scheme:arg"; a bare "ref" means "ref:". */
	const char *colon = strchr(uri, ':');
	size_t len = colon ? (size_t)(colon - uri) : strlen(uri);
	const char *arg = colon ? colon + 1 : "";
	const struct hone_backend *be = NULL;
	for (size_t i = 0; backends[i] && !be; i++)
		if (strlen(backends[i]->name) == len && !strncmp(backends[i]->name, uri, len))
			be = backends[i];
	if (!be) {
		return hone_fail(err, HONE_ERR_INVALID,
		                 "device '%s': unknown scheme (ref:, ref:CONFIG, sim:, sim:verilator, "
		                 "sim:icarus, usb:, usb:SERIAL, usb:BUS.ADDR)",
		                 uri);
	}
	hone_device *dev = calloc(1, sizeof *dev);
	if (!dev)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening '%s'", uri);
	dev->be = be;
	int rc = be->open(dev, arg, err);
	if (rc) {
		be->close(dev); /* backends free whatever open got to */
		free(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

void hone_close(hone_device *dev)
{
	if (!dev)
		return;
	dev->be->close(dev);
	free(dev);
}

int hone_get_caps(hone_device *dev, hone_caps *caps, hone_error *err)
{
	if (!dev || !caps)
		return hone_fail(err, HONE_ERR_INVALID, "hone_get_caps: no device or no output");
	return dev->be->caps(dev, caps, err);
}

/* The fields of a configuration the hardware is built from. */
static int config_compatible(const hone_config *dev, const hone_config *img, hone_error *err)
{
	const struct {
		const char *what;
		uint32_t d, i;
	} f[] = {
		{"cores", dev->cores, img->cores},
		{"lanes", dev->lanes, img->lanes},
		{"weight_bits", dev->weight_bits, img->weight_bits},
		{"potential_bits", dev->potential_bits, img->potential_bits},
		{"input_bits", dev->input_bits, img->input_bits},
		{"neurons", dev->neurons, img->neurons},
		{"axons", dev->axons, img->axons},
		{"weight_words", dev->weight_words, img->weight_words},
		{"axon_segments", dev->axon_segments, img->axon_segments},
		{"route_segments", dev->route_segments, img->route_segments},
	};
	for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
		if (f[k].d != f[k].i)
			return hone_fail(err, HONE_ERR_INVALID,
			                 "the image was compiled for configuration '%.16s' but the device runs "
			                 "'%.16s': %s is %u in the image, %u on the device (recompile with "
			                 "--target %.16s)",
			                 img->name, dev->name, f[k].what, f[k].i, f[k].d, dev->name);
	return 0;
}

int hone_load(hone_device *dev, const hone_image *img, hone_error *err)
{
	if (!dev || !img)
		return hone_fail(err, HONE_ERR_INVALID, "hone_load: no device or no image");
	if (img->n_writes && !img->writes)
		return hone_fail(err, HONE_ERR_INVALID, "hone_load: image has %zu writes but no write array",
		                 img->n_writes);
	int rc = hone_config_check(&img->cfg, err);
	if (rc)
		return rc;
	if (dev->cfg.cores == 0) {
		/* A device without its own configuration (ref:) takes the
		 * image's, once; later images must match it like anywhere. */
		dev->cfg = img->cfg;
		dev->cfg.memory = NULL;
		dev->cfg.description = NULL;
	} else if ((rc = config_compatible(&dev->cfg, &img->cfg, err))) {
		return rc;
	}
	dev->loaded = false;
	rc = dev->be->write(dev, img->writes, img->n_writes, err);
	if (!rc)
		dev->loaded = true;
	return rc;
}

static int need_loaded(hone_device *dev, const char *what, hone_error *err)
{
	if (!dev)
		return hone_fail(err, HONE_ERR_INVALID, "%s: no device", what);
	if (!dev->loaded)
		return hone_fail(err, HONE_ERR_INVALID, "%s: no image loaded on the %s device", what,
		                 dev->be->name);
	return 0;
}

int hone_reset_state(hone_device *dev, hone_error *err)
{
	int rc = need_loaded(dev, "hone_reset_state", err);
	if (rc)
		return rc;
	const hone_write w = {
		.target = HONE_TARGET_CHIP, .mem = HONE_MEM_CMD, .addr = HONE_CMD_RESET_STATE, .data = 0,
	};
	return dev->be->write(dev, &w, 1, err);
}

int hone_set_trace(hone_device *dev, int on, hone_error *err)
{
	if (!dev)
		return hone_fail(err, HONE_ERR_INVALID, "hone_set_trace: no device");
	return dev->be->set_trace(dev, on, err);
}

int hone_push_events(hone_device *dev, const hone_event *ev, size_t n, hone_error *err)
{
	int rc = need_loaded(dev, "hone_push_events", err);
	if (rc || n == 0)
		return rc;
	if (!ev)
		return hone_fail(err, HONE_ERR_INVALID, "hone_push_events: %zu events but no array", n);
	return dev->be->push_events(dev, ev, n, err);
}

int hone_end_tick(hone_device *dev, hone_error *err)
{
	int rc = need_loaded(dev, "hone_end_tick", err);
	return rc ? rc : dev->be->end_tick(dev, err);
}

int hone_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	if (!dev || !res)
		return hone_fail(err, HONE_ERR_INVALID, "hone_next_result: no device or no output");
	return dev->be->next_result(dev, res, err);
}

size_t hone_pending(hone_device *dev)
{
	return dev ? dev->be->pending(dev) : 0;
}

int hone_read_counters(hone_device *dev, hone_counters *c, hone_error *err)
{
	if (!dev || !c)
		return hone_fail(err, HONE_ERR_INVALID, "hone_read_counters: no device or no output");
	return dev->be->counters(dev, c, err);
}

int hone_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                  uint32_t addr, uint32_t n, uint64_t *out, hone_error *err)
{
	if (!dev || (n && !out))
		return hone_fail(err, HONE_ERR_INVALID, "hone_read_mem: no device or no output");
	return dev->be->read_mem(dev, target, mem, addr, n, out, err);
}
