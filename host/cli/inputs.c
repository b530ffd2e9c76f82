/* SPDX-License-Identifier: Apache-2.0 */
/* Input sets for run/verify/bench: a data set or an event file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_load_inputs(const char *sub, const char *dataset, const char *events,
                    const char *split, long limit, const hone_image *img,
                    cli_inputs *in)
{
	memset(in, 0, sizeof *in);
	hone_error e = {0};
	int rc;
	if (events) {
		rc = hone_events_read(events, &in->events, &e);
		if (rc)
			return cli_error_from(sub, &e, rc);
		if (in->events->n_inputs > img->n_inputs)
			return cli_error(sub, "'%s' declares %d inputs but the image has %d",
			                 events, in->events->n_inputs, img->n_inputs);
		for (size_t i = 0; i < in->events->n; i++)
			if (in->events->ev[i].g >= (1u << img->input_bits))
				return cli_error(sub, "'%s': event %zu has g = %u, wider than the image's %d-bit inputs",
				                 events, i, in->events->ev[i].g, img->input_bits);
		snprintf(in->name, sizeof in->name, "events");
		return 0;
	}
	if (!dataset)
		dataset = img->n_inputs == 64 ? "digits" : "fashion-mnist";
	if (!strcmp(dataset, "fashion-mnist")) {
		rc = hone_dataset_fashion_mnist(NULL, split, (int32_t)limit, &in->ds, &e);
		if (rc)
			return cli_error_from(sub, &e, rc);
	} else if (!strcmp(dataset, "digits")) {
		hone_dataset *all = NULL, *train = NULL, *test = NULL;
		const char *path = hone_dataset_digits_default_path();
		if (!path)
			return cli_error(sub, "digits.csv.gz not found: install python3-sklearn "
			                      "(tools/bootstrap.sh does)");
		rc = hone_dataset_digits(path, &all, &e);
		if (rc)
			return cli_error_from(sub, &e, rc);
		rc = hone_dataset_split(all, CLI_DIGITS_TEST_FRACTION, CLI_DIGITS_SPLIT_SEED,
		                        &train, &test);
		hone_dataset_free(all);
		if (rc)
			return cli_error(sub, "cannot split the digits set: %s", hone_strerror(rc));
		if (!strcmp(split, "train")) {
			in->ds = train;
			hone_dataset_free(test);
		} else {
			in->ds = test;
			hone_dataset_free(train);
		}
		if (limit > 0 && limit < in->ds->n)
			in->ds->n = (int32_t)limit;
	} else {
		return cli_error(sub, "unknown data set '%s' (fashion-mnist or digits)", dataset);
	}
	if (in->ds->n_features != img->n_inputs)
		return cli_error(sub, "data set '%s' has %d features but the image expects %d inputs",
		                 dataset, in->ds->n_features, img->n_inputs);
	in->n = (size_t)in->ds->n;
	in->g = malloc(in->n * (size_t)img->n_inputs);
	if (!in->g)
		return cli_error(sub, "out of memory");
	for (size_t i = 0; i < in->n; i++)
		hone_dataset_quantize(in->ds, (int32_t)i, img->input_bits,
		                      in->g + i * (size_t)img->n_inputs);
	snprintf(in->name, sizeof in->name, "%s/%s", dataset, split);
	return 0;
}

void cli_inputs_free(cli_inputs *in)
{
	hone_dataset_free(in->ds);
	hone_events_free(in->events);
	free(in->g);
	memset(in, 0, sizeof *in);
}
