/**
 * The package as a user meets it: the compiled dist/ entry points from `require` and `import`,
 * the addon loader's error, and backendInfo().
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendInfo } from '../lib';
import { candidatePaths, platformTag } from '../lib/native';

const root = path.resolve(__dirname, '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const snippet = `
  const H = 4, I = 3;
  const t = (dims) => ({ type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b)).fill(0.1), dims });
  const op = new GruOp({ W: t([1, 3 * H, I]), R: t([1, 3 * H, H]) });
  const { Y, Y_h } = op.run({ X: t([2, 1, I]) });
  console.log(JSON.stringify({ y: Y.dims, h: Y_h.dims, isa: backendInfo().isa, cuda: backendInfo().cuda }));
`;

test('require("gatedrnn") works from the compiled package', () => {
  const out = JSON.parse(node(['-e', `const { GruOp, backendInfo } = require(${JSON.stringify(root)});${snippet}`]));
  expect(out).toEqual({ y: [2, 1, 1, 4], h: [1, 1, 4], isa: backendInfo().isa, cuda: backendInfo().cuda });
});

test('import { GruOp } from "gatedrnn" works from the compiled package', () => {
  const entry = JSON.stringify(path.join(root, 'dist', 'index.mjs'));
  const out = JSON.parse(node(['--input-type=module', '-e', `import { GruOp, backendInfo } from ${entry};${snippet}`]));
  expect(out.h).toEqual([1, 1, 4]);
});

test('backendInfo describes the loaded addon', () => {
  const info = backendInfo();
  expect(['avx512', 'avx2', 'neon', 'scalar']).toContain(info.isa);
  expect(info.supportedIsas[0]).toBe(info.isa);
  expect(info.threads).toBeGreaterThanOrEqual(1);
  expect(typeof info.openmp).toBe('boolean');
  // true exactly where the addon was built with CUDA and sees a GPU.
  expect(info.cuda).toBe(info.cudaInfo.built && info.cudaInfo.devices > 0);
  expect(info.version).toBe(require('../package.json').version);
});

test('GATEDRNN_ISA forces the kernels at load', () => {
  const code = `console.log(require(${JSON.stringify(root)}).backendInfo().isa)`;
  const out = execFileSync(process.execPath, ['-e', code], { env: { ...process.env, GATEDRNN_ISA: 'scalar' }, encoding: 'utf8' });
  expect(out.trim()).toBe('scalar');
});

test('the loader looks for a prebuild for this platform first, then the local build', () => {
  const paths = candidatePaths();
  expect(paths[0]).toBe(path.join(root, 'prebuilds', platformTag(), 'gatedrnn.node'));
  expect(paths[1]).toBe(path.join(root, 'build', 'Release', 'gatedrnn.node'));
});

test('when no binary loads, the error lists what was tried and the fix', () => {
  // A copy of the loader in a folder with no binaries beside it.
  const fs = require('node:fs') as typeof import('fs');
  const os = require('node:os') as typeof import('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-loader-'));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.copyFileSync(path.join(root, 'dist', 'native.js'), path.join(dir, 'dist', 'native.js'));
  let message = '';
  try {
    node(['-e', `require(${JSON.stringify(path.join(dir, 'dist', 'native.js'))}).binding()`]);
  } catch (err) {
    message = String((err as { stderr: string }).stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(message).toContain('gatedrnn: could not load the native addon');
  expect(message).toContain(path.join('prebuilds', platformTag(), 'gatedrnn.node') + ': not found');
  expect(message).toContain(path.join('build', 'Release', 'gatedrnn.node') + ': not found');
  expect(message).toContain('npm rebuild gatedrnn');
});

test('the package holds what a user needs and nothing dev-only', () => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
  for (const need of [
    'LICENSE',
    'README.md',
    'package.json',
    'bin/gatedrnn.js',
    'dist/index.js',
    'dist/index.mjs',
    'dist/index.d.ts',
    'binding.d.ts',
    'CMakeLists.txt',
    'scripts/install.js',
    'examples/server/server.js',
    'docs/operators.md',
  ]) {
    expect(files).toContain(need);
  }
  // Every source of the build (native/ but its standalone test program), so `npm rebuild` compiles.
  const sources = (fs.readdirSync(path.join(root, 'native'), { recursive: true }) as string[])
    .map((f) => path.posix.join('native', f.split(path.sep).join('/')))
    .filter((f) => /\.(cc|cu|cuh|h|inc|cmake)$/.test(f) && !f.startsWith('native/test/'));
  expect(sources).toContain('native/napi/module.cc');
  expect(sources.filter((f) => !files.includes(f))).toEqual([]);
  expect(files.filter((f) => /^(test|bench|native\/test|\.github|\.ci)\//.test(f) || /^scripts\/(?!install\.js$)/.test(f))).toEqual([]);
  // No runtime dependencies: a prebuilt binary loads with nothing else; building from source asks
  // for its tools (optional peers) by name.
  const pkg = require('../package.json');
  expect(pkg.dependencies ?? {}).toEqual({});
  for (const tool of ['cmake-js', 'node-addon-api', 'node-api-headers']) expect(pkg.peerDependenciesMeta[tool]).toEqual({ optional: true });
});

test('with no prebuild that loads and no build tools, the install names the packages to add', () => {
  const fs = require('node:fs') as typeof import('fs');
  const os = require('node:os') as typeof import('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-install-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(root, 'scripts', 'install.js'), path.join(dir, 'scripts', 'install.js'));
  let result: { status: number | null; stderr: string };
  try {
    result = require('node:child_process').spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], {
      cwd: dir,
      encoding: 'utf8',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`there is no prebuilt binary for ${process.platform}-${process.arch} that loads here`);
  expect(result.stderr).toContain('npm install --save-dev cmake-js node-addon-api node-api-headers\n  npm rebuild gatedrnn');
});
