#!/usr/bin/env node

// Op fuzzing beyond the CI set: random GruOp / LstmOp / RnnOp cases (test/helpers/op-fuzzer.js)
// for a time budget, each of which must work or throw an Error. The seed of every case is
// printed on failure, and the first seed of the run at the start, so any run reproduces:
//   node scripts/fuzz-ops.js [--seconds 60] [--seed N] [--cases N]   (or npm run fuzz -- ops ...)
// Uses the built library (dist/, `npm run build:ts`) and addon. A case that takes over 1 s is a
// failure too (the issue's bound for a case to work or throw); on a machine shared with other
// jobs, rerun such a seed alone before believing it.
const path = require('node:path');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : fallback;
};
const seconds = arg('seconds', 60);
const first = arg('seed', (Date.now() % 1e9) + 1e6); // above the CI set's seeds 1..5000
const maxCases = arg('cases', Infinity);

const root = path.join(__dirname, '..');
const lib = require(path.join(root, 'dist'));
const { referenceForward } = require(path.join(root, 'dist', 'ops', 'reference'));
const { makeCase, runCase } = require(path.join(root, 'test', 'helpers', 'op-fuzzer.js'));

async function main() {
  console.log(`fuzz-ops: first seed ${first}, budget ${seconds} s${Number.isFinite(maxCases) ? `, at most ${maxCases} cases` : ''}`);
  const tally = new Map();
  const started = Date.now();
  let slowest = { ms: 0, seed: first };
  let failures = 0;
  let n = 0;
  for (let seed = first; n < maxCases && Date.now() - started < seconds * 1000; seed++, n++) {
    const c = makeCase(seed);
    const t0 = process.hrtime.bigint();
    try {
      const outcome = await runCase({ ...lib, referenceForward }, c);
      tally.set(outcome, (tally.get(outcome) || 0) + 1);
    } catch (e) {
      failures++;
      console.log(`FAIL ${e.message}`);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > slowest.ms) slowest = { ms, seed };
    if (ms > 1000) {
      failures++;
      console.log(`FAIL op fuzz seed ${seed} (${c.cell}, ${c.kind}): took ${ms.toFixed(0)} ms`);
    }
  }
  const s = (Date.now() - started) / 1000;
  const outcomes = [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(`fuzz-ops: ${n} cases (seeds ${first}..${first + n - 1}) in ${s.toFixed(1)} s: ${outcomes}`);
  console.log(
    `fuzz-ops: slowest case ${slowest.ms.toFixed(1)} ms (seed ${slowest.seed}); rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(`fuzz-ops: ${failures ? `${failures} FAILED` : 'no failures'}`);
  process.exitCode = failures ? 1 : 0;
}

main();
