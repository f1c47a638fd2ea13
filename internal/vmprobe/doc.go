// Package vmprobe holds only tests: they check, inside the qemu VM that
// scripts/vmtest.sh boots, that the image has working kernel SCTP and nftables
// before the transport suite runs there. On a host without
// SIGPOOL_TEST_TRANSPORT=sctp they skip.
package vmprobe
