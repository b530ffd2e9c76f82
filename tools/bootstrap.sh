#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install every Debian package hone needs, once. Idempotent and quick when
# everything is present. As non-root with packages missing, print the exact
# command to run and fail.
set -eu

PACKAGES="build-essential pkg-config git
verilator iverilog yosys nextpnr-ice40 fpga-icestorm
libusb-1.0-0-dev libftdi1-dev libhdf5-dev hdf5-tools libopenblas-dev
zlib1g-dev libcmocka-dev libumockdev-dev umockdev valgrind
dataset-fashion-mnist python3-sklearn"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "bootstrap: missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: run as root (or with sudo):" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "bootstrap: apt-get update" >&2
apt-get update -qq
echo "bootstrap: apt-get install$missing" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
echo "bootstrap: done" >&2
