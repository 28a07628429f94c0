#!/usr/bin/env node
'use strict';
// `npm run fuzz`: runs every scripts/fuzz-*.js in turn (the op fuzzer, the ONNX file fuzzer, ...),
// each in its own node process so that a crash is reported as that script's, with the same
// arguments (e.g. --seconds 120 --seed 7). Exit status: non-zero when any of them failed.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const scripts = fs
  .readdirSync(__dirname)
  .filter((f) => /^fuzz-.+\.js$/.test(f))
  .sort();
let failed = 0;
for (const file of scripts) {
  console.log(`\n== ${file} ${process.argv.slice(2).join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, file), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`== ${file} FAILED (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`})`);
  }
}
console.log(`\n${scripts.length} fuzz script(s), ${failed} failed`);
process.exit(failed ? 1 : 0);
