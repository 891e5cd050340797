#!/usr/bin/env bash
# Boot the VM (QEMU/TCG, Debian 12 kernel, systemd as PID 1, pure cgroup v2)
# with a gocontainer binary installed and run shell commands in it as root.
#
#   hack/vm/run.sh [options] -- 'shell commands'
#   hack/vm/run.sh [options] --script FILE [ARGS...]
#
# Options:
#   --binary PATH     gocontainer to install as /usr/local/bin/gocontainer
#                     (default ./gocontainer of this repo, built if stale; "none": no binary)
#   --add SRC=DEST    copy a host file or directory to DEST in the guest (repeatable)
#   --timeout SEC     deadline for the whole boot + run (default 900); qemu is killed after it
#   --mem MB          guest memory (default 3072)
#   --log DIR         keep the kernel console and output logs in DIR
#   --quiet           do not stream the output (it is still printed at the end on failure)
#
# Always in the guest: /gcvm/rootfs, a busybox root filesystem from
# hack/mkrootfs.sh (made on the host, cached in $TMPDIR/gcvm-rootfs), so
# `cp -a /gcvm/rootfs bundle/` gives a bundle without the slow in-guest build.
#
# The commands run as root from /gcvm in the guest under plain bash (no -e),
# with HOME=/root and TMPDIR=/tmp, once `systemctl is-system-running --wait`
# returns; their output (stdout and stderr, on the guest's second serial
# port) is printed as it comes, and run.sh exits with their exit status
# (124 on the deadline, 125 if the VM never got to run them). The image is built on first use (see
# build-image.sh); GOCONTAINER_VM_FLAVOR=clients boots the image with the
# real clients. Every boot holds /tmp/gc-vm.lock (an inherited hold of it,
# from `flock /tmp/gc-vm.lock hack/vm/run.sh ...`, is reused).
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

binary=$vm_repo/gocontainer
default_binary=1
adds=()
timeout=900
mem=3072
logdir=""
quiet=0
script=""
cmds=""
while (($#)); do
	case $1 in
	--binary) binary=$2; default_binary=0; shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--log) logdir=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--script) script=$2; shift 2; break ;;
	--) shift; cmds="$*"; set --; break ;;
	-h | --help) usage ;;
	*) echo "vm: unknown option $1" >&2; usage ;;
	esac
done
[[ -n $script || -n $cmds ]] || { echo "vm: nothing to run: give -- 'commands' or --script FILE" >&2; usage; }
[[ -z $script || -f $script ]] || { echo "vm: --script $script: no such file" >&2; exit 2; }
[[ $timeout =~ ^[0-9]+$ ]] || { echo "vm: --timeout $timeout: want seconds" >&2; exit 2; }
((EUID == 0)) || { echo "vm: run.sh must run as root" >&2; exit 1; }

read -r kernel image < <("$vm_dir/build-image.sh" | tail -1)

