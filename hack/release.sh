#!/usr/bin/env bash
# Run goreleaser (the tools module's, tools/go.mod) on .goreleaser.yaml.
#
#   hack/release.sh --snapshot      # build, archive, checksum into _build/dist; no tag, no publishing
#   hack/release.sh                 # a release of the tag at HEAD (docs/releasing.md)
#
# goreleaser is built from the tools module outside the workspace
# (GOWORK=off), so its many dependencies never enter the libraries' build
# list; the first run compiles it (a few minutes), later runs reuse the
# build cache.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
mkdir -p _build
GOWORK=off go -C tools build -o "$repo/_build/goreleaser" github.com/goreleaser/goreleaser/v2
# goreleaser reads the commit only once `git ls-remote --get-url` works; a
# clone without a remote (a local worktree) gets one in the environment
# only, never in .git/config.
if [[ -z $(git remote) ]]; then
	export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/gocontainer/gocontainer.git
fi
WAZERO_VERSION=$(cd libcontainer && go list -m -f '{{.Version}}' github.com/tetratelabs/wazero)
export WAZERO_VERSION
if [[ ${1:-} == --snapshot ]]; then
	exec _build/goreleaser release --snapshot --clean
fi
# A real release: the binary's tag is vX.Y.Z at HEAD (module tags such as
# libcgroups/vX.Y.Z are ignored, see docs/releasing.md).
tag=$(git tag --points-at HEAD --list 'v[0-9]*' | sort -V | tail -1)
[[ -n $tag ]] || { echo "release: no vX.Y.Z tag at HEAD (docs/releasing.md)" >&2; exit 1; }
GORELEASER_CURRENT_TAG=$tag exec _build/goreleaser release --clean
