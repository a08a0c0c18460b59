#!/usr/bin/env bash
# The main job: render every example from its answers file, run its own tests, check it, package it into
# dist/, then try the Qwen example end to end against its embedded fake provider (the image lands in dist/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
export PYTHONDONTWRITEBYTECODE=1  # keep the committed examples free of caches
mkdir -p dist

"$PY" dev/render_examples.py
for answers in examples/*.yml; do
  example="examples/$(basename "$answers" .yml)"
  echo "== $example: tests"
  (cd "$example" && "$PY" -m pytest -q -p no:cacheprovider)
  echo "== $example: check"
  (cd "$example" && "$PY" scripts/check.py .)
  echo "== $example: package"
  (cd "$example" && "$PY" scripts/package.py --output-dir "$ROOT/dist")
done

echo "== examples/qwen_text2image: try-run against the fake provider"
(cd examples/qwen_text2image && "$PY" scripts/try.py "a golden cat on a red sofa" --fake --out "$ROOT/dist/try-qwen_text2image")
echo "main job done: packages, chatflows and the try-run image are in dist/"
