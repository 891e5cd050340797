#!/usr/bin/env bash
# The Kubernetes node path: containerd's CRI plugin driven by crictl, with a
# runtime handler "gocontainer" (containerd-shim-runc-v2 with BinaryName =
# RUNTIME), as a kubelet would use it (docs/kubernetes.md).
#
#   hack/test-cri.sh [RUNTIME]   # as root; default ./gocontainer (built if missing)
#   just test-cri [RUNTIME]
#
# Starts a private containerd (its own root, state, socket and CNI config
# under $CRI_WORK, default ${TMPDIR:-/tmp}/gocontainer-cri; ended by its pid
# on exit). crictl is sigs.k8s.io/cri-tools v1.37.0, built once into
# $CRI_WORK/bin. Nothing is pulled: the busybox rootfs and a pause image
# (hack/cri-pause.c, static) are imported with ctr into the k8s.io
# namespace. The pod gets its own network namespace from the bridge CNI
# plugin (bridge gccri0, no gateway, no masquerade; removed on exit).
# Scenarios: runp; two containers sharing the pod's network namespace (an
# httpd on 127.0.0.1 and a client reaching it); exec (sync, streamed, tty,
# exit code); logs; stats; memory/cpu limits from the container config in
# the cgroup; inspect of an exited container and its exit code; stop and
# remove the pod leaving no process, cgroup or mount behind.
# Each check prints "--- PASS: cri/NAME" or "--- FAIL: cri/NAME"; the script
# fails if any check failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib-clients.sh
source "$repo/hack/lib-clients.sh"
client=cri
runtime=$(client_runtime "${1:-}")
client_install containerd:containerd podman:podman jq:jq gcc:gcc \
	/usr/lib/cni/bridge:containernetworking-plugins

work=${CRI_WORK:-${TMPDIR:-/tmp}/gocontainer-cri}
crictl_version=v1.37.0
crictl_bin=$work/bin/crictl-$crictl_version
if [[ ! -x $crictl_bin ]]; then
	echo "test-cri: go install sigs.k8s.io/cri-tools/cmd/crictl@$crictl_version" >&2
	mkdir -p "$work/bin"
	GOBIN=$work/bin go install "sigs.k8s.io/cri-tools/cmd/crictl@$crictl_version" &&
		mv "$work/bin/crictl" "$crictl_bin" || exit 1
fi

rm -rf "$work/state" "$work/containerd.sock" "$work/logs" "$work/cni"
mkdir -p "$work/cni" "$work/logs"
bridge=gccri0
cgparent=/gocontainer-cri-$$
image=localhost/gocontainer-busybox:test
pause_image=localhost/gocontainer-pause:test
cat >"$work/config.toml" <<EOF
version = 2
root = "$work/root"
state = "$work/state"
[grpc]
  address = "$work/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # This machine has no CAP_SYS_RESOURCE: nothing may lower oom_score_adj
  # below containerd's own (the pause sandbox asks for -998).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "gocontainer"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.gocontainer]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.gocontainer.options]
        BinaryName = "$runtime"
EOF
cat >"$work/cni/10-gocontainer-cri.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "gocontainer-cri",
  "plugins": [{
    "type": "bridge",
    "bridge": "$bridge",
    "isGateway": false,
    "ipMasq": false,
    "ipam": {
      "type": "host-local",
      "ranges": [[{"subnet": "10.233.77.0/24"}]],
      "dataDir": "$work/cni-ipam"
    }
  }]
}
EOF

C=(ctr --address "$work/containerd.sock" -n k8s.io)
cat >"$work/crictl.yaml" <<EOF
runtime-endpoint: unix://$work/containerd.sock
image-endpoint: unix://$work/containerd.sock
timeout: 60
EOF
CRI=("$crictl_bin" --config "$work/crictl.yaml")

