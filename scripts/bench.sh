#!/usr/bin/env bash
# Runs the benchmarks and prints the figures the issues ask for.
set -euo pipefail
benchtime=${BENCHTIME:-1s}
go test -run '^$' -bench . -benchmem -benchtime "$benchtime" ./... | grep -E '^(Benchmark|ok|FAIL|---|goos|cpu|pkg)|ns/op'
