#!/usr/bin/env bash
# go vet, gofmt and (when it can be installed) staticcheck over every
# workspace module and tests/oci. Fails on any finding.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
modules=(libcgroups libseccomp libcontainer ocicli cmd/gocontainer tests/contest tests/oci)
rc=0

unformatted=$(gofmt -l "${modules[@]}" 2>&1 || true)
if [[ -n $unformatted ]]; then
	echo "lint: gofmt -l lists files that need formatting:" >&2
	echo "$unformatted" >&2
	rc=1
fi

staticcheck=$(command -v staticcheck || true)
if [[ -z $staticcheck ]]; then
	gobin=$(go env GOPATH)/bin
	if GOWORK=off GOFLAGS='' go install honnef.co/go/tools/cmd/staticcheck@latest; then
		staticcheck=$gobin/staticcheck
	else
		echo "lint: staticcheck could not be installed, skipping it (go vet and gofmt still ran)" >&2
	fi
fi

for m in "${modules[@]}"; do
	env=()
	[[ $m == tests/oci ]] && env=(GOWORK=off)
	# Empty output means no packages yet; a module that does not build
	# makes `go list` fail, and go vet below says why.
	pkgs=$(cd "$m" && env "${env[@]}" go list ./... 2>/dev/null) || pkgs=broken
	if [[ -z $pkgs ]]; then
		echo "lint: $m: no packages, skipped"
		continue
	fi
	echo "lint: $m"
	(cd "$m" && env "${env[@]}" go vet ./...) || rc=1
	if [[ -n $staticcheck ]]; then
		(cd "$m" && env "${env[@]}" "$staticcheck" ./...) || rc=1
	fi
done
exit $rc
