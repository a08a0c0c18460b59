#!/usr/bin/env bash
# The whole test suite: template questions and renderings, packaging, examples drift,
# each example's own tests, update round trip. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
# pytest.ini says -n auto; most tests wait on subprocesses and fake jobs, so one worker more than there are cores
# keeps the cores busy (on 2 cores: 5.1 min instead of 5.6-6.0 min).
export PYTEST_XDIST_AUTO_NUM_WORKERS="${PYTEST_XDIST_AUTO_NUM_WORKERS:-$(( $(nproc) + 1 ))}"
set +e
"$PY" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
