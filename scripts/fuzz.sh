#!/usr/bin/env bash
# Runs every native Go fuzz target of the module (each `func FuzzXxx` in a
# _test.go file) for a bounded time, one after the other: `go test -fuzz`
# takes one target per run. A failing input is kept by Go under the
# package's testdata/fuzz/FuzzXxx/ and replays in every `go test` from then
# on: commit it with the fix. Prints executions and new interesting inputs
# per target, and exits non-zero when any target failed (status FAIL). Status
# "deadline" is the Go toolchain's own end-of-run race (see below), no failure.
#
# Usage: scripts/fuzz.sh [TARGET_REGEXP]     e.g. scripts/fuzz.sh 'Order'
#
# Environment:
#   FUZZTIME      how long each target runs (default 60s; go test -fuzztime)
#   FUZZPARALLEL  fuzzing workers per target (default 1: the machine is shared)
#   GO            the go command (default go)
set -euo pipefail
# shellcheck source=lib/on-error.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/on-error.sh"

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}
FUZZPARALLEL=${FUZZPARALLEL:-1}
filter=${1:-.}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# "dir target" per line, from the sources: no build needed to list them.
mapfile -t targets < <(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
	sed -E 's|^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+).*|\1 \2|' | sort -u | grep -E -- "$filter" || true)
if ((${#targets[@]} == 0)); then
	echo "no fuzz target matches $filter" >&2
	exit 1
fi

failed=0
summary=()
for entry in "${targets[@]}"; do
	read -r dir target <<<"$entry"
	log="$logs/$target.log"
	echo "== $target (./$dir) for $FUZZTIME"
	start=$SECONDS
	status=pass
	corpus="$dir/testdata/fuzz/$target"
	before=$(find "$corpus" -type f 2>/dev/null | wc -l)
	if ! "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" "./$dir" >"$log" 2>&1; then
		after=$(find "$corpus" -type f 2>/dev/null | wc -l)
		# Go before 1.27 can fail a target with a bare "context deadline
		# exceeded" when -fuzztime ends while a worker is busy
		# (go.dev/issue/75804): no input failed, none was written.
		if ((after == before)) && grep -qxE '[[:space:]]+context deadline exceeded' "$log" &&
			! grep -q 'Failing input written' "$log"; then
			status=deadline
		else
			status=FAIL
			failed=1
		fi
		tail -n 30 "$log"
	fi
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1 || true)
	execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
	interesting=$(sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 (corpus \2)/p' <<<"$last")
	summary+=("$(printf '%-24s %-32s %-4s %6ss %12s execs  %s new interesting' \
		"$target" "./$dir" "$status" "$((SECONDS - start))" "${execs:-?}" "${interesting:-?}")")
done

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
