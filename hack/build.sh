#!/usr/bin/env bash
# Build the gocontainer binary into ./gocontainer (or $1).
#
# The binary is linked statically (glibc and libseccomp included): every
# container costs four starts of it (create, the container init, start,
# delete), and a static binary skips the dynamic loader, about 2 ms per
# start on the benchmark machine (see docs/performance.md). netgo and
# osusergo keep glibc's NSS out, which cannot work statically linked.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$repo/gocontainer}")
cd "$repo/cmd/gocontainer"
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
version=$(cat "$repo/VERSION" 2>/dev/null || echo 0.1.0-dev)
# The wasm runner (docs/wasm.md) first: gocontainer embeds it. Pure Go,
# static, for the same GOARCH.
wazero=$(cd "$repo/libcontainer" && go list -m -f '{{.Version}}' github.com/tetratelabs/wazero)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "wasmrunner/bin/$(go env GOARCH)/gocontainer-wasm" ./wasmrunner
go build -trimpath -tags netgo,osusergo \
	-ldflags "-s -w -linkmode external -extldflags -static -X main.version=$version -X main.commit=$commit -X 'main.wasmEngine=wazero $wazero'" \
	-o "$out" .
