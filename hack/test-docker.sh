#!/usr/bin/env bash
# Docker (dockerd with its own containerd and containerd-shim-runc-v2)
# driving a runtime registered with --add-runtime.
#
#   hack/test-docker.sh [RUNTIME]   # as root; default ./gocontainer (built if missing)
#   just test-docker [RUNTIME]
#
# Starts a private dockerd (data root, exec root and socket under
# $DOCKER_WORK, default ${TMPDIR:-/tmp}/gocontainer-docker; --bridge=none,
# no iptables; ended by its pid on exit), loads the busybox rootfs as a
# local image (saved by podman from the same rootfs: there is no registry
# here), and runs `docker run --runtime gc` through what Docker users do:
# run (exit codes), run -it, run -d, exec (env, user, cwd, exit code,
# -it), pause/unpause and the Paused status, top, stop, rm, security
# options and resource limits. Each check prints a go-test-style
# "--- PASS: docker/NAME" or "--- FAIL: docker/NAME" line; the script fails
# if any check failed.
#
# Every run passes --ulimit nofile: without CAP_SYS_RESOURCE (this VM) no
# runtime can raise it to containerd's default.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib-clients.sh
source "$repo/hack/lib-clients.sh"
client=docker
runtime=$(client_runtime "${1:-}")
client_install dockerd:docker.io podman:podman

work=${DOCKER_WORK:-${TMPDIR:-/tmp}/gocontainer-docker}
mkdir -p "$work"
D=(docker -H "unix://$work/docker.sock")
U=(--runtime gc --network none --ulimit nofile=1024:1024)
image=localhost/gocontainer-busybox:test

cg=gocontainer-docker-$$
daemon=
cleanup() {
	timeout 30 "${D[@]}" rm -f dk-detached >/dev/null 2>&1
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

dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
	-H "unix://$work/docker.sock" --bridge=none --iptables=false --ip-masq=false \
	--add-runtime "gc=$runtime" >"$work/dockerd.log" 2>&1 &
daemon=$!
for _ in $(seq 150); do
	"${D[@]}" version >/dev/null 2>&1 && break
	sleep 0.2
done
"${D[@]}" version >/dev/null 2>&1 || { echo "test-docker: dockerd did not come up:" >&2; tail "$work/dockerd.log" >&2; exit 1; }

if ! "${D[@]}" image inspect "$image" >/dev/null 2>&1; then
	client_image_archive "$work" "$image" docker-archive &&
		"${D[@]}" load -q -i "$work/image.tar" >/dev/null || exit 1
fi


echo "=== dockerd $("${D[@]}" version --format '{{.Server.Version}}') with --add-runtime gc=$runtime"
check run 'hello from docker' "${D[@]}" run --rm "${U[@]}" "$image" echo hello from docker
WANT_RC=4 check run_exit_code '^$' "${D[@]}" run --rm "${U[@]}" "$image" sh -c 'exit 4'
check run_tty '/dev/pts/[0-9]+' script -qec "${D[*]} run --rm -it ${U[*]} $image tty" /dev/null
check run_detached '^[0-9a-f]{64}$' "${D[@]}" run -d --name dk-detached "${U[@]}" "$image" sleep 300
check exec 'exec-ok.*1 root +sleep 300' "${D[@]}" exec dk-detached sh -c 'echo exec-ok; ps'
check exec_env_user_cwd '^b 1000 /tmp$' "${D[@]}" exec -e A=b -u 1000 -w /tmp dk-detached sh -c 'echo $A $(id -u) $(pwd)'
WANT_RC=6 check exec_exit_code '^$' "${D[@]}" exec dk-detached sh -c 'exit 6'
check exec_tty '/dev/pts/[0-9]+' script -qec "${D[*]} exec -it dk-detached tty" /dev/null
# dockerd gets the stats from containerd's shim, which reads the
# container's cgroups itself (issue 13): a usage, never 0B / 0B.
check stats '^dk-detached [1-9][0-9.]*[KMG]i?B / ' "${D[@]}" stats --no-stream --format '{{.Name}} {{.MemUsage}}' dk-detached
check pause '^dk-detached$' "${D[@]}" pause dk-detached
check paused_status 'dk-detached Up .*\(Paused\)' "${D[@]}" ps --format '{{.Names}} {{.Status}}'
check unpause '^dk-detached$' "${D[@]}" unpause dk-detached
check top 'sleep 300' "${D[@]}" top dk-detached
check stop '^dk-detached$' "${D[@]}" stop -t 1 dk-detached
check rm '^dk-detached$' "${D[@]}" rm dk-detached
check security_options 'CapEff:[[:space:]]+0+.*NoNewPrivs:[[:space:]]+1.*Seccomp:[[:space:]]+2' \
	"${D[@]}" run --rm "${U[@]}" --read-only --cap-drop all --security-opt no-new-privileges "$image" \
	grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
check resource_limits '^67108864 40$' "${D[@]}" run --rm "${U[@]}" --memory 64m --pids-limit 40 "$image" \
	sh -c 'echo $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max)'
exit $failed
