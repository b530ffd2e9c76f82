/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes and messages. */
#include "hone_internal.h"

#include <stdio.h>

const char *hone_strerror(int code)
{
	switch (code) {
	case HONE_OK: return "success";
	case HONE_ERR_IO: return "I/O error";
	case HONE_ERR_FORMAT: return "malformed input";
	case HONE_ERR_UNSUPPORTED: return "unsupported";
	case HONE_ERR_NOMEM: return "out of memory";
	case HONE_ERR_INVALID: return "invalid argument";
	case HONE_ERR_NOFIT: return "network does not fit the configuration";
	case HONE_ERR_OVERFLOW: return "accumulation could overflow";
	case HONE_ERR_CHECKSUM: return "checksum mismatch";
	case HONE_ERR_VERSION: return "unsupported version";
	case HONE_ERR_DEVICE: return "device error";
	case HONE_ERR_TIMEOUT: return "timeout";
	case HONE_ERR_NO_DEVICE: return "no such device";
	case HONE_ERR_ACCESS: return "permission denied";
	case HONE_ERR_PROTOCOL: return "link protocol error";
	case HONE_ERR_MISMATCH: return "backends disagree";
	default: return "unknown error";
	}
}

int hone_fail(hone_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->code = code;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}
