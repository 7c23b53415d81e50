#!/usr/bin/env bash
# Prepares this machine for the kernel matrix, then the guest of this build. Run as root on Debian;
# Maven's kernel-matrix profile runs it before the integration tests. Each step is cached by content
# (in it-tests/cache/, git-ignored, and in Docker's image store) and reused when present:
#   1. Debian packages: docker.io, qemu-system-x86, debootstrap, busybox-static, cpio, e2fsprogs, gcc, xz-utils
#   2. a Docker engine (dockerd --bridge=none --iptables=false), unless one answers already
#   3. the runner image: a debootstrapped Debian root with QEMU and e2fsprogs, through docker import
#   4. the kernels: Debian's cloud kernels of bullseye, bookworm, trixie and sid, fetched with a private
#      apt configuration from the mirror this machine's apt already uses, with the package's virtio_blk
#      module where it has one (the fault scenarios' failing disk is a virtio disk)
#   5. a jlinked JRE, and the isa-debug-exit helper
#   6. the suite (MATRIX_DIR/suite: jre/, lib/, run-suite.sh) and the guest's initramfs (busybox, the
#      JRE's shared libraries, the suite, /init)
# It writes MATRIX_DIR/provisioned.properties for the tests (the runner image, each kernel, the initramfs,
# the suite, run-vm.sh) and clears the results of an earlier run.
# Usage: provision.sh MATRIX_DIR JAVA_HOME   (MATRIX_DIR/suite/lib holds the suite's jars already)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
matrix=$(mkdir -p "$1" && cd "$1" && pwd)
java_home=$2
cache=$here/cache
vm=$here/src/vm
mkdir -p "$cache"

# Debian's engine is 20.10 (API 1.41); a newer docker CLI on the PATH would ask for more
export DOCKER_API_VERSION=1.41

# series, Debian suite: the kernels of the matrix
kernels=("5.10 bullseye" "6.1 bookworm" "6.12 trixie" "7.2 sid")
jre_modules=java.base,java.logging,java.xml,java.management,jdk.jfr,jdk.unsupported

log() { echo "[provision] $*" >&2; }

content_hash() { sha256sum | cut -c1-16; }

install_packages() {
	local wanted=(docker.io qemu-system-x86 debootstrap busybox-static cpio e2fsprogs gcc libc6-dev xz-utils)
	local missing=()
	for p in "${wanted[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

start_docker() {
	if docker info >/dev/null 2>&1; then
		return
	fi
	log "starting dockerd (log: $cache/dockerd.log)"
	setsid dockerd --bridge=none --iptables=false >"$cache/dockerd.log" 2>&1 </dev/null &
	for _ in $(seq 60); do
		docker info >/dev/null 2>&1 && return
		sleep 1
	done
	cat "$cache/dockerd.log" >&2
	echo "dockerd did not start" >&2
	exit 1
}

# The archive this machine's apt uses for its own release (never written into the repository).
debian_mirror() {
	local codename
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' \
		| awk -v suite="$codename" '$2 == suite && $3 == "main" { print $1; exit }'
}

# The image QEMU runs in, and the container axis' suite: Debian of this machine's release (so the JRE
# jlinked here runs in it too) with QEMU and e2fsprogs, and /scratch for the suite's files. Its tag is the
# hash of this function and the release.
runner_image() {
	local codename tag root
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	tag=reactor-aio-it/runner:$( { declare -f runner_image; echo "$codename"; } | content_hash)
	if ! docker image inspect "$tag" >/dev/null 2>&1; then
		log "building $tag: debootstrap $codename"
		root=$cache/runner-root
		rm -rf "$root"
		debootstrap --variant=minbase --include=qemu-system-x86,e2fsprogs "$codename" "$root" "$(debian_mirror)" \
			>"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
		rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
		install -d -m 1777 "$root/scratch"
		tar --numeric-owner -C "$root" -c . | docker import - "$tag" >/dev/null
		rm -rf "$root"
		docker images --format '{{.Repository}}:{{.Tag}}' "${tag%:*}" | { grep -vxF "$tag" || true; } \
			| xargs -r docker rmi >/dev/null
	fi
	echo "$tag"
}

# apt with a private configuration: the kernels' suites on this machine's mirror, indexes in the cache
apt_dir=$cache/apt
private_apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status=/dev/null -o Dir::Cache="$apt_dir/cache"
	-o APT::Architectures=amd64 -o Acquire::Languages=none -o APT::Sandbox::User=root)
apt_updated=

private_apt_update() {
	local mirror entry
	[ -n "$apt_updated" ] && return
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || { echo "no Debian mirror in this machine's apt configuration" >&2; exit 1; }
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	for entry in "${kernels[@]}"; do
		echo "deb [arch=amd64] $mirror ${entry#* } main"
	done >"$apt_dir/sources.list"
	apt-get -q "${private_apt[@]}" update >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; exit 1; }
	apt_updated=yes
}

