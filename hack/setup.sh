#!/usr/bin/env bash
# Install everything gocontainer's build, tests, demo and bench need on a
# Debian 12 machine that has Go, gcc, git and node/npm. Run as root.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

if ((EUID != 0)); then
	echo "setup: run as root (it installs Debian packages)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
export PATH=$PATH:/usr/local/go/bin

command -v go >/dev/null || { echo "setup: go not found (expected in PATH or /usr/local/go/bin)" >&2; exit 1; }

# dbus-daemon: the systemd driver's unit tests run a fake systemd on a private bus.
debs=(libseccomp-dev busybox-static runc crun hyperfine jq time uidmap iproute2 file procps util-linux tar gzip dbus-daemon)
missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: apt-get install ${missing[*]}" >&2
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Release builds (.goreleaser.yaml, docs/releasing.md): the arm64 binary
# is cross-compiled and links Debian's arm64 libseccomp statically.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "setup: dpkg --add-architecture arm64" >&2
	dpkg --add-architecture arm64
	apt-get update -q
fi
cross=()
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross libseccomp-dev:arm64; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || cross+=("$p")
done
if ((${#cross[@]})); then
	echo "setup: apt-get install ${cross[*]}" >&2
	apt-get install -y -q --no-install-recommends "${cross[@]}"
fi

if ! command -v just >/dev/null; then
	echo "setup: npm install -g rust-just" >&2
	npm install -g rust-just
fi
# A CRIU that can checkpoint on this kernel (built from Debian's source
# package when the distribution's is too old; cached after the first build).
bash "$(dirname "$0")/criu.sh"

echo "setup: done ($(go version | cut -d' ' -f3), just $(just --version | cut -d' ' -f2), runc $(runc --version | head -1 | cut -d' ' -f3), crun $(crun --version | head -1 | cut -d' ' -f3))" >&2
