#!/usr/bin/env bash
# The main job: render every example from its answers file, then for each example (in parallel, as their tests
# mostly wait on fake jobs) run its own tests, check it and package it into dist/; then try the Qwen example end
# to end against its embedded fake provider (the image lands in dist/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
export PYTHONDONTWRITEBYTECODE=1  # keep the committed examples free of caches
mkdir -p dist/logs

"$PY" dev/render_examples.py

example_job() {
  local example=$1
  echo "== $example: tests"
  (cd "$example" && "$PY" -m pytest -q -p no:cacheprovider)
  echo "== $example: check"
  (cd "$example" && "$PY" scripts/check.py .)
  echo "== $example: package"
  (cd "$example" && "$PY" scripts/package.py --output-dir "$ROOT/dist")
}

names=()
pids=()
for answers in examples/*.yml; do
  name=$(basename "$answers" .yml)
  example_job "examples/$name" > "dist/logs/$name.log" 2>&1 &
  names+=("$name")
  pids+=($!)
done
failed=()
for index in "${!pids[@]}"; do
  if ! wait "${pids[$index]}"; then failed+=("${names[$index]}"); fi
  cat "dist/logs/${names[$index]}.log"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "main job failed for: ${failed[*]} (logs in dist/logs/)" >&2
  exit 1
fi

echo "== examples/qwen_text2image: try-run against the fake provider"
(cd examples/qwen_text2image && "$PY" scripts/try.py "a golden cat on a red sofa" --fake --out "$ROOT/dist/try-qwen_text2image")
echo "main job done: packages, chatflows and the try-run image are in dist/"
