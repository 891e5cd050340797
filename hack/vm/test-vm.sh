#!/usr/bin/env bash
# `just test-vm`: the suites on a pure cgroup v2 host with systemd as PID 1.
#
#   hack/vm/test-vm.sh                      # every suite below
#   GCVM_SUITES="contest=cgroups" hack/vm/test-vm.sh   # some (hack/vm/suite.sh words)
#
# Builds ./gocontainer, the integration test binary (go test -c), contest
# and its runtimetest, the runtime-tools programs of tests/oci/list.txt
# (stripped) and the oci test binary on the host; boots the VM
# (hack/vm/run.sh, image built on first use) with them under /gcvm/repo
# and runs hack/vm/suite.sh there. Prints every failure, each contest test
# that skipped with its reason, and ends with
#   vm: N passed, M failed, K skipped
# Exits non-zero on any failure, a suite that did not finish, or a VM that
# did not boot. GCVM_TIMEOUT (seconds, default 2700) bounds the boot + run;
# GCVM_LOG keeps the whole guest output (default $TMPDIR/gcvm-test.log).
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo=$vm_repo

# The suites, each "SUITE[@DRIVER][=SELECTION]" (see hack/vm/suite.sh).
# runtime-tools runs a second time with --systemd-cgroup (every container a
# transient scope). The integration tests' own TestSystemd* drive the
# systemd driver in the first run. The cgroup tests of the integration
# suite and contest's cgroup_v2_cpu and update groups run a second time
# with the systemd driver: suite.sh sets GOCONTAINER_TEST_SYSTEMD_CGROUP=1
# for them, so their cgroupsPath values are in the systemd form
# (system.slice:gcit:ID, system.slice:contest-PID:ID) and they read the
# scope's cgroup files.
cgroup_tests='Cgroup|Pause|Update|Pids|Events|Memory|KillAll|DeleteForce|ExecSubCgroup|ExecJoins'
suites=(integration contest oci rootless oci@systemd
	"integration@systemd=$cgroup_tests" "contest@systemd=cgroup_v2_cpu,update")
if [[ -n ${GCVM_SUITES:-} ]]; then
	read -ra suites <<<"$GCVM_SUITES"
fi

