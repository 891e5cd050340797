# gocontainer task runner. Every recipe runs under bash with -euo pipefail;
# anything longer than a line lives in hack/*.sh.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Build the runtime binary into ./gocontainer.
build:
    hack/build.sh

# Everything CI runs: unit tests, fuzzing (bounded), integration tests of the binary,
# runtime-tools, contest, the rootless checks as an unprivileged user,
# then Podman, containerd, Docker and the CRI (crictl) driving the runtime, release builds, all against
# ./gocontainer, and last the suites again in a pure cgroup v2 VM.
# Every layer runs even when an earlier one fails, so one run shows every result.
test:
    rc=0; hack/test-unit.sh || rc=1; just test-fuzz || rc=1; just test-integration || rc=1; just test-oci || rc=1; just test-contest || rc=1; just test-rootless || rc=1; just test-podman || rc=1; just test-containerd || rc=1; just test-docker || rc=1; just test-cri || rc=1; just test-release || rc=1; just test-vm || rc=1; exit $rc

# hack/vm: installs qemu-system-x86 and debootstrap, caches the image in
# /var/cache/gocontainer-vm; GCVM_SUITES picks suites; the last line is
# "vm: N passed, M failed, K skipped". See docs/testing.md.
# Integration, contest, runtime-tools, rootless in a pure cgroup v2 VM with systemd as PID 1.
test-vm:
    hack/vm/test-vm.sh

# NOT in `just test` (Podman, containerd and Docker in the VM take long; run by hand).
# Podman, containerd, Docker with systemd cgroups driving ./gocontainer in the VM.
test-vm-clients *clients:
    hack/vm/test-clients.sh {{clients}}

# go test -v in every workspace module (modules with no packages are skipped).
test-unit:
    hack/test-unit.sh

# Every fuzz target of every module for FUZZTIME each (default 5s; ~2.5 min
# in all); a crasher lands in <package>/testdata/fuzz/ (see docs/reliability.md).
test-fuzz *filter:
    hack/test-fuzz.sh {{filter}}

# The fault-injection, concurrency, full-disk and read-only-root tests alone
# (part of test-integration; see docs/reliability.md).
test-faults *args:
    hack/test-integration.sh -run TestFault {{args}}

# Integration tests of ./gocontainer (tests/integration), built first if stale.
test-integration *args:
    hack/test-integration.sh {{args}}

# Creates the user gcrootless (with subuid/subgid ranges) if missing; see docs/rootless.md.
# Rootless CI, run as root: lifecycle, several id ranges and rootless integration tests as gcrootless.
test-rootless:
    hack/test-rootless.sh

# Podman (with conmon) driving RUNTIME: run, exec, terminals, pause, stop,
# security options, limits (installs podman if missing; a local image).
test-podman runtime="./gocontainer":
    hack/test-podman.sh {{runtime}}

# containerd (ctr, containerd-shim-runc-v2) driving RUNTIME from a private
# containerd: run, run -t, exec, exec -t, pause/resume, kill, delete.
test-containerd runtime="./gocontainer":
    hack/test-containerd.sh {{runtime}}

# The Kubernetes node path: containerd 1.6's CRI plugin with a runtime handler
# gocontainer (runc shim, BinaryName = RUNTIME) driven by crictl: a pod with
# two containers sharing its network namespace, exec, logs, stats, limits,
# exit codes, and nothing left after the pod is removed (docs/kubernetes.md).
test-cri runtime="./gocontainer":
    hack/test-cri.sh {{runtime}}

# Docker (a private dockerd, --add-runtime gc=RUNTIME) driving RUNTIME: run,
# run -it, exec, exec -it, pause, stop, security options, limits.
test-docker runtime="./gocontainer":
    hack/test-docker.sh {{runtime}}

# runtime-tools validation (tests/oci/list.txt) against ./gocontainer.
# The suite is built first so a broken runtime build still shows the
# harness builds.
test-oci:
    hack/oci-build.sh
    just build
    hack/oci-test.sh ./gocontainer

# Same list against Debian's runc: checks the harness itself.
test-oci-runc:
    hack/oci-test.sh runc

# Same list against Debian's crun (with the v1 hugetlb mount crun needs here).
test-oci-crun:
    hack/oci-test.sh crun

# Every validation program against RUNTIME; writes tests/oci/results/<name>.{md,json}.
test-oci-all runtime="./gocontainer":
    hack/oci-test.sh --all {{runtime}}

# Tests in tests/contest/ci-exclude.txt are reported skipped with their
# reason (CONTEST_EXCLUDE=none runs everything); args pass to `contest run`,
# e.g. `just test-contest -t lifecycle hooks::hooks`.
# contest (youki's groups in Go, tests/contest) against ./gocontainer.
test-contest *args:
    hack/test-contest.sh {{args}}

# Tests runc 1.1.5 cannot pass are listed, each with its reason, in
# tests/contest/runc-1.1.5-gaps.txt.
# contest against Debian's runc: checks the suite itself.
validate-contest-runc *args:
    CONTEST_RUNTIME=runc CONTEST_EXCLUDE=tests/contest/runc-1.1.5-gaps.txt hack/test-contest.sh {{args}}

# Build the runtime-tools programs, runtimetest and rootfs into tests/oci/bin.
oci-build:
    hack/oci-build.sh

# Hyperfine of create+start+delete of a busybox `true` container, then every
# phase (create, start, delete, run, exec) interleaved with wall and CPU time,
# and create's peak RSS.
# gocontainer vs runc vs crun in one run: cycle, phases, run, exec, RSS.
bench: build
    hack/bench.sh ./gocontainer
    hack/bench-phases.sh ./gocontainer

# Wall, containers/s, p50/p99 per container; checks nothing is left behind.
# N = 10, 50, 100 containers created+started at once, then deleted at once.
bench-scale: build
    hack/bench-scale.sh ./gocontainer

# Build, make a busybox bundle, run a container that says hello.
demo: build
    hack/demo.sh --no-setup

# go vet, gofmt -l, staticcheck.
lint:
    hack/lint.sh

# Install what building and testing need (Debian 12, as root).
setup:
    hack/setup.sh

# Static linux/amd64 and linux/arm64 release archives, checksums, man pages
# and completions into _build/dist with goreleaser (tools/go.mod); no tag,
# no publishing (docs/releasing.md).
release-snapshot:
    hack/release.sh --snapshot

# The snapshot release, checked: static binaries, archive contents,
# checksums, --version, and the amd64 binary runs a container.
test-release *args:
    hack/test-release.sh {{args}}
