#!/usr/bin/env bash
# The gocontainer demo: install what is missing (Debian 12, root), build the
# binary, make a busybox bundle in a temp dir, generate its config with
# `gocontainer spec`, point it at a shell one-liner and `gocontainer run` it.
#
#   bash hack/demo.sh               # from a fresh clone, as root
#   hack/demo.sh --no-setup         # skip the apt/npm step (just demo)
#   RUNTIME=runc hack/demo.sh       # same bundle, another runtime
#   bash hack/demo.sh --rootless    # the same container, rootless: run by
#                                   # an unprivileged user (you, or, when
#                                   # started as root, the user gcrootless,
#                                   # created if missing) from `spec --rootless`
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=$PATH:/usr/local/go/bin

setup=1 rootless=0
for arg in "$@"; do
	case $arg in
	--no-setup) setup=0 ;;
	--rootless) rootless=1 ;;
	*) echo "usage: $0 [--no-setup] [--rootless]" >&2; exit 2 ;;
	esac
done
# An unprivileged user cannot install packages: only build.
((EUID != 0)) && setup=0
if ((setup)); then
	hack/setup.sh
fi

runtime=${RUNTIME:-./gocontainer}
if [[ $runtime == ./gocontainer ]]; then
	[[ -x ./gocontainer && $setup == 0 ]] || hack/build.sh
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
# as: the command prefix that runs the runtime (nothing, or setpriv to the
# demo user); root: its --root ("" = the runtime's default).
as=() root=(--root "$work/state") spec=(spec)
if ((rootless)); then
	spec=(spec --rootless)
	root=() # $XDG_RUNTIME_DIR/gocontainer, the rootless default
	if ((EUID == 0)); then
		# Root demonstrates with an unprivileged user, who gets copies of
		# the binary and bundle it can read.
		user=${ROOTLESS_USER:-gcrootless}
		id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
		chmod 755 "$work"
		cp "$runtime" "$work/runtime"
		runtime=$work/runtime
		mkdir -m 700 "$work/xdg"
		chown -R "$user:" "$work/bundle" "$work/xdg"
		as=(setpriv --reuid="$user" --regid="$user" --init-groups -- env -i
			PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$work" USER="$user" XDG_RUNTIME_DIR="$work/xdg")
	elif [[ -z ${XDG_RUNTIME_DIR:-} ]]; then
		export XDG_RUNTIME_DIR=$work/xdg
		mkdir -m 700 "$XDG_RUNTIME_DIR"
	fi
fi
(cd "$work/bundle" && "${as[@]}" "$runtime" "${spec[@]}")
# terminal=false: the demo runs without a tty (CI, pipes); the process
# prints and exits.
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from inside gocontainer; uname -a; id; echo \"hostname $(hostname), pid $$, $(ls /proc | grep -c \"^[0-9]\") processes visible\""]
    | .hostname = "gocontainer-demo"' \
	"$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"
chmod 644 "$work/bundle/config.json"

# An unprivileged user cannot move itself between cgroups: its container
# stays in its own cgroup (the runtime warns once).
if ((EUID == 0)); then
	# shellcheck source=hack/cgroup-enter.sh
	source hack/cgroup-enter.sh "$cg"
fi
[[ $(basename "$runtime") == crun* ]] && crun_hugetlb_mount

echo "demo: ${as[*]:+${as[*]} }$runtime ${root[*]:+${root[*]} }run --bundle $work/bundle $id" >&2
rc=0
"${as[@]}" "$runtime" "${root[@]}" run --bundle "$work/bundle" "$id" || rc=$?
echo "demo: container exited with status $rc" >&2
exit $rc
