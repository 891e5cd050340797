#!/bin/bash
# Guest side of hack/vm/test-clients.sh (image flavor "clients"): real
# clients drive /usr/local/bin/gocontainer with SYSTEMD cgroups, as they do
# by default on a systemd + cgroup v2 host (issue 10 part 4):
#   gocontainer  --systemd-cgroup run of a 64 MiB container: gocontainer-<id>.scope, MemoryMax
#   podman       its default cgroup manager (systemd): libpod-<id>.scope
#   containerd   ctr run --runc-binary gocontainer --runc-systemd-cgroup (the shim's
#                SystemdCgroup=true + BinaryName): system.slice:gcvm:<id> -> gcvm-<id>.scope
#   docker       dockerd with native.cgroupdriver=systemd: docker-<id>.scope
# Each client: run + exit code, exec, pause/resume, memory and pids limits
# seen in `systemctl show <unit>`, stop/remove leaving no unit behind. Each
# check prints "--- PASS/FAIL: clients/<client>/<name>". These need the
# systemd cgroup driver; they fail until it has landed.
#   clients.sh [gocontainer] [podman] [containerd] [docker]   # default: all
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
G=/usr/local/bin/gocontainer
failed=0
client=""

check() { # check NAME REGEX CMD... (WANT_RC=n for another exit status)
	local name=$1 want=$2 out rc start=$SECONDS
	shift 2
	if declare -F "$1" >/dev/null; then # a function of this script
		out=$("$@" 2>&1 | tr -d '\r\000')
	else
		out=$(timeout 120 "$@" 2>&1 | tr -d '\r\000')
	fi
	rc=${PIPESTATUS[0]}
	if [[ $rc -eq ${WANT_RC:-0} ]] && [[ $out =~ $want ]]; then
		echo "--- PASS: clients/$client/$name ($((SECONDS - start)).00s)"
	else
		echo "--- FAIL: clients/$client/$name ($((SECONDS - start)).00s)"
		echo "    exit $rc (want ${WANT_RC:-0}), output does not match /$want/:"
		sed 's/^/    | /' <<<"$out" | head -20
		failed=1
	fi
}
# unit_prop UNIT PROP: the property as systemd has it.
unit_prop() { systemctl show -p "$2" --value "$1"; }
# no_units GLOB: nothing matching is loaded.
no_units() { [[ -z $(systemctl list-units --all --no-legend --plain "$1" 2>/dev/null) ]] && echo none; }

tar -C /gcvm/rootfs -cf /tmp/rootfs.tar .

t_gocontainer() {
	client=gocontainer
	local b=/tmp/gcvm-sd id=gcvm-sd1
	mkdir -p $b && cp -a /gcvm/rootfs $b/rootfs && (cd $b && $G spec)
	jq '.process.terminal = false | .process.args = ["sleep", "300"]
		| .linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 20' $b/config.json >$b/c && mv $b/c $b/config.json
	# The detached container's stdio goes to files: a pipe (check's command
	# substitution) would stay open, held by the container, until it exits.
	check run_detached '^$' sh -c "$G --systemd-cgroup run -d --bundle $b $id </dev/null >$b/out 2>$b/err; rc=\$?; cat $b/err; exit \$rc"
	check scope_active '^active$' unit_prop gocontainer-$id.scope ActiveState
	check scope_memory_max '^67108864$' unit_prop gocontainer-$id.scope MemoryMax
	check scope_tasks_max '^20$' unit_prop gocontainer-$id.scope TasksMax
	check init_in_scope "system.slice/gocontainer-$id.scope" sh -c "cat /proc/\$($G state $id | jq .pid)/cgroup"
	check exec '^hi$' $G --systemd-cgroup exec $id echo hi
	check pause '^$' $G --systemd-cgroup pause $id
	check paused '^paused$' sh -c "$G state $id | jq -r .status"
	check resume '^$' $G --systemd-cgroup resume $id
	check update '^33554432$' sh -c "$G --systemd-cgroup update --memory 32M $id && systemctl show -p MemoryMax --value gocontainer-$id.scope"
	check delete '^$' $G --systemd-cgroup delete -f $id
	check no_unit_left '^none$' no_units "gocontainer-$id.scope"
	$G delete -f $id >/dev/null 2>&1
}

t_podman() {
	client=podman
	local P=(podman --runtime $G) U=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
	check cgroup_manager '^systemd$' podman info --format '{{.Host.CgroupManager}}'
	check import 'sha256|^[0-9a-f]+$' podman import -q /tmp/rootfs.tar localhost/gcvm-busybox:test
	check run 'hello' "${P[@]}" run --rm "${U[@]}" localhost/gcvm-busybox:test echo hello
	WANT_RC=3 check run_exit_code '^$' "${P[@]}" run --rm "${U[@]}" localhost/gcvm-busybox:test sh -c 'exit 3'
	check run_detached '^[0-9a-f]{64}$' "${P[@]}" run -d --name gcvm-pm "${U[@]}" --memory 64m --pids-limit 20 localhost/gcvm-busybox:test sleep 300
	local id
	id=$(podman inspect -f '{{.Id}}' gcvm-pm 2>/dev/null)
	check scope_memory_max '^67108864$' unit_prop "libpod-$id.scope" MemoryMax
	check scope_tasks_max '^20$' unit_prop "libpod-$id.scope" TasksMax
	check exec 'exec-ok' "${P[@]}" exec gcvm-pm echo exec-ok
	check pause '' "${P[@]}" pause gcvm-pm
	check paused 'Paused|paused' podman inspect -f '{{.State.Status}}' gcvm-pm
	check unpause '' "${P[@]}" unpause gcvm-pm
	check stop '' "${P[@]}" stop -t 1 gcvm-pm
	check rm '' "${P[@]}" rm gcvm-pm
	check no_unit_left '^none$' no_units "libpod-$id.scope"
}

