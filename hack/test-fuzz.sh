#!/usr/bin/env bash
# Every fuzz target of every workspace module, each for a bounded time
# (FUZZTIME, default 5s; go test's -fuzztime syntax, e.g. 30s or 2000x).
#
#   hack/test-fuzz.sh                 # all targets
#   hack/test-fuzz.sh FuzzSpec        # targets whose name matches the regexp
#   FUZZTIME=1m hack/test-fuzz.sh FuzzNewFilter
#
# The targets are found in the sources (`func FuzzX(f *testing.F)` in a
# _test.go file), so a new target is fuzzed without editing this script.
# A crasher makes go test write the failing input to
# <package>/testdata/fuzz/<FuzzX>/<hash> and fail; commit that file (and
# the fix): plain `go test` (test-unit) replays every file there as a
# regression test from then on. Runs as any user; containers are never run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
fuzztime=${FUZZTIME:-5s}
filter=${1:-.}
modules=(libcgroups libseccomp libcontainer ocicli cmd/gocontainer)
failed=()
# count_files DIR: how many files DIR holds (0 when it does not exist).
count_files() {
	if [[ -d $1 ]]; then find "$1" -type f | wc -l; else echo 0; fi
}
n=0
start=$SECONDS
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
cache=$(go env GOCACHE)/fuzz
for m in "${modules[@]}"; do
	# Packages with fuzz targets, and their targets; each package's test
	# binary is built once, instrumented (go test -c -fuzz), and run once
	# per target: go test -fuzz would link it again for every target.
	for dir in $(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$m" | xargs -r -n1 dirname | sort -u); do
		names=$(grep -hoE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$dir"/*_test.go | sed -E 's/^func ([A-Za-z0-9_]+).*/\1/' | sort)
		names=$(grep -E -- "$filter" <<<"$names" || true)
		[[ -n $names ]] || continue
		bin=$bindir/$(tr / _ <<<"$dir").test
		pkg=$(cd "$dir" && go list .)
		if ! (cd "$dir" && go test -c -fuzz=. -o "$bin" .); then
			failed+=("$dir:build")
			continue
		fi
		for name in $names; do
			n=$((n + 1))
			echo "test-fuzz: $dir $name ($fuzztime)"
			# In the package directory, as go test runs it: the seed corpus
			# and crashers live in testdata/fuzz/<name>.
			# Go's fuzz coordinator sometimes ends a run that found nothing
			# with "context deadline exceeded" when a worker answers late
			# at the deadline on a loaded machine (no input is written to
			# testdata/fuzz then): such a run is repeated, at most twice.
			# Any other failure, or a written crasher, fails at once.
			for try in 1 2 3; do
				out=$bindir/out
				crashers_before=$(count_files "$dir/testdata/fuzz/$name")
				if (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${name}\$" -test.fuzztime="$fuzztime" \
					-test.parallel=2 -test.fuzzcachedir="$cache/$pkg") >"$out" 2>&1; then
					cat "$out"
					break
				fi
				cat "$out"
				crashers_after=$(count_files "$dir/testdata/fuzz/$name")
				if ((try < 3 && crashers_after == crashers_before)) && grep -q 'context deadline exceeded' "$out" &&
					! grep -q 'Failing input written to' "$out"; then
					echo "test-fuzz: $name: the fuzz coordinator timed out without a crasher; running it again"
					continue
				fi
				failed+=("$dir:$name")
				break
			done
		done
	done
done
echo "test-fuzz: $n targets in $((SECONDS - start))s"
if ((n == 0)); then
	echo "test-fuzz: no fuzz target matches $filter" >&2
	exit 1
fi
if ((${#failed[@]})); then
	echo "test-fuzz: FAILED: ${failed[*]} (the crashing input is under testdata/fuzz/ of the package)" >&2
	exit 1
fi
echo "test-fuzz: all targets passed"
