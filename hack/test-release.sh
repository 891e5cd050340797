#!/usr/bin/env bash
# The release build, checked: goreleaser --snapshot (hack/release.sh), then
# the artifacts in _build/dist: checksums match, each archive carries the
# binary, README, CHANGELOG, docs, man pages and completions, both binaries
# are static (ldd) for their architecture (file), and the amd64 one
# reports its version, commit, spec and libseccomp, lists the wasm handlers
# and runs a busybox container.
#
#   hack/test-release.sh [--no-build]   # as root (it runs a container)
#
# Each check prints a go-test-style "--- PASS: release/NAME" or
# "--- FAIL: release/NAME" line; the script fails if any check failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=hack/lib-clients.sh
source "$repo/hack/lib-clients.sh"
client=release

if [[ ${1:-} != --no-build ]]; then
	start=$SECONDS
	hack/release.sh --snapshot
	echo "release: goreleaser --snapshot took $((SECONDS - start))s"
fi
dist=$repo/_build/dist
work=$(mktemp -d "${TMPDIR:-/tmp}/gc-release-XXXXXX")
cg=gocontainer-release-$$
trap 'timeout 30 "$work/x/amd64/gocontainer" --root "$work/state" delete -f gc-release >/dev/null 2>&1; source "$repo/hack/cgroup-leave.sh" "$cg" || true; rm -rf "$work"' EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
set +e

check checksums 'OK.*OK' bash -c "cd '$dist' && sha256sum -c checksums.txt"
for arch in amd64 arm64; do
	mkdir -p "$work/x/$arch"
	archive=$(ls "$dist"/gocontainer_*_linux_"$arch".tar.gz 2>/dev/null | head -1)
	check "archive_$arch" '^gocontainer$' bash -c "tar -C '$work/x/$arch' --strip-components=1 -xzf '$archive' && ls '$work/x/$arch' | grep -x gocontainer"
	check "archive_contents_$arch" 'CHANGELOG.md.*README.md.*completions/_gocontainer.*completions/gocontainer.bash.*completions/gocontainer.fish.*docs/wasm.md.*man/man8/gocontainer-exec.8.*man/man8/gocontainer.8' \
		bash -c "cd '$work/x/$arch' && find . -type f | sed 's|^\./||' | sort | tr '\n' ' '"
done
# ldd says so and exits 1.
WANT_RC=1 check static_amd64 'not a dynamic executable' ldd "$work/x/amd64/gocontainer"
check file_amd64 'x86-64.*statically linked' file "$work/x/amd64/gocontainer"
check file_arm64 'ARM aarch64.*statically linked' file "$work/x/arm64/gocontainer"
commit=$(git rev-parse HEAD)
check version "^runc version [0-9.]+-snapshot\\+[0-9a-f]+
commit: gocontainer-$commit
spec: [0-9.]+
go: go[0-9.]+
libseccomp: [0-9.]+$" "$work/x/amd64/gocontainer" --version
check features_wasm '"run.oci.gocontainer.wasm.engine": "wazero v[0-9.]+".*"run.oci.handler": "wasm,wasm-smart"' \
	bash -c "'$work/x/amd64/gocontainer' features | tr -d '\n'"
check man_page 'gocontainer-exec - run a new process inside a container' grep -h -A1 '^.SH NAME' "$work/x/amd64/man/man8/gocontainer-exec.8"

cache=${GOCONTAINER_IT_CACHE:-${TMPDIR:-/tmp}/gocontainer-it-cache}
if [[ ! -x $cache/rootfs/bin/busybox ]]; then
	rm -rf "$cache/rootfs" && mkdir -p "$cache" && hack/mkrootfs.sh "$cache/rootfs" >/dev/null
fi
mkdir -p "$work/bundle" && cp -a "$cache/rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && "$work/x/amd64/gocontainer" spec &&
	jq '.process.terminal=false | .process.args=["sh","-c","echo hello from the release binary; exit 3"]' config.json >c.json && mv c.json config.json)
WANT_RC=3 check runs_a_container '^hello from the release binary$' \
	"$work/x/amd64/gocontainer" --root "$work/state" run --bundle "$work/bundle" gc-release
exit $failed
