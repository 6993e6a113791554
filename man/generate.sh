#!/usr/bin/env bash
# Regenerates the per-subcommand pages from the CLI's own help text (swift-argument-parser's
# generate-manual plugin), with a pinned date so the output is reproducible. man/rmqstore.1 is
# the hand-written overview (exit status, files, examples) and is not overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package generate-manual --multi-page --date 2026-11-21 >/dev/null
out=.build/plugins/GenerateManual/outputs/rmqstore
for page in "$out"/rmqstore.*.1; do
  name=$(basename "$page")
  [ "$name" = "rmqstore.help.1" ] && continue
  cp "$page" man/
done
