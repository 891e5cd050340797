#!/usr/bin/env bash
# Shared set-up of hack/bench-phases.sh and hack/bench-scale.sh (source it).
#
# bench_setup GOCONTAINER makes, under a fresh $BENCH_WORK:
#   - a tmpfs for the state roots (as /run is on a normal host),
#   - one busybox rootfs shared by every bundle (root.path is absolute),
#   - a cgroup of its own for this shell ($BENCH_CG, hack/cgroup-enter.sh),
#   - the runtimes to compare in BENCH_NAMES / BENCH_BINS: gocontainer, runc
#     and crun (with the v1 hugetlb mount crun needs on this hybrid host).
# bench_bundle NAME ARGS_JSON CGROUP writes $BENCH_WORK/bundles/NAME with
# linux.cgroupsPath "/$BENCH_CG/CGROUP": every container lives below the
# bench cgroup, so cpuacct.usage of that cgroup counts the CPU time of every
# process of a phase (runtime, init, container) for all three runtimes
# alike, and no two live containers share a cgroup.
# bench_cleanup (an EXIT trap) deletes what is left and undoes the rest.
set -euo pipefail

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAMES=()
BENCH_BINS=()

bench_setup() { # GOCONTAINER
	local gc=$1 tool
	for tool in jq runc /usr/bin/time; do
		command -v "$tool" >/dev/null || { echo "bench: $tool not found: run hack/setup.sh" >&2; exit 1; }
	done
	BENCH_WORK=$(mktemp -d /tmp/gocontainer-bench.XXXXXX)
	BENCH_CG=gocontainer-bench-$$
	mkdir -p "$BENCH_WORK/state" "$BENCH_WORK/bundles"
	mount -t tmpfs -o mode=0700 tmpfs "$BENCH_WORK/state"
	"$BENCH_REPO/hack/mkrootfs.sh" "$BENCH_WORK/rootfs" >/dev/null 2>&1
	(cd "$BENCH_WORK" && runc spec && mv config.json base.json)
	# shellcheck source=hack/crun-hugetlb.sh
	source "$BENCH_REPO/hack/crun-hugetlb.sh"
	# shellcheck source=hack/cgroup-enter.sh
	source "$BENCH_REPO/hack/cgroup-enter.sh" "$BENCH_CG" >/dev/null
	BENCH_CPUACCT=/sys/fs/cgroup/cpuacct/$BENCH_CG/cpuacct.usage
	[[ -r $BENCH_CPUACCT ]] || BENCH_CPUACCT=""
	[[ -x $gc ]] || { echo "bench: $gc is not executable (just build)" >&2; exit 1; }
	BENCH_NAMES=(gocontainer runc)
	BENCH_BINS=("$gc" "$(command -v runc)")
	if ! command -v crun >/dev/null; then
		echo "bench: crun not installed: left out" >&2
	elif crun_hugetlb_mount; then
		BENCH_NAMES+=(crun)
		BENCH_BINS+=("$(command -v crun)")
	else
		echo "bench: crun cannot run on this host now: left out" >&2
	fi
	# BENCH_BASE=PATH adds a second gocontainer binary as "gc-base" (an A/B
	# of two builds in the same run).
	if [[ -n ${BENCH_BASE:-} ]]; then
		BENCH_NAMES+=(gc-base)
		BENCH_BINS+=("$(realpath "$BENCH_BASE")")
	fi
}

bench_bundle() { # NAME ARGS_JSON CGROUP
	local dir=$BENCH_WORK/bundles/$1
	mkdir -p "$dir"
	jq --arg root "$BENCH_WORK/rootfs" --argjson args "$2" --arg cg "/$BENCH_CG/$3" \
		'.root.path = $root | .process.terminal = false | .process.args = $args | .linux.cgroupsPath = $cg' \
		"$BENCH_WORK/base.json" >"$dir/config.json"
	echo "$dir"
}

# bench_cpu VAR sets VAR to the bench cgroup's CPU time so far in ns (0
# without a v1 cpuacct hierarchy); a builtin read, no fork.
bench_cpu() {
	local -n out=$1
	out=0
	[[ -z $BENCH_CPUACCT ]] || read -r out <"$BENCH_CPUACCT"
}

bench_cleanup() {
	local rc=$? i d id
	for i in "${!BENCH_NAMES[@]}"; do
		d=$BENCH_WORK/state/root-${BENCH_NAMES[$i]}
		[[ -d $d ]] || continue
		for id in $("${BENCH_BINS[$i]}" --root "$d" list -q 2>/dev/null); do
			"${BENCH_BINS[$i]}" --root "$d" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	crun_hugetlb_umount || true
	# shellcheck source=hack/cgroup-leave.sh
	source "$BENCH_REPO/hack/cgroup-leave.sh" "$BENCH_CG" >/dev/null 2>&1 || true
	umount "$BENCH_WORK/state" 2>/dev/null || true
	rm -rf "$BENCH_WORK"
	exit $rc
}

# bench_stats reads one number a line and prints "median p99 mean" (same
# unit, two decimals).
bench_stats() {
	sort -g | awk '{v[NR]=$1; s+=$1} END {
		if (NR == 0) { print "- - -"; exit }
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		i = int(NR * 0.99 + 0.999999); if (i > NR) i = NR; if (i < 1) i = 1
		printf "%.2f %.2f %.2f\n", m, v[i], s / NR }'
}
