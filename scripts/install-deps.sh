#!/usr/bin/env bash
# Installs the Debian packages that sigpool's tests and lab need, only when
# they are missing. Non-interactive; safe to run again.
#
# Usage: scripts/install-deps.sh [group...]   groups: tshark vm netns browser (default: all)
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(tshark vm netns browser)

missing=()
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need_file() { # need_file PATH PACKAGE
	[ -e "$1" ] || missing+=("$2")
}

for g in "${groups[@]}"; do
	case "$g" in
	tshark) need tshark tshark ;;
	vm)
		need qemu-system-x86_64 qemu-system-x86
		need_file /bin/busybox busybox-static
		need cpio cpio
		need nft nftables
		;;
	netns)
		need ip iproute2
		need nft nftables
		;;
	browser) need chromium chromium ;; # scenario reports are opened headless

	*) echo "install-deps: unknown group $g" >&2; exit 2 ;;
	esac
done

[ ${#missing[@]} -gt 0 ] || exit 0
# A dynamically linked busybox may already sit at /bin/busybox; the VM image
# needs the static one, which busybox-static provides at the same path.
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
