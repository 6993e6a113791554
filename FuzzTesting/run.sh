#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time, then prints one line per target:
# executions, new corpus size, crashes. Exit status 1 when any target crashed, 2 when the
# toolchain cannot build fuzz targets (no libFuzzer), 0 otherwise.
#
#   FuzzTesting/run.sh [seconds-per-target] [target...]
#
# Environment: FUZZ_JOBS (parallel targets, default 1), FUZZ_WORK (work dir, default
# .build/fuzz-work), FUZZ_CONFIGURATION (release|debug, default release).
# Crashing inputs are kept in $FUZZ_WORK/<target>/crashes/; the grown corpus in
# $FUZZ_WORK/<target>/corpus/ (seeded from Seeds/<target>/ on every run).
set -uo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
shift || true
all_targets=(FuzzRecord FuzzCommitLogFile FuzzConsumeQueue FuzzIndexFile FuzzCheckpoint FuzzConfigJSON
             FuzzProperties FuzzMessageId FuzzBodyDecompression)
[ $# -gt 0 ] && targets=("$@") || targets=("${all_targets[@]}")
configuration="${FUZZ_CONFIGURATION:-release}"
# A trap must reach libFuzzer's handler directly: the Swift backtracer reading memory under
# ASan adds a second, misleading report.
export SWIFT_BACKTRACE=enable=no
# No allocation/free stacks in ASan reports: recording one per malloc was a fifth of a run's
# time. Detection is unchanged; rerun a saved crash input with ASAN_OPTIONS= for full stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS-malloc_context_size=0}"
work="${FUZZ_WORK:-$PWD/.build/fuzz-work}"
mkdir -p "$work"

# Probe: can this toolchain link a libFuzzer binary at all?
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
cat > "$probe_dir/probe.swift" <<'SWIFT'
@_cdecl("LLVMFuzzerTestOneInput")
public func probe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { 0 }
SWIFT
if ! swiftc -sanitize=fuzzer,address -parse-as-library "$probe_dir/probe.swift" -o "$probe_dir/probe" >"$probe_dir/log" 2>&1; then
  echo "fuzz: SKIPPED: this Swift toolchain cannot build libFuzzer targets (swiftc -sanitize=fuzzer failed):"
  tail -3 "$probe_dir/log" | sed 's/^/  /'
  exit 2
fi

echo "fuzz: building ${#targets[@]} targets ($configuration, -sanitize=fuzzer,address)"
if ! swift build -c "$configuration" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
     >"$work.build.log" 2>&1 < /dev/null; then
  mkdir -p "$(dirname "$work")"
  grep -E 'error:' "$work.build.log" | head -20
  echo "fuzz: build failed (log: $work.build.log)"
  exit 3
fi
bin="$(swift build -c "$configuration" --show-bin-path)"

run_target() {
  local target="$1" dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/crashes"
  [ -d "Seeds/$target" ] && cp -n Seeds/"$target"/* "$dir/corpus/" 2>/dev/null
  # -timeout: an input taking longer than 10 s is a hang and counts as a crash.
  # -rss_limit_mb / -malloc_limit_mb: runaway allocation counts as a crash too.
  # Records and files beyond a few KiB only add body bytes: keep inputs small for speed.
  local max_len=4096
  case "$target" in FuzzRecord) max_len=8192 ;; FuzzCommitLogFile) max_len=16384 ;; FuzzIndexFile) max_len=16384 ;; esac
  "$bin/$target" "$dir/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$dir/crashes/" \
    >"$dir/log" 2>&1
  local status=$?
  local runs crashes corpus
  runs=$(grep -E '^stat::number_of_executed_units:' "$dir/log" | awk '{print $2}')
  corpus=$(ls "$dir/corpus" | wc -l)
  crashes=$(ls "$dir/crashes" | wc -l)
  printf '%-24s executions %12s  corpus %6s  crash files %3s  exit %s\n' "$target" "${runs:-?}" "$corpus" "$crashes" "$status"
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR: |fuzz property violated|Fatal error|SUMMARY' "$dir/log" | head -5 | sed 's/^/    /'
    return 1
  fi
}

failed=0
jobs="${FUZZ_JOBS:-1}"
if [ "$jobs" -gt 1 ]; then
  pids=()
  for target in "${targets[@]}"; do
    run_target "$target" > "$work.$target.summary" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  for target in "${targets[@]}"; do cat "$work.$target.summary"; rm -f "$work.$target.summary"; done
else
  for target in "${targets[@]}"; do run_target "$target" || failed=1; done
fi
if [ "$failed" -ne 0 ]; then echo "fuzz: CRASHES found (inputs under $work/*/crashes/)"; exit 1; fi
echo "fuzz: no crashes"
