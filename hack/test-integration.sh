#!/usr/bin/env bash
# Integration tests of the built binary (tests/integration): real
# containers as root, checking what the host and the container see.
#
#   hack/test-integration.sh [go test args...]   # e.g. -run TestLifecycle
#
# Builds ./gocontainer if it is missing or older than the sources (unless
# GOCONTAINER names a binary), makes
# the busybox rootfs once (cached in $GOCONTAINER_IT_CACHE, default
# ${TMPDIR:-/tmp}/gocontainer-it-cache), moves itself into a cgroup of its
# own (containers without an absolute cgroupsPath land under the caller's
# cgroup) and leaves it again on exit. GOCONTAINER_IT_TEST names a test
# binary built earlier with `go test -c` (hack/vm runs one in the VM, which
# has no Go): it runs instead of `go test`, with -run/-v/-count/-timeout/-skip
# given to it as -test.run etc.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# GOCONTAINER picks another binary (e.g. runc, to check the tests
# themselves); it is used as is, never built.
if [[ -n ${GOCONTAINER:-} ]]; then
	bin=$(realpath "$GOCONTAINER")
	[[ -x $bin ]] || { echo "test-integration: GOCONTAINER=$GOCONTAINER is not executable" >&2; exit 1; }
else
	bin=$repo/gocontainer
	if [[ ! -x $bin ]] || [[ -n $(find "$repo/cmd" "$repo/ocicli" "$repo/libcontainer" "$repo/libcgroups" "$repo/libseccomp" \
		-name '*.go' -newer "$bin" -print -quit 2>/dev/null) ]]; then
		echo "test-integration: building $bin" >&2
		"$repo/hack/build.sh" "$bin"
	fi
fi

cache=${GOCONTAINER_IT_CACHE:-${TMPDIR:-/tmp}/gocontainer-it-cache}
if [[ ! -x $cache/rootfs/bin/busybox || $cache/rootfs -ot $repo/hack/mkrootfs.sh ]]; then
	rm -rf "$cache/rootfs"
	mkdir -p "$cache"
	"$repo/hack/mkrootfs.sh" "$cache/rootfs"
	touch "$cache/rootfs"
fi

cg=gocontainer-it-$$
cleanup() {
	local rc=$?
	# shellcheck source=hack/cgroup-leave.sh
	source "$repo/hack/cgroup-leave.sh" "$cg" || rc=1
	exit $rc
}
trap cleanup EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"

cd "$repo/tests/integration"
if [[ -n ${GOCONTAINER_IT_TEST:-} ]]; then
	args=()
	for a in "$@"; do
		case $a in
		-run | -run=* | -skip | -skip=* | -v | -count | -count=* | -timeout | -timeout=*) args+=("-test.${a#-}") ;;
		*) args+=("$a") ;;
		esac
	done
	GOCONTAINER=$bin GOCONTAINER_ROOTFS=$cache/rootfs "$GOCONTAINER_IT_TEST" -test.count=1 -test.v -test.timeout 20m "${args[@]}"
	exit
fi
GOCONTAINER=$bin GOCONTAINER_ROOTFS=$cache/rootfs go test -count=1 -v -timeout 10m "$@" ./...
