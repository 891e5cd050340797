#!/usr/bin/env bash
# Scale benchmark: N busybox `sleep` containers created and started at
# once, then all deleted (-f) at once, for gocontainer, runc and crun side
# by side, N = 10, 50, 100 (BENCH_SCALE_N).
#
#   hack/bench-scale.sh [GOCONTAINER]     # default ./gocontainer
#
# Per runtime and N it prints: the wall time of the whole round (all
# creates+starts, then all deletes), containers per second over it, the
# wall time per container (a cost linear in N stays flat), and the p50 and
# p99 of each container's own create+start latency. Every container has a
# cgroup of its own below the bench cgroup. A failed create, start or
# delete fails the bench. After the largest N of each runtime it checks that
# nothing is left: no state directory, no cgroup below the bench cgroup, no
# mount of the bench rootfs, no process in the bench cgroup but this shell.
# BENCH_BASE=PATH adds a second gocontainer binary ("gc-base").
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=hack/lib-bench.sh
source hack/lib-bench.sh
read -r -a sizes <<<"${BENCH_SCALE_N:-10 50 100}"
trap bench_cleanup EXIT
bench_setup "$(realpath "${1:-./gocontainer}")"
n=${#BENCH_NAMES[@]}
max=0
for s in "${sizes[@]}"; do ((s > max)) && max=$s; done
lat=$BENCH_WORK/latency.tsv
res=$BENCH_WORK/rounds.tsv
: >"$lat"
: >"$res"

for i in "${!BENCH_NAMES[@]}"; do
	for ((c = 0; c < max; c++)); do
		bench_bundle "${BENCH_NAMES[$i]}-$c" '["sleep","3600"]' "${BENCH_NAMES[$i]}-$c" >/dev/null
	done
done

# leftovers NAME prints what a runtime left behind (nothing when clean).
leftovers() {
	local name=$1 root=$BENCH_WORK/state/root-$1 d p comm
	if [[ -d $root ]] && [[ -n $(ls -A "$root") ]]; then
		echo "state: $(ls -A "$root" | head -5 | tr '\n' ' ')"
	fi
	for d in /sys/fs/cgroup/*/"$BENCH_CG" /sys/fs/cgroup/unified/"$BENCH_CG"; do
		[[ -d $d ]] || continue
		find "$d" -mindepth 1 -maxdepth 1 -type d -name "$name-*" -printf "cgroup: %p\n" | head -5
	done
	grep -F "$BENCH_WORK/" /proc/self/mountinfo | grep -v " $BENCH_WORK/state " | head -5 | sed 's/^/mount: /' || true
	for d in /sys/fs/cgroup/pids/"$BENCH_CG" /sys/fs/cgroup/unified/"$BENCH_CG"; do
		[[ -r $d/cgroup.procs ]] || continue
		while read -r p; do
			# This shell and the subshells it forks for this check.
			comm=""
			read -r comm <"/proc/$p/comm" 2>/dev/null || continue
			[[ $p == "$$" || $comm == @(bash|cat|grep|find|head|sed|ls|tr) ]] && continue
			echo "process: $p $comm"
		done <"$d/cgroup.procs"
	done
}

round() { # INDEX N
	local name=${BENCH_NAMES[$1]} bin=${BENCH_BINS[$1]} size=$2 c t0 t1 t2 failed=0
	local root=$BENCH_WORK/state/root-$name
	t0=$EPOCHREALTIME
	for ((c = 0; c < size; c++)); do
		(
			s=$EPOCHREALTIME
			"$bin" --root "$root" create --bundle "$BENCH_WORK/bundles/$name-$c" "s-$c" </dev/null >/dev/null 2>>"$BENCH_WORK/$name.err" &&
				"$bin" --root "$root" start "s-$c" </dev/null >/dev/null 2>>"$BENCH_WORK/$name.err" || exit 1
			e=$EPOCHREALTIME
			echo "$name $size $s $e" >>"$lat"
		) &
	done
	for ((c = 0; c < size; c++)); do wait -n || failed=$((failed + 1)); done
	t1=$EPOCHREALTIME
	for ((c = 0; c < size; c++)); do
		"$bin" --root "$root" delete -f "s-$c" </dev/null >/dev/null 2>>"$BENCH_WORK/$name.err" &
	done
	for ((c = 0; c < size; c++)); do wait -n || failed=$((failed + 1)); done
	t2=$EPOCHREALTIME
	if ((failed > 0)); then
		echo "bench-scale: $name, N=$size: $failed create/start/delete commands failed:" >&2
		tail -5 "$BENCH_WORK/$name.err" >&2
		exit 1
	fi
	echo "$name $size $t0 $t1 $t2" >>"$res"
}

for size in "${sizes[@]}"; do
	for ((k = 0; k < n; k++)); do
		round $(((size / 10 + k) % n)) "$size"
	done
done
rc=0
for name in "${BENCH_NAMES[@]}"; do
	left=$(leftovers "$name")
	if [[ -n $left ]]; then
		echo "bench-scale: $name left things behind after N=$max:" >&2
		echo "$left" | sed 's/^/    /' >&2
		rc=1
	fi
done

echo
echo "N containers created+started at once, then deleted at once ($(nproc) cores, $(uname -r)):"
printf "  %-12s %4s %10s %10s %11s %9s %9s %9s\n" runtime N "wall ms" "up ms" "ms/ctr" "ctr/s" "p50 ms" "p99 ms"
for size in "${sizes[@]}"; do
	for name in "${BENCH_NAMES[@]}"; do
		read -r t0 t1 t2 < <(awk -v n="$name" -v s="$size" '$1 == n && $2 == s {print $3, $4, $5}' "$res")
		read -r p50 p99 _ < <(awk -v n="$name" -v s="$size" '$1 == n && $2 == s {print ($4 - $3) * 1000}' "$lat" | bench_stats)
		awk -v n="$name" -v s="$size" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v p50="$p50" -v p99="$p99" 'BEGIN {
			w = (t2 - t0) * 1000
			printf "  %-12s %4d %10.1f %10.1f %11.2f %9.1f %9s %9s\n", n, s, w, (t1 - t0) * 1000, w / s, s / (w / 1000), p50, p99 }'
	done
done
echo "  (wall: the whole round; up: until all N are started; ms/ctr = wall/N; p50/p99: each container's create+start)"
if ((rc == 0)); then
	echo "  nothing left behind after N=$max (state, cgroups, mounts, processes): ok"
fi
mkdir -p _build
cp "$res" _build/bench-scale-rounds.tsv
cp "$lat" _build/bench-scale-latency.tsv
exit $rc
