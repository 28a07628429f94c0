// Two one-thread jobs side by side against the same two jobs one after another on two threads:
// the choice `compare --claims` makes for its training jobs. Alternates the two layouts and
// prints the wall time of each round. Needs `npm run build:ts` (it runs dist/).

const { fork } = require('node:child_process');
const path = require('node:path');

const jobs = [
  {
    kind: 'lag',
    task: 'adding',
    lag: 50,
    cell: 'gru',
    units: 37,
    seed: 1,
    updates: 400,
    batchSize: 32,
    learningRate: 0.01,
    testCount: 200,
  },
  {
    kind: 'lag',
    task: 'adding',
    lag: 50,
    cell: 'lstm',
    units: 32,
    seed: 1,
    updates: 400,
    batchSize: 32,
    learningRate: 0.01,
    testCount: 200,
  },
];
const worker = path.join(__dirname, '..', 'dist', 'compare', 'claims-worker.js');

function run(threads, list) {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { env: { ...process.env, GATEDRNN_THREADS: String(threads) } });
    const out = [];
    const next = () => {
      if (out.length === list.length) {
        child.kill();
        resolve(out);
      } else {
        child.send(list[out.length]);
      }
    };
    child.on('message', (m) => {
      if (m.ok) {
        out.push(m.result);
        next();
      } else {
        reject(new Error(m.error));
      }
    });
    next();
  });
}

async function main() {
  const rounds = Number(process.argv[2] || 3);
  const ms = { side: [], serial: [] };
  for (let r = 0; r < rounds; r++) {
    for (const layout of r % 2 === 0 ? ['side', 'serial'] : ['serial', 'side']) {
      const t0 = performance.now();
      if (layout === 'side') await Promise.all(jobs.map((j) => run(1, [j])));
      else await run(2, jobs);
      ms[layout].push(performance.now() - t0);
    }
  }
  const gm = (v) => Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
  console.log(`two one-thread jobs side by side: ${ms.side.map((x) => (x / 1000).toFixed(2)).join(', ')} s`);
  console.log(`one two-thread job after another: ${ms.serial.map((x) => (x / 1000).toFixed(2)).join(', ')} s`);
  console.log(`side by side / serial (geometric mean): ${(gm(ms.side) / gm(ms.serial)).toFixed(3)}`);
}
main();