export GOWORK=${GOWORK:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/gcvm-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/repo
mkdir -p "$stage/tests/integration" "$stage/tests/contest" "$stage/tests/oci/bin"

t0=$SECONDS
echo "test-vm: building the runtime and the test binaries" >&2
"$repo/hack/build.sh" "$repo/gocontainer" >&2
cp -a "$repo/hack" "$stage/hack"
install -m 0755 "$repo/gocontainer" "$stage/gocontainer"
(cd "$repo/tests/integration" && go test -c -o "$stage/tests/integration/integration.test" .)
(cd "$repo/tests/contest" && go build -o "$stage/tests/contest/contest" ./cmd/contest &&
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$stage/tests/contest/runtimetest" ./runtimetest)
cp "$repo/tests/contest/ci-exclude.txt" "$stage/tests/contest/"
(
	cd "$repo/tests/oci"
	export GOWORK=off
	go test -c -o "$stage/tests/oci/oci.test" .
	go mod download github.com/opencontainers/runtime-tools
	rt=$(go list -m -f '{{.Dir}}' github.com/opencontainers/runtime-tools)
	mapfile -t progs < <(awk '!/^#/ && NF { print "github.com/opencontainers/runtime-tools/validation/" $1 }' list.txt)
	go build -trimpath -ldflags "-s -w" -o "$stage/tests/oci/bin/" "${progs[@]}"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$stage/tests/oci/bin/runtimetest" github.com/opencontainers/runtime-tools/cmd/runtimetest
	if [[ -f $rt/rootfs-amd64.tar.gz ]]; then
		install -m 0644 "$rt/rootfs-amd64.tar.gz" "$stage/tests/oci/bin/"
	else
		"$repo/hack/mkrootfs.sh" --tar "$stage/tests/oci/bin/rootfs-amd64.tar.gz"
	fi
	# runtime-tools v0.9.0 finds cgroups through v1 paths only: its
	# linux_cgroups_* programs print "cgroupv2 is not supported yet" (and
	# linux_cgroups_cpus hangs until its timeout) on a pure v2 host. The VM
	# leaves them out and reports them skipped (suite.sh, oci-skip.txt);
	# delete_resources and delete_only_create_resources look for the pids
	# cgroup the same way. The VM has every capability in its bounding set,
	# so process_capabilities must pass outright there (no host xfail).
	v1only='^(linux_cgroups_|delete_resources|delete_only_create_resources)'
	grep -Ev "$v1only" list.txt | sed 's/ xfail: capability CAP_SYS_RESOURCE set$//' >"$stage/tests/oci/list.txt"
	grep -E "$v1only" list.txt | awk '{ print $1 }' >"$stage/tests/oci/oci-skip.txt"
)
echo "test-vm: built in $((SECONDS - t0))s ($(du -sh "$stage" | cut -f1) for the guest); suites: ${suites[*]}" >&2

log=${GCVM_LOG:-${TMPDIR:-/tmp}/gcvm-test.log}
t1=$SECONDS
set +e
"$vm_dir/run.sh" --binary "$repo/gocontainer" --mem 4096 --timeout "${GCVM_TIMEOUT:-2700}" \
	--add "$stage=/gcvm/repo" --add "$vm_dir/suite.sh=/gcvm/suite.sh" \
	-- "/gcvm/suite.sh $(printf '%q ' "${suites[@]}")" \
	2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
run_secs=$((SECONDS - t1))

# --- results ---
tr -d '\r' <"$log" | awk -v want="${suites[*]}" -v rc="$rc" -v secs="$run_secs" -v logname="$log" '
function strip(s) { sub(/ \([0-9.]+s\).*$/, "", s); return s }
/^=== VM-SUITE / { suite = $3; started[suite] = 1; next }
/^=== VM-SUITE-END / { ended[$3] = 1; suiterc[$3] = substr($4, 4); suitesecs[$3] = $5; suite = ""; next }
suite != "" && /^[ \t]*--- (PASS|FAIL|SKIP): / {
	line = $0
	sub(/^[ \t]*--- /, "", line)
	st = substr(line, 1, 4)
	name = strip(substr(line, 7))
	if (index(name, suite "/") != 1) name = suite "/" name
	if (!(name in status)) order[++n] = name
	status[name] = st
	next
}
suite ~ /^contest/ && / : skipped / { skips[++ns] = suite ": " $0 }
END {
	# A test whose name prefixes another one ("TestX" of "TestX/sub") is a
	# parent: only the leaves count.
	for (i = 1; i <= n; i++) {
		nm = order[i]
		for (j = 1; j <= n; j++) if (index(order[j], nm "/") == 1) { parent[nm] = 1; break }
	}
	np = nf = nk = 0
	for (i = 1; i <= n; i++) {
		nm = order[i]
		if (nm in parent) continue
		if (status[nm] == "PASS") np++
		else if (status[nm] == "SKIP") nk++
		else { nf++; fails[nf] = nm }
	}
	split(want, ws, " ")
	for (k in ws) {
		w = ws[k]; label = w
		sub(/=.*/, "", label); sub(/@cgroupfs$/, "", label); sub(/@/, ":", label)
		if (!(label in started)) { nf++; fails[nf] = label ": never started (rc " rc ")"; continue }
		if (!(label in ended)) { nf++; fails[nf] = label ": did not finish (rc " rc ")"; continue }
		bad = 0
		for (i = 1; i <= nf; i++) if (index(fails[i], label "/") == 1) bad = 1
		if (suiterc[label] != 0 && !bad) { nf++; fails[nf] = label ": exited " suiterc[label] " without a failed test" }
		printf "vm: suite %s: rc %s in %s\n", label, suiterc[label], suitesecs[label]
	}
	if (ns) { print "vm: contest tests skipped in the VM:"; for (i = 1; i <= ns; i++) print "  " skips[i] }
	if (nf) { print "vm: FAILED:"; for (i = 1; i <= nf; i++) print "  " fails[i] }
	printf "vm: run took %ds (boot included); log in %s\n", secs, logname
	printf "vm: %d passed, %d failed, %d skipped\n", np, nf, nk
	exit nf > 0 || rc != 0
}'
