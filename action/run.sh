#!/usr/bin/env bash
# The GitHub Action's step: install keraslint at the action's ref (or INPUT_VERSION), then run it.
# KERASLINT_PIP replaces "python -m pip" (tests use it to record the install instead of running it).
set -euo pipefail
pip_command=${KERASLINT_PIP:-python -m pip}
if [ -n "${INPUT_VERSION:-}" ]; then
  source="keraslint @ git+https://github.com/${ACTION_REPOSITORY}@${INPUT_VERSION}"
else
  source="${GITHUB_ACTION_PATH}"
fi
$pip_command install --disable-pip-version-check --quiet "$source[h5]"
# Word splitting of the arguments and paths is intended: they are lists.
# shellcheck disable=SC2086
keraslint ${INPUT_ARGS:-check --output-format github} ${INPUT_SRC:-.}
