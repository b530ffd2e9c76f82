/* SPDX-License-Identifier: Apache-2.0 */
/* The hone command: one entry point, one subcommand per job. */
#include "cli.h"
#include "train.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: hone COMMAND [ARGS]\n"
	"\n"
	"Sharpened spiking networks on open FPGAs.\n"
	"\n"
	"commands:\n"
	"  train     Whetstone training on a data set, writes a NIR file\n"
	"  compile   map a NIR network onto a chip configuration (.himg)\n"
	"  run       stream a data set or event file through a backend\n"
	"  verify    compare backends spike by spike, potential by potential\n"
	"  info      describe a network, chip image, configuration or device\n"
	"  bench     performance figures, as JSON and as a table\n"
	"\n"
	"`hone COMMAND --help` documents each command.\n"
	"  hone --version   print the version\n";

int cli_error(const char *sub, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hone %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_error_from(const char *sub, const hone_error *e, int code)
{
	if (e && e->msg[0])
		return cli_error(sub, "%s", e->msg);
	return cli_error(sub, "%s", hone_strerror(code));
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_counters_since(hone_device *dev, const hone_counters *base,
                       hone_counters *out, hone_error *err)
{
	int rc = hone_read_counters(dev, out, err);
	if (rc)
		return rc;
	out->ticks -= base->ticks;
	out->events -= base->events;
	out->sops -= base->sops;
	out->cycles -= base->cycles;
	out->link_bytes_out -= base->link_bytes_out;
	out->link_bytes_in -= base->link_bytes_in;
	out->link_payload_bytes -= base->link_payload_bytes;
	return 0;
}

void cli_progress_init(cli_progress *p, const char *what, bool quiet)
{
	p->what = what;
	p->quiet = quiet;
	p->tty = isatty(STDERR_FILENO);
	p->last_decile = -1;
	p->t0 = cli_now();
}

void cli_progress_cb(void *user, size_t done, size_t total)
{
	cli_progress *p = user;
	if (p->quiet || total == 0)
		return;
	double el = cli_now() - p->t0;
	double rate = el > 0 ? (double)done / el : 0;
	if (p->tty) {
		int w = 30, fill = (int)((double)w * (double)done / (double)total);
		fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu %.0f/s ", p->what, fill,
		        "##############################", w - fill, "", done, total, rate);
		if (done == total)
			fputc('\n', stderr);
	} else {
		/* Logs get a line per 10 %, and only for runs long enough to
		 * need one. */
		int dec = (int)(10 * done / total);
		if (el >= 2.0 && dec != p->last_decile) {
			p->last_decile = dec;
			fprintf(stderr, "%s: %zu/%zu (%d%%) %.0f/s\n", p->what, done, total,
			        dec * 10, rate);
		}
	}
}

void cli_progress_done(cli_progress *p)
{
	(void)p;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(c, "--version")) {
		printf("hone %s\n", HONE_VERSION_STRING);
		return 0;
	}
	if (!strcmp(c, "train"))
		return hone_train_main(argc - 1, argv + 1);
	if (!strcmp(c, "compile"))
		return cmd_compile(argc - 1, argv + 1);
	if (!strcmp(c, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(c, "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(c, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(c, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "hone: unknown command '%s'\n\n%s", c, usage);
	return 2;
}
