#!/usr/bin/env bash
# npm run test:valgrind: a short valgrind memcheck run of GRU/LSTM calls through the addon
# (scripts/valgrind-ops.js over dist/ and build/Release), once with the kernels valgrind's CPU
# model offers (it hides AVX-512, so AVX2) and once with the scalar kernels. Fails on any invalid
# access or use of uninitialised memory outside the suppressions for node/V8 internals
# (scripts/valgrind.supp), and on memory definitely or indirectly lost. Takes about a minute per
# pass: node runs some 50 times slower under memcheck. Needs valgrind (apt-get install valgrind).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
mkdir -p build/valgrind
failed=0
for isa in default scalar; do
  log="build/valgrind/$isa.log"
  printf '\n==== memcheck, %s kernels (log: %s) ====\n' "$isa" "$log"
  isa_env=()
  [[ $isa == default ]] || isa_env=("GATEDRNN_ISA=$isa")
  set +e
  env "${isa_env[@]}" \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
      --suppressions=scripts/valgrind.supp --num-callers=30 --error-exitcode=1 \
      node --expose-gc scripts/valgrind-ops.js >"$log" 2>&1
  rc=$?
  set -e
  grep -E 'valgrind-ops:|ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$log" | sed 's/^==[0-9]*== *//'
  if [[ $rc -ne 0 ]]; then
    failed=1
    echo "-- $isa: FAIL (exit $rc); reports naming gatedrnn:"
    grep -n 'gatedrnn' "$log" | head -n 20 || true
  else
    echo "-- $isa: PASS"
  fi
done
exit "$failed"
