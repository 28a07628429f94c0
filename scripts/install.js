#!/usr/bin/env node
// npm install hook: use the prebuilt binary for this platform when the package ships one that
// loads, otherwise compile the addon from source with cmake-js (offline: Node-API headers come
// from the node-api-headers package). GATEDRNN_BUILD_FROM_SOURCE=1 always compiles;
// GATEDRNN_CUDA=1 compiles with the CUDA kernels (needs nvcc; prebuilds are CPU-only).
// cmake-js, node-addon-api and node-api-headers are optional peer dependencies: an install that
// uses a prebuild needs none of them, and a build from source asks for them by name.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function prebuildLoads() {
  const musl = process.platform === 'linux' && !process.report?.getReport().header.glibcVersionRuntime;
  const file = path.join(root, 'prebuilds', `${process.platform}-${process.arch}${musl ? '-musl' : ''}`, 'gatedrnn.node');
  if (!fs.existsSync(file)) return false;
  // Load it in a child process: a binary that crashes on this CPU must not take npm down with it.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).backendInfo()`], { stdio: 'ignore' });
  return r.status === 0;
}

const cuda = process.env.GATEDRNN_CUDA === '1';
if (!process.env.GATEDRNN_BUILD_FROM_SOURCE && !cuda && prebuildLoads()) {
  console.log('gatedrnn: using the prebuilt binary for this platform');
  process.exit(0);
}

const BUILD_PACKAGES = ['cmake-js', 'node-addon-api', 'node-api-headers'];
const missing = BUILD_PACKAGES.filter((name) => {
  try {
    require.resolve(`${name}/package.json`, { paths: [root] });
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  const why = cuda
    ? 'GATEDRNN_CUDA=1 builds the addon from source'
    : process.env.GATEDRNN_BUILD_FROM_SOURCE
      ? 'GATEDRNN_BUILD_FROM_SOURCE is set'
      : `there is no prebuilt binary for ${process.platform}-${process.arch} that loads here`;
  console.error(
    `gatedrnn: ${why}, and building it needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed. ` +
      `Install ${missing.length === 1 ? 'it' : 'them'} and rebuild:\n  npm install --save-dev ${missing.join(' ')}\n  npm rebuild gatedrnn\n` +
      '(a build also needs cmake >= 3.15 and a C++17 compiler).',
  );
  process.exit(1);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
// cmake-js applies --CD options only when it configures: a CUDA build always starts clean.
const args = [cmakeJs, cuda ? 'rebuild' : 'compile', '--CDCMAKE_BUILD_TYPE=Release'];
if (process.env.GATEDRNN_OPENMP === '1') args.push('--CDGATEDRNN_OPENMP=ON');
if (cuda) args.push('--CDGATEDRNN_CUDA=ON');
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '\ngatedrnn: building the native addon failed. It needs cmake >= 3.15 and a C++17 compiler ' +
      '(Debian/Ubuntu: apt-get install cmake g++ make; macOS: xcode-select --install && brew install cmake).' +
      (cuda ? ' GATEDRNN_CUDA=1 also needs the CUDA toolkit (nvcc on PATH, or CUDACXX=/path/to/nvcc).' : ''),
  );
  process.exit(r.status || 1);
}
