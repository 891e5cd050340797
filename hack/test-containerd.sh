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
	for id in ctd-run ctd-exit ctd-tty ctd-detached ctd-wasm ctd-wasm-d ctd-ckpt; do
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

# WebAssembly (docs/wasm.md): an image whose entrypoint is the WASI test
# module, run with crun's handler annotation; exec into it is native.
# ctr run's arguments replace the image's entrypoint and command, so they
# name the module.
wimage=localhost/gocontainer-wasm:test
if ! "${C[@]}" image ls -q | grep -qx "$wimage"; then
	client_wasm_tar "$work" &&
		podman --root "$work/podman" --runroot "$work/podman-run" import -q --change 'ENTRYPOINT ["/hello.wasm"]' "$work/wasm.tar" "$wimage" >/dev/null &&
		rm -f "$work/wasm-image.tar" &&
		podman --root "$work/podman" --runroot "$work/podman-run" save -q --format oci-archive -o "$work/wasm-image.tar" "$wimage" >/dev/null &&
		"${C[@]}" image import --base-name "${wimage%:*}" "$work/wasm-image.tar" >/dev/null || exit 1
fi
W=(--annotation run.oci.handler=wasm)
check wasm_run 'args=\[/hello.wasm args cat /etc/wasm-msg\].*cat /etc/wasm-msg: from the rootfs' \
	"${C[@]}" run --rm "${R[@]}" "${W[@]}" "$wimage" ctd-wasm /hello.wasm args cat /etc/wasm-msg
WANT_RC=6 check wasm_exit_code '^$' "${C[@]}" run --rm "${R[@]}" "${W[@]}" "$wimage" ctd-wasm /hello.wasm exit 6
check wasm_detached '^$' "${C[@]}" run -d "${R[@]}" "${W[@]}" "$wimage" ctd-wasm-d /hello.wasm sleep
check wasm_exec_is_native 'hello.wasm' bash -c "for i in \$(seq 100); do ${C[*]} task exec --exec-id w\$i ctd-wasm-d cat /proc/1/comm | grep -q hello.wasm && break; sleep 0.2; done; ${C[*]} task exec --exec-id wlast ctd-wasm-d cat /proc/1/comm"
check wasm_kill '^$' "${C[@]}" task kill -s SIGTERM ctd-wasm-d
check wasm_stopped 'ctd-wasm-d +[0-9]+ +STOPPED' bash -c "for i in \$(seq 100); do ${C[*]} task ls | grep -q 'ctd-wasm-d.*STOPPED' && break; sleep 0.1; done; ${C[*]} task ls"
check wasm_delete '' "${C[@]}" task delete ctd-wasm-d

# Checkpoint/restore through the shim (go-runc's checkpoint and restore
# arguments): a checkpoint to a directory leaving the task running, then a
# checkpoint image in the content store, the task killed and removed, and
# the container restored live from the image: the counter goes on.
counter='i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.1; done'
counts_on="a=\$(${C[*]} task exec --exec-id a\$RANDOM ctd-ckpt cat /count); sleep 0.5; b=\$(${C[*]} task exec --exec-id b\$RANDOM ctd-ckpt cat /count); [ \$b -gt \$a ] && echo counting-on \$a \$b"
"${C[@]}" image rm localhost/ctd-ckpt:1 >/dev/null 2>&1
rm -rf "$work/ckpt-dir"
check checkpoint_run '^$' "${C[@]}" run -d "${R[@]}" "$image" ctd-ckpt sh -c "$counter"
sleep 0.5
check task_checkpoint_dir '^$' "${C[@]}" task checkpoint --image-path "$work/ckpt-dir" ctd-ckpt
check task_checkpoint_images 'inventory.img' ls "$work/ckpt-dir"
check still_running 'ctd-ckpt +[0-9]+ +RUNNING' "${C[@]}" task ls
check container_checkpoint '^$' "${C[@]}" container checkpoint --task --rw ctd-ckpt localhost/ctd-ckpt:1
check checkpoint_kill '^$' "${C[@]}" task kill -s SIGKILL ctd-ckpt
check checkpoint_stopped 'ctd-ckpt +[0-9]+ +STOPPED' bash -c "for i in \$(seq 50); do ${C[*]} task ls | grep -q 'ctd-ckpt.*STOPPED' && break; sleep 0.1; done; ${C[*]} task ls"
check checkpoint_task_delete '' "${C[@]}" task delete ctd-ckpt
check checkpoint_container_delete '^$' "${C[@]}" container delete ctd-ckpt
check container_restore '^$' "${C[@]}" container restore --live --rw ctd-ckpt localhost/ctd-ckpt:1
check restored_running 'ctd-ckpt +[0-9]+ +RUNNING' "${C[@]}" task ls
check restored_counts_on 'counting-on' bash -c "$counts_on"
check restored_kill '^$' "${C[@]}" task kill -s SIGKILL ctd-ckpt
check restored_stopped 'ctd-ckpt +[0-9]+ +STOPPED' bash -c "for i in \$(seq 50); do ${C[*]} task ls | grep -q 'ctd-ckpt.*STOPPED' && break; sleep 0.1; done; ${C[*]} task ls"
check restored_delete '' "${C[@]}" task delete ctd-ckpt
check restored_container_delete '^$' "${C[@]}" container delete ctd-ckpt
"${C[@]}" image rm localhost/ctd-ckpt:1 >/dev/null 2>&1
rm -rf "$work/ckpt-dir"
exit $failed