# Fetches the newest cloud kernel of a suite into cache/kernels/SERIES/{vmlinuz,release,package} and,
# when the package has it, virtio_blk.ko (uncompressed: busybox's insmod loads it). A folder made by
# another version of this function is made again.
fetch_kernel() {
	local series=$1 suite=$2 dir=$cache/kernels/$1 version image package work vmlinuz module stamp
	stamp=$(declare -f fetch_kernel | content_hash)
	[ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ] && return
	rm -rf "$dir"
	private_apt_update
	version=$(apt-cache "${private_apt[@]}" madison linux-image-cloud-amd64 \
		| awk -v s="$suite/main" '$0 ~ " " s " " { print $3; exit }')
	[ -n "$version" ] || { echo "no linux-image-cloud-amd64 in $suite" >&2; exit 1; }
	image=$(apt-cache "${private_apt[@]}" show "linux-image-cloud-amd64=$version" \
		| sed -n 's/^Depends:.*\(linux-image-[^ ,]*-cloud-amd64\).*/\1/p')
	# from 7.x on, the image package holds no kernel: it depends on the linux-binary package that does
	package=$(apt-cache "${private_apt[@]}" show "$image" \
		| sed -n 's/^Depends:.*\(linux-binary-[^ ,]*-cloud-amd64\).*/\1/p')
	package=${package:-$image}
	log "fetching $suite's kernel: $package ($version)"
	work=$(mktemp -d "$cache/kernel.XXXXXX")
	(cd "$work" && apt-get -q "${private_apt[@]}" download "$package" >download.log 2>&1) \
		|| { cat "$work/download.log" >&2; exit 1; }
	dpkg-deb -x "$work"/*.deb "$work/x"
	vmlinuz=$(find "$work/x" -name 'vmlinuz*' -type f | head -1)
	[ -n "$vmlinuz" ] || { echo "no vmlinuz in $package" >&2; exit 1; }
	mkdir -p "$dir"
	case $vmlinuz in
		*/usr/lib/modules/*) basename "$(dirname "$vmlinuz")" ;;
		*) basename "$vmlinuz" | sed 's/^vmlinuz-//' ;;
	esac >"$dir/release"
	echo "$package $version" >"$dir/package"
	module=$(find "$work/x" -name 'virtio_blk.ko*' -type f | head -1)
	case $module in
		'') ;;
		*.ko) cp "$module" "$dir/virtio_blk.ko" ;;
		*.ko.xz) xz -dc "$module" >"$dir/virtio_blk.ko" ;;
		*) log "warning: $package: $(basename "$module") is compressed in a way this script does not unpack" ;;
	esac
	cp "$vmlinuz" "$dir/vmlinuz.tmp" && mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
	echo "$stamp" >"$dir/stamp"
	rm -rf "$work"
	case $(cat "$dir/release") in
		"$series".*) ;;
		*) log "warning: $suite's kernel is $(cat "$dir/release"), not $series" ;;
	esac
}

jlinked_jre() {
	local key dir
	key=$( { "$java_home/bin/java" -version 2>&1; echo "$jre_modules"; } | content_hash)
	dir=$cache/jre-$key
	if [ ! -x "$dir/bin/java" ]; then
		log "jlinking a JRE ($jre_modules)"
		rm -rf "$dir.tmp"
		"$java_home/bin/jlink" --add-modules "$jre_modules" --strip-debug --no-man-pages --no-header-files \
			--output "$dir.tmp"
		"$dir.tmp/bin/java" -Xshare:dump >/dev/null
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

debug_exit() {
	local out
	out=$cache/debug-exit-$(content_hash <"$vm/debug-exit.c")
	if [ ! -x "$out" ]; then
		gcc -static -Os -o "$out" "$vm/debug-exit.c"
	fi
	echo "$out"
}

# MATRIX_DIR/suite: what both axes run (the VM's initramfs holds it at /suite)
assemble_suite() {
	local jre=$1 suite=$matrix/suite
	[ -d "$suite/lib" ] || { echo "$suite/lib is missing: run through Maven (mvn -Pkernel-matrix verify)" >&2; exit 1; }
	rm -rf "$suite/jre"
	cp -al "$jre" "$suite/jre" 2>/dev/null || cp -a "$jre" "$suite/jre"
	cp "$vm/run-suite.sh" "$suite/"
}

# The guest's root: busybox, the JRE and the shared libraries it loads, the suite, /init.
initramfs() {
	local helper=$1 root=$matrix/initramfs-root lib
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,data}
	cp /bin/busybox "$root/bin/"
	cp "$helper" "$root/bin/debug-exit"
	cp -a "$matrix/suite" "$root/suite"
	for lib in $(find "$root/suite/jre" \( -name '*.so' -o -name java \) -type f | xargs ldd 2>/dev/null \
			| awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf '127.0.0.1 localhost vm\n' >"$root/etc/hosts"
	cp "$vm/init" "$root/init"
	mknod "$root/dev/console" c 5 1
	(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >"$matrix/initramfs.cpio"
	rm -rf "$root"
}

install_packages
start_docker
image=$(runner_image)
for entry in "${kernels[@]}"; do
	fetch_kernel $entry
done
assemble_suite "$(jlinked_jre)"
initramfs "$(debug_exit)"
cp "$vm/run-vm.sh" "$matrix/"
rm -rf "$matrix/results" "$matrix/results.md"

{
	echo "runner.image=$image"
	for entry in "${kernels[@]}"; do
		series=${entry% *}
		echo "kernel.$series=$cache/kernels/$series/vmlinuz"
		echo "kernel.$series.package=$(cat "$cache/kernels/$series/package")"
		if [ -f "$cache/kernels/$series/virtio_blk.ko" ]; then
			echo "kernel.$series.virtio_blk=$cache/kernels/$series/virtio_blk.ko"
		fi
	done
	echo "initramfs=$matrix/initramfs.cpio"
	echo "suite=$matrix/suite"
	echo "run-vm=$matrix/run-vm.sh"
} >"$matrix/provisioned.properties"
log "ready: $matrix/provisioned.properties"
