#!/usr/bin/env bash
# Build a minimal busybox root filesystem from Debian's busybox-static.
#
#   hack/mkrootfs.sh DIR            # populate DIR (created if missing)
#   hack/mkrootfs.sh --tar FILE     # write a gzipped tarball instead
#
# DIR gets /bin/busybox with one symlink per applet, /etc/passwd, /etc/group,
# /etc/hostname and empty /proc /sys /dev /tmp /root mount points: enough to
# run `sh`, `id`, `hostname`, `sleep` in a container.
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}

usage() {
	echo "usage: $0 DIR | --tar FILE.tar.gz" >&2
	exit 2
}

(($# >= 1)) || usage
tarball=""
if [[ $1 == --tar ]]; then
	(($# == 2)) || usage
	tarball=$(realpath -m "$2")
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
else
	(($# == 1)) || usage
	dir=$1
fi

if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' && ! ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic'; then
	echo "mkrootfs: $BUSYBOX is not a static busybox: apt-get install busybox-static" >&2
	exit 1
fi

mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,var/tmp,run}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
install -m 0755 "$BUSYBOX" "$dir/bin/busybox"
# One relative symlink per applet, in the directory busybox itself names
# for it (busybox --list-full prints e.g. "usr/bin/env").
"$BUSYBOX" --list-full | while IFS= read -r applet; do
	[[ $applet == bin/busybox ]] && continue
	d=$(dirname "$applet")
	mkdir -p "$dir/$d"
	rel=$(realpath -s -m --relative-to="/$d" /bin/busybox)
	ln -sfn "$rel" "$dir/$applet"
done

cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat >"$dir/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
GROUP
echo gocontainer >"$dir/etc/hostname"
: >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"

if [[ -n $tarball ]]; then
	mkdir -p "$(dirname "$tarball")"
	tar --numeric-owner --owner=0 --group=0 -C "$dir" -czf "$tarball" .
	echo "mkrootfs: wrote $tarball" >&2
else
	echo "mkrootfs: populated $dir" >&2
fi