t_containerd() {
	client=containerd
	mkdir -p /etc/containerd
	# What Kubernetes sets (CRI); ctr passes the same to the shim per run below.
	cat >/etc/containerd/config.toml <<TOML
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "$G"
  SystemdCgroup = true
TOML
	systemctl start containerd
	local C=(ctr) R=(--runc-binary $G --runc-systemd-cgroup) img=localhost/gcvm-busybox:test
	check import '' sh -c "mkdir -p /tmp/oci && cd /tmp/oci && podman save --format oci-archive -o img.tar $img >/dev/null 2>&1 || { podman import -q /tmp/rootfs.tar $img && podman save --format oci-archive -o img.tar $img; } && ctr image import --base-name localhost/gcvm-busybox img.tar"
	check run 'hello' "${C[@]}" run --rm "${R[@]}" --cgroup system.slice:gcvm:ct1 $img ct1 echo hello
	WANT_RC=3 check run_exit_code '^$' "${C[@]}" run --rm "${R[@]}" --cgroup system.slice:gcvm:ct2 $img ct2 sh -c 'exit 3'
	check run_detached '' "${C[@]}" run -d "${R[@]}" --cgroup system.slice:gcvm:ct3 --memory-limit 67108864 $img ct3 sleep 300
	check scope_memory_max '^67108864$' unit_prop gcvm-ct3.scope MemoryMax
	check exec 'exec-ok' "${C[@]}" task exec --exec-id e1 ct3 echo exec-ok
	check pause '' "${C[@]}" task pause ct3
	check paused 'PAUSED' "${C[@]}" task ls
	check resume '' "${C[@]}" task resume ct3
	check kill '' sh -c "ctr task kill -s KILL ct3; sleep 1; ctr task delete ct3; ctr container delete ct3"
	check no_unit_left '^none$' no_units 'gcvm-ct*.scope'
}

t_docker() {
	client=docker
	mkdir -p /etc/docker
	cat >/etc/docker/daemon.json <<JSON
{"exec-opts": ["native.cgroupdriver=systemd"], "runtimes": {"gc": {"path": "$G"}},
 "default-runtime": "gc", "bridge": "none", "iptables": false, "ip6tables": false}
JSON
	systemctl start docker
	# Debian's kernel has AppArmor on, the image has no apparmor_parser (its
	# postinst fails in the image build's chroot): dockerd cannot load
	# docker-default, so the containers run unconfined.
	local D=(docker) U=(--network none --security-opt apparmor=unconfined)
	check cgroup_driver '^systemd$' docker info --format '{{.CgroupDriver}}'
	check import 'sha256' docker import /tmp/rootfs.tar gcvm-busybox:test
	check run 'hello' "${D[@]}" run --rm "${U[@]}" gcvm-busybox:test echo hello
	WANT_RC=3 check run_exit_code '^$' "${D[@]}" run --rm "${U[@]}" gcvm-busybox:test sh -c 'exit 3'
	check run_detached '^[0-9a-f]{64}$' "${D[@]}" run -d --name gcvm-dk "${U[@]}" --memory 64m --pids-limit 20 gcvm-busybox:test sleep 300
	local id
	id=$(docker inspect -f '{{.Id}}' gcvm-dk 2>/dev/null)
	check scope_memory_max '^67108864$' unit_prop "docker-$id.scope" MemoryMax
	check scope_tasks_max '^20$' unit_prop "docker-$id.scope" TasksMax
	check exec 'exec-ok' "${D[@]}" exec gcvm-dk echo exec-ok
	check pause '' "${D[@]}" pause gcvm-dk
	check paused 'paused' docker inspect -f '{{.State.Status}}' gcvm-dk
	check unpause '' "${D[@]}" unpause gcvm-dk
	check stop '' "${D[@]}" stop -t 1 gcvm-dk
	check rm '' "${D[@]}" rm gcvm-dk
	check no_unit_left '^none$' no_units "docker-$id.scope"
}

(($#)) || set -- gocontainer podman containerd docker
for c in "$@"; do
	echo "=== VM-SUITE clients-$c"
	start=$SECONDS
	f0=$failed failed=0
	"t_$c"
	echo "=== VM-SUITE-END clients-$c rc=$failed $((SECONDS - start))s"
	((failed |= f0))
done
exit $failed