cg=gocontainer-cri-$$
daemon=
# remove_pods: every pod of this private containerd (an earlier,
# interrupted run's too: the root persists).
remove_pods() {
	local p
	for p in $(timeout 30 "${CRI[@]}" pods -q 2>/dev/null); do
		timeout 60 "${CRI[@]}" stopp "$p" >/dev/null 2>&1
		timeout 60 "${CRI[@]}" rmp -f "$p" >/dev/null 2>&1
	done
}
cleanup() {
	remove_pods
	if [[ -n $daemon ]]; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	ip link del "$bridge" 2>/dev/null
	local d
	for d in /sys/fs/cgroup/*"$cgparent" /sys/fs/cgroup/unified"$cgparent"; do
		[[ -d $d ]] && rmdir "$d" 2>/dev/null
	done
	source "$repo/hack/cgroup-leave.sh" "$cg" || true
}
trap cleanup EXIT
# shellcheck source=hack/cgroup-enter.sh
source "$repo/hack/cgroup-enter.sh" "$cg"
set +e

containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	"${CRI[@]}" version >/dev/null 2>&1 && break
	sleep 0.1
done
"${CRI[@]}" version >/dev/null 2>&1 || { echo "test-cri: containerd's CRI plugin did not come up:" >&2; tail "$work/containerd.log" >&2; exit 1; }
remove_pods

# Images: the busybox rootfs and the pause image, saved by podman as OCI
# archives and imported (and unpacked) by ctr into CRI's namespace.
P=(podman --root "$work/podman" --runroot "$work/podman-run")
if ! "${C[@]}" image ls -q | grep -qx "$image"; then
	client_image_archive "$work" "$image" oci-archive &&
		"${C[@]}" image import --base-name "${image%:*}" "$work/image.tar" >/dev/null || exit 1
fi
if ! "${C[@]}" image ls -q | grep -qx "$pause_image"; then
	rm -rf "$work/pause" && mkdir -p "$work/pause/root" &&
		gcc -static -Os -s -o "$work/pause/root/pause" "$repo/hack/cri-pause.c" &&
		tar -C "$work/pause/root" -cf "$work/pause/pause.tar" ./pause &&
		"${P[@]}" import -q --change 'ENTRYPOINT ["/pause"]' "$work/pause/pause.tar" "$pause_image" >/dev/null &&
		rm -f "$work/pause/image.tar" &&
		"${P[@]}" save -q --format oci-archive -o "$work/pause/image.tar" "$pause_image" >/dev/null &&
		"${C[@]}" image import --base-name "${pause_image%:*}" "$work/pause/image.tar" >/dev/null || exit 1
fi

echo "=== containerd $(containerd --version | awk '{print $3}') CRI, crictl $crictl_version, handler gocontainer = $runtime"

uid=$$-$RANDOM
cat >"$work/pod.json" <<EOF
{
  "metadata": {"name": "gc-cri-pod", "namespace": "default", "uid": "$uid", "attempt": 0},
  "hostname": "gc-cri-pod",
  "log_directory": "$work/logs",
  "linux": {
    "cgroup_parent": "$cgparent",
    "security_context": {"namespace_options": {"network": 0, "pid": 1, "ipc": 0}}
  }
}
EOF
# container_json NAME LOGFILE ARGS-JSON [RESOURCES-JSON [SECURITY-CONTEXT-JSON]]
container_json() {
	cat <<EOF
{
  "metadata": {"name": "$1", "attempt": 0},
  "image": {"image": "$image"},
  "command": $3,
  "log_path": "$2",
  "linux": {"resources": ${4:-{\}}, "security_context": ${5:-{\}}}
}
EOF
}
container_json server server.log \
	'["sh", "-c", "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 127.0.0.1:18080 -h /www"]' \
	'{"memory_limit_in_bytes": 67108864, "cpu_period": 100000, "cpu_quota": 50000, "cpu_shares": 512}' \
	>"$work/server.json"
container_json client client.log \
	'["sh", "-c", "for i in $(seq 100); do wget -qO- http://127.0.0.1:18080/ && break; sleep 0.1; done; exec sleep 600"]' \
	>"$work/client.json"
container_json exiter exiter.log '["sh", "-c", "echo exiting-7 uid=$(id -u); touch /x 2>/dev/null || echo rootfs-ro; exit 7"]' \
	'{}' '{"run_as_user": {"value": 1000}, "readonly_rootfs": true}' >"$work/exiter.json"
container_json stubborn stubborn.log '["sh", "-c", "trap \"\" TERM; echo ready; while :; do sleep 1; done"]' >"$work/stubborn.json"

pod=
check runp '^[0-9a-f]{64}$' "${CRI[@]}" runp --runtime gocontainer "$work/pod.json"
pod=$("${CRI[@]}" pods -q --name gc-cri-pod 2>/dev/null | head -1)
[[ -n $pod ]] || { echo "test-cri: no pod sandbox, stopping here; containerd's log:" >&2; grep -i error "$work/containerd.log" | tail -5 >&2; exit 1; }
check pod_ready 'SANDBOX_READY' bash -c "${CRI[*]} inspectp $pod | jq -r .status.state"
server=$("${CRI[@]}" create "$pod" "$work/server.json" "$work/pod.json" 2>&1)
[[ $server =~ ^[0-9a-f]{64}$ ]] || { echo "test-cri: create server: $server" >&2; exit 1; }
check create_server '^[0-9a-f]{64}$' echo "$server"
check start_server "$server" "${CRI[@]}" start "$server"
client_id=$("${CRI[@]}" create "$pod" "$work/client.json" "$work/pod.json" 2>&1)
[[ $client_id =~ ^[0-9a-f]{64}$ ]] || { echo "test-cri: create client: $client_id" >&2; exit 1; }
check create_client '^[0-9a-f]{64}$' echo "$client_id"
check start_client "$client_id" "${CRI[@]}" start "$client_id"
check running 'CONTAINER_RUNNING CONTAINER_RUNNING' bash -c "for i in \$(seq 50); do s=\$(for c in $server $client_id; do ${CRI[*]} inspect \$c | jq -r .status.state; done | xargs); [ \"\$s\" = 'CONTAINER_RUNNING CONTAINER_RUNNING' ] && break; sleep 0.1; done; echo \$s"

pid_of() { "${CRI[@]}" inspect "$1" | jq -r .info.pid; }
pod_pid=$("${CRI[@]}" inspectp "$pod" | jq -r .info.pid)
netns=$("${CRI[@]}" inspectp "$pod" | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path')
server_pid=$(pid_of "$server")
client_pid=$(pid_of "$client_id")
# The client reached the server on the pod's 127.0.0.1: the same network
# namespace, the pause process's, and not the host's.
check logs_client_reached_server 'hello-from-server' bash -c "for i in \$(seq 100); do ${CRI[*]} logs $client_id 2>&1 | grep -q hello-from-server && break; sleep 0.1; done; ${CRI[*]} logs $client_id"
check shared_netns 'same net:\[[0-9]+\] not-host' bash -c "
	p=\$(readlink /proc/$pod_pid/ns/net); s=\$(readlink /proc/$server_pid/ns/net); c=\$(readlink /proc/$client_pid/ns/net)
	echo pod=\$p server=\$s client=\$c host=\$(readlink /proc/self/ns/net)
	[ \"\$p\" = \"\$s\" ] && [ \"\$p\" = \"\$c\" ] && [ \"\$p\" != \"\$(readlink /proc/self/ns/net)\" ] && echo same \$p not-host"
check pod_netns_path '^/.+' echo "$netns"
check pod_ip '10\.233\.77\.[0-9]+' bash -c "${CRI[*]} inspectp $pod | jq -r .status.network.ip"

check exec_sync 'exec-ok gc-cri-pod' "${CRI[@]}" exec -s "$server" sh -c 'echo exec-ok $(hostname)'
# crictl exits 1 when the command fails and names its exit code.
WANT_RC=1 check exec_sync_exit_code "exited with 4" "${CRI[@]}" exec -s "$server" sh -c 'exit 4'
check exec_stream 'hello-from-server' "${CRI[@]}" exec "$client_id" wget -qO- http://127.0.0.1:18080/
WANT_RC=1 check exec_stream_exit_code "terminated with exit code 5" "${CRI[@]}" exec "$client_id" sh -c 'exit 5'
check exec_tty '/dev/pts/[0-9]+' script -qec "${CRI[*]} exec -it $server tty" /dev/null

# Limits from the container config, read from the cgroups the runtime made
# (the server's, as /proc/PID/cgroup names them).
# cgread memory|quota|period|shares: the server's value, from cgroup v1
# files or, on a cgroup2-only host, from memory.max, cpu.max and cpu.weight
# (shares 512 is weight 20 there, as runc converts it).
cgread() {
	local v1 path
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		path=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$server_pid/cgroup")
		case $1 in
		memory) cat "$path/memory.max" ;;
		quota) awk '{ print $1 }' "$path/cpu.max" ;;
		period) awk '{ print $2 }' "$path/cpu.max" ;;
		shares) cat "$path/cpu.weight" ;;
		esac
		return
	fi
	v1() { cat "/sys/fs/cgroup/$1$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$server_pid/cgroup")/$2"; }
	case $1 in
	memory) v1 memory memory.limit_in_bytes ;;
	quota) v1 cpu cpu.cfs_quota_us ;;
	period) v1 cpu cpu.cfs_period_us ;;
	shares) v1 cpu cpu.shares ;;
	esac
}
[[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] && shares=20 || shares=512
cgpath() {
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup"
	else
		awk -F: '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "memory") print $3 }' "/proc/$1/cgroup"
	fi
}
check cgroup_under_parent "^$cgparent/" echo "$(cgpath "$server_pid")"
check memory_limit '^67108864$' echo "$(cgread memory)"
check cpu_quota '^50000$' echo "$(cgread quota)"
check cpu_period '^100000$' echo "$(cgread period)"
check cpu_shares "^$shares\$" echo "$(cgread shares)"

check stats 'mem=[1-9][0-9]* cpu=[0-9]+' bash -c "${CRI[*]} stats -o json --id $server | jq -r '.stats[0] | \"mem=\" + .memory.workingSetBytes.value + \" cpu=\" + .cpu.usageCoreNanoSeconds.value'"

# A container that exits by itself: its status, exit code and logs.
exiter=$("${CRI[@]}" create "$pod" "$work/exiter.json" "$work/pod.json" 2>&1)
check create_exiter '^[0-9a-f]{64}$' echo "$exiter"
check start_exiter "$exiter" "${CRI[@]}" start "$exiter"
check exited_status 'CONTAINER_EXITED 7' bash -c "for i in \$(seq 100); do ${CRI[*]} inspect $exiter | jq -r .status.state | grep -q EXITED && break; sleep 0.1; done; ${CRI[*]} inspect $exiter | jq -r '.status.state + \" \" + (.status.exitCode|tostring)'"
check exited_listed "${exiter:0:13} .*Exited +exiter" "${CRI[@]}" ps -a
check exited_logs_user_readonly 'exiting-7 uid=1000.rootfs-ro' "${CRI[@]}" logs "$exiter"

# crictl update: the shim runs the runtime's update with the new resources.
check update '' "${CRI[@]}" update --memory 134217728 --cpu-period 100000 --cpu-quota 30000 "$server"
check updated_memory_limit '^134217728$' echo "$(cgread memory)"
check updated_cpu_quota '^30000$' echo "$(cgread quota)"

# A container that ignores SIGTERM: stop -t 1 ends it with SIGKILL (137).
stubborn=$("${CRI[@]}" create "$pod" "$work/stubborn.json" "$work/pod.json" 2>&1)
check create_stubborn '^[0-9a-f]{64}$' echo "$stubborn"
check start_stubborn "$stubborn" "${CRI[@]}" start "$stubborn"
check stubborn_ready 'ready' bash -c "for i in \$(seq 100); do ${CRI[*]} logs $stubborn 2>&1 | grep -q ready && break; sleep 0.1; done; ${CRI[*]} logs $stubborn"
check stop_timeout_kills "$stubborn" "${CRI[@]}" stop -t 1 "$stubborn"
check killed_exit_code 'CONTAINER_EXITED 137' bash -c "${CRI[*]} inspect $stubborn | jq -r '.status.state + \" \" + (.status.exitCode|tostring)'"

# A second pod sharing one pid namespace (namespace_options.pid = POD):
# the runtime joins the pause process's; ps in the container sees it as 1.
sed -e 's/gc-cri-pod/gc-cri-pidpod/g' -e "s/\"uid\": \"$uid\"/\"uid\": \"$uid-2\"/" -e 's/"pid": 1/"pid": 0/' "$work/pod.json" >"$work/pidpod.json"
container_json sharer sharer.log '["sleep", "600"]' >"$work/sharer.json"
check runp_shared_pid '^[0-9a-f]{64}$' "${CRI[@]}" runp --runtime gocontainer "$work/pidpod.json"
pidpod=$("${CRI[@]}" pods -q --name gc-cri-pidpod 2>/dev/null | head -1)
pidpod_pid=$("${CRI[@]}" inspectp "$pidpod" 2>/dev/null | jq -r .info.pid)
sharer=$("${CRI[@]}" create "$pidpod" "$work/sharer.json" "$work/pidpod.json" 2>&1)
check create_sharer '^[0-9a-f]{64}$' echo "$sharer"
check start_sharer "$sharer" "${CRI[@]}" start "$sharer"
sharer_pid=$(pid_of "$sharer")
check shared_pidns_ps ' 1 /pause.* sleep 600' "${CRI[@]}" exec -s "$sharer" ps -o pid,args
check shared_pidns_same 'same' bash -c "[ \"\$(readlink /proc/$pidpod_pid/ns/pid)\" = \"\$(readlink /proc/$sharer_pid/ns/pid)\" ] && echo same"
check stopp_shared_pid 'Stopped sandbox' "${CRI[@]}" stopp "$pidpod"
check rmp_shared_pid 'Removed sandbox' "${CRI[@]}" rmp "$pidpod"

# Stop the server (SIGTERM to httpd) and then the pod with the client still
# running; remove it all: nothing of the pod may be left.
check stop_server "$server" "${CRI[@]}" stop "$server"
check stopped_server 'CONTAINER_EXITED' bash -c "${CRI[*]} inspect $server | jq -r .status.state"
check stopp 'Stopped sandbox' "${CRI[@]}" stopp "$pod"
check rmp 'Removed sandbox' "${CRI[@]}" rmp "$pod"
check no_pods '^$' "${CRI[@]}" pods -q
check no_containers '^$' "${CRI[@]}" ps -aq
check no_process_left '^$' bash -c "for p in $pod_pid $server_pid $client_pid $pidpod_pid $sharer_pid; do [ -e /proc/\$p ] && echo left: \$p \$(tr '\0' ' ' </proc/\$p/cmdline); done; true"
check no_cgroup_left '^$' bash -c "find /sys/fs/cgroup/*$cgparent -mindepth 1 -type d 2>/dev/null; true"
check no_mount_left '^$' bash -c "grep -E '$pod|$server|$client_id|$exiter|$stubborn|$pidpod|$sharer' /proc/self/mountinfo; true"
check no_netns_left '^$' bash -c "[ -n '$netns' ] && [ -e '$netns' ] && echo left: $netns; ! grep -F '$netns' /proc/self/mountinfo"
exit $failed
