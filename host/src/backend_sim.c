/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "sim" device: the RTL (rtl/hone_chip.v) in cycle-accurate Verilator
 * simulation, driven through the chip's own command interface
 * (docs/chip-interface.md) by the C shim sim/hone_vsim.h.
 *
 *   sim:  sim:verilator          configuration of the first image loaded
 *   sim:CONFIG  sim:verilator:CONFIG   that configuration, built at open
 *
 * What the commands and responses mean on the host's side (the shadow
 * reference chip that checks writes and events, the ticks in flight, the
 * responses filed into tick results and answers) is chip_session.c, shared
 * with the usb backend; this file moves them through the Verilator model.
 */
#include "chip_session.h"

#include "../../sim/hone_vsim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sim_dev {
	char config[16];
	hone_vsim *vs;
	hone_chip_session cs;    /* valid once vs is */
} sim_dev;

/* Take every response the shim holds and file it. */
static int drain(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	unsigned kind;
	uint64_t data;
	while (hone_vsim_poll(sd->vs, &kind, &data)) {
		int rc = hone_chip_session_file(&sd->cs, kind, data, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Run the chip until `n` answer words of `kind` arrived. */
static int wait_words(hone_device *dev, unsigned kind, unsigned n, hone_error *err)
{
	sim_dev *sd = dev->priv;
	for (;;) {
		int rc = drain(dev, err);
		if (rc)
			return rc;
		if (hone_chip_session_has_words(&sd->cs, kind, n))
			return 0;
		if (hone_vsim_run_until(sd->vs, kind))
			return hone_fail(err, HONE_ERR_TIMEOUT, "sim: the chip did not answer (kind %u)", kind);
	}
}

static int cmd(hone_device *dev, unsigned op, unsigned target, unsigned mem,
               uint32_t addr, uint64_t data, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (hone_vsim_cmd(sd->vs, op, target, mem, addr, data))
		return hone_fail(err, HONE_ERR_TIMEOUT, "sim: the chip did not take command %u", op);
	return 0;
}

static int ensure_model(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (sd->vs)
		return 0;
	if (dev->cfg.cores == 0)
		return hone_fail(err, HONE_ERR_INVALID,
		                 "device sim: has no configuration until an image is loaded");
	int rc = hone_config_check(&dev->cfg, err);
	if (rc)
		return rc;
	snprintf(sd->config, sizeof sd->config, "%.15s", dev->cfg.name);
	const hone_config *known = hone_config_find(sd->config);
	if (!known || known->cores != dev->cfg.cores || known->lanes != dev->cfg.lanes ||
	    known->neurons != dev->cfg.neurons || known->weight_words != dev->cfg.weight_words)
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim: configuration '%s' is not a built-in one; the RTL is built "
		                 "only for: %s", sd->config, hone_vsim_configs());
	sd->vs = hone_vsim_new(sd->config, NULL);
	if (!sd->vs)
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim: no Verilator model of '%s' in this build (built: %s)",
		                 sd->config, hone_vsim_configs());
	rc = hone_chip_session_init(&sd->cs, "sim", err);
	return rc ? rc : hone_chip_session_configure(&sd->cs, &dev->cfg, 0, err);
}

static int sim_open(hone_device *dev, const char *arg, hone_error *err)
{
	sim_dev *sd = calloc(1, sizeof *sd);
	if (!sd)
		return hone_fail(err, HONE_ERR_NOMEM, "out of memory opening sim:");
	dev->priv = sd;
	if (!arg)
		arg = "";
	if (!strncmp(arg, "verilator", 9) && (arg[9] == 0 || arg[9] == ':'))
		arg += arg[9] ? 10 : 9;
	else if (!strncmp(arg, "icarus", 6))
		return hone_fail(err, HONE_ERR_UNSUPPORTED,
		                 "sim:icarus: the Icarus harness runs batch comparisons only "
		                 "(tests/test_rtl_icarus.c); use sim:verilator as a device");
	if (*arg) {
		const hone_config *cfg = hone_config_find(arg);
		if (!cfg)
			return hone_fail(err, HONE_ERR_INVALID, "sim:%s: no such configuration (built: %s)",
			                 arg, hone_vsim_configs());
		dev->cfg = *cfg;
		return ensure_model(dev, err);
	}
	return 0;
}

static void sim_close(hone_device *dev)
{
	sim_dev *sd = dev->priv;
	if (!sd)
		return;
	if (sd->vs)
		hone_chip_session_free(&sd->cs);
	hone_vsim_free(sd->vs);
	free(sd);
	dev->priv = NULL;
}

static int sim_caps(hone_device *dev, hone_caps *caps, hone_error *err)
{
	sim_dev *sd = dev->priv;
	memset(caps, 0, sizeof *caps);
	strcpy(caps->backend, "sim");
	caps->cfg = dev->cfg;
	caps->cfg.memory = NULL;
	caps->cfg.description = NULL;
	if (!sd->vs)
		return 0;
	int rc = cmd(dev, HONE_CHIP_OP_CAPS, 0, 0, 0, 0, err);
	if (!rc)
		rc = wait_words(dev, HONE_RSP_CAPS, 2, err);
	if (rc)
		return rc;
	uint64_t w[2];
	hone_chip_session_take_words(&sd->cs, w, 2);
	hone_chip_caps_decode(w[0], w[1], &caps->cfg, &caps->protocol_version, caps->build_id);
	return 0;
}

static int sim_write(hone_device *dev, const hone_write *w, size_t n, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = hone_chip_session_write(&sd->cs, &w[i], i, n, err);
		if (rc)
			break;
		rc = cmd(dev, HONE_CHIP_OP_WRITE, w[i].target, w[i].mem, w[i].addr, w[i].data, err);
	}
	return rc;
}

