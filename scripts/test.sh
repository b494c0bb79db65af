#!/usr/bin/env bash
# The one test command: installs dependencies, vets, then runs every test,
# interop suites included. CI=true makes service-dependent tests fail
# instead of skipping (set CI=false to let them skip).
set -euo pipefail

cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
export CI="${CI:-true}"
# The PostgreSQL storage tests create (and drop) a database each on this server.
if [ "$CI" = "true" ]; then
	export QUARRY_TEST_POSTGRES="${QUARRY_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
fi

scripts/deps.sh
echo "test: go vet ./..."
go vet ./...
echo "test: go test -race -count=1 -timeout 30m ./..."
go test -race -count=1 -timeout 30m ./...
