#!/usr/bin/env bash
# The gocontainer demo: install what is missing (Debian 12, root), build the
# binary, make a busybox bundle in a temp dir, generate its config with
# `gocontainer spec`, point it at a shell one-liner and `gocontainer run` it.
#
#   bash hack/demo.sh               # from a fresh clone, as root
#   hack/demo.sh --no-setup         # skip the apt/npm step (just demo)
#   RUNTIME=runc hack/demo.sh       # same bundle, another runtime
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=$PATH:/usr/local/go/bin

if [[ ${1:-} != --no-setup ]]; then
	hack/setup.sh
fi

runtime=${RUNTIME:-./gocontainer}
if [[ $runtime == ./gocontainer ]]; then
	[[ -x ./gocontainer && ${1:-} == --no-setup ]] || hack/build.sh
	runtime=$repo/gocontainer
else
	runtime=$(command -v "$runtime") || { echo "demo: runtime ${RUNTIME} not found" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/gocontainer-demo.XXXXXX)
id=demo-$$
cg=gocontainer-demo-$$
# shellcheck source=hack/crun-hugetlb.sh
source hack/crun-hugetlb.sh
cleanup() {
	local rc=$?
	"$runtime" --root "$work/state" delete -f "$id" >/dev/null 2>&1 || true
	crun_hugetlb_umount || true
	# shellcheck source=hack/cgroup-leave.sh
	source hack/cgroup-leave.sh "$cg" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

hack/mkrootfs.sh "$work/bundle/rootfs"
(cd "$work/bundle" && "$runtime" spec)
# terminal=false: the demo runs without a tty (CI, pipes); the process
# prints and exits.
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from inside gocontainer; uname -a; id; echo \"hostname $(hostname), pid $$, $(ls /proc | grep -c \"^[0-9]\") processes visible\""]
    | .hostname = "gocontainer-demo"' \
	"$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

# shellcheck source=hack/cgroup-enter.sh
source hack/cgroup-enter.sh "$cg"
[[ $(basename "$runtime") == crun* ]] && crun_hugetlb_mount

echo "demo: $runtime --root $work/state run --bundle $work/bundle $id" >&2
rc=0
"$runtime" --root "$work/state" run --bundle "$work/bundle" "$id" || rc=$?
echo "demo: container exited with status $rc" >&2
exit $rc
