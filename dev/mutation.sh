#!/usr/bin/env bash
# Mutation testing of the job client (a dev command, not run in CI): renders one plugin from this working tree and
# runs mutmut on its job_client/ against the plugin's own job-client tests. Results: benchmarks/MUTATION.md.
#
#   dev/mutation.sh [WORK_DIR]                 # every module of job_client/
#   MUTATE="client.py paths.py" dev/mutation.sh  # only these modules (space-separated, under job_client/)
#   PRESET=dashscope TOOLS=text2image dev/mutation.sh  # another preset / tools (default: modelscope with
#                                              # text2image and image_edit, so that job_client/inputs.py is reached)
#   JOBS=10 dev/mutation.sh                    # workers (default 2): the tests mostly wait on local HTTP, so 10
#                                              # kept 2 cores near load 3 and ran ~60 mutants a minute
#
# Needs mutmut (requirements-dev.txt). Takes long: each mutant reruns the tests that reach the mutated function.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
WORK="${1:-$(mktemp -d -t mutation-XXXXXX)}"
PLUGIN="$WORK/plugin"
PRESET="${PRESET:-modelscope}"
TOOLS="${TOOLS:-text2image image_edit}"
MUTATE="${MUTATE:-}"
JOBS="${JOBS:-2}"

rm -rf "$PLUGIN"
TOOLS_JSON="[$(printf '"%s",' $TOOLS | sed 's/,$//')]"
"$(dirname "$PY")/copier" copy --trust --defaults --quiet "$ROOT" "$PLUGIN" --data "api_preset=$PRESET" \
  --data "tools=$TOOLS_JSON"

# The tests that exercise job_client/ in-process; the ones that start processes (the daemon protocol, try.py,
# signing, chatflow) add minutes per mutant and reach no code these do not.
TESTS="tests/test_job_client.py tests/test_policies.py tests/test_client_rules.py tests/test_api_vocabulary.py"
TESTS="$TESTS tests/test_fake_provider.py"
TESTS="$TESTS tests/test_inputs.py tests/test_models.py tests/test_dify_glue.py tests/test_job_client_imports.py"
for optional in tests/test_image_edit.py tests/test_image2video.py tests/test_video_tools.py; do
  if [ -f "$PLUGIN/$optional" ]; then TESTS="$TESTS $optional"; fi
done
{
  echo "[mutmut]"
  echo "source_paths = job_client/"
  if [ -n "$MUTATE" ]; then
    echo "only_mutate ="
    for module in $MUTATE; do echo "  job_client/$module"; done
  fi
  echo "also_copy ="
  for path in scripts/ tools/ provider/ _assets/ manifest.yaml main.py pytest.ini requirements.txt; do
    echo "  $path"
  done
  echo "pytest_add_cli_args_test_selection ="
  for test in $TESTS; do echo "  $test"; done
  echo "pytest_add_cli_args ="
  echo "  -p"
  echo "  no:randomly"
} > "$PLUGIN/setup.cfg"

cd "$PLUGIN"
"$PY" -m mutmut run --max-children "$JOBS" || true
"$PY" -m mutmut results --all true > "$WORK/results.txt" || true
echo "mutmut results: $WORK/results.txt (plugin: $PLUGIN)"
