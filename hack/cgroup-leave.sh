#!/usr/bin/env bash
# Undo hack/cgroup-enter.sh: move the shell back to the root cgroup of every
# hierarchy and remove NAME and any empty cgroups below it (runtimes leave
# per-container cgroups there when a test dies half way).
#
#   source hack/cgroup-leave.sh [NAME]
#   hack/cgroup-leave.sh NAME      # only cleans up; this process moves itself
set -euo pipefail

cgroup_leave() {
	local name=${1:-${GOCONTAINER_CGROUP:-gocontainer-test}}
	local pid=${2:-$$}
	local root=/sys/fs/cgroup
	case $name in
	"" | */* | . | ..) echo "cgroup-leave: bad cgroup name '$name'" >&2; return 1 ;;
	esac
	local dirs=()
	if [[ -f $root/cgroup.controllers ]]; then
		dirs=("$root")
	else
		local d
		for d in "$root"/*/; do
			d=${d%/}
			[[ -f $d/cgroup.procs ]] && dirs+=("$d")
		done
	fi
	local dir rc=0
	for dir in "${dirs[@]}"; do
		[[ -d $dir/$name ]] || continue
		echo "$pid" >"$dir/cgroup.procs" 2>/dev/null || true
		# Depth first, so children go before their parents. A cgroup that
		# still has processes stays and is reported.
		while IFS= read -r sub; do
			rmdir "$sub" 2>/dev/null || { echo "cgroup-leave: $sub still busy: $(tr '\n' ' ' <"$sub/cgroup.procs")" >&2; rc=1; }
		done < <(find "$dir/$name" -depth -type d)
	done
	unset GOCONTAINER_CGROUP
	return $rc
}

cgroup_leave "${1:-}"

