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
cleanup() {
	local rc=$?
	crun_hugetlb_umount || rc=1
	# shellcheck source=hack/cgroup-leave.sh
	source "$repo/hack/cgroup-leave.sh" "$cg" || true
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
