#!/usr/bin/env bash
# Move a shell into cgroups of its own, so that containers created from it
# (runtime-tools puts containers whose cgroupsPath is relative or empty under
# the CALLER's cgroup) never land in, or next to, whatever cgroup the caller
# was started in.
#
# Two ways to use it:
#   source hack/cgroup-enter.sh [NAME]      # moves the current shell ($$)
#   hack/cgroup-enter.sh NAME CMD [ARGS...] # moves itself, then execs CMD
# and, to undo it from the same shell:
#   source hack/cgroup-leave.sh [NAME]      # back to the root cgroups, rmdir
#
# NAME defaults to $GOCONTAINER_CGROUP or "gocontainer-test". Each v1
# hierarchy under /sys/fs/cgroup (cpu, memory, ..., name=systemd) gets
# /sys/fs/cgroup/<ctrl>/NAME and the cgroup2 hierarchy gets
# /sys/fs/cgroup/unified/NAME (or /sys/fs/cgroup/NAME on a pure v2 host).
set -euo pipefail

cgroup_enter() {
	local name=${1:-${GOCONTAINER_CGROUP:-gocontainer-test}}
	local pid=${2:-$$}
	local root=/sys/fs/cgroup
	case $name in
	"" | */* | . | ..) echo "cgroup-enter: bad cgroup name '$name'" >&2; return 1 ;;
	esac
	if [[ -f $root/cgroup.controllers ]]; then
		# Pure cgroup2: a single hierarchy.
		mkdir -p "$root/$name"
		echo "$pid" >"$root/$name/cgroup.procs"
		export GOCONTAINER_CGROUP=$name
		return 0
	fi
	local dir
	for dir in "$root"/*/; do
		dir=${dir%/}
		[[ -f $dir/cgroup.procs ]] || continue
		mkdir -p "$dir/$name"
		if [[ -f $dir/cpuset.cpus ]]; then
			# A new v1 cpuset starts empty and refuses tasks until given
			# cpus and mems; inherit the root's.
			[[ -n $(cat "$dir/$name/cpuset.cpus") ]] || cat "$dir/cpuset.cpus" >"$dir/$name/cpuset.cpus"
			[[ -n $(cat "$dir/$name/cpuset.mems") ]] || cat "$dir/cpuset.mems" >"$dir/$name/cpuset.mems"
		fi
		if ! echo "$pid" >"$dir/$name/cgroup.procs"; then
			echo "cgroup-enter: cannot move pid $pid into $dir/$name" >&2
			return 1
		fi
	done
	export GOCONTAINER_CGROUP=$name
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	# Executed: move this process, then become CMD so it inherits the cgroups.
	if (($# < 2)); then
		echo "usage: $0 NAME CMD [ARGS...]   or   source $0 [NAME]" >&2
		exit 2
	fi
	name=$1
	shift
	cgroup_enter "$name"
	exec "$@"
else
	# Sourced (by .ci/run, the justfile and hack/*.sh, which all run with
	# errexit): move the sourcing shell.
	cgroup_enter "${1:-}"
fi
