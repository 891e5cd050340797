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
runtime=${1:-$repo/gocontainer}
if [[ $runtime == "$repo/gocontainer" && ! -x $runtime ]]; then
	"$repo/hack/build.sh" "$runtime"
fi
runtime=$(realpath "$(command -v "$runtime")")
missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v podman >/dev/null || missing+=(podman)
if ((${#missing[@]})); then
	echo "test-containerd: apt-get install ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

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
cleanup() {
	for id in ctd-detached; do
		timeout 20 "${C[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1
		timeout 20 "${C[@]}" task delete "$id" >/dev/null 2>&1
		timeout 20 "${C[@]}" container delete "$id" >/dev/null 2>&1
	done
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

if ! "${C[@]}" image ls -q | grep -qx "$image"; then
	cache=${GOCONTAINER_IT_CACHE:-${TMPDIR:-/tmp}/gocontainer-it-cache}
	if [[ ! -x $cache/rootfs/bin/busybox ]]; then
		rm -rf "$cache/rootfs" && mkdir -p "$cache" && "$repo/hack/mkrootfs.sh" "$cache/rootfs" || exit 1
	fi
	P=(podman --root "$work/podman" --runroot "$work/podman-run")
	tar -C "$cache/rootfs" -cf "$work/rootfs.tar" . &&
		"${P[@]}" import -q "$work/rootfs.tar" "$image" >/dev/null &&
		rm -f "$work/image.tar" && "${P[@]}" save -q --format oci-archive -o "$work/image.tar" "$image" >/dev/null &&
		"${C[@]}" image import --base-name "${image%:*}" "$work/image.tar" >/dev/null || exit 1
fi

failed=0
# check NAME WANT CMD...: CMD's whole output (CRs, NULs and colour codes
# dropped) must match the extended regexp WANT, and its exit status must
# be 0 unless WANT_RC says otherwise.
check() {
	local name=$1 want=$2
	shift 2
	local out rc start=$SECONDS
	out=$(timeout 90 "$@" 2>&1 | tr -d '\r\000')
	rc=${PIPESTATUS[0]}
	if [[ $rc -eq ${WANT_RC:-0} ]] && [[ $out =~ $want ]]; then
		echo "--- PASS: containerd/$name ($((SECONDS - start)).00s)"
	else
		echo "--- FAIL: containerd/$name ($((SECONDS - start)).00s)"
		echo "    exit $rc (want ${WANT_RC:-0}), output does not match /$want/:"
		sed 's/^/    | /' <<<"$out"
		failed=1
	fi
}
R=(--runc-binary "$runtime")

echo "=== containerd $(containerd --version | awk '{print $3}') with --runc-binary $runtime"
check run 'hello from ctr' "${C[@]}" run --rm "${R[@]}" "$image" ctd-run echo hello from ctr
WANT_RC=3 check run_exit_code '^$' "${C[@]}" run --rm "${R[@]}" "$image" ctd-exit sh -c 'exit 3'
check run_tty '/dev/pts/[0-9]+' script -qec "${C[*]} run --rm -t ${R[*]} $image ctd-tty tty" /dev/null
check run_detached '^$' "${C[@]}" run -d "${R[@]}" "$image" ctd-detached sleep 300
check exec 'exec-ok.*1 root +sleep 300' "${C[@]}" task exec --exec-id e1 ctd-detached sh -c 'echo exec-ok; ps'
WANT_RC=5 check exec_exit_code '^$' "${C[@]}" task exec --exec-id e2 ctd-detached sh -c 'exit 5'
check exec_tty '/dev/pts/[0-9]+' script -qec "${C[*]} task exec -t --exec-id e3 ctd-detached sh -c 'tty; sleep 0.2'" /dev/null
check pause '^$' "${C[@]}" task pause ctd-detached
check paused_status 'ctd-detached +[0-9]+ +PAUSED' "${C[@]}" task ls
check resume '^$' "${C[@]}" task resume ctd-detached
check running_status 'ctd-detached +[0-9]+ +RUNNING' "${C[@]}" task ls
check kill '^$' "${C[@]}" task kill -s SIGKILL ctd-detached
check stopped_status 'ctd-detached +[0-9]+ +STOPPED' bash -c "for i in \$(seq 50); do ${C[*]} task ls | grep -q 'ctd-detached.*STOPPED' && break; sleep 0.1; done; ${C[*]} task ls"
check delete '' "${C[@]}" task delete ctd-detached
check container_delete '^$' "${C[@]}" container delete ctd-detached
exit $failed
