#!/usr/bin/env bash
# Runs Go test packages over kernel SCTP inside a qemu (TCG) VM.
#
# The host has no kernel SCTP, so this script builds the packages' tests as
# static binaries, packs them with busybox, nft and the SCTP and nftables
# kernel modules of Debian's stock kernel into an initramfs, boots that with
# qemu and runs every binary as root with SIGPOOL_TEST_TRANSPORT=sctp. The
# kernel package is downloaded once and cached outside the repository.
#
# Environment (all optional):
#   VMTEST_PKGS        packages to test, in order (default "./internal/vmprobe ./transport ./mxua ./enrp ./asap ./gwc ./sg");
#                      a package without test files is skipped
#   VMTEST_RUN         -test.run regexp for every binary
#   VMTEST_TIMEOUT     -test.timeout per binary (default 5m)
#   VMTEST_ARGS        more test flags, split on white space (e.g. "-test.short")
#   VMTEST_ENV         more environment for the tests, "K=V K2=V2" (no spaces in values)
#   VMTEST_VM_TIMEOUT  seconds before the whole VM is killed (default: the sum of the
#                      test timeouts + 120, at least 900)
#   VMTEST_MODULES     more kernel modules to load (see scripts/vm/modules.list)
#   VMTEST_APPEND      more kernel command line
#   VMTEST_BZIMAGE=1   boot the compressed bzImage instead of the extracted vmlinux (PVH)
#   VMTEST_KERNEL_PKG  kernel package to use instead of what linux-image-amd64 depends on
#   VMTEST_QUIET=1     do not stream the console; print only the summary (and failures)
#   VMTEST_MEM, VMTEST_SMP  qemu -m and -smp (default 1024, 2)
#   SIGPOOL_CACHE      cache root (default $HOME/.cache/sigpool); the kernel is in $SIGPOOL_CACHE/vm
# CI, GITHUB_ACTIONS, GODEBUG, GOTRACEBACK and SIGPOOL_* reach the tests unchanged;
# the tests also see VMTEST=1 and SIGPOOL_TEST_TRANSPORT=sctp.
#
# Exit status: 0 when every binary exited 0; 1 when a package failed to build,
# a test failed or the VM gave no result; 2 when the harness itself failed.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
repo=$(pwd)
vmdir="$repo/scripts/vm"

die() {
	echo "vmtest: $*" >&2
	exit 2
}
note() { echo "vmtest: $*"; }

t_start=$(date +%s.%N)
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

cache="${SIGPOOL_CACHE:-${HOME:-/root}/.cache/sigpool}/vm"
mkdir -p "$cache" || die "cannot create cache directory $cache"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigpool-vmtest.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pids
	pids=$(jobs -pr)
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for cmd in go qemu-system-x86_64 cpio gzip dpkg-deb apt-get apt-cache ldd timeout; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found (scripts/install-deps.sh vm installs the VM tools)"
done

# ---------------------------------------------------------------- modules
# wanted_modules prints "name optional?" lines: modules.list plus VMTEST_MODULES.
wanted_modules() {
	sed -e 's/#.*//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$vmdir/modules.list" | grep -v '^$' | tr - _
	local m
	for m in ${VMTEST_MODULES:-}; do echo "$m" | tr - _; done
}
wanted=$(wanted_modules)

# modinfo_field FILE FIELD: a field of a .ko's .modinfo section (no kmod needed).
modinfo_field() {
	tr '\0' '\n' <"$1" | grep -a -m1 "^$2=" | cut -d= -f2- || true
}

