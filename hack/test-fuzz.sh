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
			if ! (cd "$dir" && "$bin" -test.run='^$' -test.fuzz="^${name}\$" -test.fuzztime="$fuzztime" \
				-test.parallel=2 -test.fuzzcachedir="$cache/$pkg"); then
				failed+=("$dir:$name")
			fi
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
