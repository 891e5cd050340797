#!/usr/bin/env bash
# crun 1.8.1 refuses to run on a hybrid host whose cgroup2 hierarchy has
# controllers (here: hugetlb, which no v1 hierarchy has taken). Mounting a
# v1 hugetlb hierarchy moves the controller off cgroup2, which crun then
# accepts. Source this file and call crun_hugetlb_mount / _umount around
# every crun use; both are no-ops where the dance is not needed.
set -euo pipefail

CRUN_HUGETLB_DIR=/sys/fs/cgroup/hugetlb
CRUN_HUGETLB_MOUNTED=${CRUN_HUGETLB_MOUNTED:-0}

crun_hugetlb_mount() {
	local ctrls=/sys/fs/cgroup/unified/cgroup.controllers
	[[ -r $ctrls ]] || return 0             # not a hybrid host
	grep -qw hugetlb "$ctrls" || return 0     # hugetlb already on v1 (or absent)
	mountpoint -q "$CRUN_HUGETLB_DIR" && return 0
	mkdir -p "$CRUN_HUGETLB_DIR"
	if ! mount -t cgroup -o hugetlb cgroup "$CRUN_HUGETLB_DIR"; then
		# The kernel refuses while the controller is enabled in some cgroup2
		# subtree_control (a runtime may have switched it on).
		echo "crun-hugetlb: cannot mount v1 hugetlb (is hugetlb in a cgroup2 subtree_control? root has: $(cat /sys/fs/cgroup/unified/cgroup.subtree_control))" >&2
		rmdir "$CRUN_HUGETLB_DIR" 2>/dev/null || true
		return 1
	fi
	CRUN_HUGETLB_MOUNTED=1
	echo "crun-hugetlb: mounted v1 hugetlb at $CRUN_HUGETLB_DIR" >&2
}

crun_hugetlb_umount() {
	[[ $CRUN_HUGETLB_MOUNTED == 1 ]] || return 0
	# Leftover child cgroups keep the hierarchy busy after umount; remove
	# the empty ones first.
	find "$CRUN_HUGETLB_DIR" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
	umount "$CRUN_HUGETLB_DIR"
	rmdir "$CRUN_HUGETLB_DIR" 2>/dev/null || true
	CRUN_HUGETLB_MOUNTED=0
	echo "crun-hugetlb: unmounted $CRUN_HUGETLB_DIR" >&2
}
