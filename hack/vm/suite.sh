#!/bin/bash
# Guest side of `just test-vm` (hack/vm/test-vm.sh stages it with everything
# it needs under /gcvm/repo): runs the suites named on the command line,
#   integration   contest   oci   rootless
# each as one word "SUITE[@DRIVER][=SELECTION]": "integration",
# "contest@systemd=cgroups,update" (contest -t groups, comma-separated),
# "integration=Pause|Update"
# (go test -run; the rootless tests are left to the rootless suite).
# The driver picks the cgroup manager: cgroupfs (default) runs
# /usr/local/bin/gocontainer as is; systemd runs it through a wrapper that adds
# --systemd-cgroup (GOCONTAINER_SYSTEMD_CGROUP=1 does the same for every suite).
# Each suite starts with a line "=== VM-SUITE <name>" and ends with
# "=== VM-SUITE-END <name> rc=<rc> <seconds>s"; the host counts the
# "--- PASS/FAIL/SKIP:" lines in between. Exits non-zero if any suite failed.
set -uo pipefail

repo=/gcvm/repo
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
rc=0

# TMPDIR (bundles, test dirs) on ext4 in a loop file held in RAM: the
# initramfs root is tmpfs, which has no idmapped mounts before Linux 6.3,
# and real hosts keep bundles on a disk filesystem. discard gives freed
# blocks back to the RAM.
if [[ -z ${GCVM_NO_SCRATCH:-} ]]; then
	truncate -s 2G /gcvm-scratch.img &&
		mkfs.ext4 -q -F -E nodiscard /gcvm-scratch.img &&
		mkdir -p /scratch && mount -o loop,discard /gcvm-scratch.img /scratch &&
		mkdir -m 1777 /scratch/tmp ||
		{ echo "suite: cannot make the ext4 scratch filesystem"; exit 1; }
	export TMPDIR=/scratch/tmp
fi

runtime_for() { # runtime_for DRIVER: the binary the suites run
	case $1 in
	cgroupfs) echo /usr/local/bin/gocontainer ;;
	systemd)
		cat >/usr/local/bin/gocontainer-systemd <<'WRAP'
#!/bin/sh
exec /usr/local/bin/gocontainer --systemd-cgroup "$@"
WRAP
		chmod 0755 /usr/local/bin/gocontainer-systemd
		echo /usr/local/bin/gocontainer-systemd
		;;
	*) echo "suite: unknown cgroup driver $1" >&2; return 1 ;;
	esac
}

suite_integration() { # RUNTIME DRIVER [REGEX]
	# All (or the selected) tests but the rootless ones, which the rootless
	# suite runs (hack/test-rootless.sh -run 'Rootless|UserNamespace'), and
	# two tests that run on the host only:
	# - TestFaultConcurrentLifecycles: 100 containers at once under TCG
	#   exceed the test's 30 s per-command deadline (a create timed out);
	#   it is a load test, nothing in it is about cgroup v2 or systemd;
	# - TestPidfdSocketGetsTheInitAndTheExecProcess: on the VM's kernel 6.1
	#   the init killed through its pidfd still read "running" after 10 s
	#   (passes on the host's 6.18); an open finding, see docs/testing.md.
	# With the systemd driver GOCONTAINER_TEST_SYSTEMD_CGROUP=1 tells the
	# tests to give cgroupsPath in the systemd form (system.slice:gcit:ID)
	# and to look for the scope's cgroup (tests/integration helpers).
	local sel=(-skip 'Rootless|UserNamespace|TestFaultConcurrentLifecycles|TestPidfdSocketGetsTheInitAndTheExecProcess') sd=0
	[[ -z ${3:-} ]] || sel=(-run "$3" "${sel[@]}")
	[[ $2 == systemd ]] && sd=1
	GOCONTAINER=$1 GOCONTAINER_TEST_SYSTEMD_CGROUP=$sd GOCONTAINER_IT_TEST=$repo/tests/integration/integration.test \
		GOCONTAINER_IT_CACHE=/gcvm "$repo/hack/test-integration.sh" "${sel[@]}"
}

