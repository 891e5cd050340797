#!/usr/bin/env bash
# Run the contest suite (tests/contest) against a runtime.
#
#   hack/test-contest.sh [contest run args...]          # against ./gocontainer
#   hack/test-contest.sh -t lifecycle create            # some groups
#   CONTEST_RUNTIME=runc hack/test-contest.sh           # against another runtime
#
# Builds ./gocontainer if it is missing or older than its sources (unless
# CONTEST_RUNTIME names another runtime), builds contest and a static
# runtimetest into $CONTEST_CACHE (default ${TMPDIR:-/tmp}/gocontainer-contest),
# makes the busybox rootfs once, moves itself into cgroups of its own and
# leaves them again on exit. Tests listed in $CONTEST_EXCLUDE are reported
# as skipped with their reason (default: tests/contest/ci-exclude.txt for
# ./gocontainer, no list for a CONTEST_RUNTIME; "none" for no list).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${CONTEST_CACHE:-${TMPDIR:-/tmp}/gocontainer-contest}
mkdir -p "$cache"

if [[ -n ${CONTEST_RUNTIME:-} ]]; then
	runtime=$(command -v "$CONTEST_RUNTIME" || true)
	[[ -n $runtime && -x $runtime ]] || { echo "test-contest: CONTEST_RUNTIME=$CONTEST_RUNTIME is not an executable" >&2; exit 1; }
	runtime=$(realpath "$runtime")
else
	runtime=$repo/gocontainer
	if [[ ! -x $runtime ]] || [[ -n $(find "$repo/cmd" "$repo/ocicli" "$repo/libcontainer" "$repo/libcgroups" "$repo/libseccomp" \
		-name '*.go' -newer "$runtime" -print -quit 2>/dev/null) ]]; then
		echo "test-contest: building $runtime" >&2
		"$repo/hack/build.sh" "$runtime"
	fi
fi

echo "test-contest: building contest and runtimetest" >&2
# Built under a temporary name and renamed: another run may be executing
# the previous binaries (ETXTBSY), and bundles hard-link runtimetest.
(cd "$repo/tests/contest" && go build -o "$cache/contest.$$" ./cmd/contest &&
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$cache/runtimetest.$$" ./runtimetest)
mv -f "$cache/contest.$$" "$cache/contest"
mv -f "$cache/runtimetest.$$" "$cache/runtimetest"

if [[ ! -x $cache/rootfs/bin/busybox || $cache/rootfs -ot $repo/hack/mkrootfs.sh ]]; then
	rm -rf "$cache/rootfs"
	"$repo/hack/mkrootfs.sh" "$cache/rootfs"
	touch "$cache/rootfs"
fi

# The CI list describes gocontainer; another runtime runs everything unless
# told otherwise.
default_exclude=$repo/tests/contest/ci-exclude.txt
[[ -z ${CONTEST_RUNTIME:-} ]] || default_exclude=none
exclude=${CONTEST_EXCLUDE:-$default_exclude}
exclude_args=()
[[ $exclude == none ]] || exclude_args=(--exclude "$(realpath "$exclude")")

cg=gocontainer-contest-$$
cleanup() {
	local rc=$?
	# shellcheck source=hack/cgroup-leave.sh
	source "$repo/hack/cgroup-leave.sh" "$cg" || rc=1
	exit $rc
}
trap cleanup EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"

"$cache/contest" run --runtime "$runtime" --runtimetest "$cache/runtimetest" --rootfs "$cache/rootfs" \
	"${exclude_args[@]}" "$@"
