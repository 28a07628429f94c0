#!/usr/bin/env bash
# Cross-compiles the linux-arm64 prebuild on an x86-64 Debian/Ubuntu machine with Debian's aarch64
# toolchain, then loads it and runs the operator tests under qemu-user with an arm64 Node.
#
#   apt-get install -y g++-aarch64-linux-gnu qemu-user cmake
#   ARM64_NODE_ROOT=/path/to/arm64/root bash scripts/prebuild-linux-arm64.sh
#
# ARM64_NODE_ROOT is a folder holding an arm64 Node (usr/bin/node) and its libraries. Debian's
# nodejs:arm64 cannot be installed beside an amd64 nodejs, so unpack it instead:
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get download nodejs:arm64 libnode108:arm64 libuv1:arm64 libbrotli1:arm64 libc-ares2:arm64 \
#     libicu72:arm64 libssl3:arm64 zlib1g:arm64 libnghttp2-14:arm64 libc6:arm64 libstdc++6:arm64 \
#     libgcc-s1:arm64 node-acorn node-cjs-module-lexer node-undici
#   for f in *.deb; do dpkg-deb -x "$f" "$ARM64_NODE_ROOT"; done
# Without ARM64_NODE_ROOT the binary is built and its architecture checked, but not run.
set -euo pipefail
cd "$(dirname "$0")/.."

out=prebuilds/linux-arm64
build=build-arm64
npx cmake-js compile --out "$build" --CDCMAKE_BUILD_TYPE=Release --CDGATEDRNN_OPENMP=OFF \
  --CDCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake"
mkdir -p "$out"
cp "$build/Release/gatedrnn.node" "$out/gatedrnn.node.tmp"
mv "$out/gatedrnn.node.tmp" "$out/gatedrnn.node"
file "$out/gatedrnn.node" | grep -q 'ARM aarch64' || { echo "prebuild-linux-arm64: $out/gatedrnn.node is not an aarch64 binary" >&2; exit 1; }
echo "prebuild-linux-arm64: wrote $out/gatedrnn.node ($(stat -c %s "$out/gatedrnn.node") bytes)"

if [[ -z "${ARM64_NODE_ROOT:-}" ]]; then
  echo "prebuild-linux-arm64: ARM64_NODE_ROOT is not set: the binary was not run"
  exit 0
fi
qemu="$(command -v qemu-aarch64 || command -v qemu-aarch64-static)"
node_arm64() { QEMU_LD_PREFIX="$ARM64_NODE_ROOT" "$qemu" -L "$ARM64_NODE_ROOT" "$ARM64_NODE_ROOT/usr/bin/node" "$@"; }

# The loader must pick the prebuild by itself (no GATEDRNN_ADDON), as in a user's install.
node_arm64 -e "const g = require('./dist'); const i = g.backendInfo(); if (process.arch !== 'arm64' || i.isa !== 'neon') throw new Error('expected arm64 and NEON, got ' + process.arch + ' ' + i.isa); console.log('prebuild-linux-arm64: loads under qemu:', JSON.stringify(i))"
# The operator tests: kernels against the reference, attributes, the ONNX conformance cases, the
# errors. They are compiled here (host tsc) and run in band under qemu (jest's workers would start
# the arm64 node outside qemu). onnxruntime-node's own arm64 binary crashes under qemu-user, so a
# stand-in that throws when used replaces it: these suites import it only through shared helpers.
tests=build-arm64/tests
rm -rf "$tests"
node node_modules/typescript/bin/tsc -p tsconfig.test.json --noEmit false --outDir "$tests"
ln -s "$PWD/test/fixtures" "$tests/test/fixtures"
ln -s "$PWD/node_modules" "$tests/node_modules"
ln -s "$PWD/prebuilds" "$tests/prebuilds"
cp package.json "$tests/package.json"
config='{"testEnvironment":"node","transform":{},"testMatch":["**/test/*.test.js"],"testTimeout":600000,
  "moduleNameMapper":{"^onnxruntime-node$":"'"$PWD"'/scripts/ort-unavailable.js"}}'
files=()
for t in ${ARM64_TESTS:-kernels attributes conformance errors}; do files+=("test/$t.test.js"); done
(cd "$tests" && node_arm64 node_modules/jest/bin/jest.js --ci --runInBand --rootDir . --config "$config" "${files[@]}")
