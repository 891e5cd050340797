#!/usr/bin/env bash
# Run the runtime-tools validation suite against a runtime.
#
#   hack/oci-test.sh RUNTIME          # the programs in tests/oci/list.txt; fails on any failure
#   hack/oci-test.sh --all RUNTIME    # every program; writes tests/oci/results/<name>.{md,json}, never fails
#
# RUNTIME is a path or a command name (runc, crun, ./gocontainer). The
# script builds the suite if needed, moves itself into a cgroup of its own
# (runtime-tools puts containers under the caller's cgroup) and leaves it
# again on exit. Extra environment: OCI_TIMEOUT, OCI_LIST, RUNTIME_NAME
# (see tests/oci/runtime_tools_test.go).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
all=0
if [[ ${1:-} == --all ]]; then
	all=1
	shift
fi
(($# == 1)) || { echo "usage: $0 [--all] RUNTIME" >&2; exit 2; }

runtime=$1
if [[ $runtime != */* ]]; then
	runtime=$(command -v "$runtime") || { echo "oci-test: runtime '$1' not found in PATH" >&2; exit 1; }
fi
runtime=$(realpath "$runtime")
[[ -x $runtime ]] || { echo "oci-test: $runtime is not executable" >&2; exit 1; }
name=${RUNTIME_NAME:-$(basename "$runtime")}

if [[ ! -x $repo/tests/oci/bin/runtimetest || ! -f $repo/tests/oci/bin/rootfs-amd64.tar.gz || ${OCI_REBUILD:-0} == 1 ]]; then
	"$repo/hack/oci-build.sh"
fi

# shellcheck source=hack/crun-hugetlb.sh
source "$repo/hack/crun-hugetlb.sh"
cg=gocontainer-oci-$$
unified=/sys/fs/cgroup/unified
subtree_before=""
[[ -r $unified/cgroup.subtree_control ]] && subtree_before=$(cat "$unified/cgroup.subtree_control")

# runtime-tools' cgroup programs use cgroupsPath "/cgrouptest" and
# "testdir/cgrouptest/container"; a runtime that fails half way (or that
# resolves the relative path against the root) leaves those behind, and a
# runtime enables controllers in the cgroup2 root's subtree_control that
# then block the v1 hugetlb mount crun needs. Undo both, touching only
# empty cgroups and controllers that were off before this run.
tidy_cgroups() {
	local d c
	for d in /sys/fs/cgroup/*/cgrouptest /sys/fs/cgroup/*/testdir; do
		[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	if [[ -w $unified/cgroup.subtree_control ]]; then
		for c in $(cat "$unified/cgroup.subtree_control"); do
			[[ " $subtree_before " == *" $c "* ]] && continue
			echo "-$c" >"$unified/cgroup.subtree_control" 2>/dev/null ||
				echo "oci-test: could not switch $c off again in $unified/cgroup.subtree_control" >&2
		done
	fi
	return 0
}
cleanup() {
	local rc=$?
	crun_hugetlb_umount || rc=1
	# shellcheck source=hack/cgroup-leave.sh
	source "$repo/hack/cgroup-leave.sh" "$cg" || true
	tidy_cgroups
	exit $rc
}
trap cleanup EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
[[ $name == crun* ]] && crun_hugetlb_mount

cd "$repo/tests/oci"
export GOWORK=off RUNTIME=$runtime RUNTIME_NAME=$name
if ((all)); then
	ALL=1 go test -count=1 -v -timeout 0 -run '^TestRuntimeToolsAll$' .
else
	go test -count=1 -v -timeout 0 -run '^TestRuntimeTools$' .
fi
