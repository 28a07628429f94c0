#!/usr/bin/env node
// `npm run prebuild`: builds a portable binary for this platform into prebuilds/<platform>-<arch>/,
// where lib/native.ts looks first. Portable means no -march=native (each ISA is chosen at run
// time) and the built-in thread pool rather than OpenMP (the default build's choice too), so the
// binary needs no libgomp on the target machine (pass --openmp for an OpenMP build). The result is checked by loading it in a fresh process.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// npm runs a script named "prebuild" before "build" on its own. `npm run build` means the local
// build, so when an ancestor process is `npm run build`, step aside. (Linux: /proc; elsewhere the
// hook just makes a prebuild too.)
function hookOfBuild() {
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; ++depth) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const i = argv.findIndex((a) => a === 'run' || a === 'run-script');
      if (i >= 0) return argv[i + 1] === 'build';
      pid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}
if (hookOfBuild()) process.exit(0);

const openmp = process.argv.includes('--openmp');
const musl = process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime;
const tag = `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-prebuild-'));

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--out', buildDir, '--CDCMAKE_BUILD_TYPE=Release', `--CDGATEDRNN_OPENMP=${openmp ? 'ON' : 'OFF'}`];
let r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status || 1);

const outDir = path.join(root, 'prebuilds', tag);
fs.mkdirSync(outDir, { recursive: true });
const target = path.join(outDir, 'gatedrnn.node');
fs.copyFileSync(path.join(buildDir, 'Release', 'gatedrnn.node'), target + '.tmp');
fs.renameSync(target + '.tmp', target);
fs.rmSync(buildDir, { recursive: true, force: true });

r = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(target)}).backendInfo())`], { encoding: 'utf8' });
if (r.status !== 0) {
  console.error(`gatedrnn: the prebuild at ${target} does not load:\n${r.stderr}`);
  process.exit(1);
}
console.log(`gatedrnn: wrote ${path.relative(root, target)} (${fs.statSync(target).size} bytes): ${r.stdout.trim()}`);
