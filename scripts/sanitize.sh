#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own scratch directory (.build-<sanitizer>) so the
# normal build is untouched.
#
#   scripts/sanitize.sh [address|thread|undefined|all] [swift test arguments...]
#
# address:   AddressSanitizer (heap/stack overflows, use after free) over the whole suite.
# thread:    ThreadSanitizer, for the engine's concurrent flush and dispatch (and verify's
#            parallel commitlog pass); run it with --filter on those suites when the full suite
#            is too slow.
# undefined: UBSan (few checks apply to Swift; mostly the C shims and zlib/ISA-L callers).
# Prints the wall time of each run; exit status is the first failing run's.
set -uo pipefail
cd "$(dirname "$0")/.."

mode="${1:-address}"
shift || true
case "$mode" in
  all) sanitizers=(address thread) ;;
  address|thread|undefined) sanitizers=("$mode") ;;
  *) echo "usage: $0 [address|thread|undefined|all] [swift test arguments...]" >&2; exit 64 ;;
esac

status=0
for sanitizer in "${sanitizers[@]}"; do
  scratch=".build-$sanitizer"
  echo "== $sanitizer: building ($scratch)"
  start=$(date +%s)
  if ! swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | grep -E 'error:|warning: .*sanitiz|Compiling|Build complete' | grep -v Compiling; then
    :
  fi
  built=$(date +%s)
  echo "== $sanitizer: testing"
  # halt_on_error: the first report fails the run; detect_leaks=0: the Swift runtime keeps
  # metadata caches alive for the process lifetime, which LeakSanitizer reports as leaks.
  ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0}" \
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}" \
    swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@" 2>&1 | tee "$scratch/sanitize.log" \
    | grep -E 'Sanitizer|SUMMARY|✘|Test run with|Executed'
  result=${PIPESTATUS[0]}
  end=$(date +%s)
  echo "== $sanitizer: exit $result, build $((built - start)) s, tests $((end - built)) s (log: $scratch/sanitize.log)"
  if [ "$result" -ne 0 ] && [ "$status" -eq 0 ]; then status=$result; fi
done
exit "$status"
