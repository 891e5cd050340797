#!/usr/bin/env bash
# Podman, containerd and Docker with SYSTEMD cgroups driving ./gocontainer
# in the VM (issue 10 part 4; hack/vm/clients.sh lists the checks):
#
#   hack/vm/test-clients.sh [gocontainer] [podman] [containerd] [docker]
#
# Boots the "clients" image (GOCONTAINER_VM_FLAVOR=clients: the base image
# plus runc, crun, podman, conmon, containerd, docker.io; built on first
# use, a few minutes). NOT part of `just test` (the clients image and
# its runs add about 7 minutes to CI): run it by hand.
# Ends with "vm-clients: N passed, M failed".
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=${TMPDIR:-/tmp}/gcvm-clients.log
set +e
GOCONTAINER_VM_FLAVOR=clients "$dir/run.sh" --mem 4096 --timeout "${GCVM_TIMEOUT:-1200}" \
	--add "$dir/clients.sh=/gcvm/clients.sh" -- "/gcvm/clients.sh $*" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
p=$(grep -c '^--- PASS: clients/' "$log" || true)
f=$(grep -c '^--- FAIL: clients/' "$log" || true)
grep '^--- FAIL: clients/' "$log" | sed 's/^/vm-clients: /' || true
echo "vm-clients: $p passed, $f failed"
((rc == 0 && f == 0))
