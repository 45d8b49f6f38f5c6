#!/usr/bin/env bash
# The whole test suite: formatting, vet, the tests under the race detector,
# and a short run of every fuzz target. Run as root: the end-to-end tests
# build network namespaces and TUN devices (they skip, saying why, otherwise).
#
#   sudo ./scripts/test.sh            # everything
#   FUZZTIME=1000000x ./scripts/test.sh    # longer fuzzing
#
# The fuzz budget is a count of executions, not a duration: with a duration,
# Go 1.26's fuzz coordinator can report its own deadline as a failure
# ("context deadline exceeded", no crasher written; golang/go#75804, fixed in
# Go 1.27). A count never arms that deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-20000x}

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n $unformatted ]]; then
    echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

echo "== fuzz ($FUZZTIME per target)"
for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
        echo "-- $pkg $target"
        go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/stt-fuzz.log 2>&1 || { cat /tmp/stt-fuzz.log; exit 1; }
    done
done
echo "== all tests passed"
