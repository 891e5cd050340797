#!/usr/bin/env bash
# Unit tests of every workspace module, `go test -v` style, plus the
# harness's own tests in tests/oci (a separate module, GOWORK=off).
# A module with no packages yet is reported and skipped; any test failure
# or build failure fails the script after all modules have run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
modules=(libcgroups libseccomp libcontainer ocicli cmd/gocontainer tests/contest)
failed=()
for m in "${modules[@]}"; do
	if [[ ! -f $m/go.mod ]]; then
		echo "test-unit: $m: no go.mod, skipped"
		continue
	fi
	# `go list` prints nothing (and exits 0) for a module with no
	# packages; a module that does not build makes it exit non-zero, and
	# `go test` below reports why.
	pkgs=$(cd "$m" && go list ./... 2>/dev/null) || pkgs=broken
	if [[ -z $pkgs ]]; then
		echo "test-unit: $m: no packages yet, skipped"
		continue
	fi
	echo "test-unit: $m"
	(cd "$m" && go test -count=1 -v ./...) || failed+=("$m")
done
echo "test-unit: tests/oci (harness)"
(cd tests/oci && GOWORK=off go test -count=1 -v -skip '^TestRuntimeTools' ./...) || failed+=(tests/oci)

if ((${#failed[@]})); then
	echo "test-unit: FAILED in: ${failed[*]}" >&2
	exit 1
fi
echo "test-unit: all modules passed"
