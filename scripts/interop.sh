#!/usr/bin/env bash
# make interop: sigpool against real RSerPool and SIGTRAN peers over kernel
# SCTP, inside the qemu VM of scripts/vmtest.sh.
#
# The peers are Debian's own builds: rsplib-registrar and rsplib-tools
# (RSPLIB, the RSerPool reference implementation) and osmo-stp (Osmocom's
# STP). Their packages and every library they need are downloaded once with
# apt-get download, unpacked, and cached in $SIGPOOL_CACHE/interop. This
# script stages those binaries, their libraries (the dynamic loader included)
# and a static sigpool binary as internal/interop/testdata/peers, where the
# VM harness copies a test package's testdata, then runs the interop cases of
# internal/interop in the VM. See docs/interop.md.
#
# Prints one "interop: PASS|FAIL|SKIP <case>" line per case and ends with
# "interop: N passed, N failed, N skipped" (scripts/test.sh adds it up).
#
# Environment (all optional):
#   INTEROP_RUN      -test.run regexp (default: every case)
#   INTEROP_VERBOSE=1  stream the VM console instead of printing only failures
#   SIGPOOL_CACHE    cache root (default $HOME/.cache/sigpool)
#
# Exit status: 0 when every case passed; 1 when a case failed or the VM gave
# no result; 2 when the harness itself failed.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
repo=$(pwd)

die() {
	echo "interop: $*" >&2
	exit 2
}
note() { echo "interop: $*"; }

# The Debian packages under test. Their dependencies that the host does not
# have installed are fetched too (the host's own libraries are copied as ldd
# finds them).
peer_pkgs=(rsplib-registrar rsplib-tools osmo-stp)
peer_bins=(rspregistrar rspserver rspterminal hsdump osmo-stp)

scripts/install-deps.sh vm || die "could not install the VM tools"
for cmd in go apt-get apt-cache dpkg dpkg-deb dpkg-query ldd; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found"
done

cache="${SIGPOOL_CACHE:-${HOME:-/root}/.cache/sigpool}/interop"
mkdir -p "$cache" || die "cannot create $cache"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigpool-interop.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

cache_format=1 # bump when the layout of the cached root changes
root="$cache/root"

apt_update_once() {
	[ -z "${apt_updated:-}" ] || return 0
	apt_updated=1
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	note "apt-get update"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >"$tmp/apt-update.log" 2>&1 ||
		die "apt-get update failed: $(tail -3 "$tmp/apt-update.log")"
}

# wanted_debs prints the packages to download: the peers and every package
# they depend on (recursively) that is not installed here.
wanted_debs() {
	local p
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "${peer_pkgs[@]}" 2>/dev/null |
		grep -v '^ ' | grep -v '^<' | sort -u |
		while read -r p; do
			if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
				echo "$p"
			fi
		done
}

fetch_root() {
	local debs work d
	debs=$(wanted_debs)
	if ! grep -qx rsplib-registrar <<<"$debs"; then
		apt_update_once
		debs=$(wanted_debs)
	fi
	grep -qx rsplib-registrar <<<"$debs" || die "apt-cache does not know rsplib-registrar (Debian 12 main)"
	work=$(mktemp -d "$cache/.fetch.XXXXXX")
	note "downloading $(wc -w <<<"$debs") Debian packages (once; cached in $cache)"
	local aptopts=(-q)
	if [ "$(id -u)" -eq 0 ]; then aptopts+=(-o APT::Sandbox::User=root); fi
	# shellcheck disable=SC2086 # one package per word
	if ! (cd "$work" && apt-get "${aptopts[@]}" download $debs) >"$tmp/apt.log" 2>&1; then
		apt_update_once
		# shellcheck disable=SC2086
		(cd "$work" && apt-get "${aptopts[@]}" download $debs) >"$tmp/apt.log" 2>&1 ||
			die "apt-get download failed: $(grep -v unsandboxed "$tmp/apt.log" | tail -3)"
	fi
	mkdir -p "$work/x"
	: >"$work/versions"
	for d in "$work"/*.deb; do
		dpkg -x "$d" "$work/x" || die "could not unpack $d"
		echo "$(dpkg-deb -f "$d" Package) $(dpkg-deb -f "$d" Version)" >>"$work/versions"
	done
	rm -f "$work"/*.deb
	mv "$work/versions" "$work/x/versions"
	echo "$cache_format" >"$work/x/complete"
	rm -rf "$root"
	mv "$work/x" "$root"
	rm -rf "$work"
}

rm -rf "$cache"/.fetch.*
if [ "$(cat "$root/complete" 2>/dev/null)" != "$cache_format" ]; then
	fetch_root
fi

# ---------------------------------------------------------------- stage
stage="$repo/internal/interop/testdata/peers"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/etc"
libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
for b in "${peer_bins[@]}"; do
	f="$root/usr/bin/$b"
	[ -x "$f" ] || die "$b is not in the cached packages ($root/usr/bin)"
	cp "$f" "$stage/bin/"
	LD_LIBRARY_PATH=$libpath ldd "$f" >"$tmp/ldd" 2>&1 || die "ldd $b failed: $(head -3 "$tmp/ldd")"
	if grep -q 'not found' "$tmp/ldd"; then
		die "$b needs libraries no package provided: $(grep 'not found' "$tmp/ldd" | awk '{print $1}' | tr '\n' ' ')"
	fi
	# Every library, the loader included, goes flat into lib/: the VM runs
	# the peers as lib/ld-linux-x86-64.so.2 --library-path lib bin/NAME.
	while IFS= read -r lib; do
		[ -e "$lib" ] || continue
		cp -L "$lib" "$stage/lib/${lib##*/}"
	done < <(grep -o '/[^ ]*' "$tmp/ldd" | sort -u)