if [[ $binary != none ]]; then
	if ((default_binary)) && { [[ ! -x $binary ]] || [[ -n $(find "$vm_repo/cmd" "$vm_repo/ocicli" "$vm_repo/libcontainer" \
		"$vm_repo/libcgroups" "$vm_repo/libseccomp" -name '*.go' -newer "$binary" -print -quit 2>/dev/null) ]]; }; then
		echo "vm: building $binary" >&2
		"$vm_repo/hack/build.sh" "$binary"
	fi
	[[ -x $binary ]] || { echo "vm: --binary $binary is not executable" >&2; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gcvm.XXXXXX")
qpid=""
cleanup() {
	local rc=$?
	[[ -n $qpid ]] && kill -KILL "$qpid" 2>/dev/null
	[[ -n ${tailpid:-} ]] && kill "$tailpid" 2>/dev/null
	if [[ -n $logdir ]]; then
		mkdir -p "$logdir"
		cp "$work/console.log" "$work/out.log" "$logdir/" 2>/dev/null || true
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

# --- the per-run cpio: binary, files, the run script ---
rootfs=${TMPDIR:-/tmp}/gcvm-rootfs
if [[ ! -x $rootfs/bin/busybox || $rootfs -ot $vm_repo/hack/mkrootfs.sh ]]; then
	rm -rf "$rootfs"
	"$vm_repo/hack/mkrootfs.sh" "$rootfs" >/dev/null
	touch "$rootfs"
fi
stage=$work/stage
mkdir -p "$stage/gcvm" "$stage/usr/local/bin"
cp -a "$rootfs" "$stage/gcvm/rootfs"
[[ $binary == none ]] || install -m 0755 "$binary" "$stage/usr/local/bin/gocontainer"
for a in "${adds[@]}"; do
	src=${a%%=*} dest=${a#*=}
	[[ $a == *=* && $dest == /* ]] || { echo "vm: --add $a: want SRC=/ABSOLUTE/DEST" >&2; exit 2; }
	[[ -e $src ]] || { echo "vm: --add $a: $src does not exist" >&2; exit 2; }
	mkdir -p "$stage$(dirname "$dest")"
	cp -a "$src" "$stage$dest"
done
{
	echo '#!/bin/bash'
	if [[ -n $script ]]; then
		install -m 0755 "$script" "$stage/gcvm/script"
		printf 'exec /gcvm/script'
		printf ' %q' "$@"
		echo
	else
		printf '%s\n' "$cmds"
	fi
} >"$stage/gcvm/run"
chmod 0755 "$stage/gcvm/run"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) >"$work/run.cpio"
cat "$image" "$work/run.cpio" >"$work/initrd"

# --- boot, holding the VM lock ---
lockfd=""
for fd in /proc/$$/fd/*; do
	[[ $(readlink "$fd" 2>/dev/null) == /tmp/gc-vm.lock ]] && lockfd=${fd##*/} && break
done
if [[ -z $lockfd ]]; then
	exec 9>>/tmp/gc-vm.lock
	lockfd=9
fi
if ! flock -n "$lockfd"; then
	echo "vm: waiting for /tmp/gc-vm.lock (another VM is running)" >&2
	flock "$lockfd"
fi

: >"$work/out.log"
start=$SECONDS
qemu-system-x86_64 -accel tcg -m "$mem" -smp 2 -nic none -no-reboot \
	-display none -monitor none -nodefaults \
	-kernel "$kernel" -initrd "$work/initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 systemd.show_status=0 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" \
	-serial "file:$work/console.log" -serial "file:$work/out.log" </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
if ((!quiet)); then
	tail -n +1 -f --pid="$qpid" "$work/out.log" &
	tailpid=$!
fi
deadline=$((start + timeout))
timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
	if ((SECONDS >= deadline)); then
		echo "vm: deadline of ${timeout}s reached, killing qemu (pid $qpid)" >&2
		kill -KILL "$qpid"
		timed_out=1
		break
	fi
	sleep 1
done
wait "$qpid" 2>/dev/null || true
qpid=""
if [[ -n ${tailpid:-} ]]; then
	wait "$tailpid" 2>/dev/null || true
	tailpid=""
fi
elapsed=$((SECONDS - start))

rc=$(tr -d '\r' <"$work/out.log" | awk '/^GCVM-EXIT [0-9]+/ { rc = $2 } END { print rc }')
if ((timed_out)); then
	rc=124
elif [[ -z $rc ]]; then
	echo "vm: the guest stopped without an exit status; qemu said:" >&2
	tail -5 "$work/qemu.log" >&2
	rc=125
fi
if ((rc != 0)) && [[ $rc != 0 ]]; then
	((quiet)) && cat "$work/out.log"
	echo "vm: kernel console (last 40 lines):" >&2
	tail -40 "$work/console.log" | tr -d '\r' >&2
fi
echo "vm: exit $rc after ${elapsed}s" >&2
exit "$rc"
