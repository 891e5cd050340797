#!/usr/bin/env bash
# Shared settings of the VM scripts (sourced, never run).
#
# GOCONTAINER_VM_CACHE  where images and the kernel live (default /var/cache/gocontainer-vm)
# GOCONTAINER_VM_MIRROR Debian mirror for debootstrap (default http://deb.debian.org/debian)
# GOCONTAINER_VM_FLAVOR "base" (default) or "clients" (adds podman, containerd, docker, runc, crun)

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_repo=$(cd "$vm_dir/../.." && pwd)
vm_cache=${GOCONTAINER_VM_CACHE:-/var/cache/gocontainer-vm}
vm_mirror=${GOCONTAINER_VM_MIRROR:-http://deb.debian.org/debian}
vm_flavor=${GOCONTAINER_VM_FLAVOR:-base}
vm_suite=bookworm

case $vm_flavor in
base | clients) ;;
*) echo "vm: GOCONTAINER_VM_FLAVOR=$vm_flavor: want base or clients" >&2; exit 2 ;;
esac

# vm_packages: the guest's Debian packages for the flavor, one per line.
vm_packages() {
	grep -v '^#' "$vm_dir/packages-base.txt"
	[[ $vm_flavor == base ]] || grep -v '^#' "$vm_dir/packages-$vm_flavor.txt"
}

# vm_recipe_hash: changes whenever anything that goes into the image changes.
vm_recipe_hash() {
	{
		echo "$vm_suite $vm_mirror $vm_flavor"
		vm_packages
		cat "$vm_dir/build-image.sh" "$vm_dir/modules.txt"
		find "$vm_dir/guest" -type f | LC_ALL=C sort | xargs cat
	} | sha256sum | cut -c1-16
}

# vm_host_deps: install what the host side needs (Debian, as root).
vm_host_deps() {
	local missing=() p
	for p in qemu-system-x86 debootstrap cpio kmod; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	echo "vm: apt-get install ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
