#!/usr/bin/env bash
# Builds and runs the standalone native test (native/test/native_test.cc: the fast forward pass
# against the scalar reference, and bf16_test.cc: the bf16-weight GEMMs against theirs, for every
# kernel table the CPU runs) without Node:
#   host     built for this machine in build/native-test/host and run here;
#   aarch64  cross-compiled with Debian's g++-aarch64-linux-gnu (cmake/aarch64-linux-gnu.cmake)
#            in build/native-test/aarch64 and run under qemu-user, so the NEON kernels get checked
#            on an x86 machine; the NEON table must be among those tested;
#   sanitize (with --sanitize) the host build with AddressSanitizer + UndefinedBehaviorSanitizer,
#            in build/native-test/host-sanitize; any report fails it.
# The output ends with one summary line per target. Exit status 0 when every target passed.
#
# Usage: scripts/native-test.sh [--sanitize | --sanitize-only] [--allow-missing-cross] [-j N]
#   --sanitize             also build and run the ASan+UBSan host test
#   --sanitize-only        build and run the ASan+UBSan host test only (npm run test:asan)
#   --allow-missing-cross  a machine without the cross toolchain or qemu skips aarch64 (exit 0
#                          for that part) instead of failing
#   -j N                   parallel build jobs (default: the number of CPUs)
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/native-test"
sanitize=0
sanitize_only=0
allow_missing_cross=0
jobs="$(nproc 2>/dev/null || echo 2)"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --sanitize-only) sanitize=1; sanitize_only=1 ;;
    --allow-missing-cross) allow_missing_cross=1 ;;
    -j) jobs="${2:?-j needs a number}"; shift ;;
    -j*) jobs="${1#-j}" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "native-test: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

summary=()   # one line per target, printed at the end
failed=0

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
section() { printf '\n==== %s ====\n' "$*"; }

# configure_and_build NAME DIR [cmake args...]: configures and builds the test program, with the
# output in DIR/build.log; sets build_time. Returns non-zero when either step fails.
configure_and_build() {
  local name="$1" dir="$2"
  shift 2
  local start log
  start="$(now)"
  mkdir -p "$dir"
  log="$dir/build.log"
  echo "-- $name: cmake -S . -B ${dir#"$root"/} -DGATEDRNN_TESTS=ON $*"
  if ! { cmake -S "$root" -B "$dir" -DGATEDRNN_TESTS=ON "$@" &&
           cmake --build "$dir" --target gatedrnn_native_test -j "$jobs"; } >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "-- $name: build FAILED (full log: ${log#"$root"/})"
    build_time="$(elapsed "$start")"
    return 1
  fi
  # Compiler warnings are worth seeing even when the build succeeds.
  grep -E 'warning:' "$log" || true
  build_time="$(elapsed "$start")"
  echo "-- $name: built in $build_time"
}

# run_test NAME DIR REQUIRED_ISA [command prefix...]: runs DIR/gatedrnn_native_test (through the
# prefix, e.g. qemu), logging to DIR/test.log, and adds NAME's summary line. REQUIRED_ISA, when
# not empty, is a kernel table that must have been tested.
run_test() {
  local name="$1" dir="$2" required="$3"
  shift 3
  local start log rc counts isas verdict time
  log="$dir/test.log"
  start="$(now)"
  set +e
  "$@" "$dir/gatedrnn_native_test" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  time="$(elapsed "$start")"
  counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
  isas="$(sed -n 's/^isa \([a-z0-9]*\): \([0-9]*\) cases$/\1 \2/p' "$log" | paste -sd, - | sed 's/,/, /g')"
  verdict=PASS
  if [[ $rc -ne 0 || -z "$counts" ]]; then
    verdict=FAIL
  fi
  if [[ -n "$required" ]] && ! grep -q "^isa $required: " "$log"; then
    verdict=FAIL
    echo "-- $name: the $required kernel table was not tested (not selected on this target)"
  fi
  if grep -qE '^(==[0-9]+==ERROR|.*runtime error:)' "$log"; then
    verdict=FAIL
    echo "-- $name: sanitizer report above"
  fi
  [[ $verdict == PASS ]] || failed=1
  summary+=("$(printf '%-15s %s  %s  [isa %s]  build %s, run %s, exit %s' \
    "$name" "$verdict" "${counts:-no result line}" "${isas:-none}" "$build_time" "$time" "$rc")")
}

