#!/usr/bin/env bash
# Per-phase benchmark of gocontainer, runc and crun side by side:
# create, start, delete -f (and their sum, the cycle) of a busybox `true`
# container, `run` of the same container (which exits at once; run waits
# and deletes it), `exec true` into a running container, and the peak RSS
# of `create`.
#
#   hack/bench-phases.sh [GOCONTAINER]     # default ./gocontainer
# Environment: BENCH_RUNS (30), BENCH_RSS_RUNS (10), BENCH_BASE (a second
# gocontainer binary, benched as "gc-base": an A/B in the same run).
#
# The runtimes are interleaved: every iteration runs each phase once per
# runtime, in a rotating order, so a busy stretch of a shared machine hits
# all three alike (hyperfine runs one runtime's runs as one block). Two
# figures per phase, both medians over the iterations:
#   wall  the phase's wall-clock time (bash's $EPOCHREALTIME around the command);
#   cpu   the CPU time every process of the phase used (runtime, container
#         init, the container's process, the shell's fork): the bench
#         cgroup's cpuacct.usage, which every container's cgroup sits below.
#         It hardly moves with the machine's load, wall does.
# Peak RSS is /usr/bin/time's maximum resident set size of the create
# process (the runtime's own process, not the container init).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=hack/lib-bench.sh
source hack/lib-bench.sh
runs=${BENCH_RUNS:-30}
rss_runs=${BENCH_RSS_RUNS:-10}
trap bench_cleanup EXIT
bench_setup "$(realpath "${1:-./gocontainer}")"
raw=$BENCH_WORK/raw.tsv
n=${#BENCH_NAMES[@]}

for i in "${!BENCH_NAMES[@]}"; do
	name=${BENCH_NAMES[$i]} bin=${BENCH_BINS[$i]}
	bench_bundle "$name-true" '["true"]' "$name-true" >/dev/null
	bench_bundle "$name-sleep" '["sleep","3600"]' "$name-sleep" >/dev/null
	root=$BENCH_WORK/state/root-$name
	# The exec target; stdio to /dev/null so no pipe stays open in it.
	if ! "$bin" --root "$root" run -d --bundle "$BENCH_WORK/bundles/$name-sleep" "exec-$name" </dev/null >/dev/null 2>"$BENCH_WORK/$name.err"; then
		echo "bench: $name cannot run the bench container:" >&2
		sed 's/^/    /' "$BENCH_WORK/$name.err" >&2
		exit 1
	fi
done

# phase NAME BIN PHASE CMD... runs CMD (stdio on /dev/null) and appends
# "NAME PHASE wall_ms cpu_ms" to raw.tsv; a failure stops the bench.
phase() {
	local name=$1 ph=$2 c0 c1 t0 t1
	shift 2
	bench_cpu c0
	t0=$EPOCHREALTIME
	if ! "$@" </dev/null >/dev/null 2>>"$BENCH_WORK/$name.err"; then
		echo "bench: $name $ph failed: $*" >&2
		tail -5 "$BENCH_WORK/$name.err" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	bench_cpu c1
	echo "$name $ph $t0 $t1 $c0 $c1" | awk '{printf "%s %s %.3f %.3f\n", $1, $2, ($4-$3)*1000, ($6-$5)/1e6}' >>"$raw"
}

one() { # INDEX: one iteration of every phase for runtime INDEX
	local name=${BENCH_NAMES[$1]} bin=${BENCH_BINS[$1]}
	local root=$BENCH_WORK/state/root-$name b=$BENCH_WORK/bundles/$name-true
	phase "$name" create "$bin" --root "$root" create --bundle "$b" "c-$name"
	phase "$name" start "$bin" --root "$root" start "c-$name"
	phase "$name" delete "$bin" --root "$root" delete -f "c-$name"
	phase "$name" run "$bin" --root "$root" run --bundle "$b" "r-$name"
	phase "$name" exec "$bin" --root "$root" exec "exec-$name" true
}

# Two warm-up iterations (page cache, dentries), not recorded.
for w in 1 2; do
	for ((k = 0; k < n; k++)); do one "$k"; done
done
: >"$raw"
for ((it = 0; it < runs; it++)); do
	for ((k = 0; k < n; k++)); do one $(((it + k) % n)); done
done

# Peak RSS of create, interleaved the same way.
for ((it = 0; it < rss_runs; it++)); do
	for ((k = 0; k < n; k++)); do
		j=$(((it + k) % n))
		name=${BENCH_NAMES[$j]} bin=${BENCH_BINS[$j]}
		root=$BENCH_WORK/state/root-$name
		/usr/bin/time -f %M -o "$BENCH_WORK/rss" "$bin" --root "$root" create --bundle "$BENCH_WORK/bundles/$name-true" "m-$name" </dev/null >/dev/null 2>>"$BENCH_WORK/$name.err"
		echo "$name rss $(cat "$BENCH_WORK/rss")" >>"$BENCH_WORK/rss.tsv"
		"$bin" --root "$root" delete -f "m-$name" </dev/null >/dev/null 2>&1
	done
done

# The cycle is create + start + delete of the same iteration.
awk '{k=$1; v[k, $2, ++c[k, $2]] = $3; u[k, $2, c[k, $2]] = $4}
	END { for (key in c) { split(key, a, SUBSEP); if (a[2] != "create") continue
		for (i = 1; i <= c[key]; i++) printf "%s cycle %.3f %.3f\n", a[1],
			v[a[1], "create", i] + v[a[1], "start", i] + v[a[1], "delete", i],
			u[a[1], "create", i] + u[a[1], "start", i] + u[a[1], "delete", i] } }' "$raw" >>"$raw"

declare -A wall cpu
for name in "${BENCH_NAMES[@]}"; do
	for ph in cycle create start delete run exec; do
		wall[$name,$ph]=$(awk -v n="$name" -v p="$ph" '$1 == n && $2 == p {print $3}' "$raw" | bench_stats | cut -d' ' -f1)
		cpu[$name,$ph]=$(awk -v n="$name" -v p="$ph" '$1 == n && $2 == p {print $4}' "$raw" | bench_stats | cut -d' ' -f1)
	done
	wall[$name,rss]=$(awk -v n="$name" '$1 == n {print $3}' "$BENCH_WORK/rss.tsv" | bench_stats | cut -d' ' -f1)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
echo
echo "per phase, medians of $runs interleaved runs ($(nproc) cores, $(uname -r)); wall ms / cpu ms:"
printf "  %-8s" phase
for name in "${BENCH_NAMES[@]}"; do printf " %19s" "$name"; done
printf " %11s %11s" "gc/runc" "gc/crun"
[[ -n ${BENCH_BASE:-} ]] && printf " %11s" "gc/gc-base"
echo
for ph in cycle create start delete run exec; do
	printf "  %-8s" "$ph"
	for name in "${BENCH_NAMES[@]}"; do printf " %9s / %7s" "${wall[$name,$ph]}" "${cpu[$name,$ph]}"; done
	printf " %5s/%5s" "$(ratio "${wall[gocontainer,$ph]}" "${wall[runc,$ph]}")" "$(ratio "${cpu[gocontainer,$ph]}" "${cpu[runc,$ph]}")"
	if [[ -n ${wall[crun,$ph]:-} ]]; then
		printf " %5s/%5s" "$(ratio "${wall[gocontainer,$ph]}" "${wall[crun,$ph]}")" "$(ratio "${cpu[gocontainer,$ph]}" "${cpu[crun,$ph]}")"
	else
		printf " %11s" -
	fi
	if [[ -n ${BENCH_BASE:-} ]]; then
		printf " %5s/%5s" "$(ratio "${wall[gocontainer,$ph]}" "${wall[gc-base,$ph]}")" "$(ratio "${cpu[gocontainer,$ph]}" "${cpu[gc-base,$ph]}")"
	fi
	echo
done
printf "  %-8s" "rss KiB"
for name in "${BENCH_NAMES[@]}"; do printf " %19s" "${wall[$name,rss]}"; done
printf " %11s" "$(ratio "${wall[gocontainer,rss]}" "${wall[runc,rss]}")"
printf " %11s" "$(ratio "${wall[gocontainer,rss]}" "${wall[crun,rss]:-0}")"
[[ -n ${BENCH_BASE:-} ]] && printf " %11s" "$(ratio "${wall[gocontainer,rss]}" "${wall[gc-base,rss]}")"
echo
echo "  (ratios: wall/cpu; rss: median peak RSS of create over $rss_runs runs)"
mkdir -p _build
cp "$raw" _build/bench-phases.tsv
cp "$BENCH_WORK/rss.tsv" _build/bench-rss.tsv
echo "raw results: _build/bench-phases.tsv, _build/bench-rss.tsv"