static int sim_read_mem(hone_device *dev, uint8_t target, uint8_t mem,
                        uint32_t addr, uint32_t n, uint64_t *out, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	for (uint32_t i = 0; i < n && !rc; i++) {
		rc = hone_chip_session_read(&sd->cs, target, mem, addr + i, 1, err);
		if (!rc)
			rc = cmd(dev, HONE_CHIP_OP_READ, target, mem, addr + i, 0, err);
		if (!rc)
			rc = wait_words(dev, HONE_RSP_READ_DATA, 1, err);
		if (!rc)
			hone_chip_session_take_words(&sd->cs, &out[i], 1);
	}
	return rc;
}

static int sim_set_trace(hone_device *dev, int on, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	if (!rc)
		rc = cmd(dev, HONE_CHIP_OP_TRACE, 0, 0, 0, on ? 1 : 0, err);
	if (!rc)
		sd->cs.trace = on != 0;
	return rc;
}

static int sim_push_events(hone_device *dev, const hone_event *ev, size_t n, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = hone_chip_session_input(&sd->cs, ev[i].input, ev[i].g, err);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (!rc)
			rc = cmd(dev, HONE_CHIP_OP_EVENT, 0, 0, ev[i].input, ev[i].g, err);
	}
	return rc;
}

static int sim_end_tick(hone_device *dev, hone_error *err)
{
	sim_dev *sd = dev->priv;
	int rc = ensure_model(dev, err);
	if (rc)
		return rc;
	if ((rc = hone_chip_session_tick_room(&sd->cs, err)))
		return rc;
	if ((rc = cmd(dev, HONE_CHIP_OP_TICK, 0, 0, 0, 0, err)))
		return rc;
	hone_chip_session_tick_sent(&sd->cs);
	return 0;
}

static int sim_next_result(hone_device *dev, hone_tick_result *res, hone_error *err)
{
	sim_dev *sd = dev->priv;
	if (!sd->vs || !hone_chip_session_pending(&sd->cs))
		return hone_fail(err, HONE_ERR_INVALID, "no ended tick is waiting for its result");
	for (;;) {
		int rc = drain(dev, err);
		if (rc)
			return rc;
		if (hone_chip_session_has_result(&sd->cs))
			break;
		if (hone_vsim_run_until(sd->vs, HONE_RSP_TICK_DONE))
			return hone_fail(err, HONE_ERR_TIMEOUT, "sim: tick %" PRIu64 " did not finish",
			                 sd->cs.ticks_taken);
	}
	hone_chip_session_take(&sd->cs, res);
	return 0;
}

static size_t sim_pending(hone_device *dev)
{
	sim_dev *sd = dev->priv;
	return sd->vs ? hone_chip_session_pending(&sd->cs) : 0;
}

static int sim_counters(hone_device *dev, hone_counters *c, hone_error *err)
{
	sim_dev *sd = dev->priv;
	memset(c, 0, sizeof *c);
	if (!sd->vs)
		return 0;
	int rc = cmd(dev, HONE_CHIP_OP_COUNTERS, 0, 0, 0, 0, err);
	if (!rc)
		rc = wait_words(dev, HONE_RSP_COUNTER, 4, err);
	if (rc)
		return rc;
	uint64_t w[4];
	hone_chip_session_take_words(&sd->cs, w, 4);
	c->cycles = w[0];
	c->events = w[1];
	c->sops = w[2];
	c->ticks = w[3];
	return 0;
}

const struct hone_backend hone_backend_sim = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.caps = sim_caps,
	.write = sim_write,
	.read_mem = sim_read_mem,
	.set_trace = sim_set_trace,
	.push_events = sim_push_events,
	.end_tick = sim_end_tick,
	.next_result = sim_next_result,
	.pending = sim_pending,
	.counters = sim_counters,
};