if [[ $sanitize_only -eq 0 ]]; then
# ---- host ----------------------------------------------------------------------------------
section "host ($(uname -m)): build/native-test/host"
if configure_and_build host "$out/host" -DCMAKE_BUILD_TYPE=Release -DGATEDRNN_SANITIZE=OFF; then
  run_test host "$out/host" ""
else
  failed=1
  summary+=("$(printf '%-15s %s  build failed, see build/native-test/host/build.log' host FAIL)")
fi

# ---- aarch64 under qemu --------------------------------------------------------------------
section "aarch64 (cross-compiled, run under qemu-user): build/native-test/aarch64"
cross_cxx="$(command -v aarch64-linux-gnu-g++ || true)"
qemu="$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)"
sysroot=/usr/aarch64-linux-gnu
missing=()
[[ -n "$cross_cxx" ]] || missing+=("aarch64-linux-gnu-g++ (package g++-aarch64-linux-gnu)")
[[ -n "$qemu" ]] || missing+=("qemu-aarch64 (package qemu-user, or qemu-user-static)")
[[ -d "$sysroot/lib" ]] || missing+=("the arm64 sysroot $sysroot (package libc6-dev-arm64-cross)")

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "-- aarch64: cannot cross-test the NEON kernels; missing:"
  printf '     %s\n' "${missing[@]}"
  echo "   On Debian/Ubuntu: sudo apt-get install g++-aarch64-linux-gnu qemu-user"
  if [[ $allow_missing_cross -eq 1 ]]; then
    summary+=("$(printf '%-15s %s  toolchain missing (--allow-missing-cross): apt-get install g++-aarch64-linux-gnu qemu-user' aarch64 SKIPPED)")
  else
    failed=1
    summary+=("$(printf '%-15s %s  toolchain missing: apt-get install g++-aarch64-linux-gnu qemu-user (or pass --allow-missing-cross)' aarch64 FAIL)")
  fi
else
  # OpenMP when the cross compiler can build and link an OpenMP program; otherwise the build
  # uses (and this run tests) the built-in thread pool.
  mkdir -p "$out/aarch64"
  if printf '#include <omp.h>\nint main() { return omp_get_max_threads() > 0 ? 0 : 1; }\n' |
      "$cross_cxx" -fopenmp -x c++ - -o "$out/aarch64/omp-probe" >/dev/null 2>&1; then
    cross_openmp=ON
  else
    cross_openmp=OFF
    echo "-- aarch64: $cross_cxx has no OpenMP; testing the built-in thread pool"
  fi
  rm -f "$out/aarch64/omp-probe"
  echo "-- aarch64: $("$cross_cxx" --version | head -n 1); $("$qemu" --version | head -n 1); OpenMP $cross_openmp"
  if configure_and_build aarch64 "$out/aarch64" -DCMAKE_BUILD_TYPE=Release -DGATEDRNN_SANITIZE=OFF \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" -DGATEDRNN_OPENMP="$cross_openmp"; then
    run_test aarch64 "$out/aarch64" neon "$qemu" -L "$sysroot"
  else
    failed=1
    summary+=("$(printf '%-15s %s  build failed, see build/native-test/aarch64/build.log' aarch64 FAIL)")
  fi
fi

fi  # sanitize_only

# ---- host with ASan + UBSan ----------------------------------------------------------------
if [[ $sanitize -eq 1 ]]; then
  section "host with AddressSanitizer + UndefinedBehaviorSanitizer: build/native-test/host-sanitize"
  if configure_and_build sanitize "$out/host-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEDRNN_SANITIZE=ON; then
    # Every UBSan finding stops the run with a stack trace, so none can scroll by unnoticed.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
      run_test sanitize "$out/host-sanitize" ""
  else
    failed=1
    summary+=("$(printf '%-15s %s  build failed, see build/native-test/host-sanitize/build.log' sanitize FAIL)")
  fi
fi

section "summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
