# shellcheck shell=bash
# Shared by hack/test-podman.sh, test-containerd.sh and test-docker.sh:
# sourced, never run.

# client_runtime ARG: the runtime the client is to drive, as an absolute
# path (./gocontainer by default, built if missing).
client_runtime() {
	local runtime=${1:-$repo/gocontainer}
	if [[ $runtime == "$repo/gocontainer" && ! -x $runtime ]]; then
		"$repo/hack/build.sh" "$runtime" >&2
	fi
	if ! command -v "$runtime" >/dev/null; then
		echo "$(basename "$0"): runtime $runtime: not found or not executable" >&2
		return 1
	fi
	realpath "$(command -v "$runtime")"
}

# client_install PKG...: apt-get install the packages whose command is
# missing; each argument is "command:package".
client_install() {
	local missing=() spec
	for spec in "$@"; do
		command -v "${spec%%:*}" >/dev/null || missing+=("${spec#*:}")
	done
	if ((${#missing[@]})); then
		echo "$(basename "$0"): apt-get install ${missing[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# client_rootfs_tar WORK: the busybox rootfs (the integration tests'
# cache, made if missing) as WORK/rootfs.tar: the clients import it, since
# there is no registry to pull from here.
client_rootfs_tar() {
	local work=$1
	local cache=${GOCONTAINER_IT_CACHE:-${TMPDIR:-/tmp}/gocontainer-it-cache}
	if [[ ! -x $cache/rootfs/bin/busybox ]]; then
		rm -rf "$cache/rootfs" && mkdir -p "$cache" && "$repo/hack/mkrootfs.sh" "$cache/rootfs" || return 1
	fi
	tar -C "$cache/rootfs" -cf "$work/rootfs.tar" .
}

# client_image_archive WORK IMAGE FORMAT: that rootfs imported by podman
# (storage under WORK) as IMAGE and saved as WORK/image.tar in FORMAT
# (oci-archive, docker-archive), for clients that cannot import a plain
# tarball as an image.
client_image_archive() {
	local work=$1 image=$2 format=$3
	local P=(podman --root "$work/podman" --runroot "$work/podman-run")
	client_rootfs_tar "$work" &&
		"${P[@]}" import -q "$work/rootfs.tar" "$image" >/dev/null &&
		rm -f "$work/image.tar" &&
		"${P[@]}" save -q --format "$format" -o "$work/image.tar" "$image" >/dev/null
}

failed=0
# check NAME WANT CMD...: CMD's whole output (CRs and NULs dropped) must
# match the extended regexp WANT, and its exit status must be 0 unless
# WANT_RC says otherwise. Prints a go-test-style line under $client/;
# a failure sets failed=1.
check() {
	local name=$1 want=$2
	shift 2
	local out rc start=$SECONDS
	out=$(timeout 90 "$@" 2>&1 | tr -d '\r\000')
	rc=${PIPESTATUS[0]}
	if [[ $rc -eq ${WANT_RC:-0} ]] && [[ $out =~ $want ]]; then
		echo "--- PASS: $client/$name ($((SECONDS - start)).00s)"
	else
		echo "--- FAIL: $client/$name ($((SECONDS - start)).00s)"
		echo "    exit $rc (want ${WANT_RC:-0}), output does not match /$want/:"
		sed 's/^/    | /' <<<"$out"
		failed=1
	fi
}

# client_wasm_tar WORK: WORK/wasm.tar is the busybox rootfs plus the WASI
# test module (tests/integration/testdata/wasi, built for wasip1) as
# /hello.wasm and /etc/wasm-msg for it to read (docs/wasm.md).
client_wasm_tar() {
	local work=$1
	client_rootfs_tar "$work" || return 1
	rm -rf "$work/wasm-extra" && mkdir -p "$work/wasm-extra/etc" || return 1
	(cd "$repo/tests/integration" && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath \
		-o "$work/wasm-extra/hello.wasm" ./testdata/wasi) || return 1
	echo "from the rootfs" >"$work/wasm-extra/etc/wasm-msg"
	cp "$work/rootfs.tar" "$work/wasm.tar" &&
		tar -C "$work/wasm-extra" -rf "$work/wasm.tar" ./hello.wasm ./etc/wasm-msg
}
