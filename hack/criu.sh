#!/usr/bin/env bash
# Make sure a CRIU that can checkpoint on this kernel is installed.
#
# Debian 12 ships criu 3.17, which cannot dump on recent kernels (6.18:
# "vdso: Unexpected rt vDSO area bounds", fixed in CRIU 4.1; the socket
# changes of kernel 6.16 need 4.2). When `criu --version` is older than
# $CRIU_MIN, build CRIU $CRIU_VERSION from Debian's own source package (the
# orig tarball in Debian's pool, checked against the sha256 of sid's .dsc),
# with build dependencies from bookworm, and install it under /usr/local.
# The build is cached in $CRIU_CACHE, so later runs only re-install it.
#
# Run as root. Idempotent. Prints one line on success.
set -euo pipefail

CRIU_VERSION=${CRIU_VERSION:-4.2.1}
CRIU_SHA256=${CRIU_SHA256:-29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9}
CRIU_MIN=${CRIU_MIN:-4.2}
CRIU_CACHE=${CRIU_CACHE:-/var/cache/gocontainer-criu}
PREFIX=/usr/local

if ((EUID != 0)); then
	echo "criu.sh: run as root (it installs Debian packages and /usr/local/sbin/criu)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# version_ge A B: A >= B for dotted versions.
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

criu_version() {
	# "Version: 4.2.1" on the first line.
	"$1" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}'
}

installed=""
if command -v criu >/dev/null; then
	installed=$(criu_version "$(command -v criu)")
fi
# CRIU locks a container's network during a dump with iptables-restore
# (Debian's criu package depends on iptables for the same reason).
if ! command -v iptables-restore >/dev/null; then
	echo "criu.sh: apt-get install iptables" >&2
	apt-get install -y -q --no-install-recommends iptables >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends iptables >/dev/null; }
fi

if [[ -n "$installed" ]] && version_ge "$installed" "$CRIU_MIN"; then
	echo "criu.sh: criu $installed at $(command -v criu) (>= $CRIU_MIN)" >&2
	exit 0
fi

cached="$CRIU_CACHE/$CRIU_VERSION/criu"
if [[ -x "$cached" ]] && [[ "$(criu_version "$cached")" == "$CRIU_VERSION" ]]; then
	install -m 0755 "$cached" "$PREFIX/sbin/criu"
	hash -r
	echo "criu.sh: criu $CRIU_VERSION installed from the cache $cached (found: ${installed:-none})" >&2
	exit 0
fi

echo "criu.sh: criu ${installed:-not installed} is older than $CRIU_MIN: building CRIU $CRIU_VERSION" >&2

# Build dependencies, all from bookworm. criu's Makefile.config detects
# libnftables and libbsd; without them it falls back to iptables and its
# own helpers, so they are wanted but not strictly needed.
debs=(gcc make pkg-config libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler
	python3-protobuf libnl-3-dev libnl-route-3-dev libnet1-dev libcap-dev libgnutls28-dev libbsd-dev
	uuid-dev libnftables-dev xz-utils)
missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "criu.sh: apt-get install ${missing[*]}" >&2
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/criu-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarball="$work/criu_${CRIU_VERSION}.orig.tar.xz"

# The orig tarball from Debian's pool, checked against sid's .dsc checksum.
# apt-helper is apt's own downloader (no curl/wget needed on a fresh host).
url="http://deb.debian.org/debian/pool/main/c/criu/criu_${CRIU_VERSION}.orig.tar.xz"
if ! /usr/lib/apt/apt-helper download-file "$url" "$tarball" "SHA256:$CRIU_SHA256" >/dev/null 2>&1; then
	# Fallback: whatever sid's source package is now, through a private
	# sources list so the host's apt configuration is untouched.
	echo "criu.sh: $url not available; trying apt-get source criu from sid" >&2
	mkdir -p "$work/apt/lists/partial"
	echo 'deb-src http://deb.debian.org/debian sid main' >"$work/apt/sid.list"
	aptopts=(-o "Dir::Etc::SourceList=$work/apt/sid.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$work/apt/lists" -o APT::Sandbox::User=root)
	apt-get -q "${aptopts[@]}" update >/dev/null
	# The .debian.tar.xz is not needed; only the orig tarball is used, so a
	# failure to fetch the rest is fine as long as the orig arrived.
	(cd "$work" && apt-get -q "${aptopts[@]}" source --download-only criu >/dev/null 2>&1) || true
	tarball=$(ls "$work"/criu_*.orig.tar.* 2>/dev/null | head -1)
	[[ -n "$tarball" ]] || { echo "criu.sh: could not download CRIU's source from Debian" >&2; exit 1; }
	CRIU_VERSION=$(basename "$tarball" | sed -E 's/^criu_([^.]+\.[^.]+(\.[^.]+)?)\.orig.*/\1/')
	cached="$CRIU_CACHE/$CRIU_VERSION/criu"
fi

mkdir "$work/src"
tar -C "$work/src" --strip-components=1 -xf "$tarball"
src="$work/src"
start=$(date +%s)
# Only the criu binary: no docs (asciidoc/xmlto), no python package, no libcriu.
make -C "$src" -j"$(nproc)" criu >"$work/build.log" 2>&1 || {
	tail -30 "$work/build.log" >&2
	echo "criu.sh: building CRIU $CRIU_VERSION failed (log above)" >&2
	exit 1
}
secs=$(($(date +%s) - start))
built="$src/criu/criu"
[[ "$(criu_version "$built")" == "$CRIU_VERSION" ]] || {
	echo "criu.sh: built $built reports version '$(criu_version "$built")', want $CRIU_VERSION" >&2
	exit 1
}
mkdir -p "$CRIU_CACHE/$CRIU_VERSION"
install -m 0755 "$built" "$cached"
install -m 0755 "$built" "$PREFIX/sbin/criu"
hash -r
echo "criu.sh: built CRIU $CRIU_VERSION in ${secs}s, installed $PREFIX/sbin/criu (cache $CRIU_CACHE/$CRIU_VERSION)" >&2
