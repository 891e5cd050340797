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
runtime=${1:-$repo/gocontainer}
if [[ $runtime == "$repo/gocontainer" && ! -x $runtime ]]; then
	"$repo/hack/build.sh" "$runtime"
fi
runtime=$(realpath "$(command -v "$runtime")")
if ! command -v podman >/dev/null; then
	echo "test-podman: apt-get install podman" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null
fi

work=${PODMAN_WORK:-${TMPDIR:-/tmp}/gocontainer-podman}
mkdir -p "$work"
P=(podman --root "$work/storage" --runroot "$work/run" --cgroup-manager cgroupfs
	--events-backend file --runtime "$runtime")
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
image=localhost/gocontainer-busybox:test

cg=gocontainer-podman-$$
trap 'timeout 60 "${P[@]}" rm -f -t 0 pm-smoke >/dev/null 2>&1 || true; source "$repo/hack/cgroup-leave.sh" "$cg" || true' EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
set +e

if ! "${P[@]}" image exists "$image"; then
	cache=${GOCONTAINER_IT_CACHE:-${TMPDIR:-/tmp}/gocontainer-it-cache}
	if [[ ! -x $cache/rootfs/bin/busybox ]]; then
		rm -rf "$cache/rootfs" && mkdir -p "$cache" && "$repo/hack/mkrootfs.sh" "$cache/rootfs" || exit 1
	fi
	tar -C "$cache/rootfs" -cf "$work/rootfs.tar" . && "${P[@]}" import "$work/rootfs.tar" "$image" >/dev/null || exit 1
fi

failed=0
# check NAME WANT CMD...: CMD's whole output (stdout+stderr, CRs and NULs
# dropped) must match the extended regexp WANT, and its exit status must
# be 0 unless WANT_RC says otherwise.
check() {
	local name=$1 want=$2
	shift 2
	local out rc start=$SECONDS
	out=$(timeout 90 "$@" 2>&1 | tr -d '\r\000')
	rc=${PIPESTATUS[0]}
	if [[ $rc -eq ${WANT_RC:-0} ]] && [[ $out =~ $want ]]; then
		echo "--- PASS: podman/$name ($((SECONDS - start)).00s)"
	else
		echo "--- FAIL: podman/$name ($((SECONDS - start)).00s)"
		echo "    exit $rc (want ${WANT_RC:-0}), output does not match /$want/:"
		sed 's/^/    | /' <<<"$out"
		failed=1
	fi
}

echo "=== podman $(podman --version | awk '{print $3}') with --runtime $runtime"
check run 'hello from podman' "${P[@]}" run --rm "${U[@]}" "$image" echo hello from podman
WANT_RC=3 check run_exit_code '^$' "${P[@]}" run --rm "${U[@]}" "$image" sh -c 'exit 3'
check run_detached '^[0-9a-f]{64}$' "${P[@]}" run -d --name pm-smoke "${U[@]}" "$image" sleep 300
check exec 'exec-ok' "${P[@]}" exec pm-smoke sh -c 'echo exec-ok'
check exec_sees_the_init '1 root +sleep 300' "${P[@]}" exec pm-smoke ps
check exec_env_cwd_user '^bar /tmp 1000$' "${P[@]}" exec -e FOO=bar -w /tmp -u 1000 pm-smoke sh -c 'echo $FOO $(pwd) $(id -u)'
WANT_RC=7 check exec_exit_code '^$' "${P[@]}" exec pm-smoke sh -c 'exit 7'
check exec_tty '/dev/pts/[0-9]+' script -qec "${P[*]} exec -it pm-smoke sh -c 'tty'" /dev/null
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
exit $failed
