#!/usr/bin/env bash
# Container lifecycle benchmark: create + start + delete -f of a busybox
# `true` container, for gocontainer, runc and crun in ONE hyperfine run
# (same machine state, interleaved warmups), then the ratios of medians.
#
#   hack/bench.sh [GOCONTAINER [BASELINE]]   # default ./gocontainer
# BASELINE, another gocontainer binary (say, built from main), joins the
# same hyperfine run as "baseline", to compare a change within the noise of
# one run.
# Environment: BENCH_RUNS (50), BENCH_WARMUP (5), BENCH_OUT (hyperfine
# JSON, default _build/bench.json),
# BENCH_SKIP_BROKEN=1 to drop a runtime that cannot run the container
# instead of failing, BENCH_CRUN=0 to leave crun out.
#
# Why create+start+delete -f: it is what runc's own lifecycle benchmarks
# time, it exercises every step a container manager pays for, and deleting
# with -f right after start measures the runtime, not how long `true` and
# the kernel's process teardown take. Each runtime gets its own --root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
gocontainer=$(realpath "${1:-./gocontainer}")
runs=${BENCH_RUNS:-50}
warmup=${BENCH_WARMUP:-5}

for tool in hyperfine jq runc; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found: run hack/setup.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/gocontainer-bench.XXXXXX)
out=$(realpath -m "${BENCH_OUT:-$repo/_build/bench.json}")
mkdir -p "$(dirname "$out")"
cg=gocontainer-bench-$$
# shellcheck source=hack/crun-hugetlb.sh
source hack/crun-hugetlb.sh
names=()
bins=()
cleanup() {
	local rc=$? i
	for i in "${!names[@]}"; do
		"${bins[$i]}" --root "$work/state/root-${names[$i]}" delete -f "bench-${names[$i]}" >/dev/null 2>&1 || true
	done
	crun_hugetlb_umount || true
	# shellcheck source=hack/cgroup-leave.sh
	source hack/cgroup-leave.sh "$cg" >/dev/null 2>&1 || true
	umount "$work/state" 2>/dev/null || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
# State roots live on a tmpfs, as /run does on a normal host (this machine's
# /run is on disk): runtimes that fsync their state would otherwise be timed
# on disk flushes that production never sees.
mkdir -p "$work/state"
mount -t tmpfs -o mode=0700 tmpfs "$work/state"

hack/mkrootfs.sh "$work/bundle/rootfs" 2>/dev/null
(cd "$work/bundle" && runc spec)
jq '.process.terminal = false | .process.args = ["true"]' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

# shellcheck source=hack/cgroup-enter.sh
source hack/cgroup-enter.sh "$cg"

cycle() { # NAME BIN -> the shell command hyperfine times
	local root=$work/state/root-$1 id=bench-$1
	echo "$2 --root $root create --bundle $work/bundle $id && $2 --root $root start $id && $2 --root $root delete -f $id"
}

# A runtime is benchmarked only once one cycle has worked: hyperfine would
# otherwise time error paths.
try_runtime() { # NAME BIN
	local cmd
	cmd=$(cycle "$1" "$2")
	if sh -c "$cmd" >"$work/$1.smoke" 2>&1; then
		names+=("$1")
		bins+=("$2")
		return 0
	fi
	echo "bench: $1 ($2) cannot run the bench container:" >&2
	sed 's/^/    /' "$work/$1.smoke" >&2
	return 1
}

if [[ -x $gocontainer ]] && try_runtime gocontainer "$gocontainer"; then
	:
elif [[ ${BENCH_SKIP_BROKEN:-0} == 1 ]]; then
	echo "bench: continuing without gocontainer (BENCH_SKIP_BROKEN=1)" >&2
else
	echo "bench: $gocontainer does not work yet (set BENCH_SKIP_BROKEN=1 to bench the others)" >&2
	exit 1
fi
if [[ -n ${2:-} ]]; then
	try_runtime baseline "$(realpath "$2")" || exit 1
fi
try_runtime runc "$(command -v runc)"
if [[ ${BENCH_CRUN:-1} != 1 ]]; then
	echo "bench: BENCH_CRUN=0: crun left out" >&2
elif ! command -v crun >/dev/null; then
	echo "bench: crun not installed: left out" >&2
elif crun_hugetlb_mount; then
	try_runtime crun "$(command -v crun)" || echo "bench: crun left out" >&2
else
	echo "bench: crun cannot run on this host now: left out" >&2
fi

args=()
for i in "${!names[@]}"; do
	args+=(--command-name "${names[$i]}" "$(cycle "${names[$i]}" "${bins[$i]}")")
done
hyperfine --warmup "$warmup" --runs "$runs" --export-json "$out" "${args[@]}"

echo
echo "median create+start+delete, $runs runs each ($(nproc) cores, $(uname -r)):"
jq -r '
  (.results | map({key: .command, value: .median}) | from_entries) as $m
  | (.results[] | "  \(.command | . + " " * (12 - length)) \(.median * 1000 | . * 100 | round / 100) ms  (mean \(.mean * 1000 | . * 100 | round / 100) ± \(.stddev * 1000 | . * 100 | round / 100) ms)"),
    (["baseline", "runc", "crun"][] as $o
     | select($m.gocontainer != null and $m[$o] != null)
     | "  gocontainer/\($o) = \($m.gocontainer / $m[$o] | . * 100 | round / 100)"),
    (select($m.gocontainer == null) | "  (gocontainer not benchmarked: no ratios)")
' "$out"
echo "raw results: $out"
