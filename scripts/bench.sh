#!/usr/bin/env bash
# Measures Quarry against Pebble on this machine and prints one table;
# the JSON results go under results/. Takes about three minutes. Extra
# arguments go to the benchmark (e.g. --duration 30s, --cpuprofile FILE);
# see `go run ./test/bench --help`.
set -euo pipefail

cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v pebble >/dev/null 2>&1; then
	echo "bench: pebble is not installed; run scripts/deps.sh as root" >&2
	exit 1
fi

exec go run ./test/bench --out results "$@"
