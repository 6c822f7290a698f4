#!/usr/bin/env bash
# Configures and builds ckm (library, tools, examples, tests) in ./build.
# Extra arguments are passed to the configure step, e.g. -DCKM_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j2
