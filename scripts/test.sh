#!/usr/bin/env bash
# make test: every host test (unit, integration, tshark conformance, netns
# fault tests), then the kernel SCTP suites (transport, mxua, enrp, asap, gwc, sg) in the
# qemu VM, then the interop cases against RSPLIB and osmo-stp (scripts/interop.sh).
# Prints package results and failures, and ends with one totals line.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

logdir=$(mktemp -d "${TMPDIR:-/tmp}/sigpool-test.XXXXXX")
trap 'rm -rf "$logdir"' EXIT
log=$logdir/host.log

# SIGPOOL_REQUIRE_TOOLS turns a missing tshark, nft or root into a failure
# instead of a skip, so conformance and fault tests always run here and in CI.
echo "test: go test ./... (host)"
SIGPOOL_REQUIRE_TOOLS=1 go test -count=1 -v ./... >"$log" 2>&1
host_rc=$?
grep -E '^(ok|FAIL|panic:)|^\s*--- FAIL' "$log"
if [ "$host_rc" -ne 0 ]; then
	echo "test: host failures in detail:"
	# A failing test's messages sit between its RUN line and its result.
	awk '/^=== RUN/{buf=""} {buf=buf $0 "\n"} /^\s*--- FAIL/{printf "%s", buf; buf=""} /^(panic:|FAIL\s)/{print}' "$log" | tail -n 300
fi
h_pass=$(grep -cE '^\s*--- PASS' "$log")
h_fail=$(grep -cE '^\s*--- FAIL' "$log")
h_skip=$(grep -cE '^\s*--- SKIP' "$log")
[ "$host_rc" -eq 0 ] || [ "$h_fail" -gt 0 ] || h_fail=1 # a build failure or panic counts

echo "test: kernel SCTP suites (qemu VM)"
log=$logdir/vm.log
VMTEST_QUIET=${VMTEST_QUIET:-1} scripts/vmtest.sh | tee "$log"
vm_rc=${PIPESTATUS[0]}
read -r v_pass v_fail v_skip < <(sed -n 's/^vmtest: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
v_pass=${v_pass:-0} v_fail=${v_fail:-0} v_skip=${v_skip:-0}
[ "$vm_rc" -eq 0 ] || [ "$v_fail" -gt 0 ] || v_fail=1 # the VM gave no result

echo "test: interoperability with RSPLIB and osmo-stp over kernel SCTP (qemu VM)"
log=$logdir/interop.log
scripts/interop.sh | tee "$log"
io_rc=${PIPESTATUS[0]}
read -r i_pass i_fail i_skip < <(sed -n 's/^interop: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
i_pass=${i_pass:-0} i_fail=${i_fail:-0} i_skip=${i_skip:-0}
[ "$io_rc" -eq 0 ] || [ "$i_fail" -gt 0 ] || i_fail=1 # the harness failed

# What the failing tests said last, repeated here so that the end of the
# output (often all a CI page shows) says why: their file:line messages,
# without the peers' output attached beneath them.
if [ $((h_fail + v_fail + i_fail)) -gt 0 ]; then
	echo "test: why (the failing tests' last messages):"
	for l in "$logdir"/host.log "$logdir"/vm.log "$logdir"/interop.log; do
		[ -f "$l" ] || continue
		awk '/^=== RUN/{buf=""} {buf=buf $0 "\n"} /^\s*--- FAIL/{printf "%s", buf; buf=""}' "$l" |
			grep -E '^\s+[A-Za-z0-9_]+_test\.go:[0-9]+: ' | grep -vE ': (started |INTEROP-FIGURE|---- )' | tail -n 6
		grep -E '^panic: ' "$l" | head -n 2
	done | cut -c1-400 | sed 's/^\s*/test:   /'
fi
echo "test: $((h_pass + v_pass + i_pass)) passed, $((h_fail + v_fail + i_fail)) failed, $((h_skip + v_skip + i_skip)) skipped"
[ "$host_rc" -eq 0 ] && [ "$vm_rc" -eq 0 ] && [ "$io_rc" -eq 0 ]