# select_modules MODROOT OUT: copies the wanted modules and their dependencies
# from MODROOT (an unpacked lib/modules/<kver>) to OUT (same layout) and writes
# OUT/vmtest.order: "relpath [optional]" in load order, dependencies first.
select_modules() {
	local modroot=$1 out=$2 f rel n
	declare -A path=() done_=() optional=()
	local mod_order=()
	while IFS= read -r f; do
		rel=${f#"$modroot"/}
		n=${f##*/}
		n=${n%%.ko*}
		path[${n//-/_}]=$rel
	done < <(find "$modroot" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
	[ ${#path[@]} -gt 0 ] || die "no kernel modules under $modroot"

	visit() { # visit NAME CHAIN
		local name=$1 chain=$2 rel dst deps d
		[ -z "${done_[$name]:-}" ] || return 0
		case " $chain " in *" $name "*) die "module dependency loop: $chain $name" ;; esac
		rel=${path[$name]:-}
		if [ -z "$rel" ]; then
			if [ "$chain" = "" ] && [ -n "${optional[$name]:-}" ]; then
				note "optional module $name is not in this kernel package; skipped"
				done_[$name]=1
				return 0
			fi
			die "module $name${chain:+ (needed by${chain})} is not a module of this kernel (built in, or misspelt in scripts/vm/modules.list)"
		fi
		dst="$out/${rel%%.ko*}.ko"
		mkdir -p "${dst%/*}"
		case $rel in
		*.ko) cp "$modroot/$rel" "$dst" ;;
		*.ko.xz) xz -dc "$modroot/$rel" >"$dst" ;;
		*.ko.zst) zstd -qdc "$modroot/$rel" >"$dst" ;;
		*.ko.gz) gzip -dc "$modroot/$rel" >"$dst" ;;
		esac
		deps=$(modinfo_field "$dst" depends)
		for d in ${deps//,/ }; do
			visit "${d//-/_}" "$chain $name"
		done
		done_[$name]=1
		mod_order+=("${dst#"$out"/}${optional[$name]:+ optional}")
	}
	local name opt
	while read -r name opt; do
		if [ "$opt" = optional ]; then optional[$name]=1; fi
	done <<<"$wanted"
	while read -r name opt; do
		visit "$name" ""
	done <<<"$wanted"
	printf '%s\n' "${mod_order[@]}" >"$out/vmtest.order"
}

# ---------------------------------------------------------------- kernel
# resolve_kernel_pkg: the versioned package linux-image-amd64 depends on, or "".
# apt-cache takes 0.4-1 s, so the answer is remembered until apt-get update
# changes /var/lib/apt/lists.
resolve_kernel_pkg() {
	local stamp s p
	stamp=$(stat -c %Y.%Z /var/lib/apt/lists 2>/dev/null || true)
	if [ -n "$stamp" ] && read -r s p 2>/dev/null <"$cache/resolved" && [ "$s" = "$stamp" ] && [ -n "$p" ]; then
		echo "$p"
		return
	fi
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true)
	[ -z "$p" ] || [ -z "$stamp" ] || echo "$stamp $p" >"$cache/resolved"
	echo "$p"
}

cache_format=2 # bump when the layout of a cache entry changes

# kernel_ok DIR: DIR is a complete cache entry for the current module list.
kernel_ok() {
	[ "$(cat "$1/complete" 2>/dev/null)" = "$cache_format" ] && [ -f "$1/vmlinuz" ] &&
		[ "$(cat "$1/wanted" 2>/dev/null)" = "$wanted" ]
}

# extract_vmlinux BZIMAGE OUT: the uncompressed ELF kernel inside a bzImage.
# qemu boots it directly through its PVH entry point (CONFIG_PVH), which
# saves the ~3 s the decompressor takes under TCG.
extract_vmlinux() {
	local bz=$1 out=$2 magic tool off
	for magic in xz zstd gzip; do
		case $magic in
		xz) off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1 || true); tool=(xz -dc --single-stream) ;;
		zstd) off=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$bz" | head -1 | cut -d: -f1 || true); tool=(zstd -qdc) ;;
		gzip) off=$(LC_ALL=C grep -obUaP '\x1f\x8b\x08' "$bz" | head -1 | cut -d: -f1 || true); tool=(gzip -dc) ;;
		esac
		if [ -z "$off" ] || ! command -v "${tool[0]}" >/dev/null 2>&1; then
			continue
		fi
		tail -c +$((off + 1)) "$bz" | "${tool[@]}" >"$out" 2>/dev/null || true
		if [ "$(head -c 4 "$out" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
			return 0
		fi
	done
	rm -f "$out"
	return 1
}

