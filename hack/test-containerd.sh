#!/usr/bin/env bash
# containerd (ctr and containerd-shim-runc-v2) driving a runtime.
#
#   hack/test-containerd.sh [RUNTIME]   # as root; default ./gocontainer (built if missing)
#   just test-containerd [RUNTIME]
#
# Starts a private containerd (its own root, state and socket under
# $CONTAINERD_WORK, default ${TMPDIR:-/tmp}/gocontainer-containerd; ended by
# its pid on exit), imports the busybox rootfs as a local OCI image (saved
# by podman from the same rootfs: there is no registry here), and runs
# `ctr run --runc-binary RUNTIME` through what the shim asks of a runtime:
# create/start with --pid-file and a JSON --log, run -t through the shim's
# console socket, exec (output, exit code, -t), pause/resume, kill, delete.
# Each check prints a go-test-style "--- PASS: containerd/NAME" or
# "--- FAIL: containerd/NAME" line; the script fails if any check failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib-clients.sh
source "$repo/hack/lib-clients.sh"
client=containerd
runtime=$(client_runtime "${1:-}")
client_install containerd:containerd podman:podman

work=${CONTAINERD_WORK:-${TMPDIR:-/tmp}/gocontainer-containerd}
rm -rf "$work/state" "$work/containerd.sock"
mkdir -p "$work"
cat >"$work/config.toml" <<EOF
version = 2
root = "$work/root"
state = "$work/state"
[grpc]
  address = "$work/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = true
EOF
C=(ctr --address "$work/containerd.sock" -n gocontainer-test)
image=localhost/gocontainer-busybox:test

cg=gocontainer-containerd-$$
daemon=
# remove_containers: whatever an earlier, interrupted run left in the
# (persistent) containerd root under the ids this script uses.
remove_containers() {
	for id in ctd-run ctd-exit ctd-tty ctd-detached; do
		timeout 20 "${C[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1
		timeout 20 "${C[@]}" task delete -f "$id" >/dev/null 2>&1
		timeout 20 "${C[@]}" container delete "$id" >/dev/null 2>&1
		timeout 20 "${C[@]}" snapshot rm "$id" >/dev/null 2>&1
	done
}
cleanup() {
	remove_containers
	if [[ -n $daemon ]]; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	source "$repo/hack/cgroup-leave.sh" "$cg" || true
}
trap cleanup EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
set +e

containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	"${C[@]}" version >/dev/null 2>&1 && break
	sleep 0.1
done
"${C[@]}" version >/dev/null 2>&1 || { echo "test-containerd: containerd did not come up:" >&2; tail "$work/containerd.log" >&2; exit 1; }
remove_containers

if ! "${C[@]}" image ls -q | grep -qx "$image"; then
	client_image_archive "$work" "$image" oci-archive &&
		"${C[@]}" image import --base-name "${image%:*}" "$work/image.tar" >/dev/null || exit 1
fi

R=(--runc-binary "$runtime")

echo "=== containerd $(containerd --version | awk '{print $3}') with --runc-binary $runtime"
check run 'hello from ctr' "${C[@]}" run --rm "${R[@]}" "$image" ctd-run echo hello from ctr
WANT_RC=3 check run_exit_code '^$' "${C[@]}" run --rm "${R[@]}" "$image" ctd-exit sh -c 'exit 3'
check run_tty '/dev/pts/[0-9]+' script -qec "${C[*]} run --rm -t ${R[*]} $image ctd-tty tty" /dev/null
check run_detached '^$' "${C[@]}" run -d "${R[@]}" "$image" ctd-detached sleep 300
check exec 'exec-ok.*1 root +sleep 300' "${C[@]}" task exec --exec-id e1 ctd-detached sh -c 'echo exec-ok; ps'
WANT_RC=5 check exec_exit_code '^$' "${C[@]}" task exec --exec-id e2 ctd-detached sh -c 'exit 5'
check exec_tty '/dev/pts/[0-9]+' script -qec "${C[*]} task exec -t --exec-id e3 ctd-detached sh -c 'tty; sleep 0.2'" /dev/null
# The shim reads the container's cgroup stats itself (issue 13): the
# cgroups must be where and what it expects.
check metrics 'memory\.usage_in_bytes|memory\.usage|pids\.current' "${C[@]}" task metrics ctd-detached
check pause '^$' "${C[@]}" task pause ctd-detached
check paused_status 'ctd-detached +[0-9]+ +PAUSED' "${C[@]}" task ls
check resume '^$' "${C[@]}" task resume ctd-detached
check running_status 'ctd-detached +[0-9]+ +RUNNING' "${C[@]}" task ls
check kill '^$' "${C[@]}" task kill -s SIGKILL ctd-detached
check stopped_status 'ctd-detached +[0-9]+ +STOPPED' bash -c "for i in \$(seq 50); do ${C[*]} task ls | grep -q 'ctd-detached.*STOPPED' && break; sleep 0.1; done; ${C[*]} task ls"
check delete '' "${C[@]}" task delete ctd-detached
check container_delete '^$' "${C[@]}" container delete ctd-detached
exit $failed
