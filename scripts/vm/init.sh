#!/bin/busybox sh
# shellcheck shell=dash disable=SC1091
# /init of the sigpool vmtest image (scripts/vmtest.sh builds the image).
# Loads the SCTP and nftables modules, runs every test binary in
# /etc/vmtest/config.sh as root, prints its output to the serial console
# between VMTEST-BEGIN/VMTEST-END markers followed by
# "VMTEST-RESULT <name> <exit status>", then powers the VM off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /root
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mkdir -p /dev/pts /dev/shm
/bin/busybox mount -t devpts devpts /dev/pts
/bin/busybox mount -t tmpfs tmp /tmp
/bin/busybox mount -t tmpfs shm /dev/shm
/bin/busybox mount -t tmpfs run /run
exec </dev/console >/dev/console 2>&1

export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
umask 022
hostname vmtest
ip link set lo up
. /etc/vmtest/config.sh

echo
echo "vmtest-init: kernel $(uname -r), /init at $(cut -d' ' -f1 /proc/uptime) s uptime"

loaded=""
missing=""
while read -r path opt; do
	name=${path##*/}
	name=${name%.ko}
	if out=$(insmod "/lib/modules/$(uname -r)/$path" 2>&1); then
		loaded="$loaded $name"
	elif [ "$opt" = optional ]; then
		loaded="$loaded ($name: not loaded, optional)"
	else
		missing="$missing $name"
		echo "vmtest-init: insmod $name failed: $out"
	fi
done </etc/vmtest/modules
echo "vmtest-init: modules:$loaded"
[ -z "$missing" ] || echo "vmtest-init: MODULES FAILED:$missing"

ulimit -n 65536 2>/dev/null || true
for name in $VMTEST_BINARIES; do
	set -- -test.v -test.count=1 "-test.timeout=$VMTEST_TIMEOUT"
	[ -z "$VMTEST_RUN" ] || set -- "$@" "-test.run=$VMTEST_RUN"
	# VMTEST_ARGS is split on white space on purpose.
	# shellcheck disable=SC2086
	set -- "$@" $VMTEST_ARGS
	echo "VMTEST-BEGIN $name $(cut -d' ' -f1 /proc/uptime)"
	(
		cd "/pkg/$name" || exit 125
		. /etc/vmtest/env
		exec "./$name.test" "$@"
	) </dev/null 2>&1
	rc=$?
	echo "VMTEST-END $name $(cut -d' ' -f1 /proc/uptime)"
	echo "VMTEST-RESULT $name $rc"
done
echo "VMTEST-DONE $(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
# Not reached; if it is, init exits, the kernel panics and panic=-1 with
# qemu -no-reboot ends the VM.
sleep 5
