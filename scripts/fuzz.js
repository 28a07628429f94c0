#!/usr/bin/env node

// `npm run fuzz`: runs every scripts/fuzz-*.js in turn (fuzz-ops.js: the operators; fuzz-onnx.js:
// the ONNX loader; fuzz-reliability.js: lying model files, per-run growth, long tokens, shared-memory
// races) with its own defaults, each in its own node process so that a crash is
// reported as that script's. The scripts take different arguments, so to pass some, name one:
//   npm run fuzz                                  every fuzzer, default budgets
//   npm run fuzz -- ops --seconds 120 --seed 7    scripts/fuzz-ops.js with these arguments
//   npm run fuzz -- onnx 20000 42                 scripts/fuzz-onnx.js [cases] [seed]
//   npm run fuzz -- reliability 200 7             scripts/fuzz-reliability.js [cases per class] [seed]
// Exit status: non-zero when any of them failed.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const all = fs
  .readdirSync(__dirname)
  .filter((f) => /^fuzz-.+\.js$/.test(f))
  .sort();
const [name, ...rest] = process.argv.slice(2);
let runs = all.map((file) => [file, []]);
if (name !== undefined) {
  const file = `fuzz-${name}.js`;
  if (!all.includes(file)) {
    console.error(`fuzz: no scripts/${file}; the fuzzers are ${all.map((f) => f.slice(5, -3)).join(', ')}`);
    process.exit(2);
  }
  runs = [[file, rest]];
}
let failed = 0;
for (const [file, args] of runs) {
  console.log(`\n== ${file} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`== ${file} FAILED (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`})`);
  }
}
console.log(`\n${runs.length} fuzz script(s), ${failed} failed`);
process.exit(failed ? 1 : 0);
