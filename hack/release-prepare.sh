#!/usr/bin/env bash
# goreleaser's before hook (.goreleaser.yaml): what the release binaries
# embed and what the archives carry besides them.
#
#   hack/release-prepare.sh OUT [VERSION]
#
# Builds the wasm runner (docs/wasm.md) for every release architecture
# into cmd/gocontainer/wasmrunner/bin/<arch>/, where gocontainer embeds it,
# and writes the man pages and completion scripts into OUT/man and
# OUT/completions (cmd/gocontainer/internal/gendocs, run on the build
# machine: the arm64 binary cannot run here).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:?usage: release-prepare.sh OUT}")
cd "$repo/cmd/gocontainer"
for arch in amd64 arm64; do
	CGO_ENABLED=0 GOARCH=$arch go build -trimpath -ldflags "-s -w" -o "wasmrunner/bin/$arch/gocontainer-wasm" ./wasmrunner
done
rm -rf "$out/man" "$out/completions"
go run ./internal/gendocs -man "$out/man" -completions "$out/completions" -version "${2:-$(cat "$repo/VERSION" 2>/dev/null || echo dev)}"