suite_contest() { # RUNTIME DRIVER [contest -t selections...]
	local rt=$1 cg=gocontainer-contest-vm r=0 rootfs=${TMPDIR:-/tmp}/contest-rootfs sd=0
	[[ $2 == systemd ]] && sd=1
	shift 2
	# On the bundles' filesystem, so that contest can hard-link it.
	[[ -d $rootfs ]] || cp -a /gcvm/rootfs "$rootfs"
	source "$repo/hack/cgroup-enter.sh" "$cg"
	# systemd: containers get system.slice:contest-<pid>:<leaf> (tests/contest/support).
	GOCONTAINER_TEST_SYSTEMD_CGROUP=$sd "$repo/tests/contest/contest" run --runtime "$rt" --runtimetest "$repo/tests/contest/runtimetest" \
		--rootfs "$rootfs" --exclude "$repo/tests/contest/ci-exclude.txt" ${1:+-t "$@"} || r=$?
	source "$repo/hack/cgroup-leave.sh" "$cg" || r=1
	return $r
}

suite_oci() { # RUNTIME
	local cg=gocontainer-oci-vm r=0 d
	source "$repo/hack/cgroup-enter.sh" "$cg"
	(cd "$repo/tests/oci" && RUNTIME=$1 RUNTIME_NAME=gocontainer OCI_BIN=$repo/tests/oci/bin \
		OCI_LIST=$repo/tests/oci/list.txt OCI_RESULTS=/tmp/oci-results \
		./oci.test -test.count=1 -test.v -test.timeout 0 -test.run '^TestRuntimeTools$') || r=$?
	source "$repo/hack/cgroup-leave.sh" "$cg" || r=1
	local p
	while read -r p; do
		echo "--- SKIP: TestRuntimeTools/$p (0.00s): runtime-tools v0.9.0 reads cgroups through v1 paths only (\"cgroupv2 is not supported yet\")"
	done <"$repo/tests/oci/oci-skip.txt"
	# What runtime-tools' cgroup programs leave behind when a run fails half way.
	for d in /sys/fs/cgroup/cgrouptest /sys/fs/cgroup/testdir; do
		[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return $r
}

suite_rootless() { # RUNTIME (the rootless checks use /gcvm/repo/gocontainer)
	GOCONTAINER_IT_TEST=$repo/tests/integration/integration.test GOCONTAINER_IT_CACHE=/gcvm \
		GOCONTAINER_ROOTFS=/gcvm/rootfs "$repo/hack/test-rootless.sh"
}

# A cgroup, unit or mount a suite leaves behind fails it.
leftovers() {
	local l
	l=$(
		find /sys/fs/cgroup -mindepth 1 -type d \( -name 'gocontainer*' -o -name 'gcit-*' -o -name '*contest*' -o -name 'cgrouptest' -o -name 'testdir' \) 2>/dev/null
		systemctl list-units --all --no-legend --plain 'gocontainer*' 'gcit-*' 2>/dev/null | awk '{ print "unit " $1 }'
		gocontainer list -q 2>/dev/null | sed 's/^/container /'
	)
	[[ -z $l ]] && return 0
	echo "suite: left behind:"
	echo "$l" | sed 's/^/  /'
	return 1
}

for word in "$@"; do
	arg=""
	[[ $word == *=* ]] && arg=${word#*=}
	name=${word%%=*}
	driver=cgroupfs
	[[ ${GOCONTAINER_SYSTEMD_CGROUP:-0} == 1 ]] && driver=systemd
	[[ $name == *@* ]] && driver=${name#*@}
	name=${name%%@*}
	label=$name
	[[ $driver == cgroupfs ]] || label=$name:$driver
	echo "=== VM-SUITE $label"
	start=$SECONDS
	r=0
	rt=$(runtime_for "$driver") || r=1
	if ((r == 0)); then
		case $name in
		integration) suite_integration "$rt" "$driver" "$arg" || r=$? ;;
		contest) suite_contest "$rt" "$driver" ${arg//,/ } || r=$? ;;
		oci) suite_oci "$rt" || r=$? ;;
		rootless) suite_rootless "$rt" || r=$? ;;
		*) echo "suite: unknown suite $name"; r=2 ;;
		esac
	fi
	if ! leftovers; then
		echo "--- FAIL: $label: nothing left behind"
		r=1
	fi
	echo "=== VM-SUITE-END $label rc=$r $((SECONDS - start))s"
	((r == 0)) || rc=1
done
exit $rc
