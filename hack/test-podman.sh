#!/usr/bin/env bash
# Podman (and conmon) driving a runtime: the client check.
#
#   hack/test-podman.sh [RUNTIME]     # as root; default ./gocontainer (built if missing)
#   just test-podman [RUNTIME]
#
# Installs podman if it is missing, imports the busybox rootfs as a local
# image (no pull: there is no registry here) into a private storage under
# $PODMAN_WORK (default ${TMPDIR:-/tmp}/gocontainer-podman), and runs
# podman with --runtime RUNTIME through what Podman users do: run, run -d,
# exec (env, cwd, user, exit code), exec -it and run -t (conmon's console
# socket, driven through script(1) for a terminal), pause/unpause, top,
# stop, rm, security options and resource limits. Each check prints a
# go-test-style "--- PASS: podman/NAME" or "--- FAIL: podman/NAME" line;
# the script fails if any check failed.
#
# Every run passes --ulimit nofile/nproc: Podman asks for 1048576, above
# this VM's hard limit, and without CAP_SYS_RESOURCE every runtime (runc
# too) fails to set it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib-clients.sh
source "$repo/hack/lib-clients.sh"
client=podman
runtime=$(client_runtime "${1:-}")
client_install podman:podman

work=${PODMAN_WORK:-${TMPDIR:-/tmp}/gocontainer-podman}
mkdir -p "$work"
P=(podman --root "$work/storage" --runroot "$work/run" --cgroup-manager cgroupfs
	--events-backend file --runtime "$runtime")
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
image=localhost/gocontainer-busybox:test

cg=gocontainer-podman-$$
trap 'timeout 60 "${P[@]}" rm -f -t 0 pm-smoke pm-wasm pm-ckpt pm-ckpt-imported >/dev/null 2>&1 || true; source "$repo/hack/cgroup-leave.sh" "$cg" || true' EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
set +e

if ! "${P[@]}" image exists "$image"; then
	client_rootfs_tar "$work" && "${P[@]}" import -q "$work/rootfs.tar" "$image" >/dev/null || exit 1
fi


echo "=== podman $(podman --version | awk '{print $3}') with --runtime $runtime"
check run 'hello from podman' "${P[@]}" run --rm "${U[@]}" "$image" echo hello from podman
WANT_RC=3 check run_exit_code '^$' "${P[@]}" run --rm "${U[@]}" "$image" sh -c 'exit 3'
check run_detached '^[0-9a-f]{64}$' "${P[@]}" run -d --name pm-smoke "${U[@]}" "$image" sleep 300
check exec 'exec-ok' "${P[@]}" exec pm-smoke sh -c 'echo exec-ok'
check exec_sees_the_init '1 root +sleep 300' "${P[@]}" exec pm-smoke ps
check exec_env_cwd_user '^bar /tmp 1000$' "${P[@]}" exec -e FOO=bar -w /tmp -u 1000 pm-smoke sh -c 'echo $FOO $(pwd) $(id -u)'
WANT_RC=7 check exec_exit_code '^$' "${P[@]}" exec pm-smoke sh -c 'exit 7'
check exec_tty '/dev/pts/[0-9]+' script -qec "${P[*]} exec -it pm-smoke sh -c 'tty'" /dev/null
# Podman sends linux.devices fileMode with the file-type bits (020666,
# issue 13); runc takes the permission bits.
check device_fuse '^a e5 [0-7]+$' "${P[@]}" run --rm "${U[@]}" --device /dev/fuse "$image" stat -c '%t %T %a' /dev/fuse
check pause 'pm-smoke' "${P[@]}" pause pm-smoke
check paused_status 'pm-smoke Paused' "${P[@]}" ps -a --format '{{.Names}} {{.Status}}'
check unpause 'pm-smoke' "${P[@]}" unpause pm-smoke
check top 'sleep 300' "${P[@]}" top pm-smoke
check stop 'pm-smoke' "${P[@]}" stop -t 1 pm-smoke
check rm 'pm-smoke' "${P[@]}" rm pm-smoke
check run_tty '/dev/pts/[0-9]+' script -qec "${P[*]} run --rm -t ${U[*]} $image tty" /dev/null
WANT_RC=1 check security_options 'CapEff:[[:space:]]+0+.*NoNewPrivs:[[:space:]]+1.*Seccomp:[[:space:]]+2.*Read-only file system' \
	"${P[@]}" run --rm "${U[@]}" --read-only --cap-drop all --security-opt no-new-privileges "$image" \
	sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr "\n" " "; touch /x'
