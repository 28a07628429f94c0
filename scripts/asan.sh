#!/usr/bin/env bash
# npm run test:asan: native memory safety under AddressSanitizer + UndefinedBehaviorSanitizer.
#   1. the native test matrix (scripts/native-test.sh --sanitize-only: the fast forward pass
#      against the reference and the bf16 GEMMs, every kernel table this CPU runs), with leak
#      detection;
#   2. the addon itself built with both sanitizers into build-asan/ (cmake-js, GATEDRNN_SANITIZE=ON)
#      and loaded by node through GATEDRNN_ADDON, with the ASan runtime preloaded (node itself is
#      not instrumented, so the runtime must come first); under it, the jest suites of the
#      operators (errors, attributes, async, conformance, fuzzing, special values, concurrency,
#      shared-memory races on the inputs: everything but the RSS bounds, which ASan's shadow
#      memory and quarantine make meaningless, and the onnxruntime suites, whose library is not
#      ours) and of the native trainer, then 30 s of op fuzzing.
# Leak detection is off for node (V8 and node keep memory to the end by design); the native
# test and scripts/valgrind.sh check leaks. Every UBSan finding stops the process. Any sanitizer
# report fails the run. Exit status 0 when everything passed.
#
# Usage: scripts/asan.sh [--skip-native] [--fuzz-seconds N]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
skip_native=0
fuzz_seconds=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-native) skip_native=1 ;;
    --fuzz-seconds) fuzz_seconds="${2:?--fuzz-seconds needs a number}"; shift ;;
    *) echo "asan: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

summary=()
failed=0
log_dir="$root/build-asan/logs"

# check NAME LOG STATUS: a step passes when it exited 0 and its log holds no sanitizer report.
check() {
  local name="$1" log="$2" rc="$3" verdict=PASS
  if [[ $rc -ne 0 ]] || grep -qE '^==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
    verdict=FAIL
    failed=1
  fi
  summary+=("$(printf '%-22s %s  %s' "$name" "$verdict" "$(grep -E "$4" "$log" | tail -n 1 || true)")")
}

if [[ $skip_native -eq 0 ]]; then
  printf '\n==== native test matrix, ASan + UBSan ====\n'
  set +e
  bash scripts/native-test.sh --sanitize-only
  rc=$?
  set -e
  mkdir -p "$log_dir"
  cp build/native-test/host-sanitize/test.log "$log_dir/native.log" 2>/dev/null || echo "no log" >"$log_dir/native.log"
  check "native test matrix" "$log_dir/native.log" "$rc" '^[0-9]+ passed, [0-9]+ failed$'
fi

printf '\n==== addon with ASan + UBSan: build-asan/ ====\n'
mkdir -p "$log_dir"
npx cmake-js compile -O build-asan --CDCMAKE_BUILD_TYPE=RelWithDebInfo --CDGATEDRNN_SANITIZE=ON >"$log_dir/build.log" 2>&1 || {
  tail -n 30 "$log_dir/build.log"
  echo "asan: the sanitized addon did not build (log: build-asan/logs/build.log)"
  exit 1
}
# The ASan runtime that the compiler linked the addon against.
cxx="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' build-asan/CMakeCache.txt)"
libasan="$("${cxx:-c++}" -print-file-name=libasan.so)"
[[ -f "$libasan" ]] || { echo "asan: cannot find libasan.so (compiler: ${cxx:-c++})"; exit 1; }
echo "-- addon: build-asan/Release/gatedrnn.node, runtime $libasan"

sanitized() {
  LD_PRELOAD="$libasan" GATEDRNN_ADDON="$root/build-asan/Release/gatedrnn.node" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" "$@"
}

printf '\n==== jest operator and trainer suites under the sanitized addon ====\n'
suites=(test/errors.test.ts test/ops/activations.test.ts test/ops/async.test.ts test/ops/kernels.test.ts test/onnx/conformance.test.ts
  test/ops/precision.test.ts test/ops/fuzz.test.ts test/numbers.test.ts test/lifecycle.test.ts
  test/train/native.test.ts test/train/rnn.test.ts test/train/grad.test.ts test/train/model.test.ts test/ops/race.test.ts)
set +e
sanitized npx jest --runInBand --testNamePattern '^(?!memory over time)' "${suites[@]}" 2>&1 | tee "$log_dir/jest.log"
rc=${PIPESTATUS[0]}
set -e
check "jest suites" "$log_dir/jest.log" "$rc" '^Tests: '

printf '\n==== op fuzzing under the sanitized addon (%s s) ====\n' "$fuzz_seconds"
set +e
sanitized node scripts/fuzz-ops.js --seconds "$fuzz_seconds" --seed 100000000 2>&1 | tee "$log_dir/fuzz.log"
rc=${PIPESTATUS[0]}
set -e
check "op fuzzing" "$log_dir/fuzz.log" "$rc" '^fuzz-ops: [0-9]+ cases'

printf '\n==== summary ====\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
