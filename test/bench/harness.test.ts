/**
 * The bench's own machinery, on tiny sizes: the contention tables run every scenario and leave
 * no busy-looping process behind; bench:train names PyTorch's BLAS and refuses the reference
 * BLAS. Nothing here reads a time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const bench = path.join(__dirname, '..', '..', 'bench');
const { SCENARIOS } = require(path.join(bench, 'contention.js'));
const { contentionMarkdown } = require(path.join(bench, 'report.js'));
const { classifyBlas, flopsPerStep, torchSettings } = require(path.join(bench, 'train.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

type Row = {
  scenario: string;
  cell: string;
  threads: number;
  ratio: { run: number; runAsync: number };
  maxAbsDiff: number;
  calls: { run: number };
};

// In a child node process: onnxruntime-node's outputs fail its own Float32Array check inside
// jest's sandbox. The child also lists its own child processes after the run (Linux /proc).
const CONTENTION_SCRIPT = `
const fs = require('fs');
const path = require('path');
const children = () => {
  const tasks = '/proc/' + process.pid + '/task';
  if (!fs.existsSync(tasks)) return [];
  return fs.readdirSync(tasks).flatMap((tid) => fs.readFileSync(path.join(tasks, tid, 'children'), 'utf8').trim().split(/\\s+/).filter(Boolean));
};
const { measureContention } = require(process.argv[1]);
measureContention({ threads: [1, 2], kinds: ['gru', 'lstm'], shapes: [{ T: 3, B: 2, I: 8 }], maxCalls: 2, minCalls: 1, maxTime: 0 }).then((c) => {
  process.stdout.write(JSON.stringify({ c, childrenAfter: children() }));
});
`;

test('contention tables: every scenario, cell and thread count, outputs agreeing, no busy loop left running', () => {
  const r = spawnSync(process.execPath, ['-e', CONTENTION_SCRIPT, path.join(bench, 'contention.js')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const { c, childrenAfter } = JSON.parse(r.stdout);
  expect(childrenAfter).toEqual([]);
  const rows: Row[] = c.rows;
  expect(rows).toHaveLength(SCENARIOS.length * 2 * 2);
  for (const s of SCENARIOS)
    for (const cell of ['GRU', 'LSTM'])
      for (const t of [1, 2]) expect(rows.filter((x) => x.scenario === s.id && x.cell === cell && x.threads === t)).toHaveLength(1);
  for (const x of rows) {
    expect(x.maxAbsDiff).toBeLessThan(1e-5);
    expect(x.calls.run).toBeGreaterThanOrEqual(1);
    expect(x.ratio.run).toBeGreaterThan(0);
    expect(x.ratio.runAsync).toBeGreaterThan(0);
  }
  const md: string = contentionMarkdown({ ...c, git: null, mode: 'quick', argv: [], date: 'now' }).join('\n');
  for (const s of SCENARIOS) expect(md).toContain(`### ${s.title}`);
  expect(md).toContain('| 3×2×8 | 2 |');
}, 60000);

test('PyTorch BLAS: OpenBLAS, MKL and BLIS are real anchors; the reference BLAS and an unknown one are not', () => {
  const openblas = classifyBlas({
    files: [
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
    ],
    config: 'BLAS_INFO=generic',
  });
  expect(openblas).toMatchObject({ name: 'OpenBLAS', variant: 'pthread', real: true });
  expect(classifyBlas({ files: ['/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3'], config: '' })).toMatchObject({
    name: 'OpenBLAS',
    variant: 'openmp',
    real: true,
  });
  expect(classifyBlas({ files: [], config: 'BLAS_INFO=mkl, LAPACK_INFO=mkl' })).toMatchObject({ real: true });
  expect(classifyBlas({ files: ['/usr/lib/x86_64-linux-gnu/blis-pthread/libblas.so.3'], config: '' })).toMatchObject({
    name: 'BLIS',
    real: true,
  });
  expect(classifyBlas({ files: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'], config: 'BLAS_INFO=generic' })).toMatchObject({
    name: 'reference BLAS',
    real: false,
  });
  expect(classifyBlas({ files: [], config: 'BLAS_INFO=generic' })).toMatchObject({ name: 'unknown', real: false });
});

test('bench:train refuses a PyTorch on the reference BLAS, naming the library, with exit code 3', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-bench-'));
  try {
    // A stand-in for python3: "torch" imports, and its process maps Debian's reference libblas.
    const python = path.join(dir, 'python3');
    const probe = JSON.stringify({
      torch: '0.0',
      blas: { files: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'], config: 'BLAS_INFO=generic' },
    });
    fs.writeFileSync(python, `#!/bin/sh\nif [ "$1" = "-c" ]; then echo 0.0; else echo '${probe}'; fi\n`, { mode: 0o755 });
    const r = spawnSync(process.execPath, [path.join(bench, 'train.js'), '--engines', 'gatedrnn,torch', '--python', python, '--out', dir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3)');
    expect(r.stderr).toContain('libopenblas0-pthread');
    expect(fs.existsSync(path.join(dir, 'train-results.json'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

test('bench:train counts about 5 GFLOP per LSTM step and tries {1, n} × {1, n} PyTorch thread settings', () => {
  // LSTM: 3 × (2·100·32·4·128·256 · 2 layers) plus the dense layers: the "about 5 GFLOP".
  expect(flopsPerStep('lstm') / 1e9).toBeCloseTo(5.035, 2);
  expect(flopsPerStep('gru') / flopsPerStep('lstm')).toBeCloseTo(0.75, 2);
  expect(torchSettings(1)).toEqual([{ torchThreads: 1, blasThreads: 1 }]);
  expect(torchSettings(2)).toEqual([
    { torchThreads: 1, blasThreads: 1 },
    { torchThreads: 1, blasThreads: 2 },
    { torchThreads: 2, blasThreads: 1 },
    { torchThreads: 2, blasThreads: 2 },
  ]);
});