done
# coreutils' stdbuf library makes the peers' stdout line buffered (they
# write through stdio to a pipe), so the cases can wait for their lines.
if [ -f /usr/libexec/coreutils/libstdbuf.so ]; then cp /usr/libexec/coreutils/libstdbuf.so "$stage/lib/"; fi
cp "$root/versions" "$stage/versions"
[ -f "$stage/lib/ld-linux-x86-64.so.2" ] || die "no dynamic loader among the libraries ldd named"

note "building sigpool (static)"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$stage/bin/sigpool" ./cmd/sigpool ||
	die "go build ./cmd/sigpool failed"

if command -v flock >/dev/null 2>&1; then
	flock -u 9
	exec 9>&-
fi

# ---------------------------------------------------------------- run
out="$tmp/vm.out"
set +e
VMTEST_PKGS=./internal/interop \
	VMTEST_RUN=${INTEROP_RUN:-} \
	VMTEST_TIMEOUT=${INTEROP_TIMEOUT:-8m} \
	VMTEST_VM_TIMEOUT=${INTEROP_VM_TIMEOUT:-600} \
	VMTEST_ENV="SIGPOOL_INTEROP=1" \
	VMTEST_QUIET='' \
	scripts/vmtest.sh >"$out" 2>&1 &
vm_pid=$!
if [ "${INTEROP_VERBOSE:-}" = 1 ]; then
	tail -n +1 -f "$out" --pid "$vm_pid" &
fi
wait "$vm_pid"
vm_rc=$?
set -e

# One line per case: the top-level tests named TestCase<N>... .
pass=0 fail=0 skip=0
while read -r res name dur; do
	case $res in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
	echo "interop: $res $name $dur"
done < <(sed -n 's/^--- \(PASS\|FAIL\|SKIP\): \(TestCase[^ ]*\) \(.*\)$/\1 \2 \3/p' "$out")
# Sub-cases, and why a case was skipped.
sed -n -e 's/^    --- \(PASS\|FAIL\|SKIP\): \(TestCase[^ ]*\) \(.*\)$/interop:   \1 \2 \3/p' \
	-e 's/^.*\(known sigpool defect .*\)$/interop:     \1/p' "$out" | awk '!seen[$0]++'

# The figures the cases log (INTEROP-FIGURE lines).
sed -n 's/^.*INTEROP-FIGURE: /interop: figure: /p' "$out"
if [ "$fail" -gt 0 ] || [ "$vm_rc" -ne 0 ]; then
	if [ "${INTEROP_VERBOSE:-}" != 1 ]; then
		echo "interop: ---- failures (whole VM output: INTEROP_VERBOSE=1) ----"
		# What the failing cases said (t.Error/t.Fatal lines and the
		# peers' output they attached), then the end of the log.
		grep -E '^\s+[a-z0-9_]+_test\.go:[0-9]+: ' "$out" | grep -vE ': (started|INTEROP-FIGURE)' | tail -n 60 || true
		echo "interop: ---- end of the failing cases' output ----"
		awk '/^=== RUN/{buf=""} {buf=buf $0 "\n"} /^\s*--- FAIL/{printf "%s", buf; buf=""} /^vmtest: /{print}' "$out" | tail -n 80
	fi
	[ "$fail" -gt 0 ] || fail=1 # the VM gave no result
fi
echo "interop: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
