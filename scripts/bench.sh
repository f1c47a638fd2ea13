#!/usr/bin/env bash
# make bench: runs every package's benchmarks and prints their figures
# (ns/op, allocs/op and the custom metrics each benchmark reports, such as
# msgs/s, p50/p99 latency and the ratio to a baseline measured in the same run).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
benchtime=${BENCHTIME:-1s}
status=0
for pkg in $(go list ./...); do
	# (grep -q would close the pipe early and trip pipefail)
	list=$(go test -list '^Benchmark' "$pkg" 2>/dev/null || true)
	grep -q '^Benchmark' <<<"$list" || continue
	echo "== $pkg"
	if ! go test -run '^$' -bench . -benchmem -benchtime "$benchtime" "$pkg" | grep -E '^(Benchmark|FAIL|---)'; then
		status=1
	fi
done
exit $status