fetch_kernel() { # fetch_kernel PKG: download, unpack and cache PKG
	local pkg=$1 work out deb kver sudo=""
	work=$(mktemp -d "$cache/.fetch.XXXXXX")
	note "downloading $pkg (once; cached in $cache)"
	local aptopts=(-q)
	if [ "$(id -u)" -eq 0 ]; then aptopts+=(-o APT::Sandbox::User=root); fi
	if ! (cd "$work" && apt-get "${aptopts[@]}" download "$pkg") >"$tmp/apt.log" 2>&1; then
		rm -rf "$work"
		return 1
	fi
	deb=$(find "$work" -maxdepth 1 -name '*.deb' | head -1)
	[ -n "$deb" ] || { echo "no .deb file after apt-get download" >>"$tmp/apt.log"; rm -rf "$work"; return 1; }
	dpkg -x "$deb" "$work/x" || die "could not unpack $deb"
	kver=$(find "$work/x/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | head -1 || true)
	if [ -z "$kver" ] || [ ! -f "$work/x/boot/vmlinuz-$kver" ]; then
		die "$pkg has no /boot/vmlinuz-<version> or /lib/modules/<version>"
	fi
	out="$work/out"
	mkdir -p "$out/modules"
	cp "$work/x/boot/vmlinuz-$kver" "$out/vmlinuz"
	cp "$work/x/boot/config-$kver" "$out/config" 2>/dev/null || true
	cp "$work/x/lib/modules/$kver/modules.builtin" "$out/modules.builtin" 2>/dev/null || true
	if grep -q '^CONFIG_PVH=y' "$out/config" 2>/dev/null; then
		extract_vmlinux "$out/vmlinuz" "$out/vmlinux" || note "could not extract vmlinux from the bzImage; booting the bzImage (slower)"
	fi
	select_modules "$work/x/lib/modules/$kver" "$out/modules"
	echo "$kver" >"$out/kver"
	echo "$pkg $(dpkg-deb -f "$deb" Version)" >"$out/package"
	printf '%s\n' "$wanted" >"$out/wanted"
	echo "$cache_format" >"$out/complete"
	rm -rf "${cache:?}/$pkg"
	mv "$out" "$cache/$pkg"
	rm -rf "$work"
	# Keep one kernel: drop the entries of other versions.
	local d
	for d in "$cache"/linux-image-*; do
		[ "$d" = "$cache/$pkg" ] || rm -rf "$d"
	done
	return 0
}

# ensure_kernel sets kdir to a complete cache entry.
ensure_kernel() {
	local pkg cached="" d
	for d in "$cache"/linux-image-*; do
		if kernel_ok "$d"; then cached=$d; fi
	done
	pkg=${VMTEST_KERNEL_PKG:-$(resolve_kernel_pkg)}
	if [ -n "$pkg" ] && kernel_ok "$cache/$pkg"; then
		kdir="$cache/$pkg"
		return
	fi
	if [ -z "$pkg" ]; then
		if [ -n "$cached" ]; then # apt lists missing: the cached kernel will do
			kdir=$cached
			return
		fi
		note "apt-cache cannot resolve linux-image-amd64; running apt-get update"
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >"$tmp/apt-update.log" 2>&1 ||
			die "apt-get update failed: $(tail -3 "$tmp/apt-update.log")"
		pkg=$(resolve_kernel_pkg)
		[ -n "$pkg" ] || die "could not resolve the kernel package: apt-cache depends linux-image-amd64 names no linux-image-<version> package"
	fi
	if fetch_kernel "$pkg"; then
		kdir="$cache/$pkg"
		return
	fi
	local why
	why=$(grep -v '^W: Download is performed unsandboxed' "$tmp/apt.log" 2>/dev/null | tail -3 || true)
	if [ -n "$cached" ]; then
		note "could not download kernel package $pkg; using the cached ${cached##*/}"
		kdir=$cached
		return
	fi
	die "could not download kernel package $pkg: ${why:-apt-get download failed}"
}

# ---------------------------------------------------------------- test binaries
pkgs=${VMTEST_PKGS:-./internal/vmprobe ./transport ./mxua ./enrp ./asap ./gwc ./sg}
names=() # binary names, in order
declare -A disp=() srcdir=() status=()
order=() # display names in order, for the summary
build_pids=()

# go list every pattern; one line per package.
# shellcheck disable=SC2086
listing=$(go list -e -f '{{.ImportPath}}|{{.Dir}}|{{len .TestGoFiles}}|{{len .XTestGoFiles}}|{{if .Error}}{{.Error}}{{end}}' $pkgs 2>"$tmp/golist.err") ||
	die "go list $pkgs failed: $(cat "$tmp/golist.err")"
[ ! -s "$tmp/golist.err" ] || sed 's/^/vmtest: /' "$tmp/golist.err" >&2
declare -A used=()
mkdir -p "$tmp/bin" "$tmp/build"
while IFS='|' read -r ip dir nt nx err; do
	[ -n "$ip" ] || continue
	if [ -z "$dir" ] || [ -z "$nt" ]; then
		die "VMTEST_PKGS: $ip: ${err:-not a package}"
	fi
	d="./${dir#"$repo"/}"
	[ "$dir" = "$repo" ] && d="."
	order+=("$d")
	if [ $((nt + nx)) -eq 0 ]; then
		status[$d]="SKIP (no test files)"
		continue
	fi
	name=${ip##*/}
	name=${name//[^A-Za-z0-9_.-]/_}
	[ -z "${used[$name]:-}" ] || name="${name}_${#names[@]}"
	used[$name]=1
	names+=("$name")
	disp[$name]=$d
	srcdir[$name]=$dir
	(CGO_ENABLED=0 go test -c -ldflags='-s -w' -o "$tmp/bin/$name.test" "$ip" >"$tmp/build/$name.log" 2>&1
		echo $? >"$tmp/build/$name.rc") &
	build_pids+=($!)
done <<<"$listing"
[ ${#order[@]} -gt 0 ] || die "VMTEST_PKGS ($pkgs) matched no packages"

# While the tests compile, make sure the kernel is there.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi
rm -rf "$cache"/.fetch.* # left by an interrupted download
kdir=""
ensure_kernel
[ -n "$kdir" ] || die "no kernel"
if command -v flock >/dev/null 2>&1; then
	flock -u 9
	exec 9>&-
fi
kver=$(cat "$kdir/kver")

for p in "${build_pids[@]}"; do wait "$p" || true; done
built=()
for name in "${names[@]}"; do
	d=${disp[$name]}
	if [ "$(cat "$tmp/build/$name.rc" 2>/dev/null)" = 0 ] && [ -s "$tmp/bin/$name.test" ]; then
		built+=("$name")
	else
		first=$(grep -v '^#' "$tmp/build/$name.log" | head -1 || true)
		status[$d]="BUILD FAILED${first:+: $first}"
		echo "vmtest: $d: go test -c failed:"
		head -40 "$tmp/build/$name.log" | sed 's/^/    /'
	fi
done

# ---------------------------------------------------------------- initramfs
# copy_with_libs FILE ROOT: FILE and the shared libraries it needs (ldd), at
# their own paths, the dynamic loader included.
copy_with_libs() {
	local f=$1 root=$2 lib
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
		[ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

summarize_and_exit() { # prints the summary from the result lines, exits
	local log=$1 why=$2 d rc fails=0 name n_pass n_fail n_skip failed counts
	local t_pass=0 t_fail=0 t_skip=0
	echo "vmtest: ---- summary (kernel $kver; VM ${vm_secs:-0} s; total $(elapsed) s) ----"
	for d in "${order[@]}"; do
		name=""
		for n in "${built[@]}" "${names[@]}"; do
			[ "${disp[$n]:-}" = "$d" ] && { name=$n; break; }
		done
		if [ -n "${status[$d]:-}" ]; then
			echo "vmtest: $d ${status[$d]}"
			case ${status[$d]} in BUILD*) fails=1 ;; esac
			continue
		fi
		rc=$(sed -n "s/^VMTEST-RESULT $name \([0-9]*\)\$/\1/p" "$log" | tail -1)
		# Top-level test results between this binary's markers.
		read -r n_pass n_fail n_skip < <(sed -n "/^VMTEST-BEGIN $name /,/^VMTEST-END $name /p" "$log" |
			awk '/^--- PASS: /{p++} /^--- FAIL: /{f++} /^--- SKIP: /{s++} END{print p+0, f+0, s+0}')
		t_pass=$((t_pass + n_pass)) t_fail=$((t_fail + n_fail)) t_skip=$((t_skip + n_skip))
		counts="$((n_pass + n_fail + n_skip)) tests"
		[ "$n_skip" -eq 0 ] || counts="$counts, $n_skip skipped"
		[ "$n_fail" -eq 0 ] || counts="$counts, $n_fail failed"
		if [ -z "$rc" ]; then
			echo "vmtest: $d NO RESULT ($why)"
			fails=1
		elif [ "$rc" = 0 ]; then
			echo "vmtest: $d PASS ($counts)"
		else
			failed=$(sed -n "/^VMTEST-BEGIN $name /,/^VMTEST-END $name /p" "$log" |
				sed -n 's/^--- FAIL: \([^ ]*\).*/\1/p' | head -10 | tr '\n' ' ')
			echo "vmtest: $d FAIL (exit $rc; $counts)${failed:+ failed: ${failed% }}"
			if [ "${VMTEST_QUIET:-}" = 1 ]; then # the output was not streamed
				sed -n "/^VMTEST-BEGIN $name /,/^VMTEST-END $name /p" "$log" | tail -n 60 | sed 's/^/    /'
			fi
			fails=1
		fi
	done
	# Totals in the plain form scripts/test.sh adds up.
	echo "vmtest: $t_pass passed, $t_fail failed, $t_skip skipped"
	if [ "$fails" -eq 0 ]; then
		echo "vmtest: PASS"
		exit 0
	fi
	echo "vmtest: FAIL"
	exit 1
}

if [ ${#built[@]} -eq 0 ]; then
	note "nothing to run in the VM"
	summarize_and_exit /dev/null "not run"
fi

root="$tmp/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,root,etc/vmtest,usr/bin,usr/sbin,pkg,lib/modules}
ln -s bin "$root/sbin"
bb=${VMTEST_BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || die "$bb not found (apt-get install busybox-static)"
bbldd=$(ldd "$bb" 2>&1 || true)
[[ $bbldd =~ "not a dynamic executable"|"statically linked" ]] ||
	die "$bb is dynamically linked; the VM needs busybox-static (apt-get install busybox-static)"
cp "$bb" "$root/bin/busybox"
applets=$("$bb" --list | grep -vx busybox)
if command -v perl >/dev/null 2>&1; then # one process instead of ~270 ln
	# shellcheck disable=SC2086 # one applet per word
	perl -e '$d = shift; for (@ARGV) { symlink("busybox", "$d/$_") or die "symlink $_: $!\n" }' "$root/bin" $applets
else
	for a in $applets; do ln -s busybox "$root/bin/$a"; done
fi
nft=$(command -v nft || true)
[ -n "$nft" ] || die "nft not found (apt-get install nftables)"
copy_with_libs "$(readlink -f "$nft")" "$root"
[ -e "$root/usr/sbin/nft" ] || ln -s "$(readlink -f "$nft")" "$root/usr/sbin/nft"
for f in /etc/protocols /etc/services; do # protocol and port names for nft
	if [ -f "$f" ]; then cp "$f" "$root$f"; fi
done
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
# Without root there is no device node; /init reopens /dev/console from devtmpfs.
if [ "$(id -u)" -eq 0 ]; then mknod -m 600 "$root/dev/console" c 5 1; fi

cp -a "$kdir/modules" "$root/lib/modules/$kver"
mv "$root/lib/modules/$kver/vmtest.order" "$root/etc/vmtest/modules"

for name in "${built[@]}"; do
	mkdir -p "$root/pkg/$name"
	mv "$tmp/bin/$name.test" "$root/pkg/$name/"
	[ ! -d "${srcdir[$name]}/testdata" ] || cp -a "${srcdir[$name]}/testdata" "$root/pkg/$name/"
done

install -m 755 "$vmdir/init.sh" "$root/init"
# shq VALUE: VALUE quoted for sh.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "VMTEST_BINARIES=$(shq "${built[*]}")"
	echo "VMTEST_TIMEOUT=$(shq "${VMTEST_TIMEOUT:-5m}")"
	echo "VMTEST_RUN=$(shq "${VMTEST_RUN:-}")"
	echo "VMTEST_ARGS=$(shq "${VMTEST_ARGS:-}")"
} >"$root/etc/vmtest/config.sh"
{
	while IFS= read -r v; do
		[ "$v" = SIGPOOL_CACHE ] && continue
		echo "export $v=$(shq "${!v}")"
	done < <(compgen -e | grep -E '^(CI|GITHUB_ACTIONS|GODEBUG|GOTRACEBACK|SIGPOOL_[A-Za-z0-9_]+)$' || true)
	for kv in ${VMTEST_ENV:-}; do
		case $kv in
		[A-Za-z_]*=*) echo "export ${kv%%=*}=$(shq "${kv#*=}")" ;;
		*) die "VMTEST_ENV: $kv is not NAME=VALUE" ;;
		esac
	done
	echo "export VMTEST=1 SIGPOOL_TEST_TRANSPORT=sctp"
} >"$root/etc/vmtest/env"

initrd="$tmp/initrd.cpio.gz"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$initrd") ||
	die "could not build the initramfs"

# ---------------------------------------------------------------- boot
# Overall timeout: every binary may use its whole -test.timeout, plus boot.
dur_seconds() { # Go duration (e.g. 5m, 90s, 1h30m) to whole seconds; "" if unparsable
	local s=$1 total=0 num unit
	[[ $s =~ ^([0-9]+(\.[0-9]+)?(h|m|s|ms|us|ns))+$ ]] || return 0
	while [[ $s =~ ^([0-9]+)(\.[0-9]+)?(h|ms|m|s|us|ns)(.*)$ ]]; do
		num=${BASH_REMATCH[1]}
		unit=${BASH_REMATCH[3]}
		s=${BASH_REMATCH[4]}
		case $unit in h) total=$((total + num * 3600)) ;; m) total=$((total + num * 60)) ;; s) total=$((total + num)) ;; esac
	done
	echo $((total + 1)) # fractions and sub-second units round up
}
vm_timeout=${VMTEST_VM_TIMEOUT:-}
if [ -z "$vm_timeout" ]; then
	per=$(dur_seconds "${VMTEST_TIMEOUT:-5m}")
	vm_timeout=$(( ${per:-300} * ${#built[@]} + 120 ))
	[ "$vm_timeout" -ge 900 ] || vm_timeout=900
fi

log="$tmp/console.log"
note "booting $(cat "$kdir/package") with ${built[*]} (initramfs $(($(stat -c %s "$initrd") / 1024 / 1024)) MB, timeout ${vm_timeout} s, prepared in $(elapsed) s)"
# The console goes to the log; from /init on it is also streamed to stdout.
stream() {
	if [ "${VMTEST_QUIET:-}" = 1 ]; then
		cat >/dev/null
	else
		sed -u -n '/vmtest-init:/,$p'
	fi
}
t_vm=$(date +%s.%N)
kernel="$kdir/vmlinux"
[ -f "$kernel" ] && [ "${VMTEST_BZIMAGE:-}" != 1 ] || kernel="$kdir/vmlinuz"
# cryptomgr.notests: the crypto self-tests cost ~0.4 s of boot under TCG.
append="console=ttyS0 quiet panic=-1 cryptomgr.notests ${VMTEST_APPEND:-}"
set +e
timeout -k 10 "$vm_timeout" qemu-system-x86_64 -accel tcg -cpu max -m "${VMTEST_MEM:-1024}" -smp "${VMTEST_SMP:-2}" \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-nographic -no-reboot -nic none </dev/null 2>&1 |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c78]//g' | tee "$log" | stream
qrc=${PIPESTATUS[0]}
set -e
vm_secs=$(awk -v a="$t_vm" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
# The last console log stays in the cache (written atomically: runs may overlap).
if cp "$log" "$cache/.console.$$" 2>/dev/null; then mv -f "$cache/.console.$$" "$cache/console-last.log"; fi

why="VM ended without a result"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	why="VM killed after the ${vm_timeout} s timeout (VMTEST_VM_TIMEOUT)"
elif grep -q 'Kernel panic' "$log"; then
	why="kernel panic: $(grep -o 'Kernel panic - not syncing: .*' "$log" | head -1 | cut -c29-)"
elif ! grep -q 'vmtest-init:' "$log"; then
	why="the VM never reached /init (qemu exit status $qrc)"
elif [ "$qrc" != 0 ]; then
	why="qemu exit status $qrc"
fi
missing=0
for name in "${built[@]}"; do
	grep -q "^VMTEST-RESULT $name [0-9]*\$" "$log" || missing=1
done
if [ "$missing" = 1 ] || grep -q '^vmtest-init: MODULES FAILED' "$log"; then
	# Streaming starts at /init: show the console when it was not streamed.
	if [ "${VMTEST_QUIET:-}" = 1 ] || ! grep -q 'vmtest-init:' "$log"; then
		echo "vmtest: ---- last 40 console lines ($why) ----"
		tail -n 40 "$log"
	fi
	echo "vmtest: whole console log: $cache/console-last.log"
fi
summarize_and_exit "$log" "$why"
