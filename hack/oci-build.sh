#!/usr/bin/env bash
# Build the runtime-tools v0.9.0 validation suite into tests/oci/bin/:
# every validation/<name> program, a static cmd/runtimetest (it runs inside
# busybox containers, which have no libc) and rootfs-amd64.tar.gz, the
# three things runtime-tools' util.PrepareBundle expects in its working dir.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod=$repo/tests/oci
bin=$mod/bin
# tests/oci pins runtime-spec v1.0.2 and cannot share the workspace's
# build list (see go.work).
export GOWORK=off

cd "$mod"
mkdir -p "$bin"
go mod download github.com/opencontainers/runtime-tools
rt=$(go list -m -f '{{.Dir}}' github.com/opencontainers/runtime-tools)

echo "oci-build: validation programs -> $bin" >&2
go build -o "$bin/" github.com/opencontainers/runtime-tools/validation/...
CGO_ENABLED=0 go build -o "$bin/runtimetest" github.com/opencontainers/runtime-tools/cmd/runtimetest

arch=$(go env GOARCH)
tarball=rootfs-$arch.tar.gz
if [[ -f $rt/$tarball ]]; then
	# Shipped in the runtime-tools module zip: a busybox rootfs.
	install -m 0644 "$rt/$tarball" "$bin/$tarball"
else
	echo "oci-build: $tarball not in $rt, building one from busybox-static" >&2
	"$repo/hack/mkrootfs.sh" --tar "$bin/$tarball"
fi
n=$(find "$bin" -maxdepth 1 -type f -executable ! -name runtimetest | wc -l)
echo "oci-build: $n validation programs, runtimetest, $tarball" >&2