check resource_limits '^67108864 50$' "${P[@]}" run --rm "${U[@]}" --memory 64m --pids-limit 50 "$image" \
	sh -c 'echo $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max)'

# WebAssembly (docs/wasm.md): an image whose entrypoint is the WASI test
# module, run with crun's handler annotation; exec into it is native.
wimage=localhost/gocontainer-wasm:test
if ! "${P[@]}" image exists "$wimage"; then
	client_wasm_tar "$work" && "${P[@]}" import -q --change 'ENTRYPOINT ["/hello.wasm"]' "$work/wasm.tar" "$wimage" >/dev/null || exit 1
fi
W=(--annotation run.oci.handler=wasm)
check wasm_run 'args=\[/hello.wasm args env FOO cat /etc/wasm-msg\].*FOO=bar.*cat /etc/wasm-msg: from the rootfs' \
	"${P[@]}" run --rm "${U[@]}" "${W[@]}" -e FOO=bar "$wimage" args env FOO cat /etc/wasm-msg
WANT_RC=5 check wasm_exit_code '^$' "${P[@]}" run --rm "${U[@]}" "${W[@]}" "$wimage" exit 5
check wasm_smart_leaves_native_native '^native$' "${P[@]}" run --rm "${U[@]}" --annotation run.oci.handler=wasm-smart \
	--entrypoint sh "$wimage" -c 'echo native'
check wasm_detached '^[0-9a-f]{64}$' "${P[@]}" run -d --name pm-wasm "${U[@]}" "${W[@]}" "$wimage" sleep
check wasm_exec_is_native 'hello.wasm' bash -c "for i in \$(seq 100); do ${P[*]} exec pm-wasm cat /proc/1/comm | grep -q hello.wasm && break; sleep 0.2; done; ${P[*]} exec pm-wasm cat /proc/1/comm"
check wasm_stop 'pm-wasm' "${P[@]}" stop -t 10 pm-wasm
check wasm_stopped_by_sigterm '^143$' "${P[@]}" inspect --format '{{.State.ExitCode}}' pm-wasm
check wasm_rm 'pm-wasm' "${P[@]}" rm pm-wasm

# Checkpoint/restore through CRIU (hack/criu.sh installs one that works on
# this kernel): a counter keeps counting after restore, in place and from an
# exported archive under a new name.
counter='i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.1; done'
counts_on="a=\$(${P[*]} exec \$0 cat /count); sleep 0.5; b=\$(${P[*]} exec \$0 cat /count); [ \$b -gt \$a ] && echo counting-on \$a \$b"
"${P[@]}" rm -f -t 0 pm-ckpt pm-ckpt-imported >/dev/null 2>&1
check checkpoint_run '^[0-9a-f]{64}$' "${P[@]}" run -d --name pm-ckpt "${U[@]}" "$image" sh -c "$counter"
check checkpoint 'pm-ckpt' "${P[@]}" container checkpoint pm-ckpt
check checkpointed_status 'pm-ckpt Exited' "${P[@]}" ps -a --filter name=pm-ckpt --format '{{.Names}} {{.Status}}'
check restore 'pm-ckpt' "${P[@]}" container restore pm-ckpt
check restored_counts_on 'counting-on' bash -c "$counts_on" pm-ckpt
check checkpoint_export 'pm-ckpt' "${P[@]}" container checkpoint --export "$work/pm-ckpt.tar.gz" pm-ckpt
check restore_import 'pm-ckpt-imported|[0-9a-f]{64}' "${P[@]}" container restore --import "$work/pm-ckpt.tar.gz" --name pm-ckpt-imported
check imported_counts_on 'counting-on' bash -c "$counts_on" pm-ckpt-imported
check checkpoint_rm 'pm-ckpt' "${P[@]}" rm -f -t 0 pm-ckpt pm-ckpt-imported
rm -f "$work/pm-ckpt.tar.gz"
exit $failed
