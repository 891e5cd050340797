#!/usr/bin/env bash
# Build (or find) the VM image: Debian 12's kernel and a Debian bookworm
# userland with systemd as PID 1, packed as an uncompressed newc cpio that
# QEMU boots as the initramfs.
#
#   hack/vm/build-image.sh            # prints "KERNEL IMAGE" (paths), builds what is missing
#   hack/vm/build-image.sh --rebuild  # rebuild the image even if cached
#
# Cached in $GOCONTAINER_VM_CACHE (default /var/cache/gocontainer-vm):
#   kernel/<package>/{vmlinuz,lib/modules/} linux-image-<ver>-amd64, unpacked (never installed)
#   image-<flavor>-<kernel>-<hash>.cpio   keyed by a hash of the recipe (this script,
#                                         packages-*.txt, modules.txt, guest/)
#   debs/                                 debootstrap's package cache
# GOCONTAINER_VM_FLAVOR=clients adds the real clients (packages-clients.txt).
set -euo pipefail
# shellcheck source=hack/vm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rebuild=0
[[ ${1:-} == --rebuild ]] && rebuild=1
((EUID == 0)) || { echo "vm: build-image.sh must run as root (debootstrap)" >&2; exit 1; }

vm_host_deps
mkdir -p "$vm_cache/kernel" "$vm_cache/debs"
exec 8>"$vm_cache/build.lock"
flock 8

# --- the kernel: Debian 12's linux-image-amd64 dependency, unpacked ---
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [[ -z $kpkg ]]; then
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
[[ -n $kpkg ]] || { echo "vm: cannot resolve linux-image-amd64 to a kernel package" >&2; exit 1; }
kdir=$vm_cache/kernel/$kpkg
if [[ ! -f $kdir/release ]]; then
	echo "vm: fetching $kpkg" >&2
	t=$(mktemp -d "$vm_cache/kernel/.tmp.XXXXXX")
	chmod 755 "$t"
	(cd "$t" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >&2)
	dpkg-deb -x "$t"/*.deb "$t/x"
	kver=$(ls "$t/x/lib/modules")
	depmod -b "$t/x" "$kver"
	mkdir "$t/k"
	cp "$t/x/boot/vmlinuz-$kver" "$t/k/vmlinuz"
	mkdir -p "$t/k/lib/modules"
	mv "$t/x/lib/modules/$kver" "$t/k/lib/modules/$kver"
	echo "$kver" >"$t/k/release"
	rm -rf "$kdir"
	mv "$t/k" "$kdir"
	rm -rf "$t"
fi
kver=$(cat "$kdir/release")

image=$vm_cache/image-$vm_flavor-$kpkg-$(vm_recipe_hash).cpio
if [[ -f $image && $rebuild == 0 ]]; then
	echo "$kdir/vmlinuz $image"
	exit 0
fi

start=$SECONDS
work=$(mktemp -d "$vm_cache/.build.XXXXXX")
cleanup() {
	local rc=$?
	for m in proc sys dev/pts dev; do
		mountpoint -q "$work/root/$m" 2>/dev/null && umount -l "$work/root/$m"
	done
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
root=$work/root

echo "vm: debootstrap $vm_suite ($vm_flavor) from $vm_mirror" >&2
include=$(vm_packages | grep -v '^$' | paste -sd, -)
[[ $vm_flavor == base ]] || include=$(grep -v '^#' "$vm_dir/packages-base.txt" | grep -v '^$' | paste -sd, -)
debootstrap --variant=minbase --cache-dir="$vm_cache/debs" --include="$include" \
	"$vm_suite" "$root" "$vm_mirror" >"$work/debootstrap.log" 2>&1 ||
	{ tail -30 "$work/debootstrap.log" >&2; echo "vm: debootstrap failed" >&2; exit 1; }
echo "vm: debootstrap done after $((SECONDS - start))s" >&2

if [[ $vm_flavor != base ]]; then
	# Clients come through apt in a chroot: it resolves Recommends and
	# alternatives better than debootstrap. No service starts in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mapfile -t extra < <(grep -v '^#' "$vm_dir/packages-$vm_flavor.txt" | grep -v '^$')
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${extra[@]}" \
		>"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; echo "vm: apt-get install in the guest failed" >&2; exit 1; }
	umount -l "$root/dev"
	umount "$root/proc"
	rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
	echo "vm: clients installed after $((SECONDS - start))s" >&2
fi

# --- kernel modules from the same package, with their dependencies ---
mods=$(grep -v '^#' "$vm_dir/modules.txt" | grep -v '^$')
mkdir -p "$root/lib/modules/$kver"
kmods=$kdir/lib/modules/$kver
cp "$kmods"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
need=$(for m in $mods; do
	modprobe -d "$kdir" -S "$kver" --show-depends "$m" ||
		echo "vm: module $m not in $kpkg" >&2
done | awk '$1 == "insmod" { print $2 }' | sort -u)
for f in $need; do
	rel=${f#"$kmods"/}
	mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
	cp "$kmods/$rel" "$root/lib/modules/$kver/$rel"
done
depmod -b "$root" "$kver"
printf '%s\n' $mods >"$root/etc/modules-load.d/gcvm.conf"

# --- configuration ---
echo gcvm >"$root/etc/hostname"
printf '127.0.0.1 localhost gcvm\n::1 localhost\n' >"$root/etc/hosts"
: >"$root/etc/fstab"
# A fixed machine id: an empty one would make every boot a "first boot".
echo 6763766d6763766d6763766d6763766d >"$root/etc/machine-id"
install -m 0755 "$vm_dir/guest/init" "$root/init"
mkdir -p "$root/newroot" "$root/usr/local/lib/gcvm" "$root/gcvm"
install -m 0755 "$vm_dir/guest/runner" "$root/usr/local/lib/gcvm/runner"
install -m 0644 "$vm_dir/guest/gcvm-run.service" "$root/etc/systemd/system/gcvm-run.service"
ln -sf /etc/systemd/system/gcvm-run.service "$root/etc/systemd/system/multi-user.target.wants/gcvm-run.service"
# Nothing logs in and nothing runs on a timer: only what the tests need.
for u in getty@.service serial-getty@.service console-getty.service systemd-firstboot.service \
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
	systemd-tmpfiles-clean.timer man-db.timer systemd-networkd-wait-online.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# Keep the journal in memory and quiet on the console.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >"$root/etc/systemd/journald.conf.d/gcvm.conf"
# Space: documentation, locales and apt's lists are not needed to run tests.
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian} "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
	"$root"/var/log/*.log "$root"/var/cache/debconf/*-old

echo "vm: packing $(du -sh "$root" | cut -f1) into $image" >&2
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$work/image.cpio"
mv "$work/image.cpio" "$image"
# Keep the three newest images of the flavor (other checkouts may use older recipes).
ls -t "$vm_cache"/image-"$vm_flavor"-*.cpio | tail -n +4 | xargs -r rm -f
echo "vm: image built in $((SECONDS - start))s" >&2
echo "$kdir/vmlinuz $image"
